/*
 * stack_ratio.c — measures how many bytes of the engine's stack the guest consumes per
 * byte of the C stack QuickJS watches, for many recursion shapes; the worst cases set
 * NXG_RUN_STACK_RATIO and NXG_COMPILE_STACK_RATIO (nexus_guest_abi.h). For each shape it
 * gives QuickJS a fixed stack budget S, then bisects the smallest engine stack E with which
 * the handler still ends in QuickJS's own "stack overflow" error (below E the engine traps
 * first); the ratio is E / S. Takes a few minutes.
 *
 * usage: stack_ratio GUEST.wasm [S_BYTES]     (default S = 64 KiB)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_host.h"

typedef struct shape {
    const char *name;
    const char *src;  /* NULL: built by nested() */
    bool compile;     /* the recursion happens while compiling */
} shape;

static const shape shapes[] = {
    {"call", "function f(n) { return f(n + 1) + 1 } f(0)", false},
    {"getter", "const o = { get x() { return this.x } }; o.x", false},
    {"toString", "const o = { toString() { return '' + o } }; '' + o", false},
    {"valueOf", "const o = {}; o.valueOf = () => +o; +o", false},
    {"proxy", "const p = new Proxy({}, { get(t, k) { return p[k] } }); p.x", false},
    {"proxy chain", "let p = {}; for (let i = 0; i < 1e5; i++) p = new Proxy(p, {}); p.x", false},
    {"map", "function f() { return [1].map(f) } f()", false},
    {"sort", "[2, 1].sort(function c() { return [2, 1].sort(c) })", false},
    {"replace", "function f() { return 'a'.replace('a', f) } f()", false},
    {"reduce", "function f() { return [3, 2, 1].reduce(f) } f()", false},
    {"call()", "function f() { return f.call(null) } f()", false},
    {"apply()", "function f() { return f.apply(null, []) } f()", false},
    {"bound", "const b = function f() { return b() }.bind(null); b()", false},
    {"Reflect", "Reflect.apply(function f() { return Reflect.apply(f, null, []) }, null, [])",
     false},
    {"new", "class A { constructor() { new A() } }; new A()", false},
    {"spread", "const f = (...a) => f(...a, 1); f()", false},
    {"finally", "function f() { try { return f() } finally { } } f()", false},
    {"generator", "function* g() { yield* g() } [...g()]", false},
    {"toJSON+$state", "const o = { toJSON() { $state.k = o; return 1 } }; $state.k = o", false},
    {"JSON.stringify", "let a = []; for (let i = 0; i < 8000; i++) a = [a]; JSON.stringify(a)",
     false},
    {"JSON toJSON", "let a = {}; for (let i = 0; i < 8000; i++) a = {a, toJSON() { return this.a }};"
                    " JSON.stringify(a)", false},
    {"JSON.parse", "JSON.parse('['.repeat(100000))", false},
    {"Array join", "let a = []; for (let i = 0; i < 1e5; i++) a = [a]; String(a)", false},
    {"Array flat", "let a = []; for (let i = 0; i < 1e5; i++) a = [a]; a.flat(Infinity)", false},
    {"RegExp", "new RegExp('(?:'.repeat(20000) + 'a' + ')'.repeat(20000))", false},
    {"!!!", NULL, true},
    {"[[[", NULL, true},
    {"(((", NULL, true},
    {"a=a=", NULL, true},
    {"?:", NULL, true},
    {"f(f(", NULL, true},
    {"=>", NULL, true},
    {"{{{", NULL, true},
    {"`${", NULL, true},
};

