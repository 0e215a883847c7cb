/* The verdict of `nnhull verify --out F.h5`: the nnhull-bounds file of the
 * property's input boxes (the writer of h5bounds.c) completed with the
 * /verdict group before it is finished, so that it is written once, under an
 * exclusive temporary name renamed to F.h5 at the end. */
#include "h5_internal.h"

#include <stdlib.h>
#include <string.h>

static int verdict_group(hid_t f, const nnh_network *net, const nnh_verify_opts *o,
                         const nnh_verify_result *r)
{
    hid_t g = H5Gcreate2(f, "verdict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int rc = h5x_attr_str(g, "result", nnh_verdict_name(r->verdict)) |
             h5x_attr_long(g, "regions", r->regions) |
             h5x_attr_long(g, "regions_proved", r->regions_unsat) |
             h5x_attr_long(g, "regions_stuck", r->regions_stuck) |
             h5x_attr_long(g, "max_depth", r->max_depth) |
             h5x_attr_long(g, "lp_escalations", r->escalations) |
             h5x_attr_double(g, "seconds", r->seconds) | h5x_attr_double(g, "timeout", o->timeout) |
             h5x_attr_long(g, "max_regions", o->max_regions) |
             h5x_attr_str(g, "method", nnh_method_name(o->method)) |
             h5x_attr_long(g, "mpi_ranks", r->ranks);
    if (r->verdict == NNH_VERDICT_SAT)
        rc |= h5x_attr_long(g, "counterexample_case", r->cex_case) |
              h5x_dataset(g, "counterexample_input", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                          (hsize_t)net->n_inputs, 0, r->cex_x) |
              h5x_dataset(g, "counterexample_output", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                          (hsize_t)nnh_network_n_outputs(net), 0, r->cex_y);
    if (H5Gclose(g) < 0)
        rc = -1;
    return rc;
}

int nnh_h5_write_verdict(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                         int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                         const nnh_verify_opts *o, const nnh_verify_result *r, nnh_error *err)
{
    nnh_h5_writer *w = NULL;
    int rc = h5x_begin_bounds(path, net, meta, n_regions, regions, stats, &w, err);
    if (rc)
        return rc;
    h5x_quiet q;
    h5x_quiet_begin(&q);
    int bad = verdict_group(h5x_writer_file(w), net, o, r);
    h5x_quiet_end(&q);
    if (bad) {
        nnh_h5_abort(w);
        return nnh_error_set(err, NNH_EIO, "%s: cannot write /verdict", path);
    }
    return nnh_h5_finish(w, 1, err);
}
