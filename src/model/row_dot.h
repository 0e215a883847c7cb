/* Dot products of dense weight rows, several rows at a time. A sum of
 * doubles is bound by the latency of its chain of additions (each waits for
 * the previous one), so one row at a time leaves the FPU mostly idle. These
 * kernels advance four rows' sums together, each summed from its start value
 * left to right exactly as the one-row loop (the same operations in the same
 * order, so the same bits): only independent chains are overlapped, nothing
 * is reassociated (and no multiply-add is fused unless the one-row loop's
 * would be too: the build does not contract across statements differently). Used by the forward pass, the gradient and crown's
 * back-substitution, most of a region's time in verify on small dense nets
 * (ACAS Xu). */
#ifndef NNH_ROW_DOT_H
#define NNH_ROW_DOT_H

#include <stddef.h>

/* z[i] = b[i] + sum_j W[i][j] a[j] for the n_out rows of the row-major
 * n_out x n_in matrix W, each sum in the order b, j = 0, 1, ... (a must not
 * overlap z). */
static inline void nnh_dense_affine(const double *W, const double *b, int n_out, int n_in,
                                    const double *a, double *z)
{
    int i = 0;
    for (; i + 8 <= n_out; i += 8) {
        const double *w0 = W + (size_t)i * (size_t)n_in, *w1 = w0 + n_in, *w2 = w1 + n_in,
                     *w3 = w2 + n_in, *w4 = w3 + n_in, *w5 = w4 + n_in, *w6 = w5 + n_in,
                     *w7 = w6 + n_in;
        double s0 = b[i], s1 = b[i + 1], s2 = b[i + 2], s3 = b[i + 3], s4 = b[i + 4],
               s5 = b[i + 5], s6 = b[i + 6], s7 = b[i + 7];
        for (int j = 0; j < n_in; j++) {
            double aj = a[j];
            s0 += w0[j] * aj;
            s1 += w1[j] * aj;
            s2 += w2[j] * aj;
            s3 += w3[j] * aj;
            s4 += w4[j] * aj;
            s5 += w5[j] * aj;
            s6 += w6[j] * aj;
            s7 += w7[j] * aj;
        }
        z[i] = s0;
        z[i + 1] = s1;
        z[i + 2] = s2;
        z[i + 3] = s3;
        z[i + 4] = s4;
        z[i + 5] = s5;
        z[i + 6] = s6;
        z[i + 7] = s7;
    }
    for (; i + 4 <= n_out; i += 4) {
        const double *w0 = W + (size_t)i * (size_t)n_in, *w1 = w0 + n_in, *w2 = w1 + n_in,
                     *w3 = w2 + n_in;
        double s0 = b[i], s1 = b[i + 1], s2 = b[i + 2], s3 = b[i + 3];
        for (int j = 0; j < n_in; j++) {
            double aj = a[j];
            s0 += w0[j] * aj;
            s1 += w1[j] * aj;
            s2 += w2[j] * aj;
            s3 += w3[j] * aj;
        }
        z[i] = s0;
        z[i + 1] = s1;
        z[i + 2] = s2;
        z[i + 3] = s3;
    }
    for (; i < n_out; i++) {
        const double *w = W + (size_t)i * (size_t)n_in;
        double s = b[i];
        for (int j = 0; j < n_in; j++)
            s += w[j] * a[j];
        z[i] = s;
    }
}

/* dst[j] += d[t] W[rows[t]][j] for t = 0..k-1, k <= 4, W row-major with
 * n_in columns: for each j the additions are the ones a loop over the listed
 * rows would make, one after the other in list order (the same bits), but
 * with one pass over dst (dst must not overlap W). */
static inline void nnh_dense_add_rows(const double *W, int n_in, const int *rows, const double *d,
                                      int k, double *dst)
{
    if (k == 4) {
        const double *w0 = W + (size_t)rows[0] * (size_t)n_in,
                     *w1 = W + (size_t)rows[1] * (size_t)n_in,
                     *w2 = W + (size_t)rows[2] * (size_t)n_in,
                     *w3 = W + (size_t)rows[3] * (size_t)n_in;
        double d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3];
        for (int j = 0; j < n_in; j++) {
            double s = dst[j];
            s += d0 * w0[j];
            s += d1 * w1[j];
            s += d2 * w2[j];
            s += d3 * w3[j];
            dst[j] = s;
        }
        return;
    }
    for (int t = 0; t < k; t++) {
        const double *w = W + (size_t)rows[t] * (size_t)n_in;
        double dt = d[t];
        for (int j = 0; j < n_in; j++)
            dst[j] += dt * w[j];
    }
}

#endif
