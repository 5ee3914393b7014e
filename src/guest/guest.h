/*
 * guest.h — internal declarations shared by the files of the QuickJS guest shim
 * (the .c files of src/guest, compiled into nexus_guest.wasm): the guest's global state, the
 * growable byte buffer, the MessagePack codec (codec.c), the handler API installed as
 * globals (api.c) and the host imports (declared here, implemented by the host as
 * documented in nexus_guest_abi.h).
 */
#ifndef NEXUS_GUEST_H
#define NEXUS_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus_guest_abi.h"
#include "quickjs.h"

/* ---------------------------------------------------------------- byte buffers */

/* A growable byte buffer (malloc'd). `failed` is set, and later appends are ignored,
 * once an allocation failed. */
typedef struct nxg_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed;
} nxg_buf;

/* Makes room for `n` more bytes; false (and buf->failed) when out of memory. */
bool nxg_buf_reserve(nxg_buf *buf, size_t n);
/* Appends bytes (ignored after a failure). */
void nxg_buf_put(nxg_buf *buf, const void *src, size_t n);
/* Frees the data and empties the buffer. */
void nxg_buf_free(nxg_buf *buf);

/* ---------------------------------------------------------------- guest state */

/* Everything the shim keeps between calls (one instance = one guest). */
typedef struct nxg_guest {
    JSRuntime *rt;
    JSContext *ctx;          /* handlers run here: no eval, no Function constructor */
    JSContext *compile_ctx;  /* compiles handler sources (needs the eval intrinsic) */
    size_t heap_limit;       /* QuickJS heap limit in bytes (0: none) */
    size_t run_stack;        /* QuickJS C-stack limit while running handlers */
    size_t compile_stack;    /* QuickJS C-stack limit while compiling */
    bool oom;                /* an allocation was refused since the call began */
    uintptr_t stack_floor;   /* lowest C stack address the shim's own recursion uses */
    nxg_buf output;          /* output of the last nxg_compile / nxg_run */
    JSValue extensions;      /* the run's extension registry (object) or undefined */
    JSAtom atom_args;        /* "$args" */
    JSAtom atom_scope;       /* "$scope" */
    bool context_set;        /* $args/$scope were given by a run (since the snapshot) */
    uint64_t rng[2];         /* Math.random state (xorshift128+) */
    bool rng_seeded;         /* rng seeded for this execution */
} nxg_guest;

/* The one guest of this instance. */
extern nxg_guest nxg_g;

/* True when the C stack is within a safety margin of the floor: the shim's recursive
 * code (codec) then stops with a RangeError instead of overflowing. */
static inline bool nxg_stack_low(void)
{
    return (uintptr_t)__builtin_frame_address(0) < nxg_g.stack_floor + 16384;
}

/* ---------------------------------------------------------------- codec (codec.c) */

/* Appends the MessagePack encoding of `val` (mapping in nexus_guest_abi.h). Returns 0,
 * or -1 with a JavaScript exception pending (cycle, depth, BigInt range, out of memory,
 * or an exception thrown by a getter/toJSON/proxy trap run during the encoding). */
int nxg_encode(JSContext *ctx, nxg_buf *out, JSValueConst val);

/* Decodes one MessagePack value from data[0..len) that must span exactly that value.
 * Returns the value, or JS_EXCEPTION with an exception pending (malformed input,
 * unsupported type, depth). */
JSValue nxg_decode(JSContext *ctx, const uint8_t *data, size_t len);

/* Decodes the values of the str keys `names[0..n)` of the MessagePack map in data[0..len)
 * into vals (left untouched for absent keys; other keys are checked and skipped); with
 * `frozen`, every array and object made is read-only as after Object.freeze. Returns 0,
 * or -1 with an exception pending (vals already set are freed). */
int nxg_decode_fields(JSContext *ctx, const uint8_t *data, size_t len, const char *const *names,
                      int n, JSValue *vals, bool frozen);

/* MessagePack writers used outside the codec (error maps). */
void nxg_mp_map_header(nxg_buf *out, uint32_t n);
void nxg_mp_str(nxg_buf *out, const char *s, size_t len);
void nxg_mp_int(nxg_buf *out, int64_t v);

/* ---------------------------------------------------------------- API (api.c) */

/* Installs $state, $emit, $view, $ext, $log, console and Math.random in ctx's global
 * object, and replaces eval / Function constructors with functions that throw a clear
 * error. Returns 0 or -1 (out of memory). */
int nxg_api_install(JSContext *ctx);

/* Defines the per-execution globals $args and $scope (read-only bindings to values the
 * caller froze; undefined = absent) and keeps the extension registry (undefined for
 * "any"). Takes ownership of the values. Returns 0 or -1 with an exception pending. */
int nxg_api_begin_run(JSContext *ctx, JSValue args, JSValue scope, JSValue extensions);

/* Turns an error reply of an import into a thrown Error (the return value is
 * JS_EXCEPTION); `len` is the reply length. */
JSValue nxg_throw_reply_error(JSContext *ctx, uint32_t len, const char *what);

/* Reads the pending reply (len bytes) and decodes it; JS_EXCEPTION on failure. */
JSValue nxg_read_reply_value(JSContext *ctx, uint32_t len);

/* ---------------------------------------------------------------- host imports */

#define NXG_IMPORT(name) __attribute__((import_module(NXG_IMPORT_MODULE), import_name(name)))

NXG_IMPORT(NXG_IMPORT_STATE_GET) int64_t nxg_host_state_get(const char *key, uint32_t key_len);
NXG_IMPORT(NXG_IMPORT_STATE_SET)
int64_t nxg_host_state_set(const char *key, uint32_t key_len, const uint8_t *val, uint32_t len);
NXG_IMPORT(NXG_IMPORT_STATE_DELETE) int64_t nxg_host_state_delete(const char *key, uint32_t len);
NXG_IMPORT(NXG_IMPORT_STATE_HAS) int64_t nxg_host_state_has(const char *key, uint32_t len);
NXG_IMPORT(NXG_IMPORT_STATE_KEYS) int64_t nxg_host_state_keys(void);
NXG_IMPORT(NXG_IMPORT_EMIT)
int64_t nxg_host_emit(const char *name, uint32_t name_len, const uint8_t *payload, uint32_t len);
NXG_IMPORT(NXG_IMPORT_VIEW)
int64_t nxg_host_view(const char *type, uint32_t type_len, const char *id, uint32_t id_len,
                      const uint8_t *args, uint32_t args_len);
NXG_IMPORT(NXG_IMPORT_LOG) int64_t nxg_host_log(int32_t level, const char *msg, uint32_t len);
NXG_IMPORT(NXG_IMPORT_EXT_CALL)
int64_t nxg_host_ext_call(const char *name, uint32_t name_len, const char *method,
                          uint32_t method_len, const uint8_t *args, uint32_t args_len);
NXG_IMPORT(NXG_IMPORT_REPLY_READ) void nxg_host_reply_read(void *dst, uint32_t len);
NXG_IMPORT(NXG_IMPORT_NOW) double nxg_host_now(void);
NXG_IMPORT(NXG_IMPORT_RANDOM) int64_t nxg_host_random(void);

#endif /* NEXUS_GUEST_H */
