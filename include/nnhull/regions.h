/* Input regions for `nnhull bounds --split K`: deterministic longest-edge
 * bisection of a list of boxes. The children of a box share the split
 * point, so their union is exactly the parent (no input is lost). */
#ifndef NNH_REGIONS_H
#define NNH_REGIONS_H

#include "nnhull/error.h"

/* Split the R boxes lo/hi (each R x n, row-major) until there are K: each
 * step bisects the box whose longest edge is largest (ties: the lowest
 * index) across its longest edge (ties: the lowest input index) at the
 * midpoint; the lower half keeps the box's index, the upper half is
 * appended. K <= R leaves the boxes as they are. On success *lo and *hi are
 * replaced by malloc'ed K x n arrays (the old ones freed) and *R = K.
 * Fails (nothing changed) on an unbounded edge or when the box to split has
 * an edge too short to bisect in floating point. */
int nnh_regions_split(int *R, int n, double **lo, double **hi, int K, nnh_error *err);

#endif
