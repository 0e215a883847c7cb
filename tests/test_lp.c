/* Unit tests of the LP bound engine: the safe (dual) LP bound on hand-made
 * LPs, soundness of lp1d/hull bounds against dense grids on tiny networks,
 * determinism of tasks regardless of order, hull beating lp1d, and hull
 * never looser than lp1d on contexts built from the same bounds. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "lp_layer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- (a) the safe bound on small LPs with known optimum -------------------- */

static glp_prob *new_lp(int m, int n)
{
    glp_prob *P = glp_create_prob();
    glp_set_obj_dir(P, GLP_MIN);
    if (m)
        glp_add_rows(P, m);
    glp_add_cols(P, n);
    return P;
}

static void set_row(glp_prob *P, int r, int len, const double *coef, int type, double lo,
                    double hi)
{
    int ind[8];
    double val[8];
    for (int t = 1; t <= len; t++) {
        ind[t] = t;
        val[t] = coef[t - 1];
    }
    glp_set_mat_row(P, r, len, ind, val);
    glp_set_row_bnds(P, r, type, lo, hi);
}

static int solve(glp_prob *P, const double *c)
{
    for (int j = 1; j <= glp_get_num_cols(P); j++)
        glp_set_obj_coef(P, j, c[j - 1]);
    glp_smcp p;
    glp_init_smcp(&p);
    p.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(P, &p);
    return rc == 0 && glp_get_status(P) == GLP_OPT;
}

static double safe_of(glp_prob *P, const double *c)
{
    nnh_lp_safe_ws ws;
    nnh_error err;
    ck_assert_int_eq(nnh_lp_safe_ws_init(&ws, glp_get_num_rows(P), glp_get_num_cols(P), &err), 0);
    double v = nnh_lp_safe_lower(P, c, &ws);
    nnh_lp_safe_ws_free(&ws);
    return v;
}

static double safe_of_y(glp_prob *P, const double *c, double *y)
{
    nnh_lp_safe_ws ws;
    nnh_error err;
    ck_assert_int_eq(nnh_lp_safe_ws_init(&ws, glp_get_num_rows(P), glp_get_num_cols(P), &err), 0);
    double v = nnh_lp_safe_lower_y(P, c, y, &ws);
    nnh_lp_safe_ws_free(&ws);
    return v;
}

START_TEST(test_safe_simple)
{
    /* min x1 + x2, x1 + x2 >= 1, x in [0,10]^2: optimum 1 */
    glp_prob *P = new_lp(1, 2);
    double a[2] = {1, 1}, c[2] = {1, 1};
    set_row(P, 1, 2, a, GLP_LO, 1.0, 0.0);
    glp_set_col_bnds(P, 1, GLP_DB, 0, 10);
    glp_set_col_bnds(P, 2, GLP_DB, 0, 10);
    ck_assert(solve(P, c));
    double v = safe_of(P, c);
    ck_assert(v <= 1.0);
    ck_assert(v >= 1.0 - 1e-12);
    /* a perturbed dual is still valid, slightly weaker */
    double y[1] = {1.0 + 1e-6};
    v = safe_of_y(P, c, y);
    ck_assert(v <= 1.0);
    ck_assert(v >= 1.0 - 1e-4);
    y[0] = 1.0 - 1e-6;
    v = safe_of_y(P, c, y);
    ck_assert(v <= 1.0 && v >= 1.0 - 1e-4);
    /* maximisation by negation: max x1 + x2 = 20, so min -(x1 + x2) >= -20 */
    double cn[2] = {-1, -1};
    ck_assert(solve(P, cn));
    v = safe_of(P, cn);
    ck_assert(v <= -20.0 && v >= -20.0 - 1e-12);
    glp_delete_prob(P);
}
END_TEST

START_TEST(test_safe_degenerate)
{
    /* min -x1 - 2 x2 with x1 + x2 <= 1, x1 + 2 x2 <= 2, -x1 + x2 <= 1,
     * x in [0,5]^2: optimum -2 at (0,1), where three constraints and a bound
     * are active (degenerate vertex). */
    glp_prob *P = new_lp(3, 2);
    double r1[2] = {1, 1}, r2[2] = {1, 2}, r3[2] = {-1, 1}, c[2] = {-1, -2};
    set_row(P, 1, 2, r1, GLP_UP, 0.0, 1.0);
    set_row(P, 2, 2, r2, GLP_UP, 0.0, 2.0);
    set_row(P, 3, 2, r3, GLP_UP, 0.0, 1.0);
    glp_set_col_bnds(P, 1, GLP_DB, 0, 5);
    glp_set_col_bnds(P, 2, GLP_DB, 0, 5);
    ck_assert(solve(P, c));
    double v = safe_of(P, c);
    ck_assert(v <= -2.0);
    ck_assert(v >= -2.0 - 1e-12);
    /* several dual solutions are optimal; a convex combination works too */
    double y[3] = {-0.5, -0.5, -0.25};
    v = safe_of_y(P, c, y); /* d = c - A^T y = (-0.25, -0.25) */
    ck_assert(v <= -2.0);
    /* rows: -0.5 - 1 - 0.25 = -1.75; columns: 2 * (-0.25 * 5) = -2.5 */
    ck_assert_double_eq_tol(v, -4.25, 1e-12);
    glp_delete_prob(P);
}
END_TEST

