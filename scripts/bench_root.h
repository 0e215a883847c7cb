/* The root of a verify benchmark (scripts/bench_*.c): a network and a
 * VNNLIB property loaded, the verify problem made, and crown's bounds of its
 * first input box on the folded network. */
#ifndef NNH_BENCH_ROOT_H
#define NNH_BENCH_ROOT_H

#include "nnhull/nnhull.h"

typedef struct bench_root {
    nnh_network *net;
    nnh_spec *spec;
    nnh_verify_problem *P;
    const nnh_network *N; /* the folded network of group 0 */
    nnh_bounds *b;        /* crown's bounds of group 0's box */
    double crown_cpu;     /* CPU seconds of that crown pass */
} bench_root;

/* Load NET and SPEC and bound the root with crown; 0, or 1 after printing
 * "TOOL: what: message" on stderr (r holds nothing to free then). */
int bench_root_open(const char *tool, const char *net_path, const char *spec_path, bench_root *r);

/* Free everything bench_root_open made. */
void bench_root_close(bench_root *r);

#endif
