/* A wider window for the highest-scored neurons of each hidden layer
 * (nnh_bound_opts.wide_fraction, wide_window, wide_score; src/bound/lp_wide.c)
 * on the example networks: sampled points lie in every layer's bounds and
 * the methods nest (hull in lp1d in crown in ibp) with the same options;
 * hull is never looser than lp1d task by task on the same context; every
 * task is bit for bit the task of either the plain window or the wide
 * window's context (the wide one exactly for the chosen neurons, where the
 * wide window applies); a wide task is never looser than the window-1 task
 * of the same neuron on the same bounds (one LP solve per task; with the
 * cut loop and budgets only in the sum of each layer's widths, since cut
 * loops of two LPs follow different paths); the propagated score is the
 * |W| products computed here by hand; and the keys' provenance. */
#include "lp_layer.h"
#include "nnh_examples.h"
#include "nnh_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 0.05
static const char *const ARCH_DEEP = "64x10x10x10x10x10";
static const char *const acts[] = {"relu", "sigmoid", "tanh", "elu"};
#define N_ACTS ((int)(sizeof acts / sizeof *acts))

/* window 1 with wide_fraction 0.5 at wide window 2 (one-layer score) on
 * the ball and wide window 2 with the propagated score on the full box,
 * then the depth profile's keys with wide_fraction 0.3 at window 2:
 * sampled at every layer, nested, hull within lp1d task by task. */
