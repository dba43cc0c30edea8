/* The pipeline core's glue: one frame in, flow state updated, finished flows
 * out as records through the sink. Everything is allocated at create time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "content.h"
#include "ctwindow.h"
#include "flowfeat.h"

/* How often (in packet time) the timer wheel is run. Expiry is this much
 * late at worst, which no timeout of seconds notices. */
#define ENGINE_TICK_NS 100000000ull

/* struct weir_flow.marks */
#define MARK_EARLY_DONE   0x01  /* the early (mid-flow) score was taken */
#define MARK_CONTENT_DONE 0x02  /* weir_content_finished(): no more updates */

/* How many frames of a burst a flow entry is prefetched before its update. */
#define PREFETCH_LAG 4

struct weir_engine {
	struct weir_engine_config cfg;
	struct weir_flowtable *ft;
	struct weir_content_ctx *content;
	struct weir_ctwin *ctwin;
	weir_sink_fn sink;
	void *sink_ctx;
	weir_early_fn early;
	void *early_ctx;
	uint64_t next_flow_id;
	uint64_t now_ns;
	uint64_t next_tick_ns;
	struct weir_engine_stats st;
};

void weir_engine_config_defaults(struct weir_engine_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	weir_ft_config_defaults(&cfg->ft);
	cfg->ct_window = 100;
	cfg->max_ftp_expect = 1024;
	cfg->content = 1;
}

static unsigned proto_class(unsigned proto)
{
	switch (proto) {
	case 6: return 0;
	case 17: return 1;
	case 1: case 58: return 2;
	default: return 3;
	}
}

static void fill_identity(const struct weir_flow *flow, int src_side,
			  struct weir_record *rec)
{
	const struct weir_flow_key *k = &flow->key;
	memcpy(rec->srcip, k->addr[src_side], 16);
	memcpy(rec->dstip, k->addr[!src_side], 16);
	if (k->proto == 1 || k->proto == 58) {
		/* ICMP ports are not endpoint-bound: type/code and id. */
		rec->sport = k->port[0];
		rec->dsport = k->port[1];
	} else {
		rec->sport = k->port[src_side];
		rec->dsport = k->port[!src_side];
	}
	rec->proto = k->proto;
	rec->family = k->family;
	rec->vlan = k->vlan;
	rec->is_sm_ips_ports = memcmp(rec->srcip, rec->dstip, 16) == 0 &&
			       rec->sport == rec->dsport;
}

/* The record of a flow as it stands; ct_* window features are the
 * caller's. */
static void build_record(struct weir_engine *eng, const struct weir_flow *flow,
			 const struct weir_content_state *cs,
			 enum weir_end_reason why, struct weir_record *rec)
{
	int src_side = 0;

	memset(rec, 0, sizeof(*rec));
	rec->flow_id = flow->flow_id;
	rec->worker = eng->cfg.worker_id;
	rec->end_reason = (uint8_t)why;
	rec->score = NAN;
	weir_feat_finalize(&flow->feat, flow->key.proto, rec, &src_side);
	fill_identity(flow, src_side, rec);
	if (eng->content)
		weir_content_finalize(cs, rec);
}

static void on_flow_end(void *ctx, struct weir_flow *flow,
			struct weir_content_state *cs, enum weir_end_reason why)
{
	struct weir_engine *eng = ctx;
	struct weir_record rec;

	build_record(eng, flow, cs, why, &rec);
	weir_ctwin_apply(eng->ctwin, &rec);
	eng->st.records++;
	eng->st.records_by_end[why]++;
	eng->st.flows_by_proto[proto_class(flow->key.proto)]++;
	eng->sink(eng->sink_ctx, &rec);

	if (why == WEIR_END_ACTIVE) {
		weir_feat_new_slice(&flow->feat, eng->now_ns);
		flow->first_ns = eng->now_ns;
	}
}

/* Once per flow, at early_pkts packets: a provisional verdict. */
static void early_verdict(struct weir_engine *eng, struct weir_flow *flow)
{
	struct weir_record rec;

	flow->marks |= MARK_EARLY_DONE;
	build_record(eng, flow, weir_ft_content(eng->ft, flow), WEIR_END_ACTIVE, &rec);
	weir_ctwin_peek(eng->ctwin, &rec);
	eng->st.early_verdicts++;
	if (eng->early(eng->early_ctx, &rec)) {
		flow->blocked = 1;
		eng->st.flows_blocked++;
	}
}

void weir_engine_set_early(struct weir_engine *eng, weir_early_fn fn, void *ctx)
{
	eng->early = fn;
	eng->early_ctx = ctx;
}

