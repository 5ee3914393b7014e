/*
 * aot.c — running ahead-of-time compiled code (aot_gen.c, aot_rt.h) inside the engine:
 * attaching it to its module, the per-instance context, calls into it, traps, and
 * suspension.
 *
 * Native code runs on a fiber: a stack of the store's own (mmap'd, a guard page below
 * it), entered by a context switch (nxa_switch: callee-saved registers and the
 * floating-point control words, no system call; ucontext's swapcontext, which also
 * saves the signal mask with a system call each way, on hosts other than x86-64). That
 * gives it a known stack bound, which every calling function checks at entry
 * (aot_stack_limit, with room left below it for host functions), so deep recursion
 * traps "call stack exhausted" instead of overflowing;
 * and it lets a host function suspend the run: the fiber is parked with its native
 * frames and switched back into by nxw_resume, from any thread. A trap longjmps to the
 * entry of the innermost call into native code (on the fiber). Calls from host
 * functions back into the store's wasm run on the same fiber, nested.
 *
 * The fiber switches are annotated for AddressSanitizer and ThreadSanitizer, which
 * otherwise lose track of the stack.
 */
#define _GNU_SOURCE
#include "aot_rt.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(NXA_USE_UCONTEXT)
#define NXA_OWN_SWITCH 1
/* nxa_switch(from, to): pushes the callee-saved registers and the MXCSR/x87 control
 * words, stores the stack pointer in *from, loads `to` and pops the same from there.
 * nxa_fiber_start is where a new fiber's first switch returns to: it calls r13(r12). */
void nxa_switch(void **from, void *to);
__asm__(".text\n"
        ".globl nxa_switch\n.hidden nxa_switch\n.type nxa_switch,@function\n.p2align 4\n"
        "nxa_switch:\n"
        "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
        "  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
        "  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
        "  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
        "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
        "  ret\n"
        ".size nxa_switch, .-nxa_switch\n"
        ".globl nxa_fiber_start\n.hidden nxa_fiber_start\n.type nxa_fiber_start,@function\n"
        "nxa_fiber_start:\n"
        "  movq %r12, %rdi\n  callq *%r13\n  ud2\n"
        ".size nxa_fiber_start, .-nxa_fiber_start\n");
void nxa_fiber_start(void);
#else
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define NXA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NXA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define NXA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NXA_TSAN 1
#endif
#endif

#ifdef NXA_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#endif
#ifdef NXA_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

enum {
#if defined(NXA_ASAN) || defined(NXA_TSAN)
    NXA_STACK_FACTOR = 32,        /* instrumented frames are several times larger */
    NXA_HOST_RESERVE = 1u << 20,  /* stack kept free for host functions below the limit */
#else
    NXA_STACK_FACTOR = 8,
    NXA_HOST_RESERVE = 256u << 10,
#endif
    NXA_MIN_STACK = 8u << 20,
};

/* A store's fiber and the state of the native run on it. */
typedef struct nxa_run {
#ifdef NXA_OWN_SWITCH
    void *fiber_sp, *caller_sp; /* saved stack pointers (nxa_switch) */
#else
    ucontext_t fiber, caller;
#endif
    uint8_t *map;          /* guard page + stack */
    size_t map_len;
    uint8_t *stack;        /* usable stack (above the guard page) */
    size_t stack_len;
    bool on_fiber;         /* native code (or a host function it called) is running */
    bool suspended;        /* parked in a host call that suspended */
    bool dirty;            /* the fiber was left mid-run (abandoned): unpoison on reuse */
    /* the outermost call */
    nxw_func *func;
    wc_slot *fp;
    nxw_trap result;
    /* where a trap goes: the innermost call's entry */
    jmp_buf *jb;
    nxw_trap trap;
    nxw_trap resume_trap;  /* raised at the suspended call site on resume */
#ifdef NXA_ASAN
    void *fake_stack;
    const void *caller_bottom;
    size_t caller_size;
#endif
#ifdef NXA_TSAN
    void *tsan_fiber, *tsan_caller;
    unsigned tsan_runs;    /* runs started on tsan_fiber */
#endif
} nxa_run;

