/*
 * config.c — the HTTP server's settings (nxsrv_config), documented in one table.
 *
 * `settings[]` holds, for every environment variable, its kind of value, default, rule
 * and meaning; nxsrv_config_defaults, nxsrv_config_set, nxsrv_config_from_env and
 * nxsrv_config_describe are loops over it. Values are read strictly, as the runtime's
 * (src/runtime/config.c): numbers are ASCII digits only, and every message names the
 * variable, quotes the value and states the rule, e.g.
 *     HTTP_PORT: "80a" is not a whole number (a whole number, 0 to 65535; 0: any free port)
 * HOST is only checked for shape here; whether it resolves is found out by nxsrv_start.
 */
#define _GNU_SOURCE
#include "nexus_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How a setting's text is read. */
typedef enum cfg_kind {
    CFG_HOST,   /* a host name or address: printable ASCII, no spaces */
    CFG_NUMBER, /* a whole number in [min, max] (uint32_t field) */
    CFG_SIZE,   /* a size with an optional unit (nxsrv_parse_size; uint64_t field) */
    CFG_TOKEN,  /* a bearer token: printable ASCII, no spaces */
} cfg_kind;

enum { CFG_QUOTE_MAX = 48 }; /* longest value quoted back in a message, in bytes */

#define CFG_MAX_SIZE (UINT64_C(1) << 30) /* BODY_LIMIT's upper bound: 1 GiB */

typedef struct cfg_setting {
    const char *name;     /* the environment variable */
    cfg_kind kind;
    size_t offset, size;  /* of the field in nxsrv_config */
    const char *def;      /* the default, as text (parsed by nxsrv_config_defaults) */
    uint64_t min, max;    /* CFG_NUMBER's range */
    const char *rule;     /* the rule as messages print it */
    const char *doc;      /* what the setting controls */
} cfg_setting;

#define CFG_FIELD(f) offsetof(nxsrv_config, f), sizeof(((nxsrv_config *)0)->f)

/* Invariant: every default satisfies its own rule (nxsrv_config_defaults asserts it by
 * parsing the defaults with the same code as the environment). */
static const cfg_setting settings[] = {
    {"HOST", CFG_HOST, CFG_FIELD(host), "127.0.0.1", 0, 0,
     "an IP address or host name of 1 to 255 bytes",
     "address to listen on (0.0.0.0 or :: for every interface)"},
    {"HTTP_PORT", CFG_NUMBER, CFG_FIELD(port), "3000", 0, 65535,
     "a whole number, 0 to 65535; 0: any free port", "TCP port to listen on"},
    {"BODY_LIMIT", CFG_SIZE, CFG_FIELD(body_limit), "1mb", 1, CFG_MAX_SIZE,
     "a size such as 1mb, 512kb, 100b or a number of bytes, from 1b to 1gb",
     "largest request body; a larger one is refused with 413"},
    {"AUTH_TOKEN", CFG_TOKEN, CFG_FIELD(auth_token), "", 0, 0,
     "printable ASCII without spaces, 1 to 1023 bytes; unset: no authentication",
     "when set, every route but /health needs `Authorization: Bearer <token>`"},
    {"SHUTDOWN_GRACE_MS", CFG_NUMBER, CFG_FIELD(shutdown_grace_ms), "10000", 0, 3600000,
     "milliseconds, 0 to 3600000",
     "on SIGTERM/SIGINT, how long running executions may finish before they are stopped"},
};
#define NSETTINGS (sizeof settings / sizeof *settings)

static bool fail(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t err_size, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A printable quoted excerpt of value (control and non-ASCII bytes become '?'). */
static void quote(const char *value, char out[CFG_QUOTE_MAX + 8])
{
    size_t n = 0, i = 0;
    out[n++] = '"';
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

/* Reads a whole number: one or more ASCII digits and nothing else, at most max. */
static bool parse_whole(const char *s, uint64_t max, uint64_t *out)
{
    if (*s == '\0') return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        unsigned digit = (unsigned)(*s - '0');
        if (digit > max || v > (max - digit) / 10) return false;
        v = v * 10 + digit;
    }
    *out = v;
    return true;
}

bool nxsrv_parse_size(const char *text, uint64_t *out)
{
    static const struct { const char *suffix; uint64_t unit; } units[] = {
        {"gb", UINT64_C(1) << 30}, {"mb", UINT64_C(1) << 20}, {"kb", UINT64_C(1) << 10},
        {"b", 1},
    };
    size_t len = strlen(text), digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 20) return false;
    uint64_t unit = 0;
    if (digits == len) unit = 1;
    for (size_t i = 0; !unit && i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(text + digits, units[i].suffix) == 0) unit = units[i].unit;
    char number[21];
    memcpy(number, text, digits);
    number[digits] = '\0';
    uint64_t v;
    if (!unit || !parse_whole(number, CFG_MAX_SIZE, &v)) return false;
    if (v == 0 || v > CFG_MAX_SIZE / unit) return false;
    *out = v * unit;
    return true;
}

