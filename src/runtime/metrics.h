/*
 * metrics.h — the metrics collector of a runtime (internal): counters of executions by
 * status and error code, a duration histogram, compile-cache hits and misses, peak
 * memory; rendered with the pool's gauges as the stats JSON object and as Prometheus
 * text. Thread-safe (one mutex; recording is a few additions).
 */
#ifndef NXR_METRICS_H
#define NXR_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "nexus.h"

typedef struct nxm_collector nxm_collector;

/* What the pool reports at the time of a rendering. */
typedef struct nxm_pool_gauges {
    uint32_t active;            /* instances running an execution */
    uint32_t available;         /* idle instances, reset and ready */
    uint32_t suspended;         /* instances held by suspended executions */
    uint32_t max_instances;
    uint64_t created;           /* instances created since start */
    uint64_t reused;            /* acquisitions served by an idle instance */
    uint64_t destroyed;         /* instances discarded (failed reset, shutdown) */
    uint64_t exhausted;         /* acquisitions that timed out (RESOURCE_LIMIT) */
    uint64_t expired_suspensions; /* suspensions reclaimed after their TTL */
    uint64_t total_memory_bytes;  /* linear memory of every instance */
} nxm_pool_gauges;

/* New collector; NULL when out of memory. */
nxm_collector *nxm_new(void);
void nxm_free(nxm_collector *m);

/* One finished call of execute / execute_compiled / resume (suspended counts too).
 * duration in microseconds, peak linear memory in bytes. */
void nxm_record_execution(nxm_collector *m, nx_status status, nx_error code,
                          uint64_t duration_us, uint64_t memory_peak_bytes);
/* One compile-cache lookup. */
void nxm_record_cache(nxm_collector *m, bool hit);
/* One compilation (cache miss) and its time. */
void nxm_record_compilation(nxm_collector *m, uint64_t duration_us);

/* The stats JSON object (malloc'd): {"executions": {"total", "byStatus": {...},
 * "byErrorCode": {...}}, "durationUs": {"p50", "p95", "p99", "max", "count"},
 * "cache": {"hits", "misses", "hitRate", "memoryEntries", ...}, "pool": {...},
 * "memoryPeakBytes"}. */
char *nxm_stats_json(nxm_collector *m, const nxm_pool_gauges *pool, const nxc_stats *cache);

/* Prometheus text exposition (malloc'd), `nexus_` prefix, base units (seconds, bytes),
 * `_total` counters, a duration histogram; passes `promtool check metrics`. */
char *nxm_prometheus(nxm_collector *m, const nxm_pool_gauges *pool, const nxc_stats *cache);

#endif /* NXR_METRICS_H */
