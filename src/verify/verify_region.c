/* Deciding one region of branch and bound (the unit of work a scheduler
 * distributes): falsify, then certified bounds of the property rows with
 * crown, an LP on the rows when crown came close, and the choice of the input
 * to split when the region stays open. */
#include "verify_internal.h"
#include "bab_split.h"
#include "verify_tighten.h"

#include "nnhull/bounds.h"
#include "nnhull/engine.h"
#include "nnhull/stop.h"
#include "crown_pass.h"
#include "grad.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void nnh_verify_opts_init(nnh_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = NNH_METHOD_CROWN;
    o->timeout = 0;
    o->max_regions = 0;
    o->samples = 2000;
    o->starts = 10;
    o->steps = 60;
    o->region_samples = 16;
    o->region_starts = 2;
    o->region_steps = 20;
    o->descend_depth = 16;
    o->max_corners_dim = 10;
    o->escalate_gap = 0.1;
    o->joint = 1;
    o->seed = 20241030ULL;
    o->split = NNH_SPLIT_AUTO;
    nnh_bound_opts_init(&o->bound);
    o->tighten = NNH_TIGHTEN_AUTO;
    /* the root tightening's budget: deterministic (iterations, not
     * seconds), one layer of context, no LP where it cannot gain; measured
     * in docs/benchmarks.md section 10 */
    nnh_bound_opts_init(&o->tighten_opts);
    o->tighten_opts.method = NNH_METHOD_HULL;
    o->tighten_opts.window = 1;
    o->tighten_opts.task_iter_limit = 1000;
    o->tighten_opts.long_step = 1;
    o->tighten_opts.min_gain = 1e-3;
    o->tighten_opts.skip_stable = 1;
    o->tighten_auto_window = NNH_TIGHTEN_AUTO_WINDOW;
    o->alpha = NNH_ALPHA_AUTO;
    nnh_alpha_opts_init(&o->alpha_opts);
    o->alpha_opts.target = 0.0;
    o->node_layers = NNH_NODE_LAYERS_CHANGED;
    o->branch_candidates = 8;
    o->case_split = 1;
    o->node_tighten = 0;
}

int nnh_region_result_init(const nnh_verify_problem *P, nnh_region_result *r, nnh_error *err)
{
    memset(r, 0, sizeof *r);
    int nc = 1;
    for (int g = 0; g < P->n_groups; g++)
        if (P->groups[g].n_cases > nc)
            nc = P->groups[g].n_cases;
    r->x = calloc((size_t)P->n_in, sizeof(double));
    r->y = calloc((size_t)P->n_out, sizeof(double));
    r->closed = calloc((size_t)nc, 1);
    if (!r->x || !r->y || !r->closed) {
        nnh_region_result_free(r);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    }
    return NNH_OK;
}

void nnh_region_result_free(nnh_region_result *r)
{
    nnh_bounds_free(r->bounds);
    r->bounds = NULL;
    free(r->x);
    free(r->y);
    free(r->closed);
    r->x = r->y = NULL;
    r->closed = NULL;
}

static void result_reset(const nnh_verify_group *G, nnh_region_result *res)
{
    res->status = NNH_REGION_OPEN;
    res->cex_case = -1;
    res->split_dim = -1;
    res->split_layer = res->split_neuron = -1;
    res->split_at = 0.0;
    res->min_margin = INFINITY;
    res->best_lb = -INFINITY;
    res->escalated = 0;
    res->seconds_falsify = res->seconds_bounds = 0;
    memset(res->closed, 0, (size_t)G->n_cases);
}

/* Largest |a_j| of input j of the folded layer over the region: the layer
 * before it, or the input box after the network's domain clamp (clamping is
 * monotone, so the clamped ends enclose every clamped input). */
static double input_magnitude(const nnh_verify_group *G, const nnh_bounds *b,
                              const nnh_bab_region *R, int j)
{
    if (G->fold_k >= 0)
        return fmax(fabs(b->layers[G->fold_k].post_lo[j]), fabs(b->layers[G->fold_k].post_hi[j]));
    const nnh_network *N = G->folded;
    double lo = R->lo[j], hi = R->hi[j];
    if (N->in_min) {
        lo = fmax(lo, N->in_min[j]);
        hi = fmax(hi, N->in_min[j]);
    }
    if (N->in_max) {
        lo = fmin(lo, N->in_max[j]);
        hi = fmin(hi, N->in_max[j]);
    }
    return fmax(fabs(lo), fabs(hi));
}

/* Rounding error of the fold for row r over the region: sum_j E_rj max|a_j| + e_r,
 * with a_j the inputs of the folded layer, rounded up. */
