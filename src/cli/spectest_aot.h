/*
 * spectest_aot.h — the ahead-of-time mode of `nexus spectest` (--aot): the modules of a
 * spec testsuite script are translated into C by nxw_aot_generate, compiled by the
 * system C compiler into a shared object in a temporary directory, loaded with dlopen
 * and attached to their module (nxw_module_attach_aot), so that every instance the
 * script creates runs natively. The shared object calls back into the engine, whose
 * functions the nexus executable exports (it is linked with ENABLE_EXPORTS).
 *
 * One st_aot serves one script: modules are added (translated) first, then built
 * together (one compiler run for all of them: a C file that includes every module's
 * part, which keeps the testsuite's ~1,600 modules within a few compiler runs); if that
 * compilation fails, each module is compiled alone so that the failure is pinned on the
 * module whose C does not compile. The code stays loaded until st_aot_free, which must
 * come after every module it was attached to has been freed.
 */
#ifndef NEXUS_CLI_SPECTEST_AOT_H
#define NEXUS_CLI_SPECTEST_AOT_H

#include "nexus_wasm.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct st_aot st_aot;

/* What became of a module given to st_aot_attach. */
typedef enum st_aot_result {
    ST_AOT_ATTACHED,       /* native code is attached to the module */
    ST_AOT_NOT_TRANSLATED, /* the translator does not support the module (SIMD / v128, more
                            * than one result): it runs in the interpreter; why in msg */
    ST_AOT_FAILED,         /* translation, compilation, loading or attaching failed; why in
                            * msg (a bug of the ahead-of-time compiler, or no compiler) */
} st_aot_result;

/* Creates the state of one script's ahead-of-time run: a fresh temporary directory
 * (mkdtemp under $TMPDIR or /tmp). `cc` is the C compiler command (a program name or
 * path), `include_dirs` the directories holding aot_rt.h (src/wasm) and nexus_wasm.h
 * (include), `optimize` the compiler's optimization option (e.g. "-O0", "-O2"). NULL on
 * failure, with the reason in msg. */
st_aot *st_aot_new(const char *cc, const char *const include_dirs[2], const char *optimize,
                   char *msg, size_t size);

/* Translates module `m`, which was loaded from the file `key`, into C in the temporary
 * directory (to be compiled by the next st_aot_build). The module itself is not kept:
 * it may be freed right after. A second call with the same key does nothing. False
 * only when out of memory (a refusal by the translator is recorded for st_aot_attach). */
bool st_aot_add(st_aot *a, const char *key, const nxw_module *m);

/* Compiles every module translated since the last build into one shared object, loads
 * it and removes the temporary files (failures are recorded per module). */
void st_aot_build(st_aot *a);

/* Attaches the native code of the module loaded from `key` to `m` (which must have
 * been loaded from the same bytes); a module not added before is translated and built
 * now. On anything but ST_AOT_ATTACHED, msg holds the reason. */
st_aot_result st_aot_attach(st_aot *a, const char *key, nxw_module *m, char *msg, size_t size);

/* Unloads the shared objects (dlclose) and removes the temporary directory. Every
 * module that code was attached to must have been freed. NULL is allowed. */
void st_aot_free(st_aot *a);

#endif /* NEXUS_CLI_SPECTEST_AOT_H */
