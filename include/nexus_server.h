/*
 * nexus_server.h — the Nexus HTTP server: a handler runtime (nexus.h) offered as a JSON
 * API over HTTP/1.1, on libmicrohttpd. `nexus serve` is built on it.
 *
 *     POST /v1/execute   {code | bytecode, context, timeoutMs}  → a result (nx_result_json)
 *     POST /v1/compile   {code}      → {status, bytecode, sha256, cacheHit, compilationTimeUs}
 *     POST /v1/resume    {suspensionId, result: {success, value | error}} → a result
 *     GET  /v1/stats     nx_stats_json          GET /metrics   Prometheus text
 *     GET  /health       {"status": "ok", ...}
 *
 * The HTTP status says whether the server did what was asked; a result's "status" says
 * what the handler did (so a handler that threw is HTTP 200). The README's section "The
 * HTTP server" has the table of statuses and the request and error shapes.
 *
 * Each connection is served by its own thread (libmicrohttpd's thread-per-connection
 * mode): an execution blocks its connection only. Every request and the runtime's own
 * log lines are written to stderr as one JSON object per line.
 *
 * Ownership: the server does not own the runtime; the runtime must outlive the server.
 */
#ifndef NEXUS_SERVER_H
#define NEXUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- configuration */

/* Server settings. Each is an environment variable; the table in src/server/config.c
 * gives its default and rule (and nxsrv_config_describe prints it). */
typedef struct nxsrv_config {
    char host[256];             /* HOST, "127.0.0.1": the address (or name) to listen on */
    uint32_t port;              /* HTTP_PORT, 3000; 0 = any free port (see nxsrv_port) */
    uint64_t body_limit;        /* BODY_LIMIT, 1mb: largest request body, in bytes */
    char auth_token[1024];      /* AUTH_TOKEN, "" = no authentication */
    uint32_t shutdown_grace_ms; /* SHUTDOWN_GRACE_MS, 10000: how long running executions
                                   may go on after SIGTERM before they are interrupted */
} nxsrv_config;

/* Fills *cfg with the defaults. */
void nxsrv_config_defaults(nxsrv_config *cfg);

/* Sets one setting by its environment variable name (e.g. "BODY_LIMIT", "512kb"). False
 * with a message naming the variable, quoting the value and stating the rule. */
bool nxsrv_config_set(nxsrv_config *cfg, const char *name, const char *value, char *err,
                      size_t err_size);

/* Applies every server variable that is set in the environment. False with a message
 * on the first bad one. */
bool nxsrv_config_from_env(nxsrv_config *cfg, char *err, size_t err_size);

/* The settings as a human-readable table (name, value, default, rule), malloc'd; the
 * auth token is never printed, only whether one is set. NULL when out of memory. */
char *nxsrv_config_describe(const nxsrv_config *cfg);

/* Parses a size: a whole number of bytes, or one followed by b, kb, mb or gb (any case;
 * 1kb = 1024 bytes), from 1 byte to 1 GiB. */
bool nxsrv_parse_size(const char *text, uint64_t *out);

/* ---------------------------------------------------------------- logging */

/* Writes one log line {"time", "level", "message"} to stderr when level >= threshold.
 * Thread-safe; each line is written whole. */
void nxsrv_log(nx_log_level threshold, nx_log_level level, const char *message);

/* An nx_log_fn for nx_config.log: the runtime's lines as JSON log lines (the runtime
 * filters by level itself; user is unused). */
void nxsrv_runtime_log(void *user, nx_log_level level, const char *message);

/* ---------------------------------------------------------------- server */

typedef struct nxsrv_server nxsrv_server;

/* Listens on cfg's HOST and HTTP_PORT and serves rt. rt_cfg is the configuration rt was
 * created with (TIMEOUT_MS bounds a request's timeoutMs; LOG_LEVEL filters the request
 * log); it is copied. NULL with a message naming the variable in err when the address
 * cannot be resolved or bound, or the server cannot start. */
nxsrv_server *nxsrv_start(const nxsrv_config *cfg, nx_runtime *rt, const nx_config *rt_cfg,
                          char *err, size_t err_size);

/* The port the server listens on (the chosen one when HTTP_PORT is 0). */
uint16_t nxsrv_port(const nxsrv_server *srv);

/* Graceful stop: stops accepting connections, shuts the runtime down with
 * SHUTDOWN_GRACE_MS of grace (running executions finish or are interrupted), waits for
 * the responses of requests in progress to be sent, then closes every connection.
 * Idempotent. */
void nxsrv_stop(nxsrv_server *srv);

/* Stops (when not done yet) and frees the server. NULL allowed. */
void nxsrv_free(nxsrv_server *srv);

#ifdef __cplusplus
}
#endif
#endif /* NEXUS_SERVER_H */
