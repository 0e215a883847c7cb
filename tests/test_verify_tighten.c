/* Unit tests of verify's root tightening (src/verify/verify_tighten.c) on the
 * bundled digits networks: a robustness property that crown with input
 * splitting does not prove within 50 regions but the tightened root proves
 * at once; sampled points of every layer inside the tightened root bounds;
 * the tasks of a layer split as the MPI ranks split them giving the same
 * bounds bit for bit; option names; the property-directed neuron selection
 * (tighten_select.c, nnh_verify_opts.tighten_fraction): its task lists,
 * sampled points inside the bounds it leaves, the same bounds when split,
 * fewer LP tasks, and the verdicts of the digits properties. */
#include "nnh_examples.h"
#include "nnh_soundness.h"
#include "nnh_test.h"
#include "verify_tighten.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The property "some other class scores at least the label" over the
 * L-infinity ball of radius eps (clipped to [0, 1]) around row `row` of
 * examples/digits_test_inputs.csv (1 = the first image), as VNNLIB text. */
static char *ball_property(int row, double eps)
{
    FILE *f = fopen(nnh_src_path("examples/digits_test_inputs.csv"), "r");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    for (int r = 0; r <= row; r++)
        ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    size_t cap = 64 * 1024, n = 0;
    char *t = malloc(cap);
    ck_assert_ptr_nonnull(t);
    char *p = line, *end;
    int label = (int)strtol(p, &end, 10);
    for (int j = 0; j < 10; j++)
        n += (size_t)snprintf(t + n, cap - n, "(declare-const Y_%d Real)\n", j);
    for (int i = 0; *end == ','; i++) {
        double x = strtod(end + 1, &end);
        n += (size_t)snprintf(t + n, cap - n,
                              "(declare-const X_%d Real)(assert (>= X_%d %.17g))"
                              "(assert (<= X_%d %.17g))\n",
                              i, i, fmax(0.0, x - eps), i, fmin(1.0, x + eps));
    }
    n += (size_t)snprintf(t + n, cap - n, "(assert (or");
    for (int j = 0; j < 10; j++)
        if (j != label)
            n += (size_t)snprintf(t + n, cap - n, " (and (>= Y_%d Y_%d))", j, label);
    snprintf(t + n, cap - n, "))\n");
    return t;
}

static nnh_spec *parse(const char *text)
{
    nnh_spec *spec = NULL;
    nnh_error err;
    ck_assert_msg(nnh_parse_vnnlib(text, "t", &spec, &err) == 0, "%s", err.msg);
    return spec;
}

/* A digits network, the ball property around one image and its prepared
 * problem. */
typedef struct fixture {
    nnh_network *net;
    char *text;
    nnh_spec *spec;
    nnh_verify_problem *P;
} fixture;

static void fixture_open(fixture *f, const char *act, const char *arch, int row, double eps)
{
    f->net = nnh_test_load_digits(act, arch);
    f->text = ball_property(row, eps);
    f->spec = parse(f->text);
    nnh_error err;
    ck_assert_msg(nnh_verify_problem_create(f->net, f->spec, &f->P, &err) == 0, "%s", err.msg);
}

static void fixture_close(fixture *f)
{
    nnh_verify_problem_free(f->P);
    nnh_spec_free(f->spec);
    free(f->text);
    nnh_network_free(f->net);
}

static nnh_verdict verify(const nnh_network *net, const nnh_spec *spec, int tighten, long max_regions,
                          nnh_verify_result *res)
{
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.tighten = tighten;
    o.split = NNH_SPLIT_INPUT; /* the regions counted below are input boxes */
    o.tighten_opts.method = tighten == NNH_TIGHTEN_HULL ? NNH_METHOD_HULL : NNH_METHOD_LP1D;
    o.max_regions = max_regions;
    nnh_error err;
    ck_assert_msg(nnh_verify(net, spec, &o, res, NULL, NULL, &err) == 0, "%s", err.msg);
    return res->verdict;
}

