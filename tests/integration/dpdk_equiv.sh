#!/bin/sh
# weir --pcap X --workers 1 writes exactly what `weirctl extract X` writes
# (after sorting); with 2 workers the same flows with identical per-flow
# features except the ct_* window counts (columns 41-47), which are kept
# per worker (each counts the last N connections *its* worker finished).
. "$(dirname "$0")/dpdk_lib.sh"

CAPS="wikipedia.pcap ftp/ipv4.pcap ftp/ipv6.pcap ssh/ssh.pcap http/methods.pcap
q-in-q.pcap mixed-vlan-mpls.pcap tcp/retransmit-fast009.pcap
tunnels/gtp/gtp1_gn_normal_incl_fragmentation.pcap igmp/igmp-many-groups.pcap
nmap-vsn.pcap dhcp/dhcp_flood.pcap dce-rpc/mapi.pcap irc-dcc-send.pcapng
http/http-post-large.pcap"
# http-post-large.pcap was captured with segmentation offload: 8 of its 38
# frames are 2-33 KB, beyond a 2 KB mbuf, so the PMD hands them over as
# chained segments and the worker reads them whole (worker.c); jumbo frames
# from a NIC take the same path.

# FILE (flow log with --extra): every record's worker is the one the
# symmetric Toeplitz hash of its addresses selects.
toeplitz_check() {
	python3 - "$1" <<'PY'
import csv, ipaddress, sys
KEY = bytes([0x6d, 0x5a] * 20)
def toeplitz(data):
    kbits = int.from_bytes(KEY, "big"); klen = len(KEY) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                h ^= (kbits >> (klen - 32 - (i * 8 + b))) & 0xffffffff
    return h
bad = n = 0
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f):
        n += 1
        if r["proto"] == "arp":
            want = 0
        else:
            a, b = ipaddress.ip_address(r["srcip"]), ipaddress.ip_address(r["dstip"])
            want = (toeplitz(a.packed + b.packed) & 511) % 2
        if int(r["worker"]) != want:
            bad += 1
            if bad < 4: print("flow %s -> %s (%s): worker %s, NIC RSS would give %d" % (r["srcip"], r["dstip"], r["proto"], r["worker"], want), file=sys.stderr)
sys.exit(1 if bad or n == 0 else 0)
PY
}

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
	"$WEIR" -q --no-huge --pcap "$cap" --workers 2 --flow-log "$TMP/w2.csv" --extra 2>"$TMP/w2.err" ||
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
	sorted "$TMP/ex.csv" > "$TMP/a"; sorted_cols "$TMP/w2.csv" 47 > "$TMP/b"
	ctdiff=$(comm -13 "$TMP/a" "$TMP/b" | wc -l)
	placed=""
	case "$c" in
	wikipedia.pcap|nmap-vsn.pcap|igmp/*|dhcp/*|ssh/*|http/methods.pcap|/*)
		# Plain Ethernet/IP captures: the worker of every flow is the one
		# a NIC would pick (Toeplitz, key 0x6D5A..., IP src/dst, RETA of
		# 512 entries i % 2), computed here independently.
		toeplitz_check "$TMP/w2.csv" || fail "$c: flow placement differs from NIC RSS"
		placed=", placement = NIC RSS";;
	esac
	echo "ok $c: $n flows; 2 workers: $ctdiff flows with other ct_* counts$placed"
	total=$((total + n))
done
# The offload capture's large frames did arrive chained: the summary
# counts each one read whole.
"$WEIR" --no-huge --pcap "$TRACES/http/http-post-large.pcap" --flow-log "$TMP/big.csv" \
	>"$TMP/big.out" 2>&1 || fail "weir on http-post-large.pcap: $(tail -3 "$TMP/big.out")"
grep -q "linearized 8 " "$TMP/big.out" ||
	fail "http-post-large.pcap: want its 8 frames over 2 KB linearized: $(grep -A3 'worker 0' "$TMP/big.out")"
echo "ok http-post-large.pcap: 8 chained frames read whole"
# JSON lines: the same writer, the same lines.
"$WEIRCTL" extract "$TRACES/wikipedia.pcap" -o "$TMP/ex.jsonl" -f jsonl -q
"$WEIR" -q --no-huge --pcap "$TRACES/wikipedia.pcap" --flow-log "$TMP/w.jsonl" --format jsonl 2>/dev/null
[ "$(sort "$TMP/ex.jsonl")" = "$(sort "$TMP/w.jsonl")" ] || fail "--format jsonl differs from weirctl extract -f jsonl"
echo "ok jsonl flow log equals extract -f jsonl"
echo "PASS: $total flows in $(echo $CAPS | wc -w) captures"
