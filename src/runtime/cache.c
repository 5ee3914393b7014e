/*
 * cache.c — the compile cache and the signed bytecode container (cache.h).
 *
 * Container: a 76-byte header (magic, version, payload length, cache key, HMAC) and the
 * payload. The HMAC-SHA-256 (OpenSSL EVP_MAC) covers the first 44 header bytes and the
 * payload, under the cache's 32-byte secret: cacheDir/key, or a random per-process
 * secret when the cache is memory-only. nxc_unseal checks magic, version, lengths, then
 * the HMAC in constant time; nxc_payload only the former, for containers the cache
 * itself sealed or verified (every container in memory is one of those).
 *
 * Cache: two LRU lists with the same bound (max_bytes each):
 *   - memory: entries own a copy of their container; a hit returns a copy and makes the
 *     entry the newest;
 *   - disk: an index (key, size) of the files cacheDir/bytecode/<hex key>.qjsbc, built
 *     at open from a directory scan ordered by modification time (oldest first), updated
 *     by puts and hits (memory hits included), and evicted by unlinking files. A disk hit
 *     touches the file's mtime, so the order survives a restart (approximately: memory
 *     hits do not touch it).
 * Sizes are the containers' lengths (bookkeeping overhead not counted).
 *
 * Disk reads and writes happen outside the lock: a lookup that misses in memory opens
 * the file by name (so files written by another process sharing the directory are found
 * too), reads and verifies it — signature valid and the embedded key equal to the one
 * asked for — and only then takes the lock to record the hit. A file that fails is
 * unlinked and counted in corrupt_files. Writes go to a temporary file (".<name>.XXXXXX",
 * mode 0600) in the same directory, renamed over the final name, so readers see either
 * no file or a whole one; there is no fsync: a file torn by a crash fails verification
 * and is replaced. The index is a hint, not the truth: another process (or a race
 * between an eviction and a put of the same key) may remove a file the index still
 * lists; the next lookup finds it absent and drops it. Each process bounds only its own
 * view of a shared directory.
 *
 * The secret is created atomically: 32 bytes from RAND_bytes written to a temporary file
 * (mode 0600) then link()ed to cacheDir/key, which fails if another process created the
 * key first; either way the key used is the one read back from cacheDir/key. A key file
 * of the wrong size is replaced (rename) and read back the same way.
 *
 * Any failure to create or use the directory at open (mkdir, key, bytecode/, a probe
 * write) makes the cache memory-only with one NX_LOG_WARN line through the log callback;
 * a later failed write logs one warning per cache (then stays quiet) and the cache keeps
 * using the directory. With a NULL callback nothing is logged.
 */
#define _GNU_SOURCE
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* Container layout (offsets in bytes). */
enum {
    NXC_OFF_MAGIC = 0,
    NXC_OFF_VERSION = 4,
    NXC_OFF_LENGTH = 8,
    NXC_OFF_KEY = 12,
    NXC_OFF_MAC = 44, /* the HMAC covers [0, NXC_OFF_MAC) and the payload */
    NXC_MAC_SIZE = 32,
    NXC_MAGIC_SIZE = 4,
};
_Static_assert(NXC_OFF_KEY + NXC_KEY_SIZE == NXC_OFF_MAC, "key precedes the HMAC");
_Static_assert(NXC_OFF_MAC + NXC_MAC_SIZE == NXC_HEADER_SIZE, "header layout");

enum {
    NXC_SECRET_SIZE = 32,            /* HMAC key */
    NXC_SECRET_TRIES = 4,            /* rounds of create-then-read-back of cacheDir/key */
    NXC_STALE_TEMP_SECONDS = 3600,   /* temporary files older than this are removed at open */
    NXC_MIN_BUCKETS = 64,            /* hash buckets of an LRU (power of two) */
    NXC_HEX_SIZE = 2 * NXC_KEY_SIZE, /* hex key without NUL */
};

static const uint8_t nxc_magic[NXC_MAGIC_SIZE] = {'N', 'X', 'B', 'C'};

#define NXC_BYTECODE_SUBDIR "bytecode"
#define NXC_FILE_SUFFIX ".qjsbc"
#define NXC_SECRET_FILE "key"

/* ------------------------------------------------------------------ LRU lists */

/* One cached item. In the memory LRU it owns its container (data, size bytes); in the
 * disk index data is NULL and size is the file's size. */
