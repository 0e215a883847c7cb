/* `nnhull campaign INSTANCES.csv --out DIR`: every (network, property) of a
 * benchmark in one launch; each instance is a whole `verify` (the serial
 * nnh_verify, same verdicts and guarantees) run on one rank, rank 0 hands
 * them out longest-expected first (the mpi/ task farm) and writes
 * DIR/results.csv (one fsync'ed row per finished instance), DIR/cex/ and,
 * at the end, DIR/results.h5 (io/h5campaign.c). */
#include "campaign_list.h"
#include "cli_common.h"
#include "commands.h"
#include "nnhull/dist.h"
#include "nnhull/verify.h"
#include "verify_out.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void print_usage(void)
{
    fputs("usage: nnhull campaign INSTANCES.csv --out DIR [--timeout-scale F] [--method M]\n"
          "                       [--resume] [--filter REGEX] [options]\n"
          "Verify every instance of a benchmark in one launch. INSTANCES.csv has VNN-COMP's\n"
          "layout, one 'onnx,vnnlib,timeout_s' line per instance (.onnx or .nnet networks;\n"
          "paths relative to the CSV's folder, or absolute). Each instance is decided as\n"
          "by `nnhull verify NET SPEC --timeout timeout_s` (unsat only when every region\n"
          "was proved, every sat re-checked in double precision) on one rank.\n\n"
          "DIR gets:\n"
          "  results.csv   onnx,vnnlib,result,seconds,regions,rank_seconds,rank, a row per\n"
          "                finished instance (written and fsync'ed as each one ends);\n"
          "                result is sat | unsat | unknown | timeout | error (unreadable\n"
          "                file, shape mismatch: the reason goes to stderr, the campaign\n"
          "                goes on)\n"
          "  cex/          per sat instance, the counterexample in VNN-COMP format\n"
          "                (as `verify --cex`), named after the onnx and vnnlib paths\n"          "  results.h5    at the end: the same table with statistics (regions proved,\n"
          "                stuck, LP escalations, depth, falsify/bound seconds) and\n"
          "                provenance (network and property SHA-256, options, version)\n"
          "A line per finished instance on stderr: done/total, verdicts so far, elapsed.\n\n"
          "Under mpirun/srun rank 0 hands whole instances to the ranks as they free up\n"
          "(and decides some itself), longest first by the seconds of an earlier\n"
          "results.csv in DIR, else by the CSV's timeout:\n"
          "  mpirun -np 8 nnhull campaign acasxu_instances.csv --out runs/acasxu\n\n"
          "options:\n"
          "  --out DIR            output folder (created; required)\n"
          "  --timeout-scale F    multiply every timeout by F > 0 (default 1)\n"
          "  --method M           ibp | crown (default) | lp1d | hull, as for verify\n"
          "  --split S            input | activation | auto (default), as for verify\n"
          "  --tighten T          none | auto (default) | lp1d | hull, as for verify\n"
          "  --tighten-fraction F the fraction of each hidden layer's neurons the\n"
          "                       tightening gives LPs, in (0, 1], as for verify\n"
          "  --tighten-opts JSON  engine options of the tightening, as for verify\n"
          "  --resume             keep the rows already in DIR/results.csv and run only\n"
          "                       the other instances (after a kill); without it an\n"
          "                       earlier results.csv is replaced (its times still order\n"
          "                       the instances)\n"
          "  --filter REGEX       only instances whose 'onnx,vnnlib' matches REGEX (POSIX\n"
          "                       extended)\n"
          "  --quiet              no progress lines\n" CLI_LOAD_HELP
          "  -h, --help           this help\n\n"
          "Exit status 0 when every selected instance has its row (error rows included),\n"
          "1 on failures of the campaign itself or after SIGINT/SIGTERM/SIGUSR1 (rows of finished\n"
          "instances are kept: --resume continues), 2 on usage errors.\n",
          stdout);
}

typedef struct camp_args {
    const char *csv, *out, *filter;
    double scale;
    int resume, quiet;
    const char *tighten_opts; /* --tighten-opts JSON, applied after parsing */
    nnh_load_opts load;
    nnh_verify_opts o;
} camp_args;

