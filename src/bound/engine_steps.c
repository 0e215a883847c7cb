/* Layer steps of the bound engines (see engine_steps.h): the single-process
 * driver in engine.c runs them too, so the sequence exists once; cut at the
 * points where a distributed driver hands out and gathers the per-neuron LP
 * tasks. */
#include "engine_steps.h"
#include "nnhull/stop.h"

#include <math.h>

int nnh_steps_pass(const nnh_network *net, const nnh_bounds *b, const nnh_bound_opts *o,
                   nnh_bounds **pass, nnh_error *err)
{
    *pass = NULL;
    if (o->method < NNH_METHOD_LP1D)
        return NNH_OK;
    int rc = nnh_bounds_copy(b, pass, err);
    for (int k = 0; rc == 0 && k < net->n_layers; k++) {
        nnh_bounds_ibp_layer(net, *pass, k);
        if (!nnh_stop_requested()) /* after a stop request (nnhull/stop.h): IBP, valid */
            rc = nnh_crown_layer(net, *pass, k, err);
    }
    if (rc != 0) {
        nnh_bounds_free(*pass);
        *pass = NULL;
    }
    return rc;
}

int nnh_steps_prepare(const nnh_network *net, nnh_bounds *b, int k, const nnh_bounds *pass,
                      const nnh_bound_opts *o, nnh_error *err)
{
    nnh_bounds_ibp_layer(net, b, k);
    if (o->method >= NNH_METHOD_CROWN) {
        int rc = nnh_crown_layer(net, b, k, err);
        if (rc != 0)
            return rc;
    }
    nnh_layer_bounds *L = &b->layers[k];
    if (pass) {
        const nnh_layer_bounds *M = &pass->layers[k];
        for (int i = 0; i < L->width; i++) {
            L->pre_lo[i] = fmax(L->pre_lo[i], M->pre_lo[i]);
            L->pre_hi[i] = fmin(L->pre_hi[i], M->pre_hi[i]);
        }
        nnh_bounds_post_from_pre(net, b, k);
    }
    /* layer 0 is affine in the inputs: the interval bound is already exact */
    return o->method >= NNH_METHOD_LP1D && k > 0 ? 2 * L->width : 0;
}

void nnh_steps_apply(const nnh_network *net, nnh_bounds *b, int k, const double *res,
                     int n_tasks)
{
    nnh_layer_bounds *L = &b->layers[k];
    for (int t = 0; t < n_tasks; t++) {
        int i = nnh_steps_neuron(t);
        double v = res[t];
        if (nnh_steps_sense(t) < 0 && v > L->pre_lo[i])
            L->pre_lo[i] = v;
        if (nnh_steps_sense(t) > 0 && v < L->pre_hi[i])
            L->pre_hi[i] = v;
    }
    if (n_tasks > 0)
        nnh_bounds_post_from_pre(net, b, k);
}
