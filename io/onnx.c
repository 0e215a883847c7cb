/* ONNX reader (protobuf-c): walks the graph from its single input along one
 * chain of nodes and turns runs of affine operators (Gemm/MatMul/Conv/pooling/
 * BatchNormalization/Add/reshape...) between elementwise activations into the
 * dense layers of an nnh_network. */
#include "onnx_loader.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- affine operators on the chain value ---------------------------------- */

/* Compose the chain with the block matrix of coef (see ox_block_matrix), an
 * optional bias d, and give the value its new shape. */
static int apply_block(ox_loader *L, int ni, const double *coef, size_t rr, size_t mo, size_t kk,
                       size_t cc, const double *d, const ox_shape *res)
{
    double *M;
    nnh_error e;
    int rc = ox_block_matrix(coef, rr, mo, kk, cc, &M, &e);
    if (!rc) {
        rc = ox_map_apply(&L->map, M, rr * mo * cc, d, &e);
        free(M);
    }
    if (rc)
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    L->shape = *res;
    return NNH_OK;
}

static int shape_mismatch(ox_loader *L, int ni, const ox_shape *a, const ox_shape *b)
{
    char x[256], y[256];
    return ox_node_fail(L, ni, NNH_EPARSE, "operand shapes %s and %s do not match",
                     ox_shape_str(a, x, sizeof x), ox_shape_str(b, y, sizeof y));
}

/* Weight as an mo x kk matrix; 1-D weights are a row (left) or column (right)
 * vector that ONNX removes from the result shape. */
static double *weight_matrix(const ox_const *W, int transpose)
{
    size_t r = W->shape.rank == 2 ? (size_t)W->shape.d[0] : W->n;
    size_t c = W->shape.rank == 2 ? (size_t)W->shape.d[1] : 1;
    double *m = malloc((W->n ? W->n : 1) * sizeof(double));
    if (!m)
        return NULL;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < c; j++)
            m[transpose ? j * r + i : i * c + j] = W->v[i * c + j];
    return m;
}

/* X @ W: acts on the last axis of X. */
static int matmul_right(ox_loader *L, int ni, const ox_const *W)
{
    const ox_shape *xs = &L->shape;
    size_t K = (size_t)W->shape.d[0], N = W->shape.rank == 2 ? (size_t)W->shape.d[1] : 1;
    if (xs->rank < 1 || (size_t)xs->d[xs->rank - 1] != K || K == 0)
        return shape_mismatch(L, ni, xs, &W->shape);
    ox_shape res = *xs;
    if (W->shape.rank == 2)
        res.d[res.rank - 1] = (int64_t)N;
    else
        res.rank--;
    double *coef = weight_matrix(W, 1);
    if (!coef)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    int rc = apply_block(L, ni, coef, ox_shape_count(xs) / K, N, K, 1, NULL, &res);
    free(coef);
    return rc;
}

/* W @ X: acts on the second-to-last axis of X (the only axis if X is 1-D). */
static int matmul_left(ox_loader *L, int ni, const ox_const *W)
{
    const ox_shape *xs = &L->shape;
    size_t Mo = W->shape.rank == 2 ? (size_t)W->shape.d[0] : 1;
    size_t K = (size_t)W->shape.d[W->shape.rank - 1];
    int ax = xs->rank >= 2 ? xs->rank - 2 : 0;
    if (xs->rank < 1 || (size_t)xs->d[ax] != K || K == 0)
        return shape_mismatch(L, ni, &W->shape, xs);
    size_t C = xs->rank >= 2 ? (size_t)xs->d[xs->rank - 1] : 1;
    ox_shape res = *xs;
    if (W->shape.rank == 2) {
        res.d[ax] = (int64_t)Mo;
    } else {
        for (int i = ax; i + 1 < res.rank; i++)
            res.d[i] = res.d[i + 1];
        res.rank--;
    }
    double *coef = weight_matrix(W, 0);
    if (!coef)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    int rc = apply_block(L, ni, coef, ox_shape_count(xs) / (K * C), Mo, K, C, NULL, &res);
    free(coef);
    return rc;
}

