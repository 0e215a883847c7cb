/* Shared pieces of the verify unit tests on 2-input, 1-output networks: the
 * property "Y_0 <= thr somewhere in [-1, 1]^2" and a verify call whose sat
 * answers are re-checked by a forward pass. */
#ifndef NNH_VERIFY_TEST_H
#define NNH_VERIFY_TEST_H

#include "nnhull/verify.h"

/* The spec "X in [-1, 1]^2 and Y_0 <= thr" (a counterexample is an input
 * whose output is at most thr); fails the running test on a parse error. */
nnh_spec *nnh_test_spec_upper2(double thr);

/* Verify that spec on net with options o into res; a sat answer's
 * counterexample is re-evaluated and must meet the spec. Returns the verdict. */
nnh_verdict nnh_test_verify_upper2(const nnh_network *net, double thr, const nnh_verify_opts *o,
                                   nnh_verify_result *res);

/* A random 2-w-...-w-1 network (n_hidden hidden layers of width w, drawn by
 * nnh_test_random_net from seed with bias shift 0.5), the hidden weights
 * scaled by `scale` and activation `act` on the hidden layers; fails the
 * running test when it cannot be built. */
nnh_network *nnh_test_net2(int n_hidden, int w, double scale, nnh_act_kind act,
                           unsigned long long seed);

#endif
