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

/* Validates module `m` and translates its functions (sets m->funcs[i].code). Returns
 * NXW_OK, NXW_ERR_INVALID or NXW_ERR_MALFORMED (bad instruction encoding) with err set. */
nxw_status wc_compile_module(wm_module *m, nxw_error *err);

/* Frees one function's translated code. NULL is allowed. */
void wc_code_free(struct wc_code *code);

#endif /* NXW_COMPILE_H */
