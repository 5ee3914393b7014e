/*
 * test_simd.c — unit tests of fixed-width SIMD (v128) beyond what the spec testsuite
 * shows: the optional-feature switches (nxw_features: modules using SIMD or bulk memory
 * are rejected when the feature is off, with a message naming it, and accepted when it
 * is on); v128 values crossing the API next to scalars (nxw_func_call arguments and
 * results, host function arguments and results, nxw_resume after a suspension, globals
 * made by the embedder, imported, exported, snapshotted and reset); and translated code
 * where v128 values share frames, blocks, loops, branches, select, call_indirect and
 * recursion with one-slot values (a v128 takes two frame slots, see src/wasm/code.h).
 *
 * Modules: the WAT fixture tests/wasm/fixtures/simd.wat (converted by wat2wasm into
 * NEXUS_FIXTURE_DIR) and small binaries built here around one function body.
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

#ifndef NEXUS_FIXTURE_DIR
#error "NEXUS_FIXTURE_DIR must name the folder of the compiled .wasm fixtures"
#endif

/* ------------------------------------------------------------------ helpers */

/* What a test creates; freed by the teardown (store before module). */
typedef struct env {
    nxw_module *mod;
    nxw_store *store;
    nxw_linker *linker;
    nxw_instance *inst;
    nxw_global *g;        /* the global imported as env.g */
    nxw_snapshot *snap;
    int lanes_calls;      /* calls of the host function env.lanes */
} env;

static int env_setup(void **state) {
    *state = calloc(1, sizeof(env));
    return *state ? 0 : -1;
}

static int env_teardown(void **state) {
    env *e = *state;
    nxw_snapshot_free(e->snap);
    nxw_store_free(e->store);
    nxw_linker_free(e->linker);
    nxw_module_free(e->mod);
    free(e);
    return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

static uint8_t *read_fixture(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", NEXUS_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)n)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        fail_msg("cannot read %s", path);
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* A v128 from four i32 lanes (lane 0 first), and the lanes of one. */
static nxw_value v128_i32x4(uint32_t l0, uint32_t l1, uint32_t l2, uint32_t l3) {
    nxw_value v = {.type = NXW_V128};
    uint32_t lanes[4] = {l0, l1, l2, l3};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 4; k++) v.of.v128[4 * i + k] = (uint8_t)(lanes[i] >> (8 * k));
    return v;
}

static uint32_t lane32(const nxw_value *v, int i) {
    assert_int_equal(v->type, NXW_V128);
    uint32_t x = 0;
    for (int k = 3; k >= 0; k--) x = x << 8 | v->of.v128[4 * i + k];
    return x;
}

static void assert_i32x4(const nxw_value *v, uint32_t l0, uint32_t l1, uint32_t l2, uint32_t l3) {
    uint32_t want[4] = {l0, l1, l2, l3};
    for (int i = 0; i < 4; i++) {
        if (lane32(v, i) != want[i])
            fail_msg("lane %d: got 0x%08x, want 0x%08x", i, lane32(v, i), want[i]);
    }
}

static nxw_value vi32(int32_t x) { return (nxw_value){.type = NXW_I32, .of.i32 = x}; }

static nxw_value vf64(double x) {
    nxw_value v = {.type = NXW_F64};
    memcpy(&v.of.f64_bits, &x, sizeof x);
    return v;
}

/* env.lanes (i32 n, v128 a, f64 x, v128 b) -> (v128 a ^ b with byte 0 = n, i32 n * x). */
static nxw_trap host_lanes(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    (void)call;
    env *e = user;
    e->lanes_calls++;
    assert_int_equal(args[0].type, NXW_I32);
    assert_int_equal(args[1].type, NXW_V128);
    assert_int_equal(args[2].type, NXW_F64);
    assert_int_equal(args[3].type, NXW_V128);
    assert_int_equal(results[0].type, NXW_V128);
    assert_int_equal(results[1].type, NXW_I32);
    double x;
    memcpy(&x, &args[2].of.f64_bits, sizeof x);
    for (int i = 0; i < 16; i++) results[0].of.v128[i] = args[1].of.v128[i] ^ args[3].of.v128[i];
    results[0].of.v128[0] = (uint8_t)args[0].of.i32;
    results[1].of.i32 = (int32_t)(args[0].of.i32 * x);
    return NXW_TRAP_NONE;
}

/* env.pause (v128) -> v128: suspends the run (the embedder resumes it). */
static nxw_trap host_pause(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    (void)call;
    (void)user;
    (void)args;
    (void)results;
    return NXW_TRAP_SUSPEND;
}

/* Loads and instantiates simd.wat, its imports defined: env.g = i32x4 10 20 30 40. */
static void open_simd(env *e) {
    size_t len;
    uint8_t *bytes = read_fixture("simd", &len);
    nxw_error err;
    nxw_status st = nxw_module_new(bytes, len, &e->mod, &err);
    free(bytes);
    if (st != NXW_OK) fail_msg("simd.wasm: %s", err.message);
    e->store = nxw_store_new();
    e->linker = nxw_linker_new();
    assert_non_null(e->store);
    assert_non_null(e->linker);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "lanes", "(ivFv)vi", host_lanes, e, &err), NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "pause", "(v)v", host_pause, e, &err), NXW_OK);
    assert_int_equal(nxw_global_new(e->store, v128_i32x4(10, 20, 30, 40), true, &e->g, &err), NXW_OK);
    nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL, .of.global = e->g};
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "g", 1, ext, &err), NXW_OK);
    st = nxw_instantiate(e->store, e->mod, e->linker, &e->inst, &err);
    if (st != NXW_OK) fail_msg("instantiate simd.wasm: %s", err.message);
}

