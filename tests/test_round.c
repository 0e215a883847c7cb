/* Unit tests of the directed-rounding helpers of src/base/nnh_round.h: nnh_up and
 * nnh_down (bit-pattern steps, inlined in hot loops) must equal nextafter
 * toward +/-infinity on special values and on random bit patterns. */
#include "nnh_round.h"
#include "nnh_test.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void check(double x)
{
    double u = nnh_up(x), d = nnh_down(x);
    double eu = nextafter(x, INFINITY), ed = nextafter(x, -INFINITY);
    /* +-0 step to the smallest subnormal of the right sign either way */
    if (x == 0.0) {
        eu = DBL_TRUE_MIN;
        ed = -DBL_TRUE_MIN;
    }
    ck_assert_msg(same_double(u, eu), "nnh_up(%a) = %a, nextafter gives %a", x, u, eu);
    ck_assert_msg(same_double(d, ed), "nnh_down(%a) = %a, nextafter gives %a", x, d, ed);
}

START_TEST(test_special_values)
{
    const double v[] = {0.0,      -0.0,     DBL_TRUE_MIN, -DBL_TRUE_MIN, DBL_MIN, -DBL_MIN,
                        1.0,      -1.0,     DBL_MAX,      -DBL_MAX,      INFINITY, -INFINITY,
                        0x1p-1022 - 0x1p-1074, 1.5, -3.25, 0x1.fffffffffffffp0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        check(v[i]);
    ck_assert(isnan(nnh_up(NAN)) && isnan(nnh_down(NAN)));
    ck_assert(nnh_up(DBL_MAX) == INFINITY && nnh_down(-DBL_MAX) == -INFINITY);
    ck_assert(nnh_up(-INFINITY) == -DBL_MAX && nnh_down(INFINITY) == DBL_MAX);
}
END_TEST

START_TEST(test_random_bit_patterns)
{
    unsigned long long st = 12345;
    int fails = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t bits = (uint64_t)(nnh_test_rand(&st) * 0x1p32) << 32 |
                        (uint64_t)(nnh_test_rand(&st) * 0x1p32);
        double x;
        memcpy(&x, &bits, sizeof x);
        if (isnan(x))
            continue;
        double u = nnh_up(x), eu = nextafter(x, INFINITY);
        double d = nnh_down(x), ed = nextafter(x, -INFINITY);
        if (x != 0.0 && (!same_double(u, eu) || !same_double(d, ed)))
            fails++;
    }
    ck_assert_int_eq(fails, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("round");
    TCase *tc = tcase_create("round");
    tcase_add_test(tc, test_special_values);
    tcase_add_test(tc, test_random_bit_patterns);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
