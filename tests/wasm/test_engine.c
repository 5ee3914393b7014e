/*
 * test_engine.c — unit tests of the engine's public API (include/nexus_wasm.h) for the
 * behaviour the official spec testsuite does not reach: host functions imported by
 * (module, name, signature) and what they see of their caller (instance, memory
 * accessors and their bounds checks); traps raised by host functions (message, exit
 * code); trap reports (code, function index, "... in function N <name>" messages built
 * from the name section); call-stack exhaustion under small, default and large limits,
 * with the store usable afterwards; wasm -> host -> wasm re-entrancy, including deep and
 * unbounded re-entry; error reports of malformed, invalid and unlinkable modules;
 * independence of stores and instances; module introspection (imports, exports, custom
 * sections, function names); argument checks of nxw_func_call; globals (NaN payloads,
 * imported mutable globals written by wasm); memory growth and nxw_memory_new limits.
 *
 * The modules are WAT fixtures (tests/wasm/fixtures, NAME.wat) converted by
 * `wat2wasm --debug-names` into NEXUS_FIXTURE_DIR, plus a few hand-made binaries. Every
 * test builds its own store/linker/instance in a per-test `env` freed by the teardown,
 * so tests are independent and leak-free (the suite also runs under ASan/UBSan/LSan).
 *
 * Built twice: test_engine runs the fixtures in the interpreter; test_engine_aot
 * (NEXUS_TEST_AOT, tests/wasm/aot.cmake) attaches each fixture's ahead-of-time compiled
 * code when loading it, so the same assertions check native code (the hand-made
 * binaries stay interpreted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "nexus_wasm.h"
#ifdef NEXUS_TEST_AOT
#include "aot_fixtures.h"
#endif

#ifndef NEXUS_FIXTURE_DIR
#error "NEXUS_FIXTURE_DIR must name the folder of the compiled .wasm fixtures"
#endif

#define PAGE 65536u
#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

/* ------------------------------------------------------------------ helpers */

/* Everything a test creates; freed by env_teardown even when an assertion fails.
 * Stores go before modules: a module must outlive the instances made from it. */
typedef struct env {
    nxw_module *mod, *mod2;
    nxw_store *store, *store2;
    nxw_linker *linker;
    nxw_instance *inst;
    uint8_t *bytes;
} env;

static int env_setup(void **state) {
    *state = calloc(1, sizeof(env));
    return *state ? 0 : -1;
}

static int env_teardown(void **state) {
    env *e = *state;
    nxw_store_free(e->store);
    nxw_store_free(e->store2);
    nxw_linker_free(e->linker);
    nxw_module_free(e->mod);
    nxw_module_free(e->mod2);
    free(e->bytes);
    free(e);
    return 0;
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

/* Reads NEXUS_FIXTURE_DIR/name.wasm into a malloc'd buffer; NULL on failure. Plain C,
 * no assertions: also used in forked children. */
static uint8_t *slurp_fixture(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", NEXUS_FIXTURE_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = buf ? (size_t)n : 0;
    return buf;
}

static uint8_t *read_fixture(const char *name, size_t *len) {
    uint8_t *buf = slurp_fixture(name, len);
    if (!buf) fail_msg("cannot read fixture %s/%s.wasm", NEXUS_FIXTURE_DIR, name);
    return buf;
}

/* In the NEXUS_TEST_AOT build (test_engine_aot), attaches fixture `name`'s native code
 * to m, so that instances of it run natively; otherwise does nothing. False when the
 * code is missing or refused. Plain C, no assertions: also used in forked children. */
static bool attach_fixture_code(nxw_module *m, const char *name) {
#ifdef NEXUS_TEST_AOT
    nxw_error err;
    const nxw_aot_code *code = aot_fixture(name);
    if (!code || nxw_module_attach_aot(m, code, &err) != NXW_OK) return false;
    return nxw_module_has_aot(m);
#else
    (void)m;
    (void)name;
    return true;
#endif
}

static nxw_module *module_from(const uint8_t *bytes, size_t len) {
    nxw_module *m = NULL;
    nxw_error err;
    nxw_status st = nxw_module_new(bytes, len, &m, &err);
    if (st != NXW_OK) fail_msg("nxw_module_new: %s", err.message);
    return m;
}

static nxw_module *load_module(const char *name) {
    size_t len;
    uint8_t *bytes = read_fixture(name, &len);
    nxw_module *m = NULL;
    nxw_error err;
    nxw_status st = nxw_module_new(bytes, len, &m, &err);
    free(bytes);
    if (st != NXW_OK) fail_msg("fixture %s: %s", name, err.message);
    if (!attach_fixture_code(m, name)) fail_msg("fixture %s: native code not attached", name);
    return m;
}

/* Loads fixture `name` into e->mod with a fresh store and an empty linker. */
static void open_fixture(env *e, const char *name) {
    e->mod = load_module(name);
    e->store = nxw_store_new();
    e->linker = nxw_linker_new();
    assert_non_null(e->store);
    assert_non_null(e->linker);
}

static nxw_instance *instantiate_in(nxw_store *s, const nxw_module *m, const nxw_linker *l) {
    nxw_instance *inst = NULL;
    nxw_error err;
    nxw_status st = nxw_instantiate(s, m, l, &inst, &err);
    if (st != NXW_OK) fail_msg("nxw_instantiate: %s", err.message);
    assert_non_null(inst);
    return inst;
}

static void instantiate(env *e) { e->inst = instantiate_in(e->store, e->mod, e->linker); }

static nxw_func *export_func(const nxw_instance *inst, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(inst, name, strlen(name), &ext)) fail_msg("no export %s", name);
    assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
    return ext.of.func;
}

static nxw_global *export_global(const nxw_instance *inst, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(inst, name, strlen(name), &ext)) fail_msg("no export %s", name);
    assert_int_equal(ext.kind, NXW_EXTERN_GLOBAL);
    return ext.of.global;
}

static nxw_value vi32(int32_t x) { return (nxw_value){.type = NXW_I32, .of.i32 = x}; }
static nxw_value vi64(int64_t x) { return (nxw_value){.type = NXW_I64, .of.i64 = x}; }
static nxw_value vf32(uint32_t bits) { return (nxw_value){.type = NXW_F32, .of.f32_bits = bits}; }
static nxw_value vf64(uint64_t bits) { return (nxw_value){.type = NXW_F64, .of.f64_bits = bits}; }

/* Calls export `name` with the given args; fills err (pre-cleared) and results. */
static nxw_status call_export(nxw_store *s, const nxw_instance *inst, const char *name,
                              const nxw_value *args, uint32_t nargs, nxw_value *results,
                              uint32_t nresults, nxw_error *err) {
    memset(err, 0, sizeof *err);
    return nxw_func_call(s, export_func(inst, name), args, nargs, results, nresults, NULL, err);
}

/* Calls an export returning one i32 and asserts success. */
static int32_t call_i32(nxw_store *s, const nxw_instance *inst, const char *name,
                        const nxw_value *args, uint32_t nargs) {
    nxw_value r;
    memset(&r, 0, sizeof r);
    nxw_error err;
    nxw_status st = call_export(s, inst, name, args, nargs, &r, 1, &err);
    if (st != NXW_OK) fail_msg("%s: %s", name, err.message);
    assert_int_equal(r.type, NXW_I32);
    return r.of.i32;
}

/* Calls an export and asserts it traps with `trap` in function `func_index`. */
static void expect_trap(nxw_store *s, const nxw_instance *inst, const char *name,
                        const nxw_value *args, uint32_t nargs, nxw_trap trap,
                        uint32_t func_index) {
    nxw_value r[2];
    nxw_error err;
    assert_int_equal(call_export(s, inst, name, args, nargs, r, 2, &err), NXW_ERR_TRAP);
    assert_int_equal(err.status, NXW_ERR_TRAP);
    assert_int_equal(err.trap, trap);
    assert_int_equal(err.func_index, func_index);
    const char *what = nxw_trap_message(trap);
    assert_memory_equal(err.message, what, strlen(what));
}

/* ------------------------------------------------------------------ host functions */

/* What the host functions of host.wat observed. */
typedef struct host_log {
    int add_calls;
    nxw_instance *add_caller;
    nxw_value add_args[2];
    nxw_valtype add_result_type;
    /* mem_op */
    int mem_calls;
    char seen[8];
    bool read_ok, span_matches, write_ok, span_write_ok;
    bool oob_span_end, oob_span_addr_max, oob_span_len_max, oob_span_both_max;
    bool empty_span_at_end;
    bool oob_read_straddle, oob_read_addr_max, oob_write_straddle, oob_write_addr_max;
    uint8_t read_dst_after_oob;
    /* fail */
    const char *fail_message; /* copied to call->message when non-NULL */
    nxw_trap fail_trap;
} host_log;