static nxw_func *export_func(env *e, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(e->inst, name, strlen(name), &ext)) fail_msg("no export %s", name);
    assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
    return ext.of.func;
}

static nxw_global *export_global(env *e, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(e->inst, name, strlen(name), &ext)) fail_msg("no export %s", name);
    assert_int_equal(ext.kind, NXW_EXTERN_GLOBAL);
    return ext.of.global;
}

/* Calls export `name`; fails the test unless it returns. */
static void call_ok(env *e, const char *name, const nxw_value *args, uint32_t nargs,
                    nxw_value *results, uint32_t nresults) {
    nxw_error err;
    nxw_status st = nxw_func_call(e->store, export_func(e, name), args, nargs, results, nresults,
                                  NULL, &err);
    if (st != NXW_OK) fail_msg("%s: %s", name, err.message);
}

/* ------------------------------------------------------------------ features */

/* A module of one function of type [] -> [i32] (with one page of memory when `memory`)
 * whose body (locals and code, `end` included) is `body`. */
static size_t module_around(const uint8_t *body, size_t body_len, bool memory, uint8_t *out) {
    static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
                                   0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F, /* type [] -> [i32] */
                                   0x03, 0x02, 0x01, 0x00};                  /* func 0: type 0 */
    static const uint8_t mem[] = {0x05, 0x03, 0x01, 0x00, 0x01};             /* memory 1 */
    size_t n = 0;
    memcpy(out, head, sizeof head);
    n += sizeof head;
    if (memory) {
        memcpy(out + n, mem, sizeof mem);
        n += sizeof mem;
    }
    assert_true(body_len < 120);
    out[n++] = 0x0A; /* code section */
    out[n++] = (uint8_t)(body_len + 2);
    out[n++] = 0x01;
    out[n++] = (uint8_t)body_len;
    memcpy(out + n, body, body_len);
    return n + body_len;
}

/* The module must load with every feature, and fail validation without `off` with a
 * message containing `feature` and `what`. */
static void expect_feature(const uint8_t *bytes, size_t len, bool simd_off, const char *feature,
                           const char *what) {
    nxw_module *m = NULL;
    nxw_error err;
    nxw_status st = nxw_module_new(bytes, len, &m, &err);
    if (st != NXW_OK) fail_msg("with every feature: %s", err.message);
    nxw_module_free(m);
    m = NULL;
    nxw_features all = nxw_features_all();
    assert_true(all.simd && all.bulk_memory);
    st = nxw_module_new_with_features(bytes, len, NULL, &m, &err); /* NULL: all */
    assert_int_equal(st, NXW_OK);
    nxw_module_free(m);
    m = NULL;
    nxw_features f = nxw_features_all();
    if (simd_off) f.simd = false;
    else f.bulk_memory = false;
    st = nxw_module_new_with_features(bytes, len, &f, &m, &err);
    assert_int_equal(st, NXW_ERR_INVALID);
    assert_null(m);
    if (!strstr(err.message, feature) || !strstr(err.message, what))
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.message, feature, what);
    /* the other feature alone changes nothing */
    f = nxw_features_all();
    if (simd_off) f.bulk_memory = false;
    else f.simd = false;
    st = nxw_module_new_with_features(bytes, len, &f, &m, &err);
    if (st != NXW_OK) fail_msg("without the other feature: %s", err.message);
    nxw_module_free(m);
}

