/* Readers and writers for network, property and bound files:
 * ONNX (protobuf-c), .nnet, VNNLIB, and the HDF5 "nnhull-bounds" file. */
#ifndef NNH_IO_H
#define NNH_IO_H

#include "nnhull/activation.h"
#include "nnhull/bounds.h"
#include "nnhull/envelope.h"
#include "nnhull/export.h"
#include "nnhull/network.h"
#include "nnhull/spec.h"
#include "nnhull/verify.h"

#include <stddef.h>
#include <stdint.h>

typedef struct nnh_load_opts {
    int strip_softmax;      /* drop a trailing Softmax instead of refusing it */
    int nnet_normalized;    /* .nnet: do not fold the input normalisation and
                               output scaling (evaluate on normalised values,
                               as VNN-COMP's ACAS Xu properties expect). The
                               input domain is then the normalised header box
                               ((min - mean) / range, (max - mean) / range) and
                               evaluation clamps to it. VNN-COMP's ACAS Xu ONNX
                               files have no clamp: nnet(x) == onnx(clamp(x)),
                               so they agree only inside that box. Default (0):
                               raw inputs, clamped to the header's min/max, then
                               (x - mean) / range and y * range_out + mean_out,
                               both folded into the first and last layers. */
    int nnet_output_relu;   /* .nnet: apply ReLU on the output layer too (in raw
                               mode the output scaling then follows the ReLU as
                               an extra diagonal affine layer) */
    int dense_layers;       /* ONNX: store every layer as a dense matrix (by
                               default a layer whose weights are mostly zero,
                               a convolution, is kept in compressed rows);
                               for comparisons and benchmarks */
} nnh_load_opts;

void nnh_load_opts_init(nnh_load_opts *o);

/* Read a whole file into a NUL-terminated malloc'ed buffer (*out, caller
 * frees; *len bytes without the NUL). NNH_EIO when it cannot be opened or
 * read, NNH_EUNSUPPORTED past max_len bytes; messages name the file. */
int nnh_read_file(const char *path, size_t max_len, char **out, size_t *len, nnh_error *err);

/* Load by file extension (.onnx, .nnet); messages name the file and the
 * line (nnet) or node (onnx) at fault. */
int nnh_load_network(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);
int nnh_load_onnx(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);
int nnh_load_onnx_buffer(const void *data, size_t len, const char *name, const nnh_load_opts *o,
                         nnh_network **out, nnh_error *err);
int nnh_load_nnet(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err);

/* VNNLIB (the VNN-COMP subset of SMT-LIB). The file states the
 * counterexample: the result is the union of its cases (nnh_spec).
 * - n_in/n_out = number of (declare-const X_i Real) / (declare-const Y_j Real);
 *   indices must run from 0 without gaps and be declared before use. Callers
 *   check that they match the network.
 * - All asserts are conjoined. Formulas: and, or (nested anywhere, input
 *   bounds included), true, false, and the comparisons <=, >=, <, >, =
 *   (chains allowed) between linear expressions built from numbers
 *   (integers, decimals, exponent notation), variables, (+ ...), (- a),
 *   (- a b ...), (* ...) with at most one non-constant factor.
 *   (check-sat), (get-model), (exit), (set-logic ..), (set-info ..),
 *   (set-option ..) are ignored; ';' starts a comment.
 * - The formula is expanded to disjunctive normal form (at most 100000
 *   cases). In each case an atom over inputs only must bound one variable
 *   (a X_i <= c, >=, =) and narrows that case's box; inputs never bounded
 *   stay at -inf/+inf (the caller decides). An atom over outputs only becomes
 *   rows c^T y <= d (>= is negated, = gives two rows).
 * - Strict < and > are read as <= and >=. This only enlarges the
 *   counterexample region, so "no counterexample" proofs stay sound; a
 *   counterexample found on the boundary may violate the strict inequality.
 * - Rounding: literals are the nearest doubles (as every VNN-COMP tool reads
 *   them). Arithmetic on constants (moving them across, scaling a bound) is
 *   rounded outward so the region only grows; coefficients must stay exact
 *   in double arithmetic (else NNH_EUNSUPPORTED). A literal with a nonzero
 *   digit whose nearest double is 0 (1e-400) is refused (NNH_EPARSE), so a
 *   zero in a box or a row is exactly zero.
 * - Cases whose box is empty, or with a constant false atom, are dropped;
 *   n_cases == 0 then means the region is empty (the property holds).
 * - Errors: NNH_EPARSE "path:line:col: expected ..., found ..." for malformed
 *   text (parentheses, unknown symbol or command, undeclared or redeclared
 *   variable, bad number, nesting deeper than 1000); NNH_EUNSUPPORTED with
 *   line:col for valid SMT-LIB outside the subset (atoms mixing X and Y,
 *   linear constraints over several inputs, products of variables, not, xor,
 *   =>, ite, /, sorts other than Real) and for too many cases. On error *out
 *   is NULL. `name` is the path used in messages and kept in spec->source. */
