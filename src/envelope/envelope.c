/* Multivariate envelopes of f(x) = sigma(w^T x + b) over a box and the
 * separation oracle (Carrasco & Munoz, arXiv 2410.23362; docs/convexification.md
 * Sections 5-6). Tie points and 1-D envelopes live in envelope_1d.c. */
#include "nnhull/envelope.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>

/* ---- The function the walk sees: sigma itself (cav) or tau(z) = -sigma(-z)
 * (vex = -cav of tau applied to -w, -b; Section 5.6). */
typedef enum { SHAPE_CONVEX, SHAPE_CONCAVE, SHAPE_S } walk_shape;

typedef struct side_fn {
    const nnh_activation *a;
    int refl;         /* 0: sigma; 1: tau(z) = -sigma(-z) */
    walk_shape shape; /* shape of that function on R */
    double infl;      /* its inflection (SHAPE_S only) */
} side_fn;

static void side_init(side_fn *s, const nnh_activation *a, int refl)
{
    s->a = a;
    s->refl = refl;
    s->infl = 0.0;
    nnh_act_class cls = nnh_act_classify(a);
    if (a->kind == NNH_ACT_SELU && !(a->alpha > 1.0))
        cls = NNH_CLASS_CONVEX; /* no concave kink: slopes lambda alpha e^z <= lambda */
    switch (cls) {
    case NNH_CLASS_LINEAR: s->shape = SHAPE_CONCAVE; break; /* affine: cav = f */
    case NNH_CLASS_CONVEX: s->shape = refl ? SHAPE_CONCAVE : SHAPE_CONVEX; break;
    default:
        s->shape = SHAPE_S;
        s->infl = refl ? -nnh_act_inflection(a) : nnh_act_inflection(a);
        break;
    }
}

static inline double side_val(const side_fn *s, double z)
{
    return s->refl ? -nnh_act_value(s->a, -z) : nnh_act_value(s->a, z);
}

/* one-sided derivative; tau'(z+) = sigma'((-z)-) */
static inline double side_der(const side_fn *s, double z, int side)
{
    return s->refl ? nnh_act_deriv(s->a, -z, -side) : nnh_act_deriv(s->a, z, side);
}

/* Upper tie point of the side function on [L,U]. The trivial cases are
 * decided here so that the walk only calls the root solver when needed. */
static double side_tie(const side_fn *s, double L, double U, double hint)
{
    if (s->shape == SHAPE_CONVEX)
        return U;
    if (s->shape == SHAPE_CONCAVE || L >= s->infl || L >= U)
        return L;
    if (U <= s->infl)
        return U;
    if (s->refl) /* tau's upper tie on [L,U] is minus sigma's lower tie on [-U,-L] */
        return -nnh_tie_lower(s->a, -U, -L, -hint);
    return nnh_tie_upper(s->a, L, U, hint);
}

/* Global bound on |sigma'| (the same for tau). */
static double act_lipschitz(const nnh_activation *a)
{
    switch (a->kind) {
    case NNH_ACT_SIGMOID: return 0.25;
    case NNH_ACT_ELU: return fmax(1.0, a->alpha);
    case NNH_ACT_SELU: return a->lambda * fmax(1.0, a->alpha);
    default: return 1.0;
    }
}

/* ---- Workspace ------------------------------------------------------------ */
/* dbuf: 8 n_max + 1 doubles, ibuf: 3 n_max ints; the slices are laid out by
 * the ws_* helpers below. */
#define WS_D_PER 8
#define WS_I_PER 3

int nnh_env_ws_init(nnh_env_ws *ws, int n_max, nnh_error *err)
{
    ws->n_max = 0;
    ws->dbuf = NULL;
    ws->ibuf = NULL;
    if (n_max < 0 || n_max > (1 << 26))
        return nnh_error_set(err, NNH_EINVAL, "envelope workspace: n_max=%d out of range", n_max);
    size_t nd = (size_t)WS_D_PER * (size_t)n_max + 1, ni = (size_t)WS_I_PER * (size_t)n_max + 1;
    ws->dbuf = malloc(nd * sizeof(double));
    ws->ibuf = malloc(ni * sizeof(int));
    if (!ws->dbuf || !ws->ibuf) {
        nnh_env_ws_free(ws);
        return nnh_error_set(err, NNH_ENOMEM, "envelope workspace: cannot allocate for n=%d",
                             n_max);
    }
    ws->n_max = n_max;
    return NNH_OK;
}

