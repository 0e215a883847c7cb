/* GLPK never takes the process down (issue: finite weights around 1e200 made
 * lp1d/hull hand GLPK an LP on which its simplex asserted and aborted):
 * the guard turns a GLPK error into NNH_ELP, LP contexts whose GLPK objects
 * died answer their creation bounds, and models beyond the numeric scale are
 * not built; the bounds stay sound (sampled points) and fallbacks are counted. */
#include "glpk_guard.h"
#include "lp_layer.h"
#include "nnh_soundness.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* a GLPK API misuse: GLPK reports it through glp_error (and would abort) */
static int glpk_misuse(void *arg)
{
    (void)arg;
    glp_prob *P = glp_create_prob();
    glp_add_cols(P, 1);
    glp_set_col_bnds(P, 7, GLP_FX, 0.0, 0.0); /* column 7 does not exist */
    return 0;
}

static int glpk_fine(void *arg)
{
    glp_prob *P = glp_create_prob();
    glp_add_cols(P, 1);
    glp_set_col_bnds(P, 1, GLP_DB, -1.0, 2.0);
    glp_set_obj_coef(P, 1, 1.0);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    int rc = glp_simplex(P, &parm);
    *(double *)arg = glp_get_obj_val(P);
    glp_delete_prob(P);
    return rc;
}

/* 2 -> 3 -> 3 -> 1 ReLU net, weights of layers < big_layers scaled by scale */
static nnh_network *net_scaled(double scale, int big_layers)
{
    unsigned long long st = 7;
    int sizes[] = {2, 3, 3, 1};
    nnh_network *net = nnh_test_random_net(3, sizes, 0.5, &st);
    for (int k = 0; k < net->n_layers; k++) {
        nnh_layer *L = &net->layers[k];
        if (k + 1 < net->n_layers)
            nnh_act_default(&L->act, NNH_ACT_RELU);
        if (k < big_layers)
            for (int t = 0; t < L->n_out * L->n_in; t++)
                L->W[t] *= scale;
    }
    return net;
}

START_TEST(guard_catches_glpk_error)
{
    nnh_error err;
    nnh_error_clear(&err);
    unsigned long e0 = nnh_glpk_epoch();
    int rc = nnh_glpk_guard(glpk_misuse, NULL, &err);
    ck_assert_int_eq(rc, NNH_ELP);
    ck_assert_msg(strstr(err.msg, "GLPK failed") && strstr(err.msg, "out of range"), "%s",
                  err.msg);
    ck_assert_uint_eq(nnh_glpk_epoch(), e0 + 1);
    /* GLPK works again afterwards, and a guarded success returns fn's result */
    double v = NAN;
    ck_assert_int_eq(nnh_glpk_guard(glpk_fine, &v, &err), 0);
    ck_assert_double_eq(v, -1.0);
    ck_assert_uint_eq(nnh_glpk_epoch(), e0 + 1);
}
END_TEST

/* a context whose GLPK objects died with the environment answers its
 * creation bounds and counts fallbacks; freeing it is safe */
START_TEST(dead_context_falls_back)
{
    nnh_network *net = net_scaled(1.0, 0);
    double lo[2] = {-1, -1}, hi[2] = {1, 1};
    nnh_bounds *b;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err), 0);
    o.method = NNH_METHOD_HULL;
    nnh_lp_layer *L;
    ck_assert_int_eq(nnh_lp_layer_create(net, b, 2, &o, &L, &err), 0);
    nnh_layer_stats st = {0};
    double v;
    ck_assert_int_eq(nnh_lp_layer_bound(L, 0, -1, &v, &st, &err), 0);
    ck_assert_int_eq(st.fallbacks, 0);
    ck_assert_int_eq(nnh_glpk_guard(glpk_misuse, NULL, &err), NNH_ELP); /* kills L's LP */
    ck_assert_int_eq(nnh_lp_layer_bound(L, 0, -1, &v, &st, &err), 0);
    ck_assert_double_eq(v, b->layers[2].pre_lo[0]);
    ck_assert_int_eq(nnh_lp_layer_bound(L, 0, +1, &v, &st, &err), 0);
    ck_assert_double_eq(v, b->layers[2].pre_hi[0]);
    int rows[1] = {0};
    ck_assert_int_eq(nnh_lp_layer_bound_max(L, rows, 1, &v, &st, &err), 0);
    ck_assert_int_eq(st.fallbacks, 3);
    nnh_lp_layer_free(L);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

/* the reported case: weights around 1e200 overflow later bounds to inf;
 * lp1d and hull finish, count fallbacks and stay sound */
static void huge_weights_case(double scale, int sample)
{
    nnh_network *net = net_scaled(scale, 2);
    double lo[2] = {-1, -1}, hi[2] = {1, 1};
    for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
        nnh_bounds *b;
        nnh_error err;
        nnh_error_clear(&err);
        ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.method = (nnh_method)m;
        nnh_layer_stats st[3];
        memset(st, 0, sizeof st);
        ck_assert_msg(nnh_bounds_compute(net, b, &o, st, NULL, NULL, &err) == 0, "%s", err.msg);
        ck_assert_int_gt(st[1].fallbacks + st[2].fallbacks, 0);
        for (int k = 0; k < net->n_layers; k++)
            for (int i = 0; i < b->layers[k].width; i++)
                ck_assert(b->layers[k].pre_lo[i] <= b->layers[k].pre_hi[i] &&
                          b->layers[k].post_lo[i] <= b->layers[k].post_hi[i]);
        if (sample) { /* values stay finite at this scale: points lie inside */
            const nnh_bounds *bs[1] = {b};
            nnh_sample_report rep;
            nnh_sample_check(net, bs, 1, lo, hi, 200, 11, &rep);
            ck_assert_msg(rep.worst <= NNH_SAMPLE_TOL, "%s", nnh_sample_describe(&rep));
        }
        nnh_bounds_free(b);
    }
    nnh_network_free(net);
}

START_TEST(huge_weights_no_abort)
{
    huge_weights_case(1e200, 0); /* later bounds overflow to inf */
    huge_weights_case(1e100, 1);
}
END_TEST

START_TEST(scale_check)
{
    double ok[3] = {1e12, -3.0, 0.0}, big[2] = {1.0, 1.0000001e12}, inf[2] = {INFINITY, 1.0},
           nan[1] = {NAN};
    ck_assert(nnh_lp_in_scale(ok, 3, 0));
    ck_assert(!nnh_lp_in_scale(big, 2, 1));
    ck_assert(!nnh_lp_in_scale(inf, 2, 0));
    ck_assert(nnh_lp_in_scale(inf, 2, 1));
    ck_assert(!nnh_lp_in_scale(nan, 1, 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("glpk_guard");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, guard_catches_glpk_error);
    tcase_add_test(tc, dead_context_falls_back);
    tcase_add_test(tc, huge_weights_no_abort);
    tcase_add_test(tc, scale_check);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
