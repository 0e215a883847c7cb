/* Damaged bound files (issue 15, defect 3): every byte of a complete file and
 * of a checkpoint-style partial file is changed in turn, and nnh_h5_read must
 * either refuse the file with a message naming it, or return exactly what was
 * written (damage is never silent); it must never crash, overflow or hang
 * (alarm per read) or leave an HDF5 identifier open. NNH_DAMAGE_STRIDE=n tries every n-th byte only (the
 * valgrind run of it_readers_valgrind.sh). */
#define _DEFAULT_SOURCE
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <hdf5.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 4 -> 5 (leaky_relu) -> 3 (selu) -> 2 network with random weights */
static nnh_network *make_net(void)
{
    int sizes[4] = {4, 5, 3, 2};
    unsigned long long st = 5;
    nnh_network *net = nnh_test_random_net(3, sizes, 0.5, &st);
    nnh_act_default(&net->layers[0].act, NNH_ACT_LEAKY_RELU);
    net->layers[0].act.alpha = 0.1;
    nnh_act_default(&net->layers[1].act, NNH_ACT_SELU);
    return net;
}

#define R 2
static void make_regions(const nnh_network *net, nnh_bounds **b, double *lo, double *hi)
{
    unsigned long long st = 17;
    nnh_error err;
    for (int r = 0; r < R; r++) {
        for (int j = 0; j < 4; j++) {
            lo[r * 4 + j] = nnh_test_rand(&st) - 1;
            hi[r * 4 + j] = lo[r * 4 + j] + nnh_test_rand(&st) / 3;
        }
        ck_assert_int_eq(nnh_bounds_create(net, lo + r * 4, hi + r * 4, &b[r], &err), 0);
        ck_assert_int_eq(nnh_bounds_ibp(net, b[r], &err), 0);
    }
}

static int same_doubles(const double *a, const double *b, int n)
{
    if ((a == NULL) != (b == NULL))
        return 0;
    return !a || memcmp(a, b, (size_t)n * sizeof(double)) == 0;
}

static int same_str(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0);
}

/* everything nnh_h5_read returns, field by field: 1 when equal */
static int same_file(const nnh_h5_file *a, const nnh_h5_file *b)
{
    const char *const sa[] = {a->format,         a->nnhull_version, a->created_utc,
                              a->network_path,   a->network_sha256, a->spec_path,
                              a->method,         a->options,        a->status};
    const char *const sb[] = {b->format,         b->nnhull_version, b->created_utc,
                              b->network_path,   b->network_sha256, b->spec_path,
                              b->method,         b->options,        b->status};
    for (int i = 0; i < 9; i++)
        if (!same_str(sa[i], sb[i]))
            return 0;
    if (a->format_version != b->format_version || a->mpi_ranks != b->mpi_ranks ||
        a->complete != b->complete || a->n_regions != b->n_regions || a->n_in != b->n_in ||
        a->n_layers != b->n_layers)
        return 0;
    for (int k = 0; k < a->n_layers; k++)
        if (a->present[k] != b->present[k] || !same_str(a->activation[k], b->activation[k]))
            return 0;
    if (memcmp(a->stats, b->stats, (size_t)a->n_layers * sizeof *a->stats) != 0)
        return 0;
    for (int r = 0; r < a->n_regions; r++) {
        const nnh_bounds *p = a->regions[r], *q = b->regions[r];
        if (!same_doubles(p->in_lo, q->in_lo, a->n_in) || !same_doubles(p->in_hi, q->in_hi, a->n_in))
            return 0;
        for (int k = 0; k < a->n_layers; k++) {
            const nnh_layer_bounds *x = &p->layers[k], *y = &q->layers[k];
            if (x->width != y->width || !same_doubles(x->pre_lo, y->pre_lo, x->width) ||
                !same_doubles(x->pre_hi, y->pre_hi, x->width) ||
                !same_doubles(x->post_lo, y->post_lo, x->width) ||
                !same_doubles(x->post_hi, y->post_hi, x->width))
                return 0;
        }
    }
    return 1;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* identifiers libhdf5 holds open, all kinds together */
static long open_ids(void)
{
    static const H5I_type_t kinds[] = {H5I_FILE,      H5I_GROUP,    H5I_DATATYPE,
                                       H5I_DATASPACE, H5I_DATASET,  H5I_ATTR,
                                       H5I_GENPROP_LST};
    long total = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        hsize_t n = 0;
        H5E_BEGIN_TRY { H5Inmembers(kinds[i], &n); }
        H5E_END_TRY;
        total += (long)n;
    }
    return total;
}

