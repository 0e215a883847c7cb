/* HDF5 "nnhull-bounds" files (format version 2): the incremental writer.
 * The file is built in memory (HDF5's core driver) and written by nnhull to
 * a temporary file created exclusively beside the output, then renamed to
 * it; HDF5 itself never writes to disk, so a full disk is a reported error.
 * HDF5's error printing is silenced so that the only message is ours. */
#include "h5_internal.h"
#include "nnhull/nnhull.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct nnh_h5_writer {
    hid_t file;       /* the memory file */
    h5x_image *img;   /* its bytes (kept, not freed, if closing it ever failed) */
    int fd;           /* the temporary file */
    char *path, *tmp;
    int n_regions, n_in, n_layers;
    int *width;
    nnh_activation *act;
    int *written;
};

const char *const h5x_stat_names[6] = {"seconds", "lp_solves",         "simplex_iters",
                                       "cuts_1d", "cuts_multivariate", "fallbacks"};

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

/* close the memory file (when open); 0, or -1 when closing failed */
static int close_file(nnh_h5_writer *w)
{
    if (w->file < 0)
        return 0;
    int rc = h5x_image_close(w->file, w->img);
    w->file = -1;
    if (rc)
        w->img = NULL; /* libhdf5 may still use it: never freed */
    return rc;
}

/* frees w; the temporary file is closed and removed unless w->fd < 0 */
static void writer_free(nnh_h5_writer *w)
{
    if (!w)
        return;
    h5x_quiet q;
    h5x_quiet_begin(&q);
    close_file(w);
    h5x_quiet_end(&q);
    if (w->fd >= 0)
        nnh_temp_discard(w->fd, w->tmp);
    if (w->img)
        free(w->img->mem);
    free(w->img);
    free(w->path);
    free(w->tmp);
    free(w->width);
    free(w->act);
    free(w->written);
    free(w);
}

void nnh_h5_abort(nnh_h5_writer *w) { writer_free(w); }

/* root attributes; the status starts "partial" until nnh_h5_finish */
static int write_root(nnh_h5_writer *w, const nnh_h5_meta *m, const char *sha, nnh_error *err)
{
    char now[32];
    utc_now(now);
    hid_t f = w->file;
    const char *failed = NULL;
    if (h5x_attr_str(f, "format", NNH_H5_FORMAT) < 0)
        failed = "format";
    else if (h5x_attr_int(f, "format_version", NNH_H5_FORMAT_VERSION) < 0)
        failed = "format_version";
    else if (h5x_attr_str(f, "nnhull_version", nnh_version()) < 0)
        failed = "nnhull_version";
    else if (h5x_attr_str(f, "created_utc", now) < 0)
        failed = "created_utc";
    else if (h5x_attr_str(f, "network_path", m->network_path) < 0)
        failed = "network_path";
    else if (h5x_attr_str(f, "network_sha256", sha) < 0)
        failed = "network_sha256";
    else if (h5x_attr_str(f, "spec_path", m->spec_path) < 0)
        failed = "spec_path";
    else if (h5x_attr_str(f, "method", m->method) < 0)
        failed = "method";
    else if (h5x_attr_str(f, "options", m->options_json ? m->options_json : "{}") < 0)
        failed = "options";
    else if (h5x_attr_int(f, "mpi_ranks", m->mpi_ranks) < 0)
        failed = "mpi_ranks";
    else if (h5x_attr_str(f, "status", "partial") < 0)
        failed = "status";
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write root attribute '%s'", w->path,
                             failed);
    return NNH_OK;
}

