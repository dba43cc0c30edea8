#!/bin/sh
# Retraining end to end, deterministic (issue 6). scripts/scenarios/shift.ini:
# 30 s of normal traffic (learned from), an FTP password-guessing burst from
# one outside host at 32-36 s, and from 40 s a sustained shift of normal
# traffic. Replayed through weir + weir-control in lockstep (weirctl replay):
#   * the burst is a spike naming the attacker, and its anomalies name it;
#   * under `sustained` the shift gives exactly one retrain and one swap; the
#     swapped model scores the rest (model_version), the anomaly rate after
#     the swap is back near its level before the shift, and the retrain left
#     the burst's flows out of its training set;
#   * the same files at --pace 1 and flat out (summary.csv, anomalies.jsonl,
#     flows.csv, and the retrain/swap events without their wall-clock fields);
#   * under `manual` nothing retrains.
. "$(dirname "$0")/control_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: weir needs root (DPDK vdevs)"; exit 77; }

ATTACKER=203.0.113.31   # weir-gen's first attacker address (after the 20 external servers)
"$WEIRGEN" "$WEIR_SRC/scripts/scenarios/shift.ini" -o "$TMP/cap.pcap" -S 128 -q
# the policy's floor: the learned model flags ~3 % of normal intervals
OPTS="--interval 2 --lateness 10"

t0=$(date +%s)
"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/a" --learn-window 28 --policy sustained $OPTS \
	> "$TMP/a.out" 2>&1 || fail "replay: $(tail -5 "$TMP/a.out")"
cat "$TMP/a.out"
model=$(sed -n 's/^learned model version [0-9]*: //p' "$TMP/a.out")
[ -f "$model/bundle.json" ] || fail "learned bundle missing: $model"
check_whole "$TMP/a" || fail "partial lines"

python3 - "$TMP/a" "$ATTACKER" <<'PY' || fail "sustained run"
import csv, datetime, json, sys
d, attacker = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(d + "/summary.csv")))
def secs(iso):   # seconds since the capture's first interval
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() - t0
t0 = 0
t0 = secs(rows[0]["interval_start"])
ev = [json.loads(l) for l in open(d + "/events.jsonl")]
names = [e["event"] for e in ev]
spikes = [e for e in ev if e["event"] == "spike"]
burst = [s for s in spikes if 32 <= secs(s["interval_start"]) <= 40]
assert burst, f"no spike for the burst: {[s['interval_start'] for s in spikes]}"
assert burst[0]["top_sources"][0]["ip"] == attacker, burst[0]["top_sources"][:2]
anoms = [json.loads(l) for l in open(d + "/anomalies.jsonl")]
hits = sum(1 for a in anoms if a["srcip"] == attacker)
assert hits >= 50, f"only {hits} anomaly records name {attacker}"
started = [e for e in ev if e["event"] == "retrain_started"]
swaps = [e for e in ev if e["event"] == "model_swap"]
assert len(started) == 1 and len(swaps) == 1, f"retrains {len(started)}, swaps {len(swaps)}: {names}"
assert "sustained" in started[0]["reason"], started[0]["reason"]
assert started[0]["excluded_spike_flows"] > 0, "the burst's flows were not left out of training"
for x in ("retrain_rejected", "retrain_failed", "retrain_not_swapped", "hold_failed", "ring_drops"):
    assert x not in names, f"{x}: {names}"
sw = swaps[0]
hold, new, old = sw["replay_hold_ns"], sw["version"], sw["previous_version"]
# The swap landed while weir waited at `hold`: a flow that started after it
# was scored by the new model; in flows.csv too.
late = [a for a in anoms if a["stime_ns"] >= hold]
assert late and all(a["model_version"] == new for a in late), \
    f"{sum(a['model_version'] != new for a in late)} of {len(late)} anomalies after the swap carry another version"
nf = nold = 0
for r in csv.DictReader(open(d + "/flows.csv")):
    if float(r["Stime"]) * 1e9 >= hold + 1e6:
        nf += 1
        assert int(r["model_version"]) == new, f"flow after the swap scored by {r['model_version']}"
    nold += int(r["model_version"]) == old
assert nf > 1000 and nold > 1000, (nf, nold)
# anomaly rate: before the shift (after the first intervals, before the burst),
# during the shift before the swap, after the swap (short of the end, where
# weir's shutdown flushes cut flows)
def mean(lo, hi):
    r = [float(x["anomaly_rate"]) for x in rows if lo <= secs(x["interval_start"]) < hi]
    return (sum(r) / len(r) if r else 0), len(r)
h = hold / 1e9 - t0
before, nb = mean(8, 32)
shifted, ns = mean(44, h - 2)
after, na = mean(h + 2, 88)
print(f"anomaly rate: before the shift {before:.4f} ({nb} intervals), shifted {shifted:.4f} ({ns}), "
      f"after the swap at +{h:.0f} s {after:.4f} ({na})")
assert na >= 8 and ns >= 4, "too few intervals to compare"
assert shifted >= 3 * before and shifted >= 0.1, "the shift did not raise the anomaly rate"
assert after <= max(2 * before, before + 0.03), "the anomaly rate did not come back after the swap"
PY
echo "ok sustained: burst spike names $ATTACKER, one retrain + swap, rate back after it"
t1=$(date +%s)

# --pace 1 with the model learned above: the same files
"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/b" --model "$model" --pace 1 --policy sustained $OPTS \
	> "$TMP/b.out" 2>&1 || fail "paced replay: $(tail -5 "$TMP/b.out")"
t2=$(date +%s)
for f in summary.csv anomalies.jsonl flows.csv; do
	cmp -s "$TMP/a/$f" "$TMP/b/$f" ||
		{ diff "$TMP/a/$f" "$TMP/b/$f" | head -5 >&2; fail "$f differs between flat out and pace 1"; }
done
python3 - "$TMP/a/events.jsonl" "$TMP/b/events.jsonl" <<'PY' || fail "events differ between flat out and pace 1"
import json, sys
keep = {"spike", "retrain_started", "model_swap", "retrain_rejected", "retrain_failed"}
wall = {"time", "seconds", "dir"}
def ev(p):
    return [{k: v for k, v in e.items() if k not in wall}
            for e in map(json.loads, open(p)) if e["event"] in keep]
a, b = ev(sys.argv[1]), ev(sys.argv[2])
assert a == b, f"{a}\n!=\n{b}"
print(f"ok {len(a)} spike/retrain/swap events equal")
PY
echo "ok flat out ($((t1 - t0)) s, learning pass included) and pace 1 ($((t2 - t1)) s): identical files"

"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/c" --model "$model" --policy manual $OPTS \
	> "$TMP/c.out" 2>&1 || fail "manual replay: $(tail -5 "$TMP/c.out")"
! grep -q '"event":"\(retrain_started\|model_swap\)"' "$TMP/c/events.jsonl" || fail "manual policy retrained"
grep -q '^  retrains     0$' "$TMP/c.out" || fail "manual: $(grep retrains "$TMP/c.out")"
grep -q '"event":"spike"' "$TMP/c/events.jsonl" || fail "manual: the burst spike is missing"
echo "ok manual: spikes alert, nothing retrains"
echo PASS
