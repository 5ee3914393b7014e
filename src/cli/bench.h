/*
 * bench.h — `nexus bench` (bench.c): a handler executed many times through the runtime
 * library, with latency percentiles and throughput.
 */
#ifndef NEXUS_CLI_BENCH_H
#define NEXUS_CLI_BENCH_H

/* Runs `nexus bench` (argv[0] is "bench"); returns the exit status: 0 done, 1 the
 * runtime could not start, 2 usage or input error. */
int nx_bench_main(int argc, char **argv);

#endif /* NEXUS_CLI_BENCH_H */
