/* bintree — allocation-heavy tree building.
 *
 * Repeatedly builds complete binary trees with malloc (one node per call),
 * walks them recursively to compute a checksum, and frees them; one
 * long-lived tree stays allocated throughout, and a set of trees of mixed
 * depths is kept alive at the same time to fragment the heap a little.
 * Stresses the allocator (malloc/free fast paths), pointer chasing
 * (dependent loads) and recursive calls.
 *
 * Usage: bintree [MULTIPLIER]   (scales the number of trees; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BASE_ITERS 240
#define MAX_DEPTH 16
#define LIVE 8

typedef struct node {
  struct node *left, *right;
  uint32_t value;
} node;

static node *build(uint32_t depth, uint32_t value) {
  node *n = malloc(sizeof *n);
  if (!n) {
    fprintf(stderr, "bintree: out of memory\n");
    exit(1);
  }
  n->value = value;
  if (depth == 0) {
    n->left = n->right = NULL;
  } else {
    n->left = build(depth - 1, value * 2u + 1u);
    n->right = build(depth - 1, value * 2u + 2u);
  }
  return n;
}

static uint64_t walk(const node *n) {
  if (!n->left)
    return n->value;
  uint64_t l = walk(n->left), r = walk(n->right);
  return (l * 31u + r) ^ n->value;
}

static void destroy(node *n) {
  if (n->left) {
    destroy(n->left);
    destroy(n->right);
  }
  free(n);
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
  uint32_t iters = (uint32_t)(BASE_ITERS * mult);
  if (iters < 1)
    iters = 1;

  node *longlived = build(MAX_DEPTH, 7);
  node *live[LIVE] = {0};
  uint64_t h = 0;
  for (uint32_t i = 0; i < iters; i++) {
    /* a few short-lived trees of increasing depth */
    for (uint32_t d = 4; d <= MAX_DEPTH; d += 4) {
      uint32_t count = 1u << ((MAX_DEPTH - d) / 2);
      for (uint32_t k = 0; k < count; k++) {
        node *t = build(d, i + k);
        h = (h ^ walk(t)) * 0x100000001B3ull;
        destroy(t);
      }
    }
    /* replace one of the kept-alive trees */
    uint32_t slot = i % LIVE;
    if (live[slot])
      destroy(live[slot]);
    live[slot] = build(8 + i % 7, i);
    h = (h ^ walk(live[(i * 3) % LIVE] ? live[(i * 3) % LIVE] : longlived)) *
        0x100000001B3ull;
  }
  h ^= walk(longlived);
  for (int s = 0; s < LIVE; s++)
    if (live[s])
      destroy(live[s]);
  destroy(longlived);
  printf("bintree iters=%" PRIu32 " hash=%016" PRIx64 "\n", iters, h);
  return 0;
}
