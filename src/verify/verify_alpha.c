/* alpha-CROWN inside verify: the `--alpha` mode and the optimisation of
 * crown's lower slopes for the property rows of a region that plain crown
 * left open (the optimiser itself is src/bound/crown_alpha.c). */
#include "verify_internal.h"

#include "nnhull/bounds.h"
#include "crown_slopes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *nnh_alpha_mode_name(int a)
{
    switch (a) {
    case NNH_ALPHA_OFF: return "off";
    case NNH_ALPHA_ROOT: return "root";
    case NNH_ALPHA_ON: return "on";
    case NNH_ALPHA_AUTO: return "auto";
    }
    return "?";
}

int nnh_alpha_mode_parse(const char *name, int *a)
{
    static const int modes[] = {NNH_ALPHA_OFF, NNH_ALPHA_ROOT, NNH_ALPHA_ON, NNH_ALPHA_AUTO};
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, nnh_alpha_mode_name(modes[i])) == 0) {
            *a = modes[i];
            return NNH_OK;
        }
    return NNH_EINVAL;
}

int nnh_alpha_mode_resolve(const nnh_verify_opts *o, int n_in)
{
    if (o->method == NNH_METHOD_IBP || o->alpha_opts.iters <= 0)
        return NNH_ALPHA_OFF;
    if (o->alpha == NNH_ALPHA_AUTO)
        return nnh_split_mode_resolve(o->split, n_in) == NNH_SPLIT_ACTIVATION ? NNH_ALPHA_ON
                                                                              : NNH_ALPHA_OFF;
    return o->alpha;
}

/* 1 when a hidden layer of N has lower slopes to choose (ReLU-like). */
static int has_slopes(const nnh_network *N)
{
    for (int l = 0; l + 1 < N->n_layers; l++) {
        double smin, smax;
        if (nnh_crown_slope_range(&N->layers[l].act, -1.0, 1.0, &smin, &smax))
            return 1;
    }
    return 0;
}

int nnh_verify_alpha(const nnh_verify_problem *P, const nnh_verify_group *G,
                     const nnh_bab_region *R, const nnh_verify_opts *o, double deadline,
                     nnh_bounds *b, nnh_crown_forms *F, const nnh_region_result *res,
                     nnh_error *err)
{
    const nnh_network *N = G->folded;
    int k = N->n_layers - 1, n_in = P->n_in, n = 0;
    if (k < 1 || !has_slopes(N))
        return NNH_OK; /* no hidden ReLU-like layer: nothing to choose */
    size_t nr = (size_t)G->n_rows;
    int *rows = malloc((nr + 1) * sizeof(int));
    double *buf = malloc((nr * ((size_t)n_in + 2) + 2 * (size_t)n_in + 1) * sizeof(double));
    if (!rows || !buf) {
        free(rows);
        free(buf);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (alpha-crown)");
    }
    nnh_layer_bounds *last = &b->layers[k];
    for (int c = 0; c < G->n_cases; c++)
        for (int r = G->row0[c]; r < G->row0[c + 1] && R->active[c] && !res->closed[c]; r++)
            rows[n++] = r;
    double *lo = buf, *A = lo + nr, *cc = A + nr * (size_t)n_in, *box = cc + nr;
    nnh_crown_forms out = {A, cc, box, box + n_in};
    nnh_alpha_opts ao = o->alpha_opts;
    ao.deadline = deadline;
    int rc = n ? nnh_crown_alpha_rows(N, b, k, rows, n, &ao, lo, &out, err) : 0;
    for (int t = 0; t < n && !rc; t++) {
        int r = rows[t];
        if (!(lo[t] > last->pre_lo[r]))
            continue;
        last->pre_lo[r] = lo[t];
        memcpy(F->A + (size_t)r * n_in, A + (size_t)t * n_in, (size_t)n_in * sizeof(double));
        F->c[r] = cc[t];
    }
    if (!rc && n)
        nnh_bounds_post_from_pre(N, b, k);
    free(rows);
    free(buf);
    return rc;
}

int nnh_verify_alpha_layers(const nnh_verify_group *G, const nnh_verify_opts *o, nnh_bounds *b,
                            double deadline, nnh_error *err)
{
    const nnh_network *N = G->folded;
    if (!has_slopes(N))
        return NNH_OK;
    int *sel = malloc(((size_t)nnh_network_max_width(N) + 1) * sizeof(int)), rc = 0, ran = 0;
    nnh_alpha_opts ao = o->alpha_opts;
    ao.deadline = deadline;
    if (!sel)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (alpha-crown)");
    for (int l = 1; l < N->n_layers - 1 && !rc; l++) {
        if (deadline > 0 && nnh_now() > deadline)
            break;
        const nnh_layer_bounds *L = &b->layers[l];
        double smin, smax;
        int n = 0;
        for (int i = 0; i < L->width; i++)
            if (nnh_crown_slope_range(&N->layers[l].act, L->pre_lo[i], L->pre_hi[i], &smin,
                                      &smax))
                sel[n++] = i;
        if (n) {
            rc = nnh_crown_alpha_layer(N, b, l, sel, n, &ao, err);
            ran = 1;
        }
    }
    free(sel);
    return rc ? rc : ran;
}
