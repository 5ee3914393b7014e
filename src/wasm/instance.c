/*
 * instance.c — modules, stores, linkers and instantiation: the engine's public API
 * around the decoder (decode.c), the compiler (compile.c) and the interpreter
 * (interp.c).
 *
 * Instantiation follows WebAssembly 2.0: resolve and type-check imports, create the
 * module's functions, tables, memory and globals, evaluate element segments, apply
 * active element and data segments in order (a trap leaves earlier writes in place),
 * then run the start function. Every object is owned by its store.
 */
#include "compile.h"
#include "aot_rt.h"
#include "runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
    DEFAULT_STACK_BYTES = 1 << 20,
    MIN_STACK_BYTES = 16 << 10,
    PAGE_SIZE = 65536,
};

/* ------------------------------------------------------------------ messages */

const char *nxw_trap_message(nxw_trap trap) {
    static const char *const msgs[NXW_TRAP__COUNT] = {
        [NXW_TRAP_NONE] = "no trap",
        [NXW_TRAP_UNREACHABLE] = "unreachable",
        [NXW_TRAP_MEMORY_OOB] = "out of bounds memory access",
        [NXW_TRAP_TABLE_OOB] = "out of bounds table access",
        [NXW_TRAP_INDIRECT_MISMATCH] = "indirect call type mismatch",
        [NXW_TRAP_UNINITIALIZED] = "uninitialized element",
        [NXW_TRAP_DIV_BY_ZERO] = "integer divide by zero",
        [NXW_TRAP_INT_OVERFLOW] = "integer overflow",
        [NXW_TRAP_INVALID_CONVERSION] = "invalid conversion to integer",
        [NXW_TRAP_STACK_EXHAUSTED] = "call stack exhausted",
        [NXW_TRAP_HOST] = "host function failed",
        [NXW_TRAP_EXIT] = "exit",
        [NXW_TRAP_TIMEOUT] = "execution timed out",
        [NXW_TRAP_INTERRUPTED] = "interrupted",
        [NXW_TRAP_FUEL] = "fuel exhausted",
        [NXW_TRAP_SUSPEND] = "suspended",
    };
    return (unsigned)trap < NXW_TRAP__COUNT ? msgs[trap] : "unknown trap";
}

const char *nxw_status_message(nxw_status status) {
    switch (status) {
    case NXW_OK: return "ok";
    case NXW_ERR_MALFORMED: return "malformed module";
    case NXW_ERR_INVALID: return "invalid module";
    case NXW_ERR_UNLINKABLE: return "unlinkable module";
    case NXW_ERR_TRAP: return "trap";
    case NXW_ERR_NOMEM: return "out of memory";
    case NXW_ERR_ARGUMENT: return "invalid argument";
    case NXW_ERR_LIMIT: return "limit exceeded";
    case NXW_SUSPENDED: return "suspended";
    }
    return "unknown status";
}

