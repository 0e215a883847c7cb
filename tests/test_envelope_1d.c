/* Unit tests of tie points, 1-D envelopes and 1-D cuts (src/envelope/envelope_1d.c):
 * the tables of docs/convexification.md, kink rule, brute-force concave/convex hulls of fine grids, cut
 * validity evaluated in double at 10k points, monotonicity, no NaN/inf. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "nnhull/envelope.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Check's ck_assert records a mark point through a pipe on every call; in the
 * hot loops below only the failure path may call into Check. */
#define REQUIRE(cond)                                                                      \
    do {                                                                                   \
        if (!(cond))                                                                       \
            ck_abort_msg("%s:%d: requirement failed: %s", __FILE__, __LINE__, #cond);      \
    } while (0)
#define REQUIRE_MSG(cond, ...)                                                             \
    do {                                                                                   \
        if (!(cond))                                                                       \
            ck_abort_msg(__VA_ARGS__);                                                     \
    } while (0)

#define NACT 11
static nnh_activation acts[NACT];
/* max |sigma''| (for the grid-resolution tolerance of the hull comparison) */
static double acts_k2[NACT];

static void setup_acts(void)
{
    nnh_act_kind kinds[NACT] = {NNH_ACT_RELU,    NNH_ACT_LEAKY_RELU, NNH_ACT_LEAKY_RELU,
                                NNH_ACT_SIGMOID, NNH_ACT_TANH,       NNH_ACT_SOFTPLUS,
                                NNH_ACT_ELU,     NNH_ACT_ELU,        NNH_ACT_ELU,
                                NNH_ACT_SELU,    NNH_ACT_IDENTITY};
    for (int i = 0; i < NACT; i++)
        nnh_act_default(&acts[i], kinds[i]);
    acts[2].alpha = 0.3;
    acts[7].alpha = 2.0;
    acts[8].alpha = 0.5;
    double k2[NACT] = {0, 0, 0, 0.1, 0.78, 0.25, 1.0, 2.0, 0.5, 1.76, 0};
    for (int i = 0; i < NACT; i++)
        acts_k2[i] = k2[i];
}

static double sig(const nnh_activation *a, double z) { return nnh_act_value(a, z); }

/* Random interval of one of five kinds: moderate, wide (|.| <= 60), tiny
 * width 1e-9, point, straddling 0 closely. */
static void rand_interval(unsigned long long *st, int i, double *L, double *U)
{
    double r1 = nnh_test_rand(st), r2 = nnh_test_rand(st);
    switch (i % 5) {
    case 0: *L = -8 + 16 * r1; *U = -8 + 16 * r2; break;
    case 1: *L = -60 + 120 * r1; *U = -60 + 120 * r2; break;
    case 2: *L = -10 + 20 * r1; *U = *L + 1e-9; break;
    case 3: *L = *U = -10 + 20 * r1; break;
    default: *L = -2 * r1; *U = 3 * r2 * r2; break;
    }
    if (*L > *U) {
        double t = *L;
        *L = *U;
        *U = t;
    }
}

/* ---- tables of docs/convexification.md 3.5 ------------------------------- */

START_TEST(test_tie_tables)
{
    setup_acts();
    nnh_activation s, t;
    nnh_act_default(&s, NNH_ACT_SIGMOID);
    nnh_act_default(&t, NNH_ACT_TANH);
    const double sg[7][3] = {{-4, 4, 1.539759026671},  {-2, 6, 0.916598770294},
                             {-1, 1, 0.488108918512},  {-10, 10, 2.436898526097},
                             {-6, 0.5, 0.5},           {0.5, 3, 0.5},
                             {-3, -1, -1}};
    for (int i = 0; i < 7; i++) {
        ck_assert_double_eq_tol(nnh_tie_upper(&s, sg[i][0], sg[i][1], NAN), sg[i][2], 1e-9);
        /* hint inside the bracket must not change the answer */
        ck_assert_double_eq_tol(nnh_tie_upper(&s, sg[i][0], sg[i][1], 0.5 * sg[i][1]), sg[i][2],
                                1e-9);
        /* lower by symmetry: zcheck(L,U) = -zhat(-U,-L) */
        ck_assert_double_eq_tol(nnh_tie_lower(&s, -sg[i][1], -sg[i][0], NAN), -sg[i][2], 1e-9);
    }
    const double th[3][3] = {{-2, 2, 0.769879513335}, {-1, 3, 0.458299385147}, {-3, 0.2, 0.2}};
    for (int i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(nnh_tie_upper(&t, th[i][0], th[i][1], NAN), th[i][2], 1e-9);
        ck_assert_double_eq_tol(nnh_tie_lower(&t, -th[i][1], -th[i][0], NAN), -th[i][2], 1e-9);
    }
    /* the root really is a tangency point: sigma'(zh) (zh - L) = sigma(zh) - sigma(L) */
    for (int i = 0; i < 4; i++) {
        double L = sg[i][0], zh = nnh_tie_upper(&s, L, sg[i][1], NAN);
        double phi = nnh_act_deriv(&s, zh, 1) * (zh - L) - (sig(&s, zh) - sig(&s, L));
        ck_assert(fabs(phi) < 1e-14);
    }
    /* convex and identity activations: zhat = zcheck = U */
    for (int k = 0; k < NACT; k++) {
        nnh_act_class c = nnh_act_classify(&acts[k]);
        if (c == NNH_CLASS_SSHAPED)
            continue;
        ck_assert_double_eq(nnh_tie_upper(&acts[k], -3, 2, NAN), 2);
        ck_assert_double_eq(nnh_tie_lower(&acts[k], -3, 2, NAN), 2);
    }
    nnh_activation selu_convex;
    nnh_act_default(&selu_convex, NNH_ACT_SELU);
    selu_convex.alpha = 0.7; /* convex kink: no tie point inside */
    ck_assert_double_eq(nnh_tie_upper(&selu_convex, -3, 2, NAN), 2);
    ck_assert_double_eq(nnh_tie_lower(&selu_convex, -3, 2, NAN), 2);
}
END_TEST

/* Independent reference: bisection on the plain tangency condition in long
 * double, for moderate intervals where it is well conditioned. */
static long double ld_act(int kind, long double z, long double alpha)
{
    if (kind == 0)
        return 1.0L / (1.0L + expl(-z));
    if (kind == 1)
        return tanhl(z);
    return z >= 0 ? z : alpha * expm1l(z); /* ELU (lambda cancels for SELU) */
}
static long double ld_der(int kind, long double z, long double alpha)
{
    if (kind == 0) {
        long double s = ld_act(0, z, 0);
        return s * (1 - s);
    }
    if (kind == 1) {
        long double t = tanhl(z);
        return 1 - t * t;
    }
    return z >= 0 ? 1.0L : alpha * expl(z);
}
/* upper tie point of sigmoid (kind 0) / tanh (1), or lower tie point of ELU (2) */
static double ld_tie(int kind, double L, double U, double alpha)
{
    long double lo, hi;
    if (kind < 2) { /* phi(z) = s'(z)(z-L) - (s(z)-s(L)) decreasing on [0,U] */
        lo = 0;
        hi = U;
        long double fU = ld_der(kind, U, 0) * (U - (long double)L) - (ld_act(kind, U, 0) - ld_act(kind, L, 0));
        if (fU >= 0)
            return U;
        for (int i = 0; i < 200; i++) {
            long double m = 0.5L * (lo + hi);
            long double f = ld_der(kind, m, 0) * (m - L) - (ld_act(kind, m, 0) - ld_act(kind, L, 0));
            if (f > 0)
                lo = m;
            else
                hi = m;
        }
        return (double)(0.5L * (lo + hi));
    }
    /* convex envelope: tangent from U touching at zc in [L,0]: s'(zc)(U-zc) - (s(U)-s(zc)) */
    lo = L;
    hi = 0;
    long double fL = ld_der(2, L, alpha) * (U - (long double)L) - (ld_act(2, U, alpha) - ld_act(2, L, alpha));
    if (fL >= 0) /* sigma already as steep at L as the secant L -> U */
        return L;
    for (int i = 0; i < 200; i++) {
        long double m = 0.5L * (lo + hi);
        long double f = ld_der(2, m, alpha) * (U - m) - (ld_act(2, U, alpha) - ld_act(2, m, alpha));
        if (f > 0)
            hi = m;
        else
            lo = m;
    }
    return (double)(0.5L * (lo + hi));
}

START_TEST(test_tie_reference)
{
    nnh_activation s, t, selu, elu2;
    nnh_act_default(&s, NNH_ACT_SIGMOID);
    nnh_act_default(&t, NNH_ACT_TANH);
    nnh_act_default(&selu, NNH_ACT_SELU);
    nnh_act_default(&elu2, NNH_ACT_ELU);
    elu2.alpha = 2.0;
    unsigned long long st = 31337;
    double worst = 0;
    for (int it = 0; it < 300; it++) {
        double L = -0.5 - 15 * nnh_test_rand(&st), U = 0.5 + 15 * nnh_test_rand(&st);
        double got[4] = {nnh_tie_upper(&s, L, U, NAN), nnh_tie_upper(&t, L, U, NAN),
                         nnh_tie_lower(&selu, L, U, NAN), nnh_tie_lower(&elu2, L, U, NAN)};
        double ref[4] = {ld_tie(0, L, U, 0), ld_tie(1, L, U, 0), ld_tie(2, L, U, selu.alpha),
                         ld_tie(2, L, U, 2.0)};
        for (int j = 0; j < 4; j++) {
            double err = fabs(got[j] - ref[j]) / fmax(1.0, fabs(ref[j]));
            if (err > worst)
                worst = err;
            REQUIRE_MSG(err < 1e-11, "case %d [%.17g,%.17g]: %.17g vs %.17g", j, L, U, got[j], ref[j]);
        }
    }
    printf("tie points vs long-double bisection: worst relative error %.3g\n", worst);
}
END_TEST

/* Near the inflection (tiny |L|) the tie point is ill conditioned for a naive
 * phi; oracle values from 60-digit mpmath root finding. */
START_TEST(test_tie_near_inflection)
{
    nnh_activation s, t, selu;
    nnh_act_default(&s, NNH_ACT_SIGMOID);
    nnh_act_default(&t, NNH_ACT_TANH);
    nnh_act_default(&selu, NNH_ACT_SELU);
    const double sg[][2] = {{-1e-300, 5e-301},
                            {-1e-10, 5e-11},
                            {-1e-7, 4.9999999999999987e-8},
                            {-0.001, 0.00049999998750000064732},
                            {-0.002, 0.00099999990000002071},
                            {-0.03, 0.014999662515729012},
                            {-0.1, 0.049987506469106331},
                            {-0.19, 0.094914422416672269},
                            {-0.21, 0.10488450113451031},
                            {-0.5, 0.24845741321171617}};
    for (size_t i = 0; i < sizeof sg / sizeof sg[0]; i++) {
        double L = sg[i][0], ref = sg[i][1];
        ck_assert_double_eq_tol(nnh_tie_upper(&s, L, 1.0, NAN) / ref, 1.0, 1e-12);
        ck_assert_double_eq_tol(nnh_tie_lower(&s, -1.0, -L, NAN) / -ref, 1.0, 1e-12);
        ck_assert_double_eq_tol(nnh_tie_upper(&t, 0.5 * L, 1.0, NAN) / (0.5 * ref), 1.0, 1e-12);
        /* U below the root: zhat = U */
        ck_assert_double_eq(nnh_tie_upper(&s, L, 0.5 * ref, NAN), 0.5 * ref);
    }
    /* SELU convex side: tangent from U = -L' touching the exp part */
    const double se[][2] = {{-1e-14, -8.9706780294246668e-08},
                            {-1e-10, -8.9706055857593275e-06},
                            {-1e-5, -0.002829467081274678},
                            {-1e-3, -0.027643063882910269},
                            {-0.3, -0.31348118104583875},
                            {-3.0, -0.47039489015143219}};
    for (size_t i = 0; i < sizeof se / sizeof se[0]; i++)
        ck_assert_double_eq_tol(nnh_tie_lower(&selu, -1.0, -se[i][0], NAN) / se[i][1], 1.0,
                                1e-12);
}
END_TEST

/* 1-D envelope values of the test vectors (docs/convexification.md Section 9). */
START_TEST(test_env_doc_vectors)
{
    nnh_activation s, t, sp;
    nnh_act_default(&s, NNH_ACT_SIGMOID);
    nnh_act_default(&t, NNH_ACT_TANH);
    nnh_act_default(&sp, NNH_ACT_SOFTPLUS);
    ck_assert_double_eq_tol(nnh_env1d_upper(&s, -2, 2, 0, NULL), 0.527312298711, 1e-9);
    ck_assert_double_eq_tol(nnh_env1d_lower(&s, -2, 2, 0, NULL), 0.472687701289, 1e-9);
    ck_assert_double_eq_tol(nnh_env1d_upper(&s, -3.2, 1.6, -0.08, NULL), 0.556876568341, 1e-9);
    ck_assert_double_eq_tol(nnh_env1d_upper(&t, -3.5, 2.5, -1.4, NULL), -0.176644468926, 1e-9);
    ck_assert_double_eq_tol(nnh_env1d_upper(&sp, -4, 2, -0.6, NULL), 1.213124175022, 1e-9);
    /* the lower envelope of a convex activation is the activation */
    ck_assert_double_eq_tol(nnh_env1d_lower(&sp, -4, 2, -0.6, NULL), log1p(exp(-0.6)), 1e-15);
}
END_TEST

/* ---- SELU / ELU kink rule ------------------------------------------------ */

/* independent bisection for alpha (e^L - 1) = L on (-alpha, 0) */
static double lstar_bisect(double alpha)
{
    double lo = -alpha - 1, hi = -1e-3 * (alpha - 1) / alpha;
    for (int i = 0; i < 200; i++) {
        double m = 0.5 * (lo + hi);
        if (alpha * expm1(m) - m > 0)
            lo = m;
        else
            hi = m;
    }
    return 0.5 * (lo + hi);
}

START_TEST(test_kink_rule)
{
    nnh_activation selu, elu2, elu1;
    nnh_act_default(&selu, NNH_ACT_SELU);
    nnh_act_default(&elu2, NNH_ACT_ELU);
    elu2.alpha = 2.0;
    nnh_act_default(&elu1, NNH_ACT_ELU);
    double ls = nnh_tie_kink_threshold(&selu);
    ck_assert_double_eq_tol(ls, -1.13595, 1e-5);
    ck_assert(fabs(selu.alpha * expm1(ls) - ls) < 1e-14);
    ck_assert_double_eq_tol(ls, lstar_bisect(selu.alpha), 1e-12);
    double le = nnh_tie_kink_threshold(&elu2);
    ck_assert_double_eq_tol(le, lstar_bisect(2.0), 1e-12);
    ck_assert(le < -1.5 && le > -1.7);
    ck_assert(isnan(nnh_tie_kink_threshold(&elu1)));
    const nnh_activation *ak[2] = {&selu, &elu2};
    double lsk[2] = {ls, le};
    double Us[4] = {1e-6, 0.3, 2.0, 50.0};
    for (int k = 0; k < 2; k++)
        for (int j = 0; j < 4; j++) {
            double U = Us[j];
            ck_assert_double_eq(nnh_tie_upper(ak[k], lsk[k] - 1e-6, U, NAN), U);
            ck_assert_double_eq(nnh_tie_upper(ak[k], lsk[k] - 3.0, U, NAN), U);
            ck_assert_double_eq(nnh_tie_upper(ak[k], lsk[k] + 1e-6, U, NAN), 0.0);
            ck_assert_double_eq(nnh_tie_upper(ak[k], -1e-9, U, NAN), 0.0);
            ck_assert_double_eq(nnh_tie_upper(ak[k], 0.1, U + 0.1, NAN), 0.1);
            ck_assert_double_eq(nnh_tie_upper(ak[k], -5, -0.5, NAN), -0.5);
            /* L between L* and 0: the envelope is the secant L -> 0 then sigma */
            double L = 0.5 * lsk[k], sl;
            double v = nnh_env1d_upper(ak[k], L, U, 0.5 * L, &sl);
            double sec = (0 - sig(ak[k], L)) / (0 - L);
            ck_assert_double_eq_tol(sl, sec, 1e-12);
            ck_assert_double_eq_tol(v, sig(ak[k], L) + sec * 0.5 * (-L), 1e-12);
        }
    /* lower tie point (smooth side by reflection): tangency from U */
    for (int k = 0; k < 2; k++) {
        double Ls[3] = {-4, -1, -0.2}, Uu[3] = {3, 0.5, 1e-3};
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double L = Ls[i], U = Uu[j], zc = nnh_tie_lower(ak[k], L, U, NAN);
                ck_assert(zc >= L && zc <= 0);
                double sec = (sig(ak[k], U) - sig(ak[k], zc)) / (U - zc);
                if (zc > L)
                    ck_assert_double_eq_tol(nnh_act_deriv(ak[k], zc, -1), sec, 1e-10);
                else /* secant from L already below sigma's slope at L */
                    ck_assert(nnh_act_deriv(ak[k], L, 1) >= sec - 1e-12);
            }
    }
}
END_TEST

