/* CROWN / DeepPoly linear back-substitution for one layer, rigorous in
 * floating point: every rounding of the back-substitution is bounded and
 * added to the constant of the linear form before it is concretised. */
#include "nnhull/engine.h"
#include "nnhull/envelope.h"
#include "crown_slopes.h"
#include "crown_pass.h"
#include "nnh_round.h"
#include "row_dot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Error accounting (why the bounds hold for the exact real-valued network).
 *
 * Every bound is computed as an UPPER bound of a linear form; the lower
 * bound of z_i is minus the upper bound of -z_i (rows n..2n-1 start from
 * -W_k, -b_k). A row holds, over the post-activation values a_j of layer l,
 *     z  <=  sum_j lam_j a_j + c          (exactly, in real arithmetic).
 * One step replaces a_j by a valid line s_j z_j + t_j (upper line when
 * lam_j > 0, lower line when lam_j < 0; both valid in exact arithmetic, see
 * nnh_env1d_linear_relax) and z_j by W_j a' + b_j:
 *     sum_j lam_j a_j <= sum_m [sum_j (lam_j s_j) W_jm] a'_m
 *                        + sum_j (lam_j s_j) b_j + sum_j lam_j t_j.
 * In floating point we compute mu_j = fl(lam_j s_j) and next_m by recursive
 * summation of fl(mu_j W_jm) over j, so (Higham) each coefficient is off
 * from its exact value by at most gamma_{n+1} sum_j |lam_j s_j| |W_jm|.
 * Replacing the exact coefficient by the computed one therefore costs at
 * most sum_m err_m |a'_m| <= gamma_{n+1} sum_j |mu_j| r_j, where
 * r_j = sum_m |W_jm| A_m >= sum_m |W_jm| |a'_m| with A_m = max(|lo_m|, |hi_m|)
 * of the rigorous box of a'_m (post bounds of layer l-1, or the input box).
 * That term (nnh_dot_error(n, sum_j |mu_j| r_j), whose 2x margin covers the
 * rounding of r and of this sum) is added to c, as is the summation error
 * of the constant c + sum_j lam_j t_j + sum_j mu_j b_j (2n+1 terms, each
 * with at most 2 product roundings: nnh_dot_error(2n+1, .)). All additions
 * to c are rounded up. From then on the computed coefficients are exact
 * reals, so the next step starts again from an exact inequality. The last
 * form, over the input box, is concretised as sum_m max(lam_m lo_m,
 * lam_m hi_m) + c with the summation error added and rounded up.
 * Infinite boxes or intercepts only ever produce +inf in an upper row
 * (0 * inf is avoided by skipping zero coefficients), which is sound. */

enum { LO_S, LO_C, UP_S, UP_C }; /* per-neuron line pair, 4 doubles (slope, then constant) */

/* Rows are back-substituted in chunks of at most this many doubles per
 * buffer (lam, next): memory stays linear in the network's width. */
#define CROWN_CHUNK_DOUBLES ((size_t)1 << 21)

typedef struct crown_ws {
    int rows, width;     /* rows = 2 x (neurons per chunk), width = max layer width */
    double *lam, *next;  /* rows x width each */
    double *c;           /* rows */
    double *lines;       /* 4 per neuron of the layers < k */
    double *r;           /* 1 per neuron of the layers < k: sum_m |W_jm| A_m, rounded up */
    size_t *off;         /* first neuron of layer l in lines / r */
    double *in_lo, *in_hi;
} crown_ws;

static void ws_free(crown_ws *w)
{
    free(w->lam);
    free(w->next);
    free(w->c);
    free(w->lines);
    free(w->r);
    free(w->off);
    free(w->in_lo);
    free(w->in_hi);
}