START_TEST(test_safe_wrong_sign_and_free)
{
    /* min x1, x1 - x2 >= 0, x1 free, x2 >= 0: optimum 0 (y = 1, d = (0, 1)). */
    glp_prob *P = new_lp(1, 2);
    double a[2] = {1, -1}, c[2] = {1, 0};
    set_row(P, 1, 2, a, GLP_LO, 0.0, 0.0);
    glp_set_col_bnds(P, 1, GLP_FR, 0, 0);
    glp_set_col_bnds(P, 2, GLP_LO, 0, 0);
    ck_assert(solve(P, c));
    double v = safe_of(P, c);
    ck_assert(v <= 0.0 && v >= -1e-12);
    /* perturbed dual: d_1 != 0 against a free column: no finite bound */
    double y[1] = {1.0 + 1e-3};
    v = safe_of_y(P, c, y);
    ck_assert(v == -INFINITY);
    /* a multiplier of the wrong sign for a one-sided row is dropped (y = 0):
     * then d = c and the free x1 gives -inf, never NaN */
    y[0] = -1.0;
    v = safe_of_y(P, c, y);
    ck_assert(y[0] == 0.0);
    ck_assert(v == -INFINITY);
    glp_delete_prob(P);
}
END_TEST

/* The kept copy of rows 1..m (nnh_lp_safe_ws_keep_rows) gives the bound of
 * reading every row from GLPK, bit for bit, with rows after m (a task's
 * cuts) still read from the problem. */
START_TEST(test_safe_kept_rows)
{
    glp_prob *P = new_lp(5, 4);
    unsigned s = 12345u;
    for (int r = 1; r <= 5; r++) {
        double a[4];
        for (int t = 0; t < 4; t++) {
            s = s * 1103515245u + 12345u;
            a[t] = ((double)(s >> 8) / 16777216.0 - 0.5) * 3.0;
        }
        if (r == 2)
            a[1] = 0.0; /* a shorter row */
        set_row(P, r, 4, a, r % 2 ? GLP_UP : GLP_LO, -1.0 - r, 1.0 + r);
    }
    for (int j = 1; j <= 4; j++)
        glp_set_col_bnds(P, j, GLP_DB, -1.0 - 0.1 * j, 2.0 + 0.3 * j);
    double c[4] = {0.7, -1.3, 0.2, 1.1};
    for (int trial = 0; trial < 20; trial++) {
        double y0[5], y1[5];
        for (int r = 0; r < 5; r++) {
            s = s * 1103515245u + 12345u;
            y0[r] = y1[r] = ((double)(s >> 8) / 16777216.0 - 0.5) / 3.0;
        }
        nnh_lp_safe_ws plain, kept;
        nnh_error err;
        ck_assert_int_eq(nnh_lp_safe_ws_init(&plain, 5, 4, &err), 0);
        ck_assert_int_eq(nnh_lp_safe_ws_init(&kept, 5, 4, &err), 0);
        ck_assert_int_eq(nnh_lp_safe_ws_keep_rows(&kept, P, 4, &err), 0);
        double v0 = nnh_lp_safe_lower_y(P, c, y0, &plain);
        double v1 = nnh_lp_safe_lower_y(P, c, y1, &kept);
        ck_assert(isfinite(v0));
        ck_assert(memcmp(&v0, &v1, sizeof v0) == 0);
        ck_assert(memcmp(y0, y1, sizeof y0) == 0);
        /* a workspace too small for the rows is refused */
        ck_assert_int_ne(nnh_lp_safe_ws_keep_rows(&plain, P, 6, &err), 0);
        nnh_lp_safe_ws_free(&plain);
        nnh_lp_safe_ws_free(&kept);
    }
    glp_delete_prob(P);
}
END_TEST

START_TEST(test_safe_rounding)
{
    /* min x with 3 x >= 1, x in [0,1]: the optimum 1/3 is not a double; the
     * safe bound must not exceed the double below 1/3. And with 0.1-type
     * coefficients: min x1 + x2 with 0.1 x1 + 0.2 x2 >= 0.3, x in [0,10]^2:
     * optimum 1.5 (x = (0, 1.5)). */
    glp_prob *P = new_lp(1, 1);
    double a[1] = {3}, c[1] = {1};
    set_row(P, 1, 1, a, GLP_LO, 1.0, 0.0);
    glp_set_col_bnds(P, 1, GLP_DB, 0, 1);
    ck_assert(solve(P, c));
    double v = safe_of(P, c);
    ck_assert(v <= 1.0 / 3.0); /* 1.0/3.0 rounds below 1/3 */
    ck_assert(v >= 1.0 / 3.0 - 1e-14);
    glp_delete_prob(P);
    P = new_lp(1, 2);
    double b[2] = {0.1, 0.2}, c2[2] = {1, 1};
    set_row(P, 1, 2, b, GLP_LO, 0.3, 0.0);
    glp_set_col_bnds(P, 1, GLP_DB, 0, 10);
    glp_set_col_bnds(P, 2, GLP_DB, 0, 10);
    ck_assert(solve(P, c2));
    v = safe_of(P, c2);
    /* the stored doubles 0.1, 0.2, 0.3 make the exact optimum 0.3/0.2 in
     * reals of those doubles; compare with a margin far below 1 ulp of it */
    ck_assert(v <= 1.5 + 1e-15);
    ck_assert(v >= 1.5 - 1e-12);
    glp_delete_prob(P);
}
END_TEST

