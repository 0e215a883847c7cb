/* Unit tests of crown passes (src/bound/crown.c, crown_pass.h): a sweep
 * through a pass gives the bounds and forms of nnh_crown_layer_sel to the
 * bit, so do its rows with chosen slopes (alpha-CROWN's certification) as
 * those of nnh_crown_row_slopes, and the narrowed-neuron estimate of
 * filtered smart branching is the
 * crown bound of a narrowed copy up to its rounding-error terms, never
 * above it, and below every sampled value of its domain. */
#include "crown_pass.h"
#include "crown_slopes.h"
#include "nnh_examples.h"
#include "nnh_test.h"
#include "nnh_verify_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSEED 8

static const nnh_act_kind acts[] = {NNH_ACT_RELU, NNH_ACT_SIGMOID, NNH_ACT_TANH};

/* IBP then crown on each layer of b in order; the hidden layers on every
 * other neuron when `half` (the selection a driver makes), the last on all;
 * through `pass` when not NULL, else nnh_crown_layer_sel. The last layer's
 * lower forms go to F. */
static void sweep(const nnh_network *N, nnh_bounds *b, nnh_crown_pass *pass, int half,
                  nnh_crown_forms *F)
{
    int sel[64];
    nnh_error err;
    for (int k = 0; k < N->n_layers; k++) {
        int last = k == N->n_layers - 1, n = 0;
        nnh_bounds_ibp_layer(N, b, k);
        for (int i = 0; i < N->layers[k].n_out; i++)
            if (last || !half || i % 2 == k % 2)
                sel[n++] = i;
        int rc = pass ? nnh_crown_pass_layer(pass, b, k, sel, n, last ? F : NULL, &err)
                      : nnh_crown_layer_sel(N, b, k, sel, n, last ? F : NULL, &err);
        ck_assert_int_eq(rc, 0);
    }
}

START_TEST(test_pass_same_bits)
{
    for (int a = 0; a < 3; a++)
        for (unsigned long long seed = 1; seed <= NSEED; seed++)
            for (int half = 0; half < 2; half++) {
                nnh_network *N = nnh_test_net2(3, 8, 2.0, acts[a], seed);
                double lo[2] = {-1, -0.5}, hi[2] = {0.5, 1}, A[2][2], c[2], il[2][2], ih[2][2];
                nnh_crown_forms F[2] = {{A[0], &c[0], il[0], ih[0]}, {A[1], &c[1], il[1], ih[1]}};
                nnh_bounds *b[2];
                nnh_error err;
                nnh_crown_pass *pass;
                /* max_sel 3 < 8: the pass works in batches */
                ck_assert_int_eq(nnh_crown_pass_new(N, 3, &pass, &err), 0);
                for (int t = 0; t < 2; t++) {
                    ck_assert_int_eq(nnh_bounds_create(N, lo, hi, &b[t], &err), 0);
                    sweep(N, b[t], t ? pass : NULL, half, &F[t]);
                }
                ck_assert(nnh_test_same_bounds(b[0], b[1]));
                ck_assert(memcmp(A[0], A[1], sizeof A[0]) == 0 && memcmp(&c[0], &c[1], sizeof c[0]) == 0);
                /* the sweep tightened something: a vacuous check would pass too */
                ck_assert(b[0]->layers[3].pre_hi[0] - b[0]->layers[3].pre_lo[0] < 1e6);
                /* reset, then the same sweep on a narrower box: the pass
                 * prepares again (stale lines would differ) */
                double lo2[2] = {-0.2, 0.1}, hi2[2] = {0.1, 0.3};
                nnh_crown_pass_reset(pass);
                for (int t = 0; t < 2; t++) {
                    nnh_bounds_free(b[t]);
                    ck_assert_int_eq(nnh_bounds_create(N, lo2, hi2, &b[t], &err), 0);
                    sweep(N, b[t], t ? pass : NULL, half, &F[t]);
                }
                ck_assert(nnh_test_same_bounds(b[0], b[1]));
                for (int t = 0; t < 2; t++)
                    nnh_bounds_free(b[t]);
                nnh_crown_pass_free(pass);
                nnh_network_free(N);
            }
}
END_TEST

/* Crown's lower bound of the output over a copy of b with neuron (k, j)
 * narrowed to [lo, hi] (the computation the estimate replaces). */