/* /regions and /stats (zeros until nnh_h5_write_stats), empty /layers group */
static int write_skeleton(nnh_h5_writer *w, const double *lower, const double *upper,
                          nnh_error *err)
{
    const char *failed = NULL;
    hid_t g = H5Gcreate2(w->file, "regions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        failed = "/regions";
    else {
        if (h5x_dataset(g, "lower", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)w->n_regions,
                        (hsize_t)w->n_in, lower) < 0)
            failed = "/regions/lower";
        else if (h5x_dataset(g, "upper", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
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
        else if (h5x_dataset(g, "seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                             (hsize_t)w->n_layers, 0, dz) < 0)
            failed = "/stats/seconds";
        for (int i = 1; i < 6 && !failed; i++)
            if (h5x_dataset(g, h5x_stat_names[i], H5T_STD_I64LE, H5T_NATIVE_LLONG,
                            (hsize_t)w->n_layers, 0, zeros) < 0)
                failed = h5x_stat_names[i];
        free(zeros);
        free(dz);
        if (g >= 0)
            H5Gclose(g);
    }
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write %s", w->path, failed);
    return NNH_OK;
}

/* the temporary file beside the output, and the memory file (a copy of
 * image when it is not NULL) */
static int open_files(nnh_h5_writer *w, const void *image, size_t n, nnh_error *err)
{
    int rc = nnh_temp_create(w->path, &w->tmp, &w->fd, err);
    if (rc)
        return rc;
    /* a name no file can have (below a regular file): HDF5 probes it */
    size_t len = strlen(w->tmp) + 16;
    char *name = malloc(len);
    hid_t fapl = h5x_memory_fapl(w->img, image, n);
    if (name && fapl >= 0) {
        snprintf(name, len, "%s/memory", w->tmp);
        w->file = image ? H5Fopen(name, H5F_ACC_RDWR, fapl)
                        : H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    free(name);
    if (w->file < 0)
        return nnh_error_set(err, image ? NNH_EPARSE : NNH_EIO, "%s: HDF5 cannot %s",
                             w->path, image ? "open it (damaged?)" : "create a file in memory");
    return NNH_OK;
}

static int writer_alloc(const char *path, const nnh_network *net, int n_regions,
                        nnh_h5_writer **out, nnh_error *err)
{
    nnh_h5_writer *w = calloc(1, sizeof *w);
    if (!w)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    w->file = -1;
    w->fd = -1;
    w->n_regions = n_regions;
    w->n_in = net->n_inputs;
    w->n_layers = net->n_layers;
    w->path = strdup(path);
    w->img = calloc(1, sizeof *w->img);
    w->width = malloc((size_t)net->n_layers * sizeof *w->width);
    w->act = malloc((size_t)net->n_layers * sizeof *w->act);
    w->written = calloc((size_t)net->n_layers, sizeof *w->written);
    if (!w->path || !w->img || !w->width || !w->act || !w->written) {
        writer_free(w);
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    }
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
    h5x_quiet q;
    h5x_quiet_begin(&q);
    rc = open_files(w, NULL, 0, err);
    if (!rc)
        rc = write_root(w, meta, sha, err);
    if (!rc)
        rc = write_skeleton(w, lower, upper, err);
    h5x_quiet_end(&q);
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
    return h5x_dataset(g, names[which], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                       (hsize_t)w->n_regions, (hsize_t)n, buf);
}

static int layer_attrs(nnh_h5_writer *w, hid_t g, int k)
{
    const nnh_activation *a = &w->act[k];
    if (h5x_attr_str(g, "activation", nnh_act_name(a->kind)) < 0 ||
        h5x_attr_int(g, "width", w->width[k]) < 0)
        return -1;
    /* parametric activations: the parameters are part of what was bounded */
    if ((a->kind == NNH_ACT_LEAKY_RELU || a->kind == NNH_ACT_ELU || a->kind == NNH_ACT_SELU) &&
        h5x_attr_double(g, "alpha", a->alpha) < 0)
        return -1;
    if (a->kind == NNH_ACT_SELU && h5x_attr_double(g, "lambda", a->lambda) < 0)
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
    h5x_quiet q;
    h5x_quiet_begin(&q);
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
    h5x_quiet_end(&q);
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
    h5x_quiet q;
    h5x_quiet_begin(&q);
    const char *failed = NULL;
    hid_t g = H5Gopen2(w->file, "stats", H5P_DEFAULT);
    if (g < 0 || h5x_dataset_overwrite(g, "seconds", H5T_NATIVE_DOUBLE, sec) < 0)
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
        if (h5x_dataset_overwrite(g, h5x_stat_names[i], H5T_NATIVE_LLONG, v) < 0)
            failed = h5x_stat_names[i];
    }
    if (g >= 0)
        H5Gclose(g);
    h5x_quiet_end(&q);
    free(sec);
    free(v);
    if (failed)
        return nnh_error_set(err, NNH_EIO, "%s: cannot write /stats/%s", w->path, failed);
    return NNH_OK;
}

/* the memory file's current bytes to the temporary file */
static int write_image(nnh_h5_writer *w, nnh_error *err)
{
    h5x_quiet q;
    h5x_quiet_begin(&q);
    herr_t h = H5Fflush(w->file, H5F_SCOPE_GLOBAL);
    h5x_quiet_end(&q);
    if (h < 0)
        return nnh_error_set(err, NNH_EIO, "%s: cannot flush the HDF5 file", w->path);
    return nnh_temp_write(w->fd, w->tmp, w->img->mem, h5x_image_used(w->img), err);
}

int nnh_h5_flush(nnh_h5_writer *w, nnh_error *err) { return write_image(w, err); }

const char *nnh_h5_temp_path(const nnh_h5_writer *w) { return w->tmp; }

hid_t h5x_writer_file(nnh_h5_writer *w) { return w->file; }

int nnh_h5_finish(nnh_h5_writer *w, int complete, nnh_error *err)
{
    int rc = NNH_OK;
    for (int k = 0; complete && k < w->n_layers && !rc; k++)
        if (!w->written[k])
            rc = nnh_error_set(err, NNH_EINVAL, "%s: layer %d was not written; cannot mark complete",
                               w->path, k);
    h5x_quiet q;
    h5x_quiet_begin(&q);
    if (!rc && h5x_attr_str(w->file, "status", complete ? "complete" : "partial") < 0)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot write root attribute 'status'", w->path);
    if (close_file(w) < 0 && !rc)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot close the HDF5 file", w->path);
    h5x_quiet_end(&q);
    if (!rc)
        rc = nnh_temp_write(w->fd, w->tmp, w->img->mem, h5x_image_used(w->img), err);
    if (!rc) {
        rc = nnh_temp_commit(w->fd, w->tmp, w->path, err); /* removes tmp on failure */
        w->fd = -1;
    }
    writer_free(w);
    return rc;
}

int nnh_h5_layer_written(const nnh_h5_writer *w, int k)
{
    return k >= 0 && k < w->n_layers && w->written[k];
}

/* the reopened file's shape against net; marks the layers already present */
static int match_file(nnh_h5_writer *w, nnh_error *err)
{
    char *fmt = h5x_get_attr_str(w->file, "format");
    int ver = 0, ok = fmt && !strcmp(fmt, NNH_H5_FORMAT) &&
                      h5x_get_attr_int(w->file, "format_version", &ver) == 0 &&
                      ver == NNH_H5_FORMAT_VERSION;
    free(fmt);
    if (!ok)
        return nnh_error_set(err, NNH_EPARSE, "%s: not an nnhull-bounds v%d file", w->path,
                             NNH_H5_FORMAT_VERSION);
    hsize_t d[2];
    double *lo = h5x_get_dataset(w->file, "/regions/lower", 0, d);
    int got = lo != NULL;
    free(lo);
    if (!got || (int)d[1] != w->n_in || d[0] < 1)
        return nnh_error_set(err, NNH_EINVAL, "%s: /regions/lower is not [R x %d] (the network's "
                             "inputs)", w->path, w->n_in);
    w->n_regions = (int)d[0];
    double *sec = h5x_get_dataset(w->file, "/stats/seconds", 0, d);
    got = sec != NULL;
    free(sec);
    if (!got || d[1] != 0 || (int)d[0] != w->n_layers)
        return nnh_error_set(err, NNH_EINVAL, "%s: /stats/seconds is not [%d] (the network's "
                             "layers)", w->path, w->n_layers);
    for (int k = 0; k < w->n_layers; k++) {
        char g[48];
        snprintf(g, sizeof g, "/layers/%d", k);
        htri_t there = H5Lexists(w->file, "/layers", H5P_DEFAULT) > 0
                           ? H5Lexists(w->file, g, H5P_DEFAULT)
                           : -1;
        if (there < 0)
            return nnh_error_set(err, NNH_EPARSE, "%s: cannot look up %s (/layers missing or "
                                 "damaged)", w->path, g);
        if (there == 0)
            continue;
        hid_t h = H5Gopen2(w->file, g, H5P_DEFAULT);
        int width = -1;
        if (h >= 0) {
            if (h5x_get_attr_int(h, "width", &width) < 0)
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
    char *image = NULL;
    size_t n = 0;
    if ((rc = nnh_read_file(path, (size_t)1 << 40, &image, &n, err))) {
        writer_free(w);
        return rc;
    }
    h5x_quiet q;
    h5x_quiet_begin(&q);
    rc = open_files(w, image, n, err);
    free(image);
    if (!rc)
        rc = match_file(w, err);
    h5x_quiet_end(&q);
    if (rc) {
        nnh_h5_abort(w);
        return rc;
    }
    *out = w;
    return NNH_OK;
}

int h5x_begin_bounds(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                     int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                     nnh_h5_writer **out, nnh_error *err)
{
    *out = NULL;
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
    *out = w;
    return NNH_OK;
}

int nnh_h5_write_bounds(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                        int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                        nnh_error *err)
{
    nnh_h5_writer *w;
    int rc = h5x_begin_bounds(path, net, meta, n_regions, regions, stats, &w, err);
    return rc ? rc : nnh_h5_finish(w, 1, err);
}
