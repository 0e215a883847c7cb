/* `nnhull verify --out F.h5`: the bounds of the property's input boxes and
 * the verdict, written through io/ (nnh_h5_write_verdict). */
#ifndef NNH_VERIFY_OUT_H
#define NNH_VERIFY_OUT_H

#include "nnhull/nnhull.h"
#include "nnhull/verify.h"

/* Bounds of every layer of net over each distinct input box of spec (engine
 * o->method), then /verdict; written under a temporary name and renamed.
 * Prints the reason and returns 1 on failure, 0 on success. */
int nnh_verify_write_h5(const char *path, const char *net_path, const char *spec_path,
                        const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                        const nnh_verify_result *r);

/* The counterexample x (n_in), y (n_out) in VNN-COMP's format: '(', then
 * '(X_i v)' and '(Y_j v)' lines, then ')'; written under a temporary name and
 * renamed when complete. Prints the reason and returns 1 on failure. */
int cli_write_cex(const char *path, const double *x, int n_in, const double *y, int n_out);

#endif
