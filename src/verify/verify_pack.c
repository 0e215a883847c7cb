/* Byte serialization of branch-and-bound regions and their results (see
 * verify.h), so that an MPI master can hand a region to another rank and
 * take its result back bit for bit. No MPI here. */
#include "verify_internal.h"
#include "verify_pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REGION_MAGIC 0x4e4e4852 /* "NNHR" */
#define RESULT_MAGIC 0x4e4e4858 /* "NNHX" */

/* optional bounds of group g's folded network: a flag, then the bounds */
static void pack_opt_bounds(const nnh_bounds *b, nnh_pack *p)
{
    nnh_pack_int(p, b != NULL);
    if (b)
        nnh_bounds_pack(b, p);
}

static int unpack_opt_bounds(const nnh_verify_problem *P, int g, nnh_unpack *u, nnh_bounds **b,
                             nnh_error *err)
{
    *b = NULL;
    int has = nnh_unpack_int(u);
    if (u->failed || !has)
        return NNH_OK;
    int rc = nnh_bounds_create(P->groups[g].folded, NULL, NULL, b, err);
    if (!rc)
        rc = nnh_bounds_unpack(u, *b, err);
    if (rc) {
        nnh_bounds_free(*b);
        *b = NULL;
    }
    return rc;
}

/* a region's neuron splits: their number, then (layer, neuron, lo, hi) each */
static void pack_splits(const nnh_bab_region *R, nnh_pack *p)
{
    nnh_pack_int(p, R->n_splits);
    for (int t = 0; t < R->n_splits; t++) {
        nnh_pack_int(p, R->splits[t].layer);
        nnh_pack_int(p, R->splits[t].neuron);
        nnh_pack_double(p, R->splits[t].lo);
        nnh_pack_double(p, R->splits[t].hi);
    }
}

/* 1 when (layer, neuron) names a hidden neuron of group g's folded network */
static int hidden_neuron(const nnh_verify_problem *P, int g, int layer, int neuron)
{
    const nnh_network *N = P->groups[g].folded;
    return layer >= 0 && layer < N->n_layers - 1 && neuron >= 0 &&
           neuron < N->layers[layer].n_out;
}

static int unpack_splits(const nnh_verify_problem *P, nnh_unpack *u, nnh_bab_region *R)
{
    int n = nnh_unpack_int(u);
    if (u->failed || n < 0 || n > NNH_BAB_MAX_SPLITS)
        return -1;
    if (n == 0)
        return 0;
    R->splits = malloc((size_t)n * sizeof *R->splits);
    if (!R->splits)
        return -1;
    R->n_splits = n;
    for (int t = 0; t < n; t++) {
        nnh_neuron_split *s = &R->splits[t];
        s->layer = nnh_unpack_int(u);
        s->neuron = nnh_unpack_int(u);
        s->lo = nnh_unpack_double(u);
        s->hi = nnh_unpack_double(u);
        if (u->failed || !hidden_neuron(P, R->group, s->layer, s->neuron))
            return -1;
    }
    return 0;
}

void nnh_bab_region_pack(const nnh_verify_problem *P, const nnh_bab_region *R, nnh_pack *p)
{
    nnh_pack_int(p, REGION_MAGIC);
    nnh_pack_int(p, R->group);
    nnh_pack_int(p, R->depth);
    nnh_pack_double(p, R->priority);
    nnh_pack_doubles(p, R->lo, (size_t)P->n_in);
    nnh_pack_doubles(p, R->hi, (size_t)P->n_in);
    nnh_pack_bytes(p, R->active, (size_t)P->groups[R->group].n_cases);
    pack_opt_bounds(R->hint, p);
    pack_splits(R, p);
}

