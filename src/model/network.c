/* Feed-forward network: construction, validation, forward evaluation and
 * folding of consecutive affine layers (sparse layers: layer_sparse.c). */
#include "layer_sparse.h"
#include "act_apply.h"
#include "row_dot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dupstr(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int network_new(nnh_network **out, int n_layers, const int *sizes, int dense,
                       nnh_error *err)
{
    *out = NULL;
    if (n_layers < 1)
        return nnh_error_set(err, NNH_EINVAL, "network needs at least one layer");
    for (int k = 0; k <= n_layers; k++)
        if (sizes[k] < 1)
            return nnh_error_set(err, NNH_EINVAL, "layer %d has size %d", k - 1, sizes[k]);
    nnh_network *net = calloc(1, sizeof *net);
    if (!net)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    net->n_inputs = sizes[0];
    net->n_layers = n_layers;
    net->layers = calloc((size_t)n_layers, sizeof *net->layers);
    if (!net->layers)
        goto oom;
    for (int k = 0; k < n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        L->n_in = sizes[k];
        L->n_out = sizes[k + 1];
        if (dense && !(L->W = calloc((size_t)L->n_in * (size_t)L->n_out, sizeof(double))))
            goto oom;
        L->b = calloc((size_t)L->n_out, sizeof(double));
        if (!L->b)
            goto oom;
        nnh_act_default(&L->act, NNH_ACT_IDENTITY);
    }
    *out = net;
    return NNH_OK;
oom:
    nnh_network_free(net);
    return nnh_error_set(err, NNH_ENOMEM, "out of memory allocating a network");
}

int nnh_network_create(nnh_network **out, int n_layers, const int *sizes, nnh_error *err)
{
    return network_new(out, n_layers, sizes, 1, err);
}

int nnh_network_alloc(nnh_network **out, int n_layers, const int *sizes, nnh_error *err)
{
    return network_new(out, n_layers, sizes, 0, err);
}

void nnh_network_free(nnh_network *net)
{
    if (!net)
        return;
    if (net->layers)
        for (int k = 0; k < net->n_layers; k++) {
            nnh_layer_free_weights(&net->layers[k]);
            free(net->layers[k].b);
        }
    free(net->layers);
    free(net->in_min);
    free(net->in_max);
    free(net->source);
    free(net->format);
    free(net);
}

int nnh_network_n_outputs(const nnh_network *net)
{
    return net->layers[net->n_layers - 1].n_out;
}

int nnh_network_max_width(const nnh_network *net)
{
    int m = net->n_inputs;
    for (int k = 0; k < net->n_layers; k++)
        if (net->layers[k].n_out > m)
            m = net->layers[k].n_out;
    return m;
}

int nnh_network_validate(const nnh_network *net, nnh_error *err)
{
    int prev = net->n_inputs;
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        if (L->n_in != prev)
            return nnh_error_set(err, NNH_EINVAL, "layer %d expects %d inputs but receives %d", k,
                                 L->n_in, prev);
        int rc = L->W ? NNH_OK : nnh_layer_check_sparse(L, k, err);
        if (rc)
            return rc;
        size_t nw = nnh_layer_nnz(L);
        const double *wv = L->W ? L->W : L->sp_val;
        for (size_t i = 0; i < nw; i++)
            if (!isfinite(wv[i]))
                return nnh_error_set(err, NNH_ENUMERIC, "layer %d: weight %zu is not finite", k, i);
        for (int i = 0; i < L->n_out; i++)
            if (!isfinite(L->b[i]))
                return nnh_error_set(err, NNH_ENUMERIC, "layer %d: bias %d is not finite", k, i);
        rc = nnh_act_check(&L->act, err);
        if (rc)
            return nnh_error_prefix(err, "layer %d", k);
        prev = L->n_out;
    }
    return NNH_OK;
}

static void affine(const nnh_layer *L, const double *a, double *z)
{
    if (L->W) {
        nnh_dense_affine(L->W, L->b, L->n_out, L->n_in, a, z);
        return;
    }
    for (int i = 0; i < L->n_out; i++) {
        const int *c;
        const double *w;
        int n = nnh_layer_row(L, i, &c, &w);
        double s = L->b[i];
        if (c)
            for (int t = 0; t < n; t++)
                s += w[t] * a[c[t]];
        else
            for (int j = 0; j < n; j++)
                s += w[j] * a[j];
        z[i] = s;
    }
}