START_TEST(test_wide_sound)
{
    nnh_network *net = nnh_test_load_digits(acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    for (int c = 0; c < 3; c++) {
        nnh_test_digits_region(c == 1, EPS, lo, hi);
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.window = 1;
        o.wide_window = 2;
        o.wide_fraction = c == 2 ? 0.3 : 0.5;
        o.wide_score = c >= 1;
        o.wide_input = c == 1;
        if (c == 2) { /* nnh_bound_opts_deep_defaults' keys but the output window */
            o.max_rounds = 3;
            o.task_iter_limit = 1000;
            o.long_step = 1;
            o.min_gain = 1e-3;
        }
        char what[128];
        snprintf(what, sizeof what, "%s %s wide %g score %d%s", acts[_i], c == 1 ? "box" : "ball",
                 o.wide_fraction, o.wide_score, c == 2 ? " profile" : "");
        nnh_test_check_opts(net, what, lo, hi, &o, 0);
        nnh_bounds *cb = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
        int n = 0;
        nnh_test_hull_vs_lp1d(net, cb, &o, &n);
        ck_assert_int_gt(n, 0);
        nnh_bounds_free(cb);
    }
    nnh_network_free(net);
}
END_TEST

/* Tasks of context (o) against those of the plain window (o without the
 * wide keys) and of the wide window (window = wide_window) on the same
 * bounds b, layer k: each neuron's two bounds are bit for bit those of one
 * of them; returns the number of neurons that took the wide ones and not
 * the plain ones (*differ: neurons whose plain and wide bounds differ). */
static int wide_neurons(const nnh_network *net, const nnh_bounds *b, int k,
                        const nnh_bound_opts *o, int *differ)
{
    nnh_bound_opts p = *o, w = *o;
    p.wide_fraction = w.wide_fraction = 0.0;
    w.window = o->wide_window;
    nnh_error err;
    nnh_lp_layer *A, *P, *W;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, o, &A, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &p, &P, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &w, &W, &err), 0);
    int n_wide = 0;
    *differ = 0;
    for (int i = 0; i < net->layers[k].n_out; i++) {
        double va[2], vp[2], vw[2];
        for (int s = 0; s < 2; s++) {
            ck_assert_int_eq(nnh_lp_layer_bound(A, i, s ? 1 : -1, &va[s], NULL, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(P, i, s ? 1 : -1, &vp[s], NULL, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(W, i, s ? 1 : -1, &vw[s], NULL, &err), 0);
        }
        int is_p = va[0] == vp[0] && va[1] == vp[1], is_w = va[0] == vw[0] && va[1] == vw[1];
        ck_assert_msg(is_p || is_w,
                      "layer %d neuron %d: [%.17g, %.17g] is neither the plain [%.17g, %.17g] "
                      "nor the wide [%.17g, %.17g] task",
                      k, i, va[0], va[1], vp[0], vp[1], vw[0], vw[1]);
        n_wide += is_w && !is_p;
        *differ += !(vp[0] == vw[0] && vp[1] == vw[1]);
    }
    nnh_lp_layer_free(A);
    nnh_lp_layer_free(P);
    nnh_lp_layer_free(W);
    return n_wide;
}

/* Which tasks go wide: with fraction 1 and wide_input every neuron of a
 * hidden layer k >= 2 (where window 1 does not reach the input; at k = 2
 * the wide window 2 is the whole prefix) takes the wide context's bounds;
 * with 0.5 at most half; layer 1 (window 1 is the whole prefix already) and
 * the output layer keep the plain window's, and without wide_input layer 2
 * too. */
START_TEST(test_wide_choice)
{
    nnh_network *net = nnh_test_load_digits("sigmoid", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
    o.window = 1;
    o.wide_window = 2;
    o.wide_input = 1;
    int last = net->n_layers - 1, differ, total_differ = 0;
    for (int k = 1; k <= last; k++) {
        int w = net->layers[k].n_out;
        o.wide_fraction = 1.0;
        o.wide_input = 0;
        int n0 = wide_neurons(net, b, k, &o, &differ);
        ck_assert_int_eq(n0, k > o.wide_window && k < last ? differ : 0);
        o.wide_input = 1;
        int n1 = wide_neurons(net, b, k, &o, &differ);
        o.wide_fraction = 0.5;
        int nh = wide_neurons(net, b, k, &o, &differ);
        printf("layer %d: wide tasks of %d neurons: fraction 1 %d, 0.5 %d (plain and wide "
               "differ on %d)\n", k, w, n1, nh, differ);
        if (k >= 2 && k < last) {
            ck_assert_int_eq(n1, differ); /* every neuron whose bounds can tell */
            ck_assert_int_le(nh, w / 2);
            total_differ += differ;
        } else {
            ck_assert_int_eq(n1, 0);
            ck_assert_int_eq(nh, 0);
        }
    }
    ck_assert_int_gt(total_differ, 0); /* the wide window changed something */
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* On the same bounds: one LP solve per task (no cut rounds), the wide
 * context (fraction 1) holds every row of window 1's LP, so no bound is
 * looser (safe bounds of two near-optimal dual vectors: 1e-6 relative
 * allowed) and some are tighter; with hull's cut loop and the depth
 * profile's budget a single task may end looser (another LP path), so
 * there the sum of the layer's widths is asserted. */
START_TEST(test_wide_never_looser)
{
    nnh_network *net = nnh_test_load_digits(acts[_i], ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    for (int box = 0; box < 2; box++) {
        nnh_test_digits_region(box, EPS, lo, hi);
        nnh_bound_opts c;
        nnh_bound_opts_init(&c);
        nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &c, NNH_METHOD_CROWN, NULL);
        for (int loop = 0; loop < 2; loop++) {
            nnh_bound_opts o0 = c;
            o0.method = loop ? NNH_METHOD_HULL : NNH_METHOD_LP1D;
            o0.window = 1;
            if (loop) {
                o0.task_iter_limit = 1000;
                o0.long_step = 1;
                o0.min_gain = 1e-3;
            } else
                o0.max_rounds = 0;
            nnh_bound_opts o1 = o0;
            o1.wide_fraction = 1.0;
            o1.wide_window = 2;
            o1.wide_input = 1;
            int tighter = 0, looser = 0, n = 0;
            double w0 = 0, w1 = 0;
            nnh_error err;
            for (int k = 2; k + 1 < net->n_layers; k++) { /* where the wide window applies */
                nnh_lp_layer *L0, *L1;
                ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o0, &L0, &err), 0);
                ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o1, &L1, &err), 0);
                for (int i = 0; i < net->layers[k].n_out; i++) {
                    double v0[2], v1[2];
                    for (int s = 0; s < 2; s++, n++) {
                        int sense = s ? 1 : -1;
                        ck_assert_int_eq(nnh_lp_layer_bound(L0, i, sense, &v0[s], NULL, &err), 0);
                        ck_assert_int_eq(nnh_lp_layer_bound(L1, i, sense, &v1[s], NULL, &err), 0);
                        double tol = 1e-6 * (1.0 + fabs(v0[s]));
                        int worse = sense < 0 ? v1[s] < v0[s] - tol : v1[s] > v0[s] + tol;
                        if (!loop)
                            ck_assert_msg(!worse,
                                          "%s %s layer %d neuron %d sense %d: wide %.17g looser "
                                          "than window 1 %.17g",
                                          acts[_i], box ? "box" : "ball", k, i, sense, v1[s],
                                          v0[s]);
                        looser += worse;
                        tighter += sense < 0 ? v1[s] > v0[s] + tol : v1[s] < v0[s] - tol;
                    }
                    w0 += v0[1] - v0[0];
                    w1 += v1[1] - v1[0];
                }
                nnh_lp_layer_free(L0);
                nnh_lp_layer_free(L1);
            }
            printf("%s %s %s: wide tighter on %d, looser on %d of %d tasks; width %.6g -> "
                   "%.6g\n", acts[_i], box ? "box" : "ball",
                   loop ? "hull, profile budget" : "lp1d, one solve", tighter, looser, n, w0,
                   w1);
            ck_assert_msg(w1 <= w0 * (1 + 1e-9) + 1e-9, "wide layers wider: %.17g > %.17g", w1,
                          w0);
            if (!loop)
                ck_assert_int_gt(tighter, 0);
        }
        nnh_bounds_free(b);
    }
    nnh_network_free(net);
}
END_TEST

