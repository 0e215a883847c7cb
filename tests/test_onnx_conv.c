/* Tests of the ONNX reader's convolutional side: Conv (pads, strides,
 * dilations, groups, auto_pad, 1-D), BatchNormalization, pooling, Pad,
 * Transpose/Flatten layout and constant folding of dynamic-batch Reshape
 * targets, each against a direct reference computation; refusals and
 * malformed Conv nodes give errors naming the node. */
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"
#include "onnx_builder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-12

static unsigned long long seed = 12345;

static double rnd(void)
{
    return 2.0 * nnh_test_rand(&seed) - 1.0;
}

static void fill_rand(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = rnd();
}

/* Random initializer (stored as doubles: exact) whose values go to v. */
static void init_rand(mb *b, const char *name, int rank, const long long *dims, double *v)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    fill_rand(v, n);
    mb_init_t(b, name, rank, dims, v, ST_DOUBLE);
}

/* ---- reference computations (plain loops on explicit arrays) ---------------- */

/* y = x padded with v: C x (H+pt+pb) x (W+pl+pr). */
static void ref_pad(const double *x, int C, int H, int W, int pt, int pl, int pb, int pr, double v,
                    double *y)
{
    int Hp = H + pt + pb, Wp = W + pl + pr;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < Hp; i++)
            for (int j = 0; j < Wp; j++) {
                int si = i - pt, sj = j - pl;
                y[(c * Hp + i) * Wp + j] =
                    si >= 0 && si < H && sj >= 0 && sj < W ? x[(c * H + si) * W + sj] : v;
            }
}

typedef struct conv_ref {
    int C, Hp, Wp, M, kh, kw, sh, sw, dh, dw, group;
} conv_ref;

/* Direct convolution of an already padded image; returns OH * OW. */
static int ref_conv(const conv_ref *p, const double *xp, const double *K, const double *B,
                    double *y, int *OH, int *OW)
{
    *OH = (p->Hp - ((p->kh - 1) * p->dh + 1)) / p->sh + 1;
    *OW = (p->Wp - ((p->kw - 1) * p->dw + 1)) / p->sw + 1;
    int cg = p->C / p->group, mg = p->M / p->group;
    for (int m = 0; m < p->M; m++)
        for (int oh = 0; oh < *OH; oh++)
            for (int ow = 0; ow < *OW; ow++) {
                double s = B ? B[m] : 0.0;
                for (int c = 0; c < cg; c++)
                    for (int i = 0; i < p->kh; i++)
                        for (int j = 0; j < p->kw; j++) {
                            int ch = (m / mg) * cg + c;
                            int r = oh * p->sh + i * p->dh, q = ow * p->sw + j * p->dw;
                            s += K[((m * cg + c) * p->kh + i) * p->kw + j] *
                                 xp[(ch * p->Hp + r) * p->Wp + q];
                        }
                y[(m * *OH + oh) * *OW + ow] = s;
            }
    return *OH * *OW;
}

/* Average pooling with k x k windows, stride s, equal pads on all sides. */
static void ref_avgpool(const double *x, int C, int H, int W, int k, int s, int pad,
                        int include_pad, double *y, int *OH, int *OW)
{
    int Hp = H + 2 * pad, Wp = W + 2 * pad;
    double *xp = malloc((size_t)(C * Hp * Wp) * sizeof(double));
    double *ones = malloc((size_t)(C * H * W) * sizeof(double));
    double *mp = malloc((size_t)(C * Hp * Wp) * sizeof(double));
    for (int i = 0; i < C * H * W; i++)
        ones[i] = 1.0;
    ref_pad(x, C, H, W, pad, pad, pad, pad, 0.0, xp);
    ref_pad(ones, C, H, W, pad, pad, pad, pad, 0.0, mp);
    *OH = (Hp - k) / s + 1;
    *OW = (Wp - k) / s + 1;
    for (int c = 0; c < C; c++)
        for (int oh = 0; oh < *OH; oh++)
            for (int ow = 0; ow < *OW; ow++) {
                double sum = 0, cnt = 0;
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) {
                        size_t at = (size_t)((c * Hp + oh * s + i) * Wp + ow * s + j);
                        sum += xp[at];
                        cnt += mp[at];
                    }
                y[(c * *OH + oh) * *OW + ow] = sum / (include_pad ? k * k : cnt);
            }
    free(xp);
    free(ones);
    free(mp);
}

static void ref_bn(double *x, int C, int HW, const double *p /* scale, B, mean, var */, double eps)
{
    for (int c = 0; c < C; c++)
        for (int i = 0; i < HW; i++) {
            double *v = &x[c * HW + i];
            *v = p[c] * (*v - p[2 * C + c]) / sqrt(p[3 * C + c] + eps) + p[C + c];
        }
}

/* y = W x + b with W n_out x n_in (Gemm with transB = 1). */
static void ref_dense(const double *W, const double *b, int n_out, int n_in, const double *x,
                      double *y)
{
    for (int i = 0; i < n_out; i++) {
        double s = b ? b[i] : 0.0;
        for (int j = 0; j < n_in; j++)
            s += W[i * n_in + j] * x[j];
        y[i] = s;
    }
}

static void relu(double *v, int n)
{
    for (int i = 0; i < n; i++)
        v[i] = fmax(v[i], 0.0);
}

static void expect_close(const double *y, const double *r, int n, const char *what)
{
    for (int i = 0; i < n; i++)
        ck_assert_msg(fabs(y[i] - r[i]) <= TOL * (1 + fabs(r[i])), "%s: y[%d] = %.17g, expected %.17g",
                      what, i, y[i], r[i]);
}

/* ---- Conv against the direct convolution ---------------------------------------- */

