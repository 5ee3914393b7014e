/*
 * nexus_wasm.h — public API of the Nexus WebAssembly engine.
 *
 * The engine decodes, validates and runs WebAssembly 2.0 modules, fixed-width SIMD
 * included; optional features can be turned off per module (nxw_features).
 * Objects and ownership:
 *   - nxw_module   an immutable, validated and pre-translated module. Thread-safe to
 *                  share; must outlive every instance made from it.
 *   - nxw_store    owns every runtime object (instances, functions, memories, tables,
 *                  globals) created in it; freeing the store frees them all. A store is
 *                  used by one thread at a time.
 *   - nxw_linker   a name table (module, name) -> import definition used to resolve the
 *                  imports of a module at instantiation.
 * There is no global mutable state: any number of modules, stores and linkers may exist
 * in one process, with one thread per running store.
 *
 * Every fallible call returns an nxw_status and, when `err` is non-NULL, fills an
 * nxw_error with a specific message (byte offset for malformed input, function index
 * and name for traps).
 */
#ifndef NEXUS_WASM_H
#define NEXUS_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- values */

/* Value types, numbered as in the binary format. */
typedef enum nxw_valtype {
    NXW_I32 = 0x7F,
    NXW_I64 = 0x7E,
    NXW_F32 = 0x7D,
    NXW_F64 = 0x7C,
    NXW_V128 = 0x7B,      /* 128-bit vector (the SIMD feature) */
    NXW_FUNCREF = 0x70,
    NXW_EXTERNREF = 0x6F,
} nxw_valtype;

typedef struct nxw_func nxw_func;         /* a function instance (wasm or host) */
typedef struct nxw_memory nxw_memory;     /* a linear memory instance */
typedef struct nxw_table nxw_table;       /* a table instance */
typedef struct nxw_global nxw_global;     /* a global instance */
typedef struct nxw_instance nxw_instance; /* a module instance */
typedef struct nxw_module nxw_module;     /* a validated module */
typedef struct nxw_store nxw_store;       /* owner of runtime objects */
typedef struct nxw_linker nxw_linker;     /* import resolver */

/* A typed WebAssembly value. Floats are carried by their bit patterns so NaN payloads
 * survive the API unchanged. A null reference is a NULL pointer; an externref is any
 * embedder pointer (non-NULL). A v128 is its 16 bytes in WebAssembly's byte order (as
 * v128.store would write them): lane i of an i32x4 is bytes 4i..4i+3, little-endian. */
typedef struct nxw_value {
    nxw_valtype type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        nxw_func *funcref;
        void *externref;
        uint8_t v128[16];
    } of;
} nxw_value;

/* ---------------------------------------------------------------- errors */

/* Outcome of a fallible call. */
typedef enum nxw_status {
    NXW_OK = 0,
    NXW_ERR_MALFORMED,  /* the binary does not decode (offset + reason in nxw_error) */
    NXW_ERR_INVALID,    /* the module decodes but fails validation */
    NXW_ERR_UNLINKABLE, /* an import is missing or does not match its definition */
    NXW_ERR_TRAP,       /* execution trapped (nxw_error.trap says why) */
    NXW_ERR_NOMEM,      /* allocation failed or a size exceeds implementation limits */
    NXW_ERR_ARGUMENT,   /* bad use of the API (wrong argument count or type, ...) */
    NXW_ERR_LIMIT,      /* a store limit forbids it (e.g. initial memory above the limit) */
    NXW_SUSPENDED,      /* not an error: a host function suspended the run; see nxw_resume */
} nxw_status;

/* Why execution stopped abnormally. */
typedef enum nxw_trap {
    NXW_TRAP_NONE = 0,
    NXW_TRAP_UNREACHABLE,          /* "unreachable" executed */
    NXW_TRAP_MEMORY_OOB,           /* memory access out of bounds */
    NXW_TRAP_TABLE_OOB,            /* table access (or call_indirect index) out of bounds */
    NXW_TRAP_INDIRECT_MISMATCH,    /* call_indirect signature mismatch */
    NXW_TRAP_UNINITIALIZED,        /* call_indirect through a null element */
    NXW_TRAP_DIV_BY_ZERO,          /* integer divide (or remainder) by zero */
    NXW_TRAP_INT_OVERFLOW,         /* integer overflow (INT_MIN / -1, trunc out of range) */
    NXW_TRAP_INVALID_CONVERSION,   /* float NaN converted to integer */
    NXW_TRAP_STACK_EXHAUSTED,      /* call stack exhausted */
    NXW_TRAP_HOST,                 /* a host function reported an error */
    NXW_TRAP_EXIT,                 /* a host function asked to stop (e.g. WASI proc_exit) */
    NXW_TRAP_TIMEOUT,              /* the store's deadline passed ("execution timed out") */
    NXW_TRAP_INTERRUPTED,          /* nxw_store_interrupt was called ("interrupted") */
    NXW_TRAP_FUEL,                 /* the fuel limit was reached ("fuel exhausted") */
    NXW_TRAP_SUSPEND,              /* returned by a host function to suspend the run (never
                                      reported as a trap: the call returns NXW_SUSPENDED) */
    NXW_TRAP__COUNT
} nxw_trap;

