/*
 * test_runtime.c — the handler runtime through its public API (nexus.h): results,
 * the host API with capabilities and quotas, errors, suspend/resume, bytecode, the
 * compile cache on disk, the pool, stats, metrics and shutdown.
 */
#include "rt_test.h"

#include <pthread.h>
#include <sys/stat.h>

#include "nexus_wasm.h"

static nx_runtime *rt;
static nx_config cfg;

static int setup(void **state)
{
    (void)state;
    cfg = rt_test_config(NULL);
    rt = rt_test_open(&cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nx_runtime_destroy(rt);
    rt = NULL;
    return 0;
}

#define ALL_CAPS                                                                              \
    "\"capabilities\": [\"state:read:*\", \"state:write:*\", \"events:emit:*\", "            \
    "\"view:update:*\", \"ext:*\"]"

/* ---------------------------------------------------------------- results */

static void test_counter_handler(void **state)
{
    (void)state;
    const char *code = "$state.count++; $emit('changed', {count: $state.count});"
                       "$view.focus('input1'); return $state.count * 10;";
    const char *ctx = "{\"panelId\": \"p1\", \"handlerName\": \"inc\", "
                      "\"stateSnapshot\": {\"count\": 41}, " ALL_CAPS "}";
    json_t *j = rt_exec(rt, code, ctx, 0);
    rt_expect_text(j, "status", "\"success\"");
    rt_expect_text(j, "returnValue", "420");
    rt_expect_text(j, "stateMutations", "[{\"key\":\"count\",\"value\":42,\"operation\":\"set\"}]");
    rt_expect_text(j, "events", "[{\"name\":\"changed\",\"payload\":{\"count\":42}}]");
    rt_expect_text(j, "viewCommands", "[{\"type\":\"focus\",\"componentId\":\"input1\",\"args\":[]}]");
    rt_expect_text(j, "metrics.cacheHit", "false");
    rt_expect_text(j, "metrics.hostCalls.stateGet", "3");
    rt_expect_text(j, "metrics.hostCalls.stateSet", "1");
    assert_true(json_integer_value(rt_get(j, "metrics.instructionCount")) > 1000);
    assert_true(json_integer_value(rt_get(j, "metrics.memoryPeakBytes")) >=
                json_integer_value(rt_get(j, "metrics.memoryUsedBytes")));
    assert_true(json_integer_value(rt_get(j, "metrics.compilationTimeUs")) > 0);
    assert_non_null(rt_get(j, "metrics.durationUs"));
    json_decref(j);

    /* the same source again: from the cache, from a pristine instance */
    j = rt_exec(rt, code, ctx, 0);
    rt_expect_text(j, "returnValue", "420");
    rt_expect_text(j, "metrics.cacheHit", "true");
    rt_expect_text(j, "metrics.compilationTimeUs", "0");
    json_decref(j);
}

static void test_values_and_context(void **state)
{
    (void)state;
    json_t *j = rt_exec(rt,
                        "return {args: $args, scope: $scope, nan: NaN, neg: -0, big: 2**60,"
                        " s: 'a\\u0000b\\u{1F600}', u: undefined, arr: [1, undefined]}",
                        "{\"args\": {\"x\": [1, 2]}, \"scope\": \"s\"}", 0);
    rt_expect_text(j, "returnValue",
                   "{\"args\":{\"x\":[1,2]},\"scope\":\"s\",\"nan\":null,\"neg\":-0.0,"
                   "\"big\":1.152921504606847e18,\"s\":\"a\\u0000b😀\",\"arr\":[1,null]}");
    json_decref(j);

    /* $args is read-only */
    j = rt_exec(rt, "'use strict'; $args.x = 1;", "{\"args\": {\"x\": 0}}", 0);
    rt_expect_error(j, "EXECUTION_ERROR", "read-only");
    json_decref(j);

    /* state: delete, has, keys; mutations in order */
    j = rt_exec(rt,
                "const before = Object.keys($state); delete $state.a; $state.c = [1];"
                "$state.b = 'x'; return [before, 'a' in $state, 'c' in $state, Object.keys($state)]",
                "{\"stateSnapshot\": {\"a\": 1, \"b\": 2}, " ALL_CAPS "}", 0);
    rt_expect_text(j, "returnValue", "[[\"a\",\"b\"],false,true,[\"b\",\"c\"]]");
    rt_expect_text(j, "stateMutations",
                   "[{\"key\":\"a\",\"operation\":\"delete\"},"
                   "{\"key\":\"c\",\"value\":[1],\"operation\":\"set\"},"
                   "{\"key\":\"b\",\"value\":\"x\",\"operation\":\"set\"}]");
    json_decref(j);

    /* logs */
    j = rt_exec(rt, "$log('hello', 1); console.warn('careful'); $log.error({e: 1})", NULL, 0);
    rt_expect_text(j, "logs",
                   "[{\"level\":\"info\",\"message\":\"hello 1\"},"
                   "{\"level\":\"warn\",\"message\":\"careful\"},"
                   "{\"level\":\"error\",\"message\":\"{\\\"e\\\":1}\"}]");
    json_decref(j);
}

/* ---------------------------------------------------------------- capabilities */

static char audit_lines[8192];
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static void collect_audit(void *user, const char *line)
{
    (void)user;
    pthread_mutex_lock(&audit_lock);
    strncat(audit_lines, line, sizeof audit_lines - strlen(audit_lines) - 2);
    strcat(audit_lines, "\n");
    pthread_mutex_unlock(&audit_lock);
}

static void test_capabilities(void **state)
{
    (void)state;
    /* none granted: reading throws a catchable error naming the token */
    json_t *j = rt_exec(rt, "try { return $state.secret } catch (e) { return [e.code, e.message] }",
                        "{\"stateSnapshot\": {\"secret\": 1}}", 0);
    rt_expect_text(j, "returnValue",
                   "[\"PERMISSION_DENIED\",\"permission denied: missing capability "
                   "state:read:secret\"]");
    json_decref(j);

    /* uncaught: PERMISSION_DENIED */
    j = rt_exec(rt, "$state.count = 1", "{\"capabilities\": [\"state:read:count\"]}", 0);
    rt_expect_error(j, "PERMISSION_DENIED", "state:write:count");
    json_decref(j);
    j = rt_exec(rt, "$emit('boom')", "{\"capabilities\": [\"events:emit:other\"]}", 0);
    rt_expect_error(j, "PERMISSION_DENIED", "events:emit:boom");
    json_decref(j);
    j = rt_exec(rt, "$view.setFilter('t1', 'x')", "{\"capabilities\": [\"view:update:t2\"]}", 0);
    rt_expect_error(j, "PERMISSION_DENIED", "view:update:t1");
    json_decref(j);
    j = rt_exec(rt, "await $ext.http.get('u')", "{\"capabilities\": [\"ext:mail\"]}", 0);
    rt_expect_error(j, "PERMISSION_DENIED", "ext:http");
    json_decref(j);

    /* specific grants; keys lists only readable ones */
    j = rt_exec(rt, "$state.a = $state.a + 1; return Object.keys($state)",
                "{\"stateSnapshot\": {\"a\": 1, \"b\": 2}, "
                "\"capabilities\": [\"state:read:a\", \"state:write:a\"]}",
                0);
    rt_expect_text(j, "returnValue", "[\"a\"]");
    rt_expect_text(j, "stateMutations.0.value", "2");
    json_decref(j);

    /* audit records */
    nx_config c = rt_test_config(NULL);
    c.audit = collect_audit;
    nx_runtime *art = rt_test_open(&c);
    audit_lines[0] = '\0';
    j = rt_exec(art, "try { $state.x = 1 } catch (e) {} return $state.y",
                "{\"panelId\": \"P\", \"handlerName\": \"H\", \"stateSnapshot\": {\"y\": 5},"
                " \"capabilities\": [\"state:read:y\"]}",
                0);
    rt_expect_text(j, "returnValue", "5");
    json_decref(j);
    nx_runtime_destroy(art);
    char *first = audit_lines, *second = strchr(audit_lines, '\n');
    assert_non_null(second);
    *second++ = '\0';
    json_t *a = json_loads(first, 0, NULL), *b = json_loads(second, 0, NULL);
    assert_non_null(a);
    assert_non_null(b);
    rt_expect_text(a, "action", "\"state:write\"");
    rt_expect_text(a, "resource", "\"x\"");
    rt_expect_text(a, "allowed", "false");
    rt_expect_text(a, "panelId", "\"P\"");
    rt_expect_text(a, "handlerName", "\"H\"");
    assert_non_null(strchr(json_string_value(json_object_get(a, "time")), 'T'));
    rt_expect_text(b, "action", "\"state:read\"");
    rt_expect_text(b, "allowed", "true");
    json_decref(a);
    json_decref(b);
}

/* ---------------------------------------------------------------- quotas */

static void test_quotas(void **state)
{
    (void)state;
    nx_config c = rt_test_config(NULL);
    c.max_host_calls = 50;
    c.max_state_mutations = 5;
    c.max_events = 3;
    nx_runtime *q = rt_test_open(&c);
    json_t *j = rt_exec(q, "for (;;) Date.now()", NULL, 0);
    rt_expect_error(j, "RESOURCE_LIMIT", "MAX_HOST_CALLS");
    json_decref(j);
    j = rt_exec(q, "for (let i = 0; i < 10; i++) $state['k' + i] = i",
                "{\"capabilities\": [\"state:write:*\"]}", 0);
    rt_expect_error(j, "RESOURCE_LIMIT", "MAX_STATE_MUTATIONS");
    assert_int_equal(json_array_size(rt_get(j, "stateMutations")), 5); /* what was done */
    json_decref(j);
    j = rt_exec(q, "try { for (;;) $emit('e', 1) } catch (e) { return 'caught' }",
                "{\"capabilities\": [\"events:emit:*\"]}", 0);
    rt_expect_error(j, "RESOURCE_LIMIT", "MAX_EVENTS"); /* a quota cannot be caught */
    json_decref(j);
    j = rt_exec(q, "$state.big = 'x'.repeat(2000000)", "{\"capabilities\": [\"state:write:*\"]}", 0);
    rt_expect_error(j, "RESOURCE_LIMIT", "MAX_VALUE_SIZE_KB");
    json_decref(j);
    j = rt_exec(q, "return 1 + 1", NULL, 0); /* the pool is healthy */
    rt_expect_text(j, "returnValue", "2");
    json_decref(j);
    nx_runtime_destroy(q);
}

/* ---------------------------------------------------------------- errors */

static void test_errors(void **state)
{
    (void)state;
    json_t *j = rt_exec(rt, "let x = 1;\nlet y = ;\n", NULL, 0);
    rt_expect_error(j, "COMPILATION_ERROR", "SyntaxError");
    rt_expect_text(j, "error.location.line", "2");
    rt_expect_text(j, "error.location.column", "9");
    rt_expect_text(j, "error.snippet", "\"let y = ;\"");
    /* an execution that never ran still has the whole result shape */
    rt_expect_text(j, "stateMutations", "[]");
    rt_expect_text(j, "events", "[]");
    rt_expect_text(j, "metrics.cacheHit", "false");
    assert_true(json_integer_value(rt_get(j, "metrics.compilationTimeUs")) > 0);
    assert_true(json_integer_value(rt_get(j, "metrics.durationUs")) >=
                json_integer_value(rt_get(j, "metrics.compilationTimeUs")));
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"args\": [1,", 0);
    rt_expect_text(j, "viewCommands", "[]");
    rt_expect_text(j, "metrics.instructionCount", "0");
    rt_expect_text(j, "metrics.compilationTimeUs", "0");
    json_decref(j);

    j = rt_exec(rt, "const a = 1;\n  null.field;", NULL, 0);
    rt_expect_error(j, "EXECUTION_ERROR", "TypeError: cannot read property 'field' of null");
    rt_expect_text(j, "error.location.line", "2");
    rt_expect_text(j, "error.snippet", "\"  null.field;\"");
    assert_non_null(strstr(json_string_value(rt_get(j, "error.stack")), "handler.js:2"));
    json_decref(j);

    j = rt_exec(rt, "throw new Error('custom')", NULL, 0);
    rt_expect_error(j, "EXECUTION_ERROR", "custom");
    json_decref(j);
    j = rt_exec(rt, "await Promise.reject(new RangeError('r'))", NULL, 0);
    rt_expect_error(j, "EXECUTION_ERROR", "RangeError: r");
    json_decref(j);

    j = rt_json(nx_execute(rt, "", 0, NULL, 0));
    rt_expect_error(j, "INVALID_HANDLER", "empty");
    json_decref(j);
    j = rt_exec(rt, "  \n\t ", NULL, 0);
    rt_expect_error(j, "INVALID_HANDLER", "empty");
    json_decref(j);
    size_t big = cfg.max_source_bytes + 1;
    char *src = malloc(big + 1);
    memset(src, ' ', big);
    src[0] = '1';
    src[big] = '\0';
    j = rt_json(nx_execute(rt, src, big, NULL, 0));
    rt_expect_error(j, "INVALID_HANDLER", "MAX_SOURCE_SIZE_KB");
    json_decref(j);
    free(src);

    j = rt_exec(rt, "return 1", "{\"args\": [1,", 0);
    rt_expect_error(j, "INVALID_HANDLER", "invalid context");
    json_decref(j);
    j = rt_exec(rt, "return 1", "[1]", 0);
    rt_expect_error(j, "INVALID_HANDLER", "JSON object");
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"capabilities\": \"state:read:*\"}", 0);
    rt_expect_error(j, "INVALID_HANDLER", "capabilities must be an array");
    json_decref(j);

    /* the state snapshot is validated up front, though its values are read lazily */
    j = rt_exec(rt, "return 1", "{\"stateSnapshot\": [1]}", 0);
    rt_expect_error(j, "INVALID_HANDLER", "stateSnapshot must be an object");
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"stateSnapshot\": {\"a\": 1, \"a\": 2}}", 0);
    rt_expect_error(j, "INVALID_HANDLER", "duplicate object key (line 1, column 28)");
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"panelId\": \"p\",\n \"stateSnapshot\": {\"a\": [1, 2,]}}", 0);
    rt_expect_error(j, "INVALID_HANDLER", "invalid token (line 2, column 31)");
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"a\": 1} x", 0);
    rt_expect_error(j, "INVALID_HANDLER", "end of file expected (line 1, column 10)");
    json_decref(j);
    j = rt_exec(rt, "return 1", "{\"a\": 1, \"a\": 1}", 0);
    rt_expect_error(j, "INVALID_HANDLER", "duplicate object key");
    json_decref(j);
}

