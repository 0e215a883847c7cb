/* Internal state of the exporter (export*.c): the GLPK problem being built,
 * the column of every network variable, and the helpers that add columns and
 * rows whose numbers survive the decimal rounding of GLPK's writers. */
#ifndef NNH_EXPORT_INTERNAL_H
#define NNH_EXPORT_INTERNAL_H

#include "nnhull/envelope.h"
#include "nnhull/export.h"

#include <glpk.h>

typedef struct xm {
    glp_prob *P;
    nnh_export_format fmt;
    const nnh_network *net;
    const nnh_bounds *b;
    const nnh_export_opts *o;
    int *x_col;           /* n_inputs: column of x_j */
    int **z_col, **a_col; /* per layer: columns of z_k_i (y_i for the last
                             layer) and a_k_i (== z_col[k] for identity layers) */
    double *in_lo, *in_hi;/* the clamped input box (certified, not rounded) */
    int *ind;             /* xm_add_row's scratch, 1-based for GLPK, cap + 1 entries */
    double *val;
    int *rcol;            /* callers' scratch for a row: cap entries */
    double *rcoef;
    double *xs, *cut_a;   /* cut loop scratch: cap entries each */
    nnh_env_ws ws;        /* cut loop: the oracle's workspace */
    char *keep;           /* cut loop: hull rows to keep (n_keep_cap entries) */
    int n_keep_cap;
    int cap;              /* largest layer width (inputs included) + 2 */
    nnh_export_info *info;
    nnh_error *err;
} xm;

/* The value a reader of the file gets for v (GLPK's text form of v parsed back). */
double xm_written(nnh_export_format f, double v);
/* The nearest written value >= v (dir > 0) or <= v (dir < 0); +-inf stay. */
double xm_written_dir(nnh_export_format f, double v, int dir);

/* New column with bounds [lo, hi] rounded outward to written values (both
 * must be finite, within NNH_LP_MAX_MAGNITUDE); integer when is_int.
 * Returns the column index (>= 1) or a negative NNH_E* code. */
int xm_add_col(xm *m, const char *name, double lo, double hi, int is_int);

/* New row lo <= sum coef[t] * col[t] <= hi (either side may be infinite),
 * valid after writing: coefficients become their written values and the
 * sides move outward by a bound on what that changes over the columns'
 * boxes, then round outward to written values. Returns the row index, or a
 * negative code (NNH_EUNSUPPORTED beyond NNH_LP_MAX_MAGNITUDE, message names
 * the row). */
int xm_add_row(xm *m, const char *name, int n, const int *col, const double *coef, double lo,
               double hi);

/* Model passes (export_model.c): columns, affine rows, 1-D envelopes, big-M. */
int xm_build(xm *m);
/* The multivariate cut loop (export_cuts.c) over the objectives the options name. */
int xm_hull_cuts(xm *m, int obj_col, int obj_sense);

/* Activation of layer k is piecewise nonlinear (not the identity). */
int xm_nonlinear(const nnh_network *net, int k);

#endif
