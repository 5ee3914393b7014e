/*
 * wasi.c — the WASI preview1 host of `nexus wasm` (see wasi.h).
 *
 * Each function of "wasi_snapshot_preview1" is one row of nx_wasi_imports: its name,
 * its core-wasm signature (as lowered from the witx by wasi-libc), the host function
 * that serves it and, for the unsupported ones, which arguments are file descriptors
 * and what to answer. Implemented: arguments, environment, fd_write/fd_read/
 * fd_fdstat_get/fd_close on the standard streams, clocks, random bytes, sched_yield,
 * proc_exit. Guest fd N (0-2) is host fd N; closing one only hides it from the guest.
 *
 * Guest memory is the calling instance's memory 0. Every guest address is checked
 * before use (nxw_memory_span/read/write): a bad one answers EFAULT. Integers are
 * stored little-endian, as wasm memory is.
 */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- constants */

/* WASI errno values used here (witx type `errno`). */
enum {
    NX_WASI_ESUCCESS = 0,
    NX_WASI_EACCES = 2,
    NX_WASI_EAGAIN = 6,
    NX_WASI_EBADF = 8,
    NX_WASI_EDQUOT = 19,
    NX_WASI_EFAULT = 21,
    NX_WASI_EFBIG = 22,
    NX_WASI_EINVAL = 28,
    NX_WASI_EIO = 29,
    NX_WASI_EISDIR = 31,
    NX_WASI_ENOMEM = 48,
    NX_WASI_ENOSPC = 51,
    NX_WASI_ENOSYS = 52,
    NX_WASI_ENXIO = 60,
    NX_WASI_EPERM = 63,
    NX_WASI_EPIPE = 64,
    NX_WASI_ESPIPE = 70,
};

enum {
    NX_WASI_STDIO_COUNT = 3,          /* fds 0, 1, 2 */
    NX_WASI_FILETYPE_CHARACTER_DEVICE = 2,
    NX_WASI_FDSTAT_SIZE = 24,         /* filetype u8, flags u16 @2, rights u64 @8 and @16 */
    NX_WASI_IOVEC_SIZE = 8,           /* buf u32, buf_len u32 */
    NX_WASI_IMPORT_COUNT = 46,        /* functions of wasi_snapshot_preview1 */
};

/* Rights (witx `rights`): all 30 bits; FD_SEEK and FD_TELL are what wasi-libc's
 * isatty() looks at. */
#define NX_WASI_RIGHTS_ALL ((UINT64_C(1) << 30) - 1)
#define NX_WASI_RIGHTS_FD_SEEK (UINT64_C(1) << 2)
#define NX_WASI_RIGHTS_FD_TELL (UINT64_C(1) << 5)

static const char nx_wasi_module_name[] = "wasi_snapshot_preview1";

/* ---------------------------------------------------------------- state */

typedef struct nx_wasi_import nx_wasi_import;

/* What a host function receives as `user`: its host and its row of nx_wasi_imports. */
typedef struct nx_wasi_binding {
    nx_wasi *wasi;
    const nx_wasi_import *import;
} nx_wasi_binding;

/* A list of NUL-terminated strings as the guest sees it (args or environ). */
typedef struct nx_wasi_strings {
    uint32_t count;
    uint32_t bytes; /* sum of the lengths, NULs included */
    char **items;
} nx_wasi_strings;

struct nx_wasi {
    nx_wasi_strings args;
    nx_wasi_strings env;
    bool stdio_closed[NX_WASI_STDIO_COUNT];
    bool exited;     /* proc_exit was called ... */
    int exit_status; /* ... with this status */
    nx_wasi_binding bindings[NX_WASI_IMPORT_COUNT];
};

/* One function of wasi_snapshot_preview1. */
struct nx_wasi_import {
    const char *name;
    const char *sig;           /* nxw_linker_define_host notation */
    nxw_host_fn fn;
    int8_t fd_arg[2];          /* unsupported functions: arguments holding fds, or -1 */
    uint16_t stdio_errno;      /* unsupported functions: answer when those fds are stdio */
};

