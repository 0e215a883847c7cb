/* ONNX reader, lowering: Conv, AveragePool, Pad and Transpose as sparse linear
 * operators in compressed rows, one row per output neuron listing its receptive
 * field (input index, weight). The pending map composes them; a layer closed
 * on a sparse map stays sparse when that is much smaller than dense. */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

int ox_csr_alloc(ox_csr *s, size_t rows, size_t cols, size_t cap, nnh_error *err)
{
    memset(s, 0, sizeof *s);
    if (rows > OX_MAX_ELEMS || cols > OX_MAX_ELEMS || cap > OX_MAX_ELEMS)
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "a %zu x %zu operator with %zu weights exceeds the reader's limit of "
                             "%zu",
                             rows, cols, cap, (size_t)OX_MAX_ELEMS);
    s->start = calloc(rows + 1, sizeof(size_t));
    s->col = malloc((cap ? cap : 1) * sizeof(uint32_t));
    s->val = malloc((cap ? cap : 1) * sizeof(double));
    if (!s->start || !s->col || !s->val) {
        ox_csr_free(s);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory for a %zu x %zu operator", rows,
                             cols);
    }
    s->rows = rows;
    s->cols = cols;
    return NNH_OK;
}

void ox_csr_free(ox_csr *s)
{
    if (s) {
        free(s->start);
        free(s->col);
        free(s->val);
        memset(s, 0, sizeof *s);
    }
}

int64_t ox_window_out(int64_t n, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe)
{
    if (n < 1 || k < 1 || s < 1 || d < 1 || pb < 0 || pe < 0 || n > OX_MAX_I64 ||
        k > OX_MAX_I64 || d > OX_MAX_I64 || pb > OX_MAX_I64 || pe > OX_MAX_I64)
        return -1;
    int64_t span = (k - 1) * d + 1, room = n + pb + pe - span;
    return room < 0 ? -1 : room / s + 1;
}

/* Sizes of the operator, checked: rows M OH OW, cols C H W, taps per row. */
static int window_sizes(const ox_window *w, size_t *rows, size_t *cols, size_t *cap,
                        nnh_error *err)
{
    const int64_t *v[] = {&w->C, &w->H, &w->W, &w->M, &w->OH, &w->OW, &w->kh, &w->kw,
                          &w->sh, &w->sw, &w->dh, &w->dw, &w->group};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        if (*v[i] < 1 || *v[i] > OX_MAX_I64)
            return nnh_error_set(err, NNH_EPARSE, "invalid window geometry");
    if (w->ph < 0 || w->pw < 0 || w->C % w->group || w->M % w->group)
        return nnh_error_set(err, NNH_EPARSE, "invalid window geometry");
    double r = (double)w->M * (double)w->OH * (double)w->OW, c = (double)w->C * w->H * w->W;
    double t = r * (double)(w->C / w->group) * (double)w->kh * (double)w->kw;
    if (r > OX_MAX_ELEMS || c > OX_MAX_ELEMS || t > OX_MAX_ELEMS)
        return nnh_error_set(err, NNH_EUNSUPPORTED,
                             "%.0f outputs x %.0f taps exceed the reader's limit of %zu weights",
                             r, t / (r > 0 ? r : 1), (size_t)OX_MAX_ELEMS);
    *rows = (size_t)r;
    *cols = (size_t)c;
    *cap = (size_t)t;
    return NNH_OK;
}

/* The rows of a window operator: K holds the [M, C/group, kh, kw] kernel, or
 * is NULL for average pooling (channel m reads channel m). */
static int window_csr(const ox_window *w, const double *K, int include_pad, ox_csr *out,
                      nnh_error *err)
{
    size_t rows = 0, cols = 0, cap = 0;
    int rc = window_sizes(w, &rows, &cols, &cap, err);
    if (!rc)
        rc = ox_csr_alloc(out, rows, cols, cap, err);
    if (rc)
        return rc;
    int64_t cg = w->C / w->group, mg = w->M / w->group;
    size_t pos = 0, row = 0;
    for (int64_t m = 0; m < w->M; m++)
        for (int64_t oh = 0; oh < w->OH; oh++)
            for (int64_t ow = 0; ow < w->OW; ow++) {
                size_t first = pos;
                for (int64_t c = 0; c < cg; c++) {
                    int64_t ch = (m / mg) * cg + c; /* absolute input channel */
                    for (int64_t i = 0; i < w->kh; i++) {
                        int64_t ih = oh * w->sh - w->ph + i * w->dh;
                        if (ih < 0 || ih >= w->H)
                            continue;
                        for (int64_t j = 0; j < w->kw; j++) {
                            int64_t iw = ow * w->sw - w->pw + j * w->dw;
                            if (iw < 0 || iw >= w->W)
                                continue;
                            out->col[pos] = (uint32_t)((ch * w->H + ih) * w->W + iw);
                            out->val[pos++] = K ? K[((m * cg + c) * w->kh + i) * w->kw + j] : 1.0;
                        }
                    }
                }
                if (!K) { /* average: divide by the window or by its taps */
                    double n = include_pad ? (double)(w->kh * w->kw) : (double)(pos - first);
                    for (size_t e = first; e < pos; e++)
                        out->val[e] = 1.0 / n;
                }
                out->start[++row] = pos;
            }
    out->nnz = pos;
    return NNH_OK;
}

