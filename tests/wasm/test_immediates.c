/*
 * test_immediates.c — the interpreter's immediate-operand forms (src/wasm/code.h): a
 * constant operand of an integer binary operation, a fused compare-and-branch or a store
 * value is an inline cell instead of a frame slot; an address computed as x + constant
 * fuses into the access (NAME_ADDRK); constants that still need a slot come from a pool
 * of at most 16 per function or are written by CONST instructions.
 *
 * Fixture immediates.wat: for every operation with an immediate form and every constant
 * of K32/K64 below (the boundaries: 0, +-1, the extremes, shift counts at and past the
 * width, i64 constants wider than 32 bits), the immediate form, the constant-first form
 * and the branch forms are compared with a reference export computing the same
 * operation from two parameters, over the inputs X32/X64. Then: loops closed by an
 * immediate compare-and-branch (results, fuel charged, fuel limit reached), stores of
 * immediates (every width, traps leave memory unchanged), address wrapping in the fused
 * x + constant forms (bounds checked after the 32-bit sum), a function with more
 * constants than the pool, call results stored straight into locals, fused i32
 * read-modify-write of one address, i32.load followed by an add of a constant, and two
 * consecutive i32.loads.
 *
 * Built twice: test_immediates runs the fixture in the interpreter; test_immediates_aot
 * (NEXUS_TEST_AOT, tests/wasm/aot.cmake) attaches its ahead-of-time compiled code. The
 * immediate forms are the interpreter's, but what the tests assert are results, traps
 * and memory contents, which native code must reproduce exactly (the one fuel figure
 * asserted is a lower bound, which holds for native code's charging too).
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

/* The constants of the fixture, in its order (K32[j] is "/kj" of the i32 ops). */
static const int32_t K32[] = {0, 1, -1, INT32_MAX, INT32_MIN, 31, 32, 33, 0x12345678};
static const int64_t K64[] = {0, 1, -1, INT64_MAX, INT64_MIN, 63, 64,
                              0x123456789abcdef0, 0xffffffff, 0x80000000};
/* Inputs. */
static const int32_t X32[] = {0, 1, -1, 2, INT32_MAX, INT32_MIN, 31, 32, 33, 0x12345678, -77};
static const int64_t X64[] = {0, 1, -1, 2, INT64_MAX, INT64_MIN, 63, 64, 65,
                              0x123456789abcdef0, 0xffffffff, 0x80000000, -0x100000000};
static const char *const OPS[] = {"eq",  "ne",  "lt_s", "lt_u", "gt_s", "gt_u",  "le_s",
                                  "le_u", "ge_s", "ge_u", "add",  "sub",  "mul",   "and",
                                  "or",  "xor", "shl",  "shr_s", "shr_u", "rotl", "rotr"};
enum { NCMP = 10, NOPS = sizeof OPS / sizeof OPS[0] };
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct env {
    nxw_module *mod;
    nxw_store *store;
    nxw_linker *linker;
    nxw_instance *inst;
} env;

static int env_setup(void **state) {
    env *e = calloc(1, sizeof(env));
    if (!e) return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/immediates.wasm", NEXUS_FIXTURE_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    nxw_error err;
    if (nxw_module_new(buf, n, &e->mod, &err) != NXW_OK) return -1;
#ifdef NEXUS_TEST_AOT
    /* the native code of immediates.wat: the instance runs natively */
    if (nxw_module_attach_aot(e->mod, aot_fixture("immediates"), &err) != NXW_OK ||
        !nxw_module_has_aot(e->mod)) {
        print_error("immediates: native code not attached: %s\n", err.message);
        return -1;
    }
#endif
    e->store = nxw_store_new();
    e->linker = nxw_linker_new();
    if (!e->store || !e->linker) return -1;
    if (nxw_instantiate(e->store, e->mod, e->linker, &e->inst, &err) != NXW_OK) return -1;
    *state = e;
    return 0;
}

