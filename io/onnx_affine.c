/* ONNX reader, linear side: the pending affine map that folds MatMul/Gemm,
 * sparse operators (Conv, pooling, Pad, Transpose), bias additions and
 * constant scalings between two activations into one layer, and the block
 * matrices of MatMul/Gemm acting on one tensor axis. */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

/* rows * cols within OX_MAX_ELEMS, without overflow. */
static int size_ok(size_t rows, size_t cols)
{
    return rows > 0 && cols > 0 && rows <= OX_MAX_ELEMS / cols;
}

static int too_large(nnh_error *err, size_t rows, size_t cols)
{
    return nnh_error_set(err, NNH_EUNSUPPORTED,
                         "a %zu x %zu weight matrix exceeds the reader's limit of %zu entries",
                         rows, cols, (size_t)OX_MAX_ELEMS);
}

int ox_map_init(ox_map *m, size_t n, nnh_error *err)
{
    memset(m, 0, sizeof *m);
    if (n == 0 || n > OX_MAX_ELEMS)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "a value of %zu elements is not handled", n);
    m->c = calloc(n, sizeof(double));
    if (!m->c)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    m->kind = OX_MAP_IDENT;
    m->n_in = m->n_out = n;
    return NNH_OK;
}

void ox_map_free(ox_map *m)
{
    if (m) {
        free(m->A);
        ox_csr_free(&m->S);
        free(m->c);
        memset(m, 0, sizeof *m);
    }
}

static int all_ones(const double *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != 1.0)
            return 0;
    return 1;
}

int ox_map_scale(ox_map *m, const double *s, const double *t, nnh_error *err)
{
    size_t n = m->n_out;
    if (s && !(m->kind == OX_MAP_IDENT && all_ones(s, n))) {
        if (m->kind == OX_MAP_IDENT) {
            m->A = malloc(n * sizeof(double));
            if (!m->A)
                return nnh_error_set(err, NNH_ENOMEM, "out of memory");
            memcpy(m->A, s, n * sizeof(double));
            m->kind = OX_MAP_DIAG;
        } else if (m->kind == OX_MAP_DIAG) {
            for (size_t i = 0; i < n; i++)
                m->A[i] *= s[i];
        } else if (m->kind == OX_MAP_SPARSE) {
            for (size_t i = 0; i < n; i++)
                for (size_t e = m->S.start[i]; e < m->S.start[i + 1]; e++)
                    m->S.val[e] *= s[i];
        } else {
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < m->n_in; j++)
                    m->A[i * m->n_in + j] *= s[i];
        }
        for (size_t i = 0; i < n; i++)
            m->c[i] *= s[i];
    }
    if (t)
        for (size_t i = 0; i < n; i++)
            m->c[i] += t[i];
    return NNH_OK;
}

/* A' = M A for the three kinds of A (rows x n_in result). */
static void compose(const ox_map *m, const double *M, size_t rows, double *A2)
{
    size_t ni = m->n_in, no = m->n_out;
    if (m->kind == OX_MAP_IDENT) {
        memcpy(A2, M, rows * ni * sizeof(double));
        return;
    }
    if (m->kind == OX_MAP_DIAG) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < ni; j++)
                A2[i * ni + j] = M[i * no + j] * m->A[j];
        return;
    }
    for (size_t i = 0; i < rows; i++)
        for (size_t k = 0; k < no; k++) {
            double mik = M[i * no + k];
            if (mik == 0.0)
                continue;
            double *out = A2 + i * ni;
            if (m->kind == OX_MAP_SPARSE) {
                for (size_t e = m->S.start[k]; e < m->S.start[k + 1]; e++)
                    out[m->S.col[e]] += mik * m->S.val[e];
                continue;
            }
            const double *arow = m->A + k * ni;
            for (size_t j = 0; j < ni; j++)
                out[j] += mik * arow[j];
        }
}