/* ------------------------------------------------------------------ attaching */

nxw_status nxw_module_attach_aot(nxw_module *module, const nxw_aot_code *code, nxw_error *err) {
    const wm_module *m = &module->m;
    if (!code) return wm_fail(err, NXW_ERR_ARGUMENT, SIZE_MAX, "aot: no code given");
    if (code->abi != NXA_ABI_VERSION)
        return wm_fail(err, NXW_ERR_ARGUMENT, SIZE_MAX,
                       "aot: the code was generated for ABI %u, the engine has ABI %u", code->abi,
                       NXA_ABI_VERSION);
    if (code->module_len != m->len || code->nfuncs != m->nfuncs || code->ntypes != m->ntypes ||
        code->module_hash != nxa_module_hash(m->bytes, m->len))
        return wm_fail(err, NXW_ERR_ARGUMENT, SIZE_MAX,
                       "aot: the code was generated from another module (%zu bytes, hash %016llx; "
                       "this module: %zu bytes)",
                       code->module_len, (unsigned long long)code->module_hash, m->len);
    module->aot = code;
    return NXW_OK;
}

bool nxw_module_has_aot(const nxw_module *module) { return module->aot != NULL; }

void nxa_instance_bind(nxw_instance *inst, nxa_ctx *c, wc_slot **g) {
    const nxw_module *mod = inst->module;
    const wm_module *m = &mod->m;
    for (uint32_t i = 0; i < wm_total_globals(m); i++) g[i] = inst->globals[i]->value;
    c->store = inst->store;
    c->inst = inst;
    c->memory = inst->memory;
    c->g = g;
    c->tables = inst->tables;
    c->sigs = inst->sigs;
    c->code = mod->aot;
    inst->aot = c;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        inst->own_funcs[i].aot_native = mod->aot->natives[i];
        inst->own_funcs[i].aot_entry = mod->aot->entries[i];
    }
}

/* ------------------------------------------------------------------ the fiber */

static nxa_run *run_of(nxw_store *s) {
    if (s->aot_run) return s->aot_run;
    nxa_run *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t want = (size_t)NXA_STACK_FACTOR * (s->limits.stack_bytes ? s->limits.stack_bytes : (1u << 20));
    if (want < NXA_MIN_STACK) want = NXA_MIN_STACK;
    want = (want + page - 1) & ~(page - 1);
    r->map_len = want + page;
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (r->map == MAP_FAILED) {
        free(r);
        return NULL;
    }
    /* guard page: an overflow faults, never corrupts; no fiber without it */
    if (mprotect(r->map, page, PROT_NONE) != 0) {
        munmap(r->map, r->map_len);
        free(r);
        return NULL;
    }
    r->stack = r->map + page;
    r->stack_len = want;
#ifdef NXA_TSAN
    r->tsan_fiber = __tsan_create_fiber(0);
#endif
    s->aot_run = r;
    return r;
}

void nxa_store_free(nxw_store *s) {
    nxa_run *r = s->aot_run;
    if (!r) return;
#ifdef NXA_TSAN
    __tsan_destroy_fiber(r->tsan_fiber);
#endif
    munmap(r->map, r->map_len);
    free(r);
    s->aot_run = NULL;
}

/* Switches from the caller's stack into the fiber. */
static void switch_in(nxa_run *r) {
#ifdef NXA_ASAN
    __sanitizer_start_switch_fiber(&r->fake_stack, r->stack, r->stack_len);
#endif
#ifdef NXA_TSAN
    r->tsan_caller = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(r->tsan_fiber, 0);
#endif
#ifdef NXA_OWN_SWITCH
    nxa_switch(&r->caller_sp, r->fiber_sp);
#else
    swapcontext(&r->caller, &r->fiber);
#endif
#ifdef NXA_ASAN
    __sanitizer_finish_switch_fiber(r->fake_stack, NULL, NULL);
#endif
}

