/* Unit tests of activation-space branch and bound (src/verify/bab_split.c,
 * branch_score.c): the split modes, proofs by neuron splits alone on small
 * 2-input ReLU and sigmoid networks whose answer a dense grid gives,
 * re-checked counterexamples, children that cover their parent with bounds
 * that contain every sampled point of their domain at every layer, empty
 * domains, neuron splits through the byte form of regions and results, and
 * case splits on three-case properties. */
#include "nnhull/io.h"
#include "nnh_test.h"
#include "nnh_examples.h"
#include "nnh_verify_test.h"
#include "verify_internal.h"
#include "verify_pack.h"
#include "bab_split.h"
#include "nnhull/nnhull.h"
#include "nnhull/verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Random 2-8-8-1 network with activation `act` on the hidden layers. */
static nnh_network *net_small(nnh_act_kind act, unsigned long long seed)
{
    return nnh_test_net2(2, 8, 3.0, act, seed);
}

START_TEST(test_split_modes)
{
    nnh_split_mode m;
    ck_assert_int_eq(nnh_split_mode_parse("activation", &m), 0);
    ck_assert_int_eq(m, NNH_SPLIT_ACTIVATION);
    ck_assert_int_eq(nnh_split_mode_parse("input", &m), 0);
    ck_assert_int_eq(m, NNH_SPLIT_INPUT);
    ck_assert_int_ne(nnh_split_mode_parse("relu", &m), 0);
    ck_assert_str_eq(nnh_split_mode_name(NNH_SPLIT_AUTO), "auto");
    ck_assert_int_eq(nnh_split_mode_resolve(NNH_SPLIT_AUTO, 5), NNH_SPLIT_INPUT);
    ck_assert_int_eq(nnh_split_mode_resolve(NNH_SPLIT_AUTO, 784), NNH_SPLIT_ACTIVATION);
    ck_assert_int_eq(nnh_split_mode_resolve(NNH_SPLIT_INPUT, 784), NNH_SPLIT_INPUT);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    ck_assert_int_eq(o.split, NNH_SPLIT_AUTO);
}
END_TEST

/* A property crown cannot prove on the whole box is proved with neuron
 * splits (only neuron splits when `only`: no region halves the box), and the
 * same net slightly past its grid minimum gives a re-checked counterexample. */
static void proof_by_neuron_splits(nnh_act_kind act, unsigned long long seed, double delta,
                                   int only, int candidates)
{
    nnh_network *net = net_small(act, seed);
    double m = nnh_test_grid_min2(net);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.split = NNH_SPLIT_ACTIVATION;
    o.branch_candidates = candidates;
    o.max_regions = 1; /* the root alone does not prove it */
    nnh_verify_result res;
    ck_assert_int_eq(nnh_test_verify_upper2(net, m - delta, &o, &res), NNH_VERDICT_UNKNOWN);
    nnh_verify_result_free(&res);
    o.max_regions = 20000;
    ck_assert_int_eq(nnh_test_verify_upper2(net, m - delta, &o, &res), NNH_VERDICT_UNSAT);
    ck_assert_int_gt(res.neuron_splits, 0);
    if (only)
        ck_assert_int_eq(res.regions - res.regions_unsat, res.neuron_splits);
    nnh_verify_result_free(&res);
    ck_assert_int_eq(nnh_test_verify_upper2(net, m + 0.01, &o, &res), NNH_VERDICT_SAT);
    nnh_verify_result_free(&res);
    /* violated, with no falsification at all: branch and bound runs into
     * the violating part and must never close it (a grid point violates) */
    o.samples = o.starts = o.region_samples = o.region_starts = 0;
    o.max_regions = 3000;
    ck_assert_int_ne(nnh_test_verify_upper2(net, m + 0.001, &o, &res), NNH_VERDICT_UNSAT);
    fprintf(stderr, "no-falsification run: verdict %s, %ld regions, %ld neuron splits\n",
            nnh_verdict_name(res.verdict), res.regions, res.neuron_splits);
    nnh_verify_result_free(&res);
    nnh_network_free(net);
}

START_TEST(test_relu_proof_by_neuron_splits)
{
    proof_by_neuron_splits(NNH_ACT_RELU, 11, 0.02, 1, 1);
    proof_by_neuron_splits(NNH_ACT_RELU, 11, 0.02, 1, 8); /* filtered smart branching */
}
END_TEST