void nnh_env_ws_free(nnh_env_ws *ws)
{
    if (!ws)
        return;
    free(ws->dbuf);
    free(ws->ibuf);
    ws->dbuf = NULL;
    ws->ibuf = NULL;
    ws->n_max = 0;
}

/* Named slices of the workspace (N = n_max). */
typedef struct ws_view {
    double *kx, *kw, *kd; /* kept coords: normalized x, normalized weight, u - l */
    double *xs, *wsrt;    /* the same, sorted by kx descending */
    double *S;            /* suffix sums S[k] = sum_{q >= k} wsrt[q] xs[q], S[m] = 0 */
    double *gs;           /* normalized gradient in sorted order */
    double *key;          /* sort keys of the cut validation */
    int *kept, *perm, *tmp;
} ws_view;

static void ws_view_of(nnh_env_ws *ws, ws_view *v)
{
    int N = ws->n_max;
    double *d = ws->dbuf;
    v->kx = d;
    v->kw = d + N;
    v->kd = d + 2 * N;
    v->xs = d + 3 * N;
    v->wsrt = d + 4 * N;
    v->gs = d + 5 * N;
    v->key = d + 6 * N;
    v->S = d + 7 * N; /* N + 1 entries */
    v->kept = ws->ibuf;
    v->perm = ws->ibuf + N;
    v->tmp = ws->ibuf + 2 * N;
}

/* ---- Stable sort without allocation ----------------------------------------
 * Sorts perm[0..m) (values are positions into key) by key descending, ties by
 * position ascending, so results are deterministic. Insertion sort on runs of
 * 16, then bottom-up merges ping-ponging between perm and tmp. */
#define SORT_RUN 16

static void sort_desc(const double *key, int *perm, int *tmp, int m)
{
    for (int i = 0; i < m; i++)
        perm[i] = i;
    for (int lo = 0; lo < m; lo += SORT_RUN) {
        int hi = lo + SORT_RUN < m ? lo + SORT_RUN : m;
        for (int i = lo + 1; i < hi; i++) {
            int p = perm[i], j = i;
            double kp = key[p];
            while (j > lo && key[perm[j - 1]] < kp) {
                perm[j] = perm[j - 1];
                j--;
            }
            perm[j] = p;
        }
    }
    int *src = perm, *dst = tmp;
    for (int width = SORT_RUN; width < m; width *= 2) {
        for (int lo = 0; lo < m; lo += 2 * width) {
            int mid = lo + width < m ? lo + width : m;
            int hi = lo + 2 * width < m ? lo + 2 * width : m;
            int i = lo, j = mid, o = lo;
            while (i < mid && j < hi) /* take right only when strictly larger: stable */
                dst[o++] = key[src[j]] > key[src[i]] ? src[j++] : src[i++];
            while (i < mid)
                dst[o++] = src[i++];
            while (j < hi)
                dst[o++] = src[j++];
        }
        int *t = src;
        src = dst;
        dst = t;
    }
    if (src != perm)
        for (int i = 0; i < m; i++)
            perm[i] = src[i];
}

/* ---- Input checks ------------------------------------------------------------ */
static int check_neuron(const nnh_neuron *nr, const double *x, const nnh_env_ws *ws)
{
    if (!nr || !nr->act || !ws || !ws->dbuf || !ws->ibuf || nr->n < 0 || nr->n > ws->n_max || (nr->n > 0 && !x))
        return NNH_EINVAL;
    if (!isfinite(nr->b))
        return NNH_EINVAL;
    for (int i = 0; i < nr->n; i++)
        if (!isfinite(nr->w[i]) || !isfinite(nr->l[i]) || !isfinite(nr->u[i]) ||
            nr->l[i] > nr->u[i] || isnan(x[i]))
            return NNH_EINVAL;
    return NNH_OK;
}

static inline double clamp_box(double x, double l, double u)
{
    return x < l ? l : (x > u ? u : x);
}

/* ---- Normalization (Section 5.1) -------------------------------------------
 * For weights sg*w and bias sg*b: drop w_i = 0 and l_i = u_i exactly (folded
 * into the bias), map the rest to [0,1] with nonnegative weights, sort by the
 * normalized coordinate descending and build suffix sums. Returns m, the
 * number of kept coordinates; *bh and *U receive bhat and bhat + sum what. */
