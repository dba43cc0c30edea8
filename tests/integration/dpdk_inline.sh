#!/bin/sh
# Inline mode, net_pcap rx_pcap -> tx_pcap: every frame leaves through the
# peer port unchanged, in order within its flow (1 worker: in order
# overall; 2 workers: one TX queue each, a flow never split between them);
# the flow log still equals `weirctl extract` on the same file (columns
# 1-40: with 2 workers ct_* windows are per worker).
. "$(dirname "$0")/dpdk_lib.sh"

CAP="$TRACES/wikipedia.pcap"
"$WEIRCTL" extract "$CAP" -o "$TMP/ex.csv" -q

for workers in 1 2; do
	rm -f "$TMP"/out*.pcap "$TMP/flows.csv"
	if [ $workers = 1 ]; then
		adev="net_pcap0,rx_pcap=$CAP"
		bdev="net_pcap1,tx_pcap=$TMP/out0.pcap"
		outs="$TMP/out0.pcap"
	else
		adev="net_pcap0,rx_pcap=$CAP,tx_pcap=$TMP/back0.pcap,tx_pcap=$TMP/back1.pcap"
		bdev="net_pcap1,tx_pcap=$TMP/out0.pcap,tx_pcap=$TMP/out1.pcap"
		outs="$TMP/out0.pcap,$TMP/out1.pcap"
	fi
	cat > "$TMP/inline.conf" <<CONF
[eal]
hugepages = no
[port a]
dev = $adev
[port b]
dev = $bdev
[mode]
mode = inline
pairs = a:b
block = on
[workers]
count = $workers
[output]
flow_log = $TMP/flows.csv
[control]
socket = $TMP/ctl.sock
CONF
	"$WEIR" -c "$TMP/inline.conf" 2>"$TMP/weir.err" &
	pid=$!; track $pid
	n=$(capinfos -c -M "$CAP" | awk '/Number of packets/ {print $NF}')
	wait_stats "$TMP/ctl.sock" "s['ports'][0]['rx_packets'] == $n and sum(w['tx_sent'] for w in s['workers']) == $n" 60 ||
		{ cat "$TMP/weir.err" >&2; fail "$workers workers: not every frame was forwarded"; }
	ctl "$TMP/ctl.sock" '{"cmd":"stop"}' >/dev/null
	wait_bg $pid || fail "weir exited with $?: $(tail -3 "$TMP/weir.err")"
	same_frames_per_flow "$CAP" "$outs" || fail "$workers workers: forwarded frames differ"
	sorted_cols "$TMP/ex.csv" 40 > "$TMP/a"; sorted_cols "$TMP/flows.csv" 40 > "$TMP/b"
	cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head -5 >&2; fail "$workers workers: inline flow log differs from extract"; }
	grep -q "tx dropped 0, blocked 0" "$TMP/weir.err" || fail "TX drops or blocks reported: $(grep 'tx dropped' "$TMP/weir.err")"
	echo "ok inline, $workers worker(s): $n frames forwarded unchanged"
done
echo PASS
