/* Private state of the ONNX reader's graph walk, shared by io/onnx*.c files
 * that handle nodes: the value table (constants, the live chain value), the
 * loader, and helpers that read node inputs and report errors naming the node. */
#ifndef NNH_ONNX_LOADER_H
#define NNH_ONNX_LOADER_H

#include "nnhull/io.h"
#include "onnx_internal.h"

typedef enum { V_PENDING = 0, V_CONST, V_VAR, V_DEAD } ox_vkind;

typedef struct ox_value {
    const char *name;
    ox_vkind kind;
    int producer;               /* node index; -1 for initializers and the input */
    const Onnx__TensorProto *t; /* initializer, decoded on first use */
    int decoded;
    ox_const c;
    ox_shape shape; /* V_VAR: its shape when it was the chain value */
} ox_value;

typedef struct ox_name {
    const char *name;
    size_t idx;
} ox_name;

typedef struct ox_loader {
    const char *file;
    const nnh_load_opts *opts;
    nnh_error *err;
    const Onnx__GraphProto *g;
    ox_value *vals;
    size_t n_vals;
    ox_name *byname; /* sorted by name */
    int cur;         /* value index of the live chain value */
    ox_shape shape;  /* its shape, batch dims taken as 1 */
    ox_map map;      /* from the last activation output (or input) to it */
    nnh_layer *layers;
    int n_layers, cap_layers;
    size_t n_inputs;
    int softmax_node; /* a Softmax seen on the chain, -1 if none */
    size_t n_weights; /* weights of the dense layers so far (memory cap) */
} ox_loader;

/* s when non-empty, def otherwise. */
const char *ox_str_or(const char *s, const char *def);
/* Error naming the node; EUNSUPPORTED gets the "is not supported:" wording. */
int ox_node_fail(ox_loader *L, int ni, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Value index of a name, -1 when unknown or empty. */
long ox_find_value(const ox_loader *L, const char *name);
/* Fill the value table: initializers, the one network input (L->cur), node outputs. */
int ox_build_values(ox_loader *L);
/* Node indices in a topological order (caller frees); a cycle is an error. */
int ox_topo_order(ox_loader *L, int **order_out);

/* Value index of input k of node ni, -1 when absent. */
long ox_input_value(const ox_loader *L, int ni, size_t k);
/* Input k of node ni as a decoded constant; an error naming the node when it
 * is missing or depends on the network input. */
int ox_get_const(ox_loader *L, int ni, size_t k, const ox_const **out);
/* Integer list from constant input k or, when that input is absent, from the
 * ints attribute aname (older opsets). *n = -1 when neither is given. */
int ox_int_list(ox_loader *L, int ni, size_t k, const char *aname, int64_t *out, int *n);

/* Shape-only operators (Identity, Dropout, Flatten, Reshape, Squeeze, Unsqueeze). */
int ox_is_reshape_op(const Onnx__NodeProto *nd);
/* Shape after reshape-like node ni applied to a value of shape in. */
int ox_reshape_like(ox_loader *L, int ni, const ox_shape *in, ox_shape *out);
/* A Constant node's value becomes a constant value. */
int ox_do_constant(ox_loader *L, int ni);
/* A node whose inputs are all constants (or whose only non-constant input is
 * read for its shape: Shape, Size) is folded into a constant. */
int ox_do_const_node(ox_loader *L, int ni);

/* Affine operators of convolutional networks, composed into L->map with the
 * value's shape tracked in L->shape (io/onnx_conv.c). */
int ox_do_conv(ox_loader *L, int ni);
int ox_do_batchnorm(ox_loader *L, int ni);
int ox_do_avgpool(ox_loader *L, int ni);
int ox_do_pad(ox_loader *L, int ni);
int ox_do_transpose(ox_loader *L, int ni);
/* Whether op is handled by ox_do_conv..ox_do_transpose above. */
int ox_is_conv_op(const Onnx__NodeProto *nd);
/* The reason a known operator that nnhull does not handle is refused, or NULL. */
const char *ox_refusal(const Onnx__NodeProto *nd);

#endif
