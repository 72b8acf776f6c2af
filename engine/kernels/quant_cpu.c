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
 * Two kinds of kernel, same blocks:
 *
 * - *_matmul: float32 activations. The only change from the float32 path is the order in which
 *   the same products are added. Slow on AVX2 (every weight is widened to a float and multiplied
 *   in 8-lane float registers), kept as the reference the integer kernels are tested against.
 * - *_q8_matmul: what llama.cpp does on AVX2. Each activation row is quantised once per call into
 *   blocks of 32 int8 with a float scale dx (and the block's sum sx = dx * sum q, llama.cpp's Q8_1,
 *   which the Q4_1 minimum needs); a block's dot product is then integer:
 *       sum_i x_i (d q_i + m) ~= d dx * sum_i q_i a_i + m sx,   a_i = round(x_i / dx)
 *   with sum_i q_i a_i computed 32 lanes at a time by _mm256_maddubs_epi16 (unsigned x signed bytes
 *   -> pairs summed into int16) and _mm256_madd_epi16 (int16 pairs -> int32). One instruction does
 *   what took eight conversions and FMAs, so the kernel is limited by memory, not arithmetic. The
 *   only new rounding is the activations' (|x_i - dx a_i| <= dx / 2, dx = max|x| / 127 per block).
 *
 * RMSNorm folded in: every matmul takes an optional norm weight g (NULL: none) and then multiplies
 * x_i / rms(x) * g_i instead of x_i, rms(x) = sqrt(mean(x^2) + eps). A pre-norm's output feeds only
 * the matmul after it (q/k/v, gate/up), so normalising here, in the pass that reads x anyway,
 * saves the model a separate norm per matmul (60 per decode step, each ~20-40 us of torch ops on
 * 576 floats).
 *
 * Threads: output rows are split into chunks that the calling thread and the pool's helpers claim
 * one at a time (see "the row pool" below), not OpenMP's fixed halves: on a shared machine a helper
 * is often not running when a call starts, and a fixed split makes the caller wait a whole
 * scheduler time slice (milliseconds) for it at the end of each of a decode step's 121 calls.
 * With claimed chunks the caller does the work itself when no helper turns up.
 */
#define _GNU_SOURCE /* sched_yield */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <immintrin.h>
#include <math.h>

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "these kernels need AVX2, FMA and F16C (x86-64 since 2013); engine/quant_cpu.py falls back to torch"
#endif

#define QK 32

/* ---- the row pool ------------------------------------------------------------------------------
 *
 * run_rows(fn, ctx, n, nthreads) calls fn(ctx, begin, end) over [0, n) in chunks. The caller
 * publishes the job as a ticket (generation << 32 | next chunk) and claims chunks like any helper;
 * a helper claims a chunk by compare-and-swap on the ticket, so a helper that wakes up late (after
 * the generation moved on) claims nothing and can never run a stale job. The caller returns once
 * every chunk is done; it waits only for chunks a helper has claimed and not yet finished, never
 * for a helper to arrive. Helpers spin briefly between jobs (a decode step issues one every few
 * tens of microseconds), then sleep on a condition variable.
 */
typedef void (*rows_fn)(void *ctx, int64_t begin, int64_t end);

#define MAX_HELPERS 63
#define SPINS_BEFORE_SLEEP 1000

static struct {
    _Atomic uint64_t ticket;     /* generation << 32 | next chunk to claim */
    _Atomic int64_t chunks_done; /* in the current generation */
    rows_fn fn;                  /* the job: written before the ticket is published */
    void *ctx;
    int64_t n, chunk, nchunks;
    _Atomic int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int helpers;  /* started so far (only the first caller thread starts them) */
    pid_t owner;  /* the process that started them: a forked child (a Celery worker) starts its own */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

/* Claim and run chunks of generation gen until none is left. */
static void work_on(uint32_t gen) {
    uint64_t t = atomic_load(&pool.ticket);
    for (;;) {
        if ((uint32_t)(t >> 32) != gen || (int64_t)(uint32_t)t >= pool.nchunks) return;
        if (!atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) continue; /* t reloaded: try again */
        const int64_t begin = (int64_t)(uint32_t)t * pool.chunk;
        const int64_t end = begin + pool.chunk < pool.n ? begin + pool.chunk : pool.n;
        pool.fn(pool.ctx, begin, end);
        atomic_fetch_add(&pool.chunks_done, 1);
        t = atomic_load(&pool.ticket);
    }
}

static void *helper_main(void *unused) {
    (void)unused;
    uint32_t seen = (uint32_t)(atomic_load(&pool.ticket) >> 32);
    for (;;) {
        uint32_t gen;
        int spins = 0;
        while ((gen = (uint32_t)(atomic_load(&pool.ticket) >> 32)) == seen && ++spins < SPINS_BEFORE_SLEEP) _mm_pause();
        if (gen == seen) {
            pthread_mutex_lock(&pool.lock);
            atomic_fetch_add(&pool.sleepers, 1); /* then re-check: the caller reads sleepers after publishing */
            while ((gen = (uint32_t)(atomic_load(&pool.ticket) >> 32)) == seen) pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.lock);
        }
        seen = gen;
        work_on(gen);
    }
    return NULL;
}

