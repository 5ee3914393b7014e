/*
 * simd_ops.h — the fixed-width SIMD (v128) instructions of WebAssembly 2.0 as X-macro
 * lists (internal).
 *
 * One list per operand shape. Each entry names an internal operation (wc_op WC_NAME,
 * handler label L_NAME), its sub-opcode after the 0xFD prefix and, where the shape
 * needs them, its lane type and the expression that computes it. The same lists build
 * the wc_op enum (code.h), the validator's decoding table (simd_compile.inc) and the
 * interpreter's handlers (simd_interp.inc), so an instruction is defined in one place.
 * Expressions are evaluated by the handlers with `a`, `b`, `c` the v128 operands
 * (wv_v128, see simd_lanes.h), `n` a shift count, `k` a lane index and `x` a scalar
 * operand slot; the helpers they call live in simd_lanes.h.
 *
 * Operand layouts after the handler cell (d = destination slot, a/b/c = source slots,
 * a v128 slot is the first of the two consecutive slots holding it; off = memory offset,
 * k = lane index):
 *   UNARY   [d a]           v128 -> v128          LANE-typed result of EXPR
 *   BINARY  [d a b]         v128 v128 -> v128
 *   TEST    [d a]           v128 -> i32
 *   SHIFT   [d a b]         v128 i32 -> v128      n = the i32 operand
 *   SPLAT   [d a]           scalar -> v128        x = the scalar's slot
 *   EXTRACT [d a k]         v128 -> scalar        lane k (< LANES, checked by validation)
 *   REPLACE [d a b k]       v128 scalar -> v128
 *   LOAD    [d a off]       i32 -> v128           reads 1 << LOG2 bytes, FN(pointer)
 *   LANE_LOAD  [d a b off k]  i32 v128 -> v128    one lane of 1 << LOG2 bytes
 *   STORE   [a b off]       i32 v128 ->
 *   LANE_STORE [a b off k]  i32 v128 ->
 *   V128_CONST [d lo hi], I8X16_SHUFFLE [d a b lo hi] (lane indices, one per byte),
 *   V128_BITSELECT [d a b c]
 * and operations the translator emits that are not decoded from 0xFD as such:
 *   COPY_V128 [d a], SELECT_V128 [d a b c] (c: i32 condition), GLOBAL_GET_V128 [d k],
 *   GLOBAL_SET_V128 [k a];
 *   I8X16_SHUFFLE_SSSE3 [d a b ma mb] (ma, mb: pshufb masks of two cells each, selecting
 *   the bytes taken from a and from b) and I8X16_SWIZZLE_SSSE3 [d a b], used instead of
 *   the portable forms when the host has SSSE3;
 *   NAME_ADDR of every LOAD [d x y off] and STORE [x y v off]: the address is the i32
 *   sum x + y (an i32.add translated just before, as for the scalar loads and stores).
 */
#ifndef NXW_SIMD_OPS_H
#define NXW_SIMD_OPS_H

/* Internal moves of v128 values, and the instructions with a shape of their own:
 * X(NAME, sub-opcode or -1). */
#define WV_SPECIAL_OPS(X)                                                              \
    X(COPY_V128, -1) X(SELECT_V128, -1) X(GLOBAL_GET_V128, -1) X(GLOBAL_SET_V128, -1)  \
    X(V128_CONST, 0x0C) X(I8X16_SHUFFLE, 0x0D) X(V128_BITSELECT, 0x52)                 \
    X(I8X16_SHUFFLE_SSSE3, -1) X(I8X16_SWIZZLE_SSSE3, -1)

