/* Internal helpers of the network model for the two weight storages of a
 * layer (dense W or compressed rows): freeing, copying, structural checks and
 * folding through a sparse layer. Private to src/. */
#ifndef NNH_LAYER_SPARSE_H
#define NNH_LAYER_SPARSE_H

#include "nnhull/network.h"

/* Free whichever weights L holds and set their pointers to NULL. */
void nnh_layer_free_weights(nnh_layer *L);
/* Give d (same sizes as S, no weights yet) a copy of S's weights, same form. */
int nnh_layer_copy_weights(const nnh_layer *S, nnh_layer *d, nnh_error *err);
/* Structure of sparse layer k: arrays present, row starts non-decreasing from
 * 0, columns in [0, n_in) and strictly increasing within a row. */
int nnh_layer_check_sparse(const nnh_layer *L, int k, nnh_error *err);
/* nnh_network_fold_affine when layer k or k+1 is sparse: the product is sparse. */
int nnh_layer_fold_sparse(nnh_network *net, int k, nnh_error *err);

#endif
