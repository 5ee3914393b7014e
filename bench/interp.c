/* interp — a switch-dispatched bytecode virtual machine.
 *
 * A small register VM (16 x 64-bit registers, 64 Ki words of data memory,
 * a call stack) executes two hand-assembled programs: a Collatz step
 * counter (arithmetic and short data-dependent branches) and a prime sieve
 * followed by a subroutine that sums the primes (VM loads/stores, calls and
 * returns). The dispatch loop is a plain `switch` over a fetched opcode, so
 * this stresses indirect branches, unpredictable control flow and the
 * load/decode overhead typical of interpreters.
 *
 * Usage: interp [MULTIPLIER]   (scales the number of program runs; default 1)
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum op {
  OP_HALT, OP_LI,   OP_MOV,  OP_ADD,  OP_ADDI, OP_SUB,  OP_MUL,  OP_MULI,
  OP_AND, OP_ANDI,  OP_XOR,  OP_SHRI, OP_SHLI, OP_LD,   OP_ST,   OP_JMP,
  OP_JZ,  OP_JNZ,   OP_JLT,  OP_JEQI, OP_CALL, OP_RET
};

/* a = destination / first register, b = second register, imm = immediate
 * or jump target */
typedef struct {
  uint8_t op, a, b, c;
  int32_t imm;
} insn;

#define MEM_WORDS (1u << 16)
#define MEM_MASK (MEM_WORDS - 1)
#define STACK_DEPTH 64
#define BASE_RUNS 32

typedef struct {
  int64_t r[16];
  int64_t mem[MEM_WORDS];
  int32_t stack[STACK_DEPTH];
  uint64_t steps;
} vm;

static int64_t run_vm(vm *m, const insn *code) {
  int32_t pc = 0, sp = 0;
  int64_t *r = m->r;
  uint64_t steps = 0;
  for (;;) {
    const insn *i = &code[pc++];
    steps++;
    switch (i->op) {
    case OP_HALT:
      m->steps += steps;
      return r[0];
    case OP_LI:   r[i->a] = i->imm; break;
    case OP_MOV:  r[i->a] = r[i->b]; break;
    case OP_ADD:  r[i->a] = r[i->b] + r[i->c]; break;
    case OP_ADDI: r[i->a] = r[i->b] + i->imm; break;
    case OP_SUB:  r[i->a] = r[i->b] - r[i->c]; break;
    case OP_MUL:  r[i->a] = (int64_t)((uint64_t)r[i->b] * (uint64_t)r[i->c]); break;
    case OP_MULI: r[i->a] = (int64_t)((uint64_t)r[i->b] * (uint64_t)(int64_t)i->imm); break;
    case OP_AND:  r[i->a] = r[i->b] & r[i->c]; break;
    case OP_ANDI: r[i->a] = r[i->b] & i->imm; break;
    case OP_XOR:  r[i->a] = r[i->b] ^ r[i->c]; break;
    case OP_SHRI: r[i->a] = (int64_t)((uint64_t)r[i->b] >> (i->imm & 63)); break;
    case OP_SHLI: r[i->a] = (int64_t)((uint64_t)r[i->b] << (i->imm & 63)); break;
    case OP_LD:   r[i->a] = m->mem[(uint64_t)(r[i->b] + i->imm) & MEM_MASK]; break;
    case OP_ST:   m->mem[(uint64_t)(r[i->b] + i->imm) & MEM_MASK] = r[i->a]; break;
    case OP_JMP:  pc = i->imm; break;
    case OP_JZ:   if (r[i->a] == 0) pc = i->imm; break;
    case OP_JNZ:  if (r[i->a] != 0) pc = i->imm; break;
    case OP_JLT:  if (r[i->a] < r[i->b]) pc = i->imm; break;
    case OP_JEQI: if (r[i->a] == (int64_t)i->c) pc = i->imm; break;
    case OP_CALL:
      if (sp == STACK_DEPTH) {
        fprintf(stderr, "interp: VM stack overflow\n");
        exit(1);
      }
      m->stack[sp++] = pc;
      pc = i->imm;
      break;
    case OP_RET:
      if (sp == 0) {
        fprintf(stderr, "interp: VM stack underflow\n");
        exit(1);
      }
      pc = m->stack[--sp];
      break;
    default:
      fprintf(stderr, "interp: bad opcode %d\n", i->op);
      exit(1);
    }
  }
}

#define I(o, a_, b_, c_, imm_) {OP_##o, a_, b_, c_, imm_}

/* Collatz: r0 = total number of steps for every n in [1, r1) to reach 1.
 * Input: r1 = limit. */
