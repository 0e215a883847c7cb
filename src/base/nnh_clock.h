/* The one monotonic clock of nnhull: seconds since an arbitrary start, for
 * time limits, deadlines, statistics and benchmarks (never for results). */
#ifndef NNH_CLOCK_H
#define NNH_CLOCK_H

#include <time.h>

static inline double nnh_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
