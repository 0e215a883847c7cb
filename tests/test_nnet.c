/* Unit tests of the .nnet reader: hand-computed tiny networks in both modes
 * (folding, clamping, output ReLU), every malformed-file error with its line,
 * and the NeuralVerification.jl networks with the values their README states. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "nnhull/io.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 2 -> 3 ReLU -> 1; means (0.5, 1 | out 2), ranges (2, 4 | out 3). */
static const char *NET_STD = "// hand-made test network\n"
                             "// second comment line\n"
                             "2,2,1,3,\n"
                             "2,3,1,\n"
                             "0,\n"
                             "-1.0,0.0,\n"
                             "1.0,4.0,\n"
                             "0.5,1.0,2.0,\n"
                             "2.0,4.0,3.0,\n"
                             "1.0,-1.0,\n"
                             "0.5,2.0,\n"
                             "-2.0,1.0,\n"
                             "0.1,\n"
                             "0.2,\n"
                             "-0.3,\n"
                             "1.0,-2.0,0.5,\n"
                             "0.25,\n";

/* The same network without trailing commas, with spaces, CRLF and blank lines. */
static const char *NET_STD_VARIANT = "// hand-made test network\r\n"
                                     "\n"
                                     "2, 2, 1, 3\r\n"
                                     "2 ,3 ,1\r\n"
                                     "0\r\n"
                                     "  -1.0 , 0.0\r\n"
                                     "1e0,4\r\n"
                                     "\n"
                                     "0.5,1.0,2.0\r\n"
                                     "2.0,4.0,3.0\r\n"
                                     "1.0,-1.0\r\n"
                                     "0.5,2.0\r\n"
                                     "\t-2.0,1.0\r\n"
                                     "0.1\r\n"
                                     "0.2\r\n"
                                     "-0.3\r\n"
                                     "\r\n"
                                     "1.0,-2.0,0.5\r\n"
                                     "0.25\r\n"
                                     "\n\n";

static int load_text(const char *text, int normalized, int out_relu, nnh_network **net,
                     nnh_error *err, char *path_out)
{
    const char *p = nnh_test_tmpfile(text, ".nnet");
    ck_assert_ptr_nonnull(p);
    if (path_out)
        strcpy(path_out, p);
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    o.nnet_normalized = normalized;
    o.nnet_output_relu = out_relu;
    nnh_error_clear(err);
    int rc = nnh_load_nnet(p, &o, net, err);
    unlink(p);
    return rc;
}

static nnh_network *load_ok(const char *text, int normalized, int out_relu)
{
    nnh_network *net = NULL;
    nnh_error err;
    int rc = load_text(text, normalized, out_relu, &net, &err, NULL);
    ck_assert_msg(rc == 0, "load failed: %s", err.msg);
    ck_assert_int_eq(nnh_network_validate(net, &err), 0);
    return net;
}

static double eval1(const nnh_network *net, double x0, double x1)
{
    double x[2] = {x0, x1}, y[4];
    ck_assert_int_eq(nnh_network_eval(net, x, y, NULL), 0);
    return y[0];
}

/* The file's semantics written out: clamp, normalise, ReLU layer, linear
 * (or ReLU) output, scale. */
static double reference(double x0, double x1, int out_relu)
{
    const double W0[3][2] = {{1, -1}, {0.5, 2}, {-2, 1}}, b0[3] = {0.1, 0.2, -0.3};
    const double W1[3] = {1, -2, 0.5}, b1 = 0.25;
    x0 = fmin(fmax(x0, -1.0), 1.0);
    x1 = fmin(fmax(x1, 0.0), 4.0);
    double xn[2] = {(x0 - 0.5) / 2.0, (x1 - 1.0) / 4.0}, y = b1;
    for (int i = 0; i < 3; i++)
        y += W1[i] * fmax(0.0, W0[i][0] * xn[0] + W0[i][1] * xn[1] + b0[i]);
    if (out_relu)
        y = fmax(y, 0.0);
    return y * 3.0 + 2.0;
}

