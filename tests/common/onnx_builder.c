/* Builder of small ONNX models in memory for the reader tests (see
 * onnx_builder.h): every allocation goes to the model's arena, freed by mb_free. */
#include "onnx_builder.h"
#include "nnh_test.h"

#include <stdlib.h>
#include <string.h>

void *mb_alloc(mb *b, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_lt(b->n_arena, MB_ARENA);
    b->arena[b->n_arena++] = p;
    return p;
}

char *mb_str(mb *b, const char *s)
{
    char *d = mb_alloc(b, strlen(s) + 1);
    memcpy(d, s, strlen(s) + 1);
    return d;
}

void mb_init(mb *b)
{
    memset(b, 0, sizeof *b);
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto o = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    b->model = m;
    b->graph = g;
    b->opset = o;
    b->opset.has_version = 1;
    b->opset.version = 13;
    b->opsets[0] = &b->opset;
    b->model.has_ir_version = 1;
    b->model.ir_version = 7;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.graph = &b->graph;
    b->graph.node = b->nodes;
    b->graph.initializer = b->inits;
    b->graph.input = b->ins;
    b->graph.output = b->outs;
}

void mb_free(mb *b)
{
    for (int i = 0; i < b->n_arena; i++)
        free(b->arena[i]);
    b->n_arena = 0;
}

/* dims[i] < 0 is a symbolic dimension "N". */
Onnx__ValueInfoProto *mb_vinfo(mb *b, const char *name, int rank, const long long *dims)
{
    Onnx__ValueInfoProto vi0 = ONNX__VALUE_INFO_PROTO__INIT;
    Onnx__TypeProto tp0 = ONNX__TYPE_PROTO__INIT;
    Onnx__TypeProto__Tensor tt0 = ONNX__TYPE_PROTO__TENSOR__INIT;
    Onnx__TensorShapeProto sp0 = ONNX__TENSOR_SHAPE_PROTO__INIT;
    Onnx__ValueInfoProto *vi = mb_alloc(b, sizeof *vi);
    Onnx__TypeProto *tp = mb_alloc(b, sizeof *tp);
    Onnx__TypeProto__Tensor *tt = mb_alloc(b, sizeof *tt);
    Onnx__TensorShapeProto *sp = mb_alloc(b, sizeof *sp);
    *vi = vi0;
    *tp = tp0;
    *tt = tt0;
    *sp = sp0;
    vi->name = mb_str(b, name);
    vi->type = tp;
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = sp;
    sp->n_dim = (size_t)rank;
    sp->dim = mb_alloc(b, (size_t)rank * sizeof *sp->dim);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension d0 = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
        Onnx__TensorShapeProto__Dimension *d = mb_alloc(b, sizeof *d);
        *d = d0;
        if (dims[i] >= 0) {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            d->dim_value = dims[i];
        } else {
            d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            d->dim_param = mb_str(b, "N");
        }
        sp->dim[i] = d;
    }
    return vi;
}

void mb_input(mb *b, const char *name, int rank, const long long *dims)
{
    b->ins[b->graph.n_input++] = mb_vinfo(b, name, rank, dims);
}

void mb_output(mb *b, const char *name)
{
    long long d[2] = {1, 1};
    b->outs[b->graph.n_output++] = mb_vinfo(b, name, 2, d);
}

static void put_le(uint8_t *p, uint64_t u, int size)
{
    for (int i = 0; i < size; i++)
        p[i] = (uint8_t)(u >> (8 * i));
}

Onnx__TensorProto *mb_tensor(mb *b, const char *name, int rank, const long long *dims,
                             const double *v, int st)
{
    Onnx__TensorProto t0 = ONNX__TENSOR_PROTO__INIT;
    Onnx__TensorProto *t = mb_alloc(b, sizeof *t);
    *t = t0;
    size_t n = 1;
    if (name)
        t->name = mb_str(b, name);
    t->n_dims = (size_t)rank;
    t->dims = mb_alloc(b, (size_t)rank * sizeof(int64_t));
    for (int i = 0; i < rank; i++) {
        t->dims[i] = dims[i];
        n *= (size_t)dims[i];
    }
    t->has_data_type = 1;
    t->data_type = st == ST_RAW_F || st == ST_FLOAT   ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
                   : st == ST_DOUBLE || st == ST_RAW_D ? ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
                                                       : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    int es = st == ST_RAW_F ? 4 : 8;
    if (st == ST_RAW_F || st == ST_RAW_D || st == ST_RAW_I64) {
        t->has_raw_data = 1;
        t->raw_data.len = n * (size_t)es;
        t->raw_data.data = mb_alloc(b, n * (size_t)es);
        for (size_t i = 0; i < n; i++) {
            uint64_t u;
            if (st == ST_RAW_F) {
                float f = (float)v[i];
                uint32_t w;
                memcpy(&w, &f, 4);
                u = w;
            } else if (st == ST_RAW_D) {
                memcpy(&u, &v[i], 8);
            } else {
                u = (uint64_t)(int64_t)v[i];
            }
            put_le(t->raw_data.data + i * (size_t)es, u, es);
        }
    } else if (st == ST_FLOAT) {
        t->n_float_data = n;
        t->float_data = mb_alloc(b, n * sizeof(float));
        for (size_t i = 0; i < n; i++)
            t->float_data[i] = (float)v[i];
    } else if (st == ST_DOUBLE) {
        t->n_double_data = n;
        t->double_data = mb_alloc(b, n * sizeof(double));
        memcpy(t->double_data, v, n * sizeof(double));
    } else {
        t->n_int64_data = n;
        t->int64_data = mb_alloc(b, n * sizeof(int64_t));
        for (size_t i = 0; i < n; i++)
            t->int64_data[i] = (int64_t)v[i];
    }
    return t;
}

