/*
 * test_control.c — unit tests of the engine's execution control: stack limits (deep
 * recursion under small and large limits), memory limits (grow at the limit, initial
 * size above it, usage figures), deadlines (a tight loop and a loop of host calls),
 * interrupts from another thread, fuel (counting and limit), suspend/resume at host
 * calls (1000 cycles in one run, trap on resume, abandon, nested suspension refused),
 * and snapshots (reset restores memory, globals, tables and segment state exactly, as
 * compared with a fresh instantiation; instances made from a snapshot are independent).
 *
 * The module is the WAT fixture tests/wasm/fixtures/control.wat. Timing assertions are
 * deliberately loose (a noisy machine must not fail them); the precise figures are the
 * benchmark's (bench/control_bench.c).
 *
 * Built twice: test_control runs the fixture in the interpreter; test_control_aot
 * (NEXUS_TEST_AOT, tests/wasm/aot.cmake) attaches its ahead-of-time compiled code, so the
 * same assertions check native code. Native code charges fuel at function entries and
 * loop headers (whole loop bodies) where the interpreter charges at back-edges, so the
 * exact fuel figures may differ: the fuel assertions here are bounds that hold for both.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nexus_wasm.h"
#ifdef NEXUS_TEST_AOT
#include "aot_fixtures.h"
#endif

#ifndef NEXUS_FIXTURE_DIR
#error "NEXUS_FIXTURE_DIR must name the folder of the compiled .wasm fixtures"
#endif

#define PAGE 65536u

/* ------------------------------------------------------------------ environment */

/* What the host imports do: tick returns its argument (or suspends, or sleeps), nest
 * calls the caller's export "host_loop" with its argument. */
typedef struct host_ctx {
    nxw_store *store;
    bool suspend;      /* tick suspends instead of returning */
    long sleep_us;     /* tick sleeps this long first */
    int ticks;
} host_ctx;

typedef struct env {
    nxw_module *mod;
    nxw_store *store, *store2, *store3;
    nxw_linker *linker;
    nxw_instance *inst, *inst2, *inst3;
    nxw_snapshot *snap;
    host_ctx host;
} env;

