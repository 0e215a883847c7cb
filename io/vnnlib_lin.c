/* VNNLIB linear expressions: numbers, declared variables, +, -, * folded into
 * sum coef*var + [klo, khi]; constants are carried as an outward-rounded
 * interval, coefficients must stay exact (else the atom is refused). */
#include "vnnlib_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const vnn_env *c, const vnn_node *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const vnn_env *c, const vnn_node *a, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vnn_vfail(c->t, c->err, code, a->line, a->col, fmt, ap);
    va_end(ap);
    return rc;
}

static int oom(const vnn_env *c)
{
    return nnh_error_set(c->err, NNH_ENOMEM, "%s: out of memory", c->t->name);
}

/* ---- outward-rounded arithmetic on constants (error-free transforms) ---- */

static double add_dir(double a, double b, int up)
{
    double s = a + b, bb = s - a, e = (a - (s - bb)) + (b - bb);
    if (up && e > 0)
        return nextafter(s, INFINITY);
    if (!up && e < 0)
        return nextafter(s, -INFINITY);
    return s;
}

static double mul_dir(double a, double b, int up)
{
    double p = a * b;
    if (a != 0 && b != 0 && fabs(p) < DBL_MIN) /* residual may be lost to underflow */
        return nextafter(p, up ? INFINITY : -INFINITY);
    double e = fma(a, b, -p);
    if (up && e > 0)
        return nextafter(p, INFINITY);
    if (!up && e < 0)
        return nextafter(p, -INFINITY);
    return p;
}

double vnn_div_dir(double n, double a, int up)
{
    double q = n / a;
    if (n != 0 && fabs(q) < DBL_MIN)
        return nextafter(q, up ? INFINITY : -INFINITY);
    double r = fma(q, a, -n); /* = (q - n/a) * a exactly */
    if (r != 0) {
        int above = (r > 0) == (a > 0);
        if (up && !above)
            q = nextafter(q, INFINITY);
        if (!up && above)
            q = nextafter(q, -INFINITY);
    }
    return q;
}

/* ---- variable names ---- */

/* Parse "X_<i>" / "Y_<i>" (no leading zeros); 0 on success. */
int vnn_var_name(const vnn_tree *t, const vnn_node *a, int *var)
{
    const char *s = t->text + a->first;
    int n = a->n;
    if (a->kind != VNN_SYM || n < 3 || (s[0] != 'X' && s[0] != 'Y') || s[1] != '_')
        return -1;
    if (s[2] == '0' && n > 3)
        return -1;
    long idx = 0;
    for (int i = 2; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || idx > NNH_VNNLIB_MAX_INDEX)
            return -1;
        idx = idx * 10 + (s[i] - '0');
    }
    if (idx > NNH_VNNLIB_MAX_INDEX)
        return -1;
    *var = (int)(2 * idx + (s[0] == 'Y'));
    return 0;
}

/* ---- linear forms ---- */

static int lin_add_term(const vnn_env *c, const vnn_node *at, vnn_lin *l, int var, double coef)
{
    for (int i = 0; i < l->n; i++) {
        if (l->t[i].var != var)
            continue;
        double lo = add_dir(l->t[i].coef, coef, 0), hi = add_dir(l->t[i].coef, coef, 1);
        if (lo != hi || !isfinite(lo))
            return fail(c, at, NNH_EUNSUPPORTED, "expected coefficients exact in double "
                        "arithmetic, found an inexact sum for %c_%d", VNN_VAR_IS_Y(var) ? 'Y' : 'X',
                        VNN_VAR_INDEX(var));
        l->t[i].coef = lo;
        return 0;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 4;
        vnn_term *p = realloc(l->t, (size_t)cap * sizeof *p);
        if (!p)
            return oom(c);
        l->t = p;
        l->cap = cap;
    }
    l->t[l->n++] = (vnn_term){var, coef};
    return 0;
}

/* a += sign * b (sign is +1 or -1). */
int vnn_lin_add(const vnn_env *c, const vnn_node *at, vnn_lin *a, const vnn_lin *b, int sign)
{
    for (int i = 0; i < b->n; i++) {
        int rc = lin_add_term(c, at, a, b->t[i].var, sign * b->t[i].coef);
        if (rc)
            return rc;
    }
    double blo = sign > 0 ? b->klo : -b->khi, bhi = sign > 0 ? b->khi : -b->klo;
    a->klo = add_dir(a->klo, blo, 0);
    a->khi = add_dir(a->khi, bhi, 1);
    return 0;
}

