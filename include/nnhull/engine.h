/* Bound engines ibp, crown, lp1d and hull: the option schema, the library's
 * single-process driver that tightens a network layer by layer (the command
 * runs the same steps through nnh_dist_run, nnhull/dist.h), CROWN, and
 * the per-layer LP context (lp1d / hull) whose per-neuron bound calls are the
 * tasks the MPI scheduler distributes. The library never prints: progress is
 * reported through a callback. */
#ifndef NNH_ENGINE_H
#define NNH_ENGINE_H

#include "nnhull/bounds.h"
#include "nnhull/network.h"
#include "nnhull/error.h"

#include <stddef.h>

typedef enum {
    NNH_METHOD_IBP = 0, /* interval propagation, outward rounded */
    NNH_METHOD_CROWN,   /* linear back-substitution with 1-D envelope planes */
    NNH_METHOD_LP1D,    /* LP bound tightening, cuts from the 1-D envelope */
    NNH_METHOD_HULL,    /* lp1d + cuts from the multivariate envelope (the paper) */
    NNH_METHOD_COUNT
} nnh_method;

typedef struct nnh_bound_opts {
    nnh_method method;
    int max_rounds;         /* cut rounds per LP bound problem and phase:
                               lp1d runs one phase (1-D cuts), hull two
                               (exactly lp1d's, then rounds adding
                               multivariate and 1-D cuts), so up to
                               2 max_rounds rounds; see lp_cuts.c */
    int max_cuts_per_round; /* cuts added per round at most, per family
                               (1-D, multivariate) */
    double cut_tol;         /* a cut is added only if violated by more than this */
    double lp_time_limit;   /* seconds per LP solve (0 = none) */
    double time_limit;      /* seconds for the whole run (0 = none); past it,
                               remaining neurons keep their crown/ibp bounds */
    int pool_rounds;        /* per-layer cut pool: at context creation, rounds
                               of 1-D cuts on fixed aggregate objectives whose
                               cuts join the base model every task starts
                               from (0 = no pool); 1-D only and identical for
                               lp1d and hull, so hull stays never looser than
                               lp1d on the same bounds (lp_layer.c).
                               Default 0: on the digits nets (hull) 3 rounds
                               change layer mean widths by -0.13%..+0.16%
                               (not consistently tighter: the LP path
                               changes) for 15-30% more time */
    int slack_rounds;       /* a task's own cut row that has been non-binding
                               (basic) after this many consecutive rounds is
                               removed from the LP (0 = never, the default:
                               2 saves ~15% time on the digits 64x32x32x10
                               nets but loosens by up to 0.4%) */
    int window;             /* layers in the LP of layer k: k-window..k-1,
                               their input a_{k-window-1} a box of its
                               certified post bounds (0 = the whole prefix,
                               the default); a relaxation of the full LP */
    double skip_width;      /* a neuron whose pre interval at creation is
                               narrower than this gets no LP (0 = none) */
    int skip_stable;        /* 1: a neuron whose piecewise-linear activation
                               is one linear piece on its pre interval gets
                               no LP (later relaxations are exact anyway;
                               only its box stays looser); 0 = LP for all */
    int task_iter_limit;    /* simplex iterations per bound task, over its
                               first solve and every re-solve (0 = none;
                               each solve keeps a cap of 1000 + 5 (rows +
                               cols) against cycling); a solve cut short
                               still gives a rigorous bound from its duals
                               and ends the task's cut loop. Deterministic,
                               unlike task_time_limit */
    double task_time_limit; /* seconds per bound task: no cut round starts
                               after it and each solve gets the rest
                               (0 = none); the bound stays rigorous */
    double min_gain;        /* a cut phase stops when a round raises the
                               safe bound by less than this (0 = never) */
    int long_step;          /* 1: GLPK's long-step (bound flipping) ratio
                               test in every solve: fewer iterations on
                               these boxed LPs (6x200 sigmoid hull: -9% to
                               -24% CPU per task); 0 = Harris (default) */
    int window_forms;       /* 1: a window's LP also holds the network input
                               x (its box) and crown's linear forms
                               lower(x) <= z <= upper(x) of the window's
                               input layer, linked to that layer's post
                               values by 1-D envelope planes: couples the
                               window input as the prefix does (0 = box
                               only, the default; no effect without a
                               window) */
    double skip_fraction;   /* this fraction of the neurons of a hidden
                               layer, those of lowest score (post width x
                               sum of |outgoing weights|), gets no LP and
                               keeps its crown bound (0 = none) */
    int output_window;      /* window of the output layer's LP (0 = as
                               window; at least the number of hidden layers
                               = the whole prefix): the output layer has few
                               neurons, so a wide window costs little there */
    int output_iter_limit;  /* task_iter_limit of the output layer's tasks
                               (0 = as task_iter_limit) */
    double wide_fraction;   /* this fraction of the neurons of a hidden layer,
                               those of highest score (wide_score), gets its
                               LP on a second context of window wide_window
                               instead of window (0 = none, the default);
                               only where wide_window is wider than the
                               layer's window (and, unless wide_input,
                               does not reach the network input);
                               lp_wide.c */
    int wide_window;        /* the window of those neurons' LP (0 = off) */
    int wide_input;         /* 1: a wide window that reaches the network
                               input is used too (the whole prefix there,
                               e.g. layer 2 with wide_window 2); 0 (the
                               default): only layers k > wide_window */
    int wide_score;         /* score of the wide choice: 0 = post width x
                               sum of |outgoing weights| (skip_fraction's),
                               1 = post width x |W| propagated to the output
                               layer (|W_{k+1}|^T ... |W_out|^T 1) */
} nnh_bound_opts;

