/* Unit tests of the cheap nodes of activation splitting
 * (nnh_verify_opts.node_layers, src/verify/verify_region.c): on small
 * 2-input ReLU and sigmoid networks with 3 hidden layers, whose answer a
 * dense grid gives, every mode (rows, changed, all) gives only correct
 * verdicts, proves what "all" proves, and the bounds of every open region
 * contain every sampled point of its domain at every layer. */
#include "nnh_test.h"
#include "nnh_verify_test.h"
#include "verify_internal.h"
#include "nnhull/nnhull.h"
#include "nnhull/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const int modes[3] = {NNH_NODE_LAYERS_ROWS, NNH_NODE_LAYERS_CHANGED,
                             NNH_NODE_LAYERS_ALL};

/* Random 2-8-8-8-1 network with activation `act` on the hidden layers. */
static nnh_network *net_deep(nnh_act_kind act, unsigned long long seed)
{
    return nnh_test_net2(3, 8, 2.0, act, seed);
}

START_TEST(test_node_layers_names)
{
    int m;
    ck_assert_int_eq(nnh_node_layers_parse("rows", &m), 0);
    ck_assert_int_eq(m, NNH_NODE_LAYERS_ROWS);
    ck_assert_int_eq(nnh_node_layers_parse("changed", &m), 0);
    ck_assert_int_eq(m, NNH_NODE_LAYERS_CHANGED);
    ck_assert_int_eq(nnh_node_layers_parse("all", &m), 0);
    ck_assert_int_eq(m, NNH_NODE_LAYERS_ALL);
    ck_assert_int_ne(nnh_node_layers_parse("some", &m), 0);
    ck_assert_str_eq(nnh_node_layers_name(NNH_NODE_LAYERS_CHANGED), "changed");
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    ck_assert_int_eq(o.node_layers, NNH_NODE_LAYERS_CHANGED);
}
END_TEST

/* For seeds 1..8: below the grid minimum by delta (holds) no mode says sat
 * and each says unsat wherever "all" does (with 4x its regions); just
 * above the grid minimum (violated) and without any falsification no mode
 * says unsat; at + 0.01 every mode finds a re-checked counterexample. */
static void verdicts(nnh_act_kind act, double delta)
{
    int proved[3] = {0, 0, 0};
    long regions[3] = {0, 0, 0};
    for (unsigned long long seed = 1; seed <= 8; seed++) {
        nnh_network *net = net_deep(act, seed);
        double m = nnh_test_grid_min2(net);
        nnh_verify_opts o;
        nnh_verify_opts_init(&o);
        o.split = NNH_SPLIT_ACTIVATION;
        int all_unsat = 0;
        for (int t = 2; t >= 0; t--) {
            o.node_layers = modes[t];
            o.max_regions = t == 2 ? 2000 : 8000;
            nnh_verify_result res;
            nnh_verdict v = nnh_test_verify_upper2(net, m - delta, &o, &res);
            ck_assert_int_ne(v, NNH_VERDICT_SAT);
            if (t == 2)
                all_unsat = v == NNH_VERDICT_UNSAT;
            else if (all_unsat)
                ck_assert_msg(v == NNH_VERDICT_UNSAT, "seed %llu mode %s: %s where all proves",
                              seed, nnh_node_layers_name(modes[t]), nnh_verdict_name(v));
            if (v == NNH_VERDICT_UNSAT) {
                proved[t]++;
                regions[t] += res.regions;
            }
            nnh_verify_result_free(&res);
        }
        for (int t = 0; t < 3; t++) {
            nnh_verify_opts q = o;
            q.node_layers = modes[t];
            q.samples = q.starts = q.region_samples = q.region_starts = 0;
            q.max_regions = 1000;
            nnh_verify_result res;
            ck_assert_int_ne(nnh_test_verify_upper2(net, m + 0.001, &q, &res), NNH_VERDICT_UNSAT);
            nnh_verify_result_free(&res);
            q = o;
            q.node_layers = modes[t];
            q.max_regions = 1000;
            ck_assert_int_eq(nnh_test_verify_upper2(net, m + 0.01, &q, &res), NNH_VERDICT_SAT);
            nnh_verify_result_free(&res);
        }
        nnh_network_free(net);
    }
    for (int t = 0; t < 3; t++)
        fprintf(stderr, "%s: %s proves %d of 8 (%ld regions for those)\n",
                act == NNH_ACT_RELU ? "relu" : "sigmoid", nnh_node_layers_name(modes[t]),
                proved[t], regions[t]);
    ck_assert_int_gt(proved[2], 2); /* the test must contain proofs */
}

