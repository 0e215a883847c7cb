/* The rigorous ("safe") LP bound (lp_safe.c, Neumaier & Shcherbina 2004): a
 * lower bound of a GLPK LP from any dual vector, valid in exact arithmetic.
 * For min c^T v over rows r = A v in [rl, ru] and columns v in [vl, vu], any
 * multiplier vector y gives c^T v = y^T r + d^T v with d = c - A^T y, hence
 *   c^T v >= sum_r min(y_r rl_r, y_r ru_r) + sum_j min(d_j vl_j, d_j vu_j).
 * The routine evaluates this in round-to-nearest with rigorous error bounds
 * (d_j is accumulated with error-free transformations, fma and TwoSum, and
 * enclosed in an interval that is a point when every operation was exact;
 * every product and sum of the bound is rounded outward),
 * so the result is a lower bound in exact arithmetic of the LP as GLPK
 * stores it (coefficients and bounds read back from the problem object). */
#ifndef NNH_LP_SAFE_H
#define NNH_LP_SAFE_H

#include "nnhull/error.h"

#include <glpk.h>

typedef struct nnh_lp_safe_ws {
    int m_cap, n_cap;
    double *y;     /* m_cap multipliers */
    double *dsum;  /* n_cap: d_j accumulated in round-to-nearest */
    double *derr;  /* n_cap: sum of the exact rounding errors of dsum */
    double *dabs;  /* n_cap: sum of |those errors| (bounds the error of derr) */
    int *dcnt;     /* n_cap: number of error terms */
    int *dtiny;    /* n_cap: 1 if an operation may have underflowed */
    int *ind;      /* n_cap + 1: glp_get_mat_row buffer */
    double *val;   /* n_cap + 1 */
    int rows_m;    /* rows 1..rows_m are read from the copy below, not from P */
    int *rows_ptr; /* rows_m + 2: row r's entries are [rows_ptr[r], rows_ptr[r+1]) */
    int *rows_ind; /* column numbers, in glp_get_mat_row's order */
    double *rows_val;
} nnh_lp_safe_ws;

int nnh_lp_safe_ws_init(nnh_lp_safe_ws *ws, int m_cap, int n_cap, nnh_error *err);
void nnh_lp_safe_ws_free(nnh_lp_safe_ws *ws);
/* Keep a copy of the coefficients of rows 1..m of P in ws (their order as
 * glp_get_mat_row gives them, so the bound is the same bit for bit); the
 * caller promises not to change those rows while ws is used with P. Later
 * rows are still read from P. Walking a row of GLPK's matrix is a chase
 * through scattered list nodes; the copy is contiguous. */
int nnh_lp_safe_ws_keep_rows(nnh_lp_safe_ws *ws, glp_prob *P, int m, nnh_error *err);

/* Lower bound of min c^T v (c[j-1] is the cost of GLPK column j; the
 * objective stored in P is ignored) from the multipliers y[r-1] of rows r.
 * y is modified: a multiplier whose sign would need an infinite row bound is
 * set to 0. Returns -INFINITY when no finite bound follows (never NaN). */
double nnh_lp_safe_lower_y(glp_prob *P, const double *c, double *y, nnh_lp_safe_ws *ws);
/* Same with GLPK's row duals of the last solve (glp_get_row_dual) as y. */
double nnh_lp_safe_lower(glp_prob *P, const double *c, nnh_lp_safe_ws *ws);

#endif