typedef struct lru_entry {
    uint8_t key[NXC_KEY_SIZE];
    uint64_t size;
    uint8_t *data;
    struct lru_entry *newer, *older; /* recency list */
    struct lru_entry *chain;         /* next in the hash bucket (or in a victim list) */
} lru_entry;

/* A hash table of entries plus a recency list. Invariants: `bytes` is the sum of the
 * entries' sizes, `count` their number, every entry is in exactly one bucket chain and in
 * the list, and nbuckets is a power of two (or 0 before lru_init). */
typedef struct lru {
    lru_entry **buckets;
    size_t nbuckets, count;
    lru_entry *newest, *oldest;
    uint64_t bytes;
} lru;

static bool lru_init(lru *l) {
    memset(l, 0, sizeof *l);
    l->buckets = calloc(NXC_MIN_BUCKETS, sizeof *l->buckets);
    if (!l->buckets) return false;
    l->nbuckets = NXC_MIN_BUCKETS;
    return true;
}

/* Keys are SHA-256 digests: their first bytes are already uniformly distributed.
 * nbuckets is a power of two. */
static size_t bucket_index(const uint8_t key[NXC_KEY_SIZE], size_t nbuckets) {
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return (size_t)(h & (nbuckets - 1));
}

static size_t lru_bucket(const lru *l, const uint8_t key[NXC_KEY_SIZE]) {
    return bucket_index(key, l->nbuckets);
}

static lru_entry *lru_find(const lru *l, const uint8_t key[NXC_KEY_SIZE]) {
    for (lru_entry *e = l->buckets[lru_bucket(l, key)]; e; e = e->chain)
        if (memcmp(e->key, key, NXC_KEY_SIZE) == 0) return e;
    return NULL;
}

