/*
 * jsontext.c — JSON text validated, indexed and converted to MessagePack without a tree
 * (jsontext.h).
 *
 * One recursive-descent scanner serves both passes: with no output buffer it only
 * validates (nxj_skip, nxj_object_parse), with one it appends MessagePack (nxj_to_mp).
 * Arrays and objects get a 5-byte header placeholder, patched to the smallest header
 * for the final count once the container ends (moving its body down when the header is
 * shorter), so the output is byte for byte what nxv_from_json writes for the same value.
 * Invariant: j->pos never passes j->len; every byte read is checked against it first.
 */
#define _GNU_SOURCE /* strtod_l, newlocale */
#include "jsontext.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_guest_abi.h"

/* ---------------------------------------------------------------- scanner */

typedef struct jscan {
    const char *s;
    size_t len, pos;
    nxv_buf *out;    /* MessagePack output; NULL when only validating */
    nxv_buf tmp;     /* scratch: a decoded string (a key, while its value is read) */
    nxj_error *err;  /* NULL when converting (the text was validated) */
    int max_depth;   /* NXJ_MAX_DEPTH validating, NXG_MAX_DEPTH converting */
    bool too_deep;   /* converting: nesting beyond NXG_MAX_DEPTH */
    bool shallow;    /* indexing: member values only delimited (delimit_value) */
} jscan;

static bool fail(jscan *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(jscan *j, const char *fmt, ...)
{
    if (j->err) {
        j->err->offset = j->pos;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(j->err->text, sizeof j->err->text, fmt, ap);
        va_end(ap);
    }
    return false;
}

static void skip_ws(jscan *j)
{
    while (j->pos < j->len) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        j->pos++;
    }
}

/* Length of the valid UTF-8 sequence at p (at most `left` bytes), 0 if invalid: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_length(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else return 0;
    if (left < n || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf) return 0;
    return n;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits of a \u escape at j->pos; -1 (error set) if malformed. */
static int32_t read_hex4(jscan *j)
{
    if (j->len - j->pos < 4) return fail(j, "invalid escape: \\u needs 4 hex digits"), -1;
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value(j->s[j->pos + (size_t)i]);
        if (d < 0) return fail(j, "invalid escape: \\u needs 4 hex digits"), -1;
        v = v << 4 | d;
    }
    j->pos += 4;
    return v;
}

static void put_utf8(nxv_buf *b, uint32_t cp)
{
    uint8_t u[4];
    size_t n;
    if (cp < 0x80) { u[0] = (uint8_t)cp; n = 1; }
    else if (cp < 0x800) { u[0] = (uint8_t)(0xc0 | cp >> 6); u[1] = (uint8_t)(0x80 | (cp & 0x3f)); n = 2; }
    else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | cp >> 12);
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (uint8_t)(0xf0 | cp >> 18);
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    nxv_put(b, u, n);
}

/* An escape after the backslash at j->pos; its decoded bytes go to dst when not NULL. */
static bool read_escape(jscan *j, nxv_buf *dst)
{
    if (j->pos >= j->len) return fail(j, "premature end of input in a string");
    char c = j->s[j->pos++];
    char plain = 0;
    switch (c) {
    case '"': plain = '"'; break;
    case '\\': plain = '\\'; break;
    case '/': plain = '/'; break;
    case 'b': plain = '\b'; break;
    case 'f': plain = '\f'; break;
    case 'n': plain = '\n'; break;
    case 'r': plain = '\r'; break;
    case 't': plain = '\t'; break;
    case 'u': {
        int32_t cp = read_hex4(j);
        if (cp < 0) return false;
        if (cp >= 0xdc00 && cp <= 0xdfff) return fail(j, "invalid Unicode escape: lone low surrogate");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (j->len - j->pos < 2 || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
                return fail(j, "invalid Unicode escape: high surrogate without its low half");
            j->pos += 2;
            int32_t lo = read_hex4(j);
            if (lo < 0) return false;
            if (lo < 0xdc00 || lo > 0xdfff)
                return fail(j, "invalid Unicode escape: high surrogate without its low half");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0) return fail(j, "\\u0000 is not allowed");
        if (dst) put_utf8(dst, (uint32_t)cp);
        return true;
    }
    default: return fail(j, "invalid escape '\\%c'", c);
    }
    if (dst) nxv_put(dst, &plain, 1);
    return true;
}

