/* nnhull command-line entry point: dispatches to the subcommands listed in
 * one table (name, function, summary); --help, --version and `help CMD`. */
#include "cli_common.h"
#include "commands.h"

#include <stdio.h>
#include <string.h>

static const nnh_cli_command commands[] = {
    {"info", cmd_info, "layers, sizes, activations of a network"},
    {"eval", cmd_eval, "forward pass (arguments, or one input row per stdin line)"},
    {"envelope", cmd_envelope, "envelopes and cuts of one neuron per JSON line (stdin -> stdout)"},
    {"bounds", cmd_bounds, "certified per-neuron bounds over an input region -> HDF5 file"},
    {"report", cmd_report, "human summary of a bound file"},
    {"export", cmd_export, "the network over a region as an LP/MILP model file (LP or MPS)"},
    {"verify", cmd_verify, "decide a VNNLIB property: unsat, sat (+ counterexample), unknown, timeout"},
    {"campaign", cmd_campaign, "verify every instance of a benchmark list (one launch) -> results.csv"},
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void main_help(FILE *out)
{
    fprintf(out, "usage: nnhull COMMAND [OPTIONS] [ARGS]\n"
                 "Certified bounds on trained neural networks (nnhull %s).\n\ncommands:\n",
            nnh_version());
    for (int i = 0; i < n_commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  nnhull COMMAND --help   (or nnhull help COMMAND) for its options\n"
                 "  nnhull --version\n\n"
                 "Exit status: 0 success, 1 failure (reason on stderr, prefixed 'nnhull:'),\n"
                 "2 usage error.\n");
}

static const nnh_cli_command *find_command(const char *name)
{
    for (int i = 0; i < n_commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "nnhull: unknown command '%s'\nTry 'nnhull --help'.\n", name);
    return CLI_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_help(stderr);
        return CLI_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
        printf("nnhull %s\n", nnh_version());
        return CLI_OK;
    }
    if (!strcmp(a, "--help") || !strcmp(a, "-h") || (!strcmp(a, "help") && argc == 2)) {
        main_help(stdout);
        return CLI_OK;
    }
    if (!strcmp(a, "help")) {
        const nnh_cli_command *c = find_command(argv[2]);
        if (!c)
            return unknown_command(argv[2]);
        char *hargv[3] = {argv[2], "--help", NULL};
        return c->run(2, hargv);
    }
    const nnh_cli_command *c = find_command(a);
    if (!c)
        return unknown_command(a);
    return c->run(argc - 1, argv + 1);
}
