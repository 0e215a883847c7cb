/* Bound containers and interval bound propagation (IBP) with outward
 * rounding: each z_i = b_i + sum_j w_ij a_j is enclosed by summing the
 * endpoint products in round-to-nearest and widening by a rigorous bound on
 * the summation error (nnh_dot_error). */
#include "nnhull/bounds.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int nnh_bounds_create(const nnh_network *net, const double *in_lo, const double *in_hi,
                      nnh_bounds **out, nnh_error *err)
{
    *out = NULL;
    nnh_bounds *b = calloc(1, sizeof *b);
    if (!b)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    b->n_in = net->n_inputs;
    b->n_layers = net->n_layers;
    b->in_lo = malloc((size_t)b->n_in * sizeof(double));
    b->in_hi = malloc((size_t)b->n_in * sizeof(double));
    b->layers = calloc((size_t)net->n_layers, sizeof *b->layers);
    if (!b->in_lo || !b->in_hi || !b->layers)
        goto oom;
    for (int j = 0; j < b->n_in; j++) {
        b->in_lo[j] = in_lo ? in_lo[j] : -INFINITY;
        b->in_hi[j] = in_hi ? in_hi[j] : INFINITY;
    }
    for (int k = 0; k < net->n_layers; k++) {
        nnh_layer_bounds *L = &b->layers[k];
        int n = net->layers[k].n_out;
        L->width = n;
        L->pre_lo = malloc((size_t)n * sizeof(double));
        L->pre_hi = malloc((size_t)n * sizeof(double));
        L->post_lo = malloc((size_t)n * sizeof(double));
        L->post_hi = malloc((size_t)n * sizeof(double));
        if (!L->pre_lo || !L->pre_hi || !L->post_lo || !L->post_hi)
            goto oom;
        for (int i = 0; i < n; i++) {
            L->pre_lo[i] = L->post_lo[i] = -INFINITY;
            L->pre_hi[i] = L->post_hi[i] = INFINITY;
        }
    }
    *out = b;
    return NNH_OK;
oom:
    nnh_bounds_free(b);
    return nnh_error_set(err, NNH_ENOMEM, "out of memory allocating bounds");
}

void nnh_layer_stats_add(nnh_layer_stats *a, const nnh_layer_stats *b)
{
    a->seconds += b->seconds;
    a->lp_solves += b->lp_solves;
    a->simplex_iters += b->simplex_iters;
    a->cuts_1d += b->cuts_1d;
    a->cuts_multivariate += b->cuts_multivariate;
    a->fallbacks += b->fallbacks;
}

void nnh_bounds_free(nnh_bounds *b)
{
    if (!b)
        return;
    if (b->layers)
        for (int k = 0; k < b->n_layers; k++) {
            free(b->layers[k].pre_lo);
            free(b->layers[k].pre_hi);
            free(b->layers[k].post_lo);
            free(b->layers[k].post_hi);
        }
    free(b->layers);
    free(b->in_lo);
    free(b->in_hi);
    free(b);
}

int nnh_bounds_copy(const nnh_bounds *src, nnh_bounds **out, nnh_error *err)
{
    *out = NULL;
    nnh_bounds *b = calloc(1, sizeof *b);
    if (!b)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    b->n_in = src->n_in;
    b->n_layers = src->n_layers;
    size_t ni = (size_t)src->n_in * sizeof(double);
    b->in_lo = malloc(ni);
    b->in_hi = malloc(ni);
    b->layers = calloc((size_t)src->n_layers, sizeof *b->layers);
    if (!b->in_lo || !b->in_hi || !b->layers)
        goto oom;
    memcpy(b->in_lo, src->in_lo, ni);
    memcpy(b->in_hi, src->in_hi, ni);
    for (int k = 0; k < src->n_layers; k++) {
        const nnh_layer_bounds *S = &src->layers[k];
        nnh_layer_bounds *L = &b->layers[k];
        size_t n = (size_t)S->width * sizeof(double);
        L->width = S->width;
        L->pre_lo = malloc(n);
        L->pre_hi = malloc(n);
        L->post_lo = malloc(n);
        L->post_hi = malloc(n);
        if (!L->pre_lo || !L->pre_hi || !L->post_lo || !L->post_hi)
            goto oom;
        memcpy(L->pre_lo, S->pre_lo, n);
        memcpy(L->pre_hi, S->pre_hi, n);
        memcpy(L->post_lo, S->post_lo, n);
        memcpy(L->post_hi, S->post_hi, n);
    }
    *out = b;
    return NNH_OK;
oom:
    nnh_bounds_free(b);
    return nnh_error_set(err, NNH_ENOMEM, "out of memory copying bounds");
}