static double fold_error(const nnh_verify_group *G, const nnh_bounds *b, const nnh_bab_region *R,
                         int r)
{
    if (!G->E)
        return 0.0;
    const nnh_layer *L = &G->folded->layers[G->folded->n_layers - 1];
    double s = G->e[r];
    for (int j = 0; j < L->n_in; j++)
        s = nnh_up(s + nnh_up(G->E[(size_t)r * L->n_in + j] * input_magnitude(G, b, R, j)));
    return isnan(s) ? INFINITY : s;
}

/* Certified lower bound of row r: the engine's bound minus the fold error.
 * Only a strictly positive value proves the row infeasible. */
static double row_lower(const nnh_verify_group *G, const nnh_bounds *b, const nnh_bab_region *R, int r)
{
    double lb = b->layers[b->n_layers - 1].pre_lo[r];
    if (isnan(lb))
        return -INFINITY;
    return nnh_down(lb - fold_error(G, b, R, r));
}

/* closed[c] for every active case with a row whose lower bound is > 0;
 * returns 1 when every active case is closed. lbs holds the row bounds. */
static int close_cases(const nnh_verify_group *G, const nnh_bab_region *R, const double *lbs,
                       nnh_region_result *res)
{
    int all = 1;
    res->best_lb = -INFINITY;
    for (int c = 0; c < G->n_cases; c++) {
        if (!R->active[c] || res->closed[c])
            continue;
        for (int r = G->row0[c]; r < G->row0[c + 1]; r++)
            if (lbs[r] > 0.0)
                res->closed[c] = 1;
        if (res->closed[c])
            continue;
        all = 0;
        for (int r = G->row0[c]; r < G->row0[c + 1]; r++)
            if (lbs[r] > res->best_lb)
                res->best_lb = lbs[r];
    }
    return all;
}

/* Every case of the region closed (its domain turned out empty). */
static void close_all(const nnh_verify_group *G, nnh_region_result *res)
{
    memset(res->closed, 1, (size_t)G->n_cases);
    res->status = NNH_REGION_UNSAT;
}

/* 1 when the crown relaxation of a neuron depends on its bounds [l, u]:
 * not for a ReLU-like neuron that is stable (its line is exact) or an
 * identity. */
static int bounds_matter(const nnh_activation *a, double l, double u)
{
    switch (a->kind) {
    case NNH_ACT_IDENTITY:
        return 0;
    case NNH_ACT_RELU:
    case NNH_ACT_LEAKY_RELU:
        return l < 0.0 && u > 0.0;
    default:
        return 1;
    }
}

/* IBP on every layer, then crown's back-substitution on the neurons whose
 * bounds matter to a later relaxation (bounds_matter) and on every row of
 * the last layer (the property; their lower forms go to `forms`, for the
 * joint bounds). Tighter bounds of a stable ReLU change no
 * later line, so the rows get crown's bounds up to the rounding-error terms
 * (which use the looser magnitudes), while deep regions, where most neurons
 * are stable, skip most of the work. Layer 0 is affine in the input, where
 * IBP is exact (unless it is the last). Hidden layers before `from` keep
 * b's bounds (a cheap node: see node_layers), and hidden layers before
 * `crown_from` get IBP only; the last layer always gets both. *empty = 1
 * when R has neuron splits and a layer's bounds came out empty (the
 * region's domain is empty). */
static int crown_bounds(const nnh_verify_group *G, const nnh_bab_region *R, nnh_bounds *b,
                        const nnh_verify_opts *o, int from, int crown_from,
                        nnh_crown_forms *forms, int *empty, nnh_error *err)
{
    const nnh_network *N = G->folded;
    *empty = 0;
    if (o->method == NNH_METHOD_IBP) {
        int rc = nnh_bounds_ibp(N, b, err);
        for (int k = 0; k < N->n_layers && !rc && R->n_splits && !*empty; k++)
            *empty = nnh_bounds_layer_empty(b, k);
        return rc;
    }
    int width = nnh_network_max_width(N);
    int *sel = malloc((size_t)width * sizeof(int));
    nnh_crown_pass *pass = NULL;
    if (!sel || nnh_crown_pass_new(N, width, &pass, err)) {
        free(sel);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (crown)");
    }
    int rc = 0;
    for (int k = 0; k < N->n_layers && !rc; k++) {
        int last = k == N->n_layers - 1;
        if (!last && k < from)
            continue;
        nnh_bounds_ibp_layer(N, b, k);
        const nnh_layer_bounds *L = &b->layers[k];
        int n = 0;
        if (!last && (k < crown_from || nnh_stop_requested()))
            continue; /* after a stop request (nnhull/stop.h) hidden layers keep IBP */
        for (int i = 0; i < L->width; i++)
            if (last || (k > 0 && bounds_matter(&N->layers[k].act, L->pre_lo[i], L->pre_hi[i])))
                sel[n++] = i;
        rc = nnh_crown_pass_layer(pass, b, k, sel, n, last ? forms : NULL, err);
        /* with neuron splits, bounds valid on the box intersected with a
         * split's interval can cross: no input of the box meets the splits */
        if (!rc && R->n_splits && nnh_bounds_layer_empty(b, k)) {
            *empty = 1;
            break;
        }
    }
    free(sel);
    nnh_crown_pass_free(pass);
    return rc;
}

