/* Brute-force check of the multivariate envelopes against GLPK: for n = 1..3
 * and every activation, cav f(x*) (vex f(x*)) is compared with the LP
 *   max (min) sum_p lambda_p f(v_p)  s.t.  sum_p lambda_p v_p = x*, sum lambda = 1, lambda >= 0
 * over a grid of box points v_p. The grid LP is the envelope of f restricted
 * to the grid, so it never exceeds cav (never undercuts vex), and it is within
 * Lip(sigma) * sum_i |w_i| h_i of it (h_i the grid spacing): write each point
 * of an optimal representation of cav(x*) as a convex combination of the
 * corners of its grid cell. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>

typedef struct act_case {
    const char *name;
    nnh_act_kind kind;
    double alpha;
    double lip; /* sup |sigma'| */
} act_case;

static const act_case ACTS[] = {
    {"relu", NNH_ACT_RELU, 0, 1},         {"leaky_relu", NNH_ACT_LEAKY_RELU, 0.1, 1},
    {"sigmoid", NNH_ACT_SIGMOID, 0, 0.25}, {"tanh", NNH_ACT_TANH, 0, 1},
    {"softplus", NNH_ACT_SOFTPLUS, 0, 1},  {"elu1", NNH_ACT_ELU, 1.0, 1},
    {"elu1.5", NNH_ACT_ELU, 1.5, 1.5},     {"selu", NNH_ACT_SELU, NNH_SELU_ALPHA, 1.7581},
};
#define N_ACTS ((int)(sizeof ACTS / sizeof ACTS[0]))

static const int GRID[4] = {0, 2001, 81, 21}; /* points per axis for n = 1, 2, 3 */
static const int N_INST[4] = {0, 100, 60, 25}; /* instances per (activation, n) */
#define N_PTS 2                                /* points x* per instance */

static double urand(unsigned long long *st, double lo, double hi)
{
    return lo + (hi - lo) * nnh_test_rand(st);
}

/* The grid LP of one instance: columns are grid points, rows the n
 * coordinates and the convexity row. */
static glp_prob *grid_lp(const nnh_neuron *nr, int k)
{
    int n = nr->n, P = 1;
    for (int i = 0; i < n; i++)
        P *= k;
    glp_prob *lp = glp_create_prob();
    glp_add_rows(lp, n + 1);
    glp_set_row_bnds(lp, n + 1, GLP_FX, 1.0, 1.0);
    glp_add_cols(lp, P);
    int ind[5];
    double val[5];
    for (int p = 0; p < P; p++) {
        double v[3];
        int r = p;
        double z = nr->b;
        for (int i = 0; i < n; i++) {
            int gi = r % k;
            r /= k;
            v[i] = gi == k - 1 ? nr->u[i] : nr->l[i] + (nr->u[i] - nr->l[i]) * gi / (k - 1);
            z += nr->w[i] * v[i];
            ind[i + 1] = i + 1;
            val[i + 1] = v[i];
        }
        ind[n + 1] = n + 1;
        val[n + 1] = 1.0;
        glp_set_mat_col(lp, p + 1, n + 1, ind, val);
        glp_set_col_bnds(lp, p + 1, GLP_LO, 0.0, 0.0);
        glp_set_obj_coef(lp, p + 1, nnh_act_value(nr->act, z));
    }
    return lp;
}

static double solve_at(glp_prob *lp, const double *x, int n, int dir)
{
    for (int i = 0; i < n; i++)
        glp_set_row_bnds(lp, i + 1, GLP_FX, x[i], x[i]);
    glp_set_obj_dir(lp, dir);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.tol_bnd = 1e-10;
    parm.tol_dj = 1e-10;
    int rc = glp_simplex(lp, &parm);
    if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
        glp_std_basis(lp);
        rc = glp_simplex(lp, &parm);
    }
    if (rc != 0 || glp_get_status(lp) != GLP_OPT)
        return NAN; /* counted by the caller, asserted once */
    return glp_get_obj_val(lp);
}

START_TEST(test_grid_lp)
{
    const act_case *ac = &ACTS[_i];
    nnh_activation a;
    nnh_act_default(&a, ac->kind);
    if (ac->kind == NNH_ACT_LEAKY_RELU || ac->kind == NNH_ACT_ELU)
        a.alpha = ac->alpha;
    nnh_env_ws ws;
    nnh_error err;
    ck_assert_int_eq(nnh_env_ws_init(&ws, 3, &err), 0);
    glp_term_out(GLP_OFF);
    unsigned long long st = 1000 + 7 * (unsigned long long)_i;
    for (int n = 1; n <= 3; n++) {
        double worst_over = -INFINITY, worst_gap = 0, gap_ratio = 0;
        int points = 0, bad = 0;
        for (int r = 0; r < N_INST[n]; r++) {
            double w[3], l[3], u[3], x[3];
            for (int i = 0; i < n; i++) {
                w[i] = urand(&st, 0.3, 3.0) * (nnh_test_rand(&st) < 0.5 ? -1 : 1);
                l[i] = urand(&st, -2, 1);
                u[i] = l[i] + urand(&st, 0.1, 3);
            }
            nnh_neuron nr = {&a, n, w, l, u, urand(&st, -2.5, 2.5)};
            int k = GRID[n];
            double res = 0;
            for (int i = 0; i < n; i++)
                res += ac->lip * fabs(w[i]) * (u[i] - l[i]) / (k - 1);
            glp_prob *lp = grid_lp(&nr, k);
            for (int s = 0; s < N_PTS; s++) {
                for (int i = 0; i < n; i++)
                    x[i] = urand(&st, l[i], u[i]);
                nnh_env_point pc, pv;
                bad += nnh_cav(&nr, x, NULL, &pc, &ws) != 0;
                bad += nnh_vex(&nr, x, NULL, &pv, &ws) != 0;
                double lmax = solve_at(lp, x, n, GLP_MAX);
                double lmin = solve_at(lp, x, n, GLP_MIN);
                bad += isnan(lmax) || isnan(lmin);
                /* over: LP beyond the envelope (must not happen);
                 * gap: envelope beyond the LP (bounded by the resolution) */
                double over = fmax(lmax - pc.value, pv.value - lmin);
                double gap = fmax(pc.value - lmax, lmin - pv.value);
                worst_over = fmax(worst_over, over);
                worst_gap = fmax(worst_gap, gap);
                gap_ratio = fmax(gap_ratio, gap / res);
                points++;
            }
            glp_delete_prob(lp);
        }
        printf("%s n=%d: %d points, LP - cav <= %.3g, cav - LP <= %.3g (%.3g of the resolution)\n",
               ac->name, n, points, worst_over, worst_gap, gap_ratio);
        ck_assert_msg(bad == 0, "%s n=%d: %d failed envelope calls or LP solves", ac->name, n, bad);
        ck_assert_msg(worst_over <= 1e-9, "%s n=%d: grid LP exceeds the envelope by %g", ac->name,
                      n, worst_over);
        ck_assert_msg(gap_ratio <= 1.0, "%s n=%d: envelope beyond the grid resolution (%g x)",
                      ac->name, n, gap_ratio);
    }
    nnh_env_ws_free(&ws);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("envelope_lp");
    TCase *tc = tcase_create("grid");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_grid_lp, 0, N_ACTS);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
