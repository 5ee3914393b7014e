/*
 * guest.c — the exported side of the QuickJS guest (nexus_guest_abi.h): creation of the
 * QuickJS runtime with memory and stack limits derived from the instance's limits,
 * compilation of handler sources into code blobs, execution of a handler as the body of
 * an async function with its per-run context, and the error reports (message, stack,
 * line/column in the handler's own source, snippet), and QuickJS's allocator (size
 * classes counted against the heap limit) with its garbage-collection pacing. The
 * handler API itself is in api.c, the value encoding in codec.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

#define NXG_EXPORT(name) __attribute__((export_name(name)))

nxg_guest nxg_g;

/* Handler sources are compiled as `PREFIX source SUFFIX`: the prefix shares the first
 * line with the handler, so line numbers need no adjustment (only line-1 columns do). A
 * source that never mentions `await` becomes a plain function: an async function that
 * never awaits behaves the same (nxg_run adopts a returned promise or thenable and runs
 * the pending jobs either way) but costs a promise and its resolving functions per run. */
static const char wrap_async[] = "(async function handler() {";
static const char wrap_sync[] = "(function handler() {";
static const char wrap_suffix[] = "\n})";

/* Linear-memory layout symbols defined by wasm-ld. */
extern char __stack_low, __stack_high, __heap_base;

/* C stack kept free below QuickJS's own limit, for C code that does not check it. */
#define NXG_C_STACK_MARGIN (96u * 1024u)
/* Part of the memory limit kept out of the QuickJS heap, for the shim's buffers and the
 * handling of the out-of-memory error itself. */
#define NXG_HEAP_RESERVE_MIN (256u * 1024u)

/* Automatic GC step: the heap limit divided by this, or NXG_GC_STEP_NO_LIMIT bytes
 * without a limit (see nxg_init). */
#define NXG_GC_STEP_DIV 8u
#define NXG_GC_STEP_NO_LIMIT (8u * 1024u * 1024u)

/* ---------------------------------------------------------------- allocator */

/* The QuickJS allocator, counted against the heap limit. A refusal (limit or linear
 * memory exhausted) sets nxg_g.oom for the current call.
 *
 * QuickJS makes tens of thousands of small allocations per execution (objects, shapes,
 * property arrays, atoms, strings), and wasi-libc's dlmalloc plus a malloc_usable_size
 * per call was a fifth of the guest's time. Small blocks therefore come from segregated
 * size classes: every block starts with an 8-byte header holding its size, blocks of one
 * class are kept on a LIFO free list when freed, and new blocks are carved from 64 KiB
 * chunks obtained from malloc. Freed small blocks are reused only for their own class and
 * chunks are never given back (an execution is short and the instance is reset to its
 * snapshot afterwards). Blocks above NXG_SMALL_MAX bytes are malloc'd with the same
 * header. Payloads are 8-byte aligned, which covers every type QuickJS keeps in the
 * heap (JSValue is 8 bytes under NaN boxing, doubles, int64). The heap limit counts live
 * blocks (header included) as before. */

/* Header in front of every block: the payload's usable size in bytes. */
typedef struct nxg_blk {
    uint32_t size;
    uint32_t pad; /* keeps payloads 8-byte aligned */
} nxg_blk;

#define NXG_GRAIN 8u                      /* block sizes are multiples of this */
#define NXG_SMALL_MAX 1024u               /* largest payload served by a size class */
#define NXG_CLASSES ((NXG_SMALL_MAX + sizeof(nxg_blk)) / NXG_GRAIN + 1)
#define NXG_CHUNK (64u * 1024u)           /* bytes taken from malloc per refill */
/* Charged per large block on top of its size (header and malloc's own overhead). */
#define NXG_LARGE_OVERHEAD 16u

/* A free small block: the free list's link lives in its payload. */
typedef struct nxg_free_blk {
    nxg_blk hdr;
    struct nxg_free_blk *next;
} nxg_free_blk;

/* State of the small-block allocator (part of the snapshot like all guest memory). */
static struct {
    nxg_free_blk *free[NXG_CLASSES]; /* free lists, indexed by block size / NXG_GRAIN */
    uint8_t *bump;                   /* next unused byte of the current chunk */
    uint8_t *bump_end;               /* end of the current chunk */
} nxg_heap;

