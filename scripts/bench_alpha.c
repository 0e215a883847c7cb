/* Root bounds of the property rows, plain crown against alpha-CROWN
 * (nnh_crown_alpha_rows): for each NET SPEC pair, crown on the folded
 * network of the property's first input box, then the optimised slopes on
 * every row (rows), then the optimised slopes on every hidden layer's
 * unstable neurons, crown again and the rows (layers); prints for each the
 * smallest row lower bound (the property holds when it is > 0), the rows
 * > 0, and the CPU seconds (layers: the hidden layers, crown and rows). Built as
 * nnh_bench_alpha; used by scripts/bench-alpha.
 *   usage: nnh_bench_alpha ITERS NET1 SPEC1 [NET2 SPEC2 ...] */
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
    fprintf(stderr, "nnh_bench_alpha: %s: %s\n", what, err->msg);
    return 1;
}

/* One instance: one output line. */
static int instance(int iters, const char *net_path, const char *spec_path)
{
    nnh_error err;
    bench_root root;
    if (bench_root_open("nnh_bench_alpha", net_path, spec_path, &root))
        return 1;
    const nnh_network *N = root.N;
    nnh_bounds *b = root.b;
    double t1 = cpu();
    int k = N->n_layers - 1, n = N->layers[k].n_out;
    int *rows = malloc((size_t)n * sizeof(int));
    double *lb = malloc((size_t)n * sizeof(double));
    for (int r = 0; r < n; r++)
        rows[r] = r;
    nnh_alpha_opts ao;
    nnh_alpha_opts_init(&ao);
    ao.iters = iters;
    if (nnh_crown_alpha_rows(N, b, k, rows, n, &ao, lb, NULL, &err))
        return fail("alpha", &err);
    double t2 = cpu(), pmin = INFINITY, amin = INFINITY, lmin = INFINITY;
    int pp = 0, ap = 0, lp = 0;
    for (int r = 0; r < n; r++) {
        double p = b->layers[k].pre_lo[r];
        pmin = fmin(pmin, p);
        amin = fmin(amin, fmax(lb[r], p));
        pp += p > 0;
        ap += fmax(lb[r], p) > 0;
    }
    /* the hidden layers first (unstable ReLUs only), crown again, then the rows */
    int *sel = malloc((size_t)nnh_network_max_width(N) * sizeof(int));
    for (int l = 1; l < k; l++) {
        int m = 0;
        for (int i = 0; i < N->layers[l].n_out; i++)
            if (b->layers[l].pre_lo[i] < 0 && b->layers[l].pre_hi[i] > 0)
                sel[m++] = i;
        if (nnh_crown_alpha_layer(N, b, l, sel, m, &ao, &err))
            return fail("alpha layer", &err);
    }
    for (int l = 1; l <= k; l++)
        if (nnh_crown_layer(N, b, l, &err))
            return fail("crown", &err);
    if (nnh_crown_alpha_rows(N, b, k, rows, n, &ao, lb, NULL, &err))
        return fail("alpha", &err);
    double t3 = cpu();
    for (int r = 0; r < n; r++) {
        double p = fmax(lb[r], b->layers[k].pre_lo[r]);
        lmin = fmin(lmin, p);
        lp += p > 0;
    }
    free(sel);
    const char *sn = strrchr(spec_path, '/'), *nn = strrchr(net_path, '/');
    printf("%-22s %-38s %3d %10.4f %10.4f %10.4f  %d %d %d  %6.3f %6.3f %7.3f\n",
           nn ? nn + 1 : net_path, sn ? sn + 1 : spec_path, iters, pmin, amin, lmin, pp, ap, lp,
           root.crown_cpu, t2 - t1, t3 - t2);
    fflush(stdout);
    free(rows);
    free(lb);
    bench_root_close(&root);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc % 2) {
        fprintf(stderr, "usage: %s ITERS NET1 SPEC1 [NET2 SPEC2 ...]\n", argv[0]);
        return 2;
    }
    printf("%-22s %-38s %3s %10s %10s %10s  %s  %6s %6s %7s\n", "net", "spec", "it",
           "crown_min", "rows_min", "layers_min", "rows>0 c/r/l", "crown", "rows", "layers");
    for (int i = 2; i + 1 < argc; i += 2)
        if (instance(atoi(argv[1]), argv[i], argv[i + 1]))
            return 1;
    return 0;
}
