/*
 * cache.h — the compile cache and the bytecode container (internal to the runtime).
 *
 * Bytecode container: what nx_precompile returns, `nexus compile` writes and the disk
 * cache stores. Little-endian:
 *     u8[4] "NXBC" | u32 container version | u32 payload length | u8[32] cache key |
 *     u8[32] HMAC-SHA-256 over everything before it and the payload | payload
 * The payload is the guest's code blob (nexus_guest_abi.h). The HMAC key is the cache's
 * secret (cacheDir/key, 32 random bytes created with mode 0600 on first use; a fresh
 * random key per process when the cache is memory-only), so bytecode from another
 * installation, a truncated file or a modified byte fails nxc_unseal and is never
 * loaded. The cache key is SHA-256(version string || source): another guest or engine
 * build never reuses a cached entry.
 *
 * Cache: an in-memory LRU in front of cacheDir/bytecode/<hex key>.qjsbc files, both
 * bounded by max_bytes with least-recently-used eviction. Files are written atomically
 * (temporary file + rename). A file that fails verification is ignored, removed and
 * counted (the caller recompiles and puts the fresh container). A cacheDir that cannot
 * be created or written makes the cache memory-only with one warning through the log
 * callback. Thread-safe.
 */
#ifndef NXR_CACHE_H
#define NXR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nexus.h"

#define NXC_KEY_SIZE 32         /* SHA-256 */
#define NXC_HEADER_SIZE 76      /* 4 + 4 + 4 + 32 + 32 */
#define NXC_CONTAINER_VERSION 1u

typedef struct nxc_cache nxc_cache;

/* Cache figures (for stats and metrics). */
typedef struct nxc_stats {
    uint64_t memory_entries, memory_bytes; /* in the in-memory LRU */
    uint64_t disk_entries, disk_bytes;     /* files under cacheDir/bytecode */
    uint64_t evictions;                    /* entries evicted (memory or disk) */
    uint64_t corrupt_files;                /* files that failed verification */
    bool disk_enabled;                     /* false: memory-only */
} nxc_stats;

/* Opens a cache in `dir` ("" or NULL: memory-only) bounded by max_bytes. `version`
 * (e.g. "guest-<sha256 of the guest module>") is mixed into every key. `log` (may be
 * NULL) receives the warning when the directory is unusable. NULL only when out of
 * memory. */
nxc_cache *nxc_open(const char *dir, uint64_t max_bytes, const char *version, nx_log_fn log,
                    void *log_user);
/* Frees the cache (files stay on disk). NULL allowed. */
void nxc_close(nxc_cache *c);

/* The cache key of a source: SHA-256(version || source). */
void nxc_key(const nxc_cache *c, const char *source, size_t len, uint8_t key[NXC_KEY_SIZE]);

/* Wraps a guest code blob into a signed container (malloc'd, *out_len set); NULL when
 * out of memory. */
uint8_t *nxc_seal(const nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], const uint8_t *blob,
                  size_t blob_len, size_t *out_len);

/* Verifies a container. Returns a pointer to its payload inside `container` (length in
 * *blob_len, key copied to key_out when not NULL), or NULL with the reason in why
 * ("not Nexus bytecode (bad magic)", "truncated: ...", "signature mismatch: ...",
 * "unsupported container version N"). */
const uint8_t *nxc_unseal(const nxc_cache *c, const uint8_t *container, size_t len,
                          size_t *blob_len, uint8_t key_out[NXC_KEY_SIZE], char *why,
                          size_t why_size);

/* The payload of a container this cache returned (nxc_get) or sealed, whose signature
 * was verified on its way in: checks only magic, version and lengths (as nxc_unseal,
 * same reasons in why), not the HMAC again. Never for bytecode from outside. */
const uint8_t *nxc_payload(const uint8_t *container, size_t len, size_t *blob_len, char *why,
                           size_t why_size);

/* Looks up a key: memory first, then disk (verified; a bad file is removed). On a hit
 * returns a malloc'd copy of the container in *container / *len and true. */
bool nxc_get(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], uint8_t **container, size_t *len);

/* Stores a container under its key, in memory and on disk, evicting the least recently
 * used entries beyond max_bytes. */
void nxc_put(nxc_cache *c, const uint8_t key[NXC_KEY_SIZE], const uint8_t *container,
             size_t len);

/* Current figures. */
nxc_stats nxc_get_stats(nxc_cache *c);

/* Lowercase hex of a key (65 bytes with the NUL). */
void nxc_key_hex(const uint8_t key[NXC_KEY_SIZE], char out[2 * NXC_KEY_SIZE + 1]);

#endif /* NXR_CACHE_H */
