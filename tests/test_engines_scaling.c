/* Soundness of the options that make LP bound tightening scale with depth
 * (nnh_bound_opts: window, skip_width, skip_stable, task_iter_limit,
 * task_time_limit, min_gain, long_step) on the example networks: sampled
 * points lie in every layer's bounds, the methods nest (hull in lp1d in
 * crown in ibp) with the same options, hull is never looser than lp1d task
 * by task on the same context, and each option does what it says (a window
 * as deep as the network is the whole prefix, bit for bit; an iteration
 * budget caps the iterations; skips save solves). */
#include "nnh_examples.h"
#include "nnh_soundness.h"
#include "nnh_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 0.05
static const char *const ARCH_DEEP = "64x10x10x10x10x10";

static const char *const win_acts[] = {"relu", "sigmoid", "tanh", "elu"};
#define N_WIN_ACTS ((int)(sizeof win_acts / sizeof *win_acts))

/* Windows 1 and 2 on the deep nets, ball and full box. */
START_TEST(test_window_sound)
{
    nnh_network *net = nnh_test_load_digits(win_acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    for (int box = 0; box < 2; box++) {
        nnh_test_digits_region(box, EPS, lo, hi);
        for (int w = 1; w <= 2; w++) {
            nnh_bound_opts o;
            nnh_bound_opts_init(&o);
            o.window = w;
            char what[128];
            snprintf(what, sizeof what, "%s %s window %d", win_acts[_i], box ? "box" : "ball", w);
            nnh_test_check_opts(net, what, lo, hi, &o, 1);
        }
    }
    nnh_network_free(net);
}
END_TEST

/* A window holding every earlier layer is the whole prefix: the same LP,
 * bit for bit. */
START_TEST(test_window_full_depth)
{
    nnh_network *net = nnh_test_load_digits("sigmoid", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    nnh_bounds *a = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, NULL);
    o.window = net->n_layers - 1;
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, NULL);
    ck_assert(nnh_test_same_bounds(a, b));
    o.window = 1; /* and a short one is a different LP */
    nnh_bounds *c = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, NULL);
    ck_assert(!nnh_test_same_bounds(a, c));
    nnh_bounds_free(a);
    nnh_bounds_free(b);
    nnh_bounds_free(c);
    nnh_network_free(net);
}
END_TEST

/* Contexts of lp1d and hull on the same bounds and options: hull's bound is
 * at least as tight as lp1d's on every task, exactly (sigmoid, full box:
 * the case where a mixed cut loop once ended looser), with windows 1 and 2
 * and with an iteration budget, a gain stop and the long-step ratio test
 * (deterministic: phase 1 is the same for both); cases 3-5 the same with
 * crown's forms of the window input (window_forms; case 5 with window 2). */