static int lp_context(const nnh_verify_group *G, const nnh_bounds *b, const nnh_verify_opts *o,
                      double deadline, nnh_lp_layer **L, nnh_region_result *res, nnh_error *err)
{
    if (*L)
        return NNH_OK;
    nnh_bound_opts bo = o->bound;
    bo.method = o->method;
    if (deadline > 0)
        bo.time_limit = fmax(deadline - nnh_now(), 1e-3);
    res->escalated = 1;
    return nnh_lp_layer_create(G->folded, b, b->n_layers - 1, &bo, L, err);
}

/* Joint LP of case c (nnh_lp_layer_bound_max on its rows) minus the largest
 * fold error of its rows: the certified min of max_r row_r. */
static int escalate_joint(const nnh_verify_group *G, const nnh_bounds *b, const nnh_bab_region *R,
                          nnh_lp_layer *L, int c, nnh_region_result *res, nnh_error *err)
{
    int m = G->row0[c + 1] - G->row0[c];
    int *rows = malloc((size_t)m * sizeof(int));
    if (!rows)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (joint LP)");
    double fe = 0.0, v;
    for (int t = 0; t < m; t++) {
        rows[t] = G->row0[c] + t;
        fe = fmax(fe, fold_error(G, b, R, rows[t]));
    }
    int rc = nnh_lp_layer_bound_max(L, rows, m, &v, NULL, err);
    free(rows);
    if (!rc && nnh_down(v - fe) > 0.0)
        res->closed[c] = 1;
    return rc;
}

/* The escalation test: a lower bound lo within escalate_gap x the width
 * hi - lo of 0 (hi: the upper bound). */
static int near_zero(double lo, double hi, const nnh_verify_opts *o)
{
    double w = hi - lo;
    return isfinite(w) && lo > -o->escalate_gap * w;
}

/* LP (lp1d / hull) on the rows of open cases that crown left close to a
 * proof: one context on the last layer over crown's earlier bounds; then the
 * joint LP of every case still open whose joint crown bound jl came close
 * (jl may be NULL: no joint LP). */
static int escalate(const nnh_verify_group *G, nnh_bounds *b, const nnh_bab_region *R,
                    const nnh_verify_opts *o, double deadline, double *lbs, const double *jl,
                    nnh_region_result *res, nnh_error *err)
{
    const nnh_layer_bounds *lb = &b->layers[b->n_layers - 1];
    nnh_lp_layer *L = NULL;
    int rc = 0;
    for (int c = 0; c < G->n_cases && !rc; c++) {
        if (!R->active[c] || res->closed[c])
            continue;
        for (int r = G->row0[c]; r < G->row0[c + 1] && !rc && !res->closed[c]; r++) {
            if (!near_zero(lbs[r], lb->pre_hi[r], o))
                continue;
            if (deadline > 0 && nnh_now() > deadline)
                break;
            if ((rc = lp_context(G, b, o, deadline, &L, res, err)))
                break;
            double v;
            rc = nnh_lp_layer_bound(L, r, -1, &v, NULL, err);
            if (!rc && v > lb->pre_lo[r]) {
                b->layers[b->n_layers - 1].pre_lo[r] = v;
                lbs[r] = row_lower(G, b, R, r);
                if (lbs[r] > 0.0)
                    res->closed[c] = 1;
            }
        }
    }
    for (int c = 0; c < G->n_cases && !rc && jl; c++) {
        if (!R->active[c] || res->closed[c] || !isfinite(jl[c]))
            continue;
        double hi = -INFINITY;
        for (int r = G->row0[c]; r < G->row0[c + 1]; r++)
            hi = fmax(hi, lb->pre_hi[r]);
        if (!near_zero(jl[c], hi, o))
            continue;
        if (deadline > 0 && nnh_now() > deadline)
            break;
        if (!(rc = lp_context(G, b, o, deadline, &L, res, err)))
            rc = escalate_joint(G, b, R, L, c, res, err);
    }
    nnh_lp_layer_free(L);
    return rc;
}

/* Interval [glo, ghi] of the input gradient of row `row` over the region
 * (the bounds in b give each neuron's derivative range), by one backward
 * pass in interval arithmetic (a heuristic: no rounding control needed). */