/* nnh_lp_scores: ascending, ties by index; score 0 is post width x column
 * sums of |W_{k+1}|, score 1 the post width x |W| products to the output,
 * computed here without scaling (the order must agree). */
START_TEST(test_wide_scores)
{
    nnh_network *net = nnh_test_load_digits("tanh", ARCH_DEEP);
    double lo[NNH_DIGITS_N_IN], hi[NNH_DIGITS_N_IN];
    nnh_test_digits_ball(EPS, lo, hi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    nnh_bounds *b = nnh_test_run_opts(net, lo, hi, &o, NNH_METHOD_CROWN, NULL);
    nnh_error err;
    int last = net->n_layers - 1, k = 1, w = net->layers[k].n_out;
    nnh_lp_scored s0[64], s1[64];
    ck_assert_int_le(w, 64);
    ck_assert_int_eq(nnh_lp_scores(net, b, k, 0, s0, &err), 0);
    ck_assert_int_eq(nnh_lp_scores(net, b, k, 1, s1, &err), 0);
    double g[64], h[64], one[64];
    /* by hand: g = |W_last|^T 1, then g <- |W_j|^T g down to j = k + 1 */
    for (int r = 0; r < 64; r++)
        one[r] = 1.0;
    const double *in = one;
    for (int j = last; j > k; j--) {
        const nnh_layer *Ly = &net->layers[j];
        ck_assert_ptr_nonnull(Ly->W); /* dense */
        for (int i = 0; i < Ly->n_in; i++) {
            h[i] = 0.0;
            for (int r = 0; r < Ly->n_out; r++)
                h[i] += fabs(Ly->W[(size_t)r * Ly->n_in + i]) * in[r];
        }
        memcpy(g, h, sizeof g);
        in = g;
    }
    const nnh_layer_bounds *B = &b->layers[k];
    for (int t = 0; t + 1 < w; t++) {
        ck_assert(s0[t].score <= s0[t + 1].score);
        ck_assert(s1[t].score <= s1[t + 1].score);
        double a = (B->post_hi[s1[t].idx] - B->post_lo[s1[t].idx]) * g[s1[t].idx];
        double c = (B->post_hi[s1[t + 1].idx] - B->post_lo[s1[t + 1].idx]) * g[s1[t + 1].idx];
        ck_assert_msg(a <= c * (1 + 1e-12), "propagated order: %g before %g", a, c);
    }
    int same = 1;
    for (int t = 0; t < w; t++)
        same &= s0[t].idx == s1[t].idx;
    printf("tanh ball layer %d: propagated score %s the one-layer order\n", k,
           same ? "keeps" : "changes");
    /* the last hidden layer: both scores are the same */
    ck_assert_int_eq(nnh_lp_scores(net, b, last - 1, 0, s0, &err), 0);
    ck_assert_int_eq(nnh_lp_scores(net, b, last - 1, 1, s1, &err), 0);
    for (int t = 0; t < net->layers[last - 1].n_out; t++)
        ck_assert(s0[t].idx == s1[t].idx && s0[t].score == s1[t].score);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* The keys reach the provenance JSON only when set; bad values refused;
 * every one is a depth key (giving it turns the depth profile off). */
START_TEST(test_wide_opts)
{
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_HULL;
    char *j = nnh_bound_opts_json(&o);
    ck_assert_ptr_null(strstr(j, "wide_"));
    free(j);
    o.window = 1;
    o.wide_fraction = 0.25;
    o.wide_window = 2;
    o.wide_score = 1;
    o.wide_input = 1;
    j = nnh_bound_opts_json(&o);
    ck_assert_ptr_nonnull(strstr(j, "\"window\": 1, \"wide_fraction\": 0.25, \"wide_window\": 2, "
                                    "\"wide_score\": 1, \"wide_input\": 1}"));
    free(j);
    nnh_error err;
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_fraction", 1.5, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_window", 1.5, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_score", 2, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_input", 2, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_fraction", 0.75, &err), NNH_OK);
    ck_assert(o.wide_fraction == 0.75);
    ck_assert_ptr_nonnull(strstr(nnh_bound_opts_depth_keys(), "wide_fraction"));
    ck_assert_ptr_nonnull(strstr(nnh_bound_opts_depth_keys(), "wide_window"));
    ck_assert_ptr_nonnull(strstr(nnh_bound_opts_depth_keys(), "wide_score"));
    ck_assert_ptr_nonnull(strstr(nnh_bound_opts_depth_keys(), "wide_input"));
    o.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bound_opts_set(&o, "wide_fraction", 0.5, &err), NNH_EUNSUPPORTED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engines_wide");
    TCase *tc = tcase_create("wide");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_wide_opts);
    tcase_add_test(tc, test_wide_scores);
    tcase_add_test(tc, test_wide_choice);
    tcase_add_loop_test(tc, test_wide_never_looser, 0, N_ACTS);
    tcase_add_loop_test(tc, test_wide_sound, 0, N_ACTS);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