typedef struct conv_case {
    int C, H, W, M, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group, bias;
    const char *auto_pad; /* NULL: explicit pads */
    int one_d;            /* a [1, C, W] input (H = kh = 1) */
} conv_case;

static const conv_case CONV_CASES[] = {
    {1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, NULL, 0},
    {2, 6, 5, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, NULL, 0},
    {3, 7, 8, 2, 3, 3, 2, 3, 1, 1, 1, 0, 2, 1, 1, 1, NULL, 0},   /* asymmetric pads, strides */
    {2, 9, 9, 2, 3, 2, 1, 2, 2, 3, 2, 1, 0, 2, 1, 1, NULL, 0},   /* dilations */
    {4, 5, 6, 6, 2, 2, 1, 1, 1, 1, 0, 1, 1, 0, 2, 1, NULL, 0},   /* 2 groups */
    {3, 6, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3, 0, NULL, 0},   /* depthwise */
    {2, 4, 4, 3, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, NULL, 0},   /* kernel = whole input */
    {3, 4, 5, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, NULL, 0},   /* 1x1 */
    {1, 5, 5, 2, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1, 1, "SAME_UPPER", 0},
    {1, 5, 5, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, "SAME_LOWER", 0},
    {2, 6, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, "SAME_UPPER", 0},
    {2, 6, 7, 2, 3, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, "VALID", 0},
    {2, 1, 9, 3, 1, 3, 1, 2, 1, 2, 0, 1, 0, 2, 1, 1, NULL, 1},   /* 1-D */
};

static void conv_model(mb *b, const conv_case *c, double *K, double *B)
{
    long long in[4] = {-1, c->C, c->H, c->W}, kd[4] = {c->M, c->C / c->group, c->kh, c->kw};
    if (c->one_d) {
        in[2] = c->W;
        kd[2] = c->kw;
    }
    int rank = c->one_d ? 3 : 4;
    mb_init(b);
    mb_input(b, "x", rank, in);
    init_rand(b, "K", rank, kd, K);
    if (c->bias)
        init_rand(b, "B", 1, (const long long[]){c->M}, B);
    Onnx__NodeProto *nd = mb_node(b, "Conv", "conv", c->bias ? "x,K,B" : "x,K", "y");
    if (c->one_d) {
        mb_attr_ints(b, nd, "strides", 1, (const long long[]){c->sw});
        mb_attr_ints(b, nd, "dilations", 1, (const long long[]){c->dw});
        mb_attr_ints(b, nd, "pads", 2, (const long long[]){c->pl, c->pr});
        mb_attr_ints(b, nd, "kernel_shape", 1, (const long long[]){c->kw});
    } else {
        mb_attr_ints(b, nd, "strides", 2, (const long long[]){c->sh, c->sw});
        mb_attr_ints(b, nd, "dilations", 2, (const long long[]){c->dh, c->dw});
        if (c->auto_pad)
            mb_attr_s(b, nd, "auto_pad", c->auto_pad);
        else
            mb_attr_ints(b, nd, "pads", 4, (const long long[]){c->pt, c->pl, c->pb, c->pr});
        mb_attr_ints(b, nd, "kernel_shape", 2, (const long long[]){c->kh, c->kw});
    }
    if (c->group > 1)
        mb_attr_i(b, nd, "group", c->group);
    mb_output(b, "y");
}

START_TEST(test_conv_matches_direct)
{
    for (size_t t = 0; t < sizeof CONV_CASES / sizeof *CONV_CASES; t++) {
        const conv_case *c = &CONV_CASES[t];
        int H = c->one_d ? 1 : c->H, n_in = c->C * H * c->W;
        double K[512], B[16], x[512], xp[1024], r[1024], y[1024];
        mb b;
        conv_model(&b, c, K, B);
        int Hp = H + c->pt + c->pb, Wp = c->W + c->pl + c->pr, OH, OW;
        conv_ref p = {c->C, Hp, Wp, c->M, c->kh, c->kw, c->sh, c->sw, c->dh, c->dw, c->group};
        int per = ((Hp - (c->kh - 1) * c->dh - 1) / c->sh + 1) *
                  ((Wp - (c->kw - 1) * c->dw - 1) / c->sw + 1);
        nnh_network *net = mb_load_ok(&b, n_in, 1, c->M * per);
        for (int rep = 0; rep < 4; rep++) {
            fill_rand(x, (size_t)n_in);
            ref_pad(x, c->C, H, c->W, c->pt, c->pl, c->pb, c->pr, 0.0, xp);
            ref_conv(&p, xp, K, c->bias ? B : NULL, r, &OH, &OW);
            mb_eval(net, x, y);
            char what[64];
            snprintf(what, sizeof what, "conv case %zu", t);
            expect_close(y, r, c->M * OH * OW, what);
        }
        nnh_network_free(net);
        mb_free(&b);
    }
}
END_TEST

/* ---- a small CNN: Pad, Conv, BN, Relu, AveragePool, Conv, Tanh, Flatten, Gemm ---- */

