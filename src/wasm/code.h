/*
 * code.h — the interpreter's internal code form (internal).
 *
 * Each function body is translated once (compile.c) into an array of 8-byte cells run
 * by a direct-threaded dispatch loop (interp.c). An instruction is one cell holding the
 * address of its handler followed by its operands, one cell each. Operands address
 * *frame slots*: the frame of a function is
 *
 *     fp[0 .. nlocals)                 parameters, then declared locals
 *     fp[nlocals .. +max_height)       the operand stack, one slot per stack position
 *     fp[const_base .. +nconsts)       the constant pool, copied from wc_code.consts at entry
 *
 * A v128 value takes two consecutive slots (its low 8 bytes first) wherever it lives:
 * parameter, local, stack position or result; an operand naming a v128 names its first
 * slot. So a local's slot is the slot count of the locals before it, a stack position's
 * canonical slot is nlocals plus the slot count of the values below it, and nparams,
 * nresults and nlocals of wc_code are slot counts (equal to the value counts when no
 * v128 is involved).
 *
 * Because the height of the WebAssembly operand stack is known statically at every
 * instruction, each value has a fixed slot and no stack pointer exists at run time.
 * `local.get` costs nothing: consumers read the local's slot directly. Constants cost
 * nothing either where the consumer has an immediate form (integer binary ops, fused
 * compare-and-branch, stores, x + constant addresses: the constant is an inline cell);
 * other consumers read it from the pool (at most 16 slots per function, so entering a
 * function stays cheap) or, once the pool is full, from a slot written by a CONST
 * instruction just before. Branch targets are precomputed relative offsets; block ends
 * are never searched and LEB128 is never decoded while running.
 *
 * Calls: the arguments are in consecutive slots of the caller's frame starting at
 * `base`. The callee's frame starts just above the caller's whole frame
 * (fp' = fp + frame_slots, so the caller's constants survive); the arguments are copied
 * to fp'[0..nparams), and on return the callee's results fp'[0..nresults) are copied back
 * to fp[dst..), where dst is the last cell of the call instruction (a return finds it at
 * ret_pc[-1]): `base` itself, except that CALL_WASM has its own `dst` cell, which a
 * following local.set may retarget to the local (one result only).
 */
#ifndef NXW_CODE_H
#define NXW_CODE_H

#include "simd_ops.h"

#include <stdint.h>
#include <stddef.h>

/* One slot of a frame: any WebAssembly value, or half of a v128. */
typedef union wc_slot {
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f32;
    double f64;
    void *ref;
} wc_slot;

/* One cell of translated code. */
typedef union wc_cell {
    const void *op; /* handler address (first cell of an instruction) */
    uint32_t u32;   /* slot index, index immediate, memory offset */
    int32_t i32;    /* relative branch offset: target = this cell + i32 */
    uint64_t u64;
    int64_t i64;
} wc_cell;

/* A translated function. */
typedef struct wc_code {
    wc_cell *cells;
    uint32_t ncells;
    uint32_t nparams;     /* slots of the parameters (a v128 takes two) */
    uint32_t nresults;    /* slots of the results */
    uint32_t nlocals;     /* slots of params + declared locals */
    uint32_t const_base;  /* first constant slot */
    uint32_t nconsts;
    uint32_t frame_slots; /* slots the frame needs (locals + stack + constants) */
    uint32_t entry_cost;  /* fuel charged per call: instructions outside any loop */
    wc_slot *consts;      /* nconsts values copied to fp[const_base..] at entry */
} wc_code;

/*
 * Internal operations. The operand layout after the handler cell is given in brackets:
 * d = destination slot, a/b/c = source slots, t = relative branch target, k = u32
 * immediate, v = 64-bit immediate, off = memory offset.
 */
