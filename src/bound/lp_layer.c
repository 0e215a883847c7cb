/* The LP of a network prefix for layer k, built once per layer
 * (include/nnhull/engine.h, nnh_lp_layer_create): columns x, z_j, a_j
 * (j < k) boxed by rigorous bounds, equality rows z_j = W_j a_{j-1} + b_j,
 * exact rows for linear neurons and initial envelope planes for the others;
 * optionally a cut pool (1-D cuts of fixed aggregate objectives,
 * opts.pool_rounds, identical for lp1d and hull); then one solve whose basis
 * every task restarts from. The model is stored column by column
 * (compact_model) and its rows are copied for the safe bound, since GLPK
 * and lp_safe.c walk them on every solve. The tasks are in lp_bound.c, the cut loop both
 * use in lp_cuts.c. */
#include "lp_cuts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Planes per neuron at creation: crown pair + tangents/secants on both sides. */
#define LP_MAX_INIT_PLANES 12

/* Column j boxed by [lo, hi] (lp_layer.h). */
void nnh_lp_col_box(glp_prob *P, int j, double lo, double hi)
{
    int lf = isfinite(lo), hf = isfinite(hi);
    int t = lf && hf ? (lo == hi ? GLP_FX : GLP_DB) : lf ? GLP_LO : hf ? GLP_UP : GLP_FR;
    glp_set_col_bnds(P, j, t, lf ? lo : 0.0, hf ? hi : 0.0);
}

int nnh_lp_linear_piece(const nnh_activation *a, double L, double U, double *s)
{
    switch (a->kind) {
    case NNH_ACT_IDENTITY:
        *s = 1.0;
        return 1;
    case NNH_ACT_RELU:
    case NNH_ACT_LEAKY_RELU:
    case NNH_ACT_ELU:
    case NNH_ACT_SELU:
        if (L >= 0.0) {
            *s = a->kind == NNH_ACT_SELU ? a->lambda : 1.0;
            return 1;
        }
        if (U <= 0.0 && a->kind == NNH_ACT_RELU) {
            *s = 0.0;
            return 1;
        }
        if (U <= 0.0 && a->kind == NNH_ACT_LEAKY_RELU) {
            *s = a->alpha;
            return 1;
        }
        return 0;
    default:
        return 0;
    }
}

int nnh_lp_stable(const nnh_activation *a, double lo, double hi)
{
    double s;
    return a->kind != NNH_ACT_IDENTITY && isfinite(lo) && isfinite(hi) &&
           nnh_lp_linear_piece(a, lo, hi, &s);
}

/* Row a_col - s z_col (in [lo, hi]); returns the new row number. */
static int add_plane_row(glp_prob *P, int acol, int zcol, double s, int type, double lo, double hi)
{
    int r = glp_add_rows(P, 1);
    int ind[3] = {0, acol, zcol};
    double val[3] = {0.0, 1.0, -s};
    glp_set_mat_row(P, r, s == 0.0 ? 1 : 2, ind, val);
    glp_set_row_bnds(P, r, type, lo, hi);
    return r;
}

typedef struct {
    int side;
    double s, c;
} plane;

static int plane_known(const plane *pl, int n, int side, double s, double c)
{
    for (int t = 0; t < n; t++)
        if (pl[t].side == side && fabs(pl[t].s - s) <= 1e-12 * (1.0 + fabs(s)) &&
            fabs(pl[t].c - c) <= 1e-12 * (1.0 + fabs(c)))
            return 1;
    return 0;
}

static int push_plane(plane *pl, int n, int side, double s, double c)
{
    if (!isfinite(s) || !isfinite(c) || n >= LP_MAX_INIT_PLANES || plane_known(pl, n, side, s, c))
        return n;
    pl[n].side = side;
    pl[n].s = s;
    pl[n].c = c;
    return n + 1;
}

