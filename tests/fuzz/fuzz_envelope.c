/* libFuzzer harness: `nnhull envelope` (cli/cmd_envelope.c) on arbitrary
 * JSON lines: the input becomes its stdin (fmemopen), its answers go to
 * /dev/null. Exercises the line parser and the oracle behind it. */
#include "commands.h"

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        if (!freopen("/dev/null", "w", stdout))
            return 0;
        quiet = 1;
    }
    if (size == 0)
        return 0;
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0;
    FILE *saved = stdin;
    stdin = in;
    char name[] = "envelope";
    char *argv[] = {name, NULL};
    cmd_envelope(1, argv);
    stdin = saved;
    fclose(in);
    return 0;
}