static nxw_trap host_add(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    host_log *log = user;
    log->add_calls++;
    log->add_caller = call->caller;
    log->add_args[0] = args[0];
    log->add_args[1] = args[1];
    log->add_result_type = results[0].type;
    results[0].of.i32 = (int32_t)((uint32_t)args[0].of.i32 + (uint32_t)args[1].of.i32);
    return NXW_TRAP_NONE;
}

/* mem_op(addr, len): reads the caller's memory at [addr, addr+len), writes "HELLO" at
 * 32 with nxw_memory_write and "!!" at 40 through a span, probes out-of-bounds
 * accesses, and returns 1000. */
static nxw_trap host_mem_op(nxw_call *call, void *user, const nxw_value *args,
                            nxw_value *results) {
    host_log *log = user;
    log->mem_calls++;
    nxw_memory *mem = call->caller ? nxw_instance_memory(call->caller) : NULL;
    uint32_t addr = (uint32_t)args[0].of.i32, len = (uint32_t)args[1].of.i32;
    if (!mem || len >= sizeof log->seen) {
        snprintf(call->message, sizeof call->message, "mem_op: no caller memory");
        return NXW_TRAP_HOST;
    }
    uint64_t size = nxw_memory_size(mem);
    log->read_ok = nxw_memory_read(mem, addr, log->seen, len);
    const uint8_t *span = nxw_memory_span(mem, addr, len);
    log->span_matches = span && memcmp(span, log->seen, len) == 0;
    log->write_ok = nxw_memory_write(mem, 32, "HELLO", 5);
    uint8_t *w = nxw_memory_span(mem, 40, 2);
    log->span_write_ok = w != NULL;
    if (w) memcpy(w, "!!", 2);
    log->oob_span_end = nxw_memory_span(mem, size, 1) == NULL;
    log->oob_span_addr_max = nxw_memory_span(mem, UINT64_MAX, 1) == NULL;
    log->oob_span_len_max = nxw_memory_span(mem, 1, UINT64_MAX) == NULL;
    log->oob_span_both_max = nxw_memory_span(mem, UINT64_MAX, UINT64_MAX) == NULL;
    log->empty_span_at_end = nxw_memory_span(mem, size, 0) != NULL;
    uint8_t dst[4] = {0xEE, 0xEE, 0xEE, 0xEE};
    log->oob_read_straddle = !nxw_memory_read(mem, size - 1, dst, 2);
    log->oob_read_addr_max = !nxw_memory_read(mem, UINT64_MAX, dst, 1);
    log->read_dst_after_oob = dst[0];
    log->oob_write_straddle = !nxw_memory_write(mem, size - 2, "abc", 3);
    log->oob_write_addr_max = !nxw_memory_write(mem, UINT64_MAX - 1, "abc", 3);
    results[0].of.i32 = 1000;
    return NXW_TRAP_NONE;
}

static nxw_trap host_fail(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    (void)args;
    (void)results;
    host_log *log = user;
    if (log->fail_message) snprintf(call->message, sizeof call->message, "%s", log->fail_message);
    return log->fail_trap;
}

static nxw_trap host_exit(nxw_call *call, void *user, const nxw_value *args, nxw_value *results) {
    (void)user;
    (void)results;
    call->exit_code = args[0].of.i32;
    return NXW_TRAP_EXIT;
}

/* host.wat: imports add 0, mem_op 1, fail 2, exit 3; call_add 4, call_mem 5,
 * call_fail 6, call_exit 7. */
static void open_host_fixture(env *e, host_log *log) {
    open_fixture(e, "host");
    nxw_error err;
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "add", "(ii)i", host_add, log, &err), NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "mem_op", "(ii)i", host_mem_op, log, &err), NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "fail", "()", host_fail, log, &err), NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "exit", "(i)", host_exit, log, &err), NXW_OK);
    instantiate(e);
}

static void test_host_import_called_with_args_and_caller(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    nxw_value args[2] = {vi32(40), vi32(2)};
    assert_int_equal(call_i32(e->store, e->inst, "call_add", args, 2), 42);
    assert_int_equal(log.add_calls, 1);
    assert_ptr_equal(log.add_caller, e->inst);
    assert_int_equal(log.add_args[0].type, NXW_I32);
    assert_int_equal(log.add_args[0].of.i32, 40);
    assert_int_equal(log.add_args[1].type, NXW_I32);
    assert_int_equal(log.add_args[1].of.i32, 2);
    assert_int_equal(log.add_result_type, NXW_I32);
    /* i32 wrap-around through the host boundary */
    nxw_value big[2] = {vi32(INT32_MAX), vi32(1)};
    assert_int_equal(call_i32(e->store, e->inst, "call_add", big, 2), INT32_MIN);
    assert_int_equal(log.add_calls, 2);
}

static void test_host_called_directly_has_no_caller(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    log.add_caller = (nxw_instance *)&log; /* must be overwritten with NULL */
    nxw_func *add = export_func(e->inst, "add");
    assert_int_equal(nxw_func_param_count(add), 2);
    assert_int_equal(nxw_func_result_count(add), 1);
    nxw_value args[2] = {vi32(-5), vi32(3)}, r;
    nxw_error err;
    assert_int_equal(nxw_func_call(e->store, add, args, 2, &r, 1, NULL, &err), NXW_OK);
    assert_int_equal(r.type, NXW_I32);
    assert_int_equal(r.of.i32, -2);
    assert_int_equal(log.add_calls, 1);
    assert_null(log.add_caller);
    /* a host function that needs a caller can fail cleanly without one */
    nxw_value margs[2] = {vi32(16), vi32(5)};
    assert_int_equal(nxw_func_call(e->store, export_func(e->inst, "mem_op"), margs, 2, &r, 1,
                                   NULL, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_HOST);
    assert_non_null(strstr(err.message, "mem_op: no caller memory"));
}

static void test_host_reads_and_writes_caller_memory(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    /* 1000 from the host + 'H' that the host wrote at 32 and wasm read back */
    assert_int_equal(call_i32(e->store, e->inst, "call_mem", NULL, 0), 1000 + 'H');
    assert_int_equal(log.mem_calls, 1);
    assert_true(log.read_ok);
    assert_memory_equal(log.seen, "hello", 5);
    assert_true(log.span_matches);
    assert_true(log.write_ok);
    assert_true(log.span_write_ok);
    nxw_memory *mem = nxw_instance_memory(e->inst);
    assert_non_null(mem);
    char buf[16];
    assert_true(nxw_memory_read(mem, 32, buf, 5));
    assert_memory_equal(buf, "HELLO", 5);
    assert_true(nxw_memory_read(mem, 40, buf, 2));
    assert_memory_equal(buf, "!!", 2);
    /* out-of-bounds accesses were refused inside the callback ... */
    assert_true(log.oob_span_end);
    assert_true(log.oob_span_addr_max);
    assert_true(log.oob_span_len_max);
    assert_true(log.oob_span_both_max);
    assert_true(log.empty_span_at_end);
    assert_true(log.oob_read_straddle);
    assert_true(log.oob_read_addr_max);
    assert_int_equal(log.read_dst_after_oob, 0xEE);
    assert_true(log.oob_write_straddle);
    assert_true(log.oob_write_addr_max);
    /* ... and the refused write left the last bytes alone */
    uint8_t tail[2] = {1, 1};
    assert_true(nxw_memory_read(mem, PAGE - 2, tail, 2));
    assert_int_equal(tail[0], 0);
    assert_int_equal(tail[1], 0);
}

static void test_memory_accessor_bounds(void **state) {
    env *e = *state;
    e->store = nxw_store_new();
    nxw_memory *mem = NULL;
    nxw_error err;
    assert_int_equal(nxw_memory_new(e->store, 1, 2, true, &mem, &err), NXW_OK);
    assert_non_null(mem);
    assert_int_equal(nxw_memory_size(mem), PAGE);
    uint8_t *p = nxw_memory_span(mem, PAGE - 4, 4);
    assert_non_null(p);
    memcpy(p, "\x01\x02\x03\x04", 4);
    uint8_t buf[8] = {0};
    assert_true(nxw_memory_read(mem, PAGE - 4, buf, 4));
    assert_memory_equal(buf, "\x01\x02\x03\x04", 4);
    assert_null(nxw_memory_span(mem, PAGE - 3, 4));
    assert_null(nxw_memory_span(mem, PAGE + 1, 0));
    assert_null(nxw_memory_span(mem, UINT64_MAX, 1));
    assert_null(nxw_memory_span(mem, 1, UINT64_MAX));
    assert_null(nxw_memory_span(mem, UINT64_MAX, UINT64_MAX));
    assert_null(nxw_memory_span(mem, (uint64_t)1 << 32, 1));
    assert_false(nxw_memory_read(mem, UINT64_MAX, buf, 1));
    assert_false(nxw_memory_read(mem, 1, buf, SIZE_MAX));
    assert_false(nxw_memory_write(mem, UINT64_MAX, buf, 1));
    assert_false(nxw_memory_write(mem, 8, buf, SIZE_MAX));
    assert_false(nxw_memory_write(mem, PAGE - 3, "wxyz", 4));
    assert_true(nxw_memory_read(mem, PAGE - 4, buf, 4));
    assert_memory_equal(buf, "\x01\x02\x03\x04", 4); /* untouched by the refused write */
    assert_true(nxw_memory_write(mem, 0, "ok", 2));
    assert_true(nxw_memory_read(mem, 0, buf, 2));
    assert_memory_equal(buf, "ok", 2);
    /* zero-length accesses at the very end are in bounds */
    assert_true(nxw_memory_read(mem, PAGE, buf, 0));
    assert_true(nxw_memory_write(mem, PAGE, buf, 0));
    /* a memory of 0 pages has no addressable byte */
    nxw_memory *empty = NULL;
    assert_int_equal(nxw_memory_new(e->store, 0, 0, false, &empty, &err), NXW_OK);
    assert_int_equal(nxw_memory_size(empty), 0);
    assert_null(nxw_memory_span(empty, 0, 1));
    assert_false(nxw_memory_read(empty, 0, buf, 1));
}

static void test_host_trap_message_reported(void **state) {
    env *e = *state;
    host_log log = {.fail_message = "disk on fire", .fail_trap = NXW_TRAP_HOST};
    open_host_fixture(e, &log);
    nxw_value r;
    nxw_error err;
    int exit_code = -1;
    assert_int_equal(nxw_func_call(e->store, export_func(e->inst, "call_fail"), NULL, 0, &r, 1,
                                   &exit_code, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.status, NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_HOST);
    assert_non_null(strstr(err.message, "disk on fire"));
    assert_int_equal(err.func_index, 6); /* the wasm function that called the host */
    assert_string_equal(err.message, "disk on fire in function 6 <call_fail>");
    /* without a message the trap's generic description is used */
    log.fail_message = NULL;
    assert_int_equal(call_export(e->store, e->inst, "call_fail", NULL, 0, &r, 1, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_HOST);
    assert_string_equal(err.message, "host function failed in function 6 <call_fail>");
    /* the store keeps working */
    nxw_value args[2] = {vi32(1), vi32(2)};
    assert_int_equal(call_i32(e->store, e->inst, "call_add", args, 2), 3);
}

static void test_host_exit_code_reported(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    nxw_func *f = export_func(e->inst, "call_exit");
    nxw_value arg = vi32(7), r;
    nxw_error err;
    int exit_code = -1;
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, &exit_code, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_EXIT);
    assert_int_equal(exit_code, 7);
    /* a NULL exit_code pointer is allowed */
    arg = vi32(3);
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, NULL, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_EXIT);
    arg = vi32(0);
    assert_int_equal(nxw_func_call(e->store, f, &arg, 1, &r, 1, &exit_code, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_EXIT);
    assert_int_equal(exit_code, 0);
}

static void test_host_signature_strings(void **state) {
    env *e = *state;
    e->linker = nxw_linker_new();
    host_log log = {0};
    nxw_error err;
    const char *bad[] = {"", "(", "ii)i", "(ii", "(q)i", "(i)z", "i"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        memset(&err, 0, sizeof err);
        assert_int_equal(nxw_linker_define_host(e->linker, "env", "f", bad[i], host_add, &log, &err),
                         NXW_ERR_ARGUMENT);
        assert_int_equal(err.status, NXW_ERR_ARGUMENT);
        assert_true(err.message[0] != '\0');
    }
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "f", "(ii)i", NULL, &log, &err),
                     NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "f", "()", host_fail, &log, &err), NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "g", "(iIfFrx)IF", host_fail, &log, &err),
                     NXW_OK);
}