static int ws_alloc(crown_ws *w, const nnh_network *net, int k, int n_sel)
{
    memset(w, 0, sizeof *w);
    int width = nnh_network_max_width(net);
    size_t per = CROWN_CHUNK_DOUBLES / (2 * (size_t)width);
    int chunk = per < 1 ? 1 : per < (size_t)n_sel ? (int)per : n_sel;
    w->rows = 2 * chunk;
    w->width = width;
    size_t rw = (size_t)w->rows * (size_t)width, nn = 0;
    w->off = malloc(((size_t)k + 1) * sizeof *w->off);
    if (w->off)
        for (int l = 0; l <= k; l++) {
            w->off[l] = nn;
            nn += l < k ? (size_t)net->layers[l].n_out : 0;
        }
    w->lam = malloc(rw * sizeof(double));
    w->next = malloc(rw * sizeof(double));
    w->c = malloc((size_t)w->rows * sizeof(double));
    w->lines = malloc((4 * nn + 1) * sizeof(double));
    w->r = malloc((nn + 1) * sizeof(double));
    w->in_lo = malloc((size_t)net->n_inputs * sizeof(double));
    w->in_hi = malloc((size_t)net->n_inputs * sizeof(double));
    if (!w->off || !w->lam || !w->next || !w->c || !w->lines || !w->r || !w->in_lo ||
        !w->in_hi) {
        ws_free(w);
        return -1;
    }
    return 0;
}

/* The input box after the network's domain clamp (as IBP sees it). */
static void clamped_inputs(const nnh_network *net, const nnh_bounds *b, double *lo, double *hi)
{
    for (int j = 0; j < net->n_inputs; j++)
        nnh_bounds_input(net, b, j, &lo[j], &hi[j]);
}

static void set_lines(double *ln, double ls, double lc, double us, double uc)
{
    ln[LO_S] = ls;
    ln[LO_C] = lc;
    ln[UP_S] = us;
    ln[UP_C] = uc;
}

/* Valid lines lo_s z + lo_c <= sigma(z) <= up_s z + up_c on [L, U]. Where
 * sigma is linear on [L, U] the lines are exact (no margin), so networks
 * whose neurons are all stable get exact bounds; unbounded or degenerate
 * intervals use the constant lines of the post box [plo, phi]. */
static void neuron_lines(const nnh_activation *a, double L, double U, double plo, double phi,
                         double *ln)
{
    if (a->kind == NNH_ACT_IDENTITY) {
        set_lines(ln, 1.0, 0.0, 1.0, 0.0);
        return;
    }
    if (!isfinite(L) || !isfinite(U) || !(L < U)) {
        set_lines(ln, 0.0, plo, 0.0, phi);
        return;
    }
    switch (a->kind) {
    case NNH_ACT_RELU:
    case NNH_ACT_LEAKY_RELU: {
        double neg = a->kind == NNH_ACT_RELU ? 0.0 : a->alpha;
        if (L >= 0.0) {
            set_lines(ln, 1.0, 0.0, 1.0, 0.0);
            return;
        }
        if (U <= 0.0) {
            set_lines(ln, neg, 0.0, neg, 0.0);
            return;
        }
        break;
    }
    case NNH_ACT_ELU:
        if (L >= 0.0) {
            set_lines(ln, 1.0, 0.0, 1.0, 0.0);
            return;
        }
        break;
    case NNH_ACT_SELU:
        if (L >= 0.0) {
            set_lines(ln, a->lambda, 0.0, a->lambda, 0.0);
            return;
        }
        break;
    default:
        break;
    }
    double ls, lc, us, uc;
    nnh_env1d_linear_relax(a, L, U, &ls, &lc, &us, &uc);
    if (!isfinite(ls) || !isfinite(lc) || !isfinite(us) || !isfinite(uc))
        set_lines(ln, 0.0, plo, 0.0, phi);
    else
        set_lines(ln, ls, lc, us, uc);
}

void nnh_crown_lines(const nnh_activation *a, double L, double U, double plo, double phi,
                     double ln[4])
{
    neuron_lines(a, L, U, plo, phi, ln);
}

int nnh_crown_slope_range(const nnh_activation *a, double L, double U, double *smin,
                          double *smax)
{
    if (!(isfinite(L) && isfinite(U) && L <= 0.0 && U >= 0.0 && L < U))
        return 0;
    double neg;
    if (a->kind == NNH_ACT_RELU)
        neg = 0.0;
    else if (a->kind == NNH_ACT_LEAKY_RELU && a->alpha <= 1.0)
        neg = a->alpha;
    else
        return 0;
    if (L < 0.0 && U > 0.0) { /* unstable: under the function everywhere */
        *smin = neg;
        *smax = 1.0;
    } else if (L == 0.0) { /* z >= 0 on the domain (an active split): s z <= z for s <= 1 */
        *smin = -1.0;
        *smax = 1.0;
    } else { /* U == 0, z <= 0 (an inactive split): s z <= neg z for s >= neg */
        *smin = neg;
        *smax = neg + 2.0;
    }
    return 1;
}

