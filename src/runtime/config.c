/*
 * config.c — the runtime's settings, documented in one place.
 *
 * `settings[]` below is the only description of the configuration: for every setting it
 * holds the environment variable, the nx_config field, the kind of value (a count, whole
 * megabytes or kilobytes stored as bytes, milliseconds, a path, a log level), the
 * default, the accepted range and the rule as people read it. nx_config_defaults,
 * nx_config_set, nx_config_from_env, nx_config_validate and nx_config_describe are all
 * loops over that table; adding a setting means adding a row (and the field).
 *
 * Values are read strictly: a number is one or more ASCII digits and nothing else (no
 * sign, no spaces, no fraction, no unit), and it must fit the setting's range. Every
 * message names the variable, quotes the value and states the rule, e.g.
 *     MEMORY_LIMIT_MB: "abc" is not a number (whole megabytes, 1 to 4096)
 * nx_config_set checks one setting at a time (so settings may be given in any order);
 * the cross-field rule (MIN_INSTANCES <= MAX_INSTANCES) and the ranges of fields that a
 * C caller filled directly are checked by nx_config_validate.
 */
#define _GNU_SOURCE
#include "nexus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How a setting's text is read and stored. */
typedef enum cfg_kind {
    CFG_COUNT,     /* a whole number, stored as is */
    CFG_MB,        /* whole megabytes (MiB), stored in bytes */
    CFG_KB,        /* whole kilobytes (KiB), stored in bytes */
    CFG_MS,        /* whole milliseconds, stored as is */
    CFG_PATH,      /* a path, stored NUL-terminated in a char array */
    CFG_LOG_LEVEL, /* debug|info|warn|error|silent, stored as nx_log_level */
} cfg_kind;

enum {
    CFG_MIB = 1u << 20,
    CFG_KIB = 1u << 10,
    CFG_QUOTE_MAX = 48, /* longest value quoted back in a message, in bytes */
};

/* One setting. Numeric ranges are in the variable's unit (MB, KB, ms or count). */
typedef struct cfg_setting {
    const char *name;      /* the environment variable, also the name for nx_config_set */
    cfg_kind kind;
    size_t offset;         /* of the field in nx_config */
    size_t size;           /* of the field: 4 or 8 for numbers, the array for a path */
    uint64_t def;          /* default (numbers, log level) in the variable's unit */
    const char *def_text;  /* default of a path */
    uint64_t min, max;     /* accepted range (numbers) */
    bool zero_allowed;     /* 0 is accepted besides min..max (TIMEOUT_MS: no timeout) */
    const char *rule;      /* the rule as messages print it; must match min/max */
    const char *doc;       /* what the setting controls */
} cfg_setting;

#define CFG_FIELD(f) offsetof(nx_config, f), sizeof(((nx_config *)0)->f)

/* The configuration. Invariants (checked by the tests): min <= def <= max (or def == 0
 * when zero_allowed), numeric fields are 4 or 8 bytes wide and max * unit fits them, and
 * each rule text states min and max in decimal. */