START_TEST(test_cnn_chain)
{
    const long long in[4] = {-1, 2, 6, 6}, k1[4] = {3, 2, 3, 3}, k2[4] = {2, 3, 2, 2};
    const long long c3[1] = {3}, c2[1] = {2}, wd[2] = {4, 8}, bd[1] = {4};
    const double eps = (double)0.001f; /* attributes are floats */
    double K1[54], K2[24], bn[12], B2[2], W[32], Bg[4];
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, in);
    init_rand(&b, "K1", 4, k1, K1);
    const char *bn_names[4] = {"scale", "bias", "mean", "var"};
    fill_rand(bn, 12);
    for (int i = 0; i < 3; i++) /* positive variances */
        bn[9 + i] = fabs(bn[9 + i]) + 0.1;
    for (int i = 0; i < 4; i++)
        mb_init_t(&b, bn_names[i], 1, c3, bn + 3 * i, ST_DOUBLE);
    init_rand(&b, "K2", 4, k2, K2);
    init_rand(&b, "B2", 1, c2, B2);
    init_rand(&b, "W", 2, wd, W);
    init_rand(&b, "Bg", 1, bd, Bg);
    mb_init_t(&b, "pads", 1, (const long long[]){8},
              (const double[]){0, 0, 1, 1, 0, 0, 1, 1}, ST_I64);
    mb_node(&b, "Pad", "pad", "x,pads", "p");
    mb_node(&b, "Conv", "conv1", "p,K1", "c");
    Onnx__NodeProto *bnn = mb_node(&b, "BatchNormalization", "bn", "c,scale,bias,mean,var", "n");
    mb_attr_f(&b, bnn, "epsilon", (float)eps);
    mb_node(&b, "Relu", "relu", "n", "r");
    Onnx__NodeProto *ap = mb_node(&b, "AveragePool", "pool", "r", "a");
    mb_attr_ints(&b, ap, "kernel_shape", 2, (const long long[]){2, 2});
    mb_attr_ints(&b, ap, "strides", 2, (const long long[]){2, 2});
    mb_node(&b, "Conv", "conv2", "a,K2,B2", "c2");
    mb_node(&b, "Tanh", "tanh", "c2", "t");
    mb_node(&b, "Flatten", "flat", "t", "f");
    Onnx__NodeProto *g = mb_node(&b, "Gemm", "fc", "f,W,Bg", "y");
    mb_attr_i(&b, g, "transB", 1);
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 72, 3, 4);
    ck_assert_int_eq(net->layers[0].n_out, 108); /* 3 x 6 x 6 */
    ck_assert_int_eq(net->layers[1].n_out, 8);   /* 2 x 2 x 2 */
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_RELU);
    ck_assert_int_eq(net->layers[1].act.kind, NNH_ACT_TANH);
    for (int rep = 0; rep < 5; rep++) {
        double x[72], xp[128], c1[108], pl[27], c2v[8], r[4], y[4];
        int OH, OW;
        fill_rand(x, 72);
        ref_pad(x, 2, 6, 6, 1, 1, 1, 1, 0.0, xp);
        conv_ref p1 = {2, 8, 8, 3, 3, 3, 1, 1, 1, 1, 1};
        ref_conv(&p1, xp, K1, NULL, c1, &OH, &OW);
        ref_bn(c1, 3, 36, bn, eps);
        relu(c1, 108);
        ref_avgpool(c1, 3, 6, 6, 2, 2, 0, 0, pl, &OH, &OW);
        ck_assert_int_eq(OH * OW, 9);
        conv_ref p2 = {3, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1};
        ref_conv(&p2, pl, K2, B2, c2v, &OH, &OW);
        for (int i = 0; i < 8; i++)
            c2v[i] = tanh(c2v[i]);
        ref_dense(W, Bg, 4, 8, c2v, r);
        mb_eval(net, x, y);
        expect_close(y, r, 4, "cnn chain");
    }
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- BatchNormalization after an activation ------------------------------------ */

/* x [1,1,3,3] -> Conv 2x2 (2 ch) -> Relu -> BN -> (Relu) -> Flatten -> Gemm */
static nnh_network *bn_after_act(int second_relu, double *K, double *bn, double *W)
{
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 3, 3});
    init_rand(&b, "K", 4, (const long long[]){2, 1, 2, 2}, K);
    fill_rand(bn, 8);
    bn[6] = 0.5;
    bn[7] = 2.0; /* variances */
    const char *names[4] = {"s", "o", "m", "v"};
    for (int i = 0; i < 4; i++)
        mb_init_t(&b, names[i], 1, (const long long[]){2}, bn + 2 * i, ST_DOUBLE);
    init_rand(&b, "W", 2, (const long long[]){3, 8}, W);
    mb_node(&b, "Conv", "conv", "x,K", "c");
    mb_node(&b, "Relu", "r1", "c", "r");
    mb_node(&b, "BatchNormalization", "bn", "r,s,o,m,v", second_relu ? "n" : "q");
    if (second_relu)
        mb_node(&b, "Relu", "r2", "n", "q");
    mb_node(&b, "Flatten", "flat", "q", "f");
    Onnx__NodeProto *g = mb_node(&b, "Gemm", "fc", "f,W", "y");
    mb_attr_i(&b, g, "transB", 1);
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 9, second_relu ? 3 : 2, 3);
    mb_free(&b);
    return net;
}

START_TEST(test_batchnorm_after_activation)
{
    for (int second = 0; second < 2; second++) {
        double K[8], bn[8], W[24];
        nnh_network *net = bn_after_act(second, K, bn, W);
        if (second) /* its own (diagonal) layer */
            ck_assert_int_eq(net->layers[1].n_in, 8);
        for (int rep = 0; rep < 5; rep++) {
            double x[9], c[8], r[3], y[3];
            int OH, OW;
            fill_rand(x, 9);
            conv_ref p = {1, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1};
            ref_conv(&p, x, K, NULL, c, &OH, &OW);
            relu(c, 8);
            ref_bn(c, 2, 4, bn, 1e-5); /* the default epsilon */
            if (second)
                relu(c, 8);
            ref_dense(W, NULL, 3, 8, c, r);
            mb_eval(net, x, y);
            expect_close(y, r, 3, "bn after activation");
        }
        nnh_network_free(net);
    }
}
END_TEST

/* ---- pooling ------------------------------------------------------------------ */