/* Rows a = act(z) of one neuron (lp_layer.h): an exact row for a linear
 * piece, else the crown pair and envelope planes at L, U, the midpoint and
 * the tie points, on both sides. */
void nnh_lp_link_rows(glp_prob *P, const nnh_activation *act, int acol, int zcol, double L,
                      double U)
{
    double s = 1.0;
    if (L == U || nnh_lp_linear_piece(act, L, U, &s)) {
        if (L < U && s == 0.0)
            glp_set_col_bnds(P, acol, GLP_FX, 0.0, 0.0);
        else if (L < U)
            add_plane_row(P, acol, zcol, s, GLP_FX, 0.0, 0.0);
        /* L == U: z and a are fixed by their boxes already */
        return;
    }
    if (!(isfinite(L) && isfinite(U) && L < U))
        return; /* the a column box is then all we use; still valid */
    plane pl[LP_MAX_INIT_PLANES];
    int n = 0;
    double ls, lc, us, uc, sl, c;
    nnh_env1d_linear_relax(act, L, U, &ls, &lc, &us, &uc);
    n = push_plane(pl, n, +1, us, uc);
    n = push_plane(pl, n, -1, ls, lc);
    double zu = nnh_tie_upper(act, L, U, NAN), zl = nnh_tie_lower(act, L, U, NAN);
    double pts[5] = {L, U, 0.5 * (L + U), zu, zl};
    for (int side = +1; side >= -1; side -= 2)
        for (int t = 0; t < 5; t++) {
            if (!(pts[t] >= L && pts[t] <= U))
                continue;
            nnh_env1d_cut(act, L, U, pts[t], side, &sl, &c);
            n = push_plane(pl, n, side, sl, c);
        }
    for (int t = 0; t < n; t++) {
        if (pl[t].side > 0)
            add_plane_row(P, acol, zcol, pl[t].s, GLP_UP, 0.0, pl[t].c);
        else
            add_plane_row(P, acol, zcol, pl[t].s, GLP_LO, pl[t].c, 0.0);
    }
}

/* Copy the boxes of every a_{j-1} (x for j = 0) the neurons of layers < k see. */
static int copy_boxes(nnh_lp_layer *L, const nnh_bounds *b, double ***lo, double ***hi,
                      nnh_error *err)
{
    const nnh_network *net = L->net;
    size_t tot = (size_t)net->n_inputs;
    for (int j = 0; j + 1 < L->k; j++)
        tot += (size_t)net->layers[j].n_out;
    L->boxes = malloc(2 * tot * sizeof(double) + 1);
    *lo = malloc((size_t)(L->k + 1) * sizeof(double *));
    *hi = malloc((size_t)(L->k + 1) * sizeof(double *));
    if (!L->boxes || !*lo || !*hi)
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    double *p = L->boxes;
    (*lo)[0] = p;
    (*hi)[0] = p + net->n_inputs;
    for (int t = 0; t < net->n_inputs; t++)
        nnh_bounds_input(net, b, t, &(*lo)[0][t], &(*hi)[0][t]);
    p += 2 * (size_t)net->n_inputs;
    for (int j = 0; j + 1 < L->k; j++) {
        int w = net->layers[j].n_out;
        (*lo)[j + 1] = p;
        (*hi)[j + 1] = p + w;
        memcpy(p, b->layers[j].post_lo, (size_t)w * sizeof(double));
        memcpy(p + w, b->layers[j].post_hi, (size_t)w * sizeof(double));
        p += 2 * (size_t)w;
    }
    return NNH_OK;
}

static int check_box(const double *lo, const double *hi, int n, const char *what, int layer,
                     nnh_error *err)
{
    for (int t = 0; t < n; t++)
        if (!(lo[t] <= hi[t]))
            return nnh_error_set(err, NNH_EINVAL,
                                 "lp_layer.c: layer %d: empty or NaN %s bound of neuron %d "
                                 "([%g, %g])",
                                 layer, what, t, lo[t], hi[t]);
    return NNH_OK;
}