/* ------------------------------------------------------------------ traps */

/* traps.wat: const7 0, parse_header 1, read_header 2, boom 3, load 4, call_v_i 5,
 * call_i_i 6, div_s 7, trunc 8. */
static void open_traps_fixture(env *e) {
    open_fixture(e, "traps");
    instantiate(e);
}

static void test_trap_message_names_function(void **state) {
    env *e = *state;
    open_traps_fixture(e);
    assert_string_equal(nxw_module_func_name(e->mod, 1), "parse_header");
    nxw_value four = vi32(4), zero = vi32(0);
    assert_int_equal(call_i32(e->store, e->inst, "parse_header", &four, 1), 25);
    nxw_value r;
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "parse_header", &zero, 1, &r, 1, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.status, NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_DIV_BY_ZERO);
    assert_int_equal(err.func_index, 1);
    assert_string_equal(err.message, "integer divide by zero in function 1 <parse_header>");
    /* a trap in a callee names the callee, not the export that was called */
    assert_int_equal(call_export(e->store, e->inst, "read_header", &zero, 1, &r, 1, &err),
                     NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_DIV_BY_ZERO);
    assert_int_equal(err.func_index, 1);
    assert_string_equal(err.message, "integer divide by zero in function 1 <parse_header>");
    /* and the store runs normally afterwards */
    assert_int_equal(call_i32(e->store, e->inst, "read_header", &four, 1), 26);
}

static void test_trap_message_without_names(void **state) {
    env *e = *state;
    /* (func (export "f") (result i32) i32.const 1 i32.const 0 i32.div_s), no name section */
    static const uint8_t bin[] = {
        HDR,
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,
        0x03, 0x02, 0x01, 0x00,
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
        0x0A, 0x09, 0x01, 0x07, 0x00, 0x41, 0x01, 0x41, 0x00, 0x6D, 0x0B,
    };
    e->mod = module_from(bin, sizeof bin);
    e->store = nxw_store_new();
    e->inst = instantiate_in(e->store, e->mod, NULL);
    assert_null(nxw_module_func_name(e->mod, 0));
    nxw_value r;
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "f", NULL, 0, &r, 1, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_DIV_BY_ZERO);
    assert_int_equal(err.func_index, 0);
    assert_string_equal(err.message, "integer divide by zero in function 0");
}

static void test_trap_unreachable(void **state) {
    env *e = *state;
    open_traps_fixture(e);
    expect_trap(e->store, e->inst, "boom", NULL, 0, NXW_TRAP_UNREACHABLE, 3);
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "boom", NULL, 0, NULL, 0, &err), NXW_ERR_TRAP);
    assert_string_equal(err.message, "unreachable in function 3 <boom>");
}

static void test_trap_memory_out_of_bounds(void **state) {
    env *e = *state;
    open_traps_fixture(e);
    nxw_value a = vi32((int32_t)(PAGE - 4));
    assert_int_equal(call_i32(e->store, e->inst, "load", &a, 1), 0);
    assert_non_null(nxw_instance_memory(e->inst)); /* memory 0, even when not exported */
    a = vi32((int32_t)(PAGE - 3));
    expect_trap(e->store, e->inst, "load", &a, 1, NXW_TRAP_MEMORY_OOB, 4);
    a = vi32(-1); /* address 0xFFFFFFFF: the effective address must not wrap */
    expect_trap(e->store, e->inst, "load", &a, 1, NXW_TRAP_MEMORY_OOB, 4);
    a = vi32(INT32_MIN);
    expect_trap(e->store, e->inst, "load", &a, 1, NXW_TRAP_MEMORY_OOB, 4);
}

static void test_trap_call_indirect(void **state) {
    env *e = *state;
    open_traps_fixture(e);
    nxw_value a = vi32(0);
    assert_int_equal(call_i32(e->store, e->inst, "call_v_i", &a, 1), 7);
    a = vi32(1); /* null element */
    expect_trap(e->store, e->inst, "call_v_i", &a, 1, NXW_TRAP_UNINITIALIZED, 5);
    a = vi32(2); /* table has 2 elements */
    expect_trap(e->store, e->inst, "call_v_i", &a, 1, NXW_TRAP_TABLE_OOB, 5);
    a = vi32(-1);
    expect_trap(e->store, e->inst, "call_v_i", &a, 1, NXW_TRAP_TABLE_OOB, 5);
    a = vi32(0); /* element 0 is () -> i32, called as (i32) -> i32 */
    expect_trap(e->store, e->inst, "call_i_i", &a, 1, NXW_TRAP_INDIRECT_MISMATCH, 6);
}

