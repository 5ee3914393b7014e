/*
 * aot_gen.c — the ahead-of-time compiler: translates a validated module into C source
 * that, compiled into the embedding program and attached to the same module
 * (nxw_module_attach_aot), runs its functions natively instead of in the interpreter.
 *
 * The translation is one pass over each function body, which validation has already
 * checked. The operand stack disappears into C variables named by depth and type
 * (s3i is the i32 at stack depth 3), so every instruction becomes one assignment and
 * the C compiler allocates registers; structured control becomes labels and gotos (a
 * branch first copies its label's values down to the label's depth). What the
 * interpreter guarantees, the generated code guarantees the same way, through the
 * helpers of aot_rt.h: every memory access is bounds-checked and every store marks its
 * page in the dirty map; fuel is charged at loop headers and at the entry of functions
 * that call (the same static counts as the interpreter: loop bodies, instructions
 * outside loops; a function without calls runs a bounded time outside its loops and
 * charges nothing at entry), which is also where deadlines and interrupts are noticed;
 * functions that call check the native stack and the frame count at entry; traps
 * unwind by longjmp (aot.c).
 *
 * Output: a header (prototypes, import wrappers) and `nparts` C files that together
 * define one `const nxw_aot_code SYMBOL`, whose module hash ties it to this module.
 * Not translated (the module is refused with a message naming the instruction): SIMD
 * (v128 values and instructions). Functions with several results return a struct.
 */
#include "aot_rt.h"
#include "module.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ text buffers */

typedef struct gbuf {
    char *p;
    size_t len, cap;
    bool oom;
} gbuf;