/* ---------------------------------------------------------------- small helpers */

static nx_wasi *nx_wasi_of(void *user) {
    return ((nx_wasi_binding *)user)->wasi;
}

static uint32_t nx_wasi_arg_u32(const nxw_value *args, int i) {
    return (uint32_t)args[i].of.i32;
}

static nxw_trap nx_wasi_answer(nxw_value *results, int wasi_errno) {
    results[0].of.i32 = wasi_errno;
    return NXW_TRAP_NONE;
}

static bool nx_wasi_is_open_stdio(const nx_wasi *wasi, int32_t fd) {
    return fd >= 0 && fd < NX_WASI_STDIO_COUNT && !wasi->stdio_closed[fd];
}

/* The WASI errno closest to a host errno from read/write/clock/getrandom. */
static int nx_wasi_errno_from_host(int host_errno) {
    switch (host_errno) {
    case EACCES: return NX_WASI_EACCES;
    case EBADF: return NX_WASI_EBADF;
    case EDQUOT: return NX_WASI_EDQUOT;
    case EFAULT: return NX_WASI_EFAULT;
    case EFBIG: return NX_WASI_EFBIG;
    case EINVAL: return NX_WASI_EINVAL;
    case EISDIR: return NX_WASI_EISDIR;
    case ENOMEM: return NX_WASI_ENOMEM;
    case ENOSPC: return NX_WASI_ENOSPC;
    case ENOSYS: return NX_WASI_ENOSYS;
    case ENXIO: return NX_WASI_ENXIO;
    case EPERM: return NX_WASI_EPERM;
    case EPIPE: return NX_WASI_EPIPE;
    case ESPIPE: return NX_WASI_ESPIPE;
    default: break;
    }
    if (host_errno == EAGAIN || host_errno == EWOULDBLOCK) return NX_WASI_EAGAIN;
    return NX_WASI_EIO;
}

/* ---------------------------------------------------------------- guest memory */

static nxw_memory *nx_wasi_guest_memory(const nxw_call *call) {
    return call->caller ? nxw_instance_memory(call->caller) : NULL;
}

static bool nx_wasi_store_u32(nxw_memory *mem, uint64_t addr, uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    return mem && nxw_memory_write(mem, addr, b, sizeof b);
}

static bool nx_wasi_store_u64(nxw_memory *mem, uint64_t addr, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return mem && nxw_memory_write(mem, addr, b, sizeof b);
}

static bool nx_wasi_load_u32(const nxw_memory *mem, uint64_t addr, uint32_t *out) {
    uint8_t b[4];
    if (!mem || !nxw_memory_read(mem, addr, b, sizeof b)) return false;
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return true;
}

/* True when [addr, addr+len) is inside the guest memory (an empty range always is). */
static bool nx_wasi_in_bounds(nxw_memory *mem, uint64_t addr, uint64_t len) {
    if (len == 0) return true;
    return mem && nxw_memory_span(mem, addr, len) != NULL;
}

/* Reads guest iovec `i` of the array at `iovs`. */
static bool nx_wasi_load_iovec(const nxw_memory *mem, uint32_t iovs, uint32_t i, uint32_t *buf,
                               uint32_t *len) {
    uint64_t at = (uint64_t)iovs + (uint64_t)i * NX_WASI_IOVEC_SIZE;
    return nx_wasi_load_u32(mem, at, buf) && nx_wasi_load_u32(mem, at + 4, len);
}

/* Checks that the iovec array and every buffer it names are inside the guest memory and
 * that their total length fits a WASI size. Returns a WASI errno. */
