/* The master of the distributed bounds run: regions advance layer by layer,
 * each (region, layer) unit is prepared here (IBP, CROWN) and its LP tasks
 * are handed out in small chunks to the workers (two chunks in flight each,
 * so a worker never waits on the master) and, with few workers, done by the
 * master itself when it has nothing to hand out. Workers stay on one unit
 * while it has tasks and spread over the started units, starting new regions
 * early, so that each LP context serves many tasks (see pick_unit). Results are kept per unit and applied only
 * when the unit is complete, so the LP context every rank builds from a
 * region's bounds is the same whoever builds it and whenever: the numbers do
 * not depend on the ranks or the schedule. */
#include "dist_internal.h"
#include "nnh_clock.h"
#include "engine_steps.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

static void catch_signals(int on)
{
    nnh_dist_handle_signals(on ? on_signal : NULL);
}

void nnh_dist_opts_init(nnh_dist_opts *o)
{
    memset(o, 0, sizeof *o);
    nnh_bound_opts_init(&o->bound);
    o->checkpoint_every = 1.0;
    o->chunk = 4;
    o->chunk_seconds = 1.0;
    o->master_tasks_max_workers = 7;
    o->min_tasks_per_context = 16;
    nnh_h5_meta_init(&o->meta);
}

void nnh_dist_report_free(nnh_dist_report *r, int n_layers)
{
    (void)n_layers;
    if (!r)
        return;
    if (r->bounds)
        for (int i = 0; i < r->n_regions; i++)
            nnh_bounds_free(r->bounds[i]);
    free(r->bounds);
    free(r->layer);
    free(r->stats);
    memset(r, 0, sizeof *r);
}

/* ---- units ---- */

static int out_of_time(const dist_master *m)
{
    return m->o->bound.time_limit > 0 && nnh_now() - m->t0 > m->o->bound.time_limit;
}

static int region_next(dist_master *m, int r);

/* (r, k) is final: record it, report it, checkpoint now and then */
static int unit_done(dist_master *m, int r)
{
    dist_unit *u = &m->rg[r].u;
    m->done[(size_t)r * m->L + u->k] = 1;
    nnh_layer_stats_add(&m->stats[u->k], &u->st);
    m->units_done++;
    if (m->progress)
        m->progress(m->progress_arg, r, m->R, u->k, m->L, m->units_done, m->units_total,
                    nnh_now() - m->t0);
    double t = nnh_now();
    if (m->units_done < m->units_total && t - m->last_ckpt >= m->o->checkpoint_every) {
        int rc = dist_write_file(m, m->ckpt, 0);
        if (rc)
            return rc;
        m->last_ckpt = nnh_now();
        m->prep_seconds += m->last_ckpt - t;
        dist_trace_line(m, "checkpoint", r, u->k, -1, 0, 0, 0, t, m->last_ckpt, 0, 0);
    }
    return NNH_OK;
}

static int unit_complete(dist_master *m, int r)
{
    dist_unit *u = &m->rg[r].u;
    double t0 = nnh_now();
    nnh_steps_apply(m->net, m->rg[r].b, u->k, u->res, u->n_tasks);
    double t1 = nnh_now();
    m->prep_seconds += t1 - t0;
    dist_trace_line(m, "apply", r, u->k, -1, 0, 0, 0, t0, t1, 0, 0);
    int rc = unit_done(m, r);
    return rc ? rc : region_next(m, r);
}

/* unit u now has n LP tasks, none handed out, no result, no statistics */
static int unit_reset(dist_master *m, dist_unit *u, int n)
{
    double *res = realloc(u->res, (size_t)(n ? n : 1) * sizeof *res);
    if (!res)
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory");
    u->res = res;
    for (int t = 0; t < n; t++)
        res[t] = NAN;
    u->n_tasks = n;
    u->next = u->n_done = 0;
    memset(&u->st, 0, sizeof u->st);
    return NNH_OK;
}