/* The envelope of neuron i of layer Ly over its receptive field: the whole
 * box [lo, hi] of a_{j-1} for a dense row, else the box gathered at the row's
 * columns into the context's rf_lo / rf_hi. */
static void receptive_field(nnh_lp_layer *L, nnh_lp_neuron *nq, const nnh_layer *Ly, int i,
                            const double *lo, const double *hi)
{
    nq->env.n = nnh_layer_row(Ly, i, &nq->cols, &nq->env.w);
    nq->env.b = Ly->b[i];
    if (!nq->cols) {
        nq->env.l = lo;
        nq->env.u = hi;
        return;
    }
    double *gl = L->rf_lo + nq->coef_off, *gh = L->rf_hi + nq->coef_off;
    for (int t = 0; t < nq->env.n; t++) {
        gl[t] = lo[nq->cols[t]];
        gh[t] = hi[nq->cols[t]];
    }
    nq->env.l = gl;
    nq->env.u = gh;
}

/* Width of a_{j-1} (the network input when j = 0). */
static int in_width(const nnh_network *net, int j)
{
    return j == 0 ? net->n_inputs : net->layers[j - 1].n_out;
}

/* Columns, equality rows and per-neuron relaxation rows of layers j0..k-1;
 * the window's input a_{j0-1} (x when j0 = 0) is a box of columns with the
 * certified bounds blo/bhi[j0], the box its neurons' hulls are defined on. */
static int build_model(nnh_lp_layer *L, const nnh_bounds *b, double **blo, double **bhi,
                       nnh_error *err)
{
    const nnh_network *net = L->net;
    glp_prob *P = L->P;
    int n_in = in_width(net, L->j0), rc;
    if ((rc = check_box(blo[L->j0], bhi[L->j0], n_in, L->j0 ? "window input" : "input",
                        L->j0 ? L->j0 - 1 : 0, err)))
        return rc;
    glp_add_cols(P, n_in);
    for (int t = 0; t < n_in; t++)
        nnh_lp_col_box(P, 1 + t, blo[L->j0][t], bhi[L->j0][t]);
    int prev = 1, q = 0;
    L->max_prev = 0;
    for (int j = L->j0; j < L->k; j++) {
        const nnh_layer *Ly = &net->layers[j];
        const nnh_layer_bounds *B = &b->layers[j];
        int w = Ly->n_out;
        if ((rc = check_box(B->pre_lo, B->pre_hi, w, "pre-activation", j, err)) ||
            (rc = check_box(B->post_lo, B->post_hi, w, "post-activation", j, err)))
            return rc;
        int zc = glp_add_cols(P, w), ac = glp_add_cols(P, w);
        for (int i = 0; i < w; i++) {
            nnh_lp_col_box(P, zc + i, B->pre_lo[i], B->pre_hi[i]);
            nnh_lp_col_box(P, ac + i, B->post_lo[i], B->post_hi[i]);
        }
        /* z_{j,i} - W_j[i,:] a_{j-1} = b_j[i] */
        for (int i = 0; i < w; i++) {
            const int *cols;
            const double *wr;
            int n = nnh_layer_row(Ly, i, &cols, &wr), len = 0;
            L->ind[++len] = zc + i;
            L->val[len] = 1.0;
            for (int t = 0; t < n; t++)
                if (wr[t] != 0.0) {
                    L->ind[++len] = prev + NNH_ROW_COL(cols, t);
                    L->val[len] = -wr[t];
                }
            int r = glp_add_rows(P, 1);
            glp_set_mat_row(P, r, len, L->ind, L->val);
            glp_set_row_bnds(P, r, GLP_FX, Ly->b[i], Ly->b[i]);
        }
        if (Ly->n_in > L->max_prev)
            L->max_prev = Ly->n_in;
        for (int i = 0; i < w; i++, q++) {
            nnh_lp_neuron *nq = &L->nr[q];
            nq->layer = j;
            nq->idx = i;
            nq->zcol = zc + i;
            nq->acol = ac + i;
            nq->prev_col = prev;
            nq->L = B->pre_lo[i];
            nq->U = B->pre_hi[i];
            nq->env.act = &Ly->act;
            receptive_field(L, nq, Ly, i, blo[j], bhi[j]);
            double s = 1.0;
            nq->kind = nq->L == nq->U || nnh_lp_linear_piece(&Ly->act, nq->L, nq->U, &s)
                           ? NNH_LPN_EXACT
                           : NNH_LPN_RELAX;
            nnh_lp_link_rows(P, &Ly->act, nq->acol, nq->zcol, nq->L, nq->U);
        }
        prev = ac;
    }
    if (L->j0 > 0 && L->opts.window_forms && (rc = nnh_lp_window_forms(L, b, err)))
        return rc;
    L->obj_col = prev;
    L->n_obj = net->layers[L->k].n_in;
    L->n_cols = glp_get_num_cols(P);
    L->base_m = glp_get_num_rows(P);
    return NNH_OK;
}