/* ---- brute-force hull ---------------------------------------------------- */

#define NGRID 20001
static double gx[NGRID + 1], gy[NGRID + 1];
static int hull[NGRID + 1];

/* upper hull (monotone chain) of the sorted points (gx, sgn*gy); returns size */
static int upper_hull(int n, double sgn)
{
    int h = 0;
    for (int i = 0; i < n; i++) {
        while (h >= 2) {
            int o = hull[h - 2], a = hull[h - 1];
            double cr = (gx[a] - gx[o]) * (sgn * gy[i] - sgn * gy[o]) -
                        (sgn * gy[a] - sgn * gy[o]) * (gx[i] - gx[o]);
            if (cr >= 0)
                h--;
            else
                break;
        }
        hull[h++] = i;
    }
    return h;
}

static int build_grid(const nnh_activation *a, double L, double U)
{
    int n = 0;
    for (int i = 0; i < NGRID; i++) {
        double t = (i == NGRID - 1) ? U : L + (U - L) * ((double)i / (NGRID - 1));
        if (n > 0 && gx[n - 1] < 0 && t > 0) { /* add the kink/inflection */
            gx[n] = 0;
            gy[n++] = sig(a, 0);
        }
        if (n > 0 && t <= gx[n - 1])
            continue;
        gx[n] = t;
        gy[n++] = sig(a, t);
    }
    return n;
}

