/* The ct_* window. Each slot keeps only what the seven counts compare, so a
 * full scan of 100 slots stays in a few cache lines; this runs once per
 * finished flow, never per packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctwindow.h"

struct ct_slot {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t service;
};

struct weir_ctwin {
	uint32_t size;    /* window length, current record included */
	uint32_t used;
	uint32_t next;    /* slot the next record overwrites */
	struct ct_slot slot[];
};

struct weir_ctwin *weir_ctwin_create(uint32_t window, char *err, size_t errlen)
{
	if (window < 1 || window > 100000) {
		snprintf(err, errlen, "ct window %u out of range (1..100000)", window);
		return NULL;
	}
	struct weir_ctwin *w = calloc(1, sizeof(*w) + (size_t)window * sizeof(struct ct_slot));
	if (!w) {
		snprintf(err, errlen, "ct window: out of memory for %u slots", window);
		return NULL;
	}
	w->size = window;
	return w;
}

void weir_ctwin_free(struct weir_ctwin *w)
{
	free(w);
}

static uint16_t sat_inc(uint16_t v)
{
	return v == UINT16_MAX ? v : (uint16_t)(v + 1);
}

static void slot_of(struct ct_slot *me, const struct weir_record *r)
{
	memcpy(me->src, r->srcip, 16);
	memcpy(me->dst, r->dstip, 16);
	me->sport = r->sport;
	me->dport = r->dsport;
	me->service = r->service;
}

void weir_ctwin_peek(const struct weir_ctwin *w, struct weir_record *r)
{
	struct ct_slot me;
	slot_of(&me, r);

	/* The window is this record plus the size-1 before it. */
	uint32_t n = w->used < w->size ? w->used : w->size - 1;
	uint16_t srv_src = 1, srv_dst = 1, dst = 1, src = 1;
	uint16_t src_dport = 1, dst_sport = 1, dst_src = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = (w->next + w->size - 1 - i) % w->size;
		const struct ct_slot *s = &w->slot[k];
		int same_src = memcmp(s->src, me.src, 16) == 0;
		int same_dst = memcmp(s->dst, me.dst, 16) == 0;
		int same_svc = s->service == me.service;
		if (same_src) {
			src = sat_inc(src);
			if (same_svc)
				srv_src = sat_inc(srv_src);
			if (s->dport == me.dport)
				src_dport = sat_inc(src_dport);
			if (same_dst)
				dst_src = sat_inc(dst_src);
		}
		if (same_dst) {
			dst = sat_inc(dst);
			if (same_svc)
				srv_dst = sat_inc(srv_dst);
			if (s->sport == me.sport)
				dst_sport = sat_inc(dst_sport);
		}
	}
	r->ct_srv_src = srv_src;
	r->ct_srv_dst = srv_dst;
	r->ct_dst_ltm = dst;
	r->ct_src_ltm = src;
	r->ct_src_dport_ltm = src_dport;
	r->ct_dst_sport_ltm = dst_sport;
	r->ct_dst_src_ltm = dst_src;
}

void weir_ctwin_apply(struct weir_ctwin *w, struct weir_record *r)
{
	weir_ctwin_peek(w, r);
	slot_of(&w->slot[w->next], r);
	w->next = (w->next + 1) % w->size;
	if (w->used < w->size)
		w->used++;
}
