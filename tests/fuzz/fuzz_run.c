/*
 * fuzz_run.c — libFuzzer target for execution: every input that decodes and validates
 * is instantiated in a fresh store with small limits (64 KiB engine stack, 16 MiB per
 * memory), its imports resolved through a linker that defines the spec testsuite's
 * "spectest" module (print* host functions, global_i32/i64/f32/f64, a 10..20 funcref
 * table, a 1..2 page memory); modules importing anything else fail to link and are
 * skipped. Each exported function whose parameters are all numeric (v128 included) is
 * then called with zero arguments, each run bounded by fuel (200,000) and a 50 ms deadline so that
 * infinite loops and runaway recursion stop; traps are expected and ignored. Finally the
 * instance is snapshotted, called again, reset to the snapshot and called once more.
 * Nothing may crash, hit undefined behaviour or leak. Built as a libFuzzer binary
 * (NEXUS_FUZZ=ON) and as a plain replay of tests/fuzz/regressions/fuzz_run/ (see
 * replay_main.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    RUN_STACK_BYTES = 64 * 1024,
    RUN_MEMORY_BYTES = 16 * 1024 * 1024,
    RUN_FUEL = 200000,
};
static const uint64_t RUN_DEADLINE_NS = 50ull * 1000 * 1000; /* per call */

/* ---------------------------------------------------------------- the spectest module */

/* Every spectest.print* function: accepts its arguments and does nothing. */
static nxw_trap host_print(nxw_call *call, void *user, const nxw_value *args, nxw_value *results)
{
    (void)call;
    (void)user;
    (void)args;
    (void)results;
    return NXW_TRAP_NONE;
}

static const struct {
    const char *name;
    const char *sig;
} spectest_prints[] = {
    {"print", "()"},      {"print_i32", "(i)"},      {"print_i64", "(I)"},
    {"print_f32", "(f)"}, {"print_f64", "(F)"},      {"print_i32_f32", "(if)"},
    {"print_f64_f64", "(FF)"},
};

static bool define_extern(nxw_linker *l, const char *name, nxw_extern ext, nxw_error *err)
{
    return nxw_linker_define(l, "spectest", 8, name, strlen(name), ext, err) == NXW_OK;
}

static bool define_global(nxw_store *s, nxw_linker *l, const char *name, nxw_value init,
                          nxw_error *err)
{
    nxw_extern ext = {.kind = NXW_EXTERN_GLOBAL};
    return nxw_global_new(s, init, false, &ext.of.global, err) == NXW_OK &&
           define_extern(l, name, ext, err);
}

/* Defines "spectest" as the spec testsuite harness does, its objects created in `s`. */
static bool define_spectest(nxw_store *s, nxw_linker *l, nxw_error *err)
{
    for (size_t i = 0; i < sizeof spectest_prints / sizeof spectest_prints[0]; i++)
        if (nxw_linker_define_host(l, "spectest", spectest_prints[i].name, spectest_prints[i].sig,
                                   host_print, NULL, err) != NXW_OK)
            return false;
    /* 666.6 as binary32 and binary64 bit patterns. */
    const nxw_value i32 = {.type = NXW_I32, .of.i32 = 666};
    const nxw_value i64 = {.type = NXW_I64, .of.i64 = 666};
    const nxw_value f32 = {.type = NXW_F32, .of.f32_bits = 0x4426A666u};
    const nxw_value f64 = {.type = NXW_F64, .of.f64_bits = 0x4084D4CCCCCCCCCDull};
    if (!define_global(s, l, "global_i32", i32, err) ||
        !define_global(s, l, "global_i64", i64, err) ||
        !define_global(s, l, "global_f32", f32, err) ||
        !define_global(s, l, "global_f64", f64, err))
        return false;
    nxw_extern table = {.kind = NXW_EXTERN_TABLE};
    nxw_extern memory = {.kind = NXW_EXTERN_MEMORY};
    return nxw_table_new(s, NXW_FUNCREF, 10, 20, true, &table.of.table, err) == NXW_OK &&
           define_extern(l, "table", table, err) &&
           nxw_memory_new(s, 1, 2, true, &memory.of.memory, err) == NXW_OK &&
           define_extern(l, "memory", memory, err);
}