START_TEST(test_avgpool_literal)
{
    /* [[1,2],[3,4]], 2x2 windows, pads 1, stride 1 */
    const double x[4] = {1, 2, 3, 4};
    const double excl[9] = {1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4};
    const double incl[9] = {0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1};
    for (int inc = 0; inc < 2; inc++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 4, (const long long[]){1, 1, 2, 2});
        Onnx__NodeProto *ap = mb_node(&b, "AveragePool", "pool", "x", "y");
        mb_attr_ints(&b, ap, "kernel_shape", 2, (const long long[]){2, 2});
        mb_attr_ints(&b, ap, "pads", 4, (const long long[]){1, 1, 1, 1});
        mb_attr_i(&b, ap, "count_include_pad", inc);
        mb_output(&b, "y");
        nnh_network *net = mb_load_ok(&b, 4, 1, 9);
        double y[9];
        mb_eval(net, x, y);
        expect_close(y, inc ? incl : excl, 9, "avgpool literal");
        nnh_network_free(net);
        mb_free(&b);
    }
}
END_TEST

START_TEST(test_avgpool_random_and_global)
{
    const int cfg[4][4] = {{3, 1, 1, 0}, {3, 2, 1, 1}, {2, 2, 0, 0}, {2, 1, 1, 1}}; /* k s pad inc */
    for (int t = 0; t < 4; t++) {
        int k = cfg[t][0], s = cfg[t][1], pad = cfg[t][2], inc = cfg[t][3], OH, OW;
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 4, (const long long[]){1, 2, 5, 5});
        Onnx__NodeProto *ap = mb_node(&b, "AveragePool", "pool", "x", "y");
        mb_attr_ints(&b, ap, "kernel_shape", 2, (const long long[]){k, k});
        mb_attr_ints(&b, ap, "strides", 2, (const long long[]){s, s});
        mb_attr_ints(&b, ap, "pads", 4, (const long long[]){pad, pad, pad, pad});
        mb_attr_i(&b, ap, "count_include_pad", inc);
        mb_output(&b, "y");
        double x[50], r[98], y[98];
        fill_rand(x, 50);
        ref_avgpool(x, 2, 5, 5, k, s, pad, inc, r, &OH, &OW);
        nnh_network *net = mb_load_ok(&b, 50, 1, 2 * OH * OW);
        mb_eval(net, x, y);
        expect_close(y, r, 2 * OH * OW, "avgpool");
        nnh_network_free(net);
        mb_free(&b);
    }
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 3, 2, 3});
    mb_node(&b, "GlobalAveragePool", "gap", "x", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 18, 1, 3);
    double x[18], y[3];
    for (int i = 0; i < 18; i++)
        x[i] = i;
    mb_eval(net, x, y);
    expect_close(y, (const double[]){2.5, 8.5, 14.5}, 3, "global average");
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- Pad ------------------------------------------------------------------------ */

START_TEST(test_pad_forms)
{
    const double x[6] = {1, 2, 3, 4, 5, 6}; /* [1,1,2,3] */
    /* opset 11: pads and constant_value inputs; one row above, two columns after */
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 2, 3});
    mb_init_t(&b, "pads", 1, (const long long[]){8}, (const double[]){0, 0, 1, 0, 0, 0, 0, 2},
              ST_I64);
    mb_init_t(&b, "cv", 0, NULL, (const double[]){0.5}, ST_FLOAT);
    mb_node(&b, "Pad", "pad", "x,pads,cv", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 6, 1, 15);
    double y[15];
    mb_eval(net, x, y);
    const double e1[15] = {.5, .5, .5, .5, .5, 1, 2, 3, .5, .5, 4, 5, 6, .5, .5};
    expect_close(y, e1, 15, "pad input form");
    nnh_network_free(net);
    mb_free(&b);
    /* opset 2: pads attribute; a negative pad crops the first column */
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 2, 3});
    Onnx__NodeProto *nd = mb_node(&b, "Pad", "pad", "x", "y");
    mb_attr_ints(&b, nd, "pads", 8, (const long long[]){0, 0, 0, -1, 0, 0, 0, 0});
    mb_output(&b, "y");
    net = mb_load_ok(&b, 6, 1, 4);
    mb_eval(net, x, y);
    expect_close(y, (const double[]){2, 3, 5, 6}, 4, "pad crop");
    nnh_network_free(net);
    mb_free(&b);
    /* opset 18: axes input */
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 2, 3});
    mb_init_t(&b, "pads", 1, (const long long[]){2}, (const double[]){1, 0}, ST_I64);
    mb_init_t(&b, "axes", 1, (const long long[]){1}, (const double[]){-1}, ST_I64);
    mb_node(&b, "Pad", "pad", "x,pads,,axes", "y");
    mb_output(&b, "y");
    net = mb_load_ok(&b, 6, 1, 8);
    mb_eval(net, x, y);
    expect_close(y, (const double[]){0, 1, 2, 3, 0, 4, 5, 6}, 8, "pad axes");
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- layout: Flatten of NCHW and Transpose --------------------------------------- */

START_TEST(test_flatten_transpose_layout)
{
    double x[12], y[12];
    for (int i = 0; i < 12; i++)
        x[i] = i;
    /* NCHW [1,2,2,3] -> NHWC -> Flatten: entry (h*3 + w)*2 + c is x[c][h][w] */
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 2, 2, 3});
    Onnx__NodeProto *tr = mb_node(&b, "Transpose", "nhwc", "x", "t");
    mb_attr_ints(&b, tr, "perm", 4, (const long long[]){0, 2, 3, 1});
    mb_node(&b, "Flatten", "flat", "t", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 12, 1, 12);
    mb_eval(net, x, y);
    for (int c = 0; c < 2; c++)
        for (int h = 0; h < 2; h++)
            for (int w = 0; w < 3; w++)
                ck_assert_double_eq(y[(h * 3 + w) * 2 + c], x[(c * 2 + h) * 3 + w]);
    nnh_network_free(net);
    mb_free(&b);
    /* Flatten of a conv output keeps the C,H,W order: a 1x1 identity conv then
     * Flatten reproduces the input exactly, and a Transpose that only moves a
     * unit axis is a no-op */
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 2, 2, 3});
    mb_init_t(&b, "K", 4, (const long long[]){2, 2, 1, 1}, (const double[]){1, 0, 0, 1},
              ST_FLOAT);
    mb_node(&b, "Conv", "conv", "x,K", "c");
    tr = mb_node(&b, "Transpose", "swap", "c", "t");
    mb_attr_ints(&b, tr, "perm", 4, (const long long[]){1, 0, 2, 3});
    Onnx__NodeProto *fl = mb_node(&b, "Flatten", "flat", "t", "y");
    mb_attr_i(&b, fl, "axis", 0);
    mb_output(&b, "y");
    net = mb_load_ok(&b, 12, 1, 12);
    mb_eval(net, x, y);
    expect_close(y, x, 12, "flatten of NCHW");
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- every kind of pending map before a lowered operator ----------------------- */