static int nx_wasi_check_iovecs(nxw_memory *mem, uint32_t iovs, uint32_t count) {
    uint64_t total = 0;
    if (!nx_wasi_in_bounds(mem, iovs, (uint64_t)count * NX_WASI_IOVEC_SIZE)) return NX_WASI_EFAULT;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf, len;
        if (!nx_wasi_load_iovec(mem, iovs, i, &buf, &len)) return NX_WASI_EFAULT;
        if (!nx_wasi_in_bounds(mem, buf, len)) return NX_WASI_EFAULT;
        total += len;
        if (total > UINT32_MAX) return NX_WASI_EINVAL;
    }
    return NX_WASI_ESUCCESS;
}

/* ---------------------------------------------------------------- strings */

static void nx_wasi_strings_free(nx_wasi_strings *list) {
    for (uint32_t i = 0; i < list->count; i++) free(list->items[i]);
    free(list->items);
    *list = (nx_wasi_strings){0};
}

/* Copies `n` strings; false when out of memory or too large for a 32-bit guest. */
static bool nx_wasi_strings_copy(nx_wasi_strings *list, int n, char **src) {
    *list = (nx_wasi_strings){0};
    if (n <= 0) return true;
    list->items = calloc((size_t)n, sizeof *list->items);
    if (!list->items) return false;
    uint64_t bytes = 0;
    for (int i = 0; i < n; i++) {
        const char *s = src[i] ? src[i] : "";
        size_t len = strlen(s) + 1;
        bytes += len;
        if (bytes > UINT32_MAX / 2) break; /* leaves room for the pointer array too */
        list->items[i] = malloc(len);
        if (!list->items[i]) break;
        memcpy(list->items[i], s, len);
        list->count++;
    }
    list->bytes = (uint32_t)bytes;
    if (list->count != (uint32_t)n) {
        nx_wasi_strings_free(list);
        return false;
    }
    return true;
}

/* args_sizes_get / environ_sizes_get: (count_ptr, bytes_ptr) -> errno */
static int nx_wasi_strings_sizes(nxw_memory *mem, const nx_wasi_strings *list, uint32_t count_at,
                                 uint32_t bytes_at) {
    if (!nx_wasi_store_u32(mem, count_at, list->count)) return NX_WASI_EFAULT;
    if (!nx_wasi_store_u32(mem, bytes_at, list->bytes)) return NX_WASI_EFAULT;
    return NX_WASI_ESUCCESS;
}

/* args_get / environ_get: writes the strings at `buf_at` and their addresses at `ptrs_at`. */
static int nx_wasi_strings_get(nxw_memory *mem, const nx_wasi_strings *list, uint32_t ptrs_at,
                               uint32_t buf_at) {
    uint64_t at = buf_at;
    for (uint32_t i = 0; i < list->count; i++) {
        size_t len = strlen(list->items[i]) + 1;
        if (!mem || !nxw_memory_write(mem, at, list->items[i], len)) return NX_WASI_EFAULT;
        if (!nx_wasi_store_u32(mem, (uint64_t)ptrs_at + 4u * (uint64_t)i, (uint32_t)at))
            return NX_WASI_EFAULT;
        at += len;
    }
    return NX_WASI_ESUCCESS;
}

/* ---------------------------------------------------------------- args and environ */

static nxw_trap nx_wasi_args_sizes_get(nxw_call *call, void *user, const nxw_value *args,
                                       nxw_value *results) {
    return nx_wasi_answer(results, nx_wasi_strings_sizes(nx_wasi_guest_memory(call),
                                                         &nx_wasi_of(user)->args,
                                                         nx_wasi_arg_u32(args, 0),
                                                         nx_wasi_arg_u32(args, 1)));
}

static nxw_trap nx_wasi_args_get(nxw_call *call, void *user, const nxw_value *args,
                                 nxw_value *results) {
    return nx_wasi_answer(results, nx_wasi_strings_get(nx_wasi_guest_memory(call),
                                                       &nx_wasi_of(user)->args,
                                                       nx_wasi_arg_u32(args, 0),
                                                       nx_wasi_arg_u32(args, 1)));
}

