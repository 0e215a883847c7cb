/* Private to the VNNLIB reader: the s-expression tree that vnnlib_lex.c reads
 * (tokens with line/column, nesting guard) and vnnlib.c interprets. */
#ifndef NNH_VNNLIB_INTERNAL_H
#define NNH_VNNLIB_INTERNAL_H

#include "nnh_error.h"

/* Deepest nesting of parentheses we read; later passes recurse on the tree,
 * so this also bounds their stack use. */
#define NNH_VNNLIB_MAX_DEPTH 1000

enum { VNN_LIST, VNN_NUM, VNN_SYM };

typedef struct vnn_node {
    int kind;
    int line, col;   /* of the token ('(' for a list), from 1 */
    int first, n;    /* LIST: children are kids[first .. first+n); SYM/NUM: text[first .. first+n) */
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

/* Child i of list node a. */
static inline const vnn_node *vnn_kid(const vnn_tree *t, const vnn_node *a, int i)
{
    return &t->nodes[t->kids[a->first + i]];
}

/* 1 when node a is the symbol s. */
int vnn_is_sym(const vnn_tree *t, const vnn_node *a, const char *s);

/* Short human description of a node for "found ..." ("'X_3'", "'(and ...)'"). */
void vnn_describe(const vnn_tree *t, const vnn_node *a, char *buf, int size);

#endif