/* State values come from the snapshot's text unchanged: nesting, escapes, astral
 * characters, 64-bit integers, reals, and a null snapshot is no state. */
static void test_state_snapshot_values(void **state)
{
    (void)state;
    const char *ctx =
        "{\"stateSnapshot\": {\"v\": {\"list\": [1, -2, 3.5, 1e300, true, null, \"x\"],"
        " \"s\": \"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\", \"big\": 9007199254740993,"
        " \"nested\": {\"a\": {\"b\": {\"c\": []}}}}, \"other\": 1},"
        " \"capabilities\": [\"state:read:*\"]}";
    json_t *j = rt_exec(rt, "const v = $state.v; return [v.list, v.s, typeof v.big, v.nested, "
                            "Object.keys($state)]", ctx, 0);
    rt_expect_text(j, "status", "\"success\"");
    json_t *expected = json_loads("[[1, -2, 3.5, 1e300, true, null, \"x\"], \"caf\\u00e9 "
                                  "\\ud83d\\ude00 \\\"q\\\"\", \"bigint\", {\"a\": {\"b\": {\"c\": []}}}, "
                                  "[\"v\", \"other\"]]", 0, NULL);
    assert_non_null(expected);
    if (!json_equal(rt_get(j, "returnValue"), expected)) {
        char *got = json_dumps(rt_get(j, "returnValue"), 0);
        fail_msg("returnValue %s", got);
    }
    json_decref(expected);
    json_decref(j);
    j = rt_exec(rt, "return [$state.a, 'a' in $state]",
                "{\"stateSnapshot\": null, \"capabilities\": [\"state:read:*\"]}", 0);
    rt_expect_text(j, "status", "\"success\"");
    char *got = json_dumps(rt_get(j, "returnValue"), JSON_COMPACT);
    assert_string_equal(got, "[null,false]");
    free(got);
    json_decref(j);
}

