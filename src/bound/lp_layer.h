/* The per-layer LP context behind nnh_lp_layer_* (include/nnhull/engine.h):
 * the model of a network prefix (lp_layer.c builds it), its neurons, the cut
 * buffers of the running task (lp_cuts.c) and the task state (lp_bound.c).
 * Private to src/bound/lp_*.c. */
#ifndef NNH_LP_LAYER_H
#define NNH_LP_LAYER_H

#include "glpk_guard.h"
#include "lp_safe.h"
#include "nnhull/engine.h"
#include "nnhull/envelope.h"

#include <glpk.h>

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
    nnh_neuron env;     /* f = act(w^T v + b) over the box of v: v is a_{j-1} restricted
                           to the neuron's receptive field (all of a_{j-1} when dense) */
    const int *cols;    /* env entry t is column prev_col + cols[t] (NULL: + t) */
    int coef_off;       /* slot of env.n doubles in cand_coef (and rf_lo / rf_hi) */
} nnh_lp_neuron;

/* A candidate (or added) cut of one neuron: sense +1: a <= coef . v + c,
 * -1: a >= coef . v + c, where v is z (1-D, one coefficient) or a_{j-1} on
 * the neuron's receptive field (nnh_lp_neuron.cols). */
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
    int j0;                   /* first layer in the LP (k - window, or 0) */
    nnh_bound_opts opts;
    glp_prob *P;
    unsigned long epoch;      /* GLPK environment P belongs to (glpk_guard.h) */
    int no_lp;                /* no usable LP (the starting LP failed, the model is
                                 beyond NNH_LP_MAX_MAGNITUDE, or GLPK failed):
                                 tasks answer init_lo/hi and count a fallback */
    int n_cols, base_m;       /* rows of the model before any task adds cuts */
    int *row_stat, *col_stat; /* starting basis (1-based like GLPK) */
    int obj_col, n_obj;       /* objective columns: a_{k-1} (x when k = 0); the
                                 objective of neuron i is row i of layer k */
    double *obj_b;
    double *init_lo, *init_hi; /* layer k pre bounds at creation (fallback) */
    double *boxes;            /* owned copies: input box, post bounds of layers < k-1 */
    double *rf_lo, *rf_hi;    /* boxes gathered on the receptive fields of the
                                 neurons of sparse layers (coef_off slots), or NULL */
    double *xg;               /* max width: LP values gathered on a receptive field */
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
    double task_deadline;     /* nnh_now() at which the running task's budget
                                 ends (0 = none; never during creation) */
    long task_iters_left;     /* simplex iterations the running task may still
                                 use (< 0 = no budget; always during creation) */
    unsigned char *skip;      /* layer k: 1 = no LP (opts.skip_fraction), or NULL */
    unsigned char *wide_sel;  /* layer k: 1 = the task runs on `wide` (opts.wide_fraction) */
    struct nnh_lp_layer *wide; /* the context of window opts.wide_window, or NULL */
    nnh_env_ws ews;
    nnh_lp_safe_ws safe;
};

/* 1 when sigma is exactly z -> s z on [L,U] (identity, or one linear piece
 * of a piecewise-linear activation), so a = s z is exact (lp_layer.c). */
int nnh_lp_linear_piece(const nnh_activation *a, double L, double U, double *s);

/* 1 when a neuron with activation a and finite pre-activation bounds
 * [lo, hi] is stable: on one linear piece of a non-identity activation, so
 * an LP cannot tighten it (opts.skip_stable skips it). */
int nnh_lp_stable(const nnh_activation *a, double lo, double hi);

/* Column j boxed by [lo, hi] (infinite ends give free or one-sided columns). */
void nnh_lp_col_box(glp_prob *P, int j, double lo, double hi);

/* The valid rows of a neuron whose activation links columns acol = act(zcol)
 * on [L, U]: one exact row a = s z for a linear piece, else the crown pair
 * and envelope planes at L, U, the midpoint and the tie points (lp_layer.c). */
void nnh_lp_link_rows(glp_prob *P, const nnh_activation *act, int acol, int zcol, double L,
                      double U);

/* opts.window_forms (lp_forms.c): columns for the network input and the
 * window's input layer j0-1 pre-activations z, rows of crown's lower and
 * upper forms of z over the input, and the rows linking the window's input
 * columns (a_{j0-1}, columns 1..) to z. Call while building the model, with
 * j0 > 0. Rows whose data GLPK cannot take are left out (a relaxation). */
int nnh_lp_window_forms(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err);

/* opts.skip_fraction (lp_priority.c): L->skip for a hidden layer k from the
 * creation bounds b (NULL skip when the option is off or k is the output). */
int nnh_lp_priority(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err);

/* A neuron of a layer and its priority score (lp_priority.c). */
typedef struct nnh_lp_scored {
    double score;
    int idx;
} nnh_lp_scored;

/* Sorts s[0..n) by score, ascending (descending 0) or descending
 * (descending 1), ties by ascending index in both (qsort is not stable). */
void nnh_lp_sort_scores(nnh_lp_scored *s, int n, int descending);

/* The scores of the neurons of hidden layer k (k + 1 < n_layers) from the
 * creation bounds b, sorted ascending (ties by index) into s (width of
 * layer k entries): post width x sum_r |W_{k+1}[r, i]| (propagate 0), or x
 * the |W| products to the output layer (propagate 1). */
int nnh_lp_scores(const nnh_network *net, const nnh_bounds *b, int k, int propagate,
                  nnh_lp_scored *s, nnh_error *err);

/* *mask = a new array of layer k's width (the caller frees it) with 1 for
 * the n neurons of nnh_lp_scores(propagate) that score highest (highest 1)
 * or lowest (highest 0), 0 for the others. */
int nnh_lp_mark(const nnh_network *net, const nnh_bounds *b, int k, int propagate, int n,
                int highest, unsigned char **mask, nnh_error *err);

/* opts.wide_fraction (lp_wide.c): for a hidden layer k where wide_window is
 * wider than the layer's window (reaching the input: the whole prefix, only
 * with opts.wide_input),
 * L->wide_sel (the highest-scored neurons) and L->wide, the context of
 * window wide_window on the same bounds b; nothing otherwise. */
int nnh_lp_wide(nnh_lp_layer *L, const nnh_bounds *b, nnh_error *err);

/* 1 when L has no usable LP (see no_lp); notices that a GLPK failure
 * elsewhere in this thread freed L's problem object. */
static inline int nnh_lp_layer_dead(nnh_lp_layer *L)
{
    if (L->P && L->epoch != nnh_glpk_epoch()) {
        L->P = NULL; /* freed with its GLPK environment: never touch it again */
        L->no_lp = 1;
    }
    return L->no_lp || !L->P;
}

#endif