/* Replace the map's matrix by the dense A2 or (A2 NULL) the sparse *S2 and its
 * offset by c2, now with rows outputs; takes ownership of all three. */
static void install(ox_map *m, double *A2, ox_csr *S2, double *c2, size_t rows)
{
    free(m->A);
    ox_csr_free(&m->S);
    free(m->c);
    m->A = A2;
    m->S = *S2;
    m->c = c2;
    m->kind = A2 ? OX_MAP_DENSE : OX_MAP_SPARSE;
    m->n_out = rows;
}

int ox_map_apply(ox_map *m, const double *M, size_t rows, const double *d, nnh_error *err)
{
    if (!size_ok(rows, m->n_in))
        return too_large(err, rows, m->n_in);
    double *A2 = calloc(rows * m->n_in, sizeof(double));
    double *c2 = calloc(rows, sizeof(double));
    if (!A2 || !c2) {
        free(A2);
        free(c2);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory composing a %zu x %zu layer", rows,
                             m->n_in);
    }
    compose(m, M, rows, A2);
    for (size_t i = 0; i < rows; i++) {
        double s = d ? d[i] : 0.0;
        for (size_t k = 0; k < m->n_out; k++)
            s += M[i * m->n_out + k] * m->c[k];
        c2[i] = s;
    }
    ox_csr none = {0};
    install(m, A2, &none, c2, rows);
    return NNH_OK;
}

/* Entries of row i of P S (Gustavson): columns gathered in cols[0..*len-1]
 * with sums in acc[], mark[j] = i + 1 once column j is listed. */
static void spgemm_row(const ox_csr *P, const ox_csr *S, size_t i, double *acc, size_t *mark,
                       uint32_t *cols, size_t *len)
{
    size_t n = 0;
    for (size_t e = P->start[i]; e < P->start[i + 1]; e++) {
        size_t k = P->col[e];
        for (size_t f = S->start[k]; f < S->start[k + 1]; f++) {
            uint32_t j = S->col[f];
            if (mark[j] != i + 1) {
                mark[j] = i + 1;
                acc[j] = 0.0;
                cols[n++] = j;
            }
            acc[j] += P->val[e] * S->val[f];
        }
    }
    *len = n;
}

/* out = P S, both sparse (out has P->rows x S->cols). */
static int spgemm(const ox_csr *P, const ox_csr *S, ox_csr *out, nnh_error *err)
{
    size_t nc = S->cols, total = 0, len;
    double *acc = malloc(nc * sizeof(double));
    size_t *mark = calloc(nc, sizeof(size_t));
    uint32_t *cols = malloc(nc * sizeof(uint32_t));
    int rc = acc && mark && cols ? NNH_OK : nnh_error_set(err, NNH_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < P->rows; i++) { /* symbolic pass: the exact size */
        spgemm_row(P, S, i, acc, mark, cols, &len);
        total += len;
    }
    if (!rc)
        rc = ox_csr_alloc(out, P->rows, nc, total, err);
    if (!rc) {
        memset(mark, 0, nc * sizeof(size_t));
        size_t pos = 0;
        for (size_t i = 0; i < P->rows; i++) {
            spgemm_row(P, S, i, acc, mark, cols, &len);
            for (size_t q = 0; q < len; q++) {
                out->col[pos] = cols[q];
                out->val[pos++] = acc[cols[q]];
            }
            out->start[i + 1] = pos;
        }
        out->nnz = pos;
    }
    free(acc);
    free(mark);
    free(cols);
    return rc;
}

/* out = P A for the identity and diagonal kinds: P with its columns scaled. */
static int scale_columns(const ox_map *m, const ox_csr *P, ox_csr *out, nnh_error *err)
{
    int rc = ox_csr_alloc(out, P->rows, P->cols, P->nnz, err);
    if (rc)
        return rc;
    memcpy(out->start, P->start, (P->rows + 1) * sizeof(size_t));
    memcpy(out->col, P->col, P->nnz * sizeof(uint32_t));
    for (size_t e = 0; e < P->nnz; e++)
        out->val[e] = m->kind == OX_MAP_DIAG ? P->val[e] * m->A[P->col[e]] : P->val[e];
    out->nnz = P->nnz;
    return NNH_OK;
}

