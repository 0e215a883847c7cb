/* Property verification (`nnhull verify`): falsification by sampling and
 * projected gradient, proofs by certified bounds on the property rows folded
 * into the network, and branch and bound on the input region or on hidden
 * neurons' pre-activation intervals (activation splits), whose unit of
 * work, nnh_verify_region, is a pure function of (problem, region, options)
 * that a scheduler (the serial nnh_verify here, or nnh_dist_verify over MPI
 * ranks) can hand to any process. */
#ifndef NNH_VERIFY_H
#define NNH_VERIFY_H

#include "nnhull/bounds.h"
#include "nnhull/engine.h"
#include "nnhull/network.h"
#include "nnhull/error.h"
#include "nnhull/spec.h"

typedef enum {
    NNH_VERDICT_UNSAT = 0, /* proved: no input of the region meets the output condition */
    NNH_VERDICT_SAT,       /* counterexample found and re-checked in double precision */
    NNH_VERDICT_UNKNOWN,   /* --max-regions exhausted, or a region could not be split */
    NNH_VERDICT_TIMEOUT
} nnh_verdict;

/* "unsat", "sat", "unknown", "timeout". */
const char *nnh_verdict_name(nnh_verdict v);

/* What branch and bound splits (docs/architecture.md, "Activation splits"):
 * the input box, or the pre-activation interval of one hidden neuron (ReLU:
 * at 0, an S-shaped or smooth activation: at a chosen point), or auto: input
 * splitting when the network has at most NNH_SPLIT_AUTO_MAX_INPUTS inputs
 * (ACAS Xu: 5), activation splitting otherwise. */
typedef enum {
    NNH_SPLIT_AUTO = 0,
    NNH_SPLIT_INPUT,
    NNH_SPLIT_ACTIVATION
} nnh_split_mode;

#define NNH_SPLIT_AUTO_MAX_INPUTS 10
/* Neuron splits a region carries at most; a deeper region splits its box. */
#define NNH_BAB_MAX_SPLITS 64
/* Neurons a branching choice bounds at most (nnh_verify_opts.branch_candidates). */
#define NNH_BRANCH_MAX_CANDIDATES 32

/* "auto", "input", "activation". */
const char *nnh_split_mode_name(nnh_split_mode m);
/* Parse one of the names above: 0, or NNH_EINVAL. */
int nnh_split_mode_parse(const char *name, nnh_split_mode *m);
/* The mode m means for a network with n_in inputs (auto resolved). */
nnh_split_mode nnh_split_mode_resolve(nnh_split_mode m, int n_in);