static int do_matmul(ox_loader *L, int ni, int varpos)
{
    const ox_const *W;
    int rc = ox_get_const(L, ni, varpos == 0 ? 1 : 0, &W);
    if (rc)
        return rc;
    if (W->shape.rank < 1 || W->shape.rank > 2)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                         "a weight of rank %d (only 1-D or 2-D constant weights are handled)",
                         W->shape.rank);
    return varpos == 0 ? matmul_right(L, ni, W) : matmul_left(L, ni, W);
}

/* Gemm bias: beta * C broadcast to the [M, N] result. */
static int gemm_bias(ox_loader *L, int ni, const ox_shape *res, double beta, double **d)
{
    const ox_const *C;
    ox_shape bs;
    nnh_error e;
    *d = NULL;
    if (ox_input_value(L, ni, 2) < 0)
        return NNH_OK;
    int rc = ox_get_const(L, ni, 2, &C);
    if (rc)
        return rc;
    if ((rc = ox_broadcast(C, res, &bs, d, &e)))
        return ox_node_fail(L, ni, rc, "bias C: %s", e.msg);
    for (size_t i = 0; i < ox_shape_count(res); i++)
        (*d)[i] *= beta;
    return NNH_OK;
}

/* The chain value as a matrix operand of Gemm, [r0, r1]; a 1-D value is a
 * row (A) or a column (B). Transposing is only a no-op when one side is 1. */
static int gemm_operand(ox_loader *L, int ni, int is_a, int trans, size_t *r0, size_t *r1)
{
    const ox_shape *xs = &L->shape;
    char b[256];
    if (xs->rank == 1) {
        *r0 = is_a ? 1 : (size_t)xs->d[0];
        *r1 = is_a ? (size_t)xs->d[0] : 1;
    } else if (xs->rank == 2) {
        *r0 = (size_t)xs->d[0];
        *r1 = (size_t)xs->d[1];
    } else {
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "a Gemm operand of shape %s (a matrix is needed)",
                         ox_shape_str(xs, b, sizeof b));
    }
    if (trans) {
        if (*r0 > 1 && *r1 > 1)
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                             "transposing the %s input would permute its entries",
                             ox_shape_str(xs, b, sizeof b));
        size_t t = *r0;
        *r0 = *r1;
        *r1 = t;
    }
    return NNH_OK;
}

static int do_gemm(ox_loader *L, int ni, int varpos)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    double alpha = ox_attr_f(nd, "alpha", 1.0), beta = ox_attr_f(nd, "beta", 1.0);
    int ta = ox_attr_i(nd, "transA", 0) != 0, tb = ox_attr_i(nd, "transB", 0) != 0;
    if (varpos == 2)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "the bias C depends on the network input");
    const ox_const *W;
    int rc = ox_get_const(L, ni, varpos == 0 ? 1 : 0, &W);
    if (rc)
        return rc;
    if (W->shape.rank != 2)
        return ox_node_fail(L, ni, NNH_EPARSE, "constant operand of rank %d (2 needed)",
                         W->shape.rank);
    size_t x0 = 0, x1 = 0, w0 = (size_t)W->shape.d[0], w1 = (size_t)W->shape.d[1];
    int wt = varpos == 0 ? tb : ta;
    rc = gemm_operand(L, ni, varpos == 0, varpos == 0 ? ta : tb, &x0, &x1);
    if (rc)
        return rc;
    /* Y[M,N] = alpha op(A) op(B) + beta C with op(W) = [w0', w1'] */
    size_t wr = wt ? w1 : w0, wc = wt ? w0 : w1;
    size_t M = varpos == 0 ? x0 : wr, N = varpos == 0 ? wc : x1, K = varpos == 0 ? x1 : x0;
    if ((varpos == 0 ? wr : wc) != K || K == 0)
        return shape_mismatch(L, ni, &L->shape, &W->shape);
    /* coef is mo x kk: op(B)^T for a variable A, op(A) for a variable B */
    double *coef = weight_matrix(W, varpos == 0 ? !wt : wt);
    if (!coef)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    for (size_t i = 0; i < W->n; i++)
        coef[i] *= alpha;
    ox_shape res = {.rank = 2, .d = {(int64_t)M, (int64_t)N}};
    double *d = NULL;
    rc = gemm_bias(L, ni, &res, beta, &d);
    if (!rc)
        rc = varpos == 0 ? apply_block(L, ni, coef, M, N, K, 1, d, &res)
                         : apply_block(L, ni, coef, 1, M, K, N, d, &res);
    free(coef);
    free(d);
    return rc;
}

