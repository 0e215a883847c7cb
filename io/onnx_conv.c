/* ONNX reader, convolutional side: Conv, BatchNormalization, AveragePool,
 * GlobalAveragePool, Pad and Transpose on the chain value. Attributes are
 * checked, the operator is lowered (onnx_lower.c) and composed into the map. */
#include "onnx_loader.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int ox_is_conv_op(const Onnx__NodeProto *nd)
{
    static const char *ops[] = {"Conv",          "BatchNormalization", "AveragePool",
                                "GlobalAveragePool", "Pad",            "Transpose"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (ox_op_is(nd, ops[i]))
            return 1;
    return 0;
}

const char *ox_refusal(const Onnx__NodeProto *nd)
{
    static const struct {
        const char *op, *why;
    } tab[] = {
        {"MaxPool", "max pooling is neither affine nor an elementwise activation"},
        {"GlobalMaxPool", "max pooling is neither affine nor an elementwise activation"},
        {"LpPool", "Lp pooling is neither affine nor an elementwise activation"},
        {"GlobalLpPool", "Lp pooling is neither affine nor an elementwise activation"},
        {"MaxUnpool", "unpooling is not handled"},
        {"ConvTranspose", "transposed convolution is not handled yet"},
        {"ConvInteger", "quantised convolution is not handled"},
        {"QLinearConv", "quantised convolution is not handled"},
        {"Resize", "resizing is not handled"},
        {"Upsample", "resizing is not handled"},
        {"LRN", "local response normalisation is not affine"},
        {"InstanceNormalization", "normalisation by input statistics is not affine"},
        {"LayerNormalization", "normalisation by input statistics is not affine"},
        {"Max", "an elementwise maximum is not handled"},
        {"Min", "an elementwise minimum is not handled"},
        {"Concat", "concatenating the network value is not handled"},
        {"Split", "splitting the network value is not handled"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        if (ox_op_is(nd, tab[i].op))
            return tab[i].why;
    return NULL;
}

/* ---- the chain value as an image -------------------------------------------- */

/* [1, C, H, W] (2-D) or [1, C, L] (1-D, H = 1); spatial = 2 or 1. */
static int chain_image(ox_loader *L, int ni, int64_t *C, int64_t *H, int64_t *W, int *spatial)
{
    const ox_shape *s = &L->shape;
    char b[256];
    if ((s->rank != 3 && s->rank != 4) || s->d[0] != 1)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                            "an input of shape %s (an NCHW image with batch 1 is needed; 3-D "
                            "windows are not handled)",
                            ox_shape_str(s, b, sizeof b));
    *spatial = s->rank - 2;
    *C = s->d[1];
    *H = s->rank == 4 ? s->d[2] : 1;
    *W = s->d[s->rank - 1];
    return NNH_OK;
}

/* ints attribute name with exactly n entries (the spatial axes, or 2n for
 * pads) into out; absent: every entry def. Entries must be >= lo. */
static int window_ints(ox_loader *L, int ni, const char *name, int n, int64_t def, int64_t lo,
                       int64_t *out)
{
    const Onnx__AttributeProto *a = ox_attr(L->g->node[ni], name);
    if (a && a->n_ints != (size_t)n)
        return ox_node_fail(L, ni, NNH_EPARSE, "attribute %s has %zu entries, %d expected", name,
                            a->n_ints, n);
    for (int i = 0; i < n; i++) {
        out[i] = a ? a->ints[i] : def;
        if (out[i] < lo || out[i] > OX_MAX_I64)
            return ox_node_fail(L, ni, NNH_EPARSE, "attribute %s has an invalid entry %lld",
                                name, (long long)out[i]);
    }
    return NNH_OK;
}

static int str_attr_is(const Onnx__AttributeProto *a, const char *s)
{
    size_t n = strlen(s);
    return a && a->s.len == n && memcmp(a->s.data, s, n) == 0;
}

/* Leading and trailing pads of one axis from auto_pad SAME_UPPER/SAME_LOWER. */
static void same_pads(int64_t n, int64_t k, int64_t s, int64_t d, int upper, int64_t *pb,
                      int64_t *pe)
{
    int64_t out = (n + s - 1) / s, total = (out - 1) * s + (k - 1) * d + 1 - n;
    total = total > 0 ? total : 0;
    *pb = upper ? total / 2 : total - total / 2;
    *pe = total - *pb;
}

/* Strides, dilations and pads (explicit or auto_pad) of a window with kernel
 * k[0..1] (k[0] = 1 for 1-D) on the chain image; fills w and the output size.
 * *partial: the strides leave a remainder on some axis (a ceil_mode window). */
static int window_geometry(ox_loader *L, int ni, int spatial, const int64_t *k, ox_window *w,
                           int *partial)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    int64_t st[2] = {1, 1}, dl[2] = {1, 1}, pd[4] = {0, 0, 0, 0}, pe[2], pb[2];
    int off = 2 - spatial, rc;
    if ((rc = window_ints(L, ni, "strides", spatial, 1, 1, st + off)) ||
        (rc = window_ints(L, ni, "dilations", spatial, 1, 1, dl + off)))
        return rc;
    const Onnx__AttributeProto *ap = ox_attr(nd, "auto_pad");
    int notset = !ap || ap->s.len == 0 || str_attr_is(ap, "NOTSET");
    if (notset) {
        int64_t p[4];
        if ((rc = window_ints(L, ni, "pads", 2 * spatial, 0, 0, p)))
            return ox_node_fail(L, ni, NNH_EPARSE, "pads must be %d non-negative entries",
                                2 * spatial);
        for (int i = 0; i < spatial; i++) {
            pd[off + i] = p[i];
            pd[2 + off + i] = p[spatial + i];
        }
    } else if (!str_attr_is(ap, "VALID") && !str_attr_is(ap, "SAME_UPPER") &&
               !str_attr_is(ap, "SAME_LOWER")) {
        return ox_node_fail(L, ni, NNH_EPARSE, "unknown auto_pad '%.*s'", (int)ap->s.len,
                            (const char *)ap->s.data);
    }
    int64_t n[2] = {w->H, w->W}, o[2];
    *partial = 0;
    for (int i = 0; i < 2; i++) {
        pb[i] = pd[i];
        pe[i] = pd[2 + i];
        if (!notset && !str_attr_is(ap, "VALID"))
            same_pads(n[i], k[i], st[i], dl[i], str_attr_is(ap, "SAME_UPPER"), &pb[i], &pe[i]);
        o[i] = ox_window_out(n[i], k[i], st[i], dl[i], pb[i], pe[i]);
        if (o[i] < 1)
            return ox_node_fail(L, ni, NNH_EPARSE,
                                "a kernel of %lld (dilation %lld) does not fit an input of %lld "
                                "with pads %lld, %lld",
                                (long long)k[i], (long long)dl[i], (long long)n[i],
                                (long long)pb[i], (long long)pe[i]);
        *partial |= (n[i] + pb[i] + pe[i] - (k[i] - 1) * dl[i] - 1) % st[i] != 0;
    }
    w->kh = k[0];
    w->kw = k[1];
    w->sh = st[0];
    w->sw = st[1];
    w->dh = dl[0];
    w->dw = dl[1];
    w->ph = pb[0];
    w->pw = pb[1];
    w->OH = o[0];
    w->OW = o[1];
    return NNH_OK;
}

/* Compose the operator P (+ bias d) and give the value shape [1, M, OH, OW]
 * (or [1, M, OW] in 1-D). */
static int apply_window(ox_loader *L, int ni, const ox_csr *P, const double *d,
                        const ox_window *w, int spatial)
{
    nnh_error e;
    int rc = ox_map_apply_csr(&L->map, P, d, &e);
    if (rc)
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    ox_shape s = {.rank = spatial + 2, .d = {1, w->M}};
    if (spatial == 2)
        s.d[2] = w->OH;
    s.d[spatial + 1] = w->OW;
    L->shape = s;
    return NNH_OK;
}

/* ---- Conv -------------------------------------------------------------------- */

static int conv_kernel(ox_loader *L, int ni, int spatial, const ox_const *K, ox_window *w,
                       int64_t *k)
{
    char a[256], b[256];
    const ox_shape *ks = &K->shape;
    int64_t group = ox_attr_i(L->g->node[ni], "group", 1);
    if (ks->rank != spatial + 2 || group < 1 || w->C % group || ks->d[1] * group != w->C ||
        ks->d[0] < 1 || ks->d[0] % group)
        return ox_node_fail(L, ni, NNH_EPARSE,
                            "a kernel of shape %s does not fit an input of shape %s with %lld "
                            "group(s) (expected [M, C/group, kh, kw])",
                            ox_shape_str(ks, a, sizeof a), ox_shape_str(&L->shape, b, sizeof b),
                            (long long)group);
    w->M = ks->d[0];
    w->group = group;
    k[0] = spatial == 2 ? ks->d[2] : 1;
    k[1] = ks->d[ks->rank - 1];
    int64_t given[2];
    const Onnx__AttributeProto *at = ox_attr(L->g->node[ni], "kernel_shape");
    int rc = at ? window_ints(L, ni, "kernel_shape", spatial, 1, 1, given) : NNH_OK;
    if (rc)
        return rc;
    if (at && (given[spatial - 1] != k[1] || (spatial == 2 && given[0] != k[0])))
        return ox_node_fail(L, ni, NNH_EPARSE, "kernel_shape does not match the kernel %s",
                            ox_shape_str(ks, a, sizeof a));
    return NNH_OK;
}

/* Bias of M channels repeated over the OH x OW positions (NULL if none). */
static int conv_bias(ox_loader *L, int ni, const ox_window *w, double **d)
{
    const ox_const *B;
    *d = NULL;
    if (ox_input_value(L, ni, 2) < 0)
        return NNH_OK;
    int rc = ox_get_const(L, ni, 2, &B);
    if (rc)
        return rc;
    if (B->n != (size_t)w->M)
        return ox_node_fail(L, ni, NNH_EPARSE, "the bias has %zu entries for %lld channels", B->n,
                            (long long)w->M);
    size_t per = (size_t)(w->OH * w->OW);
    double *v = malloc((size_t)w->M * per * sizeof(double));
    if (!v)
        return nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    for (size_t m = 0; m < (size_t)w->M; m++)
        for (size_t p = 0; p < per; p++)
            v[m * per + p] = B->v[m];
    *d = v;
    return NNH_OK;
}

int ox_do_conv(ox_loader *L, int ni)
{
    ox_window w = {0};
    int spatial;
    int64_t k[2];
    const ox_const *K;
    int rc = chain_image(L, ni, &w.C, &w.H, &w.W, &spatial);
    if (!rc)
        rc = ox_get_const(L, ni, 1, &K);
    if (!rc)
        rc = conv_kernel(L, ni, spatial, K, &w, k);
    int partial;
    if (!rc)
        rc = window_geometry(L, ni, spatial, k, &w, &partial);
    double *d = NULL;
    if (!rc)
        rc = conv_bias(L, ni, &w, &d);
    if (rc)
        return rc;
    ox_csr P;
    nnh_error e;
    if ((rc = ox_conv_csr(&w, K->v, &P, &e))) {
        free(d);
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    }
    rc = apply_window(L, ni, &P, d, &w, spatial);
    ox_csr_free(&P);
    free(d);
    return rc;
}

/* ---- pooling ------------------------------------------------------------------ */

int ox_do_avgpool(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    ox_window w = {0};
    int spatial, global = ox_op_is(nd, "GlobalAveragePool");
    int rc = chain_image(L, ni, &w.C, &w.H, &w.W, &spatial);
    if (rc)
        return rc;
    w.M = w.group = w.C;
    int64_t k[2] = {w.H, w.W};
    if (global) {
        w.kh = w.H;
        w.kw = w.W;
        w.OH = w.OW = w.sh = w.sw = w.dh = w.dw = 1;
    } else {
        int partial;
        if (!ox_attr(nd, "kernel_shape"))
            return ox_node_fail(L, ni, NNH_EPARSE, "no kernel_shape");
        k[0] = 1;
        if ((rc = window_ints(L, ni, "kernel_shape", spatial, 1, 1, k + 2 - spatial)) ||
            (rc = window_geometry(L, ni, spatial, k, &w, &partial)))
            return rc;
        if (partial && ox_attr_i(nd, "ceil_mode", 0))
            return ox_node_fail(L, ni, NNH_EUNSUPPORTED,
                                "ceil_mode=1 with a partial last window (the strides do not "
                                "tile the padded input)");
    }
    ox_csr P;
    nnh_error e;
    if ((rc = ox_avgpool_csr(&w, (int)ox_attr_i(nd, "count_include_pad", 0), &P, &e)))
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    rc = apply_window(L, ni, &P, NULL, &w, spatial);
    ox_csr_free(&P);
    return rc;
}

/* ---- BatchNormalization ---------------------------------------------------------- */

int ox_do_batchnorm(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    const ox_const *p[4]; /* scale, bias, mean, var */
    const ox_shape *s = &L->shape;
    double eps = ox_attr_f(nd, "epsilon", 1e-5);
    if (ox_attr_i(nd, "training_mode", 0) != 0)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "training mode (batch statistics)");
    if (ox_attr_i(nd, "spatial", 1) != 1)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "spatial=0 (per-activation statistics)");
    if (s->rank < 2 || s->d[0] != 1)
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "an input of rank %d (batch 1 and a "
                            "channel axis are needed)", s->rank);
    size_t C = (size_t)s->d[1], n = ox_shape_count(s), inner = n / C;
    for (size_t k = 0; k < 4; k++) {
        int rc = ox_get_const(L, ni, k + 1, &p[k]);
        if (rc)
            return rc;
        if (p[k]->n != C)
            return ox_node_fail(L, ni, NNH_EPARSE, "input %zu has %zu entries for %zu channels",
                                k + 1, p[k]->n, C);
    }
    double *sc = malloc(n * sizeof(double)), *sh = malloc(n * sizeof(double));
    int rc = sc && sh ? NNH_OK : nnh_error_set(L->err, NNH_ENOMEM, "%s: out of memory", L->file);
    for (size_t c = 0; !rc && c < C; c++) {
        double var = p[3]->v[c] + eps;
        if (!(var > 0.0) || !isfinite(var))
            rc = ox_node_fail(L, ni, NNH_ENUMERIC, "channel %zu: variance + epsilon = %g", c, var);
        double a = p[0]->v[c] / sqrt(var), t = p[1]->v[c] - a * p[2]->v[c];
        for (size_t q = 0; !rc && q < inner; q++) {
            sc[c * inner + q] = a;
            sh[c * inner + q] = t;
        }
    }
    nnh_error e;
    if (!rc && (rc = ox_map_scale(&L->map, sc, sh, &e)))
        ox_node_fail(L, ni, rc, "%s", e.msg);
    free(sc);
    free(sh);
    return rc;
}

