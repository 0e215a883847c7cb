/* ONNX reader (protobuf-c): walks the graph from its single input along one
 * chain of nodes and turns Gemm/MatMul/Add/normalisation/reshape runs between
 * elementwise activations into the dense layers of an nnh_network. */
#include "nnhull/io.h"
#include "onnx_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { V_PENDING = 0, V_CONST, V_VAR, V_DEAD } ox_vkind;

typedef struct ox_value {
    const char *name;
    ox_vkind kind;
    int producer;               /* node index; -1 for initializers and the input */
    const Onnx__TensorProto *t; /* initializer, decoded on first use */
    int decoded;
    ox_const c;
} ox_value;

typedef struct ox_name {
    const char *name;
    size_t idx;
} ox_name;

typedef struct ox_loader {
    const char *file;
    const nnh_load_opts *opts;
    nnh_error *err;
    const Onnx__GraphProto *g;
    ox_value *vals;
    size_t n_vals;
    ox_name *byname; /* sorted by name */
    int cur;         /* value index of the live chain value */
    ox_shape shape;  /* its shape, batch dims taken as 1 */
    ox_map map;      /* from the last activation output (or input) to it */
    nnh_layer *layers;
    int n_layers, cap_layers;
    size_t n_inputs;
    int softmax_node; /* a Softmax seen on the chain, -1 if none */
} ox_loader;

static const char *str_or(const char *s, const char *def)
{
    return s && *s ? s : def;
}

static int op_is(const Onnx__NodeProto *nd, const char *op)
{
    return nd->op_type && strcmp(nd->op_type, op) == 0;
}

/* Error naming the node; EUNSUPPORTED gets the "is not supported:" wording. */
static int node_fail(ox_loader *L, int ni, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int node_fail(ox_loader *L, int ni, int code, const char *fmt, ...)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    char why[768], who[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (nd->name && *nd->name)
        snprintf(who, sizeof who, "node '%.200s'", nd->name);
    else
        snprintf(who, sizeof who, "node #%d", ni);
    const char *op = str_or(nd->op_type, "?");
    if (code == NNH_EUNSUPPORTED)
        return nnh_error_set(L->err, code, "%s: %s (op %.60s) is not supported: %s", L->file, who,
                             op, why);
    return nnh_error_set(L->err, code, "%s: %s (op %.60s): %s", L->file, who, op, why);
}

/* ---- value table ---------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const ox_name *)a)->name, ((const ox_name *)b)->name);
}

static long find_in(const ox_name *tab, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tab[mid].name, name);
        if (c == 0)
            return (long)tab[mid].idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static long find_value(const ox_loader *L, const char *name)
{
    if (!name || !*name)
        return -1;
    return find_in(L->byname, L->n_vals, name);
}

static void add_value(ox_loader *L, const char *name, ox_vkind kind, int producer,
                      const Onnx__TensorProto *t)
{
    ox_value *v = &L->vals[L->n_vals];
    v->name = name;
    v->kind = kind;
    v->producer = producer;
    v->t = t;
    L->byname[L->n_vals].name = name;
    L->byname[L->n_vals].idx = L->n_vals;
    L->n_vals++;
}

static int add_initializers(ox_loader *L)
{
    const Onnx__GraphProto *g = L->g;
    for (size_t i = 0; i < g->n_initializer; i++) {
        const Onnx__TensorProto *t = g->initializer[i];
        if (!t || !t->name || !*t->name)
            return nnh_error_set(L->err, NNH_EPARSE, "%s: initializer #%zu has no name", L->file, i);
        add_value(L, t->name, V_CONST, -1, t);
    }
    qsort(L->byname, L->n_vals, sizeof *L->byname, cmp_name);
    return NNH_OK;
}

/* The one graph input that is not an initializer (older exports list the
 * weights as inputs too). */
static int find_network_input(ox_loader *L, const Onnx__ValueInfoProto **in)
{
    const Onnx__GraphProto *g = L->g;
    size_t n_init = L->n_vals, count = 0;
    *in = NULL;
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *vi = g->input[i];
        if (!vi || !vi->name || !*vi->name)
            return nnh_error_set(L->err, NNH_EPARSE, "%s: graph input #%zu has no name", L->file,
                                 i);
        if (find_in(L->byname, n_init, vi->name) >= 0)
            continue;
        if (count++ == 0)
            *in = vi;
    }
    if (count != 1)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                             "%s: the graph has %zu inputs besides its weights; nnhull handles "
                             "networks with exactly one input",
                             L->file, count);
    return NNH_OK;
}