/* A feasible basis of the model from scratch; 0 on success. */
static int solve_from_scratch(nnh_lp_layer *L)
{
    glp_prob *P = L->P;
    /* glp_adv_basis talks on the terminal; the library must not print */
    int term = glp_term_out(GLP_OFF);
    glp_adv_basis(P, 0);
    glp_term_out(term);
    int cap = 20 * (glp_get_num_rows(P) + L->n_cols) + 1000;
    if (nnh_lp_simplex(L, GLP_PRIMAL, cap, NULL) == 0)
        return 0;
    glp_std_basis(P);
    return nnh_lp_simplex(L, GLP_PRIMAL, cap, NULL);
}

/* Aggregate objective sgn * sum_i w_{k,i}^T a_{k-1} for the pool. */
static void set_aggregate_objective(nnh_lp_layer *L, double sgn)
{
    const nnh_layer *Lk = &L->net->layers[L->k];
    double *c = L->cost + L->obj_col - 1;
    memset(c, 0, (size_t)L->n_obj * sizeof(double));
    for (int i = 0; i < Lk->n_out; i++) {
        const int *cols;
        const double *w;
        int n = nnh_layer_row(Lk, i, &cols, &w);
        for (int t = 0; t < n; t++)
            c[NNH_ROW_COL(cols, t)] += w[t];
    }
    for (int t = 0; t < L->n_obj; t++) {
        c[t] *= sgn;
        glp_set_obj_coef(L->P, L->obj_col + t, c[t]);
    }
}

/* Cut pool seeding, once at creation from the solved starting LP: phase-1
 * (1-D) cut loops of opts.pool_rounds rounds on the fixed objectives min and
 * max of sum_i w_{k,i}^T a_{k-1}; the cuts found stay in the model as base
 * rows (L->base_m grows). Leaves a zero objective. Deterministic. */
static void seed_pool(nnh_lp_layer *L)
{
    if (L->no_lp || L->opts.pool_rounds <= 0)
        return;
    nnh_bound_opts saved = L->opts;
    L->opts.max_rounds = L->opts.pool_rounds;
    L->opts.slack_rounds = 0; /* pool cuts are kept whole */
    for (int s = 0; s < 2; s++) {
        set_aggregate_objective(L, s == 0 ? 1.0 : -1.0);
        if (nnh_lp_simplex(L, GLP_PRIMAL, 0, NULL) != 0)
            break;
        double best = -INFINITY;
        int n_added = 0;
        int rc = nnh_lp_cut_phase(L, 0, &best, &n_added, NULL);
        /* later objectives start from these rows: a cut they already
         * satisfy is never separated again, so the pool has no duplicates */
        L->base_m = glp_get_num_rows(L->P);
        if (rc != 0)
            break;
    }
    L->opts = saved;
    for (int t = 0; t < L->n_obj; t++) {
        L->cost[L->obj_col - 1 + t] = 0.0;
        glp_set_obj_coef(L->P, L->obj_col + t, 0.0);
    }
}

