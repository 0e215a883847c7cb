/* Root tightening of `verify` (see verify_tighten.h): before branch and
 * bound, every layer of a root region's folded network gets LP bounds
 * (lp1d / hull with the tightening's engine options), layer by layer as
 * nnh_bounds_compute does them (engine_steps.h), and the result becomes the
 * root's hint. Regions intersect their own bounds with their parent's, so
 * every region of the search starts from these. */
#include "verify_internal.h"
#include "verify_tighten.h"
#include "nnhull/stop.h"
#include "engine_steps.h"
#include "lp_layer.h"
#include "bab_split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const tighten_names[] = {"none", "auto", "lp1d", "hull"};

const char *nnh_tighten_name(int t)
{
    return t >= NNH_TIGHTEN_NONE && t <= NNH_TIGHTEN_HULL ? tighten_names[t] : "?";
}

int nnh_tighten_parse(const char *name, int *t)
{
    for (int i = NNH_TIGHTEN_NONE; i <= NNH_TIGHTEN_HULL; i++)
        if (name && !strcmp(name, tighten_names[i])) {
            *t = i;
            return NNH_OK;
        }
    return NNH_EINVAL;
}

/* Neurons of layer k that an LP task can still tighten on the bounds b:
 * with skip_stable, those that are not stable (nnh_lp_stable, as the
 * engine's skip_task); all of them otherwise. */
static int open_neurons(const nnh_network *net, const nnh_bound_opts *bo, const nnh_bounds *b,
                        int k)
{
    int w = net->layers[k].n_out, n = 0;
    if (!b || !bo->skip_stable)
        return w;
    const nnh_layer_bounds *L = &b->layers[k];
    for (int i = 0; i < w; i++)
        n += !nnh_lp_stable(&net->layers[k].act, L->pre_lo[i], L->pre_hi[i]);
    return n;
}

/* Estimated CPU seconds (nnh_tighten_cost) with only the fraction f of each
 * hidden layer's tasks run (the output layer's all); with the root's bounds
 * b (may be NULL), a hidden layer's selected neurons are at most its open
 * ones (open_neurons: the stable ones of a ReLU layer cost no LP, and the
 * selection ranks them last, their relaxation gap being 0). */
static double cost_share(const nnh_network *net, const nnh_bound_opts *bo, double f,
                         const nnh_bounds *b)
{
    double s = 0;
    for (int k = 1; k < net->n_layers; k++) {
        int win = nnh_bound_opts_window(bo, k, net->n_layers);
        int first = win > 0 ? k - win : 0;
        double cols = first > 0 ? net->layers[first - 1].n_out : net->n_inputs;
        for (int j = first; j < k; j++)
            cols += 2.0 * net->layers[j].n_out;
        int budget = nnh_bound_opts_iter_limit(bo, k, net->n_layers);
        double iters = budget > 0 ? budget / 1000.0 : 3.0;
        double n = net->layers[k].n_out * (k + 1 < net->n_layers ? f : 1.0);
        if (b && k + 1 < net->n_layers)
            n = fmin(n, open_neurons(net, bo, b, k));
        s += 2.0 * n * cols * iters;
    }
    /* counted on a piecewise-linear net's root: its LPs take a share of the
     * model (calibrated on a sigmoid net) */
    return s * 2.9e-4 * (bo->method == NNH_METHOD_HULL ? 1.0 : 0.5) *
           (b ? NNH_TIGHTEN_PL_COST_SCALE : 1.0);
}

double nnh_tighten_cost(const nnh_network *net, const nnh_bound_opts *bo)
{
    return cost_share(net, bo, 1.0, NULL);
}

/* 1 when a hidden layer of net is not piecewise linear (sigmoid, tanh, ...). */
static int smooth_hidden(const nnh_network *net)
{
    for (int k = 0; k + 1 < net->n_layers; k++) {
        nnh_act_kind a = net->layers[k].act.kind;
        if (a != NNH_ACT_RELU && a != NNH_ACT_LEAKY_RELU && a != NNH_ACT_IDENTITY)
            return 1;
    }
    return 0;
}

/* `auto`'s fraction for net under o (0: no tightening): 1 when the timeout
 * is none or at least NNH_TIGHTEN_AUTO_TIME_SHARE x the cost of all tasks
 * (small nets: as before the selection existed); on a large net (all tasks
 * >= NNH_TIGHTEN_AUTO_PART_MIN_COST s), NNH_TIGHTEN_AUTO_FRACTION (or
 * o->tighten_fraction) when the timeout is at least
 * NNH_TIGHTEN_AUTO_PART_SHARE x the cost of the selected tasks. On a
 * piecewise-linear net that cost depends on how many neurons are stable at
 * the root, so it needs the root's bounds b: without them (b NULL) the
 * answer is -1, "ask again with the bounds". */
