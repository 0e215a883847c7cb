/* Data-driven checks on the real networks in ../shared/data (skipped when
 * absent): the .nnet and .onnx ACAS Xu networks agree, every published
 * counterexample reproduces and violates its property, and IBP bounds contain
 * the layer values of 10,000 random inputs on every loadable network.
 * Inner loops compare with plain code and each network asserts once (Check's
 * assertions do I/O on every call, far too slow for millions of values). */
#include "nnh_test.h"
#include "nnhull/nnhull.h"
#include "nnhull/io.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static nnh_network *load(const char *path, int normalized)
{
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    o.nnet_normalized = normalized;
    nnh_network *net = NULL;
    nnh_error err;
    nnh_error_clear(&err);
    int rc = nnh_load_network(path, &o, &net, &err);
    ck_assert_msg(rc == 0, "loading %s failed: %s", path, err.msg);
    return net;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Worst relative difference of two output vectors, remembered with its case. */
typedef struct worst_t {
    double rel;
    int sample, out;
    double a, b;
} worst_t;

static void track(worst_t *w, int s, const double *ya, const double *yb, int n)
{
    for (int i = 0; i < n; i++) {
        double r = fabs(ya[i] - yb[i]) / (1 + fabs(ya[i]));
        if (r > w->rel || isnan(r))
            *w = (worst_t){isnan(r) ? INFINITY : r, s, i, ya[i], yb[i]};
    }
}

/* ONNX files contain no input domain: the .nnet (normalised mode) is
 * onnx(clamp(x)) with the clamp to the normalised header domain. Samples in
 * [-0.5, 0.5]^5 (the VNN-COMP box) fall outside that domain on input 0, so
 * both the clamped agreement and the agreement inside the domain are checked.
 * Raw mode: nnet_raw(x) = onnx((clamp(x) - mean) / range) * range_out + mean_out. */
static void compare_acas(const char *nnet, const char *onnx, unsigned long long *st, double *worst)
{
    const char *base = strrchr(nnet, '/') + 1;
    nnh_network *a = load(nnet, 1), *b = load(onnx, 0), *r = load(nnet, 0);
    ck_assert_int_eq(a->n_inputs, 5);
    ck_assert_int_eq(b->n_inputs, 5);
    ck_assert_int_eq(nnh_network_n_outputs(a), 5);
    ck_assert_int_eq(nnh_network_n_outputs(b), 5);
    ck_assert_ptr_nonnull(a->in_min);
    ck_assert_ptr_null(b->in_min);
    /* header of every ACAS Xu .nnet: means / ranges (inputs, then output) */
    const double mean[6] = {1.9791091e+04, 0.0, 0.0, 650.0, 600.0, 7.5188840201005975};
    const double range[6] = {60261.0, 6.28318530718, 6.28318530718, 1100.0, 1200.0, 373.94992};
    worst_t wc = {0}, wr = {0};
    int in_domain = 0;
    for (int s = 0; s < 100; s++) {
        double x[5], xc[5], xr[5], ya[5], yb[5], yr[5];
        int inside = 1;
        for (int j = 0; j < 5; j++) {
            x[j] = nnh_test_rand(st) - 0.5;
            xc[j] = clampd(x[j], a->in_min[j], a->in_max[j]);
            inside &= xc[j] == x[j];
            xr[j] = x[j] * range[j] + mean[j]; /* the raw input normalising to x */
        }
        in_domain += inside;
        nnh_network_eval(a, x, ya, NULL);
        nnh_network_eval(b, xc, yb, NULL);
        track(&wc, s, ya, yb, 5);
        nnh_network_eval(r, xr, yr, NULL);
        for (int i = 0; i < 5; i++)
            ya[i] = ya[i] * range[5] + mean[5];
        track(&wr, s, yr, ya, 5);
    }
    ck_assert_msg(wc.rel <= 1e-5, "%s: sample %d output %d: nnet %.17g vs onnx(clamp) %.17g", base,
                  wc.sample, wc.out, wc.a, wc.b);
    ck_assert_msg(wr.rel <= 1e-9, "%s: sample %d output %d: raw %.17g vs scaled normalised %.17g",
                  base, wr.sample, wr.out, wr.a, wr.b);
    ck_assert_msg(in_domain > 10 && in_domain < 90, "%s: %d of 100 samples in the domain", base,
                  in_domain);
    if (wc.rel > *worst)
        *worst = wc.rel;
    nnh_network_free(a);
    nnh_network_free(b);
    nnh_network_free(r);
}

START_TEST(test_acas_nnet_onnx_agree)
{
    const char *dir = nnh_data_path("acasxu");
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/nnet/*.nnet", dir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_int_eq((int)g.gl_pathc, 45);
    unsigned long long st = 2024;
    double worst = 0.0;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        const char *base = strrchr(g.gl_pathv[f], '/') + 1;
        char onnx[4096];
        snprintf(onnx, sizeof onnx, "%s/onnx/%.*s.onnx", dir, (int)(strlen(base) - 5), base);
        compare_acas(g.gl_pathv[f], onnx, &st, &worst);
    }
    printf("ACAS Xu .nnet vs .onnx: 45 networks x 100 inputs, worst relative diff = %.3g\n", worst);
    globfree(&g);
}
END_TEST

/* "(X_0 0.6)" style file: fills x[0..n_in) and y[0..n_out) */
static int read_cex(const char *path, double *x, int n_in, double *y, int n_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = strpbrk(line, "XY");
        if (!p || p[1] != '_')
            continue;
        char *end;
        long idx = strtol(p + 2, &end, 10);
        double v = strtod(end, NULL);
        if (*p == 'X' && idx >= 0 && idx < n_in)
            x[idx] = v;
        else if (*p == 'Y' && idx >= 0 && idx < n_out)
            y[idx] = v;
        else
            continue;
        seen++;
    }
    fclose(f);
    return seen == n_in + n_out ? 0 : -1;
}

/* 1 when output y of input x lies in the counterexample region of spec. */
static int in_cex_region(const nnh_spec *spec, const double *x, const double *y)
{
    for (int c = 0; c < spec->n_cases; c++)
        if (nnh_spec_case_holds(spec, c, x, y, 1e-6))
            return 1;
    return 0;
}

/* Each published counterexample: the ONNX network reproduces its recorded
 * outputs, and both the ONNX and the .nnet (normalised) outputs satisfy the
 * property's counterexample condition within 1e-6. */
START_TEST(test_acas_counterexamples)
{
    const char *dir = nnh_data_path("acasxu");
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/counterexamples/*.counterexample", dir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_int_eq((int)g.gl_pathc, 47);
    for (size_t f = 0; f < g.gl_pathc; f++) {
        const char *base = strrchr(g.gl_pathv[f], '/') + 1;
        const char *pp = strstr(base, "_prop_");
        ck_assert_ptr_nonnull(pp);
        char onnx[4096], nnet[4096], vnnlib[4096];
        snprintf(onnx, sizeof onnx, "%s/onnx/%.*s.onnx", dir, (int)(pp - base), base);
        snprintf(nnet, sizeof nnet, "%s/nnet/%.*s.nnet", dir, (int)(pp - base), base);
        snprintf(vnnlib, sizeof vnnlib, "%s/vnnlib/prop_%d.vnnlib", dir, atoi(pp + 6));
        nnh_network *net = load(onnx, 0), *nn = load(nnet, 1);
        nnh_spec *spec = NULL;
        nnh_error err;
        ck_assert_msg(nnh_load_vnnlib(vnnlib, &spec, &err) == 0, "%s", err.msg);
        ck_assert_int_eq(spec->n_in, 5);
        ck_assert_int_eq(spec->n_out, 5);
        double x[5], yrec[5], y[5], yn[5];
        ck_assert_msg(read_cex(g.gl_pathv[f], x, 5, yrec, 5) == 0, "cannot parse %s", base);
        nnh_network_eval(net, x, y, NULL);
        nnh_network_eval(nn, x, yn, NULL);
        worst_t w = {0};
        track(&w, 0, yrec, y, 5);
        ck_assert_msg(w.rel <= 1e-5, "%s: Y_%d = %.17g but the file records %.17g", base, w.out,
                      w.b, w.a);
        ck_assert_msg(in_cex_region(spec, x, y), "%s: the ONNX output does not satisfy %s", base,
                      vnnlib);
        ck_assert_msg(in_cex_region(spec, x, yn), "%s: the .nnet output does not satisfy %s", base,
                      vnnlib);
        nnh_spec_free(spec);
        nnh_network_free(net);
        nnh_network_free(nn);
    }
    globfree(&g);
}
END_TEST

/* First layer value found outside its bounds (k < 0: none). */
typedef struct miss_t {
    int k, i, sample;
    double pre, post;
} miss_t;

static void ibp_samples(const nnh_network *net, const nnh_bounds *b, const double *lo,
                        const double *hi, int n, miss_t *miss)
{
    int L = net->n_layers, w = nnh_network_max_width(net), nin = net->n_inputs;
    double *buf = malloc((size_t)(2 * L * w + nin) * sizeof(double));
    double **pre = malloc((size_t)L * sizeof *pre), **post = malloc((size_t)L * sizeof *post);
    ck_assert(buf && pre && post);
    for (int k = 0; k < L; k++) {
        pre[k] = buf + (size_t)(2 * k) * w;
        post[k] = buf + (size_t)(2 * k + 1) * w;
    }
    double *x = buf + (size_t)2 * L * w;
    unsigned long long st = 99;
    int corners = nin <= 10 ? 1 << nin : 0;
    miss->k = -1;
    for (int s = 0; s < n + corners && miss->k < 0; s++) {
        for (int j = 0; j < nin; j++) {
            double t = s < corners ? (double)((s >> j) & 1) : nnh_test_rand(&st);
            x[j] = lo[j] + (hi[j] - lo[j]) * t;
            if (net->in_min) /* what eval's clamp does */
                x[j] = clampd(x[j], net->in_min[j], net->in_max[j]);
        }
        nnh_network_eval_layers(net, x, pre, post);
        for (int k = 0; k < L && miss->k < 0; k++)
            for (int i = 0; i < net->layers[k].n_out; i++)
                if (!nnh_bounds_contains(b, k, i, pre[k][i], post[k][i])) {
                    *miss = (miss_t){k, i, s, pre[k][i], post[k][i]};
                    break;
                }
    }
    free(pre);
    free(post);
    free(buf);
}

/* IBP soundness on one loaded network over box [lo,hi]: every layer value
 * of n random inputs (plus the box corners when n_in <= 10) lies in the bounds. */
static void check_ibp(const char *path, const nnh_network *net, const double *lo, const double *hi,
                      int n)
{
    nnh_bounds *b;
    nnh_error err;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    miss_t m;
    ibp_samples(net, b, lo, hi, n, &m);
    if (m.k >= 0) {
        const nnh_layer_bounds *B = &b->layers[m.k];
        ck_abort_msg("%s: sample %d: layer %d neuron %d value %.17g/%.17g outside "
                     "pre [%.17g,%.17g] post [%.17g,%.17g]",
                     path, m.sample, m.k, m.i, m.pre, m.post, B->pre_lo[m.i], B->pre_hi[m.i],
                     B->post_lo[m.i], B->post_hi[m.i]);
    }
    nnh_bounds_free(b);
}

/* Shared files that are malformed (not merely unsupported): they must be
 * refused with a parse error naming this. */
static const struct {
    const char *file, *why;
} known_bad[] = {
    {"neuralverification_jl/mnist1.nnet", "range of input 0 is 0"},
    {"neuralverification_jl/mnist3.nnet", "range of input 0 is 0"},
};

static const char *known_bad_reason(const char *path)
{
    for (size_t i = 0; i < sizeof known_bad / sizeof *known_bad; i++) {
        size_t n = strlen(path), m = strlen(known_bad[i].file);
        if (n >= m && strcmp(path + n - m, known_bad[i].file) == 0)
            return known_bad[i].why;
    }
    return NULL;
}

static int n_loaded, n_rejected;

/* A network that does not load must be refused as unsupported with a message
 * naming the file and what is unsupported, or be a known malformed file. */
static void check_rejection(const char *path, int rc, const nnh_error *err)
{
    const char *why = known_bad_reason(path);
    n_rejected++;
    printf("  rejected: %s\n      %s\n", path, err->msg);
    if (why) {
        ck_assert_msg(rc == NNH_EPARSE && strstr(err->msg, why),
                      "%s: expected a parse error mentioning '%s', got %d: %s", path, why, rc,
                      err->msg);
        return;
    }
    ck_assert_msg(rc == NNH_EUNSUPPORTED, "%s: refused with code %d (not 'unsupported'): %s", path,
                  rc, err->msg);
    ck_assert_msg(strstr(err->msg, path) && strlen(err->msg) > strlen(path) + 15,
                  "%s: the message does not name the file and the feature: %s", path, err->msg);
}

/* Box for a network: its input domain if any (the .nnet header), [0,1]^n
 * for image inputs, else [-1,1]^n. */
static void ibp_box(const nnh_network *net, double *lo, double *hi)
{
    for (int j = 0; j < net->n_inputs; j++) {
        if (net->in_min) {
            lo[j] = net->in_min[j];
            hi[j] = net->in_max[j];
        } else if (net->n_inputs >= 64) {
            lo[j] = 0.0;
            hi[j] = 1.0;
        } else {
            lo[j] = -1.0;
            hi[j] = 1.0;
        }
    }
}

static void ibp_on_glob(const char *rel_pattern, int normalized, int n)
{
    const char *root = nnh_data_path(".");
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/%s", root, rel_pattern);
    glob_t g;
    if (glob(pat, 0, NULL, &g) != 0)
        return;
    nnh_load_opts o;
    nnh_load_opts_init(&o);
    o.nnet_normalized = normalized;
    for (size_t f = 0; f < g.gl_pathc; f++) {
        nnh_network *net = NULL;
        nnh_error err;
        nnh_error_clear(&err);
        int rc = nnh_load_network(g.gl_pathv[f], &o, &net, &err);
        if (rc) {
            check_rejection(g.gl_pathv[f], rc, &err);
            continue;
        }
        ck_assert_msg(!known_bad_reason(g.gl_pathv[f]), "%s: known malformed, yet it loaded",
                      g.gl_pathv[f]);
        n_loaded++;
        int nin = net->n_inputs;
        double *lo = malloc((size_t)nin * sizeof(double)), *hi = malloc((size_t)nin * sizeof(double));
        ibp_box(net, lo, hi);
        check_ibp(g.gl_pathv[f], net, lo, hi, n);
        free(lo);
        free(hi);
        nnh_network_free(net);
    }
    globfree(&g);
}

START_TEST(test_ibp_sound_acas)
{
    n_loaded = n_rejected = 0;
    ibp_on_glob("acasxu/onnx/*.onnx", 0, 10000);
    ibp_on_glob("acasxu/nnet/*.nnet", 0, 10000); /* raw inputs, clamped domain */
    ck_assert_int_eq(n_loaded, 90);
}
END_TEST

START_TEST(test_ibp_sound_others)
{
    n_loaded = n_rejected = 0;
    ibp_on_glob("vnncomp2021_test/*.onnx", 0, 10000);
    ibp_on_glob("vnncomp2021_eran/nets/*.onnx", 0, 10000);
    ibp_on_glob("marabou/onnx/*.onnx", 0, 10000);
    ibp_on_glob("marabou/onnx/layer-zoo/*.onnx", 0, 10000);
    ibp_on_glob("marabou/nnet/*.nnet", 0, 10000);
    ibp_on_glob("marabou/nnet/mnist/*.nnet", 0, 10000);
    ibp_on_glob("marabou/nnet/coav/*.nnet", 0, 10000);
    ibp_on_glob("neuralverification_jl/*.nnet", 0, 10000);
    printf("shared networks besides ACAS Xu: %d loaded, %d rejected\n", n_loaded, n_rejected);
    ck_assert_int_gt(n_loaded, 0);
}
END_TEST

int main(void)
{
    nnh_require_data("acasxu/nnet");
    Suite *s = suite_create("shared_networks");
    TCase *tc = tcase_create("acas");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_acas_nnet_onnx_agree);
    tcase_add_test(tc, test_acas_counterexamples);
    tcase_add_test(tc, test_ibp_sound_acas);
    tcase_add_test(tc, test_ibp_sound_others);
    suite_add_tcase(s, tc);
    return nnh_run_suite(s);
}
