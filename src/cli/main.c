/*
 * main.c — entry point of the `nexus` command.
 *
 * Dispatches to the subcommands: `nexus run` / `nexus compile` execute and compile
 * handlers through the runtime library (run.c), `nexus bench` measures one (bench.c),
 * `nexus wasm` runs a WebAssembly module with the WASI
 * preview1 host of wasi.c (its `_start`, or one export given by --invoke whose results
 * are printed), `nexus spectest` runs spec testsuite scripts (spectest.c); `help` and
 * `--version` do what they say. Every failure is one line on stderr starting with
 * "nexus:", and the exit status tells its kind (see nx_cli_print_usage).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "run.h"
#include "nexus_wasm.h"
#include "serve.h"
#include "spectest.h"
#include "wasi.h"

#define NX_CLI_VERSION "0.1.0"

/* Exit statuses of `nexus wasm` (besides the module's own). */
enum {
    NX_CLI_EXIT_OK = 0,
    NX_CLI_EXIT_LOAD = 1,          /* unreadable, malformed, invalid or unlinkable module */
    NX_CLI_EXIT_USAGE = 2,         /* bad command line */
    NX_CLI_EXIT_TIMEOUT = 124,     /* --timeout-ms expired (as coreutils `timeout`) */
    NX_CLI_EXIT_MEMORY_LIMIT = 125, /* --memory-limit-mb: initial memory above it, or a
                                       memory.grow refused at it, then a failure */
    NX_CLI_EXIT_FUEL = 126,        /* --fuel exhausted */
    NX_CLI_EXIT_TRAP = 134,        /* the module trapped (as a native abort) */
    NX_CLI_CONTINUE = -1,          /* internal: no exit status yet, go on */
};

/* Ranges of the limit options' values. */
#define NX_CLI_MAX_TIMEOUT_MS UINT64_C(2147483647)  /* about 24.8 days */
#define NX_CLI_MAX_MEMORY_MB UINT64_C(4096)         /* 4 GiB, all a 32-bit memory can address */
#define NX_CLI_MIN_STACK_KB UINT64_C(16)
#define NX_CLI_MAX_STACK_KB UINT64_C(1048576)       /* 1 GiB */

static void nx_cli_print_usage(FILE *out) {
    fputs("usage: nexus <command> [arguments]\n"
          "\n"
          "commands:\n"
          "  run HANDLER.js [--context FILE.json] [--timeout-ms N] [--memory-limit-mb N]\n"
          "      [--cap TOKEN]... | run --bytecode FILE ...\n"
          "                     execute a handler; print the result as JSON\n"
          "                     (nexus run --help)\n"
          "  compile HANDLER.js -o FILE\n"
          "                     compile a handler to bytecode (nexus compile --help)\n"
          "  wasm [--env K=V]... [--invoke NAME] [--timeout-ms N] [--memory-limit-mb N]\n"
          "       [--stack-limit-kb N] [--fuel N] [--print-fuel] [--disable-simd]\n"
          "       [--disable-bulk-memory] MODULE.wasm [ARGS...]\n"
          "                     run a WebAssembly module with WASI preview1\n"
          "  spectest [-v] [--aot | --aot-opt=LEVEL] [--disable-simd] [--disable-bulk-memory]\n"
          "           FILE.json...\n"
          "                     run spec testsuite scripts converted by wast2json (--aot:\n"
          "                     as ahead-of-time compiled code; nexus spectest --help)\n"
          "  bench HANDLER.js [--context FILE.json] [--iterations N] [--threads T]\n"
          "                     execute a handler many times; print latency and\n"
          "                     throughput (nexus bench --help)\n"
          "  serve              serve the handler runtime over HTTP, configured from the\n"
          "                     environment (nexus serve --help)\n"
          "  help, --help       show this help\n"
          "  --version          show the version\n"
          "\n"
          "nexus wasm:\n"
          "  Runs the module's `_start` export with argv MODULE.wasm ARGS..., the host's\n"
          "  stdin/stdout/stderr, clocks and random numbers; no file system.\n"
          "  Options must come before MODULE.wasm.\n"
          "  --env K=V      add K=V to the module's environment (empty otherwise);\n"
          "                 repeatable\n"
          "  --invoke NAME  call export NAME instead of `_start`, with ARGS as its\n"
          "                 arguments: i32/i64 in decimal or 0x hex, f32/f64 as C float\n"
          "                 literals (nan, inf allowed), references as `null`, v128 as\n"
          "                 SHAPE:LANES, e.g. i32x4:1,2,3,-4 or f64x2:0.5,nan (shapes\n"
          "                 i8x16 i16x8 i32x4 i64x2 f32x4 f64x2); prints each result on\n"
          "                 its own line (a v128 as i32x4:0x...,0x...,0x...,0x...)\n"
          "  --timeout-ms N       stop the run (instantiation, start function and\n"
          "                       `_start` or --invoke) after N ms of wall-clock time,\n"
          "                       1..2147483647; a blocking read of stdin is not cut short\n"
          "  --memory-limit-mb N  linear memory may not exceed N MiB, 1..4096\n"
          "  --stack-limit-kb N   the engine's call stack (frames and values) has N KiB,\n"
          "                       16..1048576 (default 1024)\n"
          "  --fuel N             stop the run after about N executed instructions,\n"
          "                       1..18446744073709551615 (one budget for the whole run)\n"
          "  --print-fuel         print `fuel: N`, the fuel the run used, on stderr at\n"
          "                       the end\n"
          "  --disable-simd       reject modules that use SIMD (v128)\n"
          "  --disable-bulk-memory  reject modules that use bulk memory operations or\n"
          "                       passive segments\n"
          "  exit status:\n"
          "    0, or the module's status   `_start` returned, or the module called\n"
          "                                proc_exit(status) (low 8 bits)\n"
          "    1                           the module cannot be read, decoded,\n"
          "                                validated or linked, or has no `_start`\n"
          "    2                           usage error (bad option or option value,\n"
          "                                unknown export, wrong argument count or value)\n"
          "    124                         --timeout-ms expired\n"
          "    125                         --memory-limit-mb: the module's initial memory\n"
          "                                is above the limit; or a memory.grow was\n"
          "                                refused at the limit and the module then\n"
          "                                trapped or exited with a non-zero status\n"
          "    126                         --fuel exhausted\n"
          "    134                         the module trapped (including call stack\n"
          "                                exhausted)\n"
          "  A module may exit with these numbers itself; the line on stderr tells.\n",
          out);
}