/* x [1,4] -> Mul (diag) -> Gemm [8] (dense) -> Reshape [1,2,2,2] -> Conv 2x2 pads 1
 * (dense then sparse) -> Conv 2x2 (sparse o sparse) -> Mul -> Flatten -> MatMul:
 * one affine layer. */
START_TEST(test_map_kinds_compose)
{
    double s[4], G[32], K1[16], K2[8], M[24], sc = 0.75;
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 2, (const long long[]){-1, 4});
    init_rand(&b, "s", 1, (const long long[]){4}, s);
    init_rand(&b, "G", 2, (const long long[]){4, 8}, G);
    init_rand(&b, "K1", 4, (const long long[]){2, 2, 2, 2}, K1);
    init_rand(&b, "K2", 4, (const long long[]){1, 2, 2, 2}, K2);
    init_rand(&b, "M", 2, (const long long[]){4, 6}, M);
    mb_init_t(&b, "sc", 0, NULL, &sc, ST_DOUBLE);
    mb_init_t(&b, "shape", 1, (const long long[]){4}, (const double[]){-1, 2, 2, 2}, ST_I64);
    mb_node(&b, "Mul", "scale", "x,s", "a");
    mb_node(&b, "Gemm", "fc", "a,G", "g");
    mb_node(&b, "Reshape", "rs", "g,shape", "img");
    Onnx__NodeProto *c1 = mb_node(&b, "Conv", "conv1", "img,K1", "c1");
    mb_attr_ints(&b, c1, "pads", 4, (const long long[]){1, 1, 1, 1});
    mb_node(&b, "Conv", "conv2", "c1,K2", "c2");
    mb_node(&b, "Mul", "half", "c2,sc", "c3");
    mb_node(&b, "Flatten", "flat", "c3", "f");
    mb_node(&b, "MatMul", "mm", "f,M", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 4, 1, 6);
    for (int rep = 0; rep < 5; rep++) {
        double x[4], a[4], g[8], gp[32], o1[18], o2[4], r[6], y[6];
        int OH, OW;
        fill_rand(x, 4);
        for (int i = 0; i < 4; i++)
            a[i] = x[i] * s[i];
        for (int j = 0; j < 8; j++) {
            g[j] = 0;
            for (int i = 0; i < 4; i++)
                g[j] += a[i] * G[i * 8 + j];
        }
        ref_pad(g, 2, 2, 2, 1, 1, 1, 1, 0.0, gp);
        conv_ref p1 = {2, 4, 4, 2, 2, 2, 1, 1, 1, 1, 1}, p2 = {2, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1};
        ref_conv(&p1, gp, K1, NULL, o1, &OH, &OW);
        ref_conv(&p2, o1, K2, NULL, o2, &OH, &OW);
        for (int j = 0; j < 6; j++) {
            r[j] = 0;
            for (int i = 0; i < 4; i++)
                r[j] += sc * o2[i] * M[i * 6 + j];
        }
        mb_eval(net, x, y);
        expect_close(y, r, 6, "map kinds");
    }
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- constant folding of dynamic-batch Reshape targets --------------------------- */

/* x [N,1,4,4] -> Conv 3x3 pads 1 (2 ch) -> Relu -> h; Reshape(h, target) -> Gemm,
 * with the target computed from Shape(h) in one of three ways. */
