/* VNNLIB tokenizer and s-expression reader: turns the text into a tree of
 * lists, numbers and symbols, each tagged with its line and column, with a
 * nesting guard so hostile input cannot exhaust the stack. */
#include "vnnlib_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TOK_EOF, TOK_LPAR, TOK_RPAR, TOK_ATOM, TOK_BAD };

typedef struct reader {
    vnn_tree *t;
    const char *text;
    int len, pos, line, col;
    int tok, tok_start, tok_len, tok_line, tok_col;  /* current token */
    int *stack;                                      /* children of open lists */
    int n_stack, cap_stack;
    nnh_error *err;
} reader;

int vnn_vfail(const vnn_tree *t, nnh_error *err, int code, int line, int col, const char *fmt,
              va_list ap)
{
    char msg[NNH_ERRMSG_LEN];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return nnh_error_set(err, code, "%s:%d:%d: %s", t->name, line, col, msg);
}

static int fail(reader *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(reader *r, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vnn_vfail(r->t, r->err, NNH_EPARSE, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_delim(char c) { return is_space(c) || c == '(' || c == ')' || c == ';'; }

static void advance(reader *r)
{
    if (r->text[r->pos] == '\n') {
        r->line++;
        r->col = 1;
    } else {
        r->col++;
    }
    r->pos++;
}

/* Read the next token into r->tok*; skips blanks and ';' comments. */
static void next_token(reader *r)
{
    for (;;) {
        while (r->pos < r->len && is_space(r->text[r->pos]))
            advance(r);
        if (r->pos < r->len && r->text[r->pos] == ';') {
            while (r->pos < r->len && r->text[r->pos] != '\n')
                advance(r);
            continue;
        }
        break;
    }
    r->tok_start = r->pos;
    r->tok_line = r->line;
    r->tok_col = r->col;
    r->tok_len = 0;
    if (r->pos >= r->len) {
        r->tok = TOK_EOF;
        return;
    }
    unsigned char c = (unsigned char)r->text[r->pos];
    if (c == '(' || c == ')') {
        r->tok = c == '(' ? TOK_LPAR : TOK_RPAR;
        r->tok_len = 1;
        advance(r);
        return;
    }
    if (c < 0x20 || c == 0x7f) { /* control bytes (NUL included) are never part of a token */
        r->tok = TOK_BAD;
        r->tok_len = 1;
        return;
    }
    while (r->pos < r->len && !is_delim(r->text[r->pos]) &&
           (unsigned char)r->text[r->pos] >= 0x20 && r->text[r->pos] != 0x7f)
        advance(r);
    r->tok = TOK_ATOM;
    r->tok_len = r->pos - r->tok_start;
}

/* Number grammar: [+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)?  Returns 1 if s matches. */
static int number_syntax(const char *s, int n)
{
    int i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        int ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++, ed++;
        if (!ed)
            return 0;
    }
    return i == n;
}

/* 1 when the mantissa of a literal of number_syntax has a nonzero digit. */
static int nonzero_mantissa(const char *s, int n)
{
    for (int i = 0; i < n && s[i] != 'e' && s[i] != 'E'; i++)
        if (s[i] >= '1' && s[i] <= '9')
            return 1;
    return 0;
}

/* A token is meant as a number when it starts like one. */
static int looks_numeric(const char *s, int n)
{
    int i = (n > 1 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    if (i < n && s[i] == '.')
        i++;
    return i < n && s[i] >= '0' && s[i] <= '9';
}

static int new_node(reader *r, int kind, int *idx)
{
    vnn_tree *t = r->t;
    if (t->n_nodes == t->cap_nodes) {
        int cap = t->cap_nodes ? 2 * t->cap_nodes : 256;
        vnn_node *p = realloc(t->nodes, (size_t)cap * sizeof *p);
        if (!p)
            return nnh_error_set(r->err, NNH_ENOMEM, "%s: out of memory", t->name);
        t->nodes = p;
        t->cap_nodes = cap;
    }
    *idx = t->n_nodes++;
    vnn_node *a = &t->nodes[*idx];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->line = r->tok_line;
    a->col = r->tok_col;
    return 0;
}

static int read_atom(reader *r, int *idx)
{
    const char *s = r->text + r->tok_start;
    int n = r->tok_len;
    int numeric = looks_numeric(s, n);
    int rc = new_node(r, numeric ? VNN_NUM : VNN_SYM, idx);
    if (rc)
        return rc;
    vnn_node *a = &r->t->nodes[*idx];
    a->first = r->tok_start;
    a->n = n;
    if (!numeric)
        return 0;
    char buf[512];
    if (!number_syntax(s, n))
        return fail(r, a->line, a->col, "expected a number, found '%.*s'", n > 40 ? 40 : n, s);
    if (n >= (int)sizeof buf)
        return fail(r, a->line, a->col, "expected a number of at most %d characters, found one "
                    "of %d",
                    (int)sizeof buf - 1, n);
    memcpy(buf, s, (size_t)n);
    buf[n] = '\0';
    a->num = strtod(buf, NULL);
    if (!isfinite(a->num))
        return fail(r, a->line, a->col, "expected a finite number, found '%s' (out of range)", buf);
    /* a zero read is then exactly zero, so users of the box need not widen
     * it (nnh_bab_root) */
    if (a->num == 0.0 && nonzero_mantissa(s, n))
        return fail(r, a->line, a->col, "expected a number that is zero or representable in "
                    "double precision, found '%s' (it rounds to 0)", buf);
    return 0;
}

static int push_child(reader *r, int idx)
{
    if (r->n_stack == r->cap_stack) {
        int cap = r->cap_stack ? 2 * r->cap_stack : 256;
        int *p = realloc(r->stack, (size_t)cap * sizeof *p);
        if (!p)
            return nnh_error_set(r->err, NNH_ENOMEM, "%s: out of memory", r->t->name);
        r->stack = p;
        r->cap_stack = cap;
    }
    r->stack[r->n_stack++] = idx;
    return 0;
}

/* Move the children pushed since `base` into the tree's kid array. */
static int close_list(reader *r, int idx, int base)
{
    vnn_tree *t = r->t;
    int n = r->n_stack - base;
    if (t->n_kids + n > t->cap_kids) {
        int cap = t->cap_kids ? t->cap_kids : 256;
        while (cap < t->n_kids + n)
            cap *= 2;
        int *p = realloc(t->kids, (size_t)cap * sizeof *p);
        if (!p)
            return nnh_error_set(r->err, NNH_ENOMEM, "%s: out of memory", t->name);
        t->kids = p;
        t->cap_kids = cap;
    }
    if (n)
        memcpy(t->kids + t->n_kids, r->stack + base, (size_t)n * sizeof(int));
    t->nodes[idx].first = t->n_kids;
    t->nodes[idx].n = n;
    t->n_kids += n;
    r->n_stack = base;
    return 0;
}

static int read_form(reader *r, int depth, int *idx);

/* Read the elements of a list whose '(' was just consumed, up to ')'. */
static int read_list(reader *r, int depth, int *idx)
{
    int rc = new_node(r, VNN_LIST, idx);
    if (rc)
        return rc;
    int line = r->tok_line, col = r->tok_col, base = r->n_stack;
    if (depth >= NNH_VNNLIB_MAX_DEPTH)
        return fail(r, line, col, "expected at most %d nested parentheses, found deeper nesting",
                    NNH_VNNLIB_MAX_DEPTH);
    next_token(r);
    while (r->tok != TOK_RPAR) {
        if (r->tok == TOK_EOF)
            return fail(r, r->tok_line, r->tok_col,
                        "expected ')' to close the '(' at %d:%d, found end of file", line, col);
        int kid;
        if ((rc = read_form(r, depth + 1, &kid)) || (rc = push_child(r, kid)))
            return rc;
    }
    next_token(r);
    return close_list(r, *idx, base);
}

/* Read one form starting at the current token; leaves the next token current. */
static int read_form(reader *r, int depth, int *idx)
{
    switch (r->tok) {
    case TOK_LPAR:
        return read_list(r, depth, idx);
    case TOK_ATOM: {
        int rc = read_atom(r, idx);
        if (!rc)
            next_token(r);
        return rc;
    }
    case TOK_RPAR:
        return fail(r, r->tok_line, r->tok_col, "expected '(' or an atom, found unmatched ')'");
    case TOK_BAD:
        return fail(r, r->tok_line, r->tok_col, "expected a token, found control byte 0x%02x",
                    (unsigned char)r->text[r->tok_start]);
    default:
        return fail(r, r->tok_line, r->tok_col, "expected a form, found end of file");
    }
}

int vnn_read(vnn_tree *t, const char *text, int len, const char *name, nnh_error *err)
{
    reader r = {.t = t, .text = text, .len = len, .line = 1, .col = 1, .err = err};
    t->text = text;
    t->name = name;
    int rc = new_node(&r, VNN_LIST, &t->root);
    next_token(&r);
    while (!rc && r.tok != TOK_EOF) {
        int kid;
        if (!(rc = read_form(&r, 1, &kid)))
            rc = push_child(&r, kid);
    }
    if (!rc)
        rc = close_list(&r, t->root, 0);
    free(r.stack);
    return rc;
}

void vnn_tree_free(vnn_tree *t)
{
    free(t->nodes);
    free(t->kids);
    t->nodes = NULL;
    t->kids = NULL;
}

int vnn_is_sym(const vnn_tree *t, const vnn_node *a, const char *s)
{
    size_t n = strlen(s);
    return a->kind == VNN_SYM && (size_t)a->n == n && memcmp(t->text + a->first, s, n) == 0;
}

void vnn_describe(const vnn_tree *t, const vnn_node *a, char *buf, int size)
{
    if (a->kind != VNN_LIST) {
        int n = a->n > 40 ? 40 : a->n;
        snprintf(buf, (size_t)size, "'%.*s%s'", n, t->text + a->first, a->n > 40 ? "..." : "");
    } else if (a->n == 0) {
        snprintf(buf, (size_t)size, "'()'");
    } else {
        const vnn_node *h = vnn_kid(t, a, 0);
        if (h->kind == VNN_LIST)
            snprintf(buf, (size_t)size, "'((...) ...)'");
        else
            snprintf(buf, (size_t)size, "'(%.*s%s)'", h->n > 40 ? 40 : h->n, t->text + h->first,
                     a->n > 1 ? " ..." : "");
    }
}
