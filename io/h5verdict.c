/* The verdict of `nnhull verify --out F.h5`: the nnhull-bounds file of the
 * property's input boxes (written by h5bounds.c) completed with the /verdict
 * group, all under a temporary name that is renamed to F.h5 at the end. */
#include "nnhull/io.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int rc = a >= 0 && H5Awrite(a, mtype, v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

static int attr_str(hid_t loc, const char *name, const char *s)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)
        return -1;
    int rc = attr(loc, name, t, t, &s);
    H5Tclose(t);
    return rc;
}

static int attr_long(hid_t loc, const char *name, long v)
{
    long long w = v;
    return attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &w);
}

static int attr_double(hid_t loc, const char *name, double v)
{
    return attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

static int vector(hid_t loc, const char *name, const double *v, int n)
{
    hsize_t dim = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = sp >= 0 ? H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                                   H5P_DEFAULT)
                      : -1;
    int rc = d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0
                                                                                            : -1;
    if (d >= 0)
        H5Dclose(d);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

static int verdict_group(hid_t f, const nnh_network *net, const nnh_verify_opts *o,
                         const nnh_verify_result *r)
{
    hid_t g = H5Gcreate2(f, "verdict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int rc = attr_str(g, "result", nnh_verdict_name(r->verdict)) | attr_long(g, "regions", r->regions) |
             attr_long(g, "regions_proved", r->regions_unsat) |
             attr_long(g, "regions_stuck", r->regions_stuck) |
             attr_long(g, "max_depth", r->max_depth) | attr_long(g, "lp_escalations", r->escalations) |
             attr_double(g, "seconds", r->seconds) | attr_double(g, "timeout", o->timeout) |
             attr_long(g, "max_regions", o->max_regions) |
             attr_str(g, "method", nnh_method_name(o->method)) |
             attr_long(g, "mpi_ranks", r->ranks);
    if (r->verdict == NNH_VERDICT_SAT)
        rc |= attr_long(g, "counterexample_case", r->cex_case) |
              vector(g, "counterexample_input", r->cex_x, net->n_inputs) |
              vector(g, "counterexample_output", r->cex_y, nnh_network_n_outputs(net));
    H5Gclose(g);
    return rc;
}

int nnh_h5_write_verdict(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                         int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                         const nnh_verify_opts *o, const nnh_verify_result *r, nnh_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.verify.%ld", path, (long)getpid());
    int rc = nnh_h5_write_bounds(tmp, net, meta, n_regions, regions, stats, err);
    if (rc)
        return rc;
    hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    int bad = f < 0 || verdict_group(f, net, o, r) != 0;
    if (f >= 0 && H5Fclose(f) < 0)
        bad = 1;
    if (bad || rename(tmp, path)) {
        remove(tmp);
        return nnh_error_set(err, NNH_EIO, "%s: cannot write the verdict", path);
    }
    return NNH_OK;
}
