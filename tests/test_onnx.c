/* Tests of the ONNX reader: tiny models built with the protobuf-c structs and
 * packed in memory (every supported operator form, storage variant and error
 * path, truncated and corrupted buffers), then the real networks in ../shared/data. */
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"
#include "onnx/onnx.pb-c.h"
#include "onnx_builder.h"

#include <glob.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const long long D1x2[2] = {1, 2}, D1x3[2] = {1, 3}, D2[1] = {2}, D2x2[2] = {2, 2};

/* ---- affine operators ----------------------------------------------------- */

START_TEST(test_gemm_attributes)
{
    const double Bkn[3][2] = {{1, -2}, {0.5, 3}, {-1, 0.25}}, C[2] = {0.5, -1.5};
    const double xs[3][3] = {{1, 2, 3}, {-0.5, 0.25, 4}, {0, 0, 0}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int cs = 0; cs < 4; cs++) {
                mb b;
                mb_init(&b);
                long long in[2] = {ta ? 3 : 1, ta ? 1 : 3}, bd[2] = {tb ? 2 : 3, tb ? 3 : 2};
                double Bv[6], cv[2] = {C[0], cs == 1 ? C[0] : C[1]};
                for (int k = 0; k < 3; k++)
                    for (int n = 0; n < 2; n++)
                        Bv[tb ? n * 3 + k : k * 2 + n] = Bkn[k][n];
                mb_input(&b, "x", 2, in);
                mb_init_t(&b, "B", 2, bd, Bv, ST_RAW_F);
                if (cs == 1)
                    mb_init_t(&b, "C", 0, NULL, cv, ST_FLOAT);
                else if (cs == 2)
                    mb_init_t(&b, "C", 1, D2, cv, ST_FLOAT);
                else if (cs == 3)
                    mb_init_t(&b, "C", 2, D1x2, cv, ST_RAW_F);
                Onnx__NodeProto *g = mb_node(&b, "Gemm", "gemm", cs ? "x,B,C" : "x,B", "y");
                mb_attr_f(&b, g, "alpha", 0.5f);
                mb_attr_f(&b, g, "beta", 2.0f);
                mb_attr_i(&b, g, "transA", ta);
                mb_attr_i(&b, g, "transB", tb);
                mb_output(&b, "y");
                nnh_network *net = mb_load_ok(&b, 3, 1, 2);
                for (int s = 0; s < 3; s++) {
                    double y[2];
                    mb_eval(net, xs[s], y);
                    for (int n = 0; n < 2; n++) {
                        double e = cs ? 2.0 * cv[n] : 0.0;
                        for (int k = 0; k < 3; k++)
                            e += 0.5 * xs[s][k] * Bkn[k][n];
                        ck_assert_double_eq_tol(y[n], e, 1e-12);
                    }
                }
                nnh_network_free(net);
                mb_free(&b);
            }
}
END_TEST

START_TEST(test_gemm_literal_and_variable_b)
{
    /* y = A x as Gemm(A, x) with x a column [3,1]: A = [[1,2,3],[4,5,6]], C = [1, -1] */
    mb b;
    mb_init(&b);
    long long in[2] = {3, 1}, ad[2] = {2, 3}, cd[2] = {2, 1};
    double A[6] = {1, 2, 3, 4, 5, 6}, C[2] = {1, -1};
    mb_input(&b, "x", 2, in);
    mb_init_t(&b, "A", 2, ad, A, ST_FLOAT);
    mb_init_t(&b, "C", 2, cd, C, ST_FLOAT);
    mb_node(&b, "Gemm", "g", "A,x,C", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 3, 1, 2);
    double x[3] = {1, -1, 2}, y[2];
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], 1 - 2 + 6 + 1, 1e-12);
    ck_assert_double_eq_tol(y[1], 4 - 5 + 12 - 1, 1e-12);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

START_TEST(test_matmul_both_sides)
{
    const double W[6] = {1, 2, 3, 4, 5, 6}, bias[2] = {0.5, -1};
    const long long wd[2] = {3, 2}, wtd[2] = {2, 3}, in1[1] = {3};
    const double Wt[6] = {1, 3, 5, 2, 4, 6}, x[3] = {1, -1, 2};
    /* MatMul(x, W) then Add(bias, m): xW = [8, 10] */
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 2, D1x3);
    mb_init_t(&b, "W", 2, wd, W, ST_RAW_F);
    mb_init_t(&b, "bias", 1, D2, bias, ST_RAW_F);
    mb_node(&b, "MatMul", "mm", "x,W", "m");
    mb_node(&b, "Add", "add", "bias,m", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 3, 1, 2);
    double y[2];
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], 8.5, 1e-12);
    ck_assert_double_eq_tol(y[1], 9.0, 1e-12);
    nnh_network_free(net);
    mb_free(&b);
    /* MatMul(W^T, x) with a 1-D input, Add(m, bias), Relu */
    mb_init(&b);
    mb_input(&b, "x", 1, in1);
    mb_init_t(&b, "Wt", 2, wtd, Wt, ST_FLOAT);
    mb_init_t(&b, "bias", 1, D2, bias, ST_FLOAT);
    mb_node(&b, "MatMul", "mm", "Wt,x", "m");
    mb_node(&b, "Add", "add", "m,bias", "h");
    mb_node(&b, "Relu", "r", "h", "y");
    mb_output(&b, "y");
    net = mb_load_ok(&b, 3, 1, 2);
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_RELU);
    double xn[3] = {-1, 1, -2};
    mb_eval(net, xn, y);
    ck_assert_double_eq_tol(y[0], 0.0, 1e-12); /* -8 + 0.5 < 0 */
    ck_assert_double_eq_tol(y[1], 0.0, 1e-12);
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], 8.5, 1e-12);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

