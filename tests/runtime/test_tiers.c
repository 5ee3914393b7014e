/*
 * test_tiers.c — the guest as native code (the default: the engine's ahead-of-time
 * compiler) and the guest in the engine's interpreter (INTERPRET_GUEST=1) give the same
 * results: status, return value, state mutations, events, view commands, logs and errors
 * (code, message, stack, location), for ordinary handlers, for the JavaScript features
 * whose C code is most exposed to the compiler (floating point, number formatting,
 * regular expressions, sorting, typed arrays, BigInt, exceptions) and for hostile ones
 * ending in TIMEOUT, MEMORY_LIMIT or a stack overflow; suspensions suspend alike and
 * resume alike. Only metrics and suspension ids may differ.
 */
#include "rt_test.h"

static nx_runtime *native_rt, *interp_rt;

static int setup(void **state)
{
    (void)state;
    nx_config cfg = rt_test_config(NULL);
    native_rt = rt_test_open(&cfg);
    cfg.interpret_guest = 1;
    interp_rt = rt_test_open(&cfg);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nx_runtime_destroy(native_rt);
    nx_runtime_destroy(interp_rt);
    return 0;
}

/* The result without what legitimately differs between the two (metrics, ids). */
static json_t *comparable(nx_result *r, char *id, size_t id_size)
{
    json_t *j = rt_json(r);
    json_object_del(j, "metrics");
    json_t *s = json_object_get(j, "suspension");
    if (id) snprintf(id, id_size, "%s", json_string_value(json_object_get(s, "suspensionId")) ?: "");
    if (s) json_object_del(s, "suspensionId");
    return j;
}

static void expect_same(json_t *native, json_t *interp, const char *what)
{
    if (!json_equal(native, interp)) {
        char *a = json_dumps(native, JSON_COMPACT), *b = json_dumps(interp, JSON_COMPACT);
        fprintf(stderr, "%s\nnative:      %.3000s\ninterpreted: %.3000s\n", what, a, b);
        free(a);
        free(b);
    }
    assert_true(json_equal(native, interp));
}

/* Runs `code` in both and compares; returns the native result's status text. */
static void same(const char *code, const char *ctx, uint32_t timeout_ms)
{
    json_t *a = comparable(nx_execute(native_rt, code, strlen(code), ctx, timeout_ms), NULL, 0);
    json_t *b = comparable(nx_execute(interp_rt, code, strlen(code), ctx, timeout_ms), NULL, 0);
    expect_same(a, b, code);
    json_decref(a);
    json_decref(b);
}

#define CAPS "\"capabilities\": [\"state:read:*\", \"state:write:*\", \"events:emit:*\", " \
             "\"view:update:*\", \"ext:*\"]"

static void test_ordinary_handlers(void **state)
{
    (void)state;
    const char *ctx = "{\"stateSnapshot\": {\"count\": 41, \"items\": [3, 1, 2], \"name\": \"Zoë\"}, "
                      "\"args\": {\"by\": 2}, " CAPS "}";
    same("$state.count += $args.by; $emit('changed', $state.count); return $state.count", ctx, 0);
    same("$state.items = [...$state.items].sort(); delete $state.name;"
         "$view.update('list', {rows: $state.items}); console.log('n', $state.items.length);"
         "return Object.keys($state)", ctx, 0);
    same("return $state.name.toUpperCase() + '/' + $state.name.normalize('NFD').length", ctx, 0);
    same("$state.secret = 1", "{\"capabilities\": []}", 0);                    /* denied */
    same("try { $emit('x') } catch (e) { return e.message }", "{}", 0);        /* caught */
    same("return (", "{}", 0);                                                  /* syntax */
    same("function f() { throw new TypeError('bad ' + 1) }\nf()", "{}", 0);    /* location */
}

