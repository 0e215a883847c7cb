/* The cut loop on a layer context (lp_cuts.c): the simplex calls and the
 * phases of separation rounds. Called by the tasks (lp_bound.c) and by the
 * cut-pool seeding at creation (lp_layer.c); knows nothing of either. */
#ifndef NNH_LP_CUTS_H
#define NNH_LP_CUTS_H

#include "lp_layer.h"

/* One glp_simplex call (presolve off, messages off, the LP time limit of the
 * options and the rest of the task's budgets, at most it_lim iterations,
 * 0 = a default for a warm re-solve); counts it in st
 * (may be NULL). 0 when it ends optimal, 1 when an iteration or time limit
 * stopped it (nnh_lp_stopped_bound still applies), -1 otherwise. */
int nnh_lp_simplex(nnh_lp_layer *L, int meth, int it_lim, nnh_layer_stats *st);

/* One phase of at most opts.max_rounds rounds (fewer when a round gains less
 * than opts.min_gain or the task deadline has passed) (multivariate cuts too when
 * mv) from the current optimal LP of L (objective in L->cost and in GLPK);
 * the rows added are recorded in L->added[*n_added..] and *best keeps the
 * best safe lower bound. Returns 0 when the LP is still at an optimal point
 * (the next phase may continue from it), -1 when a re-solve failed. */
int nnh_lp_cut_phase(nnh_lp_layer *L, int mv, double *best, int *n_added, nnh_layer_stats *st);

/* The task's cut loop from the solved starting LP: phase 1, then phase 2
 * for hull (lp_cuts.c); returns the best safe lower bound of the objective
 * over all rounds (-INFINITY when none is finite). */
double nnh_lp_cut_loop(nnh_lp_layer *L, nnh_layer_stats *st);

/* Rigorous lower bound of the objective in L->cost from the duals of the
 * current basis, whatever stopped the last solve (-INFINITY when none). */
double nnh_lp_stopped_bound(nnh_lp_layer *L);

/* A task from its restored starting basis: factorize, primal simplex, the
 * cut loop; a solve stopped by a budget answers its duals' bound. Returns
 * the best safe lower bound (-INFINITY when none). */
double nnh_lp_task_solve(nnh_lp_layer *L, nnh_layer_stats *st);

#endif