static int build_values(ox_loader *L)
{
    const Onnx__GraphProto *g = L->g;
    size_t total = g->n_initializer + 1;
    for (size_t i = 0; i < g->n_node; i++) {
        if (!g->node[i])
            return nnh_error_set(L->err, NNH_EPARSE, "%s: node #%zu is empty", L->file, i);
        total += g->node[i]->n_output;
    }
    L->vals = calloc(total, sizeof *L->vals);
    L->byname = calloc(total, sizeof *L->byname);
    if (!L->vals || !L->byname)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    int rc = add_initializers(L);
    const Onnx__ValueInfoProto *in;
    if (!rc)
        rc = find_network_input(L, &in);
    if (rc)
        return rc;
    L->cur = (int)L->n_vals;
    add_value(L, in->name, V_VAR, -1, NULL);
    for (size_t i = 0; i < g->n_node; i++)
        for (size_t k = 0; k < g->node[i]->n_output; k++) {
            const char *o = g->node[i]->output[k];
            if (o && *o)
                add_value(L, o, V_PENDING, (int)i, NULL);
        }
    qsort(L->byname, L->n_vals, sizeof *L->byname, cmp_name);
    for (size_t i = 1; i < L->n_vals; i++)
        if (strcmp(L->byname[i - 1].name, L->byname[i].name) == 0)
            return nnh_error_set(L->err, NNH_EPARSE, "%s: value '%.200s' is defined more than once",
                                 L->file, L->byname[i].name);
    return NNH_OK;
}

/* ---- topological order (files need not list nodes in order) ------------ */

static int count_edges(ox_loader *L, int *indeg, size_t *start)
{
    const Onnx__GraphProto *g = L->g;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t k = 0; k < nd->n_input; k++) {
            const char *nm = nd->input[k];
            if (!nm || !*nm)
                continue; /* omitted optional input */
            long v = find_value(L, nm);
            if (v < 0)
                return node_fail(L, (int)i, NNH_EPARSE, "input '%.200s' is not defined", nm);
            int p = L->vals[v].producer;
            if (p == (int)i)
                return node_fail(L, (int)i, NNH_EPARSE, "it consumes its own output '%.200s'", nm);
            if (p >= 0) {
                indeg[i]++;
                start[p + 1]++;
            }
        }
    }
    for (size_t i = 0; i < g->n_node; i++)
        start[i + 1] += start[i];
    return NNH_OK;
}

static void fill_edges(ox_loader *L, size_t *start, int *succ)
{
    const Onnx__GraphProto *g = L->g;
    size_t *pos = start; /* start[p] advances to start[p+1] while filling */
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t k = 0; k < nd->n_input; k++) {
            long v = find_value(L, nd->input[k]);
            int p = v >= 0 ? L->vals[v].producer : -1;
            if (p >= 0)
                succ[pos[p]++] = (int)i;
        }
    }
    for (size_t i = g->n_node; i > 0; i--)
        start[i] = start[i - 1];
    start[0] = 0;
}

static int kahn(ox_loader *L, int *indeg, const size_t *start, const int *succ, int *order)
{
    size_t n = L->g->n_node, head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            order[tail++] = (int)i;
    while (head < tail) {
        int u = order[head++];
        for (size_t e = start[u]; e < start[u + 1]; e++)
            if (--indeg[succ[e]] == 0)
                order[tail++] = succ[e];
    }
    if (tail < n)
        for (size_t i = 0; i < n; i++)
            if (indeg[i] > 0)
                return node_fail(L, (int)i, NNH_EPARSE, "the graph has a cycle through this node");
    return NNH_OK;
}

