/* alpha-CROWN: per-row optimisation of crown's lower slopes of unstable
 * ReLU / leaky-ReLU neurons by projected Adam ascent on the row's crown
 * bound, with an analytic gradient (reverse mode through the
 * back-substitution). The search runs in plain doubles; the bound returned
 * is crown's rigorous one (crown.c) at the best slopes found. */
#include "crown_slopes.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LO_S, LO_C, UP_S, UP_C }; /* as in crown.c */

void nnh_alpha_opts_init(nnh_alpha_opts *o)
{
    o->iters = 20;
    o->lr = 0.1;
    o->decay = 0.98;
    o->target = INFINITY;
}

void nnh_alpha_ctx_free(nnh_alpha_ctx *C)
{
    free(C->noff);
    free(C->lines);
    free(C->smin);
    free(C->smax);
    free(C->lam);
    free(C->g);
    free(C->in_lo);
    free(C->in_hi);
    memset(C, 0, sizeof *C);
}

int nnh_alpha_ctx_init(nnh_alpha_ctx *C, const nnh_network *net, const nnh_bounds *b, int k,
                       nnh_error *err)
{
    memset(C, 0, sizeof *C);
    if (k < 0 || k >= net->n_layers || b->n_layers != net->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "alpha-crown: layer %d does not match the network",
                             k);
    C->net = net;
    C->b = b;
    C->k = k;
    C->noff = malloc(((size_t)k + 1) * sizeof *C->noff);
    if (!C->noff)
        return nnh_error_set(err, NNH_ENOMEM, "alpha-crown: out of memory");
    size_t nn = 0;
    for (int l = 0; l <= k; l++) {
        C->noff[l] = nn;
        nn += l < k ? (size_t)net->layers[l].n_out : 0;
    }
    C->n_neurons = nn;
    size_t nv = nn + (size_t)net->n_inputs + 1; /* x, then a_0 .. a_{k-1} */
    C->lines = malloc((4 * nn + 1) * sizeof(double));
    C->smin = malloc((nn + 1) * sizeof(double));
    C->smax = malloc((nn + 1) * sizeof(double));
    C->lam = malloc(nv * sizeof(double));
    C->g = malloc(nv * sizeof(double));
    C->in_lo = malloc(((size_t)net->n_inputs + 1) * sizeof(double));
    C->in_hi = malloc(((size_t)net->n_inputs + 1) * sizeof(double));
    if (!C->lines || !C->smin || !C->smax || !C->lam || !C->g || !C->in_lo || !C->in_hi) {
        nnh_alpha_ctx_free(C);
        return nnh_error_set(err, NNH_ENOMEM, "alpha-crown: out of memory");
    }
    for (int j = 0; j < net->n_inputs; j++)
        nnh_bounds_input(net, b, j, &C->in_lo[j], &C->in_hi[j]);
    for (int l = 0; l < k; l++) {
        const nnh_layer *Ly = &net->layers[l];
        const nnh_layer_bounds *B = &b->layers[l];
        for (int j = 0; j < Ly->n_out; j++) {
            size_t q = C->noff[l] + (size_t)j;
            nnh_crown_lines(&Ly->act, B->pre_lo[j], B->pre_hi[j], B->post_lo[j], B->post_hi[j],
                            C->lines + 4 * q);
            if (!nnh_crown_slope_range(&Ly->act, B->pre_lo[j], B->pre_hi[j], &C->smin[q],
                                       &C->smax[q])) {
                C->smin[q] = 1.0;
                C->smax[q] = 0.0;
            } else {
                C->n_free++;
            }
        }
    }
    return NNH_OK;
}

/* Coefficients over a_l (l = -1: the input) start here in lam / g. */
static double *over(const nnh_alpha_ctx *C, double *base, int l)
{
    return l < 0 ? base : base + C->net->n_inputs + C->noff[l];
}

/* Line of neuron q for a coefficient of sign lj: slope *s, intercept *t. */
static void pick_line(const nnh_alpha_ctx *C, size_t q, double lj, const double *alpha,
                      double *s, double *t)
{
    const double *ln = C->lines + 4 * q;
    if (lj > 0.0 && C->smin[q] <= C->smax[q]) {
        *s = alpha[q];
        *t = 0.0;
    } else if (lj > 0.0) {
        *s = ln[LO_S];
        *t = ln[LO_C];
    } else {
        *s = ln[UP_S];
        *t = ln[UP_C];
    }
}

