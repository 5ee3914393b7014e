/*
 * libc.c — replacements for the few C library functions through which QuickJS would
 * reach the outside world, so that the guest module imports nothing from WASI: the
 * clock (Date) comes from the host's `now` import, and the console output that QuickJS
 * only uses in debugging and "impossible" paths goes nowhere. A failed assertion traps.
 * The linker takes these definitions instead of wasi-libc's. (wasi-libc's printf still
 * refers to stderr, to report unsupported long double formats; the file calls below
 * make that stream fail instead of importing fd_write & co.)
 */
#include <stdio.h>
#include <sys/time.h>
#include <wasi/api.h>

#include "guest.h"

/* Date.now() and new Date() read the host's clock through gettimeofday. */
int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    double ms = nxg_host_now();
    int64_t us = (int64_t)(ms * 1000.0);
    tv->tv_sec = (time_t)(us / 1000000);
    tv->tv_usec = (suseconds_t)(us % 1000000);
    return 0;
}

/* The guest has no standard output or error stream. */
int printf(const char *restrict fmt, ...)
{
    (void)fmt;
    return 0;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    (void)f;
    (void)fmt;
    return 0;
}

int fputc(int c, FILE *f)
{
    (void)f;
    return c;
}

int putchar(int c)
{
    return c;
}

/* A broken QuickJS invariant: trap ("unreachable"); the host resets the instance. */
_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func)
{
    (void)expr;
    (void)file;
    (void)line;
    (void)func;
    __builtin_trap();
}

/* The WASI file calls behind stdio: there are no files ("bad file descriptor"). */
__wasi_errno_t __wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t *iovs, size_t n,
                               __wasi_size_t *written)
{
    (void)fd;
    (void)iovs;
    (void)n;
    (void)written;
    return __WASI_ERRNO_BADF;
}

__wasi_errno_t __wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                              __wasi_filesize_t *pos)
{
    (void)fd;
    (void)offset;
    (void)whence;
    (void)pos;
    return __WASI_ERRNO_BADF;
}

__wasi_errno_t __wasi_fd_close(__wasi_fd_t fd)
{
    (void)fd;
    return __WASI_ERRNO_BADF;
}
