/* Neuron prioritisation for the LP engines (opts.skip_fraction): with a
 * per-layer budget, spend the LPs on the neurons whose bounds matter most to
 * later layers. The score of neuron i of hidden layer k is the width of its
 * post-activation interval at context creation (what the next layer's
 * relaxation sees of it; small for saturated or dead neurons) times
 * sum_r |W_{k+1}[r, i]| (how much of it reaches the next layer). The
 * floor(fraction x width) lowest-scored neurons keep their creation (crown)
 * bounds. Depends on the creation bounds only, so every rank and both
 * methods skip the same neurons. */
#include "lp_layer.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double score;
    int idx;
} scored;

/* Ascending score, ties by index (qsort is not stable). */
static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* sum_r |W[r, i]| for every column i of layer Ly into out (n_in entries). */
static void outgoing_weights(const nnh_layer *Ly, double *out)
{
    for (int i = 0; i < Ly->n_in; i++)
        out[i] = 0.0;
    for (int r = 0; r < Ly->n_out; r++) {
        const int *cols;
        const double *w;
        int n = nnh_layer_row(Ly, r, &cols, &w);
        for (int t = 0; t < n; t++)
            out[NNH_ROW_COL(cols, t)] += fabs(w[t]);
    }
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
    scored *s = malloc((size_t)w * sizeof *s);
    double *out = malloc((size_t)w * sizeof(double));
    L->skip = calloc((size_t)w, 1);
    if (!s || !out || !L->skip) {
        free(s);
        free(out);
        return nnh_error_set(err, NNH_ENOMEM, "lp_priority.c: layer %d: out of memory", k);
    }
    outgoing_weights(&net->layers[k + 1], out);
    const nnh_layer_bounds *B = &b->layers[k];
    for (int i = 0; i < w; i++) {
        double width = B->post_hi[i] - B->post_lo[i];
        s[i].score = isnan(width) ? INFINITY : width * out[i]; /* NaN would break the sort */
        s[i].idx = i;
    }
    qsort(s, (size_t)w, sizeof *s, by_score);
    for (int t = 0; t < n_skip; t++)
        L->skip[s[t].idx] = 1;
    free(s);
    free(out);
    return NNH_OK;
}
