/*
 * snapshot.c — snapshots of an instance's state, instantiation from a snapshot, and
 * reset to a snapshot.
 *
 * A snapshot holds the instance's own linear memory in a memfd (sealed in spirit: never
 * written after it is taken), plus copies of its own globals, its own tables (function
 * references kept as function indices so another instance can re-create them) and the
 * dropped state of its segments. Instances made from a snapshot map the memfd
 * MAP_PRIVATE over the start of their memory reservation, so all of them share the
 * snapshot's clean pages through the page cache and copy a page only when they write it.
 *
 * Reset relies on the dirty map every memory keeps below its data (runtime.h): only the
 * 4 KiB pages written since the last reset are restored, by copying them back from a
 * read-only view of the memfd, or, for long runs, by dropping them with
 * madvise(MADV_DONTNEED), which makes a private file mapping show the file again and an
 * anonymous one show zeros. The cost is proportional to the pages written plus a scan
 * of the dirty map (one byte per 4 KiB of the peak size).
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
    SN_PAGE = 1 << WR_HOST_PAGE_LOG2,
    WASM_PAGE = 65536,
    SN_MADVISE_RUN = 16,   /* dirty runs of at least this many host pages may be dropped */
    SN_COPY_BUDGET = 4 << 20, /* bytes a reset restores by copying before it drops runs */
    SN_NO_FUNC = 0xFFFFFFFFu,
};

/* One own table: elements as function indices (funcref) or raw pointers (externref). */
typedef struct sn_table {
    uint8_t elem;
    uint32_t size;
    uint32_t *funcs; /* funcref: index in the instance's function space or SN_NO_FUNC */
    void **externs;  /* externref */
} sn_table;

struct nxw_snapshot {
    atomic_int refs;
    const nxw_module *module;
    /* own memory 0 (absent when the module has none or imports it) */
    bool has_memory;
    int memfd;
    const uint8_t *view; /* read-only shared view of the memfd, mem_bytes long */
    uint64_t mem_bytes;
    uint32_t mem_pages;
    /* own globals, in module order */
    uint32_t nglobals;
    wc_slot *globals; /* two slots per global (nxw_global.value) */
    /* own tables, in module order */
    uint32_t ntables;
    sn_table *tables;
    /* segment state */
    uint32_t *elem_count;
    uint32_t *data_len;
};

/* Fills err (when non-NULL) and returns st; snapshot errors have no module offset. */
#define sn_fail(err, st, ...) wm_fail((err), (st), SIZE_MAX, __VA_ARGS__)

static bool owns_memory(const wm_module *m) { return m->nmemories > 0; }

/* ------------------------------------------------------------------ taking */

static void snapshot_destroy(nxw_snapshot *snap) {
    if (snap->view) munmap((void *)snap->view, snap->mem_bytes ? snap->mem_bytes : 1);
    if (snap->memfd >= 0) close(snap->memfd);
    for (uint32_t i = 0; i < snap->ntables; i++) {
        free(snap->tables[i].funcs);
        free(snap->tables[i].externs);
    }
    free(snap->tables);
    free(snap->globals);
    free(snap->elem_count);
    free(snap->data_len);
    free(snap);
}

void nxw_snapshot_free(nxw_snapshot *snap) {
    if (snap && atomic_fetch_sub_explicit(&snap->refs, 1, memory_order_acq_rel) == 1) snapshot_destroy(snap);
}