int nnh_load_vnnlib(const char *path, nnh_spec **out, nnh_error *err);
int nnh_parse_vnnlib(const char *text, const char *name, nnh_spec **out, nnh_error *err);

/* ---- Plain-text numbers: box files, --center files, number lists ----
 * Numbers are separated by commas and/or white space and read with strtod
 * (inf allowed, NaN refused); in files '#' starts a comment to the end of
 * the line. Arrays are malloc'ed; the caller frees them. */

/* The numbers of text (no comments). NNH_EPARSE "bad number 'TOKEN'". */
int nnh_parse_numbers(const char *text, double **v, int *n, nnh_error *err);
/* A file of numbers (e.g. `nnhull bounds --center F`). Errors name the file
 * and line ("F:3: bad number 'x'"). */
int nnh_read_numbers(const char *path, double **v, int *n, nnh_error *err);
/* A box file: one "lo hi" line per input in input order, blank and
 * comment lines skipped; *n intervals in lo/hi. NNH_EPARSE naming file:line
 * for a bad number, a line without exactly two numbers, or lo > hi. The
 * caller checks *n against the network. */
int nnh_read_box(const char *path, double **lo, double **hi, int *n, nnh_error *err);

/* ---- One neuron as JSON (`nnhull envelope` input lines) ----
 * {"act":"sigmoid","w":[..],"b":..,"l":[..],"u":[..],"x":[..],"y":..}:
 * "alpha" only for leaky_relu, elu and selu; "b" defaults to 0; "y" is
 * optional (null = absent). Every number must be finite and at most
 * NNH_NEURON_JSON_MAX in magnitude, so products of two stay far from
 * overflow. */
#define NNH_NEURON_JSON_MAX 1e100

typedef struct nnh_neuron_json {
    nnh_activation act;
    nnh_neuron nr;           /* act -> &act; w, l, u of length nr.n */
    double *w, *l, *u, *x;   /* point into buf */
    double y;
    int has_y;
    double *buf;             /* owned, reused across lines (nnh_neuron_json_free) */
    int cap;
} nnh_neuron_json;

/* Parse one line into L (zero-initialise L before the first call; its
 * buffer grows as needed). NNH_EPARSE for text that is not a JSON object,
 * NNH_EINVAL naming the key for a bad field, NNH_ENOMEM. */
int nnh_neuron_json_parse(nnh_neuron_json *L, const char *text, nnh_error *err);
/* Free L's buffer (L may be reused after). */
void nnh_neuron_json_free(nnh_neuron_json *L);

/* ---- Engine options as JSON (the schema is in engine.h) ----
 * json is an object {"key": number, ...}; each key is set with
 * nnh_bound_opts_set for o->method, in order (so the codes and messages are
 * that function's), and recorded in given (may be NULL). NNH_EPARSE when
 * json is not a JSON object; NNH_EINVAL for a value that is not a number or
 * a key given twice. On failure o may be partly set. */