static nxw_trap host_tick(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    (void)call;
    host_ctx *h = user;
    h->ticks++;
    if (h->sleep_us) {
        struct timespec ts = {h->sleep_us / 1000000, (h->sleep_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (h->suspend) return NXW_TRAP_SUSPEND;
    results[0].of.i32 = args[0].of.i32;
    return NXW_TRAP_NONE;
}

static nxw_trap host_nest(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    host_ctx *h = user;
    nxw_extern ext;
    if (!nxw_instance_export(call->caller, "host_loop", 9, &ext)) return NXW_TRAP_HOST;
    nxw_error err;
    nxw_status st = nxw_func_call(h->store, ext.of.func, args, 1, results, 1, NULL, &err);
    if (st == NXW_OK) return NXW_TRAP_NONE;
    snprintf(call->message, sizeof call->message, "nested: %.200s", err.message);
    return NXW_TRAP_HOST;
}

static uint8_t *slurp(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", NEXUS_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int env_setup(void **state) {
    env *e = calloc(1, sizeof *e);
    if (!e) return -1;
    size_t len;
    uint8_t *bytes = slurp("control", &len);
    nxw_error err;
    if (!bytes || nxw_module_new(bytes, len, &e->mod, &err) != NXW_OK) {
        free(bytes);
        free(e);
        return -1;
    }
    free(bytes);
#ifdef NEXUS_TEST_AOT
    /* the native code of control.wat: every instance of the test runs natively */
    if (nxw_module_attach_aot(e->mod, aot_fixture("control"), &err) != NXW_OK ||
        !nxw_module_has_aot(e->mod)) {
        print_error("control: native code not attached: %s\n", err.message);
        nxw_module_free(e->mod);
        free(e);
        return -1;
    }
#endif
    e->linker = nxw_linker_new();
    e->store = nxw_store_new();
    e->host.store = e->store;
    if (nxw_linker_define_host(e->linker, "env", "tick", "(i)i", host_tick, &e->host, &err) ||
        nxw_linker_define_host(e->linker, "env", "nest", "(i)i", host_nest, &e->host, &err))
        return -1;
    *state = e;
    return 0;
}

static int env_teardown(void **state) {
    env *e = *state;
    nxw_store_free(e->store);
    nxw_store_free(e->store2);
    nxw_store_free(e->store3);
    nxw_snapshot_free(e->snap);
    nxw_linker_free(e->linker);
    nxw_module_free(e->mod);
    free(e);
    return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

static nxw_value vi32(int32_t v) { return (nxw_value){.type = NXW_I32, .of.i32 = v}; }

static void instantiate(env *e) {
    nxw_error err;
    nxw_status st = nxw_instantiate(e->store, e->mod, e->linker, &e->inst, &err);
    if (st) fail_msg("instantiate: %s", err.message);
}

static nxw_func *export_func(nxw_instance *inst, const char *name) {
    nxw_extern ext;
    assert_true(nxw_instance_export(inst, name, strlen(name), &ext));
    assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
    return ext.of.func;
}

/* Calls name(args) on inst and returns the status; *result receives an i32 result. */
static nxw_status call(nxw_store *s, nxw_instance *inst, const char *name, const nxw_value *args,
                       uint32_t nargs, int32_t *result, nxw_error *err) {
    nxw_func *f = export_func(inst, name);
    nxw_value r[1] = {{0}};
    nxw_status st = nxw_func_call(s, f, args, nargs, r, 1, NULL, err);
    if (result) *result = r[0].of.i32;
    return st;
}

static int32_t call_i32(nxw_store *s, nxw_instance *inst, const char *name, const nxw_value *args,
                        uint32_t nargs) {
    nxw_error err;
    int32_t r = 0;
    nxw_status st = call(s, inst, name, args, nargs, &r, &err);
    if (st) fail_msg("%s: %s", name, err.message);
    return r;
}

static nxw_trap call_trap(nxw_store *s, nxw_instance *inst, const char *name, const nxw_value *args,
                          uint32_t nargs, nxw_error *err) {
    nxw_status st = call(s, inst, name, args, nargs, NULL, err);
    assert_int_equal(st, NXW_ERR_TRAP);
    return err->trap;
}

static double elapsed_ms(uint64_t since) { return (double)(nxw_now_ns() - since) / 1e6; }

/* ------------------------------------------------------------------ stack */

static void expect_recursion_exhausts(size_t stack_bytes) {
    env *e = NULL;
    assert_int_equal(env_setup((void **)&e), 0);
    nxw_limits lim = {.stack_bytes = stack_bytes};
    nxw_store_set_limits(e->store, &lim);
    instantiate(e);
    nxw_value z = vi32(0);
    nxw_error err;
    assert_int_equal(call_trap(e->store, e->inst, "down", &z, 1, &err), NXW_TRAP_STACK_EXHAUSTED);
    assert_non_null(strstr(err.message, "call stack exhausted"));
    /* the store is usable afterwards */
    nxw_value n = vi32(1000);
    assert_int_equal(call_i32(e->store, e->inst, "count", &n, 1), 1000);
    env_teardown((void **)&e);
}

static void test_recursion_small_and_large_stacks(void **state) {
    (void)state;
    expect_recursion_exhausts(64 << 10);
    expect_recursion_exhausts(1 << 20);
    expect_recursion_exhausts(8 << 20);
}

static void test_recursion_through_host_calls_is_bounded(void **state) {
    env *e = *state;
    nxw_limits lim = {.stack_bytes = 64 << 10};
    nxw_store_set_limits(e->store, &lim);
    instantiate(e);
    /* nested -> nest (host) -> host_loop -> tick: fine once */
    nxw_value n = vi32(3);
    assert_int_equal(call_i32(e->store, e->inst, "nested", &n, 1), 6);
}

/* ------------------------------------------------------------------ memory */

static void test_memory_grow_stops_at_the_limit(void **state) {
    env *e = *state;
    nxw_limits lim = {.memory_bytes = 2u << 20}; /* 32 pages; the module allows 100 */
    nxw_store_set_limits(e->store, &lim);
    instantiate(e);
    nxw_memory_stats st = nxw_memory_get_stats(nxw_instance_memory(e->inst));
    assert_int_equal(st.size_bytes, PAGE);
    assert_int_equal(st.limit_bytes, 2u << 20);
    assert_false(st.grow_refused);
    assert_int_equal(call_i32(e->store, e->inst, "grow_forever", NULL, 0), 32);
    nxw_value one = vi32(1);
    assert_int_equal(call_i32(e->store, e->inst, "grow", &one, 1), -1);
    st = nxw_memory_get_stats(nxw_instance_memory(e->inst));
    assert_int_equal(st.size_bytes, 2u << 20);
    assert_int_equal(st.peak_bytes, 2u << 20);
    assert_true(st.grow_refused);
    /* the last page is usable */
    nxw_value args[2] = {vi32((int32_t)(32 * PAGE - 4)), vi32(77)};
    call_i32(e->store, e->inst, "store", args, 2);
    assert_int_equal(call_i32(e->store, e->inst, "load", args, 1), 77);
}

static void test_memory_grow_within_declared_max_without_limit(void **state) {
    env *e = *state;
    instantiate(e);
    assert_int_equal(call_i32(e->store, e->inst, "grow_forever", NULL, 0), 100);
    assert_true(nxw_memory_get_stats(nxw_instance_memory(e->inst)).grow_refused);
}

static void test_initial_memory_above_limit_fails(void **state) {
    env *e = *state;
    nxw_limits lim = {.memory_bytes = 32u << 10}; /* below the module's one page */
    nxw_store_set_limits(e->store, &lim);
    nxw_error err;
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &e->inst, &err), NXW_ERR_LIMIT);
    assert_null(e->inst);
    assert_non_null(strstr(err.message, "memory limit exceeded"));
    nxw_memory *m;
    assert_int_equal(nxw_memory_new(e->store, 2, 4, true, &m, &err), NXW_ERR_LIMIT);
}

/* ------------------------------------------------------------------ time */

static void test_deadline_stops_a_tight_loop(void **state) {
    env *e = *state;
    instantiate(e);
    for (int round = 0; round < 3; round++) {
        uint64_t start = nxw_now_ns();
        nxw_store_set_deadline(e->store, start + 30 * 1000000ull);
        nxw_error err;
        assert_int_equal(call_trap(e->store, e->inst, "spin", NULL, 0, &err), NXW_TRAP_TIMEOUT);
        double ms = elapsed_ms(start);
        print_message("tight loop stopped after %.3f ms (deadline 30 ms)\n", ms);
        assert_true(ms >= 30.0);
        assert_true(ms < 30.0 + 25.0);
        assert_non_null(strstr(err.message, "execution timed out"));
    }
    /* without a deadline, ordinary calls complete */
    nxw_store_set_deadline(e->store, 0);
    nxw_value n = vi32(100000);
    assert_int_equal(call_i32(e->store, e->inst, "count", &n, 1), 100000);
}

static void test_deadline_stops_a_loop_of_host_calls(void **state) {
    env *e = *state;
    instantiate(e);
    e->host.sleep_us = 200;
    uint64_t start = nxw_now_ns();
    nxw_store_set_deadline(e->store, start + 20 * 1000000ull);
    nxw_error err;
    assert_int_equal(call_trap(e->store, e->inst, "host_forever", NULL, 0, &err), NXW_TRAP_TIMEOUT);
    double ms = elapsed_ms(start);
    print_message("host-call loop stopped after %.3f ms (deadline 20 ms, 0.2 ms per call)\n", ms);
    assert_true(ms >= 20.0 && ms < 20.0 + 25.0);
    assert_true(e->host.ticks > 10);
}

static void *interrupt_later(void *arg) {
    nxw_store *s = arg;
    struct timespec ts = {0, 20 * 1000000};
    nanosleep(&ts, NULL);
    nxw_store_interrupt(s);
    return NULL;
}

static void test_interrupt_from_another_thread(void **state) {
    env *e = *state;
    instantiate(e);
    pthread_t th;
    uint64_t start = nxw_now_ns();
    assert_int_equal(pthread_create(&th, NULL, interrupt_later, e->store), 0);
    nxw_error err;
    assert_int_equal(call_trap(e->store, e->inst, "spin", NULL, 0, &err), NXW_TRAP_INTERRUPTED);
    pthread_join(th, NULL);
    assert_true(elapsed_ms(start) >= 19.0);
    /* sticky until cleared */
    nxw_value n = vi32(10);
    assert_int_equal(call_trap(e->store, e->inst, "count", &n, 1, &err), NXW_TRAP_INTERRUPTED);
    nxw_store_clear_interrupt(e->store);
    assert_int_equal(call_i32(e->store, e->inst, "count", &n, 1), 10);
}

/* ------------------------------------------------------------------ fuel */

static void test_fuel_counts_and_limits(void **state) {
    env *e = *state;
    instantiate(e);
    nxw_value n = vi32(1000);
    assert_int_equal(call_i32(e->store, e->inst, "count", &n, 1), 1000);
    uint64_t used1000 = nxw_store_fuel_used(e->store);
    n = vi32(2000);
    call_i32(e->store, e->inst, "count", &n, 1);
    uint64_t used2000 = nxw_store_fuel_used(e->store);
    print_message("fuel: count(1000) %llu, count(2000) %llu\n", (unsigned long long)used1000,
                  (unsigned long long)used2000);
    /* the loop body has 10 instructions: charged per iteration */
    assert_true(used1000 >= 1000 * 5 && used1000 <= 1000 * 20);
    assert_true(used2000 > used1000 + 1000 * 5);

    nxw_store_set_fuel(e->store, 50000);
    nxw_error err;
    assert_int_equal(call_trap(e->store, e->inst, "spin", NULL, 0, &err), NXW_TRAP_FUEL);
    assert_non_null(strstr(err.message, "fuel exhausted"));
    uint64_t used = nxw_store_fuel_used(e->store);
    assert_true(used >= 50000 && used < 50000 + 100);
    /* a run that fits the limit completes; fuel restarts with each call */
    n = vi32(1000);
    assert_int_equal(call_i32(e->store, e->inst, "count", &n, 1), 1000);
    assert_int_equal(nxw_store_fuel_used(e->store), used1000);
    nxw_store_set_fuel(e->store, 0);
}

/* ------------------------------------------------------------------ suspend / resume */

static void test_thousand_suspensions_in_one_run(void **state) {
    env *e = *state;
    instantiate(e);
    e->host.suspend = true;
    nxw_func *f = export_func(e->inst, "host_loop");
    nxw_value arg = vi32(1000), r = {0};
    nxw_error err;
    nxw_status st = nxw_func_call(e->store, f, &arg, 1, &r, 1, NULL, &err);
    int cycles = 0;
    int64_t expect = 0;
    while (st == NXW_SUSPENDED) {
        assert_true(nxw_store_suspended(e->store));
        assert_non_null(nxw_store_suspended_func(e->store));
        /* the store refuses new calls meanwhile */
        nxw_value one = vi32(1);
        nxw_value rr;
        assert_int_equal(nxw_func_call(e->store, f, &one, 1, &rr, 1, NULL, &err), NXW_ERR_ARGUMENT);
        cycles++;
        nxw_value hr = vi32(cycles * 3);
        expect += cycles * 3;
        st = nxw_resume(e->store, &hr, 1, &r, 1, NULL, &err);
    }
    assert_int_equal(st, NXW_OK);
    assert_int_equal(cycles, 1000);
    assert_int_equal(r.of.i32, (int32_t)expect);
    assert_false(nxw_store_suspended(e->store));
    /* fuel accumulated across the resumptions */
    assert_true(nxw_store_fuel_used(e->store) >= 1000 * 5);
    /* the store works normally again */
    e->host.suspend = false;
    arg = vi32(4);
    assert_int_equal(call_i32(e->store, e->inst, "host_loop", &arg, 1), 10);
}

static void test_resume_with_trap_and_abandon(void **state) {
    env *e = *state;
    instantiate(e);
    e->host.suspend = true;
    nxw_func *f = export_func(e->inst, "host_loop");
    nxw_value arg = vi32(5), r;
    nxw_error err;
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, NULL, &err), NXW_SUSPENDED);
    /* wrong result count or type is refused and keeps the suspension */
    nxw_value bad = {.type = NXW_I64};
    assert_int_equal(nxw_resume(e->store, &bad, 1, &r, 1, NULL, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_resume(e->store, NULL, 0, &r, 1, NULL, &err), NXW_ERR_ARGUMENT);
    assert_true(nxw_store_suspended(e->store));
    assert_int_equal(nxw_resume_trap(e->store, NXW_TRAP_HOST, "extension failed", &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_HOST);
    assert_non_null(strstr(err.message, "extension failed"));
    assert_false(nxw_store_suspended(e->store));
    /* abandon: a new call works, no leak (checked by LSan) */
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, NULL, &err), NXW_SUSPENDED);
    nxw_store_abandon(e->store);
    assert_false(nxw_store_suspended(e->store));
    e->host.suspend = false;
    assert_int_equal(call_i32(e->store, e->inst, "host_loop", &arg, 1), 15);
    /* a store freed while suspended releases everything */
    e->host.suspend = true;
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, NULL, &err), NXW_SUSPENDED);
    assert_int_equal(nxw_resume(e->store, NULL, 0, &r, 1, NULL, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_resume(e->store, (nxw_value[]){vi32(1)}, 1, &r, 1, NULL, &err), NXW_SUSPENDED);
}