/* True when the whole host page at p is zero. */
static bool page_is_zero(const uint8_t *p) {
    uint64_t acc = 0;
    for (size_t i = 0; i < SN_PAGE; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    return acc == 0;
}

/* Writes the memory into a new memfd (zero pages stay holes) and maps a view of it. */
static nxw_status capture_memory(nxw_snapshot *snap, const nxw_memory *mem, nxw_error *err) {
    snap->mem_bytes = mem->size;
    snap->mem_pages = mem->pages;
    snap->memfd = memfd_create("nexus-snapshot", MFD_CLOEXEC);
    if (snap->memfd < 0) return sn_fail(err, NXW_ERR_NOMEM, "memfd_create failed: %s", strerror(errno));
    if (ftruncate(snap->memfd, (off_t)mem->size) != 0)
        return sn_fail(err, NXW_ERR_NOMEM, "cannot size the snapshot file: %s", strerror(errno));
    for (uint64_t off = 0; off < mem->size; off += SN_PAGE) {
        if (page_is_zero(mem->data + off)) continue;
        uint64_t end = off + SN_PAGE; /* extend over the following non-zero pages */
        while (end < mem->size && !page_is_zero(mem->data + end)) end += SN_PAGE;
        for (uint64_t done = off; done < end;) {
            ssize_t n = pwrite(snap->memfd, mem->data + done, (size_t)(end - done), (off_t)done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return sn_fail(err, NXW_ERR_NOMEM, "cannot write the snapshot: %s", strerror(errno));
            done += (uint64_t)n;
        }
        off = end - SN_PAGE;
    }
    if (mem->size) {
        void *v = mmap(NULL, (size_t)mem->size, PROT_READ, MAP_SHARED, snap->memfd, 0);
        if (v == MAP_FAILED) return sn_fail(err, NXW_ERR_NOMEM, "cannot map the snapshot: %s", strerror(errno));
        snap->view = v;
    }
    snap->has_memory = true;
    return NXW_OK;
}

/* The index of function f in inst's function space, or SN_NO_FUNC when it has none. */
static uint32_t func_index_in(const nxw_instance *inst, const nxw_func *f) {
    if (f->inst == inst) return f->index;
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nimported_funcs; i++)
        if (inst->funcs[i] == f) return i;
    return SN_NO_FUNC;
}

static nxw_status capture_tables(nxw_snapshot *snap, const nxw_instance *inst, nxw_error *err) {
    const wm_module *m = &inst->module->m;
    snap->ntables = m->ntables;
    snap->tables = calloc(m->ntables ? m->ntables : 1, sizeof(sn_table));
    if (!snap->tables) return sn_fail(err, NXW_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < m->ntables; i++) {
        const nxw_table *t = inst->tables[m->nimported_tables + i];
        sn_table *st = &snap->tables[i];
        st->elem = t->elem;
        st->size = t->size;
        if (t->elem == NXW_EXTERNREF) {
            st->externs = malloc(sizeof(void *) * (t->size ? t->size : 1));
            if (!st->externs) return sn_fail(err, NXW_ERR_NOMEM, "out of memory");
            if (t->size) memcpy(st->externs, t->elems, sizeof(void *) * t->size);
            continue;
        }
        st->funcs = malloc(sizeof(uint32_t) * (t->size ? t->size : 1));
        if (!st->funcs) return sn_fail(err, NXW_ERR_NOMEM, "out of memory");
        for (uint32_t k = 0; k < t->size; k++) {
            const nxw_func *f = t->elems[k];
            st->funcs[k] = f ? func_index_in(inst, f) : SN_NO_FUNC;
            if (f && st->funcs[k] == SN_NO_FUNC)
                return sn_fail(err, NXW_ERR_ARGUMENT,
                               "cannot snapshot: table %u element %u is a function of another instance",
                               m->nimported_tables + i, k);
        }
    }
    return NXW_OK;
}

/* Forgets every recorded write of mem below `pages` pages. */
static void clear_dirty(nxw_memory *mem, uint32_t pages) {
    size_t n = (size_t)pages * (WASM_PAGE / SN_PAGE);
    if (n) memset(mem->data - n, 0, n);
}

nxw_status nxw_snapshot_take(nxw_instance *inst, nxw_snapshot **out, nxw_error *err) {
    *out = NULL;
    nxw_store *s = inst->store;
    if (s->depth || s->suspended)
        return sn_fail(err, NXW_ERR_ARGUMENT, "cannot snapshot an instance while its store runs or is suspended");
    const wm_module *m = &inst->module->m;
    nxw_snapshot *snap = calloc(1, sizeof *snap);
    if (!snap) return sn_fail(err, NXW_ERR_NOMEM, "out of memory");
    atomic_init(&snap->refs, 1);
    snap->memfd = -1;
    snap->module = inst->module;
    nxw_status st = NXW_OK;
    if (owns_memory(m)) st = capture_memory(snap, inst->memory, err);
    if (!st) st = capture_tables(snap, inst, err);
    if (!st) {
        snap->nglobals = m->nglobals;
        snap->globals = malloc(2 * sizeof(wc_slot) * (m->nglobals ? m->nglobals : 1));
        snap->elem_count = malloc(sizeof(uint32_t) * (m->nelems ? m->nelems : 1));
        snap->data_len = malloc(sizeof(uint32_t) * (m->ndatas ? m->ndatas : 1));
        if (!snap->globals || !snap->elem_count || !snap->data_len) st = sn_fail(err, NXW_ERR_NOMEM, "out of memory");
    }
    if (st) {
        snapshot_destroy(snap);
        return st;
    }
    for (uint32_t i = 0; i < m->nglobals; i++)
        memcpy(&snap->globals[2 * i], inst->globals[m->nimported_globals + i]->value, 2 * sizeof(wc_slot));
    for (uint32_t i = 0; i < m->nelems; i++) snap->elem_count[i] = inst->elems[i].count;
    for (uint32_t i = 0; i < m->ndatas; i++) snap->data_len[i] = inst->data_len[i];
    if (snap->has_memory) {
        /* from now on the dirty map records what differs from the snapshot */
        clear_dirty(inst->memory, inst->memory->peak_pages);
        inst->memory->peak_pages = inst->memory->pages;
        inst->memory->grow_refused = false;
    }
    *out = snap;
    return NXW_OK;
}

/* ------------------------------------------------------------------ restoring */

/* Restores globals, tables and segment state (everything but memory). */
static nxw_status restore_objects(nxw_instance *inst, const nxw_snapshot *snap, nxw_error *err) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < snap->ntables; i++) {
        nxw_table *t = inst->tables[m->nimported_tables + i];
        const sn_table *st = &snap->tables[i];
        if (t->cap < st->size) {
            void **e = realloc(t->elems, sizeof(void *) * st->size);
            if (!e) return sn_fail(err, NXW_ERR_NOMEM, "out of memory restoring table %u", i);
            t->elems = e;
            t->cap = st->size;
        }
        t->size = st->size;
        for (uint32_t k = 0; k < st->size; k++)
            t->elems[k] = st->externs ? st->externs[k]
                                      : (st->funcs[k] == SN_NO_FUNC ? NULL : (void *)inst->funcs[st->funcs[k]]);
    }
    for (uint32_t i = 0; i < snap->nglobals; i++)
        memcpy(inst->globals[m->nimported_globals + i]->value, &snap->globals[2 * i], 2 * sizeof(wc_slot));
    for (uint32_t i = 0; i < m->nelems; i++) inst->elems[i].count = snap->elem_count[i];
    for (uint32_t i = 0; i < m->ndatas; i++) inst->data_len[i] = snap->data_len[i];
    return NXW_OK;
}