/* Constant operand of Add/Sub/Mul/Div as value <- s .* value + t: fills the
 * vector v (already broadcast, n entries) into *s or *t, rewriting it in place. */
static int elementwise_terms(ox_loader *L, int ni, int varpos, double *v, size_t n, double **s,
                             double **t)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    *s = *t = NULL;
    if (ox_op_is(nd, "Add")) {
        *t = v;
    } else if (ox_op_is(nd, "Sub") && varpos == 0) { /* x - c */
        for (size_t i = 0; i < n; i++)
            v[i] = -v[i];
        *t = v;
    } else if (ox_op_is(nd, "Sub")) { /* c - x */
        if (!(*s = malloc(n * sizeof(double))))
            return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        for (size_t i = 0; i < n; i++)
            (*s)[i] = -1.0;
        *t = v;
    } else if (ox_op_is(nd, "Mul")) {
        *s = v;
    } else { /* x / c */
        for (size_t i = 0; i < n; i++) {
            if (v[i] == 0.0 || !isfinite(v[i]))
                return ox_node_fail(L, ni, NNH_ENUMERIC, "division by %g", v[i]);
            v[i] = 1.0 / v[i];
        }
        *s = v;
    }
    return NNH_OK;
}

/* Add / Sub / Mul / Div with one constant operand: an elementwise scaling. */
static int do_elementwise(ox_loader *L, int ni, int varpos)
{
    const ox_const *C;
    ox_shape res;
    double *v, *s, *t;
    nnh_error e;
    int rc = ox_get_const(L, ni, 1 - varpos, &C);
    if (rc)
        return rc;
    if (ox_op_is(L->g->node[ni], "Div") && varpos == 1)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "dividing by a value that depends on the input");
    if ((rc = ox_broadcast(C, &L->shape, &res, &v, &e)))
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    rc = elementwise_terms(L, ni, varpos, v, ox_shape_count(&res), &s, &t);
    if (!rc && (rc = ox_map_scale(&L->map, s, t, &e)))
        ox_node_fail(L, ni, rc, "%s", e.msg);
    if (s != v)
        free(s);
    free(v);
    if (!rc)
        L->shape = res;
    return rc;
}

/* ---- activations ---------------------------------------------------------- */

