/* `nnhull envelope`: one neuron per JSON line on stdin -> f, the multivariate
 * cav/vex with supergradients and regions, the 1-D envelopes and (given y)
 * the separating cut, one JSON line per input on stdout. */
#include "nnhull/nnhull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_envelope(int argc, char **argv);

static void envelope_help(FILE *out)
{
    fprintf(out,
            "usage: nnhull envelope [--tol T] < neurons.jsonl\n"
            "Envelopes of f(x) = act(w^T x + b) over the box [l,u] at x (Carrasco & Munoz).\n"
            "One JSON object per input line:\n"
            "  {\"act\":\"sigmoid\",\"w\":[..],\"b\":..,\"l\":[..],\"u\":[..],\"x\":[..],\"y\":..}\n"
            "  act: relu, leaky_relu, sigmoid, tanh, softplus, elu, selu, identity;\n"
            "  \"alpha\" only for leaky_relu, elu, selu; \"b\" defaults to 0; \"y\" optional.\n"
            "One JSON line out per input line (x is clamped to the box):\n"
            "  {\"f\",\"cav\",\"cav_grad\",\"cav_region\",\"vex\",\"vex_grad\",\"vex_region\",\n"
            "   \"cav1d\",\"vex1d\"}  region: f (cav = f), l (secant piece), i (multivariate);\n"
            "  with y: \"cut\":{\"sense\":\"<=\"|\">=\",\"a\":[..],\"c\":..,\"violation\":..}, the\n"
            "  most violated valid cut y <= a^T x + c (or >=; also \"region\" and \"level\"\n"
            "  of the envelope piece it comes from), or \"cut\":null when (x, y)\n"
            "  is within T of the hull. Cuts hold on the whole box in exact arithmetic.\n"
            "  Every number must be finite and at most 1e100 in magnitude.\n"
            "  A bad line gives {\"error\":\"line N: ...\"} and processing continues; so\n"
            "  does a line whose results would not be finite (never printed as null).\n"
            "options:\n"
            "  --tol T   separation tolerance (default 1e-9)\n"
            "Exit status: 0 all lines processed, 1 some line was bad, 2 usage error.\n");
}

static void put_num(double v)
{
    if (isfinite(v))
        printf("%.17g", v);
    else
        printf("null"); /* JSON has no inf/nan */
}

static void put_vec(const double *v, int n)
{
    putchar('[');
    for (int i = 0; i < n; i++) {
        if (i)
            putchar(',');
        put_num(v[i]);
    }
    putchar(']');
}

static const char *region_name(nnh_region r)
{
    return r == NNH_REGION_F ? "f" : (r == NNH_REGION_L ? "l" : "i");
}

/* JSON string body with quotes and backslashes escaped (messages only). */
static void put_escaped(const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putchar('\\');
        if ((unsigned char)*s >= 0x20)
            putchar(*s);
    }
}

