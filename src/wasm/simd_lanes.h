/*
 * simd_lanes.h — v128 values and the lane-wise semantics of the SIMD instructions
 * (internal; used by the interpreter's SIMD handlers, simd_interp.inc).
 *
 * A v128 is a wv_v128: 16 bytes in WebAssembly's (little-endian) byte order, seen as
 * GNU C vectors of any lane shape. Lane i of an iNxM/fNxM view is bytes [i*N/8, ..), which
 * is the vector's element i on a little-endian host (the interpreter requires one).
 * Operations the compiler maps to host SIMD instructions with exactly WebAssembly's
 * result (wrapping integer arithmetic, bitwise operations, IEEE add/sub/mul/div,
 * comparisons, lane selects) are written as vector expressions; widening and narrowing
 * as lane shuffles the compilers turn into unpack/pack instructions (duplicate each lane
 * and shift; clamp and take the even lanes); the rest (rounding, saturating float
 * conversions, signed saturating arithmetic, bit masks) lane by lane, and every v128 is
 * built in registers, never through a buffer written piecewise (a store-forwarding
 * stall). Every helper is defined for every input: integer arithmetic that could
 * overflow is done in unsigned lanes or a wider type, shift counts are reduced modulo
 * the lane width by the caller (simd_ops.h), float-to-integer conversions saturate
 * before converting, and lane indices are taken modulo the lane count.
 *
 * GNU C is required (as for the rest of the engine): vector_size types,
 * __builtin_convertvector and __builtin_shufflevector (gcc 12 or later, or clang). The
 * only host-specific code is SSSE3's pshufb, used when the processor has it (see below).
 *
 * NaN rules: arithmetic on floats keeps what the host's IEEE operations give (a quiet
 * NaN, canonical when the inputs are), which is what the spec allows; min/max return
 * `a + b` for a NaN operand (the quieted NaN), pmin/pmax and abs/neg/copying act on the
 * bit patterns, and rounding functions quiet a NaN with `x + x`, as the scalar ones do.
 */
#ifndef NXW_SIMD_LANES_H
#define NXW_SIMD_LANES_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "numeric.h"

typedef int8_t wv_i8x16 __attribute__((vector_size(16)));
typedef uint8_t wv_u8x16 __attribute__((vector_size(16)));
typedef int16_t wv_i16x8 __attribute__((vector_size(16)));
typedef uint16_t wv_u16x8 __attribute__((vector_size(16)));
typedef int32_t wv_i32x4 __attribute__((vector_size(16)));
typedef uint32_t wv_u32x4 __attribute__((vector_size(16)));
typedef int64_t wv_i64x2 __attribute__((vector_size(16)));
typedef uint64_t wv_u64x2 __attribute__((vector_size(16)));
typedef float wv_f32x4 __attribute__((vector_size(16)));
typedef double wv_f64x2 __attribute__((vector_size(16)));

/* One v128 value, viewable as any lane shape (GNU C allows reading another member). */
typedef union wv_v128 {
    wv_i8x16 i8;
    wv_u8x16 u8;
    wv_i16x8 i16;
    wv_u16x8 u16;
    wv_i32x4 i32;
    wv_u32x4 u32;
    wv_i64x2 i64;
    wv_u64x2 u64;
    wv_f32x4 f32;
    wv_f64x2 f64;
    uint8_t b[16];
} wv_v128;

/* Lane-wise select: X's LANE-typed lanes where MASK (a comparison of any lane shape:
 * all-ones or zero lanes) is set, Y's elsewhere. Bit-exact (floats are not converted). */
#define WV_PICK(LANE, MASK, X, Y)                                                      \
    ((__typeof__((X).LANE))(((X).u64 & (wv_u64x2)(MASK)) | ((Y).u64 & ~(wv_u64x2)(MASK))))

/* ------------------------------------------------------------------ splats and loads */

static inline wv_u8x16 wv_splat_u8(uint8_t x) { return (wv_u8x16){0} + x; }
static inline wv_u16x8 wv_splat_u16(uint16_t x) { return (wv_u16x8){0} + x; }
static inline wv_u32x4 wv_splat_u32(uint32_t x) { return (wv_u32x4){0} + x; }
static inline wv_u64x2 wv_splat_u64(uint64_t x) { return (wv_u64x2){0} + x; }

static inline wv_v128 wv_load128(const uint8_t *p) {
    wv_v128 r;
    memcpy(&r, p, 16);
    return r;
}

