/*
 * numeric.h — WebAssembly's numeric operations that C does not give directly, shared by
 * the interpreter (interp.c) and the code the ahead-of-time compiler generates
 * (aot_rt.h): min/max with WebAssembly's NaN and signed-zero rules, rotations, and the
 * saturating float-to-integer truncations.
 */
#ifndef NXW_NUMERIC_H
#define NXW_NUMERIC_H

#include <stdint.h>
#include <string.h>

static inline float f32_min(float a, float b) {
    if (a != a || b != b) return a + b; /* a NaN operand: quiet NaN result */
    if (a == b) {                       /* -0 and +0: min is -0 */
        uint32_t x, y;
        memcpy(&x, &a, 4);
        memcpy(&y, &b, 4);
        x |= y;
        memcpy(&a, &x, 4);
        return a;
    }
    return a < b ? a : b;
}
static inline float f32_max(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a == b) {
        uint32_t x, y;
        memcpy(&x, &a, 4);
        memcpy(&y, &b, 4);
        x &= y;
        memcpy(&a, &x, 4);
        return a;
    }
    return a > b ? a : b;
}
static inline double f64_min(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == b) {
        uint64_t x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        x |= y;
        memcpy(&a, &x, 8);
        return a;
    }
    return a < b ? a : b;
}
static inline double f64_max(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == b) {
        uint64_t x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        x &= y;
        memcpy(&a, &x, 8);
        return a;
    }
    return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t a, uint32_t b) { b &= 31; return (a << b) | (a >> ((32 - b) & 31)); }
static inline uint32_t rotr32(uint32_t a, uint32_t b) { b &= 31; return (a >> b) | (a << ((32 - b) & 31)); }
static inline uint64_t rotl64(uint64_t a, uint64_t b) { b &= 63; return (a << b) | (a >> ((64 - b) & 63)); }
static inline uint64_t rotr64(uint64_t a, uint64_t b) { b &= 63; return (a >> b) | (a << ((64 - b) & 63)); }

/* Saturating truncations (trunc_sat): NaN -> 0, out of range -> the nearest bound. */
static inline int32_t sat_i32(double x) {
    if (x != x) return 0;
    if (x <= -2147483649.0) return INT32_MIN;
    if (x >= 2147483648.0) return INT32_MAX;
    return (int32_t)x;
}
static inline uint32_t sat_u32(double x) {
    if (x != x || x <= -1.0) return 0;
    if (x >= 4294967296.0) return UINT32_MAX;
    return (uint32_t)x;
}
static inline int64_t sat_i64(double x) {
    if (x != x) return 0;
    if (x < -9223372036854775808.0) return INT64_MIN;
    if (x >= 9223372036854775808.0) return INT64_MAX;
    return (int64_t)x;
}
static inline uint64_t sat_u64(double x) {
    if (x != x || x <= -1.0) return 0;
    if (x >= 18446744073709551616.0) return UINT64_MAX;
    return (uint64_t)x;
}

#endif /* NXW_NUMERIC_H */
