/*
 * guest_bench.c — figures of the QuickJS guest in the Nexus engine: module size and load
 * time, init time, a trivial handler run from a reset instance (median, p99), the cost of
 * the value encoding (MessagePack, as used, against JSON) on realistic payloads, and the
 * slowdown of JavaScript CPU kernels (workload.js) against native QuickJS built from the
 * same sources.
 *
 * usage: guest_bench GUEST.wasm QJS_NATIVE WORKLOAD.js [--quick]
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_host.h"

#define MEMORY_LIMIT (32u << 20)
#define STACK_BYTES (1u << 20)

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts samples and returns the value at quantile q (0..1). */
static uint64_t quantile(uint64_t *v, size_t n, double q)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i];
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

/* Compiles src once; returns the blob (caller frees). */
static uint8_t *compile(gh_host *h, const char *src, size_t *len)
{
    gh_reset(h);
    if (gh_compile(h, src, strlen(src)) != NXG_OK) {
        fprintf(stderr, "guest_bench: compile failed: %s\n", h->out_text ? h->out_text : "?");
        exit(1);
    }
    uint8_t *blob = h->out;
    *len = h->out_len;
    h->out = NULL;
    return blob;
}

/* Median time of reset + run of a blob, with the state entry "p" set to `p` (MessagePack,
 * may be NULL). Returns the median in ns; *p99 gets the 99th percentile. */
static uint64_t time_runs(gh_host *h, const uint8_t *blob, size_t len, const mpk_buf *p, int n,
                          uint64_t *p99, uint64_t *run_only)
{
    uint64_t *total = malloc(sizeof(uint64_t) * (size_t)n);
    uint64_t *runs = malloc(sizeof(uint64_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        uint64_t t0 = nxw_now_ns();
        gh_reset(h);
        if (p) {
            gh_state_set_json(h, "p", "0");
            free(h->state[0].val);
            h->state[0].val = malloc(p->len);
            memcpy(h->state[0].val, p->data, p->len);
            h->state[0].val_len = p->len;
        }
        if (gh_run(h, blob, len, NULL, 0) != NXG_OK) {
            fprintf(stderr, "guest_bench: run failed (%d): %s\n", h->status,
                    h->out_text ? h->out_text : h->err.message);
            exit(1);
        }
        total[i] = nxw_now_ns() - t0;
        runs[i] = h->run_ns;
    }
    if (p99)
        *p99 = quantile(total, (size_t)n, 0.99);
    if (run_only)
        *run_only = quantile(runs, (size_t)n, 0.5);
    uint64_t med = quantile(total, (size_t)n, 0.5);
    free(total);
    free(runs);
    return med;
}

/* ---------------------------------------------------------------- payloads */

static json_t *payload_items(int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        char name[32], email[48], date[32];
        snprintf(name, sizeof(name), "Item %d", i);
        snprintf(email, sizeof(email), "user%d@example.com", i);
        snprintf(date, sizeof(date), "2024-%02d-%02dT10:%02d:00Z", 1 + i % 12, 1 + i % 28, i % 60);
        json_t *tags = json_array();
        for (int t = 0; t < 1 + i % 3; t++)
            json_array_append_new(tags, json_string(t == 0 ? "red" : t == 1 ? "green" : "blue"));
        json_array_append_new(a, json_pack("{s:i, s:s, s:s, s:f, s:b, s:o, s:s}", "id", i,
                                           "name", name, "email", email, "score",
                                           (double)((i * 37) % 1000) / 7.0, "active", i % 3 == 0,
                                           "tags", tags, "createdAt", date));
    }
    return a;
}

static json_t *payload_small(void)
{
    return json_pack("{s:s, s:s, s:{s:s, s:i, s:s, s:b}, s:[i,i,i], s:f}", "panelId", "orders-7",
                     "handler", "onFilter", "filter", "q", "pending", "page", 2, "sort",
                     "-createdAt", "mine", 1, "selection", 3, 17, 42, "ratio", 0.75);
}

static void to_mpk(mpk_buf *b, json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    if (!mpk_from_json(b, text))
        abort();
    free(text);
}

/* Host side: walks a MessagePack value (what a runtime does to convert it). */
static size_t mpk_walk(const uint8_t *p, const uint8_t *end, size_t *count)
{
    const uint8_t *s = p;
    uint8_t t = *p++;
    uint64_t n = 0;
    (*count)++;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3)
        return 1;
    if (t >= 0xa0 && t <= 0xbf)
        return 1 + (t & 31u);
    if (t >= 0x80 && t <= 0x9f) {
        n = t & 15u;
        if (t <= 0x8f)
            n *= 2;
    } else {
        switch (t) {
        case 0xcc: case 0xd0: return 2;
        case 0xcd: case 0xd1: return 3;
        case 0xca: case 0xce: case 0xd2: return 5;
        case 0xcb: case 0xcf: case 0xd3: return 9;
        case 0xd9: return 2 + p[0];
        case 0xda: return 3 + ((size_t)p[0] << 8 | p[1]);
        case 0xdc: case 0xde:
            n = (uint64_t)p[0] << 8 | p[1];
            p += 2;
            if (t == 0xde)
                n *= 2;
            break;
        default: abort();
        }
    }
    for (uint64_t i = 0; i < n; i++)
        p += mpk_walk(p, end, count);
    return (size_t)(p - s);
}