/* The 8 bytes at p in the low half of a v128, zeros above (v128.load64_zero). Built as
 * a vector, not through memory, so the result is in a register without a store the
 * processor cannot forward. */
static inline wv_v128 wv_load64_zero(const uint8_t *p) {
    uint64_t t;
    memcpy(&t, p, sizeof t);
    wv_v128 r;
    r.u64 = (wv_u64x2){t, 0};
    return r;
}
static inline wv_v128 wv_load32_zero(const uint8_t *p) {
    uint32_t t;
    memcpy(&t, p, sizeof t);
    wv_v128 r;
    r.u32 = (wv_u32x4){t, 0, 0, 0};
    return r;
}

/* v128.loadN_splat. */
#define WV_LOAD_SPLAT(NAME, T, LANE, SPLAT_FN)                                         \
    static inline wv_v128 NAME(const uint8_t *p) {                                     \
        T t;                                                                           \
        memcpy(&t, p, sizeof t);                                                       \
        wv_v128 r;                                                                     \
        r.LANE = SPLAT_FN(t);                                                          \
        return r;                                                                      \
    }
WV_LOAD_SPLAT(wv_load8_splat, uint8_t, u8, wv_splat_u8)
WV_LOAD_SPLAT(wv_load16_splat, uint16_t, u16, wv_splat_u16)
WV_LOAD_SPLAT(wv_load32_splat, uint32_t, u32, wv_splat_u32)
WV_LOAD_SPLAT(wv_load64_splat, uint64_t, u64, wv_splat_u64)
#undef WV_LOAD_SPLAT

/* ------------------------------------------------------------------ integer lanes */

/* All lanes non-zero. */
static inline int32_t wv_all_true_8(wv_u8x16 a) {
    wv_u64x2 z = (wv_u64x2)(a == 0);
    return (z[0] | z[1]) == 0;
}
static inline int32_t wv_all_true_16(wv_u16x8 a) {
    wv_u64x2 z = (wv_u64x2)(a == 0);
    return (z[0] | z[1]) == 0;
}
static inline int32_t wv_all_true_32(wv_u32x4 a) {
    wv_u64x2 z = (wv_u64x2)(a == 0);
    return (z[0] | z[1]) == 0;
}
static inline int32_t wv_all_true_64(wv_u64x2 a) { return a[0] != 0 && a[1] != 0; }

/* The lanes' sign bits, lane i in bit i. */
#define WV_BITMASK(NAME, VT, LANES, BITS)                                              \
    static inline int32_t NAME(VT a) {                                                 \
        uint32_t r = 0;                                                                \
        for (int i = 0; i < LANES; i++) r |= (uint32_t)(a[i] >> (BITS - 1)) << i;      \
        return (int32_t)r;                                                             \
    }
WV_BITMASK(wv_bitmask_8, wv_u8x16, 16, 8)
WV_BITMASK(wv_bitmask_16, wv_u16x8, 8, 16)
WV_BITMASK(wv_bitmask_32, wv_u32x4, 4, 32)
WV_BITMASK(wv_bitmask_64, wv_u64x2, 2, 64)
#undef WV_BITMASK

/* |a| in two's complement, on unsigned lanes (the most negative value maps to itself):
 * m = all-ones for negative lanes, (a ^ m) - m. */
#define WV_ABS(NAME, UT, ST, BITS)                                                     \
    static inline UT NAME(UT a) {                                                      \
        UT m = (UT)((ST)a >> (BITS - 1));                                              \
        return (a ^ m) - m;                                                            \
    }
WV_ABS(wv_abs_8, wv_u8x16, wv_i8x16, 8)
WV_ABS(wv_abs_16, wv_u16x8, wv_i16x8, 16)
WV_ABS(wv_abs_32, wv_u32x4, wv_i32x4, 32)
WV_ABS(wv_abs_64, wv_u64x2, wv_i64x2, 64)
#undef WV_ABS

/* Bits set in each byte (the classic SWAR reduction, lane-parallel). */
static inline wv_u8x16 wv_popcnt_8(wv_u8x16 x) {
    x = x - ((x >> 1) & 0x55);
    x = (x & 0x33) + ((x >> 2) & 0x33);
    return (x + (x >> 4)) & 0x0F;
}

