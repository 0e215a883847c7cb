/* The bound engines' options in one place: the method names, the defaults,
 * and the schema (name, type, range, which methods use it, help) through
 * which options are set by name, checked, listed and recorded. */
#include "nnhull/engine.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[NNH_METHOD_COUNT] = {"ibp", "crown", "lp1d", "hull"};
static const char *const method_help[NNH_METHOD_COUNT] = {
    "interval bound propagation, outward rounded (fast, loosest)",
    "linear back-substitution (CROWN/DeepPoly) with 1-D envelope lines",
    "one LP per neuron and side, cuts from the 1-D envelopes",
    "lp1d + cuts from the multivariate convex hull (tightest, slowest)",
};

/* Defaults: crown (cheap, never looser than IBP, needs no LP); for the LP
 * methods 5 cut rounds per phase (lp1d: one phase, hull: two) of at most 20
 * cuts per family each per bound problem, a cut must be violated by more
 * than 1e-6 to be added, no time limits, no per-layer cut pool and no slack
 * cut removal. Both were measured on the digits nets (hull, box and
 * eps=0.05 ball): a 3-round pool changes layer mean widths by -0.13% to
 * +0.16% for 15-30% more time; removal after 2 (4) non-binding rounds saves
 * ~15% (~5%) time but loosens some layer means by up to 0.4% (0.1%). */
void nnh_bound_opts_init(nnh_bound_opts *o)
{
    o->method = NNH_METHOD_CROWN;
    o->max_rounds = 5;
    o->max_cuts_per_round = 20;
    o->cut_tol = 1e-6;
    o->lp_time_limit = 0.0;
    o->time_limit = 0.0;
    o->pool_rounds = 0;
    o->slack_rounds = 0;
    o->window = 0;
    o->skip_width = 0.0;
    o->skip_stable = 0;
    o->task_iter_limit = 0;
    o->task_time_limit = 0.0;
    o->min_gain = 0.0;
    o->long_step = 0;
    o->window_forms = 0;
    o->skip_fraction = 0.0;
    o->output_window = 0;
    o->output_iter_limit = 0;
    o->wide_fraction = 0.0;
    o->wide_window = 0;
    o->wide_score = 0;
    o->wide_input = 0;
}

const char *nnh_method_name(nnh_method m)
{
    return (m >= 0 && m < NNH_METHOD_COUNT) ? method_names[m] : "unknown";
}

const char *nnh_method_help(nnh_method m)
{
    return (m >= 0 && m < NNH_METHOD_COUNT) ? method_help[m] : "";
}

int nnh_method_parse(const char *name, nnh_method *m)
{
    for (int i = 0; name && i < NNH_METHOD_COUNT; i++)
        if (!strcmp(name, method_names[i])) {
            *m = (nnh_method)i;
            return NNH_OK;
        }
    return NNH_EINVAL;
}

/* ---- the schema ---- */

#define LP_METHODS ((1u << NNH_METHOD_LP1D) | (1u << NNH_METHOD_HULL))
#define WHOLE 1e9 /* largest whole-number option: fits an int, no product overflows long */

