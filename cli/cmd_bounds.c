/* `nnhull bounds`: certified per-neuron bounds of every layer over input
 * regions (a VNNLIB property's boxes, a box file, or center +/- eps), by the
 * engine chosen from the method table below, written to an HDF5 bound file. */
#include "bounds_dist.h"
#include "mpi_main.h"
#include "cli_common.h"
#include "nnh_clock.h"
#include "commands.h"
#include "nnh_round.h"
#include "nnhull/regions.h"

#include <cJSON.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- engines ---- */

/* IBP, layer by layer so that each layer's time is recorded */
static int engine_ibp(const nnh_network *net, nnh_bounds *b, nnh_layer_stats *stats,
                      const char *options_json, nnh_error *err)
{
    cJSON *o = cJSON_Parse(options_json ? options_json : "{}");
    int empty_object = o && cJSON_IsObject(o) && !o->child;
    cJSON_Delete(o);
    if (!empty_object)
        return nnh_error_set(err, NNH_EINVAL, "method ibp takes no engine options (got %.200s)",
                             options_json);
    int rc = nnh_bounds_check(net, b, err);
    if (rc)
        return rc;
    for (int k = 0; k < net->n_layers; k++) {
        double t0 = nnh_now();
        nnh_bounds_ibp_layer(net, b, k);
        stats[k].seconds += nnh_now() - t0;
    }
    return NNH_OK;
}

/* ---- engines built on nnh_bounds_compute: crown, lp1d, hull ---- */

/* Progress on stderr (set by run(); the engine signature has no context):
 * overwritten in place with \r on a terminal, one line per layer otherwise. */
static struct {
    int quiet, tty, region, n_regions;
    int k;              /* layer of the last report */
    double layer_start; /* elapsed seconds when that layer started */
    double last;        /* elapsed seconds of the last report */
} progress = {1, 0, 0, 1, -1, 0, 0};