/* ---- Pad and Transpose: selections ------------------------------------------------- */

/* Compose the selection src (n_out entries, SIZE_MAX = fill) and set shape res. */
static int apply_select(ox_loader *L, int ni, const size_t *src, const ox_shape *res,
                        double fill)
{
    size_t n_out = ox_shape_count(res), n_in = ox_shape_count(&L->shape);
    ox_csr P;
    nnh_error e;
    double *d = NULL;
    int rc = ox_select_csr(src, n_out, n_in, &P, &e);
    if (!rc && fill != 0.0) {
        if (!(d = malloc(n_out * sizeof(double))))
            rc = nnh_error_set(&e, NNH_ENOMEM, "out of memory");
        for (size_t k = 0; d && k < n_out; k++)
            d[k] = src[k] == SIZE_MAX ? fill : 0.0;
    }
    if (!rc)
        rc = ox_map_apply_csr(&L->map, &P, d, &e);
    ox_csr_free(&P);
    free(d);
    if (rc)
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    L->shape = *res;
    return NNH_OK;
}

/* Pads over every axis: input 1 (opset >= 11, restricted by axes input 3 in
 * opset 18) or the pads/paddings attribute. */
static int pad_amounts(ox_loader *L, int ni, int64_t *pads)
{
    int r = L->shape.rank, n, na = -1;
    int64_t p[2 * OX_MAX_RANK], axes[OX_MAX_RANK];
    int rc = ox_int_list(L, ni, 1, "pads", p, &n);
    if (!rc && n < 0)
        rc = ox_int_list(L, ni, 1, "paddings", p, &n);
    if (!rc && ox_input_value(L, ni, 3) >= 0)
        rc = ox_int_list(L, ni, 3, NULL, axes, &na);
    if (rc)
        return rc;
    int k = na >= 0 ? na : r;
    if (n != 2 * k)
        return ox_node_fail(L, ni, NNH_EPARSE, "%d pads for %d axes", n, k);
    memset(pads, 0, 2 * (size_t)r * sizeof *pads);
    for (int i = 0; i < k; i++) {
        int64_t a = na >= 0 ? (axes[i] < 0 ? axes[i] + r : axes[i]) : i;
        if (a < 0 || a >= r)
            return ox_node_fail(L, ni, NNH_EPARSE, "axis %lld out of range", (long long)axes[i]);
        pads[a] = p[i];
        pads[r + a] = p[k + i];
    }
    return NNH_OK;
}