static const struct opt_row {
    nnh_bound_opt_info info;
    size_t offset; /* of the int or double field in nnh_bound_opts */
} schema[] = {
    {{"max_rounds", 1, 0, WHOLE, LP_METHODS,
      "cut rounds per LP bound problem and phase (lp1d runs one phase; hull "
      "runs lp1d's rounds, then as many adding multivariate cuts)"},
     offsetof(nnh_bound_opts, max_rounds)},
    {{"max_cuts_per_round", 1, 0, WHOLE, LP_METHODS,
      "cuts added per round at most, per family (1-D, multivariate)"},
     offsetof(nnh_bound_opts, max_cuts_per_round)},
    {{"cut_tol", 0, 0, HUGE_VAL, LP_METHODS, "minimum violation of an added cut"},
     offsetof(nnh_bound_opts, cut_tol)},
    {{"lp_time_limit", 0, 0, HUGE_VAL, LP_METHODS, "seconds per LP solve (0 = none)"},
     offsetof(nnh_bound_opts, lp_time_limit)},
    {{"time_limit", 0, 0, HUGE_VAL, LP_METHODS,
      "seconds for the whole run (0 = none); past it the remaining neurons keep "
      "their crown bounds (counted in /stats/fallbacks)"},
     offsetof(nnh_bound_opts, time_limit)},
    {{"pool_rounds", 1, 0, WHOLE, LP_METHODS,
      "rounds of the per-layer cut pool (0 = none)"},
     offsetof(nnh_bound_opts, pool_rounds)},
    {{"slack_rounds", 1, 0, WHOLE, LP_METHODS,
      "a cut non-binding this many rounds is removed (0 = never)"},
     offsetof(nnh_bound_opts, slack_rounds)},
    {{"window", 1, 0, WHOLE, LP_METHODS,
      "layers in the LP of layer k: k-window..k-1, their input boxed by its certified "
      "bounds (0 = the whole prefix)"},
     offsetof(nnh_bound_opts, window)},
    {{"skip_width", 0, 0, HUGE_VAL, LP_METHODS,
      "no LP for a neuron whose crown interval is narrower than this (0 = none)"},
     offsetof(nnh_bound_opts, skip_width)},
    {{"skip_stable", 1, 0, 1, LP_METHODS,
      "1: no LP for a stable ReLU / leaky-ReLU neuron"},
     offsetof(nnh_bound_opts, skip_stable)},
    {{"task_iter_limit", 1, 0, WHOLE, LP_METHODS,
      "simplex iterations per bound task (0 = none); a stopped solve answers the safe "
      "bound of its current duals"},
     offsetof(nnh_bound_opts, task_iter_limit)},
    {{"task_time_limit", 0, 0, HUGE_VAL, LP_METHODS,
      "seconds per bound task (0 = none; wall clock, so results may depend on load)"},
     offsetof(nnh_bound_opts, task_time_limit)},
    {{"min_gain", 0, 0, HUGE_VAL, LP_METHODS,
      "a cut phase stops when a round raises the bound by less than this (0 = never)"},
     offsetof(nnh_bound_opts, min_gain)},
    {{"long_step", 1, 0, 1, LP_METHODS,
      "1: GLPK's long-step (bound flipping) ratio test"},
     offsetof(nnh_bound_opts, long_step)},
    {{"window_forms", 1, 0, 1, LP_METHODS,
      "1: a window's LP also holds the input box and crown's linear forms of the "
      "window's input layer over it"},
     offsetof(nnh_bound_opts, window_forms)},
    {{"skip_fraction", 0, 0, 1, LP_METHODS,
      "fraction of each hidden layer's neurons, lowest score (post width x outgoing "
      "|weights|) first, that keep their crown bound without an LP (0 = none)"},
     offsetof(nnh_bound_opts, skip_fraction)},
    {{"output_window", 1, 0, WHOLE, LP_METHODS,
      "window of the output layer's LP (0 = as window; the number of hidden layers or "
      "more = the whole prefix)"},
     offsetof(nnh_bound_opts, output_window)},
    {{"output_iter_limit", 1, 0, WHOLE, LP_METHODS,
      "task_iter_limit of the output layer's tasks (0 = as task_iter_limit)"},
     offsetof(nnh_bound_opts, output_iter_limit)},
    {{"wide_fraction", 0, 0, 1, LP_METHODS,
      "fraction of each hidden layer's neurons, highest score (wide_score) first, whose "
      "LP gets window wide_window instead of window (0 = none)"},
     offsetof(nnh_bound_opts, wide_fraction)},
    {{"wide_window", 1, 0, WHOLE, LP_METHODS,
      "window of the wide_fraction neurons' LP, in the hidden layers where it is wider "
      "than window (0 = off)"},
     offsetof(nnh_bound_opts, wide_window)},
    {{"wide_score", 1, 0, 1, LP_METHODS,
      "score of the wide choice: 0 = post width x outgoing |weights|, 1 = post width x "
      "|weights| propagated to the output"},
     offsetof(nnh_bound_opts, wide_score)},
    {{"wide_input", 1, 0, 1, LP_METHODS,
      "1: the wide window is used also where it reaches the network input (the whole "
      "prefix there); 0: only in layers k > wide_window"},
     offsetof(nnh_bound_opts, wide_input)},
};
enum { N_OPTS = (int)(sizeof schema / sizeof schema[0]) };
_Static_assert((int)N_OPTS <= (int)NNH_BOUND_OPT_MAX, "NNH_BOUND_OPT_MAX is too small for the schema");

int nnh_bound_opt_count(void) { return N_OPTS; }

const nnh_bound_opt_info *nnh_bound_opt(int i)
{
    return i >= 0 && i < N_OPTS ? &schema[i].info : NULL;
}

int nnh_bound_opt_find(const char *name)
{
    for (int i = 0; name && i < N_OPTS; i++)
        if (!strcmp(name, schema[i].info.name))
            return i;
    return -1;
}

double nnh_bound_opts_get(const nnh_bound_opts *o, int i)
{
    const char *f = (const char *)o + schema[i].offset;
    return schema[i].info.is_int ? (double)*(const int *)f : *(const double *)f;
}

static void put(nnh_bound_opts *o, int i, double v)
{
    char *f = (char *)o + schema[i].offset;
    if (schema[i].info.is_int)
        *(int *)f = (int)v;
    else
        *(double *)f = v;
}

