/* The cut loop of an LP bound task on a layer context (lp_layer.h): the
 * simplex calls, separation of the relaxed neurons at the LP point, ranking
 * and filtering of the candidate cuts, their rows, slack cut removal, and
 * the phases (lp_cuts.h). lp_bound.c runs it per task, lp_layer.c per
 * cut-pool objective at creation.
 *
 * The cut loop runs in phases of at most opts.max_rounds rounds each; a
 * round separates every relaxed earlier neuron at the current LP point,
 * adds the most violated cuts (at most max_cuts_per_round per family) and
 * re-solves by dual simplex.
 *   phase 1 (lp1d and hull): 1-D cuts only, against the exact envelope of
 *     sigma on the neuron's [L,U]. For hull this is the lp1d loop itself:
 *     same LP, same cuts in the same order, same LP points, hence the same
 *     safe bounds, bit for bit (unless an lp_time_limit cuts a solve short:
 *     a wall-clock limit makes any solve timing-dependent).
 *   phase 2 (hull only): from phase 1's last LP (its cuts kept), rounds that
 *     add multivariate cuts (nnh_separate over the box of a_{j-1}) as well
 *     as 1-D cuts (neither envelope contains the other).
 * Every round's LP is a valid relaxation, so the best safe bound over both
 * phases is valid, and hull's bound is never looser than lp1d's on a
 * context built from the same bounds: by construction, not by tuning (a
 * single mixed loop ends at different LP points and can end looser).
 * A phase ends early when no cut is violated by more than cut_tol (or all
 * are duplicates or nearly parallel to a cut of the same round); a failed
 * re-solve ends the task's loop. With opts.slack_rounds > 0 a task's cut
 * rows non-binding for that many consecutive rounds are deleted after each
 * round (both phases, the same rule for lp1d and hull, so phase 1 stays
 * identical). Statistics:
 * lp_solves counts the first solve and the re-solves of both phases (no
 * per-phase counter exists: for the same context, hull's counts minus
 * lp1d's are phase 2's); cuts_multivariate the multivariate cuts from
 * region I (genuinely multivariate pieces), cuts_1d every other cut (1-D
 * cuts, and multivariate ones from regions F and L, which are tangents of
 * sigma along w^T x). */
#include "lp_cuts.h"
#include "nnh_clock.h"
#include "nnh_round.h"
#include "nnhull/stop.h"

#include <math.h>
#include <string.h>

/* Cuts of the same neuron whose normalised coefficients and intercept agree
 * to this are duplicates. */
#define LP_DUP_TOL 1e-9

/* Cuts of the same neuron, side and family in one round whose normalised
 * coefficient vectors over (a, a_{j-1}) have cosine similarity above
 * 1 - LP_PAR_TOL and whose normalised intercepts agree to LP_PAR_TOL
 * (relative) are nearly parallel copies: only the more violated (the first
 * in the ranking) is added. 1e-6 is about 0.08 degrees. (A 1-D cut
 * a <= s z + c is compared as a <= s w^T a_{j-1} + (c + s b).) Not across
 * families: comparing a 1-D cut with hull's multivariate tangents from
 * regions F and L does fire, but the changed LP path made hull's full-box
 * sigmoid digits bounds cross-run looser than lp1d's at one neuron (2e-3),
 * which test_engines forbids. Against rows added in earlier rounds the
 * candidate is always the more violated (the LP point satisfies them), so
 * it is kept; a row it supersedes becomes non-binding, which slack removal
 * (slack_rounds) handles. With the current separators (at most one
 * candidate per neuron, side and family per round) this is a guard. */
#define LP_PAR_TOL 1e-6

static void simplex_parm(const nnh_lp_layer *L, glp_smcp *p, int meth)
{
    glp_init_smcp(p);
    p->msg_lev = GLP_MSG_OFF;
    p->meth = meth;
    p->presolve = GLP_OFF;
    if (nnh_glpk_guarded()) {
        /* progress output every 100 ms goes to the guard's terminal hook
         * (nothing is printed), which ends the solve on a stop request
         * (nnhull/stop.h); the display only reads the solver's state, so
         * the path and the result are those of a silent solve */
        p->msg_lev = GLP_MSG_ON;
        p->out_frq = NNH_GLPK_STOP_POLL_MS;
        p->out_dly = 0;
    }
    if (L->opts.long_step)
        p->r_test = GLP_RT_FLIP;
    double lim = L->opts.lp_time_limit;
    if (L->task_deadline > 0.0) { /* the rest of the task's budget */
        double rest = L->task_deadline - nnh_now();
        lim = lim > 0.0 ? fmin(lim, rest) : rest;
        if (!(lim > 0.0))
            lim = 1e-3;
    }
    if (lim > 0.0) {
        double ms = lim * 1000.0;
        p->tm_lim = ms >= 2e9 ? 2000000000 : (ms < 1.0 ? 1 : (int)ms);
    }
}

