/* Unit tests of CROWN (src/bound/crown.c) through nnh_crown_layer and the driver:
 * exactness on linear and stable-ReLU networks, containment of dense grids
 * for every activation, rigour under rounding (exact reference values in
 * __float128), the input-domain clamp, and the small shared networks. */
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

typedef __float128 quad;

static nnh_network *random_net(int n_layers, const int *sizes, unsigned long long *st,
                               double scale)
{
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, n_layers, sizes, &err), 0);
    for (int k = 0; k < n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = scale * (2 * nnh_test_rand(st) - 1);
        for (int i = 0; i < L->n_out; i++)
            L->b[i] = 0.5 * (2 * nnh_test_rand(st) - 1);
    }
    return net;
}

static nnh_bounds *run(const nnh_network *net, const double *lo, const double *hi, nnh_method m)
{
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = m;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    int rc = nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "%s: %s", nnh_method_name(m), err.msg);
    return b;
}

/* Exact range of an affine map y = M x + c (quad) over a double box. */
static void affine_range(const quad *M, const quad *c, int n_out, int n_in, const double *lo,
                         const double *hi, quad *ylo, quad *yhi)
{
    for (int i = 0; i < n_out; i++) {
        quad a = c[i], b = c[i];
        for (int j = 0; j < n_in; j++) {
            quad m = M[i * n_in + j];
            a += m * (m > 0 ? (quad)lo[j] : (quad)hi[j]);
            b += m * (m > 0 ? (quad)hi[j] : (quad)lo[j]);
        }
        ylo[i] = a;
        yhi[i] = b;
    }
}

/* Compose the network as an affine map, given for each hidden neuron
 * whether it is the identity (1) or zero (0) on the box: M = prod D W. */
static void compose(const nnh_network *net, const int *const *active, quad *M, quad *c)
{
    int n0 = net->n_inputs;
    quad *A = calloc(64 * 64, sizeof(quad)), *a = calloc(64, sizeof(quad));
    quad *T = calloc(64 * 64, sizeof(quad)), *t = calloc(64, sizeof(quad));
    int n = n0;
    for (int j = 0; j < n0; j++)
        A[j * n0 + j] = 1;
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_out; i++) {
            t[i] = L->b[i];
            for (int q = 0; q < n0; q++)
                T[i * n0 + q] = 0;
            for (int j = 0; j < n; j++) {
                quad w = L->W[i * L->n_in + j];
                t[i] += w * a[j];
                for (int q = 0; q < n0; q++)
                    T[i * n0 + q] += w * A[j * n0 + q];
            }
            int on = (k == net->n_layers - 1 || !active) ? 1 : active[k][i];
            if (!on) {
                t[i] = 0;
                for (int q = 0; q < n0; q++)
                    T[i * n0 + q] = 0;
            }
        }
        n = L->n_out;
        memcpy(A, T, sizeof(quad) * (size_t)(n * n0));
        memcpy(a, t, sizeof(quad) * (size_t)n);
    }
    memcpy(M, A, sizeof(quad) * (size_t)(n * n0));
    memcpy(c, a, sizeof(quad) * (size_t)n);
    free(A);
    free(a);
    free(T);
    free(t);
}

/* A purely linear network: crown is the exact range (up to rounding
 * margins), where IBP is visibly looser. */
START_TEST(test_linear_exact)
{
    int sizes[4] = {3, 5, 4, 2};
    unsigned long long st = 5;
    nnh_network *net = random_net(3, sizes, &st, 1.0);
    double lo[3] = {-1, 0, 0.25}, hi[3] = {1, 2, 0.5};
    nnh_bounds *bc = run(net, lo, hi, NNH_METHOD_CROWN), *bi = run(net, lo, hi, NNH_METHOD_IBP);
    quad M[6], c[2], ylo[2], yhi[2];
    compose(net, NULL, M, c);
    affine_range(M, c, 2, 3, lo, hi, ylo, yhi);
    double ibp_slack = 0;
    for (int i = 0; i < 2; i++) {
        nnh_layer_bounds *L = &bc->layers[2];
        ck_assert_msg((quad)L->pre_lo[i] <= ylo[i] && (quad)L->pre_hi[i] >= yhi[i],
                      "output %d: crown [%.17g, %.17g] misses exact [%.17g, %.17g]", i,
                      L->pre_lo[i], L->pre_hi[i], (double)ylo[i], (double)yhi[i]);
        double tol = 1e-12 * (1 + fabs((double)yhi[i]) + fabs((double)ylo[i]));
        ck_assert_double_le((double)(ylo[i] - (quad)L->pre_lo[i]), tol);
        ck_assert_double_le((double)((quad)L->pre_hi[i] - yhi[i]), tol);
        ibp_slack = fmax(ibp_slack, bi->layers[2].pre_hi[i] - L->pre_hi[i]);
    }
    ck_assert_msg(ibp_slack > 1e-3, "IBP should be looser on a linear net (slack %g)", ibp_slack);
    nnh_bounds_free(bc);
    nnh_bounds_free(bi);
    nnh_network_free(net);
}
END_TEST

