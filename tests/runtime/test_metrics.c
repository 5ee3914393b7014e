/*
 * test_metrics.c — the metrics collector (src/runtime/metrics.c): counts by status and
 * error code, duration quantiles against exact nearest-rank values, cache and
 * compilation figures, pool gauges and peak memory in the stats JSON, and the Prometheus
 * exposition: expected samples, cumulative buckets, exact sums in seconds, and
 * `promtool check metrics` with no complaint (skipped only when promtool is not on
 * PATH). Four threads record at once (also run under ThreadSanitizer).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"

enum {
    THREADS = 4,
    THREAD_RECORDS = 5000,
    RANDOM_SAMPLES = 20000,
};

/* ------------------------------------------------------------------ helpers */

static json_t *stats_of(nxm_collector *m, const nxm_pool_gauges *pool, const nxc_stats *cache) {
    char *text = nxm_stats_json(m, pool, cache);
    assert_non_null(text);
    json_error_t error;
    json_t *root = json_loads(text, 0, &error);
    if (!root) fail_msg("stats JSON does not parse (%s): %s", error.text, text);
    free(text);
    return root;
}

/* The integer at a dotted path ("executions.byStatus.error"). */
static long long jget(json_t *root, const char *path) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *v = root;
    for (char *save = NULL, *part = strtok_r(buf, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        v = json_object_get(v, part);
        if (!v) fail_msg("no %s in the stats", path);
    }
    if (!json_is_integer(v)) fail_msg("%s is not an integer", path);
    return json_integer_value(v);
}

static bool contains_line(const char *text, const char *line) {
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return true;
    return false;
}

static void expect_line(const char *text, const char *line) {
    if (!contains_line(text, line)) fail_msg("line [%s] missing from:\n%s", line, text);
}

static const char *const error_codes[] = {
    "TIMEOUT",           "MEMORY_LIMIT",    "PERMISSION_DENIED", "EXECUTION_ERROR",
    "COMPILATION_ERROR", "INVALID_HANDLER", "INTERNAL_ERROR",    "RESOURCE_LIMIT",
};

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* ------------------------------------------------------------------ tests */

static void test_error_names(void **state) {
    (void)state;
    assert_string_equal(nx_error_name(NX_OK), "OK");
    for (int e = 1; e < NX_ERROR_COUNT; e++) assert_string_equal(nx_error_name((nx_error)e), error_codes[e - 1]);
    assert_string_equal(nx_error_name((nx_error)99), "INTERNAL_ERROR");
}

static void test_counts(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    assert_non_null(m);
    for (int i = 0; i < 5; i++) nxm_record_execution(m, NX_SUCCESS, NX_OK, 100, 1000);
    for (int e = 1; e < NX_ERROR_COUNT; e++) nxm_record_execution(m, NX_ERROR, (nx_error)e, 100, 0);
    nxm_record_execution(m, NX_ERROR, NX_ERR_TIMEOUT, 100, 0);
    nxm_record_execution(m, NX_SUSPENDED, NX_OK, 100, 4096);
    nxm_record_execution(m, NX_SUSPENDED, NX_OK, 100, 0);
    /* caller faults: an error without a code, an unknown code, an unknown status */
    nxm_record_execution(m, NX_ERROR, NX_OK, 100, 0);
    nxm_record_execution(m, NX_ERROR, (nx_error)42, 100, 0);
    nxm_record_execution(m, (nx_status)7, NX_OK, 100, 0);
    /* a code with a non-error status is not an error */
    nxm_record_execution(m, NX_SUCCESS, NX_ERR_TIMEOUT, 100, 0);
    nxm_record_execution(NULL, NX_SUCCESS, NX_OK, 1, 1); /* no collector: nothing */

    json_t *root = stats_of(m, NULL, NULL);
    assert_int_equal(jget(root, "executions.total"), 5 + 8 + 1 + 2 + 3 + 1);
    assert_int_equal(jget(root, "executions.byStatus.success"), 6);
    assert_int_equal(jget(root, "executions.byStatus.error"), 8 + 1 + 3);
    assert_int_equal(jget(root, "executions.byStatus.suspended"), 2);
    assert_int_equal(jget(root, "executions.byErrorCode.TIMEOUT"), 2);
    assert_int_equal(jget(root, "executions.byErrorCode.INTERNAL_ERROR"), 1 + 3);
    for (size_t i = 0; i < sizeof error_codes / sizeof *error_codes; i++) {
        char path[64];
        snprintf(path, sizeof path, "executions.byErrorCode.%s", error_codes[i]);
        assert_true(jget(root, path) >= 1);
    }
    assert_null(json_object_get(json_object_get(json_object_get(root, "executions"), "byErrorCode"), "OK"));
    assert_int_equal(json_object_size(json_object_get(json_object_get(root, "executions"), "byErrorCode")), 8);
    assert_int_equal(jget(root, "durationUs.count"), 20);
    assert_int_equal(jget(root, "memoryPeakBytes"), 4096);
    json_decref(root);
    nxm_free(m);
}

