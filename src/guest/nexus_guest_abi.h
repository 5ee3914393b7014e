/*
 * nexus_guest_abi.h — the contract between the QuickJS guest module (nexus_guest.wasm,
 * built from src/guest) and the host that runs it through the Nexus engine (the handler
 * runtime, the guest tests). Both sides include this header: the guest to implement it,
 * the host to call it. It holds only constants; everything the host needs to know is
 * written here.
 *
 * Life of an instance
 *   1. Instantiate the module with the engine limits of the instance (nxw_limits); call
 *      the export "_initialize" (no arguments; it runs the C library's constructors), then
 *      nxg_init(memory_limit, stack_limit) with those same limits.
 *   2. Snapshot the instance (nxw_snapshot_take). Every execution starts from a reset to
 *      that snapshot, so no JavaScript state survives from one execution to the next.
 *   3. Compile: put the source in guest memory (nxg_alloc + nxw_memory_write), call
 *      nxg_compile; on NXG_OK the output is a code blob (below) the host may cache.
 *   4. Run: put the code blob and the context in guest memory, call nxg_run. It returns a
 *      status, or the engine returns NXW_SUSPENDED when the handler called $ext (the host
 *      answers with nxw_resume, see NXG_IMPORT_EXT_CALL). The output holds the return
 *      value (NXG_OK) or an error map (any other status).
 *   5. Reset the instance to the snapshot (also after traps, timeouts, memory limits).
 *
 * Buffers and ownership
 *   - Input buffers are allocated by the host with nxg_alloc and written by it; the guest
 *     only reads them during the call. They vanish at the next reset (or nxg_free them).
 *   - The output of nxg_compile / nxg_run is owned by the guest: nxg_output_ptr() and
 *     nxg_output_len() locate it; it stays valid until the next call into the guest.
 *   - Host -> guest data during a run (state values, extension results, error details)
 *     travels by "reply": an import returns an i64 reply word (below) and keeps the bytes;
 *     the guest copies them with the import reply_read(dst, len) before it makes any other
 *     import call. A reply is read at most once; an empty reply is never read.
 *
 * Value encoding: MessagePack (https://msgpack.org/), chosen over JSON by measurement
 * (src/guest/README.md): faster on both sides, and it represents -0, NaN, ±Infinity and
 * 64-bit integers exactly. Mapping of JavaScript values (JSON.stringify's choices, except
 * for numbers and BigInt):
 *   - null -> nil; booleans -> bool; strings -> str (UTF-8; embedded NUL kept; a lone
 *     surrogate becomes U+FFFD).
 *   - numbers: an integer with |n| <= 2^53-1 (and not -0) -> int (smallest form); any
 *     other number, including -0, NaN, ±Infinity, fractions and larger integers ->
 *     float64.
 *   - BigInt -> int when it fits int64 or uint64, else a RangeError.
 *   - arrays -> array (holes and undefined/function/symbol elements -> nil); other
 *     objects -> map of their own enumerable string keys in property order (properties
 *     whose value is undefined, a function or a symbol are left out; getters run once);
 *     an object with a toJSON method is encoded as what that method returns (a Date ->
 *     its ISO string); Map, Set and other exotic objects -> their own enumerable
 *     properties (usually {}).
 *   - undefined, a function or a symbol as the whole value -> nil.
 *   - a cyclic value, or nesting deeper than NXG_MAX_DEPTH -> a TypeError / RangeError
 *     thrown in the handler (for the return value: NXG_ERR_EXCEPTION).
 *   Decoding (host -> guest): nil -> null, int with |n| <= 2^53-1 -> number, other ints ->
 *   BigInt, float32/float64 -> number, str -> string, array -> array, map with str keys ->
 *   plain object ("__proto__" becomes an own property). bin, ext and non-string map keys
 *   are rejected with a TypeError, as is malformed or truncated input.
 *
 * Reply word (i64 result of the state, emit, view, log and ext_call imports)
 *   bits 32..63: an nxg_reply status; bits 0..31: length in bytes of the reply.
 *   NXG_REPLY_OK      success; the reply is the MessagePack value (state_get, state_keys,
 *                     ext_call; for ext_call an empty reply means undefined) or empty.
 *   NXG_REPLY_ABSENT  state_get / state_has: no such key (the handler sees undefined /
 *                     false). The reply is empty.
 *   NXG_REPLY_ERROR   the operation failed and the handler gets an exception it can catch:
 *                     the reply is a MessagePack map with optional str keys "message",
 *                     "name" (default "Error") and "code" (e.g. "PERMISSION_DENIED"),
 *                     copied onto the Error as .message / .name / .code.
 *   To end the execution instead (quota exhausted), an import returns a trap
 *   (NXW_TRAP_HOST) to the engine; the instance must then be reset.
 *
 * Code blob (output of nxg_compile, input of nxg_run), little-endian:
 *   u32 NXG_CODE_MAGIC, u32 NXG_ABI_VERSION, u32 source length, u32 bytecode length, the
 *   source (for error snippets), the QuickJS bytecode. nxg_run refuses a blob with another
 *   magic or version or inconsistent lengths (NXG_ERR_INVALID_INPUT); it does not verify
 *   the bytecode itself, so the host must only pass blobs it produced (and check the
 *   integrity of cached ones).
 *
 * Context (input of nxg_run): a MessagePack map with optional keys
 *   "args"       any value -> $args (deeply frozen; null when absent)
 *   "scope"      any value -> $scope (deeply frozen; null when absent)
 *   "extensions" map: extension name -> array of method names. When present, $ext only
 *                offers these (others throw "unknown extension" / "unknown method");
 *                when absent, every name is passed to the host, which decides.
 *   An empty buffer (length 0) is the empty context.
 *
 * Error map (output for any status but NXG_OK): a MessagePack map with str keys
 *   "name" (e.g. "TypeError"), "message", "stack" (QuickJS's trace, may be empty),
 *   "line", "column" (ints, 1-based, in the handler's own source; 0 when unknown),
 *   "snippet" (that source line, at most 200 bytes; may be empty), and "code" (str) when
 *   the thrown value had a string .code (e.g. from an error reply). Syntax errors give the
 *   exact column of the offending token (UTF-16 units); for runtime errors QuickJS
 *   2021-03-27 records lines only, so the column is that of the line's first non-blank
 *   character. A value thrown that is not an object has no location.
 */
