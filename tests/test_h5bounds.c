/* Unit tests of the HDF5 bound files (io/h5bounds.c) and of SHA-256
 * (io/sha256.c): bit-for-bit round trip, partial/complete status, no file
 * left behind after failures, reader refusing foreign files, FIPS vectors. */
#define _DEFAULT_SOURCE
#include "nnhull/io.h"
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <hdf5.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *sha_hex(const char *msg, size_t chunk)
{
    static char hex[65];
    nnh_sha256_ctx c;
    unsigned char d[32];
    nnh_sha256_init(&c);
    size_t n = strlen(msg);
    for (size_t i = 0; i < n; i += chunk)
        nnh_sha256_update(&c, msg + i, n - i < chunk ? n - i : chunk);
    nnh_sha256_final(&c, d);
    nnh_sha256_hex(d, hex);
    return hex;
}

START_TEST(test_sha256_vectors)
{
    /* FIPS 180-2, appendix B.1 and B.2, and the empty message */
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const char *h448 = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
    ck_assert_str_eq(sha_hex("abc", 3),
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(sha_hex(m448, 1000), h448);
    for (size_t chunk = 1; chunk < 70; chunk += 7) /* split updates give the same digest */
        ck_assert_str_eq(sha_hex(m448, chunk), h448);
    ck_assert_str_eq(sha_hex("", 1),
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* FIPS 180-2 B.3: one million 'a' */
    char *a = malloc(1000001);
    memset(a, 'a', 1000000);
    a[1000000] = '\0';
    ck_assert_str_eq(sha_hex(a, 4096),
                     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
    /* the file variant agrees */
    const char *p = nnh_test_tmpfile("abc", ".txt");
    char hex[65];
    nnh_error err;
    ck_assert_int_eq(nnh_sha256_file(p, hex, &err), 0);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    unlink(p);
    ck_assert_int_eq(nnh_sha256_file("/nonexistent/x", hex, &err), NNH_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x"));
}
END_TEST

/* 4 -> 5 (leaky) -> 3 (selu) -> 2 network with random weights */
static nnh_network *make_net(void)
{
    int sizes[4] = {4, 5, 3, 2};
    unsigned long long st = 3;
    nnh_network *net = nnh_test_random_net(3, sizes, 0.5, &st);
    nnh_act_default(&net->layers[0].act, NNH_ACT_LEAKY_RELU);
    net->layers[0].act.alpha = 0.1;
    nnh_act_default(&net->layers[1].act, NNH_ACT_SELU);
    return net;
}

#define R 3
static void make_regions(const nnh_network *net, nnh_bounds **b)
{
    unsigned long long st = 99;
    nnh_error err;
    for (int r = 0; r < R; r++) {
        double lo[4], hi[4];
        for (int j = 0; j < 4; j++) {
            lo[j] = nnh_test_rand(&st) - 1;
            hi[j] = lo[j] + nnh_test_rand(&st) / 3;
        }
        ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b[r], &err), 0);
        ck_assert_int_eq(nnh_bounds_ibp(net, b[r], &err), 0);
    }
    b[1]->layers[2].pre_hi[1] = INFINITY; /* infinities must survive too */
    b[2]->layers[0].post_lo[0] = -INFINITY;
}

static char *tmpdir(void)
{
    static char d[64];
    snprintf(d, sizeof d, "/tmp/nnh_h5_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* a writer's temporary: "<out>.tmp.<pid>.<6 letters or digits>", a regular file */
static void assert_temp_name(const char *tmp, const char *out)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s.tmp.%ld.", out, (long)getpid());
    ck_assert_int_eq(strncmp(tmp, prefix, strlen(prefix)), 0);
    ck_assert_uint_eq(strlen(tmp), strlen(prefix) + 6);
    struct stat st;
    ck_assert_int_eq(lstat(tmp, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
}

/* path names a directory without entries */
static int empty_dir(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", path);
    return system(cmd) == 0;
}

static void assert_same_doubles(const double *a, const double *b, int n)
{
    ck_assert_int_eq(memcmp(a, b, (size_t)n * sizeof(double)), 0);
}

START_TEST(test_round_trip)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    make_regions(net, b);
    nnh_layer_stats stats[3] = {{0.25, 1, 2, 3, 4, 5}, {1e-9, 10, 20, 30, 40, 50},
                                {3.5, 1L << 40, 7, 8, 9, 0}};
    char out[128], netfile[128];
    char *d = tmpdir();
    snprintf(out, sizeof out, "%s/b.h5", d);
    snprintf(netfile, sizeof netfile, "%s/net.onnx", d);
    FILE *f = fopen(netfile, "w");
    fputs("abc", f);
    fclose(f);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_path = netfile;
    m.spec_path = "prop.vnnlib";
    m.method = "ibp";
    m.options_json = "{\"eps\":0.05,\"name\":\"\xc3\xa9t\xc3\xa9\"}";
    m.mpi_ranks = 4;
    nnh_error err;
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, stats, &err), 0);

    nnh_h5_file *h;
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), 0);
    ck_assert_str_eq(h->format, "nnhull-bounds");
    ck_assert_int_eq(h->format_version, NNH_H5_FORMAT_VERSION);
    ck_assert_str_eq(h->nnhull_version, nnh_version());
    ck_assert_str_eq(h->status, "complete");
    ck_assert_int_eq(h->complete, 1);
    ck_assert_str_eq(h->network_path, netfile);
    ck_assert_str_eq(h->network_sha256,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_str_eq(h->spec_path, "prop.vnnlib");
    ck_assert_str_eq(h->options, m.options_json);
    ck_assert_int_eq(h->mpi_ranks, 4);
    ck_assert_int_eq(strlen(h->created_utc), 20);
    ck_assert_int_eq(h->n_regions, R);
    ck_assert_int_eq(h->n_in, 4);
    ck_assert_int_eq(h->n_layers, 3);
    ck_assert_str_eq(h->activation[0], "leaky_relu");
    ck_assert_str_eq(h->activation[1], "selu");
    ck_assert_str_eq(h->activation[2], "identity");
    for (int r = 0; r < R; r++) {
        assert_same_doubles(h->regions[r]->in_lo, b[r]->in_lo, 4);
        assert_same_doubles(h->regions[r]->in_hi, b[r]->in_hi, 4);
        for (int k = 0; k < 3; k++) {
            const nnh_layer_bounds *A = &h->regions[r]->layers[k], *B = &b[r]->layers[k];
            ck_assert_int_eq(h->present[k], 1);
            ck_assert_int_eq(A->width, B->width);
            assert_same_doubles(A->pre_lo, B->pre_lo, B->width);
            assert_same_doubles(A->pre_hi, B->pre_hi, B->width);
            assert_same_doubles(A->post_lo, B->post_lo, B->width);
            assert_same_doubles(A->post_hi, B->post_hi, B->width);
        }
    }
    ck_assert(isinf(h->regions[1]->layers[2].pre_hi[1]));
    ck_assert_int_eq(memcmp(h->stats, stats, sizeof stats), 0);
    nnh_h5_file_free(h);
    unlink(out);
    unlink(netfile);
    rmdir(d);
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

/* a checkpoint-style file: some layers written, status partial */
START_TEST(test_partial_then_complete)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    make_regions(net, b);
    double lo[R * 4], hi[R * 4];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < 4; j++)
            lo[r * 4 + j] = b[r]->in_lo[j], hi[r * 4 + j] = b[r]->in_hi[j];
    char out[128];
    char *d = tmpdir();
    snprintf(out, sizeof out, "%s/p.h5", d);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_sha256 = "00";
    nnh_error err;
    nnh_h5_writer *w;
    ck_assert_int_eq(nnh_h5_create(out, net, &m, R, lo, hi, &w, &err), 0);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s", nnh_h5_temp_path(w));
    assert_temp_name(tmp, out);
    ck_assert(!exists(out));
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), NNH_EINVAL); /* twice */
    ck_assert_int_eq(nnh_h5_write_layer(w, 3, b, &err), NNH_EINVAL); /* out of range */
    ck_assert_int_eq(nnh_h5_flush(w, &err), 0);
    /* the flushed temporary is a readable partial file with layer 0 */
    nnh_h5_file *h;
    ck_assert_int_eq(nnh_h5_read(tmp, &h, &err), 0);
    ck_assert_int_eq(h->present[0], 1);
    ck_assert_int_eq(h->present[1], 0);
    nnh_h5_file_free(h);
    ck_assert_int_eq(nnh_h5_finish(w, 0, &err), 0);
    ck_assert(!exists(tmp));
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), 0);
    ck_assert_str_eq(h->status, "partial");
    ck_assert_int_eq(h->complete, 0);
    ck_assert_int_eq(h->present[0], 1);
    ck_assert_int_eq(h->present[1], 0);
    ck_assert_int_eq(h->present[2], 0);
    ck_assert_ptr_null(h->regions[0]->layers[1].pre_lo);
    assert_same_doubles(h->regions[2]->layers[0].post_hi, b[2]->layers[0].post_hi, 5);
    nnh_h5_file_free(h);

    /* complete refused while layers are missing: nothing new on disk */
    unlink(out);
    ck_assert_int_eq(nnh_h5_create(out, net, &m, R, lo, hi, &w, &err), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 2, b, &err), 0);
    ck_assert_int_eq(nnh_h5_finish(w, 1, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "layer 0"));
    ck_assert(empty_dir(d));
    rmdir(d);
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

