/*
 * guest_host.h — a small host for the QuickJS guest module, used by the guest tests and
 * figures: it loads nexus_guest.wasm into the Nexus engine, implements the guest's
 * imports (nexus_guest_abi.h) over an in-memory state map and a journal of every host
 * call, snapshots the instance after nxg_init and resets it before each execution, and
 * drives compile / run / resume.
 */
#ifndef NEXUS_TESTS_GUEST_HOST_H
#define NEXUS_TESTS_GUEST_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpk.h"
#include "nexus_guest_abi.h"
#include "nexus_wasm.h"

/* Outcomes of gh_run / gh_resume besides the nxg_status values. */
enum {
    GH_SUSPENDED = 100, /* the handler called $ext: see gh_host.ext_call, then gh_resume */
    GH_TRAP = 101,      /* the engine trapped: see gh_host.err */
};

#define GH_MAX_STATE 64

/* One entry of the host's state map (value: MessagePack bytes). */
typedef struct gh_entry {
    char *key;
    uint8_t *val;
    size_t val_len;
} gh_entry;

/* The host: engine objects, guest exports, host-side state and the last outcome. */
typedef struct gh_host {
    nxw_module *module;
    nxw_store *store;
    nxw_linker *linker;
    nxw_instance *inst;
    nxw_snapshot *snap;
    nxw_func *f_alloc, *f_compile, *f_run, *f_out_ptr, *f_out_len;
    uint64_t init_ns; /* time of _initialize + nxg_init */

    /* host-side data the imports work on */
    gh_entry state[GH_MAX_STATE];
    int nstate;
    mpk_buf journal;        /* one line per host call ("emit NAME PAYLOAD\n", ...) */
    uint8_t *reply;         /* pending reply */
    size_t reply_len;
    bool reply_pending;
    const char *deny_key;   /* state key whose writes answer PERMISSION_DENIED */
    bool ext_refuse;        /* ext_call answers at once with an error instead of suspending */
    char ext_call[512];     /* "NAME.METHOD ARGS" of the last ext_call */
    unsigned timeout_ms;    /* deadline of each call into the guest (0: none) */

    /* last outcome */
    int status;             /* nxg_status, GH_SUSPENDED or GH_TRAP */
    nxw_error err;          /* details of GH_TRAP */
    uint8_t *out;           /* copy of the guest's output */
    size_t out_len;
    char *out_text;         /* mpk_to_text of the output (return value or error map) */
    uint64_t run_ns;        /* duration of the last gh_run / gh_resume call */
} gh_host;

/* Loads the module, instantiates it with the given engine limits, runs _initialize and
 * nxg_init(memory_limit, stack_bytes) and snapshots the instance. False (message on
 * stderr) on failure. */
bool gh_open(gh_host *h, const char *wasm_path, uint64_t memory_limit, size_t stack_bytes);
/* Frees everything. */
void gh_close(gh_host *h);

/* Resets the instance to the snapshot and empties the journal and the state map. */
void gh_reset(gh_host *h);

/* Sets a state entry from JSON text (NULL json: removes it). */
void gh_state_set_json(gh_host *h, const char *key, const char *json);
/* A state entry as canonical text (malloc'd), or NULL when absent. */
char *gh_state_text(gh_host *h, const char *key);

/* Compiles a source; on NXG_OK, h->out holds the code blob. Returns h->status. */
int gh_compile(gh_host *h, const char *src, size_t len);
/* Runs a code blob with a MessagePack context. Returns h->status. */
int gh_run(gh_host *h, const uint8_t *code, size_t code_len, const uint8_t *ctx, size_t ctx_len);
/* Continues a suspended run with a reply (status NXG_REPLY_*, MessagePack bytes). */
int gh_resume(gh_host *h, int reply_status, const uint8_t *reply, size_t reply_len);

/* Reset + compile + run: the handler source with a context given as JSON text (NULL:
 * none). Returns h->status (the compile status when compilation fails). */
int gh_exec(gh_host *h, const char *src, const char *ctx_json);

/* Compile + run without resetting first (state, journal and instance as they are). */
int gh_exec_keep(gh_host *h, const char *src, const char *ctx_json);

/* A field of the error map of the last outcome as text (malloc'd), or NULL. */
char *gh_error_field(gh_host *h, const char *key);

#endif