/* A string whose opening quote is at j->pos; its decoded bytes are appended to dst when
 * dst is not NULL. */
static bool read_string(jscan *j, nxv_buf *dst)
{
    j->pos++; /* the quote */
    for (;;) {
        size_t run = j->pos;
        while (run < j->len) { /* plain ASCII in one piece */
            unsigned char c = (unsigned char)j->s[run];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            run++;
        }
        if (dst && run > j->pos) nxv_put(dst, j->s + j->pos, run - j->pos);
        j->pos = run;
        if (j->pos >= j->len) return fail(j, "premature end of input in a string");
        unsigned char c = (unsigned char)j->s[j->pos];
        if (c == '"') {
            j->pos++;
            return true;
        }
        if (c == '\\') {
            j->pos++;
            if (!read_escape(j, dst)) return false;
        } else if (c < 0x20) {
            return fail(j, "control character 0x%02x in a string", c);
        } else {
            size_t n = utf8_length((const unsigned char *)j->s + j->pos, j->len - j->pos);
            if (!n) return fail(j, "invalid UTF-8 in a string");
            if (dst) nxv_put(dst, j->s + j->pos, n);
            j->pos += n;
        }
    }
}

static bool is_digit(const jscan *j, size_t at)
{
    return at < j->len && j->s[at] >= '0' && j->s[at] <= '9';
}

/* The "C" locale, for strtod_l: a number's decimal point is '.' whatever the process's
 * locale. Created once; NULL if that fails (then strtod is used). */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0); }

static bool read_number(jscan *j)
{
    size_t start = j->pos, p = j->pos;
    bool negative = p < j->len && j->s[p] == '-';
    if (negative) p++;
    if (!is_digit(j, p)) return fail(j, "invalid token");
    if (j->s[p] == '0') p++;
    else
        while (is_digit(j, p)) p++;
    bool integer = true;
    if (p < j->len && j->s[p] == '.') {
        integer = false;
        p++;
        if (!is_digit(j, p)) return j->pos = p, fail(j, "invalid number: digits expected after '.'");
        while (is_digit(j, p)) p++;
    }
    if (p < j->len && (j->s[p] == 'e' || j->s[p] == 'E')) {
        integer = false;
        p++;
        if (p < j->len && (j->s[p] == '+' || j->s[p] == '-')) p++;
        if (!is_digit(j, p)) return j->pos = p, fail(j, "invalid number: digits expected in the exponent");
        while (is_digit(j, p)) p++;
    }
    if (integer) {
        /* accumulate negatively: INT64_MIN has no positive counterpart */
        int64_t v = 0;
        for (size_t i = start + negative; i < p; i++) {
            int d = j->s[i] - '0';
            if (v < (INT64_MIN + d) / 10) return fail(j, "too big integer");
            v = v * 10 - d;
        }
        if (!negative && v == INT64_MIN) return fail(j, "too big integer");
        j->pos = p;
        if (j->out) nxv_mp_int(j->out, negative ? v : -v);
        return true;
    }
    /* strtod needs a terminated copy (not in j->tmp: it may hold the key being read) */
    char small[64], *copy = small;
    size_t n = p - start;
    if (n >= sizeof small && !(copy = malloc(n + 1))) return fail(j, "out of memory");
    memcpy(copy, j->s + start, n);
    copy[n] = 0;
    pthread_once(&c_locale_once, make_c_locale);
    errno = 0;
    double d = c_locale ? strtod_l(copy, NULL, c_locale) : strtod(copy, NULL);
    bool overflow = errno == ERANGE && isinf(d);
    if (copy != small) free(copy);
    if (overflow) return fail(j, "real number overflow");
    j->pos = p;
    if (j->out) nxv_mp_f64(j->out, d);
    return true;
}

static bool read_value(jscan *j, int depth);