static void list_unlink(lru *l, lru_entry *e) {
    if (e->newer) e->newer->older = e->older;
    else l->newest = e->older;
    if (e->older) e->older->newer = e->newer;
    else l->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void list_push_newest(lru *l, lru_entry *e) {
    e->newer = NULL;
    e->older = l->newest;
    if (l->newest) l->newest->newer = e;
    else l->oldest = e;
    l->newest = e;
}

/* Makes e the most recently used. */
static void lru_touch(lru *l, lru_entry *e) {
    if (l->newest == e) return;
    list_unlink(l, e);
    list_push_newest(l, e);
}

/* Doubles the bucket array when the table is full; on allocation failure the chains
 * just get longer. */
static void lru_maybe_grow(lru *l) {
    if (l->count < l->nbuckets) return;
    size_t n = l->nbuckets * 2;
    lru_entry **b = calloc(n, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < l->nbuckets; i++) {
        for (lru_entry *e = l->buckets[i], *next; e; e = next) {
            next = e->chain;
            size_t j = bucket_index(e->key, n);
            e->chain = b[j];
            b[j] = e;
        }
    }
    free(l->buckets);
    l->buckets = b;
    l->nbuckets = n;
}

/* Adds e (key and size set, not in the table) as the newest entry. */
static void lru_insert(lru *l, lru_entry *e) {
    lru_maybe_grow(l);
    size_t b = lru_bucket(l, e->key);
    e->chain = l->buckets[b];
    l->buckets[b] = e;
    list_push_newest(l, e);
    l->count++;
    l->bytes += e->size;
}

/* Takes e out of the table and the list (the caller frees it). */
static void lru_remove(lru *l, lru_entry *e) {
    for (lru_entry **p = &l->buckets[lru_bucket(l, e->key)]; *p; p = &(*p)->chain) {
        if (*p == e) {
            *p = e->chain;
            break;
        }
    }
    e->chain = NULL;
    list_unlink(l, e);
    l->count--;
    l->bytes -= e->size;
}

static void entry_free(lru_entry *e) {
    if (!e) return;
    free(e->data);
    free(e);
}

static void lru_destroy(lru *l) {
    for (lru_entry *e = l->newest, *next; e; e = next) {
        next = e->older;
        entry_free(e);
    }
    free(l->buckets);
    memset(l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ the cache */

struct nxc_cache {
    /* Set by nxc_open, then only read (no lock needed). */
    uint64_t max_bytes;
    char *version;
    size_t version_len;
    uint8_t secret[NXC_SECRET_SIZE];
    EVP_MAC *hmac;      /* fetched once; contexts are made per call */
    EVP_MD *sha256;     /* fetched once (an implicit fetch per key costs a lookup) */
    char *bytecode_dir; /* cacheDir/bytecode; NULL when memory-only */
    nx_log_fn log;
    void *log_user;
    atomic_bool write_warned; /* a failed disk write has been logged */

    /* Guarded by lock. */
    pthread_mutex_t lock;
    lru memory; /* owns containers */
    lru disk;   /* index of files */
    uint64_t evictions, corrupt_files;
};

/* Sends one warning line to the log callback (none when it is NULL). */
static void warn(const nxc_cache *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(const nxc_cache *c, const char *fmt, ...) {
    if (!c->log) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->log(c->log_user, NX_LOG_WARN, line);
}

static void fmt_why(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_why(char *why, size_t why_size, const char *fmt, ...) {
    if (!why || !why_size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
}

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void nxc_key_hex(const uint8_t key[NXC_KEY_SIZE], char out[2 * NXC_KEY_SIZE + 1]) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < NXC_KEY_SIZE; i++) {
        out[2 * i] = digits[key[i] >> 4];
        out[2 * i + 1] = digits[key[i] & 15];
    }
    out[NXC_HEX_SIZE] = '\0';
}

/* A key that matches nothing, for when SHA-256 cannot be computed (out of memory): never
 * a shared constant, so two sources can never be confused. */
static void unique_key(uint8_t key[NXC_KEY_SIZE]) {
    static atomic_uint_fast64_t counter;
    if (RAND_bytes(key, NXC_KEY_SIZE) == 1) return;
    memset(key, 0xA5, NXC_KEY_SIZE);
    uint64_t n = atomic_fetch_add(&counter, 1) + 1;
    memcpy(key, &n, sizeof n);
}

void nxc_key(const nxc_cache *c, const char *source, size_t len, uint8_t key[NXC_KEY_SIZE]) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = ctx && EVP_DigestInit_ex(ctx, c->sha256, NULL) &&
              EVP_DigestUpdate(ctx, c->version, c->version_len) &&
              (len == 0 || EVP_DigestUpdate(ctx, source, len)) &&
              EVP_DigestFinal_ex(ctx, key, &n) && n == NXC_KEY_SIZE;
    EVP_MD_CTX_free(ctx);
    if (!ok) unique_key(key);
}

/* HMAC-SHA-256 of header[0, NXC_OFF_MAC) || payload under the cache secret. */
static bool compute_mac(const nxc_cache *c, const uint8_t *header, const uint8_t *payload,
                        size_t payload_len, uint8_t out[NXC_MAC_SIZE]) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(c->hmac);
    if (!ctx) return false;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t n = 0;
    bool ok = EVP_MAC_init(ctx, c->secret, sizeof c->secret, params) &&
              EVP_MAC_update(ctx, header, NXC_OFF_MAC) &&
              (payload_len == 0 || EVP_MAC_update(ctx, payload, payload_len)) &&
              EVP_MAC_final(ctx, out, &n, NXC_MAC_SIZE) && n == NXC_MAC_SIZE;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

uint8_t *nxc_seal(const nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], const uint8_t *blob,
                  size_t blob_len, size_t *out_len) {
    if (blob_len > UINT32_MAX) return NULL; /* the length field is 32 bits */
    uint8_t *out = malloc(NXC_HEADER_SIZE + blob_len);
    if (!out) return NULL;
    memcpy(out + NXC_OFF_MAGIC, nxc_magic, NXC_MAGIC_SIZE);
    put_u32(out + NXC_OFF_VERSION, NXC_CONTAINER_VERSION);
    put_u32(out + NXC_OFF_LENGTH, (uint32_t)blob_len);
    memcpy(out + NXC_OFF_KEY, key, NXC_KEY_SIZE);
    if (blob_len) memcpy(out + NXC_HEADER_SIZE, blob, blob_len);
    if (!compute_mac(c, out, out + NXC_HEADER_SIZE, blob_len, out + NXC_OFF_MAC)) {
        free(out);
        return NULL;
    }
    *out_len = NXC_HEADER_SIZE + blob_len;
    return out;
}

/* Checks a container's magic, version and lengths; the payload length, or SIZE_MAX with
 * the reason in why. */
static size_t check_header(const uint8_t *container, size_t len, char *why, size_t why_size) {
    if (!container) len = 0;
    size_t magic_len = len < NXC_MAGIC_SIZE ? len : NXC_MAGIC_SIZE;
    if (len == 0 || memcmp(container, nxc_magic, magic_len) != 0) {
        fmt_why(why, why_size, len == 0 ? "truncated: empty" : "not Nexus bytecode (bad magic)");
        return SIZE_MAX;
    }
    if (len < NXC_OFF_LENGTH) {
        fmt_why(why, why_size, "truncated: %zu bytes, the header alone has %d", len,
                NXC_HEADER_SIZE);
        return SIZE_MAX;
    }
    uint32_t version = get_u32(container + NXC_OFF_VERSION);
    if (version != NXC_CONTAINER_VERSION) {
        fmt_why(why, why_size, "unsupported container version %u", version);
        return SIZE_MAX;
    }
    if (len < NXC_HEADER_SIZE) {
        fmt_why(why, why_size, "truncated: %zu bytes, the header alone has %d", len,
                NXC_HEADER_SIZE);
        return SIZE_MAX;
    }
    size_t payload = get_u32(container + NXC_OFF_LENGTH);
    if (len - NXC_HEADER_SIZE < payload) {
        fmt_why(why, why_size, "truncated: payload of %zu bytes, %zu present", payload,
                len - NXC_HEADER_SIZE);
        return SIZE_MAX;
    }
    if (len - NXC_HEADER_SIZE > payload) {
        fmt_why(why, why_size, "malformed: %zu bytes after the payload",
                len - NXC_HEADER_SIZE - payload);
        return SIZE_MAX;
    }
    return payload;
}

const uint8_t *nxc_unseal(const nxc_cache *c, const uint8_t *container, size_t len,
                          size_t *blob_len, uint8_t key_out[NXC_KEY_SIZE], char *why,
                          size_t why_size) {
    size_t payload = check_header(container, len, why, why_size);
    if (payload == SIZE_MAX) return NULL;
    uint8_t mac[NXC_MAC_SIZE];
    if (!compute_mac(c, container, container + NXC_HEADER_SIZE, payload, mac)) {
        fmt_why(why, why_size, "cannot compute the signature (out of memory)");
        return NULL;
    }
    if (CRYPTO_memcmp(mac, container + NXC_OFF_MAC, NXC_MAC_SIZE) != 0) {
        fmt_why(why, why_size,
                "signature mismatch: modified, or signed by another installation's key");
        return NULL;
    }
    if (blob_len) *blob_len = payload;
    if (key_out) memcpy(key_out, container + NXC_OFF_KEY, NXC_KEY_SIZE);
    return container + NXC_HEADER_SIZE;
}

const uint8_t *nxc_payload(const uint8_t *container, size_t len, size_t *blob_len, char *why,
                           size_t why_size) {
    size_t payload = check_header(container, len, why, why_size);
    if (payload == SIZE_MAX) return NULL;
    if (blob_len) *blob_len = payload;
    return container + NXC_HEADER_SIZE;
}

/* ------------------------------------------------------------------ file helpers */

/* Writes all of buf; false with errno set on failure. */
static bool write_all(int fd, const uint8_t *buf, size_t len) {
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Reads up to len bytes; returns how many were read before EOF, or -1 (errno set). */
static ssize_t read_all(int fd, uint8_t *buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

/* Creates a temporary file "<dir>/.<base>.XXXXXX" (mode 0600) holding buf. Returns its
 * malloc'd path, or NULL with errno set. */
static char *write_temp(const char *dir, const char *base, const uint8_t *buf, size_t len) {
    char *tmp = NULL;
    if (asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
        errno = ENOMEM;
        return NULL;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        free(tmp);
        return NULL;
    }
    bool ok = write_all(fd, buf, len);
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        errno = saved;
        return NULL;
    }
    return tmp;
}

/* mkdir -p with mode 0700 for the components it creates; false with a reason. */
static bool make_dirs(const char *path, char *why, size_t why_size) {
    char *p = strdup(path);
    if (!p) {
        fmt_why(why, why_size, "out of memory");
        return false;
    }
    bool ok = true;
    size_t len = strlen(p);
    for (size_t i = 1; i <= len && ok; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            fmt_why(why, why_size, "cannot create directory \"%s\": %s", p, strerror(errno));
            ok = false;
        }
        p[i] = saved;
    }
    free(p);
    if (!ok) return false;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fmt_why(why, why_size, "\"%s\" is not a directory", path);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ the secret */

/* Reads path as a secret: true when it is a regular file of exactly NXC_SECRET_SIZE
 * bytes. *absent tells a missing file apart from a bad one. */
static bool read_secret(const char *path, uint8_t out[NXC_SECRET_SIZE], bool *absent,
                        int *err) {
    *absent = false;
    *err = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *absent = errno == ENOENT;
        *err = errno;
        return false;
    }
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == NXC_SECRET_SIZE &&
              read_all(fd, out, NXC_SECRET_SIZE) == NXC_SECRET_SIZE;
    close(fd);
    return ok;
}

/* Writes a fresh random secret to path: with link() when the file is absent (fails
 * harmlessly if another process wins the race), with rename() over a bad one. */
static bool create_secret(const char *dir, const char *path, bool replace, char *why,
                          size_t why_size) {
    uint8_t fresh[NXC_SECRET_SIZE];
    if (RAND_bytes(fresh, sizeof fresh) != 1) {
        fmt_why(why, why_size, "no random bytes for the key");
        return false;
    }
    char *tmp = write_temp(dir, NXC_SECRET_FILE, fresh, sizeof fresh);
    OPENSSL_cleanse(fresh, sizeof fresh);
    if (!tmp) {
        fmt_why(why, why_size, "cannot write \"%s\": %s", path, strerror(errno));
        return false;
    }
    bool ok = true;
    if (!replace && link(tmp, path) != 0 && errno != EEXIST) {
        /* file systems without hard links: fall back to rename (last writer wins; every
           process still uses the key it reads back) */
        replace = true;
    }
    if (replace && rename(tmp, path) != 0) {
        fmt_why(why, why_size, "cannot create \"%s\": %s", path, strerror(errno));
        ok = false;
    }
    unlink(tmp); /* after link (or a failed rename); after a rename it is already gone */
    free(tmp);
    return ok;
}

/* Loads cacheDir/key, creating or replacing it as needed; the secret in use is always
 * the one read back from the file. */
static bool load_secret(const char *dir, uint8_t out[NXC_SECRET_SIZE], char *why,
                        size_t why_size) {
    char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, NXC_SECRET_FILE) < 0) {
        fmt_why(why, why_size, "out of memory");
        return false;
    }
    bool ok = false;
    for (int round = 0; round < NXC_SECRET_TRIES && !ok; round++) {
        bool absent;
        int err;
        if (read_secret(path, out, &absent, &err)) {
            ok = true;
            break;
        }
        if (err && !absent && err != ELOOP) {
            fmt_why(why, why_size, "cannot read \"%s\": %s", path, strerror(err));
            break;
        }
        if (!create_secret(dir, path, !absent, why, why_size)) break;
        if (round == NXC_SECRET_TRIES - 1)
            fmt_why(why, why_size, "\"%s\" keeps changing", path);
    }
    free(path);
    return ok;
}

