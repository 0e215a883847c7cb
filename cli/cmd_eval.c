/* `nnhull eval NET [X...]`: forward pass of one input row given as arguments,
 * or of one row per stdin line; outputs printed with %.17g, comma-separated. */
#include "cli_common.h"
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: nnhull eval NET [X...] [--strip-softmax] [--nnet-normalized] [--nnet-output-relu]\n"
    "                       [--dense-layers]\n"
    "Forward pass in double precision. The input row is given as arguments (numbers\n"
    "separated by commas and/or spaces) or, without X, read from stdin, one row per\n"
    "line (blank lines and lines starting with # are skipped). Each output row is\n"
    "printed on one line, comma-separated, with 17 significant digits. A .nnet input\n"
    "domain is applied (inputs clamped) as the format defines.\n\n"
    "options:\n" CLI_LOAD_HELP
    "  -h, --help           this help\n\n"
    "examples:\n"
    "  nnhull eval net.onnx 0.1,0.2,-0.3\n"
    "  tail -n +2 examples/digits_test_inputs.csv | cut -d, -f2- |\n"
    "      nnhull eval examples/digits_sigmoid_64x10x10x10x10x10.onnx\n";

static void print_row(const double *y, int n)
{
    for (int i = 0; i < n; i++)
        printf("%s%.17g", i ? "," : "", y[i]);
    printf("\n");
}

/* evaluate one row text; where names the row in messages */
static int eval_row(const nnh_network *net, const char *text, const char *where, double *y,
                    double *scratch)
{
    double *x;
    int n;
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_parse_numbers(text, &x, &n, &err) != 0)
        return cli_fail("%s: %s", where, err.msg);
    int rc = CLI_OK;
    if (n != net->n_inputs)
        rc = cli_fail("%s: expected %d numbers (the network's inputs), got %d", where,
                      net->n_inputs, n);
    else {
        nnh_network_eval(net, x, y, scratch);
        print_row(y, nnh_network_n_outputs(net));
    }
    free(x);
    return rc;
}

static int blank_or_comment(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' || *s == '#';
}

static int eval_stdin(const nnh_network *net, double *y, double *scratch)
{
    char *line = NULL, where[64];
    size_t cap = 0;
    long lineno = 0;
    int rc = CLI_OK;
    while (rc == CLI_OK && getline(&line, &cap, stdin) >= 0) {
        lineno++;
        if (blank_or_comment(line))
            continue;
        snprintf(where, sizeof where, "<stdin>:%ld", lineno);
        rc = eval_row(net, line, where, y, scratch);
    }
    free(line);
    return rc;
}

/* the positional arguments after NET, joined into one row */
static char *join_args(char **args, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(args[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        strcat(s, args[i]);
        strcat(s, " ");
    }
    return s;
}

int cmd_eval(int argc, char **argv)
{
    static const cli_opt opts[] = {CLI_LOAD_OPTS, {NULL, 0, 0}};
    cli_parser p;
    cli_parser_init(&p, "eval", argc, argv, opts);
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    const char *net_path = NULL, *v;
    char **xs = calloc((size_t)argc + 1, sizeof *xs);
    int nx = 0, id;
    if (!xs)
        return cli_fail("out of memory");
    while ((id = cli_next(&p, &v)) != CLI_END) {
        if (id == CLI_ERR || id == CLI_HELP) {
            free(xs);
            if (id == CLI_ERR)
                return CLI_USAGE;
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (id == CLI_POS) {
            if (!net_path)
                net_path = v;
            else
                xs[nx++] = (char *)v;
        } else
            cli_load_option(id, &lo);
    }
    if (!net_path) {
        free(xs);
        return cli_usage("eval", "missing NET (a .onnx or .nnet file)");
    }
    nnh_network *net;
    if (cli_load_network(net_path, &lo, &net)) {
        free(xs);
        return CLI_FAIL;
    }
    int w = nnh_network_max_width(net);
    double *y = malloc((size_t)nnh_network_n_outputs(net) * sizeof *y);
    double *scratch = malloc(2 * (size_t)w * sizeof *scratch);
    char *row = nx ? join_args(xs, nx) : NULL;
    int rc;
    if (!y || !scratch || (nx && !row))
        rc = cli_fail("out of memory");
    else if (nx)
        rc = eval_row(net, row, "arguments", y, scratch);
    else
        rc = eval_stdin(net, y, scratch);
    if (fflush(stdout) != 0 && rc == CLI_OK)
        rc = cli_fail("cannot write to stdout");
    free(row);
    free(y);
    free(scratch);
    free(xs);
    nnh_network_free(net);
    return rc;
}
