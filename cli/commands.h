/* The nnhull subcommands: one function per command (cli/cmd_<name>.c), listed
 * in the table in cli/main.c, and the bound-engine signature used by the
 * method table of `nnhull bounds` (cli/cmd_bounds.c). */
#ifndef NNH_COMMANDS_H
#define NNH_COMMANDS_H

#include "nnhull/nnhull.h"

/* A command gets argv[0] = its own name and returns the exit status
 * (0 ok, 1 failure, 2 usage). Adding a command = declare it here and add one
 * line {name, function, summary} to the table in main.c. */
typedef int (*nnh_cli_fn)(int argc, char **argv);

typedef struct nnh_cli_command {
    const char *name;
    nnh_cli_fn run;
    const char *summary; /* one line for `nnhull --help` */
} nnh_cli_command;

int cmd_info(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bounds(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_envelope(int argc, char **argv); /* cli/cmd_envelope.c (not in the table yet) */

/* A bound engine, as listed in the method table of cli/cmd_bounds.c.
 *   net          the network (read only)
 *   b            bounds over ONE input region, made by nnh_bounds_create (all
 *                layers [-inf, inf], b->in_lo/in_hi the region); the engine
 *                tightens every layer in place and must stay sound
 *   stats        n_layers entries; the engine ADDS its work per layer (seconds,
 *                LP solves, ...), because the caller zeroes them once and runs
 *                the engine region after region
 *   options_json engine options as a JSON object text ("{}" by default, from
 *                `--engine-opts`); unknown keys are an NNH_EINVAL error
 *   err          message on failure (0 / negative NNH_E* return)
 * Adding an engine = one line {name, function, summary} in that table. */
typedef int (*nnh_engine_fn)(const nnh_network *net, nnh_bounds *b, nnh_layer_stats *stats,
                             const char *options_json, nnh_error *err);

#endif