START_TEST(test_matmul_chain_folds)
{
    /* MatMul without Add (zero bias), then a second MatMul: one affine layer
     * equal to the product, as in tanh_test.onnx */
    const double W1[4] = {1, 2, -1, 0.5}, W2[6] = {1, 0, 2, -1, 1, 3};
    const long long d1[2] = {2, 2}, d2[2] = {2, 3};
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_init_t(&b, "W1", 2, d1, W1, ST_RAW_F);
    mb_init_t(&b, "W2", 2, d2, W2, ST_RAW_F);
    mb_node(&b, "MatMul", "m1", "x,W1", "h");
    mb_node(&b, "MatMul", "m2", "h,W2", "z");
    mb_node(&b, "Tanh", "t", "z", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 2, 1, 3);
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_TANH);
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq(net->layers[0].b[i], 0.0);
    double x[2] = {0.3, -0.7}, y[3];
    mb_eval(net, x, y);
    double h[2] = {x[0] * W1[0] + x[1] * W1[2], x[0] * W1[1] + x[1] * W1[3]};
    for (int n = 0; n < 3; n++)
        ck_assert_double_eq_tol(y[n], tanh(h[0] * W2[n] + h[1] * W2[3 + n]), 1e-12);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* Sub/Div normalisation on the input, Flatten, Gemm, Relu, then Mul/Add/Sub
 * by constants on the hidden values (constant on either side), MatMul. */
START_TEST(test_normalisation_folding)
{
    const long long in[4] = {-1, 1, 2, 2}, sd[4] = {1, 1, 2, 2}, one[4] = {1, 1, 1, 1};
    const long long wd[2] = {3, 4}, w2d[2] = {3, 1}, bd[1] = {3};
    const double mean = 0.5, sdv[4] = {2, 4, 0.5, 1}, two = 2, ten = 10;
    const double W[12] = {1, -1, 0.5, 2, 0, 1, 1, -1, -2, 0.25, 1, 1}, B[3] = {0.5, -0.5, 1};
    const double W2[3] = {1, -2, 0.5};
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, in);
    mb_init_t(&b, "mean", 4, one, &mean, ST_RAW_F);
    mb_init_t(&b, "std", 4, sd, sdv, ST_RAW_F);
    mb_init_t(&b, "W", 2, wd, W, ST_RAW_F);
    mb_init_t(&b, "B", 1, bd, B, ST_RAW_F);
    mb_init_t(&b, "two", 0, NULL, &two, ST_FLOAT);
    mb_init_t(&b, "ten", 0, NULL, &ten, ST_FLOAT);
    mb_init_t(&b, "W2", 2, w2d, W2, ST_RAW_F);
    mb_node(&b, "Sub", "sub", "x,mean", "a");
    mb_node(&b, "Div", "div", "a,std", "c");
    Onnx__NodeProto *fl = mb_node(&b, "Flatten", "flat", "c", "f");
    mb_attr_i(&b, fl, "axis", 1);
    Onnx__NodeProto *g = mb_node(&b, "Gemm", "gemm", "f,W,B", "z");
    mb_attr_i(&b, g, "transB", 1);
    mb_node(&b, "Relu", "relu", "z", "h");
    mb_node(&b, "Mul", "mul", "two,h", "h2");
    mb_node(&b, "Add", "add", "h2,two", "h3");
    mb_node(&b, "Sub", "rsub", "ten,h3", "h4");
    mb_node(&b, "MatMul", "out", "h4,W2", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 4, 2, 1);
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_RELU);
    ck_assert_int_eq(net->layers[1].act.kind, NNH_ACT_IDENTITY);
    unsigned long long st = 3;
    for (int s = 0; s < 20; s++) {
        double x[4], y, h[3], e = 0;
        for (int j = 0; j < 4; j++)
            x[j] = 4 * nnh_test_rand(&st) - 2;
        mb_eval(net, x, &y);
        for (int i = 0; i < 3; i++) {
            double z = B[i];
            for (int j = 0; j < 4; j++)
                z += W[i * 4 + j] * (x[j] - mean) / sdv[j];
            h[i] = 10 - (2 * fmax(z, 0) + 2);
            e += W2[i] * h[i];
        }
        ck_assert_double_eq_tol(y, e, 1e-12);
    }
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- activations ---------------------------------------------------------- */

typedef struct act_case {
    const char *op;
    int n_attr;
    const char *an[2];
    float av[2];
    nnh_act_kind kind;
    double alpha, lambda;
} act_case;

static double act_ref(const act_case *c, double z)
{
    switch (c->kind) {
    case NNH_ACT_RELU: return z > 0 ? z : 0;
    case NNH_ACT_LEAKY_RELU: return z >= 0 ? z : c->alpha * z;
    case NNH_ACT_SIGMOID: return 1 / (1 + exp(-z));
    case NNH_ACT_TANH: return tanh(z);
    case NNH_ACT_SOFTPLUS: return log1p(exp(z));
    case NNH_ACT_ELU: return z >= 0 ? z : c->alpha * expm1(z);
    case NNH_ACT_SELU: return c->lambda * (z >= 0 ? z : c->alpha * expm1(z));
    default: return z;
    }
}

