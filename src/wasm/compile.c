/*
 * compile.c — validation of a decoded module and one-time translation of its function
 * bodies into the interpreter's code form (see code.h).
 *
 * Function bodies are validated and translated in a single pass that follows the
 * spec's validation algorithm (operand and control stacks, polymorphic stack after
 * unconditional branches). Alongside each operand-stack type the compiler keeps the
 * frame slot holding the value: its canonical slot (the locals' slots plus the slots of
 * the values below it; a v128 takes two, see code.h), a local's slot (after local.get,
 * until that local is written), a pool slot, or none yet for a constant (KSLOT: its
 * consumer takes it as an immediate or gives it a slot, see resolve).
 * Invariants:
 *   - at every label (block/loop/if entry, else, end) all values are in canonical slots;
 *   - a value referring to local x is materialized (copied to its canonical slot)
 *     before any write to x;
 *   - code emitted while the current block is unreachable is skipped.
 * Peepholes: an operation followed by local.set/tee writes the local directly, an
 * integer compare followed by br_if/if becomes one fused compare-and-branch, an i32.add
 * feeding a load/store's address fuses into the access, an i32.load followed by an add of
 * a constant becomes one I32_LOAD_ADD_K (and, stored back to the same address, one
 * I32_ADD_K_MEM), two consecutive i32.loads become one I32_LOAD2, and a constant
 * operand becomes
 * an immediate where the op has an immediate form (a constant first operand of a
 * commutative op or compare is swapped into second place). SIMD
 * instructions are validated and translated by simd_compile.inc (included below).
 */
#include "compile.h"

#include "code.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    CT_UNKNOWN = 0,   /* a value of the polymorphic stack */
    CONST_FLAG = 0x80000000u, /* slot operand naming pool constant k (fixed up at the end) */
    /* Constants a function reads from frame slots (the pool, copied at every entry): the
     * first MAX_CONSTS distinct ones; further ones are written by CONST instructions. */
    MAX_CONSTS = 16,
    KSLOT = 0x7FFFFFFFu, /* cval.slot of a constant not yet given a slot (value in k) */
    NO_INSTR = 0xFFFFFFFFu,
};

/* A value of the operand stack. A constant stays a KSLOT value (its bits in k) until a
 * consumer needs it: an operation with an immediate form takes k inline (code.h), any
 * other reads it from a pool slot or from its canonical slot, written by a CONST
 * emitted right before the consumer (resolve). */
typedef struct cval {
    uint8_t type;
    uint32_t slot;
    uint32_t canon; /* the canonical slot of its stack position */
    uint64_t k;     /* the constant's bits when slot == KSLOT */
} cval;

typedef enum ckind { CK_FUNC, CK_BLOCK, CK_LOOP, CK_IF, CK_ELSE } ckind;

typedef struct cctrl {
    uint8_t kind;
    bool unreachable;     /* validation: the stack is polymorphic after a branch */
    bool dead;            /* translation: the block was entered from unreachable code */
    bool single_res;      /* the block type is one value type, held in single[] */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    uint8_t single[1];    /* storage for a one-result block type */
    uint32_t height;      /* operand stack height at entry, params excluded */
    uint32_t base_slot;   /* canonical slot of stack position `height` */
    uint32_t loop_pc;     /* loop: code index of its start */
    uint32_t loop_instr;  /* loop: instructions read before it (for fuel costs) */
    uint32_t patch_head;  /* chain of forward-branch offsets to patch at end */
    uint32_t else_patch;  /* if: the BR_UNLESS offset to patch at else/end */
} cctrl;

typedef struct cstate {
    const wm_module *m;
    nxw_error *err;
    const uint8_t *base, *p, *end;
    uint32_t func_index;
    const void *const *H;
    const bool *declared; /* functions that ref.func may name */
    const nxw_features *features;

    uint8_t *local_types;
    uint32_t nlocals;      /* locals (params included) */
    uint32_t *local_slot;  /* frame slot of each local */
    uint32_t local_slots;  /* slots of all locals: the first canonical slot */

    cval *vals;
    uint32_t nvals, cap_vals;
    uint32_t max_height;   /* slots of the operand stack at its highest */
    uint32_t nlocal_refs; /* values currently referring to a local slot */

    cctrl *ctrls;
    uint32_t nctrls, cap_ctrls;

    wc_cell *code;
    uint32_t ncode, cap_code;

    uint64_t *consts;
    uint32_t nconsts, cap_consts;
    uint32_t *fixups; /* code cells holding CONST_FLAG slot operands */
    uint32_t nfixups, cap_fixups;
    uint32_t *frame_cells; /* CALL_WASM cells to receive the frame's slot count */
    uint32_t nframe_cells, cap_frame_cells;

    /* peephole state */
    uint32_t last_start; /* start of the last value-producing instruction or NO_INSTR */
    uint32_t last_dst;   /* cell of its destination operand */
    uint32_t last_op;
    uint32_t copy_at;    /* start of a COPY emitted last (mergeable into COPY2) or NO_INSTR */
    uint32_t load_at;    /* start of a plain I32_LOAD (mergeable into I32_LOAD2) or NO_INSTR;
                          * it is the last instruction only while it ends at ncode */
    /* fuel costs: instructions read so far, open loops, instructions outside loops */
    uint32_t ninstr, nloops, entry_cost;
    bool failed;
} cstate;

/* ------------------------------------------------------------------ errors */

static bool fail(cstate *c, nxw_status st, const char *fmt, ...) {
    if (c->failed) return false;
    c->failed = true;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t off = (size_t)(c->p - c->base);
    wm_fail(c->err, st, off, "%s in function %u at offset %zu", buf, c->func_index, off);
    if (c->err) c->err->func_index = c->func_index;
    return false;
}
#define INVALID(...) (fail(c, NXW_ERR_INVALID, __VA_ARGS__), false)
#define MALFORMED(...) (fail(c, NXW_ERR_MALFORMED, __VA_ARGS__), false)

/* Fails because `what` needs the SIMD feature, which the module was validated without. */
static bool simd_disabled(cstate *c, const char *what) {
    return INVALID("SIMD is disabled (feature simd): %s", what);
}

static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return true;
    uint32_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > 0x7FFFFFFFu / 2) return false;
        ncap *= 2;
    }
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n) return false;
    *arr = n;
    *cap = ncap;
    return true;
}

/* ------------------------------------------------------------------ reading */

static bool read_byte(cstate *c, uint8_t *out) {
    if (c->p >= c->end) return MALFORMED("unexpected end");
    *out = *c->p++;
    return true;
}

static bool read_uleb(cstate *c, unsigned bits, uint64_t *out) {
    uint64_t r = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;
        if (!read_byte(c, &b)) return false;
        if (shift + 7 >= bits) { /* the last byte the encoding may use */
            if (b & 0x80) return MALFORMED("integer representation too long");
            if ((b & 0x7F) >> (bits - shift)) return MALFORMED("integer too large");
            r |= (uint64_t)b << shift;
            break;
        }
        r |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) break;
    }
    *out = r;
    return true;
}

static bool read_u32(cstate *c, uint32_t *out) {
    uint64_t v;
    if (!read_uleb(c, 32, &v)) return false;
    *out = (uint32_t)v;
    return true;
}

static bool read_sleb(cstate *c, unsigned bits, int64_t *out) {
    uint64_t r = 0;
    unsigned shift = 0;
    uint8_t b;
    for (;;) {
        if (!read_byte(c, &b)) return false;
        if (shift + 7 >= bits) {
            /* last allowed byte: unused bits must equal the sign bit */
            if (b & 0x80) return MALFORMED("integer representation too long");
            unsigned used = bits - shift; /* bits of this byte that carry value */
            int8_t sext = (int8_t)(b << 1) >> 1; /* 7-bit sign-extended */
            int8_t expect = (int8_t)((int8_t)(b << (8 - used)) >> (8 - used));
            if (used < 7 && (sext != expect)) return MALFORMED("integer too large");
            r |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            break;
        }
        r |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) r |= ~(uint64_t)0 << shift;
    *out = (int64_t)r;
    return true;
}

/* ------------------------------------------------------------------ emitting */

static inline bool live(const cstate *c) {
    const cctrl *f = &c->ctrls[c->nctrls - 1];
    return !f->unreachable && !f->dead;
}

/* A block's result types (single-result block types live inside the frame). */
static inline const uint8_t *ctrl_results(const cctrl *f) { return f->single_res ? f->single : f->results; }

static uint32_t emit_cell(cstate *c, wc_cell cell) {
    if (!grow((void **)&c->code, &c->cap_code, c->ncode + 1, sizeof(wc_cell))) {
        fail(c, NXW_ERR_NOMEM, "out of memory");
        return 0;
    }
    c->code[c->ncode] = cell;
    return c->ncode++;
}

static uint32_t emit_op(cstate *c, wc_op op) {
    c->last_start = NO_INSTR;
    c->copy_at = NO_INSTR;
    return emit_cell(c, (wc_cell){.op = c->H[op]});
}

/* Forgets the peephole state: code emitted next may be a branch target, so it must not
 * be merged with what precedes it. */
static void forget_last(cstate *c) {
    c->last_start = NO_INSTR;
    c->copy_at = NO_INSTR;
    c->load_at = NO_INSTR;
}

static uint32_t emit_u32(cstate *c, uint32_t v) { return emit_cell(c, (wc_cell){.u32 = v}); }
static void emit_u64(cstate *c, uint64_t v) { emit_cell(c, (wc_cell){.u64 = v}); }

/* A slot operand; constant slots are recorded for the final fixup. */
static uint32_t emit_slot(cstate *c, uint32_t slot) {
    uint32_t at = emit_u32(c, slot);
    if ((slot & CONST_FLAG) && !c->failed) {
        if (!grow((void **)&c->fixups, &c->cap_fixups, c->nfixups + 1, sizeof(uint32_t)))
            return fail(c, NXW_ERR_NOMEM, "out of memory"), at;
        c->fixups[c->nfixups++] = at;
    }
    return at;
}

/* A forward branch offset cell; the target is filled later. Returns its index. */
static uint32_t emit_target_placeholder(cstate *c) { return emit_u32(c, 0); }

static void patch_target(cstate *c, uint32_t at, uint32_t target) {
    if (c->failed) return;
    c->code[at].i32 = (int32_t)target - (int32_t)at;
}

static void emit_target(cstate *c, uint32_t target) {
    uint32_t at = emit_u32(c, 0);
    patch_target(c, at, target);
}

/* Emits slot[d] = slot[a]; a COPY right after another one (no label between) becomes
 * one COPY2, which performs the two moves in order. */
static void emit_copy(cstate *c, uint32_t d, uint32_t a) {
    if (c->copy_at != NO_INSTR && c->copy_at + 3 == c->ncode && !c->failed) {
        c->code[c->copy_at].op = c->H[WC_COPY2];
        emit_slot(c, d);
        emit_slot(c, a);
        c->copy_at = NO_INSTR;
        return;
    }
    uint32_t start = emit_op(c, WC_COPY);
    emit_slot(c, d);
    emit_slot(c, a);
    c->copy_at = start;
}

