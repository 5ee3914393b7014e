/*
 * test_robust.c — robustness of the engine's public API against corrupted modules.
 *
 * Every WAT fixture (compiled into NEXUS_FIXTURE_DIR) and two hand-made modules serve as
 * seeds. A deterministic PRNG derives a few thousand mutants from them (bit flips, random
 * bytes, truncations, insertions, deletions, "LEB extensions" that re-encode a byte as a
 * longer LEB128, interesting byte values), and every prefix of every seed is tried too.
 * For each input, nxw_module_new must either succeed or fail with MALFORMED/INVALID/NOMEM
 * and a non-empty message. A module that decodes is introspected (imports, exports,
 * custom sections, function names); if it has no imports it is instantiated in a fresh
 * store with small limits, and its exports whose parameters are all numeric are called
 * with zero and with pseudo-random arguments. Traps are fine; crashes, leaks, UB and
 * hangs are not (the suite also runs under ASan+UBSan+LSan, which do the checking).
 *
 * Hangs: the engine has no fuel/instruction budget, so running arbitrary mutants could
 * loop forever. In WebAssembly only `loop` (opcode 0x03) branches backwards, and only
 * memory.grow (0x40 0x00) can make memory huge, so wasm code runs (start function or
 * exports) only for mutants whose code section contains no 0x03 and no 0x40 byte at all
 * — a conservative byte scan, since a mutation can turn any byte into an opcode. The
 * loop-free seeds (traps, recurse, mixed, counter, hand-made #1) are written so that
 * their code sections avoid those bytes (checked by test_seeds_are_sound). Recursion is
 * bounded by a call depth limit of 12: small because a mutant may call itself several
 * times per activation, making the call tree exponential in the depth.
 *
 * Built twice: test_robust interprets everything; test_robust_aot (NEXUS_TEST_AOT,
 * tests/wasm/aot.cmake) runs a module natively when its bytes are exactly those of a
 * fixture (the fixture's ahead-of-time compiled code attaches; a mutant is another
 * module, which nxw_module_attach_aot refuses), and test_seeds_are_sound checks that
 * the runnable seeds' exports give the same results and traps natively as interpreted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nexus_wasm.h"
#ifdef NEXUS_TEST_AOT
#include "aot_fixtures.h"
#endif

#ifndef NEXUS_FIXTURE_DIR
#error "NEXUS_FIXTURE_DIR must name the folder of the compiled .wasm fixtures"
#endif

enum {
    MUTANTS_PER_SEED = 1000,
    CALL_DEPTH = 12,
    MAX_RUN_MEMORY = 16 << 20, /* exports of instances with larger memories are not called */
};

/* Fixtures used as seeds; `runnable` says its code is loop-free and without memory.grow
 * (see above), i.e. mutants of it are expected to get their exports called. */
static const struct {
    const char *name;
    bool runnable;
} fixtures[] = {
    {"traps", true},    {"recurse", true},  {"mixed", true},   {"counter", true},
    {"memory", false},  {"globals", false}, {"host", false},   {"reenter", false},
};
#define NFIXTURES (sizeof fixtures / sizeof *fixtures)

/* Hand-made #1 (loop-free): a start function setting a global and memory, an active
 * element segment, active and passive data, a multi-value function, call_indirect and
 * a block with parameters:
 *   (type $ii_i (func (param i32 i32) (result i32)))
 *   (type $pair (func (result i32 i64)))
 *   (memory 1 1) (table 2 2 funcref) (global $g (mut i32) (i32.const 0))
 *   (elem (i32.const 1) $pair) (data (i32.const 0) "abcd") (data "pass")
 *   (func $start (global.set $g (i32.const 5)) (i32.store (i32.const 8) (i32.const 9)))
 *   (start $start)
 *   (func $pair (export "pair") (type $pair) (global.get $g) (i64.load align=4 (i32.const 0)))
 *   (func (export "via_table") (param i32) (result i32)
 *     (call_indirect (type $pair) (local.get 0)) (drop))
 *   (func (export "multi") (param i32 i32) (result i32) (local.get 0) (local.get 1)
 *     (if (param i32 i32) (result i32) (global.get $g) (then (i32.sub)) (else (i32.add))))
 */