static int env_teardown(void **state) {
    env *e = *state;
    nxw_store_free(e->store);
    nxw_linker_free(e->linker);
    nxw_module_free(e->mod);
    free(e);
    return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

static nxw_func *fn(const env *e, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(e->inst, name, strlen(name), &ext)) fail_msg("no export %s", name);
    assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
    return ext.of.func;
}

static nxw_value vi32(int32_t x) { return (nxw_value){.type = NXW_I32, .of.i32 = x}; }
static nxw_value vi64(int64_t x) { return (nxw_value){.type = NXW_I64, .of.i64 = x}; }

/* Calls `name`; returns its status, the result in *r (when it has one) and the error. */
static nxw_status call(const env *e, const char *name, const nxw_value *args, uint32_t nargs,
                       nxw_value *r, uint32_t nr, nxw_error *err) {
    memset(err, 0, sizeof *err);
    nxw_value dummy;
    return nxw_func_call(e->store, fn(e, name), args, nargs, r ? r : &dummy, nr, NULL, err);
}

/* Calls `name`, which must succeed, and returns its one result. */
static nxw_value call1(const env *e, const char *name, const nxw_value *args, uint32_t nargs) {
    nxw_value r;
    memset(&r, 0, sizeof r);
    nxw_error err;
    if (call(e, name, args, nargs, &r, 1, &err) != NXW_OK) fail_msg("%s: %s", name, err.message);
    return r;
}

static void call0(const env *e, const char *name, const nxw_value *args, uint32_t nargs) {
    nxw_error err;
    if (call(e, name, args, nargs, NULL, 0, &err) != NXW_OK) fail_msg("%s: %s", name, err.message);
}

