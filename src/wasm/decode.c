/*
 * decode.c — the WebAssembly 2.0 binary decoder.
 *
 * wm_decode turns the bytes of a module into a wm_module (module.h): it checks the
 * binary format (header, section order and sizes, LEB128 encodings, UTF-8 names, value
 * and reference types, constant expressions, segment kinds) and records every part of
 * the module, leaving function bodies undecoded (only their locals are read) for the
 * compiler. Semantic rules (index ranges, types, limits ranges, ...) are the
 * validator's business (compile.c), except implementation limits that bound memory use.
 *
 * The decoder is written to be fed hostile input: every read goes through a wd_reader
 * that is bounded by the current section (or function body), every count is checked
 * against the bytes left before anything is allocated, and every failure frees what was
 * allocated. Error messages start with the wording of the official spec testsuite
 * ("unexpected end", "integer too large", ...) followed by what was being read and the
 * byte offset of the problem.
 */
#include "compile.h"
#include "module.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stops the calling function with the status of `expr` unless it is NXW_OK. */
#define WD_TRY(expr)                                                                       \
    do {                                                                                   \
        nxw_status wd_status_ = (expr);                                                    \
        if (wd_status_ != NXW_OK)                                                          \
            return wd_status_;                                                             \
    } while (0)

/* Bound on the locals (declared, params excluded) of all functions together: the binary
 * encodes a run of up to WM_MAX_LOCALS locals in a few bytes and the decoder expands
 * runs, so without a module-wide bound a small input could demand gigabytes. */
enum { WD_MAX_MODULE_LOCALS = 1 << 26 };

/* Sub-opcode of v128.const after the 0xFD prefix (the one SIMD constant instruction). */
enum { WD_SIMD_V128_CONST = 0x0C };

/* Number of sections ids (0 custom .. 12 data count). */
enum { WD_SECTION_COUNT = 13 };

static const char *const wd_section_names[WD_SECTION_COUNT] = {
    "custom section", "type section",    "import section",  "function section",
    "table section",  "memory section",  "global section",  "export section",
    "start section",  "element section", "code section",    "data section",
    "data count section",
};

/* Position of each non-custom section in the required order (data count sits between
 * element and code). */
static const uint8_t wd_section_rank[WD_SECTION_COUNT] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

/* ------------------------------------------------------------------ errors */