void nnh_network_eval_layers(const nnh_network *net, const double *x, double *const *pre,
                             double *const *post)
{
    int w = nnh_network_max_width(net);
    double *buf = malloc(2 * (size_t)w * sizeof(double));
    if (!buf)
        return;
    double *a = buf, *z = buf + w;
    memcpy(a, x, (size_t)net->n_inputs * sizeof(double));
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        affine(L, a, z);
        if (pre && pre[k])
            memcpy(pre[k], z, (size_t)L->n_out * sizeof(double));
        for (int i = 0; i < L->n_out; i++)
            a[i] = nnh_act_value(&L->act, z[i]);
        if (post && post[k])
            memcpy(post[k], a, (size_t)L->n_out * sizeof(double));
    }
    free(buf);
}

void nnh_network_clamp_input(const nnh_network *net, const double *x, double *a)
{
    for (int j = 0; j < net->n_inputs; j++) {
        double v = x[j];
        if (net->in_min && v < net->in_min[j])
            v = net->in_min[j];
        if (net->in_max && v > net->in_max[j])
            v = net->in_max[j];
        a[j] = v;
    }
}

int nnh_network_eval(const nnh_network *net, const double *x, double *y, double *scratch)
{
    int w = nnh_network_max_width(net);
    double *buf = scratch ? scratch : malloc(2 * (size_t)w * sizeof(double));
    if (!buf)
        return NNH_ENOMEM;
    double *a = buf, *z = buf + w;
    nnh_network_clamp_input(net, x, a);
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        affine(L, a, z);
        nnh_act_apply(&L->act, z, a, L->n_out);
    }
    memcpy(y, a, (size_t)nnh_network_n_outputs(net) * sizeof(double));
    if (!scratch)
        free(buf);
    return NNH_OK;
}

int nnh_network_fold_affine(nnh_network *net, int k, nnh_error *err)
{
    if (k < 0 || k + 1 >= net->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "cannot fold layer %d: no next layer", k);
    nnh_layer *A = &net->layers[k], *B = &net->layers[k + 1];
    if (A->act.kind != NNH_ACT_IDENTITY)
        return nnh_error_set(err, NNH_EINVAL, "cannot fold layer %d: it has an activation", k);
    if (!A->W || !B->W)
        return nnh_layer_fold_sparse(net, k, err);
    /* B (A x + a) + b = (B A) x + (B a + b) */
    double *W = calloc((size_t)B->n_out * (size_t)A->n_in, sizeof(double));
    double *b = calloc((size_t)B->n_out, sizeof(double));
    if (!W || !b) {
        free(W);
        free(b);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory folding layers");
    }
    for (int i = 0; i < B->n_out; i++) {
        double s = B->b[i];
        for (int m = 0; m < B->n_in; m++) {
            double bim = B->W[(size_t)i * B->n_in + m];
            if (bim == 0.0)
                continue;
            s += bim * A->b[m];
            const double *arow = A->W + (size_t)m * A->n_in;
            double *wrow = W + (size_t)i * A->n_in;
            for (int j = 0; j < A->n_in; j++)
                wrow[j] += bim * arow[j];
        }
        b[i] = s;
    }
    free(B->W);
    free(B->b);
    B->W = W;
    B->b = b;
    B->n_in = A->n_in;
    free(A->W);
    free(A->b);
    memmove(A, B, (size_t)(net->n_layers - k - 1) * sizeof *A);
    net->n_layers--;
    return NNH_OK;
}

int nnh_network_copy(const nnh_network *src, nnh_network **out, nnh_error *err)
{
    int *sizes = malloc(((size_t)src->n_layers + 1) * sizeof(int));
    if (!sizes)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    sizes[0] = src->n_inputs;
    for (int k = 0; k < src->n_layers; k++)
        sizes[k + 1] = src->layers[k].n_out;
    int rc = nnh_network_alloc(out, src->n_layers, sizes, err);
    free(sizes);
    if (rc)
        return rc;
    nnh_network *d = *out;
    for (int k = 0; k < src->n_layers && !rc; k++) {
        const nnh_layer *S = &src->layers[k];
        rc = nnh_layer_copy_weights(S, &d->layers[k], err);
        memcpy(d->layers[k].b, S->b, (size_t)S->n_out * sizeof(double));
        d->layers[k].act = S->act;
    }
    size_t n = (size_t)src->n_inputs * sizeof(double);
    if (src->in_min && (d->in_min = malloc(n)))
        memcpy(d->in_min, src->in_min, n);
    if (src->in_max && (d->in_max = malloc(n)))
        memcpy(d->in_max, src->in_max, n);
    d->softmax_stripped = src->softmax_stripped;
    d->source = dupstr(src->source);
    d->format = dupstr(src->format);
    if (!rc && ((src->in_min && !d->in_min) || (src->in_max && !d->in_max)))
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    if (rc) {
        nnh_network_free(d);
        *out = NULL;
        return rc;
    }
    return NNH_OK;
}
