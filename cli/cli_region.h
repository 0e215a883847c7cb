/* The input regions of the commands that take --spec F | --box F |
 * --center X --eps E [--clip LO,HI] [--split K] (bounds, export): built with
 * the library's readers (io/) and region functions (nnhull/regions.h). */
#ifndef NNH_CLI_REGION_H
#define NNH_CLI_REGION_H

#include "nnhull/nnhull.h"

typedef struct cli_region_args {
    const char *cmd;      /* command name for usage messages */
    const char *net_path; /* the network as given, for messages */
    const char *spec, *box, *center; /* exactly one set (center goes with eps) */
    double eps;
    const char *clip;     /* "LO,HI" or NULL */
    int split;            /* bisect into this many regions (0: none) */
} cli_region_args;

/* R boxes of n inputs, row-major (lo, hi malloc'ed; the caller frees). */
typedef struct cli_regions {
    int R, n;
    double *lo, *hi;
} cli_regions;

/* Build the regions; CLI_OK, or CLI_FAIL / CLI_USAGE with the message printed
 * (g may then hold partial arrays, to be freed all the same). */
int cli_build_regions(const cli_region_args *a, const nnh_network *net, cli_regions *g);

#endif
