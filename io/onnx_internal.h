/* Private declarations shared by the ONNX reader's files (io/onnx*.c):
 * decoded constant tensors, static shapes with broadcasting, sparse linear
 * operators (CSR) lowered from Conv/pooling/Pad/Transpose, the constant folder,
 * and the pending affine map that accumulates linear operations between activations. */
#ifndef NNH_ONNX_INTERNAL_H
#define NNH_ONNX_INTERNAL_H

#include "nnhull/error.h"
#include "onnx/onnx.pb-c.h"

#include <stddef.h>
#include <stdint.h>

#define OX_MAX_RANK 16
/* Largest tensor or dense matrix the reader builds (doubles): bounds memory
 * use on hostile shapes; far above any fully-connected net we target. */
#define OX_MAX_ELEMS ((size_t)1 << 27)
/* A layer whose pending map is not dense and stores fewer than n_out n_in /
 * OX_SPARSE_RATIO entries is kept in compressed rows (a convolution). */
#define OX_SPARSE_RATIO 4
#define OX_MAX_I64 ((int64_t)1 << 27) /* the same bound for signed sizes */

typedef struct ox_shape {
    int rank;
    int64_t d[OX_MAX_RANK];
} ox_shape;

/* A constant tensor converted to doubles (owned v). dtype is its ONNX element
 * type (ONNX__TENSOR_PROTO__DATA_TYPE__*): integer types fold with integer
 * semantics (Div truncates, Cast rounds toward zero). */
typedef struct ox_const {
    ox_shape shape;
    size_t n;
    double *v;
    int dtype;
} ox_const;

/* Element count of a shape, or (size_t)-1 when a dim is negative or the
 * product exceeds OX_MAX_ELEMS. */
size_t ox_shape_count(const ox_shape *s);
/* Advance a row-major multi-index over shape s (odometer; wraps to zeros). */
void ox_next_index(int64_t *idx, const ox_shape *s);
/* "[1,784]" into buf. */
const char *ox_shape_str(const ox_shape *s, char *buf, size_t len);

/* Decode a TensorProto (float, double, int32/64, bool and 8-bit types; raw
 * little-endian or typed fields). what names the tensor in messages (e.g.
 * "initializer 'W'"); messages are prefixed with file. */
int ox_tensor_decode(const Onnx__TensorProto *t, const char *file, const char *what,
                     ox_const *out, nnh_error *err);
void ox_const_free(ox_const *c);
/* Deep copy with a new shape of the same element count. */
int ox_const_reshape(const ox_const *src, const ox_shape *shape, ox_const *out, nnh_error *err);

/* Per-element values of constant c broadcast (ONNX multidirectional rules)
 * against a value of shape vs: *out gets ox_shape_count(res) doubles, res the
 * broadcast shape. Fails with NNH_EUNSUPPORTED when c would enlarge the value
 * and NNH_EPARSE when the shapes are incompatible; err->msg is a bare reason. */
int ox_broadcast(const ox_const *c, const ox_shape *vs, ox_shape *res, double **out,
                 nnh_error *err);

/* Broadcast shape of a and b (ONNX multidirectional rules); NNH_EPARSE with a
 * bare reason when they do not broadcast. */
int ox_broadcast_shape(const ox_shape *a, const ox_shape *b, ox_shape *res, nnh_error *err);

/* ---- sparse linear operators ------------------------------------------------
 * A rows x cols matrix in compressed rows: row i holds the entries
 * start[i] .. start[i+1]-1 (column col[e], value val[e]); a row lists the
 * receptive field of output neuron i. Convolution, pooling, padding and
 * transposition are lowered to this form. */
typedef struct ox_csr {
    size_t rows, cols, nnz;
    size_t *start; /* rows + 1 */
    uint32_t *col; /* nnz (cols <= OX_MAX_ELEMS fits) */
    double *val;   /* nnz */
} ox_csr;

/* Room for rows and at most cap entries (start zeroed); NNH_EUNSUPPORTED
 * past OX_MAX_ELEMS entries. */
int ox_csr_alloc(ox_csr *s, size_t rows, size_t cols, size_t cap, nnh_error *err);
void ox_csr_free(ox_csr *s);

/* Geometry of a 2-D sliding window (Conv, AveragePool) on one [C,H,W] image;
 * 1-D windows use H = kh = 1. ph, pw are the leading (top, left) pads; the
 * trailing pads only enter through OH, OW. */
typedef struct ox_window {
    int64_t C, H, W;    /* input channels and size */
    int64_t M, OH, OW;  /* output channels and size */
    int64_t kh, kw;     /* kernel */
    int64_t sh, sw;     /* strides */
    int64_t dh, dw;     /* dilations */
    int64_t ph, pw;     /* leading pads */
    int64_t group;      /* Conv groups (C and M multiples of it) */
} ox_window;

