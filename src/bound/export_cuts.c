/* The multivariate hull cuts of an exported model: a cut loop on the model
 * itself (for each objective: solve the LP, ask nnh_separate for every
 * nonlinear neuron at the LP point, add the violated cuts, repeat), keeping
 * the cuts that are binding at the end of some objective's loop. Each cut is
 * valid on the certified box of the previous layer, so on the whole model. */
#include "export_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* row i (>= first) of the hull range is to be kept: grow the flags as needed */
static int keep_slot(xm *m, int idx)
{
    if (idx < m->n_keep_cap)
        return 0;
    int cap = m->n_keep_cap ? 2 * m->n_keep_cap : 256;
    while (cap <= idx)
        cap *= 2;
    char *k = realloc(m->keep, (size_t)cap);
    if (!k)
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory (hull cut flags)");
    memset(k + m->n_keep_cap, 0, (size_t)(cap - m->n_keep_cap));
    m->keep = k;
    m->n_keep_cap = cap;
    return 0;
}

/* separate neuron i of layer k at the LP point; 1 when a cut was added */
static int separate_neuron(xm *m, int k, int i, int first)
{
    const nnh_layer *Ly = &m->net->layers[k];
    const nnh_layer_bounds *B = &m->b->layers[k];
    if (!(B->pre_lo[i] < B->pre_hi[i]))
        return 0;
    const int *prev = k == 0 ? m->x_col : m->a_col[k - 1];
    const double *l = k == 0 ? m->in_lo : m->b->layers[k - 1].post_lo;
    const double *u = k == 0 ? m->in_hi : m->b->layers[k - 1].post_hi;
    for (int j = 0; j < Ly->n_in; j++)
        m->xs[j] = glp_get_col_prim(m->P, prev[j]);
    double y = glp_get_col_prim(m->P, m->a_col[k][i]);
    nnh_neuron nr = {&Ly->act, Ly->n_in, Ly->W + (size_t)i * Ly->n_in, l, u, Ly->b[i]};
    nnh_cut cut;
    int rc = nnh_separate(&nr, m->xs, y, m->o->cut_tol, m->cut_a, &cut, &m->ws);
    if (rc < 0)
        return nnh_error_set(m->err, rc, "layer %d, neuron %d: separation failed", k, i);
    if (cut.sense == 0)
        return 0;
    m->rcol[0] = m->a_col[k][i];
    m->rcoef[0] = 1.0;
    for (int j = 0; j < Ly->n_in; j++) {
        m->rcol[1 + j] = prev[j];
        m->rcoef[1 + j] = -m->cut_a[j];
    }
    char name[64];
    snprintf(name, sizeof name, "hull_%d_%d_%ld", k, i, m->info->hull_found);
    rc = xm_add_row(m, name, Ly->n_in + 1, m->rcol, m->rcoef, cut.sense > 0 ? -INFINITY : cut.c,
                    cut.sense > 0 ? cut.c : INFINITY);
    if (rc == NNH_EUNSUPPORTED) { /* beyond the model's scale: the cut is optional */
        nnh_error_clear(m->err);
        return 0;
    }
    if (rc < 0)
        return rc;
    m->info->hull_found++;
    return keep_slot(m, rc - first) < 0 ? NNH_ENOMEM : 1;
}

static int separate_all(xm *m, int first)
{
    int added = 0;
    for (int k = 0; k < m->net->n_layers; k++) {
        if (!xm_nonlinear(m->net, k))
            continue;
        for (int i = 0; i < m->net->layers[k].n_out; i++) {
            int rc = separate_neuron(m, k, i, first);
            if (rc < 0)
                return rc;
            added += rc;
        }
    }
    return added;
}

static void set_objective(xm *m, int col, int sense)
{
    for (int j = 1; j <= glp_get_num_cols(m->P); j++)
        glp_set_obj_coef(m->P, j, 0.0);
    if (col > 0)
        glp_set_obj_coef(m->P, col, 1.0);
    glp_set_obj_dir(m->P, sense > 0 ? GLP_MAX : GLP_MIN);
}

/* rounds on one objective; marks the hull rows binding at the last optimum */
static int loop_objective(xm *m, int first, glp_smcp *parm)
{
    int optimal = 0;
    for (int r = 0; r <= m->o->cut_rounds; r++) {
        /* a new objective keeps the basis primal feasible, new cuts dual feasible */
        parm->meth = r == 0 ? GLP_PRIMAL : GLP_DUALP;
        int rc = glp_simplex(m->P, parm);
        if (rc == GLP_EBADB || rc == GLP_ESING || rc == GLP_ECOND) { /* fresh start */
            glp_std_basis(m->P);
            rc = glp_simplex(m->P, parm);
        }
        if (rc != 0 || glp_get_status(m->P) != GLP_OPT) {
            optimal = 0;
            break;
        }
        m->info->lp_solves++;
        optimal = 1;
        if (r == m->o->cut_rounds)
            break;
        int added = separate_all(m, first);
        if (added < 0)
            return added;
        if (added == 0)
            break;
    }
    for (int i = first; optimal && i <= glp_get_num_rows(m->P); i++)
        if (glp_get_row_stat(m->P, i) != GLP_BS)
            m->keep[i - first] = 1;
    return 0;
}

/* delete the hull rows (from first) no objective has used so far; the rest
 * are renumbered and stay kept. Only basic rows go, so the basis stays valid. */
static void drop_unused(xm *m, int first)
{
    int last = glp_get_num_rows(m->P), n_del = 0;
    for (int i = first; i <= last; i++)
        n_del += !m->keep[i - first];
    if (n_del > 0 && n_del <= m->cap) {
        n_del = 0;
        for (int i = first; i <= last; i++)
            if (!m->keep[i - first])
                m->ind[++n_del] = i; /* xm_add_row's scratch is free here */
        glp_del_rows(m->P, n_del, m->ind);
    } else if (n_del > 0) {
        for (int i = last; i >= first; i--)
            if (!m->keep[i - first]) {
                int one[2] = {0, i};
                glp_del_rows(m->P, 1, one);
            }
    }
    int kept = last - first + 1 - n_del;
    memset(m->keep, 1, (size_t)kept);
    memset(m->keep + kept, 0, (size_t)(m->n_keep_cap - kept));
}

int xm_hull_cuts(xm *m, int obj_col, int obj_sense)
{
    int first = glp_get_num_rows(m->P) + 1, L = m->net->n_layers;
    int n_obj = obj_col > 0 ? 1 : 2 * m->net->layers[L - 1].n_out;
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    glp_scale_prob(m->P, GLP_SF_AUTO);
    int rc = keep_slot(m, 0);
    for (int t = 0; !rc && t < n_obj; t++) {
        if (obj_col > 0)
            set_objective(m, obj_col, obj_sense);
        else
            set_objective(m, m->z_col[L - 1][t / 2], t % 2 ? 1 : -1);
        rc = loop_objective(m, first, &parm);
        if (!rc) /* the LPs of later objectives stay small */
            drop_unused(m, first);
    }
    glp_unscale_prob(m->P);
    m->info->hull_cuts = glp_get_num_rows(m->P) - first + 1;
    return rc;
}