static void on_progress(void *arg, int k, int n_layers, int done, int total, double elapsed)
{
    (void)arg;
    if (progress.quiet)
        return;
    if (k != progress.k) {
        progress.k = k;
        progress.layer_start = k == 0 ? 0.0 : progress.last;
    }
    progress.last = elapsed;
    if (!progress.tty && done < total)
        return;
    double in_layer = elapsed - progress.layer_start;
    double eta = done > 0 ? in_layer / done * (total - done) : 0.0;
    char where[64] = "";
    if (progress.n_regions > 1)
        snprintf(where, sizeof where, "region %d/%d, ", progress.region + 1, progress.n_regions);
    fprintf(stderr, "%s%slayer %d (0..%d): %d/%d bounds, %.1f s elapsed, layer ETA %.1f s%s",
            progress.tty ? "\r" : "", where, k, n_layers - 1, done, total, elapsed, eta,
            progress.tty ? "   " : "\n");
    if (progress.tty && k == n_layers - 1 && done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* The keys of --engine-opts for nnh_bound_opts (also set by --rounds etc.),
 * all about LPs: crown runs none and refuses them rather than ignore them. */
static const struct engine_key {
    const char *key;
    int is_int, lp_only;
} engine_keys[] = {
    {"max_rounds", 1, 1},    {"max_cuts_per_round", 1, 1}, {"cut_tol", 0, 1},
    {"lp_time_limit", 0, 1}, {"time_limit", 0, 1},         {"window", 1, 1},
    {"pool_rounds", 1, 1},   {"slack_rounds", 1, 1},       {"skip_width", 0, 1},
    {"skip_stable", 1, 1},   {"task_iter_limit", 1, 1},      {"task_time_limit", 0, 1},
    {"min_gain", 0, 1},      {"long_step", 1, 1},
};
enum { N_ENGINE_FLAGS = 6 }; /* --rounds ... --window: engine_keys[0 .. 6) */
enum { N_ENGINE_KEYS = (int)(sizeof engine_keys / sizeof engine_keys[0]) };

static void set_engine_key(nnh_bound_opts *o, int key, double v)
{
    switch (key) {
    case 0: o->max_rounds = (int)v; break;
    case 1: o->max_cuts_per_round = (int)v; break;
    case 2: o->cut_tol = v; break;
    case 3: o->lp_time_limit = v; break;
    case 4: o->time_limit = v; break;
    case 5: o->window = (int)v; break;
    case 6: o->pool_rounds = (int)v; break;
    case 7: o->slack_rounds = (int)v; break;
    case 8: o->skip_width = v; break;
    case 9: o->skip_stable = (int)v; break;
    case 10: o->task_iter_limit = (int)v; break;
    case 11: o->task_time_limit = v; break;
    case 12: o->min_gain = v; break;
    default: o->long_step = (int)v; break;
    }
}

static int engine_options(const char *json, nnh_method m, nnh_bound_opts *o, nnh_error *err)
{
    nnh_bound_opts_init(o);
    o->method = m;
    cJSON *j = cJSON_Parse(json ? json : "{}");
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return nnh_error_set(err, NNH_EINVAL, "engine options are not a JSON object");
    }
    int rc = NNH_OK;
    for (cJSON *it = j->child; it && !rc; it = it->next) {
        int key = -1;
        for (int q = 0; q < N_ENGINE_KEYS; q++)
            if (!strcmp(it->string, engine_keys[q].key))
                key = q;
        double v = cJSON_IsNumber(it) ? it->valuedouble : NAN;
        if (key < 0 || (engine_keys[key].lp_only && m < NNH_METHOD_LP1D))
            rc = nnh_error_set(err, NNH_EINVAL, "method %s has no option '%s'%s",
                               nnh_method_name(m), it->string,
                               m < NNH_METHOD_LP1D ? " (crown takes none)"
                                                   : " (valid: max_rounds, max_cuts_per_round, "
                                                     "cut_tol, lp_time_limit, time_limit, "
                                                     "window, pool_rounds, slack_rounds, "
                                                     "skip_width, skip_stable, task_iter_limit, "
                                                     "task_time_limit, min_gain, long_step)");
        else if (!(v >= 0) || !isfinite(v) || (engine_keys[key].is_int && (v != floor(v) || v > 1e9)) ||
                 ((!strcmp(it->string, "skip_stable") || !strcmp(it->string, "long_step")) &&
                  v > 1))
            rc = nnh_error_set(err, NNH_EINVAL, "engine option '%s': expected a %s >= 0",
                               it->string, engine_keys[key].is_int ? "whole number" : "number");
        else
            set_engine_key(o, key, v);
    }
    cJSON_Delete(j);
    return rc;
}

/* Run nnh_bounds_compute and ADD its per-layer statistics into stats. */
static int engine_compute(nnh_method m, const nnh_network *net, nnh_bounds *b,
                          nnh_layer_stats *stats, const char *options_json, nnh_error *err)
{
    nnh_bound_opts o;
    int rc = engine_options(options_json, m, &o, err);
    if (rc)
        return rc;
    nnh_layer_stats *st = calloc((size_t)net->n_layers, sizeof *st);
    if (!st)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    progress.k = -1;
    progress.last = 0;
    rc = nnh_bounds_compute(net, b, &o, st, on_progress, NULL, err);
    for (int k = 0; k < net->n_layers; k++) {
        stats[k].seconds += st[k].seconds;
        stats[k].lp_solves += st[k].lp_solves;
        stats[k].simplex_iters += st[k].simplex_iters;
        stats[k].cuts_1d += st[k].cuts_1d;
        stats[k].cuts_multivariate += st[k].cuts_multivariate;
        stats[k].fallbacks += st[k].fallbacks;
    }
    free(st);
    return rc;
}

static int engine_crown(const nnh_network *net, nnh_bounds *b, nnh_layer_stats *stats,
                        const char *options_json, nnh_error *err)
{
    return engine_compute(NNH_METHOD_CROWN, net, b, stats, options_json, err);
}

static int engine_lp1d(const nnh_network *net, nnh_bounds *b, nnh_layer_stats *stats,
                       const char *options_json, nnh_error *err)
{
    return engine_compute(NNH_METHOD_LP1D, net, b, stats, options_json, err);
}

static int engine_hull(const nnh_network *net, nnh_bounds *b, nnh_layer_stats *stats,
                       const char *options_json, nnh_error *err)
{
    return engine_compute(NNH_METHOD_HULL, net, b, stats, options_json, err);
}

/* The methods of --method: add an engine with one line here. */
static const struct bounds_method {
    const char *name;
    nnh_engine_fn run;
    const char *summary;
} methods[] = {
    {"ibp", engine_ibp, "interval bound propagation, outward rounded (fast, loosest)"},
    {"crown", engine_crown, "linear back-substitution (CROWN/DeepPoly) with 1-D envelope lines"},
    {"lp1d", engine_lp1d, "one LP per neuron and side, cuts from the 1-D envelopes"},
    {"hull", engine_hull, "lp1d + cuts from the multivariate convex hull (tightest, slowest)"},
};
static const int n_methods = (int)(sizeof methods / sizeof methods[0]);

static const struct bounds_method *find_method(const char *name)
{
    for (int i = 0; i < n_methods; i++)
        if (!strcmp(methods[i].name, name))
            return &methods[i];
    return NULL;
}

static void method_list(char *buf, size_t len)
{
    buf[0] = '\0';
    for (int i = 0; i < n_methods; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", methods[i].name);
}

static void print_usage(void)
{
    fputs("usage: nnhull bounds NET (--spec F.vnnlib | --box F | --center X --eps E)\n"
          "                     --method M --out F.h5 [options]\n"
          "Certified bounds of every neuron of every layer (before and after its\n"
          "activation) over one or more input regions, written to an HDF5 file\n"
          "(format nnhull-bounds v1; see `nnhull report`). The file is written under\n"
          "a temporary name and renamed to F.h5 only when complete.\n\n"
          "input region (exactly one):\n"
          "  --spec F.vnnlib      the input boxes of a VNNLIB property (one region per\n"
          "                       distinct box)\n"
          "  --box F              text file, one 'lo hi' line per input (# comments)\n"
          "  --center X --eps E   the L-infinity ball of radius E around X (X: comma-\n"
          "                       separated numbers, or a file of numbers); its ends are\n"
          "                       rounded outward\n"
          "  --clip LO,HI         intersect the region with [LO, HI] in every input\n"
          "                       (e.g. --clip 0,1 for images)\n\n"
          "bounding:\n"
          "  --method M           bound engine:\n",
          stdout);
    for (int i = 0; i < n_methods; i++)
        printf("                         %-8s %s\n", methods[i].name, methods[i].summary);
    fputs("  --engine-opts JSON   engine options as a JSON object (default {}); keys\n"
          "                       max_rounds, max_cuts_per_round, cut_tol, lp_time_limit,\n"
          "                       time_limit, pool_rounds (rounds of the per-layer cut\n"
          "                       pool, default 0 = none), slack_rounds (a cut non-binding\n"
          "                       this many rounds is removed, default 0 = never),\n"
          "                       window (as --window), skip_width (no LP for a neuron\n"
          "                       whose crown interval is narrower), skip_stable (1: no\n"
          "                       LP for a stable ReLU/leaky ReLU), task_iter_limit (simplex\n"
          "                       iterations per neuron bound), task_time_limit (seconds per\n"
          "                       neuron bound), min_gain (end a cut phase when a round\n"
          "                       gains less), long_step (1: long-step ratio test);\n"
          "                       every stop keeps the bound rigorous\n"
          "                       (lp1d and hull only)\n"
          "  --rounds N           lp1d/hull: cut rounds per phase (default 5; hull\n"
          "                       runs the lp1d rounds, then as many with hull cuts)\n"
          "  --cuts-per-round N   lp1d/hull: cuts added per round at most (default 20)\n"
          "  --cut-tol X          lp1d/hull: minimum violation of an added cut (default 1e-6)\n"
          "  --lp-time-limit S    lp1d/hull: seconds per LP solve (default 0 = none)\n"
          "  --time-limit S       lp1d/hull: seconds for the whole run (default 0 = none);\n"
          "                       past it the remaining neurons keep their crown bounds\n"
          "                       (counted in /stats/fallbacks)\n"
          "  --window W           lp1d/hull: the LP of layer k holds layers k-W..k-1 only,\n"
          "                       entered through certified bounds (default 0 = all)\n"
          "  --out F.h5           output file (required)\n"
          "  --split K            bisect the input region(s) into K regions (longest edge\n"
          "                       first); one row per region in the file\n"
          "  --quiet              print nothing on success (default: one line per layer,\n"
          "                       and crown/lp1d/hull progress on stderr)\n\n"
          "runs, MPI and checkpoints (methods crown, lp1d, hull):\n"
          "  mpirun -np N nnhull bounds ...\n"
          "                       spread the LP problems over N ranks (rank 0 prints and\n"
          "                       writes); the numbers do not depend on N\n"
          "  --checkpoint-every S save finished work to F.partial.h5 at most every S\n"
          "                       seconds (default 1; 0 = after every layer of a region);\n"
          "                       SIGINT/SIGTERM save it too, then exit 1\n"
          "  --resume             continue an interrupted run from F.partial.h5\n"
          "  --stats              print scheduler statistics (idle time, messages, tasks)\n\n"
          "network loading:\n" CLI_LOAD_HELP
          "  -h, --help           this help\n\n"
          "example:\n"
          "  nnhull bounds examples/digits_sigmoid_64x10x10x10x10x10.onnx --method ibp \\\n"
          "      --center \"$(sed -n 2p examples/digits_test_inputs.csv | cut -d, -f2-)\" \\\n"
          "      --eps 0.05 --clip 0,1 --out out.h5\n",
          stdout);
}

/* ---- arguments ---- */

typedef struct bounds_args {
    const char *net, *spec, *box, *center, *eps, *clip, *method, *out, *engine_opts;
    int quiet;
    nnh_load_opts load;
    const char *eflag[N_ENGINE_FLAGS]; /* --rounds ... --window, in engine_keys order */
    int split, resume, stats; /* --split K, --resume, --stats (cli/bounds_dist.c) */
    double checkpoint_every;
    char *merged_opts;    /* --engine-opts with those flags applied (owned) */
} bounds_args;

enum { O_SPEC = 1, O_BOX, O_CENTER, O_EPS, O_CLIP, O_METHOD, O_OUT, O_QUIET, O_EOPTS,
       O_ROUNDS, O_CUTS, O_CUT_TOL, O_LP_TIME, O_TIME, O_WINDOW, /* engine_keys order */
       O_SPLIT, O_RESUME, O_CKPT, O_STATS };

/* CLI_OK, CLI_USAGE (message printed), or -1 when --help was printed */
static int parse_args(int argc, char **argv, bounds_args *a)
{
    static const cli_opt opts[] = {
        {"spec", 1, O_SPEC},     {"box", 1, O_BOX},     {"center", 1, O_CENTER},
        {"eps", 1, O_EPS},       {"clip", 1, O_CLIP},   {"method", 1, O_METHOD},
        {"out", 1, O_OUT},       {"quiet", 0, O_QUIET}, {"engine-opts", 1, O_EOPTS},
        {"rounds", 1, O_ROUNDS}, {"cuts-per-round", 1, O_CUTS}, {"cut-tol", 1, O_CUT_TOL},
        {"lp-time-limit", 1, O_LP_TIME}, {"time-limit", 1, O_TIME}, {"window", 1, O_WINDOW},
        {"split", 1, O_SPLIT},   {"resume", 0, O_RESUME}, {"checkpoint-every", 1, O_CKPT},
        {"stats", 0, O_STATS},
        CLI_LOAD_OPTS,           {NULL, 0, 0}};
    memset(a, 0, sizeof *a);
    a->checkpoint_every = 1.0;
    nnh_load_opts_init(&a->load);
    cli_parser p;
    cli_parser_init(&p, "bounds", argc, argv, opts);
    const char *v;
    int id;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        const char **slot = NULL;
        switch (id) {
        case CLI_ERR: return CLI_USAGE;
        case CLI_HELP: print_usage(); return -1;
        case CLI_POS:
            if (a->net)
                return cli_usage("bounds", "unexpected argument '%s'", v);
            a->net = v;
            continue;
        case O_SPEC: slot = &a->spec; break;
        case O_BOX: slot = &a->box; break;
        case O_CENTER: slot = &a->center; break;
        case O_EPS: slot = &a->eps; break;
        case O_CLIP: slot = &a->clip; break;
        case O_METHOD: slot = &a->method; break;
        case O_OUT: slot = &a->out; break;
        case O_EOPTS: slot = &a->engine_opts; break;
        case O_QUIET: a->quiet = 1; continue;
        case O_RESUME: a->resume = 1; continue;
        case O_STATS: a->stats = 1; continue;
        case O_SPLIT:
        case O_CKPT: {
            char *end;
            double x = strtod(v, &end);
            if (end == v || *end || !(x >= 0) || (id == O_SPLIT && (x != floor(x) || x > 1e7)))
                return cli_usage("bounds", "--%s: '%s' is not a %s", id == O_SPLIT ? "split"
                                 : "checkpoint-every", v, id == O_SPLIT ? "region count" :
                                 "number of seconds >= 0");
            if (id == O_SPLIT)
                a->split = (int)x;
            else
                a->checkpoint_every = x;
            continue;
        }
        case O_ROUNDS: case O_CUTS: case O_CUT_TOL: case O_LP_TIME: case O_TIME: case O_WINDOW:
            a->eflag[id - O_ROUNDS] = v;
            continue;
        default: cli_load_option(id, &a->load); continue;
        }
        *slot = v;
    }
    return CLI_OK;
}

/* Apply --rounds ... --time-limit to the --engine-opts object. */
static int merge_engine_flags(bounds_args *a)
{
    static const char *const flag[N_ENGINE_FLAGS] = {"--rounds", "--cuts-per-round", "--cut-tol",
                                                     "--lp-time-limit", "--time-limit",
                                                     "--window"};
    cJSON *o = cJSON_Parse(a->engine_opts ? a->engine_opts : "{}");
    if (!o)
        return cli_fail("out of memory");
    int rc = CLI_OK;
    for (int q = 0; q < N_ENGINE_FLAGS && !rc; q++) {
        if (!a->eflag[q])
            continue;
        char *end;
        double v = strtod(a->eflag[q], &end);
        if (end == a->eflag[q] || *end || !isfinite(v) || v < 0 ||
            (engine_keys[q].is_int && (v != floor(v) || v > 1e9)))
            rc = cli_usage("bounds", "%s: '%s' is not a %s >= 0", flag[q], a->eflag[q],
                           engine_keys[q].is_int ? "whole number" : "number");
        else {
            cJSON_DeleteItemFromObject(o, engine_keys[q].key);
            cJSON_AddNumberToObject(o, engine_keys[q].key, v);
        }
    }
    if (!rc && !(a->merged_opts = cJSON_PrintUnformatted(o)))
        rc = cli_fail("out of memory");
    cJSON_Delete(o);
    if (!rc)
        a->engine_opts = a->merged_opts;
    return rc;
}

static int check_args(const bounds_args *a)
{
    if (!a->net)
        return cli_usage("bounds", "missing NET (a .onnx or .nnet file)");
    int n_src = !!a->spec + !!a->box + !!(a->center || a->eps);
    if (n_src != 1)
        return cli_usage("bounds", "give exactly one input region: --spec F, --box F, or "
                                   "--center X --eps E");
    if ((a->center != NULL) != (a->eps != NULL))
        return cli_usage("bounds", "--center and --eps go together");
    if (!a->method) {
        char list[256];
        method_list(list, sizeof list);
        return cli_usage("bounds", "missing --method (one of: %s)", list);
    }
    if (!find_method(a->method)) {
        char list[256];
        method_list(list, sizeof list);
        return cli_usage("bounds", "unknown method '%s' (valid: %s)", a->method, list);
    }
    if (!a->out)
        return cli_usage("bounds", "missing --out F.h5");
    if (!strcmp(a->method, "ibp") && (a->resume || a->stats))
        return cli_usage("bounds", "--resume and --stats apply to the methods that run through "
                         "the scheduler (crown, lp1d, hull), not to ibp");
    if (a->engine_opts) {
        cJSON *o = cJSON_Parse(a->engine_opts);
        int ok = o && cJSON_IsObject(o);
        cJSON_Delete(o);
        if (!ok)
            return cli_usage("bounds", "--engine-opts: not a JSON object: %s", a->engine_opts);
    }
    return CLI_OK;
}

/* ---- regions: R boxes of n inputs, row-major ---- */

typedef struct regions {
    int R, n;
    double *lo, *hi;
} regions;

static int regions_alloc(regions *g, int R, int n)
{
    g->R = R;
    g->n = n;
    g->lo = malloc((size_t)R * (size_t)n * sizeof(double));
    g->hi = malloc((size_t)R * (size_t)n * sizeof(double));
    return g->lo && g->hi ? CLI_OK : cli_fail("out of memory");
}

/* strip "# ..." comments in place */
static void strip_comment(char *line)
{
    char *h = strchr(line, '#');
    if (h)
        *h = '\0';
}

static int box_line(const char *path, int lineno, char *line, regions *g, int *count)
{
    double *v;
    int n;
    char bad[64];
    strip_comment(line);
    if (cli_parse_numbers(line, &v, &n, bad, sizeof bad) != 0)
        return cli_fail("%s:%d: bad number '%s'", path, lineno, bad);
    int rc = CLI_OK;
    if (n == 0)
        ;
    else if (n != 2)
        rc = cli_fail("%s:%d: expected two numbers 'lo hi', got %d", path, lineno, n);
    else if (!(v[0] <= v[1]))
        rc = cli_fail("%s:%d: lower bound %.17g is above upper bound %.17g", path, lineno, v[0],
                      v[1]);
    else {
        if (*count < g->n) {
            g->lo[*count] = v[0];
            g->hi[*count] = v[1];
        }
        ++*count;
    }
    free(v);
    return rc;
}

static int regions_from_box(const char *path, const nnh_network *net, const char *net_path,
                            regions *g)
{
    nnh_error err;
    char *text = cli_read_file(path, &err);
    if (!text)
        return cli_fail("%s", err.msg);
    int rc = regions_alloc(g, 1, net->n_inputs), count = 0, lineno = 0;
    for (char *line = text, *next; !rc && line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        rc = box_line(path, lineno, line, g, &count);
    }
    free(text);
    if (!rc && count != net->n_inputs)
        rc = cli_fail("%s: %d intervals, but %s has %d inputs", path, count, net_path,
                      net->n_inputs);
    return rc;
}

/* --center: a file of numbers when such a file exists, else the list itself */
static int read_center(const char *arg, double **c, int *n, const char **label)
{
    struct stat st;
    char bad[64];
    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        nnh_error err;
        char *text = cli_read_file(arg, &err);
        if (!text)
            return cli_fail("%s", err.msg);
        for (char *h = strchr(text, '#'); h; h = strchr(h, '#'))
            while (*h && *h != '\n')
                *h++ = ' ';
        int bad_rc = cli_parse_numbers(text, c, n, bad, sizeof bad);
        free(text);
        *label = arg;
        return bad_rc ? cli_fail("%s: bad number '%s'", arg, bad) : CLI_OK;
    }
    *label = "--center";
    if (cli_parse_numbers(arg, c, n, bad, sizeof bad) != 0)
        return cli_fail("--center: '%.60s%s' is neither a readable file nor a list of numbers "
                        "(bad number '%s')", arg, strlen(arg) > 60 ? "..." : "", bad);
    return CLI_OK;
}

