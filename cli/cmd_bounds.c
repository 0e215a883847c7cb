/* `nnhull bounds`: certified per-neuron bounds of every layer over input
 * regions (a VNNLIB property's boxes, a box file, or center +/- eps), written
 * to an HDF5 bound file. This file parses the arguments; the regions, the
 * engine options and the provenance come from the library, and every method
 * runs through the one driver of cli/bounds_dist.c (nnh_dist_run). */
#include "bounds_dist.h"
#include "cli_common.h"
#include "cli_region.h"
#include "commands.h"
#include "mpi_main.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Flags that set one engine option each (also settable in --engine-opts). */
static const struct engine_flag {
    const char *flag, *key;
} engine_flags[] = {
    {"rounds", "max_rounds"},          {"cuts-per-round", "max_cuts_per_round"},
    {"cut-tol", "cut_tol"},            {"lp-time-limit", "lp_time_limit"},
    {"time-limit", "time_limit"},      {"window", "window"},
};
enum { N_FLAGS = (int)(sizeof engine_flags / sizeof engine_flags[0]) };

/* ---- help ---- */

/* label at column 2 (own line when longer than the column), then text from
 * column 23, wrapped before column 80 */
static void help_item(const char *label, const char *text)
{
    enum { COL = 23, WIDTH = 79 };
    int at = printf("  %s", label);
    if (at > COL - 1) {
        putchar('\n');
        at = 0;
    }
    while (*text) {
        printf("%*s", COL - at, "");
        int room = WIDTH - COL, len = (int)strlen(text);
        if (len > room) {
            len = room;
            while (len > 0 && text[len] != ' ')
                len--;
            if (len == 0)
                len = room;
        }
        printf("%.*s\n", len, text);
        text += len;
        while (*text == ' ')
            text++;
        at = 0;
    }
}

static const char *flag_of(const char *key)
{
    for (int q = 0; q < N_FLAGS; q++)
        if (!strcmp(engine_flags[q].key, key))
            return engine_flags[q].flag;
    return NULL;
}

/* "lp1d and hull" (the methods in mask) into buf */
static void method_names(unsigned mask, int want, char *buf, size_t len)
{
    int n = 0, total = 0;
    for (int m = 0; m < NNH_METHOD_COUNT; m++)
        total += !!(mask & (1u << m)) == want;
    buf[0] = '\0';
    for (int m = 0; m < NNH_METHOD_COUNT; m++)
        if (!!(mask & (1u << m)) == want) {
            n++;
            snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
                     n == 1 ? "" : n == total ? " and " : ", ", nnh_method_name((nnh_method)m));
        }
}

