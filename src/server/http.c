/*
 * http.c — the HTTP side of the server on libmicrohttpd: the listening socket, one
 * thread per connection, the life of a request (route, method, token, body size, body,
 * handler, response, log line) and the graceful stop.
 *
 * libmicrohttpd calls on_request several times per request: once when the headers are
 * in (the request object is created; 404/405/401/413 are answered right there, so a
 * refused body is never read), once per chunk of body, and once more when the body is
 * complete (the route's handler runs). on_completed runs when the response has been
 * sent or the connection failed; it writes the request's log line and frees it.
 *
 * Invariant: `in_flight` counts the requests between their first on_request call and
 * their on_completed call; nxsrv_stop waits for it to reach zero (bounded) so that
 * responses already being produced are delivered before the connections are closed.
 */
#define _GNU_SOURCE
#include "server.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* How long nxsrv_stop waits, after the runtime has stopped, for the responses of
 * requests in progress to be sent. */
#define NXSRV_DRAIN_MS 3000u

/* An idle connection (no request, or a client that stopped sending) is closed after
 * this many seconds. libmicrohttpd does not count the time a handler runs. */
#define NXSRV_IDLE_TIMEOUT_S 60u

/* The longest timeoutMs a request may give when TIMEOUT_MS is 0 (no default timeout). */
#define NXSRV_MAX_TIMEOUT_MS 3600000u

struct nxsrv_server {
    nxsrv_config cfg;
    nxsrv_context ctx;
    nx_log_level log_level;
    struct MHD_Daemon *daemon;
    int listen_fd;          /* handed to the daemon; closed by nxsrv_stop */
    uint16_t port;
    bool stopped;           /* nxsrv_stop has run (it is called from one thread) */
    pthread_mutex_t lock;   /* guards in_flight */
    pthread_cond_t drained; /* signalled when in_flight drops to 0 */
    unsigned in_flight;
};

/* One request, from its headers to its log line. */
typedef struct nxsrv_request {
    nxsrv_server *srv;
    const nxsrv_route *route; /* NULL: unknown path */
    char method[16];          /* for the log (a longer method is cut) */
    char *path;               /* malloc'd copy, for messages and the log */
    uint64_t start_ns;
    char *body;               /* malloc'd, len of cap bytes used */
    size_t len, cap;
    bool too_large;           /* the body passed BODY_LIMIT: it is dropped; answer 413 */
    bool out_of_memory;       /* the body could not be stored: answer 500 */
    bool answered;            /* a response is queued */
    unsigned status;          /* of the queued response */
    const char *error_code;   /* of the queued response (static), for the log */
} nxsrv_request;

uint64_t nxsrv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- listening */

/* Opens, binds and listens on HOST:HTTP_PORT (the first address HOST resolves to that
 * can be bound). Returns the socket and sets *port, or -1 with a message. */
static int open_listener(const nxsrv_config *cfg, uint16_t *port, char *err, size_t err_size)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char service[8];
    snprintf(service, sizeof service, "%u", cfg->port);
    struct addrinfo *list;
    int rc = getaddrinfo(cfg->host, service, &hints, &list);
    if (rc != 0) {
        snprintf(err, err_size, "HOST: cannot resolve \"%s\": %s", cfg->host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, why = 0;
    for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            why = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0) break;
        why = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        snprintf(err, err_size, "cannot listen on %s port %u (HOST, HTTP_PORT): %s", cfg->host,
                 cfg->port, strerror(why));
        return -1;
    }
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &addr_len);
    *port = addr.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&addr)->sin6_port)
                                       : ntohs(((struct sockaddr_in *)&addr)->sin_port);
    return fd;
}

/* ---------------------------------------------------------------- checks before the body */

static bool method_allowed(const nxsrv_route *route, const char *method)
{
    if (strcmp(method, route->method) == 0) return true;
    return strcmp(route->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

/* Compares a given token with the secret in time that depends only on the secret's
 * length. */
static bool same_secret(const char *given, const char *secret)
{
    size_t given_len = strlen(given), secret_len = strlen(secret);
    unsigned char diff = given_len != secret_len;
    for (size_t i = 0; i < secret_len; i++)
        diff |= (unsigned char)(secret[i] ^ (i < given_len ? given[i] : 0));
    return diff == 0;
}

/* Checks `Authorization: Bearer <token>`; false with out set to the 401. */
static bool check_token(struct MHD_Connection *c, const char *secret, nxsrv_reply *out)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        nxsrv_reply_error(out, 401, "UNAUTHORIZED", NULL,
                          "this server needs `Authorization: Bearer <token>` (AUTH_TOKEN is set)");
        return false;
    }
    h += 7;
    while (*h == ' ') h++;
    if (!same_secret(h, secret)) {
        nxsrv_reply_error(out, 401, "UNAUTHORIZED", NULL, "the bearer token is not valid");
        return false;
    }
    return true;
}

