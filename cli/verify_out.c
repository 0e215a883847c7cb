/* `nnhull verify --out F.h5`, command side: the bounds of every distinct
 * input box of the property with the chosen engine and the options as JSON;
 * the file itself is written by io/ (nnh_h5_write_verdict). */
#include "verify_out.h"

#include "cli_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The engine of the file: the chosen one, or IBP after a signal (a stop
 * request, nnhull/stop.h), whose bounds take milliseconds where crown takes
 * about a second on the ERAN 6x200 net: mpirun's SIGKILL follows its SIGTERM
 * by about a second. */
static nnh_method out_method(const nnh_verify_opts *o)
{
    return nnh_stop_requested() ? NNH_METHOD_IBP : o->method;
}

/* Bounds of net over every distinct box of spec with out_method's engine. */
static int box_bounds(const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                      int *n, nnh_bounds ***out, nnh_layer_stats *stats, nnh_error *err)
{
    double *lo = NULL, *hi = NULL;
    int *of = NULL;
    int rc = nnh_spec_boxes(spec, n, &lo, &hi, &of, err);
    free(of);
    *out = rc ? NULL : calloc((size_t)*n + 1, sizeof **out);
    if (!rc && !*out)
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    nnh_bound_opts bo = o->bound;
    bo.method = out_method(o);
    /* nnh_bounds_compute overwrites its statistics: one box at a time, summed */
    nnh_layer_stats *box = rc ? NULL : calloc((size_t)net->n_layers, sizeof *box);
    if (!rc && !box)
        rc = nnh_error_set(err, NNH_ENOMEM, "out of memory");
    for (int i = 0; !rc && i < *n; i++) {
        rc = nnh_bounds_create(net, lo + (size_t)i * net->n_inputs, hi + (size_t)i * net->n_inputs,
                               &(*out)[i], err);
        if (!rc)
            rc = nnh_bounds_compute(net, (*out)[i], &bo, box, NULL, NULL, err);
        for (int k = 0; !rc && k < net->n_layers; k++)
            nnh_layer_stats_add(&stats[k], &box[k]);
    }
    free(box);
    free(lo);
    free(hi);
    return rc;
}

static char *options_json(const nnh_verify_opts *o)
{
    char *b = nnh_bound_opts_json(&o->bound), *t = nnh_bound_opts_json(&o->tighten_opts);
    char *s = malloc(650 + (b ? strlen(b) : 2) + (t ? strlen(t) : 2));
    char frac[160] = ""; /* only when given, so default files are unchanged */
    if (o->tighten_fraction > 0)
        snprintf(frac, sizeof frac, ",\"tighten_fraction\":%.17g", o->tighten_fraction);
    if (!o->case_split)
        strcat(frac, ",\"case_split\":0");
    if (o->node_tighten > 0)
        snprintf(frac + strlen(frac), sizeof frac - strlen(frac), ",\"node_tighten\":%d",
                 o->node_tighten);
    if (o->tighten_auto_window != NNH_TIGHTEN_AUTO_WINDOW) /* a window given: 0 */
        snprintf(frac + strlen(frac), sizeof frac - strlen(frac), ",\"tighten_auto_window\":%d",
                 o->tighten_auto_window);
    if (s)
        sprintf(s,
                "{\"command\":\"verify\",\"method\":\"%s\",\"timeout\":%.17g,\"max_regions\":%ld,"
                "\"escalate_gap\":%.17g,\"joint\":%d,\"descend_depth\":%d,\"seed\":%llu,"
                "\"bound\":%s,\"tighten\":\"%s\",\"tighten_opts\":%s%s}",
                nnh_method_name(o->method), o->timeout, o->max_regions, o->escalate_gap, o->joint,
                o->descend_depth, o->seed, b ? b : "{}", nnh_tighten_name(o->tighten),
                t ? t : "{}", frac);
    free(b);
    free(t);
    return s;
}

int nnh_verify_write_h5(const char *path, const char *net_path, const char *spec_path,
                        const nnh_network *net, const nnh_spec *spec, const nnh_verify_opts *o,
                        const nnh_verify_result *r)
{
    nnh_error err;
    nnh_error_clear(&err);
    int n = 0;
    nnh_bounds **regs = NULL;
    nnh_layer_stats *stats = calloc((size_t)net->n_layers, sizeof *stats);
    char *opts = options_json(o);
    int rc = stats && opts ? box_bounds(net, spec, o, &n, &regs, stats, &err)
                           : nnh_error_set(&err, NNH_ENOMEM, "out of memory");
    if (!rc) {
        nnh_h5_meta m;
        nnh_h5_meta_init(&m);
        m.network_path = net_path;
        m.spec_path = spec_path;
        m.method = nnh_method_name(out_method(o));
        m.options_json = opts;
        rc = nnh_h5_write_verdict(path, net, &m, n, regs, stats, o, r, &err);
    }
    for (int i = 0; regs && i < n; i++)
        nnh_bounds_free(regs[i]);
    free(regs);
    free(stats);
    free(opts);
    return rc ? cli_fail("%s", err.msg) : CLI_OK;
}

int cli_write_cex(const char *path, const double *x, int n_in, const double *y, int n_out)
{
    /* built in memory, written to an exclusive temporary and renamed */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return cli_fail("out of memory");
    fprintf(f, "(\n");
    for (int i = 0; i < n_in; i++)
        fprintf(f, "(X_%d %.17g)\n", i, x[i]);
    for (int j = 0; j < n_out; j++)
        fprintf(f, "(Y_%d %.17g)\n", j, y[j]);
    fprintf(f, ")\n");
    nnh_error err;
    int rc = fclose(f) ? nnh_error_set(&err, NNH_ENOMEM, "out of memory")
                       : nnh_write_file_atomic(path, text, len, &err);
    free(text);
    return rc ? cli_fail("%s: cannot write the counterexample: %s", path, err.msg) : CLI_OK;
}