START_TEST(test_activations_with_parameters)
{
    const act_case cases[] = {
        {"Relu", 0, {0}, {0}, NNH_ACT_RELU, 0, 0},
        {"LeakyRelu", 1, {"alpha"}, {0.2f}, NNH_ACT_LEAKY_RELU, (double)0.2f, 0},
        {"LeakyRelu", 0, {0}, {0}, NNH_ACT_LEAKY_RELU, 0.01, 0},
        {"Sigmoid", 0, {0}, {0}, NNH_ACT_SIGMOID, 0, 0},
        {"Tanh", 0, {0}, {0}, NNH_ACT_TANH, 0, 0},
        {"Softplus", 0, {0}, {0}, NNH_ACT_SOFTPLUS, 0, 0},
        {"Elu", 1, {"alpha"}, {0.5f}, NNH_ACT_ELU, 0.5, 0},
        {"Elu", 0, {0}, {0}, NNH_ACT_ELU, 1.0, 0},
        {"Selu", 2, {"alpha", "gamma"}, {1.5f, 1.25f}, NNH_ACT_SELU, 1.5, 1.25},
        {"Selu", 0, {0}, {0}, NNH_ACT_SELU, NNH_SELU_ALPHA, NNH_SELU_LAMBDA},
    };
    const double W[4] = {1, 0.5, -2, 1};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 2, D1x2);
        mb_init_t(&b, "W", 2, D2x2, W, ST_RAW_F);
        mb_node(&b, "MatMul", "mm", "x,W", "z");
        Onnx__NodeProto *a = mb_node(&b, cases[c].op, "act", "z", "y");
        for (int k = 0; k < cases[c].n_attr; k++)
            mb_attr_f(&b, a, cases[c].an[k], cases[c].av[k]);
        mb_output(&b, "y");
        nnh_network *net = mb_load_ok(&b, 2, 1, 2);
        const nnh_activation *act = &net->layers[0].act;
        ck_assert_int_eq(act->kind, cases[c].kind);
        if (cases[c].kind >= NNH_ACT_LEAKY_RELU && cases[c].kind != NNH_ACT_SIGMOID &&
            cases[c].kind != NNH_ACT_TANH && cases[c].kind != NNH_ACT_SOFTPLUS)
            ck_assert_double_eq_tol(act->alpha, cases[c].alpha, 1e-15);
        if (cases[c].kind == NNH_ACT_SELU)
            ck_assert_double_eq_tol(act->lambda, cases[c].lambda, 1e-15);
        for (double t = -3; t <= 3; t += 0.75) {
            double x[2] = {t, 0.5 - t}, y[2];
            mb_eval(net, x, y);
            ck_assert_double_eq_tol(y[0], act_ref(&cases[c], x[0] - 2 * x[1]), 1e-12);
            ck_assert_double_eq_tol(y[1], act_ref(&cases[c], 0.5 * x[0] + x[1]), 1e-12);
        }
        nnh_network_free(net);
        mb_free(&b);
    }
}
END_TEST

START_TEST(test_activation_parameters_rejected)
{
    const char *ops[3] = {"LeakyRelu", "LeakyRelu", "Elu"};
    const float alpha[3] = {2.0f, -0.5f, -1.0f};
    for (int c = 0; c < 3; c++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 2, D1x2);
        Onnx__NodeProto *a = mb_node(&b, ops[c], "bad_act", "x", "y");
        mb_attr_f(&b, a, "alpha", alpha[c]);
        mb_output(&b, "y");
        mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'bad_act'", ops[c], "alpha");
        mb_free(&b);
    }
}
END_TEST

START_TEST(test_activation_on_input_and_output)
{
    /* Relu directly on the input, then Sigmoid right after it: identity
     * weights, two layers; an Add after the last activation adds a layer */
    mb b;
    mb_init(&b);
    const double one = 1;
    mb_input(&b, "x", 2, D1x2);
    mb_init_t(&b, "one", 0, NULL, &one, ST_RAW_F);
    mb_node(&b, "Relu", "r", "x", "a");
    mb_node(&b, "Sigmoid", "s", "a", "c");
    mb_node(&b, "Add", "add", "c,one", "y");
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 2, 3, 2);
    double x[2] = {-1, 2}, y[2];
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], 1.5, 1e-12);
    ck_assert_double_eq_tol(y[1], 1 + 1 / (1 + exp(-2.0)), 1e-12);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

/* ---- storage variants ------------------------------------------------------ */

START_TEST(test_float_raw_double_storage)
{
    const double W[4] = {0.1, -0.2, 0.3, 1.0 / 3.0}, B[2] = {0.7, -0.9};
    const int st[4] = {ST_FLOAT, ST_RAW_F, ST_DOUBLE, ST_RAW_D};
    for (int s = 0; s < 4; s++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 2, D1x2);
        mb_init_t(&b, "W", 2, D2x2, W, st[s]);
        mb_init_t(&b, "B", 1, D2, B, st[s]);
        mb_node(&b, "Gemm", "g", "x,W,B", "y");
        mb_output(&b, "y");
        nnh_network *net = mb_load_ok(&b, 2, 1, 2);
        int dbl = st[s] == ST_DOUBLE || st[s] == ST_RAW_D;
        /* Gemm without transB: layer row i is column i of W */
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                double w = W[j * 2 + i];
                ck_assert_double_eq(net->layers[0].W[i * 2 + j], dbl ? w : (double)(float)w);
            }
            ck_assert_double_eq(net->layers[0].b[i], dbl ? B[i] : (double)(float)B[i]);
        }
        nnh_network_free(net);
        mb_free(&b);
    }
}
END_TEST

/* ---- Softmax ------------------------------------------------------------- */

static void softmax_model(mb *b, int trailing_op)
{
    const double W[4] = {1, 2, 3, 4};
    mb_init(b);
    mb_input(b, "x", 2, D1x2);
    mb_init_t(b, "W", 2, D2x2, W, ST_RAW_F);
    mb_node(b, "MatMul", "mm", "x,W", "z");
    Onnx__NodeProto *sm = mb_node(b, "Softmax", "sm", "z", trailing_op ? "p" : "y");
    mb_attr_i(b, sm, "axis", 1);
    if (trailing_op == 1)
        mb_node(b, "Identity", "id", "p", "y");
    if (trailing_op == 2)
        mb_node(b, "MatMul", "after", "p,W", "y");
    mb_output(b, "y");
}

