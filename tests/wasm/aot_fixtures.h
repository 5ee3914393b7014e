/*
 * aot_fixtures.h — the test fixtures compiled ahead of time, for the NEXUS_TEST_AOT
 * builds of the engine unit tests (tests/wasm/aot.cmake): nexus-aotgen translates each
 * fixture NAME.wasm that it can (not the SIMD ones) into C defining aot_fx_NAME, and a
 * generated registry maps fixture names to that code. A test's fixture loader attaches
 * it with nxw_module_attach_aot right after nxw_module_new, so the test runs natively.
 */
#ifndef NEXUS_TEST_AOT_FIXTURES_H
#define NEXUS_TEST_AOT_FIXTURES_H

#include "nexus_wasm.h"

/* The native code of fixture `name` (file name without .wasm), or NULL when the
 * fixture was not translated. */
const nxw_aot_code *aot_fixture(const char *name);

#endif /* NEXUS_TEST_AOT_FIXTURES_H */