/* Emits the move of a value of type `type` from slot a to slot d: a COPY (see
 * emit_copy), or for a v128 a COPY_V128, which reads both halves before writing, so the
 * two slot pairs may overlap. */
static void emit_move(cstate *c, uint8_t type, uint32_t d, uint32_t a) {
    if (type != NXW_V128) {
        emit_copy(c, d, a);
        return;
    }
    emit_op(c, WC_COPY_V128);
    emit_slot(c, d);
    emit_slot(c, a);
}

/* ------------------------------------------------------------------ operand stack */

/* Frame slots a value of type t takes (see code.h). */
static inline uint32_t slots_of(uint8_t t) { return t == NXW_V128 ? 2u : 1u; }

/* The canonical slot of the stack position just above the top value. */
static inline uint32_t top_slot(const cstate *c) {
    if (!c->nvals) return c->local_slots;
    const cval *v = &c->vals[c->nvals - 1];
    return v->canon + slots_of(v->type);
}

static bool is_local_slot(const cstate *c, uint32_t slot) { return slot < c->local_slots; }

static void push_at(cstate *c, uint8_t type, uint32_t slot) {
    if (!grow((void **)&c->vals, &c->cap_vals, c->nvals + 1, sizeof(cval))) {
        fail(c, NXW_ERR_NOMEM, "out of memory");
        return;
    }
    uint32_t canon = top_slot(c);
    c->vals[c->nvals++] = (cval){type, slot, canon, 0};
    if (is_local_slot(c, slot)) c->nlocal_refs++;
    uint32_t height = canon + slots_of(type) - c->local_slots;
    if (height > c->max_height) c->max_height = height;
}

/* Pushes a result in its canonical slot and returns that slot. */
static uint32_t push(cstate *c, uint8_t type) {
    uint32_t slot = top_slot(c);
    push_at(c, type, slot);
    return slot;
}

static const char *type_name(uint8_t t) {
    switch (t) {
    case NXW_I32: return "i32";
    case NXW_I64: return "i64";
    case NXW_F32: return "f32";
    case NXW_F64: return "f64";
    case NXW_V128: return "v128";
    case NXW_FUNCREF: return "funcref";
    case NXW_EXTERNREF: return "externref";
    default: return "unknown";
    }
}

/* Pops one value; `expect` 0 accepts any type. Fails with "type mismatch". A constant
 * is returned as is (slot KSLOT, see cval). */
static bool pop_raw(cstate *c, uint8_t expect, cval *out) {
    cctrl *f = &c->ctrls[c->nctrls - 1];
    if (c->nvals == f->height) {
        if (f->unreachable) {
            *out = (cval){CT_UNKNOWN, top_slot(c), top_slot(c), 0};
            return true;
        }
        return INVALID("type mismatch: expected %s but the stack is empty",
                       expect ? type_name(expect) : "a value");
    }
    cval v = c->vals[--c->nvals];
    if (is_local_slot(c, v.slot)) c->nlocal_refs--;
    if (expect && v.type != CT_UNKNOWN && v.type != expect)
        return INVALID("type mismatch: expected %s, got %s", type_name(expect), type_name(v.type));
    *out = v;
    return true;
}

/* Emits slot[d] = the constant k (never a v128: v128.const has its own op). */
static void emit_const(cstate *c, uint32_t d, uint64_t k) {
    emit_op(c, WC_CONST);
    emit_slot(c, d);
    emit_u64(c, k);
}

/* Emits the move of value v into slot d. */
static void emit_move_val(cstate *c, const cval *v, uint32_t d) {
    if (v->slot == KSLOT) emit_const(c, d, v->k);
    else emit_move(c, v->type, d, v->slot);
}

static uint32_t const_slot(cstate *c, uint64_t bits);

/* Gives a KSLOT value a slot: a pool slot while the pool has room, else its canonical
 * slot, written by a CONST emitted now. The canonical slot of a value being consumed
 * is free: values below it have lower canonical slots, values popped before it (above
 * it) have higher ones, and the consumer is emitted after this CONST. */
static void resolve(cstate *c, cval *v) {
    if (v->slot != KSLOT) return;
    uint32_t slot = live(c) ? const_slot(c, v->k) : NO_INSTR;
    if (slot != NO_INSTR) {
        v->slot = slot;
        return;
    }
    if (live(c)) emit_const(c, v->canon, v->k);
    v->slot = v->canon;
}

/* pop_raw, then resolve: the value is in a slot. */
static bool pop(cstate *c, uint8_t expect, cval *out) {
    if (!pop_raw(c, expect, out)) return false;
    resolve(c, out);
    return true;
}

/* Copies the value at stack position pos into its canonical slot. */
static void materialize_at(cstate *c, uint32_t pos) {
    cval *v = &c->vals[pos];
    uint32_t want = v->canon;
    if (v->slot == want) return;
    if (live(c)) {
        emit_move_val(c, v, want);
    }
    if (is_local_slot(c, v->slot)) c->nlocal_refs--;
    v->slot = want;
}

static void materialize_all(cstate *c) {
    for (uint32_t i = 0; i < c->nvals; i++) materialize_at(c, i);
}

static void materialize_local_refs(cstate *c, uint32_t local) {
    if (!c->nlocal_refs) return;
    for (uint32_t i = 0; i < c->nvals; i++)
        if (c->vals[i].slot == local) materialize_at(c, i);
}

static bool has_local_refs(const cstate *c, uint32_t local) {
    if (!c->nlocal_refs) return false;
    for (uint32_t i = 0; i < c->nvals; i++)
        if (c->vals[i].slot == local) return true;
    return false;
}

/* Slot of a constant with these bits (pooled, deduplicated), or NO_INSTR when the pool
 * is full. */
static uint32_t const_slot(cstate *c, uint64_t bits) {
    for (uint32_t i = 0; i < c->nconsts; i++)
        if (c->consts[i] == bits) return CONST_FLAG | i;
    if (c->nconsts >= MAX_CONSTS) return NO_INSTR;
    if (!grow((void **)&c->consts, &c->cap_consts, c->nconsts + 1, sizeof(uint64_t))) {
        fail(c, NXW_ERR_NOMEM, "out of memory");
        return NO_INSTR;
    }
    c->consts[c->nconsts] = bits;
    return CONST_FLAG | c->nconsts++;
}

static void push_const(cstate *c, uint8_t type, uint64_t bits) {
    push_at(c, type, KSLOT);
    if (!c->failed) c->vals[c->nvals - 1].k = bits;
}

/* Emits an operation producing one value of `type` at the top: [op d srcs...]. Records
 * it for the local.set peephole. */
static void emit_producer(cstate *c, wc_op op, uint8_t type, const uint32_t *srcs, unsigned nsrcs) {
    uint32_t d = push(c, type);
    if (!live(c)) return;
    uint32_t start = emit_op(c, op);
    uint32_t dcell = emit_slot(c, d);
    for (unsigned i = 0; i < nsrcs; i++) emit_slot(c, srcs[i]);
    c->last_start = start;
    c->last_dst = dcell;
    c->last_op = op;
}

/* Emits an immediate form [op d a v] producing one value of `type` at the top (see
 * emit_producer). */
static void emit_producer_k(cstate *c, wc_op op, uint8_t type, uint32_t a, uint64_t v) {
    uint32_t d = push(c, type);
    if (!live(c)) return;
    uint32_t start = emit_op(c, op);
    uint32_t dcell = emit_slot(c, d);
    emit_slot(c, a);
    emit_u64(c, v);
    c->last_start = start;
    c->last_dst = dcell;
    c->last_op = op;
}

/* ------------------------------------------------------------------ control */

static bool live_at(const cstate *c, uint32_t i) {
    return !c->ctrls[i].unreachable && !c->ctrls[i].dead;
}

static bool push_ctrl(cstate *c, ckind kind, uint32_t np, const uint8_t *params, uint32_t nr,
                      const uint8_t *results) {
    if (!grow((void **)&c->ctrls, &c->cap_ctrls, c->nctrls + 1, sizeof(cctrl)))
        return fail(c, NXW_ERR_NOMEM, "out of memory");
    cctrl *f = &c->ctrls[c->nctrls++];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->nparams = np;
    f->params = params;
    f->nresults = nr;
    f->results = results;
    f->height = c->nvals;
    f->base_slot = top_slot(c);
    f->dead = c->nctrls > 1 && !live_at(c, c->nctrls - 2);
    f->patch_head = NO_INSTR;
    f->else_patch = NO_INSTR;
    return true;
}

static void set_unreachable(cstate *c) {
    cctrl *f = &c->ctrls[c->nctrls - 1];
    while (c->nvals > f->height) {
        cval v;
        pop_raw(c, 0, &v);
    }
    f->unreachable = true;
    forget_last(c);
}

/* Types a branch to label `f` carries. */
static void label_types(const cctrl *f, uint32_t *n, const uint8_t **types) {
    if (f->kind == CK_LOOP) {
        *n = f->nparams;
        *types = f->params;
    } else {
        *n = f->nresults;
        *types = ctrl_results(f);
    }
}

/* Checks the top of the stack holds `n` values of `types` (without popping). */
static bool check_top(cstate *c, uint32_t n, const uint8_t *types) {
    cctrl *f = &c->ctrls[c->nctrls - 1];
    for (uint32_t i = 0; i < n; i++) {
        uint8_t want = types[n - 1 - i];
        if (c->nvals - f->height <= i) {
            if (f->unreachable) return true;
            return INVALID("type mismatch: branch or block needs %u values, stack has fewer", n);
        }
        uint8_t got = c->vals[c->nvals - 1 - i].type;
        if (got != CT_UNKNOWN && got != want)
            return INVALID("type mismatch: expected %s, got %s", type_name(want), type_name(got));
    }
    return true;
}

/* Emits the moves of a branch to `f` (values at the top go to the label's slots) and
 * the jump (with condition: `cond_op` with operands, or unconditional). */
static void emit_label_moves(cstate *c, const cctrl *f) {
    uint32_t n;
    const uint8_t *types;
    label_types(f, &n, &types);
    if (n >= 2)
        for (uint32_t i = c->nvals - n; i < c->nvals; i++) materialize_at(c, i);
    uint32_t dst = f->base_slot; /* the label's value i: after values 0..i-1 */
    for (uint32_t i = 0; i < n; i++) {
        const cval *v = &c->vals[c->nvals - n + i];
        if (v->slot != dst) {
            if (v->slot == KSLOT) emit_const(c, dst, v->k);
            else emit_move(c, types[i], dst, v->slot);
        }
        dst += slots_of(types[i]);
    }
}

