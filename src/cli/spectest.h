/*
 * spectest.h — the `nexus spectest` subcommand: runs WebAssembly spec testsuite scripts,
 * as converted to JSON (plus .wasm files) by wabt's `wast2json`, against the Nexus
 * engine and reports how many commands passed, failed or were skipped.
 */
#ifndef NEXUS_CLI_SPECTEST_H
#define NEXUS_CLI_SPECTEST_H

/* Entry point of `nexus spectest [-v] [--aot] FILE.json...`. argv[0] is "spectest"; the
 * other arguments are options (-v/--verbose, --aot, --disable-simd,
 * --disable-bulk-memory, -h/--help, -- to end options) and JSON files written by
 * wast2json. Module files named in a JSON file are resolved relative to that file's
 * directory. Prints one line per file ("FILE: P passed, F failed, S skipped", with --aot
 * followed by "; aot: T modules translated, U not translated"), one line per failure,
 * with --aot the line "aot: T modules translated, U not translated (run in the
 * interpreter)", and a final summary line "N passed, N failed, N skipped". --aot runs
 * every module the ahead-of-time compiler supports as native code, compiled at run time
 * by the C compiler the build was configured with (NEXUS_AOT_CC in the environment
 * overrides it). Returns 0 when nothing failed, 1 when something failed, 2 on a usage
 * error. */
int nx_spectest_main(int argc, char **argv);

#endif /* NEXUS_CLI_SPECTEST_H */
