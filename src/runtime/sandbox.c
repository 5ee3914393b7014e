/*
 * sandbox.c — guest instances (sandbox.h): the template (load the embedded guest module,
 * initialize it once, snapshot it) and the sandboxes made from it, with the calls the
 * runtime makes into the guest (compile, run, resume, output). Everything here is
 * mechanism: what host functions do and what outcomes mean is decided in host.c and
 * runtime.c.
 */
#include "sandbox.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_guest_abi.h"

/* The guest module, embedded by guest_blob.S, and its native code (generated from it
 * at build time by nexus-aotgen). */
extern const uint8_t nxr_guest_wasm[];
extern const uint8_t nxr_guest_wasm_end[];
extern const nxw_aot_code nxg_guest_aot;

struct nxs_template {
    nxw_module *module;
    nxw_snapshot *snap;
    nxw_limits limits;
    const nxs_import *imports;
    size_t nimports;
    char version[64];
    uint64_t init_us;
};

static void set_err(char *err, size_t size, const char *what, const char *detail)
{
    if (err && size) snprintf(err, size, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static nxw_linker *new_linker(const nxs_template *t, void *user, nxw_error *e)
{
    nxw_linker *l = nxw_linker_new();
    if (!l) {
        snprintf(e->message, sizeof e->message, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < t->nimports; i++) {
        if (nxw_linker_define_host(l, NXG_IMPORT_MODULE, t->imports[i].name, t->imports[i].sig,
                                   t->imports[i].fn, user, e)) {
            nxw_linker_free(l);
            return NULL;
        }
    }
    return l;
}

static nxw_func *export_func(nxw_instance *inst, const char *name)
{
    nxw_extern ext;
    if (!nxw_instance_export(inst, name, strlen(name), &ext) || ext.kind != NXW_EXTERN_FUNC)
        return NULL;
    return ext.of.func;
}

static void compute_version(nxs_template *t, const uint8_t *wasm, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[17] = "0000000000000000";
    if (EVP_Digest(wasm, len, md, &md_len, EVP_sha256(), NULL) && md_len >= 8)
        for (int i = 0; i < 8; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(t->version, sizeof t->version, "guest-%s-abi%u", hex, NXG_ABI_VERSION);
}

/* Instantiates the module in a scratch store, initializes it and snapshots it. */
static bool initialize(nxs_template *t, char *err, size_t err_size)
{
    nxw_error e = {0};
    nxw_store *store = nxw_store_new();
    nxw_linker *linker = store ? new_linker(t, NULL, &e) : NULL;
    nxw_instance *inst = NULL;
    bool ok = false;
    if (!store || !linker) {
        set_err(err, err_size, "guest: cannot create its store", e.message);
        goto done;
    }
    nxw_store_set_limits(store, &t->limits);
    if (nxw_instantiate(store, t->module, linker, &inst, &e)) {
        set_err(err, err_size, "guest: cannot instantiate", e.message);
        goto done;
    }
    nxw_func *initialize = export_func(inst, NXG_EXPORT_INITIALIZE);
    nxw_func *init = export_func(inst, NXG_EXPORT_INIT);
    if (!initialize || !init) {
        set_err(err, err_size, "guest: module lacks _initialize or nxg_init", NULL);
        goto done;
    }
    uint64_t t0 = nxw_now_ns();
    nxw_value args[2] = {{.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)t->limits.memory_bytes},
                         {.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)t->limits.stack_bytes}};
    nxw_value status = {0};
    if (nxw_func_call(store, initialize, NULL, 0, NULL, 0, NULL, &e) ||
        nxw_func_call(store, init, args, 2, &status, 1, NULL, &e)) {
        set_err(err, err_size, "guest: initialization trapped", e.message);
        goto done;
    }
    t->init_us = (nxw_now_ns() - t0) / 1000;
    if (status.of.i32 != NXG_OK) {
        char detail[96];
        snprintf(detail, sizeof detail,
                 "nxg_init returned %d (MEMORY_LIMIT_MB or STACK_SIZE_KB too small?)", status.of.i32);
        set_err(err, err_size, "guest: initialization failed", detail);
        goto done;
    }
    if (nxw_snapshot_take(inst, &t->snap, &e)) {
        set_err(err, err_size, "guest: snapshot failed", e.message);
        goto done;
    }
    ok = true;
done:
    nxw_store_free(store);
    nxw_linker_free(linker);
    return ok;
}

nxs_template *nxs_template_new(const nx_config *cfg, const nxs_import *imports, size_t count,
                               char *err, size_t err_size)
{
    nxs_template *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, err_size, "out of memory", NULL);
        return NULL;
    }
    t->imports = imports;
    t->nimports = count;
    t->limits.memory_bytes = cfg->memory_limit_bytes;
    t->limits.stack_bytes = (size_t)cfg->stack_size_bytes;
    size_t len = (size_t)(nxr_guest_wasm_end - nxr_guest_wasm);
    compute_version(t, nxr_guest_wasm, len);
    nxw_error e;
    if (nxw_module_new(nxr_guest_wasm, len, &t->module, &e)) {
        set_err(err, err_size, "guest: embedded module does not load", e.message);
        free(t);
        return NULL;
    }
    if (!cfg->interpret_guest && nxw_module_attach_aot(t->module, &nxg_guest_aot, &e)) {
        set_err(err, err_size, "guest: its native code does not match the module", e.message);
        nxs_template_free(t);
        return NULL;
    }
    if (!initialize(t, err, err_size)) {
        nxs_template_free(t);
        return NULL;
    }
    return t;
}

