/*
 * interp.c — the dispatch loop that executes translated code (see code.h).
 *
 * One C function runs every WebAssembly call of a store without recursing: calls push a
 * wi_frame on the store's frame stack and switch pc/fp, returns pop it. Dispatch is
 * direct-threaded (each instruction's first cell is its handler's address, `goto *`).
 * The only C recursion is through host functions that call back into wasm, which start
 * a new loop above the current frames.
 *
 * Invariants while running: `fp` is the current frame; `mbase`/`msize` mirror memory 0
 * of the current instance and are reloaded after anything that may change them (calls,
 * returns, memory.grow); every memory and table access is bounds-checked with 64-bit
 * arithmetic, so no access leaves the object it addresses. Host byte order must be
 * little-endian (as WebAssembly's). The SIMD handlers are in simd_interp.inc, included
 * into the loop.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "runtime.h"
#include "numeric.h"
#include "simd_lanes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ host calls */

nxw_trap wi_call_host(nxw_store *s, nxw_func *f, nxw_instance *caller, wc_slot *args,
                      wc_slot *nested_top) {
    const wm_functype *t = f->type;
    nxw_value in[16], out[16];
    nxw_value *pin = in, *pout = out;
    nxw_value *heap = NULL;
    if (t->nparams > 16 || t->nresults > 16) {
        heap = malloc(sizeof(nxw_value) * ((size_t)t->nparams + t->nresults + 2));
        if (!heap) return NXW_TRAP_HOST;
        pin = heap;
        pout = heap + t->nparams + 1;
    }
    for (uint32_t i = 0, at = 0; i < t->nparams; i++) {
        pin[i] = wr_get_value(t->types[i], args + at);
        at += wr_type_slots(t->types[i]);
    }
    for (uint32_t i = 0; i < t->nresults; i++) {
        memset(&pout[i], 0, sizeof pout[i]);
        pout[i].type = (nxw_valtype)t->types[t->nparams + i];
    }
    nxw_call call = {.caller = caller, .message = {0}, .exit_code = 0};
    wc_slot *saved_top = s->stack_top;
    s->stack_top = nested_top;
    nxw_trap trap = f->host(&call, f->user, pin, pout);
    s->stack_top = saved_top;
    if (trap == NXW_TRAP_NONE) {
        /* the declared types, whatever the callback did to pout[i].type */
        for (uint32_t i = 0, at = 0; i < t->nresults; i++) {
            pout[i].type = (nxw_valtype)t->types[t->nparams + i];
            wr_put_value(args + at, &pout[i]);
            at += wr_type_slots(pout[i].type);
        }
    } else {
        if (call.message[0]) {
            memcpy(s->trap_message, call.message, sizeof s->trap_message);
            s->trap_message[sizeof s->trap_message - 1] = 0;
        }
        s->exit_code = call.exit_code;
    }
    free(heap);
    return trap;
}

/* Calls host function f from the interpreter: nested wasm calls the host makes use the
 * stack above both the caller's frame (frame_end) and the argument/result slots. */
static nxw_trap call_host(nxw_store *s, nxw_func *f, nxw_instance *caller, wc_slot *args,
                          wc_slot *frame_end) {
    const wm_functype *t = f->type;
    uint32_t param_slots = wr_types_slots(t->types, t->nparams);
    uint32_t result_slots = wr_types_slots(t->types + t->nparams, t->nresults);
    wc_slot *args_end = args + (param_slots > result_slots ? param_slots : result_slots);
    return wi_call_host(s, f, caller, args, frame_end > args_end ? frame_end : args_end);
}

/* ------------------------------------------------------------------ budget */

/*
 * Fuel, deadline and interrupt share one mechanism: the loop keeps a budget of fuel
 * units in a register and subtracts each charge (loop back-edges, function entries, bulk
 * operations); when it goes negative, wi_budget_check accounts the chunk, checks for
 * an interrupt, the deadline and the fuel limit, and grants the next chunk.
 *
 * A chunk is WI_CHUNK units, which usually run in roughly 10-100 us. Function entries
 * charge every instruction outside the function's loops, so code making many calls to
 * large functions (QuickJS's interpreter) consumes units much faster than it executes
 * instructions, and reading the clock every WI_CHUNK units then costs a few percent.
 * So while a deadline is set, a chunk that took less than WI_FAST_NS doubles the chunk
 * size (up to WI_CHUNK_MAX) and one that took longer than WI_SLOW_NS returns it to
 * WI_CHUNK: checks stay about as frequent in time. Native code (aot.c) charges the same
 * units about ten times faster, hence the high WI_CHUNK_MAX (2 M units: a few
 * microseconds of native QuickJS, a few milliseconds at worst for interpreted code that
 * charges little per instruction). The fuel limit stays exact (a chunk never exceeds
 * the fuel left).
 */
enum { WI_CHUNK = 10000, WI_CHUNK_MAX = 1 << 21 };
#define WI_FAST_NS 5000u
#define WI_SLOW_NS 50000u

uint64_t nxw_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The trap an interrupt request or a passed deadline calls for, or NXW_TRAP_NONE; adapts
 * s->chunk_size to the time since the last check (see above). */
nxw_trap wi_stop_requested(nxw_store *s) {
    if (atomic_load_explicit(&s->interrupt, memory_order_relaxed)) return NXW_TRAP_INTERRUPTED;
    if (s->deadline_ns) {
        uint64_t now = nxw_now_ns();
        if (now >= s->deadline_ns) return NXW_TRAP_TIMEOUT;
        if (s->checked_ns) {
            uint64_t took = now - s->checked_ns;
            if (took < WI_FAST_NS && s->chunk_size < WI_CHUNK_MAX) s->chunk_size *= 2;
            else if (took > WI_SLOW_NS) s->chunk_size = WI_CHUNK;
        }
        s->checked_ns = now;
    }
    return NXW_TRAP_NONE;
}

static void grant_chunk(nxw_store *s) {
    int64_t chunk = s->chunk_size;
    if (s->fuel_limit) {
        uint64_t left = s->fuel_limit > s->fuel_base ? s->fuel_limit - s->fuel_base : 0;
        if (left < (uint64_t)chunk) chunk = (int64_t)left;
    }
    s->chunk = s->budget = chunk;
}

