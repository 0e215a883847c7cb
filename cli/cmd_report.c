/* `nnhull report F.h5`: human summary of a bound file: provenance, status,
 * regions, and per layer the widths of the bounds and the engine statistics.
 * The file is not trusted: its strings are printed with control characters
 * escaped, and inconsistencies (unknown activations, NaN rows in a complete
 * file, lower > upper) are warned about on stderr. */
#include "cli_common.h"
#include "commands.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnhull report F.h5\n"
    "Summarise an nnhull-bounds HDF5 file (written by `nnhull bounds`): provenance\n"
    "(network, its SHA-256, property, method, options, version, date), status\n"
    "(complete or partial), the input regions, and per layer its width, activation,\n"
    "mean and max width of the pre- and post-activation bounds over all neurons and\n"
    "regions, and the statistics (seconds, LP solves, simplex iterations, cuts,\n"
    "fallbacks). Strings from the file are printed with control characters escaped\n"
    "(\\n, \\t, \\xHH, \\u00HH). Warnings on stderr (exit status still 0): unknown\n"
    "activations, NaN bounds in a complete file, lower > upper. Exits 1 when F.h5 is\n"
    "not an nnhull-bounds file or is damaged.\n\n"
    "options:\n"
    "  -h, --help           this help\n\n"
    "example:\n"
    "  nnhull report build/quickstart.h5\n";

/* s with control characters escaped: \\, \n, \r, \t, \xHH (other C0
 * bytes, DEL, bytes that are not UTF-8), \u00HH (C1 controls); at most
 * len - 1 bytes (cut at a whole escape) */
static const char *escaped(const char *s, char *buf, size_t len)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char e[8];
        size_t n = 1;
        int u = p[0] >= 0xc2 && p[0] <= 0xf4; /* a UTF-8 lead byte */
        if (u)
            while (n < 4 && (p[n] & 0xc0) == 0x80)
                n++;
        int need = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
        char named = *p == '\\' ? '\\' : *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : 0;
        if (named)
            snprintf(e, sizeof e, "\\%c", named);
        else if (*p < 0x20 || *p == 0x7f || (*p >= 0x80 && (!u || (int)n != need)))
            snprintf(e, sizeof e, "\\x%02x", *p), n = 1;
        else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            snprintf(e, sizeof e, "\\u00%02x", p[1]);
        else
            snprintf(e, sizeof e, "%.*s", (int)n, (const char *)p);
        size_t el = strlen(e);
        if (o + el >= len)
            break;
        memcpy(buf + o, e, el);
        o += el;
        p += n;
    }
    buf[o] = '\0';
    return buf;
}

/* "label   value" with value escaped (whole: 6 bytes per byte at most) */
static void line(const char *label, const char *value)
{
    size_t len = 6 * strlen(value) + 1;
    char *buf = malloc(len);
    printf("%-17s%s\n", label, buf ? escaped(value, buf, len) : "(out of memory)");
    free(buf);
}

