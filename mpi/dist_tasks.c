/* Task farm over the ranks (`nnhull campaign`): rank 0 hands whole tasks
 * (task indices; every rank knows the list) to the workers, two in flight
 * each, runs tasks itself in between and collects every result; the
 * master's own long task keeps the workers fed through nnh_dist_tasks_poll. */
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
    int inflight; /* summed over workers */
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
    if (tag == TAG_ERROR) {
        int code = nnh_unpack_int(u);
        char *msg = nnh_unpack_str(u);
        nnh_error_set(f->err, code < 0 ? code : NNH_EINVAL, "rank %d: %s", from,
                      msg ? msg : "(no message)");
        free(msg);
        return farm_fail(f, code < 0 ? code : NNH_EINVAL);
    }
    int t = nnh_unpack_int(u);
    if (tag != TAG_TRESULT || u->failed || f->held[from] <= 0 || t < 0)
        return farm_fail(f, nnh_error_set(f->err, NNH_EINVAL, "unexpected message (tag %d) "
                                          "from rank %d", tag, from));
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

/* top every worker up to FARM_INFLIGHT tasks (nothing new after a signal) */
static int feed(farm *f)
{
    for (int round = 0; round < FARM_INFLIGHT; round++)
        for (int w = 1; w < f->d->size && !f->rc; w++) {
            if (f->held[w] > round || f->next >= f->t->n || *dist_signal_flag())
                continue;
            nnh_pack p;
            nnh_pack_init(&p);
            nnh_pack_int(&p, f->t->order[f->next]);
            int rc = dist_send(f->d, w, TAG_TASK, &p);
            nnh_pack_free(&p);
            if (rc)
                return farm_fail(f, nnh_error_set(f->err, rc, "out of memory sending a task"));
            f->next++;
            f->held[w]++;
            f->inflight++;
        }
    return f->rc;
}

int nnh_dist_tasks_poll(nnh_dist *d)
{
    farm *f = d ? d->farm : NULL;
    if (!f)
        return 0;
    drain(f, 0);
    return feed(f);
}

static int run_here(const nnh_dist_tasks *t, int task, int rank, nnh_error *err)
{
    void *res = NULL;
    size_t len = 0;
    int rc = t->run(t->arg, task, &res, &len, err);
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
            int rc = run_here(t, t->order[i], 0, err);
            if (rc)
                return rc;
        }
        return NNH_OK;
    }
    farm f = {.d = d, .t = t, .err = err};
    f.held = calloc((size_t)d->size, sizeof *f.held);
    if (!f.held)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    nnh_pack job;
    nnh_pack_init(&job);
    nnh_pack_int(&job, JOB_TASKS);
    dist_bcast_job(d, -1, &job);
    nnh_pack_free(&job);
    d->farm = &f;
    while (!f.rc) {
        if (drain(&f, 0) || feed(&f))
            break;
        if (f.next < t->n && !*dist_signal_flag()) { /* one for the master */
            int task = t->order[f.next++];
            int rc = run_here(t, task, 0, err);
            if (rc)
                farm_fail(&f, rc);
            continue;
        }
        if (f.inflight == 0)
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
    free(f.held);
    return f.rc;
}

/* run task and send its result (or the failure) to the master */
static int serve_task(const nnh_dist_tasks *t, int task)
{
    nnh_error err;
    nnh_error_clear(&err);
    void *res = NULL;
    size_t len = 0;
    int rc = t->run(t->arg, task, &res, &len, &err);
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
    for (;;) {
        unsigned char *buf;
        int from, tag, n;
        if (dist_recv(d, 0, 1, NULL, &from, &tag, &buf, &n) || !buf)
            MPI_Abort(MPI_COMM_WORLD, 1);
        nnh_unpack m;
        nnh_unpack_init(&m, buf, (size_t)n);
        int task = nnh_unpack_int(&m);
        free(buf);
        if (tag == TAG_STOP)
            return 0;
        if (tag == TAG_TASK && !failed && !m.failed)
            failed = serve_task(t, task) != 0;
    }
}