/* Dense P A (A dense n_out x n_in). */
static int sparse_times_dense(const ox_map *m, const ox_csr *P, double **A2, nnh_error *err)
{
    size_t ni = m->n_in;
    if (!size_ok(P->rows, ni))
        return too_large(err, P->rows, ni);
    double *a = calloc(P->rows * ni, sizeof(double));
    if (!a)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory composing a %zu x %zu layer",
                             P->rows, ni);
    for (size_t i = 0; i < P->rows; i++)
        for (size_t e = P->start[i]; e < P->start[i + 1]; e++) {
            const double *arow = m->A + (size_t)P->col[e] * ni;
            double v = P->val[e];
            for (size_t j = 0; j < ni; j++)
                a[i * ni + j] += v * arow[j];
        }
    *A2 = a;
    return NNH_OK;
}

int ox_map_apply_csr(ox_map *m, const ox_csr *P, const double *d, nnh_error *err)
{
    if (P->cols != m->n_out)
        return nnh_error_set(err, NNH_EINVAL, "operator of %zu columns on a value of %zu entries",
                             P->cols, m->n_out);
    double *c2 = calloc(P->rows ? P->rows : 1, sizeof(double)), *A2 = NULL;
    ox_csr S2 = {0};
    if (!c2)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    int rc = m->kind == OX_MAP_DENSE    ? sparse_times_dense(m, P, &A2, err)
             : m->kind == OX_MAP_SPARSE ? spgemm(P, &m->S, &S2, err)
                                        : scale_columns(m, P, &S2, err);
    if (rc) {
        free(c2);
        return rc;
    }
    for (size_t i = 0; i < P->rows; i++) {
        double s = d ? d[i] : 0.0;
        for (size_t e = P->start[i]; e < P->start[i + 1]; e++)
            s += P->val[e] * m->c[P->col[e]];
        c2[i] = s;
    }
    install(m, A2, &S2, c2, P->rows);
    return NNH_OK;
}

int ox_map_dense(const ox_map *m, double **W, nnh_error *err)
{
    *W = NULL;
    if (!size_ok(m->n_out, m->n_in))
        return too_large(err, m->n_out, m->n_in);
    double *w = calloc(m->n_out * m->n_in, sizeof(double));
    if (!w)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory building a %zu x %zu layer",
                             m->n_out, m->n_in);
    if (m->kind == OX_MAP_DENSE)
        memcpy(w, m->A, m->n_out * m->n_in * sizeof(double));
    else if (m->kind == OX_MAP_SPARSE)
        for (size_t i = 0; i < m->n_out; i++)
            for (size_t e = m->S.start[i]; e < m->S.start[i + 1]; e++)
                w[i * m->n_in + m->S.col[e]] += m->S.val[e];
    else
        for (size_t i = 0; i < m->n_in; i++)
            w[i * m->n_in + i] = m->kind == OX_MAP_DIAG ? m->A[i] : 1.0;
    *W = w;
    return NNH_OK;
}

size_t ox_map_nnz(const ox_map *m)
{
    return m->kind == OX_MAP_DENSE ? m->n_out * m->n_in
           : m->kind == OX_MAP_SPARSE ? m->S.nnz
                                      : m->n_out;
}

typedef struct col_val {
    uint32_t col;
    double val;
} col_val;

static int cmp_col(const void *a, const void *b)
{
    uint32_t x = ((const col_val *)a)->col, y = ((const col_val *)b)->col;
    return (x > y) - (x < y);
}

