/*
 * routes.c — what each route of the HTTP API does: reads and checks the JSON request,
 * calls the runtime, and turns the outcome into a reply.
 *
 * Requests are checked strictly before anything runs: the body must be a JSON object
 * (no duplicate keys) whose fields are known and of the documented type; a field that is
 * null counts as absent. Each failure is a 400 naming the field. Results of the runtime
 * are sent as nx_result_json wrote them, with the HTTP status of result_http_status.
 */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

/* Routes whose results get different HTTP statuses (see result_http_status). */
typedef enum route_kind {
    ROUTE_RUN,     /* /v1/execute: a result of running a handler */
    ROUTE_RESUME,  /* /v1/resume: the same, for a suspension id */
    ROUTE_COMPILE, /* /v1/compile: bytecode, or why there is none */
} route_kind;

/* ---------------------------------------------------------------- replies */

void nxsrv_reply_json(nxsrv_reply *out, unsigned status, json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(value);
    out->content_type = "application/json";
    if (!text) {
        static const char oom[] =
            "{\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"out of memory\"}}";
        out->status = 500;
        out->error_code = "INTERNAL_ERROR";
        out->body = strdup(oom);
        out->len = out->body ? strlen(oom) : 0;
        return;
    }
    out->status = status;
    out->body = text;
    out->len = strlen(text);
}

void nxsrv_reply_error(nxsrv_reply *out, unsigned status, const char *code, const char *field,
                       const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    json_t *err = json_pack("{s:s, s:o}", "code", code, "message", nxsrv_json_text(message));
    if (err && field) json_object_set_new(err, "field", nxsrv_json_text(field));
    nxsrv_reply_json(out, status, err ? json_pack("{s:o}", "error", err) : NULL);
    if (out->status == status) out->error_code = code;
}

/* Takes a malloc'd text as the reply body. */
static void reply_text(nxsrv_reply *out, unsigned status, char *text, const char *content_type)
{
    if (!text) {
        nxsrv_reply_error(out, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    out->status = status;
    out->body = text;
    out->len = strlen(text);
    out->content_type = content_type;
}

/* The HTTP status of a runtime result. What the handler did (success, suspended, or an
 * error of the handler: timeout, memory, permission, exception, syntax, quota, invalid
 * handler or bytecode) is 200 for execute and resume. Capacity is 503 (the pool stayed
 * exhausted, or the runtime is shutting down), a fault of Nexus 500, an unknown or
 * expired suspension 404, a source /v1/compile cannot compile 422. */
static unsigned result_http_status(const nx_result *r, route_kind kind, unsigned *retry_after)
{
    if (nx_result_status(r) != NX_ERROR) return 200;
    switch (nx_result_refusal(r)) {
    case NX_REFUSAL_POOL_EXHAUSTED:
        *retry_after = NXSRV_RETRY_AFTER_S;
        return 503;
    case NX_REFUSAL_SHUTTING_DOWN: return 503;
    case NX_REFUSAL_UNKNOWN_SUSPENSION: return 404;
    case NX_REFUSAL_NONE: break;
    }
    switch (nx_result_error(r)) {
    case NX_ERR_INTERNAL: return 500;
    case NX_ERR_COMPILATION:
    case NX_ERR_INVALID_HANDLER: return kind == ROUTE_COMPILE ? 422 : 200;
    default: return 200;
    }
}

/* Makes out the reply of a runtime result (NULL: out of memory). */
static void reply_result(nxsrv_reply *out, const nx_result *r, route_kind kind)
{
    if (!r) {
        nxsrv_reply_error(out, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return;
    }
    unsigned retry_after = 0;
    unsigned status = result_http_status(r, kind, &retry_after);
    reply_text(out, status, nx_result_json(r), "application/json");
    if (out->status != status) return;
    out->retry_after_s = retry_after;
    if (nx_result_status(r) == NX_ERROR) out->error_code = nx_error_name(nx_result_error(r));
}

/* ---------------------------------------------------------------- reading requests */

/* Parses the body as a JSON object; NULL with out set to the 400. */
static json_t *parse_body(const char *body, size_t len, nxsrv_reply *out)
{
    if (len == 0) {
        nxsrv_reply_error(out, 400, "INVALID_JSON", NULL,
                          "the request body is empty; a JSON object is expected");
        return NULL;
    }
    json_error_t e;
    json_t *value = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!value) {
        nxsrv_reply_error(out, 400, "INVALID_JSON", NULL,
                          "the request body is not valid JSON: %s (line %d, column %d)", e.text,
                          e.line, e.column);
        return NULL;
    }
    if (!json_is_object(value)) {
        json_decref(value);
        nxsrv_reply_error(out, 400, "INVALID_REQUEST", NULL,
                          "the request body must be a JSON object");
        return NULL;
    }
    return value;
}

/* Refuses fields not in `known` (NULL-terminated); prefix names the enclosing object
 * in messages ("" or "result."). */
static bool only_known_fields(const json_t *obj, const char *const *known, const char *prefix,
                              nxsrv_reply *out)
{
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)obj, key, value) {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++) ok = strcmp(*k, key) == 0;
        if (!ok) {
            char field[160];
            snprintf(field, sizeof field, "%s%.100s", prefix, key);
            nxsrv_reply_error(out, 400, "INVALID_REQUEST", field, "unknown field %s", field);
            return false;
        }
    }
    return true;
}

