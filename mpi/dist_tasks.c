/* Task farm over the ranks (`nnhull campaign`): rank 0 hands whole tasks
 * (task indices; every rank knows the list) to the workers, two in flight
 * each, runs tasks itself in between and collects every result; the
 * master's own long task keeps the workers fed through nnh_dist_tasks_poll.
 * Once no whole task is left, idle ranks (rank 0 too) are attached as
 * helpers to the running task with the fewest helpers (dist_help.c) until
 * its owner releases them. */
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FARM_INFLIGHT 2 /* tasks per worker */

typedef struct farm {
    nnh_dist *d;
    const nnh_dist_tasks *t;
    int next;     /* position in t->order of the next task to hand out */
    int *held;    /* per worker: tasks sent, result not yet received */
    int *sent;    /* per worker: those tasks, FARM_INFLIGHT slots, running one first */
    int *helping; /* per rank: the owner it helps (-1: none) */
    int *helpers; /* per rank: helpers attached to its running task */
    int inflight; /* summed over workers */
    int busy;     /* workers helping */
    int rc;       /* first failure (sticky) */
    nnh_error *err;
} farm;

static int farm_fail(farm *f, int rc)
{
    if (!f->rc)
        f->rc = rc;
    return f->rc;
}

static int on_message(farm *f, int from, int tag, nnh_unpack *u)
{
    if (tag == TAG_ERROR)
        return farm_fail(f, dist_error_from(u, "rank", from, f->err));
    if (tag == TAG_FREE && f->helping[from] >= 0) {
        f->helpers[f->helping[from]]--;
        f->helping[from] = -1;
        f->busy--;
        return NNH_OK;
    }
    int t = nnh_unpack_int(u), *sent = f->sent + (size_t)from * FARM_INFLIGHT;
    if (tag != TAG_TRESULT || u->failed || f->held[from] <= 0 || t != sent[0])
        return farm_fail(f, nnh_error_set(f->err, NNH_EINVAL, "unexpected message (tag %d) "
                                          "from rank %d", tag, from));
    memmove(sent, sent + 1, (FARM_INFLIGHT - 1) * sizeof *sent);
    f->held[from]--;
    f->inflight--;
    int rc = f->t->done(f->t->arg, t, from, u->data + u->pos, u->len - u->pos, f->err);
    return rc ? farm_fail(f, rc) : NNH_OK;
}

/* every pending message (block: wait for the first one, or a signal) */
static int drain(farm *f, int block)
{
    while (!f->rc) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv(f->d, MPI_ANY_SOURCE, block, dist_signal_flag(), &from, &tag, &buf, &len))
            return farm_fail(f, nnh_error_set(f->err, NNH_ENOMEM, "out of memory receiving"));
        if (!buf)
            break;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        on_message(f, from, tag, &u);
        free(buf);
        block = 0;
    }
    return f->rc;
}

/* top every worker up to FARM_INFLIGHT tasks (nothing new after a signal);
 * near the end of the list only one each: a task queued behind a long one
 * would wait while another rank runs out of tasks */
static int feed(farm *f)
{
    for (int round = 0; round < FARM_INFLIGHT; round++)
        for (int w = 1; w < f->d->size && !f->rc; w++) {
            if (f->held[w] > round || f->next >= f->t->n || *dist_signal_flag() ||
                (round > 0 && f->t->n - f->next <= f->d->size))
                continue;
            nnh_pack p;
            nnh_pack_init(&p);
            nnh_pack_int(&p, f->t->order[f->next]);
            int rc = dist_send(f->d, w, TAG_TASK, &p);
            nnh_pack_free(&p);
            if (rc)
                return farm_fail(f, nnh_error_set(f->err, rc, "out of memory sending a task"));
            f->sent[(size_t)w * FARM_INFLIGHT + f->held[w]] = f->t->order[f->next];
            f->next++;
            f->held[w]++;
            f->inflight++;
        }
    return f->rc;
}

