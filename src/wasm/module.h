/*
 * module.h — the engine's in-memory form of a decoded module (internal).
 *
 * The decoder (decode.c) fills a wm_module from the binary; the compiler (compile.c)
 * validates every function body and translates it into the interpreter's code form;
 * the instance layer (instance.c) instantiates it. Invariant: every pointer into the
 * binary points into wm_module.bytes, an owned copy of the input, so a module never
 * depends on the caller's buffer.
 */
#ifndef NXW_MODULE_H
#define NXW_MODULE_H

#include "nexus_wasm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Implementation limits (beyond them a module is rejected with NXW_ERR_NOMEM-free
 * "malformed"/"invalid" errors, never a crash). */
enum {
    WM_MAX_TYPES = 1000000,
    WM_MAX_FUNCS = 1000000,
    WM_MAX_LOCALS = 50000,       /* per function, params included */
    WM_MAX_PARAMS = 1000,
    WM_MAX_TABLES = 100000,
    WM_MAX_MEMORIES = 1,         /* WebAssembly 2.0: at most one memory */
    WM_MAX_PAGES = 65536,        /* 4 GiB of 64 KiB pages */
    WM_MAX_TABLE_SIZE = 10000000,
};

/* A function type: params then results in one array. */
typedef struct wm_functype {
    uint32_t nparams;
    uint32_t nresults;
    uint8_t *types; /* nxw_valtype bytes: [0, nparams) params, [nparams, +nresults) results */
} wm_functype;

typedef struct wm_limits {
    uint32_t min;
    uint32_t max;
    bool has_max;
} wm_limits;

typedef struct wm_tabletype {
    uint8_t elem; /* NXW_FUNCREF or NXW_EXTERNREF */
    wm_limits limits;
} wm_tabletype;

typedef struct wm_globaltype {
    uint8_t type; /* nxw_valtype */
    bool mutable_;
} wm_globaltype;

/* A constant expression. WebAssembly 2.0 allows exactly one constant instruction
 * followed by `end`; the decoder records the first instruction and how many there were,
 * and the validator checks count == 1 and the type. */
typedef enum wm_constop {
    WM_CONST_I32 = 0x41,
    WM_CONST_I64 = 0x42,
    WM_CONST_F32 = 0x43,
    WM_CONST_F64 = 0x44,
    WM_CONST_V128 = 0xFD, /* the 0xFD prefix: v128.const is the only constant one */
    WM_CONST_GLOBAL_GET = 0x23,
    WM_CONST_REF_NULL = 0xD0,
    WM_CONST_REF_FUNC = 0xD2,
} wm_constop;

typedef struct wm_constexpr {
    uint8_t op;      /* wm_constop of the first instruction (0 when empty) */
    uint8_t reftype; /* for REF_NULL: NXW_FUNCREF / NXW_EXTERNREF */
    uint32_t count;  /* number of instructions before `end` */
    union {
        int32_t i32;
        int64_t i64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uint32_t index; /* GLOBAL_GET / REF_FUNC */
        uint8_t v128[16]; /* V128: the bytes of v128.const */
    } v;
    size_t offset; /* byte offset of the expression, for error messages */
} wm_constexpr;

typedef struct wm_name {
    const char *ptr; /* into wm_module.bytes; not NUL-terminated */
    uint32_t len;
} wm_name;

typedef struct wm_import {
    wm_name module;
    wm_name name;
    uint8_t kind; /* nxw_externkind */
    union {
        uint32_t type_index; /* FUNC */
        wm_tabletype table;
        wm_limits memory;
        wm_globaltype global;
    } desc;
} wm_import;

typedef struct wm_export {
    wm_name name;
    uint8_t kind; /* nxw_externkind */
    uint32_t index;
} wm_export;

typedef struct wm_global {
    wm_globaltype type;
    wm_constexpr init;
} wm_global;

/* A run of `count` locals of one type, as in the binary. */
typedef struct wm_localrun {
    uint32_t count;
    uint8_t type;
} wm_localrun;

/* A function defined by the module (imports come first in the function index space,
 * so defined function i has index nimported_funcs + i). */
