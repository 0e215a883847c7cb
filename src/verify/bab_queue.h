/* The queue of open regions of branch and bound (bab_queue.c): best-first
 * by priority, and the shallowest region on demand, each in O(log n).
 * Internal to src/verify. */
#ifndef NNH_BAB_QUEUE_H
#define NNH_BAB_QUEUE_H

#include "nnhull/verify.h"

typedef struct nnh_bab_qnode nnh_bab_qnode;

/* Two binary heaps over the same nodes, each node knowing its place in
 * both: `best` orders by priority (smaller first; ties: deeper first),
 * `shallow` by depth (smaller first; ties: the order of `best`). */
typedef struct nnh_bab_queue {
    nnh_bab_qnode **best, **shallow;
    long n, cap;
} nnh_bab_queue;

/* Add r (the queue owns it from then on). 0, or NNH_ENOMEM with r not added
 * (still the caller's). */
int nnh_bab_queue_push(nnh_bab_queue *q, nnh_bab_region *r);

/* Remove and return the best region (shallowest = 0) or the shallowest one
 * (shallowest = 1); NULL when the queue is empty. */
nnh_bab_region *nnh_bab_queue_take(nnh_bab_queue *q, int shallowest);

/* The i-th region in the best heap's array order (0 <= i < q->n): the best
 * first, then the order a scan of the heap meets them. */
nnh_bab_region *nnh_bab_queue_at(const nnh_bab_queue *q, long i);

/* Free every region still queued and the queue's arrays (q is empty after). */
void nnh_bab_queue_clear(nnh_bab_queue *q);

#endif
