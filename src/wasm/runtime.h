/*
 * runtime.h — run-time objects of the engine (internal): stores, instances, functions,
 * memories, tables and globals, shared by instance.c (creation, linking, API) and
 * interp.c (execution).
 *
 * Ownership: a store owns every object created in it and frees them all in
 * nxw_store_free. Instances point at the module they came from (never owned).
 */
#ifndef NXW_RUNTIME_H
#define NXW_RUNTIME_H

#include "code.h"
#include "module.h"

#include <stdatomic.h>
#include <string.h>

struct nxw_module {
    wm_module m;
    const struct nxw_aot_code *aot; /* attached native code (aot.c) or NULL */
};

/* Native code of the ahead-of-time compiler (aot_rt.h): a function as its own C type
 * (cast back before calling), an entry taking arguments and results in frame slots,
 * and the per-instance context the code runs with. */
typedef void (*nxa_fn)(void);
typedef struct nxa_ctx nxa_ctx;
typedef void (*nxa_entry)(nxa_ctx *c, wc_slot *fp);

/* A function instance. Wasm functions have `inst` and `code`; host functions `host`. */
struct nxw_func {
    const wm_functype *type;
    uint32_t sig;           /* store-wide signature id: equal ids <=> equal types */
    nxw_instance *inst;     /* defining instance, NULL for host functions */
    const wc_code *code;    /* translated body (wasm functions) */
    uint32_t index;         /* index in the defining module (for messages) */
    nxw_host_fn host;
    void *user;
    wm_functype host_type;  /* owned storage of a host function's type */
    nxa_fn aot_native;      /* native code (module with attached AOT code) or NULL */
    nxa_entry aot_entry;    /* its entry from slots (exports only) or NULL */
};

/*
 * A linear memory. Its address range is reserved once for the most it may ever hold
 * (max_pages, bounded by the store's memory limit), so `data` never moves: growing only
 * makes more of the reservation accessible. Just below `data` lies the dirty map, one
 * byte per 4 KiB host page, stored backwards: the byte of page p is data[-1 - p]. Every
 * write by the interpreter or the host accessors sets it, which lets a reset restore
 * only the pages a run wrote (snapshot.c).
 */
struct nxw_memory {
    char kind_tag;      /* 'M' (first member, shared with nxw_table's 'T') */
    uint8_t *data;
    uint64_t size;      /* bytes = pages * 64 KiB */
    uint32_t pages;
    uint32_t max_pages; /* never above WM_MAX_PAGES, nor the store's memory limit */
    bool has_max;       /* the maximum was declared (matters for import matching) */
    bool grow_refused;  /* a grow failed since creation or the last reset */
    uint32_t declared_max; /* the module's maximum (or WM_MAX_PAGES) for import matching */
    uint32_t peak_pages;   /* most pages since creation or the last reset */
    uint32_t accessible_pages; /* pages made readable/writable in the reservation */
    uint8_t *map;       /* start of the reservation (dirty map, then data) */
    size_t map_len;     /* bytes reserved in all */
    size_t dirty_len;   /* bytes of dirty map below data (page aligned) */
};

enum {
    WR_HOST_PAGE_LOG2 = 12, /* dirty-tracking granularity: 4 KiB */
};

/* Marks [addr, addr+len) of mem written (len > 0, range in bounds). */
static inline void wr_mark_dirty(nxw_memory *mem, uint64_t addr, uint64_t len) {
    uint64_t first = addr >> WR_HOST_PAGE_LOG2, last = (addr + len - 1) >> WR_HOST_PAGE_LOG2;
    for (uint64_t p = first; p <= last; p++) mem->data[-1 - (int64_t)p] = 1;
}

struct nxw_table {
    char kind_tag;  /* 'T' */
    uint8_t elem;  /* NXW_FUNCREF or NXW_EXTERNREF */
    uint32_t size;
    uint32_t cap;  /* elements allocated, >= size (grows geometrically) */
    uint32_t max;
    bool has_max;
    void **elems;  /* nxw_func* or externref pointers; NULL is the null reference */
};