void wi_budget_start(nxw_store *s) {
    s->fuel_base = 0;
    s->chunk_size = WI_CHUNK;
    s->checked_ns = 0;
    grant_chunk(s);
    /* a pending stop is noticed by the very first charge */
    if (wi_stop_requested(s)) s->chunk = s->budget = 0;
}

nxw_trap wi_budget_check(nxw_store *s) {
    s->fuel_base += (uint64_t)(s->chunk - s->budget);
    s->chunk = s->budget = 0;
    nxw_trap t = wi_stop_requested(s);
    if (t) return t;
    if (s->fuel_limit && s->fuel_base >= s->fuel_limit) return NXW_TRAP_FUEL;
    grant_chunk(s);
    return NXW_TRAP_NONE;
}

uint64_t nxw_store_fuel_used(const nxw_store *s) { return s->fuel_base + (uint64_t)(s->chunk - s->budget); }

/* ------------------------------------------------------------------ the loop */



#define HANDLER(name) L_##name:
#define NEXT() goto *pc->op
#define D (fp[pc[1].u32])
#define A (fp[pc[2].u32])
#define B (fp[pc[3].u32])
#define TRAP(code)                                                                     \
    do {                                                                               \
        trap = (code);                                                                 \
        goto trapped;                                                                  \
    } while (0)
#define BIN(NAME, IN, OUT, EXPR)                                                       \
    HANDLER(NAME) {                                                                    \
        __typeof__(fp->IN) a = A.IN, b = B.IN;                                         \
        D.OUT = (EXPR);                                                                \
        pc += 4;                                                                       \
        NEXT();                                                                        \
    }
/* A binary operation and its immediate form NAME_K [d a v] (see code.h). */
#define BINK(NAME, IN, OUT, EXPR)                                                      \
    BIN(NAME, IN, OUT, EXPR)                                                           \
    HANDLER(NAME##_K) {                                                                \
        wc_slot k_;                                                                    \
        k_.u64 = pc[3].u64;                                                            \
        __typeof__(fp->IN) a = A.IN, b = k_.IN;                                        \
        D.OUT = (EXPR);                                                                \
        pc += 4;                                                                       \
        NEXT();                                                                        \
    }
#define UN(NAME, IN, OUT, EXPR)                                                        \
    HANDLER(NAME) {                                                                    \
        __typeof__(fp->IN) a = A.IN;                                                   \
        D.OUT = (EXPR);                                                                \
        pc += 3;                                                                       \
        NEXT();                                                                        \
    }
#define LOAD(NAME, T, FIELD, CONV)                                                     \
    HANDLER(NAME) {                                                                    \
        uint64_t ea = (uint64_t)A.u32 + pc[3].u32;                                     \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v;                                                                           \
        memcpy(&v, mbase + ea, sizeof(T));                                             \
        D.FIELD = CONV v;                                                              \
        pc += 4;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_ADDR) {                                                             \
        uint64_t ea = (uint64_t)(uint32_t)(A.u32 + B.u32) + pc[4].u32;                 \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v;                                                                           \
        memcpy(&v, mbase + ea, sizeof(T));                                             \
        D.FIELD = CONV v;                                                              \
        pc += 5;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_ADDRK) {                                                            \
        uint64_t ea = (uint64_t)(uint32_t)(A.u32 + pc[3].u32) + pc[4].u32;             \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v;                                                                           \
        memcpy(&v, mbase + ea, sizeof(T));                                             \
        D.FIELD = CONV v;                                                              \
        pc += 5;                                                                       \
        NEXT();                                                                        \
    }
/* Records the write of n bytes at ea in the dirty map below mbase (see runtime.h):
 * the pages of its first and last byte. */
#define MARK_DIRTY(ea, n)                                                              \
    do {                                                                               \
        mbase[-1 - (int64_t)((ea) >> WR_HOST_PAGE_LOG2)] = 1;                          \
        if ((n) > 1) mbase[-1 - (int64_t)(((ea) + (n) - 1) >> WR_HOST_PAGE_LOG2)] = 1;  \
    } while (0)
/* Charges fuel and, when the budget runs out, checks the stop conditions before going
 * on at pc. */
#define CHARGE(cost)                                                                   \
    do {                                                                               \
        budget -= (int64_t)(cost);                                                     \
        if (__builtin_expect(budget < 0, 0)) goto out_of_budget;                       \
    } while (0)
#define STORE(NAME, T, FIELD)                                                          \
    HANDLER(NAME) {                                                                    \
        uint64_t ea = (uint64_t)fp[pc[1].u32].u32 + pc[3].u32;                         \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v = (T)fp[pc[2].u32].FIELD;                                                  \
        memcpy(mbase + ea, &v, sizeof(T));                                             \
        MARK_DIRTY(ea, sizeof(T));                                                     \
        pc += 4;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_ADDR) {                                                             \
        uint64_t ea = (uint64_t)(uint32_t)(fp[pc[1].u32].u32 + fp[pc[2].u32].u32) + pc[4].u32; \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v = (T)fp[pc[3].u32].FIELD;                                                  \
        memcpy(mbase + ea, &v, sizeof(T));                                             \
        MARK_DIRTY(ea, sizeof(T));                                                     \
        pc += 5;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_K) {                                                                \
        uint64_t ea = (uint64_t)fp[pc[1].u32].u32 + pc[3].u32;                         \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        wc_slot k_;                                                                    \
        k_.u64 = pc[2].u64;                                                            \
        T v = (T)k_.FIELD;                                                             \
        memcpy(mbase + ea, &v, sizeof(T));                                             \
        MARK_DIRTY(ea, sizeof(T));                                                     \
        pc += 4;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_ADDRK) {                                                            \
        uint64_t ea = (uint64_t)(uint32_t)(fp[pc[1].u32].u32 + pc[2].u32) + pc[4].u32; \
        if (ea + sizeof(T) > msize) TRAP(NXW_TRAP_MEMORY_OOB);                         \
        T v = (T)fp[pc[3].u32].FIELD;                                                  \
        memcpy(mbase + ea, &v, sizeof(T));                                             \
        MARK_DIRTY(ea, sizeof(T));                                                     \
        pc += 5;                                                                       \
        NEXT();                                                                        \
    }
