/* Feed-forward network model: a chain of affine layers z_k = W_k a_{k-1} + b_k
 * followed by an activation a_k = sigma_k(z_k); W_k is stored dense or in
 * compressed rows (a convolution). Readers in io/ build it; bound engines and
 * forward evaluation read it, row by row through nnh_layer_row. */
#ifndef NNH_NETWORK_H
#define NNH_NETWORK_H

#include "nnhull/activation.h"
#include "nnhull/error.h"

#include <stddef.h>

typedef struct nnh_layer {
    int n_in, n_out;
    double *W;          /* n_out x n_in, row-major (row i = weights of neuron i);
                           NULL when the layer is sparse */
    double *b;          /* n_out */
    nnh_activation act; /* NNH_ACT_IDENTITY when the layer is purely affine */
    /* Sparse weights (used when W is NULL), compressed rows: neuron i reads
     * input sp_col[e] with weight sp_val[e] for e = sp_start[i] ..
     * sp_start[i+1]-1, columns strictly increasing (its receptive field). */
    size_t *sp_start;   /* n_out + 1 */
    int *sp_col;        /* sp_start[n_out] */
    double *sp_val;     /* sp_start[n_out] */
} nnh_layer;

/* Row i of L: returns its length and sets *vals to its weights and *cols to
 * their input indices, or *cols = NULL for a dense row (entry t is input t,
 * length n_in). Use NNH_ROW_COL(cols, t) for the input of entry t. */
static inline int nnh_layer_row(const nnh_layer *L, int i, const int **cols, const double **vals)
{
    if (L->W) {
        *cols = NULL;
        *vals = L->W + (size_t)i * (size_t)L->n_in;
        return L->n_in;
    }
    size_t s = L->sp_start[i];
    *cols = L->sp_col + s;
    *vals = L->sp_val + s;
    return (int)(L->sp_start[i + 1] - s);
}
#define NNH_ROW_COL(cols, t) ((cols) ? (cols)[t] : (t))

/* Number of stored weights (n_out * n_in when dense). */
size_t nnh_layer_nnz(const nnh_layer *L);
/* Store L's weights in compressed rows, dropping zeros (no-op when sparse). */
int nnh_layer_make_sparse(nnh_layer *L, nnh_error *err);
/* Store L's weights as a dense matrix (no-op when dense). */
int nnh_layer_make_dense(nnh_layer *L, nnh_error *err);

typedef struct nnh_network {
    int n_inputs;
    int n_layers;
    nnh_layer *layers;  /* layers[k], k = 0..n_layers-1; the last is the output */
    /* Optional input domain (e.g. the .nnet min/max): inputs are clamped to it
     * before evaluation, as the format defines. NULL when there is none. */
    double *in_min, *in_max;
    int softmax_stripped; /* a trailing Softmax was dropped (--strip-softmax) */
    char *source;         /* path it was read from (owned), may be NULL */
    char *format;         /* "onnx", "nnet" (owned), may be NULL */
} nnh_network;

/* Allocate an empty network with n_layers layers of the given sizes
 * (sizes[0] = n_inputs, sizes[k+1] = width of layer k); W and b zeroed,
 * activations identity. */
int nnh_network_create(nnh_network **out, int n_layers, const int *sizes, nnh_error *err);
/* Like nnh_network_create but no weights are allocated (W and sp_* NULL, b
 * zeroed): the caller installs dense or sparse weights in every layer. */
int nnh_network_alloc(nnh_network **out, int n_layers, const int *sizes, nnh_error *err);
void nnh_network_free(nnh_network *net);

int nnh_network_n_outputs(const nnh_network *net);
/* Largest layer width (inputs included): size of scratch buffers. */
int nnh_network_max_width(const nnh_network *net);

/* Check sizes chain, finiteness of all weights, activation parameters, and
 * the structure of sparse layers (columns in range, strictly increasing). */
int nnh_network_validate(const nnh_network *net, nnh_error *err);

/* a = x clamped to the network's input domain (a copy when there is none). */
void nnh_network_clamp_input(const nnh_network *net, const double *x, double *a);

/* Forward pass in double precision. x has n_inputs entries, y n_outputs.
 * scratch must hold 2 * nnh_network_max_width doubles (or be NULL: then the
 * function allocates and frees internally). Applies the input domain clamp. */
int nnh_network_eval(const nnh_network *net, const double *x, double *y, double *scratch);

/* Forward pass recording every layer: pre[k] and post[k] (each n_out of layer
 * k) are caller arrays; entries may be NULL to skip. No clamp is applied. */
void nnh_network_eval_layers(const nnh_network *net, const double *x, double *const *pre,
                             double *const *post);

/* Fold two consecutive layers when the first is purely affine:
 * returns a network with one layer fewer (used by readers). The product is
 * dense when both layers are, else sparse. */
int nnh_network_fold_affine(nnh_network *net, int k, nnh_error *err);

/* Deep copy. */
int nnh_network_copy(const nnh_network *src, nnh_network **out, nnh_error *err);

#endif