/* ---- networks ------------------------------------------------------------------ */

/* Cut pool and slack removal of test_opts (set by the hygiene test). */
static int g_pool_rounds = 0, g_slack_rounds = 0;

static void test_opts(nnh_bound_opts *o, nnh_method m)
{
    memset(o, 0, sizeof *o);
    o->pool_rounds = g_pool_rounds;
    o->slack_rounds = g_slack_rounds;
    o->method = m;
    o->max_rounds = 20;
    o->max_cuts_per_round = 20;
    o->cut_tol = 1e-6;
    o->lp_time_limit = 0.0;
    o->time_limit = 0.0;
}

/* Random dense network: sizes[0] inputs, then widths; hidden layers get act,
 * the output is affine. Weights uniform in [-scale, scale]. */
static nnh_network *rand_net(int n_layers, const int *sizes, nnh_act_kind act, double scale,
                             unsigned long long seed)
{
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, n_layers, sizes, &err), 0);
    unsigned long long st = seed;
    for (int k = 0; k < n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = scale * (2 * nnh_test_rand(&st) - 1);
        for (int i = 0; i < L->n_out; i++)
            L->b[i] = 0.5 * (2 * nnh_test_rand(&st) - 1);
        if (k + 1 < n_layers)
            nnh_act_default(&L->act, act);
    }
    return net;
}

/* Layer-by-layer tightening as a driver would do it: IBP, then the LP
 * context of the layer for every neuron and both senses. */
static nnh_bounds *lp_run(const nnh_network *net, const double *lo, const double *hi,
                          nnh_method m, nnh_layer_stats *tot)
{
    nnh_bounds *b;
    nnh_error err;
    nnh_bound_opts o;
    test_opts(&o, m);
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    for (int k = 0; k < net->n_layers; k++) {
        nnh_bounds_ibp_layer(net, b, k);
        if (m != NNH_METHOD_IBP && k > 0) {
            nnh_lp_layer *L;
            int rc = nnh_lp_layer_create(net, b, k, &o, &L, &err);
            ck_assert_msg(rc == 0, "%s", err.msg);
            nnh_layer_bounds *B = &b->layers[k];
            for (int i = 0; i < B->width; i++) {
                double l, u;
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, -1, &l, tot, &err), 0);
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, +1, &u, tot, &err), 0);
                ck_assert(l >= B->pre_lo[i] && u <= B->pre_hi[i]);
                ck_assert(l <= u);
                B->pre_lo[i] = l;
                B->pre_hi[i] = u;
            }
            nnh_lp_layer_free(L);
        }
        nnh_bounds_post_from_pre(net, b, k);
    }
    return b;
}

/* Every pre/post value of every grid point lies in the bounds; returns the
 * grid range of output 0 in gr[0..1]. */
static void check_grid(const nnh_network *net, const nnh_bounds *b, const double *lo,
                       const double *hi, int per_dim, double *gr)
{
    double pre[4][16], post[4][16];
    double *pp[4] = {pre[0], pre[1], pre[2], pre[3]}, *qq[4] = {post[0], post[1], post[2], post[3]};
    int n = net->n_inputs, total = n == 1 ? per_dim : per_dim * per_dim;
    int K = net->n_layers - 1, bad = 0;
    char msg[256] = "";
    gr[0] = INFINITY;
    gr[1] = -INFINITY;
    for (int g = 0; g < total; g++) {
        double x[2];
        x[0] = lo[0] + (hi[0] - lo[0]) * (g % per_dim) / (per_dim - 1);
        if (n == 2)
            x[1] = lo[1] + (hi[1] - lo[1]) * (g / per_dim) / (per_dim - 1);
        nnh_network_eval_layers(net, x, pp, qq);
        /* plain C checks: a ck_assert per point would cost a write each */
        for (int k = 0; k <= K; k++)
            for (int i = 0; i < net->layers[k].n_out; i++) {
                const nnh_layer_bounds *B = &b->layers[k];
                /* forward evaluation itself rounds: allow 1e-12 */
                if (!(pre[k][i] >= B->pre_lo[i] - 1e-12 && pre[k][i] <= B->pre_hi[i] + 1e-12) &&
                    bad++ == 0)
                    snprintf(msg, sizeof msg, "layer %d neuron %d: %.17g not in [%.17g, %.17g]",
                             k, i, pre[k][i], B->pre_lo[i], B->pre_hi[i]);
            }
        gr[0] = fmin(gr[0], pre[K][0]);
        gr[1] = fmax(gr[1], pre[K][0]);
    }
    ck_assert_msg(bad == 0, "%d grid values outside the bounds, first: %s", bad, msg);
}

