/* Internal HDF5 helpers of the bound files (h5util.c), shared by the writer
 * (h5bounds.c), the reader (h5read.c) and the verdict (h5verdict.c): typed
 * writers, readers that check type, shape and size before every read, and
 * HDF5's error printing silenced around each public call. */
#ifndef NNH_H5_INTERNAL_H
#define NNH_H5_INTERNAL_H

#include "nnhull/io.h"

#include <hdf5.h>

/* Longest string attribute read back (the options JSON is the longest). */
#define H5X_MAX_STR (1 << 20)

typedef struct h5x_quiet {
    H5E_auto2_t fn;
    void *data;
} h5x_quiet;

void h5x_quiet_begin(h5x_quiet *q);
void h5x_quiet_end(const h5x_quiet *q);

/* A file kept in memory: HDF5 (core driver, no backing store) never writes
 * to disk; nnhull writes the bytes itself, so that a full disk is an error
 * it reports rather than a failed H5Fclose that crashes libhdf5 at exit.
 * mem/size follow the driver's buffer; after h5x_image_close they are the
 * whole file (caller frees mem). */
typedef struct h5x_image {
    void *mem;
    size_t size;
    int kept; /* the driver let go of mem at close */
} h5x_image;

/* File access for a memory file in img (zeroed by the caller), in the file
 * format of HDF5 1.8 (checksummed metadata); with init (n bytes) the file
 * opened starts as a copy of it. < 0 on failure. */
hid_t h5x_memory_fapl(h5x_image *img, const void *init, size_t n);
/* Close the memory file; on success img->mem is the file's bytes. 0 or -1
 * (then libhdf5 may still hold img: never free it). */
int h5x_image_close(hid_t file, h5x_image *img);
/* Bytes of img->mem that are the file (after a flush or the close). */
size_t h5x_image_used(const h5x_image *img);

/* Names of the /stats datasets (seconds first). */
extern const char *const h5x_stat_names[6];

/* Scalar attributes, replaced when present; strings are fixed-length,
 * NUL-terminated UTF-8. 0 or -1; everything opened is closed. */
int h5x_attr_str(hid_t loc, const char *name, const char *value);
int h5x_attr_int(hid_t loc, const char *name, int value);
int h5x_attr_long(hid_t loc, const char *name, long value);
int h5x_attr_double(hid_t loc, const char *name, double value);
/* rank-2 [rows x cols] dataset (cols == 0: rank 1 of length rows) of 8-byte
 * values (ftype in the file, mtype in buf) and its digest: the attribute
 * "<name>_sha256" of loc, the hex SHA-256 of the values as 8-byte
 * little-endian, row-major. */
int h5x_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t rows,
                hsize_t cols, const void *buf);
/* Overwrite an existing dataset's whole content (and its digest). */
int h5x_dataset_overwrite(hid_t loc, const char *name, hid_t mtype, const void *buf);

/* Readers: NULL / -1 when absent or not of the expected kind. */
/* A scalar fixed-length string attribute of at most H5X_MAX_STR bytes
 * (variable-length strings are refused: libhdf5 1.10 can crash reading
 * them from a damaged file); malloc'd, NUL-terminated. */
char *h5x_get_attr_str(hid_t loc, const char *name);
/* A scalar integer attribute that fits an int. */
int h5x_get_attr_int(hid_t loc, const char *name, int *v);
/* A whole rank-1 or rank-2 dataset of float64 (is_int == 0, read as
 * double) or integers of at most 8 bytes (is_int, read as long long) whose
 * stored size covers its extent and whose values match the digest beside it
 * (name may be a path: "/layers/0/pre_lower"); dims[1] = 0 for rank 1. */
void *h5x_get_dataset(hid_t loc, const char *name, int is_int, hsize_t dims[2]);

/* nnh_h5_write_bounds but the writer is left open (*out) for more before
 * nnh_h5_finish; on failure nothing is left on disk and *out is NULL. */
int h5x_begin_bounds(const char *path, const nnh_network *net, const nnh_h5_meta *meta,
                     int n_regions, nnh_bounds *const *regions, const nnh_layer_stats *stats,
                     nnh_h5_writer **out, nnh_error *err);
/* The open HDF5 file of a writer (to add groups before nnh_h5_finish). */
hid_t h5x_writer_file(nnh_h5_writer *w);

#endif
