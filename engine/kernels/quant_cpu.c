/* Weight-only matmuls on GGUF blocks (Q4_1, Q8_0) with float32 activations, for engine/quant_cpu.py.
 *
 * Layout (struct of arrays, the same bits as the file's 20- and 34-byte blocks):
 *   Q4_1  qs [N, nb, 16] uint8   element i of a block is the low nibble of byte i (i < 16) or the
 *                                high nibble of byte i - 16, as in ggml
 *         d  [N, nb]  float16    the block's scale
 *         m  [N, nb]  float16    the block's minimum: w = d * q + m, q in 0..15
 *   Q8_0  qs [N, nb, 32] int8,  d [N, nb] float16: w = d * q
 * with nb = K / 32 blocks per row of K inputs; y[M, N] = x[M, K] @ W[N, K]^T.
 *
 * Why the sums are arranged as they are: a block's contribution to one output is
 *   sum_i x_i (d q_i + m) = d * sum_i x_i q_i + m * sum_i x_i,
 * so the minimum costs one multiply per block once the block sums of x are known (they are shared
 * by every row), and the inner loop is integer -> float conversion plus one FMA per weight.
 * Activations stay float32 (no int8 activations as llama.cpp uses): the only change from the
 * float32 path is the order in which the same products are added.
 *
 * Threads: OpenMP over output rows. The library is linked against the libgomp that torch itself
 * loaded, so this shares torch's thread pool instead of starting a second one that would fight it
 * for the same cores.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "these kernels need AVX2, FMA and F16C (x86-64 since 2013); engine/quant_cpu.py falls back to torch"
#endif

#define QK 32

static inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline __m256 u8x8_to_ps(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)); }
static inline __m256 i8x8_to_ps(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)); }

/* sum over one row of Q4_1 blocks against one row of x (its block sums in xsum). */
static inline float q4_1_row_dot(const uint8_t *qs, const uint16_t *d, const uint16_t *mn, const float *x,
                                 const float *xsum, int64_t nb) {
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float min_acc = 0.0f;
    for (int64_t b = 0; b < nb; b++) {
        const __m128i raw = _mm_loadu_si128((const __m128i *)(qs + b * 16));
        const __m128i lo = _mm_and_si128(raw, low4);                      /* elements 0..15 */
        const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), low4);   /* elements 16..31 */
        const float *xb = x + b * QK;
        __m256 s = _mm256_mul_ps(u8x8_to_ps(lo), _mm256_loadu_ps(xb));
        s = _mm256_fmadd_ps(u8x8_to_ps(_mm_srli_si128(lo, 8)), _mm256_loadu_ps(xb + 8), s);
        s = _mm256_fmadd_ps(u8x8_to_ps(hi), _mm256_loadu_ps(xb + 16), s);
        s = _mm256_fmadd_ps(u8x8_to_ps(_mm_srli_si128(hi, 8)), _mm256_loadu_ps(xb + 24), s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(d[b])), s, acc);
        min_acc += half_to_float(mn[b]) * xsum[b];
    }
    return hsum256(acc) + min_acc;
}

static inline float q8_0_row_dot(const int8_t *qs, const uint16_t *d, const float *x, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; b++) {
        const int8_t *q = qs + b * QK;
        const float *xb = x + b * QK;
        __m256 s = _mm256_mul_ps(i8x8_to_ps(_mm_loadl_epi64((const __m128i *)q)), _mm256_loadu_ps(xb));
        s = _mm256_fmadd_ps(i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(q + 8))), _mm256_loadu_ps(xb + 8), s);
        s = _mm256_fmadd_ps(i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(q + 16))), _mm256_loadu_ps(xb + 16), s);
        s = _mm256_fmadd_ps(i8x8_to_ps(_mm_loadl_epi64((const __m128i *)(q + 24))), _mm256_loadu_ps(xb + 24), s);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_float(d[b])), s, acc);
    }
    return hsum256(acc);
}

void q4_1_matmul(const float *x, int64_t M, int64_t K, const uint8_t *qs, const uint16_t *d, const uint16_t *mn,
                 int64_t N, float *y, int nthreads) {
    const int64_t nb = K / QK;
    float *xsum = (float *)malloc(sizeof(float) * (size_t)(M * nb));
    for (int64_t i = 0; i < M * nb; i++) {
        float s = 0.0f;
        for (int j = 0; j < QK; j++) s += x[i * QK + j];
        xsum[i] = s;
    }
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t m = 0; m < M; m++) {
            y[m * N + n] = q4_1_row_dot(qs + n * nb * 16, d + n * nb, mn + n * nb, x + m * K, xsum + m * nb, nb);
        }
    }
    free(xsum);
}

void q8_0_matmul(const float *x, int64_t M, int64_t K, const int8_t *qs, const uint16_t *d, int64_t N, float *y,
                 int nthreads) {
    const int64_t nb = K / QK;
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t n = 0; n < N; n++) {
        for (int64_t m = 0; m < M; m++) {
            y[m * N + n] = q8_0_row_dot(qs + n * nb * QK, d + n * nb, x + m * K, nb);
        }
    }
}

/* Dequantisation, written exactly as gguf.quants does it (float32 d * q, then + m): the product
 * of an 11-bit float16 significand and a 4- or 8-bit integer is exact in float32, so the result
 * is bit-identical to the float32 path's weights whether or not the compiler fuses into an FMA. */
void q4_1_dequantize(const uint8_t *qs, const uint16_t *d, const uint16_t *mn, int64_t rows, int64_t nb, float *out,
                     int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *q = qs + (r * nb + b) * 16;
            const float scale = half_to_float(d[r * nb + b]), minimum = half_to_float(mn[r * nb + b]);
            float *o = out + (r * nb + b) * QK;
            for (int i = 0; i < 16; i++) {
                o[i] = scale * (float)(q[i] & 0x0F) + minimum;
                o[i + 16] = scale * (float)(q[i] >> 4) + minimum;
            }
        }
    }
}

void q8_0_dequantize(const int8_t *qs, const uint16_t *d, int64_t rows, int64_t nb, float *out, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t b = 0; b < nb; b++) {
            const float scale = half_to_float(d[r * nb + b]);
            for (int i = 0; i < QK; i++) out[(r * nb + b) * QK + i] = scale * (float)qs[(r * nb + b) * QK + i];
        }
    }
}
