/* The layer steps that the MPI scheduler runs (src/bound/engine_steps.h) give the
 * numbers of the single-process driver nnh_bounds_compute bit for bit, and
 * an LP context's task results do not depend on which tasks ran before in
 * it or on which copy of the context computes them: the contract that makes
 * a distributed run independent of the number of ranks. */
#include "engine_steps.h"
#include "nnhull/io.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_CTX 3

static nnh_network *load_example(void)
{
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    nnh_network *net;
    nnh_error err;
    int rc = nnh_load_network(nnh_src_path("examples/digits_tanh_64x10x10x10x10x10.onnx"), &lo,
                              &net, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return net;
}

/* a box of radius eps around a deterministic point of [0,1]^n, clipped */
static void make_box(int n, double eps, double *lo, double *hi)
{
    unsigned long long st = 3;
    for (int j = 0; j < n; j++) {
        double c = nnh_test_rand(&st);
        lo[j] = fmax(0, c - eps);
        hi[j] = fmin(1, c + eps);
    }
}

static void same_layers(const nnh_bounds *a, const nnh_bounds *b)
{
    for (int k = 0; k < a->n_layers; k++) {
        size_t n = (size_t)a->layers[k].width * sizeof(double);
        ck_assert_msg(!memcmp(a->layers[k].pre_lo, b->layers[k].pre_lo, n) &&
                          !memcmp(a->layers[k].pre_hi, b->layers[k].pre_hi, n) &&
                          !memcmp(a->layers[k].post_lo, b->layers[k].post_lo, n) &&
                          !memcmp(a->layers[k].post_hi, b->layers[k].post_hi, n),
                      "layer %d differs", k);
    }
}

/* the steps as a scheduler runs them: N_CTX contexts per layer (one per
 * "rank"), each task on the context t % N_CTX picks, tasks in a shuffled
 * order */
static void run_steps(const nnh_network *net, nnh_bounds *b, const nnh_bound_opts *o)
{
    nnh_error err;
    nnh_bounds *pass;
    ck_assert_int_eq(nnh_steps_pass(net, b, o, &pass, &err), 0);
    unsigned long long st = 99;
    for (int k = 0; k < net->n_layers; k++) {
        int n = nnh_steps_prepare(net, b, k, pass, o, &err);
        ck_assert_int_ge(n, 0);
        double *res = malloc((size_t)(n ? n : 1) * sizeof *res);
        int *order = malloc((size_t)(n ? n : 1) * sizeof *order);
        for (int t = 0; t < n; t++)
            order[t] = t;
        for (int t = n - 1; t > 0; t--) {
            int j = (int)(nnh_test_rand(&st) * (t + 1)), x = order[t];
            order[t] = order[j], order[j] = x;
        }
        nnh_lp_layer *ctx[N_CTX] = {NULL};
        for (int c = 0; n > 0 && c < N_CTX; c++)
            ck_assert_int_eq(nnh_lp_layer_create(net, b, k, o, &ctx[c], &err), 0);
        for (int i = 0; i < n; i++) {
            int t = order[i];
            ck_assert_int_eq(nnh_lp_layer_bound(ctx[(t * 7 + i) % N_CTX], nnh_steps_neuron(t),
                                                nnh_steps_sense(t), &res[t], NULL, &err),
                             0);
        }
        for (int c = 0; c < N_CTX; c++)
            nnh_lp_layer_free(ctx[c]);
        nnh_steps_apply(net, b, k, res, n);
        free(res);
        free(order);
    }
    nnh_bounds_free(pass);
}

static void compare_method(nnh_method m)
{
    nnh_network *net = load_example();
    double lo[64], hi[64];
    make_box(net->n_inputs, 0.03, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = m;
    o.max_rounds = 2;
    nnh_bounds *a, *b;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &a, &err), 0);
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_msg(nnh_bounds_compute(net, a, &o, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    run_steps(net, b, &o);
    same_layers(a, b);
    nnh_bounds_free(a);
    nnh_bounds_free(b);
    nnh_network_free(net);
}

START_TEST(test_steps_equal_driver_crown) { compare_method(NNH_METHOD_CROWN); }
END_TEST
START_TEST(test_steps_equal_driver_lp1d) { compare_method(NNH_METHOD_LP1D); }
END_TEST
START_TEST(test_steps_equal_driver_hull) { compare_method(NNH_METHOD_HULL); }
END_TEST

int main(void)
{
    Suite *s = suite_create("engine_steps");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_steps_equal_driver_crown);
    tcase_add_test(tc, test_steps_equal_driver_lp1d);
    tcase_add_test(tc, test_steps_equal_driver_hull);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
