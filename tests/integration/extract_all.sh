#!/bin/sh
# Every capture under ../shared/pcaps through weirctl extract. Run in the
# sanitize setup this is the "no crash, no sanitizer report" check over the
# whole corpus (ASAN/UBSAN abort on the first report, failing the run).
set -u
WEIRCTL="$1"
SHARED="${WEIR_SHARED:?WEIR_SHARED must point at ../shared}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
n=0; bad=0; unreadable=0
find "$SHARED/pcaps" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.trace' -o -name '*.dump' -o -name '*.pcap.gz' \) | sort >"$TMP/list"
[ -s "$TMP/list" ] || { echo "no captures found under $SHARED/pcaps"; exit 1; }
while IFS= read -r f; do
	n=$((n + 1))
	"$WEIRCTL" extract "$f" -o "$TMP/out.csv" -q 2>"$TMP/err"
	rc=$?
	# 0: read; 1: nothing readable (reported); anything else: crash/sanitizer
	if [ "$rc" -gt 1 ]; then
		echo "CRASH rc=$rc: $f"; cat "$TMP/err"; bad=$((bad + 1))
	elif grep -q "ERROR: AddressSanitizer\|runtime error:" "$TMP/err"; then
		echo "SANITIZER: $f"; cat "$TMP/err"; bad=$((bad + 1))
	elif [ "$rc" -eq 1 ]; then
		unreadable=$((unreadable + 1))
		sed "s|^|  ($f) |" "$TMP/err" | head -2
	fi
done <"$TMP/list"
echo "captures: $n, unreadable (reported, not crashed): $unreadable, crashed: $bad"
[ "$bad" -eq 0 ]