int ox_do_pad(ox_loader *L, int ni)
{
    const Onnx__NodeProto *nd = L->g->node[ni];
    const Onnx__AttributeProto *mode = ox_attr(nd, "mode");
    if (mode && mode->s.len && !str_attr_is(mode, "constant"))
        return ox_node_fail(L, ni, NNH_EUNSUPPORTED, "mode '%.*s' (constant padding is handled)",
                            (int)mode->s.len > 40 ? 40 : (int)mode->s.len,
                            (const char *)mode->s.data);
    int64_t pads[2 * OX_MAX_RANK];
    double value = ox_attr_f(nd, "value", 0.0);
    int rc = pad_amounts(L, ni, pads);
    if (!rc && ox_input_value(L, ni, 2) >= 0) {
        const ox_const *c;
        rc = ox_get_const(L, ni, 2, &c);
        if (!rc && c->n != 1)
            rc = ox_node_fail(L, ni, NNH_EPARSE, "constant_value has %zu entries", c->n);
        if (!rc)
            value = c->v[0];
    }
    if (rc)
        return rc;
    size_t *src;
    ox_shape res;
    nnh_error e;
    if ((rc = ox_pad_index(&L->shape, pads, &src, &res, &e)))
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    rc = apply_select(L, ni, src, &res, value);
    free(src);
    return rc;
}

int ox_do_transpose(ox_loader *L, int ni)
{
    const Onnx__AttributeProto *a = ox_attr(L->g->node[ni], "perm");
    int r = L->shape.rank;
    int64_t perm[OX_MAX_RANK];
    if (a && a->n_ints != (size_t)r)
        return ox_node_fail(L, ni, NNH_EPARSE, "perm has %zu entries for rank %d", a->n_ints, r);
    for (int i = 0; i < r; i++)
        perm[i] = a ? a->ints[i] : r - 1 - i;
    size_t *src, n = ox_shape_count(&L->shape), moved = 0;
    ox_shape res;
    nnh_error e;
    int rc = ox_transpose_index(&L->shape, perm, &src, &res, &e);
    if (rc)
        return ox_node_fail(L, ni, rc, "%s", e.msg);
    for (size_t k = 0; k < n; k++)
        moved += src[k] != k;
    if (moved) /* else only unit axes move: the flat layout is unchanged */
        rc = apply_select(L, ni, src, &res, 0.0);
    else
        L->shape = res;
    free(src);
    return rc;
}