static void test_trap_overflow_and_conversion(void **state) {
    env *e = *state;
    open_traps_fixture(e);
    nxw_value ab[2] = {vi32(INT32_MIN), vi32(-1)};
    expect_trap(e->store, e->inst, "div_s", ab, 2, NXW_TRAP_INT_OVERFLOW, 7);
    ab[1] = vi32(0);
    expect_trap(e->store, e->inst, "div_s", ab, 2, NXW_TRAP_DIV_BY_ZERO, 7);
    ab[0] = vi32(-7);
    ab[1] = vi32(2);
    assert_int_equal(call_i32(e->store, e->inst, "div_s", ab, 2), -3);
    nxw_value f = vf32(0x7FC00000); /* NaN */
    expect_trap(e->store, e->inst, "trunc", &f, 1, NXW_TRAP_INVALID_CONVERSION, 8);
    f = vf32(0x4F000000); /* 2^31 */
    expect_trap(e->store, e->inst, "trunc", &f, 1, NXW_TRAP_INT_OVERFLOW, 8);
    f = vf32(0xC0600000); /* -3.5 */
    assert_int_equal(call_i32(e->store, e->inst, "trunc", &f, 1), -3);
}

/* ------------------------------------------------------------------ stack exhaustion */

/* recurse.wat: down 0 (unbounded), wide 1 (unbounded, 33 i64 locals), sum 2, leaf 3. */
static void open_recurse_fixture(env *e, uint32_t max_call_depth, size_t stack_bytes) {
    open_fixture(e, "recurse");
    nxw_limits lim = {.max_call_depth = max_call_depth, .stack_bytes = stack_bytes};
    nxw_store_set_limits(e->store, &lim);
    instantiate(e);
}

static void expect_recursion_traps_then_recovers(env *e, int32_t sum_n) {
    nxw_value z = vi32(0);
    expect_trap(e->store, e->inst, "down", &z, 1, NXW_TRAP_STACK_EXHAUSTED, 0);
    nxw_value w = vi64(0);
    expect_trap(e->store, e->inst, "wide", &w, 1, NXW_TRAP_STACK_EXHAUSTED, 1);
    /* the engine unwound: ordinary and moderately deep calls work on the same store */
    assert_int_equal(call_i32(e->store, e->inst, "leaf", NULL, 0), 42);
    nxw_value n = vi32(sum_n);
    assert_int_equal(call_i32(e->store, e->inst, "sum", &n, 1), sum_n * (sum_n + 1) / 2);
    expect_trap(e->store, e->inst, "down", &z, 1, NXW_TRAP_STACK_EXHAUSTED, 0);
    assert_int_equal(call_i32(e->store, e->inst, "sum", &n, 1), sum_n * (sum_n + 1) / 2);
}

static void test_stack_exhausted_small_limits(void **state) {
    env *e = *state;
    open_recurse_fixture(e, 100, 64 * 1024);
    expect_recursion_traps_then_recovers(e, 50);
    /* max_call_depth counts frames exactly: sum(n) needs n + 1 of them */
    nxw_value n = vi32(99);
    assert_int_equal(call_i32(e->store, e->inst, "sum", &n, 1), 99 * 100 / 2);
    n = vi32(100);
    expect_trap(e->store, e->inst, "sum", &n, 1, NXW_TRAP_STACK_EXHAUSTED, 2);
}

static void test_stack_exhausted_small_value_stack_large_depth(void **state) {
    env *e = *state;
    open_recurse_fixture(e, 1000000, 64 * 1024);
    expect_recursion_traps_then_recovers(e, 100);
}

static void test_stack_exhausted_default_limits(void **state) {
    env *e = *state;
    open_recurse_fixture(e, 0, 0);
    expect_recursion_traps_then_recovers(e, 5000);
}

static void test_stack_exhausted_large_limits(void **state) {
    env *e = *state;
    open_recurse_fixture(e, 1000000, 8u << 20);
    expect_recursion_traps_then_recovers(e, 20000);
}

static void test_limits_change_between_calls(void **state) {
    env *e = *state;
    open_recurse_fixture(e, 10, 0);
    nxw_value n = vi32(500);
    expect_trap(e->store, e->inst, "sum", &n, 1, NXW_TRAP_STACK_EXHAUSTED, 2);
    nxw_limits lim = {.max_call_depth = 1000, .stack_bytes = 0};
    nxw_store_set_limits(e->store, &lim);
    assert_int_equal(call_i32(e->store, e->inst, "sum", &n, 1), 500 * 501 / 2);
    lim.max_call_depth = 10;
    nxw_store_set_limits(e->store, &lim);
    expect_trap(e->store, e->inst, "sum", &n, 1, NXW_TRAP_STACK_EXHAUSTED, 2);
}

/* ------------------------------------------------------------------ re-entrancy */

/* A host function that calls export `target` of its caller with its argument. */
typedef struct reenter_ctx {
    nxw_store *store;
    const char *target;
    bool swallow; /* on a failed nested call: return -1 instead of trapping */
    int calls, failures, nesting, max_nesting;
    nxw_trap nested_trap;
} reenter_ctx;

static nxw_trap host_reenter(nxw_call *call, void *user, const nxw_value *args,
                             nxw_value *results) {
    reenter_ctx *c = user;
    c->calls++;
    nxw_extern ext;
    if (!call->caller || !nxw_instance_export(call->caller, c->target, strlen(c->target), &ext)) {
        snprintf(call->message, sizeof call->message, "no export %s", c->target);
        return NXW_TRAP_HOST;
    }
    if (++c->nesting > c->max_nesting) c->max_nesting = c->nesting;
    nxw_error err;
    nxw_status st = nxw_func_call(c->store, ext.of.func, args, 1, results, 1, NULL, &err);
    c->nesting--;
    if (st == NXW_OK) return NXW_TRAP_NONE;
    c->failures++;
    c->nested_trap = err.trap;
    if (c->swallow) {
        results[0].of.i32 = -1;
        return NXW_TRAP_NONE;
    }
    return st == NXW_ERR_TRAP ? err.trap : NXW_TRAP_HOST;
}

/* reenter.wat: imports host_fact 0, host_spin 1; fact 2, spin 3, twice 4. */
static void open_reenter_fixture(env *e, reenter_ctx *fact, reenter_ctx *spin,
                                 uint32_t max_call_depth, size_t stack_bytes) {
    open_fixture(e, "reenter");
    nxw_limits lim = {.max_call_depth = max_call_depth, .stack_bytes = stack_bytes};
    nxw_store_set_limits(e->store, &lim);
    fact->store = spin->store = e->store;
    fact->target = "fact";
    spin->target = "spin";
    nxw_error err;
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "host_fact", "(i)i", host_reenter, fact, &err),
                     NXW_OK);
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "host_spin", "(i)i", host_reenter, spin, &err),
                     NXW_OK);
    instantiate(e);
}

static void test_reentrant_factorial(void **state) {
    env *e = *state;
    reenter_ctx fact = {0}, spin = {0};
    open_reenter_fixture(e, &fact, &spin, 0, 0);
    nxw_value n = vi32(5);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 120);
    assert_int_equal(fact.calls, 4);
    assert_int_equal(fact.max_nesting, 4);
    assert_int_equal(fact.failures, 0);
    n = vi32(12);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 479001600);
    assert_int_equal(fact.calls, 4 + 11);
    n = vi32(1);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 1);
    n = vi32(21);
    assert_int_equal(call_i32(e->store, e->inst, "twice", &n, 1), 42);
}

static void test_reentrant_recursion_traps_and_unwinds(void **state) {
    env *e = *state;
    reenter_ctx fact = {0}, spin = {0};
    open_reenter_fixture(e, &fact, &spin, 50, 0);
    nxw_value z = vi32(0), r;
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "spin", &z, 1, &r, 1, &err), NXW_ERR_TRAP);
    assert_int_equal(err.trap, NXW_TRAP_STACK_EXHAUSTED);
    assert_int_equal(err.func_index, 3);
    assert_string_equal(err.message, "call stack exhausted in function 3 <spin>");
    assert_int_equal(spin.calls, 50); /* one wasm frame per level */
    assert_int_equal(spin.failures, 50);
    assert_int_equal(spin.nested_trap, NXW_TRAP_STACK_EXHAUSTED);
    assert_int_equal(spin.nesting, 0);
    /* the store is usable, with its whole depth available again */
    nxw_value n = vi32(21);
    assert_int_equal(call_i32(e->store, e->inst, "twice", &n, 1), 42);
    n = vi32(12);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 479001600);
}

/* A host function that catches the failure of its nested call and returns normally:
 * the frames of the enclosing wasm calls must survive the nested trap. */
static void test_reentrant_host_swallows_nested_trap(void **state) {
    env *e = *state;
    reenter_ctx fact = {0}, spin = {.swallow = true};
    open_reenter_fixture(e, &fact, &spin, 8, 0);
    /* levels 1..8 run spin; level 8's nested call fails (-1); each level adds 1 */
    nxw_value z = vi32(0);
    assert_int_equal(call_i32(e->store, e->inst, "spin", &z, 1), 7);
    assert_int_equal(spin.calls, 8);
    assert_int_equal(spin.failures, 1);
    assert_int_equal(spin.nested_trap, NXW_TRAP_STACK_EXHAUSTED);
    /* depth is back to 0: limits can change, and 8 frames are available again */
    nxw_value n = vi32(8);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 40320);
    nxw_limits lim = {.max_call_depth = 100, .stack_bytes = 0};
    nxw_store_set_limits(e->store, &lim);
    n = vi32(12);
    assert_int_equal(call_i32(e->store, e->inst, "fact", &n, 1), 479001600);
}