/* A ReLU network whose neurons are all stable (large biases) is affine on
 * the box: crown must give its exact range. */
START_TEST(test_stable_relu_exact)
{
    int sizes[4] = {3, 6, 6, 2};
    unsigned long long st = 17;
    nnh_network *net = random_net(3, sizes, &st, 1.0);
    int act0[6], act1[6];
    const int *active[2] = {act0, act1};
    for (int k = 0; k < 2; k++) {
        nnh_act_default(&net->layers[k].act, NNH_ACT_RELU);
        for (int i = 0; i < 6; i++) {
            int on = (i % 3) != 0;
            net->layers[k].b[i] = (on ? 40.0 : -40.0) * (k ? 10 : 1);
            (k ? act1 : act0)[i] = on;
        }
    }
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 0.5, 1};
    nnh_bounds *bc = run(net, lo, hi, NNH_METHOD_CROWN), *bi = run(net, lo, hi, NNH_METHOD_IBP);
    for (int k = 0; k < 2; k++) /* the test's premise: every neuron is stable */
        for (int i = 0; i < 6; i++)
            ck_assert(bi->layers[k].pre_lo[i] >= 0 || bi->layers[k].pre_hi[i] <= 0);
    quad M[6], c[2], ylo[2], yhi[2];
    compose(net, active, M, c);
    affine_range(M, c, 2, 3, lo, hi, ylo, yhi);
    for (int i = 0; i < 2; i++) {
        nnh_layer_bounds *L = &bc->layers[2];
        ck_assert((quad)L->pre_lo[i] <= ylo[i] && (quad)L->pre_hi[i] >= yhi[i]);
        double tol = 1e-12 * (1 + fabs((double)yhi[i]) + fabs((double)ylo[i]));
        ck_assert_msg((double)(ylo[i] - (quad)L->pre_lo[i]) <= tol &&
                          (double)((quad)L->pre_hi[i] - yhi[i]) <= tol,
                      "output %d: crown [%.17g, %.17g] vs exact [%.17g, %.17g]", i, L->pre_lo[i],
                      L->pre_hi[i], (double)ylo[i], (double)yhi[i]);
    }
    nnh_bounds_free(bc);
    nnh_bounds_free(bi);
    nnh_network_free(net);
}
END_TEST

/* Every activation: crown bounds contain a dense grid over 2 inputs (and
 * the box corners) at every layer, and lie within IBP's. */