static void interval_grad(const nnh_network *N, const nnh_bounds *b, int row, double *buf,
                          double *glo, double *ghi)
{
    int w = nnh_network_max_width(N);
    double *lo = buf, *hi = lo + w, *nlo = hi + w, *nhi = nlo + w;
    int nl = N->n_layers;
    for (int i = 0; i < N->layers[nl - 1].n_out; i++)
        lo[i] = hi[i] = (i == row);
    for (int k = nl - 1; k >= 0; k--) {
        const nnh_layer *L = &N->layers[k];
        const nnh_layer_bounds *lb = &b->layers[k];
        for (int i = 0; i < L->n_out; i++) {
            double dl, du;
            nnh_act_deriv_range(&L->act, lb->pre_lo[i], lb->pre_hi[i], &dl, &du);
            double c[4] = {lo[i] * dl, lo[i] * du, hi[i] * dl, hi[i] * du};
            lo[i] = fmin(fmin(c[0], c[1]), fmin(c[2], c[3]));
            hi[i] = fmax(fmax(c[0], c[1]), fmax(c[2], c[3]));
        }
        double *olo = k ? nlo : glo, *ohi = k ? nhi : ghi;
        for (int j = 0; j < L->n_in; j++)
            olo[j] = ohi[j] = 0.0;
        for (int i = 0; i < L->n_out; i++) {
            if (lo[i] == 0.0 && hi[i] == 0.0)
                continue;
            const int *cols;
            const double *wr;
            int n = nnh_layer_row(L, i, &cols, &wr);
            for (int t = 0; t < n; t++) {
                int j = NNH_ROW_COL(cols, t);
                double a = wr[t] * lo[i], c = wr[t] * hi[i];
                olo[j] += fmin(a, c);
                ohi[j] += fmax(a, c);
            }
        }
        if (k) {
            memcpy(lo, nlo, (size_t)L->n_in * sizeof(double));
            memcpy(hi, nhi, (size_t)L->n_in * sizeof(double));
        }
    }
}

static int can_split(const nnh_bab_region *R, int j)
{
    double m = 0.5 * R->lo[j] + 0.5 * R->hi[j];
    return isfinite(m) && m > R->lo[j] && m < R->hi[j];
}

/* |d row / d x_j| summed over the center and the best falsification point
 * xb; t gets n entries. The gradient work buffers follow t in memory. */
static void point_grads(const nnh_verify_problem *P, const nnh_verify_group *G,
                        const nnh_bab_region *R, int row, const double *xb, double *t)
{
    int n = P->n_in;
    double *x = t + n, *g = x + n, *unit = g + n, *work = unit + G->n_rows;
    memset(unit, 0, (size_t)G->n_rows * sizeof(double));
    unit[row] = 1.0;
    for (int j = 0; j < n; j++)
        t[j] = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        for (int j = 0; j < n; j++)
            x[j] = pass ? xb[j] : 0.5 * R->lo[j] + 0.5 * R->hi[j];
        nnh_network_grad(G->folded, x, unit, NULL, g, work);
        for (int j = 0; j < n; j++)
            t[j] += fabs(g[j]);
    }
}

/* The row of an open case with the largest lower bound (the closest to a
 * proof), or -1. */
static int open_row(const nnh_verify_group *G, const nnh_bab_region *R, const double *lbs,
                    const nnh_region_result *res)
{
    int row = -1;
    for (int c = 0; c < G->n_cases; c++)
        for (int r = G->row0[c]; r < G->row0[c + 1] && R->active[c] && !res->closed[c]; r++)
            if (row < 0 || lbs[r] > lbs[row])
                row = r;
    return row;
}

/* With activation splitting (o->split, resolved for the input size) and
 * room in R's split list: the neuron of nnh_branch_choose_fsb (with
 * o->branch_candidates) for the row closest to a proof, into res
 * (split_layer, split_neuron, split_at). Returns 1 when a neuron was
 * chosen, 0 otherwise (split the box). */
static int choose_neuron(const nnh_verify_problem *P, const nnh_verify_group *G,
                         const nnh_bab_region *R, const nnh_verify_opts *o, const nnh_bounds *b,
                         const double *lbs, nnh_region_result *res)
{
    if (nnh_split_mode_resolve(o->split, P->n_in) != NNH_SPLIT_ACTIVATION ||
        R->n_splits >= NNH_BAB_MAX_SPLITS)
        return 0;
    double *buf = malloc(2 * (size_t)nnh_network_max_width(G->folded) * sizeof(double));
    if (!buf)
        return 0;
    nnh_crown_pass *pass = NULL;
    nnh_error err;
    if (o->branch_candidates > 1 && nnh_crown_pass_new(G->folded, 1, &pass, &err))
        pass = NULL; /* out of memory: the score alone */
    int ok = !nnh_branch_choose_fsb(G->folded, b, pass, open_row(G, R, lbs, res),
                                    o->branch_candidates, buf, &res->split_layer,
                                    &res->split_neuron, &res->split_at);
    nnh_crown_pass_free(pass);
    free(buf);
    return ok;
}