/* Starting basis: a feasible basis of the model (with the cut pool, if any)
 * and a zero objective. */
static int initial_solve(nnh_lp_layer *L)
{
    glp_prob *P = L->P;
    for (int j = 1; j <= L->n_cols; j++)
        glp_set_obj_coef(P, j, 0.0);
    /* feasible in exact arithmetic (it relaxes the network), so a failure is
     * numerical trouble: every task then answers the creation bound */
    if (solve_from_scratch(L) != 0) {
        L->no_lp = 1;
        return NNH_OK;
    }
    if (L->opts.pool_rounds > 0) {
        seed_pool(L); /* leaves a zero objective */
        if (nnh_lp_simplex(L, GLP_PRIMAL, 0, NULL) != 0 && solve_from_scratch(L) != 0) {
            L->no_lp = 1;
            return NNH_OK;
        }
    }
    for (int r = 1; r <= L->base_m; r++)
        L->row_stat[r] = glp_get_row_stat(P, r);
    for (int j = 1; j <= L->n_cols; j++)
        L->col_stat[j] = glp_get_col_stat(P, j);
    return NNH_OK;
}

/* Neurons of layers j0..k-1 (the LP's relaxed and exact neurons). */
static int count_neurons(const nnh_network *net, int j0, int k)
{
    int n = 0;
    for (int j = j0; j < k; j++)
        n += net->layers[j].n_out;
    return n;
}

/* The schema's ranges (nnh_bound_opts_check), plus the products that size
 * the cut buffers. */
static int check_opts(const nnh_bound_opts *o, int k, nnh_error *err)
{
    int rc = nnh_bound_opts_check(o, err);
    if (rc)
        return nnh_error_prefix(err, "lp_layer.c: layer %d", k);
    if ((long)o->max_rounds * o->max_cuts_per_round > 1000000L ||
        (long)o->pool_rounds * o->max_cuts_per_round > 1000000L)
        return nnh_error_set(err, NNH_EINVAL,
                             "lp_layer.c: layer %d: too many cuts per task (max_rounds %d or "
                             "pool_rounds %d times max_cuts_per_round %d exceeds 1e6)",
                             k, o->max_rounds, o->pool_rounds, o->max_cuts_per_round);
    return NNH_OK;
}

