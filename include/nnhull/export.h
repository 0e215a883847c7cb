/* The network as an optimization model for any LP/MILP solver (`nnhull
 * export`): variables x, z, a, y with certified bounds, the affine rows,
 * 1-D envelope cuts, multivariate hull cuts and the big-M form of unstable
 * ReLUs, written through GLPK's CPLEX LP or free MPS writers. Every row is
 * valid for the network on the region after decimal rounding of the file. */
#ifndef NNH_EXPORT_H
#define NNH_EXPORT_H

#include "nnhull/bounds.h"
#include "nnhull/network.h"
#include "nnhull/error.h"

typedef enum {
    NNH_EXPORT_LP = 0, /* CPLEX LP (glp_write_lp: numbers with 15 significant digits) */
    NNH_EXPORT_MPS     /* free MPS (glp_write_mps: numbers of at most 12 characters) */
} nnh_export_format;

typedef struct nnh_export_opts {
    nnh_export_format format;
    int milp;             /* binaries and big-M rows for unstable ReLU / leaky ReLU */
    int hull_cuts;        /* run the multivariate cut loop (method hull) */
    double env_tol;       /* 1-D envelopes: the tangents and secants written are
                             within this (absolute) of the exact envelope... */
    int env_max_cuts;     /* ...unless this many per neuron and side are reached */
    int cut_rounds;       /* hull cut loop: rounds per objective */
    double cut_tol;       /* hull cut loop: minimum violation of an added cut */
    int objective_sense;  /* 0: objective 0; -1 minimise, +1 maximise objective */
    const char *objective; /* a variable name ("y_3", "a_1_7", ...) when sense != 0 */
} nnh_export_opts;

/* What was written (for the file's comment lines and the caller's summary). */
typedef struct nnh_export_info {
    int n_cols, n_rows, n_binaries;
    long env_cuts;        /* 1-D envelope rows */
    long hull_cuts;       /* multivariate hull rows kept (binding at the end) */
    long hull_found;      /* multivariate hull rows found by the loop */
    int lp_solves;        /* LPs solved by the cut loop */
    int milp_other;       /* --milp: nonlinear neurons left relaxed (not ReLU/leaky) */
    double env_gap;       /* largest gap of the written 1-D cuts to the exact envelope */
    double max_relax;     /* largest outward move of a row or bound for decimal rounding */
    char notes[2048];     /* lines (each ending in '\n') describing the model */
} nnh_export_info;

/* Defaults: LP format, no MILP, no hull cuts, env_tol 1e-4, 32 envelope
 * cuts per side, 5 cut rounds, cut_tol 1e-6, objective 0. */
void nnh_export_opts_init(nnh_export_opts *o);

/* "lp", "mps"; parse: 0 or NNH_EINVAL. */
const char *nnh_export_format_name(nnh_export_format f);
int nnh_export_format_parse(const char *name, nnh_export_format *f);

/* Build the model of net over the (first-layer clamped) region of b, whose
 * bounds must be certified and finite for every layer, and write it to path
 * with GLPK's writer for o->format (GLPK's own header only; see
 * nnh_export_file in io.h for the provenance lines). Every GLPK call runs
 * under nnh_glpk_guard; numbers beyond NNH_LP_MAX_MAGNITUDE are refused
 * (NNH_EUNSUPPORTED naming the variable or row); an unknown objective name
 * is NNH_EINVAL. info (may be NULL) is filled. */
int nnh_export_write(const nnh_network *net, const nnh_bounds *b, const nnh_export_opts *o,
                     const char *path, nnh_export_info *info, nnh_error *err);

#endif
