/*
 * test_config.c — the runtime configuration (src/runtime/config.c): defaults, reading
 * values by name and from the environment (strict numbers, every kind of bad value
 * rejected with a message naming the variable, quoting the value and stating the rule),
 * the range of every numeric setting at both ends, the cross-field rules of
 * nx_config_validate, and nx_config_describe.
 *
 * `expected[]` restates the documented table independently of config.c, so a change
 * there that is not a deliberate one (a default, a bound, a unit) fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nexus.h"

enum { KIB = 1024, MIB = 1024 * 1024 };

/* A numeric setting as documented: its unit in bytes (1 for counts and ms), default and
 * range in that unit, and how to read its field. */
typedef struct expected_setting {
    const char *name;
    uint64_t unit;
    uint64_t def, min, max;
    bool zero_allowed;
    uint64_t (*get)(const nx_config *);
} expected_setting;

#define GETTER(field)                                                                          \
    static uint64_t get_##field(const nx_config *c) { return c->field; }
GETTER(max_instances)
GETTER(min_instances)
GETTER(memory_limit_bytes)
GETTER(stack_size_bytes)
GETTER(timeout_ms)
GETTER(max_host_calls)
GETTER(max_state_mutations)
GETTER(max_events)
GETTER(max_value_bytes)
GETTER(max_source_bytes)
GETTER(max_cache_size_bytes)
GETTER(suspension_ttl_ms)
GETTER(queue_timeout_ms)

static const expected_setting expected[] = {
    {"MAX_INSTANCES", 1, 10, 1, 1024, false, get_max_instances},
    {"MIN_INSTANCES", 1, 2, 0, 1024, false, get_min_instances},
    {"MEMORY_LIMIT_MB", MIB, 32, 1, 4096, false, get_memory_limit_bytes},
    {"STACK_SIZE_KB", KIB, 1024, 64, 1048576, false, get_stack_size_bytes},
    {"TIMEOUT_MS", 1, 5000, 100, 3600000, true, get_timeout_ms},
    {"MAX_HOST_CALLS", 1, 10000, 1, 100000000, false, get_max_host_calls},
    {"MAX_STATE_MUTATIONS", 1, 1000, 1, 1000000, false, get_max_state_mutations},
    {"MAX_EVENTS", 1, 100, 1, 1000000, false, get_max_events},
    {"MAX_VALUE_SIZE_KB", KIB, 1024, 1, 1048576, false, get_max_value_bytes},
    {"MAX_SOURCE_SIZE_KB", KIB, 1024, 1, 1048576, false, get_max_source_bytes},
    {"MAX_CACHE_SIZE_MB", MIB, 64, 1, 65536, false, get_max_cache_size_bytes},
    {"SUSPENSION_TTL_MS", 1, 60000, 100, 86400000, false, get_suspension_ttl_ms},
    {"QUEUE_TIMEOUT_MS", 1, 1000, 0, 3600000, false, get_queue_timeout_ms},
};
#define NEXPECTED (sizeof expected / sizeof *expected)

/* Every variable the table reads, for clearing the environment. */
static const char *const all_names[] = {
    "MAX_INSTANCES", "MIN_INSTANCES", "MEMORY_LIMIT_MB", "STACK_SIZE_KB", "TIMEOUT_MS",
    "MAX_HOST_CALLS", "MAX_STATE_MUTATIONS", "MAX_EVENTS", "MAX_VALUE_SIZE_KB",
    "MAX_SOURCE_SIZE_KB", "CACHE_DIR", "MAX_CACHE_SIZE_MB", "SUSPENSION_TTL_MS",
    "QUEUE_TIMEOUT_MS", "LOG_LEVEL",
};
#define NNAMES (sizeof all_names / sizeof *all_names)

static int clear_env(void **state) {
    (void)state;
    for (size_t i = 0; i < NNAMES; i++) unsetenv(all_names[i]);
    return 0;
}