static void dynamic_model(mb *b, int form, double *K, double *W)
{
    mb_init(b);
    mb_input(b, "x", 4, (const long long[]){-1, 1, 4, 4});
    init_rand(b, "K", 4, (const long long[]){2, 1, 3, 3}, K);
    init_rand(b, "W", 2, (const long long[]){3, 32}, W);
    Onnx__NodeProto *c = mb_node(b, "Conv", "conv", "x,K", "c");
    mb_attr_ints(b, c, "pads", 4, (const long long[]){1, 1, 1, 1});
    mb_node(b, "Relu", "relu", "c", "h");
    mb_node(b, "Shape", "shape", "h", "s");
    Onnx__NodeProto *k0 = mb_node(b, "Constant", "k0", NULL, "zero");
    mb_attr_t(b, k0, "value", mb_tensor(b, NULL, 0, NULL, (const double[]){0}, ST_I64));
    mb_init_t(b, "axes", 1, (const long long[]){1}, (const double[]){0}, ST_I64);
    mb_init_t(b, "m1", 1, (const long long[]){1}, (const double[]){-1}, ST_I64);
    if (form == 0) { /* PyTorch x.view(x.size(0), -1) */
        mb_node(b, "Gather", "gather", "s,zero", "g");
        mb_node(b, "Unsqueeze", "unsq", "g,axes", "u");
        Onnx__NodeProto *cat = mb_node(b, "Concat", "cat", "u,m1", "t0");
        mb_attr_i(b, cat, "axis", 0);
        Onnx__NodeProto *cast = mb_node(b, "Cast", "cast", "t0", "t");
        mb_attr_i(b, cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    } else if (form == 1) { /* [N, (C*H*W + 1) / 2 * 2] with integer Div */
        mb_init_t(b, "i1", 0, NULL, (const double[]){1}, ST_I64);
        mb_init_t(b, "i2", 0, NULL, (const double[]){2}, ST_I64);
        mb_init_t(b, "i3", 0, NULL, (const double[]){3}, ST_I64);
        mb_init_t(b, "two", 0, NULL, (const double[]){2}, ST_I64);
        mb_node(b, "Gather", "g1", "s,i1", "d1");
        mb_node(b, "Gather", "g2", "s,i2", "d2");
        mb_node(b, "Gather", "g3", "s,i3", "d3");
        mb_node(b, "Mul", "m12", "d1,d2", "p12");
        mb_node(b, "Mul", "m123", "p12,d3", "chw");
        mb_node(b, "Add", "plus1", "chw,i1", "c1");
        mb_node(b, "Div", "half", "c1,two", "hv");
        mb_node(b, "Mul", "twice", "hv,two", "even");
        mb_node(b, "Unsqueeze", "unsq", "even,axes", "u");
        mb_node(b, "Slice", "first", "s,axes,i1", "n");
        Onnx__NodeProto *cat = mb_node(b, "Concat", "cat", "n,u", "t");
        mb_attr_i(b, cat, "axis", -1);
    } else { /* Slice of the shape, attribute form (opset 1) */
        Onnx__NodeProto *sl = mb_node(b, "Slice", "first", "s", "n");
        mb_attr_ints(b, sl, "starts", 1, (const long long[]){0});
        mb_attr_ints(b, sl, "ends", 1, (const long long[]){1});
        Onnx__NodeProto *cat = mb_node(b, "Concat", "cat", "n,m1", "t");
        mb_attr_i(b, cat, "axis", 0);
    }
    mb_node(b, "Reshape", "reshape", "h,t", "f");
    Onnx__NodeProto *g = mb_node(b, "Gemm", "fc", "f,W", "y");
    mb_attr_i(b, g, "transB", 1);
    mb_output(b, "y");
}

START_TEST(test_dynamic_reshape_folded)
{
    for (int form = 0; form < 3; form++) {
        double K[18], W[96];
        mb b;
        dynamic_model(&b, form, K, W);
        nnh_network *net = mb_load_ok(&b, 16, 2, 3);
        ck_assert_int_eq(net->layers[0].n_out, 32);
        double x[16], xp[36], c[32], r[3], y[3];
        int OH, OW;
        fill_rand(x, 16);
        ref_pad(x, 1, 4, 4, 1, 1, 1, 1, 0.0, xp);
        conv_ref p = {1, 6, 6, 2, 3, 3, 1, 1, 1, 1, 1};
        ref_conv(&p, xp, K, NULL, c, &OH, &OW);
        relu(c, 32);
        ref_dense(W, NULL, 3, 32, c, r);
        mb_eval(net, x, y);
        expect_close(y, r, 3, "dynamic reshape");
        nnh_network_free(net);
        mb_free(&b);
    }
}
END_TEST

/* torch.nn.ZeroPad2d as PyTorch exports it: the pads vector is computed from
 * ConstantOfShape, Concat, Reshape, a reversing Slice, Transpose and Cast. */
START_TEST(test_torch_pad_subgraph)
{
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){-1, 1, 2, 2});
    mb_init_t(&b, "four", 1, (const long long[]){1}, (const double[]){4}, ST_I64);
    mb_init_t(&b, "ones", 1, (const long long[]){4}, (const double[]){1, 1, 2, 1}, ST_I64);
    mb_init_t(&b, "pairs", 1, (const long long[]){2}, (const double[]){-1, 2}, ST_I64);
    mb_init_t(&b, "flat", 1, (const long long[]){1}, (const double[]){-1}, ST_I64);
    mb_init_t(&b, "st", 1, (const long long[]){1}, (const double[]){-1}, ST_I64);
    mb_init_t(&b, "en", 1, (const long long[]){1}, (const double[]){-9.2e18}, ST_I64);
    mb_init_t(&b, "ax", 1, (const long long[]){1}, (const double[]){0}, ST_I64);
    mb_init_t(&b, "step", 1, (const long long[]){1}, (const double[]){-1}, ST_I64);
    Onnx__NodeProto *cs = mb_node(&b, "ConstantOfShape", "zeros", "four", "z");
    mb_attr_t(&b, cs, "value", mb_tensor(&b, NULL, 1, (const long long[]){1},
                                         (const double[]){0}, ST_I64));
    mb_attr_i(&b, mb_node(&b, "Concat", "cat", "ones,z", "c"), "axis", 0);
    mb_node(&b, "Reshape", "rs", "c,pairs", "r");           /* [[1,1],[2,1],[0,0],[0,0]] */
    mb_node(&b, "Slice", "rev", "r,st,en,ax,step", "v");   /* rows reversed */
    mb_attr_ints(&b, mb_node(&b, "Transpose", "tr", "v", "t"), "perm", 2,
                 (const long long[]){1, 0});                /* [[0,0,2,1],[0,0,1,1]] */
    mb_node(&b, "Reshape", "rs2", "t,flat", "p");
    mb_attr_i(&b, mb_node(&b, "Cast", "cast", "p", "pads"), "to",
              ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
    mb_node(&b, "Pad", "pad", "x,pads", "y"); /* H: 2 before, 1 after; W: 1 and 1 */
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 4, 1, 20);
    double y[20];
    mb_eval(net, (const double[]){1, 2, 3, 4}, y);
    const double e[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0};
    expect_close(y, e, 20, "torch pad");
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- MATLAB-style MLP: every dense layer is a whole-input Conv ------------------ */

