/* Falsification for `verify`: the optima of the region's bound problems
 * (given by the caller), random points (half of them on faces of the box),
 * box corners and the center are scored by the violation margin
 * min_case max_row (c_r^T y - d_r); the best ones start a local descent on
 * that margin (sequential LP on the linearised rows, or projected sign
 * steps). A candidate becomes a counterexample only after the exact
 * double-precision re-check on the original network (nnh_verify_recheck). */
#include "verify_internal.h"

#include "grad.h"
#include "small_lp.h"
#include "nnhull/stop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_ctx {
    const nnh_verify_problem *P;
    const nnh_verify_group *G;
    const nnh_bab_region *R;
    double *lo, *hi;    /* search box (search_box) */
    double *flo, *fhi;  /* finite stand-ins for it (sampling and step sizes) */
    double *g, *unit, *work, *y, *evalbuf;
    int best_row;       /* row whose gradient descends the margin at the last point */
    int best_case;      /* group case of that row (-1: none) */
    double *zr;         /* n_rows: row values c_r^T y - d_r at the last point */
    nnh_region_result *res;
} fz_ctx;

/* Margin of x (smaller is better, <= 0 means a candidate): the original
 * network's double forward pass and the rows summed as nnh_spec_case_holds
 * does, so that screening agrees with the re-check (the folded network may
 * round differently). Sets best_row, the folded row to descend on. */
static double margin(fz_ctx *F, const double *x)
{
    const nnh_verify_group *G = F->G;
    const nnh_spec *s = F->P->spec;
    int n_out = F->P->n_out;
    nnh_network_eval(F->P->net, x, F->y, F->evalbuf);
    double best = INFINITY;
    F->best_row = -1;
    F->best_case = -1;
    for (int c = 0; c < G->n_cases; c++) {
        if (!F->R->active[c])
            continue;
        const nnh_spec_case *sc = &s->cases[G->cases[c]];
        double m = -INFINITY;
        int mr = -1;
        for (int r = 0; r < sc->n_ineq; r++) {
            const double *row = sc->C + (size_t)r * n_out;
            double v = 0.0;
            for (int j = 0; j < n_out; j++)
                if (row[j] != 0.0)
                    v += row[j] * F->y[j];
            double z = v - sc->d[r];
            F->zr[G->row0[c] + r] = z;
            if (!(z <= m)) { /* NaN counts as a violation */
                m = isnan(z) ? INFINITY : z;
                mr = G->row0[c] + r;
            }
        }
        if (m < best) {
            best = m;
            F->best_row = mr;
            F->best_case = c;
        }
    }
    return best;
}

/* Exact re-check of x against every active case whose rows it nearly meets. */
static int try_accept(fz_ctx *F, const double *x, double m)
{
    const nnh_verify_group *G = F->G;
    if (!(m <= 0.0))
        return 0;
    for (int c = 0; c < G->n_cases; c++) {
        if (!F->R->active[c])
            continue;
        int k = G->cases[c];
        if (nnh_verify_recheck(F->P, k, x, F->y)) {
            nnh_region_result *res = F->res;
            res->status = NNH_REGION_SAT;
            res->cex_case = k;
            memcpy(res->x, x, (size_t)F->P->n_in * sizeof(double));
            memcpy(res->y, F->y, (size_t)F->P->n_out * sizeof(double));
            return 1;
        }
    }
    return 0;
}

/* Keep the `starts` best points (sorted by margin, ascending) in pts/pm. */
static void keep_best(double *pts, double *pm, int starts, int *n, const double *x, double m,
                      int n_in)
{
    int pos;
    if (*n < starts)
        pos = (*n)++;
    else if (m < pm[starts - 1])
        pos = starts - 1;
    else
        return;
    while (pos > 0 && pm[pos - 1] > m) {
        pm[pos] = pm[pos - 1];
        memcpy(pts + (size_t)pos * n_in, pts + (size_t)(pos - 1) * n_in, (size_t)n_in * sizeof *pts);
        pos--;
    }
    pm[pos] = m;
    memcpy(pts + (size_t)pos * n_in, x, (size_t)n_in * sizeof *pts);
}