static bool label_needs_moves(const cstate *c, const cctrl *f) {
    uint32_t n;
    const uint8_t *types;
    label_types(f, &n, &types);
    uint32_t dst = f->base_slot;
    for (uint32_t i = 0; i < n; i++) {
        if (c->vals[c->nvals - n + i].slot != dst) return true;
        dst += slots_of(types[i]);
    }
    return false;
}

/* Emits a return of the top n values (a branch to the function's label): results go to
 * the first slots of the frame. Values are materialized first when n >= 2 so the
 * forward copy cannot overwrite a source it still needs. */
static void emit_return_values(cstate *c, uint32_t n) {
    const uint8_t *types = ctrl_results(&c->ctrls[0]); /* the function's result types */
    if (n == 1 && types[0] != NXW_V128) {
        resolve(c, &c->vals[c->nvals - 1]);
        emit_op(c, WC_RETURN1);
        emit_slot(c, c->vals[c->nvals - 1].slot);
        return;
    }
    if (n >= 2)
        for (uint32_t i = c->nvals - n; i < c->nvals; i++) materialize_at(c, i);
    uint32_t dst = 0;
    for (uint32_t i = 0; i < n; i++) {
        const cval *v = &c->vals[c->nvals - n + i];
        if (v->slot != dst) {
            if (v->slot == KSLOT) emit_const(c, dst, v->k);
            else emit_move(c, types[i], dst, v->slot);
        }
        dst += slots_of(types[i]);
    }
    emit_op(c, WC_RETURN);
}

/* Fuel charged by a branch back to loop f: the instructions of its body read so far. */
static uint32_t loop_cost(const cstate *c, const cctrl *f) {
    uint32_t n = c->ninstr - f->loop_instr;
    return n ? n : 1;
}

/* The *_BACK variant of a branch op (see WC_BACK_OPS). */
static wc_op back_op(wc_op op) {
    static const uint16_t plain[] = {
#define BACK_PLAIN(name) WC_##name,
        WC_BACK_OPS(BACK_PLAIN)
#undef BACK_PLAIN
    };
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (plain[i] == op) return (wc_op)(WC_BR_BACK + i);
    return op;
}

/* Emits an unconditional branch to label f: BR_BACK with its fuel cost to a loop,
 * else BR with a forward target chained for patching. */
static void emit_br_to(cstate *c, cctrl *f) {
    if (f->kind == CK_LOOP) {
        emit_op(c, WC_BR_BACK);
        emit_target(c, f->loop_pc);
        emit_u32(c, loop_cost(c, f));
    } else {
        emit_op(c, WC_BR);
        uint32_t at = emit_target_placeholder(c);
        if (!c->failed) {
            c->code[at].u32 = f->patch_head;
            f->patch_head = at;
        }
    }
}

static void patch_chain(cstate *c, uint32_t head, uint32_t target) {
    while (head != NO_INSTR && !c->failed) {
        uint32_t next = c->code[head].u32;
        patch_target(c, head, target);
        head = next;
    }
}

/* ------------------------------------------------------------------ helpers */

static bool read_index(cstate *c, uint32_t limit, const char *what, uint32_t *out) {
    if (!read_u32(c, out)) return false;
    if (*out >= limit) return INVALID("unknown %s %u", what, *out);
    return true;
}

static bool read_blocktype(cstate *c, cctrl *tmp) {
    if (c->p >= c->end) return MALFORMED("unexpected end");
    uint8_t b = *c->p;
    tmp->nparams = 0;
    tmp->params = NULL;
    if (b == 0x40) {
        c->p++;
        tmp->nresults = 0;
        tmp->results = NULL;
        return true;
    }
    if (b == NXW_I32 || b == NXW_I64 || b == NXW_F32 || b == NXW_F64 || b == NXW_FUNCREF ||
        b == NXW_EXTERNREF || b == NXW_V128) {
        if (b == NXW_V128 && !c->features->simd) return simd_disabled(c, "block of type v128");
        c->p++;
        tmp->single[0] = b;
        tmp->nresults = 1;
        tmp->results = NULL; /* set by caller to point at its own single[] */
        return true;
    }
    int64_t idx;
    if (!read_sleb(c, 33, &idx)) return false;
    if (idx < 0) return MALFORMED("malformed block type");
    if ((uint64_t)idx >= c->m->ntypes) return INVALID("unknown type %lld", (long long)idx);
    const wm_functype *t = &c->m->types[idx];
    tmp->nparams = t->nparams;
    tmp->params = t->types;
    tmp->nresults = t->nresults;
    tmp->results = t->types ? t->types + t->nparams : NULL;
    return true;
}

static bool read_memarg(cstate *c, unsigned natural_log2, uint32_t *offset) {
    uint32_t align;
    if (!read_u32(c, &align)) return false;
    if (!read_u32(c, offset)) return false;
    if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
    if (align > natural_log2) return INVALID("alignment must not be larger than natural");
    return true;
}

static bool is_num(uint8_t t) { return t == NXW_I32 || t == NXW_I64 || t == NXW_F32 || t == NXW_F64; }
static bool is_ref(uint8_t t) { return t == NXW_FUNCREF || t == NXW_EXTERNREF; }

/* ------------------------------------------------------------------ instructions */

typedef struct numinfo {
    uint16_t op; /* wc_op + 1, 0 = not numeric */
    uint8_t in1, in2, out;
} numinfo;

#define NONE 0
#define I32 NXW_I32
#define I64 NXW_I64
#define F32 NXW_F32
#define F64 NXW_F64
static const numinfo numeric_table[0x108] = {
#define NUM_ENTRY(name, opc, a, b, r) [opc] = {WC_##name + 1, a, b, r},
    WC_NUMERIC_OPS(NUM_ENTRY)
#undef NUM_ENTRY
};
static const uint8_t memory_natural[0x3F] = {
    [0x28] = 2, [0x29] = 3, [0x2A] = 2, [0x2B] = 3, [0x2C] = 0, [0x2D] = 0, [0x2E] = 1,
    [0x2F] = 1, [0x30] = 0, [0x31] = 0, [0x32] = 1, [0x33] = 1, [0x34] = 2, [0x35] = 2,
    [0x36] = 2, [0x37] = 3, [0x38] = 2, [0x39] = 3, [0x3A] = 0, [0x3B] = 1, [0x3C] = 0,
    [0x3D] = 1, [0x3E] = 2,
};
static const uint8_t memory_type[0x3F] = {
    [0x28] = I32, [0x29] = I64, [0x2A] = F32, [0x2B] = F64, [0x2C] = I32, [0x2D] = I32,
    [0x2E] = I32, [0x2F] = I32, [0x30] = I64, [0x31] = I64, [0x32] = I64, [0x33] = I64,
    [0x34] = I64, [0x35] = I64, [0x36] = I32, [0x37] = I64, [0x38] = F32, [0x39] = F64,
    [0x3A] = I32, [0x3B] = I32, [0x3C] = I64, [0x3D] = I64, [0x3E] = I64,
};
static const uint16_t memory_op[0x3F] = {
#define MEM_ENTRY(name, opc) [opc] = WC_##name,
    WC_MEMORY_OPS(MEM_ENTRY)
#undef MEM_ENTRY
};
static const uint16_t addr_op[0x3F] = {
#define ADDR_ENTRY(name, opc) [opc] = WC_##name##_ADDR,
    WC_LOAD_OPS(ADDR_ENTRY) WC_STORE_OPS(ADDR_ENTRY)
#undef ADDR_ENTRY
};
static const uint16_t addrk_op[0x3F] = {
#define ADDRK_ENTRY(name, opc) [opc] = WC_##name##_ADDRK,
    WC_LOAD_OPS(ADDRK_ENTRY) WC_STORE_OPS(ADDRK_ENTRY)
#undef ADDRK_ENTRY
};
static const uint16_t store_k_op[0x3F] = {
#define STOREK_ENTRY(name, opc) [opc] = WC_##name##_K,
    WC_STORE_OPS(STOREK_ENTRY)
#undef STOREK_ENTRY
};
/* The operations with an immediate form NAME_K, in the order of their K forms. */
static const uint16_t kbin_plain[] = {
#define KBIN_ENTRY(name) WC_##name,
    WC_KBIN_OPS(KBIN_ENTRY)
#undef KBIN_ENTRY
};
enum { NKBIN = sizeof kbin_plain / sizeof kbin_plain[0] };

/* The immediate form of binary op `op`, or WC__COUNT. */
static wc_op k_form(uint32_t op) {
    for (uint32_t i = 0; i < NKBIN; i++)
        if (kbin_plain[i] == op) return (wc_op)(WC_I32_EQ_K + i);
    return WC__COUNT;
}

/* The plain op of an immediate form, or WC__COUNT. */
static wc_op k_plain(uint32_t op) {
    if (op >= WC_I32_EQ_K && op < WC_I32_EQ_K + NKBIN) return (wc_op)kbin_plain[op - WC_I32_EQ_K];
    return WC__COUNT;
}

/* The op computing op(a, b) from the operands in the order (b, a), or WC__COUNT. */
static wc_op swapped_op(uint32_t op) {
    static const uint16_t pairs[][2] = {
        {WC_I32_EQ, WC_I32_EQ}, {WC_I32_NE, WC_I32_NE}, {WC_I32_ADD, WC_I32_ADD},
        {WC_I32_MUL, WC_I32_MUL}, {WC_I32_AND, WC_I32_AND}, {WC_I32_OR, WC_I32_OR},
        {WC_I32_XOR, WC_I32_XOR}, {WC_I32_LT_S, WC_I32_GT_S}, {WC_I32_GT_S, WC_I32_LT_S},
        {WC_I32_LT_U, WC_I32_GT_U}, {WC_I32_GT_U, WC_I32_LT_U}, {WC_I32_LE_S, WC_I32_GE_S},
        {WC_I32_GE_S, WC_I32_LE_S}, {WC_I32_LE_U, WC_I32_GE_U}, {WC_I32_GE_U, WC_I32_LE_U},
        {WC_I64_EQ, WC_I64_EQ}, {WC_I64_NE, WC_I64_NE}, {WC_I64_ADD, WC_I64_ADD},
        {WC_I64_MUL, WC_I64_MUL}, {WC_I64_AND, WC_I64_AND}, {WC_I64_OR, WC_I64_OR},
        {WC_I64_XOR, WC_I64_XOR}, {WC_I64_LT_S, WC_I64_GT_S}, {WC_I64_GT_S, WC_I64_LT_S},
        {WC_I64_LT_U, WC_I64_GT_U}, {WC_I64_GT_U, WC_I64_LT_U}, {WC_I64_LE_S, WC_I64_GE_S},
        {WC_I64_GE_S, WC_I64_LE_S}, {WC_I64_LE_U, WC_I64_GE_U}, {WC_I64_GE_U, WC_I64_LE_U},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i][0] == op) return (wc_op)pairs[i][1];
    return WC__COUNT;
}
#undef NONE
#undef I32
#undef I64
#undef F32
#undef F64

