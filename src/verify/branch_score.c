/* Which neuron activation-space branch and bound splits, and where: a
 * BaBSR-style score (sensitivity of the row closest to a proof to the
 * neuron's output, times the height of the neuron's relaxation) over every
 * hidden neuron whose relaxation depends on its interval, and filtered smart
 * branching, which tries the best few by a crown estimate of both children.
 * A heuristic: any choice keeps the proof sound, so plain double arithmetic
 * suffices (the estimates' crown bounds are rigorous, but need not be). */
#include "verify_internal.h"
#include "bab_split.h"

#include <math.h>
#include <string.h>

void nnh_act_deriv_range(const nnh_activation *a, double l, double u, double *dl, double *du)
{
    double v[4] = {nnh_act_deriv(a, l, 1), nnh_act_deriv(a, u, -1), NAN, NAN};
    if (l < 0 && u > 0) {
        v[2] = nnh_act_deriv(a, 0.0, -1);
        v[3] = nnh_act_deriv(a, 0.0, 1);
    }
    *dl = INFINITY;
    *du = -INFINITY;
    for (int i = 0; i < 4; i++)
        if (!isnan(v[i])) {
            *dl = fmin(*dl, v[i]);
            *du = fmax(*du, v[i]);
        }
}

/* Slope of the chord of sigma over [l, u] (the derivative at a point, 1 on
 * an unbounded interval): how a change of z reaches the neuron's output. */
static double chord_slope(const nnh_activation *a, double l, double u)
{
    if (!isfinite(l) || !isfinite(u))
        return 1.0;
    if (!(u > l))
        return nnh_act_deriv(a, l, 1);
    double s = (nnh_act_value(a, u) - nnh_act_value(a, l)) / (u - l);
    return isfinite(s) ? s : 1.0;
}

/* Height of the relaxation of sigma over [l, u], 0 when splitting cannot
 * tighten it: for a kinked piecewise-linear activation (ReLU, leaky ReLU)
 * the triangle's height (1 - alpha) u (-l) / (u - l) when 0 is inside, else
 * 0 (exact line); for a smooth one (u - l)(max sigma' - min sigma') / 4, the
 * same formula's value for a kink at the middle, 0 on an interval too
 * narrow to split. */
static double relax_gap(const nnh_activation *a, double l, double u)
{
    if (!isfinite(l) || !isfinite(u) || !(u > l))
        return 0.0;
    switch (a->kind) {
    case NNH_ACT_IDENTITY:
        return 0.0;
    case NNH_ACT_RELU:
    case NNH_ACT_LEAKY_RELU: {
        if (!(l < 0.0 && u > 0.0))
            return 0.0;
        double alpha = a->kind == NNH_ACT_RELU ? 0.0 : a->alpha;
        return (1.0 - alpha) * u * (-l) / (u - l);
    }
    default: {
        double m = 0.5 * l + 0.5 * u;
        if (!(m > l && m < u) || u - l < 1e-9 * (1.0 + fabs(l) + fabs(u)))
            return 0.0;
        double dl, du;
        nnh_act_deriv_range(a, l, u, &dl, &du);
        return (u - l) * (du - dl) / 4.0;
    }
    }
}

/* Where to split [l, u]: 0 for a kinked activation; for a smooth one the
 * inflection point 0 when it lies in the middle half (each side is then
 * convex or concave), else the midpoint. */
static double split_point(const nnh_activation *a, double l, double u)
{
    if (a->kind == NNH_ACT_RELU || a->kind == NNH_ACT_LEAKY_RELU)
        return 0.0;
    double w = u - l;
    if (l + 0.25 * w <= 0.0 && 0.0 <= u - 0.25 * w)
        return 0.0;
    return 0.5 * l + 0.5 * u;
}

/* One candidate of the choice: score, neuron and split point. */
typedef struct {
    double s, at;
    int layer, neuron;
} candidate;

/* Insert (s, k, j, at) into the best-first list c of at most K entries (*n
 * used) when it beats the last. */
static void keep_best(candidate *c, int *n, int K, double s, int k, int j, double at)
{
    if (*n == K && !(s > c[K - 1].s))
        return;
    int t = *n < K ? (*n)++ : K - 1;
    for (; t > 0 && s > c[t - 1].s; t--)
        c[t] = c[t - 1];
    c[t] = (candidate){s, at, k, j};
}

/* The K (at most) neurons of highest score for row `row`, best first, into c;
 * returns their number (0: the row sees no splittable neuron, and then the
 * single neuron of widest relaxation, or none). */
