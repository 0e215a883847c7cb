/* ONNX reader, constant folding at load: a small evaluator over constant
 * int64/float tensors of known shape (Shape, Size, Gather, Concat, Cast, Slice,
 * Transpose, ConstantOfShape, Add/Sub/Mul/Div, Neg) so computed Reshape
 * targets and Pad amounts are known. */
#include "onnx_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define T_INT64 ONNX__TENSOR_PROTO__DATA_TYPE__INT64

static const char *const FOLDED[] = {"Shape", "Size",      "Gather", "Concat", "Cast",
                                     "Slice", "Transpose", "Add",    "Sub",    "Mul",
                                     "Div",   "Neg",       "Identity", "ConstantOfShape"};

int ox_fold_known(const Onnx__NodeProto *nd)
{
    for (size_t i = 0; i < sizeof FOLDED / sizeof *FOLDED; i++)
        if (ox_op_is(nd, FOLDED[i]))
            return 1;
    return 0;
}

static int is_int_type(int dt)
{
    return dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
           dt != ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE &&
           dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16 &&
           dt != ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16;
}

/* *out of the given shape and type with room for its values. */
static int make(ox_const *out, const ox_shape *s, int dtype, nnh_error *err)
{
    memset(out, 0, sizeof *out);
    size_t n = ox_shape_count(s);
    if (n == (size_t)-1)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "the folded value is too large");
    out->v = malloc((n ? n : 1) * sizeof(double));
    if (!out->v)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    out->shape = *s;
    out->n = n;
    out->dtype = dtype;
    return NNH_OK;
}

/* Normalise a possibly negative axis of a rank-r tensor. */
static int axis_of(int64_t a, int r, int64_t *out, nnh_error *err)
{
    if (a < 0)
        a += r;
    if (a < 0 || a >= r)
        return nnh_error_set(err, NNH_EPARSE, "axis out of range for rank %d", r);
    *out = a;
    return NNH_OK;
}

static int need(const ox_const *const *in, size_t n_in, size_t k, nnh_error *err)
{
    if (k >= n_in || !in[k])
        return nnh_error_set(err, NNH_EPARSE, "input %zu is missing", k);
    return NNH_OK;
}

static size_t prod(const ox_shape *s, int from, int to)
{
    size_t p = 1;
    for (int i = from; i < to; i++)
        p *= (size_t)s->d[i];
    return p;
}

static int fold_shape(const Onnx__NodeProto *nd, const ox_const *x, ox_const *out, nnh_error *err)
{
    int r = x->shape.rank;
    if (ox_op_is(nd, "Size")) {
        ox_shape s = {.rank = 0};
        int rc = make(out, &s, T_INT64, err);
        if (!rc)
            out->v[0] = (double)prod(&x->shape, 0, r);
        return rc;
    }
    int64_t b = ox_attr_i(nd, "start", 0), e = ox_attr_i(nd, "end", r);
    b = b < 0 ? b + r : b;
    e = e < 0 ? e + r : e;
    b = b < 0 ? 0 : b > r ? r : b;
    e = e < b ? b : e > r ? r : e;
    ox_shape s = {.rank = 1, .d = {e - b}};
    int rc = make(out, &s, T_INT64, err);
    for (int64_t i = b; !rc && i < e; i++)
        out->v[i - b] = (double)x->shape.d[i];
    return rc;
}

