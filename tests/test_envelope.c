/* Unit tests of the multivariate envelopes and the separation oracle
 * (src/envelope/envelope.c): the documented test vectors, staircase/Anderson identities
 * for convex activations, concavity, regions, degenerate inputs and cut
 * validity checked in extended precision. The LP brute force is in
 * test_envelope_lp.c. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"

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

static double urand(unsigned long long *st, double lo, double hi)
{
    return lo + (hi - lo) * nnh_test_rand(st);
}

/* The activations of the brief (name, kind, alpha). */
typedef struct act_case {
    const char *name;
    nnh_act_kind kind;
    double alpha;
} act_case;

static const act_case ACTS[] = {
    {"relu", NNH_ACT_RELU, 0},          {"leaky_relu", NNH_ACT_LEAKY_RELU, 0.1},
    {"sigmoid", NNH_ACT_SIGMOID, 0},    {"tanh", NNH_ACT_TANH, 0},
    {"softplus", NNH_ACT_SOFTPLUS, 0},  {"elu1", NNH_ACT_ELU, 1.0},
    {"elu1.5", NNH_ACT_ELU, 1.5},       {"selu", NNH_ACT_SELU, NNH_SELU_ALPHA},
    {"selu_alpha0.8", NNH_ACT_SELU, 0.8}, /* convex: no concave kink */
};
#define N_ACTS ((int)(sizeof ACTS / sizeof ACTS[0]))

static nnh_activation mk_act(const act_case *c)
{
    nnh_activation a;
    nnh_act_default(&a, c->kind);
    if (c->kind == NNH_ACT_LEAKY_RELU || c->kind == NNH_ACT_ELU || c->kind == NNH_ACT_SELU)
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

/* ---- Test vectors (docs/convexification.md Section 9) ----------------------- */
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


/* ---- Random instances ------------------------------------------------------- */
typedef struct inst {
    nnh_activation a;
    nnh_neuron nr;
    double w[NMAX], l[NMAX], u[NMAX], x[NMAX];
} inst;

/* weights of random sign and magnitude, boxes of random width and place,
 * bias placing the z range around the inflection often */
static void rand_inst(inst *I, const act_case *ac, int n, unsigned long long *st)
{
    I->a = mk_act(ac);
    double wscale = urand(st, 0.2, 3.0) / sqrt((double)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        I->w[i] = urand(st, -2, 2) * wscale;
        I->l[i] = urand(st, -2, 1);
        I->u[i] = I->l[i] + urand(st, 0.05, 3);
        I->x[i] = urand(st, I->l[i], I->u[i]);
    }
    I->nr = (nnh_neuron){&I->a, n, I->w, I->l, I->u, urand(st, -2, 2)};
}

/* normalized coordinates (w >= 0, [0,1]) of instance I at x; returns m kept */
static int normalize_t(const nnh_neuron *nr, const double *x, double *xh, double *wh, double *bh,
                       int *idx)
{
    int m = 0;
    double b = nr->b;
    for (int i = 0; i < nr->n; i++) {
        double d = nr->u[i] - nr->l[i];
        if (nr->w[i] == 0 || d == 0) {
            b += nr->w[i] * nr->l[i];
            continue;
        }
        if (nr->w[i] > 0) {
            xh[m] = (x[i] - nr->l[i]) / d;
            b += nr->w[i] * nr->l[i];
        } else {
            xh[m] = (nr->u[i] - x[i]) / d;
            b += nr->w[i] * nr->u[i];
        }
        wh[m] = fabs(nr->w[i]) * d;
        idx[m++] = i;
    }
    *bh = b;
    return m;
}

static const double *cmp_key;
static int cmp_desc(const void *pa, const void *pb)
{
    int a = *(const int *)pa, b = *(const int *)pb;
    if (cmp_key[a] != cmp_key[b])
        return cmp_key[a] > cmp_key[b] ? -1 : 1;
    return a - b;
}

/* Staircase (Lovasz extension) value, computed independently of src/. */
static double staircase(const nnh_neuron *nr, const double *x)
{
    double xh[NMAX], wh[NMAX], b;
    int idx[NMAX], ord[NMAX];
    int m = normalize_t(nr, x, xh, wh, &b, idx);
    for (int k = 0; k < m; k++)
        ord[k] = k;
    cmp_key = xh;
    qsort(ord, (size_t)m, sizeof(int), cmp_desc);
    double v = 0, bk = b, prev = 1.0;
    for (int k = 0; k <= m; k++) {
        double nxt = k < m ? xh[ord[k]] : 0.0;
        v += (prev - nxt) * nnh_act_value(nr->act, bk);
        if (k < m)
            bk += wh[ord[k]];
        prev = nxt;
    }
    return v;
}

START_TEST(test_convex_staircase)
{
    unsigned long long st = 101;
    const int convex[] = {0, 1, 4, 5}; /* relu, leaky, softplus, elu1 */
    double worst = 0, worst_f = 0;
    int bad = 0; /* nonzero return codes (asserted once, outside the loop) */
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 300; r++) {
            inst I;
            int n = 1 + (int)(12 * nnh_test_rand(&st));
            rand_inst(&I, &ACTS[convex[c]], n, &st);
            nnh_env_point p, q;
            bad += nnh_cav(&I.nr, I.x, NULL, &p, &ws) != 0;
            bad += nnh_vex(&I.nr, I.x, NULL, &q, &ws) != 0;
            double e = fabs(p.value - staircase(&I.nr, I.x)) / (1 + fabs(p.value));
            double ef = fabs(q.value - f_at(&I.nr, I.x)) / (1 + fabs(q.value));
            worst = fmax(worst, e);
            worst_f = fmax(worst_f, ef);
        }
    ck_assert_int_eq(bad, 0);
    ck_assert_msg(worst < 1e-12, "cav vs staircase: worst relative error %g", worst);
    ck_assert_msg(worst_f < 1e-12, "vex vs f for convex sigma: worst relative error %g", worst_f);
}
END_TEST

