/* Internals shared by the verify sources (verify_problem.c, verify_region.c,
 * verify_joint.c, falsify.c, bab.c, verify_pack.c): the prepared problem
 * layout and small helpers. */
#ifndef NNH_VERIFY_INTERNAL_H
#define NNH_VERIFY_INTERNAL_H

#include "nnhull/verify.h"
#include "nnh_clock.h"
#include "small_lp.h"

typedef struct nnh_verify_group {
    const double *lo, *hi;  /* box (points into the spec's first case of the group) */
    int n_cases;
    int *cases;             /* spec case index of each group case */
    int *row0;              /* n_cases + 1: rows of case c are row0[c] .. row0[c+1]-1 */
    int n_rows;
    nnh_network *folded;    /* outputs z_r ~ c_r^T y - d_r */
    int fold_k;             /* layer whose post bounds enter the fold error (-1 = input) */
    double *E;              /* n_rows x width(fold_k): |weight error| of the fold, or NULL */
    double *e;              /* n_rows: |bias error| of the fold, or NULL */
} nnh_verify_group;

struct nnh_verify_problem {
    const nnh_network *net;
    const nnh_spec *spec;
    int n_in, n_out;
    int n_groups;
    nnh_verify_group *groups;
    size_t grad_work;       /* doubles nnh_network_grad needs on a folded network */
};

/* splitmix64 stream in [0, 1). */
static inline double nnh_vrand(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Seed derived from the options' seed and the exact bits of the region, so a
 * region gets the same random points wherever it is decided. */
unsigned long long nnh_region_seed(const nnh_verify_problem *P, const nnh_bab_region *R,
                                   unsigned long long seed);

/* Re-check a candidate exactly as the verdict requires: x inside case k's box
 * and the double forward pass of the ORIGINAL network meeting every row
 * (nnh_spec_case_holds, tolerance 0). Fills y. */
int nnh_verify_recheck(const nnh_verify_problem *P, int k, const double *x, double *y);

/* Falsify on region R with the given budget; sets res->status SAT (with x,
 * y, cex_case) on success and res->min_margin in any case. The n_given
 * points `given` (n_given x n_in, e.g. the optima of the bound problems; may
 * be NULL) are scored first, then the center, the corners (n_in <= corners)
 * and `samples` random points; the best `starts` of them start descents,
 * which run only when the best scanned margin is <= descend_below
 * (INFINITY: always). */
int nnh_falsify_region(const nnh_verify_problem *P, const nnh_bab_region *R, const double *given,
                       int n_given, int samples, int starts, int steps, int corners,
                       double descend_below, unsigned long long seed, double deadline,
                       nnh_region_result *res, nnh_error *err);

/* Root falsification with a share of o's per-case budget (samples, starts):
 * part 0 is 1/shares of it with the box corners, part 1 the rest on other
 * random points (nothing when shares == 1). Part 0 of 1 share is
 * nnh_verify_falsify. Sets res as nnh_falsify_region does. */
int nnh_verify_falsify_part(const nnh_verify_problem *P, const nnh_bab_region *R,
                            const nnh_verify_opts *o, int shares, int part, double deadline,
                            nnh_region_result *res, nnh_error *err);

/* Joint bound of a case from linear lower forms row_r(x) >= A_r x + c_r
 * (A: rows x n_in, c per row; x in [lo, hi], finite): min over the box of
 * sum_r lam_r (A_r x + c_r) for the LP-optimal lam >= 0 of the rows rows[0..n),
 * rounded down with every rounding bounded. A value > 0 proves that no x of
 * the box meets all n rows (row_r <= 0); otherwise it approximates (lam sums
 * to 1 only up to rounding) the lower bound of max_r; when a box corner
 * meets every form (no proof possible) the LP is skipped and the value is
 * that corner's max_r (a float estimate, <= 0). -INFINITY when the small LP
 * fails. S: a workspace of at least n_in variables, lam: n doubles. */
double nnh_joint_lower(const double *A, const double *c, const int *rows, int n, int n_in,
                       const double *lo, const double *hi, nnh_small_lp *S, double *lam);

/* alpha-CROWN on the property rows of region R (bounds b after crown,
 * forms F its lower forms of every row): the rows of every active case
 * not closed in res get the larger of their bound and the optimised one in
 * b's last layer, and F's row the form of the bound taken; past the
 * deadline (0 = none) the rows not started keep crown's bound. */
int nnh_verify_alpha(const nnh_verify_problem *P, const nnh_verify_group *G,
                     const nnh_bab_region *R, const nnh_verify_opts *o, double deadline,
                     nnh_bounds *b, nnh_crown_forms *F, const nnh_region_result *res,
                     nnh_error *err);
/* alpha-CROWN on the hidden layers of a root region: layers 1 .. L-2 of
 * the folded network in order, each unstable ReLU-like neuron's bounds
 * tightened with slopes optimised per neuron and side
 * (nnh_crown_alpha_layer); stops between layers past the deadline (the
 * bounds stay valid; within a layer, neurons not started keep theirs).
 * Returns 1 when some layer had neurons to tighten (the caller then re-runs
 * crown on the rows), 0 when none, or a negative error. */
int nnh_verify_alpha_layers(const nnh_verify_group *G, const nnh_verify_opts *o, nnh_bounds *b,
                            double deadline, nnh_error *err);

#endif
