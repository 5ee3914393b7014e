/*
 * serve.h — `nexus serve` (serve.c): the handler runtime as an HTTP service
 * (nexus_server.h), configured from the environment.
 */
#ifndef NEXUS_CLI_SERVE_H
#define NEXUS_CLI_SERVE_H

/* Runs `nexus serve` (argv[0] is "serve") until SIGTERM or SIGINT; returns the exit
 * status: 0 stopped by a signal, 1 the runtime or the listener could not start, 2 usage
 * or configuration error. */
int nx_serve_main(int argc, char **argv);

#endif /* NEXUS_CLI_SERVE_H */