/* The input with the largest edge x sensitivity of the open row closest to a
 * proof. The sensitivity adds two views, each scaled so that its best input
 * scores 1: max |d row / d x_j| over the region from the interval gradient
 * (ReluVal's "smear", global but loose) and |d row / d x_j| at the center and
 * at the best falsification point (local). On six ACAS Xu instances the sum
 * needed 1.0-2.2x fewer regions than either view alone. -1 when no edge can
 * be halved. */
static int choose_split(const nnh_verify_problem *P, const nnh_verify_group *G,
                        const nnh_bab_region *R, const nnh_bounds *b, const double *lbs,
                        const nnh_region_result *res)
{
    int n = P->n_in, row = open_row(G, R, lbs, res), w = nnh_network_max_width(G->folded);
    double *buf = calloc(4 * (size_t)w + 7 * (size_t)n + P->grad_work + (size_t)G->n_rows,
                         sizeof(double));
    if (!buf)
        return -1;
    double *glo = buf + 4 * (size_t)w, *ghi = glo + n, *s = ghi + n, *t = s + n;
    if (row >= 0) {
        interval_grad(G->folded, b, row, buf, glo, ghi);
        for (int j = 0; j < n; j++)
            s[j] = fmax(fabs(glo[j]), fabs(ghi[j]));
        point_grads(P, G, R, row, res->x, t);
        double ms = 0, mt = 0;
        for (int j = 0; j < n; j++) {
            ms = fmax(ms, s[j] * (R->hi[j] - R->lo[j]));
            mt = fmax(mt, t[j] * (R->hi[j] - R->lo[j]));
        }
        for (int j = 0; j < n; j++)
            s[j] = (ms > 0 ? s[j] / ms : 0) + (mt > 0 ? t[j] / mt : 0);
    }
    int best = -1, widest = -1;
    double bs = -1, bw = -1;
    for (int j = 0; j < n; j++) {
        if (!can_split(R, j))
            continue;
        double wj = R->hi[j] - R->lo[j], sc = wj * s[j];
        if (isfinite(sc) && sc > bs) {
            bs = sc;
            best = j;
        }
        if (wj > bw) {
            bw = wj;
            widest = j;
        }
    }
    free(buf);
    return bs > 0 ? best : widest;
}

/* Crown on the folded network (hidden layers from `from`, see crown_bounds);
 * closes what it proves. 1 when all is closed. */
static int crown_step(const nnh_verify_group *G, const nnh_bab_region *R, const nnh_verify_opts *o,
                      int from, int crown_from, nnh_bounds *b, nnh_crown_forms *forms,
                      double *lbs, nnh_region_result *res, nnh_error *err)
{
    int empty, rc = crown_bounds(G, R, b, o, from, crown_from, forms, &empty, err);
    if (rc)
        return rc;
    if (empty) {
        close_all(G, res);
        return NNH_OK;
    }
    for (int r = 0; r < G->n_rows; r++)
        lbs[r] = row_lower(G, b, R, r);
    if (close_cases(G, R, lbs, res))
        res->status = NNH_REGION_UNSAT;
    return NNH_OK;
}

/* alpha-CROWN (verify_alpha.c), mode m (resolved): on a root region the
 * hidden layers first, then crown again, then the rows of the open cases;
 * on other regions the rows only with NNH_ALPHA_ON. Closes what it proves. */
static int alpha_step(const nnh_verify_problem *P, const nnh_verify_group *G,
                      const nnh_bab_region *R, const nnh_verify_opts *o, int m, double deadline,
                      nnh_bounds *b, nnh_crown_forms *forms, double *lbs, nnh_region_result *res,
                      nnh_error *err)
{
    int rc = 0, root = R->depth == 0 && R->n_splits == 0;
    if (m == NNH_ALPHA_OFF || (m == NNH_ALPHA_ROOT && !root))
        return NNH_OK;
    if (root) {
        rc = nnh_verify_alpha_layers(G, o, b, deadline, err);
        if (rc > 0) /* some layer was tightened */
            rc = crown_step(G, R, o, 0, 0, b, forms, lbs, res, err);
        if (rc || res->status == NNH_REGION_UNSAT)
            return rc;
    }
    rc = nnh_verify_alpha(P, G, R, o, deadline, b, forms, res, err);
    for (int r = 0; r < G->n_rows && !rc; r++)
        lbs[r] = row_lower(G, b, R, r);
    if (!rc && close_cases(G, R, lbs, res))
        res->status = NNH_REGION_UNSAT;
    return rc;
}

/* Joint crown bounds of the open cases with several rows (verify_joint.c):
 * crown's lower forms F of every row, minus the fold error, combined by the
 * multipliers of a small LP. Closes the cases it proves; jl[c] gets the
 * bound (-INFINITY where not computed). 1 when all is closed, else 0 or an
 * error. */