/* Digits sigmoid 64x10^5, image 2, eps 0.035: crown bounds with input
 * splitting need about 500 regions; the hull-tightened root closes at once. */
START_TEST(test_tightening_proves_with_fewer_regions)
{
    fixture f;
    fixture_open(&f, "sigmoid", "64x10x10x10x10x10", 2, 0.035);
    const nnh_network *net = f.net;
    const nnh_spec *spec = f.spec;
    nnh_verify_result r0, r1;
    ck_assert_int_eq(verify(net, spec, NNH_TIGHTEN_NONE, 50, &r0), NNH_VERDICT_UNKNOWN);
    ck_assert_int_eq(r0.tightened, 0);
    ck_assert_int_eq(verify(net, spec, NNH_TIGHTEN_HULL, 50, &r1), NNH_VERDICT_UNSAT);
    ck_assert_int_eq(r1.tightened, 1);
    ck_assert_int_gt(r1.tighten_tasks, 0);
    ck_assert_int_le(r1.regions, 3);
    /* auto: 64 inputs reach NNH_TIGHTEN_AUTO_MIN_INPUTS and there is no
     * timeout, so hull runs and proves it too */
    nnh_verify_result r2;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.max_regions = 5;
    nnh_error err;
    ck_assert_int_eq(nnh_verify(net, spec, &o, &r2, NULL, NULL, &err), 0);
    ck_assert_int_eq(r2.tightened, 1);
    ck_assert_int_eq(r2.verdict, NNH_VERDICT_UNSAT);
    /* a timeout under NNH_TIGHTEN_AUTO_TIME_SHARE x the estimated cost: no
     * tightening; above it: tightening */
    double cost = nnh_tighten_cost(net, &o.tighten_opts);
    ck_assert(cost > 0.01 && cost < 10);
    nnh_verify_result r3;
    o.timeout = 0.9 * NNH_TIGHTEN_AUTO_TIME_SHARE * cost;
    ck_assert_int_eq(nnh_verify(net, spec, &o, &r3, NULL, NULL, &err), 0);
    ck_assert_int_eq(r3.tightened, 0);
    nnh_verify_result_free(&r3);
    o.timeout = 1.1 * NNH_TIGHTEN_AUTO_TIME_SHARE * cost + 30;
    ck_assert_int_eq(nnh_verify(net, spec, &o, &r3, NULL, NULL, &err), 0);
    ck_assert_int_eq(r3.tightened, 1);
    nnh_verify_result_free(&r3);
    nnh_verify_result_free(&r0);
    nnh_verify_result_free(&r1);
    nnh_verify_result_free(&r2);
    fixture_close(&f);
}
END_TEST

/* The fraction that R's tightening under o gets (no root bounds: the
 * nets here are small or the fraction explicit). */
static double frac_of(const nnh_verify_problem *P, const nnh_bab_region *R,
                      const nnh_verify_opts *o)
{
    return nnh_tighten_fraction(P, R->group, o, NULL);
}

/* Root bounds of group 0: crown only (the region's own first pass) and
 * tightened with method m; every sampled point of every layer inside both,
 * and the tightened ones nested in crown's and tighter on average. */