static int score_candidates(const nnh_network *N, const nnh_bounds *b, int row, double *buf,
                            candidate *c, int K)
{
    int nl = N->n_layers, w = nnh_network_max_width(N), n = 0;
    double *cur = buf, *nxt = buf + w;
    if (row < 0 || nl < 2)
        return 0;
    for (int i = 0; i < N->layers[nl - 1].n_out; i++)
        cur[i] = i == row;
    /* cur: the row's coefficients on z_k; nxt: on the outputs of layer k-1 */
    for (int k = nl - 1; k >= 1; k--) {
        const nnh_layer *L = &N->layers[k];
        memset(nxt, 0, (size_t)L->n_in * sizeof(double));
        for (int i = 0; i < L->n_out; i++) {
            if (cur[i] == 0.0)
                continue;
            const int *cols;
            const double *wr;
            int m = nnh_layer_row(L, i, &cols, &wr);
            for (int t = 0; t < m; t++)
                nxt[NNH_ROW_COL(cols, t)] += wr[t] * cur[i];
        }
        const nnh_activation *a = &N->layers[k - 1].act;
        const nnh_layer_bounds *B = &b->layers[k - 1];
        for (int j = 0; j < L->n_in; j++) {
            double l = B->pre_lo[j], u = B->pre_hi[j];
            double s = fabs(nxt[j]) * relax_gap(a, l, u);
            if (isfinite(s) && s > 0.0)
                keep_best(c, &n, K, s, k - 1, j, split_point(a, l, u));
            cur[j] = nxt[j] * chord_slope(a, l, u);
        }
    }
    /* the row does not see any splittable neuron (e.g. its outputs are
     * stable ReLUs on this domain): the widest relaxation, which tightens the
     * later layers (and may show the domain empty) */
    for (int k = 0; k < nl - 1 && n == 0; k++)
        for (int j = 0; j < N->layers[k].n_out; j++) {
            const nnh_layer_bounds *B = &b->layers[k];
            double s = relax_gap(&N->layers[k].act, B->pre_lo[j], B->pre_hi[j]);
            if (isfinite(s) && s > 0.0)
                keep_best(c, &n, 1, s, k, j,
                          split_point(&N->layers[k].act, B->pre_lo[j], B->pre_hi[j]));
        }
    return n;
}

int nnh_branch_choose(const nnh_network *N, const nnh_bounds *b, int row, double *buf,
                      int *layer, int *neuron, double *at)
{
    candidate c;
    *layer = *neuron = -1;
    if (!score_candidates(N, b, row, buf, &c, 1))
        return -1;
    *layer = c.layer;
    *neuron = c.neuron;
    *at = c.at;
    return 0;
}

/* Crown's lower bound of row `row` of N's last layer over b with neuron
 * (k, j)'s interval narrowed to [lo, hi]; -INFINITY when crown fails. */
static double child_bound(nnh_crown_pass *pass, const nnh_bounds *b, int k, int j, double lo,
                          double hi, int row)
{
    nnh_error err;
    double v;
    if (nnh_crown_pass_narrowed(pass, b, row, k, j, lo, hi, &v, &err))
        return -INFINITY;
    return isnan(v) ? -INFINITY : v;
}

int nnh_branch_choose_fsb(const nnh_network *N, const nnh_bounds *b, nnh_crown_pass *pass,
                          int row, int K, double *buf, int *layer, int *neuron, double *at)
{
    candidate c[NNH_BRANCH_MAX_CANDIDATES];
    K = K < 1 ? 1 : K > NNH_BRANCH_MAX_CANDIDATES ? NNH_BRANCH_MAX_CANDIDATES : K;
    *layer = *neuron = -1;
    int n = score_candidates(N, b, row, buf, c, K), best = 0;
    if (n == 0)
        return -1;
    if (n > 1 && pass) {
        nnh_crown_pass_reset(pass);
        double bv = -INFINITY;
        for (int t = 0; t < n; t++) {
            const nnh_layer_bounds *B = &b->layers[c[t].layer];
            double l = B->pre_lo[c[t].neuron], u = B->pre_hi[c[t].neuron];
            double v0 = child_bound(pass, b, c[t].layer, c[t].neuron, l, c[t].at, row);
            double v1 = child_bound(pass, b, c[t].layer, c[t].neuron, c[t].at, u, row);
            double v = fmin(v0, v1);
            if (v > bv) { /* strict: the score decides ties */
                bv = v;
                best = t;
            }
        }
    }
    *layer = c[best].layer;
    *neuron = c[best].neuron;
    *at = c[best].at;
    return 0;
}
