/* Network loading by file extension (.onnx, .nnet) and load option defaults. */
#include "nnhull/io.h"

#include <string.h>
#include <strings.h>

void nnh_load_opts_init(nnh_load_opts *o)
{
    memset(o, 0, sizeof *o);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcasecmp(s + n - m, suf) == 0;
}

int nnh_load_network(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err)
{
    nnh_load_opts def;
    if (!o) {
        nnh_load_opts_init(&def);
        o = &def;
    }
    *out = NULL;
    if (has_suffix(path, ".onnx"))
        return nnh_load_onnx(path, o, out, err);
    if (has_suffix(path, ".nnet"))
        return nnh_load_nnet(path, o, out, err);
    return nnh_error_set(err, NNH_EUNSUPPORTED,
                         "%s: unknown network format (expected a .onnx or .nnet file)", path);
}