/* prepare the region's following layers until one has LP tasks */
static int region_next(dist_master *m, int r)
{
    dist_region *g = &m->rg[r];
    dist_unit *u = &g->u;
    if (m->offload) { /* a worker prepares the next layers (send_prep, on_prepped) */
        u->n_tasks = u->next = u->n_done = 0;
        if (u->k + 1 >= m->L) {
            u->k = m->L;
            nnh_bounds_free(g->pass);
            g->pass = NULL;
        } else
            g->prep = 1;
        return NNH_OK;
    }
    for (;;) {
        /* units without LP tasks (ibp, crown, layer 0) run back to back
         * here: stop between them when a signal came (state consistent) */
        if (g_signal && u->k + 1 < m->L)
            return NNH_EINTERRUPTED;
        int k = ++u->k;
        u->holders = 0; /* workers' contexts are of the layer before */
        if (k == m->L) {
            nnh_bounds_free(g->pass);
            g->pass = NULL;
            return NNH_OK;
        }
        double t0 = nnh_now();
        int n = nnh_steps_prepare(m->net, g->b, k, g->pass, &m->o->bound, m->err);
        double t1 = nnh_now();
        m->prep_seconds += t1 - t0;
        dist_trace_line(m, "prepare", r, k, -1, 0, 0, 0, t0, t1, 0, 0);
        if (n < 0)
            return nnh_error_prefix(m->err, "region %d, layer %d", r, k);
        int rc = unit_reset(m, u, n);
        if (rc)
            return rc;
        u->st.seconds = nnh_now() - t0;
        if (n > 0)
            return NNH_OK;
        if ((rc = unit_done(m, r)))
            return rc;
    }
}

static int region_start(dist_master *m, int r)
{
    dist_region *g = &m->rg[r];
    size_t off = (size_t)r * m->net->n_inputs;
    int rc = NNH_OK;
    nnh_bounds *fresh = NULL;
    if (!g->b)
        rc = nnh_bounds_create(m->net, m->lo + off, m->hi + off, &g->b, m->err);
    if (!rc && m->offload) { /* the worker that prepares it computes the pass */
        g->u.k = g->resume_k - 1;
        return region_next(m, r);
    }
    /* the crown pass starts from the input box alone, as in nnh_bounds_compute */
    if (!rc && g->resume_k < m->L)
        rc = nnh_bounds_create(m->net, m->lo + off, m->hi + off, &fresh, m->err);
    double t0 = nnh_now();
    if (!rc && fresh)
        rc = nnh_steps_pass(m->net, fresh, &m->o->bound, &g->pass, m->err);
    double t1 = nnh_now();
    m->prep_seconds += t1 - t0;
    dist_trace_line(m, "pass", r, -1, -1, 0, 0, 0, t0, t1, 0, 0);
    nnh_bounds_free(fresh);
    if (rc)
        return nnh_error_prefix(m->err, "region %d", r);
    if (g->pass && g_signal) { /* the pass may have stopped at IBP (nnhull/stop.h): layers
                                  prepared from it would not be final */
        nnh_bounds_free(g->pass);
        g->pass = NULL;
        return NNH_EINTERRUPTED;
    }
    g->u.k = g->resume_k - 1;
    return region_next(m, r);
}

static int has_tasks(const dist_master *m, int r)
{
    const dist_unit *u = &m->rg[r].u;
    return m->rg[r].b && u->k >= 0 && u->k < m->L && u->next < u->n_tasks;
}

/* Tasks of unit r not handed out yet. */
static int tasks_left(const dist_master *m, int r)
{
    return has_tasks(m, r) ? m->rg[r].u.n_tasks - m->rg[r].u.next : 0;
}

/* The unit to take tasks from: the one whose LP context the taker holds;
 * else the started unit that leaves the taker the most tasks (left / (holders
 * + 1)) if that is at least o->min_tasks_per_context (a context build pays
 * off); else a new region (regions run through their layers independently,
 * so starting one pipelines it with the others); else, at the end, the best
 * started unit anyway. min_tasks_per_context <= 0 is the scheduler before
 * trace-driven tuning: the lowest region with tasks left, new regions only
 * when no started one has any. When workers prepare the units (offload),
 * *prep says on entry whether the taker is idle (only then it may get a
 * preparation, which comes first: it unlocks a layer) and on return
 * whether region r is to be prepared rather than computed. -1: none. */
static int pick_unit(dist_master *m, int pr, int pk, int *prep, int *rc)
{
    int may_prep = *prep; /* the taker is idle: a preparation would not queue */
    *rc = NNH_OK;
    *prep = 0;
    if (pr >= 0 && m->rg[pr].u.k == pk && has_tasks(m, pr))
        return pr;
    while (m->first_active < m->next_region && m->rg[m->first_active].u.k >= m->L)
        m->first_active++;
    /* a unit waiting for preparation first: it unlocks a whole layer */
    for (int r = m->first_active; m->offload && may_prep && r < m->next_region; r++)
        if (m->rg[r].prep == 1) {
            *prep = 1;
            return r;
        }
    int min_share = m->o->min_tasks_per_context, best = -1, best_share = 0;
    for (int r = m->first_active; r < m->next_region; r++) {
        int left = tasks_left(m, r);
        if (left == 0)
            continue;
        if (min_share <= 0)
            return r;
        int share = left / (m->rg[r].u.holders + 1);
        if (best < 0 || share > best_share) {
            best = r;
            best_share = share;
        }
    }
    if ((best >= 0 && best_share >= min_share) || (m->offload && !may_prep))
        return best;
    while (m->next_region < m->R) {
        int r = m->next_region++;
        if ((*rc = region_start(m, r)))
            return -1;
        if (has_tasks(m, r) || m->rg[r].prep == 1) {
            *prep = m->rg[r].prep == 1;
            return r;
        }
    }
    return best;
}

