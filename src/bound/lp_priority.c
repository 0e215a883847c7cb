/* Neuron prioritisation for the LP engines: which neurons of a hidden layer
 * matter most to later layers. The score of neuron i of hidden layer k is
 * the width of its post-activation interval at context creation (what the
 * next layer's relaxation sees of it; small for saturated or dead neurons)
 * times its weight towards later layers: sum_r |W_{k+1}[r, i]| (how much of
 * it reaches the next layer), or that sum propagated to the output layer,
 * (|W_{k+1}|^T |W_{k+2}|^T ... |W_out|^T 1)_i (how much reaches the output
 * through every path; activation slopes are left out, a constant factor per
 * layer). Users: opts.skip_fraction (here: the lowest-scored neurons keep
 * their creation bounds) and opts.wide_fraction (lp_wide.c: the
 * highest-scored get a wider window). Depends on the network and the
 * creation bounds of layer k only, so every rank and both methods choose
 * the same neurons. */
#include "lp_layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_score(const void *a, const void *b)
{
    const nnh_lp_scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int by_score_desc(const void *a, const void *b)
{
    const nnh_lp_scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

void nnh_lp_sort_scores(nnh_lp_scored *s, int n, int descending)
{
    qsort(s, (size_t)n, sizeof *s, descending ? by_score_desc : by_score);
}

/* out[i] = sum_r |W[r, i]| g[r] for every column i of layer Ly (n_in
 * entries); g NULL = all ones. */
static void weighted_outgoing(const nnh_layer *Ly, const double *g, double *out)
{
    for (int i = 0; i < Ly->n_in; i++)
        out[i] = 0.0;
    for (int r = 0; r < Ly->n_out; r++) {
        const int *cols;
        const double *w;
        int n = nnh_layer_row(Ly, r, &cols, &w);
        double gr = g ? g[r] : 1.0;
        for (int t = 0; t < n; t++)
            out[NNH_ROW_COL(cols, t)] += fabs(w[t]) * gr;
    }
}

int nnh_lp_scores(const nnh_network *net, const nnh_bounds *b, int k, int propagate,
                  nnh_lp_scored *s, nnh_error *err)
{
    int maxw = nnh_network_max_width(net);
    double *g = malloc(2 * ((size_t)maxw + 1) * sizeof(double));
    if (!g)
        return nnh_error_set(err, NNH_ENOMEM, "lp_priority.c: layer %d: out of memory", k);
    double *h = g + maxw + 1, *out = g;
    int last = net->n_layers - 1;
    if (propagate && k + 1 < last) {
        /* g: weight of a_j towards the output, from j = last - 1 down to k,
         * scaled to a largest entry of 1 at every step (no overflow) */
        weighted_outgoing(&net->layers[last], NULL, g);
        for (int j = last - 1; j > k; j--) {
            double m = 0.0;
            for (int i = 0; i < net->layers[j].n_out; i++)
                m = fmax(m, g[i]);
            for (int i = 0; i < net->layers[j].n_out; i++)
                g[i] = m > 0.0 ? g[i] / m : 0.0;
            weighted_outgoing(&net->layers[j], g, h);
            memcpy(g, h, (size_t)net->layers[j].n_in * sizeof(double));
        }
    } else
        weighted_outgoing(&net->layers[k + 1], NULL, out);
    const nnh_layer_bounds *B = &b->layers[k];
    for (int i = 0; i < net->layers[k].n_out; i++) {
        double width = B->post_hi[i] - B->post_lo[i];
        s[i].score = isnan(width) ? INFINITY : width * out[i]; /* NaN would break the sort */
        s[i].idx = i;
    }
    nnh_lp_sort_scores(s, net->layers[k].n_out, 0);
    free(g);
    return NNH_OK;
}

int nnh_lp_mark(const nnh_network *net, const nnh_bounds *b, int k, int propagate, int n,
                int highest, unsigned char **mask, nnh_error *err)
{
    int w = net->layers[k].n_out;
    nnh_lp_scored *s = malloc((size_t)w * sizeof *s);
    unsigned char *m = calloc((size_t)w, 1);
    if (!s || !m) {
        free(s);
        free(m);
        return nnh_error_set(err, NNH_ENOMEM, "lp_priority.c: layer %d: out of memory", k);
    }
    int rc = nnh_lp_scores(net, b, k, propagate, s, err);
    for (int t = 0; rc == NNH_OK && t < n && t < w; t++)
        m[s[highest ? w - 1 - t : t].idx] = 1; /* s is ascending */
    free(s);
    if (rc) {
        free(m);
        return rc;
    }
    *mask = m;
    return NNH_OK;
}

int nnh_lp_priority(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err)
{
    const nnh_network *net = L->net;
    int k = L->k;
    if (L->opts.skip_fraction <= 0.0 || k + 1 >= net->n_layers)
        return NNH_OK;
    int w = net->layers[k].n_out;
    int n_skip = (int)floor(L->opts.skip_fraction * w);
    if (n_skip <= 0)
        return NNH_OK;
    return nnh_lp_mark(net, b, k, 0, n_skip, 0, &L->skip, err);
}
