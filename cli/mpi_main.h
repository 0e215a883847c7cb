/* Rank dispatch shared by the commands that run over MPI (bounds, verify):
 * workers never parse arguments or print; the master runs the command. */
#ifndef NNH_CLI_MPI_MAIN_H
#define NNH_CLI_MPI_MAIN_H

#include "nnhull/dist.h"

/* Start MPI when launched by mpirun/srun; workers serve and return their
 * exit status, the master runs master(argc, argv); the workers learn the
 * master's failure when it stops before the job starts. */
int cli_mpi_main(int argc, char **argv, int (*master)(int argc, char **argv));

/* This process's rank context while cli_mpi_main runs (NULL otherwise). */
nnh_dist *cli_dist(void);

#endif