typedef struct nnh_verify_opts {
    nnh_split_mode split;  /* what branch and bound splits (default auto) */
    nnh_method method;     /* strongest engine: ibp, crown, or lp1d/hull as escalation */
    double timeout;        /* wall-clock seconds for the whole run (0 = none) */
    long max_regions;      /* regions decided at most (0 = no limit) -> unknown */
    int samples;           /* random samples per case before branch and bound */
    int starts;            /* gradient starts per case before branch and bound */
    int steps;             /* projected-gradient steps per start */
    int region_samples;    /* the same, for each region of branch and bound */
    int region_starts;
    int region_steps;
    int descend_depth;     /* deeper regions get the samples but no descents
                              (default 16) */
    int max_corners_dim;   /* box corners are tried when n_in <= this */
    double escalate_gap;   /* LP on the property rows when a row's crown lower
                              bound is within escalate_gap * (its width) of 0 */
    int joint;             /* joint bounds of cases with several rows (a case is
                              closed when min max_r row_r > 0): crown's lower
                              forms with LP multipliers, and with lp1d/hull an
                              LP on max_r row_r (default 1; 0 = per row only) */
    unsigned long long seed;
    nnh_bound_opts bound;  /* engine options (method is overridden per step) */
    int tighten;           /* LP tightening of every layer of each root region
                              before branch and bound (its bounds become the
                              root's hint, inherited by every region):
                              NNH_TIGHTEN_NONE, _AUTO (default), _LP1D, _HULL */
    nnh_bound_opts tighten_opts; /* its engine options (method set per run);
                              the default is a deterministic budget, see
                              nnh_verify_opts_init */
    int tighten_auto_window; /* auto's partial tightening of a piecewise-linear
                              net: the LPs get the deepest window from
                              tighten_opts.window up to this one whose
                              estimated cost still passes the PART_SHARE test
                              (default NNH_TIGHTEN_AUTO_WINDOW; 0 or <=
                              tighten_opts.window: tighten_opts.window) */
    double tighten_fraction; /* the fraction of each hidden layer's neurons
                              that get LPs: those with the largest influence
                              on the open property rows x relaxation gap
                              (src/verify/tighten_select.c); the others keep
                              crown's bounds. 0 (default) = 1 for lp1d / hull;
                              auto: 1 when the timeout allows all tasks, else
                              NNH_TIGHTEN_AUTO_FRACTION (nnh_tighten_method) */
    int alpha;             /* optimised crown slopes (alpha-CROWN) where crown
                              left a region open: NNH_ALPHA_OFF, _ROOT (each
                              root region: every hidden layer's unstable
                              ReLUs (nnh_crown_alpha_layer), inherited by
                              every region, then the property rows), _ON
                              (root, and the rows of every region), _AUTO
                              (default, see below) */
    nnh_alpha_opts alpha_opts; /* its budget (default 20 steps; target 0) */
    int node_layers;       /* which hidden layers a region with neuron splits
                              bounds again on its parent's box:
                              NNH_NODE_LAYERS_ROWS (none: the parent's
                              bounds with the splits intersected in, IBP
                              after the narrowed layer, crown/alpha on the
                              property rows only), _CHANGED (default: crown
                              on the layers after the first one a split
                              narrowed; the earlier ones would come out as
                              the parent's), _ALL (every layer, as before
                              2026-12-02) */
    int branch_candidates; /* activation splitting: the neurons of highest
                              branching score whose two children get a
                              crown estimate of the row closest to a proof,
                              the best worse child wins (filtered smart
                              branching); 1 = the score alone. Default 8;
                              at most NNH_BRANCH_MAX_CANDIDATES */
    int case_split;        /* activation splitting: a region that would split a
                              neuron while two or more of its cases are open
                              becomes one region per open case instead (the
                              same domain, that case alone active), so each
                              case gets a search of its own and its neuron
                              splits serve it alone (default 1; 0 = one
                              search for all cases) */
    int node_tighten;      /* activation splitting: LP bounds at a node. A
                              region with neuron splits that crown and alpha
                              leave open, with an open row within
                              escalate_gap x its width of 0 (the escalation
                              test), gets LPs (tighten_opts, hull) for the
                              node_tighten neurons of highest selection
                              score (tighten_select.c) in each hidden layer
                              after its shallowest split, over its own
                              bounds (the splits in them), then crown and
                              alpha again. 0 (default) = never */
} nnh_verify_opts;

enum {
    NNH_NODE_LAYERS_ROWS = 0,
    NNH_NODE_LAYERS_CHANGED,
    NNH_NODE_LAYERS_ALL
};

/* "rows", "changed", "all" <-> NNH_NODE_LAYERS_*; parse returns 0 or
 * NNH_EINVAL. */
const char *nnh_node_layers_name(int m);
int nnh_node_layers_parse(const char *name, int *m);

enum {
    NNH_ALPHA_OFF = 0,
    NNH_ALPHA_ROOT,
    NNH_ALPHA_ON,
    NNH_ALPHA_AUTO         /* on when nnh_split_mode_resolve gives activation
                              splitting (images), off for input splitting
                              (ACAS Xu); measured in docs/benchmarks.md */
};

/* "off", "root", "on", "auto" <-> NNH_ALPHA_*; parse returns 0 or
 * NNH_EINVAL. */
const char *nnh_alpha_mode_name(int a);
int nnh_alpha_mode_parse(const char *name, int *a);
/* The alpha mode o->alpha means for a network with n_in inputs: auto
 * resolved, and NNH_ALPHA_OFF with the ibp method or no gradient steps. */
int nnh_alpha_mode_resolve(const nnh_verify_opts *o, int n_in);