/* Writes a 5-byte container header placeholder; returns its offset. */
static size_t open_container(jscan *j)
{
    size_t at = j->out->len;
    static const uint8_t placeholder[5] = {0};
    nxv_put(j->out, placeholder, sizeof placeholder);
    return at;
}

/* Replaces the placeholder at `at` with the smallest header for n elements (map or
 * array), moving the body down when the header is shorter. */
static void close_container(jscan *j, size_t at, uint32_t n, bool map)
{
    nxv_buf *b = j->out;
    if (b->failed) return;
    uint8_t head[5];
    size_t h;
    if (n < 16) {
        head[0] = (uint8_t)((map ? 0x80 : 0x90) | n);
        h = 1;
    } else if (n <= UINT16_MAX) {
        head[0] = map ? 0xde : 0xdc;
        head[1] = (uint8_t)(n >> 8);
        head[2] = (uint8_t)n;
        h = 3;
    } else {
        head[0] = map ? 0xdf : 0xdd;
        for (int i = 0; i < 4; i++) head[1 + i] = (uint8_t)(n >> (24 - 8 * i));
        h = 5;
    }
    if (h < 5) {
        memmove(b->data + at + h, b->data + at + 5, b->len - at - 5);
        b->len -= 5 - h;
    }
    memcpy(b->data + at, head, h);
}

static bool read_array(jscan *j, int depth)
{
    j->pos++; /* '[' */
    size_t at = j->out ? open_container(j) : 0;
    uint32_t n = 0;
    skip_ws(j);
    if (j->pos < j->len && j->s[j->pos] == ']') {
        j->pos++;
    } else {
        for (;;) {
            if (!read_value(j, depth + 1)) return false;
            if (n == UINT32_MAX) return fail(j, "array too long");
            n++;
            skip_ws(j);
            if (j->pos >= j->len) return fail(j, "premature end of input in an array");
            char c = j->s[j->pos++];
            if (c == ']') break;
            if (c != ',') return j->pos--, fail(j, "']' or ',' expected in an array");
        }
    }
    if (j->out) close_container(j, at, n, false);
    return true;
}

static bool read_object(jscan *j, int depth)
{
    j->pos++; /* '{' */
    size_t at = j->out ? open_container(j) : 0;
    uint32_t n = 0;
    skip_ws(j);
    if (j->pos < j->len && j->s[j->pos] == '}') {
        j->pos++;
    } else {
        for (;;) {
            skip_ws(j);
            if (j->pos >= j->len || j->s[j->pos] != '"') return fail(j, "string or '}' expected");
            if (j->out) {
                j->tmp.len = 0;
                if (!read_string(j, &j->tmp)) return false;
                nxv_mp_str(j->out, (const char *)j->tmp.data, j->tmp.len);
            } else if (!read_string(j, NULL)) {
                return false;
            }
            skip_ws(j);
            if (j->pos >= j->len || j->s[j->pos] != ':') return fail(j, "':' expected");
            j->pos++;
            if (!read_value(j, depth + 1)) return false;
            if (n == UINT32_MAX) return fail(j, "object too large");
            n++;
            skip_ws(j);
            if (j->pos >= j->len) return fail(j, "premature end of input in an object");
            char c = j->s[j->pos++];
            if (c == '}') break;
            if (c != ',') return j->pos--, fail(j, "'}' or ',' expected in an object");
        }
    }
    if (j->out) close_container(j, at, n, true);
    return true;
}

static bool read_literal(jscan *j, const char *word, uint8_t tag)
{
    size_t n = strlen(word);
    if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0) return fail(j, "invalid token");
    j->pos += n;
    if (j->out) nxv_put(j->out, &tag, 1);
    return true;
}