static double auto_fraction(const nnh_network *net, const nnh_verify_opts *o,
                            const nnh_bounds *b)
{
    nnh_bound_opts bo = o->tighten_opts;
    bo.method = NNH_METHOD_HULL;
    double f = o->tighten_fraction > 0.0 && o->tighten_fraction <= 1.0 ? o->tighten_fraction
                                                                       : 0.0;
    double all = cost_share(net, &bo, 1.0, NULL);
    if (o->timeout <= 0 || o->timeout >= NNH_TIGHTEN_AUTO_TIME_SHARE * all)
        return f > 0.0 ? f : 1.0;
    if (all < NNH_TIGHTEN_AUTO_PART_MIN_COST)
        return 0.0;
    int smooth = smooth_hidden(net);
    if (!smooth && !b)
        return -1.0;
    f = f > 0.0 ? f : NNH_TIGHTEN_AUTO_FRACTION;
    double part = cost_share(net, &bo, f, smooth ? NULL : b);
    return o->timeout >= NNH_TIGHTEN_AUTO_PART_SHARE * part ? f : 0.0;
}

double nnh_tighten_fraction(const nnh_verify_problem *P, int g, const nnh_verify_opts *o,
                            const nnh_bounds *root)
{
    if (o->tighten == NNH_TIGHTEN_AUTO)
        return auto_fraction(P->groups[g].folded, o, root);
    return o->tighten_fraction > 0.0 && o->tighten_fraction <= 1.0 ? o->tighten_fraction : 1.0;
}

int nnh_tighten_window(const nnh_verify_problem *P, int g, const nnh_verify_opts *o,
                       const nnh_bounds *root, double fraction)
{
    const nnh_network *N = P->groups[g].folded;
    int w = o->tighten_opts.window;
    if (o->tighten != NNH_TIGHTEN_AUTO || !root || w == 0 || o->tighten_auto_window <= w ||
        o->timeout <= 0 || !(fraction > 0.0 && fraction < 1.0) || smooth_hidden(N))
        return w;
    nnh_bound_opts bo = o->tighten_opts;
    bo.method = NNH_METHOD_HULL;
    for (int c = o->tighten_auto_window; c > w; c--) {
        bo.window = c;
        if (o->timeout >= NNH_TIGHTEN_AUTO_PART_SHARE * cost_share(N, &bo, fraction, root))
            return c;
    }
    return w;
}

nnh_method nnh_tighten_method(const nnh_verify_problem *P, int g, const nnh_verify_opts *o)
{
    const nnh_network *N = P->groups[g].folded;
    if (N->n_layers < 2) /* layer 0 is affine in the input: nothing to gain */
        return NNH_METHOD_CROWN;
    switch (o->tighten) {
    case NNH_TIGHTEN_LP1D:
        return NNH_METHOD_LP1D;
    case NNH_TIGHTEN_HULL:
        return NNH_METHOD_HULL;
    case NNH_TIGHTEN_AUTO:
        return P->n_in >= NNH_TIGHTEN_AUTO_MIN_INPUTS && auto_fraction(N, o, NULL) != 0.0
                   ? NNH_METHOD_HULL
                   : NNH_METHOD_CROWN;
    default:
        return NNH_METHOD_CROWN;
    }
}

const nnh_network *nnh_verify_group_network(const nnh_verify_problem *P, int g)
{
    return P->groups[g].folded;
}

int nnh_tighten_tasks(const nnh_network *N, const nnh_bounds *b, int k, const nnh_bound_opts *bo,
                      int rank, int size, int n_tasks, const int *ids, double deadline,
                      nnh_tighten_stop_fn stop, void *stop_arg, double *res,
                      nnh_layer_stats *st, nnh_error *err)
{
    if ((deadline > 0 && nnh_now() > deadline) || (stop && stop(stop_arg))) {
        for (int t = 0; t < n_tasks; t++) /* not even the context */
            if (nnh_tighten_owner(t, size) == rank)
                res[t] = NAN;
        return NNH_OK;
    }
    nnh_lp_layer *L = NULL;
    int rc = nnh_lp_layer_create(N, b, k, bo, &L, err);
    if (rc)
        return nnh_error_prefix(err, "tightening layer %d", k);
    int stopped = 0;
    for (int t = 0; t < n_tasks && !rc; t++) {
        if (nnh_tighten_owner(t, size) != rank)
            continue;
        if (!stopped && ((deadline > 0 && nnh_now() > deadline) || (stop && stop(stop_arg))))
            stopped = 1;
        if (stopped) { /* these keep their crown bounds */
            res[t] = NAN;
            continue;
        }
        int task = ids ? ids[t] : t;
        rc = nnh_lp_layer_bound(L, nnh_steps_neuron(task), nnh_steps_sense(task), &res[t], st,
                                err);
        if (rc)
            nnh_error_prefix(err, "tightening layer %d neuron %d", k, nnh_steps_neuron(task));
    }
    nnh_lp_layer_free(L);
    return rc;
}