void nxs_template_free(nxs_template *t)
{
    if (!t) return;
    nxw_snapshot_free(t->snap);
    nxw_module_free(t->module);
    free(t);
}

const char *nxs_template_version(const nxs_template *t) { return t->version; }

uint64_t nxs_template_init_us(const nxs_template *t) { return t->init_us; }

/* ---------------------------------------------------------------- sandboxes */

nxs_sandbox *nxs_sandbox_new(const nxs_template *t, void *user, char *err, size_t err_size)
{
    nxs_sandbox *sb = calloc(1, sizeof *sb);
    nxw_error e = {0};
    if (!sb || !(sb->store = nxw_store_new()) || !(sb->linker = new_linker(t, user, &e))) {
        set_err(err, err_size, "cannot create a guest instance", e.message[0] ? e.message : "out of memory");
        nxs_sandbox_free(sb);
        return NULL;
    }
    nxw_store_set_limits(sb->store, &t->limits);
    if (nxw_snapshot_instantiate(sb->store, t->snap, sb->linker, &sb->inst, &e)) {
        set_err(err, err_size, "cannot create a guest instance", e.message);
        nxs_sandbox_free(sb);
        return NULL;
    }
    sb->memory = nxw_instance_memory(sb->inst);
    sb->f_alloc = export_func(sb->inst, NXG_EXPORT_ALLOC);
    sb->f_compile = export_func(sb->inst, NXG_EXPORT_COMPILE);
    sb->f_run = export_func(sb->inst, NXG_EXPORT_RUN);
    sb->f_out_ptr = export_func(sb->inst, NXG_EXPORT_OUTPUT_PTR);
    sb->f_out_len = export_func(sb->inst, NXG_EXPORT_OUTPUT_LEN);
    if (!sb->memory || !sb->f_alloc || !sb->f_compile || !sb->f_run || !sb->f_out_ptr ||
        !sb->f_out_len) {
        set_err(err, err_size, "guest module lacks an export of the guest ABI", NULL);
        nxs_sandbox_free(sb);
        return NULL;
    }
    return sb;
}

void nxs_sandbox_free(nxs_sandbox *sb)
{
    if (!sb) return;
    nxw_store_free(sb->store);
    nxw_linker_free(sb->linker);
    free(sb);
}

bool nxs_reset(nxs_sandbox *sb, const nxs_template *t)
{
    nxw_error e;
    nxw_store_clear_interrupt(sb->store);
    return nxw_instance_reset(sb->inst, t->snap, &e) == NXW_OK;
}