/* ------------------------------------------------------------------ opening */

/* True for "<64 lowercase hex>.qjsbc"; the key is decoded into key. */
static bool parse_file_name(const char *name, uint8_t key[NXC_KEY_SIZE]) {
    if (strlen(name) != NXC_HEX_SIZE + strlen(NXC_FILE_SUFFIX)) return false;
    if (strcmp(name + NXC_HEX_SIZE, NXC_FILE_SUFFIX) != 0) return false;
    for (size_t i = 0; i < NXC_HEX_SIZE; i++) {
        char ch = name[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0) return false;
        if (i % 2 == 0) key[i / 2] = (uint8_t)(v << 4);
        else key[i / 2] |= (uint8_t)v;
    }
    return true;
}

/* A file found by the scan. */
typedef struct scanned_file {
    uint8_t key[NXC_KEY_SIZE];
    uint64_t size;
    struct timespec mtime;
} scanned_file;

static int by_mtime(const void *a, const void *b) {
    const scanned_file *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return memcmp(x->key, y->key, NXC_KEY_SIZE);
}

static char *file_path(const nxc_cache *c, const uint8_t key[NXC_KEY_SIZE]) {
    char hex[NXC_HEX_SIZE + 1];
    nxc_key_hex(key, hex);
    char *path = NULL;
    if (asprintf(&path, "%s/%s%s", c->bytecode_dir, hex, NXC_FILE_SUFFIX) < 0) return NULL;
    return path;
}