/* Lipschitz constant of the network in the inf-norm (slack of a grid). */
static double lipschitz(const nnh_network *net)
{
    double lip = 1.0;
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        double mx = 0.0;
        for (int i = 0; i < L->n_out; i++) {
            double s = 0.0;
            for (int t = 0; t < L->n_in; t++)
                s += fabs(L->W[(size_t)i * L->n_in + t]);
            mx = fmax(mx, s);
        }
        double al = 1.0;
        if (L->act.kind == NNH_ACT_SIGMOID)
            al = 0.25;
        else if (L->act.kind == NNH_ACT_SELU)
            al = L->act.lambda * L->act.alpha;
        lip *= mx * al;
    }
    return lip;
}

START_TEST(test_grid_soundness)
{
    static const nnh_act_kind acts[] = {NNH_ACT_SIGMOID, NNH_ACT_TANH, NNH_ACT_RELU,
                                        NNH_ACT_SOFTPLUS, NNH_ACT_SELU};
    for (int a = 0; a < 5; a++)
        for (int n_in = 1; n_in <= 2; n_in++)
            for (int depth = 2; depth <= 3; depth++) {
                int sizes[4] = {n_in, 5, depth == 3 ? 4 : 1, 1};
                nnh_network *net = rand_net(depth, sizes, acts[a], 1.5,
                                            1000 + 31 * a + 7 * n_in + depth);
                double lo[2] = {-1, -0.5}, hi[2] = {1, 1.5};
                nnh_layer_stats s1 = {0}, s2 = {0};
                nnh_bounds *b1 = lp_run(net, lo, hi, NNH_METHOD_LP1D, &s1);
                nnh_bounds *b2 = lp_run(net, lo, hi, NNH_METHOD_HULL, &s2);
                nnh_bounds *b0 = lp_run(net, lo, hi, NNH_METHOD_IBP, NULL);
                int per = n_in == 1 ? 2001 : 401;
                double gr[2], gr2[2];
                check_grid(net, b1, lo, hi, per, gr);
                check_grid(net, b2, lo, hi, per, gr2);
                int K = depth - 1;
                double slack = lipschitz(net) * 0.5 * 2.0 / (per - 1);
                double l1 = b1->layers[K].pre_lo[0], u1 = b1->layers[K].pre_hi[0];
                double l2 = b2->layers[K].pre_lo[0], u2 = b2->layers[K].pre_hi[0];
                /* hull is at least as tight as lp1d (up to LP noise) on every neuron */
                for (int k = 0; k <= K; k++)
                    for (int i = 0; i < net->layers[k].n_out; i++) {
                        ck_assert(b2->layers[k].pre_lo[i] >= b1->layers[k].pre_lo[i] - 1e-7);
                        ck_assert(b2->layers[k].pre_hi[i] <= b1->layers[k].pre_hi[i] + 1e-7);
                        ck_assert(b1->layers[k].pre_lo[i] >= b0->layers[k].pre_lo[i]);
                        ck_assert(b1->layers[k].pre_hi[i] <= b0->layers[k].pre_hi[i]);
                    }
                printf("grid %-8s n_in=%d depth=%d exact in [%.6f,%.6f]+-%.1e  lp1d [%.6f,%.6f] "
                       "hull [%.6f,%.6f] ibp [%.6f,%.6f] cuts 1d %ld mv %ld fb %ld\n",
                       nnh_act_name(acts[a]), n_in, depth, gr[0], gr[1], slack, l1, u1, l2, u2,
                       b0->layers[K].pre_lo[0], b0->layers[K].pre_hi[0], s2.cuts_1d,
                       s2.cuts_multivariate, s1.fallbacks + s2.fallbacks);
                ck_assert_int_eq(s1.fallbacks + s2.fallbacks, 0);
                nnh_bounds_free(b0);
                nnh_bounds_free(b1);
                nnh_bounds_free(b2);
                nnh_network_free(net);
            }
}
END_TEST

/* ---- (c) determinism ------------------------------------------------------------- */

START_TEST(test_determinism)
{
    int sizes[5] = {3, 6, 6, 6, 3};
    nnh_network *net = rand_net(4, sizes, NNH_ACT_SIGMOID, 2.0, 99);
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
        nnh_bounds *b = lp_run(net, lo, hi, (nnh_method)m, NULL);
        nnh_bound_opts o;
        test_opts(&o, (nnh_method)m);
        o.max_cuts_per_round = 3; /* many rounds: more state that could leak */
        nnh_error err;
        nnh_lp_layer *L;
        int k = 3;
        ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o, &L, &err), 0);
        double fw[2][3], bw[2][3];
        for (int i = 0; i < 3; i++)
            for (int s = 0; s < 2; s++)
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, s ? 1 : -1, &fw[s][i], NULL, &err), 0);
        for (int i = 2; i >= 0; i--)
            for (int s = 1; s >= 0; s--)
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, s ? 1 : -1, &bw[s][i], NULL, &err), 0);
        ck_assert(memcmp(fw, bw, sizeof fw) == 0);
        /* and a fresh context gives the same numbers for a single task */
        nnh_lp_layer *L2;
        double one;
        ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o, &L2, &err), 0);
        ck_assert_int_eq(nnh_lp_layer_bound(L2, 1, 1, &one, NULL, &err), 0);
        ck_assert(memcmp(&one, &fw[1][1], sizeof one) == 0);
        nnh_lp_layer_free(L2);
        nnh_lp_layer_free(L);
        nnh_bounds_free(b);
    }
    nnh_network_free(net);
}
END_TEST