/* True when value v (just popped) is the result of the instruction emitted last, which
 * can then be folded into its consumer. */
static bool produced_last(const cstate *c, cval v) {
    return c->last_start != NO_INSTR && v.slot == c->code[c->last_dst].u32 &&
           v.slot == top_slot(c);
}

/* produced_last, and that instruction is `op`. */
static bool is_fresh(const cstate *c, cval v, uint32_t op) {
    return produced_last(c, v) && c->last_op == op;
}

/* Removes the last emitted instruction (and its constant fixups). */
static void drop_last(cstate *c) {
    while (c->nfixups && c->fixups[c->nfixups - 1] >= c->last_start) c->nfixups--;
    c->ncode = c->last_start;
    c->last_start = NO_INSTR;
}

/* Compare ops that fuse with a following br_if/if: fused op and inverse compare. */
static bool fused_compare(uint32_t op, wc_op *branch_op, wc_op *inverse_op) {
    static const struct { uint16_t cmp, br, inv; } map[] = {
        {WC_I32_EQ, WC_BR_IF_I32_EQ, WC_BR_IF_I32_NE}, {WC_I32_NE, WC_BR_IF_I32_NE, WC_BR_IF_I32_EQ},
        {WC_I32_LT_S, WC_BR_IF_I32_LT_S, WC_BR_IF_I32_GE_S}, {WC_I32_LT_U, WC_BR_IF_I32_LT_U, WC_BR_IF_I32_GE_U},
        {WC_I32_GT_S, WC_BR_IF_I32_GT_S, WC_BR_IF_I32_LE_S}, {WC_I32_GT_U, WC_BR_IF_I32_GT_U, WC_BR_IF_I32_LE_U},
        {WC_I32_LE_S, WC_BR_IF_I32_LE_S, WC_BR_IF_I32_GT_S}, {WC_I32_LE_U, WC_BR_IF_I32_LE_U, WC_BR_IF_I32_GT_U},
        {WC_I32_GE_S, WC_BR_IF_I32_GE_S, WC_BR_IF_I32_LT_S}, {WC_I32_GE_U, WC_BR_IF_I32_GE_U, WC_BR_IF_I32_LT_U},
        {WC_I64_EQ, WC_BR_IF_I64_EQ, WC_BR_IF_I64_NE}, {WC_I64_NE, WC_BR_IF_I64_NE, WC_BR_IF_I64_EQ},
        {WC_I64_LT_S, WC_BR_IF_I64_LT_S, WC_BR_IF_I64_GE_S}, {WC_I64_LT_U, WC_BR_IF_I64_LT_U, WC_BR_IF_I64_GE_U},
        {WC_I64_GT_S, WC_BR_IF_I64_GT_S, WC_BR_IF_I64_LE_S}, {WC_I64_GT_U, WC_BR_IF_I64_GT_U, WC_BR_IF_I64_LE_U},
        {WC_I64_LE_S, WC_BR_IF_I64_LE_S, WC_BR_IF_I64_GT_S}, {WC_I64_LE_U, WC_BR_IF_I64_LE_U, WC_BR_IF_I64_GT_U},
        {WC_I64_GE_S, WC_BR_IF_I64_GE_S, WC_BR_IF_I64_LT_S}, {WC_I64_GE_U, WC_BR_IF_I64_GE_U, WC_BR_IF_I64_LT_U},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].cmp == op) {
            *branch_op = (wc_op)map[i].br;
            *inverse_op = (wc_op)map[i].inv;
            return true;
        }
    return false;
}

/* Emits "branch to the target placed by emit_target_fn when cond holds (or fails, when
 * negate)". `cond` was just popped. If the condition was produced by the instruction
 * right before and that was a compare or eqz, the compare is rewritten as a fused
 * compare-and-branch. Returns the index of the target cell. */
static uint32_t emit_cond_branch(cstate *c, cval cond, bool negate, const cctrl *loop) {
    wc_op op = negate ? WC_BR_UNLESS : WC_BR_IF;
    uint32_t a = cond.slot, b = NO_INSTR;
    bool imm = false; /* b is the immediate kv (a *_K compare) */
    uint64_t kv = 0;
    if (produced_last(c, cond)) {
        wc_op br, inv;
        if (fused_compare(c->last_op, &br, &inv)) {
            a = c->code[c->last_start + 2].u32;
            b = c->code[c->last_start + 3].u32;
            op = negate ? inv : br;
            drop_last(c); /* the compare; its constant fixups are re-added by emit_slot */
        } else if (k_plain(c->last_op) != WC__COUNT && fused_compare(k_plain(c->last_op), &br, &inv)) {
            a = c->code[c->last_start + 2].u32;
            kv = c->code[c->last_start + 3].u64;
            imm = true;
            op = negate ? inv : br;
            drop_last(c);
        } else if (c->last_op == WC_I32_EQZ) {
            a = c->code[c->last_start + 2].u32;
            op = negate ? WC_BR_IF : WC_BR_UNLESS;
            drop_last(c);
        }
    }
    if (imm) {
        uint32_t i = op - WC_BR_IF_I32_EQ; /* WC_KBR_OPS lists the fused compares in order */
        emit_op(c, (wc_op)((loop ? WC_BR_IF_I32_EQ_K_BACK : WC_BR_IF_I32_EQ_K) + i));
        emit_slot(c, a);
        emit_u64(c, kv);
    } else {
        emit_op(c, loop ? back_op(op) : op);
        emit_slot(c, a);
        if (b != NO_INSTR) emit_slot(c, b);
    }
    uint32_t at = emit_target_placeholder(c);
    if (loop) emit_u32(c, loop_cost(c, loop));
    return at;
}

/* local.set / local.tee: writes the local, retargeting the previous instruction when it
 * produced the value just now. */
static bool set_local(cstate *c, uint32_t x, bool tee) {
    cval v;
    if (!pop_raw(c, c->local_types[x], &v)) return false;
    if (!live(c)) {
        if (tee) push_at(c, v.type == CT_UNKNOWN ? c->local_types[x] : v.type, top_slot(c));
        return true;
    }
    uint32_t slot = c->local_slot[x];
    if (produced_last(c, v) && !has_local_refs(c, slot)) {
        c->code[c->last_dst].u32 = slot;
    } else {
        materialize_local_refs(c, slot);
        if (v.slot != slot) {
            emit_move_val(c, &v, slot);
        }
    }
    c->last_start = NO_INSTR;
    if (tee) push_at(c, c->local_types[x], slot);
    return true;
}

static bool op_block_like(cstate *c, ckind kind) {
    cctrl bt;
    if (!read_blocktype(c, &bt)) return false;
    const uint8_t *results = bt.nresults == 1 && !bt.results ? bt.single : bt.results;
    if (!check_top(c, bt.nparams, bt.params)) return false;
    materialize_all(c); /* labels see every value in its canonical slot */
    for (uint32_t i = bt.nparams; i-- > 0;) {
        cval v;
        pop(c, 0, &v);
    }
    if (!push_ctrl(c, kind, bt.nparams, bt.params, bt.nresults, results)) return false;
    cctrl *f = &c->ctrls[c->nctrls - 1];
    if (results == bt.single) {
        f->single[0] = bt.single[0];
        f->single_res = true;
        f->results = NULL;
    }
    for (uint32_t i = 0; i < bt.nparams; i++) push(c, bt.params[i]);
    forget_last(c);
    if (kind == CK_LOOP) {
        f->loop_pc = c->ncode;
        f->loop_instr = c->ninstr;
        c->nloops++;
    }
    return true;
}

static bool op_if(cstate *c) {
    cval cond;
    if (!pop(c, NXW_I32, &cond)) return false;
    bool was_live = live(c);
    uint32_t patch = NO_INSTR;
    if (was_live) {
        /* materialize everything below first so the branch sees canonical values */
        materialize_all(c);
        patch = emit_cond_branch(c, cond, true, NULL);
    }
    if (!op_block_like(c, CK_IF)) return false;
    c->ctrls[c->nctrls - 1].else_patch = patch;
    return true;
}

/* Moves the block's results into canonical slots at a fall-through end/else. */
static bool finish_block_values(cstate *c, cctrl *f) {
    if (!check_top(c, f->nresults, ctrl_results(f))) return false;
    uint32_t have = c->nvals - f->height;
    if (have > f->nresults)
        return INVALID("type mismatch: %u values remain at the end of a block that yields %u",
                       have, f->nresults);
    if (have < f->nresults && !f->unreachable)
        return INVALID("type mismatch: block yields %u values, expected %u", have, f->nresults);
    if (live(c) && (f->kind != CK_FUNC || f->nresults >= 2))
        for (uint32_t i = f->height; i < c->nvals; i++) materialize_at(c, i);
    return true;
}

static void drop_to_height(cstate *c, uint32_t height) {
    while (c->nvals > height) {
        c->nvals--;
        if (is_local_slot(c, c->vals[c->nvals].slot)) c->nlocal_refs--;
    }
}

static bool op_else(cstate *c) {
    cctrl *f = &c->ctrls[c->nctrls - 1];
    if (f->kind != CK_IF) return MALFORMED("else without matching if");
    if (!finish_block_values(c, f)) return false;
    if (live(c)) {
        emit_op(c, WC_BR);
        uint32_t at = emit_target_placeholder(c);
        if (!c->failed) {
            c->code[at].u32 = f->patch_head;
            f->patch_head = at;
        }
    }
    if (f->else_patch != NO_INSTR) {
        patch_target(c, f->else_patch, c->ncode);
        f->else_patch = NO_INSTR;
    }
    /* restart at the block's entry state */
    drop_to_height(c, f->height);
    f->kind = CK_ELSE;
    f->unreachable = false;
    for (uint32_t i = 0; i < f->nparams; i++) push(c, f->params[i]);
    forget_last(c);
    return true;
}

/* Returns true when the function's final end was reached. */
static bool op_end(cstate *c, bool *done) {
    cctrl *f = &c->ctrls[c->nctrls - 1];
    if (!finish_block_values(c, f)) return false;
    if (f->kind == CK_IF) {
        /* an if without else: params must equal results */
        if (f->nparams != f->nresults ||
            (f->nparams && memcmp(f->params, ctrl_results(f), f->nparams) != 0))
            return INVALID("type mismatch: if without else must leave its params unchanged");
    }
    if (f->kind == CK_FUNC) {
        if (live(c)) emit_return_values(c, f->nresults);
        /* branches to the function label are emitted as returns: no chain to patch */
        c->nctrls--;
        *done = true;
        return true;
    }
    if (f->else_patch != NO_INSTR) patch_target(c, f->else_patch, c->ncode);
    patch_chain(c, f->patch_head, c->ncode);
    if (f->kind == CK_LOOP) c->nloops--;
    uint32_t height = f->height, nres = f->nresults;
    uint8_t res[1];
    const uint8_t *types = f->single_res ? (res[0] = f->single[0], res) : f->results;
    c->nctrls--;
    drop_to_height(c, height);
    for (uint32_t i = 0; i < nres; i++) push(c, types[i]);
    forget_last(c);
    return true;
}