/* Row i of A as (column, value) pairs into buf; returns their number. */
static size_t map_row(const ox_map *m, size_t i, col_val *buf)
{
    if (m->kind == OX_MAP_IDENT || m->kind == OX_MAP_DIAG) {
        buf[0].col = (uint32_t)i;
        buf[0].val = m->kind == OX_MAP_DIAG ? m->A[i] : 1.0;
        return 1;
    }
    size_t n = 0;
    if (m->kind == OX_MAP_SPARSE)
        for (size_t e = m->S.start[i]; e < m->S.start[i + 1]; e++, n++)
            buf[n] = (col_val){m->S.col[e], m->S.val[e]};
    else
        for (size_t j = 0; j < m->n_in; j++)
            buf[n++] = (col_val){(uint32_t)j, m->A[i * m->n_in + j]};
    return n;
}

int ox_map_sparse(const ox_map *m, size_t **start, int **col, double **val, nnh_error *err)
{
    size_t nnz = ox_map_nnz(m), widest = 1;
    for (size_t i = 0; m->kind == OX_MAP_SPARSE && i < m->n_out; i++)
        if (m->S.start[i + 1] - m->S.start[i] > widest)
            widest = m->S.start[i + 1] - m->S.start[i];
    if (m->kind == OX_MAP_DENSE)
        widest = m->n_in;
    *start = malloc((m->n_out + 1) * sizeof **start);
    *col = malloc((nnz + 1) * sizeof **col);
    *val = malloc((nnz + 1) * sizeof **val);
    col_val *buf = malloc(widest * sizeof *buf);
    if (!*start || !*col || !*val || !buf) {
        free(*start);
        free(*col);
        free(*val);
        free(buf);
        *start = NULL;
        *col = NULL;
        *val = NULL;
        return nnh_error_set(err, NNH_ENOMEM, "out of memory for a sparse %zu x %zu layer",
                             m->n_out, m->n_in);
    }
    size_t pos = 0;
    for (size_t i = 0; i < m->n_out; i++) {
        (*start)[i] = pos;
        size_t n = map_row(m, i, buf);
        qsort(buf, n, sizeof *buf, cmp_col);
        for (size_t t = 0; t < n; t++) {
            if (pos > (*start)[i] && (*col)[pos - 1] == (int)buf[t].col)
                (*val)[pos - 1] += buf[t].val;
            else {
                (*col)[pos] = (int)buf[t].col;
                (*val)[pos++] = buf[t].val;
            }
        }
        size_t keep = (*start)[i]; /* drop zeros (and sums that cancelled) */
        for (size_t e = (*start)[i]; e < pos; e++)
            if ((*val)[e] != 0.0) {
                (*col)[keep] = (*col)[e];
                (*val)[keep++] = (*val)[e];
            }
        pos = keep;
    }
    (*start)[m->n_out] = pos;
    free(buf);
    return NNH_OK;
}

int ox_block_matrix(const double *coef, size_t rr, size_t mo, size_t kk, size_t cc, double **M,
                    nnh_error *err)
{
    *M = NULL;
    size_t rows = 0, cols = 0;
    if (rr && mo && kk && cc && rr <= OX_MAX_ELEMS / mo && rr * mo <= OX_MAX_ELEMS / cc &&
        rr <= OX_MAX_ELEMS / kk && rr * kk <= OX_MAX_ELEMS / cc) {
        rows = rr * mo * cc;
        cols = rr * kk * cc;
    }
    if (!size_ok(rows, cols))
        return rows && cols ? too_large(err, rows, cols)
                            : nnh_error_set(err, NNH_EUNSUPPORTED, "empty or oversized product");
    double *m = calloc(rows * cols, sizeof(double));
    if (!m)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory building a %zu x %zu matrix", rows,
                             cols);
    for (size_t r = 0; r < rr; r++)
        for (size_t i = 0; i < mo; i++)
            for (size_t k = 0; k < kk; k++) {
                double v = coef[i * kk + k];
                for (size_t j = 0; j < cc; j++)
                    m[((r * mo + i) * cc + j) * cols + (r * kk + k) * cc + j] = v;
            }
    *M = m;
    return NNH_OK;
}
