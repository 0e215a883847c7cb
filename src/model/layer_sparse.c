/* Sparse (compressed-row) weights of a network layer: conversion to and from
 * dense, copies, structural checks and the product of two layers when one of
 * them is sparse (nnh_network_fold_affine). */
#include "layer_sparse.h"

#include <stdlib.h>
#include <string.h>

size_t nnh_layer_nnz(const nnh_layer *L)
{
    return L->W ? (size_t)L->n_in * (size_t)L->n_out : L->sp_start[L->n_out];
}

void nnh_layer_free_weights(nnh_layer *L)
{
    free(L->W);
    free(L->sp_start);
    free(L->sp_col);
    free(L->sp_val);
    L->W = NULL;
    L->sp_start = NULL;
    L->sp_col = NULL;
    L->sp_val = NULL;
}

/* Room for a sparse form of L with nnz entries (sp_start not filled). */
static int alloc_sparse(nnh_layer *L, size_t nnz, nnh_error *err)
{
    L->sp_start = malloc(((size_t)L->n_out + 1) * sizeof *L->sp_start);
    L->sp_col = malloc((nnz + 1) * sizeof *L->sp_col);
    L->sp_val = malloc((nnz + 1) * sizeof *L->sp_val);
    if (L->sp_start && L->sp_col && L->sp_val)
        return NNH_OK;
    nnh_layer_free_weights(L);
    return nnh_error_set(err, NNH_ENOMEM, "out of memory for a sparse layer of %zu weights", nnz);
}

int nnh_layer_make_sparse(nnh_layer *L, nnh_error *err)
{
    if (!L->W)
        return NNH_OK;
    size_t n = (size_t)L->n_in * (size_t)L->n_out, nnz = 0;
    for (size_t e = 0; e < n; e++)
        nnz += L->W[e] != 0.0;
    double *W = L->W;
    L->W = NULL;
    int rc = alloc_sparse(L, nnz, err);
    if (rc) {
        L->W = W;
        return rc;
    }
    size_t pos = 0;
    for (int i = 0; i < L->n_out; i++) {
        L->sp_start[i] = pos;
        const double *w = W + (size_t)i * (size_t)L->n_in;
        for (int j = 0; j < L->n_in; j++)
            if (w[j] != 0.0) {
                L->sp_col[pos] = j;
                L->sp_val[pos++] = w[j];
            }
    }
    L->sp_start[L->n_out] = pos;
    free(W);
    return NNH_OK;
}

int nnh_layer_make_dense(nnh_layer *L, nnh_error *err)
{
    if (L->W)
        return NNH_OK;
    double *W = calloc((size_t)L->n_in * (size_t)L->n_out, sizeof *W);
    if (!W)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory for a dense %d x %d layer",
                             L->n_out, L->n_in);
    for (int i = 0; i < L->n_out; i++)
        for (size_t e = L->sp_start[i]; e < L->sp_start[i + 1]; e++)
            W[(size_t)i * (size_t)L->n_in + (size_t)L->sp_col[e]] = L->sp_val[e];
    nnh_layer_free_weights(L);
    L->W = W;
    return NNH_OK;
}

int nnh_layer_copy_weights(const nnh_layer *S, nnh_layer *d, nnh_error *err)
{
    if (S->W) {
        size_t n = (size_t)S->n_in * (size_t)S->n_out;
        d->W = malloc((n ? n : 1) * sizeof(double));
        if (!d->W)
            return nnh_error_set(err, NNH_ENOMEM, "out of memory copying a layer");
        memcpy(d->W, S->W, n * sizeof(double));
        return NNH_OK;
    }
    size_t nnz = S->sp_start[S->n_out];
    int rc = alloc_sparse(d, nnz, err);
    if (rc)
        return rc;
    memcpy(d->sp_start, S->sp_start, ((size_t)S->n_out + 1) * sizeof *S->sp_start);
    memcpy(d->sp_col, S->sp_col, nnz * sizeof *S->sp_col);
    memcpy(d->sp_val, S->sp_val, nnz * sizeof *S->sp_val);
    return NNH_OK;
}

int nnh_layer_check_sparse(const nnh_layer *L, int k, nnh_error *err)
{
    if (!L->sp_start || !L->sp_col || !L->sp_val)
        return nnh_error_set(err, NNH_EINVAL, "layer %d has no weights", k);
    if (L->sp_start[0] != 0)
        return nnh_error_set(err, NNH_EINVAL, "layer %d: sparse rows do not start at 0", k);
    for (int i = 0; i < L->n_out; i++) {
        if (L->sp_start[i + 1] < L->sp_start[i])
            return nnh_error_set(err, NNH_EINVAL, "layer %d: sparse row %d has a negative length",
                                 k, i);
        int prev = -1;
        for (size_t e = L->sp_start[i]; e < L->sp_start[i + 1]; e++) {
            int c = L->sp_col[e];
            if (c <= prev || c >= L->n_in)
                return nnh_error_set(err, NNH_EINVAL,
                                     "layer %d: sparse row %d: column %d out of range or order "
                                     "(%d inputs)",
                                     k, i, c, L->n_in);
            prev = c;
        }
    }
    return NNH_OK;
}