/* Start helpers up to wanted (at most MAX_HELPERS); returns how many there are. */
static int ensure_helpers(int wanted) {
    if (wanted > MAX_HELPERS) wanted = MAX_HELPERS;
    if (pool.owner == getpid() && pool.helpers >= wanted) return pool.helpers;
    pthread_mutex_lock(&start_lock);
    if (pool.owner != getpid()) { /* first call in this process: threads do not survive fork() */
        pool.helpers = 0;
        pool.owner = getpid();
    }
    while (pool.helpers < wanted) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, helper_main, NULL) != 0) break; /* fewer helpers: still correct */
        pthread_detach(thread);
        pool.helpers++;
    }
    pthread_mutex_unlock(&start_lock);
    return pool.helpers;
}

/* One job at a time: the kernels are called from one Python thread (it holds the GIL for the call). */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;

static void run_rows(rows_fn fn, void *ctx, int64_t n, int nthreads) {
    if (nthreads <= 1 || n < 2 || ensure_helpers(nthreads - 1) == 0) {
        fn(ctx, 0, n);
        return;
    }
    /* Several chunks per thread so that whoever is running takes over the chunks of whoever is not. */
    int64_t chunk = (n + 8 * nthreads - 1) / (8 * nthreads);
    if (chunk < 16) chunk = 16;
    pthread_mutex_lock(&job_lock);
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.chunk = chunk;
    pool.nchunks = (n + chunk - 1) / chunk;
    atomic_store(&pool.chunks_done, 0);
    const uint32_t gen = (uint32_t)(atomic_load(&pool.ticket) >> 32) + 1;
    atomic_store(&pool.ticket, (uint64_t)gen << 32); /* publishes the fields above (sequentially consistent) */
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    work_on(gen);
    for (int spins = 0; atomic_load(&pool.chunks_done) < pool.nchunks; spins++) {
        /* a helper is finishing a chunk it claimed; if it was preempted, let it have this core */
        if (spins < 1000) _mm_pause(); else sched_yield();
    }
    pthread_mutex_unlock(&job_lock);
}

static inline float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* e^x for 8 floats: e^x = 2^n * e^r with n = round(x / ln 2), |r| <= ln(2) / 2,
 * e^r by Cephes expf's degree-6 polynomial (relative error ~1e-7, like expf's). glibc's scalar expf
 * took ~20 cycles a call, most of the attention kernel's time at a few hundred keys. Inputs below -87
 * give 0 (e^-87 is below float32's normal range: no weight next to softmax's 1, nothing next to
 * SiLU's 1 + e^-x), inputs above 88 give e^88 (float32's range ends at ~e^88.7). */
static inline __m256 exp256(__m256 x) {
    const __m256 small = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  /* ln 2 in two parts: r stays exact */
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    const __m256 r2 = _mm256_mul_ps(r, r);
    __m256 poly = _mm256_set1_ps(1.9875691500e-4f);
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.3981999507e-3f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(8.3334519073e-3f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(4.1665795894e-2f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.6666665459e-1f));
    poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(5.0000001201e-1f));
    poly = _mm256_fmadd_ps(poly, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i pow2n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(small, _mm256_mul_ps(poly, _mm256_castsi256_ps(pow2n)));
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

/* SwiGLU's product folded in (glu != 0): x holds rows of 2K, gate then up (the fused gate/up
 * projection's output), and the matmul multiplies silu(gate) * up, silu(g) = g / (1 + e^-g). This
 * saves the model a split, a SiLU and a multiply (three torch ops, ~10 us) per layer. */
static float *glu_rows(const float *x, int64_t M, int64_t K) {
    float *out = (float *)malloc(sizeof(float) * (size_t)(M * K));
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t m = 0; m < M; m++) {
        const float *g = x + m * 2 * K, *u = g + K;
        float *o = out + m * K;
        int64_t i = 0;
        for (; i + 8 <= K; i += 8) {
            const __m256 gv = _mm256_loadu_ps(g + i);
            const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), gv));
            _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_div_ps(gv, _mm256_add_ps(one, e)), _mm256_loadu_ps(u + i)));
        }
        for (; i < K; i++) o[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
    }
    return out;
}

/* The rows x [M, K] that the matmul multiplies: x itself, silu(gate) * up (glu != 0, see glu_rows),
 * then RMSNorm(x) * norm when norm is not NULL; anything computed is in *scratch (malloc'ed; the
 * caller frees it). The model never asks for both. */
