/* Sampling-based soundness checks for the bound-engine tests (see
 * nnh_soundness.h): random points and corners of a box, forward-propagated
 * with nnh_network_eval_layers, compared with every layer's bounds. */
#include "nnh_soundness.h"
#include "nnh_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* distance of v outside [lo, hi], relative to 1 + |v| */
static double outside(double v, double lo, double hi)
{
    double d = fmax(lo - v, v - hi);
    if (isnan(v) || isnan(lo) || isnan(hi))
        return INFINITY;
    return d / (1.0 + fabs(v));
}

static void record(nnh_sample_report *r, double d, int k, int i, int post, double v, double lo,
                   double hi)
{
    if (d > r->worst) {
        r->worst = d;
        r->layer = k;
        r->neuron = i;
        r->is_post = post;
        r->value = v;
        r->lo = lo;
        r->hi = hi;
    }
}

static void check_point(const nnh_network *net, const nnh_bounds *b, double *const *pre,
                        double *const *post, nnh_sample_report *r)
{
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer_bounds *L = &b->layers[k];
        for (int i = 0; i < L->width; i++) {
            record(r, outside(pre[k][i], L->pre_lo[i], L->pre_hi[i]), k, i, 0, pre[k][i],
                   L->pre_lo[i], L->pre_hi[i]);
            record(r, outside(post[k][i], L->post_lo[i], L->post_hi[i]), k, i, 1, post[k][i],
                   L->post_lo[i], L->post_hi[i]);
        }
    }
    r->points++;
}

void nnh_sample_check(const nnh_network *net, const nnh_bounds *const *bs, int nb,
                      const double *lo, const double *hi, int n, unsigned long long seed,
                      nnh_sample_report *rep)
{
    int L = net->n_layers, w = nnh_network_max_width(net), nin = net->n_inputs;
    double *buf = malloc((size_t)(2 * L * w + nin) * sizeof(double));
    double **pre = malloc((size_t)L * sizeof *pre), **post = malloc((size_t)L * sizeof *post);
    if (!buf || !pre || !post)
        abort();
    for (int k = 0; k < L; k++) {
        pre[k] = buf + (size_t)(2 * k) * w;
        post[k] = buf + (size_t)(2 * k + 1) * w;
    }
    double *x = buf + (size_t)2 * L * w;
    for (int t = 0; t < nb; t++) {
        rep[t] = (nnh_sample_report){-INFINITY, -1, -1, 0, NAN, NAN, NAN, 0};
    }
    long corners = nin <= 12 ? 1L << nin : 0;
    unsigned long long st = seed;
    for (long s = 0; s < n + corners; s++) {
        for (int j = 0; j < nin; j++) {
            double u = nnh_test_rand(&st);
            if (s < corners)
                u = (double)((s >> j) & 1);
            else if (s % 2)
                u = u < 0.5 ? 0.0 : 1.0;
            x[j] = u == 0.0 ? lo[j] : u == 1.0 ? hi[j] : lo[j] + (hi[j] - lo[j]) * u;
            if (x[j] > hi[j])
                x[j] = hi[j];
            if (net->in_min && x[j] < net->in_min[j]) /* what nnh_network_eval's clamp does */
                x[j] = net->in_min[j];
            if (net->in_max && x[j] > net->in_max[j])
                x[j] = net->in_max[j];
        }
        nnh_network_eval_layers(net, x, pre, post);
        for (int t = 0; t < nb; t++)
            check_point(net, bs[t], pre, post, &rep[t]);
    }
    free(pre);
    free(post);
    free(buf);
}

const char *nnh_sample_describe(const nnh_sample_report *r)
{
    static char line[512];
    snprintf(line, sizeof line,
             "worst relative excess %.3g at layer %d neuron %d (%s): value %.17g, bounds "
             "[%.17g, %.17g], %ld points",
             r->worst, r->layer, r->neuron, r->is_post ? "post" : "pre", r->value, r->lo, r->hi,
             r->points);
    return line;
}

void nnh_assert_within(const nnh_bounds *in, const nnh_bounds *out, double tol, const char *what)
{
    for (int k = 0; k < in->n_layers; k++) {
        const nnh_layer_bounds *I = &in->layers[k], *O = &out->layers[k];
        for (int i = 0; i < I->width; i++)
            ck_assert_msg(I->pre_lo[i] >= O->pre_lo[i] - tol && I->pre_hi[i] <= O->pre_hi[i] + tol &&
                              I->post_lo[i] >= O->post_lo[i] - tol &&
                              I->post_hi[i] <= O->post_hi[i] + tol,
                          "%s: layer %d neuron %d: pre [%.17g, %.17g] not within [%.17g, %.17g]",
                          what, k, i, I->pre_lo[i], I->pre_hi[i], O->pre_lo[i], O->pre_hi[i]);
    }
}