static void test_empty(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    json_t *root = stats_of(m, NULL, NULL);
    assert_int_equal(jget(root, "executions.total"), 0);
    assert_int_equal(jget(root, "durationUs.count"), 0);
    assert_int_equal(jget(root, "durationUs.p50"), 0);
    assert_int_equal(jget(root, "durationUs.p99"), 0);
    assert_int_equal(jget(root, "durationUs.max"), 0);
    assert_int_equal(jget(root, "cache.hits"), 0);
    assert_true(json_is_real(json_object_get(json_object_get(root, "cache"), "hitRate")));
    assert_true(json_real_value(json_object_get(json_object_get(root, "cache"), "hitRate")) == 0.0);
    assert_false(json_is_true(json_object_get(json_object_get(root, "cache"), "diskEnabled")));
    assert_int_equal(jget(root, "pool.maxInstances"), 0);
    assert_int_equal(jget(root, "compilations.count"), 0);
    json_decref(root);
    assert_null(nxm_stats_json(NULL, NULL, NULL));
    assert_null(nxm_prometheus(NULL, NULL, NULL));
    nxm_free(m);
    nxm_free(NULL);
}

static void test_quantiles(void **state) {
    (void)state;
    /* 1..1000 ms: p50 = 500 ms, p95 = 950 ms, p99 = 990 ms (nearest rank) */
    nxm_collector *m = nxm_new();
    for (int i = 1000; i >= 1; i--) nxm_record_execution(m, NX_SUCCESS, NX_OK, (uint64_t)i * 1000, 0);
    json_t *root = stats_of(m, NULL, NULL);
    static const struct {
        const char *path;
        double exact;
    } q[] = {{"durationUs.p50", 500000}, {"durationUs.p95", 950000}, {"durationUs.p99", 990000}};
    for (size_t i = 0; i < 3; i++) {
        double got = (double)jget(root, q[i].path);
        if (got < q[i].exact * (1 - 1.0 / 32) || got > q[i].exact * (1 + 1.0 / 32))
            fail_msg("%s = %.0f, exact %.0f", q[i].path, got, q[i].exact);
    }
    assert_int_equal(jget(root, "durationUs.max"), 1000000);
    assert_int_equal(jget(root, "durationUs.mean"), 500500);
    json_decref(root);
    nxm_free(m);

    /* small values are exact; one value: every quantile is it */
    m = nxm_new();
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 7, 0);
    root = stats_of(m, NULL, NULL);
    assert_int_equal(jget(root, "durationUs.p50"), 7);
    assert_int_equal(jget(root, "durationUs.p99"), 7);
    json_decref(root);
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 123456789, 0); /* clamped to what was seen */
    root = stats_of(m, NULL, NULL);
    assert_int_equal(jget(root, "durationUs.p50"), 7);
    assert_int_equal(jget(root, "durationUs.p99"), 123456789);
    json_decref(root);
    nxm_free(m);
}