/* Calls `name` (with nr results) and asserts it traps with `trap`. */
static void expect_trap(const env *e, const char *name, const nxw_value *args, uint32_t nargs,
                        uint32_t nr, nxw_trap trap) {
    nxw_error err;
    nxw_value r;
    assert_int_equal(call(e, name, args, nargs, &r, nr, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, trap);
}

static int64_t as_i64(nxw_value v) { return v.type == NXW_I64 ? v.of.i64 : v.of.i32; }

/* Every op of type t ("i32"/"i64") with every constant and input against "/r". */
static void check_type(const env *e, const char *t, const nxw_value *ks, size_t nk,
                       const nxw_value *xs, size_t nx) {
    char name[64];
    for (size_t op = 0; op < NOPS; op++) {
        for (size_t j = 0; j < nk; j++) {
            for (size_t i = 0; i < nx; i++) {
                nxw_value xk[2] = {xs[i], ks[j]}, kx[2] = {ks[j], xs[i]};
                snprintf(name, sizeof name, "%s.%s/r", t, OPS[op]);
                int64_t want = as_i64(call1(e, name, xk, 2));
                int64_t want_swapped = as_i64(call1(e, name, kx, 2));
                snprintf(name, sizeof name, "%s.%s/k%zu", t, OPS[op], j);
                int64_t got = as_i64(call1(e, name, &xs[i], 1));
                if (got != want)
                    fail_msg("%s(x=%lld): %lld, want %lld", name, (long long)as_i64(xs[i]),
                             (long long)got, (long long)want);
                snprintf(name, sizeof name, "%s.%s/s%zu", t, OPS[op], j);
                got = as_i64(call1(e, name, &xs[i], 1));
                if (got != want_swapped)
                    fail_msg("%s(x=%lld): %lld, want %lld", name, (long long)as_i64(xs[i]),
                             (long long)got, (long long)want_swapped);
                if (op >= NCMP) continue;
                snprintf(name, sizeof name, "%s.%s/b%zu", t, OPS[op], j);
                got = as_i64(call1(e, name, &xs[i], 1));
                if (got != want)
                    fail_msg("%s(x=%lld): %lld, want %lld", name, (long long)as_i64(xs[i]),
                             (long long)got, (long long)want);
                snprintf(name, sizeof name, "%s.%s/i%zu", t, OPS[op], j);
                got = as_i64(call1(e, name, &xs[i], 1));
                if (got != want)
                    fail_msg("%s(x=%lld): %lld, want %lld", name, (long long)as_i64(xs[i]),
                             (long long)got, (long long)want);
            }
        }
    }
}

static void test_i32_ops_with_immediates(void **state) {
    nxw_value ks[COUNT(K32)], xs[COUNT(X32)];
    for (size_t j = 0; j < COUNT(K32); j++) ks[j] = vi32(K32[j]);
    for (size_t i = 0; i < COUNT(X32); i++) xs[i] = vi32(X32[i]);
    check_type(*state, "i32", ks, COUNT(ks), xs, COUNT(xs));
}

static void test_i64_ops_with_immediates(void **state) {
    nxw_value ks[COUNT(K64)], xs[COUNT(X64)];
    for (size_t j = 0; j < COUNT(K64); j++) ks[j] = vi64(K64[j]);
    for (size_t i = 0; i < COUNT(X64); i++) xs[i] = vi64(X64[i]);
    check_type(*state, "i64", ks, COUNT(ks), xs, COUNT(xs));
}

static void test_loops_closed_by_immediate_compare(void **state) {
    env *e = *state;
    nxw_value x = vi32(0);
    assert_int_equal(call1(e, "count_to_1000", &x, 1).of.i32, 1000);
    x = vi32(5000); /* the body runs once, the branch is not taken */
    assert_int_equal(call1(e, "count_to_1000", &x, 1).of.i32, 5001);
    nxw_value y = vi64(0);
    assert_int_equal(call1(e, "count64", &y, 1).of.i64, (int64_t)50 << 32);

    /* each taken back-edge is charged: 999 iterations cost at least 999 units */
    nxw_store_set_fuel(e->store, 0);
    x = vi32(0);
    call1(e, "count_to_1000", &x, 1);
    uint64_t used = nxw_store_fuel_used(e->store);
    assert_true(used >= 999 * 3);
    /* an endless loop closed by BR_IF_I32_NE_K_BACK runs out of fuel */
    nxw_store_set_fuel(e->store, 100000);
    x = vi32(0);
    expect_trap(e, "spin_unless_5", &x, 1, 0, NXW_TRAP_FUEL);
    x = vi32(5);
    call0(e, "spin_unless_5", &x, 1);
}

static void test_stores_of_immediates(void **state) {
    env *e = *state;
    nxw_value a = vi32(64);
    call0(e, "store_k64", &a, 1);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0x8000000000000001ull);
    call0(e, "store_k32", &a, 1); /* offset 4: the high half */
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0xfffffffe00000001ull);
    call0(e, "store_k8", &a, 1);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0xfffffffe000000ffull);
    call0(e, "store_k16_64", &a, 1);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0xfffffffe00002345ull);
    call0(e, "store_k32_64", &a, 1);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0xfffffffefedcba98ull);
    call0(e, "store_kf64", &a, 1);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, (int64_t)0xbff8000000000000ull);
    call0(e, "store_kf32", &a, 1);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 0x40200000);

    /* out of bounds by one byte: trap, and the in-bounds bytes stay unwritten */
    nxw_value last = vi32(65536 - 8);
    call0(e, "store_k64", &last, 1);
    nxw_value past = vi32(65536 - 7);
    expect_trap(e, "store_k64", &past, 1, 0, NXW_TRAP_MEMORY_OOB);
    expect_trap(e, "store_kf64", &past, 1, 0, NXW_TRAP_MEMORY_OOB);
    assert_int_equal(call1(e, "load64", &last, 1).of.i64, (int64_t)0x8000000000000001ull);
    nxw_value last32 = vi32(65536 - 8); /* store_k32 writes at +4: the last word */
    call0(e, "store_k32", &last32, 1);
    nxw_value past32 = vi32(65536 - 7);
    expect_trap(e, "store_k32", &past32, 1, 0, NXW_TRAP_MEMORY_OOB);
    nxw_value max = vi32(-1);
    expect_trap(e, "store_k8", &max, 1, 0, NXW_TRAP_MEMORY_OOB);
    nxw_value end = vi32(65535);
    call0(e, "store_k8", &end, 1);
}