/* Growable compressed rows of the product. */
typedef struct csr_build {
    size_t n, cap;
    int *col;
    double *val;
} csr_build;

static int csr_push(csr_build *c, int col, double v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        int *nc = realloc(c->col, cap * sizeof *nc);
        if (nc)
            c->col = nc;
        double *nv = realloc(c->val, cap * sizeof *nv);
        if (nv)
            c->val = nv;
        if (!nc || !nv)
            return -1;
        c->cap = cap;
    }
    c->col[c->n] = col;
    c->val[c->n++] = v;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Row i of B A into c (entries in increasing column), its bias into *bias.
 * acc (A->n_in, zero on entry and exit) and touched (A->n_in) are scratch. */
static int product_row(const nnh_layer *A, const nnh_layer *B, int i, double *acc, int *touched,
                       csr_build *c, double *bias)
{
    const int *bc, *ac;
    const double *bv, *av;
    int nb = nnh_layer_row(B, i, &bc, &bv), nt = 0;
    double s = B->b[i];
    for (int t = 0; t < nb; t++) {
        double bim = bv[t];
        if (bim == 0.0)
            continue;
        int m = NNH_ROW_COL(bc, t);
        s += bim * A->b[m];
        int na = nnh_layer_row(A, m, &ac, &av);
        for (int u = 0; u < na; u++) {
            int j = NNH_ROW_COL(ac, u);
            if (av[u] == 0.0)
                continue;
            if (acc[j] == 0.0)
                touched[nt++] = j; /* may repeat after a cancellation: skipped below */
            acc[j] += bim * av[u];
        }
    }
    *bias = s;
    qsort(touched, (size_t)nt, sizeof *touched, cmp_int);
    int rc = 0, last = -1;
    for (int t = 0; t < nt; t++) {
        int j = touched[t];
        if (j == last)
            continue;
        last = j;
        if (acc[j] != 0.0 && !rc)
            rc = csr_push(c, j, acc[j]);
        acc[j] = 0.0;
    }
    return rc;
}

int nnh_layer_fold_sparse(nnh_network *net, int k, nnh_error *err)
{
    nnh_layer *A = &net->layers[k], *B = &net->layers[k + 1];
    size_t *start = malloc(((size_t)B->n_out + 1) * sizeof *start);
    double *b = malloc((size_t)B->n_out * sizeof *b);
    double *acc = calloc((size_t)A->n_in, sizeof *acc);
    /* a column can be touched again after cancelling to 0: bound by the terms */
    size_t cap_t = 0;
    for (int i = 0; i < B->n_out; i++) {
        const int *bc;
        const double *bv;
        size_t terms = 0;
        int nb = nnh_layer_row(B, i, &bc, &bv);
        for (int t = 0; t < nb; t++)
            if (bv[t] != 0.0) {
                const int *ac;
                const double *av;
                terms += (size_t)nnh_layer_row(A, NNH_ROW_COL(bc, t), &ac, &av);
            }
        if (terms > cap_t)
            cap_t = terms;
    }
    int *touched = malloc((cap_t + 1) * sizeof *touched);
    csr_build c = {0};
    int rc = !start || !b || !acc || !touched ? -1 : 0;
    for (int i = 0; !rc && i < B->n_out; i++) {
        start[i] = c.n;
        rc = product_row(A, B, i, acc, touched, &c, &b[i]);
    }
    free(acc);
    free(touched);
    if (rc) {
        free(start);
        free(b);
        free(c.col);
        free(c.val);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory folding layers %d and %d", k, k + 1);
    }
    start[B->n_out] = c.n;
    if (!c.col) { /* an all-zero product: keep valid (non-NULL) arrays */
        c.col = malloc(sizeof(int));
        c.val = malloc(sizeof(double));
        if (!c.col || !c.val) {
            free(start);
            free(b);
            free(c.col);
            free(c.val);
            return nnh_error_set(err, NNH_ENOMEM, "out of memory folding layers %d and %d", k,
                                 k + 1);
        }
    }
    nnh_layer_free_weights(B);
    free(B->b);
    B->sp_start = start;
    B->sp_col = c.col;
    B->sp_val = c.val;
    B->b = b;
    B->n_in = A->n_in;
    nnh_layer_free_weights(A);
    free(A->b);
    memmove(A, B, (size_t)(net->n_layers - k - 1) * sizeof *A);
    net->n_layers--;
    return NNH_OK;
}
