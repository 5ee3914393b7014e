/*
 * rt_test.h — small helpers shared by the runtime tests: a runtime with a test
 * configuration, executing a handler and getting its result as parsed JSON, and
 * asserting on result fields.
 */
#ifndef NEXUS_TESTS_RT_TEST_H
#define NEXUS_TESTS_RT_TEST_H

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nexus.h"

/* A configuration for tests: small pool, memory-only cache unless a dir is given. */
static inline nx_config rt_test_config(const char *cache_dir)
{
    nx_config cfg;
    nx_config_defaults(&cfg);
    cfg.min_instances = 1;
    cfg.max_instances = 2;
    cfg.log_level = NX_LOG_ERROR;
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s", cache_dir ? cache_dir : "");
    return cfg;
}

static inline nx_runtime *rt_test_open(const nx_config *cfg)
{
    char err[512];
    nx_runtime *rt = nx_runtime_create(cfg, err, sizeof err);
    if (!rt) fprintf(stderr, "nx_runtime_create: %s\n", err);
    assert_non_null(rt);
    return rt;
}

/* The result as parsed JSON (caller decrefs); the nx_result is freed unless kept. */
static inline json_t *rt_json(nx_result *r)
{
    assert_non_null(r);
    char *text = nx_result_json(r);
    assert_non_null(text);
    json_error_t e;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &e);
    if (!j) fprintf(stderr, "result is not JSON: %s\n%s\n", e.text, text);
    assert_non_null(j);
    free(text);
    nx_result_free(r);
    return j;
}

/* Executes and returns the parsed result. */
static inline json_t *rt_exec(nx_runtime *rt, const char *code, const char *context,
                              uint32_t timeout_ms)
{
    return rt_json(nx_execute(rt, code, strlen(code), context, timeout_ms));
}

/* A field by path "a.b.0.c" (array indices as numbers); NULL when absent. */
static inline json_t *rt_get(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && j; part = strtok_r(NULL, ".", &save)) {
        if (json_is_array(j)) j = json_array_get(j, strtoul(part, NULL, 10));
        else j = json_object_get(j, part);
    }
    return j;
}

/* Compact JSON text of a field (static buffer; "<absent>" when missing). */
static inline const char *rt_text(json_t *j, const char *path)
{
    static char out[4096];
    json_t *v = rt_get(j, path);
    if (!v) return "<absent>";
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, sizeof out, "%s", t ? t : "<error>");
    free(t);
    return out;
}

/* Prints the result when an expectation fails. */
static inline void rt_expect_text(json_t *j, const char *path, const char *expected)
{
    const char *got = rt_text(j, path);
    if (strcmp(got, expected) != 0) {
        char *all = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "%s: expected %s, got %s\nresult: %.2000s\n", path, expected, got, all);
        free(all);
    }
    assert_string_equal(got, expected);
}

/* Asserts an error result with `code` whose message contains `needle` (may be NULL). */
static inline void rt_expect_error(json_t *j, const char *code, const char *needle)
{
    rt_expect_text(j, "status", "\"error\"");
    char expected[64];
    snprintf(expected, sizeof expected, "\"%s\"", code);
    rt_expect_text(j, "error.code", expected);
    if (needle) {
        const char *msg = json_string_value(rt_get(j, "error.message"));
        if (!msg || !strstr(msg, needle))
            fprintf(stderr, "message %s lacks \"%s\"\n", msg ? msg : "(none)", needle);
        assert_non_null(msg);
        assert_non_null(strstr(msg, needle));
    }
}

#endif /* NEXUS_TESTS_RT_TEST_H */
