/* Model bundles: a directory holding
 *   model.svm    libsvm's own text format (one-class, RBF or linear), so
 *                svm-train / svm-predict interoperate with it;
 *   scale.range  svm-scale's range file ("x", "lower upper", "index min max");
 *   bundle.json  the feature list with its transforms, the decision
 *                threshold, the version id and the provenance.
 *
 * A record becomes a vector in three steps: each feature of bundle.json is
 * read from the record and transformed (identity, log1p(mul*v), or one-hot
 * over a category list), then scaled as svm-scale would with scale.range,
 * then scored by the SVM kernel (svm.h). Anomaly: decision < threshold.
 *
 * Loading checks everything and refuses a bad bundle with a message naming
 * the file and the line. A loaded bundle is immutable: the dataplane swaps
 * pointers to it (RCU) and scores from many workers at once.
 */
#ifndef WEIR_BUNDLE_H
#define WEIR_BUNDLE_H

#include <stdint.h>
#include <stddef.h>
#include "record.h"
#include "svm.h"

#define WEIR_BUNDLE_MAX_DIMS WEIR_SVM_MAX_DIMS
#define WEIR_BUNDLE_MAX_SV WEIR_SVM_MAX_SV
#define WEIR_BUNDLE_FORMAT 1           /* bundle.json "format_version" */

/* Record fields a feature can be read from. Addresses, ports-as-numbers,
 * timestamps and the TCP base sequence numbers are deliberately absent:
 * they name hosts and moments, not behaviour. */
enum weir_field {
	WEIR_FLD_PROTO = 0, WEIR_FLD_STATE, WEIR_FLD_SERVICE,   /* categorical */
	WEIR_FLD_DUR, WEIR_FLD_SBYTES, WEIR_FLD_DBYTES, WEIR_FLD_STTL,
	WEIR_FLD_DTTL, WEIR_FLD_SLOSS, WEIR_FLD_DLOSS, WEIR_FLD_SLOAD,
	WEIR_FLD_DLOAD, WEIR_FLD_SPKTS, WEIR_FLD_DPKTS, WEIR_FLD_SWIN,
	WEIR_FLD_DWIN, WEIR_FLD_SMEANSZ, WEIR_FLD_DMEANSZ,
	WEIR_FLD_TRANS_DEPTH, WEIR_FLD_RES_BDY_LEN, WEIR_FLD_SJIT,
	WEIR_FLD_DJIT, WEIR_FLD_SINTPKT, WEIR_FLD_DINTPKT, WEIR_FLD_TCPRTT,
	WEIR_FLD_SYNACK, WEIR_FLD_ACKDAT, WEIR_FLD_IS_SM_IPS_PORTS,
	WEIR_FLD_CT_STATE_TTL, WEIR_FLD_CT_FLW_HTTP_MTHD, WEIR_FLD_IS_FTP_LOGIN,
	WEIR_FLD_CT_FTP_CMD, WEIR_FLD_CT_SRV_SRC, WEIR_FLD_CT_SRV_DST,
	WEIR_FLD_CT_DST_LTM, WEIR_FLD_CT_SRC_LTM, WEIR_FLD_CT_SRC_DPORT_LTM,
	WEIR_FLD_CT_DST_SPORT_LTM, WEIR_FLD_CT_DST_SRC_LTM,
	WEIR_FLD_MAX
};
const char *weir_field_name(unsigned f);     /* UNSW-NB15 column name */
int weir_field_parse(const char *s);         /* -1 if unknown */
int weir_field_is_categorical(unsigned f);
/* Numeric value, or the category code (proto number, enum weir_state,
 * enum weir_service) for a categorical field. */
double weir_field_value(const struct weir_record *r, unsigned f);

/* Categorical fields must be one-hot; numeric fields may be, over their
 * integer values ("sttl=254"). */
enum weir_xform { WEIR_XF_IDENTITY = 0, WEIR_XF_LOG1P, WEIR_XF_ONEHOT, WEIR_XF_MAX };
const char *weir_xform_name(unsigned x);
int weir_xform_parse(const char *s);         /* -1 if unknown */

/* One input dimension of the SVM. */
struct weir_dim {
	uint8_t field;          /* enum weir_field */
	uint8_t xform;          /* enum weir_xform */
	int32_t category;       /* one-hot: the code (categorical fields) or the
				 * integer value (numeric fields) this dimension
				 * is 1 for */
	float mul;              /* log1p: log1p(mul * max(v, 0)) */
	char name[32];          /* "sbytes", "proto=tcp" */
};

struct weir_featspec {
	uint32_t ndims;
	struct weir_dim dim[WEIR_BUNDLE_MAX_DIMS];
};

/* The transformed, unscaled values (ndims floats). Non-finite inputs
 * become 0, so a damaged record cannot poison the decision. */
void weir_featspec_raw(const struct weir_featspec *fs,
		       const struct weir_record *r, float *out);

struct weir_bundle {
	uint32_t version;            /* bundle.json "version" */
	float threshold;             /* anomaly when decision < threshold */
	struct weir_featspec fs;
	/* scale.range as x*mul + add per dimension; dimensions the range file
	 * does not list are constant in training and map to 0 (svm-scale's
	 * behaviour). */
	float scale_mul[WEIR_BUNDLE_MAX_DIMS];
	float scale_add[WEIR_BUNDLE_MAX_DIMS];
	/* Training mean and standard deviation of each transformed, unscaled
	 * dimension: which features of a flow deviate most. */
	float mean[WEIR_BUNDLE_MAX_DIMS];
	float std[WEIR_BUNDLE_MAX_DIMS];
	struct weir_svm *svm;
	/* provenance (informational) */
	char source[512];
	char date[40];
	uint64_t flows;              /* flows read */
	uint64_t train_flows;        /* flows trained on */
	double time_span_s;
	double gamma, nu, threshold_quantile;
	char dir[512];
};

/* Load and validate DIR/{bundle.json,scale.range,model.svm}. NULL with a
 * message naming the file and line on any problem; nothing stays allocated. */
struct weir_bundle *weir_bundle_load(const char *dir, char *err, size_t errlen);
void weir_bundle_free(struct weir_bundle *b);

/* The scaled vector the kernel sees: svm stride floats, zero-padded. */
void weir_bundle_vector(const struct weir_bundle *b,
			const struct weir_record *r, float *out);

/* Decision value of one record: vectorise, scale, kernel. No allocation:
 * the vector is a WEIR_BUNDLE_MAX_DIMS-float stack buffer. */
float weir_bundle_score(const struct weir_bundle *b, const struct weir_record *r);

static inline int weir_bundle_is_anomaly(const struct weir_bundle *b, float score)
{
	return score < b->threshold;
}

/* The k dimensions of a record furthest from the training mean, in
 * standard deviations (|z| descending). Returns how many were written. */
struct weir_deviation {
	uint32_t dim;
	float value;     /* transformed value */
	float z;         /* (value - mean) / std; dims with std 0 use 1 */
};
unsigned weir_bundle_deviations(const struct weir_bundle *b,
				const struct weir_record *r,
				struct weir_deviation *out, unsigned k);

#endif