static void print_engine_help(void)
{
    unsigned all = 0;
    for (int i = 0; i < nnh_bound_opt_count(); i++)
        all |= nnh_bound_opt(i)->methods;
    char takes[128], none[128], text[640];
    method_names(all, 1, takes, sizeof takes);
    method_names(all, 0, none, sizeof none);
    snprintf(text, sizeof text, "engine options as a JSON object (default {}) with the keys "
             "below, for %s (%s take none); a flag shown beside a key sets it too, over the JSON",
             takes, none);
    help_item("--engine-opts JSON", text);
    nnh_bound_opts d;
    nnh_bound_opts_init(&d);
    for (int i = 0; i < nnh_bound_opt_count(); i++) {
        const nnh_bound_opt_info *o = nnh_bound_opt(i);
        const char *flag = flag_of(o->name), *arg = o->is_int ? "N" : "X";
        char label[64], names[128], only[160] = "";
        snprintf(label, sizeof label, "  %s", o->name);
        if (o->methods != all) {
            method_names(o->methods, 1, names, sizeof names);
            snprintf(only, sizeof only, "; %s only", names);
        }
        if (flag)
            snprintf(text, sizeof text, "(--%s %s) %s; default %g%s", flag, arg, o->help,
                     nnh_bound_opts_get(&d, i), only);
        else
            snprintf(text, sizeof text, "%s; default %g%s", o->help, nnh_bound_opts_get(&d, i),
                     only);
        help_item(label, text);
    }
    snprintf(text, sizeof text, "on a network of at least %d layers and %d neurons before the "
             "output, lp1d and hull use %s unless one of %s is given (recorded in the file's "
             "options)",
             NNH_DEEP_MIN_LAYERS, NNH_DEEP_MIN_NEURONS, nnh_bound_opts_deep_profile(),
             nnh_bound_opts_depth_keys());
    help_item("depth profile", text);
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
    for (int m = 0; m < NNH_METHOD_COUNT; m++)
        printf("                         %-8s %s\n", nnh_method_name((nnh_method)m),
               nnh_method_help((nnh_method)m));
    print_engine_help();
    fputs("  --out F.h5           output file (required)\n"
          "  --split K            bisect the input region(s) into K regions (longest edge\n"
          "                       first); one row per region in the file\n"
          "  --quiet              print nothing on success (default: one line per layer,\n"
          "                       and progress on stderr)\n\n"
          "runs, MPI and checkpoints (every method):\n"
          "  mpirun -np N nnhull bounds ...\n"
          "                       spread the LP problems over N ranks (rank 0 prints and\n"
          "                       writes); the numbers do not depend on N\n"
          "  --checkpoint-every S save finished work to F.partial.h5 at most every S\n"
          "                       seconds (default 1; 0 = after every layer of a region);\n"
          "                       SIGINT/SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 save it too (within\n"
          "                       about 0.1 s), then exit 1\n"
          "  --resume             continue an interrupted run from F.partial.h5\n"
          "  --stats              print scheduler statistics (idle time, messages, tasks)\n"
          "  --trace T            write one CSV line per LP task, LP context and layer\n"
          "                       preparation to T (rank, start, end, bytes; format in\n"
          "                       docs/benchmarks.md; input of scripts/sim-scheduler)\n"
          "  --sched-min-tasks N  MPI: a worker joins an LP unit others hold only while it\n"
          "                       leaves it N tasks, else a new region starts (default 16;\n"
          "                       0: the older lowest-region-first order)\n"
          "  --master-tasks N     MPI: the master computes LP tasks itself only with at most\n"
          "                       N workers (default 7)\n"
          "  --sched-chunk-seconds S\n"
          "                       MPI: a message to a worker holds at most 4 LP tasks and\n"
          "                       at most S seconds of them at their layer's mean task time\n"
          "                       so far; behind tasks longer than S a worker gets no second\n"
          "                       message in advance (default 1; 0: neither rule)\n\n"
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
    const char *net, *spec, *box, *center, *eps, *clip, *method, *out, *engine_opts, *trace;
    const char *eflag[N_FLAGS]; /* values of the engine_flags */
    int quiet, split, resume, stats;
    int sched_min_tasks, master_tasks;
    double checkpoint_every, sched_chunk_seconds;
    nnh_load_opts load;
    nnh_bound_opts bound;       /* from --method, --engine-opts and the flags */
    nnh_bound_opts_given given; /* the engine options given, in order */
} bounds_args;

enum { O_SPEC = 1, O_BOX, O_CENTER, O_EPS, O_CLIP, O_METHOD, O_OUT, O_QUIET, O_EOPTS,
       O_SPLIT, O_RESUME, O_CKPT, O_STATS, O_TRACE, O_SCHED, O_MTASKS, O_CHUNKS,
       O_FLAG /* O_FLAG + q: engine_flags[q] */ };

/* CLI_OK, CLI_USAGE (message printed), or -1 when --help was printed */
static int parse_args(int argc, char **argv, bounds_args *a)
{
    static const cli_opt base[] = {
        {"spec", 1, O_SPEC},     {"box", 1, O_BOX},     {"center", 1, O_CENTER},
        {"eps", 1, O_EPS},       {"clip", 1, O_CLIP},   {"method", 1, O_METHOD},
        {"out", 1, O_OUT},       {"quiet", 0, O_QUIET}, {"engine-opts", 1, O_EOPTS},
        {"split", 1, O_SPLIT},   {"resume", 0, O_RESUME}, {"checkpoint-every", 1, O_CKPT},
        {"stats", 0, O_STATS},   {"trace", 1, O_TRACE},
        {"sched-min-tasks", 1, O_SCHED}, {"master-tasks", 1, O_MTASKS},
        {"sched-chunk-seconds", 1, O_CHUNKS}, CLI_LOAD_OPTS};
    enum { N_BASE = (int)(sizeof base / sizeof base[0]) };
    cli_opt opts[N_BASE + N_FLAGS + 1];
    memcpy(opts, base, sizeof base);
    for (int q = 0; q < N_FLAGS; q++)
        opts[N_BASE + q] = (cli_opt){engine_flags[q].flag, 1, O_FLAG + q};
    opts[N_BASE + N_FLAGS] = (cli_opt){NULL, 0, 0};
    memset(a, 0, sizeof *a);
    a->checkpoint_every = 1.0;
    a->sched_chunk_seconds = 1.0;
    a->sched_min_tasks = 16;
    a->master_tasks = 7;
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
        case O_TRACE: slot = &a->trace; break;
        case O_EOPTS: slot = &a->engine_opts; break;
        case O_QUIET: a->quiet = 1; continue;
        case O_RESUME: a->resume = 1; continue;
        case O_STATS: a->stats = 1; continue;
        case O_SCHED:
        case O_MTASKS: {
            char *end;
            long x = strtol(v, &end, 10);
            if (end == v || *end || x < 0 || x > 1000000)
                return cli_usage("bounds", "--%s: '%s' is not a count >= 0",
                                 id == O_SCHED ? "sched-min-tasks" : "master-tasks", v);
            *(id == O_SCHED ? &a->sched_min_tasks : &a->master_tasks) = (int)x;
            continue;
        }
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
        case O_CHUNKS:
            if (cli_number(v, 0.0, &a->sched_chunk_seconds))
                return cli_usage("bounds", "--sched-chunk-seconds: '%s' is not a number of "
                                 "seconds >= 0", v);
            continue;
        default:
            if (id >= O_FLAG && id < O_FLAG + N_FLAGS)
                a->eflag[id - O_FLAG] = v;
            else
                cli_load_option(id, &a->load);
            continue;
        }
        *slot = v;
    }
    return CLI_OK;
}

