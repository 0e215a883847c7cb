/* `nnhull report` on files it must not trust (issue 15, defect 9): strings
 * with control characters are printed escaped, and an unknown activation,
 * NaN rows in a complete file and lower > upper are warned about. The files
 * are written with the library and edited with HDF5; the command is the
 * built binary ($NNHULL). */
#define _DEFAULT_SOURCE
#include "nnh_test.h"
#include "nnhull/io.h"
#include "nnhull/nnhull.h"

#include <hdf5.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/nnh_report_XXXXXX";
static char out_text[65536], err_text[65536];

static nnh_network *make_net(void)
{
    int sizes[4] = {3, 4, 3, 2};
    unsigned long long st = 9;
    return nnh_test_random_net(3, sizes, 0.5, &st);
}

/* two regions with IBP bounds; the caller edits them before writing */
static void make_regions(const nnh_network *net, nnh_bounds **b)
{
    nnh_error err;
    for (int r = 0; r < 2; r++) {
        double lo[3] = {-1, 0, 0.5 * r}, hi[3] = {0, 1, 0.5 * r + 0.25};
        ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b[r], &err), 0);
        ck_assert_int_eq(nnh_bounds_ibp(net, b[r], &err), 0);
    }
}

static void write_file(const char *path, const nnh_network *net, nnh_bounds **b,
                       const char *network_path)
{
    nnh_h5_meta m;
    nnh_h5_meta_init(&m);
    m.network_path = network_path;
    m.network_sha256 = "00";
    m.spec_path = "p\tq.vnnlib";
    m.options_json = "{\"note\":\"bell\x07\"}";
    nnh_error err;
    ck_assert_int_eq(nnh_h5_write_bounds(path, net, &m, 2, b, NULL, &err), 0);
}

static void slurp(const char *path, char *dst, size_t cap)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(dst, 1, cap - 1, f);
    dst[n] = '\0';
    fclose(f);
}

/* run `nnhull report path`; stdout and stderr in out_text and err_text */
static int report(const char *path)
{
    const char *bin = getenv("NNHULL");
    ck_assert_msg(bin != NULL, "NNHULL is not set");
    char cmd[1024], o[96], e[96];
    snprintf(o, sizeof o, "%s/stdout", dir);
    snprintf(e, sizeof e, "%s/stderr", dir);
    snprintf(cmd, sizeof cmd, "'%s' report '%s' >'%s' 2>'%s'", bin, path, o, e);
    int st = system(cmd);
    slurp(o, out_text, sizeof out_text);
    slurp(e, err_text, sizeof err_text);
    unlink(o);
    unlink(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* no byte of s is a control character other than the newline */
static int clean_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
            return 0;
    return 1;
}

START_TEST(test_control_characters_escaped)
{
    nnh_network *net = make_net();
    nnh_bounds *b[2];
    make_regions(net, b);
    char path[96];
    snprintf(path, sizeof path, "%s/ctl.h5", dir);
    write_file(path, net, b, "net\x1b[2J\r\nname\x7f\\\xc2\x85\xff\xc3\xa9.onnx");
    ck_assert_int_eq(report(path), 0);
    ck_assert_msg(clean_text(out_text), "raw control characters in: %s", out_text);
    /* backslash doubled, C1 control U+0085, a stray byte, valid UTF-8 kept */
    ck_assert_ptr_nonnull(strstr(out_text, "net\\x1b[2J\\r\\nname\\x7f\\\\\\u0085\\xff\xc3\xa9.onnx"));
    ck_assert_ptr_nonnull(strstr(out_text, "p\\tq.vnnlib"));
    ck_assert_ptr_nonnull(strstr(out_text, "bell\\x07"));
    ck_assert_msg(!strstr(err_text, "warning"), "unexpected warning: %s", err_text);
    unlink(path);
    for (int r = 0; r < 2; r++)
        nnh_bounds_free(b[r]);
    nnh_network_free(net);
}
END_TEST

/* replace the activation attribute of /layers/k by a fixed-length string */
static void set_activation(const char *path, int k, const char *name)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    ck_assert_int_ge(f, 0);
    char g[32];
    snprintf(g, sizeof g, "/layers/%d", k);
    ck_assert_int_ge(H5Adelete_by_name(f, g, "activation", H5P_DEFAULT), 0);
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, strlen(name) + 1);
    hid_t a = H5Acreate_by_name(f, g, "activation", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_ge(H5Awrite(a, t, name), 0);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    ck_assert_int_ge(H5Fclose(f), 0);
}

START_TEST(test_warnings)
{
    nnh_network *net = make_net();
    nnh_bounds *b[2];
    make_regions(net, b);
    b[0]->layers[1].pre_lo[2] = NAN;                           /* NaN row, complete file */
    b[1]->layers[2].post_lo[1] = b[1]->layers[2].post_hi[1] + 1; /* lower > upper */
    b[1]->in_lo[0] = 0.5;                                      /* region box: 0.5 > 0 */
    char path[96];
    snprintf(path, sizeof path, "%s/warn.h5", dir);
    write_file(path, net, b, "net.onnx");
    set_activation(path, 0, "gelu");
    ck_assert_int_eq(report(path), 0);
    ck_assert_ptr_nonnull(strstr(out_text, "status:          complete"));
    ck_assert_msg(strstr(err_text, "warning: layer 0: unknown activation 'gelu'"), "%s", err_text);
    ck_assert_msg(strstr(err_text, "warning: layer 1, region 0: NaN bounds in a complete file"),
                  "%s", err_text);
    ck_assert_msg(strstr(err_text, "warning: layer 2, region 1, neuron 1: post-activation lower"),
                  "%s", err_text);
    ck_assert_msg(strstr(err_text, "warning: region 1, input 0: lower"), "%s", err_text);
    ck_assert_msg(clean_text(err_text), "%s", err_text);

    /* a clean file: no warning at all */
    nnh_bounds *c[2];
    make_regions(net, c);
    write_file(path, net, c, "net.onnx");
    ck_assert_int_eq(report(path), 0);
    ck_assert_msg(err_text[0] == '\0', "unexpected stderr: %s", err_text);
    unlink(path);
    for (int r = 0; r < 2; r++) {
        nnh_bounds_free(b[r]);
        nnh_bounds_free(c[r]);
    }
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_control_characters_escaped);
    tcase_add_test(tc, test_warnings);
    suite_add_tcase(s, tc);
    int rc = nnh_run_suite(s);
    rmdir(dir);
    return rc;
}
