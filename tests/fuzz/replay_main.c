/*
 * replay_main.c — a main() for the fuzz targets without libFuzzer: calls the target's
 * LLVMFuzzerTestOneInput once on every file named on the command line and on every file
 * under the directories named there (recursively, in name order, skipping dot files).
 * Linked with each target into a plain executable, it replays the saved regression
 * inputs (tests/fuzz/regressions/<target>/) as an ordinary CTest test, so a fixed crash
 * stays fixed in every build, sanitized or not. Exits 0 when every input ran (a crash
 * ends the process), 1 when an input cannot be read or no input was found at all.
 *
 * usage: <target>_replay FILE_OR_DIR...
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;
static int failures;

/* Reads a whole file into a fresh buffer (at least one byte, so never NULL on success). */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        uint8_t *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = len;
    return buf;
}

static void replay_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = read_file(path, &size);
    if (!data) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    printf("replay: %s (%zu bytes)\n", path, size);
    fflush(stdout); /* the name is out before a crash in the target */
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    replayed++;
}

static int skip_dot(const struct dirent *e) { return e->d_name[0] != '.'; }

static void replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    struct dirent **entries;
    int n = scandir(path, &entries, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s: %s\n", path, strerror(errno));
        failures++;
        return;
    }
    size_t path_len = strlen(path);
    const char *sep = path_len && path[path_len - 1] == '/' ? "" : "/";
    for (int i = 0; i < n; i++) {
        size_t len = path_len + 1 + strlen(entries[i]->d_name) + 1;
        char *child = malloc(len);
        if (child) {
            snprintf(child, len, "%s%s%s", path, sep, entries[i]->d_name);
            replay_path(child);
            free(child);
        } else {
            failures++;
        }
        free(entries[i]);
    }
    free(entries);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) replay_path(argv[i]);
    printf("replay: %lu input(s) replayed, %d error(s)\n", replayed, failures);
    return failures || replayed == 0 ? 1 : 0;
}
