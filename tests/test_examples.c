/* Tests of the bundled example networks (examples/digits_*.onnx MLPs and
 * examples/cnn_digits_*.onnx CNNs): every file loads with the expected sizes
 * and activations, reproduces the float64 reference outputs of
 * scripts/train-examples.py, and reaches the accuracy recorded in
 * examples/[cnn_]digits_accuracy.csv on the whole held-out split; every
 * engine's bounds on the CNNs contain sampled points and nest. */
#include "nnh_clock.h"
#include "nnh_soundness.h"
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_IN 64
#define N_OUT 10
#define N_REF_ROWS 20
#define MAX_ROWS 2000
#define REF_TOL 1e-9 /* same float32 weights, both evaluated in float64 */

static const char *acts[] = {"sigmoid", "tanh", "softplus", "elu", "selu", "relu", "leaky_relu"};
static const char *archs[] = {"64x10x10x10x10x10", "64x32x32x10"};
#define N_ACTS ((int)(sizeof acts / sizeof *acts))
#define N_NETS (N_ACTS * (int)(sizeof archs / sizeof *archs))
/* CNNs: layer widths after lowering (conv: Conv-Pad-BN-act-AvgPool-Conv-act
 * then Linear; strided: two stride-2 Convs with act then Linear) */
static const char *cnn_acts[] = {"sigmoid", "tanh", "relu"};
static const char *cnn_archs[] = {"conv", "strided"};
static const int cnn_sizes[2][4] = {{64, 256, 32, 10}, {64, 128, 64, 10}};
#define N_CNN_ACTS ((int)(sizeof cnn_acts / sizeof *cnn_acts))
#define N_CNN (N_CNN_ACTS * (int)(sizeof cnn_archs / sizeof *cnn_archs))

/* Network i of the loop tests: the MLPs (activation i % N_ACTS, architecture
 * i / N_ACTS), then from i = N_NETS the CNNs. */
static void net_name(int i, char *buf, size_t n)
{
    if (i < N_NETS) {
        snprintf(buf, n, "digits_%s_%s.onnx", acts[i % N_ACTS], archs[i / N_ACTS]);
    } else {
        int j = i - N_NETS;
        snprintf(buf, n, "cnn_digits_%s_%s.onnx", cnn_acts[j % N_CNN_ACTS],
                 cnn_archs[j / N_CNN_ACTS]);
    }
}

/* The table (kind "reference_outputs" or "accuracy") that lists network net. */
static void table_name(const char *net, const char *kind, char *buf, size_t n)
{
    snprintf(buf, n, "%s_%s.csv", strncmp(net, "cnn_", 4) == 0 ? "cnn_digits" : "digits", kind);
}

/* "64x32x32x10" -> {64, 32, 32, 10}; returns the count. */
static int parse_arch(const char *arch, int *sizes, int max)
{
    int n = 0;
    char *end;
    for (const char *p = arch; *p && n < max; p = *end ? end + 1 : end) {
        sizes[n++] = (int)strtol(p, &end, 10);
        ck_assert_msg(end != p && (*end == 'x' || !*end), "bad architecture %s", arch);
    }
    return n;
}

static nnh_network *load_example(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "examples/%s", name);
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    nnh_network *net = NULL;
    nnh_error err;
    int rc = nnh_load_network(nnh_src_path(rel), &o, &net, &err);
    ck_assert_msg(rc == 0, "%s: %s", rel, rc ? err.msg : "");
    return net;
}

/* ---- CSV files written by the training script (one header line) ---------- */

typedef struct rows {
    int n;
    int label[MAX_ROWS];
    double x[MAX_ROWS][N_IN];
} rows;

/* Open examples/<name> and skip its header; a missing file fails the test. */
static FILE *open_csv(const char *name)
{
    char rel[256], *line = NULL;
    size_t cap = 0;
    snprintf(rel, sizeof rel, "examples/%s", name);
    FILE *f = fopen(nnh_src_path(rel), "r");
    ck_assert_msg(f != NULL, "%s is missing", rel);
    ck_assert_msg(getline(&line, &cap, f) > 0, "%s: no header line", rel);
    free(line);
    return f;
}

/* Parse n comma-separated doubles starting at p; returns the end or NULL. */
static char *parse_doubles(char *p, double *v, int n)
{
    for (int j = 0; j < n; j++) {
        char *end;
        v[j] = strtod(p, &end);
        if (end == p || (j < n - 1 && *end != ','))
            return NULL;
        p = end + (j < n - 1);
    }
    return p;
}

