/* The input regions of `bounds` and `export` (cli_region.h): a VNNLIB
 * property's boxes, a box file, or a ball, then --clip and --split. */
#include "cli_region.h"

#include "cli_common.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int regions_from_box(const cli_region_args *a, const nnh_network *net, cli_regions *g)
{
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_read_box(a->box, &g->lo, &g->hi, &g->n, &err))
        return cli_fail("%s", err.msg);
    g->R = 1;
    if (g->n != net->n_inputs)
        return cli_fail("%s: %d intervals, but %s has %d inputs", a->box, g->n, a->net_path,
                        net->n_inputs);
    return CLI_OK;
}

/* --center: a file of numbers when such a file exists, else the list itself */
static int read_center(const char *arg, double **c, int *n, const char **label)
{
    struct stat st;
    nnh_error err;
    nnh_error_clear(&err);
    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        *label = arg;
        return nnh_read_numbers(arg, c, n, &err) ? cli_fail("%s", err.msg) : CLI_OK;
    }
    *label = "--center";
    if (nnh_parse_numbers(arg, c, n, &err))
        return cli_fail("--center: '%.60s%s' is neither a readable file nor a list of numbers "
                        "(%s)", arg, strlen(arg) > 60 ? "..." : "", err.msg);
    return CLI_OK;
}

static int regions_from_center(const cli_region_args *a, const nnh_network *net, cli_regions *g)
{
    double *c = NULL;
    int n;
    const char *label = "--center";
    if (read_center(a->center, &c, &n, &label))
        return CLI_FAIL;
    nnh_error err;
    nnh_error_clear(&err);
    int rc = CLI_OK;
    if (n != net->n_inputs)
        rc = cli_fail("%s: %d numbers, but %s has %d inputs", label, n, a->net_path, net->n_inputs);
    else if (!(g->lo = malloc((size_t)n * sizeof(double))) ||
             !(g->hi = malloc((size_t)n * sizeof(double))))
        rc = cli_fail("out of memory");
    else if (nnh_region_ball(c, n, a->eps, g->lo, g->hi, &err))
        rc = cli_fail("%s: %s", label, err.msg);
    g->R = 1;
    g->n = n;
    free(c);
    return rc;
}

static int regions_from_spec(const cli_region_args *a, const nnh_network *net, cli_regions *g)
{
    nnh_error err;
    nnh_error_clear(&err);
    nnh_spec *s;
    if (nnh_load_vnnlib(a->spec, &s, &err))
        return cli_fail("%s", err.msg);
    int rc = CLI_OK, *box_of_case = NULL;
    if (s->n_in != net->n_inputs || s->n_out != nnh_network_n_outputs(net))
        rc = cli_fail("%s: declares %d inputs and %d outputs, but %s has %d and %d", a->spec,
                      s->n_in, s->n_out, a->net_path, net->n_inputs, nnh_network_n_outputs(net));
    else if (nnh_spec_boxes(s, &g->R, &g->lo, &g->hi, &box_of_case, &err))
        rc = cli_fail("%s", err.msg);
    else
        g->n = s->n_in;
    free(box_of_case);
    nnh_spec_free(s);
    return rc;
}

static int apply_clip(const char *cmd, const char *clip, cli_regions *g)
{
    double *v;
    int n;
    nnh_error err;
    nnh_error_clear(&err);
    if (nnh_parse_numbers(clip, &v, &n, &err))
        return cli_usage(cmd, "--clip: %s", err.msg);
    int rc = CLI_OK;
    if (n != 2 || !(v[0] <= v[1]))
        rc = cli_usage(cmd, "--clip: expected LO,HI with LO <= HI, got '%s'", clip);
    else if (nnh_regions_clip(g->R, g->n, g->lo, g->hi, v[0], v[1], &err))
        rc = cli_fail("--clip: %s", err.msg);
    free(v);
    return rc;
}

int cli_build_regions(const cli_region_args *a, const nnh_network *net, cli_regions *g)
{
    int rc = a->spec ? regions_from_spec(a, net, g)
             : a->box ? regions_from_box(a, net, g)
                      : regions_from_center(a, net, g);
    if (!rc && a->clip)
        rc = apply_clip(a->cmd, a->clip, g);
    nnh_error err;
    nnh_error_clear(&err);
    if (!rc && a->split > 0 && nnh_regions_split(&g->R, g->n, &g->lo, &g->hi, a->split, &err))
        rc = cli_fail("%s", err.msg);
    return rc;
}

