/* Port bring-up, in the order of DPDK's examples/skeleton: look the device
 * up, size queues/descriptors/mempool from its limits, configure RSS with
 * the symmetric Toeplitz key and an explicit RETA, set up queues, start.
 * Requested vs granted settings are logged because drivers quietly clamp.
 *
 * A port whose driver cannot spread IP traffic over one RX queue per worker
 * (net_pcap, single-queue net_af_packet) gets one RX queue; the main lcore
 * reads it and hashes in software with the same key (rx.c), so a flow lands
 * on the same worker either way. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ether.h>
#include <rte_byteorder.h>
#include <rte_thash.h>
#include "weir.h"

/* Software RETA size: the same as 512-entry NIC tables (i40e, ice, mlx5).
 * With the RETA filled i % queues, NIC and software placement agree when
 * the worker count divides the NIC's table size. */
#define WEIR_SW_RETA 512

uint8_t weir_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the IP header and its version (4/6), or -1. Follows what a
 * NIC's parser follows: Ethernet with up to two VLAN tags. */
static int find_ip(const uint8_t *f, uint32_t len, int linktype, int *ver)
{
	uint32_t off = 0;
	uint16_t et;

	switch (linktype) {
	case WEIR_LINK_ETHERNET:
		if (len < 14)
			return -1;
		et = rd16(f + 12);
		off = 14;
		for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
			if (len < off + 4)
				return -1;
			et = rd16(f + off + 2);
			off += 4;
		}
		if (et == 0x0800) *ver = 4;
		else if (et == 0x86dd) *ver = 6;
		else return -1;
		return (int)off;
	case WEIR_LINK_SLL:
		if (len < 16) return -1;
		et = rd16(f + 14); off = 16;
		break;
	case WEIR_LINK_SLL2:
		if (len < 20) return -1;
		et = rd16(f); off = 20;
		break;
	case WEIR_LINK_NULL: case WEIR_LINK_LOOP:
		if (len < 5) return -1;
		off = 4;
		*ver = f[4] >> 4;
		return *ver == 4 || *ver == 6 ? (int)off : -1;
	case WEIR_LINK_RAW: case WEIR_LINK_IPV4: case WEIR_LINK_IPV6:
	case WEIR_LINK_RAW_DLT12: case WEIR_LINK_RAW_DLT14:
		if (len < 1) return -1;
		*ver = f[0] >> 4;
		return *ver == 4 || *ver == 6 ? 0 : -1;
	default:
		return -1;
	}
	if (et == 0x0800) *ver = 4;
	else if (et == 0x86dd) *ver = 6;
	else return -1;
	return (int)off;
}

/* IP addresses only (ETH_RSS_IP as an L3 hash): every fragment of a
 * datagram carries them, so fragments follow their flow's worker. */
uint32_t weir_soft_rss(const uint8_t *f, uint32_t len, int linktype)
{
	uint32_t tuple[8];
	int ver = 0, off = find_ip(f, len, linktype, &ver);

	if (off < 0)
		return 0;
	if (ver == 4) {
		if (len < (uint32_t)off + 20)
			return 0;
		tuple[0] = rd32(f + off + 12);
		tuple[1] = rd32(f + off + 16);
		return rte_softrss(tuple, 2, weir_rss_key);
	}
	if (len < (uint32_t)off + 40)
		return 0;
	for (int i = 0; i < 8; i++)
		tuple[i] = rd32(f + off + 8 + 4 * i);
	return rte_softrss(tuple, 8, weir_rss_key);
}

unsigned weir_rss_worker(uint32_t hash, unsigned workers)
{
	return (hash & (WEIR_SW_RETA - 1)) % workers;
}

/* ---- block verdict keys: same canonical 5-tuple hash from a record and
 * from a raw frame ---- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33; x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t tuple_key(const uint8_t *a, const uint8_t *b, unsigned alen,
			  uint16_t pa, uint16_t pb, unsigned proto)
{
	/* Order-independent: sort the endpoints. */
	int swap = memcmp(a, b, alen) > 0 || (memcmp(a, b, alen) == 0 && pa > pb);
	const uint8_t *lo = swap ? b : a, *hi = swap ? a : b;
	uint16_t plo = swap ? pb : pa, phi = swap ? pa : pb;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ proto;
	for (unsigned i = 0; i < alen; i++)
		h = mix64(h ^ ((uint64_t)lo[i] << 8 | hi[i]));
	h = mix64(h ^ ((uint64_t)plo << 16 | phi));
	return h | 1;   /* 0 marks an empty slot */
}