int nnh_bab_region_unpack(const nnh_verify_problem *P, nnh_unpack *u, nnh_bab_region **out,
                          nnh_error *err)
{
    *out = NULL;
    int magic = nnh_unpack_int(u), g = nnh_unpack_int(u);
    if (u->failed || magic != REGION_MAGIC || g < 0 || g >= P->n_groups)
        return nnh_error_set(err, NNH_EPARSE, "packed region: bad header");
    nnh_bab_region *R = nnh_bab_root(P, g);
    if (!R)
        return nnh_error_set(err, NNH_ENOMEM, "packed region: out of memory");
    R->depth = nnh_unpack_int(u);
    R->priority = nnh_unpack_double(u);
    nnh_unpack_doubles(u, R->lo, (size_t)P->n_in);
    nnh_unpack_doubles(u, R->hi, (size_t)P->n_in);
    nnh_unpack_bytes(u, R->active, (size_t)P->groups[g].n_cases);
    int rc = unpack_opt_bounds(P, g, u, &R->hint, err);
    if (!rc && unpack_splits(P, u, R))
        rc = nnh_error_set(err, NNH_EPARSE, "packed region: bad neuron splits");
    if (!rc && u->failed)
        rc = nnh_error_set(err, NNH_EPARSE, "packed region: truncated");
    if (rc) {
        nnh_bab_region_free(R);
        return rc;
    }
    *out = R;
    return NNH_OK;
}

void nnh_region_result_pack(const nnh_verify_problem *P, int g, const nnh_region_result *r,
                            nnh_pack *p)
{
    nnh_pack_int(p, RESULT_MAGIC);
    nnh_pack_int(p, (int)r->status);
    nnh_pack_int(p, r->cex_case);
    nnh_pack_doubles(p, r->x, (size_t)P->n_in);
    nnh_pack_doubles(p, r->y, (size_t)P->n_out);
    nnh_pack_bytes(p, r->closed, (size_t)P->groups[g].n_cases);
    nnh_pack_int(p, r->split_dim);
    nnh_pack_int(p, r->split_layer);
    nnh_pack_int(p, r->split_neuron);
    nnh_pack_double(p, r->split_at);
    nnh_pack_double(p, r->min_margin);
    nnh_pack_double(p, r->best_lb);
    nnh_pack_int(p, r->escalated);
    nnh_pack_double(p, r->seconds_falsify);
    nnh_pack_double(p, r->seconds_bounds);
    pack_opt_bounds(r->status == NNH_REGION_OPEN ? r->bounds : NULL, p);
}

int nnh_region_result_unpack(const nnh_verify_problem *P, int g, nnh_unpack *u,
                             nnh_region_result *r, nnh_error *err)
{
    if (nnh_unpack_int(u) != RESULT_MAGIC || g < 0 || g >= P->n_groups)
        return nnh_error_set(err, NNH_EPARSE, "packed region result: bad header");
    int status = nnh_unpack_int(u);
    if (status < NNH_REGION_UNSAT || status > NNH_REGION_STUCK)
        u->failed = 1;
    r->status = (nnh_region_status)status;
    r->cex_case = nnh_unpack_int(u);
    nnh_unpack_doubles(u, r->x, (size_t)P->n_in);
    nnh_unpack_doubles(u, r->y, (size_t)P->n_out);
    nnh_unpack_bytes(u, r->closed, (size_t)P->groups[g].n_cases);
    r->split_dim = nnh_unpack_int(u);
    r->split_layer = nnh_unpack_int(u);
    r->split_neuron = nnh_unpack_int(u);
    r->split_at = nnh_unpack_double(u);
    r->min_margin = nnh_unpack_double(u);
    r->best_lb = nnh_unpack_double(u);
    r->escalated = nnh_unpack_int(u);
    r->seconds_falsify = nnh_unpack_double(u);
    r->seconds_bounds = nnh_unpack_double(u);
    nnh_bounds_free(r->bounds);
    int rc = unpack_opt_bounds(P, g, u, &r->bounds, err);
    int input = r->split_dim >= 0 && r->split_dim < P->n_in && r->split_layer < 0;
    int neuron = r->split_dim == -1 && hidden_neuron(P, g, r->split_layer, r->split_neuron) &&
                 isfinite(r->split_at);
    if (!rc && (u->failed || (r->status == NNH_REGION_OPEN && !input && !neuron)))
        rc = nnh_error_set(err, NNH_EPARSE, "packed region result: truncated or inconsistent");
    return rc;
}
