/* Distributed `nnhull bounds` and `nnhull verify`: rank 0 (the master)
 * reads the inputs and schedules the work over the ranks of an mpirun/srun
 * job - the per-neuron LP problems of every (region, layer) for bounds, with
 * checkpoints and resume; the branch-and-bound regions for verify. Without a
 * launcher (or with one rank) the master does all the work itself and MPI
 * is never initialised. */
#ifndef NNH_DIST_H
#define NNH_DIST_H

#include "nnhull/engine.h"
#include "nnhull/io.h"
#include "nnhull/verify.h"

typedef struct nnh_dist nnh_dist;

/* Route SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 to handler (NULL: back
 * to the default): how every rank, and the single-process commands, notice
 * an interruption (mpirun forwards SIGTERM, then SIGKILLs about 1 s later;
 * it forwards SIGUSR1/2 without killing). A caught signal also requests a
 * stop (nnhull/stop.h), so that running LP solves end within a chunk of
 * iterations; installing a handler withdraws an earlier request. */
void nnh_dist_handle_signals(void (*handler)(int));

/* Start: initialise MPI only when the environment says a launcher started
 * this process (see mpi/dist_comm.c for the variables; NNHULL_MPI=0/1
 * overrides). Never fails: without MPI it is a one-rank run. */
nnh_dist *nnh_dist_start(int *argc, char ***argv);
int nnh_dist_rank(const nnh_dist *d);
int nnh_dist_size(const nnh_dist *d);
/* Finalise MPI (when it was initialised) and free d. After an interrupted
 * run (clean == 0) MPI_Finalize is skipped: the other ranks may be gone. */
void nnh_dist_end(nnh_dist *d, int clean);

/* A failed run is reported once: returns 1 to the first caller (who then
 * prints the message), 0 to every later one - e.g. the command after the
 * master's watcher already named a worker that died (mpi/dist_watch.c). */
int nnh_dist_claim_report(const nnh_dist *d);

/* Worker ranks (rank > 0): wait for the master's job and serve tasks until
 * told to stop. Returns the exit status the process should have (the
 * master's, when it gave up before the job started). Prints nothing. */
int nnh_dist_worker(nnh_dist *d);
/* Master: the inputs could not be read; tell the workers to exit with
 * status (so that only the master prints the one message). Does nothing
 * once nnh_dist_run has handed out the job, so callers may always call it
 * before nnh_dist_end. */
void nnh_dist_cancel(nnh_dist *d, int status);

/* Options of a distributed run (nnh_dist_opts_init sets the defaults). */
typedef struct nnh_dist_opts {
    nnh_bound_opts bound;    /* engine and its options */
    int resume;              /* continue from the checkpoint file */
    double checkpoint_every; /* seconds between checkpoint writes (0: after every unit) */
    int chunk;               /* most tasks per message to a worker (default 4) */
    /* and at most this many seconds of them at their layer's mean task time
     * so far; behind a chunk of a layer whose mean task time is longer, a
     * worker gets no second chunk in flight (0: neither rule; default 1:
     * long tasks go one by one, so that no worker holds a unit's last ones
     * while others idle: docs/benchmarks.md section 9) */
    double chunk_seconds;
    /* the master computes LP tasks itself only while it has at most this
     * many workers (default 7; beyond, feeding them and preparing layers is
     * its whole job: docs/benchmarks.md section 9) */
    int master_tasks_max_workers;
    /* a worker joins a unit held by others only while that leaves it at
     * least this many tasks, else a new region starts (default 16) */
    int min_tasks_per_context;
    const char *trace;       /* CSV trace of tasks, contexts, preparations (NULL: none) */
    nnh_h5_meta meta;        /* provenance (mpi_ranks is set by the run) */
    /* called with a one-line warning when --resume finds the checkpoint (or
     * the output) damaged and starts over instead (NULL: not told) */
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
} nnh_dist_opts;

void nnh_dist_opts_init(nnh_dist_opts *o);

/* "OUT.partial.h5" for OUT.h5 (or "OUT.partial.h5" appended to other
 * names): where a run checkpoints before renaming to OUT. Caller frees. */
char *nnh_dist_checkpoint_path(const char *out);

/* Scheduler statistics of a run (master's view). */
typedef struct nnh_dist_layer_sched {
    long tasks;          /* LP tasks computed in this run (not resumed ones) */
    double longest_task; /* seconds */
    double task_seconds; /* summed over tasks */
} nnh_dist_layer_sched;

typedef struct nnh_dist_report {
    int ranks;
    int n_regions;             /* after --split */
    int units_total, units_resumed;
    double wall;               /* seconds of the run */
    double master_busy;        /* seconds the master spent computing */
    double master_contexts;    /* of which building LP contexts */
    double master_prepare;     /* seconds preparing layers (IBP, CROWN) and checkpointing */
    int n_contexts;            /* LP contexts the master built */
    double master_idle;        /* seconds the master waited with nothing to do */
    long messages;             /* point-to-point messages sent + received by the master */
    nnh_dist_layer_sched *layer; /* n_layers */
    nnh_layer_stats *stats;      /* n_layers: summed over regions */
    nnh_bounds **bounds;         /* n_regions final bounds (for a summary) */
} nnh_dist_report;