/* Sets name=value, expecting failure, and checks the message is exactly `message`. */
static void expect_set_error(const char *name, const char *value, const char *message) {
    nx_config cfg;
    nx_config_defaults(&cfg);
    char err[512] = "";
    bool ok = nx_config_set(&cfg, name, value, err, sizeof err);
    if (ok || strcmp(err, message) != 0)
        fail_msg("set %s=\"%s\": ok=%d, message\n  got      [%s]\n  expected [%s]", name, value,
                 ok, err, message);
}

/* ------------------------------------------------------------------ tests */

static void test_defaults(void **state) {
    (void)state;
    nx_config cfg;
    memset(&cfg, 0x5a, sizeof cfg);
    nx_config_defaults(&cfg);
    for (size_t i = 0; i < NEXPECTED; i++)
        assert_int_equal(expected[i].get(&cfg), expected[i].def * expected[i].unit);
    assert_int_equal(cfg.memory_limit_bytes, 32u * MIB);
    assert_int_equal(cfg.stack_size_bytes, 1u * MIB);
    assert_int_equal(cfg.max_value_bytes, 1u * MIB);
    assert_string_equal(cfg.cache_dir, ".nexus-cache");
    assert_int_equal(cfg.log_level, NX_LOG_INFO);
    assert_null(cfg.log);
    assert_null(cfg.log_user);
    assert_null(cfg.audit);
    assert_null(cfg.audit_user);
    char err[256] = "";
    assert_true(nx_config_validate(&cfg, err, sizeof err));
}

/* Both ends of every numeric range, and one step beyond each. */
static void test_ranges(void **state) {
    (void)state;
    for (size_t i = 0; i < NEXPECTED; i++) {
        const expected_setting *s = &expected[i];
        nx_config cfg;
        nx_config_defaults(&cfg);
        char value[32], err[512];
        const uint64_t ends[2] = {s->min, s->max};
        for (int k = 0; k < 2; k++) {
            snprintf(value, sizeof value, "%llu", (unsigned long long)ends[k]);
            if (!nx_config_set(&cfg, s->name, value, err, sizeof err))
                fail_msg("%s=%s rejected: %s", s->name, value, err);
            assert_int_equal(s->get(&cfg), ends[k] * s->unit);
        }
        /* max + 1 */
        snprintf(value, sizeof value, "%llu", (unsigned long long)s->max + 1);
        assert_false(nx_config_set(&cfg, s->name, value, err, sizeof err));
        char min_text[32], max_text[32];
        snprintf(min_text, sizeof min_text, "%llu", (unsigned long long)s->min);
        snprintf(max_text, sizeof max_text, "%llu", (unsigned long long)s->max);
        assert_non_null(strstr(err, s->name));
        assert_non_null(strstr(err, "is too large"));
        assert_non_null(strstr(err, min_text)); /* the rule states the range */
        assert_non_null(strstr(err, max_text));
        assert_int_equal(s->get(&cfg), s->max * s->unit); /* a refused value changes nothing */
        /* min - 1 */
        if (s->min > 0) {
            snprintf(value, sizeof value, "%llu", (unsigned long long)s->min - 1);
            bool ok = nx_config_set(&cfg, s->name, value, err, sizeof err);
            if (s->zero_allowed && s->min == 1) assert_true(ok);
            else {
                assert_false(ok);
                assert_non_null(strstr(err, "is too small"));
            }
        }
        if (s->zero_allowed) {
            assert_true(nx_config_set(&cfg, s->name, "0", err, sizeof err));
            assert_int_equal(s->get(&cfg), 0);
        }
    }
}