/* Unlinks the files of a victim list (linked by `chain`) and frees the entries. Called
 * without the lock. */
static void remove_victims(const nxc_cache *c, lru_entry *victims) {
    while (victims) {
        lru_entry *next = victims->chain;
        char *path = file_path(c, victims->key);
        if (path) unlink(path);
        free(path);
        entry_free(victims);
        victims = next;
    }
}

/* Takes the oldest index entries out until the disk fits max_bytes; returns them as a
 * victim list for remove_victims. Called with the lock held. */
static lru_entry *evict_disk(nxc_cache *c) {
    lru_entry *victims = NULL;
    while (c->disk.bytes > c->max_bytes && c->disk.oldest) {
        lru_entry *e = c->disk.oldest;
        lru_remove(&c->disk, e);
        e->chain = victims;
        victims = e;
        c->evictions++;
    }
    return victims;
}

/* Builds the disk index from the files in bytecode/ (oldest modification first) and
 * removes temporary files left by writers that died. */
static void scan_disk(nxc_cache *c) {
    DIR *d = opendir(c->bytecode_dir);
    if (!d) return;
    scanned_file *files = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        if (de->d_name[0] == '.') {
            bool temp = strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
            if (temp && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(st.st_mode) && st.st_mtime + NXC_STALE_TEMP_SECONDS < now)
                unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        uint8_t key[NXC_KEY_SIZE];
        if (!parse_file_name(de->d_name, key)) continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            scanned_file *grown = realloc(files, ncap * sizeof *files);
            if (!grown) break; /* out of memory: index what we have */
            files = grown;
            cap = ncap;
        }
        memcpy(files[n].key, key, NXC_KEY_SIZE);
        files[n].size = (uint64_t)st.st_size;
        files[n].mtime = st.st_mtim;
        n++;
    }
    closedir(d);
    if (n) qsort(files, n, sizeof *files, by_mtime);
    for (size_t i = 0; i < n; i++) {
        lru_entry *e = calloc(1, sizeof *e);
        if (!e) break;
        memcpy(e->key, files[i].key, NXC_KEY_SIZE);
        e->size = files[i].size;
        lru_insert(&c->disk, e); /* later (newer) files end up nearer the newest end */
    }
    free(files);
    remove_victims(c, evict_disk(c)); /* no other thread knows c yet */
}

