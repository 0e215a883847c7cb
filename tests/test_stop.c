/* The process-wide stop request (nnhull/stop.h) on LP bound tasks: a stop
 * before a task starts no simplex; a stop during a long solve ends it
 * promptly (at GLPK's next progress output, every 100 ms); either way the
 * task answers a bound that sampled points of the box respect and that is
 * never looser than the context's creation (crown) bound, and the same
 * task run again without a stop gives the uninterrupted bound bit for bit
 * (the progress output that polls the request does not change a solve: the
 * bound files equal those of the silent solves before it, docs/benchmarks.md
 * section 4.1). */
#include "nnh_soundness.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "nnh_clock.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_IN 40

/* 40 -> 100 -> 100 -> 100 -> 4 sigmoid net over [-1, 1]^40: the LP of layer
 * 3 over the whole prefix takes a large share of a second per task */
static nnh_network *big_net(void)
{
    unsigned long long st = 99;
    int sizes[] = {N_IN, 100, 100, 100, 4};
    nnh_network *net = nnh_test_random_net(4, sizes, 0.5, &st);
    for (int k = 0; k + 1 < net->n_layers; k++)
        nnh_act_default(&net->layers[k].act, NNH_ACT_SIGMOID);
    return net;
}

typedef struct fixture {
    nnh_network *net;
    double lo[N_IN], hi[N_IN];
    nnh_bounds *b; /* crown bounds */
    nnh_bound_opts o;
} fixture;

static void setup(fixture *f)
{
    nnh_error err;
    f->net = big_net();
    for (int i = 0; i < N_IN; i++)
        f->lo[i] = -1.0, f->hi[i] = 1.0;
    ck_assert_int_eq(nnh_bounds_create(f->net, f->lo, f->hi, &f->b, &err), 0);
    nnh_bound_opts_init(&f->o);
    f->o.method = NNH_METHOD_CROWN;
    ck_assert_int_eq(nnh_bounds_compute(f->net, f->b, &f->o, NULL, NULL, NULL, &err), 0);
    f->o.method = NNH_METHOD_HULL;
}

static void teardown(fixture *f)
{
    nnh_bounds_free(f->b);
    nnh_network_free(f->net);
    nnh_stop_clear();
}

/* v from task (i, sense) of layer k: never looser than crown, and sampled
 * points of the box respect it (it replaces the bound in f->b meanwhile) */
static void check_task_bound(fixture *f, int k, int i, int sense, double v)
{
    nnh_layer_bounds *L = &f->b->layers[k];
    double *slot = sense < 0 ? &L->pre_lo[i] : &L->pre_hi[i], keep = *slot;
    ck_assert(!isnan(v));
    ck_assert_msg(sense < 0 ? v >= keep : v <= keep, "neuron %d side %d: %.17g looser than "
                  "crown %.17g", i, sense, v, keep);
    *slot = v;
    const nnh_bounds *bs[1] = {f->b};
    nnh_sample_report rep;
    nnh_sample_check(f->net, bs, 1, f->lo, f->hi, 400, 5 + (unsigned)i, &rep);
    ck_assert_msg(rep.worst <= NNH_SAMPLE_TOL, "%s", nnh_sample_describe(&rep));
    *slot = keep;
}

