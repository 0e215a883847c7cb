/* Unit tests of the verification-problem container (src/model/spec.c) and the
 * VNNLIB reader (io/vnnlib*.c): every construct and error on tiny hand-made
 * specs, then every .vnnlib file of the shared data (skipped when absent). */
#define _DEFAULT_SOURCE
#include "nnh_test.h"
#include "nnhull/io.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DECL1 "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
#define DECL22 "(declare-const X_0 Real)(declare-const X_1 Real)" \
               "(declare-const Y_0 Real)(declare-const Y_1 Real)\n"

static nnh_error err;

/* Parse text named "t"; returns the code (spec freed on error by the reader). */
static int parse(const char *text, nnh_spec **s)
{
    nnh_error_clear(&err);
    return nnh_parse_vnnlib(text, "t", s, &err);
}

/* Parse, expect code and a message starting with "t:<where>:" and containing word. */
static void expect_error(const char *text, int code, const char *where, const char *word)
{
    nnh_spec *s = (nnh_spec *)1;
    int rc = parse(text, &s);
    ck_assert_msg(rc == code, "expected code %d, got %d (%s) for: %s", code, rc, err.msg, text);
    ck_assert_ptr_null(s);
    char head[64];
    snprintf(head, sizeof head, "t:%s:", where);
    ck_assert_msg(strncmp(err.msg, head, strlen(head)) == 0, "message '%s' should start with '%s'",
                  err.msg, head);
    ck_assert_msg(strstr(err.msg, word) != NULL, "message '%s' should mention '%s'", err.msg, word);
}

/* Row r of case k equals c (n_out entries) and d. */
static int row_is(const nnh_spec *s, int k, int r, const double *c, double d)
{
    const nnh_spec_case *cs = &s->cases[k];
    if (r >= cs->n_ineq || cs->d[r] != d)
        return 0;
    for (int j = 0; j < s->n_out; j++)
        if (cs->C[(size_t)r * s->n_out + j] != c[j])
            return 0;
    return 1;
}

/* ---- the container ---- */

