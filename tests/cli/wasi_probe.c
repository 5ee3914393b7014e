/*
 * wasi_probe.c — a WASI program (built to wasm32-wasi by CMake) that exercises the WASI
 * host of `nexus wasm` for tests/cli/test_wasm_cli.sh. The first argument picks what to
 * probe; each mode prints fixed, greppable lines and exits 0, or prints "FAIL: ..." to
 * stderr and exits 1:
 *   (none) | args       argc and every argv[i] on stdout
 *   env NAME            "NAME=value" or "NAME unset"
 *   stderr TEXT         TEXT on stderr, "stdout line" on stdout
 *   clock               monotonic clock never goes back; realtime is after 2020
 *   random              getentropy gives two different non-zero 32-byte blocks
 *   fopen               fopen("/etc/passwd") fails (there is no file system)
 *   stdin               counts the bytes and lines read from stdin
 *   errno               raw WASI calls with bad fds/pointers/ids: prints each errno
 *   exit N              exit(N)
 *   div0 N              N / 0 with a runtime zero: an integer-divide-by-zero trap
 *   oom KIB             mallocs (and touches) KIB-KiB blocks until malloc fails, then
 *                       prints "malloc failed after N KiB" on stderr and exits 1
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

static int probe_fail(const char *what) {
    fprintf(stderr, "FAIL: %s\n", what);
    return 1;
}

static int probe_args(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    return 0;
}

static int probe_env(const char *name) {
    const char *value = getenv(name);
    if (value) printf("%s=%s\n", name, value);
    else printf("%s unset\n", name);
    return 0;
}

static int probe_stderr(const char *text) {
    fprintf(stderr, "%s\n", text);
    printf("stdout line\n");
    return 0;
}

static uint64_t probe_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int probe_clock(void) {
    uint64_t previous = probe_ns(CLOCK_MONOTONIC);
    if (previous == 0) return probe_fail("clock_gettime(CLOCK_MONOTONIC)");
    for (int i = 0; i < 1000; i++) {
        uint64_t now = probe_ns(CLOCK_MONOTONIC);
        if (now < previous) return probe_fail("monotonic clock went back");
        previous = now;
    }
    struct timespec res;
    if (clock_getres(CLOCK_MONOTONIC, &res) != 0 || (res.tv_sec == 0 && res.tv_nsec == 0))
        return probe_fail("clock_getres(CLOCK_MONOTONIC)");
    if (time(NULL) < 1577836800) return probe_fail("realtime clock before 2020");
    printf("clock ok\n");
    return 0;
}

static int probe_is_zero(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

static int probe_random(void) {
    unsigned char a[32], b[32];
    if (getentropy(a, sizeof a) != 0 || getentropy(b, sizeof b) != 0)
        return probe_fail("getentropy");
    if (probe_is_zero(a, sizeof a) || memcmp(a, b, sizeof a) == 0)
        return probe_fail("random bytes look constant");
    printf("random ok\n");
    return 0;
}

static int probe_fopen(void) {
    FILE *f = fopen("/etc/passwd", "r");
    if (f) return probe_fail("fopen(\"/etc/passwd\") succeeded");
    printf("fopen failed\n");
    return 0;
}

static int probe_stdin(void) {
    long bytes = 0, lines = 0;
    int c;
    while ((c = getchar()) != EOF) {
        bytes++;
        if (c == '\n') lines++;
    }
    if (ferror(stdin)) return probe_fail("reading stdin");
    printf("stdin bytes=%ld lines=%ld\n", bytes, lines);
    return 0;
}

/* Raw WASI calls that must fail with a specific errno and never crash the host. */
static int probe_errno(void) {
    static const char text[] = "x";
    __wasi_ciovec_t good = {(const uint8_t *)text, 1};
    __wasi_ciovec_t bad_buf = {(const uint8_t *)(uintptr_t)0xFFFFFF00u, 0x200};
    const __wasi_ciovec_t *bad_iovs = (const __wasi_ciovec_t *)(uintptr_t)0xFFFFFFF8u;
    __wasi_size_t *bad_out = (__wasi_size_t *)(uintptr_t)0xFFFFFFFEu;
    __wasi_size_t n = 0;
    __wasi_filesize_t pos = 0;
    __wasi_timestamp_t t = 0;
    __wasi_prestat_t prestat;
    __wasi_fd_t fd;
    printf("fd_write(bad iovs)=%d\n", __wasi_fd_write(1, bad_iovs, 1, &n));
    printf("fd_write(bad buf)=%d\n", __wasi_fd_write(1, &bad_buf, 1, &n));
    printf("fd_write(bad nwritten)=%d\n", __wasi_fd_write(1, &good, 1, bad_out));
    printf("fd_write(fd 7)=%d\n", __wasi_fd_write(7, &good, 1, &n));
    printf("fd_seek(fd 1)=%d\n", __wasi_fd_seek(1, 0, __WASI_WHENCE_CUR, &pos));
    printf("fd_seek(fd 9)=%d\n", __wasi_fd_seek(9, 0, __WASI_WHENCE_CUR, &pos));
    printf("fd_prestat_get(fd 3)=%d\n", __wasi_fd_prestat_get(3, &prestat));
    printf("path_open(fd 3)=%d\n", __wasi_path_open(3, 0, "a", 0, 0, 0, 0, &fd));
    printf("path_open(fd 1)=%d\n", __wasi_path_open(1, 0, "a", 0, 0, 0, 0, &fd));
    printf("clock_time_get(99)=%d\n", __wasi_clock_time_get(99, 1, &t));
    printf("clock_time_get(bad ptr)=%d\n",
           __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1,
                                 (__wasi_timestamp_t *)(uintptr_t)0xFFFFFFFCu));
    printf("random_get(bad buf)=%d\n",
           __wasi_random_get((uint8_t *)(uintptr_t)0xFFFFFFF0u, 64));
    printf("poll_oneoff=%d\n", __wasi_poll_oneoff(NULL, NULL, 0, &n));
    return 0;
}

static int probe_div0(const char *text) {
    volatile int zero = 0;
    int n = atoi(text);
    printf("%d\n", n / zero);
    return 0;
}

static int probe_oom(const char *text) {
    size_t block = (size_t)atoi(text) * 1024;
    if (block == 0) return probe_fail("oom needs a block size in KiB");
    size_t total = 0;
    for (;;) {
        volatile char *p = malloc(block);
        if (!p) break;
        for (size_t i = 0; i < block; i += 4096) p[i] = 1;
        total += block;
    }
    fprintf(stderr, "malloc failed after %zu KiB\n", total / 1024);
    return 1;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "args";
    const char *operand = argc > 2 ? argv[2] : "";
    if (strcmp(mode, "args") == 0) return probe_args(argc, argv);
    if (strcmp(mode, "env") == 0) return probe_env(operand);
    if (strcmp(mode, "stderr") == 0) return probe_stderr(operand);
    if (strcmp(mode, "clock") == 0) return probe_clock();
    if (strcmp(mode, "random") == 0) return probe_random();
    if (strcmp(mode, "fopen") == 0) return probe_fopen();
    if (strcmp(mode, "stdin") == 0) return probe_stdin();
    if (strcmp(mode, "errno") == 0) return probe_errno();
    if (strcmp(mode, "exit") == 0) exit(atoi(operand));
    if (strcmp(mode, "div0") == 0) return probe_div0(operand);
    if (strcmp(mode, "oom") == 0) return probe_oom(operand);
    fprintf(stderr, "wasi_probe: unknown mode '%s'\n", mode);
    return 2;
}
