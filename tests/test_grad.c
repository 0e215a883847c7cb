/* Unit tests of the input gradients (src/verify/grad.c): analytic gradients of
 * c^T f(x) against central finite differences for every activation, the
 * forward value against nnh_network_eval, and the input-domain clamp. */
#include "grad.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>

static nnh_network *random_net(nnh_act_kind kind, unsigned long long *st)
{
    int sizes[4] = {4, 7, 6, 3};
    nnh_network *net = nnh_test_random_net(3, sizes, 0.5, st);
    for (int k = 0; k < 2; k++)
        nnh_act_default(&net->layers[k].act, kind);
    if (kind == NNH_ACT_LEAKY_RELU)
        net->layers[0].act.alpha = net->layers[1].act.alpha = 0.1;
    if (kind == NNH_ACT_ELU)
        net->layers[1].act.alpha = 1.7; /* an S-shaped ELU too */
    return net;
}

static double cfun(const nnh_network *net, const double *c, const double *x)
{
    double y[3];
    nnh_network_eval(net, x, y, NULL);
    return c[0] * y[0] + c[1] * y[1] + c[2] * y[2];
}

START_TEST(test_grad_vs_fd)
{
    nnh_act_kind kind = (nnh_act_kind)_i;
    unsigned long long st = 100 + (unsigned long long)_i;
    nnh_network *net = random_net(kind, &st);
    double *work = malloc(nnh_grad_workspace(net) * sizeof(double));
    int checked = 0;
    for (int t = 0; t < 50; t++) {
        double x[4], c[3], g[4], y[3], yref[3];
        for (int j = 0; j < 4; j++)
            x[j] = 4 * nnh_test_rand(&st) - 2;
        for (int i = 0; i < 3; i++)
            c[i] = 2 * nnh_test_rand(&st) - 1;
        nnh_network_grad(net, x, c, y, g, work);
        nnh_network_eval(net, x, yref, NULL);
        for (int i = 0; i < 3; i++)
            ck_assert_double_eq_tol(y[i], yref[i], 1e-14);
        for (int j = 0; j < 4; j++) {
            double h = 1e-6, xp[4], xm[4];
            for (int m = 0; m < 4; m++)
                xp[m] = xm[m] = x[m];
            xp[j] += h;
            xm[j] -= h;
            double fd = (cfun(net, c, xp) - cfun(net, c, xm)) / (2 * h);
            /* a kink crossed inside [x-h, x+h] makes the difference quotient
             * a mix of two slopes; the one-sided quotients then disagree */
            double fr = (cfun(net, c, xp) - cfun(net, c, x)) / h;
            double fl = (cfun(net, c, x) - cfun(net, c, xm)) / h;
            if (fabs(fr - fl) > 1e-4)
                continue;
            ck_assert_msg(fabs(g[j] - fd) <= 1e-6 * (1 + fabs(fd)),
                          "%s: d/dx%d analytic %.12g vs finite difference %.12g",
                          nnh_act_name(kind), j, g[j], fd);
            checked++;
        }
    }
    ck_assert_int_ge(checked, 180);
    free(work);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_grad_clamp)
{
    unsigned long long st = 5;
    nnh_network *net = random_net(NNH_ACT_TANH, &st);
    net->in_min = calloc(4, sizeof(double));
    net->in_max = calloc(4, sizeof(double));
    for (int j = 0; j < 4; j++) {
        net->in_min[j] = -1;
        net->in_max[j] = 1;
    }
    double *work = malloc(nnh_grad_workspace(net) * sizeof(double));
    double x[4] = {-3, 0.2, 5, -0.4}, c[3] = {1, -2, 0.5}, g[4], y[3], yref[3];
    nnh_network_grad(net, x, c, y, g, work);
    nnh_network_eval(net, x, yref, NULL);
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq_tol(y[i], yref[i], 1e-14);
    ck_assert(g[0] == 0.0 && g[2] == 0.0); /* clamped from outside: flat */
    ck_assert(g[1] != 0.0 && g[3] != 0.0);
    free(work);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_grad_relu_exact)
{
    /* y = relu(x0 - x1) + 2 relu(x1): gradient known in closed form */
    int sizes[3] = {2, 2, 1};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    double W0[4] = {1, -1, 0, 1}, W1[2] = {1, 2};
    for (int i = 0; i < 4; i++)
        net->layers[0].W[i] = W0[i];
    net->layers[1].W[0] = W1[0];
    net->layers[1].W[1] = W1[1];
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    double work[64], c[1] = {1}, g[2], y[1];
    ck_assert_uint_le(nnh_grad_workspace(net), 64);
    double x1[2] = {2, 1};
    nnh_network_grad(net, x1, c, y, g, work);
    ck_assert_double_eq(y[0], 3.0);
    ck_assert_double_eq(g[0], 1.0);
    ck_assert_double_eq(g[1], 1.0); /* -1 + 2 */
    double x2[2] = {-1, -0.5};
    nnh_network_grad(net, x2, c, y, g, work);
    ck_assert_double_eq(g[0], 0.0);
    ck_assert_double_eq(g[1], 0.0);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grad");
    TCase *tc = tcase_create("grad");
    tcase_add_loop_test(tc, test_grad_vs_fd, 0, NNH_ACT_COUNT);
    tcase_add_test(tc, test_grad_clamp);
    tcase_add_test(tc, test_grad_relu_exact);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
