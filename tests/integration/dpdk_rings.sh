#!/bin/sh
# Records to weir-control through the shm rings, read by weir-shmcat: a
# second process that never initialises the EAL.
#  1. A consumer that keeps up receives every record: with sample_rate 1
#     every flow is sampled, so what it printed equals the flow log.
#  2. A stalled consumer: the rings (64 slots, 63 usable) fill, the
#     dataplane never waits, and the drop count is exact: delivered +
#     dropped = records, and weir's "ring full" equals the header's count.
. "$(dirname "$0")/dpdk_lib.sh"

CAP="$TRACES/nmap-vsn.pcap"     # 263 flows over 2.4 s
NAME="test-$$"
on_exit "rm -f /dev/shm/weir-$NAME"

# 1. keeping up, 2 workers
"$SHMCAT" "$NAME" --wait 60 --stats > "$TMP/shm.csv" 2>"$TMP/shm.err" &
cat_pid=$!; track $cat_pid
"$WEIR" --no-huge --pcap "$CAP" --pace 2 --workers 2 --shm "$NAME" --sample-rate 1 \
	--flow-log "$TMP/flows.csv" --extra 2>"$TMP/weir.err" || fail "weir: $(tail -3 "$TMP/weir.err")"
wait_bg $cat_pid || fail "weir-shmcat: $(cat "$TMP/shm.err")"
n=$(($(wc -l < "$TMP/flows.csv") - 1))
[ "$n" -gt 200 ] || fail "only $n flows in the flow log"
sorted "$TMP/flows.csv" > "$TMP/a"; sorted "$TMP/shm.csv" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head -4 >&2; fail "consumer did not receive exactly the flow log's $n records"; }
grep -q "dropped [1-9]" "$TMP/shm.err" && fail "drops while the consumer kept up: $(cat "$TMP/shm.err")"
echo "ok keeping up: $n records, all received, none dropped"

# 2. stalled consumer, 1 worker, 64-slot rings
cat > "$TMP/stall.conf" <<CONF
[eal]
hugepages = no
[output]
shm = $NAME
shm_slots = 64
sample_rate = 1
CONF
"$SHMCAT" "$NAME" --wait 60 --stall --stats > "$TMP/shm.csv" 2>"$TMP/shm.err" &
cat_pid=$!; track $cat_pid
"$WEIR" -c "$TMP/stall.conf" --pcap "$CAP" --pace 2 --workers 1 --flow-log "$TMP/flows.csv" --extra 2>"$TMP/weir.err" ||
	fail "weir: $(tail -3 "$TMP/weir.err")"
wait_bg $cat_pid || fail "weir-shmcat: $(cat "$TMP/shm.err")"
n=$(($(wc -l < "$TMP/flows.csv") - 1))
got=$(($(wc -l < "$TMP/shm.csv") - 1))
line=$(grep "ring 0/sample" "$TMP/shm.err") || fail "no ring stats: $(cat "$TMP/shm.err")"
enq=$(echo "$line" | awk '{print $4}'); drop=$(echo "$line" | awk '{print $6}'); deq=$(echo "$line" | awk '{print $8}')
[ "$enq" -eq 63 ] || fail "a stalled 64-slot ring took $enq records, expected 63"
[ "$got" -eq "$enq" ] && [ "$deq" -eq "$enq" ] || fail "consumer printed $got, dequeued $deq, producer enqueued $enq"
[ $((enq + drop)) -eq "$n" ] || fail "enqueued $enq + dropped $drop != $n records"
wfull=$(sed -n 's/.*ring full \([0-9]*\) (anomaly) \([0-9]*\) (sample).*/\2/p' "$TMP/weir.err")
[ "$wfull" = "$drop" ] || fail "weir reports ring full $wfull, the shm header $drop"
# The records that got through are the first 63 the worker finished.
head -64 "$TMP/flows.csv" | tail -n +2 | sort > "$TMP/a"; sorted "$TMP/shm.csv" > "$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || fail "the delivered records are not the first $enq the worker finished"
echo "ok stalled: $n records, $enq delivered, $drop dropped and counted exactly"
echo PASS
