/* Joint proofs of a case of `verify`: a case is a conjunction of rows, so it
 * is infeasible on a region as soon as min over the region of max_r row_r is
 * > 0, even when no single row is > 0 everywhere (which row wins may change
 * across the region). Here from crown's linear lower forms of the rows over
 * the input: any multipliers lam >= 0 give the certificate
 * min_x sum_r lam_r (A_r x + c_r) > 0; lam comes from a tiny LP (small_lp.c). */
#include "verify_internal.h"

#include "nnh_round.h"
#include "small_lp.h"

#include <math.h>

/* min over [lo, hi] of sum_r lam_r (A_r x + c_r), rounded down with every
 * rounding error bounded (the coefficients g = sum_r lam_r A_r are off by at
 * most nnh_dot_error each, which costs that times max |x_j|). */
static double certify(const double *A, const double *c, const int *rows, int n, int n_in,
                      const double *lo, const double *hi, const double *lam)
{
    double acc = 0.0, abs_sum = 0.0, pen = 0.0, cabs = 0.0;
    int terms = 0;
    for (int r = 0; r < n; r++) {
        double t = lam[r] * c[rows[r]];
        acc += t;
        cabs += fabs(t);
        terms++;
    }
    abs_sum += cabs;
    for (int j = 0; j < n_in; j++) {
        double g = 0.0, gabs = 0.0;
        for (int r = 0; r < n; r++) {
            double p = lam[r] * A[(size_t)rows[r] * n_in + j];
            g += p;
            gabs += fabs(p);
        }
        double m = fmax(fabs(lo[j]), fabs(hi[j]));
        pen = nnh_up(pen + nnh_up(nnh_dot_error(n, gabs) * m));
        double t = g == 0.0 ? 0.0 : fmin(g * lo[j], g * hi[j]);
        acc += t;
        abs_sum += fabs(t);
        terms++;
    }
    double out = nnh_down(nnh_down(acc - nnh_dot_error(terms + n, abs_sum)) - pen);
    return isfinite(out) ? out : -INFINITY;
}

/* max_r (A_r x + c_r) at the box corner where row `at` is smallest (a
 * plain float estimate): an upper bound of the LP value, so <= 0 means the
 * joint bound cannot prove the case. */
static double max_at_corner(const double *A, const double *c, const int *rows, int n, int n_in,
                            const double *lo, const double *hi, int at)
{
    const double *a = A + (size_t)rows[at] * n_in;
    double m = -INFINITY;
    for (int r = 0; r < n; r++) {
        const double *b = A + (size_t)rows[r] * n_in;
        double v = c[rows[r]];
        for (int j = 0; j < n_in; j++)
            v += b[j] * (a[j] > 0.0 ? lo[j] : hi[j]);
        m = fmax(m, v);
    }
    return m;
}

double nnh_joint_lower(const double *A, const double *c, const int *rows, int n, int n_in,
                       const double *lo, const double *hi, nnh_small_lp *S, double *lam)
{
    for (int j = 0; j < n_in; j++)
        if (!isfinite(lo[j]) || !isfinite(hi[j]))
            return -INFINITY;
    for (int r = 0; r < n; r++)
        if (!isfinite(c[rows[r]]))
            return -INFINITY;
    double est = INFINITY; /* skip the LP where a corner already meets every row */
    for (int r = 0; r < n; r++)
        est = fmin(est, max_at_corner(A, c, rows, n, n_in, lo, hi, r));
    if (!(est > 0.0))
        return est;
    /* lam: the duals of min t s.t. t >= A_r x + c_r over the box (a
     * heuristic: any lam >= 0 is certified rigorously below) */
    if (nnh_small_lp_minmax(S, n_in, n, A, rows, c, lo, hi, 1000, NULL, lam) != 0)
        return -INFINITY;
    double s = 0.0;
    for (int r = 0; r < n; r++) {
        lam[r] = fmax(lam[r], 0.0);
        s += lam[r];
    }
    if (!(s > 0.0) || !isfinite(s))
        return -INFINITY;
    for (int r = 0; r < n; r++) /* sum ~ 1: the value then approximates the max */
        lam[r] /= s;
    return certify(A, c, rows, n, n_in, lo, hi, lam);
}
