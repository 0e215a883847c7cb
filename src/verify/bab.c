/* Branch and bound of `verify`: the session (queue of regions, accounting,
 * verdict) that the serial driver here and the MPI master drive. Every case
 * group is falsified first (the large budget shared by the groups), then
 * regions are decided best-first (smallest falsification margin first), open
 * ones halved along the input nnh_verify_region chose; a group's root that
 * bounding leaves open gets the rest of its falsification budget then. */
#include "verify_internal.h"
#include "bab_split.h"
#include "bab_queue.h"
#include "verify_tighten.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BAB_BREADTH 4 /* see nnh_bab_next */

/* One allocation holds the region and its arrays (free() releases it). */
static nnh_bab_region *region_new(int n_in, int n_cases)
{
    size_t sz = sizeof(nnh_bab_region) + 2 * (size_t)n_in * sizeof(double) + (size_t)n_cases;
    nnh_bab_region *r = calloc(1, sz);
    if (!r)
        return NULL;
    r->lo = (double *)(r + 1);
    r->hi = r->lo + n_in;
    r->active = (unsigned char *)(r->hi + n_in);
    return r;
}

nnh_bab_region *nnh_bab_root(const nnh_verify_problem *P, int g)
{
    int nc = nnh_verify_group_cases(P, g);
    nnh_bab_region *r = region_new(P->n_in, nc);
    if (!r)
        return NULL;
    const double *lo, *hi;
    nnh_verify_group_box(P, g, &lo, &hi);
    r->group = g;
    /* Box literals were rounded to nearest by the reader: widen by one ulp so
     * that a proof covers the exact decimal box (counterexamples are still
     * re-checked against the box as read). A zero stays: the reader refuses
     * a literal that rounds to zero, and its outward arithmetic gives zero
     * only exactly; one step from zero is a subnormal, and subnormals in
     * the box made every product with them slow (crown-alpha on MNIST, where
     * most pixels' lower bound is 0, took 6x as long). */
    for (int j = 0; j < P->n_in; j++) {
        r->lo[j] = isfinite(lo[j]) && lo[j] != 0.0 ? nnh_down(lo[j]) : lo[j];
        r->hi[j] = isfinite(hi[j]) && hi[j] != 0.0 ? nnh_up(hi[j]) : hi[j];
    }
    memset(r->active, 1, (size_t)nc);
    return r;
}

void nnh_bab_region_free(nnh_bab_region *r)
{
    if (r) {
        nnh_bounds_free(r->hint);
        free(r->splits);
    }
    free(r);
}

/* What every child of open region R shares: R's group and box, depth + 1,
 * priority res->min_margin, and res's bounds as its hint (they hold on any
 * part of R's domain; without memory for them, none). Splits and active
 * cases are the caller's. NULL when out of memory. */
static nnh_bab_region *child_of(const nnh_verify_problem *P, const nnh_bab_region *R,
                                const nnh_region_result *res)
{
    int n = P->n_in;
    nnh_bab_region *c = region_new(n, nnh_verify_group_cases(P, R->group));
    if (!c)
        return NULL;
    c->group = R->group;
    c->depth = R->depth + 1;
    c->priority = res->min_margin;
    memcpy(c->lo, R->lo, (size_t)n * sizeof(double));
    memcpy(c->hi, R->hi, (size_t)n * sizeof(double));
    if (res->bounds && nnh_bounds_copy(res->bounds, &c->hint, NULL))
        c->hint = NULL;
    return c;
}

int nnh_bab_split(const nnh_verify_problem *P, const nnh_bab_region *R,
                  const nnh_region_result *res, nnh_bab_region *half[2])
{
    int nc = nnh_verify_group_cases(P, R->group), j = res->split_dim;
    double mid = j >= 0 ? 0.5 * R->lo[j] + 0.5 * R->hi[j] : 0.0;
    half[0] = child_of(P, R, res);
    half[1] = child_of(P, R, res);
    if (!half[0] || !half[1] || nnh_splits_children(R, res, half)) {
        nnh_bab_region_free(half[0]);
        nnh_bab_region_free(half[1]);
        half[0] = half[1] = NULL;
        return NNH_ENOMEM;
    }
    for (int side = 0; side < 2; side++) {
        nnh_bab_region *c = half[side];
        if (j >= 0 && side == 0)
            c->hi[j] = mid;
        else if (j >= 0)
            c->lo[j] = mid;
        for (int k = 0; k < nc; k++)
            c->active[k] = R->active[k] && !res->closed[k];
    }
    return NNH_OK;
}

