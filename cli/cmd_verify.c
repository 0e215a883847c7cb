/* `nnhull verify NET SPEC`: falsification, certified bounds and input
 * splitting (include/nnhull/verify.h) on a VNNLIB property; prints statistics and the
 * verdict (unsat / sat / unknown / timeout) as the last line of stdout, and
 * optionally writes the counterexample (VNN-COMP format) and an HDF5 file. */
#include "cli_common.h"
#include "commands.h"
#include "mpi_main.h"
#include "nnhull/verify.h"
#include "verify_out.h"

#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)

static void print_usage(void)
{
    fputs("usage: nnhull verify NET SPEC.vnnlib [--timeout S] [--max-regions N] [--method M]\n"
          "                     [--out F.h5] [--cex F] [options]\n"
          "Decide a property given as its counterexample region (VNNLIB): is there an\n"
          "input in the box whose output meets the output constraints? The last line\n"
          "of stdout is the verdict:\n"
          "  unsat    proved: no such input (the property holds); the proof uses only\n"
          "           certified bounds (a lower bound of exactly 0 is never a proof)\n"
          "  sat      a counterexample, re-checked by a double-precision forward pass\n"
          "           (inside the box, every output row met with tolerance 0)\n"
          "  unknown  --max-regions reached, or a region too small to split stayed open\n"
          "  timeout  --timeout reached\n"
          "Exit status 0 for every verdict (also unknown and timeout), 1 on errors\n"
          "(unreadable files, shape mismatch) and after SIGINT/SIGTERM/SIGHUP/SIGUSR1/2 (the run\n"
          "stops, prints its statistics and 'unknown'), 2 on usage errors.\n\n"
          "How: random points, the box corners (few inputs) and projected gradient\n"
          "descent on the violation margin look for a counterexample; then branch and\n"
          "bound (best-first by that margin) splits the box along the input with the\n"
          "largest edge x gradient of the row closest to a proof, or (--split) the\n"
          "interval of the hidden neuron with the largest sensitivity x relaxation gap;\n"
          "each region is bounded by crown with the property rows folded into the last\n"
          "layer, and by an LP on those rows (lp1d/hull) when crown comes close.\n\n"
          "Under mpirun/srun the regions are spread over the ranks (rank 0 hands them\n"
          "out and decides some too; the first counterexample stops every rank):\n"
          "  mpirun -np 4 nnhull verify NET SPEC --timeout 116\n\n"
          "options:\n"
          "  --timeout S          wall-clock limit in seconds (default: none)\n"
          "  --max-regions N      regions of branch and bound at most (default: none)\n"
          "  --method M           ibp | crown (default) | lp1d | hull: strongest engine;\n"
          "                       lp1d/hull are used on regions where crown came close\n"
          "  --escalate-gap G     LP when a row's crown lower bound is within G times its\n"
          "                       bound width of 0 (default 0.1)\n"
          "  --split S            what branch and bound splits: input (halve the box\n"
          "                       along one input), activation (split one hidden\n"
          "                       neuron's pre-activation interval: a ReLU into its\n"
          "                       inactive and active phase, a smooth activation at a\n"
          "                       point), or auto (default: input when the network has\n"
          "                       at most 10 inputs, activation otherwise)\n"
          "  --alpha A            off | root | on | auto (default): alpha-CROWN, crown's\n"
          "                       lower slopes of the unstable ReLUs optimised per bound\n"
          "                       by projected gradient ascent (ReLU/leaky ReLU only).\n"
          "                       root: on a root region crown leaves open, the bounds\n"
          "                       of every hidden layer (inherited by every region),\n"
          "                       then the property rows; on: root, and the rows of\n"
          "                       every open region (with the split neurons' beta-CROWN\n"
          "                       multipliers as slopes); auto = on with activation\n"
          "                       splitting (more than 10 inputs), else off\n"
          "  --alpha-iters N      gradient steps per bound (default 20)\n"
          "  --node-layers L      rows | changed (default) | all: the hidden layers a\n"
          "                       region with neuron splits bounds again with crown\n"
          "                       (rows: none, it keeps its parent's bounds with the\n"
          "                       splits intersected in; changed: those after the\n"
          "                       first layer a split narrowed; all: every layer)\n"
          "  --branch-candidates K  activation splitting: of the K neurons of highest\n"
          "                       score, split the one whose worse child gets the best\n"
          "                       crown estimate of the row closest to a proof\n"
          "                       (filtered smart branching; default 8, at most 32);\n"
          "                       1: the score alone\n"
          "  --no-case-split      activation splitting: keep one search for all the\n"
          "                       cases of the property (default: a region that would\n"
          "                       split a neuron while several cases, e.g. target\n"
          "                       classes, are open becomes one region per open case,\n"
          "                       and each case gets a search of its own)\n"
          "  --node-tighten K     activation splitting: a region with neuron splits\n"
          "                       that an open row leaves within --escalate-gap of a\n"
          "                       proof gets LP bounds (--tighten-opts' engine) for the\n"
          "                       K highest-scored neurons of each hidden layer after\n"
          "                       its shallowest split, over its own bounds, then crown\n"
          "                       again (counted as LP escalations; default 0: never)\n"
          "  --no-joint           prove a case only by one row > 0 (no joint bound of\n"
          "                       min over the region of max over the case's rows)\n"
          "  --tighten T          none | auto (default) | lp1d | hull: before branch and\n"
          "                       bound, LP bounds of every layer over each input box,\n"
          "                       inherited by every region (under mpirun spread over the\n"
          "                       ranks; the same bounds at any rank count); auto = hull\n"
          "                       when the input has >= " STR(NNH_TIGHTEN_AUTO_MIN_INPUTS) " dimensions and --timeout\n"
          "                       is none or >= " STR(NNH_TIGHTEN_AUTO_TIME_SHARE) " times the tightening's estimated\n"
          "                       CPU time (a fixed model, not a measurement); on large\n"
          "                       nets, hull on the top " STR(NNH_TIGHTEN_AUTO_FRACTION) " of each hidden\n"
          "                       layer (below) when --timeout >= " STR(NNH_TIGHTEN_AUTO_PART_SHARE) " times its\n"
          "                       estimated CPU time (on ReLU-like nets only the neurons\n"
          "                       the root's crown bounds leave unstable count, and\n"
          "                       their LPs get the deepest window up to " STR(NNH_TIGHTEN_AUTO_WINDOW) " layers\n"
          "                       that still passes that test); else none\n"
          "  --tighten-fraction F only the fraction F of each hidden layer's neurons gets\n"
          "                       LPs: the largest (influence on the open property rows\n"
          "                       back-substituted by crown) x (relaxation gap); the\n"
          "                       others keep crown's bounds (default 1; auto: above)\n"
          "  --tighten-opts JSON  engine options of the tightening (keys as in\n"
          "                       'nnhull bounds --help' --engine-opts); default\n"
          "                       {\"window\":1,\"task_iter_limit\":1000,\"long_step\":1,\n"
          "                        \"min_gain\":0.001,\"skip_stable\":1}; given keys\n"
          "                       replace those; no time limits (the bounds must not\n"
          "                       depend on the load), --timeout still stops it; a\n"
          "                       \"window\" given is used also where auto would go deeper\n"
          "  --cex F              write the counterexample (when sat) in VNN-COMP format:\n"
          "                       '(', then '(X_i v)' and '(Y_j v)' lines, then ')'\n"
          "  --out F.h5           bound file: crown (or --method) bounds of every layer\n"
          "                       over each input box, and /verdict (result, statistics,\n"
          "                       counterexample datasets when sat)\n"
          "  --seed N             random seed (default fixed: runs are reproducible)\n"
          "  --quiet              print only the verdict\n"
          "  --verbose            progress on stderr\n" CLI_LOAD_HELP
          "  -h, --help           this help\n\n"
          "example:\n"
          "  nnhull verify ACASXU_run2a_1_1_batch_2000.onnx prop_1.vnnlib --timeout 60 \\\n"
          "      --cex cex.txt\n",
          stdout);
}

