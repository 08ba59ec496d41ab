#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <stddef.h>

/// Raw deflate (no zlib header, windowBits -15) as DICOM's Deflated Explicit VR Little Endian
/// requires (PS3.5 §A.5). zlib's init functions are macros, which Swift cannot call directly.

/// Inflates `in` into a growing buffer allocated with malloc (caller frees `*out`).
/// Returns 0 on success, or a negative zlib error code; `*consumed` says how much input was used.
int czlib_inflate_raw(const unsigned char *in, size_t in_len, unsigned char **out, size_t *out_len,
                      size_t max_out, size_t *consumed);

/// Deflates `in` (level 0-9, -1 default) into a malloc'd buffer (caller frees `*out`). Returns 0 or a zlib error.
int czlib_deflate_raw(const unsigned char *in, size_t in_len, int level, unsigned char **out, size_t *out_len);

const char *czlib_version(void);
#endif