static bool read_value(jscan *j, int depth)
{
    skip_ws(j);
    if (j->pos >= j->len) return fail(j, "premature end of input: a value expected");
    char c = j->s[j->pos];
    /* converting, as nxv_from_json counts: any value deeper than the limit (the outermost
       is at depth 0); validating, as jansson counts: at most max_depth open containers */
    if (j->out ? depth > j->max_depth : (c == '[' || c == '{') && depth >= j->max_depth) {
        j->too_deep = true;
        return fail(j, "maximum parsing depth reached");
    }
    switch (c) {
    case '[': return read_array(j, depth);
    case '{': return read_object(j, depth);
    case '"':
        if (!j->out) return read_string(j, NULL);
        j->tmp.len = 0;
        if (!read_string(j, &j->tmp)) return false;
        nxv_mp_str(j->out, (const char *)j->tmp.data, j->tmp.len);
        return true;
    case 't': return read_literal(j, "true", 0xc3);
    case 'f': return read_literal(j, "false", 0xc2);
    case 'n': return read_literal(j, "null", 0xc0);
    default: return read_number(j);
    }
}

/* ---------------------------------------------------------------- API */

bool nxj_skip(const char *text, size_t len, size_t *pos, nxj_error *err)
{
    jscan j = {.s = text, .len = len, .pos = *pos, .err = err, .max_depth = NXJ_MAX_DEPTH};
    bool ok = read_value(&j, 0);
    if (!ok && j.tmp.failed) fail(&j, "out of memory");
    nxv_buf_free(&j.tmp);
    if (ok) *pos = j.pos;
    return ok;
}

bool nxj_to_mp(nxv_buf *b, const char *text, size_t len)
{
    size_t mark = b->len;
    jscan j = {.s = text, .len = len, .out = b, .max_depth = NXG_MAX_DEPTH};
    bool ok = read_value(&j, 0) && !b->failed && !j.tmp.failed;
    nxv_buf_free(&j.tmp);
    if (!ok) {
        b->len = mark < b->len ? mark : b->len;
        return false;
    }
    return true;
}

void nxj_line_column(const char *text, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *column = c;
}

/* ---------------------------------------------------------------- indexed objects */

static uint64_t key_hash(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
    return h;
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t find_slot(const nxj_object *o, const char *key, size_t len)
{
    size_t mask = o->nslots - 1, i = (size_t)key_hash(key, len) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t s = o->slots[i];
        if (!s) return i;
        const nxj_member *m = &o->members[s - 1];
        if (m->key_len == len && memcmp(m->key, key, len) == 0) return i;
    }
}

/* Rebuilds the index with room for twice the members (at least 16 slots). */
static bool grow_index(nxj_object *o)
{
    size_t n = 16;
    while (n < 2 * (o->count + 1)) n *= 2;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (!slots) return false;
    free(o->slots);
    o->slots = slots;
    o->nslots = n;
    for (size_t k = 0; k < o->count; k++) {
        const nxj_member *m = &o->members[k];
        o->slots[find_slot(o, m->key, m->key_len)] = (uint32_t)(k + 1);
    }
    return true;
}

/* Adds a member (key copied); false if out of memory. */
static bool add_member(nxj_object *o, const char *key, size_t key_len, size_t off, size_t len)
{
    if (o->count == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        nxj_member *m = realloc(o->members, cap * sizeof *m);
        if (!m) return false;
        o->members = m;
        o->cap = cap;
    }
    if (2 * (o->count + 1) > o->nslots && !grow_index(o)) return false;
    char *k = malloc(key_len + 1);
    if (!k) return false;
    memcpy(k, key, key_len);
    k[key_len] = 0;
    o->members[o->count] = (nxj_member){.key = k, .key_len = key_len, .off = off, .len = len};
    o->slots[find_slot(o, k, key_len)] = (uint32_t)(o->count + 1);
    o->count++;
    return true;
}

/* Moves past the value at j->pos without validating it: strings (with their escapes) and
 * brackets are followed only to find where the value ends. For a caller that parses
 * every value again on its own (nxj_object_delimit). */
