/* Numbers of an exported model as a reader of the file sees them: GLPK's
 * writers print 15 significant digits (LP) or at most 12 characters (free
 * MPS), so every coefficient, bound and side is replaced by its written value
 * before it enters the problem, and rows are relaxed outward for the change. */
#include "export_internal.h"
#include "glpk_guard.h"
#include "nnh_round.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Magnitudes below this are written as 0 (or this, outward): GLPK's MPS
 * writer cannot print e.g. -1.2e-100 in 12 characters (it would assert). */
#define XM_TINY 1e-30

/* glp_write_mps's number format (glpmps.c, mps_numb): at most 12 characters */
static void mps_text(double v, char *buf, size_t len)
{
    for (int dig = 12; dig >= 6; dig--) {
        if (v != 0.0 && fabs(v) < 0.002)
            snprintf(buf, len, "%.*E", dig - 1, v);
        else
            snprintf(buf, len, "%.*G", dig, v);
        char *e = strchr(buf, 'E');
        if (e)
            snprintf(e + 1, len - (size_t)(e + 1 - buf), "%d", atoi(e + 1));
        if (strlen(buf) <= 12)
            return;
    }
}

static double parse_text(nnh_export_format f, double v)
{
    char buf[64];
    if (f == NNH_EXPORT_MPS)
        mps_text(v, buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "%.15g", v); /* glp_write_lp: %.*g with DBL_DIG */
    return strtod(buf, NULL);
}

double xm_written(nnh_export_format f, double v)
{
    if (!isfinite(v))
        return v;
    if (fabs(v) < XM_TINY)
        return 0.0;
    /* a written value must print as itself (so GLPK writes what we checked) */
    double w = parse_text(f, v);
    for (int it = 0; it < 4; it++) {
        double w2 = parse_text(f, w);
        if (w2 == w)
            return w;
        w = w2;
    }
    return NAN;
}

double xm_written_dir(nnh_export_format f, double v, int dir)
{
    if (!isfinite(v))
        return v;
    if (fabs(v) < XM_TINY)
        return dir > 0 ? (v <= 0 ? 0.0 : XM_TINY) : (v >= 0 ? 0.0 : -XM_TINY);
    double step = fabs(v) * DBL_EPSILON;
    for (int it = 0; it < 200; it++) {
        double t = dir > 0 ? v + step * (it > 0) : v - step * (it > 0);
        double w = xm_written(f, t);
        if (w == w && (dir > 0 ? w >= v : w <= v))
            return w;
        step *= 2;
    }
    return NAN;
}

int xm_add_col(xm *m, const char *name, double lo, double hi, int is_int)
{
    double l = xm_written_dir(m->fmt, lo, -1), u = xm_written_dir(m->fmt, hi, +1);
    double lim = NNH_LP_MAX_MAGNITUDE;
    if (!(fabs(l) <= lim && fabs(u) <= lim && l <= u))
        return nnh_error_set(m->err, NNH_EUNSUPPORTED,
                             "variable %s: bounds [%.17g, %.17g] are not finite or beyond %g "
                             "(the largest magnitude an exported model may hold)",
                             name, lo, hi, lim);
    int j = glp_add_cols(m->P, 1);
    glp_set_col_name(m->P, j, name);
    if (is_int)
        glp_set_col_kind(m->P, j, GLP_IV);
    glp_set_col_bnds(m->P, j, l == u ? GLP_FX : GLP_DB, l, u);
    double move = fmax(lo - l, u - hi);
    if (move > m->info->max_relax)
        m->info->max_relax = move;
    return j;
}

/* sides of a ranged row: GLPK writes lb and the width fl(ub - lb); choose ub
 * so that the written width reaches hi */
static double range_upper(nnh_export_format f, double lb, double hi)
{
    double need = nnh_up(hi - lb), ub = nnh_up(lb + xm_written_dir(f, need, +1));
    for (int it = 0; it < 64 && !(xm_written(f, ub - lb) >= need); it++)
        ub = nnh_up(ub + (ub - lb) * DBL_EPSILON);
    return ub;
}

static int row_refused(xm *m, const char *name, const char *what, double v)
{
    return nnh_error_set(m->err, NNH_EUNSUPPORTED,
                         "row %s: %s %.17g is not finite or beyond %g (the largest magnitude an "
                         "exported model may hold)", name, what, v, NNH_LP_MAX_MAGNITUDE);
}

int xm_add_row(xm *m, const char *name, int n, const int *col, const double *coef, double lo,
               double hi)
{
    double slack = 0.0, lim = NNH_LP_MAX_MAGNITUDE;
    int len = 0;
    for (int t = 0; t < n; t++) {
        double c = coef[t], w = xm_written(m->fmt, c);
        if (!(fabs(c) <= lim) || w != w)
            return row_refused(m, name, "coefficient", c);
        int j = col[t];
        double box = fmax(fabs(glp_get_col_lb(m->P, j)), fabs(glp_get_col_ub(m->P, j)));
        slack = nnh_up(slack + nnh_up(nnh_up(fabs(c - w)) * box));
        if (w == 0.0)
            continue;
        len++;
        m->ind[len] = j;
        m->val[len] = w;
    }
    /* sides moved by the slack (rounded outward; exact when there is none) */
    double lm = slack > 0 ? nnh_down(lo - slack) : lo, hm = slack > 0 ? nnh_up(hi + slack) : hi;
    double l = isfinite(lo) ? xm_written_dir(m->fmt, lm, -1) : -INFINITY;
    double u = isfinite(hi) ? xm_written_dir(m->fmt, hm, +1) : INFINITY;
    if (l != l || (isfinite(l) && fabs(l) > lim) || lo == INFINITY)
        return row_refused(m, name, "lower side", lo);
    if (u != u || (isfinite(u) && fabs(u) > lim) || hi == -INFINITY)
        return row_refused(m, name, "upper side", hi);
    int type = GLP_DB;
    if (isinf(l) && isinf(u))
        return nnh_error_set(m->err, NNH_EINVAL, "row %s: both sides infinite", name);
    if (isinf(l))
        type = GLP_UP;
    else if (isinf(u))
        type = GLP_LO;
    else if (l == u)
        type = GLP_FX;
    else
        u = range_upper(m->fmt, l, u);
    if (!(fabs(u) <= lim || isinf(u)))
        return row_refused(m, name, "upper side", hi);
    double move = fmax(isfinite(lo) ? lo - l : 0.0, isfinite(hi) ? u - hi : 0.0);
    if (move > m->info->max_relax)
        m->info->max_relax = move;
    int i = glp_add_rows(m->P, 1);
    glp_set_row_name(m->P, i, name);
    glp_set_mat_row(m->P, i, len, m->ind, m->val);
    glp_set_row_bnds(m->P, i, type, isinf(l) ? 0.0 : l, isinf(u) ? 0.0 : u);
    return i;
}
