/*
 * sandbox.h — one instance of the QuickJS guest in the engine, and the template every
 * instance is made from (internal to the runtime).
 *
 * The template loads the guest module embedded in the library (guest_blob.S), runs its
 * initialization (_initialize, nxg_init with the configured limits) once, and snapshots
 * the initialized instance. A sandbox is an instance made from that snapshot in a store
 * of its own, with its own linker whose host functions receive the sandbox's `user`
 * pointer; it is reset to the snapshot between executions. A sandbox is used by one
 * thread at a time; the template is immutable and shared.
 */
#ifndef NXR_SANDBOX_H
#define NXR_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus.h"
#include "nexus_wasm.h"

/* One host function the guest imports (module NXG_IMPORT_MODULE). */
typedef struct nxs_import {
    const char *name, *sig;
    nxw_host_fn fn;
} nxs_import;

typedef struct nxs_template nxs_template;

/* Loads, initializes and snapshots the guest with cfg's memory and stack limits.
 * `imports`/`count` are the host functions (called with user NULL during the
 * initialization). NULL with a message in err on failure. */
nxs_template *nxs_template_new(const nx_config *cfg, const nxs_import *imports, size_t count,
                               char *err, size_t err_size);
void nxs_template_free(nxs_template *t);
/* "guest-<first 16 hex digits of the SHA-256 of the guest module>-abi<N>": the version
 * string of the compile cache. */
const char *nxs_template_version(const nxs_template *t);
/* Time the guest's initialization took, in microseconds. */
uint64_t nxs_template_init_us(const nxs_template *t);

/* A guest instance. Fields are read-only for users. */
typedef struct nxs_sandbox {
    nxw_store *store;
    nxw_linker *linker;
    nxw_instance *inst;
    nxw_memory *memory;
    nxw_func *f_alloc, *f_compile, *f_run, *f_out_ptr, *f_out_len;
} nxs_sandbox;

/* Creates a sandbox from the template; host functions get `user`. NULL with a message
 * on failure. */
nxs_sandbox *nxs_sandbox_new(const nxs_template *t, void *user, char *err, size_t err_size);
void nxs_sandbox_free(nxs_sandbox *sb);

/* Resets the sandbox to the template's snapshot (also abandons a suspended run). */
bool nxs_reset(nxs_sandbox *sb, const nxs_template *t);

/* The outcome of a call into the guest: the engine's status (NXW_OK, NXW_SUSPENDED,
 * NXW_ERR_TRAP, ...), the guest's nxg_status when the engine status is NXW_OK, and
 * the engine error otherwise. */
typedef struct nxs_outcome {
    nxw_status engine;
    int32_t guest;
    nxw_error err;
    bool timed_out; /* set by the runtime: the timeout was used up before the call */
} nxs_outcome;

/* nxg_compile(source). */
nxs_outcome nxs_compile(nxs_sandbox *sb, const char *source, size_t len);
/* nxg_run(blob, context) — context is MessagePack (may be empty). */
nxs_outcome nxs_run(nxs_sandbox *sb, const uint8_t *blob, size_t blob_len, const uint8_t *ctx,
                    size_t ctx_len);
/* Continues a suspended run with the reply word of the pending ext_call. */
nxs_outcome nxs_resume(nxs_sandbox *sb, int64_t reply_word);

/* The guest's output after an outcome with engine == NXW_OK: a pointer into guest
 * memory (valid until the next call into the sandbox) and its length; NULL when the
 * guest's output pointer is out of bounds. */
const uint8_t *nxs_output(nxs_sandbox *sb, size_t *len);

#endif /* NXR_SANDBOX_H */
