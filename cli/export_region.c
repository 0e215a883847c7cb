/* Region of `nnhull export` (export_region.h): the first box of a VNNLIB
 * property, a 'lo hi' box file, or center +/- eps (ends rounded outward),
 * optionally intersected with --clip LO,HI. */
#include "export_region.h"
#include "cli_common.h"
#include "nnh_round.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* all numbers of a file (# comments ignored) or of the text itself */
static int numbers_of(const char *arg, int file_ok, double **v, int *n)
{
    struct stat st;
    char bad[64];
    char *text = NULL;
    if (file_ok && stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        nnh_error err;
        if (!(text = cli_read_file(arg, &err)))
            return cli_fail("%s", err.msg);
        for (char *h = strchr(text, '#'); h; h = strchr(h, '#'))
            while (*h && *h != '\n')
                *h++ = ' ';
    }
    int rc = cli_parse_numbers(text ? text : arg, v, n, bad, sizeof bad);
    free(text);
    if (rc)
        return cli_fail("%.60s: bad number '%s'", arg, bad);
    return CLI_OK;
}

static int from_spec(const export_region_args *a, const nnh_network *net, double *lo, double *hi,
                     char *desc, size_t len)
{
    nnh_error err;
    nnh_error_clear(&err);
    nnh_spec *s;
    if (nnh_load_vnnlib(a->spec, &s, &err))
        return cli_fail("%s", err.msg);
    int rc = CLI_OK, nb = 0, *box_of = NULL;
    double *L = NULL, *U = NULL;
    if (s->n_in != net->n_inputs || s->n_out != nnh_network_n_outputs(net))
        rc = cli_fail("%s: declares %d inputs and %d outputs, but %s has %d and %d", a->spec,
                      s->n_in, s->n_out, a->net_path, net->n_inputs, nnh_network_n_outputs(net));
    else if (nnh_spec_boxes(s, &nb, &L, &U, &box_of, &err))
        rc = cli_fail("%s", err.msg);
    else if (nb == 0)
        rc = cli_fail("%s: the property's region is empty (no case left)", a->spec);
    if (!rc) {
        memcpy(lo, L, (size_t)net->n_inputs * sizeof *lo);
        memcpy(hi, U, (size_t)net->n_inputs * sizeof *hi);
        snprintf(desc, len, "input box 1 of %d of %s (output constraints not included)", nb,
                 a->spec);
    }
    free(L);
    free(U);
    free(box_of);
    nnh_spec_free(s);
    return rc;
}

static int from_box(const export_region_args *a, const nnh_network *net, double *lo, double *hi,
                    char *desc, size_t len)
{
    double *v;
    int n;
    if (numbers_of(a->box, 1, &v, &n))
        return CLI_FAIL;
    int rc = CLI_OK;
    if (n != 2 * net->n_inputs)
        rc = cli_fail("%s: %d numbers, want one 'lo hi' line per input (%d inputs)", a->box, n,
                      net->n_inputs);
    for (int j = 0; !rc && j < net->n_inputs; j++) {
        lo[j] = v[2 * j];
        hi[j] = v[2 * j + 1];
        if (!(lo[j] <= hi[j]))
            rc = cli_fail("%s: input %d: lower bound %.17g above upper bound %.17g", a->box, j,
                          lo[j], hi[j]);
    }
    free(v);
    snprintf(desc, len, "box file %s", a->box);
    return rc;
}

static int from_center(const export_region_args *a, const nnh_network *net, double *lo,
                       double *hi, char *desc, size_t len)
{
    char *end;
    double eps = strtod(a->eps, &end);
    if (end == a->eps || *end || !isfinite(eps) || eps < 0)
        return cli_fail("--eps: '%s' is not a finite number >= 0", a->eps);
    double *c;
    int n;
    if (numbers_of(a->center, 1, &c, &n))
        return CLI_FAIL;
    int rc = CLI_OK;
    if (n != net->n_inputs)
        rc = cli_fail("--center: %d numbers, but %s has %d inputs", n, a->net_path,
                      net->n_inputs);
    for (int j = 0; !rc && j < n; j++) {
        if (!isfinite(c[j]))
            rc = cli_fail("--center: entry %d is not finite", j);
        lo[j] = eps > 0 ? nnh_down(c[j] - eps) : c[j];
        hi[j] = eps > 0 ? nnh_up(c[j] + eps) : c[j];
    }
    free(c);
    snprintf(desc, len, "L-infinity ball of radius %.17g around --center %.80s%s", eps,
             a->center, strlen(a->center) > 80 ? "..." : "");
    return rc;
}

static int clip(const char *arg, int n, double *lo, double *hi, char *desc, size_t len)
{
    double *v;
    int k;
    if (numbers_of(arg, 0, &v, &k))
        return CLI_FAIL;
    int rc = CLI_OK;
    if (k != 2 || !(v[0] <= v[1]))
        rc = cli_fail("--clip: expected LO,HI with LO <= HI, got '%s'", arg);
    for (int j = 0; !rc && j < n; j++) {
        lo[j] = fmax(lo[j], v[0]);
        hi[j] = fmin(hi[j], v[1]);
        if (!(lo[j] <= hi[j]))
            rc = cli_fail("input %d: the region does not meet --clip [%g, %g]", j, v[0], v[1]);
    }
    if (!rc)
        snprintf(desc + strlen(desc), len - strlen(desc), ", clipped to [%.17g, %.17g]", v[0],
                 v[1]);
    free(v);
    return rc;
}

int export_region(const export_region_args *a, const nnh_network *net, double **lo,
                  double **hi, char *desc, size_t desc_len)
{
    int n = net->n_inputs;
    *lo = malloc((size_t)n * sizeof **lo);
    *hi = malloc((size_t)n * sizeof **hi);
    if (!*lo || !*hi)
        return cli_fail("out of memory");
    desc[0] = '\0';
    int rc = a->spec  ? from_spec(a, net, *lo, *hi, desc, desc_len)
             : a->box ? from_box(a, net, *lo, *hi, desc, desc_len)
                      : from_center(a, net, *lo, *hi, desc, desc_len);
    if (!rc && a->clip)
        rc = clip(a->clip, n, *lo, *hi, desc, desc_len);
    return rc;
}