static void test_suspension_inside_nested_call_is_refused(void **state) {
    env *e = *state;
    instantiate(e);
    e->host.suspend = true;
    nxw_value n = vi32(2);
    nxw_error err;
    assert_int_equal(call_trap(e->store, e->inst, "nested", &n, 1, &err), NXW_TRAP_HOST);
    assert_non_null(strstr(err.message, "cannot suspend"));
    assert_false(nxw_store_suspended(e->store));
    e->host.suspend = false;
    assert_int_equal(call_i32(e->store, e->inst, "nested", &n, 1), 3);
}

/* ------------------------------------------------------------------ snapshots */

/* Asserts that a and b hold the same state, as far as the module's exports show it:
 * memory bytes and size, globals, table size and null-ness, segment state. */
static void expect_same_state(nxw_store *sa, nxw_instance *a, nxw_store *sb, nxw_instance *b) {
    nxw_memory *ma = nxw_instance_memory(a), *mb = nxw_instance_memory(b);
    assert_int_equal(nxw_memory_size(ma), nxw_memory_size(mb));
    size_t n = nxw_memory_size(ma);
    uint8_t *bufa = malloc(n), *bufb = malloc(n);
    assert_true(nxw_memory_read(ma, 0, bufa, n) && nxw_memory_read(mb, 0, bufb, n));
    assert_memory_equal(bufa, bufb, n);
    free(bufa);
    free(bufb);
    nxw_extern ga, gb;
    assert_true(nxw_instance_export(a, "g", 1, &ga) && nxw_instance_export(b, "g", 1, &gb));
    assert_int_equal(nxw_global_get(ga.of.global).of.i32, nxw_global_get(gb.of.global).of.i32);
    assert_true(nxw_instance_export(a, "gi", 2, &ga) && nxw_instance_export(b, "gi", 2, &gb));
    assert_int_equal(nxw_global_get(ga.of.global).of.i64, nxw_global_get(gb.of.global).of.i64);
    int32_t ts = call_i32(sa, a, "table_size", NULL, 0);
    assert_int_equal(ts, call_i32(sb, b, "table_size", NULL, 0));
    for (int32_t i = 0; i < ts; i++) {
        nxw_value v = vi32(i);
        assert_int_equal(call_i32(sa, a, "slot_null", &v, 1), call_i32(sb, b, "slot_null", &v, 1));
    }
}