static void method_list(char *buf, size_t len)
{
    buf[0] = '\0';
    for (int m = 0; m < NNH_METHOD_COUNT; m++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", m ? ", " : "",
                 nnh_method_name((nnh_method)m));
}

static int check_args(bounds_args *a)
{
    if (!a->net)
        return cli_usage("bounds", "missing NET (a .onnx or .nnet file)");
    int n_src = !!a->spec + !!a->box + !!(a->center || a->eps);
    if (n_src != 1)
        return cli_usage("bounds", "give exactly one input region: --spec F, --box F, or "
                                   "--center X --eps E");
    if ((a->center != NULL) != (a->eps != NULL))
        return cli_usage("bounds", "--center and --eps go together");
    char list[256];
    method_list(list, sizeof list);
    if (!a->method)
        return cli_usage("bounds", "missing --method (one of: %s)", list);
    nnh_bound_opts_init(&a->bound);
    if (nnh_method_parse(a->method, &a->bound.method))
        return cli_usage("bounds", "unknown method '%s' (valid: %s)", a->method, list);
    if (!a->out)
        return cli_usage("bounds", "missing --out F.h5");
    return CLI_OK;
}

/* --engine-opts, then the flags (which override it), through the schema:
 * malformed text is a usage error (2), an option the method does not take
 * or a bad value in the JSON a failure (1). */
