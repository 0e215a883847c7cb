/* Helper ranks for a running farm task (`nnhull campaign`): once the task
 * farm (dist_tasks.c) has no whole instance left, it attaches idle ranks to
 * the instances still running. The instance's owner drives its branch and
 * bound as the verify master does (dist_verify.c: regions packed by
 * src/verify/verify_pack.c, two in flight per helper, the owner deciding
 * regions too), with a set of helpers that grows while it runs. A helper
 * decides regions until its owner releases it (STOP, then STOPPED: nothing
 * of its is left in flight) and then tells rank 0 it is free. The owner's
 * session keeps every guarantee of verify: unsat only when every region
 * handed out came back proved (regions dropped at a release leave it
 * unknown), counterexamples re-checked by nnh_bab_report, the deadline sent
 * with every region. Owner <-> helper messages travel on their own
 * communicator, so that the farm's messages (any tag, from rank 0) never
 * mix with them. */
#include "dist_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct hpeer {
    dist_rqueue q; /* sent, result not yet received */
    int joined;   /* attached and not released */
    double since; /* when it joined */
} hpeer;

struct dist_owner {
    nnh_dist *d;
    nnh_bab *B;
    const nnh_verify_problem *P;
    const nnh_verify_opts *o;
    nnh_verify_result *res;
    hpeer *peers; /* by rank */
    int inflight, joined, stop;
    double helper_seconds;
    nnh_region_result rr;
    nnh_error *err;
};

static void nap(void)
{
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

int dist_help_begin(nnh_dist *d)
{
    if (!d->mpi || d->size < 2)
        return NNH_OK;
    return MPI_Comm_dup(MPI_COMM_WORLD, &d->help_comm) == MPI_SUCCESS ? NNH_OK : NNH_EINVAL;
}

void dist_help_end(nnh_dist *d)
{
    if (d->help_comm != MPI_COMM_NULL)
        MPI_Comm_free(&d->help_comm);
}

static void peer_join(struct dist_owner *w, int h)
{
    hpeer *p = &w->peers[h];
    if (p->joined)
        return;
    p->joined = 1;
    p->since = nnh_now();
    w->joined++;
}

static nnh_bab_region *fifo_pop(struct dist_owner *w, int h)
{
    nnh_bab_region *R = dist_rqueue_pop(&w->peers[h].q);
    w->inflight -= R != NULL;
    return R;
}

/* STOP to helper h, then wait for its STOPPED (dropping its results and
 * errors that were on their way); after a signal not longer than a few
 * seconds (the helper may have given up, see nnh_dist_help). */
static void release(nnh_dist *d, struct dist_owner *w, int h)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, 0);
    if (dist_send_on(d, d->help_comm, h, TAG_STOP, &p))
        MPI_Abort(MPI_COMM_WORLD, 1); /* the helper would wait forever */
    nnh_pack_free(&p);
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv_on(d, d->help_comm, h, MPI_ANY_TAG, 1, dist_signal_flag(), &from, &tag,
                         &buf, &len))
            MPI_Abort(MPI_COMM_WORLD, 1);
        if (!buf) { /* a signal: wait a little, then leave the helper be */
            double give_up = nnh_now() + 5.0;
            while (!buf && nnh_now() < give_up) {
                if (dist_recv_on(d, d->help_comm, h, MPI_ANY_TAG, 0, NULL, &from, &tag, &buf,
                                 &len))
                    MPI_Abort(MPI_COMM_WORLD, 1);
                if (!buf)
                    nap();
            }
            if (!buf)
                break;
        }
        free(buf);
        if (tag == TAG_STOPPED)
            break;
        if (tag == TAG_VRESULT && w)
            nnh_bab_region_free(fifo_pop(w, h));
    }
    if (w) {
        while (w->peers[h].q.n > 0)
            nnh_bab_region_free(fifo_pop(w, h));
        if (w->peers[h].joined) {
            w->peers[h].joined = 0;
            w->joined--;
            w->helper_seconds += nnh_now() - w->peers[h].since;
        }
    }
}

void dist_help_release(nnh_dist *d, int h) { release(d, NULL, h); }

int dist_help_open(const nnh_dist *d) { return d->owner != NULL && d->task >= 0; }

void dist_help_attach(nnh_dist *d, int h, int t)
{
    if (d->owner && d->task == t && h > 0 && h < d->size)
        peer_join(d->owner, h);
    else
        release(d, NULL, h);
}

/* Workers: helpers the master attached since the last look (stale ones, for
 * a task this rank no longer runs, are released at once). */