static void gb_vprintf(gbuf *b, const char *fmt, va_list ap) {
    if (b->oom) return;
    for (;;) {
        va_list aq;
        va_copy(aq, ap);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, aq);
        va_end(aq);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap - b->len <= (size_t)n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

static void gb_printf(gbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gb_printf(gbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    gb_vprintf(b, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ types */

/* C type and variable suffix of a value type. */
static const char *ctype(uint8_t t) {
    switch (t) {
    case NXW_I32: return "uint32_t";
    case NXW_I64: return "uint64_t";
    case NXW_F32: return "float";
    case NXW_F64: return "double";
    default: return "void *";
    }
}
static char tchar(uint8_t t) {
    switch (t) {
    case NXW_I32: return 'i';
    case NXW_I64: return 'j';
    case NXW_F32: return 'f';
    case NXW_F64: return 'd';
    default: return 'r';
    }
}
/* wc_slot member holding a value of type t (as the interpreter's frames do). */
static const char *slot_field(uint8_t t) {
    switch (t) {
    case NXW_I32: return "u32";
    case NXW_I64: return "u64";
    case NXW_F32: return "f32";
    case NXW_F64: return "f64";
    default: return "ref";
    }
}
static int type_index(uint8_t t) {
    switch (t) {
    case NXW_I32: return 0;
    case NXW_I64: return 1;
    case NXW_F32: return 2;
    case NXW_F64: return 3;
    default: return 4;
    }
}

/* ------------------------------------------------------------------ translation state */

typedef enum gkind { G_FUNC, G_BLOCK, G_LOOP, G_IF } gkind;

typedef struct gctrl {
    gkind kind;
    uint32_t label;     /* L<label> (end, or loop header), E<label> (else) */
    uint32_t base;      /* stack depth below the block's params */
    uint32_t np, nr;
    const uint8_t *params, *results;
    uint8_t single;     /* storage of a one-value block type */
    bool has_else;
    int32_t outer_loop; /* ctrl index of the innermost enclosing loop, or -1 */
    uint32_t cost;      /* loop: instructions of its body (fuel) */
} gctrl;

typedef struct gfn {
    const wm_module *m;
    const char *sym;
    uint32_t fidx;            /* function index (imports included) */
    const wm_functype *type;
    const uint8_t *p, *end;
    uint8_t *ltypes;          /* all locals' types, params first */
    uint32_t nltypes;
    uint8_t *stack;           /* types of the operand stack */
    uint32_t sp, cap_stack;
    uint32_t max_depth[5];    /* per type: 1 + deepest slot used */
    gctrl *ctrls;
    uint32_t nctrls, cap_ctrls;
    bool dead;                /* the rest of the current block is unreachable */
    uint32_t dead_nest;       /* blocks opened inside unreachable code */
    uint32_t nlabels;
    int32_t loop;             /* innermost open loop (ctrl index) or -1 */
    uint32_t entry_cost;      /* instructions outside loops */
    bool calls;               /* makes calls (needs the native stack check) */
    uint32_t *globals;        /* globals the function uses (each gets a local pointer) */
    uint32_t nglobals, cap_globals;
    gbuf body;
    gbuf costs;               /* enum of loop costs */
    nxw_error *err;
    bool failed;
} gfn;

static bool gfail(gfn *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool gfail(gfn *g, const char *fmt, ...) {
    if (g->failed) return false;
    g->failed = true;
    if (g->err) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        wm_fail(g->err, NXW_ERR_INVALID, (size_t)(g->p - g->m->bytes),
                "ahead-of-time compiler: %s in function %u", msg, g->fidx);
    }
    return false;
}

#define EMIT(...) gb_printf(&g->body, __VA_ARGS__)

static bool grow_array(void **arr, uint32_t *cap, uint32_t need, size_t elem) {
    if (need <= *cap) return true;
    uint32_t n = *cap ? *cap * 2 : 64;
    while (n < need) n *= 2;
    void *p = realloc(*arr, (size_t)n * elem);
    if (!p) return false;
    *arr = p;
    *cap = n;
    return true;
}

/* --- reading (the module is valid: encodings are trusted, bounds still checked) */

static uint64_t rd_uleb(gfn *g) {
    uint64_t v = 0;
    unsigned shift = 0;
    while (g->p < g->end) {
        uint8_t b = *g->p++;
        if (shift < 64) v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) return v;
    }
    gfail(g, "unexpected end of code");
    return 0;
}
static int64_t rd_sleb(gfn *g) {
    int64_t v = 0;
    unsigned shift = 0;
    uint8_t b = 0;
    while (g->p < g->end) {
        b = *g->p++;
        if (shift < 64) v |= (int64_t)((uint64_t)(b & 0x7F) << shift);
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= (int64_t)(~(uint64_t)0 << shift);
            return v;
        }
    }
    gfail(g, "unexpected end of code");
    return 0;
}
static uint32_t rd_u32(gfn *g) { return (uint32_t)rd_uleb(g); }
static uint64_t rd_fixed(gfn *g, unsigned n) {
    uint64_t v = 0;
    if ((size_t)(g->end - g->p) < n) {
        gfail(g, "unexpected end of code");
        return 0;
    }
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)g->p[i] << (8 * i);
    g->p += n;
    return v;
}

/* --- the operand stack */

static uint32_t push(gfn *g, uint8_t t) {
    if (!grow_array((void **)&g->stack, &g->cap_stack, g->sp + 1, 1)) {
        gfail(g, "out of memory");
        return 0;
    }
    uint32_t d = g->sp;
    g->stack[g->sp++] = t;
    int k = type_index(t);
    if (d + 1 > g->max_depth[k]) g->max_depth[k] = d + 1;
    return d;
}
static uint32_t pop(gfn *g) {
    if (g->sp == 0) {
        gfail(g, "operand stack underflow");
        return 0;
    }
    return --g->sp;
}
/* The variable of the value at depth d. */
typedef struct vname {
    char s[32];
} vname;
static vname V(const gfn *g, uint32_t d) {
    vname v;
    snprintf(v.s, sizeof v.s, "s%u%c", d, tchar(d < g->cap_stack ? g->stack[d] : NXW_I32));
    return v;
}

/* --- control */

static gctrl *push_ctrl(gfn *g, gkind kind) {
    if (!grow_array((void **)&g->ctrls, &g->cap_ctrls, g->nctrls + 1, sizeof(gctrl))) {
        gfail(g, "out of memory");
        return NULL;
    }
    gctrl *c = &g->ctrls[g->nctrls++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->label = g->nlabels++;
    c->outer_loop = g->loop;
    return c;
}

/* Reads a block type into c (params and results). */
static void read_blocktype(gfn *g, gctrl *c) {
    if (g->p >= g->end) {
        gfail(g, "unexpected end of code");
        return;
    }
    uint8_t b = *g->p;
    if (b == 0x40) {
        g->p++;
        return;
    }
    if (b == NXW_I32 || b == NXW_I64 || b == NXW_F32 || b == NXW_F64 || b == NXW_FUNCREF ||
        b == NXW_EXTERNREF || b == NXW_V128) {
        g->p++;
        if (b == NXW_V128) {
            gfail(g, "SIMD (v128) is not supported");
            return;
        }
        c->single = b;
        c->nr = 1;
        c->results = &c->single;
        return;
    }
    int64_t idx = rd_sleb(g);
    if (idx < 0 || (uint64_t)idx >= g->m->ntypes) {
        gfail(g, "bad block type");
        return;
    }
    const wm_functype *t = &g->m->types[idx];
    c->np = t->nparams;
    c->params = t->types;
    c->nr = t->nresults;
    c->results = t->types ? t->types + t->nparams : NULL;
}

/* Arity and types of a branch to ctrl c. */
static uint32_t label_arity(const gctrl *c, const uint8_t **types) {
    if (c->kind == G_LOOP) {
        *types = c->params;
        return c->np;
    }
    *types = c->results;
    return c->nr;
}

/* Copies the top n values down to depth `base` (ascending order is overlap-safe). */
static void emit_moves(gfn *g, uint32_t base, uint32_t n) {
    uint32_t from = g->sp - n;
    if (from == base) return;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t t = g->stack[from + i];
        int k = type_index(t);
        if (base + i + 1 > g->max_depth[k]) g->max_depth[k] = base + i + 1;
        EMIT("s%u%c = s%u%c; ", base + i, tchar(t), from + i, tchar(t));
    }
}

/* The C type of the results of function type t: void, a scalar, or for several results
 * a struct named by their types (nxa_res_ij: an i32 then an i64; fields v0, v1, ...),
 * declared by the header (declare_result_structs). */
typedef struct rtype {
    char s[80];
} rtype;
static rtype result_ctype(const wm_functype *t) {
    rtype r;
    if (t->nresults == 0) snprintf(r.s, sizeof r.s, "void");
    else if (t->nresults == 1) snprintf(r.s, sizeof r.s, "%s", ctype(t->types[t->nparams]));
    else {
        size_t at = (size_t)snprintf(r.s, sizeof r.s, "nxa_res_");
        for (uint32_t i = 0; i < t->nresults && at + 1 < sizeof r.s; i++)
            r.s[at++] = tchar(t->types[t->nparams + i]);
        r.s[at] = 0;
    }
    return r;
}

/* Emits the return of the function's results from the top of the stack. */
static void emit_return(gfn *g) {
    uint32_t n = g->type->nresults;
    if (n == 0) EMIT("return;\n");
    else if (n == 1) EMIT("return %s;\n", V(g, g->sp - 1).s);
    else {
        EMIT("return (%s){", result_ctype(g->type).s);
        for (uint32_t i = 0; i < n; i++) EMIT("%s%s", i ? ", " : "", V(g, g->sp - n + i).s);
        EMIT("};\n");
    }
}

/* Emits a branch to relative label depth `rel` (values on top of the stack). */
static void emit_branch(gfn *g, uint32_t rel) {
    if (rel >= g->nctrls) {
        gfail(g, "bad branch depth");
        return;
    }
    gctrl *c = &g->ctrls[g->nctrls - 1 - rel];
    if (c->kind == G_FUNC) {
        emit_return(g);
        return;
    }
    const uint8_t *types;
    uint32_t n = label_arity(c, &types);
    emit_moves(g, c->base, n);
    EMIT("goto L%u;\n", c->label);
}

static void set_dead(gfn *g) {
    g->dead = true;
    g->dead_nest = 0;
    g->sp = g->ctrls[g->nctrls - 1].base;
}

/* Restores the stack at the start of ctrl c's body (its params). */
static void reset_to_params(gfn *g, const gctrl *c) {
    g->sp = c->base;
    for (uint32_t i = 0; i < c->np; i++) push(g, c->params[i]);
}

/* ------------------------------------------------------------------ instruction tables */

/* A numeric instruction: operand and result types and a C expression with %1$s (first
 * operand) and %2$s (second). */
typedef struct gnum {
    uint8_t in1, in2, out; /* in2 == 0 for unary operations */
    const char *expr;
} gnum;

#define I NXW_I32
#define J NXW_I64
#define F NXW_F32
#define D NXW_F64
static const gnum num_ops[0xC5] = {
    [0x45] = {I, 0, I, "(uint32_t)(%1$s == 0)"},
    [0x46] = {I, I, I, "(uint32_t)(%1$s == %2$s)"},
    [0x47] = {I, I, I, "(uint32_t)(%1$s != %2$s)"},
    [0x48] = {I, I, I, "(uint32_t)((int32_t)%1$s < (int32_t)%2$s)"},
    [0x49] = {I, I, I, "(uint32_t)(%1$s < %2$s)"},
    [0x4A] = {I, I, I, "(uint32_t)((int32_t)%1$s > (int32_t)%2$s)"},
    [0x4B] = {I, I, I, "(uint32_t)(%1$s > %2$s)"},
    [0x4C] = {I, I, I, "(uint32_t)((int32_t)%1$s <= (int32_t)%2$s)"},
    [0x4D] = {I, I, I, "(uint32_t)(%1$s <= %2$s)"},
    [0x4E] = {I, I, I, "(uint32_t)((int32_t)%1$s >= (int32_t)%2$s)"},
    [0x4F] = {I, I, I, "(uint32_t)(%1$s >= %2$s)"},
    [0x50] = {J, 0, I, "(uint32_t)(%1$s == 0)"},
    [0x51] = {J, J, I, "(uint32_t)(%1$s == %2$s)"},
    [0x52] = {J, J, I, "(uint32_t)(%1$s != %2$s)"},
    [0x53] = {J, J, I, "(uint32_t)((int64_t)%1$s < (int64_t)%2$s)"},
    [0x54] = {J, J, I, "(uint32_t)(%1$s < %2$s)"},
    [0x55] = {J, J, I, "(uint32_t)((int64_t)%1$s > (int64_t)%2$s)"},
    [0x56] = {J, J, I, "(uint32_t)(%1$s > %2$s)"},
    [0x57] = {J, J, I, "(uint32_t)((int64_t)%1$s <= (int64_t)%2$s)"},
    [0x58] = {J, J, I, "(uint32_t)(%1$s <= %2$s)"},
    [0x59] = {J, J, I, "(uint32_t)((int64_t)%1$s >= (int64_t)%2$s)"},
    [0x5A] = {J, J, I, "(uint32_t)(%1$s >= %2$s)"},
    [0x5B] = {F, F, I, "(uint32_t)(%1$s == %2$s)"},
    [0x5C] = {F, F, I, "(uint32_t)(%1$s != %2$s)"},
    [0x5D] = {F, F, I, "(uint32_t)(%1$s < %2$s)"},
    [0x5E] = {F, F, I, "(uint32_t)(%1$s > %2$s)"},
    [0x5F] = {F, F, I, "(uint32_t)(%1$s <= %2$s)"},
    [0x60] = {F, F, I, "(uint32_t)(%1$s >= %2$s)"},
    [0x61] = {D, D, I, "(uint32_t)(%1$s == %2$s)"},
    [0x62] = {D, D, I, "(uint32_t)(%1$s != %2$s)"},
    [0x63] = {D, D, I, "(uint32_t)(%1$s < %2$s)"},
    [0x64] = {D, D, I, "(uint32_t)(%1$s > %2$s)"},
    [0x65] = {D, D, I, "(uint32_t)(%1$s <= %2$s)"},
    [0x66] = {D, D, I, "(uint32_t)(%1$s >= %2$s)"},
    [0x67] = {I, 0, I, "nxa_clz32(%1$s)"},
    [0x68] = {I, 0, I, "nxa_ctz32(%1$s)"},
    [0x69] = {I, 0, I, "(uint32_t)__builtin_popcount(%1$s)"},
    [0x6A] = {I, I, I, "%1$s + %2$s"},
    [0x6B] = {I, I, I, "%1$s - %2$s"},
    [0x6C] = {I, I, I, "%1$s * %2$s"},
    [0x6D] = {I, I, I, "nxa_div_s32(c, %1$s, %2$s, FI)"},
    [0x6E] = {I, I, I, "nxa_div_u32(c, %1$s, %2$s, FI)"},
    [0x6F] = {I, I, I, "nxa_rem_s32(c, %1$s, %2$s, FI)"},
    [0x70] = {I, I, I, "nxa_rem_u32(c, %1$s, %2$s, FI)"},
    [0x71] = {I, I, I, "%1$s & %2$s"},
    [0x72] = {I, I, I, "%1$s | %2$s"},
    [0x73] = {I, I, I, "%1$s ^ %2$s"},
    [0x74] = {I, I, I, "%1$s << (%2$s & 31)"},
    [0x75] = {I, I, I, "(uint32_t)((int32_t)%1$s >> (%2$s & 31))"},
    [0x76] = {I, I, I, "%1$s >> (%2$s & 31)"},
    [0x77] = {I, I, I, "rotl32(%1$s, %2$s)"},
    [0x78] = {I, I, I, "rotr32(%1$s, %2$s)"},
    [0x79] = {J, 0, J, "nxa_clz64(%1$s)"},
    [0x7A] = {J, 0, J, "nxa_ctz64(%1$s)"},
    [0x7B] = {J, 0, J, "(uint64_t)__builtin_popcountll(%1$s)"},
    [0x7C] = {J, J, J, "%1$s + %2$s"},
    [0x7D] = {J, J, J, "%1$s - %2$s"},
    [0x7E] = {J, J, J, "%1$s * %2$s"},
    [0x7F] = {J, J, J, "nxa_div_s64(c, %1$s, %2$s, FI)"},
    [0x80] = {J, J, J, "nxa_div_u64(c, %1$s, %2$s, FI)"},
    [0x81] = {J, J, J, "nxa_rem_s64(c, %1$s, %2$s, FI)"},
    [0x82] = {J, J, J, "nxa_rem_u64(c, %1$s, %2$s, FI)"},
    [0x83] = {J, J, J, "%1$s & %2$s"},
    [0x84] = {J, J, J, "%1$s | %2$s"},
    [0x85] = {J, J, J, "%1$s ^ %2$s"},
    [0x86] = {J, J, J, "%1$s << (%2$s & 63)"},
    [0x87] = {J, J, J, "(uint64_t)((int64_t)%1$s >> (%2$s & 63))"},
    [0x88] = {J, J, J, "%1$s >> (%2$s & 63)"},
    [0x89] = {J, J, J, "rotl64(%1$s, %2$s)"},
    [0x8A] = {J, J, J, "rotr64(%1$s, %2$s)"},
    [0x8B] = {F, 0, F, "nxa_f32_abs(%1$s)"},
    [0x8C] = {F, 0, F, "nxa_f32_neg(%1$s)"},
    [0x8D] = {F, 0, F, "nxa_f32_ceil(%1$s)"},
    [0x8E] = {F, 0, F, "nxa_f32_floor(%1$s)"},
    [0x8F] = {F, 0, F, "nxa_f32_trunc(%1$s)"},
    [0x90] = {F, 0, F, "nxa_f32_nearest(%1$s)"},
    [0x91] = {F, 0, F, "sqrtf(%1$s)"},
    [0x92] = {F, F, F, "%1$s + %2$s"},
    [0x93] = {F, F, F, "%1$s - %2$s"},
    [0x94] = {F, F, F, "%1$s * %2$s"},
    [0x95] = {F, F, F, "%1$s / %2$s"},
    [0x96] = {F, F, F, "f32_min(%1$s, %2$s)"},
    [0x97] = {F, F, F, "f32_max(%1$s, %2$s)"},
    [0x98] = {F, F, F, "nxa_f32_copysign(%1$s, %2$s)"},
    [0x99] = {D, 0, D, "nxa_f64_abs(%1$s)"},
    [0x9A] = {D, 0, D, "nxa_f64_neg(%1$s)"},
    [0x9B] = {D, 0, D, "nxa_f64_ceil(%1$s)"},
    [0x9C] = {D, 0, D, "nxa_f64_floor(%1$s)"},
    [0x9D] = {D, 0, D, "nxa_f64_trunc(%1$s)"},
    [0x9E] = {D, 0, D, "nxa_f64_nearest(%1$s)"},
    [0x9F] = {D, 0, D, "sqrt(%1$s)"},
    [0xA0] = {D, D, D, "%1$s + %2$s"},
    [0xA1] = {D, D, D, "%1$s - %2$s"},
    [0xA2] = {D, D, D, "%1$s * %2$s"},
    [0xA3] = {D, D, D, "%1$s / %2$s"},
    [0xA4] = {D, D, D, "f64_min(%1$s, %2$s)"},
    [0xA5] = {D, D, D, "f64_max(%1$s, %2$s)"},
    [0xA6] = {D, D, D, "nxa_f64_copysign(%1$s, %2$s)"},
    [0xA7] = {J, 0, I, "(uint32_t)%1$s"},
    [0xA8] = {F, 0, I, "(uint32_t)NXA_TRUNC(int32_t, %1$s, -2147483904.0f, 2147483648.0f)"},
    [0xA9] = {F, 0, I, "NXA_TRUNC(uint32_t, %1$s, -1.0f, 4294967296.0f)"},
    [0xAA] = {D, 0, I, "(uint32_t)NXA_TRUNC(int32_t, %1$s, -2147483649.0, 2147483648.0)"},
    [0xAB] = {D, 0, I, "NXA_TRUNC(uint32_t, %1$s, -1.0, 4294967296.0)"},
    [0xAC] = {I, 0, J, "(uint64_t)(int64_t)(int32_t)%1$s"},
    [0xAD] = {I, 0, J, "(uint64_t)%1$s"},
    [0xAE] = {F, 0, J, "(uint64_t)NXA_TRUNC(int64_t, %1$s, -9223373136366403584.0f, 9223372036854775808.0f)"},
    [0xAF] = {F, 0, J, "NXA_TRUNC(uint64_t, %1$s, -1.0f, 18446744073709551616.0f)"},
    [0xB0] = {D, 0, J, "(uint64_t)NXA_TRUNC(int64_t, %1$s, -9223372036854777856.0, 9223372036854775808.0)"},
    [0xB1] = {D, 0, J, "NXA_TRUNC(uint64_t, %1$s, -1.0, 18446744073709551616.0)"},
    [0xB2] = {I, 0, F, "(float)(int32_t)%1$s"},
    [0xB3] = {I, 0, F, "(float)%1$s"},
    [0xB4] = {J, 0, F, "(float)(int64_t)%1$s"},
    [0xB5] = {J, 0, F, "(float)%1$s"},
    [0xB6] = {D, 0, F, "nxa_f32_demote(%1$s)"},
    [0xB7] = {I, 0, D, "(double)(int32_t)%1$s"},
    [0xB8] = {I, 0, D, "(double)%1$s"},
    [0xB9] = {J, 0, D, "(double)(int64_t)%1$s"},
    [0xBA] = {J, 0, D, "(double)%1$s"},
    [0xBB] = {F, 0, D, "(double)%1$s"},
    [0xBC] = {F, 0, I, "nxa_f32_bits(%1$s)"},
    [0xBD] = {D, 0, J, "nxa_f64_bits(%1$s)"},
    [0xBE] = {I, 0, F, "nxa_f32_of(%1$s)"},
    [0xBF] = {J, 0, D, "nxa_f64_of(%1$s)"},
    [0xC0] = {I, 0, I, "(uint32_t)(int32_t)(int8_t)%1$s"},
    [0xC1] = {I, 0, I, "(uint32_t)(int32_t)(int16_t)%1$s"},
    [0xC2] = {J, 0, J, "(uint64_t)(int64_t)(int8_t)%1$s"},
    [0xC3] = {J, 0, J, "(uint64_t)(int64_t)(int16_t)%1$s"},
    [0xC4] = {J, 0, J, "(uint64_t)(int64_t)(int32_t)%1$s"},
};

/* 0xFC 0..7: saturating truncations. */
static const gnum sat_ops[8] = {
    {F, 0, I, "(uint32_t)sat_i32((double)%1$s)"}, {F, 0, I, "sat_u32((double)%1$s)"},
    {D, 0, I, "(uint32_t)sat_i32(%1$s)"},         {D, 0, I, "sat_u32(%1$s)"},
    {F, 0, J, "(uint64_t)sat_i64((double)%1$s)"}, {F, 0, J, "sat_u64((double)%1$s)"},
    {D, 0, J, "(uint64_t)sat_i64(%1$s)"},         {D, 0, J, "sat_u64(%1$s)"},
};

/* Loads 0x28..0x35 and stores 0x36..0x3E: the value type, the C type in memory and
 * the conversion of a loaded value. */
typedef struct gmem {
    uint8_t type;
    const char *mtype;
    const char *conv;
} gmem;
static const gmem mem_ops[0x3F] = {
    [0x28] = {I, "uint32_t", ""},
    [0x29] = {J, "uint64_t", ""},
    [0x2A] = {F, "float", ""},
    [0x2B] = {D, "double", ""},
    [0x2C] = {I, "int8_t", "(uint32_t)(int32_t)"},
    [0x2D] = {I, "uint8_t", "(uint32_t)"},
    [0x2E] = {I, "int16_t", "(uint32_t)(int32_t)"},
    [0x2F] = {I, "uint16_t", "(uint32_t)"},
    [0x30] = {J, "int8_t", "(uint64_t)(int64_t)"},
    [0x31] = {J, "uint8_t", "(uint64_t)"},
    [0x32] = {J, "int16_t", "(uint64_t)(int64_t)"},
    [0x33] = {J, "uint16_t", "(uint64_t)"},
    [0x34] = {J, "int32_t", "(uint64_t)(int64_t)"},
    [0x35] = {J, "uint32_t", "(uint64_t)"},
    [0x36] = {I, "uint32_t", ""},
    [0x37] = {J, "uint64_t", ""},
    [0x38] = {F, "float", ""},
    [0x39] = {D, "double", ""},
    [0x3A] = {I, "uint8_t", ""},
    [0x3B] = {I, "uint16_t", ""},
    [0x3C] = {J, "uint8_t", ""},
    [0x3D] = {J, "uint16_t", ""},
    [0x3E] = {J, "uint32_t", ""},
};
#undef I
#undef J
#undef F
#undef D

static void emit_num(gfn *g, const gnum *op) {
    vname a, b;
    if (op->in2) {
        b = V(g, pop(g));
        a = V(g, pop(g));
    } else {
        a = V(g, pop(g));
        b = a;
    }
    uint32_t d = push(g, op->out);
    EMIT("%s = ", V(g, d).s);
    /* the expression names its operands positionally */
    char expr[256];
    snprintf(expr, sizeof expr, op->expr, a.s, b.s);
    EMIT("%s;\n", expr);
}

/* ------------------------------------------------------------------ calls */

static bool type_supported(const wm_functype *t);

/* Emits the arguments of a call of type t (popped) as ", a, b" into buf. */
static void call_args(gfn *g, const wm_functype *t, char *buf, size_t size) {
    size_t at = 0;
    buf[0] = 0;
    uint32_t first = g->sp - t->nparams;
    for (uint32_t i = 0; i < t->nparams && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, ", %s", V(g, first + i).s);
    g->sp = first;
}

/* Emits a call expression of type t (its arguments already popped) and pushes its
 * results: assigned directly when there is one, through a struct when there are several. */
static void emit_call(gfn *g, const wm_functype *t, const char *call) {
    if (t->nresults == 0) {
        EMIT("%s;\n", call);
    } else if (t->nresults == 1) {
        uint32_t d = push(g, t->types[t->nparams]);
        EMIT("%s = %s;\n", V(g, d).s, call);
    } else {
        EMIT("{ %s r_ = %s;", result_ctype(t).s, call);
        for (uint32_t i = 0; i < t->nresults; i++) {
            uint32_t d = push(g, t->types[t->nparams + i]);
            EMIT(" %s = r_.v%u;", V(g, d).s, i);
        }
        EMIT(" }\n");
    }
    EMIT("NXA_AFTER_CALL();\n"); /* never a tail call: recursion must grow the stack */
    if (wm_total_memories(g->m)) EMIT("MS = c->memory->size;\n");
}

static void op_call(gfn *g) {
    uint32_t f = rd_u32(g);
    const wm_module *m = g->m;
    if (f >= wm_total_funcs(m)) {
        gfail(g, "bad function index");
        return;
    }
    const wm_functype *t = &m->types[wm_func_type_index(m, f)];
    char args[4096];
    if (t->nparams * 16 >= sizeof args) {
        gfail(g, "too many call arguments");
        return;
    }
    call_args(g, t, args, sizeof args);
    g->calls = true;
    char call[4200];
    snprintf(call, sizeof call, "nxa_%s_%c%u(c%s)", g->sym, f < m->nimported_funcs ? 'i' : 'f', f, args);
    emit_call(g, t, call);
}

static void op_call_indirect(gfn *g) {
    uint32_t ty = rd_u32(g), table = rd_u32(g);
    const wm_module *m = g->m;
    if (ty >= m->ntypes || table >= wm_total_tables(m)) {
        gfail(g, "bad call_indirect immediate");
        return;
    }
    const wm_functype *t = &m->types[ty];
    if (!type_supported(t)) {
        gfail(g, "call_indirect of a type with v128");
        return;
    }
    vname idx = V(g, pop(g));
    char args[4096];
    if (t->nparams * 16 >= sizeof args) {
        gfail(g, "too many call arguments");
        return;
    }
    call_args(g, t, args, sizeof args);
    g->calls = true;
    char call[4300];
    snprintf(call, sizeof call, "((nxa_%s_t%u)nxa_indirect(c, %u, %s, %u, FI))(c%s)", g->sym, ty,
             table, idx.s, ty, args);
    emit_call(g, t, call);
}

/* ------------------------------------------------------------------ one instruction */

/* Skips the immediates of `op` (code after an unconditional branch is not translated). */
static void skip_immediates(gfn *g, uint32_t op) {
    switch (op) {
    case 0x02: case 0x03: case 0x04: {
        gctrl tmp;
        memset(&tmp, 0, sizeof tmp);
        read_blocktype(g, &tmp);
        break;
    }
    case 0x0C: case 0x0D: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xD2: rd_u32(g); break;
    case 0x0E: {
        uint32_t n = rd_u32(g);
        for (uint64_t i = 0; i <= n && !g->failed; i++) rd_u32(g);
        break;
    }
    case 0x11: rd_u32(g); rd_u32(g); break;
    case 0x1C: {
        uint32_t n = rd_u32(g);
        rd_fixed(g, n);
        break;
    }
    case 0x3F: case 0x40: rd_u32(g); break;
    case 0x41: rd_sleb(g); break;
    case 0x42: rd_sleb(g); break;
    case 0x43: rd_fixed(g, 4); break;
    case 0x44: rd_fixed(g, 8); break;
    case 0xD0: rd_fixed(g, 1); break;
    default:
        if (op >= 0x28 && op <= 0x3E) {
            rd_u32(g);
            rd_u32(g);
        } else if (op >= 0xFC00) {
            switch (op & 0xFF) {
            case 8: rd_u32(g); rd_u32(g); break;
            case 9: case 13: case 15: case 16: case 17: rd_u32(g); break;
            case 10: case 12: case 14: rd_u32(g); rd_u32(g); break;
            case 11: rd_u32(g); break;
            default: break;
            }
        }
        break;
    }
}

static void op_block(gfn *g, gkind kind) {
    vname cond = {{0}};
    if (kind == G_IF) cond = V(g, pop(g));
    gctrl *c = push_ctrl(g, kind);
    if (!c) return;
    read_blocktype(g, c);
    if (g->sp < c->np) {
        gfail(g, "operand stack underflow");
        return;
    }
    c->base = g->sp - c->np;
    if (kind == G_LOOP) {
        g->loop = (int32_t)(g->nctrls - 1);
        EMIT("L%u:;\nNXA_CHARGE(K%u);\n", c->label, c->label);
    } else if (kind == G_IF) {
        EMIT("if (!%s) goto E%u;\n", cond.s, c->label);
    }
}

static void op_else(gfn *g) {
    gctrl *c = &g->ctrls[g->nctrls - 1];
    if (!g->dead) {
        emit_moves(g, c->base, c->nr);
        EMIT("goto L%u;\n", c->label);
    }
    EMIT("E%u:;\n", c->label);
    c->has_else = true;
    g->dead = false;
    reset_to_params(g, c);
}

/* `end`; true when it closed the function body. */
static bool op_end(gfn *g) {
    gctrl *c = &g->ctrls[g->nctrls - 1];
    if (c->kind == G_FUNC) {
        if (!g->dead) emit_return(g);
        g->nctrls--;
        return true;
    }
    if (!g->dead) emit_moves(g, c->base, c->nr);
    if (c->kind == G_IF && !c->has_else) EMIT("E%u:;\n", c->label);
    if (c->kind == G_LOOP) {
        gb_printf(&g->costs, "K%u = %u, ", c->label, c->cost ? c->cost : 1);
        g->loop = c->outer_loop;
    } else {
        EMIT("L%u:;\n", c->label);
    }
    g->sp = c->base;
    for (uint32_t i = 0; i < c->nr; i++) push(g, c->results[i]);
    g->dead = false;
    g->nctrls--;
    return false;
}

static void op_br_table(gfn *g) {
    uint32_t n = rd_u32(g);
    if ((size_t)n + 1 > (size_t)(g->end - g->p)) {
        gfail(g, "bad br_table");
        return;
    }
    vname idx = V(g, pop(g));
    EMIT("switch (%s) {\n", idx.s);
    for (uint32_t i = 0; i <= n && !g->failed; i++) {
        uint32_t rel = rd_u32(g);
        if (i < n) EMIT("case %u: ", i);
        else EMIT("default: ");
        emit_branch(g, rel);
    }
    EMIT("}\n");
    set_dead(g);
}

static void op_memory(gfn *g, uint32_t op) {
    rd_u32(g); /* alignment: a hint */
    uint32_t off = rd_u32(g);
    const gmem *mo = &mem_ops[op];
    if (op <= 0x35) {
        vname a = V(g, pop(g));
        uint32_t d = push(g, mo->type);
        EMIT("%s = %sNXA_LOAD(%s, %s, %uu);\n", V(g, d).s, mo->conv, mo->mtype, a.s, off);
    } else {
        vname v = V(g, pop(g));
        vname a = V(g, pop(g));
        EMIT("NXA_STORE(%s, %s, %uu, %s);\n", mo->mtype, a.s, off, v.s);
    }
}

static void op_prefixed(gfn *g, uint32_t sub) {
    if (sub < 8) {
        emit_num(g, &sat_ops[sub]);
        return;
    }
    vname a, b, n;
    switch (sub) {
    case 8: { /* memory.init */
        uint32_t seg = rd_u32(g);
        rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_memory_init(c, %u, %s, %s, %s, FI);\n", seg, a.s, b.s, n.s);
        return;
    }
    case 9: EMIT("nxa_data_drop(c, %u);\n", rd_u32(g)); return;
    case 10: /* memory.copy */
        rd_u32(g), rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_memory_copy(c, %s, %s, %s, FI);\n", a.s, b.s, n.s);
        return;
    case 11: /* memory.fill */
        rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_memory_fill(c, %s, %s, %s, FI);\n", a.s, b.s, n.s);
        return;
    case 12: { /* table.init */
        uint32_t seg = rd_u32(g), table = rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_table_init(c, %u, %u, %s, %s, %s, FI);\n", table, seg, a.s, b.s, n.s);
        return;
    }
    case 13: EMIT("nxa_elem_drop(c, %u);\n", rd_u32(g)); return;
    case 14: { /* table.copy */
        uint32_t dst = rd_u32(g), src = rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_table_copy(c, %u, %u, %s, %s, %s, FI);\n", dst, src, a.s, b.s, n.s);
        return;
    }
    case 15: { /* table.grow */
        uint32_t t = rd_u32(g);
        n = V(g, pop(g)), a = V(g, pop(g));
        uint32_t d = push(g, NXW_I32);
        EMIT("%s = nxa_table_grow(c, %u, %s, %s);\n", V(g, d).s, t, a.s, n.s);
        return;
    }
    case 16: { /* table.size */
        uint32_t t = rd_u32(g);
        uint32_t d = push(g, NXW_I32);
        EMIT("%s = c->tables[%u]->size;\n", V(g, d).s, t);
        return;
    }
    case 17: { /* table.fill */
        uint32_t t = rd_u32(g);
        n = V(g, pop(g)), b = V(g, pop(g)), a = V(g, pop(g));
        EMIT("nxa_table_fill(c, %u, %s, %s, %s, FI);\n", t, a.s, b.s, n.s);
        return;
    }
    default: gfail(g, "unsupported instruction 0xFC %u", sub); return;
    }
}

/* Records that the function uses global x: its value's address is loaded once, at entry,
 * into a local G<x> (the C compiler could not keep it across stores to memory). */
static void use_global(gfn *g, uint32_t x) {
    for (uint32_t i = 0; i < g->nglobals; i++)
        if (g->globals[i] == x) return;
    if (!grow_array((void **)&g->globals, &g->cap_globals, g->nglobals + 1, sizeof(uint32_t))) {
        gfail(g, "out of memory");
        return;
    }
    g->globals[g->nglobals++] = x;
}

static void op_simple(gfn *g, uint32_t op) {
    vname a, b, cnd;
    uint32_t d, x;
    switch (op) {
    case 0x00:
        EMIT("nxa_trap(c, NXW_TRAP_UNREACHABLE, FI);\n");
        set_dead(g);
        return;
    case 0x01: return;
    case 0x0C: emit_branch(g, rd_u32(g)); set_dead(g); return;
    case 0x0D:
        x = rd_u32(g);
        cnd = V(g, pop(g));
        EMIT("if (%s) { ", cnd.s);
        emit_branch(g, x);
        EMIT("}\n");
        return;
    case 0x0F: emit_return(g); set_dead(g); return;
    case 0x1A: pop(g); return;
    case 0x1B: case 0x1C:
        if (op == 0x1C) {
            uint32_t n = rd_u32(g);
            rd_fixed(g, n);
        }
        cnd = V(g, pop(g));
        b = V(g, pop(g));
        a = V(g, pop(g));
        d = push(g, g->stack[g->sp]); /* the type of a, whose depth the result takes */
        EMIT("%s = %s ? %s : %s;\n", V(g, d).s, cnd.s, a.s, b.s);
        return;
    case 0x20:
        x = rd_u32(g);
        if (x >= g->nltypes) break;
        d = push(g, g->ltypes[x]);
        EMIT("%s = l%u;\n", V(g, d).s, x);
        return;
    case 0x21: case 0x22:
        x = rd_u32(g);
        if (x >= g->nltypes || !g->sp) break;
        EMIT("l%u = %s;\n", x, V(g, g->sp - 1).s);
        if (op == 0x21) pop(g);
        return;
    case 0x23: {
        x = rd_u32(g);
        if (x >= wm_total_globals(g->m)) break;
        wm_globaltype gt = wm_global_type(g->m, x);
        if (gt.type == NXW_V128) { /* a v128 is no C scalar (its slot is 16 bytes) */
            gfail(g, "SIMD (v128) globals are not supported");
            return;
        }
        d = push(g, gt.type);
        use_global(g, x);
        EMIT("%s = G%u->%s;\n", V(g, d).s, x, slot_field(gt.type));
        return;
    }
    case 0x24: {
        x = rd_u32(g);
        if (x >= wm_total_globals(g->m)) break;
        wm_globaltype gt = wm_global_type(g->m, x);
        if (gt.type == NXW_V128) { /* a v128 is no C scalar (its slot is 16 bytes) */
            gfail(g, "SIMD (v128) globals are not supported");
            return;
        }
        a = V(g, pop(g));
        use_global(g, x);
        EMIT("G%u->%s = %s;\n", x, slot_field(gt.type), a.s);
        return;
    }
    case 0x25: /* table.get */
        x = rd_u32(g);
        a = V(g, pop(g));
        d = push(g, wm_table_type(g->m, x).elem);
        EMIT("%s = nxa_table_get(c, %u, %s, FI);\n", V(g, d).s, x, a.s);
        return;
    case 0x26: /* table.set */
        x = rd_u32(g);
        b = V(g, pop(g));
        a = V(g, pop(g));
        EMIT("nxa_table_set(c, %u, %s, %s, FI);\n", x, a.s, b.s);
        return;
    case 0x3F:
        rd_u32(g);
        d = push(g, NXW_I32);
        EMIT("%s = (uint32_t)(MS >> 16);\n", V(g, d).s);
        return;
    case 0x40:
        rd_u32(g);
        a = V(g, pop(g));
        d = push(g, NXW_I32);
        EMIT("%s = nxa_memory_grow(c, %s);\nMS = c->memory->size;\n", V(g, d).s, a.s);
        return;
    case 0x41:
        d = push(g, NXW_I32);
        EMIT("%s = 0x%" PRIx32 "u;\n", V(g, d).s, (uint32_t)(int32_t)rd_sleb(g));
        return;
    case 0x42:
        d = push(g, NXW_I64);
        EMIT("%s = UINT64_C(0x%" PRIx64 ");\n", V(g, d).s, (uint64_t)rd_sleb(g));
        return;
    case 0x43:
        d = push(g, NXW_F32);
        EMIT("%s = nxa_f32_of(0x%" PRIx32 "u);\n", V(g, d).s, (uint32_t)rd_fixed(g, 4));
        return;
    case 0x44:
        d = push(g, NXW_F64);
        EMIT("%s = nxa_f64_of(UINT64_C(0x%" PRIx64 "));\n", V(g, d).s, rd_fixed(g, 8));
        return;
    case 0xD0: {
        uint8_t t = (uint8_t)rd_fixed(g, 1);
        d = push(g, t);
        EMIT("%s = NULL;\n", V(g, d).s);
        return;
    }
    case 0xD1:
        a = V(g, pop(g));
        d = push(g, NXW_I32);
        EMIT("%s = (uint32_t)(%s == NULL);\n", V(g, d).s, a.s);
        return;
    case 0xD2:
        x = rd_u32(g);
        d = push(g, NXW_FUNCREF);
        EMIT("%s = c->inst->funcs[%u];\n", V(g, d).s, x);
        return;
    default:
        if (op >= 0x28 && op <= 0x3E) {
            op_memory(g, op);
            return;
        }
        if (op < sizeof num_ops / sizeof num_ops[0] && num_ops[op].expr) {
            emit_num(g, &num_ops[op]);
            return;
        }
        break;
    }
    gfail(g, "unsupported instruction 0x%X", op);
}

/* Translates one instruction; *done when it was the body's final `end`. */
static void translate_one(gfn *g, bool *done) {
    uint32_t op = *g->p++;
    if (op == 0xFC) op = 0xFC00 | (rd_u32(g) & 0xFF);
    else if (op == 0xFD) {
        gfail(g, "SIMD instructions are not supported");
        return;
    }
    /* fuel: every instruction counts once, in its innermost loop or at entry */
    if (g->loop >= 0) g->ctrls[g->loop].cost++;
    else g->entry_cost++;
    if (g->dead) {
        switch (op) {
        case 0x02: case 0x03: case 0x04:
            skip_immediates(g, op);
            g->dead_nest++;
            return;
        case 0x05:
            if (g->dead_nest) return;
            op_else(g);
            return;
        case 0x0B:
            if (g->dead_nest) {
                g->dead_nest--;
                return;
            }
            *done = op_end(g);
            return;
        default: skip_immediates(g, op); return;
        }
    }
    switch (op) {
    case 0x02: op_block(g, G_BLOCK); return;
    case 0x03: op_block(g, G_LOOP); return;
    case 0x04: op_block(g, G_IF); return;
    case 0x05: op_else(g); return;
    case 0x0B: *done = op_end(g); return;
    case 0x0E: op_br_table(g); return;
    case 0x10: op_call(g); return;
    case 0x11: op_call_indirect(g); return;
    default:
        if (op >= 0xFC00) op_prefixed(g, op & 0xFF);
        else op_simple(g, op);
        return;
    }
}

/* ------------------------------------------------------------------ functions */

/* "uint32_t NAME(nxa_ctx *c, uint32_t l0, ...)" for function type t. */
static void signature(gbuf *b, const wm_functype *t, const char *name) {
    gb_printf(b, "%s %s(nxa_ctx *c", result_ctype(t).s, name);
    for (uint32_t i = 0; i < t->nparams; i++) gb_printf(b, ", %s l%u", ctype(t->types[i]), i);
    gb_printf(b, ")");
}

static bool type_supported(const wm_functype *t) {
    for (uint32_t i = 0; i < t->nparams + t->nresults; i++)
        if (t->types[i] == NXW_V128) return false;
    return true;
}

/* Translates defined function i into out. */
static bool translate_func(const wm_module *m, const char *sym, uint32_t i, gbuf *out,
                           nxw_error *err) {
    const wm_func *fn = &m->funcs[i];
    gfn g;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.sym = sym;
    g.err = err;
    g.fidx = m->nimported_funcs + i;
    g.type = &m->types[fn->type_index];
    g.p = m->bytes + fn->code_offset;
    g.end = m->bytes + fn->code_end;
    g.loop = -1;
    bool ok = false;
    if (!type_supported(g.type)) {
        gfail(&g, "v128 in the function type is not supported");
        goto done;
    }
    g.nltypes = g.type->nparams + fn->nlocals;
    g.ltypes = malloc(g.nltypes ? g.nltypes : 1);
    if (!g.ltypes) {
        gfail(&g, "out of memory");
        goto done;
    }
    if (g.type->nparams) memcpy(g.ltypes, g.type->types, g.type->nparams);
    for (uint32_t k = 0; k < fn->nlocals; k++) {
        g.ltypes[g.type->nparams + k] = fn->local_types[k];
        if (fn->local_types[k] == NXW_V128) {
            gfail(&g, "v128 locals are not supported");
            goto done;
        }
    }
    gctrl *top = push_ctrl(&g, G_FUNC);
    if (!top) goto done;
    top->nr = g.type->nresults;
    top->results = g.type->types ? g.type->types + g.type->nparams : NULL;
    bool finished = false;
    while (!finished && !g.failed && g.p < g.end) translate_one(&g, &finished);
    if (!finished && !g.failed) gfail(&g, "function body does not end");
    if (g.failed || g.body.oom || g.costs.oom) {
        if (!g.failed) gfail(&g, "out of memory");
        goto done;
    }

    char name[96];
    snprintf(name, sizeof name, "nxa_%s_f%u", sym, g.fidx);
    gb_printf(out, "#define FI %uu\n", g.fidx);
    signature(out, g.type, name);
    gb_printf(out, " {\n");
    if (g.costs.len) gb_printf(out, "enum { %.*s};\n", (int)g.costs.len, g.costs.p);
    for (uint32_t k = g.type->nparams; k < g.nltypes; k++)
        gb_printf(out, "%s l%u = 0;\n", ctype(g.ltypes[k]), k);
    static const uint8_t kinds[5] = {NXW_I32, NXW_I64, NXW_F32, NXW_F64, NXW_FUNCREF};
    for (int k = 0; k < 5; k++) {
        if (!g.max_depth[k]) continue;
        gb_printf(out, "%s", ctype(kinds[k]));
        for (uint32_t d = 0; d < g.max_depth[k]; d++)
            gb_printf(out, "%s%s s%u%c", d ? "," : "", d && k == 4 ? " *" : "", d,
                      tchar(kinds[k])); /* "void * s0r, * s1r": each a pointer */
        gb_printf(out, ";\n");
    }
    for (uint32_t k = 0; k < g.nglobals; k++)
        gb_printf(out, "wc_slot *const G%u = c->g[%u];\n", g.globals[k], g.globals[k]);
    if (wm_total_memories(m)) gb_printf(out, "NXA_MEMORY_LOCALS;\n");
    if (g.calls) gb_printf(out, "NXA_ENTER(%u);\n", g.entry_cost ? g.entry_cost : 1);
    gb_printf(out, g.calls ? "NXA_FRAME();\n" : "NXA_LEAF_FRAME();\n"); /* max_call_depth */
    gb_printf(out, "%.*s}\n#undef FI\n\n", (int)g.body.len, g.body.p);
    ok = !out->oom;
    if (!ok) gfail(&g, "out of memory");
done:
    free(g.ltypes);
    free(g.stack);
    free(g.ctrls);
    free(g.body.p);
    free(g.costs.p);
    free(g.globals);
    return ok;
}

/* ------------------------------------------------------------------ the module */

uint64_t nxa_module_hash(const uint8_t *bytes, size_t len) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ bytes[i]) * 0x100000001b3u;
    return h;
}

