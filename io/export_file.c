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

/* each line of text (separated by '\n') as one comment line */
static void comment_lines(FILE *f, const char *marker, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        fprintf(f, "%s %.*s\n", marker, (int)n, text);
        text += n + (nl ? 1 : 0);
    }
}

/* GLPK's text (a file of at most 1 GiB) after the comments */
static int append_file(FILE *out, const char *path, nnh_error *err)
{
    char *text;
    size_t len;
    int rc = nnh_read_file(path, (size_t)1 << 30, &text, &len, err);
    if (rc)
        return rc;
    if (fwrite(text, 1, len, out) != len)
        rc = nnh_error_set(err, NNH_EIO, "cannot copy %s: write error", path);
    free(text);
    return rc;
}

int nnh_export_file(const char *path, const char *header, const nnh_network *net,
                    const nnh_bounds *b, const nnh_export_opts *o, nnh_export_info *info,
                    nnh_error *err)
{
    size_t len = strlen(path) + 64;
    char *tmp = malloc(len), *body = malloc(len);
    if (!tmp || !body) {
        free(tmp);
        free(body);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    snprintf(body, len, "%s.tmp.%ld.body", path, (long)getpid());
    nnh_export_info local;
    if (!info)
        info = &local;
    int rc = nnh_export_write(net, b, o, body, info, err);
    FILE *f = NULL;
    if (!rc && !(f = fopen(tmp, "wb")))
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    if (!rc) {
        const char *marker = o->format == NNH_EXPORT_MPS ? "*" : "\\";
        comment_lines(f, marker, header);
        comment_lines(f, marker, info->notes);
        rc = append_file(f, body, err);
        int bad = ferror(f) != 0;
        bad |= fclose(f) != 0;
        if (!rc && bad)
            rc = nnh_error_set(err, NNH_EIO, "%s: write error", tmp);
        if (!rc && rename(tmp, path) != 0)
            rc = nnh_error_set(err, NNH_EIO, "%s: cannot rename to %s: %s", tmp, path,
                               strerror(errno));
    }
    if (rc)
        unlink(tmp);
    unlink(body);
    free(tmp);
    free(body);
    return rc;
}