/* The cases of R still open after res: active and not closed. */
static int open_cases(const nnh_verify_problem *P, const nnh_bab_region *R,
                      const nnh_region_result *res)
{
    int n = 0, nc = nnh_verify_group_cases(P, R->group);
    for (int c = 0; c < nc; c++)
        n += R->active[c] && !res->closed[c];
    return n;
}

/* Case c of R alone (child_of, with R's splits); NULL when out of memory. */
static nnh_bab_region *case_child(const nnh_verify_problem *P, const nnh_bab_region *R,
                                  const nnh_region_result *res, int c)
{
    nnh_bab_region *k = child_of(P, R, res);
    if (!k)
        return NULL;
    k->active[c] = 1; /* region_new zeroes the others */
    if (R->n_splits) {
        k->splits = malloc((size_t)R->n_splits * sizeof *k->splits);
        if (!k->splits) {
            nnh_bab_region_free(k);
            return NULL;
        }
        memcpy(k->splits, R->splits, (size_t)R->n_splits * sizeof *k->splits);
        k->n_splits = R->n_splits;
    }
    return k;
}

/* A case split: R is proved when each of its open cases is, so each gets a
 * region of its own (the same domain) and a search of its own, whose
 * neuron splits serve that case alone. */
static int split_cases(const nnh_verify_problem *P, const nnh_bab_region *R,
                       const nnh_region_result *res, nnh_bab_queue *h)
{
    int nc = nnh_verify_group_cases(P, R->group);
    for (int c = 0; c < nc; c++) {
        if (!R->active[c] || res->closed[c])
            continue;
        nnh_bab_region *k = case_child(P, R, res, c);
        if (!k)
            return NNH_ENOMEM;
        if (nnh_bab_queue_push(h, k)) {
            nnh_bab_region_free(k);
            return NNH_ENOMEM;
        }
    }
    return NNH_OK;
}

/* 1 when open region R is split by case (nnh_verify_opts.case_split): it
 * asks for a neuron split and two or more of its cases are open. */
static int by_case(const nnh_verify_problem *P, const nnh_verify_opts *o,
                   const nnh_bab_region *R, const nnh_region_result *res)
{
    return o->case_split && res->status == NNH_REGION_OPEN && res->split_layer >= 0 &&
           open_cases(P, R, res) >= 2;
}

/* The children of open region R into h: one per open case (by_case), or
 * the two of its input or neuron split. */
static int split(const nnh_verify_problem *P, int case_split, const nnh_bab_region *R,
                 const nnh_region_result *res, nnh_bab_queue *h)
{
    if (case_split)
        return split_cases(P, R, res, h);
    nnh_bab_region *half[2];
    if (nnh_bab_split(P, R, res, half))
        return NNH_ENOMEM;
    if (nnh_bab_queue_push(h, half[0])) {
        nnh_bab_region_free(half[0]);
        nnh_bab_region_free(half[1]);
        return NNH_ENOMEM;
    }
    if (nnh_bab_queue_push(h, half[1])) {
        nnh_bab_region_free(half[1]);
        return NNH_ENOMEM;
    }
    return NNH_OK;
}

static int record_cex(const nnh_verify_problem *P, const nnh_region_result *rr,
                      nnh_verify_result *res)
{
    if (!res->cex_x)
        res->cex_x = malloc((size_t)P->n_in * sizeof(double));
    if (!res->cex_y)
        res->cex_y = malloc((size_t)P->n_out * sizeof(double));
    if (!res->cex_x || !res->cex_y)
        return NNH_ENOMEM;
    memcpy(res->cex_x, rr->x, (size_t)P->n_in * sizeof(double));
    memcpy(res->cex_y, rr->y, (size_t)P->n_out * sizeof(double));
    res->cex_case = rr->cex_case;
    res->verdict = NNH_VERDICT_SAT;
    return NNH_OK;
}

