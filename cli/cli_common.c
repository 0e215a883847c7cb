/* Implementation of the shared command-line helpers (see cli_common.h). */
#include "cli_common.h"
#include "nnhull/dist.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv, const cli_opt *opts)
{
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->opts = opts;
    p->only_positional = 0;
}

/* "-0.5", "-.5", "-inf": numbers are positional arguments, not options */
static int looks_numeric(const char *a)
{
    return a[0] == '-' && (isdigit((unsigned char)a[1]) || a[1] == '.' || a[1] == 'i' ||
                           a[1] == 'I');
}

int cli_next(cli_parser *p, const char **val)
{
    *val = NULL;
    if (p->i >= p->argc)
        return CLI_END;
    const char *a = p->argv[p->i++];
    if (p->only_positional || a[0] != '-' || a[1] == '\0' || looks_numeric(a)) {
        *val = a;
        return CLI_POS;
    }
    if (!strcmp(a, "--")) {
        p->only_positional = 1;
        return cli_next(p, val);
    }
    if (!strcmp(a, "-h") || !strcmp(a, "--help"))
        return CLI_HELP;
    if (a[1] != '-') {
        cli_usage(p->cmd, "unknown option '%s'", a);
        return CLI_ERR;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    for (const cli_opt *o = p->opts; o && o->name; o++) {
        if (strlen(o->name) != len || strncmp(o->name, name, len) != 0)
            continue;
        if (!o->has_arg) {
            if (eq) {
                cli_usage(p->cmd, "option '--%s' takes no value", o->name);
                return CLI_ERR;
            }
            return o->id;
        }
        if (eq)
            *val = eq + 1;
        else if (p->i < p->argc)
            *val = p->argv[p->i++];
        else {
            cli_usage(p->cmd, "option '--%s' needs a value", o->name);
            return CLI_ERR;
        }
        return o->id;
    }
    cli_usage(p->cmd, "unknown option '%.*s'", (int)(len + 2), a);
    return CLI_ERR;
}

int cli_load_option(int id, nnh_load_opts *o)
{
    switch (id) {
    case CLI_OPT_STRIP_SOFTMAX: o->strip_softmax = 1; return 1;
    case CLI_OPT_NNET_NORMALIZED: o->nnet_normalized = 1; return 1;
    case CLI_OPT_NNET_OUTPUT_RELU: o->nnet_output_relu = 1; return 1;
    case CLI_OPT_DENSE_LAYERS: o->dense_layers = 1; return 1;
    default: return 0;
    }
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("nnhull: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nnhull: %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'nnhull %s --help'.\n", cmd);
    va_end(ap);
    return CLI_USAGE;
}

int cli_check_output(const char *cmd, const char *out, int checkpoint, const char *const *inputs,
                     int n)
{
    if (!out)
        return CLI_OK;
    nnh_error err;
    char *ckpt = checkpoint ? nnh_dist_checkpoint_path(out) : NULL;
    int rc = nnh_output_check(out, inputs, n, &err);
    if (!rc && ckpt)
        rc = nnh_output_check(ckpt, inputs, n, &err);
    free(ckpt);
    return rc ? cli_usage(cmd, "%s", err.msg) : CLI_OK;
}

int cli_load_network(const char *path, const nnh_load_opts *o, nnh_network **net)
{
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_load_network(path, o, net, &err) != 0)
        return cli_fail("%s", err.msg);
    return CLI_OK;
}


double cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_tighten_opts(const char *cmd, const char *json, nnh_verify_opts *o)
{
    o->tighten_opts.method = o->tighten == NNH_TIGHTEN_LP1D ? NNH_METHOD_LP1D : NNH_METHOD_HULL;
    if (!json)
        return CLI_OK;
    nnh_error err;
    nnh_error_clear(&err);
    nnh_bound_opts_given given = {0};
    int rc = nnh_bound_opts_parse_json(&o->tighten_opts, json, &given, &err);
    if (rc == NNH_EPARSE)
        return cli_usage(cmd, "--tighten-opts: %s", err.msg);
    if (rc)
        return cli_fail("%s: --tighten-opts: %s", cmd, err.msg);
    for (int i = 0; i < given.n; i++) /* a window given is the window used */
        if (given.key[i] == nnh_bound_opt_find("window"))
            o->tighten_auto_window = 0;
    if (o->tighten_opts.time_limit > 0 || o->tighten_opts.task_time_limit > 0 ||
        o->tighten_opts.lp_time_limit > 0)
        return cli_usage(cmd, "--tighten-opts: time limits are not allowed (the bounds would "
                         "depend on the load and the rank count); use task_iter_limit");
    return CLI_OK;
}

int cli_split_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    if (nnh_split_mode_parse(v, &o->split))
        return cli_usage(cmd, "--split needs input, activation or auto, got '%s'", v);
    return CLI_OK;
}

int cli_tighten_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    if (nnh_tighten_parse(v, &o->tighten))
        return cli_usage(cmd, "--tighten: unknown value '%s' (none, auto, lp1d, hull)", v);
    return CLI_OK;
}

int cli_number(const char *v, double lo, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo) || !isfinite(d))
        return -1;
    *out = d;
    return 0;
}

int cli_tighten_fraction_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    double d;
    if (cli_number(v, 0.0, &d) || !(d > 0.0 && d <= 1.0))
        return cli_usage(cmd, "--tighten-fraction needs a number in (0, 1], got '%s'", v);
    o->tighten_fraction = d;
    return CLI_OK;
}

int cli_alpha_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    if (nnh_alpha_mode_parse(v, &o->alpha))
        return cli_usage(cmd, "--alpha needs off, root, on or auto, got '%s'", v);
    return CLI_OK;
}

int cli_node_layers_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    if (nnh_node_layers_parse(v, &o->node_layers))
        return cli_usage(cmd, "--node-layers needs rows, changed or all, got '%s'", v);
    return CLI_OK;
}

int cli_alpha_iters_option(const char *cmd, const char *v, nnh_verify_opts *o)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 0 || n > 100000)
        return cli_usage(cmd, "--alpha-iters needs an integer in 0..100000, got '%s'", v);
    o->alpha_opts.iters = (int)n;
    return CLI_OK;
}
