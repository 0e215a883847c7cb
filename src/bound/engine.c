/* Bound engine options and the single-process driver behind
 * `nnhull bounds --method M`: IBP, then CROWN, then (lp1d / hull) one LP
 * bound per neuron and side, layer by layer, with statistics and progress. */
#include "nnhull/engine.h"
#include "nnh_clock.h"
#include "engine_steps.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const method_names[NNH_METHOD_COUNT] = {"ibp", "crown", "lp1d", "hull"};

/* Defaults: crown (cheap, never looser than IBP, needs no LP); for the LP
 * methods 5 cut rounds per phase (lp1d: one phase, hull: two) of at most 20
 * cuts per family each per bound problem, a cut must be violated by more
 * than 1e-6 to be added, no time limits, no per-layer cut pool and no slack
 * cut removal. Both were measured on the digits nets (hull, box and
 * eps=0.05 ball): a 3-round pool changes layer mean widths by -0.13% to
 * +0.16% for 15-30% more time; removal after 2 (4) non-binding rounds saves
 * ~15% (~5%) time but loosens some layer means by up to 0.4% (0.1%). */
void nnh_bound_opts_init(nnh_bound_opts *o)
{
    o->method = NNH_METHOD_CROWN;
    o->max_rounds = 5;
    o->max_cuts_per_round = 20;
    o->cut_tol = 1e-6;
    o->lp_time_limit = 0.0;
    o->time_limit = 0.0;
    o->pool_rounds = 0;
    o->slack_rounds = 0;
    o->window = 0;
    o->skip_width = 0.0;
    o->skip_stable = 0;
    o->task_iter_limit = 0;
    o->task_time_limit = 0.0;
    o->min_gain = 0.0;
    o->long_step = 0;
}

const char *nnh_method_name(nnh_method m)
{
    return (m >= 0 && m < NNH_METHOD_COUNT) ? method_names[m] : "unknown";
}

int nnh_method_parse(const char *name, nnh_method *m)
{
    for (int i = 0; name && i < NNH_METHOD_COUNT; i++)
        if (!strcmp(name, method_names[i])) {
            *m = (nnh_method)i;
            return NNH_OK;
        }
    return NNH_EINVAL;
}

/* Shortest "%.*g" that reads back as the same double (JSON has no inf/nan:
 * those become null). */
static void json_number(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "null");
        return;
    }
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The keys added with layer windows, skips and early stops, written only
 * when they differ from the defaults: the options of a default run (and
 * its bound files) stay as they were. */
static void json_scaling_keys(const nnh_bound_opts *o, char *buf, size_t len)
{
    char num[40];
    size_t n = 0;
    buf[0] = '\0';
    if (o->window)
        n += (size_t)snprintf(buf + n, len - n, ", \"window\": %d", o->window);
    if (o->skip_width != 0.0) {
        json_number(num, sizeof num, o->skip_width);
        n += (size_t)snprintf(buf + n, len - n, ", \"skip_width\": %s", num);
    }
    if (o->skip_stable)
        n += (size_t)snprintf(buf + n, len - n, ", \"skip_stable\": %d", o->skip_stable);
    if (o->task_iter_limit)
        n += (size_t)snprintf(buf + n, len - n, ", \"task_iter_limit\": %d", o->task_iter_limit);
    if (o->task_time_limit != 0.0) {
        json_number(num, sizeof num, o->task_time_limit);
        n += (size_t)snprintf(buf + n, len - n, ", \"task_time_limit\": %s", num);
    }
    if (o->min_gain != 0.0) {
        json_number(num, sizeof num, o->min_gain);
        n += (size_t)snprintf(buf + n, len - n, ", \"min_gain\": %s", num);
    }
    if (o->long_step)
        snprintf(buf + n, len - n, ", \"long_step\": %d", o->long_step);
}

char *nnh_bound_opts_json(const nnh_bound_opts *o)
{
    char tol[40], lpt[40], tl[40], extra[400];
    json_number(tol, sizeof tol, o->cut_tol);
    json_number(lpt, sizeof lpt, o->lp_time_limit);
    json_number(tl, sizeof tl, o->time_limit);
    json_scaling_keys(o, extra, sizeof extra);
    const char *fmt = "{\"method\": \"%s\", \"max_rounds\": %d, \"max_cuts_per_round\": %d, "
                      "\"cut_tol\": %s, \"lp_time_limit\": %s, \"time_limit\": %s, "
                      "\"pool_rounds\": %d, \"slack_rounds\": %d%s}";
    int n = snprintf(NULL, 0, fmt, nnh_method_name(o->method), o->max_rounds,
                     o->max_cuts_per_round, tol, lpt, tl, o->pool_rounds, o->slack_rounds, extra);
    char *s = malloc((size_t)n + 1);
    if (s)
        snprintf(s, (size_t)n + 1, fmt, nnh_method_name(o->method), o->max_rounds,
                 o->max_cuts_per_round, tol, lpt, tl, o->pool_rounds, o->slack_rounds, extra);
    return s;
}

static int check_opts(const nnh_bound_opts *o, nnh_error *err)
{
    if (o->method < 0 || o->method >= NNH_METHOD_COUNT)
        return nnh_error_set(err, NNH_EINVAL, "bound options: unknown method %d", (int)o->method);
    if (o->max_rounds < 0 || o->max_cuts_per_round < 0 || o->pool_rounds < 0 ||
        o->slack_rounds < 0 || o->window < 0 || o->skip_stable < 0 || o->skip_stable > 1 ||
        o->task_iter_limit < 0 || o->long_step < 0 || o->long_step > 1)
        return nnh_error_set(err, NNH_EINVAL,
                             "bound options: rounds (%d), cuts per round (%d), pool_rounds, "
                             "slack_rounds, window and task_iter_limit must be >= 0, "
                             "skip_stable and long_step 0 or 1",
                             o->max_rounds, o->max_cuts_per_round);
    if (!(o->cut_tol >= 0.0) || !(o->lp_time_limit >= 0.0) || !(o->time_limit >= 0.0) ||
        !(o->skip_width >= 0.0) || !(o->task_time_limit >= 0.0) || !(o->min_gain >= 0.0))
        return nnh_error_set(err, NNH_EINVAL,
                             "bound options: cut_tol, lp_time_limit, time_limit, skip_width, "
                             "task_time_limit and min_gain must be >= 0");
    return NNH_OK;
}

typedef struct run_ctx {
    const nnh_bound_opts *o;
    nnh_progress_fn progress;
    void *arg;
    double t0;
} run_ctx;

static int out_of_time(const run_ctx *r)
{
    return r->o->time_limit > 0.0 && nnh_now() - r->t0 > r->o->time_limit;
}

/* Tighten one side of neuron i with the LP, or count a fallback when the
 * time limit has passed (the crown/ibp bound then stays). */
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
        return nnh_error_prefix(err, "layer %d: ", k);
    for (int i = 0; i < n && rc == 0; i++) {
        rc = lp_side(ctx, r, L, i, -1, st, err);
        if (rc == 0)
            rc = lp_side(ctx, r, L, i, +1, st, err);
        if (rc == 0 && r->progress)
            r->progress(r->arg, k, net->n_layers, 2 * (i + 1), total, nnh_now() - r->t0);
    }
    nnh_lp_layer_free(ctx);
    if (rc != 0)
        return nnh_error_prefix(err, "layer %d: ", k);
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
    int rc = check_opts(o, err);
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
