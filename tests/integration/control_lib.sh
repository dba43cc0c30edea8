# Shared by the control_*.sh integration tests (sourced, not run): paths,
# a temp dir removed by a trap, weir-control with a private instance, and
# checks on the alert files.
set -eu

: "${WEIR_BUILD:?run through meson test}"
: "${WEIR_SRC:?run through meson test}"
WEIR="$WEIR_BUILD/dataplane/dpdk/weir"
CONTROL="$WEIR_BUILD/control/daemon/weir-control"
WEIRCTL="$WEIR_BUILD/control/weirctl/weirctl"
WEIRGEN="$WEIR_BUILD/scripts/trafficgen/weir-gen"

TMP=$(mktemp -d /tmp/weir-control-test.XXXXXX)
NAME="ctltest-$$"
export WEIR_CONTROL_SOCKET="$TMP/control.sock"
cleanup() {
	rc=$?
	for j in $(jobs -p); do kill -9 "$j" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# what the killed jobs started (weirctl replay's weir and weir-control)
	pkill -9 -f "$TMP/" 2>/dev/null || true
	rm -f "/dev/shm/weir-$NAME"
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }

# weir-control in the background with test paths; extra --set arguments follow.
start_control() {
	"$CONTROL" --set control.socket="$TMP/control.sock" --set control.instance="$NAME" \
		--set control.dataplane_socket="$TMP/weir.sock" --set alerts.dir="$TMP/alerts" \
		--set retrain.model_dir="$TMP/models" --set control.sample_rate=1 "$@" \
		2>>"$TMP/control.err" &
	CONTROL_PID=$!
	i=0
	while ! "$WEIRCTL" status >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "weir-control did not come up: $(tail -3 "$TMP/control.err")"
		kill -0 $CONTROL_PID 2>/dev/null || fail "weir-control exited: $(tail -3 "$TMP/control.err")"
		sleep 0.1
	done
}

# Field of `weirctl status --json` (python expression over `s`).
status() {
	"$WEIRCTL" status --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

# Wait up to $2 s for the status expression $1 to print True.
wait_status() {
	i=0
	while [ "$(status "$1" 2>/dev/null || echo False)" != True ]; do
		i=$((i + 1))
		[ $i -lt $(($2 * 10)) ] || fail "timed out waiting for: $1"
		sleep 0.1
	done
}

# Every alert file holds only whole records: newline-terminated lines, JSON
# objects in the .jsonl files, 9 columns in summary.csv.
check_whole() {
	python3 - "$1" <<'PY'
import csv, glob, json, os, sys
d = sys.argv[1]
bad = []
for p in sorted(glob.glob(os.path.join(d, "*.jsonl*")) + glob.glob(os.path.join(d, "summary.csv*"))):
    data = open(p, "rb").read()
    if data and not data.endswith(b"\n"):
        bad.append(f"{p}: last line is partial")
    lines = data.decode().splitlines()
    if "summary.csv" in p:
        for i, row in enumerate(csv.reader(lines)):
            if len(row) != 9:
                bad.append(f"{p}:{i+1}: {len(row)} columns")
    else:
        for i, l in enumerate(lines):
            try:
                if not isinstance(json.loads(l), dict):
                    raise ValueError
            except ValueError:
                bad.append(f"{p}:{i+1}: not a JSON object")
if bad:
    print("\n".join(bad[:5]))
    sys.exit(1)
PY
}