/* Runs unbounded wasm -> host -> wasm recursion under the given limits in a child
 * process (a C stack overflow must fail this test, not kill the whole suite). The child
 * exits 0 when the call ended in a stack-exhaustion trap and the store still worked. */
static int spin_in_child(uint32_t max_call_depth, size_t stack_bytes) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int code = 10;
        size_t len;
        uint8_t *bytes = slurp_fixture("reenter", &len);
        nxw_module *m = NULL;
        nxw_store *s = nxw_store_new();
        nxw_linker *l = nxw_linker_new();
        reenter_ctx fact = {.store = s, .target = "fact"}, spin = {.store = s, .target = "spin"};
        nxw_instance *inst = NULL;
        nxw_limits lim = {.max_call_depth = max_call_depth, .stack_bytes = stack_bytes};
        nxw_store_set_limits(s, &lim);
        nxw_extern ext;
        nxw_value z = vi32(0), r;
        nxw_error err;
        if (!bytes || nxw_module_new(bytes, len, &m, &err) || !attach_fixture_code(m, "reenter") ||
            nxw_linker_define_host(l, "env", "host_fact", "(i)i", host_reenter, &fact, &err) ||
            nxw_linker_define_host(l, "env", "host_spin", "(i)i", host_reenter, &spin, &err) ||
            nxw_instantiate(s, m, l, &inst, &err) || !nxw_instance_export(inst, "spin", 4, &ext))
            _exit(11);
        nxw_status st = nxw_func_call(s, ext.of.func, &z, 1, &r, 1, NULL, &err);
        if (st == NXW_ERR_TRAP && err.trap == NXW_TRAP_STACK_EXHAUSTED) code = 0;
        else fprintf(stderr, "spin: status %d trap %d: %s\n", st, err.trap, err.message);
        nxw_value n = vi32(6);
        if (code == 0 && (!nxw_instance_export(inst, "fact", 4, &ext) ||
                          nxw_func_call(s, ext.of.func, &n, 1, &r, 1, NULL, &err) != NXW_OK ||
                          r.of.i32 != 720))
            code = 12;
        nxw_store_free(s);
        nxw_linker_free(l);
        nxw_module_free(m);
        free(bytes);
        _exit(code);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
        print_error("child killed by signal %d (limits %u frames, %zu bytes)\n", WTERMSIG(status),
                    max_call_depth, stack_bytes);
        return -WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

static void test_reentrant_deep_recursion_default_limits(void **state) {
    (void)state;
    assert_int_equal(spin_in_child(0, 0), 0);
}

static void test_reentrant_deep_recursion_large_limits(void **state) {
    (void)state;
    assert_int_equal(spin_in_child(1000000, 8u << 20), 0);
}

/* ------------------------------------------------------------------ bad modules */

static void expect_malformed(const uint8_t *bytes, size_t len, size_t max_offset) {
    nxw_module *m = (nxw_module *)&m; /* must be reset to NULL */
    nxw_error err;
    memset(&err, 0, sizeof err);
    err.offset = SIZE_MAX - 1;
    assert_int_equal(nxw_module_new(bytes, len, &m, &err), NXW_ERR_MALFORMED);
    assert_null(m);
    assert_int_equal(err.status, NXW_ERR_MALFORMED);
    assert_int_equal(err.trap, NXW_TRAP_NONE);
    assert_true(err.message[0] != '\0');
    assert_true(strlen(err.message) < sizeof err.message);
    assert_int_not_equal(err.offset, SIZE_MAX);
    assert_true(err.offset <= max_offset);
}

static void test_malformed_empty_input(void **state) {
    (void)state;
    static const uint8_t none[1] = {0};
    expect_malformed(none, 0, 0);
    expect_malformed(NULL, 0, 0);
}

static void test_malformed_truncated_header(void **state) {
    (void)state;
    static const uint8_t hdr[] = {HDR};
    for (size_t len = 1; len < sizeof hdr; len++) expect_malformed(hdr, len, len);
    /* wrong magic, wrong version */
    static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00};
    expect_malformed(magic, sizeof magic, 4);
    static const uint8_t version[] = {0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00};
    expect_malformed(version, sizeof version, 8);
    /* the header alone is a valid empty module */
    nxw_module *m = NULL;
    assert_int_equal(nxw_module_new(hdr, sizeof hdr, &m, NULL), NXW_OK);
    assert_int_equal(nxw_module_export_count(m), 0);
    nxw_module_free(m);
}

static void test_malformed_random_junk(void **state) {
    env *e = *state;
    uint8_t *junk = malloc(4096);
    e->bytes = junk;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < 4096; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        junk[i] = (uint8_t)(x >> 24);
    }
    junk[0] = 0x01; /* not the magic */
    expect_malformed(junk, 4096, 4096);
    expect_malformed(junk, 7, 7);
    /* a valid header followed by junk sections */
    memcpy(junk, (const uint8_t[]){HDR}, 8);
    for (size_t len = 9; len <= 4096; len *= 2) expect_malformed(junk, len, len);
    /* a section running past the end of the input */
    static const uint8_t overlong[] = {HDR, 0x01, 0x7F, 0x01, 0x60};
    expect_malformed(overlong, sizeof overlong, sizeof overlong);
}

static void test_invalid_module_names_function(void **state) {
    (void)state;
    /* (import "env" "f" (func (result i32))) (func (result i32) i64.const 0) */
    static const uint8_t bin[] = {
        HDR,
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F,
        0x02, 0x09, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0A, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0B,
    };
    nxw_module *m = (nxw_module *)&m;
    nxw_error err;
    assert_int_equal(nxw_module_new(bin, sizeof bin, &m, &err), NXW_ERR_INVALID);
    assert_null(m);
    assert_int_equal(err.status, NXW_ERR_INVALID);
    assert_int_equal(err.func_index, 1); /* imported functions come first */
    assert_non_null(strstr(err.message, "type mismatch"));
    assert_non_null(strstr(err.message, "in function 1"));
    assert_int_not_equal(err.offset, SIZE_MAX);
    assert_true(err.offset > sizeof bin - 6 && err.offset <= sizeof bin); /* in the body */
}

/* ------------------------------------------------------------------ linking */

static void test_unlinkable_missing_import(void **state) {
    env *e = *state;
    host_log log = {0};
    open_fixture(e, "host");
    nxw_error err;
    assert_int_equal(nxw_linker_define_host(e->linker, "env", "add", "(ii)i", host_add, &log, &err), NXW_OK);
    nxw_instance *inst = (nxw_instance *)&inst;
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_null(inst);
    assert_int_equal(err.status, NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "env"));
    assert_non_null(strstr(err.message, "mem_op"));
    /* no linker at all: the first import is missing */
    assert_int_equal(nxw_instantiate(e->store, e->mod, NULL, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "env"));
    assert_non_null(strstr(err.message, "add"));
    /* a definition under another module name does not count */
    nxw_linker_free(e->linker);
    e->linker = nxw_linker_new();
    assert_int_equal(nxw_linker_define_host(e->linker, "wasi", "add", "(ii)i", host_add, &log, &err), NXW_OK);
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "\"env\""));
    assert_non_null(strstr(err.message, "\"add\""));
    assert_int_equal(log.add_calls, 0);
}

static void test_unlinkable_wrong_signature(void **state) {
    env *e = *state;
    host_log log = {0};
    open_fixture(e, "host");
    nxw_error err;
    nxw_instance *inst = NULL;
    /* env.add is (i32 i32) -> i32 in the module */
    const char *wrong[] = {"(i)i", "(ii)", "(iI)i", "(ii)ii", "(ii)f"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        nxw_linker_free(e->linker);
        e->linker = nxw_linker_new();
        assert_int_equal(nxw_linker_define_host(e->linker, "env", "add", wrong[i], host_add, &log, &err),
                         NXW_OK);
        assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
        assert_null(inst);
        assert_non_null(strstr(err.message, "add"));
    }
    /* right name, wrong kind: a global */
    nxw_linker_free(e->linker);
    e->linker = nxw_linker_new();
    nxw_global *g = NULL;
    assert_int_equal(nxw_global_new(e->store, vi32(1), false, &g, &err), NXW_OK);
    nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL, .of.global = g};
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "add", 3, ext, &err), NXW_OK);
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "add"));
    assert_int_equal(log.add_calls, 0);
}

/* ------------------------------------------------------------------ independence */