static void test_address_plus_immediate_wraps(void **state) {
    env *e = *state;
    nxw_value args[2] = {vi32(8), vi32(0x11223344)};
    /* 8 + -8 = 0, then offset 4 */
    call0(e, "store_addk", args, 2);
    nxw_value four = vi32(4);
    assert_int_equal(call1(e, "load32", &four, 1).of.i32, 0x11223344);
    assert_int_equal(call1(e, "load_addk", &args[0], 1).of.i32, 0x11223344);
    /* 4 + -8 wraps to 0xfffffffc: + offset 4 is 2^32, out of bounds (not address 0) */
    nxw_value x = vi32(4);
    expect_trap(e, "load_addk", &x, 1, 1, NXW_TRAP_MEMORY_OOB);
    args[0] = vi32(4);
    expect_trap(e, "store_addk", args, 2, 0, NXW_TRAP_MEMORY_OOB);
    x = vi32(1); /* 1 + 0x7fffffff = 2^31: out of bounds */
    expect_trap(e, "load8_addk", &x, 1, 1, NXW_TRAP_MEMORY_OOB);
    x = vi32((int32_t)0x80000001u); /* wraps to address 0 */
    nxw_value zero = vi32(0);
    call0(e, "store_k8", &zero, 1);
    assert_int_equal(call1(e, "load8_addk", &x, 1).of.i32, -1);
    x = vi32(100);
    call0(e, "store_addk_k", &x, 1);
    nxw_value a = vi32(116);
    assert_int_equal(call1(e, "load64", &a, 1).of.i64, -3);
    x = vi32(-16); /* -16 + 16 = 0 */
    call0(e, "store_addk_k", &x, 1);
    assert_int_equal(call1(e, "load64", &zero, 1).of.i64, -3);
    x = vi32(-15); /* -15 + 16 = 1: in bounds */
    call0(e, "store_addk_k", &x, 1);
    x = vi32(65536 - 16 - 7);
    expect_trap(e, "store_addk_k", &x, 1, 0, NXW_TRAP_MEMORY_OOB);
    double one = 1.0, sum;
    nxw_value fargs[2] = {{.type = NXW_F64}, vi32(56)};
    memcpy(&fargs[0].of.f64_bits, &one, sizeof one);
    a = vi32(64);
    call0(e, "store_kf64", &a, 1); /* -1.5 at 56 + 8 */
    nxw_value r = call1(e, "fadd_load_addk", fargs, 2);
    memcpy(&sum, &r.of.f64_bits, sizeof sum);
    assert_true(sum == -0.5);
    fargs[1] = vi32(-9); /* -9 + 8 = 0xffffffff */
    expect_trap(e, "fadd_load_addk", fargs, 2, 1, NXW_TRAP_MEMORY_OOB);
    nxw_value xy[2] = {vi32(200), vi32(6)};
    call0(e, "store_add_k", xy, 2);
    nxw_value at = vi32(206);
    assert_int_equal(call1(e, "load32", &at, 1).of.i32 & 0xffff, 0xabcd);
    xy[1] = vi32(65536 - 200 - 1);
    expect_trap(e, "store_add_k", xy, 2, 0, NXW_TRAP_MEMORY_OOB);
}

static void test_more_constants_than_the_pool(void **state) {
    env *e = *state;
    double x = 0.25, want = 588.25, got;
    nxw_value args[2] = {{.type = NXW_F64}, vi32(1000)};
    memcpy(&args[0].of.f64_bits, &x, sizeof x);
    nxw_value r = call1(e, "many", args, 2);
    assert_int_equal(r.type, NXW_F64);
    memcpy(&got, &r.of.f64_bits, sizeof got);
    assert_true(got == want);
    nxw_value a = vi32(1008);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 99);
    a = vi32(1012);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 100000 + 1000 - 7);
    a = vi32(1016);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 11);
    a = vi32(1020);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 1234);
    args[1] = vi32(0); /* select picks its second operand */
    call1(e, "many", args, 2);
    a = vi32(16);
    assert_int_equal(call1(e, "load32", &a, 1).of.i32, 22);
}