/* Output length of a window along one axis, or -1 when it is not positive:
 * floor((n + pb + pe - ((k - 1) d + 1)) / s) + 1. */
int64_t ox_window_out(int64_t n, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe);

/* Conv as a (M OH OW) x (C H W) operator, both sides in NCHW flat order; K is
 * the [M, C/group, kh, kw] kernel. Taps that fall on padding are left out. */
int ox_conv_csr(const ox_window *w, const double *K, ox_csr *out, nnh_error *err);
/* AveragePool (w->M = C, w->group = C): every output averages its window,
 * dividing by the full window size (include_pad) or by its taps inside the image. */
int ox_avgpool_csr(const ox_window *w, int include_pad, ox_csr *out, nnh_error *err);
/* Pad of a tensor of shape in by pads[0..rank-1] before and pads[rank..2rank-1]
 * after each axis (negative values crop): src[k] is the input index of output
 * k, or SIZE_MAX where it is padding; res gets the padded shape. */
int ox_pad_index(const ox_shape *in, const int64_t *pads, size_t **src, ox_shape *res,
                 nnh_error *err);
/* src[k] = flat index in the input of entry k of Transpose(in, perm); res gets
 * the permuted shape. perm must be a permutation of 0..rank-1 (checked). */
int ox_transpose_index(const ox_shape *in, const int64_t *perm, size_t **src, ox_shape *res,
                       nnh_error *err);
/* The n_out x n_in selection operator: row k is e_{src[k]}, or empty where
 * src[k] is SIZE_MAX. */
int ox_select_csr(const size_t *src, size_t n_out, size_t n_in, ox_csr *out, nnh_error *err);

/* ---- constant folding ------------------------------------------------------ */

/* Whether node nd has operator type op. */
int ox_op_is(const Onnx__NodeProto *nd, const char *op);
/* Node attribute lookup (NULL when absent) and typed reads with defaults. */
const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *nd, const char *name);
double ox_attr_f(const Onnx__NodeProto *nd, const char *name, double def);
int64_t ox_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t def);

/* Whether ox_fold evaluates this operator. */
int ox_fold_known(const Onnx__NodeProto *nd);
/* Evaluate node nd on constant inputs in[0..n_in-1] (NULL for an omitted
 * optional input; for Shape and Size only in[0]->shape is read, its v may be
 * NULL) into *out. err->msg is a bare reason (the caller names the node). */
int ox_fold(const Onnx__NodeProto *nd, const ox_const *const *in, size_t n_in, ox_const *out,
            nnh_error *err);

/* ---- the pending affine map ----------------------------------------------- */

/* Affine map value = A a + c from the output a of the last activation (or the
 * network input) to the current chain value. Kept diagonal while only
 * elementwise scalings were applied, so input normalisation costs nothing, and
 * sparse while only sparse operators (convolution, pooling, padding) were. */
typedef enum { OX_MAP_IDENT = 0, OX_MAP_DIAG, OX_MAP_SPARSE, OX_MAP_DENSE } ox_map_kind;

typedef struct ox_map {
    ox_map_kind kind;
    size_t n_in, n_out;
    double *A; /* DIAG: n_in entries; DENSE: n_out x n_in row-major */
    ox_csr S;  /* SPARSE: n_out x n_in */
    double *c; /* n_out */
} ox_map;

int ox_map_init(ox_map *m, size_t n, nnh_error *err);
void ox_map_free(ox_map *m);
/* value <- s .* value + t (s or t may be NULL for 1 and 0). */
int ox_map_scale(ox_map *m, const double *s, const double *t, nnh_error *err);
/* value <- M value + d, M rows x n_out dense row-major (d may be NULL). */
int ox_map_apply(ox_map *m, const double *M, size_t rows, const double *d, nnh_error *err);
/* value <- P value + d, P a P->rows x n_out sparse operator (d may be NULL). */
int ox_map_apply_csr(ox_map *m, const ox_csr *P, const double *d, nnh_error *err);
/* Dense n_out x n_in copy of A (caller frees). */
int ox_map_dense(const ox_map *m, double **W, nnh_error *err);
/* Number of entries A stores (n_out x n_in when dense). */
size_t ox_map_nnz(const ox_map *m);
/* A in the network model's compressed rows (nnh_layer sp_*): columns strictly
 * increasing in each row, repeated columns summed, zeros dropped; the caller
 * frees the three arrays. */
int ox_map_sparse(const ox_map *m, size_t **start, int **col, double **val, nnh_error *err);

/* Dense matrix of the linear map out[(r*mo + i)*cc + j] += sum_k coef[i*kk + k] *
 * in[(r*kk + k)*cc + j] for r < rr, j < cc: a (block) matrix product acting on
 * one axis of a row-major tensor. Rows rr*mo*cc, columns rr*kk*cc. */
int ox_block_matrix(const double *coef, size_t rr, size_t mo, size_t kk, size_t cc, double **M,
                    nnh_error *err);

#endif