static void check_contains_frac(const char *act, const char *name, double eps, nnh_method m,
                               double frac)
{
    fixture f;
    fixture_open(&f, act, name, 3, eps);
    nnh_verify_problem *P = f.P;
    nnh_error err;
    nnh_bab_region *R = nnh_bab_root(P, 0);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.tighten_fraction = frac;
    long tasks = 0;
    unsigned long long d = 0;
    ck_assert_msg(nnh_tighten_region(P, R, &o, m, frac_of(P, R, &o),
                                     0, NULL, NULL, NULL, NULL, &tasks, &d, &err) ==
                  0, "%s", err.msg);
    ck_assert_ptr_nonnull(R->hint);
    ck_assert_int_gt(tasks, 0);
    const nnh_network *N = nnh_verify_group_network(P, 0);
    nnh_bounds *crown;
    nnh_bound_opts co;
    nnh_bound_opts_init(&co);
    co.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bounds_create(N, R->lo, R->hi, &crown, &err), 0);
    ck_assert_int_eq(nnh_bounds_compute(N, crown, &co, NULL, NULL, NULL, &err), 0);
    const nnh_bounds *bs[2] = {R->hint, crown};
    nnh_sample_report rep[2];
    nnh_sample_check(N, bs, 2, R->lo, R->hi, 4000, 7, rep);
    for (int t = 0; t < 2; t++)
        ck_assert_msg(rep[t].worst <= NNH_SAMPLE_TOL, "%s %s: %s", name, t ? "crown" : "tightened",
                      nnh_sample_describe(&rep[t]));
    nnh_assert_within(R->hint, crown, 0.0, "tightened within crown");
    double wt = 0, wc = 0;
    for (int k = 1; k < N->n_layers; k++)
        for (int i = 0; i < crown->layers[k].width; i++) {
            wt += R->hint->layers[k].pre_hi[i] - R->hint->layers[k].pre_lo[i];
            wc += crown->layers[k].pre_hi[i] - crown->layers[k].pre_lo[i];
        }
    ck_assert_msg(wt < 0.99 * wc, "%s: tightened width %g vs crown %g", name, wt, wc);
    if (frac < 1) { /* every hidden layer kept some crown bounds */
        int n = N->n_layers, all = 2 * N->layers[n - 1].n_out;
        for (int k = 1; k + 1 < n; k++)
            all += 2 * N->layers[k].n_out;
        ck_assert_msg(tasks < all, "%s: %ld tasks of %d with fraction %g", name, tasks, all, frac);
    }
    nnh_bounds_free(crown);
    nnh_bab_region_free(R);
    fixture_close(&f);
}

static void check_contains(const char *act, const char *name, double eps, nnh_method m)
{
    check_contains_frac(act, name, eps, m, 1.0);
}

START_TEST(test_tightened_bounds_contain_samples)
{
    check_contains("sigmoid", "64x10x10x10x10x10", 0.04, NNH_METHOD_HULL);
    check_contains("relu", "64x10x10x10x10x10", 0.05, NNH_METHOD_LP1D);
    check_contains("tanh", "64x32x32x10", 0.03, NNH_METHOD_HULL);
}
END_TEST

/* The selection: sampled points of every layer inside the bounds of a
 * partly tightened root (relu, sigmoid, tanh; lp1d and hull), with fewer
 * LP tasks than the whole tightening. */
START_TEST(test_selected_bounds_contain_samples)
{
    check_contains_frac("sigmoid", "64x10x10x10x10x10", 0.04, NNH_METHOD_HULL, 0.3);
    check_contains_frac("relu", "64x10x10x10x10x10", 0.05, NNH_METHOD_LP1D, 0.5);
    check_contains_frac("tanh", "64x32x32x10", 0.03, NNH_METHOD_HULL, 0.25);
}
END_TEST

/* nnh_tighten_select's task lists: both tasks of ceil(f x width) neurons,
 * ascending; all tasks for f = 1, f = 0, the output layer, no pass. */
