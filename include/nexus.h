/*
 * nexus.h — the Nexus handler runtime: the library that executes JavaScript handlers in
 * the WebAssembly sandbox with enforced limits, pooled instances, cached compilation and
 * metrics. The `nexus` command and the HTTP server are built on it; so can any C program.
 *
 * A handler is the body of an async JavaScript function. It sees $state (the caller's
 * state, read and written key by key), $args and $scope (read-only values), $emit,
 * $view, $ext (asynchronous extension calls, answered by the caller through nx_resume),
 * $log and console. See the README's handler API reference.
 *
 * Values cross this API as JSON text (UTF-8). A context is one JSON object:
 *
 *     {"panelId": "p1", "handlerName": "onClick",
 *      "stateSnapshot": {"count": 1},        // the state the handler reads and writes
 *      "args": ..., "scope": ...,            // any JSON values
 *      "capabilities": ["state:read:*", "state:write:count", "events:emit:*"],
 *      "extensionRegistry": {"http": ["get", "post"]}}
 *
 * every field optional. A result is a JSON object (nx_result_json) with the fields of
 * the result shape: status, returnValue, stateMutations, events, viewCommands,
 * logs, suspension, error, metrics (see nx_result_json).
 *
 * Threads: every function taking an nx_runtime may be called from many threads at once.
 * Ownership: objects returned by nx_* functions belong to the caller and are released
 * with the matching nx_*_free / free(); strings passed in are only read during the call.
 */
#ifndef NEXUS_H
#define NEXUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

/* Error codes of a failed execution (and of other failed calls). Each has a stable name
 * (nx_error_name), used in JSON results and metrics. */
typedef enum nx_error {
    NX_OK = 0,                /* no error */
    NX_ERR_TIMEOUT,           /* the execution ran longer than its timeout */
    NX_ERR_MEMORY_LIMIT,      /* the handler needed more memory than memoryLimitBytes */
    NX_ERR_PERMISSION_DENIED, /* the handler used a capability it was not granted */
    NX_ERR_EXECUTION,         /* the handler threw (or rejected) and did not catch it */
    NX_ERR_COMPILATION,       /* the source is not valid JavaScript (location given) */
    NX_ERR_INVALID_HANDLER,   /* empty or oversized source; bytecode not ours or corrupt */
    NX_ERR_INTERNAL,          /* a fault of Nexus itself (or out of host memory) */
    NX_ERR_RESOURCE_LIMIT,    /* a quota (host calls, mutations, events, value size), the
                                 instance pool, or an unknown/expired suspension */
} nx_error;

/* Number of nx_error values. */
#define NX_ERROR_COUNT 9

/* The stable name of a code: "TIMEOUT", "MEMORY_LIMIT", ... ("OK" for NX_OK). */
const char *nx_error_name(nx_error code);

/* ---------------------------------------------------------------- configuration */

/* Levels of the runtime's own log (LOG_LEVEL) and of handler $log lines. */
typedef enum nx_log_level {
    NX_LOG_DEBUG = 0,
    NX_LOG_INFO = 1,
    NX_LOG_WARN = 2,
    NX_LOG_ERROR = 3,
    NX_LOG_SILENT = 4, /* LOG_LEVEL=silent: nothing is logged */
} nx_log_level;

/* Receives one line of the runtime's log (warnings such as an unwritable cache dir). */
typedef void (*nx_log_fn)(void *user, nx_log_level level, const char *message);

/* Receives one audit record per capability check: a JSON object on one line, without
 * newline: {"time": ISO-8601, "panelId", "handlerName", "action", "resource",
 * "allowed": bool}. Called on the executing thread; must be thread-safe. */
typedef void (*nx_audit_fn)(void *user, const char *json_line);

/* Runtime configuration. Every field is documented with its environment variable,
 * default and rule in one table: src/runtime/config.c (and the README). */
