/* One-class SVM decision function: model layout, scalar and AVX2+FMA paths.
 * See svm.h for the layout and the error bounds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>
#include "svm.h"

/* exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in
 * [-ln2/2, ln2/2]; ln 2 split in two so n*ln2_hi is exact. exp(r) by a
 * degree-5 minimax polynomial (the Cephes expf coefficients): relative error
 * about 1.5e-7 on that interval, measured by test_svm against exp(). */
#define EXP_LOG2E 1.44269504088896341f
#define EXP_LN2_HI 0.693359375f
#define EXP_LN2_LO -2.12194440e-4f
#define EXP_P0 1.9875691500e-4f
#define EXP_P1 1.3981999507e-3f
#define EXP_P2 8.3334519073e-3f
#define EXP_P3 4.1665795894e-2f
#define EXP_P4 1.6666665459e-1f
#define EXP_P5 5.0000001201e-1f
/* Below this 2^n would leave the normal range; the kernel value is then
 * far below anything a float sum of coefficients can see. */
#define EXP_MIN -87.0f

float weir_svm_exp(float x)
{
	if (!(x >= EXP_MIN))      /* also NaN: a kernel value of 0 */
		return 0.0f;
	if (x > 88.0f)
		x = 88.0f;
	float n = floorf(x * EXP_LOG2E + 0.5f);
	float r = x - n * EXP_LN2_HI;
	r = r - n * EXP_LN2_LO;
	float p = EXP_P0;
	p = p * r + EXP_P1;
	p = p * r + EXP_P2;
	p = p * r + EXP_P3;
	p = p * r + EXP_P4;
	p = p * r + EXP_P5;
	float y = p * r * r + r + 1.0f;
	union { uint32_t u; float f; } s;
	s.u = (uint32_t)((int32_t)n + 127) << 23;
	return y * s.f;
}

struct weir_svm *weir_svm_create(enum weir_svm_kernel kernel, uint32_t dims,
				 uint32_t nsv, double gamma, double rho,
				 char *err, size_t errlen)
{
	if (kernel != WEIR_SVM_LINEAR && kernel != WEIR_SVM_RBF) {
		snprintf(err, errlen, "svm: unknown kernel %d", (int)kernel);
		return NULL;
	}
	if (dims == 0 || dims > WEIR_SVM_MAX_DIMS) {
		snprintf(err, errlen, "svm: %u dimensions, must be 1..%u", dims,
			 WEIR_SVM_MAX_DIMS);
		return NULL;
	}
	if (nsv == 0 || nsv > WEIR_SVM_MAX_SV) {
		snprintf(err, errlen, "svm: %u support vectors, must be 1..%u", nsv,
			 WEIR_SVM_MAX_SV);
		return NULL;
	}
	if (!isfinite(rho) || (kernel == WEIR_SVM_RBF &&
			       !(isfinite(gamma) && gamma > 0 && gamma < 1e30))) {
		snprintf(err, errlen, "svm: gamma %g / rho %g not usable", gamma, rho);
		return NULL;
	}
	struct weir_svm *m = calloc(1, sizeof(*m));
	if (!m)
		goto oom;
	m->kernel = kernel;
	m->dims = dims;
	m->stride = weir_svm_stride(dims);
	m->nsv = nsv;
	m->rows = (nsv + WEIR_SVM_BLOCK - 1) / WEIR_SVM_BLOCK * WEIR_SVM_BLOCK;
	m->gamma = (float)gamma;
	m->rho = rho;
	size_t svbytes = (size_t)m->rows * m->stride * sizeof(float);
	size_t rowbytes = ((size_t)m->rows * sizeof(float) + 63) / 64 * 64;
	size_t wbytes = (size_t)m->stride * sizeof(float);
	m->sv = aligned_alloc(64, svbytes);
	m->sv_norm2 = aligned_alloc(64, rowbytes);
	m->coef = aligned_alloc(64, rowbytes);
	m->w = aligned_alloc(64, wbytes);
	if (!m->sv || !m->sv_norm2 || !m->coef || !m->w) {
		weir_svm_free(m);
		goto oom;
	}
	memset(m->sv, 0, svbytes);
	memset(m->sv_norm2, 0, rowbytes);
	memset(m->coef, 0, rowbytes);
	memset(m->w, 0, wbytes);
	return m;
oom:
	snprintf(err, errlen, "svm: no memory for %u x %u model", nsv, dims);
	return NULL;
}