/* Sets up cacheDir: directories, secret, a probe write in bytecode/, the index. */
static bool open_disk(nxc_cache *c, const char *dir, char *why, size_t why_size) {
    if (!make_dirs(dir, why, why_size)) return false;
    if (!load_secret(dir, c->secret, why, why_size)) return false;
    if (asprintf(&c->bytecode_dir, "%s/%s", dir, NXC_BYTECODE_SUBDIR) < 0) {
        c->bytecode_dir = NULL;
        fmt_why(why, why_size, "out of memory");
        return false;
    }
    bool ok = make_dirs(c->bytecode_dir, why, why_size);
    if (ok) {
        static const uint8_t probe[1] = {0};
        char *tmp = write_temp(c->bytecode_dir, "probe", probe, sizeof probe);
        if (!tmp) {
            fmt_why(why, why_size, "cannot write in \"%s\": %s", c->bytecode_dir, strerror(errno));
            ok = false;
        } else {
            unlink(tmp);
            free(tmp);
        }
    }
    if (!ok) {
        free(c->bytecode_dir);
        c->bytecode_dir = NULL;
        return false;
    }
    scan_disk(c);
    return true;
}

nxc_cache *nxc_open(const char *dir, uint64_t max_bytes, const char *version, nx_log_fn log,
                    void *log_user) {
    nxc_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->max_bytes = max_bytes;
    c->log = log;
    c->log_user = log_user;
    c->version = strdup(version ? version : "");
    c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    bool ok = c->version && c->hmac && c->sha256 && lru_init(&c->memory) && lru_init(&c->disk) &&
              pthread_mutex_init(&c->lock, NULL) == 0;
    if (!ok) {
        lru_destroy(&c->memory);
        lru_destroy(&c->disk);
        EVP_MAC_free(c->hmac);
        EVP_MD_free(c->sha256);
        free(c->version);
        free(c);
        return NULL;
    }
    c->version_len = strlen(c->version);
    atomic_init(&c->write_warned, false);
    if (dir && *dir) {
        char why[1536] = "";
        if (!open_disk(c, dir, why, sizeof why))
            warn(c, "compile cache: cannot use \"%s\" (%s); caching in memory only", dir, why);
    }
    if (!c->bytecode_dir && RAND_bytes(c->secret, sizeof c->secret) != 1) {
        nxc_close(c);
        return NULL;
    }
    return c;
}

