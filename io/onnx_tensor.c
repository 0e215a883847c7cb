/* ONNX reader, constant side: decoding TensorProto payloads (raw little-endian
 * or typed fields) into doubles with every size checked against the data,
 * static shapes, and ONNX broadcasting of constants against the chain value. */
#include "onnx_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ox_shape_count(const ox_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] < 0 || (uint64_t)s->d[i] > OX_MAX_ELEMS)
            return (size_t)-1;
        n *= (size_t)s->d[i];
        if (n > OX_MAX_ELEMS)
            return (size_t)-1;
    }
    return n;
}

void ox_next_index(int64_t *idx, const ox_shape *s)
{
    for (int i = s->rank - 1; i >= 0; i--) {
        if (++idx[i] < s->d[i])
            return;
        idx[i] = 0;
    }
}

const char *ox_shape_str(const ox_shape *s, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < s->rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%lld" : "%lld", (long long)s->d[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}

void ox_const_free(ox_const *c)
{
    if (c) {
        free(c->v);
        c->v = NULL;
        c->n = 0;
    }
}

static uint64_t le_bytes(const uint8_t *p, size_t size)
{
    uint64_t u = 0;
    for (size_t i = size; i-- > 0;)
        u = (u << 8) | p[i];
    return u;
}

/* Element size in raw_data and whether the type is one we convert; 0 if not. */
static size_t elem_size(int dt)
{
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
        return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL:
        return 1;
    default:
        return 0;
    }
}

static double raw_elem(const uint8_t *p, int dt)
{
    uint64_t u = le_bytes(p, elem_size(dt));
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return f;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
        double d;
        memcpy(&d, &u, sizeof d);
        return d;
    }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return (double)(int64_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        return (double)(int32_t)(uint32_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
        return (double)(int16_t)(uint16_t)u;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        return (double)(int8_t)(uint8_t)u;
    default:
        return (double)u;
    }
}

static int tensor_shape(const Onnx__TensorProto *t, const char *file, const char *what,
                        ox_shape *s, size_t *n, nnh_error *err)
{
    if (t->n_dims > OX_MAX_RANK)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: %s has rank %zu (at most %d handled)",
                             file, what, t->n_dims, OX_MAX_RANK);
    s->rank = (int)t->n_dims;
    for (size_t i = 0; i < t->n_dims; i++)
        s->d[i] = t->dims[i];
    *n = ox_shape_count(s);
    if (*n == (size_t)-1) {
        char b[256];
        return nnh_error_set(err, NNH_EPARSE, "%s: %s has invalid or too large dims %s", file, what,
                             ox_shape_str(s, b, sizeof b));
    }
    return NNH_OK;
}

/* Typed (non-raw) storage: which repeated field holds type dt and its length. */
static size_t typed_count(const Onnx__TensorProto *t, int dt)
{
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return t->n_float_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return t->n_double_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return t->n_int64_data;
    default: return t->n_int32_data;
    }
}

static double typed_elem(const Onnx__TensorProto *t, int dt, size_t i)
{
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return t->float_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return t->double_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return (double)t->int64_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return (double)(uint32_t)t->int32_data[i];
    default: return (double)t->int32_data[i];
    }
}

int ox_tensor_decode(const Onnx__TensorProto *t, const char *file, const char *what,
                     ox_const *out, nnh_error *err)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return nnh_error_set(err, NNH_EPARSE, "%s: %s has no tensor", file, what);
    int dt = t->has_data_type ? t->data_type : 0;
    size_t es = elem_size(dt);
    if (!es)
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "%s: %s has data type %d (float, double and integer tensors are handled)",
                             file, what, dt);
    if ((t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data > 0)
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "%s: %s is stored in an external data file (not handled)", file, what);
    if (t->segment)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: %s is a segmented tensor (not handled)",
                             file, what);
    size_t n;
    int rc = tensor_shape(t, file, what, &out->shape, &n, err);
    if (rc)
        return rc;
    int raw = t->has_raw_data && (t->raw_data.len > 0 || typed_count(t, dt) == 0);
    size_t have = raw ? t->raw_data.len / es : typed_count(t, dt);
    if ((raw && t->raw_data.len % es) || have != n)
        return nnh_error_set(err, NNH_EPARSE,
                             "%s: %s holds %zu %s but its dims need %zu values", file, what,
                             raw ? t->raw_data.len : have, raw ? "bytes of raw data" : "values",
                             n);
    out->v = malloc((n ? n : 1) * sizeof(double));
    if (!out->v)
        return nnh_error_set(err, NNH_ENOMEM, "%s: out of memory decoding %s", file, what);
    out->n = n;
    out->dtype = dt;
    for (size_t i = 0; i < n; i++)
        out->v[i] = raw ? raw_elem(t->raw_data.data + i * es, dt) : typed_elem(t, dt, i);
    return NNH_OK;
}