START_TEST(test_raw_folding)
{
    nnh_network *net = load_ok(NET_STD, 0, 0);
    ck_assert_int_eq(net->n_inputs, 2);
    ck_assert_int_eq(net->n_layers, 2);
    ck_assert_int_eq(net->layers[0].act.kind, NNH_ACT_RELU);
    ck_assert_int_eq(net->layers[1].act.kind, NNH_ACT_IDENTITY);
    ck_assert_str_eq(net->format, "nnet");
    /* W0 / range, b0 - W0 mean / range; last layer times 3 plus 2 */
    const double W0[6] = {0.5, -0.25, 0.25, 0.5, -1.0, 0.25}, b0[3] = {0.1, -0.425, -0.05};
    const double W1[3] = {3.0, -6.0, 1.5};
    for (int i = 0; i < 6; i++)
        ck_assert_double_eq_tol(net->layers[0].W[i], W0[i], 1e-12);
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(net->layers[0].b[i], b0[i], 1e-12);
        ck_assert_double_eq_tol(net->layers[1].W[i], W1[i], 1e-12);
    }
    ck_assert_double_eq_tol(net->layers[1].b[0], 2.75, 1e-12);
    /* domain = header min/max */
    ck_assert_double_eq(net->in_min[0], -1.0);
    ck_assert_double_eq(net->in_min[1], 0.0);
    ck_assert_double_eq(net->in_max[0], 1.0);
    ck_assert_double_eq(net->in_max[1], 4.0);
    /* hand-computed: inside the domain and clamped */
    ck_assert_double_eq_tol(eval1(net, 0.3, 2.5), -2.2375, 1e-12);
    ck_assert_double_eq_tol(eval1(net, 5.0, -3.0), 4.55, 1e-12);
    unsigned long long st = 5;
    for (int s = 0; s < 200; s++) {
        double a = 4 * nnh_test_rand(&st) - 2, b = 6 * nnh_test_rand(&st) - 1;
        ck_assert_double_eq_tol(eval1(net, a, b), reference(a, b, 0), 1e-12);
    }
    nnh_network_free(net);
}
END_TEST