nxw_status wm_fail(nxw_error *err, nxw_status status, size_t offset, const char *fmt, ...) {
    if (err != NULL) {
        err->status = status;
        err->trap = NXW_TRAP_NONE;
        err->offset = offset;
        err->func_index = UINT32_MAX;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

/* ------------------------------------------------------------------ reader */

/* A cursor over the module copy. Invariant: pos <= end <= limit <= module length.
 * Nothing at or past `end` is ever consumed: `end` is the end of the module at top
 * level, the end of the current section inside one, and the end of a function body
 * while reading its locals. Bytes in [end, limit) are only looked at to classify an
 * LEB128 integer that straddles `end` (an overlong encoding is reported as such, as the
 * reference interpreter does, rather than as an unexpected end). `section` names the
 * section being read (NULL at top level) and `entry` the index of its entry being read
 * (UINT32_MAX when none), for error messages. */
typedef struct wd_reader {
    const uint8_t *bytes;
    size_t pos;
    size_t end;
    size_t limit;
    nxw_error *err; /* may be NULL (best-effort parsing of the name section) */
    const char *section;
    uint32_t entry;
} wd_reader;

static size_t wd_remaining(const wd_reader *r) { return r->end - r->pos; }

/* Fails with status `status` at `offset`: "<reason>: <detail> in <section> entry <n> at
 * offset <offset>", where <detail> is printf-formatted. */
static nxw_status wd_fail(const wd_reader *r, nxw_status status, size_t offset, const char *reason,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static nxw_status wd_fail(const wd_reader *r, nxw_status status, size_t offset, const char *reason,
                          const char *fmt, ...) {
    if (r->err == NULL)
        return status;
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    char context[64] = "";
    if (r->section != NULL && r->entry != UINT32_MAX)
        snprintf(context, sizeof context, " in %s entry %u", r->section, (unsigned)r->entry);
    else if (r->section != NULL)
        snprintf(context, sizeof context, " in %s", r->section);
    return wm_fail(r->err, status, offset, "%s: %s%s at offset %zu", reason, detail, context,
                   offset);
}

/* The testsuite's wording for running out of bytes: inside a section or body it is
 * "unexpected end of section or function", at top level "unexpected end". */
static const char *wd_eof_reason(const wd_reader *r) {
    return r->section != NULL ? "unexpected end of section or function" : "unexpected end";
}

static nxw_status wd_fail_eof(const wd_reader *r, const char *what) {
    return wd_fail(r, NXW_ERR_MALFORMED, r->pos, wd_eof_reason(r), "reading %s", what);
}

static nxw_status wd_read_u8(wd_reader *r, uint8_t *out, const char *what) {
    if (r->pos >= r->end)
        return wd_fail_eof(r, what);
    *out = r->bytes[r->pos++];
    return NXW_OK;
}

/* Consumes a well-formed LEB128 integer that ends just before `p`, unless it runs past
 * the end of the reader. */
static nxw_status wd_consume_leb(wd_reader *r, size_t p, const char *what) {
    if (p > r->end) {
        r->pos = r->end;
        return wd_fail_eof(r, what);
    }
    r->pos = p;
    return NXW_OK;
}

/* Unsigned LEB128 of at most 5 bytes whose last byte has no bits beyond bit 31. */
static nxw_status wd_read_u32(wd_reader *r, uint32_t *out, const char *what) {
    uint32_t value = 0;
    if (r->pos >= r->end)
        return wd_fail_eof(r, what);
    size_t p = r->pos; /* scans up to limit, consumes up to end */
    for (unsigned i = 0;; i++) {
        if (p >= r->limit) {
            r->pos = r->end;
            return wd_fail_eof(r, what);
        }
        size_t at = p;
        uint8_t b = r->bytes[p++];
        if (i == 4) {
            if (b & 0x80)
                return wd_fail(r, NXW_ERR_MALFORMED, at, "integer representation too long",
                               "%s is longer than 5 bytes", what);
            if (b & 0x70)
                return wd_fail(r, NXW_ERR_MALFORMED, at, "integer too large",
                               "%s does not fit in 32 bits", what);
        }
        value |= (uint32_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80))
            break;
    }
    WD_TRY(wd_consume_leb(r, p, what));
    *out = value;
    return NXW_OK;
}

/* Signed LEB128 of at most ceil(bits/7) bytes (bits = 32 or 64); the unused bits of
 * the last byte must repeat the sign bit. The value is returned sign-extended to 64 bits. */
static nxw_status wd_read_sleb(wd_reader *r, unsigned bits, uint64_t *out, const char *what) {
    const unsigned last = (bits + 6) / 7 - 1;         /* index of the last allowed byte */
    const unsigned used = bits - 7 * last;            /* value bits in that byte */
    const uint8_t unused_mask = (uint8_t)(0x7F & ~((1u << used) - 1)); /* bits above them */
    uint64_t value = 0;
    if (r->pos >= r->end)
        return wd_fail_eof(r, what);
    size_t p = r->pos; /* scans up to limit, consumes up to end */
    for (unsigned i = 0;; i++) {
        if (p >= r->limit) {
            r->pos = r->end;
            return wd_fail_eof(r, what);
        }
        size_t at = p;
        uint8_t b = r->bytes[p++];
        if (i == last) {
            if (b & 0x80)
                return wd_fail(r, NXW_ERR_MALFORMED, at, "integer representation too long",
                               "%s is longer than %u bytes", what, last + 1);
            uint8_t expected = (b & (1u << (used - 1))) ? unused_mask : 0x00;
            if ((b & unused_mask) != expected)
                return wd_fail(r, NXW_ERR_MALFORMED, at, "integer too large",
                               "%s does not fit in %u bits", what, bits);
        }
        value |= (uint64_t)(b & 0x7F) << (7 * i);
        if (!(b & 0x80)) {
            unsigned shift = 7 * (i + 1);
            if (shift < 64 && (b & 0x40))
                value |= UINT64_MAX << shift;
            break;
        }
    }
    WD_TRY(wd_consume_leb(r, p, what));
    *out = value;
    return NXW_OK;
}

static nxw_status wd_read_s32(wd_reader *r, int32_t *out, const char *what) {
    uint64_t value;
    WD_TRY(wd_read_sleb(r, 32, &value, what));
    uint32_t low = (uint32_t)value;
    memcpy(out, &low, sizeof *out); /* two's complement without implementation-defined casts */
    return NXW_OK;
}

static nxw_status wd_read_s64(wd_reader *r, int64_t *out, const char *what) {
    uint64_t value;
    WD_TRY(wd_read_sleb(r, 64, &value, what));
    memcpy(out, &value, sizeof *out);
    return NXW_OK;
}

/* Raw little-endian 32/64-bit words (float bit patterns). */
static nxw_status wd_read_fixed32(wd_reader *r, uint32_t *out, const char *what) {
    if (wd_remaining(r) < 4)
        return wd_fail(r, NXW_ERR_MALFORMED, r->pos, wd_eof_reason(r), "reading %s (4 bytes)",
                       what);
    const uint8_t *p = r->bytes + r->pos;
    *out = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    r->pos += 4;
    return NXW_OK;
}

static nxw_status wd_read_fixed64(wd_reader *r, uint64_t *out, const char *what) {
    if (wd_remaining(r) < 8)
        return wd_fail(r, NXW_ERR_MALFORMED, r->pos, wd_eof_reason(r), "reading %s (8 bytes)",
                       what);
    const uint8_t *p = r->bytes + r->pos;
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    *out = v;
    r->pos += 8;
    return NXW_OK;
}

/* Reads a u32 that counts bytes or vector entries still to come, and checks that at
 * least that many bytes remain (every entry takes at least one byte), so callers may
 * allocate `*out` entries safely. As in the reference interpreter, a length that would
 * fit if its own encoding were counted is reported as an unexpected end, a bigger one as
 * "length out of bounds". */
static nxw_status wd_read_length(wd_reader *r, uint32_t *out, const char *what) {
    size_t start = r->pos;
    uint32_t n = 0;
    WD_TRY(wd_read_u32(r, &n, what));
    if (n > wd_remaining(r)) {
        const char *reason = n <= r->end - start ? wd_eof_reason(r) : "length out of bounds";
        return wd_fail(r, NXW_ERR_MALFORMED, start, reason,
                       "%s %u exceeds the %zu bytes left", what, (unsigned)n, wd_remaining(r));
    }
    *out = n;
    return NXW_OK;
}

/* Strict UTF-8 check: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Returns the index of the first bad byte, or n when all is well. */
static size_t wd_utf8_error_index(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t extra;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the first continuation byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return i;
        }
        if (n - i - 1 < extra)
            return i;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= extra; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += extra + 1;
    }
    return n;
}

/* A name: u32 byte length then that many bytes of valid UTF-8. */
static nxw_status wd_read_name(wd_reader *r, wm_name *out, const char *what) {
    uint32_t len = 0;
    WD_TRY(wd_read_length(r, &len, what));
    const uint8_t *p = r->bytes + r->pos;
    size_t bad = wd_utf8_error_index(p, len);
    if (bad != len)
        return wd_fail(r, NXW_ERR_MALFORMED, r->pos + bad, "malformed UTF-8 encoding",
                       "%s has an invalid byte 0x%02x", what, p[bad]);
    out->ptr = (const char *)p;
    out->len = len;
    r->pos += len;
    return NXW_OK;
}