/* clamping is monotone per coordinate, so the clamped box is the image */
void nnh_bounds_input(const nnh_network *net, const nnh_bounds *b, int j, double *lo, double *hi)
{
    double l = b->in_lo[j], u = b->in_hi[j];
    if (net->in_min) {
        l = fmax(l, net->in_min[j]);
        u = fmax(u, net->in_min[j]);
    }
    if (net->in_max) {
        l = fmin(l, net->in_max[j]);
        u = fmin(u, net->in_max[j]);
    }
    *lo = l;
    *hi = u;
}

void nnh_bounds_post_from_pre(const nnh_network *net, nnh_bounds *b, int k)
{
    const nnh_activation *act = &net->layers[k].act;
    nnh_layer_bounds *L = &b->layers[k];
    for (int i = 0; i < L->width; i++)
        nnh_act_image(act, L->pre_lo[i], L->pre_hi[i], &L->post_lo[i], &L->post_hi[i]);
}

/* One term w * x of an interval dot product, x in [l, u], into the lower
 * and upper sums and their magnitude sums (interval_dot). The end is picked
 * by index, not by a branch: the signs of trained weights are a coin toss
 * that no branch predictor learns. */
#define NNH_IDOT_TERM(wj, l, u)                                                  \
    do {                                                                         \
        const double ends_[2] = {(l), (u)};                                      \
        int pos_ = (wj) > 0.0;                                                   \
        double pl_ = (wj) * ends_[1 - pos_];                                     \
        double pu_ = (wj) * ends_[pos_];                                         \
        sl += pl_;                                                               \
        al += fabs(pl_);                                                         \
        su += pu_;                                                               \
        au += fabs(pu_);                                                         \
    } while (0)

/* The rounded ends of one interval dot product from its sums (interval_dot). */
static void idot_ends(int n, double sl, double al, double su, double au, double *zl, double *zu)
{
    *zl = !isfinite(sl) || !isfinite(al) ? -INFINITY : nnh_down(sl - nnh_dot_error(n, al));
    *zu = !isfinite(su) || !isfinite(au) ? INFINITY : nnh_up(su + nnh_dot_error(n, au));
}

/* Both sides of an interval dot product, *zl rounded down and *zu up; w has
 * n entries on the inputs cols (NULL: inputs 0..n-1). The lower and upper
 * sums run side by side in one pass (independent chains overlap), each with
 * the operations and order of a pass of its own. */
static void interval_dot(const double *w, const int *cols, double bias, int n,
                         const double *lo, const double *hi, double *zl, double *zu)
{
    double sl = bias, su = bias, al = fabs(bias), au = fabs(bias);
    if (cols) {
        for (int t = 0; t < n; t++)
            if (w[t] != 0.0)
                NNH_IDOT_TERM(w[t], lo[cols[t]], hi[cols[t]]);
    } else {
        for (int t = 0; t < n; t++)
            if (w[t] != 0.0)
                NNH_IDOT_TERM(w[t], lo[t], hi[t]);
    }
    idot_ends(n, sl, al, su, au, zl, zu);
}

/* One term of row R of interval_dot4 into its sums sl##R, al##R, su##R,
 * au##R (the operations of NNH_IDOT_TERM). */
#define NNH_IDOT4_TERM(R, wj, ends)                                              \
    do {                                                                         \
        double w_ = (wj);                                                        \
        if (w_ != 0.0) {                                                         \
            int pos_ = w_ > 0.0;                                                 \
            double pl_ = w_ * (ends)[1 - pos_], pu_ = w_ * (ends)[pos_];         \
            sl##R += pl_;                                                        \
            al##R += fabs(pl_);                                                  \
            su##R += pu_;                                                        \
            au##R += fabs(pu_);                                                  \
        }                                                                        \
    } while (0)

/* interval_dot of four dense rows w[0..3] (n entries over inputs 0..n-1,
 * biases bias[0..3]) in one pass over the inputs: each row's sums get the
 * operations of interval_dot in its order (the same bits); the four rows'
 * chains of additions overlap instead of waiting on each other (IBP was 15%
 * of verify on ACAS Xu one row at a time). */