static nxw_trap nx_wasi_environ_sizes_get(nxw_call *call, void *user, const nxw_value *args,
                                          nxw_value *results) {
    return nx_wasi_answer(results, nx_wasi_strings_sizes(nx_wasi_guest_memory(call),
                                                         &nx_wasi_of(user)->env,
                                                         nx_wasi_arg_u32(args, 0),
                                                         nx_wasi_arg_u32(args, 1)));
}

static nxw_trap nx_wasi_environ_get(nxw_call *call, void *user, const nxw_value *args,
                                    nxw_value *results) {
    return nx_wasi_answer(results, nx_wasi_strings_get(nx_wasi_guest_memory(call),
                                                       &nx_wasi_of(user)->env,
                                                       nx_wasi_arg_u32(args, 0),
                                                       nx_wasi_arg_u32(args, 1)));
}

/* ---------------------------------------------------------------- standard streams */

/* Writes all of [p, p+len) to host fd `fd`, adding what was written to *written. */
static int nx_wasi_write_fully(int fd, const uint8_t *p, size_t len, uint64_t *written) {
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return nx_wasi_errno_from_host(errno);
        }
        p += n;
        len -= (size_t)n;
        *written += (uint64_t)n;
    }
    return NX_WASI_ESUCCESS;
}

/* Writes every guest iovec (already checked) to host fd `fd`. */
static int nx_wasi_write_iovecs(nxw_memory *mem, int fd, uint32_t iovs, uint32_t count,
                                uint64_t *written) {
    for (uint32_t i = 0; i < count; i++) {
        uint32_t buf, len;
        if (!nx_wasi_load_iovec(mem, iovs, i, &buf, &len)) return NX_WASI_EFAULT;
        if (len == 0) continue;
        const uint8_t *p = nxw_memory_span(mem, buf, len);
        if (!p) return NX_WASI_EFAULT;
        int e = nx_wasi_write_fully(fd, p, len, written);
        if (e != NX_WASI_ESUCCESS) return e;
    }
    return NX_WASI_ESUCCESS;
}

