/* VNNLIB reader: interprets the s-expression tree of vnnlib_lex.c as
 * declarations and asserts, turns atoms into input bounds and output rows
 * c^T y <= d, expands and/or into disjunctive normal form and fills an nnh_spec. */
#include "nnhull/io.h"
#include "vnnlib_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NNH_VNNLIB_MAX_CASES 100000        /* cases after DNF expansion */
#define NNH_VNNLIB_MAX_ITEMS (1L << 24)    /* atom references stored over all cases */
#define NNH_VNNLIB_MAX_DOUBLES (1LL << 26) /* doubles in the resulting spec (512 MB) */

enum { P_XBOX, P_YROW };
/* Primitive constraint: X_var in [lo, hi], or sum pool[first..first+n) <= hi. */
typedef struct prim {
    int kind, var, first, n;
    double lo, hi;
} prim;

/* Disjunction of conjunctions: case i lists prim indices items[off[i] .. off[i]+len[i]). */
typedef struct caselist {
    int n, cap;
    long *off;
    int *len;
    int *items;
    long n_items, cap_items;
} caselist;

typedef struct ctx {
    vnn_tree *t;
    nnh_error *err;
    vnn_vars vars[2]; /* [0] inputs X, [1] outputs Y */
    prim *prims;
    int n_prims, cap_prims;
    vnn_term *pool;
    int n_pool, cap_pool;
    caselist common;  /* one case: conjuncts without 'or', shared by every case */
    caselist cases;
    int all_false;
    vnn_env env;      /* t, vars, err for the linear-expression code */
} ctx;

