/* The exported model's variables and rows: x, z, a, y with the certified
 * bounds, one affine row per neuron, the 1-D envelope of each nonlinear
 * neuron as tangents/secants within a tolerance, and with --milp the big-M
 * form of every unstable ReLU / leaky ReLU (binaries d_k_i). */
#include "export_internal.h"
#include "nnh_round.h"
#include "nnhull/envelope.h"

#include <math.h>
#include <stdio.h>

#define XM_ENV_MAX 256 /* envelope cuts per neuron and side at most */

int xm_nonlinear(const nnh_network *net, int k)
{
    return net->layers[k].act.kind != NNH_ACT_IDENTITY;
}

static int add_columns(xm *m)
{
    const nnh_network *net = m->net;
    char name[64];
    for (int j = 0; j < net->n_inputs; j++) {
        snprintf(name, sizeof name, "x_%d", j);
        if ((m->x_col[j] = xm_add_col(m, name, m->in_lo[j], m->in_hi[j], 0)) < 0)
            return m->x_col[j];
    }
    for (int k = 0; k < net->n_layers; k++) {
        const nnh_layer_bounds *B = &m->b->layers[k];
        int last = k == net->n_layers - 1;
        for (int i = 0; i < B->width; i++) {
            if (last)
                snprintf(name, sizeof name, "y_%d", i);
            else
                snprintf(name, sizeof name, "z_%d_%d", k, i);
            if ((m->z_col[k][i] = xm_add_col(m, name, B->pre_lo[i], B->pre_hi[i], 0)) < 0)
                return m->z_col[k][i];
            if (!xm_nonlinear(net, k))
                continue;
            snprintf(name, sizeof name, "a_%d_%d", k, i);
            if ((m->a_col[k][i] = xm_add_col(m, name, B->post_lo[i], B->post_hi[i], 0)) < 0)
                return m->a_col[k][i];
        }
    }
    return 0;
}