static void test_timeout_override(void **state)
{
    (void)state;
    uint64_t t0 = nxw_now_ns();
    json_t *j = rt_exec(rt, "while (true) {}", NULL, 150);
    uint64_t ms = (nxw_now_ns() - t0) / 1000000;
    rt_expect_error(j, "TIMEOUT", "150 ms");
    assert_true(ms >= 150 && ms < 2000);
    json_decref(j);
    j = rt_exec(rt, "return 'ok'", NULL, 0);
    rt_expect_text(j, "returnValue", "\"ok\"");
    json_decref(j);
}

/* ---------------------------------------------------------------- suspend / resume */

static void test_suspend_resume(void **state)
{
    (void)state;
    const char *code = "$state.phase = 'loading'; $emit('start');"
                       "const r = await $ext.http.get('https://x', {n: 1});"
                       "$state.phase = 'done'; let err;"
                       "try { await $ext.http.post('u') } catch (e) { err = e.message }"
                       "return [r, err];";
    const char *ctx = "{\"stateSnapshot\": {}, " ALL_CAPS "}";
    nx_result *r = nx_execute(rt, code, strlen(code), ctx, 0);
    assert_int_equal(nx_result_status(r), NX_SUSPENDED);
    char id[64];
    snprintf(id, sizeof id, "%s", nx_result_suspension_id(r));
    assert_int_equal(strlen(id), 32);
    json_t *j = rt_json(r);
    rt_expect_text(j, "status", "\"suspended\"");
    rt_expect_text(j, "suspension.extensionName", "\"http\"");
    rt_expect_text(j, "suspension.method", "\"get\"");
    rt_expect_text(j, "suspension.args", "[\"https://x\",{\"n\":1}]");
    rt_expect_text(j, "stateMutations", "[{\"key\":\"phase\",\"value\":\"loading\",\"operation\":\"set\"}]");
    rt_expect_text(j, "events", "[{\"name\":\"start\",\"payload\":null}]");
    json_decref(j);

    r = nx_resume(rt, id, true, "{\"status\": 200}", NULL);
    assert_int_equal(nx_result_status(r), NX_SUSPENDED);
    snprintf(id, sizeof id, "%s", nx_result_suspension_id(r));
    j = rt_json(r);
    rt_expect_text(j, "suspension.method", "\"post\"");
    rt_expect_text(j, "stateMutations", "[{\"key\":\"phase\",\"value\":\"done\",\"operation\":\"set\"}]");
    rt_expect_text(j, "events", "[]");
    json_decref(j);

    j = rt_json(nx_resume(rt, id, false, NULL, "service unavailable"));
    rt_expect_text(j, "status", "\"success\"");
    rt_expect_text(j, "returnValue", "[{\"status\":200},\"service unavailable\"]");
    rt_expect_text(j, "stateMutations", "[]");
    json_decref(j);

    /* the id is spent */
    j = rt_json(nx_resume(rt, id, true, NULL, NULL));
    rt_expect_error(j, "RESOURCE_LIMIT", "unknown or expired suspension");
    json_decref(j);
    r = nx_resume(rt, "nonsense", true, NULL, NULL);
    assert_int_equal(nx_result_refusal(r), NX_REFUSAL_UNKNOWN_SUSPENSION);
    j = rt_json(r);
    rt_expect_error(j, "RESOURCE_LIMIT", "unknown or expired suspension");
    json_decref(j);

    /* uncaught rejection */
    r = nx_execute(rt, "await $ext.db.q()", 17, ctx, 0);
    snprintf(id, sizeof id, "%s", nx_result_suspension_id(r));
    nx_result_free(r);
    j = rt_json(nx_resume(rt, id, false, NULL, "db down"));
    rt_expect_error(j, "EXECUTION_ERROR", "db down");
    json_decref(j);

    /* registry: unknown method is a clear error */
    j = rt_exec(rt, "await $ext.http.delete()",
                "{\"extensionRegistry\": {\"http\": [\"get\"]}, " ALL_CAPS "}", 0);
    rt_expect_error(j, "EXECUTION_ERROR", "delete");
    json_decref(j);
}

