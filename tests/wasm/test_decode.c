/*
 * test_decode.c — unit tests of the binary decoder (src/wasm/decode.c).
 *
 * Hand-written modules check that every section kind lands in the right wm_module
 * fields, that each malformed case of the binary format is rejected with the testsuite's
 * wording and the right byte offset, and that truncated or randomly corrupted modules
 * fail cleanly (these run under ASan/UBSan in the sanitizer build).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "module.h"

#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

/* A module using every section kind (valid with multi-memory; the decoder does not
 * care). Offsets of the sections: custom 8, type 15, import 27, function 61, table 66,
 * memory 72, global 78, export 108, start 123, element 126, data count 182, code 185,
 * data 203, name 224; 247 bytes in all. */
static const uint8_t full_module[] = {
    HDR,
    /* custom "c1", payload "xy" */
    0x00, 0x05, 0x02, 'c', '1', 'x', 'y',
    /* type: (i32 i64) -> f32, () -> () */
    0x01, 0x0A, 0x02, 0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D, 0x60, 0x00, 0x00,
    /* import: m.f func type 1; m.t table funcref 1..10; m.mem memory 1; m.g global i32 */
    0x02, 0x20, 0x04,
    0x01, 'm', 0x01, 'f', 0x00, 0x01,
    0x01, 'm', 0x01, 't', 0x01, 0x70, 0x01, 0x01, 0x0A,
    0x01, 'm', 0x03, 'm', 'e', 'm', 0x02, 0x00, 0x01,
    0x01, 'm', 0x01, 'g', 0x03, 0x7F, 0x00,
    /* function: types 0, 1 */
    0x03, 0x03, 0x02, 0x00, 0x01,
    /* table: funcref min 0 */
    0x04, 0x04, 0x01, 0x70, 0x00, 0x00,
    /* memory: min 2 max 3 */
    0x05, 0x04, 0x01, 0x01, 0x02, 0x03,
    /* global: i64 = -1; mut f64 = 1.0; funcref = ref.func 1; i32 = global.get 0 */
    0x06, 0x1C, 0x04,
    0x7E, 0x00, 0x42, 0x7F, 0x0B,
    0x7C, 0x01, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, 0x0B,
    0x70, 0x00, 0xD2, 0x01, 0x0B,
    0x7F, 0x00, 0x23, 0x00, 0x0B,
    /* export: "run" func 2, "mem" memory 0 */
    0x07, 0x0D, 0x02, 0x03, 'r', 'u', 'n', 0x00, 0x02, 0x03, 'm', 'e', 'm', 0x02, 0x00,
    /* start: func 2 */
    0x08, 0x01, 0x02,
    /* element: one segment of each of the 8 kinds */
    0x09, 0x36, 0x08,
    0x00, 0x41, 0x00, 0x0B, 0x02, 0x01, 0x02,             /* 0: active (i32.const 0) [1 2] */
    0x01, 0x00, 0x01, 0x00,                               /* 1: passive funcref [0] */
    0x02, 0x00, 0x41, 0x05, 0x0B, 0x00, 0x01, 0x02,       /* 2: table 0 (i32.const 5) [2] */
    0x03, 0x00, 0x01, 0x01,                               /* 3: declarative [1] */
    0x04, 0x41, 0x01, 0x0B, 0x02, 0xD2, 0x01, 0x0B, 0xD0, 0x70, 0x0B, /* 4: exprs */
    0x05, 0x6F, 0x01, 0xD0, 0x6F, 0x0B,                   /* 5: passive externref */
    0x06, 0x01, 0x41, 0x02, 0x0B, 0x70, 0x01, 0xD2, 0x00, 0x0B, /* 6: table 1 */
    0x07, 0x70, 0x00,                                     /* 7: declarative, empty */
    /* data count: 3 */
    0x0C, 0x01, 0x03,
    /* code: (local i32 i32 i32 f64) f32.const 1.0; and an empty body */
    0x0A, 0x10, 0x02,
    0x0B, 0x02, 0x03, 0x7F, 0x01, 0x7C, 0x43, 0x00, 0x00, 0x80, 0x3F, 0x0B,
    0x02, 0x00, 0x0B,
    /* data: active "abc" at 8; passive "xy"; memory 0 explicit, empty */
    0x0B, 0x13, 0x03,
    0x00, 0x41, 0x08, 0x0B, 0x03, 'a', 'b', 'c',
    0x01, 0x02, 'x', 'y',
    0x02, 0x00, 0x41, 0x00, 0x0B, 0x00,
    /* custom "name": module name "M"; function names 0 "if", 1 "run" */
    0x00, 0x15, 0x04, 'n', 'a', 'm', 'e',
    0x00, 0x02, 0x01, 'M',
    0x01, 0x0A, 0x02, 0x00, 0x02, 'i', 'f', 0x01, 0x03, 'r', 'u', 'n',
};

/* Offsets where full_module may be cut and still be a well-formed module. */
static bool is_valid_cut(size_t len) {
    /* Every section boundary from the header up to the function section, and the end
     * of the data and name sections (before the code section the function count has no
     * bodies; before the data section the data count is unmatched). */
    static const size_t cuts[] = {8, 15, 27, 61, 224, 247};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
        if (cuts[i] == len)
            return true;
    return false;
}

static nxw_status decode(const uint8_t *bytes, size_t len, wm_module *m, nxw_error *err) {
    memset(err, 0, sizeof *err);
    return wm_decode(bytes, len, m, err);
}

static bool is_zeroed(const wm_module *m) {
    static const wm_module zero;
    return memcmp(m, &zero, sizeof zero) == 0;
}

static bool name_is(wm_name n, const char *s) {
    return n.len == strlen(s) && memcmp(n.ptr, s, n.len) == 0;
}