enum {
    NNH_TIGHTEN_NONE = 0,
    NNH_TIGHTEN_AUTO,      /* hull when the input has at least
                              NNH_TIGHTEN_AUTO_MIN_INPUTS dimensions (input
                              splitting alone does not scale there) and the
                              timeout is none or at least
                              NNH_TIGHTEN_AUTO_TIME_SHARE times the
                              tightening's estimated CPU seconds
                              (nnh_tighten_cost; minutes on MNIST nets);
                              else, on large nets, hull on part of each
                              layer (below); else none */
    NNH_TIGHTEN_LP1D,
    NNH_TIGHTEN_HULL
};
#define NNH_TIGHTEN_AUTO_MIN_INPUTS 64
#define NNH_TIGHTEN_AUTO_TIME_SHARE 4
/* auto on a large net (all tasks estimated at >= PART_MIN_COST CPU seconds),
 * when the timeout is under TIME_SHARE x that: hull on the top AUTO_FRACTION
 * of each hidden layer (tighten_fraction) when the timeout is >= PART_SHARE
 * x their cost (on a ReLU-like net counted on the root's crown bounds: a
 * stable neuron costs no LP) */
#define NNH_TIGHTEN_AUTO_FRACTION 0.25
#define NNH_TIGHTEN_AUTO_PART_SHARE 2
#define NNH_TIGHTEN_AUTO_PART_MIN_COST 60
/* The partial tightening of a piecewise-linear net: its LP windows go up to
 * NNH_TIGHTEN_AUTO_WINDOW layers (tighten_auto_window) while the timeout is
 * >= PART_SHARE x their cost; that cost (counted on the root's bounds) is
 * the model's times NNH_TIGHTEN_PL_COST_SCALE, the share of the model a
 * ReLU net's LPs take (measured 0.23-0.29 on ERAN mnist_relu_9_200, windows
 * 1-4, docs/benchmarks.md section 10) */
#define NNH_TIGHTEN_AUTO_WINDOW 3
#define NNH_TIGHTEN_PL_COST_SCALE 0.3

/* "none", "auto", "lp1d", "hull" <-> NNH_TIGHTEN_*; parse returns 0 or
 * NNH_EINVAL. */
const char *nnh_tighten_name(int t);
int nnh_tighten_parse(const char *name, int *t);
/* Estimated CPU seconds of tightening every layer of net with options bo
 * (hull or lp1d): per LP task 2.9e-4 s per LP column (hull, 1000 simplex
 * iterations, measured on the ERAN 6x200 sigmoid net; half for lp1d), the
 * columns of layer k's LP being its window's layers (z and a) and the
 * window's input. A deterministic estimate (no clock), so `auto` decides
 * the same on every machine and at any rank count; it overestimates small
 * LPs (the digits nets take about a fifth of it). */
double nnh_tighten_cost(const nnh_network *net, const nnh_bound_opts *bo);

void nnh_verify_opts_init(nnh_verify_opts *o);

/* The property prepared for bounding: the cases grouped by input box, and per
 * group a copy of the network whose outputs are the rows C y - d of all its
 * cases (folded into the last affine layer when it has no activation, with a
 * rigorous bound on the rounding error of the fold; appended as a layer
 * otherwise). Read-only once created; shared by every region. */
typedef struct nnh_verify_problem nnh_verify_problem;

int nnh_verify_problem_create(const nnh_network *net, const nnh_spec *spec,
                              nnh_verify_problem **out, nnh_error *err);
void nnh_verify_problem_free(nnh_verify_problem *P);
int nnh_verify_problem_groups(const nnh_verify_problem *P);
/* Number of cases in group g and the box of the group (borrowed pointers). */
int nnh_verify_group_cases(const nnh_verify_problem *P, int g);
void nnh_verify_group_box(const nnh_verify_problem *P, int g, const double **lo,
                          const double **hi);

/* A neuron split: the region's domain keeps only the inputs whose
 * pre-activation z of neuron `neuron` of layer `layer` of the folded network
 * lies in [lo, hi] (ends may be infinite). */
typedef struct nnh_neuron_split {
    int layer, neuron;
    double lo, hi;
} nnh_neuron_split;