static nxw_status fail(nxw_error *err, nxw_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static nxw_status fail(nxw_error *err, nxw_status st, const char *fmt, ...) {
    if (!err) return st;
    memset(err, 0, sizeof *err);
    err->status = st;
    err->offset = SIZE_MAX;
    err->func_index = UINT32_MAX;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return st;
}

/* Fills err for a trap that happened in store s. */
static nxw_status trap_error(nxw_store *s, nxw_trap trap, nxw_error *err) {
    if (!err) return NXW_ERR_TRAP;
    nxw_func *f = s->trap_func;
    const char *what = s->trap_message[0] ? s->trap_message : nxw_trap_message(trap);
    if (f && f->inst) {
        const char *name = nxw_module_func_name(f->inst->module, f->index);
        if (name)
            fail(err, NXW_ERR_TRAP, "%s in function %u <%s>", what, f->index, name);
        else
            fail(err, NXW_ERR_TRAP, "%s in function %u", what, f->index);
        err->func_index = f->index;
    } else {
        fail(err, NXW_ERR_TRAP, "%s", what);
    }
    err->trap = trap;
    return NXW_ERR_TRAP;
}

/* ------------------------------------------------------------------ modules */

nxw_features nxw_features_all(void) { return (nxw_features){.simd = true, .bulk_memory = true}; }

nxw_status nxw_module_new(const uint8_t *bytes, size_t len, nxw_module **out, nxw_error *err) {
    return nxw_module_new_with_features(bytes, len, NULL, out, err);
}

nxw_status nxw_module_new_with_features(const uint8_t *bytes, size_t len,
                                        const nxw_features *features, nxw_module **out,
                                        nxw_error *err) {
    nxw_features all = nxw_features_all();
    *out = NULL;
    if (!bytes && len) return fail(err, NXW_ERR_ARGUMENT, "no module bytes");
    nxw_module *mod = calloc(1, sizeof *mod);
    if (!mod) return fail(err, NXW_ERR_NOMEM, "out of memory");
    nxw_status st = wm_decode(bytes ? bytes : (const uint8_t *)"", len, &mod->m, err);
    if (st == NXW_OK) st = wc_compile_module(&mod->m, features ? features : &all, err);
    if (st != NXW_OK) {
        wm_module_clear(&mod->m);
        free(mod);
        return st;
    }
    *out = mod;
    return NXW_OK;
}

void nxw_module_free(nxw_module *module) {
    if (!module) return;
    wm_module_clear(&module->m);
    free(module);
}

uint32_t nxw_module_import_count(const nxw_module *m) { return m->m.nimports; }

void nxw_module_import(const nxw_module *m, uint32_t i, const char **module, size_t *module_len,
                       const char **name, size_t *name_len, nxw_externkind *kind) {
    const wm_import *im = &m->m.imports[i];
    *module = im->module.ptr;
    *module_len = im->module.len;
    *name = im->name.ptr;
    *name_len = im->name.len;
    *kind = (nxw_externkind)im->kind;
}

uint32_t nxw_module_export_count(const nxw_module *m) { return m->m.nexports; }

void nxw_module_export(const nxw_module *m, uint32_t i, const char **name, size_t *name_len,
                       nxw_externkind *kind) {
    const wm_export *ex = &m->m.exports[i];
    *name = ex->name.ptr;
    *name_len = ex->name.len;
    *kind = (nxw_externkind)ex->kind;
}

const char *nxw_module_func_name(const nxw_module *m, uint32_t func_index) {
    if (!m->m.func_names || func_index >= wm_total_funcs(&m->m)) return NULL;
    return m->m.func_names[func_index];
}

uint32_t nxw_module_custom_count(const nxw_module *m) { return m->m.ncustoms; }

void nxw_module_custom(const nxw_module *m, uint32_t i, const char **name, size_t *name_len,
                       const uint8_t **data, size_t *data_len) {
    const wm_custom *c = &m->m.customs[i];
    *name = c->name.ptr;
    *name_len = c->name.len;
    *data = c->data;
    *data_len = c->len;
}

/* ------------------------------------------------------------------ stores */

/* Allocates zeroed memory owned by the store. */
static void *store_alloc(nxw_store *s, size_t size) {
    if (s->nobjects == s->cap_objects) {
        size_t ncap = s->cap_objects ? s->cap_objects * 2 : 64;
        void **n = realloc(s->objects, ncap * sizeof(void *));
        if (!n) return NULL;
        s->objects = n;
        s->cap_objects = ncap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p) s->objects[s->nobjects++] = p;
    return p;
}

/* Allocates the engine stack for the current limits: a quarter of stack_bytes holds
 * frame records (fewer when max_call_depth is lower), the rest value slots. */
static bool store_prepare_stack(nxw_store *s) {
    size_t frame_bytes = s->limits.stack_bytes / 4;
    size_t slots = (s->limits.stack_bytes - frame_bytes) / sizeof(wc_slot);
    size_t nframes = frame_bytes / sizeof(wi_frame);
    if (s->limits.max_call_depth && s->limits.max_call_depth < nframes) nframes = s->limits.max_call_depth;
    uint32_t frames = (uint32_t)nframes;
    if (s->stack && s->stack_slots == slots && s->max_frames == frames) return true;
    wc_slot *stack = malloc(slots * sizeof(wc_slot));
    wi_frame *fr = malloc((size_t)frames * sizeof(wi_frame));
    if (!stack || !fr) {
        free(stack);
        free(fr);
        return false;
    }
    free(s->stack);
    free(s->frames);
    s->stack = stack;
    s->stack_slots = slots;
    s->stack_top = stack;
    s->frames = fr;
    s->max_frames = frames;
    return true;
}

nxw_store *nxw_store_new(void) {
    nxw_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->limits.stack_bytes = DEFAULT_STACK_BYTES;
    return s;
}

void nxw_store_set_limits(nxw_store *s, const nxw_limits *limits) {
    if (s->depth || s->suspended) return; /* never while running */
    s->limits.max_call_depth = limits->max_call_depth;
    s->limits.stack_bytes = limits->stack_bytes ? limits->stack_bytes : DEFAULT_STACK_BYTES;
    if (s->limits.stack_bytes < MIN_STACK_BYTES) s->limits.stack_bytes = MIN_STACK_BYTES;
    s->limits.memory_bytes = limits->memory_bytes;
}

void nxw_store_free(nxw_store *s) {
    if (!s) return;
    for (size_t i = 0; i < s->ngrowables; i++) {
        /* both structs start with kind_tag */
        char tag = *(char *)s->growables[i];
        if (tag == 'M') munmap(((nxw_memory *)s->growables[i])->map, ((nxw_memory *)s->growables[i])->map_len);
        else free(((nxw_table *)s->growables[i])->elems);
    }
    free(s->growables);
    nxa_store_free(s);
    wr_store_release_snapshots(s);
    for (size_t i = 0; i < s->nobjects; i++) free(s->objects[i]);
    free(s->objects);
    for (uint32_t i = 0; i < s->nsigs; i++) free(s->sigs[i].types);
    free(s->sigs);
    free(s->stack);
    free(s->frames);
    free(s);
}

static bool types_equal(const wm_functype *a, const wm_functype *b) {
    return a->nparams == b->nparams && a->nresults == b->nresults &&
           (a->nparams + a->nresults == 0 || memcmp(a->types, b->types, a->nparams + a->nresults) == 0);
}

uint32_t wr_intern_sig(nxw_store *s, const wm_functype *t) {
    for (uint32_t i = 0; i < s->nsigs; i++)
        if (types_equal(&s->sigs[i], t)) return i;
    if (s->nsigs == s->cap_sigs) {
        uint32_t ncap = s->cap_sigs ? s->cap_sigs * 2 : 16;
        wm_functype *n = realloc(s->sigs, ncap * sizeof *n);
        if (!n) return UINT32_MAX;
        s->sigs = n;
        s->cap_sigs = ncap;
    }
    size_t nt = (size_t)t->nparams + t->nresults;
    uint8_t *types = malloc(nt ? nt : 1);
    if (!types) return UINT32_MAX;
    if (nt) memcpy(types, t->types, nt);
    s->sigs[s->nsigs] = (wm_functype){t->nparams, t->nresults, types};
    return s->nsigs++;
}

/* ------------------------------------------------------------------ objects */

/* Memories and tables own buffers that grow (realloc), so they are not in the
 * object list; the store keeps them in `growables` and frees their buffers. */
static bool store_track_growable(nxw_store *s, void *obj) {
    if (s->ngrowables == s->cap_growables) {
        size_t ncap = s->cap_growables ? s->cap_growables * 2 : 16;
        void **n = realloc(s->growables, ncap * sizeof(void *));
        if (!n) return false;
        s->growables = n;
        s->cap_growables = ncap;
    }
    s->growables[s->ngrowables++] = obj;
    return true;
}

uint32_t wr_limit_pages(const nxw_store *s) {
    uint64_t lim = s->limits.memory_bytes;
    if (!lim || lim / PAGE_SIZE >= WM_MAX_PAGES) return WM_MAX_PAGES;
    return (uint32_t)(lim / PAGE_SIZE);
}

/* Makes pages [mem->accessible_pages, pages) of the reservation readable and writable. */
bool wr_memory_make_accessible(nxw_memory *mem, uint32_t pages) {
    if (pages <= mem->accessible_pages) return true;
    size_t from = (size_t)mem->accessible_pages * PAGE_SIZE, to = (size_t)pages * PAGE_SIZE;
    if (mprotect(mem->data + from, to - from, PROT_READ | PROT_WRITE) != 0) return false;
    mem->accessible_pages = pages;
    return true;
}

/* Creates a memory of `min` pages that may grow to `max` (both within the store's
 * limit; the caller checked). The whole range is reserved up front, see runtime.h. */
static nxw_memory *memory_create(nxw_store *s, uint32_t min, uint32_t max, bool has_max) {
    nxw_memory *m = store_alloc(s, sizeof *m);
    if (!m) return NULL;
    uint32_t cap = max < wr_limit_pages(s) ? max : wr_limit_pages(s);
    size_t host_pages = (size_t)cap * (PAGE_SIZE >> WR_HOST_PAGE_LOG2);
    size_t dirty_len = (host_pages + 4095) & ~(size_t)4095;
    if (!dirty_len) dirty_len = 4096;
    size_t map_len = dirty_len + (size_t)cap * PAGE_SIZE;
    uint8_t *map = mmap(NULL, map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) return NULL;
    if (mprotect(map, dirty_len, PROT_READ | PROT_WRITE) != 0) {
        munmap(map, map_len);
        return NULL;
    }
    m->kind_tag = 'M';
    m->map = map;
    m->map_len = map_len;
    m->dirty_len = dirty_len;
    m->data = map + dirty_len;
    m->max_pages = cap;
    m->declared_max = max;
    m->has_max = has_max;
    if (!wr_memory_make_accessible(m, min) || !store_track_growable(s, m)) {
        munmap(map, map_len);
        return NULL;
    }
    m->size = (uint64_t)min * PAGE_SIZE;
    m->pages = m->peak_pages = min;
    return m;
}

int32_t wr_memory_grow(nxw_memory *mem, uint32_t delta) {
    uint32_t old = mem->pages;
    if (delta == 0) return (int32_t)old;
    if ((uint64_t)old + delta > mem->max_pages || !wr_memory_make_accessible(mem, old + delta)) {
        mem->grow_refused = true;
        return -1;
    }
    /* pages beyond the old size are zero: fresh, or cleared by the last reset */
    mem->pages = old + delta;
    mem->size = (uint64_t)mem->pages * PAGE_SIZE;
    if (mem->pages > mem->peak_pages) mem->peak_pages = mem->pages;
    return (int32_t)old;
}

nxw_memory_stats nxw_memory_get_stats(const nxw_memory *mem) {
    return (nxw_memory_stats){
        .size_bytes = mem->size,
        .peak_bytes = (uint64_t)mem->peak_pages * PAGE_SIZE,
        .limit_bytes = (uint64_t)mem->max_pages * PAGE_SIZE,
        .grow_refused = mem->grow_refused,
    };
}

int32_t wr_table_grow(nxw_table *t, uint32_t delta, void *init) {
    uint32_t old = t->size;
    if (delta == 0) return (int32_t)old;
    if ((uint64_t)old + delta > t->max) return -1;
    uint64_t n = (uint64_t)old + delta;
    if (n > WM_MAX_TABLE_SIZE) return -1;
    if (n > t->cap) { /* doubling: a guest growing in small steps costs linear time */
        uint64_t cap = (uint64_t)t->cap * 2;
        if (cap < n) cap = n;
        if (cap > WM_MAX_TABLE_SIZE) cap = WM_MAX_TABLE_SIZE;
        void **e = realloc(t->elems, (size_t)cap * sizeof(void *));
        if (!e) return -1;
        t->elems = e;
        t->cap = (uint32_t)cap;
    }
    for (uint64_t i = old; i < n; i++) t->elems[i] = init;
    t->size = (uint32_t)n;
    return (int32_t)old;
}

nxw_status nxw_memory_new(nxw_store *s, uint32_t min, uint32_t max, bool has_max, nxw_memory **out,
                          nxw_error *err) {
    if (!has_max) max = WM_MAX_PAGES;
    if (min > WM_MAX_PAGES || max > WM_MAX_PAGES || min > max)
        return fail(err, NXW_ERR_ARGUMENT, "invalid memory limits %u..%u", min, max);
    if (min > wr_limit_pages(s))
        return fail(err, NXW_ERR_LIMIT, "memory of %u pages exceeds the store's limit of %u pages", min,
                    wr_limit_pages(s));
    *out = memory_create(s, min, max, has_max);
    return *out ? NXW_OK : fail(err, NXW_ERR_NOMEM, "out of memory for %u pages", min);
}

static nxw_table *table_create(nxw_store *s, uint8_t elem, uint32_t min, uint32_t max, bool has_max) {
    if (min > WM_MAX_TABLE_SIZE) return NULL;
    nxw_table *t = store_alloc(s, sizeof *t);
    if (!t) return NULL;
    t->elem = elem;
    t->size = min;
    t->max = max;
    t->has_max = has_max;
    t->cap = min ? min : 1;
    t->elems = calloc(t->cap, sizeof(void *));
    if (!t->elems) return NULL;
    t->kind_tag = 'T';
    if (!store_track_growable(s, t)) {
        free(t->elems);
        return NULL;
    }
    return t;
}

nxw_status nxw_table_new(nxw_store *s, nxw_valtype elem, uint32_t min, uint32_t max, bool has_max,
                         nxw_table **out, nxw_error *err) {
    if (elem != NXW_FUNCREF && elem != NXW_EXTERNREF)
        return fail(err, NXW_ERR_ARGUMENT, "table element type must be a reference type");
    if (!has_max) max = UINT32_MAX;
    if (min > max) return fail(err, NXW_ERR_ARGUMENT, "invalid table limits %u..%u", min, max);
    *out = table_create(s, (uint8_t)elem, min, max, has_max);
    return *out ? NXW_OK : fail(err, NXW_ERR_NOMEM, "out of memory for a table of %u", min);
}

static bool valid_valtype(nxw_valtype t) {
    return t == NXW_I32 || t == NXW_I64 || t == NXW_F32 || t == NXW_F64 || t == NXW_V128 ||
           t == NXW_FUNCREF || t == NXW_EXTERNREF;
}

nxw_status nxw_global_new(nxw_store *s, nxw_value init, bool mutable_, nxw_global **out,
                          nxw_error *err) {
    if (!valid_valtype(init.type)) return fail(err, NXW_ERR_ARGUMENT, "invalid global type");
    nxw_global *g = store_alloc(s, sizeof *g);
    if (!g) return fail(err, NXW_ERR_NOMEM, "out of memory");
    g->type = (uint8_t)init.type;
    g->mutable_ = mutable_;
    wr_put_value(g->value, &init);
    *out = g;
    return NXW_OK;
}

nxw_value nxw_global_get(const nxw_global *g) { return wr_get_value(g->type, g->value); }

size_t nxw_memory_size(const nxw_memory *mem) { return (size_t)mem->size; }

uint8_t *nxw_memory_span(nxw_memory *mem, uint64_t addr, uint64_t len) {
    if (addr > mem->size || len > mem->size - addr) return NULL;
    if (len) wr_mark_dirty(mem, addr, len); /* the caller may write through it */
    return mem->data + addr;
}

bool nxw_memory_read(const nxw_memory *mem, uint64_t addr, void *dst, size_t len) {
    if (addr > mem->size || len > mem->size - addr) return false;
    if (len) memcpy(dst, mem->data + addr, len);
    return true;
}

bool nxw_memory_write(nxw_memory *mem, uint64_t addr, const void *src, size_t len) {
    if (addr > mem->size || len > mem->size - addr) return false;
    if (len) {
        memcpy(mem->data + addr, src, len);
        wr_mark_dirty(mem, addr, len);
    }
    return true;
}

/* ------------------------------------------------------------------ linker */

typedef struct lk_entry {
    char *module, *name;
    size_t module_len, name_len;
    bool is_host;
    nxw_extern ext;
    wm_functype host_type; /* owned types */
    nxw_host_fn fn;
    void *user;
} lk_entry;

struct nxw_linker {
    lk_entry *entries;
    size_t n, cap;
};

nxw_linker *nxw_linker_new(void) { return calloc(1, sizeof(nxw_linker)); }

void nxw_linker_free(nxw_linker *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->entries[i].module);
        free(l->entries[i].name);
        free(l->entries[i].host_type.types);
    }
    free(l->entries);
    free(l);
}