/* Asserts the segments of inst were not dropped (both inits succeed). */
static void expect_segments_alive(nxw_store *s, nxw_instance *inst) {
    nxw_error err;
    assert_int_equal(call(s, inst, "init_passive", NULL, 0, NULL, &err), NXW_OK);
    assert_int_equal(call(s, inst, "init_elem", NULL, 0, NULL, &err), NXW_OK);
}

static void new_fresh(env *e, nxw_store **s, nxw_instance **inst) {
    *s = nxw_store_new();
    nxw_error err;
    if (nxw_instantiate(*s, e->mod, e->linker, inst, &err)) fail_msg("instantiate: %s", err.message);
}

static void test_reset_restores_fresh_state(void **state) {
    env *e = *state;
    instantiate(e);
    nxw_error err;
    assert_int_equal(nxw_snapshot_take(e->inst, &e->snap, &err), NXW_OK);
    new_fresh(e, &e->store2, &e->inst2);
    expect_same_state(e->store, e->inst, e->store2, e->inst2);
    for (int round = 0; round < 3; round++) {
        call_i32(e->store, e->inst, "mutate", NULL, 0);
        assert_int_equal(call_i32(e->store, e->inst, "size", NULL, 0), 4);
        assert_int_equal(nxw_instance_reset(e->inst, e->snap, &err), NXW_OK);
        expect_same_state(e->store, e->inst, e->store2, e->inst2);
        nxw_memory_stats st = nxw_memory_get_stats(nxw_instance_memory(e->inst));
        assert_int_equal(st.peak_bytes, PAGE);
        assert_false(st.grow_refused);
    }
    expect_segments_alive(e->store, e->inst);
}

