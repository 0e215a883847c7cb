/* Unit tests of the engine-option schema (engine.h): every key set, read
 * back and refused (range, whole numbers, methods that take none), the
 * struct check; the JSON reader and the provenance JSON of io/; and
 * nnh_bounds_compute with ibp giving exactly nnh_bounds_ibp's bounds. */
#include "nnh_test.h"
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int has(const char *msg, const char *part) { return strstr(msg, part) != NULL; }

/* every field equal (memcmp would read the padding) */
static int same_opts(const nnh_bound_opts *a, const nnh_bound_opts *b)
{
    int same = a->method == b->method;
    for (int i = 0; i < nnh_bound_opt_count(); i++)
        same &= nnh_bound_opts_get(a, i) == nnh_bound_opts_get(b, i);
    return same;
}

static nnh_bound_opts opts_for(nnh_method m)
{
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = m;
    return o;
}

START_TEST(test_schema_lists_every_field)
{
    const char *want[] = {"max_rounds",    "max_cuts_per_round", "cut_tol",     "lp_time_limit",
                          "time_limit",    "pool_rounds",        "slack_rounds", "window",
                          "skip_width",    "skip_stable",        "task_iter_limit",
                          "task_time_limit", "min_gain",         "long_step",
                          "window_forms",  "skip_fraction",      "output_window",
                          "output_iter_limit", "wide_fraction",  "wide_window",
                          "wide_score", "wide_input"};
    int n = (int)(sizeof want / sizeof want[0]);
    ck_assert_int_eq(nnh_bound_opt_count(), n);
    ck_assert(nnh_bound_opt_count() <= NNH_BOUND_OPT_MAX);
    for (int i = 0; i < n; i++) {
        const nnh_bound_opt_info *d = nnh_bound_opt(i);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d->name, want[i]);
        ck_assert_int_eq(nnh_bound_opt_find(want[i]), i);
        ck_assert(d->help && d->help[0]);
        ck_assert(d->min == 0 && d->max > d->min);
        /* LP options: lp1d and hull only */
        ck_assert_uint_eq(d->methods, (1u << NNH_METHOD_LP1D) | (1u << NNH_METHOD_HULL));
    }
    ck_assert_ptr_null(nnh_bound_opt(-1));
    ck_assert_ptr_null(nnh_bound_opt(n));
    ck_assert_int_eq(nnh_bound_opt_find("bogus"), -1);
    ck_assert_int_eq(nnh_bound_opt_find(NULL), -1);
    /* the defaults read back through the schema */
    nnh_bound_opts o = opts_for(NNH_METHOD_HULL);
    ck_assert(nnh_bound_opts_get(&o, nnh_bound_opt_find("max_rounds")) == 5);
    ck_assert(nnh_bound_opts_get(&o, nnh_bound_opt_find("cut_tol")) == 1e-6);
    char keys[512];
    nnh_bound_opts_keys(NNH_METHOD_LP1D, keys, sizeof keys);
    ck_assert_str_eq(keys, "max_rounds, max_cuts_per_round, cut_tol, lp_time_limit, time_limit, "
                           "pool_rounds, slack_rounds, window, skip_width, skip_stable, "
                           "task_iter_limit, task_time_limit, min_gain, long_step, "
                           "window_forms, skip_fraction, output_window, output_iter_limit, "
                           "wide_fraction, wide_window, wide_score, wide_input");
    nnh_bound_opts_keys(NNH_METHOD_CROWN, keys, sizeof keys);
    ck_assert_str_eq(keys, "");
    nnh_bound_opts_keys(NNH_METHOD_HULL, keys, 12);
    ck_assert_str_eq(keys, "max_rounds,");
    for (int m = 0; m < NNH_METHOD_COUNT; m++)
        ck_assert(nnh_method_help((nnh_method)m)[0]);
}
END_TEST

/* every key: a valid value lands in its field (and only there) */
START_TEST(test_set_every_key)
{
    for (int i = 0; i < nnh_bound_opt_count(); i++) {
        const nnh_bound_opt_info *d = nnh_bound_opt(i);
        for (int m = NNH_METHOD_LP1D; m <= NNH_METHOD_HULL; m++) {
            nnh_bound_opts o = opts_for((nnh_method)m), before = o;
            nnh_error err;
            double v = d->is_int ? fmin(7, d->max) : 0.25;
            ck_assert_int_eq(nnh_bound_opts_set(&o, d->name, v, &err), 0);
            for (int j = 0; j < nnh_bound_opt_count(); j++)
                ck_assert(nnh_bound_opts_get(&o, j) == (j == i ? v : nnh_bound_opts_get(&before, j)));
            ck_assert_int_eq(o.method, m);
            /* the ends of the range are accepted */
            ck_assert_int_eq(nnh_bound_opts_set(&o, d->name, d->min, &err), 0);
            if (isfinite(d->max)) {
                ck_assert_int_eq(nnh_bound_opts_set(&o, d->name, d->max, &err), 0);
                ck_assert(nnh_bound_opts_get(&o, i) == d->max);
            }
            ck_assert_int_eq(nnh_bound_opts_check(&o, &err), 0);
        }
    }
}
END_TEST