int nnh_bound_opts_parse_json(nnh_bound_opts *o, const char *json, nnh_bound_opts_given *given,
                              nnh_error *err);

/* What a `bounds` run was given, recorded as the bound file's "options"
 * attribute (nnh_h5_meta.options_json). */
typedef struct nnh_bounds_request {
    const char *method;         /* engine name */
    const char *spec;           /* the region source: a VNNLIB file, */
    const char *box;            /*   a box file, or (both NULL) */
    const char *center;         /*   the ball around center (as given: numbers or a file) */
    double eps;                 /*   of radius eps */
    const char *clip;           /* "LO,HI" as given, or NULL */
    int split;                  /* --split K (0: none) */
    nnh_load_opts load;
    const nnh_bound_opts *engine;       /* the options in force (NULL: none given) */
    const nnh_bound_opts_given *given;  /* which of them the user gave, in order */
} nnh_bounds_request;

/* The request as one JSON object: method, region ("spec", "box" or
 * "center"), box, center and eps, clip, split (those given), the load
 * options, and "engine_options" with the given engine options in the order
 * given. Returns a malloc'ed string (caller frees), NULL when out of memory. */
char *nnh_bounds_request_json(const nnh_bounds_request *r);

/* ---- Exported models (`nnhull export`) ----
 * nnh_export_write's model with comment lines at the top: header (lines
 * separated by '\n', e.g. the network's SHA-256, method, region, version),
 * then the model's notes (info->notes), then GLPK's text. Written under
 * "<path>.tmp.<pid>" and renamed to path; on failure nothing is left. */
int nnh_export_file(const char *path, const char *header, const nnh_network *net,
                    const nnh_bounds *b, const nnh_export_opts *o, nnh_export_info *info,
                    nnh_error *err);

/* ---- SHA-256 (FIPS 180-4): provenance of the network file in bound files ---- */
typedef struct nnh_sha256_ctx {
    uint32_t h[8];
    uint64_t len;            /* bytes hashed so far */
    unsigned char buf[64];
    size_t nbuf;
} nnh_sha256_ctx;

void nnh_sha256_init(nnh_sha256_ctx *c);
void nnh_sha256_update(nnh_sha256_ctx *c, const void *data, size_t n);
void nnh_sha256_final(nnh_sha256_ctx *c, unsigned char digest[32]);
/* Lower-case hex of a digest, NUL-terminated. */
void nnh_sha256_hex(const unsigned char digest[32], char hex[65]);
/* Hex digest of a whole file. */
int nnh_sha256_file(const char *path, char hex[65], nnh_error *err);

/* ---- output files: exclusive temporaries, inputs never overwritten ----
 * Every output of nnhull is written under a temporary name in its own
 * directory and renamed over the final name when complete. */

/* Create "<path>.tmp.<pid>.<6 random letters or digits>" with O_CREAT | O_EXCL |
 * O_NOFOLLOW (mode 0666 & ~umask): never an existing file, never through a
 * symlink. *tmp (malloc'd; caller frees) is its name, *fd is open for writing. */
int nnh_temp_create(const char *path, char **tmp, int *fd, nnh_error *err);
/* Make the temporary's content exactly buf[0..n) (written from offset 0,
 * then truncated to n); NNH_EIO naming tmp and the reason (ENOSPC, EFBIG, ...). */
int nnh_temp_write(int fd, const char *tmp, const void *buf, size_t n, nnh_error *err);
/* fsync and close fd, rename tmp to path; on failure tmp is removed. */
int nnh_temp_commit(int fd, const char *tmp, const char *path, nnh_error *err);
/* Close fd (when >= 0) and remove tmp (when not NULL). */
void nnh_temp_discard(int fd, const char *tmp);
/* path := buf[0..n) through a temporary (create, write, commit). */
int nnh_write_file_atomic(const char *path, const void *buf, size_t n, nnh_error *err);
/* Remove the temporaries of path ("<path>.tmp.<pid>" and
 * "<path>.tmp.<pid>.<suffix>", regular files only) whose process no longer
 * exists: the directory is listed and names are compared exactly. */