uint64_t weir_block_key_record(const struct weir_record *r)
{
	unsigned alen = r->family == WEIR_AF_INET6 ? 16 : 4;
	uint16_t sp = r->sport, dp = r->dsport;
	if (r->proto != 6 && r->proto != 17 && r->proto != 132)
		sp = dp = 0;
	return tuple_key(r->srcip, r->dstip, alen, sp, dp, r->proto);
}

/* Unfragmented TCP/UDP/SCTP gets a 5-tuple key; other IP traffic a key on
 * addresses and protocol (ports 0), as the record side computes it. */
uint64_t weir_block_key_frame(const uint8_t *f, uint32_t len, int linktype)
{
	int ver = 0, off = find_ip(f, len, linktype, &ver);
	unsigned proto, l4;
	uint16_t sp = 0, dp = 0;

	if (off < 0)
		return 0;
	if (ver == 4) {
		if (len < (uint32_t)off + 20)
			return 0;
		proto = f[off + 9];
		l4 = (unsigned)off + (f[off] & 0xf) * 4u;
		int frag = (rd16(f + off + 6) & 0x3fff) != 0;
		if (!frag && (proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4) {
			sp = rd16(f + l4);
			dp = rd16(f + l4 + 2);
		}
		return tuple_key(f + off + 12, f + off + 16, 4, sp, dp, proto);
	}
	if (len < (uint32_t)off + 40)
		return 0;
	proto = f[off + 6];
	l4 = (unsigned)off + 40;
	if ((proto == 6 || proto == 17 || proto == 132) && len >= l4 + 4) {
		sp = rd16(f + l4);
		dp = rd16(f + l4 + 2);
	}
	return tuple_key(f + off + 8, f + off + 24, 16, sp, dp, proto);
}

void weir_block_add(struct weir_block_set *b, uint64_t key)
{
	/* Bounded: when three quarters full, the newest verdicts still go in
	 * by replacing whatever sits in their probe window's last slot. */
	unsigned i = (unsigned)key & (WEIR_BLOCK_SLOTS - 1);
	for (unsigned n = 0; n < 16; n++, i = (i + 1) & (WEIR_BLOCK_SLOTS - 1)) {
		if (b->key[i] == key)
			return;
		if (!b->key[i]) {
			b->key[i] = key;
			b->count++;
			return;
		}
	}
	b->key[i] = key;
}

int weir_block_has(const struct weir_block_set *b, uint64_t key)
{
	unsigned i = (unsigned)key & (WEIR_BLOCK_SLOTS - 1);
	if (!key || !b->count)
		return 0;
	for (unsigned n = 0; n < 17; n++, i = (i + 1) & (WEIR_BLOCK_SLOTS - 1)) {
		if (b->key[i] == key)
			return 1;
		if (!b->key[i])
			return 0;
	}
	return 0;
}

/* ---- port bring-up ---- */

static int find_port(const char *dev, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *comma = strchr(dev, ',');
	size_t n = comma ? (size_t)(comma - dev) : strlen(dev);

	if (n >= sizeof(name))
		return -1;
	memcpy(name, dev, n);
	name[n] = 0;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	/* PCI addresses are registered in their full domain form. */
	char full[RTE_ETH_NAME_MAX_LEN + 8];
	snprintf(full, sizeof(full), "0000:%s", name);
	return rte_eth_dev_get_port_by_name(full, port_id);
}

static uint32_t clamp_desc(uint32_t want, const struct rte_eth_desc_lim *lim)
{
	if (lim->nb_max && want > lim->nb_max)
		want = lim->nb_max;
	if (want < lim->nb_min)
		want = lim->nb_min;
	if (lim->nb_align > 1)
		want = (want + lim->nb_align - 1) / lim->nb_align * lim->nb_align;
	return want;
}

/* mbuf data room: a whole frame of the port's MTU in one mbuf (Ethernet
 * header, two VLAN tags, FCS), so jumbo frames need no chaining; never
 * less than DPDK's default. */
static uint16_t mbuf_size_for(uint32_t mtu)
{
	uint32_t frame = mtu + RTE_ETHER_HDR_LEN + 2 * RTE_VLAN_HLEN + RTE_ETHER_CRC_LEN;
	uint32_t sz = RTE_PKTMBUF_HEADROOM + ((frame + 63) & ~63u);
	return (uint16_t)(sz > RTE_MBUF_DEFAULT_BUF_SIZE ? sz : RTE_MBUF_DEFAULT_BUF_SIZE);
}

static int pcap_live_open(struct weir_app *app, struct weir_port *p,
			  const struct weir_port_conf *pc)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc_h = pcap_create(pc->dev, errbuf);

	if (!pc_h)
		weir_die("[port %s] dev = '%s': %s", pc->name, pc->dev, errbuf);
	pcap_set_snaplen(pc_h, 65535);
	pcap_set_promisc(pc_h, 1);
	pcap_set_immediate_mode(pc_h, 1);
	pcap_set_buffer_size(pc_h, 32 << 20);
	pcap_set_tstamp_precision(pc_h, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(pc_h);
	if (rc < 0)
		weir_die("[port %s] dev = '%s': cannot capture: %s (is it an interface name, and are we root?)",
			 pc->name, pc->dev, pcap_geterr(pc_h));
	if (pcap_setnonblock(pc_h, 1, errbuf) < 0)
		weir_die("[port %s]: %s", pc->name, errbuf);
	p->linktype = pcap_datalink(pc_h);
	if (!weir_decode_linktype_supported(p->linktype))
		weir_die("[port %s] dev = '%s': link type %d is not one weir decodes", pc->name, pc->dev, p->linktype);
	p->pcap_live = pc_h;
	p->port_id = UINT16_MAX;
	p->type = WEIR_PORT_PCAP_LIVE;
	p->nb_rxq = 1;
	app->need_dispatch = 1;
	unsigned n = pc->mempool ? pc->mempool : 8192 + app->conf->workers * 2048;
	char pname[RTE_MEMPOOL_NAMESIZE];
	snprintf(pname, sizeof(pname), "pool_%s", pc->name);
	p->pool = rte_pktmbuf_pool_create(pname, n, 256, 0, mbuf_size_for(pc->mtu), rte_socket_id());
	if (!p->pool)
		weir_die("[port %s] mempool of %u mbufs: cannot allocate (%s); reserve more hugepages (scripts/hugepages) or lower [port %s] mempool",
			 pc->name, n, rte_strerror(rte_errno), pc->name);
	weir_info("port %s: pcap-live on %s, link type %d (libpcap fallback: no DPDK driver)",
		  pc->name, pc->dev, p->linktype);
	return 0;
}

static void port_init(struct weir_app *app, unsigned idx)
{
	const struct weir_conf *c = app->conf;
	const struct weir_port_conf *pc = &c->port[idx];
	struct weir_port *p = &app->port[idx];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	unsigned workers = c->workers;
	uint16_t nrx, ntx;
	uint16_t rxd, txd;
	int rc;

	snprintf(p->name, sizeof(p->name), "%s", pc->name);
	p->peer = -1;
	if (pc->type == WEIR_PORT_PCAP_LIVE) {
		pcap_live_open(app, p, pc);
		return;
	}
	if (find_port(pc->dev, &p->port_id) != 0)
		weir_die("[port %s] dev = '%s': no such DPDK port; for a NIC bind it to vfio-pci (dpdk-devbind.py -s), for a vdev check the driver name (net_pcap0, net_af_packet0, ...)",
			 pc->name, pc->dev);
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0)
		weir_die("[port %s]: cannot query the device: %s", pc->name, rte_strerror(-rc));
	if (!p->linktype)
		p->linktype = WEIR_LINK_ETHERNET;

	/* One RX queue per worker when the NIC hashes IP addresses for us. */
	uint64_t rss_hf = info.flow_type_rss_offloads & RTE_ETH_RSS_IP;
	p->hw_rss = !c->replay && workers > 1 && info.max_rx_queues >= workers && rss_hf;
	if (!c->replay && workers == 1 && info.max_rx_queues >= 1)
		p->hw_rss = 1;   /* one queue straight to the only worker */
	nrx = p->hw_rss ? (uint16_t)workers : 1;
	if (!p->hw_rss)
		app->need_dispatch = 1;
	/* Inline: each worker transmits on its own queue of the peer port. */
	ntx = c->mode == WEIR_MODE_INLINE ? (uint16_t)workers : 1;
	if (ntx > info.max_tx_queues)
		weir_die("[port %s]: inline mode with %u workers needs %u TX queues, %s offers %u; lower [workers] count or give the device more queues (net_af_packet: qpairs=%u)",
			 pc->name, workers, ntx, info.driver_name, info.max_tx_queues, workers);
	if (!p->hw_rss && workers > 1 && c->mode == WEIR_MODE_SPAN && !c->replay)
		weir_info("port %s: %s has %u RX queues and RSS functions 0x%llx: software RSS on the main lcore",
			  pc->name, info.driver_name, info.max_rx_queues,
			  (unsigned long long)info.flow_type_rss_offloads);

	memset(&conf, 0, sizeof(conf));
	if (nrx > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = weir_rss_key;
		conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(weir_rss_key);
		conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
	}
	uint64_t want_off = RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	conf.rxmode.offloads = want_off & info.rx_offload_capa;
	/* net_pcap always stamps mbufs with the capture time (µs) in the
	 * dynamic timestamp field; other drivers only with the offload. */
	p->pmd_ts = !strcmp(info.driver_name, "net_pcap") ||
		    (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP);
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	if (pc->mtu) {
		/* The largest frame bounds the MTU too: ethdev's own rule for
		 * the L2 overhead (the device's, else header + FCS). */
		uint32_t over = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu ?
				info.max_rx_pktlen - info.max_mtu : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
		uint32_t top = info.max_mtu;
		if (info.max_rx_pktlen > over && info.max_rx_pktlen - over < top)
			top = info.max_rx_pktlen - over;
		if (pc->mtu < info.min_mtu || pc->mtu > top)
			weir_die("[port %s] mtu = %u: %s allows %u to %u; set mtu within that (or auto)",
				 pc->name, pc->mtu, info.driver_name, info.min_mtu, top);
		conf.rxmode.mtu = pc->mtu;
	}

	rc = rte_eth_dev_configure(p->port_id, nrx, ntx, &conf);
	if (rc != 0)
		weir_die("[port %s]: configure with %u RX / %u TX queues failed: %s; lower [workers] count",
			 pc->name, nrx, ntx, rte_strerror(-rc));

	rxd = (uint16_t)clamp_desc(pc->rx_desc ? pc->rx_desc : 1024, &info.rx_desc_lim);
	txd = (uint16_t)clamp_desc(pc->tx_desc ? pc->tx_desc : 1024, &info.tx_desc_lim);
	uint16_t rxd_req = rxd, txd_req = txd;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &rxd, &txd);
	if (rc != 0)
		weir_die("[port %s]: descriptor counts %u/%u refused: %s; set rx_desc/tx_desc = auto",
			 pc->name, rxd, txd, rte_strerror(-rc));
	if (pc->rx_desc && pc->rx_desc != rxd)
		weir_warn("[port %s] rx_desc = %u: the device allows %u", pc->name, pc->rx_desc, rxd);

	/* Mempool: every RX ring full, every TX ring full, per-lcore caches,
	 * bursts in flight and the dispatch rings, plus slack. */
	unsigned nmbuf = pc->mempool;
	if (!nmbuf) {
		nmbuf = nrx * rxd + (c->mode == WEIR_MODE_INLINE ? ntx * txd : 0) +
			(workers + 1) * (256 + WEIR_BURST * 4) + 4096;
		if (app->need_dispatch)
			nmbuf += workers * 2048;
		if (nmbuf < 8192)
			nmbuf = 8192;
	}
	char pname[RTE_MEMPOOL_NAMESIZE];
	snprintf(pname, sizeof(pname), "pool_%s", pc->name);
	uint16_t mbuf_size = mbuf_size_for(pc->mtu);
	p->pool = rte_pktmbuf_pool_create(pname, nmbuf, 256, 0, mbuf_size,
					  rte_eth_dev_socket_id(p->port_id));
	if (!p->pool)
		weir_die("[port %s] mempool of %u mbufs: cannot allocate (%s); reserve more hugepages (scripts/hugepages) or lower [port %s] mempool",
			 pc->name, nmbuf, rte_strerror(rte_errno), pc->name);

	for (uint16_t q = 0; q < nrx; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, rxd, rte_eth_dev_socket_id(p->port_id),
					    NULL, p->pool);
		if (rc < 0)
			weir_die("[port %s]: RX queue %u setup failed: %s", pc->name, q, rte_strerror(-rc));
	}
	for (uint16_t q = 0; q < ntx; q++) {
		struct rte_eth_txconf txc = info.default_txconf;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_tx_queue_setup(p->port_id, q, txd, rte_eth_dev_socket_id(p->port_id), &txc);
		if (rc < 0)
			weir_die("[port %s]: TX queue %u setup failed: %s", pc->name, q, rte_strerror(-rc));
	}

	/* RETA explicitly: queue = entry % queues, whatever the driver's
	 * default spread was. */
	if (nrx > 1 && info.reta_size) {
		struct rte_eth_rss_reta_entry64 reta[info.reta_size / RTE_ETH_RETA_GROUP_SIZE + 1];
		memset(reta, 0, sizeof(reta));
		for (unsigned i = 0; i < info.reta_size; i++) {
			reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
			reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = (uint16_t)(i % nrx);
		}
		rc = rte_eth_dev_rss_reta_update(p->port_id, reta, info.reta_size);
		if (rc != 0)
			weir_warn("[port %s]: RETA update failed (%s): the driver's default spread is used",
				  pc->name, rte_strerror(-rc));
	}

	rc = rte_eth_dev_start(p->port_id);
	if (rc < 0)
		weir_die("[port %s]: start failed: %s", pc->name, rte_strerror(-rc));
	rte_eth_promiscuous_enable(p->port_id);   /* not every vdev supports it */

	struct rte_eth_rss_conf granted = { .rss_key = NULL };
	uint64_t hf_granted = 0;
	if (nrx > 1 && rte_eth_dev_rss_hash_conf_get(p->port_id, &granted) == 0)
		hf_granted = granted.rss_hf;
	p->nb_rxq = nrx;
	p->nb_txq = ntx;
	uint16_t mtu_granted = 0;
	if (rte_eth_dev_get_mtu(p->port_id, &mtu_granted) != 0)
		mtu_granted = 0;
	weir_info("port %s (%s, driver %s): RX queues %u (requested %u%s), RSS 0x%llx (requested 0x%llx), "
		  "RETA %u, rx desc %u (requested %u), tx desc %u (requested %u), rx offloads 0x%llx (requested 0x%llx), "
		  "MTU %u (requested %s%.0u), mempool %u mbufs of %u bytes, timestamps %s",
		  pc->name, pc->dev, info.driver_name, nrx, workers,
		  p->hw_rss ? "" : ", software RSS on the main lcore",
		  (unsigned long long)hf_granted, (unsigned long long)(nrx > 1 ? (uint64_t)RTE_ETH_RSS_IP : 0),
		  info.reta_size, rxd, rxd_req, txd, txd_req,
		  (unsigned long long)conf.rxmode.offloads, (unsigned long long)want_off,
		  mtu_granted, pc->mtu ? "" : "auto", pc->mtu,
		  nmbuf, mbuf_size, p->pmd_ts ? "from the driver" : "TSC per burst");
}

int weir_ports_init(struct weir_app *app)
{
	const struct weir_conf *c = app->conf;
	app->nports = c->nports;
	for (unsigned i = 0; i < c->nports; i++) {
		port_init(app, i);
	}
	/* Inline peers by index. */
	for (unsigned i = 0; i < c->nports; i++) {
		if (!c->port[i].peer[0])
			continue;
		for (unsigned j = 0; j < c->nports; j++)
			if (!strcmp(c->port[j].name, c->port[i].peer))
				app->port[i].peer = (int)j;
	}
	return 0;
}

void weir_ports_stop(struct weir_app *app)
{
	for (unsigned i = 0; i < app->nports; i++) {
		struct weir_port *p = &app->port[i];
		if (p->type == WEIR_PORT_PCAP_LIVE) {
			if (p->pcap_live)
				pcap_close(p->pcap_live);
			p->pcap_live = NULL;
			continue;
		}
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
	}
}
