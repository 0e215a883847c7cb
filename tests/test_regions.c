/* Unit tests of the input regions (the ball's outward-rounded box, clipping,
 * --split's longest-edge bisection) and of the byte packing of networks and
 * bounds that the MPI master broadcasts. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "pack.h"
#include "nnhull/regions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double volume(const double *lo, const double *hi, int n)
{
    double v = 1;
    for (int j = 0; j < n; j++)
        v *= hi[j] - lo[j];
    return v;
}

START_TEST(test_split_order_and_cover)
{
    /* [0,4] x [0,1]: the first cuts halve input 0, then the edges tie */
    int R = 1, n = 2;
    double *lo = malloc(2 * sizeof *lo), *hi = malloc(2 * sizeof *hi);
    lo[0] = 0, hi[0] = 4, lo[1] = 0, hi[1] = 1;
    nnh_error err;
    ck_assert_int_eq(nnh_regions_split(&R, n, &lo, &hi, 5, &err), 0);
    ck_assert_int_eq(R, 5);
    /* step 1: [0,2],[2,4]; step 2: region 0 -> [0,1],[1,2] (index 2);
     * step 3: region 1 ([2,4]) -> [2,3],[3,4] (index 3); step 4: all longest
     * edges are 1, region 0 splits input 0 (the lower index on ties) */
    double want_lo0[5] = {0, 2, 1, 3, 0.5}, want_hi0[5] = {0.5, 3, 2, 4, 1};
    double vol = 0;
    for (int r = 0; r < R; r++) {
        ck_assert_double_eq(lo[2 * r], want_lo0[r]);
        ck_assert_double_eq(hi[2 * r], want_hi0[r]);
        ck_assert_double_eq(lo[2 * r + 1], 0);
        ck_assert_double_eq(hi[2 * r + 1], 1);
        vol += volume(lo + 2 * r, hi + 2 * r, n);
    }
    ck_assert_double_eq(vol, 4.0);
    free(lo);
    free(hi);
}
END_TEST

START_TEST(test_split_points_covered_and_deterministic)
{
    int n = 3, R = 2;
    double *lo = malloc(6 * sizeof *lo), *hi = malloc(6 * sizeof *hi);
    double l0[6] = {-1, 0, 0.3, 5, 5, 5}, h0[6] = {1, 0.1, 0.7, 6, 7, 5.5};
    memcpy(lo, l0, sizeof l0);
    memcpy(hi, h0, sizeof h0);
    nnh_error err;
    ck_assert_int_eq(nnh_regions_split(&R, n, &lo, &hi, 37, &err), 0);
    ck_assert_int_eq(R, 37);
    /* every sampled point of the original boxes lies in some region */
    unsigned long long st = 11;
    for (int s = 0; s < 2000; s++) {
        int b = s % 2, found = 0;
        double x[3];
        for (int j = 0; j < n; j++)
            x[j] = l0[3 * b + j] + nnh_test_rand(&st) * (h0[3 * b + j] - l0[3 * b + j]);
        for (int r = 0; r < R && !found; r++) {
            int in = 1;
            for (int j = 0; j < n; j++)
                in &= lo[3 * r + j] <= x[j] && x[j] <= hi[3 * r + j];
            found = in;
        }
        ck_assert_msg(found, "sample %d not covered", s);
    }
    /* the same call gives the same regions */
    int R2 = 2;
    double *lo2 = malloc(6 * sizeof *lo2), *hi2 = malloc(6 * sizeof *hi2);
    memcpy(lo2, l0, sizeof l0);
    memcpy(hi2, h0, sizeof h0);
    ck_assert_int_eq(nnh_regions_split(&R2, n, &lo2, &hi2, 37, &err), 0);
    ck_assert_int_eq(memcmp(lo, lo2, 37 * 3 * sizeof(double)), 0);
    ck_assert_int_eq(memcmp(hi, hi2, 37 * 3 * sizeof(double)), 0);
    free(lo), free(hi), free(lo2), free(hi2);
}
END_TEST

START_TEST(test_split_refuses)
{
    int R = 1;
    double *lo = malloc(sizeof *lo), *hi = malloc(sizeof *hi);
    lo[0] = 0, hi[0] = INFINITY;
    nnh_error err;
    ck_assert_int_eq(nnh_regions_split(&R, 1, &lo, &hi, 2, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "bounded"));
    hi[0] = nextafter(0, 1); /* [0, smallest subnormal]: no midpoint */
    ck_assert_int_eq(nnh_regions_split(&R, 1, &lo, &hi, 2, &err), NNH_EINVAL);
    ck_assert_int_eq(R, 1);
    ck_assert_int_eq(nnh_regions_split(&R, 1, &lo, &hi, 1, &err), 0); /* K <= R: as is */
    free(lo);
    free(hi);
}
END_TEST

