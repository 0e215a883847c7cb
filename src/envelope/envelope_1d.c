/* Tie points and 1-D envelopes of every activation on an interval [L,U]
 * (docs/convexification.md Sections 2-4): the concave side is written
 * once for g, the convex side is g = tau(t) = -sigma(-t) by reflection, and
 * every returned cut carries a margin that makes it valid in exact arithmetic.
 *
 * Input policy (all public functions): L, U must not be NaN (NaN in gives
 * NaN out); L > U is read as the interval [U, L]. Callers should pass finite
 * bounds; infinite ones give the limit tie point and, for envelopes and cuts,
 * a valid constant bound (range of sigma, or sigma at the finite end), not
 * necessarily the envelope. Identity has no tie point: both return U. */
#include "nnhull/envelope.h"
#include "nnh_round.h"

#include <float.h>
#include <math.h>

/* ---- sigma, tau and accurate differences ---------------------------------- */

/* Activation class as the envelope sees it: SELU with alpha <= 1 is convex. */
static nnh_act_class act_cls(const nnh_activation *a)
{
    if (a->kind == NNH_ACT_SELU && !(a->alpha > 1.0))
        return NNH_CLASS_CONVEX;
    return nnh_act_classify(a);
}

/* g is sigma (refl = 0) or its reflection tau(t) = -sigma(-t) (refl = 1). */
static double g_val(const nnh_activation *a, int refl, double t)
{
    return refl ? -nnh_act_value(a, -t) : nnh_act_value(a, t);
}

/* g'(t); side > 0 right derivative, side < 0 left (tau's right is sigma's left). */
static double g_der(const nnh_activation *a, int refl, double t, int side)
{
    if (refl)
        return nnh_act_deriv(a, -t, side > 0 ? -1 : 1);
    return nnh_act_deriv(a, t, side > 0 ? 1 : -1);
}