/* ------------------------------------------------------------------ types */

static bool wd_is_valtype(uint8_t b) {
    switch (b) {
    case NXW_I32:
    case NXW_I64:
    case NXW_F32:
    case NXW_F64:
    case NXW_V128:
    case NXW_FUNCREF:
    case NXW_EXTERNREF:
        return true;
    default:
        return false;
    }
}

static nxw_status wd_read_valtype(wd_reader *r, uint8_t *out, const char *what) {
    size_t at = r->pos;
    uint8_t b = 0;
    WD_TRY(wd_read_u8(r, &b, what));
    if (!wd_is_valtype(b))
        return wd_fail(r, NXW_ERR_MALFORMED, at, "malformed value type", "%s 0x%02x", what, b);
    *out = b;
    return NXW_OK;
}

static nxw_status wd_read_reftype(wd_reader *r, uint8_t *out, const char *what) {
    size_t at = r->pos;
    uint8_t b = 0;
    WD_TRY(wd_read_u8(r, &b, what));
    if (b != NXW_FUNCREF && b != NXW_EXTERNREF)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "malformed reference type", "%s 0x%02x", what,
                       b);
    *out = b;
    return NXW_OK;
}

/* Limits: a flag byte 0x00 (min) or 0x01 (min, max). The flag is read like a one-byte
 * LEB128, which is how the testsuite words the errors for other values. */
static nxw_status wd_read_limits(wd_reader *r, wm_limits *out) {
    size_t at = r->pos;
    uint8_t flag = 0;
    WD_TRY(wd_read_u8(r, &flag, "limits flag"));
    if (flag & 0x80)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "integer representation too long",
                       "limits flag 0x%02x", flag);
    if (flag > 1)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "integer too large", "limits flag 0x%02x",
                       flag);
    out->has_max = flag == 1;
    out->max = 0;
    WD_TRY(wd_read_u32(r, &out->min, "limits minimum"));
    if (out->has_max)
        WD_TRY(wd_read_u32(r, &out->max, "limits maximum"));
    return NXW_OK;
}

static nxw_status wd_read_tabletype(wd_reader *r, wm_tabletype *out) {
    WD_TRY(wd_read_reftype(r, &out->elem, "table element type"));
    return wd_read_limits(r, &out->limits);
}

static nxw_status wd_read_globaltype(wd_reader *r, wm_globaltype *out) {
    WD_TRY(wd_read_valtype(r, &out->type, "global type"));
    size_t at = r->pos;
    uint8_t mut = 0;
    WD_TRY(wd_read_u8(r, &mut, "global mutability"));
    if (mut > 1)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "malformed mutability", "mutability byte 0x%02x",
                       mut);
    out->mutable_ = mut == 1;
    return NXW_OK;
}

/* ------------------------------------------------------------------ constant expressions */

/* True for the single-byte opcodes (and prefixes) WebAssembly 2.0 defines. */
static bool wd_is_known_opcode(uint8_t op) {
    return op <= 0x05 || (op >= 0x0B && op <= 0x11) || (op >= 0x1A && op <= 0x1C) ||
           (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xC4) || (op >= 0xD0 && op <= 0xD2) ||
           op == 0xFC || op == 0xFD;
}

/* A constant expression: instructions up to `end` (0x0B). Records the first one and how
 * many there were; a known but non-constant instruction is a validation error. */
static nxw_status wd_read_constexpr(wd_reader *r, wm_constexpr *out, const char *what) {
    memset(out, 0, sizeof *out);
    out->offset = r->pos;
    for (;;) {
        size_t at = r->pos;
        uint8_t op = 0;
        if (r->pos >= r->end)
            return wd_fail(r, NXW_ERR_MALFORMED, at, wd_eof_reason(r),
                           "%s has no end (0x0B) before the end of its section", what);
        op = r->bytes[r->pos++];
        if (op == 0x0B)
            return NXW_OK;
        wm_constexpr insn;
        memset(&insn, 0, sizeof insn);
        insn.op = op;
        switch (op) {
        case WM_CONST_I32:
            WD_TRY(wd_read_s32(r, &insn.v.i32, "i32.const immediate"));
            break;
        case WM_CONST_I64:
            WD_TRY(wd_read_s64(r, &insn.v.i64, "i64.const immediate"));
            break;
        case WM_CONST_F32:
            WD_TRY(wd_read_fixed32(r, &insn.v.f32_bits, "f32.const immediate"));
            break;
        case WM_CONST_F64:
            WD_TRY(wd_read_fixed64(r, &insn.v.f64_bits, "f64.const immediate"));
            break;
        case WM_CONST_GLOBAL_GET:
            WD_TRY(wd_read_u32(r, &insn.v.index, "global.get index"));
            break;
        case WM_CONST_REF_NULL:
            WD_TRY(wd_read_reftype(r, &insn.reftype, "ref.null type"));
            break;
        case WM_CONST_REF_FUNC:
            WD_TRY(wd_read_u32(r, &insn.v.index, "ref.func index"));
            break;
        case WM_CONST_V128: {
            uint32_t sub = 0;
            WD_TRY(wd_read_u32(r, &sub, "SIMD opcode"));
            if (sub != WD_SIMD_V128_CONST)
                return wd_fail(r, NXW_ERR_INVALID, at, "constant expression required",
                               "opcode 0xfd %u in %s", sub, what);
            if (wd_remaining(r) < 16)
                return wd_fail(r, NXW_ERR_MALFORMED, r->pos, wd_eof_reason(r),
                               "v128.const immediate in %s", what);
            memcpy(insn.v.v128, r->bytes + r->pos, 16);
            r->pos += 16;
            break;
        }
        default:
            if (wd_is_known_opcode(op))
                return wd_fail(r, NXW_ERR_INVALID, at, "constant expression required",
                               "opcode 0x%02x in %s", op, what);
            return wd_fail(r, NXW_ERR_MALFORMED, at, "illegal opcode", "opcode 0x%02x in %s", op,
                           what);
        }
        if (out->count == 0) {
            out->op = insn.op;
            out->reftype = insn.reftype;
            out->v = insn.v;
        }
        out->count++; /* cannot wrap: each instruction takes at least one byte */
    }
}