/* Random durations over eight orders of magnitude, against the exact quantiles. */
static void test_quantiles_random(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    uint64_t *values = malloc(RANDOM_SAMPLES * sizeof *values);
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < RANDOM_SAMPLES; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned magnitude = (unsigned)(x % 27);          /* up to 2^27 us, about 2 min */
        values[i] = (x >> 8) & ((1ull << magnitude) - 1);
        nxm_record_execution(m, NX_SUCCESS, NX_OK, values[i], 0);
    }
    qsort(values, RANDOM_SAMPLES, sizeof *values, cmp_u64);
    json_t *root = stats_of(m, NULL, NULL);
    static const struct {
        const char *path;
        unsigned pct;
    } q[] = {{"durationUs.p50", 50}, {"durationUs.p95", 95}, {"durationUs.p99", 99}};
    for (size_t i = 0; i < 3; i++) {
        uint64_t rank = ((uint64_t)RANDOM_SAMPLES * q[i].pct + 99) / 100;
        double exact = (double)values[rank - 1], got = (double)jget(root, q[i].path);
        if (got < exact * (1 - 1.0 / 32) - 1 || got > exact * (1 + 1.0 / 32) + 1)
            fail_msg("%s = %.0f, exact %.0f", q[i].path, got, exact);
    }
    assert_int_equal(jget(root, "durationUs.max"), (long long)values[RANDOM_SAMPLES - 1]);
    json_decref(root);
    free(values);
    nxm_free(m);
}

static void test_cache_compilation_pool(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    for (int i = 0; i < 3; i++) nxm_record_cache(m, true);
    nxm_record_cache(m, false);
    nxm_record_compilation(m, 1500);
    nxm_record_compilation(m, 2500);
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 10, 1 << 20);
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 10, 1 << 19);
    nxm_pool_gauges pool = {.active = 1, .available = 2, .suspended = 3, .max_instances = 10,
                            .created = 11, .reused = 12, .destroyed = 13, .exhausted = 14,
                            .expired_suspensions = 15, .total_memory_bytes = 16 << 20};
    nxc_stats cache = {.memory_entries = 4, .memory_bytes = 4000, .disk_entries = 5,
                       .disk_bytes = 5000, .evictions = 6, .corrupt_files = 7,
                       .disk_enabled = true};
    json_t *root = stats_of(m, &pool, &cache);
    assert_int_equal(jget(root, "cache.hits"), 3);
    assert_int_equal(jget(root, "cache.misses"), 1);
    assert_true(json_real_value(json_object_get(json_object_get(root, "cache"), "hitRate")) == 0.75);
    assert_int_equal(jget(root, "cache.memoryEntries"), 4);
    assert_int_equal(jget(root, "cache.memoryBytes"), 4000);
    assert_int_equal(jget(root, "cache.diskEntries"), 5);
    assert_int_equal(jget(root, "cache.diskBytes"), 5000);
    assert_int_equal(jget(root, "cache.evictions"), 6);
    assert_int_equal(jget(root, "cache.corruptFiles"), 7);
    assert_true(json_is_true(json_object_get(json_object_get(root, "cache"), "diskEnabled")));
    assert_int_equal(jget(root, "compilations.count"), 2);
    assert_int_equal(jget(root, "compilations.totalUs"), 4000);
    assert_int_equal(jget(root, "compilations.meanUs"), 2000);
    assert_int_equal(jget(root, "pool.active"), 1);
    assert_int_equal(jget(root, "pool.available"), 2);
    assert_int_equal(jget(root, "pool.suspended"), 3);
    assert_int_equal(jget(root, "pool.maxInstances"), 10);
    assert_int_equal(jget(root, "pool.created"), 11);
    assert_int_equal(jget(root, "pool.reused"), 12);
    assert_int_equal(jget(root, "pool.destroyed"), 13);
    assert_int_equal(jget(root, "pool.exhausted"), 14);
    assert_int_equal(jget(root, "pool.expiredSuspensions"), 15);
    assert_int_equal(jget(root, "pool.totalMemoryBytes"), 16 << 20);
    assert_int_equal(jget(root, "memoryPeakBytes"), 1 << 20);
    json_decref(root);
    nxm_free(m);
}