START_TEST(test_env_vs_hull)
{
    setup_acts();
    unsigned long long st = 12345;
    double worst_dev = 0;
    for (int k = 0; k < NACT; k++) {
        const nnh_activation *a = &acts[k];
        for (int it = 0; it < 200; it++) {
            double L, U;
            rand_interval(&st, it, &L, &U);
            int n = build_grid(a, L, U);
            double h = (U - L) / (NGRID - 1);
            double scale = 1 + fabs(sig(a, L)) + fabs(sig(a, U));
            for (int side = 1; side >= -1; side -= 2) {
                int m = upper_hull(n, side);
                int seg = 0;
                int stride = (it % 10 == 0) ? 1 : 10; /* all points on every 10th interval */
                for (int ii = 0; ii <= (n - 1) / stride + 1; ii++) {
                    int i = ii * stride < n ? ii * stride : n - 1; /* and the last point */
                    double t = gx[i];
                    while (seg < m - 2 && gx[hull[seg + 1]] < t)
                        seg++;
                    double hv;
                    if (m == 1) {
                        hv = gy[hull[0]];
                    } else {
                        int p = hull[seg], q = hull[seg + 1];
                        double w = (gx[q] > gx[p]) ? (t - gx[p]) / (gx[q] - gx[p]) : 0;
                        hv = gy[p] + w * (gy[q] - gy[p]);
                    }
                    double sl;
                    double e = side > 0 ? nnh_env1d_upper(a, L, U, t, &sl)
                                        : nnh_env1d_lower(a, L, U, t, &sl);
                    REQUIRE(isfinite(e) && isfinite(sl));
                    double dev = side * (e - hv); /* >= 0: envelope above the grid hull */
                    double tol = 0.25 * acts_k2[k] * h * h + 1e-12 * scale;
                    if (fabs(dev) > worst_dev)
                        worst_dev = fabs(dev);
                    if (!(dev >= -1e-12 * scale && dev <= tol))
                        ck_abort_msg("%s side %d [%.17g,%.17g] t=%.17g env=%.17g hull=%.17g",
                                     nnh_act_name(a->kind), side, L, U, t, e, hv);
                    /* envelope on the right side of sigma */
                    REQUIRE(side * (e - gy[i]) >= -1e-12 * scale);
                }
            }
        }
    }
    printf("env vs grid hull: worst |env - hull| = %.3g\n", worst_dev);
}
END_TEST