/* ---------------------------------------------------------------- nexus wasm: options */

typedef struct nx_cli_wasm_options {
    char **env;               /* the --env values, KEY=VALUE */
    int nenv;
    const char *invoke;       /* --invoke NAME, or NULL for `_start` */
    uint64_t timeout_ms;      /* --timeout-ms, 0 = none */
    uint64_t memory_limit_mb; /* --memory-limit-mb, 0 = none */
    uint64_t stack_limit_kb;  /* --stack-limit-kb, 0 = the engine's default */
    uint64_t fuel;            /* --fuel, 0 = unlimited */
    bool print_fuel;          /* --print-fuel */
    bool disable_simd;        /* --disable-simd */
    bool disable_bulk_memory; /* --disable-bulk-memory */
    const char *module_path;  /* MODULE.wasm */
    char **args;              /* ARGS... (argv after MODULE.wasm) */
    int nargs;
} nx_cli_wasm_options;

typedef enum nx_cli_parse_result {
    NX_CLI_PARSED,
    NX_CLI_PARSED_HELP,
    NX_CLI_PARSE_ERROR,
    NX_CLI_NOT_THIS_OPTION, /* internal: try the next kind of option */
} nx_cli_parse_result;

/* An option with a whole-number value in [min, max], stored in the uint64_t at `field`
 * of nx_cli_wasm_options. */
typedef struct nx_cli_number_option {
    const char *name;
    const char *unit; /* " of milliseconds", ... ("" when the number has none) */
    uint64_t min, max;
    size_t field;     /* offsetof(nx_cli_wasm_options, ...) */
} nx_cli_number_option;

static const nx_cli_number_option nx_cli_number_options[] = {
    {"--timeout-ms", " of milliseconds", 1, NX_CLI_MAX_TIMEOUT_MS,
     offsetof(nx_cli_wasm_options, timeout_ms)},
    {"--memory-limit-mb", " of MiB", 1, NX_CLI_MAX_MEMORY_MB,
     offsetof(nx_cli_wasm_options, memory_limit_mb)},
    {"--stack-limit-kb", " of KiB", NX_CLI_MIN_STACK_KB, NX_CLI_MAX_STACK_KB,
     offsetof(nx_cli_wasm_options, stack_limit_kb)},
    {"--fuel", "", 1, UINT64_MAX, offsetof(nx_cli_wasm_options, fuel)},
};

static bool nx_cli_is_env_entry(const char *text) {
    const char *eq = strchr(text, '=');
    return eq != NULL && eq != text;
}

/* The value of option `name` at argv[*i], given as "--name VALUE" or "--name=VALUE";
 * NULL when argv[*i] is not that option. Advances *i past a separate value. */