/* every key: refused by ibp and crown, and every bad value refused, with o unchanged */
START_TEST(test_set_refuses)
{
    nnh_error err;
    for (int i = 0; i < nnh_bound_opt_count(); i++) {
        const nnh_bound_opt_info *d = nnh_bound_opt(i);
        for (int m = NNH_METHOD_IBP; m <= NNH_METHOD_CROWN; m++) {
            nnh_bound_opts o = opts_for((nnh_method)m), before = o;
            ck_assert_int_eq(nnh_bound_opts_set(&o, d->name, 1, &err), NNH_EUNSUPPORTED);
            ck_assert_msg(has(err.msg, nnh_method_name((nnh_method)m)) &&
                              has(err.msg, "takes no engine options") && has(err.msg, d->name),
                          "%s", err.msg);
            ck_assert(same_opts(&o, &before));
        }
        double bad[] = {-1, d->min - 1e-300, NAN, INFINITY, -INFINITY, d->is_int ? 1.5 : -0.5,
                        d->is_int ? d->max + 1 : -1e300};
        for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
            nnh_bound_opts o = opts_for(NNH_METHOD_HULL), before = o;
            ck_assert_int_eq(nnh_bound_opts_set(&o, d->name, bad[q], &err), NNH_EINVAL);
            ck_assert_msg(has(err.msg, d->name) && has(err.msg, "expected a"), "%s", err.msg);
            ck_assert(same_opts(&o, &before));
        }
    }
    nnh_bound_opts o = opts_for(NNH_METHOD_LP1D);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "bogus", 1, &err), NNH_EINVAL);
    ck_assert_msg(has(err.msg, "'bogus'") && has(err.msg, "valid: max_rounds"), "%s", err.msg);
    o = opts_for(NNH_METHOD_CROWN);
    ck_assert_int_eq(nnh_bound_opts_set(&o, "bogus", 1, &err), NNH_EINVAL);
    ck_assert_msg(has(err.msg, "crown takes no engine options (got 'bogus')"), "%s", err.msg);
    /* crown: a bad value is a bad value first (a usage error for the flags) */
    ck_assert_int_eq(nnh_bound_opts_set(&o, "max_rounds", 1.5, &err), NNH_EINVAL);
}
END_TEST

START_TEST(test_check)
{
    nnh_error err;
    nnh_bound_opts o = opts_for(NNH_METHOD_HULL);
    ck_assert_int_eq(nnh_bound_opts_check(&o, &err), 0);
    o.time_limit = o.lp_time_limit = o.cut_tol = INFINITY; /* no limit: allowed in the struct */
    ck_assert_int_eq(nnh_bound_opts_check(&o, &err), 0);
    /* each field out of range, written directly as a library user could */
    for (int i = 0; i < nnh_bound_opt_count(); i++) {
        const char *name = nnh_bound_opt(i)->name;
        nnh_bound_opts bad = opts_for(NNH_METHOD_LP1D);
        if (!strcmp(name, "max_rounds"))
            bad.max_rounds = -1;
        else if (!strcmp(name, "max_cuts_per_round"))
            bad.max_cuts_per_round = -1;
        else if (!strcmp(name, "cut_tol"))
            bad.cut_tol = NAN;
        else if (!strcmp(name, "lp_time_limit"))
            bad.lp_time_limit = -1;
        else if (!strcmp(name, "time_limit"))
            bad.time_limit = -0.5;
        else if (!strcmp(name, "pool_rounds"))
            bad.pool_rounds = -2;
        else if (!strcmp(name, "slack_rounds"))
            bad.slack_rounds = -1;
        else if (!strcmp(name, "window"))
            bad.window = -1;
        else if (!strcmp(name, "skip_width"))
            bad.skip_width = NAN;
        else if (!strcmp(name, "skip_stable"))
            bad.skip_stable = 2;
        else if (!strcmp(name, "task_iter_limit"))
            bad.task_iter_limit = -3;
        else if (!strcmp(name, "task_time_limit"))
            bad.task_time_limit = -1;
        else if (!strcmp(name, "min_gain"))
            bad.min_gain = -0.1;
        else if (!strcmp(name, "window_forms"))
            bad.window_forms = 2;
        else if (!strcmp(name, "skip_fraction"))
            bad.skip_fraction = 1.5;
        else if (!strcmp(name, "output_window"))
            bad.output_window = -1;
        else if (!strcmp(name, "output_iter_limit"))
            bad.output_iter_limit = -5;
        else if (!strcmp(name, "wide_fraction"))
            bad.wide_fraction = -0.25;
        else if (!strcmp(name, "wide_window"))
            bad.wide_window = -2;
        else if (!strcmp(name, "wide_score"))
            bad.wide_score = 3;
        else if (!strcmp(name, "wide_input"))
            bad.wide_input = 2;
        else
            bad.long_step = 5;
        ck_assert_int_eq(nnh_bound_opts_check(&bad, &err), NNH_EINVAL);
        ck_assert_msg(has(err.msg, name), "%s", err.msg);
    }
    o.method = NNH_METHOD_COUNT;
    ck_assert_int_eq(nnh_bound_opts_check(&o, &err), NNH_EINVAL);
}
END_TEST

