/*
 * codec.c — the guest's value encoding: JavaScript values to MessagePack and back, with
 * the mapping documented in nexus_guest_abi.h (JSON.stringify's choices for undefined,
 * functions, symbols and toJSON, but -0, NaN, ±Infinity and 64-bit integers kept exact;
 * cycles and excessive depth are errors, never hangs). Every value that crosses the
 * host boundary goes through nxg_encode / nxg_decode. The decoder makes arrays in one
 * step and the records of a list (maps with the same keys) from one shape (patch 09).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

/* ---------------------------------------------------------------- buffers */

bool nxg_buf_reserve(nxg_buf *buf, size_t n)
{
    if (buf->failed)
        return false;
    if (buf->cap - buf->len >= n)
        return true;
    size_t cap = buf->cap ? buf->cap : 256;
    while (cap - buf->len < n) {
        if (cap > SIZE_MAX / 2) {
            buf->failed = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *data = realloc(buf->data, cap);
    if (!data) {
        nxg_g.oom = true;
        buf->failed = true;
        return false;
    }
    buf->data = data;
    buf->cap = cap;
    return true;
}

void nxg_buf_put(nxg_buf *buf, const void *src, size_t n)
{
    if (n && nxg_buf_reserve(buf, n)) {
        memcpy(buf->data + buf->len, src, n);
        buf->len += n;
    }
}

void nxg_buf_free(nxg_buf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

/* ---------------------------------------------------------------- MessagePack writers */

static void put_u8(nxg_buf *out, uint8_t b)
{
    nxg_buf_put(out, &b, 1);
}

/* A type byte followed by `n` big-endian bytes of v. */
static void put_be(nxg_buf *out, uint8_t type, uint64_t v, int n)
{
    uint8_t b[9];
    b[0] = type;
    for (int i = 0; i < n; i++)
        b[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    nxg_buf_put(out, b, 1 + (size_t)n);
}

void nxg_mp_int(nxg_buf *out, int64_t v)
{
    if (v >= 0) {
        if (v < 128)
            put_u8(out, (uint8_t)v);
        else if (v < 256)
            put_be(out, 0xcc, (uint64_t)v, 1);
        else if (v < 65536)
            put_be(out, 0xcd, (uint64_t)v, 2);
        else if (v <= 0xFFFFFFFFll)
            put_be(out, 0xce, (uint64_t)v, 4);
        else
            put_be(out, 0xcf, (uint64_t)v, 8);
    } else {
        if (v >= -32)
            put_u8(out, (uint8_t)(0xe0 | (v + 32)));
        else if (v >= -128)
            put_be(out, 0xd0, (uint64_t)v, 1);
        else if (v >= -32768)
            put_be(out, 0xd1, (uint64_t)v, 2);
        else if (v >= INT32_MIN)
            put_be(out, 0xd2, (uint64_t)v, 4);
        else
            put_be(out, 0xd3, (uint64_t)v, 8);
    }
}

static void mp_float64(nxg_buf *out, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    put_be(out, 0xcb, bits, 8);
}

static void mp_str_header(nxg_buf *out, size_t len)
{
    if (len < 32)
        put_u8(out, (uint8_t)(0xa0 | len));
    else if (len < 256)
        put_be(out, 0xd9, len, 1);
    else if (len < 65536)
        put_be(out, 0xda, len, 2);
    else
        put_be(out, 0xdb, len, 4);
}

void nxg_mp_str(nxg_buf *out, const char *s, size_t len)
{
    mp_str_header(out, len);
    nxg_buf_put(out, s, len);
}

static void mp_array_header(nxg_buf *out, uint32_t n)
{
    if (n < 16)
        put_u8(out, (uint8_t)(0x90 | n));
    else if (n < 65536)
        put_be(out, 0xdc, n, 2);
    else
        put_be(out, 0xdd, n, 4);
}

void nxg_mp_map_header(nxg_buf *out, uint32_t n)
{
    if (n < 16)
        put_u8(out, (uint8_t)(0x80 | n));
    else if (n < 65536)
        put_be(out, 0xde, n, 2);
    else
        put_be(out, 0xdf, n, 4);
}

/* ---------------------------------------------------------------- encoder */

typedef struct nxg_enc {
    JSContext *ctx;
    nxg_buf *out;
    int depth;
    void *ancestors[NXG_MAX_DEPTH]; /* objects being encoded, outermost first */
} nxg_enc;

static int enc_fail_oom(nxg_enc *e)
{
    JS_ThrowOutOfMemory(e->ctx);
    return -1;
}

/* Appends a JavaScript string as UTF-8, lone surrogates replaced by U+FFFD. */
static int enc_string(nxg_enc *e, JSValueConst str)
{
    size_t len;
    const char *s = JS_ToCStringLen2(e->ctx, &len, str, 0);
    if (!s)
        return -1;
    mp_str_header(e->out, len);
    size_t at = e->out->len;
    nxg_buf_put(e->out, s, len);
    JS_FreeCString(e->ctx, s);
    if (e->out->failed)
        return enc_fail_oom(e);
    /* QuickJS writes a lone surrogate as the 3-byte sequence ED A0..BF xx, which is not
     * UTF-8; U+FFFD (EF BF BD) has the same length. */
    uint8_t *p = e->out->data + at;
    for (size_t i = 0; i + 2 < len; i++) {
        if (p[i] == 0xED && p[i + 1] >= 0xA0) {
            p[i] = 0xEF;
            p[i + 1] = 0xBF;
            p[i + 2] = 0xBD;
            i += 2;
        }
    }
    return 0;
}

static void enc_number(nxg_enc *e, double d)
{
    if (fabs(d) <= 9007199254740991.0 && d == trunc(d) && !(d == 0 && signbit(d)))
        nxg_mp_int(e->out, (int64_t)d);
    else
        mp_float64(e->out, d);
}

/* BigInt: int64 or uint64 range, else a RangeError. */
static int enc_bigint(nxg_enc *e, JSValueConst v)
{
    size_t len;
    const char *s = JS_ToCStringLen(e->ctx, &len, v);
    if (!s)
        return -1;
    bool neg = s[0] == '-';
    const char *digits = s + neg;
    bool ok = len - neg > 0 && len - neg <= 20;
    uint64_t mag = 0;
    for (const char *p = digits; ok && *p; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (d > 9 || mag > (UINT64_MAX - d) / 10)
            ok = false;
        else
            mag = mag * 10 + d;
    }
    JS_FreeCString(e->ctx, s);
    if (ok && neg && mag > (uint64_t)INT64_MAX + 1)
        ok = false;
    if (!ok) {
        JS_ThrowRangeError(e->ctx, "cannot encode value: BigInt outside the 64-bit range");
        return -1;
    }
    if (!neg && mag > (uint64_t)INT64_MAX)
        put_be(e->out, 0xcf, mag, 8);
    else
        nxg_mp_int(e->out, neg ? (int64_t)(0 - mag) : (int64_t)mag);
    return 0;
}

/* Applies toJSON: returns the value to encode in place of v (a new reference), or
 * JS_EXCEPTION. `key` is the property name or index (as JSON.stringify passes it). */
static JSValue enc_prepare(nxg_enc *e, JSValue v, JSValueConst key)
{
    if (!JS_IsObject(v))
        return v;
    JSValue to_json = JS_GetPropertyStr(e->ctx, v, "toJSON");
    if (JS_IsException(to_json)) {
        JS_FreeValue(e->ctx, v);
        return JS_EXCEPTION;
    }
    if (JS_IsFunction(e->ctx, to_json)) {
        JSValue r = JS_Call(e->ctx, to_json, v, 1, &key);
        JS_FreeValue(e->ctx, to_json);
        JS_FreeValue(e->ctx, v);
        return r;
    }
    JS_FreeValue(e->ctx, to_json);
    return v;
}

/* Values JSON.stringify leaves out of objects (and writes as null in arrays). */
static bool enc_is_skipped(JSContext *ctx, JSValueConst v)
{
    return JS_IsUndefined(v) || JS_IsSymbol(v) || JS_IsFunction(ctx, v);
}

static int enc_value(nxg_enc *e, JSValueConst v);

static int enc_enter(nxg_enc *e, JSValueConst obj)
{
    void *p = JS_VALUE_GET_PTR(obj);
    for (int i = 0; i < e->depth; i++) {
        if (e->ancestors[i] == p) {
            JS_ThrowTypeError(e->ctx, "cannot encode value: it contains a cycle");
            return -1;
        }
    }
    if (e->depth >= NXG_MAX_DEPTH || nxg_stack_low()) {
        JS_ThrowRangeError(e->ctx, "cannot encode value: nested deeper than %d levels",
                           NXG_MAX_DEPTH);
        return -1;
    }
    e->ancestors[e->depth++] = p;
    return 0;
}

static int enc_array(nxg_enc *e, JSValueConst arr)
{
    JSContext *ctx = e->ctx;
    JSValue len_val = JS_GetPropertyStr(ctx, arr, "length");
    uint32_t len;
    if (JS_IsException(len_val) || JS_ToUint32(ctx, &len, len_val) < 0) {
        JS_FreeValue(ctx, len_val);
        return -1;
    }
    JS_FreeValue(ctx, len_val);
    mp_array_header(e->out, len);
    for (uint32_t i = 0; i < len; i++) {
        JSValue item = JS_GetPropertyUint32(ctx, arr, i);
        if (JS_IsException(item))
            return -1;
        if (JS_IsObject(item)) {
            JSValue key = JS_NewUint32(ctx, i);
            item = enc_prepare(e, item, key);
            JS_FreeValue(ctx, key);
            if (JS_IsException(item))
                return -1;
        }
        int r = enc_is_skipped(ctx, item) ? (put_u8(e->out, 0xc0), 0) : enc_value(e, item);
        JS_FreeValue(ctx, item);
        if (r < 0)
            return -1;
        if (e->out->failed)
            return enc_fail_oom(e);
    }
    return 0;
}

static int enc_object(nxg_enc *e, JSValueConst obj)
{
    JSContext *ctx = e->ctx;
    JSPropertyEnum *props;
    uint32_t n;
    if (JS_GetOwnPropertyNames(ctx, &props, &n, obj, JS_GPN_STRING_MASK | JS_GPN_ENUM_ONLY) < 0)
        return -1;
    /* Read every property once (getters run once), then write the kept ones. */
    JSValue *vals = n ? js_mallocz(ctx, sizeof(JSValue) * n) : NULL;
    int r = -1;
    uint32_t kept = 0;
    if (n && !vals)
        goto done;
    for (uint32_t i = 0; i < n; i++) {
        vals[i] = JS_UNDEFINED;
    }
    for (uint32_t i = 0; i < n; i++) {
        JSValue v = JS_GetProperty(ctx, obj, props[i].atom);
        if (JS_IsException(v))
            goto done;
        if (JS_IsObject(v)) {
            JSValue key = JS_AtomToString(ctx, props[i].atom);
            if (JS_IsException(key)) {
                JS_FreeValue(ctx, v);
                goto done;
            }
            v = enc_prepare(e, v, key);
            JS_FreeValue(ctx, key);
            if (JS_IsException(v))
                goto done;
        }
        vals[i] = v;
        if (!enc_is_skipped(ctx, v))
            kept++;
    }
    nxg_mp_map_header(e->out, kept);
    for (uint32_t i = 0; i < n; i++) {
        if (enc_is_skipped(ctx, vals[i]))
            continue;
        JSValue key = JS_AtomToString(ctx, props[i].atom);
        if (JS_IsException(key))
            goto done;
        int kr = enc_string(e, key);
        JS_FreeValue(ctx, key);
        if (kr < 0 || enc_value(e, vals[i]) < 0)
            goto done;
    }
    r = 0;
done:
    if (vals) {
        for (uint32_t i = 0; i < n; i++)
            JS_FreeValue(ctx, vals[i]);
        js_free(ctx, vals);
    }
    for (uint32_t i = 0; i < n; i++)
        JS_FreeAtom(ctx, props[i].atom);
    js_free(ctx, props);
    return r;
}

/* Encodes v (toJSON already applied by the caller). */
static int enc_value(nxg_enc *e, JSValueConst v)
{
    JSContext *ctx = e->ctx;
    int r = 0;
    switch (JS_VALUE_GET_NORM_TAG(v)) {
    case JS_TAG_INT:
        nxg_mp_int(e->out, JS_VALUE_GET_INT(v));
        break;
    case JS_TAG_FLOAT64:
        enc_number(e, JS_VALUE_GET_FLOAT64(v));
        break;
    case JS_TAG_BOOL:
        put_u8(e->out, JS_VALUE_GET_BOOL(v) ? 0xc3 : 0xc2);
        break;
    case JS_TAG_NULL:
    case JS_TAG_UNDEFINED:
    case JS_TAG_SYMBOL:
        put_u8(e->out, 0xc0);
        break;
    case JS_TAG_STRING:
        r = enc_string(e, v);
        break;
    case JS_TAG_BIG_INT:
        r = enc_bigint(e, v);
        break;
    case JS_TAG_OBJECT:
        if (JS_IsFunction(ctx, v)) {
            put_u8(e->out, 0xc0);
            break;
        }
        if (enc_enter(e, v) < 0)
            return -1;
        int is_array = JS_IsArray(ctx, v);
        if (is_array < 0)
            r = -1;
        else
            r = is_array ? enc_array(e, v) : enc_object(e, v);
        e->depth--;
        break;
    default:
        JS_ThrowTypeError(ctx, "cannot encode value of this type");
        return -1;
    }
    if (r == 0 && e->out->failed)
        return enc_fail_oom(e);
    return r;
}

int nxg_encode(JSContext *ctx, nxg_buf *out, JSValueConst val)
{
    nxg_enc *e = js_malloc(ctx, sizeof(*e));
    if (!e)
        return -1;
    e->ctx = ctx;
    e->out = out;
    e->depth = 0;
    JSValue key = JS_NewString(ctx, "");
    JSValue v = enc_prepare(e, JS_DupValue(ctx, val), key);
    JS_FreeValue(ctx, key);
    int r = -1;
    if (!JS_IsException(v)) {
        r = enc_value(e, v);
        JS_FreeValue(ctx, v);
    }
    js_free(ctx, e);
    return r;
}

/* ---------------------------------------------------------------- decoder */

/* Short strings decoded recently, by a hash of their bytes: a value repeats the same
 * short strings (tags, states, kinds) and strings are immutable, so a repeated one is
 * shared instead of allocated again. */
#define NXG_STR_SLOTS 64    /* a power of two */
#define NXG_STR_MAX_LEN 16  /* longer strings are not looked up */

/* One remembered string. */
typedef struct nxg_str_slot {
    const uint8_t *at; /* its bytes in the input (NULL: empty slot) */
    uint32_t len;
    JSValue s;         /* a reference to the string made from them */
} nxg_str_slot;

typedef struct nxg_dec {
    JSContext *ctx;
    const uint8_t *p;
    const uint8_t *end;
    int depth;
    bool frozen; /* make every array and object read-only, as Object.freeze does */
    nxg_str_slot strs[NXG_STR_SLOTS];
} nxg_dec;

/* Ends a decoding: drops the remembered strings. */
static void dec_end(nxg_dec *d)
{
    for (int i = 0; i < NXG_STR_SLOTS; i++)
        if (d->strs[i].at)
            JS_FreeValue(d->ctx, d->strs[i].s);
}

/* A string of `len` bytes at d->p (known to be in the input), shared with an identical
 * short string decoded before; the input is advanced past it. */
static JSValue dec_str(nxg_dec *d, size_t len)
{
    const uint8_t *at = d->p;
    d->p += len;
    if (len == 0 || len > NXG_STR_MAX_LEN)
        return JS_NewStringLen(d->ctx, (const char *)at, len);
    uint32_t h = (uint32_t)len;
    for (size_t i = 0; i < len; i++)
        h = h * 31u + at[i];
    nxg_str_slot *slot = &d->strs[(h ^ (h >> 11)) & (NXG_STR_SLOTS - 1)];
    if (slot->at && slot->len == len && memcmp(slot->at, at, len) == 0)
        return JS_DupValue(d->ctx, slot->s);
    JSValue s = JS_NewStringLen(d->ctx, (const char *)at, len);
    if (JS_IsException(s))
        return s;
    if (slot->at)
        JS_FreeValue(d->ctx, slot->s);
    slot->at = at;
    slot->len = (uint32_t)len;
    slot->s = JS_DupValue(d->ctx, s);
    return s;
}

/* Property flags of decoded values. */
static int dec_flags(const nxg_dec *d)
{
    return d->frozen ? JS_PROP_ENUMERABLE : JS_PROP_C_W_E;
}

/* Ends a frozen object or array: no more properties, length read-only. */
static int dec_seal(nxg_dec *d, JSValueConst obj, bool is_array)
{
    if (!d->frozen)
        return 0;
    if (is_array) {
        JSAtom length = JS_NewAtom(d->ctx, "length");
        int r = JS_DefineProperty(d->ctx, obj, length, JS_UNDEFINED, JS_UNDEFINED, JS_UNDEFINED,
                                  JS_PROP_HAS_WRITABLE);
        JS_FreeAtom(d->ctx, length);
        if (r < 0)
            return -1;
    }
    return JS_PreventExtensions(d->ctx, obj) < 0 ? -1 : 0;
}

static JSValue dec_error(nxg_dec *d, const char *what)
{
    return JS_ThrowTypeError(d->ctx, "malformed value from the host: %s", what);
}

/* Reads n big-endian bytes; false when the input is too short. */
static bool dec_be(nxg_dec *d, int n, uint64_t *v)
{
    if (d->end - d->p < n)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = (x << 8) | d->p[i];
    d->p += n;
    *v = x;
    return true;
}

static JSValue dec_int(nxg_dec *d, int64_t v)
{
    if (v >= -9007199254740991ll && v <= 9007199254740991ll)
        return JS_NewInt64(d->ctx, v);
    return JS_NewBigInt64(d->ctx, v);
}

/* Records: an array whose maps have the same keys in the same order (a list of records)
 * makes its later maps from the shape of an earlier one (JS_NewObjectFromTemplate, patch
 * 09) instead of adding their properties one at a time, which would rebuild (and free
 * again) every intermediate shape and look up every key's atom for each record. */
#define NXG_TMPL_MAX_KEYS 32 /* maps with more keys are always made key by key */

/* The template of an array being decoded: its last map made key by key, with the
 * positions of that map's keys in the input (MessagePack header included). */
typedef struct nxg_tmpl {
    JSValue obj;                           /* the template (a reference), or undefined */
    uint32_t n;                            /* its key count */
    bool usable;                           /* false once it proved unusable (duplicate keys) */
    const uint8_t *key[NXG_TMPL_MAX_KEYS]; /* key i's encoding in the input */
    uint32_t klen[NXG_TMPL_MAX_KEYS];      /* and its length in bytes */
    JSValue vals[NXG_TMPL_MAX_KEYS];       /* values of the map being made from it */
} nxg_tmpl;

static JSValue dec_value_in(nxg_dec *d, nxg_tmpl *t);

/* Decodes one value. */
static JSValue dec_value(nxg_dec *d)
{
    return dec_value_in(d, NULL);
}

/* Releases a template made by dec_array (NULL is fine). */
static void tmpl_free(JSContext *ctx, nxg_tmpl *t)
{
    if (t) {
        JS_FreeValue(ctx, t->obj);
        js_free(ctx, t);
    }
}

/* Arrays of up to this many items are gathered on the C stack. */
#define NXG_FEW_ITEMS 8

static JSValue dec_array(nxg_dec *d, uint64_t n)
{
    JSContext *ctx = d->ctx;
    nxg_tmpl *t = NULL;
    JSValue arr = JS_UNDEFINED;
    JSValue few[NXG_FEW_ITEMS];
    JSValue *items = few; /* items decoded so far (not frozen: the array is made at the end) */
    uint64_t i = 0;
    /* each item takes at least one byte: a longer count fails as truncated */
    uint64_t cap = n < (uint64_t)(d->end - d->p) ? n : (uint64_t)(d->end - d->p);
    if (d->frozen) {
        arr = JS_NewArray(ctx);
        if (JS_IsException(arr))
            return arr;
    } else if (cap > NXG_FEW_ITEMS) {
        items = js_malloc(ctx, sizeof(JSValue) * (size_t)cap);
        if (!items)
            return JS_EXCEPTION;
    }
    for (; i < n; i++) {
        if (i == cap) {
            dec_error(d, "truncated");
            goto fail;
        }
        uint8_t b = *d->p; /* cap > i: at least one byte left */
        bool is_map = (b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf;
        if (is_map && !t && n >= 2) {
            t = js_malloc(ctx, sizeof(*t));
            if (!t)
                goto fail;
            t->obj = JS_UNDEFINED;
            t->n = 0;
            t->usable = true;
        }
        JSValue item = dec_value_in(d, is_map ? t : NULL);
        if (JS_IsException(item))
            goto fail;
        if (!d->frozen)
            items[i] = item;
        else if (JS_DefinePropertyValueUint32(ctx, arr, (uint32_t)i, item, dec_flags(d)) < 0)
            goto fail;
    }
    tmpl_free(ctx, t);
    if (!d->frozen) {
        arr = JS_NewArrayFrom(ctx, items, (uint32_t)n); /* takes the items */
        if (items != few)
            js_free(ctx, items);
        return arr;
    }
    if (dec_seal(d, arr, true) < 0) {
        JS_FreeValue(ctx, arr);
        return JS_EXCEPTION;
    }
    return arr;
fail:
    tmpl_free(ctx, t);
    if (!d->frozen) {
        for (uint64_t k = 0; k < i; k++)
            JS_FreeValue(ctx, items[k]);
        if (items != few)
            js_free(ctx, items);
    }
    JS_FreeValue(ctx, arr);
    return JS_EXCEPTION;
}

/* Reads a map key's header; false when it is not a str. */
static bool dec_key_len(nxg_dec *d, uint64_t *klen)
{
    if (d->p >= d->end)
        return false;
    uint8_t t = *d->p++;
    if (t >= 0xa0 && t <= 0xbf) {
        *klen = t & 0x1f;
        return true;
    }
    return t >= 0xd9 && t <= 0xdb && dec_be(d, 1 << (t - 0xd9), klen);
}

/* Defines key `i` of template t (its encoding in the input, known to be a str) with
 * value v (consumed) on obj; 0 or -1 with an exception pending. */
static int def_tmpl_key(nxg_dec *d, JSValueConst obj, const nxg_tmpl *t, uint32_t i, JSValue v)
{
    /* a str header (checked when the template was made): fixstr, or str8/16/32 */
    uint8_t b = t->key[i][0];
    size_t hlen = b <= 0xbf ? 1 : 1 + ((size_t)1 << (b - 0xd9));
    JSAtom atom = JS_NewAtomLen(d->ctx, (const char *)t->key[i] + hlen, t->klen[i] - hlen);
    if (atom == JS_ATOM_NULL) {
        JS_FreeValue(d->ctx, v);
        return -1;
    }
    int r = JS_DefinePropertyValue(d->ctx, obj, atom, v, dec_flags(d));
    JS_FreeAtom(d->ctx, atom);
    return r < 0 ? -1 : 0;
}

/* A map of n entries. With a template t (the map is an item of an array), a map with the
 * template's keys is made from its shape, and a map made key by key becomes the new
 * template. */
static JSValue dec_map(nxg_dec *d, uint64_t n, nxg_tmpl *t)
{
    JSContext *ctx = d->ctx;
    JSValue obj;
    uint64_t i = 0;
    bool record = t && t->usable && n > 0 && n <= NXG_TMPL_MAX_KEYS;
    if (record && t->n == n) {
        /* values of the keys the map shares with the template, in order */
        for (; i < n; i++) {
            uint32_t kl = t->klen[i];
            if ((size_t)(d->end - d->p) < kl || memcmp(d->p, t->key[i], kl) != 0)
                break;
            d->p += kl;
            JSValue v = dec_value(d);
            if (JS_IsException(v)) {
                for (uint64_t k = 0; k < i; k++)
                    JS_FreeValue(ctx, t->vals[k]);
                return JS_EXCEPTION;
            }
            t->vals[i] = v;
        }
        if (i == n) {
            obj = JS_NewObjectFromTemplate(ctx, t->obj, dec_flags(d), t->vals, (uint32_t)n);
            if (JS_IsException(obj))
                return obj;
            if (!JS_IsUndefined(obj))
                goto done;
            t->usable = false; /* e.g. duplicate keys: fewer properties than keys */
            record = false;
        }
        /* a different map (or an unusable template): the shared keys one by one */
        obj = JS_NewObject(ctx);
        if (JS_IsException(obj)) {
            for (uint64_t k = 0; k < i; k++)
                JS_FreeValue(ctx, t->vals[k]);
            return obj;
        }
        for (uint64_t k = 0; k < i; k++) {
            if (def_tmpl_key(d, obj, t, (uint32_t)k, t->vals[k]) < 0) {
                for (uint64_t m = k + 1; m < i; m++)
                    JS_FreeValue(ctx, t->vals[m]);
                JS_FreeValue(ctx, obj);
                return JS_EXCEPTION;
            }
        }
    } else {
        obj = JS_NewObject(ctx);
        if (JS_IsException(obj))
            return obj;
    }
    for (; i < n; i++) {
        const uint8_t *key = d->p;
        uint64_t klen = 0;
        if (d->p >= d->end)
            goto short_input;
        if (!dec_key_len(d, &klen)) {
            JS_FreeValue(ctx, obj);
            return dec_error(d, "map key is not a string");
        }
        if ((uint64_t)(d->end - d->p) < klen)
            goto short_input;
        JSAtom atom = JS_NewAtomLen(ctx, (const char *)d->p, klen);
        d->p += klen;
        if (atom == JS_ATOM_NULL) {
            JS_FreeValue(ctx, obj);
            return JS_EXCEPTION;
        }
        if (record) {
            t->key[i] = key;
            t->klen[i] = (uint32_t)(d->p - key);
        }
        JSValue v = dec_value(d);
        int r = JS_IsException(v) ? -1 : JS_DefinePropertyValue(ctx, obj, atom, v, dec_flags(d));
        JS_FreeAtom(ctx, atom);
        if (r < 0) {
            JS_FreeValue(ctx, obj);
            return JS_EXCEPTION;
        }
    }
    if (record) {
        JS_FreeValue(ctx, t->obj);
        t->obj = JS_DupValue(ctx, obj);
        t->n = (uint32_t)n;
    }
done:
    if (dec_seal(d, obj, false) < 0) {
        JS_FreeValue(ctx, obj);
        return JS_EXCEPTION;
    }
    return obj;
short_input:
    JS_FreeValue(ctx, obj);
    return dec_error(d, "truncated");
}

/* Decodes one value; a map is decoded with template tmpl (NULL: none). */
static JSValue dec_value_in(nxg_dec *d, nxg_tmpl *tmpl)
{
    JSContext *ctx = d->ctx;
    uint64_t v;
    if (d->p >= d->end)
        return dec_error(d, "truncated");
    uint8_t t = *d->p++;
    if (t <= 0x7f)
        return JS_NewInt32(ctx, t);
    if (t >= 0xe0)
        return JS_NewInt32(ctx, (int8_t)t);
    if ((t >= 0x80 && t <= 0x9f) || t == 0xdc || t == 0xdd || t == 0xde || t == 0xdf) {
        uint64_t n;
        bool is_map = (t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf;
        if (t <= 0x9f)
            n = t & 0x0f;
        else if (!dec_be(d, (t == 0xdc || t == 0xde) ? 2 : 4, &n))
            return dec_error(d, "truncated");
        if (d->depth >= NXG_MAX_DEPTH || nxg_stack_low())
            return JS_ThrowRangeError(ctx, "value from the host nested deeper than %d levels",
                                      NXG_MAX_DEPTH);
        d->depth++;
        JSValue r = is_map ? dec_map(d, n, tmpl) : dec_array(d, n);
        d->depth--;
        return r;
    }
    if ((t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb)) {
        uint64_t len;
        if (t <= 0xbf)
            len = t & 0x1f;
        else if (!dec_be(d, 1 << (t - 0xd9), &len))
            return dec_error(d, "truncated");
        if ((uint64_t)(d->end - d->p) < len)
            return dec_error(d, "truncated");
        return dec_str(d, (size_t)len);
    }
    switch (t) {
    case 0xc0:
        return JS_NULL;
    case 0xc2:
        return JS_FALSE;
    case 0xc3:
        return JS_TRUE;
    case 0xca: {
        if (!dec_be(d, 4, &v))
            return dec_error(d, "truncated");
        uint32_t bits = (uint32_t)v;
        float f;
        memcpy(&f, &bits, sizeof(f));
        return JS_NewFloat64(ctx, f);
    }
    case 0xcb: {
        if (!dec_be(d, 8, &v))
            return dec_error(d, "truncated");
        double f;
        memcpy(&f, &v, sizeof(f));
        return JS_NewFloat64(ctx, f);
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        if (!dec_be(d, 1 << (t - 0xcc), &v))
            return dec_error(d, "truncated");
        if (t == 0xcf && v > (uint64_t)INT64_MAX)
            return JS_NewBigUint64(ctx, v);
        return dec_int(d, (int64_t)v);
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int n = 1 << (t - 0xd0);
        if (!dec_be(d, n, &v))
            return dec_error(d, "truncated");
        if (n < 8) /* sign-extend */
            v = (uint64_t)(((int64_t)(v << (64 - 8 * n))) >> (64 - 8 * n));
        return dec_int(d, (int64_t)v);
    }
    default:
        return dec_error(d, "unsupported MessagePack type (bin, ext or reserved)");
    }
}

JSValue nxg_decode(JSContext *ctx, const uint8_t *data, size_t len)
{
    nxg_dec d = {.ctx = ctx, .p = data, .end = data + len, .depth = 0, .frozen = false};
    JSValue v = dec_value(&d);
    dec_end(&d);
    if (!JS_IsException(v) && d.p != d.end) {
        JS_FreeValue(ctx, v);
        return dec_error(&d, "trailing bytes");
    }
    return v;
}

/* Body of nxg_decode_fields. */
static int dec_fields(nxg_dec *d, const char *const *names, int n, JSValue *vals)
{
    JSContext *ctx = d->ctx;
    uint64_t count;
    uint8_t t = d->p < d->end ? *d->p++ : 0;
    if (t >= 0x80 && t <= 0x8f)
        count = t & 0x0f;
    else if ((t != 0xde && t != 0xdf) || !dec_be(d, t == 0xde ? 2 : 4, &count)) {
        dec_error(d, "the context is not a map");
        return -1;
    }
    for (uint64_t i = 0; i < count; i++) {
        /* the key */
        uint64_t klen = 0;
        if (d->p >= d->end)
            goto truncated;
        t = *d->p++;
        if (t >= 0xa0 && t <= 0xbf)
            klen = t & 0x1f;
        else if (t < 0xd9 || t > 0xdb || !dec_be(d, 1 << (t - 0xd9), &klen)) {
            dec_error(d, "map key is not a string");
            goto fail;
        }
        if ((uint64_t)(d->end - d->p) < klen)
            goto truncated;
        const char *key = (const char *)d->p;
        d->p += klen;
        int which = -1;
        for (int k = 0; k < n; k++)
            if (strlen(names[k]) == klen && memcmp(names[k], key, klen) == 0)
                which = k;
        /* the value (decoded even when unused, which checks it) */
        JSValue v = dec_value(d);
        if (JS_IsException(v))
            goto fail;
        if (which >= 0) {
            JS_FreeValue(ctx, vals[which]);
            vals[which] = v;
        } else {
            JS_FreeValue(ctx, v);
        }
    }
    if (d->p == d->end)
        return 0;
    dec_error(d, "trailing bytes");
    goto fail;
truncated:
    dec_error(d, "truncated");
fail:
    for (int k = 0; k < n; k++) {
        JS_FreeValue(ctx, vals[k]);
        vals[k] = JS_UNDEFINED;
    }
    return -1;
}

int nxg_decode_fields(JSContext *ctx, const uint8_t *data, size_t len, const char *const *names,
                      int n, JSValue *vals, bool frozen)
{
    nxg_dec d = {.ctx = ctx, .p = data, .end = data + len, .depth = 1, .frozen = frozen};
    int r = dec_fields(&d, names, n, vals);
    dec_end(&d);
    return r;
}
