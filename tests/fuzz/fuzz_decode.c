/*
 * fuzz_decode.c — libFuzzer target for the front end of the engine: every input is
 * handed to nxw_module_new, which decodes, validates and translates it. Whatever the
 * bytes, the call must return (a module or an error) without crashing, without undefined
 * behaviour and without leaking. A decoded module is also queried through the read-only
 * module API (imports, exports, names, custom sections), then freed.
 * Built as a libFuzzer binary (NEXUS_FUZZ=ON) and as a plain replay of
 * tests/fuzz/regressions/fuzz_decode/ (see replay_main.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nexus_wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touches every name the module API hands out, so a bad pointer or length shows up
 * under AddressSanitizer. Returns a meaningless checksum that keeps the reads alive. */
static unsigned touch_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += b[i];
    return sum;
}

static unsigned query_module(const nxw_module *m)
{
    unsigned sum = 0;
    const char *mod_name, *name;
    size_t mod_len, name_len;
    nxw_externkind kind;
    for (uint32_t i = 0, n = nxw_module_import_count(m); i < n; i++) {
        nxw_module_import(m, i, &mod_name, &mod_len, &name, &name_len, &kind);
        sum += touch_bytes(mod_name, mod_len) + touch_bytes(name, name_len) + (unsigned)kind;
    }
    for (uint32_t i = 0, n = nxw_module_export_count(m); i < n; i++) {
        nxw_module_export(m, i, &name, &name_len, &kind);
        sum += touch_bytes(name, name_len) + (unsigned)kind;
    }
    for (uint32_t i = 0, n = nxw_module_custom_count(m); i < n; i++) {
        const uint8_t *payload;
        size_t payload_len;
        nxw_module_custom(m, i, &name, &name_len, &payload, &payload_len);
        sum += touch_bytes(name, name_len) + touch_bytes(payload, payload_len);
    }
    /* Function names: indices beyond the module's functions simply have none. */
    for (uint32_t i = 0; i < 64; i++) {
        const char *fname = nxw_module_func_name(m, i);
        if (fname) sum += touch_bytes(fname, strlen(fname));
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nxw_module *module = NULL;
    nxw_error err;
    if (nxw_module_new(data, size, &module, &err) == NXW_OK) {
        volatile unsigned sink = query_module(module);
        (void)sink;
        nxw_module_free(module);
    }
    return 0;
}