START_TEST(test_normalized_mode)
{
    nnh_network *net = load_ok(NET_STD, 1, 0);
    ck_assert_int_eq(net->n_layers, 2);
    /* raw weights kept */
    ck_assert_double_eq(net->layers[0].W[3], 2.0);
    ck_assert_double_eq(net->layers[0].b[2], -0.3);
    ck_assert_double_eq(net->layers[1].W[1], -2.0);
    ck_assert_double_eq(net->layers[1].b[0], 0.25);
    /* normalised domain ((min - mean) / range, (max - mean) / range) */
    ck_assert_double_eq_tol(net->in_min[0], -0.75, 1e-15);
    ck_assert_double_eq_tol(net->in_min[1], -0.25, 1e-15);
    ck_assert_double_eq_tol(net->in_max[0], 0.25, 1e-15);
    ck_assert_double_eq_tol(net->in_max[1], 0.75, 1e-15);
    ck_assert_double_eq_tol(eval1(net, -0.1, 0.375), -1.4125, 1e-12);
    ck_assert_double_eq_tol(eval1(net, 2.0, -1.0), 0.85, 1e-12); /* clamped to (0.25, -0.25) */
    /* the two modes agree: raw(x) = normalised((x - mean) / range) * 3 + 2 */
    nnh_network *raw = load_ok(NET_STD, 0, 0);
    unsigned long long st = 6;
    for (int s = 0; s < 200; s++) {
        double a = 4 * nnh_test_rand(&st) - 2, b = 6 * nnh_test_rand(&st) - 1;
        double yn = eval1(net, (a - 0.5) / 2, (b - 1) / 4);
        ck_assert_double_eq_tol(eval1(raw, a, b), yn * 3 + 2, 1e-12);
    }
    nnh_network_free(raw);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_output_relu)
{
    /* raw: the scaling follows the ReLU, so it is an extra diagonal layer */
    nnh_network *net = load_ok(NET_STD, 0, 1);
    ck_assert_int_eq(net->n_layers, 3);
    ck_assert_int_eq(net->layers[1].act.kind, NNH_ACT_RELU);
    ck_assert_int_eq(net->layers[2].act.kind, NNH_ACT_IDENTITY);
    ck_assert_double_eq(net->layers[2].W[0], 3.0);
    ck_assert_double_eq(net->layers[2].b[0], 2.0);
    ck_assert_double_eq_tol(eval1(net, 0.3, 2.5), 2.0, 1e-12); /* relu(-1.4125) * 3 + 2 */
    ck_assert_double_eq_tol(eval1(net, 5.0, -3.0), 4.55, 1e-12);
    unsigned long long st = 7;
    for (int s = 0; s < 200; s++) {
        double a = 4 * nnh_test_rand(&st) - 2, b = 6 * nnh_test_rand(&st) - 1;
        ck_assert_double_eq_tol(eval1(net, a, b), reference(a, b, 1), 1e-12);
    }
    nnh_network_free(net);
    /* normalised: no scaling, the output layer is ReLU */
    net = load_ok(NET_STD, 1, 1);
    ck_assert_int_eq(net->n_layers, 2);
    ck_assert_int_eq(net->layers[1].act.kind, NNH_ACT_RELU);
    ck_assert_double_eq_tol(eval1(net, -0.1, 0.375), 0.0, 1e-15);
    ck_assert_double_eq_tol(eval1(net, 2.0, -1.0), 0.85, 1e-12);
    nnh_network_free(net);
    /* trivial output scaling (mean 0, range 1): no extra layer */
    net = load_ok("1,1,1,1,\n1,1,\n0,\n-5,\n5,\n0,0,\n1,1,\n-2,\n1,\n", 0, 1);
    ck_assert_int_eq(net->n_layers, 1);
    ck_assert_double_eq(eval1(net, 1.0, 0), 0.0);
    ck_assert_double_eq(eval1(net, -1.0, 0), 3.0);
    ck_assert_double_eq(eval1(net, -9.0, 0), 11.0); /* clamped to -5 */
    nnh_network_free(net);
}
END_TEST

START_TEST(test_layout_variants)
{
    /* spaces, CRLF, no trailing commas, blank lines: same network */
    nnh_network *a = load_ok(NET_STD, 0, 0), *b = load_ok(NET_STD_VARIANT, 0, 0);
    ck_assert_int_eq(a->n_layers, b->n_layers);
    for (int k = 0; k < a->n_layers; k++) {
        const nnh_layer *p = &a->layers[k], *q = &b->layers[k];
        ck_assert_int_eq(p->n_out, q->n_out);
        ck_assert_mem_eq(p->W, q->W, (size_t)p->n_in * p->n_out * sizeof(double));
        ck_assert_mem_eq(p->b, q->b, (size_t)p->n_out * sizeof(double));
    }
    nnh_network_free(a);
    nnh_network_free(b);
    /* reduced layout (NeuralVerification.jl): layer count alone, 0 placeholders */
    a = load_ok("2\n2,2,2\n0\n0\n0\n0\n0\n1,1\n-1,1\n-1\n-1\n1,0\n0,1\n0\n0\n", 0, 0);
    ck_assert_ptr_null(a->in_min);
    ck_assert_ptr_null(a->in_max);
    double x[2] = {2, 0.5}, y[2];
    nnh_network_eval(a, x, y, NULL);
    ck_assert_double_eq(y[0], 1.5);
    ck_assert_double_eq(y[1], 0.0);
    nnh_network_free(a);
    /* means/ranges without the output entry: outputs not scaled */
    a = load_ok("1,1,1,1,\n1,1,\n0,\n0,\n10,\n4,\n2,\n3,\n1,\n", 0, 0);
    ck_assert_double_eq_tol(eval1(a, 6.0, 0), 3.0 * (6.0 - 4.0) / 2.0 + 1.0, 1e-15);
    nnh_network_free(a);
    /* extended header: 2 inputs described for a 1-input network; the last
     * mean/range is the output's */
    a = load_ok("1,1,1,1,\n1,1,\n0,\n0,7,\n10,8,\n4,9,5,\n2,9,3,\n1,\n0,\n", 0, 0);
    ck_assert_double_eq(a->in_max[0], 10.0);
    ck_assert_double_eq_tol(eval1(a, 6.0, 0), ((6.0 - 4.0) / 2.0) * 3.0 + 5.0, 1e-15);
    nnh_network_free(a);
    /* a text "symmetric" flag line is ignored (spiky_nnet.nnet has one) */
    a = load_ok("1,1,1,1,\n1,1,\nThis line extraneous\n-1,\n1,\n0,0,\n1,1,\n2,\n0,\n", 1, 0);
    ck_assert_double_eq(eval1(a, 0.25, 0), 0.5);
    nnh_network_free(a);
}
END_TEST

