/* The steps of nnh_bounds_compute for one layer, for drivers that hand the
 * per-neuron LP problems to other processes (mpi/): prepare the layer
 * (IBP, CROWN, intersection with the crown pass), let anyone compute the
 * tasks with nnh_lp_layer_bound, apply the results. Running the steps in
 * order gives the same numbers as nnh_bounds_compute (tests/test_engine_steps.c
 * checks it bit for bit). */
#ifndef NNH_ENGINE_STEPS_H
#define NNH_ENGINE_STEPS_H

#include "nnhull/engine.h"

/* The IBP + CROWN pass over the whole network that the LP methods intersect
 * every layer with; b holds only the input region (fresh from
 * nnh_bounds_create). *pass is NULL for ibp and crown (not needed). */
int nnh_steps_pass(const nnh_network *net, const nnh_bounds *b, const nnh_bound_opts *o,
                   nnh_bounds **pass, nnh_error *err);

/* Layer k before its LP problems: IBP, CROWN (method >= crown), the crown
 * pass (may be NULL). Layers < k of b must be final, layers >= k as
 * nnh_bounds_create left them. Returns the number of LP tasks of the layer
 * (>= 0: 2 x width for lp1d/hull except layer 0, else 0) or a negative code. */
int nnh_steps_prepare(const nnh_network *net, nnh_bounds *b, int k, const nnh_bounds *pass,
                      const nnh_bound_opts *o, nnh_error *err);

/* Task t of a layer is the bound of neuron t / 2, lower when t is even. */
static inline int nnh_steps_neuron(int t) { return t / 2; }
static inline int nnh_steps_sense(int t) { return (t & 1) ? +1 : -1; }

/* Intersect layer k's pre bounds with the task results res[0 .. n_tasks)
 * (NaN: no result, the bound stays) and recompute its post bounds. */
void nnh_steps_apply(const nnh_network *net, nnh_bounds *b, int k, const double *res,
                     int n_tasks);

#endif