static bool write_all(FILE *f, const gbuf *b) {
    return fwrite(b->p ? b->p : "", 1, b->len, f) == b->len && fflush(f) == 0 && !ferror(f);
}

/* "return ...;" of the results of a call of type t, read from slots v[0..nresults). */
static void results_from_slots(gbuf *b, const wm_functype *t) {
    if (t->nresults == 1) gb_printf(b, "    return v[0].%s;\n", slot_field(t->types[t->nparams]));
    if (t->nresults < 2) return;
    gb_printf(b, "    return (%s){", result_ctype(t).s);
    for (uint32_t i = 0; i < t->nresults; i++)
        gb_printf(b, "%sv[%u].%s", i ? ", " : "", i, slot_field(t->types[t->nparams + i]));
    gb_printf(b, "};\n");
}

/* Typedefs of function pointer types, prototypes, import wrappers. */
static void gen_header(const wm_module *m, const char *sym, gbuf *h) {
    /* wasm quiets a signaling NaN in every arithmetic operation: the C compiler must not
     * fold x*1, x/1, x/-1, x-0, -0-x or x+-0 into x or -x (it does at -O1 and above) */
    gb_printf(h, "/* Generated by the Nexus ahead-of-time compiler (aot_gen.c). Do not edit. */\n"
                 "#if defined(__clang__)\n#pragma clang fp exceptions(maytrap)\n"
                 "#elif defined(__GNUC__)\n#pragma GCC optimize(\"signaling-nans\")\n#endif\n"
                 "#include \"aot_rt.h\"\n\n");
    char name[96];
    /* result structs (guarded: several generated headers may share a translation unit) */
    for (uint32_t t = 0; t < m->ntypes; t++) {
        const wm_functype *ft = &m->types[t];
        if (!type_supported(ft) || ft->nresults < 2) continue;
        rtype r = result_ctype(ft);
        gb_printf(h, "#ifndef NXA_DEFINED_%s\n#define NXA_DEFINED_%s\ntypedef struct {", r.s, r.s);
        for (uint32_t i = 0; i < ft->nresults; i++)
            gb_printf(h, " %s v%u;", ctype(ft->types[ft->nparams + i]), i);
        gb_printf(h, " } %s;\n#endif\n", r.s);
    }
    for (uint32_t t = 0; t < m->ntypes; t++) {
        if (!type_supported(&m->types[t])) continue;
        snprintf(name, sizeof name, "(*nxa_%s_t%u)", sym, t);
        gb_printf(h, "typedef ");
        signature(h, &m->types[t], name);
        gb_printf(h, ";\n");
    }
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        snprintf(name, sizeof name, "nxa_%s_f%u", sym, m->nimported_funcs + i);
        gb_printf(h, "NXA_HIDDEN ");
        signature(h, &m->types[m->funcs[i].type_index], name);
        gb_printf(h, ";\n");
    }
    /* imports: the arguments go through slots, as the interpreter passes them */
    for (uint32_t f = 0; f < m->nimported_funcs; f++) {
        const wm_functype *t = &m->types[wm_func_type_index(m, f)];
        uint32_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
        snprintf(name, sizeof name, "nxa_%s_i%u", sym, f);
        gb_printf(h, "static inline ");
        signature(h, t, name);
        gb_printf(h, " {\n    wc_slot v[%u];\n", n ? n : 1);
        for (uint32_t i = 0; i < t->nparams; i++)
            gb_printf(h, "    v[%u].u64 = 0; v[%u].%s = l%u;\n", i, i, slot_field(t->types[i]), i);
        gb_printf(h, "    nxa_call_func(c, c->inst->funcs[%u], v);\n", f);
        results_from_slots(h, t);
        gb_printf(h, "}\n");
    }
}