/* Rounding average (a + b + 1) >> 1 without overflow: (a | b) - ((a ^ b) >> 1). */
static inline wv_u8x16 wv_avgr_u8(wv_u8x16 a, wv_u8x16 b) { return (a | b) - ((a ^ b) >> 1); }
static inline wv_u16x8 wv_avgr_u16(wv_u16x8 a, wv_u16x8 b) { return (a | b) - ((a ^ b) >> 1); }

/* Unsigned saturating add/sub: a wrapped sum below a overflowed (saturate to all-ones);
 * a difference is kept only where a >= b (else 0). */
static inline wv_u8x16 wv_add_sat_u8(wv_u8x16 a, wv_u8x16 b) {
    wv_u8x16 r = a + b;
    return r | (wv_u8x16)(r < a);
}
static inline wv_u16x8 wv_add_sat_u16(wv_u16x8 a, wv_u16x8 b) {
    wv_u16x8 r = a + b;
    return r | (wv_u16x8)(r < a);
}
static inline wv_u8x16 wv_sub_sat_u8(wv_u8x16 a, wv_u8x16 b) { return (a - b) & (wv_u8x16)(a >= b); }
static inline wv_u16x8 wv_sub_sat_u16(wv_u16x8 a, wv_u16x8 b) { return (a - b) & (wv_u16x8)(a >= b); }

/* Signed saturating add/sub, lane by lane in int (no overflow there). */
#define WV_SAT_S(NAME, VT, LANES, OP, LO, HI)                                          \
    static inline VT NAME(VT a, VT b) {                                                \
        VT r;                                                                          \
        for (int i = 0; i < LANES; i++) {                                              \
            int v = (int)a[i] OP (int)b[i];                                            \
            r[i] = v < LO ? LO : v > HI ? HI : v;                                      \
        }                                                                              \
        return r;                                                                      \
    }
WV_SAT_S(wv_add_sat_s8, wv_i8x16, 16, +, INT8_MIN, INT8_MAX)
WV_SAT_S(wv_sub_sat_s8, wv_i8x16, 16, -, INT8_MIN, INT8_MAX)
WV_SAT_S(wv_add_sat_s16, wv_i16x8, 8, +, INT16_MIN, INT16_MAX)
WV_SAT_S(wv_sub_sat_s16, wv_i16x8, 8, -, INT16_MIN, INT16_MAX)
#undef WV_SAT_S

/* Narrowing with saturation: each lane clamped to [LO, HI] (lane-parallel selects), then
 * the low halves of a's lanes followed by b's (the even narrow lanes of a, b). */
#define WV_CLAMP(V, LO, HI)                                                            \
    do {                                                                               \
        __typeof__(V) lo_ = (__typeof__(V))((V) < (LO)), hi_ = (__typeof__(V))((V) > (HI)); \
        (V) = ((V) & ~(lo_ | hi_)) | ((LO) & lo_) | ((HI) & hi_);                      \
    } while (0)
static inline wv_i8x16 wv_narrow_i16_s(wv_i16x8 a, wv_i16x8 b) {
    WV_CLAMP(a, INT8_MIN, INT8_MAX);
    WV_CLAMP(b, INT8_MIN, INT8_MAX);
    return __builtin_shufflevector((wv_i8x16)a, (wv_i8x16)b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                   20, 22, 24, 26, 28, 30);
}
static inline wv_u8x16 wv_narrow_i16_u(wv_i16x8 a, wv_i16x8 b) {
    WV_CLAMP(a, 0, UINT8_MAX);
    WV_CLAMP(b, 0, UINT8_MAX);
    return __builtin_shufflevector((wv_u8x16)a, (wv_u8x16)b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                   20, 22, 24, 26, 28, 30);
}
static inline wv_i16x8 wv_narrow_i32_s(wv_i32x4 a, wv_i32x4 b) {
    WV_CLAMP(a, INT16_MIN, INT16_MAX);
    WV_CLAMP(b, INT16_MIN, INT16_MAX);
    return __builtin_shufflevector((wv_i16x8)a, (wv_i16x8)b, 0, 2, 4, 6, 8, 10, 12, 14);
}
static inline wv_u16x8 wv_narrow_i32_u(wv_i32x4 a, wv_i32x4 b) {
    WV_CLAMP(a, 0, UINT16_MAX);
    WV_CLAMP(b, 0, UINT16_MAX);
    return __builtin_shufflevector((wv_u16x8)a, (wv_u16x8)b, 0, 2, 4, 6, 8, 10, 12, 14);
}
#undef WV_CLAMP