START_TEST(test_grid_all_activations)
{
    nnh_act_kind kinds[] = {NNH_ACT_RELU,     NNH_ACT_LEAKY_RELU, NNH_ACT_SIGMOID, NNH_ACT_TANH,
                            NNH_ACT_SOFTPLUS, NNH_ACT_ELU,        NNH_ACT_SELU,    NNH_ACT_ELU};
    int nk = (int)(sizeof kinds / sizeof kinds[0]);
    for (int a = 0; a < nk; a++) {
        int sizes[5] = {2, 8, 8, 6, 3};
        unsigned long long st = 100 + (unsigned long long)a;
        nnh_network *net = random_net(4, sizes, &st, 1.5);
        for (int k = 0; k < 3; k++) {
            nnh_act_default(&net->layers[k].act, kinds[a]);
            if (a == nk - 1)
                net->layers[k].act.alpha = 2.0; /* ELU with alpha > 1: S-shaped */
        }
        double lo[2] = {-1, -0.5}, hi[2] = {1, 1.5};
        nnh_bounds *bc = run(net, lo, hi, NNH_METHOD_CROWN), *bi = run(net, lo, hi, NNH_METHOD_IBP);
        const nnh_bounds *bs[2] = {bc, bi};
        nnh_sample_report rep[2];
        nnh_sample_check(net, bs, 2, lo, hi, 40000, 7, rep);
        /* plus a regular 201 x 201 grid */
        nnh_sample_report g[2];
        nnh_sample_check(net, bs, 2, lo, hi, 0, 7, g); /* corners only */
        int L = net->n_layers;
        double pre[4][8], post[4][8];
        double *pp[4] = {pre[0], pre[1], pre[2], pre[3]}, *qq[4] = {post[0], post[1], post[2], post[3]};
        double worst = -INFINITY;
        for (int s = 0; s <= 200; s++)
            for (int t = 0; t <= 200; t++) {
                double x[2] = {lo[0] + (hi[0] - lo[0]) * s / 200.0,
                               lo[1] + (hi[1] - lo[1]) * t / 200.0};
                nnh_network_eval_layers(net, x, pp, qq);
                for (int k = 0; k < L; k++)
                    for (int i = 0; i < sizes[k + 1]; i++) {
                        const nnh_layer_bounds *B = &bc->layers[k];
                        worst = fmax(worst, fmax(B->pre_lo[i] - pre[k][i], pre[k][i] - B->pre_hi[i]));
                        worst = fmax(worst, fmax(B->post_lo[i] - post[k][i], post[k][i] - B->post_hi[i]));
                    }
            }
        const char *name = nnh_act_name(kinds[a]);
        ck_assert_msg(rep[0].worst <= NNH_SAMPLE_TOL, "%s crown: %s", name,
                      nnh_sample_describe(&rep[0]));
        ck_assert_msg(rep[1].worst <= NNH_SAMPLE_TOL, "%s ibp: %s", name, nnh_sample_describe(&rep[1]));
        ck_assert_msg(g[0].worst <= NNH_SAMPLE_TOL, "%s crown corners: %s", name,
                      nnh_sample_describe(&g[0]));
        ck_assert_msg(worst <= 0, "%s crown: grid value outside by %g", name, worst);
        double wc = 0, wi = 0;
        for (int k = 0; k < L; k++)
            for (int i = 0; i < sizes[k + 1]; i++) {
                const nnh_layer_bounds *C = &bc->layers[k], *I = &bi->layers[k];
                ck_assert_msg(C->pre_lo[i] >= I->pre_lo[i] - 1e-9 && C->pre_hi[i] <= I->pre_hi[i] + 1e-9,
                              "%s: crown layer %d neuron %d [%g, %g] not within ibp [%g, %g]", name, k,
                              i, C->pre_lo[i], C->pre_hi[i], I->pre_lo[i], I->pre_hi[i]);
                wc += C->pre_hi[i] - C->pre_lo[i];
                wi += I->pre_hi[i] - I->pre_lo[i];
            }
        printf("grid %-10s: total width crown %.4g, ibp %.4g\n", a == nk - 1 ? "elu(2)" : name, wc, wi);
        ck_assert_msg(wc < wi, "%s: crown should be tighter than IBP in total (%g vs %g)", name, wc, wi);
        nnh_bounds_free(bc);
        nnh_bounds_free(bi);
        nnh_network_free(net);
    }
}
END_TEST

/* Rounding: weights mixing 0.1 and 1e8 make the 1e8 parts cancel in exact
 * arithmetic but not in floating point. Layer values computed exactly
 * (__float128: every product of doubles is exact, sums err by 1e-34
 * relative) must lie in crown's bounds, although a naive floating-point
 * back-substitution (the same composition in double, no error terms)
 * excludes some of them. */
static void eval_quad(const nnh_network *net, const double *x, quad out[][8])
{
    quad a[8];
    int n = net->n_inputs;
    for (int j = 0; j < n; j++)
        a[j] = x[j];
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_out; i++) {
            quad z = L->b[i];
            for (int j = 0; j < n; j++)
                z += (quad)L->W[i * n + j] * a[j];
            out[k][i] = z;
        }
        for (int i = 0; i < L->n_out; i++)
            a[i] = (L->act.kind == NNH_ACT_RELU && out[k][i] < 0) ? 0 : out[k][i];
        n = L->n_out;
    }
}

