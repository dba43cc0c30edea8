# Shared by the dpdk_*.sh integration tests (sourced, not run).
# Every test: root (DPDK vdevs, namespaces), no hugepages (weir --no-huge),
# its own temp dir removed by a trap even on failure.
set -eu

: "${WEIR_BUILD:?run through meson test}"
: "${WEIR_SHARED:?run through meson test}"
WEIR="$WEIR_BUILD/dataplane/dpdk/weir"
WEIRCTL="$WEIR_BUILD/control/weirctl/weirctl"
SHMCAT="$WEIR_BUILD/dataplane/shm/weir-shmcat"
TRACES="$WEIR_SHARED/pcaps/zeek/Traces"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (DPDK vdevs, network namespaces)"
	exit 77
fi

TMP=$(mktemp -d /tmp/weir-dpdk-test.XXXXXX)
CLEANUP_CMDS=""
BG_PIDS=""
# Remember a background process we started (call right after `cmd &`).
track() { BG_PIDS="$BG_PIDS $1"; }
# Wait for a tracked process and forget it (its pid may be reused later).
wait_bg() {
	_rc=0
	wait "$1" || _rc=$?
	BG_PIDS=$(echo " $BG_PIDS " | sed "s/ $1 / /")
	return $_rc
}
cleanup() {
	rc=$?
	# Our own background processes still running (weir, consumers,
	# servers), then what the test registered (namespaces...).
	for p in $BG_PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $BG_PIDS; do wait "$p" 2>/dev/null || true; done
	eval "$CLEANUP_CMDS" 2>/dev/null || true
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT INT TERM
on_exit() { CLEANUP_CMDS="$1; $CLEANUP_CMDS"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

# Records without their header, sorted: the comparison extract/weir uses.
sorted() { tail -n +2 "$1" | sort; }
# Same, first N columns only.
sorted_cols() { tail -n +2 "$1" | cut -d, -f1-"$2" | sort; }

# weir's command socket: send one JSON line, print the reply line.
ctl() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode())
PY
}

# Wait (up to $3 s) until the socket $1 answers and the python expression
# $2 over the stats object `s` is true.
wait_stats() {
	python3 - "$1" "$2" "${3:-60}" <<'PY'
import json, socket, sys, time
path, expr, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
end = time.time() + limit
last = None
while time.time() < end:
    try:
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(5)
        c.connect(path)
        c.sendall(b'{"cmd":"stats"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = c.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        c.close()
        last = json.loads(buf)["stats"]
        if eval(expr, {"s": last}):
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.2)
print("timed out waiting for: %s; last stats: %s" % (expr, json.dumps(last)[:800]), file=sys.stderr)
sys.exit(1)
PY
}

# Frames of pcap files, grouped per flow (unordered IP pair + ports when
# unfragmented TCP/UDP), in file order; OUT files concatenated per flow.
# Exit 0 when every flow's frame sequence is identical.
same_frames_per_flow() {
	python3 - "$@" <<'PY'
import struct, sys
def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d): e = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1): e = ">"
    else: raise SystemExit("%s: not a pcap file" % path)
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl
def key(fr):
    i, et = 14, fr[12:14]
    while et in (b"\x81\x00", b"\x88\xa8") and len(fr) >= i + 4:
        et, i = fr[i + 2:i + 4], i + 4
    if et == b"\x08\x00" and len(fr) >= i + 20:
        a, b = fr[i + 12:i + 16], fr[i + 16:i + 20]
        return tuple(sorted([a, b]))
    if et == b"\x86\xdd" and len(fr) >= i + 40:
        a, b = fr[i + 8:i + 24], fr[i + 24:i + 40]
        return tuple(sorted([a, b]))
    return ("other",)
ins, outs = sys.argv[1].split(","), sys.argv[2].split(",")
want, got = {}, {}
for p in ins:
    for fr in frames(p): want.setdefault(key(fr), []).append(fr)
for p in outs:
    per = {}
    for fr in frames(p): per.setdefault(key(fr), []).append(fr)
    for k, v in per.items():
        if k in got and k != ("other",):
            raise SystemExit("flow %r split over two output queues" % (k,))
        got.setdefault(k, []).extend(v)
n_in = sum(len(v) for v in want.values())
n_out = sum(len(v) for v in got.values())
if n_in != n_out:
    raise SystemExit("%d frames in, %d out" % (n_in, n_out))
for k in want:
    if k == ("other",):
        if sorted(want[k]) != sorted(got.get(k, [])):
            raise SystemExit("non-IP frames differ")
    elif want[k] != got.get(k):
        raise SystemExit("flow %r: frames differ or are reordered" % (k,))
print("%d frames, %d address pairs: identical per flow and in order" % (n_in, len(want)))
PY
}

# DPDK telemetry of weir process $1 (runtime dir weir-<pid>): print the
# reply to command $2 (what dpdk-telemetry.py would show).
telemetry() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect("/var/run/dpdk/weir-%s/dpdk_telemetry.v2" % sys.argv[1])
s.recv(1024)
s.send(sys.argv[2].encode())
print(s.recv(1 << 16).decode())
PY
}