static int fold_gather(const Onnx__NodeProto *nd, const ox_const *x, const ox_const *ix,
                       ox_const *out, nnh_error *err)
{
    int64_t ax = 0;
    int rc = axis_of(ox_attr_i(nd, "axis", 0), x->shape.rank, &ax, err);
    if (rc)
        return rc;
    if (x->shape.rank - 1 + ix->shape.rank > OX_MAX_RANK)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "result rank above %d", OX_MAX_RANK);
    ox_shape s = {.rank = 0};
    for (int i = 0; i < ax; i++)
        s.d[s.rank++] = x->shape.d[i];
    for (int i = 0; i < ix->shape.rank; i++)
        s.d[s.rank++] = ix->shape.d[i];
    for (int i = (int)ax + 1; i < x->shape.rank; i++)
        s.d[s.rank++] = x->shape.d[i];
    if ((rc = make(out, &s, x->dtype, err)))
        return rc;
    int64_t D = x->shape.d[ax];
    size_t outer = prod(&x->shape, 0, (int)ax), inner = prod(&x->shape, (int)ax + 1,
                                                              x->shape.rank);
    for (size_t q = 0; q < ix->n; q++) {
        double k = ix->v[q] < 0 ? ix->v[q] + (double)D : ix->v[q];
        if (k != floor(k) || k < 0 || k >= (double)D) {
            ox_const_free(out);
            return nnh_error_set(err, NNH_EPARSE, "index %g out of range [0, %lld)", ix->v[q],
                                 (long long)D);
        }
        for (size_t o = 0; o < outer; o++)
            memcpy(out->v + (o * ix->n + q) * inner, x->v + (o * (size_t)D + (size_t)k) * inner,
                   inner * sizeof(double));
    }
    return NNH_OK;
}

static int fold_concat(const Onnx__NodeProto *nd, const ox_const *const *in, size_t n_in,
                       ox_const *out, nnh_error *err)
{
    int rc = need(in, n_in, 0, err);
    if (rc)
        return rc;
    ox_shape s = in[0]->shape;
    int64_t ax = 0;
    if ((rc = axis_of(ox_attr_i(nd, "axis", 0), s.rank, &ax, err)))
        return rc;
    s.d[ax] = 0;
    for (size_t k = 0; k < n_in; k++) {
        if ((rc = need(in, n_in, k, err)))
            return rc;
        const ox_shape *t = &in[k]->shape;
        int same = t->rank == s.rank;
        for (int i = 0; same && i < s.rank; i++)
            same = i == ax || t->d[i] == s.d[i];
        if (!same)
            return nnh_error_set(err, NNH_EPARSE, "input %zu does not match input 0", k);
        s.d[ax] += t->d[ax];
        if (s.d[ax] > OX_MAX_I64)
            return nnh_error_set(err, NNH_EUNSUPPORTED, "the folded value is too large");
    }
    if ((rc = make(out, &s, in[0]->dtype, err)))
        return rc;
    size_t outer = prod(&s, 0, (int)ax), pos = 0;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < n_in; k++) {
            size_t chunk = in[k]->n / (outer ? outer : 1);
            memcpy(out->v + pos, in[k]->v + o * chunk, chunk * sizeof(double));
            pos += chunk;
        }
    return NNH_OK;
}

static int fold_cast(const Onnx__NodeProto *nd, const ox_const *x, ox_const *out, nnh_error *err)
{
    int to = (int)ox_attr_i(nd, "to", 0);
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__STRING || to == ONNX__TENSOR_PROTO__DATA_TYPE__UNDEFINED)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "Cast to data type %d", to);
    int rc = make(out, &x->shape, to, err);
    for (size_t i = 0; !rc && i < x->n; i++) {
        double v = x->v[i];
        if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
            v = v != 0.0;
        else if (to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            v = (double)(float)v;
        else if (is_int_type(to))
            v = trunc(v);
        out->v[i] = v;
    }
    return rc;
}

static int fold_transpose(const Onnx__NodeProto *nd, const ox_const *x, ox_const *out,
                          nnh_error *err)
{
    const Onnx__AttributeProto *a = ox_attr(nd, "perm");
    int64_t perm[OX_MAX_RANK];
    int r = x->shape.rank;
    if (a && a->n_ints != (size_t)r)
        return nnh_error_set(err, NNH_EPARSE, "perm has %zu entries for rank %d", a->n_ints, r);
    for (int i = 0; i < r; i++)
        perm[i] = a ? a->ints[i] : r - 1 - i;
    size_t *src;
    ox_shape s;
    int rc = ox_transpose_index(&x->shape, perm, &src, &s, err);
    if (!rc && !(rc = make(out, &s, x->dtype, err)))
        for (size_t k = 0; k < x->n; k++)
            out->v[k] = x->v[src[k]];
    free(src);
    return rc;
}