static bool delimit_value(jscan *j)
{
    skip_ws(j);
    size_t start = j->pos;
    int depth = 0;
    while (j->pos < j->len) {
        char c = j->s[j->pos];
        if (c == '"') {
            for (j->pos++; j->pos < j->len && j->s[j->pos] != '"'; j->pos++)
                if (j->s[j->pos] == '\\') j->pos++;
            if (j->pos >= j->len) return fail(j, "premature end of input in a string");
        } else if (c == '[' || c == '{') {
            if (++depth > NXJ_MAX_DEPTH) return fail(j, "maximum parsing depth reached");
        } else if (c == ']' || c == '}' || (depth == 0 && c && strchr(", \t\n\r", c))) {
            if (depth == 0) break; /* the end of a scalar, or of the enclosing object */
            if (--depth == 0) {
                j->pos++;
                return true;
            }
        }
        j->pos++;
    }
    if (depth > 0) return fail(j, "premature end of input");
    return j->pos > start ? true : fail(j, "invalid token");
}

/* Scans the members of the object whose '{' is at j->pos into o (value spans relative
 * to the '{'). */
static bool index_members(jscan *j, nxj_object *o)
{
    size_t base = j->pos++;
    skip_ws(j);
    if (j->pos < j->len && j->s[j->pos] == '}') {
        j->pos++;
        return true;
    }
    for (;;) {
        skip_ws(j);
        if (j->pos >= j->len || j->s[j->pos] != '"') return fail(j, "string or '}' expected");
        size_t key_at = j->pos;
        j->tmp.len = 0;
        if (!read_string(j, &j->tmp)) return false;
        if (j->tmp.failed) return fail(j, "out of memory");
        skip_ws(j);
        if (j->pos >= j->len || j->s[j->pos] != ':') return fail(j, "':' expected");
        j->pos++;
        skip_ws(j);
        size_t value_at = j->pos;
        if (!(j->shallow ? delimit_value(j) : read_value(j, 1))) return false;
        const char *key = (const char *)j->tmp.data;
        size_t key_len = j->tmp.len;
        if (o->nslots && o->slots[find_slot(o, key ? key : "", key_len)]) {
            j->pos = key_at;
            return fail(j, "duplicate object key");
        }
        if (!add_member(o, key ? key : "", key_len, value_at - base, j->pos - value_at))
            return fail(j, "out of memory");
        skip_ws(j);
        if (j->pos >= j->len) return fail(j, "premature end of input in an object");
        char c = j->s[j->pos++];
        if (c == '}') return true;
        if (c != ',') return j->pos--, fail(j, "'}' or ',' expected in an object");
    }
}

/* nxj_object_parse and nxj_object_delimit: shallow, member values only delimited. */
static bool object_index(const char *text, size_t len, size_t *pos, nxj_object **out,
                         nxj_error *err, bool shallow)
{
    *out = NULL;
    jscan j = {.s = text, .len = len, .pos = *pos, .err = err, .max_depth = NXJ_MAX_DEPTH,
               .shallow = shallow};
    skip_ws(&j);
    if (j.pos >= len || text[j.pos] != '{') return fail(&j, "an object expected");
    nxj_object *o = calloc(1, sizeof *o);
    if (!o) return fail(&j, "out of memory");
    size_t start = j.pos;
    bool ok = index_members(&j, o);
    nxv_buf_free(&j.tmp);
    if (ok) {
        o->text_len = j.pos - start;
        o->text = malloc(o->text_len ? o->text_len : 1);
        if (o->text) memcpy(o->text, text + start, o->text_len);
        else ok = fail(&j, "out of memory");
    }
    if (!ok) {
        nxj_object_free(o);
        return false;
    }
    *pos = j.pos;
    *out = o;
    return true;
}

bool nxj_object_parse(const char *text, size_t len, size_t *pos, nxj_object **out,
                      nxj_error *err)
{
    return object_index(text, len, pos, out, err, false);
}

bool nxj_object_delimit(const char *text, size_t len, size_t *pos, nxj_object **out,
                        nxj_error *err)
{
    return object_index(text, len, pos, out, err, true);
}

const nxj_member *nxj_object_find(const nxj_object *o, const char *key)
{
    if (!o || !o->nslots) return NULL;
    uint32_t s = o->slots[find_slot(o, key, strlen(key))];
    return s ? &o->members[s - 1] : NULL;
}

void nxj_object_free(nxj_object *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->count; i++) free(o->members[i].key);
    free(o->members);
    free(o->slots);
    free(o->text);
    free(o);
}
