/* `nnhull verify --out F.h5`: the nnhull-bounds file of the property's input
 * boxes (written by io/h5bounds.c) completed with the /verdict group, all
 * under a temporary name that is renamed to F.h5 at the end. */
#include "verify_out.h"

#include "cli_common.h"

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

/* Bounds of net over every distinct box of spec with the chosen engine. */
static int box_bounds(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                      int *n, nnh_bounds ***out, nnh_layer_stats *stats, nnh_error *err)
{
    double *lo = NULL, *hi = NULL;
    int *of = NULL;
    int rc = nnh_spec_boxes(spec, n, &lo, &hi, &of, err);
    free(of);
    *out = rc ? NULL : calloc((size_t)*n + 1, sizeof **out);
    if (!rc && !*out)
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    nnh_bound_opts bo = o->bound;
    bo.method = o->method;
    for (int i = 0; !rc && i < *n; i++) {
        rc = nnh_bounds_create(net, lo + (size_t)i * net->n_inputs, hi + (size_t)i * net->n_inputs,
                               &(*out)[i], err);
        if (!rc)
            rc = o->method == NNH_METHOD_IBP
                     ? nnh_bounds_ibp(net, (*out)[i], err)
                     : nnh_bounds_compute(net, (*out)[i], &bo, stats, NULL, NULL, err);
    }
    free(lo);
    free(hi);
    return rc;
}

static char *options_json(const nnh_verify_opts *o)
{
    char *b = nnh_bound_opts_json(&o->bound), *s = malloc(512 + (b ? strlen(b) : 2));
    if (s)
        sprintf(s,
                "{\"command\":\"verify\",\"method\":\"%s\",\"timeout\":%.17g,\"max_regions\":%ld,"
                "\"escalate_gap\":%.17g,\"joint\":%d,\"descend_depth\":%d,\"seed\":%llu,"
                "\"bound\":%s}",
                nnh_method_name(o->method), o->timeout, o->max_regions, o->escalate_gap, o->joint,
                o->descend_depth, o->seed, b ? b : "{}");
    free(b);
    return s;
}

int nnh_verify_write_h5(const char *path, const char *net_path, const char *spec_path,
                        const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                        const nnh_verify_result *r)
{
    nnh_error err;
    nnh_error_clear(&err);
    int n = 0;
    nnh_bounds **regs = NULL;
    nnh_layer_stats *stats = calloc((size_t)net->n_layers, sizeof *stats);
    char *opts = options_json(o), tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.verify.%ld", path, (long)getpid());
    int rc = stats && opts ? box_bounds(net, spec, o, &n, &regs, stats, &err)
                           : nnh_error_set(&err, NNH_ENOMEM, "out of memory");
    if (!rc) {
        nnh_h5_meta m;
        nnh_h5_meta_init(&m);
        m.network_path = net_path;
        m.spec_path = spec_path;
        m.method = nnh_method_name(o->method);
        m.options_json = opts;
        rc = nnh_h5_write_bounds(tmp, net, &m, n, regs, stats, &err);
    }
    if (!rc) {
        hid_t f = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
        int bad = f < 0 || verdict_group(f, net, o, r) != 0;
        if (f >= 0 && H5Fclose(f) < 0)
            bad = 1;
        if (bad || rename(tmp, path))
            rc = nnh_error_set(&err, NNH_EIO, "%s: cannot write the verdict", path);
    }
    for (int i = 0; regs && i < n; i++)
        nnh_bounds_free(regs[i]);
    free(regs);
    free(stats);
    free(opts);
    if (rc) {
        remove(tmp);
        return cli_fail("%s", err.msg);
    }
    return CLI_OK;
}
