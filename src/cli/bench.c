/*
 * bench.c — `nexus bench`: executes one handler many times through the runtime library
 * (warm pool, cached bytecode) on one or more threads and prints latency percentiles
 * and throughput. The last line is machine-readable:
 *
 *     p50_us=… p99_us=… execs_per_s=…
 *
 * Latency is the wall time of each nx_execute call. Errors are counted by code and
 * included in the figures (so a handler that always hits a limit measures how fast the
 * limit stops it).
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nexus.h"

typedef struct bench_options {
    const char *handler_path, *context_path;
    uint32_t iterations, threads, warmup, timeout_ms;
} bench_options;

typedef struct bench_worker {
    nx_runtime *rt;
    const char *code, *context;
    uint32_t iterations, timeout_ms;
    double *latency_us;              /* one per iteration */
    uint32_t errors[NX_ERROR_COUNT]; /* by code (NX_OK: suspended) */
} bench_worker;

/* parse_options: help was printed (exit 0). */
#define BENCH_HELP (-1)

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) buf = calloc(1, 1);
    else buf[len] = '\0';
    return buf;
}

static void *bench_thread(void *arg)
{
    bench_worker *w = arg;
    size_t len = strlen(w->code);
    for (uint32_t i = 0; i < w->iterations; i++) {
        double t0 = now_us();
        nx_result *r = nx_execute(w->rt, w->code, len, w->context, w->timeout_ms);
        w->latency_us[i] = now_us() - t0;
        if (nx_result_status(r) != NX_SUCCESS) w->errors[nx_result_error(r)]++;
        nx_result_free(r);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static bool parse_u32(const char *text, uint32_t min, uint32_t *out)
{
    char *end;
    unsigned long v = text ? strtoul(text, &end, 10) : 0;
    if (!text || !*text || *end || text[0] == '-' || v < min || v > 100000000ul) return false;
    *out = (uint32_t)v;
    return true;
}

static int usage(FILE *out, int status)
{
    fputs("usage: nexus bench HANDLER.js [--context FILE.json] [--iterations N] [--threads T]\n"
          "                   [--warmup N] [--timeout-ms N]\n"
          "  Executes the handler N times (default 1000) on each of T threads (default 1)\n"
          "  after N warm-up executions (default 20), through the runtime library with a\n"
          "  warm pool and cached bytecode; configuration from the environment (see\n"
          "  `nexus help`). Prints figures; the last line is\n"
          "  `p50_us=... p99_us=... execs_per_s=...`.\n",
          out);
    return status;
}

static int parse_options(int argc, char **argv, bench_options *o)
{
    *o = (bench_options){.iterations = 1000, .threads = 1, .warmup = 20};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return usage(stdout, BENCH_HELP);
        if (strcmp(a, "--context") == 0) ok = (o->context_path = v) != NULL;
        else if (strcmp(a, "--iterations") == 0) ok = parse_u32(v, 1, &o->iterations);
        else if (strcmp(a, "--threads") == 0) ok = parse_u32(v, 1, &o->threads) && o->threads <= 64;
        else if (strcmp(a, "--warmup") == 0) ok = parse_u32(v, 0, &o->warmup);
        else if (strcmp(a, "--timeout-ms") == 0) ok = parse_u32(v, 1, &o->timeout_ms);
        else if (a[0] == '-' || o->handler_path) {
            fprintf(stderr, "nexus bench: unexpected argument '%s'\n", a);
            return usage(stderr, 2);
        } else {
            o->handler_path = a;
            continue;
        }
        if (!ok) {
            fprintf(stderr, "nexus bench: %s needs a valid value\n", a);
            return usage(stderr, 2);
        }
        i++;
    }
    if (!o->handler_path) {
        fprintf(stderr, "nexus bench: missing HANDLER.js\n");
        return usage(stderr, 2);
    }
    return 0;
}

int nx_bench_main(int argc, char **argv)
{
    bench_options o;
    int st = parse_options(argc, argv, &o);
    if (st) return st == BENCH_HELP ? 0 : st;
    char *code = read_text(o.handler_path);
    char *context = o.context_path ? read_text(o.context_path) : NULL;
    if (!code || (o.context_path && !context)) {
        fprintf(stderr, "nexus bench: cannot read %s\n", !code ? o.handler_path : o.context_path);
        free(code);
        return 2;
    }
    nx_config cfg;
    char err[512];
    nx_config_defaults(&cfg);
    if (!nx_config_from_env(&cfg, err, sizeof err)) {
        fprintf(stderr, "nexus bench: %s\n", err);
        free(code);
        free(context);
        return 2;
    }
    if (cfg.max_instances < o.threads) cfg.max_instances = o.threads;
    if (cfg.min_instances < o.threads) cfg.min_instances = o.threads;
    nx_runtime *rt = nx_runtime_create(&cfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "nexus bench: %s\n", err);
        free(code);
        free(context);
        return 1;
    }
    bench_worker *w = calloc(o.threads, sizeof *w);
    pthread_t *th = calloc(o.threads, sizeof *th);
    for (uint32_t t = 0; t < o.threads; t++) {
        w[t] = (bench_worker){.rt = rt, .code = code, .context = context,
                              .iterations = o.warmup, .timeout_ms = o.timeout_ms};
        w[t].latency_us = calloc(o.iterations > o.warmup ? o.iterations : o.warmup + 1,
                                 sizeof(double));
        bench_thread(&w[t]); /* warm-up: compile, cache, grow the pool */
        memset(w[t].errors, 0, sizeof w[t].errors);
        w[t].iterations = o.iterations;
    }
    double t0 = now_us();
    for (uint32_t t = 0; t < o.threads; t++) pthread_create(&th[t], NULL, bench_thread, &w[t]);
    for (uint32_t t = 0; t < o.threads; t++) pthread_join(th[t], NULL);
    double elapsed_s = (now_us() - t0) / 1e6;

    size_t n = (size_t)o.iterations * o.threads;
    double *all = malloc(n * sizeof *all);
    uint32_t errors[NX_ERROR_COUNT] = {0};
    for (uint32_t t = 0; t < o.threads; t++) {
        memcpy(all + (size_t)t * o.iterations, w[t].latency_us, o.iterations * sizeof(double));
        for (int e = 0; e < NX_ERROR_COUNT; e++) errors[e] += w[t].errors[e];
    }
    qsort(all, n, sizeof *all, cmp_double);
    printf("handler: %s  threads: %u  iterations: %u per thread\n", o.handler_path, o.threads,
           o.iterations);
    printf("latency us: min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", all[0],
           percentile(all, n, 0.50), percentile(all, n, 0.90), percentile(all, n, 0.99),
           all[n - 1]);
    for (int e = 0; e < NX_ERROR_COUNT; e++)
        if (errors[e]) printf("errors: %u x %s\n", errors[e], e ? nx_error_name((nx_error)e) : "SUSPENDED");
    printf("p50_us=%.1f p99_us=%.1f execs_per_s=%.0f\n", percentile(all, n, 0.50),
           percentile(all, n, 0.99), (double)n / elapsed_s);
    for (uint32_t t = 0; t < o.threads; t++) free(w[t].latency_us);
    free(all);
    free(w);
    free(th);
    nx_runtime_destroy(rt);
    free(code);
    free(context);
    return 0;
}