START_TEST(test_select_task_lists)
{
    fixture f;
    fixture_open(&f, "sigmoid", "64x10x10x10x10x10", 7, 0.03);
    const nnh_network *N = nnh_verify_group_network(f.P, 0);
    nnh_bab_region *R = nnh_bab_root(f.P, 0);
    nnh_bounds *b;
    nnh_bound_opts co;
    nnh_bound_opts_init(&co);
    co.method = NNH_METHOD_CROWN;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(N, R->lo, R->hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_compute(N, b, &co, NULL, NULL, NULL, &err), 0);
    int ids[64], out = N->n_layers - 1;
    const double fr[] = {0.3, 0.5, 0.01, 1.0, 0.0};
    for (int k = 1; k <= out; k++)
        for (int q = 0; q < 5; q++) {
            int w = N->layers[k].n_out;
            int n = nnh_tighten_select(N, b, b, k, fr[q], ids, &err);
            int want = k == out || fr[q] <= 0 || fr[q] >= 1 ? 2 * w : 2 * (int)ceil(fr[q] * w);
            ck_assert_int_eq(n, want);
            for (int j = 0; j < n; j += 2) {
                ck_assert_int_eq(ids[j] % 2, 0);
                ck_assert_int_eq(ids[j + 1], ids[j] + 1);
                ck_assert(j == 0 || ids[j] > ids[j - 1]);
                ck_assert(ids[j + 1] < 2 * w);
            }
        }
    ck_assert_int_eq(nnh_tighten_select(N, b, NULL, 2, 0.3, ids, &err), 2 * N->layers[2].n_out);
    nnh_bounds_free(b);
    nnh_bab_region_free(R);
    fixture_close(&f);
}
END_TEST

/* Known verdicts with the selection: sigmoid 64x10^5 image 2 eps 0.035
 * (holds) proved by a 30% hull tightening in at most 3 regions, where crown
 * with input splitting needs about 500; a ball large enough to hold a
 * counterexample (image 1, eps 0.1) stays sat. */