static bool op_br(cstate *c, uint32_t depth) {
    if (depth >= c->nctrls) return INVALID("unknown label %u", depth);
    cctrl *f = &c->ctrls[c->nctrls - 1 - depth];
    uint32_t n;
    const uint8_t *types;
    label_types(f, &n, &types);
    if (!check_top(c, n, types)) return false;
    if (live(c)) {
        if (c->nvals - c->ctrls[c->nctrls - 1].height < n) return INVALID("type mismatch");
        if (f->kind == CK_FUNC) {
            emit_return_values(c, n); /* a branch to the function label is a return */
        } else {
            emit_label_moves(c, f);
            emit_br_to(c, f);
        }
    }
    set_unreachable(c);
    return true;
}

static bool op_br_if(cstate *c, uint32_t depth) {
    cval cond;
    if (!pop(c, NXW_I32, &cond)) return false;
    if (depth >= c->nctrls) return INVALID("unknown label %u", depth);
    cctrl *f = &c->ctrls[c->nctrls - 1 - depth];
    uint32_t n;
    const uint8_t *types;
    label_types(f, &n, &types);
    if (!check_top(c, n, types)) return false;
    if (!live(c)) {
        /* retype the top values to the label's types */
        for (uint32_t i = 0; i < n; i++) {
            cval v;
            pop_raw(c, 0, &v);
        }
        for (uint32_t i = 0; i < n; i++) push(c, types[i]);
        return true;
    }
    if (c->nvals - c->ctrls[c->nctrls - 1].height < n) return INVALID("type mismatch");
    /* refine unknown types */
    for (uint32_t i = 0; i < n; i++) c->vals[c->nvals - n + i].type = types[i];
    if (f->kind == CK_FUNC || label_needs_moves(c, f)) {
        if (n >= 2)
            for (uint32_t i = c->nvals - n; i < c->nvals; i++) materialize_at(c, i);
        uint32_t skip = emit_cond_branch(c, cond, true, NULL);
        if (f->kind == CK_FUNC) {
            emit_return_values(c, n);
        } else {
            emit_label_moves(c, f);
            emit_br_to(c, f);
        }
        patch_target(c, skip, c->ncode);
    } else {
        uint32_t at = emit_cond_branch(c, cond, false, f->kind == CK_LOOP ? f : NULL);
        if (f->kind == CK_LOOP) {
            patch_target(c, at, f->loop_pc);
        } else if (!c->failed) {
            c->code[at].u32 = f->patch_head;
            f->patch_head = at;
        }
    }
    c->last_start = NO_INSTR;
    return true;
}

static bool op_br_table(cstate *c) {
    uint32_t count;
    if (!read_u32(c, &count)) return false;
    if (count > (uint32_t)(c->end - c->p)) return MALFORMED("unexpected end: br_table too long");
    uint32_t *depths = malloc(((size_t)count + 1) * sizeof(uint32_t));
    if (!depths) return fail(c, NXW_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i <= count; i++)
        if (!read_u32(c, &depths[i])) {
            free(depths);
            return false;
        }
    cval idx;
    bool ok = pop(c, NXW_I32, &idx);
    for (uint32_t i = 0; ok && i <= count; i++)
        if (depths[i] >= c->nctrls) ok = INVALID("unknown label %u", depths[i]);
    if (!ok) {
        free(depths);
        return false;
    }
    uint32_t arity;
    const uint8_t *dtypes;
    label_types(&c->ctrls[c->nctrls - 1 - depths[count]], &arity, &dtypes);
    for (uint32_t i = 0; ok && i <= count; i++) {
        uint32_t n;
        const uint8_t *types;
        label_types(&c->ctrls[c->nctrls - 1 - depths[i]], &n, &types);
        if (n != arity) ok = INVALID("type mismatch: br_table labels have different arities");
        else ok = check_top(c, n, types);
    }
    if (ok && live(c) && c->nvals - c->ctrls[c->nctrls - 1].height < arity)
        ok = INVALID("type mismatch");
    if (ok && live(c)) {
        if (arity >= 2)
            for (uint32_t i = c->nvals - arity; i < c->nvals; i++) materialize_at(c, i);
        /* a loop reached directly makes it BR_TABLE_BACK, charging the largest cost */
        uint32_t cost = 0;
        for (uint32_t i = 0; i <= count; i++) {
            cctrl *f = &c->ctrls[c->nctrls - 1 - depths[i]];
            if (f->kind == CK_LOOP && !label_needs_moves(c, f) && loop_cost(c, f) > cost)
                cost = loop_cost(c, f);
        }
        emit_op(c, cost ? WC_BR_TABLE_BACK : WC_BR_TABLE);
        emit_slot(c, idx.slot);
        emit_u32(c, count);
        if (cost) emit_u32(c, cost);
        uint32_t first = c->ncode;
        for (uint32_t i = 0; i <= count; i++) emit_target_placeholder(c);
        /* each target: direct when no moves are needed, else through a stub */
        for (uint32_t i = 0; i <= count && !c->failed; i++) {
            cctrl *f = &c->ctrls[c->nctrls - 1 - depths[i]];
            uint32_t cell = first + i;
            if (f->kind == CK_FUNC || label_needs_moves(c, f)) {
                patch_target(c, cell, c->ncode);
                if (f->kind == CK_FUNC) {
                    emit_return_values(c, f->nresults);
                } else {
                    emit_label_moves(c, f);
                    emit_br_to(c, f);
                }
            } else if (f->kind == CK_LOOP) {
                patch_target(c, cell, f->loop_pc);
            } else {
                c->code[cell].u32 = f->patch_head;
                f->patch_head = cell;
            }
        }
    }
    free(depths);
    if (!ok) return false;
    set_unreachable(c);
    return true;
}

static bool emit_return(cstate *c) { return op_br(c, c->nctrls - 1); }

static const wm_functype *func_type(cstate *c, uint32_t fidx) {
    return &c->m->types[wm_func_type_index(c->m, fidx)];
}

/* Type-checks and pops call arguments after materializing them in consecutive
 * canonical slots; returns the slot of the first. */
static bool call_args(cstate *c, const wm_functype *t, uint32_t *base) {
    if (!check_top(c, t->nparams, t->types)) return false;
    uint32_t avail = c->nvals - c->ctrls[c->nctrls - 1].height;
    uint32_t n = avail < t->nparams ? avail : t->nparams;
    for (uint32_t i = c->nvals - n; i < c->nvals; i++) materialize_at(c, i);
    for (uint32_t i = 0; i < t->nparams; i++) {
        cval v;
        pop(c, 0, &v);
    }
    *base = top_slot(c);
    return true;
}

static void push_results(cstate *c, const wm_functype *t) {
    for (uint32_t i = 0; i < t->nresults; i++) push(c, t->types[t->nparams + i]);
    c->last_start = NO_INSTR;
}

static bool op_call(cstate *c) {
    uint32_t fidx;
    if (!read_index(c, wm_total_funcs(c->m), "function", &fidx)) return false;
    const wm_functype *t = func_type(c, fidx);
    uint32_t base;
    if (!call_args(c, t, &base)) return false;
    if (live(c) && fidx >= c->m->nimported_funcs) {
        /* a function of the same instance: never a host function, same memory */
        uint32_t start = emit_op(c, WC_CALL_WASM);
        emit_u32(c, fidx);
        uint32_t at = emit_u32(c, 0); /* the frame size, known at the end */
        emit_u32(c, base);
        uint32_t dcell = emit_slot(c, base);
        if (!c->failed) {
            if (!grow((void **)&c->frame_cells, &c->cap_frame_cells, c->nframe_cells + 1, sizeof(uint32_t)))
                return fail(c, NXW_ERR_NOMEM, "out of memory");
            c->frame_cells[c->nframe_cells++] = at;
        }
        push_results(c, t);
        if (t->nresults == 1 && t->types[t->nparams] != NXW_V128) {
            /* one result, written by the return at dst: a local.set may retarget it */
            c->last_start = start;
            c->last_dst = dcell;
            c->last_op = WC_CALL_WASM;
        }
        return true;
    } else if (live(c)) {
        emit_op(c, WC_CALL);
        emit_u32(c, fidx);
        emit_u32(c, base);
    }
    push_results(c, t);
    return true;
}

static bool op_call_indirect(cstate *c) {
    uint32_t tidx, table;
    if (!read_u32(c, &tidx)) return false;
    if (!read_u32(c, &table)) return false;
    if (table >= wm_total_tables(c->m)) return INVALID("unknown table %u", table);
    if (tidx >= c->m->ntypes) return INVALID("unknown type %u", tidx);
    if (wm_table_type(c->m, table).elem != NXW_FUNCREF)
        return INVALID("type mismatch: call_indirect on a table of externref");
    cval idx;
    if (!pop(c, NXW_I32, &idx)) return false;
    const wm_functype *t = &c->m->types[tidx];
    /* the index slot lies outside the argument slots: above them, or a local/constant */
    uint32_t base;
    uint32_t idx_slot = idx.slot;
    if (!call_args(c, t, &base)) return false;
    if (live(c)) {
        emit_op(c, WC_CALL_INDIRECT);
        emit_u32(c, tidx);
        emit_u32(c, table);
        emit_slot(c, idx_slot);
        emit_u32(c, base);
    }
    push_results(c, t);
    return true;
}

static bool op_select(cstate *c, bool typed) {
    uint8_t want = 0;
    if (typed) {
        uint32_t n;
        if (!read_u32(c, &n)) return false;
        if (n != 1) return INVALID("invalid result arity for select");
        uint8_t t;
        if (!read_byte(c, &t)) return false;
        if (!is_num(t) && !is_ref(t) && t != NXW_V128) return MALFORMED("malformed value type");
        if (t == NXW_V128 && !c->features->simd) return simd_disabled(c, "select of type v128");
        want = t;
    }
    cval cond, b, a;
    if (!pop(c, NXW_I32, &cond)) return false;
    if (!pop(c, want, &b)) return false;
    if (!pop(c, want, &a)) return false;
    uint8_t type = want;
    if (!typed) {
        if ((a.type && !is_num(a.type) && a.type != NXW_V128) ||
            (b.type && !is_num(b.type) && b.type != NXW_V128))
            return INVALID("type mismatch: select without type needs numeric operands");
        if (a.type && b.type && a.type != b.type) return INVALID("type mismatch in select");
        type = a.type ? a.type : b.type;
    }
    uint32_t srcs[3] = {a.slot, b.slot, cond.slot};
    emit_producer(c, type == NXW_V128 ? WC_SELECT_V128 : WC_SELECT, type, srcs, 3);
    return true;
}