static int joint_step(const nnh_verify_problem *P, const nnh_verify_group *G,
                      const nnh_bab_region *R, const nnh_bounds *b, const nnh_crown_forms *F,
                      double *jl, nnh_region_result *res, nnh_error *err)
{
    int n = P->n_in, nr = G->n_rows;
    for (int c = 0; c < G->n_cases; c++)
        jl[c] = -INFINITY;
    double *buf = malloc(((size_t)2 * nr + 1) * sizeof(double));
    int *rows = malloc(((size_t)nr + 1) * sizeof(int));
    nnh_small_lp *S = nnh_small_lp_new(n);
    if (!buf || !rows || !S) {
        free(buf);
        free(rows);
        nnh_small_lp_free(S);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (joint bound)");
    }
    double *cc = buf, *lam = cc + nr;
    for (int r = 0; r < nr; r++)
        cc[r] = nnh_down(F->c[r] - fold_error(G, b, R, r));
    int all = 1;
    for (int c = 0; c < G->n_cases; c++) {
        int m = G->row0[c + 1] - G->row0[c];
        if (!R->active[c] || res->closed[c])
            continue;
        for (int t = 0; t < m && m >= 2; t++)
            rows[t] = G->row0[c] + t;
        if (m >= 2)
            jl[c] = nnh_joint_lower(F->A, cc, rows, m, n, F->in_lo, F->in_hi, S, lam);
        if (jl[c] > 0.0)
            res->closed[c] = 1;
        else
            all = 0;
    }
    free(buf);
    free(rows);
    nnh_small_lp_free(S);
    return all;
}

/* With neuron splits: the joint proof of each open case with the splits as
 * input constraints (split_joint.c), from crown's row forms F minus the fold
 * error. */
static int split_step(const nnh_verify_problem *P, const nnh_verify_group *G,
                      const nnh_bab_region *R, nnh_bounds *b, const nnh_crown_forms *F,
                      nnh_region_result *res, nnh_error *err)
{
    double *cc = malloc((size_t)G->n_rows * sizeof(double));
    if (!cc)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (split constraints)");
    for (int r = 0; r < G->n_rows; r++)
        cc[r] = nnh_down(F->c[r] - fold_error(G, b, R, r));
    int rc = nnh_split_joint(P, R, b, F, cc, res, err);
    free(cc);
    return rc;
}

/* Where the relaxation puts the violation: for each row of an open case,
 * the optimum of its bound problem, i.e. the box corner that minimises
 * crown's linear lower form of the row (the center along inputs the form
 * ignores). The falsifier scores these first (projected into the box as
 * read). Returns their number. */
static int bound_optima(const nnh_verify_problem *P, const nnh_verify_group *G,
                        const nnh_bab_region *R, const nnh_crown_forms *F,
                        const nnh_region_result *res, double *opt)
{
    int n = P->n_in, k = 0;
    for (int c = 0; c < G->n_cases; c++) {
        if (!R->active[c] || res->closed[c])
            continue;
        for (int r = G->row0[c]; r < G->row0[c + 1]; r++, k++) {
            const double *a = F->A + (size_t)r * n;
            double *x = opt + (size_t)k * n;
            for (int j = 0; j < n; j++) { /* over the box the forms hold on */
                double lo = F->in_lo[j], hi = F->in_hi[j];
                x[j] = a[j] > 0 ? lo : a[j] < 0 ? hi : 0.5 * lo + 0.5 * hi;
                if (!isfinite(x[j])) /* an unbounded input: its finite end, or 0 */
                    x[j] = isfinite(lo) ? lo : isfinite(hi) ? hi : 0.0;
            }
        }
    }
    return k;
}

/* The bounds of a region: crown (hidden layers from from[0], crown from
 * from[1]), alpha-CROWN, the joint bounds of cases with several rows, the
 * split constraints. Closes what they prove. */
static int bound_step(const nnh_verify_problem *P, const nnh_bab_region *R,
                      const nnh_verify_opts *o, double deadline, const int from[2], nnh_bounds *b,
                      nnh_crown_forms *forms, double *lbs, double *jl, nnh_region_result *res,
                      nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int rc = crown_step(G, R, o, from[0], from[1], b, forms, lbs, res, err);
    if (!rc && res->status != NNH_REGION_UNSAT)
        rc = alpha_step(P, G, R, o, nnh_alpha_mode_resolve(o, P->n_in), deadline, b, forms, lbs,
                        res, err);
    if (!rc && res->status != NNH_REGION_UNSAT && o->joint && o->method != NNH_METHOD_IBP) {
        rc = joint_step(P, G, R, b, forms, jl, res, err);
        if (rc > 0) {
            res->status = NNH_REGION_UNSAT;
            rc = 0;
        }
    }
    if (!rc && res->status != NNH_REGION_UNSAT && R->n_splits && o->method != NNH_METHOD_IBP)
        rc = split_step(P, G, R, b, forms, res, err);
    return rc;
}

/* The escalation test: an open row of an open case whose lower bound lbs[r]
 * is within escalate_gap x its width of 0. */