double nnh_alpha_eval(nnh_alpha_ctx *C, int row, int sign, const double *alpha, double *grad)
{
    const nnh_network *N = C->net;
    int k = C->k, n_in = N->n_inputs;
    const nnh_layer *Lk = &N->layers[k];
    /* forward: the back-substitution, lam over a_{k-1}, ..., a_0, x */
    double *cur = over(C, C->lam, k - 1);
    memset(cur, 0, (size_t)Lk->n_in * sizeof(double));
    const int *cols;
    const double *w;
    int len = nnh_layer_row(Lk, row, &cols, &w);
    double sg = sign < 0 ? -1.0 : 1.0;
    for (int e = 0; e < len; e++)
        cur[NNH_ROW_COL(cols, e)] = sg * w[e];
    double c = sg * Lk->b[row];
    for (int l = k - 1; l >= 0; l--) {
        const nnh_layer *Ly = &N->layers[l];
        double *nxt = over(C, C->lam, l - 1);
        memset(nxt, 0, (size_t)Ly->n_in * sizeof(double));
        for (int j = 0; j < Ly->n_out; j++) {
            double lj = cur[j], s, t;
            if (lj == 0.0)
                continue;
            pick_line(C, C->noff[l] + (size_t)j, lj, alpha, &s, &t);
            double mu = lj * s;
            c += lj * t;
            if (mu == 0.0)
                continue;
            c += mu * Ly->b[j];
            len = nnh_layer_row(Ly, j, &cols, &w);
            if (cols)
                for (int e = 0; e < len; e++)
                    nxt[cols[e]] += mu * w[e];
            else
                for (int m = 0; m < len; m++)
                    nxt[m] += mu * w[m];
        }
        cur = nxt;
    }
    double f = c;
    for (int m = 0; m < n_in; m++)
        if (cur[m] != 0.0)
            f += cur[m] * (cur[m] > 0.0 ? C->in_lo[m] : C->in_hi[m]);
    if (!grad)
        return f;
    /* reverse: g over x is d f / d lam_x; then layer by layer upward,
     * d f / d mu_j = W_j . g_below + b_j, d f / d alpha_j = that * lam_j,
     * d f / d lam_j = that * s_j + t_j */
    memset(grad, 0, C->n_neurons * sizeof(double));
    double *gb = over(C, C->g, -1);
    for (int m = 0; m < n_in; m++)
        gb[m] = cur[m] > 0.0 ? C->in_lo[m] : cur[m] < 0.0 ? C->in_hi[m] : 0.5 * C->in_lo[m] + 0.5 * C->in_hi[m];
    for (int l = 0; l < k; l++) {
        const nnh_layer *Ly = &N->layers[l];
        const double *lam = over(C, C->lam, l);
        double *gl = over(C, C->g, l);
        for (int j = 0; j < Ly->n_out; j++) {
            size_t q = C->noff[l] + (size_t)j;
            double s, t, gm = Ly->b[j];
            len = nnh_layer_row(Ly, j, &cols, &w);
            for (int e = 0; e < len; e++)
                gm += w[e] * gb[NNH_ROW_COL(cols, e)];
            pick_line(C, q, lam[j], alpha, &s, &t);
            if (lam[j] > 0.0 && C->smin[q] <= C->smax[q])
                grad[q] = gm * lam[j];
            gl[j] = gm * s + t;
        }
        gb = gl;
    }
    return f;
}

/* Projected Adam ascent on row `row` from crown's slopes; best gets the
 * best slopes seen (NaN where not free). */
static void optimise_row(nnh_alpha_ctx *C, int row, int sign, const nnh_alpha_opts *o,
                         double *alpha, double *grad, double *m1, double *m2, double *best)
{
    size_t nn = C->n_neurons;
    for (size_t q = 0; q < nn; q++) {
        int free_q = C->smin[q] <= C->smax[q];
        alpha[q] = free_q ? fmin(fmax(C->lines[4 * q + LO_S], C->smin[q]), C->smax[q]) : NAN;
        best[q] = alpha[q];
        m1[q] = m2[q] = 0.0;
    }
    double fbest = nnh_alpha_eval(C, row, sign, alpha, grad), lr = o->lr;
    if (!isfinite(fbest))
        return;
    const double b1 = 0.9, b2 = 0.999;
    double p1 = 1.0, p2 = 1.0;
    for (int it = 0; it < o->iters && !(fbest > o->target); it++) {
        p1 *= b1;
        p2 *= b2;
        for (size_t q = 0; q < nn; q++) {
            if (!(C->smin[q] <= C->smax[q]))
                continue;
            m1[q] = b1 * m1[q] + (1 - b1) * grad[q];
            m2[q] = b2 * m2[q] + (1 - b2) * grad[q] * grad[q];
            double step = lr * (m1[q] / (1 - p1)) / (sqrt(m2[q] / (1 - p2)) + 1e-12);
            alpha[q] = fmin(fmax(alpha[q] + step, C->smin[q]), C->smax[q]);
        }
        lr *= o->decay;
        double f = nnh_alpha_eval(C, row, sign, alpha, it + 1 < o->iters ? grad : NULL);
        if (f > fbest) {
            fbest = f;
            memcpy(best, alpha, nn * sizeof(double));
        }
        if (it + 1 < o->iters && !isfinite(f))
            break;
    }
}