/* Restores host pages [first, first+n) of mem (all dirty) from the snapshot. The first
 * SN_COPY_BUDGET bytes of a reset (*copied counts them) are restored by copying, which
 * keeps the pages resident: dropping them costs a TLB flush now and a page fault each
 * when the next run touches them again, several times the copy. Long runs past that
 * budget are dropped, so a run that wrote much memory does not keep it resident. */
static void restore_run(nxw_memory *mem, const nxw_snapshot *snap, bool cow, uint64_t first, uint64_t n,
                        uint64_t *copied) {
    uint64_t snap_pages = snap->mem_bytes / SN_PAGE;
    while (n) {
        /* split at the end of the snapshot's data: below it pages come from the file */
        bool in_snap = first < snap_pages;
        uint64_t k = in_snap ? (first + n <= snap_pages ? n : snap_pages - first) : n;
        uint8_t *p = mem->data + first * SN_PAGE;
        size_t len = (size_t)(k * SN_PAGE);
        bool dropped = false;
        if (k >= SN_MADVISE_RUN && (!in_snap || cow) && *copied + len > SN_COPY_BUDGET)
            dropped = madvise(p, len, MADV_DONTNEED) == 0;
        if (!dropped) {
            if (in_snap) memcpy(p, snap->view + first * SN_PAGE, len);
            else memset(p, 0, len);
            *copied += len;
        }
        first += k;
        n -= k;
    }
}

/* Restores every page of mem written since the last reset and clears the dirty map. */
static void restore_memory(nxw_memory *mem, const nxw_snapshot *snap, bool cow) {
    uint64_t npages = (uint64_t)mem->peak_pages * (WASM_PAGE / SN_PAGE);
    /* the dirty byte of host page p is mem->data[-1 - p] */
    uint64_t run_start = 0, run_len = 0, copied = 0;
    for (uint64_t i = 0; i < npages;) {
        /* skip clean stretches eight bytes at a time */
        if ((i & 7) == 0 && i + 8 <= npages) {
            uint64_t w;
            memcpy(&w, mem->data - i - 8, 8);
            if (w == 0) {
                if (run_len) {
                    restore_run(mem, snap, cow, run_start, run_len, &copied);
                    run_len = 0;
                }
                i += 8;
                continue;
            }
        }
        if (mem->data[-1 - (int64_t)i]) {
            mem->data[-1 - (int64_t)i] = 0;
            if (run_len && run_start + run_len == i) {
                run_len++;
            } else {
                if (run_len) restore_run(mem, snap, cow, run_start, run_len, &copied);
                run_start = i;
                run_len = 1;
            }
        }
        i++;
    }
    if (run_len) restore_run(mem, snap, cow, run_start, run_len, &copied);
    mem->pages = snap->mem_pages;
    mem->size = snap->mem_bytes;
    mem->peak_pages = snap->mem_pages;
    mem->grow_refused = false;
}

