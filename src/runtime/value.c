/*
 * value.c — JSON <-> MessagePack for the runtime (value.h). The runtime keeps every
 * value a handler produces in MessagePack, exactly as the guest encoded it (so -0, NaN
 * and 64-bit integers survive round trips through $state), and converts to JSON only
 * when it builds a result. The decoder trusts nothing: every read is bounds-checked and
 * recursion is bounded by NXG_MAX_DEPTH.
 */
#include "value.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_guest_abi.h"

/* ---------------------------------------------------------------- buffer */

static bool reserve(nxv_buf *b, size_t extra)
{
    if (b->failed) return false;
    if (extra <= b->cap - b->len) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void nxv_put(nxv_buf *b, const void *data, size_t len)
{
    if (!len || !reserve(b, len)) return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

void nxv_buf_free(nxv_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---------------------------------------------------------------- writer */

static void put_byte(nxv_buf *b, uint8_t v) { nxv_put(b, &v, 1); }

/* A tag byte followed by `n` bytes of `v`, big-endian. */
static void put_tagged(nxv_buf *b, uint8_t tag, uint64_t v, int n)
{
    uint8_t out[9];
    out[0] = tag;
    for (int i = 0; i < n; i++) out[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    nxv_put(b, out, (size_t)n + 1);
}

void nxv_mp_nil(nxv_buf *b) { put_byte(b, 0xc0); }

void nxv_mp_int(nxv_buf *b, int64_t v)
{
    if (v >= 0) {
        uint64_t u = (uint64_t)v;
        if (u < 128) put_byte(b, (uint8_t)u);
        else if (u <= UINT8_MAX) put_tagged(b, 0xcc, u, 1);
        else if (u <= UINT16_MAX) put_tagged(b, 0xcd, u, 2);
        else if (u <= UINT32_MAX) put_tagged(b, 0xce, u, 4);
        else put_tagged(b, 0xcf, u, 8);
    } else if (v >= -32) {
        put_byte(b, (uint8_t)(int8_t)v);
    } else if (v >= INT8_MIN) {
        put_tagged(b, 0xd0, (uint64_t)v & 0xff, 1);
    } else if (v >= INT16_MIN) {
        put_tagged(b, 0xd1, (uint64_t)v & 0xffff, 2);
    } else if (v >= INT32_MIN) {
        put_tagged(b, 0xd2, (uint64_t)v & 0xffffffffu, 4);
    } else {
        put_tagged(b, 0xd3, (uint64_t)v, 8);
    }
}

void nxv_mp_f64(nxv_buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    put_tagged(b, 0xcb, bits, 8);
}

void nxv_mp_str(nxv_buf *b, const char *s, size_t len)
{
    if (len < 32) put_byte(b, (uint8_t)(0xa0 | len));
    else if (len <= UINT8_MAX) put_tagged(b, 0xd9, len, 1);
    else if (len <= UINT16_MAX) put_tagged(b, 0xda, len, 2);
    else put_tagged(b, 0xdb, len, 4);
    nxv_put(b, s, len);
}

void nxv_mp_array(nxv_buf *b, uint32_t n)
{
    if (n < 16) put_byte(b, (uint8_t)(0x90 | n));
    else if (n <= UINT16_MAX) put_tagged(b, 0xdc, n, 2);
    else put_tagged(b, 0xdd, n, 4);
}

void nxv_mp_map(nxv_buf *b, uint32_t n)
{
    if (n < 16) put_byte(b, (uint8_t)(0x80 | n));
    else if (n <= UINT16_MAX) put_tagged(b, 0xde, n, 2);
    else put_tagged(b, 0xdf, n, 4);
}

static bool from_json(nxv_buf *b, const json_t *v, int depth)
{
    if (depth > NXG_MAX_DEPTH) return false;
    switch (json_typeof(v)) {
    case JSON_NULL: nxv_mp_nil(b); break;
    case JSON_TRUE: put_byte(b, 0xc3); break;
    case JSON_FALSE: put_byte(b, 0xc2); break;
    case JSON_INTEGER: nxv_mp_int(b, (int64_t)json_integer_value(v)); break;
    case JSON_REAL: nxv_mp_f64(b, json_real_value(v)); break;
    case JSON_STRING: nxv_mp_str(b, json_string_value(v), json_string_length(v)); break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n > UINT32_MAX) return false;
        nxv_mp_array(b, (uint32_t)n);
        for (size_t i = 0; i < n; i++)
            if (!from_json(b, json_array_get(v, i), depth + 1)) return false;
        break;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        if (n > UINT32_MAX) return false;
        nxv_mp_map(b, (uint32_t)n);
        const char *key;
        size_t key_len;
        json_t *item;
        json_object_keylen_foreach((json_t *)v, key, key_len, item) {
            nxv_mp_str(b, key, key_len);
            if (!from_json(b, item, depth + 1)) return false;
        }
        break;
    }
    }
    return !b->failed;
}

bool nxv_from_json(nxv_buf *b, const json_t *v)
{
    size_t mark = b->len;
    if (from_json(b, v, 0)) return true;
    b->len = mark;
    return false;
}

/* ---------------------------------------------------------------- reader */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static bool take(reader *r, size_t n, const uint8_t **out)
{
    if ((size_t)(r->end - r->p) < n) return false;
    *out = r->p;
    r->p += n;
    return true;
}

static bool take_uint(reader *r, int n, uint64_t *out)
{
    const uint8_t *p;
    if (!take(r, (size_t)n, &p)) return false;
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    *out = v;
    return true;
}

static json_t *read_value(reader *r, int depth);

static json_t *real_or_null(double d)
{
    return isfinite(d) ? json_real(d) : json_null();
}

static json_t *read_string(reader *r, uint64_t len)
{
    const uint8_t *p;
    if (!take(r, len, &p)) return NULL;
    json_t *s = json_stringn((const char *)p, len);
    return s ? s : json_null(); /* invalid UTF-8 */
}

static json_t *read_array(reader *r, uint64_t n, int depth)
{
    if (n > (uint64_t)(r->end - r->p)) return NULL; /* each element takes a byte */
    json_t *a = json_array();
    for (uint64_t i = 0; a && i < n; i++) {
        json_t *item = read_value(r, depth + 1);
        if (!item || json_array_append_new(a, item)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* A map key: a str as is; anything else as its compact JSON text. */
static char *read_key(reader *r, int depth, size_t *len)
{
    json_t *k = read_value(r, depth + 1);
    if (!k) return NULL;
    char *s;
    if (json_is_string(k)) {
        *len = json_string_length(k);
        s = malloc(*len + 1);
        if (s) memcpy(s, json_string_value(k), *len + 1);
    } else {
        s = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) *len = strlen(s);
    }
    json_decref(k);
    return s;
}

static json_t *read_map(reader *r, uint64_t n, int depth)
{
    if (n > (uint64_t)(r->end - r->p) / 2) return NULL;
    json_t *o = json_object();
    for (uint64_t i = 0; o && i < n; i++) {
        size_t key_len = 0;
        char *key = read_key(r, depth, &key_len);
        json_t *item = key ? read_value(r, depth + 1) : NULL;
        if (!item || json_object_setn_new(o, key, key_len, item)) {
            free(key);
            json_decref(o);
            return NULL;
        }
        free(key);
    }
    return o;
}

/* Skips `n` bytes of a bin/ext payload and yields null. */
static json_t *skip_as_null(reader *r, uint64_t n)
{
    const uint8_t *p;
    return take(r, n, &p) ? json_null() : NULL;
}

static json_t *read_value(reader *r, int depth)
{
    const uint8_t *tp;
    if (depth > NXG_MAX_DEPTH || !take(r, 1, &tp)) return NULL;
    uint8_t t = *tp;
    uint64_t u;
    if (t <= 0x7f) return json_integer(t);
    if (t >= 0xe0) return json_integer((int8_t)t);
    if ((t & 0xe0) == 0xa0) return read_string(r, t & 0x1f);
    if ((t & 0xf0) == 0x90) return read_array(r, t & 0x0f, depth);
    if ((t & 0xf0) == 0x80) return read_map(r, t & 0x0f, depth);
    switch (t) {
    case 0xc0: return json_null();
    case 0xc2: return json_false();
    case 0xc3: return json_true();
    case 0xcc: return take_uint(r, 1, &u) ? json_integer((json_int_t)u) : NULL;
    case 0xcd: return take_uint(r, 2, &u) ? json_integer((json_int_t)u) : NULL;
    case 0xce: return take_uint(r, 4, &u) ? json_integer((json_int_t)u) : NULL;
    case 0xcf:
        if (!take_uint(r, 8, &u)) return NULL;
        return u <= INT64_MAX ? json_integer((json_int_t)u) : json_real((double)u);
    case 0xd0: return take_uint(r, 1, &u) ? json_integer((int8_t)u) : NULL;
    case 0xd1: return take_uint(r, 2, &u) ? json_integer((int16_t)u) : NULL;
    case 0xd2: return take_uint(r, 4, &u) ? json_integer((int32_t)u) : NULL;
    case 0xd3: return take_uint(r, 8, &u) ? json_integer((json_int_t)(int64_t)u) : NULL;
    case 0xca: {
        if (!take_uint(r, 4, &u)) return NULL;
        uint32_t bits = (uint32_t)u;
        float f;
        memcpy(&f, &bits, 4);
        return real_or_null(f);
    }
    case 0xcb: {
        if (!take_uint(r, 8, &u)) return NULL;
        double d;
        memcpy(&d, &u, 8);
        return real_or_null(d);
    }
    case 0xd9: return take_uint(r, 1, &u) ? read_string(r, u) : NULL;
    case 0xda: return take_uint(r, 2, &u) ? read_string(r, u) : NULL;
    case 0xdb: return take_uint(r, 4, &u) ? read_string(r, u) : NULL;
    case 0xdc: return take_uint(r, 2, &u) ? read_array(r, u, depth) : NULL;
    case 0xdd: return take_uint(r, 4, &u) ? read_array(r, u, depth) : NULL;
    case 0xde: return take_uint(r, 2, &u) ? read_map(r, u, depth) : NULL;
    case 0xdf: return take_uint(r, 4, &u) ? read_map(r, u, depth) : NULL;
    case 0xc4: return take_uint(r, 1, &u) ? skip_as_null(r, u) : NULL; /* bin */
    case 0xc5: return take_uint(r, 2, &u) ? skip_as_null(r, u) : NULL;
    case 0xc6: return take_uint(r, 4, &u) ? skip_as_null(r, u) : NULL;
    case 0xd4: return skip_as_null(r, 2); /* fixext 1..16: type byte + data */
    case 0xd5: return skip_as_null(r, 3);
    case 0xd6: return skip_as_null(r, 5);
    case 0xd7: return skip_as_null(r, 9);
    case 0xd8: return skip_as_null(r, 17);
    case 0xc7: return take_uint(r, 1, &u) ? skip_as_null(r, u + 1) : NULL; /* ext */
    case 0xc8: return take_uint(r, 2, &u) ? skip_as_null(r, u + 1) : NULL;
    case 0xc9: return take_uint(r, 4, &u) ? skip_as_null(r, u + 1) : NULL;
    default: return NULL; /* 0xc1: never used */
    }
}

json_t *nxv_to_json(const uint8_t *data, size_t len)
{
    reader r = {data, data + len};
    json_t *v = read_value(&r, 0);
    if (v && r.p != r.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *nxv_map_get(const uint8_t *data, size_t len, const char *key)
{
    json_t *map = nxv_to_json(data, len);
    json_t *v = json_is_object(map) ? json_incref(json_object_get(map, key)) : NULL;
    json_decref(map);
    return v;
}
