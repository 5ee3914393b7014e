/*
 * base64.c — strict base64 encoding and decoding (see base64.h for the rules).
 *
 * Decoding works a group of four characters at a time: each character is looked up in
 * a 256-entry table (-1: not in the alphabet), the three bytes are written, and only the
 * last group may hold padding. The output size is known before decoding starts, so the
 * writes never pass the allocation.
 */
#include "base64.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *nxsrv_base64_encode(const uint8_t *data, size_t len, size_t *out_len)
{
    if (len > (SIZE_MAX - 1) / 4 * 3 - 2) return NULL;
    size_t n = (len + 2) / 3 * 4;
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < len) { /* one or two bytes left */
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    if (out_len) *out_len = o;
    return out;
}

/* The value of each alphabet character; -1 for every other byte. */
static void fill_table(int8_t table[256])
{
    for (int i = 0; i < 256; i++) table[i] = -1;
    for (int i = 0; i < 64; i++) table[(unsigned char)alphabet[i]] = (int8_t)i;
}

static uint8_t *fail(uint8_t *out, char *why, size_t why_size, const char *reason, size_t at,
                     char ch)
{
    free(out);
    if (ch >= 0x21 && ch < 0x7f)
        snprintf(why, why_size, "%s '%c' at offset %zu", reason, ch, at);
    else if (ch)
        snprintf(why, why_size, "%s (byte 0x%02x) at offset %zu", reason, (unsigned char)ch, at);
    else
        snprintf(why, why_size, "%s", reason);
    return NULL;
}

uint8_t *nxsrv_base64_decode(const char *text, size_t len, size_t *out_len, char *why,
                             size_t why_size)
{
    if (len % 4 != 0) {
        char reason[96];
        snprintf(reason, sizeof reason, "length %zu is not a multiple of 4", len);
        return fail(NULL, why, why_size, reason, 0, 0);
    }
    size_t pad = len >= 4 && text[len - 1] == '=' ? (text[len - 2] == '=' ? 2 : 1) : 0;
    size_t n = len / 4 * 3 - pad;
    uint8_t *out = malloc(n ? n : 1);
    if (!out) return fail(NULL, why, why_size, "out of memory", 0, 0);
    int8_t table[256];
    fill_table(table);
    size_t o = 0;
    for (size_t g = 0; g < len; g += 4) {
        bool last = g + 4 == len;
        size_t data_chars = last ? 4 - pad : 4; /* the others are the '=' checked above */
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int8_t d = k < data_chars ? table[(unsigned char)text[g + k]] : 0;
            if (d < 0)
                return fail(out, why, why_size, text[g + k] == '=' ? "misplaced padding"
                                                                   : "invalid character",
                            g + k, text[g + k]);
            v = v << 6 | (uint32_t)d;
        }
        if (pad == 2 && last && (v & 0xffff))
            return fail(out, why, why_size, "non-zero unused bits before the padding",
                        g + 1, text[g + 1]);
        if (pad == 1 && last && (v & 0xff))
            return fail(out, why, why_size, "non-zero unused bits before the padding",
                        g + 2, text[g + 2]);
        out[o++] = (uint8_t)(v >> 16);
        if (data_chars > 2) out[o++] = (uint8_t)(v >> 8);
        if (data_chars > 3) out[o++] = (uint8_t)v;
    }
    *out_len = o; /* == n */
    return out;
}
