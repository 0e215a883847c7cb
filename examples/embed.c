/* nnhull as a library, start to finish: load a network, certify crown bounds
 * of every neuron over an input box, check them on the box's centre, and ask
 * the separation oracle for the tightest cut of one neuron.
 * Build:  cc embed.c $(pkg-config --cflags --libs nnhull) -o embed
 * Run:    ./embed [NET.onnx|NET.nnet] [EPS]   (default: the digits sigmoid net, 0.05) */
#include <nnhull/nnhull.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/digits_sigmoid_64x10x10x10x10x10.onnx";
    double eps = argc > 2 ? atof(argv[2]) : 0.05;
    nnh_error err;
    nnh_error_clear(&err);

    /* 1. the network */
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    nnh_network *net = NULL;
    if (nnh_load_network(path, &lo, &net, &err)) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 1;
    }
    int n = net->n_inputs, L = net->n_layers, n_out = nnh_network_n_outputs(net);

    /* 2. crown bounds of every neuron over the box [0.5 - eps, 0.5 + eps]^n */
    double *box_lo = malloc(sizeof(double) * n), *box_hi = malloc(sizeof(double) * n);
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n_out);
    for (int j = 0; j < n; j++) {
        box_lo[j] = 0.5 - eps;
        box_hi[j] = 0.5 + eps;
        x[j] = 0.5;
    }
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_CROWN;
    nnh_bounds *b = NULL;
    int rc = nnh_bounds_create(net, box_lo, box_hi, &b, &err);
    if (!rc)
        rc = nnh_bounds_compute(net, b, &o, NULL, NULL, NULL, &err);
    if (!rc)
        rc = nnh_network_eval(net, x, y, NULL);
    if (rc) {
        fprintf(stderr, "embed: %s\n", err.msg);
        return 1;
    }
    const nnh_layer_bounds *out = &b->layers[L - 1];
    int inside = 1;
    for (int i = 0; i < n_out; i++) {
        printf("output %d: [%.6f, %.6f]  at the centre %.6f\n", i, out->pre_lo[i], out->pre_hi[i],
               y[i]);
        inside &= out->pre_lo[i] <= y[i] && y[i] <= out->pre_hi[i];
    }

    /* 3. one separation call: neuron 0 of layer 1 over the box of layer 0's
     *    outputs, at the box centre and a height above every value it takes */
    const nnh_layer *ly = &net->layers[1];
    const nnh_layer_bounds *in = &b->layers[0];
    nnh_neuron nr = {&ly->act, ly->n_in, ly->W, in->post_lo, in->post_hi, ly->b[0]};
    double *xs = malloc(sizeof(double) * ly->n_in), *a = malloc(sizeof(double) * ly->n_in);
    for (int j = 0; j < ly->n_in; j++)
        xs[j] = 0.5 * (in->post_lo[j] + in->post_hi[j]);
    double ys = b->layers[1].post_hi[0] + 0.01;
    nnh_env_ws ws;
    nnh_cut cut = {0};
    rc = nnh_env_ws_init(&ws, ly->n_in, &err);
    if (!rc)
        rc = nnh_separate(&nr, xs, ys, 1e-9, a, &cut, &ws);
    nnh_env_ws_free(&ws);
    if (rc) {
        fprintf(stderr, "embed: separation failed (%d)\n", rc);
        return 1;
    }
    printf("cut of layer 1, neuron 0: y %s a^T x + %.6f (a[0] = %.6f), violated by %.6f, %s\n",
           cut.sense > 0 ? "<=" : cut.sense < 0 ? ">=" : "(none)", cut.c, a[0], cut.violation,
           cut.region == NNH_REGION_I ? "multivariate" : "1-D");
    printf("nnhull %s: %s\n", nnh_version(), inside && cut.sense > 0 ? "ok" : "FAILED");

    free(xs);
    free(a);
    free(box_lo);
    free(box_hi);
    free(x);
    free(y);
    nnh_bounds_free(b);
    nnh_network_free(net);
    return inside && cut.sense > 0 ? 0 : 1;
}
