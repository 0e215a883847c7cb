/* Helpers shared by the nnhull subcommands: a small option parser (long
 * options, negative numbers stay positional), network loading with the
 * common load options, and `nnhull: <reason>` messages with the exit
 * codes 0 ok / 1 failure / 2 usage. */
#ifndef NNH_CLI_COMMON_H
#define NNH_CLI_COMMON_H

#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <stddef.h>

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One long option "--name" (has_arg: takes a value as "--name V" or "--name=V"). */
typedef struct cli_opt {
    const char *name;
    int has_arg;
    int id; /* > 0, returned by cli_next */
} cli_opt;

/* cli_next results besides option ids */
enum { CLI_END = 0, CLI_POS = -1, CLI_ERR = -2, CLI_HELP = -3 };

typedef struct cli_parser {
    const char *cmd;     /* command name, for messages */
    int argc, i;
    char **argv;         /* argv[0] is the command name */
    const cli_opt *opts; /* terminated by {NULL, 0, 0} */
    int only_positional; /* after "--" */
} cli_parser;

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, const cli_opt *opts);
/* Next option id, CLI_POS (*val = the argument), CLI_HELP (-h/--help),
 * CLI_END, or CLI_ERR (usage message already printed: return CLI_USAGE). */
int cli_next(cli_parser *p, const char **val);

/* Load options shared by info, eval and bounds. */
enum {
    CLI_OPT_STRIP_SOFTMAX = 1000,
    CLI_OPT_NNET_NORMALIZED,
    CLI_OPT_NNET_OUTPUT_RELU,
    CLI_OPT_DENSE_LAYERS
};
#define CLI_LOAD_OPTS                                                                          \
    {"strip-softmax", 0, CLI_OPT_STRIP_SOFTMAX}, {"nnet-normalized", 0, CLI_OPT_NNET_NORMALIZED}, \
        {"nnet-output-relu", 0, CLI_OPT_NNET_OUTPUT_RELU},                                     \
        {"dense-layers", 0, CLI_OPT_DENSE_LAYERS}
#define CLI_LOAD_HELP                                                                          \
    "  --strip-softmax      drop a trailing Softmax (sound only for properties comparing\n"      \
    "                       outputs with each other)\n"                                         \
    "  --nnet-normalized    .nnet: evaluate on normalised inputs/outputs (VNN-COMP ACAS Xu)\n" \
    "  --nnet-output-relu   .nnet: apply ReLU on the output layer too\n"                     \
    "  --dense-layers       ONNX: store convolutions as dense matrices (comparisons only)\n"
/* 1 when id is a load option (applied to o), else 0. */
int cli_load_option(int id, nnh_load_opts *o);

/* Print "nnhull: <message>" on stderr; return CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "nnhull: <cmd>: <message>" and a pointer to --help; return CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Refuse (usage error, message printed) when out, or with checkpoint != 0
 * also the checkpoint name of `bounds` (OUT.partial.h5), is the same file
 * as one of inputs[0..n) (NULL entries skipped); out may be NULL. */
int cli_check_output(const char *cmd, const char *out, int checkpoint, const char *const *inputs,
                     int n);

/* Load a network; prints the reason and returns CLI_FAIL on error. */
int cli_load_network(const char *path, const nnh_load_opts *o, nnh_network **net);

/* --tighten-opts JSON of verify and campaign (json may be NULL: nothing to
 * do): the keys of the engine-option schema for the tightening's method (hull
 * unless o->tighten is lp1d), set over the defaults; time limits are refused
 * (the tightened bounds must not depend on the load). CLI_OK, or the message
 * printed and CLI_USAGE / CLI_FAIL. */
int cli_tighten_opts(const char *cmd, const char *json, nnh_verify_opts *o);
/* --split MODE and --tighten T of verify and campaign into o: CLI_OK, or
 * the usage message naming the value. */
int cli_split_option(const char *cmd, const char *v, nnh_verify_opts *o);
int cli_tighten_option(const char *cmd, const char *v, nnh_verify_opts *o);
/* --tighten-fraction F: a number in (0, 1] into o->tighten_fraction. */
int cli_tighten_fraction_option(const char *cmd, const char *v, nnh_verify_opts *o);
/* --alpha off|root|on|auto and --alpha-iters N into o (CLI_OK or a usage error). */
int cli_alpha_option(const char *cmd, const char *v, nnh_verify_opts *o);
int cli_alpha_iters_option(const char *cmd, const char *v, nnh_verify_opts *o);
/* --node-layers V into o->node_layers: CLI_OK or CLI_USAGE. */
int cli_node_layers_option(const char *cmd, const char *v, nnh_verify_opts *o);

/* *out = v read as a finite number >= lo: 0, or -1 (out untouched) when v
 * is not one. */
int cli_number(const char *v, double lo, double *out);

/* Seconds on a monotonic clock (for "took X s" lines; not for results). */
double cli_seconds(void);

#endif