/* Anderson et al. (2020), projected ideal ReLU formulation, normalized box:
 * y <= sum_{i in I} w_i x_i + l(I) x_h, l(I) = b + sum_{i not in I} w_i,
 * over (I, h): l(I) >= 0 > l(I + h), h not in I. Enumerated exhaustively. */
typedef struct anderson {
    double best, second; /* smallest and second smallest right-hand side at x */
    unsigned mask;
    int h;
} anderson;

static anderson anderson_min(const double *xh, const double *wh, double b, int m)
{
    anderson r = {INFINITY, INFINITY, 0, -1};
    for (unsigned I = 0; I < (1u << m); I++) {
        double lI = b, s = 0;
        for (int i = 0; i < m; i++) {
            if (I >> i & 1)
                s += wh[i] * xh[i];
            else
                lI += wh[i];
        }
        if (lI < 0)
            continue;
        for (int h = 0; h < m; h++) {
            if ((I >> h & 1) || lI - wh[h] >= 0)
                continue;
            double v = s + lI * xh[h];
            if (v < r.best) {
                r.second = r.best;
                r.best = v;
                r.mask = I;
                r.h = h;
            } else if (v < r.second)
                r.second = v;
        }
    }
    return r;
}

/* Anderson et al.'s separation for the projected ReLU inequalities, linear
 * expected time without sorting: the most violated (I, h) has h the element
 * at which the weight accumulated in decreasing order of x crosses -b, and I
 * the elements after it. h is found by weighted quickselect (random pivot,
 * three-way partition by (x desc, index asc)); I then follows in one pass. */
static int before(const double *xh, int i, int j) /* i ranked before j */
{
    return xh[i] > xh[j] || (xh[i] == xh[j] && i < j);
}

static int anderson_linear(const double *xh, const double *wh, double b, int m, int *inI,
                           unsigned long long *st)
{
    int cand[NMAX], nc = m, h = -1;
    double acc = 0; /* weight of the elements known to rank before all candidates */
    for (int i = 0; i < m; i++)
        cand[i] = i;
    while (nc > 0 && h < 0) {
        int p = cand[(int)(nc * nnh_test_rand(st))], ng = 0, nl = 0, G[NMAX], Lw[NMAX];
        double wg = 0;
        for (int k = 0; k < nc; k++) {
            int i = cand[k];
            if (i == p)
                continue;
            if (before(xh, i, p)) {
                G[ng++] = i;
                wg += wh[i];
            } else
                Lw[nl++] = i;
        }
        if (b + acc + wg >= 0) {
            for (int k = 0; k < ng; k++)
                cand[k] = G[k];
            nc = ng;
        } else if (b + acc + wg + wh[p] >= 0) {
            h = p;
        } else {
            acc += wg + wh[p];
            for (int k = 0; k < nl; k++)
                cand[k] = Lw[k];
            nc = nl;
        }
    }
    for (int i = 0; i < m; i++)
        inI[i] = h >= 0 && i != h && before(xh, h, i);
    return h;
}

