/* The 2-input verify test property, its checked verify call and the random
 * 2-input networks the verify tests run on (nnh_verify_test.h). */
#include "nnh_verify_test.h"

#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <check.h>
#include <stdio.h>

nnh_spec *nnh_test_spec_upper2(double thr)
{
    char t[512];
    snprintf(t, sizeof t,
             "(declare-const X_0 Real)(declare-const X_1 Real)(declare-const Y_0 Real)\n"
             "(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))"
             "(assert (<= X_1 1))(assert (<= Y_0 %.17g))",
             thr);
    nnh_spec *spec;
    nnh_error err;
    ck_assert_msg(nnh_parse_vnnlib(t, "t", &spec, &err) == 0, "%s", err.msg);
    return spec;
}

nnh_verdict nnh_test_verify_upper2(const nnh_network *net, double thr, const nnh_verify_opts *o,
                                   nnh_verify_result *res)
{
    nnh_spec *spec = nnh_test_spec_upper2(thr);
    nnh_error err;
    ck_assert_msg(nnh_verify(net, spec, o, res, NULL, NULL, &err) == 0, "%s", err.msg);
    if (res->verdict == NNH_VERDICT_SAT) { /* anywhere in the box, re-evaluated */
        double y;
        nnh_network_eval(net, res->cex_x, &y, NULL);
        ck_assert(y == res->cex_y[0]);
        ck_assert(nnh_spec_case_holds(spec, res->cex_case, res->cex_x, &y, 0.0));
    }
    nnh_spec_free(spec);
    return res->verdict;
}

nnh_network *nnh_test_net2(int n_hidden, int w, double scale, nnh_act_kind act,
                           unsigned long long seed)
{
    int sizes[8];
    ck_assert_int_le(n_hidden, 6);
    sizes[0] = 2;
    for (int k = 1; k <= n_hidden; k++)
        sizes[k] = w;
    sizes[n_hidden + 1] = 1;
    nnh_network *net = nnh_test_random_net(n_hidden + 1, sizes, 0.5, &seed);
    ck_assert_ptr_nonnull(net);
    for (int k = 0; k < n_hidden; k++) {
        nnh_layer *L = &net->layers[k];
        for (int i = 0; i < L->n_in * L->n_out; i++)
            L->W[i] *= scale;
        nnh_act_default(&L->act, act);
    }
    return net;
}