/* True when text is 1..max_len bytes of printable ASCII without spaces. */
static bool is_printable_word(const char *text, size_t max_len)
{
    size_t len = strlen(text);
    if (len == 0 || len > max_len) return false;
    for (size_t i = 0; i < len; i++)
        if (text[i] <= 0x20 || text[i] >= 0x7f) return false;
    return true;
}

static bool apply(nxsrv_config *cfg, const cfg_setting *s, const char *value, char *err,
                  size_t err_size)
{
    char *field = (char *)cfg + s->offset;
    char q[CFG_QUOTE_MAX + 8];
    quote(value, q);
    switch (s->kind) {
    case CFG_HOST:
    case CFG_TOKEN:
        if (!is_printable_word(value, s->size - 1))
            return fail(err, err_size, "%s: %s is not valid (%s)", s->name, q, s->rule);
        memcpy(field, value, strlen(value) + 1);
        return true;
    case CFG_NUMBER: {
        uint64_t v;
        if (!parse_whole(value, s->max, &v) || v < s->min)
            return fail(err, err_size, "%s: %s is not a whole number in range (%s)", s->name,
                        q, s->rule);
        uint32_t v32 = (uint32_t)v; /* max fits: every CFG_NUMBER field is a uint32_t */
        memcpy(field, &v32, sizeof v32);
        return true;
    }
    case CFG_SIZE: {
        uint64_t v;
        if (!nxsrv_parse_size(value, &v))
            return fail(err, err_size, "%s: %s is not a valid size (%s)", s->name, q, s->rule);
        memcpy(field, &v, sizeof v);
        return true;
    }
    }
    return fail(err, err_size, "%s: unknown kind of setting", s->name);
}

void nxsrv_config_defaults(nxsrv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def[0]) apply(cfg, &settings[i], settings[i].def, NULL, 0);
}

bool nxsrv_config_set(nxsrv_config *cfg, const char *name, const char *value, char *err,
                      size_t err_size)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, name) == 0)
            return apply(cfg, &settings[i], value, err, err_size);
    char q[CFG_QUOTE_MAX + 8];
    quote(name, q);
    return fail(err, err_size, "unknown server setting %s", q);
}

bool nxsrv_config_from_env(nxsrv_config *cfg, char *err, size_t err_size)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *value = getenv(settings[i].name);
        if (value && !apply(cfg, &settings[i], value, err, err_size)) return false;
    }
    return true;
}

/* The value of a setting as text; the token is only said to be set or not. */
static void format_value(const nxsrv_config *cfg, const cfg_setting *s, char *out, size_t size)
{
    const char *field = (const char *)cfg + s->offset;
    switch (s->kind) {
    case CFG_HOST: snprintf(out, size, "%s", field); return;
    case CFG_TOKEN: snprintf(out, size, "%s", field[0] ? "(set)" : "(unset)"); return;
    case CFG_NUMBER: {
        uint32_t v;
        memcpy(&v, field, sizeof v);
        snprintf(out, size, "%u", v);
        return;
    }
    case CFG_SIZE: {
        uint64_t v;
        memcpy(&v, field, sizeof v);
        if (v % (1u << 20) == 0) snprintf(out, size, "%llumb", (unsigned long long)(v >> 20));
        else if (v % (1u << 10) == 0) snprintf(out, size, "%llukb", (unsigned long long)(v >> 10));
        else snprintf(out, size, "%llub", (unsigned long long)v);
        return;
    }
    }
}

char *nxsrv_config_describe(const nxsrv_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    nxsrv_config defaults;
    nxsrv_config_defaults(&defaults);
    fprintf(f, "%-20s %-16s %s\n", "SETTING", "VALUE", "DEFAULT");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const cfg_setting *s = &settings[i];
        char value[300], def[300];
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