START_TEST(test_relu_anderson)
{
    unsigned long long st = 202;
    int compared = 0, small = 0, bad = 0; /* bad: failed calls or (I, h) not in J */
    double worst_v = 0, worst_c = 0, worst_enum = 0;
    for (int r = 0; r < 600; r++) {
        inst I;
        int n = r % 2 ? 1 + (int)(8 * nnh_test_rand(&st)) : 9 + (int)(42 * nnh_test_rand(&st));
        rand_inst(&I, &ACTS[0], n, &st);
        double L, U;
        z_range(&I.nr, &L, &U);
        if (!(L < 0 && U > 0))
            continue;
        double a[NMAX];
        nnh_env_point p;
        bad += nnh_cav(&I.nr, I.x, NULL, &p, &ws) != 0;
        nnh_cut cut;
        bad += nnh_separate(&I.nr, I.x, p.value + 1.0, 1e-9, a, &cut, &ws) != 0;
        bad += cut.sense != 1;
        double xh[NMAX], wh[NMAX], bh;
        int idx[NMAX], inI[NMAX];
        int m = normalize_t(&I.nr, I.x, xh, wh, &bh, idx);
        int h = anderson_linear(xh, wh, bh, m, inI, &st);
        if (h < 0) {
            bad++;
            continue;
        }
        /* Anderson's inequality (I, h): coefficients w_i on I, l(I) on h, 0 else */
        double lI = bh, val = 0;
        for (int k = 0; k < m; k++)
            if (!inI[k])
                lI += wh[k];
        for (int k = 0; k < m; k++)
            val += (inI[k] ? wh[k] : 0.0) * xh[k];
        val += lI * xh[h];
        bad += !(lI >= 0 && lI - wh[h] < 0); /* (I, h) must be in J */
        worst_v = fmax(worst_v, fabs(val - p.value) / (1 + fabs(val)));
        if (m <= 8) { /* the linear-time choice is the minimum over all of J */
            anderson an = anderson_min(xh, wh, bh, m);
            worst_enum = fmax(worst_enum, fabs(an.best - val));
            small++;
        }
        /* our cut in normalized coordinates: a_hat_i = a_i d_i sgn(w_i), c_hat */
        double ch = cut.c;
        for (int i = 0; i < n; i++)
            ch += a[i] * (I.w[i] > 0 ? I.l[i] : I.u[i]);
        double e = fabs(ch);
        for (int k = 0; k < m; k++) {
            int i = idx[k];
            double ah = a[i] * (I.u[i] - I.l[i]) * (I.w[i] > 0 ? 1 : -1);
            double ex = k == h ? lI : (inI[k] ? wh[k] : 0.0);
            e = fmax(e, fabs(ah - ex) / (1 + fabs(ex)));
        }
        worst_c = fmax(worst_c, e);
        compared++;
    }
    ck_assert_msg(bad == 0, "%d failed separations or choices outside J", bad);
    ck_assert_msg(compared > 150 && small > 50, "too few ReLU instances (%d, %d)", compared, small);
    ck_assert_msg(worst_enum < 1e-12, "linear-time Anderson choice vs enumeration: worst %g",
                  worst_enum);
    ck_assert_msg(worst_v < 1e-12, "cav vs most violated Anderson inequality: worst %g", worst_v);
    ck_assert_msg(worst_c < 1e-9, "cut vs most violated Anderson inequality: worst %g", worst_c);
}
END_TEST

START_TEST(test_concavity)
{
    unsigned long long st = 303 + 17 * (unsigned long long)_i;
    const act_case *ac = &ACTS[_i];
    double worst = -INFINITY;
    for (int r = 0; r < 200; r++) {
        inst I;
        int n = 1 + (int)(10 * nnh_test_rand(&st));
        rand_inst(&I, ac, n, &st);
        double p[NMAX], q[NMAX], mid[NMAX];
        for (int s = 0; s < 10; s++) {
            for (int i = 0; i < n; i++) {
                p[i] = urand(&st, I.l[i], I.u[i]);
                q[i] = urand(&st, I.l[i], I.u[i]);
                mid[i] = 0.5 * (p[i] + q[i]);
            }
            nnh_env_point cp, cq, cm, vp, vq, vm;
            nnh_cav(&I.nr, p, NULL, &cp, &ws);
            nnh_cav(&I.nr, q, NULL, &cq, &ws);
            nnh_cav(&I.nr, mid, NULL, &cm, &ws);
            nnh_vex(&I.nr, p, NULL, &vp, &ws);
            nnh_vex(&I.nr, q, NULL, &vq, &ws);
            nnh_vex(&I.nr, mid, NULL, &vm, &ws);
            double sc = 1 + fabs(cp.value) + fabs(cq.value);
            worst = fmax(worst, (0.5 * (cp.value + cq.value) - cm.value) / sc);
            sc = 1 + fabs(vp.value) + fabs(vq.value);
            worst = fmax(worst, (vm.value - 0.5 * (vp.value + vq.value)) / sc);
            /* f between the envelopes */
            double fp = f_at(&I.nr, p);
            worst = fmax(worst, (fp - cp.value) / (1 + fabs(fp)));
            worst = fmax(worst, (vp.value - fp) / (1 + fabs(fp)));
        }
    }
    ck_assert_msg(worst < 1e-12, "%s: concavity/convexity or sandwich violated by %g (relative)",
                  ac->name, worst);
}
END_TEST