/* ------------------------------------------------------------------ sections */

/* Reads a vector count and allocates `count` zeroed elements of `size` bytes into
 * *array (NULL when count is 0). The count is bounded by the bytes left, so the
 * allocation is proportional to the input. */
static nxw_status wd_read_vector(wd_reader *r, uint32_t *count, void **array, size_t size,
                                 const char *what) {
    WD_TRY(wd_read_length(r, count, what));
    *array = NULL;
    if (*count == 0)
        return NXW_OK;
    *array = calloc(*count, size);
    if (*array == NULL)
        return wd_fail(r, NXW_ERR_NOMEM, r->pos, "out of memory", "allocating %u entries for %s",
                       (unsigned)*count, what);
    return NXW_OK;
}

static nxw_status wd_fail_nomem(const wd_reader *r, const char *what) {
    return wd_fail(r, NXW_ERR_NOMEM, r->pos, "out of memory", "allocating %s", what);
}

static nxw_status wd_decode_types(wd_reader *r, wm_module *m) {
    size_t at = r->pos;
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_length(r, &count, "type count"));
    if (count > WM_MAX_TYPES)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "too many types", "%u types (limit %d)",
                       (unsigned)count, WM_MAX_TYPES);
    r->pos = at;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_functype), "type count"));
    m->types = array;
    m->ntypes = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        wm_functype *t = &m->types[i];
        size_t form_at = r->pos;
        uint8_t form = 0;
        WD_TRY(wd_read_u8(r, &form, "function type form"));
        if (form & 0x80)
            return wd_fail(r, NXW_ERR_MALFORMED, form_at, "integer representation too long",
                           "function type form 0x%02x", form);
        if (form != 0x60)
            return wd_fail(r, NXW_ERR_MALFORMED, form_at, "malformed function type",
                           "form 0x%02x (expected 0x60)", form);
        /* Each value type is one byte, so params and results are runs of the input that
         * are checked in place and then copied. */
        size_t count_at = r->pos;
        uint32_t nparams = 0, nresults = 0;
        WD_TRY(wd_read_length(r, &nparams, "parameter count"));
        if (nparams > WM_MAX_PARAMS)
            return wd_fail(r, NXW_ERR_MALFORMED, count_at, "too many parameters",
                           "%u parameters (limit %d)", (unsigned)nparams, WM_MAX_PARAMS);
        size_t params_at = r->pos;
        for (uint32_t k = 0; k < nparams; k++) {
            uint8_t vt = 0;
            WD_TRY(wd_read_valtype(r, &vt, "parameter type"));
        }
        count_at = r->pos;
        WD_TRY(wd_read_length(r, &nresults, "result count"));
        if (nresults > WM_MAX_PARAMS)
            return wd_fail(r, NXW_ERR_MALFORMED, count_at, "too many results",
                           "%u results (limit %d)", (unsigned)nresults, WM_MAX_PARAMS);
        size_t results_at = r->pos;
        for (uint32_t k = 0; k < nresults; k++) {
            uint8_t vt = 0;
            WD_TRY(wd_read_valtype(r, &vt, "result type"));
        }
        size_t total = (size_t)nparams + nresults;
        if (total > 0) {
            t->types = malloc(total);
            if (t->types == NULL)
                return wd_fail_nomem(r, "function type");
            memcpy(t->types, r->bytes + params_at, nparams);
            memcpy(t->types + nparams, r->bytes + results_at, nresults);
        }
        t->nparams = nparams;
        t->nresults = nresults;
    }
    return NXW_OK;
}

/* Keeps the number of functions (imported + defined) within WM_MAX_FUNCS. */
static nxw_status wd_check_func_total(const wd_reader *r, size_t at, uint64_t total) {
    if (total > WM_MAX_FUNCS)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "too many functions", "%llu functions (limit %d)",
                       (unsigned long long)total, WM_MAX_FUNCS);
    return NXW_OK;
}

static nxw_status wd_check_table_total(const wd_reader *r, size_t at, uint64_t total) {
    if (total > WM_MAX_TABLES)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "too many tables", "%llu tables (limit %d)",
                       (unsigned long long)total, WM_MAX_TABLES);
    return NXW_OK;
}

static nxw_status wd_decode_imports(wd_reader *r, wm_module *m) {
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_import), "import count"));
    m->imports = array;
    m->nimports = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        wm_import *imp = &m->imports[i];
        WD_TRY(wd_read_name(r, &imp->module, "import module name"));
        WD_TRY(wd_read_name(r, &imp->name, "import field name"));
        size_t kind_at = r->pos;
        WD_TRY(wd_read_u8(r, &imp->kind, "import kind"));
        switch (imp->kind) {
        case NXW_EXTERN_FUNC:
            WD_TRY(wd_read_u32(r, &imp->desc.type_index, "imported function type index"));
            m->nimported_funcs++;
            WD_TRY(wd_check_func_total(r, kind_at, m->nimported_funcs));
            break;
        case NXW_EXTERN_TABLE:
            WD_TRY(wd_read_tabletype(r, &imp->desc.table));
            m->nimported_tables++;
            WD_TRY(wd_check_table_total(r, kind_at, m->nimported_tables));
            break;
        case NXW_EXTERN_MEMORY:
            WD_TRY(wd_read_limits(r, &imp->desc.memory));
            m->nimported_memories++;
            break;
        case NXW_EXTERN_GLOBAL:
            WD_TRY(wd_read_globaltype(r, &imp->desc.global));
            m->nimported_globals++;
            break;
        default:
            return wd_fail(r, NXW_ERR_MALFORMED, kind_at, "malformed import kind", "kind 0x%02x",
                           imp->kind);
        }
    }
    return NXW_OK;
}

