/* `nnhull info NET`: format, sizes, layers (width, stored weights, sparse or
 * dense, activation and its parameters), number of parameters, input domain,
 * stripped Softmax. */
#include "cli_common.h"
#include "commands.h"

#include <stdio.h>

static const char usage[] =
    "usage: nnhull info NET [--strip-softmax] [--nnet-normalized] [--nnet-output-relu]\n"
    "                       [--dense-layers]\n"
    "Print a network's format, inputs, outputs, layers (width, stored weights, 'sp'\n"
    "for a sparse layer, activation and its parameters), number of parameters, input\n"
    "domain (.nnet) and whether a trailing Softmax was stripped.\n\n"
    "options:\n" CLI_LOAD_HELP
    "  -h, --help           this help\n\n"
    "example:\n"
    "  nnhull info examples/digits_sigmoid_64x10x10x10x10x10.onnx\n";

static void print_activation(const nnh_activation *a)
{
    printf("%s", nnh_act_name(a->kind));
    if (a->kind == NNH_ACT_LEAKY_RELU || a->kind == NNH_ACT_ELU)
        printf(" (alpha %.17g)", a->alpha);
    else if (a->kind == NNH_ACT_SELU)
        printf(" (alpha %.17g, lambda %.17g)", a->alpha, a->lambda);
    printf("\n");
}

static void print_domain(const nnh_network *net)
{
    if (!net->in_min && !net->in_max) {
        printf("input domain:     none\n");
        return;
    }
    printf("input domain:     inputs are clamped to\n");
    for (int j = 0; j < net->n_inputs; j++)
        printf("  x%-4d [%.17g, %.17g]\n", j, net->in_min ? net->in_min[j] : -1.0 / 0.0,
               net->in_max ? net->in_max[j] : 1.0 / 0.0);
}

static void print_info(const char *path, const nnh_network *net)
{
    long long params = 0;
    for (int k = 0; k < net->n_layers; k++)
        params += (long long)nnh_layer_nnz(&net->layers[k]) + net->layers[k].n_out;
    printf("network:          %s\n", path);
    printf("format:           %s\n", net->format ? net->format : "unknown");
    printf("inputs:           %d\n", net->n_inputs);
    printf("outputs:          %d\n", nnh_network_n_outputs(net));
    printf("layers:           %d (affine layers, each followed by its activation)\n",
           net->n_layers);
    printf("parameters:       %lld\n", params);
    print_domain(net);
    printf("softmax stripped: %s\n", net->softmax_stripped ? "yes (outputs are the logits)" : "no");
    printf("\n  layer   in  width  weights      activation\n");
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer *L = &net->layers[k];
        printf("  %5d %4d %6d  %-8zu %-3s ", k, L->n_in, L->n_out, nnh_layer_nnz(L),
               L->W ? "" : "sp");
        print_activation(&L->act);
    }
}

int cmd_info(int argc, char **argv)
{
    static const cli_opt opts[] = {CLI_LOAD_OPTS, {NULL, 0, 0}};
    cli_parser p;
    cli_parser_init(&p, "info", argc, argv, opts);
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    const char *net_path = NULL, *v;
    int id;
    while ((id = cli_next(&p, &v)) != CLI_END) {
        if (id == CLI_ERR)
            return CLI_USAGE;
        if (id == CLI_HELP) {
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (id == CLI_POS) {
            if (net_path)
                return cli_usage("info", "unexpected argument '%s'", v);
            net_path = v;
        } else
            cli_load_option(id, &lo);
    }
    if (!net_path)
        return cli_usage("info", "missing NET (a .onnx or .nnet file)");
    nnh_network *net;
    if (cli_load_network(net_path, &lo, &net))
        return CLI_FAIL;
    print_info(net_path, net);
    nnh_network_free(net);
    return CLI_OK;
}