/* Widening of the low or high half: each lane duplicated into both halves of a lane of
 * twice the width, then shifted right by the narrow width (arithmetic for signed,
 * logical for unsigned), which leaves the lane sign- or zero-extended. */
#define WV_DUP8_LO 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7
#define WV_DUP8_HI 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15
#define WV_DUP16_LO 0, 0, 1, 1, 2, 2, 3, 3
#define WV_DUP16_HI 4, 4, 5, 5, 6, 6, 7, 7
#define WV_DUP32_LO 0, 0, 1, 1
#define WV_DUP32_HI 2, 2, 3, 3
static inline wv_i16x8 wv_extend_low_i8_s(wv_i8x16 a) { return (wv_i16x8)__builtin_shufflevector(a, a, WV_DUP8_LO) >> 8; }
static inline wv_i16x8 wv_extend_high_i8_s(wv_i8x16 a) { return (wv_i16x8)__builtin_shufflevector(a, a, WV_DUP8_HI) >> 8; }
static inline wv_u16x8 wv_extend_low_i8_u(wv_u8x16 a) { return (wv_u16x8)__builtin_shufflevector(a, a, WV_DUP8_LO) >> 8; }
static inline wv_u16x8 wv_extend_high_i8_u(wv_u8x16 a) { return (wv_u16x8)__builtin_shufflevector(a, a, WV_DUP8_HI) >> 8; }
static inline wv_i32x4 wv_extend_low_i16_s(wv_i16x8 a) { return (wv_i32x4)__builtin_shufflevector(a, a, WV_DUP16_LO) >> 16; }
static inline wv_i32x4 wv_extend_high_i16_s(wv_i16x8 a) { return (wv_i32x4)__builtin_shufflevector(a, a, WV_DUP16_HI) >> 16; }
static inline wv_u32x4 wv_extend_low_i16_u(wv_u16x8 a) { return (wv_u32x4)__builtin_shufflevector(a, a, WV_DUP16_LO) >> 16; }
static inline wv_u32x4 wv_extend_high_i16_u(wv_u16x8 a) { return (wv_u32x4)__builtin_shufflevector(a, a, WV_DUP16_HI) >> 16; }
static inline wv_i64x2 wv_extend_low_i32_s(wv_i32x4 a) { return (wv_i64x2)__builtin_shufflevector(a, a, WV_DUP32_LO) >> 32; }
static inline wv_i64x2 wv_extend_high_i32_s(wv_i32x4 a) { return (wv_i64x2)__builtin_shufflevector(a, a, WV_DUP32_HI) >> 32; }
static inline wv_u64x2 wv_extend_low_i32_u(wv_u32x4 a) { return (wv_u64x2)__builtin_shufflevector(a, a, WV_DUP32_LO) >> 32; }
static inline wv_u64x2 wv_extend_high_i32_u(wv_u32x4 a) { return (wv_u64x2)__builtin_shufflevector(a, a, WV_DUP32_HI) >> 32; }
#undef WV_DUP8_LO
#undef WV_DUP8_HI
#undef WV_DUP16_LO
#undef WV_DUP16_HI
#undef WV_DUP32_LO
#undef WV_DUP32_HI

/* v128.loadNxM_s/u: M lanes of N bits (8 bytes) widened to 2N bits: load64_zero, then
 * the low half widened. */
#define WV_LOAD_EXTEND(NAME, FROM, TO, WIDEN)                                          \
    static inline wv_v128 NAME(const uint8_t *p) {                                     \
        wv_v128 r = wv_load64_zero(p);                                                 \
        r.TO = WIDEN(r.FROM);                                                          \
        return r;                                                                      \
    }
WV_LOAD_EXTEND(wv_load8x8_s, i8, i16, wv_extend_low_i8_s)
WV_LOAD_EXTEND(wv_load8x8_u, u8, u16, wv_extend_low_i8_u)
WV_LOAD_EXTEND(wv_load16x4_s, i16, i32, wv_extend_low_i16_s)
WV_LOAD_EXTEND(wv_load16x4_u, u16, u32, wv_extend_low_i16_u)
WV_LOAD_EXTEND(wv_load32x2_s, i32, i64, wv_extend_low_i32_s)
WV_LOAD_EXTEND(wv_load32x2_u, u32, u64, wv_extend_low_i32_u)
#undef WV_LOAD_EXTEND