void weir_svm_set_sv(struct weir_svm *m, uint32_t i, const float *x, double coef)
{
	if (i >= m->nsv)
		return;
	memcpy(m->sv + (size_t)i * m->stride, x, m->dims * sizeof(float));
	m->coef[i] = (float)coef;
}

void weir_svm_finalize(struct weir_svm *m)
{
	/* Norms and the weight vector in double: they are computed once. */
	for (uint32_t i = 0; i < m->rows; i++) {
		const float *r = m->sv + (size_t)i * m->stride;
		double s = 0;
		for (uint32_t d = 0; d < m->dims; d++)
			s += (double)r[d] * r[d];
		m->sv_norm2[i] = (float)s;
	}
	for (uint32_t d = 0; d < m->dims; d++) {
		double s = 0;
		for (uint32_t i = 0; i < m->nsv; i++)
			s += (double)m->coef[i] * m->sv[(size_t)i * m->stride + d];
		m->w[d] = (float)s;
	}
}

void weir_svm_free(struct weir_svm *m)
{
	if (!m)
		return;
	free(m->sv);
	free(m->sv_norm2);
	free(m->coef);
	free(m->w);
	free(m);
}

/* ---- scalar path ---- */

static float dot_scalar(const float *a, const float *b, uint32_t n)
{
	/* Four partial sums: shorter dependency chains, and a summation order
	 * close to the vector path's. */
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (uint32_t d = 0; d < n; d += 4) {
		s0 += a[d] * b[d];
		s1 += a[d + 1] * b[d + 1];
		s2 += a[d + 2] * b[d + 2];
		s3 += a[d + 3] * b[d + 3];
	}
	return (s0 + s1) + (s2 + s3);
}

static double decision_scalar(const struct weir_svm *m, const float *x)
{
	if (m->kernel == WEIR_SVM_LINEAR)
		return (double)dot_scalar(m->w, x, m->stride) - m->rho;
	float xn = dot_scalar(x, x, m->stride);
	double sum = 0;
	for (uint32_t i = 0; i < m->nsv; i++) {
		float dot = dot_scalar(m->sv + (size_t)i * m->stride, x, m->stride);
		float dist = xn + m->sv_norm2[i] - 2.0f * dot;
		if (dist < 0)   /* rounding, when x is (nearly) an SV */
			dist = 0;
		sum += (double)m->coef[i] * weir_svm_exp(-m->gamma * dist);
	}
	return sum - m->rho;
}

/* ---- AVX2 + FMA path ---- */

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline __m256 exp8(__m256 x)
{
	__m256 zero_mask = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_MIN), _CMP_GE_OQ);
	x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
	x = _mm256_max_ps(x, _mm256_set1_ps(EXP_MIN));
	__m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(EXP_LOG2E),
						   _mm256_set1_ps(0.5f)));
	__m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_HI), x);
	r = _mm256_fnmadd_ps(n, _mm256_set1_ps(EXP_LN2_LO), r);
	__m256 p = _mm256_set1_ps(EXP_P0);
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P1));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
	__m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r,
				   _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
	__m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n),
						       _mm256_set1_epi32(127)), 23);
	y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
	return _mm256_and_ps(y, zero_mask);
}

/* Eight 8-lane accumulators to one vector of their eight sums. */
AVX2 static inline __m256 reduce8(__m256 a0, __m256 a1, __m256 a2, __m256 a3,
				  __m256 a4, __m256 a5, __m256 a6, __m256 a7)
{
	__m256 s01 = _mm256_hadd_ps(a0, a1);
	__m256 s23 = _mm256_hadd_ps(a2, a3);
	__m256 s45 = _mm256_hadd_ps(a4, a5);
	__m256 s67 = _mm256_hadd_ps(a6, a7);
	__m256 s0123 = _mm256_hadd_ps(s01, s23);  /* lo halves | hi halves */
	__m256 s4567 = _mm256_hadd_ps(s45, s67);
	return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20),
			     _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

AVX2 static inline double hsum8(__m256 v)
{
	__m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
	__m256d d = _mm256_add_pd(_mm256_cvtps_pd(lo), _mm256_cvtps_pd(hi));
	__m128d h = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
	return _mm_cvtsd_f64(h) + _mm_cvtsd_f64(_mm_unpackhi_pd(h, h));
}