/* ---- cuts ---------------------------------------------------------------- */

static double worst_viol[NACT]; /* per activation: max relative side*(sigma - cut) */
static int cur_act;
static double worst_gap = 0;          /* max (cut - envelope) at the touching point, relative */

/* sigma(t) <= s t + c (side > 0) or >= (side < 0), evaluated in double */
static void check_cut(const nnh_activation *a, double L, double U, int side, double s, double c,
                      double zt, unsigned long long *st)
{
    REQUIRE(isfinite(s) && isfinite(c));
    for (int i = 0; i < 10002; i++) {
        double t;
        if (i < 8000)
            t = L + (U - L) * (i / 7999.0);
        else if (i < 9000) /* cluster around the touching point */
            t = zt + (U - L) * ldexp(nnh_test_rand(st) - 0.5, -(i % 50));
        else if (i < 10000)
            t = L + (U - L) * nnh_test_rand(st);
        else
            t = (i == 10000) ? L : U;
        if (t < L)
            t = L;
        if (t > U)
            t = U;
        double v = sig(a, t), lin = s * t + c;
        double viol = side > 0 ? v - lin : lin - v;
        double rv = viol / (1 + fabs(v) + fabs(s * t) + fabs(c)); /* relative to the terms */
        if (rv > worst_viol[cur_act])
            worst_viol[cur_act] = rv;
        if (viol > 0)
            ck_abort_msg("%s side %d [%.17g,%.17g] cut s=%.17g c=%.17g violated at t=%.17g by %.3g",
                         nnh_act_name(a->kind), side, L, U, s, c, t, viol);
    }
}

