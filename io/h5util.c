/* HDF5 helpers of the bound files: typed writers (fixed-length strings,
 * datasets with a SHA-256 digest), in-memory file access, and readers that
 * check the type, shape and size of every attribute and dataset before
 * reading it, so that a damaged or foreign file is refused, never trusted. */
#include "h5_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void h5x_quiet_begin(h5x_quiet *q)
{
    if (H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data) < 0) {
        q->fn = NULL;
        q->data = NULL;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5x_quiet_end(const h5x_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

/* ---- memory files: the core driver's buffer goes through these callbacks
 * so that it survives H5Fclose (HDF5 then never touches the disk) ---- */

static void *img_malloc(size_t size, H5FD_file_image_op_t op, void *u)
{
    h5x_image *img = u;
    void *p = malloc(size ? size : 1);
    if (p && op == H5FD_FILE_IMAGE_OP_FILE_OPEN) {
        img->mem = p;
        img->size = size;
    }
    return p;
}

static void *img_memcpy(void *dst, const void *src, size_t size, H5FD_file_image_op_t op,
                        void *u)
{
    (void)op;
    (void)u;
    return memcpy(dst, src, size);
}

static void *img_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *u)
{
    h5x_image *img = u;
    void *p = realloc(ptr, size ? size : 1);
    if (p && op == H5FD_FILE_IMAGE_OP_FILE_RESIZE) {
        img->mem = p;
        img->size = size;
    }
    return p;
}

static herr_t img_free(void *ptr, H5FD_file_image_op_t op, void *u)
{
    h5x_image *img = u;
    if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE && ptr == img->mem)
        img->kept = 1; /* the file's bytes: ours now */
    else
        free(ptr);
    return 0;
}

static void *img_udata_copy(void *u) { return u; }
static herr_t img_udata_free(void *u)
{
    (void)u;
    return 0;
}

hid_t h5x_memory_fapl(h5x_image *img, const void *init, size_t n)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0)
        return -1;
    H5FD_file_image_callbacks_t cb = {img_malloc,     img_memcpy,     img_realloc, img_free,
                                      img_udata_copy, img_udata_free, img};
    if (H5Pset_fapl_core(fapl, (size_t)1 << 16, 0) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0 ||
        H5Pset_file_image_callbacks(fapl, &cb) < 0 ||
        (init && H5Pset_file_image(fapl, (void *)init, n) < 0)) {
        H5Pclose(fapl);
        return -1;
    }
    return fapl;
}

size_t h5x_image_used(const h5x_image *img)
{
    /* the end-of-file address of the version-2 superblock at offset 0 (the
     * format of HDF5 1.8 that h5x_memory_fapl asks for); the driver's buffer
     * is padded to its allocation increment */
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    const unsigned char *b = img->mem;
    if (!b || img->size < 48 || memcmp(b, sig, 8) != 0 || b[8] != 2 || b[9] != 8)
        return img->size;
    unsigned long long eof = 0;
    for (int i = 7; i >= 0; i--)
        eof = eof << 8 | b[28 + i];
    return eof >= 48 && eof <= img->size ? (size_t)eof : img->size;
}

int h5x_image_close(hid_t file, h5x_image *img)
{
    return H5Fclose(file) < 0 || !img->kept ? -1 : 0;
}

/* ---- writers ---- */

static int put_attr(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *buf)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return -1;
    hid_t sp = H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, buf) >= 0 ? 0 : -1;
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

/* fixed-length string type of n bytes (NUL included) */
static hid_t str_type(size_t n, H5T_cset_t cset)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0 ||
        H5Tset_cset(t, cset) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

int h5x_attr_str(hid_t loc, const char *name, const char *value)
{
    const char *v = value ? value : "";
    hid_t t = str_type(strlen(v) + 1, H5T_CSET_UTF8);
    if (t < 0)
        return -1;
    int rc = put_attr(loc, name, t, t, v);
    H5Tclose(t);
    return rc;
}

int h5x_attr_int(hid_t loc, const char *name, int value)
{
    return put_attr(loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &value);
}

int h5x_attr_long(hid_t loc, const char *name, long value)
{
    long long v = value;
    return put_attr(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &v);
}