/* l *= [lo, hi]; a form with variables needs an exact factor (lo == hi). */
int vnn_lin_scale(const vnn_env *c, const vnn_node *at, vnn_lin *l, double lo, double hi)
{
    if (l->n && lo != hi)
        return fail(c, at, NNH_EUNSUPPORTED, "expected an exact coefficient, found a constant "
                    "expression that is not exact in double arithmetic");
    for (int i = 0; i < l->n; i++) {
        double p = l->t[i].coef * lo;
        if (mul_dir(l->t[i].coef, lo, 0) != mul_dir(l->t[i].coef, lo, 1) || !isfinite(p))
            return fail(c, at, NNH_EUNSUPPORTED, "expected coefficients exact in double "
                        "arithmetic, found an inexact product");
        l->t[i].coef = p;
    }
    double cand_lo[4] = {mul_dir(l->klo, lo, 0), mul_dir(l->klo, hi, 0), mul_dir(l->khi, lo, 0),
                         mul_dir(l->khi, hi, 0)};
    double cand_hi[4] = {mul_dir(l->klo, lo, 1), mul_dir(l->klo, hi, 1), mul_dir(l->khi, lo, 1),
                         mul_dir(l->khi, hi, 1)};
    l->klo = fmin(fmin(cand_lo[0], cand_lo[1]), fmin(cand_lo[2], cand_lo[3]));
    l->khi = fmax(fmax(cand_hi[0], cand_hi[1]), fmax(cand_hi[2], cand_hi[3]));
    return 0;
}

static int lin_var(const vnn_env *c, const vnn_node *a, vnn_lin *out)
{
    char buf[96];
    int var;
    vnn_describe(c->t, a, buf, sizeof buf);
    if (vnn_var_name(c->t, a, &var))
        return fail(c, a, NNH_EPARSE, "expected a number or a declared variable, found unknown "
                    "symbol %s", buf);
    const vnn_vars *v = &c->vars[VNN_VAR_IS_Y(var)];
    if (VNN_VAR_INDEX(var) >= v->cap || !v->seen[VNN_VAR_INDEX(var)])
        return fail(c, a, NNH_EPARSE, "expected a declared variable, found undeclared %s", buf);
    return lin_add_term(c, a, out, var, 1.0);
}

/* (* e1 e2 ...): at most one factor may contain variables. */
static int lin_product(const vnn_env *c, const vnn_node *a, vnn_lin *out)
{
    out->klo = out->khi = 1.0;
    for (int i = 1; i < a->n; i++) {
        const vnn_node *k = vnn_kid(c->t, a, i);
        vnn_lin e = {0};
        int rc = vnn_lin_eval(c, k, &e);
        if (!rc && out->n && e.n)
            rc = fail(c, k, NNH_EUNSUPPORTED, "expected a linear expression, found a product of "
                      "variables");
        if (!rc && e.n) {
            vnn_lin tmp = *out; /* constant factor so far: swap roles */
            *out = e;
            e = tmp;
        }
        if (!rc)
            rc = vnn_lin_scale(c, k, out, e.klo, e.khi);
        free(e.t);
        if (rc)
            return rc;
    }
    return 0;
}

int vnn_lin_eval(const vnn_env *c, const vnn_node *a, vnn_lin *out)
{
    char buf[96];
    if (a->kind == VNN_NUM) {
        out->klo = out->khi = a->num;
        return 0;
    }
    if (a->kind == VNN_SYM)
        return lin_var(c, a, out);
    vnn_describe(c->t, a, buf, sizeof buf);
    const vnn_node *h = a->n ? vnn_kid(c->t, a, 0) : NULL;
    if (!h || h->kind != VNN_SYM || a->n < 2)
        return fail(c, a, NNH_EPARSE, "expected an arithmetic expression (+, -, * with arguments), "
                    "found %s", buf);
    if (vnn_is_sym(c->t, h, "*"))
        return lin_product(c, a, out);
    int minus = vnn_is_sym(c->t, h, "-");
    if (!minus && !vnn_is_sym(c->t, h, "+")) {
        int known = vnn_is_sym(c->t, h, "/") || vnn_is_sym(c->t, h, "div") ||
                    vnn_is_sym(c->t, h, "abs") || vnn_is_sym(c->t, h, "ite");
        vnn_describe(c->t, h, buf, sizeof buf);
        return fail(c, h, known ? NNH_EUNSUPPORTED : NNH_EPARSE,
                    "expected an arithmetic operator (+, -, *), found %s%s", buf,
                    known ? " (not supported)" : "");
    }
    for (int i = 1; i < a->n; i++) {
        vnn_lin e = {0};
        int sign = (minus && (i > 1 || a->n == 2)) ? -1 : 1;
        int rc = vnn_lin_eval(c, vnn_kid(c->t, a, i), &e);
        if (!rc)
            rc = vnn_lin_add(c, a, out, &e, sign);
        free(e.t);
        if (rc)
            return rc;
    }
    return 0;
}