/* label,x0..x63 per line (digits_test_inputs.csv, digits_test_set.csv). */
static rows *read_rows(const char *name)
{
    rows *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    FILE *f = open_csv(name);
    char *line = NULL, *p;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        ck_assert_msg(r->n < MAX_ROWS, "%s: too many rows", name);
        r->label[r->n] = (int)strtol(line, &p, 10);
        ck_assert_msg(*p == ',' && parse_doubles(p + 1, r->x[r->n], N_IN),
                      "%s: line %d is malformed", name, r->n + 2);
        ck_assert_msg(r->label[r->n] >= 0 && r->label[r->n] < N_OUT, "%s: bad label", name);
        for (int j = 0; j < N_IN; j++)
            ck_assert_msg(r->x[r->n][j] >= 0 && r->x[r->n][j] <= 1,
                          "%s: line %d: input %d outside [0,1]", name, r->n + 2, j);
        r->n++;
    }
    free(line);
    fclose(f);
    return r;
}

/* Reference outputs of one network: rows "network,row,o0..o9" for that name,
 * in row order 0..N_REF_ROWS-1. */
static void read_reference(const char *net, double ref[N_REF_ROWS][N_OUT])
{
    char table[128];
    table_name(net, "reference_outputs", table, sizeof table);
    FILE *f = open_csv(table);
    char *line = NULL;
    size_t cap = 0;
    size_t len = strlen(net);
    int found = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strncmp(line, net, len) != 0 || line[len] != ',')
            continue;
        char *p;
        long row = strtol(line + len + 1, &p, 10);
        ck_assert_msg(row == found && *p == ',', "%s: reference row %ld out of order", net, row);
        ck_assert_msg(row < N_REF_ROWS, "%s: more than %d reference rows", net, N_REF_ROWS);
        ck_assert_msg(parse_doubles(p + 1, ref[row], N_OUT), "%s: reference row %ld malformed",
                      net, row);
        found++;
    }
    free(line);
    fclose(f);
    ck_assert_msg(found == N_REF_ROWS, "%s: %d reference rows, expected %d", net, found,
                  N_REF_ROWS);
}

/* Held-out correct count recorded for net: "network,n_test,correct_torch32,
 * correct_ref64,accuracy,first20_correct" (examples/README.md's table is
 * printed from it). */
static void read_accuracy(const char *net, int *n_test, int *correct)
{
    char table[128];
    table_name(net, "accuracy", table, sizeof table);
    FILE *f = open_csv(table);
    char *line = NULL;
    size_t cap = 0;
    size_t len = strlen(net);
    int found = 0, c32;
    while (getline(&line, &cap, f) > 0)
        if (strncmp(line, net, len) == 0 && line[len] == ',')
            found += sscanf(line + len + 1, "%d,%d,%d", n_test, &c32, correct) == 3;
    free(line);
    fclose(f);
    ck_assert_msg(found == 1, "%s: %d accuracy lines, expected 1", net, found);
}

static int argmax(const double *y, int n)
{
    int k = 0;
    for (int i = 1; i < n; i++)
        if (y[i] > y[k])
            k = i;
    return k;
}

/* ---- tests ---------------------------------------------------------------- */

/* The examples/ folder holds exactly the expected networks. */
START_TEST(test_all_networks_present)
{
    glob_t g;
    int rc = glob(nnh_src_path("examples/digits_*.onnx"), 0, NULL, &g);
    ck_assert_msg(rc == 0, "no examples/digits_*.onnx in the repository");
    ck_assert_int_eq((int)g.gl_pathc, N_NETS);
    for (int i = 0; i < N_NETS; i++) {
        char name[128];
        net_name(i, name, sizeof name);
        int seen = 0;
        for (size_t k = 0; k < g.gl_pathc; k++) {
            const char *base = strrchr(g.gl_pathv[k], '/');
            seen += strcmp(base ? base + 1 : g.gl_pathv[k], name) == 0;
        }
        ck_assert_msg(seen == 1, "examples/%s is missing", name);
    }
    globfree(&g);
    rc = glob(nnh_src_path("examples/cnn_digits_*.onnx"), 0, NULL, &g);
    ck_assert_msg(rc == 0, "no examples/cnn_digits_*.onnx in the repository");
    ck_assert_int_eq((int)g.gl_pathc, N_CNN);
    globfree(&g);
}
END_TEST