/* The declared Content-Length, or 0 when there is none (chunked) or it is malformed
 * (libmicrohttpd rejects a malformed one itself). */
static uint64_t declared_length(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!v || v[strspn(v, "0123456789")] != '\0') return 0;
    return strtoull(v, NULL, 10); /* ULLONG_MAX on overflow: too large, as it should be */
}

static void reply_too_large(const nxsrv_server *srv, nxsrv_reply *out)
{
    nxsrv_reply_error(out, 413, "PAYLOAD_TOO_LARGE", NULL,
                      "the request body is larger than BODY_LIMIT (%llu bytes)",
                      (unsigned long long)srv->cfg.body_limit);
}

/* What can be decided from the headers. True when out holds the answer. */
static bool answer_early(nxsrv_server *srv, struct MHD_Connection *c, const nxsrv_request *req,
                         const char *method, nxsrv_reply *out)
{
    if (!req->route) {
        nxsrv_reply_error(out, 404, "NOT_FOUND", NULL, "no route %.200s; the routes are %s",
                          req->path, nxsrv_route_list());
        return true;
    }
    if (!method_allowed(req->route, method)) {
        nxsrv_reply_error(out, 405, "METHOD_NOT_ALLOWED", NULL,
                          "%.15s is not allowed on %s; use %s", method, req->route->path,
                          req->route->allow);
        return true;
    }
    if (!req->route->public && srv->cfg.auth_token[0] && !check_token(c, srv->cfg.auth_token, out))
        return true;
    if (declared_length(c) > srv->cfg.body_limit) {
        reply_too_large(srv, out);
        return true;
    }
    return false;
}

/* ---------------------------------------------------------------- requests */

static nxsrv_request *request_new(nxsrv_server *srv, const char *url, const char *method)
{
    nxsrv_request *req = calloc(1, sizeof *req);
    if (!req) return NULL;
    req->path = strdup(url);
    if (!req->path) {
        free(req);
        return NULL;
    }
    req->srv = srv;
    req->start_ns = nxsrv_now_ns();
    req->route = nxsrv_route_find(url);
    snprintf(req->method, sizeof req->method, "%s", method);
    pthread_mutex_lock(&srv->lock);
    srv->in_flight++;
    pthread_mutex_unlock(&srv->lock);
    return req;
}

/* Adds a chunk of body, or drops the body once it passes the limit. */
static void append_body(nxsrv_request *req, const char *data, size_t n, uint64_t limit)
{
    if (req->too_large || req->out_of_memory) return;
    if (n > limit - req->len) { /* invariant: req->len <= limit */
        req->too_large = true;
        free(req->body);
        req->body = NULL;
        req->len = req->cap = 0;
        return;
    }
    if (req->len + n > req->cap) {
        size_t cap = req->cap ? req->cap : 4096;
        while (cap < req->len + n) cap *= 2;
        if (cap > limit) cap = (size_t)limit;
        char *bigger = realloc(req->body, cap);
        if (!bigger) {
            req->out_of_memory = true;
            return;
        }
        req->body = bigger;
        req->cap = cap;
    }
    memcpy(req->body + req->len, data, n);
    req->len += n;
}

/* Queues the reply (whose body passes to the response). */
static enum MHD_Result respond(nxsrv_server *srv, struct MHD_Connection *c, nxsrv_request *req,
                               nxsrv_reply *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (r->status == 405) MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, req->route->allow);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"nexus\"");
    if (r->retry_after_s) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%u", r->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
    }
    if (atomic_load(&srv->ctx.stopping))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    req->answered = true;
    req->status = r->status;
    req->error_code = r->error_code;
    return ok;
}

