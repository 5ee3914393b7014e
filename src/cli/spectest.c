/*
 * spectest.c — the `nexus spectest` subcommand. It runs the official WebAssembly spec
 * testsuite, as converted by wabt's `wast2json` into one JSON script per .wast file plus
 * the .wasm modules it names, against the Nexus engine. Each JSON file gets its own
 * store and linker (with the testsuite's "spectest" host module predefined) so that the
 * modules of one script can import from each other; every command of the script
 * (module, register, action and the assert_* family) is run and counted as passed,
 * failed or skipped. Text-format modules are skipped (the engine reads only binaries).
 * v128 values are read lane by lane in the script's lane shape, and an expected v128
 * may give a NaN pattern (nan:canonical, nan:arithmetic) per float lane. Options can
 * disable engine features (--disable-simd, --disable-bulk-memory), which makes the
 * modules that use them fail to load. Failures are reported as
 * `file.wast:LINE: command: expected ..., got ...`.
 *
 * With --aot, every module that loads runs as native code of the ahead-of-time compiler
 * (spectest_aot.c: translated, compiled by the system C compiler, loaded with dlopen
 * and attached before the module is instantiated); modules the translator does not
 * support (SIMD) run in the interpreter and are counted as not
 * translated. Before a script runs, all its modules are translated and compiled in one
 * go; a module whose native code cannot be made fails the command that loads it.
 */
#include "spectest.h"

#include "nexus_wasm.h"
#include "spectest_aot.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- types */

/* What became of one command. */
typedef enum st_outcome { ST_PASS, ST_FAIL, ST_SKIP } st_outcome;

/* Tallies of command outcomes. */
typedef struct st_counts {
    unsigned long passed;
    unsigned long failed;
    unsigned long skipped;
} st_counts;

/* Tallies of the ahead-of-time mode: modules loaded with native code attached, and
 * modules the translator does not support (run in the interpreter). */
typedef struct st_aot_counts {
    unsigned long translated;
    unsigned long not_translated;
} st_aot_counts;

/* The C compiler and include directories of the ahead-of-time mode, set by CMake
 * (NEXUS_AOT_CC can override the compiler at run time). */
#ifndef NEXUS_AOT_CC
#define NEXUS_AOT_CC "cc"
#endif
#ifndef NEXUS_AOT_WASM_DIR
#define NEXUS_AOT_WASM_DIR "src/wasm"
#endif
#ifndef NEXUS_AOT_INCLUDE_DIR
#define NEXUS_AOT_INCLUDE_DIR "include"
#endif

/* State of the whole run (options and totals over all files). */
typedef struct st_ctx {
    bool verbose;
    bool aot;              /* --aot: run modules as ahead-of-time compiled code */
    char aot_optimize[8];  /* the C compiler's optimization option, "-O0" by default */
    nxw_features features; /* what modules are validated with */
    st_counts totals;
    st_aot_counts aot_totals;
} st_ctx;

/* One of the spectest.print* host functions. */
typedef struct st_print_spec {
    const char *name;
    const char *sig;
    uint32_t nargs;
} st_print_spec;

static const st_print_spec st_print_specs[] = {
    {"print", "()", 0},         {"print_i32", "(i)", 1},     {"print_i64", "(I)", 1},
    {"print_f32", "(f)", 1},    {"print_f64", "(F)", 1},     {"print_i32_f32", "(if)", 2},
    {"print_f64_f64", "(FF)", 2},
};
#define ST_PRINT_COUNT (sizeof st_print_specs / sizeof st_print_specs[0])

/* What a print host function needs: its description and whether to print at all. */
typedef struct st_print_binding {
    const st_print_spec *spec;
    bool verbose;
} st_print_binding;

/* A module name given in a script ("$M1") and the instance it denotes (NULL when the
 * module failed to load or instantiate). */
typedef struct st_named {
    char *name;
    nxw_instance *instance;
} st_named;

/* State of the run of one JSON script. */
typedef struct st_file {
    bool verbose;
    const nxw_features *features;
    const char *json_path;
    char *dir;           /* directory of json_path, "" or ending with '/' */
    char *source;        /* basename of the .wast file, for failure lines */
    json_t *root;
    nxw_store *store;
    nxw_linker *linker;
    nxw_module **modules; /* every module loaded; freed after the store */
    size_t module_count;
    size_t module_cap;
    st_named *named;
    size_t named_count;
    size_t named_cap;
    nxw_instance *current; /* most recent module (default target of actions) */
    st_print_binding prints[ST_PRINT_COUNT];
    long line;           /* line of the command being run */
    const char *command; /* type of the command being run */
    st_counts counts;
    st_aot *aot;         /* --aot: the script's native code, else NULL */
    const char *aot_optimize; /* --aot: the C compiler's optimization option */
    st_aot_counts aot_counts;
} st_file;

/* How an expected value is compared. */
typedef enum st_match {
    ST_MATCH_EXACT,
    ST_MATCH_NAN_CANONICAL,
    ST_MATCH_NAN_ARITHMETIC,
    ST_MATCH_NONNULL,
} st_match;

/* Most lanes of a v128 (i8x16). */
#define ST_MAX_LANES 16

/* A value from a script: an argument (always exact) or an expected result. A v128 keeps
 * the script's lane shape, for per-lane NaN patterns and for messages. */
typedef struct st_expect {
    nxw_value value;
    st_match match;
    unsigned lane_bits;                /* v128: 8, 16, 32 or 64 */
    bool lane_float;                   /* v128: f32 or f64 lanes */
    st_match lane_match[ST_MAX_LANES]; /* v128: how each lane is compared */
} st_expect;

/* Outcome of loading a module file. */
typedef enum st_load {
    ST_LOADED,   /* the engine accepted it (it now belongs to the file's module list) */
    ST_REJECTED, /* the engine refused it (error in nxw_error) */
    ST_IO_ERROR, /* it could not be read, or the script is broken (message in nxw_error) */
} st_load;

/* A bounded text buffer that silently truncates. */
typedef struct st_text {
    char buf[512];
    size_t len;
} st_text;

/* Result of running an action (invoke or get). */
typedef struct st_call {
    nxw_status status;
    nxw_error err;
    nxw_value *results;
    uint32_t result_count;
    st_text what; /* description of the action, e.g. `"add"(i32:1, i32:2)` */
} st_call;

/* ---------------------------------------------------------------- small helpers */