int nnh_lp_simplex(nnh_lp_layer *L, int meth, int it_lim, nnh_layer_stats *st)
{
    if (nnh_stop_requested())
        return 1; /* no new solve; the current basis's duals still bound (lp_safe.h) */
    glp_smcp parm;
    simplex_parm(L, &parm, meth);
    /* a stalling (cycling) simplex ends the task's cut loop; healthy re-solves
     * take tens of iterations. Deterministic, unlike the time limit. */
    parm.it_lim = it_lim > 0 ? it_lim : 1000 + 5 * (glp_get_num_rows(L->P) + L->n_cols);
    if (L->task_iters_left >= 0 && L->task_iters_left < parm.it_lim)
        parm.it_lim = L->task_iters_left > 0 ? (int)L->task_iters_left : 1;
    int it0 = glp_get_it_cnt(L->P);
    int rc = glp_simplex(L->P, &parm);
    int used = glp_get_it_cnt(L->P) - it0;
    if (L->task_iters_left >= 0)
        L->task_iters_left = used >= L->task_iters_left ? 0 : L->task_iters_left - used;
    if (st) {
        st->lp_solves++;
        st->simplex_iters += used;
    }
    if (rc == 0 && glp_get_status(L->P) == GLP_OPT)
        return 0;
    return rc == GLP_EITLIM || rc == GLP_ETMLIM ? 1 : -1;
}