static nxw_status wd_decode_functions(wd_reader *r, wm_module *m) {
    size_t at = r->pos;
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_length(r, &count, "function count"));
    WD_TRY(wd_check_func_total(r, at, (uint64_t)m->nimported_funcs + count));
    r->pos = at;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_func), "function count"));
    m->funcs = array;
    m->nfuncs = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_u32(r, &m->funcs[i].type_index, "function type index"));
    }
    return NXW_OK;
}

static nxw_status wd_decode_tables(wd_reader *r, wm_module *m) {
    size_t at = r->pos;
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_length(r, &count, "table count"));
    WD_TRY(wd_check_table_total(r, at, (uint64_t)m->nimported_tables + count));
    r->pos = at;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_tabletype), "table count"));
    m->tables = array;
    m->ntables = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_tabletype(r, &m->tables[i]));
    }
    return NXW_OK;
}

static nxw_status wd_decode_memories(wd_reader *r, wm_module *m) {
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_limits), "memory count"));
    m->memories = array;
    m->nmemories = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_limits(r, &m->memories[i]));
    }
    return NXW_OK;
}

static nxw_status wd_decode_globals(wd_reader *r, wm_module *m) {
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_global), "global count"));
    m->globals = array;
    m->nglobals = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_globaltype(r, &m->globals[i].type));
        WD_TRY(wd_read_constexpr(r, &m->globals[i].init, "global initializer"));
    }
    return NXW_OK;
}

static nxw_status wd_decode_exports(wd_reader *r, wm_module *m) {
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_export), "export count"));
    m->exports = array;
    m->nexports = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        wm_export *ex = &m->exports[i];
        WD_TRY(wd_read_name(r, &ex->name, "export name"));
        size_t kind_at = r->pos;
        WD_TRY(wd_read_u8(r, &ex->kind, "export kind"));
        if (ex->kind > NXW_EXTERN_GLOBAL)
            return wd_fail(r, NXW_ERR_MALFORMED, kind_at, "malformed export kind", "kind 0x%02x",
                           ex->kind);
        WD_TRY(wd_read_u32(r, &ex->index, "export index"));
    }
    return NXW_OK;
}

static nxw_status wd_decode_start(wd_reader *r, wm_module *m) {
    WD_TRY(wd_read_u32(r, &m->start, "start function index"));
    m->has_start = true;
    return NXW_OK;
}

/* The element kind of segments 1..3: a single 0x00 byte meaning funcref. */
static nxw_status wd_read_elemkind(wd_reader *r, uint8_t *type) {
    size_t at = r->pos;
    uint8_t kind = 0;
    WD_TRY(wd_read_u8(r, &kind, "element kind"));
    if (kind != 0x00)
        return wd_fail(r, NXW_ERR_MALFORMED, at, "malformed element kind",
                       "element kind 0x%02x (expected 0x00)", kind);
    *type = NXW_FUNCREF;
    return NXW_OK;
}

/* One element segment. Flags bit 0: passive or declarative (bit 1 tells which);
 * bit 1 without bit 0: explicit table index; bit 2: expressions instead of function
 * indices (and a reference type instead of an element kind). */
static nxw_status wd_read_elem(wd_reader *r, wm_elem *e) {
    size_t flags_at = r->pos;
    uint32_t flags = 0;
    WD_TRY(wd_read_u32(r, &flags, "element segment flags"));
    if (flags > 7)
        return wd_fail(r, NXW_ERR_MALFORMED, flags_at, "malformed elements segment kind",
                       "flags %u", (unsigned)flags);
    bool exprs = flags & 4;
    e->type = NXW_FUNCREF;
    if (flags & 1) {
        e->mode = (flags & 2) ? WM_SEG_DECLARATIVE : WM_SEG_PASSIVE;
    } else {
        e->mode = WM_SEG_ACTIVE;
        e->table = 0;
        if (flags & 2)
            WD_TRY(wd_read_u32(r, &e->table, "element segment table index"));
        WD_TRY(wd_read_constexpr(r, &e->offset, "element segment offset"));
    }
    if (flags & 3) { /* every form but 0 and 4 states its type */
        if (exprs)
            WD_TRY(wd_read_reftype(r, &e->type, "element segment type"));
        else
            WD_TRY(wd_read_elemkind(r, &e->type));
    }
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_constexpr), "element count"));
    e->init = array;
    e->count = count;
    for (uint32_t k = 0; k < count; k++) {
        wm_constexpr *ce = &e->init[k];
        if (exprs) {
            WD_TRY(wd_read_constexpr(r, ce, "element expression"));
        } else {
            ce->offset = r->pos;
            WD_TRY(wd_read_u32(r, &ce->v.index, "element function index"));
            ce->op = WM_CONST_REF_FUNC;
            ce->count = 1;
        }
    }
    return NXW_OK;
}

static nxw_status wd_decode_elems(wd_reader *r, wm_module *m) {
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_elem), "element segment count"));
    m->elems = array;
    m->nelems = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_elem(r, &m->elems[i]));
    }
    return NXW_OK;
}

static nxw_status wd_decode_datacount(wd_reader *r, wm_module *m) {
    WD_TRY(wd_read_u32(r, &m->datacount, "data count"));
    m->has_datacount = true;
    return NXW_OK;
}

/* Reads the locals of a body whose locals start at r->pos and whose end is r->end:
 * first a pass that checks them and sums the counts, then a pass that expands them. */
