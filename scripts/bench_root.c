/* The root of a verify benchmark: load, make the problem, crown
 * (bench_root.h). */
#include "bench_root.h"

#include "nnhull/io.h"
#include "verify_tighten.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int fail(const char *tool, const char *what, const nnh_error *err, bench_root *r)
{
    fprintf(stderr, "%s: %s: %s\n", tool, what, err->msg);
    bench_root_close(r);
    return 1;
}

int bench_root_open(const char *tool, const char *net_path, const char *spec_path, bench_root *r)
{
    nnh_error err;
    memset(r, 0, sizeof *r);
    nnh_load_opts lo;
    nnh_load_opts_init(&lo);
    if (nnh_load_network(net_path, &lo, &r->net, &err))
        return fail(tool, net_path, &err, r);
    if (nnh_load_vnnlib(spec_path, &r->spec, &err))
        return fail(tool, spec_path, &err, r);
    if (nnh_verify_problem_create(r->net, r->spec, &r->P, &err))
        return fail(tool, "problem", &err, r);
    r->N = nnh_verify_group_network(r->P, 0);
    const double *blo, *bhi;
    nnh_verify_group_box(r->P, 0, &blo, &bhi);
    nnh_bound_opts o;
    nnh_bound_opts_init(&o);
    o.method = NNH_METHOD_CROWN;
    if (nnh_bounds_create(r->N, blo, bhi, &r->b, &err))
        return fail(tool, "bounds", &err, r);
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    if (nnh_bounds_compute(r->N, r->b, &o, NULL, NULL, NULL, &err))
        return fail(tool, "crown", &err, r);
    r->crown_cpu = (double)clock() / CLOCKS_PER_SEC - t0;
    return 0;
}

void bench_root_close(bench_root *r)
{
    nnh_bounds_free(r->b);
    nnh_verify_problem_free(r->P);
    nnh_spec_free(r->spec);
    nnh_network_free(r->net);
    memset(r, 0, sizeof *r);
}