static const uint8_t hand_start[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x14, 0x04, 0x60, 0x02, 0x7f, 0x7f,
    0x01, 0x7f, 0x60, 0x00, 0x02, 0x7f, 0x7e, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x03, 0x05, 0x04, 0x02, 0x01, 0x03, 0x00, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x02, 0x05,
    0x04, 0x01, 0x01, 0x01, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x1c,
    0x03, 0x04, 0x70, 0x61, 0x69, 0x72, 0x00, 0x01, 0x09, 0x76, 0x69, 0x61, 0x5f, 0x74, 0x61,
    0x62, 0x6c, 0x65, 0x00, 0x02, 0x05, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x00, 0x03, 0x08, 0x01,
    0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x01, 0x0b, 0x01, 0x01, 0x0a, 0x31, 0x04, 0x0d, 0x00,
    0x41, 0x05, 0x24, 0x00, 0x41, 0x08, 0x41, 0x09, 0x36, 0x02, 0x00, 0x0b, 0x09, 0x00, 0x23,
    0x00, 0x41, 0x00, 0x29, 0x02, 0x00, 0x0b, 0x08, 0x00, 0x20, 0x00, 0x11, 0x01, 0x00, 0x1a,
    0x0b, 0x0e, 0x00, 0x20, 0x00, 0x20, 0x01, 0x23, 0x00, 0x04, 0x00, 0x6b, 0x05, 0x6a, 0x0b,
    0x0b, 0x0b, 0x10, 0x02, 0x00, 0x41, 0x00, 0x0b, 0x04, 0x61, 0x62, 0x63, 0x64, 0x01, 0x04,
    0x70, 0x61, 0x73, 0x73,
};

/* Hand-made #2 (has a loop and memory.grow: decoded and instantiated, never run):
 *   (memory 1)
 *   (func (export "count") (param i32) (result i32) (local i32)
 *     (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))
 *       (local.set 1 (i32.add (local.get 1) (local.get 0)))
 *       (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
 *     (memory.grow (i32.const 0)) (i32.add (local.get 1)))
 */
static const uint8_t hand_loop[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x09, 0x01, 0x05, 0x63,
    0x6f, 0x75, 0x6e, 0x74, 0x00, 0x00, 0x0a, 0x28, 0x01, 0x26, 0x01, 0x01, 0x7f, 0x02, 0x40,
    0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01, 0x20, 0x00, 0x6a, 0x21, 0x01, 0x20,
    0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b, 0x41, 0x00, 0x40, 0x00, 0x20,
    0x01, 0x6a, 0x0b,
};

/* ------------------------------------------------------------------ helpers */

static uint8_t *read_fixture(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", NEXUS_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 8);
    rewind(f);
    uint8_t *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* xorshift64*: deterministic, seeded per test. */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Du;
}

static size_t below(rng *r, size_t n) { return n ? (size_t)(rnd(r) % n) : 0; }

/* What the section scan of a decoded module found. */
typedef struct scan {
    bool has_start;
    bool runnable; /* code section free of 0x03 (loop) and 0x40 (memory.grow) bytes */
} scan;