static int fail(ctx *c, const vnn_node *a, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(ctx *c, const vnn_node *a, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vnn_vfail(c->t, c->err, code, a->line, a->col, fmt, ap);
    va_end(ap);
    return rc;
}

static int oom(ctx *c)
{
    return nnh_error_set(c->err, NNH_ENOMEM, "%s: out of memory", c->t->name);
}

/* Grow *p (elements of size sz) so that it holds at least need elements. */
static int grow(void **p, long *cap, long need, size_t sz)
{
    if (need <= *cap)
        return 0;
    long n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, (size_t)n * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int grow_int(void **p, int *cap, int need, size_t sz)
{
    long c = *cap;
    int rc = grow(p, &c, need, sz);
    *cap = (int)c;
    return rc;
}

/* ---- declarations ---- */

static int vars_grow(vnn_vars *v, int need)
{
    int cap = v->cap ? v->cap : 16;
    while (cap < need)
        cap *= 2;
    unsigned char *seen = realloc(v->seen, (size_t)cap);
    if (seen)
        v->seen = seen;
    int *line = realloc(v->line, (size_t)cap * sizeof *line);
    if (line)
        v->line = line;
    int *col = realloc(v->col, (size_t)cap * sizeof *col);
    if (col)
        v->col = col;
    if (!seen || !line || !col)
        return -1;
    memset(v->seen + v->cap, 0, (size_t)(cap - v->cap));
    v->cap = cap;
    return 0;
}

static int declare(ctx *c, const vnn_node *a)
{
    char buf[96];
    if (a->n != 3) {
        vnn_describe(c->t, a, buf, sizeof buf);
        return fail(c, a, NNH_EPARSE, "expected (declare-const NAME Real), found %s with %d "
                    "elements",
                    buf, a->n);
    }
    const vnn_node *nm = vnn_kid(c->t, a, 1), *sort = vnn_kid(c->t, a, 2);
    int var;
    if (vnn_var_name(c->t, nm, &var)) {
        vnn_describe(c->t, nm, buf, sizeof buf);
        return fail(c, nm, NNH_EPARSE, "expected a variable name X_<i> or Y_<i> (i <= %d), "
                    "found %s",
                    NNH_VNNLIB_MAX_INDEX, buf);
    }
    if (!vnn_is_sym(c->t, sort, "Real")) {
        vnn_describe(c->t, sort, buf, sizeof buf);
        return fail(c, sort, sort->kind == VNN_SYM ? NNH_EUNSUPPORTED : NNH_EPARSE,
                    "expected sort Real, found %s", buf);
    }
    vnn_vars *v = &c->vars[VNN_VAR_IS_Y(var)];
    int idx = VNN_VAR_INDEX(var);
    if (idx >= v->cap && vars_grow(v, idx + 1))
        return oom(c);
    if (v->seen[idx])
        return fail(c, nm, NNH_EPARSE, "expected a new variable, found redeclaration of %.*s "
                    "(first declared at %d:%d)", nm->n, c->t->text + nm->first,
                    v->line[idx], v->col[idx]);
    v->seen[idx] = 1;
    v->line[idx] = nm->line;
    v->col[idx] = nm->col;
    v->count++;
    if (idx > v->max || v->count == 1)
        v->max = idx;
    return 0;
}

/* ---- atoms and disjunctive normal form ---- */

static int add_prim(ctx *c, prim p, int *idx)
{
    if (grow_int((void **)&c->prims, &c->cap_prims, c->n_prims + 1, sizeof *c->prims))
        return oom(c);
    *idx = c->n_prims;
    c->prims[c->n_prims++] = p;
    return 0;
}

/* Record F <= 0. Sets *idx to a new prim, or to -1 (always true) or -2 (never true). */
static int emit(ctx *c, const vnn_node *at, const vnn_lin *f, int *idx)
{
    int nx = 0, ny = 0, xv = -1;
    double xa = 0, d = -f->klo + 0.0; /* enlarged region: sum a v <= -klo (+0.0: no -0) */
    for (int i = 0; i < f->n; i++) {
        if (f->t[i].coef == 0)
            continue;
        if (VNN_VAR_IS_Y(f->t[i].var)) {
            ny++;
        } else {
            nx++;
            xv = f->t[i].var;
            xa = f->t[i].coef;
        }
    }
    if (!isfinite(f->klo) || !isfinite(f->khi))
        return fail(c, at, NNH_ENUMERIC, "expected finite constants, found overflow");
    if (nx && ny)
        return fail(c, at, NNH_EUNSUPPORTED, "expected a constraint on inputs only or outputs "
                    "only, found one mixing X and Y variables");
    if (nx > 1)
        return fail(c, at, NNH_EUNSUPPORTED, "expected a bound on a single input variable, "
                    "found a general linear constraint on %d inputs", nx);
    if (!nx && !ny) {
        *idx = d >= 0 ? -1 : -2;
        return 0;
    }
    if (nx) {
        prim p = {.kind = P_XBOX, .var = VNN_VAR_INDEX(xv), .lo = -INFINITY, .hi = INFINITY};
        if (xa > 0)
            p.hi = vnn_div_dir(d, xa, 1);
        else
            p.lo = vnn_div_dir(d, xa, 0);
        return add_prim(c, p, idx);
    }
    if (grow_int((void **)&c->pool, &c->cap_pool, c->n_pool + ny, sizeof *c->pool))
        return oom(c);
    prim p = {.kind = P_YROW, .first = c->n_pool, .n = ny, .hi = d};
    for (int i = 0; i < f->n; i++)
        if (f->t[i].coef != 0)
            c->pool[c->n_pool++] = (vnn_term){VNN_VAR_INDEX(f->t[i].var), f->t[i].coef};
    return add_prim(c, p, idx);
}

static void cl_free(caselist *l)
{
    free(l->off);
    free(l->len);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Append a case made of a's case i (if a) followed by b's case j (if b). */
static int cl_push(ctx *c, caselist *o, const caselist *a, int i, const caselist *b, int j)
{
    int la = a ? a->len[i] : 0, lb = b ? b->len[j] : 0;
    if (o->n >= NNH_VNNLIB_MAX_CASES)
        return nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected at most %d cases in "
                             "disjunctive normal form, found more", c->t->name,
                             NNH_VNNLIB_MAX_CASES);
    if (o->n_items + la + lb > NNH_VNNLIB_MAX_ITEMS)
        return nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected at most %ld atoms over all "
                             "cases of the disjunctive normal form, found more", c->t->name,
                             NNH_VNNLIB_MAX_ITEMS);
    if (o->n == o->cap) {
        int cap = o->cap ? 2 * o->cap : 16;
        long *off = realloc(o->off, (size_t)cap * sizeof *off);
        if (off)
            o->off = off;
        int *len = realloc(o->len, (size_t)cap * sizeof *len);
        if (len)
            o->len = len;
        if (!off || !len)
            return oom(c);
        o->cap = cap;
    }
    if (grow((void **)&o->items, &o->cap_items, o->n_items + la + lb, sizeof *o->items))
        return oom(c);
    o->off[o->n] = o->n_items;
    o->len[o->n] = la + lb;
    if (la)
        memcpy(o->items + o->n_items, a->items + a->off[i], (size_t)la * sizeof(int));
    if (lb)
        memcpy(o->items + o->n_items + la, b->items + b->off[j], (size_t)lb * sizeof(int));
    o->n_items += la + lb;
    o->n++;
    return 0;
}

/* *a = a AND b (all pairs). */
static int cl_product(ctx *c, caselist *a, const caselist *b)
{
    if (a->n == 1 && b->n == 1) { /* common path (one conjunct more): append in place */
        long lb = b->len[0];
        if (a->n_items + lb > NNH_VNNLIB_MAX_ITEMS)
            return nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected at most %ld atoms over "
                                 "all cases, found more", c->t->name, NNH_VNNLIB_MAX_ITEMS);
        if (grow((void **)&a->items, &a->cap_items, a->n_items + lb, sizeof *a->items))
            return oom(c);
        if (lb)
            memcpy(a->items + a->n_items, b->items + b->off[0], (size_t)lb * sizeof(int));
        a->n_items += lb;
        a->len[0] += (int)lb;
        return 0;
    }
    caselist o = {0};
    int rc = 0;
    if ((long long)a->n * b->n > NNH_VNNLIB_MAX_CASES)
        rc = nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected at most %d cases in "
                           "disjunctive normal form, found %lld", c->t->name,
                           NNH_VNNLIB_MAX_CASES, (long long)a->n * b->n);
    for (int i = 0; !rc && i < a->n; i++)
        for (int j = 0; !rc && j < b->n; j++)
            rc = cl_push(c, &o, a, i, b, j);
    cl_free(a);
    *a = o;
    return rc;
}

