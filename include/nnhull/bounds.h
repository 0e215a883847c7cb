/* Per-neuron bounds of every layer of a network over one input region, and
 * the statistics bound engines record. The engines (ibp, crown, lp1d, hull)
 * fill an nnh_bounds; the HDF5 writer stores it. */
#ifndef NNH_BOUNDS_H
#define NNH_BOUNDS_H

#include "nnhull/network.h"
#include "nnhull/error.h"

typedef struct nnh_layer_bounds {
    int width;
    double *pre_lo, *pre_hi;   /* bounds of z_k = W_k a_{k-1} + b_k */
    double *post_lo, *post_hi; /* bounds of a_k = sigma_k(z_k) */
} nnh_layer_bounds;

typedef struct nnh_bounds {
    int n_in;
    double *in_lo, *in_hi;     /* the input region these bounds hold on */
    int n_layers;
    nnh_layer_bounds *layers;
} nnh_bounds;

typedef struct nnh_layer_stats {
    double seconds;
    long lp_solves;
    long simplex_iters;
    long cuts_1d;
    long cuts_multivariate; /* cuts from R_i regions of the multivariate envelope */
    long fallbacks;         /* LP failures answered by an earlier valid bound */
} nnh_layer_stats;

/* Add the statistics b into a, field by field (several regions of one run). */
void nnh_layer_stats_add(nnh_layer_stats *a, const nnh_layer_stats *b);

/* Allocate bounds shaped like net, layers set to [-inf, inf]; copies the box. */
int nnh_bounds_create(const nnh_network *net, const double *in_lo, const double *in_hi,
                      nnh_bounds **out, nnh_error *err);
void nnh_bounds_free(nnh_bounds *b);
int nnh_bounds_copy(const nnh_bounds *src, nnh_bounds **out, nnh_error *err);

/* NNH_EINVAL (message says why) unless b has net's shape and every input
 * interval is nonempty. */
int nnh_bounds_check(const nnh_network *net, const nnh_bounds *b, nnh_error *err);

/* Input interval j of b after the network's input-domain clamp (what every
 * engine bounds over: evaluation clamps inputs the same way). */
void nnh_bounds_input(const nnh_network *net, const nnh_bounds *b, int j, double *lo, double *hi);

/* Interval bound propagation with outward rounding (sound in floating point).
 * The input region is clamped to the network's input domain when it has one. */
int nnh_bounds_ibp(const nnh_network *net, nnh_bounds *b, nnh_error *err);

/* Propagate IBP for layer k only, from layer k-1's post bounds (or the input
 * box); used by engines that tighten layer by layer. */
void nnh_bounds_ibp_layer(const nnh_network *net, nnh_bounds *b, int k);

/* Recompute layer k's post bounds from its pre bounds (rigorous image). */
void nnh_bounds_post_from_pre(const nnh_network *net, nnh_bounds *b, int k);

/* 1 if value v of layer k (pre or post, neuron i) lies in the bounds. */
int nnh_bounds_contains(const nnh_bounds *b, int k, int i, double pre, double post);

#endif