struct nnh_bab {
    nnh_verify_problem *P;
    const nnh_verify_opts *o;
    double t0, deadline;
    nnh_bab_queue h;
    long started;            /* regions handed out by nnh_bab_next */
    long reported;           /* of which given back to nnh_bab_report */
    int over;                /* sat, timeout or region limit: hand out nothing more */
    int shares;              /* root falsification budget split over the groups */
    nnh_region_result frr;   /* the deferred falsification's result */
    nnh_verify_result *res;
    nnh_verify_progress_fn progress;
    void *progress_arg;
};

const nnh_verify_problem *nnh_bab_problem(const nnh_bab *B) { return B->P; }
double nnh_bab_deadline(const nnh_bab *B) { return B->deadline; }
int nnh_bab_over(const nnh_bab *B) { return B->over; }
long nnh_bab_queued(const nnh_bab *B) { return B->h.n; }

/* Roots: one region per case group, falsified with the large budget when
 * there is one group; with n groups, each gets 1/n of it now (so thousands
 * of boxes cost what one does) and the rest only if bounding leaves its root
 * open (deferred_falsify): budget goes where proving failed. */
static int roots(nnh_bab *B, nnh_error *err)
{
    const nnh_verify_problem *P = B->P;
    nnh_region_result rr;
    int rc = nnh_region_result_init(P, &rr, err);
    B->shares = nnh_verify_problem_groups(P);
    for (int g = 0; !rc && g < nnh_verify_problem_groups(P); g++) {
        nnh_bab_region *r = nnh_bab_root(P, g);
        if (!r) {
            rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
            break;
        }
        rc = nnh_verify_falsify_part(P, r, B->o, B->shares, 0, B->deadline, &rr, err);
        B->res->seconds_falsify += rr.seconds_falsify;
        r->priority = rr.min_margin;
        if (rc || nnh_bab_queue_push(&B->h, r)) {
            nnh_bab_region_free(r);
            if (!rc)
                rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
            break;
        }
        if (rr.status == NNH_REGION_SAT) {
            if (record_cex(P, &rr, B->res))
                rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
            B->over = 1;
            break;
        }
    }
    nnh_region_result_free(&rr);
    return rc;
}

int nnh_bab_begin(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                  nnh_verify_result *res, nnh_verify_progress_fn progress, void *progress_arg,
                  nnh_bab **out, nnh_error *err)
{
    nnh_error_clear(err);
    memset(res, 0, sizeof *res);
    res->verdict = NNH_VERDICT_UNKNOWN;
    res->cex_case = -1;
    res->ranks = 1;
    *out = NULL;
    nnh_bab *B = calloc(1, sizeof *B);
    if (!B)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    B->o = o;
    B->res = res;
    B->progress = progress;
    B->progress_arg = progress_arg;
    B->t0 = nnh_now();
    B->deadline = o->timeout > 0 ? B->t0 + o->timeout : 0;
    int rc = nnh_verify_problem_create(net, spec, &B->P, err);
    if (!rc)
        rc = nnh_region_result_init(B->P, &B->frr, err);
    if (!rc)
        rc = roots(B, err);
    if (rc) {
        nnh_bab_end(B);
        return rc;
    }
    *out = B;
    return NNH_OK;
}

nnh_bab_region *nnh_bab_next(nnh_bab *B)
{
    if (B->over || B->h.n == 0)
        return NULL;
    if (B->deadline > 0 && nnh_now() > B->deadline) {
        B->res->verdict = NNH_VERDICT_TIMEOUT;
        B->over = 1;
        return NULL;
    }
    if (B->o->max_regions > 0 && B->started >= B->o->max_regions) {
        B->res->verdict = NNH_VERDICT_UNKNOWN;
        B->over = 1;
        return NULL;
    }
    /* best-first by margin, but every BAB_BREADTH-th region is the
     * shallowest: a dive toward a point where the margin only touches 0 (it
     * never turns negative) would otherwise hold the search forever, as one
     * did on ACAS Xu 5_3/prop_2 with 2 ranks (132k regions to depth 58
     * while the counterexample sat elsewhere at depth 20) */
    return nnh_bab_queue_take(&B->h, ++B->started % BAB_BREADTH == 0);
}

