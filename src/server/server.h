/*
 * server.h — internals of the HTTP server shared by http.c (listening, connections,
 * request bodies, authentication, responses, shutdown), routes.c (what each route does)
 * and log.c (JSON log lines).
 *
 * A request goes: http.c finds its route and checks method, token and declared size
 * (404/405/401/413 answer at once, before any body is read), gathers the body up to
 * BODY_LIMIT, then calls the route's handler, which fills an nxsrv_reply; http.c sends
 * it and logs the request when it is complete.
 */
#ifndef NXSRV_SERVER_H
#define NXSRV_SERVER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus_server.h"

/* Fixed limits of the server (documented in the README, "The HTTP server"). */
#define NXSRV_MAX_CONNECTIONS 256u   /* open connections at once; more are refused */
#define NXSRV_RETRY_AFTER_S 1u       /* Retry-After of a 503 "instance pool exhausted" */

/* What a route answers. */
typedef struct nxsrv_reply {
    unsigned status;          /* HTTP status */
    char *body;               /* malloc'd; ownership passes to the response */
    size_t len;
    const char *content_type; /* static text */
    const char *error_code;   /* for the request log: a static name (HTTP error code or
                                 the result's nx_error_name), NULL when none */
    unsigned retry_after_s;   /* a Retry-After header when > 0 */
} nxsrv_reply;

/* What the routes see of the server. */
typedef struct nxsrv_context {
    nx_runtime *rt;           /* not owned */
    uint32_t max_timeout_ms;  /* largest timeoutMs a request may give */
    uint64_t started_ns;      /* CLOCK_MONOTONIC at start, for /health's uptime */
    atomic_bool stopping;     /* set when nxsrv_stop begins */
} nxsrv_context;

/* A route's handler: body is the request body (len bytes, not NUL-terminated; empty for
 * GET); it must set out->status and out->body. */
typedef void (*nxsrv_handler)(nxsrv_context *ctx, const char *body, size_t len,
                              nxsrv_reply *out);

typedef struct nxsrv_route {
    const char *path;
    const char *method;  /* "GET" (HEAD is accepted too) or "POST" */
    const char *allow;   /* the Allow header of a 405 */
    bool public;         /* answered without the AUTH_TOKEN (only /health) */
    nxsrv_handler handle;
} nxsrv_route;

/* The route of a path (exact match), or NULL. */
const nxsrv_route *nxsrv_route_find(const char *path);

/* A list of the routes for messages, e.g. "POST /v1/execute, ..., GET /health". */
const char *nxsrv_route_list(void);

/* Makes out a JSON error reply {"error": {"code", "message"[, "field"]}}. */
void nxsrv_reply_error(nxsrv_reply *out, unsigned status, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Makes out a reply with a JSON value (stolen); 500 when it cannot be written. */
void nxsrv_reply_json(nxsrv_reply *out, unsigned status, json_t *value);

/* Writes one log line: fields (stolen) after "time" and "level", when level >=
 * threshold. */
void nxsrv_log_fields(nx_log_level threshold, nx_log_level level, json_t *fields);

/* A JSON string of text; bytes that are not UTF-8 become '?'. NULL when out of memory. */
json_t *nxsrv_json_text(const char *text);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t nxsrv_now_ns(void);

#endif /* NXSRV_SERVER_H */
