/* Soundness of the bound engines on real shared networks (skipped when
 * /work/shared/data is absent): ACAS Xu ONNX nets over VNN-COMP prop_1's box
 * and Marabou's small sigmoid / tanh / leaky-ReLU ONNX nets over small boxes.
 * 20,000 sampled points (plus corners for <= 12 inputs) lie within every
 * method's bounds at every layer, and the methods nest: hull in lp1d in
 * crown in ibp (1e-7); hull with the cut pool and slack removal on is sampled
 * and within crown too. lp1d and hull run with a per-run time limit so the
 * file stays short; past it the remaining neurons keep crown's bound. */
#include "nnh_soundness.h"
#include "nnh_clock.h"
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_SAMPLES 20000
#define CHAIN_TOL 1e-7
#define RUN_TIME_LIMIT 4.0 /* seconds per lp1d / hull run */

/* Bounds by method m (index NNH_METHOD_COUNT: hull with a 3-round cut pool
 * and slack removal after 1 round, the hygiene options at their most
 * aggressive); *timed_out is set when the run hit its time limit. */
static nnh_bounds *run(const nnh_network *net, const double *lo, const double *hi, int m,
                       int *timed_out, double *secs)
{
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = m < NNH_METHOD_COUNT ? (nnh_method)m : NNH_METHOD_HULL;
    if (m == NNH_METHOD_COUNT) {
        o.pool_rounds = 3;
        o.slack_rounds = 1;
    }
    o.time_limit = RUN_TIME_LIMIT;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    double t = nnh_now();
    int rc = nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err);
    *secs = nnh_now() - t;
    ck_assert_msg(rc == 0, "%s: %s", nnh_method_name(o.method), err.msg);
    *timed_out = m >= NNH_METHOD_LP1D && *secs > RUN_TIME_LIMIT;
    return b;
}

static double out_width(const nnh_bounds *b)
{
    const nnh_layer_bounds *B = &b->layers[b->n_layers - 1];
    double s = 0.0;
    for (int i = 0; i < B->width; i++)
        s += B->pre_hi[i] - B->pre_lo[i];
    return s / B->width;
}

/* All four methods on net over [lo, hi]: sampled soundness and nesting. */
static void check_net(const char *rel, const double *lo, const double *hi)
{
    const char *path = nnh_data_path(rel);
    if (!path) {
        printf("%s: absent, skipped\n", rel);
        return;
    }
    nnh_load_opts lo_opts;
    nnh_load_opts_init(&lo_opts);
    nnh_network *net = NULL;
    nnh_error err;
    int rc = nnh_load_network(path, &lo_opts, &net, &err);
    ck_assert_msg(rc == 0, "%s: %s", rel, rc ? err.msg : "");
    enum { NB = NNH_METHOD_COUNT + 1 };
    nnh_bounds *b[NB];
    int to[NB];
    double secs[NB];
    for (int m = 0; m < NB; m++)
        b[m] = run(net, lo, hi, m, &to[m], &secs[m]);
    nnh_sample_report rep[NB];
    nnh_sample_check(net, (const nnh_bounds *const *)b, NB, lo, hi, N_SAMPLES, 77, rep);
    for (int m = 0; m < NB; m++)
        ck_assert_msg(rep[m].worst <= NNH_SAMPLE_TOL, "%s %s: %s", rel,
                      m < NNH_METHOD_COUNT ? nnh_method_name((nnh_method)m) : "hull+pool+slack",
                      nnh_sample_describe(&rep[m]));
    char what[300];
    snprintf(what, sizeof what, "%s: crown in ibp", rel);
    nnh_assert_within(b[NNH_METHOD_CROWN], b[NNH_METHOD_IBP], CHAIN_TOL, what);
    snprintf(what, sizeof what, "%s: lp1d in crown", rel);
    nnh_assert_within(b[NNH_METHOD_LP1D], b[NNH_METHOD_CROWN], CHAIN_TOL, what);
    snprintf(what, sizeof what, "%s: hull in crown", rel);
    nnh_assert_within(b[NNH_METHOD_HULL], b[NNH_METHOD_CROWN], CHAIN_TOL, what);
    snprintf(what, sizeof what, "%s: hull+pool+slack in crown", rel);
    nnh_assert_within(b[NNH_METHOD_COUNT], b[NNH_METHOD_CROWN], CHAIN_TOL, what);
    /* a timed-out run stops at a timing-dependent neuron: no order then */
    if (!to[NNH_METHOD_LP1D] && !to[NNH_METHOD_HULL]) {
        snprintf(what, sizeof what, "%s: hull in lp1d", rel);
        nnh_assert_within(b[NNH_METHOD_HULL], b[NNH_METHOD_LP1D], CHAIN_TOL, what);
    }
    printf("%-45s %ld points; mean output width ibp %.6g crown %.6g lp1d %.6g%s hull %.6g%s; "
           "hull+pool+slack %.6g%s; seconds lp1d %.2f hull %.2f hull+pool+slack %.2f\n",
           rel, rep[0].points, out_width(b[0]), out_width(b[1]), out_width(b[2]),
           to[2] ? " (time limit)" : "", out_width(b[3]), to[3] ? " (time limit)" : "",
           out_width(b[4]), to[4] ? " (time limit)" : "", secs[2], secs[3], secs[4]);
    for (int m = 0; m < NB; m++)
        nnh_bounds_free(b[m]);
    nnh_network_free(net);
}

/* VNN-COMP ACAS Xu prop_1 (normalised inputs). */
static const double P1_LO[5] = {0.6, -0.5, -0.5, 0.45, -0.5};
static const double P1_HI[5] = {0.679857769, 0.5, 0.5, 0.5, -0.45};

START_TEST(test_acasxu)
{
    check_net("acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx", P1_LO, P1_HI);
    check_net("acasxu/onnx/ACASXU_run2a_2_3_batch_2000.onnx", P1_LO, P1_HI);
}
END_TEST

START_TEST(test_marabou_small)
{
    double lo[4] = {-1, -1, -1, -1}, hi[4] = {1, 1, 1, 1};
    check_net("marabou/onnx/fc_2-2sigmoids-3.onnx", lo, hi);
    double tlo[4] = {-0.5, -0.5, -0.5, -0.5}, thi[4] = {0.5, 0.5, 0.5, 0.5};
    check_net("marabou/onnx/tanh_test.onnx", tlo, thi);
}
END_TEST

/* MNIST nets: the sigmoid one over the full box [0,1]^784 (on small boxes
 * its output barely moves), the leaky-ReLU one over 0.5 +- 0.01. */
START_TEST(test_marabou_mnist)
{
    double lo[784], hi[784];
    for (int j = 0; j < 784; j++) {
        lo[j] = 0.0;
        hi[j] = 1.0;
    }
    check_net("marabou/onnx/mnist2x5_sigmoid.onnx", lo, hi);
    for (int j = 0; j < 784; j++) {
        lo[j] = 0.49;
        hi[j] = 0.51;
    }
    check_net("marabou/onnx/mnist5x20_leaky_relu.onnx", lo, hi);
}
END_TEST

int main(void)
{
    nnh_require_data("");
    Suite *s = suite_create("engines_shared");
    TCase *tc = tcase_create("shared");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_acasxu);
    tcase_add_test(tc, test_marabou_small);
    tcase_add_test(tc, test_marabou_mnist);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