START_TEST(test_given_order)
{
    nnh_bound_opts_given g = {0, {0}};
    nnh_bound_opts_given_add(&g, 3);
    nnh_bound_opts_given_add(&g, 0);
    nnh_bound_opts_given_add(&g, 5);
    nnh_bound_opts_given_add(&g, 3); /* again: moves last */
    ck_assert_int_eq(g.n, 3);
    ck_assert_int_eq(g.key[0], 0);
    ck_assert_int_eq(g.key[1], 5);
    ck_assert_int_eq(g.key[2], 3);
}
END_TEST

START_TEST(test_parse_json)
{
    nnh_error err;
    nnh_bound_opts o = opts_for(NNH_METHOD_HULL);
    nnh_bound_opts_given g = {0, {0}};
    ck_assert_int_eq(nnh_bound_opts_parse_json(&o, "{\"slack_rounds\": 2, \"cut_tol\": 1e-7, "
                                                   "\"max_rounds\": 3}", &g, &err), 0);
    ck_assert_int_eq(o.slack_rounds, 2);
    ck_assert(o.cut_tol == 1e-7);
    ck_assert_int_eq(o.max_rounds, 3);
    ck_assert_int_eq(o.max_cuts_per_round, 20);
    ck_assert_int_eq(g.n, 3);
    ck_assert_str_eq(nnh_bound_opt(g.key[0])->name, "slack_rounds");
    ck_assert_str_eq(nnh_bound_opt(g.key[2])->name, "max_rounds");
    /* NULL and {} set nothing */
    nnh_bound_opts d = opts_for(NNH_METHOD_IBP), before = d;
    ck_assert_int_eq(nnh_bound_opts_parse_json(&d, NULL, NULL, &err), 0);
    ck_assert_int_eq(nnh_bound_opts_parse_json(&d, " { } ", NULL, &err), 0);
    ck_assert(same_opts(&d, &before));

    struct {
        nnh_method m;
        const char *json;
        int code;
        const char *msg;
    } bad[] = {
        {NNH_METHOD_HULL, "{bad", NNH_EPARSE, "not a JSON object: {bad"},
        {NNH_METHOD_HULL, "[1, 2]", NNH_EPARSE, "not a JSON object"},
        {NNH_METHOD_HULL, "3", NNH_EPARSE, "not a JSON object"},
        {NNH_METHOD_LP1D, "{\"bogus\": 1}", NNH_EINVAL, "no engine option 'bogus' (valid:"},
        {NNH_METHOD_LP1D, "{\"max_rounds\": \"5\"}", NNH_EINVAL, "'max_rounds': expected a number"},
        {NNH_METHOD_LP1D, "{\"max_rounds\": true}", NNH_EINVAL, "'max_rounds': expected a number"},
        {NNH_METHOD_LP1D, "{\"max_rounds\": 2.5}", NNH_EINVAL, "expected a whole number"},
        {NNH_METHOD_LP1D, "{\"cut_tol\": -1}", NNH_EINVAL, "expected a number >= 0"},
        {NNH_METHOD_LP1D, "{\"max_rounds\": 2, \"max_rounds\": 3}", NNH_EINVAL, "given twice"},
        {NNH_METHOD_CROWN, "{\"max_rounds\": 3}", NNH_EUNSUPPORTED,
         "method crown takes no engine options (got 'max_rounds')"},
        {NNH_METHOD_IBP, "{\"x\": 1}", NNH_EINVAL, "method ibp takes no engine options (got 'x')"},
    };
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        nnh_bound_opts b = opts_for(bad[q].m);
        nnh_bound_opts_given gb = {0, {0}};
        nnh_error_clear(&err);
        ck_assert_int_eq(nnh_bound_opts_parse_json(&b, bad[q].json, &gb, &err), bad[q].code);
        ck_assert_msg(has(err.msg, bad[q].msg), "%s: %s", bad[q].json, err.msg);
        ck_assert_int_eq(gb.n, 0); /* nothing recorded on failure */
    }
}
END_TEST