/* Close the current layer with activation act and start a fresh identity map. */
static int push_layer(ox_loader *L, const nnh_activation *act)
{
    nnh_error e;
    if (L->n_layers == L->cap_layers) {
        int cap = L->cap_layers ? 2 * L->cap_layers : 8;
        nnh_layer *p = realloc(L->layers, (size_t)cap * sizeof *p);
        if (!p)
            return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        L->layers = p;
        L->cap_layers = cap;
    }
    nnh_layer *ly = &L->layers[L->n_layers];
    memset(ly, 0, sizeof *ly);
    size_t cells = L->map.n_out * L->map.n_in; /* both <= OX_MAX_ELEMS: no overflow */
    int rc;
    if (!L->opts->dense_layers && L->map.kind != OX_MAP_DENSE &&
        ox_map_nnz(&L->map) < cells / OX_SPARSE_RATIO) {
        /* a convolution, pooling or scaling stays in compressed rows */
        rc = ox_map_sparse(&L->map, &ly->sp_start, &ly->sp_col, &ly->sp_val, &e);
        if (rc)
            return nnh_error_set(L->err, rc, "%s: layer %d: %s", L->file, L->n_layers, e.msg);
    } else {
        if (cells > OX_MAX_ELEMS - L->n_weights)
            return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                                 "%s: layer %d (%zu x %zu) would bring the dense weights to %zu "
                                 "(%.0f MiB), above the reader's limit of %zu",
                                 L->file, L->n_layers, L->map.n_out, L->map.n_in,
                                 L->n_weights + cells,
                                 (double)(L->n_weights + cells) * sizeof(double) / 1048576.0,
                                 (size_t)OX_MAX_ELEMS);
        L->n_weights += cells;
        rc = ox_map_dense(&L->map, &ly->W, &e);
        if (rc)
            return nnh_error_set(L->err, rc, "%s: layer %d: %s", L->file, L->n_layers, e.msg);
    }
    ly->n_in = (int)L->map.n_in;
    ly->n_out = (int)L->map.n_out;
    ly->b = L->map.c; /* the map's offset becomes the bias */
    L->map.c = NULL;
    ly->act = *act;
    L->n_layers++;
    size_t n = L->map.n_out;
    ox_map_free(&L->map);
    rc = ox_map_init(&L->map, n, &e);
    return rc ? nnh_error_set(L->err, rc, "%s: %s", L->file, e.msg) : NNH_OK;
}

static int act_kind(const Onnx__NodeProto *nd, nnh_act_kind *k)
{
    static const struct {
        const char *op;
        nnh_act_kind kind;
    } tab[] = {{"Relu", NNH_ACT_RELU},         {"LeakyRelu", NNH_ACT_LEAKY_RELU},
               {"Sigmoid", NNH_ACT_SIGMOID},   {"Tanh", NNH_ACT_TANH},
               {"Softplus", NNH_ACT_SOFTPLUS}, {"Elu", NNH_ACT_ELU},
               {"Selu", NNH_ACT_SELU},         {"PRelu", NNH_ACT_LEAKY_RELU}};
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (ox_op_is(nd, tab[i].op)) {
            *k = tab[i].kind;
            return 1;
        }
    return 0;
}

/* PRelu with one slope for every element is a leaky ReLU. */
static int prelu_slope(ox_loader *L, int ni, double *alpha)
{
    const ox_const *c;
    int rc = ox_get_const(L, ni, 1, &c);
    if (rc)
        return rc;
    if (c->n == 0)
        return ox_node_fail(L, ni, NNH_EPARSE, "empty slope");
    for (size_t i = 1; i < c->n; i++)
        if (c->v[i] != c->v[0])
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                             "per-channel slopes (one slope for all neurons is handled)");
    *alpha = c->v[0];
    return NNH_OK;
}

static int do_activation(ox_loader *L, int ni, nnh_act_kind kind)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    nnh_activation a;
    nnh_error e;
    nnh_act_default(&a, kind);
    int rc = NNH_OK;
    if (ox_op_is(nd, "PRelu"))
        rc = prelu_slope(L, ni, &a.alpha);
    else if (kind == NNH_ACT_LEAKY_RELU || kind == NNH_ACT_ELU || kind == NNH_ACT_SELU)
        a.alpha = ox_attr_f(nd, "alpha", a.alpha);
    if (kind == NNH_ACT_SELU)
        a.lambda = ox_attr_f(nd, "gamma", a.lambda);
    if (rc)
        return rc;
    if ((rc = nnh_act_check(&a, &e)))
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    return push_layer(L, &a);
}

/* ---- the chain walk ----------------------------------------------------- */