static char *dup_bytes(const char *p, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static lk_entry *linker_add(nxw_linker *l, const char *module, size_t module_len, const char *name,
                            size_t name_len) {
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        lk_entry *n = realloc(l->entries, ncap * sizeof *n);
        if (!n) return NULL;
        l->entries = n;
        l->cap = ncap;
    }
    lk_entry *e = &l->entries[l->n];
    memset(e, 0, sizeof *e);
    e->module = dup_bytes(module, module_len);
    e->name = dup_bytes(name, name_len);
    if (!e->module || !e->name) {
        free(e->module);
        free(e->name);
        return NULL;
    }
    e->module_len = module_len;
    e->name_len = name_len;
    l->n++;
    return e;
}

static const lk_entry *linker_find(const nxw_linker *l, const char *module, size_t module_len,
                                   const char *name, size_t name_len) {
    if (!l) return NULL;
    for (size_t i = l->n; i-- > 0;) {
        const lk_entry *e = &l->entries[i];
        if (e->module_len == module_len && e->name_len == name_len &&
            memcmp(e->module, module, module_len) == 0 && memcmp(e->name, name, name_len) == 0)
            return e;
    }
    return NULL;
}

static int sig_letter_type(char c) {
    switch (c) {
    case 'i': return NXW_I32;
    case 'I': return NXW_I64;
    case 'f': return NXW_F32;
    case 'F': return NXW_F64;
    case 'v': return NXW_V128;
    case 'r': return NXW_FUNCREF;
    case 'x': return NXW_EXTERNREF;
    default: return -1;
    }
}

