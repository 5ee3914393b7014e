/* simd — loops that compilers vectorize.
 *
 * Five kernels over arrays that fit in cache, in many passes, written as
 * plain C loops that clang -O2 turns into 128-bit SIMD code when it may
 * (natively with SSE; for wasm32 with -msimd128, see bench-variant below):
 *   - alpha blend of two 8-bit images: widening multiply, shift, narrowing;
 *   - a 3-tap 16-bit filter: unaligned loads, i16 multiply-add, shifts;
 *   - f32 element-wise arithmetic (x * a + y, then * x - b): f32x4 mul/add;
 *   - i32 reductions (wrapping sum of squares, min, max) of the results;
 *   - counting a byte in a text: i8x16 compare and sum.
 * Float results are element-wise (no reassociation), so they are exact and
 * identical with and without SIMD, natively and in wasm. The checksum hashes
 * every output.
 *
 * Usage: simd [MULTIPLIER]   (scales the number of passes; default 1)
 *
 * bench-variant: simd128 -msimd128
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N (1u << 15) /* elements per array: 32 KiB of bytes, 128 KiB of f32 */
#define BASE_PASSES 12000

static uint8_t img_a[N], img_b[N], img_out[N], text[N];
static int16_t sig[N + 2], filt[N];
static float fx[N], fy[N], fz[N];
static int32_t iv[N];

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void fill(void) {
  for (unsigned i = 0; i < N; i++) {
    uint64_t r = rng();
    img_a[i] = (uint8_t)r;
    img_b[i] = (uint8_t)(r >> 8);
    text[i] = (uint8_t)('a' + (r >> 16) % 26);
    fx[i] = (float)(int32_t)((r >> 24) & 0xFFFF) / 256.0f - 128.0f;
    fy[i] = (float)(int32_t)((r >> 40) & 0xFFFF) / 1024.0f;
  }
  for (unsigned i = 0; i < N + 2; i++) sig[i] = (int16_t)(rng() & 0x3FFF) - 0x2000;
}

static void blend(uint8_t *restrict out, const uint8_t *restrict a, const uint8_t *restrict b,
                  unsigned alpha) {
  for (unsigned i = 0; i < N; i++)
    out[i] = (uint8_t)((a[i] * alpha + b[i] * (256 - alpha)) >> 8);
}

static void filter(int16_t *restrict out, const int16_t *restrict in) {
  for (unsigned i = 0; i < N; i++)
    out[i] = (int16_t)((in[i] * 3 + in[i + 1] * 10 + in[i + 2] * 3) >> 4);
}

static void saxpy(float *restrict z, const float *restrict x, const float *restrict y, float a,
                  float b) {
  for (unsigned i = 0; i < N; i++) z[i] = (x[i] * a + y[i]) * x[i] - b;
}

static void widen(int32_t *restrict out, const int16_t *restrict f, const uint8_t *restrict g) {
  for (unsigned i = 0; i < N; i++) out[i] = f[i] * 7 - g[i];
}

typedef struct stats {
  uint32_t sumsq;
  int32_t min, max;
} stats;

static stats reduce(const int32_t *v) {
  stats s = {0, INT32_MAX, INT32_MIN};
  for (unsigned i = 0; i < N; i++) {
    s.sumsq += (uint32_t)v[i] * (uint32_t)v[i];
    s.min = v[i] < s.min ? v[i] : s.min;
    s.max = v[i] > s.max ? v[i] : s.max;
  }
  return s;
}

static uint32_t count_byte(const uint8_t *t, uint8_t c) {
  uint32_t n = 0;
  for (unsigned i = 0; i < N; i++) n += t[i] == c;
  return n;
}

/* FNV-1a over 32-bit words (vectorizes poorly on purpose: one pass at the end). */
static uint64_t hash_words(uint64_t h, const void *p, size_t bytes) {
  const uint8_t *b = p;
  for (size_t i = 0; i + 4 <= bytes; i += 4) {
    uint32_t w;
    memcpy(&w, b + i, 4);
    h = (h ^ w) * 0x100000001B3ull;
  }
  return h;
}

int main(int argc, char **argv) {
  double mult = argc > 1 ? atof(argv[1]) : 1.0;
  long passes = (long)(BASE_PASSES * mult);
  if (passes < 1) passes = 1;
  fill();
  uint64_t acc = 0xCBF29CE484222325ull;
  for (long p = 0; p < passes; p++) {
    unsigned alpha = (unsigned)(p * 37 % 257);
    blend(img_out, img_a, img_b, alpha);
    filter(filt, sig);
    saxpy(fz, fx, fy, 1.0f + (float)(p % 7) / 8.0f, (float)(p % 5));
    widen(iv, filt, img_out);
    stats s = reduce(iv);
    uint32_t cnt = count_byte(text, (uint8_t)('a' + p % 26));
    acc = (acc ^ s.sumsq) * 0x100000001B3ull;
    acc = (acc ^ (uint32_t)s.min ^ ((uint64_t)(uint32_t)s.max << 32)) * 0x100000001B3ull;
    acc = (acc ^ cnt) * 0x100000001B3ull;
    acc = (acc ^ img_out[p % N] ^ ((uint64_t)(uint16_t)filt[(p * 7) % N] << 8)) * 0x100000001B3ull;
    /* feed results back so no pass can be skipped */
    img_a[p % N] ^= img_out[(p * 13) % N];
    sig[p % N] = (int16_t)(sig[p % N] ^ (filt[(p * 3) % N] & 0xFF));
    fy[p % N] = fz[(p * 11) % N] * 0.5f;
  }
  acc = hash_words(acc, img_out, sizeof img_out);
  acc = hash_words(acc, filt, sizeof filt);
  acc = hash_words(acc, fz, sizeof fz);
  acc = hash_words(acc, iv, sizeof iv);
  printf("simd: passes=%ld checksum=%016" PRIx64 "\n", passes, acc);
  return 0;
}
