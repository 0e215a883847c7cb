/* Crown passes (crown.c): one workspace and one set of neuron lines for a
 * sweep over the layers of one bounds object, so that bounding layer after
 * layer prepares each layer's lines once, not once per later layer, and
 * estimates of a branching choice reuse them. Internal to libnnhull and its
 * tests. */
#ifndef NNH_CROWN_PASS_H
#define NNH_CROWN_PASS_H

#include "nnhull/engine.h"

typedef struct nnh_crown_pass nnh_crown_pass;

/* A pass over net for at most max_sel neurons per back-substitution batch
 * (more are done in batches): 0 or NNH_ENOMEM. Free with
 * nnh_crown_pass_free (NULL is fine). */
int nnh_crown_pass_new(const nnh_network *net, int max_sel, nnh_crown_pass **p, nnh_error *err);
void nnh_crown_pass_free(nnh_crown_pass *p);

/* A pass for nnh_crown_pass_row_slopes (one row at a time): also keeps the
 * neurons that take a slope and the error magnitudes of every neuron. */
int nnh_crown_pass_new_slopes(const nnh_network *net, nnh_crown_pass **p, nnh_error *err);

/* Forget every prepared layer: call before using p on other bounds, or
 * after changing a layer that p has prepared. */
void nnh_crown_pass_reset(nnh_crown_pass *p);

/* nnh_crown_layer_sel(net, b, k, sel, n_sel, lower) with the same result to
 * the bit, preparing only the lines of layers < k not prepared since the
 * last reset. Contract: since the last reset, b's input box and its layers
 * that p prepared (those below the largest k passed so far) did not change;
 * bounding layers in increasing order keeps it. */
int nnh_crown_pass_layer(nnh_crown_pass *p, nnh_bounds *b, int k, const int *sel, int n_sel,
                         nnh_crown_forms *lower, nnh_error *err);

/* Crown's lower bound of neuron `row` of the last layer from b's bounds
 * (under the contract above, every hidden layer prepared on b), with the
 * interval of hidden neuron j of layer k replaced by [lo, hi] and no other
 * layer bounded again: filtered smart branching's estimate of a child.
 * The row's back-substitution down to layer k + 1 is kept between calls
 * with the same row, so an estimate costs the steps through layers k..0. A
 * rigorous bound of the row over the inputs whose neuron (k, j) lies in
 * [lo, hi], when [lo, hi] holds that neuron's values there. 0 or
 * NNH_EINVAL. */
int nnh_crown_pass_narrowed(nnh_crown_pass *p, const nnh_bounds *b, int row, int k, int j,
                            double lo, double hi, double *lower, nnh_error *err);

/* nnh_crown_row_slopes(net, b, k, row, sign, slopes, bound, form) with the
 * same result to the bit, on a pass of nnh_crown_pass_new_slopes prepared
 * on b (b not changed; the contract above): the lines of layers < k are
 * prepared once, and a call with slopes only puts them into a copy. */
int nnh_crown_pass_row_slopes(nnh_crown_pass *p, const nnh_bounds *b, int k, int row, int sign,
                              const double *slopes, double *bound, nnh_crown_forms *form,
                              nnh_error *err);

#endif
