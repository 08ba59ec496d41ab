#include "czlib_stream.h"
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct czlib_stream {
    z_stream z;
    int format;
    int ended;      /* the current stream/member reached its end and nothing of a next one was read */
    int error;      /* sticky error code (0 = none) */
    uint64_t total_in;
    uint64_t total_out;
    uint64_t members;
    char message[128];
};

/* zlib counts in uInt; feed it at most this much per call. */
#define CZLIB_MAX_CHUNK ((size_t)1 << 30)

static void set_error(czlib_stream *s, int code, const char *why) {
    s->error = code;
    const char *m = why ? why : (s->z.msg ? s->z.msg : "error");
    strncpy(s->message, m, sizeof s->message - 1);
    s->message[sizeof s->message - 1] = 0;
}

czlib_stream *czlib_stream_create(int format) {
    int bits;
    switch (format) {
    case CZLIB_FORMAT_RAW: bits = -15; break;
    case CZLIB_FORMAT_GZIP: bits = 15 + 16; break;
    case CZLIB_FORMAT_ZLIB: bits = 15; break;
    default: return NULL;
    }
    czlib_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->format = format;
    if (inflateInit2(&s->z, bits) != Z_OK) { free(s); return NULL; }
    return s;
}

void czlib_stream_destroy(czlib_stream *s) {
    if (!s) return;
    inflateEnd(&s->z);
    free(s);
}

int czlib_stream_inflate(czlib_stream *s, const unsigned char *in, size_t in_len, size_t *in_used,
                         unsigned char *out, size_t out_cap, size_t *out_len) {
    size_t used = 0, produced = 0;
    if (in_used) *in_used = 0;
    if (out_len) *out_len = 0;
    if (!s || (in_len && !in) || (out_cap && !out)) return CZLIB_ERR_STATE;
    if (s->error) return s->error;

    int result = CZLIB_OK;
    for (;;) {
        if (s->ended) {
            if (used == in_len) { result = CZLIB_END; break; }
            if (s->format != CZLIB_FORMAT_GZIP) {
                set_error(s, CZLIB_ERR_TRAILING, "data after the end of the compressed stream");
                result = s->error;
                break;
            }
            /* The next gzip member (RFC 1952 §2.2: a file is a series of members). */
            if (in[used] != 0x1f) {
                set_error(s, CZLIB_ERR_TRAILING, "data after the end of a gzip member is not another gzip member");
                result = s->error;
                break;
            }
            if (inflateReset(&s->z) != Z_OK) { set_error(s, CZLIB_ERR_STATE, "inflateReset failed"); result = s->error; break; }
            s->ended = 0;
        }
        if (produced == out_cap) break;
        size_t in_chunk = in_len - used;
        if (in_chunk > CZLIB_MAX_CHUNK) in_chunk = CZLIB_MAX_CHUNK;
        size_t out_chunk = out_cap - produced;
        if (out_chunk > CZLIB_MAX_CHUNK) out_chunk = CZLIB_MAX_CHUNK;
        s->z.next_in = (unsigned char *)(in ? in + used : NULL);
        s->z.avail_in = (uInt)in_chunk;
        s->z.next_out = out + produced;
        s->z.avail_out = (uInt)out_chunk;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        size_t took = in_chunk - s->z.avail_in;
        size_t gave = out_chunk - s->z.avail_out;
        used += took;
        produced += gave;
        s->total_in += took;
        s->total_out += gave;
        if (rc == Z_STREAM_END) {
            s->ended = 1;
            s->members += 1;
            continue;
        }
        if (rc == Z_OK) {
            if (took == 0 && gave == 0) break;
            continue;
        }
        if (rc == Z_BUF_ERROR) break;  /* no progress possible: needs input or output space */
        if (rc == Z_MEM_ERROR) { set_error(s, CZLIB_ERR_MEMORY, "out of memory"); result = s->error; break; }
        set_error(s, CZLIB_ERR_DATA, NULL);  /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
        result = s->error;
        break;
    }
    if (result == CZLIB_OK && s->ended && used == in_len) result = CZLIB_END;
    if (in_used) *in_used = used;
    if (out_len) *out_len = produced;
    return result;
}

int czlib_stream_is_complete(const czlib_stream *s) { return s && !s->error && s->ended; }
uint64_t czlib_stream_total_in(const czlib_stream *s) { return s ? s->total_in : 0; }
uint64_t czlib_stream_total_out(const czlib_stream *s) { return s ? s->total_out : 0; }
uint64_t czlib_stream_members(const czlib_stream *s) { return s ? s->members : 0; }
const char *czlib_stream_message(const czlib_stream *s) { return s && s->error ? s->message : ""; }

uint32_t czlib_crc32(uint32_t crc, const unsigned char *buf, size_t len) {
    uLong c = crc;
    if (!buf) return crc;
    while (len > 0) {
        uInt n = len > CZLIB_MAX_CHUNK ? (uInt)CZLIB_MAX_CHUNK : (uInt)len;
        c = crc32(c, buf, n);
        buf += n;
        len -= n;
    }
    return (uint32_t)c;
}