static const float *normalized_rows(const float *x_in, int64_t M, int64_t K, const float *norm, float eps, int glu, float **scratch) {
    *scratch = glu ? glu_rows(x_in, M, K) : NULL;
    const float *x = glu ? *scratch : x_in;
    if (norm == NULL) return x;
    float *out = (float *)malloc(sizeof(float) * (size_t)(M * K));
    for (int64_t m = 0; m < M; m++) {
        const float *xr = x + m * K;
        __m256 acc = _mm256_setzero_ps();
        int64_t i = 0;
        for (; i + 8 <= K; i += 8) {
            const __m256 v = _mm256_loadu_ps(xr + i);
            acc = _mm256_fmadd_ps(v, v, acc);
        }
        float ss = hsum256(acc);
        for (; i < K; i++) ss += xr[i] * xr[i];
        const float r = 1.0f / sqrtf(ss / (float)K + eps);
        for (i = 0; i < K; i++) out[m * K + i] = xr[i] * r * norm[i];
    }
    free(*scratch);
    *scratch = out;
    return out;
}

/* One matmul call as the row pool sees it: y[:, begin:end] for a range of weight rows. */
typedef struct {
    int64_t M, K, N, nb;
    const void *qs;
    const uint16_t *d, *mn;
    const float *x, *xsum;   /* float32 activations (xsum: Q4_1's block sums) */
    const int8_t *a;         /* int8 activations with their scales dx and sums sx */
    const float *dx, *sx;
    float *y;
} matmul_job;

static void q4_1_rows(void *p, int64_t begin, int64_t end) {
    const matmul_job *j = p;
    for (int64_t n = begin; n < end; n++)
        for (int64_t m = 0; m < j->M; m++)
            j->y[m * j->N + n] = q4_1_row_dot((const uint8_t *)j->qs + n * j->nb * 16, j->d + n * j->nb, j->mn + n * j->nb,
                                              j->x + m * j->K, j->xsum + m * j->nb, j->nb);
}

static void q8_0_rows(void *p, int64_t begin, int64_t end) {
    const matmul_job *j = p;
    for (int64_t n = begin; n < end; n++)
        for (int64_t m = 0; m < j->M; m++)
            j->y[m * j->N + n] = q8_0_row_dot((const int8_t *)j->qs + n * j->nb * QK, j->d + n * j->nb, j->x + m * j->K, j->nb);
}

void q4_1_matmul(const float *x_in, int64_t M, int64_t K, const uint8_t *qs, const uint16_t *d, const uint16_t *mn,
                 int64_t N, float *y, int nthreads, const float *norm, float eps, int glu) {
    const int64_t nb = K / QK;
    float *scratch;
    const float *x = normalized_rows(x_in, M, K, norm, eps, glu, &scratch);
    float *xsum = (float *)malloc(sizeof(float) * (size_t)(M * nb));
    for (int64_t i = 0; i < M * nb; i++) {
        float s = 0.0f;
        for (int j = 0; j < QK; j++) s += x[i * QK + j];
        xsum[i] = s;
    }
    matmul_job job = {.M = M, .K = K, .N = N, .nb = nb, .qs = qs, .d = d, .mn = mn, .x = x, .xsum = xsum, .y = y};
    run_rows(q4_1_rows, &job, N, nthreads);
    free(xsum);
    free(scratch);
}

void q8_0_matmul(const float *x_in, int64_t M, int64_t K, const int8_t *qs, const uint16_t *d, int64_t N, float *y,
                 int nthreads, const float *norm, float eps, int glu) {
    float *scratch;
    const float *x = normalized_rows(x_in, M, K, norm, eps, glu, &scratch);
    matmul_job job = {.M = M, .K = K, .N = N, .nb = K / QK, .qs = qs, .d = d, .x = x, .y = y};
    run_rows(q8_0_rows, &job, N, nthreads);
    free(scratch);
}

/* ---- int8 activations (llama.cpp's Q8_1) --------------------------------------------------- */

/* One row of K floats -> K / 32 blocks: int8 a [K], scale dx [K / 32], dx * sum(a) sx [K / 32].
 * dx = max|x| / 127 so the largest value maps to +-127 (never -128: the Q8_0 kernel below relies on
 * it); rounding is to nearest, ties to even (the CPU's default mode, as in llama.cpp). */
static void quantize_row_q8(const float *x, int64_t K, int8_t *a, float *dx, float *sx) {
    const __m256 sign_bit = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < K / QK; b++) {
        const float *xb = x + b * QK;
        __m256 v[4];
        __m256 amax = _mm256_setzero_ps();
        for (int j = 0; j < 4; j++) {
            v[j] = _mm256_loadu_ps(xb + 8 * j);
            amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_bit, v[j]));
        }
        __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
        m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
        const float d = _mm_cvtss_f32(m4) / 127.0f;
        const __m256 inv = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
        __m256i q[4];
        for (int j = 0; j < 4; j++)
            q[j] = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v[j], inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        /* int32 x 32 -> int8 x 32; packs interleave 128-bit lanes, the permute puts them back in order. */
        const __m256i q16a = _mm256_packs_epi32(q[0], q[1]), q16b = _mm256_packs_epi32(q[2], q[3]);
        const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(a + b * QK), q8);
        const __m256i sum32 = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        sx[b] = d * hsum256(_mm256_cvtepi32_ps(sum32));  /* |sum| <= 32 * 127: exact in float */
        dx[b] = d;
    }
}