/* ---- (d) hull strictly tighter than lp1d ------------------------------------------- */

START_TEST(test_hull_tighter)
{
    int sizes[4] = {4, 8, 8, 4};
    nnh_network *net = rand_net(3, sizes, NNH_ACT_SIGMOID, 2.0, 2024);
    double lo[4] = {-1, -1, -1, -1}, hi[4] = {1, 1, 1, 1};
    nnh_layer_stats s1 = {0}, s2 = {0};
    nnh_bounds *b1 = lp_run(net, lo, hi, NNH_METHOD_LP1D, &s1);
    nnh_bounds *b2 = lp_run(net, lo, hi, NNH_METHOD_HULL, &s2);
    int tighter = 0, looser = 0, total = 0;
    double w1 = 0, w2 = 0;
    for (int k = 1; k < 3; k++)
        for (int i = 0; i < net->layers[k].n_out; i++, total++) {
            double d1 = b1->layers[k].pre_hi[i] - b1->layers[k].pre_lo[i];
            double d2 = b2->layers[k].pre_hi[i] - b2->layers[k].pre_lo[i];
            w1 += d1;
            w2 += d2;
            tighter += d2 < d1 - 1e-6;
            looser += d2 > d1 + 1e-7;
        }
    printf("hull vs lp1d: %d of %d neurons tighter, %d looser; total width %.6f vs %.6f; "
           "cuts lp1d %ld, hull 1d %ld mv %ld\n",
           tighter, total, looser, w2, w1, s1.cuts_1d, s2.cuts_1d, s2.cuts_multivariate);
    ck_assert_int_gt(tighter, 0);
    ck_assert_int_eq(looser, 0);
    ck_assert_int_gt(s2.cuts_multivariate, 0);
    nnh_bounds_free(b1);
    nnh_bounds_free(b2);
    nnh_network_free(net);
}
END_TEST

/* ---- (e) hull dominates lp1d by construction ---------------------------------- */

/* Contexts of both methods from the same bounds b for layer k: every task's
 * hull bound is at least as tight as lp1d's, exactly (no tolerance), and
 * hull's statistics contain lp1d's phase. Returns how many tasks hull made
 * strictly tighter. */
static int compare_same_context(const nnh_network *net, const nnh_bounds *b, int k,
                                const nnh_bound_opts *base, const char *what)
{
    nnh_bound_opts o1 = *base, o2 = *base;
    o1.method = NNH_METHOD_LP1D;
    o2.method = NNH_METHOD_HULL;
    nnh_error err;
    nnh_lp_layer *L1, *L2;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o1, &L1, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, k, &o2, &L2, &err), 0);
    int tighter = 0;
    for (int i = 0; i < net->layers[k].n_out; i++)
        for (int s = -1; s <= 1; s += 2) {
            nnh_layer_stats s1 = {0}, s2 = {0};
            double v1, v2;
            ck_assert_int_eq(nnh_lp_layer_bound(L1, i, s, &v1, &s1, &err), 0);
            ck_assert_int_eq(nnh_lp_layer_bound(L2, i, s, &v2, &s2, &err), 0);
            ck_assert_msg(s < 0 ? v2 >= v1 : v2 <= v1,
                          "%s: layer %d neuron %d sense %d: hull %.17g looser than lp1d %.17g",
                          what, k, i, s, v2, v1);
            tighter += v2 != v1;
            /* phase 1 of hull is lp1d's loop: same solves and 1-D cuts, then more */
            ck_assert_int_ge(s2.lp_solves, s1.lp_solves);
            ck_assert_int_ge(s2.cuts_1d, s1.cuts_1d);
            ck_assert_int_eq(s1.cuts_multivariate, 0);
            ck_assert_int_eq(s1.fallbacks, s2.fallbacks);
            if (base->max_rounds == 0)
                ck_assert(v1 == v2 && s2.lp_solves == s1.lp_solves);
        }
    nnh_lp_layer_free(L1);
    nnh_lp_layer_free(L2);
    return tighter;
}

