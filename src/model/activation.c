/* Activation catalogue: stable evaluation, derivatives, classes, images.
 * See activation.h; the formulas avoid overflow for |z| up to 1e6 and never
 * clip sigmoid/tanh to exact 0/1 beyond what double rounding itself does. */
#include "nnhull/activation.h"
#include "nnh_round.h"

#include <math.h>
#include <string.h>

static const char *const act_names[NNH_ACT_COUNT] = {
    "identity", "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu", "selu"};

void nnh_act_default(nnh_activation *a, nnh_act_kind kind)
{
    a->kind = kind;
    a->alpha = 0.0;
    a->lambda = 1.0;
    if (kind == NNH_ACT_LEAKY_RELU)
        a->alpha = 0.01;
    else if (kind == NNH_ACT_ELU)
        a->alpha = 1.0;
    else if (kind == NNH_ACT_SELU) {
        a->alpha = NNH_SELU_ALPHA;
        a->lambda = NNH_SELU_LAMBDA;
    }
}

int nnh_act_check(const nnh_activation *a, nnh_error *err)
{
    if ((int)a->kind < 0 || a->kind >= NNH_ACT_COUNT)
        return nnh_error_set(err, NNH_EINVAL, "unknown activation kind %d", (int)a->kind);
    const char *nm = act_names[a->kind];
    if (!isfinite(a->alpha) || !isfinite(a->lambda))
        return nnh_error_set(err, NNH_EINVAL, "%s: parameters must be finite", nm);
    if (a->kind == NNH_ACT_LEAKY_RELU && (a->alpha < 0.0 || a->alpha > 1.0))
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "leaky_relu: alpha=%g unsupported (need 0 <= alpha <= 1)", a->alpha);
    if (a->kind == NNH_ACT_ELU && a->alpha < 0.0)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "elu: alpha=%g unsupported (need alpha >= 0)",
                             a->alpha);
    if (a->kind == NNH_ACT_SELU && (a->alpha <= 0.0 || a->lambda <= 0.0))
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "selu: alpha=%g gamma=%g unsupported (need both > 0)", a->alpha,
                             a->lambda);
    return NNH_OK;
}

const char *nnh_act_name(nnh_act_kind kind)
{
    if ((int)kind < 0 || kind >= NNH_ACT_COUNT)
        return "unknown";
    return act_names[kind];
}

int nnh_act_parse(const char *name, nnh_act_kind *kind)
{
    for (int k = 0; k < NNH_ACT_COUNT; k++)
        if (strcmp(name, act_names[k]) == 0) {
            *kind = (nnh_act_kind)k;
            return NNH_OK;
        }
    if (!strcmp(name, "linear") || !strcmp(name, "none")) {
        *kind = NNH_ACT_IDENTITY;
        return NNH_OK;
    }
    if (!strcmp(name, "leakyrelu") || !strcmp(name, "leaky")) {
        *kind = NNH_ACT_LEAKY_RELU;
        return NNH_OK;
    }
    return NNH_EINVAL;
}

