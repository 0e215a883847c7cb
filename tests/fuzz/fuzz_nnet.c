/* libFuzzer harness: the .nnet reader (nnh_load_nnet, through a scratch
 * file) with the plain options and with --nnet-normalized
 * --nnet-output-relu. */
#include "fuzz_common.h"
#include "nnhull/nnhull.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_scratch(data, size, ".nnet");
    if (!path)
        return 0;
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    for (int variant = 0; variant < 2; variant++) {
        o.nnet_normalized = variant;
        o.nnet_output_relu = variant;
        nnh_network *net = NULL;
        nnh_error err;
        if (nnh_load_nnet(path, &o, &net, &err) == NNH_OK)
            nnh_network_free(net);
    }
    return 0;
}