struct nxw_global {
    uint8_t type;
    bool mutable_;
    wc_slot value[2]; /* as in a frame: value[0], or both halves of a v128 */
};

/* Frame slots a value of type t takes (see code.h), and values of n types together. */
static inline uint32_t wr_type_slots(uint8_t t) { return t == NXW_V128 ? 2u : 1u; }
static inline uint32_t wr_types_slots(const uint8_t *types, uint32_t n) {
    uint32_t slots = 0;
    for (uint32_t i = 0; i < n; i++) slots += wr_type_slots(types[i]);
    return slots;
}

/* Stores v in the wr_type_slots(v->type) slots at dst. */
static inline void wr_put_value(wc_slot *dst, const nxw_value *v) {
    switch (v->type) {
    case NXW_I32: dst[0].u64 = 0; dst[0].i32 = v->of.i32; break;
    case NXW_F32: dst[0].u64 = 0; dst[0].u32 = v->of.f32_bits; break;
    case NXW_FUNCREF:
    case NXW_EXTERNREF: dst[0].u64 = 0; dst[0].ref = v->of.externref; break;
    case NXW_V128: memcpy(dst, v->of.v128, 16); break;
    default: dst[0].i64 = v->of.i64; break;
    }
}

/* The value of type t held in the slots at src. */
static inline nxw_value wr_get_value(uint8_t t, const wc_slot *src) {
    nxw_value v;
    memset(&v, 0, sizeof v);
    v.type = (nxw_valtype)t;
    switch (t) {
    case NXW_I32: v.of.i32 = src[0].i32; break;
    case NXW_F32: v.of.f32_bits = src[0].u32; break;
    case NXW_FUNCREF:
    case NXW_EXTERNREF: v.of.externref = src[0].ref; break;
    case NXW_V128: memcpy(v.of.v128, src, 16); break;
    default: v.of.i64 = src[0].i64; break;
    }
    return v;
}

/* An element segment instance (references resolved at instantiation). */
typedef struct wr_elem {
    uint32_t count; /* 0 once dropped */
    void **refs;
} wr_elem;

/*
 * Bulk memory and table operations, shared by the interpreter and native code (aot.c):
 * each checks its whole range first (64-bit sums: nothing is written when it traps) and
 * returns the trap to raise or NXW_TRAP_NONE; memory writes mark their pages dirty. The
 * caller charges the fuel (WR_BULK_*_SHIFT: one unit per 64 bytes, per 8 elements).
 */
enum { WR_BULK_BYTES_SHIFT = 6, WR_BULK_ELEMS_SHIFT = 3 };

static inline nxw_trap wr_memory_copy(nxw_memory *mem, uint64_t d, uint64_t s, uint64_t n) {
    if (d + n > mem->size || s + n > mem->size) return NXW_TRAP_MEMORY_OOB;
    if (n) {
        memmove(mem->data + d, mem->data + s, n);
        wr_mark_dirty(mem, d, n);
    }
    return NXW_TRAP_NONE;
}
static inline nxw_trap wr_memory_fill(nxw_memory *mem, uint64_t d, uint32_t v, uint64_t n) {
    if (d + n > mem->size) return NXW_TRAP_MEMORY_OOB;
    if (n) {
        memset(mem->data + d, (int)(v & 0xFF), n);
        wr_mark_dirty(mem, d, n);
    }
    return NXW_TRAP_NONE;
}
/* memory.init from segment bytes `seg` of (current, 0 once dropped) length seg_len. */
static inline nxw_trap wr_memory_init(nxw_memory *mem, const uint8_t *seg, uint32_t seg_len,
                                      uint64_t d, uint64_t s, uint64_t n) {
    if (d + n > mem->size || s + n > seg_len) return NXW_TRAP_MEMORY_OOB;
    if (n) {
        memcpy(mem->data + d, seg + s, n);
        wr_mark_dirty(mem, d, n);
    }
    return NXW_TRAP_NONE;
}
static inline nxw_trap wr_table_fill(nxw_table *t, uint64_t i, void *v, uint64_t n) {
    if (i + n > t->size) return NXW_TRAP_TABLE_OOB;
    for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
    return NXW_TRAP_NONE;
}
static inline nxw_trap wr_table_copy(nxw_table *td, nxw_table *ts, uint64_t d, uint64_t s,
                                     uint64_t n) {
    if (d + n > td->size || s + n > ts->size) return NXW_TRAP_TABLE_OOB;
    if (n) memmove(td->elems + d, ts->elems + s, n * sizeof(void *));
    return NXW_TRAP_NONE;
}
static inline nxw_trap wr_table_init(nxw_table *t, const wr_elem *e, uint64_t d, uint64_t s,
                                     uint64_t n) {
    if (d + n > t->size || s + n > e->count) return NXW_TRAP_TABLE_OOB;
    if (n) memcpy(t->elems + d, e->refs + s, n * sizeof(void *));
    return NXW_TRAP_NONE;
}

