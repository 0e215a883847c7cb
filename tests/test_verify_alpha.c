/* Unit tests of alpha-CROWN inside verify (src/verify/verify_alpha.c): the
 * --alpha modes, a root that only the optimised slopes close, and branch
 * and bound with alpha on small 2-input ReLU and leaky-ReLU networks whose
 * answer a dense grid gives (proofs below the grid minimum, re-checked
 * counterexamples above it, never unsat on a violated property). */
#include "nnh_test.h"
#include "nnh_verify_test.h"
#include "verify_internal.h"
#include "nnhull/nnhull.h"
#include "nnhull/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Random 2-8-8-8-1 network with activation `act` on the hidden layers. */
static nnh_network *net_small(nnh_act_kind act, unsigned long long seed)
{
    return nnh_test_net2(3, 8, 2.0, act, seed);
}

START_TEST(test_alpha_modes)
{
    int a;
    const char *names[] = {"off", "root", "on", "auto"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(nnh_alpha_mode_parse(names[i], &a), 0);
        ck_assert_str_eq(nnh_alpha_mode_name(a), names[i]);
    }
    ck_assert_int_ne(nnh_alpha_mode_parse("yes", &a), 0);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    ck_assert_int_eq(o.alpha, NNH_ALPHA_AUTO);
    ck_assert_int_eq(nnh_alpha_mode_resolve(&o, 5), NNH_ALPHA_OFF); /* ACAS Xu */
    ck_assert_int_eq(nnh_alpha_mode_resolve(&o, 784), NNH_ALPHA_ON);
    o.split = NNH_SPLIT_INPUT;
    ck_assert_int_eq(nnh_alpha_mode_resolve(&o, 784), NNH_ALPHA_OFF);
    o.alpha = NNH_ALPHA_ON;
    ck_assert_int_eq(nnh_alpha_mode_resolve(&o, 5), NNH_ALPHA_ON);
    o.method = NNH_METHOD_IBP;
    ck_assert_int_eq(nnh_alpha_mode_resolve(&o, 5), NNH_ALPHA_OFF);
}
END_TEST

/* The root bound of Y_0 by crown and by alpha (hidden layers, crown, row),
 * as verify computes them. */
static void root_bounds(const nnh_network *net, double *crown, double *alpha)
{
    double lo[2] = {-1, -1}, hi[2] = {1, 1};
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts bo;
    nnh_bound_opts_init(&bo);
    bo.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_compute(net, b, &bo, NULL, NULL, NULL, &err), 0);
    *crown = b->layers[3].pre_lo[0];
    nnh_alpha_opts ao;
    nnh_alpha_opts_init(&ao);
    int sel[8];
    for (int l = 1; l < 3; l++) {
        int n = 0;
        for (int i = 0; i < 8; i++)
            if (b->layers[l].pre_lo[i] < 0 && b->layers[l].pre_hi[i] > 0)
                sel[n++] = i;
        ck_assert_int_eq(nnh_crown_alpha_layer(net, b, l, sel, n, &ao, &err), 0);
    }
    for (int l = 1; l < 4; l++)
        ck_assert_int_eq(nnh_crown_layer(net, b, l, &err), 0);
    int row = 0;
    ck_assert_int_eq(nnh_crown_alpha_rows(net, b, 3, &row, 1, &ao, alpha, NULL, &err), 0);
    nnh_bounds_free(b);
}

/* A threshold between crown's root bound and alpha's: one region proves it
 * with --alpha root and does not without (and the grid agrees: the property
 * holds). */
