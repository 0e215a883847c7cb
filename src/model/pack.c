/* Byte serialization of nnh_network, nnh_bounds and nnh_spec (see pack.h): a tagged,
 * versioned layout so that a truncated or foreign buffer is refused with a
 * message instead of being read as a network. */
#include "pack.h"
#include "layer_sparse.h"

#include <stdlib.h>
#include <string.h>

#define NET_MAGIC 0x4e4e4850 /* "NNHP" */
#define NET_VERSION 2 /* 2: a layer is dense or sparse */
#define BOUNDS_MAGIC 0x4e4e4842 /* "NNHB" */
#define SPEC_MAGIC 0x4e4e4853 /* "NNHS" */

void nnh_pack_init(nnh_pack *p) { memset(p, 0, sizeof *p); }

void nnh_pack_free(nnh_pack *p)
{
    free(p->data);
    memset(p, 0, sizeof *p);
}

void nnh_pack_bytes(nnh_pack *p, const void *src, size_t n)
{
    if (p->failed || n == 0)
        return;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap : 256;
        while (cap < p->len + n)
            cap *= 2;
        unsigned char *d = realloc(p->data, cap);
        if (!d) {
            p->failed = 1;
            return;
        }
        p->data = d;
        p->cap = cap;
    }
    memcpy(p->data + p->len, src, n);
    p->len += n;
}

void nnh_pack_int(nnh_pack *p, int v) { nnh_pack_bytes(p, &v, sizeof v); }
void nnh_pack_double(nnh_pack *p, double v) { nnh_pack_bytes(p, &v, sizeof v); }
void nnh_pack_doubles(nnh_pack *p, const double *v, size_t n)
{
    nnh_pack_bytes(p, v, n * sizeof *v);
}

void nnh_pack_str(nnh_pack *p, const char *s)
{
    nnh_pack_int(p, s ? (int)strlen(s) : -1);
    if (s)
        nnh_pack_bytes(p, s, strlen(s));
}

void nnh_unpack_init(nnh_unpack *u, const void *data, size_t len)
{
    u->data = data;
    u->len = len;
    u->pos = 0;
    u->failed = 0;
}

int nnh_unpack_bytes(nnh_unpack *u, void *dst, size_t n)
{
    if (u->failed || n > u->len - u->pos) {
        u->failed = 1;
        if (n)
            memset(dst, 0, n);
        return -1;
    }
    memcpy(dst, u->data + u->pos, n);
    u->pos += n;
    return 0;
}

int nnh_unpack_int(nnh_unpack *u)
{
    int v;
    nnh_unpack_bytes(u, &v, sizeof v);
    return v;
}

double nnh_unpack_double(nnh_unpack *u)
{
    double v;
    nnh_unpack_bytes(u, &v, sizeof v);
    return v;
}

int nnh_unpack_doubles(nnh_unpack *u, double *dst, size_t n)
{
    return nnh_unpack_bytes(u, dst, n * sizeof *dst);
}

char *nnh_unpack_str(nnh_unpack *u)
{
    int n = nnh_unpack_int(u);
    if (u->failed || n < 0)
        return NULL;
    if ((size_t)n > u->len - u->pos) {
        u->failed = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        u->failed = 1;
        return NULL;
    }
    nnh_unpack_bytes(u, s, (size_t)n);
    s[n] = '\0';
    return s;
}

/* ---- networks ---- */

/* A layer's weights: a flag (1 sparse), then W, or nnz, row starts, columns
 * and values. */
static void pack_weights(const nnh_layer *L, nnh_pack *p)
{
    nnh_pack_int(p, L->W == NULL);
    if (L->W) {
        nnh_pack_doubles(p, L->W, (size_t)L->n_in * (size_t)L->n_out);
        return;
    }
    size_t nnz = L->sp_start[L->n_out];
    nnh_pack_bytes(p, &nnz, sizeof nnz);
    nnh_pack_bytes(p, L->sp_start, ((size_t)L->n_out + 1) * sizeof *L->sp_start);
    nnh_pack_bytes(p, L->sp_col, nnz * sizeof *L->sp_col);
    nnh_pack_doubles(p, L->sp_val, nnz);
}

/* Inverse of pack_weights into a layer without weights; sizes are checked
 * against what is left in the buffer before anything is allocated (the
 * structure itself is nnh_network_validate's). */