/* The rank running a task that should get helper h next (fewest helpers,
 * then lowest rank), or -1. */
static int pick_owner(const farm *f, int h)
{
    int best = -1;
    for (int o = 0; o < f->d->size; o++) {
        int running = o == 0 ? dist_help_open(f->d) : f->held[o] > 0;
        if (o != h && running && (best < 0 || f->helpers[o] < f->helpers[best]))
            best = o;
    }
    return best;
}

static int send_pair(farm *f, int dest, int tag, int a, int b)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, a);
    nnh_pack_int(&p, b);
    int rc = dist_send(f->d, dest, tag, &p);
    nnh_pack_free(&p);
    return rc ? farm_fail(f, nnh_error_set(f->err, rc, "out of memory sending a message")) : 0;
}

/* Rank h (idle) starts helping owner o with its running task. */
static int attach(farm *f, int h, int o)
{
    int t = o == 0 ? f->d->task : f->sent[(size_t)o * FARM_INFLIGHT];
    f->helping[h] = o;
    f->helpers[o]++;
    if (h > 0) {
        f->busy++;
        if (send_pair(f, h, TAG_JOIN, t, o))
            return f->rc;
    }
    if (o == 0)
        dist_help_attach(f->d, h, t);
    else if (send_pair(f, o, TAG_HELP, t, h))
        return f->rc;
    return NNH_OK;
}

/* No whole task left: every idle worker helps a running task. */
static int attach_idle(farm *f)
{
    if (!f->t->help || f->next < f->t->n || *dist_signal_flag())
        return f->rc;
    for (int h = 1; h < f->d->size && !f->rc; h++) {
        if (f->held[h] > 0 || f->helping[h] >= 0)
            continue;
        int o = pick_owner(f, h);
        if (o >= 0)
            attach(f, h, o);
    }
    return f->rc;
}

int nnh_dist_tasks_poll(nnh_dist *d)
{
    farm *f = d ? d->farm : NULL;
    if (!f)
        return 0;
    drain(f, 0);
    if (!feed(f))
        attach_idle(f);
    return f->rc;
}

static int run_here(nnh_dist *d, const nnh_dist_tasks *t, int task, int rank, nnh_error *err)
{
    void *res = NULL;
    size_t len = 0;
    d->task = task;
    int rc = t->run(t->arg, task, &res, &len, err);
    d->task = -1;
    if (!rc)
        rc = t->done(t->arg, task, rank, res, len, err);
    free(res);
    return rc;
}

/* after a signal: the running tasks' results for a few seconds (a worker
 * may be gone), then give up */