/* Switches from the fiber back to the caller; returns when switched in again. `done`:
 * the fiber's run is over (its frames are dead). */
static void switch_out(nxa_run *r, bool done) {
#ifdef NXA_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(done ? NULL : &fake, r->caller_bottom, r->caller_size);
#else
    (void)done;
#endif
#ifdef NXA_TSAN
    __tsan_switch_to_fiber(r->tsan_caller, 0);
#endif
#ifdef NXA_OWN_SWITCH
    nxa_switch(&r->fiber_sp, r->caller_sp);
#else
    swapcontext(&r->fiber, &r->caller);
#endif
#ifdef NXA_ASAN
    __sanitizer_finish_switch_fiber(fake, &r->caller_bottom, &r->caller_size);
#endif
}

/* Calls f's entry on the current stack, catching traps (not inlined: the setjmp stays
 * in a frame of its own). A trap skips the frames' returns: the frame count
 * (max_call_depth) is restored here. */
__attribute__((noinline)) static nxw_trap call_here(nxw_store *s, nxa_run *r, nxw_func *f,
                                                    wc_slot *fp) {
    jmp_buf jb;
    jmp_buf *volatile prev = r->jb;
    const int64_t frames_left = s->aot_frames_left;
    r->jb = &jb;
    nxw_trap t = NXW_TRAP_NONE;
    if (_setjmp(jb) == 0) {
        f->aot_entry(f->inst->aot, fp);
    } else {
        t = r->trap;
#ifdef NXA_ASAN
        /* the unwound frames' redzones stay poisoned: ASan does not clean a stack as
         * large as the fiber's at a longjmp ("ignoring __asan_handle_no_return"), and
         * later frames there would report false errors. Everything below is dead. */
        uint8_t *here = __builtin_frame_address(0);
        __asan_unpoison_memory_region(r->stack, (size_t)(here - r->stack));
#endif
    }
    r->jb = prev;
    s->aot_frames_left = frames_left;
    return t;
}

/* The fiber's bottom frame: runs the outermost call, then switches out for good. */
static void fiber_main(void *arg) {
    nxw_store *s = arg;
    nxa_run *r = s->aot_run;
#ifdef NXA_ASAN
    __sanitizer_finish_switch_fiber(NULL, &r->caller_bottom, &r->caller_size);
#endif
    s->native_base = (uintptr_t)__builtin_frame_address(0);
    r->result = call_here(s, r, r->func, r->fp);
    r->on_fiber = false;
    switch_out(r, true);
}

#ifndef NXA_OWN_SWITCH
static void fiber_start_ucontext(unsigned lo, unsigned hi) {
    fiber_main((void *)(((uintptr_t)hi << 32) | (uintptr_t)lo));
}
#endif

/* Makes the fiber start in fiber_main(s) from the top of its stack on the next switch. */
#ifdef NXA_OWN_SWITCH
static void prepare_fiber(nxw_store *s, nxa_run *r) {
    /* what nxa_switch pops: control words, r15, r14, r13 (function), r12 (argument),
     * rbx, rbp, the return address; after that `ret` the stack is 16-byte aligned for
     * the call in nxa_fiber_start */
    uintptr_t top = ((uintptr_t)r->stack + r->stack_len - 16) & ~(uintptr_t)15;
    void **sp = (void **)(top - 64);
    uint32_t words[2] = {0x1F80u, 0x037Fu}; /* default MXCSR and x87 control word */
    memcpy(&sp[0], words, sizeof words);
    sp[1] = NULL;
    sp[2] = NULL;
    sp[3] = (void *)(uintptr_t)fiber_main;
    sp[4] = s;
    sp[5] = NULL;
    sp[6] = NULL;
    sp[7] = (void *)(uintptr_t)nxa_fiber_start;
    r->fiber_sp = sp;
}
#else
/* (getcontext returns twice: kept out of the caller's frame) */
__attribute__((noinline)) static void prepare_fiber(nxw_store *s, nxa_run *r) {
    getcontext(&r->fiber);
    r->fiber.uc_stack.ss_sp = r->stack;
    r->fiber.uc_stack.ss_size = r->stack_len;
    r->fiber.uc_link = NULL;
    uintptr_t p = (uintptr_t)s;
    makecontext(&r->fiber, (void (*)(void))fiber_start_ucontext, 2, (unsigned)(p & 0xFFFFFFFFu),
                (unsigned)(p >> 32));
}
#endif

