/*
 * base64.h — base64 (RFC 4648 §4: alphabet A-Z a-z 0-9 + /, '=' padding) for bytecode in
 * the HTTP API. Decoding is strict, so one bytecode has exactly one accepted text: the
 * length is a multiple of 4, padding appears only at the end (at most two '='), there is
 * no whitespace, and the bits a final group does not use are zero.
 */
#ifndef NXSRV_BASE64_H
#define NXSRV_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes; returns a malloc'd NUL-terminated text (its length in *out_len when
 * not NULL), or NULL when out of memory. */
char *nxsrv_base64_encode(const uint8_t *data, size_t len, size_t *out_len);

/* Decodes len characters of text; returns the malloc'd bytes (at least 1 byte allocated,
 * so an empty text gives a non-NULL pointer and *out_len 0), or NULL with the reason in
 * why (e.g. "invalid character '*' at offset 12"; "out of memory"). */
uint8_t *nxsrv_base64_decode(const char *text, size_t len, size_t *out_len, char *why,
                             size_t why_size);

#endif /* NXSRV_BASE64_H */