/* ---- malformed files ----------------------------------------------------- */

typedef struct bad_case {
    const char *name, *text;
    int line;           /* line the message must name */
    const char *needle; /* and a word it must contain */
} bad_case;

#define HDR "2,2,1,3,\n2,3,1,\n0,\n"
#define NORM "-1.0,0.0,\n1.0,4.0,\n0.5,1.0,2.0,\n2.0,4.0,3.0,\n"
#define L0W "1.0,-1.0,\n0.5,2.0,\n-2.0,1.0,\n"
#define L0B "0.1,\n0.2,\n-0.3,\n"
#define L1 "1.0,-2.0,0.5,\n0.25,\n"

static const bad_case bad[] = {
    {"empty file", "", 1, "empty"},
    {"only comments", "// a\n// b\n", 3, "end of file"},
    {"only blank lines", "\n  \n\n", 4, "end of file"},
    {"garbage", "hello world\nmore garbage\n", 1, "integer"},
    {"binary-ish", "\x01\x02\x03,4,5,6\n", 1, "integer"},
    {"header with 3 values", "2,2,1,\n2,3,1,\n", 1, "found 3"},
    {"header with 5 values", "2,2,1,3,4\n2,3,1,\n", 1, "found 5"},
    {"zero layers", "0,2,1,3,\n2,\n", 1, "expected 1"},
    {"negative size", "2,2,1,3,\n2,-3,1,\n", 2, "-3"},
    {"non-integer size", "2,2,1,3,\n2,3.5,1,\n", 2, "integer"},
    {"too few sizes", "2,2,1,3,\n2,3,\n0,\n", 2, "expected 3 layer sizes"},
    {"too many sizes", "2,2,1,3,\n2,3,3,1,\n0,\n", 2, "found 4"},
    {"absurd layer count", "2000000000,2,1,3,\n2,3,1\n", 2, "layer sizes"},
    {"huge width", "2,2,1,3,\n2,999999999999,1,\n", 2, "999999999999"},
    {"sizes beyond the file", "2,2,1,90000000,\n2,90000000,1,\n0,\n" NORM L0W, 2, "truncated"},
    {"numInputs mismatch", "2,3,1,3,\n2,3,1,\n", 1, "numInputs"},
    {"numOutputs mismatch", "2,2,2,3,\n2,3,1,\n", 1, "numOutputs"},
    {"maxLayerSize mismatch", "2,2,1,7,\n2,3,1,\n", 1, "maxLayerSize"},
    {"no flag line", "2,2,1,3,\n2,3,1,\n", 3, "symmetric"},
    {"too few minimums", HDR "-1.0,\n", 4, "minimums"},
    {"maximums count", HDR "-1.0,0.0,\n1.0,\n", 5, "maximums"},
    {"means count", HDR "-1.0,0.0,\n1.0,4.0,\n0.5,\n", 6, "means"},
    {"ranges count", HDR "-1.0,0.0,\n1.0,4.0,\n0.5,1.0,2.0,\n2.0,4.0,\n", 7, "ranges"},
    {"min above max", HDR "-1.0,5.0,\n1.0,4.0,\n0.5,1.0,2.0,\n2.0,4.0,3.0,\n" L0W L0B L1, 5,
     "below the minimum"},
    {"zero input range", HDR "-1.0,0.0,\n1.0,4.0,\n0.5,1.0,2.0,\n2.0,0.0,3.0,\n" L0W L0B L1, 7,
     "range of input 1 is 0"},
    {"zero output range", HDR "-1.0,0.0,\n1.0,4.0,\n0.5,1.0,2.0,\n2.0,4.0,0,\n" L0W L0B L1, 7,
     "output range"},
    {"NaN weight", HDR NORM "1.0,-1.0,\n0.5,nan,\n-2.0,1.0,\n" L0B L1, 9, "not finite"},
    {"inf bias", HDR NORM L0W "0.1,\n-inf,\n-0.3,\n" L1, 12, "not finite"},
    {"overflowing weight", HDR NORM L0W L0B "1.0,-2.0,1e999,\n0.25,\n", 14, "not finite"},
    {"NaN mean", HDR "-1.0,0.0,\n1.0,4.0,\n0.5,NaN,2.0,\n2.0,4.0,3.0,\n" L0W L0B L1, 6,
     "not finite"},
    {"short weight row", HDR NORM "1.0,-1.0,\n0.5,\n-2.0,1.0,\n" L0B L1, 9, "found 1"},
    {"long weight row", HDR NORM "1.0,-1.0,\n0.5,2.0,3.0,\n-2.0,1.0,\n" L0B L1, 9, "found 3"},
    {"empty field", HDR NORM "1.0,,-1.0,\n0.5,2.0,\n-2.0,1.0,\n" L0B L1, 8, "empty"},
    {"text in weights", HDR NORM L0W "0.1,\n0.2x,\n-0.3,\n" L1, 12, "0.2x"},
    {"two biases on a line", HDR NORM L0W "0.1,0.2,\n-0.3,\n" L1, 11, "found 2"},
    {"truncated in layer 0", HDR NORM L0W "0.1,\n", 12, "end of file"},
    {"truncated in layer 1", HDR NORM L0W L0B "1.0,-2.0,0.5,\n", 15, "bias of neuron 0 of layer 1"},
    {"content after the last layer", HDR NORM L0W L0B L1 "7,\n", 16, "after the last"},
    {"reduced layout, real header line", "1\n1,1\n0\n-1,\n1\n0\n1\n2\n0\n", 4, "placeholder"},
    {"reduced layout, nonzero placeholder", "1\n1,1\n0\n0\n0\n3\n0\n2\n0\n", 6, "placeholder"},
};