static const cfg_setting settings[] = {
    {"MAX_INSTANCES", CFG_COUNT, CFG_FIELD(max_instances), 10, NULL, 1, 1024, false,
     "a whole number, 1 to 1024",
     "most instances alive at once (running, idle or held by suspended executions)"},
    {"MIN_INSTANCES", CFG_COUNT, CFG_FIELD(min_instances), 2, NULL, 0, 1024, false,
     "a whole number, 0 to 1024, at most MAX_INSTANCES",
     "instances created at start-up and kept ready"},
    {"MEMORY_LIMIT_MB", CFG_MB, CFG_FIELD(memory_limit_bytes), 32, NULL, 1, 4096, false,
     "whole megabytes, 1 to 4096", "linear memory limit of each instance"},
    {"STACK_SIZE_KB", CFG_KB, CFG_FIELD(stack_size_bytes), 1024, NULL, 64, 1048576, false,
     "whole kilobytes, 64 to 1048576", "engine call stack of each instance"},
    {"TIMEOUT_MS", CFG_MS, CFG_FIELD(timeout_ms), 5000, NULL, 100, 3600000, true,
     "milliseconds, 100 to 3600000, or 0 for no timeout",
     "time limit of an execution when the call gives none"},
    {"MAX_HOST_CALLS", CFG_COUNT, CFG_FIELD(max_host_calls), 10000, NULL, 1, 100000000, false,
     "a whole number, 1 to 100000000",
     "host calls per execution ($state, $emit, $view, $ext, $log, console)"},
    {"MAX_STATE_MUTATIONS", CFG_COUNT, CFG_FIELD(max_state_mutations), 1000, NULL, 1, 1000000,
     false, "a whole number, 1 to 1000000", "state writes and deletes per execution"},
    {"MAX_EVENTS", CFG_COUNT, CFG_FIELD(max_events), 100, NULL, 1, 1000000, false,
     "a whole number, 1 to 1000000", "events emitted per execution"},
    {"MAX_VALUE_SIZE_KB", CFG_KB, CFG_FIELD(max_value_bytes), 1024, NULL, 1, 1048576, false,
     "whole kilobytes, 1 to 1048576",
     "largest encoded return value, state value, event payload or log line"},
    {"MAX_SOURCE_SIZE_KB", CFG_KB, CFG_FIELD(max_source_bytes), 1024, NULL, 1, 1048576, false,
     "whole kilobytes, 1 to 1048576", "largest handler source"},
    {"CACHE_DIR", CFG_PATH, CFG_FIELD(cache_dir), 0, ".nexus-cache", 0, 0, false,
     "a directory path of at most 1023 bytes; empty for a memory-only cache",
     "compile cache directory (key file and bytecode/)"},
    {"MAX_CACHE_SIZE_MB", CFG_MB, CFG_FIELD(max_cache_size_bytes), 64, NULL, 1, 65536, false,
     "whole megabytes, 1 to 65536",
     "bound of the compile cache, in memory and on disk (each)"},
    {"SUSPENSION_TTL_MS", CFG_MS, CFG_FIELD(suspension_ttl_ms), 60000, NULL, 100, 86400000,
     false, "milliseconds, 100 to 86400000",
     "how long a suspended execution waits for nx_resume"},
    {"QUEUE_TIMEOUT_MS", CFG_MS, CFG_FIELD(queue_timeout_ms), 1000, NULL, 0, 3600000, false,
     "milliseconds, 0 to 3600000 (0: fail at once when no instance is free)",
     "longest wait for a free instance"},
    {"INTERPRET_GUEST", CFG_COUNT, CFG_FIELD(interpret_guest), 0, NULL, 0, 1, false,
     "0 or 1",
     "1 runs the guest in the engine's interpreter instead of its native code (slower; "
     "for comparisons)"},
    {"LOG_LEVEL", CFG_LOG_LEVEL, CFG_FIELD(log_level), NX_LOG_INFO, NULL, NX_LOG_DEBUG,
     NX_LOG_SILENT, false, "one of debug, info, warn, error, silent",
     "least severe runtime log line written"},
};
#define NSETTINGS (sizeof settings / sizeof *settings)

/* Names of the log levels, indexed by nx_log_level. */
static const char *const level_names[] = {"debug", "info", "warn", "error", "silent"};
_Static_assert(sizeof level_names / sizeof *level_names == NX_LOG_SILENT + 1,
               "one name per log level");

/* ------------------------------------------------------------------ helpers */

/* Formats a message into err (when there is room) and returns false. */
static bool fail(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t err_size, const char *fmt, ...) {
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* The setting named `name` (exact, case-sensitive like environment variables), or NULL. */
static const cfg_setting *find_setting(const char *name) {
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0) return &settings[i];
    return NULL;
}

/* Bytes per unit of a numeric setting. */
static uint64_t unit_of(const cfg_setting *s) {
    switch (s->kind) {
    case CFG_MB: return CFG_MIB;
    case CFG_KB: return CFG_KIB;
    default: return 1;
    }
}

/* Reads a numeric field (4 or 8 bytes wide, by the table). */
static uint64_t get_number(const nx_config *cfg, const cfg_setting *s) {
    const char *field = (const char *)cfg + s->offset;
    if (s->size == sizeof(uint32_t)) return *(const uint32_t *)(const void *)field;
    return *(const uint64_t *)(const void *)field;
}

/* Writes a numeric field; the caller has checked that v fits (max * unit does). */
static void set_number(nx_config *cfg, const cfg_setting *s, uint64_t v) {
    char *field = (char *)cfg + s->offset;
    if (s->size == sizeof(uint32_t)) *(uint32_t *)(void *)field = (uint32_t)v;
    else *(uint64_t *)(void *)field = v;
}

/* Copies `value` into out as a printable quoted excerpt: control and non-ASCII bytes
 * become '?', and a long value is cut with "...". */
static void quote(const char *value, char out[CFG_QUOTE_MAX + 8]) {
    size_t n = 0;
    out[n++] = '"';
    size_t i = 0;
    for (; value[i] && i < CFG_QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)value[i];
        out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    if (value[i]) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n++] = '"';
    out[n] = '\0';
}