#define SIMD_OFF "SIMD is disabled (feature simd)"
#define BULK_OFF "bulk memory is disabled (feature bulk_memory)"

static void test_simd_off_rejects_instruction(void **state) {
    (void)state;
    /* i32x4.extract_lane 0 (v128.const i32x4 7 0 0 0): no v128 outside the body */
    static const uint8_t body[] = {0x00, 0xFD, 0x0C, 7, 0, 0, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0, 0, 0, 0, 0, 0xFD, 0x1B, 0x00, 0x0B};
    uint8_t mod[256];
    size_t n = module_around(body, sizeof body, false, mod);
    expect_feature(mod, n, true, SIMD_OFF, "v128.const");
}

static void test_simd_off_rejects_v128_local(void **state) {
    (void)state;
    static const uint8_t body[] = {0x01, 0x01, 0x7B, 0x41, 0x00, 0x0B}; /* (local v128) i32.const 0 */
    uint8_t mod[256];
    size_t n = module_around(body, sizeof body, false, mod);
    expect_feature(mod, n, true, SIMD_OFF, "v128 local");
}

static void test_simd_off_rejects_v128_block_and_select(void **state) {
    (void)state;
    /* block (result v128) unreachable end drop i32.const 0 */
    static const uint8_t block[] = {0x00, 0x02, 0x7B, 0x00, 0x0B, 0x1A, 0x41, 0x00, 0x0B};
    /* unreachable select (result v128) drop i32.const 0 */
    static const uint8_t select[] = {0x00, 0x00, 0x1C, 0x01, 0x7B, 0x1A, 0x41, 0x00, 0x0B};
    uint8_t mod[256];
    size_t n = module_around(block, sizeof block, false, mod);
    expect_feature(mod, n, true, SIMD_OFF, "block of type v128");
    n = module_around(select, sizeof select, false, mod);
    expect_feature(mod, n, true, SIMD_OFF, "select of type v128");
}

static void test_simd_off_rejects_v128_types_and_globals(void **state) {
    (void)state;
    static const uint8_t param[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
                                    0x01, 0x05, 0x01, 0x60, 0x01, 0x7B, 0x00}; /* type [v128] -> [] */
    expect_feature(param, sizeof param, true, SIMD_OFF, "function type 0 uses v128");
    static const uint8_t global[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x06, 0x16, 0x01,
                                     0x7B, 0x00, 0xFD, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
                                     14, 15, 16, 0x0B}; /* (global v128 (v128.const ...)) */
    expect_feature(global, sizeof global, true, SIMD_OFF, "global 0 has type v128");
    static const uint8_t import[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x02, 0x08,
                                     0x01, 0x01, 'm', 0x01, 'g', 0x03, 0x7B, 0x00}; /* import m.g v128 */
    expect_feature(import, sizeof import, true, SIMD_OFF, "v128 global");
}

static void test_bulk_memory_off_rejects_instructions_and_segments(void **state) {
    (void)state;
    /* memory.fill (i32.const 0) (i32.const 0) (i32.const 0); i32.const 0 */
    static const uint8_t fill[] = {0x00, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00,
                                   0xFC, 0x0B, 0x00, 0x41, 0x00, 0x0B};
    uint8_t mod[256];
    size_t n = module_around(fill, sizeof fill, true, mod);
    expect_feature(mod, n, false, BULK_OFF, "memory.fill");
    static const uint8_t passive[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
                                      0x0B, 0x04, 0x01, 0x01, 0x01, 'x'}; /* (data "x") */
    expect_feature(passive, sizeof passive, false, BULK_OFF, "data segment 0 is passive");
    static const uint8_t datacount[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
                                        0x0C, 0x01, 0x00, 0x0B, 0x01, 0x00}; /* data count 0 */
    expect_feature(datacount, sizeof datacount, false, BULK_OFF, "data count section");
}