/* sum_i of 32 unsigned bytes u_i times 32 signed bytes s_i, as 8 int32 lanes (u_i * s_i pairs fit int16). */
static inline __m256i dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* The per-block scales of one weight row times the activations' (d dx), 8 blocks per instruction;
 * for Q4_1 also the minimum's term sum_b m sx. Done before the block loop so the loop keeps only
 * integer work and one FMA per block. MAX_BLOCKS bounds K (8192 inputs). */
#define MAX_BLOCKS 256

static inline void block_scales(const uint16_t *d, const float *dx, int64_t nb, float *scale) {
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8)
        _mm256_storeu_ps(scale + b, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(d + b))), _mm256_loadu_ps(dx + b)));
    for (; b < nb; b++) scale[b] = half_to_float(d[b]) * dx[b];
}

static inline float minimum_term(const uint16_t *mn, const float *sx, int64_t nb) {
    __m256 acc = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 8 <= nb; b += 8)
        acc = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(mn + b))), _mm256_loadu_ps(sx + b), acc);
    float tail = 0.0f;
    for (; b < nb; b++) tail += half_to_float(mn[b]) * sx[b];
    return hsum256(acc) + tail;
}

/* Two accumulators (even and odd blocks) so consecutive FMAs do not wait on each other's result. */
static inline __m256 q4_1_block(const uint8_t *qs, const int8_t *a, float scale, __m256 acc) {
    const __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    /* low nibbles are elements 0..15, high nibbles 16..31: one 32-byte vector in element order */
    const __m256i w = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
    const __m256i p = dot_u8_i8(w, _mm256_loadu_si256((const __m256i *)a));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(scale), acc);
}

static inline float q4_1_q8_row_dot(const uint8_t *qs, const uint16_t *d, const uint16_t *mn, const int8_t *a,
                                    const float *dx, const float *sx, int64_t nb) {
    float scale[MAX_BLOCKS];
    block_scales(d, dx, nb, scale);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        acc0 = q4_1_block(qs + b * 16, a + b * QK, scale[b], acc0);
        acc1 = q4_1_block(qs + (b + 1) * 16, a + (b + 1) * QK, scale[b + 1], acc1);
    }
    if (b < nb) acc0 = q4_1_block(qs + b * 16, a + b * QK, scale[b], acc0);
    return hsum256(_mm256_add_ps(acc0, acc1)) + minimum_term(mn, sx, nb);
}

static inline __m256 q8_0_block(const int8_t *qs, const int8_t *a, float scale, __m256 acc) {
    const __m256i w = _mm256_loadu_si256((const __m256i *)qs);
    const __m256i x = _mm256_loadu_si256((const __m256i *)a);
    /* maddubs wants one unsigned operand: |w| times x with w's sign moved onto x. |-128| reads as
     * 128 unsigned, still right; x is never -128 (quantize_row_q8), so the sign move cannot overflow. */
    const __m256i p = dot_u8_i8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(scale), acc);
}

static inline float q8_0_q8_row_dot(const int8_t *qs, const uint16_t *d, const int8_t *a, const float *dx, int64_t nb) {
    float scale[MAX_BLOCKS];
    block_scales(d, dx, nb, scale);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
        acc0 = q8_0_block(qs + b * QK, a + b * QK, scale[b], acc0);
        acc1 = q8_0_block(qs + (b + 1) * QK, a + (b + 1) * QK, scale[b + 1], acc1);
    }
    if (b < nb) acc0 = q8_0_block(qs + b * QK, a + b * QK, scale[b], acc0);
    return hsum256(_mm256_add_ps(acc0, acc1));
}

/* Quantised activations of M rows, one allocation: a [M, K] int8, dx [M, nb], sx [M, nb]. */
typedef struct {
    int8_t *a;
    float *dx, *sx;
} q8_rows;

static q8_rows quantize_rows(const float *x_in, int64_t M, int64_t K, const float *norm, float eps, int glu) {
    const int64_t nb = K / QK;
    float *scratch;
    const float *x = normalized_rows(x_in, M, K, norm, eps, glu, &scratch);
    float *scales = (float *)malloc(sizeof(float) * (size_t)(2 * M * nb) + (size_t)(M * K));
    q8_rows r = {(int8_t *)(scales + 2 * M * nb), scales, scales + M * nb};
    for (int64_t m = 0; m < M; m++) quantize_row_q8(x + m * K, K, r.a + m * K, r.dx + m * nb, r.sx + m * nb);
    free(scratch);
    return r;
}