/* checkpoint and resume: finish(partial), reopen, append the rest, complete */
START_TEST(test_reopen_appends)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    make_regions(net, b);
    double lo[R * 4], hi[R * 4];
    for (int r = 0; r < R; r++)
        for (int j = 0; j < 4; j++)
            lo[r * 4 + j] = b[r]->in_lo[j], hi[r * 4 + j] = b[r]->in_hi[j];
    char out[128], tmp[160];
    char *d = tmpdir();
    snprintf(out, sizeof out, "%s/c.h5", d);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_sha256 = "00";
    m.method = "hull";
    nnh_error err;
    nnh_h5_writer *w;
    ck_assert_int_eq(nnh_h5_create(out, net, &m, R, lo, hi, &w, &err), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), 0);
    ck_assert_int_eq(nnh_h5_finish(w, 0, &err), 0); /* checkpoint */

    ck_assert_int_eq(nnh_h5_reopen(out, net, &w, &err), 0);
    snprintf(tmp, sizeof tmp, "%s", nnh_h5_temp_path(w));
    assert_temp_name(tmp, out);
    ck_assert_int_eq(nnh_h5_layer_written(w, 0), 1);
    ck_assert_int_eq(nnh_h5_layer_written(w, 1), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), NNH_EINVAL); /* already there */
    ck_assert_int_eq(nnh_h5_write_layer(w, 1, b, &err), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 2, b, &err), 0);
    nnh_layer_stats st[3] = {{1, 2, 3, 4, 5, 6}, {0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}};
    ck_assert_int_eq(nnh_h5_write_stats(w, st, &err), 0);
    ck_assert_int_eq(nnh_h5_finish(w, 1, &err), 0);
    ck_assert(!exists(tmp));

    nnh_h5_file *h;
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), 0);
    ck_assert_int_eq(h->complete, 1);
    ck_assert_str_eq(h->method, "hull");
    ck_assert_int_eq(h->n_regions, R);
    for (int r = 0; r < R; r++)
        for (int k = 0; k < 3; k++) {
            assert_same_doubles(h->regions[r]->layers[k].pre_lo, b[r]->layers[k].pre_lo,
                                b[r]->layers[k].width);
            assert_same_doubles(h->regions[r]->layers[k].post_hi, b[r]->layers[k].post_hi,
                                b[r]->layers[k].width);
        }
    ck_assert_int_eq(h->stats[0].simplex_iters, 3);
    nnh_h5_file_free(h);

    /* a network of another shape is refused, the file stays, no temporary */
    nnh_network *other;
    int sizes[3] = {4, 6, 2};
    ck_assert_int_eq(nnh_network_create(&other, 2, sizes, &err), 0);
    ck_assert_int_eq(nnh_h5_reopen(out, other, &w, &err), NNH_EINVAL);
    ck_assert(exists(out));
    unlink(out);
    ck_assert(empty_dir(d)); /* no temporary left */
    nnh_network_free(other);
    ck_assert_int_ne(nnh_h5_reopen("/nonexistent/x.h5", net, &w, &err), 0);
    ck_assert_int_eq(rmdir(d), 0);
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_failures_leave_nothing)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    make_regions(net, b);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_sha256 = "00";
    nnh_error err;
    char *d = tmpdir();
    char out[128], tmp[160];

    /* unwritable location: the directory does not exist */
    snprintf(out, sizeof out, "%s/missing/b.h5", d);
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, NULL, &err), NNH_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, out));

    /* injected failure at the end: the final name is a directory, rename fails */
    snprintf(out, sizeof out, "%s/isdir.h5", d);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    snprintf(out, sizeof out, "%s/isdir.h5/sub", d);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    snprintf(out, sizeof out, "%s/isdir.h5", d);
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, NULL, &err), NNH_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "rename"));

    /* failure in the middle (a region of the wrong shape), then abort */
    snprintf(out, sizeof out, "%s/mid.h5", d);
    int w0 = b[1]->layers[1].width;
    b[1]->layers[1].width = 2;
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, NULL, &err), NNH_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "region 1"));
    b[1]->layers[1].width = w0;
    ck_assert(!exists(out));

    /* explicit abort after some layers */
    double lo[R * 4] = {0}, hi[R * 4] = {0};
    nnh_h5_writer *w;
    ck_assert_int_eq(nnh_h5_create(out, net, &m, R, lo, hi, &w, &err), 0);
    ck_assert_int_eq(nnh_h5_write_layer(w, 0, b, &err), 0);
    snprintf(tmp, sizeof tmp, "%s", nnh_h5_temp_path(w));
    assert_temp_name(tmp, out);
    nnh_h5_abort(w);
    ck_assert(!exists(tmp));
    ck_assert(!exists(out));

    snprintf(out, sizeof out, "%s/isdir.h5/sub", d);
    rmdir(out);
    snprintf(out, sizeof out, "%s/isdir.h5", d);
    rmdir(out);
    ck_assert_int_eq(rmdir(d), 0); /* empty: nothing was left behind */
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

