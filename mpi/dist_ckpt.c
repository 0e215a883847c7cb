/* Checkpoints of the distributed bounds run. The master keeps every finished
 * (region, layer) in memory and writes the whole state as an ordinary
 * nnhull-bounds file with status "partial" to OUT.partial.h5 (itself written
 * under a temporary name and renamed, so a SIGKILL never leaves a torn
 * checkpoint); rows of units not finished yet are NaN. --resume reads it
 * back after checking that it is the same job; a checkpoint that does not
 * read back intact (damaged: checksums, structure) is reported and the run
 * starts over instead of trusting it. */
#include "dist_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* region views for nnh_h5_write_layer: finished rows point at the bounds,
 * the others at a NaN row */
typedef struct views {
    nnh_bounds *v;
    nnh_bounds **p;
    nnh_layer_bounds *layers;
    double *nan_row;
} views;

static void views_free(views *s)
{
    free(s->v);
    free(s->p);
    free(s->layers);
    free(s->nan_row);
}

static int views_build(dist_master *m, views *s)
{
    int R = m->R, L = m->L, wmax = nnh_network_max_width(m->net);
    s->v = calloc((size_t)R, sizeof *s->v);
    s->p = calloc((size_t)R, sizeof *s->p);
    s->layers = calloc((size_t)R * L, sizeof *s->layers);
    s->nan_row = malloc((size_t)wmax * sizeof(double));
    if (!s->v || !s->p || !s->layers || !s->nan_row)
        return nnh_error_set(m->err, NNH_ENOMEM, "out of memory writing a checkpoint");
    for (int i = 0; i < wmax; i++)
        s->nan_row[i] = NAN;
    for (int r = 0; r < R; r++) {
        s->p[r] = &s->v[r];
        s->v[r].n_in = m->net->n_inputs;
        s->v[r].n_layers = L;
        s->v[r].layers = s->layers + (size_t)r * L;
        for (int k = 0; k < L; k++) {
            nnh_layer_bounds *dst = &s->v[r].layers[k];
            if (m->done[(size_t)r * L + k])
                *dst = m->rg[r].b->layers[k];
            else {
                dst->width = m->net->layers[k].n_out;
                dst->pre_lo = dst->pre_hi = dst->post_lo = dst->post_hi = s->nan_row;
            }
        }
    }
    return NNH_OK;
}

static int any_row(const dist_master *m, int k)
{
    for (int r = 0; r < m->R; r++)
        if (m->done[(size_t)r * m->L + k])
            return 1;
    return 0;
}

int dist_write_file(dist_master *m, const char *path, int complete)
{
    views s;
    memset(&s, 0, sizeof s);
    nnh_h5_writer *w = NULL;
    int rc = views_build(m, &s);
    if (!rc)
        rc = nnh_h5_create(path, m->net, &m->meta, m->R, m->lo, m->hi, &w, m->err);
    for (int k = 0; !rc && k < m->L; k++)
        if (complete || any_row(m, k))
            rc = nnh_h5_write_layer(w, k, s.p, m->err);
    if (!rc)
        rc = nnh_h5_write_stats(w, m->stats, m->err);
    views_free(&s);
    if (rc) {
        nnh_h5_abort(w);
        return rc;
    }
    return nnh_h5_finish(w, complete, m->err);
}

/* ---- resume ---- */

static int same_job(dist_master *m, const nnh_h5_file *f, const char *path)
{
    const nnh_h5_meta *me = &m->meta;
    const char *what = NULL;
    if (me->network_sha256 && strcmp(f->network_sha256, me->network_sha256))
        what = "network (sha256)";
    else if (strcmp(f->method, me->method ? me->method : ""))
        what = "method";
    else if (strcmp(f->options, me->options_json ? me->options_json : "{}"))
        what = "options";
    else if (f->n_regions != m->R || f->n_in != m->net->n_inputs || f->n_layers != m->L)
        what = "number of regions, inputs or layers";
    for (int r = 0; !what && r < m->R; r++) {
        size_t n = (size_t)m->net->n_inputs, off = (size_t)r * n;
        if (memcmp(f->regions[r]->in_lo, m->lo + off, n * sizeof(double)) ||
            memcmp(f->regions[r]->in_hi, m->hi + off, n * sizeof(double)))
            what = "input regions";
    }
    if (what)
        return nnh_error_set(m->err, NNH_EINVAL, "--resume: %s was written for another job "
                             "(its %s differ); delete it or run without --resume", path, what);
    return NNH_OK;
}

