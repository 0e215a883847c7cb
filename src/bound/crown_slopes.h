/* Crown with chosen lower slopes (crown.c) and the alpha-CROWN optimiser's
 * internals (crown_alpha.c): what the optimiser, verify and the tests share.
 * Internal to libnnhull and its tests. */
#ifndef NNH_CROWN_SLOPES_H
#define NNH_CROWN_SLOPES_H

#include "nnhull/engine.h"

/* Crown's pair of lines lo_s z + lo_c <= act(z) <= up_s z + up_c on [L, U]
 * (post box [plo, phi] for unbounded intervals), ln = {lo_s, lo_c, up_s, up_c}. */
void nnh_crown_lines(const nnh_activation *a, double L, double U, double plo, double phi,
                     double ln[4]);

/* 1 when the neuron's lower line may be any s z with s in [*smin, *smax]
 * (valid on [L, U] exactly in real arithmetic), for a ReLU (c = 0) or leaky
 * ReLU with negative slope c <= 1 on a finite [L, U]: unstable (L < 0 < U):
 * [c, 1]; L == 0 (z >= 0 on the domain, e.g. an active split): [-1, 1];
 * U == 0 (an inactive split): [c, c + 2]. The last two are beta-CROWN's
 * split multipliers in slope form: s = 1 - beta / lam (active) or
 * c + beta / lam (inactive) for a row coefficient lam > 0. Else 0. */
int nnh_crown_slope_range(const nnh_activation *a, double L, double U, double *smin,
                          double *smax);

/* Rigorous crown bound of neuron `row` of layer k, from the bounds of layers
 * < k in b (not changed): sign > 0 the lower bound and lower form, sign < 0
 * the upper bound and upper form (row 0 of form: A n_inputs, c 1, in_lo /
 * in_hi n_inputs), with the lower line of every neuron j of layer l < k that
 * nnh_crown_slope_range accepts replaced by slopes[off_l + j] z (off_l = the
 * neurons of layers < l; clamped into the range; NaN keeps crown's line;
 * slopes may be NULL: crown's lines). */
int nnh_crown_row_slopes(const nnh_network *net, const nnh_bounds *b, int k, int row, int sign,
                         const double *slopes, double *bound, nnh_crown_forms *form,
                         nnh_error *err);

/* The optimiser's state for one (network, bounds, layer k): crown's lines of
 * every neuron of layers < k, which of them are free slopes, and the
 * buffers of one row's back-substitution and its reverse pass. */
typedef struct nnh_alpha_ctx {
    const nnh_network *net;
    const nnh_bounds *b;
    int k;
    size_t n_neurons;   /* neurons of layers < k */
    size_t n_free;      /* of them, with a free lower slope */
    size_t *noff;       /* k + 1: first neuron of layer l */
    double *lines;      /* 4 per neuron (nnh_crown_lines) */
    double *smin, *smax;/* per neuron: slope range, smin > smax when not free */
    size_t nv;          /* n_inputs + n_neurons + 1 */
    double *lam, *g;    /* per batch slot (nv each): coefficients and their
                           adjoints over x and every a_l */
    double *in_lo, *in_hi;
} nnh_alpha_ctx;

int nnh_alpha_ctx_init(nnh_alpha_ctx *C, const nnh_network *net, const nnh_bounds *b, int k,
                       nnh_error *err);
void nnh_alpha_ctx_free(nnh_alpha_ctx *C);

/* Crown's lower bound of sign * z_row (sign +1 or -1; -1 gives minus the
 * upper bound) of layer k in plain double arithmetic (no rounding control:
 * a guide for the optimiser, not a bound) with the free neurons' lower
 * slopes alpha (n_neurons entries, only free ones read); grad (may be NULL)
 * gets d bound / d alpha (0 for neurons not free). */
double nnh_alpha_eval(nnh_alpha_ctx *C, int row, int sign, const double *alpha, double *grad);

#endif
