/*
 * host.c — the host functions of the guest (host.h). Every function follows the same
 * shape: count the call against maxHostCalls, read its arguments out of guest memory
 * (bounds-checked), check the capability the operation needs (reporting the check to
 * the audit callback), apply the quota it consumes, record what happened, and answer
 * with a reply word (nexus_guest_abi.h). A denied operation answers an error reply the
 * handler can catch; an exhausted quota ends the execution with a host trap after
 * recording the reason in stop_code / stop_message.
 */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nexus_guest_abi.h"

const char *const nxh_fn_names[NXH_FN_COUNT] = {
    [NXH_STATE_GET] = "stateGet", [NXH_STATE_SET] = "stateSet",
    [NXH_STATE_DELETE] = "stateDelete", [NXH_STATE_HAS] = "stateHas",
    [NXH_STATE_KEYS] = "stateKeys", [NXH_EMIT] = "emit", [NXH_VIEW] = "view",
    [NXH_LOG] = "log", [NXH_EXT_CALL] = "extCall", [NXH_NOW] = "now", [NXH_RANDOM] = "random",
};

/* ---------------------------------------------------------------- execution record */

void nxh_begin(nxh_exec *x, const nx_config *cfg, nxs_sandbox *sb, json_t *context,
               nxj_object *state)
{
    memset(x, 0, sizeof *x);
    x->cfg = cfg;
    x->sb = sb;
    x->context = context;
    x->state = state;
    if (json_is_object(context)) {
        const json_t *caps = json_object_get(context, "capabilities");
        x->capabilities = json_is_array(caps) ? caps : NULL;
        x->panel_id = json_string_value(json_object_get(context, "panelId"));
        x->handler_name = json_string_value(json_object_get(context, "handlerName"));
    }
    x->mutations = json_array();
    x->events = json_array();
    x->views = json_array();
    x->logs = json_array();
}

void nxh_end(nxh_exec *x)
{
    for (size_t i = 0; i < x->noverlay; i++) {
        free(x->overlay[i].key);
        free(x->overlay[i].value);
    }
    free(x->overlay);
    json_decref(x->mutations);
    json_decref(x->events);
    json_decref(x->views);
    json_decref(x->logs);
    json_decref(x->context);
    nxj_object_free(x->state);
    json_decref(x->ext_args);
    free(x->ext_name);
    free(x->ext_method);
    nxv_buf_free(&x->reply);
    memset(x, 0, sizeof *x);
}

void nxh_flush(nxh_exec *x, json_t *result)
{
    json_object_set_new(result, "stateMutations", x->mutations);
    json_object_set_new(result, "events", x->events);
    json_object_set_new(result, "viewCommands", x->views);
    json_object_set_new(result, "logs", x->logs);
    x->mutations = json_array();
    x->events = json_array();
    x->views = json_array();
    x->logs = json_array();
}

json_t *nxh_host_calls_json(const nxh_exec *x)
{
    json_t *o = json_object();
    for (int i = 0; i < NXH_FN_COUNT; i++)
        if (x->calls[i]) json_object_set_new(o, nxh_fn_names[i], json_integer(x->calls[i]));
    return o;
}

/* ---------------------------------------------------------------- replies */

static int64_t reply_ok(void) { return NXG_REPLY_WORD(NXG_REPLY_OK, 0); }

/* Makes the buffer's bytes the pending reply. */
static int64_t reply_with(nxh_exec *x, int status)
{
    if (x->reply.failed) {
        x->reply.failed = false;
        x->reply.len = 0;
        return NXG_REPLY_WORD(NXG_REPLY_ERROR, 0);
    }
    x->reply_pending = x->reply.len > 0;
    return NXG_REPLY_WORD(status, x->reply.len);
}