static void test_suspension_ttl_and_pool(void **state)
{
    (void)state;
    nx_config c = rt_test_config(NULL);
    c.min_instances = 1;
    c.max_instances = 1;
    c.queue_timeout_ms = 100;
    c.suspension_ttl_ms = 300;
    nx_runtime *p = rt_test_open(&c);
    const char *ctx = "{\"capabilities\": [\"ext:*\"]}";
    nx_result *r = nx_execute(p, "return await $ext.a.b()", 23, ctx, 0);
    assert_int_equal(nx_result_status(r), NX_SUSPENDED);
    char id[64];
    snprintf(id, sizeof id, "%s", nx_result_suspension_id(r));
    nx_result_free(r);

    /* the only instance is held: the pool is exhausted */
    r = nx_execute(p, "return 1", 8, NULL, 0);
    assert_int_equal(nx_result_refusal(r), NX_REFUSAL_POOL_EXHAUSTED);
    json_t *j = rt_json(r);
    rt_expect_error(j, "RESOURCE_LIMIT", "instance pool exhausted");
    json_decref(j);
    char *stats = nx_stats_json(p);
    json_t *s = json_loads(stats, 0, NULL);
    free(stats);
    rt_expect_text(s, "pool.suspended", "1");
    json_decref(s);

    /* after the TTL the instance is reclaimed and the id is refused */
    usleep(400 * 1000);
    j = rt_exec(p, "return 2", NULL, 0);
    rt_expect_text(j, "returnValue", "2");
    json_decref(j);
    j = rt_json(nx_resume(p, id, true, "1", NULL));
    rt_expect_error(j, "RESOURCE_LIMIT", "unknown or expired suspension");
    json_decref(j);
    nx_runtime_destroy(p);
}

