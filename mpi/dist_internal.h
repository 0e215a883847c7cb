/* Shared pieces of the distributed runs (bounds, verify): the rank context, message
 * tags, and the message transport (point-to-point byte messages; the
 * master's sends are non-blocking so that it never waits on a busy worker).
 * Only mpi/ includes this header and mpi.h. */
#ifndef NNH_DIST_INTERNAL_H
#define NNH_DIST_INTERNAL_H

#include "nnhull/dist.h"
#include "pack.h"
#include "verify_pack.h"
#include "nnh_clock.h"
#include "nnhull/stop.h"

#include <mpi.h>
#include <stdio.h>

enum {
    TAG_UNIT = 11, /* master -> worker: (r, k) and region r's bounds: build the LP context */
    TAG_TASKS,     /* master -> worker: (r, k) and a chunk of task indices */
    TAG_RESULT,    /* worker -> master: (r, k), (t, bound, start, end) per task, stats,
                      waiting time, start and end of the unit's context build (0: none) */
    TAG_ERROR,     /* worker -> master: (r, k, t), code, message */
    TAG_STOP,      /* master -> worker: no more work */
    TAG_REGION,    /* verify, master -> worker: seconds left, a region to decide */
    TAG_VRESULT,   /* verify, worker -> master: the region's result */
    TAG_STOPPED,   /* verify, worker -> master: stop seen, nothing more will come */
    TAG_TASK,      /* tasks, master -> worker: a task index */
    TAG_TRESULT,   /* tasks, worker -> master: task index and its result bytes */
    TAG_PREP,      /* master -> worker: (r, k), has-pass, region r's bounds [, its crown
                      pass]: prepare layers k, k+1, ... until one has LP tasks */
    TAG_PREPPED,   /* worker -> master: (r, k0, k1, tasks of k1), times, the bounds
                      [, the pass it computed]; it then holds (r, k1)'s LP context */
    TAG_HELP,      /* tasks, master -> owner: (task, rank) rank now helps with task */
    TAG_JOIN,      /* tasks, master -> helper: (task, owner) help owner with task */
    TAG_FREE,      /* tasks, helper -> master: released by its owner, free again */
    TAG_TIGHTEN,   /* verify, master -> worker: a layer of root tightening, its bounds */
    TAG_TIGHTENED  /* verify, worker -> master: the bounds of its share of the layer */
};

/* What the broadcast job is (its first int). */
enum { JOB_BOUNDS = 1, JOB_VERIFY = 2, JOB_TASKS = 3 };

/* Worker side of a verify job (the rest of the job message in u). */
int dist_verify_worker(nnh_dist *d, nnh_unpack *u);
/* A region message (seconds left before B's deadline, then R) into p. */
void dist_region_msg(const nnh_bab *B, const nnh_bab_region *R, nnh_pack *p);

/* The regions sent to one rank whose results have not come back, oldest
 * first (a rank answers in order). */
#define DIST_INFLIGHT 2 /* regions per rank */
typedef struct dist_rqueue {
    nnh_bab_region *r[DIST_INFLIGHT];
    int head, n;
} dist_rqueue;
/* Append R (the caller has checked n < DIST_INFLIGHT). */
static inline void dist_rqueue_push(dist_rqueue *q, nnh_bab_region *R)
{
    q->r[(q->head + q->n++) % DIST_INFLIGHT] = R;
}
/* The oldest region, removed, or NULL when none is in flight. */
static inline nnh_bab_region *dist_rqueue_pop(dist_rqueue *q)
{
    if (q->n == 0)
        return NULL;
    nnh_bab_region *R = q->r[q->head];
    q->head = (q->head + 1) % DIST_INFLIGHT;
    q->n--;
    return R;
}
/* Send R to rank `to` of comm as a TAG_REGION message; 0, or an error
 * code in err with R freed. */
int dist_region_send(nnh_dist *d, MPI_Comm comm, int to, const nnh_bab *B, nnh_bab_region *R,
                     nnh_error *err);
/* Decide R on this rank within B's deadline and report it to B (R freed
 * either way). */
int dist_decide_here(nnh_bab *B, nnh_bab_region *R, const nnh_verify_opts *o,
                     nnh_region_result *rr, nnh_error *err);
/* Decide the region of message u with problem P and options o; its result
 * (packed) into out. */
int dist_region_decide(const nnh_verify_problem *P, const nnh_verify_opts *o, nnh_unpack *u,
                       nnh_region_result *rr, nnh_pack *out, nnh_error *err);