void nnh_bound_opts_init(nnh_bound_opts *o);
/* "ibp", "crown", "lp1d", "hull". */
const char *nnh_method_name(nnh_method m);
int nnh_method_parse(const char *name, nnh_method *m);
/* One line describing method m (for help texts). */
const char *nnh_method_help(nnh_method m);

/* ---- The option schema: every field of nnh_bound_opts but method, by name
 * (the keys of `nnhull bounds --engine-opts`; JSON: nnh_bound_opts_parse_json
 * in io.h). Setting by name validates the value and refuses an option the
 * method does not use (ibp and crown run no LP and take none), so a user's
 * option is never silently ignored. */
enum { NNH_BOUND_OPT_MAX = 24 }; /* room for the schema's keys */

typedef struct nnh_bound_opt_info {
    const char *name;  /* "max_rounds", ... */
    int is_int;        /* 1: a whole number (an int field), 0: any number */
    double min, max;   /* accepted values, inclusive (set() also wants finite) */
    unsigned methods;  /* bit (1u << m) for every method m that uses it */
    const char *help;  /* one line, without the default */
} nnh_bound_opt_info;

/* Number of options; the i-th (0 <= i < count, else NULL); the index of a
 * name (-1 when unknown). */
int nnh_bound_opt_count(void);
const nnh_bound_opt_info *nnh_bound_opt(int i);
int nnh_bound_opt_find(const char *name);
/* The value of option i in o (an int field as a double). */
double nnh_bound_opts_get(const nnh_bound_opts *o, int i);
/* Set option key of o to value for the method already in o->method.
 * NNH_EINVAL for an unknown key or a value outside the option's range (or
 * not whole for an integer option, or not finite); NNH_EUNSUPPORTED for a
 * known option that o->method does not use. o is unchanged on failure. */
int nnh_bound_opts_set(nnh_bound_opts *o, const char *key, double value, nnh_error *err);
/* Every field within its option's range (NaN refused, +inf allowed for the
 * time limits and cut_tol) and a known method. */
int nnh_bound_opts_check(const nnh_bound_opts *o, nnh_error *err);
/* "max_rounds, max_cuts_per_round, ..." : the options method m uses, or ""
 * when it takes none; truncated to len. */
void nnh_bound_opts_keys(nnh_method m, char *buf, size_t len);

/* The window of layer k's LP under o for a network of n_layers layers
 * (0 = the whole prefix): output_window for the output layer when set,
 * window otherwise; a window reaching the input is 0. */
int nnh_bound_opts_window(const nnh_bound_opts *o, int k, int n_layers);
/* The simplex iteration budget of a task of layer k (0 = none):
 * output_iter_limit for the output layer when set, else task_iter_limit. */
int nnh_bound_opts_iter_limit(const nnh_bound_opts *o, int k, int n_layers);

/* The options a user set by name, in the order given (a key given again
 * moves to the end): what a run records as its provenance. Start from
 * {0}. */
typedef struct nnh_bound_opts_given {
    int n;
    int key[NNH_BOUND_OPT_MAX]; /* schema indices */
} nnh_bound_opts_given;

/* Record option index key (0 <= key < count) as given last. */
void nnh_bound_opts_given_add(nnh_bound_opts_given *g, int key);
/* Measured defaults for deep networks (docs/benchmarks.md section 6): for
 * lp1d and hull on a network of at least NNH_DEEP_MIN_LAYERS layers and
 * NNH_DEEP_MIN_NEURONS neurons before the output layer, when the user gave
 * none of the depth options (nnh_bound_opts_depth_keys), sets the deep
 * profile (nnh_bound_opts_deep_profile) and records its keys in given (may
 * be NULL). Returns 1 when it did, 0 otherwise (o unchanged). */