/* Parses "(PARAMS)RESULTS" into an owned functype. */
static bool parse_sig(const char *sig, wm_functype *out) {
    size_t len = strlen(sig);
    const char *close = strchr(sig, ')');
    if (len < 2 || sig[0] != '(' || !close) return false;
    uint32_t np = (uint32_t)(close - sig - 1), nr = (uint32_t)(len - (size_t)(close - sig) - 1);
    uint8_t *types = malloc(np + nr + 1);
    if (!types) return false;
    for (uint32_t i = 0; i < np + nr; i++) {
        char ch = i < np ? sig[1 + i] : close[1 + (i - np)];
        int t = sig_letter_type(ch);
        if (t < 0) {
            free(types);
            return false;
        }
        types[i] = (uint8_t)t;
    }
    *out = (wm_functype){np, nr, types};
    return true;
}

nxw_status nxw_linker_define_host(nxw_linker *l, const char *module, const char *name,
                                  const char *sig, nxw_host_fn fn, void *user, nxw_error *err) {
    wm_functype t;
    if (!fn) return fail(err, NXW_ERR_ARGUMENT, "host function %s.%s has no callback", module, name);
    if (!parse_sig(sig, &t))
        return fail(err, NXW_ERR_ARGUMENT, "bad signature \"%s\" for %s.%s (expected e.g. \"(ii)i\")", sig, module, name);
    lk_entry *e = linker_add(l, module, strlen(module), name, strlen(name));
    if (!e) {
        free(t.types);
        return fail(err, NXW_ERR_NOMEM, "out of memory");
    }
    e->is_host = true;
    e->host_type = t;
    e->fn = fn;
    e->user = user;
    return NXW_OK;
}