/* A collector with a bit of everything, and its exposition. */
static char *sample_exposition(nxm_collector *m) {
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 250, 2 << 20);     /* 0.00025 s */
    nxm_record_execution(m, NX_SUCCESS, NX_OK, 1500, 1 << 20);    /* 0.0015 s */
    nxm_record_execution(m, NX_ERROR, NX_ERR_TIMEOUT, 5000000, 0); /* 5 s: le="5" */
    nxm_record_execution(m, NX_SUSPENDED, NX_OK, 100000000, 0);    /* 100 s: +Inf only */
    nxm_record_cache(m, true);
    nxm_record_cache(m, false);
    nxm_record_compilation(m, 12345);
    nxm_pool_gauges pool = {.active = 1, .available = 2, .suspended = 3, .max_instances = 10,
                            .created = 6, .reused = 7, .destroyed = 8, .exhausted = 9,
                            .expired_suspensions = 1, .total_memory_bytes = 123};
    nxc_stats cache = {.memory_entries = 4, .memory_bytes = 4000, .disk_entries = 5,
                       .disk_bytes = 5000, .evictions = 6, .corrupt_files = 7,
                       .disk_enabled = true};
    char *text = nxm_prometheus(m, &pool, &cache);
    assert_non_null(text);
    return text;
}

static void test_prometheus_text(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    char *text = sample_exposition(m);
    expect_line(text, "# TYPE nexus_executions_total counter");
    expect_line(text, "nexus_executions_total{status=\"success\"} 2");
    expect_line(text, "nexus_executions_total{status=\"error\"} 1");
    expect_line(text, "nexus_executions_total{status=\"suspended\"} 1");
    expect_line(text, "nexus_execution_errors_total{code=\"TIMEOUT\"} 1");
    expect_line(text, "nexus_execution_errors_total{code=\"RESOURCE_LIMIT\"} 0");
    expect_line(text, "# TYPE nexus_execution_duration_seconds histogram");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"0.0005\"} 1");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"0.001\"} 1");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"0.0025\"} 2");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"2.5\"} 2");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"5\"} 3"); /* le is inclusive */
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"60\"} 3");
    expect_line(text, "nexus_execution_duration_seconds_bucket{le=\"+Inf\"} 4");
    expect_line(text, "nexus_execution_duration_seconds_sum 105.00175");
    expect_line(text, "nexus_execution_duration_seconds_count 4");
    expect_line(text, "nexus_memory_peak_bytes 2097152");
    expect_line(text, "nexus_cache_hits_total 1");
    expect_line(text, "nexus_cache_misses_total 1");
    expect_line(text, "nexus_compilation_duration_seconds_sum 0.012345");
    expect_line(text, "nexus_compilation_duration_seconds_count 1");
    expect_line(text, "nexus_compilation_duration_seconds_bucket{le=\"0.01\"} 0");
    expect_line(text, "nexus_compilation_duration_seconds_bucket{le=\"0.025\"} 1");
    expect_line(text, "nexus_cache_entries{tier=\"memory\"} 4");
    expect_line(text, "nexus_cache_entries{tier=\"disk\"} 5");
    expect_line(text, "nexus_cache_size_bytes{tier=\"memory\"} 4000");
    expect_line(text, "nexus_cache_size_bytes{tier=\"disk\"} 5000");
    expect_line(text, "nexus_cache_evictions_total 6");
    expect_line(text, "nexus_cache_corrupt_files_total 7");
    expect_line(text, "nexus_cache_disk_enabled 1");
    expect_line(text, "nexus_pool_instances{state=\"active\"} 1");
    expect_line(text, "nexus_pool_instances{state=\"available\"} 2");
    expect_line(text, "nexus_pool_instances{state=\"suspended\"} 3");
    expect_line(text, "nexus_pool_max_instances 10");
    expect_line(text, "nexus_pool_instances_created_total 6");
    expect_line(text, "nexus_pool_instances_reused_total 7");
    expect_line(text, "nexus_pool_instances_destroyed_total 8");
    expect_line(text, "nexus_pool_acquisition_timeouts_total 9");
    expect_line(text, "nexus_suspensions_expired_total 1");
    expect_line(text, "nexus_pool_memory_bytes 123");
    /* every sample's family has HELP and TYPE, buckets never decrease */
    char *copy = strdup(text);
    unsigned long long last_bucket = 0;
    char family[128] = "";
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# TYPE ", 7) == 0) {
            sscanf(line + 7, "%127s", family);
            last_bucket = 0;
            continue;
        }
        if (line[0] == '#') continue;
        if (strncmp(line, family, strlen(family)) != 0) fail_msg("sample outside its family: %s", line);
        if (strstr(line, "_bucket{")) {
            unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10);
            assert_true(v >= last_bucket);
            last_bucket = v;
        }
    }
    free(copy);
    free(text);
    nxm_free(m);
}