/* Hand out up to max tasks of unit r; past the time limit the rest of the
 * unit keeps its crown bounds (counted as fallbacks) instead. */
static int take_tasks(dist_master *m, int r, int max, int *t, int *rc)
{
    dist_unit *u = &m->rg[r].u;
    *rc = NNH_OK;
    if (out_of_time(m)) {
        int left = u->n_tasks - u->next;
        u->st.fallbacks += left;
        u->n_done += left;
        u->next = u->n_tasks;
        if (u->n_done == u->n_tasks)
            *rc = unit_complete(m, r);
        return 0;
    }
    int n = 0;
    while (n < max && u->next < u->n_tasks)
        t[n++] = u->next++;
    return n;
}

/* ---- the master's own tasks ---- */

static int master_task(dist_master *m, int *did)
{
    *did = 0;
    int rc, t, prep = 0, r = pick_unit(m, m->ctx_r, m->ctx_k, &prep, &rc);
    if (r < 0)
        return rc;
    if (take_tasks(m, r, 1, &t, &rc) == 0) {
        *did = 1; /* progress was made (time limit) */
        return rc;
    }
    dist_unit *u = &m->rg[r].u;
    double t0 = nnh_now();
    if (m->ctx_r != r || m->ctx_k != u->k) {
        nnh_lp_layer_free(m->ctx);
        m->ctx = NULL;
        m->ctx_r = -1;
        if ((rc = nnh_lp_layer_create(m->net, m->rg[r].b, u->k, &m->o->bound, &m->ctx, m->err)))
            return nnh_error_prefix(m->err, "region %d, layer %d", r, u->k);
        m->ctx_r = r;
        m->ctx_k = u->k;
        m->n_ctx++;
        dist_trace_line(m, "context", r, u->k, -1, 0, 0, 0, t0, nnh_now(), 0, 0);
    }
    double t1 = nnh_now();
    m->ctx_seconds += t1 - t0;
    rc = nnh_lp_layer_bound(m->ctx, nnh_steps_neuron(t), nnh_steps_sense(t), &u->res[t], &u->st,
                            m->err);
    if (rc)
        return nnh_error_prefix(m->err, "region %d, layer %d, neuron %d (%s bound)", r, u->k,
                                nnh_steps_neuron(t), nnh_steps_sense(t) < 0 ? "lower" : "upper");
    if (g_signal) { /* a stop may have cut the solve short: the unit stays unfinished */
        u->res[t] = NAN;
        return NNH_EINTERRUPTED;
    }
    double t2 = nnh_now();
    dist_trace_line(m, "task", r, u->k, t, 0, ++m->chunks, 1, t1, t2, 0, 0);
    nnh_dist_layer_sched *s = &m->sched[u->k];
    s->tasks++;
    s->task_seconds += t2 - t1;
    if (t2 - t1 > s->longest_task)
        s->longest_task = t2 - t1;
    u->st.seconds += t2 - t0;
    m->busy += t2 - t0;
    *did = 1;
    if (++u->n_done == u->n_tasks)
        return unit_complete(m, r);
    return NNH_OK;
}

/* ---- workers ---- */

static int send_unit(dist_master *m, int w, int r)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, r);
    nnh_pack_int(&p, m->rg[r].u.k);
    nnh_bounds_pack(m->rg[r].b, &p);
    int bytes = (int)p.len;
    int rc = dist_send(m->d, w, TAG_UNIT, &p);
    nnh_pack_free(&p);
    if (rc)
        return nnh_error_set(m->err, rc, "out of memory sending region %d to rank %d", r, w);
    dist_peer *pe = &m->peers[w];
    if (pe->r >= 0 && m->rg[pe->r].u.k == pe->k)
        m->rg[pe->r].u.holders--;
    m->rg[r].u.holders++;
    pe->r = r;
    pe->k = m->rg[r].u.k;
    pe->unit_bytes = bytes;
    return NNH_OK;
}

/* worker w prepares region r's next layers (TAG_PREP: the region's bounds
 * and, once computed, its crown pass) */