/* cav equals the 1-D envelope on R_f / R_l (level 0) and is strictly below it
 * somewhere in R_i on S-shaped instances. */
START_TEST(test_regions_vs_1d)
{
    unsigned long long st = 404;
    const int sshaped[] = {2, 3, 6, 7};
    for (int c = 0; c < 4; c++) {
        double worst = 0;
        int n_top = 0, n_below = 0, n_i = 0;
        for (int r = 0; r < 300; r++) {
            inst I;
            int n = 2 + (int)(6 * nnh_test_rand(&st));
            rand_inst(&I, &ACTS[sshaped[c]], n, &st);
            double L, U;
            z_range(&I.nr, &L, &U);
            for (int side = 0; side < 2; side++) {
                nnh_env_point p;
                double z = f_at(&I.nr, I.x), e1;
                z = I.nr.b;
                for (int i = 0; i < n; i++)
                    z += I.w[i] * I.x[i];
                if (side == 0) {
                    nnh_cav(&I.nr, I.x, NULL, &p, &ws);
                    e1 = nnh_env1d_upper(&I.a, L, U, z, NULL);
                } else {
                    nnh_vex(&I.nr, I.x, NULL, &p, &ws);
                    e1 = nnh_env1d_lower(&I.a, L, U, z, NULL);
                }
                double gap = side == 0 ? e1 - p.value : p.value - e1;
                if (p.region != NNH_REGION_I) {
                    ck_assert_int_eq(p.level, 0);
                    worst = fmax(worst, fabs(gap) / (1 + fabs(e1)));
                    n_top++;
                } else {
                    n_i++;
                    worst = fmax(worst, -gap / (1 + fabs(e1))); /* never above 1-D */
                    if (gap > 1e-9)
                        n_below++;
                }
            }
        }
        ck_assert_msg(worst < 1e-9, "%s: cav/vex vs 1-D envelope: worst %g", ACTS[sshaped[c]].name,
                      worst);
        ck_assert_msg(n_top > 20 && n_below > 20,
                      "%s: too few R_f/R_l points (%d) or strictly tighter R_i points (%d of %d)",
                      ACTS[sshaped[c]].name, n_top, n_below, n_i);
        printf("%s: %d points on R_f/R_l equal 1-D; %d of %d R_i points strictly tighter\n",
               ACTS[sshaped[c]].name, n_top, n_below, n_i);
    }
}
END_TEST

/* Theorem 1 literally: the recursion over facets with its own tie point per
 * level (normalized coordinates), for g = sigma or tau(z) = -sigma(-z). */
static double g_val(const nnh_activation *a, int refl, double z)
{
    return refl ? -nnh_act_value(a, -z) : nnh_act_value(a, z);
}

static double cav_rec(const nnh_activation *a, int refl, const double *w, double b,
                      const double *x, int n)
{
    if (n == 0)
        return g_val(a, refl, b);
    double U = b, wx = 0, mx = -1;
    int im = 0;
    for (int j = 0; j < n; j++) {
        U += w[j];
        wx += w[j] * x[j];
        if (x[j] > mx) {
            mx = x[j];
            im = j;
        }
    }
    double zh = refl ? -nnh_tie_lower(a, -U, -b, NAN) : nnh_tie_upper(a, b, U, NAN);
    if (wx + b >= zh && (zh < U || wx + b >= U))
        return g_val(a, refl, wx + b);
    if (wx >= (zh - b) * mx) {
        double sl = zh > b ? (g_val(a, refl, zh) - g_val(a, refl, b)) / (zh - b)
                           : (refl ? nnh_act_deriv(a, -b, -1) : nnh_act_deriv(a, b, 1));
        return g_val(a, refl, b) + sl * wx;
    }
    double w2[NMAX], y[NMAX];
    int k = 0;
    for (int j = 0; j < n; j++)
        if (j != im) {
            w2[k] = w[j];
            y[k++] = x[j] / x[im];
        }
    return (1 - x[im]) * g_val(a, refl, b) + x[im] * cav_rec(a, refl, w2, b + w[im], y, n - 1);
}