enum { O_OUT = 1, O_SCALE, O_METHOD, O_RESUME, O_FILTER, O_QUIET, O_SPLIT, O_TIGHTEN, O_TOPTS,
       O_TFRAC };

static int set_option(camp_args *a, int id, const char *v)
{
    char *end;
    switch (id) {
    case O_OUT: a->out = v; return CLI_OK;
    case O_FILTER: a->filter = v; return CLI_OK;
    case O_RESUME: a->resume = 1; return CLI_OK;
    case O_QUIET: a->quiet = 1; return CLI_OK;
    case O_SPLIT: return cli_split_option("campaign", v, &a->o);
    case O_TIGHTEN: return cli_tighten_option("campaign", v, &a->o);
    case O_TOPTS: a->tighten_opts = v; return CLI_OK;
    case O_TFRAC: return cli_tighten_fraction_option("campaign", v, &a->o);
    case O_METHOD:
        if (nnh_method_parse(v, &a->o.method))
            return cli_usage("campaign", "unknown method '%s' (ibp, crown, lp1d, hull)", v);
        return CLI_OK;
    case O_SCALE:
        errno = 0;
        a->scale = strtod(v, &end);
        if (errno || end == v || *end || !(a->scale > 0) || !isfinite(a->scale))
            return cli_usage("campaign", "--timeout-scale needs a number > 0, got '%s'", v);
        return CLI_OK;
    }
    return cli_load_option(id, &a->load) ? CLI_OK : cli_usage("campaign", "unhandled option");
}

/* CLI_OK, CLI_USAGE (message printed), or -1 when --help was printed */
static int parse_args(int argc, char **argv, camp_args *a)
{
    static const cli_opt opts[] = {{"out", 1, O_OUT},       {"timeout-scale", 1, O_SCALE},
                                   {"method", 1, O_METHOD}, {"resume", 0, O_RESUME},
                                   {"filter", 1, O_FILTER}, {"quiet", 0, O_QUIET},
                                   {"split", 1, O_SPLIT},   {"tighten", 1, O_TIGHTEN},
                                   {"tighten-opts", 1, O_TOPTS},
                                   {"tighten-fraction", 1, O_TFRAC}, CLI_LOAD_OPTS,
                                   {NULL, 0, 0}};
    memset(a, 0, sizeof *a);
    a->scale = 1;
    nnh_load_opts_init(&a->load);
    nnh_verify_opts_init(&a->o);
    cli_parser p;
    cli_parser_init(&p, "campaign", argc, argv, opts);
    const char *v;
    int id;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        if (id == CLI_ERR)
            return CLI_USAGE;
        if (id == CLI_HELP) {
            print_usage();
            return -1;
        }
        if (id == CLI_POS) {
            if (a->csv)
                return cli_usage("campaign", "unexpected argument '%s'", v);
            a->csv = v;
            continue;
        }
        int rc = set_option(a, id, v);
        if (rc)
            return rc;
    }
    if (!a->csv || !a->out)
        return cli_usage("campaign", "needs INSTANCES.csv and --out DIR");
    return cli_tighten_opts("campaign", a->tighten_opts, &a->o);
}

/* ---- one instance (any rank) ---- */

enum { R_ERROR = 4, R_INTERRUPTED = 5 }; /* besides the nnh_verdict values */

/* What a rank sends back: this header, then cex x (n_in) and y (n_out)
 * doubles when sat, then the error message (NUL-terminated) when error. */
typedef struct camp_res {
    int result; /* nnh_verdict, R_ERROR or R_INTERRUPTED */
    int n_in, n_out;
    int max_depth;
    long regions, regions_proved, regions_stuck, escalations;
    double seconds, seconds_falsify, seconds_bounds;
    double rank_seconds; /* the owner's and its helpers' */
    int ranks;           /* the owner and its helpers */
} camp_res;