static int send_prep(dist_master *m, int w, int r)
{
    dist_region *g = &m->rg[r];
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, r);
    nnh_pack_int(&p, g->u.k + 1);
    nnh_pack_int(&p, g->pass != NULL);
    nnh_bounds_pack(g->b, &p);
    if (g->pass)
        nnh_bounds_pack(g->pass, &p);
    int bytes = (int)p.len;
    int rc = p.failed ? NNH_ENOMEM : dist_send(m->d, w, TAG_PREP, &p);
    nnh_pack_free(&p);
    if (rc)
        return nnh_error_set(m->err, rc, "out of memory sending region %d to rank %d", r, w);
    g->prep = 2;
    dist_peer *pe = &m->peers[w];
    if (pe->r >= 0 && m->rg[pe->r].u.k == pe->k)
        m->rg[pe->r].u.holders--;
    dist_watch_lock();
    pe->r = pe->k = -1;
    pe->sent[(pe->first + pe->inflight) % 2] = (dist_chunk){r, g->u.k + 1, -1, 0, ++m->chunks,
                                                           bytes};
    pe->inflight++;
    dist_watch_unlock();
    return NNH_OK;
}

/* Mean seconds of layer k's LP tasks so far (all regions, the master's
 * tasks included), 0 while none has come back. */
static double mean_task_seconds(const dist_master *m, int k)
{
    const nnh_dist_layer_sched *s = &m->sched[k];
    return s->tasks > 0 ? s->task_seconds / (double)s->tasks : 0.0;
}

static int chunk_size(const dist_master *m, int r)
{
    const dist_unit *u = &m->rg[r].u;
    /* small at the end of a unit, so that no rank holds many of its last
     * tasks: a quarter of the share of every rank that may take them */
    int takers = m->o->min_tasks_per_context > 0 ? (u->holders > 1 ? u->holders : 1)
                                                 : m->d->size;
    int c = (u->n_tasks - u->next) / (4 * takers);
    if (c > m->o->chunk)
        c = m->o->chunk;
    /* and no longer than chunk_seconds at the layer's mean task time */
    double mean = mean_task_seconds(m, u->k);
    if (m->o->chunk_seconds > 0.0 && mean > 0.0 && m->o->chunk_seconds / mean < c)
        c = (int)(m->o->chunk_seconds / mean);
    return c < 1 ? 1 : c;
}

/* Whether worker p may get a second chunk: that hides the round trip after
 * its first, which is worth it for short tasks; behind a chunk of a layer
 * whose mean task time so far is over chunk_seconds the round trip is
 * nothing, and a second chunk would only hold tasks that an idle worker
 * could start (at the end of a unit, its last ones). */
static int may_prefetch(const dist_master *m, const dist_peer *p)
{
    const dist_chunk *c = &p->sent[p->first];
    return p->inflight == 0 || m->o->chunk_seconds <= 0.0 || c->n <= 0 ||
           !(mean_task_seconds(m, c->k) > m->o->chunk_seconds);
}

/* keep two chunks in flight at every worker (one behind long tasks) */
static int feed_workers(dist_master *m)
{
    int rc = NNH_OK, *t = malloc((size_t)(m->o->chunk > 0 ? m->o->chunk : 1) * sizeof *t);
    if (!t)
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory");
    for (int w = 1; w < m->d->size && !rc; w++) {
        dist_peer *p = &m->peers[w];
        while (p->inflight < 2 && !rc && may_prefetch(m, p)) {
            int prep = p->inflight == 0, r = pick_unit(m, p->r, p->k, &prep, &rc);
            if (r < 0)
                break;
            if (prep) {
                rc = send_prep(m, w, r);
                continue;
            }
            int k = m->rg[r].u.k, n = take_tasks(m, r, chunk_size(m, r), t, &rc);
            if (n == 0)
                continue;
            if ((p->r != r || p->k != k) && (rc = send_unit(m, w, r)))
                break;
            nnh_pack pk;
            nnh_pack_init(&pk);
            nnh_pack_int(&pk, r);
            nnh_pack_int(&pk, k);
            nnh_pack_int(&pk, n);
            for (int i = 0; i < n; i++)
                nnh_pack_int(&pk, t[i]);
            int bytes = (int)pk.len;
            if (dist_send(m->d, w, TAG_TASKS, &pk))
                rc = nnh_error_set(m->err, NNH_ENOMEM, "out of memory sending tasks");
            nnh_pack_free(&pk);
            dist_watch_lock();
            p->sent[(p->first + p->inflight) % 2] = (dist_chunk){r, k, t[0], n, ++m->chunks,
                                                                 bytes};
            p->inflight++;
            dist_watch_unlock();
        }
    }
    free(t);
    return rc;
}