static int unpack_weights(nnh_unpack *u, nnh_layer *L, int k, nnh_error *err)
{
    int sparse = nnh_unpack_int(u);
    size_t left = u->len - u->pos, nnz = (size_t)L->n_in * (size_t)L->n_out;
    if (sparse && !u->failed)
        nnh_unpack_bytes(u, &nnz, sizeof nnz);
    size_t per = sparse ? sizeof(double) + sizeof(int) : sizeof(double);
    if (u->failed || (sparse != 0 && sparse != 1) || nnz > left / per)
        return nnh_error_set(err, NNH_EPARSE, "packed network: layer %d: bad weights", k);
    if (!sparse) {
        L->W = malloc((nnz ? nnz : 1) * sizeof(double));
        if (!L->W)
            return nnh_error_set(err, NNH_ENOMEM, "out of memory");
        nnh_unpack_doubles(u, L->W, nnz);
        return NNH_OK;
    }
    L->sp_start = malloc(((size_t)L->n_out + 1) * sizeof *L->sp_start);
    L->sp_col = malloc((nnz + 1) * sizeof *L->sp_col);
    L->sp_val = malloc((nnz + 1) * sizeof *L->sp_val);
    if (!L->sp_start || !L->sp_col || !L->sp_val)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    nnh_unpack_bytes(u, L->sp_start, ((size_t)L->n_out + 1) * sizeof *L->sp_start);
    nnh_unpack_bytes(u, L->sp_col, nnz * sizeof *L->sp_col);
    nnh_unpack_doubles(u, L->sp_val, nnz);
    if (!u->failed && L->sp_start[L->n_out] != nnz)
        return nnh_error_set(err, NNH_EPARSE, "packed network: layer %d: bad sparse rows", k);
    return NNH_OK;
}

void nnh_network_pack(const nnh_network *net, nnh_pack *p)
{
    nnh_pack_int(p, NET_MAGIC);
    nnh_pack_int(p, NET_VERSION);
    nnh_pack_int(p, net->n_inputs);
    nnh_pack_int(p, net->n_layers);
    for (int k = 0; k < net->n_layers; k++)
        nnh_pack_int(p, net->layers[k].n_out);
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        nnh_pack_int(p, (int)L->act.kind);
        nnh_pack_double(p, L->act.alpha);
        nnh_pack_double(p, L->act.lambda);
        pack_weights(L, p);
        nnh_pack_doubles(p, L->b, (size_t)L->n_out);
    }
    nnh_pack_int(p, net->in_min != NULL);
    if (net->in_min) {
        nnh_pack_doubles(p, net->in_min, (size_t)net->n_inputs);
        nnh_pack_doubles(p, net->in_max, (size_t)net->n_inputs);
    }
    nnh_pack_int(p, net->softmax_stripped);
    nnh_pack_str(p, net->source);
    nnh_pack_str(p, net->format);
}

static int unpack_sizes(nnh_unpack *u, int **sizes, int *n_layers, nnh_error *err)
{
    if (nnh_unpack_int(u) != NET_MAGIC || nnh_unpack_int(u) != NET_VERSION)
        return nnh_error_set(err, NNH_EPARSE, "packed network: bad header (not an nnhull "
                             "network buffer of version %d)", NET_VERSION);
    int n_in = nnh_unpack_int(u), L = nnh_unpack_int(u);
    if (u->failed || n_in < 1 || L < 1 || (size_t)L > u->len)
        return nnh_error_set(err, NNH_EPARSE, "packed network: bad sizes (%d inputs, %d layers)",
                             n_in, L);
    *sizes = malloc(((size_t)L + 1) * sizeof **sizes);
    if (!*sizes)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    (*sizes)[0] = n_in;
    for (int k = 0; k < L; k++)
        (*sizes)[k + 1] = nnh_unpack_int(u);
    *n_layers = L;
    return u->failed ? nnh_error_set(err, NNH_EPARSE, "packed network: truncated") : NNH_OK;
}

static int unpack_domain(nnh_unpack *u, nnh_network *net, nnh_error *err)
{
    if (!nnh_unpack_int(u))
        return NNH_OK;
    net->in_min = malloc((size_t)net->n_inputs * sizeof(double));
    net->in_max = malloc((size_t)net->n_inputs * sizeof(double));
    if (!net->in_min || !net->in_max)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    nnh_unpack_doubles(u, net->in_min, (size_t)net->n_inputs);
    nnh_unpack_doubles(u, net->in_max, (size_t)net->n_inputs);
    return NNH_OK;
}

int nnh_network_unpack(nnh_unpack *u, nnh_network **out, nnh_error *err)
{
    *out = NULL;
    int *sizes = NULL, L = 0;
    int rc = unpack_sizes(u, &sizes, &L, err);
    nnh_network *net = NULL;
    if (!rc)
        rc = nnh_network_alloc(&net, L, sizes, err);
    free(sizes);
    for (int k = 0; !rc && k < L; k++) {
        nnh_layer *ly = &net->layers[k];
        ly->act.kind = (nnh_act_kind)nnh_unpack_int(u);
        ly->act.alpha = nnh_unpack_double(u);
        ly->act.lambda = nnh_unpack_double(u);
        rc = unpack_weights(u, ly, k, err);
        nnh_unpack_doubles(u, ly->b, (size_t)ly->n_out);
    }
    if (!rc)
        rc = unpack_domain(u, net, err);
    if (!rc) {
        net->softmax_stripped = nnh_unpack_int(u);
        net->source = nnh_unpack_str(u);
        net->format = nnh_unpack_str(u);
        if (u->failed)
            rc = nnh_error_set(err, NNH_EPARSE, "packed network: truncated");
    }
    if (!rc)
        rc = nnh_network_validate(net, err);
    if (rc) {
        nnh_network_free(net);
        return rc;
    }
    *out = net;
    return NNH_OK;
}

/* ---- bounds ---- */

