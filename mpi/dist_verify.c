/* Distributed `verify`: the master keeps the branch-and-bound session
 * (src/verify/bab.c: queue, accounting, verdict) and hands regions to the workers,
 * two in flight each so that none waits while the master is busy deciding
 * a region of its own; workers decide a region (nnh_verify_region, a pure
 * function) and send the result back, and the master queues the halves.
 * Results from one worker arrive in the order its regions were sent, so a
 * FIFO per worker pairs them. Stopping is a handshake (STOP, then STOPPED
 * after any result still on its way) so that no rank is left blocked in a
 * send when MPI is finalised. Before the regions, the roots' layers are
 * LP-tightened (src/verify/verify_tighten.c) with every layer's tasks split
 * over the ranks (nnh_tighten_owner); a task's bound
 * depends only on the layer's bounds, which every rank gets exactly, so the
 * result is the same at any rank count. */
#include "dist_internal.h"
#include "verify_tighten.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct vpeer {
    dist_rqueue q; /* sent, result not yet received */
    int stopped;
} vpeer;

typedef struct vmaster {
    nnh_dist *d;
    nnh_bab *B;
    const nnh_verify_problem *P;
    const nnh_verify_opts *o;
    nnh_verify_result *res;
    vpeer *peers;
    int inflight;
    nnh_region_result rr;
    int tight_g, tight_k; /* layer being tightened (-1: none), for describe_gone */
    nnh_error *err;
} vmaster;

static int job_broadcast(vmaster *m, const nnh_network *net, const nnh_spec *spec)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, JOB_VERIFY);
    nnh_network_pack(net, &p);
    nnh_spec_pack(spec, &p);
    /* options as raw bytes: every rank runs this very binary (no pointers) */
    nnh_pack_bytes(&p, m->o, sizeof *m->o);
    if (p.failed) {
        nnh_pack_free(&p);
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory packing the verify job");
    }
    dist_bcast_job(m->d, -1, &p);
    nnh_pack_free(&p);
    return NNH_OK;
}

void dist_region_msg(const nnh_bab *B, const nnh_bab_region *R, nnh_pack *p)
{
    double deadline = nnh_bab_deadline(B);
    /* seconds left, not the deadline: monotonic clocks differ between nodes */
    double left = deadline > 0 ? deadline - nnh_now() : 0;
    nnh_pack_double(p, deadline > 0 && left <= 0 ? 1e-9 : left);
    nnh_bab_region_pack(nnh_bab_problem(B), R, p);
}

int dist_region_send(nnh_dist *d, MPI_Comm comm, int to, const nnh_bab *B, nnh_bab_region *R,
                     nnh_error *err)
{
    nnh_pack p;
    nnh_pack_init(&p);
    dist_region_msg(B, R, &p);
    int rc = dist_send_on(d, comm, to, TAG_REGION, &p);
    nnh_pack_free(&p);
    if (rc) {
        nnh_bab_region_free(R);
        return nnh_error_set(err, rc, "out of memory sending a region");
    }
    return NNH_OK;
}

int dist_decide_here(nnh_bab *B, nnh_bab_region *R, const nnh_verify_opts *o,
                     nnh_region_result *rr, nnh_error *err)
{
    int rc = nnh_verify_region(nnh_bab_problem(B), R, o, nnh_bab_deadline(B), rr, err);
    if (rc) {
        nnh_bab_region_free(R);
        return rc;
    }
    return nnh_bab_report(B, R, rr, err);
}

static int send_region(vmaster *m, int w, nnh_bab_region *R)
{
    int rc = dist_region_send(m->d, MPI_COMM_WORLD, w, m->B, R, m->err);
    if (rc)
        return rc;
    dist_watch_lock(); /* describe_gone reads the queues */
    dist_rqueue_push(&m->peers[w].q, R);
    dist_watch_unlock();
    m->inflight++;
    return NNH_OK;
}

/* Top every worker up to `depth` regions in flight. */
static int feed(vmaster *m, int depth)
{
    for (int round = 0; round < depth; round++)
        for (int w = 1; w < m->d->size; w++) {
            if (m->peers[w].q.n > round)
                continue;
            nnh_bab_region *R = nnh_bab_next(m->B);
            if (!R)
                return NNH_OK;
            int rc = send_region(m, w, R);
            if (rc)
                return rc;
        }
    return NNH_OK;
}

static nnh_bab_region *fifo_pop(vmaster *m, int w)
{
    dist_watch_lock();
    nnh_bab_region *R = dist_rqueue_pop(&m->peers[w].q);
    dist_watch_unlock();
    m->inflight -= R != NULL;
    return R;
}

