/* libFuzzer harness: the ONNX reader (nnh_load_onnx_buffer) on arbitrary
 * bytes, with the default options and with softmax stripping. Any crash,
 * leak or undefined behaviour is a finding; errors are expected. */
#include "nnhull/nnhull.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    for (int strip = 0; strip < 2; strip++) {
        o.strip_softmax = strip;
        nnh_network *net = NULL;
        nnh_error err;
        if (nnh_load_onnx_buffer(data, size, "fuzz.onnx", &o, &net, &err) == NNH_OK)
            nnh_network_free(net);
    }
    return 0;
}
