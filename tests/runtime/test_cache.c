/*
 * test_cache.c — the compile cache and the bytecode container (src/runtime/cache.c).
 *
 * Container: seal/unseal round trips; every single-byte change, every truncation, an
 * extra byte, a wrong magic or version and another cache's secret are rejected with the
 * documented reason. Cache: the key file (created 0600, shared by two caches on one
 * directory, replaced when it has the wrong size), persistence across close/open, files
 * that fail verification (modified, truncated, garbage, another key's container) are a
 * miss and are removed and counted, LRU eviction by size in memory and on disk (order
 * kept across a restart through mtimes), an unusable directory gives a memory-only cache
 * with exactly one warning, a later write failure one more, and 4 threads sharing a
 * cache (also run under ThreadSanitizer).
 *
 * Every test works in its own directory under NEXUS_TEST_TMP (or /tmp), removed first.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"

enum {
    BLOB_SIZE = 1000,                           /* payload of the test containers */
    ENTRY_SIZE = NXC_HEADER_SIZE + BLOB_SIZE,   /* what one entry counts */
    THREADS = 4,
    THREAD_ROUNDS = 400,
    THREAD_SOURCES = 24,
};

/* ------------------------------------------------------------------ helpers */

/* Log lines received, by level (a mutex: the callback may run on several threads). */
typedef struct log_capture {
    pthread_mutex_t lock;
    int warnings, others;
    char last[2048];
} log_capture;