static int all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Evaluate and print one parsed line; 0 or -1 with msg (nothing printed). */
static int run_line(nnh_neuron_json *L, double tol, nnh_env_ws *ws, double **gbuf, int *gcap, char *msg,
                    size_t len)
{
    int n = L->nr.n;
    if (n > ws->n_max) {
        nnh_env_ws_free(ws);
        nnh_error err;
        if (nnh_env_ws_init(ws, n, &err)) {
            snprintf(msg, len, "%s", err.msg);
            return -1;
        }
    }
    if (3 * n + 3 > *gcap) { /* + 3: never NULL, even for n = 0 */
        double *nb = realloc(*gbuf, (size_t)(3 * n + 3) * sizeof(double));
        if (!nb) {
            snprintf(msg, len, "out of memory for n=%d", n);
            return -1;
        }
        *gbuf = nb;
        *gcap = 3 * n + 3;
    }
    double *gc = *gbuf, *gv = gc + n, *a = gv + n;
    double z = L->nr.b, Lz = L->nr.b, Uz = L->nr.b;
    for (int i = 0; i < n; i++) {
        double xi = fmin(fmax(L->x[i], L->l[i]), L->u[i]);
        z += L->w[i] * xi;
        Lz += fmin(L->w[i] * L->l[i], L->w[i] * L->u[i]);
        Uz += fmax(L->w[i] * L->l[i], L->w[i] * L->u[i]);
    }
    nnh_env_point pc, pv;
    nnh_cut cut = {0};
    if (nnh_cav(&L->nr, L->x, gc, &pc, ws) || nnh_vex(&L->nr, L->x, gv, &pv, ws) ||
        (L->has_y && nnh_separate(&L->nr, L->x, L->y, tol, a, &cut, ws))) {
        snprintf(msg, len, "invalid neuron (non-finite numbers?)");
        return -1;
    }
    if (Lz > z)
        Lz = z; /* rounding of the three sums */
    if (Uz < z)
        Uz = z;
    double f = nnh_act_value(&L->act, z), cav1d = nnh_env1d_upper(&L->act, Lz, Uz, z, NULL),
           vex1d = nnh_env1d_lower(&L->act, Lz, Uz, z, NULL);
    double one[7] = {f, pc.value, pv.value, cav1d, vex1d, cut.sense ? cut.c : 0,
                     cut.sense ? cut.violation : 0};
    if (!all_finite(one, 7) || !all_finite(gc, n) || !all_finite(gv, n) ||
        (cut.sense && !all_finite(a, n))) {
        snprintf(msg, len, "a result is not finite (numbers too large for this neuron)");
        return -1;
    }
    printf("{\"f\":");
    put_num(f);
    printf(",\"cav\":");
    put_num(pc.value);
    printf(",\"cav_grad\":");
    put_vec(gc, n);
    printf(",\"cav_region\":\"%s\",\"vex\":", region_name(pc.region));
    put_num(pv.value);
    printf(",\"vex_grad\":");
    put_vec(gv, n);
    printf(",\"vex_region\":\"%s\",\"cav1d\":", region_name(pv.region));
    put_num(cav1d);
    printf(",\"vex1d\":");
    put_num(vex1d);
    if (L->has_y) {
        printf(",\"cut\":");
        if (cut.sense == 0)
            printf("null");
        else {
            printf("{\"sense\":\"%s\",\"a\":", cut.sense > 0 ? "<=" : ">=");
            put_vec(a, n);
            printf(",\"c\":");
            put_num(cut.c);
            printf(",\"violation\":");
            put_num(cut.violation);
            printf(",\"region\":\"%s\",\"level\":%d}", region_name(cut.region), cut.level);
        }
    }
    printf("}\n");
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

int cmd_envelope(int argc, char **argv)
{
    double tol = 1e-9;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            envelope_help(stdout);
            return 0;
        }
        const char *v = NULL;
        if (!strcmp(argv[i], "--tol") && i + 1 < argc)
            v = argv[++i];
        else if (!strncmp(argv[i], "--tol=", 6))
            v = argv[i] + 6;
        char *end = NULL;
        if (v)
            tol = strtod(v, &end);
        if (!v || end == v || *end || !(tol >= 0.0) || !isfinite(tol)) {
            fprintf(stderr, "nnhull: envelope: bad argument '%s'\nTry 'nnhull envelope --help'.\n",
                    v ? v : argv[i]);
            return 2;
        }
    }
    nnh_env_ws ws;
    nnh_error err;
    if (nnh_env_ws_init(&ws, 64, &err)) {
        fprintf(stderr, "nnhull: envelope: %s\n", err.msg);
        return 1;
    }
    nnh_neuron_json L = {0};
    double *gbuf = NULL;
    int gcap = 0, bad = 0;
    char *line = NULL, msg[NNH_ERRMSG_LEN + 128];
    size_t lcap = 0;
    long lineno = 0;
    while (getline(&line, &lcap, stdin) >= 0) {
        lineno++;
        if (blank(line))
            continue;
        nnh_error perr;
        int rc = nnh_neuron_json_parse(&L, line, &perr);
        if (rc)
            snprintf(msg, sizeof msg, "%s", perr.msg);
        if (rc || run_line(&L, tol, &ws, &gbuf, &gcap, msg, sizeof msg)) {
            printf("{\"error\":\"line %ld: ", lineno);
            put_escaped(msg);
            printf("\"}\n");
            bad++;
        }
        fflush(stdout);
    }
    free(line);
    nnh_neuron_json_free(&L);
    free(gbuf);
    nnh_env_ws_free(&ws);
    return bad ? 1 : 0;
}