double nnh_lp_stopped_bound(nnh_lp_layer *L)
{
    return nnh_lp_safe_lower(L->P, L->cost, &L->safe);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* 1-D separation of (z*, a*) against the envelope of sigma on [L,U]. */
static int separate_1d(nnh_lp_layer *L, int q, nnh_lp_cut *cd)
{
    const nnh_lp_neuron *nq = &L->nr[q];
    double z = L->xv[nq->zcol], a = L->xv[nq->acol], tol = L->opts.cut_tol;
    double zc = clampd(z, nq->L, nq->U);
    int side = 0;
    if (a > nnh_env1d_upper(nq->env.act, nq->L, nq->U, zc, NULL) + tol)
        side = +1;
    else if (a < nnh_env1d_lower(nq->env.act, nq->L, nq->U, zc, NULL) - tol)
        side = -1;
    if (!side)
        return 0;
    double s, c;
    nnh_env1d_cut(nq->env.act, nq->L, nq->U, zc, side, &s, &c);
    double viol = side * (a - (s * z + c));
    if (!(viol > tol) || !isfinite(s) || !isfinite(c))
        return 0;
    *cd = (nnh_lp_cut){.nr = q, .sense = side, .mv = 0, .region = NNH_REGION_F, .c = c,
                       .viol = viol, .slope = s, .coef = NULL};
    return 1;
}

/* Coefficients whose whole range over the box is below this are folded into
 * the intercept: saturated neurons give gradients of 1e-14 and such entries
 * make the simplex stall (observed: dual simplex cycling for 20000 steps). */
#define LP_COEF_DROP 1e-9

/* Fold tiny coefficients into c, keeping the cut valid on the box: for an
 * upper cut a <= g.x + c, g_t x_t <= max(g_t l_t, g_t u_t); lower: min. */
static double clean_cut(const nnh_neuron *e, int sense, double *g, double c)
{
    for (int t = 0; t < e->n; t++) {
        double lo = e->l[t], hi = e->u[t];
        if (g[t] == 0.0 || !(fabs(g[t]) * (hi - lo) <= LP_COEF_DROP))
            continue;
        double p1 = g[t] * lo, p2 = g[t] * hi;
        if (sense > 0)
            c = nnh_up(c + nnh_up(fmax(p1, p2)));
        else
            c = nnh_down(c + nnh_down(fmin(p1, p2)));
        g[t] = 0.0;
    }
    return c;
}

/* The LP values of neuron nq's envelope inputs (its receptive field). */
static const double *field_values(nnh_lp_layer *L, const nnh_lp_neuron *nq)
{
    const double *x = L->xv + nq->prev_col;
    if (!nq->cols)
        return x;
    for (int t = 0; t < nq->env.n; t++)
        L->xg[t] = x[nq->cols[t]];
    return L->xg;
}

/* Multivariate separation of (a_{j-1}*, a*) with the paper's oracle. */
static int separate_mv(nnh_lp_layer *L, int q, nnh_lp_cut *cd)
{
    const nnh_lp_neuron *nq = &L->nr[q];
    const double *x = field_values(L, nq);
    double a = L->xv[nq->acol], tol = L->opts.cut_tol;
    double *g = L->cand_coef + nq->coef_off;
    nnh_cut cut;
    if (nnh_separate(&nq->env, x, a, tol, g, &cut, &L->ews) != 0 || cut.sense == 0 ||
        !isfinite(cut.c))
        return 0;
    cut.c = clean_cut(&nq->env, cut.sense, g, cut.c);
    double dot = 0.0;
    for (int t = 0; t < nq->env.n; t++) {
        if (!isfinite(g[t]))
            return 0;
        dot += g[t] * x[t];
    }
    double viol = cut.sense * (a - (dot + cut.c));
    if (!(viol > tol) || !isfinite(cut.c))
        return 0;
    *cd = (nnh_lp_cut){.nr = q, .sense = cut.sense, .mv = 1, .region = (int)cut.region,
                       .c = cut.c, .viol = viol, .slope = 0.0, .coef = g};
    return 1;
}

/* All candidates of one round at the current LP point (multivariate ones
 * too when mv); returns their number. */
static int separate_all(nnh_lp_layer *L, int mv)
{
    glp_prob *P = L->P;
    for (int j = 1; j <= L->n_cols; j++)
        L->xv[j] = glp_get_col_prim(P, j);
    int n = 0;
    for (int q = 0; q < L->n_nr; q++) {
        if (L->nr[q].kind != NNH_LPN_RELAX)
            continue;
        /* the 1-D envelope uses the (possibly LP-tightened) [L,U], the
         * multivariate one the box of a_{j-1}: neither contains the other */
        n += separate_1d(L, q, &L->cand[n]);
        if (mv)
            n += separate_mv(L, q, &L->cand[n]);
    }
    return n;
}

static int cand_cmp(const nnh_lp_cut *a, const nnh_lp_cut *b)
{
    if (a->viol != b->viol)
        return a->viol > b->viol ? -1 : 1;
    if (a->nr != b->nr)
        return a->nr < b->nr ? -1 : 1;
    return a->mv - b->mv;
}

/* Deterministic ranking by violation (insertion sort: candidates are few). */
static void rank_candidates(nnh_lp_layer *L, int n)
{
    for (int t = 0; t < n; t++) {
        int v = t;
        L->order[t] = t;
        while (v > 0 && cand_cmp(&L->cand[t], &L->cand[L->order[v - 1]]) < 0) {
            L->order[v] = L->order[v - 1];
            v--;
        }
        L->order[v] = t;
    }
}

/* Coefficient t of a cut (1-D: one coefficient). */
static int cut_len(const nnh_lp_layer *L, const nnh_lp_cut *c)
{
    return c->mv ? L->nr[c->nr].env.n : 1;
}
static double cut_coef(const nnh_lp_cut *c, int t) { return c->mv ? c->coef[t] : c->slope; }

static double cut_norm(const nnh_lp_layer *L, const nnh_lp_cut *c)
{
    double s = 1.0; /* the coefficient of a */
    for (int t = 0; t < cut_len(L, c); t++)
        s += cut_coef(c, t) * cut_coef(c, t);
    return sqrt(s);
}

/* 1 if c nearly equals (after normalisation) a cut this task already added. */
static int is_duplicate(const nnh_lp_layer *L, int n_added, const nnh_lp_cut *c)
{
    double nc = cut_norm(L, c);
    for (int a = 0; a < n_added; a++) {
        const nnh_lp_cut *o = &L->added[a];
        if (o->nr != c->nr || o->sense != c->sense || o->mv != c->mv || o->removed)
            continue;
        double no = cut_norm(L, o);
        int same = fabs(1.0 / nc - 1.0 / no) <= LP_DUP_TOL && fabs(c->c / nc - o->c / no) <=
                                                                   LP_DUP_TOL;
        for (int t = 0; same && t < cut_len(L, c); t++)
            same = fabs(cut_coef(c, t) / nc - cut_coef(o, t) / no) <= LP_DUP_TOL;
        if (same)
            return 1;
    }
    return 0;
}

/* Coefficient t of a cut over a_{j-1} (a 1-D cut as s w^T a_{j-1}). */
static double cut_coef_x(const nnh_lp_layer *L, const nnh_lp_cut *c, int t)
{
    return c->mv ? c->coef[t] : c->slope * L->nr[c->nr].env.w[t];
}

/* Intercept of a cut over a_{j-1} (a 1-D cut's c + s b). */
static double cut_c_x(const nnh_lp_layer *L, const nnh_lp_cut *c)
{
    return c->mv ? c->c : c->c + c->slope * L->nr[c->nr].env.b;
}

static double cut_norm_x(const nnh_lp_layer *L, const nnh_lp_cut *c)
{
    double s = 1.0;
    for (int t = 0; t < L->nr[c->nr].env.n; t++)
        s += cut_coef_x(L, c, t) * cut_coef_x(L, c, t);
    return sqrt(s);
}

/* 1 if c is nearly parallel (LP_PAR_TOL) to a cut of the same neuron, side
 * and family added earlier in this round (added[from..n_added)). */
static int is_parallel(const nnh_lp_layer *L, int from, int n_added, const nnh_lp_cut *c)
{
    double nc = cut_norm_x(L, c);
    for (int a = from; a < n_added; a++) {
        const nnh_lp_cut *o = &L->added[a];
        if (o->nr != c->nr || o->sense != c->sense || o->mv != c->mv)
            continue;
        double dot = 1.0;
        for (int t = 0; t < L->nr[c->nr].env.n; t++)
            dot += cut_coef_x(L, c, t) * cut_coef_x(L, o, t);
        double no = cut_norm_x(L, o), cc = cut_c_x(L, c) / nc, co = cut_c_x(L, o) / no;
        if (dot / (nc * no) > 1.0 - LP_PAR_TOL && fabs(cc - co) <= LP_PAR_TOL * (1.0 + fabs(co)))
            return 1;
    }
    return 0;
}

/* Row of a cut: a - coef . v  (<= c for sense +1, >= c for sense -1). */
static void add_cut_row(nnh_lp_layer *L, const nnh_lp_cut *c)
{
    const nnh_lp_neuron *nq = &L->nr[c->nr];
    int len = 0;
    L->ind[++len] = nq->acol;
    L->val[len] = 1.0;
    if (!c->mv) {
        if (c->slope != 0.0) {
            L->ind[++len] = nq->zcol;
            L->val[len] = -c->slope;
        }
    } else {
        for (int t = 0; t < nq->env.n; t++)
            if (c->coef[t] != 0.0) {
                L->ind[++len] = nq->prev_col + NNH_ROW_COL(nq->cols, t);
                L->val[len] = -c->coef[t];
            }
    }
    int r = glp_add_rows(L->P, 1);
    L->slack_cnt[r - L->base_m - 1] = 0;
    L->row_cut[r - L->base_m - 1] = (int)(c - L->added);
    glp_set_mat_row(L->P, r, len, L->ind, L->val);
    if (c->sense > 0)
        glp_set_row_bnds(L->P, r, GLP_UP, 0.0, c->c);
    else
        glp_set_row_bnds(L->P, r, GLP_LO, c->c, 0.0);
}

/* Add the most violated candidates, at most max_cuts_per_round of each
 * family (1-D cuts, multivariate cuts: in hull's phase 2 neither starves
 * the other), skipping duplicates; returns how many were added. */
static int add_cuts(nnh_lp_layer *L, int n_cand, int *n_added, nnh_layer_stats *st)
{
    rank_candidates(L, n_cand);
    int added = 0, first = *n_added, quota[2] = {L->opts.max_cuts_per_round, L->opts.max_cuts_per_round};
    for (int t = 0; t < n_cand; t++) {
        const nnh_lp_cut *c = &L->cand[L->order[t]];
        if (quota[c->mv] == 0 || *n_added >= L->cap_added || is_duplicate(L, *n_added, c) ||
            is_parallel(L, first, *n_added, c))
            continue;
        nnh_lp_cut *keep = &L->added[*n_added];
        *keep = *c;
        if (c->mv) {
            keep->coef = L->added_coef + (size_t)*n_added * (size_t)L->max_prev;
            memcpy(keep->coef, c->coef, (size_t)L->nr[c->nr].env.n * sizeof(double));
        }
        (*n_added)++;
        quota[c->mv]--;
        add_cut_row(L, keep);
        added++;
        if (st) {
            if (c->mv && c->region == NNH_REGION_I)
                st->cuts_multivariate++;
            else
                st->cuts_1d++;
        }
    }
    return added;
}

/* Slack cut removal: after a round, the task's rows whose auxiliary
 * variable has been basic (the cut non-binding) for slack_rounds consecutive
 * rounds are deleted. Deleting rows with basic auxiliaries keeps the basis
 * valid and optimal, so no re-solve is needed. Depends only on the task's
 * own history (deterministic). A removed cut may be separated and added
 * again later (it then counts again against the task's cut capacity). */
static void drop_slack_cuts(nnh_lp_layer *L)
{
    int K = L->opts.slack_rounds, m = glp_get_num_rows(L->P), n_del = 0, keep = 0;
    if (K <= 0)
        return;
    for (int r = L->base_m + 1; r <= m; r++) {
        int t = r - L->base_m - 1;
        L->slack_cnt[t] = glp_get_row_stat(L->P, r) == GLP_BS ? L->slack_cnt[t] + 1 : 0;
        if (L->slack_cnt[t] >= K) {
            L->del_rows[++n_del] = r;
            L->added[L->row_cut[t]].removed = 1;
        } else {
            L->slack_cnt[keep] = L->slack_cnt[t];
            L->row_cut[keep] = L->row_cut[t];
            keep++;
        }
    }
    if (n_del > 0)
        glp_del_rows(L->P, n_del, L->del_rows);
}

int nnh_lp_cut_phase(nnh_lp_layer *L, int mv, double *best, int *n_added, nnh_layer_stats *st)
{
    for (int round = 0; round < L->opts.max_rounds; round++) {
        if ((L->task_deadline > 0.0 && nnh_now() >= L->task_deadline) ||
            L->task_iters_left == 0 || nnh_stop_requested())
            return -1; /* the task's budget is spent or a stop came: no further round */
        int n = separate_all(L, mv);
        if (n == 0 || add_cuts(L, n, n_added, st) == 0)
            return 0;
        int rc = nnh_lp_simplex(L, GLP_DUALP, 0, st);
        if (rc != 0) {
            /* a budget stop: the duals of the current basis still give a
             * rigorous bound (lp_safe.h holds for any multipliers) */
            double v = rc > 0 ? nnh_lp_stopped_bound(L) : -INFINITY;
            if (v > *best)
                *best = v;
            return -1;
        }
        double v = nnh_lp_safe_lower(L->P, L->cost, &L->safe), before = *best;
        if (v > *best)
            *best = v;
        drop_slack_cuts(L);
        if (L->opts.min_gain > 0.0 && isfinite(before) && !(*best - before >= L->opts.min_gain))
            return 0; /* the round gained too little: end the phase */
    }
    return 0;
}

double nnh_lp_cut_loop(nnh_lp_layer *L, nnh_layer_stats *st)
{
    double best = nnh_lp_safe_lower(L->P, L->cost, &L->safe);
    int n_added = 0;
    if (nnh_lp_cut_phase(L, 0, &best, &n_added, st) == 0 && L->opts.method == NNH_METHOD_HULL)
        nnh_lp_cut_phase(L, 1, &best, &n_added, st);
    return best;
}

double nnh_lp_task_solve(nnh_lp_layer *L, nnh_layer_stats *st)
{
    if (glp_factorize(L->P) != 0)
        return -INFINITY;
    int rc = nnh_lp_simplex(L, GLP_PRIMAL, 0, st);
    if (rc == 0)
        return nnh_lp_cut_loop(L, st);
    return rc > 0 ? nnh_lp_stopped_bound(L) : -INFINITY;
}