static void test_stores_and_instances_independent(void **state) {
    env *e = *state;
    open_fixture(e, "counter");
    e->mod2 = load_module("counter");
    e->store2 = nxw_store_new();
    nxw_instance *a = instantiate_in(e->store, e->mod, NULL);
    nxw_instance *b = instantiate_in(e->store2, e->mod, NULL);   /* same module, other store */
    nxw_instance *c = instantiate_in(e->store, e->mod2, NULL);   /* other module, same store */
    nxw_instance *d = instantiate_in(e->store, e->mod, NULL);    /* same module, same store */
    assert_int_equal(call_i32(e->store, a, "inc", NULL, 0), 1);
    assert_int_equal(call_i32(e->store, a, "inc", NULL, 0), 2);
    assert_int_equal(call_i32(e->store, a, "inc", NULL, 0), 3);
    assert_int_equal(call_i32(e->store2, b, "inc", NULL, 0), 1);
    assert_int_equal(call_i32(e->store, c, "inc", NULL, 0), 1);
    assert_int_equal(call_i32(e->store, c, "inc", NULL, 0), 2);
    assert_int_equal(nxw_global_get(export_global(a, "g")).of.i32, 3);
    assert_int_equal(nxw_global_get(export_global(b, "g")).of.i32, 1);
    assert_int_equal(nxw_global_get(export_global(c, "g")).of.i32, 2);
    assert_int_equal(nxw_global_get(export_global(d, "g")).of.i32, 0);
    nxw_instance *all[] = {a, b, c, d};
    int32_t want[] = {3, 1, 2, 0};
    for (int i = 0; i < 4; i++) {
        nxw_memory *mem = nxw_instance_memory(all[i]);
        assert_non_null(mem);
        for (int j = 0; j < i; j++) assert_ptr_not_equal(mem, nxw_instance_memory(all[j]));
        int32_t v = -1;
        assert_true(nxw_memory_read(mem, 0, &v, 4));
        assert_int_equal(v, want[i]);
    }
    /* freeing one store leaves the other's instances working */
    nxw_store_free(e->store);
    e->store = NULL;
    assert_int_equal(call_i32(e->store2, b, "inc", NULL, 0), 2);
}

/* ------------------------------------------------------------------ introspection */

static void expect_name(const char *p, size_t len, const char *want) {
    assert_int_equal(len, strlen(want));
    assert_memory_equal(p, want, len);
}

static void test_module_imports_exports_customs(void **state) {
    env *e = *state;
    size_t len;
    uint8_t *bytes = read_fixture("host", &len);
    /* append a custom section "nexus.meta" with payload "v1" (allowed anywhere) */
    static const uint8_t custom[] = {0x00, 0x0D, 0x0A, 'n', 'e', 'x', 'u', 's', '.', 'm', 'e', 't', 'a', 'v', '1'};
    e->bytes = realloc(bytes, len + sizeof custom);
    assert_non_null(e->bytes);
    memcpy(e->bytes + len, custom, sizeof custom);
    e->mod = module_from(e->bytes, len + sizeof custom);
    const nxw_module *m = e->mod;

    static const char *const imports[] = {"add", "mem_op", "fail", "exit"};
    assert_int_equal(nxw_module_import_count(m), 4);
    for (uint32_t i = 0; i < 4; i++) {
        const char *mod, *name;
        size_t mlen, nlen;
        nxw_externkind kind = NXW_EXTERN_GLOBAL;
        nxw_module_import(m, i, &mod, &mlen, &name, &nlen, &kind);
        expect_name(mod, mlen, "env");
        expect_name(name, nlen, imports[i]);
        assert_int_equal(kind, NXW_EXTERN_FUNC);
    }
    static const char *const exports[] = {"memory", "call_add", "call_mem", "call_fail",
                                          "call_exit", "add", "mem_op"};
    assert_int_equal(nxw_module_export_count(m), 7);
    for (uint32_t i = 0; i < 7; i++) {
        const char *name;
        size_t nlen;
        nxw_externkind kind = NXW_EXTERN_TABLE;
        nxw_module_export(m, i, &name, &nlen, &kind);
        expect_name(name, nlen, exports[i]);
        assert_int_equal(kind, i == 0 ? NXW_EXTERN_MEMORY : NXW_EXTERN_FUNC);
    }
    assert_int_equal(nxw_module_custom_count(m), 2);
    const char *cname;
    size_t cname_len, data_len;
    const uint8_t *data;
    nxw_module_custom(m, 0, &cname, &cname_len, &data, &data_len);
    expect_name(cname, cname_len, "name");
    assert_true(data_len > 0);
    nxw_module_custom(m, 1, &cname, &cname_len, &data, &data_len);
    expect_name(cname, cname_len, "nexus.meta");
    assert_int_equal(data_len, 2);
    assert_memory_equal(data, "v1", 2);
    /* the module copied the bytes: the payload survives changes to the caller's buffer */
    memset(e->bytes, 0, len + sizeof custom);
    assert_memory_equal(data, "v1", 2);

    /* function names: imports first, then the module's functions; none past the end */
    static const char *const names[] = {"add", "mem_op", "fail", "exit",
                                        "call_add", "call_mem", "call_fail", "call_exit"};
    for (uint32_t i = 0; i < 8; i++) assert_string_equal(nxw_module_func_name(m, i), names[i]);
    assert_null(nxw_module_func_name(m, 8));
    assert_null(nxw_module_func_name(m, UINT32_MAX));
}

static void test_module_without_sections(void **state) {
    (void)state;
    static const uint8_t bin[] = {HDR};
    nxw_module *m = NULL;
    assert_int_equal(nxw_module_new(bin, sizeof bin, &m, NULL), NXW_OK);
    assert_int_equal(nxw_module_import_count(m), 0);
    assert_int_equal(nxw_module_export_count(m), 0);
    assert_int_equal(nxw_module_custom_count(m), 0);
    assert_null(nxw_module_func_name(m, 0));
    nxw_module_free(m);
    nxw_module_free(NULL);
}

static void test_instance_introspection(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    assert_ptr_equal(nxw_instance_module(e->inst), e->mod);
    nxw_extern ext;
    assert_false(nxw_instance_export(e->inst, "call_ad", 7, &ext));
    assert_false(nxw_instance_export(e->inst, "call_addx", 9, &ext));
    assert_true(nxw_instance_export(e->inst, "call_addx", 8, &ext)); /* names have lengths */
    assert_int_equal(ext.kind, NXW_EXTERN_FUNC);
    assert_true(nxw_instance_export(e->inst, "memory", 6, &ext));
    assert_int_equal(ext.kind, NXW_EXTERN_MEMORY);
    assert_ptr_equal(ext.of.memory, nxw_instance_memory(e->inst));
    nxw_func *f = export_func(e->inst, "call_exit");
    assert_int_equal(nxw_func_param_count(f), 1);
    assert_int_equal(nxw_func_param_type(f, 0), NXW_I32);
    assert_int_equal(nxw_func_result_count(f), 1);
    assert_int_equal(nxw_func_result_type(f, 0), NXW_I32);
}

/* ------------------------------------------------------------------ argument checks */

