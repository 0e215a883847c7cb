/* Input regions of `nnhull bounds`: the box of an L-infinity ball, clipping
 * to a domain, and deterministic longest-edge bisection (--split K). A list
 * of R boxes over n inputs is two R x n row-major arrays lo, hi. */
#ifndef NNH_REGIONS_H
#define NNH_REGIONS_H

#include "nnhull/error.h"

/* The box of the ball of radius eps around c (n inputs): lo[j] <= c[j] - eps
 * and hi[j] >= c[j] + eps exactly (real arithmetic: the computed ends are
 * rounded outward by one step); eps == 0 gives the point c itself.
 * NNH_EINVAL (naming the entry) when an entry of c is not finite or eps is
 * not a finite number >= 0. */
int nnh_region_ball(const double *c, int n, double eps, double *lo, double *hi, nnh_error *err);

/* Intersect each of the R boxes with [clip_lo, clip_hi] in every input.
 * NNH_EINVAL (naming the region and input; nothing changed) when a box
 * misses that interval or clip_lo > clip_hi. */
int nnh_regions_clip(int R, int n, double *lo, double *hi, double clip_lo, double clip_hi,
                     nnh_error *err);

/* The children of a box share the split point, so their union is exactly
 * the parent (no input is lost). Split the R boxes lo/hi (each R x n, row-major) until there are K: each
 * step bisects the box whose longest edge is largest (ties: the lowest
 * index) across its longest edge (ties: the lowest input index) at the
 * midpoint; the lower half keeps the box's index, the upper half is
 * appended. K <= R leaves the boxes as they are. On success *lo and *hi are
 * replaced by malloc'ed K x n arrays (the old ones freed) and *R = K.
 * Fails (nothing changed) on an unbounded edge or when the box to split has
 * an edge too short to bisect in floating point. */
int nnh_regions_split(int *R, int n, double **lo, double **hi, int K, nnh_error *err);

#endif