static nxw_status wd_read_locals(wd_reader *r, wm_func *f, uint64_t *module_locals) {
    size_t start = r->pos;
    uint32_t nruns = 0;
    uint64_t total = 0;
    WD_TRY(wd_read_length(r, &nruns, "local declaration count"));
    for (uint32_t k = 0; k < nruns; k++) {
        size_t at = r->pos;
        uint32_t n = 0;
        uint8_t type = 0;
        WD_TRY(wd_read_u32(r, &n, "local count"));
        WD_TRY(wd_read_valtype(r, &type, "local type"));
        total += n; /* at most 2^32 runs of < 2^32: no 64-bit overflow */
        if (total > WM_MAX_LOCALS)
            return wd_fail(r, NXW_ERR_MALFORMED, at, "too many locals",
                           "%llu locals declared (limit %d)", (unsigned long long)total,
                           WM_MAX_LOCALS);
    }
    *module_locals += total;
    if (*module_locals > WD_MAX_MODULE_LOCALS)
        return wd_fail(r, NXW_ERR_MALFORMED, start, "too many locals",
                       "%llu locals declared by the module's functions (limit %d)",
                       (unsigned long long)*module_locals, WD_MAX_MODULE_LOCALS);
    if (total > 0) {
        f->local_types = malloc((size_t)total);
        if (f->local_types == NULL)
            return wd_fail_nomem(r, "local types");
    }
    f->nlocals = (uint32_t)total;
    if (total == 0) /* possibly runs of zero locals: nothing to expand */
        return NXW_OK;
    /* Second pass over bytes already checked: cannot fail. */
    size_t end = r->pos;
    r->pos = start;
    uint32_t filled = 0;
    WD_TRY(wd_read_u32(r, &nruns, "local declaration count"));
    for (uint32_t k = 0; k < nruns; k++) {
        uint32_t n = 0;
        uint8_t type = 0;
        WD_TRY(wd_read_u32(r, &n, "local count"));
        WD_TRY(wd_read_u8(r, &type, "local type"));
        memset(f->local_types + filled, type, n);
        filled += n;
    }
    r->pos = end;
    return NXW_OK;
}

static nxw_status wd_decode_code(wd_reader *r, wm_module *m) {
    size_t at = r->pos;
    uint32_t count = 0;
    WD_TRY(wd_read_length(r, &count, "function body count"));
    if (count != m->nfuncs)
        return wd_fail(r, NXW_ERR_MALFORMED, at,
                       "function and code section have inconsistent lengths",
                       "%u bodies for %u declared functions", (unsigned)count,
                       (unsigned)m->nfuncs);
    uint64_t module_locals = 0;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        wm_func *f = &m->funcs[i];
        uint32_t size = 0;
        WD_TRY(wd_read_length(r, &size, "function body size"));
        size_t body_start = r->pos, body_end = r->pos + size;
        /* Locals are read with the reader bounded by the body. */
        size_t section_end = r->end;
        r->end = body_end;
        nxw_status st = wd_read_locals(r, f, &module_locals);
        r->end = section_end;
        if (st != NXW_OK)
            return st;
        f->code_offset = r->pos;
        f->code_end = body_end;
        uint32_t fidx = m->nimported_funcs + i;
        if (f->code_offset >= body_end)
            return wd_fail(r, NXW_ERR_MALFORMED, body_end, "unexpected end of section or function",
                           "body of function %u (offset %zu, %u bytes) has no instructions",
                           (unsigned)fidx, body_start, (unsigned)size);
        if (r->bytes[body_end - 1] != 0x0B) {
            /* Worded like the reference interpreter: a body missing its final `end` runs
             * into the next body or, for the last one, the end of the section. */
            const char *reason = i + 1 == count ? "unexpected end of section or function"
                                                : "END opcode expected";
            return wd_fail(r, NXW_ERR_MALFORMED, body_end - 1, reason,
                           "body of function %u does not end with end (0x0B)", (unsigned)fidx);
        }
        r->pos = body_end;
    }
    return NXW_OK;
}

static nxw_status wd_read_data(wd_reader *r, wm_data *d) {
    size_t flags_at = r->pos;
    uint32_t flags = 0;
    WD_TRY(wd_read_u32(r, &flags, "data segment flags"));
    switch (flags) {
    case 0:
        d->mode = WM_SEG_ACTIVE;
        d->memory = 0;
        WD_TRY(wd_read_constexpr(r, &d->offset, "data segment offset"));
        break;
    case 1:
        d->mode = WM_SEG_PASSIVE;
        break;
    case 2:
        d->mode = WM_SEG_ACTIVE;
        WD_TRY(wd_read_u32(r, &d->memory, "data segment memory index"));
        WD_TRY(wd_read_constexpr(r, &d->offset, "data segment offset"));
        break;
    default:
        return wd_fail(r, NXW_ERR_MALFORMED, flags_at, "malformed data segment kind", "flags %u",
                       (unsigned)flags);
    }
    WD_TRY(wd_read_length(r, &d->len, "data segment size"));
    d->bytes = r->bytes + r->pos;
    r->pos += d->len;
    return NXW_OK;
}

static nxw_status wd_decode_datas(wd_reader *r, wm_module *m) {
    size_t at = r->pos;
    uint32_t count = 0;
    void *array = NULL;
    WD_TRY(wd_read_length(r, &count, "data segment count"));
    if (m->has_datacount && count != m->datacount)
        return wd_fail(r, NXW_ERR_MALFORMED, at,
                       "data count and data section have inconsistent lengths",
                       "%u segments, data count section says %u", (unsigned)count,
                       (unsigned)m->datacount);
    r->pos = at;
    WD_TRY(wd_read_vector(r, &count, &array, sizeof(wm_data), "data segment count"));
    m->datas = array;
    m->ndatas = count;
    for (uint32_t i = 0; i < count; i++) {
        r->entry = i;
        WD_TRY(wd_read_data(r, &m->datas[i]));
    }
    return NXW_OK;
}

