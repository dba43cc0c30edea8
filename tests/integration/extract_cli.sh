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

# One thread (frames analysed where libpcap puts them, one at a time) and
# two (a reader thread, frames analysed in bursts) give the same bytes: the
# burst path's prefetching and hashing ahead change nothing. A mixed bag of
# captures (fragments, IPv6, VLAN, HTTP, FTP, a truncated one, a missing one)
# as one timeline, and the largest ones (pcap and pcapng: several of the
# reader's 512 KiB chunks each).
T="$SHARED/pcaps/zeek/Traces"
set -- "$T/http/get.pcap" "$T/ftp/ipv4.pcap" "$T/ftp/ipv6.pcap" "$T/http/pipelined-requests.pcap" \
	"$T/icmp_dot1q.pcap" "$T/http-qinq-0.pcap" "$T/tunnels/6in4.pcap" "$T/mpls-in-vlan.pcap" \
	"$T/ipv6-fragmented-dns.pcap" "$SHARED/pcaps/tcpreplay/test_fragroute.pcap" \
	"$SHARED/pcaps/suricata-verify/tests/ipv6-evasion/ipv6-malformed-fragments-1/frag-1.pcap" \
	"$TMP/cut.pcap" "$TMP/nope.pcap"
BIG="$T/smb/smb2.pcap $T/http/no_crlf.pcap $T/irc-dcc-send.pcapng"
for f in "$@" $BIG; do
	[ -r "$f" ] || [ "$f" = "$TMP/nope.pcap" ] || echo "note: $f not in ../shared, left out"
done
mix=""
for f in "$@"; do { [ -r "$f" ] || [ "$f" = "$TMP/nope.pcap" ]; } && mix="$mix $f"; done
for set in "$mix" "$BIG"; do
	# shellcheck disable=SC2086
	"$WEIRCTL" extract $set -o "$TMP/t1.csv" --extra --threads 1 2>"$TMP/e1"; r1=$?
	# shellcheck disable=SC2086
	"$WEIRCTL" extract $set -o "$TMP/t2.csv" --extra --threads 2 2>"$TMP/e2"; r2=$?
	check "threads 1 and 2: same exit status ($r1, $r2)" [ "$r1" -eq "$r2" ]
	check "threads 1 and 2: same records ($(($(wc -l <"$TMP/t1.csv") - 1)) flows)" cmp -s "$TMP/t1.csv" "$TMP/t2.csv"
	check "threads 1 and 2: same problems reported" sh -c "grep -v '^extract: [0-9]* packets' '$TMP/e1' | grep -v ' in [0-9.]* s' > '$TMP/e1f'; grep -v ' in [0-9.]* s' '$TMP/e2' > '$TMP/e2f'; cmp -s '$TMP/e1f' '$TMP/e2f'"
done
"$WEIRCTL" extract "$GOOD" -o "$TMP/h.csv" --threads 3 2>/dev/null; rc=$?
check "--threads 3 is a usage error" [ "$rc" -eq 2 ]

exit $fail
