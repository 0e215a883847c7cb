/* Helpers of the tests that run the examples/digits_* networks: loading one
 * by activation and architecture, the L-inf ball around the first test
 * input (examples/digits_test_inputs.csv), and comparing bound sets. */
#ifndef NNH_EXAMPLES_H
#define NNH_EXAMPLES_H

#include "nnhull/nnhull.h"

#define NNH_DIGITS_N_IN 64

/* examples/digits_<act>_<arch>.onnx (check-asserts that it loads). */
nnh_network *nnh_test_load_digits(const char *act, const char *arch);
/* [v - eps, v + eps] clipped to [0, 1] around the first test input v. */
void nnh_test_digits_ball(double eps, double *lo, double *hi);

/* The whole input box [0, 1]^64 of the digits nets. */
void nnh_test_digits_box(double *lo, double *hi);
/* The whole box when box is nonzero, else the eps ball. */
void nnh_test_digits_region(int box, double eps, double *lo, double *hi);

/* 1 when every pre/post bound of a and b is the same double. */
int nnh_test_same_bounds(const nnh_bounds *a, const nnh_bounds *b);
/* Sum over the last layer of its pre-activation widths. */
double nnh_test_output_width(const nnh_bounds *b);
/* Task by task on the LP contexts of lp1d and hull built from the same
 * bounds b with options o (its method ignored), layers 1..: check-asserts
 * that hull's bound is never looser than lp1d's; returns the number of
 * tasks hull made tighter, *tasks (may be NULL) the number compared. */
int nnh_test_hull_vs_lp1d(const nnh_network *net, const nnh_bounds *b, const nnh_bound_opts *o,
                          int *tasks);
/* Bounds by method m with options base (its method replaced); sum (may be
 * NULL) gets the summed statistics of all layers. */
nnh_bounds *nnh_test_run_opts(const nnh_network *net, const double *lo, const double *hi,
                              const nnh_bound_opts *base, nnh_method m, nnh_layer_stats *sum);
/* ibp, crown, lp1d and hull with options o over [lo, hi]: check-asserts the
 * nesting (lp1d in crown in ibp; hull in crown, and in lp1d within 1e-5
 * when deterministic: without a budget that cuts the LP path) and that 5000
 * sampled points lie in every layer's bounds; prints the output widths. */
void nnh_test_check_opts(const nnh_network *net, const char *what, const double *lo,
                         const double *hi, const nnh_bound_opts *o, int deterministic);

#endif
