/* Activation catalogue: value, one-sided derivatives, convexity class,
 * inflection point and rigorous interval image of every activation nnhull
 * supports. Tie points and envelopes built on these live in envelope.h. */
#ifndef NNH_ACTIVATION_H
#define NNH_ACTIVATION_H

#include "nnhull/error.h"

typedef enum {
    NNH_ACT_IDENTITY = 0,
    NNH_ACT_RELU,
    NNH_ACT_LEAKY_RELU, /* z >= 0 ? z : alpha z, 0 <= alpha <= 1 (ONNX LeakyRelu) */
    NNH_ACT_SIGMOID,
    NNH_ACT_TANH,
    NNH_ACT_SOFTPLUS,   /* log(1 + e^z) */
    NNH_ACT_ELU,        /* z >= 0 ? z : alpha (e^z - 1), alpha >= 0 */
    NNH_ACT_SELU,       /* lambda * (z >= 0 ? z : alpha (e^z - 1)) */
    NNH_ACT_COUNT
} nnh_act_kind;

typedef enum {
    NNH_CLASS_LINEAR = 0, /* identity */
    NNH_CLASS_CONVEX,     /* ReLU, leaky ReLU, softplus, ELU alpha <= 1 */
    NNH_CLASS_SSHAPED     /* sigmoid, tanh, SELU, ELU alpha > 1 */
} nnh_act_class;

typedef struct nnh_activation {
    nnh_act_kind kind;
    double alpha;  /* leaky ReLU slope, ELU/SELU alpha; unused otherwise */
    double lambda; /* SELU scale; unused otherwise */
} nnh_activation;

/* SELU constants (Klambauer et al. 2017, also the ONNX defaults). */
#define NNH_SELU_ALPHA 1.67326319217681884765625
#define NNH_SELU_LAMBDA 1.05070102214813232421875

/* Fill a with kind and its default parameters (leaky 0.01, ELU 1, SELU above). */
void nnh_act_default(nnh_activation *a, nnh_act_kind kind);

/* Validate parameters (e.g. leaky alpha in [0,1]); message names the activation. */
int nnh_act_check(const nnh_activation *a, nnh_error *err);

/* "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "elu", "selu", "identity". */
const char *nnh_act_name(nnh_act_kind kind);
/* Parse a name as above (also accepts "linear", "none", "leakyrelu"); 0 or NNH_EINVAL. */
int nnh_act_parse(const char *name, nnh_act_kind *kind);

/* sigma(z), numerically stable for |z| up to 1e6 (no overflow, no clipping). */
double nnh_act_value(const nnh_activation *a, double z);
/* sigma'(z); side < 0 gives the left derivative at a kink, side >= 0 the right. */
double nnh_act_deriv(const nnh_activation *a, double z, int side);

nnh_act_class nnh_act_classify(const nnh_activation *a);
/* Inflection point z~ of an S-shaped activation (0 for all supported ones);
 * NAN for the other classes. */
double nnh_act_inflection(const nnh_activation *a);
/* 1 when the activation has a kink (ReLU, leaky, SELU, ELU alpha != 1). */
int nnh_act_has_kink(const nnh_activation *a);

/* Rigorous enclosure [*lo, *hi] of sigma([L, U]) (all supported activations
 * are nondecreasing): outward rounded, clipped to the activation's range. */
void nnh_act_image(const nnh_activation *a, double L, double U, double *lo, double *hi);

#endif