/* the naive double-precision composition of the (affine on the box) net */
static void naive_range(const nnh_network *net, const double *lo, const double *hi, double *nlo,
                        double *nhi)
{
    const nnh_layer *A = &net->layers[0], *B = &net->layers[1];
    for (int i = 0; i < B->n_out; i++) {
        double c = B->b[i], m[2] = {0, 0};
        for (int j = 0; j < A->n_out; j++) {
            if (A->b[j] < 0) /* the dead neuron */
                continue;
            double w = B->W[i * B->n_in + j];
            c += w * A->b[j];
            for (int q = 0; q < 2; q++)
                m[q] += w * A->W[j * 2 + q];
        }
        nlo[i] = nhi[i] = c;
        for (int q = 0; q < 2; q++) {
            nlo[i] += m[q] * (m[q] > 0 ? lo[q] : hi[q]);
            nhi[i] += m[q] * (m[q] > 0 ? hi[q] : lo[q]);
        }
    }
}

START_TEST(test_rounding_cancellation)
{
    int sizes[3] = {2, 6, 4};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    /* layer 0 (ReLU, every neuron stable on the box): 1e8-scale terms */
    double W0[6][2] = {{1e8, 0.1}, {-1e8, 0.3}, {-1e8, 0.3}, {-1e8, 0.3}, {0.1, -1e8}, {1e8 / 3, 0.7}};
    double b0[6] = {0.7, 3e7 + 0.1, 3e7 + 0.1, 3e7 + 0.1, -0.1, 0.1};
    /* layer 1 (identity): combinations whose 1e8 parts cancel in reals */
    double W1[4][6] = {{0.3, 0.1, 0.1, 0.1, 0.7, 0.1},
                       {0.1, 0.1, 0, 0, 0.2, -0.3},
                       {1.0 / 3, 0, 0.1, 0.1, 0.3, -1},
                       {0.7, 0.3, 0.2, 0.2, 0.1, 0.3}};
    double b1[4] = {0.1, -0.3, 1e-3, 0.2};
    memcpy(net->layers[0].W, W0, sizeof W0);
    memcpy(net->layers[0].b, b0, sizeof b0);
    memcpy(net->layers[1].W, W1, sizeof W1);
    memcpy(net->layers[1].b, b1, sizeof b1);
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    double lo[2] = {0.1, 1.0 / 3}, hi[2] = {0.3, 0.7};
    nnh_bounds *b = run(net, lo, hi, NNH_METHOD_CROWN);
    double nlo[4], nhi[4];
    naive_range(net, lo, hi, nlo, nhi);
    unsigned long long st = 3;
    int naive_excluded = 0;
    double worst = -INFINITY;
    for (int s = 0; s < 20000 + 4; s++) {
        double x[2];
        for (int j = 0; j < 2; j++) {
            double u = s < 4 ? (double)((s >> j) & 1) : nnh_test_rand(&st);
            x[j] = u == 1.0 ? hi[j] : lo[j] + (hi[j] - lo[j]) * u;
        }
        quad z[2][8];
        eval_quad(net, x, z);
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < sizes[k + 1]; i++) {
                const nnh_layer_bounds *L = &b->layers[k];
                quad v = z[k][i];
                worst = fmax(worst, (double)fmax((double)((quad)L->pre_lo[i] - v),
                                                 (double)(v - (quad)L->pre_hi[i])));
                if (k == 1 && ((quad)nlo[i] > v || (quad)nhi[i] < v))
                    naive_excluded++;
            }
    }
    printf("rounding: naive double back-substitution excluded %d exact values; crown worst %g\n",
           naive_excluded, worst);
    ck_assert_msg(naive_excluded > 0, "the test lost its teeth: naive float excludes nothing");
    ck_assert_msg(worst <= 0, "crown excludes an exact value by %g", worst);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* An input domain (as .nnet files have) clamps the inputs: bounds over a
 * box sticking out of it must contain the clamped evaluations. */