static int regions_from_center(const bounds_args *a, const nnh_network *net, regions *g)
{
    char *end;
    double eps = strtod(a->eps, &end);
    if (end == a->eps || *end || !isfinite(eps) || eps < 0)
        return cli_fail("--eps: '%s' is not a finite number >= 0", a->eps);
    double *c = NULL;
    int n;
    const char *label = "--center";
    if (read_center(a->center, &c, &n, &label))
        return CLI_FAIL;
    int rc = CLI_OK;
    if (n != net->n_inputs)
        rc = cli_fail("%s: %d numbers, but %s has %d inputs", label, n, a->net, net->n_inputs);
    for (int j = 0; !rc && j < n; j++)
        if (!isfinite(c[j]))
            rc = cli_fail("%s: entry %d is not finite", label, j);
    if (!rc)
        rc = regions_alloc(g, 1, n);
    /* round the ends outward so the box contains the exact ball */
    for (int j = 0; !rc && j < n; j++) {
        g->lo[j] = eps > 0 ? nnh_down(c[j] - eps) : c[j];
        g->hi[j] = eps > 0 ? nnh_up(c[j] + eps) : c[j];
    }
    free(c);
    return rc;
}

static int regions_from_spec(const bounds_args *a, const nnh_network *net, regions *g)
{
    nnh_error err;
    nnh_error_clear(&err);
    nnh_spec *s;
    if (nnh_load_vnnlib(a->spec, &s, &err))
        return cli_fail("%s", err.msg);
    int rc = CLI_OK, *box_of_case = NULL;
    if (s->n_in != net->n_inputs || s->n_out != nnh_network_n_outputs(net))
        rc = cli_fail("%s: declares %d inputs and %d outputs, but %s has %d and %d", a->spec,
                      s->n_in, s->n_out, a->net, net->n_inputs, nnh_network_n_outputs(net));
    else if (nnh_spec_boxes(s, &g->R, &g->lo, &g->hi, &box_of_case, &err))
        rc = cli_fail("%s", err.msg);
    else
        g->n = s->n_in;
    free(box_of_case);
    nnh_spec_free(s);
    return rc;
}