enum { MAX_WARNINGS = 20 };
static int n_warnings;

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    if (++n_warnings > MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nnhull: report: warning: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

typedef struct width_stat {
    double mean, max;
} width_stat;

static width_stat widths(const double *lo, const double *hi, size_t n, width_stat acc,
                         size_t *count)
{
    for (size_t i = 0; i < n; i++) {
        double w = hi[i] - lo[i];
        acc.mean += w;
        if (w > acc.max || isnan(w))
            acc.max = w;
    }
    *count += n;
    return acc;
}

static void print_regions(const nnh_h5_file *f)
{
    width_stat s = {0, 0};
    size_t cnt = 0;
    for (int r = 0; r < f->n_regions; r++)
        s = widths(f->regions[r]->in_lo, f->regions[r]->in_hi, (size_t)f->n_in, s, &cnt);
    printf("regions:         %d, over %d inputs; input width mean %.6g, max %.6g\n",
           f->n_regions, f->n_in, s.mean / (double)cnt, s.max);
    if (f->n_in > 8 || f->n_regions > 20)
        return;
    for (int r = 0; r < f->n_regions; r++) {
        printf("  region %d:", r);
        for (int j = 0; j < f->n_in; j++)
            printf(" [%.9g, %.9g]", f->regions[r]->in_lo[j], f->regions[r]->in_hi[j]);
        printf("\n");
    }
}

/* a checkpoint (status partial) holds NaN rows for (region, layer) pairs
 * not computed yet */
static int row_done(const nnh_layer_bounds *L)
{
    for (int i = 0; i < L->width; i++)
        if (isnan(L->pre_lo[i]) || isnan(L->pre_hi[i]) || isnan(L->post_lo[i]) ||
            isnan(L->post_hi[i]))
            return 0;
    return 1;
}

static int rows_done(const nnh_h5_file *f, int k)
{
    int n = 0;
    for (int r = 0; f->present[k] && r < f->n_regions; r++)
        n += row_done(&f->regions[r]->layers[k]);
    return n;
}

static void print_layer(const nnh_h5_file *f, int k)
{
    const nnh_layer_stats *st = &f->stats[k];
    int rows = rows_done(f, k);
    if (!f->present[k] || rows == 0) {
        printf("%5d  %6s  %-10s  %-38s %8.3f\n", k, "-", "-", "(not computed)", st->seconds);
        return;
    }
    width_stat pre = {0, 0}, post = {0, 0};
    size_t cp = 0, cq = 0;
    int n = f->regions[0]->layers[k].width;
    for (int r = 0; r < f->n_regions; r++) {
        const nnh_layer_bounds *L = &f->regions[r]->layers[k];
        if (!row_done(L))
            continue;
        pre = widths(L->pre_lo, L->pre_hi, (size_t)n, pre, &cp);
        post = widths(L->post_lo, L->post_hi, (size_t)n, post, &cq);
    }
    char act[32];
    printf("%5d  %6d  %-10s  %9.3g %9.3g %9.3g %9.3g %8.3f %9ld %9ld %8ld %8ld %9ld\n", k, n,
           escaped(f->activation[k], act, sizeof act), pre.mean / (double)cp, pre.max,
           post.mean / (double)cq, post.max, st->seconds, st->lp_solves, st->simplex_iters,
           st->cuts_1d, st->cuts_multivariate, st->fallbacks);
    if (rows < f->n_regions)
        printf("       (widths over the %d of %d regions done so far)\n", rows, f->n_regions);
}

static void print_report(const char *path, const nnh_h5_file *f)
{
    int done = 0;
    double secs = 0;
    for (int k = 0; k < f->n_layers; k++) {
        done += f->present[k] && rows_done(f, k) == f->n_regions;
        secs += f->stats[k].seconds;
    }
    char ver[16];
    snprintf(ver, sizeof ver, "%d", f->mpi_ranks);
    line("file:", path);
    printf("format:          ");
    char a[256], b[256], c[256];
    printf("%s v%d, written by nnhull %s on %s\n", escaped(f->format, a, sizeof a),
           f->format_version, escaped(f->nnhull_version, b, sizeof b),
           escaped(f->created_utc, c, sizeof c));
    printf("status:          %s (%d of %d layers)\n", escaped(f->status, a, sizeof a), done,
           f->n_layers);
    line("network:", f->network_path);
    line("network sha256:", f->network_sha256);
    line("spec:", f->spec_path[0] ? f->spec_path : "(none)");
    line("method:", f->method);
    line("options:", f->options);
    line("mpi ranks:", ver);
    print_regions(f);
    printf("seconds:         %.3f (sum over layers)\n\n", secs);
    printf("                            pre-activation width  post-activation width\n");
    printf("layer   width  activation       mean       max      mean       max  seconds"
           " lp_solves  simplex  cuts_1d  cuts_mv fallbacks\n");
    for (int k = 0; k < f->n_layers; k++)
        print_layer(f, k);
}

/* lower > upper in n entries of one row: a warning for each (the first ones) */
static void check_order(const double *lo, const double *hi, int n, int k, int r,
                        const char *what)
{
    for (int i = 0; i < n; i++)
        if (lo[i] > hi[i]) {
            if (k < 0)
                warn("region %d, input %d: lower %.17g > upper %.17g", r, i, lo[i], hi[i]);
            else
                warn("layer %d, region %d, neuron %d: %s lower %.17g > upper %.17g", k, r, i,
                     what, lo[i], hi[i]);
        }
}

/* what a well-formed file never holds */
static void check_file(const nnh_h5_file *f)
{
    for (int r = 0; r < f->n_regions; r++)
        check_order(f->regions[r]->in_lo, f->regions[r]->in_hi, f->n_in, -1, r, "");
    for (int k = 0; k < f->n_layers; k++) {
        nnh_act_kind kind;
        char buf[128];
        if (f->present[k] && nnh_act_parse(f->activation[k], &kind) != NNH_OK)
            warn("layer %d: unknown activation '%s'", k, escaped(f->activation[k], buf, sizeof buf));
        for (int r = 0; f->present[k] && r < f->n_regions; r++) {
            const nnh_layer_bounds *L = &f->regions[r]->layers[k];
            if (f->complete && !row_done(L))
                warn("layer %d, region %d: NaN bounds in a complete file", k, r);
            check_order(L->pre_lo, L->pre_hi, L->width, k, r, "pre-activation");
            check_order(L->post_lo, L->post_hi, L->width, k, r, "post-activation");
        }
    }
    if (n_warnings > MAX_WARNINGS)
        fprintf(stderr, "nnhull: report: warning: ... and %d more warnings\n",
                n_warnings - MAX_WARNINGS);
}

int cmd_report(int argc, char **argv)
{
    cli_parser p;
    cli_parser_init(&p, "report", argc, argv, NULL);
    const char *path = NULL, *v;
    int id;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        if (id == CLI_ERR)
            return CLI_USAGE;
        if (id == CLI_HELP) {
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (path)
            return cli_usage("report", "unexpected argument '%s'", v);
        path = v;
    }
    if (!path)
        return cli_usage("report", "missing F.h5");
    nnh_h5_file *f;
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_h5_read(path, &f, &err))
        return cli_fail("%s", err.msg);
    print_report(path, f);
    fflush(stdout);
    check_file(f);
    nnh_h5_file_free(f);
    return CLI_OK;
}
