/* Worker ranks of the distributed bounds run: receive the job (network and
 * engine options) once, then serve chunks of LP tasks. The LP context of a
 * (region, layer) is built once, when its bounds arrive, and kept warm for
 * every later chunk of the same unit. With many workers they also prepare
 * the units (IBP, CROWN: TAG_PREP) so that the master only feeds. Results carry each task's start and
 * end and the context's build times (the master's --trace). Any failure goes back to the master
 * as a message; the worker then waits for the master's stop. */
#include "dist_internal.h"
#include "nnh_clock.h"
#include "engine_steps.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SIGTERM from mpirun reaches every rank; the master must get its second to
 * write the checkpoint, so a worker only drops its work and waits for the
 * master's stop (mpirun's SIGKILL follows if the master is gone). */
static volatile sig_atomic_t g_worker_signal;

static void on_signal(int sig) { g_worker_signal = sig; }

static void catch_signals(void) { nnh_dist_handle_signals(on_signal); }

typedef struct worker {
    nnh_dist *d;
    nnh_network *net;
    nnh_bound_opts opts;
    nnh_bounds *b;     /* the current unit's region bounds, as the master sent them */
    nnh_bounds *pass;  /* the crown pass of the last region prepared here (or NULL) */
    nnh_lp_layer *ctx; /* LP context of (r, k), NULL when its creation failed */
    int r, k;
    double wait;       /* seconds spent waiting for messages since the last result */
    double ctx_start, ctx_end; /* the last context build (clock of this node), 0 once reported */
    int faulted;
    int interrupted;   /* a signal arrived and the master was told */
} worker;

static void send_error(int r, int k, int t, int code, const char *msg)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, r);
    nnh_pack_int(&p, k);
    nnh_pack_int(&p, t);
    nnh_pack_int(&p, code);
    nnh_pack_str(&p, msg);
    if (p.failed) /* even the error report does not fit: keep the protocol alive */
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Send(p.data, (int)p.len, MPI_BYTE, 0, TAG_ERROR, MPI_COMM_WORLD);
    nnh_pack_free(&p);
}

static void on_unit(worker *w, nnh_unpack *u)
{
    nnh_error err;
    nnh_error_clear(&err);
    w->r = nnh_unpack_int(u);
    w->k = nnh_unpack_int(u);
    nnh_lp_layer_free(w->ctx);
    w->ctx = NULL;
    if (!w->net) /* the job did not unpack; the master was told */
        return;
    int rc = u->failed || w->k < 0 || w->k >= w->net->n_layers
                 ? nnh_error_set(&err, NNH_EINVAL, "bad unit message")
                 : nnh_bounds_unpack(u, w->b, &err);
    w->ctx_start = nnh_now();
    if (!rc)
        rc = nnh_lp_layer_create(w->net, w->b, w->k, &w->opts, &w->ctx, &err);
    w->ctx_end = nnh_now();
    if (rc)
        send_error(w->r, w->k, -1, rc, err.msg);
}

/* one task; the fault hooks let tests check that failures reach the master */
static int run_task(worker *w, int t, double *v, nnh_layer_stats *st, nnh_error *err)
{
    if (!w->faulted && dist_fault("task-error")) {
        w->faulted = 1;
        return nnh_error_set(err, NNH_ELP, "injected fault (NNHULL_FAULT=task-error)");
    }
    if (dist_fault("crash"))
        abort();
    dist_fault_stall(w->d);
    if (t < 0 || t >= 2 * w->b->layers[w->k].width)
        return nnh_error_set(err, NNH_EINVAL, "task %d out of range", t);
    return nnh_lp_layer_bound(w->ctx, nnh_steps_neuron(t), nnh_steps_sense(t), v, st, err);
}

