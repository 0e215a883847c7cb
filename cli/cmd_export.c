/* `nnhull export`: the network over one input region as an LP or MILP model
 * file (CPLEX LP or free MPS, GLPK's writers) with certified bounds, envelope
 * cuts, hull cuts (--method hull) and the big-M form of ReLUs (--milp). */
#include "cli_common.h"
#include "commands.h"
#include "export_region.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnhull export NET (--spec F.vnnlib | --box F | --center X --eps E [--clip LO,HI])\n"
    "                     --method M --out FILE [--format lp|mps] [--milp]\n"
    "                     [--objective min:NAME|max:NAME] [options]\n"
    "The network over one input region as an optimization model any LP/MILP solver\n"
    "reads: variables x_j (inputs), z_k_i and a_k_i (pre- and post-activation of\n"
    "neuron i of layer k, 0-based), y_j (outputs: the last layer before its\n"
    "activation), all with the method's certified bounds; the affine rows of every\n"
    "layer; the 1-D envelope of every nonlinear neuron as tangents and secants; with\n"
    "--method hull also the multivariate hull cuts binding at the end of a cut loop\n"
    "on the model. Every row is valid for the network on the region (numbers are\n"
    "rounded outward to what the file holds). The file starts with comment lines:\n"
    "network SHA-256, method, region, nnhull version and what the rows are.\n\n"
    "input region (exactly one; a VNNLIB property with several boxes: the first):\n"
    "  --spec F.vnnlib      the first input box of a VNNLIB property\n"
    "  --box F              text file, one 'lo hi' line per input (# comments)\n"
    "  --center X --eps E   the L-infinity ball of radius E around X (numbers or a file)\n"
    "  --clip LO,HI         intersect the region with [LO, HI] in every input\n\n"
    "model:\n"
    "  --method M           bounds of the variables: ibp, crown, lp1d or hull (hull also\n"
    "                       adds multivariate hull cuts)\n"
    "  --format lp|mps      CPLEX LP (15 significant digits) or free MPS (GLPK writes at\n"
    "                       most 12 characters per number: looser); default from the\n"
    "                       --out extension (.mps: mps), else lp\n"
    "  --milp               exact mixed-integer form of unstable ReLU / leaky ReLU neurons\n"
    "                       (binaries d_k_i, big-M from the certified bounds); other\n"
    "                       activations keep the relaxation\n"
    "  --objective S:NAME   minimise (min:NAME) or maximise (max:NAME) one variable, e.g.\n"
    "                       max:y_3 (default: objective 0). With --method hull the cut\n"
    "                       loop works on this objective, else on min and max of every\n"
    "                       output\n"
    "  --env-tol X          1-D envelope cuts within X of the exact envelope (default 1e-4)\n"
    "  --env-max-cuts N     ... with at most N cuts per neuron and side (default 32)\n"
    "  --cut-rounds N       hull: cut rounds per objective (default 5)\n"
    "  --out FILE           output file (required; written under a temporary name and\n"
    "                       renamed when complete)\n"
    "  --quiet              print nothing on success\n\n"
    "network loading:\n" CLI_LOAD_HELP
    "  -h, --help           this help\n\n"
    "examples:\n"
    "  nnhull export examples/digits_relu_64x10x10x10x10x10.onnx --method lp1d --milp \\\n"
    "      --center \"$(sed -n 2p examples/digits_test_inputs.csv | cut -d, -f2-)\" \\\n"
    "      --eps 0.01 --clip 0,1 --objective max:y_2 --out m.lp\n"
    "  glpsol --lp m.lp -o m.sol         (or --freemps m.mps)\n";

typedef struct export_args {
    export_region_args region;
    const char *method, *format, *objective, *out, *env_tol, *env_max, *rounds;
    int milp, quiet;
    nnh_load_opts load;
} export_args;

enum { O_SPEC = 1, O_BOX, O_CENTER, O_EPS, O_CLIP, O_METHOD, O_FORMAT, O_MILP, O_OBJ, O_OUT,
       O_ENV_TOL, O_ENV_MAX, O_ROUNDS, O_QUIET };