/* ---------------------------------------------------------------- bytecode and cache */

static void test_bytecode(void **state)
{
    (void)state;
    const char *code = "return $args * 2";
    nx_result *c = nx_precompile(rt, code, strlen(code));
    assert_int_equal(nx_result_status(c), NX_SUCCESS);
    size_t len;
    const uint8_t *bc = nx_result_bytecode(c, &len);
    assert_non_null(bc);
    json_t *j = rt_json(nx_execute_compiled(rt, bc, len, "{\"args\": 21}", 0));
    rt_expect_text(j, "returnValue", "42");
    json_decref(j);

    uint8_t *bad = malloc(len);
    for (size_t pos = 0; pos < len; pos += len / 7 + 1) { /* any modified byte is refused */
        memcpy(bad, bc, len);
        bad[pos] ^= 0x20;
        j = rt_json(nx_execute_compiled(rt, bad, len, NULL, 0));
        rt_expect_error(j, "INVALID_HANDLER", "invalid bytecode");
        json_decref(j);
    }
    j = rt_json(nx_execute_compiled(rt, bc, len / 2, NULL, 0)); /* truncated */
    rt_expect_error(j, "INVALID_HANDLER", "invalid bytecode");
    json_decref(j);
    j = rt_json(nx_execute_compiled(rt, (const uint8_t *)"\0asm\1\0\0\0", 8, NULL, 0));
    rt_expect_error(j, "INVALID_HANDLER", "invalid bytecode");
    json_decref(j);
    free(bad);
    j = rt_json(c);
    rt_expect_text(j, "status", "\"success\"");
    assert_int_equal(strlen(json_string_value(rt_get(j, "sha256"))), 64);
    json_decref(j);

    j = rt_json(nx_precompile(rt, "return (", 8));
    rt_expect_error(j, "COMPILATION_ERROR", NULL);
    json_decref(j);
}