START_TEST(test_sigmoid_proof_by_neuron_splits)
{
    proof_by_neuron_splits(NNH_ACT_SIGMOID, 7, 0.2, 1, 1);
    proof_by_neuron_splits(NNH_ACT_SIGMOID, 7, 0.2, 1, 8);
}
END_TEST

/* The worse child's crown bound of row 0 of the last layer when neuron
 * (k, j) of b is split at `at`, computed on fresh copies of b. */
static double worse_child(const nnh_network *N, const nnh_bounds *b, int k, int j, double at)
{
    double v[2], lo = b->layers[k].pre_lo[j], hi = b->layers[k].pre_hi[j];
    int last = N->n_layers - 1, row = 0;
    for (int side = 0; side < 2; side++) {
        nnh_bounds *c;
        nnh_error err;
        ck_assert_int_eq(nnh_bounds_copy(b, &c, &err), 0);
        nnh_layer_bounds *L = &c->layers[k];
        L->pre_lo[j] = side ? at : lo;
        L->pre_hi[j] = side ? hi : at;
        nnh_act_image(&N->layers[k].act, L->pre_lo[j], L->pre_hi[j], &L->post_lo[j],
                      &L->post_hi[j]);
        c->layers[last].pre_lo[0] = -INFINITY;
        c->layers[last].pre_hi[0] = INFINITY;
        ck_assert_int_eq(nnh_crown_layer_sel(N, c, last, &row, 1, NULL, &err), 0);
        v[side] = c->layers[last].pre_lo[0];
        nnh_bounds_free(c);
    }
    return fmin(v[0], v[1]);
}

/* Filtered smart branching (nnh_branch_choose_fsb) on crown's bounds of
 * 2-8-8-8-1 nets over [-1, 1]^2: with one candidate or no crown pass it is
 * the score's choice; with 8 its worse child (recomputed on copies of b) is
 * never below the score's choice's (which is one of the 8) beyond the
 * estimate's rounding terms, and on some nets it picks another neuron than
 * the score. */
static void fsb_choice(nnh_act_kind act)
{
    int differ = 0;
    for (unsigned long long seed = 1; seed <= 12; seed++) {
        nnh_network *N = nnh_test_net2(3, 8, 2.0, act, seed);
        double lo[2] = {-1, -1}, hi[2] = {1, 1}, buf[16], at1, at8, at;
        nnh_crown_pass *pass;
        nnh_error err;
        nnh_bound_opts bo;
        nnh_bound_opts_init(&bo);
        nnh_bounds *b = nnh_test_run_opts(N, lo, hi, &bo, NNH_METHOD_CROWN, NULL);
        ck_assert_int_eq(nnh_crown_pass_new(N, 1, &pass, &err), 0);
        int k1, j1, k8, j8, k, j;
        ck_assert_int_eq(nnh_branch_choose(N, b, 0, buf, &k1, &j1, &at1), 0);
        ck_assert_int_eq(nnh_branch_choose_fsb(N, b, NULL, 0, 8, buf, &k, &j, &at), 0);
        ck_assert(k == k1 && j == j1 && at == at1);
        ck_assert_int_eq(nnh_branch_choose_fsb(N, b, pass, 0, 1, buf, &k, &j, &at), 0);
        ck_assert(k == k1 && j == j1 && at == at1);
        ck_assert_int_eq(nnh_branch_choose_fsb(N, b, pass, 0, 8, buf, &k8, &j8, &at8), 0);
        double v1 = worse_child(N, b, k1, j1, at1), v8 = worse_child(N, b, k8, j8, at8);
        ck_assert_msg(v8 >= v1 - 1e-9 * (1 + fabs(v1)),
                      "seed %llu: FSB's worse child %g below the score's %g", seed, v8, v1);
        differ += k8 != k1 || j8 != j1;
        nnh_crown_pass_free(pass);
        nnh_bounds_free(b);
        nnh_network_free(N);
    }
    fprintf(stderr, "fsb (%s): another neuron than the score's on %d of 12 nets\n",
            act == NNH_ACT_RELU ? "relu" : "sigmoid", differ);
    ck_assert_int_gt(differ, 0);
}

START_TEST(test_relu_fsb_choice) { fsb_choice(NNH_ACT_RELU); }
END_TEST

START_TEST(test_sigmoid_fsb_choice) { fsb_choice(NNH_ACT_SIGMOID); }
END_TEST

/* 1 when x meets every split of R (with margin tol: > 0 strictly inside,
 * < 0 loosely), evaluated on the folded network. */