static void test_func_call_argument_checks(void **state) {
    env *e = *state;
    host_log log = {0};
    open_host_fixture(e, &log);
    nxw_func *call_add = export_func(e->inst, "call_add");
    nxw_func *add = export_func(e->inst, "add");
    nxw_func *fns[] = {call_add, add};
    for (int i = 0; i < 2; i++) {
        nxw_func *f = fns[i];
        nxw_value args[3] = {vi32(1), vi32(2), vi32(3)}, r[2];
        nxw_error err;
        memset(&err, 0, sizeof err);
        assert_int_equal(nxw_func_call(e->store, f, args, 1, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        assert_int_equal(err.status, NXW_ERR_ARGUMENT);
        assert_int_equal(err.trap, NXW_TRAP_NONE);
        assert_true(err.message[0] != '\0');
        assert_int_equal(nxw_func_call(e->store, f, args, 3, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        assert_int_equal(nxw_func_call(e->store, f, NULL, 0, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        args[1] = vi64(2);
        assert_int_equal(nxw_func_call(e->store, f, args, 2, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        args[1] = vf32(0x40000000);
        assert_int_equal(nxw_func_call(e->store, f, args, 2, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        args[0] = vf64(0);
        args[1] = vi32(2);
        assert_int_equal(nxw_func_call(e->store, f, args, 2, r, 1, NULL, &err), NXW_ERR_ARGUMENT);
        args[0] = vi32(1);
        /* no room for the result */
        assert_int_equal(nxw_func_call(e->store, f, args, 2, r, 0, NULL, &err), NXW_ERR_ARGUMENT);
        /* NULL err is allowed */
        assert_int_equal(nxw_func_call(e->store, f, args, 1, r, 1, NULL, NULL), NXW_ERR_ARGUMENT);
        /* nothing ran */
        assert_int_equal(log.add_calls, 0);
        /* correct call */
        assert_int_equal(nxw_func_call(e->store, f, args, 2, r, 2, NULL, &err), NXW_OK);
        assert_int_equal(r[0].of.i32, 3);
        log.add_calls = 0;
    }
}

/* ------------------------------------------------------------------ globals */

static void test_global_new_get_round_trip(void **state) {
    env *e = *state;
    e->store = nxw_store_new();
    int token;
    nxw_value vals[] = {
        vi32(INT32_MIN),
        vi64(INT64_MIN + 12345),
        vf32(0x7FA00001),           /* signalling NaN with payload */
        vf32(0xFFC0DEAD),           /* negative quiet NaN with payload */
        vf32(0x80000000),           /* -0.0 */
        vf64(0x7FF4000000000001u),  /* signalling NaN */
        vf64(0xFFF8000000C0FFEEu),  /* negative quiet NaN with payload */
        {.type = NXW_EXTERNREF, .of.externref = &token},
        {.type = NXW_EXTERNREF, .of.externref = NULL},
        {.type = NXW_FUNCREF, .of.funcref = NULL},
        {.type = NXW_V128, .of.v128 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xFF}},
    };
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        for (int mut = 0; mut < 2; mut++) {
            nxw_global *g = NULL;
            nxw_error err;
            assert_int_equal(nxw_global_new(e->store, vals[i], mut, &g, &err), NXW_OK);
            nxw_value got = nxw_global_get(g);
            assert_int_equal(got.type, vals[i].type);
            switch (vals[i].type) {
            case NXW_I32: assert_int_equal(got.of.i32, vals[i].of.i32); break;
            case NXW_F32: assert_int_equal(got.of.f32_bits, vals[i].of.f32_bits); break;
            case NXW_I64: assert_true(got.of.i64 == vals[i].of.i64); break;
            case NXW_F64: assert_true(got.of.f64_bits == vals[i].of.f64_bits); break;
            case NXW_V128: assert_memory_equal(got.of.v128, vals[i].of.v128, 16); break;
            default: assert_ptr_equal(got.of.externref, vals[i].of.externref); break;
            }
        }
    }
    nxw_global *g = NULL;
    nxw_error err;
    nxw_value bad = {.type = (nxw_valtype)0x42};
    assert_int_equal(nxw_global_new(e->store, bad, true, &g, &err), NXW_ERR_ARGUMENT);
    assert_true(err.message[0] != '\0');
}

/* globals.wat: imports counter (mut i32), nan32 (f32), nan64 (f64); own (mut i64). */
static void open_globals_fixture(env *e, nxw_global **counter) {
    open_fixture(e, "globals");
    nxw_global *nan32 = NULL, *nan64 = NULL;
    nxw_error err;
    assert_int_equal(nxw_global_new(e->store, vi32(10), true, counter, &err), NXW_OK);
    assert_int_equal(nxw_global_new(e->store, vf32(0x7FA00001), false, &nan32, &err), NXW_OK);
    assert_int_equal(nxw_global_new(e->store, vf64(0xFFF4000000000BADu), false, &nan64, &err), NXW_OK);
    nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL};
    ext.of.global = *counter;
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "counter", 7, ext, &err), NXW_OK);
    ext.of.global = nan32;
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "nan32", 5, ext, &err), NXW_OK);
    ext.of.global = nan64;
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "nan64", 5, ext, &err), NXW_OK);
    instantiate(e);
}

static void test_imported_mutable_global_written_by_wasm(void **state) {
    env *e = *state;
    nxw_global *counter = NULL;
    open_globals_fixture(e, &counter);
    nxw_value five = vi32(5);
    assert_int_equal(call_i32(e->store, e->inst, "bump", &five, 1), 15);
    assert_int_equal(nxw_global_get(counter).type, NXW_I32);
    assert_int_equal(nxw_global_get(counter).of.i32, 15);
    nxw_value minus = vi32(-20);
    assert_int_equal(call_i32(e->store, e->inst, "bump", &minus, 1), -5);
    assert_int_equal(nxw_global_get(counter).of.i32, -5);
    /* an exported global written by wasm */
    nxw_global *own = export_global(e->inst, "own");
    assert_true(nxw_global_get(own).of.i64 == -5);
    nxw_value v = vi64(INT64_MAX);
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "set_own", &v, 1, NULL, 0, &err), NXW_OK);
    assert_int_equal(nxw_global_get(own).type, NXW_I64);
    assert_true(nxw_global_get(own).of.i64 == INT64_MAX);
}

static void test_global_import_mutability_must_match(void **state) {
    env *e = *state;
    open_fixture(e, "globals");
    nxw_global *g[3];
    nxw_error err;
    /* counter imported as (mut i32): an immutable one does not link */
    assert_int_equal(nxw_global_new(e->store, vi32(1), false, &g[0], &err), NXW_OK);
    assert_int_equal(nxw_global_new(e->store, vf32(0), false, &g[1], &err), NXW_OK);
    assert_int_equal(nxw_global_new(e->store, vf64(0), false, &g[2], &err), NXW_OK);
    static const char *const names[] = {"counter", "nan32", "nan64"};
    for (int i = 0; i < 3; i++) {
        nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL, .of.global = g[i]};
        assert_int_equal(nxw_linker_define(e->linker, "env", 3, names[i], strlen(names[i]), ext, &err), NXW_OK);
    }
    nxw_instance *inst = NULL;
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "counter"));
    /* a mutable one of the wrong type does not link either */
    nxw_linker_free(e->linker);
    e->linker = nxw_linker_new();
    assert_int_equal(nxw_global_new(e->store, vi64(1), true, &g[0], &err), NXW_OK);
    for (int i = 0; i < 3; i++) {
        nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL, .of.global = g[i]};
        assert_int_equal(nxw_linker_define(e->linker, "env", 3, names[i], strlen(names[i]), ext, &err), NXW_OK);
    }
    assert_int_equal(nxw_instantiate(e->store, e->mod, e->linker, &inst, &err), NXW_ERR_UNLINKABLE);
    assert_non_null(strstr(err.message, "counter"));
}

static void test_nan_payloads_cross_the_api(void **state) {
    env *e = *state;
    nxw_global *counter = NULL;
    open_globals_fixture(e, &counter);
    nxw_value r;
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "get_nan32", NULL, 0, &r, 1, &err), NXW_OK);
    assert_int_equal(r.type, NXW_F32);
    assert_int_equal(r.of.f32_bits, 0x7FA00001);
    assert_int_equal(call_export(e->store, e->inst, "get_nan64", NULL, 0, &r, 1, &err), NXW_OK);
    assert_int_equal(r.type, NXW_F64);
    assert_true(r.of.f64_bits == 0xFFF4000000000BADu);
    static const uint32_t f32s[] = {0x7F800001, 0xFFBFFFFF, 0x7FC00000, 0x80000000, 0x00000001};
    for (size_t i = 0; i < sizeof f32s / sizeof *f32s; i++) {
        nxw_value a = vf32(f32s[i]);
        assert_int_equal(call_export(e->store, e->inst, "id_f32", &a, 1, &r, 1, &err), NXW_OK);
        assert_int_equal(r.of.f32_bits, f32s[i]);
    }
    static const uint64_t f64s[] = {0x7FF0000000000001u, 0xFFF7FFFFFFFFFFFFu, 0x7FF8000000000000u,
                                    0x8000000000000000u, 0x0000000000000001u};
    for (size_t i = 0; i < sizeof f64s / sizeof *f64s; i++) {
        nxw_value a = vf64(f64s[i]);
        assert_int_equal(call_export(e->store, e->inst, "id_f64", &a, 1, &r, 1, &err), NXW_OK);
        assert_true(r.of.f64_bits == f64s[i]);
    }
}

/* ------------------------------------------------------------------ memory */