#define WC_CONTROL_OPS(X)                                                              \
    X(UNREACHABLE)        /* [] */                                                     \
    X(BR)                 /* [t] */                                                    \
    X(BR_IF)              /* [a t]  branch when i32 a != 0 */                          \
    X(BR_UNLESS)          /* [a t]  branch when i32 a == 0 */                          \
    X(BR_TABLE)           /* [a n t0 .. tn]  n+1 targets, last is the default */      \
    X(RETURN)             /* []  results already in fp[0..nresults) */                 \
    X(RETURN1)            /* [a]  fp[0] = a, return */                                 \
    X(CALL)               /* [k base]  call function index k */                        \
    X(CALL_WASM)          /* [k frame base dst]  call function k defined by the      */\
                          /* module; frame = the caller's frame_slots                */\
    X(CALL_INDIRECT)      /* [k table a base]  type k, element index in a */           \
    X(COPY)               /* [d a] */                                                  \
    X(COPY2)              /* [d1 a1 d2 a2]  d1 = a1, then d2 = a2 */                   \
    X(CONST)              /* [d v] */                                                  \
    X(SELECT)             /* [d a b c]  d = c ? a : b */                               \
    X(GLOBAL_GET)         /* [d k] */                                                  \
    X(GLOBAL_SET)         /* [k a] */                                                  \
    X(TABLE_GET)          /* [d k a] */                                                \
    X(TABLE_SET)          /* [k a b]  table k, index a, value b */                     \
    X(TABLE_SIZE)         /* [d k] */                                                  \
    X(TABLE_GROW)         /* [d k a b]  init a, delta b */                             \
    X(TABLE_FILL)         /* [k a b c]  index a, value b, count c */                   \
    X(TABLE_COPY)         /* [k1 k2 a b c]  dst table k1, src table k2 */              \
    X(TABLE_INIT)         /* [k e a b c]  table k, elem segment e */                   \
    X(ELEM_DROP)          /* [e] */                                                    \
    X(REF_FUNC)           /* [d k] */                                                  \
    X(REF_IS_NULL)        /* [d a] */                                                  \
    X(MEMORY_SIZE)        /* [d] */                                                    \
    X(MEMORY_GROW)        /* [d a] */                                                  \
    X(MEMORY_COPY)        /* [a b c]  dst, src, n */                                   \
    X(MEMORY_FILL)        /* [a b c]  dst, value, n */                                 \
    X(MEMORY_INIT)        /* [k a b c]  data segment k: dst, src, n */                 \
    X(DATA_DROP)          /* [k] */                                                    \
    X(I32_ADD_K_MEM)      /* [a v off]  i32 at a + off += v (load, add, store fused) */\
    X(I32_LOAD_ADD_K)     /* [d a v off]  d = (i32 at a + off) + v (load, add fused) */\
    X(I32_LOAD2)          /* [d1 a1 off1 d2 a2 off2]  two consecutive i32 loads, run */\
                          /* in order (a2 may be d1)                                 */\
    X(BR_IF_I32_EQ)       /* [a b t]  fused compare and branch */                      \
    X(BR_IF_I32_NE)                                                                    \
    X(BR_IF_I32_LT_S)                                                                  \
    X(BR_IF_I32_LT_U)                                                                  \
    X(BR_IF_I32_GT_S)                                                                  \
    X(BR_IF_I32_GT_U)                                                                  \
    X(BR_IF_I32_LE_S)                                                                  \
    X(BR_IF_I32_LE_U)                                                                  \
    X(BR_IF_I32_GE_S)                                                                  \
    X(BR_IF_I32_GE_U)                                                                  \
    X(BR_IF_I64_EQ)                                                                    \
    X(BR_IF_I64_NE)                                                                    \
    X(BR_IF_I64_LT_S)                                                                  \
    X(BR_IF_I64_LT_U)                                                                  \
    X(BR_IF_I64_GT_S)                                                                  \
    X(BR_IF_I64_GT_U)                                                                  \
    X(BR_IF_I64_LE_S)                                                                  \
    X(BR_IF_I64_LE_U)                                                                  \
    X(BR_IF_I64_GE_S)                                                                  \
    X(BR_IF_I64_GE_U)

/* Branches that can jump backwards (to a loop) have a *_BACK variant that charges fuel
 * when taken: the operands of the plain form followed by a `cost` cell (BR_TABLE_BACK:
 * [a n cost t0 .. tn]). Every loop iteration passes one of them, so every path that can
 * run unboundedly is charged and checked (with function entries, see interp.c). */