START_TEST(test_spec_container)
{
    nnh_spec *s;
    ck_assert_int_eq(nnh_spec_create(&s, 2, 3, 2, &err), 0);
    ck_assert_int_eq(s->n_cases, 2);
    ck_assert(isinf(s->cases[1].lower[1]) && s->cases[1].lower[1] < 0);
    ck_assert(isinf(s->cases[1].upper[0]) && s->cases[1].upper[0] > 0);
    ck_assert_int_eq(s->cases[0].n_ineq, 0);
    for (int r = 0; r < 9; r++) { /* crosses several capacity doublings */
        double c[3] = {r, -r, 0.5 * r};
        ck_assert_int_eq(nnh_spec_add_ineq(s, 0, c, 10.0 + r, &err), 0);
    }
    int all = 1;
    for (int r = 0; r < 9; r++) {
        double c[3] = {r, -r, 0.5 * r};
        all &= row_is(s, 0, r, c, 10.0 + r);
    }
    ck_assert(all);
    ck_assert_int_eq(s->cases[0].n_ineq, 9);
    ck_assert_int_eq(nnh_spec_add_ineq(s, 2, (double[3]){0}, 0, &err), NNH_EINVAL);
    ck_assert_int_eq(nnh_spec_add_ineq(s, -1, (double[3]){0}, 0, &err), NNH_EINVAL);
    nnh_spec_free(s);
    ck_assert_int_eq(nnh_spec_create(&s, -1, 1, 1, &err), NNH_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(nnh_spec_create(&s, 3, 1, 0, &err), 0); /* empty region is legal */
    ck_assert_int_eq(s->n_cases, 0);
    int nb = -1, *boc;
    double *lo, *hi;
    ck_assert_int_eq(nnh_spec_boxes(s, &nb, &lo, &hi, &boc, &err), 0);
    ck_assert_int_eq(nb, 0);
    free(lo);
    free(hi);
    free(boc);
    nnh_spec_free(s);
    nnh_spec_free(NULL);
}
END_TEST

START_TEST(test_spec_boxes_and_holds)
{
    nnh_spec *s;
    ck_assert_int_eq(nnh_spec_create(&s, 2, 2, 4, &err), 0);
    double box[4][4] = {{0, 1, 0, 1}, {0, 2, 0, 1}, {0, 1, 0, 1}, {-0.0, 2, 0, 1}};
    for (int k = 0; k < 4; k++) {
        s->cases[k].lower[0] = box[k][0];
        s->cases[k].upper[0] = box[k][1];
        s->cases[k].lower[1] = box[k][2];
        s->cases[k].upper[1] = box[k][3];
    }
    int nb, *boc;
    double *lo, *hi;
    ck_assert_int_eq(nnh_spec_boxes(s, &nb, &lo, &hi, &boc, &err), 0);
    ck_assert_int_eq(nb, 2); /* -0.0 == 0.0: case 3 has the box of case 1 */
    ck_assert_int_eq(boc[0], 0);
    ck_assert_int_eq(boc[1], 1);
    ck_assert_int_eq(boc[2], 0);
    ck_assert_int_eq(boc[3], 1);
    ck_assert(lo[2] == 0 && hi[2] == 2 && lo[3] == 0 && hi[3] == 1 && hi[0] == 1);
    free(lo);
    free(hi);
    free(boc);

    /* case 0: y0 - y1 <= 0 */
    ck_assert_int_eq(nnh_spec_add_ineq(s, 0, (double[2]){1, -1}, 0.0, &err), 0);
    double x_in[2] = {0.5, 1}, x_out[2] = {1.5, 0.5}, x_edge[2] = {1 + 1e-9, 0};
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_in, (double[2]){1, 2}, 0), 1);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_in, (double[2]){2, 1}, 0), 0);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_in, (double[2]){1 + 1e-9, 1}, 1e-8), 1);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_out, (double[2]){1, 2}, 0), 0);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_edge, (double[2]){1, 2}, 0), 0);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_edge, (double[2]){1, 2}, 1e-8), 1);
    ck_assert_int_eq(nnh_spec_case_holds(s, 0, x_in, (double[2]){NAN, 2}, 1), 0);
    ck_assert_int_eq(nnh_spec_case_holds(s, 1, x_out, (double[2]){5, -5}, 0), 1); /* no rows */
    ck_assert_int_eq(nnh_spec_case_holds(s, 4, x_in, x_in, 0), 0);
    nnh_spec_free(s);
}
END_TEST

/* ---- the reader: constructs ---- */

START_TEST(test_parse_basic)
{
    nnh_spec *s;
    const char *text = "; comment line\n" DECL22
                       "(assert (<= X_0 0.5)) ; trailing comment\n"
                       "(assert (>= X_0 -1e-3))\n"
                       "(assert (<= -2.5E+02 X_1))\n"
                       "(assert (>= 7 X_1))\n"
                       "(assert (>= Y_0 3.991125645861615))\n";
    ck_assert_int_eq(parse(text, &s), 0);
    ck_assert_int_eq(s->n_in, 2);
    ck_assert_int_eq(s->n_out, 2);
    ck_assert_int_eq(s->n_cases, 1);
    ck_assert_str_eq(s->source, "t");
    nnh_spec_case *c = &s->cases[0];
    ck_assert(c->lower[0] == -1e-3 && c->upper[0] == 0.5);
    ck_assert(c->lower[1] == -250.0 && c->upper[1] == 7.0);
    ck_assert_int_eq(c->n_ineq, 1);
    ck_assert(row_is(s, 0, 0, (double[2]){-1, 0}, -3.991125645861615));
    nnh_spec_free(s);

    /* declarations in any order, unbounded inputs stay infinite, no asserts */
    ck_assert_int_eq(parse("(declare-const Y_0 Real)(declare-const X_1 Real)"
                           "(declare-const X_0 Real)(check-sat)", &s), 0);
    ck_assert_int_eq(s->n_in, 2);
    ck_assert_int_eq(s->n_cases, 1);
    ck_assert(isinf(s->cases[0].lower[0]) && isinf(s->cases[0].upper[1]));
    ck_assert_int_eq(s->cases[0].n_ineq, 0);
    nnh_spec_free(s);
}
END_TEST

