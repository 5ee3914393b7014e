/*
 * test_jsontext.c — JSON text without a tree (src/runtime/jsontext.c): the MessagePack
 * written straight from text is byte for byte what nxv_from_json writes for jansson's
 * parse of the same text (scalars at every size boundary, escapes, astral characters,
 * containers of 0/15/16/65535/65536 elements, nesting); every way a text can be invalid
 * is refused with a message and the offset of the problem, as jansson refuses it;
 * indexed objects find their keys, keep their order and refuse duplicates; nesting
 * limits of validation (2048) and conversion (NXG_MAX_DEPTH) are exact.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"
#include "nexus_guest_abi.h"

/* ------------------------------------------------------------------ helpers */

/* Converts text both ways (ours, and jansson + nxv_from_json) and compares the bytes. */
static void expect_same_as_jansson(const char *text)
{
    size_t len = strlen(text), pos = 0;
    nxj_error err;
    if (!nxj_skip(text, len, &pos, &err)) fail_msg("refused %.60s: %s", text, err.text);
    while (pos < len && strchr(" \t\r\n", text[pos])) pos++; /* trailing blanks */
    assert_int_equal(pos, len);
    nxv_buf ours = {0}, theirs = {0};
    assert_true(nxj_to_mp(&ours, text, len));
    json_error_t je;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
    if (!v) fail_msg("jansson refuses %.60s: %s", text, je.text);
    assert_true(nxv_from_json(&theirs, v));
    json_decref(v);
    if (ours.len != theirs.len || memcmp(ours.data, theirs.data, ours.len) != 0)
        fail_msg("MessagePack differs for %.60s (%zu vs %zu bytes)", text, ours.len, theirs.len);
    nxv_buf_free(&ours);
    nxv_buf_free(&theirs);
}

/* Expects text to be refused, with a message containing `what` at byte `offset`, and
 * jansson to refuse it too. */
static void expect_refused(const char *text, size_t text_len, const char *what, size_t offset)
{
    size_t pos = 0;
    nxj_error err = {0};
    if (nxj_skip(text, text_len, &pos, &err) && pos == text_len)
        fail_msg("accepted %.60s", text);
    if (!strstr(err.text, what)) fail_msg("%.60s: message \"%s\" lacks \"%s\"", text, err.text, what);
    if (err.offset != offset)
        fail_msg("%.60s: offset %zu, expected %zu (%s)", text, err.offset, offset, err.text);
    json_error_t je;
    json_t *v = json_loadb(text, text_len, JSON_DECODE_ANY, &je);
    if (v) fail_msg("jansson accepts %.60s", text);
}

/* n copies of `item` joined by commas inside open/close. */
static char *repeat(const char *open, const char *item, size_t n, const char *close)
{
    size_t il = strlen(item), cap = strlen(open) + n * (il + 1) + strlen(close) + 1;
    char *s = malloc(cap), *p = s;
    assert_non_null(s);
    p += sprintf(p, "%s", open);
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        memcpy(p, item, il);
        p += il;
    }
    sprintf(p, "%s", close);
    return s;
}

/* ------------------------------------------------------------------ tests */

static void test_scalars_match_jansson(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0", "-0", "1", "127", "128", "255", "256", "65535", "65536", "4294967295",
        "4294967296", "9223372036854775807", "-1", "-32", "-33", "-128", "-129",
        "-32768", "-32769", "-2147483648", "-2147483649", "-9223372036854775808",
        "1.5", "-0.0", "1e3", "1E-3", "2.5e+10", "0.1", "1.7976931348623157e308",
        "4.9e-324", "123456789012345678901234567890.5", "true", "false", "null",
        "\"\"", "\"abc\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u4e2d\"",
        "\"\\ud83d\\ude00\"", "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"",
        "\"0123456789012345678901234567890\"", "\"01234567890123456789012345678901\"",
        "  \n\t 42 \r\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) expect_same_as_jansson(texts[i]);
    char *long_string = malloc(70000 + 3);
    assert_non_null(long_string);
    long_string[0] = '"';
    memset(long_string + 1, 'x', 70000);
    strcpy(long_string + 70001, "\"");
    expect_same_as_jansson(long_string);
    long_string[256 + 1] = '"';
    long_string[256 + 2] = 0;
    expect_same_as_jansson(long_string);
    free(long_string);
}

