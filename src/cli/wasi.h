/*
 * wasi.h — a WASI preview1 host ("wasi_snapshot_preview1") for the Nexus engine.
 *
 * It gives a command-style WebAssembly program what it needs to run without a file
 * system: its arguments and environment, the three standard streams (fds 0, 1, 2 are
 * the host's stdin, stdout and stderr), clocks, random bytes, sched_yield and
 * proc_exit. Every other preview1 function is defined with its exact signature, so any
 * wasi-libc program links, and fails cleanly: ENOSYS, or EBADF for a file descriptor
 * other than 0-2 (so fd_prestat_get ends wasi-libc's scan for preopened directories).
 *
 * Guest pointers are checked against the caller's memory: a bad pointer makes the call
 * return EFAULT; it never touches host memory outside the guest's.
 */
#ifndef NEXUS_CLI_WASI_H
#define NEXUS_CLI_WASI_H

#include "nexus_wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The state of one WASI host: the guest's arguments and environment, and which of the
 * standard streams the guest has closed, and the status of its proc_exit if any. */
typedef struct nx_wasi nx_wasi;

/* Creates a WASI host giving the guest the `argc` arguments `argv` (argv[0] is the
 * program name the guest sees) and the `nenv` environment entries `env`, each "KEY=VALUE".
 * The strings are copied. Returns NULL when out of memory or when the arguments or the
 * environment exceed what a 32-bit guest can address. */
nx_wasi *nx_wasi_new(int argc, char **argv, int nenv, char **env);

/* Defines every function of module "wasi_snapshot_preview1" in linker `l`, bound to
 * `wasi`. `wasi` must outlive every store into which modules are instantiated through
 * `l`, and is used by one thread at a time. Returns the first failure of
 * nxw_linker_define_host (with `err` filled) or NXW_OK. */
nxw_status nx_wasi_define(nx_wasi *wasi, nxw_linker *l, nxw_error *err);

/* True when the guest has called proc_exit through this host; *status (when non-NULL)
 * is then the status it passed. Useful where the engine reports NXW_TRAP_EXIT without an
 * exit code (nxw_instantiate running a start function). */
bool nx_wasi_exited(const nx_wasi *wasi, int *status);

/* Frees a WASI host. NULL is allowed. */
void nx_wasi_free(nx_wasi *wasi);

#ifdef __cplusplus
}
#endif
#endif /* NEXUS_CLI_WASI_H */
