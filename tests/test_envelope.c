/* Unit tests of the multivariate envelopes and the separation oracle
 * (src/envelope.c): the documented test vectors, staircase/Anderson identities
 * for convex activations, concavity, regions, degenerate inputs and cut
 * validity checked in extended precision. The LP brute force is in
 * test_envelope_lp.c. */
#include "nnh_test.h"
#include "nnhull.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NMAX 64

static nnh_env_ws ws;

static void ws_setup(void)
{
    nnh_error err;
    ck_assert_int_eq(nnh_env_ws_init(&ws, NMAX, &err), 0);
}

static void ws_teardown(void) { nnh_env_ws_free(&ws); }

__attribute__((unused)) static double urand(unsigned long long *st, double lo, double hi)
{
    return lo + (hi - lo) * nnh_test_rand(st);
}

/* The activations of the brief (name, kind, alpha). */
typedef struct act_case {
    const char *name;
    nnh_act_kind kind;
    double alpha;
} act_case;

__attribute__((unused)) static const act_case ACTS[] = {
    {"relu", NNH_ACT_RELU, 0},          {"leaky_relu", NNH_ACT_LEAKY_RELU, 0.1},
    {"sigmoid", NNH_ACT_SIGMOID, 0},    {"tanh", NNH_ACT_TANH, 0},
    {"softplus", NNH_ACT_SOFTPLUS, 0},  {"elu1", NNH_ACT_ELU, 1.0},
    {"elu1.5", NNH_ACT_ELU, 1.5},       {"selu", NNH_ACT_SELU, NNH_SELU_ALPHA},
};
#define N_ACTS ((int)(sizeof ACTS / sizeof ACTS[0]))

__attribute__((unused)) static nnh_activation mk_act(const act_case *c)
{
    nnh_activation a;
    nnh_act_default(&a, c->kind);
    if (c->kind == NNH_ACT_LEAKY_RELU || c->kind == NNH_ACT_ELU)
        a.alpha = c->alpha;
    return a;
}

/* z range of w^T x + b over the box */
static void z_range(const nnh_neuron *nr, double *L, double *U)
{
    double lo = nr->b, hi = nr->b;
    for (int i = 0; i < nr->n; i++) {
        double p = nr->w[i] * nr->l[i], q = nr->w[i] * nr->u[i];
        lo += fmin(p, q);
        hi += fmax(p, q);
    }
    *L = lo;
    *U = hi;
}

static double f_at(const nnh_neuron *nr, const double *x)
{
    double z = nr->b;
    for (int i = 0; i < nr->n; i++)
        z += nr->w[i] * x[i];
    return nnh_act_value(nr->act, z);
}

/* ---- Section 7 test vectors -------------------------------------------------- */
typedef struct tvec {
    nnh_act_kind kind;
    int n;
    double w[4], b, l[4], u[4], x[4];
    double f, cav, vex, up1, lo1; /* NAN = not given */
    double gc[4], gv[4];          /* gc[0] / gv[0] NAN = not given */
    int cav_multi;                /* 1: cav must come from R_i, 0: from R_f/R_l */
} tvec;

static const tvec TV[] = {
    {NNH_ACT_SIGMOID, 2, {1, 1}, 0, {-1, -1}, {1, 1}, {0.5, -0.5},
     0.5, 0.525368007080, 0.474631992920, 0.527312298711, 0.472687701289,
     {0.196057593405, 0.224157389901}, {0.224157389901, 0.196057593405}, 1},
    {NNH_ACT_SIGMOID, 3, {2, -3, 1}, 0.5, {-1, -1, 0}, {1, 2, 1}, {0.2, 0.1, 0.9},
     NAN, 0.835378977404, 0.481257127399, 0.835378977404, 0.481257127399,
     {NAN}, {NAN}, 0},
    {NNH_ACT_SIGMOID, 4, {1.5, 0.7, -2.2, 0.4}, -1, {0, 0, 0, 0}, {1, 1, 1, 1},
     {0.9, 0.3, 0.4, 0.6}, 0.480010659844, 0.522076213155, 0.466566246934, 0.556876568341, NAN,
     {0.115299542287, 0.149942729723, -0.471248579131, 0.085681559842}, {NAN}, 1},
    {NNH_ACT_TANH, 2, {1, 2}, -0.5, {-1, -1}, {1, 1}, {0.3, -0.6},
     -0.885351648202, -0.388149119507, -0.885351648202, -0.176644468926, NAN,
     {0.046514821983, 1.373898773814}, {NAN}, 1},
    {NNH_ACT_TANH, 3, {0.8, -1.2, 2.0}, 0.3, {-1, -1, -1}, {1, 1, 1}, {0.1, 0.2, -0.3},
     NAN, 0.215876950287, -0.587666866449, 0.215876950287, -0.587666866449, {NAN}, {NAN}, 0},
    {NNH_ACT_SOFTPLUS, 3, {1, 1, 1}, -1, {-1, -1, -1}, {1, 1, 1}, {0.5, -0.2, 0.1},
     0.437487950486, 0.984666365689, 0.437487950486, 1.213124175022, NAN,
     {0.054389041563, 0.716890415242, 0.283109584758}, {NAN}, 1},
};

#define TV_TOL 1e-9

START_TEST(test_vectors)
{
    const tvec *t = &TV[_i];
    nnh_activation a;
    nnh_act_default(&a, t->kind);
    nnh_neuron nr = {&a, t->n, t->w, t->l, t->u, t->b};
    double gc[4], gv[4], L, U;
    nnh_env_point pc, pv;
    ck_assert_int_eq(nnh_cav(&nr, t->x, gc, &pc, &ws), 0);
    ck_assert_int_eq(nnh_vex(&nr, t->x, gv, &pv, &ws), 0);
    z_range(&nr, &L, &U);
    double z = t->b;
    for (int i = 0; i < t->n; i++)
        z += t->w[i] * t->x[i];
    double up1 = nnh_env1d_upper(&a, L, U, z, NULL), lo1 = nnh_env1d_lower(&a, L, U, z, NULL);
    if (!isnan(t->f))
        ck_assert_double_eq_tol(f_at(&nr, t->x), t->f, TV_TOL);
    ck_assert_double_eq_tol(pc.value, t->cav, TV_TOL);
    ck_assert_double_eq_tol(pv.value, t->vex, TV_TOL);
    ck_assert_double_eq_tol(up1, t->up1, TV_TOL);
    if (!isnan(t->lo1))
        ck_assert_double_eq_tol(lo1, t->lo1, TV_TOL);
    for (int i = 0; i < t->n; i++) {
        if (!isnan(t->gc[0]))
            ck_assert_double_eq_tol(gc[i], t->gc[i], TV_TOL);
        if (!isnan(t->gv[0]))
            ck_assert_double_eq_tol(gv[i], t->gv[i], TV_TOL);
    }
    ck_assert_int_eq(pc.region == NNH_REGION_I, t->cav_multi);
}
END_TEST

Suite *envelope_suite(void);
Suite *envelope_suite(void)
{
    Suite *s = suite_create("envelope");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, ws_setup, ws_teardown);
    tcase_add_loop_test(tc, test_vectors, 0, (int)(sizeof TV / sizeof TV[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return nnh_run_suite(envelope_suite()); }
