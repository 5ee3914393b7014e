/*
 * mpk.c — MessagePack writer, JSON-to-MessagePack converter and canonical text printer
 * used by the guest tests (see mpk.h). Written for clarity, not speed.
 */
#include "mpk.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mpk_put(mpk_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void mpk_free(mpk_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static void put_be(mpk_buf *b, uint8_t type, uint64_t v, int n)
{
    uint8_t t[9];
    t[0] = type;
    for (int i = 0; i < n; i++)
        t[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    mpk_put(b, t, 1 + (size_t)n);
}

void mpk_nil(mpk_buf *b)
{
    mpk_put(b, "\xc0", 1);
}

void mpk_bool(mpk_buf *b, bool v)
{
    mpk_put(b, v ? "\xc3" : "\xc2", 1);
}

void mpk_uint(mpk_buf *b, uint64_t v)
{
    if (v < 128) {
        uint8_t c = (uint8_t)v;
        mpk_put(b, &c, 1);
    } else if (v < 256) {
        put_be(b, 0xcc, v, 1);
    } else if (v < 65536) {
        put_be(b, 0xcd, v, 2);
    } else if (v <= 0xFFFFFFFFu) {
        put_be(b, 0xce, v, 4);
    } else {
        put_be(b, 0xcf, v, 8);
    }
}

void mpk_int(mpk_buf *b, int64_t v)
{
    if (v >= 0) {
        mpk_uint(b, (uint64_t)v);
    } else if (v >= -32) {
        uint8_t c = (uint8_t)(0xe0 | (v + 32));
        mpk_put(b, &c, 1);
    } else if (v >= -128) {
        put_be(b, 0xd0, (uint64_t)v, 1);
    } else if (v >= -32768) {
        put_be(b, 0xd1, (uint64_t)v, 2);
    } else if (v >= INT32_MIN) {
        put_be(b, 0xd2, (uint64_t)v, 4);
    } else {
        put_be(b, 0xd3, (uint64_t)v, 8);
    }
}

void mpk_f64(mpk_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    put_be(b, 0xcb, bits, 8);
}

void mpk_str(mpk_buf *b, const char *s, size_t len)
{
    if (len < 32) {
        uint8_t c = (uint8_t)(0xa0 | len);
        mpk_put(b, &c, 1);
    } else if (len < 256) {
        put_be(b, 0xd9, len, 1);
    } else if (len < 65536) {
        put_be(b, 0xda, len, 2);
    } else {
        put_be(b, 0xdb, len, 4);
    }
    mpk_put(b, s, len);
}

void mpk_cstr(mpk_buf *b, const char *s)
{
    mpk_str(b, s, strlen(s));
}

void mpk_array(mpk_buf *b, uint32_t n)
{
    if (n < 16) {
        uint8_t c = (uint8_t)(0x90 | n);
        mpk_put(b, &c, 1);
    } else if (n < 65536) {
        put_be(b, 0xdc, n, 2);
    } else {
        put_be(b, 0xdd, n, 4);
    }
}

void mpk_map(mpk_buf *b, uint32_t n)
{
    if (n < 16) {
        uint8_t c = (uint8_t)(0x80 | n);
        mpk_put(b, &c, 1);
    } else if (n < 65536) {
        put_be(b, 0xde, n, 2);
    } else {
        put_be(b, 0xdf, n, 4);
    }
}

static void from_json(mpk_buf *b, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_NULL:
        mpk_nil(b);
        break;
    case JSON_TRUE:
        mpk_bool(b, true);
        break;
    case JSON_FALSE:
        mpk_bool(b, false);
        break;
    case JSON_INTEGER:
        mpk_int(b, json_integer_value(j));
        break;
    case JSON_REAL:
        mpk_f64(b, json_real_value(j));
        break;
    case JSON_STRING:
        mpk_str(b, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY:
        mpk_array(b, (uint32_t)json_array_size(j));
        for (size_t i = 0; i < json_array_size(j); i++)
            from_json(b, json_array_get(j, i));
        break;
    case JSON_OBJECT: {
        mpk_map(b, (uint32_t)json_object_size(j));
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v) {
            mpk_cstr(b, k);
            from_json(b, v);
        }
        break;
    }
    }
}

bool mpk_from_json(mpk_buf *b, const char *json)
{
    json_error_t err;
    json_t *j = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_PRESERVE_ORDER, &err);
    if (!j)
        return false;
    from_json(b, j);
    json_decref(j);
    return true;
}

/* ---------------------------------------------------------------- printer */

typedef struct rd {
    const uint8_t *p, *end;
    mpk_buf *out;
    bool bad;
} rd;

static void out_s(rd *r, const char *s)
{
    mpk_put(r->out, s, strlen(s));
}

static bool take(rd *r, int n, uint64_t *v)
{
    if (r->end - r->p < n) {
        r->bad = true;
        return false;
    }
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = (x << 8) | r->p[i];
    r->p += n;
    *v = x;
    return true;
}

static void print_double(rd *r, double d)
{
    char buf[64];
    if (isnan(d))
        snprintf(buf, sizeof(buf), "NaN");
    else if (isinf(d))
        snprintf(buf, sizeof(buf), d < 0 ? "-Infinity" : "Infinity");
    else {
        snprintf(buf, sizeof(buf), "%.17g", d);
        if (!strpbrk(buf, ".en"))
            strcat(buf, ".0");
    }
    out_s(r, buf);
}

