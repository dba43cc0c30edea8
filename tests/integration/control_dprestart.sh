#!/bin/sh
# weir restarts under a running weir-control: the first weir's records are
# drained and its end is seen (dataplane_disconnect), the second weir's new
# generation is picked up (dataplane_restart), and no record of either is
# lost: weir-control's count equals the sum of what the two weirs delivered.
# A weir killed mid-replay (SIGKILL: no clean close) is detected as gone too.
. "$(dirname "$0")/control_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: weir needs root (DPDK vdevs)"; exit 77; }

"$WEIRGEN" "$WEIR_SRC/scripts/scenarios/demo.ini" -o "$TMP/cap.pcap" -d 20 -k 0.3 -q
cat > "$TMP/weir.conf" <<CONF
[eal]
hugepages = no
[output]
shm = $NAME
shm_slots = 65536
sample_rate = 1
[control]
socket = $TMP/weir.sock
CONF
start_control --set retrain.min_train_flows=200000 --set retrain.learn_minutes=0

delivered() { sed -n 's/.*to control: sampled \([0-9]*\), anomalies \([0-9]*\), ring full \([0-9]*\) (anomaly) \([0-9]*\) (sample).*/\1 \4/p' "$1"; }

"$WEIR" -c "$TMP/weir.conf" --pcap "$TMP/cap.pcap" --workers 1 >"$TMP/w1.out" 2>"$TMP/w1.err" ||
	fail "weir 1: $(tail -3 "$TMP/w1.err")"
wait_status "s['dataplane']['ended']" 30
"$WEIR" -c "$TMP/weir.conf" --pcap "$TMP/cap.pcap" --workers 1 --pace 2 >"$TMP/w2.out" 2>"$TMP/w2.err" ||
	fail "weir 2: $(tail -3 "$TMP/w2.err")"
wait_status "s['dataplane']['ended']" 30
set -- $(delivered "$TMP/w1.err") $(delivered "$TMP/w2.err")
[ $# -eq 4 ] || fail "no delivery counts in weir's summary"
[ "$2" -eq 0 ] && [ "$4" -eq 0 ] || fail "ring drops with 65536 slots: $2 $4"
want=$(($1 + $3))
got=$(status "s['sampled']")
[ "$got" -eq "$want" ] || fail "weir-control counted $got records, the two weirs delivered $1 + $3"
echo "ok two weirs in a row: $got records = $1 + $3"

# a weir that dies without closing its segment
"$WEIR" -c "$TMP/weir.conf" --pcap "$TMP/cap.pcap" --workers 1 --pace 0.5 >"$TMP/w3.out" 2>"$TMP/w3.err" &
w3=$!
wait_status "s['dataplane']['connected'] and s['dataplane']['producer_pid'] == $w3" 60
kill -9 $w3; wait $w3 2>/dev/null || true
wait_status "s['dataplane']['ended']" 30
kill -TERM $CONTROL_PID; wait $CONTROL_PID || fail "weir-control did not stop cleanly"
python3 - "$TMP/alerts/events.jsonl" <<'PY' || fail "events"
import json, sys
ev = [json.loads(l)["event"] for l in open(sys.argv[1])]
dp = [e for e in ev if e.startswith("dataplane_")]
want = ["dataplane_connect", "dataplane_disconnect", "dataplane_restart",
        "dataplane_disconnect", "dataplane_restart", "dataplane_disconnect"]
assert dp == want, dp
print("ok events:", " ".join(dp))
PY
check_whole "$TMP/alerts" || fail "partial lines"
rm -f "/dev/shm/weir-$NAME"   # the killed weir left its segment
echo PASS