START_TEST(test_matlab_style_mlp)
{
    double mean[5], W1[20], B1[4], W2[12], B2[3];
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 1, 5});
    init_rand(&b, "mean", 4, (const long long[]){1, 1, 1, 5}, mean);
    init_rand(&b, "W1", 4, (const long long[]){4, 1, 1, 5}, W1);
    init_rand(&b, "B1", 1, (const long long[]){4}, B1);
    init_rand(&b, "W2", 4, (const long long[]){3, 4, 1, 1}, W2);
    init_rand(&b, "B2", 1, (const long long[]){3}, B2);
    mb_node(&b, "Sub", "norm", "x,mean", "a");
    mb_node(&b, "Conv", "fc_1", "a,W1,B1", "h1");
    mb_node(&b, "Relu", "relu_1", "h1", "r1");
    mb_node(&b, "Conv", "fc_2", "r1,W2,B2", "h2");
    mb_node(&b, "Flatten", "flat", "h2", "f");
    mb_node(&b, "Softmax", "softmax", "f", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'softmax'", "--strip-softmax", NULL);
    nnh_network *net = NULL;
    nnh_error err;
    ck_assert_int_eq(mb_load(&b, 1, &net, &err), 0);
    ck_assert_int_eq(net->n_inputs, 5);
    ck_assert_int_eq(net->n_layers, 2);
    ck_assert_int_eq(nnh_network_n_outputs(net), 3);
    ck_assert_int_eq(net->softmax_stripped, 1);
    for (int rep = 0; rep < 5; rep++) {
        double x[5], a[5], h[4], r[3], y[3];
        fill_rand(x, 5);
        for (int i = 0; i < 5; i++)
            a[i] = x[i] - mean[i];
        ref_dense(W1, B1, 4, 5, a, h);
        relu(h, 4);
        ref_dense(W2, B2, 3, 4, h, r);
        mb_eval(net, x, y);
        expect_close(y, r, 3, "matlab mlp");
    }
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- refusals: unsupported graphs name the node, its op and the reason ----------- */

/* x [1,1,3,3] -> Conv 1x1 -> Relu -> then one node under test reading "r". */
static Onnx__NodeProto *refusal_model(mb *b, const char *op, const char *ins)
{
    mb_init(b);
    mb_input(b, "x", 4, (const long long[]){1, 1, 3, 3});
    mb_init_t(b, "K", 4, (const long long[]){1, 1, 1, 1}, (const double[]){2}, ST_FLOAT);
    mb_init_t(b, "c", 1, (const long long[]){1}, (const double[]){1}, ST_FLOAT);
    mb_node(b, "Conv", "conv", "x,K", "h");
    mb_node(b, "Relu", "relu", "h", "r");
    Onnx__NodeProto *nd = mb_node(b, op, "under_test", ins, "y");
    mb_output(b, "y");
    return nd;
}

START_TEST(test_refusals_name_the_node)
{
    mb b;
    refusal_model(&b, "Add", "r,x"); /* a residual connection */
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op Add)", "residual", NULL);
    mb_free(&b);
    refusal_model(&b, "Mul", "r,r");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op Mul)", "more than one operand", NULL);
    mb_free(&b);
    Onnx__NodeProto *nd = refusal_model(&b, "GlobalMaxPool", "r");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op GlobalMaxPool)", "max pooling", NULL);
    mb_free(&b);
    nd = refusal_model(&b, "BatchNormalization", "r,c,c,c,c");
    mb_attr_i(&b, nd, "training_mode", 1);
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test'", "training mode", NULL);
    mb_free(&b);
    nd = refusal_model(&b, "AveragePool", "r");
    mb_attr_ints(&b, nd, "kernel_shape", 2, (const long long[]){2, 2});
    mb_attr_ints(&b, nd, "strides", 2, (const long long[]){2, 2});
    mb_attr_i(&b, nd, "ceil_mode", 1);
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op AveragePool)", "ceil_mode", NULL);
    mb_free(&b);
    nd = refusal_model(&b, "Pad", "r");
    mb_attr_ints(&b, nd, "pads", 8, (const long long[]){0, 0, 1, 1, 0, 0, 1, 1});
    mb_attr_s(&b, nd, "mode", "reflect");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op Pad)", "'reflect'", NULL);
    mb_free(&b);
    refusal_model(&b, "Conv", "r,r");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op Conv)", "more than one operand", NULL);
    mb_free(&b);
    refusal_model(&b, "Sqrt", "c"); /* a computation on constants the folder lacks */
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'under_test' (op Sqrt)", "folds only", NULL);
    mb_free(&b);
    /* 3-D convolution and a batch of two */
    const long long in5[5] = {1, 1, 2, 2, 2}, in4[4] = {2, 1, 3, 3};
    for (int c = 0; c < 2; c++) {
        mb_init(&b);
        mb_input(&b, "x", c ? 4 : 5, c ? in4 : in5);
        mb_init_t(&b, "K", c ? 4 : 5, (const long long[]){1, 1, 1, 1, 1}, (const double[]){2},
                  ST_FLOAT);
        mb_node(&b, "Conv", "conv", "x,K", "y");
        mb_output(&b, "y");
        mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'conv' (op Conv)", "batch 1", NULL);
        mb_free(&b);
    }
}
END_TEST

/* ---- size limit -------------------------------------------------------------------- */

/* A 512x512 convolution would be a 262144 x 262144 dense matrix (far above
 * the dense limit): it loads as a sparse layer of 262144 weights instead. */