typedef struct nx_config {
    uint32_t max_instances;        /* MAX_INSTANCES, 10; >= 1 */
    uint32_t min_instances;        /* MIN_INSTANCES, 2; <= max_instances */
    uint64_t memory_limit_bytes;   /* MEMORY_LIMIT_MB, 32 MiB; >= 1 MiB */
    uint64_t stack_size_bytes;     /* STACK_SIZE_KB, 1 MiB; >= 64 KiB */
    uint32_t timeout_ms;           /* TIMEOUT_MS, 5000; >= 100, or 0 for none */
    uint32_t max_host_calls;       /* MAX_HOST_CALLS, 10000 */
    uint32_t max_state_mutations;  /* MAX_STATE_MUTATIONS, 1000 */
    uint32_t max_events;           /* MAX_EVENTS, 100 */
    uint64_t max_value_bytes;      /* MAX_VALUE_SIZE_KB, 1 MiB: largest encoded return
                                      value, state value, event payload or log line */
    uint64_t max_source_bytes;     /* MAX_SOURCE_SIZE_KB, 1 MiB: largest handler source */
    char cache_dir[1024];          /* CACHE_DIR, ".nexus-cache"; "" = memory only */
    uint64_t max_cache_size_bytes; /* MAX_CACHE_SIZE_MB, 64 MiB */
    uint32_t suspension_ttl_ms;    /* SUSPENSION_TTL_MS, 60000; >= 100 */
    uint32_t queue_timeout_ms;     /* QUEUE_TIMEOUT_MS, 1000: longest wait for an instance */
    uint32_t interpret_guest;      /* INTERPRET_GUEST, 0: 1 interprets the guest instead
                                      of running its ahead-of-time compiled code */
    nx_log_level log_level;        /* LOG_LEVEL, info: debug|info|warn|error|silent */
    nx_log_fn log;                 /* where log lines go (NULL: stderr) */
    void *log_user;
    nx_audit_fn audit;             /* capability audit (NULL: none) */
    void *audit_user;
} nx_config;

/* Fills *cfg with the defaults. */
void nx_config_defaults(nx_config *cfg);

/* Sets one setting by its environment variable name (e.g. "TIMEOUT_MS", "250"). Returns
 * false with a message naming the variable and the rule in err when the name is unknown
 * or the value is not a valid number/level. */
bool nx_config_set(nx_config *cfg, const char *name, const char *value, char *err,
                   size_t err_size);

/* Applies every variable of the table that is set in the environment (getenv). False
 * with a message on the first bad one. */
bool nx_config_from_env(nx_config *cfg, char *err, size_t err_size);

/* Checks the cross-field rules (memory >= 1 MiB, stack >= 64 KiB, max_instances >= 1,
 * min_instances <= max_instances, timeout >= 100 ms or 0, ...). False with a message
 * naming the variable and the rule. */
bool nx_config_validate(const nx_config *cfg, char *err, size_t err_size);

/* Writes a human-readable table of the settings (name, value, default) to a malloc'd
 * string; for `--help` and start-up logs. */
char *nx_config_describe(const nx_config *cfg);

/* ---------------------------------------------------------------- runtime */

typedef struct nx_runtime nx_runtime; /* the runtime: pool, cache, metrics */
typedef struct nx_result nx_result;   /* the outcome of one call */

/* Creates a runtime (validates cfg, loads the embedded guest module, creates
 * min_instances instances, opens the cache). NULL with a message in err on failure. */
nx_runtime *nx_runtime_create(const nx_config *cfg, char *err, size_t err_size);

/* Stops accepting new executions (they fail with RESOURCE_LIMIT "runtime is shutting
 * down"), waits up to grace_ms for running executions, then interrupts those still
 * running (they end with TIMEOUT) and drops suspended ones. Idempotent. */
void nx_runtime_shutdown(nx_runtime *rt, uint32_t grace_ms);

/* Shuts down (grace 0 when not done yet) and frees everything. NULL allowed. */
void nx_runtime_destroy(nx_runtime *rt);

/* Executes handler source `code` (UTF-8, `len` bytes) with a context (JSON text; NULL
 * or "" for none). timeout_ms 0 means the configured default. Never NULL (out of
 * memory aside): errors are results. */
nx_result *nx_execute(nx_runtime *rt, const char *code, size_t len, const char *context_json,
                      uint32_t timeout_ms);