typedef struct campaign {
    camp_args a;
    int argc;
    char **argv;
    nnh_dist *d;
    camp_inst *inst;
    int n_inst;
    /* this rank's last network (instances of one network reuse it) */
    char *net_path;
    nnh_network *net;
    /* master */
    FILE *results;
    char *results_path, *cex_dir;
    int total, done, count[6];
    double t0;
    int farm_failed; /* the master's poll failed: its own instance stops */
} campaign;

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

/* after every region: stop on a signal; the master serves the other ranks
 * (and stops when the farm failed) */
static int progress(void *arg, long regions, long queued, double elapsed)
{
    (void)regions, (void)queued, (void)elapsed;
    campaign *c = arg;
    if (!c->farm_failed && nnh_dist_rank(c->d) == 0 && nnh_dist_tasks_poll(c->d) != 0)
        c->farm_failed = 1;
    return g_signal != 0 || c->farm_failed;
}

static int error_result(const char *msg, void **out, size_t *len)
{
    size_t n = strlen(msg) + 1;
    camp_res *r = calloc(1, sizeof *r + n);
    if (!r)
        return NNH_ENOMEM;
    r->result = R_ERROR;
    memcpy(r + 1, msg, n);
    *out = r;
    *len = sizeof *r + n;
    return NNH_OK;
}

static int get_network(campaign *c, const char *path, nnh_error *err)
{
    if (c->net && !strcmp(c->net_path, path))
        return NNH_OK;
    nnh_network_free(c->net);
    free(c->net_path);
    c->net = NULL;
    c->net_path = strdup(path);
    if (!c->net_path)
        return nnh_error_set(err, NNH_ENOMEM, "out of memory");
    return nnh_load_network(path, &c->a.load, &c->net, err);
}

static int pack_verdict(const campaign *c, const nnh_verify_result *vr, double t0,
                        double rank_seconds, void **out, size_t *len)
{
    int n_in = c->net->n_inputs, n_out = nnh_network_n_outputs(c->net);
    int sat = vr->verdict == NNH_VERDICT_SAT;
    size_t n = sizeof(camp_res) + (sat ? (size_t)(n_in + n_out) * sizeof(double) : 0);
    camp_res *r = calloc(1, n);
    if (!r)
        return NNH_ENOMEM;
    /* stopped early: no row, so that --resume runs it again */
    r->result = (g_signal || c->farm_failed) && !sat ? R_INTERRUPTED : (int)vr->verdict;
    r->n_in = sat ? n_in : 0;
    r->n_out = sat ? n_out : 0;
    r->regions = vr->regions;
    r->regions_proved = vr->regions_unsat;
    r->regions_stuck = vr->regions_stuck;
    r->escalations = vr->escalations;
    r->max_depth = vr->max_depth;
    r->seconds = cli_seconds() - t0;
    r->rank_seconds = rank_seconds + (r->seconds - vr->seconds); /* loading included */
    r->ranks = vr->ranks;
    r->seconds_falsify = vr->seconds_falsify;
    r->seconds_bounds = vr->seconds_bounds;
    if (sat) {
        memcpy(r + 1, vr->cex_x, (size_t)n_in * sizeof(double));
        memcpy((double *)(r + 1) + n_in, vr->cex_y, (size_t)n_out * sizeof(double));
    }
    *out = r;
    *len = n;
    return NNH_OK;
}