static void q4_1_q8_rows(void *p, int64_t begin, int64_t end) {
    const matmul_job *j = p;
    for (int64_t n = begin; n < end; n++)
        for (int64_t m = 0; m < j->M; m++)
            j->y[m * j->N + n] = q4_1_q8_row_dot((const uint8_t *)j->qs + n * j->nb * 16, j->d + n * j->nb,
                                                 j->mn + n * j->nb, j->a + m * j->K, j->dx + m * j->nb, j->sx + m * j->nb, j->nb);
}

static void q8_0_q8_rows(void *p, int64_t begin, int64_t end) {
    const matmul_job *j = p;
    for (int64_t n = begin; n < end; n++)
        for (int64_t m = 0; m < j->M; m++)
            j->y[m * j->N + n] = q8_0_q8_row_dot((const int8_t *)j->qs + n * j->nb * QK, j->d + n * j->nb, j->a + m * j->K,
                                                 j->dx + m * j->nb, j->nb);
}

void q4_1_q8_matmul(const float *x, int64_t M, int64_t K, const uint8_t *qs, const uint16_t *d, const uint16_t *mn,
                    int64_t N, float *y, int nthreads, const float *norm, float eps, int glu) {
    const q8_rows r = quantize_rows(x, M, K, norm, eps, glu);
    matmul_job job = {.M = M, .K = K, .N = N, .nb = K / QK, .qs = qs, .d = d, .mn = mn, .a = r.a, .dx = r.dx, .sx = r.sx, .y = y};
    run_rows(q4_1_q8_rows, &job, N, nthreads);
    free(r.dx);
}

void q8_0_q8_matmul(const float *x, int64_t M, int64_t K, const int8_t *qs, const uint16_t *d, int64_t N, float *y,
                    int nthreads, const float *norm, float eps, int glu) {
    const q8_rows r = quantize_rows(x, M, K, norm, eps, glu);
    matmul_job job = {.M = M, .K = K, .N = N, .nb = K / QK, .qs = qs, .d = d, .a = r.a, .dx = r.dx, .y = y};
    run_rows(q8_0_q8_rows, &job, N, nthreads);
    free(r.dx);
}

/* The activations exactly as the *_q8_matmul kernels see them, for tests: dequantised x' = dx * a. */
void q8_roundtrip(const float *x, int64_t M, int64_t K, float *out) {
    const q8_rows r = quantize_rows(x, M, K, NULL, 0.0f, 0);
    for (int64_t i = 0; i < M * K; i++) out[i] = r.dx[i / QK] * (float)r.a[i];
    free(r.dx);
}

/* Dequantisation, written exactly as gguf.quants does it (float32 d * q, then + m): the product
 * of an 11-bit float16 significand and a 4- or 8-bit integer is exact in float32, so the result
 * is bit-identical to the float32 path's weights whether or not the compiler fuses into an FMA. */
typedef struct {
    const void *qs;
    const uint16_t *d, *mn;
    int64_t nb;
    float *out;
} dequantize_job;

static void q4_1_dequantize_rows(void *p, int64_t begin, int64_t end) {
    const dequantize_job *j = p;
    const int64_t nb = j->nb;
    for (int64_t r = begin; r < end; r++) {
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *q = (const uint8_t *)j->qs + (r * nb + b) * 16;
            const float scale = half_to_float(j->d[r * nb + b]), minimum = half_to_float(j->mn[r * nb + b]);
            float *o = j->out + (r * nb + b) * QK;
            for (int i = 0; i < 16; i++) {
                o[i] = scale * (float)(q[i] & 0x0F) + minimum;
                o[i + 16] = scale * (float)(q[i] >> 4) + minimum;
            }
        }
    }
}

static void q8_0_dequantize_rows(void *p, int64_t begin, int64_t end) {
    const dequantize_job *j = p;
    const int64_t nb = j->nb;
    for (int64_t r = begin; r < end; r++) {
        for (int64_t b = 0; b < nb; b++) {
            const int8_t *q = (const int8_t *)j->qs + (r * nb + b) * QK;
            const float scale = half_to_float(j->d[r * nb + b]);
            for (int i = 0; i < QK; i++) j->out[(r * nb + b) * QK + i] = scale * (float)q[i];
        }
    }
}

void q4_1_dequantize(const uint8_t *qs, const uint16_t *d, const uint16_t *mn, int64_t rows, int64_t nb, float *out,
                     int nthreads) {
    dequantize_job job = {.qs = qs, .d = d, .mn = mn, .nb = nb, .out = out};
    run_rows(q4_1_dequantize_rows, &job, rows, nthreads);
}

void q8_0_dequantize(const int8_t *qs, const uint16_t *d, int64_t rows, int64_t nb, float *out, int nthreads) {
    dequantize_job job = {.qs = qs, .d = d, .nb = nb, .out = out};
    run_rows(q8_0_dequantize_rows, &job, rows, nthreads);
}