START_TEST(test_reader_refuses_foreign_files)
{
    nnh_error err;
    nnh_h5_file *h;
    const char *txt = nnh_test_tmpfile("hello\n", ".h5");
    ck_assert_int_eq(nnh_h5_read(txt, &h, &err), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "not an HDF5 file"));
    ck_assert_ptr_nonnull(strstr(err.msg, txt));
    unlink(txt);
    ck_assert_int_eq(nnh_h5_read("/nonexistent/b.h5", &h, &err), NNH_EIO);

    /* a valid HDF5 file that is not ours */
    char path[] = "/tmp/nnh_h5_foreignXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    hsize_t n = 3;
    hid_t sp = H5Screate_simple(1, &n, NULL);
    double v[3] = {1, 2, 3};
    hid_t ds = H5Dcreate2(f, "data", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v), 0);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
    ck_assert_int_eq(nnh_h5_read(path, &h, &err), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "not an nnhull-bounds file"));
    unlink(path);
}
END_TEST

/* a scalar variable-length string attribute (what format version 1 wrote) */
static void vlen_attr(hid_t loc, const char *name, const char *value)
{
    if (H5Aexists(loc, name) > 0)
        ck_assert_int_ge(H5Adelete(loc, name), 0);
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, H5T_VARIABLE);
    hid_t a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(a, t, &value), 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