static int64_t reply_error(nxh_exec *x, const char *name, const char *code, const char *message)
{
    x->reply.len = 0;
    nxv_mp_map(&x->reply, code ? 3 : 2);
    nxv_mp_str(&x->reply, "name", 4);
    nxv_mp_str(&x->reply, name, strlen(name));
    nxv_mp_str(&x->reply, "message", 7);
    nxv_mp_str(&x->reply, message, strlen(message));
    if (code) {
        nxv_mp_str(&x->reply, "code", 4);
        nxv_mp_str(&x->reply, code, strlen(code));
    }
    return reply_with(x, NXG_REPLY_ERROR);
}

int64_t nxh_ext_reply(nxh_exec *x, bool success, const json_t *value, const char *error)
{
    x->reply.len = 0;
    if (!success)
        return reply_error(x, "Error", NULL, error && *error ? error : "extension call failed");
    if (value && !nxv_from_json(&x->reply, value))
        return reply_error(x, "RangeError", NULL, "extension result is nested too deeply");
    return reply_with(x, NXG_REPLY_OK);
}

/* ---------------------------------------------------------------- checks */

/* Ends the execution: records why and returns the trap the host function returns. */
static nxw_trap stop(nxh_exec *x, nxw_call *call, nx_error code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static nxw_trap stop(nxh_exec *x, nxw_call *call, nx_error code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->stop_message, sizeof x->stop_message, fmt, ap);
    va_end(ap);
    x->stop_code = code;
    snprintf(call->message, sizeof call->message, "%s", x->stop_message);
    return NXW_TRAP_HOST;
}

/* Counts a call of `fn`; false when it exceeds maxHostCalls (execution stopped). */
static bool count_call(nxh_exec *x, nxh_fn fn)
{
    x->calls[fn]++;
    return ++x->host_calls <= x->cfg->max_host_calls;
}

static nxw_trap host_call_quota(nxh_exec *x, nxw_call *call)
{
    return stop(x, call, NX_ERR_RESOURCE_LIMIT,
                "host call quota exceeded: the handler made more than %u host calls "
                "(MAX_HOST_CALLS)",
                x->cfg->max_host_calls);
}

static void audit(nxh_exec *x, const char *action, const char *resource, bool allowed)
{
    if (!x->cfg->audit) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    json_t *rec = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:b}", "time", when, "panelId",
                            x->panel_id, "handlerName", x->handler_name, "action", action,
                            "resource", resource, "allowed", allowed);
    char *line = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
    if (line) x->cfg->audit(x->cfg->audit_user, line);
    free(line);
    json_decref(rec);
}

/* True when a capability "ACTION:RESOURCE" or "ACTION:*" was granted. */
static bool granted(const nxh_exec *x, const char *action, const char *resource)
{
    size_t alen = strlen(action);
    size_t i;
    const json_t *tok;
    json_array_foreach(x->capabilities, i, tok) {
        const char *t = json_string_value(tok);
        if (!t || strncmp(t, action, alen) != 0 || t[alen] != ':') continue;
        const char *rest = t + alen + 1;
        if (strcmp(rest, "*") == 0 || strcmp(rest, resource) == 0) return true;
    }
    return false;
}

/* Checks and audits a capability; on denial prepares the error reply in *word. */
static bool check(nxh_exec *x, const char *action, const char *resource, int64_t *word)
{
    bool ok = granted(x, action, resource);
    audit(x, action, resource, ok);
    if (!ok) {
        char msg[512];
        snprintf(msg, sizeof msg, "permission denied: missing capability %s:%s", action,
                 resource);
        *word = reply_error(x, "Error", "PERMISSION_DENIED", msg);
    }
    return ok;
}

/* ---------------------------------------------------------------- guest memory */

#define ARG(i) ((uint32_t)args[i].of.i32)

static const uint8_t *guest_bytes(nxh_exec *x, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = nxw_memory_span(x->sb->memory, ptr, len ? len : 1);
    if (!p) snprintf(call->message, sizeof call->message, "guest buffer out of bounds");
    return p;
}

/* A guest string as a NUL-terminated copy; NULL (trap message set) when out of bounds,
 * not UTF-8 safe for a key, or out of memory. */