/* Into the search box F->lo/hi (the region within the case box as read). */
static void project(const fz_ctx *F, double *x, int n)
{
    for (int j = 0; j < n; j++) {
        if (x[j] < F->lo[j])
            x[j] = F->lo[j];
        if (x[j] > F->hi[j])
            x[j] = F->hi[j];
    }
}

/* Direction weights on the rows of the case being descended: a softmax of
 * the row values (temperature 5% of the margin) rather than the single
 * largest row, so that near-tied rows of a max are pushed down together
 * instead of in turns. set = 0 clears them again. */
static void descent_weights(fz_ctx *F, int set)
{
    const nnh_verify_group *G = F->G;
    int c = F->best_case;
    if (c < 0)
        return;
    double m = F->zr[F->best_row], tau = fmax(0.05 * fabs(m), 1e-9), sum = 0.0;
    for (int r = G->row0[c]; r < G->row0[c + 1]; r++) {
        double w = set && isfinite(F->zr[r]) ? exp((F->zr[r] - m) / tau) : 0.0;
        F->unit[r] = w;
        sum += w;
    }
    if (set && !(sum > 0.0))
        F->unit[F->best_row] = 1.0;
}

/* Past the deadline (0: none), or a stop was requested (nnhull/stop.h): a
 * falsification cut short only finds fewer counterexamples. */
static int late(double deadline)
{
    return (deadline > 0 && nnh_now() > deadline) || nnh_stop_requested();
}

/* Projected sign-gradient descent from x (modified in place) with a step that
 * shrinks geometrically from 20% to 0.1% of each edge. Returns 1 on a
 * re-checked counterexample; *best gets the smallest margin seen. */
static int descend(fz_ctx *F, double *x, int steps, double deadline, double *best)
{
    int n = F->P->n_in;
    double ratio = steps > 1 ? pow(0.005, 1.0 / (steps - 1)) : 1.0, a = 0.2;
    for (int t = 0; t < steps; t++, a *= ratio) {
        double m = margin(F, x);
        if (m < *best) {
            *best = m;
            memcpy(F->res->x, x, (size_t)n * sizeof(double));
        }
        if (try_accept(F, x, m))
            return 1;
        if (F->best_row < 0 || ((t & 7) == 7 && late(deadline)))
            return 0;
        descent_weights(F, 1);
        nnh_network_grad(F->G->folded, x, F->unit, NULL, F->g, F->work);
        descent_weights(F, 0);
        for (int j = 0; j < n; j++) {
            double s = F->g[j] > 0 ? 1.0 : (F->g[j] < 0 ? -1.0 : 0.0);
            x[j] -= a * (F->fhi[j] - F->flo[j]) * s;
        }
        project(F, x, n);
    }
    double m = margin(F, x);
    if (m < *best) {
        *best = m;
        memcpy(F->res->x, x, (size_t)n * sizeof(double));
    }
    return try_accept(F, x, m);
}

/* One step of sequential linear programming on the active case c at x: the
 * rows linearised (gradients gr, m x n), minimise t >= z_r + gr_r^T d over d
 * in the box intersected with a trust region of delta x edge; xt = x + d.
 * box: 2 n doubles (workspace). 0 when the LP solved. */
static int slp_step(fz_ctx *F, const double *x, int c, const double *gr, double delta, double *xt,
                    nnh_small_lp *S, double *box)
{
    const nnh_verify_group *G = F->G;
    int n = F->P->n_in, m = G->row0[c + 1] - G->row0[c];
    double *dlo = box, *dhi = box + n;
    for (int j = 0; j < n; j++) {
        double e = delta * (F->fhi[j] - F->flo[j]);
        dlo[j] = fmax(F->lo[j] - x[j], -e);
        dhi[j] = fmin(F->hi[j] - x[j], e);
        if (!(dlo[j] < dhi[j]))
            dlo[j] = dhi[j] = 0.0;
    }
    if (nnh_small_lp_minmax(S, n, m, gr, NULL, F->zr + G->row0[c], dlo, dhi, 200, xt, NULL) != 0)
        return -1;
    for (int j = 0; j < n; j++)
        xt[j] = x[j] + xt[j];
    project(F, xt, n);
    return 0;
}

