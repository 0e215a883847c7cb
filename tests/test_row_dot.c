/* Unit tests of the multi-row kernels (src/model/row_dot.h), the layer-wide
 * activation (act_apply.h) and of their
 * callers: the kernels against one-row loops bit for bit, and the forward
 * pass, input gradient, IBP and crown of a dense network (which use the
 * kernels) against the same network in compressed rows that store every
 * weight (whose one-row loops perform the same operations): every number
 * must come out identical, which is what keeps verify's search and verdicts
 * unchanged by the kernels. */
#include "act_apply.h"
#include "grad.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "row_dot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Same value, +0 and -0 counted equal, NaN equal to NaN. */
static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

/* A weight for the kernel tests: mostly random, some zeros, +-inf, tiny and
 * huge magnitudes (so that any reordering of a sum would show). */
static double odd_value(unsigned long long *st)
{
    double u = nnh_test_rand(st);
    if (u < 0.05)
        return 0.0;
    if (u < 0.07)
        return u < 0.06 ? INFINITY : -INFINITY;
    if (u < 0.15)
        return (2 * nnh_test_rand(st) - 1) * 1e16;
    if (u < 0.25)
        return (2 * nnh_test_rand(st) - 1) * 1e-12;
    return 2 * nnh_test_rand(st) - 1;
}

START_TEST(test_dense_affine_bits)
{
    unsigned long long st = 5;
    for (int n_out = 1; n_out <= 21; n_out++)
        for (int n_in = 1; n_in <= 9; n_in += 4) {
            double W[21 * 9], b[21], a[9], z[21];
            for (int e = 0; e < n_out * n_in; e++)
                W[e] = odd_value(&st);
            for (int i = 0; i < n_out; i++)
                b[i] = odd_value(&st);
            for (int j = 0; j < n_in; j++)
                a[j] = n_out % 5 == 0 ? 2 * nnh_test_rand(&st) - 1 : odd_value(&st);
            nnh_dense_affine(W, b, n_out, n_in, a, z);
            for (int i = 0; i < n_out; i++) {
                double s = b[i];
                for (int j = 0; j < n_in; j++)
                    s += W[i * n_in + j] * a[j];
                ck_assert_msg(memcmp(&s, &z[i], sizeof s) == 0,
                              "%d x %d row %d: %.17g vs one row %.17g", n_out, n_in, i, z[i], s);
            }
        }
}
END_TEST

START_TEST(test_dense_add_rows_bits)
{
    unsigned long long st = 6;
    const int n_in = 11, n_rows = 7;
    double W[7 * 11];
    for (int e = 0; e < n_rows * n_in; e++)
        W[e] = odd_value(&st);
    for (int k = 0; k <= 4; k++)
        for (int rep = 0; rep < 20; rep++) {
            int rows[4];
            double d[4], dst[11], ref[11];
            for (int t = 0; t < k; t++) {
                rows[t] = (int)(nnh_test_rand(&st) * n_rows);
                d[t] = odd_value(&st);
            }
            for (int j = 0; j < n_in; j++)
                dst[j] = ref[j] = 2 * nnh_test_rand(&st) - 1;
            nnh_dense_add_rows(W, n_in, rows, d, k, dst);
            for (int t = 0; t < k; t++)
                for (int j = 0; j < n_in; j++)
                    ref[j] += d[t] * W[rows[t] * n_in + j];
            ck_assert_mem_eq(dst, ref, sizeof dst);
        }
}
END_TEST

START_TEST(test_act_apply_bits)
{
    unsigned long long st = 7;
    double z[40], a[40], d[40];
    const double special[8] = {0.0, -0.0, NAN, INFINITY, -INFINITY, 1e-310, -1e-310, 3.0};
    for (int i = 0; i < 40; i++)
        z[i] = i < 8 ? special[i] : 8 * nnh_test_rand(&st) - 4;
    for (int kind = NNH_ACT_IDENTITY; kind <= NNH_ACT_SELU; kind++) {
        nnh_activation act;
        nnh_act_default(&act, (nnh_act_kind)kind);
        nnh_act_apply(&act, z, a, 40);
        for (int i = 0; i < 40; i++) {
            double v = nnh_act_value(&act, z[i]);
            ck_assert_msg(memcmp(&v, &a[i], sizeof v) == 0, "%s(%g): %.17g vs %.17g",
                          nnh_act_name(act.kind), z[i], a[i], v);
        }
        for (int i = 0; i < 40; i++)
            d[i] = i % 3 ? 2 * nnh_test_rand(&st) - 1 : (i % 2 ? INFINITY : -1.5);
        double ref[40];
        for (int i = 0; i < 40; i++)
            ref[i] = d[i] * nnh_act_deriv(&act, z[i], 1);
        nnh_act_scale_deriv(&act, z, d, 40);
        ck_assert_mem_eq(d, ref, sizeof d);
    }
}
END_TEST

/* A dense net whose widths leave every remainder of the 8- and 4-row blocks,
 * no zero weight (so its compressed-row copy stores every entry). */
static nnh_network *full_net(nnh_act_kind kind, unsigned long long *st)
{
    int sizes[6] = {5, 13, 11, 9, 7, 3};
    nnh_network *net = nnh_test_random_net(5, sizes, 0.5, st);
    for (int k = 0; k < net->n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        for (int e = 0; e < L->n_in * L->n_out; e++)
            if (L->W[e] == 0.0)
                L->W[e] = 0.25;
        if (k + 1 < net->n_layers)
            nnh_act_default(&L->act, kind);
    }
    return net;
}