static void test_snapshot_keeps_initialized_state(void **state) {
    env *e = *state;
    instantiate(e);
    /* "initialization" before the snapshot: the snapshot, not the module, is the base */
    nxw_value v = vi32(1234);
    call_i32(e->store, e->inst, "set_g", &v, 1);
    nxw_value args[2] = {vi32(1000), vi32(0x5A5A5A5A)};
    call_i32(e->store, e->inst, "store", args, 2);
    nxw_error err;
    assert_int_equal(nxw_snapshot_take(e->inst, &e->snap, &err), NXW_OK);

    /* an instance made from the snapshot, in another store, has that state */
    e->store2 = nxw_store_new();
    assert_int_equal(nxw_snapshot_instantiate(e->store2, e->snap, e->linker, &e->inst2, &err), NXW_OK);
    expect_same_state(e->store, e->inst, e->store2, e->inst2);
    assert_int_equal(call_i32(e->store2, e->inst2, "load", args, 1), 0x5A5A5A5A);

    /* a third, independent of the second */
    e->store3 = nxw_store_new();
    assert_int_equal(nxw_snapshot_instantiate(e->store3, e->snap, e->linker, &e->inst3, &err), NXW_OK);
    call_i32(e->store2, e->inst2, "mutate", NULL, 0);
    assert_int_equal(call_i32(e->store3, e->inst3, "load", args, 1), 0x5A5A5A5A);
    expect_same_state(e->store, e->inst, e->store3, e->inst3);

    /* reset of the snapshot-made instance: back to the snapshot */
    assert_int_equal(nxw_instance_reset(e->inst2, e->snap, &err), NXW_OK);
    expect_same_state(e->store, e->inst, e->store2, e->inst2);
    expect_segments_alive(e->store2, e->inst2);

    /* the snapshot may be released while instances made from it live on */
    nxw_snapshot_free(e->snap);
    e->snap = NULL;
    call_i32(e->store3, e->inst3, "mutate", NULL, 0);
    assert_int_equal(call_i32(e->store3, e->inst3, "size", NULL, 0), 4);
}