#define WC_BACK_OPS(X)                                                                 \
    X(BR) X(BR_IF) X(BR_UNLESS) X(BR_TABLE)                                            \
    X(BR_IF_I32_EQ) X(BR_IF_I32_NE) X(BR_IF_I32_LT_S) X(BR_IF_I32_LT_U)                \
    X(BR_IF_I32_GT_S) X(BR_IF_I32_GT_U) X(BR_IF_I32_LE_S) X(BR_IF_I32_LE_U)            \
    X(BR_IF_I32_GE_S) X(BR_IF_I32_GE_U) X(BR_IF_I64_EQ) X(BR_IF_I64_NE)                \
    X(BR_IF_I64_LT_S) X(BR_IF_I64_LT_U) X(BR_IF_I64_GT_S) X(BR_IF_I64_GT_U)            \
    X(BR_IF_I64_LE_S) X(BR_IF_I64_LE_U) X(BR_IF_I64_GE_S) X(BR_IF_I64_GE_U)

/* Loads [d a off] and stores [a b off]: a = address slot, b = value slot. Each load
 * also has a fused form NAME_ADDR [d a b off] whose address is the i32 sum a + b (the
 * translation of `i32.add` followed by the load); each store likewise NAME_ADDR
 * [a b v off] storing value slot v. */
#define WC_LOAD_OPS(X)                                                                 \
    X(I32_LOAD, 0x28) X(I64_LOAD, 0x29) X(F32_LOAD, 0x2A) X(F64_LOAD, 0x2B)           \
    X(I32_LOAD8_S, 0x2C) X(I32_LOAD8_U, 0x2D) X(I32_LOAD16_S, 0x2E)                   \
    X(I32_LOAD16_U, 0x2F) X(I64_LOAD8_S, 0x30) X(I64_LOAD8_U, 0x31)                   \
    X(I64_LOAD16_S, 0x32) X(I64_LOAD16_U, 0x33) X(I64_LOAD32_S, 0x34)                 \
    X(I64_LOAD32_U, 0x35)
#define WC_STORE_OPS(X)                                                                \
    X(I32_STORE, 0x36) X(I64_STORE, 0x37) X(F32_STORE, 0x38)                          \
    X(F64_STORE, 0x39) X(I32_STORE8, 0x3A) X(I32_STORE16, 0x3B) X(I64_STORE8, 0x3C)   \
    X(I64_STORE16, 0x3D) X(I64_STORE32, 0x3E)
#define WC_MEMORY_OPS(X) WC_LOAD_OPS(X) WC_STORE_OPS(X)

/* f64 arithmetic whose second operand is an f64.load translated just before it:
 * NAME_M [d a p off] computes d = a OP load(p + off), NAME_MA [d a x y off] loads from
 * the i32 sum x + y plus off (the fused F64_LOAD_ADDR form). */
#define WC_FMEM_OPS(X) X(F64_ADD, +) X(F64_SUB, -) X(F64_MUL, *) X(F64_DIV, /)

/* Immediate-operand forms (a constant operand is an inline 64-bit cell v instead of a
 * slot; an i32 constant is in its low 32 bits, as in a slot):
 *   - NAME_K [d a v] for the integer binary operations below: d = a OP v;
 *   - NAME_K [a v t] for the fused compare-and-branch ops (WC_BACK_OPS without the
 *     first four), with NAME_K_BACK [a v t cost];
 *   - NAME_K [a v off] for every store: stores the immediate v;
 *   - NAME_ADDRK for every load [d a v off] and store [a v b off]: the address is the i32
 *     sum a + v (the translation of `i32.add` with a constant feeding the access). */
#define WC_KBIN_OPS(X)                                                                 \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S)    \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_AND)    \
    X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR)  \
    X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) X(I64_LE_S)    \
    X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_AND)    \
    X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR)
#define WC_KBR_OPS(X)                                                                  \
    X(BR_IF_I32_EQ) X(BR_IF_I32_NE) X(BR_IF_I32_LT_S) X(BR_IF_I32_LT_U)                \
    X(BR_IF_I32_GT_S) X(BR_IF_I32_GT_U) X(BR_IF_I32_LE_S) X(BR_IF_I32_LE_U)            \
    X(BR_IF_I32_GE_S) X(BR_IF_I32_GE_U) X(BR_IF_I64_EQ) X(BR_IF_I64_NE)                \
    X(BR_IF_I64_LT_S) X(BR_IF_I64_LT_U) X(BR_IF_I64_GT_S) X(BR_IF_I64_GT_U)            \
    X(BR_IF_I64_LE_S) X(BR_IF_I64_LE_U) X(BR_IF_I64_GE_S) X(BR_IF_I64_GE_U)

