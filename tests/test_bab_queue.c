/* Unit tests of branch and bound's region queue (src/verify/bab_queue.c):
 * random pushes and takes, each take checked against a linear scan of what
 * is queued (the best: smallest priority, ties deeper; the shallowest:
 * smallest depth, ties the best), the array order starting with the best,
 * and an empty queue after clearing. */
#include "bab_queue.h"
#include "nnh_test.h"

#include <stdlib.h>

#define CAP 3000

static nnh_bab_region *region(int depth, double priority)
{
    nnh_bab_region *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->depth = depth;
    r->priority = priority;
    return r;
}

/* Index in live[0..n) of the region a take must return. */
static int expected(nnh_bab_region *const *live, int n, int shallowest)
{
    int best = 0;
    for (int i = 1; i < n; i++) {
        const nnh_bab_region *x = live[i], *y = live[best];
        int better = x->priority != y->priority ? x->priority < y->priority : x->depth > y->depth;
        if (shallowest ? x->depth < y->depth || (x->depth == y->depth && better) : better)
            best = i;
    }
    return best;
}

START_TEST(test_queue_orders)
{
    static nnh_bab_region *live[CAP];
    unsigned long long st = 7;
    nnh_bab_queue q = {0};
    int n = 0, takes[2] = {0, 0};
    for (int step = 0; step < 20000; step++) {
        int push = n == 0 || (n < CAP && nnh_test_rand(&st) < 0.55);
        if (push) {
            /* few distinct values, so ties of priority and of depth occur */
            nnh_bab_region *r = region((int)(8 * nnh_test_rand(&st)),
                                       (double)(int)(50 * nnh_test_rand(&st)) - 25.0);
            ck_assert_int_eq(nnh_bab_queue_push(&q, r), 0);
            live[n++] = r;
        } else {
            int sh = nnh_test_rand(&st) < 0.25, e = expected(live, n, sh);
            nnh_bab_region *r = nnh_bab_queue_take(&q, sh);
            ck_assert_ptr_nonnull(r);
            /* among exact ties either region is right: compare the keys */
            ck_assert_int_eq(r->depth, live[e]->depth);
            ck_assert(r->priority == live[e]->priority);
            int i = 0;
            while (i < n && live[i] != r)
                i++;
            ck_assert_int_lt(i, n); /* it was queued, and is taken once */
            live[i] = live[--n];
            free(r);
            takes[sh]++;
        }
        ck_assert_int_eq(q.n, n);
    }
    ck_assert_int_gt(takes[0], 1000);
    ck_assert_int_gt(takes[1], 1000);
    ck_assert_int_gt(n, 0);
    /* the array order starts with the best */
    ck_assert_ptr_eq(nnh_bab_queue_at(&q, 0), live[expected(live, n, 0)]);
    nnh_bab_queue_clear(&q);
    ck_assert_int_eq(q.n, 0);
    ck_assert_ptr_null(nnh_bab_queue_take(&q, 0));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bab_queue");
    TCase *tc = tcase_create("bab_queue");
    tcase_add_test(tc, test_queue_orders);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