void nnh_bound_opts_keys(nnh_method m, char *buf, size_t len)
{
    if (len == 0)
        return;
    buf[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < N_OPTS && used < len; i++)
        if (m >= 0 && m < NNH_METHOD_COUNT && (schema[i].info.methods & (1u << m))) {
            int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                             schema[i].info.name);
            used += w > 0 ? (size_t)w : 0;
        }
}

static int in_range(const nnh_bound_opt_info *d, double v)
{
    return v >= d->min && v <= d->max && (!d->is_int || v == floor(v));
}

/* "whole number from 0 to 1e+09" / "number >= 0" */
static const char *range_text(const nnh_bound_opt_info *d, char *buf, size_t len)
{
    if (isinf(d->max))
        snprintf(buf, len, "%s >= %g", d->is_int ? "whole number" : "number", d->min);
    else
        snprintf(buf, len, "%s from %g to %g", d->is_int ? "whole number" : "number", d->min,
                 d->max);
    return buf;
}

/* The method takes no option at all, or not this one. */
static int refuse_key(nnh_method m, const char *key, int code, nnh_error *err)
{
    char valid[512];
    nnh_bound_opts_keys(m, valid, sizeof valid);
    if (!valid[0])
        return nnh_error_set(err, code, "method %s takes no engine options (got '%s')",
                             nnh_method_name(m), key);
    return nnh_error_set(err, code, "method %s has no engine option '%s' (valid: %s)",
                         nnh_method_name(m), key, valid);
}

int nnh_bound_opts_set(nnh_bound_opts *o, const char *key, double value, nnh_error *err)
{
    int i = nnh_bound_opt_find(key);
    if (i < 0)
        return refuse_key(o->method, key ? key : "(null)", NNH_EINVAL, err);
    const nnh_bound_opt_info *d = &schema[i].info;
    char range[64];
    if (!isfinite(value) || !in_range(d, value))
        return nnh_error_set(err, NNH_EINVAL, "engine option '%s': expected a %s, got %.17g",
                             d->name, range_text(d, range, sizeof range), value);
    if (o->method < 0 || o->method >= NNH_METHOD_COUNT || !(d->methods & (1u << o->method)))
        return refuse_key(o->method, d->name, NNH_EUNSUPPORTED, err);
    put(o, i, value);
    return NNH_OK;
}

int nnh_bound_opts_check(const nnh_bound_opts *o, nnh_error *err)
{
    if (o->method < 0 || o->method >= NNH_METHOD_COUNT)
        return nnh_error_set(err, NNH_EINVAL, "bound options: unknown method %d", (int)o->method);
    char range[64];
    for (int i = 0; i < N_OPTS; i++) {
        const nnh_bound_opt_info *d = &schema[i].info;
        double v = nnh_bound_opts_get(o, i);
        if (!in_range(d, v))
            return nnh_error_set(err, NNH_EINVAL, "bound options: %s is %g, expected a %s",
                                 d->name, v, range_text(d, range, sizeof range));
    }
    return NNH_OK;
}

int nnh_bound_opts_window(const nnh_bound_opts *o, int k, int n_layers)
{
    int w = k == n_layers - 1 && o->output_window > 0 ? o->output_window : o->window;
    return w > 0 && k > w ? w : 0;
}

int nnh_bound_opts_iter_limit(const nnh_bound_opts *o, int k, int n_layers)
{
    return k == n_layers - 1 && o->output_iter_limit > 0 ? o->output_iter_limit
                                                         : o->task_iter_limit;
}

void nnh_bound_opts_given_add(nnh_bound_opts_given *g, int key)
{
    int j = 0;
    for (int i = 0; i < g->n; i++)
        if (g->key[i] != key)
            g->key[j++] = g->key[i];
    if (j < NNH_BOUND_OPT_MAX)
        g->key[j++] = key;
    g->n = j;
}

/* ---- the deep profile ---- */

static const char *const depth_keys[] = {
    "max_rounds",    "window",        "window_forms",    "skip_fraction",     "task_iter_limit",
    "task_time_limit", "min_gain",    "long_step",       "output_window",     "output_iter_limit",
    "wide_fraction", "wide_window",   "wide_score",      "wide_input"};

/* The profile: window 1 with a 1000-iteration budget per bound, the
 * long-step ratio test and a 1e-3 gain stop finished every layer of the
 * 6x200 sigmoid net with output mean width 2.79 in 272.8 s wall at -np 2,
 * where the whole prefix finished 2 of 6 layers in 600 s. The output layer
 * (20 bound problems against 400 in a hidden layer) gets window 5 and up to
 * 10000 iterations per bound (output 2.79 -> 2.29). In each hidden layer
 * from the second on, the neurons with the largest width x |W|-product
 * score to the output get window 2 (the whole prefix where that reaches the
 * input): a tenth of them took the output to 1.92 in 296-323 s. Three cut
 * rounds per phase instead of five cost a quarter less (the last rounds of
 * a task gain little and are its most expensive solves), and the time saved
 * pays for a wider fifteenth: output 1.895 in 230-268 s wall, 447-516 s
 * CPU at -np 2 idle on the 2-core machine (docs/benchmarks.md section 6,
 * fourth to seventh rounds). DEEP_PROFILE_TEXT lists the same pairs (test_bound_opts
 * checks it). */