static bool op_memory(cstate *c, uint8_t opcode) {
    uint32_t offset;
    if (!read_memarg(c, memory_natural[opcode], &offset)) return false;
    uint8_t t = memory_type[opcode];
    wc_op op = (wc_op)memory_op[opcode];
    if (opcode <= 0x35) {
        cval a;
        if (!pop(c, NXW_I32, &a)) return false;
        bool fuse = live(c) && is_fresh(c, a, WC_I32_ADD);
        bool fusek = live(c) && is_fresh(c, a, WC_I32_ADD_K);
        uint32_t d = push(c, t);
        if (fuse || fusek) {
            /* i32.add feeding the address: one fused load */
            uint32_t x = c->code[c->last_start + 2].u32;
            wc_cell y = c->code[c->last_start + 3];
            drop_last(c);
            uint32_t start = emit_op(c, (wc_op)(fusek ? addrk_op : addr_op)[opcode]);
            uint32_t dc = emit_slot(c, d);
            emit_slot(c, x);
            if (fusek) emit_cell(c, y);
            else emit_slot(c, y.u32);
            emit_u32(c, offset);
            c->last_start = start;
            c->last_dst = dc;
            c->last_op = (fusek ? addrk_op : addr_op)[opcode];
        } else if (live(c) && op == WC_I32_LOAD && c->load_at != NO_INSTR &&
                   c->load_at + 4 == c->ncode && c->code[c->load_at].op == c->H[WC_I32_LOAD] &&
                   !c->failed) {
            /* an i32.load right after another one (no label between): one I32_LOAD2 */
            c->code[c->load_at].op = c->H[WC_I32_LOAD2];
            uint32_t dc = emit_slot(c, d);
            emit_slot(c, a.slot);
            emit_u32(c, offset);
            c->last_start = c->load_at;
            c->last_dst = dc;
            c->last_op = WC_I32_LOAD2;
            c->load_at = NO_INSTR;
        } else if (live(c)) {
            uint32_t start = emit_op(c, op);
            uint32_t dc = emit_slot(c, d);
            emit_slot(c, a.slot);
            emit_u32(c, offset);
            c->last_start = start;
            c->last_dst = dc;
            c->last_op = op;
            if (op == WC_I32_LOAD) c->load_at = start;
        }
    } else {
        cval v, a;
        if (!pop_raw(c, t, &v)) return false;
        /* i32.store (a) (i32.add (i32.load (a)) K), same address slot and offset, i.e. a
         * store of the fresh result of I32_LOAD_ADD_K [d a K off]: the loaded value feeds
         * only the add, the sum only the store (stack values are used once), and nothing
         * between them writes a */
        uint32_t add_at = opcode == 0x36 && live(c) && is_fresh(c, v, WC_I32_LOAD_ADD_K) ? c->last_start : NO_INSTR;
        if (!pop(c, NXW_I32, &a)) return false;
        if (add_at != NO_INSTR && c->last_start == add_at && !c->failed) {
            const wc_cell *ld = &c->code[add_at];
            if (ld[2].u32 == a.slot && ld[4].u32 == offset) {
                uint64_t k = ld[3].u64;
                drop_last(c); /* the fused load and add */
                emit_op(c, WC_I32_ADD_K_MEM);
                emit_slot(c, a.slot);
                emit_u64(c, k);
                emit_u32(c, offset);
                return true;
            }
        }
        bool fuse = live(c) && is_fresh(c, a, WC_I32_ADD);
        bool fusek = live(c) && is_fresh(c, a, WC_I32_ADD_K);
        /* a fused store reads its value from a slot: a constant needs a pool slot (a CONST
         * emitted now could overwrite an operand of the add it replaces) */
        uint32_t vslot = v.slot;
        if ((fuse || fusek) && vslot == KSLOT) {
            vslot = const_slot(c, v.k);
            if (vslot == NO_INSTR) fuse = fusek = false;
        }
        if (fuse || fusek) {
            /* i32.add feeding the address (value from a local or constant): one store */
            uint32_t x = c->code[c->last_start + 2].u32;
            wc_cell y = c->code[c->last_start + 3];
            drop_last(c);
            emit_op(c, (wc_op)(fusek ? addrk_op : addr_op)[opcode]);
            emit_slot(c, x);
            if (fusek) emit_cell(c, y);
            else emit_slot(c, y.u32);
            emit_slot(c, vslot);
            emit_u32(c, offset);
        } else if (live(c) && v.slot == KSLOT) {
            emit_op(c, (wc_op)store_k_op[opcode]);
            emit_slot(c, a.slot);
            emit_u64(c, v.k);
            emit_u32(c, offset);
        } else if (live(c)) {
            emit_op(c, op);
            emit_slot(c, a.slot);
            emit_slot(c, v.slot);
            emit_u32(c, offset);
        }
    }
    return true;
}

static bool need_datacount(cstate *c) {
    if (!c->m->has_datacount) return MALFORMED("data count section required");
    return true;
}

static bool pop_n(cstate *c, unsigned n, const uint8_t *types, uint32_t *slots) {
    for (unsigned i = n; i-- > 0;) {
        cval v;
        if (!pop(c, types[i], &v)) return false;
        slots[i] = v.slot;
    }
    return true;
}

static void emit_ops_slots(cstate *c, wc_op op, const uint32_t *imm, unsigned nimm,
                           const uint32_t *slots, unsigned nslots) {
    if (!live(c)) return;
    emit_op(c, op);
    for (unsigned i = 0; i < nimm; i++) emit_u32(c, imm[i]);
    for (unsigned i = 0; i < nslots; i++) emit_slot(c, slots[i]);
}

static bool op_prefixed(cstate *c) {
    uint32_t sub;
    if (!read_u32(c, &sub)) return false;
    static const uint8_t iii[3] = {NXW_I32, NXW_I32, NXW_I32};
    uint32_t s[3];
    if (sub <= 7) {
        const numinfo *ni = &numeric_table[0x100 + sub];
        cval a;
        if (!pop(c, ni->in1, &a)) return false;
        emit_producer(c, (wc_op)(ni->op - 1), ni->out, &a.slot, 1);
        return true;
    }
    if (sub >= 8 && sub <= 14 && !c->features->bulk_memory) {
        static const char *const bulk_names[] = {"memory.init", "data.drop",  "memory.copy",
                                                 "memory.fill", "table.init", "elem.drop",
                                                 "table.copy"};
        return INVALID("bulk memory is disabled (feature bulk_memory): %s", bulk_names[sub - 8]);
    }
    switch (sub) {
    case 8: { /* memory.init */
        uint32_t seg;
        if (!read_u32(c, &seg)) return false;
        uint8_t zero;
        if (!read_byte(c, &zero)) return false;
        if (!need_datacount(c)) return false;
        if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
        if (zero != 0) return MALFORMED("zero byte expected");
        if (seg >= c->m->datacount) return INVALID("unknown data segment %u", seg);
        if (!pop_n(c, 3, iii, s)) return false;
        emit_ops_slots(c, WC_MEMORY_INIT, &seg, 1, s, 3);
        return true;
    }
    case 9: { /* data.drop */
        uint32_t seg;
        if (!read_u32(c, &seg)) return false;
        if (!need_datacount(c)) return false;
        if (seg >= c->m->datacount) return INVALID("unknown data segment %u", seg);
        emit_ops_slots(c, WC_DATA_DROP, &seg, 1, NULL, 0);
        return true;
    }
    case 10: { /* memory.copy */
        uint8_t z1, z2;
        if (!read_byte(c, &z1) || !read_byte(c, &z2)) return false;
        if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
        if (z1 || z2) return MALFORMED("zero byte expected");
        if (!pop_n(c, 3, iii, s)) return false;
        emit_ops_slots(c, WC_MEMORY_COPY, NULL, 0, s, 3);
        return true;
    }
    case 11: { /* memory.fill */
        uint8_t z;
        if (!read_byte(c, &z)) return false;
        if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
        if (z) return MALFORMED("zero byte expected");
        if (!pop_n(c, 3, iii, s)) return false;
        emit_ops_slots(c, WC_MEMORY_FILL, NULL, 0, s, 3);
        return true;
    }
    case 12: { /* table.init elem table */
        uint32_t imm[2];
        if (!read_u32(c, &imm[1]) || !read_u32(c, &imm[0])) return false;
        if (imm[0] >= wm_total_tables(c->m)) return INVALID("unknown table %u", imm[0]);
        if (imm[1] >= c->m->nelems) return INVALID("unknown elem segment %u", imm[1]);
        if (c->m->elems[imm[1]].type != wm_table_type(c->m, imm[0]).elem)
            return INVALID("type mismatch: table.init element type");
        if (!pop_n(c, 3, iii, s)) return false;
        emit_ops_slots(c, WC_TABLE_INIT, imm, 2, s, 3);
        return true;
    }
    case 13: { /* elem.drop */
        uint32_t seg;
        if (!read_u32(c, &seg)) return false;
        if (seg >= c->m->nelems) return INVALID("unknown elem segment %u", seg);
        emit_ops_slots(c, WC_ELEM_DROP, &seg, 1, NULL, 0);
        return true;
    }
    case 14: { /* table.copy dst src */
        uint32_t imm[2];
        if (!read_u32(c, &imm[0]) || !read_u32(c, &imm[1])) return false;
        if (imm[0] >= wm_total_tables(c->m)) return INVALID("unknown table %u", imm[0]);
        if (imm[1] >= wm_total_tables(c->m)) return INVALID("unknown table %u", imm[1]);
        if (wm_table_type(c->m, imm[0]).elem != wm_table_type(c->m, imm[1]).elem)
            return INVALID("type mismatch: table.copy between different element types");
        if (!pop_n(c, 3, iii, s)) return false;
        emit_ops_slots(c, WC_TABLE_COPY, imm, 2, s, 3);
        return true;
    }
    case 15: { /* table.grow */
        uint32_t t;
        if (!read_index(c, wm_total_tables(c->m), "table", &t)) return false;
        uint8_t types[2] = {wm_table_type(c->m, t).elem, NXW_I32};
        if (!pop_n(c, 2, types, s)) return false;
        uint32_t d = push(c, NXW_I32);
        if (live(c)) {
            emit_op(c, WC_TABLE_GROW);
            emit_slot(c, d);
            emit_u32(c, t);
            emit_slot(c, s[0]);
            emit_slot(c, s[1]);
        }
        return true;
    }
    case 16: { /* table.size */
        uint32_t t;
        if (!read_index(c, wm_total_tables(c->m), "table", &t)) return false;
        uint32_t d = push(c, NXW_I32);
        if (live(c)) {
            emit_op(c, WC_TABLE_SIZE);
            emit_slot(c, d);
            emit_u32(c, t);
        }
        return true;
    }
    case 17: { /* table.fill */
        uint32_t t;
        if (!read_index(c, wm_total_tables(c->m), "table", &t)) return false;
        uint8_t types[3] = {NXW_I32, wm_table_type(c->m, t).elem, NXW_I32};
        if (!pop_n(c, 3, types, s)) return false;
        emit_ops_slots(c, WC_TABLE_FILL, &t, 1, s, 3);
        return true;
    }
    default:
        return MALFORMED("illegal opcode 0xfc %u", sub);
    }
}