static const insn collatz[] = {
    /*  0 */ I(LI, 0, 0, 0, 0),       /* total = 0 */
    /*  1 */ I(LI, 2, 0, 0, 1),       /* n = 1 */
    /*  2 */ I(MOV, 3, 2, 0, 0),      /* loop_n: x = n */
    /*  3 */ I(JEQI, 3, 0, 1, 12),    /* loop_x: if x == 1 goto done_x */
    /*  4 */ I(ANDI, 4, 3, 0, 1),
    /*  5 */ I(JZ, 4, 0, 0, 9),       /* even? */
    /*  6 */ I(MULI, 3, 3, 0, 3),     /* x = 3x + 1 */
    /*  7 */ I(ADDI, 3, 3, 0, 1),
    /*  8 */ I(JMP, 0, 0, 0, 10),
    /*  9 */ I(SHRI, 3, 3, 0, 1),     /* even: x >>= 1 */
    /* 10 */ I(ADDI, 0, 0, 0, 1),     /* total++ */
    /* 11 */ I(JMP, 0, 0, 0, 3),
    /* 12 */ I(ADDI, 2, 2, 0, 1),     /* done_x: n++ */
    /* 13 */ I(JLT, 2, 1, 0, 2),
    /* 14 */ I(HALT, 0, 0, 0, 0),
};

/* Sieve of Eratosthenes over mem[0..r1), then CALL a subroutine that folds
 * the primes into a multiplicative hash in r0. Input: r1 = limit. */
static const insn sieve[] = {
    /*  0 */ I(LI, 2, 0, 0, 0),       /* i = 0 */
    /*  1 */ I(LI, 6, 0, 0, 1),       /* r6 = 1 */
    /*  2 */ I(ST, 6, 2, 0, 0),       /* clear: mem[i] = 1 */
    /*  3 */ I(ADDI, 2, 2, 0, 1),
    /*  4 */ I(JLT, 2, 1, 0, 2),
    /*  5 */ I(LI, 2, 0, 0, 2),       /* p = 2 */
    /*  6 */ I(MUL, 3, 2, 2, 0),      /* outer: j = p*p */
    /*  7 */ I(JLT, 3, 1, 0, 9),      /* if p*p < limit continue */
    /*  8 */ I(JMP, 0, 0, 0, 17),     /* else done */
    /*  9 */ I(LD, 4, 2, 0, 0),       /* r4 = mem[p] */
    /* 10 */ I(JZ, 4, 0, 0, 15),      /* composite: skip */
    /* 11 */ I(LI, 7, 0, 0, 0),
    /* 12 */ I(ST, 7, 3, 0, 0),       /* inner: mem[j] = 0 */
    /* 13 */ I(ADD, 3, 3, 2, 0),      /* j += p */
    /* 14 */ I(JLT, 3, 1, 0, 12),
    /* 15 */ I(ADDI, 2, 2, 0, 1),     /* p++ */
    /* 16 */ I(JMP, 0, 0, 0, 6),
    /* 17 */ I(CALL, 0, 0, 0, 19),
    /* 18 */ I(HALT, 0, 0, 0, 0),
    /* 19 */ I(LI, 0, 0, 0, 0),       /* fold: h = 0 */
    /* 20 */ I(LI, 2, 0, 0, 2),       /* i = 2 */
    /* 21 */ I(LD, 4, 2, 0, 0),       /* loop: r4 = mem[i] */
    /* 22 */ I(JZ, 4, 0, 0, 25),
    /* 23 */ I(MULI, 0, 0, 0, 1000003),
    /* 24 */ I(XOR, 0, 0, 2, 0),      /* h = h * 1000003 ^ i */
    /* 25 */ I(ADDI, 2, 2, 0, 1),
    /* 26 */ I(JLT, 2, 1, 0, 21),
    /* 27 */ I(RET, 0, 0, 0, 0),
};

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
  uint32_t runs = (uint32_t)(BASE_RUNS * mult);
  if (runs < 1)
    runs = 1;

  static vm m;
  uint64_t h = 0;
  for (uint32_t run = 0; run < runs; run++) {
    m.r[1] = 20000 + 1000 * (int64_t)(run % 8);
    uint64_t total = (uint64_t)run_vm(&m, collatz);
    h = (h ^ total) * 0x100000001B3ull;
    for (int k = 0; k < 4; k++) {
      m.r[1] = (int64_t)MEM_WORDS - 61 * (int64_t)((run * 4 + (uint32_t)k) % 32);
      uint64_t primes = (uint64_t)run_vm(&m, sieve);
      h = (h ^ primes) * 0x100000001B3ull;
    }
  }
  printf("interp runs=%" PRIu32 " steps=%" PRIu64 " hash=%016" PRIx64 "\n", runs,
         m.steps, h);
  return 0;
}
