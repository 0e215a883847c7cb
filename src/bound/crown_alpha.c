/* alpha-CROWN: per-row optimisation of crown's lower slopes of unstable
 * ReLU / leaky-ReLU neurons (and of split ones, whose slope ranges carry
 * beta-CROWN's multipliers; nnh_crown_slope_range) by projected Adam ascent
 * on the row's crown bound, with an analytic gradient (reverse mode through
 * the back-substitution). The search runs in plain doubles; the bound
 * returned is crown's rigorous one (crown.c) at the best slopes found. */
#include "crown_slopes.h"
#include "crown_pass.h"
#include "nnh_clock.h"
#include "nnh_round.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { LO_S, LO_C, UP_S, UP_C }; /* as in crown.c */

/* Rows optimised together: each weight row is read once per step for all
 * of them (cache reuse; the rows keep their own slopes). */
#define ALPHA_BATCH 8

void nnh_alpha_opts_init(nnh_alpha_opts *o)
{
    o->iters = 20;
    o->lr = 0.1;
    o->decay = 0.98;
    o->target = INFINITY;
    o->deadline = 0.0;
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

/* x, or 0 when x is subnormal. The search's copies of the input box and
 * lines are flushed: it only guides (the bound is crown's, recomputed from
 * the true values), and a subnormal operand makes each product with it
 * many times slower (a box whose lower ends were one step below 0 made
 * this search 6x slower on MNIST). */
static double unsubnormal(double x)
{
    return fabs(x) < DBL_MIN ? 0.0 : x;
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
    C->nv = nv;
    C->lines = malloc((4 * nn + 1) * sizeof(double));
    C->smin = malloc((nn + 1) * sizeof(double));
    C->smax = malloc((nn + 1) * sizeof(double));
    C->lam = malloc(ALPHA_BATCH * nv * sizeof(double));
    C->g = malloc(ALPHA_BATCH * nv * sizeof(double));
    C->in_lo = malloc(((size_t)net->n_inputs + 1) * sizeof(double));
    C->in_hi = malloc(((size_t)net->n_inputs + 1) * sizeof(double));
    if (!C->lines || !C->smin || !C->smax || !C->lam || !C->g || !C->in_lo || !C->in_hi) {
        nnh_alpha_ctx_free(C);
        return nnh_error_set(err, NNH_ENOMEM, "alpha-crown: out of memory");
    }
    for (int j = 0; j < net->n_inputs; j++) {
        nnh_bounds_input(net, b, j, &C->in_lo[j], &C->in_hi[j]);
        C->in_lo[j] = unsubnormal(C->in_lo[j]);
        C->in_hi[j] = unsubnormal(C->in_hi[j]);
    }
    for (int l = 0; l < k; l++) {
        const nnh_layer *Ly = &net->layers[l];
        const nnh_layer_bounds *B = &b->layers[l];
        for (int j = 0; j < Ly->n_out; j++) {
            size_t q = C->noff[l] + (size_t)j;
            nnh_crown_lines(&Ly->act, B->pre_lo[j], B->pre_hi[j], B->post_lo[j], B->post_hi[j],
                            C->lines + 4 * q);
            for (int e = 0; e < 4; e++)
                C->lines[4 * q + e] = unsubnormal(C->lines[4 * q + e]);
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

/* sum_e w[e] g[col(e)] with four partial sums (a guide value: the order of
 * the additions does not matter). */
static double dot(const int *cols, const double *w, int len, const double *g)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int e = 0;
    if (cols) {
        for (; e + 4 <= len; e += 4) {
            s0 += w[e] * g[cols[e]];
            s1 += w[e + 1] * g[cols[e + 1]];
            s2 += w[e + 2] * g[cols[e + 2]];
            s3 += w[e + 3] * g[cols[e + 3]];
        }
        for (; e < len; e++)
            s0 += w[e] * g[cols[e]];
    } else {
        for (; e + 4 <= len; e += 4) {
            s0 += w[e] * g[e];
            s1 += w[e + 1] * g[e + 1];
            s2 += w[e + 2] * g[e + 2];
            s3 += w[e + 3] * g[e + 3];
        }
        for (; e < len; e++)
            s0 += w[e] * g[e];
    }
    return (s0 + s1) + (s2 + s3);
}

/* y += a x over n entries (the arrays do not overlap: lets the compiler
 * vectorise). */
static void axpy(int n, double a, const double *restrict x, double *restrict y)
{
    /* unrolled by 4 so that -O2's vectoriser (which adds no remainder loop
     * of its own) packs it: the same operation per element either way */
    int m = 0;
    for (; m + 4 <= n; m += 4) {
        y[m] += a * x[m];
        y[m + 1] += a * x[m + 1];
        y[m + 2] += a * x[m + 2];
        y[m + 3] += a * x[m + 3];
    }
    for (; m < n; m++)
        y[m] += a * x[m];
}

/* Coefficients over a_l (l = -1: the input) of batch slot t start here in
 * lam / g. */
static double *over(const nnh_alpha_ctx *C, double *base, int t, int l)
{
    base += (size_t)t * C->nv;
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

/* One row of a batch: what is bounded, its slopes and optimiser state. */
typedef struct slot {
    int row, sign;
    const double *alpha;
    double *grad;            /* NULL: no gradient */
    double f;                /* the bound at alpha */
} slot;

/* f (and grad) of up to ALPHA_BATCH rows at once: each weight row is read
 * once for all of them. */
static void eval_batch(nnh_alpha_ctx *C, slot *const *S, int ns)
{
    const nnh_network *N = C->net;
    int k = C->k, n_in = N->n_inputs;
    const nnh_layer *Lk = &N->layers[k];
    const int *cols;
    const double *w;
    for (int t = 0; t < ns; t++) {
        double *cur = over(C, C->lam, t, k - 1), sg = S[t]->sign < 0 ? -1.0 : 1.0;
        memset(cur, 0, (size_t)Lk->n_in * sizeof(double));
        int len = nnh_layer_row(Lk, S[t]->row, &cols, &w);
        for (int e = 0; e < len; e++)
            cur[NNH_ROW_COL(cols, e)] = sg * w[e];
        S[t]->f = sg * Lk->b[S[t]->row];
    }
    /* forward: the back-substitution, lam over a_{k-1}, ..., a_0, x */
    for (int l = k - 1; l >= 0; l--) {
        const nnh_layer *Ly = &N->layers[l];
        for (int t = 0; t < ns; t++)
            memset(over(C, C->lam, t, l - 1), 0, (size_t)Ly->n_in * sizeof(double));
        for (int j = 0; j < Ly->n_out; j++) {
            int len = nnh_layer_row(Ly, j, &cols, &w);
            for (int t = 0; t < ns; t++) {
                double lj = over(C, C->lam, t, l)[j], s, tt;
                if (lj == 0.0)
                    continue;
                pick_line(C, C->noff[l] + (size_t)j, lj, S[t]->alpha, &s, &tt);
                double mu = lj * s, *nxt = over(C, C->lam, t, l - 1);
                S[t]->f += lj * tt;
                if (mu == 0.0)
                    continue;
                S[t]->f += mu * Ly->b[j];
                if (cols)
                    for (int e = 0; e < len; e++)
                        nxt[cols[e]] += mu * w[e];
                else
                    axpy(len, mu, w, nxt);
            }
        }
    }
    for (int t = 0; t < ns; t++) {
        const double *cur = over(C, C->lam, t, -1);
        double *gb = over(C, C->g, t, -1);
        for (int m = 0; m < n_in; m++) {
            if (cur[m] != 0.0)
                S[t]->f += cur[m] * (cur[m] > 0.0 ? C->in_lo[m] : C->in_hi[m]);
            /* reverse starts: d f / d lam over x */
            gb[m] = cur[m] > 0.0   ? C->in_lo[m]
                    : cur[m] < 0.0 ? C->in_hi[m]
                                   : 0.5 * C->in_lo[m] + 0.5 * C->in_hi[m];
        }
        if (S[t]->grad)
            memset(S[t]->grad, 0, C->n_neurons * sizeof(double));
    }
    /* reverse, layer by layer upward: d f / d mu_j = W_j . g_below + b_j,
     * d f / d alpha_j = that * lam_j, d f / d lam_j = that * s_j + t_j */
    for (int l = 0; l < k; l++) {
        const nnh_layer *Ly = &N->layers[l];
        for (int j = 0; j < Ly->n_out; j++) {
            size_t q = C->noff[l] + (size_t)j;
            int len = nnh_layer_row(Ly, j, &cols, &w);
            for (int t = 0; t < ns; t++) {
                if (!S[t]->grad)
                    continue;
                double lj = over(C, C->lam, t, l)[j], s, tt;
                pick_line(C, q, lj, S[t]->alpha, &s, &tt);
                int want = lj > 0.0 && C->smin[q] <= C->smax[q];
                if (s == 0.0 && !want) { /* gm unused: a stable inactive ReLU, say */
                    over(C, C->g, t, l)[j] = tt;
                    continue;
                }
                double gm = Ly->b[j] + dot(cols, w, len, over(C, C->g, t, l - 1));
                if (want)
                    S[t]->grad[q] = gm * lj;
                over(C, C->g, t, l)[j] = gm * s + tt;
            }
        }
    }
}

double nnh_alpha_eval(nnh_alpha_ctx *C, int row, int sign, const double *alpha, double *grad)
{
    slot s = {row, sign, alpha, grad, 0.0}, *p = &s;
    eval_batch(C, &p, 1);
    return s.f;
}

/* Optimiser state of one row (ALPHA_BATCH of them in the workspace). */
typedef struct row_opt {
    slot s;
    double *alpha, *m1, *m2, *best;
    double fbest;
    int done;
} row_opt;

/* Projected Adam ascent on the rows R[0..n) together, each from crown's
 * slopes; R[t].best gets the best slopes seen (NaN where not free). */
static void optimise_rows(nnh_alpha_ctx *C, row_opt *R, int n, const nnh_alpha_opts *o,
                          double target)
{
    size_t nn = C->n_neurons;
    slot *act[ALPHA_BATCH];
    int na = 0;
    for (int t = 0; t < n; t++) {
        for (size_t q = 0; q < nn; q++) {
            int free_q = C->smin[q] <= C->smax[q];
            R[t].alpha[q] =
                free_q ? fmin(fmax(C->lines[4 * q + LO_S], C->smin[q]), C->smax[q]) : NAN;
            R[t].best[q] = R[t].alpha[q];
            R[t].m1[q] = R[t].m2[q] = 0.0;
        }
        R[t].s.alpha = R[t].alpha;
        act[na++] = &R[t].s;
    }
    eval_batch(C, act, na);
    for (int t = 0; t < n; t++) {
        R[t].fbest = R[t].s.f;
        R[t].done = !isfinite(R[t].fbest) || R[t].fbest > target;
    }
    const double b1 = 0.9, b2 = 0.999;
    double p1 = 1.0, p2 = 1.0, lr = o->lr;
    for (int it = 0; it < o->iters; it++) {
        p1 *= b1;
        p2 *= b2;
        na = 0;
        for (int t = 0; t < n; t++) {
            if (R[t].done)
                continue;
            const double *g = R[t].s.grad;
            for (size_t q = 0; q < nn; q++) {
                if (!(C->smin[q] <= C->smax[q]))
                    continue;
                R[t].m1[q] = b1 * R[t].m1[q] + (1 - b1) * g[q];
                R[t].m2[q] = b2 * R[t].m2[q] + (1 - b2) * g[q] * g[q];
                double step =
                    lr * (R[t].m1[q] / (1 - p1)) / (sqrt(R[t].m2[q] / (1 - p2)) + 1e-12);
                R[t].alpha[q] = fmin(fmax(R[t].alpha[q] + step, C->smin[q]), C->smax[q]);
            }
            act[na++] = &R[t].s;
        }
        if (!na)
            break;
        lr *= o->decay;
        double *grads[ALPHA_BATCH];
        for (int u = 0; u < na; u++) { /* the last step's gradient would be unused */
            grads[u] = act[u]->grad;
            if (it == o->iters - 1)
                act[u]->grad = NULL;
        }
        eval_batch(C, act, na);
        for (int u = 0; u < na; u++)
            act[u]->grad = grads[u];
        for (int t = 0; t < n; t++) {
            if (R[t].done)
                continue;
            if (R[t].s.f > R[t].fbest) {
                R[t].fbest = R[t].s.f;
                memcpy(R[t].best, R[t].alpha, nn * sizeof(double));
            }
            R[t].done = !isfinite(R[t].s.f) || R[t].fbest > target;
        }
    }
}

/* Workspace of the optimisation of rows of one layer. */
typedef struct alpha_ws {
    nnh_alpha_ctx C;
    double *buf;
    row_opt R[ALPHA_BATCH];
    double *A;            /* ALPHA_BATCH + 1 forms of n_inputs */
    double c[ALPHA_BATCH + 1], *box;
    nnh_crown_pass *pass; /* crown's bounds of the rows: lines prepared once on b */
} alpha_ws;

static void ws_free(alpha_ws *w)
{
    free(w->buf);
    nnh_crown_pass_free(w->pass);
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
    w->buf = malloc((ALPHA_BATCH * 5 * nn + (ALPHA_BATCH + 3) * n_in + 2) * sizeof(double));
    if (!w->buf || nnh_crown_pass_new_slopes(net, &w->pass, err)) {
        ws_free(w);
        return nnh_error_set(err, NNH_ENOMEM, "alpha-crown: out of memory");
    }
    double *p = w->buf;
    for (int t = 0; t < ALPHA_BATCH; t++, p += 5 * nn) {
        w->R[t].alpha = p;
        w->R[t].s.grad = p + nn;
        w->R[t].m1 = p + 2 * nn;
        w->R[t].m2 = p + 3 * nn;
        w->R[t].best = p + 4 * nn;
    }
    w->A = p;
    w->box = p + (ALPHA_BATCH + 1) * n_in;
    return NNH_OK;
}

/* Form t of the workspace (t = ALPHA_BATCH: the scratch one). */
static nnh_crown_forms ws_form(alpha_ws *w, int t)
{
    size_t n_in = (size_t)w->C.net->n_inputs;
    nnh_crown_forms f = {w->A + (size_t)t * n_in, &w->c[t], w->box, w->box + n_in + 1};
    return f;
}

/* Rigorous lower bounds v[t] of sign[t] * z_rows[t] of layer k, t < n <=
 * ALPHA_BATCH: the larger of crown's (only when `plain`; else -inf) and
 * crown's at the slopes optimised together for the rows whose crown bound
 * is not above target. out (may be NULL) gets the form of the bound taken,
 * row t (lower form of z for sign > 0, upper form for sign < 0). */
static int alpha_batch(alpha_ws *w, const nnh_bounds *b, const int *rows, const int *sign,
                       int n, int plain, const nnh_alpha_opts *o, double target, double *v,
                       nnh_crown_forms *out, nnh_error *err)
{
    const nnh_network *net = w->C.net;
    int k = w->C.k, rc = 0, m = 0, who[ALPHA_BATCH];
    size_t n_in = (size_t)net->n_inputs;
    for (int t = 0; t < n && !rc; t++) {
        v[t] = -INFINITY;
        nnh_crown_forms f = ws_form(w, t);
        if (plain && !(rc = nnh_crown_pass_row_slopes(w->pass, b, k, rows[t], sign[t], NULL,
                                                      &v[t], &f, err)))
            v[t] = sign[t] < 0 ? -v[t] : v[t];
        if (!rc && o->iters > 0 && w->C.n_free > 0 && !(v[t] > target) &&
            !(plain && v[t] == -INFINITY) && !(o->deadline > 0 && nnh_now() > o->deadline)) {
            w->R[m].s.row = rows[t];
            w->R[m].s.sign = sign[t];
            who[m++] = t;
        }
    }
    if (!rc && m)
        optimise_rows(&w->C, w->R, m, o, target);
    for (int u = 0; u < m && !rc; u++) {
        int t = who[u];
        double l1;
        nnh_crown_forms f = ws_form(w, ALPHA_BATCH);
        if ((rc = nnh_crown_pass_row_slopes(w->pass, b, k, rows[t], sign[t], w->R[u].best, &l1,
                                            &f, err)))
            break;
        l1 = sign[t] < 0 ? -l1 : l1;
        if (l1 > v[t]) {
            v[t] = l1;
            nnh_crown_forms g = ws_form(w, t);
            memcpy(g.A, f.A, n_in * sizeof(double));
            g.c[0] = f.c[0];
        }
    }
    for (int t = 0; t < n && !rc && out; t++) {
        nnh_crown_forms g = ws_form(w, t);
        memcpy(out->A + (size_t)t * n_in, g.A, n_in * sizeof(double));
        out->c[t] = g.c[0];
        memcpy(out->in_lo, g.in_lo, n_in * sizeof(double));
        memcpy(out->in_hi, g.in_hi, n_in * sizeof(double));
    }
    return rc;
}

int nnh_crown_alpha_rows(const nnh_network *net, const nnh_bounds *b, int k, const int *rows,
                         int n, const nnh_alpha_opts *o, double *lo, nnh_crown_forms *lower,
                         nnh_error *err)
{
    alpha_ws w;
    int rc = ws_init(&w, net, b, k, err), ones[ALPHA_BATCH];
    size_t n_in = (size_t)net->n_inputs;
    for (int t = 0; t < ALPHA_BATCH; t++)
        ones[t] = 1;
    for (int t0 = 0; t0 < n && !rc; t0 += ALPHA_BATCH) {
        int nb = n - t0 < ALPHA_BATCH ? n - t0 : ALPHA_BATCH;
        nnh_crown_forms part, *pp = NULL;
        if (lower) {
            part = *lower;
            part.A = lower->A + (size_t)t0 * n_in;
            part.c = lower->c + t0;
            pp = &part;
        }
        rc = alpha_batch(&w, b, rows + t0, ones, nb, 1, o, o->target, lo + t0, pp, err);
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
    int rows[ALPHA_BATCH], sign[ALPHA_BATCH];
    double v[ALPHA_BATCH];
    /* lower sides first, then the upper side of the neurons still
     * unstable; crown's own bound is what b holds (or looser), so it is not
     * recomputed */
    for (int side = 1; side >= -1 && !rc; side -= 2) {
        int nb = 0;
        for (int t = 0; t <= n_sel && !rc; t++) {
            if (t < n_sel && (side > 0 || !(L->pre_lo[sel[t]] > 0.0))) {
                rows[nb] = sel[t];
                sign[nb++] = side;
            }
            if (nb == ALPHA_BATCH || (t == n_sel && nb > 0)) {
                rc = alpha_batch(&w, b, rows, sign, nb, 0, o, 0.0, v, NULL, err);
                for (int u = 0; u < nb && !rc; u++) {
                    if (side > 0 && v[u] > L->pre_lo[rows[u]])
                        L->pre_lo[rows[u]] = v[u];
                    if (side < 0 && -v[u] < L->pre_hi[rows[u]])
                        L->pre_hi[rows[u]] = -v[u];
                }
                nb = 0;
            }
        }
    }
    if (!rc)
        nnh_bounds_post_from_pre(net, b, k);
    if (w.buf)
        ws_free(&w);
    return rc;
}