/* ---- one query's attention (decode) -------------------------------------------------------------
 *
 * y[b, h] = softmax(scale * q[b, h] . k[b, g, :S]) @ v[b, g, :S] for every head h, g = h / (H / Hkv)
 * (grouped-query attention: each key/value head serves H / Hkv query heads). A decode step's lone
 * query sees every cached key, so there is no mask. Why a kernel for this: for 9 heads x a few
 * hundred keys x D = 64 it is ~200k multiply-adds, a few microseconds, while torch's SDPA spends
 * 20-60 us per layer in dispatch and its tiled loop for long queries, 30 times a step.
 * Both loops keep four independent FMA chains in flight (four keys at a time for the scores, four
 * 8-lane slices of D at a time for the weighted sum): one chain would wait on the FMA's latency.
 * Runs on the calling thread (the work is too small to wake a helper for). q and y rows are D
 * contiguous floats; k and v rows likewise, S rows of D per head; strides are in floats.
 * D must be a multiple of 32 (the Python side checks). */
static void one_head_scores(const float *q, const float *k, int64_t S, int64_t D, float scale, float *p) {
    int64_t s = 0;
    for (; s + 4 <= S; s += 4) {
        const float *k0 = k + s * D, *k1 = k0 + D, *k2 = k1 + D, *k3 = k2 + D;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t i = 0; i < D; i += 8) {
            const __m256 qi = _mm256_loadu_ps(q + i);
            a0 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k0 + i), a0);
            a1 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k1 + i), a1);
            a2 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k2 + i), a2);
            a3 = _mm256_fmadd_ps(qi, _mm256_loadu_ps(k3 + i), a3);
        }
        p[s] = scale * hsum256(a0), p[s + 1] = scale * hsum256(a1), p[s + 2] = scale * hsum256(a2), p[s + 3] = scale * hsum256(a3);
    }
    for (; s < S; s++) {
        __m256 a = _mm256_setzero_ps();
        for (int64_t i = 0; i < D; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + s * D + i), a);
        p[s] = scale * hsum256(a);
    }
}

static void one_head_mix(const float *p, const float *v, int64_t S, int64_t D, float *y) {
    for (int64_t i = 0; i < D; i += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        for (int64_t s = 0; s < S; s++) {
            const __m256 ps = _mm256_set1_ps(p[s]);
            const float *vs = v + s * D + i;
            a0 = _mm256_fmadd_ps(ps, _mm256_loadu_ps(vs), a0);
            a1 = _mm256_fmadd_ps(ps, _mm256_loadu_ps(vs + 8), a1);
            a2 = _mm256_fmadd_ps(ps, _mm256_loadu_ps(vs + 16), a2);
            a3 = _mm256_fmadd_ps(ps, _mm256_loadu_ps(vs + 24), a3);
        }
        _mm256_storeu_ps(y + i, a0), _mm256_storeu_ps(y + i + 8, a1);
        _mm256_storeu_ps(y + i + 16, a2), _mm256_storeu_ps(y + i + 24, a3);
    }
}

/* p[s] = e^(p[s] - top) for s < S; returns their sum. */
static float exp_shifted(float *p, int64_t S, float top) {
    const __m256 t = _mm256_set1_ps(top);
    __m256 acc = _mm256_setzero_ps();
    int64_t s = 0;
    for (; s + 8 <= S; s += 8) {
        const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(p + s), t));
        _mm256_storeu_ps(p + s, e);
        acc = _mm256_add_ps(acc, e);
    }
    float total = hsum256(acc);
    for (; s < S; s++) total += (p[s] = expf(p[s] - top));
    return total;
}

void attend_one_query(const float *q, int64_t q_bstride, int64_t q_hstride, const float *k, const float *v,
                      int64_t kv_bstride, int64_t kv_hstride, int64_t B, int64_t H, int64_t Hkv, int64_t S, int64_t D,
                      float scale, float *y) {
    const int64_t group = H / Hkv;
    float *p = (float *)malloc(sizeof(float) * (size_t)S);
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++) {
            const int64_t kv = b * kv_bstride + (h / group) * kv_hstride;
            one_head_scores(q + b * q_bstride + h * q_hstride, k + kv, S, D, scale, p);
            float top = -INFINITY;
            for (int64_t s = 0; s < S; s++) top = p[s] > top ? p[s] : top;
            const float inv = 1.0f / exp_shifted(p, S, top);
            for (int64_t s = 0; s < S; s++) p[s] *= inv;  /* normalise the S weights, not the D outputs per slice */
            one_head_mix(p, v + kv, S, D, y + (b * H + h) * D);
        }
    free(p);
}