static int cl_true(ctx *c, caselist *o) { return cl_push(c, o, NULL, 0, NULL, 0); }

static int dnf(ctx *c, const vnn_node *a, caselist *out);

/* Emit f <= 0 into the single case `one`, or set *is_false. */
static int emit_into(ctx *c, const vnn_node *at, const vnn_lin *f, caselist *one, int *is_false)
{
    int idx = 0, rc = emit(c, at, f, &idx);
    if (rc || idx == -1)
        return rc;
    if (idx == -2) {
        *is_false = 1;
        return 0;
    }
    if (grow((void **)&one->items, &one->cap_items, one->n_items + 1, sizeof(int)))
        return oom(c);
    one->items[one->n_items++] = idx;
    return 0;
}

/* (op e1 e2 ...) with op in <=, <, >=, >, =: a chain of pairwise comparisons. */
static int atom(ctx *c, const vnn_node *a, int op, caselist *out)
{
    enum { LE, GE, EQ };
    if (a->n < 3)
        return fail(c, a, NNH_EPARSE, "expected a comparison with at least two operands, found "
                    "%d operand(s)", a->n - 1);
    caselist one = {0};
    int rc = cl_true(c, &one), is_false = 0;
    vnn_lin prev = {0}, cur = {0};
    rc = rc ? rc : vnn_lin_eval(&c->env, vnn_kid(c->t, a, 1), &prev);
    for (int i = 2; !rc && i < a->n; i++) {
        memset(&cur, 0, sizeof cur);
        rc = vnn_lin_eval(&c->env, vnn_kid(c->t, a, i), &cur);
        vnn_lin f = {0};
        rc = rc ? rc : vnn_lin_add(&c->env, a, &f, &prev, 1);
        rc = rc ? rc : vnn_lin_add(&c->env, a, &f, &cur, -1); /* f = lhs - rhs */
        if (!rc && op != GE) /* lhs <= rhs: f <= 0 */
            rc = emit_into(c, a, &f, &one, &is_false);
        if (!rc && op != LE) /* lhs >= rhs: -f <= 0 */
            rc = vnn_lin_scale(&c->env, a, &f, -1.0, -1.0);
        if (!rc && op != LE)
            rc = emit_into(c, a, &f, &one, &is_false);
        free(f.t);
        free(prev.t);
        prev = cur;
        memset(&cur, 0, sizeof cur);
    }
    free(prev.t);
    free(cur.t);
    if (!rc && !is_false) {
        one.len[0] = (int)one.n_items;
        *out = one;
        return 0;
    }
    cl_free(&one);
    return rc;
}