static const char *nx_cli_option_value(int argc, char **argv, int *i, const char *name,
                                       bool *missing) {
    size_t len = strlen(name);
    const char *arg = argv[*i];
    if (strncmp(arg, name, len) != 0) return NULL;
    if (arg[len] == '=') return arg + len + 1;
    if (arg[len] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Parses a decimal whole number in [min, max]: digits only (no sign, space or suffix). */
static bool nx_cli_parse_whole_number(const char *text, uint64_t min, uint64_t max,
                                      uint64_t *out) {
    for (const char *p = text; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    if (text[0] == '\0') return false;
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno == ERANGE || v < min || v > max) return false;
    *out = (uint64_t)v;
    return true;
}

/* Parses argv[*i] when it is one of nx_cli_number_options. */
static nx_cli_parse_result nx_cli_parse_number_option(int argc, char **argv, int *i,
                                                      nx_cli_wasm_options *opt, bool *missing) {
    size_t count = sizeof nx_cli_number_options / sizeof nx_cli_number_options[0];
    for (size_t k = 0; k < count; k++) {
        const nx_cli_number_option *o = &nx_cli_number_options[k];
        const char *value = nx_cli_option_value(argc, argv, i, o->name, missing);
        if (*missing) return NX_CLI_NOT_THIS_OPTION;
        if (!value) continue;
        uint64_t *field = (uint64_t *)((char *)opt + o->field);
        if (nx_cli_parse_whole_number(value, o->min, o->max, field)) return NX_CLI_PARSED;
        fprintf(stderr,
                "nexus wasm: %s expects a whole number%s from %" PRIu64 " to %" PRIu64
                ", got '%s'\n",
                o->name, o->unit, o->min, o->max, value);
        return NX_CLI_PARSE_ERROR;
    }
    return NX_CLI_NOT_THIS_OPTION;
}

/* Options that are flags (they take no value): the bool they set in
 * nx_cli_wasm_options. */
static const struct {
    const char *name;
    size_t field; /* offsetof(nx_cli_wasm_options, ...) */
} nx_cli_flag_options[] = {
    {"--print-fuel", offsetof(nx_cli_wasm_options, print_fuel)},
    {"--disable-simd", offsetof(nx_cli_wasm_options, disable_simd)},
    {"--disable-bulk-memory", offsetof(nx_cli_wasm_options, disable_bulk_memory)},
};

/* Parses argv[*i] when it is one of nx_cli_flag_options. */
static nx_cli_parse_result nx_cli_parse_flag_option(char **argv, int *i,
                                                    nx_cli_wasm_options *opt) {
    size_t count = sizeof nx_cli_flag_options / sizeof nx_cli_flag_options[0];
    for (size_t k = 0; k < count; k++) {
        const char *name = nx_cli_flag_options[k].name;
        size_t len = strlen(name);
        if (strncmp(argv[*i], name, len) != 0) continue;
        char next = argv[*i][len];
        if (next == '=') {
            fprintf(stderr, "nexus wasm: %s takes no value\n", name);
            return NX_CLI_PARSE_ERROR;
        }
        if (next != '\0') continue;
        *(bool *)((char *)opt + nx_cli_flag_options[k].field) = true;
        return NX_CLI_PARSED;
    }
    return NX_CLI_NOT_THIS_OPTION;
}

/* Parses argv[*i] when it is --env or --invoke. */
static nx_cli_parse_result nx_cli_parse_name_option(int argc, char **argv, int *i,
                                                    nx_cli_wasm_options *opt, bool *missing) {
    const char *value;
    if ((value = nx_cli_option_value(argc, argv, i, "--env", missing))) {
        if (!nx_cli_is_env_entry(value)) {
            fprintf(stderr, "nexus wasm: --env expects KEY=VALUE, got '%s'\n", value);
            return NX_CLI_PARSE_ERROR;
        }
        opt->env[opt->nenv++] = (char *)value;
        return NX_CLI_PARSED;
    }
    if (*missing) return NX_CLI_NOT_THIS_OPTION;
    if ((value = nx_cli_option_value(argc, argv, i, "--invoke", missing))) {
        if (value[0] == '\0') {
            fprintf(stderr, "nexus wasm: --invoke expects an export name\n");
            return NX_CLI_PARSE_ERROR;
        }
        opt->invoke = value;
        return NX_CLI_PARSED;
    }
    return NX_CLI_NOT_THIS_OPTION;
}

/* Parses the option at argv[*i] (advancing *i past a separate value). */
static nx_cli_parse_result nx_cli_parse_option(int argc, char **argv, int *i,
                                               nx_cli_wasm_options *opt) {
    if (strcmp(argv[*i], "-h") == 0 || strcmp(argv[*i], "--help") == 0)
        return NX_CLI_PARSED_HELP;
    bool missing = false;
    nx_cli_parse_result r = nx_cli_parse_name_option(argc, argv, i, opt, &missing);
    if (r == NX_CLI_NOT_THIS_OPTION && !missing)
        r = nx_cli_parse_number_option(argc, argv, i, opt, &missing);
    if (r == NX_CLI_NOT_THIS_OPTION && !missing) r = nx_cli_parse_flag_option(argv, i, opt);
    if (r != NX_CLI_NOT_THIS_OPTION) return r;
    if (missing)
        fprintf(stderr, "nexus wasm: option %s needs a value\n", argv[*i]);
    else
        fprintf(stderr, "nexus wasm: unknown option '%s'\n", argv[*i]);
    return NX_CLI_PARSE_ERROR;
}

/* Parses `nexus wasm` arguments (argv[0] is "wasm"). The option values point into
 * argv; opt->env must be freed by the caller. */
static nx_cli_parse_result nx_cli_parse_wasm_options(int argc, char **argv,
                                                     nx_cli_wasm_options *opt) {
    *opt = (nx_cli_wasm_options){0};
    opt->env = calloc((size_t)argc, sizeof *opt->env);
    if (!opt->env) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_PARSE_ERROR;
    }
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        nx_cli_parse_result r = nx_cli_parse_option(argc, argv, &i, opt);
        if (r != NX_CLI_PARSED) return r;
    }
    if (i >= argc) {
        fprintf(stderr, "nexus wasm: missing MODULE.wasm\n");
        return NX_CLI_PARSE_ERROR;
    }
    opt->module_path = argv[i];
    opt->args = argv + i + 1;
    opt->nargs = argc - i - 1;
    return NX_CLI_PARSED;
}

/* ---------------------------------------------------------------- nexus wasm: loading */