static int on_result(dist_master *m, int from, nnh_unpack *u, int len)
{
    int r = nnh_unpack_int(u), k = nnh_unpack_int(u), n = nnh_unpack_int(u);
    if (u->failed || r < 0 || r >= m->R || m->rg[r].u.k != k || n < 0)
        return nnh_error_set(m->err, NNH_EINVAL, "rank %d sent results for region %d, layer %d, "
                             "which is not in progress", from, r, k);
    dist_unit *un = &m->rg[r].u;
    nnh_dist_layer_sched *s = &m->sched[k];
    const dist_chunk *c = &m->peers[from].sent[m->peers[from].first];
    for (int i = 0; i < n; i++) {
        int t = nnh_unpack_int(u);
        double v = nnh_unpack_double(u), start = nnh_unpack_double(u);
        double sec = nnh_unpack_double(u) - start;
        if (u->failed || t < 0 || t >= un->n_tasks || !isnan(un->res[t]))
            return nnh_error_set(m->err, NNH_EINVAL, "rank %d: bad result for region %d, layer "
                                 "%d, task %d", from, r, k, t);
        /* the chunk's message sizes are on each of its tasks' lines */
        dist_trace_line(m, "task", r, k, t, from, c->id, n, start, start + sec, c->bytes, len);
        /* a NaN bound would read as "no result": keep the crown bound */
        un->res[t] = v;
        s->tasks++;
        s->task_seconds += sec;
        if (sec > s->longest_task)
            s->longest_task = sec;
    }
    nnh_layer_stats st;
    nnh_unpack_bytes(u, &st, sizeof st);
    nnh_unpack_double(u); /* the worker's waiting time (not reported yet) */
    double cs = nnh_unpack_double(u), ce = nnh_unpack_double(u);
    if (!u->failed && cs > 0) {
        dist_trace_line(m, "context", r, k, -1, from, 0, 0, cs, ce, m->peers[from].unit_bytes, 0);
        m->peers[from].unit_bytes = 0;
    }
    if (u->failed)
        return nnh_error_set(m->err, NNH_EINVAL, "rank %d: truncated result message", from);
    nnh_layer_stats_add(&un->st, &st);
    dist_watch_lock();
    m->peers[from].inflight--;
    m->peers[from].first = (m->peers[from].first + 1) % 2;
    dist_watch_unlock();
    un->n_done += n;
    return un->n_done == un->n_tasks ? unit_complete(m, r) : NNH_OK;
}

/* the layers a worker prepared (layer k0 .. k1 - 1 without LP tasks, k1
 * with them, or k1 == L: the region is finished); the worker holds k1's
 * LP context now */
static int on_prepped(dist_master *m, int from, nnh_unpack *u, int len)
{
    int r = nnh_unpack_int(u), k0 = nnh_unpack_int(u), k1 = nnh_unpack_int(u);
    int n = nnh_unpack_int(u), L = m->L;
    if (u->failed || r < 0 || r >= m->R || m->rg[r].prep != 2 || k0 != m->rg[r].u.k + 1 ||
        k1 < k0 || k1 > L || n < 0 || (k1 < L) != (n > 0))
        return nnh_error_set(m->err, NNH_EINVAL, "rank %d sent a prepared layer of region %d "
                             "that was not asked for", from, r);
    dist_region *g = &m->rg[r];
    dist_unit *un = &g->u;
    double ps = nnh_unpack_double(u), pe = nnh_unpack_double(u);
    int nl = k1 < L ? k1 - k0 + 1 : L - k0;
    nnh_unpack times = *u; /* read below, once the bounds are in */
    u->pos += (size_t)nl * 2 * sizeof(double);
    if (u->pos > u->len)
        u->failed = 1;
    int rc = u->failed ? NNH_EINVAL : nnh_bounds_unpack(u, g->b, m->err);
    int computed = nnh_unpack_int(u);
    if (!rc && computed && !g->pass)
        rc = nnh_bounds_create(m->net, NULL, NULL, &g->pass, m->err);
    if (!rc && computed)
        rc = nnh_bounds_unpack(u, g->pass, m->err);
    if (rc || u->failed)
        return nnh_error_set(m->err, rc && rc != NNH_EINVAL ? rc : NNH_EINVAL, "rank %d: "
                             "truncated prepared layer of region %d", from, r);
    dist_watch_lock();
    m->peers[from].inflight--;
    m->peers[from].first = (m->peers[from].first + 1) % 2;
    dist_watch_unlock();
    g->prep = 0;
    if (ps > 0)
        dist_trace_line(m, "pass", r, -1, -1, from, 0, 0, ps, pe, 0, len);
    for (int k = k0; k < k0 + nl; k++) {
        double t0 = nnh_unpack_double(&times), t1 = nnh_unpack_double(&times);
        dist_trace_line(m, "prepare", r, k, -1, from, 0, 0, t0, t1, 0, 0);
        un->k = k;
        memset(&un->st, 0, sizeof un->st);
        un->st.seconds = t1 - t0;
        if (k == k1)
            break;
        if ((rc = unit_done(m, r)))
            return rc;
    }
    if (k1 == L) {
        un->k = L;
        nnh_bounds_free(g->pass);
        g->pass = NULL;
        return NNH_OK;
    }
    double seconds = un->st.seconds;
    if ((rc = unit_reset(m, un, n)))
        return rc;
    un->st.seconds = seconds;
    un->holders = 0;
    /* the worker keeps the context unless something was sent after the
     * preparation (which then says what it holds) */
    if (m->peers[from].inflight == 0) {
        un->holders = 1;
        m->peers[from].r = r;
        m->peers[from].k = k1;
        m->peers[from].unit_bytes = 0;
    }
    return NNH_OK;
}