nxw_trap nxa_call(nxw_store *s, nxw_func *f, wc_slot *fp) {
    s->trap_func = f;
    s->trap_message[0] = 0;
    s->exit_code = 0;
    nxa_run *r = run_of(s);
    if (!r) {
        snprintf(s->trap_message, sizeof s->trap_message, "out of memory for the native stack");
        return NXW_TRAP_HOST;
    }
    if (r->on_fiber) return call_here(s, r, f, fp); /* a host function calling back */
    if (r->dirty) {
#ifdef NXA_ASAN
        __asan_unpoison_memory_region(r->stack, r->stack_len);
#endif
#ifdef NXA_TSAN
        r->tsan_runs = 4096; /* a fresh ThreadSanitizer fiber (below) */
#endif
        r->dirty = false;
    }
    r->func = f;
    r->fp = fp;
    r->jb = NULL;
    r->on_fiber = true;
    r->suspended = false;
    s->aot_stack_limit = (uintptr_t)r->stack + NXA_HOST_RESERVE;
    /* max_call_depth counts the native frames too, after those of an interpreted run
     * this one is nested in */
    uint32_t max_depth = s->limits.max_call_depth;
    s->aot_frames_left = max_depth ? (int64_t)max_depth - s->depth : INT64_MAX;
#ifdef NXA_TSAN
    /* ThreadSanitizer records at most 64 Ki nested instrumented frames per fiber (and
     * crashes beyond): deep native recursion must trap well before the stack limit */
    if (s->aot_frames_left > 32768) s->aot_frames_left = 32768;
#endif
    /* while it lasts (suspended too) the run is one frame in s->depth, as an
     * interpreted run's entry frame is: then nxw_func_call from a host function nests
     * (the outermost call's value stack, fuel and results stay intact, re-entry and
     * suspension are bounded as nested), and limits, snapshots and resets are refused
     * mid-run; finish_run (instance.c) or abandoning the run clears it */
    uint32_t saved_depth = s->depth;
    if (!saved_depth) s->depth = 1;
    uintptr_t saved_base = s->native_base;
#ifdef NXA_TSAN
    /* a run ends inside fiber_main (never returned from) and an abandoned run in its
     * host call: their entries stay on the ThreadSanitizer fiber's shadow call stack (64
     * Ki entries; it crashes beyond). So the fiber is replaced after an abandoned run
     * and every 4096 runs (a replacement costs milliseconds). */
    if (r->tsan_runs++ >= 4096) {
        __tsan_destroy_fiber(r->tsan_fiber);
        r->tsan_fiber = __tsan_create_fiber(0);
        r->tsan_runs = 1;
    }
#endif
    prepare_fiber(s, r);
    switch_in(r);
    s->native_base = saved_base;
    if (!r->suspended) s->depth = saved_depth;
    return r->suspended ? NXW_TRAP_SUSPEND : r->result;
}

bool nxa_suspended(const nxw_store *s) { return s->aot_run && s->aot_run->suspended; }

nxw_trap nxa_resume(nxw_store *s, nxw_trap trap) {
    nxa_run *r = s->aot_run;
    s->suspended = false;
    r->suspended = false;
    r->resume_trap = trap;
    switch_in(r);
    return r->suspended ? NXW_TRAP_SUSPEND : r->result;
}

