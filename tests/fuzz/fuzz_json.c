/*
 * fuzz_json.c — differential fuzz target for the runtime's JSON text reader
 * (src/runtime/jsontext.c) against jansson, which parses the same contexts elsewhere:
 *   - nxj_skip accepts an input (one value, then only blanks) exactly when jansson's
 *     json_loadb(JSON_DECODE_ANY) does;
 *   - for an accepted input, nxj_to_mp writes the same MessagePack bytes as
 *     nxv_from_json of jansson's tree (unless an object repeats a key: ours keeps both
 *     entries, jansson the last), or both refuse it as nested too deeply;
 *   - nxj_object_parse accepts an object unless it repeats one of its own keys, finds
 *     every member jansson has, with a value span that converts alike; and
 *     nxj_object_delimit accepts it too, with the same members and spans.
 * A disagreement aborts (a crash for libFuzzer). The sanitizers catch the rest.
 */
#define _POSIX_C_SOURCE 200809L /* strnlen */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void disagree(const char *what)
{
    fprintf(stderr, "fuzz_json: %s\n", what);
    abort();
}

/* Only blanks from pos to the end. */
static bool blank_rest(const char *s, size_t len, size_t pos)
{
    for (; pos < len; pos++)
        if (!strchr(" \t\n\r", s[pos]) || s[pos] == 0) return false;
    return true;
}

static bool same_bytes(const nxv_buf *a, const nxv_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Jansson's tree of the input, with and without refusing duplicate keys. */
typedef struct parsed {
    json_t *plain;  /* last key wins */
    json_t *strict; /* NULL when any object repeats a key */
} parsed;

static void check_object(const char *s, size_t len, const parsed *p)
{
    size_t pos = 0;
    nxj_object *o = NULL;
    nxj_error err;
    bool ours = nxj_object_parse(s, len, &pos, &o, &err) && blank_rest(s, len, pos);
    if (!json_is_object(p->plain)) {
        if (ours) disagree("an object accepted where jansson has none");
    } else if (!ours) {
        /* only a repeated key of the object itself is refused; nested ones are kept */
        if (strcmp(err.text, "duplicate object key") != 0 || p->strict)
            disagree("object refused that jansson accepts");
    } else {
        if (o->count != json_object_size(p->plain)) disagree("member count differs");
        for (size_t i = 0; i < o->count; i++) {
            const nxj_member *m = &o->members[i];
            json_t *v = json_object_getn(p->plain, m->key, m->key_len);
            if (!v) disagree("a member jansson does not have");
            if (nxj_object_find(o, m->key) != m) disagree("find does not return the member");
            nxv_buf a = {0}, b = {0};
            bool ca = nxj_to_mp(&a, o->text + m->off, m->len), cb = nxv_from_json(&b, v);
            if (ca != cb) disagree("one side refuses to convert a member");
            if (ca && p->strict && !same_bytes(&a, &b)) disagree("member value differs");
            nxv_buf_free(&a);
            nxv_buf_free(&b);
        }
    }
    /* delimiting accepts whatever parsing accepts, with the same members and spans */
    if (ours) {
        size_t dpos = 0;
        nxj_object *d = NULL;
        if (!nxj_object_delimit(s, len, &dpos, &d, &err) || dpos != pos || d->count != o->count)
            disagree("delimiting differs from parsing");
        for (size_t i = 0; i < o->count; i++)
            if (strcmp(d->members[i].key, o->members[i].key) != 0 ||
                d->members[i].off != o->members[i].off || d->members[i].len != o->members[i].len)
                disagree("a delimited member differs");
        nxj_object_free(d);
    }
    nxj_object_free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* contexts are C strings: the input ends at its first NUL (jansson, given a length,
       stops there after a complete value, where a NUL would otherwise be refused) */
    const char *s = (const char *)data;
    size = strnlen(s, size);
    size_t pos = 0;
    nxj_error err;
    bool ours = nxj_skip(s, size, &pos, &err) && blank_rest(s, size, pos);
    json_error_t je;
    parsed p = {json_loadb(s, size, JSON_DECODE_ANY, &je), NULL};
    if (ours != (p.plain != NULL)) {
        fprintf(stderr, "ours: %s (at %zu); jansson: %s\n", ours ? "accepted" : err.text,
                err.offset, p.plain ? "accepted" : je.text);
        disagree("acceptance differs from jansson");
    }
    if (ours) {
        p.strict = json_loadb(s, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        nxv_buf a = {0}, b = {0};
        bool ca = nxj_to_mp(&a, s, size), cb = nxv_from_json(&b, p.plain);
        if (ca != cb) disagree("one side refuses to convert");
        /* with a repeated key ours keeps both entries (the guest keeps the last), jansson
           only the last: the bytes differ by design */
        if (ca && p.strict && !same_bytes(&a, &b)) disagree("MessagePack differs from nxv_from_json");
        nxv_buf_free(&a);
        nxv_buf_free(&b);
    }
    check_object(s, size, &p);
    json_decref(p.plain);
    json_decref(p.strict);
    return 0;
}