/* A custom section: a name, then everything up to the end of the section. */
static nxw_status wd_decode_custom(wd_reader *r, wm_module *m) {
    wm_custom c;
    WD_TRY(wd_read_name(r, &c.name, "custom section name"));
    c.data = r->bytes + r->pos;
    c.len = (uint32_t)wd_remaining(r); /* a section size is a u32 */
    r->pos = r->end;
    /* Grow by doubling when the count reaches a power of two. */
    uint32_t n = m->ncustoms;
    if ((n & (n - 1)) == 0) {
        size_t cap = n == 0 ? 1 : (size_t)n * 2;
        wm_custom *grown = realloc(m->customs, cap * sizeof *grown);
        if (grown == NULL)
            return wd_fail_nomem(r, "custom sections");
        m->customs = grown;
    }
    m->customs[n] = c;
    m->ncustoms = n + 1;
    return NXW_OK;
}

static nxw_status wd_decode_section(wd_reader *r, wm_module *m, uint8_t id) {
    switch (id) {
    case 0: return wd_decode_custom(r, m);
    case 1: return wd_decode_types(r, m);
    case 2: return wd_decode_imports(r, m);
    case 3: return wd_decode_functions(r, m);
    case 4: return wd_decode_tables(r, m);
    case 5: return wd_decode_memories(r, m);
    case 6: return wd_decode_globals(r, m);
    case 7: return wd_decode_exports(r, m);
    case 8: return wd_decode_start(r, m);
    case 9: return wd_decode_elems(r, m);
    case 10: return wd_decode_code(r, m);
    case 11: return wd_decode_datas(r, m);
    default: return wd_decode_datacount(r, m);
    }
}

/* ------------------------------------------------------------------ name section */

/* Copies a name into a fresh NUL-terminated string (an embedded NUL ends it early). */
static char *wd_strdup_name(wm_name name) {
    char *s = malloc((size_t)name.len + 1);
    if (s != NULL) {
        memcpy(s, name.ptr, name.len);
        s[name.len] = '\0';
    }
    return s;
}

