#!/bin/sh
# weir-gen as a user runs it: exit statuses and messages for bad input,
# stdout output, --seed/--packets/--snaplen, and tshark's view of checksums.
# usage: trafficgen_cli.sh WEIR_GEN   (env: WEIR_SRC)
set -u
gen=$1
src=${WEIR_SRC:?WEIR_SRC not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN -- command...: exit status and a stderr line
expect() {
	want=$1 pat=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq "$want" ] || fail "$*: exit $rc, expected $want"
	grep -q -- "$pat" "$tmp/err" || fail "$*: no '$pat' in: $(cat "$tmp/err")"
}

printf '[general]\nduration = 2\n[normal]\nflows_per_s = 30\n' >"$tmp/s.ini"
expect 2 usage -- "$gen"
expect 2 usage -- "$gen" "$tmp/s.ini"
expect 2 "'--packets' 'x'\|--packets 'x'" -- "$gen" "$tmp/s.ini" -o "$tmp/x.pcap" --packets x
expect 2 "from 64 to 65535" -- "$gen" "$tmp/s.ini" -o "$tmp/x.pcap" --snaplen 10
expect 1 "$tmp/none.ini: cannot open the scenario file" -- "$gen" "$tmp/none.ini" -o "$tmp/x.pcap"
printf '[network]\nloss = 2\n' >"$tmp/bad.ini"
expect 1 "bad.ini: \[network\] loss: 2 is out of range" -- "$gen" "$tmp/bad.ini" -o "$tmp/x.pcap"
expect 1 "$tmp/no/dir/x.pcap: No such file" -- "$gen" "$tmp/s.ini" -o "$tmp/no/dir/x.pcap"
expect 0 "packets/s" -- "$gen" "$tmp/s.ini" -o "$tmp/a.pcap" -l "$tmp/a.csv"

# stdout output is the same bytes as a file; --seed changes them
"$gen" "$tmp/s.ini" -o - -q >"$tmp/b.pcap" || fail "-o - failed"
cmp -s "$tmp/a.pcap" "$tmp/b.pcap" || fail "stdout capture differs from the file"
"$gen" "$tmp/s.ini" -o "$tmp/c.pcap" -q --seed 99
cmp -s "$tmp/a.pcap" "$tmp/c.pcap" && fail "--seed 99 gave the same capture"

# --packets is exact; --snaplen truncates but keeps the wire length
"$gen" "$src/scripts/scenarios/demo.ini" -o "$tmp/d.pcap" -q --packets 5000 -S 96
n=$(tshark -r "$tmp/d.pcap" -T fields -e frame.number 2>/dev/null | wc -l)
[ "$n" -eq 5000 ] || fail "--packets 5000 wrote $n packets"
big=$(tshark -r "$tmp/d.pcap" -Y 'frame.cap_len == 96 && frame.len > 96' -T fields -e frame.number 2>/dev/null | wc -l)
[ "$big" -gt 0 ] || fail "--snaplen 96 truncated nothing"

# tshark checks every checksum of a full-size run and finds no bad one
bad=$(tshark -r "$tmp/a.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-o udp.check_checksum:TRUE -o icmp.check_checksum:TRUE \
	-Y 'ip.checksum.status == 2 || tcp.checksum.status == 2 || udp.checksum.status == 2 || icmp.checksum.status == 2' \
	-T fields -e frame.number 2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || fail "tshark finds $bad bad checksums"
odd=$(tshark -r "$tmp/a.pcap" -Y 'tcp.analysis.flags && !tcp.analysis.retransmission && !tcp.analysis.duplicate_ack' \
	-T fields -e frame.number 2>/dev/null | wc -l)
[ "$odd" -eq 0 ] || fail "tshark's TCP analysis flags $odd packets"

[ "$fails" -eq 0 ] && echo "trafficgen_cli: all checks passed"
exit "$fails"
