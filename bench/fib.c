/* fib — deep recursion and call overhead.
 *
 * Computes Fibonacci numbers with the doubly recursive definition, the
 * Ackermann function A(2, n) and A(3, n) (recursion depth up to a few
 * thousand frames), and the Tak function. Almost all time is spent in
 * function prologues/epilogues, argument passing and compare-and-branch,
 * so this stresses the cost of calls and returns.
 *
 * Usage: fib [MULTIPLIER]   (scales the number of repetitions; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BASE_REPS 320

/* noinline keeps the compiler from flattening the recursion too much */
__attribute__((noinline)) static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0)
    return n + 1;
  if (n == 0)
    return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static int32_t tak(int32_t x, int32_t y, int32_t z) {
  if (y >= x)
    return z;
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

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

int main(int argc, char **argv) {
  double mult = parse_mult(argc, argv);
  uint32_t reps = (uint32_t)(BASE_REPS * mult);
  if (reps < 1)
    reps = 1;

  /* volatile inputs so nothing is folded at compile time */
  volatile uint32_t fib_n = 27, ack_n = 7;
  volatile int32_t tak_x = 18, tak_y = 12, tak_z = 6;
  uint64_t h = 0;
  for (uint32_t r = 0; r < reps; r++) {
    uint32_t f = fib(fib_n + r % 3);
    uint32_t a2 = ack(2, 1000 + r);
    uint32_t a3 = ack(3, ack_n);
    int32_t t = tak(tak_x, tak_y, tak_z + (int32_t)(r % 2));
    h = (h ^ f) * 0x100000001B3ull;
    h = (h ^ a2) * 0x100000001B3ull;
    h = (h ^ a3) * 0x100000001B3ull;
    h = (h ^ (uint32_t)t) * 0x100000001B3ull;
  }
  printf("fib reps=%" PRIu32 " hash=%016" PRIx64 "\n", reps, h);
  return 0;
}
