/* Private to the VNNLIB reader: the s-expression tree that vnnlib_lex.c reads
 * (tokens with line/column, nesting guard) and vnnlib.c interprets. */
#ifndef NNH_VNNLIB_INTERNAL_H
#define NNH_VNNLIB_INTERNAL_H

#include "nnhull/error.h"

#include <stdarg.h>

/* Deepest nesting of parentheses we read; later passes recurse on the tree,
 * so this also bounds their stack use. */
#define NNH_VNNLIB_MAX_DEPTH 1000

enum { VNN_LIST, VNN_NUM, VNN_SYM };

typedef struct vnn_node {
    int kind;
    int line, col;   /* of the token ('(' for a list), from 1 */
    int first, n;    /* LIST: children kids[first .. first+n); SYM/NUM: text[first .. first+n) */
    double num;      /* NUM: nearest double of the literal */
} vnn_node;

typedef struct vnn_tree {
    const char *text, *name;
    vnn_node *nodes;
    int n_nodes, cap_nodes;
    int *kids;
    int n_kids, cap_kids;
    int root;        /* a LIST node holding the top-level forms */
} vnn_tree;

/* Read all of text[0..len) into t (zeroed by the caller). Errors are
 * NNH_EPARSE with "name:line:col: expected ..., found ...". */
int vnn_read(vnn_tree *t, const char *text, int len, const char *name, nnh_error *err);
void vnn_tree_free(vnn_tree *t);

/* "name:line:col: msg" into err; returns code. */
int vnn_vfail(const vnn_tree *t, nnh_error *err, int code, int line, int col, const char *fmt,
              va_list ap);

/* Child i of list node a. */
static inline const vnn_node *vnn_kid(const vnn_tree *t, const vnn_node *a, int i)
{
    return &t->nodes[t->kids[a->first + i]];
}

/* 1 when node a is the symbol s. */
int vnn_is_sym(const vnn_tree *t, const vnn_node *a, const char *s);

/* Short human description of a node for "found ..." ("'X_3'", "'(and ...)'"). */
void vnn_describe(const vnn_tree *t, const vnn_node *a, char *buf, int size);

/* ---- linear expressions (vnnlib_lin.c) ---- */

#define NNH_VNNLIB_MAX_INDEX 10000000 /* largest variable index accepted */

/* A variable is 2*i for X_i and 2*i+1 for Y_i. */
#define VNN_VAR_IS_Y(v) ((v) & 1)
#define VNN_VAR_INDEX(v) ((v) >> 1)

/* Declared variables of one kind (X or Y), indexed by i. */
typedef struct vnn_vars {
    unsigned char *seen;
    int *line, *col; /* of the declaration */
    int cap, count, max;
} vnn_vars;

typedef struct vnn_term { int var; double coef; } vnn_term;

/* Linear form sum coef*var + k with k known to lie in [klo, khi]: constants
 * are carried as an interval so arithmetic on them never loses soundness;
 * coefficients are exact (an inexact one is refused). Zero-initialise. */
typedef struct vnn_lin {
    int n, cap;
    vnn_term *t;
    double klo, khi;
} vnn_lin;

typedef struct vnn_env {
    const vnn_tree *t;
    const vnn_vars *vars; /* [0] inputs X, [1] outputs Y */
    nnh_error *err;
} vnn_env;

/* Parse "X_<i>" / "Y_<i>" (no leading zeros, i <= NNH_VNNLIB_MAX_INDEX); 0 on success. */
int vnn_var_name(const vnn_tree *t, const vnn_node *a, int *var);
/* *out = the linear expression a. out must be zero-initialised; the caller
 * frees out->t (on success and on error). */
int vnn_lin_eval(const vnn_env *e, const vnn_node *a, vnn_lin *out);
/* a += sign * b (sign is +1 or -1); errors are located at `at`. */
int vnn_lin_add(const vnn_env *e, const vnn_node *at, vnn_lin *a, const vnn_lin *b, int sign);
/* l *= [lo, hi]; a form with variables needs an exact factor (lo == hi). */
int vnn_lin_scale(const vnn_env *e, const vnn_node *at, vnn_lin *l, double lo, double hi);
/* n / a rounded up (up = 1) or down (up = 0). */
double vnn_div_dir(double n, double a, int up);

#endif
