/* One-class SVM decision function on dense float vectors.
 *
 * The support vectors live in one row-major float matrix, each row padded to
 * WEIR_SVM_LANES floats (64 bytes) and the row count padded to a multiple of
 * WEIR_SVM_BLOCK with all-zero rows of coefficient 0, so the kernels never
 * need a remainder loop. Squared norms are precomputed so that an RBF kernel
 * value is exp(-gamma * (|x|^2 + |sv|^2 - 2 x.sv)): one FMA per dimension.
 *
 *   decision(x) = sum_i coef_i * K(x, sv_i) - rho
 *
 * Two implementations, chosen once at run time: AVX2+FMA (8 SVs at a time,
 * a vectorised exp) and a portable scalar one (that the compiler may turn into
 * SSE). Both use the same exp approximation, whose relative error is below
 * WEIR_SVM_EXP_MAX_REL_ERR for arguments in [-87, 0] (and which returns 0
 * below -87, where expf itself underflows to denormals).
 *
 * A model is built once (weir_svm_create, weir_svm_set_sv, weir_svm_finalize)
 * and is read-only afterwards: scoring allocates nothing and may run on any
 * number of threads at once.
 */
#ifndef WEIR_SVM_H
#define WEIR_SVM_H

#include <stdint.h>
#include <stddef.h>

#define WEIR_SVM_LANES 16         /* floats per 64-byte row chunk */
#define WEIR_SVM_BLOCK 8          /* SV rows handled together */
#define WEIR_SVM_MAX_DIMS 256     /* bounds the scorers' stack buffers */
#define WEIR_SVM_MAX_SV 100000    /* 100k x 256 floats = 100 MiB at most */
#define WEIR_SVM_EXP_MAX_REL_ERR 3e-7

enum weir_svm_kernel { WEIR_SVM_LINEAR = 0, WEIR_SVM_RBF = 1 };

enum weir_svm_path {
	WEIR_SVM_PATH_AUTO = 0,   /* the best the CPU supports */
	WEIR_SVM_PATH_SCALAR,
	WEIR_SVM_PATH_AVX2,
};

struct weir_svm {
	uint32_t kernel;          /* enum weir_svm_kernel */
	uint32_t dims;            /* input dimensions */
	uint32_t stride;          /* dims rounded up to WEIR_SVM_LANES */
	uint32_t nsv;             /* support vectors */
	uint32_t rows;            /* nsv rounded up to WEIR_SVM_BLOCK */
	float gamma;
	double rho;
	float *sv;                /* rows x stride, 64-byte aligned */
	float *sv_norm2;          /* rows */
	float *coef;              /* rows */
	float *w;                 /* linear: sum coef_i sv_i (stride floats) */
};

/* Allocates a zeroed model; NULL with a message on bad sizes or no memory. */
struct weir_svm *weir_svm_create(enum weir_svm_kernel kernel, uint32_t dims,
				 uint32_t nsv, double gamma, double rho,
				 char *err, size_t errlen);
/* Row i of the model: `x` has `dims` floats. */
void weir_svm_set_sv(struct weir_svm *m, uint32_t i, const float *x, double coef);
/* Norms (RBF) or the collapsed weight vector (linear). Call once, after the
 * last weir_svm_set_sv. */
void weir_svm_finalize(struct weir_svm *m);
void weir_svm_free(struct weir_svm *m);

/* Decision value. `x` holds m->stride floats, 64-byte aligned, zero beyond
 * m->dims (see weir_svm_stride). */
double weir_svm_decision(const struct weir_svm *m, const float *x);
/* The same on a given path (tests and benchmarks); a path the CPU lacks
 * falls back to scalar. */
double weir_svm_decision_path(const struct weir_svm *m, const float *x,
			      enum weir_svm_path path);
/* The path weir_svm_decision uses. */
enum weir_svm_path weir_svm_active_path(void);
const char *weir_svm_path_name(enum weir_svm_path p);

static inline uint32_t weir_svm_stride(uint32_t dims)
{
	return (dims + WEIR_SVM_LANES - 1) / WEIR_SVM_LANES * WEIR_SVM_LANES;
}

/* The exp approximation both paths use (exposed for its test). */
float weir_svm_exp(float x);

#endif