static void wd_free_func_names(char **names, uint32_t n) {
    if (names == NULL)
        return;
    for (uint32_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Parses the function-name map (subsection 1) of a name section into `names` (length
 * `nfuncs`). Indices out of range are ignored. False when the map is malformed. */
static bool wd_parse_func_name_map(wd_reader *r, char **names, uint32_t nfuncs) {
    uint32_t count = 0;
    if (wd_read_length(r, &count, "function name count") != NXW_OK)
        return false;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t idx = 0;
        wm_name name;
        if (wd_read_u32(r, &idx, "function index") != NXW_OK ||
            wd_read_name(r, &name, "function name") != NXW_OK)
            return false;
        if (idx >= nfuncs)
            continue;
        char *copy = wd_strdup_name(name);
        if (copy == NULL)
            return false;
        free(names[idx]);
        names[idx] = copy;
    }
    return r->pos == r->end;
}

/* Best effort: fills m->func_names from the payload of a `name` custom section. Any
 * malformation (or lack of memory) leaves m->func_names NULL and the module valid. */
static void wd_parse_name_section(const wm_module *m, const wm_custom *c, char ***out) {
    uint32_t nfuncs = wm_total_funcs(m);
    *out = NULL;
    if (nfuncs == 0)
        return;
    size_t start = (size_t)(c->data - m->bytes);
    wd_reader r = {.bytes = m->bytes, .pos = start, .end = start + c->len, .limit = start + c->len, .err = NULL,
                   .section = "name section", .entry = UINT32_MAX};
    char **names = NULL;
    while (r.pos < r.end) {
        uint8_t id = 0;
        uint32_t size = 0;
        if (wd_read_u8(&r, &id, "subsection id") != NXW_OK ||
            wd_read_length(&r, &size, "subsection size") != NXW_OK)
            goto malformed;
        size_t sub_end = r.pos + size;
        if (id == 1) {
            if (names == NULL) {
                names = calloc(nfuncs, sizeof *names);
                if (names == NULL)
                    goto malformed;
            }
            wd_reader sub = r;
            sub.end = sub_end;
            if (!wd_parse_func_name_map(&sub, names, nfuncs))
                goto malformed;
        }
        r.pos = sub_end;
    }
    *out = names;
    return;
malformed:
    wd_free_func_names(names, nfuncs);
}

/* ------------------------------------------------------------------ module */

static nxw_status wd_decode_header(wd_reader *r) {
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (wd_remaining(r) < 4)
        return wd_fail(r, NXW_ERR_MALFORMED, r->end, "unexpected end",
                       "module of %zu bytes is shorter than the magic number", r->end);
    if (memcmp(r->bytes, magic, 4) != 0)
        return wd_fail(r, NXW_ERR_MALFORMED, 0, "magic header not detected",
                       "the module does not start with \\0asm");
    if (wd_remaining(r) < 8)
        return wd_fail(r, NXW_ERR_MALFORMED, r->end, "unexpected end",
                       "module of %zu bytes is too short for the version", r->end);
    if (memcmp(r->bytes + 4, version, 4) != 0)
        return wd_fail(r, NXW_ERR_MALFORMED, 4, "unknown binary version",
                       "version %02x %02x %02x %02x (expected 01 00 00 00)", r->bytes[4],
                       r->bytes[5], r->bytes[6], r->bytes[7]);
    r->pos = 8;
    return NXW_OK;
}

static nxw_status wd_decode_module(wd_reader *r, wm_module *m) {
    WD_TRY(wd_decode_header(r));
    unsigned last_rank = 0; /* rank of the last non-custom section seen */
    bool seen_code = false, seen_data = false;
    while (r->pos < r->end) {
        size_t id_at = r->pos;
        uint8_t id = 0;
        WD_TRY(wd_read_u8(r, &id, "section id"));
        if (id >= WD_SECTION_COUNT)
            return wd_fail(r, NXW_ERR_MALFORMED, id_at, "malformed section id", "id %u",
                           (unsigned)id);
        if (id != 0) {
            if (wd_section_rank[id] <= last_rank)
                return wd_fail(r, NXW_ERR_MALFORMED, id_at,
                               "unexpected content after last section",
                               "%s (id %u) is out of order or repeated", wd_section_names[id],
                               (unsigned)id);
            last_rank = wd_section_rank[id];
        }
        uint32_t size = 0;
        WD_TRY(wd_read_length(r, &size, wd_section_names[id]));
        size_t content_start = r->pos, content_end = r->pos + size;
        wd_reader sec = *r;
        sec.end = content_end;
        sec.section = wd_section_names[id];
        sec.entry = UINT32_MAX;
        WD_TRY(wd_decode_section(&sec, m, id));
        if (sec.pos != content_end) {
            sec.entry = UINT32_MAX;
            return wd_fail(&sec, NXW_ERR_MALFORMED, sec.pos, "section size mismatch",
                           "content ends at offset %zu but the section (size %u from offset "
                           "%zu) ends at offset %zu",
                           sec.pos, (unsigned)size, content_start, content_end);
        }
        r->pos = content_end;
        seen_code |= id == 10;
        seen_data |= id == 11;
    }
    if (!seen_code && m->nfuncs > 0)
        return wd_fail(r, NXW_ERR_MALFORMED, r->end,
                       "function and code section have inconsistent lengths",
                       "%u functions declared but there is no code section",
                       (unsigned)m->nfuncs);
    if (m->has_datacount && !seen_data && m->datacount != 0)
        return wd_fail(r, NXW_ERR_MALFORMED, r->end,
                       "data count and data section have inconsistent lengths",
                       "data count section says %u but there is no data section",
                       (unsigned)m->datacount);
    for (uint32_t i = 0; i < m->ncustoms; i++) {
        const wm_custom *c = &m->customs[i];
        if (c->name.len == 4 && memcmp(c->name.ptr, "name", 4) == 0) {
            wd_parse_name_section(m, c, &m->func_names);
            break;
        }
    }
    return NXW_OK;
}

/* Builds m->import_of_kind[k][n] = position in m->imports of the n-th import of kind k,
 * so index-space lookups of imported objects take constant time. */
static nxw_status wd_index_imports(wm_module *m, nxw_error *err) {
    const uint32_t counts[4] = {m->nimported_funcs, m->nimported_tables, m->nimported_memories,
                                m->nimported_globals};
    uint32_t filled[4] = {0, 0, 0, 0};
    for (int k = 0; k < 4; k++) {
        m->import_of_kind[k] = malloc(sizeof(uint32_t) * (counts[k] ? counts[k] : 1));
        if (m->import_of_kind[k] == NULL)
            return wm_fail(err, NXW_ERR_NOMEM, 0, "out of memory indexing imports");
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        uint8_t k = m->imports[i].kind;
        if (k < 4 && filled[k] < counts[k])
            m->import_of_kind[k][filled[k]++] = i;
    }
    return NXW_OK;
}

nxw_status wm_decode(const uint8_t *bytes, size_t len, wm_module *m, nxw_error *err) {
    memset(m, 0, sizeof *m);
    m->bytes = malloc(len > 0 ? len : 1);
    if (m->bytes == NULL)
        return wm_fail(err, NXW_ERR_NOMEM, 0, "out of memory: copying a module of %zu bytes", len);
    if (len > 0)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    wd_reader r = {.bytes = m->bytes, .pos = 0, .end = len, .limit = len, .err = err, .section = NULL,
                   .entry = UINT32_MAX};
    nxw_status st = wd_decode_module(&r, m);
    if (st == NXW_OK)
        st = wd_index_imports(m, err);
    if (st != NXW_OK)
        wm_module_clear(m);
    return st;
}

void wm_module_clear(wm_module *m) {
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].types);
    free(m->types);
    free(m->imports);
    for (int k = 0; k < 4; k++)
        free(m->import_of_kind[k]);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        free(m->funcs[i].local_types);
        wc_code_free(m->funcs[i].code);
    }
    free(m->funcs);
    free(m->tables);
    free(m->memories);
    free(m->globals);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].init);
    free(m->elems);
    free(m->datas);
    free(m->customs);
    wd_free_func_names(m->func_names, wm_total_funcs(m));
    free(m->bytes);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ index spaces */

/* The imports of one kind come first in their index space, in import order. */
static const wm_import *wd_nth_import(const wm_module *m, uint8_t kind, uint32_t n) {
    return m->import_of_kind[kind] ? &m->imports[m->import_of_kind[kind][n]] : NULL;
}

uint32_t wm_func_type_index(const wm_module *m, uint32_t fidx) {
    if (fidx >= m->nimported_funcs)
        return m->funcs[fidx - m->nimported_funcs].type_index;
    const wm_import *imp = wd_nth_import(m, NXW_EXTERN_FUNC, fidx);
    return imp != NULL ? imp->desc.type_index : UINT32_MAX;
}

wm_globaltype wm_global_type(const wm_module *m, uint32_t gidx) {
    if (gidx >= m->nimported_globals)
        return m->globals[gidx - m->nimported_globals].type;
    const wm_import *imp = wd_nth_import(m, NXW_EXTERN_GLOBAL, gidx);
    wm_globaltype none = {0, false};
    return imp != NULL ? imp->desc.global : none;
}

wm_tabletype wm_table_type(const wm_module *m, uint32_t tidx) {
    if (tidx >= m->nimported_tables)
        return m->tables[tidx - m->nimported_tables];
    const wm_import *imp = wd_nth_import(m, NXW_EXTERN_TABLE, tidx);
    wm_tabletype none = {0, {0, 0, false}};
    return imp != NULL ? imp->desc.table : none;
}
