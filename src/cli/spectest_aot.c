/*
 * spectest_aot.c — the ahead-of-time mode of `nexus spectest` (see spectest_aot.h):
 * translates a script's modules into C with nxw_aot_generate (module k becomes the
 * header nxs_k.h and the part nxs_k_0.c defining `const nxw_aot_code nxs_k`), compiles
 * them with the system C compiler (run with posix_spawnp, its output kept in a log
 * file of the temporary directory) into a shared object, loads that with dlopen, looks
 * the descriptors up with dlsym and attaches them to the modules. A batch of modules
 * is compiled as one translation unit that includes every part (all names in generated
 * code carry the module's symbol, so the parts do not collide); when that fails, each
 * module of the batch is compiled alone. Temporary files are removed as soon as the
 * shared object is loaded; the directory goes with st_aot_free.
 */
#define _GNU_SOURCE
#include "spectest_aot.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* State of one module's native code. */
typedef enum st_aot_state {
    ST_AOT_GENERATED, /* translated: C files written, not yet compiled */
    ST_AOT_READY,     /* compiled and loaded: `code` is set */
    ST_AOT_REFUSED,   /* not supported by the translator (interpreted) */
    ST_AOT_BROKEN,    /* translation, compilation or loading failed */
} st_aot_state;

typedef struct st_aot_entry {
    char *key;         /* the module's file */
    unsigned index;    /* k of symbol nxs_k */
    st_aot_state state;
    char *message;     /* why, for REFUSED and BROKEN */
    const nxw_aot_code *code;
} st_aot_entry;

struct st_aot {
    char *cc;
    char *optimize; /* e.g. "-O0" */
    char *include_dirs[2];
    char *dir; /* the temporary directory */
    st_aot_entry *entries;
    size_t count, cap;
    size_t built;   /* entries [0, built) have been through a build */
    void **handles; /* loaded shared objects */
    size_t nhandles, cap_handles;
    unsigned batches;
};

/* ---------------------------------------------------------------- helpers */

static char *aot_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy) memcpy(copy, s, n);
    return copy;
}

static char *aot_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A fresh string formatted like printf (NULL when out of memory). */
static char *aot_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Path of file `name` (printf-formatted) in the temporary directory. */
static char *aot_path(const st_aot *a, const char *fmt, unsigned k)
{
    char name[64];
    snprintf(name, sizeof name, fmt, k);
    return aot_printf("%s/%s", a->dir, name);
}

static void aot_unlink(const st_aot *a, const char *fmt, unsigned k)
{
    char *path = aot_path(a, fmt, k);
    if (path) unlink(path);
    free(path);
}

/* Records that entry e ends in `state` with a message. */
static void aot_settle(st_aot_entry *e, st_aot_state state, const char *message)
{
    e->state = state;
    free(e->message);
    e->message = aot_strdup(message ? message : "");
}

/* True when the translator's refusal is its documented limit (SIMD: v128 values and
 * instructions), not a bug. */
static bool aot_is_unsupported(const nxw_error *err)
{
    return err->status == NXW_ERR_INVALID &&
           (strstr(err->message, "SIMD") || strstr(err->message, "v128"));
}

/* ---------------------------------------------------------------- life cycle */

