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
	# every frame a worker took is accounted for: analysed, or dropped by reason
	wait_stats "$TMP/ctl.sock" "all(w['rx'] == w['processed'] + sum(w['decode_errors'].values()) + w['frag_orphan'] for w in s['workers']) and sum(w['rx'] for w in s['workers']) == $n" 10 ||
		fail "$workers workers: rx != processed + decode errors + orphan fragments"
	# The same counters through DPDK telemetry.
	t=$(telemetry $pid /weir/stats) || fail "telemetry socket of weir $pid"
	echo "$t" | grep -q "\"rx\":$n," || fail "telemetry /weir/stats: $t"
	t=$(telemetry $pid /weir/ports)
	echo "$t" | grep -q "\"b\":{\"rx_packets\":0,.*\"tx_packets\":$n," || fail "telemetry /weir/ports: $t"
	ctl "$TMP/ctl.sock" '{"cmd":"stop"}' >/dev/null
	wait_bg $pid || fail "weir exited with $?: $(tail -3 "$TMP/weir.err")"
	[ ! -e "/var/run/dpdk/weir-$pid" ] || fail "runtime directory /var/run/dpdk/weir-$pid left behind"
	same_frames_per_flow "$CAP" "$outs" || fail "$workers workers: forwarded frames differ"
	sorted_cols "$TMP/ex.csv" 40 > "$TMP/a"; sorted_cols "$TMP/flows.csv" 40 > "$TMP/b"
	cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head -5 >&2; fail "$workers workers: inline flow log differs from extract"; }
	grep -q "tx dropped 0, blocked 0" "$TMP/weir.err" || fail "TX drops or blocks reported: $(grep 'tx dropped' "$TMP/weir.err")"
	echo "ok inline, $workers worker(s): $n frames forwarded unchanged"
done
# block = on: a flow whose record got an anomaly verdict has its later
# frames dropped. Every verdict is "anomaly" here ([model] threshold = 1e9);
# UDP flow A idles out after 1 s of capture time, so its frames at 5 s
# come after its anomalous record and must be blocked; B (live from 4.9 s)
# is unaffected.
"$WEIRCTL" train "$CAP" -o "$TMP/model" -q || fail "weirctl train"
python3 - "$TMP/block.pcap" <<'PY'
import struct, sys
def frame(src, dst, sport, dport):
    payload = b"x" * 18
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst)) + udp
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip
A = ([10, 0, 0, 1], [10, 0, 0, 2], 1111, 53)
B = ([10, 0, 0, 3], [10, 0, 0, 4], 2222, 53)
pkts = [(0.0, A), (0.1, A), (4.9, B), (5.0, A), (5.1, A), (5.2, B)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for t, (s, d, sp, dp) in pkts:
        fr = frame(s, d, sp, dp)
        sec = 1700000000 + int(t)
        f.write(struct.pack("<IIII", sec, int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr)
PY
cat > "$TMP/block.conf" <<CONF
[eal]
hugepages = no
[port a]
dev = net_pcap0,rx_pcap=$TMP/block.pcap
[port b]
dev = net_pcap1,tx_pcap=$TMP/blocked-out.pcap
[mode]
mode = inline
pairs = a:b
block = on
[flows]
udp_timeout = 1
[model]
path = $TMP/model
threshold = 1e9
[control]
socket = $TMP/ctl.sock
CONF
"$WEIR" -c "$TMP/block.conf" 2>"$TMP/weir.err" &
pid=$!; track $pid
wait_stats "$TMP/ctl.sock" "s['ports'][0]['rx_packets'] == 6 and s['workers'][0]['blocked'] + s['workers'][0]['tx_sent'] == 6" 60 ||
	{ cat "$TMP/weir.err" >&2; fail "block: frames not all handled"; }
ctl "$TMP/ctl.sock" '{"cmd":"stop"}' >/dev/null
wait_bg $pid || fail "weir exited with $?"
grep -q "tx sent 4, tx dropped 0, blocked 2" "$TMP/weir.err" || fail "block: expected 4 sent, 2 blocked: $(grep 'tx sent' "$TMP/weir.err")"
[ "$(capinfos -c -M "$TMP/blocked-out.pcap" | awk '/Number of packets/ {print $NF}')" = 4 ] || fail "block: output does not hold 4 frames"
echo "ok block = on: the 2 frames after the flow's anomaly verdict were dropped, 4 forwarded"

# Jumbo frames (8054 bytes): forwarded unchanged either way; with
# [port] mtu = 9000 each arrives in one mbuf (none linearised), with the
# default MTU net_pcap chains them over several and the worker copies
# them to its scratch buffer.
python3 - "$TMP/jumbo.pcap" <<'PY'
import struct, sys
def frame(src, dst, sp, dp, seq, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, 0, 0x50, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, bytes(src), bytes(dst)) + tcp
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip
A, B = [10, 9, 0, 1], [10, 9, 0, 2]
pk = [frame(A, B, 40000, 80, 1, 0x02, b""), frame(B, A, 80, 40000, 1, 0x12, b""), frame(A, B, 40000, 80, 2, 0x10, b"")]
for i in range(6):
    pk.append(frame(A, B, 40000, 80, 2 + i * 8000, 0x18, bytes([65 + i]) * 8000))
    pk.append(frame(B, A, 80, 40000, 2 + i * 8000, 0x18, bytes([97 + i]) * 8000))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pk):
        f.write(struct.pack("<IIII", 1700000000, i * 1000, len(p), len(p)) + p)
PY
for mtu in auto 9000; do
	cat > "$TMP/jumbo.conf" <<CONF
[eal]
hugepages = no
[port a]
dev = net_pcap0,rx_pcap=$TMP/jumbo.pcap
mtu = $mtu
[port b]
dev = net_pcap1,tx_pcap=$TMP/jumbo-$mtu.pcap
mtu = $mtu
[mode]
mode = inline
pairs = a:b
[control]
socket = $TMP/ctl.sock
CONF
	"$WEIR" -c "$TMP/jumbo.conf" 2>"$TMP/weir.err" &
	pid=$!; track $pid
	if [ $mtu = auto ]; then want="s['workers'][0]['linearized'] > 0"; else want="s['workers'][0]['linearized'] == 0"; fi
	wait_stats "$TMP/ctl.sock" "s['workers'][0]['tx_sent'] == 15 and $want" 60 ||
		{ cat "$TMP/weir.err" >&2; fail "mtu $mtu: jumbo frames not forwarded as expected"; }
	ctl "$TMP/ctl.sock" '{"cmd":"stop"}' >/dev/null
	wait_bg $pid || fail "mtu $mtu: weir exited with $?"
	[ $mtu = auto ] || grep -q "MTU 9000 (requested 9000), mempool [0-9]* mbufs of 9216 bytes" "$TMP/weir.err" ||
		fail "mtu 9000 not granted or mbufs not sized: $(grep -o 'MTU[^,]*, mempool[^,]*' "$TMP/weir.err")"
	same_frames_per_flow "$TMP/jumbo.pcap" "$TMP/jumbo-$mtu.pcap" || fail "mtu $mtu: jumbo frames changed"
done
echo "ok jumbo frames forwarded unchanged; mtu = 9000 takes them in single 9216-byte mbufs"
echo PASS
