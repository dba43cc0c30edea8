#!/bin/sh
# weirctl's live commands against weir-control (no dataplane needed):
# exit codes (0 ok, 1 error with one line, 2 usage), --help for each,
# --json output that parses, tables, alert rotation and tail, and one clear
# line when weir-control is not running.
. "$(dirname "$0")/control_lib.sh"

# not running: exit 1, one line naming the socket
set +e
out=$("$WEIRCTL" status 2>&1); rc=$?
set -e
[ $rc -eq 1 ] || fail "status without a daemon: exit $rc"
[ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || fail "more than one line: $out"
case "$out" in *"not running"*"$TMP/control.sock"*) ;; *) fail "unclear: $out" ;; esac
echo "ok stopped daemon: $out"

for c in status stats model retrain threshold alerts spikes; do
	"$WEIRCTL" $c --help | grep -q "^usage: weirctl $c" || fail "$c --help"
done
expect_usage() {
	set +e; "$WEIRCTL" "$@" >/dev/null 2>"$TMP/err"; rc=$?; set -e
	[ $rc -eq 2 ] || fail "weirctl $*: exit $rc, expected 2 ($(cat "$TMP/err"))"
}
expect_usage status extra
expect_usage model
expect_usage model frobnicate
expect_usage threshold set notanumber
expect_usage alerts tail -n 0
expect_usage alerts list -f
expect_usage spikes --bogus
echo "ok --help and usage errors"

start_control --set retrain.policy=manual
"$WEIRCTL" status | grep -q "^dataplane     not connected yet" || fail "status table"
"$WEIRCTL" status --json | python3 -c "import json,sys; s=json.load(sys.stdin); assert s['ok'] and s['model']['learning']"
"$WEIRCTL" stats --json | python3 -c "import json,sys; s=json.load(sys.stdin); assert s['totals']['anomalies']==0"
"$WEIRCTL" stats | grep -q "^alert files" || fail "stats table"
"$WEIRCTL" spikes | grep -q "no spikes" || fail "spikes"
"$WEIRCTL" model list | grep -q "no bundles" || fail "model list"
echo "ok status, stats, spikes, model list"

# errors from the daemon: exit 1 with its message
set +e
out=$("$WEIRCTL" model rollback 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "no previous model" || fail "rollback: $rc $out"
out=$("$WEIRCTL" retrain 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "min_train_flows" || fail "retrain: $rc $out"
out=$("$WEIRCTL" threshold get 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "is weir running" || fail "threshold: $rc $out"
out=$("$WEIRCTL" model load "$TMP" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "bundle.json" || fail "model load of a non-bundle: $rc $out"
set -e
echo "ok daemon errors reach the operator"

# rotation and tail
"$WEIRCTL" alerts rotate | grep -q rotated
[ -f "$TMP/alerts/events.jsonl.1" ] || fail "no events.jsonl.1 after rotate"
"$WEIRCTL" alerts list | grep -q "events.jsonl.1" || fail "alerts list"
"$WEIRCTL" alerts tail --file events -n 1 | grep -q '"event":"alerts_rotated"' || fail "tail"
"$WEIRCTL" alerts tail --file events -f > "$TMP/follow" &
tail_pid=$!
sleep 0.5
"$WEIRCTL" alerts rotate >/dev/null
"$WEIRCTL" alerts rotate >/dev/null
sleep 1
kill $tail_pid; wait $tail_pid 2>/dev/null || true
n=$(grep -c alerts_rotated "$TMP/follow" || true)
[ "$n" -ge 2 ] || fail "tail -f followed $n rotations: $(cat "$TMP/follow")"
check_whole "$TMP/alerts" || fail "partial lines"
echo "ok alerts rotate, list, tail, tail -f across rotations"

# malformed requests on the socket: errors, and the daemon stays up
python3 - "$TMP/control.sock" <<'PY'
import socket, sys
for req in [b"garbage\n", b'{"cmd":"nope"}\n', b"\xff\xfe\n", b"x" * 100000 + b"\n"]:
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
    s.sendall(req); s.shutdown(socket.SHUT_WR)
    buf = s.recv(4096)
    assert b'"ok":false' in buf, (req[:20], buf)
PY
"$WEIRCTL" status >/dev/null || fail "daemon died on garbage"
kill -TERM $CONTROL_PID; wait $CONTROL_PID
echo "ok garbage answered with errors"

# Kafka export from the daemon, against librdkafka's mock cluster: the
# events reach the brokers and are acknowledged
if "$CONTROL" --set kafka.enabled=true --set kafka.mock_brokers=1 --check >/dev/null 2>&1; then
	rm -rf "$TMP/alerts"
	start_control --set kafka.enabled=true --set kafka.mock_brokers=1
	"$WEIRCTL" alerts rotate >/dev/null
	i=0
	while [ "$("$WEIRCTL" stats --json | python3 -c "import json,sys; k=json.load(sys.stdin)['kafka']; print(k['delivered'] >= 2 and k['lost'] == 0)")" != True ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "kafka: $("$WEIRCTL" stats --json)"
		sleep 0.1
	done
	kill -TERM $CONTROL_PID; wait $CONTROL_PID
	echo "ok kafka: events delivered to the mock cluster"
fi
echo PASS