static void test_reset_after_trap_and_suspension(void **state) {
    env *e = *state;
    instantiate(e);
    nxw_error err;
    assert_int_equal(nxw_snapshot_take(e->inst, &e->snap, &err), NXW_OK);
    new_fresh(e, &e->store2, &e->inst2);
    call_i32(e->store, e->inst, "mutate", NULL, 0);
    nxw_store_set_fuel(e->store, 10000);
    assert_int_equal(call_trap(e->store, e->inst, "spin", NULL, 0, &err), NXW_TRAP_FUEL);
    nxw_store_set_fuel(e->store, 0);
    assert_int_equal(nxw_instance_reset(e->inst, e->snap, &err), NXW_OK);
    expect_same_state(e->store, e->inst, e->store2, e->inst2);

    e->host.suspend = true;
    nxw_value n = vi32(3), r;
    assert_int_equal(nxw_func_call(e->store, export_func(e->inst, "host_loop"), &n, 1, &r, 1, NULL, &err),
                     NXW_SUSPENDED);
    assert_int_equal(nxw_instance_reset(e->inst, e->snap, &err), NXW_OK); /* abandons the run */
    assert_false(nxw_store_suspended(e->store));
    e->host.suspend = false;
    expect_same_state(e->store, e->inst, e->store2, e->inst2);
}