/* ---------------------------------------------------------------- calls */

static nxs_outcome outcome_of(nxw_status st, const nxw_value *r, const nxw_error *e)
{
    nxs_outcome o = {.engine = st, .guest = st == NXW_OK ? r->of.i32 : 0};
    if (st != NXW_OK && st != NXW_SUSPENDED) o.err = *e;
    return o;
}

/* Copies bytes into a new guest buffer; false (outcome filled) when that fails. */
static bool copy_in(nxs_sandbox *sb, const void *data, size_t len, uint32_t *ptr, nxs_outcome *o)
{
    *ptr = 0;
    if (!len) return true;
    nxw_value arg = {.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)len}, r = {0};
    nxw_error e = {0};
    nxw_status st = NXW_OK;
    if (len <= UINT32_MAX / 2)
        st = nxw_func_call(sb->store, sb->f_alloc, &arg, 1, &r, 1, NULL, &e);
    if (st == NXW_OK && r.of.i32 != 0 &&
        nxw_memory_write(sb->memory, (uint32_t)r.of.i32, data, len)) {
        *ptr = (uint32_t)r.of.i32;
        return true;
    }
    /* the guest's allocator had no room: as for any allocation, a memory limit */
    *o = (nxs_outcome){.engine = NXW_OK, .guest = NXG_ERR_MEMORY_LIMIT};
    if (st != NXW_OK) *o = outcome_of(st, NULL, &e);
    return false;
}

nxs_outcome nxs_compile(nxs_sandbox *sb, const char *source, size_t len)
{
    nxs_outcome o;
    uint32_t p;
    if (!copy_in(sb, source, len, &p, &o)) return o;
    nxw_value args[2] = {{.type = NXW_I32, .of.i32 = (int32_t)p},
                         {.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)len}};
    nxw_value r;
    nxw_error e;
    nxw_status st = nxw_func_call(sb->store, sb->f_compile, args, 2, &r, 1, NULL, &e);
    return outcome_of(st, &r, &e);
}

nxs_outcome nxs_run(nxs_sandbox *sb, const uint8_t *blob, size_t blob_len, const uint8_t *ctx,
                    size_t ctx_len)
{
    nxs_outcome o;
    uint32_t pb, pc;
    if (!copy_in(sb, blob, blob_len, &pb, &o) || !copy_in(sb, ctx, ctx_len, &pc, &o)) return o;
    nxw_value args[4] = {{.type = NXW_I32, .of.i32 = (int32_t)pb},
                         {.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)blob_len},
                         {.type = NXW_I32, .of.i32 = (int32_t)pc},
                         {.type = NXW_I32, .of.i32 = (int32_t)(uint32_t)ctx_len}};
    nxw_value r;
    nxw_error e;
    nxw_status st = nxw_func_call(sb->store, sb->f_run, args, 4, &r, 1, NULL, &e);
    return outcome_of(st, &r, &e);
}

nxs_outcome nxs_resume(nxs_sandbox *sb, int64_t reply_word)
{
    nxw_value word = {.type = NXW_I64, .of.i64 = reply_word}, r;
    nxw_error e;
    nxw_status st = nxw_resume(sb->store, &word, 1, &r, 1, NULL, &e);
    return outcome_of(st, &r, &e);
}

const uint8_t *nxs_output(nxs_sandbox *sb, size_t *len)
{
    nxw_value p, l;
    nxw_error e;
    *len = 0;
    if (nxw_func_call(sb->store, sb->f_out_ptr, NULL, 0, &p, 1, NULL, &e) ||
        nxw_func_call(sb->store, sb->f_out_len, NULL, 0, &l, 1, NULL, &e))
        return NULL;
    uint32_t n = (uint32_t)l.of.i32;
    const uint8_t *data = nxw_memory_span(sb->memory, (uint32_t)p.of.i32, n ? n : 1);
    if (data) *len = n;
    return data;
}