START_TEST(test_cuts_valid)
{
    setup_acts();
    unsigned long long st = 777;
    for (int k = 0; k < NACT; k++) {
        const nnh_activation *a = &acts[k];
        cur_act = k;
        worst_viol[k] = -INFINITY;
        /* adversarial intervals after the random ones: both sides of the
         * kink threshold, the tie-point noise regime near 0, huge and far ones */
        double lk = nnh_tie_kink_threshold(a);
        if (isnan(lk))
            lk = -1.13595;
        const double stress[][2] = {{lk - 1e-13, 5},   {lk + 1e-13, 5},   {lk, 1e-3},
                                    {-1e-12, 1e-12},   {-1e-300, 1},      {-1e-10, 50},
                                    {-1e6, 1e6},       {-1e6, -1e6 + 1},  {1e6 - 1, 1e6},
                                    {30, 40},          {-40, -30},        {-800, 800},
                                    {-60, 1e-9},       {-1e-9, 60},       {0, 0}};
        const int nstress = (int)(sizeof stress / sizeof stress[0]);
        for (int it = 0; it < 100 + nstress; it++) {
            double L, U;
            if (it < 100) {
                rand_interval(&st, it, &L, &U);
            } else {
                L = stress[it - 100][0];
                U = stress[it - 100][1];
            }
            double zh = nnh_tie_upper(a, L, U, NAN), zc = nnh_tie_lower(a, L, U, NAN);
            REQUIRE(zh >= L && zh <= U && zc >= L && zc <= U);
            double zs[5] = {L, U, zh, zc, L + (U - L) * nnh_test_rand(&st)};
            for (int j = 0; j < 5; j++)
                for (int side = 1; side >= -1; side -= 2) {
                    double s, c;
                    nnh_env1d_cut(a, L, U, zs[j], side, &s, &c);
                    check_cut(a, L, U, side, s, c, zs[j], &st);
                    /* the cut touches the envelope up to its margin */
                    double e = side > 0 ? nnh_env1d_upper(a, L, U, zs[j], NULL)
                                        : nnh_env1d_lower(a, L, U, zs[j], NULL);
                    double gap = side * (s * zs[j] + c - e);
                    double scale = 1 + fabs(sig(a, L)) + fabs(sig(a, U)) +
                                   fabs(s) * fmax(fabs(L), fabs(U));
                    REQUIRE(gap >= -1e-12 * scale);
                    REQUIRE_MSG(gap <= 1e-12 * scale, "%s gap %g", nnh_act_name(a->kind), gap);
                    if (gap / scale > worst_gap)
                        worst_gap = gap / scale;
                }
            double ls, lc, us, uc;
            nnh_env1d_linear_relax(a, L, U, &ls, &lc, &us, &uc);
            check_cut(a, L, U, 1, us, uc, 0.5 * (L + U), &st);
            check_cut(a, L, U, -1, ls, lc, 0.5 * (L + U), &st);
        }
    }
    for (int k = 0; k < NACT; k++)
        printf("cuts %-10s alpha=%-4g: max over checks of side*(sigma - cut)/(1+|sigma|+|s t|+|c|) = %.3g\n",
               nnh_act_name(acts[k].kind), acts[k].alpha, worst_viol[k]);
    printf("cuts: worst (cut - envelope) at the touching point, relative to scale = %.3g\n",
           worst_gap);
}
END_TEST