START_TEST(test_input_domain_clamp)
{
    int sizes[4] = {3, 7, 7, 2};
    unsigned long long st = 23;
    nnh_network *net = random_net(3, sizes, &st, 1.0);
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    nnh_act_default(&net->layers[1].act, NNH_ACT_TANH);
    net->in_min = malloc(3 * sizeof(double));
    net->in_max = malloc(3 * sizeof(double));
    for (int j = 0; j < 3; j++) {
        net->in_min[j] = -0.5;
        net->in_max[j] = 0.25 * j;
    }
    double lo[3] = {-2, -1, 0.1}, hi[3] = {2, 0, 3};
    nnh_bounds *b = run(net, lo, hi, NNH_METHOD_CROWN);
    const nnh_bounds *bs[1] = {b};
    nnh_sample_report rep;
    nnh_sample_check(net, bs, 1, lo, hi, 5000, 9, &rep);
    ck_assert_msg(rep.worst <= NNH_SAMPLE_TOL, "%s", nnh_sample_describe(&rep));
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* Unbounded inputs give infinite (never NaN) bounds where they reach, finite
 * ones where they do not (a bounded activation, zero weights); a point box
 * gives bounds around the forward pass. */
START_TEST(test_infinite_and_point_boxes)
{
    int sizes[4] = {3, 5, 5, 2};
    unsigned long long st = 41;
    nnh_network *net = random_net(3, sizes, &st, 1.0);
    nnh_act_default(&net->layers[0].act, NNH_ACT_SIGMOID);
    nnh_act_default(&net->layers[1].act, NNH_ACT_RELU);
    for (int i = 0; i < 5; i++)
        net->layers[0].W[i * 3 + 2] = i == 0 ? 1.0 : 0.0; /* only neuron 0 sees x_2 */
    double lo[3] = {-1, 0, -INFINITY}, hi[3] = {1, 1, 0};
    nnh_bounds *b = run(net, lo, hi, NNH_METHOD_CROWN);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < b->layers[k].width; i++) {
            const nnh_layer_bounds *L = &b->layers[k];
            ck_assert(!isnan(L->pre_lo[i]) && !isnan(L->pre_hi[i]));
            ck_assert(!isnan(L->post_lo[i]) && !isnan(L->post_hi[i]));
            ck_assert(L->pre_lo[i] <= L->pre_hi[i]);
        }
    ck_assert(isinf(b->layers[0].pre_lo[0]));
    for (int i = 1; i < 5; i++)
        ck_assert(isfinite(b->layers[0].pre_lo[i]) && isfinite(b->layers[0].pre_hi[i]));
    for (int i = 0; i < 2; i++) /* after a sigmoid layer everything is bounded */
        ck_assert(isfinite(b->layers[2].pre_lo[i]) && isfinite(b->layers[2].pre_hi[i]));
    nnh_bounds_free(b);
    double x[3] = {0.25, 0.5, -2}, pre[3][5], post[3][5];
    double *pp[3] = {pre[0], pre[1], pre[2]}, *qq[3] = {post[0], post[1], post[2]};
    nnh_network_eval_layers(net, x, pp, qq);
    b = run(net, x, x, NNH_METHOD_CROWN);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < b->layers[k].width; i++) {
            const nnh_layer_bounds *L = &b->layers[k];
            ck_assert(nnh_bounds_contains(b, k, i, pre[k][i], post[k][i]));
            ck_assert_double_le(L->pre_hi[i] - L->pre_lo[i], 1e-12 * (1 + fabs(pre[k][i])));
        }
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* Crown and IBP on one shared network over [lo, hi]: sampled soundness,
 * crown within IBP; prints crown's time. Returns 0 when the file is absent. */
static int shared_case(const char *rel, const double *lo, const double *hi, int n_in, int n)
{
    const char *path = nnh_data_path(rel);
    if (!path) {
        printf("  (absent) %s\n", rel);
        return 0;
    }
    nnh_load_opts lo_opts;
    nnh_load_opts_init(&lo_opts);
    nnh_network *net = NULL;
    nnh_error err;
    ck_assert_msg(nnh_load_network(path, &lo_opts, &net, &err) == 0, "%s: %s", rel, err.msg);
    ck_assert_int_eq(net->n_inputs, n_in);
    double t = nnh_now();
    nnh_bounds *bc = run(net, lo, hi, NNH_METHOD_CROWN);
    t = nnh_now() - t;
    nnh_bounds *bi = run(net, lo, hi, NNH_METHOD_IBP);
    const nnh_bounds *bs[2] = {bc, bi};
    nnh_sample_report rep[2];
    nnh_sample_check(net, bs, 2, lo, hi, n, 31, rep);
    ck_assert_msg(rep[0].worst <= NNH_SAMPLE_TOL, "%s crown: %s", rel, nnh_sample_describe(&rep[0]));
    ck_assert_msg(rep[1].worst <= NNH_SAMPLE_TOL, "%s ibp: %s", rel, nnh_sample_describe(&rep[1]));
    int K = net->n_layers - 1;
    double wc = 0, wi = 0;
    for (int k = 0; k <= K; k++)
        for (int i = 0; i < bc->layers[k].width; i++) {
            const nnh_layer_bounds *C = &bc->layers[k], *I = &bi->layers[k];
            ck_assert_msg(C->pre_lo[i] >= I->pre_lo[i] - 1e-9 && C->pre_hi[i] <= I->pre_hi[i] + 1e-9,
                          "%s: crown layer %d neuron %d not within ibp", rel, k, i);
            if (k == K) {
                wc += C->pre_hi[i] - C->pre_lo[i];
                wi += I->pre_hi[i] - I->pre_lo[i];
            }
        }
    printf("  %-48s crown %.4f s; output width crown %.4g ibp %.4g; %ld points\n", rel, t, wc, wi,
           rep[0].points);
    nnh_bounds_free(bc);
    nnh_bounds_free(bi);
    nnh_network_free(net);
    return 1;
}