/* z_k_i - sum_j W_ij a_{k-1,j} = b_i (a ranged row after rounding) */
static int add_affine(xm *m, int k)
{
    const nnh_layer *Ly = &m->net->layers[k];
    const int *prev = k == 0 ? m->x_col : m->a_col[k - 1];
    char name[64];
    for (int i = 0; i < Ly->n_out; i++) {
        for (int j = 0; j < Ly->n_in; j++) {
            m->rcol[j] = prev[j];
            m->rcoef[j] = -Ly->W[(size_t)i * Ly->n_in + j];
        }
        m->rcol[Ly->n_in] = m->z_col[k][i];
        m->rcoef[Ly->n_in] = 1.0;
        snprintf(name, sizeof name, "aff_%d_%d", k, i);
        int rc = xm_add_row(m, name, Ly->n_in + 1, m->rcol, m->rcoef, Ly->b[i], Ly->b[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* the 1-D cuts of one side touch the envelope at pt[0..np) (L and U first) */
typedef struct env_side {
    const nnh_activation *act;
    double L, U;
    int side, np;
    double pt[XM_ENV_MAX], s[XM_ENV_MAX], c[XM_ENV_MAX];
} env_side;

/* gap between the cuts at pt[j], pt[j+1] and the envelope, and where (*t) */
static double side_gap(const env_side *e, int j, double *t)
{
    double p = e->pt[j], q = e->pt[j + 1], ds = e->s[j] - e->s[j + 1];
    double x = fabs(ds) > 1e-12 ? (e->c[j + 1] - e->c[j]) / ds : 0.5 * (p + q);
    if (!(x > p && x < q))
        x = 0.5 * (p + q);
    *t = x;
    double l1 = e->s[j] * x + e->c[j], l2 = e->s[j + 1] * x + e->c[j + 1];
    if (e->side > 0)
        return fmin(l1, l2) - nnh_env1d_upper(e->act, e->L, e->U, x, NULL);
    return nnh_env1d_lower(e->act, e->L, e->U, x, NULL) - fmax(l1, l2);
}

static void side_insert(env_side *e, int at, double t)
{
    for (int q = e->np; q > at; q--) {
        e->pt[q] = e->pt[q - 1];
        e->s[q] = e->s[q - 1];
        e->c[q] = e->c[q - 1];
    }
    e->pt[at] = t;
    nnh_env1d_cut(e->act, e->L, e->U, t, e->side, &e->s[at], &e->c[at]);
    e->np++;
}

/* refine where the gap is largest until it is within tol (or max cuts) */
static double side_refine(env_side *e, double tol, int max_cuts)
{
    e->np = 0;
    side_insert(e, 0, e->L);
    side_insert(e, 1, e->U);
    for (;;) {
        double worst = -INFINITY, t, tw = 0;
        int jw = 0;
        for (int j = 0; j + 1 < e->np; j++) {
            double g = side_gap(e, j, &t);
            if (g > worst) {
                worst = g;
                jw = j;
                tw = t;
            }
        }
        if (worst <= tol || e->np >= max_cuts)
            return fmax(worst, 0.0);
        side_insert(e, jw + 1, tw);
    }
}

/* side > 0: a <= s z + c; side < 0: a >= s z + c (duplicates skipped) */
static int add_envelope(xm *m, int k, int i)
{
    const nnh_layer_bounds *B = &m->b->layers[k];
    env_side e;
    e.act = &m->net->layers[k].act;
    e.L = B->pre_lo[i];
    e.U = B->pre_hi[i];
    if (!(e.L < e.U))
        return 0; /* a fixed z: the column bounds of a say everything */
    int max_cuts = m->o->env_max_cuts < 2 ? 2 : m->o->env_max_cuts;
    if (max_cuts > XM_ENV_MAX)
        max_cuts = XM_ENV_MAX;
    char name[64];
    for (int side = 1; side >= -1; side -= 2) {
        e.side = side;
        double gap = side_refine(&e, m->o->env_tol, max_cuts);
        if (gap > m->info->env_gap)
            m->info->env_gap = gap;
        for (int q = 0; q < e.np; q++) {
            if (q > 0 && e.s[q] == e.s[q - 1] && e.c[q] == e.c[q - 1])
                continue;
            int col[2] = {m->a_col[k][i], m->z_col[k][i]};
            double coef[2] = {1.0, -e.s[q]};
            snprintf(name, sizeof name, "env%c_%d_%d_%d", side > 0 ? 'u' : 'l', k, i, q);
            int rc = xm_add_row(m, name, 2, col, coef, side > 0 ? -INFINITY : e.c[q],
                                side > 0 ? e.c[q] : INFINITY);
            if (rc < 0)
                return rc;
            m->info->env_cuts++;
        }
    }
    return 0;
}

/* unstable ReLU / leaky ReLU (a = max(z, alpha z), L < 0 < U), binary d:
 *   a <= z - M1 (1 - d),  M1 <= (1 - alpha) L   (d = 1 where z >= 0)
 *   a <= alpha z + M2 d,  M2 >= (1 - alpha) U
 * with a >= z and a >= alpha z from the envelope rows. */
static int add_bigm(xm *m, int k, int i)
{
    const nnh_activation *act = &m->net->layers[k].act;
    double L = m->b->layers[k].pre_lo[i], U = m->b->layers[k].pre_hi[i];
    double alpha = act->kind == NNH_ACT_RELU ? 0.0 : act->alpha;
    if (!(L < 0 && U > 0) || alpha >= 1.0)
        return 0;
    double om = nnh_up(1.0 - alpha);
    double M1 = nnh_down(om * L), M2 = nnh_up(om * U);
    char name[64];
    snprintf(name, sizeof name, "d_%d_%d", k, i);
    int d = xm_add_col(m, name, 0.0, 1.0, 1);
    if (d < 0)
        return d;
    m->info->n_binaries++;
    int col[3] = {m->a_col[k][i], m->z_col[k][i], d};
    double c1[3] = {1.0, -1.0, -M1};
    snprintf(name, sizeof name, "bigm1_%d_%d", k, i);
    int rc = xm_add_row(m, name, 3, col, c1, -INFINITY, -M1);
    if (rc < 0)
        return rc;
    double c2[3] = {1.0, -alpha, -M2};
    snprintf(name, sizeof name, "bigm2_%d_%d", k, i);
    rc = xm_add_row(m, name, 3, col, c2, -INFINITY, 0.0);
    return rc < 0 ? rc : 0;
}

int xm_build(xm *m)
{
    const nnh_network *net = m->net;
    int rc = add_columns(m);
    for (int k = 0; !rc && k < net->n_layers; k++) {
        rc = add_affine(m, k);
        if (!xm_nonlinear(net, k))
            continue;
        nnh_act_kind kind = net->layers[k].act.kind;
        int pwl = kind == NNH_ACT_RELU || kind == NNH_ACT_LEAKY_RELU;
        for (int i = 0; !rc && i < net->layers[k].n_out; i++) {
            rc = add_envelope(m, k, i);
            if (!rc && m->o->milp && pwl)
                rc = add_bigm(m, k, i);
            else if (m->o->milp && !pwl)
                m->info->milp_other++;
        }
    }
    m->info->n_cols = glp_get_num_cols(m->P);
    return rc;
}
