/* Verification problem container (placeholder until the VNNLIB reader lands). */
#include "spec.h"

#include <stdlib.h>

int nnh_spec_create(nnh_spec **out, int n_in, int n_out, int n_cases, nnh_error *err)
{
    (void)n_in; (void)n_out; (void)n_cases;
    *out = NULL;
    return nnh_error_set(err, NNH_EUNSUPPORTED, "spec: not built yet");
}
void nnh_spec_free(nnh_spec *s) { (void)s; }
int nnh_spec_add_ineq(nnh_spec *s, int k, const double *c, double d, nnh_error *err)
{
    (void)s; (void)k; (void)c; (void)d;
    return nnh_error_set(err, NNH_EUNSUPPORTED, "spec: not built yet");
}
int nnh_spec_boxes(const nnh_spec *s, int *n_boxes, double **lower, double **upper,
                   int **box_of_case, nnh_error *err)
{
    (void)s; (void)n_boxes; (void)lower; (void)upper; (void)box_of_case;
    return nnh_error_set(err, NNH_EUNSUPPORTED, "spec: not built yet");
}
int nnh_spec_case_holds(const nnh_spec *s, int k, const double *x, const double *y, double tol)
{
    (void)s; (void)k; (void)x; (void)y; (void)tol;
    return 0;
}
