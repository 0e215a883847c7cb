/* The output layer's own LP window and budget (nnh_bound_opts.output_window,
 * output_iter_limit). On the example networks: sampled
 * points lie in every layer's bounds, the methods nest (hull in lp1d in
 * crown in ibp) with the same options, hull is never looser than lp1d task
 * by task on the same context; the output layer's context is exactly the
 * one of the plain window (and budget) of that width and the hidden layers
 * keep `window`'s (and task_iter_limit's), bit for bit; a wider output window never loosens one LP
 * solve on the same bounds and tightens some. */
#include "nnh_examples.h"
#include "nnh_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 0.05
static const char *const ARCH_DEEP = "64x10x10x10x10x10";
static const char *const acts[] = {"relu", "sigmoid", "tanh", "elu"};
#define N_ACTS ((int)(sizeof acts / sizeof *acts))

/* window 1 with output windows 2 and 5 (the whole prefix of the 6-layer
 * nets; with a 200-iteration budget for the hidden layers and 2000 for the
 * output), ball and full box: sampled at every layer, nested, and hull
 * within lp1d task by task on crown's bounds. */
START_TEST(test_output_window_sound)
{
    nnh_network *net = nnh_test_load_digits(acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    const int ow[] = {2, 5};
    for (int box = 0; box < 2; box++) {
        nnh_test_digits_region(box, EPS, lo, hi);
        for (int t = 0; t < 2; t++) {
            nnh_bound_opts o;
            nnh_bound_opts_init(&o);
            o.window = 1;
            o.output_window = ow[t];
            if (t == 1) {
                o.task_iter_limit = 200;
                o.output_iter_limit = 2000;
            }
            char what[128];
            snprintf(what, sizeof what, "%s %s window 1 output %d%s", acts[_i],
                     box ? "box" : "ball", ow[t], t == 1 ? " budgets" : "");
            nnh_test_check_opts(net, what, lo, hi, &o, 1);
            nnh_bounds *c = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
            int n = 0;
            nnh_test_hull_vs_lp1d(net, c, &o, &n);
            ck_assert_int_gt(n, 0);
            nnh_bounds_free(c);
        }
    }
    nnh_network_free(net);
}
END_TEST

/* Every task of two contexts gives the same bits. */
static void assert_same_tasks(const nnh_network *net, const nnh_bounds *b, int k,
                              const nnh_bound_opts *x, const nnh_bound_opts *y)
{
    nnh_error err;
    nnh_lp_layer *A, *B;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, x, &A, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, y, &B, &err), 0);
    for (int i = 0; i < net->layers[k].n_out; i++)
        for (int s = -1; s <= 1; s += 2) {
            double va, vb;
            ck_assert_int_eq(nnh_lp_layer_bound(A, i, s, &va, NULL, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(B, i, s, &vb, NULL, &err), 0);
            ck_assert_msg(va == vb, "layer %d neuron %d sense %d: %.17g vs %.17g", k, i, s, va,
                          vb);
        }
    nnh_lp_layer_free(A);
    nnh_lp_layer_free(B);
}

/* output_window W at the output layer is window W there, and window at
 * every hidden layer, bit for bit; nnh_bound_opts_window says so. */