/* f64.add/sub/mul/div (opcode 0xA0..0xA3) whose second operand, just popped, is the
 * result of the f64.load (or fused F64_LOAD_ADDR) emitted last: the load is folded into
 * the arithmetic as a memory operand (WC_FMEM_OPS). */
static bool emit_f64_memory_operand(cstate *c, uint8_t opcode) {
    static const uint16_t plain[4] = {WC_F64_ADD_M, WC_F64_SUB_M, WC_F64_MUL_M, WC_F64_DIV_M};
    static const uint16_t summed[4] = {WC_F64_ADD_MA, WC_F64_SUB_MA, WC_F64_MUL_MA, WC_F64_DIV_MA};
    bool addr = c->last_op == WC_F64_LOAD_ADDR;
    uint32_t at = c->last_start;
    uint32_t x = c->code[at + 2].u32, y = c->code[at + 3].u32;
    uint32_t offset = addr ? c->code[at + 4].u32 : y;
    drop_last(c);
    cval a;
    if (!pop(c, NXW_F64, &a)) return false;
    uint32_t d = push(c, NXW_F64);
    uint32_t start = emit_op(c, (wc_op)(addr ? summed : plain)[opcode - 0xA0]);
    uint32_t dcell = emit_slot(c, d);
    emit_slot(c, a.slot);
    emit_slot(c, x);
    if (addr) emit_slot(c, y);
    emit_u32(c, offset);
    c->last_start = start;
    c->last_dst = dcell;
    c->last_op = (uint32_t)(addr ? summed : plain)[opcode - 0xA0];
    return true;
}

#include "simd_compile.inc" /* op_simd: the 0xFD-prefixed instructions */

static bool compile_instr(cstate *c, uint8_t opcode, bool *done) {
    cval a, b;
    uint32_t x;
    if (opcode >= 0x45 && opcode <= 0xC4) {
        const numinfo *ni = &numeric_table[opcode];
        if (ni->in2) {
            if (!pop_raw(c, ni->in2, &b)) return false;
            if (opcode >= 0xA0 && opcode <= 0xA3 && live(c) &&
                (is_fresh(c, b, WC_F64_LOAD) || is_fresh(c, b, WC_F64_LOAD_ADDR)))
                return emit_f64_memory_operand(c, opcode);
            if (!pop_raw(c, ni->in1, &a)) return false;
            wc_op op = (wc_op)(ni->op - 1);
            if (a.slot == KSLOT && b.slot != KSLOT && swapped_op(op) != WC__COUNT) {
                cval t = a; /* constant first: swap the operands */
                a = b;
                b = t;
                op = swapped_op(op);
            }
            if (b.slot == KSLOT && k_form(op) != WC__COUNT) {
                resolve(c, &a);
                if (op == WC_I32_ADD && live(c) && is_fresh(c, a, WC_I32_LOAD)) {
                    /* i32.load then i32.add of a constant: one I32_LOAD_ADD_K */
                    uint32_t at = c->last_start;
                    uint32_t x = c->code[at + 2].u32, offset = c->code[at + 3].u32;
                    drop_last(c); /* the load; its constant fixups are re-added by emit_slot */
                    uint32_t d = push(c, NXW_I32);
                    uint32_t start = emit_op(c, WC_I32_LOAD_ADD_K);
                    uint32_t dcell = emit_slot(c, d);
                    emit_slot(c, x);
                    emit_u64(c, b.k);
                    emit_u32(c, offset);
                    c->last_start = start;
                    c->last_dst = dcell;
                    c->last_op = WC_I32_LOAD_ADD_K;
                    return true;
                }
                emit_producer_k(c, k_form(op), ni->out, a.slot, b.k);
                return true;
            }
            resolve(c, &b);
            resolve(c, &a);
            uint32_t srcs[2] = {a.slot, b.slot};
            emit_producer(c, op, ni->out, srcs, 2);
        } else {
            if (!pop(c, ni->in1, &a)) return false;
            emit_producer(c, (wc_op)(ni->op - 1), ni->out, &a.slot, 1);
        }
        return true;
    }
    if (opcode >= 0x28 && opcode <= 0x3E) return op_memory(c, opcode);
    switch (opcode) {
    case 0x00: /* unreachable */
        if (live(c)) emit_op(c, WC_UNREACHABLE);
        set_unreachable(c);
        return true;
    case 0x01: return true; /* nop */
    case 0x02: return op_block_like(c, CK_BLOCK);
    case 0x03: return op_block_like(c, CK_LOOP);
    case 0x04: return op_if(c);
    case 0x05: return op_else(c);
    case 0x0B: return op_end(c, done);
    case 0x0C: return read_u32(c, &x) && op_br(c, x);
    case 0x0D: return read_u32(c, &x) && op_br_if(c, x);
    case 0x0E: return op_br_table(c);
    case 0x0F: return emit_return(c);
    case 0x10: return op_call(c);
    case 0x11: return op_call_indirect(c);
    case 0x1A: return pop_raw(c, 0, &a);
    case 0x1B: return op_select(c, false);
    case 0x1C: return op_select(c, true);
    case 0x20: /* local.get */
        if (!read_index(c, c->nlocals, "local", &x)) return false;
        push_at(c, c->local_types[x], c->local_slot[x]);
        return true;
    case 0x21:
    case 0x22:
        if (!read_index(c, c->nlocals, "local", &x)) return false;
        return set_local(c, x, opcode == 0x22);
    case 0x23: { /* global.get */
        if (!read_index(c, wm_total_globals(c->m), "global", &x)) return false;
        uint8_t gtype = wm_global_type(c->m, x).type;
        wc_op op = gtype == NXW_V128 ? WC_GLOBAL_GET_V128 : WC_GLOBAL_GET;
        uint32_t d = push(c, gtype);
        if (live(c)) {
            uint32_t start = emit_op(c, op);
            uint32_t dc = emit_slot(c, d);
            emit_u32(c, x);
            c->last_start = start;
            c->last_dst = dc;
            c->last_op = op;
        }
        return true;
    }
    case 0x24: { /* global.set */
        if (!read_index(c, wm_total_globals(c->m), "global", &x)) return false;
        wm_globaltype gt = wm_global_type(c->m, x);
        if (!gt.mutable_) return INVALID("global is immutable: global %u", x);
        if (!pop(c, gt.type, &a)) return false;
        if (live(c)) {
            emit_op(c, gt.type == NXW_V128 ? WC_GLOBAL_SET_V128 : WC_GLOBAL_SET);
            emit_u32(c, x);
            emit_slot(c, a.slot);
        }
        return true;
    }
    case 0x25: { /* table.get */
        if (!read_index(c, wm_total_tables(c->m), "table", &x)) return false;
        if (!pop(c, NXW_I32, &a)) return false;
        uint32_t d = push(c, wm_table_type(c->m, x).elem);
        if (live(c)) {
            emit_op(c, WC_TABLE_GET);
            emit_slot(c, d);
            emit_u32(c, x);
            emit_slot(c, a.slot);
        }
        return true;
    }
    case 0x26: { /* table.set */
        if (!read_index(c, wm_total_tables(c->m), "table", &x)) return false;
        if (!pop(c, wm_table_type(c->m, x).elem, &b) || !pop(c, NXW_I32, &a)) return false;
        if (live(c)) {
            emit_op(c, WC_TABLE_SET);
            emit_u32(c, x);
            emit_slot(c, a.slot);
            emit_slot(c, b.slot);
        }
        return true;
    }
    case 0x3F: { /* memory.size */
        uint8_t z;
        if (!read_byte(c, &z)) return false;
        if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
        if (z) return MALFORMED("zero byte expected");
        emit_producer(c, WC_MEMORY_SIZE, NXW_I32, NULL, 0);
        return true;
    }
    case 0x40: { /* memory.grow */
        uint8_t z;
        if (!read_byte(c, &z)) return false;
        if (wm_total_memories(c->m) == 0) return INVALID("unknown memory 0");
        if (z) return MALFORMED("zero byte expected");
        if (!pop(c, NXW_I32, &a)) return false;
        emit_producer(c, WC_MEMORY_GROW, NXW_I32, &a.slot, 1);
        return true;
    }
    case 0x41: {
        int64_t v;
        if (!read_sleb(c, 32, &v)) return false;
        push_const(c, NXW_I32, (uint64_t)(uint32_t)(int32_t)v);
        return true;
    }
    case 0x42: {
        int64_t v;
        if (!read_sleb(c, 64, &v)) return false;
        push_const(c, NXW_I64, (uint64_t)v);
        return true;
    }
    case 0x43:
    case 0x44: { /* f32.const / f64.const: raw little-endian bits */
        size_t n = opcode == 0x43 ? 4 : 8;
        if ((size_t)(c->end - c->p) < n) return MALFORMED("unexpected end");
        uint64_t bits = 0;
        memcpy(&bits, c->p, n);
        c->p += n;
        push_const(c, opcode == 0x43 ? NXW_F32 : NXW_F64, bits);
        return true;
    }
    case 0xD0: { /* ref.null t */
        uint8_t t;
        if (!read_byte(c, &t)) return false;
        if (!is_ref(t)) return MALFORMED("malformed reference type");
        push_const(c, t, 0);
        return true;
    }
    case 0xD1: { /* ref.is_null */
        if (!pop(c, 0, &a)) return false;
        if (a.type && !is_ref(a.type)) return INVALID("type mismatch: ref.is_null needs a reference");
        emit_producer(c, WC_REF_IS_NULL, NXW_I32, &a.slot, 1);
        return true;
    }
    case 0xD2: { /* ref.func */
        if (!read_index(c, wm_total_funcs(c->m), "function", &x)) return false;
        if (!c->declared[x]) return INVALID("undeclared function reference %u", x);
        uint32_t d = push(c, NXW_FUNCREF);
        if (live(c)) {
            emit_op(c, WC_REF_FUNC);
            emit_slot(c, d);
            emit_u32(c, x);
        }
        return true;
    }
    case 0xFC: return op_prefixed(c);
    case 0xFD: return op_simd(c);
    default: return MALFORMED("illegal opcode 0x%02x", opcode);
    }
}

/* ------------------------------------------------------------------ functions */

static void cstate_free(cstate *c) {
    free(c->local_types);
    free(c->local_slot);
    free(c->vals);
    free(c->ctrls);
    free(c->code);
    free(c->consts);
    free(c->fixups);
    free(c->frame_cells);
}

