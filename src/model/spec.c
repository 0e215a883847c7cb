/* Verification problem container: the counterexample region as a union of
 * cases (input box + output inequalities C y <= d). Creation, growth of the
 * inequality lists, distinct boxes for the bound engines, membership test. */
#include "nnhull/spec.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int nnh_spec_create(nnh_spec **out, int n_in, int n_out, int n_cases, nnh_error *err)
{
    *out = NULL;
    if (n_in < 0 || n_out < 0 || n_cases < 0)
        return nnh_error_set(err, NNH_EINVAL, "spec: negative size (n_in %d, n_out %d, cases %d)",
                             n_in, n_out, n_cases);
    nnh_spec *s = calloc(1, sizeof *s);
    if (!s)
        return nnh_error_set(err, NNH_ENOMEM, "spec: out of memory");
    s->n_in = n_in;
    s->n_out = n_out;
    s->n_cases = n_cases;
    if (n_cases > 0) {
        s->cases = calloc((size_t)n_cases, sizeof *s->cases);
        if (!s->cases)
            goto oom;
    }
    for (int k = 0; k < n_cases; k++) {
        nnh_spec_case *c = &s->cases[k];
        /* +1 keeps malloc(0) from returning NULL when n_in == 0 */
        c->lower = malloc(((size_t)n_in + 1) * sizeof *c->lower);
        c->upper = malloc(((size_t)n_in + 1) * sizeof *c->upper);
        if (!c->lower || !c->upper)
            goto oom;
        for (int i = 0; i < n_in; i++) {
            c->lower[i] = -INFINITY;
            c->upper[i] = INFINITY;
        }
    }
    *out = s;
    return 0;
oom:
    nnh_spec_free(s);
    return nnh_error_set(err, NNH_ENOMEM, "spec: out of memory for %d cases of %d inputs",
                         n_cases, n_in);
}

void nnh_spec_free(nnh_spec *s)
{
    if (!s)
        return;
    for (int k = 0; s->cases && k < s->n_cases; k++) {
        free(s->cases[k].lower);
        free(s->cases[k].upper);
        free(s->cases[k].C);
        free(s->cases[k].d);
    }
    free(s->cases);
    free(s->source);
    free(s);
}

int nnh_spec_add_ineq(nnh_spec *s, int k, const double *c, double d, nnh_error *err)
{
    if (!s || k < 0 || k >= s->n_cases)
        return nnh_error_set(err, NNH_EINVAL, "spec: case %d out of range", k);
    nnh_spec_case *cs = &s->cases[k];
    int n = cs->n_ineq;
    if (n == INT32_MAX / 2)
        return nnh_error_set(err, NNH_EINVAL, "spec: too many inequalities in case %d", k);
    /* capacity is implied by n_ineq: grow to 2n whenever n is 0 or a power of two */
    if ((n & (n - 1)) == 0) {
        size_t cap = n ? 2 * (size_t)n : 1;
        double *C = realloc(cs->C, (cap * (size_t)s->n_out + 1) * sizeof *C);
        if (!C)
            return nnh_error_set(err, NNH_ENOMEM, "spec: out of memory");
        cs->C = C;
        double *dd = realloc(cs->d, cap * sizeof *dd);
        if (!dd)
            return nnh_error_set(err, NNH_ENOMEM, "spec: out of memory");
        cs->d = dd;
    }
    if (s->n_out > 0)
        memcpy(cs->C + (size_t)n * s->n_out, c, (size_t)s->n_out * sizeof *c);
    cs->d[n] = d;
    cs->n_ineq = n + 1;
    return 0;
}

/* Hash of a box consistent with == on doubles (-0.0 and 0.0 hash alike). */
static uint64_t box_hash(const double *lo, const double *up, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 2 * n; i++) {
        double v = (i < n ? lo[i] : up[i - n]) + 0.0;
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        h = (h ^ b) * 1099511628211ull;
        h ^= h >> 29;
    }
    return h;
}

static int box_equal(const nnh_spec_case *a, const nnh_spec_case *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!(a->lower[i] == b->lower[i]) || !(a->upper[i] == b->upper[i]))
            return 0;
    return 1;
}

int nnh_spec_boxes(const nnh_spec *s, int *n_boxes, double **lower, double **upper,
                   int **box_of_case, nnh_error *err)
{
    *n_boxes = 0;
    *lower = *upper = NULL;
    *box_of_case = NULL;
    int nc = s->n_cases, n = s->n_in;
    size_t tsize = 16;
    while (tsize < 2 * (size_t)nc)
        tsize *= 2;
    int *table = malloc(tsize * sizeof *table);       /* case index of a box's first case */
    int *first = malloc(((size_t)nc + 1) * sizeof *first); /* box b -> its first case */
    int *boc = malloc(((size_t)nc + 1) * sizeof *boc);
    if (!table || !first || !boc)
        goto oom;
    for (size_t i = 0; i < tsize; i++)
        table[i] = -1;
    int nb = 0;
    for (int k = 0; k < nc; k++) {
        const nnh_spec_case *c = &s->cases[k];
        size_t h = (size_t)box_hash(c->lower, c->upper, n) & (tsize - 1);
        while (table[h] >= 0 && !box_equal(&s->cases[first[table[h]]], c, n))
            h = (h + 1) & (tsize - 1);
        if (table[h] < 0) {
            table[h] = nb;
            first[nb++] = k;
        }
        boc[k] = table[h];
    }
    size_t sz = ((size_t)nb * n + 1) * sizeof(double);
    *lower = malloc(sz);
    *upper = malloc(sz);
    if (!*lower || !*upper)
        goto oom;
    for (int b = 0; b < nb; b++) {
        memcpy(*lower + (size_t)b * n, s->cases[first[b]].lower, (size_t)n * sizeof(double));
        memcpy(*upper + (size_t)b * n, s->cases[first[b]].upper, (size_t)n * sizeof(double));
    }
    free(table);
    free(first);
    *n_boxes = nb;
    *box_of_case = boc;
    return 0;
oom:
    free(table);
    free(first);
    free(boc);
    free(*lower);
    free(*upper);
    *lower = *upper = NULL;
    return nnh_error_set(err, NNH_ENOMEM, "spec: out of memory listing the boxes of %d cases", nc);
}

int nnh_spec_case_holds(const nnh_spec *s, int k, const double *x, const double *y, double tol)
{
    if (!s || k < 0 || k >= s->n_cases)
        return 0;
    const nnh_spec_case *c = &s->cases[k];
    for (int i = 0; i < s->n_in; i++)
        if (!(x[i] >= c->lower[i] - tol && x[i] <= c->upper[i] + tol))
            return 0;
    for (int r = 0; r < c->n_ineq; r++) {
        const double *row = c->C + (size_t)r * s->n_out;
        double v = 0.0;
        for (int j = 0; j < s->n_out; j++)
            if (row[j] != 0.0)
                v += row[j] * y[j];
        if (!(v <= c->d[r] + tol))
            return 0;
    }
    return 1;
}