START_TEST(stop_before_tasks)
{
    fixture f;
    setup(&f);
    nnh_error err;
    nnh_lp_layer *ctx;
    ck_assert_int_eq(nnh_lp_layer_create(f.net, f.b, 2, &f.o, &ctx, &err), 0);
    nnh_stop_request(15);
    ck_assert_int_eq(nnh_stop_requested(), 15);
    nnh_layer_stats st;
    memset(&st, 0, sizeof st);
    double stopped[4];
    for (int t = 0; t < 4; t++) { /* neurons 0 and 1, both sides */
        ck_assert_int_eq(nnh_lp_layer_bound(ctx, t / 2, t % 2 ? 1 : -1, &stopped[t], &st, &err),
                         0);
        check_task_bound(&f, 2, t / 2, t % 2 ? 1 : -1, stopped[t]);
    }
    ck_assert_int_eq(st.simplex_iters, 0); /* no solve started after the request */
    ck_assert_int_eq(st.cuts_1d + st.cuts_multivariate, 0);
    nnh_stop_clear();
    ck_assert_int_eq(nnh_stop_requested(), 0);
    memset(&st, 0, sizeof st);
    for (int t = 0; t < 4; t++) { /* the same context works on, at least as tight */
        double v;
        ck_assert_int_eq(nnh_lp_layer_bound(ctx, t / 2, t % 2 ? 1 : -1, &v, &st, &err), 0);
        check_task_bound(&f, 2, t / 2, t % 2 ? 1 : -1, v);
        ck_assert(t % 2 ? v <= stopped[t] : v >= stopped[t]);
    }
    ck_assert_int_gt(st.simplex_iters, 0);
    nnh_lp_layer_free(ctx);

    /* nnh_bounds_compute after a request: the LP tasks keep crown bounds */
    nnh_bounds *b = NULL;
    ck_assert_int_eq(nnh_bounds_create(f.net, f.lo, f.hi, &b, &err), 0);
    nnh_layer_stats ls[4];
    memset(ls, 0, sizeof ls);
    nnh_stop_request(1);
    ck_assert_int_eq(nnh_bounds_compute(f.net, b, &f.o, ls, NULL, NULL, &err), 0);
    ck_assert_int_eq(ls[1].fallbacks, 2 * f.net->layers[1].n_out);
    ck_assert_int_eq(ls[3].simplex_iters, 0);
    const nnh_bounds *bs[1] = {b};
    nnh_sample_report rep;
    nnh_sample_check(f.net, bs, 1, f.lo, f.hi, 400, 3, &rep);
    ck_assert_msg(rep.worst <= NNH_SAMPLE_TOL, "%s", nnh_sample_describe(&rep));
    nnh_bounds_free(b);
    teardown(&f);
}
END_TEST

static void *request_later(void *arg)
{
    struct timespec ts = {0, *(long *)arg};
    nanosleep(&ts, NULL);
    nnh_stop_request(15);
    return NULL;
}

/* one task (neuron i's upper bound of layer 3) on a fresh context, with a stop
 * requested delay_ns after it starts (delay_ns < 0: none) */
static double timed_task(fixture *f, int i, long delay_ns, nnh_layer_stats *st, double *secs)
{
    nnh_error err;
    nnh_lp_layer *ctx;
    ck_assert_int_eq(nnh_lp_layer_create(f->net, f->b, 3, &f->o, &ctx, &err), 0);
    memset(st, 0, sizeof *st);
    pthread_t th;
    if (delay_ns >= 0)
        ck_assert_int_eq(pthread_create(&th, NULL, request_later, &delay_ns), 0);
    double v, t0 = nnh_now();
    ck_assert_int_eq(nnh_lp_layer_bound(ctx, i, 1, &v, st, &err), 0);
    *secs = nnh_now() - t0;
    if (delay_ns >= 0)
        pthread_join(th, NULL);
    nnh_lp_layer_free(ctx);
    nnh_stop_clear();
    return v;
}

START_TEST(stop_during_solve)
{
    fixture f;
    setup(&f);
    nnh_layer_stats full_st, st;
    double full_s, s;
    double full = timed_task(&f, 0, -1, &full_st, &full_s);
    check_task_bound(&f, 3, 0, 1, full);
    /* the stop comes after a tenth of the task's time: the answer is sound
     * and never looser than crown; the solve in progress ended early */
    long delay = (long)(full_s * 0.1 * 1e9);
    double v = timed_task(&f, 0, delay, &st, &s);
    check_task_bound(&f, 3, 0, 1, v);
    printf("stop_during_solve: full task %.3f s (%ld simplex iterations), stopped after %.3f s "
           "at %.3f s: %ld iterations, %ld fallbacks, bound %.6g (full %.6g, crown %.6g)\n",
           full_s, full_st.simplex_iters, (double)delay * 1e-9, s, st.simplex_iters,
           st.fallbacks, v, full, f.b->layers[3].pre_hi[0]);
    ck_assert(v >= full);
    ck_assert(st.fallbacks == 1 || st.simplex_iters < full_st.simplex_iters);
    ck_assert_msg(s < 30.0, "a stopped task took %.1f s", s); /* generous: polls every 0.1 s */
    /* and the process goes on: a later task without a stop is the full one */
    double again = timed_task(&f, 0, -1, &st, &s);
    ck_assert(again == full);
    ck_assert_int_eq(st.simplex_iters, full_st.simplex_iters);
    teardown(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stop");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, stop_before_tasks);
    tcase_add_test(tc, stop_during_solve);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