void nnh_bounds_pack(const nnh_bounds *b, nnh_pack *p)
{
    nnh_pack_int(p, BOUNDS_MAGIC);
    nnh_pack_int(p, b->n_in);
    nnh_pack_int(p, b->n_layers);
    nnh_pack_doubles(p, b->in_lo, (size_t)b->n_in);
    nnh_pack_doubles(p, b->in_hi, (size_t)b->n_in);
    for (int k = 0; k < b->n_layers; k++) {
        const nnh_layer_bounds *L = &b->layers[k];
        size_t n = (size_t)L->width;
        nnh_pack_int(p, L->width);
        nnh_pack_doubles(p, L->pre_lo, n);
        nnh_pack_doubles(p, L->pre_hi, n);
        nnh_pack_doubles(p, L->post_lo, n);
        nnh_pack_doubles(p, L->post_hi, n);
    }
}

int nnh_bounds_unpack(nnh_unpack *u, nnh_bounds *b, nnh_error *err)
{
    if (nnh_unpack_int(u) != BOUNDS_MAGIC || nnh_unpack_int(u) != b->n_in ||
        nnh_unpack_int(u) != b->n_layers)
        return nnh_error_set(err, NNH_EPARSE, "packed bounds: header does not match the "
                             "network (%d inputs, %d layers)", b->n_in, b->n_layers);
    nnh_unpack_doubles(u, b->in_lo, (size_t)b->n_in);
    nnh_unpack_doubles(u, b->in_hi, (size_t)b->n_in);
    for (int k = 0; k < b->n_layers && !u->failed; k++) {
        nnh_layer_bounds *L = &b->layers[k];
        size_t n = (size_t)L->width;
        if (nnh_unpack_int(u) != L->width)
            return nnh_error_set(err, NNH_EPARSE, "packed bounds: layer %d width differs", k);
        nnh_unpack_doubles(u, L->pre_lo, n);
        nnh_unpack_doubles(u, L->pre_hi, n);
        nnh_unpack_doubles(u, L->post_lo, n);
        nnh_unpack_doubles(u, L->post_hi, n);
    }
    return u->failed ? nnh_error_set(err, NNH_EPARSE, "packed bounds: truncated") : NNH_OK;
}

void nnh_spec_pack(const nnh_spec *s, nnh_pack *p)
{
    nnh_pack_int(p, SPEC_MAGIC);
    nnh_pack_int(p, s->n_in);
    nnh_pack_int(p, s->n_out);
    nnh_pack_int(p, s->n_cases);
    for (int k = 0; k < s->n_cases; k++) {
        const nnh_spec_case *c = &s->cases[k];
        nnh_pack_doubles(p, c->lower, (size_t)s->n_in);
        nnh_pack_doubles(p, c->upper, (size_t)s->n_in);
        nnh_pack_int(p, c->n_ineq);
        for (int r = 0; r < c->n_ineq; r++) {
            nnh_pack_doubles(p, c->C + (size_t)r * s->n_out, (size_t)s->n_out);
            nnh_pack_double(p, c->d[r]);
        }
    }
    nnh_pack_str(p, s->source);
}

int nnh_spec_unpack(nnh_unpack *u, nnh_spec **out, nnh_error *err)
{
    *out = NULL;
    if (nnh_unpack_int(u) != SPEC_MAGIC)
        return nnh_error_set(err, NNH_EPARSE, "packed spec: bad header");
    int n_in = nnh_unpack_int(u), n_out = nnh_unpack_int(u), n_cases = nnh_unpack_int(u);
    if (u->failed || n_in < 0 || n_out < 0 || n_cases < 0 ||
        (size_t)n_cases > u->len - u->pos)
        return nnh_error_set(err, NNH_EPARSE, "packed spec: bad sizes");
    nnh_spec *s;
    int rc = nnh_spec_create(&s, n_in, n_out, n_cases, err);
    double *c = rc ? NULL : malloc(((size_t)n_out + 1) * sizeof *c);
    if (!rc && !c)
        rc = nnh_error_set(err, NNH_ENOMEM, "packed spec: out of memory");
    for (int k = 0; !rc && k < n_cases && !u->failed; k++) {
        nnh_unpack_doubles(u, s->cases[k].lower, (size_t)n_in);
        nnh_unpack_doubles(u, s->cases[k].upper, (size_t)n_in);
        int n = nnh_unpack_int(u);
        if (n < 0 || (size_t)n > u->len - u->pos)
            u->failed = 1;
        for (int r = 0; !rc && r < n && !u->failed; r++) {
            nnh_unpack_doubles(u, c, (size_t)n_out);
            double d = nnh_unpack_double(u);
            if (!u->failed)
                rc = nnh_spec_add_ineq(s, k, c, d, err);
        }
    }
    free(c);
    if (!rc && !u->failed)
        s->source = nnh_unpack_str(u);
    if (!rc && u->failed)
        rc = nnh_error_set(err, NNH_EPARSE, "packed spec: truncated");
    if (rc) {
        nnh_spec_free(s);
        return rc;
    }
    *out = s;
    return NNH_OK;
}