static void test_containers_match_jansson(void **state)
{
    (void)state;
    expect_same_as_jansson("[]");
    expect_same_as_jansson("{}");
    expect_same_as_jansson("[ 1 , [2, [3, {\"a\": [ ]}]], {\"b\": {\"c\": null}} ]");
    expect_same_as_jansson("{\"id\":1,\"name\":\"item-1\",\"tags\":[\"a\",\"b\"],\"x\":{}}");
    static const size_t sizes[] = {15, 16, 65535, 65536};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *a = repeat("[", "[1,\"s\"]", sizes[i], "]");
        expect_same_as_jansson(a);
        free(a);
    }
    /* objects of 15, 16 and 65536 members: keys must differ for jansson */
    static const size_t members[] = {15, 16, 65536};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        size_t n = members[i];
        char *o = malloc(n * 24 + 3), *p = o;
        assert_non_null(o);
        *p++ = '{';
        for (size_t k = 0; k < n; k++) p += sprintf(p, "%s\"k%zu\":%zu", k ? "," : "", k, k);
        strcpy(p, "}");
        expect_same_as_jansson(o);
        free(o);
    }
}

static void test_invalid_texts_are_refused_where_they_fail(void **state)
{
    (void)state;
#define REFUSE(lit, what, off) expect_refused(lit, sizeof(lit) - 1, what, off)
    REFUSE("", "premature end", 0);
    REFUSE("   ", "premature end", 3);
    REFUSE("tru", "invalid token", 0);
    REFUSE("nul", "invalid token", 0);
    REFUSE("+1", "invalid token", 0);
    REFUSE(".5", "invalid token", 0);
    REFUSE("1.", "digits expected after '.'", 2);
    REFUSE("1e", "digits expected in the exponent", 2);
    REFUSE("1e+", "digits expected in the exponent", 3);
    REFUSE("-", "invalid token", 0);
    REFUSE("9223372036854775808", "too big integer", 0);
    REFUSE("-9223372036854775809", "too big integer", 0);
    REFUSE("1e400", "real number overflow", 0);
    REFUSE("[1,]", "invalid token", 3);
    REFUSE("[1 2]", "']' or ','", 3);
    REFUSE("[1", "premature end of input in an array", 2);
    REFUSE("{\"a\" 1}", "':' expected", 5);
    REFUSE("{\"a\":1,}", "string or '}' expected", 7);
    REFUSE("{1:2}", "string or '}' expected", 1);
    REFUSE("{\"a\":1", "premature end of input in an object", 6);
    REFUSE("\"abc", "premature end of input in a string", 4);
    REFUSE("\"a\tb\"", "control character 0x09", 2);
    REFUSE("\"\\x\"", "invalid escape", 3);
    REFUSE("\"\\u12\"", "4 hex digits", 3);
    REFUSE("\"\\u0000\"", "\\u0000 is not allowed", 7);
    REFUSE("\"\\ud800\"", "high surrogate", 7);
    REFUSE("\"\\ud800\\u0041\"", "high surrogate", 13);
    REFUSE("\"\\udc00\"", "lone low surrogate", 7);
    REFUSE("\"\xc0\x80\"", "invalid UTF-8", 1);         /* overlong NUL */
    REFUSE("\"\xe0\x80\x80\"", "invalid UTF-8", 1);     /* overlong */
    REFUSE("\"\xed\xa0\x80\"", "invalid UTF-8", 1);     /* a surrogate in UTF-8 */
    REFUSE("\"\xf4\x90\x80\x80\"", "invalid UTF-8", 1); /* above U+10FFFF */
    REFUSE("\"\xff\"", "invalid UTF-8", 1);
    REFUSE("\"\xc3\"", "invalid UTF-8", 1);             /* truncated sequence */
#undef REFUSE
    /* a NUL byte inside the text is not JSON either */
    expect_refused("\"a\0b\"", 5, "control character 0x00", 2);
}