static const struct {
    const char *key;
    double value;
} deep_profile[] = {{"max_rounds", 3},      {"window", 1},
                    {"task_iter_limit", 1000}, {"long_step", 1},
                    {"min_gain", 1e-3},      {"output_window", 5},
                    {"output_iter_limit", 10000},
                    {"wide_fraction", 0.15}, {"wide_window", 2},
                    {"wide_score", 1},       {"wide_input", 1}};
#define DEEP_PROFILE_TEXT                                                                        \
    "max_rounds 3, window 1, task_iter_limit 1000, long_step 1, min_gain 0.001, "               \
    "output_window 5, output_iter_limit 10000, wide_fraction 0.15, wide_window 2, "             \
    "wide_score 1, wide_input 1"

const char *nnh_bound_opts_deep_profile(void) { return DEEP_PROFILE_TEXT; }

const char *nnh_bound_opts_depth_keys(void)
{
    return "max_rounds, window, window_forms, skip_fraction, task_iter_limit, task_time_limit, "
           "min_gain, long_step, output_window, output_iter_limit, wide_fraction, wide_window, "
           "wide_score, wide_input";
}

int nnh_bound_opts_is_deep(const nnh_bound_opts *o, const nnh_network *net)
{
    if ((o->method != NNH_METHOD_LP1D && o->method != NNH_METHOD_HULL) ||
        net->n_layers < NNH_DEEP_MIN_LAYERS)
        return 0;
    long hidden = 0;
    for (int k = 0; k + 1 < net->n_layers; k++)
        hidden += net->layers[k].n_out;
    return hidden >= NNH_DEEP_MIN_NEURONS;
}

int nnh_bound_opts_deep_defaults(nnh_bound_opts *o, const nnh_network *net,
                                 nnh_bound_opts_given *given)
{
    if (!nnh_bound_opts_is_deep(o, net))
        return 0;
    for (int g = 0; given && g < given->n; g++)
        for (size_t d = 0; d < sizeof depth_keys / sizeof *depth_keys; d++)
            if (given->key[g] == nnh_bound_opt_find(depth_keys[d]))
                return 0;
    for (size_t p = 0; p < sizeof deep_profile / sizeof *deep_profile; p++) {
        int i = nnh_bound_opt_find(deep_profile[p].key);
        put(o, i, deep_profile[p].value);
        if (given)
            nnh_bound_opts_given_add(given, i);
    }
    return 1;
}

/* ---- provenance ---- */

/* Shortest "%.*g" that reads back as the same double (JSON has no inf/nan:
 * those become null). */
static void json_number(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "null");
        return;
    }
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, len, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* The keys of layer windows, skips and early stops (schema rows from
 * "window" on), written only where they differ from the defaults, so that
 * the options of a default run (and its bound files) stay as they were. */
static void json_scaling_keys(const nnh_bound_opts *o, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = nnh_bound_opt_find("window"); i >= 0 && i < N_OPTS && n < len; i++) {
        double v = nnh_bound_opts_get(o, i);
        if (v == 0.0)
            continue;
        char num[40];
        json_number(num, sizeof num, v);
        int w = snprintf(buf + n, len - n, ", \"%s\": %s", schema[i].info.name, num);
        n += w > 0 ? (size_t)w : 0;
    }
}

char *nnh_bound_opts_json(const nnh_bound_opts *o)
{
    char tol[40], lpt[40], tl[40], extra[1024];
    json_number(tol, sizeof tol, o->cut_tol);
    json_number(lpt, sizeof lpt, o->lp_time_limit);
    json_number(tl, sizeof tl, o->time_limit);
    json_scaling_keys(o, extra, sizeof extra);
    const char *fmt = "{\"method\": \"%s\", \"max_rounds\": %d, \"max_cuts_per_round\": %d, "
                      "\"cut_tol\": %s, \"lp_time_limit\": %s, \"time_limit\": %s, "
                      "\"pool_rounds\": %d, \"slack_rounds\": %d%s}";
    int n = snprintf(NULL, 0, fmt, nnh_method_name(o->method), o->max_rounds,
                     o->max_cuts_per_round, tol, lpt, tl, o->pool_rounds, o->slack_rounds, extra);
    char *s = malloc((size_t)n + 1);
    if (s)
        snprintf(s, (size_t)n + 1, fmt, nnh_method_name(o->method), o->max_rounds,
                 o->max_cuts_per_round, tol, lpt, tl, o->pool_rounds, o->slack_rounds, extra);
    return s;
}