static void st_text_add(st_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void st_text_add(st_text *t, const char *fmt, ...)
{
    if (t->len >= sizeof t->buf - 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    t->len += (size_t)n;
    if (t->len > sizeof t->buf - 1) t->len = sizeof t->buf - 1;
}

static void st_error_set(nxw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void st_error_set(nxw_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static void st_error_clear(nxw_error *err)
{
    memset(err, 0, sizeof *err);
}

/* The engine's message for a failure, or the generic text of its status. */
static const char *st_error_text(const nxw_error *err, nxw_status status)
{
    if (err->message[0] != '\0') return err->message;
    if (status == NXW_ERR_TRAP && err->trap != NXW_TRAP_NONE) return nxw_trap_message(err->trap);
    return nxw_status_message(status);
}

static char *st_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

static const char *st_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* "dir/" for "dir/x.json", "" for "x.json". */
static char *st_dirname_of(const char *path)
{
    const char *base = st_basename(path);
    size_t n = (size_t)(base - path);
    char *dir = malloc(n + 1);
    if (!dir) return NULL;
    memcpy(dir, path, n);
    dir[n] = '\0';
    return dir;
}

static char *st_join_path(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *path = malloc(a + b + 1);
    if (!path) return NULL;
    memcpy(path, dir, a);
    memcpy(path + a, name, b + 1);
    return path;
}

static const char *st_json_string(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---------------------------------------------------------------- reporting */

static st_outcome st_fail(st_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints `file.wast:LINE: command: MESSAGE` and returns ST_FAIL. */
static st_outcome st_fail(st_file *f, const char *fmt, ...)
{
    printf("%s:%ld: %s: ", f->source, f->line, f->command);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    return ST_FAIL;
}

static void st_note(const st_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Verbose-only detail line about the current command. */
static void st_note(const st_file *f, const char *fmt, ...)
{
    if (!f->verbose) return;
    printf("%s:%ld: %s: ", f->source, f->line, f->command);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* ---------------------------------------------------------------- values */

static int32_t st_i32_from_bits(uint32_t bits)
{
    int32_t v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static int64_t st_i64_from_bits(uint64_t bits)
{
    int64_t v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static float st_f32_from_bits(uint32_t bits)
{
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static double st_f64_from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static uint32_t st_f32_bits(float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

static uint64_t st_f64_bits(double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

/* Parses an unsigned decimal no greater than `max` (digits only, nothing else). */
static bool st_parse_unsigned(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) return false;
    *out = (uint64_t)v;
    return true;
}

static bool st_parse_nan_kind(const char *s, st_match *match)
{
    if (strcmp(s, "nan:canonical") == 0) {
        *match = ST_MATCH_NAN_CANONICAL;
        return true;
    }
    if (strcmp(s, "nan:arithmetic") == 0) {
        *match = ST_MATCH_NAN_ARITHMETIC;
        return true;
    }
    return false;
}

static bool st_parse_number(nxw_valtype type, const char *s, st_expect *out)
{
    uint64_t bits = 0;
    bool wide = type == NXW_I64 || type == NXW_F64;
    if ((type == NXW_F32 || type == NXW_F64) && st_parse_nan_kind(s, &out->match)) return true;
    if (!st_parse_unsigned(s, wide ? UINT64_MAX : UINT32_MAX, &bits)) return false;
    switch (type) {
    case NXW_I32: out->value.of.i32 = st_i32_from_bits((uint32_t)bits); break;
    case NXW_I64: out->value.of.i64 = st_i64_from_bits(bits); break;
    case NXW_F32: out->value.of.f32_bits = (uint32_t)bits; break;
    default: out->value.of.f64_bits = bits; break;
    }
    return true;
}

/* externref N is the host pointer N+1, so that ref.extern 0 is not the null reference. */
static bool st_parse_reference(nxw_valtype type, const char *s, st_expect *out)
{
    if (strcmp(s, "null") == 0) return true; /* value already zeroed: NULL */
    if (type == NXW_FUNCREF) {
        out->match = ST_MATCH_NONNULL;
        return true;
    }
    uint64_t n = 0;
    if (!st_parse_unsigned(s, (uint64_t)UINTPTR_MAX - 1, &n)) return false;
    out->value.of.externref = (void *)(uintptr_t)(n + 1);
    return true;
}

static bool st_valtype_from_name(const char *name, nxw_valtype *type)
{
    static const struct {
        const char *name;
        nxw_valtype type;
    } names[] = {
        {"i32", NXW_I32},         {"i64", NXW_I64},          {"f32", NXW_F32},
        {"f64", NXW_F64},         {"v128", NXW_V128},        {"funcref", NXW_FUNCREF},
        {"externref", NXW_EXTERNREF},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, name) == 0) {
            *type = names[i].type;
            return true;
        }
    }
    return false;
}

/* Lane shapes of v128 values in scripts ("lane_type"). */
static const struct {
    const char *name;
    unsigned bits;
    bool is_float;
} st_lane_shapes[] = {
    {"i8", 8, false}, {"i16", 16, false}, {"i32", 32, false},
    {"i64", 64, false}, {"f32", 32, true}, {"f64", 64, true},
};

/* The name of a v128 lane shape, e.g. "f32x4". */
static void st_shape_name(unsigned bits, bool is_float, char *out, size_t size)
{
    snprintf(out, size, "%c%ux%u", is_float ? 'f' : 'i', bits, 128 / bits);
}

/* Lane i (of lane_bits bits) of a v128, as an unsigned number. */
static uint64_t st_lane_get(const uint8_t *v128, unsigned lane_bits, size_t i)
{
    uint64_t bits = 0;
    for (unsigned k = lane_bits / 8; k-- > 0;) bits = bits << 8 | v128[i * (lane_bits / 8) + k];
    return bits;
}

static void st_lane_set(uint8_t *v128, unsigned lane_bits, size_t i, uint64_t bits)
{
    for (unsigned k = 0; k < lane_bits / 8; k++) v128[i * (lane_bits / 8) + k] = (uint8_t)(bits >> (8 * k));
}

/* Parses a v128 {"type": "v128", "lane_type": L, "value": [lane, ...]}: each lane an
 * unsigned decimal of the lane's bits, or for float lanes a NaN pattern. */
static bool st_parse_v128(const json_t *json, st_expect *out, char *why, size_t why_size)
{
    const char *shape = st_json_string(json, "lane_type");
    const json_t *lanes = json_object_get(json, "value");
    size_t k = 0;
    while (k < sizeof st_lane_shapes / sizeof st_lane_shapes[0] &&
           !(shape && strcmp(shape, st_lane_shapes[k].name) == 0))
        k++;
    if (k == sizeof st_lane_shapes / sizeof st_lane_shapes[0]) {
        snprintf(why, why_size, "v128 value with lane type \"%s\"", shape ? shape : "(none)");
        return false;
    }
    out->lane_bits = st_lane_shapes[k].bits;
    out->lane_float = st_lane_shapes[k].is_float;
    size_t n = 128 / out->lane_bits;
    if (!json_is_array(lanes) || json_array_size(lanes) != n) {
        snprintf(why, why_size, "v128 value of %s lanes needs an array of %zu lanes", shape, n);
        return false;
    }
    uint64_t max = out->lane_bits == 64 ? UINT64_MAX : (UINT64_C(1) << out->lane_bits) - 1;
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(lanes, i));
        uint64_t bits = 0;
        if (text && out->lane_float && st_parse_nan_kind(text, &out->lane_match[i])) continue;
        if (!st_parse_unsigned(text, max, &bits)) {
            snprintf(why, why_size, "bad v128 lane %zu \"%s\"", i, text ? text : "(not a string)");
            return false;
        }
        st_lane_set(out->value.of.v128, out->lane_bits, i, bits);
    }
    return true;
}

/* Parses {"type": T, "value": V}; on failure writes the reason to `why`. */
static bool st_parse_value(const json_t *json, st_expect *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    const char *type_name = st_json_string(json, "type");
    const char *text = st_json_string(json, "value");
    if (!type_name) {
        snprintf(why, why_size, "value without a type");
        return false;
    }
    if (!st_valtype_from_name(type_name, &out->value.type)) {
        snprintf(why, why_size, "unsupported value type \"%s\"", type_name);
        return false;
    }
    if (out->value.type == NXW_V128) return st_parse_v128(json, out, why, why_size);
    if (!text) {
        snprintf(why, why_size, "%s value missing or not a string", type_name);
        return false;
    }
    bool ok = (out->value.type == NXW_FUNCREF || out->value.type == NXW_EXTERNREF)
                  ? st_parse_reference(out->value.type, text, out)
                  : st_parse_number(out->value.type, text, out);
    if (!ok) snprintf(why, why_size, "bad %s value \"%s\"", type_name, text);
    return ok;
}

static void st_format_value(st_text *t, const nxw_value *v)
{
    switch (v->type) {
    case NXW_I32: {
        uint32_t u;
        memcpy(&u, &v->of.i32, sizeof u);
        st_text_add(t, "i32:%" PRIu32, u);
        break;
    }
    case NXW_I64: {
        uint64_t u;
        memcpy(&u, &v->of.i64, sizeof u);
        st_text_add(t, "i64:%" PRIu64, u);
        break;
    }
    case NXW_F32:
        st_text_add(t, "f32:0x%08" PRIx32 " (%.9g)", v->of.f32_bits,
                    (double)st_f32_from_bits(v->of.f32_bits));
        break;
    case NXW_F64:
        st_text_add(t, "f64:0x%016" PRIx64 " (%.17g)", v->of.f64_bits,
                    st_f64_from_bits(v->of.f64_bits));
        break;
    case NXW_FUNCREF:
        if (v->of.funcref)
            st_text_add(t, "funcref:%p", (void *)v->of.funcref);
        else
            st_text_add(t, "funcref:null");
        break;
    case NXW_EXTERNREF:
        if (v->of.externref)
            st_text_add(t, "externref:%" PRIuPTR, (uintptr_t)v->of.externref - 1);
        else
            st_text_add(t, "externref:null");
        break;
    case NXW_V128:
        st_text_add(t, "v128:i32x4");
        for (size_t i = 0; i < 4; i++)
            st_text_add(t, " 0x%08" PRIx64, st_lane_get(v->of.v128, 32, i));
        break;
    default: st_text_add(t, "<type 0x%02x>", (unsigned)v->type); break;
    }
}

/* An expected v128 in its own lane shape, NaN patterns included. */
static void st_format_v128_expect(st_text *t, const st_expect *e)
{
    char shape[8];
    st_shape_name(e->lane_bits, e->lane_float, shape, sizeof shape);
    st_text_add(t, "v128:%s", shape);
    for (size_t i = 0; i < 128 / e->lane_bits; i++) {
        switch (e->lane_match[i]) {
        case ST_MATCH_NAN_CANONICAL: st_text_add(t, " nan:canonical"); break;
        case ST_MATCH_NAN_ARITHMETIC: st_text_add(t, " nan:arithmetic"); break;
        default:
            st_text_add(t, " 0x%0*" PRIx64, (int)(e->lane_bits / 4),
                        st_lane_get(e->value.of.v128, e->lane_bits, i));
            break;
        }
    }
}

static void st_format_expect(st_text *t, const st_expect *e)
{
    if (e->value.type == NXW_V128) {
        st_format_v128_expect(t, e);
        return;
    }
    const char *type = e->value.type == NXW_F32 ? "f32" : e->value.type == NXW_F64 ? "f64" : "";
    switch (e->match) {
    case ST_MATCH_NAN_CANONICAL: st_text_add(t, "%s:nan:canonical", type); break;
    case ST_MATCH_NAN_ARITHMETIC: st_text_add(t, "%s:nan:arithmetic", type); break;
    case ST_MATCH_NONNULL: st_text_add(t, "funcref:non-null"); break;
    default: st_format_value(t, &e->value); break;
    }
}

static void st_format_values(st_text *t, const nxw_value *values, uint32_t count)
{
    st_text_add(t, "(");
    for (uint32_t i = 0; i < count; i++) {
        if (i > 0) st_text_add(t, ", ");
        st_format_value(t, &values[i]);
    }
    st_text_add(t, ")");
}

static void st_format_expects(st_text *t, const st_expect *values, size_t count)
{
    st_text_add(t, "(");
    for (size_t i = 0; i < count; i++) {
        if (i > 0) st_text_add(t, ", ");
        st_format_expect(t, &values[i]);
    }
    st_text_add(t, ")");
}

/* NaN patterns on the bits of a float of 32 or 64 bits. */
static bool st_bits_canonical_nan(uint64_t bits, unsigned width)
{
    if (width == 32) return (bits & 0x7fffffffu) == 0x7fc00000u;
    return (bits & UINT64_C(0x7fffffffffffffff)) == UINT64_C(0x7ff8000000000000);
}

static bool st_bits_arithmetic_nan(uint64_t bits, unsigned width)
{
    if (width == 32) return (bits & 0x7fc00000u) == 0x7fc00000u;
    return (bits & UINT64_C(0x7ff8000000000000)) == UINT64_C(0x7ff8000000000000);
}

static bool st_is_canonical_nan(const nxw_value *v)
{
    if (v->type == NXW_F32) return st_bits_canonical_nan(v->of.f32_bits, 32);
    return st_bits_canonical_nan(v->of.f64_bits, 64);
}

static bool st_is_arithmetic_nan(const nxw_value *v)
{
    if (v->type == NXW_F32) return st_bits_arithmetic_nan(v->of.f32_bits, 32);
    return st_bits_arithmetic_nan(v->of.f64_bits, 64);
}

/* Compares a v128 lane by lane, each as the expectation's lane_match says. */
static bool st_v128_matches(const st_expect *e, const nxw_value *got)
{
    for (size_t i = 0; i < 128 / e->lane_bits; i++) {
        uint64_t want = st_lane_get(e->value.of.v128, e->lane_bits, i);
        uint64_t have = st_lane_get(got->of.v128, e->lane_bits, i);
        bool ok;
        switch (e->lane_match[i]) {
        case ST_MATCH_NAN_CANONICAL: ok = st_bits_canonical_nan(have, e->lane_bits); break;
        case ST_MATCH_NAN_ARITHMETIC: ok = st_bits_arithmetic_nan(have, e->lane_bits); break;
        default: ok = want == have; break;
        }
        if (!ok) return false;
    }
    return true;
}

static bool st_values_identical(const nxw_value *a, const nxw_value *b)
{
    switch (a->type) {
    case NXW_I32: return a->of.i32 == b->of.i32;
    case NXW_I64: return a->of.i64 == b->of.i64;
    case NXW_F32: return a->of.f32_bits == b->of.f32_bits;
    case NXW_F64: return a->of.f64_bits == b->of.f64_bits;
    case NXW_FUNCREF: return a->of.funcref == b->of.funcref;
    case NXW_EXTERNREF: return a->of.externref == b->of.externref;
    case NXW_V128: return memcmp(a->of.v128, b->of.v128, 16) == 0;
    default: return false;
    }
}

static bool st_value_matches(const st_expect *e, const nxw_value *got)
{
    if (e->value.type != got->type) return false;
    if (e->value.type == NXW_V128) return st_v128_matches(e, got);
    switch (e->match) {
    case ST_MATCH_NAN_CANONICAL: return st_is_canonical_nan(got);
    case ST_MATCH_NAN_ARITHMETIC: return st_is_arithmetic_nan(got);
    case ST_MATCH_NONNULL: return got->of.funcref != NULL;
    default: return st_values_identical(&e->value, got);
    }
}

/* ---------------------------------------------------------------- the spectest module */

static nxw_trap st_host_print(nxw_call *call, void *user, const nxw_value *args,
                              nxw_value *results)
{
    (void)call;
    (void)results;
    const st_print_binding *binding = user;
    if (!binding->verbose) return NXW_TRAP_NONE;
    st_text t = {.len = 0};
    st_format_values(&t, args, binding->spec->nargs);
    printf("spectest.%s%s\n", binding->spec->name, t.buf);
    return NXW_TRAP_NONE;
}

static bool st_define_extern(st_file *f, const char *name, nxw_extern ext, nxw_error *err)
{
    return nxw_linker_define(f->linker, "spectest", 8, name, strlen(name), ext, err) == NXW_OK;
}

static bool st_define_global(st_file *f, const char *name, nxw_value init, nxw_error *err)
{
    nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL};
    if (nxw_global_new(f->store, init, false, &ext.of.global, err) != NXW_OK) return false;
    return st_define_extern(f, name, ext, err);
}

static bool st_define_spectest_prints(st_file *f, nxw_error *err)
{
    for (size_t i = 0; i < ST_PRINT_COUNT; i++) {
        f->prints[i].spec = &st_print_specs[i];
        f->prints[i].verbose = f->verbose;
        if (nxw_linker_define_host(f->linker, "spectest", st_print_specs[i].name,
                                   st_print_specs[i].sig, st_host_print, &f->prints[i],
                                   err) != NXW_OK)
            return false;
    }
    return true;
}

static bool st_define_spectest_globals(st_file *f, nxw_error *err)
{
    nxw_value i32 = {.type = NXW_I32, .of.i32 = 666};
    nxw_value i64 = {.type = NXW_I64, .of.i64 = 666};
    nxw_value f32 = {.type = NXW_F32, .of.f32_bits = st_f32_bits(666.6f)};
    nxw_value f64 = {.type = NXW_F64, .of.f64_bits = st_f64_bits(666.6)};
    return st_define_global(f, "global_i32", i32, err) &&
           st_define_global(f, "global_i64", i64, err) &&
           st_define_global(f, "global_f32", f32, err) &&
           st_define_global(f, "global_f64", f64, err);
}

static bool st_define_spectest_table_memory(st_file *f, nxw_error *err)
{
    nxw_extern table = {.kind = NXW_EXTERN_TABLE};
    nxw_extern memory = {.kind = NXW_EXTERN_MEMORY};
    if (nxw_table_new(f->store, NXW_FUNCREF, 10, 20, true, &table.of.table, err) != NXW_OK ||
        !st_define_extern(f, "table", table, err))
        return false;
    return nxw_memory_new(f->store, 1, 2, true, &memory.of.memory, err) == NXW_OK &&
           st_define_extern(f, "memory", memory, err);
}

/* Defines the testsuite's "spectest" host module in the file's linker and store. */
static bool st_define_spectest(st_file *f, nxw_error *err)
{
    return st_define_spectest_prints(f, err) && st_define_spectest_globals(f, err) &&
           st_define_spectest_table_memory(f, err);
}

/* ---------------------------------------------------------------- modules */

static bool st_keep_module(st_file *f, nxw_module *m)
{
    if (f->module_count == f->module_cap) {
        size_t cap = f->module_cap ? f->module_cap * 2 : 16;
        nxw_module **grown = realloc(f->modules, cap * sizeof *grown);
        if (!grown) return false;
        f->modules = grown;
        f->module_cap = cap;
    }
    f->modules[f->module_count++] = m;
    return true;
}

/* Remembers that script name `name` denotes `inst` (NULL: the module failed). */
static bool st_name_instance(st_file *f, const char *name, nxw_instance *inst)
{
    if (f->named_count == f->named_cap) {
        size_t cap = f->named_cap ? f->named_cap * 2 : 8;
        st_named *grown = realloc(f->named, cap * sizeof *grown);
        if (!grown) return false;
        f->named = grown;
        f->named_cap = cap;
    }
    char *copy = st_strdup(name);
    if (!copy) return false;
    f->named[f->named_count].name = copy;
    f->named[f->named_count].instance = inst;
    f->named_count++;
    return true;
}

/* The instance a script name denotes (the most recent definition wins). */
static bool st_find_named(const st_file *f, const char *name, nxw_instance **inst)
{
    for (size_t i = f->named_count; i-- > 0;) {
        if (strcmp(f->named[i].name, name) == 0) {
            *inst = f->named[i].instance;
            return true;
        }
    }
    return false;
}

/* Reads a whole file into a fresh buffer. */
static bool st_read_file(const char *path, uint8_t **bytes, size_t *len, nxw_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        st_error_set(err, "cannot open %s: %s", path, strerror(errno));
        return false;
    }
    uint8_t *buf = NULL;
    size_t size = 0, cap = 0;
    bool ok = true;
    for (;;) {
        if (size == cap) {
            size_t grown_cap = cap ? cap * 2 : 4096;
            uint8_t *grown = realloc(buf, grown_cap);
            if (!grown) {
                st_error_set(err, "out of memory reading %s", path);
                ok = false;
                break;
            }
            buf = grown;
            cap = grown_cap;
        }
        size_t n = fread(buf + size, 1, cap - size, fp);
        size += n;
        if (n == 0) {
            if (ferror(fp)) {
                st_error_set(err, "cannot read %s", path);
                ok = false;
            }
            break;
        }
    }
    fclose(fp);
    if (!ok) {
        free(buf);
        return false;
    }
    *bytes = buf;
    *len = size;
    return true;
}

/* Loads the module file named by `cmd` ("filename", relative to the JSON file). */
static st_load st_load_module(st_file *f, const json_t *cmd, nxw_module **out, nxw_error *err)
{
    st_error_clear(err);
    *out = NULL;
    const char *filename = st_json_string(cmd, "filename");
    if (!filename) {
        st_error_set(err, "command has no \"filename\"");
        return ST_IO_ERROR;
    }
    char *path = st_join_path(f->dir, filename);
    if (!path) {
        st_error_set(err, "out of memory");
        return ST_IO_ERROR;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    bool read = st_read_file(path, &bytes, &len, err);
    free(path);
    if (!read) return ST_IO_ERROR;
    nxw_status status = nxw_module_new_with_features(bytes, len, f->features, out, err);
    free(bytes);
    if (status != NXW_OK) {
        *out = NULL;
        err->status = status;
        return ST_REJECTED;
    }
    if (!st_keep_module(f, *out)) {
        nxw_module_free(*out);
        *out = NULL;
        st_error_set(err, "out of memory");
        return ST_IO_ERROR;
    }
    if (f->aot) {
        char why[sizeof err->message - 40];
        switch (st_aot_attach(f->aot, filename, *out, why, sizeof why)) {
        case ST_AOT_ATTACHED: f->aot_counts.translated++; break;
        case ST_AOT_NOT_TRANSLATED:
            f->aot_counts.not_translated++;
            st_note(f, "%s not translated (interpreted): %s", filename, why);
            break;
        default:
            st_error_set(err, "ahead-of-time code of %s: %s", filename, why);
            return ST_IO_ERROR;
        }
    }
    return ST_LOADED;
}

static nxw_status st_instantiate(st_file *f, const nxw_module *m, nxw_instance **inst,
                                 nxw_error *err)
{
    st_error_clear(err);
    *inst = NULL;
    nxw_status status = nxw_instantiate(f->store, m, f->linker, inst, err);
    if (status != NXW_OK) *inst = NULL;
    return status;
}

static bool st_is_text_module(const json_t *cmd)
{
    const char *type = st_json_string(cmd, "module_type");
    return type && strcmp(type, "text") == 0;
}

/* ---------------------------------------------------------------- actions */

/* The instance an action targets: its "module" name, or else the most recent module. */
static bool st_action_instance(st_file *f, const json_t *action, nxw_instance **inst,
                               nxw_error *err)
{
    const char *name = st_json_string(action, "module");
    if (!name) {
        *inst = f->current;
        if (!*inst) st_error_set(err, "no module instance to run the action on");
        return *inst != NULL;
    }
    if (!st_find_named(f, name, inst)) {
        st_error_set(err, "unknown module %s", name);
        return false;
    }
    if (!*inst) st_error_set(err, "module %s failed to instantiate", name);
    return *inst != NULL;
}

static bool st_parse_args(const json_t *list, nxw_value **args, uint32_t *count, nxw_error *err)
{
    size_t n = json_array_size(list);
    if (n > UINT32_MAX - 1) {
        st_error_set(err, "too many arguments");
        return false;
    }
    *args = calloc(n ? n : 1, sizeof **args);
    if (!*args) {
        st_error_set(err, "out of memory");
        return false;
    }
    *count = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        st_expect e;
        char why[160];
        if (!st_parse_value(json_array_get(list, i), &e, why, sizeof why)) {
            st_error_set(err, "argument %zu: %s", i, why);
            return false;
        }
        bool exact = e.match == ST_MATCH_EXACT;
        for (size_t k = 0; k < ST_MAX_LANES; k++) exact = exact && e.lane_match[k] == ST_MATCH_EXACT;
        if (!exact) {
            st_error_set(err, "argument %zu is not a concrete value", i);
            return false;
        }
        (*args)[i] = e.value;
    }
    return true;
}

static bool st_check_signature(const nxw_func *fn, const nxw_value *args, uint32_t nargs,
                               nxw_error *err)
{
    if (nxw_func_param_count(fn) != nargs) {
        st_error_set(err, "function takes %" PRIu32 " arguments, the script gives %" PRIu32,
                     nxw_func_param_count(fn), nargs);
        return false;
    }
    for (uint32_t i = 0; i < nargs; i++) {
        if (nxw_func_param_type(fn, i) != args[i].type) {
            st_error_set(err, "argument %" PRIu32 " has the wrong type", i);
            return false;
        }
    }
    return true;
}

static void st_describe_invoke(st_call *call, const char *field, const nxw_value *args,
                               uint32_t nargs)
{
    call->what.len = 0;
    st_text_add(&call->what, "\"%s\"", field);
    st_format_values(&call->what, args, nargs);
}

/* Calls exported function `field`; on success (or trap) `call` holds the outcome. */
static bool st_invoke(st_file *f, nxw_instance *inst, const json_t *action, st_call *call)
{
    const json_t *field_json = json_object_get(action, "field");
    const char *field = json_string_value(field_json);
    nxw_extern ext;
    nxw_value *args = NULL;
    uint32_t nargs = 0;
    if (!field) {
        st_error_set(&call->err, "action has no \"field\"");
        return false;
    }
    if (!nxw_instance_export(inst, field, json_string_length(field_json), &ext) ||
        ext.kind != NXW_EXTERN_FUNC) {
        st_error_set(&call->err, "no exported function \"%s\"", field);
        return false;
    }
    bool ok = st_parse_args(json_object_get(action, "args"), &args, &nargs, &call->err) &&
              st_check_signature(ext.of.func, args, nargs, &call->err);
    if (ok) {
        st_describe_invoke(call, field, args, nargs);
        call->result_count = nxw_func_result_count(ext.of.func);
        call->results = calloc(call->result_count ? call->result_count : 1, sizeof *call->results);
        ok = call->results != NULL;
        if (!ok) st_error_set(&call->err, "out of memory");
    }
    if (ok) {
        int exit_code = 0;
        call->status = nxw_func_call(f->store, ext.of.func, args, nargs, call->results,
                                     call->result_count, &exit_code, &call->err);
    }
    free(args);
    return ok;
}

/* Reads exported global `field`. */
static bool st_get(nxw_instance *inst, const json_t *action, st_call *call)
{
    const json_t *field_json = json_object_get(action, "field");
    const char *field = json_string_value(field_json);
    nxw_extern ext;
    if (!field) {
        st_error_set(&call->err, "action has no \"field\"");
        return false;
    }
    call->what.len = 0;
    st_text_add(&call->what, "get \"%s\"", field);
    if (!nxw_instance_export(inst, field, json_string_length(field_json), &ext) ||
        ext.kind != NXW_EXTERN_GLOBAL) {
        st_error_set(&call->err, "no exported global \"%s\"", field);
        return false;
    }
    call->results = calloc(1, sizeof *call->results);
    if (!call->results) {
        st_error_set(&call->err, "out of memory");
        return false;
    }
    call->results[0] = nxw_global_get(ext.of.global);
    call->result_count = 1;
    call->status = NXW_OK;
    return true;
}

static void st_call_release(st_call *call)
{
    free(call->results);
    call->results = NULL;
}

/* Runs the command's action. False when it could not be run at all (reason in
 * call->err.message); true when it ran, whether it returned or trapped. */
static bool st_perform(st_file *f, const json_t *cmd, st_call *call)
{
    memset(call, 0, sizeof *call);
    st_text_add(&call->what, "action");
    const json_t *action = json_object_get(cmd, "action");
    const char *type = st_json_string(action, "type");
    nxw_instance *inst = NULL;
    if (!type) {
        st_error_set(&call->err, "command has no action");
        return false;
    }
    if (!st_action_instance(f, action, &inst, &call->err)) return false;
    bool ran;
    if (strcmp(type, "invoke") == 0) {
        ran = st_invoke(f, inst, action, call);
    } else if (strcmp(type, "get") == 0) {
        ran = st_get(inst, action, call);
    } else {
        st_error_set(&call->err, "unknown action type \"%s\"", type);
        ran = false;
    }
    if (!ran) st_call_release(call);
    return ran;
}

static const char *st_call_error(const st_call *call)
{
    return st_error_text(&call->err, call->status);
}

/* ---------------------------------------------------------------- commands */

static st_outcome st_cmd_module(st_file *f, const json_t *cmd)
{
    const char *name = st_json_string(cmd, "name");
    nxw_module *m = NULL;
    nxw_instance *inst = NULL;
    nxw_error err;
    f->current = NULL;
    if (st_is_text_module(cmd)) return ST_SKIP;
    st_load load = st_load_module(f, cmd, &m, &err);
    nxw_status status = load == ST_LOADED ? st_instantiate(f, m, &inst, &err) : err.status;
    if (name && !st_name_instance(f, name, inst)) return st_fail(f, "out of memory");
    f->current = inst;
    if (load == ST_IO_ERROR) return st_fail(f, "%s", err.message);
    if (load == ST_REJECTED)
        return st_fail(f, "expected the module to load, got %s", st_error_text(&err, status));
    if (status != NXW_OK)
        return st_fail(f, "expected the module to instantiate, got %s: %s",
                       nxw_status_message(status), st_error_text(&err, status));
    return ST_PASS;
}

static st_outcome st_cmd_register(st_file *f, const json_t *cmd)
{
    const json_t *as_json = json_object_get(cmd, "as");
    const char *as = json_string_value(as_json);
    const char *name = st_json_string(cmd, "name");
    nxw_instance *inst = f->current;
    nxw_error err;
    st_error_clear(&err);
    if (!as) return st_fail(f, "register without \"as\"");
    if (name && !st_find_named(f, name, &inst)) return st_fail(f, "unknown module %s", name);
    if (!inst) return st_fail(f, "no module instance to register as \"%s\"", as);
    nxw_status status =
        nxw_linker_define_instance(f->linker, as, json_string_length(as_json), inst, &err);
    if (status != NXW_OK)
        return st_fail(f, "cannot register as \"%s\": %s", as, st_error_text(&err, status));
    return ST_PASS;
}

static st_outcome st_cmd_action(st_file *f, const json_t *cmd)
{
    st_call call;
    if (!st_perform(f, cmd, &call)) return st_fail(f, "%s", call.err.message);
    st_call_release(&call);
    if (call.status != NXW_OK)
        return st_fail(f, "%s: expected to complete, got %s", call.what.buf, st_call_error(&call));
    return ST_PASS;
}

/* Parses the "expected" list of an assert_return. */
static bool st_parse_expected(st_file *f, const json_t *cmd, st_expect **out, size_t *count)
{
    const json_t *list = json_object_get(cmd, "expected");
    size_t n = json_array_size(list);
    *count = n;
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) {
        st_fail(f, "out of memory");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char why[160];
        if (!st_parse_value(json_array_get(list, i), &(*out)[i], why, sizeof why)) {
            st_fail(f, "expected result %zu: %s", i, why);
            return false;
        }
    }
    return true;
}

static bool st_results_match(const st_expect *expected, size_t count, const st_call *call)
{
    if (call->result_count != count) return false;
    for (size_t i = 0; i < count; i++)
        if (!st_value_matches(&expected[i], &call->results[i])) return false;
    return true;
}

static st_outcome st_check_results(st_file *f, const st_expect *expected, size_t count,
                                   const st_call *call)
{
    if (call->status != NXW_OK)
        return st_fail(f, "%s: expected to return, got %s", call->what.buf, st_call_error(call));
    if (st_results_match(expected, count, call)) return ST_PASS;
    st_text want = {.len = 0}, got = {.len = 0};
    st_format_expects(&want, expected, count);
    st_format_values(&got, call->results, call->result_count);
    return st_fail(f, "%s: expected %s, got %s", call->what.buf, want.buf, got.buf);
}

static st_outcome st_cmd_assert_return(st_file *f, const json_t *cmd)
{
    st_expect *expected = NULL;
    size_t count = 0;
    st_call call;
    st_outcome outcome;
    if (!st_parse_expected(f, cmd, &expected, &count)) {
        free(expected);
        return ST_FAIL;
    }
    if (st_perform(f, cmd, &call))
        outcome = st_check_results(f, expected, count, &call);
    else
        outcome = st_fail(f, "%s", call.err.message);
    st_call_release(&call);
    free(expected);
    return outcome;
}

static st_outcome st_cmd_assert_uninstantiable(st_file *f, const json_t *cmd);

static st_outcome st_cmd_assert_trap(st_file *f, const json_t *cmd)
{
    if (json_object_get(cmd, "filename")) return st_cmd_assert_uninstantiable(f, cmd);
    const char *text = st_json_string(cmd, "text");
    st_call call;
    if (!st_perform(f, cmd, &call)) return st_fail(f, "%s", call.err.message);
    st_call_release(&call);
    if (call.status != NXW_ERR_TRAP)
        return st_fail(f, "%s: expected trap \"%s\", got %s", call.what.buf, text ? text : "?",
                       call.status == NXW_OK ? "a normal return" : st_call_error(&call));
    st_note(f, "%s: expected trap \"%s\", got \"%s\"", call.what.buf, text ? text : "?",
            st_call_error(&call));
    return ST_PASS;
}

static st_outcome st_cmd_assert_exhaustion(st_file *f, const json_t *cmd)
{
    st_call call;
    if (!st_perform(f, cmd, &call)) return st_fail(f, "%s", call.err.message);
    st_call_release(&call);
    if (call.status == NXW_ERR_TRAP && call.err.trap == NXW_TRAP_STACK_EXHAUSTED) return ST_PASS;
    return st_fail(f, "%s: expected call stack exhaustion, got %s", call.what.buf,
                   call.status == NXW_OK ? "a normal return" : st_call_error(&call));
}

/* assert_invalid and assert_malformed: the binary module must be rejected. */
static st_outcome st_cmd_assert_rejected(st_file *f, const json_t *cmd)
{
    const char *text = st_json_string(cmd, "text");
    nxw_module *m = NULL;
    nxw_error err;
    if (st_is_text_module(cmd)) return ST_SKIP;
    switch (st_load_module(f, cmd, &m, &err)) {
    case ST_IO_ERROR: return st_fail(f, "%s", err.message);
    case ST_LOADED: return st_fail(f, "expected \"%s\", got a valid module", text ? text : "?");
    default: break;
    }
    st_note(f, "expected \"%s\", got \"%s\"", text ? text : "?", st_error_text(&err, err.status));
    return ST_PASS;
}

static st_outcome st_cmd_assert_unlinkable(st_file *f, const json_t *cmd)
{
    const char *text = st_json_string(cmd, "text");
    nxw_module *m = NULL;
    nxw_instance *inst = NULL;
    nxw_error err;
    if (st_is_text_module(cmd)) return ST_SKIP;
    st_load load = st_load_module(f, cmd, &m, &err);
    if (load == ST_IO_ERROR) return st_fail(f, "%s", err.message);
    nxw_status status = load == ST_LOADED ? st_instantiate(f, m, &inst, &err) : err.status;
    if (load == ST_REJECTED || status == NXW_ERR_UNLINKABLE) {
        st_note(f, "expected \"%s\", got \"%s\"", text ? text : "?", st_error_text(&err, status));
        return ST_PASS;
    }
    return st_fail(f, "expected unlinkable (\"%s\"), got %s", text ? text : "?",
                   status == NXW_OK ? "a successful instantiation"
                                    : st_error_text(&err, status));
}

static st_outcome st_cmd_assert_uninstantiable(st_file *f, const json_t *cmd)
{
    const char *text = st_json_string(cmd, "text");
    nxw_module *m = NULL;
    nxw_instance *inst = NULL;
    nxw_error err;
    if (st_is_text_module(cmd)) return ST_SKIP;
    switch (st_load_module(f, cmd, &m, &err)) {
    case ST_IO_ERROR: return st_fail(f, "%s", err.message);
    case ST_REJECTED:
        return st_fail(f, "expected trap \"%s\" at instantiation, got %s", text ? text : "?",
                       st_error_text(&err, err.status));
    default: break;
    }
    nxw_status status = st_instantiate(f, m, &inst, &err);
    if (status != NXW_ERR_TRAP)
        return st_fail(f, "expected trap \"%s\" at instantiation, got %s", text ? text : "?",
                       status == NXW_OK ? "a successful instantiation"
                                        : st_error_text(&err, status));
    st_note(f, "expected trap \"%s\", got \"%s\"", text ? text : "?", st_error_text(&err, status));
    return ST_PASS;
}

typedef st_outcome (*st_command_fn)(st_file *f, const json_t *cmd);

static st_command_fn st_command_handler(const char *type)
{
    static const struct {
        const char *type;
        st_command_fn run;
    } handlers[] = {
        {"module", st_cmd_module},
        {"register", st_cmd_register},
        {"action", st_cmd_action},
        {"assert_return", st_cmd_assert_return},
        {"assert_trap", st_cmd_assert_trap},
        {"assert_exhaustion", st_cmd_assert_exhaustion},
        {"assert_invalid", st_cmd_assert_rejected},
        {"assert_malformed", st_cmd_assert_rejected},
        {"assert_unlinkable", st_cmd_assert_unlinkable},
        {"assert_uninstantiable", st_cmd_assert_uninstantiable},
    };
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].type, type) == 0) return handlers[i].run;
    return NULL;
}

static st_outcome st_run_command(st_file *f, const json_t *cmd)
{
    const char *type = st_json_string(cmd, "type");
    json_int_t line = json_integer_value(json_object_get(cmd, "line"));
    f->line = (long)line;
    f->command = type ? type : "?";
    if (!json_is_object(cmd)) return st_fail(f, "command is not a JSON object");
    st_command_fn run = type ? st_command_handler(type) : NULL;
    if (!run) return st_fail(f, "unknown command type");
    return run(f, cmd);
}

static void st_count(st_counts *counts, st_outcome outcome)
{
    switch (outcome) {
    case ST_PASS: counts->passed++; break;
    case ST_FAIL: counts->failed++; break;
    default: counts->skipped++; break;
    }
}

/* ---------------------------------------------------------------- files */

/* Reports a problem with the file as a whole (counted as one failure). */
static void st_file_error(st_file *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void st_file_error(st_file *f, const char *fmt, ...)
{
    printf("%s: error: ", f->json_path);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    f->counts.failed++;
}

static bool st_file_load_json(st_file *f)
{
    json_error_t jerr;
    f->root = json_load_file(f->json_path, JSON_ALLOW_NUL, &jerr);
    if (!f->root && jerr.line < 0) {
        st_file_error(f, "cannot load JSON: %s", jerr.text);
        return false;
    }
    if (!f->root) {
        st_file_error(f, "cannot load JSON (line %d, column %d): %s", jerr.line, jerr.column,
                      jerr.text);
        return false;
    }
    if (!json_is_array(json_object_get(f->root, "commands"))) {
        st_file_error(f, "not a wast2json script (no \"commands\" array)");
        return false;
    }
    const char *source = st_json_string(f->root, "source_filename");
    f->source = st_strdup(st_basename(source ? source : f->json_path));
    f->dir = st_dirname_of(f->json_path);
    if (!f->source || !f->dir) {
        st_file_error(f, "out of memory");
        return false;
    }
    return true;
}

static bool st_file_setup_engine(st_file *f)
{
    nxw_error err;
    st_error_clear(&err);
    f->store = nxw_store_new();
    f->linker = nxw_linker_new();
    if (!f->store || !f->linker) {
        st_file_error(f, "cannot create a store and linker: out of memory");
        return false;
    }
    if (!st_define_spectest(f, &err)) {
        st_file_error(f, "cannot define the spectest module: %s", err.message);
        return false;
    }
    return true;
}

/* Commands whose module is instantiated (and so runs as native code with --aot). */
static bool st_command_instantiates(const json_t *cmd)
{
    const char *type = st_json_string(cmd, "type");
    if (!type || !json_object_get(cmd, "filename") || st_is_text_module(cmd)) return false;
    return strcmp(type, "module") == 0 || strcmp(type, "assert_unlinkable") == 0 ||
           strcmp(type, "assert_uninstantiable") == 0 || strcmp(type, "assert_trap") == 0;
}

/* --aot: translates every module the script instantiates and compiles them together
 * (a module that cannot be read or loaded is left to its command to report). */
static bool st_file_prepare_aot(st_file *f)
{
    char msg[256];
    const char *cc = getenv("NEXUS_AOT_CC");
    const char *const include_dirs[2] = {NEXUS_AOT_WASM_DIR, NEXUS_AOT_INCLUDE_DIR};
    f->aot = st_aot_new(cc && *cc ? cc : NEXUS_AOT_CC, include_dirs, f->aot_optimize, msg,
                        sizeof msg);
    if (!f->aot) {
        st_file_error(f, "ahead-of-time mode: %s", msg);
        return false;
    }
    const json_t *commands = json_object_get(f->root, "commands");
    size_t i;
    const json_t *cmd;
    json_array_foreach(commands, i, cmd) {
        if (!st_command_instantiates(cmd)) continue;
        const char *filename = st_json_string(cmd, "filename");
        char *path = st_join_path(f->dir, filename);
        uint8_t *bytes = NULL;
        size_t len = 0;
        nxw_error err;
        st_error_clear(&err);
        nxw_module *m = NULL;
        bool read = path && st_read_file(path, &bytes, &len, &err);
        free(path);
        if (read && nxw_module_new_with_features(bytes, len, f->features, &m, &err) == NXW_OK) {
            bool added = st_aot_add(f->aot, filename, m);
            nxw_module_free(m);
            if (!added) {
                free(bytes);
                st_file_error(f, "ahead-of-time mode: out of memory");
                return false;
            }
        }
        free(bytes);
    }
    st_aot_build(f->aot);
    return true;
}

static void st_file_run_commands(st_file *f)
{
    const json_t *commands = json_object_get(f->root, "commands");
    size_t i;
    const json_t *cmd;
    json_array_foreach(commands, i, cmd) {
        st_outcome outcome = st_run_command(f, cmd);
        if (outcome == ST_PASS) st_note(f, "ok");
        if (outcome == ST_SKIP) st_note(f, "skipped");
        st_count(&f->counts, outcome);
        fflush(stdout);
    }
}

static void st_file_release(st_file *f)
{
    nxw_linker_free(f->linker);
    nxw_store_free(f->store); /* instances first: modules must outlive them */
    for (size_t i = 0; i < f->module_count; i++) nxw_module_free(f->modules[i]);
    free(f->modules);
    st_aot_free(f->aot); /* after the modules: their native code lives in it */
    for (size_t i = 0; i < f->named_count; i++) free(f->named[i].name);
    free(f->named);
    json_decref(f->root);
    free(f->source);
    free(f->dir);
}

static void st_run_file(st_ctx *ctx, const char *path)
{
    st_file f;
    memset(&f, 0, sizeof f);
    f.verbose = ctx->verbose;
    f.features = &ctx->features;
    f.json_path = path;
    f.command = "?";
    f.aot_optimize = ctx->aot_optimize;
    if (st_file_load_json(&f) && st_file_setup_engine(&f) &&
        (!ctx->aot || st_file_prepare_aot(&f)))
        st_file_run_commands(&f);
    st_file_release(&f);
    printf("%s: %lu passed, %lu failed, %lu skipped", path, f.counts.passed, f.counts.failed,
           f.counts.skipped);
    if (ctx->aot)
        printf("; aot: %lu modules translated, %lu not translated", f.aot_counts.translated,
               f.aot_counts.not_translated);
    putchar('\n');
    fflush(stdout);
    ctx->totals.passed += f.counts.passed;
    ctx->totals.failed += f.counts.failed;
    ctx->totals.skipped += f.counts.skipped;
    ctx->aot_totals.translated += f.aot_counts.translated;
    ctx->aot_totals.not_translated += f.aot_counts.not_translated;
}

/* ---------------------------------------------------------------- command line */

static void st_usage(FILE *out)
{
    fprintf(out, "usage: nexus spectest [-v] [--aot | --aot-opt=LEVEL] [--disable-simd]\n"
                 "                       [--disable-bulk-memory] FILE.json...\n"
                 "Runs WebAssembly spec testsuite scripts converted by wast2json.\n"
                 "  -v, --verbose           report every command, trap texts and spectest prints\n"
                 "  --aot                   run every module as native code of the ahead-of-time\n"
                 "                          compiler: translated (nxw_aot_generate), compiled into\n"
                 "                          a shared object by the C compiler (" NEXUS_AOT_CC ";\n"
                 "                          NEXUS_AOT_CC overrides it) in a temporary directory,\n"
                 "                          loaded and attached; modules the translator does not\n"
                 "                          support (SIMD) are interpreted\n"
                 "                          and counted as not translated\n"
                 "  --aot-opt=LEVEL         --aot, compiling with -OLEVEL (0, 1, 2, 3 or s;\n"
                 "                          default 0)\n"
                 "  --disable-simd          validate modules without the SIMD feature\n"
                 "  --disable-bulk-memory   validate modules without the bulk memory feature\n");
}

/* Splits argv into options and file names; returns -1 to go on, else an exit status. */
static int st_parse_command_line(int argc, char **argv, st_ctx *ctx, char **files,
                                 size_t *nfiles)
{
    bool options_done = false;
    *nfiles = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            files[(*nfiles)++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            ctx->verbose = true;
        } else if (strcmp(arg, "--aot") == 0) {
            ctx->aot = true;
        } else if (strncmp(arg, "--aot-opt=", 10) == 0 && strlen(arg) == 11 &&
                   strchr("0123s", arg[10])) {
            ctx->aot = true;
            snprintf(ctx->aot_optimize, sizeof ctx->aot_optimize, "-O%c", arg[10]);
        } else if (strcmp(arg, "--disable-simd") == 0) {
            ctx->features.simd = false;
        } else if (strcmp(arg, "--disable-bulk-memory") == 0) {
            ctx->features.bulk_memory = false;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            st_usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "nexus spectest: unknown option %s\n", arg);
            st_usage(stderr);
            return 2;
        }
    }
    if (*nfiles == 0) {
        fprintf(stderr, "nexus spectest: no JSON files given\n");
        st_usage(stderr);
        return 2;
    }
    return -1;
}

int nx_spectest_main(int argc, char **argv)
{
    st_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.features = nxw_features_all();
    snprintf(ctx.aot_optimize, sizeof ctx.aot_optimize, "-O0");
    if (argc < 1) return 2;
    char **files = calloc((size_t)argc, sizeof *files);
    if (!files) {
        fprintf(stderr, "nexus spectest: out of memory\n");
        return 1;
    }
    size_t nfiles = 0;
    int status = st_parse_command_line(argc, argv, &ctx, files, &nfiles);
    if (status < 0) {
        for (size_t i = 0; i < nfiles; i++) st_run_file(&ctx, files[i]);
        if (ctx.aot)
            printf("aot: %lu modules translated, %lu not translated (run in the interpreter)\n",
                   ctx.aot_totals.translated, ctx.aot_totals.not_translated);
        printf("%lu passed, %lu failed, %lu skipped\n", ctx.totals.passed, ctx.totals.failed,
               ctx.totals.skipped);
        fflush(stdout);
        status = ctx.totals.failed == 0 ? 0 : 1;
    }
    free(files);
    return status;
}