START_TEST(test_parse_arithmetic)
{
    nnh_spec *s;
    const char *text = DECL22 "(declare-const Y_2 Real)\n"
                       "(assert (<= (+ X_0 1) 3))\n"              /* X_0 <= 2 */
                       "(assert (>= (* 2 X_0) (- 4)))\n"          /* X_0 >= -2 */
                       "(assert (<= (* X_1 -4) 8))\n"             /* X_1 >= -2 */
                       "(assert (<= (- X_1) (- 5 6)))\n"          /* X_1 >= 1 */
                       "(assert (<= (- (+ X_1 X_1) X_1) 1.5))\n"  /* X_1 <= 1.5 */
                       "(assert (<= (* 0 X_0) 1000))\n"           /* always true */
                       "(assert (<= (+ Y_0 (* 2 Y_1)) (- Y_2 3)))\n"
                       "(assert (> Y_0 (- 1)))\n"                 /* strict read as >= */
                       "(assert (= Y_1 Y_2))\n"                   /* two rows */
                       "(assert (< (- Y_0 Y_0) 1))\n";            /* 0 < 1: always true */
    ck_assert_int_eq(parse(text, &s), 0);
    ck_assert_int_eq(s->n_out, 3);
    ck_assert_int_eq(s->n_cases, 1);
    nnh_spec_case *c = &s->cases[0];
    ck_assert(c->lower[0] == -2 && c->upper[0] == 2);
    ck_assert(c->lower[1] == 1 && c->upper[1] == 1.5);
    ck_assert_int_eq(c->n_ineq, 4);
    ck_assert(row_is(s, 0, 0, (double[3]){1, 2, -1}, -3));
    ck_assert(row_is(s, 0, 1, (double[3]){-1, 0, 0}, 1));
    ck_assert(row_is(s, 0, 2, (double[3]){0, 1, -1}, 0));
    ck_assert(row_is(s, 0, 3, (double[3]){0, -1, 1}, 0));
    nnh_spec_free(s);

    /* input equality, a comparison chain, SMT-LIB true/and() */
    ck_assert_int_eq(parse(DECL22 "(assert (= X_0 0.25))(assert (<= -1 X_1 Y_0 2))", &s),
                     NNH_EUNSUPPORTED); /* X_1 <= Y_0 mixes inputs and outputs */
    ck_assert_int_eq(parse(DECL22 "(assert (= X_0 0.25))(assert (<= -1 X_1 2))"
                           "(assert (and true (and)))", &s), 0);
    ck_assert(s->cases[0].lower[0] == 0.25 && s->cases[0].upper[0] == 0.25);
    ck_assert(s->cases[0].lower[1] == -1 && s->cases[0].upper[1] == 2);
    nnh_spec_free(s);
}
END_TEST

START_TEST(test_parse_rounding)
{
    nnh_spec *s;
    /* constants moved across are rounded so the region only grows */
    ck_assert_int_eq(parse(DECL1 "(assert (<= (+ X_0 0.1) 0.3))(assert (>= (* 3 X_0) -1))", &s), 0);
    ck_assert_int_eq(s->n_cases, 1);
    double up = s->cases[0].upper[0], lo = s->cases[0].lower[0];
    ck_assert((long double)up >= (long double)0.3 - (long double)0.1);
    ck_assert(up <= nextafter(0.3 - 0.1, 1.0));
    ck_assert(fma(lo, 3.0, 1.0) <= 0); /* 3 lo <= -1 exactly */
    ck_assert(lo >= nextafter(-1.0 / 3.0, -1.0));
    nnh_spec_free(s);
    ck_assert_int_eq(parse(DECL1 "(assert (<= Y_0 (- 0.3 0.1)))", &s), 0);
    ck_assert((long double)s->cases[0].d[0] >= (long double)0.3 - (long double)0.1);
    nnh_spec_free(s);
    /* a coefficient that is not exact in double arithmetic is refused */
    expect_error(DECL1 "(assert (<= (* 0.1 3 Y_0) 1))", NNH_EUNSUPPORTED, "3:22", "exact");
    /* a zero read is exactly zero: a literal that rounds to 0 is refused (the
     * box's zeros are not widened, nnh_bab_root), written zeros and the
     * smallest subnormal are read */
    expect_error(DECL1 "(assert (>= X_0 -1e-400))", NNH_EPARSE, "3:17", "rounds to 0");
    expect_error(DECL1 "(assert (<= X_0 0.00002e-5000))", NNH_EPARSE, "3:17", "rounds to 0");
    ck_assert_int_eq(parse(DECL1 "(assert (>= X_0 -0.000e-5000))(assert (<= X_0 4.9e-324))", &s),
                     0);
    ck_assert(s->cases[0].lower[0] == 0.0); /* a subnormal bound is moved outward */
    ck_assert(s->cases[0].upper[0] >= 0x1p-1074 && s->cases[0].upper[0] <= 0x1p-1072);
    nnh_spec_free(s);
}
END_TEST