static void print_str(rd *r, uint64_t len)
{
    if ((uint64_t)(r->end - r->p) < len) {
        r->bad = true;
        return;
    }
    out_s(r, "\"");
    for (uint64_t i = 0; i < len; i++) {
        uint8_t c = r->p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            mpk_put(r->out, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            out_s(r, esc);
        } else {
            mpk_put(r->out, &c, 1);
        }
    }
    out_s(r, "\"");
    r->p += len;
}

static void print_value(rd *r, int depth)
{
    uint64_t v, n;
    char buf[48];
    if (r->bad || depth > 1000 || r->p >= r->end) {
        r->bad = true;
        return;
    }
    uint8_t t = *r->p++;
    if (t <= 0x7f || t >= 0xe0) {
        snprintf(buf, sizeof(buf), "%d", t <= 0x7f ? (int)t : (int)(int8_t)t);
        out_s(r, buf);
    } else if (t <= 0x8f || t == 0xde || t == 0xdf) {
        if (t <= 0x8f)
            n = t & 15;
        else if (!take(r, t == 0xde ? 2 : 4, &n))
            return;
        out_s(r, "{");
        for (uint64_t i = 0; i < n && !r->bad; i++) {
            if (i)
                out_s(r, ",");
            print_value(r, depth + 1);
            out_s(r, ":");
            print_value(r, depth + 1);
        }
        out_s(r, "}");
    } else if (t <= 0x9f || t == 0xdc || t == 0xdd) {
        if (t <= 0x9f)
            n = t & 15;
        else if (!take(r, t == 0xdc ? 2 : 4, &n))
            return;
        out_s(r, "[");
        for (uint64_t i = 0; i < n && !r->bad; i++) {
            if (i)
                out_s(r, ",");
            print_value(r, depth + 1);
        }
        out_s(r, "]");
    } else if (t <= 0xbf) {
        print_str(r, t & 31);
    } else if (t >= 0xd9 && t <= 0xdb) {
        if (take(r, 1 << (t - 0xd9), &n))
            print_str(r, n);
    } else if (t == 0xc0) {
        out_s(r, "null");
    } else if (t == 0xc2 || t == 0xc3) {
        out_s(r, t == 0xc3 ? "true" : "false");
    } else if (t == 0xca) {
        if (take(r, 4, &v)) {
            uint32_t bits = (uint32_t)v;
            float f;
            memcpy(&f, &bits, 4);
            print_double(r, f);
        }
    } else if (t == 0xcb) {
        if (take(r, 8, &v)) {
            double d;
            memcpy(&d, &v, 8);
            print_double(r, d);
        }
    } else if (t >= 0xcc && t <= 0xcf) {
        if (take(r, 1 << (t - 0xcc), &v)) {
            snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
            out_s(r, buf);
        }
    } else if (t >= 0xd0 && t <= 0xd3) {
        int len = 1 << (t - 0xd0);
        if (take(r, len, &v)) {
            int64_t s = len == 8 ? (int64_t)v : (int64_t)(v << (64 - 8 * len)) >> (64 - 8 * len);
            snprintf(buf, sizeof(buf), "%lld", (long long)s);
            out_s(r, buf);
        }
    } else {
        r->bad = true;
    }
}

char *mpk_to_text(const uint8_t *data, size_t len)
{
    mpk_buf out = {0};
    rd r = {data, data + len, &out, false};
    print_value(&r, 0);
    if (r.bad || r.p != r.end) {
        mpk_free(&out);
        return NULL;
    }
    mpk_put(&out, "", 1);
    return (char *)out.data;
}

/* Skips one value. */
static void skip_value(rd *r)
{
    mpk_buf sink = {0};
    mpk_buf *saved = r->out;
    r->out = &sink;
    print_value(r, 0);
    r->out = saved;
    mpk_free(&sink);
}

char *mpk_map_get_text(const uint8_t *data, size_t len, const char *key)
{
    rd r = {data, data + len, NULL, false};
    uint64_t n;
    if (len == 0)
        return NULL;
    uint8_t t = *r.p++;
    if (t >= 0x80 && t <= 0x8f)
        n = t & 15;
    else if (t == 0xde || t == 0xdf) {
        if (!take(&r, t == 0xde ? 2 : 4, &n))
            return NULL;
    } else {
        return NULL;
    }
    size_t klen = strlen(key);
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *k = r.p;
        skip_value(&r);
        if (r.bad)
            return NULL;
        const uint8_t *v = r.p;
        skip_value(&r);
        if (r.bad)
            return NULL;
        if (k[0] >= 0xa0 && k[0] <= 0xbf && (size_t)(k[0] & 31) == klen &&
            memcmp(k + 1, key, klen) == 0)
            return mpk_to_text(v, (size_t)(r.p - v));
        if (k[0] == 0xd9 && k[1] == klen && memcmp(k + 2, key, klen) == 0)
            return mpk_to_text(v, (size_t)(r.p - v));
    }
    return NULL;
}