Onnx__TensorProto *mb_init_t(mb *b, const char *name, int rank, const long long *dims,
                             const double *v, int st)
{
    Onnx__TensorProto *t = mb_tensor(b, name, rank, dims, v, st);
    b->inits[b->graph.n_initializer++] = t;
    return t;
}

static char **mb_split(mb *b, const char *csv, size_t *n)
{
    *n = 0;
    if (!csv)
        return NULL;
    size_t cnt = 1;
    for (const char *p = csv; *p; p++)
        cnt += *p == ',';
    char **v = mb_alloc(b, cnt * sizeof(char *));
    const char *s = csv;
    for (size_t i = 0; i < cnt; i++) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        v[i] = mb_alloc(b, len + 1);
        memcpy(v[i], s, len);
        s = e ? e + 1 : s + len;
    }
    *n = cnt;
    return v;
}

Onnx__NodeProto *mb_node(mb *b, const char *op, const char *name, const char *ins,
                         const char *outs)
{
    Onnx__NodeProto n0 = ONNX__NODE_PROTO__INIT;
    Onnx__NodeProto *nd = mb_alloc(b, sizeof *nd);
    *nd = n0;
    nd->op_type = mb_str(b, op);
    if (name)
        nd->name = mb_str(b, name);
    nd->input = mb_split(b, ins, &nd->n_input);
    nd->output = mb_split(b, outs, &nd->n_output);
    nd->attribute = mb_alloc(b, 8 * sizeof *nd->attribute);
    ck_assert_int_lt(b->graph.n_node, MB_MAX);
    b->nodes[b->graph.n_node++] = nd;
    return nd;
}

Onnx__AttributeProto *mb_attr(mb *b, Onnx__NodeProto *nd, const char *name, int type)
{
    Onnx__AttributeProto a0 = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *a = mb_alloc(b, sizeof *a);
    *a = a0;
    a->name = mb_str(b, name);
    a->has_type = 1;
    a->type = type;
    ck_assert_int_lt(nd->n_attribute, 8);
    nd->attribute[nd->n_attribute++] = a;
    return a;
}

void mb_attr_f(mb *b, Onnx__NodeProto *nd, const char *name, float f)
{
    Onnx__AttributeProto *a = mb_attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = f;
}

void mb_attr_i(mb *b, Onnx__NodeProto *nd, const char *name, long long i)
{
    Onnx__AttributeProto *a = mb_attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = i;
}

void mb_attr_ints(mb *b, Onnx__NodeProto *nd, const char *name, int n, const long long *v)
{
    Onnx__AttributeProto *a = mb_attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)n;
    a->ints = mb_alloc(b, (size_t)n * sizeof(int64_t));
    for (int i = 0; i < n; i++)
        a->ints[i] = v[i];
}

void mb_attr_s(mb *b, Onnx__NodeProto *nd, const char *name, const char *v)
{
    Onnx__AttributeProto *a = mb_attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)mb_str(b, v);
}

void mb_attr_t(mb *b, Onnx__NodeProto *nd, const char *name, Onnx__TensorProto *t)
{
    Onnx__AttributeProto *a = mb_attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = t;
}

uint8_t *mb_pack(mb *b, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = mb_alloc(b, *len);
    ck_assert_uint_eq(onnx__model_proto__pack(&b->model, buf), *len);
    return buf;
}

int mb_load(mb *b, int strip, nnh_network **net, nnh_error *err)
{
    size_t len;
    uint8_t *buf = mb_pack(b, &len);
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    o.strip_softmax = strip;
    nnh_error_clear(err);
    return nnh_load_onnx_buffer(buf, len, "model.onnx", &o, net, err);
}

/* Load, require success and a network of the given shape. */
nnh_network *mb_load_ok(mb *b, int n_in, int n_layers, int n_out)
{
    nnh_network *net = NULL;
    nnh_error err;
    int rc = mb_load(b, 0, &net, &err);
    ck_assert_msg(rc == 0, "load failed: %s", err.msg);
    ck_assert_int_eq(net->n_inputs, n_in);
    ck_assert_int_eq(net->n_layers, n_layers);
    ck_assert_int_eq(nnh_network_n_outputs(net), n_out);
    ck_assert_str_eq(net->format, "onnx");
    ck_assert_str_eq(net->source, "model.onnx");
    ck_assert_int_eq(nnh_network_validate(net, &err), 0);
    return net;
}

/* Load, require failure with code and every needle in the message. */
void mb_load_fails(mb *b, int strip, int code, const char *n1, const char *n2, const char *n3)
{
    nnh_network *net = NULL;
    nnh_error err;
    int rc = mb_load(b, strip, &net, &err);
    ck_assert_msg(rc == code, "expected code %d, got %d (%s)", code, rc, err.msg);
    ck_assert_ptr_null(net);
    const char *need[4] = {"model.onnx", n1, n2, n3};
    for (int i = 0; i < 4; i++)
        if (need[i])
            ck_assert_msg(strstr(err.msg, need[i]) != NULL, "message '%s' lacks '%s'", err.msg,
                          need[i]);
}

void mb_eval(const nnh_network *net, const double *x, double *y)
{
    ck_assert_int_eq(nnh_network_eval(net, x, y, NULL), 0);
}
