/* One neuron as a JSON object (the input lines of `nnhull envelope`):
 * activation, weights, bias, box, query point and optional y, read with
 * cJSON and checked (finite numbers within NNH_NEURON_JSON_MAX, equal
 * lengths, l <= u). */
#include "nnhull/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* 0 when v is a finite number within NNH_NEURON_JSON_MAX, else NNH_EINVAL
 * naming key (and index i >= 0 of an array) */
static int check_number(double v, const char *key, int i, nnh_error *err)
{
    if (isfinite(v) && fabs(v) <= NNH_NEURON_JSON_MAX)
        return 0;
    char idx[16] = "";
    if (i >= 0)
        snprintf(idx, sizeof idx, "[%d]", i);
    return nnh_error_set(err, NNH_EINVAL,
                         "\"%s\"%s = %g: numbers must be finite and at most %g in magnitude", key,
                         idx, v, NNH_NEURON_JSON_MAX);
}

/* Copy the numbers of array key into dst; 0 or NNH_EINVAL. */
static int get_array(const cJSON *root, const char *key, double *dst, nnh_error *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        if (!cJSON_IsNumber(e))
            return nnh_error_set(err, NNH_EINVAL, "\"%s\"[%d] is not a number", key, k);
        if (check_number(e->valuedouble, key, k, err))
            return NNH_EINVAL;
        dst[k++] = e->valuedouble;
    }
    return 0;
}

/* Array length of key, or -1 (err set) when missing or not an array. */
static int array_len(const cJSON *root, const char *key, nnh_error *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(a)) {
        nnh_error_set(err, NNH_EINVAL, "\"%s\" must be an array of numbers", key);
        return -1;
    }
    return cJSON_GetArraySize(a);
}

/* The activation and its alpha; 0 or an error code. */
static int get_act(const cJSON *root, nnh_activation *act, nnh_error *err)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "act");
    nnh_act_kind kind;
    if (!cJSON_IsString(name))
        return nnh_error_set(err, NNH_EINVAL, "missing \"act\" (activation name)");
    if (nnh_act_parse(name->valuestring, &kind) != NNH_OK)
        return nnh_error_set(err, NNH_EINVAL, "unknown activation \"%s\"", name->valuestring);
    nnh_act_default(act, kind);
    const cJSON *al = cJSON_GetObjectItemCaseSensitive(root, "alpha");
    if (al) {
        if (kind != NNH_ACT_LEAKY_RELU && kind != NNH_ACT_ELU && kind != NNH_ACT_SELU)
            return nnh_error_set(err, NNH_EINVAL, "\"alpha\" is only for leaky_relu, elu and selu");
        if (!cJSON_IsNumber(al))
            return nnh_error_set(err, NNH_EINVAL, "\"alpha\" is not a number");
        if (check_number(al->valuedouble, "alpha", -1, err))
            return NNH_EINVAL;
        act->alpha = al->valuedouble;
    }
    return nnh_act_check(act, err) ? NNH_EINVAL : 0;
}

/* An optional number (absent: *has = 0); 0 or NNH_EINVAL. null counts as
 * absent when null_ok. */
static int get_opt_number(const cJSON *root, const char *key, int null_ok, double *v, int *has,
                          nnh_error *err)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    *has = cJSON_IsNumber(j);
    *v = *has ? j->valuedouble : 0.0;
    if (j && !*has && !(null_ok && cJSON_IsNull(j)))
        return nnh_error_set(err, NNH_EINVAL, "\"%s\" is not a number", key);
    return *has ? check_number(*v, key, -1, err) : 0;
}

/* Size the buffer for n inputs (4 arrays); 0 or NNH_ENOMEM. */
static int reserve(nnh_neuron_json *L, int n, nnh_error *err)
{
    if (4 * n + 4 > L->cap) { /* + 4: never NULL, even for n = 0 (no offset on NULL) */
        double *nb = realloc(L->buf, (size_t)(4 * n + 4) * sizeof(double));
        if (!nb)
            return nnh_error_set(err, NNH_ENOMEM, "out of memory for n=%d", n);
        L->buf = nb;
        L->cap = 4 * n + 4;
    }
    L->w = L->buf;
    L->l = L->w + n;
    L->u = L->l + n;
    L->x = L->u + n;
    return 0;
}

/* Fill L from the parsed object root; 0 or an error code. */
static int from_json(const cJSON *root, nnh_neuron_json *L, nnh_error *err)
{
    if (!cJSON_IsObject(root))
        return nnh_error_set(err, NNH_EPARSE, "not a JSON object");
    if (get_act(root, &L->act, err))
        return NNH_EINVAL;
    const char *keys[4] = {"w", "l", "u", "x"};
    int n = -1;
    for (int k = 0; k < 4; k++) {
        int m = array_len(root, keys[k], err);
        if (m < 0)
            return NNH_EINVAL;
        if (n >= 0 && m != n)
            return nnh_error_set(err, NNH_EINVAL, "\"%s\" has %d entries, \"w\" has %d",
                                 keys[k], m, n);
        n = m;
    }
    if (reserve(L, n, err))
        return NNH_ENOMEM;
    double *dst[4] = {L->w, L->l, L->u, L->x};
    for (int k = 0; k < 4; k++)
        if (get_array(root, keys[k], dst[k], err))
            return NNH_EINVAL;
    for (int i = 0; i < n; i++)
        if (!(L->l[i] <= L->u[i]))
            return nnh_error_set(err, NNH_EINVAL, "box coordinate %d: l=%g > u=%g", i, L->l[i],
                                 L->u[i]);
    double b;
    int has_b;
    if (get_opt_number(root, "b", 0, &b, &has_b, err) ||
        get_opt_number(root, "y", 1, &L->y, &L->has_y, err))
        return NNH_EINVAL;
    L->nr = (nnh_neuron){&L->act, n, L->w, L->l, L->u, b};
    return 0;
}

int nnh_neuron_json_parse(nnh_neuron_json *L, const char *text, nnh_error *err)
{
    cJSON *root = cJSON_Parse(text);
    int rc = from_json(root, L, err);
    cJSON_Delete(root);
    return rc;
}

void nnh_neuron_json_free(nnh_neuron_json *L)
{
    free(L->buf);
    L->buf = NULL;
    L->cap = 0;
}
