/*
 * run.c — `nexus run` and `nexus compile`: one handler through the runtime library from
 * a shell.
 *
 * `nexus run` executes a handler (source, or bytecode from `nexus compile`) and prints
 * the result as one JSON line. While the result is "suspended" it reads one JSON line
 * from stdin ({"success":true,"value":…} or {"success":false,"error":"…"}) and resumes
 * with it; at end of input it resumes with an error. Exit status: 0 success, 1 handler
 * error (the result is still printed), 2 usage or input error.
 */
#include "run.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nexus.h"

enum { RUN_OK = 0, RUN_HANDLER_ERROR = 1, RUN_USAGE = 2 };

typedef struct run_options {
    const char *handler_path, *context_path, *bytecode_path, *output_path;
    const char *timeout_ms, *memory_limit_mb;
    const char **caps;
    int ncaps;
} run_options;

static const char run_usage[] =
    "usage: nexus run HANDLER.js [--context FILE.json] [--timeout-ms N] [--memory-limit-mb N]\n"
    "                 [--cap TOKEN]...\n"
    "       nexus run --bytecode FILE [same options]\n"
    "  Executes a handler and prints its result as one JSON line (see the README for\n"
    "  the context and result shapes). --cap grants a capability (state:read:KEY,\n"
    "  state:write:KEY, events:emit:NAME, view:update:ID, ext:NAME; * for all), added\n"
    "  to the context's capabilities. When the handler suspends on $ext, the suspended\n"
    "  result is printed and one JSON line is read from stdin to resume it:\n"
    "  {\"success\":true,\"value\":...} or {\"success\":false,\"error\":\"...\"}; at end of\n"
    "  input it resumes with an error. Other settings come from the environment\n"
    "  (nexus help). Exit status: 0 success, 1 handler error (result printed),\n"
    "  2 usage or input error.\n";

static const char compile_usage[] =
    "usage: nexus compile HANDLER.js -o FILE\n"
    "  Compiles a handler to bytecode for `nexus run --bytecode FILE` (and the HTTP\n"
    "  API). Bytecode is signed with the key of the cache directory (CACHE_DIR,\n"
    "  default .nexus-cache): it runs where that key is. A syntax error prints the\n"
    "  COMPILATION_ERROR result and exits 1.\n";

/* Reads a whole file (NUL-terminated; *len without the NUL). NULL on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    bool failed = ferror(f);
    fclose(f);
    if (!buf || failed) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "nexus: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return RUN_USAGE;
}

/* Parses the options shared by run and compile. Returns RUN_OK, RUN_USAGE, or -1 for
 * --help (printed). */
static int parse(int argc, char **argv, run_options *o, const char *usage)
{
    memset(o, 0, sizeof *o);
    o->caps = calloc((size_t)argc, sizeof *o->caps);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(a, "--context") == 0) slot = &o->context_path;
        else if (strcmp(a, "--bytecode") == 0) slot = &o->bytecode_path;
        else if (strcmp(a, "--timeout-ms") == 0) slot = &o->timeout_ms;
        else if (strcmp(a, "--memory-limit-mb") == 0) slot = &o->memory_limit_mb;
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) slot = &o->output_path;
        else if (strcmp(a, "--cap") == 0) slot = &o->caps[o->ncaps++];
        else if (a[0] == '-' && a[1]) return usage_error(usage, "unknown option '%s'", a);
        else if (o->handler_path) return usage_error(usage, "unexpected argument '%s'", a);
        else {
            o->handler_path = a;
            continue;
        }
        if (!v) return usage_error(usage, "option %s needs a value", a);
        *slot = v;
        i++;
    }
    return RUN_OK;
}

/* The runtime for one command: environment, then the command's options. */
static nx_runtime *open_runtime(const run_options *o)
{
    nx_config cfg;
    char err[512];
    nx_config_defaults(&cfg);
    bool ok = nx_config_from_env(&cfg, err, sizeof err) &&
              (!o->timeout_ms || nx_config_set(&cfg, "TIMEOUT_MS", o->timeout_ms, err, sizeof err)) &&
              (!o->memory_limit_mb ||
               nx_config_set(&cfg, "MEMORY_LIMIT_MB", o->memory_limit_mb, err, sizeof err));
    cfg.min_instances = 1;
    if (cfg.max_instances < 1) cfg.max_instances = 1;
    nx_runtime *rt = ok ? nx_runtime_create(&cfg, err, sizeof err) : NULL;
    if (!rt) fprintf(stderr, "nexus: %s\n", err);
    return rt;
}

/* The context text: the file's object plus --cap tokens. NULL (message printed) on bad
 * input. */