static void on_tasks(worker *w, nnh_unpack *u)
{
    int r = nnh_unpack_int(u), k = nnh_unpack_int(u), n = nnh_unpack_int(u);
    if (u->failed || n < 0 || r != w->r || k != w->k || !w->ctx) {
        if (w->ctx || u->failed || n < 0) /* a failed context was reported already */
            send_error(r, k, -1, NNH_EINVAL, "tasks for a unit this worker has no LP "
                                                "context for");
        return;
    }
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, r);
    nnh_pack_int(&p, k);
    nnh_pack_int(&p, n);
    nnh_layer_stats st;
    memset(&st, 0, sizeof st);
    for (int i = 0; i < n; i++) {
        if (g_worker_signal) { /* drop the chunk: the master is stopping */
            nnh_pack_free(&p);
            return;
        }
        int t = nnh_unpack_int(u);
        double v = 0, t0 = nnh_now();
        nnh_error err;
        nnh_error_clear(&err);
        int rc = u->failed ? nnh_error_set(&err, NNH_EINVAL, "truncated task message")
                           : run_task(w, t, &v, &st, &err);
        if (rc) {
            send_error(r, k, t, rc, err.msg);
            nnh_pack_free(&p);
            return;
        }
        if (g_worker_signal) { /* the task may have been cut short: never a result */
            nnh_pack_free(&p);
            return;
        }
        double t1 = nnh_now();
        st.seconds += t1 - t0;
        nnh_pack_int(&p, t);
        nnh_pack_double(&p, v);
        nnh_pack_double(&p, t0);
        nnh_pack_double(&p, t1);
    }
    nnh_pack_bytes(&p, &st, sizeof st);
    nnh_pack_double(&p, w->wait);
    nnh_pack_double(&p, w->ctx_start);
    nnh_pack_double(&p, w->ctx_end);
    w->wait = w->ctx_start = w->ctx_end = 0;
    if (p.failed)
        send_error(r, k, -1, NNH_ENOMEM, "out of memory packing results");
    else
        MPI_Send(p.data, (int)p.len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
    nnh_pack_free(&p);
}

/* the crown pass of w->b's region from its input box (as the master's
 * region_start): into w->pass */
static int compute_pass(worker *w, nnh_error *err)
{
    nnh_bounds *fresh = NULL;
    nnh_bounds_free(w->pass);
    w->pass = NULL;
    int rc = nnh_bounds_create(w->net, w->b->in_lo, w->b->in_hi, &fresh, err);
    if (!rc)
        rc = nnh_steps_pass(w->net, fresh, &w->opts, &w->pass, err);
    nnh_bounds_free(fresh);
    return rc;
}

/* TAG_PREP: the master's region_next on this rank (same functions, same
 * inputs, so the same bits); then build the LP context of the unit found */
static void on_prep(worker *w, nnh_unpack *u)
{
    nnh_error err;
    nnh_error_clear(&err);
    int r = nnh_unpack_int(u), k0 = nnh_unpack_int(u), has_pass = nnh_unpack_int(u);
    nnh_lp_layer_free(w->ctx);
    w->ctx = NULL;
    w->r = w->k = -1;
    if (!w->net)
        return;
    int L = w->net->n_layers, rc = u->failed || k0 < 0 || k0 >= L
                                       ? nnh_error_set(&err, NNH_EINVAL, "bad prepare message")
                                       : nnh_bounds_unpack(u, w->b, &err);
    if (!rc && has_pass && !w->pass)
        rc = nnh_bounds_create(w->net, NULL, NULL, &w->pass, &err);
    if (!rc && has_pass)
        rc = nnh_bounds_unpack(u, w->pass, &err);
    double ps = nnh_now();
    if (!rc && !has_pass)
        rc = compute_pass(w, &err);
    double pe = nnh_now();
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, r);
    nnh_pack_int(&p, k0);
    int k = k0, n = 0;
    double t0 = 0, t1 = 0;
    nnh_pack q; /* the layers' start and end times */
    nnh_pack_init(&q);
    for (; !rc && k < L; k++) {
        t0 = nnh_now();
        n = nnh_steps_prepare(w->net, w->b, k, w->pass, &w->opts, &err);
        t1 = nnh_now();
        nnh_pack_double(&q, t0);
        nnh_pack_double(&q, t1);
        if (n < 0)
            rc = nnh_error_prefix(&err, "region %d, layer %d", r, k);
        else if (n > 0)
            break;
    }
    if (rc || g_worker_signal) { /* after a signal the pass may hold IBP only: never sent */
        if (rc)
            send_error(r, k < L ? k : k0, -1, rc, err.msg);
        nnh_pack_free(&p);
        nnh_pack_free(&q);
        return;
    }
    nnh_pack_int(&p, k);
    nnh_pack_int(&p, k < L ? n : 0);
    nnh_pack_double(&p, has_pass ? 0 : ps);
    nnh_pack_double(&p, has_pass ? 0 : pe);
    nnh_pack_bytes(&p, q.data, q.len);
    if (q.failed)
        p.failed = 1;
    nnh_pack_free(&q);
    nnh_bounds_pack(w->b, &p);
    nnh_pack_int(&p, !has_pass && w->pass);
    if (!has_pass && w->pass)
        nnh_bounds_pack(w->pass, &p);
    if (p.failed) {
        send_error(r, k0, -1, NNH_ENOMEM, "out of memory packing a prepared layer");
        nnh_pack_free(&p);
        return;
    }
    MPI_Send(p.data, (int)p.len, MPI_BYTE, 0, TAG_PREPPED, MPI_COMM_WORLD);
    nnh_pack_free(&p);
    if (k == L)
        return;
    w->r = r;
    w->k = k;
    w->ctx_start = nnh_now();
    rc = nnh_lp_layer_create(w->net, w->b, k, &w->opts, &w->ctx, &err);
    w->ctx_end = nnh_now();
    if (rc)
        send_error(r, k, -1, rc, err.msg);
}

