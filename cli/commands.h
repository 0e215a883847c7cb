/* The nnhull subcommands: one function per command (cli/cmd_<name>.c), listed
 * in the table in cli/main.c. */
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
int cmd_envelope(int argc, char **argv); /* cli/cmd_envelope.c */
int cmd_export(int argc, char **argv);   /* cli/cmd_export.c */
int cmd_campaign(int argc, char **argv); /* cli/cmd_campaign.c */

#endif
