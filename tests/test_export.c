/* nnhull export (include/nnhull/export.h): numbers become what GLPK's writers
 * print (LP 15 digits, MPS 12 characters) and move outward as asked; a model
 * written and read back with GLPK holds every sampled network point (x, z, a,
 * y, and the ReLU indicators of --milp) on every row and bound, for several
 * activations, methods and both formats; the refusals. */
#include "export_internal.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <glpk.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(written_values)
{
    unsigned long long st = 3;
    for (int f = 0; f < 2; f++) {
        nnh_export_format fmt = f ? NNH_EXPORT_MPS : NNH_EXPORT_LP;
        double rel = f ? 1e-5 : 1e-14;
        for (int t = 0; t < 20000; t++) {
            double v = (nnh_test_rand(&st) - 0.5) * pow(10.0, floor(nnh_test_rand(&st) * 50) - 30);
            if (t % 7 == 0)
                v = (float)v; /* float32 weights */
            double w = xm_written(fmt, v), up = xm_written_dir(fmt, v, 1),
                   dn = xm_written_dir(fmt, v, -1);
            ck_assert_msg(xm_written(fmt, w) == w, "%s: written(%.17g) = %.17g not a fixed point",
                          f ? "mps" : "lp", v, w);
            ck_assert(xm_written(fmt, up) == up && xm_written(fmt, dn) == dn);
            ck_assert_msg(dn <= v && v <= up, "%.17g not in [%.17g, %.17g]", v, dn, up);
            ck_assert_msg(fabs(w - v) <= rel * fabs(v) + 1e-30, "%.17g -> %.17g", v, w);
            ck_assert(up - dn <= 4 * rel * fabs(v) + 2e-30);
        }
    }
    /* the MPS writer cannot print tiny negatives in 12 characters: flushed */
    ck_assert(xm_written(NNH_EXPORT_MPS, -1.2345e-100) == 0.0);
    ck_assert(xm_written_dir(NNH_EXPORT_MPS, -1.2345e-100, -1) == -1e-30);
    ck_assert(xm_written(NNH_EXPORT_LP, 1.0 / 3.0) == 0.333333333333333);
    ck_assert(xm_written(NNH_EXPORT_MPS, 1.0 / 3.0) == 0.3333333333);
    ck_assert(xm_written(NNH_EXPORT_MPS, -1.0 / 3e5) == -3.333333e-6); /* "-3.333333E-6" */
}
END_TEST

static nnh_network *small_net(nnh_act_kind kind, unsigned long long seed)
{
    int sizes[] = {3, 5, 4, 2};
    nnh_network *net = nnh_test_random_net(3, sizes, 0.5, &seed);
    for (int k = 0; k < 2; k++)
        nnh_act_default(&net->layers[k].act, kind);
    return net;
}

/* value of column name at the network point, 0 when it is a range column */
static double point_value(const char *name, const double *x, double *const *pre,
                          double *const *post, int L, int *known)
{
    int k, i;
    *known = 1;
    if (sscanf(name, "x_%d", &i) == 1)
        return x[i];
    if (sscanf(name, "y_%d", &i) == 1)
        return pre[L - 1][i];
    if (sscanf(name, "z_%d_%d", &k, &i) == 2)
        return pre[k][i];
    if (sscanf(name, "a_%d_%d", &k, &i) == 2)
        return post[k][i];
    if (sscanf(name, "d_%d_%d", &k, &i) == 2)
        return pre[k][i] >= 0 ? 1.0 : 0.0;
    *known = 0;
    return 0.0;
}

/* every row and bound of P holds at the network point (relative slack 1e-12
 * for the floating-point evaluation; ranged LP rows come as '~r_i' columns) */
static void check_point(glp_prob *P, const nnh_network *net, const double *x, const char *what)
{
    double pre_s[3][8], post_s[3][8], *pre[3], *post[3], val[512];
    int L = net->n_layers, ind[512], known;
    for (int k = 0; k < L; k++)
        pre[k] = pre_s[k], post[k] = post_s[k];
    nnh_network_eval_layers(net, x, pre, post);
    int n = glp_get_num_cols(P);
    ck_assert(n < 512);
    static double v[512];
    static int is_range[512];
    for (int j = 1; j <= n; j++) {
        v[j] = point_value(glp_get_col_name(P, j), x, pre, post, L, &known);
        is_range[j] = !known;
        if (!known)
            continue;
        double lb = glp_get_col_lb(P, j), ub = glp_get_col_ub(P, j), tol = 1e-12 * (1 + fabs(v[j]));
        ck_assert_msg(v[j] >= lb - tol && v[j] <= ub + tol, "%s: %s = %.17g outside [%.17g, %.17g]",
                      what, glp_get_col_name(P, j), v[j], lb, ub);
    }
    for (int i = 1; i <= glp_get_num_rows(P); i++) {
        int len = glp_get_mat_row(P, i, ind, val);
        double act = 0, mag = 0, width = -1;
        for (int t = 1; t <= len; t++) {
            if (is_range[ind[t]]) {
                width = glp_get_col_ub(P, ind[t]);
                continue;
            }
            act += val[t] * v[ind[t]];
            mag += fabs(val[t] * v[ind[t]]);
        }
        int type = glp_get_row_type(P, i);
        double lb = type == GLP_UP || type == GLP_FR ? -INFINITY : glp_get_row_lb(P, i);
        double ub = type == GLP_LO || type == GLP_FR ? INFINITY : glp_get_row_ub(P, i);
        if (width >= 0)
            ub = lb + width;
        double tol = 1e-12 * (1 + mag);
        ck_assert_msg(act >= lb - tol && act <= ub + tol,
                      "%s: row %s: %.17g outside [%.17g, %.17g]", what, glp_get_row_name(P, i),
                      act, lb, ub);
    }
}