#ifndef NEXUS_GUEST_ABI_H
#define NEXUS_GUEST_ABI_H

/* Version of this contract, stored in code blobs; bumped on any incompatible change. */
#define NXG_ABI_VERSION 1u
/* "NXQJ" read as a little-endian u32: first word of a code blob. */
#define NXG_CODE_MAGIC 0x4A51584Eu
/* Size of the code blob header in bytes. */
#define NXG_CODE_HEADER_SIZE 16u
/* Deepest nesting of arrays/objects the codec accepts, both directions. */
#define NXG_MAX_DEPTH 256
/* File name QuickJS shows for handler code in stack traces. */
#define NXG_HANDLER_FILENAME "handler.js"
/* Bytes of C stack the module is linked with (the shadow stack in linear memory). */
#define NXG_STACK_SIZE (512u * 1024u)
/* Engine stack bytes per byte of QuickJS stack (see nxg_init): measured worst cases 16
 * while running handlers and 42 while compiling, plus a margin. */
#define NXG_RUN_STACK_RATIO 24u
#define NXG_COMPILE_STACK_RATIO 56u

/* Results of nxg_init, nxg_compile and nxg_run. */
typedef enum nxg_status {
    NXG_OK = 0,                /* success; output: code blob or return value */
    NXG_ERR_SYNTAX = 1,        /* nxg_compile: syntax error (-> COMPILATION_ERROR) */
    NXG_ERR_EXCEPTION = 2,     /* uncaught exception, rejected promise, unencodable return
                                  value, or a handler that never settles (-> the error
                                  map's code if any, else EXECUTION_ERROR) */
    NXG_ERR_MEMORY_LIMIT = 3,  /* the QuickJS heap limit or the linear memory limit was hit
                                  during the call, even if the handler caught the error
                                  (-> MEMORY_LIMIT) */
    NXG_ERR_INVALID_INPUT = 4, /* not a code blob of this version, or a malformed context
                                  (-> INVALID_HANDLER / INTERNAL_ERROR) */
    NXG_ERR_INTERNAL = 5,      /* nxg_init missing, repeated or failed (-> INTERNAL_ERROR) */
} nxg_status;

