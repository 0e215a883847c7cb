/* Input regions: the box of a ball (ends rounded outward), clipping, and
 * longest-edge bisection (nnhull bounds --split). Pure and deterministic:
 * the result depends only on the arguments, so every MPI rank and every
 * resumed run sees the same regions. */
#include "nnhull/regions.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nnh_region_ball(const double *c, int n, double eps, double *lo, double *hi, nnh_error *err)
{
    if (!isfinite(eps) || !(eps >= 0))
        return nnh_error_set(err, NNH_EINVAL, "radius %g is not a finite number >= 0", eps);
    for (int j = 0; j < n; j++)
        if (!isfinite(c[j]))
            return nnh_error_set(err, NNH_EINVAL, "entry %d is not finite", j);
    for (int j = 0; j < n; j++) {
        lo[j] = eps > 0 ? nnh_down(c[j] - eps) : c[j];
        hi[j] = eps > 0 ? nnh_up(c[j] + eps) : c[j];
    }
    return NNH_OK;
}

int nnh_regions_clip(int R, int n, double *lo, double *hi, double clip_lo, double clip_hi,
                     nnh_error *err)
{
    if (!(clip_lo <= clip_hi))
        return nnh_error_set(err, NNH_EINVAL, "clip interval [%g, %g] is empty", clip_lo, clip_hi);
    size_t N = (size_t)R * (size_t)n;
    for (size_t i = 0; i < N; i++)
        if (!(fmax(lo[i], clip_lo) <= fmin(hi[i], clip_hi)))
            return nnh_error_set(err, NNH_EINVAL,
                                 "region %d, input %d: [%.17g, %.17g] does not meet [%g, %g]",
                                 (int)(i / (size_t)n), (int)(i % (size_t)n), lo[i], hi[i],
                                 clip_lo, clip_hi);
    for (size_t i = 0; i < N; i++) {
        lo[i] = fmax(lo[i], clip_lo);
        hi[i] = fmin(hi[i], clip_hi);
    }
    return NNH_OK;
}

/* longest edge of box r and its (lowest) input index */
static double longest_edge(const double *lo, const double *hi, int n, int *dim)
{
    double best = -1.0;
    *dim = 0;
    for (int j = 0; j < n; j++) {
        double e = hi[j] - lo[j];
        if (e > best) {
            best = e;
            *dim = j;
        }
    }
    return best;
}

static int check_bounded(int R, int n, const double *lo, const double *hi, nnh_error *err)
{
    for (int r = 0; r < R; r++)
        for (int j = 0; j < n; j++) {
            size_t i = (size_t)r * n + j;
            if (!isfinite(lo[i]) || !isfinite(hi[i]) || !(lo[i] <= hi[i]))
                return nnh_error_set(err, NNH_EINVAL,
                                     "--split: region %d, input %d is [%g, %g]; splitting needs "
                                     "a bounded box", r, j, lo[i], hi[i]);
        }
    return NNH_OK;
}

int nnh_regions_split(int *R, int n, double **lo, double **hi, int K, nnh_error *err)
{
    int R0 = *R;
    if (K <= R0)
        return NNH_OK;
    int rc = check_bounded(R0, n, *lo, *hi, err);
    if (rc)
        return rc;
    size_t row = (size_t)n * sizeof(double);
    double *L = malloc((size_t)K * row), *H = malloc((size_t)K * row);
    double *edge = malloc((size_t)K * sizeof *edge);
    int *dim = malloc((size_t)K * sizeof *dim);
    if (!L || !H || !edge || !dim) {
        free(L), free(H), free(edge), free(dim);
        return nnh_error_set(err, NNH_ENOMEM, "--split: out of memory for %d regions", K);
    }
    memcpy(L, *lo, (size_t)R0 * row);
    memcpy(H, *hi, (size_t)R0 * row);
    for (int r = 0; r < R0; r++)
        edge[r] = longest_edge(L + (size_t)r * n, H + (size_t)r * n, n, &dim[r]);
    for (int m = R0; m < K && !rc; m++) {
        int s = 0;
        for (int r = 1; r < m; r++)
            if (edge[r] > edge[s])
                s = r;
        double *ls = L + (size_t)s * n, *hs = H + (size_t)s * n;
        int j = dim[s];
        /* 0.5 lo + 0.5 hi cannot overflow; rounding keeps it in [lo, hi] */
        double mid = 0.5 * ls[j] + 0.5 * hs[j];
        if (!(ls[j] < mid && mid < hs[j])) {
            rc = nnh_error_set(err, NNH_EINVAL,
                               "--split %d: region %d's longest edge (input %d, [%.17g, %.17g]) "
                               "is too short to bisect", K, s, j, ls[j], hs[j]);
            break;
        }
        memcpy(L + (size_t)m * n, ls, row);
        memcpy(H + (size_t)m * n, hs, row);
        hs[j] = mid;
        L[(size_t)m * n + j] = mid;
        edge[s] = longest_edge(ls, hs, n, &dim[s]);
        edge[m] = longest_edge(L + (size_t)m * n, H + (size_t)m * n, n, &dim[m]);
    }
    free(edge);
    free(dim);
    if (rc) {
        free(L);
        free(H);
        return rc;
    }
    free(*lo);
    free(*hi);
    *lo = L;
    *hi = H;
    *R = K;
    return NNH_OK;
}