void nnh_temp_remove_stale(const char *path);
/* 1 when process pid exists on this host and has not exited: a zombie (killed,
 * not yet reaped by its parent) counts as gone. */
int nnh_process_alive(long pid);
/* NNH_EINVAL when out exists and is the same file (device and inode, so any
 * spelling, symlink or hard link) as one of inputs[0..n_inputs) (NULL
 * entries are skipped); the message names both. */
int nnh_output_check(const char *out, const char *const *inputs, int n_inputs, nnh_error *err);

/* ---- HDF5 "nnhull-bounds" files, format version 2 (layout: docs/hdf5-format.md) ----
 * Writing is incremental so that a checkpointing run can store layer after
 * layer: nnh_h5_create writes the provenance and the R input regions with
 * status "partial"; nnh_h5_write_layer stores layer k of every region;
 * nnh_h5_write_stats the per-layer statistics; nnh_h5_finish sets the
 * status and renames the file to <path>. The file is built in memory and
 * written by nnhull itself to an exclusive temporary beside <path>
 * (nnh_temp_create: "<path>.tmp.<pid>.<suffix>", created at once so that an
 * unwritable location fails before any work); nnh_h5_abort (and any failing
 * call) removes it, so no half-written file ever appears under the final
 * name, and a full disk is an NNH_EIO error. Version 2: string attributes
 * are fixed-length UTF-8 (version 1's variable-length strings are refused),
 * every dataset X has its SHA-256 digest beside it (attribute "X_sha256" of
 * its group), checked on reading, and the metadata has HDF5's checksums
 * (file format of HDF5 1.8).
 * HDF5's own error printing is silenced inside these functions; messages
 * name the file and the object. */

#define NNH_H5_FORMAT "nnhull-bounds"
#define NNH_H5_FORMAT_VERSION 2

typedef struct nnh_h5_meta {
    const char *network_path;   /* recorded as given; "" when NULL */
    const char *network_sha256; /* 64 hex chars; NULL: computed from network_path */
    const char *spec_path;      /* "" when NULL (regions from --box/--center) */
    const char *method;         /* engine name ("ibp", ...) */
    const char *options_json;   /* JSON object of the run's options; "{}" when NULL */
    int mpi_ranks;              /* 1 without MPI */
} nnh_h5_meta;

void nnh_h5_meta_init(nnh_h5_meta *m);

typedef struct nnh_h5_writer nnh_h5_writer;

/* Start a bound file for net over n_regions input boxes (lower/upper are
 * n_regions x n_inputs, row-major). On failure nothing is left on disk. */
int nnh_h5_create(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                  int n_regions, const double *lower, const double *upper, nnh_h5_writer **out,
                  nnh_error *err);
/* Store layer k of every region: regions[r] for r < n_regions (shapes must
 * match the network). Layers may be written in any order, each once. */
int nnh_h5_write_layer(nnh_h5_writer *w, int k, nnh_bounds *const *regions, nnh_error *err);
/* Store (overwrite) the statistics of all layers: stats has n_layers entries. */
int nnh_h5_write_stats(nnh_h5_writer *w, const nnh_layer_stats *stats, nnh_error *err);
/* Write what is written so far to the temporary file (a readable partial file). */
int nnh_h5_flush(nnh_h5_writer *w, nnh_error *err);
/* Temporary path being written ("<path>.tmp.<pid>.<suffix>"). */
const char *nnh_h5_temp_path(const nnh_h5_writer *w);
/* Set status ("complete" when complete != 0, else "partial"), close and
 * rename to the final path. Refuses complete != 0 unless every layer was
 * written. Frees w in every case; on failure the temporary file is removed. */
