#ifndef CZLIB_STREAM_H
#define CZLIB_STREAM_H
#include <stddef.h>
#include <stdint.h>

/// A streaming inflater over the system zlib. The caller owns every buffer: each call inflates
/// from `in` into at most `out_cap` bytes of `out`, so output is produced in bounded pieces no
/// matter how well the input compresses.

typedef struct czlib_stream czlib_stream;

/// Stream formats.
enum {
    CZLIB_FORMAT_RAW = 0,   ///< raw deflate (RFC 1951), windowBits -15: ZIP entries, DICOM deflated syntax
    CZLIB_FORMAT_GZIP = 1,  ///< gzip (RFC 1952), windowBits 31; consecutive members are inflated as one stream
    CZLIB_FORMAT_ZLIB = 2,  ///< zlib (RFC 1950), windowBits 15
};

/// Results of `czlib_stream_inflate`.
enum {
    CZLIB_OK = 0,            ///< progress made; more input (or output space) is needed
    CZLIB_END = 1,           ///< the stream (for gzip: the last member so far) ended; see `in_used`
    CZLIB_ERR_DATA = -1,     ///< corrupt input (`czlib_stream_message` says why)
    CZLIB_ERR_MEMORY = -2,   ///< zlib could not allocate its state
    CZLIB_ERR_TRAILING = -3, ///< raw/zlib: input continues after the end of the stream; gzip: garbage after a member
    CZLIB_ERR_STATE = -4,    ///< invalid arguments or a stream that already failed
};

/// Creates an inflater, or returns NULL when memory or the format is wrong.
czlib_stream *czlib_stream_create(int format);
void czlib_stream_destroy(czlib_stream *s);

/// Inflates from `in` (`in_len` bytes, may be 0) into `out` (`out_cap` bytes). Sets `*in_used`
/// to the input consumed and `*out_len` to the output produced. Call again with the rest of the
/// input, or with the same input and a fresh output buffer while `*out_len == out_cap`.
/// In gzip mode, input after a member's end starts a new member. After an error every further
/// call returns that error.
int czlib_stream_inflate(czlib_stream *s, const unsigned char *in, size_t in_len, size_t *in_used,
                         unsigned char *out, size_t out_cap, size_t *out_len);

/// True when the input so far is a complete stream (every gzip member finished).
int czlib_stream_is_complete(const czlib_stream *s);
/// Total input consumed and output produced so far.
uint64_t czlib_stream_total_in(const czlib_stream *s);
uint64_t czlib_stream_total_out(const czlib_stream *s);
/// Number of gzip members finished (1 for a finished raw or zlib stream).
uint64_t czlib_stream_members(const czlib_stream *s);
/// zlib's message for the last error (never NULL).
const char *czlib_stream_message(const czlib_stream *s);

/// CRC-32 (ISO 3309, as ZIP and gzip use), continuing from `crc` (0 to start).
uint32_t czlib_crc32(uint32_t crc, const unsigned char *buf, size_t len);
#endif
