#!/bin/sh
# The Argus oracle: the acceptance test of the flow engine.
#
#   argus_oracle.sh WEIRCTL ARGUS_COMPARE CAPTURE_LIST ARGUS_CONF [WEIR_GEN SCENARIO]
#
# With WEIR_GEN and SCENARIO, a capture of our own traffic generator (the
# scenario's first 24 s: normal traffic and a SYN scan) is compared too:
# Argus must agree with us on what we generate as it does on real captures.
# (Not the UDP scan that follows: Argus stretches a UDP probe's last time to
# the ICMP port-unreachable that answers it; doc/features.md.)
#
# For every capture in CAPTURE_LIST (paths under $WEIR_SHARED/pcaps, one per
# line, optionally followed by a comma list of features not asserted for it,
# then "# why"), runs Argus 3.0.8 (argus -> racluster -> ra) and
# `weirctl extract`, then argus_compare matches the flows and prints the
# per-feature match table. Exit status: argus_compare's (0 pass, 1 fail),
# 77 (skip) when the Argus tools are not installed.
set -eu

if [ $# -ne 4 ] && [ $# -ne 6 ]; then
	echo "usage: $0 WEIRCTL ARGUS_COMPARE CAPTURE_LIST ARGUS_CONF [WEIR_GEN SCENARIO]" >&2
	exit 2
fi
weirctl=$1 compare=$2 list=$3 conf=$4
gen=${5:-} scenario=${6:-}
pcaps=${WEIR_SHARED:?WEIR_SHARED must name the shared data directory}/pcaps

for tool in argus racluster ra; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "argus-oracle: $tool not installed (argus-server/argus-client 3.0.8); skipping" >&2
		exit 77
	fi
done
[ -r "$list" ] || { echo "argus-oracle: cannot read capture list $list" >&2; exit 2; }
[ -r "$conf" ] || { echo "argus-oracle: cannot read Argus configuration $conf" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/argus-oracle.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
manifest=$work/manifest
: >"$manifest"

# ra's fields, in the order argus_compare expects by name.
fields="stime ltime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes
sttl dttl sloss dloss sload dload swin dwin stcpb dtcpb smeansz dmeansz sjit djit
sintpkt dintpkt tcprtt synack ackdat"

# run_one NAME CAPTURE EXCEPTIONS: Argus and us on one capture, into the
# manifest.
n=0
run_one() {
	name=$1 src=$2 exc=$3
	n=$((n + 1))
	base=$work/$n
	# argus appends to an existing output file: each run gets a fresh name.
	if ! argus -F "$conf" -r "$src" -w "$base.argus" 2>"$base.argus.err"; then
		echo "argus-oracle: argus failed on $name:" >&2
		cat "$base.argus.err" >&2
		exit 2
	fi
	# One record per flow. The status interval (argus.conf) outlasts every
	# listed capture, so Argus writes no status records. TCP records are
	# read as Argus wrote them. Other protocols go through racluster: Argus
	# cuts a DNS exchange into one record per query/answer and an ICMP echo
	# flow into one per request, and racluster merges those back (as it
	# would merge status records). Not TCP through racluster: it merges
	# connections that reuse a 5-tuple (Argus and we keep them apart), and
	# it moves a TCP record with only destination packets onto the source
	# side (a lone ACK from port 80: 0/1 becomes 1/0 with the server's TTL
	# as sttl).
	racluster -r "$base.argus" -w "$base.rac" 2>/dev/null
	# (ra exits 1 when its filter matches no record: not an error here)
	# shellcheck disable=SC2086
	ra -r "$base.argus" -n -u -c , -p 6 -s $fields - tcp >"$base.ra.tcp" 2>/dev/null || :
	# shellcheck disable=SC2086
	ra -r "$base.rac" -n -u -c , -p 6 -s $fields - not tcp and not man \
		>"$base.ra.other" 2>/dev/null || :
	cat "$base.ra.tcp" "$base.ra.other" | awk 'NR == 1 || !/^StartTime,/' >"$base.ra.csv"
	if [ ! -s "$base.ra.csv" ] && ra -r "$base.argus" -n - not man >/dev/null 2>&1; then
		echo "argus-oracle: ra could not read Argus's output for $name" >&2
		exit 2
	fi
	# Timeouts as Argus's: it keeps a TCP flow that saw a FIN for the full
	# TCP timeout (only a completed close shortens it), so the closed grace
	# is the TCP timeout here; no active-timeout slicing.
	if ! "$weirctl" extract "$src" -o "$base.weir.csv" -x -q --no-content \
		--active-timeout 0 --closed-timeout 300 2>"$base.weir.err"; then
		echo "argus-oracle: weirctl extract failed on $name:" >&2
		cat "$base.weir.err" >&2
		exit 2
	fi
	printf '%s\t%s\t%s\t%s\n' "$name" "$base.ra.csv" "$base.weir.csv" "$exc" >>"$manifest"
}

# shellcheck disable=SC2034
while read -r cap exc rest; do
	case $cap in ''|'#'*) continue ;; esac
	case $exc in ''|'#'*) exc=- ;; esac
	if [ ! -r "$pcaps/$cap" ]; then
		echo "argus-oracle: capture $pcaps/$cap listed in $list is missing" >&2
		exit 2
	fi
	run_one "$cap" "$pcaps/$cap" "$exc"
done <"$list"

# Corner cases no shared capture has (TCP flag combinations, every ICMP
# type/code), written by argus_compare itself.
"$compare" --write-scenarios "$work/scenarios.pcap"
run_one "(crafted scenarios)" "$work/scenarios.pcap" -

if [ -n "$gen" ]; then
	"$gen" "$scenario" -o "$work/generated.pcap" --duration 24 -q
	run_one "(weir-gen $(basename "$scenario"), 24 s)" "$work/generated.pcap" -
fi

echo "argus-oracle: $n captures ($list and the crafted scenarios)"
"$compare" "$manifest"