static int topo_order(ox_loader *L, int **order_out)
{
    size_t n = L->g->n_node, edges;
    int *indeg = calloc(n + 1, sizeof(int)), *order = calloc(n + 1, sizeof(int)), *succ = NULL;
    size_t *start = calloc(n + 2, sizeof(size_t));
    int rc = NNH_OK;
    if (!indeg || !order || !start) {
        rc = nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        goto done;
    }
    rc = count_edges(L, indeg, start);
    if (rc)
        goto done;
    edges = start[n];
    succ = calloc(edges + 1, sizeof(int));
    if (!succ) {
        rc = nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        goto done;
    }
    fill_edges(L, start, succ);
    rc = kahn(L, indeg, start, succ, order);
done:
    free(indeg);
    free(start);
    free(succ);
    if (rc)
        free(order);
    else
        *order_out = order;
    return rc;
}

/* ---- node inputs and attributes ------------------------------------------ */

static long input_value(const ox_loader *L, int ni, size_t k)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    return k < nd->n_input ? find_value(L, nd->input[k]) : -1;
}

static int get_const(ox_loader *L, int ni, size_t k, const ox_const **out)
{
    long v = input_value(L, ni, k);
    if (v < 0)
        return node_fail(L, ni, NNH_EPARSE, "input %zu is missing", k);
    ox_value *x = &L->vals[v];
    if (x->kind != V_CONST)
        return node_fail(L, ni, NNH_EUNSUPPORTED,
                         "input %zu ('%.200s') must be a constant (weights that depend on the "
                         "network input are not handled)",
                         k, x->name);
    if (!x->decoded) {
        char what[300];
        snprintf(what, sizeof what, "initializer '%.200s'", x->name);
        int rc = ox_tensor_decode(x->t, L->file, what, &x->c, L->err);
        if (rc)
            return rc;
        x->decoded = 1;
    }
    *out = &x->c;
    return NNH_OK;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i] && nd->attribute[i]->name && strcmp(nd->attribute[i]->name, name) == 0)
            return nd->attribute[i];
    return NULL;
}

static double attr_f(const Onnx__NodeProto *nd, const char *name, double def)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    if (!a)
        return def;
    return a->has_f ? (double)a->f : a->has_i ? (double)a->i : 0.0;
}

static int64_t attr_i(const Onnx__NodeProto *nd, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = attr(nd, name);
    return a ? (a->has_i ? a->i : 0) : def;
}

/* Integer list from constant input k or, when that input is absent, from the
 * ints attribute aname (older opsets). *n = -1 when neither is given. */
static int int_list(ox_loader *L, int ni, size_t k, const char *aname, int64_t *out, int *n)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    *n = -1;
    if (input_value(L, ni, k) >= 0) {
        const ox_const *c;
        int rc = get_const(L, ni, k, &c);
        if (rc)
            return rc;
        if (c->n > OX_MAX_RANK)
            return node_fail(L, ni, NNH_EUNSUPPORTED, "%zu entries in input %zu (rank > %d)", c->n,
                             k, OX_MAX_RANK);
        for (size_t i = 0; i < c->n; i++) {
            if (c->v[i] != floor(c->v[i]) || fabs(c->v[i]) > 9.0e15)
                return node_fail(L, ni, NNH_EPARSE, "input %zu holds a non-integer %g", k, c->v[i]);
            out[i] = (int64_t)c->v[i];
        }
        *n = (int)c->n;
        return NNH_OK;
    }
    const Onnx__AttributeProto *a = aname ? attr(nd, aname) : NULL;
    if (a) {
        if (a->n_ints > OX_MAX_RANK)
            return node_fail(L, ni, NNH_EUNSUPPORTED, "attribute %s has %zu entries", aname,
                             a->n_ints);
        for (size_t i = 0; i < a->n_ints; i++)
            out[i] = a->ints[i];
        *n = (int)a->n_ints;
    }
    return NNH_OK;
}

/* ---- shape-only operators (Identity, Dropout, Flatten, Reshape, (Un)Squeeze) */

