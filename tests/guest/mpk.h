/*
 * mpk.h — MessagePack helpers of the guest tests (host side): build values from JSON text
 * (jansson) or by hand, and print any value as canonical text so that tests compare
 * strings. The text form is JSON-like: ints as digits, floats with a '.' or exponent
 * (-0.0, NaN, Infinity, -Infinity spelled out), strings JSON-escaped (\u0000 for NUL),
 * maps as {"k":v} in encoded order.
 */
#ifndef NEXUS_TESTS_MPK_H
#define NEXUS_TESTS_MPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer (abort()s when out of memory: test code). */
typedef struct mpk_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} mpk_buf;

void mpk_put(mpk_buf *b, const void *p, size_t n);
void mpk_free(mpk_buf *b);

/* Writers. */
void mpk_nil(mpk_buf *b);
void mpk_bool(mpk_buf *b, bool v);
void mpk_int(mpk_buf *b, int64_t v);
void mpk_uint(mpk_buf *b, uint64_t v);
void mpk_f64(mpk_buf *b, double v);
void mpk_str(mpk_buf *b, const char *s, size_t len);
void mpk_cstr(mpk_buf *b, const char *s);
void mpk_array(mpk_buf *b, uint32_t n);
void mpk_map(mpk_buf *b, uint32_t n);

/* Appends the MessagePack form of JSON text (integers stay ints, reals become float64);
 * false when the JSON does not parse. */
bool mpk_from_json(mpk_buf *b, const char *json);

/* Canonical text of the single value in data[0..len): a malloc'd string, or NULL when
 * the bytes are not exactly one well-formed value. */
char *mpk_to_text(const uint8_t *data, size_t len);

/* The value of str key `key` in map data[0..len) as canonical text (malloc'd), or NULL. */
char *mpk_map_get_text(const uint8_t *data, size_t len, const char *key);

#endif