/* Reads a whole file (regular or not). On failure errno tells why. */
static bool nx_cli_read_file(const char *path, uint8_t **out, size_t *out_len) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    bool ok = buf != NULL;
    while (ok) {
        if (len == cap) {
            uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                errno = ENOMEM;
                ok = false;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            ok = !ferror(f);
            break;
        }
    }
    int saved = errno;
    fclose(f);
    if (!ok) {
        free(buf);
        errno = saved ? saved : EIO;
        return false;
    }
    *out = buf;
    *out_len = len;
    return true;
}

/* Everything `nexus wasm` creates, freed by nx_cli_wasm_run_free, and what the run used. */
typedef struct nx_cli_wasm_run {
    const nx_cli_wasm_options *opt;
    const char *module_path;
    nxw_module *module;
    nxw_store *store;
    nxw_linker *linker;
    nx_wasi *wasi;
    nxw_instance *instance;
    bool started;       /* instantiation was attempted: module code may have run */
    uint64_t fuel_used; /* fuel of every call so far, the start function's included */
} nx_cli_wasm_run;

static void nx_cli_wasm_run_free(nx_cli_wasm_run *run) {
    nxw_store_free(run->store); /* instances first: the module must outlive them */
    nxw_linker_free(run->linker);
    nx_wasi_free(run->wasi);
    nxw_module_free(run->module);
}

static const char *nx_cli_error_text(nxw_status status, const nxw_error *err) {
    return err->message[0] ? err->message : nxw_status_message(status);
}

/* ---------------------------------------------------------------- nexus wasm: limits */

/* Applies --memory-limit-mb and --stack-limit-kb (0: the engine's defaults). */
static void nx_cli_apply_limits(const nx_cli_wasm_run *run) {
    nxw_limits limits = {
        .stack_bytes = (size_t)(run->opt->stack_limit_kb * 1024),
        .memory_bytes = run->opt->memory_limit_mb << 20,
    };
    nxw_store_set_limits(run->store, &limits);
}

/* Starts the --timeout-ms clock: one deadline for instantiation and every call. */
static void nx_cli_start_timeout(const nx_cli_wasm_run *run) {
    uint64_t ms = run->opt->timeout_ms;
    if (ms) nxw_store_set_deadline(run->store, nxw_now_ns() + ms * UINT64_C(1000000));
}

/* Before a call: the engine's fuel limit holds for one call, so each one gets what is
 * left of the --fuel budget of the whole run. */
static void nx_cli_arm_fuel(const nx_cli_wasm_run *run) {
    uint64_t budget = run->opt->fuel;
    if (!budget) return;
    /* 0 would mean unlimited: a run that used it all gets 1 and traps at its first check */
    nxw_store_set_fuel(run->store, budget > run->fuel_used ? budget - run->fuel_used : 1);
}

/* After a call: adds the fuel it used. */
static void nx_cli_count_fuel(nx_cli_wasm_run *run) {
    run->fuel_used += nxw_store_fuel_used(run->store);
}

/* True when memory 0 could not grow because of --memory-limit-mb: a memory.grow was
 * refused and the limit, not a smaller maximum the module declared, bounds the memory. */
static bool nx_cli_memory_limit_hit(const nx_cli_wasm_run *run) {
    uint64_t limit_mb = run->opt->memory_limit_mb;
    nxw_memory *mem = run->instance ? nxw_instance_memory(run->instance) : NULL;
    if (!limit_mb || !mem) return false;
    nxw_memory_stats stats = nxw_memory_get_stats(mem);
    return stats.grow_refused && stats.limit_bytes == limit_mb << 20;
}

/* Prints "nexus: PREFIXMESSAGE" with `detail` inserted after the description of `trap`
 * that starts the engine's message ("execution timed out" DETAIL " in function 3 <f>"),
 * or appended when the message starts otherwise. */
static void nx_cli_print_stop(const char *prefix, nxw_trap trap, const nxw_error *err,
                              const char *detail) {
    const char *what = nxw_trap_message(trap);
    const char *message = nx_cli_error_text(NXW_ERR_TRAP, err);
    size_t len = strlen(what);
    if (strncmp(message, what, len) == 0)
        fprintf(stderr, "nexus: %s%s%s%s\n", prefix, what, detail, message + len);
    else
        fprintf(stderr, "nexus: %s%s%s\n", prefix, message, detail);
}

static int nx_cli_report_timeout(const nx_cli_wasm_run *run, const nxw_error *err) {
    char detail[48];
    snprintf(detail, sizeof detail, " after %" PRIu64 " ms", run->opt->timeout_ms);
    nx_cli_print_stop("timeout: ", NXW_TRAP_TIMEOUT, err, detail);
    return NX_CLI_EXIT_TIMEOUT;
}

static int nx_cli_report_fuel(const nx_cli_wasm_run *run, const nxw_error *err) {
    char detail[48];
    snprintf(detail, sizeof detail, " (limit %" PRIu64 ")", run->opt->fuel);
    nx_cli_print_stop("", NXW_TRAP_FUEL, err, detail);
    return NX_CLI_EXIT_FUEL;
}

/* The module's initial memory is above --memory-limit-mb (NXW_ERR_LIMIT). */
static int nx_cli_report_initial_memory(const nx_cli_wasm_run *run, nxw_status status,
                                        const nxw_error *err) {
    fprintf(stderr, "nexus: %s: %s (--memory-limit-mb %" PRIu64 ")\n", run->module_path,
            nx_cli_error_text(status, err), run->opt->memory_limit_mb);
    return NX_CLI_EXIT_MEMORY_LIMIT;
}