static int head_is(const ctx *c, const vnn_node *a, const char *s)
{
    return a->kind == VNN_LIST && a->n > 0 && vnn_is_sym(c->t, vnn_kid(c->t, a, 0), s);
}

static int dnf_list(ctx *c, const vnn_node *a, caselist *out)
{
    int is_and = head_is(c, a, "and");
    int rc = is_and ? cl_true(c, out) : 0;
    for (int i = 1; !rc && i < a->n; i++) {
        caselist sub = {0};
        rc = dnf(c, vnn_kid(c->t, a, i), &sub);
        if (!rc && is_and)
            rc = cl_product(c, out, &sub);
        for (int j = 0; !rc && !is_and && j < sub.n; j++)
            rc = cl_push(c, out, &sub, j, NULL, 0);
        cl_free(&sub);
    }
    return rc;
}

static int dnf(ctx *c, const vnn_node *a, caselist *out)
{
    char buf[96];
    static const char *const ops[] = {"<=", "<", ">=", ">", "="};
    static const int op_kind[] = {0, 0, 1, 1, 2};
    if (vnn_is_sym(c->t, a, "true"))
        return cl_true(c, out);
    if (vnn_is_sym(c->t, a, "false"))
        return 0;
    vnn_describe(c->t, a, buf, sizeof buf);
    if (a->kind != VNN_LIST || a->n == 0 || vnn_kid(c->t, a, 0)->kind != VNN_SYM)
        return fail(c, a, NNH_EPARSE, "expected a formula (and, or, <=, >=, <, >, =), "
                    "found %s", buf);
    if (head_is(c, a, "and") || head_is(c, a, "or"))
        return dnf_list(c, a, out);
    for (int i = 0; i < 5; i++)
        if (head_is(c, a, ops[i]))
            return atom(c, a, op_kind[i], out);
    const vnn_node *h = vnn_kid(c->t, a, 0);
    int known = head_is(c, a, "not") || head_is(c, a, "xor") || head_is(c, a, "=>") ||
                head_is(c, a, "ite") || head_is(c, a, "distinct");
    vnn_describe(c->t, h, buf, sizeof buf);
    return fail(c, h, known ? NNH_EUNSUPPORTED : NNH_EPARSE,
                "expected a formula operator (and, or, <=, >=, <, >, =), found %s%s", buf,
                known ? " (not supported)" : "");
}

static int has_or(const ctx *c, const vnn_node *a)
{
    if (a->kind != VNN_LIST)
        return 0;
    if (head_is(c, a, "or"))
        return 1;
    for (int i = 0; i < a->n; i++)
        if (has_or(c, vnn_kid(c->t, a, i)))
            return 1;
    return 0;
}

/* Conjoin one asserted formula: 'and' is flattened; conjuncts without 'or'
 * go to the common part, the others multiply the case list. */
static int conjoin(ctx *c, const vnn_node *a)
{
    if (head_is(c, a, "and")) {
        for (int i = 1; i < a->n; i++) {
            int rc = conjoin(c, vnn_kid(c->t, a, i));
            if (rc)
                return rc;
        }
        return 0;
    }
    caselist sub = {0};
    int rc = dnf(c, a, &sub);
    if (!rc && !has_or(c, a)) {
        if (sub.n == 0)
            c->all_false = 1;
        else
            rc = cl_product(c, &c->common, &sub);
    } else if (!rc) {
        rc = cl_product(c, &c->cases, &sub);
    }
    cl_free(&sub);
    return rc;
}

