/* Scratch file of the libFuzzer harnesses (see fuzz_common.h): one per
 * process, rewritten for every input, removed at exit. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char scratch[4096];

static void scratch_remove(void) { unlink(scratch); }

const char *fuzz_scratch(const uint8_t *data, size_t size, const char *suffix)
{
    if (!scratch[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/nnh_fuzz_%ld%s", dir && *dir ? dir : "/tmp",
                 (long)getpid(), suffix);
        atexit(scratch_remove);
    }
    FILE *f = fopen(scratch, "wb");
    if (!f)
        return NULL;
    size_t put = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || put != size)
        return NULL;
    return scratch;
}