/* A field's value, or NULL when it is absent or null. */
static json_t *field_of(const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);
    return json_is_null(v) ? NULL : v;
}

static bool wrong_type(nxsrv_reply *out, const char *field, const char *what)
{
    nxsrv_reply_error(out, 400, "INVALID_REQUEST", field, "%s must be %s", field, what);
    return false;
}

static bool missing(nxsrv_reply *out, const char *field, const char *what)
{
    nxsrv_reply_error(out, 400, "INVALID_REQUEST", field, "%s is required (%s)", field, what);
    return false;
}

/* A string field: *text and *len point into obj (NULL when absent). */
static bool get_string(const json_t *obj, const char *name, const char *field,
                       const char **text, size_t *len, nxsrv_reply *out)
{
    const json_t *v = field_of(obj, name);
    *text = NULL;
    *len = 0;
    if (!v) return true;
    if (!json_is_string(v)) return wrong_type(out, field, "a string");
    *text = json_string_value(v);
    *len = json_string_length(v);
    return true;
}

/* ---------------------------------------------------------------- /v1/execute */

/* An execute request, checked. Owns bytecode and context. */
typedef struct execute_request {
    const char *code; /* into the request JSON */
    size_t code_len;
    uint8_t *bytecode; /* decoded */
    size_t bytecode_len;
    char *context;     /* JSON text, NULL for none */
    uint32_t timeout_ms; /* 0: the runtime's TIMEOUT_MS */
} execute_request;

static bool read_bytecode(const json_t *req, execute_request *x, nxsrv_reply *out)
{
    const char *text;
    size_t len;
    if (!get_string(req, "bytecode", "bytecode", &text, &len, out)) return false;
    if (!text) return true;
    char why[160];
    x->bytecode = nxsrv_base64_decode(text, len, &x->bytecode_len, why, sizeof why);
    if (!x->bytecode)
        nxsrv_reply_error(out, 400, "INVALID_REQUEST", "bytecode",
                          "bytecode must be base64 (RFC 4648, with padding): %s", why);
    return x->bytecode != NULL;
}

static bool read_context(const json_t *req, execute_request *x, nxsrv_reply *out)
{
    const json_t *ctx = field_of(req, "context");
    if (!ctx) return true;
    if (!json_is_object(ctx)) return wrong_type(out, "context", "an object");
    x->context = json_dumps(ctx, JSON_COMPACT);
    if (!x->context) nxsrv_reply_error(out, 500, "INTERNAL_ERROR", NULL, "out of memory");
    return x->context != NULL;
}

