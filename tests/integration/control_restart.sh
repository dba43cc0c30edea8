#!/bin/sh
# weir-control is independent of weir:
#  1. killed (SIGKILL) mid-replay, it leaves whole lines in every alert
#     file, and weir keeps running, counting the records it cannot deliver
#     as ring drops;
#  2. a restarted weir-control attaches to the running weir, reports the
#     drops that happened while it was away, resumes consuming and sees
#     the end of the replay; every drop weir counted is reported in
#     events.jsonl, and the alert files again hold only whole lines.
. "$(dirname "$0")/control_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: weir needs root (DPDK vdevs)"; exit 77; }

"$WEIRGEN" "$WEIR_SRC/scripts/scenarios/demo.ini" -o "$TMP/cap.pcap" -d 40 -k 0.5 -q
cat > "$TMP/weir.conf" <<CONF
[eal]
hugepages = no
[output]
shm = $NAME
shm_slots = 64
sample_rate = 1
[control]
socket = $TMP/weir.sock
CONF

# Learning would train at the end; keep the CPU for the test.
NOTRAIN="--set retrain.min_train_flows=200000 --set retrain.learn_minutes=0"
start_control $NOTRAIN
"$WEIR" -c "$TMP/weir.conf" --pcap "$TMP/cap.pcap" --pace 1 --workers 1 \
	>"$TMP/weir.out" 2>"$TMP/weir.err" &
WEIR_PID=$!

wait_status "s['sampled'] > 30" 120
kill -9 $CONTROL_PID
wait $CONTROL_PID 2>/dev/null || true
check_whole "$TMP/alerts" || fail "partial records after SIGKILL"
rm -f "$TMP/control.sock"   # a crashed daemon leaves its socket behind
echo "ok killed weir-control mid-replay: alert files hold whole lines"

weir_ring_full() {
	python3 - "$TMP/weir.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(b'{"cmd":"stats"}\n'); buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    buf += c
print(json.loads(buf)["stats"]["totals"]["ring_full"])
PY
}
# the rings fill while nobody consumes; weir goes on and counts
i=0
while :; do
	kill -0 $WEIR_PID 2>/dev/null || fail "weir stopped when weir-control died: $(tail -3 "$TMP/weir.err")"
	full=$(weir_ring_full)
	[ "$full" -gt 0 ] && break
	i=$((i + 1))
	[ $i -lt 300 ] || fail "weir counted no ring drops while weir-control was away"
	sleep 0.1
done
echo "ok weir kept running without weir-control: $full records dropped and counted"

start_control $NOTRAIN
wait_status "s['dataplane']['connected'] and s['sampled'] > 0" 60
wait $WEIR_PID || fail "weir: $(tail -3 "$TMP/weir.err")"
wait_status "s['dataplane']['ended']" 60
kill -TERM $CONTROL_PID
wait $CONTROL_PID || fail "weir-control did not stop cleanly: $(tail -3 "$TMP/control.err")"
check_whole "$TMP/alerts" || fail "partial records after the restart"

# weir's final count of sample-ring drops against what the second
# weir-control reported: before it attached + while attached.
wdrops=$(sed -n 's/.*ring full \([0-9]*\) (anomaly) \([0-9]*\) (sample).*/\2/p' "$TMP/weir.err" | tail -1)
[ -n "$wdrops" ] || wdrops=$(sed -n 's/.*ring full \([0-9]*\) (anomaly) \([0-9]*\) (sample).*/\2/p' "$TMP/weir.out" | tail -1)
python3 - "$TMP/alerts/events.jsonl" "$wdrops" <<'PY' || fail "drop accounting"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
starts = [i for i, e in enumerate(ev) if e["event"] == "control_start"]
assert len(starts) == 2, f"{len(starts)} control_start events"
second = ev[starts[1]:]
conn = [e for e in second if e["event"] == "dataplane_connect"]
assert len(conn) == 1, "second weir-control did not attach"
before = conn[0]["ring_dropped_before_connect"]
after = sum(e["dropped"] for e in second if e["event"] == "ring_drops")
assert any(e["event"] == "dataplane_disconnect" for e in second), "no disconnect at the end"
stop = [e for e in second if e["event"] == "control_stop"][0]
assert stop["sampled"] > 0 and stop["intervals"] > 0, stop
want = int(sys.argv[2])
assert before > 0, "no drops reported at attach"
assert before + after == want, f"reported {before} + {after}, weir counted {want}"
print(f"ok restarted weir-control: {before} drops before attaching, {after} after, "
      f"= weir's {want}; it consumed {stop['sampled']} records into {stop['intervals']} intervals")
PY
echo PASS
