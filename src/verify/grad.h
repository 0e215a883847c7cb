/* Gradients of a network with respect to its input: one forward pass that
 * records the pre-activations and one backward pass through them (analytic
 * derivatives from nnh_act_deriv). Used by the falsifier of `verify`. */
#ifndef NNH_GRAD_H
#define NNH_GRAD_H

#include "nnhull/network.h"

/* Doubles of workspace nnh_network_grad needs. */
size_t nnh_grad_workspace(const nnh_network *net);

/* y = f(x) (n_outputs entries, may be NULL) and g = grad_x (c^T f(x)) (n_inputs).
 * c has n_outputs entries. The input-domain clamp of the network is applied
 * as in nnh_network_eval; a coordinate clamped from outside the domain gets a
 * zero gradient. At a kink the right derivative is used (a subgradient for
 * ReLU-like activations). work holds nnh_grad_workspace(net) doubles. */
void nnh_network_grad(const nnh_network *net, const double *x, const double *c, double *y,
                      double *g, double *work);

#endif