static int normalize(const nnh_neuron *nr, const double *x, double sg, ws_view *v, double *bh,
                     double *U)
{
    double b = sg * nr->b;
    int m = 0;
    for (int i = 0; i < nr->n; i++) {
        double wi = sg * nr->w[i], l = nr->l[i], u = nr->u[i], d = u - l;
        double xi = clamp_box(x[i], l, u);
        if (wi == 0.0 || !(d > 0.0)) {
            b += wi * xi; /* xi = l = u here, or wi = 0 */
            continue;
        }
        double xh;
        if (wi > 0.0) {
            xh = (xi - l) / d;
            b += wi * l;
        } else {
            xh = (u - xi) / d;
            b += wi * u;
        }
        v->kx[m] = xh < 0.0 ? 0.0 : (xh > 1.0 ? 1.0 : xh);
        v->kw[m] = fabs(wi) * d;
        v->kd[m] = d;
        v->kept[m] = i;
        m++;
    }
    sort_desc(v->kx, v->perm, v->tmp, m);
    double Ub = b;
    for (int q = 0; q < m; q++) {
        v->xs[q] = v->kx[v->perm[q]];
        v->wsrt[q] = v->kw[v->perm[q]];
        Ub += v->wsrt[q]; /* same order as the walk's b_k: b_m == U exactly */
    }
    v->S[m] = 0.0;
    for (int q = m - 1; q >= 0; q--)
        v->S[q] = v->S[q + 1] + v->wsrt[q] * v->xs[q];
    *bh = b;
    *U = Ub;
    return m;
}

/* ---- The walk (Section 5.4) and its gradient (Section 5.5) ------------------
 * Level k has scale t = x_(k), next coordinate nxt = x_(k+1), lower end b_k
 * and scaled point z_k = b_k + S_k / t. The two tests of Section 5.4,
 *   R_f: zhat_k < U and zhat_k <= z_k,   R_l: zhat_k <= z'_k := b_k + S_k / nxt,
 * only ask whether zhat_k lies below a given point v. For an S-shape that is
 * the sign of phi_k(v) = g'(v+) (v - b_k) - (g(v) - g(b_k)) (phi is
 * nonincreasing on the concave part and zhat is its sign change, Section 3.1;
 * at a kink the right derivative gives the superdifferential test), so the
 * walk decides every level with two function evaluations and solves for a tie
 * point only once, at an R_l stop, where the secant slope needs it. Since
 * z_{k+1} = z'_k, the evaluation at z'_k is reused at the next level, and since
 * zhat_k is nonincreasing in k, any v found above some zhat_j bounds all later
 * zhat_k (ub), which also warm-starts the final solve.
 * Division by zero cannot happen: level k >= 1 is reached only when the R_l
 * test failed with nxt > 0. gs[q] receives the normalized supergradient at
 * sorted position q. */
typedef struct vpt {
    double v, sv, dv; /* point, g(v), g'(v+) */
    int have;         /* sv, dv computed */
} vpt;

static void vpt_eval(const side_fn *s, vpt *p)
{
    if (!p->have) {
        p->sv = side_val(s, p->v);
        p->dv = side_der(s, p->v, +1);
        p->have = 1;
    }
}

/* Is zhat([L,U]) <= p->v ? sL = g(L); *ub is an upper bound of zhat, lowered
 * when a phi test proves a smaller one. */
static int zhat_le(const side_fn *s, double L, double sL, double U, double *ub, vpt *p)
{
    double v = p->v;
    if (s->shape == SHAPE_CONVEX)
        return v >= U;
    if (s->shape == SHAPE_CONCAVE || L >= s->infl)
        return v >= L;
    if (U <= s->infl)
        return v >= U;
    if (v >= *ub)
        return 1;
    if (v < s->infl)
        return 0;
    vpt_eval(s, p);
    if (p->dv * (v - L) - (p->sv - sL) <= 0.0) {
        *ub = v;
        return 1;
    }
    return 0;
}