/* The CNNs load as three dense layers of the lowered widths. */
START_TEST(test_cnn_structure)
{
    char name[128];
    net_name(N_NETS + _i, name, sizeof name);
    nnh_network *net = load_example(name);
    nnh_act_kind kind;
    ck_assert_int_eq(nnh_act_parse(cnn_acts[_i % N_CNN_ACTS], &kind), 0);
    const int *sz = cnn_sizes[_i / N_CNN_ACTS];
    ck_assert_int_eq(net->n_inputs, N_IN);
    ck_assert_int_eq(net->n_layers, 3);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(net->layers[k].n_in, sz[k]);
        ck_assert_int_eq(net->layers[k].n_out, sz[k + 1]);
        ck_assert_int_eq(net->layers[k].act.kind, k == 2 ? NNH_ACT_IDENTITY : kind);
    }
    nnh_network_free(net);
}
END_TEST

/* Sizes and activations follow the file name; the output layer is affine. */
START_TEST(test_structure)
{
    char name[128];
    net_name(_i, name, sizeof name);
    nnh_network *net = load_example(name);
    nnh_error err;
    ck_assert_msg(nnh_network_validate(net, &err) == 0, "%s: %s", name, err.msg);

    int sizes[8];
    int n = parse_arch(archs[_i / N_ACTS], sizes, 8);
    nnh_act_kind kind;
    ck_assert_int_eq(nnh_act_parse(acts[_i % N_ACTS], &kind), 0);
    nnh_activation want;
    nnh_act_default(&want, kind);
    if (kind == NNH_ACT_LEAKY_RELU)
        want.alpha = (double)0.01f; /* torch stores the slope as a float32 attribute */

    ck_assert_int_eq(net->n_inputs, N_IN);
    ck_assert_int_eq(nnh_network_n_outputs(net), N_OUT);
    ck_assert_int_eq(net->n_layers, n - 1);
    ck_assert_ptr_null(net->in_min); /* no input clamp from an ONNX file */
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        ck_assert_int_eq(L->n_in, sizes[k]);
        ck_assert_int_eq(L->n_out, sizes[k + 1]);
        int last = k == net->n_layers - 1;
        ck_assert_msg(L->act.kind == (last ? NNH_ACT_IDENTITY : kind), "%s layer %d: %s", name,
                      k, nnh_act_name(L->act.kind));
        if (!last && (kind == NNH_ACT_LEAKY_RELU || kind == NNH_ACT_ELU || kind == NNH_ACT_SELU))
            ck_assert_double_eq(L->act.alpha, want.alpha);
        if (!last && kind == NNH_ACT_SELU)
            ck_assert_double_eq(L->act.lambda, want.lambda);
    }
    nnh_network_free(net);
}
END_TEST

/* nnh_network_eval reproduces the script's numpy float64 pass. */
START_TEST(test_reference_outputs)
{
    char name[128];
    net_name(_i, name, sizeof name);
    nnh_network *net = load_example(name);
    rows *in = read_rows("digits_test_inputs.csv");
    ck_assert_int_eq(in->n, N_REF_ROWS);
    double ref[N_REF_ROWS][N_OUT], y[N_OUT], worst = 0;
    read_reference(name, ref);
    for (int r = 0; r < N_REF_ROWS; r++) {
        ck_assert_int_eq(nnh_network_eval(net, in->x[r], y, NULL), 0);
        for (int i = 0; i < N_OUT; i++) {
            double d = fabs(y[i] - ref[r][i]);
            worst = d > worst ? d : worst;
            ck_assert_msg(d <= REF_TOL, "%s row %d output %d: %.17g vs reference %.17g", name,
                          r, i, y[i], ref[r][i]);
        }
    }
    printf("%-42s worst |eval - reference| = %.3g\n", name, worst);
    free(in);
    nnh_network_free(net);
}
END_TEST

/* The accuracy table is reproduced by the C forward pass on the held-out split:
 * at least the recorded number of correct argmax predictions. */
