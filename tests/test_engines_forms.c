/* Soundness and effect of the window coupling and neuron prioritisation
 * options of the LP engines (nnh_bound_opts.window_forms, skip_fraction) on
 * the example networks: sampled points lie in every layer's bounds, the
 * methods nest (hull in lp1d in crown in ibp) with the same options (hull
 * never looser than lp1d task by task on the same context with forms:
 * test_engines_scaling.c, test_window_same_context), crown's forms
 * of the window input never loosen a single LP solve and tighten some, and
 * skipped neurons keep exactly their crown bounds. */
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

/* Crown's forms with window 1 on the ball and window 2 on the full box:
 * sampled at every layer, nested. */
START_TEST(test_forms_sound)
{
    nnh_network *net = nnh_test_load_digits(acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    for (int box = 0; box < 2; box++) {
        nnh_test_digits_region(box, EPS, lo, hi);
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.window = 1 + box;
        o.window_forms = 1;
        char what[128];
        snprintf(what, sizeof what, "%s %s window %d forms", acts[_i], box ? "box" : "ball",
                 o.window);
        nnh_test_check_opts(net, what, lo, hi, &o, 1);
    }
    nnh_network_free(net);
}
END_TEST

/* One LP solve (no cut rounds) per task on contexts from the same bounds:
 * the forms only add valid rows to the window LP, so its optimum can only
 * rise; the safe bounds of two near-optimal dual vectors may differ by
 * GLPK's tolerances (1e-6 relative allowed). On the
 * tanh ball the forms must make some bound tighter. */
START_TEST(test_forms_tighten)
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
    o1.window_forms = 1;
    nnh_error err;
    int tighter = 0, n = 0;
    for (int k = 2; k < net->n_layers; k++) { /* k = 1: the window reaches x anyway */
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
                              "layer %d neuron %d sense %d: forms %.17g looser than box %.17g",
                              k, i, s, v1, v0);
                tighter += s < 0 ? v1 > v0 + tol : v1 < v0 - tol;
            }
        nnh_lp_layer_free(L0);
        nnh_lp_layer_free(L1);
    }
    printf("tanh ball, window 1, one solve: forms tighter on %d of %d tasks\n", tighter, n);
    ck_assert_int_gt(tighter, 0);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* skip_fraction: sound and nested at 0.5 (with forms too; hull within
 * lp1d is not asserted across runs: the scores come from each run's own
 * creation bounds, so hull's run may skip a neuron lp1d's run tightened,
 * e.g. sigmoid ball layer 2 neuron 4, 1.3165 vs 1.3274); at 1 every
 * hidden neuron keeps crown's bound exactly (the output layer still gets
 * its LPs), and 0.5 runs fewer solves than 0. */
START_TEST(test_skip_fraction)
{
    nnh_network *net = nnh_test_load_digits(acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.skip_fraction = 0.5;
    char what[128];
    snprintf(what, sizeof what, "%s ball skip_fraction 0.5", acts[_i]);
    nnh_test_check_opts(net, what, lo, hi, &o, 0);
    o.window = 1;
    o.window_forms = 1;
    snprintf(what, sizeof what, "%s ball skip_fraction 0.5 window 1 forms", acts[_i]);
    nnh_test_check_opts(net, what, lo, hi, &o, 0);
    /* the depth profile (nnh_bound_opts_deep_defaults) with skip_fraction */
    nnh_bound_opts_init(&o);
    o.max_rounds = 3;
    o.window = 1;
    o.task_iter_limit = 1000;
    o.long_step = 1;
    o.min_gain = 1e-3;
    o.skip_fraction = 0.5;
    snprintf(what, sizeof what, "%s ball depth profile, skip_fraction 0.5", acts[_i]);
    nnh_test_check_opts(net, what, lo, hi, &o, 0);
    nnh_layer_stats all, half;
    nnh_bound_opts_init(&o);
    nnh_bounds *b0 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &all);
    o.skip_fraction = 0.5;
    nnh_bounds *b1 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, &half);
    ck_assert_int_lt(half.lp_solves, all.lp_solves);
    o.skip_fraction = 1.0;
    nnh_bounds *b2 = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_HULL, NULL);
    nnh_bounds *c = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
    int last = net->n_layers - 1;
    for (int k = 0; k < last; k++)
        for (int i = 0; i < b2->layers[k].width; i++) {
            ck_assert(b2->layers[k].pre_lo[i] == c->layers[k].pre_lo[i]);
            ck_assert(b2->layers[k].pre_hi[i] == c->layers[k].pre_hi[i]);
        }
    printf("%s ball hull: %ld solves; skip_fraction 0.5: %ld\n", acts[_i], all.lp_solves,
           half.lp_solves);
    nnh_bounds_free(b0);
    nnh_bounds_free(b1);
    nnh_bounds_free(b2);
    nnh_bounds_free(c);
    nnh_network_free(net);
}
END_TEST

/* The keys reach the provenance JSON only when set; bad values refused. */
START_TEST(test_forms_opts)
{
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    char *j = nnh_bound_opts_json(&o);
    ck_assert_ptr_null(strstr(j, "window_forms"));
    ck_assert_ptr_null(strstr(j, "skip_fraction"));
    free(j);
    o.window = 1;
    o.window_forms = 1;
    o.skip_fraction = 0.25;
    j = nnh_bound_opts_json(&o);
    ck_assert_ptr_nonnull(strstr(j, "\"window_forms\": 1, \"skip_fraction\": 0.25}"));
    free(j);
    nnh_error err;
    ck_assert_int_eq(nnh_bound_opts_set(&o, "window_forms", 2, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "skip_fraction", 1.5, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "skip_fraction", 0.75, &err), NNH_OK);
    ck_assert(o.skip_fraction == 0.75);
    o.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bound_opts_set(&o, "window_forms", 1, &err), NNH_EUNSUPPORTED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engines_forms");
    TCase *tc = tcase_create("forms");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_forms_opts);
    tcase_add_test(tc, test_forms_tighten);
    tcase_add_loop_test(tc, test_forms_sound, 0, N_ACTS);
    tcase_add_loop_test(tc, test_skip_fraction, 0, 2); /* relu, sigmoid */
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
