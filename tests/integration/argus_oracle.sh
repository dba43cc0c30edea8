#!/bin/sh
# The Argus oracle: the acceptance test of the flow engine.
#
#   argus_oracle.sh WEIRCTL ARGUS_COMPARE CAPTURE_LIST ARGUS_CONF
#
# For every capture in CAPTURE_LIST (paths under $WEIR_SHARED/pcaps, one per
# line, optionally followed by a comma list of features not asserted for it,
# then "# why"), runs Argus 3.0.8 (argus -> racluster -> ra) and
# `weirctl extract`, then argus_compare matches the flows and prints the
# per-feature match table. Exit status: argus_compare's (0 pass, 1 fail),
# 77 (skip) when the Argus tools are not installed.
set -eu

if [ $# -ne 4 ]; then
	echo "usage: $0 WEIRCTL ARGUS_COMPARE CAPTURE_LIST ARGUS_CONF" >&2
	exit 2
fi
weirctl=$1 compare=$2 list=$3 conf=$4
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

n=0
# shellcheck disable=SC2034
while read -r cap exc rest; do
	case $cap in ''|'#'*) continue ;; esac
	case $exc in ''|'#'*) exc=- ;; esac
	src=$pcaps/$cap
	if [ ! -r "$src" ]; then
		echo "argus-oracle: capture $src listed in $list is missing" >&2
		exit 2
	fi
	n=$((n + 1))
	base=$work/$n
	# argus appends to an existing output file: each run gets a fresh name.
	if ! argus -F "$conf" -r "$src" -w "$base.argus" 2>"$base.argus.err"; then
		echo "argus-oracle: argus failed on $cap:" >&2
		cat "$base.argus.err" >&2
		exit 2
	fi
	# One record per flow. The status interval (argus.conf) outlasts every
	# listed capture, so Argus writes no status records; but it cuts a DNS
	# exchange into one record per query/answer and an ICMP echo flow into
	# one per request, and racluster merges those back into the flow (as it
	# would merge status records). racluster also merges two TCP
	# connections that reuse a 5-tuple, which Argus itself keeps apart (as
	# we do): doc/features.md. Unmerged records would not do either: ra
	# prints a turned-round TCP record's loads the wrong way round.
	racluster -r "$base.argus" -w "$base.rac" 2>/dev/null
	# (ra exits 1 when its filter matches no record: not an error here)
	# shellcheck disable=SC2086
	ra -r "$base.rac" -n -u -c , -p 6 -s $fields - not man >"$base.ra.csv" 2>/dev/null || :
	if [ ! -s "$base.ra.csv" ] && ra -r "$base.argus" -n - not man >/dev/null 2>&1; then
		echo "argus-oracle: ra could not read Argus's output for $cap" >&2
		exit 2
	fi
	if ! "$weirctl" extract "$src" -o "$base.weir.csv" -x -q --no-content \
		--active-timeout 0 --closed-timeout 300 2>"$base.weir.err"; then
		echo "argus-oracle: weirctl extract failed on $cap:" >&2
		cat "$base.weir.err" >&2
		exit 2
	fi
	printf '%s\t%s\t%s\t%s\n' "$cap" "$base.ra.csv" "$base.weir.csv" "$exc" >>"$manifest"
done <"$list"

echo "argus-oracle: $n captures from $list"
"$compare" "$manifest"
