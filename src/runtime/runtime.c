/*
 * runtime.c — the public API of the handler runtime (nexus.h): how an execution goes.
 *
 *   source ──(cache or compile in a pooled instance)──▶ code blob
 *   code blob + context ──(run in a pooled instance)──▶ outcome ──▶ result
 *
 * An execution acquires an instance from the pool, arms the engine's deadline with what
 * is left of its timeout, calls into the guest, and turns the outcome (the guest's
 * status and output, an engine trap, or a suspension) into a result. A suspended
 * execution parks its instance in the pool under a suspension id; nx_resume takes it
 * back and continues. Every other outcome releases the instance, which resets it.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "host.h"
#include "metrics.h"
#include "nexus.h"
#include "nexus_guest_abi.h"
#include "pool.h"
#include "sandbox.h"
#include "jsontext.h"
#include "value.h"

struct nx_runtime {
    nx_config cfg;
    nxs_template *tmpl;
    nxp_pool *pool;
    nxc_cache *cache;
    nxm_collector *metrics;
    atomic_bool shut;
};

struct nx_result {
    nx_status status;
    nx_error code;
    json_t *json; /* the whole result object */
    const char *message;
    nx_refusal refusal;
    char id[NXP_ID_LEN + 1];
    uint8_t *bytecode;
    size_t bytecode_len;
};

/* ---------------------------------------------------------------- logging */