/* Entry wrappers of exported functions, foreign-call trampolines, the descriptor. */
static void gen_tables(const wm_module *m, const char *sym, gbuf *b) {
    bool *exported = calloc(m->nfuncs ? m->nfuncs : 1, 1);
    bool *indirect = calloc(m->ntypes ? m->ntypes : 1, 1);
    if (!exported || !indirect) {
        b->oom = true;
        free(exported);
        free(indirect);
        return;
    }
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == NXW_EXTERN_FUNC && m->exports[i].index >= m->nimported_funcs)
            exported[m->exports[i].index - m->nimported_funcs] = true;
    if (m->has_start && m->start >= m->nimported_funcs) exported[m->start - m->nimported_funcs] = true;
    for (uint32_t t = 0; t < m->ntypes; t++) indirect[t] = type_supported(&m->types[t]);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (!exported[i]) continue;
        uint32_t f = m->nimported_funcs + i;
        const wm_functype *t = &m->types[m->funcs[i].type_index];
        gb_printf(b, "static void nxa_%s_e%u(nxa_ctx *c, wc_slot *fp) {\n    ", sym, f);
        if (t->nresults) gb_printf(b, "%s r = ", result_ctype(t).s);
        gb_printf(b, "nxa_%s_f%u(c", sym, f);
        for (uint32_t k = 0; k < t->nparams; k++) gb_printf(b, ", fp[%u].%s", k, slot_field(t->types[k]));
        gb_printf(b, ");\n");
        if (t->nresults == 1)
            gb_printf(b, "    fp[0].u64 = 0;\n    fp[0].%s = r;\n", slot_field(t->types[t->nparams]));
        for (uint32_t k = 0; t->nresults > 1 && k < t->nresults; k++)
            gb_printf(b, "    fp[%u].u64 = 0;\n    fp[%u].%s = r.v%u;\n", k, k,
                      slot_field(t->types[t->nparams + k]), k);
        if (!t->nresults) gb_printf(b, "    (void)fp;\n");
        gb_printf(b, "}\n");
    }
    char name[96];
    for (uint32_t ty = 0; ty < m->ntypes; ty++) {
        if (!indirect[ty]) continue;
        const wm_functype *t = &m->types[ty];
        uint32_t n = t->nparams > t->nresults ? t->nparams : t->nresults;
        snprintf(name, sizeof name, "nxa_%s_x%u", sym, ty);
        gb_printf(b, "static ");
        signature(b, t, name);
        gb_printf(b, " {\n    wc_slot v[%u];\n", n ? n : 1);
        for (uint32_t i = 0; i < t->nparams; i++)
            gb_printf(b, "    v[%u].u64 = 0; v[%u].%s = l%u;\n", i, i, slot_field(t->types[i]), i);
        gb_printf(b, "    nxa_call_func(c, c->foreign, v);\n");
        results_from_slots(b, t);
        gb_printf(b, "}\n");
    }
    gb_printf(b, "static const nxa_fn nxa_%s_natives[] = {\n", sym);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        gb_printf(b, "    (nxa_fn)nxa_%s_f%u,\n", sym, m->nimported_funcs + i);
    gb_printf(b, "    NULL};\nstatic const nxa_entry nxa_%s_entries[] = {\n", sym);
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        if (exported[i]) gb_printf(b, "    nxa_%s_e%u,\n", sym, m->nimported_funcs + i);
        else gb_printf(b, "    NULL,\n");
    }
    gb_printf(b, "    NULL};\nstatic const nxa_fn nxa_%s_trampolines[] = {\n", sym);
    for (uint32_t ty = 0; ty < m->ntypes; ty++) {
        if (indirect[ty]) gb_printf(b, "    (nxa_fn)nxa_%s_x%u,\n", sym, ty);
        else gb_printf(b, "    NULL,\n");
    }
    gb_printf(b, "    NULL};\n");
    gb_printf(b,
              "const nxw_aot_code %s = {\n    .abi = NXA_ABI_VERSION,\n"
              "    .module_len = %zu,\n    .module_hash = UINT64_C(0x%" PRIx64 "),\n"
              "    .nfuncs = %u,\n    .ntypes = %u,\n    .natives = nxa_%s_natives,\n"
              "    .entries = nxa_%s_entries,\n    .trampolines = nxa_%s_trampolines,\n};\n",
              sym, m->len, nxa_module_hash(m->bytes, m->len), m->nfuncs, m->ntypes, sym, sym, sym);
    free(exported);
    free(indirect);
}