static int accept(struct dist_owner *w)
{
    nnh_dist *d = w->d;
    if (d->rank == 0)
        return NNH_OK; /* the farm attaches them directly (dist_help_attach) */
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv_on(d, MPI_COMM_WORLD, 0, TAG_HELP, 0, NULL, &from, &tag, &buf, &len))
            return nnh_error_set(w->err, NNH_ENOMEM, "out of memory receiving a message");
        if (!buf)
            return NNH_OK;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        int t = nnh_unpack_int(&u), h = nnh_unpack_int(&u);
        free(buf);
        if (u.failed || h < 0 || h >= d->size || h == d->rank)
            return nnh_error_set(w->err, NNH_EINVAL, "malformed helper message from rank 0");
        if (t == d->task)
            peer_join(w, h);
        else
            release(d, NULL, h);
    }
}

static int send_region(struct dist_owner *w, int h, nnh_bab_region *R)
{
    int rc = dist_region_send(w->d, w->d->help_comm, h, w->B, R, w->err);
    if (rc)
        return rc;
    dist_rqueue_push(&w->peers[h].q, R);
    w->inflight++;
    return NNH_OK;
}

/* Top every helper up to depth regions in flight. */
static int feed(struct dist_owner *w, int depth)
{
    for (int round = 0; round < depth; round++)
        for (int h = 0; h < w->d->size; h++) {
            if (!w->peers[h].joined || w->peers[h].q.n > round)
                continue;
            nnh_bab_region *R = nnh_bab_next(w->B);
            if (!R)
                return NNH_OK;
            int rc = send_region(w, h, R);
            if (rc)
                return rc;
        }
    return NNH_OK;
}

static int on_message(struct dist_owner *w, int from, int tag, nnh_unpack *u)
{
    if (tag == TAG_ERROR)
        return dist_error_from(u, "helper rank", from, w->err);
    nnh_bab_region *R = tag == TAG_VRESULT ? fifo_pop(w, from) : NULL;
    if (!R)
        return nnh_error_set(w->err, NNH_EINVAL, "unexpected message (tag %d) from helper "
                             "rank %d", tag, from);
    int rc = nnh_region_result_unpack(w->P, R->group, u, &w->rr, w->err);
    if (rc) {
        nnh_bab_region_free(R);
        return nnh_error_prefix(w->err, "result from helper rank %d", from);
    }
    return nnh_bab_report(w->B, R, &w->rr, w->err);
}

/* Every pending helper message. */
static int drain(struct dist_owner *w)
{
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv_on(w->d, w->d->help_comm, MPI_ANY_SOURCE, MPI_ANY_TAG, 0, NULL, &from,
                         &tag, &buf, &len))
            return nnh_error_set(w->err, NNH_ENOMEM, "out of memory receiving a message");
        if (!buf)
            return NNH_OK;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        int rc = on_message(w, from, tag, &u);
        free(buf);
        if (rc)
            return rc;
    }
}

/* Nothing to decide here: wait for a helper's message, a new helper, or a
 * signal; rank 0 keeps the farm going meanwhile (a failed farm stops). */
static int wait_helpers(struct dist_owner *w)
{
    int joined = w->joined;
    for (;;) {
        int flag = 0;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, w->d->help_comm, &flag, MPI_STATUS_IGNORE);
        if (flag || *dist_signal_flag())
            return NNH_OK;
        if (w->d->rank == 0 && nnh_dist_tasks_poll(w->d)) {
            w->stop = 1;
            return NNH_OK;
        }
        int rc = accept(w);
        if (rc || w->joined != joined)
            return rc;
        if (w->d->n_out)
            dist_flush(w->d, 0);
        nap();
    }
}

static int run(struct dist_owner *w)
{
    for (;;) {
        if (*dist_signal_flag() || w->stop) /* verdict unknown (nnh_bab_end) */
            return NNH_OK;
        int rc = accept(w);
        if (!rc)
            rc = drain(w);
        if (!rc)
            rc = feed(w, 1);
        if (rc)
            return rc;
        nnh_bab_region *R = nnh_bab_next(w->B);
        if (R) { /* the owner decides one too */
            if ((rc = feed(w, DIST_INFLIGHT))) {
                nnh_bab_region_free(R);
                return rc;
            }
            if ((rc = dist_decide_here(w->B, R, w->o, &w->rr, w->err)))
                return rc;
            continue;
        }
        /* over (a counterexample, the timeout: what is in flight is not
         * needed), or the queue ran dry with nothing out */
        if (w->inflight == 0 || nnh_bab_over(w->B))
            return NNH_OK;
        double t0 = nnh_now();
        rc = wait_helpers(w);
        w->res->seconds_idle += nnh_now() - t0;
        if (rc)
            return rc;
    }
}

