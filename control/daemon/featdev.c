/* Per-feature deviation of a flow from the training distribution. */
#include <math.h>
#include <string.h>
#include "featdev.h"
#include "record_io.h"

void weir_featstats_clear(struct weir_featstats *fs)
{
	memset(fs, 0, sizeof(*fs));
}

int weir_featstats_set(struct weir_featstats *fs, const char *name, double mean, double std)
{
	for (unsigned i = 0; i < WEIR_FEATDEV_N; i++)
		if (!strcmp(weir_feature_names[i], name)) {
			double v;
			struct weir_record probe;
			memset(&probe, 0, sizeof(probe));
			if (weir_feature_value(&probe, i, &v) < 0)
				return 0;   /* known, but not a deviation candidate */
			fs->have[i] = 1;
			fs->mean[i] = mean;
			fs->std[i] = std;
			return 0;
		}
	return -1;
}

int weir_feature_value(const struct weir_record *r, unsigned i, double *out)
{
	double v;
	switch (i) {
	case 1: v = r->sport; break;
	case 3: v = r->dsport; break;
	case 6: v = r->dur; break;
	case 7: v = (double)r->sbytes; break;
	case 8: v = (double)r->dbytes; break;
	case 9: v = r->sttl; break;
	case 10: v = r->dttl; break;
	case 11: v = r->sloss; break;
	case 12: v = r->dloss; break;
	case 14: v = r->sload; break;
	case 15: v = r->dload; break;
	case 16: v = r->spkts; break;
	case 17: v = r->dpkts; break;
	case 18: v = r->swin; break;
	case 19: v = r->dwin; break;
	case 20: v = r->stcpb; break;
	case 21: v = r->dtcpb; break;
	case 22: v = r->smeansz; break;
	case 23: v = r->dmeansz; break;
	case 24: v = r->trans_depth; break;
	case 25: v = (double)r->res_bdy_len; break;
	case 26: v = r->sjit; break;
	case 27: v = r->djit; break;
	case 30: v = r->sintpkt; break;
	case 31: v = r->dintpkt; break;
	case 32: v = r->tcprtt; break;
	case 33: v = r->synack; break;
	case 34: v = r->ackdat; break;
	case 35: v = r->is_sm_ips_ports; break;
	case 36: v = r->ct_state_ttl; break;
	case 37: v = r->ct_flw_http_mthd; break;
	case 38: v = r->is_ftp_login; break;
	case 39: v = r->ct_ftp_cmd; break;
	case 40: v = r->ct_srv_src; break;
	case 41: v = r->ct_srv_dst; break;
	case 42: v = r->ct_dst_ltm; break;
	case 43: v = r->ct_src_ltm; break;
	case 44: v = r->ct_src_dport_ltm; break;
	case 45: v = r->ct_dst_sport_ltm; break;
	case 46: v = r->ct_dst_src_ltm; break;
	default: return -1;   /* addresses, proto, state, service, Stime, Ltime */
	}
	*out = v;
	return 0;
}

void weir_featstats_fit(struct weir_featstats *fs, const struct weir_record *recs, size_t n)
{
	weir_featstats_clear(fs);
	if (n < 2)
		return;
	for (unsigned i = 0; i < WEIR_FEATDEV_N; i++) {
		double v, sum = 0, ss = 0;
		if (weir_feature_value(&recs[0], i, &v) < 0)
			continue;
		for (size_t j = 0; j < n; j++) {
			weir_feature_value(&recs[j], i, &v);
			sum += v;
		}
		double mean = sum / (double)n;
		for (size_t j = 0; j < n; j++) {
			weir_feature_value(&recs[j], i, &v);
			ss += (v - mean) * (v - mean);
		}
		fs->have[i] = 1;
		fs->mean[i] = mean;
		fs->std[i] = sqrt(ss / (double)(n - 1));
	}
}

unsigned weir_featdev_top(const struct weir_featstats *fs, const struct weir_record *r,
			  unsigned k, struct weir_featdev *out)
{
	unsigned n = 0;
	if (k > WEIR_FEATDEV_N)
		k = WEIR_FEATDEV_N;
	for (unsigned i = 0; i < WEIR_FEATDEV_N && k; i++) {
		double v;
		if (!fs->have[i] || weir_feature_value(r, i, &v) < 0)
			continue;
		double sd = fs->std[i] > 1e-9 ? fs->std[i] : 1e-9;
		double z = (v - fs->mean[i]) / sd;
		if (!isfinite(z) || z == 0)
			continue;
		if (n == k && fabs(z) <= fabs(out[n - 1].z))
			continue;
		unsigned j = n < k ? n++ : n - 1;
		while (j > 0 && fabs(z) > fabs(out[j - 1].z)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j].feature = i;
		out[j].value = v;
		out[j].z = z;
	}
	return n;
}
