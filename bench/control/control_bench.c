/*
 * control_bench.c — benchmark of the engine's execution control (issue "execution
 * control"): reset of an instance to its snapshot, instantiation from a snapshot, and
 * how precisely a deadline stops a tight loop.
 *
 * The module (control.wat) has 32 MiB of memory. For each figure the benchmark repeats
 * the operation many times and prints the median and the 90th percentile:
 *   reset-N        reset after a run that wrote N 64 KiB pages (one word in each)
 *   reset-heap     the same for 10 pages, when the snapshot holds 4 MiB of non-zero data
 *   instantiate    nxw_snapshot_instantiate into a new store (store creation included)
 *   fresh          nxw_instantiate of the module (data segments applied), for scale
 *   deadline       how long after a 5 ms deadline `(loop (br 0))` stopped
 *
 * usage: control_bench MODULE.wasm [REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_wasm.h"

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Prints the median and 90th percentile of n samples (ns) in microseconds. */
static void report(const char *what, uint64_t *ns, size_t n) {
    qsort(ns, n, sizeof *ns, cmp_u64);
    printf("%-16s median %9.2f us   p90 %9.2f us   (n=%zu)\n", what, (double)ns[n / 2] / 1e3,
           (double)ns[n * 9 / 10] / 1e3, n);
}

static void die(const char *what, const nxw_error *err) {
    fprintf(stderr, "control_bench: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static uint8_t *slurp(const char *path, size_t *len) {
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

static nxw_func *export_func(nxw_instance *inst, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(inst, name, strlen(name), &ext) || ext.kind != NXW_EXTERN_FUNC) die(name, NULL);
    return ext.of.func;
}

static void call1(nxw_store *s, nxw_func *f, int32_t arg) {
    nxw_value a = {.type = NXW_I32, .of.i32 = arg};
    nxw_error err;
    if (nxw_func_call(s, f, &a, 1, NULL, 0, NULL, &err) != NXW_OK) die("call", &err);
}

/* Times `repeats` resets of an instance made from snap after touch(pages). */
static void bench_reset(const char *label, nxw_snapshot *snap, int32_t pages, size_t repeats) {
    nxw_store *s = nxw_store_new();
    nxw_instance *inst;
    nxw_error err;
    if (nxw_snapshot_instantiate(s, snap, NULL, &inst, &err)) die("snapshot_instantiate", &err);
    nxw_func *touch = export_func(inst, "touch");
    uint64_t *ns = malloc(repeats * sizeof *ns);
    for (size_t i = 0; i < repeats; i++) {
        call1(s, touch, pages);
        uint64_t t0 = nxw_now_ns();
        if (nxw_instance_reset(inst, snap, &err)) die("reset", &err);
        ns[i] = nxw_now_ns() - t0;
    }
    report(label, ns, repeats);
    free(ns);
    nxw_store_free(s);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: control_bench MODULE.wasm [REPEATS]\n");
        return 2;
    }
    size_t repeats = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 2000;
    if (repeats < 10) repeats = 10;
    size_t len;
    uint8_t *bytes = slurp(argv[1], &len);
    if (!bytes) die(argv[1], NULL);
    nxw_module *mod;
    nxw_error err;
    if (nxw_module_new(bytes, len, &mod, &err)) die("module", &err);
    free(bytes);

    /* the pristine instance and its snapshot */
    nxw_store *base = nxw_store_new();
    nxw_instance *inst;
    if (nxw_instantiate(base, mod, NULL, &inst, &err)) die("instantiate", &err);
    nxw_snapshot *snap;
    if (nxw_snapshot_take(inst, &snap, &err)) die("snapshot", &err);

    printf("engine execution control (32 MiB memory)\n");
    bench_reset("reset-0", snap, 0, repeats);
    bench_reset("reset-1", snap, 1, repeats);
    bench_reset("reset-10", snap, 10, repeats);
    bench_reset("reset-100", snap, 100, repeats / 4);

    /* a snapshot holding 4 MiB of non-zero "heap" */
    nxw_store *heap_store = nxw_store_new();
    nxw_instance *heap_inst;
    if (nxw_instantiate(heap_store, mod, NULL, &heap_inst, &err)) die("instantiate", &err);
    call1(heap_store, export_func(heap_inst, "fill"), 4 << 20);
    nxw_snapshot *heap_snap;
    if (nxw_snapshot_take(heap_inst, &heap_snap, &err)) die("snapshot", &err);
    bench_reset("reset-heap-10", heap_snap, 10, repeats);

    /* instantiation from the snapshot vs. from the module */
    uint64_t *ns = malloc(repeats * sizeof *ns);
    for (size_t i = 0; i < repeats; i++) {
        uint64_t t0 = nxw_now_ns();
        nxw_store *s = nxw_store_new();
        nxw_instance *x;
        if (nxw_snapshot_instantiate(s, heap_snap, NULL, &x, &err)) die("snapshot_instantiate", &err);
        ns[i] = nxw_now_ns() - t0;
        nxw_store_free(s);
    }
    report("instantiate", ns, repeats);
    for (size_t i = 0; i < repeats; i++) {
        uint64_t t0 = nxw_now_ns();
        nxw_store *s = nxw_store_new();
        nxw_instance *x;
        if (nxw_instantiate(s, mod, NULL, &x, &err)) die("instantiate", &err);
        ns[i] = nxw_now_ns() - t0;
        nxw_store_free(s);
    }
    report("fresh", ns, repeats);

    /* deadline precision on a tight loop */
    size_t rounds = repeats / 40 < 20 ? 20 : repeats / 40;
    nxw_func *spin = export_func(inst, "spin");
    for (size_t i = 0; i < rounds; i++) {
        uint64_t deadline = nxw_now_ns() + 5000000;
        nxw_store_set_deadline(base, deadline);
        nxw_status st = nxw_func_call(base, spin, NULL, 0, NULL, 0, NULL, &err);
        uint64_t now = nxw_now_ns();
        if (st != NXW_ERR_TRAP || err.trap != NXW_TRAP_TIMEOUT) die("spin", &err);
        ns[i] = now - deadline;
    }
    report("deadline-late", ns, rounds);
    free(ns);

    nxw_store_free(heap_store);
    nxw_snapshot_free(heap_snap);
    nxw_store_free(base);
    nxw_snapshot_free(snap);
    nxw_module_free(mod);
    return 0;
}
