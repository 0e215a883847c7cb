/* Unit tests of property verification (src/verify/: the driver, falsify.c,
 * bab.c, small_lp.c) on hand-made networks and VNNLIB text with known
 * answers: unsat, sat with a re-checked counterexample, input bounds inside
 * `or`, several output disjuncts, point regions, regions that need
 * splitting, limits, the rounding-error term of folding the property into
 * the last layer, and the small min-max LP. */
#include "nnhull/io.h"
#include "nnh_test.h"
#include "small_lp.h"
#include "verify_pack.h"
#include "nnhull/nnhull.h"
#include "nnhull/verify.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DECL2_1 "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\n"
#define DECL1_2 "(declare-const X_0 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)\n"

/* y = x0 - x1 (one affine layer). */
static nnh_network *net_diff(void)
{
    int sizes[2] = {2, 1};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 1, sizes, &err), 0);
    net->layers[0].W[0] = 1;
    net->layers[0].W[1] = -1;
    return net;
}

/* y0 = |x0| = relu(x0) + relu(-x0), y1 = relu(x0) (x0 scalar). */
static nnh_network *net_abs(void)
{
    int sizes[3] = {1, 2, 2};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    net->layers[0].W[0] = 1;
    net->layers[0].W[1] = -1;
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    double W1[4] = {1, 1, 1, 0};
    memcpy(net->layers[1].W, W1, sizeof W1);
    return net;
}

/* Random 2-16-16-1 tanh network (smooth, needs splitting near its minimum). */
static nnh_network *net_tanh(unsigned long long seed)
{
    int sizes[4] = {2, 16, 16, 1};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 3, sizes, &err), 0);
    for (int k = 0; k < 3; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] = 3 * nnh_test_rand(&seed) - 1.5;
        for (int i = 0; i < L->n_out; i++)
            L->b[i] = nnh_test_rand(&seed) - 0.5;
        if (k < 2)
            nnh_act_default(&L->act, NNH_ACT_TANH);
    }
    return net;
}

static nnh_verdict run(const nnh_network *net, const char *vnnlib, nnh_verify_opts *o,
                       nnh_verify_result *res)
{
    nnh_spec *spec;
    nnh_error err;
    ck_assert_msg(nnh_parse_vnnlib(vnnlib, "t", &spec, &err) == 0, "%s", err.msg);
    int rc = nnh_verify(net, spec, o, res, NULL, NULL, &err);
    ck_assert_msg(rc == 0, "verify failed: %s", err.msg);
    if (res->verdict == NNH_VERDICT_SAT) {
        /* the counterexample must satisfy the case exactly, independently re-evaluated */
        double y[4];
        ck_assert_ptr_nonnull(res->cex_x);
        nnh_network_eval(net, res->cex_x, y, NULL);
        for (int j = 0; j < spec->n_out; j++)
            ck_assert(y[j] == res->cex_y[j]);
        ck_assert(nnh_spec_case_holds(spec, res->cex_case, res->cex_x, y, 0.0));
    }
    nnh_spec_free(spec);
    return res->verdict;
}

static nnh_verdict verdict_of(const nnh_network *net, const char *vnnlib, nnh_method m)
{
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.method = m;
    o.max_regions = 20000;
    nnh_verify_result res;
    nnh_verdict v = run(net, vnnlib, &o, &res);
    nnh_verify_result_free(&res);
    return v;
}