/* Workspace of the optimisation of rows of one layer. */
typedef struct alpha_ws {
    nnh_alpha_ctx C;
    double *buf, *alpha, *grad, *m1, *m2, *best;
    nnh_crown_forms f[2]; /* crown's form, the optimised one */
    double c[2];
} alpha_ws;

static void ws_free(alpha_ws *w)
{
    free(w->buf);
    nnh_alpha_ctx_free(&w->C);
}

static int ws_init(alpha_ws *w, const nnh_network *net, const nnh_bounds *b, int k,
                   nnh_error *err)
{
    memset(w, 0, sizeof *w);
    int rc = nnh_alpha_ctx_init(&w->C, net, b, k, err);
    if (rc)
        return rc;
    size_t nn = w->C.n_neurons, n_in = (size_t)net->n_inputs;
    w->buf = malloc((5 * nn + 4 * n_in + 2) * sizeof(double));
    if (!w->buf) {
        ws_free(w);
        return nnh_error_set(err, NNH_ENOMEM, "alpha-crown: out of memory");
    }
    w->alpha = w->buf;
    w->grad = w->alpha + nn;
    w->m1 = w->grad + nn;
    w->m2 = w->m1 + nn;
    w->best = w->m2 + nn;
    double *box = w->best + nn + 2 * n_in;
    for (int s = 0; s < 2; s++)
        w->f[s] = (nnh_crown_forms){w->best + nn + (size_t)s * n_in, &w->c[s], box,
                                    box + n_in + 1};
    return NNH_OK;
}

/* Rigorous lower bound *v of sign * z_row of layer k: the larger of crown's
 * and crown's at the optimised slopes (skipped when crown's is above
 * target); *taken is the form it came from (w->f[0] or f[1], lower form of
 * z for sign > 0, upper form of z for sign < 0). */
static int alpha_one(alpha_ws *w, const nnh_network *net, const nnh_bounds *b, int k, int row,
                     int sign, const nnh_alpha_opts *o, double target, double *v,
                     const nnh_crown_forms **taken, nnh_error *err)
{
    double l0, l1 = -INFINITY;
    int rc = nnh_crown_row_slopes(net, b, k, row, sign, NULL, &l0, &w->f[0], err);
    if (!rc && sign < 0)
        l0 = -l0;
    if (!rc && o->iters > 0 && w->C.n_free > 0 && !(l0 > target) && isfinite(l0)) {
        nnh_alpha_opts oo = *o;
        oo.target = target;
        optimise_row(&w->C, row, sign, &oo, w->alpha, w->grad, w->m1, w->m2, w->best);
        rc = nnh_crown_row_slopes(net, b, k, row, sign, w->best, &l1, &w->f[1], err);
        if (!rc && sign < 0)
            l1 = -l1;
    }
    *v = fmax(l0, l1);
    *taken = l1 > l0 ? &w->f[1] : &w->f[0];
    return rc;
}

int nnh_crown_alpha_rows(const nnh_network *net, const nnh_bounds *b, int k, const int *rows,
                         int n, const nnh_alpha_opts *o, double *lo, nnh_crown_forms *lower,
                         nnh_error *err)
{
    alpha_ws w;
    int rc = ws_init(&w, net, b, k, err);
    size_t n_in = (size_t)net->n_inputs;
    for (int t = 0; t < n && !rc; t++) {
        const nnh_crown_forms *f;
        rc = alpha_one(&w, net, b, k, rows[t], 1, o, o->target, &lo[t], &f, err);
        if (!rc && lower) {
            memcpy(lower->A + (size_t)t * n_in, f->A, n_in * sizeof(double));
            lower->c[t] = f->c[0];
            memcpy(lower->in_lo, f->in_lo, n_in * sizeof(double));
            memcpy(lower->in_hi, f->in_hi, n_in * sizeof(double));
        }
    }
    if (w.buf)
        ws_free(&w);
    return rc;
}

int nnh_crown_alpha_layer(const nnh_network *net, nnh_bounds *b, int k, const int *sel,
                          int n_sel, const nnh_alpha_opts *o, nnh_error *err)
{
    alpha_ws w;
    int rc = ws_init(&w, net, b, k, err);
    nnh_layer_bounds *L = &b->layers[k];
    for (int t = 0; t < n_sel && !rc; t++) {
        int i = sel[t];
        const nnh_crown_forms *f;
        double lo, nhi;
        if (!(rc = alpha_one(&w, net, b, k, i, 1, o, 0.0, &lo, &f, err)) && lo > L->pre_lo[i])
            L->pre_lo[i] = lo;
        if (!rc && !(L->pre_lo[i] > 0.0) &&
            !(rc = alpha_one(&w, net, b, k, i, -1, o, 0.0, &nhi, &f, err)) && -nhi < L->pre_hi[i])
            L->pre_hi[i] = -nhi;
    }
    if (!rc)
        nnh_bounds_post_from_pre(net, b, k);
    if (w.buf)
        ws_free(&w);
    return rc;
}
