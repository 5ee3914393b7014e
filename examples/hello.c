/* hello.c — the small WASI program `nexus wasm` runs as the main job: prints its
 * arguments and a checksum it computes, then exits with status 0. */
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello from WebAssembly, run by Nexus.\n");
    for (int i = 1; i < argc; i++) printf("  arg %d: %s\n", i, argv[i]);
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < 1000000; i++) h = (h ^ (i & 0xff)) * 16777619u;
    printf("FNV-1a over 1e6 bytes: %08x\n", (unsigned)h);
    return 0;
}
