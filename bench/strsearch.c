/* strsearch — substring search over generated text.
 *
 * Builds 1 MiB of pseudo-English text (random "words" drawn from a small
 * vocabulary over a 12-letter alphabet, so partial matches are common),
 * then for a series of patterns (2..48 bytes, taken from the text and
 * sometimes mutated so they may not occur) counts every occurrence with
 * both a naive byte-by-byte search and Boyer-Moore-Horspool, checks the two
 * agree and folds counts and positions into a checksum. Stresses byte
 * loads and compares, short inner loops with early exits, and table-driven
 * skips (BMH).
 *
 * Usage: strsearch [MULTIPLIER]   (scales the number of patterns; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_SIZE (1u << 20)
#define VOCAB 64
#define BASE_PATTERNS 480

static uint64_t rng = 0x853C49E6748FEA9Bull;

static uint32_t next_u32(void) {
  rng = rng * 6364136223846793005ull + 1442695040888963407ull;
  uint32_t x = (uint32_t)(((rng >> 18) ^ rng) >> 27);
  uint32_t rot = (uint32_t)(rng >> 59);
  return (x >> rot) | (x << ((32 - rot) & 31));
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

typedef struct {
  uint32_t count;
  uint64_t pos_hash;
} result;

static void record(result *r, size_t pos) {
  r->count++;
  r->pos_hash = (r->pos_hash ^ (uint64_t)pos) * 0x100000001B3ull;
}

static result search_naive(const uint8_t *t, size_t n, const uint8_t *p, size_t m) {
  result r = {0, 0xCBF29CE484222325ull};
  for (size_t i = 0; i + m <= n; i++) {
    size_t j = 0;
    while (j < m && t[i + j] == p[j])
      j++;
    if (j == m)
      record(&r, i);
  }
  return r;
}

static result search_bmh(const uint8_t *t, size_t n, const uint8_t *p, size_t m) {
  result r = {0, 0xCBF29CE484222325ull};
  size_t skip[256];
  for (int c = 0; c < 256; c++)
    skip[c] = m;
  for (size_t k = 0; k + 1 < m; k++)
    skip[p[k]] = m - 1 - k;
  uint8_t last = p[m - 1];
  for (size_t i = 0; i + m <= n;) {
    uint8_t c = t[i + m - 1];
    if (c == last) {
      size_t j = 0;
      while (j + 1 < m && t[i + j] == p[j])
        j++;
      if (j + 1 == m)
        record(&r, i);
    }
    i += skip[c];
  }
  return r;
}

int main(int argc, char **argv) {
  double mult = parse_mult(argc, argv);
  uint32_t npat = (uint32_t)(BASE_PATTERNS * mult);
  if (npat < 1)
    npat = 1;

  /* vocabulary of words of 1..9 letters from "etaoinshrdlu" */
  static const char letters[] = "etaoinshrdlu";
  char words[VOCAB][10];
  for (int w = 0; w < VOCAB; w++) {
    uint32_t len = 1 + next_u32() % 9;
    for (uint32_t k = 0; k < len; k++)
      words[w][k] = letters[next_u32() % 12];
    words[w][len] = '\0';
  }
  uint8_t *text = malloc(TEXT_SIZE);
  if (!text)
    return 1;
  size_t n = 0;
  while (n < TEXT_SIZE) {
    /* skewed word choice: low indices are much more frequent */
    uint32_t a = next_u32() % VOCAB, b = next_u32() % VOCAB;
    const char *w = words[a < b ? a : b];
    for (size_t k = 0; w[k] && n < TEXT_SIZE; k++)
      text[n++] = (uint8_t)w[k];
    if (n < TEXT_SIZE)
      text[n++] = ' ';
  }

  uint64_t h = 0;
  uint64_t total = 0;
  uint8_t pat[48];
  for (uint32_t i = 0; i < npat; i++) {
    size_t m = 2 + next_u32() % 47;
    size_t at = next_u32() % (TEXT_SIZE - m);
    memcpy(pat, text + at, m);
    if (next_u32() % 3 == 0)
      pat[next_u32() % m] = (uint8_t)letters[next_u32() % 12];
    result a = search_naive(text, TEXT_SIZE, pat, m);
    result b = search_bmh(text, TEXT_SIZE, pat, m);
    if (a.count != b.count || a.pos_hash != b.pos_hash) {
      printf("strsearch FAILED pattern=%" PRIu32 "\n", i);
      return 1;
    }
    total += a.count;
    h = (h ^ a.pos_hash ^ a.count) * 0x100000001B3ull;
  }
  printf("strsearch patterns=%" PRIu32 " matches=%" PRIu64 " hash=%016" PRIx64 "\n",
         npat, total, h);
  free(text);
  return 0;
}
