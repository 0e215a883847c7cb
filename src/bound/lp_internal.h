/* Private to the LP bound engine (lp_*.c): the per-layer LP context behind
 * nnh_lp_layer_* (engine.h) and the rigorous ("safe") LP bound computed from
 * any dual vector (Neumaier & Shcherbina 2004). Tests include it directly. */
#ifndef NNH_LP_INTERNAL_H
#define NNH_LP_INTERNAL_H

#include "nnhull/engine.h"
#include "nnhull/envelope.h"

#include <glpk.h>

/* ---- Safe LP bound ------------------------------------------------------------
 * For min c^T v over rows r = A v in [rl, ru] and columns v in [vl, vu], any
 * multiplier vector y gives c^T v = y^T r + d^T v with d = c - A^T y, hence
 *   c^T v >= sum_r min(y_r rl_r, y_r ru_r) + sum_j min(d_j vl_j, d_j vu_j).
 * The routine evaluates this in round-to-nearest with rigorous error bounds
 * (d_j is accumulated with error-free transformations, fma and TwoSum, and
 * enclosed in an interval that is a point when every operation was exact;
 * every product and sum of the bound is rounded outward),
 * so the result is a lower bound in exact arithmetic of the LP as GLPK
 * stores it (coefficients and bounds read back from the problem object). */
typedef struct nnh_lp_safe_ws {
    int m_cap, n_cap;
    double *y;     /* m_cap multipliers */
    double *dsum;  /* n_cap: d_j accumulated in round-to-nearest */
    double *derr;  /* n_cap: sum of the exact rounding errors of dsum */
    double *dabs;  /* n_cap: sum of |those errors| (bounds the error of derr) */
    int *dcnt;     /* n_cap: number of error terms */
    int *dtiny;    /* n_cap: 1 if an operation may have underflowed */
    int *ind;      /* n_cap + 1: glp_get_mat_row buffer */
    double *val;   /* n_cap + 1 */
} nnh_lp_safe_ws;

int nnh_lp_safe_ws_init(nnh_lp_safe_ws *ws, int m_cap, int n_cap, nnh_error *err);
void nnh_lp_safe_ws_free(nnh_lp_safe_ws *ws);

/* Lower bound of min c^T v (c[j-1] is the cost of GLPK column j; the
 * objective stored in P is ignored) from the multipliers y[r-1] of rows r.
 * y is modified: a multiplier whose sign would need an infinite row bound is
 * set to 0. Returns -INFINITY when no finite bound follows (never NaN). */
double nnh_lp_safe_lower_y(glp_prob *P, const double *c, double *y, nnh_lp_safe_ws *ws);
/* Same with GLPK's row duals of the last solve (glp_get_row_dual) as y. */
double nnh_lp_safe_lower(glp_prob *P, const double *c, nnh_lp_safe_ws *ws);

/* ---- The per-layer context --------------------------------------------------- */
typedef enum {
    NNH_LPN_EXACT = 0, /* a = s z exactly (linear piece) or a fixed: nothing to cut */
    NNH_LPN_RELAX      /* nonlinear on [L,U]: envelope planes and cuts */
} nnh_lpn_kind;

/* One neuron of an earlier layer j < k as the LP sees it. */
typedef struct nnh_lp_neuron {
    int layer, idx;
    int zcol, acol;     /* GLPK column numbers of z_{j,i} and a_{j,i} */
    int prev_col;       /* first GLPK column of a_{j-1} (x when j = 0) */
    nnh_lpn_kind kind;
    double L, U;        /* rigorous pre-activation bounds */
    nnh_neuron env;     /* f = act(w^T a_{j-1} + b) over the box of a_{j-1} */
    int coef_off;       /* slot of n_prev doubles in cand_coef */
} nnh_lp_neuron;

/* A candidate (or added) cut of one neuron: sense +1: a <= coef . v + c,
 * -1: a >= coef . v + c, where v is z (1-D, one coefficient) or a_{j-1}. */
typedef struct nnh_lp_cut {
    int nr;        /* index into L->nr */
    int sense;
    int mv;        /* 1: over a_{j-1} (nnh_separate); 0: over z (1-D) */
    int region;    /* nnh_region of a multivariate cut */
    double c, viol, slope; /* slope: the 1-D coefficient */
    double *coef;  /* mv: n_prev coefficients (points into a context buffer) */
    int removed;   /* an added cut whose row slack removal deleted */
} nnh_lp_cut;

struct nnh_lp_layer {
    const nnh_network *net;
    int k;
    nnh_bound_opts opts;
    glp_prob *P;
    int no_lp;                /* the starting LP failed: tasks answer init_lo/hi */
    int n_cols, base_m;       /* rows of the model before any task adds cuts */
    int *row_stat, *col_stat; /* starting basis (1-based like GLPK) */
    int obj_col, n_obj;       /* objective columns: a_{k-1} (x when k = 0) */
    double *obj_w;            /* W_k (row i = objective of neuron i) */
    double *obj_b;
    double *init_lo, *init_hi; /* layer k pre bounds at creation (fallback) */
    double *boxes;            /* owned copies: input box, post bounds of layers < k-1 */
    int n_nr;
    nnh_lp_neuron *nr;
    int max_prev;             /* widest a_{j-1} among the neurons */
    /* buffers, all sized at creation */
    double *cost;             /* n_cols: dense objective for the safe bound */
    double *xv;               /* n_cols + 1: LP primal values, 1-based */
    int *ind;                 /* max_prev + 3: row buffers (1-based) */
    double *val;
    nnh_lp_cut *cand;         /* 2 n_nr candidates of one round (1-D, mv) */
    int *order;               /* 2 n_nr: candidate ranking */
    double *cand_coef;        /* sum over neurons of n_prev */
    nnh_lp_cut *added;        /* cuts added by the running task (cap_added) */
    int *slack_cnt;           /* cap_added + 1: task row base_m + 1 + t has been
                                 non-binding for slack_cnt[t] rounds */
    int *row_cut;             /* cap_added + 1: its index in added[] */
    double *added_coef;       /* cap_added * max_prev */
    int cap_added;
    int cap_pool;             /* pool rows at most (base_m grows by <= this) */
    int *del_rows;            /* cap_added + 1: glp_del_rows list */
    nnh_env_ws ews;
    nnh_lp_safe_ws safe;
};

/* One glp_simplex call (presolve off, messages off, the LP time limit of the
 * options, at most it_lim iterations, 0 = a default for a warm re-solve);
 * counts it in st (may be NULL). 0 when it ends optimal. */
int nnh_lp_simplex(nnh_lp_layer *L, int meth, int it_lim, nnh_layer_stats *st);

/* Cut pool seeding (lp_bound.c), called once at creation from the solved
 * starting LP: phase-1 (1-D) cut loops of opts.pool_rounds rounds on the
 * fixed objectives min and max of sum_i w_{k,i}^T a_{k-1}; the cuts found stay
 * in the model as base rows (L->base_m grows). Deterministic. */
void nnh_lp_seed_pool(nnh_lp_layer *L);

#endif
