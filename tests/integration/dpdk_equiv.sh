#!/bin/sh
# weir --pcap X --workers 1 writes exactly what `weirctl extract X` writes
# (after sorting); with 2 workers the same flows with identical per-flow
# features except the ct_* window counts (columns 41-47), which are kept
# per worker (each counts the last N connections *its* worker finished).
. "$(dirname "$0")/dpdk_lib.sh"

CAPS="wikipedia.pcap ftp/ipv4.pcap ftp/ipv6.pcap ssh/ssh.pcap http/methods.pcap
q-in-q.pcap mixed-vlan-mpls.pcap tcp/retransmit-fast009.pcap
tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap igmp/igmp-many-groups.pcap
nmap-vsn.pcap dhcp/dhcp_flood.pcap dce-rpc/mapi.pcap irc-dcc-send.pcapng"

total=0
# Plus a generated capture with many flows, cut to 96 bytes a frame (the
# wire lengths must come from the pcap headers, not the mbufs).
GEN="$WEIR_BUILD/scripts/trafficgen/weir-gen"
if [ -x "$GEN" ]; then
	"$GEN" "$WEIR_SRC/scripts/scenarios/bench.ini" -o "$TMP/gen.pcap" -p 60000 --snaplen 96 -q ||
		fail "weir-gen"
	CAPS="$CAPS $TMP/gen.pcap"
fi
for c in $CAPS; do
	case "$c" in /*) cap="$c";; *) cap="$TRACES/$c";; esac
	[ -r "$cap" ] || fail "$cap: missing (shared captures)"
	"$WEIRCTL" extract "$cap" -o "$TMP/ex.csv" -q 2>"$TMP/ex.err" || fail "weirctl extract $c: $(cat "$TMP/ex.err")"
	"$WEIR" -q --no-huge --pcap "$cap" --workers 1 --flow-log "$TMP/w1.csv" 2>"$TMP/w1.err" ||
		fail "weir --workers 1 $c: $(cat "$TMP/w1.err")"
	"$WEIR" -q --no-huge --pcap "$cap" --workers 2 --flow-log "$TMP/w2.csv" 2>"$TMP/w2.err" ||
		fail "weir --workers 2 $c: $(cat "$TMP/w2.err")"
	if grep -q "disagrees with the pre-pass" "$TMP/w1.err" "$TMP/w2.err"; then
		fail "$c: replay frames out of step with the pre-pass: $(cat "$TMP/w1.err")"
	fi
	n=$(($(wc -l < "$TMP/ex.csv") - 1))
	[ "$n" -gt 0 ] || fail "$c: extract wrote no flows"
	head -1 "$TMP/ex.csv" > "$TMP/h1"; head -1 "$TMP/w1.csv" > "$TMP/h2"
	cmp -s "$TMP/h1" "$TMP/h2" || fail "$c: header differs"
	sorted "$TMP/ex.csv" > "$TMP/a"; sorted "$TMP/w1.csv" > "$TMP/b"
	if ! cmp -s "$TMP/a" "$TMP/b"; then
		diff "$TMP/a" "$TMP/b" | head -6 >&2
		fail "$c: 1 worker differs from weirctl extract"
	fi
	sorted_cols "$TMP/ex.csv" 40 > "$TMP/a"; sorted_cols "$TMP/w2.csv" 40 > "$TMP/b"
	if ! cmp -s "$TMP/a" "$TMP/b"; then
		diff "$TMP/a" "$TMP/b" | head -6 >&2
		fail "$c: 2 workers: flows or per-flow counters differ from weirctl extract"
	fi
	sorted "$TMP/ex.csv" > "$TMP/a"; sorted "$TMP/w2.csv" > "$TMP/b"
	ctdiff=$(comm -13 "$TMP/a" "$TMP/b" | wc -l)
	echo "ok $c: $n flows; 2 workers: $ctdiff flows with other ct_* counts"
	total=$((total + n))
done
echo "PASS: $total flows in $(echo $CAPS | wc -w) captures"