/* Block size (header included) of the class serving payloads of `size` bytes. */
static inline size_t small_block_size(size_t size)
{
    size_t b = (size + sizeof(nxg_blk) + NXG_GRAIN - 1) & ~(size_t)(NXG_GRAIN - 1);
    return b < 2 * NXG_GRAIN ? 2 * NXG_GRAIN : b; /* room for the free-list link */
}

/* Takes a block of `bsize` bytes (a multiple of NXG_GRAIN, at most the largest class)
 * from its free list or the current chunk; NULL when malloc cannot give a new chunk. */
static nxg_blk *small_take(size_t bsize)
{
    nxg_free_blk *f = nxg_heap.free[bsize / NXG_GRAIN];
    if (f) {
        nxg_heap.free[bsize / NXG_GRAIN] = f->next;
        return &f->hdr;
    }
    if ((size_t)(nxg_heap.bump_end - nxg_heap.bump) < bsize) {
        uint8_t *chunk = malloc(NXG_CHUNK);
        if (!chunk)
            return NULL;
        /* the old chunk's tail becomes a free block of its own size */
        size_t rest = (size_t)(nxg_heap.bump_end - nxg_heap.bump);
        if (rest >= 2 * NXG_GRAIN) {
            nxg_free_blk *t = (nxg_free_blk *)(void *)nxg_heap.bump;
            t->hdr.size = (uint32_t)(rest - sizeof(nxg_blk));
            t->next = nxg_heap.free[rest / NXG_GRAIN];
            nxg_heap.free[rest / NXG_GRAIN] = t;
        }
        nxg_heap.bump = chunk;
        nxg_heap.bump_end = chunk + NXG_CHUNK;
    }
    nxg_blk *b = (nxg_blk *)(void *)nxg_heap.bump;
    nxg_heap.bump += bsize;
    b->size = (uint32_t)(bsize - sizeof(nxg_blk));
    return b;
}

/* Bytes charged to the heap limit for a block of usable size `usable`. */
static inline size_t charged(size_t usable)
{
    return usable <= NXG_SMALL_MAX ? usable + sizeof(nxg_blk)
                                   : usable + sizeof(nxg_blk) + NXG_LARGE_OVERHEAD;
}

static void *nxg_js_malloc(JSMallocState *s, size_t size)
{
    nxg_blk *b;
    if (size <= NXG_SMALL_MAX) {
        size_t bsize = small_block_size(size);
        if (s->malloc_size + bsize > s->malloc_limit)
            goto refused;
        b = small_take(bsize);
        if (!b)
            goto refused;
        s->malloc_size += bsize;
    } else {
        if (size > UINT32_MAX - 64 || s->malloc_size + charged(size) > s->malloc_limit)
            goto refused;
        b = malloc(sizeof(nxg_blk) + size);
        if (!b)
            goto refused;
        b->size = (uint32_t)size;
        s->malloc_size += charged(size);
    }
    s->malloc_count++;
    return b + 1;
refused:
    nxg_g.oom = true;
    return NULL;
}

static void nxg_js_free(JSMallocState *s, void *p)
{
    if (!p)
        return;
    nxg_blk *b = (nxg_blk *)p - 1;
    size_t usable = b->size;
    s->malloc_count--;
    s->malloc_size -= charged(usable);
    if (usable <= NXG_SMALL_MAX) {
        size_t cls = (usable + sizeof(nxg_blk)) / NXG_GRAIN;
        nxg_free_blk *f = (nxg_free_blk *)(void *)b;
        f->next = nxg_heap.free[cls];
        nxg_heap.free[cls] = f;
    } else {
        free(b);
    }
}