AVX2 static float dot_avx2(const float *a, const float *b, uint32_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
	for (uint32_t d = 0; d < n; d += 16) {
		s0 = _mm256_fmadd_ps(_mm256_load_ps(a + d), _mm256_load_ps(b + d), s0);
		s1 = _mm256_fmadd_ps(_mm256_load_ps(a + d + 8), _mm256_load_ps(b + d + 8), s1);
	}
	return (float)hsum8(_mm256_add_ps(s0, s1));
}

AVX2 static double decision_avx2(const struct weir_svm *m, const float *x)
{
	if (m->kernel == WEIR_SVM_LINEAR)
		return (double)dot_avx2(m->w, x, m->stride) - m->rho;
	const uint32_t st = m->stride;
	const __m256 xn = _mm256_set1_ps(dot_avx2(x, x, st));
	const __m256 ng = _mm256_set1_ps(-m->gamma);
	__m256 sum = _mm256_setzero_ps();
	for (uint32_t b = 0; b < m->rows; b += WEIR_SVM_BLOCK) {
		const float *r = m->sv + (size_t)b * st;
		__m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
		__m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
		__m256 a4 = _mm256_setzero_ps(), a5 = _mm256_setzero_ps();
		__m256 a6 = _mm256_setzero_ps(), a7 = _mm256_setzero_ps();
		for (uint32_t d = 0; d < st; d += 8) {
			__m256 xv = _mm256_load_ps(x + d);
			a0 = _mm256_fmadd_ps(_mm256_load_ps(r + 0 * st + d), xv, a0);
			a1 = _mm256_fmadd_ps(_mm256_load_ps(r + 1 * st + d), xv, a1);
			a2 = _mm256_fmadd_ps(_mm256_load_ps(r + 2 * st + d), xv, a2);
			a3 = _mm256_fmadd_ps(_mm256_load_ps(r + 3 * st + d), xv, a3);
			a4 = _mm256_fmadd_ps(_mm256_load_ps(r + 4 * st + d), xv, a4);
			a5 = _mm256_fmadd_ps(_mm256_load_ps(r + 5 * st + d), xv, a5);
			a6 = _mm256_fmadd_ps(_mm256_load_ps(r + 6 * st + d), xv, a6);
			a7 = _mm256_fmadd_ps(_mm256_load_ps(r + 7 * st + d), xv, a7);
		}
		__m256 dot = reduce8(a0, a1, a2, a3, a4, a5, a6, a7);
		__m256 dist = _mm256_fnmadd_ps(_mm256_set1_ps(2.0f), dot,
					       _mm256_add_ps(xn, _mm256_load_ps(m->sv_norm2 + b)));
		dist = _mm256_max_ps(dist, _mm256_setzero_ps());
		__m256 k = exp8(_mm256_mul_ps(ng, dist));
		sum = _mm256_fmadd_ps(_mm256_load_ps(m->coef + b), k, sum);
	}
	return hsum8(sum) - m->rho;
}

/* ---- dispatch ---- */

/* Decided once, before main: scoring threads only read it. */
static int avx2_ok;

__attribute__((constructor)) static void svm_cpu_probe(void)
{
	__builtin_cpu_init();
	avx2_ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline int have_avx2(void)
{
	return avx2_ok;
}

enum weir_svm_path weir_svm_active_path(void)
{
	return have_avx2() ? WEIR_SVM_PATH_AVX2 : WEIR_SVM_PATH_SCALAR;
}

const char *weir_svm_path_name(enum weir_svm_path p)
{
	switch (p) {
	case WEIR_SVM_PATH_SCALAR: return "scalar";
	case WEIR_SVM_PATH_AVX2: return "avx2+fma";
	default: return "auto";
	}
}

double weir_svm_decision_path(const struct weir_svm *m, const float *x,
			      enum weir_svm_path path)
{
	if (path == WEIR_SVM_PATH_AUTO)
		path = weir_svm_active_path();
	if (path == WEIR_SVM_PATH_AVX2 && have_avx2())
		return decision_avx2(m, x);
	return decision_scalar(m, x);
}

double weir_svm_decision(const struct weir_svm *m, const float *x)
{
	return have_avx2() ? decision_avx2(m, x) : decision_scalar(m, x);
}