static void test_memory_grow_visible_to_embedder(void **state) {
    env *e = *state;
    open_fixture(e, "memory"); /* memory 1..4 pages */
    instantiate(e);
    nxw_memory *mem = nxw_instance_memory(e->inst);
    assert_non_null(mem);
    assert_int_equal(nxw_memory_size(mem), PAGE);
    assert_null(nxw_memory_span(mem, PAGE, 4));
    nxw_value one = vi32(1), three = vi32(3), two = vi32(2), zero = vi32(0);
    assert_int_equal(call_i32(e->store, e->inst, "grow", &one, 1), 1);
    assert_int_equal(nxw_memory_size(mem), 2 * PAGE);
    assert_int_equal(call_i32(e->store, e->inst, "size", NULL, 0), 2);
    assert_non_null(nxw_memory_span(mem, PAGE, 4));
    /* beyond the maximum: -1 and nothing changes */
    assert_int_equal(call_i32(e->store, e->inst, "grow", &three, 1), -1);
    assert_int_equal(nxw_memory_size(mem), 2 * PAGE);
    assert_int_equal(call_i32(e->store, e->inst, "grow", &two, 1), 2);
    assert_int_equal(nxw_memory_size(mem), 4 * PAGE);
    assert_int_equal(call_i32(e->store, e->inst, "grow", &zero, 1), 4);
    assert_int_equal(call_i32(e->store, e->inst, "grow", &one, 1), -1);
    /* the new pages are zeroed, addressable by wasm and by the embedder */
    uint32_t v = 1;
    assert_true(nxw_memory_read(mem, 4 * PAGE - 4, &v, 4));
    assert_int_equal(v, 0);
    nxw_value sargs[2] = {vi32((int32_t)(4 * PAGE - 4)), vi32(0x12345678)};
    nxw_error err;
    assert_int_equal(call_export(e->store, e->inst, "store", sargs, 2, NULL, 0, &err), NXW_OK);
    assert_true(nxw_memory_read(mem, 4 * PAGE - 4, &v, 4));
    assert_int_equal(v, 0x12345678);
    assert_true(nxw_memory_write(mem, 3 * PAGE, "\x2A\x00\x00\x00", 4));
    nxw_value a = vi32((int32_t)(3 * PAGE));
    assert_int_equal(call_i32(e->store, e->inst, "load", &a, 1), 42);
    a = vi32((int32_t)(4 * PAGE - 3));
    expect_trap(e->store, e->inst, "load", &a, 1, NXW_TRAP_MEMORY_OOB, 3);
}

static void test_memory_new_limits(void **state) {
    env *e = *state;
    e->store = nxw_store_new();
    nxw_memory *mem = NULL;
    nxw_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(nxw_memory_new(e->store, 2, 1, true, &mem, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(err.status, NXW_ERR_ARGUMENT);
    assert_true(err.message[0] != '\0');
    assert_int_equal(nxw_memory_new(e->store, 65537, 0, false, &mem, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_memory_new(e->store, 1, 65537, true, &mem, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_memory_new(e->store, UINT32_MAX, UINT32_MAX, true, &mem, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_memory_new(e->store, 3, 3, true, &mem, &err), NXW_OK);
    assert_int_equal(nxw_memory_size(mem), 3 * PAGE);
    assert_int_equal(nxw_memory_new(e->store, 0, 0, true, &mem, &err), NXW_OK);
    assert_int_equal(nxw_memory_size(mem), 0);
    /* max is ignored without has_max */
    assert_int_equal(nxw_memory_new(e->store, 5, 1, false, &mem, &err), NXW_OK);
    assert_int_equal(nxw_memory_size(mem), 5 * PAGE);
    /* tables too */
    nxw_table *t = NULL;
    assert_int_equal(nxw_table_new(e->store, NXW_I32, 1, 1, true, &t, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_table_new(e->store, NXW_FUNCREF, 2, 1, true, &t, &err), NXW_ERR_ARGUMENT);
    assert_int_equal(nxw_table_new(e->store, NXW_EXTERNREF, 2, 0, false, &t, &err), NXW_OK);
    assert_non_null(t);
}

/* (import "env" "m" (memory 1 MAX)), MAX encoded as the LEB128 bytes given. */
static nxw_module *memory_import_module(const uint8_t *max_leb, size_t max_len) {
    uint8_t bin[32] = {HDR, 0x02, (uint8_t)(10 + max_len), 0x01, 0x03, 'e', 'n', 'v', 0x01, 'm', 0x02, 0x01, 0x01};
    size_t n = 20;
    memcpy(bin + n, max_leb, max_len);
    return module_from(bin, n + max_len);
}

static nxw_status link_memory(env *e, const nxw_module *m, uint32_t min, uint32_t max, bool has_max) {
    nxw_memory *mem = NULL;
    nxw_error err;
    assert_int_equal(nxw_memory_new(e->store, min, max, has_max, &mem, &err), NXW_OK);
    nxw_linker_free(e->linker);
    e->linker = nxw_linker_new();
    nxw_extern ext = {.kind = NXW_EXTERN_MEMORY, .of.memory = mem};
    assert_int_equal(nxw_linker_define(e->linker, "env", 3, "m", 1, ext, &err), NXW_OK);
    nxw_instance *inst = NULL;
    nxw_status st = nxw_instantiate(e->store, m, e->linker, &inst, &err);
    if (st == NXW_OK) assert_ptr_equal(nxw_instance_memory(inst), mem); /* shared, not copied */
    else assert_non_null(strstr(err.message, "\"env\".\"m\""));
    return st;
}

static void test_memory_import_limits(void **state) {
    env *e = *state;
    e->store = nxw_store_new();
    e->mod = memory_import_module((const uint8_t[]){0x02}, 1); /* (memory 1 2) */
    assert_int_equal(link_memory(e, e->mod, 1, 2, true), NXW_OK);
    assert_int_equal(link_memory(e, e->mod, 2, 2, true), NXW_OK);
    assert_int_equal(link_memory(e, e->mod, 1, 1, true), NXW_OK);
    assert_int_equal(link_memory(e, e->mod, 0, 2, true), NXW_ERR_UNLINKABLE);  /* min too small */
    assert_int_equal(link_memory(e, e->mod, 1, 3, true), NXW_ERR_UNLINKABLE);  /* max too large */
    assert_int_equal(link_memory(e, e->mod, 1, 0, false), NXW_ERR_UNLINKABLE); /* no max */
}

/* A memory whose declared maximum is 65536 pages satisfies an import declaring
 * (memory 1 65536); one without a maximum does not. */
static void test_memory_import_max_65536(void **state) {
    env *e = *state;
    e->store = nxw_store_new();
    e->mod = memory_import_module((const uint8_t[]){0x80, 0x80, 0x04}, 3); /* (memory 1 65536) */
    assert_int_equal(link_memory(e, e->mod, 1, 0, false), NXW_ERR_UNLINKABLE);
    assert_int_equal(link_memory(e, e->mod, 1, 65535, true), NXW_OK);
    assert_int_equal(link_memory(e, e->mod, 1, 65536, true), NXW_OK);
}

static void test_status_and_trap_messages(void **state) {
    (void)state;
    for (int t = 0; t < NXW_TRAP__COUNT; t++) {
        assert_non_null(nxw_trap_message((nxw_trap)t));
        assert_true(nxw_trap_message((nxw_trap)t)[0] != '\0');
    }
    assert_string_equal(nxw_trap_message(NXW_TRAP_DIV_BY_ZERO), "integer divide by zero");
    assert_string_equal(nxw_trap_message(NXW_TRAP_STACK_EXHAUSTED), "call stack exhausted");
    assert_non_null(nxw_trap_message(NXW_TRAP__COUNT));
    assert_non_null(nxw_trap_message((nxw_trap)-1));
    assert_string_equal(nxw_status_message(NXW_ERR_MALFORMED), "malformed module");
    assert_non_null(nxw_status_message((nxw_status)99));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        TEST(test_host_import_called_with_args_and_caller),
        TEST(test_host_called_directly_has_no_caller),
        TEST(test_host_reads_and_writes_caller_memory),
        TEST(test_memory_accessor_bounds),
        TEST(test_host_trap_message_reported),
        TEST(test_host_exit_code_reported),
        TEST(test_host_signature_strings),
        TEST(test_trap_message_names_function),
        TEST(test_trap_message_without_names),
        TEST(test_trap_unreachable),
        TEST(test_trap_memory_out_of_bounds),
        TEST(test_trap_call_indirect),
        TEST(test_trap_overflow_and_conversion),
        TEST(test_stack_exhausted_small_limits),
        TEST(test_stack_exhausted_small_value_stack_large_depth),
        TEST(test_stack_exhausted_default_limits),
        TEST(test_stack_exhausted_large_limits),
        TEST(test_limits_change_between_calls),
        TEST(test_reentrant_factorial),
        TEST(test_reentrant_recursion_traps_and_unwinds),
        TEST(test_reentrant_host_swallows_nested_trap),
        TEST(test_reentrant_deep_recursion_default_limits),
        TEST(test_reentrant_deep_recursion_large_limits),
        TEST(test_malformed_empty_input),
        TEST(test_malformed_truncated_header),
        TEST(test_malformed_random_junk),
        TEST(test_invalid_module_names_function),
        TEST(test_unlinkable_missing_import),
        TEST(test_unlinkable_wrong_signature),
        TEST(test_stores_and_instances_independent),
        TEST(test_module_imports_exports_customs),
        TEST(test_module_without_sections),
        TEST(test_instance_introspection),
        TEST(test_func_call_argument_checks),
        TEST(test_global_new_get_round_trip),
        TEST(test_imported_mutable_global_written_by_wasm),
        TEST(test_global_import_mutability_must_match),
        TEST(test_nan_payloads_cross_the_api),
        TEST(test_memory_grow_visible_to_embedder),
        TEST(test_memory_new_limits),
        TEST(test_memory_import_limits),
        TEST(test_memory_import_max_65536),
        TEST(test_status_and_trap_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
