/* The run of `nnhull bounds` as the command sees it: the one driver for
 * every method (nnh_dist_run) with its progress lines and --stats table
 * (rank dispatch is in mpi_main.h). */
#ifndef NNH_BOUNDS_DIST_H
#define NNH_BOUNDS_DIST_H

#include "nnhull/dist.h"

typedef struct cli_dist_args {
    nnh_bound_opts bound; /* engine and its options */
    const char *out;
    const char *trace; /* --trace file (NULL: none) */
    int sched_min_tasks, master_tasks; /* nnh_dist_opts' scheduler knobs */
    double sched_chunk_seconds;
    int resume, stats, quiet;
    double checkpoint_every;
    nnh_h5_meta meta;
} cli_dist_args;

/* Run on the regions (R x n_inputs boxes lo/hi, --split already applied) and
 * print the summary. Returns a CLI exit status (message printed). */
int cli_bounds_dist_run(const cli_dist_args *a, const nnh_network *net, int R, const double *lo,
                        const double *hi);

#endif