/* Classify the inputs: the chain value may appear once, unconsumed. */
static int chain_inputs(ox_loader *L, int ni, int *nvar, int *varpos)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    *nvar = 0;
    *varpos = -1;
    for (size_t k = 0; k < nd->n_input; k++) {
        long v = ox_find_value(L, nd->input[k]);
        if (v < 0)
            continue;
        const ox_value *x = &L->vals[v];
        if (x->kind == V_VAR && v != L->cur)
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                             "it reads '%.200s', which another node already consumed: the graph "
                             "branches (nnhull handles a single chain of layers; residual "
                             "connections are not supported)",
                             x->name);
        if (x->kind == V_DEAD)
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "it reads '%.200s', a secondary output",
                             x->name);
        if (x->kind == V_VAR) {
            (*nvar)++;
            *varpos = (int)k;
        }
    }
    return NNH_OK;
}

/* The node's first output becomes the chain value; the rest are unusable. */
static int advance(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    long v = nd->n_output ? ox_find_value(L, nd->output[0]) : -1;
    if (v < 0)
        return ox_node_fail(L, ni, NNH_EPARSE, "it has no output");
    L->vals[v].kind = V_VAR;
    L->vals[v].shape = L->shape;
    L->cur = (int)v;
    for (size_t k = 1; k < nd->n_output; k++) {
        long w = ox_find_value(L, nd->output[k]);
        if (w >= 0)
            L->vals[w].kind = V_DEAD;
    }
    return NNH_OK;
}

static int is_elementwise_op(const Onnx__NodeProto *nd)
{
    return ox_op_is(nd, "Add") || ox_op_is(nd, "Sub") || ox_op_is(nd, "Mul") || ox_op_is(nd, "Div");
}

static int dispatch(ox_loader *L, int ni, int varpos)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    nnh_act_kind kind;
    int first_only = ox_is_reshape_op(nd) || act_kind(nd, &kind) || ox_op_is(nd, "Softmax") ||
                     ox_op_is(nd, "LogSoftmax") || ox_is_conv_op(nd);
    if (first_only && varpos != 0)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "operand %d depends on the network input",
                         varpos);
    if (L->softmax_node >= 0 && !ox_is_reshape_op(nd))
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                         "it follows the Softmax node '%.200s'; only a trailing Softmax can be "
                         "dropped",
                         ox_str_or(L->g->node[L->softmax_node]->name, "?"));
    if (ox_is_reshape_op(nd)) {
        ox_shape s;
        int rc = ox_reshape_like(L, ni, &L->shape, &s);
        if (!rc)
            L->shape = s;
        return rc;
    }
    if (ox_op_is(nd, "MatMul"))
        return do_matmul(L, ni, varpos);
    if (ox_op_is(nd, "Gemm"))
        return do_gemm(L, ni, varpos);
    if (is_elementwise_op(nd))
        return do_elementwise(L, ni, varpos);
    if (ox_op_is(nd, "Conv"))
        return ox_do_conv(L, ni);
    if (ox_op_is(nd, "BatchNormalization"))
        return ox_do_batchnorm(L, ni);
    if (ox_op_is(nd, "AveragePool") || ox_op_is(nd, "GlobalAveragePool"))
        return ox_do_avgpool(L, ni);
    if (ox_op_is(nd, "Pad"))
        return ox_do_pad(L, ni);
    if (ox_op_is(nd, "Transpose"))
        return ox_do_transpose(L, ni);
    if (act_kind(nd, &kind))
        return do_activation(L, ni, kind);
    if (ox_op_is(nd, "Softmax") || ox_op_is(nd, "LogSoftmax")) {
        L->softmax_node = ni;
        return NNH_OK;
    }
    const char *why = ox_refusal(nd);
    if (why)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "%s", why);
    return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                        "nnhull handles affine operators (Gemm, MatMul, Conv, "
                        "BatchNormalization, AveragePool, Pad, Transpose, reshapes, Add/Sub/"
                        "Mul/Div by constants) and elementwise activations");
}

