/*
 * run.h — `nexus run` and `nexus compile` (run.c): one handler through the runtime
 * library from a shell.
 */
#ifndef NEXUS_CLI_RUN_H
#define NEXUS_CLI_RUN_H

/* `nexus run ...` (argv[0] is "run"): 0 success, 1 handler error, 2 usage/input error. */
int nx_run_main(int argc, char **argv);
/* `nexus compile HANDLER.js -o FILE` (argv[0] is "compile"): same statuses. */
int nx_compile_main(int argc, char **argv);

#endif /* NEXUS_CLI_RUN_H */