static void *nxg_js_realloc(JSMallocState *s, void *p, size_t size)
{
    if (!p)
        return size ? nxg_js_malloc(s, size) : NULL;
    if (size == 0) {
        nxg_js_free(s, p);
        return NULL;
    }
    nxg_blk *b = (nxg_blk *)p - 1;
    size_t old = b->size;
    if (old <= NXG_SMALL_MAX || size <= NXG_SMALL_MAX) {
        /* a small block keeps its place while the size fits and is not far smaller */
        if (size <= old && (old <= NXG_SMALL_MAX ? size > old / 2 : size > NXG_SMALL_MAX))
            return p;
        void *q = nxg_js_malloc(s, size);
        if (!q)
            return NULL;
        memcpy(q, p, old < size ? old : size);
        nxg_js_free(s, p);
        return q;
    }
    /* large to large: the C library's realloc */
    if (size > UINT32_MAX - 64 ||
        (size > old && s->malloc_size + charged(size) - charged(old) > s->malloc_limit)) {
        nxg_g.oom = true;
        return NULL;
    }
    nxg_blk *nb = realloc(b, sizeof(nxg_blk) + size);
    if (!nb) {
        nxg_g.oom = true;
        return NULL;
    }
    nb->size = (uint32_t)size;
    s->malloc_size = s->malloc_size - charged(old) + charged(size);
    return nb + 1;
}

static size_t nxg_js_usable_size(const void *p)
{
    return p ? ((const nxg_blk *)p - 1)->size : 0;
}

static const JSMallocFunctions nxg_malloc_funcs = {
    nxg_js_malloc, nxg_js_free, nxg_js_realloc, nxg_js_usable_size,
};

/* ---------------------------------------------------------------- output */

static void output_reset(void)
{
    nxg_g.output.len = 0;
    nxg_g.output.failed = false;
}

NXG_EXPORT(NXG_EXPORT_OUTPUT_PTR) uint32_t nxg_output_ptr(void)
{
    return (uint32_t)(uintptr_t)nxg_g.output.data;
}

NXG_EXPORT(NXG_EXPORT_OUTPUT_LEN) uint32_t nxg_output_len(void)
{
    return (uint32_t)nxg_g.output.len;
}

NXG_EXPORT(NXG_EXPORT_ALLOC) uint32_t nxg_alloc(uint32_t size)
{
    return (uint32_t)(uintptr_t)malloc(size ? size : 1);
}

NXG_EXPORT(NXG_EXPORT_FREE) void nxg_free(uint32_t ptr)
{
    free((void *)(uintptr_t)ptr);
}

/* ---------------------------------------------------------------- error reports */

/* A located error: what the error map carries besides name/message/stack/code. */
typedef struct nxg_where {
    int line;   /* 1-based, 0 = unknown */
    int column; /* 1-based, UTF-16 units, 0 = unknown */
} nxg_where;

/* Start and length of line `line` (1-based) of src; false when there is no such line. */
static bool source_line(const char *src, size_t len, int line, const char **start,
                        size_t *line_len)
{
    const char *p = src, *end = src + len;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return false;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *start = p;
    *line_len = (size_t)((nl ? nl : end) - p);
    if (*line_len && p[*line_len - 1] == '\r')
        (*line_len)--;
    return true;
}

static int line_count(const char *src, size_t len)
{
    int n = 1;
    for (size_t i = 0; i < len; i++)
        n += src[i] == '\n';
    return n;
}

/* Column (UTF-16 units, 1-based) just after `n` bytes of UTF-8 text. */
static int utf16_column(const char *text, size_t n)
{
    int col = 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)text[i];
        if ((c & 0xc0) != 0x80)
            col += c >= 0xf0 ? 2 : 1;
    }
    return col;
}

/* Writes a str entry `key: value` of a map. */
static void map_str(nxg_buf *out, const char *key, const char *s, size_t len)
{
    nxg_mp_str(out, key, strlen(key));
    nxg_mp_str(out, s, len);
}

/* A string property of an object as UTF-8 (caller frees with JS_FreeCString), or NULL. */
static const char *string_prop(JSContext *ctx, JSValueConst obj, const char *name, size_t *len)
{
    if (!JS_IsObject(obj))
        return NULL;
    JSValue v = JS_GetPropertyStr(ctx, obj, name);
    const char *s = NULL;
    if (JS_IsString(v))
        s = JS_ToCStringLen(ctx, len, v);
    else if (JS_IsException(v))
        JS_FreeValue(ctx, JS_GetException(ctx));
    JS_FreeValue(ctx, v);
    return s;
}

/* The innermost handler frame of a QuickJS stack trace: "(handler.js:LINE)". */
static int stack_line(const char *stack)
{
    static const char tag[] = "(" NXG_HANDLER_FILENAME ":";
    const char *p = stack ? strstr(stack, tag) : NULL;
    return p ? atoi(p + sizeof(tag) - 1) : 0;
}