/* Extended multiply: both operands widened, then multiplied in the wide lanes, which
 * hold every product of two narrow lanes exactly (no overflow). */
#define WV_EXTMUL(NAME, RT, AT, WIDEN)                                                 \
    static inline RT NAME(AT a, AT b) { return WIDEN(a) * WIDEN(b); }
WV_EXTMUL(wv_extmul_low_i8_s, wv_i16x8, wv_i8x16, wv_extend_low_i8_s)
WV_EXTMUL(wv_extmul_high_i8_s, wv_i16x8, wv_i8x16, wv_extend_high_i8_s)
WV_EXTMUL(wv_extmul_low_i8_u, wv_u16x8, wv_u8x16, wv_extend_low_i8_u)
WV_EXTMUL(wv_extmul_high_i8_u, wv_u16x8, wv_u8x16, wv_extend_high_i8_u)
WV_EXTMUL(wv_extmul_low_i16_s, wv_i32x4, wv_i16x8, wv_extend_low_i16_s)
WV_EXTMUL(wv_extmul_high_i16_s, wv_i32x4, wv_i16x8, wv_extend_high_i16_s)
WV_EXTMUL(wv_extmul_low_i16_u, wv_u32x4, wv_u16x8, wv_extend_low_i16_u)
WV_EXTMUL(wv_extmul_high_i16_u, wv_u32x4, wv_u16x8, wv_extend_high_i16_u)
WV_EXTMUL(wv_extmul_low_i32_s, wv_i64x2, wv_i32x4, wv_extend_low_i32_s)
WV_EXTMUL(wv_extmul_high_i32_s, wv_i64x2, wv_i32x4, wv_extend_high_i32_s)
WV_EXTMUL(wv_extmul_low_i32_u, wv_u64x2, wv_u32x4, wv_extend_low_i32_u)
WV_EXTMUL(wv_extmul_high_i32_u, wv_u64x2, wv_u32x4, wv_extend_high_i32_u)
#undef WV_EXTMUL

/* Pairwise sums of adjacent lanes, widened: seen as wide lanes, the even narrow lane is
 * the low half and the odd one the high half; each is extended in place by shifts (left
 * on unsigned lanes, so nothing overflows) and the two are added, exactly. */
static inline wv_i16x8 wv_extadd_i8_s(wv_i8x16 a) {
    wv_i16x8 w = (wv_i16x8)a;
    return ((wv_i16x8)((wv_u16x8)w << 8) >> 8) + (w >> 8);
}
static inline wv_u16x8 wv_extadd_i8_u(wv_u8x16 a) {
    wv_u16x8 w = (wv_u16x8)a;
    return (w & 0xFF) + (w >> 8);
}
static inline wv_i32x4 wv_extadd_i16_s(wv_i16x8 a) {
    wv_i32x4 w = (wv_i32x4)a;
    return ((wv_i32x4)((wv_u32x4)w << 16) >> 16) + (w >> 16);
}
static inline wv_u32x4 wv_extadd_i16_u(wv_u16x8 a) {
    wv_u32x4 w = (wv_u32x4)a;
    return (w & 0xFFFF) + (w >> 16);
}

/* i32x4.dot_i16x8_s: each product fits in int32 (|p| <= 2^30); their sum may not, so it
 * is taken modulo 2^32 as the spec says. */
static inline wv_u32x4 wv_dot_i16(wv_i16x8 a, wv_i16x8 b) {
    wv_u32x4 r;
    for (int i = 0; i < 4; i++)
        r[i] = (uint32_t)((int32_t)a[2 * i] * b[2 * i]) + (uint32_t)((int32_t)a[2 * i + 1] * b[2 * i + 1]);
    return r;
}

/* i16x8.q15mulr_sat_s: (a * b + 2^14) >> 15, saturated (only -2^15 * -2^15 overflows).
 * The right shift of a negative int is arithmetic with every compiler this builds with
 * (GNU C documents it). */
static inline wv_i16x8 wv_q15mulr(wv_i16x8 a, wv_i16x8 b) {
    wv_i16x8 r;
    for (int i = 0; i < 8; i++) {
        int32_t v = ((int32_t)a[i] * b[i] + 0x4000) >> 15;
        r[i] = (int16_t)(v > INT16_MAX ? INT16_MAX : v);
    }
    return r;
}

/* Byte gathers (i8x16.swizzle, i8x16.shuffle) without a host byte shuffle: bytes are
 * collected into two 64-bit words rather than stored one by one, so the result is not
 * read back through a store the processor cannot forward. */