static void root_closed_by_alpha(nnh_act_kind act)
{
    int found = 0;
    for (unsigned long long seed = 1; seed <= 40 && found < 2; seed++) {
        nnh_network *net = net_small(act, seed);
        double c0, c1;
        root_bounds(net, &c0, &c1);
        ck_assert_msg(c1 >= c0, "seed %llu: alpha %.17g < crown %.17g", seed, c1, c0);
        double m = nnh_test_grid_min2(net);
        ck_assert_msg(c1 <= m, "seed %llu: alpha bound %.17g above the grid min %.17g", seed,
                      c1, m);
        if (!(c1 > c0 + 0.05)) {
            nnh_network_free(net);
            continue;
        }
        double thr = 0.5 * (c0 + c1);
        nnh_verify_opts o;
        nnh_verify_opts_init(&o);
        o.split = NNH_SPLIT_ACTIVATION;
        o.max_regions = 1;
        o.alpha = NNH_ALPHA_OFF;
        nnh_verify_result res;
        ck_assert_int_eq(nnh_test_verify_upper2(net, thr, &o, &res), NNH_VERDICT_UNKNOWN);
        nnh_verify_result_free(&res);
        o.alpha = NNH_ALPHA_ROOT;
        ck_assert_int_eq(nnh_test_verify_upper2(net, thr, &o, &res), NNH_VERDICT_UNSAT);
        ck_assert_int_eq(res.regions, 1);
        nnh_verify_result_free(&res);
        found++;
        nnh_network_free(net);
    }
    ck_assert_msg(found == 2, "only %d nets where alpha closes the root", found);
}

START_TEST(test_relu_root_closed_by_alpha) { root_closed_by_alpha(NNH_ACT_RELU); }
END_TEST

START_TEST(test_leaky_root_closed_by_alpha) { root_closed_by_alpha(NNH_ACT_LEAKY_RELU); }
END_TEST

/* Branch and bound with alpha (mode) against the grid: unsat just below
 * the minimum, a re-checked sat above it, never unsat on a violated
 * property without falsification. */
static long grid_verdicts(nnh_act_kind act, unsigned long long seed, int mode)
{
    nnh_network *net = net_small(act, seed);
    double m = nnh_test_grid_min2(net);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.split = NNH_SPLIT_ACTIVATION;
    o.alpha = mode;
    o.max_regions = 20000;
    nnh_verify_result res;
    ck_assert_int_eq(nnh_test_verify_upper2(net, m - 0.02, &o, &res), NNH_VERDICT_UNSAT);
    long regions = res.regions;
    nnh_verify_result_free(&res);
    ck_assert_int_eq(nnh_test_verify_upper2(net, m + 0.01, &o, &res), NNH_VERDICT_SAT);
    nnh_verify_result_free(&res);
    o.samples = o.starts = o.region_samples = o.region_starts = 0;
    o.max_regions = 2000;
    ck_assert_int_ne(nnh_test_verify_upper2(net, m + 0.001, &o, &res), NNH_VERDICT_UNSAT);
    nnh_verify_result_free(&res);
    nnh_network_free(net);
    return regions;
}

/* Alpha on every region (with the split neurons' beta slopes) needs fewer
 * regions than crown alone here (2981 against 581 when written). */
START_TEST(test_relu_grid_alpha_on)
{
    long on = grid_verdicts(NNH_ACT_RELU, 7, NNH_ALPHA_ON);
    long off = grid_verdicts(NNH_ACT_RELU, 7, NNH_ALPHA_OFF);
    ck_assert_msg(on < off, "alpha on: %ld regions, off: %ld", on, off);
    grid_verdicts(NNH_ACT_RELU, 9, NNH_ALPHA_ON);
}
END_TEST

START_TEST(test_relu_grid_alpha_root) { grid_verdicts(NNH_ACT_RELU, 3, NNH_ALPHA_ROOT); }
END_TEST

START_TEST(test_leaky_grid_alpha_on) { grid_verdicts(NNH_ACT_LEAKY_RELU, 3, NNH_ALPHA_ON); }
END_TEST

int main(void)
{
    Suite *s = suite_create("verify_alpha");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_alpha_modes);
    tcase_add_test(tc, test_relu_root_closed_by_alpha);
    tcase_add_test(tc, test_leaky_root_closed_by_alpha);
    tcase_add_test(tc, test_relu_grid_alpha_on);
    tcase_add_test(tc, test_relu_grid_alpha_root);
    tcase_add_test(tc, test_leaky_grid_alpha_on);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
