/* Preparing a property for verification: cases grouped by their input box,
 * and per group a network copy whose outputs are the property rows
 * z_r = c_r^T y - d_r, with a rigorous bound on the rounding error of folding
 * the rows into the last affine layer. */
#include "verify_internal.h"
#include "bab_split.h"

#include "grad.h"
#include "nnh_round.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *nnh_verdict_name(nnh_verdict v)
{
    switch (v) {
    case NNH_VERDICT_UNSAT: return "unsat";
    case NNH_VERDICT_SAT: return "sat";
    case NNH_VERDICT_UNKNOWN: return "unknown";
    case NNH_VERDICT_TIMEOUT: return "timeout";
    }
    return "unknown";
}

/* Rows of every case of group g stacked: C (n_rows x n_out) and d. */
static void stack_rows(const nnh_spec *s, const nnh_verify_group *G, double *C, double *d)
{
    for (int c = 0; c < G->n_cases; c++) {
        const nnh_spec_case *sc = &s->cases[G->cases[c]];
        if (sc->n_ineq == 0)
            continue;
        memcpy(C + (size_t)G->row0[c] * s->n_out, sc->C,
               (size_t)sc->n_ineq * s->n_out * sizeof(double));
        memcpy(d + G->row0[c], sc->d, (size_t)sc->n_ineq * sizeof(double));
    }
}

/* Last layer is affine: W' = C W, b' = C b - d, and the worst error of each
 * computed entry (recursive summation, nnh_dot_error) goes into E and e. */
static int fold_rows(nnh_verify_group *G, const double *C, const double *d, int n_out,
                     nnh_error *err)
{
    nnh_layer *L = &G->folded->layers[G->folded->n_layers - 1];
    int n = L->n_in, m = G->n_rows;
    int rc = nnh_layer_make_dense(L, err); /* an output layer: few rows */
    if (rc)
        return rc;
    double *W = calloc((size_t)m * n, sizeof(double)), *b = calloc((size_t)m, sizeof(double));
    G->E = calloc((size_t)m * n, sizeof(double));
    G->e = calloc((size_t)m, sizeof(double));
    if (!W || !b || !G->E || !G->e) {
        free(W);
        free(b);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory folding property rows");
    }
    for (int r = 0; r < m; r++) {
        const double *c = C + (size_t)r * n_out;
        for (int j = 0; j < n; j++) {
            double s = 0.0, a = 0.0;
            for (int i = 0; i < n_out; i++) {
                s += c[i] * L->W[(size_t)i * n + j];
                a += fabs(c[i] * L->W[(size_t)i * n + j]);
            }
            W[(size_t)r * n + j] = s;
            G->E[(size_t)r * n + j] = nnh_dot_error(n_out, nnh_up(a));
        }
        double s = -d[r], a = fabs(d[r]);
        for (int i = 0; i < n_out; i++) {
            s += c[i] * L->b[i];
            a += fabs(c[i] * L->b[i]);
        }
        b[r] = s;
        G->e[r] = nnh_dot_error(n_out + 1, nnh_up(a));
    }
    free(L->W);
    free(L->b);
    L->W = W;
    L->b = b;
    L->n_out = m;
    G->fold_k = G->folded->n_layers - 2;
    return NNH_OK;
}

/* Last layer has an activation: append the exact affine layer (C, -d). */
static int append_rows(nnh_verify_group *G, const double *C, const double *d, int n_out,
                       nnh_error *err)
{
    nnh_network *N = G->folded;
    nnh_layer *ls = realloc(N->layers, ((size_t)N->n_layers + 1) * sizeof *ls);
    if (!ls)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    N->layers = ls;
    nnh_layer *L = &ls[N->n_layers];
    memset(L, 0, sizeof *L);
    N->n_layers++;
    L->n_in = n_out;
    L->n_out = G->n_rows;
    nnh_act_default(&L->act, NNH_ACT_IDENTITY);
    L->W = malloc((size_t)G->n_rows * n_out * sizeof(double));
    L->b = malloc((size_t)G->n_rows * sizeof(double));
    if (!L->W || !L->b)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    memcpy(L->W, C, (size_t)G->n_rows * n_out * sizeof(double));
    for (int r = 0; r < G->n_rows; r++)
        L->b[r] = -d[r]; /* negation is exact */
    G->fold_k = -2;      /* no fold error */
    return NNH_OK;
}

static int build_group_net(const nnh_verify_problem *P, nnh_verify_group *G, nnh_error *err)
{
    int n_out = P->n_out, rows = G->n_rows > 0 ? G->n_rows : 1;
    double *C = calloc((size_t)rows * n_out, sizeof(double)), *d = calloc((size_t)rows, sizeof(double));
    int rc = (!C || !d) ? nnh_error_set(err, NNH_ENOMEM, "verify: out of memory") : 0;
    if (!rc) {
        stack_rows(P->spec, G, C, d);
        /* The reader rounds a decimal literal to the nearest double; one ulp
         * up enlarges the proven region c^T y <= d past the exact decimal.
         * A zero is exact (the reader refuses literals that round to zero)
         * and stays: one ulp up would be a subnormal bias. */
        for (int r = 0; r < G->n_rows; r++)
            d[r] = d[r] != 0.0 ? nnh_up(d[r]) : d[r];
        G->n_rows = rows; /* a group without rows gets one zero row no case owns */
        rc = nnh_network_copy(P->net, &G->folded, err);
    }
    if (!rc) {
        const nnh_layer *last = &P->net->layers[P->net->n_layers - 1];
        rc = last->act.kind == NNH_ACT_IDENTITY ? fold_rows(G, C, d, n_out, err)
                                                 : append_rows(G, C, d, n_out, err);
    }
    free(C);
    free(d);
    return rc;
}