nxw_status nxw_linker_define(nxw_linker *l, const char *module, size_t module_len,
                             const char *name, size_t name_len, nxw_extern ext, nxw_error *err) {
    lk_entry *e = linker_add(l, module, module_len, name, name_len);
    if (!e) return fail(err, NXW_ERR_NOMEM, "out of memory");
    e->ext = ext;
    return NXW_OK;
}

nxw_status nxw_linker_define_instance(nxw_linker *l, const char *module, size_t module_len,
                                      nxw_instance *inst, nxw_error *err) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nexports; i++) {
        nxw_extern ext;
        nxw_instance_export(inst, m->exports[i].name.ptr, m->exports[i].name.len, &ext);
        nxw_status st = nxw_linker_define(l, module, module_len, m->exports[i].name.ptr,
                                          m->exports[i].name.len, ext, err);
        if (st) return st;
    }
    return NXW_OK;
}

/* ------------------------------------------------------------------ instantiation */

static nxw_func *host_func_create(nxw_store *s, const lk_entry *e) {
    nxw_func *f = store_alloc(s, sizeof *f);
    if (!f) return NULL;
    size_t nt = (size_t)e->host_type.nparams + e->host_type.nresults;
    uint8_t *types = store_alloc(s, nt);
    if (!types) return NULL;
    if (nt) memcpy(types, e->host_type.types, nt);
    f->host_type = (wm_functype){e->host_type.nparams, e->host_type.nresults, types};
    f->type = &f->host_type;
    f->sig = wr_intern_sig(s, f->type);
    if (f->sig == UINT32_MAX) return NULL;
    f->host = e->fn;
    f->user = e->user;
    f->index = UINT32_MAX;
    return f;
}

static bool limits_match(uint64_t size, uint64_t max, bool has_max, const wm_limits *want) {
    if (size < want->min) return false;
    if (want->has_max && (!has_max || max > want->max)) return false;
    return true;
}

static const char *kind_name(uint8_t k) {
    static const char *const names[] = {"function", "table", "memory", "global"};
    return k < 4 ? names[k] : "extern";
}

/* Resolves import i into the instance's index spaces. */
static nxw_status resolve_import(nxw_store *s, nxw_instance *inst, const nxw_linker *l,
                                 const wm_import *im, uint32_t counts[4], nxw_error *err) {
    const wm_module *m = &inst->module->m;
    const lk_entry *e = linker_find(l, im->module.ptr, im->module.len, im->name.ptr, im->name.len);
    int mlen = (int)(im->module.len > 64 ? 64 : im->module.len);
    int nlen = (int)(im->name.len > 64 ? 64 : im->name.len);
    if (!e)
        return fail(err, NXW_ERR_UNLINKABLE, "unknown import: %s \"%.*s\".\"%.*s\" is not defined",
                    kind_name(im->kind), mlen, im->module.ptr, nlen, im->name.ptr);
    uint8_t have_kind = e->is_host ? NXW_EXTERN_FUNC : (uint8_t)e->ext.kind;
    if (have_kind != im->kind)
        return fail(err, NXW_ERR_UNLINKABLE, "incompatible import type: \"%.*s\".\"%.*s\" is a %s, the module imports a %s",
                    mlen, im->module.ptr, nlen, im->name.ptr, kind_name(have_kind), kind_name(im->kind));
    switch (im->kind) {
    case NXW_EXTERN_FUNC: {
        const wm_functype *want = &m->types[im->desc.type_index];
        nxw_func *f = e->is_host ? host_func_create(s, e) : e->ext.of.func;
        if (!f) return fail(err, NXW_ERR_NOMEM, "out of memory");
        if (!types_equal(f->type, want))
            return fail(err, NXW_ERR_UNLINKABLE, "incompatible import type: function \"%.*s\".\"%.*s\" has a different signature",
                        mlen, im->module.ptr, nlen, im->name.ptr);
        inst->funcs[counts[0]++] = f;
        return NXW_OK;
    }
    case NXW_EXTERN_TABLE: {
        nxw_table *t = e->ext.of.table;
        if (t->elem != im->desc.table.elem ||
            !limits_match(t->size, t->max, t->has_max, &im->desc.table.limits))
            return fail(err, NXW_ERR_UNLINKABLE, "incompatible import type: table \"%.*s\".\"%.*s\"",
                        mlen, im->module.ptr, nlen, im->name.ptr);
        inst->tables[counts[1]++] = t;
        return NXW_OK;
    }
    case NXW_EXTERN_MEMORY: {
        nxw_memory *mem = e->ext.of.memory;
        if (!limits_match(mem->pages, mem->declared_max, mem->has_max, &im->desc.memory))
            return fail(err, NXW_ERR_UNLINKABLE, "incompatible import type: memory \"%.*s\".\"%.*s\"",
                        mlen, im->module.ptr, nlen, im->name.ptr);
        inst->memory = mem;
        counts[2]++;
        return NXW_OK;
    }
    default: {
        nxw_global *g = e->ext.of.global;
        if (g->type != im->desc.global.type || g->mutable_ != im->desc.global.mutable_)
            return fail(err, NXW_ERR_UNLINKABLE, "incompatible import type: global \"%.*s\".\"%.*s\"",
                        mlen, im->module.ptr, nlen, im->name.ptr);
        inst->globals[counts[3]++] = g;
        return NXW_OK;
    }
    }
}