/* CLI_OK, CLI_USAGE (printed), or -1 after --help */
static int parse_args(int argc, char **argv, export_args *a)
{
    static const cli_opt opts[] = {
        {"spec", 1, O_SPEC},       {"box", 1, O_BOX},         {"center", 1, O_CENTER},
        {"eps", 1, O_EPS},         {"clip", 1, O_CLIP},       {"method", 1, O_METHOD},
        {"format", 1, O_FORMAT},   {"milp", 0, O_MILP},       {"objective", 1, O_OBJ},
        {"out", 1, O_OUT},         {"env-tol", 1, O_ENV_TOL}, {"env-max-cuts", 1, O_ENV_MAX},
        {"cut-rounds", 1, O_ROUNDS}, {"quiet", 0, O_QUIET},   CLI_LOAD_OPTS,
        {NULL, 0, 0}};
    memset(a, 0, sizeof *a);
    nnh_load_opts_init(&a->load);
    cli_parser p;
    cli_parser_init(&p, "export", argc, argv, opts);
    const char *v, **slot;
    int id;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        switch (id) {
        case CLI_ERR: return CLI_USAGE;
        case CLI_HELP: fputs(usage, stdout); return -1;
        case CLI_POS:
            if (a->region.net_path)
                return cli_usage("export", "unexpected argument '%s'", v);
            a->region.net_path = v;
            continue;
        case O_MILP: a->milp = 1; continue;
        case O_QUIET: a->quiet = 1; continue;
        case O_SPEC: slot = &a->region.spec; break;
        case O_BOX: slot = &a->region.box; break;
        case O_CENTER: slot = &a->region.center; break;
        case O_EPS: slot = &a->region.eps; break;
        case O_CLIP: slot = &a->region.clip; break;
        case O_METHOD: slot = &a->method; break;
        case O_FORMAT: slot = &a->format; break;
        case O_OBJ: slot = &a->objective; break;
        case O_OUT: slot = &a->out; break;
        case O_ENV_TOL: slot = &a->env_tol; break;
        case O_ENV_MAX: slot = &a->env_max; break;
        case O_ROUNDS: slot = &a->rounds; break;
        default: cli_load_option(id, &a->load); continue;
        }
        *slot = v;
    }
    return CLI_OK;
}

/* a number option: finite, >= lo, whole when is_int */
static int number_opt(const char *flag, const char *text, double lo, int is_int, double *out)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end || !(x >= lo) || x > 1e9 || (is_int && x != (double)(long)x))
        return cli_usage("export", "%s: '%s' is not a %s >= %g", flag, text,
                         is_int ? "whole number" : "number", lo);
    *out = x;
    return CLI_OK;
}

/* arguments -> options; usage errors print and return CLI_USAGE */
static int check_args(const export_args *a, nnh_method *m, nnh_export_opts *o)
{
    const export_region_args *r = &a->region;
    if (!r->net_path)
        return cli_usage("export", "missing NET (a .onnx or .nnet file)");
    if (!!r->spec + !!r->box + !!(r->center || r->eps) != 1)
        return cli_usage("export", "give exactly one input region: --spec F, --box F, or "
                                   "--center X --eps E");
    if ((r->center != NULL) != (r->eps != NULL))
        return cli_usage("export", "--center and --eps go together");
    if (!a->method)
        return cli_usage("export", "missing --method (one of: ibp, crown, lp1d, hull)");
    if (nnh_method_parse(a->method, m) != 0)
        return cli_usage("export", "unknown method '%s' (valid: ibp, crown, lp1d, hull)",
                         a->method);
    if (!a->out)
        return cli_usage("export", "missing --out FILE");
    nnh_export_opts_init(o);
    size_t n = strlen(a->out);
    if (!a->format) /* from the extension */
        o->format = n >= 4 && !strcmp(a->out + n - 4, ".mps") ? NNH_EXPORT_MPS : NNH_EXPORT_LP;
    else if (nnh_export_format_parse(a->format, &o->format) != 0)
        return cli_usage("export", "unknown format '%s' (valid: lp, mps)", a->format);
    o->milp = a->milp;
    o->hull_cuts = *m == NNH_METHOD_HULL;
    if (a->objective) {
        if (!strncmp(a->objective, "min:", 4) || !strncmp(a->objective, "max:", 4)) {
            o->objective_sense = a->objective[1] == 'a' ? 1 : -1;
            o->objective = a->objective + 4;
        }
        if (!o->objective_sense || !*o->objective)
            return cli_usage("export", "--objective: expected min:NAME or max:NAME (e.g. "
                             "max:y_0), got '%s'", a->objective);
    }
    double x;
    if (a->env_tol && number_opt("--env-tol", a->env_tol, 0, 0, &o->env_tol))
        return CLI_USAGE;
    if (a->env_max) {
        if (number_opt("--env-max-cuts", a->env_max, 2, 1, &x))
            return CLI_USAGE;
        o->env_max_cuts = (int)x;
    }
    if (a->rounds) {
        if (number_opt("--cut-rounds", a->rounds, 0, 1, &x))
            return CLI_USAGE;
        if (*m != NNH_METHOD_HULL)
            return cli_usage("export", "--cut-rounds applies to --method hull only");
        o->cut_rounds = (int)x;
    }
    return CLI_OK;
}