START_TEST(test_request_json)
{
    nnh_error err;
    nnh_bound_opts o = opts_for(NNH_METHOD_HULL);
    nnh_bound_opts_given g = {0, {0}};
    ck_assert_int_eq(nnh_bound_opts_parse_json(&o, "{\"cut_tol\":1e-7,\"max_rounds\":3}", &g, &err),
                     0);
    /* a flag overriding a JSON key moves it last, with the flag's value */
    ck_assert_int_eq(nnh_bound_opts_set(&o, "max_rounds", 2, &err), 0);
    nnh_bound_opts_given_add(&g, nnh_bound_opt_find("max_rounds"));
    ck_assert_int_eq(nnh_bound_opts_set(&o, "time_limit", 100, &err), 0);
    nnh_bound_opts_given_add(&g, nnh_bound_opt_find("time_limit"));
    nnh_bounds_request r = {"hull", NULL, NULL, "0.5,0.25", 0.05, "0,1", 3,
                            {0, 1, 0, 0}, &o, &g};
    char *s = nnh_bounds_request_json(&r);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "{\"method\":\"hull\",\"region\":\"center\",\"center\":\"0.5,0.25\","
                        "\"eps\":0.05,\"clip\":\"0,1\",\"split\":3,\"strip_softmax\":false,"
                        "\"nnet_normalized\":true,\"nnet_output_relu\":false,\"engine_options\":"
                        "{\"cut_tol\":1e-07,\"max_rounds\":2,\"time_limit\":100}}");
    free(s);
    nnh_bounds_request b = {"ibp", NULL, "box.txt", NULL, 0, NULL, 0, {0, 0, 0, 0}, NULL, NULL};
    s = nnh_bounds_request_json(&b);
    ck_assert_str_eq(s, "{\"method\":\"ibp\",\"region\":\"box\",\"box\":\"box.txt\","
                        "\"strip_softmax\":false,\"nnet_normalized\":false,"
                        "\"nnet_output_relu\":false,\"engine_options\":{}}");
    free(s);
    nnh_bounds_request sp = {"crown", "p.vnnlib", NULL, NULL, 0, NULL, 0, {1, 0, 0, 1}, NULL, NULL};
    s = nnh_bounds_request_json(&sp);
    ck_assert_ptr_nonnull(strstr(s, "\"region\":\"spec\",\"strip_softmax\":true,"));
    ck_assert_ptr_nonnull(strstr(s, "\"nnet_output_relu\":false,\"dense_layers\":true,"));
    free(s);
}
END_TEST

/* ibp through the general driver is bit for bit nnh_bounds_ibp */
/* The deep profile: only lp1d / hull, only at >= 4 layers and >= 1000
 * neurons before the output, only when no depth option was given; its keys
 * are recorded as given. */
static nnh_network *net_of(int n_layers, const int *sizes)
{
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_network_create(&net, n_layers, sizes, &err), 0);
    return net;
}

/* name is one of the items of "a, b, c" */
static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 2 : NULL)
        if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