START_TEST(test_affine_unsat_sat)
{
    nnh_network *net = net_diff();
    const char *box = "(assert (>= X_0 0))(assert (<= X_0 1))(assert (>= X_1 0))(assert (<= X_1 1))";
    char t[512];
    snprintf(t, sizeof t, DECL2_1 "%s(assert (>= Y_0 1.5))", box);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    snprintf(t, sizeof t, DECL2_1 "%s(assert (>= Y_0 0.9))", box);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    /* the maximum 1 is reached only at the corner (1, 0): still sat */
    snprintf(t, sizeof t, DECL2_1 "%s(assert (>= Y_0 1))", box);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    /* just above the maximum: a tie is never a proof, but 1 + 1e-9 is */
    snprintf(t, sizeof t, DECL2_1 "%s(assert (>= Y_0 1.000000001))", box);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_IBP), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_relu_split_and_or_inputs)
{
    nnh_network *net = net_abs();
    /* |x| >= 0.2 on both pieces of an `or` of input boxes: cex y0 <= 0.19 is unsat */
    const char *t = DECL1_2 "(assert (or (and (>= X_0 -1) (<= X_0 -0.2))"
                            "            (and (>= X_0 0.2) (<= X_0 1))))"
                            "(assert (<= Y_0 0.19))";
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    /* on [-1, 1] it is sat (at 0), and y0 <= -0.01 is unsat (needs no split) */
    const char *s = DECL1_2 "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (<= Y_0 0.05))";
    ck_assert_int_eq(verdict_of(net, s, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    const char *u = DECL1_2 "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (<= Y_0 -0.01))";
    ck_assert_int_eq(verdict_of(net, u, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    /* y0 - y1 = relu(-x) <= -0.01 is unsat; y0 >= y1 + 0.5 and x >= 0.3 is unsat
     * only after splitting at the kink is irrelevant: both linear pieces */
    const char *u2 = DECL1_2 "(assert (>= X_0 -1))(assert (<= X_0 2))"
                             "(assert (<= (- Y_0 Y_1) -0.01))";
    ck_assert_int_eq(verdict_of(net, u2, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_output_disjuncts)
{
    nnh_network *net = net_abs();
    const char *box = "(assert (>= X_0 0.5))(assert (<= X_0 1))";
    char t[512];
    /* y0 >= 2 (impossible) or y1 <= 0.6 (x in [0.5, 0.6]): sat through case 2 */
    snprintf(t, sizeof t, DECL1_2 "%s(assert (or (>= Y_0 2) (<= Y_1 0.6)))", box);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    nnh_verify_result res;
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_SAT);
    ck_assert_int_eq(res.cex_case, 1);
    ck_assert(res.cex_x[0] >= 0.5 && res.cex_x[0] <= 0.6);
    nnh_verify_result_free(&res);
    /* both disjuncts impossible: unsat */
    snprintf(t, sizeof t, DECL1_2 "%s(assert (or (>= Y_0 2) (<= Y_1 0.45)))", box);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

/* One affine layer: y0 = x, y1 = -x (x scalar). */
static nnh_network *net_pm(void)
{
    int sizes[2] = {1, 2};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 1, sizes, &err), 0);
    net->layers[0].W[0] = 1;
    net->layers[0].W[1] = -1;
    return net;
}

/* x <= -0.1 and x >= 0.1 on [-1, 1]: neither row alone is > 0 anywhere near
 * 0, so per-row proofs need a split; the joint bound (min max of the rows =
 * 0.1) closes the root. Both must be unsat. */
START_TEST(test_joint_closes_root)
{
    nnh_network *net = net_pm();
    const char *t = DECL1_2 "(assert (>= X_0 -1))(assert (<= X_0 1))"
                            "(assert (<= Y_0 -0.1))(assert (<= Y_1 -0.1))";
    for (int m = NNH_METHOD_CROWN; m <= NNH_METHOD_LP1D; m++) {
        nnh_verify_opts o;
        nnh_verify_opts_init(&o);
        o.method = (nnh_method)m;
        nnh_verify_result res;
        ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_UNSAT);
        ck_assert_int_eq(res.regions, 1);
        nnh_verify_result_free(&res);
        o.joint = 0;
        ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_UNSAT);
        ck_assert(res.regions >= 3);
        nnh_verify_result_free(&res);
    }
    /* x <= 0.1 and x >= -0.1: sat, the joint bound must not close it */
    const char *s = DECL1_2 "(assert (>= X_0 -1))(assert (<= X_0 1))"
                            "(assert (<= Y_0 0.1))(assert (<= Y_1 0.1))";
    ck_assert_int_eq(verdict_of(net, s, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    nnh_network_free(net);
}
END_TEST

/* The only counterexample is the box end as read (0.3, not a double): the
 * search must stay inside the box as read, not the one-ulp wider region the
 * proofs use (a point there fails the re-check). */
/* y = w . x, one affine layer of n_in inputs and one output (no bias). */
static nnh_network *affine_net(int n_in, const double *w)
{
    int sizes[2] = {n_in, 1};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 1, sizes, &err), 0);
    for (int j = 0; j < n_in; j++)
        net->layers[0].W[j] = w[j];
    return net;
}

/* The verify problem of net and the VNNLIB text t; *spec gets the property
 * (the caller frees both). */
static nnh_verify_problem *problem_of(const nnh_network *net, const char *t, nnh_spec **spec)
{
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_int_eq(nnh_parse_vnnlib(t, "t", spec, &err), 0);
    ck_assert_int_eq(nnh_verify_problem_create(net, *spec, &P, &err), 0);
    return P;
}

START_TEST(test_cex_on_box_face)
{
    nnh_network *net = affine_net(1, (const double[]){1});
    nnh_error err;
    const char *t = "(declare-const X_0 Real)(declare-const Y_0 Real)\n"
                    "(assert (>= X_0 0.1))(assert (<= X_0 0.3))(assert (>= Y_0 0.3))";
    nnh_spec *spec;
    nnh_verify_problem *P = problem_of(net, t, &spec);
    /* the first falsification pass alone (branch and bound would reach the
     * point by bisection too) */
    nnh_bab_region *R = nnh_bab_root(P, 0);
    ck_assert(R->hi[0] > 0.3); /* the proof region is wider */
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    nnh_region_result rr;
    ck_assert_int_eq(nnh_region_result_init(P, &rr, &err), 0);
    ck_assert_int_eq(nnh_verify_falsify(P, R, &o, 0, &rr, &err), 0);
    ck_assert_int_eq(rr.status, NNH_REGION_SAT);
    ck_assert(rr.x[0] == 0.3 && rr.y[0] == 0.3);
    nnh_region_result_free(&rr);
    nnh_bab_region_free(R);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}
END_TEST

/* A zero end of the box is exact and stays zero (no subnormal one step
 * beyond it, which slowed every product with it); other ends are widened by
 * one ulp; proofs and counterexamples at the zero end are right. */
START_TEST(test_box_zero_ends)
{
    nnh_network *net = affine_net(2, (const double[]){1, -1}); /* y = x0 - x1 >= 0 on the box */
    const char *t = "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\n"
                    "(assert (>= X_0 0.0))(assert (<= X_0 0.3))(assert (>= X_1 -0.5))"
                    "(assert (<= X_1 -0))";
    char buf[512];
    nnh_spec *spec;
    nnh_verify_problem *P = problem_of(net, t, &spec);
    nnh_bab_region *R = nnh_bab_root(P, 0);
    ck_assert(R->lo[0] == 0.0 && R->hi[1] == 0.0);
    ck_assert(R->hi[0] > 0.3 && R->lo[1] < -0.5);
    nnh_bab_region_free(R);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    /* y <= 0 is met at x = (0, 0): sat; y <= -1e-300 is not met: unsat */
    snprintf(buf, sizeof buf, "%s(assert (<= Y_0 0))", t);
    ck_assert_int_eq(verdict_of(net, buf, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    snprintf(buf, sizeof buf, "%s(assert (<= Y_0 -1e-300))", t);
    ck_assert_int_eq(verdict_of(net, buf, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_point_region)
{
    nnh_network *net = net_abs();
    /* x = -0.3 exactly: y0 = 0.3, y1 = 0 */
    const char *s = DECL1_2 "(assert (= X_0 -0.3))(assert (>= Y_0 0.29))(assert (<= Y_1 0))";
    ck_assert_int_eq(verdict_of(net, s, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    const char *u = DECL1_2 "(assert (= X_0 -0.3))(assert (>= Y_0 0.31))";
    ck_assert_int_eq(verdict_of(net, u, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    ck_assert_int_eq(verdict_of(net, u, NNH_METHOD_IBP), NNH_VERDICT_UNSAT);
    /* a tie at a point (y0 >= 0.3 exactly) is reached: sat, never unsat */
    const char *tie = DECL1_2 "(assert (= X_0 -0.25))(assert (>= Y_0 0.25))";
    ck_assert_int_eq(verdict_of(net, tie, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    nnh_network_free(net);
}
END_TEST

/* "Y_0 <= thr" over [-1, 1]^2 (the tanh network's property). */
static void tanh_property(char *t, size_t n, double thr)
{
    snprintf(t, n, DECL2_1 "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))"
             "(assert (<= X_1 1))(assert (<= Y_0 %.17g))", thr);
}

START_TEST(test_tanh_needs_splitting)
{
    nnh_network *net = net_tanh(77);
    double m = nnh_test_grid_min2(net);
    char t[512];
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.max_regions = 50000;
    nnh_verify_result res;
    tanh_property(t, sizeof t, m - 0.02);
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_UNSAT);
    ck_assert_int_gt(res.regions, 1); /* crown alone cannot prove it on the whole box */
    long regions = res.regions;
    nnh_verify_result_free(&res);
    tanh_property(t, sizeof t, m + 0.005);
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_SAT);
    nnh_verify_result_free(&res);
    /* region limit: unknown, never a wrong answer */
    o.max_regions = 1;
    tanh_property(t, sizeof t, m - 0.02);
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_UNKNOWN);
    ck_assert_int_eq(res.regions, 1);
    nnh_verify_result_free(&res);
    /* the LP escalation proves it too, with no more regions than crown */
    o.max_regions = 50000;
    o.method = NNH_METHOD_LP1D;
    o.escalate_gap = 1.0;
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_UNSAT);
    ck_assert_int_le(res.regions, regions);
    nnh_verify_result_free(&res);
    nnh_network_free(net);
}
END_TEST

/* The session driven by hand as the MPI master and workers drive it, every
 * region and every result going through its byte form (pack, unpack into a
 * separate problem built from an unpacked spec, as a worker does): the same
 * verdict and the same number of regions as nnh_verify. */
static nnh_verdict run_packed(const nnh_network *net, const char *vnnlib,
                              const nnh_verify_opts *o, nnh_verify_result *res, long *hints_out)
{
    nnh_spec *spec, *spec2;
    nnh_error err;
    ck_assert_msg(nnh_parse_vnnlib(vnnlib, "t", &spec, &err) == 0, "%s", err.msg);
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_spec_pack(spec, &p);
    nnh_unpack u;
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_msg(nnh_spec_unpack(&u, &spec2, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(spec2->n_cases, spec->n_cases);
    for (int k = 0; k < spec->n_cases; k++) {
        ck_assert_int_eq(spec2->cases[k].n_ineq, spec->cases[k].n_ineq);
        ck_assert(!memcmp(spec2->cases[k].lower, spec->cases[k].lower, spec->n_in * sizeof(double)));
        ck_assert(!memcmp(spec2->cases[k].d, spec->cases[k].d,
                          spec->cases[k].n_ineq * sizeof(double)));
    }
    ck_assert_str_eq(spec2->source, "t");
    nnh_unpack_init(&u, p.data, p.len - 3); /* truncated: refused, no crash */
    nnh_spec *bad = NULL;
    ck_assert_int_ne(nnh_spec_unpack(&u, &bad, &err), 0);
    ck_assert_ptr_null(bad);
    nnh_pack_free(&p);

    nnh_verify_problem *W; /* the "worker's" problem */
    ck_assert_int_eq(nnh_verify_problem_create(net, spec2, &W, &err), 0);
    nnh_bab *B;
    ck_assert_int_eq(nnh_bab_begin(net, spec, o, res, NULL, NULL, &B, &err), 0);
    nnh_region_result rw, rm;
    ck_assert_int_eq(nnh_region_result_init(W, &rw, &err), 0);
    ck_assert_int_eq(nnh_region_result_init(nnh_bab_problem(B), &rm, &err), 0);
    nnh_bab_region *R;
    long hints = 0;
    while ((R = nnh_bab_next(B))) {
        nnh_pack_init(&p);
        nnh_bab_region_pack(nnh_bab_problem(B), R, &p);
        nnh_bab_region *R2;
        nnh_unpack_init(&u, p.data, p.len);
        ck_assert_msg(nnh_bab_region_unpack(W, &u, &R2, &err) == 0, "%s", err.msg);
        nnh_pack_free(&p);
        hints += R2->hint != NULL;
        ck_assert_int_eq(nnh_verify_region(W, R2, o, 0, &rw, &err), 0);
        nnh_pack_init(&p);
        nnh_region_result_pack(W, R2->group, &rw, &p);
        nnh_unpack_init(&u, p.data, p.len);
        ck_assert_msg(nnh_region_result_unpack(nnh_bab_problem(B), R->group, &u, &rm, &err) == 0,
                      "%s", err.msg);
        nnh_pack_free(&p);
        nnh_bab_region_free(R2);
        ck_assert_int_eq(nnh_bab_report(B, R, &rm, &err), 0);
    }
    nnh_bab_end(B);
    *hints_out = hints;
    nnh_region_result_free(&rw);
    nnh_region_result_free(&rm);
    nnh_verify_problem_free(W);
    nnh_spec_free(spec2);
    nnh_spec_free(spec);
    return res->verdict;
}

START_TEST(test_packed_session)
{
    nnh_network *net = net_tanh(77);
    double m = nnh_test_grid_min2(net);
    char t[512];
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.max_regions = 50000;
    for (int sat = 0; sat < 2; sat++) {
        tanh_property(t, sizeof t, sat ? m + 0.005 : m - 0.02);
        nnh_verify_result a, b;
        nnh_verdict va = run(net, t, &o, &a);
        long hints;
        ck_assert_int_eq(run_packed(net, t, &o, &b, &hints), va);
        if (!sat) /* the proof splits: the parents' bounds travelled too */
            ck_assert_int_gt(hints, 0);
        ck_assert_int_eq(va, sat ? NNH_VERDICT_SAT : NNH_VERDICT_UNSAT);
        ck_assert_int_eq(b.regions, a.regions);
        ck_assert_int_eq(b.regions_unsat, a.regions_unsat);
        if (sat)
            ck_assert(!memcmp(a.cex_x, b.cex_x, 2 * sizeof(double)));
        nnh_verify_result_free(&a);
        nnh_verify_result_free(&b);
    }
    nnh_network_free(net);
}
END_TEST

/* The falsifier of a region starts from the optima of its bound problems:
 * with no random samples and no descents, y = x0 - x1 <= -1.999 on
 * [-1, 1]^2 is violated only near the corner (-1, 1), which is exactly where
 * crown's lower form of the row is smallest; the center alone finds nothing
 * (ibp has no forms: the region stays open). */
START_TEST(test_bound_problem_optima_start)
{
    nnh_network *net = net_diff();
    nnh_spec *spec;
    nnh_error err;
    ck_assert_int_eq(nnh_parse_vnnlib(DECL2_1 "(assert (>= X_0 -1))(assert (<= X_0 1))"
                                      "(assert (>= X_1 -1))(assert (<= X_1 1))"
                                      "(assert (<= Y_0 -1.999))", "t", &spec, &err), 0);
    nnh_verify_problem *P;
    ck_assert_int_eq(nnh_verify_problem_create(net, spec, &P, &err), 0);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.region_samples = 0;
    o.region_starts = 0;
    nnh_region_result r;
    ck_assert_int_eq(nnh_region_result_init(P, &r, &err), 0);
    nnh_bab_region *R = nnh_bab_root(P, 0);
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &r, &err), 0);
    ck_assert_int_eq(r.status, NNH_REGION_SAT);
    ck_assert(r.x[0] == -1.0 && r.x[1] == 1.0); /* inside the box as read */
    ck_assert(r.y[0] <= -1.999);
    o.method = NNH_METHOD_IBP;
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &r, &err), 0);
    ck_assert_int_eq(r.status, NNH_REGION_OPEN);
    nnh_bab_region_free(R);
    nnh_region_result_free(&r);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_timeout_and_empty)
{
    nnh_network *net = net_tanh(78);
    double m = nnh_test_grid_min2(net);
    char t[512];
    tanh_property(t, sizeof t, m - 1e-4);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.timeout = 1e-9;
    nnh_verify_result res;
    ck_assert_int_eq(run(net, t, &o, &res), NNH_VERDICT_TIMEOUT);
    nnh_verify_result_free(&res);
    /* a contradictory input box: no input at all, the property holds */
    const char *e = DECL2_1 "(assert (>= X_0 1))(assert (<= X_0 0))(assert (<= Y_0 100))";
    ck_assert_int_eq(verdict_of(net, e, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_large_weights_tie)
{
    /* weights near 1e16 (spacing 2): the row y1 - y0 <= 1.9 is met with
     * equality in exact arithmetic at x = 1, so no rounding of the forward
     * pass or of the fold may turn it into a proof. */
    int sizes[3] = {1, 2, 2};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    net->layers[0].W[0] = 1;
    net->layers[0].W[1] = 1;
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    double W1[4] = {1e16, 0, 1e16 + 2, 0};
    memcpy(net->layers[1].W, W1, sizeof W1);
    net->layers[1].b[0] = 0.1;
    const char *t = DECL1_2 "(assert (= X_0 1))(assert (<= (- Y_1 Y_0) 1.9))";
    ck_assert_int_ne(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_UNSAT);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_fold_rounding_error)
{
    /* y = (1e16, -1e16, 0.5) whatever the input; row y0 + y1 + y2 <= 0.75 holds
     * (0.5 <= 0.75), but folding it into the last layer computes the bias
     * -0.75 + 1e16 - 1e16 + 0.5 = 0.5 in double: without the fold's error
     * bound, crown would "prove" the row infeasible (lower bound 0.5 > 0). */
    int sizes[3] = {1, 1, 3};
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, 2, sizes, &err), 0);
    net->layers[0].W[0] = 1;
    nnh_act_default(&net->layers[0].act, NNH_ACT_RELU);
    net->layers[1].b[0] = 1e16;
    net->layers[1].b[1] = -1e16;
    net->layers[1].b[2] = 0.5;
    const char *t = "(declare-const X_0 Real)(declare-const Y_0 Real)(declare-const Y_1 Real)"
                    "(declare-const Y_2 Real)(assert (>= X_0 0))(assert (<= X_0 1))"
                    "(assert (<= (+ Y_0 Y_1 Y_2) 0.75))";
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_CROWN), NNH_VERDICT_SAT);
    ck_assert_int_eq(verdict_of(net, t, NNH_METHOD_LP1D), NNH_VERDICT_SAT);
    nnh_network_free(net);
}
END_TEST

/* The small LP (small_lp.c): min over a box of max_r (a_r^T x + b_r), with a
 * row selection (unselected rows are never read: NaN there is harmless), a
 * fixed variable, the duals, results independent of earlier solves on the
 * same workspace, and the refusals that keep bad data away from GLPK. */
START_TEST(test_small_lp_minmax)
{
    /* rows 2 and 0: x0 - x1 and -x0 + x1 + 0.5; min of the max = 0.25 */
    const double A[6] = {1, -1, NAN, NAN, -1, 1}, b[3] = {0, NAN, 0.5};
    const int rows[2] = {2, 0};
    double lo[2] = {0, 0}, hi[2] = {1, 1}, x[2], lam[2], x2[2], lam2[2];
    nnh_small_lp *S = nnh_small_lp_new(2);
    ck_assert_ptr_nonnull(S);
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 2, A, rows, b, lo, hi, 100, x, lam), 0);
    ck_assert(x[0] >= 0 && x[0] <= 1 && x[1] >= 0 && x[1] <= 1);
    ck_assert_double_eq_tol(fmax(x[0] - x[1], x[1] - x[0] + 0.5), 0.25, 1e-12);
    ck_assert_double_eq_tol(lam[0], 0.5, 1e-12);
    ck_assert_double_eq_tol(lam[1], 0.5, 1e-12);
    /* x1 fixed at 0.6 (rows NULL: rows 0 and 1 of A + 4, b + 2 read as is) */
    const double A2[4] = {1, -1, -1, 1}, b2[2] = {0, 0.5};
    double flo[2] = {0, 0.6}, fhi[2] = {1, 0.6};
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 2, A2, NULL, b2, flo, fhi, 100, x2, NULL), 0);
    ck_assert(x2[1] == 0.6);
    ck_assert_double_eq_tol(x2[0], 0.85, 1e-12);
    /* the first problem again: bit for bit the first answer */
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 2, A, rows, b, lo, hi, 100, x2, lam2), 0);
    ck_assert(memcmp(x, x2, sizeof x) == 0 && memcmp(lam, lam2, sizeof lam) == 0);
    /* refused before GLPK sees them */
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 0, A, rows, b, lo, hi, 100, x, lam), NNH_EINVAL);
    ck_assert_int_eq(nnh_small_lp_minmax(S, 3, 1, A, NULL, b, lo, hi, 100, x, lam), NNH_EINVAL);
    const int bad[2] = {0, 1};
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 2, A, bad, b, lo, hi, 100, x, lam), NNH_ENUMERIC);
    double rlo[2] = {0, 1}, rhi[2] = {1, 0};
    ck_assert_int_eq(nnh_small_lp_minmax(S, 2, 1, A, NULL, b, rlo, rhi, 100, x, lam), NNH_EINVAL);
    nnh_small_lp_free(S);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_affine_unsat_sat);
    tcase_add_test(tc, test_relu_split_and_or_inputs);
    tcase_add_test(tc, test_output_disjuncts);
    tcase_add_test(tc, test_point_region);
    tcase_add_test(tc, test_joint_closes_root);
    tcase_add_test(tc, test_cex_on_box_face);
    tcase_add_test(tc, test_box_zero_ends);
    tcase_add_test(tc, test_tanh_needs_splitting);
    tcase_add_test(tc, test_timeout_and_empty);
    tcase_add_test(tc, test_large_weights_tie);
    tcase_add_test(tc, test_fold_rounding_error);
    tcase_add_test(tc, test_packed_session);
    tcase_add_test(tc, test_bound_problem_optima_start);
    tcase_add_test(tc, test_small_lp_minmax);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
