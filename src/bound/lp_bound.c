/* The LP bound tasks on a layer context (include/nnhull/engine.h,
 * nnh_lp_layer_bound and nnh_lp_layer_bound_max): set the objective, restart
 * from the layer's starting basis, solve, run the cut loop (lp_cuts.c) and
 * report the best safe dual bound (lp_safe.c) over every LP solved; the
 * task's rows are removed before returning, so the result depends only on
 * the task. */
#include "lp_cuts.h"
#include "nnh_clock.h"
#include "nnh_round.h"

#include <math.h>

static void restore_basis(nnh_lp_layer *L)
{
    glp_prob *P = L->P;
    if (L->no_lp)
        return;
    int m = glp_get_num_rows(P);
    if (m > L->base_m) {
        int n = 0;
        for (int r = L->base_m + 1; r <= m; r++)
            L->del_rows[++n] = r;
        glp_del_rows(P, n, L->del_rows);
    }
    for (int r = 1; r <= L->base_m; r++)
        glp_set_row_stat(P, r, L->row_stat[r]);
    for (int j = 1; j <= L->n_cols; j++)
        glp_set_col_stat(P, j, L->col_stat[j]);
}

/* Objective sgn * w_{k,i}^T a_{k-1} in GLPK and in the dense cost vector. */
static void set_objective(nnh_lp_layer *L, int i, double sgn)
{
    const int *cols;
    const double *w;
    int n = nnh_layer_row(&L->net->layers[L->k], i, &cols, &w);
    if (cols) /* a sparse row sets its receptive field only */
        for (int t = 0; t < L->n_obj; t++) {
            L->cost[L->obj_col - 1 + t] = 0.0;
            glp_set_obj_coef(L->P, L->obj_col + t, 0.0);
        }
    for (int t = 0; t < n; t++) {
        double c = sgn * w[t];
        int col = NNH_ROW_COL(cols, t);
        L->cost[L->obj_col - 1 + col] = c;
        glp_set_obj_coef(L->P, L->obj_col + col, c);
    }
}

/* 1 when neuron i of layer k gets no LP (opts.skip_fraction, skip_width,
 * skip_stable):
 * its creation bound is the answer. Depends only on the creation bounds,
 * so lp1d and hull skip the same tasks. */
static int skip_task(const nnh_lp_layer *L, int i)
{
    double lo = L->init_lo[i], hi = L->init_hi[i];
    if (L->skip && L->skip[i])
        return 1;
    if (L->opts.skip_width > 0.0 && hi - lo < L->opts.skip_width)
        return 1;
    /* identity (an affine output layer) is "one piece" everywhere: never skipped */
    return L->opts.skip_stable && nnh_lp_stable(&L->net->layers[L->k].act, lo, hi);
}

/* The running task's budgets (opts.task_time_limit, task_iter_limit). */
static void start_budget(nnh_lp_layer *L)
{
    L->task_deadline = L->opts.task_time_limit > 0.0 ? nnh_now() + L->opts.task_time_limit : 0.0;
    L->task_iters_left = L->opts.task_iter_limit > 0 ? L->opts.task_iter_limit : -1;
}

static void end_budget(nnh_lp_layer *L)
{
    L->task_deadline = 0.0;
    L->task_iters_left = -1;
}

typedef struct bound_call {
    nnh_lp_layer *L;
    int i;
    double sgn;
    nnh_layer_stats *st;
    double best; /* minimum of sgn * w^T a found, -inf when none */
} bound_call;

/* The GLPK part of one task, run under nnh_glpk_guard. */
static int bound_glpk(void *arg)
{
    bound_call *c = arg;
    nnh_lp_layer *L = c->L;
    set_objective(L, c->i, c->sgn);
    restore_basis(L);
    start_budget(L);
    c->best = nnh_lp_task_solve(L, c->st);
    end_budget(L);
    restore_basis(L);
    return NNH_OK;
}

/* Run fn on L under the GLPK guard; a GLPK failure leaves L without an LP
 * (every later task of L answers its creation bound). */
static void run_guarded(nnh_lp_layer *L, int (*fn)(void *), void *arg)
{
    nnh_error gerr;
    if (nnh_glpk_guard(fn, arg, &gerr) != NNH_OK)
        (void)nnh_lp_layer_dead(L);
}

int nnh_lp_layer_bound(nnh_lp_layer *L, int i, int sense, double *bound, nnh_layer_stats *st,
                       nnh_error *err)
{
    int wk = L->net->layers[L->k].n_out;
    if (i < 0 || i >= wk || sense == 0)
        return nnh_error_set(err, NNH_EINVAL,
                             "lp_bound.c: layer %d: bad task (neuron %d of %d, sense %d)", L->k,
                             i, wk, sense);
    double init = sense < 0 ? L->init_lo[i] : L->init_hi[i];
    *bound = init;
    if (skip_task(L, i))
        return NNH_OK;
    /* opts.wide_fraction: the task on the wider window's context (lp_wide.c;
     * the same creation bounds, so the same init); a wide context whose LP
     * failed leaves the task to this one */
    if (L->wide_sel && L->wide_sel[i] && L->wide && !nnh_lp_layer_dead(L->wide))
        return nnh_lp_layer_bound(L->wide, i, sense, bound, st, err);
    /* minimise sgn * w^T a: sgn = +1 for the lower bound, -1 for the upper */
    bound_call c = {L, i, sense < 0 ? 1.0 : -1.0, st, -INFINITY};
    if (!nnh_lp_layer_dead(L))
        run_guarded(L, bound_glpk, &c);
    double best = c.best;
    if (!isfinite(best)) {
        if (st)
            st->fallbacks++;
        return NNH_OK;
    }
    double bi = L->obj_b[i];
    if (sense < 0) {
        double lo = nnh_down(best + bi);
        if (lo > init)
            *bound = lo;
    } else {
        double hi = nnh_up(-best + bi);
        if (hi < init)
            *bound = hi;
    }
    return NNH_OK;
}