static double sgm(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* sigma(z) - sigma(l) for z >= l without cancellation: the identities
 * sgm(z) - sgm(l) = sgm(z) sgm(-l) (1 - e^{l-z}),
 * softplus(z) - softplus(l) = log1p(sgm(l) expm1(z-l)), e^z - e^l = -e^z expm1(l-z). */
static double act_diff(const nnh_activation *a, double z, double l)
{
    double d = z - l;
    switch (a->kind) {
    case NNH_ACT_SIGMOID: return sgm(z) * sgm(-l) * -expm1(l - z);
    case NNH_ACT_TANH: return 2.0 * sgm(2.0 * z) * sgm(-2.0 * l) * -expm1(2.0 * (l - z));
    case NNH_ACT_SOFTPLUS:
        if (d < 700.0)
            return log1p(sgm(l) * expm1(d));
        break;
    case NNH_ACT_ELU:
    case NNH_ACT_SELU: {
        double lam = a->kind == NNH_ACT_SELU ? a->lambda : 1.0;
        if (z <= 0.0) /* e^z - e^l = e^z (1 - e^{l-z}), never overflows */
            return lam * a->alpha * exp(z) * -expm1(l - z);
        if (l >= 0.0)
            return lam * d;
        return lam * (z - a->alpha * expm1(l));
    }
    default: break;
    }
    return nnh_act_value(a, z) - nnh_act_value(a, l);
}

/* g(z) - g(l), z >= l */
static double g_diff(const nnh_activation *a, int refl, double z, double l)
{
    return refl ? act_diff(a, -l, -z) : act_diff(a, z, l);
}

/* Secant slope of g over [l, z], z >= l. Tiny smooth intervals use the
 * midpoint derivative (Section 3.4); otherwise the accurate difference. */
static double g_secant(const nnh_activation *a, int refl, double l, double z)
{
    double d = z - l;
    if (!(d > 0.0))
        return g_der(a, refl, l, 1);
    int kink_inside = nnh_act_has_kink(a) && l < 0.0 && z > 0.0;
    if (!kink_inside && d <= NNH_SECANT_TINY)
        return g_der(a, refl, l + 0.5 * d, 1);
    return g_diff(a, refl, z, l) / d;
}

/* ---- Tie points ------------------------------------------------------------ */

typedef struct tie_par {
    double L, alpha;
} tie_par;
typedef void (*tie_fn)(const tie_par *p, double z, double *f, double *df);

/* Sigmoid: phi(z) = sgm(z) psi(z), psi = sgm(-z) d + sgm(-L) expm1(-d), d = z-L
 * (from the difference identity: no cancellation in sgm(z) - sgm(L), accurate
 * in both tails). df = phi'(z)/sgm(z) = sgm''(z) d / sgm(z) = -sgm(-z) tanh(z/2) d,
 * the right scale for a Newton step on psi near its root. */
static void sig_psi(const tie_par *p, double z, double *f, double *df)
{
    double d = z - p->L, sm = sgm(-z);
    *f = sm * d + sgm(-p->L) * expm1(-d);
    *df = -sm * tanh(0.5 * z) * d;
}

/* tanh(x) - x for |x| <= 0.1 by its Taylor series (next term < 1e-17 relative). */
static double tanh_minus_x(double x)
{
    double x2 = x * x;
    return x * x2 *
           (-1.0 / 3 +
            x2 * (2.0 / 15 +
                  x2 * (-17.0 / 315 +
                        x2 * (62.0 / 2835 +
                              x2 * (-1382.0 / 155925 +
                                    x2 * (21844.0 / 6081075 + x2 * (-929569.0 / 638512875)))))));
}

/* Sigmoid near its inflection (-0.2 < L < 0, z <= -L): with r(z) = sgm(z) - 1/2
 * - z/4 = (tanh(z/2) - z/2)/2 the linear parts of phi cancel exactly:
 * phi = r'(z) d - (r(z) - r(L)), r' = -tanh^2(z/2)/4. Every term is O(L^3), so
 * the root keeps full relative accuracy where the psi form loses ~16 eps/L^2. */
static void sig_phi_small(const tie_par *p, double z, double *f, double *df)
{
    double d = z - p->L, t = tanh(0.5 * z);
    double rz = 0.5 * tanh_minus_x(0.5 * z), rl = 0.5 * tanh_minus_x(0.5 * p->L);
    *f = -0.25 * t * t * d - (rz - rl);
    *df = -0.25 * (1.0 - t * t) * t * d; /* sgm''(z) d */
}

/* w(z) = e^{-z} (1 + z) - 1 without cancellation for small z:
 * sum_{n>=2} (-1)^{n+1} (n-1) z^n / n!. */
static double elu_w(double z)
{
    if (z >= 0.5)
        return exp(-z) * (1.0 + z) - 1.0;
    double term = z * z / 2.0, sum = -term; /* n = 2 */
    for (int n = 3; n < 40; n++) {
        term *= z / n; /* z^n / n! */
        double add = ((n & 1) ? 1.0 : -1.0) * (n - 1) * term;
        sum += add;
        if (fabs(add) <= 1e-18 * fabs(sum))
            break;
    }
    return sum;
}

/* SELU/ELU reflected (tau concave part -lambda alpha expm1(-z), linear part
 * lambda z): phi_tau / lambda = alpha (e^{-z} d + expm1(-z)) + L
 *                             = alpha w(z) + L (1 - alpha e^{-z}). */
static void elu_tau_q(const tie_par *p, double z, double *f, double *df)
{
    double d = z - p->L, e = exp(-z);
    *f = p->alpha * elu_w(z) + p->L * (1.0 - p->alpha * e);
    *df = -p->alpha * e * d;
}

/* Root of a decreasing f on [a,b] with f(a) >= 0 > f(b): Newton safeguarded
 * by bisection (rtsafe rule), relative accuracy NNH_TIE_RTOL. Where rounding
 * noise hides the sign of f (near the inflection for tiny |L|) the bracket
 * still shrinks to the noise band, whose envelopes differ at rounding level. */
static double tie_root(tie_fn fn, const tie_par *p, double a, double b, double z)
{
    double dxold = b - a, dx = dxold;
    if (!(z > a && z < b))
        z = a + 0.5 * (b - a);
    for (int it = 0; it < 400; it++) {
        double f, df;
        fn(p, z, &f, &df);
        if (f == 0.0)
            return z;
        if (f > 0.0)
            a = z;
        else
            b = z;
        double tol = NNH_TIE_RTOL * fmax(fabs(z), DBL_MIN);
        if (b - a <= tol)
            break;
        double zn = z - f / df;
        if (!(zn > a && zn < b) || fabs(2.0 * f) > fabs(dxold * df)) {
            dxold = dx;
            dx = 0.5 * (b - a);
            zn = a + dx;
            if (zn <= a || zn >= b)
                break;
        } else {
            dxold = dx;
            dx = zn - z;
            if (fabs(dx) <= tol)
                return zn;
        }
        z = zn;
    }
    return a + 0.5 * (b - a);
}

/* Above this the concave-side test functions are negative in double
 * (sgm(-1000) = e^{-1000} = 0), so the root bracket can be capped there. */
#define TIE_ZCAP 1000.0

/* Smooth S-shaped tie point with L < 0 < U, L finite: zhat = U if f(U) >= 0,
 * else the root in [0, min(U, cap)]. */
static double smooth_tie(tie_fn fn, const tie_par *p, double U, double guess, double hint)
{
    double b = U > TIE_ZCAP ? TIE_ZCAP : U, f, df;
    fn(p, b, &f, &df);
    if (f >= 0.0)
        return U;
    double z0 = (hint > 0.0 && hint < b) ? hint : guess;
    return tie_root(fn, p, 0.0, b, z0);
}

/* Sigmoid tie point, L < 0 < U. Near the inflection the root lies in
 * (0, -L) (phi(-L) < 0 by the odd symmetry of sgm - 1/2) and is ~ -L/2 + L^3/80. */
static double sig_tie(double L, double U, double hint)
{
    tie_par p = {L, 0.0};
    if (L > -1e-100) /* the L^3 term and phi itself underflow: the series */
        return fmin(U, -0.5 * L);
    if (L > -0.2) {
        double b = fmin(U, -L), f, df;
        sig_phi_small(&p, b, &f, &df);
        if (f >= 0.0)
            return b;
        double z0 = (hint > 0.0 && hint < b) ? hint : fmin(-0.5 * L + L * L * L / 80.0, 0.5 * b);
        return tie_root(sig_phi_small, &p, 0.0, b, z0);
    }
    return smooth_tie(sig_psi, &p, U, log1p(-L), hint);
}

/* Kink threshold: root L* < 0 of h(L) = alpha expm1(L) - L for alpha > 1.
 * h is convex with h(-alpha) = alpha e^{-alpha} > 0 and h' < 0 left of the
 * root, so Newton from -alpha increases monotonically to L*. */
static double kink_threshold(double alpha)
{
    if (!(alpha > 1.0))
        return -INFINITY;
    double x = -alpha;
    for (int it = 0; it < 300; it++) {
        double h = alpha * expm1(x) - x, dh = alpha * exp(x) - 1.0;
        double xn = x - h / dh;
        if (!(xn > x))
            break; /* no progress: at the root up to rounding */
        double step = xn - x;
        x = xn;
        if (step <= 4.0 * DBL_EPSILON * fabs(x))
            break;
    }
    return x;
}

double nnh_tie_kink_threshold(const nnh_activation *a)
{
    if (act_cls(a) != NNH_CLASS_SSHAPED || !nnh_act_has_kink(a))
        return NAN;
    return kink_threshold(a->alpha);
}

/* Upper tie point of g on [L,U] (L <= U, no NaN). */
static double tie_g(const nnh_activation *a, int refl, double L, double U, double hint)
{
    nnh_act_class k = act_cls(a);
    if (k == NNH_CLASS_LINEAR)
        return U;
    if (k == NNH_CLASS_CONVEX)
        return refl ? L : U; /* tau of a convex sigma is concave */
    if (L >= 0.0)            /* every S-shaped sigma here has inflection 0 */
        return L;
    if (U <= 0.0 || L == -INFINITY)
        return U;
    tie_par p = {L, a->alpha};
    double z;
    switch (a->kind) {
    case NNH_ACT_SIGMOID: /* tau(t) = sgm(t) - 1: same tie points */
        z = sig_tie(L, U, hint);
        break;
    case NNH_ACT_TANH: /* tanh(z) = 2 sgm(2z) - 1: zhat = zhat_sgm(2L,2U)/2 */
        if (2.0 * L == -INFINITY)
            return U;
        z = 0.5 * sig_tie(2.0 * L, 2.0 * U, 2.0 * hint);
        break;
    default: /* SELU, ELU alpha > 1: kink at 0, linear for z > 0 */
        if (!refl) /* superdifferential rule, never a root on sigma' */
            return L <= kink_threshold(a->alpha) ? U : 0.0;
        z = smooth_tie(elu_tau_q, &p, U,
                       fmin(log(a->alpha), sqrt(2.0 * (a->alpha - 1.0) * -L / a->alpha)), hint);
        break;
    }
    return fmin(fmax(z, L), U);
}

double nnh_tie_upper(const nnh_activation *a, double L, double U, double hint)
{
    if (isnan(L) || isnan(U))
        return NAN;
    if (L > U) {
        double t = L;
        L = U;
        U = t;
    }
    return tie_g(a, 0, L, U, hint);
}

double nnh_tie_lower(const nnh_activation *a, double L, double U, double hint)
{
    if (isnan(L) || isnan(U))
        return NAN;
    if (L > U) {
        double t = L;
        L = U;
        U = t;
    }
    if (act_cls(a) == NNH_CLASS_LINEAR)
        return U;
    return -tie_g(a, 1, -U, -L, -hint);
}

/* ---- 1-D envelopes ------------------------------------------------------------ */

/* Concave envelope of g on finite [L,U] at z (clamped); *s a supergradient,
 * *touch the point where the touching line meets g (z, or zhat on the secant). */
static double env_g(const nnh_activation *a, int refl, double L, double U, double z, double *s,
                    double *touch)
{
    z = fmin(fmax(z, L), U);
    double zh = tie_g(a, refl, L, U, NAN);
    if (zh > L && z <= zh) {
        *s = g_secant(a, refl, L, zh);
        *touch = zh;
        return g_val(a, refl, L) + *s * (z - L);
    }
    *s = g_der(a, refl, z, z < U ? 1 : -1);
    *touch = z;
    return g_val(a, refl, z);
}

/* Range of sigma (for infinite bounds): valid lower / upper constants. */
static double range_lo(const nnh_activation *a)
{
    switch (a->kind) {
    case NNH_ACT_RELU:
    case NNH_ACT_SIGMOID:
    case NNH_ACT_SOFTPLUS: return 0.0;
    case NNH_ACT_TANH: return -1.0;
    case NNH_ACT_LEAKY_RELU: return a->alpha == 0.0 ? 0.0 : -INFINITY;
    case NNH_ACT_ELU: return -a->alpha;
    case NNH_ACT_SELU: return nnh_down(nnh_down(-a->lambda * a->alpha));
    default: return -INFINITY;
    }
}

static double range_hi(const nnh_activation *a)
{
    return (a->kind == NNH_ACT_SIGMOID || a->kind == NNH_ACT_TANH) ? 1.0 : INFINITY;
}

/* Valid constant bounds of sigma on [L,U] (sigma nondecreasing), either end
 * possibly infinite; widened for libm error. */
static double const_hi(const nnh_activation *a, double U)
{
    return U == INFINITY ? range_hi(a) : fmin(nnh_actfn_up(nnh_act_value(a, U)), range_hi(a));
}
static double const_lo(const nnh_activation *a, double L)
{
    return L == -INFINITY ? range_lo(a) : fmax(nnh_actfn_down(nnh_act_value(a, L)), range_lo(a));
}

/* Shared argument handling; returns 0 when [L,U] is a finite nondegenerate
 * interval the envelope code should handle, 1 when the caller must take the
 * constant/degenerate path, -1 on NaN. */
static int prep(double *L, double *U)
{
    if (isnan(*L) || isnan(*U))
        return -1;
    if (*L > *U) {
        double t = *L;
        *L = *U;
        *U = t;
    }
    if (!isfinite(*L) || !isfinite(*U) || *L == *U)
        return 1;
    return 0;
}

double nnh_env1d_upper(const nnh_activation *a, double L, double U, double z, double *slope)
{
    double s, tp, v;
    int st = prep(&L, &U);
    if (a->kind == NNH_ACT_IDENTITY) {
        s = 1.0;
        v = z;
    } else if (st < 0 || isnan(z)) {
        s = v = NAN;
    } else if (st > 0) { /* point interval, or a valid constant for infinite ends */
        s = 0.0;
        v = (L == U && isfinite(L)) ? nnh_act_value(a, L) : const_hi(a, U);
        if (L == U && isfinite(L))
            s = nnh_act_deriv(a, L, 1);
    } else {
        v = env_g(a, 0, L, U, z, &s, &tp);
    }
    if (slope)
        *slope = s;
    return v;
}

double nnh_env1d_lower(const nnh_activation *a, double L, double U, double z, double *slope)
{
    double s, tp, v;
    int st = prep(&L, &U);
    if (a->kind == NNH_ACT_IDENTITY) {
        s = 1.0;
        v = z;
    } else if (st < 0 || isnan(z)) {
        s = v = NAN;
    } else if (st > 0) {
        s = 0.0;
        v = (L == U && isfinite(L)) ? nnh_act_value(a, L) : const_lo(a, L);
        if (L == U && isfinite(L))
            s = nnh_act_deriv(a, L, 1);
    } else {
        v = -env_g(a, 1, -U, -L, -z, &s, &tp); /* vex sigma(z) = -cav tau(-z) */
    }
    if (slope)
        *slope = s;
    return v;
}

/* ---- Cuts with margin ---------------------------------------------------------
 * Margin rule (upper cut ell(t) = s t + c of g on finite [L,U]; lower cuts
 * are upper cuts of tau on [-U,-L]). Let c0 = the split point with g convex
 * on [L,c0] and concave on [c0,U] (S-shaped: clamp(0,L,U); convex sigma:
 * U; tau of a convex sigma: L; identity: U). The violation
 * v(t) = g(t) - ell(t) is convex on [L,c0] and concave on [c0,U], so
 *   max v <= V := max( v+(L), v+(c0), min_p B(p) ),
 *   B(p) = v+(p) + max( max(dv+(p),0) (U-p), max(-dv-(p),0) (p-c0) ),
 * for p in {c0, U, touching point}: the tangent of a concave v at p bounds it
 * above. v+(p) is an upper bound of v(p): g(p) widened by NNH_ACTFN_ULPS
 * relative minus s p + c, whose rounding is bounded by nnh_dot_error(2, .);
 * [dv-, dv+] encloses g'(p) - s (one-sided at the ends of [c0,U]). This
 * covers rounding in s and c AND an inexact tie point (a tangent at z just
 * left of the true zhat shows up as v(L) > 0). The intercept is then
 *   c' = c + max(V,0) + NNH_ACTFN_ULPS eps max|g(L)|,|g(U)| + nnh_dot_error(2, |s| max(|L|,|U|) + |c|),
 * all rounded up; the last two terms let a caller evaluate sigma(t) and
 * s t + c' in double and still see the inequality hold. */

static double viol_up(const nnh_activation *a, int refl, double s, double c, double p)
{
    double gu = nnh_actfn_up(g_val(a, refl, p));
    double sp = s * p;
    double err = nnh_dot_error(2, nnh_up(fabs(sp)) + fabs(c));
    return nnh_up(nnh_up(gu - (sp + c)) + err);
}

/* Bound of v on [lo,hi] where v is concave, from the tangent of v at p. */
static double concave_bound(const nnh_activation *a, int refl, double s, double c, double lo,
                            double hi, double p)
{
    double d = g_der(a, refl, p, (p >= hi && p > lo) ? -1 : 1);
    double dhi = nnh_up(nnh_actfn_up(d) - s), dlo = nnh_down(nnh_actfn_down(d) - s);
    double right = dhi > 0.0 ? nnh_up(dhi * nnh_up(hi - p)) : 0.0;
    double left = dlo < 0.0 ? nnh_up(-dlo * nnh_up(p - lo)) : 0.0;
    return nnh_up(viol_up(a, refl, s, c, p) + fmax(right, left));
}

static double split_point(const nnh_activation *a, int refl, double L, double U)
{
    nnh_act_class k = act_cls(a);
    if (k == NNH_CLASS_LINEAR)
        return U;
    if (k == NNH_CLASS_CONVEX)
        return refl ? L : U;
    return fmin(fmax(0.0, L), U);
}

/* Intercept c' >= c making g <= s t + c' valid on [L,U] (rule above). */
static double cut_margin(const nnh_activation *a, int refl, double L, double U, double s, double c,
                         double touch)
{
    double c0 = split_point(a, refl, L, U);
    double V = fmax(viol_up(a, refl, s, c, L), viol_up(a, refl, s, c, c0));
    if (c0 < U) {
        double B = fmin(concave_bound(a, refl, s, c, c0, U, c0),
                        concave_bound(a, refl, s, c, c0, U, U));
        if (touch > c0 && touch < U)
            B = fmin(B, concave_bound(a, refl, s, c, c0, U, touch));
        V = fmax(V, B);
    }
    double gmax = fmax(fabs(g_val(a, refl, L)), fabs(g_val(a, refl, U)));
    double rel = nnh_up(gmax * (NNH_ACTFN_ULPS * DBL_EPSILON) + DBL_TRUE_MIN);
    rel = nnh_up(rel + nnh_dot_error(2, nnh_up(fabs(s) * fmax(fabs(L), fabs(U))) + fabs(c)));
    return nnh_up(nnh_up(c + fmax(V, 0.0)) + rel);
}

/* Upper cut of g touching its concave envelope at z (finite L < U). */
static void g_cut(const nnh_activation *a, int refl, double L, double U, double z, double *s,
                  double *c)
{
    double tp;
    double v = env_g(a, refl, L, U, z, s, &tp);
    z = fmin(fmax(z, L), U);
    *c = cut_margin(a, refl, L, U, *s, v - *s * z, tp);
    if (!isfinite(*c) || !isfinite(*s)) { /* never expected; stay valid */
        *s = 0.0;
        *c = refl ? -const_lo(a, -U) : const_hi(a, U);
    }
}

/* Constant / degenerate / identity cases shared by cut and relax; returns 1
 * when it wrote the answer for the given side. */
static int cut_trivial(const nnh_activation *a, int st, double L, double U, int side, double *s,
                       double *c)
{
    if (a->kind == NNH_ACT_IDENTITY) { /* exact in any arithmetic */
        *s = 1.0;
        *c = 0.0;
        return 1;
    }
    if (st < 0) {
        *s = *c = NAN;
        return 1;
    }
    if (st > 0) {
        *s = 0.0;
        *c = side > 0 ? const_hi(a, U) : const_lo(a, L);
        return 1;
    }
    return 0;
}

void nnh_env1d_cut(const nnh_activation *a, double L, double U, double z, int side,
                   double *slope, double *icpt)
{
    int st = prep(&L, &U);
    if (cut_trivial(a, st, L, U, side, slope, icpt))
        return;
    if (isnan(z))
        z = 0.5 * L + 0.5 * U;
    if (side > 0) {
        g_cut(a, 0, L, U, z, slope, icpt);
    } else { /* sigma >= s t + c on [L,U]  <=>  tau(u) <= s u - c on [-U,-L] */
        double c;
        g_cut(a, 1, -U, -L, -z, slope, &c);
        *icpt = -c;
    }
}

void nnh_env1d_linear_relax(const nnh_activation *a, double L, double U, double *lo_s,
                            double *lo_c, double *up_s, double *up_c)
{
    int st = prep(&L, &U);
    if (cut_trivial(a, st, L, U, 1, up_s, up_c)) {
        cut_trivial(a, st, L, U, -1, lo_s, lo_c);
        return;
    }
    if (a->kind == NNH_ACT_RELU && L < 0.0 && U > 0.0) {
        /* standard choices: the secant (the concave envelope itself) and
         * slope 1 if U > -L else 0 through the origin, both with margin */
        g_cut(a, 0, L, U, L, up_s, up_c);
        double s = U > -L ? 1.0 : 0.0;
        *lo_s = s;
        *lo_c = -cut_margin(a, 1, -U, -L, s, 0.0, 0.0);
        return;
    }
    /* tangent of each envelope at the midpoint: a cheap near-minimal-area choice */
    double m = 0.5 * L + 0.5 * U;
    nnh_env1d_cut(a, L, U, m, 1, up_s, up_c);
    nnh_env1d_cut(a, L, U, m, -1, lo_s, lo_c);
}