/* Buffers sized once; the cut loop only indexes into them. */
static int alloc_buffers(nnh_lp_layer *L, nnh_error *err)
{
    const nnh_network *net = L->net;
    int maxw = nnh_network_max_width(net);
    /* phase 1: one family per round; hull's phase 2: two (lp_cuts.c) */
    int families = L->opts.method == NNH_METHOD_HULL ? 3 : 1;
    int rounds = families * L->opts.max_rounds;
    if (L->opts.pool_rounds > rounds) /* one pool objective's loop uses added[] too */
        rounds = L->opts.pool_rounds;
    L->cap_added = rounds * L->opts.max_cuts_per_round;
    /* pool rows: two objectives of pool_rounds rounds each */
    L->cap_pool = 2 * L->opts.pool_rounds * L->opts.max_cuts_per_round;
    size_t coef_tot = 0, rf_tot = 0;
    for (int j = L->j0; j < L->k; j++) {
        coef_tot += nnh_layer_nnz(&net->layers[j]);
        rf_tot += net->layers[j].W ? 0 : nnh_layer_nnz(&net->layers[j]);
    }
    if (rf_tot) {
        L->rf_lo = malloc(coef_tot * sizeof(double));
        L->rf_hi = malloc(coef_tot * sizeof(double));
        if (!L->rf_lo || !L->rf_hi)
            return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    }
    int wk = net->layers[L->k].n_out;
    int cols_cap = count_neurons(net, L->j0, L->k) * 2 + in_width(net, L->j0);
    L->nr = calloc((size_t)count_neurons(net, L->j0, L->k) + 1, sizeof *L->nr);
    L->ind = malloc((size_t)(cols_cap + maxw + 3) * sizeof(int));
    L->val = malloc((size_t)(cols_cap + maxw + 3) * sizeof(double));
    L->cand = calloc(2 * (size_t)count_neurons(net, L->j0, L->k) + 1, sizeof *L->cand);
    L->order = malloc((2 * (size_t)count_neurons(net, L->j0, L->k) + 1) * sizeof(int));
    L->cand_coef = malloc((coef_tot + 1) * sizeof(double));
    L->added = calloc((size_t)L->cap_added + 1, sizeof *L->added);
    L->added_coef = malloc(((size_t)L->cap_added * (size_t)maxw + 1) * sizeof(double));
    L->del_rows = malloc(((size_t)L->cap_added + 2) * sizeof(int));
    L->slack_cnt = malloc(((size_t)L->cap_added + 1) * sizeof(int));
    L->row_cut = malloc(((size_t)L->cap_added + 1) * sizeof(int));
    L->init_lo = malloc((size_t)wk * sizeof(double));
    L->init_hi = malloc((size_t)wk * sizeof(double));
    L->xg = malloc(((size_t)maxw + 1) * sizeof(double));
    if (!L->xg)
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    if (!L->nr || !L->ind || !L->val || !L->cand || !L->order || !L->cand_coef || !L->added ||
        !L->added_coef || !L->del_rows || !L->slack_cnt || !L->row_cut || !L->init_lo || !L->init_hi)
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    return nnh_env_ws_init(&L->ews, maxw > 0 ? maxw : 1, err);
}

/* After the model exists: basis and per-solve buffers. */
static int alloc_model_buffers(nnh_lp_layer *L, nnh_error *err)
{
    L->row_stat = malloc((size_t)(L->base_m + L->cap_pool + 1) * sizeof(int));
    L->col_stat = malloc((size_t)(L->n_cols + 1) * sizeof(int));
    L->cost = calloc((size_t)L->n_cols + 1, sizeof(double));
    /* one spare column (and a row per output) for nnh_lp_layer_bound_max's t */
    L->xv = calloc((size_t)L->n_cols + 2, sizeof(double));
    if (!L->row_stat || !L->col_stat || !L->cost || !L->xv)
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    int wk = L->net->layers[L->k].n_out;
    return nnh_lp_safe_ws_init(&L->safe, L->base_m + L->cap_pool + L->cap_added + wk,
                               L->n_cols + 1, err);
}

/* 1 when every coefficient and finite bound of the LP of layer k is within
 * NNH_LP_MAX_MAGNITUDE: weights and biases of layers j0..k, the window's
 * input box and the bounds of layers j0..k-1 (infinite bounds give free or
 * one-sided columns). */
static int bounds_in_scale(const double *lo, const double *hi, size_t n)
{
    for (size_t i = 0; i < n; i++) /* NaN and empty boxes are check_box's to report */
        if (!isnan(lo[i]) && !isnan(hi[i]) &&
            (!nnh_lp_in_scale(&lo[i], 1, 1) || !nnh_lp_in_scale(&hi[i], 1, 1)))
            return 0;
    return 1;
}