/* Compiles a source to bytecode (or from the cache). On success the result has status
 * NX_SUCCESS and carries the bytecode (nx_result_bytecode); otherwise a
 * COMPILATION_ERROR / INVALID_HANDLER result. */
nx_result *nx_precompile(nx_runtime *rt, const char *code, size_t len);

/* Executes bytecode from nx_precompile (or `nexus compile`). Bytecode is verified
 * before it is loaded: a foreign, truncated or modified one is INVALID_HANDLER. */
nx_result *nx_execute_compiled(nx_runtime *rt, const uint8_t *bytecode, size_t len,
                               const char *context_json, uint32_t timeout_ms);

/* Continues a suspended execution. success: value_json (NULL: undefined) fulfils the
 * handler's promise; otherwise error_message rejects it with an Error. An unknown or
 * expired id gives a RESOURCE_LIMIT result "unknown or expired suspension". */
nx_result *nx_resume(nx_runtime *rt, const char *suspension_id, bool success,
                     const char *value_json, const char *error_message);

/* Runtime statistics as a JSON object (malloc'd): executions by status and error code,
 * duration p50/p95/p99, cache figures, pool gauges and counters, peak memory. */
char *nx_stats_json(nx_runtime *rt);

/* Metrics in the Prometheus text exposition format (malloc'd). */
char *nx_metrics_prometheus(nx_runtime *rt);

/* ---------------------------------------------------------------- results */

/* Outcome of an execution. */
typedef enum nx_status {
    NX_SUCCESS = 0,   /* finished; returnValue holds what it returned */
    NX_ERROR = 1,     /* failed; see nx_result_error / nx_result_message */
    NX_SUSPENDED = 2, /* waiting for an extension call: resume with the suspension id */
} nx_status;

nx_status nx_result_status(const nx_result *r);
/* The error code (NX_OK unless the status is NX_ERROR). */
nx_error nx_result_error(const nx_result *r);
/* The error message ("" when none). Valid while r lives. */
const char *nx_result_message(const nx_result *r);
/* Why the runtime refused an execution or resume without running it: the cases of
 * RESOURCE_LIMIT that are about the runtime rather than the handler's quotas, for
 * callers that answer them differently (the HTTP server: 503, 404). */
typedef enum nx_refusal {
    NX_REFUSAL_NONE = 0,           /* not refused: it ran, or failed for another reason */
    NX_REFUSAL_POOL_EXHAUSTED = 1, /* every instance stayed busy for QUEUE_TIMEOUT_MS */
    NX_REFUSAL_SHUTTING_DOWN = 2,  /* nx_runtime_shutdown has begun */
    NX_REFUSAL_UNKNOWN_SUSPENSION = 3, /* nx_resume: no such suspension, or it expired */
} nx_refusal;

/* The refusal of an error result (NX_REFUSAL_NONE for any other result). */
nx_refusal nx_result_refusal(const nx_result *r);
/* The suspension id of an NX_SUSPENDED result, else NULL. Valid while r lives. */
const char *nx_result_suspension_id(const nx_result *r);
/* The bytecode of a successful nx_precompile (else NULL); *len gets its size. */
const uint8_t *nx_result_bytecode(const nx_result *r, size_t *len);
/* The whole result as a JSON object (malloc'd; free()). Fields: status ("success" |
 * "error" | "suspended"), returnValue, stateMutations [{key, value, operation}], events
 * [{name, payload}], viewCommands [{type, componentId, args}], logs [{level, message}],
 * suspension {suspensionId, extensionName, method, args}, error {code, message, stack,
 * location {line, column}, snippet}, metrics {durationUs, memoryUsedBytes,
 * memoryPeakBytes, hostCalls {function: count}, instructionCount, compilationTimeUs,
 * cacheHit}; for nx_precompile also sha256, cacheHit and compilationTimeUs. Numbers
 * that JSON cannot hold (NaN, ±Infinity) become null. */
char *nx_result_json(const nx_result *r);
/* Frees a result. NULL allowed. */
void nx_result_free(nx_result *r);

#ifdef __cplusplus
}
#endif
#endif /* NEXUS_H */