nxw_status nxw_instance_reset(nxw_instance *inst, const nxw_snapshot *snap, nxw_error *err) {
    nxw_store *s = inst->store;
    if (inst->module != snap->module)
        return sn_fail(err, NXW_ERR_ARGUMENT, "the snapshot was taken of an instance of another module");
    if (s->suspended) nxw_store_abandon(s);
    if (s->depth) return sn_fail(err, NXW_ERR_ARGUMENT, "cannot reset an instance while its store runs");
    nxw_memory *mem = inst->memory;
    if (snap->has_memory && snap->mem_pages > mem->max_pages)
        return sn_fail(err, NXW_ERR_LIMIT, "the snapshot's memory (%u pages) exceeds this memory's limit (%u pages)",
                       snap->mem_pages, mem->max_pages);
    nxw_status st = restore_objects(inst, snap, err);
    if (st) return st;
    if (snap->has_memory) restore_memory(mem, snap, inst->snapshot == snap);
    return NXW_OK;
}

/* ------------------------------------------------------------------ instantiating */

/* Maps the snapshot's memfd copy-on-write over the start of mem's reservation. */
static nxw_status map_snapshot_memory(nxw_memory *mem, const nxw_snapshot *snap, nxw_error *err) {
    if (snap->mem_pages > mem->max_pages)
        return sn_fail(err, NXW_ERR_LIMIT, "the snapshot's memory (%u pages) exceeds the store's limit (%u pages)",
                       snap->mem_pages, mem->max_pages);
    if (!wr_memory_make_accessible(mem, snap->mem_pages))
        return sn_fail(err, NXW_ERR_NOMEM, "cannot make %u pages accessible", snap->mem_pages);
    if (snap->mem_bytes) {
        void *p = mmap(mem->data, (size_t)snap->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                       snap->memfd, 0);
        if (p == MAP_FAILED) return sn_fail(err, NXW_ERR_NOMEM, "cannot map the snapshot: %s", strerror(errno));
    }
    /* pages the instance's own creation wrote (data segments never ran: none) are replaced */
    clear_dirty(mem, mem->peak_pages > snap->mem_pages ? mem->peak_pages : snap->mem_pages);
    mem->pages = mem->peak_pages = snap->mem_pages;
    mem->size = snap->mem_bytes;
    return NXW_OK;
}

/* Records that the store holds a reference to snap (released by nxw_store_free). */
static bool store_hold_snapshot(nxw_store *s, nxw_snapshot *snap) {
    if (s->nsnapshots == s->cap_snapshots) {
        size_t ncap = s->cap_snapshots ? s->cap_snapshots * 2 : 4;
        nxw_snapshot **n = realloc(s->snapshots, ncap * sizeof *n);
        if (!n) return false;
        s->snapshots = n;
        s->cap_snapshots = ncap;
    }
    atomic_fetch_add_explicit(&snap->refs, 1, memory_order_relaxed);
    s->snapshots[s->nsnapshots++] = snap;
    return true;
}

void wr_store_release_snapshots(nxw_store *s) {
    for (size_t i = 0; i < s->nsnapshots; i++) nxw_snapshot_free(s->snapshots[i]);
    free(s->snapshots);
    s->snapshots = NULL;
    s->nsnapshots = s->cap_snapshots = 0;
}

nxw_status nxw_snapshot_instantiate(nxw_store *s, nxw_snapshot *snap, const nxw_linker *l,
                                    nxw_instance **out, nxw_error *err) {
    *out = NULL;
    if (s->suspended) return sn_fail(err, NXW_ERR_ARGUMENT, "the store has a suspended run");
    const wm_module *m = &snap->module->m;
    if (snap->has_memory && snap->mem_pages > wr_limit_pages(s))
        return sn_fail(err, NXW_ERR_LIMIT,
                       "memory limit exceeded: the snapshot holds %u pages (%llu KiB), the limit allows %u pages",
                       snap->mem_pages, (unsigned long long)snap->mem_bytes >> 10, wr_limit_pages(s));
    nxw_instance *inst;
    nxw_status st = wr_instance_create(s, snap->module, l, &inst, err);
    if (st) return st;
    if (!store_hold_snapshot(s, snap)) return sn_fail(err, NXW_ERR_NOMEM, "out of memory");
    inst->snapshot = snap;
    st = restore_objects(inst, snap, err);
    if (!st && snap->has_memory && owns_memory(m)) st = map_snapshot_memory(inst->memory, snap, err);
    if (st) return st;
    *out = inst;
    return NXW_OK;
}