START_TEST(test_hull_dominates_same_context)
{
    static const nnh_act_kind acts[] = {NNH_ACT_SIGMOID, NNH_ACT_TANH, NNH_ACT_SOFTPLUS,
                                        NNH_ACT_SELU, NNH_ACT_ELU};
    /* (rounds, cuts per round): the defaults, many short rounds, none */
    static const int rc[4][2] = {{5, 20}, {20, 20}, {3, 2}, {0, 20}};
    int sizes[5] = {5, 8, 8, 6, 3};
    double lo[5] = {-1, -1, -1, -1, -1}, hi[5] = {1, 1, 1, 1, 1};
    int tighter = 0, tasks = 0;
    for (int a = 0; a < 5; a++) {
        nnh_network *net = rand_net(4, sizes, acts[a], 2.0, 500 + (unsigned long long)a);
        /* loose (IBP) bounds leave the most to cut */
        nnh_bounds *b = lp_run(net, lo, hi, NNH_METHOD_IBP, NULL);
        for (int r = 0; r < 4; r++)
            for (int k = 1; k < net->n_layers; k++) {
                nnh_bound_opts o;
                test_opts(&o, NNH_METHOD_LP1D);
                o.max_rounds = rc[r][0];
                o.max_cuts_per_round = rc[r][1];
                char what[64];
                snprintf(what, sizeof what, "%s rounds %d cuts %d", nnh_act_name(acts[a]),
                         rc[r][0], rc[r][1]);
                tighter += compare_same_context(net, b, k, &o, what);
                tasks += 2 * net->layers[k].n_out;
            }
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
    printf("same context: hull strictly tighter than lp1d on %d of %d tasks, never looser\n",
           tighter, tasks);
    ck_assert_int_gt(tighter, 0);
}
END_TEST

/* ---- cut hygiene: per-layer pool and slack cut removal -------------------------- */

START_TEST(test_pool_and_slack)
{
    g_pool_rounds = 3;
    g_slack_rounds = 1; /* the most aggressive removal */
    static const nnh_act_kind acts[] = {NNH_ACT_SIGMOID, NNH_ACT_TANH, NNH_ACT_SOFTPLUS};
    for (int a = 0; a < 3; a++) {
        /* sound: every grid point inside the bounds, with pool and removal */
        int sizes[4] = {2, 5, 4, 1};
        nnh_network *net = rand_net(3, sizes, acts[a], 1.5, 4000 + (unsigned long long)a);
        double lo[2] = {-1, -0.5}, hi[2] = {1, 1.5}, gr[2];
        for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
            nnh_bounds *bm = lp_run(net, lo, hi, (nnh_method)m, NULL);
            check_grid(net, bm, lo, hi, 401, gr);
            nnh_bounds_free(bm);
        }
        nnh_network_free(net);
        /* hull never looser than lp1d on the same context (same 1-D pool) */
        int sz[5] = {5, 8, 8, 6, 3};
        double l5[5] = {-1, -1, -1, -1, -1}, h5[5] = {1, 1, 1, 1, 1};
        net = rand_net(4, sz, acts[a], 2.0, 600 + (unsigned long long)a);
        nnh_bounds *b = lp_run(net, l5, h5, NNH_METHOD_IBP, NULL);
        nnh_bound_opts o;
        test_opts(&o, NNH_METHOD_LP1D);
        o.max_rounds = 5;
        for (int k = 1; k < net->n_layers; k++)
            compare_same_context(net, b, k, &o, nnh_act_name(acts[a]));
        /* deterministic: task order does not matter, a fresh context agrees */
        o.method = NNH_METHOD_HULL;
        o.max_cuts_per_round = 3;
        nnh_error err;
        nnh_lp_layer *L, *L2;
        double fw[2][3], bw[2][3], one;
        ck_assert_int_eq(nnh_lp_layer_create(net, b, 3, &o, &L, &err), 0);
        ck_assert_int_eq(nnh_lp_layer_create(net, b, 3, &o, &L2, &err), 0);
        for (int i = 0; i < 3; i++)
            for (int s = 0; s < 2; s++)
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, s ? 1 : -1, &fw[s][i], NULL, &err), 0);
        for (int i = 2; i >= 0; i--)
            for (int s = 1; s >= 0; s--)
                ck_assert_int_eq(nnh_lp_layer_bound(L, i, s ? 1 : -1, &bw[s][i], NULL, &err), 0);
        ck_assert(memcmp(fw, bw, sizeof fw) == 0);
        ck_assert_int_eq(nnh_lp_layer_bound(L2, 1, 1, &one, NULL, &err), 0);
        ck_assert(memcmp(&one, &fw[1][1], sizeof one) == 0);
        /* the pool's cuts are rows of the base model every task starts from */
        nnh_lp_layer *L0;
        o.pool_rounds = 0;
        ck_assert_int_eq(nnh_lp_layer_create(net, b, 3, &o, &L0, &err), 0);
        ck_assert_int_gt(L->base_m, L0->base_m);
        nnh_lp_layer_free(L0);
        nnh_lp_layer_free(L);
        nnh_lp_layer_free(L2);
        nnh_bounds_free(b);
        nnh_network_free(net);
    }
    g_pool_rounds = g_slack_rounds = 0;
}
END_TEST

/* ---- edge cases ------------------------------------------------------------------- */

