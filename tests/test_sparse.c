/* Unit tests of sparse (compressed-row) layers: conversions and structural
 * checks, eval / gradient / fold / pack of a sparse network against the same
 * network stored dense, every engine's bounds (ibp, crown, lp1d, hull) on both
 * forms (equal to a few ulps, sound on sampled points), and the CNN examples
 * loading sparse with the same crown bounds as their dense load. */
#include "grad.h"
#include "nnh_soundness.h"
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"
#include "pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A random network with about 60% zero weights, one all-zero row in layer 0
 * and activation kind on the hidden layers. */
static nnh_network *random_sparse_net(nnh_act_kind kind, unsigned long long *st)
{
    int sizes[5] = {6, 12, 10, 8, 3};
    nnh_network *net = nnh_test_random_net(4, sizes, 0.5, st);
    for (int k = 0; k < net->n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        for (int e = 0; e < L->n_in * L->n_out; e++)
            if (nnh_test_rand(st) < 0.6)
                L->W[e] = 0.0;
        if (k + 1 < net->n_layers)
            nnh_act_default(&L->act, kind);
    }
    memset(net->layers[0].W + 3 * 6, 0, 6 * sizeof(double)); /* neuron 3 sees nothing */
    return net;
}

static nnh_network *sparse_copy(const nnh_network *dense)
{
    nnh_network *sp;
    nnh_error err;
    ck_assert_int_eq(nnh_network_copy(dense, &sp, &err), 0);
    for (int k = 0; k < sp->n_layers; k++)
        ck_assert_int_eq(nnh_layer_make_sparse(&sp->layers[k], &err), 0);
    ck_assert_msg(nnh_network_validate(sp, &err) == 0, "%s", err.msg);
    return sp;
}

/* |a - b| within a few ulps of the larger magnitude (sums may be ordered or
 * error-bounded differently), or both the same infinity. */