/* Integer entries of an optional constant input (n = -1 when absent). */
static int ints_of(const ox_const *c, int64_t *v, int *n, nnh_error *err)
{
    *n = -1;
    if (!c)
        return NNH_OK;
    if (c->n > OX_MAX_RANK)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%zu entries (rank > %d)", c->n, OX_MAX_RANK);
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i] != floor(c->v[i]))
            return nnh_error_set(err, NNH_EPARSE, "non-integer entry %g", c->v[i]);
        v[i] = c->v[i] > 9e18 ? INT64_MAX : c->v[i] < -9e18 ? INT64_MIN : (int64_t)c->v[i];
    }
    *n = (int)c->n;
    return NNH_OK;
}

/* Slice parameters from inputs 1..4 (opset >= 10) or attributes (older). */
static int slice_params(const Onnx__NodeProto *nd, const ox_const *const *in, size_t n_in,
                        int64_t p[4][OX_MAX_RANK], int *n, nnh_error *err)
{
    static const char *names[3] = {"starts", "ends", "axes"};
    int cnt[4];
    for (int k = 0; k < 4; k++) {
        const ox_const *c = (size_t)k + 1 < n_in ? in[k + 1] : NULL;
        int rc = ints_of(c, p[k], &cnt[k], err);
        const Onnx__AttributeProto *a = k < 3 && !c ? ox_attr(nd, names[k]) : NULL;
        if (rc)
            return rc;
        if (a) {
            if (a->n_ints > OX_MAX_RANK)
                return nnh_error_set(err, NNH_EUNSUPPORTED, "too many %s", names[k]);
            for (size_t i = 0; i < a->n_ints; i++)
                p[k][i] = a->ints[i];
            cnt[k] = (int)a->n_ints;
        }
    }
    if (cnt[0] < 0 || cnt[1] != cnt[0] || (cnt[2] >= 0 && cnt[2] != cnt[0]) ||
        (cnt[3] >= 0 && cnt[3] != cnt[0]))
        return nnh_error_set(err, NNH_EPARSE, "starts, ends, axes and steps differ in length");
    for (int i = 0; i < cnt[0]; i++) {
        if (cnt[2] < 0)
            p[2][i] = i;
        if (cnt[3] < 0)
            p[3][i] = 1;
    }
    *n = cnt[0];
    return NNH_OK;
}

static int fold_slice(const Onnx__NodeProto *nd, const ox_const *const *in, size_t n_in,
                      ox_const *out, nnh_error *err)
{
    int64_t p[4][OX_MAX_RANK], first[OX_MAX_RANK] = {0}, step[OX_MAX_RANK];
    int n = 0, rc = slice_params(nd, in, n_in, p, &n, err);
    if (rc)
        return rc;
    const ox_const *x = in[0];
    ox_shape s = x->shape;
    for (int i = 0; i < s.rank; i++)
        step[i] = 1;
    for (int q = 0; q < n; q++) {
        int64_t ax = 0, d, b = p[0][q], e = p[1][q], st = p[3][q];
        if ((rc = axis_of(p[2][q], s.rank, &ax, err)))
            return rc;
        if (st == 0)
            return nnh_error_set(err, NNH_EPARSE, "a zero step");
        d = x->shape.d[ax];
        b = b < 0 ? b + d : b;
        e = e < 0 && e > INT64_MIN + d ? e + d : e;
        int64_t lo = st > 0 ? 0 : -1, hi = st > 0 ? d : d - 1;
        b = b < 0 ? 0 : b > hi ? hi : b;
        e = e < lo ? lo : e > hi ? hi : e;
        int64_t len = st > 0 ? (e - b + st - 1) / st : (b - e - st - 1) / -st;
        first[ax] = b;
        step[ax] = st;
        s.d[ax] = len > 0 ? len : 0;
    }
    if ((rc = make(out, &s, x->dtype, err)))
        return rc;
    int64_t idx[OX_MAX_RANK] = {0};
    for (size_t k = 0; k < out->n; k++) {
        size_t off = 0;
        for (int i = 0; i < s.rank; i++)
            off = off * (size_t)x->shape.d[i] + (size_t)(first[i] + idx[i] * step[i]);
        out->v[k] = x->v[off];
        ox_next_index(idx, &s);
    }
    return NNH_OK;
}