static int run_instance(void *arg, int t, void **out, size_t *len, nnh_error *err)
{
    campaign *c = arg;
    if (t < 0 || t >= c->n_inst)
        return nnh_error_set(err, NNH_EINVAL, "instance %d not in this rank's list", t);
    const camp_inst *in = &c->inst[t];
    double t0 = cli_seconds();
    nnh_error e;
    nnh_error_clear(&e);
    nnh_spec *spec = NULL;
    int rc = get_network(c, in->net, &e);
    if (!rc)
        rc = nnh_load_vnnlib(in->spec, &spec, &e);
    if (!rc && (spec->n_in != c->net->n_inputs || spec->n_out != nnh_network_n_outputs(c->net)))
        rc = nnh_error_set(&e, NNH_EINVAL, "%s declares %d inputs and %d outputs, but %s has "
                           "%d and %d", in->spec, spec->n_in, spec->n_out, in->net,
                           c->net->n_inputs, nnh_network_n_outputs(c->net));
    if (rc) {
        nnh_spec_free(spec);
        return error_result(e.msg, out, len) ? nnh_error_set(err, NNH_ENOMEM, "out of memory")
                                             : NNH_OK;
    }
    nnh_verify_opts o = c->a.o;
    if (in->timeout > 0) /* the budget covers the loading too */
        o.timeout = fmax(in->timeout * c->a.scale - (cli_seconds() - t0), 1e-3);
    nnh_verify_result vr;
    double rank_seconds = 0;
    rc = nnh_dist_verify_helped(c->d, c->net, spec, &o, &vr, progress, c, &rank_seconds, &e);
    if (rc)
        rc = error_result(e.msg, out, len);
    else
        rc = pack_verdict(c, &vr, t0, rank_seconds, out, len);
    nnh_verify_result_free(&vr);
    nnh_spec_free(spec);
    return rc ? nnh_error_set(err, NNH_ENOMEM, "out of memory") : NNH_OK;
}

/* Any rank, once no whole instance is left: help rank owner with instance
 * t (its network and property read here, the network kept for the next). */
static void help_instance(void *arg, int t, int owner)
{
    campaign *c = arg;
    nnh_error e;
    nnh_error_clear(&e);
    nnh_spec *spec = NULL;
    int rc = t < 0 || t >= c->n_inst
                 ? nnh_error_set(&e, NNH_EINVAL, "instance %d not in this rank's list", t)
                 : get_network(c, c->inst[t].net, &e);
    if (!rc)
        rc = nnh_load_vnnlib(c->inst[t].spec, &spec, &e);
    nnh_verify_opts o = c->a.o; /* the deadline comes with every region */
    nnh_dist_help(c->d, owner, rc ? NULL : c->net, spec, &o, e.msg);
    nnh_spec_free(spec);
}

/* ---- results (master) ---- */

static const char *result_name(int r)
{
    return r == R_ERROR ? "error" : nnh_verdict_name((nnh_verdict)r);
}

/* cex/<onnx>-<vnnlib> with '/' as '_' and the extensions dropped */
static char *cex_path(const campaign *c, const camp_inst *in)
{
    size_t n = strlen(c->cex_dir) + strlen(in->onnx) + strlen(in->vnnlib) + 16;
    char *p = malloc(n);
    if (!p)
        return NULL;
    int k = snprintf(p, n, "%s/", c->cex_dir);
    const char *parts[2] = {in->onnx, in->vnnlib};
    for (int i = 0; i < 2; i++) {
        const char *s = parts[i], *dot = strrchr(s, '.');
        if (!dot || strchr(dot, '/'))
            dot = s + strlen(s);
        for (; s < dot; s++)
            p[k++] = *s == '/' ? '_' : *s;
        p[k++] = i ? '.' : '-';
    }
    strcpy(p + k, "counterexample");
    return p;
}

static void print_progress(const campaign *c, const camp_inst *in, int result)
{
    if (c->a.quiet)
        return;
    fprintf(stderr, "campaign: %d/%d done (sat %d, unsat %d, timeout %d, unknown %d, error %d), "
            "%.1f s: %s %s %s\n", c->done, c->total, c->count[NNH_VERDICT_SAT],
            c->count[NNH_VERDICT_UNSAT], c->count[NNH_VERDICT_TIMEOUT],
            c->count[NNH_VERDICT_UNKNOWN], c->count[R_ERROR], cli_seconds() - c->t0, in->onnx,
            in->vnnlib, result_name(result));
}