/* Reply statuses, in bits 32..63 of an import's i64 result. */
typedef enum nxg_reply {
    NXG_REPLY_OK = 0,
    NXG_REPLY_ABSENT = 1,
    NXG_REPLY_ERROR = 2,
} nxg_reply;

/* Log levels of the log import. */
typedef enum nxg_log_level {
    NXG_LOG_DEBUG = 0, /* $log.debug, console.debug */
    NXG_LOG_INFO = 1,  /* $log, $log.info, console.log, console.info */
    NXG_LOG_WARN = 2,  /* $log.warn, console.warn */
    NXG_LOG_ERROR = 3, /* $log.error, console.error */
} nxg_log_level;

/* ---------------------------------------------------------------- exports
 * Name of each export, with its engine signature (nxw_linker_define_host notation).
 * Pointers and lengths are i32 (unsigned). The module also exports its "memory". */

/* "()": the C library's constructors; call once, before nxg_init. */
#define NXG_EXPORT_INITIALIZE "_initialize"
/* "(i)i": allocate n bytes of guest memory for an input buffer; 0 when out of memory. */
#define NXG_EXPORT_ALLOC "nxg_alloc"
/* "(i)": free a buffer from nxg_alloc (0 allowed). */
#define NXG_EXPORT_FREE "nxg_free"
/* "(ii)i": nxg_init(memory_limit, stack_limit) -> nxg_status. Pass the instance's engine
 * limits: memory_limit = nxw_limits.memory_bytes (0: none) and stack_limit =
 * nxw_limits.stack_bytes (0: the engine's default, 1 MiB). The QuickJS heap limit is the
 * memory limit less the module's static data and stack and a reserve (1/16, at least
 * 256 KiB) for the handling of the error. QuickJS's stack limit is the engine stack
 * divided by NXG_RUN_STACK_RATIO (by NXG_COMPILE_STACK_RATIO while compiling), so its
 * recursion ends in a catchable "stack overflow" error before the engine's stack is
 * exhausted. With 1 MiB of engine stack a plain recursive function reaches a depth of
 * about 160 (give the engine more stack for deeper recursion; the module's own C stack,
 * NXG_STACK_SIZE, caps QuickJS's limit at about 400 KiB, reached with 10 MiB of engine
 * stack). After nxg_init the instance's linear memory is about 704 KiB; a 1 MiB memory
 * limit still runs small handlers. Creates the QuickJS runtime and contexts and installs
 * the handler API. Call once per instance, before snapshotting. Returns NXG_ERR_INTERNAL
 * when called twice. */
#define NXG_EXPORT_INIT "nxg_init"
/* "(ii)i": nxg_compile(source_ptr, source_len) -> nxg_status. The source (UTF-8) is the
 * body of an async function. Output: the code blob (NXG_OK) or an error map
 * (NXG_ERR_SYNTAX, located at the offending token; NXG_ERR_MEMORY_LIMIT). */
#define NXG_EXPORT_COMPILE "nxg_compile"
/* "(iiii)i": nxg_run(code_ptr, code_len, context_ptr, context_len) -> nxg_status.
 * Output: the MessagePack return value (NXG_OK) or an error map. */
#define NXG_EXPORT_RUN "nxg_run"
/* "()i" each: address and length of the output of the last nxg_compile / nxg_run. */
#define NXG_EXPORT_OUTPUT_PTR "nxg_output_ptr"
#define NXG_EXPORT_OUTPUT_LEN "nxg_output_len"

/* ---------------------------------------------------------------- imports
 * Every import of the module is a function of module NXG_IMPORT_MODULE (no WASI). Name
 * and signature of each: */