/* Writes the error map for exception `exc` (consumed) into the output. `prefix` is put
 * before the message (may be ""). Compile errors are located by the parser's line/column;
 * runtime errors by the innermost handler frame of the stack. */
static void write_error(JSContext *ctx, JSValue exc, const char *src, size_t src_len,
                        bool compile, const char *prefix, size_t wrap_len)
{
    nxg_buf *out = &nxg_g.output;
    size_t name_len = 0, msg_len = 0, stack_len = 0, code_len = 0;
    const char *name = string_prop(ctx, exc, "name", &name_len);
    const char *msg = string_prop(ctx, exc, "message", &msg_len);
    const char *stack = string_prop(ctx, exc, "stack", &stack_len);
    const char *code = string_prop(ctx, exc, "code", &code_len);
    const char *text = NULL; /* String(exc) for thrown non-errors */
    if (!msg && !JS_IsObject(exc)) {
        text = JS_ToCStringLen(ctx, &msg_len, exc);
        if (!text)
            JS_FreeValue(ctx, JS_GetException(ctx));
    }

    nxg_where at = {0, 0};
    bool eof = false; /* a syntax error found in the wrapper's closing lines */
    if (compile && JS_IsObject(exc)) {
        JSValue l = JS_GetPropertyStr(ctx, exc, "lineNumber");
        JSValue c = JS_GetPropertyStr(ctx, exc, "columnNumber");
        int32_t li = 0, co = 0;
        if (JS_IsNumber(l) && JS_IsNumber(c)) {
            JS_ToInt32(ctx, &li, l);
            JS_ToInt32(ctx, &co, c);
        }
        JS_FreeValue(ctx, l);
        JS_FreeValue(ctx, c);
        at.line = li;
        at.column = co;
        if (at.line == 1)
            at.column -= (int)wrap_len;
        int lines = line_count(src, src_len);
        if (at.line > lines) { /* in the wrapper's suffix: the source ended too early */
            const char *s;
            size_t n;
            at.line = lines;
            at.column = source_line(src, src_len, lines, &s, &n) ? utf16_column(s, n) : 1;
            eof = true;
        }
        if (at.line >= 1 && at.column < 1)
            at.column = 1;
    } else if (!compile) {
        /* QuickJS may attribute the last statement to the wrapper's closing line */
        at.line = stack_line(stack);
        int lines = line_count(src, src_len);
        if (at.line > lines)
            at.line = lines;
    }
    const char *snip = NULL;
    size_t snip_len = 0;
    if (at.line > 0 && source_line(src, src_len, at.line, &snip, &snip_len)) {
        if (!compile) { /* first non-blank character */
            size_t i = 0;
            while (i < snip_len && (snip[i] == ' ' || snip[i] == '\t'))
                i++;
            at.column = utf16_column(snip, i);
        }
        if (snip_len > 200) { /* cut at a character boundary */
            snip_len = 200;
            while (snip_len && ((uint8_t)snip[snip_len] & 0xc0) == 0x80)
                snip_len--;
        }
    } else {
        at.line = at.column = 0;
    }

    nxg_mp_map_header(out, code ? 7 : 6);
    if (name)
        map_str(out, "name", name, name_len);
    else
        map_str(out, "name", "Error", 5);
    nxg_buf message = {0};
    nxg_buf_put(&message, prefix, strlen(prefix));
    if (eof)
        nxg_buf_put(&message, "unexpected end of input", 23);
    else if (msg)
        nxg_buf_put(&message, msg, msg_len);
    else if (text)
        nxg_buf_put(&message, text, msg_len);
    else
        nxg_buf_put(&message, "uncaught exception", 18);
    map_str(out, "message", message.failed ? "" : (const char *)message.data, message.len);
    nxg_buf_free(&message);
    map_str(out, "stack", stack ? stack : "", stack ? stack_len : 0);
    nxg_mp_str(out, "line", 4);
    nxg_mp_int(out, at.line);
    nxg_mp_str(out, "column", 6);
    nxg_mp_int(out, at.column);
    map_str(out, "snippet", snip ? snip : "", snip_len);
    if (code)
        map_str(out, "code", code, code_len);

    JS_FreeCString(ctx, name);
    JS_FreeCString(ctx, msg);
    JS_FreeCString(ctx, stack);
    JS_FreeCString(ctx, code);
    JS_FreeCString(ctx, text);
    JS_FreeValue(ctx, exc);
}

