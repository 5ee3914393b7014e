/*
 * test_hostile.c — hostile handlers: each ends with the right error code, and the next
 * execution on the same pool (one instance, so it is the same instance) succeeds.
 */
#include "rt_test.h"

#include "nexus_wasm.h"

static nx_runtime *rt;

static int setup(void **state)
{
    (void)state;
    nx_config cfg = rt_test_config(NULL);
    cfg.min_instances = 1;
    cfg.max_instances = 1;
    cfg.timeout_ms = 30000; /* generous: sanitizer builds run the guest 10-20x slower */
    rt = rt_test_open(&cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nx_runtime_destroy(rt);
    return 0;
}

#define CAPS "{\"stateSnapshot\": {\"n\": 1}, \"capabilities\": [\"state:read:*\", " \
             "\"state:write:*\", \"events:emit:*\"]}"

/* Runs a hostile handler, checks its error, then checks the pool still works cleanly. */
static void hostile(const char *code, uint32_t timeout_ms, const char *error_code,
                    const char *needle)
{
    json_t *j = rt_exec(rt, code, CAPS, timeout_ms);
    rt_expect_error(j, error_code, needle);
    json_decref(j);
    j = rt_exec(rt,
                "return [typeof globalThis.leak, [].polluted, typeof $emit, $state.n, "
                "JSON.stringify({a: 1})]",
                CAPS, 0);
    rt_expect_text(j, "status", "\"success\"");
    rt_expect_text(j, "returnValue", "[\"undefined\",null,\"function\",1,\"{\\\"a\\\":1}\"]");
    json_decref(j);
}

static void test_infinite_loop(void **state)
{
    (void)state;
    uint64_t t0 = nxw_now_ns();
    hostile("globalThis.leak = 1; while (true) {}", 100, "TIMEOUT", "100 ms");
    assert_true((nxw_now_ns() - t0) / 1000000 < 1000);
    hostile("for (;;) { try { while (true) {} } catch (e) {} }", 100, "TIMEOUT", NULL);
}

static void test_memory_bomb(void **state)
{
    (void)state;
    hostile("globalThis.leak = []; for (;;) leak.push(new Array(100000).fill(1.5))", 0,
            "MEMORY_LIMIT", "memory limit");
    hostile("let s = 'x'; for (;;) s = s + s", 0, "MEMORY_LIMIT", NULL);
    hostile("try { const a = []; for (;;) a.push({}) } catch (e) { return 'caught' }", 0,
            "MEMORY_LIMIT", NULL);
}

static void test_deep_recursion(void **state)
{
    (void)state;
    hostile("function f(n) { return f(n + 1) + 1 } return f(0)", 0, "EXECUTION_ERROR",
            "stack overflow");
    hostile("const o = {}; o.toString = () => String(o); return String(o)", 0,
            "EXECUTION_ERROR", NULL);
}

static void test_huge_return(void **state)
{
    (void)state;
    hostile("return 'x'.repeat(10 * 1024 * 1024)", 0, "RESOURCE_LIMIT", "MAX_VALUE_SIZE_KB");
}

static void test_floods(void **state)
{
    (void)state;
    hostile("for (;;) $state.n", 0, "RESOURCE_LIMIT", "MAX_HOST_CALLS");
    hostile("for (let i = 0; ; i++) $emit('e' + i, i)", 0, "RESOURCE_LIMIT", "MAX_EVENTS");
    hostile("for (let i = 0; ; i++) $state['k' + i] = i", 0, "RESOURCE_LIMIT",
            "MAX_STATE_MUTATIONS");
}

static void test_tampering(void **state)
{
    (void)state;
    hostile("Array.prototype.polluted = 1; Object.prototype.toJSON = () => 'x';"
            "globalThis.$emit = null; JSON.stringify = () => 'evil'; throw new Error('t')",
            0, "EXECUTION_ERROR", "t");
    hostile("globalThis.leak = 1; $state = null; throw new Error('x')", 0, "EXECUTION_ERROR",
            NULL);
    hostile("Object.defineProperty(globalThis, '$state', {value: 1}); throw 1", 0,
            "EXECUTION_ERROR", NULL);
    hostile("Object.setPrototypeOf($state, null); Object.freeze(Object.prototype); throw 1", 0,
            "EXECUTION_ERROR", NULL);
}

static void test_code_generation(void **state)
{
    (void)state;
    hostile("return eval('1 + 1')", 0, "EXECUTION_ERROR", NULL);
    hostile("return Function('return 1')()", 0, "EXECUTION_ERROR", NULL);
    hostile("return new Function('return 1')()", 0, "EXECUTION_ERROR", NULL);
    hostile("return (async function(){}).constructor('return 1')()", 0, "EXECUTION_ERROR", NULL);
    hostile("return await import('os')", 0, "EXECUTION_ERROR", "import");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infinite_loop),   cmocka_unit_test(test_memory_bomb),
        cmocka_unit_test(test_deep_recursion),  cmocka_unit_test(test_huge_return),
        cmocka_unit_test(test_floods),          cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_code_generation),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
