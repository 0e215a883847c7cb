/* Activation splits of branch and bound (bab_split.c, branch_score.c):
 * applying a region's neuron splits to its bounds, the children's split
 * lists, and the choice of the neuron to split. Internal to src/verify. */
#ifndef NNH_BAB_SPLIT_H
#define NNH_BAB_SPLIT_H

#include "nnhull/verify.h"
#include "crown_pass.h"

/* Intersect every split of R into the pre-activation bounds of b (and the
 * post bounds with the image of the new interval). Returns 1 when an
 * interval became empty (lo > hi, both ends rigorous): no input of the box
 * satisfies R's splits, so the region holds vacuously; else 0. */
int nnh_splits_apply(const nnh_network *N, const nnh_bab_region *R, nnh_bounds *b);

/* The first layer where a split of R is narrower than b's pre-activation
 * interval (b not yet intersected with the splits), or b's last layer when
 * none is. Bounding the layers up to it again on b's box gives b's bounds
 * back (each layer's bounds depend only on the box and earlier layers). */
int nnh_splits_first_narrowed(const nnh_bab_region *R, const nnh_bounds *b);

/* 1 when some neuron of layer k has pre_lo > pre_hi in b (an empty domain
 * when both are rigorous bounds over it), else 0. */
int nnh_bounds_layer_empty(const nnh_bounds *b, int k);

/* Give the children c[0], c[1] of R the split list of R plus the neuron
 * split of res (c[0]: z <= split_at, c[1]: z >= split_at; the ends of the
 * parent's bounds res->bounds when present), or R's list alone for an input
 * split. 0 or NNH_ENOMEM. */
int nnh_splits_children(const nnh_bab_region *R, const nnh_region_result *res,
                        nnh_bab_region *c[2]);

/* Mix R's splits into a seed (so regions on one box draw different points). */
unsigned long long nnh_splits_seed(const nnh_bab_region *R, unsigned long long h);

/* Range [*dl, *du] of sigma' over [l, u] (every supported activation has a
 * derivative monotone on each side of 0: the ends and both sides of 0). */
void nnh_act_deriv_range(const nnh_activation *a, double l, double u, double *dl, double *du);

/* The neuron to split on a region left open, with the score of
 * docs/architecture.md ("Choosing the neuron"): the hidden neuron with the
 * largest |lambda_j| * gap_j, lambda the sensitivity of row `row` of the
 * folded network N to the neuron's output (a backward pass with the chord
 * slopes of the relaxations over b), gap_j the height of the neuron's
 * relaxation over its interval. Sets *layer, *neuron and the split point
 * *at (0 for a ReLU; for a smooth activation its inflection point 0 when it
 * lies in the middle half of the interval, else the midpoint). buf: 2 x the
 * widest layer doubles. Returns 0, or -1 when no neuron can be split. */
int nnh_branch_choose(const nnh_network *N, const nnh_bounds *b, int row, double *buf,
                      int *layer, int *neuron, double *at);

/* Filtered smart branching (FSB): of the K neurons of highest score above
 * (K at most NNH_BRANCH_MAX_CANDIDATES), the one whose worse child has the
 * largest crown lower bound of row `row`, each child bounded by crown on the
 * last layer over b with only the split neuron's interval narrowed (the
 * other layers keep b's bounds: an estimate, nnh_crown_pass_narrowed). The
 * score breaks ties, so K = 1, or pass NULL, is nnh_branch_choose. pass: a
 * crown pass over N (any max_sel), reset here and prepared on b. Same
 * return and outputs as nnh_branch_choose. */
int nnh_branch_choose_fsb(const nnh_network *N, const nnh_bounds *b, nnh_crown_pass *pass,
                          int row, int K, double *buf, int *layer, int *neuron, double *at);

/* The joint proof of R's open cases with its neuron splits as input
 * constraints (split_joint.c): F holds crown's lower forms of the rows with
 * constants cc (fold error taken off); recomputes the split neurons' forms
 * on b (which may tighten them). Closes the cases it proves, sets
 * res->status UNSAT when all are closed (or the domain is empty). */
int nnh_split_joint(const nnh_verify_problem *P, const nnh_bab_region *R, nnh_bounds *b,
                    const nnh_crown_forms *F, const double *cc, nnh_region_result *res,
                    nnh_error *err);

#endif
