/* The queue of open regions of branch and bound: two binary heaps over one
 * set of nodes, one by priority (best-first), one by depth (the breadth
 * step of nnh_bab_next), so that both the best and the shallowest region
 * come out in O(log n). A linear scan for the shallowest region cost 8% of
 * verify on ACAS Xu 4_2/prop_2, where the queue holds 12,000 regions. */
#include "bab_queue.h"
#include "nnhull/error.h"

#include <stdlib.h>

struct nnh_bab_qnode {
    nnh_bab_region *r;
    long pos[2]; /* index in best (0) and in shallow (1) */
};

/* x before y in best-first order: smaller priority, then deeper (finishes
 * subtrees). */
static int better(const nnh_bab_region *x, const nnh_bab_region *y)
{
    if (x->priority != y->priority)
        return x->priority < y->priority;
    return x->depth > y->depth;
}

static int shallower(const nnh_bab_region *x, const nnh_bab_region *y)
{
    if (x->depth != y->depth)
        return x->depth < y->depth;
    return better(x, y);
}

static int less(int k, const nnh_bab_qnode *x, const nnh_bab_qnode *y)
{
    return k ? shallower(x->r, y->r) : better(x->r, y->r);
}

static nnh_bab_qnode **heap_of(nnh_bab_queue *q, int k) { return k ? q->shallow : q->best; }

static void place(nnh_bab_qnode **a, int k, long i, nnh_bab_qnode *v)
{
    a[i] = v;
    v->pos[k] = i;
}

/* Put v at hole i of heap k (n entries, v not counted elsewhere), moving it
 * up or down to its place. */
static void sift(nnh_bab_qnode **a, int k, long n, long i, nnh_bab_qnode *v)
{
    while (i > 0 && less(k, v, a[(i - 1) / 2])) {
        place(a, k, i, a[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && less(k, a[c + 1], a[c]))
            c++;
        if (!less(k, a[c], v))
            break;
        place(a, k, i, a[c]);
        i = c;
    }
    place(a, k, i, v);
}

int nnh_bab_queue_push(nnh_bab_queue *q, nnh_bab_region *r)
{
    if (q->n == q->cap) {
        long cap = q->cap ? 2 * q->cap : 64;
        nnh_bab_qnode **b = realloc(q->best, (size_t)cap * sizeof *b);
        if (!b)
            return NNH_ENOMEM;
        q->best = b;
        nnh_bab_qnode **s = realloc(q->shallow, (size_t)cap * sizeof *s);
        if (!s)
            return NNH_ENOMEM;
        q->shallow = s;
        q->cap = cap;
    }
    nnh_bab_qnode *v = malloc(sizeof *v);
    if (!v)
        return NNH_ENOMEM;
    v->r = r;
    long i = q->n++;
    for (int k = 0; k < 2; k++)
        sift(heap_of(q, k), k, q->n, i, v);
    return NNH_OK;
}

nnh_bab_region *nnh_bab_queue_take(nnh_bab_queue *q, int shallowest)
{
    if (q->n == 0)
        return NULL;
    nnh_bab_qnode *v = heap_of(q, shallowest != 0)[0];
    long n = --q->n;
    for (int k = 0; k < 2; k++) {
        nnh_bab_qnode **a = heap_of(q, k);
        long i = v->pos[k];
        if (i != n) /* the last node fills v's hole */
            sift(a, k, n, i, a[n]);
    }
    nnh_bab_region *r = v->r;
    free(v);
    return r;
}

nnh_bab_region *nnh_bab_queue_at(const nnh_bab_queue *q, long i) { return q->best[i]->r; }

void nnh_bab_queue_clear(nnh_bab_queue *q)
{
    while (q->n > 0)
        nnh_bab_region_free(nnh_bab_queue_take(q, 0));
    free(q->best);
    free(q->shallow);
    q->best = q->shallow = NULL;
    q->cap = 0;
}
