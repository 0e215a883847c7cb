/* Data-driven checks on the real networks in ../shared/data (skipped when
 * absent): the .nnet and .onnx ACAS Xu networks agree, every published
 * counterexample reproduces and violates its property, and IBP bounds contain
 * the layer values of 10,000 random inputs on every loadable network. */
#include "nnh_test.h"
#include "nnhull.h"
#include "nnh_io.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *acas_dir(const char *sub)
{
    return nnh_data_path(sub);
}

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

START_TEST(test_acas_nnet_onnx_agree)
{
    const char *dir = acas_dir("acasxu");
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
        nnh_network *a = load(g.gl_pathv[f], 1), *b = load(onnx, 0);
        ck_assert_int_eq(a->n_inputs, 5);
        ck_assert_int_eq(b->n_inputs, 5);
        ck_assert_int_eq(nnh_network_n_outputs(a), 5);
        ck_assert_int_eq(nnh_network_n_outputs(b), 5);
        for (int s = 0; s < 100; s++) {
            double x[5], ya[5], yb[5];
            for (int j = 0; j < 5; j++)
                x[j] = nnh_test_rand(&st) - 0.5; /* the normalised input domain */
            nnh_network_eval(a, x, ya, NULL);
            nnh_network_eval(b, x, yb, NULL);
            for (int i = 0; i < 5; i++) {
                double d = fabs(ya[i] - yb[i]);
                if (d > worst)
                    worst = d;
                ck_assert_msg(d <= 1e-5 * (1 + fabs(ya[i])), "%s: output %d differs: %.17g vs %.17g",
                              base, i, ya[i], yb[i]);
            }
        }
        nnh_network_free(a);
        nnh_network_free(b);
    }
    printf("ACAS Xu .nnet vs .onnx: 45 networks x 100 inputs, worst |diff| = %.3g\n", worst);
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