static int apply_clip(const char *clip, regions *g)
{
    double *v;
    int n;
    char bad[64];
    if (cli_parse_numbers(clip, &v, &n, bad, sizeof bad) != 0)
        return cli_usage("bounds", "--clip: bad number '%s'", bad);
    if (n != 2 || !(v[0] <= v[1])) {
        free(v);
        return cli_usage("bounds", "--clip: expected LO,HI with LO <= HI, got '%s'", clip);
    }
    int rc = CLI_OK;
    for (int r = 0; r < g->R && !rc; r++)
        for (int j = 0; j < g->n && !rc; j++) {
            size_t i = (size_t)r * g->n + j;
            double lo = fmax(g->lo[i], v[0]), hi = fmin(g->hi[i], v[1]);
            if (!(lo <= hi))
                rc = cli_fail("region %d, input %d: [%.17g, %.17g] does not meet --clip [%g, %g]",
                              r, j, g->lo[i], g->hi[i], v[0], v[1]);
            g->lo[i] = lo;
            g->hi[i] = hi;
        }
    free(v);
    return rc;
}

static int build_regions(const bounds_args *a, const nnh_network *net, regions *g)
{
    int rc = a->spec ? regions_from_spec(a, net, g)
             : a->box ? regions_from_box(a->box, net, a->net, g)
                      : regions_from_center(a, net, g);
    if (!rc && a->clip)
        rc = apply_clip(a->clip, g);
    nnh_error err;
    nnh_error_clear(&err);
    if (!rc && a->split > 0 && nnh_regions_split(&g->R, g->n, &g->lo, &g->hi, a->split, &err))
        rc = cli_fail("%s", err.msg);
    return rc;
}

