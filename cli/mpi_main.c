/* Rank dispatch for the MPI commands (see mpi_main.h): one rank context per
 * process, alive for the duration of the command. */
#include "mpi_main.h"
#include "cli_common.h"

#include <signal.h>
#include <stdio.h>

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
    /* stdout is a pipe under mpirun (fully buffered): what rank 0 printed
     * must be out before MPI_Finalize, which may wait on busy ranks until
     * the launcher's SIGKILL */
    fflush(stdout);
    fflush(stderr);
    /* after SIGTERM/SIGINT/SIGHUP the launcher is ending the job: its PMIx
     * server no longer answers MPI_Finalize, which would hold rank 0 until
     * the SIGKILL, so rank 0 (its output written) exits without it. Workers
     * do finalise: one that exits without it makes mpirun kill every rank at
     * once, the master too before it wrote anything. SIGUSR1/2 leave the job
     * alive, so everyone finalises. */
    int sig = nnh_stop_requested();
    int ending = sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
    nnh_dist_end(g_dist, !(ending && nnh_dist_rank(g_dist) == 0));
    g_dist = NULL;
    return rc;
}
