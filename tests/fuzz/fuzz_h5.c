/* libFuzzer harness: the bound file reader (nnh_h5_read, through a scratch
 * file). HDF5's own error stack printing is turned off: errors are expected,
 * crashes, leaks and hangs are findings - except leaks of memory that
 * libhdf5 (1.10.8) allocates itself and loses when H5Fopen fails on a
 * damaged superblock or root group (not reachable from nnhull's code), and
 * huge allocations it attempts on damaged sizes (they fail as malloc would,
 * and HDF5 reports an error). An HDF5 object left open after the read (an
 * error path that forgets to close it; at exit libhdf5 then reports an
 * "infinite loop closing library") is a finding. */
#include "fuzz_common.h"
#include "nnhull/nnhull.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>

const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libhdf5\n"; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        quiet = 1;
    }
    const char *path = fuzz_scratch(data, size, ".h5");
    if (!path)
        return 0;
    nnh_h5_file *f = NULL;
    nnh_error err;
    int ok = nnh_h5_read(path, &f, &err) == NNH_OK;
    if (ok)
        nnh_h5_file_free(f);
    ssize_t open_ids = H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (open_ids != 0) {
        fprintf(stderr, "fuzz_h5: %ld HDF5 object(s) left open after nnh_h5_read (%s)\n",
                (long)open_ids, ok ? "success" : err.msg);
        abort();
    }
    return 0;
}
