/* nnhull command-line entry point (stub until the CLI lands). */
#include "nnhull.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("nnhull %s\n", nnh_version());
        return 0;
    }
    fprintf(stderr, "usage: nnhull COMMAND ...\n");
    return 2;
}