START_TEST(test_parse_dnf)
{
    nnh_spec *s;
    const char *two_by_three = DECL22
        "(assert (or (and (<= X_0 0) (>= X_0 -1)) (and (>= X_0 0) (<= X_0 1))))\n"
        "(assert (<= X_1 1))\n"
        "(assert (or (<= Y_0 Y_1) (and (<= Y_1 Y_0) (<= Y_1 0)) (>= Y_0 5)))\n";
    ck_assert_int_eq(parse(two_by_three, &s), 0);
    ck_assert_int_eq(s->n_cases, 6);
    int ok = 1;
    for (int k = 0; k < 6; k++) {
        ok &= s->cases[k].upper[1] == 1 && isinf(s->cases[k].lower[1]);
        ok &= s->cases[k].lower[0] == (k < 3 ? -1 : 0) && s->cases[k].upper[0] == (k < 3 ? 0 : 1);
        ok &= s->cases[k].n_ineq == (k % 3 == 1 ? 2 : 1);
    }
    ck_assert(ok);
    ck_assert(row_is(s, 4, 1, (double[2]){0, 1}, 0));
    int nb, *boc;
    double *lo, *hi;
    ck_assert_int_eq(nnh_spec_boxes(s, &nb, &lo, &hi, &boc, &err), 0);
    ck_assert_int_eq(nb, 2);
    ck_assert(boc[0] == 0 && boc[2] == 0 && boc[3] == 1 && boc[5] == 1);
    ck_assert(lo[0] == -1 && hi[2] == 1);
    free(lo);
    free(hi);
    free(boc);
    nnh_spec_free(s);

    /* nested and/or inside one assert: (A or B) and (C or (D and (E or F))) -> 2 * 3 */
    ck_assert_int_eq(parse(DECL1 "(assert (and (or (>= Y_0 1) (>= Y_0 2)) "
                           "(or (>= Y_0 3) (and (<= X_0 1) (or (>= Y_0 4) (>= Y_0 5))))))", &s), 0);
    ck_assert_int_eq(s->n_cases, 6);
    ck_assert_int_eq(s->cases[5].n_ineq, 2);
    ck_assert(s->cases[5].upper[0] == 1 && isinf(s->cases[4].upper[0]) == 0 &&
              isinf(s->cases[3].upper[0]));
    nnh_spec_free(s);

    /* infeasible cases are dropped; if all are, the region is empty (0 cases) */
    ck_assert_int_eq(parse(DECL1 "(assert (or (and (<= X_0 0) (>= X_0 1)) (<= X_0 2) (< 1 0)))",
                           &s), 0);
    ck_assert_int_eq(s->n_cases, 1);
    ck_assert(s->cases[0].upper[0] == 2);
    nnh_spec_free(s);
    ck_assert_int_eq(parse(DECL1 "(assert (<= X_0 0))(assert (or (>= X_0 1) (>= X_0 2)))", &s), 0);
    ck_assert_int_eq(s->n_cases, 0);
    ck_assert_int_eq(s->n_in, 1);
    nnh_spec_free(s);
    ck_assert_int_eq(parse(DECL1 "(assert (>= 0 1))", &s), 0);
    ck_assert_int_eq(s->n_cases, 0);
    nnh_spec_free(s);
    ck_assert_int_eq(parse(DECL1 "(assert (or false (<= X_0 1) (and false (<= X_0 3))))", &s), 0);
    ck_assert_int_eq(s->n_cases, 1);
    ck_assert(s->cases[0].upper[0] == 1);
    nnh_spec_free(s);
    ck_assert_int_eq(parse(DECL1 "(assert (or))", &s), 0);
    ck_assert_int_eq(s->n_cases, 0);
    nnh_spec_free(s);
    /* X_0 = 1 and X_0 = 1 again: a point box is not empty */
    ck_assert_int_eq(parse(DECL1 "(assert (= X_0 1))(assert (or (= X_0 1) (= X_0 2)))", &s), 0);
    ck_assert_int_eq(s->n_cases, 1);
    nnh_spec_free(s);

    /* 2^16 = 65536 cases are fine, 2^17 exceed the cap */
    char *big = malloc(4096);
    strcpy(big, DECL1);
    for (int i = 0; i < 16; i++)
        strcat(big, "(assert (or (>= Y_0 1) (<= Y_0 0)))\n");
    ck_assert_int_eq(parse(big, &s), 0);
    ck_assert_int_eq(s->n_cases, 65536);
    ck_assert_int_eq(s->cases[65535].n_ineq, 16);
    nnh_spec_free(s);
    strcat(big, "(assert (or (>= Y_0 1) (<= Y_0 0)))\n");
    ck_assert_int_eq(parse(big, &s), NNH_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "100000"));
    free(big);
}
END_TEST