/* Details of a failure. `offset` is a byte offset into the module binary (or SIZE_MAX);
 * `func_index` is the function where the error arose (or UINT32_MAX). */
typedef struct nxw_error {
    nxw_status status;
    nxw_trap trap;
    size_t offset;
    uint32_t func_index;
    char message[320];
} nxw_error;

/* Short constant description of a trap code, e.g. "integer divide by zero". */
const char *nxw_trap_message(nxw_trap trap);
/* Short constant description of a status code, e.g. "malformed module". */
const char *nxw_status_message(nxw_status status);

/* ---------------------------------------------------------------- modules */

/* Decodes, validates and translates `len` bytes into a module. The bytes are copied;
 * the caller keeps ownership of `bytes`. On success *out owns the module (free with
 * nxw_module_free, after every instance made from it is gone). Every feature of
 * nxw_features is enabled. */
nxw_status nxw_module_new(const uint8_t *bytes, size_t len, nxw_module **out, nxw_error *err);

/* Optional parts of WebAssembly 2.0. A module that uses a disabled feature fails
 * validation (NXW_ERR_INVALID) with a message naming the feature, e.g. "SIMD is
 * disabled (feature simd): v128.load in function 3 at offset 120". */
typedef struct nxw_features {
    bool simd;        /* fixed-width SIMD: the v128 type (in function types, locals,
                         globals, blocks, select) and every 0xFD-prefixed instruction */
    bool bulk_memory; /* bulk memory: memory.copy, memory.fill, memory.init, data.drop,
                         table.copy, table.init, elem.drop, passive data and element
                         segments, and the data count section */
} nxw_features;

/* Every feature enabled: the default of nxw_module_new. */
nxw_features nxw_features_all(void);

/* nxw_module_new with a choice of features (NULL: nxw_features_all()). */
nxw_status nxw_module_new_with_features(const uint8_t *bytes, size_t len,
                                        const nxw_features *features, nxw_module **out,
                                        nxw_error *err);

/* Frees a module. NULL is allowed. */
void nxw_module_free(nxw_module *module);

/* Kinds of imports and exports, numbered as in the binary format. */
typedef enum nxw_externkind {
    NXW_EXTERN_FUNC = 0,
    NXW_EXTERN_TABLE = 1,
    NXW_EXTERN_MEMORY = 2,
    NXW_EXTERN_GLOBAL = 3,
} nxw_externkind;

/* Number of imports/exports and their names (not NUL-terminated: use the lengths). */
uint32_t nxw_module_import_count(const nxw_module *m);
void nxw_module_import(const nxw_module *m, uint32_t i, const char **module, size_t *module_len,
                       const char **name, size_t *name_len, nxw_externkind *kind);
uint32_t nxw_module_export_count(const nxw_module *m);
void nxw_module_export(const nxw_module *m, uint32_t i, const char **name, size_t *name_len,
                       nxw_externkind *kind);

/* Name of function `func_index` from the `name` custom section, or NULL. */
const char *nxw_module_func_name(const nxw_module *m, uint32_t func_index);

/* Number of custom sections, and the name and payload of the i-th one (both point into
 * the module and live as long as it). */
uint32_t nxw_module_custom_count(const nxw_module *m);
void nxw_module_custom(const nxw_module *m, uint32_t i, const char **name, size_t *name_len,
                       const uint8_t **data, size_t *data_len);

/* ---------------------------------------------------------------- stores */

/* Creates an empty store. Returns NULL when out of memory. */
nxw_store *nxw_store_new(void);

/* Frees a store and every object created in it. NULL is allowed. */
void nxw_store_free(nxw_store *store);