struct weir_engine *weir_engine_create(const struct weir_engine_config *cfg,
				       const struct weir_content_db *db,
				       weir_sink_fn sink, void *sink_ctx,
				       char *err, size_t errlen)
{
	struct weir_engine *eng = calloc(1, sizeof(*eng));
	if (!eng) {
		snprintf(err, errlen, "engine: out of memory");
		return NULL;
	}
	eng->cfg = *cfg;
	eng->sink = sink;
	eng->sink_ctx = sink_ctx;
	eng->ft = weir_ft_create(&cfg->ft, on_flow_end, eng, err, errlen);
	if (!eng->ft)
		goto fail;
	eng->ctwin = weir_ctwin_create(cfg->ct_window, err, errlen);
	if (!eng->ctwin)
		goto fail;
	if (cfg->content) {
		if (!db) {
			snprintf(err, errlen, "engine: content analysis on but no Hyperscan database");
			goto fail;
		}
		eng->content = weir_content_ctx_create(db, cfg->max_ftp_expect, err, errlen);
		if (!eng->content)
			goto fail;
	}
	return eng;
fail:
	weir_engine_free(eng);
	return NULL;
}

void weir_engine_free(struct weir_engine *eng)
{
	if (!eng)
		return;
	weir_ft_free(eng->ft);
	weir_ctwin_free(eng->ctwin);
	weir_content_ctx_free(eng->content);
	free(eng);
}

static void start_flow(struct weir_engine *eng, struct weir_flow *flow,
		       const struct weir_pkt *pkt, int side)
{
	flow->flow_id = ++eng->next_flow_id;
	flow->first_ns = pkt->ts_ns;
	/* The flow table filed the entry by protocol (TCP or other) already. */
	weir_feat_init(&flow->feat, pkt, side);
	if (eng->content)
		weir_content_init(eng->content, weir_ft_content(eng->ft, flow), pkt);
}

/* One test, nearly always false, where && would branch on the protocol,
 * which is random from packet to packet (so would &: gcc splits it; the
 * differences or'ed together it cannot). */
static int is_bare_syn(const struct weir_pkt *pkt)
{
	uint32_t off = (uint32_t)(pkt->proto ^ 6) |
		       (((uint32_t)pkt->tcp_flags & (WEIR_TH_SYN | WEIR_TH_ACK | WEIR_TH_RST)) ^ WEIR_TH_SYN) |
		       (uint32_t)(pkt->l4_hdr_len == 0);
	return off == 0;
}

static void update_content(struct weir_engine *eng, struct weir_flow *flow,
			   const struct weir_pkt *pkt, int side)
{
	struct weir_content_state *cs = weir_ft_content(eng->ft, flow);

	weir_content_update(eng->content, cs, pkt, side == flow->feat.src_side, pkt->ts_ns);
	if (weir_content_finished(cs))
		flow->marks |= MARK_CONTENT_DONE;
}

static struct weir_flow *track(struct weir_engine *eng, struct weir_pkt *pkt,
			       const struct weir_ft_hkey *hk)
{
	int side = hk->side, is_new;
	struct weir_flow *flow = weir_ft_lookup_hkey(eng->ft, hk, pkt->proto, pkt->ts_ns, &is_new);

	if (is_bare_syn(pkt) && !is_new && weir_feat_tcp_closed(&flow->feat)) {
		/* A new connection on a closed 5-tuple: finish the old one. */
		weir_ft_close(eng->ft, flow, WEIR_END_REUSE);
		flow = weir_ft_lookup_hkey(eng->ft, hk, pkt->proto, pkt->ts_ns, &is_new);
	}
	if (is_new)
		start_flow(eng, flow, pkt, side);

	weir_ft_touch(flow, pkt->ts_ns);
	int closed = weir_feat_update(&flow->feat, pkt, side);
	/* Payload the snaplen cut still counts: the content module's port
	 * fallback needs to know payload went by. */
	if (eng->content && pkt->l4_payload_len && !(flow->marks & MARK_CONTENT_DONE))
		update_content(eng, flow, pkt, side);
	if (closed & (flow->tclass == WEIR_TO_TCP))
		weir_ft_set_class(eng->ft, flow, WEIR_TO_TCP_CLOSED);
	eng->st.processed++;
	eng->st.ip_short += pkt->ip_short;
	if (eng->early && !(flow->marks & MARK_EARLY_DONE) &&
	    flow->feat.dir[0].pkts + flow->feat.dir[1].pkts >= eng->cfg.early_pkts)
		early_verdict(eng, flow);
	if (flow->blocked)
		eng->st.packets_blocked++;
	return flow;
}

