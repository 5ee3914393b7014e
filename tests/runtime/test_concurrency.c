/*
 * test_concurrency.c — 4 threads × 1,000 executions on one runtime (pool of 4): every
 * result is correct and belongs to its own execution. CI also runs it under
 * ThreadSanitizer (scripts/test.sh), where NEXUS_TEST_ITERATIONS lowers the count.
 */
#include "rt_test.h"

#include <pthread.h>

#define THREADS 4

static nx_runtime *rt;
static int iterations = 1000;

typedef struct worker {
    int id, ok;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char code[256], ctx[256], expected[64];
    for (int i = 0; i < iterations; i++) {
        /* two sources per thread alternate: cache hits and a shared cache */
        snprintf(code, sizeof code, "$state.n = $args.i + %d; $emit('t', $args.t); return [$args.t, $args.i * 2]",
                 i % 2);
        snprintf(ctx, sizeof ctx,
                 "{\"args\": {\"t\": %d, \"i\": %d}, \"capabilities\": [\"state:write:n\", "
                 "\"events:emit:t\"]}",
                 w->id, i);
        nx_result *r = nx_execute(rt, code, strlen(code), ctx, 0);
        char *text = nx_result_json(r);
        json_t *j = json_loads(text, 0, NULL);
        free(text);
        snprintf(expected, sizeof expected, "[%d,%d]", w->id, i * 2);
        char *rv = json_dumps(json_object_get(j, "returnValue"), JSON_COMPACT | JSON_ENCODE_ANY);
        json_t *m = json_object_get(json_array_get(json_object_get(j, "stateMutations"), 0), "value");
        json_t *e = json_object_get(json_array_get(json_object_get(j, "events"), 0), "payload");
        if (nx_result_status(r) == NX_SUCCESS && rv && strcmp(rv, expected) == 0 &&
            json_integer_value(m) == i + i % 2 && json_integer_value(e) == w->id)
            w->ok++;
        else
            fprintf(stderr, "thread %d iteration %d: %s\n", w->id, i, rv ? rv : "(none)");
        free(rv);
        json_decref(j);
        nx_result_free(r);
    }
    return NULL;
}

static void test_four_threads(void **state)
{
    (void)state;
    const char *n = getenv("NEXUS_TEST_ITERATIONS");
    if (n) iterations = atoi(n);
    nx_config cfg = rt_test_config(NULL);
    cfg.max_instances = THREADS;
    cfg.queue_timeout_ms = 30000;
    rt = rt_test_open(&cfg);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) assert_int_equal(w[i].ok, iterations);
    char *stats = nx_stats_json(rt);
    json_t *s = json_loads(stats, 0, NULL);
    free(stats);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "executions"), "total")),
                     THREADS * iterations);
    assert_true(json_integer_value(json_object_get(json_object_get(s, "pool"), "created")) <= THREADS);
    json_decref(s);
    nx_runtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_four_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
