/* The library's single-process driver, nnh_bounds_compute (options:
 * bound_opts.c): IBP, then CROWN, then (lp1d / hull) one LP bound per neuron
 * and side, layer by layer, with statistics and progress. The command runs
 * the same layer steps through nnh_dist_run (mpi/). */
#include "nnhull/engine.h"
#include "nnhull/stop.h"
#include "nnh_clock.h"
#include "engine_steps.h"

#include <string.h>

typedef struct run_ctx {
    const nnh_bound_opts *o;
    nnh_progress_fn progress;
    void *arg;
    double t0;
} run_ctx;

/* 1 past the time limit or after a stop request (nnhull/stop.h) */
static int out_of_time(const run_ctx *r)
{
    return (r->o->time_limit > 0.0 && nnh_now() - r->t0 > r->o->time_limit) ||
           nnh_stop_requested();
}

/* Tighten one side of neuron i with the LP, or count a fallback when the
 * time limit has passed or a stop was requested (the crown/ibp bound then
 * stays). */
static int lp_side(nnh_lp_layer *ctx, const run_ctx *r, nnh_layer_bounds *L, int i, int sense,
                   nnh_layer_stats *st, nnh_error *err)
{
    if (out_of_time(r)) {
        st->fallbacks++;
        return NNH_OK;
    }
    double v;
    int rc = nnh_lp_layer_bound(ctx, i, sense, &v, st, err);
    if (rc != 0)
        return rc;
    if (sense < 0 && v > L->pre_lo[i])
        L->pre_lo[i] = v;
    if (sense > 0 && v < L->pre_hi[i])
        L->pre_hi[i] = v;
    return NNH_OK;
}

/* LP bound tightening of layer k: both sides of every neuron, progress
 * after each neuron. Layer 0 is affine in the inputs, where the interval
 * bound is already exact, so it gets no LPs. */
static int lp_layer(const nnh_network *net, nnh_bounds *b, int k, const run_ctx *r,
                    nnh_layer_stats *st, nnh_error *err)
{
    nnh_layer_bounds *L = &b->layers[k];
    int n = L->width, total = 2 * n;
    if (k == 0 || out_of_time(r)) {
        if (k > 0)
            st->fallbacks += total;
        if (r->progress)
            r->progress(r->arg, k, net->n_layers, total, total, nnh_now() - r->t0);
        return NNH_OK;
    }
    nnh_lp_layer *ctx = NULL;
    int rc = nnh_lp_layer_create(net, b, k, r->o, &ctx, err);
    if (rc != 0)
        return nnh_error_prefix(err, "layer %d", k);
    for (int i = 0; i < n && rc == 0; i++) {
        rc = lp_side(ctx, r, L, i, -1, st, err);
        if (rc == 0)
            rc = lp_side(ctx, r, L, i, +1, st, err);
        if (rc == 0 && r->progress)
            r->progress(r->arg, k, net->n_layers, 2 * (i + 1), total, nnh_now() - r->t0);
    }
    nnh_lp_layer_free(ctx);
    if (rc != 0)
        return nnh_error_prefix(err, "layer %d", k);
    nnh_bounds_post_from_pre(net, b, k);
    return NNH_OK;
}

/* One layer with the chosen method: IBP, CROWN and the intersection with
 * the crown pass (pass, may be NULL) as the distributed driver does them
 * (engine_steps.c), then the LPs. */
static int compute_layer(const nnh_network *net, nnh_bounds *b, int k, const nnh_bounds *pass,
                         const run_ctx *r, nnh_layer_stats *st, nnh_error *err)
{
    int rc = nnh_steps_prepare(net, b, k, pass, r->o, err);
    if (rc < 0)
        return rc;
    if (r->o->method >= NNH_METHOD_LP1D)
        return lp_layer(net, b, k, r, st, err);
    if (r->progress)
        r->progress(r->arg, k, net->n_layers, b->layers[k].width, b->layers[k].width,
                    nnh_now() - r->t0);
    return NNH_OK;
}

/* Notes on the contract of engine.h: o may be NULL (defaults); stats[k]
 * are overwritten (not accumulated) and time the layer's IBP, CROWN and LPs
 * (the crown pre-pass of lp1d/hull, milliseconds, is not attributed);
 * progress comes once per layer for ibp/crown (done = total = width) and
 * after each neuron (2 bound problems) for lp1d/hull; time_limit applies to
 * the LP problems only: IBP and CROWN always run, since they are what the
 * remaining neurons fall back on. */
int nnh_bounds_compute(const nnh_network *net, nnh_bounds *b, const nnh_bound_opts *o,
                       nnh_layer_stats *stats, nnh_progress_fn progress, void *progress_arg,
                       nnh_error *err)
{
    nnh_bound_opts defaults;
    if (!o) {
        nnh_bound_opts_init(&defaults);
        o = &defaults;
    }
    int rc = nnh_bound_opts_check(o, err);
    if (rc == 0)
        rc = nnh_bounds_check(net, b, err);
    if (rc != 0)
        return rc;
    run_ctx r = {o, progress, progress_arg, nnh_now()};
    nnh_bounds *pass = NULL;
    if ((rc = nnh_steps_pass(net, b, o, &pass, err)) != 0)
        return rc;
    for (int k = 0; k < net->n_layers && rc == 0; k++) {
        nnh_layer_stats local;
        nnh_layer_stats *st = stats ? &stats[k] : &local;
        memset(st, 0, sizeof *st);
        double t = nnh_now();
        rc = compute_layer(net, b, k, pass, &r, st, err);
        st->seconds = nnh_now() - t;
    }
    nnh_bounds_free(pass);
    return rc;
}