static void clock_to(struct weir_engine *eng, uint64_t ts_ns)
{
	/* Packet time only moves forward for the timers; a capture with a
	 * stamp that jumps back does not resurrect expired state. */
	if (ts_ns > eng->now_ns)
		eng->now_ns = ts_ns;
	if (eng->now_ns >= eng->next_tick_ns) {
		weir_ft_advance(eng->ft, eng->now_ns);
		eng->next_tick_ns = eng->now_ns + ENGINE_TICK_NS;
	}
}

void weir_engine_packet(struct weir_engine *eng, int linktype,
			const uint8_t *data, uint32_t caplen, uint32_t wire_len,
			uint64_t ts_ns)
{
	struct weir_pkt pkt;
	enum weir_decode_err rc;

	eng->st.packets++;
	eng->st.bytes += wire_len;
	clock_to(eng, ts_ns);
	rc = weir_decode(linktype, data, caplen, wire_len, ts_ns, &pkt);
	if (rc != WEIR_DEC_OK) {
		eng->st.decode_err[rc]++;
		return;
	}
	if ((pkt.frag & WEIR_FRAG_IS) && weir_ft_frag_resolve(eng->ft, &pkt) < 0)
		return; /* orphan fragment: counted by the flow table */
	struct weir_ft_hkey hk;
	weir_ft_hash(eng->ft, &pkt, &hk);
	track(eng, &pkt, &hk);
}

/* Memory latency overlaps across the burst: decode and hash every frame and
 * prefetch its primary index bucket; then, those having arrived, prefetch
 * each flow entry a tag points at (or the alternative bucket), a few frames
 * ahead of its update. Lookups at the update are made afresh (earlier
 * frames may have created, closed or evicted flows), the prefetches only
 * warm the cache. Measured on the 1 M-flow 64-byte mix (thread CPU cycles
 * a frame, A/B back to back): both buckets and all entries up front 506,
 * the primary bucket only and the content line only with payload 491-495,
 * the next free entries too ~480, entries 4 frames ahead 412-443. */
void weir_engine_burst(struct weir_engine *eng, int linktype,
		       const struct weir_frame_ref *frames, unsigned n,
		       uint8_t *drop)
{
	struct weir_pkt pkts[WEIR_ENGINE_BURST];
	struct weir_ft_hkey hk[WEIR_ENGINE_BURST];
	uint8_t ok[WEIR_ENGINE_BURST];

	if (n > WEIR_ENGINE_BURST)
		n = WEIR_ENGINE_BURST;
	for (unsigned i = 0; i < n; i++) {
		const struct weir_frame_ref *f = &frames[i];
		enum weir_decode_err rc = weir_decode(linktype, f->data, f->caplen,
						      f->wire_len, f->ts_ns, &pkts[i]);
		eng->st.packets++;
		eng->st.bytes += f->wire_len;
		ok[i] = rc == WEIR_DEC_OK;
		if (!ok[i])
			eng->st.decode_err[rc]++;
		else if ((pkts[i].frag & WEIR_FRAG_IS) &&
			 weir_ft_frag_resolve(eng->ft, &pkts[i]) < 0)
			ok[i] = 0;
		if (ok[i]) {
			weir_ft_hash(eng->ft, &pkts[i], &hk[i]);
			weir_ft_prefetch_index(eng->ft, &hk[i]);
		}
	}
	/* A burst of 64-byte frames starts about two flows (the bench mix:
	 * one in 16 frames). */
	weir_ft_prefetch_free(eng->ft, 2);
	/* Entry prefetches run PREFETCH_LAG frames ahead of the updates, so
	 * each has a few updates' time (~1,000 cycles) to arrive; all up
	 * front, the first frames' entries were wanted ~250 cycles after
	 * their prefetch, less than a DRAM access. */
	for (unsigned i = 0; i < n + PREFETCH_LAG; i++) {
		if (i < n && ok[i])
			weir_ft_prefetch_flow(eng->ft, &hk[i],
					      eng->content && pkts[i].l4_payload_len);
		if (i < PREFETCH_LAG)
			continue;
		unsigned j = i - PREFETCH_LAG;
		uint8_t blocked = 0;
		clock_to(eng, frames[j].ts_ns);
		if (ok[j])
			blocked = track(eng, &pkts[j], &hk[j])->blocked;
		if (drop)
			drop[j] = blocked;
	}
}

void weir_engine_advance(struct weir_engine *eng, uint64_t now_ns)
{
	clock_to(eng, now_ns);
}

void weir_engine_flush(struct weir_engine *eng)
{
	weir_ft_flush(eng->ft);
}

const char *weir_engine_hash_name(const struct weir_engine *eng)
{
	return weir_ft_hash_name(eng->ft);
}

void weir_engine_get_stats(const struct weir_engine *eng,
			   struct weir_engine_stats *st)
{
	*st = eng->st;
	weir_ft_get_stats(eng->ft, &st->ft);
}