static int near_proof(const nnh_verify_group *G, const nnh_bounds *b, const nnh_bab_region *R,
                      const nnh_verify_opts *o, const double *lbs, const nnh_region_result *res)
{
    const nnh_layer_bounds *lb = &b->layers[b->n_layers - 1];
    for (int c = 0; c < G->n_cases; c++)
        for (int r = G->row0[c]; r < G->row0[c + 1] && R->active[c] && !res->closed[c]; r++)
            if (near_zero(lbs[r], lb->pre_hi[r], o))
                return 1;
    return 0;
}

/* Node tightening (nnh_verify_opts.node_tighten): LPs on the hidden layers
 * after R's shallowest split over b (which holds the splits), then the
 * bounds again from that layer on. */
static int node_step(const nnh_verify_problem *P, const nnh_bab_region *R,
                     const nnh_verify_opts *o, double deadline, nnh_bounds *b,
                     nnh_crown_forms *forms, double *lbs, double *jl, nnh_region_result *res,
                     nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int first = G->folded->n_layers;
    for (int s = 0; s < R->n_splits; s++)
        first = R->splits[s].layer + 1 < first ? R->splits[s].layer + 1 : first;
    long tasks = 0;
    int empty = 0;
    int rc = nnh_tighten_node(G->folded, b, first, o, deadline, &tasks, &empty, err);
    if (rc || (!tasks && !empty))
        return rc;
    res->escalated = 1;
    if (empty) { /* the splits meet no input of the box */
        close_all(G, res);
        return NNH_OK;
    }
    int from[2] = {first, first};
    return bound_step(P, R, o, deadline, from, b, forms, lbs, jl, res, err);
}

/* The order saves work: crown first (half the regions of a proof close
 * there), falsification only on what stays open, the LP only where no
 * counterexample turned up, the split choice last. */
static int decide(const nnh_verify_problem *P, const nnh_bab_region *R, const nnh_verify_opts *o,
                  double deadline, const int from[2], nnh_bounds *b, nnh_crown_forms *forms,
                  double *lbs, double *jl, double *opt, nnh_region_result *res, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    double t0 = nnh_now();
    int rc = bound_step(P, R, o, deadline, from, b, forms, lbs, jl, res, err);
    if (!rc && res->status == NNH_REGION_OPEN && o->node_tighten > 0 && R->n_splits &&
        o->method != NNH_METHOD_IBP && near_proof(G, b, R, o, lbs, res))
        rc = node_step(P, R, o, deadline, b, forms, lbs, jl, res, err);
    double t1 = nnh_now();
    res->seconds_bounds = t1 - t0;
    if (rc || res->status == NNH_REGION_UNSAT)
        return rc;
    /* below depth descend_depth, samples only: on a proof the descents are
     * wasted (half the time of a region on ACAS Xu), and the counterexamples
     * branch and bound finds on ACAS Xu come by depth 14 */
    int n_opt = o->method == NNH_METHOD_IBP ? 0 : bound_optima(P, G, R, forms, res, opt);
    /* a region narrowed by neuron splits has its parent's box: its own
     * bound optima and one descent are new, random samples are not */
    rc = nnh_falsify_region(P, R, opt, n_opt, R->n_splits ? 0 : o->region_samples,
                            R->n_splits ? 1 : o->region_starts, o->region_steps, 0, R->depth > o->descend_depth ? -INFINITY : INFINITY,
                            nnh_region_seed(P, R, o->seed), deadline, res, err);
    double t2 = nnh_now();
    res->seconds_falsify = t2 - t1;
    if (rc || res->status == NNH_REGION_SAT)
        return rc;
    if (o->method >= NNH_METHOD_LP1D) {
        rc = escalate(G, b, R, o, deadline, lbs, o->joint ? jl : NULL, res, err);
        if (!rc && close_cases(G, R, lbs, res))
            res->status = NNH_REGION_UNSAT;
    }
    if (!rc && res->status == NNH_REGION_OPEN && !choose_neuron(P, G, R, o, b, lbs, res)) {
        res->split_dim = choose_split(P, G, R, b, lbs, res);
        if (res->split_dim < 0)
            res->status = NNH_REGION_STUCK;
    }
    res->seconds_bounds += nnh_now() - t2;
    return rc;
}

/* 1 when the hint's box is R's box (a child of a neuron split). */
static int same_box(const nnh_verify_problem *P, const nnh_bab_region *R)
{
    for (int j = 0; j < P->n_in; j++)
        if (R->hint->in_lo[j] != R->lo[j] || R->hint->in_hi[j] != R->hi[j])
            return 0;
    return 1;
}

/* The cheap node (nnh_verify_opts.node_layers): for a region with neuron
 * splits on its parent's box, from[0] = the first hidden layer to bound
 * again (after the first layer a split narrowed; the earlier ones would
 * come out as the parent's) and from[1] = the first one to get crown (the
 * others IBP, intersected); 0 and 0 (every layer) otherwise. */