/* The module trapped (exit_status < 0) or exited with `exit_status` after a memory.grow
 * was refused at --memory-limit-mb. */
static int nx_cli_report_memory_limit(const nx_cli_wasm_run *run, const nxw_error *err,
                                      int exit_status) {
    fprintf(stderr,
            "nexus: memory limit of %" PRIu64 " MiB reached (--memory-limit-mb): "
            "memory.grow was refused, then the module ",
            run->opt->memory_limit_mb);
    if (exit_status < 0)
        fprintf(stderr, "trapped: %s\n", nx_cli_error_text(NXW_ERR_TRAP, err));
    else
        fprintf(stderr, "exited with status %d\n", exit_status);
    return NX_CLI_EXIT_MEMORY_LIMIT;
}

/* Exit status for a trap: the guest's exit status, a stop by --timeout-ms or --fuel, a
 * failure after --memory-limit-mb refused memory, or another trap (134), with its line on
 * stderr. */
static int nx_cli_trap_status(const nx_cli_wasm_run *run, const nxw_error *err, int exit_code) {
    if (err->trap == NXW_TRAP_TIMEOUT) return nx_cli_report_timeout(run, err);
    if (err->trap == NXW_TRAP_FUEL) return nx_cli_report_fuel(run, err);
    bool exited = err->trap == NXW_TRAP_EXIT;
    int exit_status = exited ? (int)((unsigned)exit_code & 0xffu) : -1; /* what an exit keeps */
    if (exit_status != 0 && nx_cli_memory_limit_hit(run))
        return nx_cli_report_memory_limit(run, err, exit_status);
    if (exited) return exit_status;
    fprintf(stderr, "nexus: trap: %s\n", nx_cli_error_text(NXW_ERR_TRAP, err));
    return NX_CLI_EXIT_TRAP;
}

/* Exit status for a failed instantiation or call: see nx_cli_trap_status, or a memory
 * limit (125) or load/link error (1) at instantiation, with its line on stderr. */
static int nx_cli_failure_status(const nx_cli_wasm_run *run, nxw_status status,
                                 const nxw_error *err, int exit_code) {
    if (status == NXW_ERR_TRAP) return nx_cli_trap_status(run, err, exit_code);
    if (status == NXW_ERR_LIMIT) return nx_cli_report_initial_memory(run, status, err);
    fprintf(stderr, "nexus: %s: %s\n", run->module_path, nx_cli_error_text(status, err));
    return NX_CLI_EXIT_LOAD;
}

/* ---------------------------------------------------------------- nexus wasm: running */

/* Creates the store (with the limits), the linker and the WASI host. Returns
 * NX_CLI_CONTINUE or an exit status. */
static int nx_cli_wasm_prepare(nx_cli_wasm_run *run) {
    const nx_cli_wasm_options *opt = run->opt;
    char **guest_argv = opt->args - 1; /* the module sees argv = MODULE.wasm ARGS... */
    run->store = nxw_store_new();
    run->linker = nxw_linker_new();
    run->wasi = nx_wasi_new(opt->nargs + 1, guest_argv, opt->nenv, opt->env);
    if (!run->store || !run->linker || !run->wasi) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_EXIT_LOAD;
    }
    nx_cli_apply_limits(run);
    nxw_error err = {0};
    nxw_status status = nx_wasi_define(run->wasi, run->linker, &err);
    if (status != NXW_OK) {
        fprintf(stderr, "nexus: cannot define the WASI imports: %s\n",
                nx_cli_error_text(status, &err));
        return NX_CLI_EXIT_LOAD;
    }
    return NX_CLI_CONTINUE;
}

/* Loads, links and instantiates the module. Returns NX_CLI_CONTINUE on success, else an
 * exit status. */
static int nx_cli_wasm_instantiate(nx_cli_wasm_run *run) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!nx_cli_read_file(run->module_path, &bytes, &len)) {
        fprintf(stderr, "nexus: %s: cannot read: %s\n", run->module_path, strerror(errno));
        return NX_CLI_EXIT_LOAD;
    }
    nxw_error err = {0};
    nxw_features features = nxw_features_all();
    features.simd = !run->opt->disable_simd;
    features.bulk_memory = !run->opt->disable_bulk_memory;
    nxw_status status = nxw_module_new_with_features(bytes, len, &features, &run->module, &err);
    free(bytes);
    if (status != NXW_OK) {
        run->module = NULL;
        return nx_cli_failure_status(run, status, &err, 0);
    }
    int prepared = nx_cli_wasm_prepare(run);
    if (prepared != NX_CLI_CONTINUE) return prepared;
    err = (nxw_error){0};
    nx_cli_start_timeout(run);
    nx_cli_arm_fuel(run);
    run->started = true;
    status = nxw_instantiate(run->store, run->module, run->linker, &run->instance, &err);
    nx_cli_count_fuel(run);
    if (status != NXW_OK) {
        int exit_code = 0;
        nx_wasi_exited(run->wasi, &exit_code); /* a start function may call proc_exit */
        return nx_cli_failure_status(run, status, &err, exit_code);
    }
    return NX_CLI_CONTINUE;
}

/* Calls `f` with its full argument list `args`, results into `results` (room for all),
 * within the run's fuel budget. */