/* X(NAME, sub-opcode, LOG2 of the bytes read (= natural alignment), FN) */
#define WV_LOAD_OPS(X)                                                                 \
    X(V128_LOAD, 0x00, 4, wv_load128)                                                  \
    X(V128_LOAD8X8_S, 0x01, 3, wv_load8x8_s) X(V128_LOAD8X8_U, 0x02, 3, wv_load8x8_u)  \
    X(V128_LOAD16X4_S, 0x03, 3, wv_load16x4_s) X(V128_LOAD16X4_U, 0x04, 3, wv_load16x4_u) \
    X(V128_LOAD32X2_S, 0x05, 3, wv_load32x2_s) X(V128_LOAD32X2_U, 0x06, 3, wv_load32x2_u) \
    X(V128_LOAD8_SPLAT, 0x07, 0, wv_load8_splat) X(V128_LOAD16_SPLAT, 0x08, 1, wv_load16_splat) \
    X(V128_LOAD32_SPLAT, 0x09, 2, wv_load32_splat) X(V128_LOAD64_SPLAT, 0x0A, 3, wv_load64_splat) \
    X(V128_LOAD32_ZERO, 0x5C, 2, wv_load32_zero) X(V128_LOAD64_ZERO, 0x5D, 3, wv_load64_zero)

/* X(NAME, sub-opcode, LOG2 of the bytes stored) */
#define WV_STORE_OPS(X) X(V128_STORE, 0x0B, 4)

/* X(NAME, sub-opcode, LOG2 of the lane's bytes); the vector has 16 >> LOG2 lanes */
#define WV_LANE_LOAD_OPS(X)                                                            \
    X(V128_LOAD8_LANE, 0x54, 0) X(V128_LOAD16_LANE, 0x55, 1)                           \
    X(V128_LOAD32_LANE, 0x56, 2) X(V128_LOAD64_LANE, 0x57, 3)
#define WV_LANE_STORE_OPS(X)                                                           \
    X(V128_STORE8_LANE, 0x58, 0) X(V128_STORE16_LANE, 0x59, 1)                         \
    X(V128_STORE32_LANE, 0x5A, 2) X(V128_STORE64_LANE, 0x5B, 3)

/* X(NAME, sub-opcode, scalar type, LANE, EXPR of x) */
#define WV_SPLAT_OPS(X)                                                                \
    X(I8X16_SPLAT, 0x0F, I32, u8, wv_splat_u8((uint8_t)x.u32))                         \
    X(I16X8_SPLAT, 0x10, I32, u16, wv_splat_u16((uint16_t)x.u32))                      \
    X(I32X4_SPLAT, 0x11, I32, u32, wv_splat_u32(x.u32))                                \
    X(I64X2_SPLAT, 0x12, I64, u64, wv_splat_u64(x.u64))                                \
    X(F32X4_SPLAT, 0x13, F32, u32, wv_splat_u32(x.u32))                                \
    X(F64X2_SPLAT, 0x14, F64, u64, wv_splat_u64(x.u64))

/* X(NAME, sub-opcode, LANES, result type, result slot field, EXPR of a and k). Floats
 * move as bit patterns, so NaN payloads survive. */
#define WV_EXTRACT_OPS(X)                                                              \
    X(I8X16_EXTRACT_LANE_S, 0x15, 16, I32, i32, (int32_t)a.i8[k])                      \
    X(I8X16_EXTRACT_LANE_U, 0x16, 16, I32, u32, (uint32_t)a.u8[k])                     \
    X(I16X8_EXTRACT_LANE_S, 0x18, 8, I32, i32, (int32_t)a.i16[k])                      \
    X(I16X8_EXTRACT_LANE_U, 0x19, 8, I32, u32, (uint32_t)a.u16[k])                     \
    X(I32X4_EXTRACT_LANE, 0x1B, 4, I32, u32, a.u32[k])                                 \
    X(I64X2_EXTRACT_LANE, 0x1D, 2, I64, u64, a.u64[k])                                 \
    X(F32X4_EXTRACT_LANE, 0x1F, 4, F32, u32, a.u32[k])                                 \
    X(F64X2_EXTRACT_LANE, 0x21, 2, F64, u64, a.u64[k])

