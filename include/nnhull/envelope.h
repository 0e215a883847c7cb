/* Envelopes of activations (Carrasco & Munoz, arXiv 2410.23362):
 * tie points, 1-D envelopes of sigma on [L,U], the multivariate concave and
 * convex envelopes of f(x) = sigma(w^T x + b) over a box, and the separation
 * oracle for conv{(x, y) : x in [l,u], y = f(x)}.
 * All functions are pure; the multivariate ones work in a caller-owned
 * workspace and allocate nothing per call. */
#ifndef NNH_ENVELOPE_H
#define NNH_ENVELOPE_H

#include "nnhull/activation.h"
#include "nnhull/error.h"

/* ---- Tie points ------------------------------------------------------------
 * Upper (concave-side) tie point zhat in [L,U]: the 1-D concave envelope of
 * sigma on [L,U] is the secant from L to zhat, then sigma on [zhat, U].
 * Convex sigma and identity: U; concave part only (L >= inflection): L. hint
 * is a warm start (any value in [L,U], or NAN for none). Accurate to 1e-12
 * relative where the tie point is well conditioned (near the inflection with
 * |L| tiny only to the rounding noise band, whose envelopes agree to rounding).
 * zhat(L2) <= max(zhat(L1), L2) for L1 <= L2 (nonincreasing while L < z~).
 * All 1-D functions (implemented in envelope_1d.c): NaN in gives NaN out;
 * L > U is read as [U, L]; callers should pass finite bounds (infinite ones
 * give limit tie points and valid constant bounds, e.g. sigmoid in [0,1]). */
double nnh_tie_upper(const nnh_activation *a, double L, double U, double hint);
/* Lower (convex-side) tie point zcheck in [L,U]: the 1-D convex envelope of
 * sigma on [L,U] is sigma on [L, zcheck], then the secant from zcheck to U.
 * Obtained by reflection tau(z) = -sigma(-z). Concave-free sigma gives U. */
double nnh_tie_lower(const nnh_activation *a, double L, double U, double hint);
/* Kink threshold L* < 0 of SELU / ELU with alpha > 1: the root of
 * alpha (e^L - 1) = L (lambda cancels). For U > 0 the upper tie point is the
 * kink 0 when L* < L < 0 and U when L <= L*. NAN for other activations. */
double nnh_tie_kink_threshold(const nnh_activation *a);

/* ---- 1-D envelopes on [L,U] ------------------------------------------------
 * Value at z of the concave (upper) / convex (lower) envelope of sigma on
 * [L,U]; *slope (may be NULL) receives a super/subgradient there. */
double nnh_env1d_upper(const nnh_activation *a, double L, double U, double z, double *slope);
double nnh_env1d_lower(const nnh_activation *a, double L, double U, double z, double *slope);

/* A valid linear cut of sigma on [L,U] touching the envelope at z:
 * side > 0: sigma(t) <= slope t + icpt for all t in [L,U];
 * side < 0: sigma(t) >= slope t + icpt for all t in [L,U].
 * The intercept includes a margin covering the rounding error of its
 * computation, so the inequality holds in exact arithmetic. */
void nnh_env1d_cut(const nnh_activation *a, double L, double U, double z, int side,
                   double *slope, double *icpt);

/* CROWN/DeepPoly-style pair of valid linear bounds on [L,U]:
 * lo_s t + lo_c <= sigma(t) <= up_s t + up_c for all t in [L,U] (with margin). */
void nnh_env1d_linear_relax(const nnh_activation *a, double L, double U, double *lo_s,
                            double *lo_c, double *up_s, double *up_c);

/* ---- Multivariate envelopes -------------------------------------------------- */
typedef enum {
    NNH_REGION_F = 0, /* cav = f (on the walk's level): a 1-D tangent piece */
    NNH_REGION_L = 1, /* cav linear (secant piece): a 1-D cut */
    NNH_REGION_I = 2  /* genuinely multivariate: stopped at level >= 1 */
} nnh_region;

/* One neuron over a box: f(x) = act(w^T x + b), x in [l,u] (n may be 0). */
typedef struct nnh_neuron {
    const nnh_activation *act;
    int n;
    const double *w, *l, *u;
    double b;
} nnh_neuron;

/* Caller-owned scratch for inputs of up to n_max coordinates (8 n_max + 1
 * doubles, 3 n_max ints); calls with it allocate nothing. One workspace per
 * thread: calls write into it. */
typedef struct nnh_env_ws {
    int n_max;
    double *dbuf;
    int *ibuf;
} nnh_env_ws;

/* Allocate for n_max >= 0 coordinates: 0, NNH_EINVAL or NNH_ENOMEM (ws is
 * then empty, and nnh_env_ws_free on it is harmless). */
int nnh_env_ws_init(nnh_env_ws *ws, int n_max, nnh_error *err);
void nnh_env_ws_free(nnh_env_ws *ws);

typedef struct nnh_env_point {
    double value;      /* cav f(x) (or vex f(x)) */
    nnh_region region; /* where the walk stopped */
    int level;         /* level K of the stop (0 = top level) */
} nnh_env_point;

/* Concave envelope of f over the box at x (x is clamped to the box); grad
 * (n entries, may be NULL) receives a supergradient in original coordinates
 * (0 for coordinates with w_i = 0 or l_i = u_i, which are dropped exactly).
 * Sort-once walk of docs/convexification.md Section 5.4: O(n log n) with one
 * tie-point solve per call. Accurate to about 1e-14 relative; the value is
 * not a certified bound (nnh_separate's cuts are).
 * Returns 0, or NNH_EINVAL for n > ws->n_max, l_i > u_i, NaN or infinite
 * data, or an uninitialized workspace. */
int nnh_cav(const nnh_neuron *nr, const double *x, double *grad, nnh_env_point *res,
            nnh_env_ws *ws);
/* Convex envelope (by reflection tau(z) = -sigma(-z)), grad a subgradient.
 * For convex sigma it is f itself (region F, grad = sigma'(z) w). */
int nnh_vex(const nnh_neuron *nr, const double *x, double *grad, nnh_env_point *res,
            nnh_env_ws *ws);

/* A cut returned by the separation oracle. */
typedef struct nnh_cut {
    int sense;         /* +1: y <= a^T x + c;  -1: y >= a^T x + c;  0: no cut */
    double c;
    double violation;  /* how much (x*, y*) violates it (> 0 when sense != 0) */
    nnh_region region; /* region of the envelope piece the cut comes from */
    int level;
} nnh_cut;

/* Separation: if (x*, y*) is outside conv(S) by more than tol (y* > cav(x*) +
 * tol or y* < vex(x*) - tol, x* clamped to the box), write the most violated
 * valid cut, the tangent plane of the envelope at x* (coefficients into a[n],
 * the rest into *cut); otherwise cut->sense = 0 (a[] is scratch then).
 * Validity: every returned cut holds for all x in the box in exact arithmetic
 * (f(x) <= a^T x + c for sense +1, >= for -1), whatever the rounding in the
 * envelope or the tie point. After computing (a, c) the oracle bounds
 * max_{x in box} f(x) - a^T x - c by a parametric continuous knapsack along z
 * (O(n log n): the box vertices on the knapsack path plus the inflection/kink
 * and the concave-part stationary point on each edge), adds a bound on the
 * rounding of that computation, and relaxes c outward by the positive part.
 * The reported violation is computed with the relaxed cut (it is returned
 * only when still positive). tol >= 0. Errors as nnh_cav. */
int nnh_separate(const nnh_neuron *nr, const double *x, double y, double tol, double *a,
                 nnh_cut *cut, nnh_env_ws *ws);

#endif
