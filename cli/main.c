/* nnhull command-line entry point (stub until the CLI lands). */
#include "nnhull.h"

#include <stdio.h>
#include <string.h>

int cmd_envelope(int argc, char **argv); /* cli/cmd_envelope.c */

int main(int argc, char **argv)
{
    /* minimal dispatch until the CLI command table lands (branch cli) */
    if (argc > 1 && !strcmp(argv[1], "envelope"))
        return cmd_envelope(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("nnhull %s\n", nnh_version());
        return 0;
    }
    fprintf(stderr, "usage: nnhull COMMAND ...\n");
    return 2;
}
