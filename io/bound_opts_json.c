/* Engine options and run requests as JSON (cJSON): `--engine-opts` read
 * through the option schema of engine.h, and the "options" provenance
 * attribute of a bound file. */
#include "nnhull/io.h"

#include <cjson/cJSON.h>

#include <stdlib.h>

int nnh_bound_opts_parse_json(nnh_bound_opts *o, const char *json, nnh_bound_opts_given *given,
                              nnh_error *err)
{
    cJSON *j = cJSON_Parse(json ? json : "{}");
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return nnh_error_set(err, NNH_EPARSE, "engine options are not a JSON object: %.200s",
                             json);
    }
    nnh_bound_opts_given seen = {0, {0}};
    int rc = NNH_OK;
    for (const cJSON *it = j->child; it && !rc; it = it->next) {
        int key = nnh_bound_opt_find(it->string);
        int twice = 0;
        for (int i = 0; key >= 0 && i < seen.n; i++)
            twice |= seen.key[i] == key;
        if (twice)
            rc = nnh_error_set(err, NNH_EINVAL, "engine option '%s' is given twice", it->string);
        else if (key >= 0 && !cJSON_IsNumber(it))
            rc = nnh_error_set(err, NNH_EINVAL, "engine option '%s': expected a number",
                               it->string);
        else /* an unknown key is refused by set, with the keys the method takes */
            rc = nnh_bound_opts_set(o, it->string, it->valuedouble, err);
        if (!rc)
            nnh_bound_opts_given_add(&seen, key);
    }
    cJSON_Delete(j);
    for (int i = 0; !rc && given && i < seen.n; i++)
        nnh_bound_opts_given_add(given, seen.key[i]);
    return rc;
}

char *nnh_bounds_request_json(const nnh_bounds_request *r)
{
    cJSON *o = cJSON_CreateObject(), *eo = cJSON_CreateObject();
    int ok = o && eo;
    ok = ok && cJSON_AddStringToObject(o, "method", r->method ? r->method : "");
    ok = ok && cJSON_AddStringToObject(o, "region", r->spec ? "spec" : r->box ? "box" : "center");
    if (r->box)
        ok = ok && cJSON_AddStringToObject(o, "box", r->box);
    if (r->center)
        ok = ok && cJSON_AddStringToObject(o, "center", r->center) &&
             cJSON_AddNumberToObject(o, "eps", r->eps);
    if (r->clip)
        ok = ok && cJSON_AddStringToObject(o, "clip", r->clip);
    if (r->split > 0)
        ok = ok && cJSON_AddNumberToObject(o, "split", r->split);
    ok = ok && cJSON_AddBoolToObject(o, "strip_softmax", r->load.strip_softmax) &&
         cJSON_AddBoolToObject(o, "nnet_normalized", r->load.nnet_normalized) &&
         cJSON_AddBoolToObject(o, "nnet_output_relu", r->load.nnet_output_relu);
    if (r->load.dense_layers) /* recorded only when given: files without it are unchanged */
        ok = ok && cJSON_AddBoolToObject(o, "dense_layers", 1);
    for (int i = 0; ok && r->engine && r->given && i < r->given->n; i++) {
        int k = r->given->key[i];
        ok = cJSON_AddNumberToObject(eo, nnh_bound_opt(k)->name,
                                     nnh_bound_opts_get(r->engine, k)) != NULL;
    }
    /* once added, eo belongs to o */
    if (ok && cJSON_AddItemToObject(o, "engine_options", eo))
        eo = NULL;
    else
        ok = 0;
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(eo);
    cJSON_Delete(o);
    return s;
}
