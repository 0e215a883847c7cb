/* Private declarations shared by the ONNX reader's files (io/onnx*.c):
 * decoded constant tensors, static shapes with broadcasting, and the pending
 * affine map that accumulates consecutive linear operations between activations. */
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

typedef struct ox_shape {
    int rank;
    int64_t d[OX_MAX_RANK];
} ox_shape;

/* A constant tensor converted to doubles (owned v). */
typedef struct ox_const {
    ox_shape shape;
    size_t n;
    double *v;
} ox_const;

/* Element count of a shape, or (size_t)-1 when a dim is negative or the
 * product exceeds OX_MAX_ELEMS. */
size_t ox_shape_count(const ox_shape *s);
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

/* Affine map value = A a + c from the output a of the last activation (or the
 * network input) to the current chain value. Kept diagonal while only
 * elementwise scalings were applied, so input normalisation costs nothing. */
typedef enum { OX_MAP_IDENT = 0, OX_MAP_DIAG, OX_MAP_DENSE } ox_map_kind;

typedef struct ox_map {
    ox_map_kind kind;
    size_t n_in, n_out;
    double *A; /* DIAG: n_in entries; DENSE: n_out x n_in row-major */
    double *c; /* n_out */
} ox_map;

int ox_map_init(ox_map *m, size_t n, nnh_error *err);
void ox_map_free(ox_map *m);
/* value <- s .* value + t (s or t may be NULL for 1 and 0). */
int ox_map_scale(ox_map *m, const double *s, const double *t, nnh_error *err);
/* value <- M value + d, M rows x n_out dense row-major (d may be NULL). */
int ox_map_apply(ox_map *m, const double *M, size_t rows, const double *d, nnh_error *err);
/* Dense n_out x n_in copy of A (caller frees). */
int ox_map_dense(const ox_map *m, double **W, nnh_error *err);

/* Dense matrix of the linear map out[(r*mo + i)*cc + j] += sum_k coef[i*kk + k] *
 * in[(r*kk + k)*cc + j] for r < rr, j < cc: a (block) matrix product acting on
 * one axis of a row-major tensor. Rows rr*mo*cc, columns rr*kk*cc. */
int ox_block_matrix(const double *coef, size_t rr, size_t mo, size_t kk, size_t cc, double **M,
                    nnh_error *err);

#endif