st_aot *st_aot_new(const char *cc, const char *const include_dirs[2], const char *optimize,
                   char *msg, size_t size)
{
    st_aot *a = calloc(1, sizeof *a);
    const char *tmp = getenv("TMPDIR");
    if (a) {
        a->cc = aot_strdup(cc);
        a->optimize = aot_strdup(optimize);
        a->include_dirs[0] = aot_strdup(include_dirs[0]);
        a->include_dirs[1] = aot_strdup(include_dirs[1]);
        a->dir = aot_printf("%s/nexus-spectest-aot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    }
    if (!a || !a->cc || !a->optimize || !a->include_dirs[0] || !a->include_dirs[1] || !a->dir) {
        snprintf(msg, size, "out of memory");
        st_aot_free(a);
        return NULL;
    }
    if (!mkdtemp(a->dir)) {
        snprintf(msg, size, "cannot create a temporary directory %s: %s", a->dir, strerror(errno));
        free(a->dir);
        a->dir = NULL;
        st_aot_free(a);
        return NULL;
    }
    return a;
}

void st_aot_free(st_aot *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->nhandles; i++) dlclose(a->handles[i]);
    free(a->handles);
    for (size_t i = 0; i < a->count; i++) {
        if (a->entries[i].state == ST_AOT_GENERATED) { /* added but never built */
            aot_unlink(a, "nxs_%u.h", a->entries[i].index);
            aot_unlink(a, "nxs_%u_0.c", a->entries[i].index);
        }
        free(a->entries[i].key);
        free(a->entries[i].message);
    }
    free(a->entries);
    if (a->dir) rmdir(a->dir);
    free(a->dir);
    free(a->cc);
    free(a->optimize);
    free(a->include_dirs[0]);
    free(a->include_dirs[1]);
    free(a);
}

/* ---------------------------------------------------------------- translation */

static st_aot_entry *aot_find(st_aot *a, const char *key)
{
    for (size_t i = 0; i < a->count; i++)
        if (strcmp(a->entries[i].key, key) == 0) return &a->entries[i];
    return NULL;
}

/* Writes module m's header and part for entry e; false with the reason in err. */
static bool aot_generate(st_aot *a, const st_aot_entry *e, const nxw_module *m, nxw_error *err)
{
    char symbol[32], header_name[40];
    snprintf(symbol, sizeof symbol, "nxs_%u", e->index);
    snprintf(header_name, sizeof header_name, "%s.h", symbol);
    char *header_path = aot_path(a, "nxs_%u.h", e->index);
    char *part_path = aot_path(a, "nxs_%u_0.c", e->index);
    FILE *header = header_path ? fopen(header_path, "w") : NULL;
    FILE *part = part_path ? fopen(part_path, "w") : NULL;
    bool ok = header && part;
    if (!ok) {
        memset(err, 0, sizeof *err);
        err->status = NXW_ERR_NOMEM;
        snprintf(err->message, sizeof err->message, "cannot write the generated C in %s: %s",
                 a->dir, strerror(errno));
    } else {
        ok = nxw_aot_generate(m, symbol, header_name, header, &part, 1, err) == NXW_OK;
    }
    if (header && fclose(header) != 0) ok = false;
    if (part && fclose(part) != 0) ok = false;
    if (!ok) {
        if (header_path) unlink(header_path);
        if (part_path) unlink(part_path);
    }
    free(header_path);
    free(part_path);
    return ok;
}

bool st_aot_add(st_aot *a, const char *key, const nxw_module *m)
{
    if (aot_find(a, key)) return true;
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        st_aot_entry *grown = realloc(a->entries, cap * sizeof *grown);
        if (!grown) return false;
        a->entries = grown;
        a->cap = cap;
    }
    st_aot_entry *e = &a->entries[a->count];
    memset(e, 0, sizeof *e);
    e->key = aot_strdup(key);
    if (!e->key) return false;
    e->index = (unsigned)a->count;
    a->count++;
    nxw_error err;
    memset(&err, 0, sizeof err);
    if (aot_generate(a, e, m, &err)) {
        e->state = ST_AOT_GENERATED;
    } else if (aot_is_unsupported(&err)) {
        aot_settle(e, ST_AOT_REFUSED, err.message);
    } else {
        char *why = aot_printf("translation failed (%s): %s", nxw_status_message(err.status),
                               err.message);
        aot_settle(e, ST_AOT_BROKEN, why ? why : err.message);
        free(why);
    }
    return true;
}

/* ---------------------------------------------------------------- compilation */

/* Copies text s into out[size], cut short when it does not fit. */
static void aot_copy(char *out, size_t size, const char *s)
{
    size_t n = strlen(s);
    if (n >= size) n = size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The first line of the compiler's log that reports an error (or the first line). */
static void aot_log_excerpt(const char *log_path, char *out, size_t size)
{
    out[0] = '\0';
    FILE *fp = fopen(log_path, "r");
    if (!fp) return;
    char line[512];
    bool have = false;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (!have) {
            aot_copy(out, size, line);
            have = true;
        }
        if (strstr(line, "error")) {
            aot_copy(out, size, line);
            break;
        }
    }
    fclose(fp);
}

/* Compiles `source` into the shared object `object`; false with a reason in why. */
static bool aot_compile(st_aot *a, const char *source, const char *object, char *why, size_t size)
{
    char *log_path = aot_printf("%s/cc.log", a->dir);
    if (!log_path) {
        snprintf(why, size, "out of memory");
        return false;
    }
    char *argv[] = {a->cc,       "-shared",          "-fPIC", "-std=gnu17",
                    a->optimize, "-g0",              "-w",    "-ffp-contract=off",
                    "-I",        a->include_dirs[0], "-I",    a->include_dirs[1],
                    "-o",        (char *)object,     (char *)source, "-lm",
                    NULL};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);
    pid_t pid;
    int rc = posix_spawnp(&pid, a->cc, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    bool ok = false;
    if (rc != 0) {
        snprintf(why, size, "cannot run the C compiler '%s': %s", a->cc, strerror(rc));
    } else {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) continue;
        ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok) {
            char excerpt[256];
            aot_log_excerpt(log_path, excerpt, sizeof excerpt);
            snprintf(why, size, "the generated C does not compile (%s %s %d): %s", a->cc,
                     WIFEXITED(status) ? "exit status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), excerpt);
        }
    }
    unlink(log_path);
    free(log_path);
    return ok;
}

