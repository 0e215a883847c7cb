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

#endif