/* Outcome of reading a whole number. */
typedef enum parse_status {
    PARSE_OK,
    PARSE_EMPTY,      /* "" */
    PARSE_NEGATIVE,   /* "-" followed by digits */
    PARSE_FRACTION,   /* digits, then '.' or ',' */
    PARSE_TRAILING,   /* digits, then anything else */
    PARSE_NOT_NUMBER, /* does not start with a digit */
    PARSE_OVERFLOW,   /* more than 2^64 - 1 */
} parse_status;

/* Reads a whole number: one or more ASCII digits, nothing before or after. */
static parse_status parse_whole(const char *s, uint64_t *out) {
    if (*s == '\0') return PARSE_EMPTY;
    if (*s == '-' && s[1] >= '0' && s[1] <= '9') return PARSE_NEGATIVE;
    if (*s < '0' || *s > '9') return PARSE_NOT_NUMBER;
    uint64_t v = 0;
    bool overflow = false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - digit) / 10) overflow = true;
        else v = v * 10 + digit;
    }
    if (*s == '.' || *s == ',') return PARSE_FRACTION;
    if (*s) return PARSE_TRAILING;
    if (overflow) return PARSE_OVERFLOW;
    *out = v;
    return PARSE_OK;
}

/* What is wrong with a value, for messages. */
static const char *parse_problem(parse_status st) {
    switch (st) {
    case PARSE_EMPTY: return "is empty";
    case PARSE_NEGATIVE: return "is negative";
    case PARSE_FRACTION: return "is not a whole number";
    case PARSE_TRAILING: return "has characters after the number";
    case PARSE_OVERFLOW: return "is too large";
    case PARSE_NOT_NUMBER:
    case PARSE_OK: break;
    }
    return "is not a number";
}

/* True when v (in the variable's unit) is in the setting's range. */
static bool in_range(const cfg_setting *s, uint64_t v) {
    return (v == 0 && s->zero_allowed) || (v >= s->min && v <= s->max);
}

/* ------------------------------------------------------------------ setting one value */

static bool set_numeric(nx_config *cfg, const cfg_setting *s, const char *value, char *err,
                        size_t err_size) {
    char q[CFG_QUOTE_MAX + 8];
    quote(value, q);
    uint64_t v = 0;
    parse_status st = parse_whole(value, &v);
    if (st != PARSE_OK)
        return fail(err, err_size, "%s: %s %s (%s)", s->name, q, parse_problem(st), s->rule);
    if (!in_range(s, v))
        return fail(err, err_size, "%s: %s is too %s (%s)", s->name, q,
                    v < s->min ? "small" : "large", s->rule);
    set_number(cfg, s, v * unit_of(s));
    return true;
}

static bool set_path(nx_config *cfg, const cfg_setting *s, const char *value, char *err,
                     size_t err_size) {
    size_t len = strlen(value);
    if (len >= s->size) {
        char q[CFG_QUOTE_MAX + 8];
        quote(value, q);
        return fail(err, err_size, "%s: %s is too long, %zu bytes (%s)", s->name, q, len, s->rule);
    }
    memcpy((char *)cfg + s->offset, value, len + 1);
    return true;
}

static bool set_log_level(nx_config *cfg, const cfg_setting *s, const char *value, char *err,
                          size_t err_size) {
    for (size_t i = 0; i <= NX_LOG_SILENT; i++) {
        if (strcasecmp(value, level_names[i]) == 0) {
            cfg->log_level = (nx_log_level)i;
            return true;
        }
    }
    char q[CFG_QUOTE_MAX + 8];
    quote(value, q);
    return fail(err, err_size, "%s: %s is not a log level (%s)", s->name, q, s->rule);
}

static bool apply(nx_config *cfg, const cfg_setting *s, const char *value, char *err,
                  size_t err_size) {
    switch (s->kind) {
    case CFG_PATH: return set_path(cfg, s, value, err, err_size);
    case CFG_LOG_LEVEL: return set_log_level(cfg, s, value, err, err_size);
    default: return set_numeric(cfg, s, value, err, err_size);
    }
}

/* ------------------------------------------------------------------ API */

void nx_config_defaults(nx_config *cfg) {
    if (!cfg) return;
    memset(cfg, 0, sizeof *cfg); /* log, audit and their user pointers: NULL */
    for (size_t i = 0; i < NSETTINGS; i++) {
        const cfg_setting *s = &settings[i];
        if (s->kind == CFG_PATH) snprintf((char *)cfg + s->offset, s->size, "%s", s->def_text);
        else if (s->kind == CFG_LOG_LEVEL) cfg->log_level = (nx_log_level)s->def;
        else set_number(cfg, s, s->def * unit_of(s));
    }
}