static inline wv_v128 wv_gather(const uint8_t *bytes, const uint8_t idx[16], uint8_t limit) {
    uint64_t w[2] = {0, 0};
    for (int i = 0; i < 16; i++)
        if (idx[i] < limit) w[i >> 3] |= (uint64_t)bytes[idx[i]] << (8 * (i & 7));
    wv_v128 r;
    memcpy(&r, w, 16);
    return r;
}

/* i8x16.swizzle: a's byte b[i], or 0 when b[i] >= 16. */
static inline wv_u8x16 wv_swizzle(wv_u8x16 a, wv_u8x16 b) {
    uint8_t bytes[16], idx[16];
    memcpy(bytes, &a, 16);
    memcpy(idx, &b, 16);
    return wv_gather(bytes, idx, 16).u8;
}

/* pshufb (SSSE3): byte m[i] & 15 of a, or 0 where m[i] has its top bit set. Used only
 * when the host has it: the translator emits the *_SSSE3 operations only after
 * wv_host_has_pshufb() said yes (elsewhere they keep a portable body, never run).
 * Building with NEXUS_SIMD_PORTABLE defined (CMake option of that name) turns this off,
 * so that the portable forms can be tested on x86 too. */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(NEXUS_SIMD_PORTABLE)
static inline bool wv_host_has_pshufb(void) { return __builtin_cpu_supports("ssse3"); }
static inline wv_u8x16 wv_pshufb(wv_u8x16 a, wv_u8x16 m) {
    /* register operands only: a memory operand of pshufb must be 16-byte aligned, and
     * the compiler may otherwise pick m's (8-byte aligned) source in the code */
    __asm__("pshufb %1, %0" : "+x"(a) : "x"(m));
    return a;
}
#else
static inline bool wv_host_has_pshufb(void) { return false; }
static inline wv_u8x16 wv_pshufb(wv_u8x16 a, wv_u8x16 m) {
    wv_u8x16 r;
    for (int i = 0; i < 16; i++) r[i] = m[i] & 0x80 ? 0 : a[m[i] & 15];
    return r;
}
#endif

/* i8x16.swizzle with pshufb: indices >= 16 get their top bit set (saturating the lane
 * with an all-ones compare mask), which pshufb turns into 0. */
static inline wv_u8x16 wv_swizzle_pshufb(wv_u8x16 a, wv_u8x16 b) {
    return wv_pshufb(a, b | (wv_u8x16)(b > 15));
}

/* ------------------------------------------------------------------ float lanes */

/* WebAssembly min/max, lane-parallel: a NaN operand gives a NaN (a + b, quieted), -0 is
 * below +0 (sign bits OR-ed for min, AND-ed for max when the operands compare equal). */
static inline wv_f32x4 wv_min_f32(wv_f32x4 a, wv_f32x4 b) {
    wv_v128 x = {.f32 = a}, y = {.f32 = b}, s = {.f32 = a + b}, r;
    wv_u32x4 lt = (wv_u32x4)(a < b), gt = (wv_u32x4)(a > b), eq = (wv_u32x4)(a == b);
    r.u32 = (x.u32 & lt) | (y.u32 & gt) | ((x.u32 | y.u32) & eq) | (s.u32 & ~(lt | gt | eq));
    return r.f32;
}
static inline wv_f32x4 wv_max_f32(wv_f32x4 a, wv_f32x4 b) {
    wv_v128 x = {.f32 = a}, y = {.f32 = b}, s = {.f32 = a + b}, r;
    wv_u32x4 lt = (wv_u32x4)(a < b), gt = (wv_u32x4)(a > b), eq = (wv_u32x4)(a == b);
    r.u32 = (y.u32 & lt) | (x.u32 & gt) | ((x.u32 & y.u32) & eq) | (s.u32 & ~(lt | gt | eq));
    return r.f32;
}
static inline wv_f64x2 wv_min_f64(wv_f64x2 a, wv_f64x2 b) {
    wv_v128 x = {.f64 = a}, y = {.f64 = b}, s = {.f64 = a + b}, r;
    wv_u64x2 lt = (wv_u64x2)(a < b), gt = (wv_u64x2)(a > b), eq = (wv_u64x2)(a == b);
    r.u64 = (x.u64 & lt) | (y.u64 & gt) | ((x.u64 | y.u64) & eq) | (s.u64 & ~(lt | gt | eq));
    return r.f64;
}
static inline wv_f64x2 wv_max_f64(wv_f64x2 a, wv_f64x2 b) {
    wv_v128 x = {.f64 = a}, y = {.f64 = b}, s = {.f64 = a + b}, r;
    wv_u64x2 lt = (wv_u64x2)(a < b), gt = (wv_u64x2)(a > b), eq = (wv_u64x2)(a == b);
    r.u64 = (y.u64 & lt) | (x.u64 & gt) | ((x.u64 & y.u64) & eq) | (s.u64 & ~(lt | gt | eq));
    return r.f64;
}