/* ---- RoPE in place (decode) ---------------------------------------------------------------------
 *
 * x[b, t, h] = x * cos[t] + rotate_half(x) * sin[t] for the first `heads` heads of each row, with the
 * tables in engine.core.model.RotaryEmbedding's layout (cos with both halves equal, sin with the first
 * half negated), so out_i = x_i cos_i + x_{(i + D/2) mod D} sin_i. Rows are row_stride floats apart
 * (the fused q/k/v projection's output: q and k heads first, v after, left alone). In torch this is
 * four ops and a copy per layer (~15-20 us at one token); here it is one pass over 12 heads. */
void rope_in_place(float *x, int64_t B, int64_t T, int64_t row_stride, int64_t heads, int64_t D, const float *cos,
                   const float *sin) {
    const int64_t half = D / 2;
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < T; t++) {
            const float *c = cos + t * D, *s = sin + t * D;
            for (int64_t h = 0; h < heads; h++) {
                float *xh = x + (b * T + t) * row_stride + h * D;
                for (int64_t i = 0; i < half; i++) {
                    const float lo = xh[i], hi = xh[i + half];
                    xh[i] = lo * c[i] + hi * s[i];
                    xh[i + half] = hi * c[i + half] + lo * s[i + half];
                }
            }
        }
}

/* ---- float32 matmul for decode (the float32 path's linears) ---------------------------------------
 *
 * y[M, N] = x[M, K] @ W[N, K]^T with W float32 row-major, for a few token rows M. A decode step is
 * bound by reading W once (the weights are 4-8x the bytes of the Q4_1 / Q8_0 blocks); MKL's sgemv
 * reached ~13.5 GB/s on SmolLM2's shapes where a plain read of the same bytes reaches ~20 GB/s.
 * Here eight weight rows are read side by side (eight streams the hardware prefetcher follows), each
 * with two independent 8-lane accumulators per token row, so the FMA latency never stalls the loads;
 * the rows of x (K floats each) stay in L1. Measured alone on SmolLM2's gate/up, down and head shapes
 * (one thread, weights out of cache): 8 rows read 22-23, 29-31, 18-19 GB/s; 4 rows 19-21, 25, 16-17;
 * 6, 12 and 16 rows no better than 8; software prefetching 256 or 1024 bytes ahead made it slower. Only the order of the float32 additions differs from
 * torch's: each output is a sum of K products accumulated in 16 interleaved partial sums. */
#define F32_ROWS 8

static inline void f32_row_group(const float *w, int64_t K, const float *x, float *out /* [F32_ROWS] */) {
    __m256 a[F32_ROWS][2];
    for (int r = 0; r < F32_ROWS; r++) a[r][0] = a[r][1] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
        const __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
        for (int r = 0; r < F32_ROWS; r++) {
            a[r][0] = _mm256_fmadd_ps(_mm256_loadu_ps(w + r * K + k), x0, a[r][0]);
            a[r][1] = _mm256_fmadd_ps(_mm256_loadu_ps(w + r * K + k + 8), x1, a[r][1]);
        }
    }
    for (int r = 0; r < F32_ROWS; r++) {
        float s = hsum256(_mm256_add_ps(a[r][0], a[r][1]));
        for (int64_t i = k; i < K; i++) s += w[r * K + i] * x[i];
        out[r] = s;
    }
}

static inline float f32_row_dot(const float *w, int64_t K, const float *x) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 16 <= K; k += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(x + k), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + k + 8), _mm256_loadu_ps(x + k + 8), a1);
    }
    float s = hsum256(_mm256_add_ps(a0, a1));
    for (; k < K; k++) s += w[k] * x[k];
    return s;
}

typedef struct {
    int64_t M, K, N;
    const float *x, *w;
    float *y;
} f32_job;

static void f32_rows(void *p, int64_t begin, int64_t end) {
    const f32_job *j = p;
    int64_t n = begin;
    float out[F32_ROWS];
    for (; n + F32_ROWS <= end; n += F32_ROWS)
        for (int64_t m = 0; m < j->M; m++) { /* rows 2..M re-read the group's weight rows from L1/L2 */
            f32_row_group(j->w + n * j->K, j->K, j->x + m * j->K, out);
            for (int r = 0; r < F32_ROWS; r++) j->y[m * j->N + n + r] = out[r];
        }
    for (; n < end; n++)
        for (int64_t m = 0; m < j->M; m++) j->y[m * j->N + n] = f32_row_dot(j->w + n * j->K, j->K, j->x + m * j->K);
}

void f32_matmul(const float *x, int64_t M, int64_t K, const float *w, int64_t N, float *y, int nthreads) {
    f32_job job = {.M = M, .K = K, .N = N, .x = x, .w = w, .y = y};
    run_rows(f32_rows, &job, N, nthreads);
}

