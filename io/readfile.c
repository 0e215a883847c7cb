/* Whole-file reading shared by the network and property readers: one buffer,
 * NUL-terminated, with errors that name the file. */
#include "nnhull/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nnh_read_file(const char *path, size_t max_len, char **out, size_t *len, nnh_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return nnh_error_set(err, NNH_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = NNH_OK;
    for (;;) {
        if (n == cap) {
            if (cap >= max_len) {
                rc = nnh_error_set(err, NNH_EUNSUPPORTED, "%s: file too large (limit %zu bytes)", path,
                                   max_len);
                break;
            }
            cap = cap ? 2 * cap : (size_t)1 << 16;
            if (cap > max_len)
                cap = max_len;
            char *p = realloc(buf, cap + 1); /* + 1: the terminating NUL */
            if (!p) {
                rc = nnh_error_set(err, NNH_ENOMEM, "%s: out of memory reading the file", path);
                break;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = nnh_error_set(err, NNH_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    if (!buf && !(buf = malloc(1)))
        return nnh_error_set(err, NNH_ENOMEM, "%s: out of memory reading the file", path);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return NNH_OK;
}