static double copy_bound(const nnh_network *N, const nnh_bounds *b, int k, int j, double lo,
                         double hi)
{
    nnh_bounds *c;
    nnh_error err;
    int last = N->n_layers - 1, row = 0;
    ck_assert_int_eq(nnh_bounds_copy(b, &c, &err), 0);
    nnh_layer_bounds *L = &c->layers[k];
    L->pre_lo[j] = lo;
    L->pre_hi[j] = hi;
    nnh_act_image(&N->layers[k].act, lo, hi, &L->post_lo[j], &L->post_hi[j]);
    c->layers[last].pre_lo[0] = -INFINITY;
    c->layers[last].pre_hi[0] = INFINITY;
    ck_assert_int_eq(nnh_crown_layer_sel(N, c, last, &row, 1, NULL, &err), 0);
    double v = c->layers[last].pre_lo[0];
    nnh_bounds_free(c);
    return v;
}

START_TEST(test_narrowed_estimate)
{
    int compared = 0, sampled = 0;
    for (int a = 0; a < 3; a++)
        for (unsigned long long seed = 1; seed <= NSEED; seed++) {
            nnh_network *N = nnh_test_net2(3, 8, 2.0, acts[a], seed);
            double lo[2] = {-1, -1}, hi[2] = {1, 1};
            nnh_bound_opts bo;
            nnh_bound_opts_init(&bo);
            nnh_bounds *b = nnh_test_run_opts(N, lo, hi, &bo, NNH_METHOD_CROWN, NULL);
            nnh_crown_pass *pass;
            nnh_error err;
            ck_assert_int_eq(nnh_crown_pass_new(N, 1, &pass, &err), 0);
            double pbuf[2][32], *pre[4], *post[4];
            for (int k = 0; k < 4; k++) {
                pre[k] = pbuf[0] + 8 * k;
                post[k] = pbuf[1] + 8 * k;
            }
            unsigned long long st = seed;
            for (int k = 0; k < 3; k++)
                for (int j = 0; j < 8; j++) {
                    double l = b->layers[k].pre_lo[j], u = b->layers[k].pre_hi[j];
                    double at = acts[a] == NNH_ACT_RELU ? 0.0 : 0.5 * l + 0.5 * u;
                    if (!(l < at && at < u))
                        continue;
                    for (int side = 0; side < 2; side++) {
                        double nl = side ? at : l, nu = side ? u : at, v;
                        ck_assert_int_eq(
                            nnh_crown_pass_narrowed(pass, b, 0, k, j, nl, nu, &v, &err), 0);
                        double w = copy_bound(N, b, k, j, nl, nu);
                        ck_assert_msg(v <= w && w - v <= 1e-9 * (1 + fabs(w)),
                                      "seed %llu (%d, %d): estimate %.17g, copy %.17g", seed, k,
                                      j, v, w);
                        compared++;
                        for (int n = 0; n < 300; n++) {
                            double x[2] = {-1 + 2 * nnh_test_rand(&st),
                                           -1 + 2 * nnh_test_rand(&st)};
                            nnh_network_eval_layers(N, x, pre, post);
                            if (pre[k][j] < nl || pre[k][j] > nu)
                                continue;
                            sampled++;
                            ck_assert_msg(post[3][0] >= v - 1e-12, "seed %llu: %g below %g",
                                          seed, post[3][0], v);
                        }
                    }
                }
            /* bad arguments are refused, not read out of range */
            double v;
            ck_assert_int_eq(nnh_crown_pass_narrowed(pass, b, 0, 3, 0, 0, 1, &v, &err),
                             NNH_EINVAL);
            ck_assert_int_eq(nnh_crown_pass_narrowed(pass, b, 1, 0, 0, 0, 1, &v, &err),
                             NNH_EINVAL);
            nnh_crown_pass_free(pass);
            nnh_bounds_free(b);
            nnh_network_free(N);
        }
    fprintf(stderr, "narrowed estimates: %d compared, %d sampled points\n", compared, sampled);
    ck_assert_int_gt(compared, 100);
    ck_assert_int_gt(sampled, 10000);
}
END_TEST

/* Rows with slopes through a slopes pass against nnh_crown_row_slopes, on
 * ReLU and leaky ReLU nets whose bounds include split neurons (intervals
 * ending at 0, where a slope range carries the split multiplier): the same
 * bound and form to the bit, for crown's slopes, random ones, NaN (crown's
 * line) and ones outside the range (clamped). */