/* format version 2: fixed-length strings, a SHA-256 digest on every dataset,
 * and the reader refusing variable-length strings, version 1 and data that
 * does not match its digest */
START_TEST(test_format_v2)
{
    nnh_network *net = make_net();
    nnh_bounds *b[R];
    make_regions(net, b);
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_sha256 = "00";
    nnh_error err;
    char *d = tmpdir(), out[128];
    snprintf(out, sizeof out, "%s/f.h5", d);
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, NULL, &err), 0);
    hid_t f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    const char *strs[] = {"format", "nnhull_version", "created_utc", "network_path",
                          "network_sha256", "spec_path", "method", "options", "status"};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        hid_t a = H5Aopen(f, strs[i], H5P_DEFAULT), t = H5Aget_type(a);
        ck_assert_int_eq(H5Tget_class(t), H5T_STRING);
        ck_assert_int_eq(H5Tis_variable_str(t), 0);
        H5Tclose(t);
        H5Aclose(a);
    }
    hid_t g = H5Gopen2(f, "/layers/1", H5P_DEFAULT);
    ck_assert_int_gt(H5Aexists(g, "post_upper_sha256"), 0);
    H5Gclose(g);
    hid_t ds = H5Dopen2(f, "/layers/1/post_upper", H5P_DEFAULT);
    /* one value changed behind the digest's back */
    double row[R * 3];
    ck_assert_int_ge(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, row), 0);
    row[4] += 1;
    ck_assert_int_ge(H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, row), 0);
    H5Dclose(ds);
    H5Fclose(f);
    nnh_h5_file *h;
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "/layers/1/post_upper"));

    /* a variable-length string in a version-2 file */
    ck_assert_int_eq(nnh_h5_write_bounds(out, net, &m, R, b, NULL, &err), 0);
    f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT);
    vlen_attr(f, "method", "ibp");
    H5Fclose(f);
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "'method'"));

    /* version 1 (variable-length strings) is refused by name */
    f = H5Fopen(out, H5F_ACC_RDWR, H5P_DEFAULT);
    vlen_attr(f, "format", "nnhull-bounds");
    int one = 1;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    ck_assert_int_ge(H5Awrite(a, H5T_NATIVE_INT, &one), 0);
    H5Aclose(a);
    H5Fclose(f);
    ck_assert_int_eq(nnh_h5_read(out, &h, &err), NNH_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "version 1"));

    unlink(out);
    ck_assert_int_eq(rmdir(d), 0);
    for (int r = 0; r < R; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("h5bounds");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_sha256_vectors);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_partial_then_complete);
    tcase_add_test(tc, test_reopen_appends);
    tcase_add_test(tc, test_failures_leave_nothing);
    tcase_add_test(tc, test_reader_refuses_foreign_files);
    tcase_add_test(tc, test_format_v2);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