/* ------------------------------------------------------------------ valid modules */

static void test_empty_module(void **state) {
    (void)state;
    static const uint8_t bytes[] = {HDR};
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_non_null(m.bytes);
    assert_ptr_not_equal(m.bytes, bytes);
    assert_int_equal(m.len, 8);
    assert_memory_equal(m.bytes, bytes, 8);
    assert_int_equal(m.ntypes + m.nimports + m.nfuncs + m.ntables + m.nmemories + m.nglobals +
                         m.nexports + m.nelems + m.ndatas + m.ncustoms,
                     0);
    assert_false(m.has_start);
    assert_false(m.has_datacount);
    assert_null(m.func_names);
    wm_module_clear(&m);
    assert_true(is_zeroed(&m));
    wm_module_clear(&m); /* clearing twice is harmless */
}

static void test_full_module(void **state) {
    (void)state;
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(full_module, sizeof full_module, &m, &err), NXW_OK);
    const uint8_t *b = m.bytes;

    /* types */
    assert_int_equal(m.ntypes, 2);
    assert_int_equal(m.types[0].nparams, 2);
    assert_int_equal(m.types[0].nresults, 1);
    assert_int_equal(m.types[0].types[0], NXW_I32);
    assert_int_equal(m.types[0].types[1], NXW_I64);
    assert_int_equal(m.types[0].types[2], NXW_F32);
    assert_int_equal(m.types[1].nparams, 0);
    assert_int_equal(m.types[1].nresults, 0);

    /* imports */
    assert_int_equal(m.nimports, 4);
    assert_int_equal(m.nimported_funcs, 1);
    assert_int_equal(m.nimported_tables, 1);
    assert_int_equal(m.nimported_memories, 1);
    assert_int_equal(m.nimported_globals, 1);
    assert_true(name_is(m.imports[0].module, "m"));
    assert_true(name_is(m.imports[0].name, "f"));
    assert_ptr_equal(m.imports[0].module.ptr, (const char *)b + 31);
    assert_int_equal(m.imports[0].kind, NXW_EXTERN_FUNC);
    assert_int_equal(m.imports[0].desc.type_index, 1);
    assert_int_equal(m.imports[1].kind, NXW_EXTERN_TABLE);
    assert_int_equal(m.imports[1].desc.table.elem, NXW_FUNCREF);
    assert_int_equal(m.imports[1].desc.table.limits.min, 1);
    assert_true(m.imports[1].desc.table.limits.has_max);
    assert_int_equal(m.imports[1].desc.table.limits.max, 10);
    assert_true(name_is(m.imports[2].name, "mem"));
    assert_int_equal(m.imports[2].kind, NXW_EXTERN_MEMORY);
    assert_int_equal(m.imports[2].desc.memory.min, 1);
    assert_false(m.imports[2].desc.memory.has_max);
    assert_int_equal(m.imports[3].kind, NXW_EXTERN_GLOBAL);
    assert_int_equal(m.imports[3].desc.global.type, NXW_I32);
    assert_false(m.imports[3].desc.global.mutable_);

    /* functions and code */
    assert_int_equal(m.nfuncs, 2);
    assert_int_equal(wm_total_funcs(&m), 3);
    assert_int_equal(m.funcs[0].type_index, 0);
    assert_int_equal(m.funcs[1].type_index, 1);
    assert_int_equal(m.funcs[0].nlocals, 4);
    assert_memory_equal(m.funcs[0].local_types, ((const uint8_t[]){0x7F, 0x7F, 0x7F, 0x7C}), 4);
    assert_int_equal(m.funcs[0].code_offset, 194);
    assert_int_equal(m.funcs[0].code_end, 200);
    assert_int_equal(b[m.funcs[0].code_offset], 0x43);
    assert_int_equal(b[m.funcs[0].code_end - 1], 0x0B);
    assert_int_equal(m.funcs[1].nlocals, 0);
    assert_null(m.funcs[1].local_types);
    assert_int_equal(m.funcs[1].code_offset, 202);
    assert_int_equal(m.funcs[1].code_end, 203);
    assert_null(m.funcs[0].code);

    /* tables and memories */
    assert_int_equal(m.ntables, 1);
    assert_int_equal(m.tables[0].elem, NXW_FUNCREF);
    assert_int_equal(m.tables[0].limits.min, 0);
    assert_false(m.tables[0].limits.has_max);
    assert_int_equal(m.nmemories, 1);
    assert_int_equal(m.memories[0].min, 2);
    assert_true(m.memories[0].has_max);
    assert_int_equal(m.memories[0].max, 3);

    /* globals */
    assert_int_equal(m.nglobals, 4);
    assert_int_equal(m.globals[0].type.type, NXW_I64);
    assert_false(m.globals[0].type.mutable_);
    assert_int_equal(m.globals[0].init.op, WM_CONST_I64);
    assert_int_equal(m.globals[0].init.count, 1);
    assert_true(m.globals[0].init.v.i64 == -1);
    assert_int_equal(m.globals[0].init.offset, 83);
    assert_int_equal(m.globals[1].type.type, NXW_F64);
    assert_true(m.globals[1].type.mutable_);
    assert_int_equal(m.globals[1].init.op, WM_CONST_F64);
    assert_true(m.globals[1].init.v.f64_bits == UINT64_C(0x3FF0000000000000));
    assert_int_equal(m.globals[1].init.offset, 88);
    assert_int_equal(m.globals[2].type.type, NXW_FUNCREF);
    assert_int_equal(m.globals[2].init.op, WM_CONST_REF_FUNC);
    assert_int_equal(m.globals[2].init.v.index, 1);
    assert_int_equal(m.globals[3].init.op, WM_CONST_GLOBAL_GET);
    assert_int_equal(m.globals[3].init.v.index, 0);
    assert_int_equal(m.globals[3].init.offset, 105);

    /* exports and start */
    assert_int_equal(m.nexports, 2);
    assert_true(name_is(m.exports[0].name, "run"));
    assert_int_equal(m.exports[0].kind, NXW_EXTERN_FUNC);
    assert_int_equal(m.exports[0].index, 2);
    assert_true(name_is(m.exports[1].name, "mem"));
    assert_int_equal(m.exports[1].kind, NXW_EXTERN_MEMORY);
    assert_int_equal(m.exports[1].index, 0);
    assert_true(m.has_start);
    assert_int_equal(m.start, 2);

    /* elements */
    assert_int_equal(m.nelems, 8);
    const wm_elem *e = m.elems;
    assert_int_equal(e[0].mode, WM_SEG_ACTIVE);
    assert_int_equal(e[0].type, NXW_FUNCREF);
    assert_int_equal(e[0].table, 0);
    assert_int_equal(e[0].offset.op, WM_CONST_I32);
    assert_int_equal(e[0].offset.v.i32, 0);
    assert_int_equal(e[0].count, 2);
    assert_int_equal(e[0].init[0].op, WM_CONST_REF_FUNC);
    assert_int_equal(e[0].init[0].count, 1);
    assert_int_equal(e[0].init[0].v.index, 1);
    assert_int_equal(e[0].init[1].v.index, 2);
    assert_int_equal(e[1].mode, WM_SEG_PASSIVE);
    assert_int_equal(e[1].count, 1);
    assert_int_equal(e[1].init[0].v.index, 0);
    assert_int_equal(e[2].mode, WM_SEG_ACTIVE);
    assert_int_equal(e[2].table, 0);
    assert_int_equal(e[2].offset.v.i32, 5);
    assert_int_equal(e[2].init[0].v.index, 2);
    assert_int_equal(e[3].mode, WM_SEG_DECLARATIVE);
    assert_int_equal(e[3].init[0].v.index, 1);
    assert_int_equal(e[4].mode, WM_SEG_ACTIVE);
    assert_int_equal(e[4].type, NXW_FUNCREF);
    assert_int_equal(e[4].offset.v.i32, 1);
    assert_int_equal(e[4].count, 2);
    assert_int_equal(e[4].init[0].op, WM_CONST_REF_FUNC);
    assert_int_equal(e[4].init[0].v.index, 1);
    assert_int_equal(e[4].init[1].op, WM_CONST_REF_NULL);
    assert_int_equal(e[4].init[1].reftype, NXW_FUNCREF);
    assert_int_equal(e[5].mode, WM_SEG_PASSIVE);
    assert_int_equal(e[5].type, NXW_EXTERNREF);
    assert_int_equal(e[5].init[0].reftype, NXW_EXTERNREF);
    assert_int_equal(e[6].mode, WM_SEG_ACTIVE);
    assert_int_equal(e[6].table, 1);
    assert_int_equal(e[6].offset.v.i32, 2);
    assert_int_equal(e[6].type, NXW_FUNCREF);
    assert_int_equal(e[6].init[0].v.index, 0);
    assert_int_equal(e[7].mode, WM_SEG_DECLARATIVE);
    assert_int_equal(e[7].count, 0);

    /* data */
    assert_true(m.has_datacount);
    assert_int_equal(m.datacount, 3);
    assert_int_equal(m.ndatas, 3);
    assert_int_equal(m.datas[0].mode, WM_SEG_ACTIVE);
    assert_int_equal(m.datas[0].memory, 0);
    assert_int_equal(m.datas[0].offset.v.i32, 8);
    assert_int_equal(m.datas[0].len, 3);
    assert_ptr_equal(m.datas[0].bytes, b + 211);
    assert_memory_equal(m.datas[0].bytes, "abc", 3);
    assert_int_equal(m.datas[1].mode, WM_SEG_PASSIVE);
    assert_memory_equal(m.datas[1].bytes, "xy", 2);
    assert_int_equal(m.datas[2].mode, WM_SEG_ACTIVE);
    assert_int_equal(m.datas[2].len, 0);

    /* custom sections and names */
    assert_int_equal(m.ncustoms, 2);
    assert_true(name_is(m.customs[0].name, "c1"));
    assert_int_equal(m.customs[0].len, 2);
    assert_ptr_equal(m.customs[0].data, b + 13);
    assert_true(name_is(m.customs[1].name, "name"));
    assert_ptr_equal(m.customs[1].data, b + 231);
    assert_int_equal(m.customs[1].len, 16);
    assert_non_null(m.func_names);
    assert_string_equal(m.func_names[0], "if");
    assert_string_equal(m.func_names[1], "run");
    assert_null(m.func_names[2]);

    /* index-space helpers */
    assert_int_equal(wm_func_type_index(&m, 0), 1);
    assert_int_equal(wm_func_type_index(&m, 1), 0);
    assert_int_equal(wm_func_type_index(&m, 2), 1);
    assert_int_equal(wm_global_type(&m, 0).type, NXW_I32);
    assert_int_equal(wm_global_type(&m, 2).type, NXW_F64);
    assert_true(wm_global_type(&m, 2).mutable_);
    assert_int_equal(wm_table_type(&m, 0).limits.max, 10);
    assert_int_equal(wm_table_type(&m, 1).limits.min, 0);
    assert_false(wm_table_type(&m, 1).limits.has_max);

    wm_module_clear(&m);
    assert_true(is_zeroed(&m));
}