int ox_conv_csr(const ox_window *w, const double *K, ox_csr *out, nnh_error *err)
{
    return window_csr(w, K, 0, out, err);
}

int ox_avgpool_csr(const ox_window *w, int include_pad, ox_csr *out, nnh_error *err)
{
    if (w->M != w->C || w->group != w->C)
        return nnh_error_set(err, NNH_EINVAL, "pooling keeps the channels");
    return window_csr(w, NULL, include_pad, out, err);
}

/* Row-major strides of a shape. */
static void strides_of(const ox_shape *s, size_t *st)
{
    size_t acc = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= (size_t)s->d[i];
    }
}

int ox_pad_index(const ox_shape *in, const int64_t *pads, size_t **src, ox_shape *res,
                 nnh_error *err)
{
    int r = in->rank;
    *src = NULL;
    res->rank = r;
    for (int i = 0; i < r; i++) {
        int64_t b = pads[i], e = pads[r + i];
        if (b < -OX_MAX_I64 || b > OX_MAX_I64 || e < -OX_MAX_I64 || e > OX_MAX_I64 ||
            in->d[i] + b + e < 1)
            return nnh_error_set(err, NNH_EPARSE, "pads %lld, %lld leave axis %d empty",
                                 (long long)b, (long long)e, i);
        res->d[i] = in->d[i] + b + e;
    }
    size_t n_out = ox_shape_count(res), ist[OX_MAX_RANK];
    if (n_out == (size_t)-1 || ox_shape_count(in) == (size_t)-1)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "the padded value exceeds the reader's limit");
    strides_of(in, ist);
    size_t *s = malloc(n_out * sizeof(size_t));
    if (!s)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    int64_t idx[OX_MAX_RANK] = {0};
    for (size_t k = 0; k < n_out; k++) {
        size_t off = 0;
        for (int i = 0; i < r && off != SIZE_MAX; i++) {
            int64_t j = idx[i] - pads[i];
            off = j >= 0 && j < in->d[i] ? off + (size_t)j * ist[i] : SIZE_MAX;
        }
        s[k] = off;
        ox_next_index(idx, res);
    }
    *src = s;
    return NNH_OK;
}

int ox_transpose_index(const ox_shape *in, const int64_t *perm, size_t **src, ox_shape *res,
                       nnh_error *err)
{
    int r = in->rank, seen[OX_MAX_RANK] = {0};
    *src = NULL;
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]++)
            return nnh_error_set(err, NNH_EPARSE, "perm is not a permutation of the %d axes", r);
        res->d[i] = in->d[perm[i]];
    }
    res->rank = r;
    size_t n = ox_shape_count(in), ist[OX_MAX_RANK];
    if (n == (size_t)-1)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "the value exceeds the reader's limit");
    strides_of(in, ist);
    size_t *s = malloc((n ? n : 1) * sizeof(size_t));
    if (!s)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    int64_t idx[OX_MAX_RANK] = {0};
    for (size_t k = 0; k < n; k++) {
        size_t off = 0;
        for (int i = 0; i < r; i++)
            off += (size_t)idx[i] * ist[perm[i]];
        s[k] = off;
        ox_next_index(idx, res);
    }
    *src = s;
    return NNH_OK;
}

int ox_select_csr(const size_t *src, size_t n_out, size_t n_in, ox_csr *out, nnh_error *err)
{
    int rc = ox_csr_alloc(out, n_out, n_in, n_out, err);
    if (rc)
        return rc;
    size_t pos = 0;
    for (size_t k = 0; k < n_out; k++) {
        if (src[k] != SIZE_MAX) {
            out->col[pos] = (uint32_t)src[k];
            out->val[pos++] = 1.0;
        }
        out->start[k + 1] = pos;
    }
    out->nnz = pos;
    return NNH_OK;
}