static double walk(const side_fn *s, int m, const ws_view *v, double b, double U,
                   nnh_env_point *res)
{
    const double *xs = v->xs, *wsrt = v->wsrt, *S = v->S;
    double *gs = v->gs;
    double A = 0.0, bk = b, sbk = side_val(s, b), sb_prev = 0.0, ub = U;
    vpt z = {b + S[0], 0, 0, 0};
    for (int k = 0;; k++) {
        double t = k ? xs[k - 1] : 1.0, nxt = k < m ? xs[k] : 0.0, Sk = S[k];
        int rf;
        if (z.v < U)
            rf = zhat_le(s, bk, sbk, U, &ub, &z);
        else /* top vertex: R_f iff zhat < U; rare, solve */
            rf = side_tie(s, bk, U, NAN) < U;
        if (rf) { /* R_f: cav = perspective of g */
            vpt_eval(s, &z);
            if (k >= 1)
                gs[k - 1] = z.sv - sb_prev - z.dv * (Sk / t);
            for (int q = k; q < m; q++)
                gs[q] = z.dv * wsrt[q];
            res->value = A + t * z.sv;
            res->region = k ? NNH_REGION_I : NNH_REGION_F;
            res->level = k;
            return res->value;
        }
        vpt zn = {nxt > 0.0 ? bk + Sk / nxt : U, 0, 0, 0};
        if (k == m || !(nxt > 0.0) || zhat_le(s, bk, sbk, U, &ub, &zn)) { /* R_l: secant */
            double zh = side_tie(s, bk, U, ub < zn.v ? ub : zn.v);
            double sl = zh > bk ? (side_val(s, zh) - sbk) / (zh - bk) : side_der(s, bk, +1);
            if (k >= 1)
                gs[k - 1] = sbk - sb_prev;
            for (int q = k; q < m; q++)
                gs[q] = sl * wsrt[q];
            res->value = A + t * sbk + sl * Sk;
            res->region = k ? NNH_REGION_I : NNH_REGION_L;
            res->level = k;
            return res->value;
        }
        /* R_i: one step down the staircase; z_{k+1} = z'_k */
        if (k >= 1)
            gs[k - 1] = sbk - sb_prev;
        A += (t - nxt) * sbk;
        sb_prev = sbk;
        bk += wsrt[k];
        sbk = side_val(s, bk);
        z = zn;
    }
}

/* cav (refl = 0) or vex (refl = 1, as -cav of tau with weights -w, bias -b)
 * at x; the (super/sub)gradient in original coordinates into grad if non-NULL. */
static int envelope(const nnh_neuron *nr, const double *x, int refl, double *grad,
                    nnh_env_point *res, nnh_env_ws *ws)
{
    int rc = check_neuron(nr, x, ws);
    if (rc)
        return rc;
    side_fn s;
    side_init(&s, nr->act, refl);
    double sg = refl ? -1.0 : 1.0, b, U;
    ws_view v;
    ws_view_of(ws, &v);
    int m = normalize(nr, x, sg, &v, &b, &U);
    nnh_env_point r;
    walk(&s, m, &v, b, U, &r);
    if (grad) {
        for (int i = 0; i < nr->n; i++)
            grad[i] = 0.0; /* dropped coordinates */
        for (int q = 0; q < m; q++) {
            int p = v.perm[q], i = v.kept[p];
            double g = v.gs[q] / v.kd[p];
            /* xhat increases with x_i iff sg w_i > 0; vex negates at the end */
            grad[i] = (sg * nr->w[i] > 0.0 ? g : -g) * sg;
        }
    }
    r.value *= sg;
    if (res)
        *res = r;
    return NNH_OK;
}

int nnh_cav(const nnh_neuron *nr, const double *x, double *grad, nnh_env_point *res,
            nnh_env_ws *ws)
{
    return envelope(nr, x, 0, grad, res, ws);
}

int nnh_vex(const nnh_neuron *nr, const double *x, double *grad, nnh_env_point *res,
            nnh_env_ws *ws)
{
    return envelope(nr, x, 1, grad, res, ws);
}

/* ---- Cut validation (Section 6.2) --------------------------------------------
 * Rigorous upper bound on max_{x in box} g(sg (w^T x + b)) - (sa a)^T x - c,
 * g the side function. For fixed z = sg (w^T x + b), the minimum of
 * (sa a)^T x over the box slice is a continuous knapsack: starting from the
 * z-minimizing vertex, coordinates move to their other end in increasing
 * order of cost per unit z, r_i = a'_i / w'_i. Along that path (vertices x^j
 * joined by edges) the function is g(z) - h(z), h convex piecewise linear.
 * On each edge the maximum is at an end, at z = 0 (the inflection or kink of
 * every supported activation, where convex and concave parts meet) or at the
 * stationary point g'(z) = r in the concave part (closed forms). Evaluating all these
 * candidates gives the exact maximum up to rounding; the margin below bounds
 * that rounding. Edges are parametrized by theta in [0,1] so that an error in
 * z is multiplied by |g'| <= Lip and never by r. O(n log n). */