struct nxw_instance {
    nxw_store *store;
    struct nxw_snapshot *snapshot; /* the snapshot it was made from (a reference) or NULL */
    const nxw_module *module;
    nxw_func **funcs;      /* function index space */
    nxw_table **tables;
    nxw_memory *memory;    /* memory 0 or NULL */
    nxw_global **globals;
    uint32_t *sigs;        /* module type index -> store signature id */
    wr_elem *elems;
    uint32_t *data_len;    /* per data segment; 0 once dropped */
    nxw_func *own_funcs;   /* storage of the defined functions */
    nxa_ctx *aot;          /* context of the native code, or NULL */
};

/* One activation record of the interpreter's call stack. */
typedef struct wi_frame {
    const wc_cell *ret_pc;
    wc_slot *fp;
    nxw_func *func;
} wi_frame;

struct nxw_store {
    void **objects;      /* every allocation made for the store's objects */
    size_t nobjects, cap_objects;
    void **growables;    /* memories and tables, whose buffers are freed separately */
    size_t ngrowables, cap_growables;
    struct nxw_snapshot **snapshots; /* references held by instances made from snapshots */
    size_t nsnapshots, cap_snapshots;
    wm_functype *sigs;   /* interned signatures (owned type arrays) */
    uint32_t nsigs, cap_sigs;
    nxw_limits limits;
    /* execution budget: `budget` counts down fuel units to the next check (interp.c);
     * fuel_base is the fuel the run consumed before the current chunk of `chunk` units */
    int64_t budget;
    int64_t chunk;
    int64_t chunk_size;    /* units granted per chunk (adapts to the deadline checks' pace) */
    uint64_t checked_ns;   /* when the deadline was last checked (0 = not yet this run) */
    uint64_t fuel_base;
    uint64_t fuel_limit;   /* 0 = unlimited */
    uint64_t deadline_ns;  /* 0 = none */
    atomic_int interrupt;  /* set from any thread by nxw_store_interrupt */
    /* a suspended run: where to continue and where the host call's results go */
    bool suspended;
    const wc_cell *susp_pc;
    wc_slot *susp_fp;
    nxw_func *susp_func;     /* the function whose code was running */
    nxw_func *susp_host;     /* the host function that suspended */
    wc_slot *susp_args;      /* its argument/result slots */
    nxw_func *run_func;      /* the function the outermost nxw_func_call called */
    wc_slot *run_fp;         /* where that call's results land */
    wc_slot *stack;      /* value stack */
    size_t stack_slots;
    wc_slot *stack_top;  /* first free slot (nested calls from host functions start here) */
    wi_frame *frames;
    uint32_t max_frames;
    uint32_t depth;      /* frames in use */
    uint32_t nesting;    /* wasm -> host -> wasm re-entries in progress (C recursion) */
    uintptr_t native_base; /* C stack address at the outermost nxw_func_call */
    /* native code (aot.c): the lowest stack address its functions may reach, and the
     * fiber they run on (created on first use) */
    uintptr_t aot_stack_limit;
    int64_t aot_frames_left; /* native frames max_call_depth still allows (INT64_MAX: none) */
    struct nxa_run *aot_run;
    /* filled by the interpreter on a trap */
    nxw_func *trap_func;
    char trap_message[256];
    int exit_code;
};

