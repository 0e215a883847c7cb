/* Falsification for `verify`: random points, box corners and the center are
 * scored by the violation margin min_case max_row (c_r^T y - d_r) on the
 * folded network; the best ones start projected (sign-)gradient descent on
 * that margin. A candidate becomes a counterexample only after the exact
 * double-precision re-check on the original network (nnh_verify_recheck). */
#include "verify_internal.h"

#include "grad.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_ctx {
    const nnh_verify_problem *P;
    const nnh_verify_group *G;
    const nnh_bab_region *R;
    double *flo, *fhi;  /* finite stand-ins for the box (sampling and step sizes) */
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

static void project(const nnh_bab_region *R, double *x, int n)
{
    for (int j = 0; j < n; j++) {
        if (x[j] < R->lo[j])
            x[j] = R->lo[j];
        if (x[j] > R->hi[j])
            x[j] = R->hi[j];
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
        if (F->best_row < 0 || (deadline > 0 && (t & 7) == 7 && nnh_verify_now() > deadline))
            return 0;
        descent_weights(F, 1);
        nnh_network_grad(F->G->folded, x, F->unit, NULL, F->g, F->work);
        descent_weights(F, 0);
        for (int j = 0; j < n; j++) {
            double s = F->g[j] > 0 ? 1.0 : (F->g[j] < 0 ? -1.0 : 0.0);
            x[j] -= a * (F->fhi[j] - F->flo[j]) * s;
        }
        project(F->R, x, n);
    }
    double m = margin(F, x);
    if (m < *best) {
        *best = m;
        memcpy(F->res->x, x, (size_t)n * sizeof(double));
    }
    return try_accept(F, x, m);
}

static void finite_box(const nnh_bab_region *R, int n, double *flo, double *fhi)
{
    for (int j = 0; j < n; j++) {
        flo[j] = isfinite(R->lo[j]) ? R->lo[j] : (isfinite(R->hi[j]) ? R->hi[j] - 1.0 : -1.0);
        fhi[j] = isfinite(R->hi[j]) ? R->hi[j] : flo[j] + 1.0;
    }
}

/* Score center, corners and random points; returns 1 on a counterexample. */
static int scan(fz_ctx *F, int samples, int corners, unsigned long long *seed, double deadline,
                double *pts, double *pm, int starts, int *np, double *best, double *x)
{
    int n = F->P->n_in;
    long n_corner = n <= corners ? 1L << n : 0;
    for (long s = -1; s < n_corner + samples; s++) {
        for (int j = 0; j < n; j++) {
            if (s < 0)
                x[j] = 0.5 * F->flo[j] + 0.5 * F->fhi[j];
            else if (s < n_corner)
                x[j] = (s >> j) & 1 ? F->fhi[j] : F->flo[j];
            else
                x[j] = F->flo[j] + (F->fhi[j] - F->flo[j]) * nnh_vrand(seed);
        }
        project(F->R, x, n);
        double m = margin(F, x);
        if (m < *best) {
            *best = m;
            memcpy(F->res->x, x, (size_t)n * sizeof(double));
        }
        if (try_accept(F, x, m))
            return 1;
        keep_best(pts, pm, starts, np, x, m, n);
        if (deadline > 0 && (s & 63) == 63 && nnh_verify_now() > deadline)
            break;
    }
    return 0;
}

int nnh_falsify_region(const nnh_verify_problem *P, const nnh_bab_region *R, int samples, int starts,
                       int steps, int corners, unsigned long long seed, double deadline,
                       nnh_region_result *res, nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int n = P->n_in, ns = starts > 0 ? starts : 1;
    fz_ctx F = {.P = P, .G = G, .R = R, .res = res};
    size_t ew = 2 * (size_t)nnh_network_max_width(P->net);
    size_t need = 4 * (size_t)n + 2 * (size_t)G->n_rows + P->grad_work + (size_t)P->n_out +
                  (size_t)ns * (n + 1) + (size_t)n + ew;
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
    finite_box(R, n, F.flo, F.fhi);
    double best = INFINITY;
    int np = 0, found = scan(&F, samples, corners, &seed, deadline, pts, pm, ns, &np, &best, x);
    for (int s = 0; s < np && starts > 0 && !found; s++) {
        if (deadline > 0 && nnh_verify_now() > deadline)
            break;
        memcpy(x, pts + (size_t)s * n, (size_t)n * sizeof(double));
        found = descend(&F, x, steps, deadline, &best);
    }
    if (best < res->min_margin)
        res->min_margin = best;
    free(buf);
    return NNH_OK;
}