/* X(NAME, sub-opcode, LANES, scalar type, LANE, scalar slot field): a.LANE[k] = field */
#define WV_REPLACE_OPS(X)                                                              \
    X(I8X16_REPLACE_LANE, 0x17, 16, I32, u8, u32)                                      \
    X(I16X8_REPLACE_LANE, 0x1A, 8, I32, u16, u32)                                      \
    X(I32X4_REPLACE_LANE, 0x1C, 4, I32, u32, u32)                                      \
    X(I64X2_REPLACE_LANE, 0x1E, 2, I64, u64, u64)                                      \
    X(F32X4_REPLACE_LANE, 0x20, 4, F32, u32, u32)                                      \
    X(F64X2_REPLACE_LANE, 0x22, 2, F64, u64, u64)

/* X(NAME, sub-opcode, EXPR of a): an i32 */
#define WV_TEST_OPS(X)                                                                 \
    X(V128_ANY_TRUE, 0x53, (a.u64[0] | a.u64[1]) != 0)                                 \
    X(I8X16_ALL_TRUE, 0x63, wv_all_true_8(a.u8)) X(I8X16_BITMASK, 0x64, wv_bitmask_8(a.u8)) \
    X(I16X8_ALL_TRUE, 0x83, wv_all_true_16(a.u16)) X(I16X8_BITMASK, 0x84, wv_bitmask_16(a.u16)) \
    X(I32X4_ALL_TRUE, 0xA3, wv_all_true_32(a.u32)) X(I32X4_BITMASK, 0xA4, wv_bitmask_32(a.u32)) \
    X(I64X2_ALL_TRUE, 0xC3, wv_all_true_64(a.u64)) X(I64X2_BITMASK, 0xC4, wv_bitmask_64(a.u64))

/* X(NAME, sub-opcode, LANE, EXPR of a and n); n is the i32 operand, taken modulo the
 * lane width as the spec says */
#define WV_SHIFT_OPS(X)                                                                \
    X(I8X16_SHL, 0x6B, u8, a.u8 << (n & 7)) X(I8X16_SHR_S, 0x6C, i8, a.i8 >> (n & 7))  \
    X(I8X16_SHR_U, 0x6D, u8, a.u8 >> (n & 7))                                          \
    X(I16X8_SHL, 0x8B, u16, a.u16 << (n & 15)) X(I16X8_SHR_S, 0x8C, i16, a.i16 >> (n & 15)) \
    X(I16X8_SHR_U, 0x8D, u16, a.u16 >> (n & 15))                                       \
    X(I32X4_SHL, 0xAB, u32, a.u32 << (n & 31)) X(I32X4_SHR_S, 0xAC, i32, a.i32 >> (n & 31)) \
    X(I32X4_SHR_U, 0xAD, u32, a.u32 >> (n & 31))                                       \
    X(I64X2_SHL, 0xCB, u64, a.u64 << (n & 63)) X(I64X2_SHR_S, 0xCC, i64, a.i64 >> (n & 63)) \
    X(I64X2_SHR_U, 0xCD, u64, a.u64 >> (n & 63))