static nxw_status nx_cli_call(nx_cli_wasm_run *run, nxw_func *f, const nxw_value *args,
                              nxw_value *results, int *exit_code, nxw_error *err) {
    nx_cli_arm_fuel(run);
    nxw_status status = nxw_func_call(run->store, f, args, nxw_func_param_count(f), results,
                                      nxw_func_result_count(f), exit_code, err);
    nx_cli_count_fuel(run);
    return status;
}

/* The exported function `name`, or NULL. */
static nxw_func *nx_cli_export_func(const nx_cli_wasm_run *run, const char *name) {
    nxw_extern ext;
    if (!nxw_instance_export(run->instance, name, strlen(name), &ext)) return NULL;
    return ext.kind == NXW_EXTERN_FUNC ? ext.of.func : NULL;
}

static bool nx_cli_is_nullary(const nxw_func *f) {
    return nxw_func_param_count(f) == 0 && nxw_func_result_count(f) == 0;
}

/* Calls a () -> () function; returns NX_CLI_CONTINUE when it returned, else an exit
 * status. */
static int nx_cli_call_nullary(nx_cli_wasm_run *run, nxw_func *f) {
    nxw_error err = {0};
    int exit_code = 0;
    nxw_status status = nx_cli_call(run, f, NULL, NULL, &exit_code, &err);
    return status == NXW_OK ? NX_CLI_CONTINUE : nx_cli_failure_status(run, status, &err, exit_code);
}

/* Runs the WASI command entry point `_start`. */
static int nx_cli_run_start(nx_cli_wasm_run *run) {
    nxw_func *start = nx_cli_export_func(run, "_start");
    if (!start) {
        fprintf(stderr,
                "nexus: %s: no exported function `_start` (not a WASI command; "
                "use --invoke NAME to call another export)\n",
                run->module_path);
        return NX_CLI_EXIT_LOAD;
    }
    if (!nx_cli_is_nullary(start)) {
        fprintf(stderr, "nexus: %s: `_start` must take no parameters and return nothing\n",
                run->module_path);
        return NX_CLI_EXIT_LOAD;
    }
    int status = nx_cli_call_nullary(run, start);
    return status == NX_CLI_CONTINUE ? NX_CLI_EXIT_OK : status;
}

/* ---------------------------------------------------------------- nexus wasm: --invoke */

static const char *nx_cli_type_name(nxw_valtype type) {
    switch (type) {
    case NXW_I32: return "i32";
    case NXW_I64: return "i64";
    case NXW_F32: return "f32";
    case NXW_F64: return "f64";
    case NXW_V128: return "v128";
    case NXW_FUNCREF: return "funcref";
    case NXW_EXTERNREF: return "externref";
    }
    return "unknown type";
}

/* Parses an integer of `bits` bits: optional sign, then decimal digits or 0x and hex
 * digits. Accepts the signed and the unsigned range; *out gets the two's complement. */
static bool nx_cli_parse_integer(const char *text, int bits, uint64_t *out) {
    const char *p = text;
    bool negative = *p == '-';
    if (*p == '-' || *p == '+') p++;
    int base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (base == 16 ? !isxdigit((unsigned char)*p) : !isdigit((unsigned char)*p)) return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, base);
    if (*end != '\0' || errno == ERANGE) return false;
    uint64_t max_unsigned = bits == 32 ? UINT32_MAX : UINT64_MAX;
    uint64_t max_negated = UINT64_C(1) << (bits - 1);
    if (negative ? v > max_negated : v > max_unsigned) return false;
    *out = negative ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return true;
}

static int32_t nx_cli_i32_from_bits(uint32_t bits) {
    return bits <= INT32_MAX ? (int32_t)bits : -(int32_t)(UINT32_MAX - bits) - 1;
}

static int64_t nx_cli_i64_from_bits(uint64_t bits) {
    return bits <= INT64_MAX ? (int64_t)bits : -(int64_t)(UINT64_MAX - bits) - 1;
}

static bool nx_cli_is_float_text(const char *text) {
    return text[0] != '\0' && !isspace((unsigned char)text[0]);
}

static bool nx_cli_parse_f32(const char *text, uint32_t *bits) {
    char *end;
    if (!nx_cli_is_float_text(text)) return false;
    float f = strtof(text, &end); /* overflow gives inf, underflow a denormal or 0 */
    if (*end != '\0') return false;
    memcpy(bits, &f, sizeof f);
    return true;
}

static bool nx_cli_parse_f64(const char *text, uint64_t *bits) {
    char *end;
    if (!nx_cli_is_float_text(text)) return false;
    double d = strtod(text, &end);
    if (*end != '\0') return false;
    memcpy(bits, &d, sizeof d);
    return true;
}

/* Parses a v128 written SHAPE:LANE,LANE,... (e.g. i32x4:1,2,3,-4 or f32x4:0.5,1,nan,2):
 * as many lanes as the shape has, each an integer of the lane's width (decimal or 0x,
 * signed or unsigned range) or, for f32x4/f64x2, a C float literal. */
