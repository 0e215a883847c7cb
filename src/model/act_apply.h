/* An activation over a whole layer: the ReLU (ACAS Xu's, and most of a
 * verify region's forward passes) inline, every other kind through
 * nnh_act_value / nnh_act_deriv. The inline ReLU is the same expression as
 * in activation.c, so the values are the same bits. */
#ifndef NNH_ACT_APPLY_H
#define NNH_ACT_APPLY_H

#include "nnhull/activation.h"

/* a[i] = sigma(z[i]) for i < n (a may be z). */
static inline void nnh_act_apply(const nnh_activation *act, const double *z, double *a, int n)
{
    if (act->kind == NNH_ACT_RELU) {
        for (int i = 0; i < n; i++)
            a[i] = z[i] > 0.0 ? z[i] : 0.0;
        return;
    }
    for (int i = 0; i < n; i++)
        a[i] = nnh_act_value(act, z[i]);
}

/* d[i] *= sigma'(z[i]) from the right (nnh_act_deriv side 1) for i < n. */
static inline void nnh_act_scale_deriv(const nnh_activation *act, const double *z, double *d,
                                       int n)
{
    if (act->kind == NNH_ACT_RELU) {
        for (int i = 0; i < n; i++)
            d[i] *= z[i] >= 0.0 ? 1.0 : 0.0;
        return;
    }
    for (int i = 0; i < n; i++)
        d[i] *= nnh_act_deriv(act, z[i], 1);
}

#endif