static void node_from(const nnh_verify_problem *P, const nnh_bab_region *R, int mode, int from[2])
{
    from[0] = from[1] = 0;
    if (!R->hint || !R->n_splits || mode == NNH_NODE_LAYERS_ALL || !same_box(P, R))
        return;
    from[0] = nnh_splits_first_narrowed(R, R->hint) + 1;
    from[1] = mode == NNH_NODE_LAYERS_CHANGED ? from[0] : R->hint->n_layers - 1;
}

/* Bounds to start from: the region's hint (the parent's bounds, valid on
 * this sub-box, so the engines' intersections only tighten) or nothing,
 * with R's neuron splits intersected in; *empty = 1 when that leaves an
 * empty interval (no input of the box meets the splits). */
static int start_bounds(const nnh_verify_problem *P, const nnh_bab_region *R, nnh_bounds **b,
                        int *empty, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int rc;
    *empty = 0;
    if (!R->hint) {
        rc = nnh_bounds_create(G->folded, R->lo, R->hi, b, err);
    } else if (!(rc = nnh_bounds_copy(R->hint, b, err))) {
        memcpy((*b)->in_lo, R->lo, (size_t)P->n_in * sizeof(double));
        memcpy((*b)->in_hi, R->hi, (size_t)P->n_in * sizeof(double));
    }
    if (!rc)
        *empty = nnh_splits_apply(G->folded, R, *b);
    return rc;
}

int nnh_verify_region(const nnh_verify_problem *P, const nnh_bab_region *R, const nnh_verify_opts *o,
                      double deadline, nnh_region_result *res, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    result_reset(G, res);
    for (int j = 0; j < P->n_in; j++)
        if (!(R->lo[j] <= R->hi[j])) { /* empty box: nothing to find */
            memset(res->closed, 1, (size_t)G->n_cases);
            res->status = NNH_REGION_UNSAT;
            return NNH_OK;
        }
    for (int j = 0; j < P->n_in; j++) /* best point defaults to the center */
        res->x[j] = 0.5 * R->lo[j] + 0.5 * R->hi[j];
    nnh_bounds *b = NULL;
    size_t nr = (size_t)G->n_rows, n = (size_t)P->n_in;
    /* row bounds, case joint bounds, crown's lower forms of the rows, the
     * optima of the rows' bound problems */
    double *lbs = malloc((nr + (size_t)G->n_cases + 2 * nr * n + nr + 2 * n) * sizeof(double));
    int empty = 0, from[2];
    node_from(P, R, o->node_layers, from);
    int rc = lbs ? start_bounds(P, R, &b, &empty, err)
                 : nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    nnh_crown_forms forms = {NULL, NULL, NULL, NULL};
    if (lbs) {
        forms.A = lbs + nr + G->n_cases;
        forms.c = forms.A + nr * n;
        forms.in_lo = forms.c + nr;
        forms.in_hi = forms.in_lo + n;
    }
    if (!rc && empty)
        close_all(G, res);
    else if (!rc)
        rc = decide(P, R, o, deadline, from, b, &forms, lbs, lbs + nr, forms.in_hi + n, res,
                    err);
    nnh_bounds_free(res->bounds);
    res->bounds = NULL;
    if (!rc && res->status == NNH_REGION_OPEN)
        res->bounds = b;
    else
        nnh_bounds_free(b);
    free(lbs);
    return rc;
}

int nnh_verify_falsify_part(const nnh_verify_problem *P, const nnh_bab_region *R,
                            const nnh_verify_opts *o, int shares, int part, double deadline,
                            nnh_region_result *res, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    result_reset(G, res);
    for (int j = 0; j < P->n_in; j++)
        if (!(R->lo[j] <= R->hi[j]))
            return NNH_OK;
    int samples = o->samples / shares, starts = o->starts / shares;
    if (part) { /* the rest, on fresh points (the corners were scanned before) */
        samples = o->samples - samples;
        starts = o->starts - starts;
    }
    if (samples <= 0 && starts <= 0 && part)
        return NNH_OK;
    unsigned long long salt = part ? 0xF00DULL ^ 0x5EC0ULL : 0xF00DULL;
    double t0 = nnh_now();
    int rc = nnh_falsify_region(P, R, NULL, 0, samples, starts, o->steps,
                                part ? 0 : o->max_corners_dim, INFINITY,
                                nnh_region_seed(P, R, o->seed ^ salt), deadline, res, err);
    res->seconds_falsify = nnh_now() - t0;
    return rc;
}

int nnh_verify_falsify(const nnh_verify_problem *P, const nnh_bab_region *R,
                       const nnh_verify_opts *o, double deadline, nnh_region_result *res,
                       nnh_error *err)
{
    return nnh_verify_falsify_part(P, R, o, 1, 0, deadline, res, err);
}
