/* Rigorous lower bounds of LPs from a dual vector (Neumaier & Shcherbina,
 * Math. Program. 99, 2004): the LP optimum GLPK reports is never used as a
 * bound; instead y^T r + d^T v with d = c - A^T y is minimised over the row
 * and column boxes with every rounding error bounded (see lp_internal.h). */
#include "lp_internal.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>

int nnh_lp_safe_ws_init(nnh_lp_safe_ws *ws, int m_cap, int n_cap, nnh_error *err)
{
    ws->m_cap = m_cap;
    ws->n_cap = n_cap;
    ws->y = malloc((size_t)(m_cap + 1) * sizeof(double));
    ws->dsum = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->dabs = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->dcnt = malloc((size_t)(n_cap + 1) * sizeof(int));
    ws->ind = malloc((size_t)(n_cap + 1) * sizeof(int));
    ws->val = malloc((size_t)(n_cap + 1) * sizeof(double));
    if (!ws->y || !ws->dsum || !ws->dabs || !ws->dcnt || !ws->ind || !ws->val) {
        nnh_lp_safe_ws_free(ws);
        return nnh_error_set(err, NNH_ENOMEM, "lp_safe.c: out of memory (%d rows, %d columns)",
                             m_cap, n_cap);
    }
    return NNH_OK;
}

void nnh_lp_safe_ws_free(nnh_lp_safe_ws *ws)
{
    free(ws->y);
    free(ws->dsum);
    free(ws->dabs);
    free(ws->dcnt);
    free(ws->ind);
    free(ws->val);
    ws->y = ws->dsum = ws->dabs = ws->val = NULL;
    ws->dcnt = ws->ind = NULL;
}

/* a * b rounded down, with 0 * inf = 0 (the extended-interval convention:
 * a zero factor is an exact zero, whatever the other bound is). */
static double mul_down(double a, double b)
{
    if (a == 0.0 || b == 0.0)
        return 0.0;
    return nnh_down(a * b);
}

/* min of d v over d in [dlo, dhi], v in [vl, vu], rounded down. */
static double interval_min_product(double dlo, double dhi, double vl, double vu)
{
    double m = mul_down(dlo, vl);
    double t = mul_down(dlo, vu);
    if (t < m)
        m = t;
    t = mul_down(dhi, vl);
    if (t < m)
        m = t;
    t = mul_down(dhi, vu);
    if (t < m)
        m = t;
    return m;
}

static void row_bounds(glp_prob *P, int r, double *lo, double *hi)
{
    int t = glp_get_row_type(P, r);
    *lo = (t == GLP_LO || t == GLP_DB || t == GLP_FX) ? glp_get_row_lb(P, r) : -INFINITY;
    *hi = (t == GLP_UP || t == GLP_DB || t == GLP_FX) ? glp_get_row_ub(P, r) : INFINITY;
}

static void col_bounds(glp_prob *P, int j, double *lo, double *hi)
{
    int t = glp_get_col_type(P, j);
    *lo = (t == GLP_LO || t == GLP_DB || t == GLP_FX) ? glp_get_col_lb(P, j) : -INFINITY;
    *hi = (t == GLP_UP || t == GLP_DB || t == GLP_FX) ? glp_get_col_ub(P, j) : INFINITY;
}

/* Running sum of lower-bound terms; the summation error is subtracted at the end. */
typedef struct {
    double s, abs;
    int n;
} safe_sum;

static void sum_add(safe_sum *acc, double t)
{
    acc->s += t;
    acc->abs += fabs(t);
    acc->n++;
}

double nnh_lp_safe_lower_y(glp_prob *P, const double *c, double *y, nnh_lp_safe_ws *ws)
{
    int m = glp_get_num_rows(P), n = glp_get_num_cols(P);
    if (m > ws->m_cap || n > ws->n_cap)
        return -INFINITY;
    for (int j = 1; j <= n; j++) {
        ws->dsum[j] = c[j - 1];
        ws->dabs[j] = fabs(c[j - 1]);
        ws->dcnt[j] = 1;
    }
    safe_sum acc = {0.0, 0.0, 0};
    for (int r = 1; r <= m; r++) {
        double yr = y[r - 1], lo, hi;
        if (yr == 0.0 || !isfinite(yr)) {
            y[r - 1] = 0.0;
            continue;
        }
        row_bounds(P, r, &lo, &hi);
        /* min of yr * t over t in [lo, hi] needs lo (yr > 0) or hi (yr < 0) finite */
        double bnd = yr > 0.0 ? lo : hi;
        if (!isfinite(bnd)) {
            y[r - 1] = 0.0;
            continue;
        }
        sum_add(&acc, mul_down(yr, bnd));
        int len = glp_get_mat_row(P, r, ws->ind, ws->val);
        for (int t = 1; t <= len; t++) {
            int j = ws->ind[t];
            double p = yr * ws->val[t];
            ws->dsum[j] -= p;
            ws->dabs[j] += fabs(p);
            ws->dcnt[j]++;
        }
    }
    for (int j = 1; j <= n; j++) {
        double d = ws->dsum[j], lo, hi;
        /* each product y_r a_rj and each addition errs; nnh_dot_error covers both */
        double e = ws->dcnt[j] > 1 ? nnh_dot_error(ws->dcnt[j], ws->dabs[j]) : 0.0;
        col_bounds(P, j, &lo, &hi);
        double dlo = e > 0.0 ? nnh_down(d - e) : d, dhi = e > 0.0 ? nnh_up(d + e) : d;
        sum_add(&acc, interval_min_product(dlo, dhi, lo, hi));
    }
    if (!isfinite(acc.s) || !isfinite(acc.abs))
        return -INFINITY;
    double lb = nnh_down(acc.s - nnh_dot_error(acc.n, acc.abs));
    return isnan(lb) ? -INFINITY : lb;
}

double nnh_lp_safe_lower(glp_prob *P, const double *c, nnh_lp_safe_ws *ws)
{
    int m = glp_get_num_rows(P);
    if (m > ws->m_cap)
        return -INFINITY;
    for (int r = 1; r <= m; r++)
        ws->y[r - 1] = glp_get_row_dual(P, r);
    return nnh_lp_safe_lower_y(P, c, ws->y, ws);
}