/* FNV-1a over the bytes of every bound: equal bounds, equal digest. */
static unsigned long long bounds_digest(const nnh_bounds *b)
{
    unsigned long long h = 0xcbf29ce484222325ULL;
    for (int k = 0; k < b->n_layers; k++) {
        const nnh_layer_bounds *L = &b->layers[k];
        const double *v[4] = {L->pre_lo, L->pre_hi, L->post_lo, L->post_hi};
        for (int s = 0; s < 4; s++) {
            const unsigned char *p = (const unsigned char *)v[s];
            for (size_t i = 0; i < (size_t)L->width * sizeof(double); i++)
                h = (h ^ p[i]) * 0x100000001b3ULL;
        }
    }
    return h;
}

/* b := b intersected with h, layer by layer (both hold on b's box). */
static void intersect(nnh_bounds *b, const nnh_bounds *h)
{
    for (int k = 0; k < b->n_layers; k++) {
        nnh_layer_bounds *L = &b->layers[k];
        const nnh_layer_bounds *H = &h->layers[k];
        for (int i = 0; i < L->width; i++) {
            L->pre_lo[i] = fmax(L->pre_lo[i], H->pre_lo[i]);
            L->pre_hi[i] = fmin(L->pre_hi[i], H->pre_hi[i]);
            L->post_lo[i] = fmax(L->post_lo[i], H->post_lo[i]);
            L->post_hi[i] = fmin(L->post_hi[i], H->post_hi[i]);
        }
    }
}

/* The buffers of a layer's LP tasks: res (every task of the layer), sel
 * (the kept ones' results, in ids order) and ids. */
typedef struct task_buf {
    double *res, *sel;
    int *ids;
} task_buf;

/* Frees both and leaves them NULL (safe after a failed init). */
static void task_buf_free(task_buf *t)
{
    free(t->res);
    free(t->ids);
    t->res = t->sel = NULL;
    t->ids = NULL;
}

static int task_buf_init(task_buf *t, const nnh_network *N, nnh_error *err)
{
    size_t wmax = 2 * (size_t)nnh_network_max_width(N);
    t->res = malloc(2 * wmax * sizeof(double));
    t->ids = malloc(wmax * sizeof(int));
    t->sel = t->res ? t->res + wmax : NULL;
    if (t->res && t->ids)
        return NNH_OK;
    task_buf_free(t);
    return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (tightening)");
}

/* The n LP tasks of layer k: those nnh_tighten_select keeps (fraction,
 * ranked on pass) run by run(run_arg, g, ...) or, run NULL, here; their
 * results intersected into b's layer k (nnh_steps_apply); *tasks counts the
 * tasks that gave a result. */
static int layer_tasks(const nnh_network *N, nnh_bounds *b, const nnh_bounds *pass, int g,
                       int k, int n, double fraction, const nnh_bound_opts *bo, double deadline,
                       nnh_tighten_layer_fn run, void *run_arg, nnh_tighten_stop_fn stop,
                       void *stop_arg, task_buf *t, long *tasks, nnh_error *err)
{
    for (int j = 0; j < n; j++)
        t->res[j] = NAN;
    int n_sel = n > 0 ? nnh_tighten_select(N, b, pass, k, fraction, t->ids, err) : 0;
    if (n_sel < 0)
        return n_sel;
    for (int j = 0; j < n_sel; j++)
        t->sel[j] = NAN;
    int rc = 0;
    if (n_sel > 0)
        rc = run ? run(run_arg, g, b, k, bo, n_sel, t->ids, t->sel, NULL, err)
                 : nnh_tighten_tasks(N, b, k, bo, 0, 1, n_sel, t->ids, deadline, stop, stop_arg,
                                     t->sel, NULL, err);
    if (rc)
        return rc;
    for (int j = 0; j < n_sel; j++)
        t->res[t->ids[j]] = t->sel[j];
    for (int j = 0; j < n; j++)
        *tasks += !isnan(t->res[j]);
    nnh_steps_apply(N, b, k, t->res, n);
    return NNH_OK;
}