static void account(nnh_verify_result *res, const nnh_bab_region *R, const nnh_region_result *rr,
                    int case_split)
{
    res->regions++;
    res->seconds_falsify += rr->seconds_falsify;
    res->seconds_bounds += rr->seconds_bounds;
    res->escalations += rr->escalated;
    if (R->depth > res->max_depth)
        res->max_depth = R->depth;
    if (rr->status == NNH_REGION_UNSAT)
        res->regions_unsat++;
    if (rr->status == NNH_REGION_STUCK)
        res->regions_stuck++;
    if (case_split)
        res->case_splits++;
    else if (rr->status == NNH_REGION_OPEN && rr->split_layer >= 0)
        res->neuron_splits++;
}

/* An open root of one of several groups: the rest of its falsification
 * budget (see roots); a counterexample ends the run. */
static int deferred_falsify(nnh_bab *B, const nnh_bab_region *R, nnh_error *err)
{
    int rc = nnh_verify_falsify_part(B->P, R, B->o, B->shares, 1, B->deadline, &B->frr, err);
    B->res->seconds_falsify += B->frr.seconds_falsify;
    if (!rc && B->frr.status == NNH_REGION_SAT && B->res->verdict != NNH_VERDICT_SAT) {
        B->over = 1;
        if (record_cex(B->P, &B->frr, B->res))
            rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    }
    return rc;
}

int nnh_bab_report(nnh_bab *B, nnh_bab_region *R, const nnh_region_result *rr, nnh_error *err)
{
    nnh_verify_result *res = B->res;
    int rc = NNH_OK;
    int case_split = by_case(B->P, B->o, R, rr);
    B->reported++;
    account(res, R, rr, case_split);
    if (rr->status == NNH_REGION_OPEN && R->depth == 0 && B->shares > 1 && !B->over) {
        if ((rc = deferred_falsify(B, R, err))) {
            nnh_bab_region_free(R);
            return rc;
        }
    }
    if (rr->status == NNH_REGION_SAT && res->verdict != NNH_VERDICT_SAT) {
        rc = record_cex(B->P, rr, res);
        B->over = 1;
    } else if (rr->status == NNH_REGION_OPEN && !B->over)
        rc = split(B->P, case_split, R, rr, &B->h);
    nnh_bab_region_free(R);
    if (B->h.n > res->max_queue)
        res->max_queue = B->h.n;
    if (B->progress && B->progress(B->progress_arg, res->regions, B->h.n,
                                   nnh_now() - B->t0) && !B->over) {
        B->over = 1; /* stopped by the caller */
        res->verdict = NNH_VERDICT_UNKNOWN;
    }
    return rc ? nnh_error_set(err, rc, "verify: out of memory") : NNH_OK;
}

typedef struct tighten_stop {
    nnh_bab *B;
    nnh_tighten_stop_fn stop;
    void *arg;
} tighten_stop;

/* the caller's stop test, then the session's progress callback (Ctrl-C) */
static int tighten_should_stop(void *arg)
{
    tighten_stop *s = arg;
    nnh_bab *B = s->B;
    if (s->stop && s->stop(s->arg))
        return 1;
    return B->progress && B->progress(B->progress_arg, 0, B->h.n, nnh_now() - B->t0);
}