START_TEST(test_softmax_refused_and_stripped)
{
    mb b;
    softmax_model(&b, 0);
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'sm'", "Softmax", "--strip-softmax");
    nnh_network *net = NULL;
    nnh_error err;
    ck_assert_int_eq(mb_load(&b, 1, &net, &err), 0);
    ck_assert_int_eq(net->softmax_stripped, 1);
    ck_assert_int_eq(net->n_layers, 1);
    double x[2] = {1, -1}, y[2];
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], -2, 1e-12); /* logits x W, not probabilities */
    ck_assert_double_eq_tol(y[1], -2, 1e-12);
    nnh_network_free(net);
    mb_free(&b);
    softmax_model(&b, 1); /* Softmax then Identity: still trailing */
    ck_assert_int_eq(mb_load(&b, 1, &net, &err), 0);
    ck_assert_int_eq(net->softmax_stripped, 1);
    nnh_network_free(net);
    mb_free(&b);
    softmax_model(&b, 2); /* Softmax in the middle: never dropped */
    mb_load_fails(&b, 1, NNH_EUNSUPPORTED, "'after'", "trailing", "'sm'");
    mb_free(&b);
}
END_TEST

/* ---- unsupported graphs ---------------------------------------------------- */

START_TEST(test_unsupported_op_named)
{
    const long long in[4] = {1, 1, 2, 2};
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, in);
    Onnx__NodeProto *mp = mb_node(&b, "MaxPool", "pool_3", "x", "c");
    mb_attr_ints(&b, mp, "kernel_shape", 2, (const long long[]){2, 2});
    mb_node(&b, "Relu", "r", "c", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "node 'pool_3' (op MaxPool) is not supported",
                  "max pooling", NULL);
    mb_free(&b);
    /* an operator nnhull does not know at all */
    mb_init(&b);
    mb_input(&b, "x", 4, in);
    mb_node(&b, "Einsum", "ein", "x", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "node 'ein' (op Einsum)", "affine operators", NULL);
    mb_free(&b);
}
END_TEST

START_TEST(test_two_variable_operands)
{
    const char *ops[3] = {"MatMul", "Add", "Mul"};
    for (int c = 0; c < 3; c++) {
        mb b;
        mb_init(&b);
        mb_input(&b, "x", 2, D1x2);
        mb_node(&b, "Relu", "r", "x", "h");
        mb_node(&b, ops[c], "both", "h,h", "y");
        mb_output(&b, "y");
        mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'both'", ops[c], "more than one operand");
        mb_free(&b);
    }
    /* a branch: x feeds two nodes that are added back together */
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_node(&b, "Relu", "r1", "x", "a");
    mb_node(&b, "Sigmoid", "r2", "x", "c");
    mb_node(&b, "Add", "join", "a,c", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "branches", NULL, NULL);
    mb_free(&b);
    /* two network inputs */
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_input(&b, "x2", 2, D1x2);
    mb_node(&b, "Add", "add", "x,x2", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "2 inputs", NULL, NULL);
    mb_free(&b);
    /* Div by the input, and Div by a zero constant */
    const double zero = 0;
    for (int c = 0; c < 2; c++) {
        mb_init(&b);
        mb_input(&b, "x", 2, D1x2);
        mb_init_t(&b, "z", 0, NULL, &zero, ST_FLOAT);
        mb_node(&b, "Div", "dv", c ? "x,z" : "z,x", "y");
        mb_output(&b, "y");
        mb_load_fails(&b, 0, c ? NNH_ENUMERIC : NNH_EUNSUPPORTED, "'dv'", "Div", NULL);
        mb_free(&b);
    }
}
END_TEST

/* ---- shape operators, Constant nodes, unsorted nodes, old-style inputs ---- */

START_TEST(test_reshape_family_unsorted)
{
    const long long in[4] = {-1, 1, 2, 2}, sd[1] = {2}, ad[1] = {1}, wd[2] = {2, 4};
    const double shp[2] = {-1, 4}, axes = 0, W[8] = {1, 2, 3, 4, -1, 0, 1, 0.5}, B[2] = {1, 2};
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 4, in);
    mb_init_t(&b, "axes", 1, ad, &axes, ST_RAW_I64);
    mb_init_t(&b, "W", 2, wd, W, ST_FLOAT);
    mb_init_t(&b, "B", 1, D2, B, ST_FLOAT);
    /* older exports list the weights as graph inputs too */
    mb_input(&b, "W", 2, wd);
    mb_input(&b, "B", 1, D2);
    /* nodes deliberately in reverse order */
    mb_node(&b, "Add", "add", "m,B", "y");
    mb_node(&b, "MatMul", "mm", "W,q", "m");      /* W [2,4] @ q [4] */
    mb_node(&b, "Squeeze", "sq", "u", "q");       /* [1,1,4] -> [4] */
    mb_node(&b, "Unsqueeze", "usq", "d,axes", "u"); /* [1,4] -> [1,1,4] */
    Onnx__NodeProto *dr = mb_node(&b, "Dropout", "drop", "i", "d,mask");
    mb_attr_f(&b, dr, "ratio", 0.5f);
    mb_node(&b, "Identity", "id", "r", "i");
    mb_node(&b, "Reshape", "rs", "x,shape", "r");
    Onnx__NodeProto *cn = mb_node(&b, "Constant", "cst", NULL, "shape");
    mb_attr_t(&b, cn, "value", mb_tensor(&b, NULL, 1, sd, shp, ST_I64));
    mb_output(&b, "y");
    nnh_network *net = mb_load_ok(&b, 4, 1, 2);
    double x[4] = {1, -1, 2, 0.5}, y[2];
    mb_eval(net, x, y);
    ck_assert_double_eq_tol(y[0], 1 - 2 + 6 + 2 + 1, 1e-12);
    ck_assert_double_eq_tol(y[1], -1 + 0 + 2 + 0.25 + 2, 1e-12);
    nnh_network_free(net);
    mb_free(&b);
}
END_TEST

