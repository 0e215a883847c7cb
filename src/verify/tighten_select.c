/* Property-directed choice of the neurons the root tightening bounds with
 * LPs (verify_tighten.c, nnh_verify_opts.tighten_fraction). Neuron i of
 * hidden layer k scores sum_r |lam_r,i| x gap_i over the open property rows
 * r (crown lower bound <= 0 in the crown pass): lam_r is the row
 * back-substituted from the output to a_k through the chord slopes of the
 * later layers (their crown-pass intervals), gap_i the largest vertical
 * distance between the activation and its chord on neuron i's current
 * interval (for a ReLU: -l u / (u - l), BaBSR's intercept). The top
 * ceil(fraction x width) neurons get their two LP tasks; the others keep
 * their crown bounds. Only a choice of tasks: every bound stays rigorous.
 * Depends on (network, bounds, pass, k, fraction) only, never on the rank
 * count or the clock. */
#include "lp_layer.h"
#include "verify_tighten.h"

#include <math.h>
#include <stdlib.h>

/* Chord slope of act on [lo, hi] (the derivative at lo for a point). */
static double chord_slope(const nnh_activation *act, double lo, double hi)
{
    if (!(hi - lo > 1e-12))
        return nnh_act_deriv(act, lo, +1);
    return (nnh_act_value(act, hi) - nnh_act_value(act, lo)) / (hi - lo);
}

/* Largest |act(x) - chord(x)| on [lo, hi]: 17 even points, the inflection
 * point and 0 (a kink) when inside. A score, not a bound. */
static double chord_gap(const nnh_activation *act, double lo, double hi)
{
    if (!isfinite(lo) || !isfinite(hi))
        return INFINITY;
    if (act->kind == NNH_ACT_IDENTITY || !(hi - lo > 1e-12))
        return 0.0;
    double s = chord_slope(act, lo, hi), f0 = nnh_act_value(act, lo), g = 0.0;
    double pts[19];
    int n = 0;
    for (int t = 1; t < 18; t++)
        pts[n++] = lo + (hi - lo) * t / 18.0;
    double infl = nnh_act_inflection(act);
    if (infl > lo && infl < hi)
        pts[n++] = infl;
    if (0.0 > lo && 0.0 < hi)
        pts[n++] = 0.0;
    for (int t = 0; t < n; t++)
        g = fmax(g, fabs(nnh_act_value(act, pts[t]) - (f0 + s * (pts[t] - lo))));
    return g;
}

int nnh_tighten_select(const nnh_network *N, const nnh_bounds *b, const nnh_bounds *pass, int k,
                       double fraction, int *ids, nnh_error *err)
{
    int out = N->n_layers - 1, w = N->layers[k].n_out;
    if (k <= 0 || k >= out || !(fraction > 0.0 && fraction < 1.0) || !pass) {
        for (int t = 0; t < 2 * w; t++)
            ids[t] = t;
        return 2 * w;
    }
    int m = N->layers[out].n_out, wmax = nnh_network_max_width(N);
    if (N->n_inputs > wmax)
        wmax = N->n_inputs;
    int *rows = malloc((size_t)m * sizeof(int));
    double *lam = malloc((size_t)m * (size_t)wmax * sizeof(double));
    double *nxt = malloc((size_t)m * (size_t)wmax * sizeof(double));
    nnh_lp_scored *s = malloc((size_t)w * sizeof *s);
    if (!rows || !lam || !nxt || !s) {
        free(rows);
        free(lam);
        free(nxt);
        free(s);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (tightening selection)");
    }
    int n_open = 0;
    const nnh_layer_bounds *P = &pass->layers[out];
    for (int r = 0; r < m; r++)
        if (!(P->pre_lo[r] > 0.0))
            rows[n_open++] = r;
    if (n_open == 0) /* every row closed by crown already: weigh them all */
        for (int r = 0; r < m; r++)
            rows[n_open++] = r;
    /* lam (n_open x width(out-1)) = the open rows' weights on a_{out-1} */
    const nnh_layer *Lo = &N->layers[out];
    int cur = Lo->n_in;
    for (int q = 0; q < n_open; q++) {
        double *l = lam + (size_t)q * cur;
        for (int c = 0; c < cur; c++)
            l[c] = 0.0;
        const int *cols;
        const double *v;
        int nn = nnh_layer_row(Lo, rows[q], &cols, &v);
        for (int t = 0; t < nn; t++)
            l[NNH_ROW_COL(cols, t)] += v[t];
    }
    /* through layers out-1 .. k+1: lam := (lam . slope_j) W_j */
    for (int j = out - 1; j > k; j--) {
        const nnh_layer *Lj = &N->layers[j];
        const nnh_layer_bounds *Pj = &pass->layers[j];
        int nin = Lj->n_in;
        for (size_t e = 0; e < (size_t)n_open * nin; e++)
            nxt[e] = 0.0;
        for (int i = 0; i < Lj->n_out; i++) {
            double sl = chord_slope(&Lj->act, Pj->pre_lo[i], Pj->pre_hi[i]);
            if (!isfinite(sl))
                sl = 1.0;
            const int *cols;
            const double *v;
            int nn = nnh_layer_row(Lj, i, &cols, &v);
            for (int q = 0; q < n_open; q++) {
                double a = lam[(size_t)q * cur + i] * sl;
                if (a == 0.0)
                    continue;
                double *d = nxt + (size_t)q * nin;
                for (int t = 0; t < nn; t++)
                    d[NNH_ROW_COL(cols, t)] += a * v[t];
            }
        }
        double *tmp = lam;
        lam = nxt;
        nxt = tmp;
        cur = nin;
    }
    const nnh_layer_bounds *B = &b->layers[k];
    for (int i = 0; i < w; i++) {
        double infl = 0.0;
        for (int q = 0; q < n_open; q++)
            infl += fabs(lam[(size_t)q * cur + i]);
        double g = chord_gap(&N->layers[k].act, B->pre_lo[i], B->pre_hi[i]);
        double sc = infl * g;
        s[i].score = isnan(sc) ? INFINITY : sc;
        s[i].idx = i;
    }
    nnh_lp_sort_scores(s, w, 1);
    int keep = (int)ceil(fraction * w);
    unsigned char *mark = (unsigned char *)nxt; /* w bytes fit */
    for (int i = 0; i < w; i++)
        mark[i] = 0;
    for (int t = 0; t < keep; t++)
        mark[s[t].idx] = 1;
    int n = 0;
    for (int i = 0; i < w; i++)
        if (mark[i]) {
            ids[n++] = 2 * i;
            ids[n++] = 2 * i + 1;
        }
    free(rows);
    free(lam);
    free(nxt);
    free(s);
    return n;
}