static bool read_timeout(const nxsrv_context *ctx, const json_t *req, execute_request *x,
                         nxsrv_reply *out)
{
    const json_t *t = field_of(req, "timeoutMs");
    if (!t) return true;
    json_int_t ms = json_is_integer(t) ? json_integer_value(t) : 0;
    if (ms < 1 || ms > (json_int_t)ctx->max_timeout_ms) {
        nxsrv_reply_error(out, 400, "INVALID_REQUEST", "timeoutMs",
                          "timeoutMs must be a whole number of milliseconds from 1 to %u (the "
                          "server's TIMEOUT_MS)",
                          ctx->max_timeout_ms);
        return false;
    }
    x->timeout_ms = (uint32_t)ms;
    return true;
}

static bool read_execute(const nxsrv_context *ctx, const json_t *req, execute_request *x,
                         nxsrv_reply *out)
{
    static const char *const known[] = {"code", "bytecode", "context", "timeoutMs", NULL};
    if (!only_known_fields(req, known, "", out)) return false;
    if (!get_string(req, "code", "code", &x->code, &x->code_len, out)) return false;
    if (!read_bytecode(req, x, out)) return false;
    if (x->code && x->bytecode) {
        nxsrv_reply_error(out, 400, "INVALID_REQUEST", "bytecode",
                          "give either code or bytecode, not both");
        return false;
    }
    if (!x->code && !x->bytecode)
        return missing(out, "code", "the handler source, or bytecode from /v1/compile");
    return read_context(req, x, out) && read_timeout(ctx, req, x, out);
}

static void handle_execute(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    json_t *req = parse_body(body, len, out);
    if (!req) return;
    execute_request x = {0};
    if (read_execute(ctx, req, &x, out)) {
        nx_result *r = x.bytecode ? nx_execute_compiled(ctx->rt, x.bytecode, x.bytecode_len,
                                                        x.context, x.timeout_ms)
                                  : nx_execute(ctx->rt, x.code, x.code_len, x.context,
                                               x.timeout_ms);
        reply_result(out, r, ROUTE_RUN);
        nx_result_free(r);
    }
    free(x.bytecode);
    free(x.context);
    json_decref(req);
}

/* ---------------------------------------------------------------- /v1/compile */

/* The reply of a successful compilation: {status, bytecode, sha256, cacheHit,
 * compilationTimeUs}. */
static void reply_compiled(nxsrv_reply *out, const nx_result *r)
{
    size_t len;
    const uint8_t *bytecode = nx_result_bytecode(r, &len);
    char *text = nx_result_json(r);
    json_t *result = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    char *b64 = bytecode ? nxsrv_base64_encode(bytecode, len, NULL) : NULL;
    json_t *reply = result && b64 ? json_pack("{s:s, s:s, s:O, s:O, s:O}", "status", "success",
                                              "bytecode", b64, "sha256",
                                              json_object_get(result, "sha256"), "cacheHit",
                                              json_object_get(result, "cacheHit"),
                                              "compilationTimeUs",
                                              json_object_get(result, "compilationTimeUs"))
                                  : NULL;
    free(b64);
    json_decref(result);
    if (!reply) nxsrv_reply_error(out, 500, "INTERNAL_ERROR", NULL, "out of memory");
    else nxsrv_reply_json(out, 200, reply);
}

static void handle_compile(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    json_t *req = parse_body(body, len, out);
    if (!req) return;
    static const char *const known[] = {"code", NULL};
    const char *code;
    size_t code_len;
    if (only_known_fields(req, known, "", out) &&
        get_string(req, "code", "code", &code, &code_len, out)) {
        if (!code) {
            missing(out, "code", "the handler source");
        } else {
            nx_result *r = nx_precompile(ctx->rt, code, code_len);
            if (r && nx_result_status(r) == NX_SUCCESS) reply_compiled(out, r);
            else reply_result(out, r, ROUTE_COMPILE);
            nx_result_free(r);
        }
    }
    json_decref(req);
}

/* ---------------------------------------------------------------- /v1/resume */

/* A resume request, checked. Owns value. */
typedef struct resume_request {
    const char *id;    /* into the request JSON */
    bool success;
    char *value;       /* JSON text of result.value, NULL: undefined */
    const char *error; /* result.error, into the request JSON */
} resume_request;