static void capture_log(void *user, nx_log_level level, const char *message) {
    log_capture *lc = user;
    pthread_mutex_lock(&lc->lock);
    if (level == NX_LOG_WARN) lc->warnings++;
    else lc->others++;
    snprintf(lc->last, sizeof lc->last, "%s", message);
    pthread_mutex_unlock(&lc->lock);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* A fresh, empty directory for one test: $NEXUS_TEST_TMP/cache-<name>. */
static void scratch_dir(const char *name, char *out, size_t size) {
    const char *base = getenv("NEXUS_TEST_TMP");
    snprintf(out, size, "%s/cache-%s", base && *base ? base : "/tmp", name);
    nftw(out, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    assert_int_equal(mkdir(out, 0700), 0);
}

/* A deterministic test payload for source number n. */
static void make_blob(unsigned n, uint8_t blob[BLOB_SIZE]) {
    uint32_t x = 2654435761u * (n + 1);
    for (size_t i = 0; i < BLOB_SIZE; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        blob[i] = (uint8_t)x;
    }
}

static void source_of(unsigned n, char out[32]) { snprintf(out, 32, "return %u;", n); }

/* Key and sealed container of source number n. */
static uint8_t *entry_of(nxc_cache *c, unsigned n, uint8_t key[NXC_KEY_SIZE], size_t *len) {
    char src[32];
    source_of(n, src);
    nxc_key(c, src, strlen(src), key);
    uint8_t blob[BLOB_SIZE];
    make_blob(n, blob);
    uint8_t *container = nxc_seal(c, key, blob, BLOB_SIZE, len);
    assert_non_null(container);
    assert_int_equal(*len, ENTRY_SIZE);
    return container;
}

static void put_source(nxc_cache *c, unsigned n) {
    uint8_t key[NXC_KEY_SIZE];
    size_t len;
    uint8_t *container = entry_of(c, n, key, &len);
    nxc_put(c, key, container, len);
    free(container);
}

/* True when source n is in the cache; checks the content when it is. */
static bool has_source(nxc_cache *c, unsigned n) {
    char src[32];
    source_of(n, src);
    uint8_t key[NXC_KEY_SIZE], inner[NXC_KEY_SIZE], blob[BLOB_SIZE];
    nxc_key(c, src, strlen(src), key);
    uint8_t *container = NULL;
    size_t len = 0;
    if (!nxc_get(c, key, &container, &len)) return false;
    size_t blob_len = 0;
    char why[256] = "";
    const uint8_t *payload = nxc_unseal(c, container, len, &blob_len, inner, why, sizeof why);
    if (!payload) fail_msg("cached container of %u does not verify: %s", n, why);
    make_blob(n, blob);
    assert_int_equal(blob_len, BLOB_SIZE);
    assert_memory_equal(payload, blob, BLOB_SIZE);
    assert_memory_equal(inner, key, NXC_KEY_SIZE);
    free(container);
    return true;
}

/* Path of the disk file of source n in a cache of version "v" (the key depends only on
 * the version, so a scratch memory-only cache computes it). */
static void file_of(const char *dir, unsigned n, char *out, size_t size) {
    char src[32], hex[2 * NXC_KEY_SIZE + 1];
    source_of(n, src);
    uint8_t key[NXC_KEY_SIZE];
    nxc_cache *keys = nxc_open(NULL, 1, "v", NULL, NULL);
    assert_non_null(keys);
    nxc_key(keys, src, strlen(src), key);
    nxc_close(keys);
    nxc_key_hex(key, hex);
    snprintf(out, size, "%s/bytecode/%s.qjsbc", dir, hex);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

static void write_file(const char *path, const void *data, size_t len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Sets a file's mtime to `seconds_ago` seconds in the past. */
static void age_file(const char *path, int seconds_ago) {
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= seconds_ago;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* Unseals expecting failure with a reason starting with `prefix`. */
static void expect_rejected(nxc_cache *c, const uint8_t *data, size_t len, const char *prefix,
                            const char *what) {
    char why[256] = "";
    size_t blob_len = 12345;
    const uint8_t *p = nxc_unseal(c, data, len, &blob_len, NULL, why, sizeof why);
    if (p) fail_msg("%s: accepted", what);
    if (strncmp(why, prefix, strlen(prefix)) != 0)
        fail_msg("%s: reason [%s], expected it to start with [%s]", what, why, prefix);
    assert_int_equal(blob_len, 12345); /* untouched on failure */
}

/* ------------------------------------------------------------------ container */

static void test_key(void **state) {
    (void)state;
    nxc_cache *plain = nxc_open(NULL, 1 << 20, "", NULL, NULL);
    nxc_cache *versioned = nxc_open(NULL, 1 << 20, "guest-1", NULL, NULL);
    assert_non_null(plain);
    assert_non_null(versioned);
    uint8_t k1[NXC_KEY_SIZE], k2[NXC_KEY_SIZE], k3[NXC_KEY_SIZE];
    char hex[2 * NXC_KEY_SIZE + 1];
    nxc_key(plain, "abc", 3, k1); /* SHA-256("" || "abc"): the FIPS 180-2 test vector */
    nxc_key_hex(k1, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    nxc_key(versioned, "abc", 3, k2);
    assert_memory_not_equal(k1, k2, NXC_KEY_SIZE); /* another version never shares keys */
    nxc_key(versioned, "guest-1abc", 0, k3);       /* an empty source */
    nxc_key(plain, "guest-1abc", 10, k1);          /* version || source, no separator */
    assert_memory_equal(k1, k2, NXC_KEY_SIZE);
    assert_memory_not_equal(k2, k3, NXC_KEY_SIZE);
    nxc_close(plain);
    nxc_close(versioned);
}

static void test_seal_roundtrip(void **state) {
    (void)state;
    nxc_cache *c = nxc_open("", 1 << 20, "v", NULL, NULL);
    assert_non_null(c);
    for (unsigned n = 0; n < 3; n++) {
        uint8_t key[NXC_KEY_SIZE], inner[NXC_KEY_SIZE];
        size_t len;
        uint8_t *container = entry_of(c, n, key, &len);
        assert_memory_equal(container, "NXBC", 4);
        size_t blob_len = 0;
        char why[128] = "untouched";
        const uint8_t *payload = nxc_unseal(c, container, len, &blob_len, inner, why, sizeof why);
        assert_non_null(payload);
        assert_ptr_equal(payload, container + NXC_HEADER_SIZE);
        assert_int_equal(blob_len, BLOB_SIZE);
        assert_memory_equal(inner, key, NXC_KEY_SIZE);
        uint8_t blob[BLOB_SIZE];
        make_blob(n, blob);
        assert_memory_equal(payload, blob, BLOB_SIZE);
        free(container);
    }
    /* an empty payload is a valid container too */
    uint8_t key[NXC_KEY_SIZE] = {1};
    size_t len = 0, blob_len = 99;
    uint8_t *empty = nxc_seal(c, key, NULL, 0, &len);
    assert_non_null(empty);
    assert_int_equal(len, NXC_HEADER_SIZE);
    assert_non_null(nxc_unseal(c, empty, len, &blob_len, NULL, NULL, 0));
    assert_int_equal(blob_len, 0);
    free(empty);
    nxc_close(c);
}

static void test_unseal_rejects(void **state) {
    (void)state;
    nxc_cache *c = nxc_open(NULL, 1 << 20, "v", NULL, NULL);
    nxc_cache *other = nxc_open(NULL, 1 << 20, "v", NULL, NULL); /* its own random secret */
    uint8_t key[NXC_KEY_SIZE];
    size_t len;
    uint8_t *good = entry_of(c, 7, key, &len);
    uint8_t *bad = malloc(len + 1);
    char what[64];

    /* every byte, flipped: each field's own reason */
    for (size_t i = 0; i < len; i++) {
        memcpy(bad, good, len);
        bad[i] ^= 0x40;
        snprintf(what, sizeof what, "byte %zu flipped", i);
        const char *reason = i < 4    ? "not Nexus bytecode (bad magic)"
                             : i < 8  ? "unsupported container version"
                             /* length 1000 = e8 03 00 00: bit 6 of the low byte
                                makes it 936, of any other byte larger than the file */
                             : i < 12 ? (i == 8 ? "malformed: 64 bytes after" : "truncated: payload")
                                      : "signature mismatch: ";
        expect_rejected(c, bad, len, reason, what);
    }
    /* every truncation */
    for (size_t n = 0; n < len; n++) {
        snprintf(what, sizeof what, "truncated to %zu", n);
        expect_rejected(c, good, n, "truncated: ", what);
    }
    /* one byte more */
    memcpy(bad, good, len);
    bad[len] = 0;
    expect_rejected(c, bad, len + 1, "malformed: 1 bytes after the payload", "extra byte");
    /* wrong magic, version, and a foreign secret, with the exact messages */
    memcpy(bad, good, len);
    memcpy(bad, "\x7f" "ELF", 4);
    expect_rejected(c, bad, len, "not Nexus bytecode (bad magic)", "ELF");
    memcpy(bad, good, len);
    bad[4] = 2;
    expect_rejected(c, bad, len, "unsupported container version 2", "version 2");
    expect_rejected(other, good, len, "signature mismatch: modified, or signed by another", "other key");
    expect_rejected(c, NULL, 0, "truncated: empty", "NULL");
    expect_rejected(c, (const uint8_t *)"NX", 2, "truncated: 2 bytes", "prefix of the magic");
    /* no reason buffer: still a clean refusal */
    assert_null(nxc_unseal(c, bad, len, NULL, NULL, NULL, 0));
    free(bad);
    free(good);
    nxc_close(c);
    nxc_close(other);
}

/* ------------------------------------------------------------------ disk */

static void test_key_file(void **state) {
    (void)state;
    char dir[1024], keypath[1100];
    scratch_dir("keyfile", dir, sizeof dir);
    snprintf(keypath, sizeof keypath, "%s/nested/deeper/key", dir);
    char cachedir[1100];
    snprintf(cachedir, sizeof cachedir, "%s/nested/deeper", dir); /* created (mkdir -p) */

    nxc_cache *a = nxc_open(cachedir, 1 << 20, "v", NULL, NULL);
    nxc_cache *b = nxc_open(cachedir, 1 << 20, "v", NULL, NULL);
    assert_true(nxc_get_stats(a).disk_enabled);
    struct stat st;
    assert_int_equal(stat(keypath, &st), 0);
    assert_int_equal(st.st_size, 32);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* both caches use the same secret: what one seals the other accepts */
    uint8_t key[NXC_KEY_SIZE];
    size_t len;
    uint8_t *container = entry_of(a, 1, key, &len);
    assert_non_null(nxc_unseal(b, container, len, NULL, NULL, NULL, 0));
    nxc_put(a, key, container, len);
    assert_true(has_source(b, 1)); /* a file written by one is found by the other */
    free(container);
    nxc_close(a);
    nxc_close(b);

    /* a key file of the wrong size is replaced; files signed with the old key then fail
       verification, are removed and counted */
    write_file(keypath, "short", 5);
    nxc_cache *c = nxc_open(cachedir, 1 << 20, "v", NULL, NULL);
    assert_int_equal(stat(keypath, &st), 0);
    assert_int_equal(st.st_size, 32);
    assert_false(has_source(c, 1));
    char path[2048];
    file_of(cachedir, 1, path, sizeof path);
    assert_false(exists(path));
    assert_int_equal(nxc_get_stats(c).corrupt_files, 1);
    nxc_close(c);
}

static void test_persistence(void **state) {
    (void)state;
    char dir[1024], path[2048];
    scratch_dir("persist", dir, sizeof dir);
    nxc_cache *c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    for (unsigned n = 0; n < 5; n++) put_source(c, n);
    nxc_stats s = nxc_get_stats(c);
    assert_int_equal(s.memory_entries, 5);
    assert_int_equal(s.memory_bytes, 5 * ENTRY_SIZE);
    assert_int_equal(s.disk_entries, 5);
    assert_int_equal(s.disk_bytes, 5 * ENTRY_SIZE);
    file_of(dir, 3, path, sizeof path);
    assert_true(exists(path));
    nxc_close(c);

    c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    s = nxc_get_stats(c);
    assert_int_equal(s.memory_entries, 0);
    assert_int_equal(s.disk_entries, 5); /* from the scan */
    assert_int_equal(s.disk_bytes, 5 * ENTRY_SIZE);
    for (unsigned n = 0; n < 5; n++) assert_true(has_source(c, n)); /* from disk */
    assert_false(has_source(c, 99));
    s = nxc_get_stats(c);
    assert_int_equal(s.memory_entries, 5);
    assert_int_equal(s.disk_entries, 5);
    assert_int_equal(s.corrupt_files, 0);
    assert_int_equal(s.evictions, 0);
    nxc_close(c);

    /* another version finds nothing of this one */
    c = nxc_open(dir, 1 << 20, "v2", NULL, NULL);
    assert_false(has_source(c, 0));
    nxc_close(c);
}

static void test_corrupt_files(void **state) {
    (void)state;
    char dir[1024], path[2048], other[2048];
    scratch_dir("corrupt", dir, sizeof dir);
    nxc_cache *c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    for (unsigned n = 0; n < 6; n++) put_source(c, n);
    nxc_close(c);

    c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    uint8_t buf[ENTRY_SIZE];
    /* 0: one payload byte modified */
    file_of(dir, 0, path, sizeof path);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, ENTRY_SIZE, f), ENTRY_SIZE);
    buf[ENTRY_SIZE - 10] ^= 1;
    rewind(f);
    assert_int_equal(fwrite(buf, 1, ENTRY_SIZE, f), ENTRY_SIZE);
    fclose(f);
    /* 1: truncated to half, 2: garbage shorter than a header, 3: empty */
    file_of(dir, 1, path, sizeof path);
    assert_int_equal(truncate(path, ENTRY_SIZE / 2), 0);
    file_of(dir, 2, path, sizeof path);
    write_file(path, "hello", 5);
    file_of(dir, 3, path, sizeof path);
    write_file(path, "", 0);
    /* 4: holds the (valid, signed) container of source 5: a file under the wrong name */
    file_of(dir, 5, other, sizeof other);
    file_of(dir, 4, path, sizeof path);
    assert_int_equal(rename(other, path), 0);

    for (unsigned n = 0; n < 6; n++) {
        file_of(dir, n, path, sizeof path);
        assert_false(has_source(c, n));
        assert_false(exists(path)); /* removed (5 was already gone) */
    }
    nxc_stats s = nxc_get_stats(c);
    assert_int_equal(s.corrupt_files, 5); /* 5 was simply absent */
    assert_int_equal(s.disk_entries, 0);
    assert_int_equal(s.disk_bytes, 0);
    assert_int_equal(s.memory_entries, 0);
    /* the caller recompiles and puts the fresh container: then it hits */
    put_source(c, 0);
    assert_true(has_source(c, 0));
    nxc_close(c);
    c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    assert_true(has_source(c, 0));
    nxc_close(c);
}

static void test_memory_lru(void **state) {
    (void)state;
    nxc_cache *c = nxc_open(NULL, 3 * ENTRY_SIZE, "v", NULL, NULL);
    put_source(c, 1);
    put_source(c, 2);
    put_source(c, 3);
    assert_true(has_source(c, 1)); /* 1 is now the most recent: 2 is the oldest */
    put_source(c, 4);
    nxc_stats s = nxc_get_stats(c);
    assert_int_equal(s.memory_entries, 3);
    assert_int_equal(s.memory_bytes, 3 * ENTRY_SIZE);
    assert_int_equal(s.evictions, 1);
    assert_false(s.disk_enabled);
    assert_false(has_source(c, 2));
    assert_true(has_source(c, 1));
    assert_true(has_source(c, 3));
    assert_true(has_source(c, 4));
    /* putting a key again replaces its entry, no growth */
    put_source(c, 4);
    assert_int_equal(nxc_get_stats(c).memory_entries, 3);
    assert_int_equal(nxc_get_stats(c).memory_bytes, 3 * ENTRY_SIZE);
    nxc_close(c);

    /* an entry larger than the whole bound is not kept */
    c = nxc_open(NULL, ENTRY_SIZE - 1, "v", NULL, NULL);
    put_source(c, 1);
    assert_false(has_source(c, 1));
    assert_int_equal(nxc_get_stats(c).memory_entries, 0);
    nxc_close(c);
}

static void test_disk_lru(void **state) {
    (void)state;
    char dir[1024], path[2048];
    scratch_dir("disklru", dir, sizeof dir);
    nxc_cache *c = nxc_open(dir, 3 * ENTRY_SIZE, "v", NULL, NULL);
    for (unsigned n = 1; n <= 4; n++) put_source(c, n); /* 1 evicted, memory and disk */
    nxc_stats s = nxc_get_stats(c);
    assert_int_equal(s.disk_entries, 3);
    assert_int_equal(s.disk_bytes, 3 * ENTRY_SIZE);
    assert_int_equal(s.evictions, 2);
    file_of(dir, 1, path, sizeof path);
    assert_false(exists(path));
    for (unsigned n = 2; n <= 4; n++) {
        file_of(dir, n, path, sizeof path);
        assert_true(exists(path));
    }
    nxc_close(c);

    /* explicit mtimes give the scan its order: 2 oldest, then 3, then 4 */
    for (unsigned n = 2; n <= 4; n++) {
        file_of(dir, n, path, sizeof path);
        age_file(path, 100 - (int)n);
    }
    c = nxc_open(dir, 3 * ENTRY_SIZE, "v", NULL, NULL);
    assert_true(has_source(c, 2)); /* a disk hit: 2 becomes the newest (mtime now) */
    put_source(c, 5);              /* evicts the oldest: 3 */
    file_of(dir, 3, path, sizeof path);
    assert_false(exists(path));
    for (unsigned n = 2; n <= 5; n += (n == 2 ? 2 : 1)) {
        file_of(dir, n, path, sizeof path);
        assert_true(exists(path));
    }
    nxc_close(c);

    /* a smaller bound at open evicts by mtime: 4 (aged) goes, 2 (touched) and 5 stay */
    file_of(dir, 5, path, sizeof path);
    age_file(path, 1); /* 5 written after the touch of 2, whatever the clock resolution */
    file_of(dir, 2, path, sizeof path);
    age_file(path, 2);
    c = nxc_open(dir, 2 * ENTRY_SIZE, "v", NULL, NULL);
    s = nxc_get_stats(c);
    assert_int_equal(s.disk_entries, 2);
    assert_int_equal(s.evictions, 1);
    file_of(dir, 4, path, sizeof path);
    assert_false(exists(path));
    assert_true(has_source(c, 2));
    assert_true(has_source(c, 5));
    nxc_close(c);
}

static void test_scan_ignores_and_cleans(void **state) {
    (void)state;
    char dir[1024], path[2048];
    scratch_dir("scan", dir, sizeof dir);
    nxc_cache *c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    put_source(c, 1);
    nxc_close(c);
    /* files that are not ours stay; a stale temporary file goes, a fresh one stays */
    snprintf(path, sizeof path, "%s/bytecode/README", dir);
    write_file(path, "x", 1);
    snprintf(path, sizeof path, "%s/bytecode/ABCDEF.qjsbc", dir);
    write_file(path, "x", 1);
    snprintf(path, sizeof path, "%s/bytecode/.stale.qjsbc.XXXXXX", dir);
    write_file(path, "x", 1);
    age_file(path, 2 * 3600);
    snprintf(path, sizeof path, "%s/bytecode/.fresh.qjsbc.XXXXXX", dir);
    write_file(path, "x", 1);
    c = nxc_open(dir, 1 << 20, "v", NULL, NULL);
    nxc_stats s = nxc_get_stats(c);
    assert_int_equal(s.disk_entries, 1);
    assert_int_equal(s.disk_bytes, ENTRY_SIZE);
    snprintf(path, sizeof path, "%s/bytecode/README", dir);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/bytecode/ABCDEF.qjsbc", dir);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/bytecode/.stale.qjsbc.XXXXXX", dir);
    assert_false(exists(path));
    snprintf(path, sizeof path, "%s/bytecode/.fresh.qjsbc.XXXXXX", dir);
    assert_true(exists(path));
    assert_true(has_source(c, 1));
    nxc_close(c);
}

static void test_unusable_dir(void **state) {
    (void)state;
    char dir[1024], file[1100], cachedir[1200];
    scratch_dir("unusable", dir, sizeof dir);
    snprintf(file, sizeof file, "%s/regular-file", dir);
    write_file(file, "x", 1);
    snprintf(cachedir, sizeof cachedir, "%s/cache", file); /* a path under a regular file */

    log_capture lc = {.lock = PTHREAD_MUTEX_INITIALIZER};
    nxc_cache *c = nxc_open(cachedir, 1 << 20, "v", capture_log, &lc);
    assert_non_null(c);
    assert_int_equal(lc.warnings, 1);
    assert_int_equal(lc.others, 0);
    assert_non_null(strstr(lc.last, cachedir));
    assert_non_null(strstr(lc.last, "memory only"));
    assert_false(nxc_get_stats(c).disk_enabled);
    for (unsigned n = 0; n < 10; n++) put_source(c, n);
    for (unsigned n = 0; n < 10; n++) assert_true(has_source(c, n));
    assert_int_equal(lc.warnings, 1); /* exactly one */
    assert_int_equal(nxc_get_stats(c).disk_entries, 0);
    nxc_close(c);

    /* a key path that is a directory: unusable as well */
    char keydir[1300];
    snprintf(cachedir, sizeof cachedir, "%s/keyisdir", dir);
    snprintf(keydir, sizeof keydir, "%s/key", cachedir);
    assert_int_equal(mkdir(cachedir, 0700), 0);
    assert_int_equal(mkdir(keydir, 0700), 0);
    c = nxc_open(cachedir, 1 << 20, "v", capture_log, &lc);
    assert_int_equal(lc.warnings, 2);
    assert_false(nxc_get_stats(c).disk_enabled);
    nxc_close(c);

    /* no callback: no warning, no crash */
    snprintf(cachedir, sizeof cachedir, "%s/cache", file);
    c = nxc_open(cachedir, 1 << 20, "v", NULL, NULL);
    assert_non_null(c);
    assert_false(nxc_get_stats(c).disk_enabled);
    nxc_close(c);
}

static void test_write_failure_later(void **state) {
    (void)state;
    char dir[1024], sub[1100];
    scratch_dir("writefail", dir, sizeof dir);
    log_capture lc = {.lock = PTHREAD_MUTEX_INITIALIZER};
    nxc_cache *c = nxc_open(dir, 1 << 20, "v", capture_log, &lc);
    assert_true(nxc_get_stats(c).disk_enabled);
    assert_int_equal(lc.warnings, 0);
    /* the bytecode directory disappears (replaced by a regular file) */
    snprintf(sub, sizeof sub, "%s/bytecode", dir);
    nftw(sub, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    write_file(sub, "x", 1);
    for (unsigned n = 0; n < 5; n++) put_source(c, n);
    assert_int_equal(lc.warnings, 1);
    assert_non_null(strstr(lc.last, "cannot write"));
    for (unsigned n = 0; n < 5; n++) assert_true(has_source(c, n)); /* memory still works */
    assert_int_equal(nxc_get_stats(c).disk_entries, 0);
    nxc_close(c);
}

/* ------------------------------------------------------------------ threads */

typedef struct thread_arg {
    nxc_cache *cache;
    unsigned seed;
    int hits, misses;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    unsigned x = a->seed;
    for (int i = 0; i < THREAD_ROUNDS; i++) {
        x = x * 1103515245u + 12345u;
        unsigned n = (x >> 16) % THREAD_SOURCES;
        if (has_source(a->cache, n)) a->hits++;
        else {
            a->misses++;
            put_source(a->cache, n);
        }
        if (i % 50 == 0) (void)nxc_get_stats(a->cache);
    }
    return NULL;
}

static void test_threads(void **state) {
    (void)state;
    char dir[1024];
    scratch_dir("threads", dir, sizeof dir);
    /* room for half of the sources: evictions on both tiers all along */
    nxc_cache *c = nxc_open(dir, (THREAD_SOURCES / 2) * ENTRY_SIZE, "v", NULL, NULL);
    pthread_t threads[THREADS];
    thread_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (thread_arg){.cache = c, .seed = 17u * (unsigned)t + 1};
        assert_int_equal(pthread_create(&threads[t], NULL, thread_main, &args[t]), 0);
    }
    int hits = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        hits += args[t].hits;
    }
    assert_true(hits > 0);
    nxc_stats s = nxc_get_stats(c);
    assert_true(s.memory_bytes <= (THREAD_SOURCES / 2) * ENTRY_SIZE);
    assert_true(s.disk_bytes <= (THREAD_SOURCES / 2) * ENTRY_SIZE);
    assert_true(s.evictions > 0);
    assert_int_equal(s.corrupt_files, 0);
    nxc_close(c);
    /* what is left on disk is sound */
    c = nxc_open(dir, (THREAD_SOURCES / 2) * ENTRY_SIZE, "v", NULL, NULL);
    for (unsigned n = 0; n < THREAD_SOURCES; n++) (void)has_source(c, n);
    assert_int_equal(nxc_get_stats(c).corrupt_files, 0);
    nxc_close(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_seal_roundtrip),
        cmocka_unit_test(test_unseal_rejects),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_persistence),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_memory_lru),
        cmocka_unit_test(test_disk_lru),
        cmocka_unit_test(test_scan_ignores_and_cleans),
        cmocka_unit_test(test_unusable_dir),
        cmocka_unit_test(test_write_failure_later),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
