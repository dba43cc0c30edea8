#!/bin/sh
# weirctl extract on bad input: each problem gets one clear line naming the
# file, flows read before a problem are still written, and the exit status
# is non-zero only when nothing could be read.
set -u
WEIRCTL="$1"
SHARED="${WEIR_SHARED:?WEIR_SHARED must point at ../shared}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
fail=0
check() { # description, condition...
	desc=$1; shift
	if "$@"; then echo "ok: $desc"; else echo "FAIL: $desc"; fail=1; fi
}

GOOD="$SHARED/pcaps/zeek/Traces/http/get.pcap"
[ -r "$GOOD" ] || { echo "missing $GOOD"; exit 1; }

# a missing file alone: exit 1, message names it
"$WEIRCTL" extract "$TMP/nope.pcap" -o "$TMP/a.csv" 2>"$TMP/err"; rc=$?
check "missing file exits 1" [ "$rc" -eq 1 ]
check "missing file is named" grep -q "nope.pcap: cannot read capture" "$TMP/err"

# a missing file beside a good one: exit 0, flows written, problem reported
"$WEIRCTL" extract "$TMP/nope.pcap" "$GOOD" -o "$TMP/b.csv" 2>"$TMP/err"; rc=$?
check "partial input exits 0" [ "$rc" -eq 0 ]
check "partial input still reports the missing file" grep -q "nope.pcap" "$TMP/err"
check "header line first" sh -c "head -1 '$TMP/b.csv' | grep -q '^srcip,sport,dstip,dsport,proto,state,dur,sbytes'"

# a truncated capture: the flows before the cut are written, the cut reported
size=$(stat -c %s "$GOOD")
head -c $((size - 700)) "$GOOD" >"$TMP/cut.pcap"
"$WEIRCTL" extract "$TMP/cut.pcap" -o "$TMP/c.csv" 2>"$TMP/err"; rc=$?
check "truncated capture exits 0 (packets were read)" [ "$rc" -eq 0 ]
check "truncated capture is reported with its name" grep -q "cut.pcap.*flows so far are kept" "$TMP/err"
check "truncated capture still yields its flow" [ "$(wc -l <"$TMP/c.csv")" -ge 2 ]

# not a capture at all
echo "hello" >"$TMP/text.pcap"
"$WEIRCTL" extract "$TMP/text.pcap" -o "$TMP/d.csv" 2>"$TMP/err"; rc=$?
check "garbage file exits 1" [ "$rc" -eq 1 ]
check "garbage file is named" grep -q "text.pcap: cannot read capture" "$TMP/err"

# an unknown link type (802.11 radiotap)
RADIO="$SHARED/pcaps/zeek/Traces/arp-who-has-radiotap.pcap"
if [ -r "$RADIO" ]; then
	"$WEIRCTL" extract "$RADIO" -o "$TMP/e.csv" 2>"$TMP/err"; rc=$?
	check "unknown link type exits 1" [ "$rc" -eq 1 ]
	check "unknown link type is explained" grep -q "link type 127 is not one Weir decodes" "$TMP/err"
fi

# an unwritable output
"$WEIRCTL" extract "$GOOD" -o "$TMP/no/such/dir/out.csv" 2>"$TMP/err"; rc=$?
check "unwritable output exits 1" [ "$rc" -eq 1 ]
check "unwritable output is named" grep -q "out.csv: cannot create" "$TMP/err"

# a full disk
if [ -w /dev/full ]; then
	"$WEIRCTL" extract "$GOOD" -o /dev/full 2>"$TMP/err"; rc=$?
	check "full disk exits 1" [ "$rc" -eq 1 ]
	check "full disk is reported" grep -q "/dev/full: write failed: No space left on device" "$TMP/err"
fi

# usage errors exit 2
"$WEIRCTL" extract "$GOOD" 2>/dev/null; rc=$?
check "missing -o is a usage error" [ "$rc" -eq 2 ]
"$WEIRCTL" extract "$GOOD" -o "$TMP/f.csv" --format xml 2>/dev/null; rc=$?
check "bad format is a usage error" [ "$rc" -eq 2 ]

# JSON lines: one object per flow
"$WEIRCTL" extract "$GOOD" -o "$TMP/g.jsonl" --format jsonl 2>/dev/null
check "jsonl has one object per line" sh -c "grep -c '^{\"srcip\":' '$TMP/g.jsonl' | grep -qx \"\$(wc -l <'$TMP/g.jsonl')\""

exit $fail
