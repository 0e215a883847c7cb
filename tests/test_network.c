/* Unit tests of the network model: creation, evaluation, affine folding, IBP. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>

START_TEST(test_fold_matches_eval)
{
    int sizes[4] = {3, 4, 2, 2};
    unsigned long long st = 7;
    nnh_network *net = nnh_test_random_net(3, sizes, 0.0, &st);
    nnh_error err;
    nnh_act_default(&net->layers[0].act, NNH_ACT_TANH);
    /* layer 1 is affine: folding it into layer 2 must not change outputs */
    double x[3] = {0.3, -0.2, 0.9}, y0[2], y1[2];
    nnh_network_eval(net, x, y0, NULL);
    ck_assert_int_eq(nnh_network_fold_affine(net, 1, &err), 0);
    ck_assert_int_eq(net->n_layers, 2);
    ck_assert_int_eq(nnh_network_validate(net, &err), 0);
    nnh_network_eval(net, x, y1, NULL);
    for (int i = 0; i < 2; i++)
        ck_assert_double_eq_tol(y0[i], y1[i], 1e-14);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_ibp_contains_samples)
{
    int sizes[4] = {4, 8, 8, 3};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 3, sizes, &err), 0);
    unsigned long long st = 11;
    for (int k = 0; k < 3; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = 4 * nnh_test_rand(&st) - 2;
        for (int i = 0; i < L->n_out; i++)
            L->b[i] = nnh_test_rand(&st) - 0.5;
    }
    nnh_act_default(&net->layers[0].act, NNH_ACT_SIGMOID);
    nnh_act_default(&net->layers[1].act, NNH_ACT_RELU);
    double lo[4] = {-1, -1, 0, 0.5}, hi[4] = {1, 0, 0, 2};
    nnh_bounds *b;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    double pre[3][8], post[3][8];
    double *pp[3] = {pre[0], pre[1], pre[2]}, *qq[3] = {post[0], post[1], post[2]};
    for (int s = 0; s < 2000; s++) {
        double x[4];
        for (int j = 0; j < 4; j++)
            x[j] = lo[j] + (hi[j] - lo[j]) * nnh_test_rand(&st);
        nnh_network_eval_layers(net, x, pp, qq);
        for (int k = 0; k < 3; k++)
            for (int i = 0; i < net->layers[k].n_out; i++)
                ck_assert(nnh_bounds_contains(b, k, i, pre[k][i], post[k][i]));
    }
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("network");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fold_matches_eval);
    tcase_add_test(tc, test_ibp_contains_samples);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
