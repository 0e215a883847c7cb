/* Region of `nnhull export` (export_region.h): the first box that
 * cli_build_regions gives (a VNNLIB property's first input box, a box file,
 * or center +/- eps with its ends rounded outward, then --clip), and a
 * one-line description of it for the file's header. */
#include "export_region.h"

#include "cli_common.h"
#include "cli_region.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void describe(const export_region_args *a, double eps, int n_boxes, char *desc,
                     size_t len)
{
    if (a->spec)
        snprintf(desc, len, "input box 1 of %d of %s (output constraints not included)", n_boxes,
                 a->spec);
    else if (a->box)
        snprintf(desc, len, "box file %s", a->box);
    else
        snprintf(desc, len, "L-infinity ball of radius %.17g around --center %.80s%s", eps,
                 a->center, strlen(a->center) > 80 ? "..." : "");
    if (a->clip)
        snprintf(desc + strlen(desc), len - strlen(desc), ", clipped to %s", a->clip);
}

int export_region(const export_region_args *a, const nnh_network *net, double **lo,
                  double **hi, char *desc, size_t desc_len)
{
    double eps = 0;
    if (a->eps) {
        char *end;
        eps = strtod(a->eps, &end);
        if (end == a->eps || *end || !isfinite(eps) || eps < 0)
            return cli_fail("--eps: '%s' is not a finite number >= 0", a->eps);
    }
    cli_region_args ra = {"export", a->net_path, a->spec, a->box, a->center, eps, a->clip, 0};
    cli_regions g = {0, 0, NULL, NULL};
    int rc = cli_build_regions(&ra, net, &g);
    if (!rc && g.R < 1)
        rc = cli_fail("%s: the property's region is empty (no case left)", a->spec);
    if (!rc)
        describe(a, eps, g.R, desc, desc_len);
    *lo = g.lo; /* the first box leads the row-major arrays */
    *hi = g.hi;
    return rc;
}