static int fold_binary(const Onnx__NodeProto *nd, const ox_const *a, const ox_const *b,
                       ox_const *out, nnh_error *err)
{
    ox_shape s, sa, sb;
    double *va = NULL, *vb = NULL;
    int rc = ox_broadcast_shape(&a->shape, &b->shape, &s, err);
    if (!rc)
        rc = ox_broadcast(a, &s, &sa, &va, err);
    if (!rc)
        rc = ox_broadcast(b, &s, &sb, &vb, err);
    if (!rc)
        rc = make(out, &s, a->dtype, err);
    int integer = is_int_type(a->dtype);
    for (size_t i = 0; !rc && i < out->n; i++) {
        double x = va[i], y = vb[i];
        if (ox_op_is(nd, "Add"))
            out->v[i] = x + y;
        else if (ox_op_is(nd, "Sub"))
            out->v[i] = x - y;
        else if (ox_op_is(nd, "Mul"))
            out->v[i] = x * y;
        else if (integer && y == 0.0)
            rc = nnh_error_set(err, NNH_ENUMERIC, "integer division by zero");
        else
            out->v[i] = integer ? trunc(x / y) : x / y;
    }
    if (rc)
        ox_const_free(out);
    free(va);
    free(vb);
    return rc;
}

static int fold_constant_of_shape(const Onnx__NodeProto *nd, const ox_const *x, ox_const *out,
                                  nnh_error *err)
{
    const Onnx__AttributeProto *a = ox_attr(nd, "value");
    ox_const val = {.dtype = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT};
    ox_shape s = {.rank = (int)x->n};
    if (x->shape.rank != 1 || x->n > OX_MAX_RANK)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "a shape input of %zu entries", x->n);
    for (size_t i = 0; i < x->n; i++) {
        if (x->v[i] < 0 || x->v[i] > (double)OX_MAX_ELEMS || x->v[i] != floor(x->v[i]))
            return nnh_error_set(err, NNH_EPARSE, "invalid dimension %g", x->v[i]);
        s.d[i] = (int64_t)x->v[i];
    }
    if (a && a->t) {
        int rc = ox_tensor_decode(a->t, "ConstantOfShape", "its value", &val, err);
        if (!rc && val.n != 1)
            rc = nnh_error_set(err, NNH_EPARSE, "a value of %zu entries (1 expected)", val.n);
        if (rc) {
            ox_const_free(&val);
            return rc;
        }
    }
    double v = val.v ? val.v[0] : 0.0;
    int rc = make(out, &s, val.dtype, err);
    for (size_t i = 0; !rc && i < out->n; i++)
        out->v[i] = v;
    ox_const_free(&val);
    return rc;
}

int ox_fold(const Onnx__NodeProto *nd, const ox_const *const *in, size_t n_in, ox_const *out,
            nnh_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = need(in, n_in, 0, err);
    if (rc)
        return rc;
    const ox_const *x = in[0];
    if (ox_op_is(nd, "Shape") || ox_op_is(nd, "Size"))
        return fold_shape(nd, x, out, err);
    if (ox_op_is(nd, "Concat"))
        return fold_concat(nd, in, n_in, out, err);
    if (ox_op_is(nd, "Cast"))
        return fold_cast(nd, x, out, err);
    if (ox_op_is(nd, "Transpose"))
        return fold_transpose(nd, x, out, err);
    if (ox_op_is(nd, "Slice"))
        return fold_slice(nd, in, n_in, out, err);
    if (ox_op_is(nd, "ConstantOfShape"))
        return fold_constant_of_shape(nd, x, out, err);
    if (ox_op_is(nd, "Identity") || ox_op_is(nd, "Neg")) {
        if ((rc = make(out, &x->shape, x->dtype, err)))
            return rc;
        for (size_t i = 0; i < x->n; i++)
            out->v[i] = ox_op_is(nd, "Neg") ? -x->v[i] : x->v[i];
        return NNH_OK;
    }
    if ((rc = need(in, n_in, 1, err)))
        return rc;
    if (ox_op_is(nd, "Gather"))
        return fold_gather(nd, x, in[1], out, err);
    if (ox_op_is(nd, "Add") || ox_op_is(nd, "Sub") || ox_op_is(nd, "Mul") || ox_op_is(nd, "Div"))
        return fold_binary(nd, x, in[1], out, err);
    return nnh_error_set(err, NNH_EUNSUPPORTED, "no constant folding for this operator");
}