/* One region of branch and bound: a sub-box of group g's box, restricted by
 * the neuron splits (the domain is {x in box : every split holds}), and the
 * cases of the group still open on it (active[c] != 0, c < group's cases). A
 * counterexample may be any input of the box: the splits only partition the
 * proof. */
typedef struct nnh_bab_region {
    int group;
    int depth;
    double *lo, *hi;       /* n_in */
    unsigned char *active; /* group's n_cases */
    double priority;       /* smaller = explored first (best-first) */
    nnh_bounds *hint;      /* rigorous bounds of the folded network over a box
                              containing this one (the parent's), or NULL: the
                              engines intersect with them; owned by the region */
    int n_splits;          /* <= NNH_BAB_MAX_SPLITS */
    nnh_neuron_split *splits; /* n_splits entries (owned; NULL when none) */
} nnh_bab_region;

/* The root region of group g (its whole box, every case active); the two
 * halves of R along res->split_dim (cases closed on R stay closed, depth + 1,
 * priority = res->min_margin). Regions are freed with nnh_bab_region_free.
 * These, with nnh_verify_region, are all a distributed scheduler needs: a
 * region travels as (group, depth, priority, lo, hi, active), a result as
 * (status, cex_case, x, y, closed, split_dim, min_margin). */
nnh_bab_region *nnh_bab_root(const nnh_verify_problem *P, int g);
void nnh_bab_region_free(nnh_bab_region *r);

typedef enum {
    NNH_REGION_UNSAT = 0,  /* every active case proved infeasible on the box */
    NNH_REGION_SAT,        /* counterexample in x, y (case index cex_case) */
    NNH_REGION_OPEN,       /* split along split_dim, or neuron split_neuron of
                              layer split_layer at split_at; decide the halves */
    NNH_REGION_STUCK       /* undecided and too small to split (a point) */
} nnh_region_status;

typedef struct nnh_region_result {
    nnh_region_status status;
    int cex_case;           /* spec case index of the counterexample */
    double *x, *y;          /* n_in, n_out (allocated by nnh_region_result_init) */
    unsigned char *closed;  /* per group case: proved infeasible on this box */
    int split_dim;          /* input to halve, or -1 for a neuron split */
    int split_layer, split_neuron; /* the neuron split (split_layer -1: none) */
    double split_at;        /* children: z <= split_at and z >= split_at */
    double min_margin;      /* best falsification objective seen (> 0 when no cex) */
    double best_lb;         /* largest certified lower bound of an open row */
    int escalated;          /* an LP was solved on this region */
    double seconds_falsify, seconds_bounds;
    nnh_bounds *bounds;     /* OPEN: the region's bounds, passed on to the halves */
} nnh_region_result;

int nnh_region_result_init(const nnh_verify_problem *P, nnh_region_result *r, nnh_error *err);
void nnh_region_result_free(nnh_region_result *r);

/* Halves of R along res->split_dim, or its two children by the neuron split
 * of res (res OPEN), see nnh_bab_root: 0 or NNH_ENOMEM. */
int nnh_bab_split(const nnh_verify_problem *P, const nnh_bab_region *R,
                  const nnh_region_result *res, nnh_bab_region *half[2]);

/* Decide one region (the unit of work of branch and bound): bound with
 * crown (ibp when o->method is ibp) and, per open case with several rows,
 * the joint bound of min max_r row_r (o->joint); falsify (descents only up
 * to o->descend_depth); then escalate to the LP of o->method on the property
 * rows, and on max_r row_r of a case, when crown came close. Pure: the result
 * depends only on (P, R, o) - random points are seeded from o->seed and the
 * region itself - except that work stops at the absolute monotonic time
 * `deadline` (seconds, nnh_now(); 0 = none), which may leave it OPEN. */
int nnh_verify_region(const nnh_verify_problem *P, const nnh_bab_region *R, const nnh_verify_opts *o,
                      double deadline, nnh_region_result *res, nnh_error *err);

/* Falsification only (the first pass before branch and bound), with the
 * larger per-case budget of o (samples, starts, steps, corners). */
int nnh_verify_falsify(const nnh_verify_problem *P, const nnh_bab_region *R,
                       const nnh_verify_opts *o, double deadline, nnh_region_result *res,
                       nnh_error *err);