static void test_bad_numbers(void **state) {
    (void)state;
    const char *rule = "(whole megabytes, 1 to 4096)";
    char msg[256];
#define EXPECT(value, problem)                                                                 \
    do {                                                                                       \
        snprintf(msg, sizeof msg, "MEMORY_LIMIT_MB: \"%s\" %s %s", value, problem, rule);      \
        expect_set_error("MEMORY_LIMIT_MB", value, msg);                                       \
    } while (0)
    EXPECT("abc", "is not a number");
    EXPECT("", "is empty");
    EXPECT("-5", "is negative");
    EXPECT("-", "is not a number");
    EXPECT("+5", "is not a number");
    EXPECT(" 5", "is not a number");
    EXPECT("5 ", "has characters after the number");
    EXPECT("12abc", "has characters after the number");
    EXPECT("32MB", "has characters after the number");
    EXPECT("0x10", "has characters after the number");
    EXPECT("1.5", "is not a whole number");
    EXPECT("1,5", "is not a whole number");
    EXPECT("0", "is too small");
    EXPECT("4097", "is too large");
    EXPECT("18446744073709551615", "is too large");      /* UINT64_MAX: fits, out of range */
    EXPECT("18446744073709551616", "is too large");      /* UINT64_MAX + 1: overflow */
    EXPECT("99999999999999999999999999999999", "is too large");
#undef EXPECT
    /* the documented example, word for word but for the rule's upper bound */
    expect_set_error("MEMORY_LIMIT_MB", "abc",
                     "MEMORY_LIMIT_MB: \"abc\" is not a number (whole megabytes, 1 to 4096)");
    expect_set_error("TIMEOUT_MS", "50",
                     "TIMEOUT_MS: \"50\" is too small (milliseconds, 100 to 3600000, or 0 for no "
                     "timeout)");
    expect_set_error("STACK_SIZE_KB", "63",
                     "STACK_SIZE_KB: \"63\" is too small (whole kilobytes, 64 to 1048576)");
    expect_set_error("MAX_INSTANCES", "0",
                     "MAX_INSTANCES: \"0\" is too small (a whole number, 1 to 1024)");
    expect_set_error("MAX_EVENTS", "-1",
                     "MAX_EVENTS: \"-1\" is negative (a whole number, 1 to 1000000)");
    /* leading zeros are still a whole number */
    nx_config cfg;
    nx_config_defaults(&cfg);
    assert_true(nx_config_set(&cfg, "MAX_EVENTS", "007", NULL, 0));
    assert_int_equal(cfg.max_events, 7);
}

static void test_value_quoting(void **state) {
    (void)state;
    nx_config cfg;
    nx_config_defaults(&cfg);
    char err[512];
    /* control characters are not echoed raw; long values are cut */
    assert_false(nx_config_set(&cfg, "MAX_EVENTS", "1\n2", err, sizeof err));
    assert_null(strchr(err, '\n'));
    char big[300];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    big[0] = 'x';
    assert_false(nx_config_set(&cfg, "MAX_EVENTS", big, err, sizeof err));
    assert_non_null(strstr(err, "...\" is not a number"));
    assert_true(strlen(err) < 200);
}

static void test_unknown_and_errors_buffer(void **state) {
    (void)state;
    nx_config cfg;
    nx_config_defaults(&cfg);
    char err[256];
    assert_false(nx_config_set(&cfg, "NO_SUCH_SETTING", "1", err, sizeof err));
    assert_non_null(strstr(err, "unknown setting \"NO_SUCH_SETTING\""));
    /* names are case-sensitive, like environment variables */
    assert_false(nx_config_set(&cfg, "timeout_ms", "250", err, sizeof err));
    /* no message buffer, or a tiny one: still a clean refusal */
    assert_false(nx_config_set(&cfg, "TIMEOUT_MS", "x", NULL, 0));
    char tiny[8];
    assert_false(nx_config_set(&cfg, "TIMEOUT_MS", "x", tiny, sizeof tiny));
    assert_string_equal(tiny, "TIMEOUT");
    assert_int_equal(cfg.timeout_ms, 5000);
}

