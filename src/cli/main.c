/*
 * main.c — entry point of the `nexus` command.
 *
 * Dispatches to the subcommands: `nexus wasm` runs a WebAssembly module with the WASI
 * preview1 host of wasi.c (its `_start`, or one export given by --invoke whose results
 * are printed), `nexus spectest` runs spec testsuite scripts (spectest.c); `help` and
 * `--version` do what they say. Every failure is one line on stderr starting with
 * "nexus:", and the exit status tells its kind (see nx_cli_print_usage).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexus_wasm.h"
#include "spectest.h"
#include "wasi.h"

#define NX_CLI_VERSION "0.1.0"

/* Exit statuses of `nexus wasm` (besides the module's own). */
enum {
    NX_CLI_EXIT_OK = 0,
    NX_CLI_EXIT_LOAD = 1,   /* unreadable, malformed, invalid or unlinkable module */
    NX_CLI_EXIT_USAGE = 2,  /* bad command line */
    NX_CLI_EXIT_TRAP = 134, /* the module trapped (as a native abort) */
    NX_CLI_CONTINUE = -1,   /* internal: no exit status yet, go on */
};

static void nx_cli_print_usage(FILE *out) {
    fputs("usage: nexus <command> [arguments]\n"
          "\n"
          "commands:\n"
          "  wasm [--env K=V]... [--invoke NAME] MODULE.wasm [ARGS...]\n"
          "                     run a WebAssembly module with WASI preview1\n"
          "  spectest FILE.json...\n"
          "                     run spec testsuite scripts converted by wast2json\n"
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
          "                 literals (nan, inf allowed), references as `null`; prints\n"
          "                 each result on its own line\n"
          "  exit status:\n"
          "    0, or the module's status   `_start` returned, or the module called\n"
          "                                proc_exit(status) (low 8 bits)\n"
          "    1                           the module cannot be read, decoded,\n"
          "                                validated or linked, or has no `_start`\n"
          "    2                           usage error (bad option, unknown export,\n"
          "                                wrong argument count or value)\n"
          "    134                         the module trapped\n",
          out);
}

/* ---------------------------------------------------------------- nexus wasm: options */

typedef struct nx_cli_wasm_options {
    char **env;              /* the --env values, KEY=VALUE */
    int nenv;
    const char *invoke;      /* --invoke NAME, or NULL for `_start` */
    const char *module_path; /* MODULE.wasm */
    char **args;             /* ARGS... (argv after MODULE.wasm) */
    int nargs;
} nx_cli_wasm_options;

typedef enum nx_cli_parse_result {
    NX_CLI_PARSED,
    NX_CLI_PARSED_HELP,
    NX_CLI_PARSE_ERROR,
} nx_cli_parse_result;

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
        bool missing = false;
        const char *value;
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return NX_CLI_PARSED_HELP;
        } else if ((value = nx_cli_option_value(argc, argv, &i, "--env", &missing))) {
            if (!nx_cli_is_env_entry(value)) {
                fprintf(stderr, "nexus wasm: --env expects KEY=VALUE, got '%s'\n", value);
                return NX_CLI_PARSE_ERROR;
            }
            opt->env[opt->nenv++] = (char *)value;
        } else if ((value = nx_cli_option_value(argc, argv, &i, "--invoke", &missing))) {
            if (value[0] == '\0') {
                fprintf(stderr, "nexus wasm: --invoke expects an export name\n");
                return NX_CLI_PARSE_ERROR;
            }
            opt->invoke = value;
        } else if (missing) {
            fprintf(stderr, "nexus wasm: option %s needs a value\n", argv[i]);
            return NX_CLI_PARSE_ERROR;
        } else {
            fprintf(stderr, "nexus wasm: unknown option '%s'\n", argv[i]);
            return NX_CLI_PARSE_ERROR;
        }
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