static int is_reshape_op(const Onnx__NodeProto *nd)
{
    static const char *ops[] = {"Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (op_is(nd, ops[i]))
            return 1;
    return 0;
}

static int shape_flatten(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t axis = attr_i(L->g->node[ni], "axis", 1);
    if (axis < 0)
        axis += in->rank;
    if (axis < 0 || axis > in->rank)
        return node_fail(L, ni, NNH_EPARSE, "axis %lld out of range for rank %d", (long long)axis,
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
    int n, infer = -1, rc = int_list(L, ni, 1, "shape", s, &n);
    if (rc)
        return rc;
    if (n < 0)
        return node_fail(L, ni, NNH_EPARSE, "no target shape");
    int allowzero = (int)attr_i(L->g->node[ni], "allowzero", 0);
    size_t known = 1, count = ox_shape_count(in);
    out->rank = n;
    for (int i = 0; i < n; i++) {
        int64_t v = s[i];
        if (v == 0 && !allowzero) {
            if (i >= in->rank)
                return node_fail(L, ni, NNH_EPARSE, "shape entry %d copies a missing dim", i);
            v = in->d[i];
        }
        if (v == -1 && infer < 0) {
            infer = i;
            continue;
        }
        if (v < 0 || (uint64_t)v > OX_MAX_ELEMS || (v && known > OX_MAX_ELEMS / (size_t)v))
            return node_fail(L, ni, NNH_EPARSE, "invalid target shape entry %lld", (long long)v);
        out->d[i] = v;
        known *= (size_t)v;
    }
    if (infer >= 0) {
        if (known == 0 || count % known)
            return node_fail(L, ni, NNH_EPARSE, "cannot infer the -1 entry of the target shape");
        out->d[infer] = (int64_t)(count / known);
    }
    char a[256], b[256];
    if (ox_shape_count(out) != count)
        return node_fail(L, ni, NNH_EPARSE, "reshaping %s to %s changes the number of elements",
                         ox_shape_str(in, a, sizeof a), ox_shape_str(out, b, sizeof b));
    return NNH_OK;
}

static int shape_squeeze(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    int64_t ax[OX_MAX_RANK];
    int n, drop[OX_MAX_RANK] = {0}, rc = int_list(L, ni, 1, "axes", ax, &n);
    if (rc)
        return rc;
    for (int i = 0; i < in->rank; i++)
        drop[i] = n <= 0 && in->d[i] == 1;
    for (int j = 0; j < n; j++) {
        int64_t a = ax[j] < 0 ? ax[j] + in->rank : ax[j];
        if (a < 0 || a >= in->rank || in->d[a] != 1)
            return node_fail(L, ni, NNH_EPARSE, "cannot squeeze axis %lld", (long long)ax[j]);
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
    int n, ins[OX_MAX_RANK] = {0}, rc = int_list(L, ni, 1, "axes", ax, &n);
    if (rc)
        return rc;
    int r = in->rank + (n > 0 ? n : 0);
    if (n <= 0 || r > OX_MAX_RANK)
        return node_fail(L, ni, n <= 0 ? NNH_EPARSE : NNH_EUNSUPPORTED, "invalid axes");
    for (int j = 0; j < n; j++) {
        int64_t a = ax[j] < 0 ? ax[j] + r : ax[j];
        if (a < 0 || a >= r || ins[a])
            return node_fail(L, ni, NNH_EPARSE, "invalid axis %lld", (long long)ax[j]);
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
    if (input_value(L, ni, 2) < 0)
        return NNH_OK;
    int rc = get_const(L, ni, 2, &c);
    if (rc)
        return rc;
    if (c->n > 0 && c->v[0] != 0.0)
        return node_fail(L, ni, NNH_EUNSUPPORTED, "Dropout in training mode");
    return NNH_OK;
}

static int reshape_like(ox_loader *L, int ni, const ox_shape *in, ox_shape *out)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    if (op_is(nd, "Flatten"))
        return shape_flatten(L, ni, in, out);
    if (op_is(nd, "Reshape"))
        return shape_reshape(L, ni, in, out);
    if (op_is(nd, "Squeeze"))
        return shape_squeeze(L, ni, in, out);
    if (op_is(nd, "Unsqueeze"))
        return shape_unsqueeze(L, ni, in, out);
    *out = *in;
    return op_is(nd, "Dropout") ? dropout_check(L, ni) : NNH_OK;
}

/* ---- constants: Constant nodes and reshapes of constants ------------------ */

static int set_output_const(ox_loader *L, int ni, ox_const *c)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    long v = nd->n_output ? find_value(L, nd->output[0]) : -1;
    if (v < 0) {
        ox_const_free(c);
        return node_fail(L, ni, NNH_EPARSE, "it has no output");
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
    return NNH_OK;
}

static int do_constant(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    const Onnx__AttributeProto *a;
    ox_const c;
    int rc;
    if ((a = attr(nd, "value")) && a->t) {
        char what[300];
        snprintf(what, sizeof what, "the value of Constant node '%.200s'", str_or(nd->name, "?"));
        rc = ox_tensor_decode(a->t, L->file, what, &c, L->err);
        if (rc)
            return rc;
    } else if ((a = attr(nd, "value_float"))) {
        float f = a->f;
        rc = const_from_list(&c, 1, &f, NULL, 1);
    } else if ((a = attr(nd, "value_floats"))) {
        rc = const_from_list(&c, a->n_floats, a->floats, NULL, 0);
    } else if ((a = attr(nd, "value_int"))) {
        int64_t i = a->i;
        rc = const_from_list(&c, 1, NULL, &i, 1);
    } else if ((a = attr(nd, "value_ints"))) {
        rc = const_from_list(&c, a->n_ints, NULL, a->ints, 0);
    } else {
        return node_fail(L, ni, NNH_EUNSUPPORTED, "a Constant without a numeric dense value");
    }
    if (rc)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    return set_output_const(L, ni, &c);
}

static int do_const_node(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    if (!is_reshape_op(nd))
        return node_fail(L, ni, NNH_EUNSUPPORTED,
                         "nnhull only folds reshapes of constants, not other computations on them");
    const ox_const *in;
    ox_shape s;
    ox_const c;
    int rc = get_const(L, ni, 0, &in);
    if (!rc)
        rc = reshape_like(L, ni, &in->shape, &s);
    if (!rc && ox_const_reshape(in, &s, &c, L->err))
        rc = nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    return rc ? rc : set_output_const(L, ni, &c);
}

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
        return node_fail(L, ni, rc, "%s", e.msg);
    L->shape = *res;
    return NNH_OK;
}

static int shape_mismatch(ox_loader *L, int ni, const ox_shape *a, const ox_shape *b)
{
    char x[256], y[256];
    return node_fail(L, ni, NNH_EPARSE, "operand shapes %s and %s do not match",
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
    int rc = get_const(L, ni, varpos == 0 ? 1 : 0, &W);
    if (rc)
        return rc;
    if (W->shape.rank < 1 || W->shape.rank > 2)
        return node_fail(L, ni, NNH_EUNSUPPORTED,
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
    if (input_value(L, ni, 2) < 0)
        return NNH_OK;
    int rc = get_const(L, ni, 2, &C);
    if (rc)
        return rc;
    if ((rc = ox_broadcast(C, res, &bs, d, &e)))
        return node_fail(L, ni, rc, "bias C: %s", e.msg);
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
        return node_fail(L, ni, NNH_EUNSUPPORTED, "a Gemm operand of shape %s (a matrix is needed)",
                         ox_shape_str(xs, b, sizeof b));
    }
    if (trans) {
        if (*r0 > 1 && *r1 > 1)
            return node_fail(L, ni, NNH_EUNSUPPORTED,
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
    double alpha = attr_f(nd, "alpha", 1.0), beta = attr_f(nd, "beta", 1.0);
    int ta = attr_i(nd, "transA", 0) != 0, tb = attr_i(nd, "transB", 0) != 0;
    if (varpos == 2)
        return node_fail(L, ni, NNH_EUNSUPPORTED, "the bias C depends on the network input");
    const ox_const *W;
    int rc = get_const(L, ni, varpos == 0 ? 1 : 0, &W);
    if (rc)
        return rc;
    if (W->shape.rank != 2)
        return node_fail(L, ni, NNH_EPARSE, "constant operand of rank %d (2 needed)",
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
    if (op_is(nd, "Add")) {
        *t = v;
    } else if (op_is(nd, "Sub") && varpos == 0) { /* x - c */
        for (size_t i = 0; i < n; i++)
            v[i] = -v[i];
        *t = v;
    } else if (op_is(nd, "Sub")) { /* c - x */
        if (!(*s = malloc(n * sizeof(double))))
            return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
        for (size_t i = 0; i < n; i++)
            (*s)[i] = -1.0;
        *t = v;
    } else if (op_is(nd, "Mul")) {
        *s = v;
    } else { /* x / c */
        for (size_t i = 0; i < n; i++) {
            if (v[i] == 0.0 || !isfinite(v[i]))
                return node_fail(L, ni, NNH_ENUMERIC, "division by %g", v[i]);
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
    int rc = get_const(L, ni, 1 - varpos, &C);
    if (rc)
        return rc;
    if (op_is(L->g->node[ni], "Div") && varpos == 1)
        return node_fail(L, ni, NNH_EUNSUPPORTED, "dividing by a value that depends on the input");
    if ((rc = ox_broadcast(C, &L->shape, &res, &v, &e)))
        return node_fail(L, ni, rc, "%s", e.msg);
    rc = elementwise_terms(L, ni, varpos, v, ox_shape_count(&res), &s, &t);
    if (!rc && (rc = ox_map_scale(&L->map, s, t, &e)))
        node_fail(L, ni, rc, "%s", e.msg);
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
    int rc = ox_map_dense(&L->map, &ly->W, &e);
    if (rc)
        return nnh_error_set(L->err, rc, "%s: layer %d: %s", L->file, L->n_layers, e.msg);
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
        if (op_is(nd, tab[i].op)) {
            *k = tab[i].kind;
            return 1;
        }
    return 0;
}

/* PRelu with one slope for every element is a leaky ReLU. */
static int prelu_slope(ox_loader *L, int ni, double *alpha)
{
    const ox_const *c;
    int rc = get_const(L, ni, 1, &c);
    if (rc)
        return rc;
    if (c->n == 0)
        return node_fail(L, ni, NNH_EPARSE, "empty slope");
    for (size_t i = 1; i < c->n; i++)
        if (c->v[i] != c->v[0])
            return node_fail(L, ni, NNH_EUNSUPPORTED,
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
    if (op_is(nd, "PRelu"))
        rc = prelu_slope(L, ni, &a.alpha);
    else if (kind == NNH_ACT_LEAKY_RELU || kind == NNH_ACT_ELU || kind == NNH_ACT_SELU)
        a.alpha = attr_f(nd, "alpha", a.alpha);
    if (kind == NNH_ACT_SELU)
        a.lambda = attr_f(nd, "gamma", a.lambda);
    if (rc)
        return rc;
    if ((rc = nnh_act_check(&a, &e)))
        return node_fail(L, ni, rc, "%s", e.msg);
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
        long v = find_value(L, nd->input[k]);
        if (v < 0)
            continue;
        const ox_value *x = &L->vals[v];
        if (x->kind == V_VAR && v != L->cur)
            return node_fail(L, ni, NNH_EUNSUPPORTED,
                             "it reads '%.200s', which another node already consumed: the graph "
                             "branches (nnhull handles a single chain of layers)",
                             x->name);
        if (x->kind == V_DEAD)
            return node_fail(L, ni, NNH_EUNSUPPORTED, "it reads '%.200s', a secondary output",
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
    long v = nd->n_output ? find_value(L, nd->output[0]) : -1;
    if (v < 0)
        return node_fail(L, ni, NNH_EPARSE, "it has no output");
    L->vals[v].kind = V_VAR;
    L->cur = (int)v;
    for (size_t k = 1; k < nd->n_output; k++) {
        long w = find_value(L, nd->output[k]);
        if (w >= 0)
            L->vals[w].kind = V_DEAD;
    }
    return NNH_OK;
}

static int is_elementwise_op(const Onnx__NodeProto *nd)
{
    return op_is(nd, "Add") || op_is(nd, "Sub") || op_is(nd, "Mul") || op_is(nd, "Div");
}

static int dispatch(ox_loader *L, int ni, int varpos)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    nnh_act_kind kind;
    int first_only = is_reshape_op(nd) || act_kind(nd, &kind) || op_is(nd, "Softmax") ||
                     op_is(nd, "LogSoftmax");
    if (first_only && varpos != 0)
        return node_fail(L, ni, NNH_EUNSUPPORTED, "operand %d depends on the network input",
                         varpos);
    if (L->softmax_node >= 0 && !is_reshape_op(nd))
        return node_fail(L, ni, NNH_EUNSUPPORTED,
                         "it follows the Softmax node '%.200s'; only a trailing Softmax can be "
                         "dropped",
                         str_or(L->g->node[L->softmax_node]->name, "?"));
    if (is_reshape_op(nd)) {
        ox_shape s;
        int rc = reshape_like(L, ni, &L->shape, &s);
        if (!rc)
            L->shape = s;
        return rc;
    }
    if (op_is(nd, "MatMul"))
        return do_matmul(L, ni, varpos);
    if (op_is(nd, "Gemm"))
        return do_gemm(L, ni, varpos);
    if (is_elementwise_op(nd))
        return do_elementwise(L, ni, varpos);
    if (act_kind(nd, &kind))
        return do_activation(L, ni, kind);
    if (op_is(nd, "Softmax") || op_is(nd, "LogSoftmax")) {
        L->softmax_node = ni;
        return NNH_OK;
    }
    return node_fail(L, ni, NNH_EUNSUPPORTED, "nnhull handles fully-connected networks");
}

static int process_node(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    int nvar, varpos;
    if (nd->domain && *nd->domain && strcmp(nd->domain, "ai.onnx") != 0)
        return node_fail(L, ni, NNH_EUNSUPPORTED, "operator domain '%.100s'", nd->domain);
    int rc = chain_inputs(L, ni, &nvar, &varpos);
    if (rc)
        return rc;
    if (op_is(nd, "Constant"))
        return do_constant(L, ni);
    if (nvar == 0)
        return do_const_node(L, ni);
    if (nvar > 1)
        return node_fail(L, ni, NNH_EUNSUPPORTED,
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
    long v = find_value(L, name);
    if (v < 0)
        return nnh_error_set(L->err, NNH_EPARSE, "%s: graph output '%.200s' is not defined",
                             L->file, str_or(name, ""));
    if (v != L->cur)
        return nnh_error_set(L->err, NNH_EUNSUPPORTED,
                             "%s: graph output '%.200s' is not the end of the chain of layers "
                             "that starts at the input",
                             L->file, name);
    if (L->softmax_node >= 0 && !L->opts->strip_softmax)
        return node_fail(L, L->softmax_node, NNH_EUNSUPPORTED,
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
    rc = nnh_network_create(&net, L->n_layers, sizes, L->err);
    free(sizes);
    if (rc)
        return nnh_error_prefix(L->err, "%s", L->file);
    for (int k = 0; k < L->n_layers; k++) {
        nnh_layer *d = &net->layers[k], *s = &L->layers[k];
        free(d->W);
        free(d->b);
        *d = *s;
        s->W = s->b = NULL;
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
    int rc = build_values(L);
    if (!rc) {
        const Onnx__ValueInfoProto *in = NULL;
        for (size_t i = 0; i < L->g->n_input && !in; i++)
            if (find_value(L, L->g->input[i]->name) == L->cur)
                in = L->g->input[i];
        rc = in ? input_shape(L, in)
                : nnh_error_set(L->err, NNH_EPARSE, "%s: graph input not found", L->file);
    }
    if (!rc)
        rc = topo_order(L, &order);
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
