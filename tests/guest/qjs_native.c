/*
 * qjs_native.c — a minimal native QuickJS runner built from the same (patched) sources as
 * the guest module, for comparisons: the guest tests check that toFixed/toPrecision/
 * toExponential give the same strings natively (glibc, real rounding modes) and in the
 * guest (WASI, emulated directed rounding), and the guest figures time a JavaScript
 * workload natively and in the guest. Usage: qjs_native FILE.js — evaluates FILE.js as
 * the body of a function and prints String() of its return value; exit status 1 on an
 * exception.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: qjs_native FILE.js\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    static const char prefix[] = "(function () {";
    static const char suffix[] = "\n})()";
    char *src = malloc(sizeof(prefix));
    size_t len = strlen(prefix), cap = sizeof(prefix);
    memcpy(src, prefix, len);
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (len + sizeof(suffix) + 1 >= cap)
            src = realloc(src, cap *= 2);
        src[len++] = (char)c;
    }
    fclose(f);
    if (len + sizeof(suffix) + 1 >= cap)
        src = realloc(src, cap + sizeof(suffix) + 1);
    memcpy(src + len, suffix, sizeof(suffix));
    len += sizeof(suffix) - 1;

    JSRuntime *rt = JS_NewRuntime();
    JSContext *ctx = JS_NewContext(rt);
    JSValue v = JS_Eval(ctx, src, len, argv[1], JS_EVAL_TYPE_GLOBAL);
    int status = 0;
    if (JS_IsException(v)) {
        v = JS_GetException(ctx);
        status = 1;
    }
    const char *s = JS_ToCString(ctx, v);
    printf("%s\n", s ? s : "<unprintable>");
    JS_FreeCString(ctx, s);
    JS_FreeValue(ctx, v);
    JS_FreeContext(ctx);
    JS_FreeRuntime(rt);
    free(src);
    return status;
}
