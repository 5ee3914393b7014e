/*
 * compile.h — validation and translation of function bodies (internal).
 *
 * wc_compile_module validates every part of a decoded module that the decoder leaves
 * open (function bodies, constant expressions, indices, segment types, ...) and
 * translates each function body once into the interpreter's code form (struct wc_code,
 * defined in code.h). Nothing is re-decoded at run time.
 */
#ifndef NXW_COMPILE_H
#define NXW_COMPILE_H

#include "module.h"

struct wc_code;

/* Validates module `m` with the optional features `features` and translates its
 * functions (sets m->funcs[i].code). Returns NXW_OK, NXW_ERR_INVALID or
 * NXW_ERR_MALFORMED (bad instruction encoding) with err set. */
nxw_status wc_compile_module(wm_module *m, const nxw_features *features, nxw_error *err);

/* The module-level part of feature checking (features.c): types, imports, globals,
 * locals and segments that need a disabled feature make it invalid (NXW_ERR_INVALID,
 * the message naming the feature). Instructions are checked while compiling. */
nxw_status wc_check_features(const wm_module *m, const nxw_features *features, nxw_error *err);

/* Frees one function's translated code. NULL is allowed. */
void wc_code_free(struct wc_code *code);

#endif /* NXW_COMPILE_H */