/* Loads `object` and settles entries list[0..n) (each READY or BROKEN). */
static void aot_load(st_aot *a, const char *object, st_aot_entry **list, size_t n)
{
    if (a->nhandles == a->cap_handles) {
        size_t cap = a->cap_handles ? a->cap_handles * 2 : 8;
        void **grown = realloc(a->handles, cap * sizeof *grown);
        if (!grown) {
            for (size_t i = 0; i < n; i++) aot_settle(list[i], ST_AOT_BROKEN, "out of memory");
            return;
        }
        a->handles = grown;
        a->cap_handles = cap;
    }
    void *handle = dlopen(object, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        char *text = aot_printf("cannot load the compiled code: %s", why ? why : "dlopen failed");
        for (size_t i = 0; i < n; i++)
            aot_settle(list[i], ST_AOT_BROKEN, text ? text : "cannot load the compiled code");
        free(text);
        return;
    }
    a->handles[a->nhandles++] = handle;
    for (size_t i = 0; i < n; i++) {
        char symbol[32];
        snprintf(symbol, sizeof symbol, "nxs_%u", list[i]->index);
        list[i]->code = dlsym(handle, symbol);
        if (list[i]->code) aot_settle(list[i], ST_AOT_READY, NULL);
        else aot_settle(list[i], ST_AOT_BROKEN, "the compiled code lacks its descriptor symbol");
    }
}

/* Compiles and loads entries list[0..n) as one translation unit; when that does not
 * compile and n > 1, each alone. */
static void aot_build_group(st_aot *a, st_aot_entry **list, size_t n)
{
    unsigned batch = a->batches++;
    char *source = NULL;
    char *object = aot_path(a, "batch_%u.so", batch);
    if (n == 1) {
        source = aot_path(a, "nxs_%u_0.c", list[0]->index);
    } else {
        source = aot_path(a, "batch_%u.c", batch);
        FILE *fp = source ? fopen(source, "w") : NULL;
        bool ok = fp != NULL;
        for (size_t i = 0; ok && i < n; i++)
            ok = fprintf(fp, "#include \"nxs_%u_0.c\"\n", list[i]->index) > 0;
        if (fp && fclose(fp) != 0) ok = false;
        if (!ok) {
            for (size_t i = 0; i < n; i++)
                aot_settle(list[i], ST_AOT_BROKEN, "cannot write the batch of generated C");
            if (source) unlink(source);
            free(source);
            free(object);
            return;
        }
    }
    char why[320];
    bool compiled = source && object && aot_compile(a, source, object, why, sizeof why);
    if (n > 1 && source) unlink(source);
    if (compiled) {
        aot_load(a, object, list, n);
    } else if (n > 1) {
        for (size_t i = 0; i < n; i++) aot_build_group(a, &list[i], 1);
    } else {
        aot_settle(list[0], ST_AOT_BROKEN, source && object ? why : "out of memory");
    }
    if (object) unlink(object);
    free(source);
    free(object);
}

void st_aot_build(st_aot *a)
{
    size_t n = 0;
    st_aot_entry **list = calloc(a->count - a->built + 1, sizeof *list);
    for (size_t i = a->built; i < a->count; i++) {
        if (a->entries[i].state != ST_AOT_GENERATED) continue;
        if (list) list[n++] = &a->entries[i];
        else aot_settle(&a->entries[i], ST_AOT_BROKEN, "out of memory");
    }
    if (n) aot_build_group(a, list, n);
    for (size_t i = 0; i < n; i++) { /* the sources are no longer needed */
        aot_unlink(a, "nxs_%u.h", list[i]->index);
        aot_unlink(a, "nxs_%u_0.c", list[i]->index);
    }
    free(list);
    a->built = a->count;
}

/* ---------------------------------------------------------------- attaching */

st_aot_result st_aot_attach(st_aot *a, const char *key, nxw_module *m, char *msg, size_t size)
{
    st_aot_entry *e = aot_find(a, key);
    if (!e) {
        if (!st_aot_add(a, key, m)) {
            snprintf(msg, size, "out of memory");
            return ST_AOT_FAILED;
        }
        st_aot_build(a);
        e = aot_find(a, key);
    }
    switch (e->state) {
    case ST_AOT_READY: {
        nxw_error err;
        memset(&err, 0, sizeof err);
        if (nxw_module_attach_aot(m, e->code, &err) == NXW_OK) return ST_AOT_ATTACHED;
        snprintf(msg, size, "cannot attach the native code: %s", err.message);
        return ST_AOT_FAILED;
    }
    case ST_AOT_REFUSED:
        snprintf(msg, size, "%s", e->message ? e->message : "not supported");
        return ST_AOT_NOT_TRANSLATED;
    case ST_AOT_BROKEN:
        snprintf(msg, size, "%s", e->message ? e->message : "failed");
        return ST_AOT_FAILED;
    default:
        snprintf(msg, size, "the module was translated but not built");
        return ST_AOT_FAILED;
    }
}