static nnh_network *random_net(void)
{
    int sizes[4] = {3, 5, 4, 2};
    unsigned long long st = 5;
    nnh_network *net = nnh_test_random_net(3, sizes, 0.0, &st);
    nnh_act_default(&net->layers[0].act, NNH_ACT_SELU);
    nnh_act_default(&net->layers[1].act, NNH_ACT_LEAKY_RELU);
    net->layers[1].act.alpha = 0.2;
    net->in_min = malloc(3 * sizeof(double));
    net->in_max = malloc(3 * sizeof(double));
    for (int j = 0; j < 3; j++)
        net->in_min[j] = -j, net->in_max[j] = j + 0.5;
    net->source = strdup("x.onnx");
    return net;
}

START_TEST(test_pack_network_roundtrip)
{
    nnh_network *net = random_net(), *back;
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_network_pack(net, &p);
    ck_assert(!p.failed);
    nnh_unpack u;
    nnh_unpack_init(&u, p.data, p.len);
    nnh_error err;
    ck_assert_int_eq(nnh_network_unpack(&u, &back, &err), 0);
    ck_assert_int_eq(back->n_layers, 3);
    for (int k = 0; k < 3; k++) {
        nnh_layer *a = &net->layers[k], *b = &back->layers[k];
        ck_assert_int_eq(a->n_out, b->n_out);
        ck_assert_int_eq(a->act.kind, b->act.kind);
        ck_assert(a->act.alpha == b->act.alpha && a->act.lambda == b->act.lambda);
        ck_assert_int_eq(memcmp(a->W, b->W, (size_t)a->n_in * a->n_out * sizeof(double)), 0);
        ck_assert_int_eq(memcmp(a->b, b->b, (size_t)a->n_out * sizeof(double)), 0);
    }
    ck_assert_int_eq(memcmp(net->in_max, back->in_max, 3 * sizeof(double)), 0);
    ck_assert_str_eq(back->source, "x.onnx");
    ck_assert_ptr_null(back->format);
    nnh_network_free(back);
    /* every truncation is refused with a message, never read as a network */
    for (size_t cut = 0; cut < p.len; cut += 7) {
        nnh_unpack_init(&u, p.data, cut);
        ck_assert_int_ne(nnh_network_unpack(&u, &back, &err), 0);
        ck_assert_ptr_null(back);
    }
    nnh_pack_free(&p);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_pack_bounds_roundtrip)
{
    nnh_network *net = random_net();
    double lo[3] = {-0.1, 0.2, 0.3}, hi[3] = {0.1, 0.4, 0.5};
    nnh_bounds *b, *c;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    ck_assert_int_eq(nnh_bounds_create(net, NULL, NULL, &c, &err), 0);
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_bounds_pack(b, &p);
    nnh_unpack u;
    nnh_unpack_init(&u, p.data, p.len);
    ck_assert_int_eq(nnh_bounds_unpack(&u, c, &err), 0);
    ck_assert_int_eq(memcmp(c->in_hi, hi, sizeof hi), 0);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(memcmp(c->layers[k].post_lo, b->layers[k].post_lo,
                                (size_t)b->layers[k].width * sizeof(double)), 0);
    nnh_unpack_init(&u, p.data, p.len - 1);
    ck_assert_int_ne(nnh_bounds_unpack(&u, c, &err), 0);
    nnh_pack_free(&p);
    nnh_bounds_free(b);
    nnh_bounds_free(c);
    nnh_network_free(net);
}
END_TEST

/* a <= b + e exactly, for b + e the exact value of a rounded sum (b its
 * rounding, e the error) and a within a factor 2 of b (a - b exact) */
static int le_exact(double a, double b, double e) { return a - b <= e; }

/* c - eps = s + e exactly (Knuth's two-sum of c and -eps; no overflow) */
static double two_diff(double c, double eps, double *e)
{
    double a = c, b = -eps, s = a + b, bv = s - a, av = s - bv;
    *e = (a - av) + (b - bv);
    return s;
}