/* ------------------------------------------------------------------ values across the API */

static void test_v128_params_and_results_mixed_with_scalars(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value args[4] = {vi32(5), v128_i32x4(1, 2, 3, 0xFFFFFFFF), vf64(2.75), v128_i32x4(10, 20, 30, 1)};
    nxw_value res[3];
    call_ok(e, "mix", args, 4, res, 3);
    assert_i32x4(&res[0], 11, 22, 33, 0);
    assert_int_equal(res[1].type, NXW_I32);
    assert_int_equal(res[1].of.i32, 7);
    assert_i32x4(&res[2], 9, 18, 27, 0x01010102); /* bytes 01 00 00 00 - FF FF FF FF */
    /* a wrong argument type is refused */
    args[1] = vi32(0);
    nxw_error err;
    assert_int_equal(nxw_func_call(e->store, export_func(e, "mix"), args, 4, res, 3, NULL, &err),
                     NXW_ERR_ARGUMENT);
}

static void test_v128_through_host_function(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value args[2] = {v128_i32x4(0x0F0F0F0F, 1, 2, 3), v128_i32x4(0xF0F0F0F0, 1, 0, 3)};
    nxw_value res[2];
    call_ok(e, "via_host", args, 2, res, 2);
    assert_int_equal(e->lanes_calls, 1);
    assert_i32x4(&res[0], 0xFFFFFF07, 0, 2, 0);
    assert_int_equal(res[1].of.i32, 17); /* (int)(7 * 2.5) */
    /* the host function called directly by the embedder (re-exported by the module) */
    nxw_value direct[4] = {vi32(3), v128_i32x4(1, 2, 3, 4), vf64(-1.5), v128_i32x4(1, 0, 0, 4)};
    call_ok(e, "lanes", direct, 4, res, 2);
    assert_int_equal(e->lanes_calls, 2);
    assert_i32x4(&res[0], 3, 2, 3, 0);
    assert_int_equal(res[1].of.i32, -4); /* (int)(3 * -1.5) */
    nxw_func *f = export_func(e, "lanes");
    assert_int_equal(nxw_func_param_count(f), 4);
    assert_int_equal(nxw_func_param_type(f, 3), NXW_V128);
    assert_int_equal(nxw_func_result_type(f, 0), NXW_V128);
}

static void test_v128_host_result_after_suspension(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value arg = v128_i32x4(1, 2, 3, 4), res;
    nxw_error err;
    assert_int_equal(nxw_func_call(e->store, export_func(e, "paused"), &arg, 1, &res, 1, NULL, &err),
                     NXW_SUSPENDED);
    nxw_value host_result = v128_i32x4(100, 200, 300, 0x80000000u);
    assert_int_equal(nxw_resume(e->store, &host_result, 1, &res, 1, NULL, &err), NXW_OK);
    assert_i32x4(&res, 200, 400, 600, 0);
    /* a host result of the wrong type is refused */
    assert_int_equal(nxw_func_call(e->store, export_func(e, "paused"), &arg, 1, &res, 1, NULL, &err),
                     NXW_SUSPENDED);
    nxw_value wrong = vi32(1);
    assert_int_equal(nxw_resume(e->store, &wrong, 1, &res, 1, NULL, &err), NXW_ERR_ARGUMENT);
    nxw_store_abandon(e->store);
}

static void test_v128_globals_imported_exported_snapshotted(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_global *own = export_global(e, "own");
    nxw_value v = nxw_global_get(own);
    assert_i32x4(&v, 1, 2, 3, 4);
    assert_int_equal(nxw_snapshot_take(e->inst, &e->snap, NULL), NXW_OK);
    call_ok(e, "swap_globals", NULL, 0, NULL, 0);
    v = nxw_global_get(own);
    assert_i32x4(&v, 10, 20, 30, 40);
    v = nxw_global_get(e->g);
    assert_i32x4(&v, 1, 2, 3, 4);
    /* reset restores the own global (the imported one belongs to the embedder) */
    nxw_error err;
    assert_int_equal(nxw_instance_reset(e->inst, e->snap, &err), NXW_OK);
    v = nxw_global_get(own);
    assert_i32x4(&v, 1, 2, 3, 4);
    v = nxw_global_get(e->g);
    assert_i32x4(&v, 1, 2, 3, 4);
}