void nxa_abandon(nxw_store *s) {
    nxa_run *r = s->aot_run;
    if (!r || !r->suspended) return;
    r->suspended = false;
    r->on_fiber = false;
    r->dirty = true;
}

/* ------------------------------------------------------------------ traps and budget */

_Noreturn void nxa_trap(nxa_ctx *c, nxw_trap trap, uint32_t fi) {
    nxw_store *s = c->store;
    nxa_run *r = s->aot_run;
    if (fi < wm_total_funcs(&c->inst->module->m)) s->trap_func = c->inst->funcs[fi];
    r->trap = trap;
#ifdef NXA_TSAN
    /* ThreadSanitizer intercepts longjmp, not _longjmp (GCC 12): without it, the frames
     * a trap unwinds stay on its shadow call stack, which overflows after a few deep
     * traps. (longjmp of an _setjmp buffer restores no signal mask either.) */
    longjmp(*r->jb, 1);
#else
    _longjmp(*r->jb, 1);
#endif
}

void nxa_budget(nxa_ctx *c, uint32_t fi) {
    nxw_trap t = wi_budget_check(c->store);
    if (t) nxa_trap(c, t, fi);
}

/* ------------------------------------------------------------------ calls out */

/* Suspends the run inside host function f's call (args/results at v). */
static void suspend(nxa_ctx *c, nxw_func *f, wc_slot *v, uint32_t fi) {
    nxw_store *s = c->store;
    nxa_run *r = s->aot_run;
    s->suspended = true;
    s->susp_host = f;
    s->susp_args = v;
    r->suspended = true;
    switch_out(r, false);
    /* resumed (perhaps on another thread): v holds the host call's results */
    if (r->resume_trap) nxa_trap(c, r->resume_trap, fi);
}

void nxa_call_func(nxa_ctx *c, nxw_func *f, wc_slot *v) {
    nxw_store *s = c->store;
    uint32_t fi = f->index;
    if (f->host) {
        nxw_trap t = wi_call_host(s, f, c->inst, v, s->stack_top);
        if (t == NXW_TRAP_SUSPEND) {
            if (s->nesting) {
                snprintf(s->trap_message, sizeof s->trap_message,
                         "host function cannot suspend: wasm is nested in a host call");
                nxa_trap(c, NXW_TRAP_HOST, fi);
            }
            suspend(c, f, v, fi);
            return;
        }
        if (t) nxa_trap(c, t, UINT32_MAX);
        if (s->deadline_ns || atomic_load_explicit(&s->interrupt, memory_order_relaxed)) {
            t = wi_stop_requested(s);
            if (t) nxa_trap(c, t, UINT32_MAX);
        }
        return;
    }
    /* another instance's function: a nested run on the store's value stack */
    const wm_functype *t = f->type;
    uint32_t np = wr_types_slots(t->types, t->nparams);
    uint32_t nr = t->nresults ? wr_types_slots(t->types + t->nparams, t->nresults) : 0;
    uint32_t need = (np > nr ? np : nr) + 1;
    wc_slot *fp = s->stack_top;
    if (!fp || (size_t)(s->stack + s->stack_slots - fp) < need) nxa_trap(c, NXW_TRAP_STACK_EXHAUSTED, UINT32_MAX);
    memcpy(fp, v, sizeof(wc_slot) * np);
    wc_slot *saved_top = s->stack_top;
    s->stack_top = fp + need;
    s->nesting++;
    nxw_trap trap = wi_call(s, f, fp);
    s->nesting--;
    s->stack_top = saved_top;
    if (trap) nxa_trap(c, trap, UINT32_MAX);
    memcpy(v, fp, sizeof(wc_slot) * nr);
}

/* ------------------------------------------------------------------ memory and tables */