/* Everything `nexus wasm` creates, freed by nx_cli_wasm_run_free. */
typedef struct nx_cli_wasm_run {
    const char *module_path;
    nxw_module *module;
    nxw_store *store;
    nxw_linker *linker;
    nx_wasi *wasi;
    nxw_instance *instance;
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

/* Exit status for a failed instantiation or call: the guest's exit status, a trap (134)
 * or a load/link error (1), with its line on stderr. */
static int nx_cli_failure_status(const nx_cli_wasm_run *run, nxw_status status,
                                 const nxw_error *err, int exit_code) {
    if (status == NXW_ERR_TRAP && err->trap == NXW_TRAP_EXIT)
        return (int)((unsigned)exit_code & 0xffu); /* what a process exit keeps */
    if (status == NXW_ERR_TRAP) {
        fprintf(stderr, "nexus: trap: %s\n", nx_cli_error_text(status, err));
        return NX_CLI_EXIT_TRAP;
    }
    fprintf(stderr, "nexus: %s: %s\n", run->module_path, nx_cli_error_text(status, err));
    return NX_CLI_EXIT_LOAD;
}

/* Loads, links and instantiates the module. Returns NX_CLI_CONTINUE on success, else an
 * exit status. */
static int nx_cli_wasm_instantiate(nx_cli_wasm_run *run, const nx_cli_wasm_options *opt) {
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (!nx_cli_read_file(opt->module_path, &bytes, &len)) {
        fprintf(stderr, "nexus: %s: cannot read: %s\n", opt->module_path, strerror(errno));
        return NX_CLI_EXIT_LOAD;
    }
    nxw_error err = {0};
    nxw_status status = nxw_module_new(bytes, len, &run->module, &err);
    free(bytes);
    if (status != NXW_OK) {
        run->module = NULL;
        return nx_cli_failure_status(run, status, &err, 0);
    }

    /* the module sees argv = MODULE.wasm ARGS... */
    char **guest_argv = opt->args - 1;
    run->store = nxw_store_new();
    run->linker = nxw_linker_new();
    run->wasi = nx_wasi_new(opt->nargs + 1, guest_argv, opt->nenv, opt->env);
    if (!run->store || !run->linker || !run->wasi) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_EXIT_LOAD;
    }
    err = (nxw_error){0};
    status = nx_wasi_define(run->wasi, run->linker, &err);
    if (status != NXW_OK) {
        fprintf(stderr, "nexus: cannot define the WASI imports: %s\n",
                nx_cli_error_text(status, &err));
        return NX_CLI_EXIT_LOAD;
    }
    err = (nxw_error){0};
    status = nxw_instantiate(run->store, run->module, run->linker, &run->instance, &err);
    if (status != NXW_OK) {
        int exit_code = 0;
        nx_wasi_exited(run->wasi, &exit_code); /* a start function may call proc_exit */
        return nx_cli_failure_status(run, status, &err, exit_code);
    }
    return NX_CLI_CONTINUE;
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
    nxw_status status = nxw_func_call(run->store, f, NULL, 0, NULL, 0, &exit_code, &err);
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
    case NXW_V128: return false;
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
    case NXW_V128: fputs("v128\n", out); return;
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
    uint32_t nparams = nxw_func_param_count(f), nresults = nxw_func_result_count(f);
    nxw_value *results = calloc(nresults ? nresults : 1, sizeof *results);
    if (!results) {
        fprintf(stderr, "nexus: out of memory\n");
        return NX_CLI_EXIT_LOAD;
    }
    for (uint32_t i = 0; i < nresults; i++) results[i].type = nxw_func_result_type(f, i);
    nxw_error err = {0};
    int exit_code = 0;
    nxw_status status = nxw_func_call(run->store, f, args, nparams, results, nresults,
                                      &exit_code, &err);
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
        fputs("usage: nexus wasm [--env K=V]... [--invoke NAME] MODULE.wasm [ARGS...]\n"
              "       (nexus help: options and exit statuses)\n",
              stderr);
        return NX_CLI_EXIT_USAGE;
    }
    nx_cli_wasm_run run = {.module_path = opt.module_path};
    int status = nx_cli_wasm_instantiate(&run, &opt);
    if (status == NX_CLI_CONTINUE)
        status = opt.invoke ? nx_cli_run_invoke(&run, &opt) : nx_cli_run_start(&run);
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