/* the certified bounds of the method over [lo, hi] */
static int compute_bounds(const nnh_network *net, nnh_method m, const double *lo,
                          const double *hi, nnh_bounds **b)
{
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_bounds_create(net, lo, hi, b, &err))
        return cli_fail("%s", err.msg);
    int rc;
    if (m == NNH_METHOD_IBP)
        rc = nnh_bounds_ibp(net, *b, &err);
    else {
        nnh_bound_opts o;
        nnh_bound_opts_init(&o);
        o.method = m;
        rc = nnh_bounds_compute(net, *b, &o, NULL, NULL, NULL, &err);
    }
    return rc ? cli_fail("%s: %s", nnh_method_name(m), err.msg) : CLI_OK;
}

static char *header_text(const export_args *a, const nnh_export_opts *o, const char *region)
{
    nnh_error err;
    char sha[65];
    if (nnh_sha256_file(a->region.net_path, sha, &err)) {
        cli_fail("%s", err.msg);
        return NULL;
    }
    size_t len = 4096 + strlen(a->region.net_path) + strlen(region);
    char *h = malloc(len);
    if (!h) {
        cli_fail("out of memory");
        return NULL;
    }
    snprintf(h, len,
             "nnhull export: a neural network as an %s model (%s), written by nnhull %s\n"
             "network: %s\n"
             "network sha256: %s\n"
             "method: %s (certified bounds of every variable)\n"
             "region: %s\n"
             "objective: %s%s\n",
             o->milp ? "MILP" : "LP", o->format == NNH_EXPORT_MPS ? "free MPS" : "CPLEX LP",
             nnh_version(), a->region.net_path, sha, a->method, region,
             o->objective_sense ? (o->objective_sense > 0 ? "maximise " : "minimise ") : "none (0)",
             o->objective_sense ? o->objective : "");
    return h;
}

int cmd_export(int argc, char **argv)
{
    export_args a;
    nnh_method m;
    nnh_export_opts o;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_OK : rc;
    const char *inputs[] = {a.region.net_path, a.region.spec, a.region.box, a.region.center};
    if ((rc = check_args(&a, &m, &o)) || (rc = cli_check_output("export", a.out, 0, inputs, 4)))
        return rc;
    nnh_network *net;
    if (cli_load_network(a.region.net_path, &a.load, &net))
        return CLI_FAIL;
    double t0 = cli_seconds(), *lo = NULL, *hi = NULL;
    char region[512];
    nnh_bounds *b = NULL;
    char *header = NULL;
    rc = export_region(&a.region, net, &lo, &hi, region, sizeof region);
    if (!rc)
        rc = compute_bounds(net, m, lo, hi, &b);
    if (!rc && !(header = header_text(&a, &o, region)))
        rc = CLI_FAIL;
    nnh_export_info info;
    nnh_error err;
    nnh_error_clear(&err);
    if (!rc && nnh_export_file(a.out, header, net, b, &o, &info, &err))
        rc = cli_fail("export: %s", err.msg);
    if (!rc && !a.quiet)
        printf("wrote %s: %d variables (%d binary), %d rows (%ld envelope, %ld hull cuts), "
               "%.3f s\n", a.out, info.n_cols, info.n_binaries, info.n_rows, info.env_cuts,
               info.hull_cuts, cli_seconds() - t0);
    free(header);
    nnh_bounds_free(b);
    free(lo);
    free(hi);
    nnh_network_free(net);
    return rc;
}