START_TEST(test_selection_verdicts)
{
    fixture f;
    fixture_open(&f, "sigmoid", "64x10x10x10x10x10", 2, 0.035);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.tighten = NNH_TIGHTEN_HULL;
    o.tighten_fraction = 0.3;
    o.split = NNH_SPLIT_INPUT;
    o.max_regions = 50;
    nnh_verify_result r;
    nnh_error err;
    ck_assert_msg(nnh_verify(f.net, f.spec, &o, &r, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.verdict, NNH_VERDICT_UNSAT);
    ck_assert_int_eq(r.tightened, 1);
    ck_assert_int_lt(r.tighten_tasks, 78); /* the whole tightening runs 78 */
    ck_assert_int_le(r.regions, 3);
    nnh_verify_result_free(&r);
    fixture_close(&f);
    fixture_open(&f, "sigmoid", "64x10x10x10x10x10", 1, 0.1);
    ck_assert_msg(nnh_verify(f.net, f.spec, &o, &r, NULL, NULL, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(r.verdict, NNH_VERDICT_SAT);
    nnh_verify_result_free(&r);
    fixture_close(&f);
}
END_TEST

/* auto's choice (nnh_tighten_method, nnh_tighten_fraction) on a net of the
 * ERAN 6x200 shape (784 inputs, random weights) with the activation act:
 * returns the fraction at timeout t (0 = no tightening) with the root's
 * bounds NULL (roots 0), every hidden pre-activation interval [-1, 1]
 * (roots 1: no neuron on one linear piece) or [1, 2] (roots 2: every ReLU
 * stable). */
static double auto_choice_win(nnh_act_kind act, double t, int roots, int auto_window, int *win)
{
    int sizes[] = {784, 200, 200, 200, 200, 200, 200, 10};
    unsigned long long st = 7;
    nnh_network *net = nnh_test_random_net(7, sizes, 0.5, &st);
    for (int k = 0; k < 6; k++)
        nnh_act_default(&net->layers[k].act, act);
    size_t cap = 200 * 1024, n = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    for (int i = 0; i < 784; i++)
        n += (size_t)snprintf(text + n, cap - n, "(declare-const X_%d Real)(assert (>= X_%d 0))"
                              "(assert (<= X_%d 0.01))\n", i, i, i);
    for (int j = 0; j < 10; j++)
        n += (size_t)snprintf(text + n, cap - n, "(declare-const Y_%d Real)\n", j);
    snprintf(text + n, cap - n, "(assert (>= Y_1 Y_0))\n");
    nnh_spec *spec = parse(text);
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_msg(nnh_verify_problem_create(net, spec, &P, &err) == 0, "%s", err.msg);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.timeout = t;
    o.tighten_auto_window = auto_window;
    nnh_bounds *b = NULL;
    if (roots) {
        const nnh_network *N = nnh_verify_group_network(P, 0);
        nnh_bab_region *R = nnh_bab_root(P, 0);
        ck_assert_ptr_nonnull(R);
        ck_assert_int_eq(nnh_bounds_create(N, R->lo, R->hi, &b, &err), 0);
        nnh_bab_region_free(R);
        for (int k = 0; k + 1 < N->n_layers; k++)
            for (int i = 0; i < N->layers[k].n_out; i++) {
                b->layers[k].pre_lo[i] = roots == 1 ? -1.0 : 1.0;
                b->layers[k].pre_hi[i] = roots == 1 ? 1.0 : 2.0;
            }
    }
    double f =
        nnh_tighten_method(P, 0, &o) == NNH_METHOD_HULL ? nnh_tighten_fraction(P, 0, &o, b) : 0;
    if (win)
        *win = f > 0 ? nnh_tighten_window(P, 0, &o, b, f) : -1;
    nnh_bounds_free(b);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    free(text);
    nnh_network_free(net);
    return f;
}

static double auto_choice_at(nnh_act_kind act, double t, int roots)
{
    return auto_choice_win(act, t, roots, NNH_TIGHTEN_AUTO_WINDOW, NULL);
}

static double auto_choice(nnh_act_kind act, double t) { return auto_choice_at(act, t, 0); }

/* The window auto's tightening uses (-1: none) on the ERAN-shaped net. */
static int auto_window(nnh_act_kind act, double t, int roots, int auto_window)
{
    int w;
    auto_choice_win(act, t, roots, auto_window, &w);
    return w;
}

/* auto at the ERAN size: sigmoid at the official 300 s gets the partial
 * tightening, at 30 s none, without a timeout all of it; ReLU decides on
 * the root's bounds (-1 without them), at NNH_TIGHTEN_PL_COST_SCALE of the
 * model's cost: the partial tightening at 200 s with every neuron open, at
 * 50 s only when they are stable. */
START_TEST(test_auto_partial_on_large_nets)
{
    ck_assert_double_eq(auto_choice(NNH_ACT_SIGMOID, 300), NNH_TIGHTEN_AUTO_FRACTION);
    ck_assert_double_eq(auto_choice(NNH_ACT_TANH, 300), NNH_TIGHTEN_AUTO_FRACTION);
    ck_assert_double_eq(auto_choice(NNH_ACT_SIGMOID, 30), 0);
    ck_assert_double_eq(auto_choice(NNH_ACT_SIGMOID, 0), 1);
    ck_assert_double_eq(auto_choice(NNH_ACT_RELU, 0), 1);
    /* ReLU: the cost of the selected tasks counts the root's open neurons
     * only (stable ones get no LP), so the choice needs the root's bounds */
    ck_assert_double_eq(auto_choice(NNH_ACT_RELU, 300), -1);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_RELU, 300, 1), NNH_TIGHTEN_AUTO_FRACTION);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_RELU, 200, 1), NNH_TIGHTEN_AUTO_FRACTION);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_RELU, 50, 1), 0);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_RELU, 50, 2), NNH_TIGHTEN_AUTO_FRACTION);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_RELU, 30, 1), 0);
    /* a smooth net's choice does not look at the bounds */
    ck_assert_double_eq(auto_choice_at(NNH_ACT_SIGMOID, 200, 2), 0);
    ck_assert_double_eq(auto_choice_at(NNH_ACT_SIGMOID, 300, 1), NNH_TIGHTEN_AUTO_FRACTION);
}
END_TEST

/* auto's LP window: on a ReLU net the partial tightening's LPs look back as
 * many layers as the timeout pays for (cost on the root's open neurons),
 * up to tighten_auto_window; a smooth net, the whole tightening (no
 * timeout) and tighten_auto_window 0 keep tighten_opts.window (1). */