static void collect_rest(farm *f)
{
    double give_up = nnh_now() + 10.0;
    while (f->inflight > 0 && !f->rc && nnh_now() < give_up) {
        drain(f, 0);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
}

int nnh_dist_tasks_run(nnh_dist *d, const nnh_dist_tasks *t, nnh_error *err)
{
    if (!d || !d->mpi || d->size == 1) {
        for (int i = 0; i < t->n && !*dist_signal_flag(); i++) {
            int rc = run_here(d, t, t->order[i], 0, err);
            if (rc)
                return rc;
        }
        return NNH_OK;
    }
    farm f = {.d = d, .t = t, .err = err};
    size_t n = (size_t)d->size;
    f.held = calloc(n, sizeof *f.held);
    f.sent = calloc(n * FARM_INFLIGHT, sizeof *f.sent);
    f.helping = malloc(n * sizeof *f.helping);
    f.helpers = calloc(n, sizeof *f.helpers);
    if (!f.held || !f.sent || !f.helping || !f.helpers) {
        free(f.held), free(f.sent), free(f.helping), free(f.helpers);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    for (int r = 0; r < d->size; r++)
        f.helping[r] = -1;
    nnh_pack job;
    nnh_pack_init(&job);
    nnh_pack_int(&job, JOB_TASKS);
    dist_bcast_job(d, -1, &job);
    nnh_pack_free(&job);
    if (dist_help_begin(d))
        farm_fail(&f, nnh_error_set(err, NNH_EINVAL, "cannot create the helpers' communicator"));
    d->farm = &f;
    while (!f.rc) {
        if (drain(&f, 0) || feed(&f) || attach_idle(&f))
            break;
        if (f.next < t->n && !*dist_signal_flag()) { /* one for the master */
            int task = t->order[f.next++];
            int rc = run_here(d, t, task, 0, err);
            if (rc)
                farm_fail(&f, rc);
            continue;
        }
        int o = t->help && !*dist_signal_flag() ? pick_owner(&f, 0) : -1;
        if (o > 0) { /* the master helps a worker's task until released */
            int task = f.sent[(size_t)o * FARM_INFLIGHT];
            if (attach(&f, 0, o))
                break;
            t->help(t->arg, task, o);
            f.helpers[o]--;
            f.helping[0] = -1;
            continue;
        }
        if (f.inflight == 0 && f.busy == 0)
            break;
        if (*dist_signal_flag()) {
            collect_rest(&f);
            break;
        }
        drain(&f, 1);
    }
    d->farm = NULL;
    dist_stop_all(d);
    if (!*dist_signal_flag())
        dist_flush(d, 1);
    dist_help_end(d);
    free(f.held), free(f.sent), free(f.helping), free(f.helpers);
    return f.rc;
}

/* run task and send its result (or the failure) to the master */
static int serve_task(nnh_dist *d, const nnh_dist_tasks *t, int task)
{
    nnh_error err;
    nnh_error_clear(&err);
    void *res = NULL;
    size_t len = 0;
    d->task = task;
    int rc = t->run(t->arg, task, &res, &len, &err);
    d->task = -1;
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, task);
    if (!rc)
        nnh_pack_bytes(&p, res, len);
    free(res);
    if (!rc && p.failed)
        rc = nnh_error_set(&err, NNH_ENOMEM, "out of memory packing a result");
    if (rc)
        dist_send_error(rc, err.msg);
    else
        MPI_Send(p.data, (int)p.len, MPI_BYTE, 0, TAG_TRESULT, MPI_COMM_WORLD);
    nnh_pack_free(&p);
    return rc;
}

int nnh_dist_tasks_serve(nnh_dist *d, const nnh_dist_tasks *t)
{
    unsigned char *job;
    int len;
    int status = dist_recv_job(d, &job, &len);
    if (status >= 0)
        return status;
    nnh_unpack u;
    nnh_unpack_init(&u, job, (size_t)len);
    int kind = nnh_unpack_int(&u);
    free(job);
    int failed = kind != JOB_TASKS;
    if (failed)
        dist_send_error(NNH_EINVAL, "task farm: unexpected job");
    if (dist_help_begin(d) && !failed) {
        failed = 1;
        dist_send_error(NNH_EINVAL, "task farm: cannot create the helpers' communicator");
    }
    for (;;) {
        unsigned char *buf;
        int from, tag, n;
        if (dist_recv(d, 0, 1, NULL, &from, &tag, &buf, &n) || !buf)
            MPI_Abort(MPI_COMM_WORLD, 1);
        nnh_unpack m;
        nnh_unpack_init(&m, buf, (size_t)n);
        int task = nnh_unpack_int(&m), bad = m.failed;
        int other = tag == TAG_HELP || tag == TAG_JOIN ? nnh_unpack_int(&m) : -1;
        bad |= m.failed;
        free(buf);
        if (tag == TAG_STOP) {
            dist_help_end(d);
            return 0;
        }
        if (tag == TAG_TASK && !failed && !bad)
            failed = serve_task(d, t, task) != 0;
        if (tag == TAG_HELP && !bad) /* for a task that ended before the message came */
            dist_help_release(d, other);
        if (tag == TAG_JOIN && !bad && t->help) {
            t->help(t->arg, task, other);
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_FREE, MPI_COMM_WORLD);
        }
    }
}
