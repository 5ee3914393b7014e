/* matmul — double-precision dense matrix multiplication.
 *
 * Computes C = A * B for 192x192 f64 matrices in i-k-j loop order,
 * repeatedly, perturbing one row of A between repetitions so no work can
 * be hoisted. Stresses f64 multiply/add, sequential loads and stores over
 * a working set of ~900 KiB, and tight counted inner loops. Summation order
 * is fixed, so the result is bit-identical on any IEEE-754 target without
 * fast-math; the checksum is taken over the raw bits of C.
 *
 * Usage: matmul [MULTIPLIER]   (scales the number of repetitions; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 192
#define BASE_REPS 800

static double A[N][N], B[N][N], C[N][N];

static double parse_mult(int argc, char **argv) {
  if (argc < 2)
    return 1.0;
  char *end;
  double m = strtod(argv[1], &end);
  if (end == argv[1] || *end != '\0' || !(m > 0.0)) {
    fprintf(stderr, "usage: %s [MULTIPLIER>0]\n", argv[0]);
    exit(2);
  }
  return m;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* uniform in [-1, 1), from the top 53 bits of a splitmix64 step */
static double rnd(void) {
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static void multiply(void) {
  for (int i = 0; i < N; i++) {
    double *c = C[i];
    for (int j = 0; j < N; j++)
      c[j] = 0.0;
    for (int k = 0; k < N; k++) {
      double a = A[i][k];
      const double *b = B[k];
      for (int j = 0; j < N; j++)
        c[j] += a * b[j];
    }
  }
}

static uint64_t hash_c(uint64_t h) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      uint64_t bits;
      memcpy(&bits, &C[i][j], sizeof bits);
      h = (h ^ bits) * 0x100000001B3ull;
    }
  return h;
}

int main(int argc, char **argv) {
  double mult = parse_mult(argc, argv);
  uint32_t reps = (uint32_t)(BASE_REPS * mult);
  if (reps < 1)
    reps = 1;

  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = rnd();
      B[i][j] = rnd();
    }

  uint64_t h = 0xCBF29CE484222325ull;
  double trace = 0.0;
  for (uint32_t r = 0; r < reps; r++) {
    int row = (int)(r % N);
    for (int j = 0; j < N; j++)
      A[row][j] = rnd();
    multiply();
    h = hash_c(h);
    trace += C[r % N][(r * 7) % N];
  }
  printf("matmul n=%d reps=%" PRIu32 " sample=%.12e hash=%016" PRIx64 "\n", N,
         reps, trace, h);
  return 0;
}
