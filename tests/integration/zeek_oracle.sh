#!/bin/sh
# The Zeek oracle: `weirctl extract` on the captures listed in zeek_cases.tsv,
# compared with the conn/http/ftp logs Zeek's own test suite recorded for
# them (zeek_compare prints the match table and every difference).
#
#   zeek_oracle.sh WEIRCTL ZEEK_COMPARE CASES.tsv
#
# WEIR_SHARED points at the shared data (captures and baselines). Each case
# allows the number of differences documented in doc/content.md; more fails
# the test, fewer is reported so the allowance can be tightened.
set -u
weirctl=$1
compare=$2
cases=$3
shared=${WEIR_SHARED:?WEIR_SHARED is not set}
traces=$shared/pcaps/zeek/Traces
base=$shared/pcaps/zeek/Baseline

for f in "$weirctl" "$compare" "$cases"; do
	[ -e "$f" ] || { echo "zeek_oracle: $f: not found" >&2; exit 2; }
done
[ -d "$traces" ] && [ -d "$base" ] || {
	echo "zeek_oracle: no Zeek traces/baselines under $shared/pcaps/zeek" >&2; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

fails=0
n=0
summary=$tmp/summary
: > "$summary"
# columns: trace, baseline dir, logs (conn=...,http=...,ftp=...), allowed differences, notes
while IFS='	' read -r trace bdir logs allow notes; do
	case $trace in ''|'#'*) continue ;; esac
	n=$((n + 1))
	name=$(basename "$bdir")
	flows=$tmp/$n.csv
	if ! "$weirctl" extract -q -x "$traces/$trace" -o "$flows" 2> "$tmp/$n.err"; then
		echo "zeek_oracle: weirctl extract failed on $trace:" >&2
		cat "$tmp/$n.err" >&2
		fails=$((fails + 1))
		continue
	fi
	set -- --name "$name ($trace)" --flows "$flows" --allow "$allow"
	oldifs=$IFS
	IFS=,
	for l in $logs; do
		kind=${l%%=*}
		file=${l#*=}
		set -- "$@" "--$kind" "$base/$bdir/$file"
	done
	IFS=$oldifs
	"$compare" "$@" > "$tmp/$n.out" 2>&1
	rc=$?
	cat "$tmp/$n.out"
	grep '^RESULT' "$tmp/$n.out" >> "$summary" || echo "RESULT $name: no result (rc $rc)" >> "$summary"
	[ $rc -eq 0 ] || fails=$((fails + 1))
done < "$cases"

echo
echo "== Zeek oracle summary: $n cases, $fails failing"
cat "$summary"
[ $n -gt 0 ] || { echo "zeek_oracle: no cases in $cases" >&2; exit 2; }
[ $fails -eq 0 ]