static void interval_dot4(const double *const *w, const double *bias, int n, const double *lo,
                          const double *hi, double *zl, double *zu)
{
    double sl0 = bias[0], su0 = bias[0], al0 = fabs(bias[0]), au0 = fabs(bias[0]);
    double sl1 = bias[1], su1 = bias[1], al1 = fabs(bias[1]), au1 = fabs(bias[1]);
    double sl2 = bias[2], su2 = bias[2], al2 = fabs(bias[2]), au2 = fabs(bias[2]);
    double sl3 = bias[3], su3 = bias[3], al3 = fabs(bias[3]), au3 = fabs(bias[3]);
    const double *w0 = w[0], *w1 = w[1], *w2 = w[2], *w3 = w[3];
    for (int t = 0; t < n; t++) {
        const double ends[2] = {lo[t], hi[t]};
        NNH_IDOT4_TERM(0, w0[t], ends);
        NNH_IDOT4_TERM(1, w1[t], ends);
        NNH_IDOT4_TERM(2, w2[t], ends);
        NNH_IDOT4_TERM(3, w3[t], ends);
    }
    idot_ends(n, sl0, al0, su0, au0, &zl[0], &zu[0]);
    idot_ends(n, sl1, al1, su1, au1, &zl[1], &zu[1]);
    idot_ends(n, sl2, al2, su2, au2, &zl[2], &zu[2]);
    idot_ends(n, sl3, al3, su3, au3, &zl[3], &zu[3]);
}

/* Intersect [zl, zu] into neuron i's pre-activation bounds of L. */
static void meet(nnh_layer_bounds *L, int i, double zl, double zu)
{
    if (zl > L->pre_lo[i])
        L->pre_lo[i] = zl;
    if (zu < L->pre_hi[i])
        L->pre_hi[i] = zu;
}

void nnh_bounds_ibp_layer(const nnh_network *net, nnh_bounds *b, int k)
{
    const nnh_layer *Ly = &net->layers[k];
    nnh_layer_bounds *L = &b->layers[k];
    const double *lo, *hi;
    double *tmp = NULL;
    if (k == 0) {
        tmp = malloc(2 * (size_t)net->n_inputs * sizeof(double));
        if (!tmp)
            return; /* leaves [-inf, inf], still sound */
        for (int j = 0; j < net->n_inputs; j++)
            nnh_bounds_input(net, b, j, &tmp[j], &tmp[net->n_inputs + j]);
        lo = tmp;
        hi = tmp + net->n_inputs;
    } else {
        lo = b->layers[k - 1].post_lo;
        hi = b->layers[k - 1].post_hi;
    }
    /* intersect with what is already known (a tighter engine may have run) */
    int i = 0;
    for (; Ly->W && i + 4 <= Ly->n_out; i += 4) {
        const double *w[4];
        double zl[4], zu[4];
        for (int r = 0; r < 4; r++)
            w[r] = Ly->W + (size_t)(i + r) * (size_t)Ly->n_in;
        interval_dot4(w, Ly->b + i, Ly->n_in, lo, hi, zl, zu);
        for (int r = 0; r < 4; r++)
            meet(L, i + r, zl[r], zu[r]);
    }
    for (; i < Ly->n_out; i++) {
        const int *cols;
        const double *w;
        int n = nnh_layer_row(Ly, i, &cols, &w);
        double zl, zu;
        interval_dot(w, cols, Ly->b[i], n, lo, hi, &zl, &zu);
        meet(L, i, zl, zu);
    }
    free(tmp);
    nnh_bounds_post_from_pre(net, b, k);
}

int nnh_bounds_check(const nnh_network *net, const nnh_bounds *b, nnh_error *err)
{
    if (b->n_layers != net->n_layers || b->n_in != net->n_inputs)
        return nnh_error_set(err, NNH_EINVAL, "bounds do not match the network's shape");
    for (int j = 0; j < b->n_in; j++)
        if (!(b->in_lo[j] <= b->in_hi[j]))
            return nnh_error_set(err, NNH_EINVAL, "input %d: empty interval [%g, %g]", j,
                                 b->in_lo[j], b->in_hi[j]);
    return NNH_OK;
}

int nnh_bounds_ibp(const nnh_network *net, nnh_bounds *b, nnh_error *err)
{
    int rc = nnh_bounds_check(net, b, err);
    if (rc)
        return rc;
    for (int k = 0; k < net->n_layers; k++)
        nnh_bounds_ibp_layer(net, b, k);
    return NNH_OK;
}

int nnh_bounds_contains(const nnh_bounds *b, int k, int i, double pre, double post)
{
    const nnh_layer_bounds *L = &b->layers[k];
    return pre >= L->pre_lo[i] && pre <= L->pre_hi[i] && post >= L->post_lo[i] &&
           post <= L->post_hi[i];
}
