/*
 * nexus-aotgen — the build tool around nxw_aot_generate: translates a WebAssembly
 * module into C (a header and N parts) for the ahead-of-time compiler.
 *
 *   nexus-aotgen MODULE.wasm SYMBOL OUTDIR NPARTS
 *
 * writes OUTDIR/SYMBOL.h and OUTDIR/SYMBOL_0.c .. SYMBOL_{NPARTS-1}.c. Each file is
 * written to a temporary name and renamed, so an interrupted build never leaves a
 * truncated file behind. Exit status 0 on success, 1 with a message on failure.
 */
#include "nexus_wasm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_PARTS = 64 };

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            unsigned char *p = realloc(buf, cap);
            if (!p) break;
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODULE.wasm SYMBOL OUTDIR NPARTS\n", argv[0]);
        return 1;
    }
    const char *in = argv[1], *sym = argv[2], *dir = argv[3];
    char *endp;
    long nparts = strtol(argv[4], &endp, 10);
    if (*endp || nparts < 1 || nparts > MAX_PARTS) {
        fprintf(stderr, "nexus-aotgen: NPARTS must be 1..%d, not '%s'\n", MAX_PARTS, argv[4]);
        return 1;
    }
    size_t len = 0;
    unsigned char *bytes = read_file(in, &len);
    if (!bytes) {
        fprintf(stderr, "nexus-aotgen: cannot read %s: %s\n", in, strerror(errno));
        return 1;
    }
    nxw_module *mod;
    nxw_error err;
    if (nxw_module_new(bytes, len, &mod, &err)) {
        fprintf(stderr, "nexus-aotgen: %s: %s\n", in, err.message);
        free(bytes);
        return 1;
    }
    free(bytes);

    if (strlen(dir) > 900 || strlen(sym) > 40) {
        fprintf(stderr, "nexus-aotgen: OUTDIR or SYMBOL too long\n");
        nxw_module_free(mod);
        return 1;
    }
    char header_name[64];
    snprintf(header_name, sizeof header_name, "%s.h", sym);
    FILE *files[MAX_PARTS + 1];
    char finals[MAX_PARTS + 1][1024], tmps[MAX_PARTS + 1][1024];
    int nfiles = 0;
    int status = 1;
    for (long i = -1; i < nparts; i++) {
        if (i < 0) {
            snprintf(finals[nfiles], sizeof finals[nfiles], "%s/%s", dir, header_name);
            snprintf(tmps[nfiles], sizeof tmps[nfiles], "%s/%s.tmp", dir, header_name);
        } else {
            snprintf(finals[nfiles], sizeof finals[nfiles], "%s/%s_%ld.c", dir, sym, i);
            snprintf(tmps[nfiles], sizeof tmps[nfiles], "%s/%s_%ld.c.tmp", dir, sym, i);
        }
        files[nfiles] = fopen(tmps[nfiles], "wb");
        if (!files[nfiles]) {
            fprintf(stderr, "nexus-aotgen: cannot write %s: %s\n", tmps[nfiles], strerror(errno));
            goto done;
        }
        nfiles++;
    }
    if (nxw_aot_generate(mod, sym, header_name, files[0], files + 1, (unsigned)nparts, &err)) {
        fprintf(stderr, "nexus-aotgen: %s: %s\n", in, err.message);
        goto done;
    }
    status = 0;
done:
    for (int i = 0; i < nfiles; i++) {
        if (fclose(files[i]) != 0) status = 1;
    }
    for (int i = 0; i < nfiles; i++) {
        if (status == 0 && rename(tmps[i], finals[i]) != 0) {
            fprintf(stderr, "nexus-aotgen: cannot rename %s: %s\n", tmps[i], strerror(errno));
            status = 1;
        }
        if (status != 0) remove(tmps[i]);
    }
    nxw_module_free(mod);
    return status;
}