/* Bounds on wasm -> host -> wasm re-entry, which recurses on the C stack: levels, and
 * bytes of C stack used below the outermost call (the host functions' own frames
 * included), so deep re-entry traps "call stack exhausted" long before a thread stack
 * of 2 MiB or more could overflow, whatever the build's frame sizes. */
enum { WR_MAX_NESTING = 128, WR_NATIVE_STACK_BUDGET = 1 << 20 };

/* Interns a signature in the store; returns its id or UINT32_MAX when out of memory. */
uint32_t wr_intern_sig(nxw_store *s, const wm_functype *t);

/* Runs function f with arguments in fp[0..nparams); results land in fp[0..nresults).
 * fp must lie inside the store's stack. Returns NXW_TRAP_NONE, the trap, or
 * NXW_TRAP_SUSPEND when a host function suspended the run (state kept in the store). */
nxw_trap wi_call(nxw_store *s, nxw_func *f, wc_slot *fp);

/* Runs f's native code (f->aot_entry) like wi_call; aot.c. */
nxw_trap nxa_call(nxw_store *s, nxw_func *f, wc_slot *fp);
/* Continues a suspended run of native code; aot.c. */
nxw_trap nxa_resume(nxw_store *s, nxw_trap trap);
/* True while the store's suspended run is native code. */
bool nxa_suspended(const nxw_store *s);
/* Drops a suspended native run; frees the fiber (store teardown). */
void nxa_abandon(nxw_store *s);
void nxa_store_free(nxw_store *s);
/* Fills the native-code context c (and its globals array g, one entry per global) of
 * a new instance of a module with AOT code, and points its functions at their native
 * code. Both arrays are allocated by the caller (store-owned). */
void nxa_instance_bind(nxw_instance *inst, nxa_ctx *c, wc_slot **g);

/* Calls host function f with arguments (and results) at args; nested wasm calls the
 * host makes use the store's stack from `nested_top`. interp.c. */
nxw_trap wi_call_host(nxw_store *s, nxw_func *f, nxw_instance *caller, wc_slot *args,
                      wc_slot *nested_top);

/* Continues the store's suspended run (the host call's results already written to
 * s->susp_args, or `trap` to raise at the call site). Returns like wi_call. */
nxw_trap wi_resume(nxw_store *s, nxw_trap trap);

/* Starts the fuel accounting of a new outermost run. */
void wi_budget_start(nxw_store *s);

/* The trap an interrupt request or a passed deadline calls for, or NXW_TRAP_NONE. */
nxw_trap wi_stop_requested(nxw_store *s);

/* Called when the budget ran out: accounts the fuel, checks interrupt, deadline and
 * fuel limit, and refills the budget. Returns the trap to raise or NXW_TRAP_NONE. */
nxw_trap wi_budget_check(nxw_store *s);

/* Creates an instance of mod in s with its imports resolved and its own objects
 * created and initialized (globals, segment instances), but no active segment applied
 * and no start function run: the first half of nxw_instantiate. */
nxw_status wr_instance_create(nxw_store *s, const nxw_module *mod, const nxw_linker *l,
                              nxw_instance **out, nxw_error *err);

/* Drops the store's snapshot references (snapshot.c; called by nxw_store_free). */
void wr_store_release_snapshots(nxw_store *s);

/* Pages of memory the store's limit allows (WM_MAX_PAGES without a limit). */
uint32_t wr_limit_pages(const nxw_store *s);

/* Makes the first `pages` pages of mem's reservation readable and writable. */
bool wr_memory_make_accessible(nxw_memory *mem, uint32_t pages);

/* Grows memory by delta pages; returns the old page count or -1 (and records the
 * refusal). */
int32_t wr_memory_grow(nxw_memory *mem, uint32_t delta);
/* Grows a table by delta elements set to init; returns the old size or -1. */
int32_t wr_table_grow(nxw_table *t, uint32_t delta, void *init);

#endif /* NXW_RUNTIME_H */