static int in_domain(const nnh_bab_region *R, const double *x, double *const *pre, double tol)
{
    for (int j = 0; j < 2; j++)
        if (!(x[j] >= R->lo[j] && x[j] <= R->hi[j]))
            return 0;
    for (int t = 0; t < R->n_splits; t++) {
        double z = pre[R->splits[t].layer][R->splits[t].neuron];
        if (!(z >= R->splits[t].lo + tol && z <= R->splits[t].hi - tol))
            return 0;
    }
    return 1;
}

/* Branch and bound by hand on a property that holds (no counterexample can
 * stop it): each open region's children cover its domain, and the bounds an
 * open region returns contain every sampled point of its domain at every
 * layer; a region closed with no split checked is not wrongly "empty". */
static void children_cover(nnh_act_kind act, unsigned long long seed, int node_tighten)
{
    nnh_network *net = net_small(act, seed);
    nnh_spec *spec = nnh_test_spec_upper2(nnh_test_grid_min2(net) - 0.01);
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_int_eq(nnh_verify_problem_create(net, spec, &P, &err), 0);
    const nnh_network *F = P->groups[0].folded;
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.split = NNH_SPLIT_ACTIVATION;
    o.region_samples = 0;
    o.node_tighten = node_tighten;
    if (node_tighten)
        o.escalate_gap = 1e30; /* every node with splits gets its LPs */
    int lps = 0;
    nnh_region_result rr;
    ck_assert_int_eq(nnh_region_result_init(P, &rr, &err), 0);
    double buf[2][64], *pre[3], *post[3];
    for (int k = 0; k < 3; k++) {
        pre[k] = buf[0] + 16 * k;
        post[k] = buf[1] + 16 * k;
    }
    nnh_bab_region *queue[256];
    int nq = 0, opened = 0, checked = 0, neuron = 0;
    queue[nq++] = nnh_bab_root(P, 0);
    unsigned long long st = seed;
    while (nq > 0 && opened < 60) {
        nnh_bab_region *R = queue[--nq];
        ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
        ck_assert_int_ne(rr.status, NNH_REGION_SAT);
        if (rr.status != NNH_REGION_OPEN) {
            nnh_bab_region_free(R);
            continue;
        }
        opened++;
        lps += rr.escalated;
        neuron += rr.split_layer >= 0; /* else the box (every neuron stable) */
        ck_assert_ptr_nonnull(rr.bounds);
        nnh_bab_region *c[2];
        ck_assert_int_eq(nnh_bab_split(P, R, &rr, c), 0);
        for (int s = 0; s < 2; s++)
            ck_assert_int_eq(c[s]->n_splits, R->n_splits + (rr.split_layer >= 0));
        for (int n = 0; n < 400; n++) {
            double x[2] = {-1 + 2 * nnh_test_rand(&st), -1 + 2 * nnh_test_rand(&st)};
            nnh_network_eval_layers(F, x, pre, post);
            if (!in_domain(R, x, pre, 1e-9))
                continue;
            checked++;
            for (int k = 0; k < F->n_layers; k++)
                for (int i = 0; i < F->layers[k].n_out; i++)
                    ck_assert_msg(nnh_bounds_contains(rr.bounds, k, i, pre[k][i], post[k][i]),
                                  "layer %d neuron %d: %g outside [%g, %g]", k, i, pre[k][i],
                                  rr.bounds->layers[k].pre_lo[i], rr.bounds->layers[k].pre_hi[i]);
            ck_assert(in_domain(c[0], x, pre, -1e-12) || in_domain(c[1], x, pre, -1e-12));
        }
        for (int s = 0; s < 2; s++) {
            if (nq < 256)
                queue[nq++] = c[s];
            else
                nnh_bab_region_free(c[s]);
        }
        nnh_bab_region_free(R);
    }
    ck_assert_int_gt(opened, 3);
    ck_assert_int_gt(neuron, 3);
    ck_assert_int_gt(checked, 400);
    if (node_tighten) /* the node LPs ran, and their bounds held above */
        ck_assert_int_gt(lps, 3);
    while (nq > 0)
        nnh_bab_region_free(queue[--nq]);
    nnh_region_result_free(&rr);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}

START_TEST(test_relu_children_cover) { children_cover(NNH_ACT_RELU, 11, 0); }
END_TEST

START_TEST(test_sigmoid_children_cover) { children_cover(NNH_ACT_SIGMOID, 5, 0); }
END_TEST