static int on_result(vmaster *m, int from, nnh_unpack *u)
{
    nnh_bab_region *R = fifo_pop(m, from);
    if (!R)
        return nnh_error_set(m->err, NNH_EINVAL, "rank %d sent a result for no region", from);
    int rc = nnh_region_result_unpack(m->P, R->group, u, &m->rr, m->err);
    if (rc) {
        nnh_bab_region_free(R);
        return nnh_error_prefix(m->err, "result from rank %d", from);
    }
    return nnh_bab_report(m->B, R, &m->rr, m->err);
}

static int on_error(vmaster *m, int from, nnh_unpack *u)
{
    return dist_error_from(u, "rank", from, m->err);
}

/* every pending message (block: wait for one first) */
static int drain(vmaster *m, int block)
{
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        /* a signal (the caller's stop, or the launcher's after a rank died)
         * ends the wait: results from a dead rank never come */
        if (dist_recv(m->d, MPI_ANY_SOURCE, block, dist_signal_flag(), &from, &tag, &buf, &len))
            return nnh_error_set(m->err, NNH_ENOMEM, "out of memory receiving a message");
        if (!buf)
            return NNH_OK;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        int rc = tag == TAG_VRESULT  ? on_result(m, from, &u)
                 : tag == TAG_ERROR ? on_error(m, from, &u)
                                    : nnh_error_set(m->err, NNH_EINVAL, "unexpected message "
                                                    "tag %d from rank %d", tag, from);
        free(buf);
        if (rc)
            return rc;
        block = 0;
    }
}

static int schedule(vmaster *m)
{
    for (;;) {
        if (*dist_signal_flag()) /* the caller stops (nnh_bab_end: verdict unknown) */
            return NNH_OK;
        /* one region each first, then one for the master, and only what is
         * left as the workers' second: with a short queue, the best regions
         * are decided at once instead of waiting behind a prefetch */
        int rc = drain(m, 0);
        if (!rc)
            rc = feed(m, 1);
        if (rc)
            return rc;
        nnh_bab_region *R = nnh_bab_next(m->B);
        if (R) { /* the master decides one too */
            if ((rc = feed(m, DIST_INFLIGHT))) {
                nnh_bab_region_free(R);
                return rc;
            }
            if ((rc = dist_decide_here(m->B, R, m->o, &m->rr, m->err)))
                return rc;
            continue;
        }
        if (m->inflight == 0) /* over, or the queue ran dry with nothing out */
            return NNH_OK;
        double t0 = nnh_now();
        rc = drain(m, 1);
        m->res->seconds_idle += nnh_now() - t0;
        if (rc)
            return rc;
    }
}

static int signalled(void *arg)
{
    (void)arg;
    return *dist_signal_flag() != 0;
}

/* Seconds left to a deadline, as a message carries it (0: none). */
static double seconds_left(double deadline)
{
    double left = deadline > 0 ? deadline - nnh_now() : 0;
    return deadline > 0 && left <= 0 ? 1e-9 : left;
}

/* One worker's share of a tightened layer (TAG_TIGHTENED: k, its results). */
static int on_tightened(vmaster *m, int from, int k, int n_tasks, nnh_unpack *u, double *res)
{
    int kk = nnh_unpack_int(u);
    for (int t = 0; t < n_tasks && !u->failed; t++)
        if (nnh_tighten_owner(t, m->d->size) == from)
            res[t] = nnh_unpack_double(u);
    if (u->failed || kk != k)
        return nnh_error_set(m->err, NNH_EINVAL, "rank %d: bad tightening result for layer %d",
                             from, k);
    return NNH_OK;
}

/* nnh_tighten_layer_fn over the ranks: the layer's bounds to every worker,
 * the master's own share, then the workers' shares. After a signal the
 * master stops waiting (the shares still missing stay NaN: crown bounds). */