/* after a signal: tell the master once, then only wait for its stop */
static void check_signal(worker *w)
{
    if (!g_worker_signal || w->interrupted)
        return;
    w->interrupted = 1;
    char msg[64];
    snprintf(msg, sizeof msg, "interrupted by signal %d", (int)g_worker_signal);
    send_error(-1, -1, -1, NNH_EINTERRUPTED, msg);
}

static void serve(worker *w)
{
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        double t0 = nnh_now();
        check_signal(w);
        volatile int *stop = w->interrupted ? NULL : (volatile int *)&g_worker_signal;
        if (dist_recv(w->d, 0, 1, stop, &from, &tag, &buf, &len) != NNH_OK)
            MPI_Abort(MPI_COMM_WORLD, 1);
        w->wait += nnh_now() - t0;
        if (!buf)
            continue;
        nnh_unpack u;
        nnh_unpack_init(&u, buf, (size_t)len);
        if (tag == TAG_UNIT && !g_worker_signal)
            on_unit(w, &u);
        else if (tag == TAG_TASKS && !g_worker_signal)
            on_tasks(w, &u);
        else if (tag == TAG_PREP && !g_worker_signal)
            on_prep(w, &u);
        free(buf);
        if (tag == TAG_STOP)
            return;
    }
}

int nnh_dist_worker(nnh_dist *d)
{
    catch_signals();
    unsigned char *job;
    int len;
    int status = dist_recv_job(d, &job, &len);
    if (status >= 0)
        return status;
    worker w;
    memset(&w, 0, sizeof w);
    w.d = d;
    w.r = w.k = -1;
    nnh_error err;
    nnh_error_clear(&err);
    nnh_unpack u;
    nnh_unpack_init(&u, job, (size_t)len);
    if (nnh_unpack_int(&u) == JOB_VERIFY) {
        int vrc = dist_verify_worker(d, &u);
        free(job);
        return vrc;
    }
    int rc = nnh_network_unpack(&u, &w.net, &err);
    if (!rc && nnh_unpack_bytes(&u, &w.opts, sizeof w.opts) != 0)
        rc = nnh_error_set(&err, NNH_EPARSE, "job message: truncated engine options");
    if (!rc)
        rc = nnh_bounds_create(w.net, NULL, NULL, &w.b, &err);
    free(job);
    if (rc) /* the master hears of it at its first chunk and stops everyone */
        send_error(-1, -1, -1, rc, err.msg);
    serve(&w);
    nnh_lp_layer_free(w.ctx);
    nnh_bounds_free(w.pass);
    nnh_bounds_free(w.b);
    nnh_network_free(w.net);
    return 0;
}
