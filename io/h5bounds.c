/* HDF5 "nnhull-bounds" files (format version 1): incremental writer under a
 * temporary name renamed when done, and the reader used by `nnhull report`
 * and the tests. Serial HDF5 C API; HDF5's error stack printing is silenced
 * so that the only message is ours, naming the file and the object. */
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <hdf5.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nnh_h5_writer {
    hid_t file;
    char *path, *tmp;
    int n_regions, n_in, n_layers;
    int *width;
    nnh_activation *act;
    int *written;
};

/* ---- silencing HDF5 for the duration of one public call ---- */

typedef struct quiet {
    H5E_auto2_t fn;
    void *data;
} quiet;

static void quiet_begin(quiet *q)
{
    if (H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data) < 0) {
        q->fn = NULL;
        q->data = NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- small typed writers; each returns 0 or -1 and closes what it opened ---- */

static hid_t utf8_vlen_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return t;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

static int put_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return -1;
    hid_t sp = H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, buf) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return rc;
}

static int attr_str(hid_t loc, const char *name, const char *value)
{
    hid_t t = utf8_vlen_type();
    if (t < 0)
        return -1;
    const char *v = value ? value : "";
    int rc = put_attr(loc, name, t, t, &v);
    H5Tclose(t);
    return rc;
}

static int attr_int(hid_t loc, const char *name, int value)
{
    return put_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}

static int attr_double(hid_t loc, const char *name, double value)
{
    return put_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

/* rank-1 or rank-2 dataset (cols == 0: rank 1 of length rows) */
static int put_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t rows,
                       hsize_t cols, const void *buf)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    if (sp < 0)
        return -1;
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    return rc;
}

static int overwrite_dataset(hid_t loc, const char *name, hid_t mtype, const void *buf)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    int rc = H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 ? 0 : -1;
    H5Dclose(d);
    return rc;
}

static char *read_attr_str(hid_t loc, const char *name);
static int read_attr_int(hid_t loc, const char *name, int *v);
static void *read_dataset(hid_t loc, const char *name, hid_t mtype, size_t elem, hsize_t dims[2]);

/* ---- writer ---- */

void nnh_h5_meta_init(nnh_h5_meta *m)
{
    memset(m, 0, sizeof *m);
    m->method = "ibp";
    m->options_json = "{}";
    m->mpi_ranks = 1;
}

static void utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, 32, "unknown");
}

static void writer_free(nnh_h5_writer *w)
{
    if (!w)
        return;
    free(w->path);
    free(w->tmp);
    free(w->width);
    free(w->act);
    free(w->written);
    free(w);
}

void nnh_h5_abort(nnh_h5_writer *w)
{
    if (!w)
        return;
    quiet q;
    quiet_begin(&q);
    if (w->file >= 0)
        H5Fclose(w->file);
    quiet_end(&q);
    if (w->tmp)
        unlink(w->tmp);
    writer_free(w);
}

/* root attributes; the status starts "partial" until nnh_h5_finish */
static int write_root(nnh_h5_writer *w, const nnh_h5_meta *m, const char *sha, nnh_error *err)
{
    char now[32];
    utc_now(now);
    hid_t f = w->file;
    const char *failed = NULL;
    if (attr_str(f, "format", NNH_H5_FORMAT) < 0)
        failed = "format";
    else if (attr_int(f, "format_version", NNH_H5_FORMAT_VERSION) < 0)
        failed = "format_version";
    else if (attr_str(f, "nnhull_version", nnh_version()) < 0)
        failed = "nnhull_version";
    else if (attr_str(f, "created_utc", now) < 0)
        failed = "created_utc";
    else if (attr_str(f, "network_path", m->network_path) < 0)
        failed = "network_path";
    else if (attr_str(f, "network_sha256", sha) < 0)
        failed = "network_sha256";
    else if (attr_str(f, "spec_path", m->spec_path) < 0)
        failed = "spec_path";
    else if (attr_str(f, "method", m->method) < 0)
        failed = "method";
    else if (attr_str(f, "options", m->options_json ? m->options_json : "{}") < 0)
        failed = "options";
    else if (attr_int(f, "mpi_ranks", m->mpi_ranks) < 0)
        failed = "mpi_ranks";
    else if (attr_str(f, "status", "partial") < 0)
        failed = "status";
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write root attribute '%s'", w->path,
                             failed);
    return NNH_OK;
}