static int tighten_layer(void *arg, int g, const nnh_bounds *b, int k, const nnh_bound_opts *bo,
                         int n_tasks, const int *ids, double *res, nnh_layer_stats *st,
                         nnh_error *err)
{
    vmaster *m = arg;
    double deadline = nnh_bab_deadline(m->B);
    if (signalled(NULL)) /* no new layer after a signal: its tasks keep crown bounds */
        return NNH_OK;
    for (int w = 1; w < m->d->size; w++) {
        nnh_pack p;
        nnh_pack_init(&p);
        nnh_pack_double(&p, seconds_left(deadline));
        nnh_pack_int(&p, g);
        nnh_pack_int(&p, k);
        nnh_pack_int(&p, n_tasks);
        nnh_pack_int(&p, ids != NULL);
        for (int t = 0; ids && t < n_tasks; t++)
            nnh_pack_int(&p, ids[t]);
        nnh_pack_bytes(&p, bo, sizeof *bo);
        nnh_bounds_pack(b, &p);
        int rc = p.failed ? NNH_ENOMEM : dist_send(m->d, w, TAG_TIGHTEN, &p);
        nnh_pack_free(&p);
        if (rc)
            return nnh_error_set(err, rc, "out of memory sending a layer to tighten");
    }
    dist_watch_lock();
    m->tight_g = g;
    m->tight_k = k;
    dist_watch_unlock();
    int rc = nnh_tighten_tasks(nnh_verify_group_network(m->P, g), b, k, bo, 0, m->d->size,
                               n_tasks, ids, deadline, signalled, NULL, res, st, err);
    for (int left = m->d->size - 1; left > 0 && !rc;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv(m->d, MPI_ANY_SOURCE, 1, dist_signal_flag(), &from, &tag, &buf, &len))
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory receiving a message");
        if (rc || !buf) /* a signal: stop waiting */
            break;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        rc = tag == TAG_TIGHTENED ? on_tightened(m, from, k, n_tasks, &u, res)
             : tag == TAG_ERROR   ? on_error(m, from, &u)
                                  : nnh_error_set(err, NNH_EINVAL, "unexpected message tag %d "
                                                  "from rank %d", tag, from);
        free(buf);
        left--;
    }
    dist_watch_lock();
    m->tight_k = -1;
    dist_watch_unlock();
    return rc;
}

/* Worker w is gone (killed or crashed): its name and the region it was
 * deciding (also the watcher's message, see dist_watch.c). */
static void describe_gone(void *arg, int w, char *buf, size_t len)
{
    const vmaster *m = arg;
    char name[160];
    dist_rank_name(m->d, w, name, sizeof name);
    const vpeer *v = &m->peers[w];
    if (m->tight_k >= 0)
        snprintf(buf, len, "verify: %s stopped unexpectedly (killed or crashed) while "
                 "tightening layer %d of input box %d; the verdict is unknown", name, m->tight_k,
                 m->tight_g);
    else if (v->q.n == 0)
        snprintf(buf, len, "verify: %s stopped unexpectedly (killed or crashed) with no region "
                 "in hand; the verdict is unknown", name);
    else
        snprintf(buf, len, "verify: %s stopped unexpectedly (killed or crashed) while deciding "
                 "a region of input box %d at depth %d; the verdict is unknown", name,
                 v->q.r[v->q.head]->group, v->q.r[v->q.head]->depth);
}

/* After a signal, when a worker on this node is gone: an error naming it. */
static int gone_worker(vmaster *m)
{
    int w = *dist_signal_flag() ? dist_gone_rank(m->d) : -1;
    if (w < 0)
        return NNH_OK;
    char msg[NNH_ERRMSG_LEN];
    describe_gone(m, w, msg, sizeof msg);
    return nnh_error_set(m->err, NNH_EINTERRUPTED, "%s", msg + strlen("verify: "));
}

/* STOP to every worker; wait for each one's STOPPED, dropping what comes
 * before it (results of regions no longer wanted, errors after the first).
 * A worker known to be gone is not waited for, and after a signal none is
 * waited for longer than a few seconds (one may be gone on another node). */
static void stop_workers(vmaster *m)
{
    dist_stop_all(m->d);
    int left = m->d->size - 1;
    for (int w = 1; w < m->d->size; w++)
        if (*dist_signal_flag() && dist_rank_gone(m->d, w)) {
            m->peers[w].stopped = 1;
            left--;
        }
    /* after SIGTERM/SIGINT/SIGHUP the launcher's SIGKILL is about a second
     * away and the verdict is not out yet: wait for nobody long (a worker may
     * be inside a region for a second); SIGUSR1/2 leave the job alive */
    int sig = *dist_signal_flag();
    double give_up = sig ? nnh_now() + (sig == SIGUSR1 || sig == SIGUSR2 ? 5.0 : 0.2) : 0;
    while (left > 0) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv(m->d, MPI_ANY_SOURCE, !give_up, NULL, &from, &tag, &buf, &len))
            MPI_Abort(MPI_COMM_WORLD, 1); /* cannot even receive: end the job */
        if (!buf && !give_up)
            MPI_Abort(MPI_COMM_WORLD, 1);
        if (!buf) {
            if (nnh_now() > give_up)
                break;
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (tag == TAG_VRESULT)
            nnh_bab_region_free(fifo_pop(m, from));
        if (tag == TAG_STOPPED && !m->peers[from].stopped) {
            m->peers[from].stopped = 1;
            left--;
        }
        free(buf);
    }
    dist_flush(m->d, !sig || sig == SIGUSR1 || sig == SIGUSR2); /* a busy worker may never
                                                                 receive a large region */
    for (int w = 1; w < m->d->size; w++)
        while (m->peers[w].q.n > 0)
            nnh_bab_region_free(fifo_pop(m, w));
}