/* r_j = sum_m |W_jm| A_m rounded up, A = max(|lo|, |hi|) of the layer input
 * (computed once per layer into A, n_in doubles of workspace); unless `all`,
 * skipped (0) where both lines of neuron j have slope 0: no row then passes
 * through it, so r_j is never read (step_row). */
static void input_magnitudes(const nnh_layer *Ly, const double *lines, const double *lo,
                             const double *hi, int all, double *A, double *r)
{
    for (int q = 0; q < Ly->n_in; q++)
        A[q] = fmax(fabs(lo[q]), fabs(hi[q]));
    for (int j = 0; j < Ly->n_out; j++) {
        const double *ln = lines + 4 * (size_t)j;
        r[j] = 0.0;
        if (!all && ln[UP_S] == 0.0 && ln[LO_S] == 0.0)
            continue;
        const int *cols;
        const double *w;
        int m = nnh_layer_row(Ly, j, &cols, &w);
        double s = 0.0;
        for (int t = 0; t < m; t++)
            if (w[t] != 0.0)
                s += fabs(w[t]) * A[NNH_ROW_COL(cols, t)];
        r[j] = nnh_up(s + nnh_dot_error(m, s));
    }
}

/* One back-substitution step of one upper row through layer Ly (see the
 * comment at the top): lam[n] over a_l becomes next[m] over the layer's
 * inputs; returns the new constant, rounded up. */
static double step_row(const double *lam, const nnh_layer *Ly, const double *lines,
                       const double *r, double c, double *next)
{
    int n = Ly->n_out, m = Ly->n_in;
    double acc = c, abs_c = fabs(c), abs_mu = 0.0;
    memset(next, 0, (size_t)m * sizeof(double));
    /* dense: next += mu_j W_j for four rows per pass over next (the same
     * additions in the same order, row_dot.h) */
    int pend[4], np = 0;
    double pmu[4];
    for (int j = 0; j < n; j++) {
        double l = lam[j];
        if (l == 0.0)
            continue;
        /* the upper line when l > 0, else the lower one, picked by index
         * (the sign is no pattern a branch predictor learns) */
        const double *ln = lines + 4 * (size_t)j + (l > 0.0 ? UP_S : LO_S);
        double s = ln[0], t = ln[1];
        if (t != 0.0) {
            double tt = l * t;
            acc += tt;
            abs_c += fabs(tt);
        }
        double mu = l * s;
        if (mu == 0.0)
            continue;
        double mb = mu * Ly->b[j];
        acc += mb;
        abs_c += fabs(mb);
        abs_mu += fabs(mu) * r[j];
        if (Ly->W) {
            pend[np] = j;
            pmu[np++] = mu;
            if (np == 4) {
                nnh_dense_add_rows(Ly->W, m, pend, pmu, np, next);
                np = 0;
            }
            continue;
        }
        const int *cols;
        const double *w;
        int len = nnh_layer_row(Ly, j, &cols, &w);
        for (int t = 0; t < len; t++)
            next[cols[t]] += mu * w[t];
    }
    nnh_dense_add_rows(Ly->W, m, pend, pmu, np, next);
    double e_const = nnh_dot_error(2 * n + 1, abs_c);
    double e_coef = abs_mu > 0.0 ? nnh_dot_error(n, abs_mu) : 0.0;
    double out = nnh_up(nnh_up(acc + e_const) + e_coef);
    return isnan(out) ? INFINITY : out;
}

/* Upper bound of sum_m lam_m x_m + c over the box [lo, hi], rounded up. */
static double concretise_row(const double *lam, int m, const double *lo, const double *hi,
                             double c)
{
    double acc = c, abs_sum = fabs(c);
    for (int q = 0; q < m; q++) {
        double l = lam[q];
        if (l == 0.0)
            continue;
        double t = l * (l > 0.0 ? hi[q] : lo[q]);
        acc += t;
        abs_sum += fabs(t);
    }
    double out = nnh_up(acc + nnh_dot_error(m + 1, abs_sum));
    return isnan(out) ? INFINITY : out;
}

/* Lines and input magnitudes of every neuron of layers from..k-1 (read-only for
 * all the rows of layer k). w->next serves as scratch here (it holds at
 * least the widest layer's inputs and propagate overwrites it). slopes
 * (may be NULL): the lower line of each unstable ReLU-like neuron becomes
 * slopes[off + j] z (clamped into its valid range, nnh_crown_slope_range;
 * a NaN keeps the default line), which holds exactly in real arithmetic
 * for any slope of the range. */
