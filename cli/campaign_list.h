/* `nnhull campaign` files: the instances list (VNN-COMP layout
 * onnx,vnnlib,timeout_s, paths relative to the list's folder) and the
 * results table DIR/results.csv, one fsync'ed row per finished instance. */
#ifndef NNH_CAMPAIGN_LIST_H
#define NNH_CAMPAIGN_LIST_H

#include "nnhull/io.h"

#include <stdio.h>

typedef struct camp_inst {
    char *onnx, *vnnlib;   /* as written in the list (the results' key) */
    char *net, *spec;      /* resolved against the list's folder */
    double timeout;        /* seconds (0: none) */
    double expected;       /* seconds of a previous result, -1 when none */
    int finished;          /* a row for it is in results.csv (--resume) */
    int has_row;           /* row holds its result (kept or from this run) */
    nnh_campaign_row row;  /* for results.h5 (strings borrowed) */
} camp_inst;

/* Read the instances list (a header line and blank lines are skipped).
 * Prints the reason and returns 1 on failure, 0 on success. */
int camp_read_instances(const char *csv, camp_inst **out, int *n);
void camp_free_instances(camp_inst *v, int n);

/* The results table's header line (without the newline). */
#define CAMP_RESULTS_HEADER "onnx,vnnlib,result,seconds,regions,rank_seconds,rank"

/* Read an earlier DIR/results.csv (missing: nothing): every instance with a
 * complete row gets expected = its seconds and, when keep != 0, finished = 1
 * and its row (has_row; statistics NaN / -1);
 * the file is then rewritten with only those rows (keep) or only the header
 * (a new campaign), and opened for appending in *out. 1 on failure. */
int camp_open_results(const char *path, camp_inst *v, int n, int keep, FILE **out);

/* Append one row and push it to the disk (fflush + fsync). 1 on failure. */
int camp_append_row(FILE *f, const char *path, const camp_inst *in, const char *result,
                    double seconds, long regions, double rank_seconds, int rank);

#endif