int nnh_dist_verify(nnh_dist *d, const nnh_network *net, const nnh_spec *spec,
                    const nnh_verify_opts *o, nnh_verify_result *res,
                    nnh_verify_progress_fn progress, void *progress_arg, nnh_error *err)
{
    if (!d || !d->mpi || d->size == 1)
        return nnh_verify(net, spec, o, res, progress, progress_arg, err);
    vmaster m = {.d = d, .o = o, .res = res, .tight_k = -1, .err = err};
    m.peers = calloc((size_t)d->size, sizeof *m.peers);
    if (!m.peers)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    /* from the start: the root falsification can be long */
    dist_watch_start(d, describe_gone, &m);
    int rc = nnh_bab_begin(net, spec, o, res, progress, progress_arg, &m.B, err);
    if (rc) { /* the caller's nnh_dist_cancel releases the workers */
        dist_watch_stop();
        free(m.peers);
        return rc;
    }
    res->ranks = d->size;
    m.P = nnh_bab_problem(m.B);
    if (!nnh_bab_over(m.B)) { /* else decided by the root falsification */
        rc = nnh_region_result_init(m.P, &m.rr, err);
        if (!rc)
            rc = job_broadcast(&m, net, spec);
        if (!rc)
            rc = nnh_bab_tighten(m.B, tighten_layer, &m, NULL, NULL, err);
        if (!rc)
            rc = schedule(&m);
    }
    if (!rc)
        rc = gone_worker(&m);
    dist_watch_stop();
    if (d->job_sent)
        stop_workers(&m);
    nnh_region_result_free(&m.rr);
    free(m.peers);
    nnh_bab_end(m.B);
    return rc;
}

/* ---- worker ---- */

typedef struct vworker {
    const nnh_dist *d;
    nnh_verify_problem *P;
    nnh_verify_opts o;
    nnh_region_result rr;
    int failed; /* an error was reported: only wait for STOP */
} vworker;

/* The test hooks (see dist_internal.h) at the start of every piece of work. */
static int work_hooks(vworker *w, nnh_error *err)
{
    if (dist_fault("task-error"))
        return nnh_error_set(err, NNH_ELP, "injected fault (NNHULL_FAULT=task-error)");
    if (dist_fault("crash"))
        abort();
    dist_fault_stall(w->d);
    return NNH_OK;
}

/* Start of a tightening share: the hooks, then the message's seconds left
 * as a local deadline. */
static int begin_work(vworker *w, nnh_unpack *u, double *deadline, nnh_error *err)
{
    int rc = work_hooks(w, err);
    if (rc)
        return rc;
    double left = nnh_unpack_double(u);
    *deadline = left > 0 ? nnh_now() + left : 0;
    return NNH_OK;
}

/* TAG_TIGHTEN: this rank's share of a layer (nnh_tighten_owner). */
static int tighten_share(vworker *w, nnh_unpack *u, nnh_pack *out, nnh_error *err)
{
    double deadline;
    int rc = begin_work(w, u, &deadline, err);
    if (rc)
        return rc;
    int g = nnh_unpack_int(u), k = nnh_unpack_int(u), n_tasks = nnh_unpack_int(u);
    int has_ids = nnh_unpack_int(u);
    if (u->failed || g < 0 || g >= nnh_verify_problem_groups(w->P) || n_tasks < 0)
        return nnh_error_set(err, NNH_EPARSE, "tightening message: bad header");
    const nnh_network *N = nnh_verify_group_network(w->P, g);
    if (k < 0 || k >= N->n_layers || n_tasks > 2 * N->layers[k].n_out)
        return nnh_error_set(err, NNH_EPARSE, "tightening message: bad layer %d", k);
    int *ids = has_ids ? malloc(((size_t)n_tasks + 1) * sizeof(int)) : NULL;
    if (has_ids && !ids)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory (tightening)");
    for (int t = 0; ids && t < n_tasks; t++) {
        ids[t] = nnh_unpack_int(u);
        if (ids[t] < 0 || ids[t] >= 2 * N->layers[k].n_out) {
            free(ids);
            return nnh_error_set(err, NNH_EPARSE, "tightening message: bad task %d", ids[t]);
        }
    }
    nnh_bound_opts bo;
    nnh_unpack_bytes(u, &bo, sizeof bo);
    nnh_bounds *b = NULL;
    double *res = malloc(((size_t)n_tasks + 1) * sizeof(double));
    rc = res && !u->failed ? nnh_bounds_create(N, NULL, NULL, &b, err)
         : res ? nnh_error_set(err, NNH_EPARSE, "tightening message: bad header")
               : nnh_error_set(err, NNH_ENOMEM, "out of memory (tightening)");
    if (!rc)
        rc = nnh_bounds_unpack(u, b, err);
    if (!rc)
        rc = nnh_tighten_tasks(N, b, k, &bo, w->d->rank, w->d->size, n_tasks, ids, deadline,
                               signalled, NULL, res, NULL, err);
    if (!rc) {
        nnh_pack_int(out, k);
        for (int t = 0; t < n_tasks; t++)
            if (nnh_tighten_owner(t, w->d->size) == w->d->rank)
                nnh_pack_double(out, res[t]);
        if (out->failed)
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory packing a tightening result");
    }
    nnh_bounds_free(b);
    free(res);
    free(ids);
    return rc;
}