static nxw_status compile_function(const wm_module *m, uint32_t i, const bool *declared,
                                   const nxw_features *features, const void *const *H,
                                   nxw_error *err) {
    wm_func *fn = &m->funcs[i];
    const wm_functype *t = &m->types[fn->type_index];
    cstate cs;
    memset(&cs, 0, sizeof cs);
    cstate *c = &cs;
    c->m = m;
    c->err = err;
    c->base = m->bytes;
    c->p = m->bytes + fn->code_offset;
    c->end = m->bytes + fn->code_end;
    c->func_index = m->nimported_funcs + i;
    c->H = H;
    c->declared = declared;
    c->features = features;
    forget_last(c);
    uint64_t nl = (uint64_t)t->nparams + fn->nlocals;
    if (nl > WM_MAX_LOCALS) {
        fail(c, NXW_ERR_MALFORMED, "too many locals");
        return err ? err->status : NXW_ERR_MALFORMED;
    }
    c->nlocals = (uint32_t)nl;
    c->local_types = malloc(nl ? nl : 1);
    c->local_slot = malloc(sizeof(uint32_t) * (nl ? nl : 1));
    if (!c->local_types || !c->local_slot) {
        cstate_free(c);
        return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "out of memory");
    }
    if (t->nparams) memcpy(c->local_types, t->types, t->nparams);
    if (fn->nlocals) memcpy(c->local_types + t->nparams, fn->local_types, fn->nlocals);
    for (uint32_t k = 0; k < c->nlocals; k++) {
        c->local_slot[k] = c->local_slots;
        c->local_slots += slots_of(c->local_types[k]);
    }

    bool ok = push_ctrl(c, CK_FUNC, 0, NULL, t->nresults, t->types ? t->types + t->nparams : NULL);
    bool done = false;
    while (ok && !done) {
        uint8_t opcode;
        if (c->p >= c->end) {
            ok = MALFORMED("unexpected end of section or function: END opcode expected");
            break;
        }
        opcode = *c->p++;
        c->ninstr++;
        if (!c->nloops) c->entry_cost++;
        ok = compile_instr(c, opcode, &done) && !c->failed;
    }
    if (ok && c->p != c->end) ok = MALFORMED("section size mismatch: code after function end");
    if (ok && c->failed) ok = false;
    if (!ok) {
        cstate_free(c);
        return err ? err->status : NXW_ERR_INVALID;
    }
    wc_code *code = calloc(1, sizeof *code);
    if (!code) {
        cstate_free(c);
        return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "out of memory");
    }
    code->nparams = t->nparams ? c->local_slot[t->nparams - 1] + slots_of(t->types[t->nparams - 1]) : 0;
    code->nresults = 0;
    for (uint32_t k = 0; k < t->nresults; k++) code->nresults += slots_of(t->types[t->nparams + k]);
    code->nlocals = c->local_slots;
    code->entry_cost = c->entry_cost;
    code->const_base = c->local_slots + c->max_height;
    code->nconsts = c->nconsts;
    code->frame_slots = code->const_base + c->nconsts;
    if (code->frame_slots < code->nresults) code->frame_slots = code->nresults;
    for (uint32_t k = 0; k < c->nframe_cells; k++) c->code[c->frame_cells[k]].u32 = code->frame_slots;
    for (uint32_t k = 0; k < c->nfixups; k++) {
        wc_cell *cell = &c->code[c->fixups[k]];
        if (cell->u32 & CONST_FLAG) cell->u32 = code->const_base + (cell->u32 & ~CONST_FLAG);
    }
    code->consts = calloc(c->nconsts ? c->nconsts : 1, sizeof(wc_slot));
    if (!code->consts) {
        free(code);
        cstate_free(c);
        return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "out of memory");
    }
    for (uint32_t k = 0; k < c->nconsts; k++) code->consts[k].u64 = c->consts[k];
    code->cells = c->code;
    code->ncells = c->ncode;
    c->code = NULL;
    fn->code = code;
    cstate_free(c);
    return NXW_OK;
}

void wc_code_free(struct wc_code *code) {
    if (!code) return;
    free(code->cells);
    free(code->consts);
    free(code);
}

/* ------------------------------------------------------------------ module checks */

static nxw_status check_limits(const wm_limits *l, uint64_t bound, const char *what, nxw_error *err) {
    if (l->min > bound) return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "%s size must be at most %llu", what, (unsigned long long)bound);
    if (l->has_max && l->max > bound) return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "%s size must be at most %llu", what, (unsigned long long)bound);
    if (l->has_max && l->min > l->max)
        return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "size minimum must not be greater than maximum");
    return NXW_OK;
}

static nxw_status check_memory_limits(const wm_limits *l, nxw_error *err) {
    if (l->min > WM_MAX_PAGES || (l->has_max && l->max > WM_MAX_PAGES))
        return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "memory size must be at most 65536 pages (4GiB)");
    return check_limits(l, WM_MAX_PAGES, "memory", err);
}

/* Validates a constant expression of type `want`; `nglobals_visible` bounds global.get. */
static nxw_status check_const(const wm_module *m, const wm_constexpr *e, uint8_t want,
                              uint32_t nglobals_visible, nxw_error *err) {
    if (e->count != 1)
        return wm_fail(err, NXW_ERR_INVALID, e->offset, "type mismatch: constant expression must produce exactly one value at offset %zu", e->offset);
    uint8_t got;
    switch (e->op) {
    case WM_CONST_I32: got = NXW_I32; break;
    case WM_CONST_I64: got = NXW_I64; break;
    case WM_CONST_F32: got = NXW_F32; break;
    case WM_CONST_F64: got = NXW_F64; break;
    case WM_CONST_V128: got = NXW_V128; break;
    case WM_CONST_REF_NULL: got = e->reftype; break;
    case WM_CONST_REF_FUNC:
        if (e->v.index >= wm_total_funcs(m))
            return wm_fail(err, NXW_ERR_INVALID, e->offset, "unknown function %u", e->v.index);
        got = NXW_FUNCREF;
        break;
    case WM_CONST_GLOBAL_GET: {
        if (e->v.index >= wm_total_globals(m) || e->v.index >= nglobals_visible)
            return wm_fail(err, NXW_ERR_INVALID, e->offset, "unknown global %u", e->v.index);
        wm_globaltype gt = wm_global_type(m, e->v.index);
        if (gt.mutable_)
            return wm_fail(err, NXW_ERR_INVALID, e->offset, "constant expression required: global.get of a mutable global");
        got = gt.type;
        break;
    }
    default:
        return wm_fail(err, NXW_ERR_INVALID, e->offset, "constant expression required");
    }
    if (got != want)
        return wm_fail(err, NXW_ERR_INVALID, e->offset, "type mismatch: constant expression has type %s, expected %s", type_name(got), type_name(want));
    return NXW_OK;
}

static void mark_declared(const wm_constexpr *e, bool *declared, uint32_t nfuncs) {
    if (e->op == WM_CONST_REF_FUNC && e->v.index < nfuncs) declared[e->v.index] = true;
}

static nxw_status check_module(const wm_module *m, bool *declared, nxw_error *err) {
    nxw_status st;
    uint32_t nf = wm_total_funcs(m);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wm_import *im = &m->imports[i];
        if (im->kind == NXW_EXTERN_FUNC && im->desc.type_index >= m->ntypes)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown type %u", im->desc.type_index);
        if (im->kind == NXW_EXTERN_TABLE && (st = check_limits(&im->desc.table.limits, UINT32_MAX, "table", err)))
            return st;
        if (im->kind == NXW_EXTERN_MEMORY && (st = check_memory_limits(&im->desc.memory, err))) return st;
    }
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].type_index >= m->ntypes)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown type %u", m->funcs[i].type_index);
    for (uint32_t i = 0; i < m->ntables; i++)
        if ((st = check_limits(&m->tables[i].limits, UINT32_MAX, "table", err))) return st;
    if (wm_total_memories(m) > 1) return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "multiple memories");
    for (uint32_t i = 0; i < m->nmemories; i++)
        if ((st = check_memory_limits(&m->memories[i], err))) return st;
    for (uint32_t i = 0; i < m->nglobals; i++) {
        if ((st = check_const(m, &m->globals[i].init, m->globals[i].type.type,
                              m->nimported_globals, err)))
            return st;
        mark_declared(&m->globals[i].init, declared, nf);
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        uint32_t limit = ex->kind == NXW_EXTERN_FUNC ? nf
                         : ex->kind == NXW_EXTERN_TABLE ? wm_total_tables(m)
                         : ex->kind == NXW_EXTERN_MEMORY ? wm_total_memories(m)
                                                         : wm_total_globals(m);
        static const char *const kinds[] = {"function", "table", "memory", "global"};
        if (ex->index >= limit)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown %s %u", kinds[ex->kind & 3], ex->index);
        if (ex->kind == NXW_EXTERN_FUNC) declared[ex->index] = true;
        for (uint32_t j = 0; j < i; j++)
            if (m->exports[j].name.len == ex->name.len &&
                memcmp(m->exports[j].name.ptr, ex->name.ptr, ex->name.len) == 0)
                return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "duplicate export name \"%.*s\"",
                               (int)(ex->name.len > 64 ? 64 : ex->name.len), ex->name.ptr);
    }
    if (m->has_start) {
        if (m->start >= nf) return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown function %u", m->start);
        const wm_functype *t = &m->types[wm_func_type_index(m, m->start)];
        if (t->nparams || t->nresults)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "start function must have type [] -> []");
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *e = &m->elems[i];
        if (e->mode == WM_SEG_ACTIVE) {
            if (e->table >= wm_total_tables(m))
                return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown table %u", e->table);
            if (wm_table_type(m, e->table).elem != e->type)
                return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "type mismatch: element segment %u type differs from its table", i);
            if ((st = check_const(m, &e->offset, NXW_I32, m->nimported_globals, err))) return st;
        }
        for (uint32_t k = 0; k < e->count; k++) {
            if ((st = check_const(m, &e->init[k], e->type, m->nimported_globals, err))) return st;
            mark_declared(&e->init[k], declared, nf);
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode == WM_SEG_ACTIVE) {
            if (d->memory >= wm_total_memories(m))
                return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, "unknown memory %u", d->memory);
            if ((st = check_const(m, &d->offset, NXW_I32, m->nimported_globals, err))) return st;
        }
    }
    return NXW_OK;
}

nxw_status wc_compile_module(wm_module *m, const nxw_features *features, nxw_error *err) {
    nxw_status st = wc_check_features(m, features, err);
    if (st != NXW_OK) return st;
    uint32_t nf = wm_total_funcs(m);
    bool *declared = calloc(nf ? nf : 1, sizeof(bool));
    if (!declared) return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "out of memory");
    st = check_module(m, declared, err);
    const void *const *H = wi_handlers();
    for (uint32_t i = 0; st == NXW_OK && i < m->nfuncs; i++)
        st = compile_function(m, i, declared, features, H, err);
    free(declared);
    return st;
}