/* sigmoid without overflow: exp of a nonpositive argument only */
static double sigmoid(double z)
{
    if (z >= 0.0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* sigma(z) sigma(-z) = e^{-|z|} / (1 + e^{-|z|})^2, accurate in both tails */
static double sigmoid_deriv(double z)
{
    double e = exp(-fabs(z));
    double d = 1.0 + e;
    return e / (d * d);
}

double nnh_act_value(const nnh_activation *a, double z)
{
    switch (a->kind) {
    case NNH_ACT_IDENTITY: return z;
    case NNH_ACT_RELU: return z > 0.0 ? z : 0.0;
    case NNH_ACT_LEAKY_RELU: return z >= 0.0 ? z : a->alpha * z;
    case NNH_ACT_SIGMOID: return sigmoid(z);
    case NNH_ACT_TANH: return tanh(z);
    case NNH_ACT_SOFTPLUS: return z > 0.0 ? z + log1p(exp(-z)) : log1p(exp(z));
    case NNH_ACT_ELU: return z >= 0.0 ? z : a->alpha * expm1(z);
    case NNH_ACT_SELU: return a->lambda * (z >= 0.0 ? z : a->alpha * expm1(z));
    default: return NAN;
    }
}

double nnh_act_deriv(const nnh_activation *a, double z, int side)
{
    int right = (z > 0.0) || (z == 0.0 && side >= 0);
    switch (a->kind) {
    case NNH_ACT_IDENTITY: return 1.0;
    case NNH_ACT_RELU: return right ? 1.0 : 0.0;
    case NNH_ACT_LEAKY_RELU: return right ? 1.0 : a->alpha;
    case NNH_ACT_SIGMOID: return sigmoid_deriv(z);
    case NNH_ACT_TANH: return 4.0 * sigmoid_deriv(2.0 * z);
    case NNH_ACT_SOFTPLUS: return sigmoid(z);
    case NNH_ACT_ELU: return right ? 1.0 : a->alpha * exp(z);
    case NNH_ACT_SELU: return a->lambda * (right ? 1.0 : a->alpha * exp(z));
    default: return NAN;
    }
}

nnh_act_class nnh_act_classify(const nnh_activation *a)
{
    switch (a->kind) {
    case NNH_ACT_IDENTITY: return NNH_CLASS_LINEAR;
    case NNH_ACT_SIGMOID:
    case NNH_ACT_TANH:
    case NNH_ACT_SELU: return NNH_CLASS_SSHAPED;
    case NNH_ACT_ELU: return a->alpha > 1.0 ? NNH_CLASS_SSHAPED : NNH_CLASS_CONVEX;
    default: return NNH_CLASS_CONVEX;
    }
}

double nnh_act_inflection(const nnh_activation *a)
{
    return nnh_act_classify(a) == NNH_CLASS_SSHAPED ? 0.0 : NAN;
}

int nnh_act_has_kink(const nnh_activation *a)
{
    switch (a->kind) {
    case NNH_ACT_RELU:
    case NNH_ACT_SELU: return 1;
    case NNH_ACT_LEAKY_RELU: return a->alpha != 1.0;
    case NNH_ACT_ELU: return a->alpha != 1.0;
    default: return 0;
    }
}

/* lower end of the activation's range, for clipping enclosures */
static double range_min(const nnh_activation *a)
{
    switch (a->kind) {
    case NNH_ACT_RELU:
    case NNH_ACT_SIGMOID:
    case NNH_ACT_SOFTPLUS: return 0.0;
    case NNH_ACT_TANH: return -1.0;
    case NNH_ACT_ELU: return -a->alpha;
    case NNH_ACT_SELU: return nnh_down(-a->lambda * a->alpha);
    default: return -INFINITY;
    }
}

static double range_max(const nnh_activation *a)
{
    if (a->kind == NNH_ACT_SIGMOID || a->kind == NNH_ACT_TANH)
        return 1.0;
    return INFINITY;
}

void nnh_act_image(const nnh_activation *a, double L, double U, double *lo, double *hi)
{
    double vl = nnh_act_value(a, L), vu = nnh_act_value(a, U);
    switch (a->kind) {
    case NNH_ACT_IDENTITY:
    case NNH_ACT_RELU: /* exact */
        *lo = vl;
        *hi = vu;
        return;
    case NNH_ACT_LEAKY_RELU: /* one rounded product on the negative side */
        *lo = L >= 0.0 ? vl : nnh_down(vl);
        *hi = U >= 0.0 ? vu : nnh_up(vu);
        break;
    default: /* libm-based */
        *lo = (L >= 0.0 && a->kind == NNH_ACT_ELU) ? vl : nnh_libm_down(vl);
        *hi = (U >= 0.0 && a->kind == NNH_ACT_ELU) ? vu : nnh_libm_up(vu);
        break;
    }
    double rmin = range_min(a), rmax = range_max(a);
    if (*lo < rmin)
        *lo = rmin;
    if (*hi > rmax)
        *hi = rmax;
}