START_TEST(test_malformed)
{
    for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
        nnh_network *net = (nnh_network *)&net; /* must be reset to NULL */
        nnh_error err;
        char path[4096], want[4200];
        int rc = load_text(bad[c].text, 0, 0, &net, &err, path);
        ck_assert_msg(rc == NNH_EPARSE, "%s: expected a parse error, got %d (%s)", bad[c].name, rc,
                      err.msg);
        ck_assert_ptr_null(net);
        snprintf(want, sizeof want, "%s:%d: ", path, bad[c].line);
        ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 && strstr(err.msg, bad[c].needle),
                      "%s: message '%s' should start with '%s' and mention '%s'", bad[c].name,
                      err.msg, want, bad[c].needle);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
    }
}
END_TEST

START_TEST(test_missing_file)
{
    nnh_network *net;
    nnh_error err;
    int rc = nnh_load_nnet("/nonexistent/dir/x.nnet", NULL, &net, &err);
    ck_assert_int_eq(rc, NNH_EIO);
    ck_assert_ptr_null(net);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/dir/x.nnet"));
    rc = nnh_load_nnet("/tmp", NULL, &net, &err); /* a directory */
    ck_assert_int_eq(rc, NNH_EIO);
    /* nnh_load_network dispatches on the extension */
    const char *p = nnh_test_tmpfile("1\n1,1\n0\n0\n0\n0\n0\n2\n1\n", ".NNET");
    ck_assert_int_eq(nnh_load_network(p, NULL, &net, &err), 0);
    ck_assert_double_eq(eval1(net, 3.0, 0), 7.0);
    nnh_network_free(net);
    unlink(p);
}
END_TEST