/* Measures one payload: sizes, host decode/encode, guest decode/encode per format. */
static void bench_payload(gh_host *h, const char *label, json_t *j, int n)
{
    char *json_text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t json_len = strlen(json_text);
    mpk_buf mp = {0};
    to_mpk(&mp, j);
    /* the JSON text, as one MessagePack string (what the guest would receive) */
    mpk_buf mp_json = {0};
    mpk_str(&mp_json, json_text, json_len);

    /* host side */
    int reps = n * 5;
    uint64_t t0 = nxw_now_ns();
    size_t cnt = 0;
    for (int i = 0; i < reps; i++)
        mpk_walk(mp.data, mp.data + mp.len, &cnt);
    uint64_t host_mp_dec = (nxw_now_ns() - t0) / (uint64_t)reps;
    t0 = nxw_now_ns();
    for (int i = 0; i < reps; i++) {
        json_t *x = json_loads(json_text, 0, NULL);
        json_decref(x);
    }
    uint64_t host_json_dec = (nxw_now_ns() - t0) / (uint64_t)reps;

    /* guest side */
    size_t l0, l1, l2, l3, l4;
    uint8_t *b0 = compile(h, "return 1", &l0);
    uint8_t *b1 = compile(h, "const v = $state.p; return 1", &l1);
    uint8_t *b2 = compile(h, "return $state.p", &l2);
    uint8_t *b3 = compile(h, "const v = JSON.parse($state.p); return 1", &l3);
    uint8_t *b4 = compile(h, "return JSON.stringify(JSON.parse($state.p))", &l4);
    uint64_t r0, r1, r2, r3, r4;
    time_runs(h, b0, l0, &mp, n, NULL, &r0);
    time_runs(h, b1, l1, &mp, n, NULL, &r1);
    time_runs(h, b2, l2, &mp, n, NULL, &r2);
    time_runs(h, b3, l3, &mp_json, n, NULL, &r3);
    time_runs(h, b4, l4, &mp_json, n, NULL, &r4);
    double mp_dec = us(r1 - r0), mp_enc = us(r2 - r1);
    double js_dec = us(r3 - r0), js_enc = us(r4 - r3);
    printf("  %-22s %8zu B %8zu B | guest decode %8.1f %8.1f us | guest encode %8.1f %8.1f us"
           " | host decode %7.1f %7.1f us\n",
           label, mp.len, json_len, mp_dec, js_dec, mp_enc, js_enc, us(host_mp_dec),
           us(host_json_dec));
    free(b0);
    free(b1);
    free(b2);
    free(b3);
    free(b4);
    mpk_free(&mp);
    mpk_free(&mp_json);
    free(json_text);
}

/* ---------------------------------------------------------------- workloads */

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n)
        n = 0;
    s[n] = '\0';
    fclose(f);
    return s;
}

/* Runs the native runner on src; returns the wall time in ns and the output line. */
static uint64_t run_native(const char *qjs, const char *src, char *out, size_t out_size)
{
    char path[] = "/tmp/nexus_guest_bench_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, src, strlen(src)) != (ssize_t)strlen(src))
        abort();
    close(fd);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "%s %s", qjs, path);
    uint64_t t0 = nxw_now_ns();
    FILE *p = popen(cmd, "r");
    out[0] = '\0';
    if (!p || !fgets(out, (int)out_size, p))
        abort();
    pclose(p);
    uint64_t t = nxw_now_ns() - t0;
    unlink(path);
    out[strcspn(out, "\n")] = '\0';
    return t;
}