typedef struct nnh_verify_result {
    nnh_verdict verdict;
    int cex_case;              /* when sat */
    double *cex_x, *cex_y;     /* when sat: n_in and n_out entries (owned) */
    long regions;              /* regions decided */
    long regions_unsat;
    long regions_stuck;
    long neuron_splits;        /* open regions split on a neuron (not the box) */
    long case_splits;          /* open regions split into one region per open
                                  case (nnh_verify_opts.case_split) */
    long escalations;
    int max_depth;
    long max_queue;
    double seconds, seconds_falsify, seconds_bounds;
    int ranks;                 /* processes that decided regions (1 when serial) */
    int tightened;             /* root regions whose layers were LP-tightened */
    long tighten_tasks;        /* their LP bound tasks (all ranks) */
    int tighten_window;        /* the deepest LP window they used (0 = the
                              whole prefix of every layer) */
    double seconds_tighten;    /* wall seconds of the root tightening */
    unsigned long long tighten_digest; /* hash of the tightened root bounds (the
                              same at any rank count; 0 when none) */
    double tighten_lb[2];      /* the open rows' best certified lower bound of the
                              tightened roots (the smallest over them) before
                              and after the tightening, both from crown (no
                              alpha-CROWN: branch and bound runs that on the
                              tightened root); +inf when it closed */
    double seconds_idle;       /* MPI master: waiting for workers with nothing to do */
} nnh_verify_result;

void nnh_verify_result_free(nnh_verify_result *r);

/* Progress callback, called after every decided region: regions decided so
 * far, queue length, elapsed seconds. A nonzero return stops the run (no new
 * region is started; the verdict is unknown unless a counterexample is
 * already in hand) - how a command honours Ctrl-C without losing the
 * statistics. */
typedef int (*nnh_verify_progress_fn)(void *arg, long regions, long queued, double elapsed);

/* A branch-and-bound session: the prepared problem, the queue of open
 * regions (best-first: smallest falsification margin first, so a
 * counterexample is met early; for a proof every leaf must be closed anyway,
 * so the order costs nothing there) and the running result. The serial
 * driver below and the MPI master (mpi/dist_verify.c) both drive it: take a
 * region with nnh_bab_next, decide it here or on another rank, give it back
 * with its result to nnh_bab_report. */
typedef struct nnh_bab nnh_bab;

/* Prepare the problem and falsify every case group with the large budget,
 * shared by the groups when there are several (a group's root left open by
 * bounding gets the rest of its share in nnh_bab_report); res->verdict
 * becomes SAT when that already finds a counterexample.
 * res must stay alive until nnh_bab_end. */
int nnh_bab_begin(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                  nnh_verify_result *res, nnh_verify_progress_fn progress, void *progress_arg,
                  nnh_bab **out, nnh_error *err);
const nnh_verify_problem *nnh_bab_problem(const nnh_bab *B);
/* Absolute deadline (nnh_now() seconds; 0 = none). */
double nnh_bab_deadline(const nnh_bab *B);
/* The next region to decide (the caller owns it until nnh_bab_report), or
 * NULL: either the run is over (nnh_bab_over: a counterexample, the
 * timeout, or --max-regions), or the queue is empty for now (regions still
 * being decided elsewhere may refill it). */
nnh_bab_region *nnh_bab_next(nnh_bab *B);
int nnh_bab_over(const nnh_bab *B);
/* Regions waiting in the queue. */
long nnh_bab_queued(const nnh_bab *B);
/* Account R's result: a counterexample ends the run (even after a timeout:
 * a definite answer wins), an open region is split and its halves queued
 * (an open root of one of several groups is falsified further first).
 * Frees R. */
int nnh_bab_report(nnh_bab *B, nnh_bab_region *R, const nnh_region_result *rr, nnh_error *err);
/* Final verdict (unsat when the queue ran dry with no region stuck; a
 * region still queued or stuck makes it unknown/timeout), timing, and free. */
void nnh_bab_end(nnh_bab *B);

/* Serial driver: nnh_bab_begin, then decide regions one by one. */
int nnh_verify(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
               nnh_verify_result *res, nnh_verify_progress_fn progress, void *progress_arg,
               nnh_error *err);

#endif