static const nnh_act_kind kinds[] = {NNH_ACT_RELU, NNH_ACT_LEAKY_RELU, NNH_ACT_SIGMOID,
                                     NNH_ACT_TANH, NNH_ACT_SOFTPLUS, NNH_ACT_ELU,
                                     NNH_ACT_SELU};

START_TEST(rows_hold_on_samples)
{
    nnh_act_kind kind = kinds[_i / 2];
    nnh_method method = _i % 2 ? NNH_METHOD_HULL : NNH_METHOD_CROWN;
    nnh_network *net = small_net(kind, 100 + (unsigned long long)_i);
    double lo[3] = {-1, -0.5, 0}, hi[3] = {1, 0.5, 2};
    nnh_error err;
    nnh_error_clear(&err);
    nnh_bounds *b;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    nnh_bound_opts bo;
    nnh_bound_opts_init(&bo);
    bo.method = method;
    ck_assert_int_eq(nnh_bounds_compute(net, b, &bo, NULL, NULL, NULL, &err), 0);
    glp_term_out(GLP_OFF);
    for (int f = 0; f < 2; f++) {
        nnh_export_opts o;
        nnh_export_opts_init(&o);
        o.format = f ? NNH_EXPORT_MPS : NNH_EXPORT_LP;
        o.milp = 1;
        o.hull_cuts = method == NNH_METHOD_HULL;
        o.objective_sense = 1;
        o.objective = "y_1";
        char path[64];
        snprintf(path, sizeof path, "/tmp/nnh_test_export_%d.%s", (int)getpid(), f ? "mps" : "lp");
        nnh_export_info info;
        int rc = nnh_export_write(net, b, &o, path, &info, &err);
        ck_assert_msg(rc == 0, "%s", err.msg);
        ck_assert(info.env_gap <= o.env_tol || info.env_cuts >= 2L * o.env_max_cuts);
        if (o.hull_cuts)
            ck_assert(info.hull_cuts <= info.hull_found);
        glp_prob *P = glp_create_prob();
        ck_assert_int_eq(f ? glp_read_mps(P, GLP_MPS_FILE, NULL, path) : glp_read_lp(P, NULL, path),
                         0);
        unlink(path);
        ck_assert_int_eq(glp_get_num_rows(P), info.n_rows);
        unsigned long long st = 9;
        char what[64];
        for (int s = 0; s < 1500; s++) {
            double x[3];
            for (int j = 0; j < 3; j++) {
                double u = nnh_test_rand(&st);
                if (s < 8)
                    u = (s >> j) & 1;
                x[j] = lo[j] + u * (hi[j] - lo[j]);
            }
            snprintf(what, sizeof what, "%s/%s/%s sample %d", nnh_act_name(kind),
                     nnh_method_name(method), f ? "mps" : "lp", s);
            check_point(P, net, x, what);
        }
        glp_delete_prob(P);
    }
    glp_term_out(GLP_ON);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

START_TEST(refusals)
{
    nnh_network *net = small_net(NNH_ACT_RELU, 5);
    double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    nnh_error err;
    nnh_error_clear(&err);
    nnh_bounds *b;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    nnh_export_opts o;
    nnh_export_opts_init(&o);
    const char *path = "/tmp/nnh_test_export_refused.lp";
    unlink(path);
    o.objective_sense = -1;
    o.objective = "z_9_9";
    ck_assert_int_eq(nnh_export_write(net, b, &o, path, NULL, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "z_9_9"));
    o.objective_sense = 0;
    net->layers[1].W[0] = 1e13; /* beyond NNH_LP_MAX_MAGNITUDE */
    ck_assert_int_eq(nnh_export_write(net, b, &o, path, NULL, &err), NNH_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "aff_1_0"));
    net->layers[1].W[0] = 0.5;
    b->layers[0].pre_hi[2] = INFINITY;
    ck_assert_int_eq(nnh_export_write(net, b, &o, path, NULL, &err), NNH_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "z_0_2"));
    ck_assert_int_eq(access(path, F_OK), -1);
    o.env_max_cuts = 1;
    ck_assert_int_eq(nnh_export_write(net, b, &o, path, NULL, &err), NNH_EINVAL);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, written_values);
    tcase_add_loop_test(tc, rows_hold_on_samples, 0, 2 * (int)(sizeof kinds / sizeof kinds[0]));
    tcase_add_test(tc, refusals);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
