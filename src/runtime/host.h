/*
 * host.h — the host side of one execution (internal to the runtime): the host functions
 * the guest imports ($state, $emit, $view, $log, $ext, now, random), the capability
 * checks and quotas they enforce, and the journal of what the handler did (state
 * mutations, events, view commands, log lines, the pending extension call).
 *
 * Each pooled instance owns one nxh_exec at a fixed address, given to the engine as the
 * host functions' user pointer. nxh_begin fills it for an execution, nxh_end empties
 * it. Invariant: between begin and end, `state` plus the overlay is the handler's view
 * of the state; the journal arrays hold what happened since the last flush, in order.
 */
#ifndef NXR_HOST_H
#define NXR_HOST_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "nexus.h"
#include "sandbox.h"
#include "jsontext.h"
#include "value.h"

/* The host functions, for per-function call counts (metrics.hostCalls). */
typedef enum nxh_fn {
    NXH_STATE_GET,
    NXH_STATE_SET,
    NXH_STATE_DELETE,
    NXH_STATE_HAS,
    NXH_STATE_KEYS,
    NXH_EMIT,
    NXH_VIEW,
    NXH_LOG,
    NXH_EXT_CALL,
    NXH_NOW,
    NXH_RANDOM,
    NXH_FN_COUNT
} nxh_fn;

/* Name of each function in metrics.hostCalls ("stateGet", "emit", ...). */
extern const char *const nxh_fn_names[NXH_FN_COUNT];

/* The imports of the guest, for nxs_template_new. */
extern const nxs_import nxh_imports[];
extern const size_t nxh_import_count;

/* A key the handler set or deleted: its current value (MessagePack) or deletion. */
typedef struct nxh_entry {
    char *key;
    uint8_t *value;
    size_t value_len;
    bool deleted;
} nxh_entry;

/* One execution's host state. */
typedef struct nxh_exec {
    const nx_config *cfg;
    nxs_sandbox *sb;
    /* the context (owned) and parts of it (borrowed) */
    json_t *context;            /* all members but stateSnapshot */
    nxj_object *state;          /* stateSnapshot, indexed (owned), or NULL */
    const json_t *capabilities; /* array of tokens, or NULL */
    const char *panel_id, *handler_name;
    /* the handler's changes to the state */
    nxh_entry *overlay;
    size_t noverlay, cap_overlay;
    /* journal since the last flush (owned arrays) */
    json_t *mutations, *events, *views, *logs;
    /* quotas and counts */
    uint32_t host_calls, nmutations, nevents;
    uint32_t calls[NXH_FN_COUNT];
    /* reply to the guest (reply_read) */
    nxv_buf reply;
    bool reply_pending;
    /* set when a host function ended the execution (a quota): code and message */
    nx_error stop_code;
    char stop_message[256];
    /* the extension call that suspended the execution */
    char *ext_name, *ext_method;
    json_t *ext_args;
} nxh_exec;

/* Starts an execution: takes ownership of `context` (a JSON object or NULL) and of
 * `state`, the indexed stateSnapshot (or NULL). */
void nxh_begin(nxh_exec *x, const nx_config *cfg, nxs_sandbox *sb, json_t *context,
               nxj_object *state);
/* Ends it: frees everything begin and the host functions allocated. */
void nxh_end(nxh_exec *x);

/* Moves the journal (stateMutations, events, viewCommands, logs) into `result` and
 * starts empty arrays (a flush). */
void nxh_flush(nxh_exec *x, json_t *result);

/* Sets the reply of the pending extension call before a resume and returns its reply
 * word: success with a JSON value (NULL: undefined), or an Error with a message. */
int64_t nxh_ext_reply(nxh_exec *x, bool success, const json_t *value, const char *error);

/* The hostCalls object of the metrics (new reference). */
json_t *nxh_host_calls_json(const nxh_exec *x);

#endif /* NXR_HOST_H */