#define BR_CMP(NAME, FIELD, OP)                                                        \
    HANDLER(NAME) {                                                                    \
        if (fp[pc[1].u32].FIELD OP fp[pc[2].u32].FIELD)                                \
            pc = &pc[3] + pc[3].i32;                                                   \
        else                                                                           \
            pc += 4;                                                                   \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_BACK) {                                                             \
        if (fp[pc[1].u32].FIELD OP fp[pc[2].u32].FIELD) {                              \
            uint32_t cost = pc[4].u32;                                                 \
            pc = &pc[3] + pc[3].i32;                                                   \
            CHARGE(cost);                                                              \
        } else {                                                                       \
            pc += 5;                                                                   \
        }                                                                              \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_K) {                                                                \
        wc_slot k_;                                                                    \
        k_.u64 = pc[2].u64;                                                            \
        if (fp[pc[1].u32].FIELD OP k_.FIELD)                                           \
            pc = &pc[3] + pc[3].i32;                                                   \
        else                                                                           \
            pc += 4;                                                                   \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_K_BACK) {                                                           \
        wc_slot k_;                                                                    \
        k_.u64 = pc[2].u64;                                                            \
        if (fp[pc[1].u32].FIELD OP k_.FIELD) {                                         \
            uint32_t cost = pc[4].u32;                                                 \
            pc = &pc[3] + pc[3].i32;                                                   \
            CHARGE(cost);                                                              \
        } else {                                                                       \
            pc += 5;                                                                   \
        }                                                                              \
        NEXT();                                                                        \
    }
#define FMEM(NAME, OP)                                                                 \
    HANDLER(NAME##_M) {                                                                \
        uint64_t ea = (uint64_t)B.u32 + pc[4].u32;                                     \
        if (ea + 8 > msize) TRAP(NXW_TRAP_MEMORY_OOB);                                 \
        double v;                                                                      \
        memcpy(&v, mbase + ea, 8);                                                     \
        D.f64 = A.f64 OP v;                                                            \
        pc += 5;                                                                       \
        NEXT();                                                                        \
    }                                                                                  \
    HANDLER(NAME##_MA) {                                                               \
        uint64_t ea = (uint64_t)(uint32_t)(B.u32 + fp[pc[4].u32].u32) + pc[5].u32;     \
        if (ea + 8 > msize) TRAP(NXW_TRAP_MEMORY_OOB);                                 \
        double v;                                                                      \
        memcpy(&v, mbase + ea, 8);                                                     \
        D.f64 = A.f64 OP v;                                                            \
        pc += 6;                                                                       \
        NEXT();                                                                        \
    }
#define LOAD_MEMORY()                                                                  \
    do {                                                                               \
        nxw_memory *m_ = inst ? inst->memory : NULL;                                   \
        mbase = m_ ? m_->data : NULL;                                                  \
        msize = m_ ? m_->size : 0;                                                     \
    } while (0)

/*
 * Runs `entry` with its frame at entry_fp until it returns, traps or suspends. With
 * entry NULL it continues the store's suspended run instead, raising `resume_trap` at
 * the suspended call site when it is not NXW_TRAP_NONE. With handlers_out non-NULL it
 * only reports the handler table.
 */
