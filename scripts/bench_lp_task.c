/* Per-task cost probe of the LP engines: builds the LP context of one layer
 * of a network from the bounds of an earlier run (a bound file, region 0:
 * its layers < k are the context's input; layer k starts from crown on them)
 * with the given engine options, runs n tasks on neurons spread over the
 * layer (both sides) and prints the context's creation CPU time, the mean
 * CPU seconds and simplex iterations per task and the mean width of the
 * probed neurons before and after. Built as nnh_bench_lp_task; used by
 * scripts/bench-obbt --probe.
 *   usage: nnh_bench_lp_task NET.onnx BOUNDS.h5 K N_NEURONS METHOD 'ENGINE-OPTS-JSON' */
#include "nnhull/nnhull.h"
#include "nnhull/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu(void) { return (double)clock() / CLOCKS_PER_SEC; }

static int fail(const char *what, const nnh_error *err)
{
    fprintf(stderr, "nnh_bench_lp_task: %s: %s\n", what, err->msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s NET.onnx BOUNDS.h5 K N_NEURONS METHOD 'ENGINE-OPTS-JSON'\n",
                argv[0]);
        return 2;
    }
    nnh_error err;
    nnh_network *net;
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    if (nnh_load_network(argv[1], &lo, &net, &err))
        return fail(argv[1], &err);
    nnh_h5_file *f;
    if (nnh_h5_read(argv[2], &f, &err))
        return fail(argv[2], &err);
    int k = atoi(argv[3]), n = atoi(argv[4]);
    if (k < 1 || k >= net->n_layers || n < 1 || f->n_layers != net->n_layers || !f->present[k]) {
        fprintf(stderr, "nnh_bench_lp_task: bad layer %d or neuron count %d for %s\n", k, n,
                argv[2]);
        return 2;
    }
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    if (nnh_method_parse(argv[5], &o.method) || o.method < NNH_METHOD_LP1D) {
        fprintf(stderr, "nnh_bench_lp_task: method '%s': expected lp1d or hull\n", argv[5]);
        return 2;
    }
    if (nnh_bound_opts_parse_json(&o, argv[6], NULL, &err))
        return fail("engine options", &err);
    nnh_bounds *b = f->regions[0];
    int w = net->layers[k].n_out;
    for (int i = 0; i < w; i++) {
        b->layers[k].pre_lo[i] = -HUGE_VAL;
        b->layers[k].pre_hi[i] = HUGE_VAL;
    }
    if (nnh_crown_layer(net, b, k, &err))
        return fail("crown", &err);
    if (n > w)
        n = w;
    double t0 = cpu();
    nnh_lp_layer *L;
    if (nnh_lp_layer_create(net, b, k, &o, &L, &err))
        return fail("context", &err);
    double t1 = cpu(), before = 0.0, after = 0.0;
    nnh_layer_stats st = {0};
    for (int t = 0; t < n; t++) {
        int i = (int)((long)t * w / n);
        double v[2];
        for (int s = 0; s < 2; s++)
            if (nnh_lp_layer_bound(L, i, s ? 1 : -1, &v[s], &st, &err))
                return fail("task", &err);
        before += b->layers[k].pre_hi[i] - b->layers[k].pre_lo[i];
        after += v[1] - v[0];
    }
    double t2 = cpu();
    printf("layer %d %s %s: create %.2f s, %.3f CPU s/task, %.0f iters/task, width %.3f -> %.3f "
           "(%d neurons), %.1f solves/task\n", k, nnh_method_name(o.method), argv[6], t1 - t0,
           (t2 - t1) / (2 * n), (double)st.simplex_iters / (2 * n), before / n, after / n, n,
           (double)st.lp_solves / (2 * n));
    nnh_lp_layer_free(L);
    nnh_h5_file_free(f);
    nnh_network_free(net);
    return 0;
}
