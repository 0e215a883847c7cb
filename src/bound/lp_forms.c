/* Coupling a layer window's input through crown (opts.window_forms): the
 * window LP of layer k otherwise sees its input a_{j0-1} as a box, which
 * forgets how those values move together. Crown's linear forms of the
 * pre-activations z_{j0-1} over the network input x, lower(x) <= z <=
 * upper(x), hold for every input of the region (exactly in real arithmetic:
 * crown.c adds every rounding error to the constant), and a = act(z) holds
 * for the 1-D envelope planes, so adding x, z and those rows keeps the LP a
 * relaxation of the network. */
#include "lp_layer.h"

#include <math.h>
#include <stdlib.h>

/* Row z_col - A x (lower form: >= c; upper form: <= c) over the x columns
 * xc..xc+n_in-1; left out when its data is beyond what GLPK takes. */
static void add_form_row(glp_prob *P, int zcol, int xc, const double *A, double c, int n_in,
                         int upper, int *ind, double *val)
{
    if (!isfinite(c) || !nnh_lp_in_scale(&c, 1, 0) || !nnh_lp_in_scale(A, (size_t)n_in, 0))
        return;
    int len = 0;
    ind[++len] = zcol;
    val[len] = 1.0;
    for (int m = 0; m < n_in; m++)
        if (A[m] != 0.0) {
            ind[++len] = xc + m;
            val[len] = -A[m];
        }
    int r = glp_add_rows(P, 1);
    glp_set_mat_row(P, r, len, ind, val);
    if (upper)
        glp_set_row_bnds(P, r, GLP_UP, 0.0, c);
    else
        glp_set_row_bnds(P, r, GLP_LO, c, 0.0);
}

/* Column j boxed by [lo, hi], an end beyond what GLPK takes dropped (the
 * column is then wider: still a relaxation). */
static void scaled_box(glp_prob *P, int j, double lo, double hi)
{
    nnh_lp_col_box(P, j, nnh_lp_in_scale(&lo, 1, 1) ? lo : -INFINITY,
                   nnh_lp_in_scale(&hi, 1, 1) ? hi : INFINITY);
}

int nnh_lp_window_forms(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err)
{
    const nnh_network *net = L->net;
    int j = L->j0 - 1, n = net->layers[j].n_out, n_in = net->n_inputs;
    size_t an = (size_t)n * (size_t)n_in, nn = (size_t)n, ni = (size_t)n_in;
    /* A_lo, A_up, c_lo, c_up, the input box twice, one row of values */
    double *buf = malloc((2 * an + 2 * nn + 5 * ni + 2) * sizeof(double));
    int *ind = malloc((ni + 2) * sizeof(int));
    if (!buf || !ind) {
        free(buf);
        free(ind);
        return nnh_error_set(err, NNH_ENOMEM, "lp_forms.c: layer %d: out of memory", L->k);
    }
    double *p = buf + 2 * an + 2 * nn;
    nnh_crown_forms lo = {buf, buf + 2 * an, p, p + ni};
    nnh_crown_forms up = {buf + an, buf + 2 * an + nn, p + 2 * ni, p + 3 * ni};
    double *val = p + 4 * ni;
    int rc = nnh_crown_forms_layer(net, b, j, &lo, &up, err);
    if (rc) {
        free(buf);
        free(ind);
        return nnh_error_prefix(err, "lp_forms.c: layer %d", L->k);
    }
    glp_prob *P = L->P;
    int xc = glp_add_cols(P, n_in), zc = glp_add_cols(P, n);
    for (int m = 0; m < n_in; m++)
        scaled_box(P, xc + m, lo.in_lo[m], lo.in_hi[m]);
    const nnh_layer_bounds *B = &b->layers[j];
    const nnh_activation *act = &net->layers[j].act;
    for (int i = 0; i < n; i++) {
        scaled_box(P, zc + i, B->pre_lo[i], B->pre_hi[i]);
        add_form_row(P, zc + i, xc, lo.A + (size_t)i * n_in, lo.c[i], n_in, 0, ind, val);
        add_form_row(P, zc + i, xc, up.A + (size_t)i * n_in, up.c[i], n_in, 1, ind, val);
        /* the window's input columns 1..n are a_{j0-1} */
        nnh_lp_link_rows(P, act, 1 + i, zc + i, B->pre_lo[i], B->pre_hi[i]);
    }
    free(buf);
    free(ind);
    return NNH_OK;
}