static bool read_leb_u32(const uint8_t *b, size_t len, size_t *pos, uint32_t *out) {
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*pos >= len) return false;
        uint8_t byte = b[(*pos)++];
        v |= (uint32_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static scan scan_sections(const uint8_t *b, size_t len) {
    scan sc = {.has_start = false, .runnable = true};
    size_t pos = 8;
    while (pos < len) {
        uint8_t id = b[pos++];
        uint32_t size;
        if (!read_leb_u32(b, len, &pos, &size) || size > len - pos) {
            sc.runnable = false; /* cannot happen for a decoded module; be conservative */
            sc.has_start = true;
            return sc;
        }
        if (id == 8) sc.has_start = true;
        if (id == 10 && (memchr(b + pos, 0x03, size) || memchr(b + pos, 0x40, size)))
            sc.runnable = false;
        pos += size;
    }
    return sc;
}

typedef struct stats {
    unsigned inputs, decoded, instantiated, calls, traps;
    unsigned native;  /* modules that ran with native code attached */
    uint64_t digest;  /* of every call's outcome: results, or trap, function and message */
} stats;

static void fold(stats *st, uint64_t x) { st->digest = (st->digest ^ x) * 0x100000001B3u; }

/* Folds a result into st->digest. NaN payloads of float results may legitimately
 * differ between executions of the same arithmetic: every NaN counts the same. */
static void fold_value(stats *st, nxw_value v) {
    uint64_t bits = (uint64_t)v.of.i64;
    if (v.type == NXW_I32 || v.type == NXW_F32) bits = v.of.f32_bits;
    if (v.type == NXW_F32 && (bits & 0x7F800000u) == 0x7F800000u && (bits & 0x7FFFFFu)) bits = 0x7FC00000u;
    if (v.type == NXW_F64 && (bits & 0x7FF0000000000000u) == 0x7FF0000000000000u &&
        (bits & 0xFFFFFFFFFFFFFu))
        bits = 0x7FF8000000000000u;
    fold(st, (uint64_t)v.type);
    fold(st, bits);
}

/* When set, exercise() never attaches native code (the reference run of a seed). */
static bool interpreted_only;

/* In the NEXUS_TEST_AOT build: attaches to m the native code of the fixture whose bytes
 * it has, if any (unless interpreted_only). True when attached. */
static bool attach_native(nxw_module *m);

static bool numeric(nxw_valtype t) {
    return t == NXW_I32 || t == NXW_I64 || t == NXW_F32 || t == NXW_F64;
}

/* Reads every name and payload the module exposes (ASan checks the pointers). */
static void introspect(const nxw_module *m) {
    unsigned sum = 0;
    for (uint32_t i = 0, n = nxw_module_import_count(m); i < n; i++) {
        const char *mod, *name;
        size_t mlen, nlen;
        nxw_externkind kind;
        nxw_module_import(m, i, &mod, &mlen, &name, &nlen, &kind);
        for (size_t k = 0; k < mlen; k++) sum += (uint8_t)mod[k];
        for (size_t k = 0; k < nlen; k++) sum += (uint8_t)name[k];
        assert_true(kind <= NXW_EXTERN_GLOBAL);
    }
    for (uint32_t i = 0, n = nxw_module_export_count(m); i < n; i++) {
        const char *name;
        size_t nlen;
        nxw_externkind kind;
        nxw_module_export(m, i, &name, &nlen, &kind);
        for (size_t k = 0; k < nlen; k++) sum += (uint8_t)name[k];
        assert_true(kind <= NXW_EXTERN_GLOBAL);
    }
    for (uint32_t i = 0, n = nxw_module_custom_count(m); i < n; i++) {
        const char *name;
        size_t nlen, dlen;
        const uint8_t *data;
        nxw_module_custom(m, i, &name, &nlen, &data, &dlen);
        for (size_t k = 0; k < nlen; k++) sum += (uint8_t)name[k];
        for (size_t k = 0; k < dlen; k++) sum += data[k];
    }
    for (uint32_t i = 0; i < 64; i++) {
        const char *name = nxw_module_func_name(m, i);
        if (name) sum += (unsigned)strlen(name);
    }
    assert_true(sum != 1u << 31); /* keep the reads */
}

static void check_failure(nxw_status st, const nxw_error *err) {
    assert_int_equal(err->status, st);
    assert_non_null(memchr(err->message, '\0', sizeof err->message));
    assert_true(err->message[0] != '\0');
}

/* Calls every export of inst whose parameters are all numeric, with zeros and with
 * pseudo-random arguments. */
static void call_exports(nxw_store *s, const nxw_module *m, nxw_instance *inst, rng *r,
                         stats *st) {
    for (uint32_t i = 0, n = nxw_module_export_count(m); i < n; i++) {
        const char *name;
        size_t nlen;
        nxw_externkind kind;
        nxw_module_export(m, i, &name, &nlen, &kind);
        if (kind != NXW_EXTERN_FUNC) continue;
        nxw_extern ext;
        assert_true(nxw_instance_export(inst, name, nlen, &ext));
        assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
        nxw_func *f = ext.of.func;
        uint32_t np = nxw_func_param_count(f), nr = nxw_func_result_count(f);
        bool ok = true;
        for (uint32_t k = 0; k < np; k++) ok = ok && numeric(nxw_func_param_type(f, k));
        if (!ok) continue;
        nxw_value *args = calloc(np + 1, sizeof *args);
        nxw_value *res = calloc(nr + 1, sizeof *res);
        assert_non_null(args);
        assert_non_null(res);
        for (int round = 0; round < 2; round++) {
            for (uint32_t k = 0; k < np; k++) {
                args[k].type = nxw_func_param_type(f, k);
                args[k].of.i64 = round == 0 ? 0 : (int64_t)rnd(r);
                if (args[k].type == NXW_I32 || args[k].type == NXW_F32)
                    args[k].of.f32_bits = (uint32_t)args[k].of.i64;
            }
            nxw_error err;
            memset(&err, 0, sizeof err);
            nxw_status cs = nxw_func_call(s, f, args, np, res, nr, NULL, &err);
            st->calls++;
            fold(st, (uint64_t)cs);
            if (cs == NXW_OK) {
                for (uint32_t k = 0; k < nr; k++) assert_int_equal(res[k].type, nxw_func_result_type(f, k));
                for (uint32_t k = 0; k < nr; k++) fold_value(st, res[k]);
            } else {
                assert_int_equal(cs, NXW_ERR_TRAP);
                check_failure(cs, &err);
                assert_true(err.trap > NXW_TRAP_NONE && err.trap < NXW_TRAP__COUNT);
                st->traps++;
                fold(st, (uint64_t)err.trap);
                fold(st, err.func_index);
                for (const char *c = err.message; *c; c++) fold(st, (uint8_t)*c);
            }
        }
        free(args);
        free(res);
    }
}

static bool attach_native(nxw_module *m) {
#ifdef NEXUS_TEST_AOT
    if (interpreted_only) return false;
    for (size_t i = 0; i < NFIXTURES; i++) {
        const nxw_aot_code *code = aot_fixture(fixtures[i].name);
        nxw_error err;
        if (code && nxw_module_attach_aot(m, code, &err) == NXW_OK) {
            assert_true(nxw_module_has_aot(m));
            return true;
        }
    }
#else
    (void)m;
#endif
    return false;
}

/* Decodes, and when possible instantiates and runs, one input. */
static void exercise(const uint8_t *bytes, size_t len, rng *r, stats *st) {
    st->inputs++;
    nxw_module *m = NULL;
    nxw_error err;
    memset(&err, 0, sizeof err);
    nxw_status ms = nxw_module_new(bytes, len, &m, &err);
    if (ms != NXW_OK) {
        assert_null(m);
        assert_true(ms == NXW_ERR_MALFORMED || ms == NXW_ERR_INVALID || ms == NXW_ERR_NOMEM);
        check_failure(ms, &err);
        return;
    }
    assert_non_null(m);
    st->decoded++;
    if (attach_native(m)) st->native++;
    introspect(m);
    scan sc = scan_sections(bytes, len);
    if (nxw_module_import_count(m) == 0 && (sc.runnable || !sc.has_start)) {
        nxw_store *s = nxw_store_new();
        assert_non_null(s);
        nxw_limits lim = {.max_call_depth = CALL_DEPTH, .stack_bytes = 64 * 1024};
        nxw_store_set_limits(s, &lim);
        nxw_instance *inst = NULL;
        memset(&err, 0, sizeof err);
        nxw_status is = nxw_instantiate(s, m, NULL, &inst, &err);
        if (is == NXW_OK) {
            assert_non_null(inst);
            st->instantiated++;
            nxw_memory *mem = nxw_instance_memory(inst);
            if (sc.runnable && (!mem || nxw_memory_size(mem) <= MAX_RUN_MEMORY))
                call_exports(s, m, inst, r, st);
        } else {
            assert_null(inst);
            assert_true(is == NXW_ERR_TRAP || is == NXW_ERR_NOMEM);
            check_failure(is, &err);
        }
        nxw_store_free(s);
    }
    nxw_module_free(m);
}

/* Applies 1-3 random mutations to a copy of seed; returns it (malloc'd). */
static uint8_t *mutate(const uint8_t *seed, size_t seed_len, rng *r, size_t *out_len) {
    size_t cap = seed_len + 64, len = seed_len;
    uint8_t *b = malloc(cap);
    assert_non_null(b);
    memcpy(b, seed, seed_len);
    static const uint8_t interesting[] = {0x00, 0x01, 0x03, 0x0B, 0x40, 0x7F, 0x80, 0xFF, 0x10, 0x11};
    int nmut = below(r, 4) ? 1 : 2 + (int)below(r, 2); /* mostly single mutations */
    for (int i = 0; i < nmut && len > 8; i++) {
        /* mostly past the header, where the interesting structure is */
        size_t p = below(r, 8) == 0 ? below(r, len) : 8 + below(r, len - 8);
        switch (below(r, 8)) {
        case 0: b[p] ^= (uint8_t)(1u << below(r, 8)); break;
        case 1: b[p] = (uint8_t)rnd(r); break;
        case 2: b[p] = interesting[below(r, sizeof interesting)]; break;
        case 3: len = 8 + below(r, len - 8); break; /* truncate */
        case 4:                                    /* insert 1-4 random bytes */
            for (size_t k = 0, n = 1 + below(r, 4); k < n && len < cap; k++) {
                memmove(b + p + 1, b + p, len - p);
                b[p] = (uint8_t)rnd(r);
                len++;
            }
            break;
        case 5: /* delete a byte */
            memmove(b + p, b + p + 1, len - p - 1);
            len--;
            break;
        case 6: /* LEB extension: b -> (b | 0x80) 0x00, same value one byte longer */
            if (b[p] < 0x80 && len < cap) {
                memmove(b + p + 2, b + p + 1, len - p - 1);
                b[p] |= 0x80;
                b[p + 1] = 0x00;
                len++;
            }
            break;
        default: /* small arithmetic change (sizes, indices, counts) */
            b[p] = (uint8_t)(b[p] + (below(r, 2) ? 1 : -1));
            break;
        }
    }
    *out_len = len;
    return b;
}

static void mutate_seed(const uint8_t *seed, size_t len, uint64_t salt, unsigned count,
                        stats *st) {
    rng r = {0x243F6A8885A308D3u ^ (salt * 0x9E3779B97F4A7C15u)};
    for (unsigned i = 0; i < count; i++) {
        size_t mlen;
        uint8_t *mut = mutate(seed, len, &r, &mlen);
        exercise(mut, mlen, &r, st);
        free(mut);
    }
}

/* ------------------------------------------------------------------ tests */

/* The seeds themselves decode, and the "runnable" ones are loop-free as promised:
 * otherwise the mutation tests would silently stop calling code. */
static void test_seeds_are_sound(void **state) {
    (void)state;
    for (size_t i = 0; i < NFIXTURES; i++) {
        size_t len;
        uint8_t *b = read_fixture(fixtures[i].name, &len);
        nxw_module *m = NULL;
        nxw_error err;
        if (nxw_module_new(b, len, &m, &err) != NXW_OK) fail_msg("%s: %s", fixtures[i].name, err.message);
        scan sc = scan_sections(b, len);
        if (sc.runnable != fixtures[i].runnable)
            fail_msg("fixture %s: code section %s 0x03/0x40 bytes", fixtures[i].name,
                     sc.runnable ? "has no" : "has");
        nxw_module_free(m);
        free(b);
    }
    nxw_module *m = NULL;
    assert_int_equal(nxw_module_new(hand_start, sizeof hand_start, &m, NULL), NXW_OK);
    nxw_module_free(m);
    assert_true(scan_sections(hand_start, sizeof hand_start).runnable);
    assert_true(scan_sections(hand_start, sizeof hand_start).has_start);
    assert_int_equal(nxw_module_new(hand_loop, sizeof hand_loop, &m, NULL), NXW_OK);
    nxw_module_free(m);
    assert_false(scan_sections(hand_loop, sizeof hand_loop).runnable);
    /* and running the unmutated seeds works (calls, traps and all) */
    stats st = {0};
    rng r = {1};
    exercise(hand_start, sizeof hand_start, &r, &st);
    assert_int_equal(st.instantiated, 1);
    assert_int_equal(st.calls, 6);
    /* so do the runnable fixtures' exports, with the same outcomes every time; in the
     * AOT build the second run is native and must match the interpreted one */
    for (size_t i = 0; i < NFIXTURES; i++) {
        if (!fixtures[i].runnable) continue;
        size_t len;
        uint8_t *b = read_fixture(fixtures[i].name, &len);
        stats ref = {0}, run = {0};
        rng r1 = {i + 1}, r2 = {i + 1};
        interpreted_only = true;
        exercise(b, len, &r1, &ref);
        interpreted_only = false;
        exercise(b, len, &r2, &run);
        free(b);
        assert_int_equal(ref.native, 0);
#ifdef NEXUS_TEST_AOT
        if (run.native != 1) fail_msg("fixture %s: native code not attached", fixtures[i].name);
#endif
        assert_int_equal(ref.instantiated, 1);
        assert_int_equal(run.instantiated, 1);
        assert_true(ref.calls > 0);
        assert_int_equal(run.calls, ref.calls);
        assert_int_equal(run.traps, ref.traps);
        if (run.digest != ref.digest)
            fail_msg("fixture %s: outcomes differ from the interpreter's", fixtures[i].name);
    }
}

static void test_mutants_of_fixtures(void **state) {
    (void)state;
    stats st = {0};
    for (size_t i = 0; i < NFIXTURES; i++) {
        size_t len;
        uint8_t *seed = read_fixture(fixtures[i].name, &len);
        mutate_seed(seed, len, i + 1, MUTANTS_PER_SEED, &st);
        free(seed);
    }
    print_message("fixture mutants: %u inputs, %u decoded, %u instantiated, %u calls, %u traps\n",
                  st.inputs, st.decoded, st.instantiated, st.calls, st.traps);
    assert_int_equal(st.inputs, NFIXTURES * MUTANTS_PER_SEED);
    /* the mutations must not be so destructive that nothing gets past the decoder */
    assert_true(st.decoded > st.inputs / 20);
    assert_true(st.instantiated > 100);
    assert_true(st.calls > 500);
    assert_true(st.traps > 0);
}

static void test_mutants_of_hand_made_modules(void **state) {
    (void)state;
    stats st = {0};
    mutate_seed(hand_start, sizeof hand_start, 101, MUTANTS_PER_SEED, &st);
    mutate_seed(hand_loop, sizeof hand_loop, 102, MUTANTS_PER_SEED, &st);
    print_message("hand-made mutants: %u inputs, %u decoded, %u instantiated, %u calls, %u traps\n",
                  st.inputs, st.decoded, st.instantiated, st.calls, st.traps);
    assert_true(st.decoded > st.inputs / 20);
    assert_true(st.instantiated > 20);
    assert_true(st.calls > 50);
}

/* Every proper prefix of every seed is rejected as malformed (a module cannot end in
 * the middle of a section), with the offset inside the input. */
static void test_every_prefix_is_malformed(void **state) {
    (void)state;
    stats st = {0};
    rng r = {7};
    for (size_t i = 0; i < NFIXTURES + 2; i++) {
        size_t len;
        uint8_t *seed = i < NFIXTURES ? read_fixture(fixtures[i].name, &len) : NULL;
        const uint8_t *b = seed ? seed : i == NFIXTURES ? hand_start : hand_loop;
        if (!seed) len = i == NFIXTURES ? sizeof hand_start : sizeof hand_loop;
        for (size_t n = 0; n < len; n++) {
            /* a prefix ending exactly between sections is a valid module */
            size_t pos = 8;
            bool boundary = n == 8;
            while (!boundary && pos < n) {
                uint32_t size;
                pos++;
                if (!read_leb_u32(b, len, &pos, &size)) break;
                pos += size;
                boundary = pos == n;
            }
            nxw_module *m = NULL;
            nxw_error err;
            memset(&err, 0, sizeof err);
            nxw_status ms = nxw_module_new(b, n, &m, &err);
            if (boundary) {
                exercise(b, n, &r, &st);
                nxw_module_free(m);
                continue;
            }
            if (ms != NXW_ERR_MALFORMED)
                fail_msg("seed %zu prefix %zu: status %d (%s)", i, n, ms, err.message);
            assert_null(m);
            check_failure(ms, &err);
            assert_true(err.offset <= n);
        }
        free(seed);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seeds_are_sound),
        cmocka_unit_test(test_mutants_of_fixtures),
        cmocka_unit_test(test_mutants_of_hand_made_modules),
        cmocka_unit_test(test_every_prefix_is_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