/* Limits that bound a store's execution. Zero fields mean "engine default". */
typedef struct nxw_limits {
    size_t stack_bytes;      /* the engine's own call stack: frame records and value slots
                                together (default 1 MiB, at least 16 KiB). Deep recursion,
                                including through host functions, traps with
                                NXW_TRAP_STACK_EXHAUSTED and never overflows the C stack. */
    uint64_t memory_bytes;   /* maximum size of every linear memory created in the store
                                from now on (default: 4 GiB, the 32-bit maximum). A grow
                                beyond it returns -1; an initial size above it fails
                                instantiation with NXW_ERR_LIMIT. */
    uint32_t max_call_depth; /* optional further bound on nested wasm calls (frames);
                                0 = only stack_bytes bounds them */
} nxw_limits;

/* Sets the store's limits. Ignored while the store runs or is suspended. */
void nxw_store_set_limits(nxw_store *store, const nxw_limits *limits);

/* Current monotonic time in nanoseconds (CLOCK_MONOTONIC), the clock of deadlines. */
uint64_t nxw_now_ns(void);

/* Sets the absolute deadline (nxw_now_ns() clock) after which running code traps with
 * NXW_TRAP_TIMEOUT; 0 removes it. Checked at loop back-edges, function entries and
 * after host calls, so a run stops within about 0.1 ms of the deadline (plus the time of
 * a host call in progress). */
void nxw_store_set_deadline(nxw_store *store, uint64_t deadline_ns);

/* Sets the fuel limit of each run (0 = unlimited). Fuel counts executed WebAssembly
 * instructions approximately (charged per loop iteration and function entry by the
 * static length of the code between checks; bulk memory and table operations also by
 * size). A run that reaches the limit traps with NXW_TRAP_FUEL. */
void nxw_store_set_fuel(nxw_store *store, uint64_t fuel_limit);

/* Fuel consumed by the last run (nxw_func_call and its resumptions), also while it is
 * suspended or after it trapped. */
uint64_t nxw_store_fuel_used(const nxw_store *store);

/* Asks the code running in the store to stop: it traps with NXW_TRAP_INTERRUPTED within
 * about 0.1 ms. Safe to call from any thread at any time. The request is sticky: every
 * later run traps at once until nxw_store_clear_interrupt. */
void nxw_store_interrupt(nxw_store *store);
/* Withdraws an interrupt request (call it only when the store is not running). */
void nxw_store_clear_interrupt(nxw_store *store);

/* Usage of a linear memory. */
typedef struct nxw_memory_stats {
    uint64_t size_bytes;   /* current size */
    uint64_t peak_bytes;   /* largest size since creation or the last reset */
    uint64_t limit_bytes;  /* the most it may grow to (declared maximum or store limit) */
    bool grow_refused;     /* a memory.grow failed since creation or the last reset */
} nxw_memory_stats;

/* ---------------------------------------------------------------- externs */

/* A reference to one importable/exportable object of a store. */
typedef struct nxw_extern {
    nxw_externkind kind;
    union {
        nxw_func *func;
        nxw_table *table;
        nxw_memory *memory;
        nxw_global *global;
    } of;
} nxw_extern;

/* Creates a memory of `min` pages (64 KiB), at most `max` pages (has_max false: 65536). */
nxw_status nxw_memory_new(nxw_store *s, uint32_t min, uint32_t max, bool has_max, nxw_memory **out,
                          nxw_error *err);
/* Creates a table of `min` null elements of type funcref or externref. */
nxw_status nxw_table_new(nxw_store *s, nxw_valtype elem, uint32_t min, uint32_t max, bool has_max,
                         nxw_table **out, nxw_error *err);
/* Creates a global holding `init` (its type is init.type). */
nxw_status nxw_global_new(nxw_store *s, nxw_value init, bool mutable_, nxw_global **out,
                          nxw_error *err);

/* Reads a global's value. */
nxw_value nxw_global_get(const nxw_global *g);

/* Memory accessors. Sizes are in bytes. A pointer returned by nxw_memory_span stays
 * valid until the memory grows; it is NULL when [addr, addr+len) is out of bounds. */
size_t nxw_memory_size(const nxw_memory *mem);
uint8_t *nxw_memory_span(nxw_memory *mem, uint64_t addr, uint64_t len);
/* Copies out of / into memory with bounds checks; false (nothing copied) if out of bounds. */
bool nxw_memory_read(const nxw_memory *mem, uint64_t addr, void *dst, size_t len);
bool nxw_memory_write(nxw_memory *mem, uint64_t addr, const void *src, size_t len);

/* ---------------------------------------------------------------- host functions */

/* What a host function sees of its call: the calling instance (NULL when called directly
 * from the embedder) and room to explain a failure. */
typedef struct nxw_call {
    nxw_instance *caller;
    char message[256]; /* filled by the callback when it returns a trap */
    int exit_code;     /* meaningful when the callback returns NXW_TRAP_EXIT */
} nxw_call;