/* Layer by layer: IBP, crown, the crown pass, then the LP tasks that the
 * selection keeps (fraction, nnh_tighten_select; run or here) and their
 * results; *tasks counts the tasks that gave a result. */
static int tighten_layers(const nnh_network *N, nnh_bounds *b, int g, const nnh_bound_opts *bo,
                          double fraction, double deadline, nnh_tighten_layer_fn run,
                          void *run_arg, nnh_tighten_stop_fn stop, void *stop_arg, long *tasks,
                          nnh_error *err)
{
    nnh_bounds *pass = NULL;
    task_buf t;
    int rc = task_buf_init(&t, N, err);
    if (!rc)
        rc = nnh_steps_pass(N, b, bo, &pass, err);
    for (int k = 0; k < N->n_layers && !rc; k++) {
        if (k > 0 && ((deadline > 0 && nnh_now() > deadline) || nnh_stop_requested())) {
            /* past the deadline or after a stop request: the rest IBP only */
            nnh_bounds_ibp_layer(N, b, k);
            continue;
        }
        int n = nnh_steps_prepare(N, b, k, pass, bo, err);
        rc = n < 0 ? n
                   : layer_tasks(N, b, pass, g, k, n, fraction, bo, deadline, run, run_arg, stop,
                                 stop_arg, &t, tasks, err);
    }
    nnh_bounds_free(pass);
    task_buf_free(&t);
    return rc;
}

/* The tightening's engine options from o with method m: no time limits
 * (budgets are per task and deterministic; the deadline stops). */
static int engine_opts(const nnh_verify_opts *o, nnh_method m, nnh_bound_opts *bo,
                       nnh_error *err)
{
    *bo = o->tighten_opts;
    bo->method = m;
    bo->time_limit = 0;
    int rc = nnh_bound_opts_check(bo, err);
    return rc ? nnh_error_prefix(err, "verify: tightening options") : NNH_OK;
}

int nnh_tighten_node(const nnh_network *N, nnh_bounds *b, int first, const nnh_verify_opts *o,
                     double deadline, long *tasks, int *empty, nnh_error *err)
{
    *empty = 0;
    nnh_bound_opts bo;
    task_buf t;
    int rc = engine_opts(o, o->tighten == NNH_TIGHTEN_LP1D ? NNH_METHOD_LP1D : NNH_METHOD_HULL,
                         &bo, err);
    if (rc || (rc = task_buf_init(&t, N, err)))
        return rc;
    for (int k = first < 1 ? 1 : first; k + 1 < N->n_layers && !rc && o->node_tighten > 0; k++) {
        if (deadline > 0 && nnh_now() > deadline)
            break;
        int w = N->layers[k].n_out;
        double f = o->node_tighten >= w ? 1.0 : (double)o->node_tighten / w;
        rc = layer_tasks(N, b, b, 0, k, 2 * w, f, &bo, deadline, NULL, NULL, NULL, NULL, &t,
                         tasks, err);
        /* crossed bounds, each rigorous on the node's domain: it is empty */
        if (!rc && (*empty = nnh_bounds_layer_empty(b, k)))
            break;
    }
    task_buf_free(&t);
    return rc;
}

int nnh_tighten_region(const nnh_verify_problem *P, nnh_bab_region *R, const nnh_verify_opts *o,
                       nnh_method m, double fraction, double deadline, nnh_tighten_layer_fn run,
                       void *run_arg, nnh_tighten_stop_fn stop, void *stop_arg, long *tasks,
                       unsigned long long *digest, nnh_error *err)
{
    const nnh_network *N = P->groups[R->group].folded;
    nnh_bound_opts bo;
    int rc = engine_opts(o, m, &bo, err);
    if (rc)
        return rc;
    nnh_bounds *b = NULL;
    if ((rc = nnh_bounds_create(N, R->lo, R->hi, &b, err)))
        return rc;
    rc = tighten_layers(N, b, R->group, &bo, fraction, deadline, run, run_arg, stop, stop_arg,
                        tasks, err);
    if (rc) {
        nnh_bounds_free(b);
        return rc;
    }
    if (R->hint)
        intersect(b, R->hint);
    nnh_bounds_free(R->hint);
    R->hint = b;
    *digest = bounds_digest(b);
    return NNH_OK;
}