static int engine_options(bounds_args *a)
{
    nnh_error err;
    nnh_error_clear(&err);
    int rc = nnh_bound_opts_parse_json(&a->bound, a->engine_opts, &a->given, &err);
    if (rc == NNH_EPARSE)
        return cli_usage("bounds", "--engine-opts: %s", err.msg);
    if (rc)
        return cli_fail("%s", err.msg);
    for (int q = 0; q < N_FLAGS; q++) {
        const char *v = a->eflag[q];
        if (!v)
            continue;
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end)
            return cli_usage("bounds", "--%s: '%s' is not a number", engine_flags[q].flag, v);
        rc = nnh_bound_opts_set(&a->bound, engine_flags[q].key, x, &err);
        if (rc == NNH_EINVAL)
            return cli_usage("bounds", "--%s: %s", engine_flags[q].flag, err.msg);
        if (rc)
            return cli_fail("%s", err.msg);
        nnh_bound_opts_given_add(&a->given, nnh_bound_opt_find(engine_flags[q].key));
    }
    return CLI_OK;
}

/* ---- the run ---- */

static int run(const bounds_args *a, const nnh_network *net, double eps, const cli_regions *g)
{
    nnh_bounds_request req = {a->method, a->spec, a->box, a->center, eps, a->clip, a->split,
                              a->load, &a->bound, &a->given};
    char *opts = nnh_bounds_request_json(&req);
    if (!opts)
        return cli_fail("out of memory");
    cli_dist_args d;
    memset(&d, 0, sizeof d);
    d.bound = a->bound;
    d.out = a->out;
    d.resume = a->resume;
    d.stats = a->stats;
    d.trace = a->trace;
    d.sched_min_tasks = a->sched_min_tasks;
    d.master_tasks = a->master_tasks;
    d.sched_chunk_seconds = a->sched_chunk_seconds;
    d.quiet = a->quiet;
    d.checkpoint_every = a->checkpoint_every;
    nnh_h5_meta_init(&d.meta);
    d.meta.network_path = a->net;
    d.meta.spec_path = a->spec;
    d.meta.method = a->method;
    d.meta.options_json = opts;
    int rc = cli_bounds_dist_run(&d, net, g->R, g->lo, g->hi);
    free(opts);
    return rc;
}

static int bounds_master(int argc, char **argv)
{
    bounds_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *inputs[] = {a.net, a.spec, a.box, a.center}; /* never written over */
    const char *trace_clash[] = {a.net, a.spec, a.box, a.center, a.out};
    if ((rc = check_args(&a)) || (rc = cli_check_output("bounds", a.out, 1, inputs, 4)) ||
        (a.trace && !strcmp(a.trace, a.out) &&
         (rc = cli_usage("bounds", "--trace and --out name the same file '%s'", a.out))) ||
        (a.trace && (rc = cli_check_output("bounds", a.trace, 0, trace_clash, 5))) ||
        (rc = engine_options(&a)))
        return rc;
    nnh_network *net;
    if (cli_load_network(a.net, &a.load, &net))
        return CLI_FAIL;
    if (nnh_bound_opts_deep_defaults(&a.bound, net, &a.given)) {
        if (!a.quiet)
            fprintf(stderr, "bounds: %s is deep: depth profile for %s (%s; give any depth "
                    "option to choose yourself)\n",
                    a.net, a.method, nnh_bound_opts_deep_profile());
    } else if (nnh_bound_opts_is_deep(&a.bound, net) && !a.quiet)
        fprintf(stderr, "bounds: %s is deep and a depth option was given: the depth profile "
                "is off, and every option not given keeps its default (window 0, the whole "
                "prefix, and no iteration budget can take hours on such a net; see --help)\n",
                a.net);
    double eps = 0;
    if (a.eps) {
        char *end;
        eps = strtod(a.eps, &end);
        if (end == a.eps || *end || !isfinite(eps) || eps < 0)
            rc = cli_fail("--eps: '%s' is not a finite number >= 0", a.eps);
    }
    cli_regions g = {0, 0, NULL, NULL};
    cli_region_args ra = {"bounds", a.net, a.spec, a.box, a.center, eps, a.clip, a.split};
    if (!rc)
        rc = cli_build_regions(&ra, net, &g);
    if (!rc)
        rc = run(&a, net, eps, &g);
    free(g.lo);
    free(g.hi);
    nnh_network_free(net);
    return rc;
}

/* every rank enters here; only rank 0 parses the arguments and reads files */
int cmd_bounds(int argc, char **argv) { return cli_mpi_main(argc, argv, bounds_master); }