static nnh_network *rows_copy(const nnh_network *dense)
{
    nnh_network *sp;
    nnh_error err;
    ck_assert_int_eq(nnh_network_copy(dense, &sp, &err), 0);
    for (int k = 0; k < sp->n_layers; k++) {
        ck_assert_int_eq(nnh_layer_make_sparse(&sp->layers[k], &err), 0);
        ck_assert_uint_eq(nnh_layer_nnz(&sp->layers[k]),
                          (size_t)sp->layers[k].n_in * (size_t)sp->layers[k].n_out);
    }
    return sp;
}

static void same_bounds(const nnh_bounds *a, const nnh_bounds *b, const char *what)
{
    for (int k = 0; k < a->n_layers; k++) {
        const nnh_layer_bounds *A = &a->layers[k], *B = &b->layers[k];
        for (int i = 0; i < A->width; i++) {
            const double va[4] = {A->pre_lo[i], A->pre_hi[i], A->post_lo[i], A->post_hi[i]};
            const double vb[4] = {B->pre_lo[i], B->pre_hi[i], B->post_lo[i], B->post_hi[i]};
            for (int q = 0; q < 4; q++)
                ck_assert_msg(same(va[q], vb[q]),
                              "%s: layer %d neuron %d bound %d: dense %.17g, rows %.17g", what, k,
                              i, q, va[q], vb[q]);
        }
    }
}

static void check_net(nnh_act_kind kind, unsigned long long seed)
{
    unsigned long long st = seed;
    nnh_network *d = full_net(kind, &st), *s = rows_copy(d);
    nnh_error err;
    size_t gw = nnh_grad_workspace(d);
    double *wd = malloc(gw * sizeof(double)), *ws = malloc(gw * sizeof(double));
    ck_assert_ptr_nonnull(wd);
    ck_assert_ptr_nonnull(ws);
    for (int t = 0; t < 40; t++) { /* forward pass and gradient */
        double x[5], c[3], yd[3], ys[3], gd[5], gs[5];
        for (int j = 0; j < 5; j++)
            x[j] = 4 * nnh_test_rand(&st) - 2;
        for (int i = 0; i < 3; i++)
            c[i] = t % 4 == 0 && i ? 0.0 : 2 * nnh_test_rand(&st) - 1;
        ck_assert_int_eq(nnh_network_eval(d, x, yd, NULL), 0);
        ck_assert_int_eq(nnh_network_eval(s, x, ys, NULL), 0);
        for (int i = 0; i < 3; i++)
            ck_assert_msg(same(yd[i], ys[i]), "eval %d: %.17g vs %.17g", i, yd[i], ys[i]);
        nnh_network_grad(d, x, c, yd, gd, wd);
        nnh_network_grad(s, x, c, ys, gs, ws);
        for (int j = 0; j < 5; j++)
            ck_assert_msg(same(gd[j], gs[j]), "grad %d: %.17g vs %.17g", j, gd[j], gs[j]);
    }
    for (int m = NNH_METHOD_IBP; m <= NNH_METHOD_CROWN; m++) { /* IBP and crown */
        double lo[5], hi[5];
        for (int j = 0; j < 5; j++) {
            double mid = 2 * nnh_test_rand(&st) - 1;
            lo[j] = mid - 0.4;
            hi[j] = mid + 0.4;
        }
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.method = (nnh_method)m;
        nnh_bounds *bd, *bs;
        ck_assert_int_eq(nnh_bounds_create(d, lo, hi, &bd, &err), 0);
        ck_assert_int_eq(nnh_bounds_create(s, lo, hi, &bs, &err), 0);
        ck_assert_msg(nnh_bounds_compute(d, bd, &o, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
        ck_assert_msg(nnh_bounds_compute(s, bs, &o, NULL, NULL, NULL, &err) == 0, "%s", err.msg);
        char what[64];
        snprintf(what, sizeof what, "%s %s", nnh_act_name(kind), nnh_method_name((nnh_method)m));
        same_bounds(bd, bs, what);
        /* and the bounds hold on sampled points (not vacuous) */
        int k = d->n_layers - 1, finite = 0;
        for (int i = 0; i < bd->layers[k].width; i++)
            finite += isfinite(bd->layers[k].pre_lo[i]) && isfinite(bd->layers[k].pre_hi[i]);
        ck_assert_int_eq(finite, bd->layers[k].width);
        for (int t = 0; t < 200; t++) {
            double x[5], y[3];
            for (int j = 0; j < 5; j++)
                x[j] = lo[j] + (hi[j] - lo[j]) * nnh_test_rand(&st);
            nnh_network_eval(d, x, y, NULL);
            for (int i = 0; i < 3; i++)
                ck_assert(y[i] >= bd->layers[k].pre_lo[i] && y[i] <= bd->layers[k].pre_hi[i]);
        }
        nnh_bounds_free(bd);
        nnh_bounds_free(bs);
    }
    free(wd);
    free(ws);
    nnh_network_free(s);
    nnh_network_free(d);
}

START_TEST(test_relu_net_bits) { check_net(NNH_ACT_RELU, 31); }
END_TEST
START_TEST(test_sigmoid_net_bits) { check_net(NNH_ACT_SIGMOID, 32); }
END_TEST
START_TEST(test_leaky_net_bits) { check_net(NNH_ACT_LEAKY_RELU, 33); }
END_TEST

int main(void)
{
    Suite *s = suite_create("row_dot");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_dense_affine_bits);
    tcase_add_test(tc, test_dense_add_rows_bits);
    tcase_add_test(tc, test_act_apply_bits);
    tcase_add_test(tc, test_relu_net_bits);
    tcase_add_test(tc, test_sigmoid_net_bits);
    tcase_add_test(tc, test_leaky_net_bits);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