static int make_groups(nnh_verify_problem *P, nnh_error *err)
{
    const nnh_spec *s = P->spec;
    int nb = 0, *box_of = NULL;
    double *blo = NULL, *bhi = NULL;
    int rc = nnh_spec_boxes(s, &nb, &blo, &bhi, &box_of, err);
    free(blo);
    free(bhi);
    if (rc)
        return rc;
    P->groups = calloc((size_t)nb, sizeof *P->groups);
    if (!P->groups && nb > 0) {
        free(box_of);
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    }
    P->n_groups = nb;
    for (int g = 0; g < nb && !rc; g++) {
        nnh_verify_group *G = &P->groups[g];
        G->cases = malloc((size_t)s->n_cases * sizeof(int));
        G->row0 = malloc(((size_t)s->n_cases + 1) * sizeof(int));
        if (!G->cases || !G->row0) {
            rc = nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
            break;
        }
        G->row0[0] = 0;
        for (int k = 0; k < s->n_cases; k++) {
            if (box_of[k] != g)
                continue;
            if (G->n_cases == 0) {
                G->lo = s->cases[k].lower;
                G->hi = s->cases[k].upper;
            }
            G->cases[G->n_cases] = k;
            G->row0[G->n_cases + 1] = G->row0[G->n_cases] + s->cases[k].n_ineq;
            G->n_cases++;
        }
        G->n_rows = G->row0[G->n_cases];
        rc = build_group_net(P, G, err);
        if (!rc) {
            size_t w = nnh_grad_workspace(G->folded);
            if (w > P->grad_work)
                P->grad_work = w;
        }
    }
    free(box_of);
    return rc;
}

int nnh_verify_problem_create(const nnh_network *net, const nnh_spec *spec,
                              nnh_verify_problem **out, nnh_error *err)
{
    *out = NULL;
    if (spec->n_in != net->n_inputs || spec->n_out != nnh_network_n_outputs(net))
        return nnh_error_set(err, NNH_EINVAL,
                             "verify: property has %d inputs and %d outputs, network %d and %d",
                             spec->n_in, spec->n_out, net->n_inputs,
                             nnh_network_n_outputs(net));
    nnh_verify_problem *P = calloc(1, sizeof *P);
    if (!P)
        return nnh_error_set(err, NNH_ENOMEM, "verify: out of memory");
    P->net = net;
    P->spec = spec;
    P->n_in = spec->n_in;
    P->n_out = spec->n_out;
    int rc = spec->n_cases > 0 ? make_groups(P, err) : 0;
    if (rc) {
        nnh_verify_problem_free(P);
        return rc;
    }
    *out = P;
    return NNH_OK;
}

void nnh_verify_problem_free(nnh_verify_problem *P)
{
    if (!P)
        return;
    for (int g = 0; g < P->n_groups; g++) {
        nnh_verify_group *G = &P->groups[g];
        free(G->cases);
        free(G->row0);
        nnh_network_free(G->folded);
        free(G->E);
        free(G->e);
    }
    free(P->groups);
    free(P);
}

int nnh_verify_problem_groups(const nnh_verify_problem *P) { return P->n_groups; }

int nnh_verify_group_cases(const nnh_verify_problem *P, int g) { return P->groups[g].n_cases; }

void nnh_verify_group_box(const nnh_verify_problem *P, int g, const double **lo, const double **hi)
{
    *lo = P->groups[g].lo;
    *hi = P->groups[g].hi;
}

int nnh_verify_recheck(const nnh_verify_problem *P, int k, const double *x, double *y)
{
    if (nnh_network_eval(P->net, x, y, NULL))
        return 0;
    for (int j = 0; j < P->n_out; j++)
        if (!isfinite(y[j]))
            return 0;
    return nnh_spec_case_holds(P->spec, k, x, y, 0.0);
}

unsigned long long nnh_region_seed(const nnh_verify_problem *P, const nnh_bab_region *R,
                                   unsigned long long seed)
{
    unsigned long long h = seed ^ 0x6A09E667F3BCC909ULL ^ (unsigned long long)R->group;
    for (int j = 0; j < P->n_in; j++) {
        unsigned long long a, b;
        memcpy(&a, &R->lo[j], sizeof a);
        memcpy(&b, &R->hi[j], sizeof b);
        h = (h ^ a) * 0x100000001B3ULL;
        h = (h ^ b) * 0x100000001B3ULL;
    }
    return nnh_splits_seed(R, h);
}
