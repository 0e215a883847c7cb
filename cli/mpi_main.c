/* Rank dispatch for the MPI commands (see mpi_main.h): one rank context per
 * process, alive for the duration of the command. */
#include "mpi_main.h"
#include "cli_common.h"

static nnh_dist *g_dist;

nnh_dist *cli_dist(void) { return g_dist; }

int cli_mpi_main(int argc, char **argv, int (*master)(int argc, char **argv))
{
    g_dist = nnh_dist_start(&argc, &argv);
    if (!g_dist)
        return cli_fail("out of memory");
    int rc;
    if (nnh_dist_rank(g_dist) > 0)
        rc = nnh_dist_worker(g_dist);
    else {
        rc = master(argc, argv);
        nnh_dist_cancel(g_dist, rc); /* no-op once the job started */
    }
    nnh_dist_end(g_dist, 1);
    g_dist = NULL;
    return rc;
}