static int process_node(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    int nvar, varpos;
    if (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx") != 0)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "operator domain '%.100s'", nd->domain);
    long first = ox_input_value(L, ni, 0);
    if ((ox_op_is(nd, "Shape") || ox_op_is(nd, "Size")) && first >= 0 &&
        L->vals[first].kind == V_VAR)
        return ox_do_const_node(L, ni); /* reads only the (static) shape */
    int rc = chain_inputs(L, ni, &nvar, &varpos);
    if (rc)
        return rc;
    if (ox_op_is(nd, "Constant"))
        return ox_do_constant(L, ni);
    if (nvar == 0)
        return ox_do_const_node(L, ni);
    if (nvar > 1)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                         "more than one operand depends on the network input (only constant "
                         "weights and offsets are handled)");
    rc = dispatch(L, ni, varpos);
    return rc ? rc : advance(L, ni);
}

/* ---- graph input, output and assembly ---------------------------------- */

static int input_shape(ox_loader *L, const Onnx__ValueInfoProto *vi)
{
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
        !tp->tensor_type->shape)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                             "%s: graph input '%.200s' has no tensor shape", L->file, vi->name);
    const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
    if (sp->n_dim > OX_MAX_RANK)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED, "%s: graph input '%.200s' has rank %zu",
                             L->file, vi->name, sp->n_dim);
    L->shape.rank = (int)sp->n_dim;
    for (size_t i = 0; i < sp->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
        int fixed = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        if (!fixed && i == 0) {
            L->shape.d[i] = 1; /* symbolic batch dimension */
            continue;
        }
        if (!fixed || d->dim_value < 1)
            return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                                 "%s: graph input '%.200s' has no fixed size along axis %zu",
                                 L->file, vi->name, i);
        L->shape.d[i] = d->dim_value;
    }
    L->n_inputs = ox_shape_count(&L->shape);
    L->vals[L->cur].shape = L->shape;
    nnh_error e;
    if (L->n_inputs == (size_t)-1 || ox_map_init(&L->map, L->n_inputs, &e))
        return nnh_error_set(L->err, NNH_EUNSUPPORTED, "%s: graph input '%.200s' is too large",
                             L->file, vi->name);
    return NNH_OK;
}

static int check_output(ox_loader *L)
{
    const Onnx__GraphProto *g = L->g;
    if (g->n_output != 1)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                             "%s: the graph has %zu outputs; nnhull handles a single output",
                             L->file, g->n_output);
    const char *name = g->output[0] ? g->output[0]->name : NULL;
    long v = ox_find_value(L, name);
    if (v < 0)
        return nnh_error_set(L->err, NNH_EPARSE, "%s: graph output '%.200s' is not defined",
                             L->file, ox_str_or(name, ""));
    if (v != L->cur)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                             "%s: graph output '%.200s' is not the end of the chain of layers "
                             "that starts at the input",
                             L->file, name);
    if (L->softmax_node >= 0 && !L->opts->strip_softmax)
        return ox_node_fail(L, L->softmax_node, NNH_EUNSUPPORTED,
                         "Softmax is not elementwise; rerun with --strip-softmax to drop this "
                         "trailing Softmax (it does not change the arg max)");
    return NNH_OK;
}

static int map_is_identity(const ox_map *m)
{
    if (m->kind != OX_MAP_IDENT)
        return 0;
    for (size_t i = 0; i < m->n_out; i++)
        if (m->c[i] != 0.0)
            return 0;
    return 1;
}