START_TEST(test_row_slopes_same_bits)
{
    int rows_checked = 0, moved = 0;
    for (int leaky = 0; leaky < 2; leaky++)
        for (unsigned long long seed = 1; seed <= NSEED; seed++) {
            nnh_network *N = nnh_test_net2(3, 8, 2.0, NNH_ACT_RELU, seed);
            for (int k = 0; k < 3 && leaky; k++) {
                N->layers[k].act.kind = NNH_ACT_LEAKY_RELU;
                N->layers[k].act.alpha = 0.1;
            }
            double lo[2] = {-1, -1}, hi[2] = {1, 1};
            nnh_bound_opts bo;
            nnh_bound_opts_init(&bo);
            nnh_bounds *b = nnh_test_run_opts(N, lo, hi, &bo, NNH_METHOD_CROWN, NULL);
            /* split two unstable neurons of layer 1: one active, one inactive */
            for (int j = 0, done = 0; j < 8 && done < 2; j++) {
                nnh_layer_bounds *L = &b->layers[1];
                if (!(L->pre_lo[j] < 0 && L->pre_hi[j] > 0))
                    continue;
                if (done++ == 0)
                    L->pre_lo[j] = 0.0;
                else
                    L->pre_hi[j] = 0.0;
                nnh_act_image(&N->layers[1].act, L->pre_lo[j], L->pre_hi[j], &L->post_lo[j],
                              &L->post_hi[j]);
            }
            nnh_crown_pass *pass;
            nnh_error err;
            ck_assert_int_eq(nnh_crown_pass_new_slopes(N, &pass, &err), 0);
            double slopes[32], A[2][2], c[2], il[2][2], ih[2][2], v[2];
            unsigned long long st = seed;
            for (int trial = 0; trial < 4; trial++) {
                for (int q = 0; q < 32; q++) {
                    double r = nnh_test_rand(&st);
                    slopes[q] = trial == 1 ? NAN : trial == 2 ? 3 * r - 1 : r;
                }
                for (int k = 1; k < 4; k++)
                    for (int row = 0; row < N->layers[k].n_out; row++)
                        for (int sign = -1; sign <= 1; sign += 2) {
                            const double *sl = trial ? slopes : NULL;
                            nnh_crown_forms F[2] = {{A[0], &c[0], il[0], ih[0]},
                                                    {A[1], &c[1], il[1], ih[1]}};
                            ck_assert_int_eq(nnh_crown_row_slopes(N, b, k, row, sign, sl, &v[0],
                                                                  &F[0], &err),
                                             0);
                            ck_assert_int_eq(nnh_crown_pass_row_slopes(pass, b, k, row, sign, sl,
                                                                       &v[1], &F[1], &err),
                                             0);
                            ck_assert_msg(memcmp(&v[0], &v[1], sizeof v[0]) == 0,
                                          "seed %llu layer %d row %d: %.17g != %.17g", seed, k,
                                          row, v[0], v[1]);
                            ck_assert(memcmp(A[0], A[1], sizeof A[0]) == 0 && c[0] == c[1]);
                            rows_checked++;
                            if (trial == 3 && k == 3) { /* slopes matter: crown's differs */
                                double v0, Ab[2], cb, ilb[2], ihb[2];
                                nnh_crown_forms G = {Ab, &cb, ilb, ihb};
                                ck_assert_int_eq(nnh_crown_row_slopes(N, b, k, row, sign, NULL,
                                                                      &v0, &G, &err),
                                                 0);
                                moved += v0 != v[1];
                            }
                        }
            }
            nnh_crown_pass_free(pass);
            nnh_bounds_free(b);
            nnh_network_free(N);
        }
    fprintf(stderr, "row slopes: %d rows, %d moved by their slopes\n", rows_checked, moved);
    ck_assert_int_gt(rows_checked, 1000);
    ck_assert_int_gt(moved, 10);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("crown_pass");
    TCase *tc = tcase_create("crown_pass");
    tcase_add_test(tc, test_pass_same_bits);
    tcase_add_test(tc, test_narrowed_estimate);
    tcase_add_test(tc, test_row_slopes_same_bits);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
