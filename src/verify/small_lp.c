/* The small min-max LP of the verify side (small_lp.h): one GLPK problem
 * object per workspace, created at the first solve and erased and rebuilt
 * for every later one (the model a fresh object would get, so a result does
 * not depend on earlier solves). */
#include "small_lp.h"

#include "glpk_guard.h"
#include "nnhull/error.h"

#include <glpk.h>
#include <math.h>
#include <stdlib.h>

struct nnh_small_lp {
    int n_max;
    glp_prob *P; /* NULL until the first solve */
    unsigned long epoch; /* GLPK environment P belongs to (glpk_guard.h) */
    int *ind;    /* n_max + 2: one row, 1-based as GLPK wants */
    double *val;
};

nnh_small_lp *nnh_small_lp_new(int n_max)
{
    if (n_max < 0)
        return NULL;
    nnh_small_lp *S = calloc(1, sizeof *S);
    if (!S)
        return NULL;
    S->n_max = n_max;
    S->ind = malloc(((size_t)n_max + 2) * sizeof(int));
    S->val = malloc(((size_t)n_max + 2) * sizeof(double));
    if (!S->ind || !S->val) {
        nnh_small_lp_free(S);
        return NULL;
    }
    return S;
}

void nnh_small_lp_free(nnh_small_lp *S)
{
    if (!S)
        return;
    if (S->P && S->epoch == nnh_glpk_epoch())
        glp_delete_prob(S->P);
    free(S->ind);
    free(S->val);
    free(S);
}

/* 1 when every number GLPK would be given is finite and within
 * NNH_LP_MAX_MAGNITUDE (glpk_guard.h). */
static int all_in_scale(int n, int m, const double *A, const int *rows, const double *b,
                        const double *lo, const double *hi)
{
    if (!nnh_lp_in_scale(lo, (size_t)n, 0) || !nnh_lp_in_scale(hi, (size_t)n, 0))
        return 0;
    for (int r = 0; r < m; r++) {
        int i = rows ? rows[r] : r;
        if (!nnh_lp_in_scale(&b[i], 1, 0) || !nnh_lp_in_scale(A + (size_t)i * n, (size_t)n, 0))
            return 0;
    }
    return 1;
}

/* Columns x_1..x_n (the box) and t (free, the objective); rows
 * t - a_r^T x >= b_r. */
static void build(nnh_small_lp *S, int n, int m, const double *A, const int *rows,
                  const double *b, const double *lo, const double *hi)
{
    if (S->P && S->epoch != nnh_glpk_epoch())
        S->P = NULL; /* freed with its GLPK environment after an error */
    if (S->P)
        glp_erase_prob(S->P);
    else {
        S->P = glp_create_prob();
        S->epoch = nnh_glpk_epoch();
    }
    glp_prob *P = S->P;
    glp_set_obj_dir(P, GLP_MIN);
    glp_add_cols(P, n + 1);
    for (int j = 0; j < n; j++)
        glp_set_col_bnds(P, 1 + j, lo[j] == hi[j] ? GLP_FX : GLP_DB, lo[j], hi[j]);
    glp_set_col_bnds(P, n + 1, GLP_FR, 0.0, 0.0);
    glp_set_obj_coef(P, n + 1, 1.0);
    glp_add_rows(P, m);
    for (int r = 0; r < m; r++) {
        int i = rows ? rows[r] : r, len = 0;
        const double *a = A + (size_t)i * n;
        for (int j = 0; j < n; j++)
            if (a[j] != 0.0) {
                S->ind[++len] = 1 + j;
                S->val[len] = -a[j];
            }
        S->ind[++len] = n + 1;
        S->val[len] = 1.0;
        glp_set_mat_row(P, 1 + r, len, S->ind, S->val);
        glp_set_row_bnds(P, 1 + r, GLP_LO, b[i], 0.0);
    }
}

typedef struct minmax_call {
    nnh_small_lp *S;
    int n, m, it_lim;
    const double *A, *b, *lo, *hi;
    const int *rows;
    double *x, *lam;
} minmax_call;

/* The GLPK part of nnh_small_lp_minmax, run under nnh_glpk_guard. */
static int minmax_glpk(void *arg)
{
    minmax_call *c = arg;
    nnh_small_lp *S = c->S;
    build(S, c->n, c->m, c->A, c->rows, c->b, c->lo, c->hi);
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.it_lim = c->it_lim;
    /* dual simplex (GLPK goes on with primal when the start is not dual
     * feasible): 30 ms where primal took 67 ms per split-constraint LP on
     * ERAN 9x200 (784 columns; docs/benchmarks.md section 1) */
    parm.meth = GLP_DUALP;
    int term = glp_term_out(GLP_OFF); /* glp_adv_basis talks on the terminal */
    glp_adv_basis(S->P, 0);
    glp_term_out(term);
    if (glp_simplex(S->P, &parm) != 0 || glp_get_status(S->P) != GLP_OPT)
        return NNH_ELP;
    for (int j = 0; c->x && j < c->n; j++)
        c->x[j] = glp_get_col_prim(S->P, 1 + j);
    for (int r = 0; c->lam && r < c->m; r++)
        c->lam[r] = glp_get_row_dual(S->P, 1 + r);
    return 0;
}

int nnh_small_lp_minmax(nnh_small_lp *S, int n, int m, const double *A, const int *rows,
                        const double *b, const double *lo, const double *hi, int it_lim,
                        double *x, double *lam)
{
    if (m < 1 || n < 0 || n > S->n_max)
        return NNH_EINVAL;
    if (!all_in_scale(n, m, A, rows, b, lo, hi))
        return NNH_ENUMERIC;
    for (int j = 0; j < n; j++)
        if (lo[j] > hi[j])
            return NNH_EINVAL;
    minmax_call c = {S, n, m, it_lim, A, b, lo, hi, rows, x, lam};
    nnh_error err;
    int rc = nnh_glpk_guard(minmax_glpk, &c, &err);
    if (rc && S->epoch != nnh_glpk_epoch())
        S->P = NULL; /* gone with the environment the guard freed */
    return rc;
}