/* Imports of mixed kinds: each index space counts only its own kind. */
static void test_index_spaces(void **state) {
    (void)state;
    static const uint8_t bytes[] = {
        HDR,
        0x01, 0x0C, 0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x00, 0x60, 0x00, /* 3 types */
        0x01, 0x7F,
        0x02, 0x1E, 0x05,                          /* import section, 5 entries */
        0x00, 0x01, 'a', 0x00, 0x02,               /* func type 2 */
        0x00, 0x01, 'b', 0x03, 0x7E, 0x01,         /* global mut i64 */
        0x00, 0x01, 'c', 0x01, 0x6F, 0x00, 0x07,   /* table externref 7 */
        0x00, 0x01, 'd', 0x00, 0x00,               /* func type 0 */
        0x00, 0x01, 'e', 0x03, 0x7D, 0x00,         /* global f32 */
        0x03, 0x02, 0x01, 0x01,                    /* one function of type 1 */
        0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_int_equal(m.types[2].nresults, 1);
    assert_int_equal(m.nimported_funcs, 2);
    assert_int_equal(m.nimported_globals, 2);
    assert_int_equal(m.nimported_tables, 1);
    assert_int_equal(wm_func_type_index(&m, 0), 2);
    assert_int_equal(wm_func_type_index(&m, 1), 0);
    assert_int_equal(wm_func_type_index(&m, 2), 1);
    assert_int_equal(wm_global_type(&m, 0).type, NXW_I64);
    assert_true(wm_global_type(&m, 0).mutable_);
    assert_int_equal(wm_global_type(&m, 1).type, NXW_F32);
    assert_int_equal(wm_table_type(&m, 0).elem, NXW_EXTERNREF);
    assert_int_equal(wm_table_type(&m, 0).limits.min, 7);
    wm_module_clear(&m);
}

/* Non-minimal LEB128 encodings are allowed; values decode with their sign. */
static void test_leb128_values(void **state) {
    (void)state;
    static const uint8_t bytes[] = {
        HDR,
        0x05, 0x07, 0x01, 0x01, 0x82, 0x80, 0x00, 0xFF, 0x0F,       /* memory 2..0x7FF */
        0x06, 0x2F, 0x05,
        0x7F, 0x00, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x0B,       /* i32 -1 (5 bytes) */
        0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x78, 0x0B,       /* i32 INT32_MIN */
        0x7E, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F,
        0x0B,                                                       /* i64 INT64_MIN */
        0x7F, 0x00, 0x41, 0x80, 0x00, 0x0B,                         /* i32 0 (2 bytes) */
        0x7D, 0x00, 0x43, 0x00, 0x00, 0xC0, 0x7F, 0x0B,             /* f32 NaN bits */
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_int_equal(m.globals[0].init.v.i32, -1);
    assert_int_equal(m.globals[1].init.v.i32, INT32_MIN);
    assert_true(m.globals[2].init.v.i64 == INT64_MIN);
    assert_int_equal(m.globals[3].init.v.i32, 0);
    assert_int_equal(m.globals[4].init.v.f32_bits, 0x7FC00000);
    assert_int_equal(m.memories[0].min, 2);
    assert_int_equal(m.memories[0].max, 0x7FF);
    wm_module_clear(&m);
}

/* Constant expressions record their first instruction and how many there were. */
static void test_constexpr_count(void **state) {
    (void)state;
    static const uint8_t bytes[] = {
        HDR, 0x06, 0x0B, 0x02,
        0x7F, 0x00, 0x41, 0x07, 0x41, 0x08, 0x0B, /* two instructions */
        0x7F, 0x00, 0x0B,                         /* none */
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_int_equal(m.globals[0].init.count, 2);
    assert_int_equal(m.globals[0].init.op, WM_CONST_I32);
    assert_int_equal(m.globals[0].init.v.i32, 7);
    assert_int_equal(m.globals[1].init.count, 0);
    assert_int_equal(m.globals[1].init.op, 0);
    wm_module_clear(&m);
}

/* Runs of zero locals are allowed and expand to nothing. */
static void test_zero_local_runs(void **state) {
    (void)state;
    static const uint8_t bytes[] = {
        HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x00,
        0x0A, 0x11, 0x02,
        0x06, 0x02, 0x00, 0x7F, 0x00, 0x7E, 0x0B,             /* 0 i32, 0 i64 */
        0x08, 0x03, 0x00, 0x7F, 0x02, 0x7D, 0x00, 0x7E, 0x0B, /* 0 i32, 2 f32, 0 i64 */
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_int_equal(m.funcs[0].nlocals, 0);
    assert_null(m.funcs[0].local_types);
    assert_int_equal(m.funcs[0].code_offset, 28);
    assert_int_equal(m.funcs[1].nlocals, 2);
    assert_memory_equal(m.funcs[1].local_types, ((const uint8_t[]){0x7D, 0x7D}), 2);
    wm_module_clear(&m);
}

static void test_utf8_names_accepted(void **state) {
    (void)state;
    static const uint8_t bytes[] = {
        HDR, 0x00, 0x0C, 0x0A,
        'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, /* a é € 😀 */
        0x00,
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_int_equal(m.ncustoms, 1);
    assert_int_equal(m.customs[0].name.len, 10);
    assert_int_equal(m.customs[0].len, 1);
    wm_module_clear(&m);
}

/* ------------------------------------------------------------------ name section */

static void test_name_section(void **state) {
    (void)state;
    /* The name section comes first (custom sections may be anywhere); an index out of
     * range is ignored, an embedded NUL truncates, a later entry replaces an earlier. */
    static const uint8_t bytes[] = {
        HDR,
        0x00, 0x19, 0x04, 'n', 'a', 'm', 'e',
        0x01, 0x12, 0x04,
        0x00, 0x02, 'a', 'b',
        0x09, 0x01, 'z',
        0x01, 0x03, 'x', 0x00, 'y',
        0x00, 0x03, 'a', 'b', 'c',
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x03, 0x02, 0x00, 0x00,
        0x0A, 0x07, 0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B,
    };
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_OK);
    assert_non_null(m.func_names);
    assert_string_equal(m.func_names[0], "abc");
    assert_string_equal(m.func_names[1], "x");
    wm_module_clear(&m);
}

static void test_name_section_malformed_is_ignored(void **state) {
    (void)state;
    static const uint8_t bad_subsection_size[] = {
        HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
        0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x09, 0x01, 0x00, 0x01, 'f',
    };
    static const uint8_t bad_utf8[] = {
        HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
        0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x00, 0x01, 0xFF,
    };
    static const uint8_t trailing_bytes[] = {
        HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
        0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
        0x00, 0x0C, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x05, 0x01, 0x00, 0x01, 'f', 0x00,
    };
    static const uint8_t no_functions[] = {
        HDR, 0x00, 0x0B, 0x04, 'n', 'a', 'm', 'e', 0x01, 0x04, 0x01, 0x00, 0x01, 'f',
    };
    const struct {
        const uint8_t *bytes;
        size_t len;
    } cases[] = {
        {bad_subsection_size, sizeof bad_subsection_size},
        {bad_utf8, sizeof bad_utf8},
        {trailing_bytes, sizeof trailing_bytes},
        {no_functions, sizeof no_functions},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wm_module m;
        nxw_error err;
        assert_int_equal(decode(cases[i].bytes, cases[i].len, &m, &err), NXW_OK);
        assert_int_equal(m.ncustoms, 1);
        assert_null(m.func_names);
        wm_module_clear(&m);
    }
}

/* ------------------------------------------------------------------ malformed modules */

typedef struct bad_case {
    const char *what;
    nxw_status status;
    const char *prefix;
    size_t offset;
    const uint8_t *bytes;
    size_t len;
} bad_case;

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define MAL NXW_ERR_MALFORMED
/* type () -> (), one function of that type: sections end at offset 18 */
#define ONE_FUNC 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00

static const bad_case bad_cases[] = {
    /* header */
    {"empty input", MAL, "unexpected end", 0, (const uint8_t[]){0}, 0},
    {"short magic", MAL, "unexpected end", 3, BYTES(0x00, 0x61, 0x73)},
    {"bad magic", MAL, "magic header not detected", 0, BYTES('a', 's', 'm', 0x00, 1, 0, 0, 0)},
    {"no version", MAL, "unexpected end", 4, BYTES(0x00, 0x61, 0x73, 0x6D)},
    {"short version", MAL, "unexpected end", 7, BYTES(0x00, 0x61, 0x73, 0x6D, 1, 0, 0)},
    {"version 2", MAL, "unknown binary version", 4, BYTES(0x00, 0x61, 0x73, 0x6D, 2, 0, 0, 0)},
    /* section framing */
    {"section id 13", MAL, "malformed section id", 8, BYTES(HDR, 0x0D, 0x00)},
    {"section id 0x80", MAL, "malformed section id", 8, BYTES(HDR, 0x80, 0x00, 0x01, 0x00)},
    {"no section size", MAL, "unexpected end", 9, BYTES(HDR, 0x01)},
    {"section past end", MAL, "length out of bounds", 9, BYTES(HDR, 0x01, 0x05, 0x00)},
    {"section one past end", MAL, "unexpected end", 9, BYTES(HDR, 0x00, 0x02, 0x00)},
    {"section size too long", MAL, "integer representation too long", 13,
     BYTES(HDR, 0x00, 0x83, 0x80, 0x80, 0x80, 0x80, 0x00, 0x01, 0x31, 0x32)},
    {"section size mismatch", MAL, "section size mismatch", 14,
     BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x00, 0x00, 0x00)},
    {"section out of order", MAL, "unexpected content after last section", 11,
     BYTES(HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00)},
    {"section repeated", MAL, "unexpected content after last section", 11,
     BYTES(HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00)},
    {"data count after code", MAL, "unexpected content after last section", 11,
     BYTES(HDR, 0x0A, 0x01, 0x00, 0x0C, 0x01, 0x00)},
    {"two start sections", MAL, "unexpected content after last section", 21,
     BYTES(HDR, ONE_FUNC, 0x08, 0x01, 0x00, 0x08, 0x01, 0x00, 0x0A, 0x04, 0x01, 0x02, 0x00,
           0x0B)},
    /* vectors and LEB128 */
    {"count past section", MAL, "length out of bounds", 10, BYTES(HDR, 0x01, 0x01, 0x05)},
    {"huge count", MAL, "length out of bounds", 10,
     BYTES(HDR, 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F)},
    {"entry past section", MAL, "unexpected end of section or function", 13,
     BYTES(HDR, 0x01, 0x03, 0x01, 0x60, 0x00)},
    {"u32 too long", MAL, "integer representation too long", 16,
     BYTES(HDR, 0x05, 0x08, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x80, 0x00)},
    {"u32 too large", MAL, "integer too large", 16,
     BYTES(HDR, 0x05, 0x07, 0x01, 0x00, 0x82, 0x80, 0x80, 0x80, 0x70)},
    {"u32 straddling the section end", MAL, "integer representation too long", 15,
     BYTES(HDR, 0x03, 0x03, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)},
    {"u32 cut by the section end", MAL, "unexpected end of section or function", 13,
     BYTES(HDR, 0x03, 0x03, 0x01, 0x80, 0x80, 0x00)},
    {"s32 too long", MAL, "integer representation too long", 18,
     BYTES(HDR, 0x06, 0x0B, 0x01, 0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0B)},
    {"s32 unused bits set", MAL, "integer too large", 18,
     BYTES(HDR, 0x06, 0x0A, 0x01, 0x7F, 0x00, 0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0B)},
    {"s32 unused bits unset", MAL, "integer too large", 18,
     BYTES(HDR, 0x06, 0x0A, 0x01, 0x7F, 0x00, 0x41, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x0B)},
    {"s64 too long", MAL, "integer representation too long", 23,
     BYTES(HDR, 0x06, 0x10, 0x01, 0x7E, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
           0x80, 0x80, 0x80, 0x00, 0x0B)},
    {"s64 unused bits set", MAL, "integer too large", 23,
     BYTES(HDR, 0x06, 0x0F, 0x01, 0x7E, 0x00, 0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
           0x80, 0x80, 0x7E, 0x0B)},
    {"s64 unused bits unset", MAL, "integer too large", 23,
     BYTES(HDR, 0x06, 0x0F, 0x01, 0x7E, 0x00, 0x42, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
           0xFF, 0xFF, 0x01, 0x0B)},
    {"f64 cut short", MAL, "unexpected end of section or function", 14,
     BYTES(HDR, 0x06, 0x07, 0x01, 0x7C, 0x00, 0x44, 0x00, 0x00, 0x00)},
    /* names */
    {"overlong UTF-8", MAL, "malformed UTF-8 encoding", 12,
     BYTES(HDR, 0x02, 0x07, 0x01, 0x02, 0xC0, 0x80, 0x00, 0x00, 0x00)},
    {"surrogate", MAL, "malformed UTF-8 encoding", 12,
     BYTES(HDR, 0x07, 0x07, 0x01, 0x03, 0xED, 0xA0, 0x80, 0x00, 0x00)},
    {"above U+10FFFF", MAL, "malformed UTF-8 encoding", 11,
     BYTES(HDR, 0x00, 0x05, 0x04, 0xF4, 0x90, 0x80, 0x80)},
    {"overlong 3-byte", MAL, "malformed UTF-8 encoding", 11,
     BYTES(HDR, 0x00, 0x04, 0x03, 0xE0, 0x80, 0xAF)},
    {"truncated sequence", MAL, "malformed UTF-8 encoding", 11,
     BYTES(HDR, 0x00, 0x03, 0x02, 0xE2, 0x82)},
    {"lone continuation byte", MAL, "malformed UTF-8 encoding", 12,
     BYTES(HDR, 0x00, 0x03, 0x02, 'a', 0x80)},
    {"custom name past section", MAL, "length out of bounds", 10,
     BYTES(HDR, 0x00, 0x02, 0x05, 0x61)},
    /* types */
    {"function type form 0x61", MAL, "malformed function type", 11,
     BYTES(HDR, 0x01, 0x04, 0x01, 0x61, 0x00, 0x00)},
    {"function type form as LEB128", MAL, "integer representation too long", 11,
     BYTES(HDR, 0x01, 0x05, 0x01, 0xE0, 0x7F, 0x00, 0x00)},
    {"value type 0x40", MAL, "malformed value type", 13,
     BYTES(HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x40, 0x00)},
    {"table reference type", MAL, "malformed reference type", 11,
     BYTES(HDR, 0x04, 0x04, 0x01, 0x7F, 0x00, 0x00)},
    {"limits flag 2", MAL, "integer too large", 11, BYTES(HDR, 0x05, 0x02, 0x01, 0x02)},
    {"limits flag 0x81", MAL, "integer representation too long", 11,
     BYTES(HDR, 0x05, 0x05, 0x01, 0x81, 0x00, 0x00, 0x00)},
    {"memory max missing", MAL, "unexpected end of section or function", 13,
     BYTES(HDR, 0x05, 0x03, 0x01, 0x01, 0x00)},
    {"malformed mutability", MAL, "malformed mutability", 12,
     BYTES(HDR, 0x06, 0x06, 0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B)},
    /* imports and exports */
    {"import kind 4", MAL, "malformed import kind", 13, BYTES(HDR, 0x02, 0x04, 0x01, 0x00, 0x00, 0x04)},
    {"import kind 0x80", MAL, "malformed import kind", 13,
     BYTES(HDR, 0x02, 0x05, 0x01, 0x00, 0x00, 0x80, 0x00)},
    {"imported global mutability", MAL, "malformed mutability", 15,
     BYTES(HDR, 0x02, 0x06, 0x01, 0x00, 0x00, 0x03, 0x7F, 0xFF)},
    {"export kind 4", MAL, "malformed export kind", 12,
     BYTES(HDR, 0x07, 0x04, 0x01, 0x00, 0x04, 0x00)},
    /* constant expressions */
    {"illegal opcode", MAL, "illegal opcode", 13,
     BYTES(HDR, 0x06, 0x05, 0x01, 0x7F, 0x00, 0x06, 0x0B)},
    {"non-constant instruction", NXW_ERR_INVALID, "constant expression required", 15,
     BYTES(HDR, 0x06, 0x07, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x6A, 0x0B)},
    {"prefixed instruction", NXW_ERR_INVALID, "constant expression required", 13,
     BYTES(HDR, 0x06, 0x06, 0x01, 0x7F, 0x00, 0xFC, 0x00, 0x0B)},
    {"constexpr without end", MAL, "unexpected end of section or function", 15,
     BYTES(HDR, 0x06, 0x05, 0x01, 0x7F, 0x00, 0x41, 0x00)},
    {"ref.null type", MAL, "malformed reference type", 14,
     BYTES(HDR, 0x06, 0x06, 0x01, 0x70, 0x00, 0xD0, 0x7F, 0x0B)},
    /* element and data segments */
    {"element flags 8", MAL, "malformed elements segment kind", 11,
     BYTES(HDR, 0x09, 0x02, 0x01, 0x08)},
    {"element kind 1", MAL, "malformed element kind", 12,
     BYTES(HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00)},
    {"element reference type", MAL, "malformed reference type", 12,
     BYTES(HDR, 0x09, 0x04, 0x01, 0x05, 0x7F, 0x00)},
    {"element illegal opcode", MAL, "illegal opcode", 14,
     BYTES(HDR, 0x09, 0x07, 0x01, 0x05, 0x70, 0x01, 0xF3, 0x00, 0x0B)},
    {"data flags 3", MAL, "malformed data segment kind", 11, BYTES(HDR, 0x0B, 0x02, 0x01, 0x03)},
    {"data bytes past section", MAL, "length out of bounds", 12,
     BYTES(HDR, 0x0B, 0x05, 0x01, 0x01, 0x05, 0x61, 0x62)},
    {"data bytes one past section", MAL, "unexpected end of section or function", 12,
     BYTES(HDR, 0x0B, 0x05, 0x01, 0x01, 0x03, 0x61, 0x62)},
    {"data count above data", MAL, "data count and data section have inconsistent lengths", 13,
     BYTES(HDR, 0x0C, 0x01, 0x03, 0x0B, 0x05, 0x02, 0x01, 0x00, 0x01, 0x00)},
    {"data count without data", MAL, "data count and data section have inconsistent lengths",
     11, BYTES(HDR, 0x0C, 0x01, 0x01)},
    /* functions and bodies */
    {"functions without code", MAL, "function and code section have inconsistent lengths", 19,
     BYTES(HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x00)},
    {"more bodies than functions", MAL, "function and code section have inconsistent lengths",
     20, BYTES(HDR, ONE_FUNC, 0x0A, 0x07, 0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B)},
    {"code without functions", MAL, "function and code section have inconsistent lengths", 10,
     BYTES(HDR, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B)},
    {"too many locals", MAL, "too many locals", 23,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x08, 0x01, 0x06, 0x01, 0xFF, 0xFF, 0x03, 0x7F, 0x0B)},
    {"too many locals in sum", MAL, "too many locals", 27,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x0C, 0x01, 0x0A, 0x02, 0xB0, 0xEA, 0x01, 0x7F, 0xB0, 0xEA,
           0x01, 0x7E, 0x0B)},
    {"local count above 2^32", MAL, "integer too large", 27,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x0C, 0x01, 0x0A, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x7F,
           0x02, 0x7E, 0x0B)},
    {"local type", MAL, "malformed value type", 24,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x06, 0x01, 0x04, 0x01, 0x01, 0x40, 0x0B)},
    {"locals past body", MAL, "unexpected end of section or function", 24,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x05, 0x01, 0x02, 0x01, 0x05, 0x7F)},
    {"body without instructions", MAL, "unexpected end of section or function", 23,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x03, 0x01, 0x01, 0x00)},
    {"body size past section", MAL, "length out of bounds", 21,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x04, 0x01, 0x09, 0x00, 0x0B)},
    {"last body without end", MAL, "unexpected end of section or function", 23,
     BYTES(HDR, ONE_FUNC, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x01)},
    {"body without end", MAL, "END opcode expected", 24,
     BYTES(HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x03, 0x02, 0x00, 0x00, 0x0A, 0x07,
           0x02, 0x02, 0x00, 0x01, 0x02, 0x00, 0x0B)},
};