static int command(ctx *c, const vnn_node *a)
{
    char buf[96];
    vnn_describe(c->t, a, buf, sizeof buf);
    if (a->kind != VNN_LIST || a->n == 0 || vnn_kid(c->t, a, 0)->kind != VNN_SYM)
        return fail(c, a, NNH_EPARSE, "expected a command (declare-const ...) or (assert ...), "
                    "found %s", buf);
    if (head_is(c, a, "declare-const"))
        return declare(c, a);
    if (head_is(c, a, "assert")) {
        if (a->n != 2)
            return fail(c, a, NNH_EPARSE, "expected (assert FORMULA), found %d arguments",
                        a->n - 1);
        return conjoin(c, vnn_kid(c->t, a, 1));
    }
    static const char *const ignored[] = {"check-sat", "get-model", "exit", "set-logic",
                                          "set-info", "set-option"};
    for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
        if (head_is(c, a, ignored[i]))
            return 0;
    const vnn_node *h = vnn_kid(c->t, a, 0);
    vnn_describe(c->t, h, buf, sizeof buf);
    return fail(c, h, NNH_EPARSE, "expected a command (declare-const, assert), found %s", buf);
}

/* ---- building the spec ---- */

static int check_decls(ctx *c, int y)
{
    const vnn_vars *v = &c->vars[y];
    char n = y ? 'Y' : 'X';
    if (v->count == 0)
        return nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected at least one declared %s "
                             "variable %c_0, found none", c->t->name, y ? "output" : "input", n);
    if (v->max + 1 == v->count)
        return 0;
    int gap = 0;
    while (v->seen[gap])
        gap++;
    return nnh_error_set(c->err, NNH_EPARSE, "%s:%d:%d: expected %c_ indices contiguous from 0, "
                         "found %c_%d declared but %c_%d missing", c->t->name, v->line[v->max],
                         v->col[v->max], n, n, v->max, n, gap);
}

/* Intersect box with the X prims of case i of l; 0 when it becomes empty. */
static int apply_box(const ctx *c, const caselist *l, int i, double *lo, double *hi)
{
    for (int k = 0; k < l->len[i]; k++) {
        const prim *p = &c->prims[l->items[l->off[i] + k]];
        if (p->kind != P_XBOX)
            continue;
        lo[p->var] = fmax(lo[p->var], p->lo);
        hi[p->var] = fmin(hi[p->var], p->hi);
    }
    for (int k = 0; k < l->len[i]; k++) {
        const prim *p = &c->prims[l->items[l->off[i] + k]];
        if (p->kind == P_XBOX && !(lo[p->var] <= hi[p->var]))
            return 0;
    }
    return 1;
}

static int add_rows(ctx *c, nnh_spec *s, int k, const caselist *l, int i, double *row)
{
    for (int m = 0; m < l->len[i]; m++) {
        const prim *p = &c->prims[l->items[l->off[i] + m]];
        if (p->kind != P_YROW)
            continue;
        memset(row, 0, (size_t)s->n_out * sizeof *row);
        for (int j = 0; j < p->n; j++)
            row[c->pool[p->first + j].var] = c->pool[p->first + j].coef;
        int rc = nnh_spec_add_ineq(s, k, row, p->hi, c->err);
        if (rc)
            return rc;
    }
    return 0;
}

