/* Tolerances and outward-rounding helpers, named for what they protect.
 * Everything that turns a floating-point computation into a certified bound
 * goes through these, so the safety margins live in one place. */
#ifndef NNH_ROUND_H
#define NNH_ROUND_H

#include <float.h>
#include <math.h>

/* Relative error we allow a libm transcendental (exp, log1p, tanh, expm1) to
 * have; glibc documents <= 2 ulp for these on x86_64, we take 4. */
#define NNH_LIBM_ULPS 4.0

/* One step down / up: valid enclosure of a correctly rounded basic operation. */
static inline double nnh_down(double x) { return nextafter(x, -INFINITY); }
static inline double nnh_up(double x) { return nextafter(x, INFINITY); }

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
    return nnh_up(nnh_up(g * abs_sum) + (double)(n + 2) * DBL_TRUE_MIN);
}

#endif