START_TEST(test_bad_reshape_and_shapes)
{
    const long long in[2] = {1, 4}, sd[1] = {2};
    const double shp[2] = {3, 2};
    mb b;
    mb_init(&b);
    mb_input(&b, "x", 2, in);
    mb_init_t(&b, "s", 1, sd, shp, ST_I64);
    mb_node(&b, "Reshape", "rs", "x,s", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EPARSE, "'rs'", "number of elements", NULL);
    mb_free(&b);
    /* MatMul with mismatched inner dimension */
    const double W[6] = {1, 2, 3, 4, 5, 6};
    const long long wd[2] = {3, 2};
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_init_t(&b, "W", 2, wd, W, ST_FLOAT);
    mb_node(&b, "MatMul", "mm", "x,W", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EPARSE, "'mm'", "do not match", NULL);
    mb_free(&b);
    /* a bias that would enlarge the value (batch broadcast) */
    const long long bd[2] = {3, 2};
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_init_t(&b, "B", 2, bd, W, ST_FLOAT);
    mb_node(&b, "Add", "add", "x,B", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'add'", "enlarge", NULL);
    mb_free(&b);
    /* a symbolic dimension that is not the leading (batch) one */
    const long long sym[2] = {1, -1};
    mb_init(&b);
    mb_input(&b, "x", 2, sym);
    mb_node(&b, "Relu", "r", "x", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'x'", "axis 1", NULL);
    mb_free(&b);
}
END_TEST

/* ---- malformed files ------------------------------------------------------ */

START_TEST(test_malformed_tensors_and_graphs)
{
    const double W[4] = {1, 2, 3, 4};
    mb b;
    /* raw_data shorter than the dims say */
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    Onnx__TensorProto *t = mb_init_t(&b, "W", 2, D2x2, W, ST_RAW_F);
    t->raw_data.len = 12;
    mb_node(&b, "MatMul", "mm", "x,W", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EPARSE, "initializer 'W'", "12 bytes", NULL);
    /* absurd dims with little data: rejected before any allocation */
    t->raw_data.len = 16;
    t->dims[0] = (int64_t)1 << 40;
    t->dims[1] = (int64_t)1 << 40;
    mb_load_fails(&b, 0, NNH_EPARSE, "initializer 'W'", NULL, NULL);
    t->dims[0] = -2;
    t->dims[1] = -2;
    mb_load_fails(&b, 0, NNH_EPARSE, "initializer 'W'", NULL, NULL);
    /* external data */
    t->dims[0] = t->dims[1] = 2;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "external", NULL, NULL);
    t->has_data_location = 0;
    /* float16 weights */
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "initializer 'W'", "data type 10", NULL);
    mb_free(&b);
    /* an undefined value */
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_node(&b, "MatMul", "mm", "x,nowhere", "y");
    mb_output(&b, "y");
    mb_load_fails(&b, 0, NNH_EPARSE, "'mm'", "'nowhere'", NULL);
    mb_free(&b);
    /* a cycle */
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_node(&b, "Add", "a1", "x,q", "p");
    mb_node(&b, "Relu", "a2", "p", "q");
    mb_output(&b, "q");
    mb_load_fails(&b, 0, NNH_EPARSE, "cycle", NULL, NULL);
    mb_free(&b);
    /* output not at the end of the chain */
    mb_init(&b);
    mb_input(&b, "x", 2, D1x2);
    mb_node(&b, "Relu", "r", "x", "h");
    mb_node(&b, "Sigmoid", "s", "h", "y");
    mb_output(&b, "h");
    mb_load_fails(&b, 0, NNH_EUNSUPPORTED, "'h'", "end of the chain", NULL);
    mb_free(&b);
    /* no graph at all, and bytes that are not protobuf */
    mb_init(&b);
    b.model.graph = NULL;
    mb_load_fails(&b, 0, NNH_EPARSE, "no graph", NULL, NULL);
    mb_free(&b);
    nnh_network *net = NULL;
    nnh_error err;
    const char junk[] = "\xff\xff\xff\xff this is not an ONNX file";
    ck_assert_int_eq(nnh_load_onnx_buffer(junk, sizeof junk, "junk.onnx", NULL, &net, &err),
                     NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "junk.onnx"));
    ck_assert_ptr_null(net);
}
END_TEST

/* A model using most code paths, for the truncation and corruption sweeps. */
static void rich_model(mb *b)
{
    const long long in[3] = {-1, 2, 2}, sd[1] = {2}, wd[2] = {3, 4}, w2d[2] = {3, 2};
    const double shp[2] = {1, 4}, W[12] = {1, -1, 2, 0, 0.5, 1, -1, 2, 1, 1, 1, 1};
    const double B[3] = {0.1, 0.2, 0.3}, W2[6] = {1, 2, 3, 4, 5, 6}, mean = 0.25;
    mb_init(b);
    mb_input(b, "x", 3, in);
    mb_init_t(b, "mean", 0, NULL, &mean, ST_FLOAT);
    mb_init_t(b, "W", 2, wd, W, ST_RAW_F);
    mb_init_t(b, "B", 1, (const long long[]){3}, B, ST_DOUBLE);
    mb_init_t(b, "W2", 2, w2d, W2, ST_RAW_D);
    mb_node(b, "Sub", "sub", "x,mean", "a");
    Onnx__NodeProto *cn = mb_node(b, "Constant", "cst", NULL, "shape");
    mb_attr_t(b, cn, "value", mb_tensor(b, NULL, 1, sd, shp, ST_RAW_I64));
    mb_node(b, "Reshape", "rs", "a,shape", "f");
    Onnx__NodeProto *g = mb_node(b, "Gemm", "gemm", "f,W,B", "z");
    mb_attr_i(b, g, "transB", 1);
    Onnx__NodeProto *lr = mb_node(b, "LeakyRelu", "lrelu", "z", "h");
    mb_attr_f(b, lr, "alpha", 0.125f);
    mb_node(b, "MatMul", "mm", "h,W2", "y");
    mb_output(b, "y");
}