typedef struct wm_func {
    uint32_t type_index;
    uint32_t nlocals;          /* declared locals, params excluded */
    uint8_t *local_types;      /* nlocals types (owned) */
    size_t code_offset;        /* offset of the first instruction in bytes */
    size_t code_end;           /* offset just past the body's final `end` */
    struct wc_code *code;      /* translated form (compile.c), NULL before compilation */
} wm_func;

typedef enum wm_segmode {
    WM_SEG_ACTIVE = 0,
    WM_SEG_PASSIVE = 1,
    WM_SEG_DECLARATIVE = 2,
} wm_segmode;

typedef struct wm_elem {
    uint8_t mode;       /* wm_segmode */
    uint8_t type;       /* NXW_FUNCREF / NXW_EXTERNREF */
    uint32_t table;     /* ACTIVE only */
    wm_constexpr offset;/* ACTIVE only */
    uint32_t count;
    wm_constexpr *init; /* count expressions (owned); function indices become REF_FUNC */
} wm_elem;

typedef struct wm_data {
    uint8_t mode;       /* ACTIVE or PASSIVE */
    uint32_t memory;    /* ACTIVE only */
    wm_constexpr offset;/* ACTIVE only */
    const uint8_t *bytes; /* into wm_module.bytes */
    uint32_t len;
} wm_data;

typedef struct wm_custom {
    wm_name name;
    const uint8_t *data; /* into wm_module.bytes */
    uint32_t len;
} wm_custom;

/* The whole module. Arrays are owned; names and payloads point into `bytes`. */
typedef struct wm_module {
    uint8_t *bytes;  /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    wm_functype *types;

    uint32_t nimports;
    wm_import *imports;
    /* counts of imported objects of each kind (they open each index space) */
    uint32_t nimported_funcs, nimported_tables, nimported_memories, nimported_globals;
    /* import_of_kind[k][n]: position in imports[] of the n-th import of kind k (owned) */
    uint32_t *import_of_kind[4];

    uint32_t nfuncs; /* defined functions */
    wm_func *funcs;

    uint32_t ntables; /* defined tables */
    wm_tabletype *tables;

    uint32_t nmemories; /* defined memories */
    wm_limits *memories;

    uint32_t nglobals; /* defined globals */
    wm_global *globals;

    uint32_t nexports;
    wm_export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    wm_elem *elems;

    bool has_datacount;
    uint32_t datacount;
    uint32_t ndatas;
    wm_data *datas;

    uint32_t ncustoms;
    wm_custom *customs;

    /* function names from the `name` section: func_names[i] for function index i,
     * NUL-terminated and owned, or NULL. Array of length nimported_funcs + nfuncs, or
     * NULL when the section is absent. */
    char **func_names;
} wm_module;

/* Decodes `len` bytes into *m (which the function zeroes first). On failure returns
 * NXW_ERR_MALFORMED (or NXW_ERR_INVALID for a non-constant instruction in a constant
 * expression) with err->offset and err->message set, and frees what it allocated.
 * Function bodies are located (code_offset/code_end) and their locals decoded, but
 * their instructions are left to the compiler. */
nxw_status wm_decode(const uint8_t *bytes, size_t len, wm_module *m, nxw_error *err);

/* Frees everything a wm_module owns (including translated code) and zeroes it. */
void wm_module_clear(wm_module *m);

/* Total numbers in each index space (imports + definitions). */
static inline uint32_t wm_total_funcs(const wm_module *m) { return m->nimported_funcs + m->nfuncs; }
static inline uint32_t wm_total_tables(const wm_module *m) { return m->nimported_tables + m->ntables; }
static inline uint32_t wm_total_memories(const wm_module *m) { return m->nimported_memories + m->nmemories; }
static inline uint32_t wm_total_globals(const wm_module *m) { return m->nimported_globals + m->nglobals; }

/* Type index of function `fidx` (imported or defined). Precondition: fidx is in range. */
uint32_t wm_func_type_index(const wm_module *m, uint32_t fidx);
/* Type of global `gidx` (imported or defined). Precondition: gidx is in range. */
wm_globaltype wm_global_type(const wm_module *m, uint32_t gidx);
/* Type of table `tidx`. Precondition: in range. */
wm_tabletype wm_table_type(const wm_module *m, uint32_t tidx);

/* Fills err with status/offset and a printf-style message; returns status. */
nxw_status wm_fail(nxw_error *err, nxw_status status, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif /* NXW_MODULE_H */
