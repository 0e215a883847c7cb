/* Activation splits of branch and bound: the split modes, a region's neuron
 * splits as pre-activation bound changes (every engine then sees the
 * narrower interval: crown relaxes the neuron over it and recomputes the
 * later layers, the LP engines bound the neuron's variable by it), the
 * children's split lists, and the emptiness test that proves a child whose
 * splits no input of the box satisfies. */
#include "verify_internal.h"
#include "bab_split.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"auto", "input", "activation"};

const char *nnh_split_mode_name(nnh_split_mode m)
{
    return m >= NNH_SPLIT_AUTO && m <= NNH_SPLIT_ACTIVATION ? mode_names[m] : "?";
}

int nnh_split_mode_parse(const char *name, nnh_split_mode *m)
{
    for (int i = 0; i <= NNH_SPLIT_ACTIVATION; i++)
        if (!strcmp(name, mode_names[i])) {
            *m = (nnh_split_mode)i;
            return NNH_OK;
        }
    return NNH_EINVAL;
}

nnh_split_mode nnh_split_mode_resolve(nnh_split_mode m, int n_in)
{
    if (m != NNH_SPLIT_AUTO)
        return m;
    return n_in <= NNH_SPLIT_AUTO_MAX_INPUTS ? NNH_SPLIT_INPUT : NNH_SPLIT_ACTIVATION;
}

static const char *const node_names[] = {"rows", "changed", "all"};

const char *nnh_node_layers_name(int m)
{
    return m >= NNH_NODE_LAYERS_ROWS && m <= NNH_NODE_LAYERS_ALL ? node_names[m] : "?";
}

int nnh_node_layers_parse(const char *name, int *m)
{
    for (int i = 0; i <= NNH_NODE_LAYERS_ALL; i++)
        if (name && !strcmp(name, node_names[i])) {
            *m = i;
            return NNH_OK;
        }
    return NNH_EINVAL;
}

int nnh_splits_first_narrowed(const nnh_bab_region *R, const nnh_bounds *b)
{
    int first = b->n_layers - 1;
    for (int t = 0; t < R->n_splits; t++) {
        const nnh_neuron_split *s = &R->splits[t];
        const nnh_layer_bounds *L = &b->layers[s->layer];
        if (s->layer < first &&
            (s->lo > L->pre_lo[s->neuron] || s->hi < L->pre_hi[s->neuron]))
            first = s->layer;
    }
    return first;
}

int nnh_splits_apply(const nnh_network *N, const nnh_bab_region *R, nnh_bounds *b)
{
    for (int t = 0; t < R->n_splits; t++) {
        const nnh_neuron_split *s = &R->splits[t];
        nnh_layer_bounds *L = &b->layers[s->layer];
        int i = s->neuron;
        double lo = fmax(L->pre_lo[i], s->lo), hi = fmin(L->pre_hi[i], s->hi);
        if (lo > hi) /* both ends rigorous over the domain: it is empty */
            return 1;
        L->pre_lo[i] = lo;
        L->pre_hi[i] = hi;
        double pl, ph;
        nnh_act_image(&N->layers[s->layer].act, lo, hi, &pl, &ph);
        L->post_lo[i] = fmax(L->post_lo[i], pl);
        L->post_hi[i] = fmin(L->post_hi[i], ph);
        if (L->post_lo[i] > L->post_hi[i])
            return 1;
    }
    return 0;
}

int nnh_bounds_layer_empty(const nnh_bounds *b, int k)
{
    const nnh_layer_bounds *L = &b->layers[k];
    for (int i = 0; i < L->width; i++)
        if (L->pre_lo[i] > L->pre_hi[i])
            return 1;
    return 0;
}

int nnh_splits_children(const nnh_bab_region *R, const nnh_region_result *res,
                        nnh_bab_region *c[2])
{
    int neuron = res->split_layer >= 0, n = R->n_splits + neuron;
    for (int side = 0; side < 2; side++) {
        c[side]->n_splits = 0;
        c[side]->splits = NULL;
        if (n == 0)
            continue;
        c[side]->splits = malloc((size_t)n * sizeof(nnh_neuron_split));
        if (!c[side]->splits)
            return NNH_ENOMEM;
        if (R->n_splits)
            memcpy(c[side]->splits, R->splits, (size_t)R->n_splits * sizeof(nnh_neuron_split));
        c[side]->n_splits = n;
        if (!neuron)
            continue;
        nnh_neuron_split *s = &c[side]->splits[n - 1];
        s->layer = res->split_layer;
        s->neuron = res->split_neuron;
        s->lo = -INFINITY;
        s->hi = INFINITY;
        if (res->bounds) { /* the parent's interval, for the record */
            s->lo = res->bounds->layers[s->layer].pre_lo[s->neuron];
            s->hi = res->bounds->layers[s->layer].pre_hi[s->neuron];
        }
        if (side == 0)
            s->hi = res->split_at;
        else
            s->lo = res->split_at;
    }
    return NNH_OK;
}

unsigned long long nnh_splits_seed(const nnh_bab_region *R, unsigned long long h)
{
    for (int t = 0; t < R->n_splits; t++) {
        const nnh_neuron_split *s = &R->splits[t];
        unsigned long long a, b;
        memcpy(&a, &s->lo, sizeof a);
        memcpy(&b, &s->hi, sizeof b);
        h = (h ^ (unsigned long long)s->layer ^ ((unsigned long long)s->neuron << 20)) *
            0x100000001B3ULL;
        h = (h ^ a) * 0x100000001B3ULL;
        h = (h ^ b) * 0x100000001B3ULL;
    }
    return h;
}