/* Writes an error map without a JavaScript exception. */
static void write_plain_error(const char *name, const char *message)
{
    nxg_buf *out = &nxg_g.output;
    output_reset();
    nxg_mp_map_header(out, 6);
    map_str(out, "name", name, strlen(name));
    map_str(out, "message", message, strlen(message));
    map_str(out, "stack", "", 0);
    nxg_mp_str(out, "line", 4);
    nxg_mp_int(out, 0);
    nxg_mp_str(out, "column", 6);
    nxg_mp_int(out, 0);
    map_str(out, "snippet", "", 0);
}

/* The memory-limit outcome (whatever the handler did with the error). */
static int32_t memory_limit_outcome(JSContext *ctx)
{
    JS_FreeValue(ctx, JS_GetException(ctx));
    char msg[160];
    snprintf(msg, sizeof(msg), "out of memory: the handler exceeded its memory limit "
             "(QuickJS heap limit %zu bytes)", nxg_g.heap_limit);
    write_plain_error("InternalError", msg);
    return NXG_ERR_MEMORY_LIMIT;
}

/* ---------------------------------------------------------------- init */

/* import() of any module fails with this. */
static JSModuleDef *nxg_no_modules(JSContext *ctx, const char *module_name, void *opaque)
{
    (void)opaque;
    JS_ThrowTypeError(ctx, "import() is not available in Nexus handlers (module \"%s\")",
                      module_name);
    return NULL;
}

static void add_intrinsics(JSContext *ctx)
{
    JS_AddIntrinsicBaseObjects(ctx);
    JS_AddIntrinsicDate(ctx);
    JS_AddIntrinsicStringNormalize(ctx);
    JS_AddIntrinsicRegExp(ctx);
    JS_AddIntrinsicJSON(ctx);
    JS_AddIntrinsicProxy(ctx);
    JS_AddIntrinsicMapSet(ctx);
    JS_AddIntrinsicTypedArrays(ctx);
    JS_AddIntrinsicPromise(ctx);
    JS_AddIntrinsicBigInt(ctx);
}

