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

/* VNNLIB (the VNN-COMP subset of SMT-LIB). The file states the
 * counterexample: the result is the union of its cases (nnh_spec).
 * - n_in/n_out = number of (declare-const X_i Real) / (declare-const Y_j Real);
 *   indices must run from 0 without gaps and be declared before use. Callers
 *   check that they match the network.
 * - All asserts are conjoined. Formulas: and, or (nested anywhere, input
 *   bounds included), true, false, and the comparisons <=, >=, <, >, =
 *   (chains allowed) between linear expressions built from numbers
 *   (integers, decimals, exponent notation), variables, (+ ...), (- a),
 *   (- a b ...), (* ...) with at most one non-constant factor.
 *   (check-sat), (get-model), (exit), (set-logic ..), (set-info ..),
 *   (set-option ..) are ignored; ';' starts a comment.
 * - The formula is expanded to disjunctive normal form (at most 100000
 *   cases). In each case an atom over inputs only must bound one variable
 *   (a X_i <= c, >=, =) and narrows that case's box; inputs never bounded
 *   stay at -inf/+inf (the caller decides). An atom over outputs only becomes
 *   rows c^T y <= d (>= is negated, = gives two rows).
 * - Strict < and > are read as <= and >=. This only enlarges the
 *   counterexample region, so "no counterexample" proofs stay sound; a
 *   counterexample found on the boundary may violate the strict inequality.
 * - Rounding: literals are the nearest doubles (as every VNN-COMP tool reads
 *   them). Arithmetic on constants (moving them across, scaling a bound) is
 *   rounded outward so the region only grows; coefficients must stay exact
 *   in double arithmetic (else NNH_EUNSUPPORTED).
 * - Cases whose box is empty, or with a constant false atom, are dropped;
 *   n_cases == 0 then means the region is empty (the property holds).
 * - Errors: NNH_EPARSE "path:line:col: expected ..., found ..." for malformed
 *   text (parentheses, unknown symbol or command, undeclared or redeclared
 *   variable, bad number, nesting deeper than 1000); NNH_EUNSUPPORTED with
 *   line:col for valid SMT-LIB outside the subset (atoms mixing X and Y,
 *   linear constraints over several inputs, products of variables, not, xor,
 *   =>, ite, /, sorts other than Real) and for too many cases. On error *out
 *   is NULL. `name` is the path used in messages and kept in spec->source. */
int nnh_load_vnnlib(const char *path, nnh_spec **out, nnh_error *err);
int nnh_parse_vnnlib(const char *text, const char *name, nnh_spec **out, nnh_error *err);

#endif
