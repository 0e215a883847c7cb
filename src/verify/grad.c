/* Input gradients of c^T f(x) by reverse-mode differentiation over the
 * dense layers: forward pass keeps every z_k, backward pass multiplies by
 * W_k^T and the activation derivatives. Allocation-free (caller workspace). */
#include "grad.h"
#include "act_apply.h"
#include "row_dot.h"

#include <string.h>

size_t nnh_grad_workspace(const nnh_network *net)
{
    size_t n = (size_t)net->n_inputs;
    for (int k = 0; k < net->n_layers; k++)
        n += (size_t)net->layers[k].n_out;
    return n + 2 * (size_t)nnh_network_max_width(net);
}

static int clamped(const nnh_network *net, const double *x, int j)
{
    return (net->in_min && x[j] < net->in_min[j]) || (net->in_max && x[j] > net->in_max[j]);
}

void nnh_network_grad(const nnh_network *net, const double *x, const double *c, double *y,
                      double *g, double *work)
{
    int w = nnh_network_max_width(net);
    double *a0 = work;                      /* clamped input */
    double *zs = a0 + net->n_inputs;        /* z_0, z_1, ... concatenated */
    double *cur = zs, *prev = a0;
    double *t1 = work + nnh_grad_workspace(net) - 2 * (size_t)w, *t2 = t1 + w;
    nnh_network_clamp_input(net, x, a0);
    /* forward: z_k = W a + b, a = sigma(z) kept in t1/t2 alternately */
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        double *a_out = (k % 2 == 0) ? t1 : t2;
        if (L->W) {
            nnh_dense_affine(L->W, L->b, L->n_out, L->n_in, prev, cur);
            nnh_act_apply(&L->act, cur, a_out, L->n_out);
        }
        for (int i = 0; i < L->n_out && !L->W; i++) {
            const int *cols;
            const double *wr;
            int n = nnh_layer_row(L, i, &cols, &wr);
            double s = L->b[i];
            for (int t = 0; t < n; t++)
                s += wr[t] * prev[NNH_ROW_COL(cols, t)];
            cur[i] = s;
            a_out[i] = nnh_act_value(&L->act, s);
        }
        prev = a_out;
        cur += L->n_out;
    }
    const nnh_layer *last = &net->layers[net->n_layers - 1];
    if (y)
        memcpy(y, prev, (size_t)last->n_out * sizeof(double));
    /* backward: delta = dg/da_k, then dg/dz_k = delta * sigma'(z_k) */
    double *delta = t1, *next = t2;
    memcpy(delta, c, (size_t)last->n_out * sizeof(double));
    for (int k = net->n_layers - 1; k >= 0; k--) {
        const nnh_layer *L = &net->layers[k];
        cur -= L->n_out;
        nnh_act_scale_deriv(&L->act, cur, delta, L->n_out);
        double *dst = k == 0 ? g : next;
        for (int j = 0; j < L->n_in; j++)
            dst[j] = 0.0;
        /* dense: the rows with a nonzero delta, four per pass over dst */
        for (int i = 0; i < L->n_out && L->W;) {
            int rows[4], nr = 0;
            double d[4];
            for (; i < L->n_out && nr < 4; i++)
                if (delta[i] != 0.0) {
                    d[nr] = delta[i];
                    rows[nr++] = i;
                }
            nnh_dense_add_rows(L->W, L->n_in, rows, d, nr, dst);
        }
        for (int i = 0; i < L->n_out && !L->W; i++) {
            double di = delta[i];
            if (di == 0.0)
                continue;
            const int *cols;
            const double *wr;
            int n = nnh_layer_row(L, i, &cols, &wr);
            for (int t = 0; t < n; t++)
                dst[NNH_ROW_COL(cols, t)] += di * wr[t];
        }
        if (k > 0) {
            double *t = delta;
            delta = next;
            next = t;
        }
    }
    for (int j = 0; j < net->n_inputs; j++)
        if (clamped(net, x, j))
            g[j] = 0.0;
}
