/* Unit tests of alpha-CROWN (src/bound/crown_alpha.c, the slopes entry of
 * crown.c): the analytic gradient against finite differences, the
 * optimised bound never below crown's and above it somewhere, and soundness
 * of the bounds and forms at sampled inputs, for ReLU and leaky ReLU. */
#include "crown_slopes.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* 4 -> 12 -> 12 -> 10 -> 3 net with activation `kind` on the hidden layers. */
static nnh_network *small_net(unsigned long long seed, nnh_act_kind kind, double neg)
{
    int sizes[] = {4, 12, 12, 10, 3};
    unsigned long long st = seed;
    nnh_network *net = nnh_test_random_net(4, sizes, 0.5, &st);
    for (int k = 0; k < 3; k++) {
        net->layers[k].act.kind = kind;
        net->layers[k].act.alpha = neg;
    }
    return net;
}

/* Crown bounds of net over the box [lo, hi]. */
static nnh_bounds *crown_box(const nnh_network *net, const double *lo, const double *hi)
{
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_msg(nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
    return b;
}

/* Crown bounds over the box of half-width eps around (0, 0.1, 0.2, 0.3). */
static nnh_bounds *crown_of(const nnh_network *net, double eps)
{
    double lo[4], hi[4];
    for (int j = 0; j < 4; j++) {
        lo[j] = 0.1 * j - eps;
        hi[j] = 0.1 * j + eps;
    }
    return crown_box(net, lo, hi);
}

static void check_gradient(nnh_act_kind kind, double neg)
{
    int checked = 0;
    for (unsigned long long seed = 1; seed <= 6; seed++) {
        nnh_network *net = small_net(seed, kind, neg);
        nnh_bounds *b = crown_of(net, 0.6);
        nnh_alpha_ctx C;
        nnh_error err;
        ck_assert_int_eq(nnh_alpha_ctx_init(&C, net, b, 3, &err), 0);
        size_t nn = C.n_neurons;
        double *a = malloc(nn * sizeof(double)), *g = malloc(nn * sizeof(double));
        unsigned long long st = seed * 77;
        for (size_t q = 0; q < nn; q++)
            a[q] = C.smin[q] + (C.smax[q] - C.smin[q]) * (0.1 + 0.8 * nnh_test_rand(&st));
        for (int rs = 0; rs < 6; rs++) {
            int row = rs % 3, sign = rs < 3 ? 1 : -1;
            nnh_alpha_eval(&C, row, sign, a, g);
            for (size_t q = 0; q < nn; q++) {
                if (!(C.smin[q] <= C.smax[q]))
                    continue;
                double h = 1e-6, s = a[q];
                a[q] = s + h;
                double fp = nnh_alpha_eval(&C, row, sign, a, NULL);
                a[q] = s - h;
                double fm = nnh_alpha_eval(&C, row, sign, a, NULL);
                a[q] = s;
                double fd = (fp - fm) / (2 * h);
                ck_assert_msg(fabs(fd - g[q]) <= 1e-5 * (1 + fabs(g[q])),
                              "seed %llu row %d neuron %zu: grad %.10g fd %.10g", seed, row, q,
                              g[q], fd);
                checked += g[q] != 0.0;
            }
        }
        free(a);
        free(g);
        nnh_alpha_ctx_free(&C);
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
    ck_assert_msg(checked > 20, "only %d nonzero gradient entries checked", checked);
}

START_TEST(gradient_relu) { check_gradient(NNH_ACT_RELU, 0.0); }
END_TEST

START_TEST(gradient_leaky) { check_gradient(NNH_ACT_LEAKY_RELU, 0.1); }
END_TEST

/* The optimised bounds: >= crown's, > crown's on some row, and below the
 * row's value at 3000 sampled inputs, as is each lower form there. */
static void check_bounds(nnh_act_kind kind, double neg)
{
    int better = 0;
    for (unsigned long long seed = 1; seed <= 8; seed++) {
        nnh_network *net = small_net(seed, kind, neg);
        nnh_bounds *b = crown_of(net, 0.5);
        nnh_alpha_opts o;
        nnh_alpha_opts_init(&o);
        o.iters = 30;
        int rows[3] = {0, 1, 2};
        double lo[3], A[12], c[3], flo[4], fhi[4];
        nnh_crown_forms F = {A, c, flo, fhi};
        nnh_error err;
        ck_assert_msg(nnh_crown_alpha_rows(net, b, 3, rows, 3, &o, lo, &F, &err) == 0, "%s",
                      err.msg);
        for (int t = 0; t < 3; t++) {
            double plain = b->layers[3].pre_lo[t];
            ck_assert_msg(lo[t] >= plain, "seed %llu row %d: %.17g < crown %.17g", seed, t,
                          lo[t], plain);
            better += lo[t] > plain + 1e-9 * (1 + fabs(plain));
        }
        unsigned long long st = seed * 1001;
        double x[4], y[3];
        for (int s = 0; s < 3000; s++) {
            for (int j = 0; j < 4; j++) {
                double u = nnh_test_rand(&st);
                if (s % 3 == 0) /* corners and faces too */
                    u = u < 0.5 ? 0.0 : 1.0;
                x[j] = b->in_lo[j] + u * (b->in_hi[j] - b->in_lo[j]);
            }
            ck_assert_int_eq(nnh_network_eval(net, x, y, NULL), 0);
            for (int t = 0; t < 3; t++) {
                double form = c[t];
                for (int j = 0; j < 4; j++)
                    form += A[t * 4 + j] * x[j];
                ck_assert_msg(y[t] >= lo[t], "seed %llu row %d: y %.17g < bound %.17g", seed,
                              t, y[t], lo[t]);
                ck_assert_msg(y[t] >= form - 1e-12 * (1 + fabs(form)),
                              "seed %llu row %d: y %.17g < form %.17g", seed, t, y[t], form);
            }
        }
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
    ck_assert_msg(better >= 3, "the optimised slopes improved only %d rows of 24", better);
}

START_TEST(bounds_relu) { check_bounds(NNH_ACT_RELU, 0.0); }
END_TEST

START_TEST(bounds_leaky) { check_bounds(NNH_ACT_LEAKY_RELU, 0.2); }
END_TEST

/* Any slopes of the range give a valid bound (here random ones, and slopes
 * outside the range, which are clamped). */
START_TEST(any_slopes_sound)
{
    for (unsigned long long seed = 1; seed <= 5; seed++) {
        nnh_network *net = small_net(seed + 40, NNH_ACT_RELU, 0.0);
        nnh_bounds *b = crown_of(net, 0.7);
        nnh_alpha_ctx C;
        nnh_error err;
        ck_assert_int_eq(nnh_alpha_ctx_init(&C, net, b, 3, &err), 0);
        double *s = malloc(C.n_neurons * sizeof(double));
        unsigned long long st = seed;
        for (size_t q = 0; q < C.n_neurons; q++)
            s[q] = 3 * nnh_test_rand(&st) - 1; /* [-1, 2): clamped into [0, 1] */
        double A[4], c, flo[4], fhi[4];
        nnh_crown_forms F = {A, &c, flo, fhi};
        for (int row = 0; row < 3; row++) {
            double lo;
            double up;
            ck_assert_int_eq(nnh_crown_row_slopes(net, b, 3, row, 1, s, &lo, &F, &err), 0);
            ck_assert_int_eq(nnh_crown_row_slopes(net, b, 3, row, -1, s, &up, &F, &err), 0);
            for (int p = 0; p < 2000; p++) {
                double x[4], y[3];
                for (int j = 0; j < 4; j++)
                    x[j] = b->in_lo[j] + nnh_test_rand(&st) * (b->in_hi[j] - b->in_lo[j]);
                nnh_network_eval(net, x, y, NULL);
                ck_assert_msg(y[row] >= lo && y[row] <= up, "seed %llu row %d: %.17g not in "
                              "[%.17g, %.17g]", seed, row, y[row], lo, up);
            }
        }
        free(s);
        nnh_alpha_ctx_free(&C);
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
}
END_TEST

/* A box with subnormal ends (one step beyond 0): the search's copy of the
 * box is flushed to 0 (subnormal operands are slow), the bounds returned
 * still hold at the box's true corners. */
START_TEST(subnormal_box_sound)
{
    nnh_network *net = small_net(7, NNH_ACT_RELU, 0.0);
    double lo[4] = {-0x1p-1074, -0.1, -0.6, -0.3}, hi[4] = {0.6, 0x1p-1070, 0x1p-1074, 0.4};
    nnh_bounds *b = crown_box(net, lo, hi);
    nnh_error err;
    nnh_alpha_ctx C;
    ck_assert_int_eq(nnh_alpha_ctx_init(&C, net, b, 3, &err), 0);
    ck_assert(C.in_lo[0] == 0.0 && C.in_hi[1] == 0.0 && C.in_hi[2] == 0.0);
    ck_assert(C.in_lo[2] == -0.6 && C.in_hi[3] == 0.4); /* normal ends are kept */
    nnh_alpha_ctx_free(&C);
    nnh_alpha_opts o;
    nnh_alpha_opts_init(&o);
    int rows[3] = {0, 1, 2};
    double v[3];
    ck_assert_int_eq(nnh_crown_alpha_rows(net, b, 3, rows, 3, &o, v, NULL, &err), 0);
    unsigned long long st = 5;
    for (int s = 0; s < 3000; s++) {
        double x[4], y[3];
        for (int j = 0; j < 4; j++) {
            double u = nnh_test_rand(&st);
            x[j] = s % 2 ? (u < 0.5 ? lo[j] : hi[j]) : lo[j] + u * (hi[j] - lo[j]);
        }
        ck_assert_int_eq(nnh_network_eval(net, x, y, NULL), 0);
        for (int t = 0; t < 3; t++)
            ck_assert_msg(y[t] >= v[t], "row %d: y %.17g < bound %.17g", t, y[t], v[t]);
    }
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* Splits: unstable neurons of layers 0 and 1 restricted to z >= 0 or z <= 0
 * (as bab_split.c does), crown redone above them; the optimised bounds
 * (slopes of the split neurons in their beta ranges too) hold at every
 * sampled input of the domain and are never below crown's. */
START_TEST(split_domains_sound)
{
    int kept = 0, better = 0;
    for (unsigned long long seed = 1; seed <= 8; seed++) {
        nnh_network *net = small_net(seed + 100, NNH_ACT_RELU, 0.0);
        nnh_bounds *b = crown_of(net, 0.5);
        nnh_error err;
        int sl[4], sn[4], ss[4], n = 0; /* layer, neuron, side (+1: z >= 0) */
        for (int l = 0; l < 2; l++)
            for (int i = 0; i < 12 && n < 2 * (l + 1); i++)
                if (b->layers[l].pre_lo[i] < 0 && b->layers[l].pre_hi[i] > 0) {
                    sl[n] = l;
                    sn[n] = i;
                    ss[n] = (i + (int)seed) % 2 ? 1 : -1;
                    if (ss[n] > 0)
                        b->layers[l].pre_lo[i] = 0.0;
                    else
                        b->layers[l].pre_hi[i] = 0.0;
                    nnh_bounds_post_from_pre(net, b, l);
                    n++;
                }
        for (int l = 1; l < 4; l++)
            ck_assert_int_eq(nnh_crown_layer(net, b, l, &err), 0);
        nnh_alpha_opts o;
        nnh_alpha_opts_init(&o);
        int rows[3] = {0, 1, 2};
        double lo[3];
        ck_assert_int_eq(nnh_crown_alpha_rows(net, b, 3, rows, 3, &o, lo, NULL, &err), 0);
        for (int t = 0; t < 3; t++) {
            ck_assert(lo[t] >= b->layers[3].pre_lo[t]);
            better += lo[t] > b->layers[3].pre_lo[t] + 1e-9;
        }
        unsigned long long st = seed * 31;
        double pre[4][12], post[4][12], *pp[4] = {pre[0], pre[1], pre[2], pre[3]},
                                        *qq[4] = {post[0], post[1], post[2], post[3]};
        for (int p = 0; p < 20000; p++) {
            double x[4];
            for (int j = 0; j < 4; j++)
                x[j] = b->in_lo[j] + nnh_test_rand(&st) * (b->in_hi[j] - b->in_lo[j]);
            nnh_network_eval_layers(net, x, pp, qq);
            int in = 1;
            for (int u = 0; u < n; u++)
                in &= ss[u] > 0 ? pre[sl[u]][sn[u]] >= 0 : pre[sl[u]][sn[u]] <= 0;
            if (!in)
                continue;
            kept++;
            for (int t = 0; t < 3; t++)
                ck_assert_msg(pre[3][t] >= lo[t], "seed %llu row %d: %.17g < %.17g", seed, t,
                              pre[3][t], lo[t]);
        }
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
    ck_assert_msg(kept > 1000, "only %d sampled points in the split domains", kept);
    ck_assert_msg(better > 0, "the slopes improved no row under splits");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crown_alpha");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, gradient_relu);
    tcase_add_test(tc, gradient_leaky);
    tcase_add_test(tc, bounds_relu);
    tcase_add_test(tc, bounds_leaky);
    tcase_add_test(tc, any_slopes_sound);
    tcase_add_test(tc, subnormal_box_sound);
    tcase_add_test(tc, split_domains_sound);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
