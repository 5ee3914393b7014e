/*
 * serve.c — `nexus serve`: runs the handler runtime as an HTTP service until SIGTERM or
 * SIGINT.
 *
 * Every setting comes from the environment: the server's (HOST, HTTP_PORT, BODY_LIMIT,
 * AUTH_TOKEN, SHUTDOWN_GRACE_MS; nexus_server.h) and the runtime's (MAX_INSTANCES,
 * TIMEOUT_MS, CACHE_DIR, LOG_LEVEL, ...; nexus.h). All are checked before anything
 * starts; a bad one is one line naming the variable, and exit status 2. On start the
 * command prints where it listens and how to call it (stderr); from then on stderr
 * carries JSON log lines. On SIGTERM/SIGINT it stops accepting connections, lets
 * running executions finish (SHUTDOWN_GRACE_MS), sends their responses and exits 0.
 *
 * The stop signals are blocked before the first thread starts, so every thread of the
 * runtime and of libmicrohttpd inherits the mask and only sigwait() here receives them.
 */
#define _GNU_SOURCE
#include "serve.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus.h"
#include "nexus_server.h"

enum { SERVE_EXIT_OK = 0, SERVE_EXIT_START = 1, SERVE_EXIT_USAGE = 2 };

/* Reads both configurations from the environment; false with a message in err. */
static bool serve_load_config(nx_config *rt_cfg, nxsrv_config *srv_cfg, char *err,
                              size_t err_size)
{
    nx_config_defaults(rt_cfg);
    nxsrv_config_defaults(srv_cfg);
    return nxsrv_config_from_env(srv_cfg, err, err_size) &&
           nx_config_from_env(rt_cfg, err, err_size) && nx_config_validate(rt_cfg, err, err_size);
}

static void serve_print_help(FILE *out)
{
    nx_config rt_cfg;
    nxsrv_config srv_cfg;
    char err[512];
    bool env_ok = serve_load_config(&rt_cfg, &srv_cfg, err, sizeof err);
    char *srv_table = nxsrv_config_describe(&srv_cfg);
    char *rt_table = nx_config_describe(&rt_cfg);
    fprintf(out,
            "usage: nexus serve\n"
            "\n"
            "Serves the handler runtime over HTTP until SIGTERM or SIGINT:\n"
            "  POST /v1/execute  {code | bytecode (base64), context, timeoutMs} -> result\n"
            "  POST /v1/compile  {code} -> {bytecode, sha256, cacheHit, compilationTimeUs}\n"
            "  POST /v1/resume   {suspensionId, result: {success, value | error}} -> result\n"
            "  GET  /v1/stats    runtime statistics (JSON)\n"
            "  GET  /metrics     Prometheus metrics\n"
            "  GET  /health      {\"status\": \"ok\"} (needs no token)\n"
            "Request and response shapes and the HTTP statuses: README.md, \"The HTTP server\".\n"
            "Logs: one JSON object per line on stderr (per request: time, level, method,\n"
            "path, status, durationMs, errorCode), filtered by LOG_LEVEL.\n"
            "On SIGTERM/SIGINT: new connections are refused, running executions get\n"
            "SHUTDOWN_GRACE_MS to finish (then they are stopped with TIMEOUT), their\n"
            "responses are sent, and the command exits 0.\n"
            "\n"
            "Every setting is an environment variable (VALUE: as the environment sets it).\n"
            "\n"
            "Server settings:\n%s\n"
            "Runtime settings:\n%s\n"
            "exit status: 0 stopped by SIGTERM or SIGINT; 1 the runtime or the listener\n"
            "could not start (e.g. the port is in use); 2 bad argument or setting.\n",
            srv_table ? srv_table : "(out of memory)\n", rt_table ? rt_table : "(out of memory)\n");
    if (!env_ok) fprintf(out, "\nnote: the environment has a bad setting: %s\n", err);
    free(srv_table);
    free(rt_table);
}

/* The base URL to call the server at: a wildcard HOST is called on the loopback
 * address, an IPv6 address goes in brackets. */
