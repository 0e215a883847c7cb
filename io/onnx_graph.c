/* ONNX reader, graph plumbing: the value table (initializers, the network
 * input, node outputs), a topological order of the nodes, and reading node
 * inputs and attributes with errors that name the node. */
#include "onnx_loader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ox_str_or(const char *s, const char *def)
{
    return s && *s ? s : def;
}

int ox_op_is(const Onnx__NodeProto *nd, const char *op)
{
    return nd->op_type && strcmp(nd->op_type, op) == 0;
}

int ox_node_fail(ox_loader *L, int ni, int code, const char *fmt, ...)
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
    const char *op = ox_str_or(nd->op_type, "?");
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

long ox_find_value(const ox_loader *L, const char *name)
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

int ox_build_values(ox_loader *L)
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
            long v = ox_find_value(L, nm);
            if (v < 0)
                return ox_node_fail(L, (int)i, NNH_EPARSE, "input '%.200s' is not defined", nm);
            int p = L->vals[v].producer;
            if (p == (int)i)
                return ox_node_fail(L, (int)i, NNH_EPARSE, "it consumes its own output '%.200s'", nm);
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
            long v = ox_find_value(L, nd->input[k]);
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
                return ox_node_fail(L, (int)i, NNH_EPARSE, "the graph has a cycle through this node");
    return NNH_OK;
}

int ox_topo_order(ox_loader *L, int **order_out)
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

long ox_input_value(const ox_loader *L, int ni, size_t k)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    return k < nd->n_input ? ox_find_value(L, nd->input[k]) : -1;
}

int ox_get_const(ox_loader *L, int ni, size_t k, const ox_const **out)
{
    long v = ox_input_value(L, ni, k);
    if (v < 0)
        return ox_node_fail(L, ni, NNH_EPARSE, "input %zu is missing", k);
    ox_value *x = &L->vals[v];
    if (x->kind != V_CONST)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
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

const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i] && nd->attribute[i]->name && strcmp(nd->attribute[i]->name, name) == 0)
            return nd->attribute[i];
    return NULL;
}

double ox_attr_f(const Onnx__NodeProto *nd, const char *name, double def)
{
    const Onnx__AttributeProto *a = ox_attr(nd, name);
    if (!a)
        return def;
    return a->has_f ? (double)a->f : a->has_i ? (double)a->i : 0.0;
}

int64_t ox_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t def)
{
    const Onnx__AttributeProto *a = ox_attr(nd, name);
    return a ? (a->has_i ? a->i : 0) : def;
}

int ox_int_list(ox_loader *L, int ni, size_t k, const char *aname, int64_t *out, int *n)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    *n = -1;
    if (ox_input_value(L, ni, k) >= 0) {
        const ox_const *c;
        int rc = ox_get_const(L, ni, k, &c);
        if (rc)
            return rc;
        if (c->n > OX_MAX_RANK)
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "%zu entries in input %zu (rank > %d)", c->n,
                             k, OX_MAX_RANK);
        for (size_t i = 0; i < c->n; i++) {
            if (c->v[i] != floor(c->v[i]) || fabs(c->v[i]) > 9.0e15)
                return ox_node_fail(L, ni, NNH_EPARSE, "input %zu holds a non-integer %g", k, c->v[i]);
            out[i] = (int64_t)c->v[i];
        }
        *n = (int)c->n;
        return NNH_OK;
    }
    const Onnx__AttributeProto *a = aname ? ox_attr(nd, aname) : NULL;
    if (a) {
        if (a->n_ints > OX_MAX_RANK)
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "attribute %s has %zu entries", aname,
                             a->n_ints);
        for (size_t i = 0; i < a->n_ints; i++)
            out[i] = a->ints[i];
        *n = (int)a->n_ints;
    }
    return NNH_OK;
}