/* fd_write(fd, iovs, iovs_len, nwritten_ptr) -> errno */
static nxw_trap nx_wasi_fd_write(nxw_call *call, void *user, const nxw_value *args,
                                 nxw_value *results) {
    int32_t fd = args[0].of.i32;
    uint32_t iovs = nx_wasi_arg_u32(args, 1), count = nx_wasi_arg_u32(args, 2);
    uint32_t nwritten_at = nx_wasi_arg_u32(args, 3);
    if (!nx_wasi_is_open_stdio(nx_wasi_of(user), fd)) return nx_wasi_answer(results, NX_WASI_EBADF);
    nxw_memory *mem = nx_wasi_guest_memory(call);
    int e = nx_wasi_check_iovecs(mem, iovs, count);
    if (e == NX_WASI_ESUCCESS && !nx_wasi_in_bounds(mem, nwritten_at, 4)) e = NX_WASI_EFAULT;
    if (e != NX_WASI_ESUCCESS) return nx_wasi_answer(results, e);
    uint64_t written = 0;
    e = nx_wasi_write_iovecs(mem, fd, iovs, count, &written);
    if (e != NX_WASI_ESUCCESS && written == 0) return nx_wasi_answer(results, e);
    /* like POSIX write: a failure after some bytes went out reports the partial count */
    nx_wasi_store_u32(mem, nwritten_at, (uint32_t)written);
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* Reads once from host fd `fd` into the guest iovecs (already checked), like readv. */
static int nx_wasi_read_iovecs(nxw_memory *mem, int fd, uint32_t iovs, uint32_t count,
                               uint32_t *nread) {
    if (count > IOV_MAX) count = IOV_MAX; /* a short read is allowed */
    if (count == 0) {
        *nread = 0;
        return NX_WASI_ESUCCESS;
    }
    struct iovec *host = calloc(count, sizeof *host);
    if (!host) return NX_WASI_ENOMEM;
    int e = NX_WASI_ESUCCESS;
    for (uint32_t i = 0; i < count && e == NX_WASI_ESUCCESS; i++) {
        uint32_t buf, len;
        if (!nx_wasi_load_iovec(mem, iovs, i, &buf, &len)) {
            e = NX_WASI_EFAULT;
        } else if (len > 0) {
            host[i].iov_base = nxw_memory_span(mem, buf, len);
            host[i].iov_len = len;
            if (!host[i].iov_base) e = NX_WASI_EFAULT;
        }
    }
    ssize_t n = 0;
    if (e == NX_WASI_ESUCCESS) {
        do n = readv(fd, host, (int)count);
        while (n < 0 && errno == EINTR);
        if (n < 0) e = nx_wasi_errno_from_host(errno);
    }
    free(host);
    if (e == NX_WASI_ESUCCESS) *nread = (uint32_t)n;
    return e;
}

/* fd_read(fd, iovs, iovs_len, nread_ptr) -> errno; only fd 0 is readable. */
static nxw_trap nx_wasi_fd_read(nxw_call *call, void *user, const nxw_value *args,
                                nxw_value *results) {
    int32_t fd = args[0].of.i32;
    uint32_t iovs = nx_wasi_arg_u32(args, 1), count = nx_wasi_arg_u32(args, 2);
    uint32_t nread_at = nx_wasi_arg_u32(args, 3);
    if (fd != 0 || !nx_wasi_is_open_stdio(nx_wasi_of(user), fd))
        return nx_wasi_answer(results, NX_WASI_EBADF);
    nxw_memory *mem = nx_wasi_guest_memory(call);
    int e = nx_wasi_check_iovecs(mem, iovs, count);
    if (e == NX_WASI_ESUCCESS && !nx_wasi_in_bounds(mem, nread_at, 4)) e = NX_WASI_EFAULT;
    uint32_t nread = 0;
    if (e == NX_WASI_ESUCCESS) e = nx_wasi_read_iovecs(mem, fd, iovs, count, &nread);
    if (e == NX_WASI_ESUCCESS) nx_wasi_store_u32(mem, nread_at, nread);
    return nx_wasi_answer(results, e);
}

/* Rights reported for a standard stream. A terminal loses FD_SEEK/FD_TELL so that the
 * guest's isatty() is true (and its stdout line-buffered); otherwise all rights. */
static uint64_t nx_wasi_stdio_rights(int fd) {
    uint64_t rights = NX_WASI_RIGHTS_ALL;
    if (isatty(fd)) rights &= ~(NX_WASI_RIGHTS_FD_SEEK | NX_WASI_RIGHTS_FD_TELL);
    return rights;
}

/* fd_fdstat_get(fd, fdstat_ptr) -> errno */
static nxw_trap nx_wasi_fd_fdstat_get(nxw_call *call, void *user, const nxw_value *args,
                                      nxw_value *results) {
    int32_t fd = args[0].of.i32;
    uint32_t at = nx_wasi_arg_u32(args, 1);
    if (!nx_wasi_is_open_stdio(nx_wasi_of(user), fd)) return nx_wasi_answer(results, NX_WASI_EBADF);
    uint8_t fdstat[NX_WASI_FDSTAT_SIZE] = {0};
    fdstat[0] = NX_WASI_FILETYPE_CHARACTER_DEVICE; /* fs_flags (offset 2) stay 0 */
    uint64_t base = nx_wasi_stdio_rights(fd), inheriting = NX_WASI_RIGHTS_ALL;
    for (int i = 0; i < 8; i++) {
        fdstat[8 + i] = (uint8_t)(base >> (8 * i));
        fdstat[16 + i] = (uint8_t)(inheriting >> (8 * i));
    }
    nxw_memory *mem = nx_wasi_guest_memory(call);
    if (!mem || !nxw_memory_write(mem, at, fdstat, sizeof fdstat))
        return nx_wasi_answer(results, NX_WASI_EFAULT);
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* fd_close(fd) -> errno; the host stream stays open, the guest just loses it. */
static nxw_trap nx_wasi_fd_close(nxw_call *call, void *user, const nxw_value *args,
                                 nxw_value *results) {
    (void)call;
    nx_wasi *wasi = nx_wasi_of(user);
    int32_t fd = args[0].of.i32;
    if (!nx_wasi_is_open_stdio(wasi, fd)) return nx_wasi_answer(results, NX_WASI_EBADF);
    wasi->stdio_closed[fd] = true;
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* ---------------------------------------------------------------- clocks, random, sched */

/* The host clock behind WASI clock `id` (witx `clockid`); false for an unknown id. */
static bool nx_wasi_host_clock(int32_t id, clockid_t *out) {
    switch (id) {
    case 0: *out = CLOCK_REALTIME; return true;
    case 1: *out = CLOCK_MONOTONIC; return true;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
    }
}

static uint64_t nx_wasi_timespec_ns(const struct timespec *ts) {
    return (uint64_t)ts->tv_sec * UINT64_C(1000000000) + (uint64_t)ts->tv_nsec;
}

/* clock_time_get(id, precision: i64, time_ptr) -> errno */
static nxw_trap nx_wasi_clock_time_get(nxw_call *call, void *user, const nxw_value *args,
                                       nxw_value *results) {
    (void)user;
    clockid_t clock;
    struct timespec ts;
    if (!nx_wasi_host_clock(args[0].of.i32, &clock)) return nx_wasi_answer(results, NX_WASI_EINVAL);
    if (clock_gettime(clock, &ts) != 0)
        return nx_wasi_answer(results, nx_wasi_errno_from_host(errno));
    if (!nx_wasi_store_u64(nx_wasi_guest_memory(call), nx_wasi_arg_u32(args, 2),
                           nx_wasi_timespec_ns(&ts)))
        return nx_wasi_answer(results, NX_WASI_EFAULT);
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* clock_res_get(id, resolution_ptr) -> errno */
static nxw_trap nx_wasi_clock_res_get(nxw_call *call, void *user, const nxw_value *args,
                                      nxw_value *results) {
    (void)user;
    clockid_t clock;
    struct timespec ts;
    if (!nx_wasi_host_clock(args[0].of.i32, &clock)) return nx_wasi_answer(results, NX_WASI_EINVAL);
    if (clock_getres(clock, &ts) != 0)
        return nx_wasi_answer(results, nx_wasi_errno_from_host(errno));
    if (!nx_wasi_store_u64(nx_wasi_guest_memory(call), nx_wasi_arg_u32(args, 1),
                           nx_wasi_timespec_ns(&ts)))
        return nx_wasi_answer(results, NX_WASI_EFAULT);
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* random_get(buf, buf_len) -> errno */
static nxw_trap nx_wasi_random_get(nxw_call *call, void *user, const nxw_value *args,
                                   nxw_value *results) {
    (void)user;
    uint32_t buf = nx_wasi_arg_u32(args, 0), len = nx_wasi_arg_u32(args, 1);
    if (len == 0) return nx_wasi_answer(results, NX_WASI_ESUCCESS);
    nxw_memory *mem = nx_wasi_guest_memory(call);
    uint8_t *p = mem ? nxw_memory_span(mem, buf, len) : NULL;
    if (!p) return nx_wasi_answer(results, NX_WASI_EFAULT);
    for (size_t done = 0; done < len;) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return nx_wasi_answer(results, nx_wasi_errno_from_host(errno));
        }
        done += (size_t)n;
    }
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* sched_yield() -> errno */
static nxw_trap nx_wasi_sched_yield(nxw_call *call, void *user, const nxw_value *args,
                                    nxw_value *results) {
    (void)call, (void)user, (void)args;
    sched_yield();
    return nx_wasi_answer(results, NX_WASI_ESUCCESS);
}

/* proc_exit(rval): stops the guest; the embedder sees NXW_TRAP_EXIT and the status. */
static nxw_trap nx_wasi_proc_exit(nxw_call *call, void *user, const nxw_value *args,
                                  nxw_value *results) {
    (void)results;
    nx_wasi *wasi = nx_wasi_of(user);
    wasi->exited = true;
    wasi->exit_status = args[0].of.i32;
    call->exit_code = args[0].of.i32;
    snprintf(call->message, sizeof call->message, "proc_exit(%d)", call->exit_code);
    return NXW_TRAP_EXIT;
}

/* ---------------------------------------------------------------- unsupported functions */

/* Every function without a host implementation: EBADF when one of its fd arguments is
 * not an open standard stream, otherwise the row's stdio_errno (usually ENOSYS). */
static nxw_trap nx_wasi_unsupported(nxw_call *call, void *user, const nxw_value *args,
                                    nxw_value *results) {
    (void)call;
    const nx_wasi_binding *binding = user;
    for (int i = 0; i < 2; i++) {
        int arg = binding->import->fd_arg[i];
        if (arg >= 0 && !nx_wasi_is_open_stdio(binding->wasi, args[arg].of.i32))
            return nx_wasi_answer(results, NX_WASI_EBADF);
    }
    return nx_wasi_answer(results, binding->import->stdio_errno);
}

/* ---------------------------------------------------------------- the import table */

#define NX_WASI_IMPLEMENTED(name, sig, fn) {name, sig, fn, {-1, -1}, NX_WASI_ESUCCESS}
#define NX_WASI_STUB(name, sig, fd_a, fd_b, stdio_errno) \
    {name, sig, nx_wasi_unsupported, {fd_a, fd_b}, stdio_errno}

/* The complete wasi_snapshot_preview1 (legacy/preview1/witx/wasi_snapshot_preview1.witx),
 * in witx order. Pointers, sizes, fds, flags and errno are i32; filesize, timestamp,
 * rights, offsets and dircookie are i64. fd_seek/fd_tell/fd_pread/fd_pwrite on a
 * standard stream answer ESPIPE, as on a pipe or terminal. There are no preopened
 * directories: fd_prestat_get answers EBADF for every fd. */
static const nx_wasi_import nx_wasi_imports[] = {
    NX_WASI_IMPLEMENTED("args_get", "(ii)i", nx_wasi_args_get),
    NX_WASI_IMPLEMENTED("args_sizes_get", "(ii)i", nx_wasi_args_sizes_get),
    NX_WASI_IMPLEMENTED("environ_get", "(ii)i", nx_wasi_environ_get),
    NX_WASI_IMPLEMENTED("environ_sizes_get", "(ii)i", nx_wasi_environ_sizes_get),
    NX_WASI_IMPLEMENTED("clock_res_get", "(ii)i", nx_wasi_clock_res_get),
    NX_WASI_IMPLEMENTED("clock_time_get", "(iIi)i", nx_wasi_clock_time_get),
    NX_WASI_STUB("fd_advise", "(iIIi)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_allocate", "(iII)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_IMPLEMENTED("fd_close", "(i)i", nx_wasi_fd_close),
    NX_WASI_STUB("fd_datasync", "(i)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_IMPLEMENTED("fd_fdstat_get", "(ii)i", nx_wasi_fd_fdstat_get),
    NX_WASI_STUB("fd_fdstat_set_flags", "(ii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_fdstat_set_rights", "(iII)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_filestat_get", "(ii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_filestat_set_size", "(iI)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_filestat_set_times", "(iIIi)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_pread", "(iiiIi)i", 0, -1, NX_WASI_ESPIPE),
    NX_WASI_STUB("fd_prestat_get", "(ii)i", 0, -1, NX_WASI_EBADF),
    NX_WASI_STUB("fd_prestat_dir_name", "(iii)i", 0, -1, NX_WASI_EBADF),
    NX_WASI_STUB("fd_pwrite", "(iiiIi)i", 0, -1, NX_WASI_ESPIPE),
    NX_WASI_IMPLEMENTED("fd_read", "(iiii)i", nx_wasi_fd_read),
    NX_WASI_STUB("fd_readdir", "(iiiIi)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_renumber", "(ii)i", 0, 1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_seek", "(iIii)i", 0, -1, NX_WASI_ESPIPE),
    NX_WASI_STUB("fd_sync", "(i)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("fd_tell", "(ii)i", 0, -1, NX_WASI_ESPIPE),
    NX_WASI_IMPLEMENTED("fd_write", "(iiii)i", nx_wasi_fd_write),
    NX_WASI_STUB("path_create_directory", "(iii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_filestat_get", "(iiiii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_filestat_set_times", "(iiiiIIi)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_link", "(iiiiiii)i", 0, 4, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_open", "(iiiiiIIii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_readlink", "(iiiiii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_remove_directory", "(iii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_rename", "(iiiiii)i", 0, 3, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_symlink", "(iiiii)i", 2, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("path_unlink_file", "(iii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("poll_oneoff", "(iiii)i", -1, -1, NX_WASI_ENOSYS),
    NX_WASI_IMPLEMENTED("proc_exit", "(i)", nx_wasi_proc_exit),
    NX_WASI_STUB("proc_raise", "(i)i", -1, -1, NX_WASI_ENOSYS),
    NX_WASI_IMPLEMENTED("sched_yield", "()i", nx_wasi_sched_yield),
    NX_WASI_IMPLEMENTED("random_get", "(ii)i", nx_wasi_random_get),
    NX_WASI_STUB("sock_accept", "(iii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("sock_recv", "(iiiiii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("sock_send", "(iiiii)i", 0, -1, NX_WASI_ENOSYS),
    NX_WASI_STUB("sock_shutdown", "(ii)i", 0, -1, NX_WASI_ENOSYS),
};

_Static_assert(sizeof nx_wasi_imports / sizeof nx_wasi_imports[0] == NX_WASI_IMPORT_COUNT,
               "NX_WASI_IMPORT_COUNT must match the import table");

/* ---------------------------------------------------------------- public API */

nx_wasi *nx_wasi_new(int argc, char **argv, int nenv, char **env) {
    nx_wasi *wasi = calloc(1, sizeof *wasi);
    if (!wasi) return NULL;
    if (!nx_wasi_strings_copy(&wasi->args, argc, argv) ||
        !nx_wasi_strings_copy(&wasi->env, nenv, env)) {
        nx_wasi_free(wasi);
        return NULL;
    }
    for (int i = 0; i < NX_WASI_IMPORT_COUNT; i++)
        wasi->bindings[i] = (nx_wasi_binding){wasi, &nx_wasi_imports[i]};
    return wasi;
}

nxw_status nx_wasi_define(nx_wasi *wasi, nxw_linker *l, nxw_error *err) {
    for (int i = 0; i < NX_WASI_IMPORT_COUNT; i++) {
        const nx_wasi_import *import = &nx_wasi_imports[i];
        nxw_status st = nxw_linker_define_host(l, nx_wasi_module_name, import->name, import->sig,
                                               import->fn, &wasi->bindings[i], err);
        if (st != NXW_OK) return st;
    }
    return NXW_OK;
}

bool nx_wasi_exited(const nx_wasi *wasi, int *status) {
    if (wasi->exited && status) *status = wasi->exit_status;
    return wasi->exited;
}

void nx_wasi_free(nx_wasi *wasi) {
    if (!wasi) return;
    nx_wasi_strings_free(&wasi->args);
    nx_wasi_strings_free(&wasi->env);
    free(wasi);
}