START_TEST(test_relax_standard)
{
    nnh_activation r, s;
    nnh_act_default(&r, NNH_ACT_RELU);
    nnh_act_default(&s, NNH_ACT_SIGMOID);
    double ls, lc, us, uc;
    nnh_env1d_linear_relax(&r, -1, 3, &ls, &lc, &us, &uc);
    ck_assert_double_eq_tol(us, 0.75, 1e-15);
    ck_assert_double_eq_tol(uc, 0.75, 1e-12);
    ck_assert(uc >= 0.75);
    ck_assert_double_eq(ls, 1.0);
    ck_assert(lc <= 0 && lc > -1e-12);
    nnh_env1d_linear_relax(&r, -3, 1, &ls, &lc, &us, &uc);
    ck_assert_double_eq(ls, 0.0);
    ck_assert(lc <= 0 && lc > -1e-12);
    /* degenerate interval: constants around sigma(L) */
    nnh_env1d_linear_relax(&s, 0.3, 0.3, &ls, &lc, &us, &uc);
    ck_assert(ls == 0 && us == 0);
    ck_assert(lc <= sig(&s, 0.3) && uc >= sig(&s, 0.3) && uc - lc < 1e-14);
    /* infinite bounds: valid constants (sigmoid in [0,1]) */
    nnh_env1d_linear_relax(&s, -INFINITY, INFINITY, &ls, &lc, &us, &uc);
    ck_assert(ls == 0 && us == 0 && lc == 0 && uc == 1);
    nnh_env1d_linear_relax(&s, -INFINITY, 2, &ls, &lc, &us, &uc);
    ck_assert(us == 0 && uc >= sig(&s, 2) && uc < sig(&s, 2) + 1e-14 && lc == 0);
    nnh_env1d_linear_relax(&r, 1, INFINITY, &ls, &lc, &us, &uc);
    ck_assert(ls == 0 && lc <= 1 && isinf(uc) && uc > 0);
}
END_TEST