static int row_done(const nnh_h5_file *f, int r, int k)
{
    if (!f->present[k])
        return 0;
    const nnh_layer_bounds *L = &f->regions[r]->layers[k];
    for (int i = 0; i < L->width; i++)
        if (isnan(L->pre_lo[i]) || isnan(L->pre_hi[i]) || isnan(L->post_lo[i]) ||
            isnan(L->post_hi[i]))
            return 0;
    return 1;
}

static int restore_region(dist_master *m, const nnh_h5_file *f, int r)
{
    int K = 0;
    while (K < m->L && row_done(f, r, K))
        K++;
    for (int k = K; k < m->L; k++)
        if (row_done(f, r, k))
            return nnh_error_set(m->err, NNH_EPARSE, "--resume: region %d has layer %d but not "
                                 "layer %d", r, k, K);
    if (K == 0)
        return NNH_OK;
    size_t off = (size_t)r * m->net->n_inputs;
    int rc = nnh_bounds_create(m->net, m->lo + off, m->hi + off, &m->rg[r].b, m->err);
    for (int k = 0; !rc && k < K; k++) {
        nnh_layer_bounds *d = &m->rg[r].b->layers[k];
        const nnh_layer_bounds *s = &f->regions[r]->layers[k];
        size_t n = (size_t)d->width * sizeof(double);
        memcpy(d->pre_lo, s->pre_lo, n);
        memcpy(d->pre_hi, s->pre_hi, n);
        memcpy(d->post_lo, s->post_lo, n);
        memcpy(d->post_hi, s->post_hi, n);
        m->done[(size_t)r * m->L + k] = 1;
    }
    m->rg[r].resume_k = K;
    m->units_done += K;
    m->units_resumed += K;
    return rc;
}

static int restore(dist_master *m, const nnh_h5_file *f, const char *path)
{
    int rc = same_job(m, f, path);
    for (int r = 0; !rc && r < m->R; r++)
        rc = restore_region(m, f, r);
    for (int k = 0; !rc && k < m->L; k++)
        m->stats[k] = f->stats[k];
    return rc;
}

/* f := the bound file at path, or NULL when it is damaged (reported through
 * o->warn: the run then starts over) */
static int read_or_restart(dist_master *m, const char *path, nnh_h5_file **f)
{
    int rc = nnh_h5_read(path, f, m->err);
    if (rc != NNH_EPARSE)
        return rc ? nnh_error_prefix(m->err, "--resume") : NNH_OK;
    if (m->o->warn) {
        char msg[NNH_ERRMSG_LEN + 96];
        snprintf(msg, sizeof msg, "--resume: %s is damaged (%s); starting over", path,
                 m->err->msg);
        m->o->warn(m->o->warn_arg, msg);
    }
    nnh_error_clear(m->err);
    *f = NULL;
    return NNH_OK;
}

int dist_resume(dist_master *m, int *complete)
{
    /* a run killed while writing leaves <ckpt>.tmp.<pid>.<suffix>: remove
     * those of dead processes (files are only ever replaced by a rename) */
    nnh_temp_remove_stale(m->ckpt);
    nnh_temp_remove_stale(m->out);
    *complete = 0;
    nnh_h5_file *f = NULL;
    int rc = NNH_OK;
    if (access(m->ckpt, F_OK) == 0) {
        if (!(rc = read_or_restart(m, m->ckpt, &f)) && f)
            rc = restore(m, f, m->ckpt);
    } else if (access(m->out, F_OK) == 0) {
        /* killed after the final rename: the job is done if it is this job */
        if (!(rc = read_or_restart(m, m->out, &f)) && f) {
            rc = same_job(m, f, m->out);
            if (!rc && !f->complete)
                rc = nnh_error_set(m->err, NNH_EINVAL, "--resume: %s has status '%s' and there "
                                   "is no %s", m->out, f->status, m->ckpt);
            if (!rc)
                rc = restore(m, f, m->out);
            *complete = !rc;
        }
    }
    nnh_h5_file_free(f);
    return rc;
}