static void runtime_log(const nx_runtime *rt, nx_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void runtime_log(const nx_runtime *rt, nx_log_level level, const char *fmt, ...)
{
    if (level < rt->cfg.log_level) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (rt->cfg.log) rt->cfg.log(rt->cfg.log_user, level, line);
    else fprintf(stderr, "nexus: %s\n", line);
}

/* The cache's log callback: the runtime, filtered by level. */
static void cache_log(void *user, nx_log_level level, const char *message)
{
    runtime_log(user, level, "%s", message);
}

/* ---------------------------------------------------------------- results */

static nx_result *result_new(void)
{
    nx_result *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->json = json_object();
    r->message = "";
    return r;
}

static void set_status(nx_result *r, nx_status status)
{
    static const char *const names[] = {"success", "error", "suspended"};
    r->status = status;
    json_object_set_new(r->json, "status", json_string(names[status]));
}

/* Makes r an error result: code, message, and optional details (stack, location,
 * snippet) taken from a guest error map. */
static void set_error(nx_result *r, nx_error code, const char *message, const json_t *details)
{
    set_status(r, NX_ERROR);
    r->code = code;
    json_t *err = json_pack("{s:s, s:s}", "code", nx_error_name(code), "message", message);
    if (details) {
        const char *stack = json_string_value(json_object_get(details, "stack"));
        if (stack && *stack) json_object_set_new(err, "stack", json_string(stack));
        json_int_t line = json_integer_value(json_object_get(details, "line"));
        json_int_t column = json_integer_value(json_object_get(details, "column"));
        if (line > 0)
            json_object_set_new(err, "location",
                                json_pack("{s:I, s:I}", "line", line, "column", column));
        const char *snippet = json_string_value(json_object_get(details, "snippet"));
        if (snippet && *snippet) json_object_set_new(err, "snippet", json_string(snippet));
    }
    json_object_set_new(r->json, "error", err);
    r->message = json_string_value(json_object_get(err, "message"));
}

static void set_errorf(nx_result *r, nx_error code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_errorf(nx_result *r, nx_error code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(r, code, msg, NULL);
}

/* A result that is only an error (nothing ran). */
static nx_result *error_result(nx_runtime *rt, nx_error code, nx_refusal refusal,
                               const char *message)
{
    nx_result *r = result_new();
    if (!r) return NULL;
    set_error(r, code, message, NULL);
    r->refusal = refusal;
    nxm_record_execution(rt->metrics, NX_ERROR, code, 0, 0);
    return r;
}

nx_status nx_result_status(const nx_result *r) { return r->status; }
nx_error nx_result_error(const nx_result *r) { return r->code; }
nx_refusal nx_result_refusal(const nx_result *r) { return r->refusal; }
const char *nx_result_message(const nx_result *r) { return r->message ? r->message : ""; }
const char *nx_result_suspension_id(const nx_result *r)
{
    return r->status == NX_SUSPENDED ? r->id : NULL;
}
const uint8_t *nx_result_bytecode(const nx_result *r, size_t *len)
{
    if (len) *len = r->bytecode_len;
    return r->bytecode;
}
char *nx_result_json(const nx_result *r)
{
    return json_dumps(r->json, JSON_COMPACT | JSON_REAL_PRECISION(17));
}
void nx_result_free(nx_result *r)
{
    if (!r) return;
    json_decref(r->json);
    free(r->bytecode);
    free(r);
}

/* ---------------------------------------------------------------- runtime */

nx_runtime *nx_runtime_create(const nx_config *cfg, char *err, size_t err_size)
{
    if (!nx_config_validate(cfg, err, err_size)) return NULL;
    nx_runtime *rt = calloc(1, sizeof *rt);
    if (!rt) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rt->cfg = *cfg;
    rt->tmpl = nxs_template_new(&rt->cfg, nxh_imports, nxh_import_count, err, err_size);
    if (rt->tmpl) rt->pool = nxp_new(&rt->cfg, rt->tmpl, err, err_size);
    if (rt->pool) {
        rt->metrics = nxm_new();
        rt->cache = nxc_open(rt->cfg.cache_dir, rt->cfg.max_cache_size_bytes,
                             nxs_template_version(rt->tmpl), cache_log, rt);
        if (!rt->metrics || !rt->cache) snprintf(err, err_size, "out of memory");
    }
    if (!rt->metrics || !rt->cache) {
        nx_runtime_destroy(rt);
        return NULL;
    }
    runtime_log(rt, NX_LOG_DEBUG, "runtime ready: guest %s initialized in %llu us",
                nxs_template_version(rt->tmpl),
                (unsigned long long)nxs_template_init_us(rt->tmpl));
    return rt;
}

void nx_runtime_shutdown(nx_runtime *rt, uint32_t grace_ms)
{
    if (atomic_exchange(&rt->shut, true)) return;
    nxp_close(rt->pool, grace_ms);
}

void nx_runtime_destroy(nx_runtime *rt)
{
    if (!rt) return;
    if (rt->pool) nx_runtime_shutdown(rt, 0);
    nxp_free(rt->pool);
    nxc_close(rt->cache);
    nxm_free(rt->metrics);
    nxs_template_free(rt->tmpl);
    free(rt);
}

/* ---------------------------------------------------------------- outcomes */

/* Arms the deadline with what is left of the slot's timeout; false when nothing is. */
static bool arm_deadline(nxp_slot *s)
{
    uint64_t now = nxw_now_ns();
    if (!s->timeout_ms) {
        nxw_store_set_deadline(s->sb->store, 0);
        return true;
    }
    uint64_t budget = (uint64_t)s->timeout_ms * 1000000u;
    if (s->run_ns >= budget) return false;
    nxw_store_set_deadline(s->sb->store, now + (budget - s->run_ns));
    return true;
}

static nx_error code_of_guest_error(const json_t *map, int32_t guest)
{
    switch (guest) {
    case NXG_ERR_SYNTAX: return NX_ERR_COMPILATION;
    case NXG_ERR_MEMORY_LIMIT: return NX_ERR_MEMORY_LIMIT;
    case NXG_ERR_INVALID_INPUT: return NX_ERR_INVALID_HANDLER;
    case NXG_ERR_EXCEPTION: {
        const char *code = json_string_value(json_object_get(map, "code"));
        if (code && strcmp(code, "PERMISSION_DENIED") == 0) return NX_ERR_PERMISSION_DENIED;
        return NX_ERR_EXECUTION;
    }
    default: return NX_ERR_INTERNAL;
    }
}

/* Fills r from the guest's error map (any status but NXG_OK). */
static void set_guest_error(nx_runtime *rt, nx_result *r, int32_t guest, const uint8_t *out,
                            size_t len)
{
    json_t *map = out ? nxv_to_json(out, len) : NULL;
    nx_error code = code_of_guest_error(map, guest);
    const char *name = json_string_value(json_object_get(map, "name"));
    const char *message = json_string_value(json_object_get(map, "message"));
    char text[1024];
    if (code == NX_ERR_MEMORY_LIMIT)
        snprintf(text, sizeof text,
                 "the handler exceeded its memory limit of %llu bytes (MEMORY_LIMIT_MB)%s%s",
                 (unsigned long long)rt->cfg.memory_limit_bytes, message ? ": " : "",
                 message ? message : "");
    else if (name && message && strcmp(name, "Error") != 0)
        snprintf(text, sizeof text, "%s: %s", name, message);
    else
        snprintf(text, sizeof text, "%s", message ? message : "the guest reported an error");
    set_error(r, code, text, map);
    json_decref(map);
}

/* Fills r from an engine trap. */
static void set_trap_error(nx_runtime *rt, nx_result *r, nxp_slot *s, const nxs_outcome *o)
{
    nxw_memory_stats mem = nxw_memory_get_stats(s->sb->memory);
    if (s->exec.stop_code) {
        set_error(r, s->exec.stop_code, s->exec.stop_message, NULL);
    } else if (o->err.trap == NXW_TRAP_TIMEOUT || o->timed_out) {
        set_errorf(r, NX_ERR_TIMEOUT, "the handler ran longer than its timeout of %u ms",
                   s->timeout_ms);
    } else if (o->err.trap == NXW_TRAP_INTERRUPTED) {
        set_errorf(r, NX_ERR_TIMEOUT, "the handler was interrupted: the runtime is shutting down");
    } else if (mem.grow_refused) {
        set_errorf(r, NX_ERR_MEMORY_LIMIT,
                   "the handler exceeded its memory limit of %llu bytes (MEMORY_LIMIT_MB)",
                   (unsigned long long)rt->cfg.memory_limit_bytes);
    } else if (o->err.trap == NXW_TRAP_STACK_EXHAUSTED) {
        set_errorf(r, NX_ERR_EXECUTION,
                   "stack exhausted: the handler's recursion is too deep for %llu bytes of "
                   "stack (STACK_SIZE_KB)",
                   (unsigned long long)rt->cfg.stack_size_bytes);
    } else {
        set_errorf(r, NX_ERR_INTERNAL, "the sandbox failed: %s", o->err.message);
    }
}

/* Adds the metrics object and records the call. */
static void finish_metrics(nx_runtime *rt, nx_result *r, nxp_slot *s, uint64_t t0)
{
    uint64_t duration_us = (nxw_now_ns() - t0) / 1000;
    nxw_memory_stats mem = s ? nxw_memory_get_stats(s->sb->memory) : (nxw_memory_stats){0};
    json_t *m = json_pack("{s:I, s:I, s:I, s:o, s:I, s:I, s:b}", "durationUs",
                          (json_int_t)duration_us, "memoryUsedBytes", (json_int_t)mem.size_bytes,
                          "memoryPeakBytes", (json_int_t)mem.peak_bytes, "hostCalls",
                          s ? nxh_host_calls_json(&s->exec) : json_object(), "instructionCount",
                          (json_int_t)(s ? s->instructions : 0), "compilationTimeUs",
                          (json_int_t)(s ? s->compile_us : 0), "cacheHit",
                          s ? s->cache_hit : false);
    json_object_set_new(r->json, "metrics", m);
    nxm_record_execution(rt->metrics, r->status, r->code, duration_us, mem.peak_bytes);
}

/* Completes a result that ended before the handler ran (refused input, compile error,
 * pool exhausted, shutting down): the empty journal and the metrics every execution
 * result has, and the execution recorded with its real duration. compile_us: time spent
 * compiling the source (0 when it was not compiled). */
static nx_result *finish_early(nx_runtime *rt, nx_result *r, uint64_t t0, uint64_t compile_us)
{
    static const char *const journal[] = {"stateMutations", "events", "viewCommands", "logs"};
    for (size_t i = 0; i < sizeof journal / sizeof journal[0]; i++)
        json_object_set_new(r->json, journal[i], json_array());
    finish_metrics(rt, r, NULL, t0);
    json_object_set_new(json_object_get(r->json, "metrics"), "compilationTimeUs",
                        json_integer((json_int_t)compile_us));
    return r;
}

/* An execution refused before it ran, as a complete result (finish_early). */
static nx_result *early_error(nx_runtime *rt, nx_error code, nx_refusal refusal,
                              const char *message, uint64_t t0)
{
    nx_result *r = result_new();
    if (!r) return NULL;
    set_error(r, code, message, NULL);
    r->refusal = refusal;
    return finish_early(rt, r, t0, 0);
}

/* Turns the outcome of a run or resume into a result; parks or releases the slot. */
static nx_result *finish(nx_runtime *rt, nxp_slot *s, nxs_outcome o, uint64_t t0)
{
    nx_result *r = result_new();
    s->instructions = nxw_store_fuel_used(s->sb->store);
    if (o.engine == NXW_SUSPENDED) {
        set_status(r, NX_SUSPENDED);
        nxh_flush(&s->exec, r->json);
        finish_metrics(rt, r, s, t0);
        nxp_park(rt->pool, s);
        memcpy(r->id, s->id, sizeof r->id);
        json_object_set_new(r->json, "suspension",
                            json_pack("{s:s, s:s, s:s, s:O}", "suspensionId", r->id,
                                      "extensionName", s->exec.ext_name, "method",
                                      s->exec.ext_method, "args", s->exec.ext_args));
        return r;
    }
    if (o.engine != NXW_OK) {
        set_trap_error(rt, r, s, &o);
    } else {
        size_t len;
        const uint8_t *out = nxs_output(s->sb, &len);
        if (o.guest != NXG_OK) {
            set_guest_error(rt, r, o.guest, out, len);
        } else if (!out) {
            set_errorf(r, NX_ERR_INTERNAL, "the guest's output is out of bounds");
        } else if (len > rt->cfg.max_value_bytes) {
            set_errorf(r, NX_ERR_RESOURCE_LIMIT,
                       "value too large: the return value is %zu bytes encoded; the limit is "
                       "%llu (MAX_VALUE_SIZE_KB)",
                       len, (unsigned long long)rt->cfg.max_value_bytes);
        } else {
            json_t *value = nxv_to_json(out, len);
            if (!value) {
                set_errorf(r, NX_ERR_INTERNAL, "the guest returned a malformed value");
            } else {
                set_status(r, NX_SUCCESS);
                json_object_set_new(r->json, "returnValue", value);
            }
        }
    }
    nxh_flush(&s->exec, r->json);
    finish_metrics(rt, r, s, t0);
    nxp_release(rt->pool, s);
    return r;
}

/* Runs a code blob with a context in a slot (which the call consumes). */
static nx_result *run_blob(nx_runtime *rt, nxp_slot *s, const uint8_t *blob, size_t blob_len,
                           json_t *context, nxj_object *state, uint64_t t0)
{
    nxh_begin(&s->exec, &rt->cfg, s->sb, context, state);
    nxv_buf ctx = {0};
    const json_t *args = json_object_get(context, "args");
    const json_t *scope = json_object_get(context, "scope");
    const json_t *registry = json_object_get(context, "extensionRegistry");
    nxv_mp_map(&ctx, (uint32_t)(!!args + !!scope + !!registry));
    bool ok = true;
    if (args) {
        nxv_mp_str(&ctx, "args", 4);
        ok = ok && nxv_from_json(&ctx, args);
    }
    if (scope) {
        nxv_mp_str(&ctx, "scope", 5);
        ok = ok && nxv_from_json(&ctx, scope);
    }
    if (registry) {
        nxv_mp_str(&ctx, "extensions", 10);
        ok = ok && nxv_from_json(&ctx, registry);
    }
    if (!ok || ctx.failed) {
        nxv_buf_free(&ctx);
        nx_result *r = result_new();
        set_errorf(r, NX_ERR_INVALID_HANDLER,
                   "invalid context: args, scope or extensionRegistry is nested deeper than %d",
                   NXG_MAX_DEPTH);
        nxh_flush(&s->exec, r->json);
        finish_metrics(rt, r, s, t0);
        nxp_release(rt->pool, s);
        return r;
    }
    uint64_t start = nxw_now_ns();
    arm_deadline(s);
    nxs_outcome o = nxs_run(s->sb, blob, blob_len, ctx.data, ctx.len);
    s->run_ns += nxw_now_ns() - start;
    nxv_buf_free(&ctx);
    return finish(rt, s, o, t0);
}

/* ---------------------------------------------------------------- compile */

/* Checks a source; false with r set to INVALID_HANDLER. */
static bool check_source(nx_runtime *rt, const char *code, size_t len, nx_result *r)
{
    if (!code || len == 0 || strspn(code, " \t\r\n") >= len) {
        set_errorf(r, NX_ERR_INVALID_HANDLER, "the handler source is empty");
        return false;
    }
    if (len > rt->cfg.max_source_bytes) {
        set_errorf(r, NX_ERR_INVALID_HANDLER,
                   "the handler source is %zu bytes; the limit is %llu (MAX_SOURCE_SIZE_KB)",
                   len, (unsigned long long)rt->cfg.max_source_bytes);
        return false;
    }
    return true;
}

/* Compiles `code` in slot s (left dirty: the caller resets or releases it). On success
 * returns the sealed container; otherwise NULL with r set to the error. */
static uint8_t *compile_in(nx_runtime *rt, nxp_slot *s, const char *code, size_t len,
                           const uint8_t key[NXC_KEY_SIZE], size_t *out_len, nx_result *r)
{
    nxh_begin(&s->exec, &rt->cfg, s->sb, NULL, NULL);
    uint64_t start = nxw_now_ns();
    arm_deadline(s);
    nxs_outcome o = nxs_compile(s->sb, code, len);
    uint64_t took = nxw_now_ns() - start;
    s->compile_us = took / 1000;
    nxm_record_compilation(rt->metrics, s->compile_us);
    uint8_t *container = NULL;
    if (o.engine != NXW_OK) {
        set_trap_error(rt, r, s, &o);
    } else {
        size_t blob_len;
        const uint8_t *out = nxs_output(s->sb, &blob_len);
        if (o.guest != NXG_OK) set_guest_error(rt, r, o.guest, out, blob_len);
        else if (!out) set_errorf(r, NX_ERR_INTERNAL, "the guest's output is out of bounds");
        else if (!(container = nxc_seal(rt->cache, key, out, blob_len, out_len)))
            set_errorf(r, NX_ERR_INTERNAL, "out of memory");
    }
    nxh_end(&s->exec);
    return container;
}

/* The container for a source: from the cache or compiled (and cached). On a miss the
 * slot used for compiling is returned in *slot, reset, for the caller to run in. */
static uint8_t *get_container(nx_runtime *rt, const char *code, size_t len, uint32_t timeout_ms,
                              size_t *out_len, nxp_slot **slot, nx_result *r, bool *hit,
                              uint64_t *compile_us_out)
{
    *compile_us_out = 0;
    uint8_t key[NXC_KEY_SIZE];
    nxc_key(rt->cache, code, len, key);
    uint8_t *container = NULL;
    *hit = nxc_get(rt->cache, key, &container, out_len);
    nxm_record_cache(rt->metrics, *hit);
    if (*hit) return container;
    nx_error code_err;
    nx_refusal refusal;
    char msg[256];
    nxp_slot *s = nxp_acquire(rt->pool, &code_err, &refusal, msg, sizeof msg);
    if (!s) {
        set_error(r, code_err, msg, NULL);
        r->refusal = refusal;
        return NULL;
    }
    s->timeout_ms = timeout_ms;
    container = compile_in(rt, s, code, len, key, out_len, r);
    uint64_t compile_us = s->compile_us;
    *compile_us_out = compile_us;
    if (container) nxc_put(rt->cache, key, container, *out_len);
    if (container && slot) {
        /* run in the same instance, from a clean state */
        nxh_end(&s->exec);
        if (nxs_reset(s->sb, rt->tmpl)) {
            s->run_ns = 0;
            s->compile_us = compile_us;
            *slot = s;
            return container;
        }
    }
    nxp_release(rt->pool, s);
    return container;
}

static uint32_t effective_timeout(const nx_runtime *rt, uint32_t timeout_ms)
{
    return timeout_ms ? timeout_ms : rt->cfg.timeout_ms;
}

/* Refuses a context with a message naming the problem and where it is. */
static bool context_error(nx_result *r, const char *text, const nxj_error *e)
{
    int line, column;
    nxj_line_column(text, e->offset, &line, &column);
    set_errorf(r, NX_ERR_INVALID_HANDLER, "invalid context: %s (line %d, column %d)", e->text,
               line, column);
    return false;
}

/* Parses the context text; NULL context text is an empty context. The stateSnapshot is
 * only validated and indexed (*state, NULL when absent or null): its values are
 * converted when the handler reads them. Every other member is parsed into *out. False
 * with r set. */
static bool parse_context(const char *text, json_t **out, nxj_object **state, nx_result *r)
{
    *out = NULL;
    *state = NULL;
    if (!text || !*text) return true;
    size_t len = strlen(text), pos = strspn(text, " \t\n\r");
    nxj_error e;
    if (pos == len || text[pos] != '{') { /* another JSON value, or no JSON at all */
        size_t p = 0;
        if (!nxj_skip(text, len, &p, &e)) return context_error(r, text, &e);
        set_errorf(r, NX_ERR_INVALID_HANDLER, "invalid context: it must be a JSON object");
        return false;
    }
    nxj_object *top;
    /* each member is validated once, by whichever parser reads it below */
    if (!nxj_object_delimit(text, len, &pos, &top, &e)) return context_error(r, text, &e);
    pos += strspn(text + pos, " \t\n\r");
    if (pos < len) {
        e.offset = pos;
        snprintf(e.text, sizeof e.text, "end of file expected");
        nxj_object_free(top);
        return context_error(r, text, &e);
    }
    json_t *ctx = json_object();
    bool ok = ctx != NULL;
    for (size_t i = 0; ok && i < top->count; i++) {
        const nxj_member *m = &top->members[i];
        const char *v = top->text + m->off;
        if (!strcmp(m->key, "stateSnapshot") && m->len && v[0] != 'n') {
            size_t p = 0;
            if (v[0] != '{') {
                set_errorf(r, NX_ERR_INVALID_HANDLER, "invalid context: stateSnapshot must be an object");
                ok = false;
            } else if (!nxj_object_parse(v, m->len, &p, state, &e)) {
                e.offset += (size_t)(v - top->text);
                ok = context_error(r, top->text, &e);
            }
            continue;
        }
        json_error_t je;
        json_t *jv = json_loadb(v, m->len, JSON_DECODE_ANY, &je);
        if (!jv || json_object_setn_new(ctx, m->key, m->key_len, jv)) {
            set_errorf(r, NX_ERR_INVALID_HANDLER, "invalid context: member \"%s\": %s", m->key,
                       jv ? "out of memory" : je.text);
            ok = false;
        }
    }
    nxj_object_free(top);
    static const char *const typed[][2] = {
        {"panelId", "string"}, {"handlerName", "string"},
        {"capabilities", "array"}, {"extensionRegistry", "object"},
    };
    for (size_t i = 0; ok && i < sizeof typed / sizeof typed[0]; i++) {
        const json_t *v = json_object_get(ctx, typed[i][0]);
        if (!v || json_is_null(v)) continue;
        bool is = typed[i][1][0] == 's' ? json_is_string(v)
                  : typed[i][1][0] == 'o' ? json_is_object(v)
                                          : json_is_array(v);
        if (!is) {
            set_errorf(r, NX_ERR_INVALID_HANDLER, "invalid context: %s must be a%s %s",
                       typed[i][0], typed[i][1][0] == 'o' || typed[i][1][0] == 'a' ? "n" : "",
                       typed[i][1]);
            ok = false;
        }
    }
    if (!ok) {
        if (!ctx) set_errorf(r, NX_ERR_INTERNAL, "out of memory");
        json_decref(ctx);
        nxj_object_free(*state);
        *state = NULL;
        return false;
    }
    *out = ctx;
    return true;
}

/* ---------------------------------------------------------------- API */

static const char shutting_down[] = "the runtime is shutting down";

static nx_result *refuse_if_shut(nx_runtime *rt)
{
    if (!atomic_load(&rt->shut)) return NULL;
    return error_result(rt, NX_ERR_RESOURCE_LIMIT, NX_REFUSAL_SHUTTING_DOWN, shutting_down);
}

nx_result *nx_execute(nx_runtime *rt, const char *code, size_t len, const char *context_json,
                      uint32_t timeout_ms)
{
    uint64_t t0 = nxw_now_ns();
    if (atomic_load(&rt->shut))
        return early_error(rt, NX_ERR_RESOURCE_LIMIT, NX_REFUSAL_SHUTTING_DOWN, shutting_down, t0);
    nx_result *r = result_new();
    json_t *context;
    nxj_object *state;
    if (!check_source(rt, code, len, r) || !parse_context(context_json, &context, &state, r))
        return finish_early(rt, r, t0, 0);
    timeout_ms = effective_timeout(rt, timeout_ms);
    nxp_slot *s = NULL;
    size_t clen;
    bool hit;
    uint64_t compile_us;
    uint8_t *container = get_container(rt, code, len, timeout_ms, &clen, &s, r, &hit, &compile_us);
    size_t blob_len;
    const uint8_t *blob = NULL;
    char why[256] = "";
    /* the cache verified the container when it took it in (nxc_get) */
    if (container) blob = nxc_payload(container, clen, &blob_len, why, sizeof why);
    if (!blob) {
        if (container) set_errorf(r, NX_ERR_INTERNAL, "cached bytecode is unusable: %s", why);
        if (s) nxp_release(rt->pool, s);
        json_decref(context);
        nxj_object_free(state);
        free(container);
        return finish_early(rt, r, t0, compile_us);
    }
    nx_result_free(r);
    if (!s) {
        nx_error code_err;
        nx_refusal refusal;
        char msg[256];
        s = nxp_acquire(rt->pool, &code_err, &refusal, msg, sizeof msg);
        if (!s) {
            json_decref(context);
            nxj_object_free(state);
            free(container);
            return early_error(rt, code_err, refusal, msg, t0);
        }
    }
    s->timeout_ms = timeout_ms;
    s->cache_hit = hit;
    r = run_blob(rt, s, blob, blob_len, context, state, t0);
    free(container);
    return r;
}

nx_result *nx_precompile(nx_runtime *rt, const char *code, size_t len)
{
    uint64_t t0 = nxw_now_ns();
    nx_result *r = refuse_if_shut(rt);
    if (r) return r;
    r = result_new();
    if (!check_source(rt, code, len, r)) return r;
    size_t clen;
    bool hit;
    uint64_t compile_us;
    uint8_t *container =
        get_container(rt, code, len, rt->cfg.timeout_ms, &clen, NULL, r, &hit, &compile_us);
    if (!container) return r;
    set_status(r, NX_SUCCESS);
    r->bytecode = container;
    r->bytecode_len = clen;
    uint8_t key[NXC_KEY_SIZE];
    char hex[2 * NXC_KEY_SIZE + 1];
    nxc_key(rt->cache, code, len, key);
    nxc_key_hex(key, hex);
    json_object_set_new(r->json, "sha256", json_string(hex));
    json_object_set_new(r->json, "cacheHit", json_boolean(hit));
    json_object_set_new(r->json, "compilationTimeUs",
                        json_integer(hit ? 0 : (json_int_t)((nxw_now_ns() - t0) / 1000)));
    return r;
}

nx_result *nx_execute_compiled(nx_runtime *rt, const uint8_t *bytecode, size_t len,
                               const char *context_json, uint32_t timeout_ms)
{
    uint64_t t0 = nxw_now_ns();
    if (atomic_load(&rt->shut))
        return early_error(rt, NX_ERR_RESOURCE_LIMIT, NX_REFUSAL_SHUTTING_DOWN, shutting_down, t0);
    char why[256];
    size_t blob_len;
    const uint8_t *blob =
        bytecode ? nxc_unseal(rt->cache, bytecode, len, &blob_len, NULL, why, sizeof why) : NULL;
    if (!blob) {
        char msg[300];
        snprintf(msg, sizeof msg, "invalid bytecode: %s", bytecode ? why : "none given");
        return early_error(rt, NX_ERR_INVALID_HANDLER, NX_REFUSAL_NONE, msg, t0);
    }
    nx_result *r = result_new();
    json_t *context;
    nxj_object *state;
    if (!parse_context(context_json, &context, &state, r)) return finish_early(rt, r, t0, 0);
    nx_result_free(r);
    nx_error code_err;
    nx_refusal refusal;
    char msg[256];
    nxp_slot *s = nxp_acquire(rt->pool, &code_err, &refusal, msg, sizeof msg);
    if (!s) {
        json_decref(context);
        nxj_object_free(state);
        return early_error(rt, code_err, refusal, msg, t0);
    }
    s->timeout_ms = effective_timeout(rt, timeout_ms);
    s->cache_hit = true;
    return run_blob(rt, s, blob, blob_len, context, state, t0);
}

nx_result *nx_resume(nx_runtime *rt, const char *suspension_id, bool success,
                     const char *value_json, const char *error_message)
{
    uint64_t t0 = nxw_now_ns();
    nx_result *r = refuse_if_shut(rt);
    if (r) return r;
    json_t *value = NULL;
    if (success && value_json && *value_json) {
        json_error_t e;
        value = json_loads(value_json, JSON_DECODE_ANY, &e);
        if (!value) {
            char msg[300];
            snprintf(msg, sizeof msg, "invalid resume value: %s (line %d, column %d)", e.text,
                     e.line, e.column);
            return error_result(rt, NX_ERR_INVALID_HANDLER, NX_REFUSAL_NONE, msg);
        }
    }
    nxp_slot *s = nxp_unpark(rt->pool, suspension_id);
    if (!s) {
        json_decref(value);
        char msg[200];
        snprintf(msg, sizeof msg, "unknown or expired suspension '%.40s'",
                 suspension_id ? suspension_id : "");
        return error_result(rt, NX_ERR_RESOURCE_LIMIT, NX_REFUSAL_UNKNOWN_SUSPENSION, msg);
    }
    int64_t word = nxh_ext_reply(&s->exec, success, value, error_message);
    json_decref(value);
    nxs_outcome o;
    uint64_t start = nxw_now_ns();
    if (!arm_deadline(s)) {
        nxw_store_abandon(s->sb->store);
        o = (nxs_outcome){.engine = NXW_ERR_TRAP, .timed_out = true};
    } else {
        o = nxs_resume(s->sb, word);
    }
    s->run_ns += nxw_now_ns() - start;
    return finish(rt, s, o, t0);
}

char *nx_stats_json(nx_runtime *rt)
{
    nxm_pool_gauges g;
    nxp_gauges(rt->pool, &g);
    nxc_stats c = nxc_get_stats(rt->cache);
    return nxm_stats_json(rt->metrics, &g, &c);
}

char *nx_metrics_prometheus(nx_runtime *rt)
{
    nxm_pool_gauges g;
    nxp_gauges(rt->pool, &g);
    nxc_stats c = nxc_get_stats(rt->cache);
    return nxm_prometheus(rt->metrics, &g, &c);
}
