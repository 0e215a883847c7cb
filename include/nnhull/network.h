/* Dense feed-forward network model: a chain of affine layers
 * z_k = W_k a_{k-1} + b_k followed by an activation a_k = sigma_k(z_k).
 * Readers in io/ build it; bound engines and forward evaluation read it. */
#ifndef NNH_NETWORK_H
#define NNH_NETWORK_H

#include "nnhull/activation.h"
#include "nnhull/error.h"

typedef struct nnh_layer {
    int n_in, n_out;
    double *W;          /* n_out x n_in, row-major (row i = weights of neuron i) */
    double *b;          /* n_out */
    nnh_activation act; /* NNH_ACT_IDENTITY when the layer is purely affine */
} nnh_layer;

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
void nnh_network_free(nnh_network *net);

int nnh_network_n_outputs(const nnh_network *net);
/* Largest layer width (inputs included): size of scratch buffers. */
int nnh_network_max_width(const nnh_network *net);

/* Check sizes chain, finiteness of all weights, activation parameters. */
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
 * returns a network with one layer fewer (used by readers). */
int nnh_network_fold_affine(nnh_network *net, int k, nnh_error *err);

/* Deep copy. */
int nnh_network_copy(const nnh_network *src, nnh_network **out, nnh_error *err);

#endif