static void test_disk_cache(void **state)
{
    (void)state;
    char dir[512], path[1024];
    const char *tmp = getenv("NEXUS_TEST_TMP");
    snprintf(dir, sizeof dir, "%s/rt-cache-%d", tmp ? tmp : "/tmp", (int)getpid());
    nx_config c = rt_test_config(dir);
    nx_runtime *a = rt_test_open(&c);
    const char *code = "return 'from disk'";
    json_t *j = rt_exec(a, code, NULL, 0);
    rt_expect_text(j, "metrics.cacheHit", "false");
    json_decref(j);
    nx_result *pc = nx_precompile(a, code, strlen(code));
    json_t *pj = rt_json(pc);
    snprintf(path, sizeof path, "%s/bytecode/%s.qjsbc", dir, json_string_value(rt_get(pj, "sha256")));
    json_decref(pj);
    nx_runtime_destroy(a);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);

    /* a new runtime finds it on disk */
    a = rt_test_open(&c);
    j = rt_exec(a, code, NULL, 0);
    rt_expect_text(j, "metrics.cacheHit", "true");
    rt_expect_text(j, "returnValue", "\"from disk\"");
    json_decref(j);
    nx_runtime_destroy(a);

    /* a corrupt file is detected, recompiled and replaced */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, (long)st.st_size - 3, SEEK_SET);
    fputc('#', f);
    fclose(f);
    a = rt_test_open(&c);
    j = rt_exec(a, code, NULL, 0);
    rt_expect_text(j, "metrics.cacheHit", "false");
    rt_expect_text(j, "returnValue", "\"from disk\"");
    json_decref(j);
    nx_runtime_destroy(a);
    a = rt_test_open(&c);
    j = rt_exec(a, code, NULL, 0);
    rt_expect_text(j, "metrics.cacheHit", "true");
    json_decref(j);
    nx_runtime_destroy(a);

    /* a truncated file too */
    assert_int_equal(truncate(path, 10), 0);
    a = rt_test_open(&c);
    j = rt_exec(a, code, NULL, 0);
    rt_expect_text(j, "metrics.cacheHit", "false");
    rt_expect_text(j, "returnValue", "\"from disk\"");
    json_decref(j);
    nx_runtime_destroy(a);
}

