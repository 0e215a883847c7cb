/* GLPK never takes nnhull down: every GLPK call of the library runs inside
 * nnh_glpk_guard, which turns a GLPK error (a failed assertion, an internal
 * inconsistency: GLPK would print and abort()) into NNH_ELP, and checks that
 * models are within the numeric scale GLPK handles before they are built. */
#ifndef NNH_GLPK_GUARD_H
#define NNH_GLPK_GUARD_H

#include "nnhull/error.h"

#include <stddef.h>

/* Largest magnitude of a finite coefficient, bound or right-hand side that an
 * LP of nnhull may hold. Beyond it GLPK's scaling and tolerances (about 1e-9
 * relative) no longer mean anything and its simplex may hit internal
 * assertions; such LPs are not built (their tasks keep the earlier bound). */
#define NNH_LP_MAX_MAGNITUDE 1e12

/* Run fn(arg) with GLPK's error hook set (and its terminal output swallowed).
 * Returns fn's result; when GLPK fails inside, the GLPK environment of this
 * thread is freed - every glp_prob the thread held is gone, see
 * nnh_glpk_epoch - and NNH_ELP with GLPK's message in err. Nested calls run
 * under the outermost guard. */
int nnh_glpk_guard(int (*fn)(void *arg), void *arg, nnh_error *err);

/* GLPK solves whose progress output (msg_lev GLP_MSG_ON) goes to the guard
 * every this many milliseconds (out_frq) end at such an output when a stop
 * is requested (nnhull/stop.h): the guard then fails as for a GLPK error
 * (NNH_ELP, "stopped by a stop request"), so the caller keeps its earlier
 * bound. */
#define NNH_GLPK_STOP_POLL_MS 100

/* 1 when a guard is active on this thread (GLPK's terminal output then goes
 * to the guard, never to the terminal). */
int nnh_glpk_guarded(void);

/* Generation of this thread's GLPK environment: it changes whenever a guard
 * freed the environment after an error. A glp_prob created in generation g is
 * valid only while nnh_glpk_epoch() == g (never delete it afterwards). */
unsigned long nnh_glpk_epoch(void);

/* 1 when every entry of v[0..n) is finite and of magnitude at most
 * NNH_LP_MAX_MAGNITUDE; with allow_inf, +-inf entries pass too (free or
 * one-sided columns), NaN never does. */
int nnh_lp_in_scale(const double *v, size_t n, int allow_inf);

#endif
