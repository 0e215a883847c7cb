/* nnhull public API: the one header a library user includes.
 * Certified per-neuron bounds for trained networks, property verification,
 * and the convex hull of y = sigma(w^T x + b) over a box with its separation
 * oracle (Carrasco & Munoz, arXiv 2410.23362; docs/convexification.md).
 * Link with `pkg-config --cflags --libs nnhull` (or find_package(nnhull)). */
#ifndef NNHULL_H
#define NNHULL_H

#ifdef __cplusplus
extern "C" {
#endif

#include "nnhull/error.h"      /* status codes and the message buffer */
#include "nnhull/stop.h"       /* the process-wide stop request (signals) */
#include "nnhull/activation.h" /* the activation catalogue */
#include "nnhull/envelope.h"   /* envelopes and the separation oracle */
#include "nnhull/network.h"    /* the network model and forward evaluation */
#include "nnhull/spec.h"       /* properties: input boxes and output rows */
#include "nnhull/bounds.h"     /* per-neuron bound containers */
#include "nnhull/regions.h"    /* input regions: splitting */
#include "nnhull/engine.h"     /* bound engines: ibp, crown, lp1d, hull */
#include "nnhull/verify.h"     /* property verification */
#include "nnhull/export.h"     /* the network as an LP/MILP model file */
#include "nnhull/io.h"         /* ONNX, .nnet, VNNLIB readers; HDF5 bound files */
#include "nnhull/dist.h"       /* the distributed (MPI) drivers */

/* Version of the library, "MAJOR.MINOR.PATCH". */
const char *nnh_version(void);

#ifdef __cplusplus
}
#endif

#endif