/* ---- helpers of a running farm task (dist_help.c) ----
 * Collective over the farm's ranks: the helpers' communicator (begin) and
 * its release (end). */
int dist_help_begin(nnh_dist *d);
void dist_help_end(nnh_dist *d);
/* Master: this rank (0) runs a task that can take helpers now. */
int dist_help_open(const nnh_dist *d);
/* Master: rank h now helps with task t that this rank (0) runs. */
void dist_help_attach(nnh_dist *d, int h, int t);
/* Owner: rank h was attached to a task this rank no longer runs: release
 * it (STOP, wait for STOPPED). */
void dist_help_release(nnh_dist *d, int h);

typedef struct outmsg {
    MPI_Request req;
    unsigned char *buf;
} outmsg;

struct nnh_dist {
    int mpi;          /* MPI_Init was called */
    int rank, size;
    outmsg *out;      /* master's sends in flight */
    int n_out, cap_out;
    long messages;    /* sent + received */
    int job_sent;     /* the job (or a cancel) was broadcast */
    int *pids;        /* master: every rank's process id (NULL when unknown) */
    char *hosts;      /* master: every rank's node name, DIST_HOST bytes each */
    void *farm;       /* master: the task farm running (dist_tasks.c), or NULL */
    int task;         /* the farm task this rank runs (-1: none) */
    struct dist_owner *owner; /* its branch and bound taking helpers (dist_help.c) */
    MPI_Comm help_comm;       /* owner <-> helper messages (MPI_COMM_NULL outside a farm) */
};

#define DIST_HOST 256

/* Master: worker w is gone - its process ran on this node and no longer
 * exists (killed, crashed). Ranks on other nodes cannot be checked and count
 * as alive. */
int dist_rank_gone(const nnh_dist *d, int w);
/* The first gone worker, or -1. */
int dist_gone_rank(const nnh_dist *d);
/* "rank W (pid P on NODE)" into buf. */
void dist_rank_name(const nnh_dist *d, int w, char *buf, size_t len);
/* The watcher thread (dist_watch.c) of a master run, between start and
 * stop: after a signal, when a worker is gone, describe(arg, w, buf, len)
 * names rank w and its task, called under the watcher's lock, and the
 * message is printed at once (if nobody reported the failure yet). The
 * master holds the lock (dist_watch_lock/unlock) while it changes what
 * describe reads. A no-op without MPI or workers. */
typedef void (*dist_describe_fn)(void *arg, int w, char *buf, size_t len);
void dist_watch_start(const nnh_dist *d, dist_describe_fn describe, void *arg);
void dist_watch_stop(void);
void dist_watch_lock(void);
void dist_watch_unlock(void);

/* The signal caught by the handler of nnh_dist_handle_signals since it was
 * installed (0: none); its address serves as dist_recv's stop flag. */
volatile int *dist_signal_flag(void);

/* Send p's bytes to dest (p is emptied: the buffer travels with the send). */
int dist_send(nnh_dist *d, int dest, int tag, nnh_pack *p);
/* Receive the next message from src (MPI_ANY_SOURCE allowed); block != 0
 * waits (polling, so that signals are noticed: returns 0 with *buf NULL when
 * *stop becomes nonzero), else returns 0 with *buf NULL when none is
 * pending. *buf is malloc'ed. Returns NNH_ENOMEM on allocation failure. */
int dist_recv(nnh_dist *d, int src, int block, volatile int *stop, int *from, int *tag,
              unsigned char **buf, int *len);
/* dist_send and dist_recv on another communicator, dist_recv for one tag
 * (want, or MPI_ANY_TAG) only. */
int dist_send_on(nnh_dist *d, MPI_Comm comm, int dest, int tag, nnh_pack *p);
int dist_recv_on(nnh_dist *d, MPI_Comm comm, int src, int want, int block, volatile int *stop,
                 int *from, int *tag, unsigned char **buf, int *len);
/* Worker: TAG_ERROR (code, message) to the master, blocking (a verify or
 * task-farm worker's failure). */
void dist_send_error(int code, const char *msg);
/* A TAG_ERROR message u from rank `from` into err ("<who> <from>: message");
 * returns its (negative) code. */
int dist_error_from(nnh_unpack *u, const char *who, int from, nnh_error *err);
/* Complete the master's pending sends (wait != 0: all of them). */
void dist_flush(nnh_dist *d, int wait);
/* Master: TAG_STOP to every worker (queued; dist_flush completes them). */
void dist_stop_all(nnh_dist *d);

/* Job broadcast (once): the packed job, or (job NULL) the exit status the
 * workers are to take without a job. */