typedef struct verify_args {
    const char *net, *spec, *out, *cex;
    const char *tighten_opts; /* --tighten-opts JSON, applied after parsing */
    int quiet, verbose;
    nnh_load_opts load;
    nnh_verify_opts o;
} verify_args;

enum { O_TIMEOUT = 1, O_MAXREG, O_METHOD, O_OUT, O_CEX, O_SEED, O_QUIET, O_VERBOSE, O_GAP, O_NOJOINT,
       O_TIGHTEN, O_TOPTS, O_TFRAC, O_SPLIT, O_ALPHA, O_ALPHA_ITERS, O_NODE_LAYERS,
       O_BRANCH, O_NOCASE, O_NODE_TIGHTEN };

static int set_option(verify_args *a, int id, const char *v)
{
    double d;
    switch (id) {
    case O_TIMEOUT:
        if (cli_number(v, 0, &a->o.timeout))
            return cli_usage("verify", "--timeout needs seconds >= 0, got '%s'", v);
        return CLI_OK;
    case O_MAXREG:
        if (cli_number(v, 0, &d) || d != floor(d) || d > 1e15)
            return cli_usage("verify", "--max-regions needs an integer >= 0, got '%s'", v);
        a->o.max_regions = (long)d;
        return CLI_OK;
    case O_METHOD:
        if (nnh_method_parse(v, &a->o.method))
            return cli_usage("verify", "unknown method '%s' (ibp, crown, lp1d, hull)", v);
        return CLI_OK;
    case O_GAP:
        if (cli_number(v, 0, &a->o.escalate_gap))
            return cli_usage("verify", "--escalate-gap needs a number >= 0, got '%s'", v);
        return CLI_OK;
    case O_SEED:
        if (cli_number(v, 0, &d) || d != floor(d) || d > 9e15)
            return cli_usage("verify", "--seed needs an integer >= 0, got '%s'", v);
        a->o.seed = (unsigned long long)d;
        return CLI_OK;
    case O_TIGHTEN: return cli_tighten_option("verify", v, &a->o);
    case O_TOPTS: a->tighten_opts = v; return CLI_OK;
    case O_TFRAC: return cli_tighten_fraction_option("verify", v, &a->o);
    case O_OUT: a->out = v; return CLI_OK;
    case O_CEX: a->cex = v; return CLI_OK;
    case O_QUIET: a->quiet = 1; return CLI_OK;
    case O_VERBOSE: a->verbose = 1; return CLI_OK;
    case O_NOJOINT: a->o.joint = 0; return CLI_OK;
    case O_NOCASE: a->o.case_split = 0; return CLI_OK;
    case O_NODE_TIGHTEN:
        if (cli_number(v, 0, &d) || d != floor(d) || d > 100000)
            return cli_usage("verify", "--node-tighten needs an integer in [0, 100000], got '%s'",
                             v);
        a->o.node_tighten = (int)d;
        return CLI_OK;
    case O_SPLIT: return cli_split_option("verify", v, &a->o);
    case O_ALPHA: return cli_alpha_option("verify", v, &a->o);
    case O_ALPHA_ITERS: return cli_alpha_iters_option("verify", v, &a->o);
    case O_NODE_LAYERS: return cli_node_layers_option("verify", v, &a->o);
    case O_BRANCH:
        if (cli_number(v, 1, &d) || d != floor(d) || d > NNH_BRANCH_MAX_CANDIDATES)
            return cli_usage("verify", "--branch-candidates needs an integer in [1, %d], got '%s'",
                             NNH_BRANCH_MAX_CANDIDATES, v);
        a->o.branch_candidates = (int)d;
        return CLI_OK;
    }
    return cli_load_option(id, &a->load) ? CLI_OK : cli_usage("verify", "unhandled option");
}