/* ---- the reader: errors ---- */

START_TEST(test_parse_errors_syntax)
{
    expect_error(DECL1 "(assert (<= X_0 1)\n", NNH_EPARSE, "4:1", "end of file");
    expect_error(DECL1 "(assert (<= X_0 1)))\n", NNH_EPARSE, "3:20", "unmatched ')'");
    expect_error(DECL1 "(assert (<= Z 1))", NNH_EPARSE, "3:13", "unknown symbol 'Z'");
    expect_error(DECL1 "(assert (<= X_1 1))", NNH_EPARSE, "3:13", "undeclared 'X_1'");
    expect_error(DECL1 "(assert (<= X_0 1))\n(declare-const X_1 Real)(assert (<= Y_1 1))",
                 NNH_EPARSE, "4:37", "undeclared 'Y_1'");
    expect_error(DECL1 "(assert (foo X_0 1))", NNH_EPARSE, "3:10", "found 'foo'");
    expect_error(DECL1 "(assert (<= (foo X_0) 1))", NNH_EPARSE, "3:14", "found 'foo'");
    expect_error(DECL1 "(assert (<= X_0 1.2.3))", NNH_EPARSE, "3:17", "'1.2.3'");
    expect_error(DECL1 "(assert (<= X_0 1e))", NNH_EPARSE, "3:17", "expected a number");
    expect_error(DECL1 "(assert (<= X_0 -2x))", NNH_EPARSE, "3:17", "expected a number");
    expect_error(DECL1 "(assert\n  (<= X_0 1e999))", NNH_EPARSE, "4:11", "out of range");
    expect_error(DECL1 "(declare-const X_0 Real)", NNH_EPARSE, "3:16", "redeclaration of X_0");
    expect_error("(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)",
                 NNH_EPARSE, "2:16", "X_1 missing");
    expect_error("(declare-const X_0 Real)(declare-const Y_1 Real)", NNH_EPARSE, "1:40",
                 "Y_0 missing");
    expect_error("(declare-const X_00 Real)", NNH_EPARSE, "1:16", "X_<i>");
    expect_error("(declare-const W_0 Real)", NNH_EPARSE, "1:16", "X_<i>");
    expect_error("(declare-const X_99999999999999999999 Real)", NNH_EPARSE, "1:16", "X_<i>");
    expect_error("(declare-const X_0)", NNH_EPARSE, "1:1", "declare-const");
    expect_error(DECL1 "(declare-sore X_1 2)", NNH_EPARSE, "3:2", "'declare-sore'");
    expect_error(DECL1 "X_0", NNH_EPARSE, "3:1", "expected a command");
    expect_error(DECL1 "(assert (<= X_0 1) (<= X_0 2))", NNH_EPARSE, "3:1", "(assert FORMULA)");
    expect_error(DECL1 "(assert (<= X_0))", NNH_EPARSE, "3:9", "two operands");
    expect_error(DECL1 "(assert X_0)", NNH_EPARSE, "3:9", "expected a formula");
    expect_error(DECL1 "(assert (<= () 1))", NNH_EPARSE, "3:13", "'()'");
    expect_error(DECL1 "(assert (<= X_0 1\x01))", NNH_EPARSE, "3:18", "control byte");
    expect_error(DECL1 "(assert (<= X_0 1)", NNH_EPARSE, "3:19", "'(' at 3:1");
    expect_error(DECL1 "(assert (or (<= X_0 1) (and (>= Y_0 1) ", NNH_EPARSE, "3:40",
                 "end of file");
}
END_TEST