typedef struct vstate {
    const side_fn *s;
    double best, fmax; /* largest candidate value, largest |g| evaluated */
} vstate;

static inline double cand(vstate *st, double z, double H)
{
    double g = side_val(st->s, z);
    double fg = fabs(g);
    if (fg > st->fmax)
        st->fmax = fg;
    if (g - H > st->best)
        st->best = g - H;
    return g;
}

/* Where the side function g has slope r inside its concave part, i.e. the
 * maximizer of g(z) - r z there; NAN when there is none. The concave part is
 * z >= 0 for the S-shapes and all of R for tau of a convex sigma; g' is
 * sigma'(z) for cav and sigma'(-z) for tau (vex). */
static double stationary(const side_fn *s, double r)
{
    const nnh_activation *a = s->a;
    if (!(r > 0.0))
        return NAN;
    if (a->kind == NNH_ACT_SIGMOID && r < 0.25) { /* sigma' even: both sides */
        double q = sqrt(1.0 - 4.0 * r), lo = 2.0 * r / (1.0 + q); /* 1 - s, s >= 1/2 */
        return log((1.0 - lo) / lo);
    }
    if (a->kind == NNH_ACT_TANH && r < 1.0) {
        double t = sqrt(1.0 - r), om = r / (1.0 + t); /* 1 - t */
        return 0.5 * log((1.0 + t) / om);
    }
    if (!s->refl)
        return NAN; /* other sigmas: concave part linear or absent */
    if (a->kind == NNH_ACT_SOFTPLUS && r < 1.0) /* sigmoid(-z) = r */
        return log((1.0 - r) / r);
    if (a->kind == NNH_ACT_ELU && r < a->alpha) /* alpha e^{-z} = r, z > 0 */
        return log(a->alpha / r);
    if (a->kind == NNH_ACT_SELU && r < a->lambda * a->alpha)
        return log(a->lambda * a->alpha / r);
    return NAN;
}

/* Interior candidates of one edge: the special point 0 (inflection or kink of
 * every supported activation) and the stationary point of the concave part. */
static void edge_candidates(vstate *st, double z0, double dz, double H0, double dH)
{
    if (!(dz > 0.0))
        return;
    double z1 = z0 + dz;
    if (z0 < 0.0 && z1 > 0.0) {
        double th = -z0 / dz;
        cand(st, z0 + th * dz, H0 + th * dH);
    }
    if (st->s->shape == SHAPE_CONVEX)
        return;
    double lo = st->s->shape == SHAPE_S ? 0.0 : -INFINITY; /* concave part z >= lo */
    if (z1 <= lo)
        return;
    double zs = stationary(st->s, dH / dz);
    if (zs > z0 && zs < z1 && zs >= lo) {
        double th = (zs - z0) / dz;
        cand(st, z0 + th * dz, H0 + th * dH);
    }
}

/* Returns an upper bound (rounding included) of the maximum violation of
 * g(sg(w^T x + b)) <= (sa a)^T x + c over the box. */