/* Evaluates a (validated) constant expression into v[0], or v[0..1] for a v128. */
static void eval_const_into(const nxw_instance *inst, const wm_constexpr *e, wc_slot v[2]) {
    v[0].u64 = v[1].u64 = 0;
    switch (e->op) {
    case WM_CONST_I32: v[0].i32 = e->v.i32; break;
    case WM_CONST_I64: v[0].i64 = e->v.i64; break;
    case WM_CONST_F32: v[0].u32 = e->v.f32_bits; break;
    case WM_CONST_F64: v[0].u64 = e->v.f64_bits; break;
    case WM_CONST_V128: memcpy(v, e->v.v128, 16); break;
    case WM_CONST_GLOBAL_GET: memcpy(v, inst->globals[e->v.index]->value, 2 * sizeof(wc_slot)); break;
    case WM_CONST_REF_FUNC: v[0].ref = inst->funcs[e->v.index]; break;
    default: v[0].ref = NULL; break;
    }
}

/* A constant expression of a one-slot type (offsets, references). */
static wc_slot eval_const(const nxw_instance *inst, const wm_constexpr *e) {
    wc_slot v[2];
    eval_const_into(inst, e, v);
    return v[0];
}

static nxw_status run_start(nxw_store *s, nxw_func *f, nxw_error *err) {
    return nxw_func_call(s, f, NULL, 0, NULL, 0, NULL, err);
}

nxw_status wr_instance_create(nxw_store *s, const nxw_module *mod, const nxw_linker *l,
                              nxw_instance **out, nxw_error *err) {
    *out = NULL;
    const wm_module *m = &mod->m;
    nxw_instance *inst = store_alloc(s, sizeof *inst);
    if (!inst) return fail(err, NXW_ERR_NOMEM, "out of memory");
    inst->store = s;
    inst->module = mod;
    uint32_t nf = wm_total_funcs(m), nt = wm_total_tables(m), ng = wm_total_globals(m);
    inst->funcs = store_alloc(s, sizeof(nxw_func *) * nf);
    inst->tables = store_alloc(s, sizeof(nxw_table *) * nt);
    inst->globals = store_alloc(s, sizeof(nxw_global *) * ng);
    inst->sigs = store_alloc(s, sizeof(uint32_t) * m->ntypes);
    inst->elems = store_alloc(s, sizeof(wr_elem) * m->nelems);
    inst->data_len = store_alloc(s, sizeof(uint32_t) * m->ndatas);
    inst->own_funcs = store_alloc(s, sizeof(nxw_func) * m->nfuncs);
    if (!inst->funcs || !inst->tables || !inst->globals || !inst->sigs || !inst->elems ||
        !inst->data_len || !inst->own_funcs)
        return fail(err, NXW_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < m->ntypes; i++) {
        inst->sigs[i] = wr_intern_sig(s, &m->types[i]);
        if (inst->sigs[i] == UINT32_MAX) return fail(err, NXW_ERR_NOMEM, "out of memory");
    }

    uint32_t counts[4] = {0, 0, 0, 0};
    for (uint32_t i = 0; i < m->nimports; i++) {
        nxw_status st = resolve_import(s, inst, l, &m->imports[i], counts, err);
        if (st) return st;
    }
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        nxw_func *f = &inst->own_funcs[i];
        f->type = &m->types[m->funcs[i].type_index];
        f->sig = inst->sigs[m->funcs[i].type_index];
        f->inst = inst;
        f->code = m->funcs[i].code;
        f->index = m->nimported_funcs + i;
        inst->funcs[f->index] = f;
    }
    for (uint32_t i = 0; i < m->ntables; i++) {
        const wm_tabletype *tt = &m->tables[i];
        nxw_table *t = table_create(s, tt->elem, tt->limits.min,
                                    tt->limits.has_max ? tt->limits.max : UINT32_MAX, tt->limits.has_max);
        if (!t) return fail(err, NXW_ERR_NOMEM, "out of memory for a table of %u elements", tt->limits.min);
        inst->tables[m->nimported_tables + i] = t;
    }
    for (uint32_t i = 0; i < m->nmemories; i++) {
        const wm_limits *lim = &m->memories[i];
        if (lim->min > wr_limit_pages(s))
            return fail(err, NXW_ERR_LIMIT,
                        "memory limit exceeded: the module needs %u pages (%llu KiB) of initial memory, the limit allows %u pages (%llu KiB)",
                        lim->min, (unsigned long long)lim->min * (PAGE_SIZE / 1024), wr_limit_pages(s),
                        (unsigned long long)wr_limit_pages(s) * (PAGE_SIZE / 1024));
        nxw_memory *mem = memory_create(s, lim->min, lim->has_max ? lim->max : WM_MAX_PAGES, lim->has_max);
        if (!mem) return fail(err, NXW_ERR_NOMEM, "out of memory for %u pages of memory", lim->min);
        inst->memory = mem;
    }
    for (uint32_t i = 0; i < m->nglobals; i++) {
        nxw_global *g = store_alloc(s, sizeof *g);
        if (!g) return fail(err, NXW_ERR_NOMEM, "out of memory");
        g->type = m->globals[i].type.type;
        g->mutable_ = m->globals[i].type.mutable_;
        eval_const_into(inst, &m->globals[i].init, g->value);
        inst->globals[m->nimported_globals + i] = g;
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        wr_elem *we = &inst->elems[i];
        we->refs = store_alloc(s, sizeof(void *) * e->count);
        if (!we->refs) return fail(err, NXW_ERR_NOMEM, "out of memory");
        we->count = e->count;
        for (uint32_t k = 0; k < e->count; k++) we->refs[k] = eval_const(inst, &e->init[k]).ref;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) inst->data_len[i] = m->datas[i].len;
    if (mod->aot) {
        nxa_ctx *c = store_alloc(s, sizeof *c);
        wc_slot **g = store_alloc(s, sizeof(wc_slot *) * (ng ? ng : 1));
        if (!c || !g) return fail(err, NXW_ERR_NOMEM, "out of memory");
        nxa_instance_bind(inst, c, g);
    }
    *out = inst;
    return NXW_OK;
}