static int on_error(dist_master *m, int from, nnh_unpack *u)
{
    int r = nnh_unpack_int(u), k = nnh_unpack_int(u), t = nnh_unpack_int(u);
    int code = nnh_unpack_int(u);
    char *msg = nnh_unpack_str(u);
    if (code >= 0 || code < NNH_EINTERRUPTED)
        code = NNH_EINVAL;
    if (code == NNH_EINTERRUPTED)
        nnh_error_set(m->err, code, "rank %d %s", from, msg ? msg : "was interrupted");
    else if (r < 0)
        nnh_error_set(m->err, code, "rank %d: %s", from, msg ? msg : "(no message)");
    else if (t < 0)
        nnh_error_set(m->err, code, "rank %d: region %d, layer %d: %s", from, r, k,
                      msg ? msg : "(no message)");
    else
        nnh_error_set(m->err, code, "rank %d: region %d, layer %d, neuron %d (%s bound): %s",
                      from, r, k, nnh_steps_neuron(t), nnh_steps_sense(t) < 0 ? "lower" : "upper",
                      msg ? msg : "(no message)");
    free(msg);
    return code;
}

static int handle(dist_master *m, int from, int tag, unsigned char *buf, int len)
{
    nnh_unpack u;
    nnh_unpack_init(&u, buf, (size_t)len);
    int rc = tag == TAG_RESULT    ? on_result(m, from, &u, len)
             : tag == TAG_PREPPED ? on_prepped(m, from, &u, len)
             : tag == TAG_ERROR ? on_error(m, from, &u)
                                : nnh_error_set(m->err, NNH_EINVAL, "rank %d: unexpected message "
                                                "tag %d", from, tag);
    free(buf);
    return rc;
}

/* every pending message (block: wait for one first) */
static int drain(dist_master *m, int block)
{
    for (;;) {
        unsigned char *buf;
        int from, tag, len;
        int rc = dist_recv(m->d, MPI_ANY_SOURCE, block, (volatile int *)&g_signal, &from, &tag,
                           &buf, &len);
        if (rc)
            return nnh_error_set(m->err, rc, "out of memory receiving a message");
        if (!buf)
            return NNH_OK;
        if ((rc = handle(m, from, tag, buf, len)))
            return rc;
        block = 0;
    }
}

/* Worker w is gone (killed or crashed: it sends nothing more): its name and
 * the LP tasks it had. */
static void describe_gone(const dist_master *m, int w, char *buf, size_t len)
{
    char name[160];
    dist_rank_name(m->d, w, name, sizeof name);
    const dist_peer *p = &m->peers[w];
    if (p->inflight == 0) {
        snprintf(buf, len, "%s stopped unexpectedly (killed or crashed) with no task in hand",
                 name);
        return;
    }
    const dist_chunk *c = &p->sent[p->first];
    if (c->t < 0) {
        snprintf(buf, len, "%s stopped unexpectedly (killed or crashed) while preparing region "
                 "%d, layer %d", name, c->r, c->k);
        return;
    }
    snprintf(buf, len, "%s stopped unexpectedly (killed or crashed) while computing region %d, "
             "layer %d, neuron %d (%s bound)%s", name, c->r, c->k, nnh_steps_neuron(c->t),
             nnh_steps_sense(c->t) < 0 ? "lower" : "upper",
             c->n > 1 ? " and the next tasks of its chunk" : "");
}