/* The body is complete: answer it. */
static enum MHD_Result finish_request(nxsrv_server *srv, struct MHD_Connection *c,
                                      nxsrv_request *req)
{
    nxsrv_reply reply = {0};
    if (req->too_large)
        reply_too_large(srv, &reply);
    else if (req->out_of_memory)
        nxsrv_reply_error(&reply, 500, "INTERNAL_ERROR", NULL,
                          "out of memory for the request body");
    else
        req->route->handle(&srv->ctx, req->body ? req->body : "", req->len, &reply);
    return respond(srv, c, req, &reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    nxsrv_server *srv = cls;
    nxsrv_request *req = *con_cls;
    if (!req) { /* the headers are in */
        req = request_new(srv, url, method);
        if (!req) return MHD_NO; /* out of memory: the connection is closed */
        *con_cls = req;
        nxsrv_reply reply = {0};
        if (answer_early(srv, c, req, method, &reply)) return respond(srv, c, req, &reply);
        return MHD_YES;
    }
    if (*upload_size) {
        if (!req->answered) append_body(req, upload_data, *upload_size, srv->cfg.body_limit);
        *upload_size = 0;
        return MHD_YES;
    }
    if (req->answered) return MHD_YES;
    return finish_request(srv, c, req);
}

/* The request's log line: info for 1xx-3xx, warn for 4xx and unanswered requests,
 * error for 5xx. */
static void log_request(const nxsrv_server *srv, const nxsrv_request *req,
                        enum MHD_RequestTerminationCode toe)
{
    nx_log_level level = !req->answered || req->status >= 400 ? NX_LOG_WARN : NX_LOG_INFO;
    if (req->answered && req->status >= 500) level = NX_LOG_ERROR;
    if (level < srv->log_level) return;
    double ms = (double)((nxsrv_now_ns() - req->start_ns) / 1000u) / 1000.0;
    json_t *f = json_pack("{s:o, s:o, s:o, s:f}", "method", nxsrv_json_text(req->method),
                          "path", nxsrv_json_text(req->path), "status",
                          req->answered ? json_integer(req->status) : json_null(), "durationMs",
                          ms);
    if (f && req->error_code) json_object_set_new(f, "errorCode", json_string(req->error_code));
    if (f && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        static const char *const why[] = {"completed", "failed", "idle timeout", "server stopped",
                                          "read error", "client aborted"};
        json_object_set_new(f, "terminated",
                            json_string((unsigned)toe < 6 ? why[toe] : "unknown"));
    }
    nxsrv_log_fields(srv->log_level, level, f);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    nxsrv_server *srv = cls;
    nxsrv_request *req = *con_cls;
    if (!req) return;
    *con_cls = NULL;
    log_request(srv, req, toe);
    free(req->body);
    free(req->path);
    free(req);
    pthread_mutex_lock(&srv->lock);
    if (--srv->in_flight == 0) pthread_cond_broadcast(&srv->drained);
    pthread_mutex_unlock(&srv->lock);
}

/* libmicrohttpd's own messages (failed thread creation, bad requests, ...). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    const nxsrv_server *srv = cls;
    char text[512];
    vsnprintf(text, sizeof text, fmt, ap);
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' ')) text[--n] = '\0';
    char message[560];
    snprintf(message, sizeof message, "libmicrohttpd: %s", text);
    nxsrv_log(srv->log_level, NX_LOG_DEBUG, message);
}

/* ---------------------------------------------------------------- start and stop */

nxsrv_server *nxsrv_start(const nxsrv_config *cfg, nx_runtime *rt, const nx_config *rt_cfg,
                          char *err, size_t err_size)
{
    nxsrv_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    srv->cfg = *cfg;
    srv->ctx.rt = rt;
    srv->ctx.max_timeout_ms = rt_cfg->timeout_ms ? rt_cfg->timeout_ms : NXSRV_MAX_TIMEOUT_MS;
    srv->ctx.started_ns = nxsrv_now_ns();
    atomic_init(&srv->ctx.stopping, false);
    srv->log_level = rt_cfg->log_level;
    pthread_mutex_init(&srv->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&srv->drained, &attr);
    pthread_condattr_destroy(&attr);
    srv->listen_fd = open_listener(cfg, &srv->port, err, err_size);
    if (srv->listen_fd < 0) {
        srv->stopped = true;
        nxsrv_free(srv);
        return NULL;
    }
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO |
            MHD_USE_ITC | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)NXSRV_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)NXSRV_IDLE_TIMEOUT_S, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, err_size, "cannot start the HTTP server on %s port %u (libmicrohttpd)",
                 cfg->host, srv->port);
        close(srv->listen_fd);
        srv->stopped = true;
        nxsrv_free(srv);
        return NULL;
    }
    return srv;
}

uint16_t nxsrv_port(const nxsrv_server *srv) { return srv->port; }

/* Waits until no request is in progress, for at most ms milliseconds. */
static void wait_drained(nxsrv_server *srv, uint32_t ms)
{
    uint64_t deadline = nxsrv_now_ns() + (uint64_t)ms * 1000000u; /* `drained` uses
                                                                    CLOCK_MONOTONIC */
    struct timespec until = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
    pthread_mutex_lock(&srv->lock);
    while (srv->in_flight > 0 &&
           pthread_cond_timedwait(&srv->drained, &srv->lock, &until) != ETIMEDOUT) {
    }
    pthread_mutex_unlock(&srv->lock);
}

void nxsrv_stop(nxsrv_server *srv)
{
    if (srv->stopped) return;
    srv->stopped = true;
    atomic_store(&srv->ctx.stopping, true);
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon); /* no new connections */
    if (fd != MHD_INVALID_SOCKET) close(fd);
    nx_runtime_shutdown(srv->ctx.rt, srv->cfg.shutdown_grace_ms);
    wait_drained(srv, NXSRV_DRAIN_MS);
    MHD_stop_daemon(srv->daemon); /* closes what is left, joins the connection threads */
    srv->daemon = NULL;
}

void nxsrv_free(nxsrv_server *srv)
{
    if (!srv) return;
    nxsrv_stop(srv);
    pthread_cond_destroy(&srv->drained);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
}