static char *guest_string(nxh_exec *x, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = guest_bytes(x, call, ptr, len);
    if (!p) return NULL;
    char *s = malloc((size_t)len + 1);
    if (!s) {
        snprintf(call->message, sizeof call->message, "out of host memory");
        return NULL;
    }
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

/* A guest MessagePack value as JSON (new reference); NULL (trap message set) when
 * malformed. */
static json_t *guest_value(nxh_exec *x, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = guest_bytes(x, call, ptr, len);
    if (!p) return NULL;
    json_t *v = nxv_to_json(p, len);
    if (!v) snprintf(call->message, sizeof call->message, "malformed value from the guest");
    return v;
}

/* ---------------------------------------------------------------- state */

static nxh_entry *overlay_find(nxh_exec *x, const char *key)
{
    for (size_t i = 0; i < x->noverlay; i++)
        if (strcmp(x->overlay[i].key, key) == 0) return &x->overlay[i];
    return NULL;
}

/* Records the new value (NULL: deletion) of a key in the overlay. */
static bool overlay_put(nxh_exec *x, const char *key, const uint8_t *value, size_t len)
{
    nxh_entry *e = overlay_find(x, key);
    if (!e) {
        if (x->noverlay == x->cap_overlay) {
            size_t cap = x->cap_overlay ? 2 * x->cap_overlay : 16;
            nxh_entry *n = realloc(x->overlay, cap * sizeof *n);
            if (!n) return false;
            x->overlay = n;
            x->cap_overlay = cap;
        }
        e = &x->overlay[x->noverlay];
        *e = (nxh_entry){.key = strdup(key)};
        if (!e->key) return false;
        x->noverlay++;
    }
    uint8_t *copy = NULL;
    if (value && !(copy = malloc(len ? len : 1))) return false;
    if (value) memcpy(copy, value, len);
    free(e->value);
    e->value = copy;
    e->value_len = value ? len : 0;
    e->deleted = value == NULL;
    return true;
}

/* Replies with the current value of a key (OK + value) or ABSENT. */
static int64_t reply_state_value(nxh_exec *x, const char *key)
{
    x->reply.len = 0;
    nxh_entry *e = overlay_find(x, key);
    if (e) {
        if (e->deleted) return NXG_REPLY_WORD(NXG_REPLY_ABSENT, 0);
        nxv_put(&x->reply, e->value, e->value_len);
        return reply_with(x, NXG_REPLY_OK);
    }
    const nxj_member *m = nxj_object_find(x->state, key);
    if (!m) return NXG_REPLY_WORD(NXG_REPLY_ABSENT, 0);
    if (!nxj_to_mp(&x->reply, x->state->text + m->off, m->len))
        return reply_error(x, "RangeError", NULL, "state value is nested too deeply");
    return reply_with(x, NXG_REPLY_OK);
}

static bool key_present(nxh_exec *x, const char *key)
{
    nxh_entry *e = overlay_find(x, key);
    if (e) return !e->deleted;
    return nxj_object_find(x->state, key) != NULL;
}

static nxw_trap imp_state_get(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *key = guest_string(x, call, ARG(0), ARG(1));
    if (!key) return NXW_TRAP_HOST;
    int64_t word;
    if (check(x, "state:read", key, &word)) word = reply_state_value(x, key);
    res[0].of.i64 = word;
    free(key);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_has(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *key = guest_string(x, call, ARG(0), ARG(1));
    if (!key) return NXW_TRAP_HOST;
    int64_t word;
    if (check(x, "state:read", key, &word))
        word = NXG_REPLY_WORD(key_present(x, key) ? NXG_REPLY_OK : NXG_REPLY_ABSENT, 0);
    res[0].of.i64 = word;
    free(key);
    return NXW_TRAP_NONE;
}

/* Lists the keys present and readable: the snapshot's in order, then new ones. */
static nxw_trap imp_state_keys(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)args;
    nxh_exec *x = user;
    json_t *keys = json_array();
    for (size_t i = 0; x->state && i < x->state->count; i++) {
        const char *k = x->state->members[i].key;
        if (key_present(x, k) && granted(x, "state:read", k))
            json_array_append_new(keys, json_string(k));
    }
    for (size_t i = 0; i < x->noverlay; i++) {
        const nxh_entry *e = &x->overlay[i];
        if (!e->deleted && !nxj_object_find(x->state, e->key) &&
            granted(x, "state:read", e->key))
            json_array_append_new(keys, json_string(e->key));
    }
    audit(x, "state:read", "*", true);
    x->reply.len = 0;
    nxv_from_json(&x->reply, keys);
    json_decref(keys);
    res[0].of.i64 = reply_with(x, NXG_REPLY_OK);
    return NXW_TRAP_NONE;
}

/* Records a mutation of `key` (value NULL: delete) after the write check and quotas. */
static nxw_trap mutate(nxh_exec *x, nxw_call *call, const char *key, const uint8_t *value,
                       size_t len, nxw_value *res)
{
    int64_t word;
    if (!check(x, "state:write", key, &word)) {
        res[0].of.i64 = word;
        return NXW_TRAP_NONE;
    }
    if (++x->nmutations > x->cfg->max_state_mutations)
        return stop(x, call, NX_ERR_RESOURCE_LIMIT,
                    "state mutation quota exceeded: more than %u mutations "
                    "(MAX_STATE_MUTATIONS)",
                    x->cfg->max_state_mutations);
    if (value && len > x->cfg->max_value_bytes)
        return stop(x, call, NX_ERR_RESOURCE_LIMIT,
                    "value too large: $state.%.64s is %zu bytes encoded; the limit is %llu "
                    "(MAX_VALUE_SIZE_KB)",
                    key, len, (unsigned long long)x->cfg->max_value_bytes);
    json_t *jv = value ? nxv_to_json(value, len) : NULL;
    if ((value && !jv) || !overlay_put(x, key, value, len)) {
        json_decref(jv);
        snprintf(call->message, sizeof call->message, "state_set: malformed value");
        return NXW_TRAP_HOST;
    }
    json_t *m = json_pack("{s:s, s:o?, s:s}", "key", key, "value", jv, "operation",
                          value ? "set" : "delete");
    if (m && !value) json_object_del(m, "value");
    json_array_append_new(x->mutations, m);
    res[0].of.i64 = reply_ok();
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_set(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *key = guest_string(x, call, ARG(0), ARG(1));
    const uint8_t *val = key ? guest_bytes(x, call, ARG(2), ARG(3)) : NULL;
    nxw_trap t = val ? mutate(x, call, key, val, ARG(3), res) : NXW_TRAP_HOST;
    free(key);
    return t;
}

static nxw_trap imp_state_delete(nxw_call *call, void *user, const nxw_value *args,
                                 nxw_value *res)
{
    nxh_exec *x = user;
    char *key = guest_string(x, call, ARG(0), ARG(1));
    nxw_trap t = key ? mutate(x, call, key, NULL, 0, res) : NXW_TRAP_HOST;
    free(key);
    return t;
}

/* ---------------------------------------------------------------- events, view, log */

static nxw_trap imp_emit(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *name = guest_string(x, call, ARG(0), ARG(1));
    if (!name) return NXW_TRAP_HOST;
    int64_t word;
    nxw_trap t = NXW_TRAP_NONE;
    if (!check(x, "events:emit", name, &word)) {
        res[0].of.i64 = word;
    } else if (++x->nevents > x->cfg->max_events) {
        t = stop(x, call, NX_ERR_RESOURCE_LIMIT,
                 "event quota exceeded: more than %u events (MAX_EVENTS)", x->cfg->max_events);
    } else if (ARG(3) > x->cfg->max_value_bytes) {
        t = stop(x, call, NX_ERR_RESOURCE_LIMIT,
                 "value too large: the payload of event '%.64s' is %u bytes encoded; the "
                 "limit is %llu (MAX_VALUE_SIZE_KB)",
                 name, ARG(3), (unsigned long long)x->cfg->max_value_bytes);
    } else {
        json_t *payload = guest_value(x, call, ARG(2), ARG(3));
        if (!payload) {
            t = NXW_TRAP_HOST;
        } else {
            json_array_append_new(x->events,
                                  json_pack("{s:s, s:o}", "name", name, "payload", payload));
            res[0].of.i64 = reply_ok();
        }
    }
    free(name);
    return t;
}

static nxw_trap imp_view(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *type = guest_string(x, call, ARG(0), ARG(1));
    char *id = type ? guest_string(x, call, ARG(2), ARG(3)) : NULL;
    nxw_trap t = NXW_TRAP_HOST;
    int64_t word;
    if (id && !check(x, "view:update", id, &word)) {
        res[0].of.i64 = word;
        t = NXW_TRAP_NONE;
    } else if (id && ARG(5) > x->cfg->max_value_bytes) {
        t = stop(x, call, NX_ERR_RESOURCE_LIMIT,
                 "value too large: the arguments of view command '%.64s' are %u bytes; the "
                 "limit is %llu (MAX_VALUE_SIZE_KB)",
                 type, ARG(5), (unsigned long long)x->cfg->max_value_bytes);
    } else if (id) {
        json_t *a = guest_value(x, call, ARG(4), ARG(5));
        if (a) {
            json_array_append_new(x->views, json_pack("{s:s, s:s, s:o}", "type", type,
                                                      "componentId", id, "args", a));
            res[0].of.i64 = reply_ok();
            t = NXW_TRAP_NONE;
        }
    }
    free(type);
    free(id);
    return t;
}

static nxw_trap imp_log(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    nxh_exec *x = user;
    uint32_t len = ARG(2);
    if (len > x->cfg->max_value_bytes) len = (uint32_t)x->cfg->max_value_bytes; /* truncated */
    const uint8_t *msg = guest_bytes(x, call, ARG(1), len);
    if (!msg) return NXW_TRAP_HOST;
    int32_t level = args[0].of.i32;
    json_t *text = json_stringn((const char *)msg, len);
    for (uint32_t back = 1; !text && back <= 3 && back <= len; back++) /* cut mid-character */
        text = json_stringn((const char *)msg, len - back);
    if (!text) text = json_string("(log message is not UTF-8)");
    json_array_append_new(x->logs,
                          json_pack("{s:s, s:o}", "level",
                                    level >= 0 && level < 4 ? levels[level] : "info", "message",
                                    text));
    res[0].of.i64 = reply_ok();
    return NXW_TRAP_NONE;
}

/* ---------------------------------------------------------------- extensions */

static nxw_trap imp_ext_call(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    nxh_exec *x = user;
    char *name = guest_string(x, call, ARG(0), ARG(1));
    char *method = name ? guest_string(x, call, ARG(2), ARG(3)) : NULL;
    json_t *a = method ? guest_value(x, call, ARG(4), ARG(5)) : NULL;
    if (!a) {
        free(name);
        free(method);
        return NXW_TRAP_HOST;
    }
    int64_t word;
    if (!check(x, "ext", name, &word)) {
        res[0].of.i64 = word;
        free(name);
        free(method);
        json_decref(a);
        return NXW_TRAP_NONE;
    }
    free(x->ext_name);
    free(x->ext_method);
    json_decref(x->ext_args);
    x->ext_name = name;
    x->ext_method = method;
    x->ext_args = a;
    return NXW_TRAP_SUSPEND;
}

static nxw_trap imp_reply_read(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)res;
    nxh_exec *x = user;
    if (!x->reply_pending || ARG(1) != x->reply.len) {
        snprintf(call->message, sizeof call->message, "reply_read: no pending reply of %u bytes",
                 ARG(1));
        return NXW_TRAP_HOST;
    }
    if (!nxw_memory_write(x->sb->memory, ARG(0), x->reply.data, x->reply.len)) {
        snprintf(call->message, sizeof call->message, "reply_read: out of bounds");
        return NXW_TRAP_HOST;
    }
    x->reply_pending = false;
    return NXW_TRAP_NONE;
}

/* ---------------------------------------------------------------- time and randomness */

static nxw_trap imp_now(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)user;
    (void)args;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double ms = (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
    memcpy(&res[0].of.f64_bits, &ms, sizeof ms);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_random(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)user;
    (void)args;
    uint64_t r;
    arc4random_buf(&r, sizeof r);
    res[0].of.i64 = (int64_t)r;
    return NXW_TRAP_NONE;
}

/* ---------------------------------------------------------------- table */

/* Every import goes through one entry wrapper, which applies what all share: a NULL user
 * means the guest's initialization (no execution): only now and random (which QuickJS's
 * initialization uses) may run then; during an execution the call is counted against
 * maxHostCalls under its function's name (reply_read, part of another call, is not). */
#define HOST_ENTRY(fn, id, during_init)                                                      \
    static nxw_trap entry_##fn(nxw_call *call, void *user, const nxw_value *args,           \
                               nxw_value *res)                                              \
    {                                                                                        \
        nxh_exec *x = user;                                                                  \
        if (!x && !(during_init)) {                                                          \
            snprintf(call->message, sizeof call->message,                                   \
                     "host function called outside an execution");                           \
            return NXW_TRAP_HOST;                                                            \
        }                                                                                    \
        if (x && (id) != NXH_FN_COUNT && !count_call(x, (id))) return host_call_quota(x, call); \
        return fn(call, user, args, res);                                                    \
    }