/* ---- NeuralVerification.jl networks ------------------------------------- */

static nnh_network *load_nv(const char *name, int out_relu)
{
    char rel[256];
    snprintf(rel, sizeof rel, "neuralverification_jl/%s", name);
    const char *p = nnh_data_path(rel);
    if (!p)
        return NULL;
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    o.nnet_output_relu = out_relu;
    nnh_network *net;
    nnh_error err;
    ck_assert_msg(nnh_load_nnet(p, &o, &net, &err) == 0, "%s", err.msg);
    return net;
}

/* min and max of a 1-D network over [a, b] on a grid, with the argmin */
static void scan1d(const nnh_network *net, double a, double b, int n, double *mn, double *mx,
                   double *argmin)
{
    *mn = INFINITY;
    *mx = -INFINITY;
    for (int s = 0; s <= n; s++) {
        double x = a + (b - a) * s / n, y;
        nnh_network_eval(net, &x, &y, NULL);
        if (y < *mn) {
            *mn = y;
            *argmin = x;
        }
        if (y > *mx)
            *mx = y;
    }
}

START_TEST(test_nv_small)
{
    for (int relu = 0; relu < 2; relu++) {
        nnh_network *net = load_nv("small_nnet.nnet", relu);
        if (!net)
            return;
        ck_assert_int_eq(net->n_layers, 3);
        double mn, mx, am;
        scan1d(net, -0.9, 0.9, 1800, &mn, &mx, &am);
        ck_assert_double_eq_tol(mn, 32.9, 1e-9); /* y = 24 max(x + 1.5, 0) + 18.5 */
        ck_assert_double_eq_tol(mx, 76.1, 1e-9);
        for (double x = -3; x <= 3; x += 0.25) {
            double y;
            nnh_network_eval(net, &x, &y, NULL);
            ck_assert_double_eq_tol(y, 24 * fmax(x + 1.5, 0) + 18.5, 1e-12);
        }
        nnh_network_free(net);
    }
    nnh_network *net = load_nv("small_nnet_id.nnet", 0);
    double mn, mx, am;
    scan1d(net, -0.9, 0.9, 1800, &mn, &mx, &am);
    ck_assert_double_eq_tol(mn, -69.1, 1e-9); /* y = -24 max(x + 1.5, 0) - 11.5 */
    ck_assert_double_eq_tol(mx, -25.9, 1e-9);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_nv_spiky_tiny_r2)
{
    nnh_network *net = load_nv("spiky_nnet.nnet", 0);
    if (!net)
        return;
    ck_assert_int_eq(net->n_layers, 4);
    double mn, mx, am;
    scan1d(net, 1.0, 100.0, 99 * 64, &mn, &mx, &am); /* grid step 1/64 hits 31.25 */
    ck_assert_double_eq_tol(mn, 42.5, 1e-9);
    ck_assert_double_eq_tol(am, 31.25, 1e-12);
    ck_assert_double_eq_tol(mx, 100.0, 1e-9);
    /* the README's y_min is 0.015 loose: both of its test outcomes hold */
    ck_assert(mn >= 42.51485148514851 - 0.1 && mn < 42.51485148514851 + 0.1);
    nnh_network_free(net);

    net = load_nv("tiny_nnet.nnet", 0); /* 1 -> 1 -> 1, w = 1, b = 0 */
    ck_assert_double_eq(eval1(net, 2.0, 0), 2.0);
    ck_assert_double_eq(eval1(net, -1.0, 0), 0.0);
    nnh_network_free(net);

    net = load_nv("R2_R2.nnet", 0);
    double x[2] = {0.5, 2.0}, y[2];
    nnh_network_eval(net, x, y, NULL);
    ck_assert_double_eq(y[0], 1.5); /* max(x0 + x1 - 1, 0) */
    ck_assert_double_eq(y[1], 0.5); /* max(-x0 + x1 - 1, 0) */
    nnh_network_free(net);
}
END_TEST