/* ---- a decode step's layers in one call (the native path) -----------------------------------------
 *
 * x [B, C] += attention(RMSNorm(x)), then x += SwiGLU(RMSNorm(x)), for every layer, one new token per
 * row, every row at the same position `pos`, keys and values written into a static cache laid out as
 * engine.core.kv_cache.StaticCache's buffer: [layers, 2 (K, V), B, Hkv, max_len, D] float32.
 *
 * Nothing here is new arithmetic: each layer calls the kernels above in the order the Python modules
 * do (engine.core.model.Block with the native path's folds: qkv with the attention norm folded in,
 * RoPE on the q and k heads, the cache write, one query's attention, o_proj, the residual add, gate/up
 * with the MLP norm folded in, down with SwiGLU folded in, the residual add), so the logits equal the
 * module route's bit for bit (tests/engine/core/test_native_step.py). Why one call: the module route
 * spends ~4 ms of a ~12 ms SmolLM2 step in Python between the kernels (module calls, views, the
 * cache's slicing; ~140 us a layer), more than the step's whole gap to llama.cpp. */
typedef struct {           /* one matrix: engine/kernels/quant_cpu.py NativeMatrix mirrors this layout */
    int32_t kernel;        /* NATIVE_Q4_1_Q8 ... NATIVE_Q8_0_F32 */
    int32_t nthreads;
    int32_t glu;
    float eps;             /* of the folded RMSNorm (norm != NULL) */
    const void *qs;
    const uint16_t *d, *mn;
    const float *norm;
    int64_t N, K;
} native_matrix;

typedef struct {
    native_matrix qkv, o, gate_up, down;
} native_layer;

enum { NATIVE_Q4_1_Q8, NATIVE_Q8_0_Q8, NATIVE_Q4_1_F32, NATIVE_Q8_0_F32 };

/* y [M, N] = x [M, K (2K with glu)] @ W^T through the matrix's kernel. */
static void native_matmul(const native_matrix *w, const float *x, int64_t M, float *y) {
    switch (w->kernel) {
    case NATIVE_Q4_1_Q8:
        q4_1_q8_matmul(x, M, w->K, w->qs, w->d, w->mn, w->N, y, w->nthreads, w->norm, w->eps, w->glu);
        break;
    case NATIVE_Q8_0_Q8:
        q8_0_q8_matmul(x, M, w->K, w->qs, w->d, w->N, y, w->nthreads, w->norm, w->eps, w->glu);
        break;
    case NATIVE_Q4_1_F32:
        q4_1_matmul(x, M, w->K, w->qs, w->d, w->mn, w->N, y, w->nthreads, w->norm, w->eps, w->glu);
        break;
    default:
        q8_0_matmul(x, M, w->K, w->qs, w->d, w->N, y, w->nthreads, w->norm, w->eps, w->glu);
    }
}

/* x += y elementwise: torch's x + y, the same float32 additions. */
static void add_in_place(float *x, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] += y[i];
}

void native_decode_layers(const native_layer *layers, int64_t n_layers, float *x, int64_t B, int64_t C,
                          float *cache, int64_t max_len, int64_t pos, int64_t H, int64_t Hkv, int64_t D, float scale,
                          const float *cos, const float *sin) {
    const int64_t W = (H + 2 * Hkv) * D;  /* one row of the fused q/k/v projection: q heads, k heads, v heads */
    const int64_t head_stride = max_len * D, batch_stride = Hkv * head_stride, layer_stride = 2 * B * batch_stride;
    int64_t widest = W > C ? W : C;
    for (int64_t l = 0; l < n_layers; l++) widest = layers[l].gate_up.N > widest ? layers[l].gate_up.N : widest;
    float *wide = (float *)malloc(sizeof(float) * (size_t)(B * widest));  /* qkv, then gate/up */
    float *attended = (float *)malloc(sizeof(float) * (size_t)(B * H * D));
    float *out = (float *)malloc(sizeof(float) * (size_t)(B * C));
    for (int64_t l = 0; l < n_layers; l++) {
        const native_layer *L = layers + l;
        float *keys = cache + l * layer_stride, *values = keys + B * batch_stride;
        native_matmul(&L->qkv, x, B, wide);
        rope_in_place(wide, B, 1, W, H + Hkv, D, cos, sin);
        for (int64_t b = 0; b < B; b++)
            for (int64_t g = 0; g < Hkv; g++) {
                const int64_t slot = b * batch_stride + g * head_stride + pos * D;
                memcpy(keys + slot, wide + b * W + (H + g) * D, sizeof(float) * (size_t)D);
                memcpy(values + slot, wide + b * W + (H + Hkv + g) * D, sizeof(float) * (size_t)D);
            }
        attend_one_query(wide, W, D, keys, values, batch_stride, head_stride, B, H, Hkv, pos + 1, D, scale, attended);
        native_matmul(&L->o, attended, B, out);
        add_in_place(x, out, B * C);
        native_matmul(&L->gate_up, x, B, wide);
        native_matmul(&L->down, wide, B, out);
        add_in_place(x, out, B * C);
    }
    free(wide), free(attended), free(out);
}
