#!/bin/sh
# Bad configuration: weir exits non-zero with exactly one error line that
# names the setting (or input) and what to change. Lines DPDK itself prints
# (TELEMETRY/EAL) and weir's warnings do not count as error lines.
. "$(dirname "$0")/dpdk_lib.sh"

n=0
ls /var/run/dpdk 2>/dev/null | grep "^weir-" | sort > "$TMP/dirs.before" || true
# expect_error NAME PATTERN ARGS...: runs weir -q ARGS
expect_error() {
	name=$1; pat=$2; shift 2
	if "$WEIR" -q "$@" >"$TMP/out" 2>"$TMP/err"; then
		fail "$name: weir exited 0"
	fi
	errs=$(grep '^weir: ' "$TMP/err" | grep -v '^weir: warning: ' || true)
	[ "$(printf '%s\n' "$errs" | grep -c .)" -eq 1 ] || { cat "$TMP/err" >&2; fail "$name: expected one error line"; }
	printf '%s\n' "$errs" | grep -q -- "$pat" || fail "$name: error does not say '$pat': $errs"
	if grep -v '^weir: ' "$TMP/err" | grep -v '^TELEMETRY: No legacy callbacks' | grep -q .; then
		cat "$TMP/err" >&2; fail "$name: other output on stderr"
	fi
	echo "ok $name: $errs"
	n=$((n + 1))
}
conf() { printf "$1" > "$TMP/c.conf"; echo "$TMP/c.conf"; }

expect_error "unknown port" "unknown port 'c'" -c "$(conf '[eal]\nhugepages = no\n[port a]\ndev = net_null0\n[port b]\ndev = net_null1\n[mode]\nmode = inline\npairs = a:c\n')"
if ! grep -q . /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null ||
   [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)" = 0 ]; then
	expect_error "hugepages = yes without hugepages" "hugepages = yes" -c "$(conf '[eal]\nhugepages = yes\n[port a]\ndev = net_null0\n')"
else
	echo "skip hugepages = yes case: this host has free hugepages"
fi
expect_error "workers above queues" "needs 2 TX queues" -c "$(conf "[eal]\nhugepages = no\n[port a]\ndev = net_null0\n[port b]\ndev = net_pcap1,tx_pcap=$TMP/x.pcap\n[mode]\nmode = inline\npairs = a:b\n[workers]\ncount = 2\n")"
expect_error "unreadable capture" "/nonexistent/x.pcap" --no-huge --pcap /nonexistent/x.pcap
expect_error "not a capture" "unknown file format" --no-huge --pcap "$TMP/c.conf"
expect_error "bad value" "c.conf:4: \[workers\] count = '0'" -c "$(conf '[eal]\nhugepages = no\n[workers]\ncount = 0\n[port a]\ndev = net_null0\n')"
expect_error "unknown setting" "unknown setting" -c "$(conf '[flows]\ncolour = red\n')"
expect_error "missing dev" "dev is missing" -c "$(conf '[eal]\nhugepages = no\n[port wan]\nrx_desc = 512\n')"
expect_error "mtu out of range" "mtu = '70000': expected auto or an MTU from 68" -c "$(conf '[eal]\nhugepages = no\n[port a]\ndev = net_null0\nmtu = 70000\n')"
expect_error "mtu above the device's" "\[port a\] mtu = 9000: net_af_packet allows [0-9]* to 1500" -c "$(conf '[eal]\nhugepages = no\n[port a]\ndev = net_af_packet0,iface=lo\nmtu = 9000\n')"
expect_error "bad descriptors" "rx_desc = '100'" -c "$(conf '[port wan]\ndev = net_null0\nrx_desc = 100\n')"
expect_error "unknown vdev driver" "net_bogus" -c "$(conf '[eal]\nhugepages = no\n[port a]\ndev = net_bogus0\n')"
expect_error "absent PCI device" "no such DPDK port" -c "$(conf '[eal]\nhugepages = no\n[port a]\ndev = 0000:99:00.0\n')"
expect_error "no ports" "no ports" -c "$(conf '[workers]\ncount = 1\n')"
expect_error "--pcap with ports" "replays captures only" -c "$(conf '[port wan]\ndev = net_null0\n')" --pcap "$TRACES/http/get.pcap"
expect_error "unreadable config" "cannot read the configuration" -c /nonexistent/weir.conf
expect_error "bad option" "--workers 'x'" --workers x --pcap "$TRACES/http/get.pcap"
expect_error "bench lengths unknown" "--bench-lengths 'long': expected short" --no-huge --bench-mix 10 --bench-lengths long
expect_error "bench lengths without the mix" "--bench-lengths shapes the flows of --bench-mix" --no-huge --bench-synthetic 10 --bench-lengths unsw
# No runtime directory left behind by the runs that got as far as the EAL.
ls /var/run/dpdk 2>/dev/null | grep "^weir-" | sort > "$TMP/dirs.after" || true
left=$(comm -13 "$TMP/dirs.before" "$TMP/dirs.after" | grep -v "^weir-$$" || true)
# (another weir started meanwhile would show up too: only ones that stay)
sleep 1
for d in $left; do [ -d "/var/run/dpdk/$d" ] && [ ! -d "/proc/${d#weir-}" ] && fail "runtime directory /var/run/dpdk/$d left behind"; done
# The shipped configurations are valid.
for f in "$WEIR_SRC"/configs/weir-span.conf "$WEIR_SRC"/configs/weir-inline.conf "$WEIR_SRC"/configs/weir-replay.conf; do
	"$WEIR" -c "$f" --pcap /dev/null --check >/dev/null 2>"$TMP/err" ||
		"$WEIR" -c "$f" --check >/dev/null 2>"$TMP/err" || fail "$f: $(cat "$TMP/err")"
	echo "ok shipped $(basename "$f") passes --check"
done
echo "PASS: $n bad configurations refused"
