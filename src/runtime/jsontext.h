/*
 * jsontext.h — JSON text read without building a tree (internal to the runtime).
 *
 * The state snapshot of a context can be large (a 1,000-item list is ~70 KB) and a
 * handler usually reads a few of its keys. Parsing it into jansson values costs about a
 * microsecond and a half per value, once to build the tree and again to convert each read
 * value to MessagePack. Here the snapshot is validated in one pass and indexed by key
 * (nxj_object); a value is converted straight from its text to MessagePack when the
 * handler reads it (nxj_to_mp).
 *
 * The syntax accepted is jansson's (what the rest of the runtime and the server parse):
 * RFC 8259 JSON, UTF-8 validated, "\u0000" and lone surrogate escapes refused, integers
 * beyond int64 and reals beyond double refused, nesting at most NXJ_MAX_DEPTH. Duplicate
 * keys are refused in the indexed object itself; inside values the last one wins, as in
 * JSON.parse. Numbers map as nxv_from_json maps jansson's: an integer literal (no
 * fraction, no exponent) to a MessagePack int, any other number to a float64.
 */
#ifndef NXR_JSONTEXT_H
#define NXR_JSONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

/* Deepest nesting accepted, as jansson's parser (its JSON_PARSER_MAX_DEPTH). */
enum { NXJ_MAX_DEPTH = 2048 };

/* Where and why a text was refused: the byte offset of the problem and a message. */
typedef struct nxj_error {
    size_t offset;
    char text[128];
} nxj_error;

/* Validates the JSON value at text[*pos] (whitespace before it skipped) and moves *pos
 * past it. False with err set when the text is not one valid value there. */
bool nxj_skip(const char *text, size_t len, size_t *pos, nxj_error *err);

/* Appends the MessagePack form of the JSON value in text[0, len), which nxj_skip
 * accepted. False (b back to its length before the call) when the value is nested
 * deeper than NXG_MAX_DEPTH or memory runs out. */
bool nxj_to_mp(nxv_buf *b, const char *text, size_t len);

/* One member of an indexed object: its key (decoded, NUL-terminated) and the span of its
 * value's text in the object's own copy. */
typedef struct nxj_member {
    char *key;
    size_t key_len;
    size_t off, len;
} nxj_member;

/* A JSON object indexed by key. Owns a copy of its text, the keys and the index. */
typedef struct nxj_object {
    char *text;          /* the object's text, from '{' to '}' */
    size_t text_len;
    nxj_member *members; /* in text order */
    size_t count, cap;
    uint32_t *slots;     /* open-addressing hash index: member index + 1, 0 = empty */
    size_t nslots;       /* a power of two, at least twice count */
} nxj_object;

/* Validates the JSON object at text[*pos] (whitespace first) and indexes its members into
 * a new object *out (free with nxj_object_free), moving *pos past it. False with err
 * set for invalid JSON, a value that is not an object, a duplicate key, or no memory. */
bool nxj_object_parse(const char *text, size_t len, size_t *pos, nxj_object **out,
                      nxj_error *err);

/* As nxj_object_parse, but the member values are only delimited (strings and brackets
 * followed to find their ends), not validated: for a caller that parses each value again
 * on its own, so that no text is validated twice. Keys are validated and indexed. */
bool nxj_object_delimit(const char *text, size_t len, size_t *pos, nxj_object **out,
                        nxj_error *err);

/* The member of `key` (a C string), or NULL. */
const nxj_member *nxj_object_find(const nxj_object *o, const char *key);

/* Frees an indexed object (NULL is fine). */
void nxj_object_free(nxj_object *o);

/* Line and column (1-based, in bytes) of a byte offset in a text, for messages. */
void nxj_line_column(const char *text, size_t offset, int *line, int *column);

#endif /* NXR_JSONTEXT_H */