static bool nx_cli_parse_v128(const char *text, uint8_t out[16]) {
    static const struct {
        const char *name;
        int bits;
        bool is_float;
    } shapes[] = {{"i8x16", 8, false},  {"i16x8", 16, false}, {"i32x4", 32, false},
                  {"i64x2", 64, false}, {"f32x4", 32, true},  {"f64x2", 64, true}};
    const char *colon = strchr(text, ':');
    size_t k = 0;
    while (k < sizeof shapes / sizeof shapes[0] &&
           !(colon && (size_t)(colon - text) == strlen(shapes[k].name) &&
             strncmp(text, shapes[k].name, strlen(shapes[k].name)) == 0))
        k++;
    if (k == sizeof shapes / sizeof shapes[0]) return false;
    int bits = shapes[k].bits, lanes = 128 / bits;
    const char *p = colon + 1;
    for (int i = 0; i < lanes; i++) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if ((end == NULL) != (i == lanes - 1) || n == 0 || n >= 64) return false;
        char lane[64];
        memcpy(lane, p, n);
        lane[n] = '\0';
        uint64_t v = 0;
        if (shapes[k].is_float && bits == 32) {
            uint32_t f;
            if (!nx_cli_parse_f32(lane, &f)) return false;
            v = f;
        } else if (shapes[k].is_float) {
            if (!nx_cli_parse_f64(lane, &v)) return false;
        } else if (bits == 8 || bits == 16) {
            /* the lane's signed or unsigned range */
            if (!nx_cli_parse_integer(lane, 64, &v)) return false;
            if (lane[0] == '-' ? nx_cli_i64_from_bits(v) < -(INT64_C(1) << (bits - 1))
                               : v >= (UINT64_C(1) << bits))
                return false;
        } else if (!nx_cli_parse_integer(lane, bits, &v)) {
            return false;
        }
        for (int b = 0; b < bits / 8; b++) out[i * (bits / 8) + b] = (uint8_t)(v >> (8 * b));
        p = end ? end + 1 : p + n;
    }
    return true;
}

/* Parses `text` as a value of `type` into *out. */
static bool nx_cli_parse_value(const char *text, nxw_valtype type, nxw_value *out) {
    uint64_t bits = 0;
    *out = (nxw_value){.type = type};
    switch (type) {
    case NXW_I32:
        if (!nx_cli_parse_integer(text, 32, &bits)) return false;
        out->of.i32 = nx_cli_i32_from_bits((uint32_t)bits);
        return true;
    case NXW_I64:
        if (!nx_cli_parse_integer(text, 64, &bits)) return false;
        out->of.i64 = nx_cli_i64_from_bits(bits);
        return true;
    case NXW_F32: return nx_cli_parse_f32(text, &out->of.f32_bits);
    case NXW_F64: return nx_cli_parse_f64(text, &out->of.f64_bits);
    case NXW_FUNCREF: out->of.funcref = NULL; return strcmp(text, "null") == 0;
    case NXW_EXTERNREF: out->of.externref = NULL; return strcmp(text, "null") == 0;
    case NXW_V128: return nx_cli_parse_v128(text, out->of.v128);
    }
    return false;
}

static void nx_cli_print_value(FILE *out, const nxw_value *v) {
    switch (v->type) {
    case NXW_I32: fprintf(out, "%" PRId32 "\n", v->of.i32); return;
    case NXW_I64: fprintf(out, "%" PRId64 "\n", v->of.i64); return;
    case NXW_F32: {
        float f;
        memcpy(&f, &v->of.f32_bits, sizeof f);
        fprintf(out, "%.9g\n", (double)f);
        return;
    }
    case NXW_F64: {
        double d;
        memcpy(&d, &v->of.f64_bits, sizeof d);
        fprintf(out, "%.17g\n", d);
        return;
    }
    case NXW_FUNCREF: fputs(v->of.funcref ? "ref\n" : "null\n", out); return;
    case NXW_EXTERNREF: fputs(v->of.externref ? "ref\n" : "null\n", out); return;
    case NXW_V128: {
        uint32_t lanes[4] = {0, 0, 0, 0};
        for (int i = 0; i < 16; i++) lanes[i / 4] |= (uint32_t)v->of.v128[i] << (8 * (i % 4));
        fprintf(out, "i32x4:0x%08" PRIx32 ",0x%08" PRIx32 ",0x%08" PRIx32 ",0x%08" PRIx32 "\n",
                lanes[0], lanes[1], lanes[2], lanes[3]);
        return;
    }
    }
}

/* Parses the command-line arguments of a call to `f`. Returns NX_CLI_CONTINUE, or the
 * exit status of a usage error (reported). */
static int nx_cli_parse_call_args(const char *name, const nxw_func *f, char **texts, int ntexts,
                                  nxw_value *args) {
    uint32_t nparams = nxw_func_param_count(f);
    if ((uint32_t)ntexts != nparams) {
        fprintf(stderr, "nexus: %s expects %" PRIu32 " argument%s, got %d\n", name, nparams,
                nparams == 1 ? "" : "s", ntexts);
        return NX_CLI_EXIT_USAGE;
    }
    for (uint32_t i = 0; i < nparams; i++) {
        nxw_valtype type = nxw_func_param_type(f, i);
        if (!nx_cli_parse_value(texts[i], type, &args[i])) {
            fprintf(stderr, "nexus: %s: argument %" PRIu32 " '%s' is not a valid %s\n", name,
                    i + 1, texts[i], nx_cli_type_name(type));
            return NX_CLI_EXIT_USAGE;
        }
    }
    return NX_CLI_CONTINUE;
}

