/* Verification problem: the counterexample region of a property as a
 * disjunction of cases, each an input box plus a conjunction of linear
 * inequalities on the outputs (C y <= d). VNNLIB files and --box/--center
 * options are turned into this; bound engines and verify read it. */
#ifndef NNH_SPEC_H
#define NNH_SPEC_H

#include "nnhull/error.h"

typedef struct nnh_spec_case {
    double *lower, *upper; /* n_in: input box of this case */
    int n_ineq;
    double *C;             /* n_ineq x n_out, row-major: row r is c_r in c_r^T y <= d_r */
    double *d;             /* n_ineq */
} nnh_spec_case;

typedef struct nnh_spec {
    int n_in, n_out;
    int n_cases;           /* counterexample region = union over cases */
    nnh_spec_case *cases;
    char *source;          /* path (owned), may be NULL */
} nnh_spec;

/* Empty spec with n_cases cases, boxes set to [-inf, inf] and no inequalities. */
int nnh_spec_create(nnh_spec **out, int n_in, int n_out, int n_cases, nnh_error *err);
void nnh_spec_free(nnh_spec *s);
/* Append one inequality c^T y <= d to case k (c has n_out entries). */
int nnh_spec_add_ineq(nnh_spec *s, int k, const double *c, double d, nnh_error *err);

/* Distinct input boxes of the cases (exact comparison), in order of first
 * appearance: *box_of_case[k] = index of the box of case k (caller frees
 * lower/upper/box_of_case; lower and upper are n_boxes x n_in). */
int nnh_spec_boxes(const nnh_spec *s, int *n_boxes, double **lower, double **upper,
                   int **box_of_case, nnh_error *err);

/* 1 when output y of input x lies in the counterexample region of case k,
 * with tolerance tol on each inequality and on the box. */
int nnh_spec_case_holds(const nnh_spec *s, int k, const double *x, const double *y, double tol);

#endif