START_TEST(test_output_window_is_window)
{
    nnh_network *net = nnh_test_load_digits("sigmoid", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o, w1, w3;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
    o.window = 1;
    o.output_window = 3;
    w1 = w3 = o;
    w1.output_window = w3.output_window = 0;
    w3.window = 3;
    int last = net->n_layers - 1;
    assert_same_tasks(net, b, last, &o, &w3);
    assert_same_tasks(net, b, 3, &o, &w1);
    /* the same for the budget: output_iter_limit at the output, else task_iter_limit */
    nnh_bound_opts ob = w1, b30 = w1, b300 = w1;
    ob.task_iter_limit = b30.task_iter_limit = 30;
    ob.output_iter_limit = b300.task_iter_limit = 300;
    assert_same_tasks(net, b, last, &ob, &b300);
    assert_same_tasks(net, b, 2, &ob, &b30);
    ck_assert_int_eq(nnh_bound_opts_iter_limit(&ob, last, net->n_layers), 300);
    ck_assert_int_eq(nnh_bound_opts_iter_limit(&ob, 2, net->n_layers), 30);
    ob.output_iter_limit = 0;
    ck_assert_int_eq(nnh_bound_opts_iter_limit(&ob, last, net->n_layers), 30);
    ck_assert_int_eq(nnh_bound_opts_window(&o, last, net->n_layers), 3);
    ck_assert_int_eq(nnh_bound_opts_window(&o, 3, net->n_layers), 1);
    ck_assert_int_eq(nnh_bound_opts_window(&o, 1, net->n_layers), 0); /* reaches x */
    o.output_window = last; /* the whole prefix */
    ck_assert_int_eq(nnh_bound_opts_window(&o, last, net->n_layers), 0);
    o.output_window = 1000;
    ck_assert_int_eq(nnh_bound_opts_window(&o, last, net->n_layers), 0);
    o.window = 0;
    o.output_window = 2;
    ck_assert_int_eq(nnh_bound_opts_window(&o, last, net->n_layers), 2);
    ck_assert_int_eq(nnh_bound_opts_window(&o, last - 1, net->n_layers), 0);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* One LP solve per task (no cut rounds) on the same bounds: the whole
 * prefix holds every row of the window-1 LP of the output layer, so its
 * optimum can only rise (safe bounds of two near-optimal dual vectors: 1e-6
 * relative allowed); on the tanh ball some output bound gets tighter. */
START_TEST(test_output_window_tightens)
{
    nnh_network *net = nnh_test_load_digits("tanh", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o0;
    nnh_bound_opts_init(&o0);
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o0, NNH_METHOD_CROWN, NULL);
    o0.method = NNH_METHOD_LP1D;
    o0.max_rounds = 0;
    o0.window = 1;
    nnh_bound_opts o1 = o0;
    o1.output_window = net->n_layers - 1;
    int k = net->n_layers - 1, tighter = 0, n = 0;
    nnh_error err;
    nnh_lp_layer *L0, *L1;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o0, &L0, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o1, &L1, &err), 0);
    for (int i = 0; i < net->layers[k].n_out; i++)
        for (int s = -1; s <= 1; s += 2, n++) {
            double v0, v1;
            ck_assert_int_eq(nnh_lp_layer_bound(L0, i, s, &v0, NULL, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(L1, i, s, &v1, NULL, &err), 0);
            double tol = 1e-6 * (1.0 + fabs(v0));
            ck_assert_msg(s < 0 ? v1 >= v0 - tol : v1 <= v0 + tol,
                          "neuron %d sense %d: whole prefix %.17g looser than window 1 %.17g", i,
                          s, v1, v0);
            tighter += s < 0 ? v1 > v0 + tol : v1 < v0 - tol;
        }
    nnh_lp_layer_free(L0);
    nnh_lp_layer_free(L1);
    printf("tanh ball, output layer, one solve: whole prefix tighter on %d of %d tasks\n",
           tighter, n);
    ck_assert_int_gt(tighter, 0);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* The key reaches the provenance JSON only when set. */
START_TEST(test_output_window_json)
{
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    char *j = nnh_bound_opts_json(&o);
    ck_assert_ptr_null(strstr(j, "output_window"));
    ck_assert_ptr_null(strstr(j, "output_iter_limit"));
    free(j);
    o.window = 1;
    o.output_window = 4;
    o.output_iter_limit = 5000;
    j = nnh_bound_opts_json(&o);
    ck_assert_ptr_nonnull(strstr(j, "\"window\": 1, \"output_window\": 4, "
                                    "\"output_iter_limit\": 5000}"));
    free(j);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engines_schedule");
    TCase *tc = tcase_create("schedule");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_output_window_json);
    tcase_add_test(tc, test_output_window_is_window);
    tcase_add_test(tc, test_output_window_tightens);
    tcase_add_loop_test(tc, test_output_window_sound, 0, N_ACTS);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
