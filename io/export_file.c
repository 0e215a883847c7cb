/* nnh_export_file: the exported model (nnh_export_write) with the caller's
 * provenance lines and the model's own notes as comments at the top, written
 * under a temporary name and renamed, so the final name never holds a
 * half-written file. */
#include "nnhull/io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* each line of text (separated by '\n') as one comment line, appended to buf */
static int comment_lines(char **buf, size_t *n, size_t *cap, const char *marker,
                         const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        size_t need = *n + strlen(marker) + len + 3;
        if (need > *cap) {
            size_t c = 2 * need;
            char *b = realloc(*buf, c);
            if (!b)
                return NNH_ENOMEM;
            *buf = b;
            *cap = c;
        }
        *n += (size_t)sprintf(*buf + *n, "%s %.*s\n", marker, (int)len, text);
        text += len + (nl ? 1 : 0);
    }
    return NNH_OK;
}

int nnh_export_file(const char *path, const char *header, const nnh_network *net,
                    const nnh_bounds *b, const nnh_export_opts *o, nnh_export_info *info,
                    nnh_error *err)
{
    nnh_export_info local;
    if (!info)
        info = &local;
    /* GLPK writes the model by name into an exclusively created temporary
     * in the output's directory; the final file is assembled in memory and
     * written through another one (nnh_write_file_atomic) */
    char *body = NULL, *text = NULL, *out = NULL;
    int fd = -1;
    size_t len = 0, n = 0, cap = 0;
    int rc = nnh_temp_create(path, &body, &fd, err);
    if (!rc) {
        close(fd);
        fd = -1;
        rc = nnh_export_write(net, b, o, body, info, err);
    }
    if (!rc)
        rc = nnh_read_file(body, (size_t)1 << 30, &text, &len, err);
    if (!rc) {
        const char *marker = o->format == NNH_EXPORT_MPS ? "*" : "\\";
        if (comment_lines(&out, &n, &cap, marker, header) ||
            comment_lines(&out, &n, &cap, marker, info->notes))
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    if (!rc) {
        char *all = realloc(out, n + len + 1);
        if (!all)
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
        else {
            out = all;
            memcpy(out + n, text, len);
            n += len;
            rc = nnh_write_file_atomic(path, out, n, err);
        }
    }
    if (body)
        unlink(body);
    free(body);
    free(text);
    free(out);
    return rc;
}