/* Returns false when a kernel's checksum differs between native and guest. */
static bool bench_workloads(gh_host *h, const char *qjs, const char *workload_path, bool quick)
{
    static const char *const names[] = {"fib", "objects", "sort", "strings", "json",
                                        "regexp", "numeric", "numfmt"};
    char *workload = read_file(workload_path);
    if (!workload) {
        fprintf(stderr, "guest_bench: cannot read %s\n", workload_path);
        exit(1);
    }
    int scale = quick ? 1 : 8;
    bool all_same = true;
    double log_sum = 0;
    int n = 0;
    h->timeout_ms = 0;
    printf("\nJavaScript kernels (scale %d): native QuickJS vs guest in the Nexus engine\n", scale);
    printf("  %-8s %10s %10s %7s\n", "kernel", "native_ms", "guest_ms", "ratio");
    /* native process start-up, to subtract */
    char out[256];
    uint64_t startup = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t t = run_native(qjs, "return 0", out, sizeof(out));
        if (t < startup)
            startup = t;
    }
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t len = strlen(workload) + 128;
        char *src = malloc(len);
        snprintf(src, len, "const KERNEL = '%s', SCALE = %d;\n%s", names[k], scale, workload);
        char native_out[256];
        uint64_t nat = UINT64_MAX, gst = UINT64_MAX;
        for (int r = 0; r < 3; r++) {
            uint64_t t = run_native(qjs, src, native_out, sizeof(native_out));
            t = t > startup ? t - startup : 1;
            if (t < nat)
                nat = t;
            if (gh_exec(h, src, NULL) != NXG_OK) {
                fprintf(stderr, "guest_bench: %s failed: %s\n", names[k],
                        h->out_text ? h->out_text : h->err.message);
                exit(1);
            }
            if (h->run_ns < gst)
                gst = h->run_ns;
        }
        mpk_buf want = {0};
        mpk_str(&want, native_out, strlen(native_out));
        char *want_text = mpk_to_text(want.data, want.len);
        bool same = strcmp(want_text, h->out_text) == 0;
        all_same = all_same && same;
        double ratio = (double)gst / (double)nat;
        printf("  %-8s %10.2f %10.2f %7.2f%s\n", names[k], (double)nat / 1e6, (double)gst / 1e6,
               ratio, same ? "" : "  (checksum differs!)");
        log_sum += log(ratio);
        n++;
        free(want_text);
        mpk_free(&want);
        free(src);
    }
    printf("  geomean ratio: %.2f\n", exp(log_sum / n));
    free(workload);
    return all_same;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: guest_bench GUEST.wasm QJS_NATIVE WORKLOAD.js [--quick]\n");
        return 2;
    }
    bool quick = argc > 4 && strcmp(argv[4], "--quick") == 0;
    int n = quick ? 50 : 2000;

    struct stat st;
    if (stat(argv[1], &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    /* module load */
    FILE *f = fopen(argv[1], "rb");
    uint8_t *wasm = malloc((size_t)st.st_size);
    if (fread(wasm, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        return 1;
    fclose(f);
    uint64_t load[5];
    for (int i = 0; i < 5; i++) {
        nxw_module *m;
        nxw_error err;
        uint64_t t0 = nxw_now_ns();
        if (nxw_module_new(wasm, (size_t)st.st_size, &m, &err))
            return 1;
        load[i] = nxw_now_ns() - t0;
        nxw_module_free(m);
    }
    free(wasm);
    printf("guest module: %lld bytes (%s); decode+validate+translate %.1f ms (median of 5)\n",
           (long long)st.st_size, argv[1], us(quantile(load, 5, 0.5)) / 1000);

    /* init */
    uint64_t inits[10];
    gh_host h;
    for (int i = 0; i < 10; i++) {
        if (!gh_open(&h, argv[1], MEMORY_LIMIT, STACK_BYTES))
            return 1;
        inits[i] = h.init_ns;
        if (i < 9)
            gh_close(&h);
    }
    printf("init (_initialize + nxg_init): %.2f ms (median of 10)\n",
           us(quantile(inits, 10, 0.5)) / 1000);
    nxw_snapshot *snap;
    nxw_error err;
    uint64_t t0 = nxw_now_ns();
    if (nxw_snapshot_take(h.inst, &snap, &err))
        return 1;
    printf("snapshot after init: %.2f ms; linear memory %zu KiB\n", us(nxw_now_ns() - t0) / 1000,
           nxw_memory_size(nxw_instance_memory(h.inst)) / 1024);
    nxw_snapshot_free(snap);

    /* trivial handlers from a reset instance */
    size_t len;
    uint64_t p99, run_only;
    uint8_t *blob = compile(&h, "return 1", &len);
    uint64_t med = time_runs(&h, blob, len, NULL, n, &p99, &run_only);
    printf("trivial handler (return 1), reset + run: median %.1f us, p99 %.1f us "
           "(nxg_run alone %.1f us; %d runs)\n", us(med), us(p99), us(run_only), n);
    free(blob);
    blob = compile(&h, "$state.count = ($state.count || 0) + 1; return $state.count", &len);
    med = time_runs(&h, blob, len, NULL, n, &p99, &run_only);
    printf("counter handler ($state.count++), reset + run: median %.1f us, p99 %.1f us "
           "(nxg_run alone %.1f us)\n", us(med), us(p99), us(run_only));
    free(blob);
    const char *src = "return 1";
    uint64_t *cs = malloc(sizeof(uint64_t) * (size_t)n);
    for (int i = 0; i < n; i++) {
        gh_reset(&h);
        t0 = nxw_now_ns();
        gh_compile(&h, src, strlen(src));
        cs[i] = nxw_now_ns() - t0;
    }
    printf("compile (return 1): median %.1f us\n", us(quantile(cs, (size_t)n, 0.5)));
    free(cs);

    /* encoding */
    printf("\nvalue encoding: MessagePack (used) vs JSON; sizes, then times as MessagePack / JSON\n");
    json_t *small = payload_small(), *items100 = payload_items(100), *items1000 = payload_items(1000);
    bench_payload(&h, "context args (small)", small, quick ? 20 : 300);
    bench_payload(&h, "100 items", items100, quick ? 10 : 100);
    bench_payload(&h, "1000 items", items1000, quick ? 5 : 30);
    json_decref(small);
    json_decref(items100);
    json_decref(items1000);

    bool ok = bench_workloads(&h, argv[2], argv[3], quick);
    gh_close(&h);
    return ok ? 0 : 1;
}