/* ---------------------------------------------------------------- running */

/* Bounds the next run of the store: fresh fuel and a deadline from now. */
static void arm_limits(nxw_store *s)
{
    nxw_store_set_fuel(s, RUN_FUEL);
    nxw_store_set_deadline(s, nxw_now_ns() + RUN_DEADLINE_NS);
}

static bool is_numeric(nxw_valtype t)
{
    return t == NXW_I32 || t == NXW_I64 || t == NXW_F32 || t == NXW_F64 || t == NXW_V128;
}

/* Calls `f` with zero arguments when all its parameters are numeric; any outcome goes. */
static void call_with_zeros(nxw_store *s, nxw_func *f)
{
    uint32_t nparams = nxw_func_param_count(f);
    uint32_t nresults = nxw_func_result_count(f);
    for (uint32_t i = 0; i < nparams; i++)
        if (!is_numeric(nxw_func_param_type(f, i))) return;
    /* calloc: every union is all-zero bits, i.e. 0 / +0.0 / a zero v128 for each numeric type. */
    nxw_value *args = calloc(nparams ? nparams : 1, sizeof *args);
    nxw_value *results = calloc(nresults ? nresults : 1, sizeof *results);
    if (args && results) {
        for (uint32_t i = 0; i < nparams; i++) args[i].type = nxw_func_param_type(f, i);
        nxw_error err;
        arm_limits(s);
        (void)nxw_func_call(s, f, args, nparams, results, nresults, NULL, &err);
    }
    free(args);
    free(results);
}

/* Calls every exported function of `inst` (module `m`) that takes only numbers. */
static void call_exports(nxw_store *s, const nxw_module *m, nxw_instance *inst)
{
    for (uint32_t i = 0, n = nxw_module_export_count(m); i < n; i++) {
        const char *name;
        size_t name_len;
        nxw_externkind kind;
        nxw_extern ext;
        nxw_module_export(m, i, &name, &name_len, &kind);
        if (kind != NXW_EXTERN_FUNC || !nxw_instance_export(inst, name, name_len, &ext) ||
            ext.kind != NXW_EXTERN_FUNC)
            continue;
        call_with_zeros(s, ext.of.func);
    }
}

/* Snapshot round: snapshot the instance, dirty it with another round of calls, reset it
 * to the snapshot and call everything once more. Errors (e.g. a table holding a function
 * that cannot be re-created) just end the round. */
static void snapshot_round(nxw_store *s, const nxw_module *m, nxw_instance *inst)
{
    nxw_snapshot *snap = NULL;
    nxw_error err;
    if (nxw_snapshot_take(inst, &snap, &err) != NXW_OK) return;
    call_exports(s, m, inst);
    if (nxw_instance_reset(inst, snap, &err) == NXW_OK) call_exports(s, m, inst);
    nxw_snapshot_free(snap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nxw_module *module = NULL;
    nxw_error err;
    if (nxw_module_new(data, size, &module, &err) != NXW_OK) return 0;

    nxw_store *store = nxw_store_new();
    nxw_linker *linker = nxw_linker_new();
    if (store && linker) {
        /* Limits first: they apply to memories created from now on (spectest's too). */
        const nxw_limits limits = {.stack_bytes = RUN_STACK_BYTES,
                                   .memory_bytes = RUN_MEMORY_BYTES};
        nxw_store_set_limits(store, &limits);
        nxw_instance *inst = NULL;
        if (define_spectest(store, linker, &err)) {
            arm_limits(store); /* bounds the start function */
            if (nxw_instantiate(store, module, linker, &inst, &err) != NXW_OK) inst = NULL;
        }
        if (inst) {
            call_exports(store, module, inst);
            snapshot_round(store, module, inst);
        }
    }
    nxw_linker_free(linker);
    nxw_store_free(store); /* frees the instance and every object of the store */
    nxw_module_free(module);
    return 0;
}