int ox_const_reshape(const ox_const *src, const ox_shape *shape, ox_const *out, nnh_error *err)
{
    memset(out, 0, sizeof *out);
    if (ox_shape_count(shape) != src->n)
        return nnh_error_set(err, NNH_EPARSE, "reshape changes the number of elements");
    out->v = malloc((src->n ? src->n : 1) * sizeof(double));
    if (!out->v)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    if (src->n)
        memcpy(out->v, src->v, src->n * sizeof(double));
    out->n = src->n;
    out->shape = *shape;
    out->dtype = src->dtype;
    return NNH_OK;
}

int ox_broadcast_shape(const ox_shape *a, const ox_shape *b, ox_shape *res, nnh_error *err)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    res->rank = r;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char x[256], y[256];
            return nnh_error_set(err, NNH_EPARSE, "shapes %s and %s do not broadcast",
                                 ox_shape_str(a, x, sizeof x), ox_shape_str(b, y, sizeof y));
        }
        res->d[i] = da == 1 ? db : da;
    }
    return NNH_OK;
}

/* Result shape of broadcasting c against vs, and c's stride along each result
 * axis (0 where c is broadcast). */
static int bcast_layout(const ox_shape *cs, const ox_shape *vs, ox_shape *res, size_t *stride,
                        nnh_error *err)
{
    int r = cs->rank > vs->rank ? cs->rank : vs->rank;
    size_t cstride[OX_MAX_RANK], acc = 1;
    for (int i = cs->rank - 1; i >= 0; i--) {
        cstride[i] = acc;
        acc *= (size_t)cs->d[i];
    }
    res->rank = r;
    for (int i = 0; i < r; i++) {
        int ic = i - (r - cs->rank), iv = i - (r - vs->rank);
        int64_t cd = ic >= 0 ? cs->d[ic] : 1, vd = iv >= 0 ? vs->d[iv] : 1;
        char a[256], b[256];
        if (cd != vd && cd != 1)
            return nnh_error_set(err, vd == 1 ? NNH_EUNSUPPORTED : NNH_EPARSE,
                                 vd == 1 ? "a constant of shape %s would enlarge the value of shape %s"
                                         : "shapes %s and %s do not broadcast",
                                 ox_shape_str(cs, a, sizeof a), ox_shape_str(vs, b, sizeof b));
        res->d[i] = vd;
        stride[i] = (ic >= 0 && cd != 1) ? cstride[ic] : 0;
    }
    return NNH_OK;
}

int ox_broadcast(const ox_const *c, const ox_shape *vs, ox_shape *res, double **out,
                 nnh_error *err)
{
    size_t stride[OX_MAX_RANK];
    *out = NULL;
    if (ox_shape_count(&c->shape) != c->n)
        return nnh_error_set(err, NNH_EPARSE, "constant size does not match its shape");
    int rc = bcast_layout(&c->shape, vs, res, stride, err);
    if (rc)
        return rc;
    size_t n = ox_shape_count(res);
    if (n == (size_t)-1)
        return nnh_error_set(err, NNH_EPARSE, "invalid broadcast shape");
    double *v = malloc((n ? n : 1) * sizeof(double));
    if (!v)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    int64_t idx[OX_MAX_RANK] = {0};
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        v[k] = c->v[off];
        /* odometer over the result index, keeping c's offset in step */
        for (int i = res->rank - 1; i >= 0; i--) {
            off += stride[i];
            if (++idx[i] < res->d[i])
                break;
            off -= stride[i] * (size_t)res->d[i];
            idx[i] = 0;
        }
    }
    *out = v;
    return NNH_OK;
}