static int model_in_scale(const nnh_lp_layer *L, const nnh_bounds *b)
{
    const nnh_network *net = L->net;
    if (L->j0 == 0 && !bounds_in_scale(b->in_lo, b->in_hi, (size_t)net->n_inputs))
        return 0;
    if (L->j0 > 0) { /* the window's input box: post bounds of layer j0-1 */
        const nnh_layer_bounds *B = &b->layers[L->j0 - 1];
        if (!bounds_in_scale(B->post_lo, B->post_hi, (size_t)B->width))
            return 0;
    }
    for (int j = L->j0; j <= L->k; j++) {
        const nnh_layer *Ly = &net->layers[j];
        size_t w = (size_t)Ly->n_out;
        if (!nnh_lp_in_scale(Ly->W ? Ly->W : Ly->sp_val, nnh_layer_nnz(Ly), 0) ||
            !nnh_lp_in_scale(Ly->b, w, 0))
            return 0;
        if (j == L->k)
            break;
        const nnh_layer_bounds *B = &b->layers[j];
        if (!bounds_in_scale(B->pre_lo, B->pre_hi, w) || !bounds_in_scale(B->post_lo, B->post_hi, w))
            return 0;
    }
    return 1;
}

/* Rebuild the model into a fresh problem, column by column, so that the
 * elements of every column lie next to each other in memory. GLPK walks the
 * whole matrix by columns at the start of every glp_simplex call (it copies
 * the problem into its working format); in the row-by-row order build_model
 * adds them, consecutive elements of a column are a whole row of the dense
 * W_j apart and every step of that walk misses the cache (docs/benchmarks.md
 * section 6, fourth round: a glp_simplex call that does no iteration took
 * 8.6 ms at window 1 and 17 ms at window 2 on the 6x200 net, 3 ms after
 * this). Same rows, columns, bounds and coefficients, same numbering. */
static int compact_model(nnh_lp_layer *L, nnh_error *err)
{
    glp_prob *P = L->P;
    int m = glp_get_num_rows(P), n = glp_get_num_cols(P);
    int *ind = malloc((size_t)(m + 1) * sizeof(int));
    double *val = malloc((size_t)(m + 1) * sizeof(double));
    if (!ind || !val) {
        free(ind);
        free(val);
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", L->k);
    }
    glp_prob *Q = glp_create_prob();
    glp_set_obj_dir(Q, glp_get_obj_dir(P));
    if (m > 0)
        glp_add_rows(Q, m);
    if (n > 0)
        glp_add_cols(Q, n);
    for (int r = 1; r <= m; r++)
        glp_set_row_bnds(Q, r, glp_get_row_type(P, r), glp_get_row_lb(P, r),
                         glp_get_row_ub(P, r));
    for (int j = 1; j <= n; j++) {
        glp_set_col_bnds(Q, j, glp_get_col_type(P, j), glp_get_col_lb(P, j),
                         glp_get_col_ub(P, j));
        glp_set_obj_coef(Q, j, glp_get_obj_coef(P, j));
        int len = glp_get_mat_col(P, j, ind, val);
        glp_set_mat_col(Q, j, len, ind, val);
    }
    free(ind);
    free(val);
    glp_delete_prob(P);
    L->P = Q;
    return NNH_OK;
}

typedef struct model_call {
    nnh_lp_layer *L;
    const nnh_bounds *b;
    double **blo, **bhi;
    nnh_error *err;
} model_call;

/* The GLPK part of nnh_lp_layer_create, run under nnh_glpk_guard. */
static int build_and_solve(void *arg)
{
    model_call *c = arg;
    nnh_lp_layer *L = c->L;
    L->P = glp_create_prob();
    L->epoch = nnh_glpk_epoch();
    glp_set_obj_dir(L->P, GLP_MIN);
    int rc = build_model(L, c->b, c->blo, c->bhi, c->err);
    if (!rc)
        rc = compact_model(L, c->err);
    if (!rc)
        rc = alloc_model_buffers(L, c->err);
    if (!rc)
        rc = initial_solve(L);
    /* the model's rows never change after this; tasks add and remove
     * rows after base_m only */
    if (!rc && !L->no_lp)
        rc = nnh_lp_safe_ws_keep_rows(&L->safe, L->P, L->base_m, c->err);
    return rc;
}

