/* Plain-text numbers: number lists (--center X, --clip LO,HI), files of
 * numbers (--center F) and box files (--box F, one "lo hi" per input), with
 * '#' comments in files and messages naming file:line. */
#include "nnhull/io.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct numbers {
    double *v;
    int n, cap;
} numbers;

static int push(numbers *a, double x)
{
    if (a->n == a->cap) {
        int cap = a->cap ? 2 * a->cap : 16;
        double *v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v)
            return NNH_ENOMEM;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
    return NNH_OK;
}

static int is_sep(char c) { return c == ',' || isspace((unsigned char)c); }

/* Append the numbers of text[0 .. end) (end may be NULL: to the NUL). */
static int append(numbers *a, const char *s, const char *end, nnh_error *err)
{
    for (;;) {
        while (s != end && *s && is_sep(*s))
            s++;
        if (s == end || !*s)
            return NNH_OK;
        const char *tok = s;
        while (s != end && *s && !is_sep(*s))
            s++;
        /* strtod stops at a separator, '#', a newline or the NUL */
        char *stop;
        double x = strtod(tok, &stop);
        if (stop != s || isnan(x)) {
            int len = (int)(s - tok);
            return nnh_error_set(err, NNH_EPARSE, "bad number '%.*s%s'", len > 60 ? 60 : len,
                                 tok, len > 60 ? "..." : "");
        }
        if (push(a, x))
            return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
}

/* Hand the numbers over (a non-NULL array even when there are none). */
static int take(numbers *a, double **v, int *n, nnh_error *err)
{
    if (!a->v && !(a->v = malloc(sizeof *a->v)))
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    *v = a->v;
    *n = a->n;
    a->v = NULL;
    return NNH_OK;
}

int nnh_parse_numbers(const char *text, double **v, int *n, nnh_error *err)
{
    numbers a = {NULL, 0, 0};
    int rc = append(&a, text, NULL, err);
    if (!rc)
        rc = take(&a, v, n, err);
    free(a.v);
    return rc;
}

/* Call line(arg, lineno, numbers of the line) for every line of the file
 * (comments cut), with the message of a failing line prefixed "path:line: ". */
typedef int (*line_fn)(void *arg, const numbers *line, nnh_error *err);

static int each_line(const char *path, line_fn fn, void *arg, nnh_error *err)
{
    char *text;
    size_t len;
    int rc = nnh_read_file(path, (size_t)1 << 30, &text, &len, err);
    if (rc)
        return rc;
    numbers row = {NULL, 0, 0};
    int lineno = 0;
    for (const char *s = text; !rc && s; lineno++) {
        const char *nl = strchr(s, '\n'), *hash = strchr(s, '#');
        const char *end = nl ? nl : s + strlen(s);
        if (hash && hash < end)
            end = hash;
        row.n = 0;
        rc = append(&row, s, end, err);
        if (!rc)
            rc = fn(arg, &row, err);
        if (rc)
            nnh_error_prefix(err, "%s:%d", path, lineno + 1);
        s = nl ? nl + 1 : NULL;
    }
    free(row.v);
    free(text);
    return rc;
}

static int number_line(void *arg, const numbers *line, nnh_error *err)
{
    for (int i = 0; i < line->n; i++)
        if (push(arg, line->v[i]))
            return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    return NNH_OK;
}

int nnh_read_numbers(const char *path, double **v, int *n, nnh_error *err)
{
    numbers a = {NULL, 0, 0};
    int rc = each_line(path, number_line, &a, err);
    if (!rc)
        rc = take(&a, v, n, err);
    free(a.v);
    return rc;
}

typedef struct box {
    numbers lo, hi;
} box;

static int box_line(void *arg, const numbers *line, nnh_error *err)
{
    box *b = arg;
    const double *v = line->v;
    if (line->n == 0)
        return NNH_OK;
    if (line->n != 2)
        return nnh_error_set(err, NNH_EPARSE, "expected two numbers 'lo hi', got %d", line->n);
    if (!(v[0] <= v[1]))
        return nnh_error_set(err, NNH_EPARSE, "lower bound %.17g is above upper bound %.17g",
                             v[0], v[1]);
    if (push(&b->lo, v[0]) || push(&b->hi, v[1]))
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    return NNH_OK;
}

int nnh_read_box(const char *path, double **lo, double **hi, int *n, nnh_error *err)
{
    box b = {{NULL, 0, 0}, {NULL, 0, 0}};
    int rc = each_line(path, box_line, &b, err);
    if (!rc && !(rc = take(&b.lo, lo, n, err)) && (rc = take(&b.hi, hi, n, err))) {
        free(*lo);
        *lo = NULL;
    }
    free(b.lo.v);
    free(b.hi.v);
    return rc;
}