/* Numeric operations: X(NAME, opcode, operand type, second operand type or NONE,
 * result type). Unary [d a], binary [d a b]. Opcodes >= 0x100 stand for 0xFC-prefixed
 * ones (0x100 + sub-opcode). */
#define WC_NUMERIC_OPS(X)                                                              \
    X(I32_EQZ, 0x45, I32, NONE, I32) X(I32_EQ, 0x46, I32, I32, I32)                   \
    X(I32_NE, 0x47, I32, I32, I32) X(I32_LT_S, 0x48, I32, I32, I32)                   \
    X(I32_LT_U, 0x49, I32, I32, I32) X(I32_GT_S, 0x4A, I32, I32, I32)                 \
    X(I32_GT_U, 0x4B, I32, I32, I32) X(I32_LE_S, 0x4C, I32, I32, I32)                 \
    X(I32_LE_U, 0x4D, I32, I32, I32) X(I32_GE_S, 0x4E, I32, I32, I32)                 \
    X(I32_GE_U, 0x4F, I32, I32, I32)                                                   \
    X(I64_EQZ, 0x50, I64, NONE, I32) X(I64_EQ, 0x51, I64, I64, I32)                   \
    X(I64_NE, 0x52, I64, I64, I32) X(I64_LT_S, 0x53, I64, I64, I32)                   \
    X(I64_LT_U, 0x54, I64, I64, I32) X(I64_GT_S, 0x55, I64, I64, I32)                 \
    X(I64_GT_U, 0x56, I64, I64, I32) X(I64_LE_S, 0x57, I64, I64, I32)                 \
    X(I64_LE_U, 0x58, I64, I64, I32) X(I64_GE_S, 0x59, I64, I64, I32)                 \
    X(I64_GE_U, 0x5A, I64, I64, I32)                                                   \
    X(F32_EQ, 0x5B, F32, F32, I32) X(F32_NE, 0x5C, F32, F32, I32)                     \
    X(F32_LT, 0x5D, F32, F32, I32) X(F32_GT, 0x5E, F32, F32, I32)                     \
    X(F32_LE, 0x5F, F32, F32, I32) X(F32_GE, 0x60, F32, F32, I32)                     \
    X(F64_EQ, 0x61, F64, F64, I32) X(F64_NE, 0x62, F64, F64, I32)                     \
    X(F64_LT, 0x63, F64, F64, I32) X(F64_GT, 0x64, F64, F64, I32)                     \
    X(F64_LE, 0x65, F64, F64, I32) X(F64_GE, 0x66, F64, F64, I32)                     \
    X(I32_CLZ, 0x67, I32, NONE, I32) X(I32_CTZ, 0x68, I32, NONE, I32)                 \
    X(I32_POPCNT, 0x69, I32, NONE, I32) X(I32_ADD, 0x6A, I32, I32, I32)               \
    X(I32_SUB, 0x6B, I32, I32, I32) X(I32_MUL, 0x6C, I32, I32, I32)                   \
    X(I32_DIV_S, 0x6D, I32, I32, I32) X(I32_DIV_U, 0x6E, I32, I32, I32)               \
    X(I32_REM_S, 0x6F, I32, I32, I32) X(I32_REM_U, 0x70, I32, I32, I32)               \
    X(I32_AND, 0x71, I32, I32, I32) X(I32_OR, 0x72, I32, I32, I32)                    \
    X(I32_XOR, 0x73, I32, I32, I32) X(I32_SHL, 0x74, I32, I32, I32)                   \
    X(I32_SHR_S, 0x75, I32, I32, I32) X(I32_SHR_U, 0x76, I32, I32, I32)               \
    X(I32_ROTL, 0x77, I32, I32, I32) X(I32_ROTR, 0x78, I32, I32, I32)                 \
    X(I64_CLZ, 0x79, I64, NONE, I64) X(I64_CTZ, 0x7A, I64, NONE, I64)                 \
    X(I64_POPCNT, 0x7B, I64, NONE, I64) X(I64_ADD, 0x7C, I64, I64, I64)               \
    X(I64_SUB, 0x7D, I64, I64, I64) X(I64_MUL, 0x7E, I64, I64, I64)                   \
    X(I64_DIV_S, 0x7F, I64, I64, I64) X(I64_DIV_U, 0x80, I64, I64, I64)               \
    X(I64_REM_S, 0x81, I64, I64, I64) X(I64_REM_U, 0x82, I64, I64, I64)               \
    X(I64_AND, 0x83, I64, I64, I64) X(I64_OR, 0x84, I64, I64, I64)                    \
    X(I64_XOR, 0x85, I64, I64, I64) X(I64_SHL, 0x86, I64, I64, I64)                   \
    X(I64_SHR_S, 0x87, I64, I64, I64) X(I64_SHR_U, 0x88, I64, I64, I64)               \
    X(I64_ROTL, 0x89, I64, I64, I64) X(I64_ROTR, 0x8A, I64, I64, I64)                 \
    X(F32_ABS, 0x8B, F32, NONE, F32) X(F32_NEG, 0x8C, F32, NONE, F32)                 \
    X(F32_CEIL, 0x8D, F32, NONE, F32) X(F32_FLOOR, 0x8E, F32, NONE, F32)              \
    X(F32_TRUNC, 0x8F, F32, NONE, F32) X(F32_NEAREST, 0x90, F32, NONE, F32)           \
    X(F32_SQRT, 0x91, F32, NONE, F32) X(F32_ADD, 0x92, F32, F32, F32)                 \
    X(F32_SUB, 0x93, F32, F32, F32) X(F32_MUL, 0x94, F32, F32, F32)                   \
    X(F32_DIV, 0x95, F32, F32, F32) X(F32_MIN, 0x96, F32, F32, F32)                   \
    X(F32_MAX, 0x97, F32, F32, F32) X(F32_COPYSIGN, 0x98, F32, F32, F32)              \
    X(F64_ABS, 0x99, F64, NONE, F64) X(F64_NEG, 0x9A, F64, NONE, F64)                 \
    X(F64_CEIL, 0x9B, F64, NONE, F64) X(F64_FLOOR, 0x9C, F64, NONE, F64)              \
    X(F64_TRUNC, 0x9D, F64, NONE, F64) X(F64_NEAREST, 0x9E, F64, NONE, F64)           \
    X(F64_SQRT, 0x9F, F64, NONE, F64) X(F64_ADD, 0xA0, F64, F64, F64)                 \
    X(F64_SUB, 0xA1, F64, F64, F64) X(F64_MUL, 0xA2, F64, F64, F64)                   \
    X(F64_DIV, 0xA3, F64, F64, F64) X(F64_MIN, 0xA4, F64, F64, F64)                   \
    X(F64_MAX, 0xA5, F64, F64, F64) X(F64_COPYSIGN, 0xA6, F64, F64, F64)              \
    X(I32_WRAP_I64, 0xA7, I64, NONE, I32) X(I32_TRUNC_F32_S, 0xA8, F32, NONE, I32)    \
    X(I32_TRUNC_F32_U, 0xA9, F32, NONE, I32) X(I32_TRUNC_F64_S, 0xAA, F64, NONE, I32) \
    X(I32_TRUNC_F64_U, 0xAB, F64, NONE, I32) X(I64_EXTEND_I32_S, 0xAC, I32, NONE, I64)\
    X(I64_EXTEND_I32_U, 0xAD, I32, NONE, I64) X(I64_TRUNC_F32_S, 0xAE, F32, NONE, I64)\
    X(I64_TRUNC_F32_U, 0xAF, F32, NONE, I64) X(I64_TRUNC_F64_S, 0xB0, F64, NONE, I64) \
    X(I64_TRUNC_F64_U, 0xB1, F64, NONE, I64) X(F32_CONVERT_I32_S, 0xB2, I32, NONE, F32)\
    X(F32_CONVERT_I32_U, 0xB3, I32, NONE, F32) X(F32_CONVERT_I64_S, 0xB4, I64, NONE, F32)\
    X(F32_CONVERT_I64_U, 0xB5, I64, NONE, F32) X(F32_DEMOTE_F64, 0xB6, F64, NONE, F32)\
    X(F64_CONVERT_I32_S, 0xB7, I32, NONE, F64) X(F64_CONVERT_I32_U, 0xB8, I32, NONE, F64)\
    X(F64_CONVERT_I64_S, 0xB9, I64, NONE, F64) X(F64_CONVERT_I64_U, 0xBA, I64, NONE, F64)\
    X(F64_PROMOTE_F32, 0xBB, F32, NONE, F64) X(I32_REINTERPRET_F32, 0xBC, F32, NONE, I32)\
    X(I64_REINTERPRET_F64, 0xBD, F64, NONE, I64) X(F32_REINTERPRET_I32, 0xBE, I32, NONE, F32)\
    X(F64_REINTERPRET_I64, 0xBF, I64, NONE, F64) X(I32_EXTEND8_S, 0xC0, I32, NONE, I32)\
    X(I32_EXTEND16_S, 0xC1, I32, NONE, I32) X(I64_EXTEND8_S, 0xC2, I64, NONE, I64)    \
    X(I64_EXTEND16_S, 0xC3, I64, NONE, I64) X(I64_EXTEND32_S, 0xC4, I64, NONE, I64)   \
    X(I32_TRUNC_SAT_F32_S, 0x100, F32, NONE, I32) X(I32_TRUNC_SAT_F32_U, 0x101, F32, NONE, I32)\
    X(I32_TRUNC_SAT_F64_S, 0x102, F64, NONE, I32) X(I32_TRUNC_SAT_F64_U, 0x103, F64, NONE, I32)\
    X(I64_TRUNC_SAT_F32_S, 0x104, F32, NONE, I64) X(I64_TRUNC_SAT_F32_U, 0x105, F32, NONE, I64)\
    X(I64_TRUNC_SAT_F64_S, 0x106, F64, NONE, I64) X(I64_TRUNC_SAT_F64_U, 0x107, F64, NONE, I64)