/* The watcher's message (dist_watch.c): the master may not get to write. */
static void watch_describe(void *arg, int w, char *buf, size_t len)
{
    const dist_master *m = arg;
    char what[NNH_ERRMSG_LEN];
    describe_gone(m, w, what, sizeof what);
    snprintf(buf, len, "%s: the job stops; %s keeps the finished (region, layer) units, rerun "
             "with --resume to continue", what, m->ckpt);
}

/* Why the launcher stopped the job, when a worker on this node is gone. 0
 * when every worker that can be checked still runs. */
static int gone_worker(dist_master *m, char *why, size_t len)
{
    int w = dist_gone_rank(m->d);
    if (w >= 0)
        describe_gone(m, w, why, len);
    return w >= 0;
}

static void stop_workers(dist_master *m)
{
    dist_stop_all(m->d);
    dist_flush(m->d, 1);
}

/* ---- the run ---- */

static int schedule(dist_master *m)
{
    int rc = NNH_OK, multi = m->d->mpi && m->d->size > 1;
    while (!rc && m->units_done < m->units_total) {
        if (g_signal)
            return NNH_EINTERRUPTED;
        if (multi && ((rc = drain(m, 0)) || (rc = feed_workers(m))))
            break;
        if (m->units_done == m->units_total)
            break;
        int did = 0;
        if (!m->offload &&
            ((rc = master_task(m, &did)) || did || m->units_done == m->units_total))
            continue;
        if (!multi) /* nothing left to do alone, yet units remain: a bug */
            return nnh_error_set(m->err, NNH_EINVAL, "scheduler stalled with %d of %d units "
                                 "done", m->units_done, m->units_total);
        double t0 = nnh_now();
        rc = drain(m, 1);
        m->idle += nnh_now() - t0;
    }
    return rc;
}

static int master_alloc(dist_master *m)
{
    int L = m->L;
    m->rg = calloc((size_t)m->R, sizeof *m->rg);
    m->done = calloc((size_t)m->R * L, 1);
    m->stats = calloc((size_t)L, sizeof *m->stats);
    m->sched = calloc((size_t)L, sizeof *m->sched);
    m->peers = calloc((size_t)m->d->size, sizeof *m->peers);
    if (!m->rg || !m->done || !m->stats || !m->sched || !m->peers)
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory for %d regions", m->R);
    for (int w = 0; w < m->d->size; w++)
        m->peers[w].r = m->peers[w].k = -1;
    m->ctx_r = m->ctx_k = -1;
    m->units_total = m->R * L;
    m->offload = m->d->mpi && m->d->size > 1 && m->d->size - 1 > m->o->master_tasks_max_workers;
    return NNH_OK;
}

static void master_free(dist_master *m)
{
    for (int r = 0; m->rg && r < m->R; r++) {
        nnh_bounds_free(m->rg[r].b);
        nnh_bounds_free(m->rg[r].pass);
        free(m->rg[r].u.res);
    }
    free(m->rg);
    free(m->done);
    free(m->stats);
    free(m->sched);
    free(m->peers);
    free(m->ckpt);
    nnh_lp_layer_free(m->ctx);
    dist_trace_close(m);
}

/* move results into the caller's report */
static void fill_report(dist_master *m, nnh_dist_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->ranks = m->d->size;
    rep->n_regions = m->R;
    rep->units_total = m->units_total;
    rep->units_resumed = m->units_resumed;
    rep->wall = nnh_now() - m->t0;
    rep->master_busy = m->busy + m->prep_seconds;
    rep->master_contexts = m->ctx_seconds;
    rep->master_prepare = m->prep_seconds;
    rep->n_contexts = m->n_ctx;
    rep->master_idle = m->idle;
    rep->messages = m->d->messages;
    rep->layer = m->sched;
    rep->stats = m->stats;
    m->sched = NULL;
    m->stats = NULL;
    rep->bounds = calloc((size_t)m->R, sizeof *rep->bounds);
    for (int r = 0; rep->bounds && r < m->R; r++) {
        rep->bounds[r] = m->rg[r].b;
        m->rg[r].b = NULL;
    }
}

static int job_broadcast(dist_master *m)
{
    if (!m->d->mpi || m->d->size == 1)
        return NNH_OK;
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, JOB_BOUNDS);
    nnh_network_pack(m->net, &p);
    /* engine options as raw bytes: every rank runs this very binary */
    nnh_pack_bytes(&p, &m->o->bound, sizeof m->o->bound);
    if (p.failed) {
        nnh_pack_free(&p);
        dist_bcast_job(m->d, 1, NULL);
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory packing the network");
    }
    dist_bcast_job(m->d, -1, &p);
    nnh_pack_free(&p);
    return NNH_OK;
}

