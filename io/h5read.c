/* Reader of the HDF5 "nnhull-bounds" files (format version 2), used by
 * `nnhull report`, --resume and the tests. Every attribute and dataset is
 * checked (kind, shape, size) before it is read, strings are fixed-length
 * only, and every dataset must match its SHA-256 digest, so that a damaged
 * file is refused with a message naming it, never trusted or crashed on. */
#include "h5_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    int have_version = h5x_get_attr_int(h, "format_version", &f->format_version) == 0;
    if (have_version && f->format_version == 1 && H5Aexists(h, "format") > 0)
        return nnh_error_set(err, NNH_EUNSUPPORTED, "%s: nnhull-bounds version 1 (nnhull 0.1.0, "
                             "variable-length strings) is not read any more: libhdf5 can crash "
                             "on such strings in a damaged file; write the file again", path);
    f->format = h5x_get_attr_str(h, "format");
    if (!f->format || strcmp(f->format, NNH_H5_FORMAT) != 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: not an nnhull-bounds file (root attribute "
                             "'format' is missing or not \"%s\")", path, NNH_H5_FORMAT);
    if (!have_version)
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
        if (!(*s[i].dst = h5x_get_attr_str(h, s[i].name)))
            return nnh_error_set(err, NNH_EPARSE, "%s: missing or damaged root attribute '%s' "
                                 "(a fixed-length string)", path, s[i].name);
    if (h5x_get_attr_int(h, "mpi_ranks", &f->mpi_ranks) < 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: missing or damaged root attribute 'mpi_ranks'",
                             path);
    f->complete = strcmp(f->status, "complete") == 0;
    if (!f->complete && strcmp(f->status, "partial") != 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: root attribute 'status' is neither "
                             "\"complete\" nor \"partial\"", path);
    return NNH_OK;
}

static int read_stats(hid_t h, const char *path, nnh_h5_file *f, nnh_error *err)
{
    hsize_t dims[2];
    double *sec = h5x_get_dataset(h, "/stats/seconds", 0, dims);
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
        snprintf(name, sizeof name, "/stats/%s", h5x_stat_names[i]);
        long long *v = h5x_get_dataset(h, name, 1, dims);
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
    double *lo = h5x_get_dataset(h, "/regions/lower", 0, dl);
    double *hi = h5x_get_dataset(h, "/regions/upper", 0, du);
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
    htri_t there = H5Lexists(h, "/layers", H5P_DEFAULT) > 0 ? H5Lexists(h, gname, H5P_DEFAULT)
                                                             : -1;
    if (there == 0)
        return NNH_OK; /* not computed (partial file) */
    if (there < 0)
        return nnh_error_set(err, NNH_EPARSE, "%s: cannot look up %s (/layers missing or "
                             "damaged)", path, gname);
    hid_t g = H5Gopen2(h, gname, H5P_DEFAULT);
    int width = -1;
    if (g >= 0) {
        f->activation[k] = h5x_get_attr_str(g, "activation");
        if (h5x_get_attr_int(g, "width", &width) < 0)
            width = -1;
        H5Gclose(g);
    }
    if (!f->activation[k] || width < 1)
        return nnh_error_set(err, NNH_EPARSE, "%s: %s: missing or damaged attributes "
                             "activation and width", path, gname);
    for (int i = 0; i < 4; i++) {
        hsize_t dims[2];
        snprintf(dname, sizeof dname, "%s/%s", gname, names[i]);
        double *v = h5x_get_dataset(h, dname, 0, dims);
        if (!v || (int)dims[0] != f->n_regions || (int)dims[1] != width) {
            free(v);
            return nnh_error_set(err, NNH_EPARSE, "%s: cannot read %s [%d x %d] (missing, "
                                 "damaged or of another shape)", path, dname, f->n_regions, width);
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
    h5x_quiet q;
    h5x_quiet_begin(&q);
    int rc = NNH_OK;
    nnh_h5_file *f = NULL;
    int is_hdf5 = H5Fis_hdf5(path) > 0;
    hid_t h = is_hdf5 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
    if (h < 0)
        rc = nnh_error_set(err, NNH_EPARSE, is_hdf5 ? "%s: damaged HDF5 file (HDF5 cannot open it)"
                                                    : "%s: not an HDF5 file (so not an "
                                                      "nnhull-bounds file)", path);
    else if (!(f = calloc(1, sizeof *f)))
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    else
        rc = read_body(h, path, f, err);
    if (h >= 0)
        H5Fclose(h);
    h5x_quiet_end(&q);
    if (rc) {
        nnh_h5_file_free(f);
        return rc;
    }
    *out = f;
    return NNH_OK;
}
