/* ONNX reader, constants and shapes: reshape-like operators (on the chain
 * value or on constants), Constant nodes, and folding of nodes whose inputs are
 * all constant, e.g. the Shape/Gather/Concat subgraphs of dynamic-batch exports. */
#include "onnx_loader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shape-only operators (Identity, Dropout, Flatten, Reshape, (Un)Squeeze) */

int ox_is_reshape_op(const Onnx__NodeProto *nd)
{
    static const char *ops[] = {"Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (ox_op_is(nd, ops[i]))
            return 1;
    return 0;
}

static int shape_flatten(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t axis = ox_attr_i(L->g->node[ni], "axis", 1);
    if (axis < 0)
        axis += in->rank;
    if (axis < 0 || axis > in->rank)
        return ox_node_fail(L, ni, NNH_EPARSE, "axis %lld out of range for rank %d", (long long)axis,
                         in->rank);
    int64_t a = 1, b = 1;
    for (int i = 0; i < in->rank; i++)
        *(i < axis ? &a : &b) *= in->d[i];
    out->rank = 2;
    out->d[0] = a;
    out->d[1] = b;
    return NNH_OK;
}

static int shape_reshape(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t s[OX_MAX_RANK];
    int n, infer = -1, rc = ox_int_list(L, ni, 1, "shape", s, &n);
    if (rc)
        return rc;
    if (n < 0)
        return ox_node_fail(L, ni, NNH_EPARSE, "no target shape");
    int allowzero = (int)ox_attr_i(L->g->node[ni], "allowzero", 0);
    size_t known = 1, count = ox_shape_count(in);
    out->rank = n;
    for (int i = 0; i < n; i++) {
        int64_t v = s[i];
        if (v == 0 && !allowzero) {
            if (i >= in->rank)
                return ox_node_fail(L, ni, NNH_EPARSE, "shape entry %d copies a missing dim", i);
            v = in->d[i];
        }
        if (v == -1 && infer < 0) {
            infer = i;
            continue;
        }
        if (v < 0 || (uint64_t)v > OX_MAX_ELEMS || (v && known > OX_MAX_ELEMS / (size_t)v))
            return ox_node_fail(L, ni, NNH_EPARSE, "invalid target shape entry %lld", (long long)v);
        out->d[i] = v;
        known *= (size_t)v;
    }
    if (infer >= 0) {
        if (known == 0 || count % known)
            return ox_node_fail(L, ni, NNH_EPARSE, "cannot infer the -1 entry of the target shape");
        out->d[infer] = (int64_t)(count / known);
    }
    char a[256], b[256];
    if (ox_shape_count(out) != count)
        return ox_node_fail(L, ni, NNH_EPARSE, "reshaping %s to %s changes the number of elements",
                         ox_shape_str(in, a, sizeof a), ox_shape_str(out, b, sizeof b));
    return NNH_OK;
}

static int shape_squeeze(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t ax[OX_MAX_RANK];
    int n, drop[OX_MAX_RANK] = {0}, rc = ox_int_list(L, ni, 1, "axes", ax, &n);
    if (rc)
        return rc;
    for (int i = 0; i < in->rank; i++)
        drop[i] = n <= 0 && in->d[i] == 1;
    for (int j = 0; j < n; j++) {
        int64_t a = ax[j] < 0 ? ax[j] + in->rank : ax[j];
        if (a < 0 || a >= in->rank || in->d[a] != 1)
            return ox_node_fail(L, ni, NNH_EPARSE, "cannot squeeze axis %lld", (long long)ax[j]);
        drop[a] = 1;
    }
    out->rank = 0;
    for (int i = 0; i < in->rank; i++)
        if (!drop[i])
            out->d[out->rank++] = in->d[i];
    return NNH_OK;
}

static int shape_unsqueeze(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t ax[OX_MAX_RANK];
    int n, ins[OX_MAX_RANK] = {0}, rc = ox_int_list(L, ni, 1, "axes", ax, &n);
    if (rc)
        return rc;
    int r = in->rank + (n > 0 ? n : 0);
    if (n <= 0 || r > OX_MAX_RANK)
        return ox_node_fail(L, ni, n <= 0 ? NNH_EPARSE : NNH_EUNSUPPORTED, "invalid axes");
    for (int j = 0; j < n; j++) {
        int64_t a = ax[j] < 0 ? ax[j] + r : ax[j];
        if (a < 0 || a >= r || ins[a])
            return ox_node_fail(L, ni, NNH_EPARSE, "invalid axis %lld", (long long)ax[j]);
        ins[a] = 1;
    }
    out->rank = r;
    for (int i = 0, k = 0; i < r; i++)
        out->d[i] = ins[i] ? 1 : in->d[k++];
    return NNH_OK;
}

static int dropout_check(ox_loader *L, int ni)
{
    const ox_const *c;
    if (ox_input_value(L, ni, 2) < 0)
        return NNH_OK;
    int rc = ox_get_const(L, ni, 2, &c);
    if (rc)
        return rc;
    if (c->n > 0 && c->v[0] != 0.0)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "Dropout in training mode");
    return NNH_OK;
}

