/*
 * metrics.c — the metrics collector of a runtime (metrics.h).
 *
 * Recording adds to counters under one mutex. Durations are kept twice:
 *   - in Prometheus histograms with fixed bounds in seconds (prom_bounds_us), for the
 *     exposition, where buckets must not change between scrapes;
 *   - in a log-linear histogram of microseconds (16 sub-buckets per power of two, exact
 *     below 16 µs), from which the stats JSON reads p50/p95/p99 with a relative error
 *     below 1/32 (a bucket's midpoint), clamped to the smallest and largest durations
 *     seen. Quantiles use the nearest-rank definition: the value of rank ceil(q * count).
 * Rendering copies the counters under the lock, then formats without it.
 *
 * Prometheus names follow the conventions promtool checks: `nexus_` prefix, base units
 * (seconds, bytes), `_total` only on counters, one HELP and TYPE per family. Counters the
 * runtime reports through nxm_pool_gauges / nxc_stats (instances created, evictions...)
 * are cumulative there and exposed as counters here.
 */
#define _GNU_SOURCE
#include "metrics.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    NXM_STATUS_COUNT = 3, /* nx_status values */
    NXM_US_PER_SECOND = 1000000,
    /* log-linear histogram: values below NXM_FINE_SUB are exact; above, each power of two
       [2^e, 2^(e+1)) with e >= NXM_FINE_SUB_BITS is split into NXM_FINE_SUB buckets */
    NXM_FINE_SUB_BITS = 4,
    NXM_FINE_SUB = 1 << NXM_FINE_SUB_BITS,
    NXM_FINE_BUCKETS = NXM_FINE_SUB + (64 - NXM_FINE_SUB_BITS) * NXM_FINE_SUB,
};

/* Names of nx_status values, as the JSON and the `status` label spell them. */
static const char *const status_names[NXM_STATUS_COUNT] = {
    [NX_SUCCESS] = "success",
    [NX_ERROR] = "error",
    [NX_SUSPENDED] = "suspended",
};

/* Upper bounds (inclusive, microseconds) of the Prometheus duration buckets, and how the
 * `le` label prints them; +Inf follows. From 0.5 ms (a cached small handler) to one
 * minute (TIMEOUT_MS goes to an hour: those land in +Inf). */
static const struct {
    uint64_t us;
    const char *le;
} prom_bounds[] = {
    {500, "0.0005"},    {1000, "0.001"},     {2500, "0.0025"},    {5000, "0.005"},
    {10000, "0.01"},    {25000, "0.025"},    {50000, "0.05"},     {100000, "0.1"},
    {250000, "0.25"},   {500000, "0.5"},     {1000000, "1"},      {2500000, "2.5"},
    {5000000, "5"},     {10000000, "10"},    {30000000, "30"},    {60000000, "60"},
};
#define NXM_PROM_BOUNDS (sizeof prom_bounds / sizeof *prom_bounds)

/* A Prometheus histogram: per-bucket (not cumulative) counts, the last one for +Inf. */
typedef struct prom_histogram {
    uint64_t buckets[NXM_PROM_BOUNDS + 1];
    uint64_t count, sum_us;
} prom_histogram;

/* Everything recorded; copied whole for a rendering. */
typedef struct nxm_counts {
    uint64_t by_status[NXM_STATUS_COUNT];
    uint64_t by_error[NX_ERROR_COUNT]; /* [NX_OK] stays 0 */
    prom_histogram executions;
    uint64_t fine[NXM_FINE_BUCKETS]; /* execution durations, log-linear */
    uint64_t duration_min_us, duration_max_us; /* valid when executions.count > 0 */
    uint64_t cache_hits, cache_misses;
    prom_histogram compilations;
    uint64_t memory_peak_bytes;
} nxm_counts;

struct nxm_collector {
    pthread_mutex_t lock;
    nxm_counts counts; /* guarded by lock */
};