static void prepare_layers(const nnh_network *net, const nnh_bounds *b, int from, int k,
                           const double *slopes, int all_r, crown_ws *w)
{
    for (int l = from; l < k; l++) {
        const nnh_layer *Ly = &net->layers[l];
        const nnh_layer_bounds *B = &b->layers[l];
        double *lines = w->lines + 4 * w->off[l];
        for (int j = 0; j < Ly->n_out; j++) {
            double *ln = lines + 4 * (size_t)j, smin, smax;
            neuron_lines(&Ly->act, B->pre_lo[j], B->pre_hi[j], B->post_lo[j], B->post_hi[j],
                         ln);
            double s = slopes ? slopes[w->off[l] + (size_t)j] : NAN;
            if (!isnan(s) && nnh_crown_slope_range(&Ly->act, B->pre_lo[j], B->pre_hi[j], &smin,
                                                   &smax)) {
                ln[LO_S] = fmin(fmax(s, smin), smax);
                ln[LO_C] = 0.0;
            }
        }
        if (l > 0)
            input_magnitudes(Ly, lines, b->layers[l - 1].post_lo, b->layers[l - 1].post_hi,
                             all_r, w->next, w->r + w->off[l]);
        else
            input_magnitudes(Ly, lines, w->in_lo, w->in_hi, all_r, w->next, w->r + w->off[l]);
    }
}

/* Back-substitute the first rows upper forms through layers k-1, ..., 0: on
 * return row i is lam_i^T x + c_i over the (clamped) input. */
static void propagate(const nnh_network *net, int k, int rows, crown_ws *w)
{
    int width = w->width;
    for (int l = k - 1; l >= 0; l--) {
        const nnh_layer *Ly = &net->layers[l];
        for (int i = 0; i < rows; i++)
            w->c[i] = step_row(w->lam + (size_t)i * width, Ly, w->lines + 4 * w->off[l],
                               w->r + w->off[l], w->c[i], w->next + (size_t)i * width);
        double *t = w->lam;
        w->lam = w->next;
        w->next = t;
    }
}

/* The rows of neurons sel[0..n_sel) of layer k through w's lines of layers
 * < k (prepared on b) and w's input box: write (may be NULL, may be b) gets
 * the concretised bounds intersected into its layer k; lower / upper (may
 * be NULL) get the forms, row t for neuron sel[t]. */
static void crown_rows(const nnh_network *net, int k, const int *sel, int n_sel,
                       nnh_bounds *write, nnh_crown_forms *lower, nnh_crown_forms *upper,
                       crown_ws *w)
{
    const nnh_layer *Lk = &net->layers[k];
    int n_in = net->n_inputs, ch = w->rows / 2;
    for (int t0 = 0; t0 < n_sel; t0 += ch) {
        int nc = n_sel - t0 < ch ? n_sel - t0 : ch;
        /* rows t: z_sel[t0 + t], rows nc + t: -z_sel[t0 + t] */
        for (int t = 0; t < nc; t++) {
            int i = sel[t0 + t];
            const int *cols;
            const double *wi;
            int len = nnh_layer_row(Lk, i, &cols, &wi);
            double *p = w->lam + (size_t)t * w->width, *q = w->lam + (size_t)(nc + t) * w->width;
            if (cols) {
                memset(p, 0, (size_t)Lk->n_in * sizeof(double));
                memset(q, 0, (size_t)Lk->n_in * sizeof(double));
            }
            for (int e = 0; e < len; e++) {
                p[NNH_ROW_COL(cols, e)] = wi[e];
                q[NNH_ROW_COL(cols, e)] = -wi[e];
            }
            w->c[t] = Lk->b[i];
            w->c[nc + t] = -Lk->b[i];
        }
        propagate(net, k, 2 * nc, w);
        for (int t = 0; write && t < nc; t++) {
            nnh_layer_bounds *L = &write->layers[k];
            int i = sel[t0 + t];
            double hi = concretise_row(w->lam + (size_t)t * w->width, n_in, w->in_lo, w->in_hi,
                                       w->c[t]);
            double lo = -concretise_row(w->lam + (size_t)(nc + t) * w->width, n_in, w->in_lo,
                                        w->in_hi, w->c[nc + t]);
            if (lo > L->pre_lo[i])
                L->pre_lo[i] = lo;
            if (hi < L->pre_hi[i])
                L->pre_hi[i] = hi;
        }
        if (lower) /* -z <= lam^T x + c  <=>  z >= -lam^T x - c (negation is exact) */
            for (int t = 0; t < nc; t++) {
                const double *lam = w->lam + (size_t)(nc + t) * w->width;
                for (int m = 0; m < n_in; m++)
                    lower->A[(size_t)(t0 + t) * n_in + m] = -lam[m];
                lower->c[t0 + t] = -w->c[nc + t];
            }
        if (upper) /* z <= lam^T x + c as computed */
            for (int t = 0; t < nc; t++) {
                memcpy(upper->A + (size_t)(t0 + t) * n_in, w->lam + (size_t)t * w->width,
                       (size_t)n_in * sizeof(double));
                upper->c[t0 + t] = w->c[t];
            }
    }
    for (int s = 0; s < 2; s++) {
        nnh_crown_forms *f = s ? upper : lower;
        if (f) {
            memcpy(f->in_lo, w->in_lo, (size_t)n_in * sizeof(double));
            memcpy(f->in_hi, w->in_hi, (size_t)n_in * sizeof(double));
        }
    }
    if (write)
        nnh_bounds_post_from_pre(net, write, k);
}