START_TEST(test_recursion)
{
    const act_case *ac = &ACTS[_i];
    unsigned long long st = 707 + 13 * (unsigned long long)_i;
    double worst = 0;
    for (int r = 0; r < 300; r++) {
        inst I;
        int n = 1 + (int)(8 * nnh_test_rand(&st));
        rand_inst(&I, ac, n, &st);
        for (int side = 0; side < 2; side++) {
            /* normalize for weights sg*w, bias sg*b */
            double sg = side ? -1 : 1, xh[NMAX], wh[NMAX], b = sg * I.nr.b;
            for (int i = 0; i < n; i++) {
                double wi = sg * I.w[i], d = I.u[i] - I.l[i];
                xh[i] = wi > 0 ? (I.x[i] - I.l[i]) / d : (I.u[i] - I.x[i]) / d;
                b += wi * (wi > 0 ? I.l[i] : I.u[i]);
                wh[i] = fabs(wi) * d;
            }
            double ref = sg * cav_rec(&I.a, side, wh, b, xh, n);
            nnh_env_point p;
            if (side)
                nnh_vex(&I.nr, I.x, NULL, &p, &ws);
            else
                nnh_cav(&I.nr, I.x, NULL, &p, &ws);
            worst = fmax(worst, fabs(p.value - ref) / (1 + fabs(ref)));
        }
    }
    ck_assert_msg(worst < 1e-11, "%s: sort-once walk vs Theorem 1 recursion: worst %g", ac->name,
                  worst);
}
END_TEST

/* Points with tied normalized coordinates (the diagonal of the normalized
 * box): every level stops at R_l or R_f at level 0, so cav and vex equal the
 * 1-D envelopes; and the gradient stays finite. */
START_TEST(test_ties_diagonal)
{
    unsigned long long st = 808;
    double worst = 0;
    int nonfinite = 0;
    for (int c = 0; c < N_ACTS; c++)
        for (int r = 0; r < 50; r++) {
            inst I;
            int n = 2 + r % 7;
            rand_inst(&I, &ACTS[c], n, &st);
            double t = r % 5 == 0 ? 0.0 : (r % 5 == 1 ? 1.0 : nnh_test_rand(&st));
            for (int i = 0; i < n; i++)
                I.w[i] = fabs(I.w[i]) + 0.1;
            for (int i = 0; i < n; i++) /* the same normalized coordinate t */
                I.x[i] = I.l[i] + t * (I.u[i] - I.l[i]);
            double L, U, z = I.nr.b, g[NMAX];
            z_range(&I.nr, &L, &U);
            for (int i = 0; i < n; i++)
                z += I.w[i] * I.x[i];
            nnh_env_point pc, pv;
            nnh_cav(&I.nr, I.x, g, &pc, &ws);
            for (int i = 0; i < n; i++)
                nonfinite += !isfinite(g[i]);
            nnh_vex(&I.nr, I.x, g, &pv, &ws);
            for (int i = 0; i < n; i++)
                nonfinite += !isfinite(g[i]);
            double e1 = nnh_env1d_upper(&I.a, L, U, z, NULL), e2 = nnh_env1d_lower(&I.a, L, U, z, NULL);
            worst = fmax(worst, fabs(pc.value - e1) / (1 + fabs(e1)));
            worst = fmax(worst, fabs(pv.value - e2) / (1 + fabs(e2)));
        }
    ck_assert_msg(nonfinite == 0, "diagonal points: %d non-finite gradient entries", nonfinite);
    ck_assert_msg(worst < 1e-10, "diagonal points: envelope vs 1-D worst %g", worst);
}
END_TEST

/* ---- Cut validity ------------------------------------------------------------- */
static long double f_ld(const nnh_activation *a, long double z)
{
    switch (a->kind) {
    case NNH_ACT_RELU: return z > 0 ? z : 0;
    case NNH_ACT_LEAKY_RELU: return z >= 0 ? z : a->alpha * z;
    case NNH_ACT_SIGMOID:
        if (z >= 0)
            return 1.0L / (1.0L + expl(-z));
        else {
            long double e = expl(z);
            return e / (1.0L + e);
        }
    case NNH_ACT_TANH: return tanhl(z);
    case NNH_ACT_SOFTPLUS: return z > 0 ? z + log1pl(expl(-z)) : log1pl(expl(z));
    case NNH_ACT_ELU: return z >= 0 ? z : a->alpha * expm1l(z);
    case NNH_ACT_SELU: return a->lambda * (z >= 0 ? z : a->alpha * expm1l(z));
    default: return z;
    }
}

/* worst of sense * (f(x) - a^T x - c) over the given point, extended precision */
static long double slack_at(const nnh_neuron *nr, const double *a, const nnh_cut *cut,
                            const double *x)
{
    long double z = nr->b, h = cut->c;
    for (int i = 0; i < nr->n; i++) {
        z += (long double)nr->w[i] * x[i];
        h += (long double)a[i] * x[i];
    }
    return cut->sense * (f_ld(nr->act, z) - h);
}

/* worst slack of a cut over 10,000 random points (uniform, on faces, near
 * x*) and, for n <= 10, all vertices */