static void test_call_results_into_locals(void **state) {
    env *e = *state;
    nxw_value x = vi32(10);
    assert_int_equal(call1(e, "call_into_local", &x, 1).of.i32, 13 + 11);
    assert_int_equal(call1(e, "call_over_old_value", &x, 1).of.i32, 10 - 11);
    x = vi32(20);
    assert_int_equal(call1(e, "fib", &x, 1).of.i32, 6765);
}

/* Reads the i32 at address `at`. */
static int32_t word(const env *e, int32_t at) {
    nxw_value a = vi32(at);
    return call1(e, "load32", &a, 1).of.i32;
}

static void test_read_modify_write(void **state) {
    env *e = *state;
    nxw_value setup[2] = {vi32(312), vi32(10)};
    call0(e, "store_addk", setup, 2); /* 10 at 308 */
    nxw_value a = vi32(300);
    call0(e, "rmw", &a, 1); /* [304] = 0 - 3 */
    assert_int_equal(word(e, 304), -3);
    a = vi32(304);
    call0(e, "rmw", &a, 1); /* [308] = 10 - 3 */
    assert_int_equal(word(e, 308), 7);
    a = vi32(300);
    call0(e, "rmw_other_offset", &a, 1); /* [308] = [304] + 1 */
    assert_int_equal(word(e, 308), -2);
    nxw_value ab[2] = {vi32(304), vi32(500)};
    call0(e, "rmw_other_address", ab, 2); /* [500] = [304] + 1 */
    assert_int_equal(word(e, 500), -2);
    assert_int_equal(word(e, 304), -3);
    /* the last word: in bounds; one byte further: a trap that writes nothing */
    a = vi32(65536 - 8);
    call0(e, "rmw", &a, 1);
    assert_int_equal(word(e, 65536 - 4), -3);
    a = vi32(65536 - 7);
    expect_trap(e, "rmw", &a, 1, 0, NXW_TRAP_MEMORY_OOB);
    assert_int_equal(word(e, 65536 - 4), -3);
}

/* Writes the i32 v at address `at` (store_addk stores at its address - 4). */
static void set_word(const env *e, int32_t at, int32_t v) {
    nxw_value args[2] = {vi32(at + 4), vi32(v)};
    call0(e, "store_addk", args, 2);
}

static void test_load_add_immediate(void **state) {
    env *e = *state;
    set_word(e, 604, 5);
    nxw_value a = vi32(600);
    assert_int_equal(call1(e, "load_add_k", &a, 1).of.i32, (int32_t)(5u + 0x7fffffffu));
    set_word(e, 604, -7); /* the sum wraps */
    assert_int_equal(call1(e, "load_add_k", &a, 1).of.i32, (int32_t)(0xfffffff9u + 0x7fffffffu));
    /* the last word (address + offset 4): in bounds; one byte further: a trap */
    set_word(e, 65536 - 4, 41);
    a = vi32(65536 - 8);
    assert_int_equal(call1(e, "load_add_k", &a, 1).of.i32, (int32_t)(41u + 0x7fffffffu));
    a = vi32(65536 - 7);
    expect_trap(e, "load_add_k", &a, 1, 1, NXW_TRAP_MEMORY_OOB);
    a = vi32(-4); /* address + offset is not taken modulo 2^32 */
    expect_trap(e, "load_add_k", &a, 1, 1, NXW_TRAP_MEMORY_OOB);
    a = vi32(0);
    expect_trap(e, "load_add_k_max_offset", &a, 1, 1, NXW_TRAP_MEMORY_OOB);
    set_word(e, 700, 100);
    a = vi32(700);
    assert_int_equal(call1(e, "load_add_k_into_local", &a, 1).of.i32, (100 - 5) * 2);
    set_word(e, 700, 800); /* [700] + 8 + 4 = 812 */
    set_word(e, 812, 1234);
    assert_int_equal(call1(e, "load_add_k_chase", &a, 1).of.i32, 1234);
    set_word(e, 700, 65536 - 12); /* 65536 - 12 + 8 + 4: one past the end */
    expect_trap(e, "load_add_k_chase", &a, 1, 1, NXW_TRAP_MEMORY_OOB);
    set_word(e, 700, 10);
    assert_int_equal(call1(e, "load_add_k_const_first", &a, 1).of.i32, 13);
    assert_int_equal(call1(e, "load_add_k_label", &a, 1).of.i32, 13);
    nxw_value ab[2] = {vi32(700), vi32(4)};
    assert_int_equal(call1(e, "load_add_k_other", ab, 2).of.i32, 10 - 7);
    /* read-modify-write of a constant address, and a store whose address differs from
     * the load's only because the local changed in between */
    set_word(e, 400, 1);
    set_word(e, 404, 2);
    a = vi32(10);
    call0(e, "rmw_const_address", &a, 1);
    assert_int_equal(word(e, 400), 11);
    assert_int_equal(word(e, 404), 9);
    set_word(e, 900, 50);
    set_word(e, 904, 60);
    nxw_value st[2] = {vi32(900), vi32(904)};
    call0(e, "rmw_tee", st, 2);
    assert_int_equal(word(e, 900), 61);
    assert_int_equal(word(e, 904), 60);
}

