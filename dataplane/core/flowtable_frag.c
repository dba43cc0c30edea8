/* Fragment tracking: later IP fragments carry no L4 header, so to count them
 * toward their flow we remember the ports of the first fragment, keyed by
 * (src, dst, proto, fragment id, family, VLAN). VLAN is in the key because
 * the flow key has it: the same addresses on two VLANs are two flows.
 *
 * Fixed size, allocated with the flow table. Entries sit on a hash chain
 * (lookup) and on an age list in arrival order (expiry, and replacing the
 * oldest when full), so which entry is replaced never depends on the hash
 * seed. An entry ends when the last fragment (no MF) is seen or
 * frag_timeout_ns after the first fragment. */
#include <string.h>
#include "flowtable_int.h"

size_t weir_ftf_bytes(uint32_t max_frags)
{
	uint32_t nh = 1;
	while (nh < max_frags)
		nh <<= 1;
	return ((size_t)max_frags * sizeof(struct weir_frag_ent) + 63) / 64 * 64 +
	       ((size_t)nh * sizeof(uint32_t) + 63) / 64 * 64 +
	       ((size_t)max_frags * sizeof(uint32_t) + 63) / 64 * 64;
}

void weir_ftf_init(struct weir_flowtable *ft, void *area, uint32_t max_frags,
		   uint64_t timeout_ns)
{
	uint32_t nh = 1;
	char *m = area;

	while (nh < max_frags)
		nh <<= 1;
	ft->frags = (struct weir_frag_ent *)m;
	m += ((size_t)max_frags * sizeof(struct weir_frag_ent) + 63) / 64 * 64;
	ft->fhead = (uint32_t *)m;
	m += ((size_t)nh * sizeof(uint32_t) + 63) / 64 * 64;
	ft->ffree = (uint32_t *)m;
	ft->fmask = nh - 1;
	ft->nfrags = max_frags;
	ft->nffree = max_frags;
	for (uint32_t i = 0; i < max_frags; i++)
		ft->ffree[i] = max_frags - 1 - i;
	memset(ft->fhead, 0xff, (size_t)nh * sizeof(uint32_t));
	ft->f_oldest = ft->f_newest = WEIR_FT_NIL;
	ft->frag_timeout_ns = timeout_ns;
}

static void frag_key(const struct weir_pkt *p, struct weir_frag_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src, 16);
	memcpy(k->dst, p->dst, 16);
	k->id = p->frag_id;
	k->proto = p->proto;
	k->vlan = p->vlan_id;
	k->family = p->family;
}

static uint32_t frag_bucket(const struct weir_flowtable *ft, const struct weir_frag_key *k)
{
	return (uint32_t)weir_siphash13(&ft->sipkey, k, sizeof(*k)) & ft->fmask;
}

static uint32_t frag_find(const struct weir_flowtable *ft, const struct weir_frag_key *k)
{
	for (uint32_t e = ft->fhead[frag_bucket(ft, k)]; e != WEIR_FT_NIL; e = ft->frags[e].hnext)
		if (memcmp(&ft->frags[e].key, k, sizeof(*k)) == 0)
			return e;
	return WEIR_FT_NIL;
}

static void age_unlink(struct weir_flowtable *ft, uint32_t e)
{
	struct weir_frag_ent *f = &ft->frags[e];
	if (f->older != WEIR_FT_NIL)
		ft->frags[f->older].newer = f->newer;
	else
		ft->f_oldest = f->newer;
	if (f->newer != WEIR_FT_NIL)
		ft->frags[f->newer].older = f->older;
	else
		ft->f_newest = f->older;
}

static void age_append(struct weir_flowtable *ft, uint32_t e)
{
	struct weir_frag_ent *f = &ft->frags[e];
	f->older = ft->f_newest;
	f->newer = WEIR_FT_NIL;
	if (ft->f_newest != WEIR_FT_NIL)
		ft->frags[ft->f_newest].newer = e;
	else
		ft->f_oldest = e;
	ft->f_newest = e;
}