static nxw_trap run(nxw_store *s, nxw_func *entry, wc_slot *entry_fp, nxw_trap resume_trap,
                    const void *const **handlers_out) {
    static const void *const handlers[WC__COUNT] = {
#define LABEL_CONTROL(name) &&L_##name,
#define LABEL_OP(name, ...) &&L_##name,
#define LABEL_ADDR(name, ...) &&L_##name##_ADDR,
#define LABEL_FMEM(name, ...) &&L_##name##_M, &&L_##name##_MA,
#define LABEL_BACK(name) &&L_##name##_BACK,
#define LABEL_K(name, ...) &&L_##name##_K,
#define LABEL_KBACK(name) &&L_##name##_K_BACK,
#define LABEL_ADDRK(name, ...) &&L_##name##_ADDRK,
        WC_CONTROL_OPS(LABEL_CONTROL) WC_BACK_OPS(LABEL_BACK) WC_MEMORY_OPS(LABEL_OP) WC_LOAD_OPS(LABEL_ADDR)
        WC_STORE_OPS(LABEL_ADDR) WC_FMEM_OPS(LABEL_FMEM)
        WC_NUMERIC_OPS(LABEL_OP)
        WV_EACH_OP(LABEL_OP) WV_EACH_ADDR_OP(LABEL_ADDR)
        WC_KBIN_OPS(LABEL_K) WC_KBR_OPS(LABEL_K) WC_KBR_OPS(LABEL_KBACK) WC_STORE_OPS(LABEL_K)
        WC_LOAD_OPS(LABEL_ADDRK) WC_STORE_OPS(LABEL_ADDRK)
#undef LABEL_K
#undef LABEL_KBACK
#undef LABEL_ADDRK
#undef LABEL_FMEM
#undef LABEL_BACK
#undef LABEL_ADDR
#undef LABEL_CONTROL
#undef LABEL_OP
    };
    if (handlers_out) {
        *handlers_out = handlers;
        return NXW_TRAP_NONE;
    }

    nxw_trap trap = NXW_TRAP_NONE;
    int64_t budget = s->budget; /* synced with s->budget whenever control leaves */
    nxw_func *func = entry;
    nxw_instance *inst = NULL; /* forces the first LOAD_MEMORY */
    wc_slot *fp = entry_fp;
    wc_slot *const stack_end = s->stack + s->stack_slots;
    /* the frame stack pointer lives in a register; s->depth is synced around host calls
     * and on exit */
    wi_frame *fsp = s->frames + s->depth;
    wi_frame *const fend = s->frames + s->max_frames;
    const wc_cell *pc;
    uint8_t *mbase = NULL;
    uint64_t msize = 0;
    nxw_func *callee;
    wc_slot *args;

    if (!entry) { /* resume: the frames are in place, pc is past the host call */
        func = s->susp_func;
        fp = s->susp_fp;
        pc = s->susp_pc;
        s->suspended = false;
        inst = func->inst;
        LOAD_MEMORY();
        if (resume_trap) TRAP(resume_trap);
        NEXT();
    }

    /* the entry frame: returning from it ends the loop */
    if (fsp >= fend || fp + func->code->frame_slots > stack_end) {
        s->trap_func = func;
        return NXW_TRAP_STACK_EXHAUSTED;
    }
    *fsp++ = (wi_frame){.ret_pc = NULL, .fp = NULL, .func = NULL};
    goto enter;

enter: {
    /* func/fp are the callee: zero its declared locals, load its constants */
    const wc_code *code = func->code;
    for (uint32_t i = code->nparams, n = code->nlocals; i < n; i++) fp[i].u64 = 0;
    for (uint32_t i = 0, n = code->nconsts; i < n; i++) fp[code->const_base + i] = code->consts[i];
    if (func->inst != inst) {
        inst = func->inst;
        LOAD_MEMORY();
    }
    pc = code->cells;
    CHARGE(code->entry_cost);
    NEXT();
}

out_of_budget:
    /* pc is where execution goes on */
    s->budget = budget;
    trap = wi_budget_check(s);
    budget = s->budget;
    if (trap) goto trapped;
    NEXT();

do_call:
    /* callee and args are set; pc points past the call instruction */
    if (callee->host) {
        s->depth = (uint32_t)(fsp - s->frames);
        s->budget = budget;
        trap = call_host(s, callee, inst, args, fp + func->code->frame_slots);
        budget = s->budget;
        if (trap == NXW_TRAP_SUSPEND) {
            if (s->nesting) {
                snprintf(s->trap_message, sizeof s->trap_message,
                         "host function cannot suspend: wasm is nested in a host call");
                TRAP(NXW_TRAP_HOST);
            }
            s->suspended = true;
            s->susp_pc = pc;
            s->susp_fp = fp;
            s->susp_func = func;
            s->susp_host = callee;
            s->susp_args = args;
            return NXW_TRAP_SUSPEND; /* frames stay; s->depth counts them */
        }
        if (trap) goto trapped;
        if (s->deadline_ns || atomic_load_explicit(&s->interrupt, memory_order_relaxed)) {
            trap = wi_stop_requested(s);
            if (trap) goto trapped;
        }
        LOAD_MEMORY(); /* the host may have grown memory */
        NEXT();
    } else {
        wc_slot *nfp = fp + func->code->frame_slots;
        if (fsp >= fend || nfp + callee->code->frame_slots > stack_end)
            TRAP(NXW_TRAP_STACK_EXHAUSTED);
        for (uint32_t i = 0, n = callee->code->nparams; i < n; i++) nfp[i] = args[i];
        *fsp++ = (wi_frame){.ret_pc = pc, .fp = fp, .func = func};
        func = callee;
        fp = nfp;
        goto enter;
    }

    HANDLER(UNREACHABLE) TRAP(NXW_TRAP_UNREACHABLE);
    HANDLER(BR) {
        pc = &pc[1] + pc[1].i32;
        NEXT();
    }
    HANDLER(BR_BACK) {
        uint32_t cost = pc[2].u32;
        pc = &pc[1] + pc[1].i32;
        CHARGE(cost);
        NEXT();
    }
/* BR_IF_BACK / BR_UNLESS_BACK [a t cost]: branch back (charging) when COND holds. */
#define BR_TEST_BACK(NAME, COND)                                                       \
    HANDLER(NAME) {                                                                    \
        if (COND) {                                                                    \
            uint32_t cost = pc[3].u32;                                                 \
            pc = &pc[2] + pc[2].i32;                                                   \
            CHARGE(cost);                                                              \
        } else {                                                                       \
            pc += 4;                                                                   \
        }                                                                              \
        NEXT();                                                                        \
    }
    BR_TEST_BACK(BR_IF_BACK, fp[pc[1].u32].i32)
    BR_TEST_BACK(BR_UNLESS_BACK, !fp[pc[1].u32].i32)
    HANDLER(BR_TABLE_BACK) {
        uint32_t i = fp[pc[1].u32].u32, n = pc[2].u32, cost = pc[3].u32;
        const wc_cell *cell = &pc[4 + (i < n ? i : n)];
        pc = cell + cell->i32;
        CHARGE(cost);
        NEXT();
    }
    HANDLER(BR_IF) {
        if (fp[pc[1].u32].i32) pc = &pc[2] + pc[2].i32;
        else pc += 3;
        NEXT();
    }
    HANDLER(BR_UNLESS) {
        if (!fp[pc[1].u32].i32) pc = &pc[2] + pc[2].i32;
        else pc += 3;
        NEXT();
    }
    HANDLER(BR_TABLE) {
        uint32_t i = fp[pc[1].u32].u32, n = pc[2].u32;
        const wc_cell *cell = &pc[3 + (i < n ? i : n)];
        pc = cell + cell->i32;
        NEXT();
    }
    HANDLER(RETURN1) { /* the function has one result slot */
        wc_slot v = fp[pc[1].u32];
        wi_frame *fr = fsp - 1;
        if (!fr->ret_pc) {
            fp[0] = v;
            goto do_return;
        }
        fsp = fr;
        fr->fp[fr->ret_pc[-1].u32] = v;
        pc = fr->ret_pc;
        fp = fr->fp;
        func = fr->func;
        if (func->inst != inst) {
            inst = func->inst;
            LOAD_MEMORY();
        }
        NEXT();
    }
    HANDLER(RETURN) {
    do_return: {
        wi_frame *fr = --fsp;
        if (!fr->ret_pc) { /* results are in entry_fp[0..) */
            s->depth = (uint32_t)(fsp - s->frames);
            s->budget = budget;
            return NXW_TRAP_NONE;
        }
        wc_slot *dst = fr->fp + fr->ret_pc[-1].u32;
        for (uint32_t i = 0, n = func->code->nresults; i < n; i++) dst[i] = fp[i];
        pc = fr->ret_pc;
        fp = fr->fp;
        func = fr->func;
        if (func->inst != inst) {
            inst = func->inst;
            LOAD_MEMORY();
        }
        NEXT();
    }
    }
    HANDLER(CALL) {
        callee = inst->funcs[pc[1].u32];
        args = fp + pc[2].u32;
        pc += 3;
        goto do_call;
    }
    HANDLER(CALL_WASM) {
        /* do_call and enter for a callee of this instance (no host function, no memory
         * switch), with the caller's frame size from the instruction */
        nxw_func *f = inst->funcs[pc[1].u32];
        const wc_code *cc = f->code;
        wc_slot *nfp = fp + pc[2].u32;
        const wc_slot *a = fp + pc[3].u32;
        if (__builtin_expect(fsp >= fend || nfp + cc->frame_slots > stack_end, 0))
            TRAP(NXW_TRAP_STACK_EXHAUSTED);
        *fsp++ = (wi_frame){.ret_pc = pc + 5, .fp = fp, .func = func};
        uint32_t np = cc->nparams, nl = cc->nlocals, nk = cc->nconsts;
        for (uint32_t i = 0; i < np; i++) nfp[i] = a[i];
        for (uint32_t i = np; i < nl; i++) nfp[i].u64 = 0;
        wc_slot *k = nfp + cc->const_base;
        for (uint32_t i = 0; i < nk; i++) k[i] = cc->consts[i];
        func = f;
        fp = nfp;
        pc = cc->cells;
        CHARGE(cc->entry_cost);
        NEXT();
    }
    HANDLER(CALL_INDIRECT) {
        nxw_table *t = inst->tables[pc[2].u32];
        uint32_t i = fp[pc[3].u32].u32;
        if (i >= t->size) TRAP(NXW_TRAP_TABLE_OOB);
        callee = t->elems[i];
        if (!callee) TRAP(NXW_TRAP_UNINITIALIZED);
        if (callee->sig != inst->sigs[pc[1].u32]) TRAP(NXW_TRAP_INDIRECT_MISMATCH);
        args = fp + pc[4].u32;
        pc += 5;
        goto do_call;
    }
    HANDLER(COPY) {
        fp[pc[1].u32] = fp[pc[2].u32];
        pc += 3;
        NEXT();
    }
    HANDLER(COPY2) {
        fp[pc[1].u32] = fp[pc[2].u32];
        fp[pc[3].u32] = fp[pc[4].u32];
        pc += 5;
        NEXT();
    }
    HANDLER(CONST) {
        fp[pc[1].u32].u64 = pc[2].u64;
        pc += 3;
        NEXT();
    }
    HANDLER(SELECT) {
        fp[pc[1].u32] = fp[pc[4].u32].i32 ? fp[pc[2].u32] : fp[pc[3].u32];
        pc += 5;
        NEXT();
    }
    HANDLER(GLOBAL_GET) {
        fp[pc[1].u32] = inst->globals[pc[2].u32]->value[0];
        pc += 3;
        NEXT();
    }
    HANDLER(GLOBAL_SET) {
        inst->globals[pc[1].u32]->value[0] = fp[pc[2].u32];
        pc += 3;
        NEXT();
    }
    HANDLER(TABLE_GET) {
        nxw_table *t = inst->tables[pc[2].u32];
        uint32_t i = fp[pc[3].u32].u32;
        if (i >= t->size) TRAP(NXW_TRAP_TABLE_OOB);
        fp[pc[1].u32].ref = t->elems[i];
        pc += 4;
        NEXT();
    }
    HANDLER(TABLE_SET) {
        nxw_table *t = inst->tables[pc[1].u32];
        uint32_t i = fp[pc[2].u32].u32;
        if (i >= t->size) TRAP(NXW_TRAP_TABLE_OOB);
        t->elems[i] = fp[pc[3].u32].ref;
        pc += 4;
        NEXT();
    }
    HANDLER(TABLE_SIZE) {
        fp[pc[1].u32].u32 = inst->tables[pc[2].u32]->size;
        pc += 3;
        NEXT();
    }
    HANDLER(TABLE_GROW) {
        uint32_t delta = fp[pc[4].u32].u32;
        int32_t old = wr_table_grow(inst->tables[pc[2].u32], delta, fp[pc[3].u32].ref);
        fp[pc[1].u32].i32 = old;
        if (old >= 0) budget -= (int64_t)(delta >> WR_BULK_ELEMS_SHIFT); /* the new elements were written, as TABLE_FILL */
        pc += 5;
        NEXT();
    }
    HANDLER(TABLE_FILL) {
        uint64_t n = fp[pc[4].u32].u32;
        nxw_trap t = wr_table_fill(inst->tables[pc[1].u32], fp[pc[2].u32].u32, fp[pc[3].u32].ref, n);
        if (t) TRAP(t);
        budget -= (int64_t)(n >> WR_BULK_ELEMS_SHIFT);
        pc += 5;
        NEXT();
    }
    HANDLER(TABLE_COPY) {
        uint64_t n = fp[pc[5].u32].u32;
        nxw_trap t = wr_table_copy(inst->tables[pc[1].u32], inst->tables[pc[2].u32],
                                   fp[pc[3].u32].u32, fp[pc[4].u32].u32, n);
        if (t) TRAP(t);
        budget -= (int64_t)(n >> WR_BULK_ELEMS_SHIFT);
        pc += 6;
        NEXT();
    }
    HANDLER(TABLE_INIT) {
        uint64_t n = fp[pc[5].u32].u32;
        nxw_trap t = wr_table_init(inst->tables[pc[1].u32], &inst->elems[pc[2].u32],
                                   fp[pc[3].u32].u32, fp[pc[4].u32].u32, n);
        if (t) TRAP(t);
        budget -= (int64_t)(n >> WR_BULK_ELEMS_SHIFT);
        pc += 6;
        NEXT();
    }
    HANDLER(ELEM_DROP) {
        inst->elems[pc[1].u32].count = 0;
        pc += 2;
        NEXT();
    }
    HANDLER(REF_FUNC) {
        fp[pc[1].u32].ref = inst->funcs[pc[2].u32];
        pc += 3;
        NEXT();
    }
    HANDLER(REF_IS_NULL) {
        fp[pc[1].u32].i32 = fp[pc[2].u32].ref == NULL;
        pc += 3;
        NEXT();
    }
    HANDLER(MEMORY_SIZE) {
        fp[pc[1].u32].u32 = inst->memory->pages;
        pc += 2;
        NEXT();
    }
    HANDLER(MEMORY_GROW) {
        fp[pc[1].u32].i32 = wr_memory_grow(inst->memory, fp[pc[2].u32].u32);
        LOAD_MEMORY();
        pc += 3;
        NEXT();
    }
    HANDLER(MEMORY_COPY) {
        uint64_t n = fp[pc[3].u32].u32;
        if (wr_memory_copy(inst->memory, fp[pc[1].u32].u32, fp[pc[2].u32].u32, n))
            TRAP(NXW_TRAP_MEMORY_OOB);
        budget -= (int64_t)(n >> WR_BULK_BYTES_SHIFT);
        pc += 4;
        NEXT();
    }
    HANDLER(MEMORY_FILL) {
        uint64_t n = fp[pc[3].u32].u32;
        if (wr_memory_fill(inst->memory, fp[pc[1].u32].u32, fp[pc[2].u32].u32, n))
            TRAP(NXW_TRAP_MEMORY_OOB);
        budget -= (int64_t)(n >> WR_BULK_BYTES_SHIFT);
        pc += 4;
        NEXT();
    }
    HANDLER(MEMORY_INIT) {
        uint32_t k = pc[1].u32;
        uint64_t n = fp[pc[4].u32].u32;
        if (wr_memory_init(inst->memory, inst->module->m.datas[k].bytes, inst->data_len[k],
                           fp[pc[2].u32].u32, fp[pc[3].u32].u32, n))
            TRAP(NXW_TRAP_MEMORY_OOB);
        budget -= (int64_t)(n >> WR_BULK_BYTES_SHIFT);
        pc += 5;
        NEXT();
    }
    HANDLER(I32_ADD_K_MEM) {
        uint64_t ea = (uint64_t)fp[pc[1].u32].u32 + pc[3].u32;
        if (ea + 4 > msize) TRAP(NXW_TRAP_MEMORY_OOB);
        uint32_t x;
        memcpy(&x, mbase + ea, 4);
        x += pc[2].u32;
        memcpy(mbase + ea, &x, 4);
        MARK_DIRTY(ea, 4);
        pc += 4;
        NEXT();
    }
    HANDLER(DATA_DROP) {
        inst->data_len[pc[1].u32] = 0;
        pc += 2;
        NEXT();
    }
    BR_CMP(BR_IF_I32_EQ, i32, ==)
    BR_CMP(BR_IF_I32_NE, i32, !=)
    BR_CMP(BR_IF_I32_LT_S, i32, <)
    BR_CMP(BR_IF_I32_LT_U, u32, <)
    BR_CMP(BR_IF_I32_GT_S, i32, >)
    BR_CMP(BR_IF_I32_GT_U, u32, >)
    BR_CMP(BR_IF_I32_LE_S, i32, <=)
    BR_CMP(BR_IF_I32_LE_U, u32, <=)
    BR_CMP(BR_IF_I32_GE_S, i32, >=)
    BR_CMP(BR_IF_I32_GE_U, u32, >=)
    BR_CMP(BR_IF_I64_EQ, i64, ==)
    BR_CMP(BR_IF_I64_NE, i64, !=)
    BR_CMP(BR_IF_I64_LT_S, i64, <)
    BR_CMP(BR_IF_I64_LT_U, u64, <)
    BR_CMP(BR_IF_I64_GT_S, i64, >)
    BR_CMP(BR_IF_I64_GT_U, u64, >)
    BR_CMP(BR_IF_I64_LE_S, i64, <=)
    BR_CMP(BR_IF_I64_LE_U, u64, <=)
    BR_CMP(BR_IF_I64_GE_S, i64, >=)
    BR_CMP(BR_IF_I64_GE_U, u64, >=)

    /* memory */
    LOAD(I32_LOAD, uint32_t, u32, )
    LOAD(I64_LOAD, uint64_t, u64, )
    LOAD(F32_LOAD, uint32_t, u32, )
    LOAD(F64_LOAD, uint64_t, u64, )
    LOAD(I32_LOAD8_S, int8_t, i32, (int32_t))
    LOAD(I32_LOAD8_U, uint8_t, u32, (uint32_t))
    LOAD(I32_LOAD16_S, int16_t, i32, (int32_t))
    LOAD(I32_LOAD16_U, uint16_t, u32, (uint32_t))
    LOAD(I64_LOAD8_S, int8_t, i64, (int64_t))
    LOAD(I64_LOAD8_U, uint8_t, u64, (uint64_t))
    LOAD(I64_LOAD16_S, int16_t, i64, (int64_t))
    LOAD(I64_LOAD16_U, uint16_t, u64, (uint64_t))
    LOAD(I64_LOAD32_S, int32_t, i64, (int64_t))
    LOAD(I64_LOAD32_U, uint32_t, u64, (uint64_t))
    STORE(I32_STORE, uint32_t, u32)
    STORE(I64_STORE, uint64_t, u64)
    STORE(F32_STORE, uint32_t, u32)
    STORE(F64_STORE, uint64_t, u64)
    STORE(I32_STORE8, uint8_t, u32)
    STORE(I32_STORE16, uint16_t, u32)
    STORE(I64_STORE8, uint8_t, u64)
    STORE(I64_STORE16, uint16_t, u64)
    STORE(I64_STORE32, uint32_t, u64)

    WC_FMEM_OPS(FMEM)

    /* i32 */
    UN(I32_EQZ, u32, i32, a == 0)
    BINK(I32_EQ, u32, i32, a == b)
    BINK(I32_NE, u32, i32, a != b)
    BINK(I32_LT_S, i32, i32, a < b)
    BINK(I32_LT_U, u32, i32, a < b)
    BINK(I32_GT_S, i32, i32, a > b)
    BINK(I32_GT_U, u32, i32, a > b)
    BINK(I32_LE_S, i32, i32, a <= b)
    BINK(I32_LE_U, u32, i32, a <= b)
    BINK(I32_GE_S, i32, i32, a >= b)
    BINK(I32_GE_U, u32, i32, a >= b)
    UN(I64_EQZ, u64, i32, a == 0)
    BINK(I64_EQ, u64, i32, a == b)
    BINK(I64_NE, u64, i32, a != b)
    BINK(I64_LT_S, i64, i32, a < b)
    BINK(I64_LT_U, u64, i32, a < b)
    BINK(I64_GT_S, i64, i32, a > b)
    BINK(I64_GT_U, u64, i32, a > b)
    BINK(I64_LE_S, i64, i32, a <= b)
    BINK(I64_LE_U, u64, i32, a <= b)
    BINK(I64_GE_S, i64, i32, a >= b)
    BINK(I64_GE_U, u64, i32, a >= b)
    BIN(F32_EQ, f32, i32, a == b)
    BIN(F32_NE, f32, i32, a != b)
    BIN(F32_LT, f32, i32, a < b)
    BIN(F32_GT, f32, i32, a > b)
    BIN(F32_LE, f32, i32, a <= b)
    BIN(F32_GE, f32, i32, a >= b)
    BIN(F64_EQ, f64, i32, a == b)
    BIN(F64_NE, f64, i32, a != b)
    BIN(F64_LT, f64, i32, a < b)
    BIN(F64_GT, f64, i32, a > b)
    BIN(F64_LE, f64, i32, a <= b)
    BIN(F64_GE, f64, i32, a >= b)
    UN(I32_CLZ, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32u)
    UN(I32_CTZ, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32u)
    UN(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(a))
    BINK(I32_ADD, u32, u32, a + b)
    BINK(I32_SUB, u32, u32, a - b)
    BINK(I32_MUL, u32, u32, a * b)
    HANDLER(I32_DIV_S) {
        int32_t a = A.i32, b = B.i32;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        if (a == INT32_MIN && b == -1) TRAP(NXW_TRAP_INT_OVERFLOW);
        D.i32 = a / b;
        pc += 4;
        NEXT();
    }
    HANDLER(I32_DIV_U) {
        uint32_t a = A.u32, b = B.u32;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.u32 = a / b;
        pc += 4;
        NEXT();
    }
    HANDLER(I32_REM_S) {
        int32_t a = A.i32, b = B.i32;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.i32 = b == -1 ? 0 : a % b;
        pc += 4;
        NEXT();
    }
    HANDLER(I32_REM_U) {
        uint32_t a = A.u32, b = B.u32;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.u32 = a % b;
        pc += 4;
        NEXT();
    }
    BINK(I32_AND, u32, u32, a & b)
    BINK(I32_OR, u32, u32, a | b)
    BINK(I32_XOR, u32, u32, a ^ b)
    BINK(I32_SHL, u32, u32, a << (b & 31))
    BINK(I32_SHR_S, i32, i32, a >> (b & 31))
    BINK(I32_SHR_U, u32, u32, a >> (b & 31))
    BINK(I32_ROTL, u32, u32, rotl32(a, b))
    BINK(I32_ROTR, u32, u32, rotr32(a, b))

    /* i64 */
    UN(I64_CLZ, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64u)
    UN(I64_CTZ, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64u)
    UN(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(a))
    BINK(I64_ADD, u64, u64, a + b)
    BINK(I64_SUB, u64, u64, a - b)
    BINK(I64_MUL, u64, u64, a * b)
    HANDLER(I64_DIV_S) {
        int64_t a = A.i64, b = B.i64;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        if (a == INT64_MIN && b == -1) TRAP(NXW_TRAP_INT_OVERFLOW);
        D.i64 = a / b;
        pc += 4;
        NEXT();
    }
    HANDLER(I64_DIV_U) {
        uint64_t a = A.u64, b = B.u64;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.u64 = a / b;
        pc += 4;
        NEXT();
    }
    HANDLER(I64_REM_S) {
        int64_t a = A.i64, b = B.i64;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.i64 = b == -1 ? 0 : a % b;
        pc += 4;
        NEXT();
    }
    HANDLER(I64_REM_U) {
        uint64_t a = A.u64, b = B.u64;
        if (b == 0) TRAP(NXW_TRAP_DIV_BY_ZERO);
        D.u64 = a % b;
        pc += 4;
        NEXT();
    }
    BINK(I64_AND, u64, u64, a & b)
    BINK(I64_OR, u64, u64, a | b)
    BINK(I64_XOR, u64, u64, a ^ b)
    BINK(I64_SHL, u64, u64, a << (b & 63))
    BINK(I64_SHR_S, i64, i64, a >> (b & 63))
    BINK(I64_SHR_U, u64, u64, a >> (b & 63))
    BINK(I64_ROTL, u64, u64, rotl64(a, b))
    BINK(I64_ROTR, u64, u64, rotr64(a, b))

    /* f32 / f64 */
    UN(F32_ABS, u32, u32, a & 0x7FFFFFFFu)
    UN(F32_NEG, u32, u32, a ^ 0x80000000u)
    UN(F32_CEIL, f32, f32, a != a ? a + a : ceilf(a))
    UN(F32_FLOOR, f32, f32, a != a ? a + a : floorf(a))
    UN(F32_TRUNC, f32, f32, a != a ? a + a : truncf(a))
    UN(F32_NEAREST, f32, f32, a != a ? a + a : nearbyintf(a))
    UN(F32_SQRT, f32, f32, sqrtf(a))
    BIN(F32_ADD, f32, f32, a + b)
    BIN(F32_SUB, f32, f32, a - b)
    BIN(F32_MUL, f32, f32, a * b)
    BIN(F32_DIV, f32, f32, a / b)
    BIN(F32_MIN, f32, f32, f32_min(a, b))
    BIN(F32_MAX, f32, f32, f32_max(a, b))
    BIN(F32_COPYSIGN, u32, u32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))
    UN(F64_ABS, u64, u64, a & 0x7FFFFFFFFFFFFFFFull)
    UN(F64_NEG, u64, u64, a ^ 0x8000000000000000ull)
    UN(F64_CEIL, f64, f64, a != a ? a + a : ceil(a))
    UN(F64_FLOOR, f64, f64, a != a ? a + a : floor(a))
    UN(F64_TRUNC, f64, f64, a != a ? a + a : trunc(a))
    UN(F64_NEAREST, f64, f64, a != a ? a + a : nearbyint(a))
    UN(F64_SQRT, f64, f64, sqrt(a))
    BIN(F64_ADD, f64, f64, a + b)
    BIN(F64_SUB, f64, f64, a - b)
    BIN(F64_MUL, f64, f64, a * b)
    BIN(F64_DIV, f64, f64, a / b)
    BIN(F64_MIN, f64, f64, f64_min(a, b))
    BIN(F64_MAX, f64, f64, f64_max(a, b))
    BIN(F64_COPYSIGN, u64, u64, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

    /* conversions */
    UN(I32_WRAP_I64, u64, u32, (uint32_t)a)
#define TRUNC(NAME, IN, OUT, T, LO, HI)                                                \
    HANDLER(NAME) {                                                                    \
        __typeof__(fp->IN) a = A.IN;                                                   \
        if (a != a) TRAP(NXW_TRAP_INVALID_CONVERSION);                                 \
        if (!(a > LO && a < HI)) TRAP(NXW_TRAP_INT_OVERFLOW);                          \
        D.OUT = (T)a;                                                                  \
        pc += 3;                                                                       \
        NEXT();                                                                        \
    }
    TRUNC(I32_TRUNC_F32_S, f32, i32, int32_t, -2147483904.0f, 2147483648.0f)
    TRUNC(I32_TRUNC_F32_U, f32, u32, uint32_t, -1.0f, 4294967296.0f)
    TRUNC(I32_TRUNC_F64_S, f64, i32, int32_t, -2147483649.0, 2147483648.0)
    TRUNC(I32_TRUNC_F64_U, f64, u32, uint32_t, -1.0, 4294967296.0)
    TRUNC(I64_TRUNC_F32_S, f32, i64, int64_t, -9223373136366403584.0f, 9223372036854775808.0f)
    TRUNC(I64_TRUNC_F32_U, f32, u64, uint64_t, -1.0f, 18446744073709551616.0f)
    TRUNC(I64_TRUNC_F64_S, f64, i64, int64_t, -9223372036854777856.0, 9223372036854775808.0)
    TRUNC(I64_TRUNC_F64_U, f64, u64, uint64_t, -1.0, 18446744073709551616.0)
    UN(I64_EXTEND_I32_S, i32, i64, (int64_t)a)
    UN(I64_EXTEND_I32_U, u32, u64, (uint64_t)a)
    UN(F32_CONVERT_I32_S, i32, f32, (float)a)
    UN(F32_CONVERT_I32_U, u32, f32, (float)a)
    UN(F32_CONVERT_I64_S, i64, f32, (float)a)
    UN(F32_CONVERT_I64_U, u64, f32, (float)a)
    UN(F32_DEMOTE_F64, f64, f32, (float)a)
    UN(F64_CONVERT_I32_S, i32, f64, (double)a)
    UN(F64_CONVERT_I32_U, u32, f64, (double)a)
    UN(F64_CONVERT_I64_S, i64, f64, (double)a)
    UN(F64_CONVERT_I64_U, u64, f64, (double)a)
    UN(F64_PROMOTE_F32, f32, f64, (double)a)
    UN(I32_REINTERPRET_F32, u32, u32, a)
    UN(I64_REINTERPRET_F64, u64, u64, a)
    UN(F32_REINTERPRET_I32, u32, u32, a)
    UN(F64_REINTERPRET_I64, u64, u64, a)
    UN(I32_EXTEND8_S, u32, i32, (int32_t)(int8_t)(uint8_t)a)
    UN(I32_EXTEND16_S, u32, i32, (int32_t)(int16_t)(uint16_t)a)
    UN(I64_EXTEND8_S, u64, i64, (int64_t)(int8_t)(uint8_t)a)
    UN(I64_EXTEND16_S, u64, i64, (int64_t)(int16_t)(uint16_t)a)
    UN(I64_EXTEND32_S, u64, i64, (int64_t)(int32_t)(uint32_t)a)
    UN(I32_TRUNC_SAT_F32_S, f32, i32, sat_i32((double)a))
    UN(I32_TRUNC_SAT_F32_U, f32, u32, sat_u32((double)a))
    UN(I32_TRUNC_SAT_F64_S, f64, i32, sat_i32(a))
    UN(I32_TRUNC_SAT_F64_U, f64, u32, sat_u32(a))
    UN(I64_TRUNC_SAT_F32_S, f32, i64, sat_i64((double)a))
    UN(I64_TRUNC_SAT_F32_U, f32, u64, sat_u64((double)a))
    UN(I64_TRUNC_SAT_F64_S, f64, i64, sat_i64(a))
    UN(I64_TRUNC_SAT_F64_U, f64, u64, sat_u64(a))

    /* SIMD */
#include "simd_interp.inc"

    /* fused i32 loads (see code.h) */
    HANDLER(I32_LOAD_ADD_K) {
        uint64_t ea = (uint64_t)A.u32 + pc[4].u32;
        if (ea + 4 > msize) TRAP(NXW_TRAP_MEMORY_OOB);
        uint32_t x;
        memcpy(&x, mbase + ea, 4);
        D.u32 = x + pc[3].u32;
        pc += 5;
        NEXT();
    }
    HANDLER(I32_LOAD2) {
        uint64_t ea = (uint64_t)A.u32 + pc[3].u32;
        if (ea + 4 > msize) TRAP(NXW_TRAP_MEMORY_OOB);
        uint32_t x;
        memcpy(&x, mbase + ea, 4);
        D.u32 = x;
        ea = (uint64_t)fp[pc[5].u32].u32 + pc[6].u32;
        if (ea + 4 > msize) TRAP(NXW_TRAP_MEMORY_OOB);
        memcpy(&x, mbase + ea, 4);
        fp[pc[4].u32].u32 = x;
        pc += 7;
        NEXT();
    }

trapped:
    s->budget = budget;
    s->trap_func = func;
    /* unwind every frame of this loop (the entry frame included) */
    while (fsp > s->frames) {
        wi_frame *fr = --fsp;
        if (!fr->ret_pc) break;
    }
    s->depth = (uint32_t)(fsp - s->frames);
    return trap;
}

const void *const *wi_handlers(void) {
    const void *const *h = NULL;
    run(NULL, NULL, NULL, NXW_TRAP_NONE, &h);
    return h;
}

nxw_trap wi_call(nxw_store *s, nxw_func *f, wc_slot *fp) {
    if (f->aot_entry) return nxa_call(s, f, fp);
    s->trap_func = f;
    s->trap_message[0] = 0;
    s->exit_code = 0;
    if (f->host) {
        if (s->depth >= s->max_frames) return NXW_TRAP_STACK_EXHAUSTED;
        s->depth++;
        nxw_trap t = call_host(s, f, NULL, fp, NULL);
        s->depth--;
        if (t == NXW_TRAP_SUSPEND) {
            snprintf(s->trap_message, sizeof s->trap_message,
                     "host function cannot suspend: it was called directly, not from wasm");
            t = NXW_TRAP_HOST;
        }
        return t;
    }
    return run(s, f, fp, NXW_TRAP_NONE, NULL);
}

nxw_trap wi_resume(nxw_store *s, nxw_trap trap) {
    if (nxa_suspended(s)) return nxa_resume(s, trap);
    return run(s, NULL, NULL, trap, NULL);
}