START_TEST(test_parse_errors_semantic)
{
    expect_error(DECL1 "(assert (<= X_0 Y_0))", NNH_EUNSUPPORTED, "3:9", "mixing X and Y");
    expect_error(DECL22 "\n(assert (or (<= (+ X_0 X_1) 1) (<= X_0 2)))", NNH_EUNSUPPORTED, "3:13",
                 "general linear constraint");
    expect_error(DECL1 "(assert (>= (* X_0 X_0) 0))", NNH_EUNSUPPORTED, "3:20",
                 "product of variables");
    expect_error(DECL1 "(assert (xor (>= X_0 0) (<= X_0 1)))", NNH_EUNSUPPORTED, "3:10", "'xor'");
    expect_error(DECL1 "(assert (not (>= X_0 0)))", NNH_EUNSUPPORTED, "3:10", "not supported");
    expect_error(DECL1 "(assert (<= (/ X_0 2) 0))", NNH_EUNSUPPORTED, "3:14", "not supported");
    expect_error("(declare-const X_0 Int)", NNH_EUNSUPPORTED, "1:20", "sort Real");
    nnh_spec *s = (nnh_spec *)1;
    ck_assert_int_eq(parse("", &s), NNH_EUNSUPPORTED);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.msg, "X_0"));
    ck_assert_int_eq(parse("(declare-const X_0 Real)", &s), NNH_EUNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(err.msg, "Y_0"));

    /* hostile nesting: refused with a message, no stack overflow */
    size_t n = 200000;
    char *deep = malloc(2 * n + 64);
    strcpy(deep, DECL1 "(assert ");
    size_t at = strlen(deep);
    memset(deep + at, '(', n);
    memset(deep + at + n, ')', n);
    deep[at + 2 * n] = '\0';
    ck_assert_int_eq(parse(deep, &s), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, "nested"));
    free(deep);

    /* loading a missing file */
    ck_assert_int_eq(nnh_load_vnnlib("/nonexistent/x.vnnlib", &s, &err), NNH_EIO);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/x.vnnlib"));
}
END_TEST

START_TEST(test_load_file)
{
    const char *p = nnh_test_tmpfile(DECL1 "(assert (<= X_0 1))\n(assert (>= Y_0 2))\n", ".vnnlib");
    ck_assert_ptr_nonnull(p);
    nnh_spec *s;
    ck_assert_int_eq(nnh_load_vnnlib(p, &s, &err), 0);
    ck_assert_str_eq(s->source, p);
    ck_assert(s->cases[0].upper[0] == 1 && s->cases[0].d[0] == -2);
    nnh_spec_free(s);
    remove(p);
    /* an embedded NUL byte is reported, not silently truncated */
    const char *q = nnh_test_tmpfile("", ".vnnlib");
    FILE *f = fopen(q, "wb");
    fwrite(DECL1 "(assert\0 (<= X_0 1))", 1, sizeof(DECL1 "(assert\0 (<= X_0 1))") - 1, f);
    fclose(f);
    ck_assert_int_eq(nnh_load_vnnlib(q, &s, &err), NNH_EPARSE);
    ck_assert_ptr_nonnull(strstr(err.msg, ":3:8: "));
    remove(q);
}
END_TEST

/* ---- the shared data ---- */

/* Parse every .vnnlib in dir; count successes; failures must be in `may_fail`
 * (names separated by spaces) with a "path:line:col:" message. */