START_TEST(test_deep_defaults)
{
    const int deep[] = {4, 250, 250, 250, 250, 2}, thin[] = {4, 250, 250, 250, 249, 2},
              shallow[] = {4, 1000, 1000, 2};
    nnh_network *d = net_of(5, deep), *t = net_of(5, thin), *s = net_of(3, shallow);
    nnh_bound_opts o = opts_for(NNH_METHOD_HULL), o0 = o;
    nnh_bound_opts_given g = {0, {0}};
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&o, t, &g), 0);
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&o, s, &g), 0);
    ck_assert(!nnh_bound_opts_is_deep(&o, t) && !nnh_bound_opts_is_deep(&o, s));
    ck_assert(nnh_bound_opts_is_deep(&o, d));
    ck_assert(same_opts(&o, &o0) && g.n == 0);
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&o, d, &g), 1);
    ck_assert_int_eq(o.max_rounds, 3);
    ck_assert_int_eq(o.window, 1);
    ck_assert_int_eq(o.task_iter_limit, 1000);
    ck_assert_int_eq(o.long_step, 1);
    ck_assert(o.min_gain == 1e-3);
    ck_assert_int_eq(o.output_window, 5);
    ck_assert_int_eq(o.output_iter_limit, 10000);
    ck_assert(o.wide_fraction == 0.15);
    ck_assert_int_eq(o.wide_window, 2);
    ck_assert_int_eq(o.wide_score, 1);
    ck_assert_int_eq(o.wide_input, 1);
    ck_assert_int_eq(g.n, 11);
    ck_assert_int_eq(g.key[0], nnh_bound_opt_find("max_rounds"));
    /* the text names every key the profile set, with its value */
    const char *text = nnh_bound_opts_deep_profile();
    for (int i = 0; i < g.n; i++) {
        char pair[64];
        snprintf(pair, sizeof pair, "%s %g", nnh_bound_opt(g.key[i])->name,
                 nnh_bound_opts_get(&o, g.key[i]));
        ck_assert_msg(has(text, pair), "'%s' not in '%s'", pair, text);
    }
    /* every depth key turns the profile off */
    for (int i = 0; i < nnh_bound_opt_count(); i++) {
        const char *name = nnh_bound_opt(i)->name;
        nnh_bound_opts v = opts_for(NNH_METHOD_HULL), v0 = v;
        nnh_bound_opts_given gv = {0, {0}};
        nnh_bound_opts_given_add(&gv, i);
        int depth = in_list(nnh_bound_opts_depth_keys(), name);
        ck_assert_int_eq(nnh_bound_opts_deep_defaults(&v, d, &gv), !depth);
        ck_assert(nnh_bound_opts_is_deep(&v0, d)); /* deep whatever was given */
        if (depth)
            ck_assert(same_opts(&v, &v0));
    }
    nnh_bound_opts c = opts_for(NNH_METHOD_CROWN), c0 = c;
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&c, d, NULL), 0);
    ck_assert(same_opts(&c, &c0) && !nnh_bound_opts_is_deep(&c, d));
    /* a depth option given (even at its default): the user's choice stands */
    nnh_bound_opts u = opts_for(NNH_METHOD_LP1D), u0 = u;
    nnh_bound_opts_given gu = {0, {0}};
    nnh_bound_opts_given_add(&gu, nnh_bound_opt_find("max_cuts_per_round"));
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&u, d, &gu), 1);
    u = u0;
    gu.n = 0;
    nnh_bound_opts_given_add(&gu, nnh_bound_opt_find("window"));
    ck_assert_int_eq(nnh_bound_opts_deep_defaults(&u, d, &gu), 0);
    ck_assert(same_opts(&u, &u0) && gu.n == 1);
    nnh_network_free(d);
    nnh_network_free(t);
    nnh_network_free(s);
}
END_TEST

START_TEST(test_compute_ibp)
{
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    nnh_network *net;
    nnh_error err;
    ck_assert_int_eq(nnh_load_network(nnh_src_path("tests/data/tiny_mlp.onnx"), &lo, &net, &err), 0);
    double l[3] = {-1, 0.25, -0.5}, h[3] = {0.5, 0.75, -0.5};
    nnh_bounds *a, *b;
    ck_assert_int_eq(nnh_bounds_create(net, l, h, &a, &err), 0);
    ck_assert_int_eq(nnh_bounds_create(net, l, h, &b, &err), 0);
    nnh_bound_opts o = opts_for(NNH_METHOD_IBP);
    nnh_layer_stats st[3];
    ck_assert_int_eq(nnh_bounds_compute(net, a, &o, st, NULL, NULL, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    for (int k = 0; k < net->n_layers; k++) {
        size_t n = (size_t)a->layers[k].width * sizeof(double);
        ck_assert(memcmp(a->layers[k].pre_lo, b->layers[k].pre_lo, n) == 0);
        ck_assert(memcmp(a->layers[k].pre_hi, b->layers[k].pre_hi, n) == 0);
        ck_assert(memcmp(a->layers[k].post_lo, b->layers[k].post_lo, n) == 0);
        ck_assert(memcmp(a->layers[k].post_hi, b->layers[k].post_hi, n) == 0);
        ck_assert(isfinite(a->layers[k].pre_lo[0]) && st[k].lp_solves == 0);
    }
    nnh_bounds_free(a);
    nnh_bounds_free(b);
    nnh_network_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bound_opts");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_schema_lists_every_field);
    tcase_add_test(tc, test_set_every_key);
    tcase_add_test(tc, test_set_refuses);
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_given_order);
    tcase_add_test(tc, test_parse_json);
    tcase_add_test(tc, test_request_json);
    tcase_add_test(tc, test_compute_ibp);
    tcase_add_test(tc, test_deep_defaults);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
