/* The process-wide stop request of include/nnhull/stop.h: one flag that a
 * signal handler may set and the LP solves poll. */
#include "nnhull/stop.h"

#include <signal.h>

static volatile sig_atomic_t g_stop;

void nnh_stop_request(int reason) { g_stop = reason ? reason : 1; }

int nnh_stop_requested(void) { return (int)g_stop; }

void nnh_stop_clear(void) { g_stop = 0; }