static bool read_outcome(const json_t *result, resume_request *x, nxsrv_reply *out)
{
    static const char *const known[] = {"success", "value", "error", NULL};
    if (!only_known_fields(result, known, "result.", out)) return false;
    const json_t *success = field_of(result, "success");
    if (!success) return missing(out, "result.success", "true or false");
    if (!json_is_boolean(success)) return wrong_type(out, "result.success", "true or false");
    x->success = json_is_true(success);
    size_t len;
    if (!get_string(result, "error", "result.error", &x->error, &len, out)) return false;
    if (x->success && x->error)
        return wrong_type(out, "result.error", "absent when result.success is true");
    if (!x->success && field_of(result, "value"))
        return wrong_type(out, "result.value", "absent when result.success is false");
    const json_t *value = json_object_get(result, "value"); /* here null is a value */
    if (value) {
        x->value = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!x->value) nxsrv_reply_error(out, 500, "INTERNAL_ERROR", NULL, "out of memory");
        return x->value != NULL;
    }
    return true;
}

static bool read_resume(const json_t *req, resume_request *x, nxsrv_reply *out)
{
    static const char *const known[] = {"suspensionId", "result", NULL};
    if (!only_known_fields(req, known, "", out)) return false;
    size_t len;
    if (!get_string(req, "suspensionId", "suspensionId", &x->id, &len, out)) return false;
    if (!x->id || len == 0) return missing(out, "suspensionId", "the id of a suspended result");
    const json_t *result = field_of(req, "result");
    if (!result) return missing(out, "result", "{success, value} or {success: false, error}");
    if (!json_is_object(result)) return wrong_type(out, "result", "an object");
    return read_outcome(result, x, out);
}

static void handle_resume(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    json_t *req = parse_body(body, len, out);
    if (!req) return;
    resume_request x = {0};
    if (read_resume(req, &x, out)) {
        nx_result *r = nx_resume(ctx->rt, x.id, x.success, x.value,
                                 x.error ? x.error : "the extension call failed");
        reply_result(out, r, ROUTE_RESUME);
        nx_result_free(r);
    }
    free(x.value);
    json_decref(req);
}

/* ---------------------------------------------------------------- GET routes */

static void handle_stats(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    (void)body, (void)len;
    reply_text(out, 200, nx_stats_json(ctx->rt), "application/json");
}

static void handle_metrics(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    (void)body, (void)len;
    reply_text(out, 200, nx_metrics_prometheus(ctx->rt),
               "text/plain; version=0.0.4; charset=utf-8");
}

static void handle_health(nxsrv_context *ctx, const char *body, size_t len, nxsrv_reply *out)
{
    (void)body, (void)len;
    if (atomic_load(&ctx->stopping)) {
        nxsrv_reply_json(out, 503, json_pack("{s:s}", "status", "stopping"));
        return;
    }
    uint64_t uptime_s = (nxsrv_now_ns() - ctx->started_ns) / 1000000000u;
    nxsrv_reply_json(out, 200, json_pack("{s:s, s:I}", "status", "ok", "uptimeSeconds",
                                         (json_int_t)uptime_s));
}

/* ---------------------------------------------------------------- the table */

static const nxsrv_route routes[] = {
    {"/v1/execute", "POST", "POST", false, handle_execute},
    {"/v1/compile", "POST", "POST", false, handle_compile},
    {"/v1/resume", "POST", "POST", false, handle_resume},
    {"/v1/stats", "GET", "GET, HEAD", false, handle_stats},
    {"/metrics", "GET", "GET, HEAD", false, handle_metrics},
    {"/health", "GET", "GET, HEAD", true, handle_health},
};

const nxsrv_route *nxsrv_route_find(const char *path)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(routes[i].path, path) == 0) return &routes[i];
    return NULL;
}

const char *nxsrv_route_list(void)
{
    return "POST /v1/execute, POST /v1/compile, POST /v1/resume, GET /v1/stats, GET /metrics, "
           "GET /health";
}