START_TEST(test_edge_cases)
{
    int sizes[4] = {3, 5, 4, 2};
    nnh_network *net = rand_net(3, sizes, NNH_ACT_TANH, 1.5, 77);
    nnh_error err;
    nnh_bound_opts o;
    test_opts(&o, NNH_METHOD_HULL);
    /* a point box: every bound pins the forward value */
    double x[3] = {0.3, -0.2, 0.7}, pre[3][5], post[3][5];
    double *pp[3] = {pre[0], pre[1], pre[2]}, *qq[3] = {post[0], post[1], post[2]};
    nnh_network_eval_layers(net, x, pp, qq);
    nnh_bounds *b = lp_run(net, x, x, NNH_METHOD_HULL, NULL);
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < net->layers[k].n_out; i++) {
            ck_assert(b->layers[k].pre_lo[i] <= pre[k][i] + 1e-12);
            ck_assert(b->layers[k].pre_hi[i] >= pre[k][i] - 1e-12);
            ck_assert(b->layers[k].pre_hi[i] - b->layers[k].pre_lo[i] < 1e-9);
        }
    /* layer 0 through the LP: the interval bound is exact there */
    nnh_lp_layer *L;
    double v;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, 0, &o, &L, &err), 0);
    ck_assert_int_eq(nnh_lp_layer_bound(L, 1, -1, &v, NULL, &err), 0);
    ck_assert(v <= pre[0][1] + 1e-12 && v >= pre[0][1] - 1e-9);
    /* bad tasks are errors, not crashes */
    ck_assert_int_eq(nnh_lp_layer_bound(L, 5, -1, &v, NULL, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_lp_layer_bound(L, 0, 0, &v, NULL, &err), NNH_EINVAL);
    nnh_lp_layer_free(L);
    nnh_bounds_free(b);
    /* an unbounded input: no finite LP bound where the box is infinite; the
     * answer is the creation bound (counted as a fallback), never NaN */
    double lo[3] = {-INFINITY, -1, -1}, hi[3] = {1, 1, 1};
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    nnh_bounds_ibp_layer(net, b, 0);
    nnh_bounds_post_from_pre(net, b, 0);
    nnh_bounds_ibp_layer(net, b, 1);
    nnh_layer_stats st = {0};
    ck_assert_int_eq(nnh_lp_layer_create(net, b, 1, &o, &L, &err), 0);
    for (int i = 0; i < 4; i++)
        for (int s = -1; s <= 1; s += 2) {
            ck_assert_int_eq(nnh_lp_layer_bound(L, i, s, &v, &st, &err), 0);
            ck_assert(!isnan(v));
            double init = s < 0 ? b->layers[1].pre_lo[i] : b->layers[1].pre_hi[i];
            ck_assert(s < 0 ? v >= init : v <= init);
        }
    nnh_lp_layer_free(L);
    nnh_bounds_free(b);
    /* a time limit of 1 ms per solve still gives sound bounds */
    double lo2[3] = {-1, -1, -1}, hi2[3] = {1, 1, 1};
    o.lp_time_limit = 1e-6;
    b = lp_run(net, lo2, hi2, NNH_METHOD_IBP, NULL);
    ck_assert_int_eq(nnh_lp_layer_create(net, b, 2, &o, &L, &err), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(nnh_lp_layer_bound(L, i, -1, &v, NULL, &err), 0);
        ck_assert(v >= b->layers[2].pre_lo[i] && v <= b->layers[2].pre_hi[i]);
    }
    nnh_lp_layer_free(L);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST


/* ---- (f) joint bound of a conjunction: min over the relaxation of max_r z_r ---- */

/* min over a grid of the input box of max over rows of the last layer. */
static double grid_min_max(const nnh_network *net, const double *lo, const double *hi, int per,
                           const int *rows, int n_rows)
{
    double y[8], buf[64], best = INFINITY;
    for (int g = 0; g < per * per; g++) {
        double x[2] = {lo[0] + (hi[0] - lo[0]) * (g % per) / (per - 1),
                       lo[1] + (hi[1] - lo[1]) * (g / per) / (per - 1)};
        nnh_network_eval(net, x, y, buf);
        double m = -INFINITY;
        for (int r = 0; r < n_rows; r++)
            m = fmax(m, y[rows[r]]);
        best = fmin(best, m);
    }
    return best;
}

START_TEST(test_bound_max_sound)
{
    static const nnh_act_kind acts[] = {NNH_ACT_RELU, NNH_ACT_SIGMOID, NNH_ACT_TANH};
    static const int sets[3][4] = {{0, 1, 2, 3}, {0, 2, -1, -1}, {3, -1, -1, -1}};
    static const int set_n[3] = {4, 2, 1};
    nnh_error err;
    for (int a = 0; a < 3; a++)
        for (int seed = 0; seed < 3; seed++) {
            int sizes[4] = {2, 8, 8, 4};
            nnh_network *net = rand_net(3, sizes, acts[a], 1.2, 500 + 17 * a + seed);
            double lo[2] = {-1, -0.5}, hi[2] = {1, 1.5};
            for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
                nnh_bounds *b = lp_run(net, lo, hi, (nnh_method)m, NULL);
                nnh_bound_opts o;
                test_opts(&o, (nnh_method)m);
                nnh_lp_layer *L;
                ck_assert_int_eq(nnh_lp_layer_create(net, b, 2, &o, &L, &err), 0);
                for (int s = 0; s < 3; s++) {
                    double v, tlo = -INFINITY, lpmax = -INFINITY;
                    nnh_layer_stats st = {0};
                    ck_assert_int_eq(nnh_lp_layer_bound_max(L, sets[s], set_n[s], &v, &st, &err),
                                     0);
                    for (int r = 0; r < set_n[s]; r++) {
                        double l;
                        ck_assert_int_eq(nnh_lp_layer_bound(L, sets[s][r], -1, &l, NULL, &err), 0);
                        tlo = fmax(tlo, b->layers[2].pre_lo[sets[s][r]]);
                        lpmax = fmax(lpmax, l);
                    }
                    double truth = grid_min_max(net, lo, hi, 201, sets[s], set_n[s]);
                    /* sound: below every sampled max; never below the creation bound */
                    ck_assert_msg(v <= truth, "act %d seed %d set %d: %.17g > sampled %.17g", a,
                                  seed, s, v, truth);
                    ck_assert(v >= tlo);
                    ck_assert_int_eq(st.fallbacks, 0);
                    /* one row: the same task as the per-row bound, up to LP noise */
                    if (set_n[s] == 1)
                        ck_assert(fabs(v - lpmax) <= 1e-6 * (1.0 + fabs(v)));
                    printf("max %-7s seed %d rows %d %s: joint %.6f  best row %.6f  sampled %.6f\n",
                           nnh_act_name(acts[a]), seed, set_n[s], m == NNH_METHOD_HULL ? "hull"
                                                                                        : "lp1d",
                           v, lpmax, truth);
                }
                /* the context is restored: a per-row task after joint ones is unchanged */
                double l1, l2;
                ck_assert_int_eq(nnh_lp_layer_bound(L, 1, -1, &l1, NULL, &err), 0);
                ck_assert_int_eq(nnh_lp_layer_bound_max(L, sets[0], 4, &l2, NULL, &err), 0);
                ck_assert_int_eq(nnh_lp_layer_bound(L, 1, -1, &l2, NULL, &err), 0);
                ck_assert(l1 == l2);
                ck_assert_int_eq(nnh_lp_layer_bound_max(L, sets[0], 5, &l2, NULL, &err),
                                 NNH_EINVAL);
                nnh_lp_layer_free(L);
                nnh_bounds_free(b);
            }
            nnh_network_free(net);
        }
}
END_TEST