/* Back-substitution of the neurons sel[0..n_sel) of layer k from the bounds
 * of layers < k in b. write (may be NULL, may be b) gets the concretised
 * bounds intersected into its layer k; lower / upper (may be NULL) get the
 * forms, row t for neuron sel[t]. */
static int crown_core(const nnh_network *net, const nnh_bounds *b, int k, const int *sel,
                      int n_sel, const double *slopes, nnh_bounds *write,
                      nnh_crown_forms *lower, nnh_crown_forms *upper, nnh_error *err)
{
    if (k < 0 || k >= net->n_layers || b->n_layers != net->n_layers ||
        b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "crown: layer %d does not match the network", k);
    if (n_sel <= 0)
        return NNH_OK;
    crown_ws w;
    if (ws_alloc(&w, net, k, n_sel) != 0)
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory at layer %d", k);
    clamped_inputs(net, b, w.in_lo, w.in_hi);
    prepare_layers(net, b, 0, k, slopes, 0, &w);
    crown_rows(net, k, sel, n_sel, write, lower, upper, &w);
    ws_free(&w);
    return NNH_OK;
}

/* Lower bound of sum_m a_m x_m + c over the box [lo, hi], rounded down. */
static double concretise_lower(const double *a, int m, const double *lo, const double *hi,
                               double c)
{
    double acc = c, abs_sum = fabs(c);
    for (int q = 0; q < m; q++) {
        double l = a[q];
        if (l == 0.0)
            continue;
        double t = l * (l > 0.0 ? lo[q] : hi[q]);
        acc += t;
        abs_sum += fabs(t);
    }
    double out = nnh_down(acc - nnh_dot_error(m + 1, abs_sum));
    return isnan(out) ? -INFINITY : out;
}

/* ---- crown passes --------------------------------------------------------
 * One workspace and one set of prepared lines for a sweep over the layers
 * of one bounds object: the lines of layer l depend only on b's layer l
 * (and the magnitudes on layer l - 1), so a driver that bounds the layers
 * in order prepares each once, not once per later layer. */
struct nnh_crown_pass {
    const nnh_network *net;
    crown_ws w;
    int prepared;   /* lines and magnitudes of layers < prepared are current */
    int prefix_row; /* the last-layer row whose lower form is saved, or -1 */
    double *pre_lam; /* n_layers x width: that row's form over a_l, before layer l */
    double *pre_c;   /* n_layers: its constants */
    int slopes;      /* slopes mode (nnh_crown_pass_new_slopes): the fields below */
    double *slines;  /* the lines with a call's slopes put in */
    int *sl_idx;     /* the prepared neurons that take a slope (index into lines / r) */
    double *sl_min, *sl_max; /* their slope ranges */
    size_t n_sl;
};

void nnh_crown_pass_free(nnh_crown_pass *p)
{
    if (!p)
        return;
    ws_free(&p->w);
    free(p->pre_lam);
    free(p->pre_c);
    free(p->slines);
    free(p->sl_idx);
    free(p->sl_min);
    free(p->sl_max);
    free(p);
}