/* A host function. Reads args (already type-checked against the declared signature) and
 * writes results (their `type` preset). Returns NXW_TRAP_NONE on success, or a trap code
 * (NXW_TRAP_HOST with call->message set, NXW_TRAP_EXIT with call->exit_code, ...). */
typedef nxw_trap (*nxw_host_fn)(nxw_call *call, void *user, const nxw_value *args,
                                nxw_value *results);

/* ---------------------------------------------------------------- linker */

/* Creates an empty linker; NULL when out of memory. */
nxw_linker *nxw_linker_new(void);
/* Frees a linker (not the objects its definitions refer to). NULL is allowed. */
void nxw_linker_free(nxw_linker *l);

/* Defines host function module.name with signature `sig`, written "(PARAMS)RESULTS"
 * with one letter per type: i=i32 I=i64 f=f32 F=f64 v=v128 r=funcref x=externref, e.g.
 * "(iiii)i". The function is created in each store it is instantiated into. */
nxw_status nxw_linker_define_host(nxw_linker *l, const char *module, const char *name,
                                  const char *sig, nxw_host_fn fn, void *user, nxw_error *err);
/* Defines module.name as an existing store object. Names are byte strings with lengths. */
nxw_status nxw_linker_define(nxw_linker *l, const char *module, size_t module_len,
                             const char *name, size_t name_len, nxw_extern ext, nxw_error *err);
/* Defines every export of `inst` under module name `module` (the testsuite's `register`). */
nxw_status nxw_linker_define_instance(nxw_linker *l, const char *module, size_t module_len,
                                      nxw_instance *inst, nxw_error *err);

/* ---------------------------------------------------------------- instances */

/* Instantiates `m` in store `s`, resolving imports through `l` (may be NULL when the
 * module has no imports): creates its objects, evaluates segments, runs the start
 * function. On success *out belongs to the store. */
nxw_status nxw_instantiate(nxw_store *s, const nxw_module *m, const nxw_linker *l,
                           nxw_instance **out, nxw_error *err);

/* Looks up an export by name (byte string). False when there is none. */
bool nxw_instance_export(const nxw_instance *inst, const char *name, size_t name_len,
                         nxw_extern *out);
/* The instance's memory 0, or NULL when it has none. */
nxw_memory *nxw_instance_memory(const nxw_instance *inst);
/* The module the instance was made from. */
const nxw_module *nxw_instance_module(const nxw_instance *inst);

/* Parameter and result types of a function. */
uint32_t nxw_func_param_count(const nxw_func *f);
uint32_t nxw_func_result_count(const nxw_func *f);
nxw_valtype nxw_func_param_type(const nxw_func *f, uint32_t i);
nxw_valtype nxw_func_result_type(const nxw_func *f, uint32_t i);

/* Calls `f` with `nargs` args (types must match the signature) and writes its results
 * to `results` (room for nxw_func_result_count(f)). A trap returns NXW_ERR_TRAP with
 * err->trap, err->func_index and a message such as
 * "integer divide by zero in function 12 <parse_header>". For NXW_TRAP_EXIT the exit
 * code is in *exit_code when exit_code is non-NULL. */
nxw_status nxw_func_call(nxw_store *s, nxw_func *f, const nxw_value *args, uint32_t nargs,
                         nxw_value *results, uint32_t nresults, int *exit_code, nxw_error *err);

/* ---------------------------------------------------------------- suspend / resume */

/* A host function that returns NXW_TRAP_SUSPEND suspends the run: nxw_func_call returns
 * NXW_SUSPENDED, keeping the WebAssembly call stack inside the store. The embedder later
 * continues it with nxw_resume (the host call's results) or nxw_resume_trap (a trap
 * raised at the call site), or drops it with nxw_store_abandon. A run may suspend any
 * number of times. Only a host function called by the outermost run may suspend (one
 * called from wasm that a host function called traps with NXW_TRAP_HOST instead).
 * While a run is suspended, nxw_func_call on the store fails with NXW_ERR_ARGUMENT. */

/* True while the store holds a suspended run. */
bool nxw_store_suspended(const nxw_store *store);

/* The host function whose call suspended the run (NULL when not suspended). */
nxw_func *nxw_store_suspended_func(const nxw_store *store);

/* Continues a suspended run: `host_results` (typed as the suspending host function's
 * results) become that call's results. Returns like nxw_func_call: NXW_OK with the
 * run's results in `results` (room for the called function's result count), a trap,
 * or NXW_SUSPENDED again. */