START_TEST(test_truncated_and_corrupted_buffers)
{
    mb b;
    rich_model(&b);
    size_t len;
    uint8_t *full = mb_pack(&b, &len);
    nnh_network *net = NULL;
    nnh_error err;
    ck_assert_int_eq(nnh_load_onnx_buffer(full, len, "rich.onnx", NULL, &net, &err), 0);
    ck_assert_int_eq(net->n_layers, 2);
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_LEAKY_RELU);
    nnh_network_free(net);
    uint8_t *buf = malloc(len);
    ck_assert_ptr_nonnull(buf);
    int ok = 0, failed = 0;
    for (size_t n = 0; n < len; n++) { /* every proper prefix */
        memcpy(buf, full, n);
        int rc = nnh_load_onnx_buffer(buf, n, "rich.onnx", NULL, &net, &err);
        if (rc == 0) {
            ck_assert_int_eq(nnh_network_validate(net, &err), 0);
            nnh_network_free(net);
            ok++;
        } else {
            ck_assert_int_lt(rc, 0);
            ck_assert_ptr_null(net);
            ck_assert_ptr_nonnull(strstr(err.msg, "rich.onnx"));
            failed++;
        }
    }
    ck_assert_int_gt(failed, (int)len / 2);
    unsigned long long st = 99;
    for (size_t i = 0; i < len; i++) /* corrupt each byte in three ways */
        for (int m = 0; m < 3; m++) {
            memcpy(buf, full, len);
            buf[i] = m == 0 ? (uint8_t)(buf[i] ^ 0xff) : m == 1 ? (uint8_t)(buf[i] + 1)
                                                              : (uint8_t)(256 * nnh_test_rand(&st));
            if (nnh_load_onnx_buffer(buf, len, "rich.onnx", NULL, &net, &err) == 0) {
                ck_assert_int_eq(nnh_network_validate(net, &err), 0);
                nnh_network_free(net);
            } else {
                ck_assert_ptr_null(net);
            }
        }
    printf("truncation sweep: %zu-byte model, %d prefixes rejected, %d loaded\n", len, failed, ok);
    free(buf);
    mb_free(&b);
}
END_TEST

START_TEST(test_load_from_file)
{
    mb b;
    rich_model(&b);
    size_t len;
    uint8_t *buf = mb_pack(&b, &len);
    char path[256];
    snprintf(path, sizeof path, "/tmp/nnh_test_onnx_%ld.onnx", (long)getpid());
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    nnh_network *net = NULL;
    nnh_error err;
    int rc = nnh_load_onnx(path, NULL, &net, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_str_eq(net->source, path);
    ck_assert_str_eq(net->format, "onnx");
    ck_assert_int_eq(net->n_inputs, 4);
    nnh_network_free(net);
    ck_assert_int_eq(nnh_load_onnx(path, NULL, &net, &err), NNH_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, path));
    mb_free(&b);
}
END_TEST

/* ---- real networks (../shared/data) -------------------------------------- */

typedef struct expect {
    const char *rel;
    int n_in, n_layers, n_out;
    nnh_act_kind first, last;
} expect;

static const expect EXPECTED[] = {
    {"vnncomp2021_eran/nets/ffnnSIGMOID__Point_6x200.onnx", 784, 7, 10, NNH_ACT_SIGMOID,
     NNH_ACT_IDENTITY},
    {"vnncomp2021_eran/nets/mnist_relu_9_200.onnx", 784, 9, 10, NNH_ACT_RELU, NNH_ACT_RELU},
    {"marabou/onnx/fc1.onnx", 2, 4, 2, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"marabou/onnx/fc_2-2-3.onnx", 2, 2, 3, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"marabou/onnx/fc_2-2sigmoids-3.onnx", 2, 2, 3, NNH_ACT_SIGMOID, NNH_ACT_IDENTITY},
    {"marabou/onnx/mnist2x10.onnx", 784, 3, 10, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"marabou/onnx/mnist2x5_sigmoid.onnx", 784, 3, 10, NNH_ACT_SIGMOID, NNH_ACT_IDENTITY},
    {"marabou/onnx/mnist5x20_leaky_relu.onnx", 784, 7, 10, NNH_ACT_LEAKY_RELU, NNH_ACT_IDENTITY},
    {"marabou/onnx/robust_model_sigmoid_linear.onnx", 784, 3, 10, NNH_ACT_SIGMOID,
     NNH_ACT_IDENTITY},
    {"marabou/onnx/tanh_test.onnx", 4, 3, 2, NNH_ACT_TANH, NNH_ACT_TANH},
    {"marabou/onnx/layer-zoo/gemm.onnx", 4, 1, 4, NNH_ACT_IDENTITY, NNH_ACT_IDENTITY},
    {"marabou/onnx/layer-zoo/leakyRelu.onnx", 4, 1, 4, NNH_ACT_LEAKY_RELU, NNH_ACT_LEAKY_RELU},
    {"marabou/onnx/layer-zoo/relu.onnx", 4, 1, 4, NNH_ACT_RELU, NNH_ACT_RELU},
    {"marabou/onnx/layer-zoo/sigmoid.onnx", 4, 1, 4, NNH_ACT_SIGMOID, NNH_ACT_SIGMOID},
    {"marabou/onnx/layer-zoo/tanh.onnx", 4, 1, 4, NNH_ACT_TANH, NNH_ACT_TANH},
    {"vnncomp2021_test/test_nano.onnx", 1, 1, 1, NNH_ACT_RELU, NNH_ACT_RELU},
    {"vnncomp2021_test/test_tiny.onnx", 1, 2, 1, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"vnncomp2021_test/test_small.onnx", 1, 3, 1, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"vnncomp2021_test/test_sat.onnx", 5, 7, 5, NNH_ACT_RELU, NNH_ACT_IDENTITY},
    {"vnncomp2021_test/test_unsat.onnx", 5, 7, 5, NNH_ACT_RELU, NNH_ACT_IDENTITY},
};

