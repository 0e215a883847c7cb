/* DIR/results.h5 of `nnhull campaign`: the results table with each
 * instance's statistics and provenance, one dataset per column; strings are
 * fixed-length (their longest entry) so that any HDF5 reader gets them. */
#include "nnhull/io.h"
#include "nnhull/nnhull.h"
#include "h5_internal.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* a fixed-length string type of size len + 1 */
static hid_t str_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, len + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* dataset name of n values of memory type mt stored as ft */
static int column(hid_t g, const char *name, hid_t ft, hid_t mt, int n, const void *v)
{
    hsize_t dim = (hsize_t)n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = sp >= 0 ? H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int rc = d >= 0 && (n == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) ? 0 : -1;
    if (d >= 0)
        H5Dclose(d);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

/* the string field at byte offset off of every row, as one fixed-length column */
static int str_column(hid_t g, const char *name, int n, const nnh_campaign_row *rows, size_t off)
{
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        const char *s = *(const char *const *)((const char *)&rows[i] + off);
        size_t l = s ? strlen(s) : 0;
        len = l > len ? l : len;
    }
    char *buf = calloc((size_t)(n ? n : 1), len + 1);
    hid_t t = buf ? str_type(len) : -1;
    for (int i = 0; buf && i < n; i++) {
        const char *s = *(const char *const *)((const char *)&rows[i] + off);
        if (s)
            memcpy(buf + (size_t)i * (len + 1), s, strlen(s));
    }
    int rc = t >= 0 ? column(g, name, t, t, n, buf) : -1;
    if (t >= 0)
        H5Tclose(t);
    free(buf);
    return rc;
}

/* a numeric field of every row (double, long or int by kind 'd', 'l', 'i') */
static int num_column(hid_t g, const char *name, int n, const nnh_campaign_row *rows, size_t off,
                      char kind)
{
    double *d = kind == 'd' ? malloc((size_t)(n ? n : 1) * sizeof *d) : NULL;
    long long *l = kind != 'd' ? malloc((size_t)(n ? n : 1) * sizeof *l) : NULL;
    if (!d && !l)
        return -1;
    for (int i = 0; i < n; i++) {
        const char *p = (const char *)&rows[i] + off;
        if (kind == 'd')
            d[i] = *(const double *)p;
        else
            l[i] = kind == 'l' ? *(const long *)p : *(const int *)p;
    }
    int rc = d ? column(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d)
               : column(g, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, n, l);
    free(d);
    free(l);
    return rc;
}

static int table(hid_t f, int n, const nnh_campaign_row *r)
{
    hid_t g = H5Gcreate2(f, "instances", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
#define S(x) str_column(g, #x, n, r, offsetof(nnh_campaign_row, x))
#define N(x, k) num_column(g, #x, n, r, offsetof(nnh_campaign_row, x), k)
    int rc = S(onnx) | S(vnnlib) | S(result) | S(network_sha256) | S(spec_sha256) |
             N(seconds, 'd') | N(timeout, 'd') | N(rank_seconds, 'd') | N(regions, 'l') | N(regions_proved, 'l') |
             N(regions_stuck, 'l') | N(escalations, 'l') | N(max_depth, 'i') | N(rank, 'i') |
             N(seconds_falsify, 'd') | N(seconds_bounds, 'd');
#undef S
#undef N
    H5Gclose(g);
    return rc;
}

int nnh_h5_write_campaign(const char *path, const char *instances_csv, const char *options_json,
                          int mpi_ranks, int n, const nnh_campaign_row *rows, nnh_error *err)
{
    /* built in memory (libhdf5 never writes to disk), then written by us
     * through an exclusive temporary and renamed, like the bound files */
    char *tmp = NULL, *name = NULL, now[32];
    int fd = -1;
    int rc = nnh_temp_create(path, &tmp, &fd, err);
    if (rc)
        return rc;
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    h5x_quiet q; /* the library never prints: HDF5's error stack is silenced */
    h5x_quiet_begin(&q);
    h5x_image *img = calloc(1, sizeof *img);
    size_t len = strlen(tmp) + 16;
    name = malloc(len);
    hid_t fapl = img && name ? h5x_memory_fapl(img, NULL, 0) : -1;
    hid_t f = -1;
    if (fapl >= 0) {
        snprintf(name, len, "%s/memory", tmp); /* below a regular file: no such file */
        f = H5Fcreate(name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        H5Pclose(fapl);
    }
    int bad = f < 0 || h5x_attr_str(f, "format", "nnhull-campaign") ||
              h5x_attr_int(f, "format_version", 1) || h5x_attr_str(f, "nnhull_version", nnh_version()) ||
              h5x_attr_str(f, "created_utc", now) || h5x_attr_str(f, "instances_csv", instances_csv) ||
              h5x_attr_str(f, "options", options_json ? options_json : "{}") ||
              h5x_attr_int(f, "mpi_ranks", mpi_ranks) || table(f, n, rows);
    int closed = f < 0 || h5x_image_close(f, img) == 0;
    h5x_quiet_end(&q);
    if (bad || !closed)
        rc = nnh_error_set(err, NNH_EIO, "%s: cannot build the file in memory", path);
    else
        rc = nnh_temp_write(fd, tmp, img->mem, h5x_image_used(img), err);
    if (!rc)
        rc = nnh_temp_commit(fd, tmp, path, err);
    else
        nnh_temp_discard(fd, tmp);
    if (img && closed) { /* after a failed close libhdf5 may still hold img */
        free(img->mem);
        free(img);
    }
    free(name);
    free(tmp);
    return rc;
}