nxw_status nxw_resume(nxw_store *s, const nxw_value *host_results, uint32_t nhost_results,
                      nxw_value *results, uint32_t nresults, int *exit_code, nxw_error *err);

/* Continues a suspended run by raising a trap at the suspended call site: `trap`
 * (NXW_TRAP_HOST when 0) with `message` (may be NULL). Returns NXW_ERR_TRAP. */
nxw_status nxw_resume_trap(nxw_store *s, nxw_trap trap, const char *message, nxw_error *err);

/* Drops a suspended run (no effect when none). Its frames are released; the instance's
 * memory keeps whatever the run wrote (reset it to reuse it clean). */
void nxw_store_abandon(nxw_store *s);

/* ---------------------------------------------------------------- memory limits */

/* Usage figures of a memory. */
nxw_memory_stats nxw_memory_get_stats(const nxw_memory *mem);

/* ---------------------------------------------------------------- snapshots */

/* A snapshot of an instance's state: its own linear memory (kept in a memfd that every
 * instance made from the snapshot maps copy-on-write, so they share its clean pages),
 * its own globals and tables, and which segments were dropped. Imported memories,
 * tables and globals belong to others and are not part of it. A snapshot is immutable
 * and thread-safe; it is reference-counted, so it may be freed while instances made
 * from it live on. */
typedef struct nxw_snapshot nxw_snapshot;

/* Snapshots `inst` (which must not be running or suspended). Fails with
 * NXW_ERR_ARGUMENT when a table holds a function of another instance (such a reference
 * cannot be re-created). The caller owns *out (nxw_snapshot_free). */
nxw_status nxw_snapshot_take(nxw_instance *inst, nxw_snapshot **out, nxw_error *err);

/* Releases the caller's reference. NULL is allowed. */
void nxw_snapshot_free(nxw_snapshot *snap);

/* Creates an instance in `s` whose state is the snapshot's: imports are resolved
 * through `l` as by nxw_instantiate, but no segment is applied and the start function
 * is not run. Memory is mapped copy-on-write from the snapshot. */
nxw_status nxw_snapshot_instantiate(nxw_store *s, nxw_snapshot *snap, const nxw_linker *l,
                                    nxw_instance **out, nxw_error *err);

/* Restores `inst` (the snapshotted instance or one made from the snapshot) to the
 * snapshot's state. Memory costs time proportional to the pages written since the
 * last reset (the engine tracks written pages), not to the memory size. The store
 * must not be running; a suspended run is abandoned first. */
nxw_status nxw_instance_reset(nxw_instance *inst, const nxw_snapshot *snap, nxw_error *err);

/* ---------------------------------------------------------------- ahead-of-time code */

/* Native code for one module, made by nxw_aot_generate and compiled into the program
 * (the generated C defines a `const nxw_aot_code SYMBOL`). Functions of a module with
 * attached code run natively instead of in the interpreter, with the same semantics and
 * guarantees: bounds-checked memory, the same traps, fuel charged with the same static
 * counts (except that functions which call nothing charge only their loops), deadlines
 * and interrupts, max_call_depth, deep recursion trapping "call stack exhausted",
 * suspension and resumption (from any thread), snapshots and resets. Native code runs
 * on a stack the store allocates (about 8 times limits.stack_bytes, at least 8 MiB,
 * reserved but only touched as used). */
typedef struct nxw_aot_code nxw_aot_code;

/* Attaches `code` to `module`: instances created from now on run natively. Fails with
 * NXW_ERR_ARGUMENT, naming the mismatch, when the code was generated from another module
 * (length and hash of the bytes) or by another version of the engine. `code` must
 * outlive the module (it is normally a constant of the program). */
nxw_status nxw_module_attach_aot(nxw_module *module, const nxw_aot_code *code, nxw_error *err);

/* True when native code is attached to the module. */
bool nxw_module_has_aot(const nxw_module *module);

/* Translates a module into C: a header (written to `header`, to be saved as
 * `header_name`, which the parts #include) and `nparts` C files (parts[0..nparts)) that
 * together define `const nxw_aot_code symbol`. Compile them with the engine's internal
 * headers (src/wasm) on the include path and GNU C. Fails with NXW_ERR_INVALID naming
 * the function and instruction for what is not supported (SIMD: v128 values and
 * instructions) and NXW_ERR_NOMEM when writing fails. */
nxw_status nxw_aot_generate(const nxw_module *module, const char *symbol, const char *header_name,
                            FILE *header, FILE **parts, unsigned nparts, nxw_error *err);

#ifdef __cplusplus
}
#endif
#endif /* NEXUS_WASM_H */