static double cut_max_violation(const nnh_neuron *nr, const side_fn *s, double sg, double sa,
                                const double *a, double c, ws_view *v)
{
    int n = nr->n, m = 0;
    double z = sg * nr->b, H = 0.0, zscale = fabs(nr->b), hscale = 0.0;
    for (int i = 0; i < n; i++) {
        double wi = sg * nr->w[i], ai = sa * a[i], l = nr->l[i], u = nr->u[i];
        zscale += fabs(wi) * (fabs(l) + fabs(u));
        hscale += fabs(ai) * (fabs(l) + fabs(u));
        if (!(u - l > 0.0)) {
            z += wi * l;
            H += ai * l;
        } else if (wi == 0.0) {
            H += fmin(ai * l, ai * u);
        } else {
            double start = wi > 0.0 ? l : u;
            z += wi * start;
            H += ai * start;
            v->key[m] = -(ai / wi); /* sort_desc on -r = ascending r */
            v->kept[m] = i;
            m++;
        }
    }
    sort_desc(v->key, v->perm, v->tmp, m);
    vstate st = {s, -INFINITY, 0.0};
    cand(&st, z, H);
    for (int q = 0; q < m; q++) {
        int i = v->kept[v->perm[q]];
        double wi = sg * nr->w[i], ai = sa * a[i], d = nr->u[i] - nr->l[i];
        double dz = fabs(wi) * d, dH = wi > 0.0 ? ai * d : -(ai * d);
        double g1 = cand(&st, z + dz, H + dH);
        /* g is nondecreasing: g(z1) - min(H0, H1) bounds the edge; skip the
         * interior candidates of edges that cannot beat the best so far */
        if (g1 - fmin(H, H + dH) > st.best)
            edge_candidates(&st, z, dz, H, dH);
        z += dz;
        H += dH;
    }
    /* Rounding: z and H are sums of at most 2n + 2 terms (starting vertex,
     * then edge lengths |w_i| (u_i - l_i)), each term and each partial sum
     * rounded, partial sums bounded by 2 zscale (2 hscale): within
     * nnh_dot_error(6n + 8, .); g is evaluated within libm accuracy (softplus and the
     * sigmoid quotient compose two operations, hence 2 ULPS + 4); the final
     * subtractions add relative eps. The factor 2 also absorbs the second-order
     * loss from candidates placed by rounded arithmetic (stationary points:
     * the first-order term vanishes). */
    double err_z = nnh_dot_error(6 * n + 8, zscale), err_h = nnh_dot_error(6 * n + 8, hscale);
    if (!isfinite(st.best) || !isfinite(c) || !isfinite(zscale) || !isfinite(hscale))
        return INFINITY; /* overflow somewhere: no certified cut */
    double M = st.best - c;
    double margin = act_lipschitz(s->a) * err_z + err_h +
                    (2.0 * NNH_LIBM_ULPS + 4.0) * DBL_EPSILON * st.fmax +
                    4.0 * DBL_EPSILON * (fabs(st.best) + fabs(c)) + 16.0 * DBL_TRUE_MIN;
    return nnh_up(M + 2.0 * margin);
}

/* ---- Separation (Section 6.1) ---------------------------------------------- */
static double dot_clamped(const nnh_neuron *nr, const double *a, const double *x)
{
    double s = 0.0;
    for (int i = 0; i < nr->n; i++)
        s += a[i] * clamp_box(x[i], nr->l[i], nr->u[i]);
    return s;
}

int nnh_separate(const nnh_neuron *nr, const double *x, double y, double tol, double *a,
                 nnh_cut *cut, nnh_env_ws *ws)
{
    cut->sense = 0;
    cut->c = 0.0;
    cut->violation = 0.0;
    cut->region = NNH_REGION_F;
    cut->level = 0;
    int rc = check_neuron(nr, x, ws);
    if (rc)
        return rc;
    if (isnan(y) || isnan(tol) || tol < 0.0)
        return NNH_EINVAL;
    /* cav >= f >= vex: only one side can separate */
    double fx = nnh_act_value(nr->act, nr->b + dot_clamped(nr, nr->w, x));
    int refl;
    if (y > fx + tol)
        refl = 0;
    else if (y < fx - tol)
        refl = 1;
    else
        return NNH_OK;
    nnh_env_point p;
    rc = envelope(nr, x, refl, a, &p, ws);
    if (rc)
        return rc;
    double sense = refl ? -1.0 : 1.0;
    if (!(sense * (y - p.value) > tol))
        return NNH_OK;
    /* upper: y <= a^T x + c; lower: y >= a^T x + c, i.e. tau-side with -a, -c */
    double c = p.value - dot_clamped(nr, a, x);
    side_fn s;
    side_init(&s, nr->act, refl);
    ws_view v;
    ws_view_of(ws, &v);
    double cs = sense * c;
    double M = cut_max_violation(nr, &s, sense, sense, a, cs, &v);
    if (M > 0.0)
        cs = nnh_up(cs + M);
    c = sense * cs;
    double viol = sense * (y - (dot_clamped(nr, a, x) + c));
    if (!(viol > 0.0) || !isfinite(c))
        return NNH_OK;
    cut->sense = (int)sense;
    cut->c = c;
    cut->violation = viol;
    cut->region = p.region;
    cut->level = p.level;
    return NNH_OK;
}