static void frag_remove(struct weir_flowtable *ft, uint32_t e)
{
	struct weir_frag_ent *f = &ft->frags[e];
	uint32_t *pp = &ft->fhead[frag_bucket(ft, &f->key)];

	while (*pp != e)
		pp = &ft->frags[*pp].hnext;
	*pp = f->hnext;
	age_unlink(ft, e);
	f->in_use = 0;
	ft->ffree[ft->nffree++] = e;
}

static int frag_expired(const struct weir_flowtable *ft, const struct weir_frag_ent *f,
			uint64_t now)
{
	return now >= weir_ft_sat_add(f->ts_ns, ft->frag_timeout_ns);
}

/* Arrival order is time order unless capture stamps jump back; a lookup
 * also checks its own entry's age, so such entries are still not used late. */
static void expire_old(struct weir_flowtable *ft, uint64_t now)
{
	while (ft->f_oldest != WEIR_FT_NIL && frag_expired(ft, &ft->frags[ft->f_oldest], now))
		frag_remove(ft, ft->f_oldest);
}

static void remember_first(struct weir_flowtable *ft, const struct weir_frag_key *k,
			   const struct weir_pkt *pkt)
{
	uint32_t e = frag_find(ft, k);

	if (e != WEIR_FT_NIL) {
		/* Repeated first fragment: refresh it. */
		age_unlink(ft, e);
	} else {
		if (!ft->nffree) {
			ft->st.frag_table_full++;
			frag_remove(ft, ft->f_oldest);
		}
		e = ft->ffree[--ft->nffree];
		uint32_t b = frag_bucket(ft, k);
		ft->frags[e].key = *k;
		ft->frags[e].hnext = ft->fhead[b];
		ft->fhead[b] = e;
		ft->frags[e].in_use = 1;
	}
	struct weir_frag_ent *f = &ft->frags[e];
	f->ts_ns = pkt->ts_ns;
	f->sport = pkt->sport;
	f->dport = pkt->dport;
	f->icmp_type = pkt->icmp_type;
	f->icmp_code = pkt->icmp_code;
	f->icmp_id = pkt->icmp_id;
	f->icmp_seq = pkt->icmp_seq;
	age_append(ft, e);
	ft->st.frag_tracked++;
}

int weir_ft_frag_resolve(struct weir_flowtable *ft, struct weir_pkt *pkt)
{
	struct weir_frag_key k;
	uint32_t e;

	if (!(pkt->frag & WEIR_FRAG_IS))
		return 0;
	if ((pkt->frag & WEIR_FRAG_FIRST) && !(pkt->frag & WEIR_FRAG_MORE))
		return 0;  /* offset 0 and no MF: a whole datagram, nothing to track */
	if (!ft->nfrags) {
		if (pkt->frag & WEIR_FRAG_FIRST)
			return 0;
		ft->st.frag_orphan++;
		return -1;
	}
	frag_key(pkt, &k);
	expire_old(ft, pkt->ts_ns);
	if (pkt->frag & WEIR_FRAG_FIRST) {
		remember_first(ft, &k, pkt);
		return 0;
	}
	e = frag_find(ft, &k);
	if (e != WEIR_FT_NIL && frag_expired(ft, &ft->frags[e], pkt->ts_ns)) {
		frag_remove(ft, e);
		e = WEIR_FT_NIL;
	}
	if (e == WEIR_FT_NIL) {
		ft->st.frag_orphan++;
		return -1;
	}
	const struct weir_frag_ent *f = &ft->frags[e];
	pkt->sport = f->sport;
	pkt->dport = f->dport;
	pkt->icmp_type = f->icmp_type;
	pkt->icmp_code = f->icmp_code;
	pkt->icmp_id = f->icmp_id;
	pkt->icmp_seq = f->icmp_seq;
	ft->st.frag_matched++;
	if (!(pkt->frag & WEIR_FRAG_MORE))
		frag_remove(ft, e);
	return 0;
}