static void test_log_level(void **state) {
    (void)state;
    nx_config cfg;
    nx_config_defaults(&cfg);
    static const struct {
        const char *text;
        nx_log_level level;
    } levels[] = {{"debug", NX_LOG_DEBUG}, {"info", NX_LOG_INFO},   {"warn", NX_LOG_WARN},
                  {"error", NX_LOG_ERROR}, {"silent", NX_LOG_SILENT}, {"WARN", NX_LOG_WARN},
                  {"Debug", NX_LOG_DEBUG}};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        assert_true(nx_config_set(&cfg, "LOG_LEVEL", levels[i].text, NULL, 0));
        assert_int_equal(cfg.log_level, levels[i].level);
    }
    expect_set_error("LOG_LEVEL", "verbose",
                     "LOG_LEVEL: \"verbose\" is not a log level (one of debug, info, warn, error, "
                     "silent)");
    expect_set_error("LOG_LEVEL", "",
                     "LOG_LEVEL: \"\" is not a log level (one of debug, info, warn, error, silent)");
    expect_set_error("LOG_LEVEL", "2",
                     "LOG_LEVEL: \"2\" is not a log level (one of debug, info, warn, error, silent)");
}

static void test_cache_dir(void **state) {
    (void)state;
    nx_config cfg;
    nx_config_defaults(&cfg);
    char err[512];
    assert_true(nx_config_set(&cfg, "CACHE_DIR", "", err, sizeof err));
    assert_string_equal(cfg.cache_dir, "");
    assert_true(nx_config_set(&cfg, "CACHE_DIR", "/var/cache/nexus", err, sizeof err));
    assert_string_equal(cfg.cache_dir, "/var/cache/nexus");
    char path[sizeof cfg.cache_dir + 1];
    memset(path, 'a', sizeof path);
    path[sizeof cfg.cache_dir - 1] = '\0'; /* 1023 bytes: fits */
    assert_true(nx_config_set(&cfg, "CACHE_DIR", path, err, sizeof err));
    assert_int_equal(strlen(cfg.cache_dir), sizeof cfg.cache_dir - 1);
    path[sizeof cfg.cache_dir - 1] = 'a';
    path[sizeof cfg.cache_dir] = '\0'; /* 1024 bytes: does not */
    assert_false(nx_config_set(&cfg, "CACHE_DIR", path, err, sizeof err));
    assert_non_null(strstr(err, "CACHE_DIR: \"aaaa"));
    assert_non_null(strstr(err, "is too long, 1024 bytes (a directory path of at most 1023 bytes"));
    assert_int_equal(strlen(cfg.cache_dir), sizeof cfg.cache_dir - 1); /* unchanged */
}

static void test_from_env(void **state) {
    (void)state;
    setenv("MAX_INSTANCES", "20", 1);
    setenv("MEMORY_LIMIT_MB", "64", 1);
    setenv("STACK_SIZE_KB", "512", 1);
    setenv("TIMEOUT_MS", "0", 1);
    setenv("MAX_VALUE_SIZE_KB", "16", 1);
    setenv("CACHE_DIR", "/tmp/nexus-env-cache", 1);
    setenv("LOG_LEVEL", "debug", 1);
    nx_config cfg;
    nx_config_defaults(&cfg);
    char err[512] = "";
    if (!nx_config_from_env(&cfg, err, sizeof err)) fail_msg("from_env: %s", err);
    assert_int_equal(cfg.max_instances, 20);
    assert_int_equal(cfg.memory_limit_bytes, 64u * MIB);
    assert_int_equal(cfg.stack_size_bytes, 512u * KIB);
    assert_int_equal(cfg.timeout_ms, 0);
    assert_int_equal(cfg.max_value_bytes, 16u * KIB);
    assert_string_equal(cfg.cache_dir, "/tmp/nexus-env-cache");
    assert_int_equal(cfg.log_level, NX_LOG_DEBUG);
    assert_int_equal(cfg.min_instances, 2);     /* unset: untouched */
    assert_int_equal(cfg.max_events, 100);
    /* an explicit setting after the environment wins */
    assert_true(nx_config_set(&cfg, "TIMEOUT_MS", "250", err, sizeof err));
    assert_true(nx_config_set(&cfg, "MEMORY_LIMIT_MB", "8", err, sizeof err));
    assert_int_equal(cfg.timeout_ms, 250);
    assert_int_equal(cfg.memory_limit_bytes, 8u * MIB);
    assert_true(nx_config_validate(&cfg, err, sizeof err));
}

