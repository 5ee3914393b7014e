/*
 * guest_host.c — implementation of the test host for the QuickJS guest (guest_host.h):
 * the guest's imports, the snapshot/reset cycle and the compile/run/resume calls.
 */
#include "guest_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

static void journal(gh_host *h, const char *fmt, const char *a, const char *b, const char *c)
{
    char line[4096];
    snprintf(line, sizeof(line), fmt, a ? a : "", b ? b : "", c ? c : "");
    mpk_put(&h->journal, line, strlen(line));
}

static nxw_memory *mem(gh_host *h)
{
    return nxw_instance_memory(h->inst);
}

/* Guest bytes [ptr, ptr+len), or NULL (and a trap message) when out of bounds. */
static const uint8_t *guest_bytes(gh_host *h, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = nxw_memory_span(mem(h), ptr, len ? len : 1);
    if (!p)
        snprintf(call->message, sizeof(call->message), "guest buffer out of bounds");
    return p;
}

/* A guest string as a NUL-terminated copy (malloc'd). */
static char *guest_string(gh_host *h, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = guest_bytes(h, call, ptr, len);
    if (!p)
        return NULL;
    char *s = malloc((size_t)len + 1);
    memcpy(s, p, len);
    s[len] = '\0';
    return s;
}

static char *guest_value_text(gh_host *h, nxw_call *call, uint32_t ptr, uint32_t len)
{
    const uint8_t *p = guest_bytes(h, call, ptr, len);
    if (!p)
        return NULL;
    char *t = mpk_to_text(p, len);
    return t ? t : strdup("<malformed>");
}

/* Keeps `data` as the pending reply and returns its reply word. */
static int64_t set_reply(gh_host *h, int status, const uint8_t *data, size_t len)
{
    free(h->reply);
    h->reply = len ? malloc(len) : NULL;
    if (len)
        memcpy(h->reply, data, len);
    h->reply_len = len;
    h->reply_pending = len > 0;
    return NXG_REPLY_WORD(status, len);
}

static int64_t error_reply(gh_host *h, const char *message, const char *code)
{
    mpk_buf b = {0};
    mpk_map(&b, code ? 2 : 1);
    mpk_cstr(&b, "message");
    mpk_cstr(&b, message);
    if (code) {
        mpk_cstr(&b, "code");
        mpk_cstr(&b, code);
    }
    int64_t w = set_reply(h, NXG_REPLY_ERROR, b.data, b.len);
    mpk_free(&b);
    return w;
}

static gh_entry *find_entry(gh_host *h, const char *key)
{
    for (int i = 0; i < h->nstate; i++)
        if (strcmp(h->state[i].key, key) == 0)
            return &h->state[i];
    return NULL;
}

static void remove_entry(gh_host *h, const char *key)
{
    gh_entry *e = find_entry(h, key);
    if (!e)
        return;
    free(e->key);
    free(e->val);
    *e = h->state[--h->nstate];
}

static void put_entry(gh_host *h, const char *key, const uint8_t *val, size_t len)
{
    gh_entry *e = find_entry(h, key);
    if (!e) {
        if (h->nstate == GH_MAX_STATE)
            abort();
        e = &h->state[h->nstate++];
        e->key = strdup(key);
    } else {
        free(e->val);
    }
    e->val = malloc(len);
    memcpy(e->val, val, len);
    e->val_len = len;
}

/* ---------------------------------------------------------------- imports */

#define ARG(i) ((uint32_t)args[i].of.i32)