int nnh_crown_pass_new(const nnh_network *net, int max_sel, nnh_crown_pass **out, nnh_error *err)
{
    *out = NULL;
    nnh_crown_pass *p = calloc(1, sizeof *p);
    if (!p)
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory (pass)");
    if (ws_alloc(&p->w, net, net->n_layers, max_sel < 1 ? 1 : max_sel) != 0) {
        free(p);
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory (pass)");
    }
    p->net = net;
    p->prefix_row = -1;
    p->pre_lam = malloc((size_t)net->n_layers * (size_t)p->w.width * sizeof(double));
    p->pre_c = malloc((size_t)net->n_layers * sizeof(double));
    if (!p->pre_lam || !p->pre_c) {
        nnh_crown_pass_free(p);
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory (pass)");
    }
    *out = p;
    return NNH_OK;
}

int nnh_crown_pass_new_slopes(const nnh_network *net, nnh_crown_pass **out, nnh_error *err)
{
    int rc = nnh_crown_pass_new(net, 1, out, err);
    if (rc)
        return rc;
    nnh_crown_pass *p = *out;
    size_t nn = p->w.off[net->n_layers];
    p->slopes = 1;
    p->slines = malloc((4 * nn + 1) * sizeof(double));
    p->sl_idx = malloc((nn + 1) * sizeof(int));
    p->sl_min = malloc((nn + 1) * sizeof(double));
    p->sl_max = malloc((nn + 1) * sizeof(double));
    if (!p->slines || !p->sl_idx || !p->sl_min || !p->sl_max) {
        nnh_crown_pass_free(p);
        *out = NULL;
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory (pass)");
    }
    return NNH_OK;
}

void nnh_crown_pass_reset(nnh_crown_pass *p)
{
    p->prepared = 0;
    p->prefix_row = -1;
    p->n_sl = 0;
}

/* Lines of layers < k current on b (see the contract in crown_pass.h). */
static void pass_prepare(nnh_crown_pass *p, const nnh_bounds *b, int k)
{
    clamped_inputs(p->net, b, p->w.in_lo, p->w.in_hi);
    if (k <= p->prepared)
        return;
    prepare_layers(p->net, b, p->prepared, k, NULL, p->slopes, &p->w);
    for (int l = p->prepared; l < k && p->slopes; l++) { /* the neurons that take a slope */
        const nnh_layer_bounds *B = &b->layers[l];
        for (int j = 0; j < p->net->layers[l].n_out; j++) {
            double smin, smax;
            if (!nnh_crown_slope_range(&p->net->layers[l].act, B->pre_lo[j], B->pre_hi[j],
                                       &smin, &smax))
                continue;
            p->sl_idx[p->n_sl] = (int)(p->w.off[l] + (size_t)j);
            p->sl_min[p->n_sl] = smin;
            p->sl_max[p->n_sl++] = smax;
        }
    }
    p->prepared = k;
}

int nnh_crown_pass_layer(nnh_crown_pass *p, nnh_bounds *b, int k, const int *sel, int n_sel,
                         nnh_crown_forms *lower, nnh_error *err)
{
    const nnh_network *net = p->net;
    if (k < 0 || k >= net->n_layers || b->n_layers != net->n_layers ||
        b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "crown: layer %d does not match the network", k);
    if (n_sel <= 0)
        return NNH_OK;
    pass_prepare(p, b, k);
    p->prefix_row = -1; /* layer k changes */
    crown_rows(net, k, sel, n_sel, b, lower, NULL, &p->w);
    return NNH_OK;
}

/* r_j of input_magnitudes for one neuron, from the layer input's box. */
static double magnitude_of(const nnh_layer *Ly, int j, const double *lo, const double *hi)
{
    const int *cols;
    const double *w;
    int m = nnh_layer_row(Ly, j, &cols, &w);
    double s = 0.0;
    for (int t = 0; t < m; t++)
        if (w[t] != 0.0) {
            int q = NNH_ROW_COL(cols, t);
            s += fabs(w[t]) * fmax(fabs(lo[q]), fabs(hi[q]));
        }
    return nnh_up(s + nnh_dot_error(m, s));
}

/* One step of row 0 of w (constant c) through layer l: returns the
 * constant of its form over layer l's input (row 0 of w->lam). */