static int assemble(ox_loader *L, const char *name, nnh_network **out)
{
    nnh_activation id;
    nnh_act_default(&id, NNH_ACT_IDENTITY);
    int rc = NNH_OK;
    if (L->n_layers == 0 || !map_is_identity(&L->map))
        rc = push_layer(L, &id);
    if (rc)
        return rc;
    int *sizes = malloc(((size_t)L->n_layers + 1) * sizeof(int));
    if (!sizes)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    sizes[0] = (int)L->n_inputs;
    for (int k = 0; k < L->n_layers; k++)
        sizes[k + 1] = L->layers[k].n_out;
    nnh_network *net;
    rc = nnh_network_alloc(&net, L->n_layers, sizes, L->err);
    free(sizes);
    if (rc)
        return nnh_error_prefix(L->err, "%s", L->file);
    for (int k = 0; k < L->n_layers; k++) {
        nnh_layer *d = &net->layers[k], *s = &L->layers[k];
        free(d->b);
        *d = *s;
        memset(s, 0, sizeof *s);
    }
    net->softmax_stripped = L->softmax_node >= 0;
    net->format = strdup("onnx");
    net->source = name ? strdup(name) : NULL;
    if (!net->format || (name && !net->source))
        rc = nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    else if ((rc = nnh_network_validate(net, L->err)))
        nnh_error_prefix(L->err, "%s", L->file);
    if (rc)
        nnh_network_free(net);
    else
        *out = net;
    return rc;
}

static void loader_free(ox_loader *L)
{
    for (size_t i = 0; i < L->n_vals; i++)
        ox_const_free(&L->vals[i].c);
    free(L->vals);
    free(L->byname);
    for (int k = 0; k < L->n_layers; k++) {
        free(L->layers[k].W);
        free(L->layers[k].sp_start);
        free(L->layers[k].sp_col);
        free(L->layers[k].sp_val);
        free(L->layers[k].b);
    }
    free(L->layers);
    ox_map_free(&L->map);
}

static int load_graph(ox_loader *L, const Onnx__ModelProto *m, const char *name, nnh_network **out)
{
    if (!m->graph)
        return nnh_error_set(L->err, NNH_EPARSE, "%s: the model contains no graph", L->file);
    L->g = m->graph;
    int *order = NULL;
    int rc = ox_build_values(L);
    if (!rc) {
        const Onnx__ValueInfoProto *in = NULL;
        for (size_t i = 0; i < L->g->n_input && !in; i++)
            if (ox_find_value(L, L->g->input[i]->name) == L->cur)
                in = L->g->input[i];
        rc = in ? input_shape(L, in)
                : nnh_error_set(L->err, NNH_EPARSE, "%s: graph input not found", L->file);
    }
    if (!rc)
        rc = ox_topo_order(L, &order);
    for (size_t i = 0; !rc && i < L->g->n_node; i++)
        rc = process_node(L, order[i]);
    free(order);
    if (!rc)
        rc = check_output(L);
    if (!rc)
        rc = assemble(L, name, out);
    return rc;
}

int nnh_load_onnx_buffer(const void *data, size_t len, const char *name, const nnh_load_opts *o,
                         nnh_network **out, nnh_error *err)
{
    nnh_load_opts def;
    if (!o) {
        nnh_load_opts_init(&def);
        o = &def;
    }
    *out = NULL;
    ox_loader L;
    memset(&L, 0, sizeof L);
    L.file = name ? name : "(onnx buffer)";
    L.opts = o;
    L.err = err;
    L.softmax_node = -1;
    if (!data && len)
        return nnh_error_set(err, NNH_EINVAL, "%s: no data", L.file);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m)
        return nnh_error_set(err, NNH_EPARSE,
                             "%s: not a valid ONNX model (protobuf decoding failed: truncated or "
                             "not an ONNX file)",
                             L.file);
    int rc = load_graph(&L, m, name, out);
    loader_free(&L);
    onnx__model_proto__free_unpacked(m, NULL);
    return rc;
}

int nnh_load_onnx(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err)
{
    *out = NULL;
    char *buf;
    size_t len;
    int rc = nnh_read_file(path, (size_t)1 << 31, &buf, &len, err);
    if (!rc)
        rc = nnh_load_onnx_buffer(buf, len, path, o, out, err);
    free(buf);
    return rc;
}
