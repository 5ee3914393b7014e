/*
 * features.c — the module-level check of optional WebAssembly 2.0 features
 * (nxw_features in nexus_wasm.h).
 *
 * A module validated without a feature must not use it anywhere. Instructions are the
 * compiler's business (compile.c rejects 0xFD-prefixed instructions, v128 block and
 * select types, and the bulk memory instructions as it meets them); this file checks
 * everything outside function bodies: v128 in function types, imported and defined
 * globals and function locals (SIMD); passive segments and the data count section (bulk
 * memory). Errors are NXW_ERR_INVALID and name the feature and its nxw_features field,
 * e.g. "SIMD is disabled (feature simd): function type 2 uses v128".
 */
#include "compile.h"

#include <stdint.h>
#include <string.h>

#define WF_NO_SIMD "SIMD is disabled (feature simd): "
#define WF_NO_BULK "bulk memory is disabled (feature bulk_memory): "

static bool wf_has_v128(const uint8_t *types, uint32_t n) {
    return n > 0 && memchr(types, NXW_V128, n) != NULL;
}

static nxw_status wf_check_simd(const wm_module *m, nxw_error *err) {
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (wf_has_v128(m->types[i].types, m->types[i].nparams + m->types[i].nresults))
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, WF_NO_SIMD "function type %u uses v128", i);
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wm_import *im = &m->imports[i];
        if (im->kind == NXW_EXTERN_GLOBAL && im->desc.global.type == NXW_V128)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX,
                           WF_NO_SIMD "import %u (\"%.*s\" \"%.*s\") is a v128 global", i,
                           (int)(im->module.len > 64 ? 64 : im->module.len), im->module.ptr,
                           (int)(im->name.len > 64 ? 64 : im->name.len), im->name.ptr);
    }
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (m->globals[i].type.type == NXW_V128)
            return wm_fail(err, NXW_ERR_INVALID, m->globals[i].init.offset,
                           WF_NO_SIMD "global %u has type v128", m->nimported_globals + i);
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (wf_has_v128(m->funcs[i].local_types, m->funcs[i].nlocals))
            return wm_fail(err, NXW_ERR_INVALID, m->funcs[i].code_offset,
                           WF_NO_SIMD "function %u has a v128 local", m->nimported_funcs + i);
    return NXW_OK;
}

static nxw_status wf_check_bulk_memory(const wm_module *m, nxw_error *err) {
    if (m->has_datacount)
        return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, WF_NO_BULK "the module has a data count section");
    for (uint32_t i = 0; i < m->ndatas; i++)
        if (m->datas[i].mode == WM_SEG_PASSIVE)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, WF_NO_BULK "data segment %u is passive", i);
    for (uint32_t i = 0; i < m->nelems; i++)
        if (m->elems[i].mode == WM_SEG_PASSIVE)
            return wm_fail(err, NXW_ERR_INVALID, SIZE_MAX, WF_NO_BULK "element segment %u is passive", i);
    return NXW_OK;
}

nxw_status wc_check_features(const wm_module *m, const nxw_features *features, nxw_error *err) {
    nxw_status st = NXW_OK;
    if (!features->simd) st = wf_check_simd(m, err);
    if (st == NXW_OK && !features->bulk_memory) st = wf_check_bulk_memory(m, err);
    return st;
}
