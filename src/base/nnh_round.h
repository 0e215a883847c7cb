/* Tolerances and outward-rounding helpers, named for what they protect.
 * Everything that turns a floating-point computation into a certified bound
 * goes through these, so the safety margins live in one place. */
#ifndef NNH_ROUND_H
#define NNH_ROUND_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Relative error we allow a libm transcendental (exp, log1p, tanh, expm1) to
 * have; glibc documents <= 2 ulp for these on x86_64, we take 4. */
#define NNH_LIBM_ULPS 4.0

/* One step down / up: valid enclosure of a correctly rounded basic operation.
 * Equal to nextafter(x, +-INFINITY) (NaN and the infinity in the direction
 * of the step stay; +-0 steps to the smallest subnormal), inline on the bit
 * pattern: the libm call was ~8% of `verify` on ACAS Xu. */
static inline double nnh_up(double x)
{
    if (x != x || x == INFINITY)
        return x;
    if (x == 0.0)
        return 0x1p-1074;
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    u = x > 0.0 ? u + 1 : u - 1; /* magnitude up for x > 0, down for x < 0 */
    memcpy(&x, &u, sizeof x);
    return x;
}
static inline double nnh_down(double x) { return -nnh_up(-x); }

/* Enclosure of a libm result: widen by NNH_LIBM_ULPS relative plus the
 * smallest subnormal (protects results near zero). */
static inline double nnh_libm_down(double x)
{
    return x - (fabs(x) * (NNH_LIBM_ULPS * DBL_EPSILON) + DBL_TRUE_MIN);
}
static inline double nnh_libm_up(double x)
{
    return x + (fabs(x) * (NNH_LIBM_ULPS * DBL_EPSILON) + DBL_TRUE_MIN);
}

/* Bound on the rounding error of a recursively summed dot product of n terms
 * whose absolute values sum to abs_sum (Higham, gamma_{n+1}, with a 2x margin
 * and the underflow term), itself rounded up. */
static inline double nnh_dot_error(int n, double abs_sum)
{
    double g = (double)(n + 2) * DBL_EPSILON; /* = 2 (n+2) u >= gamma_{n+1} */
    /* the underflow term (n + 2) * DBL_TRUE_MIN, made from its bits (the
     * subnormal whose significand is n + 2): computed as a product, its
     * subnormal result costs a microcode assist, ~40 times a normal multiply
     * on x86, and this runs once per certified dot product (docs/
     * architecture.md, "The path of a verify region", step 2) */
    uint64_t m = (uint64_t)n + 2;
    double under;
    memcpy(&under, &m, sizeof under);
    return nnh_up(nnh_up(g * abs_sum) + under);
}

/* Relative error we allow an activation value or derivative computed by a
 * short formula (one or two libm calls plus a few rounded operations, e.g.
 * 1/(1+exp(-z)) or e/(1+e)^2): twice the libm allowance. Protects the
 * margins of 1-D envelope cuts (envelope_1d.c). */
#define NNH_ACTFN_ULPS (2.0 * NNH_LIBM_ULPS)
static inline double nnh_actfn_down(double x)
{
    return x - (fabs(x) * (NNH_ACTFN_ULPS * DBL_EPSILON) + DBL_TRUE_MIN);
}
static inline double nnh_actfn_up(double x)
{
    return x + (fabs(x) * (NNH_ACTFN_ULPS * DBL_EPSILON) + DBL_TRUE_MIN);
}

/* Secant slopes over a smooth [l, z] narrower than this (absolute) use the
 * derivative at the midpoint (error <= width^2 max|sigma'''|/24, ~1e-19
 * relative for every supported activation) instead of a difference quotient;
 * protects envelope slopes from cancellation (docs/convexification.md 3.4). */
#define NNH_SECANT_TINY 1e-9

/* Relative accuracy of 1-D tie-point root finding (docs/convexification.md 3.4). */
#define NNH_TIE_RTOL 1e-15

#endif