typedef enum wc_op {
#define WC_ENUM_CONTROL(name) WC_##name,
#define WC_ENUM_OP(name, ...) WC_##name,
#define WC_ENUM_ADDR(name, ...) WC_##name##_ADDR,
#define WC_ENUM_FMEM(name, ...) WC_##name##_M, WC_##name##_MA,
#define WC_ENUM_BACK(name) WC_##name##_BACK,
#define WC_ENUM_K(name, ...) WC_##name##_K,
#define WC_ENUM_KBACK(name) WC_##name##_K_BACK,
#define WC_ENUM_ADDRK(name, ...) WC_##name##_ADDRK,
    WC_CONTROL_OPS(WC_ENUM_CONTROL)
    WC_BACK_OPS(WC_ENUM_BACK)
    WC_MEMORY_OPS(WC_ENUM_OP)
    WC_LOAD_OPS(WC_ENUM_ADDR)
    WC_STORE_OPS(WC_ENUM_ADDR)
    WC_FMEM_OPS(WC_ENUM_FMEM)
    WC_NUMERIC_OPS(WC_ENUM_OP)
    WV_EACH_OP(WC_ENUM_OP) /* SIMD (simd_ops.h) */
    WV_EACH_ADDR_OP(WC_ENUM_ADDR)
    WC_KBIN_OPS(WC_ENUM_K)
    WC_KBR_OPS(WC_ENUM_K)
    WC_KBR_OPS(WC_ENUM_KBACK)
    WC_STORE_OPS(WC_ENUM_K)
    WC_LOAD_OPS(WC_ENUM_ADDRK)
    WC_STORE_OPS(WC_ENUM_ADDRK)
#undef WC_ENUM_K
#undef WC_ENUM_KBACK
#undef WC_ENUM_ADDRK
#undef WC_ENUM_FMEM
#undef WC_ENUM_BACK
#undef WC_ENUM_CONTROL
#undef WC_ENUM_OP
#undef WC_ENUM_ADDR
    WC__COUNT
} wc_op;

/* The handler addresses of the dispatch loop, indexed by wc_op (a constant table owned
 * by interp.c). */
const void *const *wi_handlers(void);

#endif /* NXW_CODE_H */