static int instance_done(void *arg, int t, int rank, const void *res, size_t len, nnh_error *err)
{
    campaign *c = arg;
    const camp_res *r = res;
    if (t < 0 || t >= c->n_inst || len < sizeof *r || r->result < 0 || r->result > R_INTERRUPTED ||
        r->n_in < 0 || r->n_out < 0 ||
        len < sizeof *r + (size_t)(r->n_in + r->n_out) * sizeof(double))
        return nnh_error_set(err, NNH_EINVAL, "rank %d: malformed result", rank);
    if (r->result == R_INTERRUPTED) /* no row: --resume runs it again */
        return NNH_OK;
    const camp_inst *in = &c->inst[t];
    if (r->result == R_ERROR)
        fprintf(stderr, "nnhull: campaign: %s,%s: %.*s\n", in->onnx, in->vnnlib,
                (int)(len - sizeof *r), (const char *)(r + 1));
    if (r->result == NNH_VERDICT_SAT) {
        char *p = cex_path(c, in);
        const double *x = (const double *)(r + 1);
        int bad = !p || cli_write_cex(p, x, r->n_in, x + r->n_in, r->n_out);
        free(p);
        if (bad)
            return nnh_error_set(err, NNH_EIO, "cannot write the counterexample of %s,%s",
                                 in->onnx, in->vnnlib);
    }
    double sec = r->result == R_ERROR ? 0 : r->seconds;
    double rsec = r->result == R_ERROR ? 0 : r->rank_seconds;
    if (camp_append_row(c->results, c->results_path, in, result_name(r->result), sec,
                        r->regions, rsec, rank))
        return nnh_error_set(err, NNH_EIO, "%s: cannot write", c->results_path);
    c->done++;
    c->count[r->result]++;
    camp_inst *mine = &c->inst[t];
    nnh_campaign_row *row = &mine->row;
    mine->has_row = 1;
    row->result = result_name(r->result);
    row->seconds = sec;
    row->rank_seconds = rsec;
    row->regions = r->regions;
    row->regions_proved = r->regions_proved;
    row->regions_stuck = r->regions_stuck;
    row->escalations = r->escalations;
    row->max_depth = r->max_depth;
    row->rank = rank;
    row->seconds_falsify = r->seconds_falsify;
    row->seconds_bounds = r->seconds_bounds;
    print_progress(c, in, r->result);
    return NNH_OK;
}

/* ---- set-up ---- */

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%s", dir, name);
    return s;
}