void nxc_close(nxc_cache *c) {
    if (!c) return;
    lru_destroy(&c->memory);
    lru_destroy(&c->disk);
    pthread_mutex_destroy(&c->lock);
    EVP_MAC_free(c->hmac);
    EVP_MD_free(c->sha256);
    OPENSSL_cleanse(c->secret, sizeof c->secret);
    free(c->bytecode_dir);
    free(c->version);
    free(c);
}

/* ------------------------------------------------------------------ lookups and stores */

/* Puts (or replaces) an owned copy in the memory LRU and evicts beyond max_bytes; takes
 * ownership of data (freed when it cannot be kept). Called with the lock held. */
static void memory_store(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], uint8_t *data,
                         size_t len) {
    lru_entry *e = lru_find(&c->memory, key);
    if (e) {
        lru_remove(&c->memory, e);
        free(e->data);
    } else {
        e = calloc(1, sizeof *e);
        if (!e) {
            free(data);
            return;
        }
        memcpy(e->key, key, NXC_KEY_SIZE);
    }
    e->data = data;
    e->size = len;
    lru_insert(&c->memory, e);
    while (c->memory.bytes > c->max_bytes && c->memory.oldest) {
        lru_entry *old = c->memory.oldest;
        lru_remove(&c->memory, old);
        entry_free(old);
        c->evictions++;
    }
}

/* Records that the file of key holds len bytes and is the newest; returns the disk
 * victims. Called with the lock held. */
static lru_entry *disk_record(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], uint64_t len) {
    lru_entry *e = lru_find(&c->disk, key);
    if (e) {
        lru_remove(&c->disk, e);
    } else {
        e = calloc(1, sizeof *e);
        if (!e) return evict_disk(c);
        memcpy(e->key, key, NXC_KEY_SIZE);
    }
    e->size = len;
    lru_insert(&c->disk, e);
    return evict_disk(c);
}

/* Drops key from the disk index (its file is gone or bad). Called with the lock held. */
static void disk_forget(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE]) {
    lru_entry *e = lru_find(&c->disk, key);
    if (e) {
        lru_remove(&c->disk, e);
        entry_free(e);
    }
}

/* Outcome of reading a cache file. */
typedef enum read_status {
    READ_OK,      /* *buf / *len hold the file */
    READ_ABSENT,  /* no such file */
    READ_BAD,     /* not a regular file, or shorter than a header, or changed while read */
    READ_TOO_BIG, /* larger than max_bytes: cannot be cached under this bound */
    READ_FAILED,  /* I/O error or out of memory: a miss, the file is left alone */
} read_status;

static read_status read_file(const nxc_cache *c, const char *path, uint8_t **buf, size_t *len) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return errno == ENOENT ? READ_ABSENT : errno == ELOOP ? READ_BAD : READ_FAILED;
    struct stat st;
    read_status rs = READ_OK;
    if (fstat(fd, &st) != 0) rs = READ_FAILED;
    else if (!S_ISREG(st.st_mode) || st.st_size < NXC_HEADER_SIZE) rs = READ_BAD;
    else if ((uint64_t)st.st_size > c->max_bytes || (uint64_t)st.st_size > SIZE_MAX - 1)
        rs = READ_TOO_BIG;
    if (rs != READ_OK) {
        close(fd);
        return rs;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size + 1); /* one more byte to notice a file that grew */
    if (!data) {
        close(fd);
        return READ_FAILED;
    }
    ssize_t n = read_all(fd, data, size + 1);
    close(fd);
    if (n != (ssize_t)size) {
        free(data);
        return n < 0 ? READ_FAILED : READ_BAD;
    }
    *buf = data;
    *len = size;
    return READ_OK;
}

/* Looks the key up on disk (the lock not held). On success the verified container is
 * returned in *out / *out_len and recorded in memory and in the index. */