nxm_collector *nxm_new(void) {
    nxm_collector *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void nxm_free(nxm_collector *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ------------------------------------------------------------------ histograms */

static void prom_observe(prom_histogram *h, uint64_t us) {
    size_t i = 0;
    while (i < NXM_PROM_BOUNDS && us > prom_bounds[i].us) i++;
    h->buckets[i]++;
    h->count++;
    h->sum_us += us;
}

/* Index of v in the log-linear histogram. */
static size_t fine_index(uint64_t v) {
    if (v < NXM_FINE_SUB) return (size_t)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v < 2^(e+1), e >= SUB_BITS */
    unsigned shift = e - NXM_FINE_SUB_BITS;
    return NXM_FINE_SUB + (size_t)shift * NXM_FINE_SUB +
           (size_t)((v >> shift) & (NXM_FINE_SUB - 1));
}

/* Smallest value and width of a log-linear bucket (inverse of fine_index). */
static void fine_bounds(size_t idx, uint64_t *lower, uint64_t *width) {
    if (idx < NXM_FINE_SUB) {
        *lower = idx;
        *width = 1;
        return;
    }
    size_t k = idx - NXM_FINE_SUB;
    unsigned shift = (unsigned)(k / NXM_FINE_SUB);
    uint64_t sub = k % NXM_FINE_SUB;
    *lower = (NXM_FINE_SUB + sub) << shift;
    *width = (uint64_t)1 << shift;
}

/* The nearest-rank quantile pct/100 of the recorded durations (0 when none). */
static uint64_t quantile_us(const nxm_counts *c, unsigned pct) {
    uint64_t n = c->executions.count;
    if (n == 0) return 0;
    uint64_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100), at least 1 */
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < NXM_FINE_BUCKETS; i++) {
        seen += c->fine[i];
        if (seen < rank) continue;
        uint64_t lower, width;
        fine_bounds(i, &lower, &width);
        uint64_t mid = lower + (width - 1) / 2;
        if (mid < c->duration_min_us) mid = c->duration_min_us;
        if (mid > c->duration_max_us) mid = c->duration_max_us;
        return mid;
    }
    return c->duration_max_us;
}

/* ------------------------------------------------------------------ recording */

void nxm_record_execution(nxm_collector *m, nx_status status, nx_error code,
                          uint64_t duration_us, uint64_t memory_peak_bytes) {
    if (!m) return;
    /* a status or code outside the enums, or an error without a code, is a fault of
       the caller: counted as INTERNAL_ERROR rather than lost */
    if ((unsigned)status >= NXM_STATUS_COUNT) {
        status = NX_ERROR;
        code = NX_ERR_INTERNAL;
    }
    if (status == NX_ERROR && ((unsigned)code >= NX_ERROR_COUNT || code == NX_OK))
        code = NX_ERR_INTERNAL;
    pthread_mutex_lock(&m->lock);
    nxm_counts *c = &m->counts;
    c->by_status[status]++;
    if (status == NX_ERROR) c->by_error[code]++;
    if (c->executions.count == 0 || duration_us < c->duration_min_us)
        c->duration_min_us = duration_us;
    if (duration_us > c->duration_max_us) c->duration_max_us = duration_us;
    prom_observe(&c->executions, duration_us);
    c->fine[fine_index(duration_us)]++;
    if (memory_peak_bytes > c->memory_peak_bytes) c->memory_peak_bytes = memory_peak_bytes;
    pthread_mutex_unlock(&m->lock);
}

void nxm_record_cache(nxm_collector *m, bool hit) {
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    if (hit) m->counts.cache_hits++;
    else m->counts.cache_misses++;
    pthread_mutex_unlock(&m->lock);
}

void nxm_record_compilation(nxm_collector *m, uint64_t duration_us) {
    if (!m) return;
    pthread_mutex_lock(&m->lock);
    prom_observe(&m->counts.compilations, duration_us);
    pthread_mutex_unlock(&m->lock);
}