START_TEST(test_auto_window)
{
    ck_assert_int_eq(auto_window(NNH_ACT_RELU, 300, 2, NNH_TIGHTEN_AUTO_WINDOW),
                     NNH_TIGHTEN_AUTO_WINDOW);
    int w300 = auto_window(NNH_ACT_RELU, 300, 1, NNH_TIGHTEN_AUTO_WINDOW);
    int w600 = auto_window(NNH_ACT_RELU, 600, 1, NNH_TIGHTEN_AUTO_WINDOW);
    ck_assert_int_ge(w300, 1);
    ck_assert_int_ge(w600, w300); /* more time, never a shallower window */
    ck_assert_int_eq(w600, NNH_TIGHTEN_AUTO_WINDOW);
    ck_assert_int_eq(auto_window(NNH_ACT_RELU, 600, 1, 2), 2);
    ck_assert_int_eq(auto_window(NNH_ACT_RELU, 600, 1, 0), 1);
    ck_assert_int_eq(auto_window(NNH_ACT_RELU, 0, 1, NNH_TIGHTEN_AUTO_WINDOW), 1);
    ck_assert_int_eq(auto_window(NNH_ACT_RELU, 30, 1, NNH_TIGHTEN_AUTO_WINDOW), -1);
    ck_assert_int_eq(auto_window(NNH_ACT_SIGMOID, 300, 1, NNH_TIGHTEN_AUTO_WINDOW), 1);
    ck_assert_int_eq(auto_window(NNH_ACT_SIGMOID, 0, 0, NNH_TIGHTEN_AUTO_WINDOW), 1);
    /* the window steps down with the time: some timeout gets each of 1..3 */
    int seen[NNH_TIGHTEN_AUTO_WINDOW + 1] = {0};
    for (double t = 30; t <= 1200; t += 10) {
        int w = auto_window(NNH_ACT_RELU, t, 1, NNH_TIGHTEN_AUTO_WINDOW);
        if (w >= 1)
            seen[w] = 1;
    }
    for (int w = 1; w <= NNH_TIGHTEN_AUTO_WINDOW; w++)
        ck_assert_msg(seen[w], "no timeout gives window %d", w);
}
END_TEST

/* Split over 3 "ranks" as mpi/dist_verify.c splits a layer
 * (nnh_tighten_owner), a run of layer tasks gives the serial results bit for
 * bit. */
static int split3(void *arg, int g, const nnh_bounds *b, int k, const nnh_bound_opts *bo,
                  int n_tasks, const int *ids, double *res, nnh_layer_stats *st, nnh_error *err)
{
    const nnh_verify_problem *P = arg;
    for (int r = 2; r >= 0; r--) {
        int rc = nnh_tighten_tasks(nnh_verify_group_network(P, g), b, k, bo, r, 3, n_tasks, ids,
                                   0, NULL, NULL, res, st, err);
        if (rc)
            return rc;
    }
    return NNH_OK;
}