START_TEST(test_window_same_context)
{
    nnh_network *net = nnh_test_load_digits("sigmoid", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_box(lo, hi);
    nnh_bound_opts o1;
    nnh_bound_opts_init(&o1);
    if (_i % 3 < 2)
        o1.window = 1 + _i % 3;
    else {
        o1.task_iter_limit = 300;
        o1.min_gain = 1e-3;
        o1.long_step = 1;
        o1.window = _i > 2 ? 2 : 0;
    }
    o1.window_forms = _i > 2; /* cases 3-5: with crown's forms of the window input */
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o1, NNH_METHOD_LP1D, NULL);
    int tasks, tighter = nnh_test_hull_vs_lp1d(net, b, &o1, &tasks);
    printf("sigmoid box, case %d, same contexts: hull tighter than lp1d on %d of %d tasks\n", _i,
           tighter, tasks);
    ck_assert_int_gt(tighter, 0);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* The early stops and skips, each alone and with a window: sound at every
 * layer, nested. */
START_TEST(test_stops_sound)
{
    const char *act = _i < 2 ? "sigmoid" : "relu";
    nnh_network *net = nnh_test_load_digits(act, ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    if (_i % 2)
        nnh_test_digits_box(lo, hi);
    else
        nnh_test_digits_ball(EPS, lo, hi);
    for (int v = 0; v < 5; v++) {
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        const char *name[5] = {"task_iter_limit 30", "min_gain 1e-2", "task_time_limit 1e-4",
                               "skip_width 0.5", "skip_stable, window 2, long_step"};
        switch (v) {
        case 0: o.task_iter_limit = 30; break;
        case 1: o.min_gain = 1e-2; break;
        case 2: o.task_time_limit = 1e-4; break;
        case 3: o.skip_width = 0.5; break;
        default: o.skip_stable = 1; o.window = 2; o.long_step = 1; break;
        }
        char what[128];
        snprintf(what, sizeof what, "%s %s %s", act, _i % 2 ? "box" : "ball", name[v]);
        /* budgets cut each run's LP path at a different point: cross-run
         * nesting of hull in lp1d is not implied (same-context: below) */
        nnh_test_check_opts(net, what, lo, hi, &o, v != 0 && v != 2);
    }
    nnh_network_free(net);
}
END_TEST

/* An iteration budget caps every task; skip_stable and skip_width run
 * fewer solves than a full run (relu ball: many stable neurons). */
START_TEST(test_budgets_act)
{
    nnh_network *net = nnh_test_load_digits("relu", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    nnh_layer_stats full, it, st, wd;
    nnh_bounds *b0 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &full);
    o.task_iter_limit = 20;
    nnh_bounds *b1 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &it);
    long tasks = 0; /* both sides of every neuron of layers >= 1 */
    for (int k = 1; k < net->n_layers; k++)
        tasks += 2 * net->layers[k].n_out;
    ck_assert_int_le(it.simplex_iters, 20 * tasks);
    ck_assert_int_gt(full.simplex_iters, 20 * tasks);
    nnh_bound_opts_init(&o);
    o.skip_stable = 1;
    nnh_bounds *b2 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &st);
    ck_assert_int_lt(st.lp_solves, full.lp_solves);
    nnh_bound_opts_init(&o);
    o.skip_width = 1e300; /* every neuron: crown's bounds exactly */
    nnh_bounds *b3 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &wd);
    nnh_bounds *c = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
    ck_assert(nnh_test_same_bounds(b3, c));
    printf("relu ball hull: %ld solves / %ld iterations; iter limit 20: %ld / %ld; skip_stable: "
           "%ld solves\n", full.lp_solves, full.simplex_iters, it.lp_solves, it.simplex_iters,
           st.lp_solves);
    nnh_bounds_free(b0);
    nnh_bounds_free(b1);
    nnh_bounds_free(b2);
    nnh_bounds_free(b3);
    nnh_bounds_free(c);
    nnh_network_free(net);
}
END_TEST

/* The new keys reach the provenance JSON only when set; bad values are
 * refused. */
START_TEST(test_opts_json)
{
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    char *j = nnh_bound_opts_json(&o);
    ck_assert_ptr_null(strstr(j, "window"));
    free(j);
    o.window = 2;
    o.min_gain = 0.5;
    o.task_iter_limit = 40;
    j = nnh_bound_opts_json(&o);
    ck_assert_ptr_nonnull(strstr(j, "\"slack_rounds\": 0, \"window\": 2, \"task_iter_limit\": 40, "
                                    "\"min_gain\": 0.5}"));
    free(j);
    nnh_network *net = nnh_test_load_digits("tanh", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bounds *b;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    for (int v = 0; v < 4; v++) {
        nnh_bound_opts_init(&o);
        o.method = NNH_METHOD_LP1D;
        switch (v) {
        case 0: o.window = -1; break;
        case 1: o.skip_stable = 2; break;
        case 2: o.min_gain = NAN; break;
        default: o.task_time_limit = -1; break;
        }
        ck_assert_int_eq(nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err), NNH_EINVAL);
    }
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engines_scaling");
    TCase *tc = tcase_create("scaling");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_opts_json);
    tcase_add_test(tc, test_window_full_depth);
    tcase_add_loop_test(tc, test_window_sound, 0, N_WIN_ACTS);
    tcase_add_loop_test(tc, test_window_same_context, 0, 6);
    tcase_add_loop_test(tc, test_stops_sound, 0, 4);
    tcase_add_test(tc, test_budgets_act);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
