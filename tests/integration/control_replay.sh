#!/bin/sh
# weirctl replay end to end: a learning pass trains, validates and adopts the
# first model; the scoring pass leaves flows.csv, anomalies.jsonl,
# summary.csv and events.jsonl, whole lines only, with every flow counted in
# an interval. Then the same captures with that model at another pace give
# identical intervals and anomalies: event time, not wall time.
. "$(dirname "$0")/control_lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: weir needs root (DPDK vdevs)"; exit 77; }

"$WEIRGEN" "$WEIR_SRC/scripts/scenarios/demo.ini" -o "$TMP/cap.pcap" -d 30 -k 0.5 -q

"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/a" --interval 2 --policy manual > "$TMP/a.out" 2>&1 ||
	fail "replay: $(tail -5 "$TMP/a.out")"
cat "$TMP/a.out"
grep -q '"event":"model_adopted"' "$TMP/a/learn/events.jsonl" || fail "no model learned"
model=$(sed -n 's/^learned model version [0-9]*: //p' "$TMP/a.out")
[ -f "$model/bundle.json" ] || fail "learned bundle missing: $model"
for f in flows.csv anomalies.jsonl summary.csv events.jsonl; do
	[ -f "$TMP/a/$f" ] || fail "$f missing"
done
check_whole "$TMP/a" || fail "partial lines"
flows=$(sed -n 's/^  flows *//p' "$TMP/a.out")
anoms=$(sed -n 's/^  anomalies *//p' "$TMP/a.out")
[ "$(($(wc -l < "$TMP/a/flows.csv") - 1))" -eq "$flows" ] || fail "flows.csv does not hold $flows flows"
[ "$(wc -l < "$TMP/a/anomalies.jsonl")" -eq "$anoms" ] || fail "anomalies.jsonl does not hold $anoms"
[ "$anoms" -gt 0 ] || fail "no anomalies scored"
python3 - "$TMP/a" "$flows" "$anoms" <<'PY' || fail "summary totals"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/summary.csv")))
s = sum(int(r["sampled"]) for r in rows); a = sum(int(r["anomalies"]) for r in rows)
assert s == int(sys.argv[2]), f"intervals hold {s} of {sys.argv[2]} flows"
assert a == int(sys.argv[3]), f"intervals hold {a} of {sys.argv[3]} anomalies"
print(f"ok {len(rows)} intervals hold all {s} flows and {a} anomalies")
PY
echo "ok learning pass + scoring pass"

"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/b" --model "$model" --interval 2 --policy manual --pace 3 \
	> "$TMP/b.out" 2>&1 || fail "paced replay: $(tail -5 "$TMP/b.out")"
cmp -s "$TMP/a/summary.csv" "$TMP/b/summary.csv" ||
	{ diff "$TMP/a/summary.csv" "$TMP/b/summary.csv" | head -5 >&2; fail "intervals differ between flat out and pace 3"; }
sort "$TMP/a/anomalies.jsonl" > "$TMP/a.s"; sort "$TMP/b/anomalies.jsonl" > "$TMP/b.s"
cmp -s "$TMP/a.s" "$TMP/b.s" || fail "anomalies differ between flat out and pace 3"
echo "ok flat out and pace 3: identical summary.csv and anomalies.jsonl"

set +e
"$WEIRCTL" replay "$TMP/nonexistent.pcap" -o "$TMP/c" 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q "nonexistent.pcap" "$TMP/err" || fail "missing capture: $rc $(cat "$TMP/err")"

# weir-control dies mid-replay: weir, held at a lockstep point with nobody
# to move it on, is stopped, and replay fails saying why (it used to wait
# for ever).
"$WEIRCTL" replay "$TMP/cap.pcap" -o "$TMP/d" --model "$model" --interval 2 --pace 1 \
	> "$TMP/d.out" 2>&1 &
rp=$!
for i in $(seq 100); do
	[ -s "$TMP/d/flows.csv" ] && break
	sleep 0.1
done
cpid=$(pgrep -f "^[^ ]*weir-control .*$TMP/d" | head -1)
[ -n "$cpid" ] || fail "no weir-control for the paced replay"
kill -KILL "$cpid"
for i in $(seq 100); do
	kill -0 $rp 2>/dev/null || break
	sleep 0.1
done
if kill -0 $rp 2>/dev/null; then
	kill -INT $rp
	pkill -INT -f "^[^ ]*/weir .*$TMP/d"   # held: nothing else would stop it
	fail "replay still running 10 s after weir-control died"
fi
set +e
wait $rp; rc=$?
set -e
[ $rc -eq 1 ] || fail "replay with a dead weir-control exited $rc"
grep -q "weir-control exited (signal 9)" "$TMP/d.out" || fail "no word of weir-control's death: $(cat "$TMP/d.out")"
! pgrep -f "^[^ ]*/weir .*$TMP/d" >/dev/null || fail "weir left running"
echo "ok a dead weir-control stops the replay"
echo PASS
