/*
 * errors.c — the stable names of the runtime's error codes (nx_error_name). These names
 * appear in JSON results ("error": {"code": ...}), in the stats JSON and as the `code`
 * label of Prometheus metrics, so they never change once released.
 */
#include "nexus.h"

/* Indexed by nx_error; every code has a name. */
static const char *const error_names[NX_ERROR_COUNT] = {
    [NX_OK] = "OK",
    [NX_ERR_TIMEOUT] = "TIMEOUT",
    [NX_ERR_MEMORY_LIMIT] = "MEMORY_LIMIT",
    [NX_ERR_PERMISSION_DENIED] = "PERMISSION_DENIED",
    [NX_ERR_EXECUTION] = "EXECUTION_ERROR",
    [NX_ERR_COMPILATION] = "COMPILATION_ERROR",
    [NX_ERR_INVALID_HANDLER] = "INVALID_HANDLER",
    [NX_ERR_INTERNAL] = "INTERNAL_ERROR",
    [NX_ERR_RESOURCE_LIMIT] = "RESOURCE_LIMIT",
};
_Static_assert(NX_ERR_RESOURCE_LIMIT + 1 == NX_ERROR_COUNT, "NX_ERROR_COUNT matches nx_error");

const char *nx_error_name(nx_error code) {
    if ((unsigned)code >= NX_ERROR_COUNT) return "INTERNAL_ERROR"; /* not a code of ours */
    return error_names[code];
}
