/* nnh_export_write: builds the exported model (export_model.c, cut loop in
 * export_cuts.c) inside one GLPK guard, sets the objective, writes it with
 * GLPK's LP or MPS writer and describes it in info->notes. */
#include "export_internal.h"
#include "glpk_guard.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nnh_export_opts_init(nnh_export_opts *o)
{
    o->format = NNH_EXPORT_LP;
    o->milp = 0;
    o->hull_cuts = 0;
    o->env_tol = 1e-4;
    o->env_max_cuts = 32;
    o->cut_rounds = 5;
    o->cut_tol = 1e-6;
    o->objective_sense = 0;
    o->objective = NULL;
}

const char *nnh_export_format_name(nnh_export_format f)
{
    return f == NNH_EXPORT_MPS ? "mps" : "lp";
}

int nnh_export_format_parse(const char *name, nnh_export_format *f)
{
    if (!strcmp(name, "lp"))
        *f = NNH_EXPORT_LP;
    else if (!strcmp(name, "mps"))
        *f = NNH_EXPORT_MPS;
    else
        return NNH_EINVAL;
    return NNH_OK;
}

static void note(nnh_export_info *info, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(nnh_export_info *info, const char *fmt, ...)
{
    size_t len = strlen(info->notes);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(info->notes + len, sizeof info->notes - len, fmt, ap);
    va_end(ap);
}

static void describe(const xm *m, const char *path_kind)
{
    nnh_export_info *in = m->info;
    const nnh_export_opts *o = m->o;
    note(in, "variables: x_j inputs (after the network's input clamp, if any); z_k_i, a_k_i\n"
             "  pre- and post-activation of neuron i of layer k (0-based; identity layers have\n"
             "  no a_k_i: the next layer reads z_k_i); y_j outputs (last layer before its\n"
             "  activation)%s; bounds: the certified bounds of the method\n",
         o->milp ? ";\n  d_k_i binaries (1 where z_k_i >= 0)" : "");
    note(in, "rows: aff_k_i z_k_i - W_k a_{k-1} = b_k (ranges as wide as the rounding of the\n"
             "  written weights; GLPK's LP writer shows a range as a column ~r_i);\n"
             "  envu/envl_k_i_q tangents and secants of the 1-D concave/convex envelope of\n"
             "  a_k_i over z_k_i (%ld rows, within %.3g of the exact envelope; requested %g,\n"
             "  at most %d per side)\n",
         in->env_cuts, in->env_gap, o->env_tol, o->env_max_cuts);
    if (o->hull_cuts)
        note(in, "hull_k_i_n: %ld multivariate hull cuts of a_k_i over a_{k-1} (nnh_separate,\n"
                 "  valid on the certified box of layer k-1): a cut loop on this model, %d rounds\n"
                 "  on %s, %d LP solves, kept the %ld of %ld cuts binding at the end\n",
             in->hull_cuts, o->cut_rounds,
             o->objective_sense ? "the objective" : "min and max of every output",
             in->lp_solves, in->hull_cuts, in->hull_found);
    if (o->milp)
        note(in, "milp: %d binaries d_k_i, exact big-M rows bigm1/bigm2_k_i (M from the certified\n"
                 "  bounds) for unstable ReLU/leaky ReLU; stable ones are linear; %d neurons of\n"
                 "  other activations keep the convex relaxation\n",
             in->n_binaries, in->milp_other);
    if (m->fmt == NNH_EXPORT_MPS && o->objective_sense > 0)
        note(in, "objective: maximise %s is written as minimise -%s (MPS records no sense)\n",
             o->objective, o->objective);
    note(in, "validity: every row holds for the network (exact arithmetic on its stored weights)\n"
             "  on the region; %s,\n"
             "  so each number was first rounded to what is written and rows and bounds moved\n"
             "  outward (at most %.3g) to stay valid\n",
         path_kind, in->max_relax);
}

typedef struct write_job {
    xm *m;
    const char *path;
} write_job;

static int find_objective(xm *m, int *col)
{
    *col = 0;
    if (m->o->objective_sense == 0)
        return 0;
    glp_create_index(m->P);
    *col = m->o->objective ? glp_find_col(m->P, m->o->objective) : 0;
    glp_delete_index(m->P);
    if (*col == 0)
        return nnh_error_set(m->err, NNH_EINVAL,
                             "objective: no variable '%s' in the model (x_j, z_k_i, a_k_i for "
                             "nonlinear layers, y_j%s)",
                             m->o->objective ? m->o->objective : "", m->o->milp ? ", d_k_i" : "");
    return 0;
}

static int write_model(void *arg)
{
    write_job *job = arg;
    xm *m = job->m;
    m->P = glp_create_prob();
    glp_set_prob_name(m->P, "nnhull");
    glp_set_obj_name(m->P, "obj");
    int col = 0, rc = xm_build(m);
    if (!rc)
        rc = find_objective(m, &col);
    if (!rc && m->o->hull_cuts)
        rc = xm_hull_cuts(m, col, m->o->objective_sense);
    if (!rc) {
        for (int j = 1; j <= glp_get_num_cols(m->P); j++)
            glp_set_obj_coef(m->P, j, 0.0);
        /* GLPK's MPS writer records no objective sense: max v becomes min -v */
        int negate = m->fmt == NNH_EXPORT_MPS && m->o->objective_sense > 0;
        if (col)
            glp_set_obj_coef(m->P, col, negate ? -1.0 : 1.0);
        glp_set_obj_dir(m->P, m->o->objective_sense > 0 && !negate ? GLP_MAX : GLP_MIN);
        m->info->n_cols = glp_get_num_cols(m->P);
        m->info->n_rows = glp_get_num_rows(m->P);
        int w = m->fmt == NNH_EXPORT_MPS ? glp_write_mps(m->P, GLP_MPS_FILE, NULL, job->path)
                                         : glp_write_lp(m->P, NULL, job->path);
        if (w != 0)
            rc = nnh_error_set(m->err, NNH_EIO, "%s: GLPK could not write the model", job->path);
    }
    glp_delete_prob(m->P);
    m->P = NULL;
    return rc;
}

static int check_opts(const nnh_network *net, const nnh_bounds *b, const nnh_export_opts *o,
                      nnh_error *err)
{
    int rc = nnh_bounds_check(net, b, err);
    if (rc)
        return rc;
    if (o->format != NNH_EXPORT_LP && o->format != NNH_EXPORT_MPS)
        return nnh_error_set(err, NNH_EINVAL, "export: unknown format %d", (int)o->format);
    if (!(o->env_tol >= 0) || o->env_max_cuts < 2 || o->cut_rounds < 0 || !(o->cut_tol >= 0))
        return nnh_error_set(err, NNH_EINVAL, "export: env_tol and cut_tol must be >= 0, "
                             "env_max_cuts >= 2, cut_rounds >= 0");
    if (o->objective_sense && !o->objective)
        return nnh_error_set(err, NNH_EINVAL, "export: an objective sense needs a variable name");
    return 0;
}

static void xm_free(xm *m)
{
    for (int k = 0; m->z_col && k < m->net->n_layers; k++) {
        if (m->a_col && m->a_col[k] != m->z_col[k])
            free(m->a_col[k]);
        free(m->z_col[k]);
    }
    free(m->z_col);
    free(m->a_col);
    free(m->x_col);
    free(m->in_lo);
    free(m->in_hi);
    free(m->ind);
    free(m->val);
    free(m->rcol);
    free(m->rcoef);
    free(m->xs);
    free(m->cut_a);
    free(m->keep);
    nnh_env_ws_free(&m->ws);
}

static int xm_alloc(xm *m)
{
    const nnh_network *net = m->net;
    int L = net->n_layers, n = net->n_inputs, c = m->cap;
    m->x_col = calloc((size_t)n, sizeof *m->x_col);
    m->in_lo = malloc((size_t)n * sizeof *m->in_lo);
    m->in_hi = malloc((size_t)n * sizeof *m->in_hi);
    m->z_col = calloc((size_t)L, sizeof *m->z_col);
    m->a_col = calloc((size_t)L, sizeof *m->a_col);
    m->ind = malloc((size_t)(c + 1) * sizeof *m->ind);
    m->val = malloc((size_t)(c + 1) * sizeof *m->val);
    m->rcol = malloc((size_t)c * sizeof *m->rcol);
    m->rcoef = malloc((size_t)c * sizeof *m->rcoef);
    m->xs = malloc((size_t)c * sizeof *m->xs);
    m->cut_a = malloc((size_t)c * sizeof *m->cut_a);
    int ok = m->x_col && m->in_lo && m->in_hi && m->z_col && m->a_col && m->ind && m->val &&
             m->rcol && m->rcoef && m->xs && m->cut_a;
    for (int k = 0; ok && k < L; k++) {
        int w = net->layers[k].n_out;
        m->z_col[k] = calloc((size_t)w, sizeof **m->z_col);
        m->a_col[k] = xm_nonlinear(net, k) ? calloc((size_t)w, sizeof **m->a_col) : m->z_col[k];
        ok = m->z_col[k] && m->a_col[k];
    }
    if (!ok)
        return nnh_error_set(m->err, NNH_ENOMEM, "export: out of memory");
    for (int j = 0; j < n; j++)
        nnh_bounds_input(net, m->b, j, &m->in_lo[j], &m->in_hi[j]);
    return nnh_env_ws_init(&m->ws, c, m->err);
}

int nnh_export_write(const nnh_network *net, const nnh_bounds *b, const nnh_export_opts *o,
                     const char *path, nnh_export_info *info, nnh_error *err)
{
    nnh_export_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    int rc = check_opts(net, b, o, err);
    if (rc)
        return rc;
    xm m;
    memset(&m, 0, sizeof m);
    m.fmt = o->format;
    m.net = net;
    m.b = b;
    m.o = o;
    m.info = info;
    m.err = err;
    m.cap = nnh_network_max_width(net) + 2;
    rc = xm_alloc(&m);
    if (!rc) {
        write_job job = {&m, path};
        rc = nnh_glpk_guard(write_model, &job, err);
    }
    if (!rc)
        describe(&m, o->format == NNH_EXPORT_MPS
                         ? "GLPK's MPS writer prints numbers in at most 12 characters"
                         : "GLPK's LP writer prints 15 significant digits");
    xm_free(&m);
    return rc;
}
