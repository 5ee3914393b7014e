/* crc32 — checksumming throughput.
 *
 * Runs a table-driven CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320,
 * one byte per step) and a 64-bit multiply/rotate hash in the style of
 * xxHash (four independent lanes, then an avalanche) over a 1 MiB buffer
 * filled from a PRNG, many passes, flipping one byte between passes.
 * Stresses byte loads, dependent table lookups (load latency), shifts,
 * xors and 64-bit integer multiplication.
 *
 * Usage: crc32 [MULTIPLIER]   (scales the number of passes; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_SIZE (1u << 20)
#define BASE_PASSES 450

static uint32_t crc_table[256];

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  for (size_t i = 0; i < n; i++)
    crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

#define M1 0x9E3779B185EBCA87ull
#define M2 0xC2B2AE3D27D4EB4Full
#define M3 0x165667B19E3779F9ull

static inline uint64_t rotl64(uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline uint64_t lane(uint64_t acc, uint64_t w) {
  acc += w * M2;
  acc = rotl64(acc, 31);
  return acc * M1;
}

/* n must be a multiple of 32 */
static uint64_t mix_hash(const uint8_t *p, size_t n, uint64_t seed) {
  uint64_t a = seed + M1 + M2, b = seed + M2, c = seed, d = seed - M1;
  for (size_t i = 0; i < n; i += 32) {
    a = lane(a, load64(p + i));
    b = lane(b, load64(p + i + 8));
    c = lane(c, load64(p + i + 16));
    d = lane(d, load64(p + i + 24));
  }
  uint64_t h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18);
  h += (uint64_t)n;
  h ^= h >> 33;
  h *= M2;
  h ^= h >> 29;
  h *= M3;
  h ^= h >> 32;
  return h;
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
  uint32_t passes = (uint32_t)(BASE_PASSES * mult);
  if (passes < 1)
    passes = 1;

  uint8_t *buf = malloc(BUF_SIZE);
  if (!buf)
    return 1;
  uint64_t s = 0x243F6A8885A308D3ull;
  for (size_t i = 0; i < BUF_SIZE; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    buf[i] = (uint8_t)(s >> 24);
  }
  crc_init();

  uint32_t crc = 0;
  uint64_t h = 0;
  for (uint32_t p = 0; p < passes; p++) {
    buf[(p * 2654435761u) % BUF_SIZE] ^= (uint8_t)(p | 1u);
    crc = crc32_update(crc, buf, BUF_SIZE);
    h = mix_hash(buf, BUF_SIZE, h ^ crc);
  }
  printf("crc32 passes=%" PRIu32 " crc=%08" PRIx32 " hash=%016" PRIx64 "\n",
         passes, crc, h);
  free(buf);
  return 0;
}
