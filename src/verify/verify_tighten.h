/* Root tightening of `verify` (verify_tighten.c): LP bounds (lp1d / hull) of
 * every layer of a root region's folded network, layer by layer, before
 * branch and bound; the result becomes the root's hint, which every region
 * inherits. The per-layer LP tasks are the unit a scheduler may spread over
 * processes (mpi/dist_verify.c); a task's result depends only on (bounds of
 * the earlier layers, layer, task), so any split gives the same bounds. */
#ifndef NNH_VERIFY_TIGHTEN_H
#define NNH_VERIFY_TIGHTEN_H

#include "nnhull/verify.h"

/* Stop test polled between tasks (nonzero: stop, remaining tasks stay NaN). */
typedef int (*nnh_tighten_stop_fn)(void *arg);

/* Runs the n_tasks LP tasks of layer k of group g's folded network on the
 * bounds b (layers < k final) with the engine options bo: res[j] gets the
 * bound of the layer's task ids[j] (ids NULL: task j; NaN: not computed,
 * the layer keeps its crown bound). st (may be NULL) accumulates the LP
 * statistics. */
typedef int (*nnh_tighten_layer_fn)(void *arg, int g, const nnh_bounds *b, int k,
                                    const nnh_bound_opts *bo, int n_tasks, const int *ids,
                                    double *res, nnh_layer_stats *st, nnh_error *err);

/* The engine tightening group g's root under o: NNH_METHOD_LP1D or _HULL,
 * or NNH_METHOD_CROWN for none (NNH_TIGHTEN_AUTO decides from the input
 * dimension and the timeout; on a large piecewise-linear net its "hull"
 * still depends on nnh_tighten_fraction with the root's bounds). */
nnh_method nnh_tighten_method(const nnh_verify_problem *P, int g, const nnh_verify_opts *o);

/* The fraction of each hidden layer's neurons that group g's tightening
 * under o bounds with LPs (o->tighten_fraction; auto: 1 when the timeout
 * allows all tasks, else NNH_TIGHTEN_AUTO_FRACTION, 0 when not even that,
 * the cost on a piecewise-linear net counted on the root's bounds `root`;
 * -1 there when root is NULL). */
double nnh_tighten_fraction(const nnh_verify_problem *P, int g, const nnh_verify_opts *o,
                            const nnh_bounds *root);

/* The LP window of group g's tightening under o with the fraction
 * `fraction` (nnh_tighten_fraction) on the root's bounds `root`:
 * o->tighten_opts.window, or with auto's partial tightening of a
 * piecewise-linear net (0 < fraction < 1, a timeout) the deepest window up
 * to o->tighten_auto_window whose selected tasks' estimated cost is at most
 * the timeout / NNH_TIGHTEN_AUTO_PART_SHARE. Deterministic (no clock). */
int nnh_tighten_window(const nnh_verify_problem *P, int g, const nnh_verify_opts *o,
                       const nnh_bounds *root, double fraction);

/* Group g's folded network (borrowed): what the tightening bounds. */
const nnh_network *nnh_verify_group_network(const nnh_verify_problem *P, int g);

/* The rank that computes task t of a layer when `size` ranks share it:
 * neuron by neuron, the lower and upper bound alternate between ranks, so
 * that no rank gets all the lower bounds (t + t / 2: with 2 ranks, tasks
 * 0 3 4 7 8 ... and 1 2 5 6 ...). */
static inline int nnh_tighten_owner(int t, int size) { return (t + t / 2) % size; }

/* The tasks j < n_tasks of layer k that rank `rank` of `size` owns
 * (nnh_tighten_owner(j)), on one LP context built from b: res[j] gets the
 * bound of the layer's task ids[j] (ids NULL: task j; task t: neuron t / 2,
 * lower bound when t is even, as in engine_steps.h) for those, others
 * untouched. Past deadline (nnh_now() seconds, 0 = none) or when stop(arg)
 * says so, the remaining ones are set to NaN. */
int nnh_tighten_tasks(const nnh_network *N, const nnh_bounds *b, int k, const nnh_bound_opts *bo,
                      int rank, int size, int n_tasks, const int *ids, double deadline,
                      nnh_tighten_stop_fn stop, void *stop_arg, double *res,
                      nnh_layer_stats *st, nnh_error *err);

/* The LP tasks of hidden layer k that the property-directed selection keeps
 * (tighten_select.c): the two tasks of the top ceil(fraction x width)
 * neurons by influence on the open property rows (crown pass `pass`) x
 * relaxation gap on b's layer k, ascending, into ids (2 x width entries);
 * returns their number. All tasks (0 .. 2 width - 1) for fraction outside
 * (0, 1), the output layer or pass NULL. Rank- and clock-independent. */
int nnh_tighten_select(const nnh_network *N, const nnh_bounds *b, const nnh_bounds *pass, int k,
                       double fraction, int *ids, nnh_error *err);

/* Tighten root region R of P: every layer with the method m
 * (nnh_tighten_method) on the fraction of each hidden layer that
 * nnh_tighten_select keeps (nnh_tighten_fraction), its LP tasks run by
 * run(arg, ...) or, when run is NULL, here in order; R->hint becomes the
 * tightened bounds (intersected with an earlier hint). *tasks gets the LP
 * tasks run, *digest the hash of the bounds. On failure R is unchanged. */
int nnh_tighten_region(const nnh_verify_problem *P, nnh_bab_region *R, const nnh_verify_opts *o,
                       nnh_method m, double fraction, double deadline, nnh_tighten_layer_fn run,
                       void *run_arg, nnh_tighten_stop_fn stop, void *stop_arg, long *tasks,
                       unsigned long long *digest, nnh_error *err);

/* LP bounds at a node (o->node_tighten): for each hidden layer k = first
 * .. the last hidden one, the two tasks of the o->node_tighten neurons that
 * nnh_tighten_select ranks highest on b (b as its own pass) run with the
 * tightening's engine options (o->tighten_opts; lp1d when o->tighten says
 * so, else hull) over b, and intersected into b's layer k before layer
 * k+1's LPs are built. b must be rigorous on the node's domain (box and
 * splits): so are the results. Stops between tasks past deadline (the rest
 * keep their bounds). *tasks gets the LP tasks run; *empty = 1 (and it
 * stops) when a layer's bounds cross: no input of the domain meets the
 * splits. */
int nnh_tighten_node(const nnh_network *N, nnh_bounds *b, int first, const nnh_verify_opts *o,
                     double deadline, long *tasks, int *empty, nnh_error *err);

/* Session hook (bab.c): tighten every root still queued, as the options
 * say, that nnh_verify_region leaves open; results in the session's nnh_verify_result (tightened,
 * tighten_tasks, seconds_tighten, tighten_digest). run as in
 * nnh_tighten_region (NULL: serial); the session's progress callback is
 * polled as the stop test, with stop(arg) too when given. Does nothing once
 * the run is over (e.g. a counterexample from the root falsification). */
int nnh_bab_tighten(nnh_bab *B, nnh_tighten_layer_fn run, void *run_arg,
                    nnh_tighten_stop_fn stop, void *stop_arg, nnh_error *err);

#endif