START_TEST(test_split_tasks_same_bounds)
{
    fixture f;
    fixture_open(&f, "tanh", "64x10x10x10x10x10", 1, 0.03);
    nnh_verify_problem *P = f.P;
    nnh_error err;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    nnh_bab_region *R[2] = {nnh_bab_root(P, 0), nnh_bab_root(P, 0)};
    long tasks[2] = {0, 0};
    unsigned long long d[2];
    ck_assert_int_eq(nnh_tighten_region(P, R[0], &o, NNH_METHOD_HULL, frac_of(P, R[0], &o),
                                        0, NULL, NULL, NULL, NULL,
                                        &tasks[0], &d[0], &err), 0);
    ck_assert_int_eq(nnh_tighten_region(P, R[1], &o, NNH_METHOD_HULL, frac_of(P, R[1], &o),
                                        0, split3, P, NULL, NULL,
                                        &tasks[1], &d[1], &err), 0);
    ck_assert_int_eq(tasks[0], tasks[1]);
    ck_assert(d[0] == d[1]);
    ck_assert(nnh_test_same_bounds(R[0]->hint, R[1]->hint));
    /* with the selection: the kept tasks split over 3 ranks, the same bounds */
    o.tighten_fraction = 0.4;
    nnh_bab_region *S[2] = {nnh_bab_root(P, 0), nnh_bab_root(P, 0)};
    long st[2] = {0, 0};
    unsigned long long sd[2];
    ck_assert_int_eq(nnh_tighten_region(P, S[0], &o, NNH_METHOD_HULL, frac_of(P, S[0], &o),
                                        0, NULL, NULL, NULL, NULL,
                                        &st[0], &sd[0], &err), 0);
    ck_assert_int_eq(nnh_tighten_region(P, S[1], &o, NNH_METHOD_HULL, frac_of(P, S[1], &o),
                                        0, split3, P, NULL, NULL,
                                        &st[1], &sd[1], &err), 0);
    ck_assert_int_eq(st[0], st[1]);
    ck_assert_int_lt(st[0], tasks[0]);
    ck_assert(sd[0] == sd[1] && sd[0] != d[0]);
    ck_assert(nnh_test_same_bounds(S[0]->hint, S[1]->hint));
    nnh_bab_region_free(S[0]);
    nnh_bab_region_free(S[1]);
    /* a deadline already past: no LP task runs, the crown bounds stay */
    nnh_bab_region *late = nnh_bab_root(P, 0);
    long none = 0;
    unsigned long long dl;
    ck_assert_int_eq(nnh_tighten_region(P, late, &o, NNH_METHOD_HULL, frac_of(P, late, &o),
                                        1e-9, NULL, NULL, NULL, NULL,
                                        &none, &dl, &err), 0);
    ck_assert_int_eq(none, 0);
    nnh_bab_region_free(late);
    nnh_bab_region_free(R[0]);
    nnh_bab_region_free(R[1]);
    fixture_close(&f);
}
END_TEST

START_TEST(test_names_and_bad_options)
{
    int t = -1;
    const char *names[] = {"none", "auto", "lp1d", "hull"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(nnh_tighten_parse(names[i], &t), 0);
        ck_assert_str_eq(nnh_tighten_name(t), names[i]);
    }
    ck_assert_int_eq(nnh_tighten_parse("crown", &t), NNH_EINVAL);
    ck_assert_int_eq(nnh_tighten_parse(NULL, &t), NNH_EINVAL);
    /* options outside the schema's ranges are refused before any work */
    fixture f;
    fixture_open(&f, "relu", "64x32x32x10", 1, 0.01);
    nnh_error err;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.tighten_opts.window = -1;
    nnh_bab_region *R = nnh_bab_root(f.P, 0);
    long tasks = 0;
    unsigned long long d;
    ck_assert_int_eq(nnh_tighten_region(f.P, R, &o, NNH_METHOD_LP1D, frac_of(f.P, R, &o),
                                        0, NULL, NULL, NULL, NULL,
                                        &tasks, &d, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "window"));
    ck_assert_ptr_null(R->hint);
    nnh_bab_region_free(R);
    fixture_close(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify_tighten");
    TCase *tc = tcase_create("verify_tighten");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_tightening_proves_with_fewer_regions);
    tcase_add_test(tc, test_tightened_bounds_contain_samples);
    tcase_add_test(tc, test_split_tasks_same_bounds);
    tcase_add_test(tc, test_selected_bounds_contain_samples);
    tcase_add_test(tc, test_select_task_lists);
    tcase_add_test(tc, test_selection_verdicts);
    tcase_add_test(tc, test_auto_partial_on_large_nets);
    tcase_add_test(tc, test_auto_window);
    tcase_add_test(tc, test_names_and_bad_options);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
