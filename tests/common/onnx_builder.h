/* Builder of small ONNX models in memory for the reader tests: protobuf-c
 * structs allocated in an arena (mb), packed to a buffer and loaded, with
 * assertions on success (shape of the network) or failure (code, message). */
#ifndef NNH_ONNX_BUILDER_H
#define NNH_ONNX_BUILDER_H

#include "nnhull/io.h"
#include "onnx/onnx.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define MB_MAX 32
#define MB_ARENA 1024

typedef struct mb {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto *nodes[MB_MAX];
    Onnx__TensorProto *inits[MB_MAX];
    Onnx__ValueInfoProto *ins[MB_MAX], *outs[4];
    void *arena[MB_ARENA];
    int n_arena;
} mb;

enum { ST_RAW_F, ST_FLOAT, ST_DOUBLE, ST_RAW_D, ST_I64, ST_RAW_I64 };

/* Zeroed memory owned by b's arena (freed by mb_free). */
void *mb_alloc(mb *b, size_t n);
/* Copy of s in the arena. */
char *mb_str(mb *b, const char *s);
/* An empty model (IR 7, opset 13) with no nodes, values or tensors. */
void mb_init(mb *b);
void mb_free(mb *b);
/* Float tensor value info; dims[i] < 0 is a symbolic dimension "N". */
Onnx__ValueInfoProto *mb_vinfo(mb *b, const char *name, int rank, const long long *dims);
void mb_input(mb *b, const char *name, int rank, const long long *dims);
void mb_output(mb *b, const char *name);
/* Tensor of the given dims and values in storage st (ST_*). */
Onnx__TensorProto *mb_tensor(mb *b, const char *name, int rank, const long long *dims,
                             const double *v, int st);
/* The same tensor added as an initializer. */
Onnx__TensorProto *mb_init_t(mb *b, const char *name, int rank, const long long *dims,
                             const double *v, int st);
/* Node with comma-separated input and output names (NULL: none). */
Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *ins,
                         const char *outs);
/* Attributes of each type. */
Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *nd, const char *name, int type);
void mb_attr_f(mb *b, Onnx__NodeProto *nd, const char *name, float f);
void mb_attr_i(mb *b, Onnx__NodeProto *nd, const char *name, long long i);
void mb_attr_ints(mb *b, Onnx__NodeProto *nd, const char *name, int n, const long long *v);
void mb_attr_s(mb *b, Onnx__NodeProto *nd, const char *name, const char *v);
void mb_attr_t(mb *b, Onnx__NodeProto *nd, const char *name, Onnx__TensorProto *t);
/* The packed model (in the arena). */
uint8_t *mb_pack(mb *b, size_t *len);
/* Pack and load as "model.onnx" (strip = --strip-softmax). */
int mb_load(mb *b, int strip, nnh_network **net, nnh_error *err);
/* Load, require success and a network of the given shape. */
nnh_network *mb_load_ok(mb *b, int n_in, int n_layers, int n_out);
/* Load, require failure with code and every needle in the message. */
void mb_load_fails(mb *b, int strip, int code, const char *n1, const char *n2, const char *n3);
/* Forward pass that must succeed. */
void mb_eval(const nnh_network *net, const double *x, double *y);

#endif
