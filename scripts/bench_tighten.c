/* Root tightening of `verify` with a neuron selection, measured on the
 * property rows: for NET SPEC, crown on the folded network of the first input
 * box, then nnh_tighten_region (hull, the default tightening options,
 * serial) keeping the fraction F of each hidden layer's neurons chosen by
 * SCORE: "property" (nnh_verify_opts.tighten_fraction, tighten_select.c) or
 * "network" (the engine's skip_fraction = 1 - F, lp_priority.c). Prints the
 * smallest row lower bound (the property holds when it is > 0) and the rows
 * > 0 before and after, the sum of the rows' negative parts, the LP tasks
 * and the CPU seconds of the tightening. Built as nnh_bench_tighten; used by
 * scripts/bench-tighten.
 *   usage: nnh_bench_tighten F property|network NET SPEC */
#include "nnhull/nnhull.h"
#include "nnhull/io.h"
#include "verify_tighten.h"
#include "bench_root.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu(void) { return (double)clock() / CLOCKS_PER_SEC; }

static int fail(const char *what, const nnh_error *err)
{
    fprintf(stderr, "nnh_bench_tighten: %s: %s\n", what, err->msg);
    return 1;
}

/* min, rows > 0 and sum of negative parts of the last layer's lower bounds */
static void rows_summary(const nnh_bounds *b, double *mn, int *pos, double *neg)
{
    const nnh_layer_bounds *L = &b->layers[b->n_layers - 1];
    *mn = INFINITY, *pos = 0, *neg = 0;
    for (int r = 0; r < L->width; r++) {
        *mn = fmin(*mn, L->pre_lo[r]);
        *pos += L->pre_lo[r] > 0;
        *neg += fmin(0.0, L->pre_lo[r]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[2], "property") && strcmp(argv[2], "network"))) {
        fprintf(stderr, "usage: %s F property|network NET SPEC\n", argv[0]);
        return 2;
    }
    double f = atof(argv[1]);
    nnh_error err;
    bench_root root;
    if (bench_root_open("nnh_bench_tighten", argv[3], argv[4], &root))
        return 1;
    nnh_verify_problem *P = root.P;
    nnh_bounds *b = root.b;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.tighten = NNH_TIGHTEN_HULL;
    if (!strcmp(argv[2], "property"))
        o.tighten_fraction = f;
    else
        o.tighten_opts.skip_fraction = 1.0 - f;
    nnh_bab_region *R = nnh_bab_root(P, 0);
    long tasks = 0;
    unsigned long long d = 0;
    double t0 = cpu();
    if (!R || nnh_tighten_region(P, R, &o, NNH_METHOD_HULL,
                                 nnh_tighten_fraction(P, 0, &o, NULL), 0, NULL, NULL, NULL,
                                 NULL, &tasks, &d, &err))
        return fail("tightening", &err);
    double t1 = cpu(), cmin, tmin, cneg, tneg;
    int cpos, tpos;
    rows_summary(b, &cmin, &cpos, &cneg);
    rows_summary(R->hint, &tmin, &tpos, &tneg);
    const char *sn = strrchr(argv[4], '/');
    printf("%-42s %-8s %5.3f  min %9.4f -> %9.4f  rows>0 %d -> %d  neg %9.4f -> %9.4f  "
           "tasks %ld  cpu %.1f s  digest %016llx\n",
           sn ? sn + 1 : argv[4], argv[2], f, cmin, tmin, cpos, tpos, cneg, tneg, tasks, t1 - t0,
           d);
    nnh_bab_region_free(R);
    bench_root_close(&root);
    return 0;
}
