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

#endif