START_TEST(test_ball_rounds_outward)
{
    unsigned long long st = 7;
    double scales[] = {1e-300, 1e-20, 1e-8, 0.05, 1, 3.5, 1e8, 1e300};
    int checked = 0;
    for (int t = 0; t < 4000; t++) {
        double c = (2 * nnh_test_rand(&st) - 1) * scales[t % 8];
        double eps = nnh_test_rand(&st) * scales[(t / 8) % 8];
        if (t % 17 == 0)
            c = 1, eps = 1e-20; /* eps below half an ulp of c: c - eps rounds to c */
        double lo, hi;
        nnh_error err;
        ck_assert_int_eq(nnh_region_ball(&c, 1, eps, &lo, &hi, &err), 0);
        if (eps == 0) {
            ck_assert(lo == c && hi == c);
            continue;
        }
        double e1, e2;
        double s1 = two_diff(c, eps, &e1), s2 = two_diff(-c, eps, &e2); /* -(c + eps) */
        if (!isfinite(s1) || !isfinite(s2) || fabs(s1) < 1e-290 || fabs(s2) < 1e-290)
            continue; /* two-sum needs no overflow; subnormal ends are checked below */
        /* lo <= c - eps and -hi <= -(c + eps), both exactly */
        ck_assert_msg(le_exact(lo, s1, e1), "c %.17g eps %.17g lo %.17g", c, eps, lo);
        ck_assert_msg(le_exact(-hi, s2, e2), "c %.17g eps %.17g hi %.17g", c, eps, hi);
        /* and not loose: within two steps of the rounded ends */
        ck_assert(lo >= nextafter(nextafter(s1, -INFINITY), -INFINITY));
        ck_assert(hi <= nextafter(nextafter(-s2, INFINITY), INFINITY));
        checked++;
    }
    ck_assert_int_gt(checked, 2000);
    /* c - eps exact in doubles: still one step outward (never equal) */
    double c = 0.5, lo, hi;
    nnh_error err;
    ck_assert_int_eq(nnh_region_ball(&c, 1, 0.25, &lo, &hi, &err), 0);
    ck_assert(lo < 0.25 && lo == nextafter(0.25, 0) && hi > 0.75 && hi == nextafter(0.75, 1));
    c = 0;
    ck_assert_int_eq(nnh_region_ball(&c, 1, 1e-320, &lo, &hi, &err), 0);
    ck_assert(lo < -1e-320 && hi > 1e-320);
}
END_TEST

START_TEST(test_ball_refuses)
{
    double c[3] = {0, 1, 2}, lo[3] = {9, 9, 9}, hi[3] = {9, 9, 9};
    nnh_error err;
    double bad_eps[] = {-1e-9, NAN, INFINITY};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(nnh_region_ball(c, 3, bad_eps[i], lo, hi, &err), NNH_EINVAL);
    c[2] = NAN;
    ck_assert_int_eq(nnh_region_ball(c, 3, 0.1, lo, hi, &err), NNH_EINVAL);
    ck_assert_str_eq(err.msg, "entry 2 is not finite");
    c[2] = -INFINITY;
    ck_assert_int_eq(nnh_region_ball(c, 3, 0.1, lo, hi, &err), NNH_EINVAL);
    ck_assert(lo[0] == 9 && hi[2] == 9); /* nothing written */
}
END_TEST

START_TEST(test_clip)
{
    /* two regions of two inputs */
    double lo[4] = {-0.5, 0.2, -INFINITY, 0.9}, hi[4] = {0.5, 0.4, INFINITY, 3};
    nnh_error err;
    ck_assert_int_eq(nnh_regions_clip(2, 2, lo, hi, 0, 1, &err), 0);
    double wl[4] = {0, 0.2, 0, 0.9}, wh[4] = {0.5, 0.4, 1, 1};
    for (int i = 0; i < 4; i++)
        ck_assert(lo[i] == wl[i] && hi[i] == wh[i]);
    /* a box that misses the interval: named, nothing changed */
    double l2[4] = {0, 0, 0, 5}, h2[4] = {1, 1, 1, 6};
    ck_assert_int_eq(nnh_regions_clip(2, 2, l2, h2, 0.5, 2, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "region 1, input 1: [5, 6] does not meet [0.5, 2]"));
    ck_assert(l2[0] == 0 && h2[2] == 1);
    /* touching at one point is a (degenerate) intersection */
    double l3[1] = {1}, h3[1] = {2};
    ck_assert_int_eq(nnh_regions_clip(1, 1, l3, h3, 0, 1, &err), 0);
    ck_assert(l3[0] == 1 && h3[0] == 1);
    ck_assert_int_eq(nnh_regions_clip(1, 1, l3, h3, 1, 0, &err), NNH_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("regions");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_split_order_and_cover);
    tcase_add_test(tc, test_split_points_covered_and_deterministic);
    tcase_add_test(tc, test_split_refuses);
    tcase_add_test(tc, test_ball_rounds_outward);
    tcase_add_test(tc, test_ball_refuses);
    tcase_add_test(tc, test_clip);
    tcase_add_test(tc, test_pack_network_roundtrip);
    tcase_add_test(tc, test_pack_bounds_roundtrip);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