static double step_one(const nnh_network *net, int l, crown_ws *w, double c)
{
    c = step_row(w->lam, &net->layers[l], w->lines + 4 * w->off[l], w->r + w->off[l], c,
                 w->next);
    double *t = w->lam;
    w->lam = w->next;
    w->next = t;
    return c;
}

int nnh_crown_pass_narrowed(nnh_crown_pass *p, const nnh_bounds *b, int row, int k, int j,
                            double lo, double hi, double *lower, nnh_error *err)
{
    const nnh_network *net = p->net;
    int last = net->n_layers - 1;
    if (last < 1 || k < 0 || k >= last || j < 0 || j >= net->layers[k].n_out || row < 0 ||
        row >= net->layers[last].n_out || b->n_layers != net->n_layers ||
        b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "crown: no neuron %d of hidden layer %d", j, k);
    crown_ws *w = &p->w;
    pass_prepare(p, b, last);
    if (p->prefix_row != row) { /* the form of -z_row before each hidden layer */
        const nnh_layer *Ll = &net->layers[last];
        const int *cols;
        const double *wi;
        int len = nnh_layer_row(Ll, row, &cols, &wi);
        memset(w->lam, 0, (size_t)Ll->n_in * sizeof(double));
        for (int e = 0; e < len; e++)
            w->lam[NNH_ROW_COL(cols, e)] = -wi[e];
        double c = -Ll->b[row];
        for (int l = last - 1; l >= 0; l--) {
            memcpy(p->pre_lam + (size_t)l * w->width, w->lam,
                   (size_t)net->layers[l].n_out * sizeof(double));
            p->pre_c[l] = c;
            c = step_one(net, l, w, c);
        }
        p->prefix_row = row;
    }
    /* neuron (k, j)'s lines on [lo, hi] for this estimate; the magnitudes of
     * layer k + 1 keep the wider post interval (larger, so still valid) */
    const nnh_activation *act = &net->layers[k].act;
    double *ln = w->lines + 4 * (w->off[k] + (size_t)j), *rj = w->r + w->off[k] + j;
    double keep[4] = {ln[0], ln[1], ln[2], ln[3]}, keep_r = *rj, plo, phi;
    nnh_act_image(act, lo, hi, &plo, &phi);
    neuron_lines(act, lo, hi, plo, phi, ln);
    if (keep_r == 0.0 && (ln[UP_S] != 0.0 || ln[LO_S] != 0.0)) /* was skipped */
        *rj = k > 0 ? magnitude_of(&net->layers[k], j, b->layers[k - 1].post_lo,
                                   b->layers[k - 1].post_hi)
                    : magnitude_of(&net->layers[k], j, w->in_lo, w->in_hi);
    memcpy(w->lam, p->pre_lam + (size_t)k * w->width,
           (size_t)net->layers[k].n_out * sizeof(double));
    double c = p->pre_c[k];
    for (int l = k; l >= 0; l--)
        c = step_one(net, l, w, c);
    double v = -concretise_row(w->lam, net->n_inputs, w->in_lo, w->in_hi, c);
    memcpy(ln, keep, sizeof keep);
    *rj = keep_r;
    *lower = isnan(v) ? -INFINITY : v;
    return NNH_OK;
}