static void parse_folder(const char *rel, const char *may_fail, int *n_ok, int *n_fail)
{
    const char *dir = nnh_data_path(rel);
    *n_ok = *n_fail = 0;
    if (!dir)
        return;
    char dpath[4096];
    snprintf(dpath, sizeof dpath, "%s", dir);
    DIR *d = opendir(dpath);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    char bad[2048] = "";
    while ((e = readdir(d))) {
        size_t L = strlen(e->d_name);
        if (L < 8 || strcmp(e->d_name + L - 7, ".vnnlib") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dpath, e->d_name);
        nnh_spec *s;
        nnh_error er;
        int rc = nnh_load_vnnlib(path, &s, &er);
        if (rc == 0) {
            (*n_ok)++;
            if (s->n_cases < 1 || s->n_in < 1 || s->n_out < 1)
                snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s(empty)", e->d_name);
            nnh_spec_free(s);
            continue;
        }
        (*n_fail)++;
        char name[300], loc[8300];
        snprintf(name, sizeof name, " %.*s ", (int)(L - 7), e->d_name);
        snprintf(loc, sizeof loc, "%s:", path);
        int expected = may_fail && strstr(may_fail, name);
        int located = strncmp(er.msg, loc, strlen(loc)) == 0 && er.msg[strlen(loc)] >= '1' &&
                      er.msg[strlen(loc)] <= '9';
        if (!expected || !located)
            snprintf(bad + strlen(bad), sizeof bad - strlen(bad), " %s(%s)", e->d_name, er.msg);
    }
    closedir(d);
    ck_assert_msg(bad[0] == '\0', "%s: unexpected results:%s", rel, bad);
}

/* parse_folder, then expect the given counts (when the folder exists). */
static void check_folder(const char *rel, const char *may_fail, int want_ok, int want_fail)
{
    int ok, fail;
    parse_folder(rel, may_fail, &ok, &fail);
    ck_assert_msg(!nnh_data_path(rel) || (ok == want_ok && fail == want_fail),
                  "%s: %d parsed, %d refused; expected %d and %d", rel, ok, fail, want_ok,
                  want_fail);
}

START_TEST(test_shared_all_files)
{
    if (!nnh_data_path("")) {
        printf("SKIP: shared data is absent\n");
        return;
    }
    check_folder("acasxu/vnnlib", NULL, 10, 0);
    check_folder("vnncomp2021_test", NULL, 4, 0);
    check_folder("vnncomp2021_eran/specs/mnist", NULL, 72, 0);
    /* Marabou's parser tests: three are meant to fail (nonlinear, xor, unknown command) */
    check_folder("marabou/onnx/vnnlib_parser_tests",
                 " test_mul_var_var test_assert_operator_not_implemented "
                 "test_command_not_implemented ", 12, 3);
}
END_TEST