nxw_status nxw_instantiate(nxw_store *s, const nxw_module *mod, const nxw_linker *l,
                           nxw_instance **out, nxw_error *err) {
    *out = NULL;
    nxw_instance *inst;
    nxw_status st = wr_instance_create(s, mod, l, &inst, err);
    if (st) return st;
    const wm_module *m = &mod->m;
    /* active element segments, then active data segments, in order */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        wr_elem *we = &inst->elems[i];
        if (e->mode == WM_SEG_ACTIVE) {
            nxw_table *t = inst->tables[e->table];
            uint64_t off = eval_const(inst, &e->offset).u32;
            if (off + we->count > t->size) {
                s->trap_func = NULL;
                s->trap_message[0] = 0;
                return trap_error(s, NXW_TRAP_TABLE_OOB, err);
            }
            if (we->count) memcpy(t->elems + off, we->refs, we->count * sizeof(void *));
        }
        if (e->mode != WM_SEG_PASSIVE) we->count = 0;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE) continue;
        nxw_memory *mem = inst->memory;
        uint64_t off = eval_const(inst, &d->offset).u32;
        if (off + d->len > mem->size) {
            s->trap_func = NULL;
            s->trap_message[0] = 0;
            return trap_error(s, NXW_TRAP_MEMORY_OOB, err);
        }
        if (d->len) {
            memcpy(mem->data + off, d->bytes, d->len);
            wr_mark_dirty(mem, off, d->len);
        }
        inst->data_len[i] = 0;
    }
    *out = inst;
    if (m->has_start) {
        st = run_start(s, inst->funcs[m->start], err);
        if (st) {
            *out = NULL;
            return st;
        }
    }
    return NXW_OK;
}

bool nxw_instance_export(const nxw_instance *inst, const char *name, size_t name_len,
                         nxw_extern *out) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        if (ex->name.len != name_len || memcmp(ex->name.ptr, name, name_len) != 0) continue;
        out->kind = (nxw_externkind)ex->kind;
        switch (ex->kind) {
        case NXW_EXTERN_FUNC: out->of.func = inst->funcs[ex->index]; break;
        case NXW_EXTERN_TABLE: out->of.table = inst->tables[ex->index]; break;
        case NXW_EXTERN_MEMORY: out->of.memory = inst->memory; break;
        default: out->of.global = inst->globals[ex->index]; break;
        }
        return true;
    }
    return false;
}

nxw_memory *nxw_instance_memory(const nxw_instance *inst) { return inst->memory; }

const nxw_module *nxw_instance_module(const nxw_instance *inst) { return inst->module; }

uint32_t nxw_func_param_count(const nxw_func *f) { return f->type->nparams; }
uint32_t nxw_func_result_count(const nxw_func *f) { return f->type->nresults; }
nxw_valtype nxw_func_param_type(const nxw_func *f, uint32_t i) { return (nxw_valtype)f->type->types[i]; }
nxw_valtype nxw_func_result_type(const nxw_func *f, uint32_t i) {
    return (nxw_valtype)f->type->types[f->type->nparams + i];
}

/* Reads the results of a function of type t from the frame at fp. */
static void get_results(const wm_functype *t, const wc_slot *fp, nxw_value *results) {
    for (uint32_t i = 0, at = 0; i < t->nresults; i++) {
        uint8_t type = t->types[t->nparams + i];
        results[i] = wr_get_value(type, fp + at);
        at += wr_type_slots(type);
    }
}

/* Writes n values into consecutive slots from dst (the frame layout of code.h). */
static void put_values(wc_slot *dst, const nxw_value *values, uint32_t n) {
    for (uint32_t i = 0, at = 0; i < n; at += wr_type_slots(values[i].type), i++)
        wr_put_value(dst + at, &values[i]);
}

/* Reports how a run (call or resumption) of the store's outermost function ended. */
static nxw_status finish_run(nxw_store *s, nxw_trap trap, nxw_value *results, int *exit_code,
                             nxw_error *err) {
    if (trap == NXW_TRAP_SUSPEND) return NXW_SUSPENDED;
    const wm_functype *t = s->run_func->type;
    wc_slot *fp = s->run_fp;
    s->stack_top = s->stack;
    s->depth = 0;
    if (trap != NXW_TRAP_NONE) {
        if (exit_code) *exit_code = s->exit_code;
        return trap_error(s, trap, err);
    }
    get_results(t, fp, results);
    return NXW_OK;
}