/* ---- provenance: the run's options as one JSON object ---- */

static char *options_json(const bounds_args *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "method", a->method);
    cJSON_AddStringToObject(o, "region", a->spec ? "spec" : a->box ? "box" : "center");
    if (a->box)
        cJSON_AddStringToObject(o, "box", a->box);
    if (a->center) {
        cJSON_AddStringToObject(o, "center", a->center);
        cJSON_AddNumberToObject(o, "eps", strtod(a->eps, NULL));
    }
    if (a->clip)
        cJSON_AddStringToObject(o, "clip", a->clip);
    if (a->split > 0)
        cJSON_AddNumberToObject(o, "split", a->split);
    cJSON_AddBoolToObject(o, "strip_softmax", a->load.strip_softmax);
    cJSON_AddBoolToObject(o, "nnet_normalized", a->load.nnet_normalized);
    cJSON_AddBoolToObject(o, "nnet_output_relu", a->load.nnet_output_relu);
    cJSON *eo = cJSON_Parse(a->engine_opts ? a->engine_opts : "{}");
    if (eo)
        cJSON_AddItemToObject(o, "engine_options", eo);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

/* ---- interruption: remove the temporary file on SIGINT/SIGTERM/SIGHUP ---- */

static char temp_path[4096];

static void on_signal(int sig)
{
    if (temp_path[0])
        unlink(temp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_temp(const char *path)
{
    snprintf(temp_path, sizeof temp_path, "%s", path ? path : "");
    nnh_dist_handle_signals(path ? on_signal : NULL);
}

/* ---- the run ---- */

static double mean_width(const double *lo, const double *hi, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += hi[i] - lo[i];
    return n ? s / n : 0;
}

static void print_layers(const nnh_network *net, nnh_bounds **b, int R)
{
    for (int k = 0; k < net->n_layers; k++) {
        double m = 0;
        for (int r = 0; r < R; r++)
            m += mean_width(b[r]->layers[k].pre_lo, b[r]->layers[k].pre_hi,
                            b[r]->layers[k].width);
        printf("layer %3d  width %5d  %-10s  mean pre-activation width %.6g\n", k,
               net->layers[k].n_out, nnh_act_name(net->layers[k].act.kind), m / R);
    }
}

/* run the engine on every region and store the file; b[r] are allocated here */
static int compute_and_write(const bounds_args *a, const nnh_network *net, const regions *g,
                             nnh_h5_writer *w, nnh_bounds **b, nnh_layer_stats *stats)
{
    const struct bounds_method *m = find_method(a->method);
    const char *eo = a->engine_opts ? a->engine_opts : "{}";
    nnh_error err;
    nnh_error_clear(&err);
    progress.quiet = a->quiet;
    progress.tty = isatty(STDERR_FILENO);
    progress.n_regions = g->R;
    for (int r = 0; r < g->R; r++) {
        progress.region = r;
        size_t off = (size_t)r * g->n;
        if (nnh_bounds_create(net, g->lo + off, g->hi + off, &b[r], &err) ||
            m->run(net, b[r], stats, eo, &err)) {
            nnh_h5_abort(w);
            return g->R > 1 ? cli_fail("%s: region %d: %s", a->method, r, err.msg)
                            : cli_fail("%s: %s", a->method, err.msg);
        }
    }
    int rc = NNH_OK;
    for (int k = 0; k < net->n_layers && !rc; k++)
        rc = nnh_h5_write_layer(w, k, b, &err);
    if (!rc)
        rc = nnh_h5_write_stats(w, stats, &err);
    if (rc) {
        nnh_h5_abort(w);
        return cli_fail("%s", err.msg);
    }
    if (nnh_h5_finish(w, 1, &err))
        return cli_fail("%s", err.msg);
    return CLI_OK;
}

/* crown, lp1d, hull: through the (MPI) scheduler of mpi/, with checkpoints */
static int run_scheduled(const bounds_args *a, nnh_method m, const nnh_network *net,
                         const regions *g, const char *opts)
{
    cli_dist_args d;
    memset(&d, 0, sizeof d);
    nnh_error err;
    nnh_error_clear(&err);
    if (engine_options(a->engine_opts, m, &d.bound, &err))
        return cli_fail("%s", err.msg);
    d.out = a->out;
    d.resume = a->resume;
    d.stats = a->stats;
    d.quiet = a->quiet;
    d.checkpoint_every = a->checkpoint_every;
    nnh_h5_meta_init(&d.meta);
    d.meta.network_path = a->net;
    d.meta.spec_path = a->spec;
    d.meta.method = a->method;
    d.meta.options_json = opts;
    return cli_bounds_dist_run(&d, net, g->R, g->lo, g->hi);
}

static int run(const bounds_args *a, const nnh_network *net, const regions *g)
{
    char *opts = options_json(a);
    if (!opts)
        return cli_fail("out of memory");
    nnh_method em;
    if (nnh_method_parse(a->method, &em) == 0 && em != NNH_METHOD_IBP) {
        int rc = run_scheduled(a, em, net, g, opts);
        free(opts);
        return rc;
    }
    nnh_h5_meta meta;
    nnh_h5_meta_init(&meta);
    meta.network_path = a->net;
    meta.spec_path = a->spec;
    meta.method = a->method;
    meta.options_json = opts;
    nnh_error err;
    nnh_error_clear(&err);
    nnh_h5_writer *w;
    /* created before the work, so an unwritable output fails at once */
    int rc = nnh_h5_create(a->out, net, &meta, g->R, g->lo, g->hi, &w, &err);
    free(opts);
    if (rc)
        return cli_fail("%s", err.msg);
    guard_temp(nnh_h5_temp_path(w));
    nnh_bounds **b = calloc((size_t)g->R, sizeof *b);
    nnh_layer_stats *stats = calloc((size_t)net->n_layers, sizeof *stats);
    double t0 = nnh_now();
    if (!b || !stats) {
        nnh_h5_abort(w);
        rc = cli_fail("out of memory");
    } else
        rc = compute_and_write(a, net, g, w, b, stats);
    guard_temp(NULL);
    if (!rc && !a->quiet) {
        print_layers(net, b, g->R);
        printf("wrote %s: %d region%s, %d layers, status complete (%.3f s)\n", a->out, g->R,
               g->R == 1 ? "" : "s", net->n_layers, nnh_now() - t0);
    }
    for (int r = 0; b && r < g->R; r++)
        nnh_bounds_free(b[r]);
    free(b);
    free(stats);
    return rc;
}

static int bounds_master(int argc, char **argv)
{
    bounds_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    if ((rc = check_args(&a)) || (rc = merge_engine_flags(&a))) {
        free(a.merged_opts);
        return rc;
    }
    nnh_network *net;
    if (cli_load_network(a.net, &a.load, &net)) {
        free(a.merged_opts);
        return CLI_FAIL;
    }
    regions g = {0, 0, NULL, NULL};
    rc = build_regions(&a, net, &g);
    if (!rc)
        rc = run(&a, net, &g);
    free(g.lo);
    free(g.hi);
    nnh_network_free(net);
    free(a.merged_opts);
    return rc;
}

/* every rank enters here; only rank 0 parses the arguments and reads files */
int cmd_bounds(int argc, char **argv) { return cli_mpi_main(argc, argv, bounds_master); }