/* X(NAME, sub-opcode, LANE, EXPR of a) */
#define WV_UNARY_OPS(X)                                                                \
    X(V128_NOT, 0x4D, u64, ~a.u64)                                                     \
    X(F32X4_DEMOTE_F64X2_ZERO, 0x5E, f32, wv_demote(a.f64))                            \
    X(F64X2_PROMOTE_LOW_F32X4, 0x5F, f64, wv_promote_low(a.f32))                       \
    X(I8X16_ABS, 0x60, u8, wv_abs_8(a.u8)) X(I8X16_NEG, 0x61, u8, -a.u8)               \
    X(I8X16_POPCNT, 0x62, u8, wv_popcnt_8(a.u8))                                       \
    X(F32X4_CEIL, 0x67, f32, wv_ceil_f32(a.f32)) X(F32X4_FLOOR, 0x68, f32, wv_floor_f32(a.f32)) \
    X(F32X4_TRUNC, 0x69, f32, wv_trunc_f32(a.f32))                                     \
    X(F32X4_NEAREST, 0x6A, f32, wv_nearest_f32(a.f32))                                 \
    X(F64X2_CEIL, 0x74, f64, wv_ceil_f64(a.f64)) X(F64X2_FLOOR, 0x75, f64, wv_floor_f64(a.f64)) \
    X(F64X2_TRUNC, 0x7A, f64, wv_trunc_f64(a.f64))                                     \
    X(F64X2_NEAREST, 0x94, f64, wv_nearest_f64(a.f64))                                 \
    X(I16X8_EXTADD_PAIRWISE_I8X16_S, 0x7C, i16, wv_extadd_i8_s(a.i8))                  \
    X(I16X8_EXTADD_PAIRWISE_I8X16_U, 0x7D, u16, wv_extadd_i8_u(a.u8))                  \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S, 0x7E, i32, wv_extadd_i16_s(a.i16))                \
    X(I32X4_EXTADD_PAIRWISE_I16X8_U, 0x7F, u32, wv_extadd_i16_u(a.u16))                \
    X(I16X8_ABS, 0x80, u16, wv_abs_16(a.u16)) X(I16X8_NEG, 0x81, u16, -a.u16)          \
    X(I16X8_EXTEND_LOW_I8X16_S, 0x87, i16, wv_extend_low_i8_s(a.i8))                    \
    X(I16X8_EXTEND_HIGH_I8X16_S, 0x88, i16, wv_extend_high_i8_s(a.i8))                   \
    X(I16X8_EXTEND_LOW_I8X16_U, 0x89, u16, wv_extend_low_i8_u(a.u8))                    \
    X(I16X8_EXTEND_HIGH_I8X16_U, 0x8A, u16, wv_extend_high_i8_u(a.u8))                   \
    X(I32X4_ABS, 0xA0, u32, wv_abs_32(a.u32)) X(I32X4_NEG, 0xA1, u32, -a.u32)          \
    X(I32X4_EXTEND_LOW_I16X8_S, 0xA7, i32, wv_extend_low_i16_s(a.i16))                  \
    X(I32X4_EXTEND_HIGH_I16X8_S, 0xA8, i32, wv_extend_high_i16_s(a.i16))                 \
    X(I32X4_EXTEND_LOW_I16X8_U, 0xA9, u32, wv_extend_low_i16_u(a.u16))                  \
    X(I32X4_EXTEND_HIGH_I16X8_U, 0xAA, u32, wv_extend_high_i16_u(a.u16))                 \
    X(I64X2_ABS, 0xC0, u64, wv_abs_64(a.u64)) X(I64X2_NEG, 0xC1, u64, -a.u64)          \
    X(I64X2_EXTEND_LOW_I32X4_S, 0xC7, i64, wv_extend_low_i32_s(a.i32))                  \
    X(I64X2_EXTEND_HIGH_I32X4_S, 0xC8, i64, wv_extend_high_i32_s(a.i32))                 \
    X(I64X2_EXTEND_LOW_I32X4_U, 0xC9, u64, wv_extend_low_i32_u(a.u32))                  \
    X(I64X2_EXTEND_HIGH_I32X4_U, 0xCA, u64, wv_extend_high_i32_u(a.u32))                 \
    X(F32X4_ABS, 0xE0, u32, a.u32 & 0x7FFFFFFFu) X(F32X4_NEG, 0xE1, u32, a.u32 ^ 0x80000000u) \
    X(F32X4_SQRT, 0xE3, f32, wv_sqrt_f32(a.f32))                                       \
    X(F64X2_ABS, 0xEC, u64, a.u64 & 0x7FFFFFFFFFFFFFFFull)                             \
    X(F64X2_NEG, 0xED, u64, a.u64 ^ 0x8000000000000000ull)                             \
    X(F64X2_SQRT, 0xEF, f64, wv_sqrt_f64(a.f64))                                       \
    X(I32X4_TRUNC_SAT_F32X4_S, 0xF8, i32, wv_trunc_sat_f32_s(a.f32))                   \
    X(I32X4_TRUNC_SAT_F32X4_U, 0xF9, u32, wv_trunc_sat_f32_u(a.f32))                   \
    X(F32X4_CONVERT_I32X4_S, 0xFA, f32, wv_convert_i32_s(a.i32))                       \
    X(F32X4_CONVERT_I32X4_U, 0xFB, f32, wv_convert_i32_u(a.u32))                       \
    X(I32X4_TRUNC_SAT_F64X2_S_ZERO, 0xFC, i32, wv_trunc_sat_f64_s(a.f64))              \
    X(I32X4_TRUNC_SAT_F64X2_U_ZERO, 0xFD, u32, wv_trunc_sat_f64_u(a.f64))              \
    X(F64X2_CONVERT_LOW_I32X4_S, 0xFE, f64, wv_convert_low_i32_s(a.i32))               \
    X(F64X2_CONVERT_LOW_I32X4_U, 0xFF, f64, wv_convert_low_i32_u(a.u32))