static int decide(vworker *w, nnh_unpack *u, nnh_pack *out, nnh_error *err)
{
    int rc = work_hooks(w, err);
    return rc ? rc : dist_region_decide(w->P, &w->o, u, &w->rr, out, err);
}

int dist_region_decide(const nnh_verify_problem *P, const nnh_verify_opts *o, nnh_unpack *u,
                       nnh_region_result *rr, nnh_pack *out, nnh_error *err)
{
    double left = nnh_unpack_double(u);
    double deadline = left > 0 ? nnh_now() + left : 0;
    nnh_bab_region *R;
    int rc = nnh_bab_region_unpack(P, u, &R, err);
    if (rc)
        return rc;
    rc = nnh_verify_region(P, R, o, deadline, rr, err);
    if (!rc)
        nnh_region_result_pack(P, R->group, rr, out);
    nnh_bab_region_free(R);
    if (!rc && out->failed)
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory packing a result");
    return rc;
}

static void serve(nnh_dist *d, vworker *w)
{
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv(d, 0, 1, NULL, &from, &tag, &buf, &len) || !buf)
            MPI_Abort(MPI_COMM_WORLD, 1);
        if (tag == TAG_STOP) {
            free(buf);
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_STOPPED, MPI_COMM_WORLD);
            return;
        }
        if ((tag == TAG_REGION || tag == TAG_TIGHTEN) && !w->failed) {
            nnh_unpack u;
            nnh_unpack_init(&u, buf, (size_t)len);
            nnh_pack out;
            nnh_pack_init(&out);
            nnh_error err;
            nnh_error_clear(&err);
            int rc = tag == TAG_REGION ? decide(w, &u, &out, &err)
                                       : tighten_share(w, &u, &out, &err);
            if (rc) {
                w->failed = 1;
                dist_send_error(err.code, err.msg);
            } else
                MPI_Send(out.data, (int)out.len, MPI_BYTE, 0,
                         tag == TAG_REGION ? TAG_VRESULT : TAG_TIGHTENED, MPI_COMM_WORLD);
            nnh_pack_free(&out);
        }
        free(buf);
    }
}

int dist_verify_worker(nnh_dist *d, nnh_unpack *u)
{
    vworker w;
    memset(&w, 0, sizeof w);
    w.d = d;
    nnh_network *net = NULL;
    nnh_spec *spec = NULL;
    nnh_error err;
    nnh_error_clear(&err);
    int rc = nnh_network_unpack(u, &net, &err);
    if (!rc)
        rc = nnh_spec_unpack(u, &spec, &err);
    if (!rc && nnh_unpack_bytes(u, &w.o, sizeof w.o) != 0)
        rc = nnh_error_set(&err, NNH_EPARSE, "verify job: truncated options");
    if (!rc)
        rc = nnh_verify_problem_create(net, spec, &w.P, &err);
    if (!rc)
        rc = nnh_region_result_init(w.P, &w.rr, &err);
    if (rc) { /* the master hears of it at its first region and stops everyone */
        w.failed = 1;
        dist_send_error(rc, err.msg);
    }
    serve(d, &w);
    nnh_region_result_free(&w.rr);
    nnh_verify_problem_free(w.P);
    nnh_spec_free(spec);
    nnh_network_free(net);
    return 0;
}