START_TEST(test_relu_verdicts) { verdicts(NNH_ACT_RELU, 0.02); }
END_TEST

START_TEST(test_sigmoid_verdicts) { verdicts(NNH_ACT_SIGMOID, 0.05); }
END_TEST

/* 1 when x (in the box) meets every split of R, evaluated on the folded
 * network's pre-activations. */
static int in_domain(const nnh_bab_region *R, const double *x, double *const *pre)
{
    for (int j = 0; j < 2; j++)
        if (!(x[j] >= R->lo[j] && x[j] <= R->hi[j]))
            return 0;
    for (int t = 0; t < R->n_splits; t++) {
        double z = pre[R->splits[t].layer][R->splits[t].neuron];
        if (!(z >= R->splits[t].lo && z <= R->splits[t].hi))
            return 0;
    }
    return 1;
}

/* Branch and bound by hand (depth first) with node_layers = mode on a
 * property that holds: the bounds every open region returns contain every
 * sampled point of its domain at every layer, down to depth 8. */
static void bounds_contain(nnh_act_kind act, unsigned long long seed, int mode)
{
    nnh_network *net = net_deep(act, seed);
    nnh_spec *spec = nnh_test_spec_upper2(nnh_test_grid_min2(net) - 0.01);
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_int_eq(nnh_verify_problem_create(net, spec, &P, &err), 0);
    const nnh_network *F = P->groups[0].folded;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.split = NNH_SPLIT_ACTIVATION;
    o.node_layers = mode;
    nnh_region_result rr;
    ck_assert_int_eq(nnh_region_result_init(P, &rr, &err), 0);
    double buf[2][64], *pre[4], *post[4];
    for (int k = 0; k < 4; k++) {
        pre[k] = buf[0] + 16 * k;
        post[k] = buf[1] + 16 * k;
    }
    nnh_bab_region *queue[256];
    int nq = 0, opened = 0, checked = 0;
    queue[nq++] = nnh_bab_root(P, 0);
    unsigned long long st = seed;
    while (nq > 0 && opened < 80) {
        nnh_bab_region *R = queue[--nq];
        ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
        ck_assert_int_ne(rr.status, NNH_REGION_SAT);
        if (rr.status != NNH_REGION_OPEN) {
            nnh_bab_region_free(R);
            continue;
        }
        opened++;
        for (int n = 0; n < 400; n++) {
            double x[2] = {-1 + 2 * nnh_test_rand(&st), -1 + 2 * nnh_test_rand(&st)};
            nnh_network_eval_layers(F, x, pre, post);
            if (!in_domain(R, x, pre))
                continue;
            checked++;
            for (int k = 0; k < F->n_layers; k++)
                for (int i = 0; i < F->layers[k].n_out; i++)
                    ck_assert_msg(nnh_bounds_contains(rr.bounds, k, i, pre[k][i], post[k][i]),
                                  "%s depth %d layer %d neuron %d: %g outside [%g, %g]",
                                  nnh_node_layers_name(mode), R->depth, k, i, pre[k][i],
                                  rr.bounds->layers[k].pre_lo[i],
                                  rr.bounds->layers[k].pre_hi[i]);
        }
        nnh_bab_region *c[2];
        ck_assert_int_eq(nnh_bab_split(P, R, &rr, c), 0);
        for (int s = 0; s < 2; s++) {
            if (nq < 256 && R->depth < 8)
                queue[nq++] = c[s];
            else
                nnh_bab_region_free(c[s]);
        }
        nnh_bab_region_free(R);
    }
    ck_assert_int_gt(opened, 3);
    ck_assert_int_gt(checked, 400);
    while (nq > 0)
        nnh_bab_region_free(queue[--nq]);
    nnh_region_result_free(&rr);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}

START_TEST(test_relu_bounds_contain)
{
    for (int t = 0; t < 3; t++)
        bounds_contain(NNH_ACT_RELU, 3, modes[t]);
}
END_TEST

START_TEST(test_sigmoid_bounds_contain)
{
    for (int t = 0; t < 3; t++)
        bounds_contain(NNH_ACT_SIGMOID, 5, modes[t]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify_nodes");
    TCase *tc = tcase_create("verify_nodes");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_node_layers_names);
    tcase_add_test(tc, test_relu_verdicts);
    tcase_add_test(tc, test_sigmoid_verdicts);
    tcase_add_test(tc, test_relu_bounds_contain);
    tcase_add_test(tc, test_sigmoid_bounds_contain);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
