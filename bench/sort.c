/* sort — comparison sorting of pseudo-random integers.
 *
 * Each round fills an array of 2^18 int32 values from a PRNG, sorts one
 * copy with a quicksort (median-of-three, Hoare partition, insertion sort
 * for short ranges, recursion on the smaller side only) and another copy
 * with a bottom-up merge sort, verifies both agree and are ordered, and
 * folds the sorted array into a checksum. Stresses data-dependent
 * (unpredictable) branches, random-ish loads/stores, memcpy and calls.
 *
 * Usage: sort [MULTIPLIER]   (scales the number of rounds; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT (1u << 18)
#define BASE_ROUNDS 40

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

static void insertion_sort(int32_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    int32_t v = a[i];
    size_t j = i;
    while (j > 0 && a[j - 1] > v) {
      a[j] = a[j - 1];
      j--;
    }
    a[j] = v;
  }
}

static inline void swap32(int32_t *x, int32_t *y) {
  int32_t t = *x;
  *x = *y;
  *y = t;
}

static void quick_sort(int32_t *a, size_t n) {
  while (n > 16) {
    size_t mid = n / 2, last = n - 1;
    if (a[mid] < a[0])
      swap32(&a[mid], &a[0]);
    if (a[last] < a[0])
      swap32(&a[last], &a[0]);
    if (a[last] < a[mid])
      swap32(&a[last], &a[mid]);
    int32_t pivot = a[mid];
    size_t i = 0, j = last;
    for (;;) {
      while (a[i] < pivot)
        i++;
      while (a[j] > pivot)
        j--;
      if (i >= j)
        break;
      swap32(&a[i], &a[j]);
      i++;
      j--;
    }
    /* [0, j] and [j+1, n) */
    size_t left = j + 1, right = n - left;
    if (left < right) {
      quick_sort(a, left);
      a += left;
      n = right;
    } else {
      quick_sort(a + left, right);
      n = left;
    }
  }
  insertion_sort(a, n);
}

static void merge_sort(int32_t *a, int32_t *tmp, size_t n) {
  /* sort runs of 8 by insertion, then merge bottom-up, ping-ponging buffers */
  for (size_t i = 0; i < n; i += 8)
    insertion_sort(a + i, n - i < 8 ? n - i : 8);
  int32_t *src = a, *dst = tmp;
  for (size_t width = 8; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        dst[k++] = src[j] < src[i] ? src[j++] : src[i++];
      while (i < mid)
        dst[k++] = src[i++];
      while (j < hi)
        dst[k++] = src[j++];
    }
    int32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a)
    memcpy(a, src, n * sizeof *a);
}

int main(int argc, char **argv) {
  double mult = parse_mult(argc, argv);
  uint32_t rounds = (uint32_t)(BASE_ROUNDS * mult);
  if (rounds < 1)
    rounds = 1;

  int32_t *orig = malloc(COUNT * sizeof *orig);
  int32_t *q = malloc(COUNT * sizeof *q);
  int32_t *m = malloc(COUNT * sizeof *m);
  int32_t *tmp = malloc(COUNT * sizeof *tmp);
  if (!orig || !q || !m || !tmp)
    return 1;

  uint64_t s = 0x2545F4914F6CDD1Dull, h = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    /* every 4th round uses a narrow value range to exercise duplicates */
    uint32_t mask = (r % 4 == 3) ? 0x3FFu : 0xFFFFFFFFu;
    for (size_t i = 0; i < COUNT; i++) {
      s ^= s >> 12;
      s ^= s << 25;
      s ^= s >> 27;
      orig[i] = (int32_t)((uint32_t)((s * 0x2545F4914F6CDD1Dull) >> 32) & mask);
    }
    memcpy(q, orig, COUNT * sizeof *q);
    memcpy(m, orig, COUNT * sizeof *m);
    quick_sort(q, COUNT);
    merge_sort(m, tmp, COUNT);
    for (size_t i = 0; i < COUNT; i++) {
      if (q[i] != m[i] || (i > 0 && q[i - 1] > q[i])) {
        printf("sort FAILED round=%" PRIu32 " index=%zu\n", r, i);
        return 1;
      }
      h = (h ^ (uint32_t)q[i]) * 0x100000001B3ull + i;
    }
  }
  printf("sort n=%u rounds=%" PRIu32 " hash=%016" PRIx64 "\n", COUNT, rounds, h);
  free(orig);
  free(q);
  free(m);
  free(tmp);
  return 0;
}
