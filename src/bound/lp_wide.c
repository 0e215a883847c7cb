/* A wider window for the neurons that matter (opts.wide_fraction,
 * wide_window): in a hidden layer k, the floor(fraction x width) neurons of
 * highest score (lp_priority.c, opts.wide_score) get their LP tasks on a
 * second context of window wide_window, built from the same bounds; the
 * others stay on the layer's window. A wider window holds every row of the
 * narrower one plus the relaxation of more earlier layers, so its LP is a
 * tighter relaxation of the same network, and every task's bound is
 * rigorous either way (lp_safe.c). Used where the wide window is wider than
 * the layer's own and does not reach the network input (k > wide_window);
 * with opts.wide_input also where it does, as the whole prefix (an LP
 * holding the inputs, 784 columns on the ERAN MNIST nets, costs several
 * times more to build and per task: docs/benchmarks.md section 6, fifth
 * round). The choice depends on the
 * network and the creation bounds only, so every rank makes the same one
 * and a distributed run writes the serial file. */
#include "lp_layer.h"

#include <math.h>
#include <stdlib.h>

int nnh_lp_wide(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err)
{
    const nnh_network *net = L->net;
    const nnh_bound_opts *o = &L->opts;
    int k = L->k;
    nnh_bound_opts wo = *o;
    wo.window = o->wide_window;
    wo.wide_fraction = 0.0; /* one level */
    wo.skip_fraction = 0.0; /* the skips are decided here, on L */
    /* 0 = the whole prefix */
    int win = nnh_bound_opts_window(o, k, net->n_layers);
    int wwin = nnh_bound_opts_window(&wo, k, net->n_layers);
    if (o->wide_fraction <= 0.0 || o->wide_window <= 0 || k + 1 >= net->n_layers || win == 0 ||
        (wwin > 0 && wwin <= win) || (wwin == 0 && !o->wide_input))
        return NNH_OK;
    int w = net->layers[k].n_out;
    int n_wide = (int)floor(o->wide_fraction * w);
    if (n_wide <= 0)
        return NNH_OK;
    int rc = nnh_lp_mark(net, b, k, o->wide_score, n_wide, 1, &L->wide_sel, err);
    if (rc)
        return rc;
    return nnh_lp_layer_create(net, b, k, &wo, &L->wide, err);
}
