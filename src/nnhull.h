/* nnhull public API: the only header a library user includes.
 * Certified per-neuron bounds for trained networks and the convex hull of
 * y = sigma(w^T x + b) over a box (Carrasco & Munoz, arXiv 2410.23362). */
#ifndef NNHULL_H
#define NNHULL_H

#ifdef __cplusplus
extern "C" {
#endif

#include "nnh_error.h"
#include "activation.h"
#include "envelope.h"
#include "network.h"
#include "spec.h"
#include "bounds.h"
#include "engine.h"

const char *nnh_version(void);

#ifdef __cplusplus
}
#endif

#endif
