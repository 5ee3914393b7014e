/*
 * test_units.c — unit tests of the server's pieces that need no network: strict base64
 * (round trips, every rejection rule) and the server settings (defaults, sizes, ports,
 * tokens, messages naming the variable, describe hiding the token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "nexus_server.h"

/* ---------------------------------------------------------------- base64 */

static void expect_encoding(const char *bytes, const char *text)
{
    size_t len = 0;
    char *enc = nxsrv_base64_encode((const uint8_t *)bytes, strlen(bytes), &len);
    assert_non_null(enc);
    assert_string_equal(enc, text);
    assert_int_equal(len, strlen(text));
    char why[160];
    size_t n = 99;
    uint8_t *dec = nxsrv_base64_decode(text, strlen(text), &n, why, sizeof why);
    assert_non_null(dec);
    assert_int_equal(n, strlen(bytes));
    assert_memory_equal(dec, bytes, n);
    free(enc);
    free(dec);
}

static void test_base64_rfc4648_vectors(void **state)
{
    (void)state;
    expect_encoding("", "");
    expect_encoding("f", "Zg==");
    expect_encoding("fo", "Zm8=");
    expect_encoding("foo", "Zm9v");
    expect_encoding("foob", "Zm9vYg==");
    expect_encoding("fooba", "Zm9vYmE=");
    expect_encoding("foobar", "Zm9vYmFy");
}

static void test_base64_all_bytes_round_trip(void **state)
{
    (void)state;
    uint8_t bytes[256 * 3 + 2];
    for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof bytes; len += 1 + len / 3) {
        size_t tlen;
        char *text = nxsrv_base64_encode(bytes, len, &tlen);
        assert_non_null(text);
        assert_int_equal(tlen % 4, 0);
        size_t n;
        char why[160];
        uint8_t *back = nxsrv_base64_decode(text, tlen, &n, why, sizeof why);
        assert_non_null(back);
        assert_int_equal(n, len);
        if (len) assert_memory_equal(back, bytes, len);
        free(text);
        free(back);
    }
}

static void expect_rejected(const char *text, const char *reason)
{
    char why[160] = "";
    size_t n;
    uint8_t *dec = nxsrv_base64_decode(text, strlen(text), &n, why, sizeof why);
    assert_null(dec);
    if (!strstr(why, reason)) fail_msg("'%s': expected '%s' in '%s'", text, reason, why);
}

static void test_base64_strict(void **state)
{
    (void)state;
    expect_rejected("Zm9", "not a multiple of 4");
    expect_rejected("Zm9vY", "not a multiple of 4");
    expect_rejected("Zm9v\nYmFy", "not a multiple of 4");
    expect_rejected("Zm 9", "invalid character (byte 0x20) at offset 2");
    expect_rejected("Zm*v", "invalid character '*' at offset 2");
    expect_rejected("Zm9-", "invalid character '-' at offset 3"); /* base64url */
    expect_rejected("Zg==Zm9v", "misplaced padding");
    expect_rejected("====", "misplaced padding");
    expect_rejected("Z===", "misplaced padding");
    expect_rejected("Z=9v", "misplaced padding");
    expect_rejected("Zh==", "non-zero unused bits"); /* "f" is Zg== */
    expect_rejected("Zm9=", "non-zero unused bits"); /* "fo" is Zm8= */
    expect_rejected("Zm\xc3\xa9", "byte 0xc3");
}

/* ---------------------------------------------------------------- settings */

static void test_config_defaults(void **state)
{
    (void)state;
    nxsrv_config c;
    nxsrv_config_defaults(&c);
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.port, 3000);
    assert_int_equal(c.body_limit, 1 << 20);
    assert_string_equal(c.auth_token, "");
    assert_int_equal(c.shutdown_grace_ms, 10000);
}