static void test_two_loads(void **state) {
    env *e = *state;
    set_word(e, 1004, 50);
    set_word(e, 2000, 8);
    nxw_value ab[2] = {vi32(1000), vi32(2000 - 8)};
    assert_int_equal(call1(e, "load2", ab, 2).of.i32, 42);
    ab[1] = vi32(65536 - 11); /* the second load is one byte past the end */
    expect_trap(e, "load2", ab, 2, 1, NXW_TRAP_MEMORY_OOB);
    ab[1] = vi32(-8); /* address + offset is not taken modulo 2^32 */
    expect_trap(e, "load2", ab, 2, 1, NXW_TRAP_MEMORY_OOB);
    ab[0] = vi32(65536 - 7); /* the first load is one byte past the end */
    ab[1] = vi32(2000 - 8);
    expect_trap(e, "load2", ab, 2, 1, NXW_TRAP_MEMORY_OOB);
    ab[0] = vi32(65536 - 8); /* the last word, for both */
    ab[1] = vi32(65536 - 12);
    set_word(e, 65536 - 4, 58);
    assert_int_equal(call1(e, "load2", ab, 2).of.i32, 0);
    ab[1] = vi32(2000 - 8);
    assert_int_equal(call1(e, "load2", ab, 2).of.i32, 50);
    nxw_value z = vi32(0);
    expect_trap(e, "load2_max_offset", &z, 1, 1, NXW_TRAP_MEMORY_OOB);
    set_word(e, 1100, 1200);
    set_word(e, 1204, 77);
    nxw_value a = vi32(1100);
    assert_int_equal(call1(e, "load2_chase", &a, 1).of.i32, 77);
    set_word(e, 1100, 65536 - 7);
    expect_trap(e, "load2_chase", &a, 1, 1, NXW_TRAP_MEMORY_OOB);
    set_word(e, 1100, 1200);
    set_word(e, 1200, 1300);
    set_word(e, 1300, -9);
    assert_int_equal(call1(e, "load3_chase", &a, 1).of.i32, -9);
    assert_int_equal(call1(e, "load2_via_local", &a, 1).of.i32, 1300 + 1200);
    assert_int_equal(call1(e, "load2_label", &a, 1).of.i32, 1300 + 1200);
    set_word(e, 1100, 0x01020304);
    assert_int_equal(call1(e, "load2_widths", &a, 1).of.i32, 0x01020304 - 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_i32_ops_with_immediates),
        TEST(test_i64_ops_with_immediates),
        TEST(test_loops_closed_by_immediate_compare),
        TEST(test_stores_of_immediates),
        TEST(test_address_plus_immediate_wraps),
        TEST(test_more_constants_than_the_pool),
        TEST(test_call_results_into_locals),
        TEST(test_read_modify_write),
        TEST(test_load_add_immediate),
        TEST(test_two_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