static int close_ulps(double a, double b, double ulps)
{
    if (a == b)
        return 1;
    return fabs(a - b) <= ulps * 2.220446049250313e-16 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

START_TEST(test_conversions)
{
    unsigned long long st = 11;
    nnh_network *d = random_sparse_net(NNH_ACT_TANH, &st);
    nnh_network *s = sparse_copy(d);
    nnh_error err;
    for (int k = 0; k < d->n_layers; k++) {
        const nnh_layer *D = &d->layers[k];
        nnh_layer *S = &s->layers[k];
        ck_assert_ptr_null(S->W);
        size_t nz = 0;
        for (int e = 0; e < D->n_in * D->n_out; e++)
            nz += D->W[e] != 0.0;
        ck_assert_uint_eq(nnh_layer_nnz(S), nz);
        ck_assert_uint_eq(nnh_layer_nnz(D), (size_t)D->n_in * D->n_out);
        for (int i = 0; i < D->n_out; i++) { /* the row accessor on both forms */
            const int *c;
            const double *v;
            int n = nnh_layer_row(S, i, &c, &v);
            double dense_row[12] = {0};
            for (int t = 0; t < n; t++)
                dense_row[NNH_ROW_COL(c, t)] = v[t];
            ck_assert_int_eq(nnh_layer_row(D, i, &c, &v), D->n_in);
            ck_assert_ptr_null(c);
            ck_assert_mem_eq(dense_row, v, (size_t)D->n_in * sizeof(double));
        }
    }
    ck_assert_uint_eq(s->layers[0].sp_start[4], s->layers[0].sp_start[3]); /* the empty row */
    nnh_network *c;
    ck_assert_int_eq(nnh_network_copy(s, &c, &err), 0); /* a sparse copy stays sparse */
    for (int k = 0; k < s->n_layers; k++) {
        nnh_layer *C = &c->layers[k];
        ck_assert_ptr_null(C->W);
        ck_assert_int_eq(nnh_layer_make_dense(C, &err), 0);
        ck_assert_ptr_null(C->sp_start);
        ck_assert_mem_eq(C->W, d->layers[k].W,
                         (size_t)C->n_in * (size_t)C->n_out * sizeof(double));
    }
    nnh_network_free(c);
    nnh_network_free(s);
    nnh_network_free(d);
}
END_TEST

START_TEST(test_validate_rejects)
{
    unsigned long long st = 12;
    nnh_network *d = random_sparse_net(NNH_ACT_RELU, &st);
    nnh_network *s = sparse_copy(d);
    nnh_error err;
    nnh_layer *L = &s->layers[1];
    size_t e0 = L->sp_start[0];
    ck_assert_uint_ge(L->sp_start[1] - e0, 2); /* row 0 has two entries to swap */
    int c0 = L->sp_col[e0];
    L->sp_col[e0] = L->sp_col[e0 + 1]; /* columns out of order */
    L->sp_col[e0 + 1] = c0;
    ck_assert_int_eq(nnh_network_validate(s, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "layer 1"));
    L->sp_col[e0 + 1] = L->sp_col[e0];
    L->sp_col[e0] = c0;
    ck_assert_int_eq(nnh_network_validate(s, &err), 0);
    int last = L->sp_col[L->sp_start[L->n_out] - 1];
    L->sp_col[L->sp_start[L->n_out] - 1] = L->n_in; /* out of range */
    ck_assert_int_eq(nnh_network_validate(s, &err), NNH_EINVAL);
    L->sp_col[L->sp_start[L->n_out] - 1] = last;
    L->sp_val[e0] = NAN;
    ck_assert_int_eq(nnh_network_validate(s, &err), NNH_ENUMERIC);
    nnh_network_free(s);
    nnh_network_free(d);
}
END_TEST

/* Random x in [-2, 2]^6: the outputs of d and s agree to ulps. */
static void same_eval(const nnh_network *d, const nnh_network *s, double *x, double ulps,
                      unsigned long long *st)
{
    double yd[3], ys[3];
    for (int j = 0; j < 6; j++)
        x[j] = 4 * nnh_test_rand(st) - 2;
    ck_assert_int_eq(nnh_network_eval(d, x, yd, NULL), 0);
    ck_assert_int_eq(nnh_network_eval(s, x, ys, NULL), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(close_ulps(yd[i], ys[i], ulps), "eval %d: %.17g vs %.17g", i, yd[i], ys[i]);
}

START_TEST(test_eval_grad_fold)
{
    unsigned long long st = 13;
    nnh_network *d = random_sparse_net(NNH_ACT_SIGMOID, &st);
    nnh_network *s = sparse_copy(d);
    double x[6], yd[3], ys[3], gd[6], gs[6], c[3] = {1.0, -2.0, 0.5};
    double *wd = malloc(nnh_grad_workspace(d) * sizeof(double));
    double *ws = malloc(nnh_grad_workspace(s) * sizeof(double));
    for (int r = 0; r < 20; r++) {
        same_eval(d, s, x, 4, &st);
        nnh_network_grad(d, x, c, yd, gd, wd);
        nnh_network_grad(s, x, c, ys, gs, ws);
        for (int i = 0; i < 3; i++)
            ck_assert(close_ulps(yd[i], ys[i], 4));
        for (int j = 0; j < 6; j++)
            ck_assert_msg(close_ulps(gd[j], gs[j], 64), "grad %d: %.17g vs %.17g", j, gd[j],
                          gs[j]);
    }
    free(wd);
    free(ws);
    /* fold an affine sparse layer into the next (sparse and dense) one */
    nnh_error err;
    nnh_act_default(&d->layers[1].act, NNH_ACT_IDENTITY);
    nnh_act_default(&s->layers[1].act, NNH_ACT_IDENTITY);
    ck_assert_int_eq(nnh_layer_make_dense(&s->layers[2], &err), 0);
    ck_assert_int_eq(nnh_network_fold_affine(d, 1, &err), 0);
    ck_assert_int_eq(nnh_network_fold_affine(s, 1, &err), 0);
    ck_assert_int_eq(s->n_layers, 3);
    ck_assert_ptr_null(s->layers[1].W); /* sparse times dense stays sparse */
    ck_assert_int_eq(nnh_network_validate(s, &err), 0);
    for (int r = 0; r < 20; r++)
        same_eval(d, s, x, 16, &st);
    nnh_network_free(s);
    nnh_network_free(d);
}
END_TEST

START_TEST(test_pack_roundtrip)
{
    unsigned long long st = 14;
    nnh_network *d = random_sparse_net(NNH_ACT_ELU, &st);
    nnh_network *s = sparse_copy(d);
    nnh_error err;
    ck_assert_int_eq(nnh_layer_make_dense(&s->layers[2], &err), 0); /* a mixed network */
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_network_pack(s, &p);
    ck_assert(!p.failed);
    nnh_unpack u;
    nnh_unpack_init(&u, p.data, p.len);
    nnh_network *r;
    ck_assert_msg(nnh_network_unpack(&u, &r, &err) == 0, "%s", err.msg);
    for (int k = 0; k < s->n_layers; k++) {
        const nnh_layer *A = &s->layers[k], *B = &r->layers[k];
        ck_assert_int_eq(A->W == NULL, B->W == NULL);
        ck_assert_int_eq(A->act.kind, B->act.kind);
        ck_assert_mem_eq(A->b, B->b, (size_t)A->n_out * sizeof(double));
        if (A->W) {
            ck_assert_mem_eq(A->W, B->W, (size_t)A->n_in * A->n_out * sizeof(double));
            continue;
        }
        size_t nnz = nnh_layer_nnz(A);
        ck_assert_uint_eq(nnz, nnh_layer_nnz(B));
        ck_assert_mem_eq(A->sp_start, B->sp_start, ((size_t)A->n_out + 1) * sizeof(size_t));
        ck_assert_mem_eq(A->sp_col, B->sp_col, nnz * sizeof(int));
        ck_assert_mem_eq(A->sp_val, B->sp_val, nnz * sizeof(double));
    }
    nnh_network_free(r);
    for (size_t cut = 0; cut < p.len; cut += p.len / 7 + 1) { /* truncated: refused */
        nnh_unpack_init(&u, p.data, cut);
        ck_assert_int_ne(nnh_network_unpack(&u, &r, &err), 0);
    }
    /* a corrupt column index is caught by validation */
    const nnh_layer *L0 = &s->layers[0];
    size_t off = 0;
    for (size_t i = 0; i + sizeof(int) <= p.len; i++)
        if (!memcmp(p.data + i, L0->sp_col, nnh_layer_nnz(L0) * sizeof(int))) {
            off = i;
            break;
        }
    ck_assert_uint_gt(off, 0);
    int bad = 1000;
    memcpy(p.data + off, &bad, sizeof bad);
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_int_eq(nnh_network_unpack(&u, &r, &err), NNH_EINVAL);
    nnh_pack_free(&p);
    nnh_network_free(s);
    nnh_network_free(d);
}
END_TEST

static nnh_bounds *bounds_of(const nnh_network *net, const double *lo, const double *hi,
                             nnh_method m)
{
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = m;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_msg(nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err) == 0, "%s: %s",
                  nnh_method_name(m), err.msg);
    return b;
}

/* Every bound of a equals b's up to ulps (relative), or up to tol. */
static void assert_same_bounds(const nnh_bounds *a, const nnh_bounds *b, double ulps,
                               double tol, const char *what)
{
    for (int k = 0; k < a->n_layers; k++) {
        const nnh_layer_bounds *A = &a->layers[k], *B = &b->layers[k];
        for (int i = 0; i < A->width; i++) {
            const double va[4] = {A->pre_lo[i], A->pre_hi[i], A->post_lo[i], A->post_hi[i]};
            const double vb[4] = {B->pre_lo[i], B->pre_hi[i], B->post_lo[i], B->post_hi[i]};
            for (int q = 0; q < 4; q++)
                ck_assert_msg(close_ulps(va[q], vb[q], ulps) || fabs(va[q] - vb[q]) <= tol,
                              "%s: layer %d neuron %d bound %d: dense %.17g, sparse %.17g", what,
                              k, i, q, va[q], vb[q]);
        }
    }
}

/* ibp, crown, lp1d and hull on the dense and sparse forms of one network. */
static void check_engines(nnh_act_kind kind, unsigned long long seed)
{
    unsigned long long st = seed;
    nnh_network *d = random_sparse_net(kind, &st);
    nnh_network *s = sparse_copy(d);
    double lo[6], hi[6];
    for (int j = 0; j < 6; j++) {
        double c = 2 * nnh_test_rand(&st) - 1;
        lo[j] = c - 0.3;
        hi[j] = c + 0.3;
    }
    for (int m = NNH_METHOD_IBP; m <= NNH_METHOD_HULL; m++) {
        nnh_bounds *bd = bounds_of(d, lo, hi, (nnh_method)m);
        nnh_bounds *bs = bounds_of(s, lo, hi, (nnh_method)m);
        char what[64];
        snprintf(what, sizeof what, "%s %s", nnh_act_name(kind), nnh_method_name((nnh_method)m));
        /* ibp and crown: the same sums, only the error terms count other
         * lengths; the LPs: the same rows, GLPK may stop elsewhere */
        assert_same_bounds(bd, bs, 64, m >= NNH_METHOD_LP1D ? 1e-7 : 0.0, what);
        const nnh_bounds *both[2] = {bd, bs};
        nnh_sample_report rep[2];
        nnh_sample_check(s, both, 2, lo, hi, 2000, seed, rep);
        for (int t = 0; t < 2; t++)
            ck_assert_msg(rep[t].worst <= NNH_SAMPLE_TOL, "%s (%s): %s", what,
                          t ? "sparse" : "dense", nnh_sample_describe(&rep[t]));
        nnh_bounds_free(bd);
        nnh_bounds_free(bs);
    }
    nnh_network_free(s);
    nnh_network_free(d);
}

START_TEST(test_engines_relu) { check_engines(NNH_ACT_RELU, 21); }
END_TEST
START_TEST(test_engines_sigmoid) { check_engines(NNH_ACT_SIGMOID, 22); }
END_TEST
START_TEST(test_engines_tanh) { check_engines(NNH_ACT_TANH, 23); }
END_TEST

/* An LP context with a cut pool (aggregate objective) and the joint bound
 * of max_r z_r on the last layer: the same numbers on both forms (from the
 * same crown bounds), and no sampled point below the joint bound. */
START_TEST(test_lp_pool_and_max)
{
    unsigned long long st = 31;
    nnh_network *d = random_sparse_net(NNH_ACT_SIGMOID, &st);
    nnh_network *s = sparse_copy(d);
    double lo[6], hi[6];
    for (int j = 0; j < 6; j++) {
        lo[j] = nnh_test_rand(&st) - 0.8;
        hi[j] = lo[j] + 0.6;
    }
    nnh_bounds *b = bounds_of(d, lo, hi, NNH_METHOD_CROWN);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    o.pool_rounds = 2;
    nnh_lp_layer *Ld, *Ls;
    nnh_error err;
    int k = d->n_layers - 1, rows[3] = {0, 1, 2};
    ck_assert_msg(nnh_lp_layer_create(d, b, k, &o, &Ld, &err) == 0, "%s", err.msg);
    ck_assert_msg(nnh_lp_layer_create(s, b, k, &o, &Ls, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 3; i++)
        for (int sense = -1; sense <= 1; sense += 2) {
            double vd, vs;
            ck_assert_int_eq(nnh_lp_layer_bound(Ld, i, sense, &vd, NULL, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(Ls, i, sense, &vs, NULL, &err), 0);
            ck_assert_msg(fabs(vd - vs) <= 1e-7, "neuron %d sense %d: %.17g vs %.17g", i, sense,
                          vd, vs);
        }
    double md, ms;
    ck_assert_int_eq(nnh_lp_layer_bound_max(Ld, rows, 3, &md, NULL, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_bound_max(Ls, rows, 3, &ms, NULL, &err), 0);
    ck_assert_msg(fabs(md - ms) <= 1e-7, "max: %.17g vs %.17g", md, ms);
    double x[6], y[3];
    for (int r = 0; r < 2000; r++) {
        for (int j = 0; j < 6; j++)
            x[j] = lo[j] + (hi[j] - lo[j]) * nnh_test_rand(&st);
        ck_assert_int_eq(nnh_network_eval(s, x, y, NULL), 0);
        ck_assert_msg(fmax(y[0], fmax(y[1], y[2])) >= ms - NNH_SAMPLE_TOL,
                      "sampled max %.17g below the joint bound %.17g",
                      fmax(y[0], fmax(y[1], y[2])), ms);
    }
    nnh_lp_layer_free(Ld);
    nnh_lp_layer_free(Ls);
    nnh_bounds_free(b);
    nnh_network_free(s);
    nnh_network_free(d);
}
END_TEST

/* The CNN examples load with a sparse first layer (fewer than a quarter of
 * the dense weights) and give the crown bounds of their dense load (to the
 * rounding-error terms, which are smaller for the shorter sparse rows). */
START_TEST(test_cnn_examples_sparse)
{
    static const char *nets[] = {"cnn_digits_tanh_conv.onnx", "cnn_digits_relu_strided.onnx"};
    for (int t = 0; t < 2; t++) {
        char path[256];
        snprintf(path, sizeof path, "examples/%s", nets[t]);
        nnh_load_opts o;
        nnh_load_opts_init(&o);
        nnh_network *s, *d;
        nnh_error err;
        ck_assert_msg(nnh_load_network(nnh_src_path(path), &o, &s, &err) == 0, "%s", err.msg);
        o.dense_layers = 1;
        ck_assert_msg(nnh_load_network(nnh_src_path(path), &o, &d, &err) == 0, "%s", err.msg);
        const nnh_layer *L = &s->layers[0];
        ck_assert_ptr_null(L->W);
        ck_assert_uint_lt(4 * nnh_layer_nnz(L), (size_t)L->n_in * L->n_out);
        for (int k = 0; k < d->n_layers; k++)
            ck_assert_ptr_nonnull(d->layers[k].W);
        double lo[64], hi[64];
        for (int j = 0; j < 64; j++) {
            lo[j] = fmax(0.0, 0.5 * (j % 3) - 0.05);
            hi[j] = lo[j] + 0.1;
        }
        nnh_bounds *bd = bounds_of(d, lo, hi, NNH_METHOD_CROWN);
        nnh_bounds *bs = bounds_of(s, lo, hi, NNH_METHOD_CROWN);
        /* the error terms of a sparse row count its own length, not n_in */
        assert_same_bounds(bd, bs, 64, 1e-10, nets[t]);
        nnh_bounds_free(bd);
        nnh_bounds_free(bs);
        nnh_network_free(s);
        nnh_network_free(d);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sparse");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_conversions);
    tcase_add_test(tc, test_validate_rejects);
    tcase_add_test(tc, test_eval_grad_fold);
    tcase_add_test(tc, test_pack_roundtrip);
    tcase_add_test(tc, test_engines_relu);
    tcase_add_test(tc, test_engines_sigmoid);
    tcase_add_test(tc, test_engines_tanh);
    tcase_add_test(tc, test_lp_pool_and_max);
    tcase_add_test(tc, test_cnn_examples_sparse);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