static nnh_spec *load_data(const char *rel)
{
    const char *p = nnh_data_path(rel);
    if (!p)
        return NULL;
    nnh_spec *s;
    int rc = nnh_load_vnnlib(p, &s, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return s;
}

START_TEST(test_shared_spot_checks)
{
    nnh_spec *s = load_data("acasxu/vnnlib/prop_1.vnnlib");
    if (s) {
        ck_assert(s->n_in == 5 && s->n_out == 5 && s->n_cases == 1);
        double lo[5] = {0.6, -0.5, -0.5, 0.45, -0.5}, hi[5] = {0.679857769, 0.5, 0.5, 0.5, -0.45};
        for (int i = 0; i < 5; i++)
            ck_assert(s->cases[0].lower[i] == lo[i] && s->cases[0].upper[i] == hi[i]);
        ck_assert_int_eq(s->cases[0].n_ineq, 1);
        ck_assert(row_is(s, 0, 0, (double[5]){-1, 0, 0, 0, 0}, -3.991125645861615));
        nnh_spec_free(s);
    }
    /* prop 6: two input boxes (or) times four output cases */
    if ((s = load_data("acasxu/vnnlib/prop_6.vnnlib"))) {
        ck_assert_int_eq(s->n_cases, 8);
        int nb, *boc;
        double *lo, *hi;
        ck_assert_int_eq(nnh_spec_boxes(s, &nb, &lo, &hi, &boc, &err), 0);
        ck_assert_int_eq(nb, 2);
        ck_assert(boc[0] == 0 && boc[3] == 0 && boc[4] == 1 && boc[7] == 1);
        ck_assert(hi[1] == 0.499999896 && lo[1] == 0.11140846);         /* box 0, X_1 */
        ck_assert(hi[5 + 1] == -0.11140846 && lo[5 + 1] == -0.499999896); /* box 1, X_1 */
        ck_assert(lo[0] == -0.129289109 && hi[2] == -0.499204121);
        free(lo);
        free(hi);
        free(boc);
        /* case 1: Y_2 <= Y_0 */
        ck_assert(s->cases[1].n_ineq == 1 && row_is(s, 1, 0, (double[5]){-1, 0, 1, 0, 0}, 0));
        nnh_spec_free(s);
    }
    if ((s = load_data("acasxu/vnnlib/prop_7.vnnlib"))) {
        ck_assert(s->n_cases == 2 && s->cases[0].n_ineq == 3 && s->cases[1].n_ineq == 3);
        ck_assert(row_is(s, 1, 2, (double[5]){0, 0, -1, 0, 1}, 0)); /* Y_4 <= Y_2 */
        nnh_spec_free(s);
    }
    if ((s = load_data("acasxu/vnnlib/prop_3.vnnlib"))) {
        ck_assert(s->n_cases == 1 && s->cases[0].n_ineq == 4);
        ck_assert(s->cases[0].lower[2] == 0.493380324 && s->cases[0].upper[0] == -0.298552812);
        nnh_spec_free(s);
    }
    if ((s = load_data("vnncomp2021_test/test_tiny.vnnlib"))) {
        ck_assert(s->n_in == 1 && s->n_out == 1 && s->n_cases == 1);
        ck_assert(s->cases[0].lower[0] == -1 && s->cases[0].upper[0] == 1);
        ck_assert(row_is(s, 0, 0, (double[1]){-1}, -100));
        nnh_spec_free(s);
    }
    if ((s = load_data("vnncomp2021_eran/specs/mnist/mnist_spec_idx_1013_eps_0.01500.vnnlib"))) {
        ck_assert(s->n_in == 784 && s->n_out == 10 && s->n_cases == 9);
        ck_assert(s->cases[0].lower[783] == 0.0 && s->cases[0].upper[783] == 0.015);
        int nb, *boc;
        double *lo, *hi;
        ck_assert_int_eq(nnh_spec_boxes(s, &nb, &lo, &hi, &boc, &err), 0);
        ck_assert_int_eq(nb, 1);
        free(lo);
        free(hi);
        free(boc);
        double c[10] = {0};
        c[3] = -1; /* Y_3 >= Y_9 */
        c[9] = 1;
        ck_assert(row_is(s, 3, 0, c, 0) && s->cases[3].n_ineq == 1);
        nnh_spec_free(s);
    }
    if ((s = load_data("marabou/onnx/vnnlib_parser_tests/test_mul_var_const.vnnlib"))) {
        ck_assert(s->cases[0].lower[0] == 0 && s->cases[0].upper[0] == 1);
        nnh_spec_free(s);
    }
    if ((s = load_data("marabou/onnx/vnnlib_parser_tests/test_sub_const.vnnlib"))) {
        ck_assert(s->cases[0].lower[0] == 2 && s->cases[0].upper[0] == 3);
        nnh_spec_free(s);
    }
    if ((s = load_data("marabou/onnx/vnnlib_parser_tests/test_add_var.vnnlib"))) {
        ck_assert(s->cases[0].n_ineq == 4 && row_is(s, 0, 3, (double[5]){1, 1, 0, 0, 0}, 1));
        nnh_spec_free(s);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vnnlib");
    TCase *tc = tcase_create("spec");
    tcase_add_test(tc, test_spec_container);
    tcase_add_test(tc, test_spec_boxes_and_holds);
    suite_add_tcase(s, tc);
    tc = tcase_create("reader");
    tcase_add_test(tc, test_parse_basic);
    tcase_add_test(tc, test_parse_arithmetic);
    tcase_add_test(tc, test_parse_rounding);
    tcase_add_test(tc, test_parse_dnf);
    tcase_add_test(tc, test_parse_errors_syntax);
    tcase_add_test(tc, test_parse_errors_semantic);
    tcase_add_test(tc, test_load_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("shared_data");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_shared_all_files);
    tcase_add_test(tc, test_shared_spot_checks);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