static nnh_network *load_shared(const char *rel)
{
    const char *p = nnh_data_path(rel);
    ck_assert_msg(p != NULL, "%s is missing from the shared data", rel);
    nnh_network *net = NULL;
    nnh_error err;
    int rc = nnh_load_onnx(p, NULL, &net, &err);
    ck_assert_msg(rc == 0, "%s: %s", rel, err.msg);
    return net;
}

static void check_shape(const nnh_network *net, const expect *e)
{
    ck_assert_msg(net->n_inputs == e->n_in && net->n_layers == e->n_layers &&
                      nnh_network_n_outputs(net) == e->n_out,
                  "%s: %d inputs, %d layers, %d outputs", e->rel, net->n_inputs, net->n_layers,
                  nnh_network_n_outputs(net));
    ck_assert_int_eq(net->layers[0].act.kind, e->first);
    ck_assert_int_eq(net->layers[net->n_layers - 1].act.kind, e->last);
    for (int k = 1; k + 1 < net->n_layers; k++) /* hidden layers share the first's activation */
        ck_assert_int_eq(net->layers[k].act.kind, e->first);
}

START_TEST(test_shared_files_load)
{
    if (!nnh_data_path("acasxu/onnx"))
        return; /* this part of the shared data is absent */
    for (size_t i = 0; i < sizeof EXPECTED / sizeof *EXPECTED; i++) {
        nnh_network *net = load_shared(EXPECTED[i].rel);
        check_shape(net, &EXPECTED[i]);
        nnh_network_free(net);
    }
    /* every ONNX file in the listed folders loads (none is expected to be
     * rejected): a new file without an entry above still has to load */
    const char *pats[] = {"acasxu/onnx/*.onnx", "vnncomp2021_eran/nets/*.onnx",
                          "marabou/onnx/*.onnx", "marabou/onnx/layer-zoo/*.onnx",
                          "vnncomp2021_test/*.onnx"};
    int total = 0, acas = 0;
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
        char pat[4096];
        snprintf(pat, sizeof pat, "%s/%s", nnh_data_path("."), pats[p]);
        glob_t g;
        if (glob(pat, 0, NULL, &g) != 0)
            continue;
        for (size_t f = 0; f < g.gl_pathc; f++) {
            nnh_network *net = NULL;
            nnh_error err;
            int rc = nnh_load_onnx(g.gl_pathv[f], NULL, &net, &err);
            ck_assert_msg(rc == 0, "%s", err.msg);
            if (p == 0) {
                expect e = {g.gl_pathv[f], 5, 7, 5, NNH_ACT_RELU, NNH_ACT_IDENTITY};
                check_shape(net, &e);
                acas++;
            }
            nnh_network_free(net);
            total++;
        }
        globfree(&g);
    }
    ck_assert_int_eq(acas, 45);
    printf("shared ONNX files loaded: %d (45 ACAS Xu)\n", total);
}
END_TEST

START_TEST(test_shared_exact_values)
{
    if (!nnh_data_path("marabou/onnx"))
        return; /* this part of the shared data is absent */
    /* fc_2-2-3: W1 = [[1,1],[-1,-1]], W2 = [[2,-1],[-1,1],[1,-1]], zero biases, ReLU */
    nnh_network *net = load_shared("marabou/onnx/fc_2-2-3.onnx");
    nnh_network *sig = load_shared("marabou/onnx/fc_2-2sigmoids-3.onnx");
    for (double a = -2; a <= 2; a += 0.5)
        for (double c = -2; c <= 2; c += 0.5) {
            double x[2] = {a, c}, y[3], ys[3];
            mb_eval(net, x, y);
            mb_eval(sig, x, ys);
            double h0 = fmax(a + c, 0), h1 = fmax(-a - c, 0);
            double s0 = 1 / (1 + exp(-(a + c))), s1 = 1 / (1 + exp(a + c));
            ck_assert_double_eq_tol(y[0], 2 * h0 - h1, 1e-12);
            ck_assert_double_eq_tol(y[1], -h0 + h1, 1e-12);
            ck_assert_double_eq_tol(y[2], h0 - h1, 1e-12);
            ck_assert_double_eq_tol(ys[0], 2 * s0 - s1, 1e-12);
            ck_assert_double_eq_tol(ys[2], s0 - s1, 1e-12);
        }
    nnh_network_free(net);
    nnh_network_free(sig);
    /* test_small (MatMul(W, X) form): y = 24 max(x + 1.5, 0) + 18.5 */
    net = load_shared("vnncomp2021_test/test_small.onnx");
    for (double x = -4; x <= 4; x += 0.125) {
        double y;
        mb_eval(net, &x, &y);
        ck_assert_double_eq_tol(y, 24 * fmax(x + 1.5, 0) + 18.5, 1e-12);
    }
    nnh_network_free(net);
    /* layer-zoo gemm: Y = 0.25 X B^T + 0.5 C on a [2,2] input (row-wise) */
    net = load_shared("marabou/onnx/layer-zoo/gemm.onnx");
    double x[4] = {1, -2, 0.5, 3}, y[4], B[4] = {0.5, 1, 1.5, 2}, C[2] = {3, 4.5};
    mb_eval(net, x, y);
    for (int m = 0; m < 2; m++)
        for (int n = 0; n < 2; n++)
            ck_assert_double_eq_tol(
                y[m * 2 + n], 0.25 * (x[m * 2] * B[n * 2] + x[m * 2 + 1] * B[n * 2 + 1]) + 0.5 * C[n],
                1e-12);
    nnh_network_free(net);
    net = load_shared("marabou/onnx/mnist5x20_leaky_relu.onnx");
    ck_assert_double_eq(net->layers[0].act.alpha, (double)0.1f);
    nnh_network_free(net);
}
END_TEST

