/* .nnet reader (placeholder until the reader lands: refuses every file). */
#include "nnh_io.h"

int nnh_load_nnet(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err)
{
    (void)o;
    *out = NULL;
    return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: .nnet reader not built yet", path);
}