static void test_from_env_errors(void **state) {
    (void)state;
    static const struct {
        const char *name, *value, *message;
    } cases[] = {
        {"MEMORY_LIMIT_MB", "abc",
         "MEMORY_LIMIT_MB: \"abc\" is not a number (whole megabytes, 1 to 4096)"},
        {"MAX_HOST_CALLS", "",
         "MAX_HOST_CALLS: \"\" is empty (a whole number, 1 to 100000000)"},
        {"SUSPENSION_TTL_MS", "-100",
         "SUSPENSION_TTL_MS: \"-100\" is negative (milliseconds, 100 to 86400000)"},
        {"MAX_CACHE_SIZE_MB", "64MB",
         "MAX_CACHE_SIZE_MB: \"64MB\" has characters after the number (whole megabytes, 1 to "
         "65536)"},
        {"QUEUE_TIMEOUT_MS", "99999999999999999999",
         "QUEUE_TIMEOUT_MS: \"99999999999999999999\" is too large (milliseconds, 0 to 3600000 "
         "(0: fail at once when no instance is free))"},
        {"MAX_SOURCE_SIZE_KB", "0.5",
         "MAX_SOURCE_SIZE_KB: \"0.5\" is not a whole number (whole kilobytes, 1 to 1048576)"},
        {"LOG_LEVEL", "loud",
         "LOG_LEVEL: \"loud\" is not a log level (one of debug, info, warn, error, silent)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clear_env(NULL);
        setenv("MAX_EVENTS", "5", 1); /* a good one alongside */
        setenv(cases[i].name, cases[i].value, 1);
        nx_config cfg;
        nx_config_defaults(&cfg);
        char err[512] = "";
        assert_false(nx_config_from_env(&cfg, err, sizeof err));
        if (strcmp(err, cases[i].message) != 0)
            fail_msg("%s=%s\n  got      [%s]\n  expected [%s]", cases[i].name, cases[i].value, err,
                     cases[i].message);
    }
}

static void test_validate(void **state) {
    (void)state;
    char err[512];
    nx_config cfg;
#define EXPECT_INVALID(mutation, needle)                                                       \
    do {                                                                                       \
        nx_config_defaults(&cfg);                                                              \
        mutation;                                                                              \
        err[0] = '\0';                                                                         \
        assert_false(nx_config_validate(&cfg, err, sizeof err));                               \
        if (!strstr(err, needle)) fail_msg("expected [%s] in [%s]", needle, err);              \
    } while (0)
#define EXPECT_VALID(mutation)                                                                 \
    do {                                                                                       \
        nx_config_defaults(&cfg);                                                              \
        mutation;                                                                              \
        if (!nx_config_validate(&cfg, err, sizeof err)) fail_msg("%s: %s", #mutation, err);    \
    } while (0)

    EXPECT_INVALID(cfg.min_instances = 11,
                   "MIN_INSTANCES: 11 is more than MAX_INSTANCES (10) (a whole number, 0 to 1024, "
                   "at most MAX_INSTANCES)");
    EXPECT_VALID(cfg.min_instances = 10);
    EXPECT_VALID(cfg.min_instances = 0);
    EXPECT_INVALID(cfg.memory_limit_bytes = 512 * KIB,
                   "MEMORY_LIMIT_MB: 524288 bytes is too small (whole megabytes, 1 to 4096)");
    EXPECT_VALID(cfg.memory_limit_bytes = 1 * MIB);
    EXPECT_VALID(cfg.memory_limit_bytes = 3 * MIB / 2); /* whole MiB only through the text */
    EXPECT_INVALID(cfg.memory_limit_bytes = 4097ull * MIB, "MEMORY_LIMIT_MB: 4097 is too large");
    EXPECT_INVALID(cfg.stack_size_bytes = 32 * KIB, "STACK_SIZE_KB: 32 is too small");
    EXPECT_VALID(cfg.stack_size_bytes = 64 * KIB);
    EXPECT_INVALID(cfg.max_instances = 0, "MAX_INSTANCES: 0 is too small");
    EXPECT_INVALID(cfg.timeout_ms = 99, "TIMEOUT_MS: 99 is too small");
    EXPECT_VALID(cfg.timeout_ms = 0);
    EXPECT_VALID(cfg.timeout_ms = 100);
    EXPECT_INVALID(cfg.suspension_ttl_ms = 99, "SUSPENSION_TTL_MS: 99 is too small");
    EXPECT_INVALID(cfg.suspension_ttl_ms = 0, "SUSPENSION_TTL_MS: 0 is too small");
    EXPECT_INVALID(cfg.max_host_calls = 0, "MAX_HOST_CALLS: 0 is too small");
    EXPECT_INVALID(cfg.max_state_mutations = 0, "MAX_STATE_MUTATIONS: 0 is too small");
    EXPECT_INVALID(cfg.max_events = 0, "MAX_EVENTS: 0 is too small");
    EXPECT_INVALID(cfg.max_value_bytes = 0, "MAX_VALUE_SIZE_KB: 0 is too small");
    EXPECT_INVALID(cfg.max_source_bytes = 100, "MAX_SOURCE_SIZE_KB: 100 bytes is too small");
    EXPECT_INVALID(cfg.max_cache_size_bytes = 0, "MAX_CACHE_SIZE_MB: 0 is too small");
    EXPECT_VALID(cfg.queue_timeout_ms = 0);
    EXPECT_INVALID(memset(cfg.cache_dir, 'x', sizeof cfg.cache_dir),
                   "CACHE_DIR: not NUL-terminated within 1024 bytes");
    EXPECT_INVALID(cfg.log_level = (nx_log_level)7, "LOG_LEVEL: 7 is not a log level");
#undef EXPECT_INVALID
#undef EXPECT_VALID
    assert_false(nx_config_validate(NULL, err, sizeof err));
}

static void test_describe(void **state) {
    (void)state;
    nx_config cfg;
    nx_config_defaults(&cfg);
    assert_true(nx_config_set(&cfg, "TIMEOUT_MS", "250", NULL, 0));
    assert_true(nx_config_set(&cfg, "CACHE_DIR", "", NULL, 0));
    assert_true(nx_config_set(&cfg, "LOG_LEVEL", "warn", NULL, 0));
    cfg.memory_limit_bytes = 3 * MIB / 2;
    char *text = nx_config_describe(&cfg);
    assert_non_null(text);
    for (size_t i = 0; i < NNAMES; i++) {
        if (!strstr(text, all_names[i])) fail_msg("%s missing from:\n%s", all_names[i], text);
    }
    /* one line per setting: name, value, default */
    const char *line = strstr(text, "\nTIMEOUT_MS ");
    assert_non_null(line);
    const char *eol = strchr(line + 1, '\n');
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(eol - line - 1), line + 1);
    char name[64], value[64], def[64];
    assert_int_equal(sscanf(buf, "%63s %63s %63s", name, value, def), 3);
    assert_string_equal(value, "250");
    assert_string_equal(def, "5000");
    assert_non_null(strstr(text, "\nCACHE_DIR            \"\"               \".nexus-cache\"\n"));
    assert_non_null(strstr(text, "\nLOG_LEVEL            warn             info\n"));
    assert_non_null(strstr(text, "\nMEMORY_LIMIT_MB      1572864 bytes    32\n"));
    assert_non_null(strstr(text, "milliseconds, 100 to 3600000, or 0 for no timeout"));
    free(text);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_ranges, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_bad_numbers, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_value_quoting, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_unknown_and_errors_buffer, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_log_level, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_cache_dir, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_from_env, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_from_env_errors, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_validate, clear_env, clear_env),
        cmocka_unit_test_setup_teardown(test_describe, clear_env, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
