/* Neuron splits as linear constraints on the input, for the proof of a case
 * on a region with splits. A split neuron's interval [l, u] holds on the
 * region's domain, and crown gives linear forms L(x) <= z(x) <= U(x) there,
 * so every input of the domain meets L(x) - u <= 0 and l - U(x) <= 0.
 * A case (a conjunction of rows <= 0) is then infeasible on the domain when
 * min over the box of max(rows' lower forms, those constraint forms) > 0:
 * the joint bound of verify_joint.c with the constraints as extra rows. Its
 * multipliers play the part of beta-CROWN's per-split multipliers (any
 * value >= 0 gives a valid bound), here chosen by the small LP. Without it
 * a region whose neurons are all stable is bounded on the whole box. */
#include "verify_internal.h"
#include "bab_split.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The distinct split neurons of R into lay/neu; returns their number. */
static int split_neurons(const nnh_bab_region *R, int *lay, int *neu)
{
    int n = 0;
    for (int t = 0; t < R->n_splits; t++) {
        int seen = 0;
        for (int q = 0; q < n && !seen; q++)
            seen = lay[q] == R->splits[t].layer && neu[q] == R->splits[t].neuron;
        if (!seen) {
            lay[n] = R->splits[t].layer;
            neu[n++] = R->splits[t].neuron;
        }
    }
    return n;
}

/* Lower and upper crown forms of the split neurons into rows of A/c: for
 * neuron q, row 2q is L_q(x) - u_q and row 2q+1 is l_q - U_q(x), constants
 * rounded down (so the forms stay <= 0 on the domain); an infinite end
 * gives a row that is left out (*use = 0). One crown call per layer for
 * all its split neurons (the layers below are relaxed once per call).
 * tmp: 2 (ns n + ns + 2 n) doubles, sel: ns ints. Returns 1 when a
 * neuron's bounds came out empty, 0, or an error. */
static int constraint_forms(const nnh_network *N, nnh_bounds *b, int ns, const int *lay,
                            const int *neu, int n, double *A, double *c, unsigned char *use,
                            double *tmp, int *sel, nnh_error *err)
{
    size_t fs = (size_t)ns * n + ns + 2 * (size_t)n;
    double *up0 = tmp + fs;
    nnh_crown_forms lo = {tmp, tmp + (size_t)ns * n, tmp + (size_t)ns * n + ns,
                          tmp + (size_t)ns * n + ns + n};
    nnh_crown_forms up = {up0, up0 + (size_t)ns * n, up0 + (size_t)ns * n + ns,
                          up0 + (size_t)ns * n + ns + n};
    for (int k = 0; k < N->n_layers; k++) {
        int m = 0;
        for (int q = 0; q < ns; q++)
            if (lay[q] == k)
                sel[m++] = neu[q];
        if (!m)
            continue;
        int rc = nnh_crown_layer_forms(N, b, k, sel, m, &lo, &up, err);
        if (rc)
            return rc;
        const nnh_layer_bounds *L = &b->layers[k];
        for (int q = 0, t = 0; q < ns; q++) {
            if (lay[q] != k)
                continue;
            double l = L->pre_lo[neu[q]], u = L->pre_hi[neu[q]];
            if (l > u)
                return 1;
            memcpy(A + (size_t)(2 * q) * n, lo.A + (size_t)t * n, (size_t)n * sizeof(double));
            c[2 * q] = nnh_down(lo.c[t] - u);
            for (int j = 0; j < n; j++)
                A[(size_t)(2 * q + 1) * n + j] = -up.A[(size_t)t * n + j];
            c[2 * q + 1] = nnh_down(l - up.c[t]);
            use[2 * q] = isfinite(c[2 * q]);
            use[2 * q + 1] = isfinite(c[2 * q + 1]);
            t++;
        }
    }
    return 0;
}

int nnh_split_joint(const nnh_verify_problem *P, const nnh_bab_region *R, nnh_bounds *b,
                    const nnh_crown_forms *F, const double *cc, nnh_region_result *res,
                    nnh_error *err)
{
    const nnh_verify_group *G = &P->groups[R->group];
    int n = P->n_in, nr = G->n_rows, lay[NNH_BAB_MAX_SPLITS], neu[NNH_BAB_MAX_SPLITS];
    int ns = split_neurons(R, lay, neu), m = nr + 2 * ns;
    if (ns == 0)
        return NNH_OK;
    size_t fs = 2 * ((size_t)ns * n + ns + 2 * (size_t)n);
    double *A = malloc(((size_t)m * n + m + fs + m) * sizeof(double));
    int *rows = malloc(((size_t)m + ns) * sizeof(int));
    unsigned char *use = malloc((size_t)2 * ns);
    nnh_small_lp *S = nnh_small_lp_new(n);
    int rc = 0;
    if (!A || !rows || !use || !S)
        rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory (split constraints)");
    double *c = A ? A + (size_t)m * n : NULL, *tmp = c ? c + m : NULL;
    double *lam = tmp ? tmp + fs : NULL;
    if (!rc) {
        memcpy(A, F->A, (size_t)nr * n * sizeof(double));
        memcpy(c, cc, (size_t)nr * sizeof(double));
        rc = constraint_forms(G->folded, b, ns, lay, neu, n, A + (size_t)nr * n, c + nr, use,
                              tmp, rows + m, err);
        if (rc == 1) { /* no input of the box meets the splits */
            memset(res->closed, 1, (size_t)G->n_cases);
            res->status = NNH_REGION_UNSAT;
            rc = 0;
        } else if (!rc) {
            int all = 1;
            for (int k = 0; k < G->n_cases; k++) {
                if (!R->active[k] || res->closed[k])
                    continue;
                int t = 0;
                for (int r = G->row0[k]; r < G->row0[k + 1]; r++)
                    rows[t++] = r;
                for (int q = 0; q < 2 * ns; q++)
                    if (use[q])
                        rows[t++] = nr + q;
                if (nnh_joint_lower(A, c, rows, t, n, F->in_lo, F->in_hi, S, lam) > 0.0)
                    res->closed[k] = 1;
                else
                    all = 0;
            }
            if (all)
                res->status = NNH_REGION_UNSAT;
        }
    }
    free(A);
    free(rows);
    free(use);
    nnh_small_lp_free(S);
    return rc;
}