/* X(NAME, sub-opcode, LANE, EXPR of a and b). Comparisons give all-ones lanes for true;
 * vector comparisons yield signed lanes of the operands' width, cast to LANE's type. */
#define WV_BINARY_OPS(X)                                                               \
    X(I8X16_SWIZZLE, 0x0E, u8, wv_swizzle(a.u8, b.u8))                                 \
    X(I8X16_EQ, 0x23, i8, (wv_i8x16)(a.u8 == b.u8)) X(I8X16_NE, 0x24, i8, (wv_i8x16)(a.u8 != b.u8)) \
    X(I8X16_LT_S, 0x25, i8, (wv_i8x16)(a.i8 < b.i8)) X(I8X16_LT_U, 0x26, i8, (wv_i8x16)(a.u8 < b.u8)) \
    X(I8X16_GT_S, 0x27, i8, (wv_i8x16)(a.i8 > b.i8)) X(I8X16_GT_U, 0x28, i8, (wv_i8x16)(a.u8 > b.u8)) \
    X(I8X16_LE_S, 0x29, i8, (wv_i8x16)(a.i8 <= b.i8)) X(I8X16_LE_U, 0x2A, i8, (wv_i8x16)(a.u8 <= b.u8)) \
    X(I8X16_GE_S, 0x2B, i8, (wv_i8x16)(a.i8 >= b.i8)) X(I8X16_GE_U, 0x2C, i8, (wv_i8x16)(a.u8 >= b.u8)) \
    X(I16X8_EQ, 0x2D, i16, (wv_i16x8)(a.u16 == b.u16)) X(I16X8_NE, 0x2E, i16, (wv_i16x8)(a.u16 != b.u16)) \
    X(I16X8_LT_S, 0x2F, i16, (wv_i16x8)(a.i16 < b.i16)) X(I16X8_LT_U, 0x30, i16, (wv_i16x8)(a.u16 < b.u16)) \
    X(I16X8_GT_S, 0x31, i16, (wv_i16x8)(a.i16 > b.i16)) X(I16X8_GT_U, 0x32, i16, (wv_i16x8)(a.u16 > b.u16)) \
    X(I16X8_LE_S, 0x33, i16, (wv_i16x8)(a.i16 <= b.i16)) X(I16X8_LE_U, 0x34, i16, (wv_i16x8)(a.u16 <= b.u16)) \
    X(I16X8_GE_S, 0x35, i16, (wv_i16x8)(a.i16 >= b.i16)) X(I16X8_GE_U, 0x36, i16, (wv_i16x8)(a.u16 >= b.u16)) \
    X(I32X4_EQ, 0x37, i32, (wv_i32x4)(a.u32 == b.u32)) X(I32X4_NE, 0x38, i32, (wv_i32x4)(a.u32 != b.u32)) \
    X(I32X4_LT_S, 0x39, i32, (wv_i32x4)(a.i32 < b.i32)) X(I32X4_LT_U, 0x3A, i32, (wv_i32x4)(a.u32 < b.u32)) \
    X(I32X4_GT_S, 0x3B, i32, (wv_i32x4)(a.i32 > b.i32)) X(I32X4_GT_U, 0x3C, i32, (wv_i32x4)(a.u32 > b.u32)) \
    X(I32X4_LE_S, 0x3D, i32, (wv_i32x4)(a.i32 <= b.i32)) X(I32X4_LE_U, 0x3E, i32, (wv_i32x4)(a.u32 <= b.u32)) \
    X(I32X4_GE_S, 0x3F, i32, (wv_i32x4)(a.i32 >= b.i32)) X(I32X4_GE_U, 0x40, i32, (wv_i32x4)(a.u32 >= b.u32)) \
    X(F32X4_EQ, 0x41, i32, (wv_i32x4)(a.f32 == b.f32)) X(F32X4_NE, 0x42, i32, (wv_i32x4)(a.f32 != b.f32)) \
    X(F32X4_LT, 0x43, i32, (wv_i32x4)(a.f32 < b.f32)) X(F32X4_GT, 0x44, i32, (wv_i32x4)(a.f32 > b.f32)) \
    X(F32X4_LE, 0x45, i32, (wv_i32x4)(a.f32 <= b.f32)) X(F32X4_GE, 0x46, i32, (wv_i32x4)(a.f32 >= b.f32)) \
    X(F64X2_EQ, 0x47, i64, (wv_i64x2)(a.f64 == b.f64)) X(F64X2_NE, 0x48, i64, (wv_i64x2)(a.f64 != b.f64)) \
    X(F64X2_LT, 0x49, i64, (wv_i64x2)(a.f64 < b.f64)) X(F64X2_GT, 0x4A, i64, (wv_i64x2)(a.f64 > b.f64)) \
    X(F64X2_LE, 0x4B, i64, (wv_i64x2)(a.f64 <= b.f64)) X(F64X2_GE, 0x4C, i64, (wv_i64x2)(a.f64 >= b.f64)) \
    X(V128_AND, 0x4E, u64, a.u64 & b.u64) X(V128_ANDNOT, 0x4F, u64, a.u64 & ~b.u64)   \
    X(V128_OR, 0x50, u64, a.u64 | b.u64) X(V128_XOR, 0x51, u64, a.u64 ^ b.u64)         \
    X(I8X16_NARROW_I16X8_S, 0x65, i8, wv_narrow_i16_s(a.i16, b.i16))                   \
    X(I8X16_NARROW_I16X8_U, 0x66, u8, wv_narrow_i16_u(a.i16, b.i16))                   \
    X(I8X16_ADD, 0x6E, u8, a.u8 + b.u8) X(I8X16_ADD_SAT_S, 0x6F, i8, wv_add_sat_s8(a.i8, b.i8)) \
    X(I8X16_ADD_SAT_U, 0x70, u8, wv_add_sat_u8(a.u8, b.u8)) X(I8X16_SUB, 0x71, u8, a.u8 - b.u8) \
    X(I8X16_SUB_SAT_S, 0x72, i8, wv_sub_sat_s8(a.i8, b.i8))                            \
    X(I8X16_SUB_SAT_U, 0x73, u8, wv_sub_sat_u8(a.u8, b.u8))                            \
    X(I8X16_MIN_S, 0x76, i8, WV_PICK(i8, a.i8 < b.i8, a, b))                           \
    X(I8X16_MIN_U, 0x77, u8, WV_PICK(u8, a.u8 < b.u8, a, b))                           \
    X(I8X16_MAX_S, 0x78, i8, WV_PICK(i8, a.i8 > b.i8, a, b))                           \
    X(I8X16_MAX_U, 0x79, u8, WV_PICK(u8, a.u8 > b.u8, a, b))                           \
    X(I8X16_AVGR_U, 0x7B, u8, wv_avgr_u8(a.u8, b.u8))                                  \
    X(I16X8_Q15MULR_SAT_S, 0x82, i16, wv_q15mulr(a.i16, b.i16))                        \
    X(I16X8_NARROW_I32X4_S, 0x85, i16, wv_narrow_i32_s(a.i32, b.i32))                  \
    X(I16X8_NARROW_I32X4_U, 0x86, u16, wv_narrow_i32_u(a.i32, b.i32))                  \
    X(I16X8_ADD, 0x8E, u16, a.u16 + b.u16)                                             \
    X(I16X8_ADD_SAT_S, 0x8F, i16, wv_add_sat_s16(a.i16, b.i16))                        \
    X(I16X8_ADD_SAT_U, 0x90, u16, wv_add_sat_u16(a.u16, b.u16))                        \
    X(I16X8_SUB, 0x91, u16, a.u16 - b.u16)                                             \
    X(I16X8_SUB_SAT_S, 0x92, i16, wv_sub_sat_s16(a.i16, b.i16))                        \
    X(I16X8_SUB_SAT_U, 0x93, u16, wv_sub_sat_u16(a.u16, b.u16))                        \
    X(I16X8_MUL, 0x95, u16, a.u16 * b.u16)                                             \
    X(I16X8_MIN_S, 0x96, i16, WV_PICK(i16, a.i16 < b.i16, a, b))                       \
    X(I16X8_MIN_U, 0x97, u16, WV_PICK(u16, a.u16 < b.u16, a, b))                       \
    X(I16X8_MAX_S, 0x98, i16, WV_PICK(i16, a.i16 > b.i16, a, b))                       \
    X(I16X8_MAX_U, 0x99, u16, WV_PICK(u16, a.u16 > b.u16, a, b))                       \
    X(I16X8_AVGR_U, 0x9B, u16, wv_avgr_u16(a.u16, b.u16))                              \
    X(I16X8_EXTMUL_LOW_I8X16_S, 0x9C, i16, wv_extmul_low_i8_s(a.i8, b.i8))              \
    X(I16X8_EXTMUL_HIGH_I8X16_S, 0x9D, i16, wv_extmul_high_i8_s(a.i8, b.i8))             \
    X(I16X8_EXTMUL_LOW_I8X16_U, 0x9E, u16, wv_extmul_low_i8_u(a.u8, b.u8))              \
    X(I16X8_EXTMUL_HIGH_I8X16_U, 0x9F, u16, wv_extmul_high_i8_u(a.u8, b.u8))             \
    X(I32X4_ADD, 0xAE, u32, a.u32 + b.u32) X(I32X4_SUB, 0xB1, u32, a.u32 - b.u32)      \
    X(I32X4_MUL, 0xB5, u32, a.u32 * b.u32)                                             \
    X(I32X4_MIN_S, 0xB6, i32, WV_PICK(i32, a.i32 < b.i32, a, b))                       \
    X(I32X4_MIN_U, 0xB7, u32, WV_PICK(u32, a.u32 < b.u32, a, b))                       \
    X(I32X4_MAX_S, 0xB8, i32, WV_PICK(i32, a.i32 > b.i32, a, b))                       \
    X(I32X4_MAX_U, 0xB9, u32, WV_PICK(u32, a.u32 > b.u32, a, b))                       \
    X(I32X4_DOT_I16X8_S, 0xBA, u32, wv_dot_i16(a.i16, b.i16))                          \
    X(I32X4_EXTMUL_LOW_I16X8_S, 0xBC, i32, wv_extmul_low_i16_s(a.i16, b.i16))           \
    X(I32X4_EXTMUL_HIGH_I16X8_S, 0xBD, i32, wv_extmul_high_i16_s(a.i16, b.i16))          \
    X(I32X4_EXTMUL_LOW_I16X8_U, 0xBE, u32, wv_extmul_low_i16_u(a.u16, b.u16))           \
    X(I32X4_EXTMUL_HIGH_I16X8_U, 0xBF, u32, wv_extmul_high_i16_u(a.u16, b.u16))          \
    X(I64X2_ADD, 0xCE, u64, a.u64 + b.u64) X(I64X2_SUB, 0xD1, u64, a.u64 - b.u64)      \
    X(I64X2_MUL, 0xD5, u64, a.u64 * b.u64)                                             \
    X(I64X2_EQ, 0xD6, i64, (wv_i64x2)(a.u64 == b.u64)) X(I64X2_NE, 0xD7, i64, (wv_i64x2)(a.u64 != b.u64)) \
    X(I64X2_LT_S, 0xD8, i64, (wv_i64x2)(a.i64 < b.i64)) X(I64X2_GT_S, 0xD9, i64, (wv_i64x2)(a.i64 > b.i64)) \
    X(I64X2_LE_S, 0xDA, i64, (wv_i64x2)(a.i64 <= b.i64)) X(I64X2_GE_S, 0xDB, i64, (wv_i64x2)(a.i64 >= b.i64)) \
    X(I64X2_EXTMUL_LOW_I32X4_S, 0xDC, i64, wv_extmul_low_i32_s(a.i32, b.i32))           \
    X(I64X2_EXTMUL_HIGH_I32X4_S, 0xDD, i64, wv_extmul_high_i32_s(a.i32, b.i32))          \
    X(I64X2_EXTMUL_LOW_I32X4_U, 0xDE, u64, wv_extmul_low_i32_u(a.u32, b.u32))           \
    X(I64X2_EXTMUL_HIGH_I32X4_U, 0xDF, u64, wv_extmul_high_i32_u(a.u32, b.u32))          \
    X(F32X4_ADD, 0xE4, f32, a.f32 + b.f32) X(F32X4_SUB, 0xE5, f32, a.f32 - b.f32)      \
    X(F32X4_MUL, 0xE6, f32, a.f32 * b.f32) X(F32X4_DIV, 0xE7, f32, a.f32 / b.f32)      \
    X(F32X4_MIN, 0xE8, f32, wv_min_f32(a.f32, b.f32))                                  \
    X(F32X4_MAX, 0xE9, f32, wv_max_f32(a.f32, b.f32))                                  \
    X(F32X4_PMIN, 0xEA, u32, WV_PICK(u32, b.f32 < a.f32, b, a))                        \
    X(F32X4_PMAX, 0xEB, u32, WV_PICK(u32, a.f32 < b.f32, b, a))                        \
    X(F64X2_ADD, 0xF0, f64, a.f64 + b.f64) X(F64X2_SUB, 0xF1, f64, a.f64 - b.f64)      \
    X(F64X2_MUL, 0xF2, f64, a.f64 * b.f64) X(F64X2_DIV, 0xF3, f64, a.f64 / b.f64)      \
    X(F64X2_MIN, 0xF4, f64, wv_min_f64(a.f64, b.f64))                                  \
    X(F64X2_MAX, 0xF5, f64, wv_max_f64(a.f64, b.f64))                                  \
    X(F64X2_PMIN, 0xF6, u64, WV_PICK(u64, b.f64 < a.f64, b, a))                        \
    X(F64X2_PMAX, 0xF7, u64, WV_PICK(u64, a.f64 < b.f64, b, a))

/* Applies M(NAME, ...) to every entry of every list above (M takes the name and ignores
 * the rest), e.g. to build the wc_op enum and the handler table in one fixed order. */
#define WV_EACH_OP(M)                                                                  \
    WV_SPECIAL_OPS(M) WV_LOAD_OPS(M) WV_STORE_OPS(M) WV_LANE_LOAD_OPS(M)               \
    WV_LANE_STORE_OPS(M) WV_SPLAT_OPS(M) WV_EXTRACT_OPS(M) WV_REPLACE_OPS(M)           \
    WV_TEST_OPS(M) WV_SHIFT_OPS(M) WV_UNARY_OPS(M) WV_BINARY_OPS(M)

/* Applies M(NAME, ...) to the loads and stores that also have a NAME_ADDR form. */
#define WV_EACH_ADDR_OP(M) WV_LOAD_OPS(M) WV_STORE_OPS(M)

#endif /* NXW_SIMD_OPS_H */