/* CLI_OK, CLI_USAGE (message printed), or -1 when --help was printed */
static int parse_args(int argc, char **argv, verify_args *a)
{
    static const cli_opt opts[] = {
        {"timeout", 1, O_TIMEOUT}, {"max-regions", 1, O_MAXREG}, {"method", 1, O_METHOD},
        {"out", 1, O_OUT},         {"cex", 1, O_CEX},            {"seed", 1, O_SEED},
        {"quiet", 0, O_QUIET},     {"verbose", 0, O_VERBOSE},    {"escalate-gap", 1, O_GAP},
        {"no-joint", 0, O_NOJOINT}, {"tighten", 1, O_TIGHTEN},  {"tighten-opts", 1, O_TOPTS},
        {"tighten-fraction", 1, O_TFRAC}, {"split", 1, O_SPLIT},  {"alpha", 1, O_ALPHA},
        {"alpha-iters", 1, O_ALPHA_ITERS}, {"node-layers", 1, O_NODE_LAYERS},
        {"branch-candidates", 1, O_BRANCH}, {"no-case-split", 0, O_NOCASE},
        {"node-tighten", 1, O_NODE_TIGHTEN}, CLI_LOAD_OPTS,
        {NULL, 0, 0}};
    memset(a, 0, sizeof *a);
    nnh_load_opts_init(&a->load);
    nnh_verify_opts_init(&a->o);
    cli_parser p;
    cli_parser_init(&p, "verify", argc, argv, opts);
    const char *v;
    int id, n_pos = 0;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        if (id == CLI_ERR)
            return CLI_USAGE;
        if (id == CLI_HELP) {
            print_usage();
            return -1;
        }
        if (id == CLI_POS) {
            if (n_pos >= 2)
                return cli_usage("verify", "unexpected argument '%s'", v);
            *(n_pos++ ? &a->spec : &a->net) = v;
            continue;
        }
        int rc = set_option(a, id, v);
        if (rc)
            return rc;
    }
    if (!a->net || !a->spec)
        return cli_usage("verify", "needs NET and SPEC");
    int trc = cli_tighten_opts("verify", a->tighten_opts, &a->o);
    if (trc)
        return trc;
    const char *inputs[] = {a->net, a->spec}; /* never written over */
    int rc = cli_check_output("verify", a->out, 0, inputs, 2);
    return rc ? rc : cli_check_output("verify", a->cex, 0, inputs, 2);
}

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