int nnh_h5_finish(nnh_h5_writer *w, int complete, nnh_error *err);
/* Close, remove the temporary file, free w (w may be NULL). */
void nnh_h5_abort(nnh_h5_writer *w);

/* Continue a file written earlier (typically status "partial"): <path> is
 * read into memory (with a new temporary beside it) and opened for writing;
 * it must match net (inputs, layers, widths). <path> itself stays untouched
 * until finish. A
 * checkpoint during a long run is nnh_h5_finish(w, 0) (a consistent partial
 * file under the final name) followed by nnh_h5_reopen. */
int nnh_h5_reopen(const char *path, const nnh_network *net, nnh_h5_writer **out,
                  nnh_error *err);
/* 1 when layer k is in the file (written now or before a reopen). */
int nnh_h5_layer_written(const nnh_h5_writer *w, int k);

/* One shot: create + every layer + stats + finish(complete). */
int nnh_h5_write_bounds(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                        int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                        nnh_error *err);

/* The file of `nnhull verify --out`: a bound file of the property's input
 * boxes (as nnh_h5_write_bounds) plus the /verdict group (result, statistics,
 * the counterexample when r is sat), written under a temporary name and
 * renamed to path; on failure nothing is left under either name. */
int nnh_h5_write_verdict(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                         int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                         const nnh_verify_opts *o, const nnh_verify_result *r, nnh_error *err);

/* A bound file read back. Layers absent from a partial file have
 * present[k] == 0 and NULL arrays in every region. */
typedef struct nnh_h5_file {
    char *format, *nnhull_version, *created_utc, *network_path, *network_sha256, *spec_path,
        *method, *options, *status;
    int format_version, mpi_ranks;
    int complete;             /* status == "complete" */
    int n_regions, n_in, n_layers;
    nnh_bounds **regions;     /* n_regions; in_lo/in_hi from /regions */
    char **activation;        /* n_layers (NULL for absent layers) */
    int *present;             /* n_layers */
    nnh_layer_stats *stats;   /* n_layers */
} nnh_h5_file;

/* Read a whole bound file. Every attribute and dataset is checked (kind,
 * shape, size, digest) before it is trusted: NNH_EPARSE for a damaged or
 * malformed file, NNH_EUNSUPPORTED for another format version (1 included),
 * NNH_EIO when it cannot be opened; the message names the file. */
int nnh_h5_read(const char *path, nnh_h5_file **out, nnh_error *err);
void nnh_h5_file_free(nnh_h5_file *f);

/* ---- Campaign tables (`nnhull campaign`: DIR/results.h5) ---- */
typedef struct nnh_campaign_row {
    const char *onnx, *vnnlib;   /* as in the instances list */
    const char *result;          /* sat | unsat | unknown | timeout | error */
    const char *network_sha256;  /* 64 hex chars, "" when unreadable */
    const char *spec_sha256;
    double seconds, timeout;
    double rank_seconds;         /* the owner's seconds plus its helpers' */
    long regions, regions_proved, regions_stuck, escalations;
    int max_depth, rank;
    double seconds_falsify, seconds_bounds; /* NaN when unknown (rows kept by --resume) */
} nnh_campaign_row;

/* Write the table: group /instances with one dataset of n entries per
 * column (strings fixed-length, NUL-terminated), root attributes format
 * "nnhull-campaign", format_version 1, nnhull_version, created_utc,
 * instances_csv, options (JSON), mpi_ranks; under "<path>.tmp.<pid>",
 * renamed to path when complete. 0 or NNH_EIO/NNH_ENOMEM. */
int nnh_h5_write_campaign(const char *path, const char *instances_csv, const char *options_json,
                          int mpi_ranks, int n, const nnh_campaign_row *rows, nnh_error *err);

#endif
