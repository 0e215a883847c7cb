/* Rigorous lower bounds of LPs from a dual vector (Neumaier & Shcherbina,
 * Math. Program. 99, 2004): the LP optimum GLPK reports is never used as a
 * bound; instead y^T r + d^T v with d = c - A^T y is minimised over the row
 * and column boxes with every rounding error bounded (see lp_safe.h). */
#include "lp_safe.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>

int nnh_lp_safe_ws_init(nnh_lp_safe_ws *ws, int m_cap, int n_cap, nnh_error *err)
{
    ws->m_cap = m_cap;
    ws->n_cap = n_cap;
    ws->y = malloc((size_t)(m_cap + 1) * sizeof(double));
    ws->dsum = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->derr = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->dtiny = malloc((size_t)(n_cap + 1) * sizeof(int));
    ws->dabs = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->dcnt = malloc((size_t)(n_cap + 1) * sizeof(int));
    ws->ind = malloc((size_t)(n_cap + 1) * sizeof(int));
    ws->val = malloc((size_t)(n_cap + 1) * sizeof(double));
    ws->rows_m = 0;
    ws->rows_ptr = ws->rows_ind = NULL;
    ws->rows_val = NULL;
    if (!ws->y || !ws->dsum || !ws->derr || !ws->dtiny || !ws->dabs || !ws->dcnt || !ws->ind || !ws->val) {
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
    free(ws->derr);
    free(ws->dtiny);
    free(ws->dabs);
    free(ws->dcnt);
    free(ws->ind);
    free(ws->val);
    free(ws->rows_ptr);
    free(ws->rows_ind);
    free(ws->rows_val);
    ws->rows_m = 0;
    ws->rows_ptr = ws->rows_ind = NULL;
    ws->rows_val = NULL;
    ws->y = ws->dsum = ws->derr = ws->dabs = ws->val = NULL;
    ws->dcnt = ws->ind = ws->dtiny = NULL;
}

int nnh_lp_safe_ws_keep_rows(nnh_lp_safe_ws *ws, glp_prob *P, int m, nnh_error *err)
{
    if (m > ws->m_cap || glp_get_num_cols(P) > ws->n_cap)
        return nnh_error_set(err, NNH_EINVAL, "lp_safe.c: %d rows beyond the workspace", m);
    long nz = 0;
    for (int r = 1; r <= m; r++)
        nz += glp_get_mat_row(P, r, NULL, NULL);
    free(ws->rows_ptr);
    free(ws->rows_ind);
    free(ws->rows_val);
    ws->rows_m = 0;
    ws->rows_ptr = malloc((size_t)(m + 2) * sizeof(int));
    ws->rows_ind = malloc((size_t)(nz + 1) * sizeof(int));
    ws->rows_val = malloc((size_t)(nz + 1) * sizeof(double));
    if (!ws->rows_ptr || !ws->rows_ind || !ws->rows_val || nz > 0x7fffffffL)
        return nnh_error_set(err, NNH_ENOMEM, "lp_safe.c: out of memory (%ld coefficients)", nz);
    int p = 0;
    for (int r = 1; r <= m; r++) {
        ws->rows_ptr[r] = p;
        int len = glp_get_mat_row(P, r, ws->ind, ws->val);
        for (int t = 1; t <= len; t++, p++) {
            ws->rows_ind[p] = ws->ind[t];
            ws->rows_val[p] = ws->val[t];
        }
    }
    ws->rows_ptr[m + 1] = p;
    ws->rows_m = m;
    return NNH_OK;
}

/* Products and sums below this magnitude may be inexact in ways an fma
 * residual does not see (underflow); they take the plain error bounds. */
#define SAFE_TINY 0x1p-960

/* a * b rounded down, with 0 * inf = 0 (the extended-interval convention:
 * a zero factor is an exact zero, whatever the other bound is). Exact
 * products (fma residual >= 0) are not nudged. */
static double mul_down(double a, double b)
{
    if (a == 0.0 || b == 0.0)
        return 0.0;
    double p = a * b;
    if (isfinite(p) && fabs(p) >= SAFE_TINY && fma(a, b, -p) >= 0.0)
        return p;
    return nnh_down(p);
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

/* d_j -= y a, keeping the exact rounding errors of the product (fma) and of
 * the sum (TwoSum) in derr, so d_j = dsum + (exact sum of the errors). */
static void d_sub(nnh_lp_safe_ws *ws, int j, double y, double a)
{
    double p = y * a, ep = fma(y, a, -p); /* y a = p + ep exactly (no underflow) */
    double s = ws->dsum[j], t = s - p;
    double bb = t - s, es = (s - (t - bb)) + (-p - bb); /* s - p = t + es exactly */
    ws->dsum[j] = t;
    double e = es - ep;
    ws->derr[j] += e;
    ws->dabs[j] += fabs(es) + fabs(ep);
    ws->dcnt[j] += 2;
    if (fabs(p) < SAFE_TINY || !isfinite(t))
        ws->dtiny[j] = 1;
}

/* Interval [dlo, dhi] containing the exact d_j. */
static void d_enclose(const nnh_lp_safe_ws *ws, int j, double *dlo, double *dhi)
{
    double s = ws->dsum[j], e = ws->derr[j];
    if (ws->dtiny[j] || !isfinite(s) || !isfinite(e)) {
        /* plain bound: recursive summation error of everything seen */
        double r = nnh_dot_error(ws->dcnt[j] + 1, fabs(s) + ws->dabs[j] + fabs(e)) +
                   nnh_dot_error(ws->dcnt[j] + 1, ws->dabs[j]);
        *dlo = isfinite(s) ? nnh_down(nnh_down(s + e) - r) : -INFINITY;
        *dhi = isfinite(s) ? nnh_up(nnh_up(s + e) + r) : INFINITY;
        return;
    }
    if (ws->dabs[j] == 0.0) { /* every operation was exact */
        *dlo = *dhi = s;
        return;
    }
    /* the error terms were summed in round-to-nearest (cnt of them, plus the
     * e_i themselves are exact): |fl(sum e) - sum e| <= dot_error */
    double r = nnh_dot_error(ws->dcnt[j], ws->dabs[j]);
    *dlo = nnh_down(s + nnh_down(e - r));
    *dhi = nnh_up(s + nnh_up(e + r));
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
        ws->derr[j] = ws->dabs[j] = 0.0;
        ws->dcnt[j] = 0;
        ws->dtiny[j] = 0;
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
        if (r <= ws->rows_m) {
            for (int t = ws->rows_ptr[r]; t < ws->rows_ptr[r + 1]; t++)
                d_sub(ws, ws->rows_ind[t], yr, ws->rows_val[t]);
            continue;
        }
        int len = glp_get_mat_row(P, r, ws->ind, ws->val);
        for (int t = 1; t <= len; t++)
            d_sub(ws, ws->ind[t], yr, ws->val[t]);
    }
    for (int j = 1; j <= n; j++) {
        double dlo, dhi, lo, hi;
        d_enclose(ws, j, &dlo, &dhi);
        col_bounds(P, j, &lo, &hi);
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