/* Lane-by-lane application of a scalar float function; a NaN lane is quieted (x + x). */
#define WV_FMAP(NAME, VT, LANES, FN)                                                   \
    static inline VT NAME(VT a) {                                                      \
        VT r;                                                                          \
        for (int i = 0; i < LANES; i++) r[i] = a[i] != a[i] ? a[i] + a[i] : FN(a[i]);  \
        return r;                                                                      \
    }
WV_FMAP(wv_ceil_f32, wv_f32x4, 4, ceilf)
WV_FMAP(wv_floor_f32, wv_f32x4, 4, floorf)
WV_FMAP(wv_trunc_f32, wv_f32x4, 4, truncf)
WV_FMAP(wv_nearest_f32, wv_f32x4, 4, nearbyintf) /* ties to even: the default rounding */
WV_FMAP(wv_sqrt_f32, wv_f32x4, 4, sqrtf)
WV_FMAP(wv_ceil_f64, wv_f64x2, 2, ceil)
WV_FMAP(wv_floor_f64, wv_f64x2, 2, floor)
WV_FMAP(wv_trunc_f64, wv_f64x2, 2, trunc)
WV_FMAP(wv_nearest_f64, wv_f64x2, 2, nearbyint)
WV_FMAP(wv_sqrt_f64, wv_f64x2, 2, sqrt)
#undef WV_FMAP

/* f32x4.demote_f64x2_zero and f64x2.promote_low_f32x4 (round to nearest; exact). */
static inline wv_f32x4 wv_demote(wv_f64x2 a) { return (wv_f32x4){(float)a[0], (float)a[1], 0.0f, 0.0f}; }
static inline wv_f64x2 wv_promote_low(wv_f32x4 a) { return (wv_f64x2){(double)a[0], (double)a[1]}; }

/* Integer to float: correctly rounded, as C's conversions. */
static inline wv_f32x4 wv_convert_i32_s(wv_i32x4 a) { return __builtin_convertvector(a, wv_f32x4); }
static inline wv_f32x4 wv_convert_i32_u(wv_u32x4 a) { return __builtin_convertvector(a, wv_f32x4); }
static inline wv_f64x2 wv_convert_low_i32_s(wv_i32x4 a) { return (wv_f64x2){(double)a[0], (double)a[1]}; }
static inline wv_f64x2 wv_convert_low_i32_u(wv_u32x4 a) { return (wv_f64x2){(double)a[0], (double)a[1]}; }

/* Saturating float to integer: NaN -> 0, out of range -> the nearest bound; in range the
 * C conversion (truncation) is defined. Compared in double, which holds every f32 and
 * every bound exactly. */
static inline int32_t wv_sat_s32(double x) { return sat_i32(x); }
static inline uint32_t wv_sat_u32(double x) { return sat_u32(x); }
static inline wv_i32x4 wv_trunc_sat_f32_s(wv_f32x4 a) {
    return (wv_i32x4){wv_sat_s32(a[0]), wv_sat_s32(a[1]), wv_sat_s32(a[2]), wv_sat_s32(a[3])};
}
static inline wv_u32x4 wv_trunc_sat_f32_u(wv_f32x4 a) {
    return (wv_u32x4){wv_sat_u32(a[0]), wv_sat_u32(a[1]), wv_sat_u32(a[2]), wv_sat_u32(a[3])};
}
static inline wv_i32x4 wv_trunc_sat_f64_s(wv_f64x2 a) { return (wv_i32x4){wv_sat_s32(a[0]), wv_sat_s32(a[1]), 0, 0}; }
static inline wv_u32x4 wv_trunc_sat_f64_u(wv_f64x2 a) { return (wv_u32x4){wv_sat_u32(a[0]), wv_sat_u32(a[1]), 0, 0}; }

#endif /* NXW_SIMD_LANES_H */