HOST_ENTRY(imp_state_get, NXH_STATE_GET, false)
HOST_ENTRY(imp_state_set, NXH_STATE_SET, false)
HOST_ENTRY(imp_state_delete, NXH_STATE_DELETE, false)
HOST_ENTRY(imp_state_has, NXH_STATE_HAS, false)
HOST_ENTRY(imp_state_keys, NXH_STATE_KEYS, false)
HOST_ENTRY(imp_emit, NXH_EMIT, false)
HOST_ENTRY(imp_view, NXH_VIEW, false)
HOST_ENTRY(imp_log, NXH_LOG, false)
HOST_ENTRY(imp_ext_call, NXH_EXT_CALL, false)
HOST_ENTRY(imp_reply_read, NXH_FN_COUNT, false)
HOST_ENTRY(imp_now, NXH_NOW, true)
HOST_ENTRY(imp_random, NXH_RANDOM, true)

const nxs_import nxh_imports[] = {
    {NXG_IMPORT_STATE_GET, NXG_SIG_STATE_GET, entry_imp_state_get},
    {NXG_IMPORT_STATE_SET, NXG_SIG_STATE_SET, entry_imp_state_set},
    {NXG_IMPORT_STATE_DELETE, NXG_SIG_STATE_DELETE, entry_imp_state_delete},
    {NXG_IMPORT_STATE_HAS, NXG_SIG_STATE_HAS, entry_imp_state_has},
    {NXG_IMPORT_STATE_KEYS, NXG_SIG_STATE_KEYS, entry_imp_state_keys},
    {NXG_IMPORT_EMIT, NXG_SIG_EMIT, entry_imp_emit},
    {NXG_IMPORT_VIEW, NXG_SIG_VIEW, entry_imp_view},
    {NXG_IMPORT_LOG, NXG_SIG_LOG, entry_imp_log},
    {NXG_IMPORT_EXT_CALL, NXG_SIG_EXT_CALL, entry_imp_ext_call},
    {NXG_IMPORT_REPLY_READ, NXG_SIG_REPLY_READ, entry_imp_reply_read},
    {NXG_IMPORT_NOW, NXG_SIG_NOW, entry_imp_now},
    {NXG_IMPORT_RANDOM, NXG_SIG_RANDOM, entry_imp_random},
};
const size_t nxh_import_count = sizeof nxh_imports / sizeof nxh_imports[0];
