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
cleanup() {
	rc=$?
	# Commands registered by the test (kill its background processes,
	# delete namespaces), newest first.
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