int nnh_crown_pass_row_slopes(nnh_crown_pass *p, const nnh_bounds *b, int k, int row, int sign,
                              const double *slopes, double *bound, nnh_crown_forms *form,
                              nnh_error *err)
{
    const nnh_network *net = p->net;
    if (!p->slopes)
        return nnh_error_set(err, NNH_EINVAL, "crown: the pass was not made for slopes");
    if (k < 0 || k >= net->n_layers || row < 0 || row >= net->layers[k].n_out ||
        b->n_layers != net->n_layers || b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "crown: row %d of layer %d does not exist", row, k);
    crown_ws *w = &p->w;
    pass_prepare(p, b, k);
    double *lines = w->lines;
    if (slopes) { /* the lines of crown_core with these slopes (prepare_layers) */
        memcpy(p->slines, lines, 4 * w->off[k] * sizeof(double));
        for (size_t t = 0; t < p->n_sl && (size_t)p->sl_idx[t] < w->off[k]; t++) {
            double s = slopes[p->sl_idx[t]];
            if (isnan(s))
                continue;
            double *ln = p->slines + 4 * (size_t)p->sl_idx[t];
            ln[LO_S] = fmin(fmax(s, p->sl_min[t]), p->sl_max[t]);
            ln[LO_C] = 0.0;
        }
        w->lines = p->slines;
    }
    /* crown_rows' row for this side: sign > 0 the upper form of -z (the
     * lower form of z), sign < 0 the upper form of z */
    const nnh_layer *Lk = &net->layers[k];
    const int *cols;
    const double *wi;
    int len = nnh_layer_row(Lk, row, &cols, &wi), n_in = net->n_inputs;
    double neg = sign > 0 ? -1.0 : 1.0;
    memset(w->lam, 0, (size_t)Lk->n_in * sizeof(double));
    for (int e = 0; e < len; e++)
        w->lam[NNH_ROW_COL(cols, e)] = sign > 0 ? -wi[e] : wi[e];
    double c = sign > 0 ? -Lk->b[row] : Lk->b[row];
    for (int l = k - 1; l >= 0; l--)
        c = step_one(net, l, w, c);
    w->lines = lines;
    for (int m = 0; m < n_in; m++)
        form->A[m] = neg * w->lam[m];
    form->c[0] = neg * c;
    memcpy(form->in_lo, w->in_lo, (size_t)n_in * sizeof(double));
    memcpy(form->in_hi, w->in_hi, (size_t)n_in * sizeof(double));
    *bound = sign > 0 ? concretise_lower(form->A, n_in, form->in_lo, form->in_hi, form->c[0])
                      : concretise_row(form->A, n_in, form->in_lo, form->in_hi, form->c[0]);
    return NNH_OK;
}

int nnh_crown_layer_sel(const nnh_network *net, nnh_bounds *b, int k, const int *sel, int n_sel,
                        nnh_crown_forms *lower, nnh_error *err)
{
    return crown_core(net, b, k, sel, n_sel, NULL, b, lower, NULL, err);
}

int nnh_crown_layer_forms(const nnh_network *net, nnh_bounds *b, int k, const int *sel,
                          int n_sel, nnh_crown_forms *lower, nnh_crown_forms *upper,
                          nnh_error *err)
{
    return crown_core(net, b, k, sel, n_sel, NULL, b, lower, upper, err);
}

/* crown_core on every neuron of layer k. */
static int crown_all(const nnh_network *net, const nnh_bounds *b, int k, nnh_bounds *write,
                     nnh_crown_forms *lower, nnh_crown_forms *upper, nnh_error *err)
{
    if (k < 0 || k >= net->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "crown: layer %d does not match the network", k);
    int nk = net->layers[k].n_out;
    int *all = malloc(((size_t)nk + 1) * sizeof(int));
    if (!all)
        return nnh_error_set(err, NNH_ENOMEM, "crown: out of memory at layer %d", k);
    for (int i = 0; i < nk; i++)
        all[i] = i;
    int rc = crown_core(net, b, k, all, nk, NULL, write, lower, upper, err);
    free(all);
    return rc;
}

int nnh_crown_layer(const nnh_network *net, nnh_bounds *b, int k, nnh_error *err)
{
    return crown_all(net, b, k, b, NULL, NULL, err);
}

int nnh_crown_forms_layer(const nnh_network *net, const nnh_bounds *b, int k,
                          nnh_crown_forms *lower, nnh_crown_forms *upper, nnh_error *err)
{
    return crown_all(net, b, k, NULL, lower, upper, err);
}

int nnh_crown_row_slopes(const nnh_network *net, const nnh_bounds *b, int k, int row, int sign,
                         const double *slopes, double *bound, nnh_crown_forms *form,
                         nnh_error *err)
{
    if (k < 0 || k >= net->n_layers || row < 0 || row >= net->layers[k].n_out)
        return nnh_error_set(err, NNH_EINVAL, "crown: row %d of layer %d does not exist", row, k);
    int n_in = net->n_inputs;
    int rc = sign > 0 ? crown_core(net, b, k, &row, 1, slopes, NULL, form, NULL, err)
                      : crown_core(net, b, k, &row, 1, slopes, NULL, NULL, form, err);
    if (!rc)
        *bound = sign > 0 ? concretise_lower(form->A, n_in, form->in_lo, form->in_hi, form->c[0])
                          : concretise_row(form->A, n_in, form->in_lo, form->in_hi, form->c[0]);
    return rc;
}