START_TEST(test_nv_larger)
{
    nnh_network *net = load_nv("cartpole_nnet.nnet", 0);
    if (!net)
        return;
    ck_assert_int_eq(net->n_inputs, 4);
    ck_assert_int_eq(net->n_layers, 4);
    ck_assert_int_eq(nnh_network_n_outputs(net), 2);
    ck_assert_ptr_null(net->in_min);
    nnh_network_free(net);

    net = load_nv("mnist_small.nnet", 0); /* means 127, ranges 255, no output entry */
    ck_assert_int_eq(net->n_inputs, 784);
    ck_assert_int_eq(net->n_layers, 1);
    ck_assert_double_eq(net->in_max[0], 255.0);
    nnh_network_free(net);

    /* mnist1 / mnist3: ranges line of zeros, refused on that line */
    const char *names[2] = {"mnist1.nnet", "mnist3.nnet"};
    for (int i = 0; i < 2; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "neuralverification_jl/%s", names[i]);
        const char *p = nnh_data_path(rel);
        nnh_error err;
        ck_assert_int_eq(nnh_load_nnet(p, NULL, &net, &err), NNH_EPARSE);
        ck_assert_msg(strstr(err.msg, ":8: the range of input 0 is 0"), "%s", err.msg);
    }
}
END_TEST

/* The 4-layer cut of ACAS Xu 1_1 shares the first three layers and the input
 * normalisation of the full network, although its header describes 7 inputs:
 * folded with the first 5 entries, layer 0..2 must equal the full network's. */
START_TEST(test_nv_acas_cut)
{
    const char *full = nnh_data_path("acasxu/nnet/ACASXU_run2a_1_1_batch_2000.nnet");
    nnh_network *cut = load_nv("ACASXU_run2a_1_1_tiny_4.nnet", 0);
    if (!cut || !full) {
        nnh_network_free(cut);
        return;
    }
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_load_nnet(full, NULL, &net, &err), 0);
    ck_assert_int_eq(cut->n_layers, 4);
    ck_assert_mem_eq(cut->in_min, net->in_min, 5 * sizeof(double));
    ck_assert_mem_eq(cut->in_max, net->in_max, 5 * sizeof(double));
    for (int k = 0; k < 3; k++) {
        const nnh_layer *a = &cut->layers[k], *b = &net->layers[k];
        ck_assert_mem_eq(a->W, b->W, (size_t)a->n_in * a->n_out * sizeof(double));
        ck_assert_mem_eq(a->b, b->b, (size_t)a->n_out * sizeof(double));
    }
    nnh_network_free(net);
    nnh_network_free(cut);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nnet");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_raw_folding);
    tcase_add_test(tc, test_normalized_mode);
    tcase_add_test(tc, test_output_relu);
    tcase_add_test(tc, test_layout_variants);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_missing_file);
    suite_add_tcase(s, tc);
    TCase *nv = tcase_create("neuralverification_jl");
    tcase_set_timeout(nv, 60);
    tcase_add_test(nv, test_nv_small);
    tcase_add_test(nv, test_nv_spiky_tiny_r2);
    tcase_add_test(nv, test_nv_larger);
    tcase_add_test(nv, test_nv_acas_cut);
    suite_add_tcase(s, nv);
    return nnh_run_suite(s);
}
