/* The MPI side of `nnhull bounds` as the command sees it: rank dispatch
 * (workers never parse arguments or print) and the distributed run with its
 * progress lines and --stats table. */
#ifndef NNH_BOUNDS_DIST_H
#define NNH_BOUNDS_DIST_H

#include "nnh_dist.h"

/* Start MPI when launched by mpirun/srun; workers serve and return their
 * exit status, the master runs master(argc, argv); the workers learn the
 * master's failure when it stops before the job starts. */
int cli_bounds_mpi_main(int argc, char **argv, int (*master)(int argc, char **argv));

typedef struct cli_dist_args {
    nnh_bound_opts bound; /* engine and its options */
    const char *out;
    int resume, stats, quiet;
    double checkpoint_every;
    nnh_h5_meta meta;
} cli_dist_args;

/* Run on the regions (R x n_inputs boxes lo/hi, --split already applied) and
 * print the summary. Returns a CLI exit status (message printed). */
int cli_bounds_dist_run(const cli_dist_args *a, const nnh_network *net, int R, const double *lo,
                        const double *hi);

#endif
