/* Helpers shared by the Check test programs: locating the repository and the
 * optional external data, skipping cleanly (exit 77) when data is absent,
 * and running a suite with the standard CTest-friendly exit code. */
#ifndef NNH_TEST_H
#define NNH_TEST_H

#include <check.h>
#include <stdio.h>

/* Path under the repository root, e.g. nnh_src_path("examples/x.onnx"). */
const char *nnh_src_path(const char *rel);
/* Path under ../shared/data, or NULL if that file or folder is absent. */
const char *nnh_data_path(const char *rel);
/* Exit 77 (CTest: skipped) with a message when rel under shared data is absent. */
void nnh_require_data(const char *rel);
/* Run the suite, print Check's summary, return 0 if all passed. */
int nnh_run_suite(Suite *s);
/* Deterministic uniform doubles in [0,1) (splitmix64). */
double nnh_test_rand(unsigned long long *state);
/* A network of the given sizes (sizes[0] inputs, sizes[k+1] = width of layer
 * k), identity activations, weights uniform in [-1,1) and biases uniform in
 * [-bias_shift, 1-bias_shift), drawn from *st layer by layer (W then b). */
struct nnh_network;
struct nnh_network *nnh_test_random_net(int n_layers, const int *sizes, double bias_shift,
                                        unsigned long long *st);
/* Write text to a fresh temporary file; returns its path (static buffer per call slot). */
const char *nnh_test_tmpfile(const char *text, const char *suffix);
/* Smallest output of a 2-input, 1-output network over the 401 x 401 grid of
 * [-1, 1]^2 (the brute-force answer the verify tests compare with). */
double nnh_test_grid_min2(const struct nnh_network *net);

#endif