/* Node tightening (nnh_verify_opts.node_tighten) on every node with splits:
 * its LP bounds, over bounds that hold the splits, still contain every
 * sampled point of the node's domain at every layer. */
START_TEST(test_relu_node_tighten_cover) { children_cover(NNH_ACT_RELU, 11, 4); }
END_TEST

START_TEST(test_sigmoid_node_tighten_cover) { children_cover(NNH_ACT_SIGMOID, 5, 4); }
END_TEST

/* A split no input of the box meets closes the region even on a false
 * property; a split some input meets does not restrict the counterexample,
 * which may lie anywhere in the box. */
START_TEST(test_empty_domain_and_cex_outside_split)
{
    nnh_network *net = net_small(NNH_ACT_RELU, 11);
    nnh_spec *spec = nnh_test_spec_upper2(1e9); /* every input violates */
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_int_eq(nnh_verify_problem_create(net, spec, &P, &err), 0);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    nnh_region_result rr;
    ck_assert_int_eq(nnh_region_result_init(P, &rr, &err), 0);
    /* z of layer 0 neuron 0 over the box: |w|_1 + |b| bounds it */
    const nnh_layer *L0 = &P->groups[0].folded->layers[0];
    double zmax = fabs(L0->W[0]) + fabs(L0->W[1]) + fabs(L0->b[0]);
    nnh_bab_region *R = nnh_bab_root(P, 0);
    R->splits = malloc(sizeof *R->splits);
    R->n_splits = 1;
    R->splits[0] = (nnh_neuron_split){0, 0, zmax + 1, zmax + 2};
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
    ck_assert_int_eq(rr.status, NNH_REGION_UNSAT);
    /* a split deep in the net that is empty only after the layers before */
    R->splits[0] = (nnh_neuron_split){1, 3, 1e6, INFINITY};
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
    ck_assert_int_eq(rr.status, NNH_REGION_UNSAT);
    /* nonempty: [0, inf) of a neuron; the counterexample may break it */
    R->splits[0] = (nnh_neuron_split){0, 0, 0.0, INFINITY};
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
    ck_assert_int_eq(rr.status, NNH_REGION_SAT);
    nnh_bab_region_free(R);
    nnh_region_result_free(&rr);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}
END_TEST

/* Neuron splits travel with a region and with a result, bit for bit; a
 * split naming no hidden neuron is refused. */
