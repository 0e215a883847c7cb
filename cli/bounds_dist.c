/* `nnhull bounds`, the run for every method: nnh_dist_run (mpi/) computes
 * and writes the file (on rank 0 alone without a launcher); this side
 * prints the progress lines (master only), the summary and --stats. */
#include "bounds_dist.h"
#include "cli_common.h"
#include "mpi_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- progress and statistics (the master prints, nobody else) ---- */

typedef struct progress_state {
    int quiet;
    double last;
} progress_state;

static void on_progress(void *arg, int region, int n_regions, int layer, int n_layers,
                        int units_done, int units_total, double elapsed)
{
    progress_state *p = arg;
    if (p->quiet)
        return;
    /* one line per layer with one region; with many, one every 2 s at most */
    if (n_regions == 1)
        fprintf(stderr, "layer %d (0..%d): done, %.1f s elapsed\n", layer, n_layers - 1,
                elapsed);
    else if (elapsed - p->last >= 2.0 || units_done == units_total) {
        fprintf(stderr, "region %d/%d, layer %d (0..%d): done, %d/%d (region, layer) units, "
                "%.1f s elapsed\n", region + 1, n_regions, layer, n_layers - 1, units_done,
                units_total, elapsed);
        p->last = elapsed;
    }
}

static void print_stats(const nnh_dist_report *r, const nnh_network *net)
{
    double busy = r->master_busy, wall = r->wall > 0 ? r->wall : 1e-9;
    printf("scheduler: %d rank%s, %d region%s, %d units (%d resumed), wall %.3f s\n", r->ranks,
           r->ranks == 1 ? "" : "s", r->n_regions, r->n_regions == 1 ? "" : "s", r->units_total,
           r->units_resumed, r->wall);
    printf("master: computing %.3f s (LP contexts %.3f s for %d, layer preparation and "
           "checkpoints %.3f s), idle %.3f s (idle fraction %.3f), %ld messages (%.1f per "
           "second)\n", busy, r->master_contexts, r->n_contexts, r->master_prepare,
           r->master_idle, r->master_idle / wall, r->messages, (double)r->messages / wall);
    printf("layer  width   LP tasks  longest task (s)  mean task (s)  all tasks (s)  fallbacks\n");
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_dist_layer_sched *s = &r->layer[k];
        printf("%5d  %5d  %9ld  %16.4f  %13.5f  %13.3f  %9ld\n", k, net->layers[k].n_out,
               s->tasks, s->longest_task, s->tasks ? s->task_seconds / (double)s->tasks : 0.0,
               s->task_seconds, r->stats[k].fallbacks);
    }
}

static double mean_width(const nnh_layer_bounds *L)
{
    double s = 0;
    for (int i = 0; i < L->width; i++)
        s += L->pre_hi[i] - L->pre_lo[i];
    return L->width ? s / L->width : 0;
}

static void print_layers(const nnh_network *net, const nnh_dist_report *rep)
{
    for (int k = 0; k < net->n_layers; k++) {
        double m = 0;
        for (int r = 0; r < rep->n_regions; r++)
            m += mean_width(&rep->bounds[r]->layers[k]);
        printf("layer %3d  width %5d  %-10s  mean pre-activation width %.6g\n", k,
               net->layers[k].n_out, nnh_act_name(net->layers[k].act.kind),
               m / rep->n_regions);
    }
}

/* ---- the run ---- */

/* warnings of the run (a damaged checkpoint): always shown, even with --quiet */
static void warn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "nnhull: warning: %s\n", msg);
}

int cli_bounds_dist_run(const cli_dist_args *a, const nnh_network *net, int R, const double *lo,
                        const double *hi)
{
    nnh_dist_opts o;
    nnh_dist_opts_init(&o);
    nnh_error err;
    nnh_error_clear(&err);
    o.bound = a->bound;
    o.resume = a->resume;
    o.checkpoint_every = a->checkpoint_every;
    o.meta = a->meta;
    o.trace = a->trace;
    o.min_tasks_per_context = a->sched_min_tasks;
    o.master_tasks_max_workers = a->master_tasks;
    o.chunk_seconds = a->sched_chunk_seconds;
    o.warn = warn;
    nnh_dist_report rep;
    memset(&rep, 0, sizeof rep);
    progress_state ps = {a->quiet, 0};
    int rc = nnh_dist_run(cli_dist(), net, R, lo, hi, a->out, &o, on_progress, &ps, &rep, &err);
    if (rc) /* one message: maybe the master's watcher's (a rank died) */
        rc = nnh_dist_claim_report(cli_dist()) ? cli_fail("%s", err.msg) : CLI_FAIL;
    if (!rc && !a->quiet && rep.bounds) {
        print_layers(net, &rep);
        printf("wrote %s: %d region%s, %d layers, %d rank%s, status complete (%.3f s)\n", a->out,
               R, R == 1 ? "" : "s", net->n_layers, rep.ranks, rep.ranks == 1 ? "" : "s",
               rep.wall);
    }
    if (!rc && a->stats)
        print_stats(&rep, net);
    nnh_dist_report_free(&rep, net->n_layers);
    return rc;
}