static void test_nesting_limits(void **state)
{
    (void)state;
    /* validation: 2048 levels (as jansson) accepted, 2049 refused */
    char *deep;
    size_t n = NXJ_MAX_DEPTH + 1; /* arrays at depths 0..2048 */
    deep = malloc(2 * n + 2);
    assert_non_null(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = 0;
    size_t pos = 0;
    nxj_error err;
    assert_true(nxj_skip(deep + 1, 2 * n - 2, &pos, &err));
    pos = 0;
    assert_false(nxj_skip(deep, 2 * n, &pos, &err));
    assert_non_null(strstr(err.text, "maximum parsing depth"));
    free(deep);
    /* conversion: values at depth NXG_MAX_DEPTH convert, one level more does not */
    size_t m = NXG_MAX_DEPTH + 1; /* arrays at depths 0..NXG_MAX_DEPTH, empty innermost */
    deep = malloc(2 * m + 2);
    assert_non_null(deep);
    memset(deep, '[', m);
    memset(deep + m, ']', m);
    nxv_buf b = {0};
    assert_true(nxj_to_mp(&b, deep, 2 * m));
    size_t len = b.len;
    /* the innermost array now holds a value one level too deep */
    char *deeper = malloc(2 * m + 3);
    assert_non_null(deeper);
    memcpy(deeper, deep, m);
    deeper[m] = '1';
    memcpy(deeper + m + 1, deep + m, m);
    assert_false(nxj_to_mp(&b, deeper, 2 * m + 1));
    assert_int_equal(b.len, len); /* nothing appended on failure */
    nxv_buf_free(&b);
    free(deep);
    free(deeper);
}

static void test_indexed_object(void **state)
{
    (void)state;
    const char *text = " {\"b\": [1, 2], \"a\\u00e9\": {\"x\": \"y\"}, \"c\": null, \"\": 5} tail";
    size_t pos = 0;
    nxj_object *o;
    nxj_error err;
    assert_true(nxj_object_parse(text, strlen(text), &pos, &o, &err));
    assert_string_equal(text + pos, " tail");
    assert_int_equal(o->count, 4);
    assert_string_equal(o->members[0].key, "b");
    assert_string_equal(o->members[1].key, "a\xc3\xa9");
    assert_string_equal(o->members[2].key, "c");
    assert_string_equal(o->members[3].key, "");
    const nxj_member *m = nxj_object_find(o, "a\xc3\xa9");
    assert_ptr_equal(m, &o->members[1]);
    assert_int_equal(m->len, strlen("{\"x\": \"y\"}"));
    assert_memory_equal(o->text + m->off, "{\"x\": \"y\"}", m->len);
    assert_ptr_equal(nxj_object_find(o, ""), &o->members[3]);
    assert_null(nxj_object_find(o, "a"));
    assert_null(nxj_object_find(o, "missing"));
    nxv_buf b = {0};
    m = nxj_object_find(o, "b");
    assert_true(nxj_to_mp(&b, o->text + m->off, m->len));
    static const uint8_t two[] = {0x92, 0x01, 0x02};
    assert_int_equal(b.len, sizeof two);
    assert_memory_equal(b.data, two, sizeof two);
    nxv_buf_free(&b);
    nxj_object_free(o);

    /* many keys: the index grows; every key is found */
    char *big = malloc(5000 * 24 + 3), *p = big;
    assert_non_null(big);
    *p++ = '{';
    for (int k = 0; k < 5000; k++) p += sprintf(p, "%s\"key%d\":%d", k ? "," : "", k, k);
    strcpy(p, "}");
    pos = 0;
    assert_true(nxj_object_parse(big, strlen(big), &pos, &o, &err));
    assert_int_equal(o->count, 5000);
    for (int k = 0; k < 5000; k++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", k);
        m = nxj_object_find(o, key);
        assert_non_null(m);
        assert_int_equal(atoi(o->text + m->off), k);
    }
    nxj_object_free(o);
    free(big);
}

static void test_indexed_object_refusals(void **state)
{
    (void)state;
    nxj_object *o = (nxj_object *)&o; /* must be reset to NULL on failure */
    nxj_error err;
    size_t pos = 0;
    const char *dup = "{\"a\": 1, \"b\": 2, \"a\": 3}";
    assert_false(nxj_object_parse(dup, strlen(dup), &pos, &o, &err));
    assert_null(o);
    assert_string_equal(err.text, "duplicate object key");
    assert_int_equal(err.offset, 17);
    assert_int_equal(pos, 0); /* unchanged */
    const char *esc = "{\"a\": 1, \"\\u0061\": 3}"; /* the same key, escaped */
    assert_false(nxj_object_parse(esc, strlen(esc), &pos, &o, &err));
    assert_string_equal(err.text, "duplicate object key");
    assert_false(nxj_object_parse("[1]", 3, &pos, &o, &err));
    assert_string_equal(err.text, "an object expected");
    assert_false(nxj_object_parse("{\"a\": [1,}", 10, &pos, &o, &err));
    assert_int_equal(err.offset, 9);
    /* inside values a repeated key is kept, and the last one wins when read */
    const char *inner = "{\"v\": {\"k\": 1, \"k\": 2}}";
    assert_true(nxj_object_parse(inner, strlen(inner), &pos, &o, &err));
    nxj_object_free(o);
}

/* Delimiting indexes the same members and spans as parsing, for valid text; invalid
 * member values pass (their reader refuses them), broken structure does not. */
static void test_delimited_object(void **state)
{
    (void)state;
    const char *text = "{\"a\": [1, {\"b\": \"x]}\\\"\"}], \"c\":-1.5e3 ,\"d\":{}, \"e\": \"}\"}";
    size_t p1 = 0, p2 = 0;
    nxj_object *full, *shallow;
    nxj_error err;
    assert_true(nxj_object_parse(text, strlen(text), &p1, &full, &err));
    assert_true(nxj_object_delimit(text, strlen(text), &p2, &shallow, &err));
    assert_int_equal(p1, p2);
    assert_int_equal(full->count, shallow->count);
    for (size_t i = 0; i < full->count; i++) {
        assert_string_equal(full->members[i].key, shallow->members[i].key);
        assert_int_equal(full->members[i].off, shallow->members[i].off);
        assert_int_equal(full->members[i].len, shallow->members[i].len);
    }
    nxj_object_free(full);
    nxj_object_free(shallow);
    const char *bad_value = "{\"a\": [1,,2], \"b\": tru}";
    p2 = 0;
    assert_true(nxj_object_delimit(bad_value, strlen(bad_value), &p2, &shallow, &err));
    assert_int_equal(shallow->members[0].len, strlen("[1,,2]"));
    assert_int_equal(shallow->members[1].len, 3);
    nxj_object_free(shallow);
    static const char *const broken[] = {"{\"a\": }", "{\"a\": [1, 2}", "{\"a\": \"x}",
                                         "{\"a\" 1}", "{\"a\": 1, \"a\": 2}", "{\"a\": [[["};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        p2 = 0;
        if (nxj_object_delimit(broken[i], strlen(broken[i]), &p2, &shallow, &err))
            fail_msg("delimited %s", broken[i]);
        assert_null(shallow);
    }
}

static void test_line_column(void **state)
{
    (void)state;
    int line, column;
    const char *t = "{\n  \"a\": x\n}";
    nxj_line_column(t, 0, &line, &column);
    assert_int_equal(line, 1);
    assert_int_equal(column, 1);
    nxj_line_column(t, 9, &line, &column);
    assert_int_equal(line, 2);
    assert_int_equal(column, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars_match_jansson),
        cmocka_unit_test(test_containers_match_jansson),
        cmocka_unit_test(test_invalid_texts_are_refused_where_they_fail),
        cmocka_unit_test(test_nesting_limits),
        cmocka_unit_test(test_indexed_object),
        cmocka_unit_test(test_indexed_object_refusals),
        cmocka_unit_test(test_delimited_object),
        cmocka_unit_test(test_line_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
