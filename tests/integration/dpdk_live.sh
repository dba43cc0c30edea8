#!/bin/sh
# Live traffic through network namespaces and veth pairs:
#  1. span, net_af_packet (1 worker reading the queue, 2 workers through
#     the main lcore's software RSS): tcpreplay from another namespace; weir's flows
#     equal `weirctl extract` on the capture in every column that does not
#     depend on when frames arrived (identity, state, bytes, packets, TTLs,
#     loss, service, windows, sequence bases, mean sizes, HTTP/FTP content);
#  2. the same through the libpcap fallback ([port] type = pcap-live);
#  3. inline through two veth pairs: ping and a 2 MB TCP transfer between
#     two namespaces succeed through weir, byte for byte.
. "$(dirname "$0")/dpdk_lib.sh"

ip netns list >/dev/null 2>&1 || { echo "SKIP: no ip netns"; exit 77; }
CAP="$TRACES/wikipedia.pcap"
# Columns compared (see the header): timing-free ones.
COLS="1-6,8-14,17-26,36-40"
id=$$
NS1="wdpdk$id-1"; NS2="wdpdk$id-2"
on_exit "ip netns del $NS1; ip netns del $NS2; ip link del wd${id}a; ip link del wd${id}b"

ip netns add "$NS1"
ip netns add "$NS2"
# pair a: NS1's wd<id>n1 <-> weir's wd<id>a; pair b: weir's wd<id>b <-> NS2's wd<id>n2
ip link add "wd${id}a" type veth peer name "wd${id}n1"
ip link add "wd${id}b" type veth peer name "wd${id}n2"
ip link set "wd${id}n1" netns "$NS1"
ip link set "wd${id}n2" netns "$NS2"
for dev in "wd${id}a" "wd${id}b"; do
	sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
	ip link set "$dev" up
done
ip netns exec "$NS1" sysctl -qw "net.ipv6.conf.wd${id}n1.disable_ipv6=1"
ip netns exec "$NS2" sysctl -qw "net.ipv6.conf.wd${id}n2.disable_ipv6=1"
ip netns exec "$NS1" ip link set "wd${id}n1" up
ip netns exec "$NS2" ip link set "wd${id}n2" up

"$WEIRCTL" extract "$CAP" -o "$TMP/ex.csv" -q
nframes=$(capinfos -c -M "$CAP" | awk '/Number of packets/ {print $NF}')

span_run() {   # $1 = label, $2 = [port] section body, $3 = workers
	cat > "$TMP/span.conf" <<CONF
[eal]
hugepages = no
[port live]
$2
[workers]
count = $3
[output]
flow_log = $TMP/flows.csv
[control]
socket = $TMP/ctl.sock
CONF
	rm -f "$TMP/flows.csv"
	"$WEIR" -c "$TMP/span.conf" 2>"$TMP/weir.err" &
	pid=$!; track $pid
	wait_stats "$TMP/ctl.sock" "True" 60 || { cat "$TMP/weir.err" >&2; fail "$1: weir did not come up"; }
	ip netns exec "$NS1" tcpreplay -q -i "wd${id}n1" --mbps 50 "$CAP" >"$TMP/tcpreplay.out" 2>&1 ||
		fail "$1: tcpreplay: $(cat "$TMP/tcpreplay.out")"
	wait_stats "$TMP/ctl.sock" "s['totals']['rx'] >= $nframes" 30 || fail "$1: weir did not receive all $nframes frames"
	kill -TERM $pid
	wait_bg $pid || fail "$1: weir exited with $?: $(tail -3 "$TMP/weir.err")"
	tail -n +2 "$TMP/ex.csv" | cut -d, -f"$COLS" | sort > "$TMP/a"
	tail -n +2 "$TMP/flows.csv" | cut -d, -f"$COLS" | sort > "$TMP/b"
	cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" | head -6 >&2; fail "$1: live flows differ from extract"; }
	echo "ok $1: $nframes frames replayed live, $(wc -l < "$TMP/b") flows equal extract"
}