static void put_byte(int fd, size_t off, unsigned char b)
{
    ck_assert_int_eq(pwrite(fd, &b, 1, (off_t)off), 1);
}

/* change every stride-th byte of path in a copy (xor 0xff or 0x01, by turns)
 * and read the copy back */
static void damage_every_byte(const char *path, const char *work)
{
    nnh_error err;
    nnh_h5_file *ref;
    ck_assert_int_eq(nnh_h5_read(path, &ref, &err), 0);
    size_t n;
    unsigned char *buf = slurp(path, &n);
    int fd = open(work, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, n), (ssize_t)n);
    const char *s = getenv("NNH_DAMAGE_STRIDE");
    size_t stride = s && atoi(s) > 0 ? (size_t)atoi(s) : 1;
    long refused = 0, same = 0, ids = open_ids();
    for (size_t off = 0; off < n; off += stride) {
        unsigned char x = (off / stride) % 2 ? 0x01 : 0xff;
        put_byte(fd, off, buf[off] ^ x);
        nnh_h5_file *h = NULL;
        alarm(60); /* a hang inside the reader ends the test (SIGALRM) */
        int rc = nnh_h5_read(work, &h, &err);
        alarm(0);
        put_byte(fd, off, buf[off]);
        ck_assert_msg(open_ids() == ids, "%s: byte %zu ^ 0x%02x: %ld HDF5 identifiers left open",
                      path, off, x, open_ids() - ids);
        if (rc) {
            ck_assert_msg(rc == NNH_EPARSE || rc == NNH_EUNSUPPORTED,
                          "%s: byte %zu ^ 0x%02x: code %d (%s)", path, off, x, rc, err.msg);
            ck_assert_msg(strstr(err.msg, work), "message does not name the file: %s", err.msg);
            refused++;
        } else {
            /* read back: must be exactly what was written */
            ck_assert_msg(same_file(ref, h), "%s: byte %zu ^ 0x%02x: damage read back silently",
                          path, off, x);
            nnh_h5_file_free(h);
            same++;
        }
    }
    printf("%s: %zu bytes, stride %zu: %ld damaged copies refused, %ld read back unchanged\n",
           path, n, stride, refused, same);
    ck_assert_int_gt(refused, 0);
    close(fd);
    free(buf);
    nnh_h5_file_free(ref);
    unlink(work);
}

START_TEST(test_damaged_files)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    double lo[R * 4], hi[R * 4];
    make_regions(net, b, lo, hi);
    nnh_layer_stats stats[3] = {{0.5, 1, 2, 3, 4, 5}, {1, 10, 20, 30, 40, 50}, {2, 7, 7, 8, 9, 0}};
    char dir[] = "/tmp/nnh_h5damage_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char full[96], part[96], work[96];
    snprintf(full, sizeof full, "%s/full.h5", dir);
    snprintf(part, sizeof part, "%s/part.h5", dir);
    snprintf(work, sizeof work, "%s/work.h5", dir);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_sha256 = "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
    m.network_path = "net.onnx";
    m.spec_path = "prop.vnnlib";
    m.method = "crown";
    m.options_json = "{\"eps\":0.05}";
    nnh_error err;
    ck_assert_int_eq(nnh_h5_write_bounds(full, net, &m, R, b, stats, &err), 0);
    /* a checkpoint: layer 0 only, a NaN row as the checkpoints write them */
    nnh_h5_writer *w;
    ck_assert_int_eq(nnh_h5_create(part, net, &m, R, lo, hi, &w, &err), 0);
    b[1]->layers[0].pre_lo[2] = b[1]->layers[0].pre_hi[2] = 0.0 / 0.0;
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), 0);
    ck_assert_int_eq(nnh_h5_write_stats(w, stats, &err), 0);
    ck_assert_int_eq(nnh_h5_finish(w, 0, &err), 0);

    damage_every_byte(full, work);
    damage_every_byte(part, work);

    unlink(full);
    unlink(part);
    ck_assert_int_eq(rmdir(dir), 0);
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("h5damage");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_damaged_files);
    tcase_set_timeout(tc, 600);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