bool nx_config_set(nx_config *cfg, const char *name, const char *value, char *err,
                   size_t err_size) {
    if (!cfg || !name || !value) return fail(err, err_size, "nx_config_set: NULL argument");
    const cfg_setting *s = find_setting(name);
    if (!s) {
        char q[CFG_QUOTE_MAX + 8];
        quote(name, q);
        return fail(err, err_size, "unknown setting %s (see nx_config_describe for the list)", q);
    }
    return apply(cfg, s, value, err, err_size);
}

bool nx_config_from_env(nx_config *cfg, char *err, size_t err_size) {
    if (!cfg) return fail(err, err_size, "nx_config_from_env: NULL config");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *value = getenv(settings[i].name);
        if (value && !apply(cfg, &settings[i], value, err, err_size)) return false;
    }
    return true;
}

/* Prints a numeric field in the variable's unit when it is a whole number of units,
 * else in bytes. */
static void format_number(const cfg_setting *s, uint64_t v, char *out, size_t size) {
    uint64_t unit = unit_of(s);
    if (v % unit == 0) snprintf(out, size, "%llu", (unsigned long long)(v / unit));
    else snprintf(out, size, "%llu bytes", (unsigned long long)v);
}

/* Range check of one field as a C caller may have filled it (bytes for MB/KB). */
static bool validate_field(const nx_config *cfg, const cfg_setting *s, char *err,
                           size_t err_size) {
    if (s->kind == CFG_PATH) {
        if (!memchr((const char *)cfg + s->offset, '\0', s->size))
            return fail(err, err_size, "%s: not NUL-terminated within %zu bytes (%s)", s->name,
                        s->size, s->rule);
        return true;
    }
    if (s->kind == CFG_LOG_LEVEL) {
        if ((unsigned)cfg->log_level > NX_LOG_SILENT)
            return fail(err, err_size, "%s: %u is not a log level (%s)", s->name,
                        (unsigned)cfg->log_level, s->rule);
        return true;
    }
    uint64_t v = get_number(cfg, s), unit = unit_of(s);
    bool ok = (v == 0 && s->zero_allowed) || (v >= s->min * unit && v <= s->max * unit);
    if (ok) return true;
    char text[48];
    format_number(s, v, text, sizeof text);
    return fail(err, err_size, "%s: %s is too %s (%s)", s->name, text,
                v < s->min * unit ? "small" : "large", s->rule);
}

bool nx_config_validate(const nx_config *cfg, char *err, size_t err_size) {
    if (!cfg) return fail(err, err_size, "nx_config_validate: NULL config");
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!validate_field(cfg, &settings[i], err, err_size)) return false;
    if (cfg->min_instances > cfg->max_instances)
        return fail(err, err_size, "MIN_INSTANCES: %u is more than MAX_INSTANCES (%u) (%s)",
                    cfg->min_instances, cfg->max_instances, find_setting("MIN_INSTANCES")->rule);
    return true;
}

/* The value of a setting as text (for describe). */
static void format_value(const nx_config *cfg, const cfg_setting *s, char *out, size_t size) {
    if (s->kind == CFG_PATH) {
        const char *p = (const char *)cfg + s->offset;
        if (!memchr(p, '\0', s->size)) snprintf(out, size, "(not terminated)");
        else snprintf(out, size, "\"%s\"", p);
    } else if (s->kind == CFG_LOG_LEVEL) {
        unsigned l = (unsigned)cfg->log_level;
        if (l <= NX_LOG_SILENT) snprintf(out, size, "%s", level_names[l]);
        else snprintf(out, size, "(invalid %u)", l);
    } else {
        format_number(s, get_number(cfg, s), out, size);
    }
}

char *nx_config_describe(const nx_config *cfg) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    nx_config defaults;
    nx_config_defaults(&defaults);
    fprintf(f, "%-20s %-16s %s\n", "SETTING", "VALUE", "DEFAULT");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const cfg_setting *s = &settings[i];
        char value[sizeof cfg->cache_dir + 32], def[sizeof cfg->cache_dir + 32];
        format_value(cfg, s, value, sizeof value);
        format_value(&defaults, s, def, sizeof def);
        fprintf(f, "%-20s %-16s %s\n", s->name, value, def);
        fprintf(f, "    %s; %s\n", s->doc, s->rule);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
