/* `nnhull report F.h5`: human summary of a bound file: provenance, status,
 * regions, and per layer the widths of the bounds and the engine statistics. */
#include "cli_common.h"
#include "commands.h"

#include <math.h>
#include <stdio.h>

static const char usage[] =
    "usage: nnhull report F.h5\n"
    "Summarise an nnhull-bounds HDF5 file (written by `nnhull bounds`): provenance\n"
    "(network, its SHA-256, property, method, options, version, date), status\n"
    "(complete or partial), the input regions, and per layer its width, activation,\n"
    "mean and max width of the pre- and post-activation bounds over all neurons and\n"
    "regions, and the statistics (seconds, LP solves, simplex iterations, cuts,\n"
    "fallbacks). Exits 1 when F.h5 is not an nnhull-bounds file.\n\n"
    "options:\n"
    "  -h, --help           this help\n\n"
    "example:\n"
    "  nnhull report build/quickstart.h5\n";

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
    printf("%5d  %6d  %-10s  %9.3g %9.3g %9.3g %9.3g %8.3f %9ld %9ld %8ld %8ld %9ld\n", k, n,
           f->activation[k], pre.mean / (double)cp, pre.max, post.mean / (double)cq, post.max,
           st->seconds, st->lp_solves, st->simplex_iters, st->cuts_1d, st->cuts_multivariate,
           st->fallbacks);
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
    printf("file:            %s\n", path);
    printf("format:          %s v%d, written by nnhull %s on %s\n", f->format,
           f->format_version, f->nnhull_version, f->created_utc);
    printf("status:          %s (%d of %d layers)\n", f->status, done, f->n_layers);
    printf("network:         %s\n", f->network_path);
    printf("network sha256:  %s\n", f->network_sha256);
    printf("spec:            %s\n", f->spec_path[0] ? f->spec_path : "(none)");
    printf("method:          %s\n", f->method);
    printf("options:         %s\n", f->options);
    printf("mpi ranks:       %d\n", f->mpi_ranks);
    print_regions(f);
    printf("seconds:         %.3f (sum over layers)\n\n", secs);
    printf("                            pre-activation width  post-activation width\n");
    printf("layer   width  activation       mean       max      mean       max  seconds"
           " lp_solves  simplex  cuts_1d  cuts_mv fallbacks\n");
    for (int k = 0; k < f->n_layers; k++)
        print_layer(f, k);
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
    nnh_h5_file_free(f);
    return CLI_OK;
}