nxw_status nxw_aot_generate(const nxw_module *module, const char *symbol, const char *header_name,
                            FILE *header, FILE **parts, unsigned nparts, nxw_error *err) {
    const wm_module *m = &module->m;
    if (!symbol || !*symbol || strlen(symbol) > 40 || !header || !parts || !nparts || !header_name)
        return wm_fail(err, NXW_ERR_ARGUMENT, SIZE_MAX, "aot: bad arguments");
    for (const char *s = symbol; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return wm_fail(err, NXW_ERR_ARGUMENT, SIZE_MAX, "aot: symbol '%s' is not a C identifier", symbol);
    for (uint32_t f = 0; f < m->nimported_funcs; f++)
        if (!type_supported(&m->types[wm_func_type_index(m, f)]))
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX,
                           "ahead-of-time compiler: import %u has a v128 in its type", f);
    gbuf h = {0};
    gen_header(m, symbol, &h);
    bool ok = !h.oom && write_all(header, &h);
    free(h.p);
    if (!ok) return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "aot: cannot write the header");
    /* functions go to parts in order, each part about an equal share of the code bytes */
    size_t total = 0;
    for (uint32_t i = 0; i < m->nfuncs; i++) total += m->funcs[i].code_end - m->funcs[i].code_offset;
    uint32_t i = 0;
    size_t done_bytes = 0;
    for (unsigned part = 0; part < nparts; part++) {
        gbuf b = {0};
        gb_printf(&b, "/* Generated by the Nexus ahead-of-time compiler (aot_gen.c). Do not edit. */\n"
                      "#include \"%s\"\n\n", header_name);
        size_t share = total / nparts * (part + 1);
        while (i < m->nfuncs && (part == nparts - 1 || done_bytes < share)) {
            if (!translate_func(m, symbol, i, &b, err)) {
                free(b.p);
                return err ? err->status : NXW_ERR_INVALID;
            }
            done_bytes += m->funcs[i].code_end - m->funcs[i].code_offset;
            i++;
        }
        if (part == 0) gen_tables(m, symbol, &b);
        ok = !b.oom && write_all(parts[part], &b);
        free(b.p);
        if (!ok) return wm_fail(err, NXW_ERR_NOMEM, SIZE_MAX, "aot: cannot write part %u", part);
    }
    return NXW_OK;
}