/* The first MNIST test image scaled to [0,1], as an L-inf ball of eps. */
static int mnist_ball(double eps, double *lo, double *hi)
{
    const char *p = nnh_data_path("mnist_test_images/mnist_test.csv");
    FILE *f = p ? fopen(p, "r") : NULL;
    if (!f)
        return 0;
    int label, v;
    int ok = fscanf(f, "%d", &label) == 1;
    for (int j = 0; ok && j < 784; j++) {
        ok = fscanf(f, ",%d", &v) == 1;
        lo[j] = fmax(0.0, v / 255.0 - eps);
        hi[j] = fmin(1.0, v / 255.0 + eps);
    }
    fclose(f);
    return ok;
}

START_TEST(test_shared_networks)
{
    if (!nnh_data_path(".")) {
        printf("shared data absent: skipped\n");
        return;
    }
    int done = 0;
    /* ACAS Xu on the VNN-COMP prop_1 input box and on [-0.5, 0.5]^5 */
    double p1lo[5] = {0.6, -0.5, -0.5, 0.45, -0.5}, p1hi[5] = {0.679857769, 0.5, 0.5, 0.5, -0.45};
    double hlo[5] = {-0.5, -0.5, -0.5, -0.5, -0.5}, hhi[5] = {0.5, 0.5, 0.5, 0.5, 0.5};
    const char *acas[] = {"acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx",
                          "acasxu/onnx/ACASXU_run2a_2_9_batch_2000.onnx",
                          "acasxu/onnx/ACASXU_run2a_4_5_batch_2000.onnx"};
    for (int i = 0; i < 3; i++) {
        done += shared_case(acas[i], p1lo, p1hi, 5, 5000);
        done += shared_case(acas[i], hlo, hhi, 5, 5000);
    }
    double lo2[4] = {-1, -1, -1, -1}, hi2[4] = {1, 1, 1, 1};
    done += shared_case("marabou/onnx/fc_2-2-3.onnx", lo2, hi2, 2, 5000);
    done += shared_case("marabou/onnx/fc_2-2sigmoids-3.onnx", lo2, hi2, 2, 5000);
    done += shared_case("marabou/onnx/fc1.onnx", lo2, hi2, 2, 5000);
    done += shared_case("marabou/onnx/tanh_test.onnx", lo2, hi2, 4, 5000);
    static double mlo[784], mhi[784];
    if (mnist_ball(0.02, mlo, mhi)) {
        const char *mn[] = {"marabou/onnx/mnist2x10.onnx", "marabou/onnx/mnist2x5_sigmoid.onnx",
                            "marabou/onnx/mnist5x20_leaky_relu.onnx",
                            "marabou/onnx/robust_model_sigmoid_linear.onnx"};
        for (int i = 0; i < 4; i++)
            done += shared_case(mn[i], mlo, mhi, 784, 3000);
    }
    printf("crown on %d shared network/box pairs\n", done);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crown");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_linear_exact);
    tcase_add_test(tc, test_stable_relu_exact);
    tcase_add_test(tc, test_grid_all_activations);
    tcase_add_test(tc, test_rounding_cancellation);
    tcase_add_test(tc, test_input_domain_clamp);
    tcase_add_test(tc, test_infinite_and_point_boxes);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("shared");
    tcase_set_timeout(td, 300);
    tcase_add_test(td, test_shared_networks);
    suite_add_tcase(s, td);
    return nnh_run_suite(s);
}