/* Weights read in the wrong orientation or normalisation dropped would wreck
 * the accuracy of the MNIST nets on the first 100 test images. */
START_TEST(test_shared_mnist_accuracy)
{
    if (!nnh_data_path("mnist_test_images/mnist_test.csv"))
        return; /* this part of the shared data is absent */
    static double X[100][784];
    int lab[100];
    FILE *f = fopen(nnh_data_path("mnist_test_images/mnist_test.csv"), "r");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 100; i++) {
        ck_assert_int_eq(fscanf(f, "%d", &lab[i]), 1);
        for (int j = 0; j < 784; j++) {
            int v;
            ck_assert_int_eq(fscanf(f, ",%d", &v), 1);
            X[i][j] = v / 255.0;
        }
    }
    fclose(f);
    const char *nets[] = {"vnncomp2021_eran/nets/ffnnSIGMOID__Point_6x200.onnx",
                          "vnncomp2021_eran/nets/mnist_relu_9_200.onnx",
                          "marabou/onnx/mnist2x10.onnx", "marabou/onnx/mnist2x5_sigmoid.onnx",
                          "marabou/onnx/mnist5x20_leaky_relu.onnx",
                          "marabou/onnx/robust_model_sigmoid_linear.onnx"};
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
        nnh_network *net = load_shared(nets[k]);
        int correct = 0;
        for (int i = 0; i < 100; i++) {
            double y[10];
            mb_eval(net, X[i], y);
            int best = 0;
            for (int c = 1; c < 10; c++)
                best = y[c] > y[best] ? c : best;
            correct += best == lab[i];
        }
        printf("%s: %d/100 correct\n", nets[k], correct);
        ck_assert_msg(correct >= 85, "%s: only %d/100 correct", nets[k], correct);
        nnh_network_free(net);
    }
}
END_TEST

/* The 47 published ACAS Xu counterexamples reproduce their recorded outputs. */
START_TEST(test_shared_acas_counterexamples)
{
    if (!nnh_data_path("acasxu/counterexamples"))
        return; /* this part of the shared data is absent */
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/*.counterexample", nnh_data_path("acasxu/counterexamples"));
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    double worst = 0;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        const char *base = strrchr(g.gl_pathv[f], '/') + 1;
        const char *cut = strstr(base, "_prop_");
        ck_assert_ptr_nonnull(cut);
        char rel[512];
        snprintf(rel, sizeof rel, "acasxu/onnx/%.*s.onnx", (int)(cut - base), base);
        nnh_network *net = load_shared(rel);
        FILE *fp = fopen(g.gl_pathv[f], "r");
        ck_assert_ptr_nonnull(fp);
        double v[10];
        for (int i = 0; i < 10; i++) {
            char tag[8];
            ck_assert_int_eq(fscanf(fp, " %*[(]%7[XY_0-9] %lf)", tag, &v[i]), 2);
        }
        fclose(fp);
        double y[5];
        mb_eval(net, v, y);
        for (int i = 0; i < 5; i++)
            worst = fmax(worst, fabs(y[i] - v[5 + i]));
        nnh_network_free(net);
    }
    printf("ACAS Xu counterexamples: %zu files, worst |y - recorded| = %.3g\n", g.gl_pathc, worst);
    ck_assert_int_eq((int)g.gl_pathc, 47);
    ck_assert_double_lt(worst, 1e-6);
    globfree(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("onnx");
    TCase *tc = tcase_create("synthetic");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gemm_attributes);
    tcase_add_test(tc, test_gemm_literal_and_variable_b);
    tcase_add_test(tc, test_matmul_both_sides);
    tcase_add_test(tc, test_matmul_chain_folds);
    tcase_add_test(tc, test_normalisation_folding);
    tcase_add_test(tc, test_activations_with_parameters);
    tcase_add_test(tc, test_activation_parameters_rejected);
    tcase_add_test(tc, test_activation_on_input_and_output);
    tcase_add_test(tc, test_float_raw_double_storage);
    tcase_add_test(tc, test_softmax_refused_and_stripped);
    tcase_add_test(tc, test_unsupported_op_named);
    tcase_add_test(tc, test_two_variable_operands);
    tcase_add_test(tc, test_reshape_family_unsorted);
    tcase_add_test(tc, test_bad_reshape_and_shapes);
    tcase_add_test(tc, test_malformed_tensors_and_graphs);
    tcase_add_test(tc, test_truncated_and_corrupted_buffers);
    tcase_add_test(tc, test_load_from_file);
    suite_add_tcase(s, tc);
    /* the shared-data tests skip themselves (exit 77 from the forked test
     * would fail it), so they are only added when the data is present */
    if (nnh_data_path("acasxu/onnx")) {
        TCase *td = tcase_create("shared");
        tcase_set_timeout(td, 300);
        tcase_add_test(td, test_shared_files_load);
        tcase_add_test(td, test_shared_exact_values);
        tcase_add_test(td, test_shared_mnist_accuracy);
        tcase_add_test(td, test_shared_acas_counterexamples);
        suite_add_tcase(s, td);
    } else {
        printf("shared data absent: only the synthetic ONNX tests run\n");
    }
    return nnh_run_suite(s);
}
