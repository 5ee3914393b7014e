/*
 * test_concurrency.c — 4 threads × 1,000 executions on one runtime (pool of 4): every
 * result is correct and belongs to its own execution. Then suspensions handed between
 * threads: every execution starts on one thread and is resumed on two others (the guest
 * runs as native code whose frames stay parked on their own stack while suspended, and
 * continue on whichever thread resumes them). CI also runs it under ThreadSanitizer
 * (scripts/test.sh), where NEXUS_TEST_ITERATIONS lowers the count.
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

/* ---------------------------------------------------------------- suspensions across threads */

enum { MAILBOX = 64 };

/* A suspended execution handed to the next thread: its id and what it was started with. */
typedef struct handoff {
    char id[64];
    int t, i;
} handoff;

/* A FIFO of handoffs from one thread to the next. */
typedef struct mailbox {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    handoff items[MAILBOX];
    int head, count;
} mailbox;

static mailbox boxes[THREADS];

static void post(mailbox *b, const handoff *h)
{
    pthread_mutex_lock(&b->lock);
    assert_true(b->count < MAILBOX);
    b->items[(b->head + b->count++) % MAILBOX] = *h;
    pthread_cond_signal(&b->ready);
    pthread_mutex_unlock(&b->lock);
}

static handoff take(mailbox *b)
{
    pthread_mutex_lock(&b->lock);
    while (!b->count) pthread_cond_wait(&b->ready, &b->lock);
    handoff h = b->items[b->head];
    b->head = (b->head + 1) % MAILBOX;
    b->count--;
    pthread_mutex_unlock(&b->lock);
    return h;
}

static const char *handoff_code = "const a = await $ext.x.f($args.i);"
                                  "const b = await $ext.x.g(a + 1);"
                                  "return [$args.t, $args.i, a, b];";

/* Each iteration: start an execution and hand it on; resume the one handed in (first
 * await) and hand it on; resume the one handed in (second await) and check its result. */
static void *handoff_work(void *arg)
{
    worker *w = arg;
    mailbox *next = &boxes[(w->id + 1) % THREADS], *own = &boxes[w->id];
    char ctx[256], value[32], want[128];
    for (int i = 0; i < iterations; i++) {
        snprintf(ctx, sizeof ctx, "{\"args\": {\"t\": %d, \"i\": %d}, \"capabilities\": [\"ext:x\"]}",
                 w->id, i);
        nx_result *r = nx_execute(rt, handoff_code, strlen(handoff_code), ctx, 0);
        handoff h = {.t = w->id, .i = i};
        int ok = nx_result_status(r) == NX_SUSPENDED;
        if (ok) snprintf(h.id, sizeof h.id, "%s", nx_result_suspension_id(r));
        nx_result_free(r);
        post(next, &h);

        h = take(own);
        snprintf(value, sizeof value, "%d", h.i * 10);
        r = nx_resume(rt, h.id, true, value, NULL);
        json_t *j = rt_json(r);
        snprintf(want, sizeof want, "[%d]", h.i * 10 + 1);
        char *args = json_dumps(json_object_get(json_object_get(j, "suspension"), "args"),
                                JSON_COMPACT | JSON_ENCODE_ANY);
        ok = ok && args && strcmp(args, want) == 0;
        snprintf(h.id, sizeof h.id, "%s", json_string_value(json_object_get(
                                              json_object_get(j, "suspension"), "suspensionId")) ?: "");
        free(args);
        json_decref(j);
        post(next, &h);

        h = take(own);
        j = rt_json(nx_resume(rt, h.id, true, "7", NULL));
        snprintf(want, sizeof want, "[%d,%d,%d,7]", h.t, h.i, h.i * 10);
        char *rv = json_dumps(json_object_get(j, "returnValue"), JSON_COMPACT | JSON_ENCODE_ANY);
        if (ok && rv && strcmp(rv, want) == 0) w->ok++;
        else fprintf(stderr, "handoff: thread %d got %s, want %s\n", w->id, rv ? rv : "(none)", want);
        free(rv);
        json_decref(j);
    }
    return NULL;
}

static void test_suspensions_change_threads(void **state)
{
    (void)state;
    const char *n = getenv("NEXUS_TEST_ITERATIONS");
    iterations = n ? atoi(n) / 4 : 250;
    if (iterations < 1) iterations = 1;
    nx_config cfg = rt_test_config(NULL);
    cfg.max_instances = 4 * THREADS; /* each thread has up to two executions in flight */
    cfg.queue_timeout_ms = 30000;
    rt = rt_test_open(&cfg);
    pthread_t th[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_init(&boxes[i].lock, NULL);
        pthread_cond_init(&boxes[i].ready, NULL);
        boxes[i].head = boxes[i].count = 0;
    }
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.id = i};
        pthread_create(&th[i], NULL, handoff_work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) assert_int_equal(w[i].ok, iterations);
    for (int i = 0; i < THREADS; i++) {
        pthread_mutex_destroy(&boxes[i].lock);
        pthread_cond_destroy(&boxes[i].ready);
    }
    nx_runtime_destroy(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_four_threads),
                                       cmocka_unit_test(test_suspensions_change_threads)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