static long double worst_slack(const inst *I, const double *a, const nnh_cut *cut,
                               unsigned long long *st)
{
    int n = I->nr.n;
    double x[NMAX];
    long double worst = -INFINITY;
    for (int s = 0; s < 10000; s++) {
        int mode = s % 3;
        for (int i = 0; i < n; i++) {
            double r = nnh_test_rand(st);
            if (mode == 0)
                x[i] = urand(st, I->l[i], I->u[i]);
            else if (mode == 1)
                x[i] = r < 1.0 / 3 ? I->l[i] : (r < 2.0 / 3 ? I->u[i] : urand(st, I->l[i], I->u[i]));
            else {
                double t = I->x[i] + (r - 0.5) * 1e-3 * (I->u[i] - I->l[i]);
                x[i] = fmin(fmax(t, I->l[i]), I->u[i]);
            }
        }
        long double v = slack_at(&I->nr, a, cut, x);
        if (v > worst)
            worst = v;
    }
    if (n <= 10)
        for (unsigned v = 0; v < (1u << n); v++) {
            for (int i = 0; i < n; i++)
                x[i] = (v >> i & 1) ? I->u[i] : I->l[i];
            long double s = slack_at(&I->nr, a, cut, x);
            if (s > worst)
                worst = s;
        }
    return worst;
}

/* The maximum of f - cut over the box is attained on an edge of the box (a
 * continuous knapsack has at most one fractional coordinate). For n <= 6,
 * scan every edge: 128 samples, then a golden-section refinement around the
 * best one. Independent of the oracle's own knapsack validation. */
static long double edge_scan(const inst *I, const double *a, const nnh_cut *cut)
{
    int n = I->nr.n;
    double x[NMAX];
    long double worst = -INFINITY;
    for (int e = 0; e < n; e++)
        for (unsigned v = 0; v < (1u << (n - 1)); v++) {
            for (int i = 0, k = 0; i < n; i++)
                if (i != e)
                    x[i] = (v >> k++ & 1) ? I->u[i] : I->l[i];
            double lo = I->l[e], hi = I->u[e], best_t = lo;
            long double best = -INFINITY;
            for (int s = 0; s <= 128; s++) {
                x[e] = lo + (hi - lo) * s / 128.0;
                long double sl = slack_at(&I->nr, a, cut, x);
                if (sl > best) {
                    best = sl;
                    best_t = x[e];
                }
            }
            double p = fmax(lo, best_t - (hi - lo) / 128), q = fmin(hi, best_t + (hi - lo) / 128);
            const double gr = 0.6180339887498949;
            for (int it = 0; it < 60 && q - p > 0; it++) {
                double m1 = q - gr * (q - p), m2 = p + gr * (q - p);
                x[e] = m1;
                long double s1 = slack_at(&I->nr, a, cut, x);
                x[e] = m2;
                long double s2 = slack_at(&I->nr, a, cut, x);
                if (s1 > best)
                    best = s1;
                if (s2 > best)
                    best = s2;
                if (s1 < s2)
                    p = m1;
                else
                    q = m2;
            }
            if (best > worst)
                worst = best;
        }
    return worst;
}

START_TEST(test_cut_validity)
{
    const act_case *ac = &ACTS[_i];
    unsigned long long st = 505 + 31 * (unsigned long long)_i;
    long double worst = -INFINITY, worst_tight = 0;
    int cuts = 0, multi = 0;
    for (int r = 0; r < 24; r++) {
        inst I;
        int n = r < 12 ? 1 + r % 10 : 11 + (int)(40 * nnh_test_rand(&st));
        rand_inst(&I, ac, n, &st);
        if (r % 4 == 3) /* steep neurons */
            for (int i = 0; i < n; i++)
                I.w[i] *= 20;
        for (int side = 0; side < 2; side++) {
            nnh_env_point p;
            if (side == 0)
                nnh_cav(&I.nr, I.x, NULL, &p, &ws);
            else
                nnh_vex(&I.nr, I.x, NULL, &p, &ws);
            double y = side == 0 ? p.value + 0.01 : p.value - 0.01, a[NMAX];
            nnh_cut cut;
            ck_assert_int_eq(nnh_separate(&I.nr, I.x, y, 1e-9, a, &cut, &ws), 0);
            ck_assert_int_eq(cut.sense, side == 0 ? 1 : -1);
            /* violation close to y - envelope: the margin is small */
            long double tight = fabsl((long double)cut.violation - 0.01L);
            if (tight > worst_tight)
                worst_tight = tight;
            long double w = worst_slack(&I, a, &cut, &st);
            if (n <= 6)
                w = fmaxl(w, edge_scan(&I, a, &cut));
            if (w > worst)
                worst = w;
            cuts++;
            multi += cut.region == NNH_REGION_I;
        }
    }
    printf("%s: %d cuts (%d multivariate), worst slack f - cut = %Lg, worst margin loss %Lg\n",
           ac->name, cuts, multi, worst, worst_tight);
    ck_assert_msg(worst <= 0, "%s: a cut is violated by %Lg", ac->name, worst);
    ck_assert_msg(worst_tight < 1e-9, "%s: cut margin too large: %Lg", ac->name, worst_tight);
}
END_TEST