int dist_bcast_job(nnh_dist *d, int status, nnh_pack *job);
/* Workers: receive it; returns -1 with *job filled, or the exit status. */
int dist_recv_job(nnh_dist *d, unsigned char **job, int *len);

/* Test hook (tests/it_mpi.sh): NNHULL_FAULT=task-error makes workers fail
 * their first task, NNHULL_FAULT=crash makes them die on it. */
int dist_fault(const char *what);
/* Test hook (tests/it_mpi_failure.sh): with NNHULL_FAULT=stall a worker, at
 * its first task, writes its process id to $NNHULL_FAULT_FILE.<rank> and
 * sleeps up to a minute holding that task, to be killed by the test. */
void dist_fault_stall(const nnh_dist *d);

/* ---- the master's state (dist_master.c schedules, dist_ckpt.c saves) ---- */

/* A unit is one (region, layer): its LP tasks and their results. */
typedef struct dist_unit {
    int k;           /* layer in progress; -1 before the region starts, L when finished */
    int holders;     /* workers whose LP context is this unit (its current layer) */
    int n_tasks;     /* 2 x width for the LP methods (0 for layer 0, ibp, crown) */
    int next;        /* next task not handed out */
    int n_done;      /* results received */
    double *res;     /* [n_tasks], NaN until known */
    nnh_layer_stats st;
} dist_unit;

typedef struct dist_region {
    nnh_bounds *b;    /* NULL until started; layers < u.k final */
    nnh_bounds *pass; /* crown pass (LP methods), freed when finished */
    int resume_k;     /* layers restored from the checkpoint */
    int prep;         /* its next layers: 0 prepared by the master, 1 wait for a worker,
                         2 being prepared by a worker (TAG_PREP sent) */
    dist_unit u;
} dist_region;

typedef struct dist_chunk {
    int r, k, t, n; /* unit, first task and number of tasks of a chunk */
    long id;        /* the chunk's number in the run (trace) */
    int bytes;      /* size of its task message (trace) */
} dist_chunk;

typedef struct dist_peer {
    int r, k;     /* unit whose LP context the worker holds (-1: none) */
    int inflight; /* chunks sent and not answered */
    dist_chunk sent[2]; /* those chunks, oldest at sent[first] (results come in order) */
    int first;
    int unit_bytes; /* size of the last unit message, until its context is traced */
} dist_peer;

typedef struct dist_master {
    nnh_dist *d;
    const nnh_network *net;
    const nnh_dist_opts *o;
    nnh_h5_meta meta; /* o->meta with the sha256 and rank count filled in */
    char sha[65];
    int R, L;
    int offload;      /* workers prepare the units (many workers; the master only feeds) */
    const double *lo, *hi; /* R x n_inputs */
    dist_region *rg;
    unsigned char *done;   /* R x L */
    int next_region, first_active;
    int units_done, units_total, units_resumed;
    nnh_layer_stats *stats;
    nnh_dist_layer_sched *sched;
    dist_peer *peers;
    nnh_lp_layer *ctx; /* the master's own LP context */
    int ctx_r, ctx_k;
    double t0, busy, idle, last_ckpt;
    double ctx_seconds, prep_seconds;
    int n_ctx;
    char *ckpt;
    const char *out;
    FILE *trace;    /* --trace, or NULL */
    long chunks;    /* chunks handed out so far (master's own tasks count as chunks of 1) */
    nnh_dist_progress_fn progress;
    void *progress_arg;
    nnh_error *err;
} dist_master;

/* ---- the task trace (dist_trace.c) ---- */

/* Open o->trace (if set) into m->trace and write its header. */
int dist_trace_open(dist_master *m);
void dist_trace_close(dist_master *m);
/* One line: kind ("task", "context", "pass", "prepare", "apply",
 * "checkpoint"), region r, layer k, task t (-1: none), the rank, chunk id
 * and size (0 when none), start and end on the master's clock (absolute
 * nnh_now() seconds, written relative to the run's start), bytes sent to
 * and received from the rank for it. A no-op without a trace. */
void dist_trace_line(dist_master *m, const char *kind, int r, int k, int t, int rank, long chunk,
                     int n, double start, double end, long sent, long recv);

/* Write the state to path (the checkpoint, complete == 0: rows of units not
 * done are NaN; or the final file). */
int dist_write_file(dist_master *m, const char *path, int complete);
/* --resume: restore finished units from the checkpoint (or find the output
 * already complete: *complete = 1). Missing checkpoint: nothing restored. */
int dist_resume(dist_master *m, int *complete);

#endif