static void test_malformed_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        wm_module m;
        nxw_error err;
        nxw_status st = decode(c->bytes, c->len, &m, &err);
        bool ok = st == c->status && err.status == c->status &&
                  strncmp(err.message, c->prefix, strlen(c->prefix)) == 0 &&
                  err.offset == c->offset && err.trap == NXW_TRAP_NONE &&
                  err.func_index == UINT32_MAX && is_zeroed(&m);
        if (!ok)
            fail_msg("case \"%s\": status %d (want %d), offset %zu (want %zu), message \"%s\" "
                     "(want prefix \"%s\")",
                     c->what, (int)st, (int)c->status, err.offset, c->offset, err.message,
                     c->prefix);
    }
}

/* A message names what was read and where. */
static void test_message_details(void **state) {
    (void)state;
    static const uint8_t bytes[] = {HDR, 0x01, 0x03, 0x01, 0x60, 0x00};
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, sizeof bytes, &m, &err), NXW_ERR_MALFORMED);
    assert_string_equal(err.message, "unexpected end of section or function: reading result "
                                     "count in type section entry 0 at offset 13");
}

/* Implementation limits reject a module without allocating for it. */
static void test_too_many_types(void **state) {
    (void)state;
    const uint32_t count = WM_MAX_TYPES + 1;
    const size_t content = 4 + (size_t)count; /* count (4-byte LEB) + filler */
    const size_t len = 8 + 1 + 5 + content;
    uint8_t *bytes = calloc(len, 1);
    assert_non_null(bytes);
    memcpy(bytes, (const uint8_t[]){HDR}, 8);
    uint8_t *p = bytes + 8;
    *p++ = 0x01;
    for (int i = 0; i < 5; i++) /* section size as a 5-byte LEB128 */
        *p++ = (uint8_t)(((content >> (7 * i)) & 0x7F) | (i < 4 ? 0x80 : 0));
    for (int i = 0; i < 4; i++)
        *p++ = (uint8_t)(((count >> (7 * i)) & 0x7F) | (i < 3 ? 0x80 : 0));
    wm_module m;
    nxw_error err;
    assert_int_equal(decode(bytes, len, &m, &err), NXW_ERR_MALFORMED);
    assert_int_equal(strncmp(err.message, "too many types", 14), 0);
    assert_int_equal(err.offset, 14);
    free(bytes);
}

