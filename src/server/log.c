/*
 * log.c — the server's structured log: one JSON object per line on stderr, each with
 * "time" (ISO-8601 UTC, milliseconds) and "level" first. Request lines come from http.c
 * (nxsrv_log_fields); plain messages, start-up and shutdown lines and the runtime's own
 * lines come through nxsrv_log. Lines are built in memory and written under the stderr
 * lock, so lines of concurrent requests never interleave.
 */
#define _GNU_SOURCE
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info", "warn", "error", "silent"};

/* "2025-01-31T12:34:56.789Z" (25 bytes with the NUL). */
static void format_time(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void nxsrv_log_fields(nx_log_level threshold, nx_log_level level, json_t *fields)
{
    if (level < threshold || level >= NX_LOG_SILENT || !fields) {
        json_decref(fields);
        return;
    }
    char time[32];
    format_time(time);
    json_t *line = json_pack("{s:s, s:s}", "time", time, "level", level_names[level]);
    if (line) json_object_update(line, fields);
    json_decref(fields);
    size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    char *text = line ? json_dumps(line, flags) : NULL;
    json_decref(line);
    if (!text) return; /* out of memory: the line is lost, nothing else is */
    flockfile(stderr);
    fputs(text, stderr);
    fputc('\n', stderr);
    funlockfile(stderr);
    free(text);
}

json_t *nxsrv_json_text(const char *text)
{
    json_t *s = json_string(text);
    if (s) return s;
    char *copy = strdup(text); /* not UTF-8: keep the ASCII, mark the rest */
    if (!copy) return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    s = json_string(copy);
    free(copy);
    return s;
}

void nxsrv_log(nx_log_level threshold, nx_log_level level, const char *message)
{
    if (level < threshold) return;
    nxsrv_log_fields(threshold, level, json_pack("{s:o}", "message", nxsrv_json_text(message)));
}

void nxsrv_runtime_log(void *user, nx_log_level level, const char *message)
{
    (void)user;
    nxsrv_log(NX_LOG_DEBUG, level, message);
}