static int run_master(dist_master *m, nnh_dist_report *report)
{
    int complete = 0, rc = master_alloc(m);
    if (!rc)
        dist_watch_start(m->d, watch_describe, m);
    if (!rc && !m->o->resume && access(m->ckpt, F_OK) == 0)
        rc = nnh_error_set(m->err, NNH_EINVAL, "%s exists (an interrupted run): continue it "
                           "with --resume, or delete it", m->ckpt);
    if (!rc && m->o->resume)
        rc = dist_resume(m, &complete);
    /* written at once: an unwritable output fails before any work */
    int wrote = 0;
    if (!rc && !complete && !(wrote = !(rc = dist_write_file(m, m->ckpt, 0))))
        nnh_error_prefix(m->err, "%s: cannot write its checkpoint", m->out);
    if (!rc && !complete)
        rc = dist_trace_open(m);
    if (!rc && !complete)
        rc = schedule(m);
    /* the launcher's SIGTERM after a rank died: name the rank (asked before
     * the stop, after which workers exit) */
    dist_watch_stop();
    char why[NNH_ERRMSG_LEN];
    int gone = rc == NNH_EINTERRUPTED && g_signal && gone_worker(m, why, sizeof why);
    /* after a signal the checkpoint comes first: mpirun's SIGKILL follows
     * its SIGTERM by about a second, and stopping workers may wait on them */
    int wrc = rc == NNH_EINTERRUPTED ? dist_write_file(m, m->ckpt, 0) : NNH_OK;
    if (m->d->mpi && m->d->size > 1)
        stop_workers(m);
    if (rc == NNH_EINTERRUPTED) {
        if (!gone && g_signal)
            snprintf(why, sizeof why, "interrupted by signal %d", (int)g_signal);
        else if (!gone)
            snprintf(why, sizeof why, "%s", m->err->msg);
        nnh_error_set(m->err, NNH_EINTERRUPTED,
                      "%s: %s holds %d of %d (region, layer) units%s; rerun with --resume to "
                      "continue", why, m->ckpt, m->units_done, m->units_total,
                      wrc ? " (but writing it failed)" : "");
        return rc;
    }
    if (!rc && !complete)
        rc = dist_write_file(m, m->out, 1);
    if (!rc || (wrote && m->units_done == 0))
        remove(m->ckpt); /* done, or nothing worth keeping */
    else if (wrote) {
        char msg[NNH_ERRMSG_LEN];
        snprintf(msg, sizeof msg, "%s", m->err->msg);
        nnh_error_set(m->err, rc, "%.700s (finished work is kept in %.200s; --resume continues "
                      "it)", msg, m->ckpt);
    }
    if (!rc && report)
        fill_report(m, report);
    return rc;
}

int nnh_dist_run(nnh_dist *d, const nnh_network *net, int n_regions, const double *lo,
                 const double *hi, const char *out, const nnh_dist_opts *o,
                 nnh_dist_progress_fn progress, void *progress_arg, nnh_dist_report *report,
                 nnh_error *err)
{
    dist_master m;
    memset(&m, 0, sizeof m);
    m.d = d;
    m.net = net;
    m.o = o;
    m.meta = o->meta;
    m.meta.mpi_ranks = d->size;
    m.R = n_regions;
    m.L = net->n_layers;
    m.lo = lo;
    m.hi = hi;
    m.out = out;
    m.progress = progress;
    m.progress_arg = progress_arg;
    m.err = err;
    m.t0 = m.last_ckpt = nnh_now();
    m.ckpt = nnh_dist_checkpoint_path(out);
    int rc = m.ckpt ? NNH_OK : nnh_error_set(err, NNH_ENOMEM, "out of memory");
    if (!rc && !m.meta.network_sha256 && m.meta.network_path && m.meta.network_path[0]) {
        rc = nnh_sha256_file(m.meta.network_path, m.sha, err);
        m.meta.network_sha256 = m.sha;
    }
    /* the workers are waiting for the job whatever happens */
    if (rc)
        dist_bcast_job(d, 1, NULL);
    else
        rc = job_broadcast(&m);
    if (!rc) {
        g_signal = 0;
        catch_signals(1);
        rc = run_master(&m, report);
        dist_watch_stop();
        catch_signals(0);
    }
    master_free(&m);
    return rc;
}

char *nnh_dist_checkpoint_path(const char *out)
{
    size_t n = strlen(out);
    char *p = malloc(n + 16);
    if (!p)
        return NULL;
    if (n > 3 && !strcmp(out + n - 3, ".h5"))
        snprintf(p, n + 16, "%.*s.partial.h5", (int)(n - 3), out);
    else
        snprintf(p, n + 16, "%s.partial.h5", out);
    return p;
}