/* Column t and rows t - w_{k,r}^T a_{k-1} >= b_r of the joint task; t
 * starts nonbasic at its upper end (every row then holds at any point the
 * bounds allow) and the rows' auxiliaries basic, so the basis stays valid. */
static int add_max_model(nnh_lp_layer *L, const int *rows, int n_rows, double tlo, double thi)
{
    glp_prob *P = L->P;
    int tc = glp_add_cols(P, 1);
    glp_set_col_bnds(P, tc, tlo == thi ? GLP_FX : GLP_DB, tlo, thi);
    glp_set_obj_coef(P, tc, 1.0);
    L->cost[tc - 1] = 1.0;
    glp_set_col_stat(P, tc, tlo == thi ? GLP_NS : GLP_NU);
    int r0 = glp_add_rows(P, n_rows);
    for (int r = 0; r < n_rows; r++) {
        const int *cols;
        const double *w;
        int n = nnh_layer_row(&L->net->layers[L->k], rows[r], &cols, &w), len = 0;
        L->ind[++len] = tc;
        L->val[len] = 1.0;
        for (int t = 0; t < n; t++)
            if (w[t] != 0.0) {
                L->ind[++len] = L->obj_col + NNH_ROW_COL(cols, t);
                L->val[len] = -w[t];
            }
        glp_set_mat_row(P, r0 + r, len, L->ind, L->val);
        glp_set_row_bnds(P, r0 + r, GLP_LO, L->obj_b[rows[r]], 0.0);
        glp_set_row_stat(P, r0 + r, GLP_BS);
    }
    return tc;
}

typedef struct max_call {
    nnh_lp_layer *L;
    const int *rows;
    int n_rows;
    double tlo, thi;
    nnh_layer_stats *st;
    double best;
} max_call;

/* The GLPK part of nnh_lp_layer_bound_max, run under nnh_glpk_guard. */
static int bound_max_glpk(void *arg)
{
    max_call *c = arg;
    nnh_lp_layer *L = c->L;
    restore_basis(L);
    for (int t = 0; t < L->n_obj; t++) { /* the objective is t alone */
        L->cost[L->obj_col - 1 + t] = 0.0;
        glp_set_obj_coef(L->P, L->obj_col + t, 0.0);
    }
    int tc = add_max_model(L, c->rows, c->n_rows, c->tlo, c->thi);
    int base = L->base_m;
    L->base_m += c->n_rows; /* the joint rows stay through the cut loop */
    start_budget(L);
    c->best = nnh_lp_task_solve(L, c->st);
    end_budget(L);
    L->base_m = base;
    int del[2] = {0, tc};
    glp_del_cols(L->P, 1, del);
    L->cost[tc - 1] = 0.0;
    restore_basis(L); /* drops the joint rows and the task's cuts */
    return NNH_OK;
}

int nnh_lp_layer_bound_max(nnh_lp_layer *L, const int *rows, int n_rows, double *bound,
                           nnh_layer_stats *st, nnh_error *err)
{
    int wk = L->net->layers[L->k].n_out;
    if (n_rows < 1 || n_rows > wk)
        return nnh_error_set(err, NNH_EINVAL, "lp_bound.c: layer %d: bad joint task (%d rows of %d)",
                             L->k, n_rows, wk);
    double tlo = -INFINITY, thi = -INFINITY;
    for (int r = 0; r < n_rows; r++) {
        if (rows[r] < 0 || rows[r] >= wk)
            return nnh_error_set(err, NNH_EINVAL,
                                 "lp_bound.c: layer %d: bad joint task (row %d of %d)", L->k,
                                 rows[r], wk);
        tlo = fmax(tlo, L->init_lo[rows[r]]);
        thi = fmax(thi, L->init_hi[rows[r]]);
    }
    *bound = tlo;
    if (nnh_lp_layer_dead(L) || !isfinite(tlo) || !isfinite(thi) || !(tlo <= thi)) {
        if (st)
            st->fallbacks++;
        return NNH_OK;
    }
    max_call c = {L, rows, n_rows, tlo, thi, st, -INFINITY};
    run_guarded(L, bound_max_glpk, &c);
    double best = c.best;
    if (!isfinite(best)) {
        if (st)
            st->fallbacks++;
        return NNH_OK;
    }
    if (best > tlo)
        *bound = best;
    return NNH_OK;
}
