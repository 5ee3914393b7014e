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

struct nxw_module {
    wm_module m;
};

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
};

struct nxw_memory {
    char kind_tag;      /* 'M' (first member, shared with nxw_table's 'T') */
    uint8_t *data;
    uint64_t size;      /* bytes = pages * 64 KiB */
    uint32_t pages;
    uint32_t max_pages; /* never above WM_MAX_PAGES */
    bool has_max;       /* the maximum was declared (matters for import matching) */
};

struct nxw_table {
    char kind_tag;  /* 'T' */
    uint8_t elem;  /* NXW_FUNCREF or NXW_EXTERNREF */
    uint32_t size;
    uint32_t max;
    bool has_max;
    void **elems;  /* nxw_func* or externref pointers; NULL is the null reference */
};

struct nxw_global {
    uint8_t type;
    bool mutable_;
    wc_slot value;
};

/* An element segment instance (references resolved at instantiation). */
typedef struct wr_elem {
    uint32_t count; /* 0 once dropped */
    void **refs;
} wr_elem;

struct nxw_instance {
    nxw_store *store;
    const nxw_module *module;
    nxw_func **funcs;      /* function index space */
    nxw_table **tables;
    nxw_memory *memory;    /* memory 0 or NULL */
    nxw_global **globals;
    uint32_t *sigs;        /* module type index -> store signature id */
    wr_elem *elems;
    uint32_t *data_len;    /* per data segment; 0 once dropped */
    nxw_func *own_funcs;   /* storage of the defined functions */
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
    wm_functype *sigs;   /* interned signatures (owned type arrays) */
    uint32_t nsigs, cap_sigs;
    nxw_limits limits;
    wc_slot *stack;      /* value stack */
    size_t stack_slots;
    wc_slot *stack_top;  /* first free slot (nested calls from host functions start here) */
    wi_frame *frames;
    uint32_t max_frames;
    uint32_t depth;      /* frames in use */
    uint32_t nesting;    /* wasm -> host -> wasm re-entries in progress (C recursion) */
    /* filled by the interpreter on a trap */
    nxw_func *trap_func;
    char trap_message[256];
    int exit_code;
};

/* Bound on wasm -> host -> wasm re-entry: each level recurses on the C stack. */
enum { WR_MAX_NESTING = 128 };

/* Interns a signature in the store; returns its id or UINT32_MAX when out of memory. */
uint32_t wr_intern_sig(nxw_store *s, const wm_functype *t);

/* Runs function f with arguments in fp[0..nparams); results land in fp[0..nresults).
 * fp must lie inside the store's stack. Returns NXW_TRAP_NONE or the trap. */
nxw_trap wi_call(nxw_store *s, nxw_func *f, wc_slot *fp);

/* Grows memory by delta pages; returns the old page count or -1. */
int32_t wr_memory_grow(nxw_memory *mem, uint32_t delta);
/* Grows a table by delta elements set to init; returns the old size or -1. */
int32_t wr_table_grow(nxw_table *t, uint32_t delta, void *init);

#endif /* NXW_RUNTIME_H */