/* Sequential LP descent from x on the margin: the max over a case's rows is
 * non-smooth where rows tie, and there (the valleys where counterexamples
 * hide in piecewise-linear networks) neither a gradient nor a sign step of
 * one row is a descent direction; the LP of the linearised rows in a trust
 * region is. A step is kept when the margin drops (the region then grows by
 * 2), else the region shrinks by 4. xt: n doubles. Same return and *best as
 * descend(). */
static int descend_slp(fz_ctx *F, double *x, double *xt, int steps, double deadline, double *best)
{
    const nnh_verify_group *G = F->G;
    int n = F->P->n_in, maxm = 0;
    for (int c = 0; c < G->n_cases; c++)
        maxm = G->row0[c + 1] - G->row0[c] > maxm ? G->row0[c + 1] - G->row0[c] : maxm;
    double *gr = malloc(((size_t)maxm * n + 2 * (size_t)n + 1) * sizeof(double));
    nnh_small_lp *S = nnh_small_lp_new(n);
    if (!gr || !S) {
        free(gr);
        nnh_small_lp_free(S);
        return 0;
    }
    double *box = gr + (size_t)maxm * n;
    double m = margin(F, x), delta = 0.1;
    int found = 0;
    for (int t = 0; t < steps && !found && F->best_case >= 0 && delta > 1e-9; t++) {
        if (m < *best) {
            *best = m;
            memcpy(F->res->x, x, (size_t)n * sizeof(double));
        }
        if ((found = try_accept(F, x, m)))
            break;
        if ((t & 3) == 3 && late(deadline))
            break;
        int c = F->best_case, rows = G->row0[c + 1] - G->row0[c];
        for (int r = 0; r < rows; r++) {
            memset(F->unit, 0, (size_t)G->n_rows * sizeof(double));
            F->unit[G->row0[c] + r] = 1.0;
            nnh_network_grad(G->folded, x, F->unit, NULL, gr + (size_t)r * n, F->work);
        }
        memset(F->unit, 0, (size_t)G->n_rows * sizeof(double));
        double mt = INFINITY;
        while (delta > 1e-9) {
            if (slp_step(F, x, c, gr, delta, xt, S, box) == 0 && (mt = margin(F, xt)) < m)
                break;
            delta *= 0.25;
        }
        if (!(mt < m))
            break;
        memcpy(x, xt, (size_t)n * sizeof(double));
        m = mt; /* margin(F, xt) left best_case and zr at xt */
        delta = fmin(2.0 * delta, 0.5);
    }
    if (!found && m < *best) {
        *best = m;
        memcpy(F->res->x, x, (size_t)n * sizeof(double));
    }
    if (!found)
        found = try_accept(F, x, m);
    free(gr);
    nnh_small_lp_free(S);
    return found;
}

/* The search box: the region within the group's box as read. The root
 * region is one ulp wider than that box (bab.c: proofs must cover the exact
 * decimal box), but a candidate outside the box as read fails the re-check,
 * and counterexamples often sit on the box's faces. 0 when empty. */
static int search_box(const nnh_verify_group *G, const nnh_bab_region *R, int n, double *lo,
                      double *hi)
{
    for (int j = 0; j < n; j++) {
        lo[j] = fmax(R->lo[j], G->lo[j]);
        hi[j] = fmin(R->hi[j], G->hi[j]);
        if (!(lo[j] <= hi[j]))
            return 0;
    }
    return 1;
}

static void finite_box(const double *lo, const double *hi, int n, double *flo, double *fhi)
{
    for (int j = 0; j < n; j++) {
        flo[j] = isfinite(lo[j]) ? lo[j] : (isfinite(hi[j]) ? hi[j] - 1.0 : -1.0);
        fhi[j] = isfinite(hi[j]) ? hi[j] : flo[j] + 1.0;
    }
}

