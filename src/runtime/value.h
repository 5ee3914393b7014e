/*
 * value.h — values between JSON (the runtime's API, jansson's json_t) and MessagePack
 * (the guest's encoding, nexus_guest_abi.h), plus the growable byte buffer both sides
 * use (internal to the runtime).
 *
 * Mapping JSON -> MessagePack: null, booleans, integers (int64) -> int, reals -> float64,
 * strings -> str (embedded NUL kept), arrays, objects -> maps with str keys.
 * MessagePack -> JSON: nil -> null, bool, ints -> integer (a uint64 above INT64_MAX ->
 * real), floats -> real except NaN and ±Infinity -> null (as JSON.stringify does),
 * str -> string (invalid UTF-8 -> null), arrays, maps with str keys -> objects (a
 * non-str key is stringified from its JSON form), bin and ext -> null.
 * Both directions refuse nesting deeper than NXG_MAX_DEPTH.
 */
#ifndef NXR_VALUE_H
#define NXR_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer. `failed` is set (and sticks) when an allocation fails. */
typedef struct nxv_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} nxv_buf;

/* Appends bytes. */
void nxv_put(nxv_buf *b, const void *data, size_t len);
/* Frees the buffer's storage and empties it. */
void nxv_buf_free(nxv_buf *b);

/* MessagePack writers. */
void nxv_mp_nil(nxv_buf *b);
void nxv_mp_str(nxv_buf *b, const char *s, size_t len);
void nxv_mp_map(nxv_buf *b, uint32_t n);
void nxv_mp_array(nxv_buf *b, uint32_t n);
/* An integer in the smallest MessagePack form; a double as float64. */
void nxv_mp_int(nxv_buf *b, int64_t v);
void nxv_mp_f64(nxv_buf *b, double d);

/* Appends the MessagePack form of `v`. False (buffer unchanged beyond len) when nested
 * deeper than NXG_MAX_DEPTH or out of memory. */
bool nxv_from_json(nxv_buf *b, const json_t *v);

/* Decodes one MessagePack value into a new json_t (caller owns it). NULL when the input
 * is malformed, truncated, has trailing bytes or is nested too deeply. */
json_t *nxv_to_json(const uint8_t *data, size_t len);

/* Looks up the str-keyed entry `key` of a MessagePack map and returns it as JSON (new
 * reference), or NULL when absent or malformed. */
json_t *nxv_map_get(const uint8_t *data, size_t len, const char *key);

#endif /* NXR_VALUE_H */