/* A copy of the counters (malloc'd; NULL when out of memory). */
static nxm_counts *snapshot(nxm_collector *m) {
    nxm_counts *c = malloc(sizeof *c);
    if (!c) return NULL;
    pthread_mutex_lock(&m->lock);
    *c = m->counts;
    pthread_mutex_unlock(&m->lock);
    return c;
}

/* ------------------------------------------------------------------ stats JSON */

/* A JSON integer; json_int_t is at least 64 bits signed (long or long long), so counts
 * beyond INT64_MAX (never reached in practice) are clamped. */
static json_t *jint(uint64_t v) {
    return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

/* Sets obj[key] = v (v's reference taken); clears *ok on any failure. */
static void put(json_t *obj, const char *key, json_t *v, bool *ok) {
    if (!v || json_object_set_new(obj, key, v) != 0) *ok = false;
}

static json_t *executions_json(const nxm_counts *c, bool *ok) {
    json_t *o = json_object(), *by_status = json_object(), *by_error = json_object();
    uint64_t total = 0;
    for (size_t s = 0; s < NXM_STATUS_COUNT; s++) {
        total += c->by_status[s];
        put(by_status, status_names[s], jint(c->by_status[s]), ok);
    }
    for (unsigned e = NX_OK + 1; e < NX_ERROR_COUNT; e++)
        put(by_error, nx_error_name((nx_error)e), jint(c->by_error[e]), ok);
    put(o, "total", jint(total), ok);
    put(o, "byStatus", by_status, ok);
    put(o, "byErrorCode", by_error, ok);
    return o;
}

static json_t *duration_json(const nxm_counts *c, bool *ok) {
    json_t *o = json_object();
    uint64_t n = c->executions.count;
    put(o, "count", jint(n), ok);
    put(o, "p50", jint(quantile_us(c, 50)), ok);
    put(o, "p95", jint(quantile_us(c, 95)), ok);
    put(o, "p99", jint(quantile_us(c, 99)), ok);
    put(o, "max", jint(c->duration_max_us), ok);
    put(o, "mean", jint(n ? c->executions.sum_us / n : 0), ok);
    return o;
}

static json_t *cache_json(const nxm_counts *c, const nxc_stats *cs, bool *ok) {
    json_t *o = json_object();
    uint64_t lookups = c->cache_hits + c->cache_misses;
    put(o, "hits", jint(c->cache_hits), ok);
    put(o, "misses", jint(c->cache_misses), ok);
    put(o, "hitRate", json_real(lookups ? (double)c->cache_hits / (double)lookups : 0.0), ok);
    put(o, "memoryEntries", jint(cs->memory_entries), ok);
    put(o, "memoryBytes", jint(cs->memory_bytes), ok);
    put(o, "diskEntries", jint(cs->disk_entries), ok);
    put(o, "diskBytes", jint(cs->disk_bytes), ok);
    put(o, "evictions", jint(cs->evictions), ok);
    put(o, "corruptFiles", jint(cs->corrupt_files), ok);
    put(o, "diskEnabled", json_boolean(cs->disk_enabled), ok);
    return o;
}

static json_t *compilations_json(const nxm_counts *c, bool *ok) {
    json_t *o = json_object();
    uint64_t n = c->compilations.count;
    put(o, "count", jint(n), ok);
    put(o, "totalUs", jint(c->compilations.sum_us), ok);
    put(o, "meanUs", jint(n ? c->compilations.sum_us / n : 0), ok);
    return o;
}

static json_t *pool_json(const nxm_pool_gauges *p, bool *ok) {
    json_t *o = json_object();
    put(o, "active", jint(p->active), ok);
    put(o, "available", jint(p->available), ok);
    put(o, "suspended", jint(p->suspended), ok);
    put(o, "maxInstances", jint(p->max_instances), ok);
    put(o, "created", jint(p->created), ok);
    put(o, "reused", jint(p->reused), ok);
    put(o, "destroyed", jint(p->destroyed), ok);
    put(o, "exhausted", jint(p->exhausted), ok);
    put(o, "expiredSuspensions", jint(p->expired_suspensions), ok);
    put(o, "totalMemoryBytes", jint(p->total_memory_bytes), ok);
    return o;
}

char *nxm_stats_json(nxm_collector *m, const nxm_pool_gauges *pool, const nxc_stats *cache) {
    if (!m) return NULL;
    static const nxm_pool_gauges no_pool;
    static const nxc_stats no_cache;
    if (!pool) pool = &no_pool;
    if (!cache) cache = &no_cache;
    nxm_counts *c = snapshot(m);
    if (!c) return NULL;
    bool ok = true;
    json_t *root = json_object();
    put(root, "executions", executions_json(c, &ok), &ok);
    put(root, "durationUs", duration_json(c, &ok), &ok);
    put(root, "cache", cache_json(c, cache, &ok), &ok);
    put(root, "compilations", compilations_json(c, &ok), &ok);
    put(root, "pool", pool_json(pool, &ok), &ok);
    put(root, "memoryPeakBytes", jint(c->memory_peak_bytes), &ok);
    char *text = ok ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    free(c);
    return text;
}

/* ------------------------------------------------------------------ Prometheus */

/* Microseconds as decimal seconds, exactly ("1.5", "0.000250", trailing zeros cut). */
static void format_seconds(uint64_t us, char out[32]) {
    int n = snprintf(out, 32, "%llu.%06llu", (unsigned long long)(us / NXM_US_PER_SECOND),
                     (unsigned long long)(us % NXM_US_PER_SECOND));
    while (n > 0 && out[n - 1] == '0') out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.') out[--n] = '\0';
}

/* Writes the HELP and TYPE lines of a metric family. */
static void family(FILE *f, const char *name, const char *type, const char *help) {
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; labels is `key="value"` text or NULL. */
static void sample(FILE *f, const char *name, const char *labels, uint64_t v) {
    if (labels) fprintf(f, "%s{%s} %llu\n", name, labels, (unsigned long long)v);
    else fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

/* A single-sample family. */
static void single(FILE *f, const char *name, const char *type, const char *help, uint64_t v) {
    family(f, name, type, help);
    sample(f, name, NULL, v);
}

static void histogram(FILE *f, const char *name, const char *help, const prom_histogram *h) {
    family(f, name, "histogram", help);
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= NXM_PROM_BOUNDS; i++) {
        cumulative += h->buckets[i];
        const char *le = i < NXM_PROM_BOUNDS ? prom_bounds[i].le : "+Inf";
        fprintf(f, "%s_bucket{le=\"%s\"} %llu\n", name, le, (unsigned long long)cumulative);
    }
    char sum[32];
    format_seconds(h->sum_us, sum);
    fprintf(f, "%s_sum %s\n%s_count %llu\n", name, sum, name, (unsigned long long)h->count);
}

static void prom_executions(FILE *f, const nxm_counts *c) {
    family(f, "nexus_executions_total", "counter",
           "Finished calls of execute, execute_compiled and resume, by outcome.");
    for (size_t s = 0; s < NXM_STATUS_COUNT; s++) {
        char label[32];
        snprintf(label, sizeof label, "status=\"%s\"", status_names[s]);
        sample(f, "nexus_executions_total", label, c->by_status[s]);
    }
    family(f, "nexus_execution_errors_total", "counter", "Failed executions, by error code.");
    for (unsigned e = NX_OK + 1; e < NX_ERROR_COUNT; e++) {
        char label[64];
        snprintf(label, sizeof label, "code=\"%s\"", nx_error_name((nx_error)e));
        sample(f, "nexus_execution_errors_total", label, c->by_error[e]);
    }
    histogram(f, "nexus_execution_duration_seconds",
              "Wall-clock duration of executions, suspended ones included.", &c->executions);
    single(f, "nexus_memory_peak_bytes", "gauge",
           "Largest linear memory an execution has used since start.", c->memory_peak_bytes);
}

static void prom_cache(FILE *f, const nxm_counts *c, const nxc_stats *cs) {
    single(f, "nexus_cache_hits_total", "counter", "Compile-cache lookups that found bytecode.",
           c->cache_hits);
    single(f, "nexus_cache_misses_total", "counter",
           "Compile-cache lookups that found nothing (the source was compiled).", c->cache_misses);
    histogram(f, "nexus_compilation_duration_seconds",
              "Time spent compiling sources (compile-cache misses).", &c->compilations);
    family(f, "nexus_cache_entries", "gauge", "Entries in the compile cache, by tier.");
    sample(f, "nexus_cache_entries", "tier=\"memory\"", cs->memory_entries);
    sample(f, "nexus_cache_entries", "tier=\"disk\"", cs->disk_entries);
    family(f, "nexus_cache_size_bytes", "gauge", "Bytecode held by the compile cache, by tier.");
    sample(f, "nexus_cache_size_bytes", "tier=\"memory\"", cs->memory_bytes);
    sample(f, "nexus_cache_size_bytes", "tier=\"disk\"", cs->disk_bytes);
    single(f, "nexus_cache_evictions_total", "counter",
           "Compile-cache entries evicted to stay within the size bound (memory or disk).",
           cs->evictions);
    single(f, "nexus_cache_corrupt_files_total", "counter",
           "Compile-cache files that failed verification and were removed.", cs->corrupt_files);
    single(f, "nexus_cache_disk_enabled", "gauge",
           "1 when the compile cache uses its directory, 0 when it is memory-only.",
           cs->disk_enabled ? 1 : 0);
}

static void prom_pool(FILE *f, const nxm_pool_gauges *p) {
    family(f, "nexus_pool_instances", "gauge", "Sandbox instances, by state.");
    sample(f, "nexus_pool_instances", "state=\"active\"", p->active);
    sample(f, "nexus_pool_instances", "state=\"available\"", p->available);
    sample(f, "nexus_pool_instances", "state=\"suspended\"", p->suspended);
    single(f, "nexus_pool_max_instances", "gauge", "Configured maximum of instances.",
           p->max_instances);
    single(f, "nexus_pool_instances_created_total", "counter", "Instances created since start.",
           p->created);
    single(f, "nexus_pool_instances_reused_total", "counter",
           "Acquisitions served by an idle instance.", p->reused);
    single(f, "nexus_pool_instances_destroyed_total", "counter",
           "Instances discarded (failed reset, shutdown).", p->destroyed);
    single(f, "nexus_pool_acquisition_timeouts_total", "counter",
           "Acquisitions that found no free instance in time (RESOURCE_LIMIT).", p->exhausted);
    single(f, "nexus_suspensions_expired_total", "counter",
           "Suspended executions reclaimed after their time to live.", p->expired_suspensions);
    single(f, "nexus_pool_memory_bytes", "gauge", "Linear memory of every instance.",
           p->total_memory_bytes);
}

char *nxm_prometheus(nxm_collector *m, const nxm_pool_gauges *pool, const nxc_stats *cache) {
    if (!m) return NULL;
    static const nxm_pool_gauges no_pool;
    static const nxc_stats no_cache;
    if (!pool) pool = &no_pool;
    if (!cache) cache = &no_cache;
    nxm_counts *c = snapshot(m);
    if (!c) return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        prom_executions(f, c);
        prom_cache(f, c, cache);
        prom_pool(f, pool);
        bool failed = ferror(f) != 0;
        if (fclose(f) != 0 || failed) {
            free(text);
            text = NULL;
        }
    }
    free(c);
    return text;
}