JSValue nxg_eval_in(JSContext *ctx, const char *source)
{
    JSValue fn = JS_Eval(nxg_g.compile_ctx, source, strlen(source), "<nexus>",
                         JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    if (JS_IsException(fn))
        return JS_Throw(ctx, JS_GetException(nxg_g.compile_ctx));
    size_t len;
    uint8_t *bc = JS_WriteObject(nxg_g.compile_ctx, &len, fn, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(nxg_g.compile_ctx, fn);
    if (!bc)
        return JS_Throw(ctx, JS_GetException(nxg_g.compile_ctx));
    JSValue obj = JS_ReadObject(ctx, bc, len, JS_READ_OBJ_BYTECODE);
    js_free(nxg_g.compile_ctx, bc);
    if (JS_IsException(obj))
        return obj;
    return JS_EvalFunction(ctx, obj);
}

/* NXG_RUN_STACK_RATIO / NXG_COMPILE_STACK_RATIO (nexus_guest_abi.h): engine stack bytes
 * consumed per byte of guest C stack, measured by bisecting the smallest engine stack
 * that still lets QuickJS report its own "stack overflow" (tests/guest/README.md). Running
 * handlers: 6 to 16 over 30 recursion shapes (plain calls, getters, proxies,
 * toString/valueOf/toJSON, call/apply/bind, callbacks of map/sort/replace/reduce,
 * generators, JSON.parse, JSON.stringify, RegExp); compiling: up to 42 (deeply nested
 * expressions such as "!!!...!1"). QuickJS only watches its C stack, so each of its two
 * limits is the engine's stack budget divided by a ratio with a margin above the worst
 * case. */
/* The engine's stack when the store does not set one (nxw_limits.stack_bytes = 0). */
#define NXG_ENGINE_DEFAULT_STACK (1024u * 1024u)

NXG_EXPORT(NXG_EXPORT_INIT) int32_t nxg_init(uint32_t memory_limit, uint32_t stack_limit)
{
    if (nxg_g.rt || (size_t)(&__stack_high - &__stack_low) != NXG_STACK_SIZE)
        return NXG_ERR_INTERNAL; /* repeated, or linked with another stack size */
    nxg_g.extensions = JS_UNDEFINED;
    JSRuntime *rt = JS_NewRuntime2(&nxg_malloc_funcs, NULL);
    if (!rt)
        return NXG_ERR_INTERNAL;
    nxg_g.rt = rt;

    /* C stack: QuickJS may use what lies between here and the bottom of the stack, less
     * a margin for C code that does not check, and no more than the engine allows. */
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t low = (uintptr_t)&__stack_low;
    size_t avail = sp > low + NXG_C_STACK_MARGIN ? sp - low - NXG_C_STACK_MARGIN : 0;
    if (stack_limit == 0)
        stack_limit = NXG_ENGINE_DEFAULT_STACK;
    nxg_g.run_stack = stack_limit / NXG_RUN_STACK_RATIO;
    nxg_g.compile_stack = stack_limit / NXG_COMPILE_STACK_RATIO;
    if (nxg_g.run_stack > avail)
        nxg_g.run_stack = avail;
    if (nxg_g.compile_stack > avail)
        nxg_g.compile_stack = avail;
    nxg_g.stack_floor = low;
    JS_UpdateStackTop(rt);
    JS_SetMaxStackSize(rt, nxg_g.compile_stack);

    /* Heap: the memory limit less the static data and stack, less a reserve. */
    if (memory_limit) {
        size_t base = (size_t)(uintptr_t)&__heap_base;
        size_t reserve = memory_limit / 16;
        if (reserve < NXG_HEAP_RESERVE_MIN)
            reserve = NXG_HEAP_RESERVE_MIN;
        nxg_g.heap_limit = memory_limit > base + reserve ? memory_limit - base - reserve : 1;
        JS_SetMemoryLimit(rt, nxg_g.heap_limit);
    }

    JS_SetModuleLoaderFunc(rt, NULL, nxg_no_modules, NULL);
    JSContext *cc = JS_NewContextRaw(rt);
    JSContext *ctx = JS_NewContextRaw(rt);
    if (!cc || !ctx)
        return NXG_ERR_INTERNAL;
    nxg_g.compile_ctx = cc;
    nxg_g.ctx = ctx;
    JS_AddIntrinsicBaseObjects(cc);
    JS_AddIntrinsicEval(cc);
    JS_AddIntrinsicRegExpCompiler(cc);
    JS_AddIntrinsicBigInt(cc);
    add_intrinsics(ctx); /* no eval: the Function constructors cannot compile */

    if (nxg_api_install(ctx) < 0)
        return NXG_ERR_INTERNAL;
    JS_RunGC(rt);
    /* Garbage collection: every execution starts from the snapshot taken after this
     * and the instance is reset afterwards, and reference counting frees all but cyclic
     * garbage at once, so collecting during a short handler mostly wastes time. The
     * first automatic GC runs once the heap has grown by NXG_GC_STEP_DIV-th of the limit
     * (QuickJS's default: by half, 256 KiB at first); later ones by half the live size
     * or that step, never more than half way to the limit (patch 08). */
    JS_SetGCMinStep(rt, nxg_g.heap_limit ? nxg_g.heap_limit / NXG_GC_STEP_DIV
                                         : NXG_GC_STEP_NO_LIMIT);
    JS_SetGCThreshold(rt, JS_GetGCNextThreshold(rt));
    return nxg_g.oom ? NXG_ERR_MEMORY_LIMIT : NXG_OK;
}

/* ---------------------------------------------------------------- compile */

static void put_u32le(nxg_buf *out, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    nxg_buf_put(out, b, 4);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

NXG_EXPORT(NXG_EXPORT_COMPILE) int32_t nxg_compile(const char *src, uint32_t len)
{
    if (!nxg_g.rt) {
        write_plain_error("InternalError", "nxg_init was not called");
        return NXG_ERR_INTERNAL;
    }
    JSContext *cc = nxg_g.compile_ctx;
    output_reset();
    nxg_g.oom = false;
    JS_SetMaxStackSize(nxg_g.rt, nxg_g.compile_stack);
    const char *prefix = memmem(src, len, "await", 5) ? wrap_async : wrap_sync;
    size_t plen = strlen(prefix);
    size_t wlen = plen + len + sizeof(wrap_suffix) - 1;
    char *wrapped = malloc(wlen + 1);
    if (!wrapped)
        return memory_limit_outcome(cc);
    memcpy(wrapped, prefix, plen);
    memcpy(wrapped + plen, src, len);
    memcpy(wrapped + plen + len, wrap_suffix, sizeof(wrap_suffix));
    JSValue fn = JS_Eval(cc, wrapped, wlen, NXG_HANDLER_FILENAME,
                         JS_EVAL_TYPE_GLOBAL | JS_EVAL_FLAG_COMPILE_ONLY);
    free(wrapped);
    if (nxg_g.oom) {
        JS_FreeValue(cc, fn);
        return memory_limit_outcome(cc);
    }
    if (JS_IsException(fn)) {
        write_error(cc, JS_GetException(cc), src, len, true, "", plen);
        return NXG_ERR_SYNTAX;
    }
    size_t bc_len;
    uint8_t *bc = JS_WriteObject(cc, &bc_len, fn, JS_WRITE_OBJ_BYTECODE);
    JS_FreeValue(cc, fn);
    if (!bc)
        return memory_limit_outcome(cc);
    nxg_buf *out = &nxg_g.output;
    put_u32le(out, NXG_CODE_MAGIC);
    put_u32le(out, NXG_ABI_VERSION);
    put_u32le(out, len);
    put_u32le(out, (uint32_t)bc_len);
    nxg_buf_put(out, src, len);
    nxg_buf_put(out, bc, bc_len);
    js_free(cc, bc);
    if (out->failed)
        return memory_limit_outcome(cc);
    return NXG_OK;
}

/* ---------------------------------------------------------------- run */

/* Decodes the run context into the per-run globals; 0, or -1 with an exception. */
static int begin_run(JSContext *ctx, const uint8_t *data, uint32_t len)
{
    static const char *const fields[] = {"args", "scope", "extensions"};
    JSValue vals[3] = {JS_UNDEFINED, JS_UNDEFINED, JS_UNDEFINED};
    if (len && nxg_decode_fields(ctx, data, len, fields, 3, vals, true) < 0)
        return -1;
    if (!JS_IsUndefined(vals[2]) && (!JS_IsObject(vals[2]) || JS_IsArray(ctx, vals[2]))) {
        for (int i = 0; i < 3; i++)
            JS_FreeValue(ctx, vals[i]);
        JS_ThrowTypeError(ctx, "context.extensions is not a map");
        return -1;
    }
    return nxg_api_begin_run(ctx, vals[0], vals[1], vals[2]);
}

NXG_EXPORT(NXG_EXPORT_RUN)
int32_t nxg_run(const uint8_t *code, uint32_t code_len, const uint8_t *context, uint32_t context_len)
{
    if (!nxg_g.rt) {
        write_plain_error("InternalError", "nxg_init was not called");
        return NXG_ERR_INTERNAL;
    }
    JSContext *ctx = nxg_g.ctx;
    output_reset();
    nxg_g.oom = false;
    nxg_g.rng_seeded = false;
    JS_SetMaxStackSize(nxg_g.rt, nxg_g.run_stack);

    if (code_len < NXG_CODE_HEADER_SIZE || get_u32le(code) != NXG_CODE_MAGIC ||
        get_u32le(code + 4) != NXG_ABI_VERSION ||
        (uint64_t)get_u32le(code + 8) + get_u32le(code + 12) !=
            (uint64_t)code_len - NXG_CODE_HEADER_SIZE) {
        write_plain_error("TypeError", "not a code blob of this guest (bad magic, version "
                                       "or length)");
        return NXG_ERR_INVALID_INPUT;
    }
    const char *src = (const char *)code + NXG_CODE_HEADER_SIZE;
    uint32_t src_len = get_u32le(code + 8);
    const uint8_t *bc = code + NXG_CODE_HEADER_SIZE + src_len;
    uint32_t bc_len = get_u32le(code + 12);

    if (begin_run(ctx, context, context_len) < 0) {
        if (nxg_g.oom)
            return memory_limit_outcome(ctx);
        write_error(ctx, JS_GetException(ctx), "", 0, false, "invalid context: ", 0);
        return NXG_ERR_INVALID_INPUT;
    }
    JSValue obj = JS_ReadObject(ctx, bc, bc_len, JS_READ_OBJ_BYTECODE);
    if (JS_IsException(obj)) {
        if (nxg_g.oom)
            return memory_limit_outcome(ctx);
        write_error(ctx, JS_GetException(ctx), "", 0, false, "invalid bytecode: ", 0);
        return NXG_ERR_INVALID_INPUT;
    }
    /* The script evaluates to the handler's function. Its outcome (an async function's
     * promise, or a promise or thenable a plain one returns) is settled once the pending
     * jobs have run: every $ext call has been answered by then (the engine suspended
     * inside it). */
    JSValue fn = JS_EvalFunction(ctx, obj);
    JSValue ret = JS_EXCEPTION;
    if (!JS_IsException(fn)) {
        if (JS_IsFunction(ctx, fn))
            ret = JS_Call(ctx, fn, JS_UNDEFINED, 0, NULL);
        else
            JS_ThrowTypeError(ctx, "the handler source does not form one function body");
        /* fn is not freed: the host resets the instance after every run (life of an
         * instance, nexus_guest_abi.h), and freeing the handler's closure, bytecode and
         * constants was 6% of a trivial handler's time. */
    }
    if (!JS_IsException(ret) && JS_IsObject(ret) && JS_PromiseState(ctx, ret) < 0) {
        JSValue then = JS_GetPropertyStr(ctx, ret, "then");
        if (JS_IsException(then)) {
            JS_FreeValue(ctx, ret);
            ret = JS_EXCEPTION;
        } else if (JS_IsFunction(ctx, then)) { /* a thenable: adopt it, as await would */
            JSValue resolving[2];
            JSValue p = JS_NewPromiseCapability(ctx, resolving);
            JSValue r = JS_IsException(p) ? JS_EXCEPTION
                                          : JS_Call(ctx, resolving[0], JS_UNDEFINED, 1, &ret);
            if (!JS_IsException(p)) {
                JS_FreeValue(ctx, resolving[0]);
                JS_FreeValue(ctx, resolving[1]);
            }
            JS_FreeValue(ctx, ret);
            if (JS_IsException(r)) {
                JS_FreeValue(ctx, p);
                ret = JS_EXCEPTION;
            } else {
                JS_FreeValue(ctx, r);
                ret = p;
            }
        }
        JS_FreeValue(ctx, then);
    }
    int state = 2; /* rejected */
    JSValue result = JS_UNDEFINED;
    if (JS_IsException(ret))
        result = JS_GetException(ctx);
    for (;;) {
        JSContext *job_ctx;
        int r = JS_ExecutePendingJob(nxg_g.rt, &job_ctx);
        if (r == 0)
            break;
        if (r < 0) { /* a job failed outside any promise (out of memory, ...) */
            JS_FreeValue(ctx, ret);
            JS_FreeValue(ctx, result);
            ret = JS_EXCEPTION;
            result = JS_GetException(job_ctx);
            break;
        }
    }
    if (!JS_IsException(ret)) {
        state = JS_PromiseState(ctx, ret);
        if (state < 0) { /* a plain value */
            state = 1;
            result = ret;
        } else {
            result = JS_PromiseResult(ctx, ret);
            JS_FreeValue(ctx, ret);
        }
    }
    int32_t status = NXG_OK;
    if (nxg_g.oom) {
        status = memory_limit_outcome(ctx);
    } else if (state == 1) { /* fulfilled */
        if (nxg_encode(ctx, &nxg_g.output, result) < 0) {
            output_reset();
            if (nxg_g.oom)
                status = memory_limit_outcome(ctx);
            else {
                write_error(ctx, JS_GetException(ctx), src, src_len, false, "return value: ", 0);
                status = NXG_ERR_EXCEPTION;
            }
        }
    } else if (state == 2) { /* rejected */
        write_error(ctx, JS_DupValue(ctx, result), src, src_len, false, "", 0);
        status = NXG_ERR_EXCEPTION;
    } else {
        write_plain_error("Error", "the handler did not finish: it awaits a promise that "
                                   "never settles");
        status = NXG_ERR_EXCEPTION;
    }
    JS_FreeValue(ctx, result);
    return status;
}