static int make_dir(const char *path)
{
    if (mkdir(path, 0777) && errno != EEXIST)
        return cli_fail("%s: cannot create: %s", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return cli_fail("%s: not a folder", path);
    return CLI_OK;
}

static int cmp_expected(const campaign *c, int a, int b);

/* the instances to run, longest expected first (stable by list order) */
static int *schedule(campaign *c, int *n)
{
    int *order = malloc((size_t)c->n_inst * sizeof *order);
    regex_t re;
    int use_re = c->a.filter != NULL;
    if (!order || (use_re && regcomp(&re, c->a.filter, REG_EXTENDED | REG_NOSUB))) {
        if (order)
            cli_usage("campaign", "--filter: bad regular expression '%s'", c->a.filter);
        free(order);
        return NULL;
    }
    *n = 0;
    for (int i = 0; i < c->n_inst; i++) {
        camp_inst *in = &c->inst[i];
        size_t len = strlen(in->onnx) + strlen(in->vnnlib) + 2;
        char *key = malloc(len);
        int match = 1;
        if (key && use_re) {
            snprintf(key, len, "%s,%s", in->onnx, in->vnnlib);
            match = regexec(&re, key, 0, NULL, 0) == 0;
        }
        free(key);
        if (match)
            c->total++;
        if (match && !in->finished)
            order[(*n)++] = i;
        for (int k = 0; match && in->finished && k <= R_ERROR; k++)
            if (!strcmp(in->row.result, result_name(k))) { /* kept: counted too */
                c->done++;
                c->count[k]++;
            }
    }
    if (use_re)
        regfree(&re);
    /* insertion sort: stable, and lists are short */
    for (int i = 1; i < *n; i++)
        for (int j = i; j > 0 && cmp_expected(c, order[j - 1], order[j]) > 0; j--) {
            int tmp = order[j];
            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    return order;
}

/* an earlier result's seconds, else the timeout (unknown counts as long) */
static double expected(const campaign *c, int i)
{
    const camp_inst *in = &c->inst[i];
    if (in->expected >= 0)
        return in->expected;
    return in->timeout > 0 ? in->timeout * c->a.scale : INFINITY;
}

/* > 0 when instance b should run before a */
static int cmp_expected(const campaign *c, int a, int b)
{
    double ea = expected(c, a), eb = expected(c, b);
    return ea < eb ? 1 : ea > eb ? -1 : 0;
}

/* master: folders, results file, schedule */
static int prepare(campaign *c, int **order, int *n)
{
    if (make_dir(c->a.out))
        return CLI_FAIL;
    c->results_path = join(c->a.out, "results.csv");
    c->cex_dir = join(c->a.out, "cex");
    if (!c->results_path || !c->cex_dir)
        return cli_fail("out of memory");
    if (make_dir(c->cex_dir) ||
        camp_open_results(c->results_path, c->inst, c->n_inst, c->a.resume, &c->results))
        return CLI_FAIL;
    *order = schedule(c, n);
    return *order ? CLI_OK : CLI_USAGE;
}

/* hex SHA-256 of path into hex ("" when unreadable), cached for repeats */
static void file_sha(const char *path, char hex[65], char *last_path, char last_hex[65])
{
    if (!strcmp(path, last_path)) {
        memcpy(hex, last_hex, 65);
        return;
    }
    nnh_error e;
    if (nnh_sha256_file(path, hex, &e))
        hex[0] = '\0';
    snprintf(last_path, 4096, "%s", path);
    memcpy(last_hex, hex, 65);
}

/* DIR/results.h5: every instance with a row, in list order */
static int write_h5(campaign *c)
{
    nnh_campaign_row *rows = calloc((size_t)c->n_inst, sizeof *rows);
    char *sha = calloc((size_t)c->n_inst, 2 * 65), *path = join(c->a.out, "results.h5");
    /* the tightening's effective engine options, as a JSON object */
    char *topts = nnh_bound_opts_json(&c->a.o.tighten_opts);
    char *opts = malloc(512 + strlen(c->a.filter ? c->a.filter : "") + (topts ? strlen(topts) : 0)),
         last[2][4096] = {"", ""}, last_hex[2][65];
    int n = 0, rc = rows && sha && path && opts && topts ? CLI_OK : cli_fail("out of memory");
    for (int i = 0; !rc && i < c->n_inst; i++) {
        camp_inst *in = &c->inst[i];
        if (!in->has_row)
            continue;
        char *h = sha + (size_t)n * 130;
        file_sha(in->net, h, last[0], last_hex[0]);
        file_sha(in->spec, h + 65, last[1], last_hex[1]);
        rows[n] = in->row;
        rows[n].onnx = in->onnx;
        rows[n].vnnlib = in->vnnlib;
        rows[n].network_sha256 = h;
        rows[n].spec_sha256 = h + 65;
        rows[n++].timeout = in->timeout * c->a.scale;
    }
    if (!rc) {
        /* the filter is a regular expression: no quotes or backslashes in JSON */
        sprintf(opts, "{\"command\":\"campaign\",\"method\":\"%s\",\"split\":\"%s\","
                "\"tighten\":\"%s\",\"tighten_fraction\":%.17g,\"tighten_opts\":%s,"
                "\"timeout_scale\":%.17g,"
                "\"resume\":%d,\"filter\":%s%s%s,\"strip_softmax\":%d,\"nnet_normalized\":%d,"
                "\"nnet_output_relu\":%d,\"seed\":%llu}", nnh_method_name(c->a.o.method),
                nnh_split_mode_name(c->a.o.split), nnh_tighten_name(c->a.o.tighten),
                c->a.o.tighten_fraction, topts, c->a.scale, c->a.resume, c->a.filter ? "\"" : "",
                c->a.filter && !strpbrk(c->a.filter, "\"\\") ? c->a.filter : "null",
                c->a.filter ? "\"" : "", c->a.load.strip_softmax, c->a.load.nnet_normalized,
                c->a.load.nnet_output_relu, c->a.o.seed);
        nnh_error e;
        if (nnh_h5_write_campaign(path, c->a.csv, opts, nnh_dist_size(c->d), n, rows, &e))
            rc = cli_fail("%s", e.msg);
    }
    free(rows);
    free(sha);
    free(path);
    free(opts);
    free(topts);
    return rc;
}

static int master(campaign *c)
{
    int n = 0, *order = NULL;
    int rc = camp_read_instances(c->a.csv, &c->inst, &c->n_inst);
    if (!rc)
        rc = prepare(c, &order, &n);
    if (rc) {
        nnh_dist_cancel(c->d, rc);
        free(order);
        return rc;
    }
    c->t0 = cli_seconds();
    if (!c->a.quiet)
        fprintf(stderr, "campaign: %d instances (%d to run, %d kept), %d rank%s\n", c->total, n,
                c->done, nnh_dist_size(c->d), nnh_dist_size(c->d) > 1 ? "s" : "");
    nnh_dist_tasks tasks = {n, order, run_instance, instance_done, c, help_instance};
    nnh_error err;
    nnh_error_clear(&err);
    rc = nnh_dist_tasks_run(c->d, &tasks, &err);
    free(order);
    if (rc)
        return cli_fail("campaign: %s", err.msg);
    if (write_h5(c))
        return CLI_FAIL;
    if (g_signal)
        return cli_fail("campaign: interrupted by signal %d; %d of %d instances have rows "
                        "(--resume runs the others)", (int)g_signal, c->done, c->total);
    printf("%d instances: sat %d, unsat %d, timeout %d, unknown %d, error %d; %.1f s\n",
           c->total, c->count[NNH_VERDICT_SAT], c->count[NNH_VERDICT_UNSAT],
           c->count[NNH_VERDICT_TIMEOUT], c->count[NNH_VERDICT_UNKNOWN], c->count[R_ERROR],
           cli_seconds() - c->t0);
    return CLI_OK;
}

/* stdout and stderr to /dev/null (saved[] keeps them) and back */
static void mute(int saved[2])
{
    int null = open("/dev/null", O_WRONLY);
    for (int i = 0; i < 2; i++) {
        fflush(i ? stderr : stdout);
        saved[i] = dup(i + 1);
        if (null >= 0)
            dup2(null, i + 1);
    }
    if (null >= 0)
        close(null);
}

static void unmute(const int saved[2])
{
    for (int i = 0; i < 2; i++) {
        fflush(i ? stderr : stdout);
        if (saved[i] >= 0)
            dup2(saved[i], i + 1), close(saved[i]);
    }
}

/* workers parse the master's arguments and read the list silently; a list
 * they cannot read fails the campaign at their first instance */
static int worker(campaign *c)
{
    int saved[2];
    mute(saved);
    if (parse_args(c->argc, c->argv, &c->a) == CLI_OK)
        camp_read_instances(c->a.csv, &c->inst, &c->n_inst);
    unmute(saved);
    nnh_dist_tasks tasks = {0, NULL, run_instance, instance_done, c, help_instance};
    return nnh_dist_tasks_serve(c->d, &tasks);
}

int cmd_campaign(int argc, char **argv)
{
    campaign c;
    memset(&c, 0, sizeof c);
    c.d = nnh_dist_start(&argc, &argv);
    if (!c.d)
        return cli_fail("out of memory");
    g_signal = 0;
    nnh_dist_handle_signals(on_signal);
    int rank = nnh_dist_rank(c.d), rc;
    c.argc = argc;
    c.argv = argv;
    if (rank > 0)
        rc = worker(&c);
    else {
        rc = parse_args(argc, argv, &c.a);
        if (rc) {
            nnh_dist_cancel(c.d, rc < 0 ? CLI_OK : rc);
            rc = rc < 0 ? CLI_OK : rc;
        } else
            rc = master(&c);
    }
    nnh_dist_handle_signals(NULL);
    if (c.results)
        fclose(c.results);
    nnh_dist_end(c.d, !g_signal);
    camp_free_instances(c.inst, c.n_inst);
    nnh_network_free(c.net);
    free(c.net_path);
    free(c.results_path);
    free(c.cex_dir);
    return rc;
}
