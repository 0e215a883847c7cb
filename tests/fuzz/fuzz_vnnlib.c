/* libFuzzer harness: the VNNLIB parser (nnh_parse_vnnlib) on arbitrary
 * text (the bytes up to the first NUL, as a file read would give). */
#include "nnhull/nnhull.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nnh_spec *spec = NULL;
    nnh_error err;
    if (nnh_parse_vnnlib(text, "fuzz.vnnlib", &spec, &err) == NNH_OK)
        nnh_spec_free(spec);
    free(text);
    return 0;
}