/* ------------------------------------------------------------------ translated code */

static void test_v128_in_loops_and_branches(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value res[2], arg = vi32(10);
    call_ok(e, "sum_loop", &arg, 1, res, 2);
    assert_i32x4(&res[0], 45, 45, 45, 45);
    assert_int_equal(res[1].of.i32, 10);
    static const struct { int k; uint32_t i32, lane; } cases[] = {{0, 110, 6}, {1, 210, 5}, {2, 10, 5}, {99, 10, 5}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nxw_value args[2] = {vi32(cases[i].k), v128_i32x4(5, 5, 5, 5)};
        call_ok(e, "table", args, 2, res, 2);
        assert_int_equal(res[0].of.i32, cases[i].i32);
        assert_i32x4(&res[1], cases[i].lane, cases[i].lane, cases[i].lane, cases[i].lane);
    }
}

static void test_v128_select_indirect_recursion(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value res[2];
    for (int c = 0; c < 2; c++) {
        nxw_value args[3] = {vi32(c), v128_i32x4(1, 1, 1, 1), v128_i32x4(2, 2, 2, 2)};
        call_ok(e, "pick", args, 3, res, 2);
        assert_i32x4(&res[0], c ? 1 : 2, c ? 1 : 2, c ? 1 : 2, c ? 1 : 2);
        assert_i32x4(&res[1], c ? 2 : 1, c ? 2 : 1, c ? 2 : 1, c ? 2 : 1);
    }
    nxw_value args[3] = {vi32(1), v128_i32x4(10, 20, 30, 40), v128_i32x4(1, 2, 3, 4)};
    call_ok(e, "indirect", args, 3, res, 1);
    assert_i32x4(&res[0], 9, 18, 27, 36);
    args[0] = vi32(0);
    call_ok(e, "indirect", args, 3, res, 1);
    assert_i32x4(&res[0], 11, 22, 33, 44);
    nxw_value down[2] = {v128_i32x4(1, 2, 3, 4), vi32(1000)};
    call_ok(e, "down", down, 2, res, 1);
    assert_i32x4(&res[0], 500501, 500502, 500503, 500504);
}

static void test_v128_local_starts_zero_and_load_traps(void **state) {
    env *e = *state;
    open_simd(e);
    nxw_value res[3];
    /* dirty the stack first */
    nxw_value args[4] = {vi32(-1), v128_i32x4(~0u, ~0u, ~0u, ~0u), vf64(1), v128_i32x4(~0u, 7, 7, 7)};
    call_ok(e, "mix", args, 4, res, 3);
    call_ok(e, "zero_local", NULL, 0, res, 3);
    assert_int_equal(res[0].of.i32, 0);
    assert_i32x4(&res[1], 0, 0, 0, 0);
    assert_int_equal(res[2].of.i32, 0);
    nxw_value at = vi32(65536 - 16);
    call_ok(e, "load_at", &at, 1, res, 1);
    nxw_error err;
    at = vi32(65536 - 15);
    assert_int_equal(nxw_func_call(e->store, export_func(e, "load_at"), &at, 1, res, 1, NULL, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_MEMORY_OOB);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_simd_off_rejects_instruction),
        TEST(test_simd_off_rejects_v128_local),
        TEST(test_simd_off_rejects_v128_block_and_select),
        TEST(test_simd_off_rejects_v128_types_and_globals),
        TEST(test_bulk_memory_off_rejects_instructions_and_segments),
        TEST(test_v128_params_and_results_mixed_with_scalars),
        TEST(test_v128_through_host_function),
        TEST(test_v128_host_result_after_suspension),
        TEST(test_v128_globals_imported_exported_snapshotted),
        TEST(test_v128_in_loops_and_branches),
        TEST(test_v128_select_indirect_recursion),
        TEST(test_v128_local_starts_zero_and_load_traps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
