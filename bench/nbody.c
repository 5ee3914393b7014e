/* nbody — double-precision N-body simulation.
 *
 * Integrates a system of 24 point masses (positions, velocities and masses
 * generated from a PRNG) with a symplectic Euler step over all pairs,
 * computing 1/r^3 with sqrt and division, and reports the total energy.
 * Stresses f64 add/mul/div/sqrt, dependent floating-point chains and small
 * nested loops over arrays of structs. No libm calls other than sqrt (which
 * is correctly rounded everywhere), so results are bit-identical across
 * IEEE-754 targets.
 *
 * Usage: nbody [MULTIPLIER]   (scales the number of time steps; default 1)
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODIES 24
#define BASE_STEPS 1000000
#define DT 0.001

typedef struct {
  double x, y, z, vx, vy, vz, mass;
} body;

static uint64_t rng_state = 0xD1B54A32D192ED03ull;

static double rnd(void) { /* [0, 1) */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return (double)(z >> 11) / 9007199254740992.0;
}

static void advance(body *b, int n, double dt) {
  for (int i = 0; i < n; i++) {
    body *bi = &b[i];
    for (int j = i + 1; j < n; j++) {
      body *bj = &b[j];
      double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
      double d2 = dx * dx + dy * dy + dz * dz + 0.01; /* softening */
      double mag = dt / (d2 * sqrt(d2));
      bi->vx -= dx * bj->mass * mag;
      bi->vy -= dy * bj->mass * mag;
      bi->vz -= dz * bj->mass * mag;
      bj->vx += dx * bi->mass * mag;
      bj->vy += dy * bi->mass * mag;
      bj->vz += dz * bi->mass * mag;
    }
  }
  for (int i = 0; i < n; i++) {
    b[i].x += dt * b[i].vx;
    b[i].y += dt * b[i].vy;
    b[i].z += dt * b[i].vz;
  }
}

static double energy(const body *b, int n) {
  double e = 0.0;
  for (int i = 0; i < n; i++) {
    e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
    for (int j = i + 1; j < n; j++) {
      double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
      e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
    }
  }
  return e;
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
  uint32_t steps = (uint32_t)(BASE_STEPS * mult);
  if (steps < 1)
    steps = 1;

  body b[BODIES];
  double px = 0, py = 0, pz = 0, mtot = 0;
  for (int i = 0; i < BODIES; i++) {
    b[i].x = rnd() * 20.0 - 10.0;
    b[i].y = rnd() * 20.0 - 10.0;
    b[i].z = rnd() * 2.0 - 1.0;
    b[i].vx = rnd() - 0.5;
    b[i].vy = rnd() - 0.5;
    b[i].vz = (rnd() - 0.5) * 0.1;
    b[i].mass = 0.5 + rnd() * 4.5;
    px += b[i].vx * b[i].mass;
    py += b[i].vy * b[i].mass;
    pz += b[i].vz * b[i].mass;
    mtot += b[i].mass;
  }
  /* remove net momentum so the system stays put */
  for (int i = 0; i < BODIES; i++) {
    b[i].vx -= px / mtot;
    b[i].vy -= py / mtot;
    b[i].vz -= pz / mtot;
  }

  double e0 = energy(b, BODIES);
  for (uint32_t s = 0; s < steps; s++)
    advance(b, BODIES, DT);
  double e1 = energy(b, BODIES);

  uint64_t h = 0xCBF29CE484222325ull;
  for (int i = 0; i < BODIES; i++) {
    uint64_t bits[6];
    memcpy(&bits[0], &b[i].x, 8);
    memcpy(&bits[1], &b[i].y, 8);
    memcpy(&bits[2], &b[i].z, 8);
    memcpy(&bits[3], &b[i].vx, 8);
    memcpy(&bits[4], &b[i].vy, 8);
    memcpy(&bits[5], &b[i].vz, 8);
    for (int k = 0; k < 6; k++)
      h = (h ^ bits[k]) * 0x100000001B3ull;
  }
  printf("nbody steps=%" PRIu32 " e0=%.12f e1=%.12f hash=%016" PRIx64 "\n", steps,
         e0, e1, h);
  return 0;
}