/* Calls `f` with `args` and prints its results. Returns the exit status. */
static int nx_cli_call_and_print(nx_cli_wasm_run *run, nxw_func *f, const nxw_value *args) {
    uint32_t nresults = nxw_func_result_count(f);
    nxw_value *results = calloc(nresults ? nresults : 1, sizeof *results);
    if (!results) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_EXIT_LOAD;
    }
    for (uint32_t i = 0; i < nresults; i++) results[i].type = nxw_func_result_type(f, i);
    nxw_error err = {0};
    int exit_code = 0;
    nxw_status status = nx_cli_call(run, f, args, results, &exit_code, &err);
    int exit_status = NX_CLI_EXIT_OK;
    if (status != NXW_OK) {
        exit_status = nx_cli_failure_status(run, status, &err, exit_code);
    } else {
        for (uint32_t i = 0; i < nresults; i++) nx_cli_print_value(stdout, &results[i]);
        if (fflush(stdout) != 0) {
            fprintf(stderr, "nexus: cannot write the results: %s\n", strerror(errno));
            exit_status = NX_CLI_EXIT_LOAD;
        }
    }
    free(results);
    return exit_status;
}

/* Runs a WASI reactor's `_initialize` when the module exports one. Returns
 * NX_CLI_CONTINUE or an exit status. */
static int nx_cli_run_initialize(nx_cli_wasm_run *run) {
    nxw_func *init = nx_cli_export_func(run, "_initialize");
    if (!init || !nx_cli_is_nullary(init)) return NX_CLI_CONTINUE;
    return nx_cli_call_nullary(run, init);
}

/* --invoke NAME ARGS...: calls export NAME and prints its results. */
static int nx_cli_run_invoke(nx_cli_wasm_run *run, const nx_cli_wasm_options *opt) {
    const char *name = opt->invoke;
    nxw_func *f = nx_cli_export_func(run, name);
    if (!f) {
        fprintf(stderr, "nexus: %s: no exported function '%s'\n", run->module_path, name);
        return NX_CLI_EXIT_USAGE;
    }
    uint32_t nparams = nxw_func_param_count(f);
    nxw_value *args = calloc(nparams ? nparams : 1, sizeof *args);
    if (!args) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_EXIT_LOAD;
    }
    int status = nx_cli_parse_call_args(name, f, opt->args, opt->nargs, args);
    if (status == NX_CLI_CONTINUE) status = nx_cli_run_initialize(run);
    if (status == NX_CLI_CONTINUE) status = nx_cli_call_and_print(run, f, args);
    free(args);
    return status;
}

/* ---------------------------------------------------------------- subcommands */

/* `nexus wasm ...` (argv[0] is "wasm"). */
static int nx_cli_wasm_main(int argc, char **argv) {
    nx_cli_wasm_options opt;
    nx_cli_parse_result parsed = nx_cli_parse_wasm_options(argc, argv, &opt);
    if (parsed != NX_CLI_PARSED) {
        free(opt.env);
        if (parsed == NX_CLI_PARSED_HELP) {
            nx_cli_print_usage(stdout);
            return NX_CLI_EXIT_OK;
        }
        fputs("usage: nexus wasm [--env K=V]... [--invoke NAME] [--timeout-ms N]\n"
              "                  [--memory-limit-mb N] [--stack-limit-kb N] [--fuel N]\n"
              "                  [--print-fuel] [--disable-simd] [--disable-bulk-memory]\n"
              "                  MODULE.wasm [ARGS...]\n"
              "       (nexus help: options and exit statuses)\n",
              stderr);
        return NX_CLI_EXIT_USAGE;
    }
    nx_cli_wasm_run run = {.opt = &opt, .module_path = opt.module_path};
    int status = nx_cli_wasm_instantiate(&run);
    if (status == NX_CLI_CONTINUE)
        status = opt.invoke ? nx_cli_run_invoke(&run, &opt) : nx_cli_run_start(&run);
    if (opt.print_fuel && run.started) fprintf(stderr, "fuel: %" PRIu64 "\n", run.fuel_used);
    nx_cli_wasm_run_free(&run);
    free(opt.env);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "nexus: missing command\n");
        nx_cli_print_usage(stderr);
        return NX_CLI_EXIT_USAGE;
    }
    const char *command = argv[1];
    if (strcmp(command, "wasm") == 0) return nx_cli_wasm_main(argc - 1, argv + 1);
    if (strcmp(command, "spectest") == 0) return nx_spectest_main(argc - 1, argv + 1);
    if (strcmp(command, "bench") == 0) return nx_bench_main(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0) return nx_run_main(argc - 1, argv + 1);
    if (strcmp(command, "compile") == 0) return nx_compile_main(argc - 1, argv + 1);
    if (strcmp(command, "serve") == 0) return nx_serve_main(argc - 1, argv + 1);
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 ||
        strcmp(command, "-h") == 0) {
        nx_cli_print_usage(stdout);
        return NX_CLI_EXIT_OK;
    }
    if (strcmp(command, "--version") == 0) {
        printf("nexus %s\n", NX_CLI_VERSION);
        return NX_CLI_EXIT_OK;
    }
    fprintf(stderr, "nexus: unknown command '%s'\n", command);
    nx_cli_print_usage(stderr);
    return NX_CLI_EXIT_USAGE;
}