START_TEST(test_pack_splits)
{
    nnh_network *net = net_small(NNH_ACT_SIGMOID, 5);
    nnh_spec *spec = nnh_test_spec_upper2(0.0);
    nnh_verify_problem *P;
    nnh_error err;
    ck_assert_int_eq(nnh_verify_problem_create(net, spec, &P, &err), 0);
    nnh_bab_region *R = nnh_bab_root(P, 0), *R2;
    R->splits = malloc(2 * sizeof *R->splits);
    R->n_splits = 2;
    R->splits[0] = (nnh_neuron_split){0, 3, -INFINITY, 0.25};
    R->splits[1] = (nnh_neuron_split){1, 7, -0.5, 2.0};
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_bab_region_pack(P, R, &p);
    nnh_unpack u;
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_msg(nnh_bab_region_unpack(P, &u, &R2, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(R2->n_splits, 2);
    ck_assert(!memcmp(R2->splits, R->splits, 2 * sizeof *R->splits));
    nnh_bab_region_free(R2);
    nnh_pack_free(&p);
    R->splits[1].layer = 2; /* the property layer is no hidden layer */
    nnh_pack_init(&p);
    nnh_bab_region_pack(P, R, &p);
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_int_ne(nnh_bab_region_unpack(P, &u, &R2, &err), 0);
    nnh_pack_free(&p);

    nnh_region_result a, b;
    ck_assert_int_eq(nnh_region_result_init(P, &a, &err), 0);
    ck_assert_int_eq(nnh_region_result_init(P, &b, &err), 0);
    a.status = NNH_REGION_OPEN;
    a.split_dim = -1;
    a.split_layer = 1;
    a.split_neuron = 4;
    a.split_at = 0.125;
    nnh_pack_init(&p);
    nnh_region_result_pack(P, 0, &a, &p);
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_msg(nnh_region_result_unpack(P, 0, &u, &b, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(b.split_layer, 1);
    ck_assert_int_eq(b.split_neuron, 4);
    ck_assert(b.split_at == 0.125);
    nnh_pack_free(&p);
    a.split_neuron = 8; /* out of range */
    nnh_pack_init(&p);
    nnh_region_result_pack(P, 0, &a, &p);
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_int_ne(nnh_region_result_unpack(P, 0, &u, &b, &err), 0);
    nnh_pack_free(&p);
    nnh_region_result_free(&a);
    nnh_region_result_free(&b);
    nnh_bab_region_free(R);
    nnh_verify_problem_free(P);
    nnh_spec_free(spec);
    nnh_network_free(net);
}
END_TEST

/* 2-8-8-8-3 net with activation `act` (weights x scale) and the property
 * "some output c gets y_c <= thr[c]" over [-1, 1]^2: three cases. */
static nnh_network *net_three(nnh_act_kind act, unsigned long long seed, double scale)
{
    int sizes[5] = {2, 8, 8, 8, 3};
    nnh_network *net = nnh_test_random_net(4, sizes, 0.5, &seed);
    ck_assert_ptr_nonnull(net);
    for (int k = 0; k < 3; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] *= scale;
        nnh_act_default(&L->act, act);
    }
    return net;
}

static nnh_spec *spec_three(const double thr[3])
{
    nnh_spec *s;
    nnh_error err;
    ck_assert_int_eq(nnh_spec_create(&s, 2, 3, 3, &err), 0);
    for (int c = 0; c < 3; c++) {
        double row[3] = {0, 0, 0};
        row[c] = 1.0;
        for (int j = 0; j < 2; j++) {
            s->cases[c].lower[j] = -1.0;
            s->cases[c].upper[j] = 1.0;
        }
        ck_assert_int_eq(nnh_spec_add_ineq(s, c, row, thr[c], &err), 0);
    }
    return s;
}

/* Grid minimum of each of the 3 outputs over [-1, 1]^2 (401 x 401). */
static void grid_min3(const nnh_network *net, double m[3])
{
    m[0] = m[1] = m[2] = INFINITY;
    for (int i = 0; i <= 400; i++)
        for (int j = 0; j <= 400; j++) {
            double x[2] = {-1 + i / 200.0, -1 + j / 200.0}, y[3];
            nnh_network_eval(net, x, y, NULL);
            for (int c = 0; c < 3; c++)
                m[c] = fmin(m[c], y[c]);
        }
}

/* Case splits (nnh_verify_opts.case_split): the root of a three-case
 * property that crown leaves open with several cases becomes one region per
 * open case (its box, depth 1, that case alone active); proofs and
 * counterexamples agree with one search for all cases, on ReLU and sigmoid
 * nets whose answer the grid gives. */
static void case_split(nnh_act_kind act, unsigned long long seed, double scale, double delta)
{
    nnh_network *net = net_three(act, seed, scale);
    double m[3], thr[3];
    grid_min3(net, m);
    for (int c = 0; c < 3; c++)
        thr[c] = m[c] - delta;
    nnh_spec *spec = spec_three(thr);
    nnh_verify_opts o;
    nnh_verify_opts_init(&o);
    o.split = NNH_SPLIT_ACTIVATION;
    o.max_regions = 5000; /* 376 / 2281 (ReLU) and 158 / 273 (sigmoid) needed */
    nnh_error err;
    /* the root's children */
    nnh_verify_result res;
    nnh_bab *B;
    ck_assert_int_eq(nnh_bab_begin(net, spec, &o, &res, NULL, NULL, &B, &err), 0);
    const nnh_verify_problem *P = nnh_bab_problem(B);
    nnh_region_result rr;
    ck_assert_int_eq(nnh_region_result_init(P, &rr, &err), 0);
    nnh_bab_region *R = nnh_bab_next(B);
    ck_assert_ptr_nonnull(R);
    ck_assert_int_eq(nnh_verify_region(P, R, &o, 0, &rr, &err), 0);
    ck_assert_int_eq(rr.status, NNH_REGION_OPEN);
    ck_assert_int_ge(rr.split_layer, 0);
    int open = 0, seen[3] = {0, 0, 0};
    for (int c = 0; c < 3; c++)
        open += !rr.closed[c];
    ck_assert_msg(open >= 2, "seed %llu: only %d case open at the root", seed, open);
    double box[4] = {R->lo[0], R->lo[1], R->hi[0], R->hi[1]};
    ck_assert_int_eq(nnh_bab_report(B, R, &rr, &err), 0);
    ck_assert_int_eq(res.case_splits, 1);
    ck_assert_int_eq(res.neuron_splits, 0);
    ck_assert_int_eq(nnh_bab_queued(B), open);
    for (int t = 0; t < open; t++) {
        nnh_bab_region *K = nnh_bab_next(B);
        ck_assert_ptr_nonnull(K);
        int act_n = 0, which = -1;
        for (int c = 0; c < 3; c++)
            if (K->active[c]) {
                act_n++;
                which = c;
            }
        ck_assert_int_eq(act_n, 1);
        ck_assert(!rr.closed[which] && !seen[which]);
        seen[which] = 1;
        ck_assert_int_eq(K->depth, 1);
        ck_assert_int_eq(K->n_splits, 0);
        ck_assert_ptr_nonnull(K->hint);
        for (int j = 0; j < 2; j++)
            ck_assert(K->lo[j] == box[j] && K->hi[j] == box[2 + j]);
        nnh_bab_region_free(K); /* not reported: the session ends unknown */
    }
    nnh_region_result_free(&rr);
    nnh_bab_end(B);
    nnh_verify_result_free(&res);
    /* whole runs: the same verdicts with and without case splits */
    for (int cs = 1; cs >= 0; cs--) {
        o.case_split = cs;
        ck_assert_int_eq(nnh_verify(net, spec, &o, &res, NULL, NULL, &err), 0);
        ck_assert_msg(res.verdict == NNH_VERDICT_UNSAT, "seed %llu case_split %d: %s", seed, cs,
                      nnh_verdict_name(res.verdict));
        if (cs)
            ck_assert_int_gt(res.case_splits, 0);
        else
            ck_assert_int_eq(res.case_splits, 0);
        fprintf(stderr, "case split %d: %ld regions, %ld neuron splits, %ld case splits\n", cs,
                res.regions, res.neuron_splits, res.case_splits);
        nnh_verify_result_free(&res);
    }
    /* node tightening at every node with splits: the same proof */
    o.case_split = 1;
    o.node_tighten = 4;
    o.escalate_gap = 1e30;
    ck_assert_int_eq(nnh_verify(net, spec, &o, &res, NULL, NULL, &err), 0);
    ck_assert_msg(res.verdict == NNH_VERDICT_UNSAT, "seed %llu node_tighten: %s", seed,
                  nnh_verdict_name(res.verdict));
    ck_assert_int_gt(res.escalations, 0);
    fprintf(stderr, "node tighten: %ld regions, %ld with LPs\n", res.regions, res.escalations);
    nnh_verify_result_free(&res);
    /* violated on output 1 only: a counterexample of case 1, re-checked,
     * with and without node tightening */
    nnh_spec_free(spec);
    thr[1] = m[1] + 0.01;
    spec = spec_three(thr);
    for (int nt = 4; nt >= 0; nt -= 4) {
        o.node_tighten = nt;
        ck_assert_int_eq(nnh_verify(net, spec, &o, &res, NULL, NULL, &err), 0);
        ck_assert_int_eq(res.verdict, NNH_VERDICT_SAT);
        double y[3];
        nnh_network_eval(net, res.cex_x, y, NULL);
        ck_assert(nnh_spec_case_holds(spec, res.cex_case, res.cex_x, y, 0.0));
        nnh_verify_result_free(&res);
    }
    nnh_spec_free(spec);
    nnh_network_free(net);
}

START_TEST(test_relu_case_split) { case_split(NNH_ACT_RELU, 4, 1.0, 0.05); }
END_TEST

START_TEST(test_sigmoid_case_split) { case_split(NNH_ACT_SIGMOID, 7, 2.0, 0.05); }
END_TEST

int main(void)
{
    Suite *s = suite_create("verify_split");
    TCase *tc = tcase_create("verify_split");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_split_modes);
    tcase_add_test(tc, test_relu_proof_by_neuron_splits);
    tcase_add_test(tc, test_sigmoid_proof_by_neuron_splits);
    tcase_add_test(tc, test_relu_fsb_choice);
    tcase_add_test(tc, test_sigmoid_fsb_choice);
    tcase_add_test(tc, test_relu_children_cover);
    tcase_add_test(tc, test_sigmoid_children_cover);
    tcase_add_test(tc, test_relu_node_tighten_cover);
    tcase_add_test(tc, test_sigmoid_node_tighten_cover);
    tcase_add_test(tc, test_empty_domain_and_cex_outside_split);
    tcase_add_test(tc, test_pack_splits);
    tcase_add_test(tc, test_relu_case_split);
    tcase_add_test(tc, test_sigmoid_case_split);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