/* ------------------------------------------------------------------ robustness */

/* Every prefix of the full module fails cleanly, except those that end on a section
 * boundary where the module is complete. */
static void test_truncation(void **state) {
    (void)state;
    for (size_t len = 0; len <= sizeof full_module; len++) {
        /* a fresh allocation of exactly len bytes lets ASan catch any overread */
        uint8_t *copy = malloc(len > 0 ? len : 1);
        assert_non_null(copy);
        memcpy(copy, full_module, len);
        wm_module m;
        nxw_error err;
        nxw_status st = decode(copy, len, &m, &err);
        if (is_valid_cut(len)) {
            if (st != NXW_OK)
                fail_msg("prefix of %zu bytes: %s", len, err.message);
            wm_module_clear(&m);
        } else {
            if (st != NXW_ERR_MALFORMED)
                fail_msg("prefix of %zu bytes: status %d", len, (int)st);
            assert_true(err.offset <= len);
            assert_true(err.message[0] != '\0');
            assert_true(is_zeroed(&m));
        }
        free(copy);
    }
}

static uint32_t xorshift32(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* What must hold of any module the decoder accepts. */
static void check_module_invariants(const wm_module *m) {
    const uint8_t *lo = m->bytes, *hi = m->bytes + m->len;
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const wm_func *f = &m->funcs[i];
        assert_true(f->code_offset < f->code_end && f->code_end <= m->len);
        assert_int_equal(m->bytes[f->code_end - 1], 0x0B);
        assert_true(f->nlocals <= WM_MAX_LOCALS);
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        assert_true(m->datas[i].bytes >= lo && m->datas[i].bytes + m->datas[i].len <= hi);
    for (uint32_t i = 0; i < m->ncustoms; i++)
        assert_true(m->customs[i].data >= lo && m->customs[i].data + m->customs[i].len <= hi);
    for (uint32_t i = 0; i < m->nimports; i++)
        assert_true((const uint8_t *)m->imports[i].name.ptr + m->imports[i].name.len <= hi);
    if (m->has_datacount)
        assert_int_equal(m->datacount, m->ndatas);
}

/* Random corruptions of the full module: the decoder never crashes, answers the same
 * way twice, and leaves a zeroed module on failure. */
static void test_fuzz_flips(void **state) {
    (void)state;
    uint32_t seed = 0x9E3779B9u;
    uint8_t buf[sizeof full_module];
    size_t counts[8] = {0};
    for (int iter = 0; iter < 30000; iter++) {
        memcpy(buf, full_module, sizeof buf);
        int flips = 1 + (int)(xorshift32(&seed) % 3);
        for (int k = 0; k < flips; k++) {
            size_t at = 8 + xorshift32(&seed) % (sizeof buf - 8);
            uint32_t r = xorshift32(&seed);
            buf[at] = (r & 1) ? (uint8_t)(buf[at] ^ (1u << ((r >> 1) % 8))) : (uint8_t)(r >> 8);
        }
        size_t len = (iter % 7 == 0) ? xorshift32(&seed) % (sizeof buf + 1) : sizeof buf;
        uint8_t *copy = malloc(len > 0 ? len : 1);
        assert_non_null(copy);
        memcpy(copy, buf, len);
        wm_module m;
        nxw_error err, err2;
        nxw_status st = decode(copy, len, &m, &err);
        counts[st]++;
        if (st == NXW_OK) {
            check_module_invariants(&m);
            wm_module_clear(&m);
        } else {
            assert_true(st == NXW_ERR_MALFORMED || st == NXW_ERR_INVALID);
            assert_true(is_zeroed(&m));
            assert_true(err.offset <= len);
        }
        nxw_status st2 = decode(copy, len, &m, &err2);
        assert_int_equal(st, st2);
        if (st2 == NXW_OK)
            wm_module_clear(&m);
        else
            assert_string_equal(err.message, err2.message);
        free(copy);
    }
    assert_true(counts[NXW_OK] > 0);
    assert_true(counts[NXW_ERR_MALFORMED] > 0);
}

/* ------------------------------------------------------------------ wm_fail */

static void test_wm_fail(void **state) {
    (void)state;
    nxw_error err;
    memset(&err, 0xAB, sizeof err);
    assert_int_equal(wm_fail(&err, NXW_ERR_INVALID, 42, "type mismatch: %s %d", "x", 7),
                     NXW_ERR_INVALID);
    assert_int_equal(err.status, NXW_ERR_INVALID);
    assert_int_equal(err.trap, NXW_TRAP_NONE);
    assert_int_equal(err.offset, 42);
    assert_int_equal(err.func_index, UINT32_MAX);
    assert_string_equal(err.message, "type mismatch: x 7");
    assert_int_equal(wm_fail(NULL, NXW_ERR_MALFORMED, 0, "ignored"), NXW_ERR_MALFORMED);
    /* long messages are truncated, not overflowed */
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    wm_fail(&err, NXW_ERR_MALFORMED, 0, "%s", big);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    /* a NULL err is fine for the decoder too */
    wm_module m;
    assert_int_equal(wm_decode((const uint8_t[]){0, 1}, 2, &m, NULL), NXW_ERR_MALFORMED);
    assert_true(is_zeroed(&m));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_module),
        cmocka_unit_test(test_full_module),
        cmocka_unit_test(test_index_spaces),
        cmocka_unit_test(test_leb128_values),
        cmocka_unit_test(test_constexpr_count),
        cmocka_unit_test(test_zero_local_runs),
        cmocka_unit_test(test_utf8_names_accepted),
        cmocka_unit_test(test_name_section),
        cmocka_unit_test(test_name_section_malformed_is_ignored),
        cmocka_unit_test(test_malformed_cases),
        cmocka_unit_test(test_message_details),
        cmocka_unit_test(test_too_many_types),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_fuzz_flips),
        cmocka_unit_test(test_wm_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