int nnh_bab_tighten(nnh_bab *B, nnh_tighten_layer_fn run, void *run_arg,
                    nnh_tighten_stop_fn stop, void *stop_arg, nnh_error *err)
{
    nnh_verify_result *res = B->res;
    tighten_stop ts = {B, stop, stop_arg};
    double t0 = nnh_now();
    /* The two decisions around the tightening run without alpha-CROWN: its
     * hidden-layer pass is serial on this rank (minutes on a loose 784-input
     * ReLU root) and branch and bound runs it once on the tightened root
     * anyway. The tightening starts from crown's bounds either way. */
    nnh_verify_opts oc = *B->o;
    oc.alpha = NNH_ALPHA_OFF;
    nnh_region_result rr;
    int rc = nnh_region_result_init(B->P, &rr, err);
    for (long i = 0; i < B->h.n && !rc && !B->over; i++) { /* the roots, in queue order */
        if (B->deadline > 0 && nnh_now() > B->deadline)
            break; /* nnh_bab_next reports the timeout */
        nnh_bab_region *R = nnh_bab_queue_at(&B->h, i);
        nnh_method m = nnh_tighten_method(B->P, R->group, B->o);
        if (m < NNH_METHOD_LP1D)
            continue;
        /* a root crown already decides needs no LP on every layer
         * (branch and bound decides it again, at the same small cost) */
        if ((rc = nnh_verify_region(B->P, R, &oc, B->deadline, &rr, err)))
            break;
        if (rr.status != NNH_REGION_OPEN)
            continue;
        /* how much of each layer (auto: from the cost of the root's open
         * neurons on a ReLU net) */
        double f = nnh_tighten_fraction(B->P, R->group, B->o, rr.bounds);
        if (f <= 0.0)
            continue;
        /* how deep its LPs look (auto: the deepest window the timeout allows) */
        nnh_verify_opts ow = *B->o;
        int w = nnh_tighten_window(B->P, R->group, B->o, rr.bounds, f);
        ow.tighten_opts.window = w;
        if (!res->tightened || (res->tighten_window != 0 && (w == 0 || w > res->tighten_window)))
            res->tighten_window = w; /* the deepest; 0 (whole prefix) deepest of all */
        double before = rr.best_lb;
        unsigned long long d = 0;
        rc = nnh_tighten_region(B->P, R, &ow, m, f, B->deadline, run, run_arg,
                                tighten_should_stop, &ts, &res->tighten_tasks, &d, err);
        int stopped = !rc && tighten_should_stop(&ts); /* then no second crown (~1 s) */
        if (!rc && !stopped) /* what the tightening gained, for the statistics */
            rc = nnh_verify_region(B->P, R, &oc, B->deadline, &rr, err);
        if (rc)
            break;
        double after = rr.status == NNH_REGION_UNSAT ? INFINITY : rr.best_lb;
        res->tighten_lb[0] = res->tightened ? fmin(res->tighten_lb[0], before) : before;
        res->tighten_lb[1] = res->tightened ? fmin(res->tighten_lb[1], after) : after;
        res->tightened++;
        res->tighten_digest = res->tighten_digest * 0x100000001b3ULL ^ d;
        if (stopped || tighten_should_stop(&ts)) { /* stopped by the caller: as in nnh_bab_report */
            B->over = 1;
            res->verdict = NNH_VERDICT_UNKNOWN;
        }
    }
    nnh_region_result_free(&rr);
    res->seconds_tighten += nnh_now() - t0;
    return rc;
}

void nnh_bab_end(nnh_bab *B)
{
    if (!B)
        return;
    nnh_verify_result *res = B->res;
    /* the queue ran dry without a limit or a counterexample and every region
     * handed out came back: every leaf was closed (unsat) unless one was too
     * small to split. A region lost to an error leaves the verdict unknown. */
    if (!B->over && B->h.n == 0 && B->P && B->reported == B->started)
        res->verdict = res->regions_stuck ? NNH_VERDICT_UNKNOWN : NNH_VERDICT_UNSAT;
    nnh_bab_queue_clear(&B->h);
    nnh_region_result_free(&B->frr);
    nnh_verify_problem_free(B->P);
    res->seconds = nnh_now() - B->t0;
    free(B);
}

int nnh_verify(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
               nnh_verify_result *res, nnh_verify_progress_fn progress, void *progress_arg,
               nnh_error *err)
{
    nnh_bab *B;
    int rc = nnh_bab_begin(net, spec, o, res, progress, progress_arg, &B, err);
    if (rc)
        return rc;
    if ((rc = nnh_bab_tighten(B, NULL, NULL, NULL, NULL, err))) {
        nnh_bab_end(B);
        return rc;
    }
    nnh_region_result rr;
    rc = nnh_region_result_init(B->P, &rr, err);
    nnh_bab_region *R;
    while (!rc && (R = nnh_bab_next(B))) {
        rc = nnh_verify_region(B->P, R, o, B->deadline, &rr, err);
        if (rc)
            nnh_bab_region_free(R);
        else
            rc = nnh_bab_report(B, R, &rr, err);
    }
    nnh_region_result_free(&rr);
    nnh_bab_end(B);
    return rc;
}

void nnh_verify_result_free(nnh_verify_result *r)
{
    free(r->cex_x);
    free(r->cex_y);
    r->cex_x = r->cex_y = NULL;
}