/* ---------------------------------------------------------------- stats, metrics */

static void test_stats_and_metrics(void **state)
{
    (void)state;
    nx_runtime *m = rt_test_open(&cfg);
    json_decref(rt_exec(m, "return 1", NULL, 0));
    json_decref(rt_exec(m, "return 1", NULL, 0));
    json_decref(rt_exec(m, "throw 1", NULL, 0));
    char *text = nx_stats_json(m);
    json_t *s = json_loads(text, 0, NULL);
    assert_non_null(s);
    free(text);
    rt_expect_text(s, "executions.total", "3");
    rt_expect_text(s, "executions.byStatus.success", "2");
    rt_expect_text(s, "executions.byErrorCode.EXECUTION_ERROR", "1");
    rt_expect_text(s, "cache.hits", "1");
    rt_expect_text(s, "cache.misses", "2");
    assert_non_null(rt_get(s, "durationUs.p99"));
    json_decref(s);
    char *prom = nx_metrics_prometheus(m);
    assert_non_null(strstr(prom, "nexus_executions_total{status=\"success\"} 2"));
    free(prom);
    nx_runtime_destroy(m);
}

/* ---------------------------------------------------------------- shutdown */

static void *run_forever(void *arg)
{
    nx_runtime *r = arg;
    return rt_exec(r, "while (true) {}", NULL, 0);
}

static void test_shutdown(void **state)
{
    (void)state;
    nx_config c = rt_test_config(NULL);
    c.timeout_ms = 0; /* no timeout: only the shutdown stops it */
    nx_runtime *s = rt_test_open(&c);
    pthread_t th;
    pthread_create(&th, NULL, run_forever, s);
    usleep(100 * 1000);
    uint64_t t0 = nxw_now_ns();
    nx_runtime_shutdown(s, 200);
    uint64_t ms = (nxw_now_ns() - t0) / 1000000;
    json_t *j;
    pthread_join(th, (void **)&j);
    rt_expect_error(j, "TIMEOUT", "shutting down");
    json_decref(j);
    assert_true(ms >= 190 && ms < 2000);
    nx_result *r = nx_execute(s, "return 1", 8, NULL, 0);
    assert_int_equal(nx_result_refusal(r), NX_REFUSAL_SHUTTING_DOWN);
    nx_result_free(r);
    j = rt_exec(s, "return 1", NULL, 0);
    rt_expect_error(j, "RESOURCE_LIMIT", "shutting down");
    json_decref(j);
    nx_runtime_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_handler),
        cmocka_unit_test(test_values_and_context),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_quotas),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_state_snapshot_values),
        cmocka_unit_test(test_timeout_override),
        cmocka_unit_test(test_suspend_resume),
        cmocka_unit_test(test_suspension_ttl_and_pool),
        cmocka_unit_test(test_bytecode),
        cmocka_unit_test(test_disk_cache),
        cmocka_unit_test(test_stats_and_metrics),
        cmocka_unit_test(test_shutdown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