/* ---- monotonicity and robustness ----------------------------------------- */

/* zhat is nonincreasing in L while L < inflection and equals L beyond, so
 * for L1 <= L2: zhat(L2) <= max(zhat(L1), L2) (the warm-start bracket of the
 * multivariate walk). Reflected: zcheck(U2) >= min(zcheck(U1), U2) for U2 <= U1. */
START_TEST(test_monotone)
{
    setup_acts();
    unsigned long long st = 99;
    for (int k = 0; k < NACT; k++) {
        const nnh_activation *a = &acts[k];
        for (int it = 0; it < 40; it++) {
            double U = 60 * nnh_test_rand(&st) - 5, L0 = -70;
            double prev = INFINITY, prevc = -INFINITY;
            for (int j = 0; j <= 600; j++) {
                double L = fmin(L0 + (U - L0) * j / 600.0, U);
                double zh = nnh_tie_upper(a, L, U, NAN);
                REQUIRE(zh >= L && zh <= U);
                REQUIRE_MSG(zh <= fmax(prev, L) + 1e-12 * (1 + fabs(zh)),
                              "%s U=%g L=%g: %.17g > %.17g", nnh_act_name(a->kind), U, L, zh, prev);
                if (L < 0 && nnh_act_classify(a) == NNH_CLASS_SSHAPED)
                    REQUIRE(zh <= prev + 1e-12 * (1 + fabs(zh))); /* strictly the claim of docs/convexification.md 3.1 */
                prev = zh;
                /* lower tie point, fixed L = -U, U sweeping down */
                double Ll = -U, Ul = fmax(70 - (U + 70) * j / 600.0, Ll);
                double zc = nnh_tie_lower(a, Ll, Ul, NAN);
                REQUIRE(zc >= Ll && zc <= Ul);
                REQUIRE_MSG(zc >= fmin(prevc, Ul) - 1e-12 * (1 + fabs(zc)),
                              "%s L=%g U=%.17g: %.17g < %.17g", nnh_act_name(a->kind), Ll, Ul, zc,
                              prevc);
                prevc = zc;
            }
        }
    }
}
END_TEST