/* The full path of an executable on PATH, or false. */
static bool on_path(const char *name, char *out, size_t size) {
    const char *path = getenv("PATH");
    if (!path) return false;
    for (const char *p = path; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        snprintf(out, size, "%.*s/%s", (int)n, p, name);
        if (n && access(out, X_OK) == 0) return true;
        p += n + (end ? 1 : 0);
    }
    return false;
}

/* Feeds text to `promtool check metrics` (stdin); returns its exit status and output. */
static int promtool_check(const char *promtool, const char *text, char *output, size_t size) {
    const char *base = getenv("NEXUS_TEST_TMP");
    char out_path[1024], cmd[2300];
    snprintf(out_path, sizeof out_path, "%s/promtool-%d.txt", base && *base ? base : "/tmp", (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' check metrics >'%s' 2>&1", promtool, out_path);
    FILE *p = popen(cmd, "w");
    assert_non_null(p);
    fputs(text, p);
    int status = pclose(p);
    FILE *f = fopen(out_path, "r");
    size_t n = f ? fread(output, 1, size - 1, f) : 0;
    output[n] = '\0';
    if (f) fclose(f);
    unlink(out_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_promtool(void **state) {
    (void)state;
    char promtool[4096];
    if (!on_path("promtool", promtool, sizeof promtool)) {
        print_message("promtool is not on PATH: skipped\n");
        skip();
    }
    char output[8192];
    /* the checker does catch problems (so a silent pass below means something) */
    int status = promtool_check(promtool, "# HELP bad_count x\n# TYPE bad_count counter\nbad_count 1\n",
                                output, sizeof output);
    assert_int_not_equal(status, 0);
    assert_non_null(strstr(output, "_total"));

    nxm_collector *m = nxm_new();
    char *text = nxm_prometheus(m, NULL, NULL); /* empty */
    status = promtool_check(promtool, text, output, sizeof output);
    if (status != 0 || output[0]) fail_msg("promtool (status %d) on the empty exposition:\n%s", status, output);
    free(text);
    text = sample_exposition(m);
    status = promtool_check(promtool, text, output, sizeof output);
    if (status != 0 || output[0]) fail_msg("promtool (status %d):\n%s\non:\n%s", status, output, text);
    free(text);
    nxm_free(m);
}

typedef struct thread_arg {
    nxm_collector *m;
    int index;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    for (int i = 0; i < THREAD_RECORDS; i++) {
        nxm_record_execution(a->m, (nx_status)(i % 3), i % 3 == NX_ERROR ? NX_ERR_EXECUTION : NX_OK,
                             (uint64_t)i, (uint64_t)a->index);
        nxm_record_cache(a->m, i % 2 == 0);
        if (i % 10 == 0) nxm_record_compilation(a->m, 10);
        if (i % 1000 == 0) {
            free(nxm_stats_json(a->m, NULL, NULL));
            free(nxm_prometheus(a->m, NULL, NULL));
        }
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    nxm_collector *m = nxm_new();
    pthread_t threads[THREADS];
    thread_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (thread_arg){m, t};
        assert_int_equal(pthread_create(&threads[t], NULL, thread_main, &args[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    json_t *root = stats_of(m, NULL, NULL);
    assert_int_equal(jget(root, "executions.total"), THREADS * THREAD_RECORDS);
    assert_int_equal(jget(root, "durationUs.count"), THREADS * THREAD_RECORDS);
    assert_int_equal(jget(root, "executions.byErrorCode.EXECUTION_ERROR"),
                     jget(root, "executions.byStatus.error"));
    assert_int_equal(jget(root, "cache.hits") + jget(root, "cache.misses"), THREADS * THREAD_RECORDS);
    assert_int_equal(jget(root, "compilations.count"), THREADS * THREAD_RECORDS / 10);
    assert_int_equal(jget(root, "memoryPeakBytes"), THREADS - 1);
    json_decref(root);
    nxm_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_quantiles_random),
        cmocka_unit_test(test_cache_compilation_pool),
        cmocka_unit_test(test_prometheus_text),
        cmocka_unit_test(test_promtool),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