static int build(ctx *c, nnh_spec **out)
{
    int rc = check_decls(c, 0);
    rc = rc ? rc : check_decls(c, 1);
    if (rc)
        return rc;
    int n_in = c->vars[0].count, n_out = c->vars[1].count, nc = c->cases.n, kept = 0;
    size_t nb = (size_t)n_in * sizeof(double);
    double *clo = malloc(nb + 1), *chi = malloc(nb + 1), *lo = malloc(nb + 1), *hi = malloc(nb + 1);
    double *row = malloc(((size_t)n_out + 1) * sizeof *row);
    char *ok = calloc((size_t)nc + 1, 1);
    if (!clo || !chi || !lo || !hi || !row || !ok)
        rc = oom(c);
    /* pass 1: the common box, then the cases whose box stays non-empty */
    long long doubles = 0;
    for (int j = 0; !rc && j < n_in; j++)
        clo[j] = -INFINITY, chi[j] = INFINITY;
    int common_ok = !rc && !c->all_false && apply_box(c, &c->common, 0, clo, chi);
    for (int i = 0; common_ok && i < nc; i++) {
        memcpy(lo, clo, nb);
        memcpy(hi, chi, nb);
        ok[i] = (char)apply_box(c, &c->cases, i, lo, hi);
        kept += ok[i];
        doubles += ok[i] * (2LL * n_in +
                            (long long)(c->common.len[0] + c->cases.len[i]) * (n_out + 1));
    }
    if (!rc && doubles > NNH_VNNLIB_MAX_DOUBLES)
        rc = nnh_error_set(c->err, NNH_EUNSUPPORTED, "%s: expected a specification of at most "
                           "%lld numbers, found %lld (%d cases)", c->t->name,
                           NNH_VNNLIB_MAX_DOUBLES, doubles, kept);
    rc = rc ? rc : nnh_spec_create(out, n_in, n_out, kept, c->err);
    /* pass 2: fill the kept cases */
    for (int i = 0, k = 0; !rc && i < nc; i++) {
        if (!ok[i])
            continue;
        nnh_spec_case *sc = &(*out)->cases[k];
        memcpy(sc->lower, clo, nb);
        memcpy(sc->upper, chi, nb);
        apply_box(c, &c->cases, i, sc->lower, sc->upper);
        rc = add_rows(c, *out, k, &c->common, 0, row);
        rc = rc ? rc : add_rows(c, *out, k, &c->cases, i, row);
        k++;
    }
    if (!rc && !((*out)->source = malloc(strlen(c->t->name) + 1)))
        rc = oom(c);
    if (!rc)
        strcpy((*out)->source, c->t->name);
    free(clo);
    free(chi);
    free(lo);
    free(hi);
    free(row);
    free(ok);
    return rc;
}

static int parse_len(const char *text, int len, const char *name, nnh_spec **out, nnh_error *err)
{
    vnn_tree t = {0};
    ctx c = {.t = &t, .err = err};
    c.env = (vnn_env){.t = &t, .vars = c.vars, .err = err};
    int rc = vnn_read(&t, text, len, name, err);
    rc = rc ? rc : cl_true(&c, &c.common);
    rc = rc ? rc : cl_true(&c, &c.cases);
    const vnn_node *root = rc ? NULL : &t.nodes[t.root];
    for (int i = 0; !rc && i < root->n; i++)
        rc = command(&c, vnn_kid(&t, root, i));
    if (!rc)
        rc = build(&c, out);
    if (rc) {
        nnh_spec_free(*out);
        *out = NULL;
    }
    for (int y = 0; y < 2; y++) {
        free(c.vars[y].seen);
        free(c.vars[y].line);
        free(c.vars[y].col);
    }
    free(c.prims);
    free(c.pool);
    cl_free(&c.common);
    cl_free(&c.cases);
    vnn_tree_free(&t);
    return rc;
}

int nnh_parse_vnnlib(const char *text, const char *name, nnh_spec **out, nnh_error *err)
{
    *out = NULL;
    size_t len = strlen(text);
    if (len >= INT_MAX)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: file larger than 2 GB", name);
    return parse_len(text, (int)len, name, out, err);
}

int nnh_load_vnnlib(const char *path, nnh_spec **out, nnh_error *err)
{
    *out = NULL;
    char *buf;
    size_t len;
    int rc = nnh_read_file(path, (size_t)INT_MAX - 1, &buf, &len, err);
    if (!rc)
        rc = parse_len(buf, (int)len, path, out, err);
    free(buf);
    return rc;
}