static nxw_trap imp_state_get(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *key = guest_string(h, call, ARG(0), ARG(1));
    if (!key)
        return NXW_TRAP_HOST;
    journal(h, "state.get %s\n", key, NULL, NULL);
    gh_entry *e = find_entry(h, key);
    res[0].of.i64 = e ? set_reply(h, NXG_REPLY_OK, e->val, e->val_len)
                      : NXG_REPLY_WORD(NXG_REPLY_ABSENT, 0);
    free(key);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_set(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *key = guest_string(h, call, ARG(0), ARG(1));
    const uint8_t *val = guest_bytes(h, call, ARG(2), ARG(3));
    if (!key || !val) {
        free(key);
        return NXW_TRAP_HOST;
    }
    char *text = mpk_to_text(val, ARG(3));
    if (!text) {
        free(key);
        snprintf(call->message, sizeof(call->message), "state_set: malformed value");
        return NXW_TRAP_HOST;
    }
    if (h->deny_key && strcmp(key, h->deny_key) == 0) {
        journal(h, "state.set %s denied\n", key, NULL, NULL);
        res[0].of.i64 = error_reply(h, "missing capability state:write:secret",
                                    "PERMISSION_DENIED");
    } else {
        journal(h, "state.set %s %s\n", key, text, NULL);
        put_entry(h, key, val, ARG(3));
        res[0].of.i64 = NXG_REPLY_WORD(NXG_REPLY_OK, 0);
    }
    free(text);
    free(key);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_delete(nxw_call *call, void *user, const nxw_value *args,
                                 nxw_value *res)
{
    gh_host *h = user;
    char *key = guest_string(h, call, ARG(0), ARG(1));
    if (!key)
        return NXW_TRAP_HOST;
    journal(h, "state.delete %s\n", key, NULL, NULL);
    remove_entry(h, key);
    free(key);
    res[0].of.i64 = NXG_REPLY_WORD(NXG_REPLY_OK, 0);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_has(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *key = guest_string(h, call, ARG(0), ARG(1));
    if (!key)
        return NXW_TRAP_HOST;
    journal(h, "state.has %s\n", key, NULL, NULL);
    res[0].of.i64 = NXG_REPLY_WORD(find_entry(h, key) ? NXG_REPLY_OK : NXG_REPLY_ABSENT, 0);
    free(key);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_state_keys(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)args;
    gh_host *h = user;
    journal(h, "state.keys\n", NULL, NULL, NULL);
    mpk_buf b = {0};
    mpk_array(&b, (uint32_t)h->nstate);
    for (int i = 0; i < h->nstate; i++)
        mpk_cstr(&b, h->state[i].key);
    res[0].of.i64 = set_reply(h, NXG_REPLY_OK, b.data, b.len);
    mpk_free(&b);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_emit(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *name = guest_string(h, call, ARG(0), ARG(1));
    char *payload = guest_value_text(h, call, ARG(2), ARG(3));
    if (!name || !payload) {
        free(name);
        free(payload);
        return NXW_TRAP_HOST;
    }
    journal(h, "emit %s %s\n", name, payload, NULL);
    free(name);
    free(payload);
    res[0].of.i64 = NXG_REPLY_WORD(NXG_REPLY_OK, 0);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_view(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *type = guest_string(h, call, ARG(0), ARG(1));
    char *id = guest_string(h, call, ARG(2), ARG(3));
    char *a = guest_value_text(h, call, ARG(4), ARG(5));
    if (type && id && a)
        journal(h, "view %s %s %s\n", type, id, a);
    bool ok = type && id && a;
    free(type);
    free(id);
    free(a);
    res[0].of.i64 = NXG_REPLY_WORD(NXG_REPLY_OK, 0);
    return ok ? NXW_TRAP_NONE : NXW_TRAP_HOST;
}

static nxw_trap imp_log(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    char *msg = guest_string(h, call, ARG(1), ARG(2));
    if (!msg)
        return NXW_TRAP_HOST;
    int32_t level = args[0].of.i32;
    journal(h, "log %s %s\n", level >= 0 && level < 4 ? levels[level] : "?", msg, NULL);
    free(msg);
    res[0].of.i64 = NXG_REPLY_WORD(NXG_REPLY_OK, 0);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_ext_call(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    gh_host *h = user;
    char *name = guest_string(h, call, ARG(0), ARG(1));
    char *method = guest_string(h, call, ARG(2), ARG(3));
    char *a = guest_value_text(h, call, ARG(4), ARG(5));
    bool ok = name && method && a;
    if (ok) {
        snprintf(h->ext_call, sizeof(h->ext_call), "%s.%s %s", name, method, a);
        journal(h, "ext %s.%s %s\n", name, method, a);
    }
    free(name);
    free(method);
    free(a);
    if (!ok)
        return NXW_TRAP_HOST;
    if (h->ext_refuse) {
        res[0].of.i64 = error_reply(h, "extension refused by the host", "PERMISSION_DENIED");
        return NXW_TRAP_NONE;
    }
    return NXW_TRAP_SUSPEND;
}

static nxw_trap imp_reply_read(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)res;
    gh_host *h = user;
    if (!h->reply_pending || ARG(1) != h->reply_len) {
        snprintf(call->message, sizeof(call->message), "reply_read: no pending reply of %u bytes",
                 ARG(1));
        return NXW_TRAP_HOST;
    }
    if (!nxw_memory_write(mem(h), ARG(0), h->reply, h->reply_len)) {
        snprintf(call->message, sizeof(call->message), "reply_read: out of bounds");
        return NXW_TRAP_HOST;
    }
    h->reply_pending = false;
    return NXW_TRAP_NONE;
}

static nxw_trap imp_now(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)user;
    (void)args;
    double ms = 1700000000123.0; /* 2023-11-14T22:13:20.123Z */
    memcpy(&res[0].of.f64_bits, &ms, 8);
    return NXW_TRAP_NONE;
}

static nxw_trap imp_random(nxw_call *call, void *user, const nxw_value *args, nxw_value *res)
{
    (void)call;
    (void)user;
    (void)args;
    static uint64_t counter = 0x1234567887654321ull;
    counter = counter * 6364136223846793005ull + 1442695040888963407ull;
    res[0].of.i64 = (int64_t)counter;
    return NXW_TRAP_NONE;
}

static bool define_imports(gh_host *h)
{
    static const struct {
        const char *name, *sig;
        nxw_host_fn fn;
    } imports[] = {
        {NXG_IMPORT_STATE_GET, NXG_SIG_STATE_GET, imp_state_get},
        {NXG_IMPORT_STATE_SET, NXG_SIG_STATE_SET, imp_state_set},
        {NXG_IMPORT_STATE_DELETE, NXG_SIG_STATE_DELETE, imp_state_delete},
        {NXG_IMPORT_STATE_HAS, NXG_SIG_STATE_HAS, imp_state_has},
        {NXG_IMPORT_STATE_KEYS, NXG_SIG_STATE_KEYS, imp_state_keys},
        {NXG_IMPORT_EMIT, NXG_SIG_EMIT, imp_emit},
        {NXG_IMPORT_VIEW, NXG_SIG_VIEW, imp_view},
        {NXG_IMPORT_LOG, NXG_SIG_LOG, imp_log},
        {NXG_IMPORT_EXT_CALL, NXG_SIG_EXT_CALL, imp_ext_call},
        {NXG_IMPORT_REPLY_READ, NXG_SIG_REPLY_READ, imp_reply_read},
        {NXG_IMPORT_NOW, NXG_SIG_NOW, imp_now},
        {NXG_IMPORT_RANDOM, NXG_SIG_RANDOM, imp_random},
    };
    for (size_t i = 0; i < sizeof(imports) / sizeof(imports[0]); i++) {
        nxw_error err;
        if (nxw_linker_define_host(h->linker, NXG_IMPORT_MODULE, imports[i].name, imports[i].sig,
                                   imports[i].fn, h, &err)) {
            fprintf(stderr, "guest host: define %s: %s\n", imports[i].name, err.message);
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- calls */

static nxw_func *export_func(gh_host *h, const char *name)
{
    nxw_extern ext;
    if (!nxw_instance_export(h->inst, name, strlen(name), &ext) || ext.kind != NXW_EXTERN_FUNC) {
        fprintf(stderr, "guest host: export %s missing\n", name);
        return NULL;
    }
    return ext.of.func;
}

static void arm_deadline(gh_host *h)
{
    nxw_store_set_deadline(h->store,
                           h->timeout_ms ? nxw_now_ns() + (uint64_t)h->timeout_ms * 1000000u : 0);
}

static void clear_output(gh_host *h)
{
    free(h->out);
    free(h->out_text);
    h->out = NULL;
    h->out_text = NULL;
    h->out_len = 0;
}

/* Copies the guest's output after a call that returned `status`. */
static int take_output(gh_host *h, int status)
{
    nxw_value p, l;
    nxw_error err;
    h->status = status;
    if (nxw_func_call(h->store, h->f_out_ptr, NULL, 0, &p, 1, NULL, &err) ||
        nxw_func_call(h->store, h->f_out_len, NULL, 0, &l, 1, NULL, &err)) {
        h->err = err;
        return h->status = GH_TRAP;
    }
    h->out_len = (uint32_t)l.of.i32;
    h->out = malloc(h->out_len ? h->out_len : 1);
    if (!nxw_memory_read(mem(h), (uint32_t)p.of.i32, h->out, h->out_len)) {
        h->err.trap = NXW_TRAP_MEMORY_OOB;
        snprintf(h->err.message, sizeof(h->err.message), "output out of bounds");
        return h->status = GH_TRAP;
    }
    h->out_text = mpk_to_text(h->out, h->out_len);
    return status;
}

/* Interprets the engine's answer to nxg_run / nxw_resume. */
static int finish_call(gh_host *h, nxw_status st, nxw_value *result, nxw_error *err)
{
    if (st == NXW_SUSPENDED)
        return h->status = GH_SUSPENDED;
    if (st != NXW_OK) {
        h->err = *err;
        return h->status = GH_TRAP;
    }
    return take_output(h, result->of.i32);
}

/* Copies bytes into a fresh guest buffer; 0 on failure. */
static uint32_t guest_copy(gh_host *h, const void *data, size_t len)
{
    nxw_value arg = {.type = NXW_I32, .of.i32 = (int32_t)len}, ptr;
    nxw_error err;
    if (nxw_func_call(h->store, h->f_alloc, &arg, 1, &ptr, 1, NULL, &err) || ptr.of.i32 == 0) {
        h->err = err;
        return 0;
    }
    if (!nxw_memory_write(mem(h), (uint32_t)ptr.of.i32, data, len))
        return 0;
    return (uint32_t)ptr.of.i32;
}

bool gh_open(gh_host *h, const char *wasm_path, uint64_t memory_limit, size_t stack_bytes)
{
    memset(h, 0, sizeof(*h));
    FILE *f = fopen(wasm_path, "rb");
    if (!f) {
        fprintf(stderr, "guest host: cannot open %s\n", wasm_path);
        return false;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *bytes = malloc((size_t)size);
    bool read_ok = fread(bytes, 1, (size_t)size, f) == (size_t)size;
    fclose(f);
    nxw_error err;
    if (!read_ok || nxw_module_new(bytes, (size_t)size, &h->module, &err)) {
        fprintf(stderr, "guest host: load %s: %s\n", wasm_path, read_ok ? err.message : "read");
        free(bytes);
        return false;
    }
    free(bytes);
    h->store = nxw_store_new();
    h->linker = nxw_linker_new();
    nxw_limits limits = {.stack_bytes = stack_bytes, .memory_bytes = memory_limit};
    nxw_store_set_limits(h->store, &limits);
    if (!define_imports(h))
        return false;
    if (nxw_instantiate(h->store, h->module, h->linker, &h->inst, &err)) {
        fprintf(stderr, "guest host: instantiate: %s\n", err.message);
        return false;
    }
    nxw_func *initialize = export_func(h, NXG_EXPORT_INITIALIZE);
    nxw_func *init = export_func(h, NXG_EXPORT_INIT);
    h->f_alloc = export_func(h, NXG_EXPORT_ALLOC);
    h->f_compile = export_func(h, NXG_EXPORT_COMPILE);
    h->f_run = export_func(h, NXG_EXPORT_RUN);
    h->f_out_ptr = export_func(h, NXG_EXPORT_OUTPUT_PTR);
    h->f_out_len = export_func(h, NXG_EXPORT_OUTPUT_LEN);
    if (!initialize || !init || !h->f_alloc || !h->f_compile || !h->f_run || !h->f_out_ptr ||
        !h->f_out_len)
        return false;
    uint64_t t0 = nxw_now_ns();
    nxw_value args[2] = {{.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)memory_limit},
                         {.type = NXW_I32, .of.i32 = (int32_t)stack_bytes}};
    nxw_value status;
    if (nxw_func_call(h->store, initialize, NULL, 0, NULL, 0, NULL, &err) ||
        nxw_func_call(h->store, init, args, 2, &status, 1, NULL, &err)) {
        fprintf(stderr, "guest host: init: %s\n", err.message);
        return false;
    }
    h->init_ns = nxw_now_ns() - t0;
    if (status.of.i32 != NXG_OK) {
        fprintf(stderr, "guest host: nxg_init returned %d\n", status.of.i32);
        return false;
    }
    if (nxw_snapshot_take(h->inst, &h->snap, &err)) {
        fprintf(stderr, "guest host: snapshot: %s\n", err.message);
        return false;
    }
    return true;
}

void gh_close(gh_host *h)
{
    while (h->nstate)
        remove_entry(h, h->state[0].key);
    clear_output(h);
    free(h->reply);
    mpk_free(&h->journal);
    nxw_snapshot_free(h->snap);
    nxw_store_free(h->store);
    nxw_linker_free(h->linker);
    nxw_module_free(h->module);
    memset(h, 0, sizeof(*h));
}

void gh_reset(gh_host *h)
{
    nxw_error err;
    if (nxw_instance_reset(h->inst, h->snap, &err)) {
        fprintf(stderr, "guest host: reset: %s\n", err.message);
        abort();
    }
    while (h->nstate)
        remove_entry(h, h->state[0].key);
    h->journal.len = 0;
    h->reply_pending = false;
    h->ext_call[0] = '\0';
    clear_output(h);
}

void gh_state_set_json(gh_host *h, const char *key, const char *json)
{
    if (!json) {
        remove_entry(h, key);
        return;
    }
    mpk_buf b = {0};
    if (!mpk_from_json(&b, json))
        abort();
    put_entry(h, key, b.data, b.len);
    mpk_free(&b);
}

char *gh_state_text(gh_host *h, const char *key)
{
    gh_entry *e = find_entry(h, key);
    return e ? mpk_to_text(e->val, e->val_len) : NULL;
}

int gh_compile(gh_host *h, const char *src, size_t len)
{
    clear_output(h);
    arm_deadline(h);
    uint32_t p = guest_copy(h, src, len);
    if (!p && len)
        return h->status = GH_TRAP;
    nxw_value args[2] = {{.type = NXW_I32, .of.i32 = (int32_t)p},
                         {.type = NXW_I32, .of.i32 = (int32_t)len}};
    nxw_value r;
    nxw_error err;
    nxw_status st = nxw_func_call(h->store, h->f_compile, args, 2, &r, 1, NULL, &err);
    if (st != NXW_OK) {
        h->err = err;
        return h->status = GH_TRAP;
    }
    h->status = r.of.i32;
    take_output(h, r.of.i32);
    if (h->status == NXG_OK) { /* the blob is not MessagePack */
        free(h->out_text);
        h->out_text = NULL;
    }
    return h->status;
}

int gh_run(gh_host *h, const uint8_t *code, size_t code_len, const uint8_t *ctx, size_t ctx_len)
{
    arm_deadline(h);
    uint32_t pc = guest_copy(h, code, code_len);
    uint32_t px = ctx_len ? guest_copy(h, ctx, ctx_len) : 0;
    clear_output(h);
    if (!pc || (ctx_len && !px))
        return h->status = GH_TRAP;
    nxw_value args[4] = {{.type = NXW_I32, .of.i32 = (int32_t)pc},
                         {.type = NXW_I32, .of.i32 = (int32_t)code_len},
                         {.type = NXW_I32, .of.i32 = (int32_t)px},
                         {.type = NXW_I32, .of.i32 = (int32_t)ctx_len}};
    nxw_value r;
    nxw_error err;
    uint64_t t0 = nxw_now_ns();
    nxw_status st = nxw_func_call(h->store, h->f_run, args, 4, &r, 1, NULL, &err);
    h->run_ns = nxw_now_ns() - t0;
    return finish_call(h, st, &r, &err);
}

int gh_resume(gh_host *h, int reply_status, const uint8_t *reply, size_t reply_len)
{
    nxw_value word = {.type = NXW_I64, .of.i64 = set_reply(h, reply_status, reply, reply_len)};
    nxw_value r;
    nxw_error err;
    clear_output(h);
    arm_deadline(h);
    uint64_t t0 = nxw_now_ns();
    nxw_status st = nxw_resume(h->store, &word, 1, &r, 1, NULL, &err);
    h->run_ns = nxw_now_ns() - t0;
    return finish_call(h, st, &r, &err);
}

int gh_exec_keep(gh_host *h, const char *src, const char *ctx_json)
{
    if (gh_compile(h, src, strlen(src)) != NXG_OK)
        return h->status;
    uint8_t *blob = h->out;
    size_t blob_len = h->out_len;
    h->out = NULL;
    mpk_buf ctx = {0};
    if (ctx_json && !mpk_from_json(&ctx, ctx_json))
        abort();
    gh_run(h, blob, blob_len, ctx.data, ctx.len);
    free(blob);
    mpk_free(&ctx);
    return h->status;
}

int gh_exec(gh_host *h, const char *src, const char *ctx_json)
{
    gh_reset(h);
    return gh_exec_keep(h, src, ctx_json);
}

char *gh_error_field(gh_host *h, const char *key)
{
    return h->out ? mpk_map_get_text(h->out, h->out_len, key) : NULL;
}