static void test_snapshot_errors(void **state) {
    env *e = *state;
    instantiate(e);
    nxw_error err;
    assert_int_equal(nxw_snapshot_take(e->inst, &e->snap, &err), NXW_OK);
    /* a store whose memory limit is below the snapshot's size */
    call_i32(e->store, e->inst, "mutate", NULL, 0); /* 4 pages */
    nxw_snapshot *big;
    assert_int_equal(nxw_snapshot_take(e->inst, &big, &err), NXW_OK);
    e->store2 = nxw_store_new();
    nxw_limits lim = {.memory_bytes = 2 * PAGE};
    nxw_store_set_limits(e->store2, &lim);
    assert_int_equal(nxw_snapshot_instantiate(e->store2, big, e->linker, &e->inst2, &err), NXW_ERR_LIMIT);
    assert_null(e->inst2);
    nxw_snapshot_free(big);
    /* a snapshot of another module is refused */
    static const uint8_t empty[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    nxw_module *m2;
    assert_int_equal(nxw_module_new(empty, sizeof empty, &m2, &err), NXW_OK);
    e->store3 = nxw_store_new();
    assert_int_equal(nxw_instantiate(e->store3, m2, NULL, &e->inst3, &err), NXW_OK);
    assert_int_equal(nxw_instance_reset(e->inst3, e->snap, &err), NXW_ERR_ARGUMENT);
    nxw_store_free(e->store3);
    e->store3 = NULL;
    nxw_module_free(m2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_recursion_small_and_large_stacks),
        TEST(test_recursion_through_host_calls_is_bounded),
        TEST(test_memory_grow_stops_at_the_limit),
        TEST(test_memory_grow_within_declared_max_without_limit),
        TEST(test_initial_memory_above_limit_fails),
        TEST(test_deadline_stops_a_tight_loop),
        TEST(test_deadline_stops_a_loop_of_host_calls),
        TEST(test_interrupt_from_another_thread),
        TEST(test_fuel_counts_and_limits),
        TEST(test_thousand_suspensions_in_one_run),
        TEST(test_resume_with_trap_and_abandon),
        TEST(test_suspension_inside_nested_call_is_refused),
        TEST(test_reset_restores_fresh_state),
        TEST(test_snapshot_keeps_initialized_state),
        TEST(test_reset_after_trap_and_suspension),
        TEST(test_snapshot_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