span_run "span net_af_packet, 1 worker" "dev = net_af_packet0,iface=wd${id}a" 1
# 2 workers: af_packet has one queue and no RSS: software RSS on the main lcore
span_run "span net_af_packet, 2 workers" "dev = net_af_packet0,iface=wd${id}a" 2
span_run "span pcap-live, 2 workers" "type = pcap-live
dev = wd${id}a" 2

# 3. inline: NS1 10.77.$x.1 <-> weir (a <-> b) <-> NS2 10.77.$x.2, one L2 segment.
x=$((id % 250))
ip netns exec "$NS1" ip addr add "10.77.$x.1/24" dev "wd${id}n1"
ip netns exec "$NS2" ip addr add "10.77.$x.2/24" dev "wd${id}n2"
# Frames from a veth carry unfinished checksums (offload): finish them in
# the sender, since weir forwards frames as they are.
ip netns exec "$NS1" ethtool -K "wd${id}n1" tx off >/dev/null
ip netns exec "$NS2" ethtool -K "wd${id}n2" tx off >/dev/null
cat > "$TMP/inline.conf" <<CONF
[eal]
hugepages = no
[port a]
dev = net_af_packet0,iface=wd${id}a
[port b]
dev = net_af_packet1,iface=wd${id}b
[mode]
mode = inline
pairs = a:b
[workers]
count = 1
[output]
flow_log = $TMP/inline.csv
[control]
socket = $TMP/ctl.sock
CONF
"$WEIR" -c "$TMP/inline.conf" 2>"$TMP/weir.err" &
pid=$!; track $pid
wait_stats "$TMP/ctl.sock" "True" 60 || { cat "$TMP/weir.err" >&2; fail "inline: weir did not come up"; }
# ping (ICMP echo over a raw socket: iputils is not installed everywhere)
ip netns exec "$NS1" python3 -c "
import os, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(2)
ok = 0
for seq in range(1, 4):
    body = struct.pack('!BBHHH', 8, 0, 0, os.getpid() & 0xffff, seq) + b'weir-ping-test!!'
    body = body[:2] + struct.pack('!H', csum(body)) + body[4:]
    s.sendto(body, ('10.77.$x.2', 0))
    end = time.time() + 2
    while time.time() < end:
        try: pkt, addr = s.recvfrom(2048)
        except socket.timeout: break
        icmp = pkt[(pkt[0] & 15) * 4:]
        if icmp[0] == 0 and struct.unpack('!H', icmp[6:8])[0] == seq:
            ok += 1; break
print('%d/3 echo replies' % ok)
sys.exit(0 if ok == 3 else 1)
" >"$TMP/ping.out" 2>&1 || fail "inline: ping through weir failed: $(tail -2 "$TMP/ping.out")"
head -c 2000000 /dev/urandom > "$TMP/payload"
ip netns exec "$NS2" python3 -c "
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.77.$x.2', 5001)); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.settimeout(30)
with open('$TMP/received', 'wb') as f:
    while True:
        b = c.recv(65536)
        if not b: break
        f.write(b)
" &
srv=$!; track $srv
sleep 0.5
ip netns exec "$NS1" python3 -c "
import socket, time
for i in range(50):
    try:
        s = socket.create_connection(('10.77.$x.2', 5001), timeout=10); break
    except OSError: time.sleep(0.1)
s.sendall(open('$TMP/payload', 'rb').read()); s.close()
" || fail "inline: TCP client failed"
wait_bg $srv || fail "inline: TCP server failed"
cmp -s "$TMP/payload" "$TMP/received" || fail "inline: the TCP transfer through weir arrived damaged or short"
ctl "$TMP/ctl.sock" '{"cmd":"stop"}' >/dev/null
wait_bg $pid || fail "inline: weir exited with $?"
grep -q ",10.77.$x.2,5001,tcp," "$TMP/inline.csv" || fail "inline: the TCP flow is not in weir's flow log"
echo "ok inline: ping and a 2 MB TCP transfer through weir; $(grep -c . "$TMP/inline.csv") lines in its flow log"
echo PASS