static const char *const stat_names[6] = {"seconds",           "lp_solves", "simplex_iters",
                                          "cuts_1d", "cuts_multivariate", "fallbacks"};

/* /regions and /stats (zeros until nnh_h5_write_stats), empty /layers group */
static int write_skeleton(nnh_h5_writer *w, const double *lower, const double *upper,
                          nnh_error *err)
{
    const char *failed = NULL;
    hid_t g = H5Gcreate2(w->file, "regions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        failed = "/regions";
    else {
        if (put_dataset(g, "lower", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)w->n_regions,
                        (hsize_t)w->n_in, lower) < 0)
            failed = "/regions/lower";
        else if (put_dataset(g, "upper", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                             (hsize_t)w->n_regions, (hsize_t)w->n_in, upper) < 0)
            failed = "/regions/upper";
        H5Gclose(g);
    }
    if (!failed) {
        g = H5Gcreate2(w->file, "layers", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
            failed = "/layers";
        else
            H5Gclose(g);
    }
    if (!failed) {
        g = H5Gcreate2(w->file, "stats", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        long long *zeros = calloc((size_t)w->n_layers, sizeof *zeros);
        double *dz = calloc((size_t)w->n_layers, sizeof *dz);
        if (g < 0 || !zeros || !dz)
            failed = "/stats";
        else if (put_dataset(g, "seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                             (hsize_t)w->n_layers, 0, dz) < 0)
            failed = "/stats/seconds";
        for (int i = 1; i < 6 && !failed; i++)
            if (put_dataset(g, stat_names[i], H5T_STD_I64LE, H5T_NATIVE_LLONG,
                            (hsize_t)w->n_layers, 0, zeros) < 0)
                failed = stat_names[i];
        free(zeros);
        free(dz);
        if (g >= 0)
            H5Gclose(g);
    }
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write %s", w->path, failed);
    return NNH_OK;
}

/* the temporary file, opened first with stdio for an errno-bearing message */
static int open_temp(nnh_h5_writer *w, nnh_error *err)
{
    FILE *probe = fopen(w->tmp, "wb");
    if (!probe)
        return nnh_error_set(err, NNH_EIO, "%s: cannot create %s: %s", w->path, w->tmp,
                             strerror(errno));
    fclose(probe);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w->file < 0) {
        unlink(w->tmp);
        return nnh_error_set(err, NNH_EIO, "%s: HDF5 cannot create %s", w->path, w->tmp);
    }
    return NNH_OK;
}

static int writer_alloc(const char *path, const nnh_network *net, int n_regions,
                        nnh_h5_writer **out, nnh_error *err)
{
    nnh_h5_writer *w = calloc(1, sizeof *w);
    if (!w)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    w->file = -1;
    w->n_regions = n_regions;
    w->n_in = net->n_inputs;
    w->n_layers = net->n_layers;
    size_t tl = strlen(path) + 32;
    w->path = dupstr(path);
    w->tmp = malloc(tl);
    w->width = malloc((size_t)net->n_layers * sizeof *w->width);
    w->act = malloc((size_t)net->n_layers * sizeof *w->act);
    w->written = calloc((size_t)net->n_layers, sizeof *w->written);
    if (!w->path || !w->tmp || !w->width || !w->act || !w->written) {
        writer_free(w);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    snprintf(w->tmp, tl, "%s.tmp.%ld", path, (long)getpid());
    for (int k = 0; k < net->n_layers; k++) {
        w->width[k] = net->layers[k].n_out;
        w->act[k] = net->layers[k].act;
    }
    *out = w;
    return NNH_OK;
}

int nnh_h5_create(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                  int n_regions, const double *lower, const double *upper, nnh_h5_writer **out,
                  nnh_error *err)
{
    *out = NULL;
    if (n_regions < 1 || net->n_layers < 1 || net->n_inputs < 1)
        return nnh_error_set(err, NNH_EINVAL, "%s: need at least one region, input and layer",
                             path);
    nnh_h5_meta def;
    if (!meta) {
        nnh_h5_meta_init(&def);
        meta = &def;
    }
    char sha[65] = "";
    if (meta->network_sha256)
        snprintf(sha, sizeof sha, "%s", meta->network_sha256);
    else if (meta->network_path && meta->network_path[0]) {
        int rc = nnh_sha256_file(meta->network_path, sha, err);
        if (rc)
            return rc;
    }
    nnh_h5_writer *w = NULL;
    int rc = writer_alloc(path, net, n_regions, &w, err);
    if (rc)
        return rc;
    quiet q;
    quiet_begin(&q);
    rc = open_temp(w, err);
    if (!rc)
        rc = write_root(w, meta, sha, err);
    if (!rc)
        rc = write_skeleton(w, lower, upper, err);
    quiet_end(&q);
    if (rc) {
        nnh_h5_abort(w);
        return rc;
    }
    *out = w;
    return NNH_OK;
}

/* one [R x n_k] array of layer k, gathered from the regions */
static int write_layer_array(nnh_h5_writer *w, hid_t g, int k, nnh_bounds *const *regions,
                             int which, double *buf)
{
    static const char *const names[4] = {"pre_lower", "pre_upper", "post_lower", "post_upper"};
    int n = w->width[k];
    for (int r = 0; r < w->n_regions; r++) {
        const nnh_layer_bounds *L = &regions[r]->layers[k];
        const double *src = which == 0 ? L->pre_lo
                            : which == 1 ? L->pre_hi
                            : which == 2 ? L->post_lo
                                         : L->post_hi;
        memcpy(buf + (size_t)r * n, src, (size_t)n * sizeof(double));
    }
    return put_dataset(g, names[which], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                       (hsize_t)w->n_regions, (hsize_t)n, buf);
}

static int layer_attrs(nnh_h5_writer *w, hid_t g, int k)
{
    const nnh_activation *a = &w->act[k];
    if (attr_str(g, "activation", nnh_act_name(a->kind)) < 0 || attr_int(g, "width", w->width[k]) < 0)
        return -1;
    /* parametric activations: the parameters are part of what was bounded */
    if ((a->kind == NNH_ACT_LEAKY_RELU || a->kind == NNH_ACT_ELU || a->kind == NNH_ACT_SELU) &&
        attr_double(g, "alpha", a->alpha) < 0)
        return -1;
    if (a->kind == NNH_ACT_SELU && attr_double(g, "lambda", a->lambda) < 0)
        return -1;
    return 0;
}

static int check_regions(const nnh_h5_writer *w, int k, nnh_bounds *const *regions,
                         nnh_error *err)
{
    if (k < 0 || k >= w->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "%s: layer %d out of range (network has %d)",
                             w->path, k, w->n_layers);
    if (w->written[k])
        return nnh_error_set(err, NNH_EINVAL, "%s: layer %d written twice", w->path, k);
    for (int r = 0; r < w->n_regions; r++)
        if (!regions[r] || regions[r]->n_layers != w->n_layers ||
            regions[r]->layers[k].width != w->width[k])
            return nnh_error_set(err, NNH_EINVAL,
                                 "%s: bounds of region %d do not match the network at layer %d",
                                 w->path, r, k);
    return NNH_OK;
}

int nnh_h5_write_layer(nnh_h5_writer *w, int k, nnh_bounds *const *regions, nnh_error *err)
{
    int rc = check_regions(w, k, regions, err);
    if (rc)
        return rc;
    double *buf = malloc((size_t)w->n_regions * (size_t)w->width[k] * sizeof(double));
    if (!buf)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory writing layer %d", k);
    char name[48];
    snprintf(name, sizeof name, "/layers/%d", k);
    quiet q;
    quiet_begin(&q);
    hid_t g = H5Gcreate2(w->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int which = -1;
    if (g >= 0) {
        for (which = 0; which < 4; which++)
            if (write_layer_array(w, g, k, regions, which, buf) < 0)
                break;
        if (which == 4 && layer_attrs(w, g, k) < 0)
            which = 5;
        H5Gclose(g);
    }
    quiet_end(&q);
    free(buf);
    if (which != 4) {
        static const char *const what[6] = {"pre_lower", "pre_upper", "post_lower",
                                            "post_upper", "", "attributes"};
        return nnh_error_set(err, NNH_EIO, "%s: cannot write %s%s%s", w->path, name,
                             which >= 0 ? "/" : "", which >= 0 ? what[which] : "");
    }
    w->written[k] = 1;
    return NNH_OK;
}

int nnh_h5_write_stats(nnh_h5_writer *w, const nnh_layer_stats *stats, nnh_error *err)
{
    size_t n = (size_t)w->n_layers;
    double *sec = malloc(n * sizeof *sec);
    long long *v = malloc(n * sizeof *v);
    if (!sec || !v) {
        free(sec);
        free(v);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory writing statistics");
    }
    for (size_t k = 0; k < n; k++)
        sec[k] = stats[k].seconds;
    quiet q;
    quiet_begin(&q);
    const char *failed = NULL;
    hid_t g = H5Gopen2(w->file, "stats", H5P_DEFAULT);
    if (g < 0 || overwrite_dataset(g, "seconds", H5T_NATIVE_DOUBLE, sec) < 0)
        failed = "seconds";
    for (int i = 1; i < 6 && !failed; i++) {
        for (size_t k = 0; k < n; k++) {
            const nnh_layer_stats *s = &stats[k];
            long x = i == 1 ? s->lp_solves
                     : i == 2 ? s->simplex_iters
                     : i == 3 ? s->cuts_1d
                     : i == 4 ? s->cuts_multivariate
                              : s->fallbacks;
            v[k] = x;
        }
        if (overwrite_dataset(g, stat_names[i], H5T_NATIVE_LLONG, v) < 0)
            failed = stat_names[i];
    }
    if (g >= 0)
        H5Gclose(g);
    quiet_end(&q);
    free(sec);
    free(v);
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write /stats/%s", w->path, failed);
    return NNH_OK;
}

int nnh_h5_flush(nnh_h5_writer *w, nnh_error *err)
{
    quiet q;
    quiet_begin(&q);
    herr_t h = H5Fflush(w->file, H5F_SCOPE_GLOBAL);
    quiet_end(&q);
    if (h < 0)
        return nnh_error_set(err, NNH_EIO, "%s: cannot flush %s", w->path, w->tmp);
    return NNH_OK;
}

const char *nnh_h5_temp_path(const nnh_h5_writer *w) { return w->tmp; }

int nnh_h5_finish(nnh_h5_writer *w, int complete, nnh_error *err)
{
    int rc = NNH_OK;
    for (int k = 0; complete && k < w->n_layers && !rc; k++)
        if (!w->written[k])
            rc = nnh_error_set(err, NNH_EINVAL, "%s: layer %d was not written; cannot mark complete",
                               w->path, k);
    quiet q;
    quiet_begin(&q);
    if (!rc && attr_str(w->file, "status", complete ? "complete" : "partial") < 0)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot write root attribute 'status'", w->path);
    herr_t h = H5Fclose(w->file);
    w->file = -1;
    quiet_end(&q);
    if (!rc && h < 0)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot close %s", w->path, w->tmp);
    if (!rc && rename(w->tmp, w->path) != 0)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot rename %s to it: %s", w->path, w->tmp,
                           strerror(errno));
    if (rc)
        unlink(w->tmp);
    writer_free(w);
    return rc;
}

int nnh_h5_layer_written(const nnh_h5_writer *w, int k)
{
    return k >= 0 && k < w->n_layers && w->written[k];
}

/* byte copy of src to dst (the temporary file of a reopened writer) */
static int copy_file(const char *src, const char *dst, nnh_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in)
        return nnh_error_set(err, NNH_EIO, "%s: cannot open: %s", src, strerror(errno));
    FILE *out = fopen(dst, "wb");
    if (!out) {
        int e = errno;
        fclose(in);
        return nnh_error_set(err, NNH_EIO, "%s: cannot create %s: %s", src, dst, strerror(e));
    }
    char buf[65536];
    size_t n;
    int bad = 0;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    bad |= ferror(in);
    fclose(in);
    bad |= fclose(out) != 0;
    if (bad) {
        unlink(dst);
        return nnh_error_set(err, NNH_EIO, "%s: cannot copy to %s", src, dst);
    }
    return NNH_OK;
}

/* the reopened file's shape against net; marks the layers already present */
static int match_file(nnh_h5_writer *w, nnh_error *err)
{
    char *fmt = read_attr_str(w->file, "format");
    int ver = 0, ok = fmt && !strcmp(fmt, NNH_H5_FORMAT) &&
                      read_attr_int(w->file, "format_version", &ver) == 0 &&
                      ver == NNH_H5_FORMAT_VERSION;
    free(fmt);
    if (!ok)
        return nnh_error_set(err, NNH_EPARSE, "%s: not an nnhull-bounds v%d file", w->path,
                             NNH_H5_FORMAT_VERSION);
    hsize_t d[2];
    double *lo = read_dataset(w->file, "/regions/lower", H5T_NATIVE_DOUBLE, sizeof(double), d);
    int got = lo != NULL;
    free(lo);
    if (!got || (int)d[1] != w->n_in || d[0] < 1)
        return nnh_error_set(err, NNH_EINVAL, "%s: /regions/lower is not [R x %d] (the network's "
                             "inputs)", w->path, w->n_in);
    w->n_regions = (int)d[0];
    double *sec = read_dataset(w->file, "/stats/seconds", H5T_NATIVE_DOUBLE, sizeof(double), d);
    got = sec != NULL;
    free(sec);
    if (!got || d[1] != 0 || (int)d[0] != w->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "%s: /stats/seconds is not [%d] (the network's "
                             "layers)", w->path, w->n_layers);
    for (int k = 0; k < w->n_layers; k++) {
        char g[48];
        snprintf(g, sizeof g, "/layers/%d", k);
        if (H5Lexists(w->file, "/layers", H5P_DEFAULT) <= 0 ||
            H5Lexists(w->file, g, H5P_DEFAULT) <= 0)
            continue;
        hid_t h = H5Gopen2(w->file, g, H5P_DEFAULT);
        int width = -1;
        if (h >= 0) {
            if (read_attr_int(h, "width", &width) < 0)
                width = -1;
            H5Gclose(h);
        }
        if (width != w->width[k])
            return nnh_error_set(err, NNH_EINVAL, "%s: %s has width %d, the network's layer %d "
                                 "has %d", w->path, g, width, k, w->width[k]);
        w->written[k] = 1;
    }
    return NNH_OK;
}

int nnh_h5_reopen(const char *path, const nnh_network *net, nnh_h5_writer **out,
                  nnh_error *err)
{
    *out = NULL;
    nnh_h5_writer *w = NULL;
    int rc = writer_alloc(path, net, 1, &w, err);
    if (rc)
        return rc;
    if ((rc = copy_file(path, w->tmp, err))) {
        writer_free(w);
        return rc;
    }
    quiet q;
    quiet_begin(&q);
    w->file = H5Fis_hdf5(w->tmp) > 0 ? H5Fopen(w->tmp, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
    if (w->file < 0)
        rc = nnh_error_set(err, NNH_EPARSE, "%s: not an HDF5 file", path);
    else
        rc = match_file(w, err);
    quiet_end(&q);
    if (rc) {
        nnh_h5_abort(w);
        return rc;
    }
    *out = w;
    return NNH_OK;
}

int nnh_h5_write_bounds(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                        int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                        nnh_error *err)
{
    size_t n_in = (size_t)net->n_inputs;
    double *lo = malloc((size_t)n_regions * n_in * sizeof(double));
    double *hi = malloc((size_t)n_regions * n_in * sizeof(double));
    if (!lo || !hi) {
        free(lo);
        free(hi);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    int rc = NNH_OK;
    for (int r = 0; r < n_regions && !rc; r++) {
        if (regions[r]->n_in != net->n_inputs)
            rc = nnh_error_set(err, NNH_EINVAL, "%s: region %d has %d inputs, network %d", path,
                               r, regions[r]->n_in, net->n_inputs);
        else {
            memcpy(lo + r * n_in, regions[r]->in_lo, n_in * sizeof(double));
            memcpy(hi + r * n_in, regions[r]->in_hi, n_in * sizeof(double));
        }
    }
    nnh_h5_writer *w = NULL;
    if (!rc)
        rc = nnh_h5_create(path, net, meta, n_regions, lo, hi, &w, err);
    free(lo);
    free(hi);
    for (int k = 0; k < net->n_layers && !rc; k++)
        rc = nnh_h5_write_layer(w, k, regions, err);
    if (!rc && stats)
        rc = nnh_h5_write_stats(w, stats, err);
    if (rc) {
        nnh_h5_abort(w);
        return rc;
    }
    return nnh_h5_finish(w, 1, err);
}

/* ---- reader ---- */

/* string attribute, variable- or fixed-length; NULL when absent or not a string */
static char *read_attr_str(hid_t loc, const char *name)
{
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t ft = H5Aget_type(a);
    char *out = NULL;
    if (ft >= 0 && H5Tget_class(ft) == H5T_STRING) {
        if (H5Tis_variable_str(ft) > 0) {
            hid_t mt = utf8_vlen_type();
            char *v = NULL;
            if (mt >= 0 && H5Aread(a, mt, &v) >= 0 && v) {
                out = dupstr(v);
                H5free_memory(v);
            }
            if (mt >= 0)
                H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(ft);
            hid_t mt = H5Tcopy(H5T_C_S1);
            out = calloc(n + 1, 1);
            if (mt < 0 || !out || H5Tset_size(mt, n) < 0 || H5Aread(a, mt, out) < 0) {
                free(out);
                out = NULL;
            }
            if (mt >= 0)
                H5Tclose(mt);
        }
    }
    if (ft >= 0)
        H5Tclose(ft);
    H5Aclose(a);
    return out;
}

static int read_attr_int(hid_t loc, const char *name, int *v)
{
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    int rc = H5Aread(a, H5T_NATIVE_INT, v) >= 0 ? 0 : -1;
    H5Aclose(a);
    return rc;
}

/* whole dataset into a new buffer; dims[1] = 0 for rank 1 */
static void *read_dataset(hid_t loc, const char *name, hid_t mtype, size_t elem, hsize_t dims[2])
{
    dims[0] = dims[1] = 0;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return NULL;
    hid_t sp = H5Dget_space(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    void *buf = NULL;
    if (rank == 1 || rank == 2) {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        size_t n = (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
        buf = malloc((n ? n : 1) * elem);
        if (buf && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
            free(buf);
            buf = NULL;
        }
        if (rank == 1)
            dims[1] = 0;
    }
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(d);
    return buf;
}

void nnh_h5_file_free(nnh_h5_file *f)
{
    if (!f)
        return;
    char **s[] = {&f->format,   &f->nnhull_version, &f->created_utc, &f->network_path,
                  &f->network_sha256, &f->spec_path, &f->method, &f->options, &f->status};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        free(*s[i]);
    if (f->regions)
        for (int r = 0; r < f->n_regions; r++)
            nnh_bounds_free(f->regions[r]);
    free(f->regions);
    if (f->activation)
        for (int k = 0; k < f->n_layers; k++)
            free(f->activation[k]);
    free(f->activation);
    free(f->present);
    free(f->stats);
    free(f);
}

static int read_root(hid_t h, const char *path, nnh_h5_file *f, nnh_error *err)
{
    f->format = read_attr_str(h, "format");
    if (!f->format || strcmp(f->format, NNH_H5_FORMAT) != 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: not an nnhull-bounds file (root attribute "
                             "'format' is %s%s%s)", path, f->format ? "'" : "missing",
                             f->format ? f->format : "", f->format ? "'" : "");
    if (read_attr_int(h, "format_version", &f->format_version) < 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: missing root attribute 'format_version'", path);
    if (f->format_version != NNH_H5_FORMAT_VERSION)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: nnhull-bounds version %d (this nnhull "
                             "reads version %d)", path, f->format_version, NNH_H5_FORMAT_VERSION);
    struct { const char *name; char **dst; } s[] = {
        {"nnhull_version", &f->nnhull_version}, {"created_utc", &f->created_utc},
        {"network_path", &f->network_path},     {"network_sha256", &f->network_sha256},
        {"spec_path", &f->spec_path},           {"method", &f->method},
        {"options", &f->options},               {"status", &f->status}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (!(*s[i].dst = read_attr_str(h, s[i].name)))
            return nnh_error_set(err, NNH_EPARSE, "%s: missing string root attribute '%s'", path,
                                 s[i].name);
    if (read_attr_int(h, "mpi_ranks", &f->mpi_ranks) < 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: missing root attribute 'mpi_ranks'", path);
    f->complete = strcmp(f->status, "complete") == 0;
    if (!f->complete && strcmp(f->status, "partial") != 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: status '%s' is neither complete nor partial",
                             path, f->status);
    return NNH_OK;
}

static int read_stats(hid_t h, const char *path, nnh_h5_file *f, nnh_error *err)
{
    hsize_t dims[2];
    double *sec = read_dataset(h, "/stats/seconds", H5T_NATIVE_DOUBLE, sizeof(double), dims);
    if (!sec || dims[1] != 0 || dims[0] < 1) {
        free(sec);
        return nnh_error_set(err, NNH_EPARSE, "%s: cannot read /stats/seconds [n_layers]", path);
    }
    f->n_layers = (int)dims[0];
    f->stats = calloc((size_t)f->n_layers, sizeof *f->stats);
    if (!f->stats) {
        free(sec);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    for (int k = 0; k < f->n_layers; k++)
        f->stats[k].seconds = sec[k];
    free(sec);
    for (int i = 1; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "/stats/%s", stat_names[i]);
        long long *v = read_dataset(h, name, H5T_NATIVE_LLONG, sizeof(long long), dims);
        if (!v || dims[1] != 0 || (int)dims[0] != f->n_layers) {
            free(v);
            return nnh_error_set(err, NNH_EPARSE, "%s: cannot read %s [%d]", path, name,
                                 f->n_layers);
        }
        for (int k = 0; k < f->n_layers; k++) {
            nnh_layer_stats *s = &f->stats[k];
            long *dst = i == 1 ? &s->lp_solves
                        : i == 2 ? &s->simplex_iters
                        : i == 3 ? &s->cuts_1d
                        : i == 4 ? &s->cuts_multivariate
                                 : &s->fallbacks;
            *dst = (long)v[k];
        }
        free(v);
    }
    return NNH_OK;
}

/* regions[r] with the input boxes and n_layers empty layer slots */
static int read_regions(hid_t h, const char *path, nnh_h5_file *f, nnh_error *err)
{
    hsize_t dl[2], du[2];
    double *lo = read_dataset(h, "/regions/lower", H5T_NATIVE_DOUBLE, sizeof(double), dl);
    double *hi = read_dataset(h, "/regions/upper", H5T_NATIVE_DOUBLE, sizeof(double), du);
    int rc = NNH_OK;
    if (!lo || !hi || dl[1] == 0 || dl[0] != du[0] || dl[1] != du[1] || dl[0] < 1)
        rc = nnh_error_set(err, NNH_EPARSE, "%s: cannot read /regions/lower and upper [R x n_in]",
                           path);
    if (!rc) {
        f->n_regions = (int)dl[0];
        f->n_in = (int)dl[1];
        f->regions = calloc((size_t)f->n_regions, sizeof *f->regions);
        if (!f->regions)
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    size_t ni = (size_t)f->n_in;
    for (int r = 0; !rc && r < f->n_regions; r++) {
        nnh_bounds *b = calloc(1, sizeof *b);
        f->regions[r] = b;
        if (!b || !(b->in_lo = malloc(ni * sizeof(double))) ||
            !(b->in_hi = malloc(ni * sizeof(double))) ||
            !(b->layers = calloc((size_t)f->n_layers, sizeof *b->layers))) {
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
            break;
        }
        b->n_in = f->n_in;
        b->n_layers = f->n_layers;
        memcpy(b->in_lo, lo + r * ni, ni * sizeof(double));
        memcpy(b->in_hi, hi + r * ni, ni * sizeof(double));
    }
    free(lo);
    free(hi);
    return rc;
}

static int read_layer(hid_t h, const char *path, nnh_h5_file *f, int k, nnh_error *err)
{
    static const char *const names[4] = {"pre_lower", "pre_upper", "post_lower", "post_upper"};
    char gname[48], dname[96];
    snprintf(gname, sizeof gname, "/layers/%d", k);
    if (H5Lexists(h, "/layers", H5P_DEFAULT) <= 0 || H5Lexists(h, gname, H5P_DEFAULT) <= 0)
        return NNH_OK; /* not computed (partial file) */
    hid_t g = H5Gopen2(h, gname, H5P_DEFAULT);
    int width = -1;
    if (g >= 0) {
        f->activation[k] = read_attr_str(g, "activation");
        if (read_attr_int(g, "width", &width) < 0)
            width = -1;
        H5Gclose(g);
    }
    if (!f->activation[k] || width < 1)
        return nnh_error_set(err, NNH_EPARSE, "%s: %s lacks the attributes activation and width",
                             path, gname);
    for (int i = 0; i < 4; i++) {
        hsize_t dims[2];
        snprintf(dname, sizeof dname, "%s/%s", gname, names[i]);
        double *v = read_dataset(h, dname, H5T_NATIVE_DOUBLE, sizeof(double), dims);
        if (!v || (int)dims[0] != f->n_regions || (int)dims[1] != width) {
            free(v);
            return nnh_error_set(err, NNH_EPARSE, "%s: cannot read %s [%d x %d]", path, dname,
                                 f->n_regions, width);
        }
        for (int r = 0; r < f->n_regions; r++) {
            nnh_layer_bounds *L = &f->regions[r]->layers[k];
            double **dst = i == 0 ? &L->pre_lo : i == 1 ? &L->pre_hi : i == 2 ? &L->post_lo
                                                                             : &L->post_hi;
            L->width = width;
            *dst = malloc((size_t)width * sizeof(double));
            if (!*dst) {
                free(v);
                return nnh_error_set(err, NNH_ENOMEM, "out of memory");
            }
            memcpy(*dst, v + (size_t)r * width, (size_t)width * sizeof(double));
        }
        free(v);
    }
    f->present[k] = 1;
    return NNH_OK;
}

static int read_body(hid_t h, const char *path, nnh_h5_file *f, nnh_error *err)
{
    int rc = read_root(h, path, f, err);
    if (!rc)
        rc = read_stats(h, path, f, err);
    if (!rc)
        rc = read_regions(h, path, f, err);
    if (!rc) {
        f->activation = calloc((size_t)f->n_layers, sizeof *f->activation);
        f->present = calloc((size_t)f->n_layers, sizeof *f->present);
        if (!f->activation || !f->present)
            rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
    for (int k = 0; !rc && k < f->n_layers; k++)
        rc = read_layer(h, path, f, k, err);
    if (!rc && f->complete)
        for (int k = 0; k < f->n_layers; k++)
            if (!f->present[k])
                return nnh_error_set(err, NNH_EPARSE, "%s: status complete but /layers/%d is "
                                     "missing", path, k);
    return rc;
}

int nnh_h5_read(const char *path, nnh_h5_file **out, nnh_error *err)
{
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return nnh_error_set(err, NNH_EIO, "%s: cannot open: %s", path, strerror(errno));
    fclose(probe);
    quiet q;
    quiet_begin(&q);
    int rc = NNH_OK;
    nnh_h5_file *f = NULL;
    hid_t h = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (h < 0)
        rc = nnh_error_set(err, NNH_EPARSE, "%s: not an HDF5 file (so not an nnhull-bounds file)",
                           path);
    else if (!(f = calloc(1, sizeof *f)))
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    else
        rc = read_body(h, path, f, err);
    if (h >= 0)
        H5Fclose(h);
    quiet_end(&q);
    if (rc) {
        nnh_h5_file_free(f);
        return rc;
    }
    *out = f;
    return NNH_OK;
}