START_TEST(test_big_conv_stays_sparse)
{
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, (const long long[]){1, 1, 512, 512});
    mb_init_t(&b, "K", 4, (const long long[]){1, 1, 1, 1}, (const double[]){2}, ST_FLOAT);
    mb_node(&b, "Conv", "conv", "x,K", "c");
    mb_node(&b, "Relu", "relu", "c", "y");
    mb_output(&b, "y");
    nnh_network *net = NULL;
    nnh_error err;
    ck_assert_int_eq(mb_load(&b, 0, &net, &err), 0);
    ck_assert_int_eq(net->n_layers, 1);
    const nnh_layer *L = &net->layers[0];
    ck_assert_ptr_null(L->W);
    ck_assert_uint_eq(nnh_layer_nnz(L), 262144);
    double *x = malloc(2 * 262144 * sizeof(double)), *y = x + 262144;
    for (int i = 0; i < 262144; i++)
        x[i] = (i % 7) - 3.0;
    ck_assert_int_eq(nnh_network_eval(net, x, y, NULL), 0);
    for (int i = 0; i < 262144; i++)
        ck_assert(y[i] == (x[i] > 0 ? 2 * x[i] : 0.0));
    free(x);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- malformed Conv nodes and folded subgraphs: clear errors, no crash ------------ */

typedef enum {
    BAD_KERNEL_CHANNELS, BAD_KERNEL_RANK, BAD_PADS_COUNT, BAD_PADS_NEGATIVE, BAD_KERNEL_TOO_BIG,
    BAD_BIAS, BAD_KERNEL_SHAPE_ATTR, BAD_STRIDE_ZERO, BAD_AUTO_PAD, BAD_RAW_DATA, BAD_GROUP,
    BAD_N
} bad_conv;

static void bad_conv_model(mb *b, bad_conv k)
{
    const double K[54] = {0};
    long long kd[4] = {2, 1, 3, 3};
    mb_init(b);
    mb_input(b, "x", 4, (const long long[]){1, 1, 4, 4});
    if (k == BAD_KERNEL_CHANNELS)
        kd[1] = 3;
    if (k == BAD_KERNEL_TOO_BIG)
        kd[2] = 6;
    Onnx__TensorProto *t = mb_init_t(b, "K", k == BAD_KERNEL_RANK ? 3 : 4, kd, K, ST_RAW_F);
    if (k == BAD_RAW_DATA)
        t->raw_data.len -= 4;
    mb_init_t(b, "B", 1, (const long long[]){k == BAD_BIAS ? 3 : 2}, K, ST_FLOAT);
    Onnx__NodeProto *nd = mb_node(b, "Conv", "bad_conv", "x,K,B", "y");
    if (k == BAD_PADS_COUNT)
        mb_attr_ints(b, nd, "pads", 3, (const long long[]){1, 1, 1});
    if (k == BAD_PADS_NEGATIVE)
        mb_attr_ints(b, nd, "pads", 4, (const long long[]){1, -1, 1, 1});
    if (k == BAD_KERNEL_SHAPE_ATTR)
        mb_attr_ints(b, nd, "kernel_shape", 2, (const long long[]){2, 3});
    if (k == BAD_STRIDE_ZERO)
        mb_attr_ints(b, nd, "strides", 2, (const long long[]){0, 1});
    if (k == BAD_AUTO_PAD)
        mb_attr_s(b, nd, "auto_pad", "SAME_MIDDLE");
    if (k == BAD_GROUP)
        mb_attr_i(b, nd, "group", 3);
    mb_output(b, "y");
}

START_TEST(test_malformed_conv)
{
    const char *needle[BAD_N] = {"does not fit an input", "does not fit an input",
                                 "pads must be 4", "pads must be 4", "does not fit an input of 4",
                                 "bias has 3 entries", "kernel_shape does not match",
                                 "strides has an invalid entry 0", "unknown auto_pad",
                                 "initializer 'K'", "does not fit an input"};
    for (int k = 0; k < BAD_N; k++) {
        mb b;
        bad_conv_model(&b, (bad_conv)k);
        mb_load_fails(&b, 0, NNH_EPARSE, k == BAD_RAW_DATA ? NULL : "'bad_conv' (op Conv)",
                      needle[k], NULL);
        mb_free(&b);
    }
    /* folding errors: an index out of range and mismatched Concat inputs */
    for (int c = 0; c < 2; c++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 4, (const long long[]){-1, 1, 2, 2});
        mb_node(&b, "Shape", "shape", "x", "s");
        mb_init_t(&b, "i", 0, NULL, (const double[]){7}, ST_I64);
        mb_init_t(&b, "m", 2, (const long long[]){1, 1}, (const double[]){-1}, ST_I64);
        if (c == 0)
            mb_node(&b, "Gather", "bad_fold", "s,i", "t");
        else
            mb_attr_i(&b, mb_node(&b, "Concat", "bad_fold", "s,m", "t"), "axis", 0);
        mb_node(&b, "Reshape", "reshape", "x,t", "y");
        mb_output(&b, "y");
        mb_load_fails(&b, 0, NNH_EPARSE, "'bad_fold'", c ? "does not match" : "out of range",
                      NULL);
        mb_free(&b);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("onnx_conv");
    TCase *tc = tcase_create("conv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_conv_matches_direct);
    tcase_add_test(tc, test_cnn_chain);
    tcase_add_test(tc, test_batchnorm_after_activation);
    tcase_add_test(tc, test_avgpool_literal);
    tcase_add_test(tc, test_avgpool_random_and_global);
    tcase_add_test(tc, test_pad_forms);
    tcase_add_test(tc, test_flatten_transpose_layout);
    tcase_add_test(tc, test_map_kinds_compose);
    tcase_add_test(tc, test_dynamic_reshape_folded);
    tcase_add_test(tc, test_torch_pad_subgraph);
    tcase_add_test(tc, test_matlab_style_mlp);
    tcase_add_test(tc, test_refusals_name_the_node);
    tcase_add_test(tc, test_big_conv_stays_sparse);
    tcase_add_test(tc, test_malformed_conv);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