static bool disk_get(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], uint8_t **out,
                     size_t *out_len) {
    char *path = file_path(c, key);
    if (!path) return false;
    uint8_t *data = NULL;
    size_t len = 0;
    read_status rs = read_file(c, path, &data, &len);
    bool verified = false;
    if (rs == READ_OK) {
        uint8_t inner[NXC_KEY_SIZE];
        verified = nxc_unseal(c, data, len, NULL, inner, NULL, 0) &&
                   memcmp(inner, key, NXC_KEY_SIZE) == 0;
        if (!verified) rs = READ_BAD;
    }
    if (rs == READ_BAD || rs == READ_TOO_BIG) unlink(path);
    else if (verified) utimensat(AT_FDCWD, path, NULL, 0); /* now the most recently used */
    free(path);

    if (rs == READ_FAILED) return false;
    uint8_t *copy = NULL;
    if (verified && (copy = malloc(len))) memcpy(copy, data, len);
    lru_entry *victims = NULL;
    pthread_mutex_lock(&c->lock);
    if (verified) {
        if (copy) memory_store(c, key, copy, len);
        victims = disk_record(c, key, len);
    } else {
        disk_forget(c, key);
        if (rs == READ_BAD) c->corrupt_files++;
    }
    pthread_mutex_unlock(&c->lock);
    remove_victims(c, victims);
    if (!verified) {
        free(data);
        return false;
    }
    *out = data;
    *out_len = len;
    return true;
}

bool nxc_get(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], uint8_t **container, size_t *len) {
    pthread_mutex_lock(&c->lock);
    lru_entry *e = lru_find(&c->memory, key);
    uint8_t *copy = NULL;
    size_t size = 0;
    if (e) {
        lru_touch(&c->memory, e);
        /* the file is as recently used as the entry (its mtime is left alone: a
           syscall per hit would cost more than the order after a restart is worth) */
        lru_entry *d = lru_find(&c->disk, key);
        if (d) lru_touch(&c->disk, d);
        size = (size_t)e->size;
        copy = malloc(size);
        if (copy) memcpy(copy, e->data, size);
    }
    pthread_mutex_unlock(&c->lock);
    if (e) {
        if (!copy) return false; /* out of memory: a miss */
        *container = copy;
        *len = size;
        return true;
    }
    return c->bytecode_dir && disk_get(c, key, container, len);
}

/* Writes the file of key atomically and records it (the lock not held). */
static void disk_put(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], const uint8_t *container,
                     size_t len) {
    char hex[NXC_HEX_SIZE + 1], base[NXC_HEX_SIZE + sizeof NXC_FILE_SUFFIX];
    nxc_key_hex(key, hex);
    snprintf(base, sizeof base, "%s%s", hex, NXC_FILE_SUFFIX);
    char *path = file_path(c, key);
    char *tmp = path ? write_temp(c->bytecode_dir, base, container, len) : NULL;
    int err = path ? errno : ENOMEM;
    bool ok = tmp && rename(tmp, path) == 0;
    if (tmp && !ok) {
        err = errno;
        unlink(tmp);
    }
    free(tmp);
    free(path);
    if (!ok) {
        if (!atomic_exchange(&c->write_warned, true))
            warn(c, "compile cache: cannot write in \"%s\" (%s); further write errors are "
                 "not logged", c->bytecode_dir, strerror(err));
        return;
    }
    pthread_mutex_lock(&c->lock);
    lru_entry *victims = disk_record(c, key, len);
    pthread_mutex_unlock(&c->lock);
    remove_victims(c, victims);
}

void nxc_put(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], const uint8_t *container,
             size_t len) {
    if (!container || len == 0 || len > c->max_bytes) return; /* could never be kept */
    uint8_t *copy = malloc(len);
    if (copy) {
        memcpy(copy, container, len);
        pthread_mutex_lock(&c->lock);
        memory_store(c, key, copy, len);
        pthread_mutex_unlock(&c->lock);
    }
    if (c->bytecode_dir) disk_put(c, key, container, len);
}

nxc_stats nxc_get_stats(nxc_cache *c) {
    nxc_stats s = {0};
    pthread_mutex_lock(&c->lock);
    s.memory_entries = c->memory.count;
    s.memory_bytes = c->memory.bytes;
    s.disk_entries = c->disk.count;
    s.disk_bytes = c->disk.bytes;
    s.evictions = c->evictions;
    s.corrupt_files = c->corrupt_files;
    pthread_mutex_unlock(&c->lock);
    s.disk_enabled = c->bytecode_dir != NULL;
    return s;
}