START_TEST(test_no_nan)
{
    setup_acts();
    unsigned long long st = 4242;
    for (int k = 0; k < NACT; k++) {
        const nnh_activation *a = &acts[k];
        for (int it = 0; it < 3000; it++) {
            double m1 = pow(10, -12 + 18 * nnh_test_rand(&st));
            double m2 = pow(10, -12 + 18 * nnh_test_rand(&st));
            double L = (nnh_test_rand(&st) < 0.5 ? -m1 : m1);
            double U = (nnh_test_rand(&st) < 0.5 ? -m2 : m2);
            if (it % 7 == 0)
                U = L;
            if (L > U) {
                double t = L;
                L = U;
                U = t;
            }
            double z = L + (U - L) * nnh_test_rand(&st), s1, s2, c1, c2, c3, c4;
            double zh = nnh_tie_upper(a, L, U, NAN), zc = nnh_tie_lower(a, L, U, NAN);
            REQUIRE(zh >= L && zh <= U && zc >= L && zc <= U);
            double eu = nnh_env1d_upper(a, L, U, z, &s1), el = nnh_env1d_lower(a, L, U, z, &s2);
            REQUIRE_MSG(isfinite(eu) && isfinite(el) && isfinite(s1) && isfinite(s2),
                          "%s [%.17g,%.17g] z=%.17g: %g %g %g %g", nnh_act_name(a->kind), L, U, z,
                          eu, el, s1, s2);
            REQUIRE(eu >= el - 1e-12 * (1 + fabs(eu)));
            nnh_env1d_cut(a, L, U, z, 1, &s1, &c1);
            nnh_env1d_cut(a, L, U, z, -1, &s2, &c2);
            REQUIRE(isfinite(s1) && isfinite(c1) && isfinite(s2) && isfinite(c2));
            nnh_env1d_linear_relax(a, L, U, &s1, &c1, &s2, &c2);
            REQUIRE(isfinite(s1) && isfinite(c1) && isfinite(s2) && isfinite(c2));
            /* endpoints in double */
            REQUIRE(sig(a, L) <= s2 * L + c2 && sig(a, U) <= s2 * U + c2);
            REQUIRE(sig(a, L) >= s1 * L + c1 && sig(a, U) >= s1 * U + c1);
            (void)c3;
            (void)c4;
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("envelope_1d");
    {
        TCase *tc = tcase_create("tie_tables");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_tie_tables);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("tie_reference");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_tie_reference);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("tie_near_inflection");
        tcase_add_test(tc, test_tie_near_inflection);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("env_doc_vectors");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_env_doc_vectors);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("kink_rule");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_kink_rule);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("env_vs_hull");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_env_vs_hull);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("cuts_valid");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_cuts_valid);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("relax_standard");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_relax_standard);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("monotone");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_monotone);
        suite_add_tcase(s, tc);
    }
    {
        TCase *tc = tcase_create("no_nan");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_no_nan);
        suite_add_tcase(s, tc);
    }
    return nnh_run_suite(s);
}