int nnh_lp_layer_create(const nnh_network *net, const nnh_bounds *b, int k,
                        const nnh_bound_opts *o, nnh_lp_layer **out, nnh_error *err)
{
    *out = NULL;
    if (k < 0 || k >= net->n_layers || b->n_layers != net->n_layers || b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "lp_layer.c: layer %d: bad layer or bounds shape",
                             k);
    int rc = check_opts(o, k, err);
    if (rc)
        return rc;
    nnh_lp_layer *L = calloc(1, sizeof *L);
    if (!L)
        return nnh_error_set(err, NNH_ENOMEM, "lp_layer.c: layer %d: out of memory", k);
    L->net = net;
    L->k = k;
    L->opts = *o;
    L->opts.task_iter_limit = nnh_bound_opts_iter_limit(o, k, net->n_layers);
    L->task_iters_left = -1; /* no task budget during creation */
    int win = nnh_bound_opts_window(o, k, net->n_layers);
    L->j0 = win > 0 ? k - win : 0;
    double **blo = NULL, **bhi = NULL;
    if ((rc = alloc_buffers(L, err)) || (rc = copy_boxes(L, b, &blo, &bhi, err)))
        goto fail;
    L->n_nr = count_neurons(net, L->j0, k);
    int wk = net->layers[k].n_out;
    memcpy(L->init_lo, b->layers[k].pre_lo, (size_t)wk * sizeof(double));
    memcpy(L->init_hi, b->layers[k].pre_hi, (size_t)wk * sizeof(double));
    size_t off = 0;
    for (int q = 0, j = L->j0; j < k; j++)
        for (int i = 0; i < net->layers[j].n_out; i++, q++) {
            const int *cols;
            const double *w;
            L->nr[q].coef_off = (int)off;
            off += (size_t)nnh_layer_row(&net->layers[j], i, &cols, &w);
        }
    L->obj_b = net->layers[k].b;
    if ((rc = nnh_lp_priority(L, b, err)))
        goto fail;
    if (!model_in_scale(L, b))
        L->no_lp = 1; /* beyond what GLPK handles: every task keeps init_lo/hi */
    else {
        model_call c = {L, b, blo, bhi, err};
        nnh_error gerr;
        rc = nnh_glpk_guard(build_and_solve, &c, &gerr);
        if (rc == NNH_ELP && L->epoch != nnh_glpk_epoch()) {
            L->P = NULL; /* GLPK failed: gone with its environment */
            L->no_lp = 1;
            rc = NNH_OK;
        }
        if (rc)
            goto fail;
    }
    /* the wide context last: it is a whole context of its own (lp_wide.c) */
    if ((rc = nnh_lp_wide(L, b, err)))
        goto fail;
    free(blo);
    free(bhi);
    *out = L;
    return NNH_OK;
fail:
    free(blo);
    free(bhi);
    nnh_lp_layer_free(L);
    return rc;
}

void nnh_lp_layer_free(nnh_lp_layer *L)
{
    if (!L)
        return;
    if (L->P && L->epoch == nnh_glpk_epoch())
        glp_delete_prob(L->P);
    free(L->row_stat);
    free(L->col_stat);
    free(L->init_lo);
    free(L->init_hi);
    free(L->boxes);
    free(L->rf_lo);
    free(L->rf_hi);
    free(L->xg);
    free(L->nr);
    free(L->cost);
    free(L->xv);
    free(L->ind);
    free(L->val);
    free(L->cand);
    free(L->order);
    free(L->cand_coef);
    free(L->added);
    free(L->added_coef);
    free(L->del_rows);
    free(L->slack_cnt);
    free(L->row_cut);
    free(L->skip);
    free(L->wide_sel);
    nnh_lp_layer_free(L->wide);
    nnh_env_ws_free(&L->ews);
    nnh_lp_safe_ws_free(&L->safe);
    free(L);
}
