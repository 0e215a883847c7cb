/* The small LP of the verify side (falsify.c's sequential LP step and
 * verify_joint.c's multipliers): the least over a box of the largest of m
 * affine functions, built and solved with GLPK silently within an iteration
 * limit. The only verify source that talks to GLPK. */
#ifndef NNH_SMALL_LP_H
#define NNH_SMALL_LP_H

/* Workspace: the GLPK problem object and its row buffers, reused by every
 * solve (opaque). */
typedef struct nnh_small_lp nnh_small_lp;

/* A workspace for problems of at most n_max variables; NULL when out of
 * memory. Free with nnh_small_lp_free. */
nnh_small_lp *nnh_small_lp_new(int n_max);
void nnh_small_lp_free(nnh_small_lp *S);

/* Solve   min t  s.t.  t >= a_r^T x + b_r (r < m),  lo <= x <= hi  (t free),
 * with a_r = A + rows[r] * n (A row-major with n columns) and b_r =
 * b[rows[r]], or row r and b[r] when rows is NULL; lo[j] == hi[j] fixes x_j.
 * At most it_lim simplex iterations from an advanced basis; GLPK prints
 * nothing. On an optimum fills x (n, may be NULL) with the minimiser and
 * lam (m, may be NULL) with the row duals (>= 0 and summing to 1 up to
 * rounding) and returns 0; NNH_EINVAL when m < 1, n is out of range or
 * some lo[j] > hi[j], NNH_ENUMERIC on a coefficient, bound or b_r that is
 * not finite or beyond NNH_LP_MAX_MAGNITUDE (GLPK is then not called),
 * NNH_ELP when no optimum was found or GLPK failed (nnh_glpk_guard). */
int nnh_small_lp_minmax(nnh_small_lp *S, int n, int m, const double *A, const int *rows,
                        const double *b, const double *lo, const double *hi, int it_lim,
                        double *x, double *lam);

#endif