static void test_sizes(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t bytes; } ok[] = {
        {"1mb", 1 << 20}, {"512kb", 512 << 10}, {"100b", 100}, {"12345", 12345},
        {"1MB", 1 << 20}, {"2Kb", 2048}, {"1gb", 1 << 30}, {"1", 1}, {"1073741824", 1 << 30},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 0;
        assert_true(nxsrv_parse_size(ok[i].text, &v));
        assert_int_equal(v, ok[i].bytes);
    }
    static const char *const bad[] = {"", "mb", "0", "0kb", "-1", "1.5mb", "1 mb", " 1mb",
                                      "1m", "1mbb", "2gb", "1073741825", "1025mb",
                                      "99999999999999999999999", "1tb", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 7;
        if (nxsrv_parse_size(bad[i], &v)) fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(v, 7);
    }
}

static void expect_set_error(const char *name, const char *value, const char *part)
{
    nxsrv_config c;
    nxsrv_config_defaults(&c);
    char err[256] = "";
    assert_false(nxsrv_config_set(&c, name, value, err, sizeof err));
    if (strncmp(err, name, strlen(name)) != 0 || !strstr(err, part))
        fail_msg("%s=%s: message '%s' lacks the name or '%s'", name, value, err, part);
}

static void test_config_set(void **state)
{
    (void)state;
    nxsrv_config c;
    nxsrv_config_defaults(&c);
    char err[256];
    assert_true(nxsrv_config_set(&c, "HOST", "::1", err, sizeof err));
    assert_true(nxsrv_config_set(&c, "HTTP_PORT", "0", err, sizeof err));
    assert_true(nxsrv_config_set(&c, "BODY_LIMIT", "64kb", err, sizeof err));
    assert_true(nxsrv_config_set(&c, "AUTH_TOKEN", "s3cr3t-T0ken_~", err, sizeof err));
    assert_true(nxsrv_config_set(&c, "SHUTDOWN_GRACE_MS", "250", err, sizeof err));
    assert_string_equal(c.host, "::1");
    assert_int_equal(c.port, 0);
    assert_int_equal(c.body_limit, 64 << 10);
    assert_string_equal(c.auth_token, "s3cr3t-T0ken_~");
    assert_int_equal(c.shutdown_grace_ms, 250);

    expect_set_error("HTTP_PORT", "65536", "0 to 65535");
    expect_set_error("HTTP_PORT", "80a", "\"80a\"");
    expect_set_error("HTTP_PORT", "", "whole number");
    expect_set_error("HTTP_PORT", "-1", "whole number");
    expect_set_error("BODY_LIMIT", "1.5mb", "such as 1mb");
    expect_set_error("BODY_LIMIT", "0", "from 1b to 1gb");
    expect_set_error("HOST", "", "IP address or host name");
    expect_set_error("HOST", "a b", "\"a b\"");
    expect_set_error("AUTH_TOKEN", "", "unset: no authentication");
    expect_set_error("AUTH_TOKEN", "two words", "without spaces");
    expect_set_error("SHUTDOWN_GRACE_MS", "3600001", "0 to 3600000");
    assert_false(nxsrv_config_set(&c, "NOPE", "1", err, sizeof err));
    assert_non_null(strstr(err, "unknown server setting \"NOPE\""));
}

static void test_config_describe_hides_token(void **state)
{
    (void)state;
    nxsrv_config c;
    nxsrv_config_defaults(&c);
    char err[256];
    assert_true(nxsrv_config_set(&c, "AUTH_TOKEN", "hunter2", err, sizeof err));
    char *text = nxsrv_config_describe(&c);
    assert_non_null(text);
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "(set)"));
    static const char *const names[] = {"HOST", "HTTP_PORT", "BODY_LIMIT", "AUTH_TOKEN",
                                        "SHUTDOWN_GRACE_MS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_non_null(strstr(text, names[i]));
    assert_non_null(strstr(text, "1mb"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_base64_all_bytes_round_trip),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_config_describe_hides_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