nxw_status nxw_func_call(nxw_store *s, nxw_func *f, const nxw_value *args, uint32_t nargs,
                         nxw_value *results, uint32_t nresults, int *exit_code, nxw_error *err) {
    const wm_functype *t = f->type;
    if (s->suspended)
        return fail(err, NXW_ERR_ARGUMENT, "the store has a suspended run: resume or abandon it first");
    if (nargs != t->nparams)
        return fail(err, NXW_ERR_ARGUMENT, "function takes %u arguments, %u given", t->nparams, nargs);
    if (nresults < t->nresults)
        return fail(err, NXW_ERR_ARGUMENT, "function returns %u results, room for %u given", t->nresults, nresults);
    for (uint32_t i = 0; i < nargs; i++)
        if (args[i].type != t->types[i])
            return fail(err, NXW_ERR_ARGUMENT, "argument %u has the wrong type", i);
    bool outermost = s->depth == 0;
    if (outermost && !store_prepare_stack(s)) return fail(err, NXW_ERR_NOMEM, "out of memory for the stack");
    wc_slot *fp = outermost ? s->stack : s->stack_top;
    size_t param_slots = wr_types_slots(t->types, t->nparams);
    size_t result_slots = wr_types_slots(t->types, t->nparams + t->nresults) - param_slots;
    size_t need = param_slots > result_slots ? param_slots : result_slots;
    if ((size_t)(s->stack + s->stack_slots - fp) < need + 1) {
        s->trap_func = f;
        s->trap_message[0] = 0;
        return trap_error(s, NXW_TRAP_STACK_EXHAUSTED, err);
    }
    put_values(fp, args, nargs);
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0); /* the real C stack, even under ASan */
    if (outermost) s->native_base = sp;
    if (!outermost && (s->nesting >= WR_MAX_NESTING || s->native_base - sp > WR_NATIVE_STACK_BUDGET)) {
        s->trap_func = f;
        s->trap_message[0] = 0;
        return trap_error(s, NXW_TRAP_STACK_EXHAUSTED, err);
    }
    if (outermost) {
        s->run_func = f;
        s->run_fp = fp;
        wi_budget_start(s);
        s->stack_top = fp;
        return finish_run(s, wi_call(s, f, fp), results, exit_code, err);
    }
    wc_slot *saved_top = s->stack_top;
    s->stack_top = fp;
    s->nesting++;
    nxw_trap trap = wi_call(s, f, fp);
    s->nesting--;
    s->stack_top = saved_top;
    if (trap != NXW_TRAP_NONE) {
        if (exit_code) *exit_code = s->exit_code;
        return trap_error(s, trap, err);
    }
    get_results(t, fp, results);
    return NXW_OK;
}

/* ------------------------------------------------------------------ execution control */

void nxw_store_set_deadline(nxw_store *s, uint64_t deadline_ns) { s->deadline_ns = deadline_ns; }

void nxw_store_set_fuel(nxw_store *s, uint64_t fuel_limit) { s->fuel_limit = fuel_limit; }

void nxw_store_interrupt(nxw_store *s) { atomic_store_explicit(&s->interrupt, 1, memory_order_relaxed); }

void nxw_store_clear_interrupt(nxw_store *s) { atomic_store_explicit(&s->interrupt, 0, memory_order_relaxed); }

bool nxw_store_suspended(const nxw_store *s) { return s->suspended; }

nxw_func *nxw_store_suspended_func(const nxw_store *s) { return s->suspended ? s->susp_host : NULL; }

nxw_status nxw_resume(nxw_store *s, const nxw_value *host_results, uint32_t nhost_results,
                      nxw_value *results, uint32_t nresults, int *exit_code, nxw_error *err) {
    if (!s->suspended) return fail(err, NXW_ERR_ARGUMENT, "the store has no suspended run");
    const wm_functype *ht = s->susp_host->type;
    if (nhost_results != ht->nresults)
        return fail(err, NXW_ERR_ARGUMENT, "the suspended host function returns %u results, %u given",
                    ht->nresults, nhost_results);
    for (uint32_t i = 0; i < nhost_results; i++)
        if (host_results[i].type != ht->types[ht->nparams + i])
            return fail(err, NXW_ERR_ARGUMENT, "host result %u has the wrong type", i);
    if (nresults < s->run_func->type->nresults)
        return fail(err, NXW_ERR_ARGUMENT, "the run returns %u results, room for %u given",
                    s->run_func->type->nresults, nresults);
    put_values(s->susp_args, host_results, nhost_results);
    s->trap_message[0] = 0;
    s->exit_code = 0;
    return finish_run(s, wi_resume(s, NXW_TRAP_NONE), results, exit_code, err);
}

nxw_status nxw_resume_trap(nxw_store *s, nxw_trap trap, const char *message, nxw_error *err) {
    if (!s->suspended) return fail(err, NXW_ERR_ARGUMENT, "the store has no suspended run");
    if (trap == NXW_TRAP_NONE || trap == NXW_TRAP_SUSPEND || (unsigned)trap >= NXW_TRAP__COUNT)
        trap = NXW_TRAP_HOST;
    snprintf(s->trap_message, sizeof s->trap_message, "%s", message ? message : "");
    s->exit_code = 0;
    return finish_run(s, wi_resume(s, trap), NULL, NULL, err);
}

void nxw_store_abandon(nxw_store *s) {
    if (!s->suspended) return;
    nxa_abandon(s);
    s->suspended = false;
    s->depth = 0;
    s->stack_top = s->stack;
}
