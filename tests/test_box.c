/* Unit tests of the plain-text number readers of io/box.c: number lists,
 * files of numbers (--center F) and box files (--box F): comments, blank
 * lines, and errors that name file:line. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "path:line: what" expected in err.msg */
static void assert_at(const nnh_error *err, const char *path, int line, const char *what)
{
    char want[4200];
    snprintf(want, sizeof want, "%s:%d: %s", path, line, what);
    ck_assert_msg(strstr(err->msg, want) != NULL, "want '%s' in '%s'", want, err->msg);
}

START_TEST(test_parse_numbers)
{
    double *v;
    int n;
    nnh_error err;
    ck_assert_int_eq(nnh_parse_numbers(" 1, -2.5e-3\t3 ,inf,,", &v, &n, &err), 0);
    ck_assert_int_eq(n, 4);
    ck_assert(v[0] == 1 && v[1] == -2.5e-3 && v[2] == 3 && isinf(v[3]));
    free(v);
    ck_assert_int_eq(nnh_parse_numbers("", &v, &n, &err), 0);
    ck_assert_int_eq(n, 0);
    free(v);
    const char *bad[] = {"1,x,3", "1 nan", "2e", "0x", "1;2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = NULL;
        ck_assert_int_eq(nnh_parse_numbers(bad[i], &v, &n, &err), NNH_EPARSE);
        ck_assert_msg(strstr(err.msg, "bad number '") != NULL, "%s: %s", bad[i], err.msg);
        ck_assert_ptr_null(v);
    }
    ck_assert_int_eq(nnh_parse_numbers("1,x,3", &v, &n, &err), NNH_EPARSE);
    ck_assert_str_eq(err.msg, "bad number 'x'");
}
END_TEST

START_TEST(test_read_box_good)
{
    const char *p = nnh_test_tmpfile("# tiny box\n-1 0.5\n0.25,0.75   # second input\r\n\n"
                                     "  # only a comment\n-0.5 -0.5\n-inf 1e300", ".txt");
    ck_assert_ptr_nonnull(p);
    double *lo, *hi;
    int n;
    nnh_error err;
    ck_assert_int_eq(nnh_read_box(p, &lo, &hi, &n, &err), 0);
    ck_assert_int_eq(n, 4);
    double wl[4] = {-1, 0.25, -0.5, -INFINITY}, wh[4] = {0.5, 0.75, -0.5, 1e300};
    for (int i = 0; i < n; i++) {
        ck_assert(lo[i] == wl[i]);
        ck_assert(hi[i] == wh[i]);
    }
    free(lo);
    free(hi);
    remove(p);
    /* only comments: no interval (the caller compares with the network) */
    p = nnh_test_tmpfile("# nothing\n\n", ".txt");
    ck_assert_int_eq(nnh_read_box(p, &lo, &hi, &n, &err), 0);
    ck_assert_int_eq(n, 0);
    free(lo);
    free(hi);
    remove(p);
}
END_TEST

START_TEST(test_read_box_errors)
{
    struct {
        const char *text;
        int line;
        const char *what;
    } bad[] = {
        {"0 1\n0 oops\n0 1\n", 2, "bad number 'oops'"},
        {"0 1\n\n# c\n0 1 2\n", 4, "expected two numbers 'lo hi', got 3"},
        {"0 1\n5\n", 2, "expected two numbers 'lo hi', got 1"},
        {"1 0\n0 1\n", 1, "lower bound 1 is above upper bound 0"},
        {"0 1\n0 nan\n", 2, "bad number 'nan'"},
        {"0 1 # fine\n2#3 4\n", 2, "expected two numbers 'lo hi', got 1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *p = nnh_test_tmpfile(bad[i].text, ".txt");
        double *lo = NULL, *hi = NULL;
        int n;
        nnh_error err;
        ck_assert_int_eq(nnh_read_box(p, &lo, &hi, &n, &err), NNH_EPARSE);
        assert_at(&err, p, bad[i].line, bad[i].what);
        ck_assert_ptr_null(lo);
        ck_assert_ptr_null(hi);
        remove(p);
    }
    double *lo, *hi;
    int n;
    nnh_error err;
    ck_assert_int_eq(nnh_read_box("/nonexistent/box.txt", &lo, &hi, &n, &err), NNH_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/box.txt"));
}
END_TEST

START_TEST(test_read_numbers)
{
    const char *p = nnh_test_tmpfile("0.5\n0.5 # x2\n# skip 9\n0.25, 1e-3\n", ".txt");
    double *v;
    int n;
    nnh_error err;
    ck_assert_int_eq(nnh_read_numbers(p, &v, &n, &err), 0);
    ck_assert_int_eq(n, 4);
    ck_assert(v[0] == 0.5 && v[1] == 0.5 && v[2] == 0.25 && v[3] == 1e-3);
    free(v);
    remove(p);
    p = nnh_test_tmpfile("1 2\n3\n4 five\n", ".txt");
    ck_assert_int_eq(nnh_read_numbers(p, &v, &n, &err), NNH_EPARSE);
    assert_at(&err, p, 3, "bad number 'five'");
    remove(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("box");
    TCase *tc = tcase_create("io");
    tcase_add_test(tc, test_parse_numbers);
    tcase_add_test(tc, test_read_box_good);
    tcase_add_test(tc, test_read_box_errors);
    tcase_add_test(tc, test_read_numbers);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