/* ---- Degenerate inputs ---------------------------------------------------------- */
START_TEST(test_degenerate)
{
    nnh_activation sg;
    nnh_act_default(&sg, NNH_ACT_SIGMOID);
    double g[4], a[4];
    nnh_env_point p;
    nnh_cut cut;
    /* n = 0: cav = vex = sigma(b), grad empty */
    nnh_neuron n0 = {&sg, 0, NULL, NULL, NULL, 0.3};
    ck_assert_int_eq(nnh_cav(&n0, NULL, NULL, &p, &ws), 0);
    ck_assert_double_eq_tol(p.value, nnh_act_value(&sg, 0.3), 1e-15);
    ck_assert_int_eq(nnh_vex(&n0, NULL, NULL, &p, &ws), 0);
    ck_assert_double_eq_tol(p.value, nnh_act_value(&sg, 0.3), 1e-15);
    ck_assert_int_eq(nnh_separate(&n0, NULL, 0.9, 1e-9, NULL, &cut, &ws), 0);
    ck_assert_int_eq(cut.sense, 1);
    ck_assert(cut.c >= nnh_act_value(&sg, 0.3));
    ck_assert_double_eq_tol(cut.c, nnh_act_value(&sg, 0.3), 1e-14);
    /* all-zero weights and l = u coordinates: exact, gradient 0 there */
    double w0[3] = {0, 0, 0}, l[3] = {-1, 0.5, 0}, u[3] = {1, 0.5, 2}, x[3] = {0.2, 0.5, 1.0};
    nnh_neuron nz = {&sg, 3, w0, l, u, -0.7};
    ck_assert_int_eq(nnh_cav(&nz, x, g, &p, &ws), 0);
    ck_assert_double_eq(p.value, nnh_act_value(&sg, -0.7));
    for (int i = 0; i < 3; i++)
        ck_assert_double_eq(g[i], 0);
    double w1[3] = {2, -3, 1};
    nnh_neuron nf = {&sg, 3, w1, l, u, -0.7}; /* coordinate 1 fixed at 0.5 */
    double l2[2] = {-1, 0}, u2[2] = {1, 2}, w2[2] = {2, 1}, x2[2] = {0.2, 1.0};
    nnh_neuron nr2 = {&sg, 2, w2, l2, u2, -0.7 - 1.5}; /* the same with it folded */
    nnh_env_point p2;
    ck_assert_int_eq(nnh_cav(&nf, x, g, &p, &ws), 0);
    double g2[2];
    ck_assert_int_eq(nnh_cav(&nr2, x2, g2, &p2, &ws), 0);
    ck_assert_double_eq_tol(p.value, p2.value, 1e-15);
    ck_assert_double_eq(g[1], 0);
    ck_assert_double_eq_tol(g[0], g2[0], 1e-15);
    ck_assert_double_eq_tol(g[2], g2[1], 1e-15);
    /* vertices: cav = vex = f; faces and ties: between f and the 1-D envelope */
    unsigned long long st = 606;
    for (int c = 0; c < N_ACTS; c++) {
        inst I;
        rand_inst(&I, &ACTS[c], 4, &st);
        double worst = 0;
        for (unsigned v = 0; v < 16; v++) {
            for (int i = 0; i < 4; i++)
                I.x[i] = (v >> i & 1) ? I.u[i] : I.l[i];
            double fx = f_at(&I.nr, I.x);
            nnh_env_point pc, pv;
            nnh_cav(&I.nr, I.x, NULL, &pc, &ws);
            nnh_vex(&I.nr, I.x, NULL, &pv, &ws);
            worst = fmax(worst, fmax(fabs(pc.value - fx), fabs(pv.value - fx)) / (1 + fabs(fx)));
            /* a face: one coordinate interior, ties among the others */
            I.x[0] = 0.5 * (I.l[0] + I.u[0]);
            I.x[3] = I.l[3] + (I.x[2] - I.l[2]) / (I.u[2] - I.l[2]) * (I.u[3] - I.l[3]);
            fx = f_at(&I.nr, I.x);
            nnh_cav(&I.nr, I.x, g, &pc, &ws);
            nnh_vex(&I.nr, I.x, g, &pv, &ws);
            ck_assert(isfinite(g[0]) && isfinite(g[3]));
            worst = fmax(worst, (fx - pc.value) / (1 + fabs(fx)));
            worst = fmax(worst, (pv.value - fx) / (1 + fabs(fx)));
        }
        ck_assert_msg(worst < 1e-12, "%s: vertex/face check off by %g", ACTS[c].name, worst);
    }
    /* huge and tiny weights, z far beyond +-50: finite values and valid cuts */
    const double scales[4] = {1e6, 1e-12, 40, 1};
    const double biases[4] = {0, 0.1, -120, 80};
    for (int c = 0; c < N_ACTS; c++)
        for (int k = 0; k < 4; k++) {
            inst I;
            rand_inst(&I, &ACTS[c], 4, &st);
            for (int i = 0; i < 4; i++)
                I.w[i] *= scales[k];
            I.nr.b = biases[k];
            nnh_env_point pc, pv;
            ck_assert_int_eq(nnh_cav(&I.nr, I.x, g, &pc, &ws), 0);
            ck_assert_int_eq(nnh_vex(&I.nr, I.x, NULL, &pv, &ws), 0);
            double fx = f_at(&I.nr, I.x);
            ck_assert_msg(isfinite(pc.value) && isfinite(pv.value) && isfinite(g[0]),
                          "%s scale %g: non-finite", ACTS[c].name, scales[k]);
            double sc = 1e-12 * (1 + fabs(fx));
            ck_assert_msg(pv.value <= fx + sc && fx <= pc.value + sc, "%s scale %g: %g %g %g",
                          ACTS[c].name, scales[k], pv.value, fx, pc.value);
            for (int side = 0; side < 2; side++) {
                double y = side ? pv.value - 0.5 : pc.value + 0.5;
                ck_assert_int_eq(nnh_separate(&I.nr, I.x, y, 1e-9, a, &cut, &ws), 0);
                ck_assert_int_eq(cut.sense, side ? -1 : 1);
                long double wsl = worst_slack(&I, a, &cut, &st);
                ck_assert_msg(wsl <= 0, "%s scale %g side %d: cut violated by %Lg", ACTS[c].name,
                              scales[k], side, wsl);
            }
        }
    /* inside the hull: no cut; bad input: EINVAL */
    inst I;
    rand_inst(&I, &ACTS[2], 3, &st);
    ck_assert_int_eq(nnh_separate(&I.nr, I.x, f_at(&I.nr, I.x), 1e-9, a, &cut, &ws), 0);
    ck_assert_int_eq(cut.sense, 0);
    I.nr.n = NMAX + 1;
    ck_assert_int_eq(nnh_cav(&I.nr, I.x, NULL, &p, &ws), NNH_EINVAL);
    I.nr.n = 3;
    I.l[1] = I.u[1] + 1;
    ck_assert_int_eq(nnh_vex(&I.nr, I.x, NULL, &p, &ws), NNH_EINVAL);
    I.l[1] = I.u[1] - 1;
    I.x[2] = NAN;
    ck_assert_int_eq(nnh_cav(&I.nr, I.x, NULL, &p, &ws), NNH_EINVAL);
    ck_assert_int_eq(nnh_separate(&I.nr, I.x, 0.5, 1e-9, a, &cut, &ws), NNH_EINVAL);
    ck_assert_int_eq(cut.sense, 0);
    I.x[2] = I.l[2];
    ck_assert_int_eq(nnh_separate(&I.nr, I.x, NAN, 1e-9, a, &cut, &ws), NNH_EINVAL);
    /* x outside the box is clamped */
    rand_inst(&I, &ACTS[3], 3, &st);
    double xo[3], xc[3];
    for (int i = 0; i < 3; i++) {
        xo[i] = I.u[i] + 5;
        xc[i] = I.u[i];
    }
    nnh_env_point po, pc;
    nnh_cav(&I.nr, xo, NULL, &po, &ws);
    nnh_cav(&I.nr, xc, NULL, &pc, &ws);
    ck_assert_double_eq(po.value, pc.value);
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
    tc = tcase_create("identities");
    tcase_add_checked_fixture(tc, ws_setup, ws_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_convex_staircase);
    tcase_add_test(tc, test_relu_anderson);
    tcase_add_loop_test(tc, test_concavity, 0, N_ACTS);
    tcase_add_test(tc, test_regions_vs_1d);
    tcase_add_test(tc, test_degenerate);
    tcase_add_loop_test(tc, test_recursion, 0, N_ACTS);
    tcase_add_test(tc, test_ties_diagonal);
    suite_add_tcase(s, tc);
    tc = tcase_create("validity");
    tcase_add_checked_fixture(tc, ws_setup, ws_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_cut_validity, 0, N_ACTS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return nnh_run_suite(envelope_suite()); }
