/* Sampling-based soundness checks shared by the bound-engine tests: forward
 * passes of many points of an input box compared, layer by layer, with one
 * or more computed bound sets, reporting the worst violation of each. */
#ifndef NNH_SOUNDNESS_H
#define NNH_SOUNDNESS_H

#include "nnhull/nnhull.h"

/* Worst case of one bound set over the sampled points. */
typedef struct nnh_sample_report {
    double worst;    /* max over points/layers/neurons of (outside distance) / (1 + |value|); <= 0 is sound */
    int layer, neuron;
    int is_post;     /* the worst case is a post-activation value */
    double value, lo, hi;
    long points;     /* points checked */
} nnh_sample_report;

/* Forward-propagate n random points of [lo, hi] (even ones uniform, odd ones
 * random vertices) plus every corner when the box has <= 12 inputs, after
 * the network's input-domain clamp, and fill rep[t] for bound set bs[t]. */
void nnh_sample_check(const nnh_network *net, const nnh_bounds *const *bs, int nb,
                      const double *lo, const double *hi, int n, unsigned long long seed,
                      nnh_sample_report *rep);

/* One line describing a report (static buffer): where the worst case is. */
const char *nnh_sample_describe(const nnh_sample_report *r);

/* Forward-propagation allowance: a sampled double-precision value may exceed
 * a rigorous bound on the exact value by its own rounding error. */
#define NNH_SAMPLE_TOL 1e-12

/* Check-assert that every pre/post bound of in lies within out up to tol
 * (the nesting hull within lp1d within crown within ibp); what names the pair. */
void nnh_assert_within(const nnh_bounds *in, const nnh_bounds *out, double tol, const char *what);

#endif