int ox_reshape_like(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    if (ox_op_is(nd, "Flatten"))
        return shape_flatten(L, ni, in, out);
    if (ox_op_is(nd, "Reshape"))
        return shape_reshape(L, ni, in, out);
    if (ox_op_is(nd, "Squeeze"))
        return shape_squeeze(L, ni, in, out);
    if (ox_op_is(nd, "Unsqueeze"))
        return shape_unsqueeze(L, ni, in, out);
    *out = *in;
    return ox_op_is(nd, "Dropout") ? dropout_check(L, ni) : NNH_OK;
}

/* ---- constants: Constant nodes and reshapes of constants ------------------ */

static int set_output_const(ox_loader *L, int ni, ox_const *c)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    long v = nd->n_output ? ox_find_value(L, nd->output[0]) : -1;
    if (v < 0) {
        ox_const_free(c);
        return ox_node_fail(L, ni, NNH_EPARSE, "it has no output");
    }
    L->vals[v].kind = V_CONST;
    L->vals[v].decoded = 1;
    L->vals[v].c = *c;
    return NNH_OK;
}

static int const_from_list(ox_const *c, size_t n, const float *f, const int64_t *i, int scalar)
{
    memset(c, 0, sizeof *c);
    c->v = malloc((n ? n : 1) * sizeof(double));
    if (!c->v)
        return NNH_ENOMEM;
    for (size_t k = 0; k < n; k++)
        c->v[k] = f ? (double)f[k] : (double)i[k];
    c->n = n;
    c->shape.rank = scalar ? 0 : 1;
    c->shape.d[0] = (int64_t)n;
    c->dtype = f ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    return NNH_OK;
}

int ox_do_constant(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    const Onnx__AttributeProto *a;
    ox_const c;
    int rc;
    if ((a = ox_attr(nd, "value")) && a->t) {
        char what[300];
        snprintf(what, sizeof what, "the value of Constant node '%.200s'", ox_str_or(nd->name, "?"));
        rc = ox_tensor_decode(a->t, L->file, what, &c, L->err);
        if (rc)
            return rc;
    } else if ((a = ox_attr(nd, "value_float"))) {
        float f = a->f;
        rc = const_from_list(&c, 1, &f, NULL, 1);
    } else if ((a = ox_attr(nd, "value_floats"))) {
        rc = const_from_list(&c, a->n_floats, a->floats, NULL, 0);
    } else if ((a = ox_attr(nd, "value_int"))) {
        int64_t i = a->i;
        rc = const_from_list(&c, 1, NULL, &i, 1);
    } else if ((a = ox_attr(nd, "value_ints"))) {
        rc = const_from_list(&c, a->n_ints, NULL, a->ints, 0);
    } else {
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "a Constant without a numeric dense value");
    }
    if (rc)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    return set_output_const(L, ni, &c);
}

/* Inputs of node ni for the folder: decoded constants, NULL where omitted, and
 * for Shape/Size a shape-only descriptor (*shape_only) of a network value. */
static int fold_inputs(ox_loader *L, int ni, const ox_const **in, ox_const *shape_only)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    int shape_op = ox_op_is(nd, "Shape") || ox_op_is(nd, "Size");
    for (size_t k = 0; k < nd->n_input; k++) {
        long v = ox_input_value(L, ni, k);
        in[k] = NULL;
        if (v < 0)
            continue;
        const ox_value *x = &L->vals[v];
        if (k == 0 && shape_op && x->kind == V_VAR) {
            memset(shape_only, 0, sizeof *shape_only);
            shape_only->shape = x->shape;
            in[k] = shape_only;
            continue;
        }
        int rc = ox_get_const(L, ni, k, &in[k]);
        if (rc)
            return rc;
    }
    return NNH_OK;
}

int ox_do_const_node(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    ox_const c;
    int rc;
    if (ox_is_reshape_op(nd)) {
        const ox_const *in;
        ox_shape s;
        rc = ox_get_const(L, ni, 0, &in);
        if (!rc)
            rc = ox_reshape_like(L, ni, &in->shape, &s);
        if (!rc && ox_const_reshape(in, &s, &c, L->err))
            rc = nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        return rc ? rc : set_output_const(L, ni, &c);
    }
    if (!ox_fold_known(nd))
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                            "nnhull folds only Shape, Size, Gather, Concat, Cast, Slice, "
                            "Transpose, ConstantOfShape, Add, Sub, Mul, Div, Neg and reshapes "
                            "of constants");
    if (nd->n_input > 64)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "%zu inputs", nd->n_input);
    const ox_const *in[64];
    ox_const shape_only;
    nnh_error e;
    if ((rc = fold_inputs(L, ni, in, &shape_only)))
        return rc;
    if ((rc = ox_fold(nd, in, nd->n_input, &c, &e)))
        return ox_node_fail(L, ni, rc, "folding constants: %s", e.msg);
    return set_output_const(L, ni, &c);
}