enum { NNH_DEEP_MIN_LAYERS = 4, NNH_DEEP_MIN_NEURONS = 1000 };
int nnh_bound_opts_deep_defaults(nnh_bound_opts *o, const nnh_network *net,
                                 nnh_bound_opts_given *given);
/* 1 when the profile is for o's method on net (lp1d or hull, enough layers
 * and neurons), whether or not a depth option turns it off; 0 otherwise. */
int nnh_bound_opts_is_deep(const nnh_bound_opts *o, const nnh_network *net);
/* The deep profile as text, "max_rounds 3, window 1, ..." (for messages
 * and help), and the depth keys "max_rounds, window, ...", any of which
 * given turns the profile off. */
const char *nnh_bound_opts_deep_profile(void);
const char *nnh_bound_opts_depth_keys(void);

/* The options as a JSON object, for provenance (the HDF5 "options"
 * attribute). Returns a malloc'ed string the caller frees, NULL on ENOMEM. */
char *nnh_bound_opts_json(const nnh_bound_opts *o);

/* Progress report: layer k of n_layers, done of total bound problems in it,
 * seconds since the run started. May be NULL. */
typedef void (*nnh_progress_fn)(void *arg, int k, int n_layers, int done, int total,
                                double elapsed);

/* Single-process driver, for every method (ibp included): b holds the
 * input region (nnh_bounds_create); fills every layer's pre/post bounds with
 * the chosen method and stats[n_layers] (may be NULL). Every bound is rigorous; a failed or timed-out LP falls back
 * to the best valid bound known (counted in stats[k].fallbacks). */
int nnh_bounds_compute(const nnh_network *net, nnh_bounds *b, const nnh_bound_opts *o,
                       nnh_layer_stats *stats, nnh_progress_fn progress, void *progress_arg,
                       nnh_error *err);

/* CROWN for layer k, given rigorous bounds of layers < k in b: writes layer
 * k's pre bounds (intersected with what b already holds, e.g. IBP) and its
 * post bounds. Sound in floating point (rounding errors of the
 * back-substitution are bounded and added). */
int nnh_crown_layer(const nnh_network *net, nnh_bounds *b, int k, nnh_error *err);
/* Crown's linear lower forms over the input: for every x' in the clamped
 * input box [in_lo, in_hi] and every row t, z_t(x') >= A_t^T x' + c_t
 * exactly in real arithmetic, with A (rows x n_inputs) and c as the stored
 * doubles (every rounding of the back-substitution is already in c). */
typedef struct nnh_crown_forms {
    double *A, *c, *in_lo, *in_hi;
} nnh_crown_forms;

/* nnh_crown_layer on the neurons sel[0..n_sel) of layer k only (the others
 * keep their bounds): a driver that knows which neurons matter (e.g. the
 * unstable ReLUs, whose relaxation depends on the bounds) saves the rest.
 * lower (may be NULL) gets the lower forms of the selected neurons, row t
 * for neuron sel[t], at no extra cost. */
int nnh_crown_layer_sel(const nnh_network *net, nnh_bounds *b, int k, const int *sel, int n_sel,
                        nnh_crown_forms *lower, nnh_error *err);
/* nnh_crown_layer_sel that also gives the upper forms (upper may be NULL):
 * z_t(x') <= A_t^T x' + c_t over the same box, exactly in real arithmetic. */
int nnh_crown_layer_forms(const nnh_network *net, nnh_bounds *b, int k, const int *sel,
                          int n_sel, nnh_crown_forms *lower, nnh_crown_forms *upper,
                          nnh_error *err);

/* Crown's lower and upper linear forms of every neuron of layer k over the
 * clamped input, from the bounds of layers < k in b (b is not changed):
 * lower as in nnh_crown_layer_sel; upper: z_t(x') <= A_t^T x' + c_t exactly
 * in real arithmetic for every x' in [in_lo, in_hi]. The caller allocates
 * A (width of layer k x n_inputs), c (width), in_lo and in_hi (n_inputs) of
 * both; either may be NULL. */
int nnh_crown_forms_layer(const nnh_network *net, const nnh_bounds *b, int k,
                          nnh_crown_forms *lower, nnh_crown_forms *upper, nnh_error *err);

