/* The input region of `nnhull export` (--spec / --box / --center --eps,
 * --clip): one box. Kept in one function so that it can be replaced by the
 * library's region builder once `nnhull bounds` has moved its own there. */
#ifndef NNH_EXPORT_REGION_H
#define NNH_EXPORT_REGION_H

#include "nnhull/nnhull.h"

#include <stddef.h>

typedef struct export_region_args {
    const char *net_path, *spec, *box, *center, *eps, *clip;
} export_region_args;

/* The first region the arguments give: lo/hi (n_inputs each, malloc'ed) and a
 * one-line description for the file's header. CLI_OK or CLI_FAIL (printed). */
int export_region(const export_region_args *a, const nnh_network *net, double **lo,
                  double **hi, char *desc, size_t desc_len);

#endif
