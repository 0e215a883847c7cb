/* The process-wide stop request: a signal handler (or any thread) asks every
 * long computation of the library to end early. A GLPK simplex in progress
 * sees it at its next progress check (every 0.1 s) and ends like a GLPK
 * failure: the task answers its creation bound and the thread's GLPK
 * environment is freed, so every LP context the thread held answers its
 * creation bounds (src/base/glpk_guard.h; new contexts work again). A request pending
 * when a solve or cut round would start skips it (the task answers the
 * rigorous bound of the current duals); nnh_bounds_compute leaves the LP
 * tasks not yet run at their crown bounds (counted as fallbacks); crown
 * passes, verify's tightening and falsification stop early. A stopped
 * computation is sound but looser than an uninterrupted one: callers that
 * store results for a later resume must drop those computed while a stop
 * was requested. */
#ifndef NNH_STOP_H
#define NNH_STOP_H

/* Request a stop; reason is nonzero (a signal number, say). Async-signal-safe:
 * it only stores to a volatile sig_atomic_t. */
void nnh_stop_request(int reason);

/* The reason of the pending stop request, 0 when none. */
int nnh_stop_requested(void);

/* Withdraw the request (at the start of a new run). */
void nnh_stop_clear(void);

#endif