#define NXG_IMPORT_MODULE "nexus"

/* state_get(key_ptr, key_len): OK + MessagePack value, or ABSENT. */
#define NXG_IMPORT_STATE_GET "state_get"
#define NXG_SIG_STATE_GET "(ii)I"
/* state_set(key_ptr, key_len, value_ptr, value_len): value is MessagePack. Assigning
 * undefined, a function or a symbol to a key calls state_delete instead. */
#define NXG_IMPORT_STATE_SET "state_set"
#define NXG_SIG_STATE_SET "(iiii)I"
/* state_delete(key_ptr, key_len): OK (also when the key was absent). */
#define NXG_IMPORT_STATE_DELETE "state_delete"
#define NXG_SIG_STATE_DELETE "(ii)I"
/* state_has(key_ptr, key_len): OK (present) or ABSENT. */
#define NXG_IMPORT_STATE_HAS "state_has"
#define NXG_SIG_STATE_HAS "(ii)I"
/* state_keys(): OK + MessagePack array of the key strings (Object.keys($state), for-in,
 * spreading; each key listed is then read with state_get). */
#define NXG_IMPORT_STATE_KEYS "state_keys"
#define NXG_SIG_STATE_KEYS "()I"
/* emit(name_ptr, name_len, payload_ptr, payload_len): $emit(name, payload); the payload
 * is MessagePack (nil when omitted). */
#define NXG_IMPORT_EMIT "emit"
#define NXG_SIG_EMIT "(iiii)I"
/* view(type_ptr, type_len, id_ptr, id_len, args_ptr, args_len): a view command. type is
 * "setFilter" (args [value]), "scrollTo" (args [position]), "focus" (args []) or the type
 * given to $view.command(type, id, args) (args: its third argument encoded, nil when
 * omitted). id is the component id. */
#define NXG_IMPORT_VIEW "view"
#define NXG_SIG_VIEW "(iiiiii)I"
/* log(level, msg_ptr, msg_len): one log line (UTF-8 text) at an nxg_log_level. The
 * arguments are joined by spaces: strings as they are, errors as "Name: message" and
 * their stack, other values as JSON (String(value) when JSON fails). */
#define NXG_IMPORT_LOG "log"
#define NXG_SIG_LOG "(iii)I"
/* ext_call(name_ptr, name_len, method_ptr, method_len, args_ptr, args_len):
 * $ext.NAME.METHOD(...args), args a MessagePack array. The handler gets a promise. The
 * host normally returns NXW_TRAP_SUSPEND (the engine suspends the whole run) and later
 * continues it with nxw_resume(store, &reply_word, 1, ...): OK + MessagePack value fulfils
 * the promise, ERROR + error map rejects it. The host may also answer at once without
 * suspending (e.g. ERROR for a denied capability). The call happens when the handler
 * makes it, not when it awaits the promise. */
#define NXG_IMPORT_EXT_CALL "ext_call"
#define NXG_SIG_EXT_CALL "(iiiiii)I"
/* reply_read(dst_ptr, len): copy the pending reply (exactly len bytes, as given by the
 * reply word) into guest memory at dst_ptr. */
#define NXG_IMPORT_REPLY_READ "reply_read"
#define NXG_SIG_REPLY_READ "(ii)"
/* now(): wall-clock time in milliseconds since 1970 (Date.now(), new Date()). */
#define NXG_IMPORT_NOW "now"
#define NXG_SIG_NOW "()F"
/* random(): 64 random bits; seeds Math.random once per execution (at its first use). */
#define NXG_IMPORT_RANDOM "random"
#define NXG_SIG_RANDOM "()I"

/* Builds / splits a reply word. */
#define NXG_REPLY_WORD(status, len) (((int64_t)(status) << 32) | (int64_t)(uint32_t)(len))
#define NXG_REPLY_STATUS(word) ((int32_t)((uint64_t)(word) >> 32))
#define NXG_REPLY_LEN(word) ((uint32_t)((uint64_t)(word)&0xFFFFFFFFu))

#endif /* NEXUS_GUEST_ABI_H */