int h5x_attr_double(hid_t loc, const char *name, double value)
{
    return put_attr(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

/* lower-case hex SHA-256 of n 8-byte values (double or long long) taken as
 * little-endian bytes in row-major order: the digest written beside every
 * dataset, so that damaged data is detected when it is read back */
static void values_digest(const void *buf, size_t n, char hex[65])
{
    nnh_sha256_ctx c;
    nnh_sha256_init(&c);
    const unsigned char *p = buf;
    const uint16_t one = 1;
    if (*(const unsigned char *)&one == 1)
        nnh_sha256_update(&c, p, n * 8);
    else
        for (size_t i = 0; i < n; i++) {
            unsigned char le[8];
            for (int j = 0; j < 8; j++)
                le[j] = p[8 * i + 7 - (size_t)j];
            nnh_sha256_update(&c, le, 8);
        }
    unsigned char d[32];
    nnh_sha256_final(&c, d);
    nnh_sha256_hex(d, hex);
}

/* the attribute holding the digest of dataset name: "<name>_sha256" on its
 * group (so that h5dump -d of the dataset shows the numbers only) */
static int digest_name(const char *name, char *buf, size_t len)
{
    const char *base = strrchr(name, '/');
    return snprintf(buf, len, "%s_sha256", base ? base + 1 : name) < (int)len ? 0 : -1;
}

/* write all n values of dataset name of loc (mtype: 8-byte native) and the
 * digest beside it */
static int write_values(hid_t loc, const char *name, hid_t d, hid_t mtype, size_t n,
                        const void *buf)
{
    char hex[65], attr[256];
    values_digest(buf, n, hex);
    return digest_name(name, attr, sizeof attr) == 0 &&
                   H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0 &&
                   h5x_attr_str(loc, attr, hex) == 0
               ? 0
               : -1;
}

int h5x_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, hsize_t rows,
                hsize_t cols, const void *buf)
{
    hsize_t dims[2] = {rows, cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    if (sp < 0)
        return -1;
    hid_t d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int rc = d >= 0 ? write_values(loc, name, d, mtype, (size_t)(rows * (cols ? cols : 1)), buf)
                    : -1;
    if (d >= 0 && H5Dclose(d) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

int h5x_dataset_overwrite(hid_t loc, const char *name, hid_t mtype, const void *buf)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    int rc = n > 0 ? write_values(loc, name, d, mtype, (size_t)n, buf) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (H5Dclose(d) < 0)
        rc = -1;
    return rc;
}

/* ---- readers ---- */

static int one_element(hid_t sp)
{
    H5S_class_t c = sp >= 0 ? H5Sget_simple_extent_type(sp) : H5S_NO_CLASS;
    return c == H5S_SCALAR || (c == H5S_SIMPLE && H5Sget_simple_extent_npoints(sp) == 1);
}

/* the attribute name of loc with its dataspace and type, or -1 (nothing open) */
static hid_t open_attr(hid_t loc, const char *name, hid_t *sp, hid_t *t)
{
    *sp = *t = -1;
    if (H5Aexists(loc, name) <= 0)
        return -1;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    *sp = H5Aget_space(a);
    *t = H5Aget_type(a);
    if (*sp >= 0 && *t >= 0)
        return a;
    if (*sp >= 0)
        H5Sclose(*sp);
    if (*t >= 0)
        H5Tclose(*t);
    H5Aclose(a);
    return -1;
}

static void close_attr(hid_t a, hid_t sp, hid_t t)
{
    H5Tclose(t);
    H5Sclose(sp);
    H5Aclose(a);
}

char *h5x_get_attr_str(hid_t loc, const char *name)
{
    hid_t sp, t, a = open_attr(loc, name, &sp, &t);
    if (a < 0)
        return NULL;
    char *out = NULL;
    size_t n = H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 ? H5Tget_size(t) : 0;
    H5T_cset_t cset = H5Tget_cset(t);
    if (one_element(sp) && n >= 1 && n <= H5X_MAX_STR &&
        (cset == H5T_CSET_ASCII || cset == H5T_CSET_UTF8)) {
        hid_t mt = str_type(n, cset);
        out = mt >= 0 ? calloc(n + 1, 1) : NULL;
        if (out && H5Aread(a, mt, out) < 0) {
            free(out);
            out = NULL;
        }
        if (out)
            out[n] = '\0';
        if (mt >= 0)
            H5Tclose(mt);
    }
    close_attr(a, sp, t);
    return out;
}

int h5x_get_attr_int(hid_t loc, const char *name, int *v)
{
    hid_t sp, t, a = open_attr(loc, name, &sp, &t);
    if (a < 0)
        return -1;
    long long x = 0;
    int rc = one_element(sp) && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) <= 8 &&
                     H5Aread(a, H5T_NATIVE_LLONG, &x) >= 0 && x >= INT_MIN && x <= INT_MAX
                 ? 0
                 : -1;
    close_attr(a, sp, t);
    if (!rc)
        *v = (int)x;
    return rc;
}

/* element count of a rank-1 or rank-2 simple dataspace (dims filled), 0 when
 * it is anything else or too large to hold in memory */
static size_t extent(hid_t sp, hsize_t dims[2])
{
    int rank = H5Sget_simple_extent_type(sp) == H5S_SIMPLE ? H5Sget_simple_extent_ndims(sp) : -1;
    if ((rank != 1 && rank != 2) || H5Sget_simple_extent_dims(sp, dims, NULL) != rank)
        return 0;
    if (rank == 1)
        dims[1] = 0;
    hsize_t cols = rank == 2 ? dims[1] : 1;
    if (dims[0] < 1 || cols < 1 || dims[0] > INT_MAX || cols > INT_MAX ||
        dims[0] > (hsize_t)(SIZE_MAX / 8) / cols)
        return 0;
    return (size_t)(dims[0] * cols);
}

/* the stored bytes of d cover n elements of elem bytes and fit in its file */
static int storage_covers(hid_t d, size_t n, size_t elem)
{
    hsize_t stored = H5Dget_storage_size(d), fsize = 0;
    hid_t f = H5Iget_file_id(d);
    int ok = f >= 0 && H5Fget_filesize(f, &fsize) >= 0;
    if (f >= 0)
        H5Fclose(f);
    return ok && stored >= (hsize_t)n * elem && stored <= fsize;
}

/* the digest beside dataset name of loc matches the n values read */
static int digest_matches(hid_t loc, const char *name, const void *buf, size_t n)
{
    char hex[65], attr[256], parent[256];
    const char *slash = strrchr(name, '/');
    size_t plen = slash ? (size_t)(slash - name) : 0;
    if (digest_name(name, attr, sizeof attr) || plen >= sizeof parent)
        return 0;
    snprintf(parent, sizeof parent, "%.*s", (int)plen, name);
    hid_t g = H5Oopen(loc, !slash ? "." : plen ? parent : "/", H5P_DEFAULT);
    if (g < 0)
        return 0;
    char *stored = h5x_get_attr_str(g, attr);
    H5Oclose(g);
    values_digest(buf, n, hex);
    int ok = stored && strcmp(stored, hex) == 0;
    free(stored);
    return ok;
}

void *h5x_get_dataset(hid_t loc, const char *name, int is_int, hsize_t dims[2])
{
    dims[0] = dims[1] = 0;
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
        return NULL;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0)
        return NULL;
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    void *buf = NULL;
    size_t n = sp >= 0 ? extent(sp, dims) : 0, elem = t >= 0 ? H5Tget_size(t) : 0;
    int kind_ok = t >= 0 && (is_int ? H5Tget_class(t) == H5T_INTEGER && elem >= 1 && elem <= 8
                                    : H5Tget_class(t) == H5T_FLOAT && elem == 8);
    if (n && kind_ok && storage_covers(d, n, elem) && (buf = malloc(n * 8)) &&
        (H5Dread(d, is_int ? H5T_NATIVE_LLONG : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                 buf) < 0 ||
         !digest_matches(loc, name, buf, n))) {
        free(buf);
        buf = NULL;
    }
    if (!buf)
        dims[0] = dims[1] = 0;
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Dclose(d);
    return buf;
}