START_TEST(test_acas_counterexamples)
{
    const char *dir = acas_dir("acasxu");
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/counterexamples/*.counterexample", dir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_int_eq((int)g.gl_pathc, 47);
    for (size_t f = 0; f < g.gl_pathc; f++) {
        const char *base = strrchr(g.gl_pathv[f], '/') + 1;
        const char *pp = strstr(base, "_prop_");
        ck_assert_ptr_nonnull(pp);
        char onnx[4096], vnnlib[4096];
        snprintf(onnx, sizeof onnx, "%s/onnx/%.*s.onnx", dir, (int)(pp - base), base);
        snprintf(vnnlib, sizeof vnnlib, "%s/vnnlib/prop_%d.vnnlib", dir, atoi(pp + 6));
        nnh_network *net = load(onnx, 0);
        nnh_spec *spec = NULL;
        nnh_error err;
        ck_assert_msg(nnh_load_vnnlib(vnnlib, &spec, &err) == 0, "%s", err.msg);
        double x[5], yrec[5], y[5];
        ck_assert_msg(read_cex(g.gl_pathv[f], x, 5, yrec, 5) == 0, "cannot parse %s", base);
        nnh_network_eval(net, x, y, NULL);
        int hit = 0;
        for (int i = 0; i < 5; i++)
            ck_assert_msg(fabs(y[i] - yrec[i]) <= 1e-5 * (1 + fabs(yrec[i])),
                          "%s: Y_%d = %.17g but the file records %.17g", base, i, y[i], yrec[i]);
        for (int c = 0; c < spec->n_cases; c++)
            hit |= nnh_spec_case_holds(spec, c, x, y, 1e-6);
        ck_assert_msg(hit, "%s: the counterexample does not satisfy the output condition", base);
        nnh_spec_free(spec);
        nnh_network_free(net);
    }
    globfree(&g);
}
END_TEST

/* IBP soundness on one network over box [lo,hi]: every layer value of n
 * random inputs (plus the box corners when n_in <= 10) lies in the bounds. */
static void check_ibp(const char *path, const nnh_load_opts *o, const double *lo, const double *hi,
                      int n)
{
    nnh_network *net = NULL;
    nnh_error err;
    int rc = nnh_load_network(path, o, &net, &err);
    if (rc == NNH_EUNSUPPORTED) { /* a rejected network is covered by the reader tests */
        printf("  (rejected) %s: %s\n", path, err.msg);
        return;
    }
    ck_assert_msg(rc == 0, "%s: %s", path, err.msg);
    nnh_bounds *b;
    ck_assert_int_eq(nnh_bounds_create(net, lo, hi, &b, &err), 0);
    ck_assert_int_eq(nnh_bounds_ibp(net, b, &err), 0);
    int L = net->n_layers, w = nnh_network_max_width(net), nin = net->n_inputs;
    double *buf = malloc((size_t)(2 * L * w + nin) * sizeof(double));
    double **pre = malloc((size_t)L * sizeof *pre), **post = malloc((size_t)L * sizeof *post);
    for (int k = 0; k < L; k++) {
        pre[k] = buf + (size_t)(2 * k) * w;
        post[k] = buf + (size_t)(2 * k + 1) * w;
    }
    double *x = buf + (size_t)2 * L * w;
    unsigned long long st = 99;
    int corners = nin <= 10 ? 1 << nin : 0;
    for (int s = 0; s < n + corners; s++) {
        for (int j = 0; j < nin; j++) {
            double t = s < corners ? (double)((s >> j) & 1) : nnh_test_rand(&st);
            x[j] = lo[j] + (hi[j] - lo[j]) * t;
            if (net->in_min && x[j] < net->in_min[j]) /* what eval's clamp does */
                x[j] = net->in_min[j];
            if (net->in_max && x[j] > net->in_max[j])
                x[j] = net->in_max[j];
        }
        nnh_network_eval_layers(net, x, pre, post);
        for (int k = 0; k < L; k++)
            for (int i = 0; i < net->layers[k].n_out; i++)
                ck_assert_msg(nnh_bounds_contains(b, k, i, pre[k][i], post[k][i]),
                              "%s: layer %d neuron %d value %.17g/%.17g outside [%.17g,%.17g]", path,
                              k, i, pre[k][i], post[k][i], b->layers[k].pre_lo[i],
                              b->layers[k].pre_hi[i]);
    }
    free(pre);
    free(post);
    free(buf);
    nnh_bounds_free(b);
    nnh_network_free(net);
}

/* Box for a network file: the .nnet domain if any, [0,1]^n for image
 * inputs, else [-1,1]^n. */
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
        if (nnh_load_network(g.gl_pathv[f], &o, &net, &err) != 0) {
            printf("  (rejected) %s: %s\n", g.gl_pathv[f], err.msg);
            continue;
        }
        int nin = net->n_inputs;
        double *lo = malloc((size_t)nin * sizeof(double)), *hi = malloc((size_t)nin * sizeof(double));
        for (int j = 0; j < nin; j++) {
            if (net->in_min && net->in_max && isfinite(net->in_min[j]) && isfinite(net->in_max[j]) &&
                net->in_max[j] - net->in_min[j] < 1e4) {
                lo[j] = net->in_min[j];
                hi[j] = net->in_max[j];
            } else if (nin >= 64) {
                lo[j] = 0.0;
                hi[j] = 1.0;
            } else {
                lo[j] = -1.0;
                hi[j] = 1.0;
            }
        }
        nnh_network_free(net);
        check_ibp(g.gl_pathv[f], &o, lo, hi, n);
        free(lo);
        free(hi);
    }
    globfree(&g);
}

START_TEST(test_ibp_sound_acas)
{
    ibp_on_glob("acasxu/onnx/*.onnx", 0, 10000);
    ibp_on_glob("acasxu/nnet/*.nnet", 0, 2000); /* raw inputs, clamped domain */
}
END_TEST

START_TEST(test_ibp_sound_others)
{
    ibp_on_glob("vnncomp2021_test/*.onnx", 0, 10000);
    ibp_on_glob("vnncomp2021_eran/nets/*.onnx", 0, 10000);
    ibp_on_glob("marabou/onnx/*.onnx", 0, 10000);
    ibp_on_glob("marabou/onnx/layer-zoo/*.onnx", 0, 10000);
    ibp_on_glob("marabou/nnet/*.nnet", 0, 10000);
    ibp_on_glob("marabou/nnet/mnist/*.nnet", 0, 10000);
    ibp_on_glob("marabou/nnet/coav/*.nnet", 0, 10000);
    ibp_on_glob("neuralverification_jl/*.nnet", 0, 10000);
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