static void test_language_features(void **state)
{
    (void)state;
    same("return [0.1 + 0.2, 1 / 3, -0, 1e21, 1e-7, 2 ** 53 + 1, (123.456).toFixed(2),"
         "(0.000001234).toPrecision(2), (255).toString(16), Number('0x1f'), parseFloat('3.5e2x'),"
         "Math.sqrt(2), Math.fround(5.5), Math.hypot(3, 4), Math.max(NaN, 1), Math.min(-0, 0),"
         "Math.round(-2.5), Math.sign(-3), Math.trunc(-4.7), Math.atan2(1, -1), 7 % -3, -7 % 3,"
         "2 ** -1074, Number.MAX_VALUE * 2, (1e300 * 1e10).toString(), 0 / 0]", "{}", 0);
    same("return [1 << 31, -1 >>> 0, 5 >> 1, ~7, 0x7fffffff + 1 | 0, Math.imul(0x12345678, 9),"
         "Math.clz32(1), (-8) >> 1, 2 ** 32 >>> 0]", "{}", 0);
    same("const a = Array.from({length: 500}, (_, i) => (i * 7919) % 1000 - 500);"
         "a.sort((x, y) => x - y); const s = a.map(String).sort();"
         "return [a.slice(0, 5), s.slice(0, 5), a.reduce((p, c) => p + c, 0)]", "{}", 0);
    same("const m = 'a1b22c333'.match(/\\d+/g); const r = 'Hello World'.replace(/o/g, '0');"
         "return [m, r, /^(\\w+)\\s(\\w+)$/.exec('ab cd').slice(1), 'x,y,,z'.split(','),"
         "'ǅungla'.toLowerCase(), 'ß'.toUpperCase(), escape('é'), encodeURIComponent('a b&')]",
         "{}", 0);
    same("const t = new Float64Array([1.5, -2.25, NaN]); const u = new Uint8Array(t.buffer);"
         "const d = new DataView(new ArrayBuffer(8)); d.setFloat32(0, 3.14); d.setInt16(4, -2);"
         "return [Array.from(u).slice(0, 8), d.getUint32(0), d.getInt16(4), Array.from(t)]", "{}", 0);
    same("return [String(2n ** 100n), String(-(3n ** 40n) / 7n), String(BigInt.asIntN(8, 255n))]",
         "{}", 0);
    same("const o = JSON.parse('{\"a\":[1,2,{\"b\":null}],\"c\":\"\\\\u00e9\"}');"
         "return [JSON.stringify(o), JSON.stringify({x: 1e21, y: -0, z: [undefined]}),"
         "JSON.stringify('\\u2028')]", "{}", 0);
    same("function* g() { let i = 0; while (i < 5) yield i++ } const p = new Proxy({}, {"
         "get: (t, k) => k.toString().length}); class A { #x = 2; get x() { return this.#x } }"
         "return [[...g()], p.hello, new A().x, [1, [2, [3, [4]]]].flat(Infinity),"
         "Object.entries({b: 1, a: 2}), new Map([[1, 'a']]).get(1), [...new Set('abca')]]",
         "{}", 0);
}

static void test_hostile_handlers(void **state)
{
    (void)state;
    same("while (true) {}", "{}", 200);
    same("const a = []; while (true) a.push(new Array(1e5).fill(1))", "{}", 0);
    same("function f(n) { return f(n + 1) + 1 } return f(0)", "{}", 0);
    same("function f(n) { try { return f(n + 1) + 1 } catch (e) { return n } } return f(0)",
         "{}", 0);
    same("let s = 'x'; for (let i = 0; i < 23; i++) s += s; return s.length", "{}", 0);
    same("for (let i = 0; i < 200; i++) $emit('e', i)", "{" CAPS "}", 0);
    same("Object.prototype.toJSON = () => 'p'; $state.a = {b: 1}; return {c: 2}", "{" CAPS "}", 0);
    same("return [typeof eval, (() => { try { return Function('return 1')() } catch (e) {"
         " return e.message } })()]", "{}", 0);
}

static void test_suspensions(void **state)
{
    (void)state;
    const char *code = "$state.step = 1; const r = await $ext.http.get('u', {n: 1});"
                       "$emit('got', r); let e; try { await $ext.db.q() } catch (x) { e = x.message }"
                       "return [r, e, $state.step]";
    const char *ctx = "{\"stateSnapshot\": {}, " CAPS "}";
    char ida[64], idb[64];
    json_t *a = comparable(nx_execute(native_rt, code, strlen(code), ctx, 0), ida, sizeof ida);
    json_t *b = comparable(nx_execute(interp_rt, code, strlen(code), ctx, 0), idb, sizeof idb);
    expect_same(a, b, "first suspension");
    rt_expect_text(a, "status", "\"suspended\"");
    json_decref(a);
    json_decref(b);
    a = comparable(nx_resume(native_rt, ida, true, "{\"status\": 200}", NULL), ida, sizeof ida);
    b = comparable(nx_resume(interp_rt, idb, true, "{\"status\": 200}", NULL), idb, sizeof idb);
    expect_same(a, b, "second suspension");
    json_decref(a);
    json_decref(b);
    a = comparable(nx_resume(native_rt, ida, false, NULL, "down"), NULL, 0);
    b = comparable(nx_resume(interp_rt, idb, false, NULL, "down"), NULL, 0);
    expect_same(a, b, "completion");
    rt_expect_text(a, "returnValue", "[{\"status\":200},\"down\",1]");
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_handlers),
        cmocka_unit_test(test_language_features),
        cmocka_unit_test(test_hostile_handlers),
        cmocka_unit_test(test_suspensions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