/* Score the given points, center, corners and random points; returns 1 on
 * a counterexample. */
static int scan(fz_ctx *F, const double *given, int n_given, int samples, int corners,
                unsigned long long *seed, double deadline, double *pts, double *pm, int starts,
                int *np, double *best, double *x)
{
    int n = F->P->n_in;
    long n_corner = n <= corners ? 1L << n : 0;
    for (long s = -1 - n_given; s < n_corner + samples; s++) {
        for (int j = 0; j < n; j++) {
            if (s < -1)
                x[j] = given[(size_t)(-2 - s) * n + j];
            else if (s < 0)
                x[j] = 0.5 * F->flo[j] + 0.5 * F->fhi[j];
            else if (s < n_corner)
                x[j] = (s >> j) & 1 ? F->fhi[j] : F->flo[j];
            else if ((s & 1) && nnh_vrand(seed) < 0.5) /* a face: the end of an edge */
                x[j] = nnh_vrand(seed) < 0.5 ? F->flo[j] : F->fhi[j];
            else
                x[j] = F->flo[j] + (F->fhi[j] - F->flo[j]) * nnh_vrand(seed);
        }
        project(F, x, n);
        double m = margin(F, x);
        if (m < *best) {
            *best = m;
            memcpy(F->res->x, x, (size_t)n * sizeof(double));
        }
        if (try_accept(F, x, m))
            return 1;
        keep_best(pts, pm, starts, np, x, m, n);
        if ((s & 63) == 63 && late(deadline))
            break;
    }
    return 0;
}

int nnh_falsify_region(const nnh_verify_problem *P, const nnh_bab_region *R, const double *given,
                       int n_given, int samples, int starts, int steps, int corners,
                       double descend_below, unsigned long long seed, double deadline,
                       nnh_region_result *res, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int n = P->n_in, ns = starts > 0 ? starts : 1;
    fz_ctx F = {.P = P, .G = G, .R = R, .res = res};
    size_t ew = 2 * (size_t)nnh_network_max_width(P->net);
    size_t need = 4 * (size_t)n + 2 * (size_t)G->n_rows + P->grad_work + (size_t)P->n_out +
                  (size_t)ns * (n + 1) + 4 * (size_t)n + ew;
    double *buf = calloc(need, sizeof(double));
    if (!buf)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory in falsification");
    F.flo = buf;
    F.fhi = F.flo + n;
    F.g = F.fhi + n;
    double *x = F.g + n;
    F.unit = x + n;
    F.work = F.unit + G->n_rows;
    F.y = F.work + P->grad_work;
    double *pts = F.y + P->n_out, *pm = pts + (size_t)ns * n;
    F.evalbuf = pm + ns;
    F.zr = F.evalbuf + ew;
    double *xt = F.zr + G->n_rows;
    F.lo = xt + n;
    F.hi = F.lo + n;
    if (!search_box(G, R, n, F.lo, F.hi)) { /* only the one-ulp margin: no point of the box */
        free(buf);
        return NNH_OK;
    }
    finite_box(F.lo, F.hi, n, F.flo, F.fhi);
    double best = INFINITY;
    int np = 0, found = scan(&F, given, n_given, samples, corners, &seed, deadline, pts, pm, ns,
                             &np, &best, x);
    if (!(best <= descend_below))
        starts = 0;
    for (int s = 0; s < np && starts > 0 && !found; s++) {
        if (late(deadline))
            break;
        memcpy(x, pts + (size_t)s * n, (size_t)n * sizeof(double));
        /* alternate: the line-search LP on the best start, sign steps on the
         * next (on the 47 sat ACAS Xu roots: 43 found by the LP alone or the
         * mix, 38 by sign steps alone) */
        found = s & 1 ? descend(&F, x, steps, deadline, &best)
                      : descend_slp(&F, x, xt, steps, deadline, &best);
    }
    if (best < res->min_margin)
        res->min_margin = best;
    free(buf);
    return NNH_OK;
}