START_TEST(test_accuracy)
{
    char name[128];
    net_name(_i, name, sizeof name);
    nnh_network *net = load_example(name);
    rows *ts = read_rows("digits_test_set.csv");
    rows *first = read_rows("digits_test_inputs.csv");
    int n_test, want;
    read_accuracy(name, &n_test, &want);
    ck_assert_int_eq(ts->n, n_test);
    ck_assert_int_ge(ts->n, N_REF_ROWS);
    /* the reference rows are the first rows of the held-out split */
    for (int r = 0; r < first->n; r++) {
        ck_assert_int_eq(first->label[r], ts->label[r]);
        ck_assert_mem_eq(first->x[r], ts->x[r], sizeof first->x[r]);
    }
    double y[N_OUT];
    int correct = 0;
    for (int r = 0; r < ts->n; r++) {
        ck_assert_int_eq(nnh_network_eval(net, ts->x[r], y, NULL), 0);
        correct += argmax(y, N_OUT) == ts->label[r];
    }
    ck_assert_msg(correct >= want, "%s: %d/%d correct, the accuracy table says %d", name,
                  correct, ts->n, want);
    printf("%-42s %d/%d correct (table: %d)\n", name, correct, ts->n, want);
    free(ts);
    free(first);
    nnh_network_free(net);
}
END_TEST

/* ibp, crown and hull on a box of radius 0.02 around the first test image
 * (clipped to [0,1]): sampled points lie within every bound set, and hull is
 * within crown within ibp. */
START_TEST(test_cnn_bounds_sound)
{
    char name[128];
    net_name(N_NETS + _i, name, sizeof name);
    nnh_network *net = load_example(name);
    rows *in = read_rows("digits_test_inputs.csv");
    double lo[N_IN], hi[N_IN];
    for (int j = 0; j < N_IN; j++) {
        lo[j] = fmax(in->x[0][j] - 0.02, 0.0);
        hi[j] = fmin(in->x[0][j] + 0.02, 1.0);
    }
    const nnh_method ms[3] = {NNH_METHOD_IBP, NNH_METHOD_CROWN, NNH_METHOD_HULL};
    nnh_bounds *b[3];
    double secs[3];
    for (int m = 0; m < 3; m++) {
        nnh_error err;
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.method = ms[m];
        o.time_limit = 15.0; /* past it, remaining neurons keep crown's bounds */
        ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b[m], &err), 0);
        double t = nnh_now();
        int rc = nnh_bounds_compute(net, b[m], &o, NULL, NULL, NULL, &err);
        secs[m] = nnh_now() - t;
        ck_assert_msg(rc == 0, "%s %s: %s", name, nnh_method_name(ms[m]), err.msg);
    }
    nnh_sample_report rep[3];
    nnh_sample_check(net, (const nnh_bounds *const *)b, 3, lo, hi, 2000, 7, rep);
    for (int m = 0; m < 3; m++)
        ck_assert_msg(rep[m].worst <= NNH_SAMPLE_TOL, "%s %s: %s", name, nnh_method_name(ms[m]),
                      nnh_sample_describe(&rep[m]));
    nnh_assert_within(b[1], b[0], 1e-7, "crown in ibp");
    nnh_assert_within(b[2], b[1], 1e-7, "hull in crown");
    const nnh_layer_bounds *B[3] = {&b[0]->layers[2], &b[1]->layers[2], &b[2]->layers[2]};
    double w[3] = {0, 0, 0};
    for (int m = 0; m < 3; m++)
        for (int i = 0; i < N_OUT; i++)
            w[m] += (B[m]->pre_hi[i] - B[m]->pre_lo[i]) / N_OUT;
    printf("%-42s mean output width ibp %.4g crown %.4g hull %.4g; seconds crown %.3f hull %.2f\n",
           name, w[0], w[1], w[2], secs[1], secs[2]);
    for (int m = 0; m < 3; m++)
        nnh_bounds_free(b[m]);
    free(in);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("examples");
    TCase *tc = tcase_create("digits");
    tcase_set_timeout(tc, 120); /* hull on the CNNs: up to its 15 s limit each */
    tcase_add_test(tc, test_all_networks_present);
    tcase_add_loop_test(tc, test_structure, 0, N_NETS);
    tcase_add_loop_test(tc, test_reference_outputs, 0, N_NETS + N_CNN);
    tcase_add_loop_test(tc, test_accuracy, 0, N_NETS + N_CNN);
    tcase_add_loop_test(tc, test_cnn_structure, 0, N_CNN);
    tcase_add_loop_test(tc, test_cnn_bounds_sound, 0, N_CNN);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
