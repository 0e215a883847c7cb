/* Envelopes of activations: tie points, 1-D envelopes on [L,U], the
 * multivariate concave/convex envelopes of sigma(w^T x + b) over a box, and
 * the separation oracle. (Placeholder: filled in by the convexification core.) */
#ifndef NNH_ENVELOPE_H
#define NNH_ENVELOPE_H

#include "activation.h"

#endif