static void serve_base_url(const nxsrv_config *cfg, uint16_t port, char *out, size_t size)
{
    const char *host = cfg->host;
    if (strcmp(host, "0.0.0.0") == 0) host = "127.0.0.1";
    if (strcmp(host, "::") == 0) host = "::1";
    bool v6 = strchr(host, ':') != NULL;
    snprintf(out, size, "http://%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

static void serve_print_banner(const nxsrv_config *cfg, uint16_t port)
{
    char url[300];
    serve_base_url(cfg, port, url, sizeof url);
    const char *auth = cfg->auth_token[0] ? " -H \"Authorization: Bearer $AUTH_TOKEN\"" : "";
    const char *wildcard = strcmp(cfg->host, "0.0.0.0") == 0 || strcmp(cfg->host, "::") == 0
                               ? " (HOST is a wildcard: every interface)"
                               : "";
    fprintf(stderr,
            "nexus serve: listening on %s%s\n"
            "  run a handler:\n"
            "    curl -s %s/v1/execute%s \\\n"
            "      -d '{\"code\": \"return $args.a + $args.b\", \"context\": {\"args\": {\"a\": 2, "
            "\"b\": 3}}}'\n"
            "  also: POST /v1/compile, POST /v1/resume, GET /v1/stats, GET /metrics, GET /health\n"
            "  stop: Ctrl-C or SIGTERM (running executions finish first)\n"
            "  settings and routes: nexus serve --help\n",
            url, wildcard, url, auth);
}

/* Blocks SIGTERM and SIGINT in this thread (and the threads it will create) and
 * ignores SIGPIPE (a client that goes away must not end the server). On Linux a blocked
 * signal stays pending even when its disposition is SIG_IGN (as SIGINT is for a shell's
 * background job), so sigwait() still receives it. */
static void serve_block_signals(sigset_t *stop)
{
    sigemptyset(stop);
    sigaddset(stop, SIGTERM);
    sigaddset(stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Serves until a stop signal, then stops gracefully. */
static void serve_until_signal(nxsrv_server *srv, const sigset_t *stop, nx_log_level level)
{
    int sig = 0;
    while (sigwait(stop, &sig) != 0) {
    }
    char message[96];
    snprintf(message, sizeof message, "%s received: stopping (running executions finish first)",
             sig == SIGINT ? "SIGINT" : "SIGTERM");
    nxsrv_log(level, NX_LOG_INFO, message);
    nxsrv_stop(srv);
}

int nx_serve_main(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            serve_print_help(stdout);
            return SERVE_EXIT_OK;
        }
        fprintf(stderr, "nexus serve: unexpected argument '%s' (settings come from the "
                        "environment; see nexus serve --help)\n", argv[1]);
        return SERVE_EXIT_USAGE;
    }
    nx_config rt_cfg;
    nxsrv_config srv_cfg;
    char err[512];
    if (!serve_load_config(&rt_cfg, &srv_cfg, err, sizeof err)) {
        fprintf(stderr, "nexus serve: %s\n", err);
        return SERVE_EXIT_USAGE;
    }
    rt_cfg.log = nxsrv_runtime_log;
    sigset_t stop;
    serve_block_signals(&stop);
    nx_runtime *rt = nx_runtime_create(&rt_cfg, err, sizeof err);
    if (!rt) {
        fprintf(stderr, "nexus serve: cannot start the runtime: %s\n", err);
        return SERVE_EXIT_START;
    }
    nxsrv_server *srv = nxsrv_start(&srv_cfg, rt, &rt_cfg, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "nexus serve: %s\n", err);
        nx_runtime_destroy(rt);
        return SERVE_EXIT_START;
    }
    serve_print_banner(&srv_cfg, nxsrv_port(srv));
    char message[320], url[300];
    serve_base_url(&srv_cfg, nxsrv_port(srv), url, sizeof url);
    snprintf(message, sizeof message, "listening on %s", url);
    nxsrv_log(rt_cfg.log_level, NX_LOG_INFO, message);
    serve_until_signal(srv, &stop, rt_cfg.log_level);
    nxsrv_free(srv);
    nx_runtime_destroy(rt);
    nxsrv_log(rt_cfg.log_level, NX_LOG_INFO, "stopped");
    return SERVE_EXIT_OK;
}