void nnh_dist_report_free(nnh_dist_report *r, int n_layers);

/* Progress of the master: a (region, layer) finished. */
typedef void (*nnh_dist_progress_fn)(void *arg, int region, int n_regions, int layer,
                                     int n_layers, int units_done, int units_total,
                                     double elapsed);

/* Master (rank 0): run `bounds` for net over the n_regions boxes lo/hi
 * (n_regions x n_inputs) and write out (renamed from the checkpoint file
 * when complete). Returns 0, a negative NNH_E* code with err filled, or
 * NNH_EINTERRUPTED after SIGINT/SIGTERM/SIGHUP (the checkpoint then holds
 * every finished unit). report (may be NULL) is filled on success. */
int nnh_dist_run(nnh_dist *d, const nnh_network *net, int n_regions, const double *lo,
                 const double *hi, const char *out, const nnh_dist_opts *o,
                 nnh_dist_progress_fn progress, void *progress_arg, nnh_dist_report *report,
                 nnh_error *err);

/* Master: `verify` with its branch-and-bound regions handed out to the
 * ranks as they free up (two in flight per worker; the master decides
 * regions too), the halves of open regions queued back best-first, and the
 * first counterexample stopping every rank. The root falsification runs on
 * the master before the workers get the job. With one rank (or no MPI) it
 * is the serial nnh_verify. res->ranks and res->seconds_idle are filled. */
int nnh_dist_verify(nnh_dist *d, const nnh_network *net, const nnh_spec *spec,
                    const nnh_verify_opts *o, nnh_verify_result *res,
                    nnh_verify_progress_fn progress, void *progress_arg, nnh_error *err);

/* ---- Task farms (`nnhull campaign`): independent tasks, whole to a rank ----
 * Every rank knows the task list (e.g. every rank read the same instances
 * file); rank 0 hands out task indices in the given order (two in flight per
 * worker), runs tasks itself between hand-outs, and gets every result. */
typedef struct nnh_dist_tasks {
    int n;            /* tasks to run */
    const int *order; /* n task indices, in the order to hand out */
    /* Any rank: run task t and return its result as malloc'ed bytes *out, *len
     * (nonzero return: the farm stops with the message in err). */
    int (*run)(void *arg, int t, void **out, size_t *len, nnh_error *err);
    /* Master: task t's result from rank r (nonzero return stops the farm). */
    int (*done)(void *arg, int t, int rank, const void *res, size_t len, nnh_error *err);
    void *arg;
    /* Any rank, optional (NULL: ranks only ever run whole tasks): once no
     * whole task is left, an idle rank helps the rank `owner` with task t:
     * prepare what t needs and call nnh_dist_help until released. */
    void (*help)(void *arg, int t, int owner);
} nnh_dist_tasks;

/* Master: run the farm to its end (serially without MPI or with one rank).
 * After SIGINT/SIGTERM/SIGHUP (nnh_dist_handle_signals) no new task starts;
 * the results of running ones still arrive. 0 or a negative NNH_E* code. */
int nnh_dist_tasks_run(nnh_dist *d, const nnh_dist_tasks *t, nnh_error *err);
/* Master, from inside its own task (e.g. a verify progress callback):
 * collect finished results and hand out more. 0, or nonzero when the farm
 * failed (the master should end its task; nnh_dist_tasks_run reports). */
int nnh_dist_tasks_poll(nnh_dist *d);
/* Worker ranks: serve tasks until the master stops; returns the exit status
 * (the master's, when it cancelled with nnh_dist_cancel before starting). */
int nnh_dist_tasks_serve(nnh_dist *d, const nnh_dist_tasks *t);

/* Any rank, inside a farm task: `verify` (nnh_verify's verdict and
 * guarantees) whose branch-and-bound regions also go to the ranks the farm
 * attaches while it runs (idle ones, once no whole task is left; two regions
 * in flight each, this rank deciding regions too, as nnh_dist_verify).
 * *rank_seconds gets this rank's seconds plus its helpers'. Outside a farm,
 * the serial nnh_verify. A helper's failure fails the call, its message
 * naming the helper. */
int nnh_dist_verify_helped(nnh_dist *d, const nnh_network *net, const nnh_spec *spec,
                           const nnh_verify_opts *o, nnh_verify_result *res,
                           nnh_verify_progress_fn progress, void *progress_arg,
                           double *rank_seconds, nnh_error *err);
/* Helper side (from the tasks' help callback): decide regions of owner's
 * verify problem (net, spec, o as the owner has them) until the owner
 * releases this rank. net or spec NULL: this rank could not prepare (reason
 * in why): it tells the owner, whose instance then fails with it. */
void nnh_dist_help(nnh_dist *d, int owner, const nnh_network *net, const nnh_spec *spec,
                   const nnh_verify_opts *o, const char *why);

#endif
