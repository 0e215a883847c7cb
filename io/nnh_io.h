/* Readers and writers for network, property and bound files:
 * ONNX (protobuf-c), .nnet, VNNLIB, and the HDF5 "nnhull-bounds" file. */
#ifndef NNH_IO_H
#define NNH_IO_H

#include "network.h"
#include "spec.h"

typedef struct nnh_load_opts {
    int strip_softmax;      /* drop a trailing Softmax instead of refusing it */
    int nnet_normalized;    /* .nnet: do not fold the input normalisation and
                               output scaling (evaluate on normalised values,
                               as VNN-COMP's ACAS Xu properties expect). The
                               input domain is then the normalised header box
                               ((min - mean) / range, (max - mean) / range) and
                               evaluation clamps to it. VNN-COMP's ACAS Xu ONNX
                               files have no clamp: nnet(x) == onnx(clamp(x)),
                               so they agree only inside that box. Default (0):
                               raw inputs, clamped to the header's min/max, then
                               (x - mean) / range and y * range_out + mean_out,
                               both folded into the first and last layers. */
    int nnet_output_relu;   /* .nnet: apply ReLU on the output layer too (in raw
                               mode the output scaling then follows the ReLU as
                               an extra diagonal affine layer) */
} nnh_load_opts;

void nnh_load_opts_init(nnh_load_opts *o);

/* Load by file extension (.onnx, .nnet); messages name the file and the
 * line (nnet) or node (onnx) at fault. */
int nnh_load_network(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);
int nnh_load_onnx(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);
int nnh_load_onnx_buffer(const void *data, size_t len, const char *name, const nnh_load_opts *o,
                         nnh_network **out, nnh_error *err);
int nnh_load_nnet(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);

/* VNNLIB: n_in/n_out come from the declarations (they must match the network
 * the caller uses; callers check). Errors carry "path:line:col: ...". */
int nnh_load_vnnlib(const char *path, nnh_spec **out, nnh_error *err);
int nnh_parse_vnnlib(const char *text, const char *name, nnh_spec **out, nnh_error *err);

#endif
