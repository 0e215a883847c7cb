/* VNNLIB reader (placeholder until the reader lands: refuses every file). */
#include "nnh_io.h"

int nnh_parse_vnnlib(const char *text, const char *name, nnh_spec **out, nnh_error *err)
{
    (void)text;
    *out = NULL;
    return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: VNNLIB reader not built yet", name);
}

int nnh_load_vnnlib(const char *path, nnh_spec **out, nnh_error *err)
{
    return nnh_parse_vnnlib("", path, out, err);
}