static char *build_context(const run_options *o)
{
    json_t *ctx;
    if (o->context_path) {
        json_error_t e;
        ctx = json_load_file(o->context_path, JSON_REJECT_DUPLICATES, &e);
        if (!ctx) {
            fprintf(stderr, "nexus: %s: %s (line %d, column %d)\n", o->context_path, e.text,
                    e.line, e.column);
            return NULL;
        }
        if (!json_is_object(ctx)) {
            fprintf(stderr, "nexus: %s: the context must be a JSON object\n", o->context_path);
            json_decref(ctx);
            return NULL;
        }
    } else {
        ctx = json_object();
    }
    if (o->ncaps) {
        json_t *caps = json_object_get(ctx, "capabilities");
        if (!caps || json_is_null(caps)) {
            caps = json_array();
            json_object_set_new(ctx, "capabilities", caps);
        }
        if (!json_is_array(caps)) {
            fprintf(stderr, "nexus: the context's capabilities must be an array\n");
            json_decref(ctx);
            return NULL;
        }
        for (int i = 0; i < o->ncaps; i++) json_array_append_new(caps, json_string(o->caps[i]));
    }
    char *text = json_dumps(ctx, JSON_COMPACT);
    json_decref(ctx);
    return text;
}

static void print_result(const nx_result *r)
{
    char *text = nx_result_json(r);
    puts(text ? text : "{\"status\":\"error\"}");
    fflush(stdout);
    free(text);
}

/* Reads one resume line from stdin and resumes. NULL (message printed) on bad input. */
static nx_result *resume_from_stdin(nx_runtime *rt, const char *id, bool *bad_input)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return nx_resume(rt, id, false, NULL, "end of input: no resume value was given");
    }
    json_error_t e;
    json_t *msg = json_loads(line, 0, &e);
    free(line);
    json_t *success = json_object_get(msg, "success");
    if (!json_is_object(msg) || !json_is_boolean(success)) {
        fprintf(stderr, "nexus: resume line: %s\n",
                msg ? "expected {\"success\":true,\"value\":...} or "
                      "{\"success\":false,\"error\":\"...\"}"
                    : e.text);
        json_decref(msg);
        *bad_input = true;
        return NULL;
    }
    nx_result *r;
    if (json_is_true(success)) {
        json_t *value = json_object_get(msg, "value");
        char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        r = nx_resume(rt, id, true, text, NULL);
        free(text);
    } else {
        const char *error = json_string_value(json_object_get(msg, "error"));
        r = nx_resume(rt, id, false, NULL, error ? error : "extension call failed");
    }
    json_decref(msg);
    return r;
}

int nx_run_main(int argc, char **argv)
{
    run_options o;
    int st = parse(argc, argv, &o, run_usage);
    if (st) {
        free(o.caps);
        return st < 0 ? RUN_OK : st;
    }
    if (!o.handler_path == !o.bytecode_path || o.output_path) {
        free(o.caps);
        return usage_error(run_usage, "%s", o.output_path ? "-o is for nexus compile"
                                                           : "give HANDLER.js or --bytecode FILE");
    }
    size_t len;
    const char *path = o.handler_path ? o.handler_path : o.bytecode_path;
    char *code = read_file(path, &len);
    char *context = code ? build_context(&o) : NULL;
    nx_runtime *rt = context ? open_runtime(&o) : NULL;
    if (!code) fprintf(stderr, "nexus: cannot read %s\n", path);
    st = RUN_USAGE;
    if (rt) {
        nx_result *r = o.handler_path
                           ? nx_execute(rt, code, len, context, 0)
                           : nx_execute_compiled(rt, (const uint8_t *)code, len, context, 0);
        bool bad_input = false;
        while (r && nx_result_status(r) == NX_SUSPENDED) {
            print_result(r);
            nx_result *next = resume_from_stdin(rt, nx_result_suspension_id(r), &bad_input);
            nx_result_free(r);
            r = next;
        }
        if (r) {
            print_result(r);
            st = nx_result_status(r) == NX_SUCCESS ? RUN_OK : RUN_HANDLER_ERROR;
        }
        nx_result_free(r);
        nx_runtime_destroy(rt);
    }
    free(context);
    free(code);
    free(o.caps);
    return st;
}

/* Writes bytes to path atomically (temporary file + rename). */
static bool write_atomically(const char *path, const uint8_t *data, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (ok && rename(tmp, path) == 0) return true;
    unlink(tmp);
    return false;
}

int nx_compile_main(int argc, char **argv)
{
    run_options o;
    int st = parse(argc, argv, &o, compile_usage);
    if (st || !o.handler_path || !o.output_path || o.bytecode_path || o.context_path ||
        o.ncaps) {
        free(o.caps);
        if (st) return st < 0 ? RUN_OK : st;
        return usage_error(compile_usage, "%s", "give HANDLER.js and -o FILE (only)");
    }
    size_t len;
    char *code = read_file(o.handler_path, &len);
    if (!code) {
        fprintf(stderr, "nexus: cannot read %s\n", o.handler_path);
        free(o.caps);
        return RUN_USAGE;
    }
    nx_runtime *rt = open_runtime(&o);
    st = RUN_USAGE;
    if (rt) {
        nx_result *r = nx_precompile(rt, code, len);
        size_t blen;
        const uint8_t *bc = nx_result_bytecode(r, &blen);
        if (nx_result_status(r) != NX_SUCCESS) {
            print_result(r);
            st = RUN_HANDLER_ERROR;
        } else if (!write_atomically(o.output_path, bc, blen)) {
            fprintf(stderr, "nexus: cannot write %s\n", o.output_path);
        } else {
            st = RUN_OK;
        }
        nx_result_free(r);
        nx_runtime_destroy(rt);
    }
    free(code);
    free(o.caps);
    return st;
}