int nnh_dist_verify_helped(nnh_dist *d, const nnh_network *net, const nnh_spec *spec,
                           const nnh_verify_opts *o, nnh_verify_result *res,
                           nnh_verify_progress_fn progress, void *progress_arg,
                           double *rank_seconds, nnh_error *err)
{
    double t0 = nnh_now();
    if (!d || !d->mpi || d->size == 1 || d->help_comm == MPI_COMM_NULL || d->owner) {
        int rc = nnh_verify(net, spec, o, res, progress, progress_arg, err);
        *rank_seconds = nnh_now() - t0;
        return rc;
    }
    struct dist_owner w = {.d = d, .o = o, .res = res, .err = err};
    w.peers = calloc((size_t)d->size, sizeof *w.peers);
    if (!w.peers)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    d->owner = &w; /* helpers may be attached from now on */
    int rc = nnh_bab_begin(net, spec, o, res, progress, progress_arg, &w.B, err);
    if (!rc) {
        w.P = nnh_bab_problem(w.B);
        rc = nnh_region_result_init(w.P, &w.rr, err);
        if (!rc && !nnh_bab_over(w.B))
            rc = run(&w);
    }
    d->owner = NULL; /* no more attachments: later ones are released as stale */
    int helpers = 0;
    for (int h = 0; h < d->size; h++)
        if (w.peers[h].joined || w.peers[h].since > 0) {
            helpers++;
            if (w.peers[h].joined)
                release(d, &w, h);
        }
    nnh_region_result_free(&w.rr);
    nnh_bab_end(w.B); /* after the release: regions in flight never came back */
    res->ranks = 1 + helpers;
    *rank_seconds = nnh_now() - t0 + w.helper_seconds;
    free(w.peers);
    return rc;
}

/* ---- helper ---- */

static void send_to_owner(nnh_dist *d, int owner, int tag, const nnh_pack *p)
{
    if (p->failed)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Send(p->data, (int)p->len, MPI_BYTE, owner, tag, d->help_comm);
}

static void error_to_owner(nnh_dist *d, int owner, int code, const char *msg)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, code);
    nnh_pack_str(&p, msg);
    send_to_owner(d, owner, TAG_ERROR, &p);
    nnh_pack_free(&p);
}

void nnh_dist_help(nnh_dist *d, int owner, const nnh_network *net, const nnh_spec *spec,
                   const nnh_verify_opts *o, const char *why)
{
    if (!d || d->help_comm == MPI_COMM_NULL)
        return;
    nnh_verify_problem *P = NULL;
    nnh_region_result rr;
    memset(&rr, 0, sizeof rr);
    nnh_error err;
    nnh_error_clear(&err);
    int failed = !net || !spec;
    if (failed)
        error_to_owner(d, owner, NNH_EIO, why ? why : "cannot prepare the instance");
    else if (nnh_verify_problem_create(net, spec, &P, &err) ||
             nnh_region_result_init(P, &rr, &err)) {
        failed = 1;
        error_to_owner(d, owner, err.code, err.msg);
    }
    double give_up = 0;
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        if (dist_recv_on(d, d->help_comm, owner, MPI_ANY_TAG, 0, NULL, &from, &tag, &buf, &len))
            MPI_Abort(MPI_COMM_WORLD, 1);
        if (!buf) { /* rank 0 keeps the farm going while it helps */
            if (d->rank == 0)
                nnh_dist_tasks_poll(d);
            /* after a signal the owner stops too and releases this rank; one
             * that does not within seconds is gone */
            if (*dist_signal_flag() && !give_up)
                give_up = nnh_now() + 10.0;
            if (give_up && nnh_now() > give_up)
                break;
            nap();
            continue;
        }
        if (tag == TAG_STOP) {
            free(buf);
            MPI_Send(NULL, 0, MPI_BYTE, owner, TAG_STOPPED, d->help_comm);
            break;
        }
        if (tag == TAG_REGION && !failed) {
            nnh_unpack u;
            nnh_unpack_init(&u, buf, (size_t)len);
            nnh_pack out;
            nnh_pack_init(&out);
            if (dist_region_decide(P, o, &u, &rr, &out, &err)) {
                failed = 1;
                error_to_owner(d, owner, err.code, err.msg);
            } else
                send_to_owner(d, owner, TAG_VRESULT, &out);
            nnh_pack_free(&out);
        }
        free(buf);
    }
    nnh_region_result_free(&rr);
    nnh_verify_problem_free(P);
}