typedef struct progress_state {
    int verbose;
    double last; /* elapsed seconds at the last line */
} progress_state;

/* a line every 2 s with --verbose; a signal stops the run */
static int progress(void *arg, long regions, long queued, double elapsed)
{
    progress_state *p = arg;
    if (p->verbose && elapsed - p->last >= 2.0) {
        fprintf(stderr, "nnhull verify: %ld regions decided, %ld queued, %.1f s\n", regions,
                queued, elapsed);
        p->last = elapsed;
    }
    return g_signal != 0;
}

static void print_result(const verify_args *a, const nnh_verify_result *r, int n_in, int n_out)
{
    if (!a->quiet) {
        printf("regions: %ld decided, %ld proved, %ld stuck, max depth %d, max queue %ld, "
               "LP escalations %ld\n",
               r->regions, r->regions_unsat, r->regions_stuck, r->max_depth, r->max_queue,
               r->escalations);
        if (r->neuron_splits)
            printf("neuron splits: %ld\n", r->neuron_splits);
        if (r->case_splits)
            printf("case splits: %ld\n", r->case_splits);
        printf("seconds: %.3f (falsification %.3f, bounds %.3f, summed over ranks)\n",
               r->seconds, r->seconds_falsify, r->seconds_bounds);
        if (r->ranks > 1)
            printf("ranks: %d (master idle %.3f s)\n", r->ranks, r->seconds_idle);
        if (r->tightened)
            printf("tightening: %d input box%s, %ld LP tasks, window %d, %.3f s, root lower "
                   "bound %.6g -> %.6g, bounds digest %016llx\n",
                   r->tightened, r->tightened > 1 ? "es" : "", r->tighten_tasks,
                   r->tighten_window, r->seconds_tighten, r->tighten_lb[0], r->tighten_lb[1], r->tighten_digest);
        if (r->verdict == NNH_VERDICT_SAT) {
            printf("counterexample (case %d):\n  x =", r->cex_case);
            for (int i = 0; i < n_in; i++)
                printf(" %.17g", r->cex_x[i]);
            printf("\n  y =");
            for (int j = 0; j < n_out; j++)
                printf(" %.17g", r->cex_y[j]);
            printf("\n");
        }
    }
    printf("%s\n", nnh_verdict_name(r->verdict));
}

static int run(const verify_args *a, const nnh_network *net, const nnh_spec *spec)
{
    nnh_verify_result r;
    nnh_error err;
    progress_state ps = {a->verbose, 0};
    g_signal = 0;
    nnh_dist_handle_signals(on_signal);
    int vrc = nnh_dist_verify(cli_dist(), net, spec, &a->o, &r, progress, &ps, &err);
    nnh_dist_handle_signals(NULL);
    if (vrc) { /* one message: maybe the master's watcher's (a rank died) */
        nnh_verify_result_free(&r);
        return nnh_dist_claim_report(cli_dist()) ? cli_fail("verify: %s", err.msg) : CLI_FAIL;
    }
    int rc = CLI_OK, n_out = nnh_network_n_outputs(net);
    if (a->cex && r.verdict == NNH_VERDICT_SAT)
        rc = cli_write_cex(a->cex, r.cex_x, net->n_inputs, r.cex_y, n_out);
    if (!rc && a->out)
        rc = nnh_verify_write_h5(a->out, a->net, a->spec, net, spec, &a->o, &r);
    if (!rc)
        print_result(a, &r, net->n_inputs, n_out);
    nnh_verify_result_free(&r);
    if (!rc && g_signal && r.verdict != NNH_VERDICT_SAT)
        rc = cli_fail("verify: interrupted by signal %d after %ld regions (verdict unknown)",
                      (int)g_signal, r.regions);
    return rc;
}

static int verify_master(int argc, char **argv)
{
    verify_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    nnh_network *net = NULL;
    if (cli_load_network(a.net, &a.load, &net))
        return CLI_FAIL;
    nnh_spec *spec = NULL;
    nnh_error err;
    if (nnh_load_vnnlib(a.spec, &spec, &err)) {
        nnh_network_free(net);
        return cli_fail("%s", err.msg);
    }
    if (spec->n_in != net->n_inputs || spec->n_out != nnh_network_n_outputs(net))
        rc = cli_fail("%s declares %d inputs and %d outputs, but %s has %d and %d", a.spec,
                      spec->n_in, spec->n_out, a.net, net->n_inputs, nnh_network_n_outputs(net));
    else
        rc = run(&a, net, spec);
    nnh_spec_free(spec);
    nnh_network_free(net);
    return rc;
}

int cmd_verify(int argc, char **argv) { return cli_mpi_main(argc, argv, verify_master); }