/* Charges a bulk operation of n elements (as the interpreter: 1 unit per 2^shift). */
static void charge_bulk(nxa_ctx *c, uint64_t n, unsigned shift, uint32_t fi) {
    c->store->budget -= (int64_t)(n >> shift);
    if (c->store->budget < 0) nxa_budget(c, fi);
}

uint32_t nxa_memory_grow(nxa_ctx *c, uint32_t delta) {
    return (uint32_t)wr_memory_grow(c->memory, delta);
}

void nxa_memory_copy(nxa_ctx *c, uint32_t d, uint32_t src, uint32_t n, uint32_t fi) {
    nxw_trap t = wr_memory_copy(c->memory, d, src, n);
    if (t) nxa_trap(c, t, fi);
    charge_bulk(c, n, WR_BULK_BYTES_SHIFT, fi);
}

void nxa_memory_fill(nxa_ctx *c, uint32_t d, uint32_t v, uint32_t n, uint32_t fi) {
    nxw_trap t = wr_memory_fill(c->memory, d, v, n);
    if (t) nxa_trap(c, t, fi);
    charge_bulk(c, n, WR_BULK_BYTES_SHIFT, fi);
}

void nxa_memory_init(nxa_ctx *c, uint32_t seg, uint32_t d, uint32_t src, uint32_t n, uint32_t fi) {
    nxw_instance *inst = c->inst;
    nxw_trap t = wr_memory_init(c->memory, inst->module->m.datas[seg].bytes, inst->data_len[seg],
                                d, src, n);
    if (t) nxa_trap(c, t, fi);
    charge_bulk(c, n, WR_BULK_BYTES_SHIFT, fi);
}

void nxa_data_drop(nxa_ctx *c, uint32_t seg) { c->inst->data_len[seg] = 0; }

void *nxa_table_get(nxa_ctx *c, uint32_t t, uint32_t i, uint32_t fi) {
    nxw_table *tab = c->tables[t];
    if (i >= tab->size) nxa_trap(c, NXW_TRAP_TABLE_OOB, fi);
    return tab->elems[i];
}

void nxa_table_set(nxa_ctx *c, uint32_t t, uint32_t i, void *v, uint32_t fi) {
    nxw_table *tab = c->tables[t];
    if (i >= tab->size) nxa_trap(c, NXW_TRAP_TABLE_OOB, fi);
    tab->elems[i] = v;
}

uint32_t nxa_table_grow(nxa_ctx *c, uint32_t t, void *init, uint32_t n) {
    int32_t old = wr_table_grow(c->tables[t], n, init);
    if (old >= 0) charge_bulk(c, n, WR_BULK_ELEMS_SHIFT, UINT32_MAX); /* as table.fill */
    return (uint32_t)old;
}

void nxa_table_fill(nxa_ctx *c, uint32_t t, uint32_t i, void *v, uint32_t n, uint32_t fi) {
    nxw_trap trap = wr_table_fill(c->tables[t], i, v, n);
    if (trap) nxa_trap(c, trap, fi);
    charge_bulk(c, n, WR_BULK_ELEMS_SHIFT, fi);
}

void nxa_table_copy(nxa_ctx *c, uint32_t dt, uint32_t st, uint32_t d, uint32_t src, uint32_t n,
                    uint32_t fi) {
    nxw_trap trap = wr_table_copy(c->tables[dt], c->tables[st], d, src, n);
    if (trap) nxa_trap(c, trap, fi);
    charge_bulk(c, n, WR_BULK_ELEMS_SHIFT, fi);
}

void nxa_table_init(nxa_ctx *c, uint32_t t, uint32_t seg, uint32_t d, uint32_t src, uint32_t n,
                    uint32_t fi) {
    nxw_trap trap = wr_table_init(c->tables[t], &c->inst->elems[seg], d, src, n);
    if (trap) nxa_trap(c, trap, fi);
    charge_bulk(c, n, WR_BULK_ELEMS_SHIFT, fi);
}

void nxa_elem_drop(nxa_ctx *c, uint32_t seg) { c->inst->elems[seg].count = 0; }