/* ---- alpha-CROWN: optimised lower slopes ------------------------------------
 * Crown's lower line of an unstable ReLU (leaky ReLU) may be any a >= s z
 * with s in [0, 1] ([alpha, 1]); every choice gives a valid bound, and the
 * best choice differs per bounded row. A ReLU whose interval ends at 0 (a
 * neuron split) gets a wider slope range that carries beta-CROWN's split
 * multiplier. nnh_crown_alpha_rows picks the slopes of each row by
 * projected gradient ascent (Adam) on crown's bound of that row, with the
 * bounds of the earlier layers fixed (docs/architecture.md, "Optimised
 * slopes"). */
typedef struct nnh_alpha_opts {
    int iters;      /* gradient steps per row (default 20; 0 = crown's slopes) */
    double lr;      /* Adam step on the slopes (default 0.1), decayed by
                       `decay` per step (default 0.98) */
    double decay;
    double target;  /* a row stops once its (unrounded) bound exceeds this
                       (default +inf: never; verify uses 0) */
    double deadline; /* absolute CLOCK_MONOTONIC seconds, as the deadline of
                       nnh_verify_region (0 = none, the default): past it,
                       the rows not yet started keep crown's slopes */
} nnh_alpha_opts;

void nnh_alpha_opts_init(nnh_alpha_opts *o);

/* Rigorous lower bounds lo[t] of neurons rows[0..n) of layer k from the
 * bounds of layers < k in b (not changed), each the larger of crown's bound
 * and crown's bound at the slopes the optimiser found for that row (so never
 * below nnh_crown_layer's); lower (may be NULL) gets the linear lower form
 * of the bound taken, row t for rows[t] (A n x n_inputs, c n, in_lo/in_hi
 * as in nnh_crown_layer_sel). Allocates its workspace per call. */
int nnh_crown_alpha_rows(const nnh_network *net, const nnh_bounds *b, int k, const int *rows,
                         int n, const nnh_alpha_opts *o, double *lo, nnh_crown_forms *lower,
                         nnh_error *err);
/* Tighten the bounds of neurons sel[0..n_sel) of layer k in b, both sides,
 * with the slopes optimised per neuron and side as above (a side stops once
 * it makes the neuron stable; the upper side is skipped when the lower
 * bound is > 0); intersected into b, post bounds recomputed. Layers < k of
 * b are read, not changed. */
int nnh_crown_alpha_layer(const nnh_network *net, nnh_bounds *b, int k, const int *sel,
                          int n_sel, const nnh_alpha_opts *o, nnh_error *err);

/* ---- LP bound tightening of one layer (lp1d / hull) ------------------------
 * The LP of the network prefix up to layer k (input region, z = W a + b
 * equalities, relaxation of every earlier neuron), built once per layer from
 * rigorous bounds of layers < k. Each call to nnh_lp_layer_bound is one task:
 * its result depends only on (the context as created, i, sense), never on
 * which tasks ran before in the same context (cuts a task adds are removed
 * and the starting basis restored afterwards), so a distributed run gives
 * the same numbers as a serial one. */
typedef struct nnh_lp_layer nnh_lp_layer;

int nnh_lp_layer_create(const nnh_network *net, const nnh_bounds *b, int k,
                        const nnh_bound_opts *o, nnh_lp_layer **out, nnh_error *err);
/* Rigorous bound of z_{k,i}: sense < 0 a lower bound, sense > 0 an upper
 * bound. Never looser than the bound b held at creation (a failed LP returns
 * that bound and counts a fallback in st). st (may be NULL) accumulates.
 * For contexts created from the same bounds with the same options, hull's
 * bound is never looser than lp1d's (hull's cut loop starts with lp1d's). */
int nnh_lp_layer_bound(nnh_lp_layer *L, int i, int sense, double *bound, nnh_layer_stats *st,
                       nnh_error *err);
/* Rigorous lower bound of min over the relaxation of max_r z_{k,rows[r]}
 * (a conjunction of output rows: > 0 proves that no input meets all of
 * them, even when no single row is > 0). The LP gets a column t boxed by
 * [max_r lo_r, max_r hi_r] of the creation bounds (valid for the max; a
 * finite box keeps the safe dual bound finite) and rows t >= z_{k,r}, and
 * minimises t with the same cut loop as nnh_lp_layer_bound. Never below
 * max_r lo_r (a failed LP or an infinite creation bound returns that and
 * counts a fallback). One task like the others: the context is restored.
 * n_rows <= width of layer k, rows distinct. */
int nnh_lp_layer_bound_max(nnh_lp_layer *L, const int *rows, int n_rows, double *bound,
                           nnh_layer_stats *st, nnh_error *err);
void nnh_lp_layer_free(nnh_lp_layer *L);

#endif