/* Source of a compile-time shape: `open` repeated n times, `mid`, `close` n times. */
static char *nested(const char *name)
{
    static const struct {
        const char *name, *head, *open, *mid, *close;
        int n;
    } forms[] = {
        {"!!!", "return ", "!", "1", "", 20000},
        {"[[[", "return ", "[", "", "]", 20000},
        {"(((", "return ", "(", "1", ")", 20000},
        {"a=a=", "let a; return ", "a=", "1", "", 20000},
        {"?:", "return ", "1?", "1", ":1", 20000},
        {"f(f(", "return ", "f(", "", ")", 20000},
        {"=>", "return ", "()=>", "1", "", 20000},
        {"{{{", "", "{", "", "}", 20000},
        {"`${", "return ", "`${", "1", "}`", 5000},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (strcmp(forms[i].name, name) != 0)
            continue;
        size_t n = (size_t)forms[i].n;
        size_t len = strlen(forms[i].head) + n * (strlen(forms[i].open) + strlen(forms[i].close)) +
                     strlen(forms[i].mid) + 1;
        char *s = malloc(len), *p = s;
        p += sprintf(p, "%s", forms[i].head);
        for (size_t k = 0; k < n; k++)
            p += sprintf(p, "%s", forms[i].open);
        p += sprintf(p, "%s", forms[i].mid);
        for (size_t k = 0; k < n; k++)
            p += sprintf(p, "%s", forms[i].close);
        return s;
    }
    abort();
}

/* 1: QuickJS reported the stack overflow; 0: the engine trapped first; -1: other. */
static int trial(const char *wasm, const shape *sh, const char *src, size_t budget, size_t engine)
{
    gh_host h;
    size_t ratio = sh->compile ? NXG_COMPILE_STACK_RATIO : NXG_RUN_STACK_RATIO;
    if (!gh_open(&h, wasm, 256u << 20, budget * ratio))
        exit(1);
    nxw_limits limits = {.stack_bytes = engine, .memory_bytes = 256u << 20};
    nxw_store_set_limits(h.store, &limits);
    h.timeout_ms = 10000;
    int st = gh_exec(&h, src, NULL);
    int r = -1;
    if (st == GH_TRAP && h.err.trap == NXW_TRAP_STACK_EXHAUSTED)
        r = 0;
    else if ((st == NXG_ERR_EXCEPTION || st == NXG_ERR_SYNTAX) && h.out_text &&
             strstr(h.out_text, "stack overflow"))
        r = 1;
    gh_close(&h);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: stack_ratio GUEST.wasm [S_BYTES]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    size_t budget = argc > 2 ? strtoul(argv[2], NULL, 0) : 64 * 1024;
    double worst[2] = {0, 0};
    printf("QuickJS stack budget %zu bytes; smallest engine stack that keeps errors clean:\n",
           budget);
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        const shape *sh = &shapes[i];
        char *src = sh->src ? strdup(sh->src) : nested(sh->name);
        size_t lo = 16 * 1024, hi = 128u << 20;
        if (trial(argv[1], sh, src, budget, hi) != 1) {
            printf("  %-15s %-8s no clean stack overflow even with %zu MiB\n", sh->name,
                   sh->compile ? "compile" : "run", hi >> 20);
            free(src);
            continue;
        }
        while (hi - lo > 8 * 1024) {
            size_t mid = lo + (hi - lo) / 2;
            if (trial(argv[1], sh, src, budget, mid) == 1)
                hi = mid;
            else
                lo = mid;
        }
        double ratio = (double)hi / (double)budget;
        if (ratio > worst[sh->compile])
            worst[sh->compile] = ratio;
        printf("  %-15s %-8s %9zu bytes  ratio %5.1f\n", sh->name,
               sh->compile ? "compile" : "run", hi, ratio);
        free(src);
    }
    printf("worst ratio: running %.1f (NXG_RUN_STACK_RATIO %u), compiling %.1f "
           "(NXG_COMPILE_STACK_RATIO %u)\n",
           worst[0], NXG_RUN_STACK_RATIO, worst[1], NXG_COMPILE_STACK_RATIO);
    return worst[0] < NXG_RUN_STACK_RATIO && worst[1] < NXG_COMPILE_STACK_RATIO ? 0 : 1;
}