/* z0 = x + 0.5 and z1 = 0.5 - x through relu(x), relu(-x) on x in [-1, 1]:
 * each row reaches -0.5 (no row is ever > 0), yet max(z0, z1) = |x| + 0.5
 * >= 0.5, so only the joint bound closes the conjunction z0 <= 0, z1 <= 0. */
START_TEST(test_bound_max_closes_case)
{
    int sizes[3] = {1, 2, 2};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    net->layers[0].W[0] = 1.0;
    net->layers[0].W[1] = -1.0;
    net->layers[0].b[0] = net->layers[0].b[1] = 0.0;
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    double W1[4] = {1, -1, -1, 1};
    memcpy(net->layers[1].W, W1, sizeof W1);
    net->layers[1].b[0] = net->layers[1].b[1] = 0.5;
    double lo[1] = {-1}, hi[1] = {1};
    for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
        nnh_bounds *b = lp_run(net, lo, hi, (nnh_method)m, NULL);
        nnh_bound_opts o;
        test_opts(&o, (nnh_method)m);
        nnh_lp_layer *L;
        ck_assert_int_eq(nnh_lp_layer_create(net, b, 1, &o, &L, &err), 0);
        int rows[2] = {0, 1};
        double l0, l1, v;
        ck_assert_int_eq(nnh_lp_layer_bound(L, 0, -1, &l0, NULL, &err), 0);
        ck_assert_int_eq(nnh_lp_layer_bound(L, 1, -1, &l1, NULL, &err), 0);
        ck_assert_int_eq(nnh_lp_layer_bound_max(L, rows, 2, &v, NULL, &err), 0);
        ck_assert(l0 <= -0.5 && l1 <= -0.5);
        ck_assert_msg(v > 0.49 && v <= 0.5, "joint bound %.17g", v);
        nnh_lp_layer_free(L);
        nnh_bounds_free(b);
    }
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lp");
    TCase *tc = tcase_create("safe");
    tcase_add_test(tc, test_safe_simple);
    tcase_add_test(tc, test_safe_degenerate);
    tcase_add_test(tc, test_safe_wrong_sign_and_free);
    tcase_add_test(tc, test_safe_rounding);
    tcase_add_test(tc, test_safe_kept_rows);
    suite_add_tcase(s, tc);
    TCase *tn = tcase_create("networks");
    tcase_set_timeout(tn, 300);
    tcase_add_test(tn, test_grid_soundness);
    tcase_add_test(tn, test_determinism);
    tcase_add_test(tn, test_hull_tighter);
    tcase_add_test(tn, test_hull_dominates_same_context);
    tcase_add_test(tn, test_pool_and_slack);
    tcase_add_test(tn, test_edge_cases);
    tcase_add_test(tn, test_bound_max_sound);
    tcase_add_test(tn, test_bound_max_closes_case);
    suite_add_tcase(s, tn);
    return nnh_run_suite(s);
}
