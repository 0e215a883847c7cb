/* `nnhull campaign` files (see campaign_list.h): reading the instances
 * list, reading/rewriting an earlier results table for --resume and the
 * schedule, and appending durable rows. */
#include "campaign_list.h"

#include "cli_common.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* trim spaces and a trailing '\r' in place */
static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* split line at commas into at most max fields; returns the count */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        f[n++] = trim(p);
        if (!c)
            break;
        p = c + 1;
    }
    return n;
}

static char *resolve(const char *dir, const char *p)
{
    size_t n = strlen(dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", p[0] == '/' ? "" : dir, p[0] == '/' ? "" : "/", p);
    return s;
}

static char *folder_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    if (!sl)
        return strdup(".");
    if (sl == path)
        return strdup("/");
    return strndup(path, (size_t)(sl - path));
}

static int parse_timeout(const char *s, double *t)
{
    char *end;
    errno = 0;
    *t = strtod(s, &end);
    return errno || end == s || *end || !(*t >= 0) || !isfinite(*t);
}

static int add_inst(camp_inst **v, int *n, int *cap, const char *dir, char **f, double t)
{
    if (*n == *cap) {
        int c = *cap ? 2 * *cap : 64;
        camp_inst *w = realloc(*v, (size_t)c * sizeof *w);
        if (!w)
            return 1;
        *v = w;
        *cap = c;
    }
    camp_inst *in = &(*v)[*n];
    memset(in, 0, sizeof *in);
    in->onnx = strdup(f[0]);
    in->vnnlib = strdup(f[1]);
    in->net = resolve(dir, f[0]);
    in->spec = resolve(dir, f[1]);
    in->timeout = t;
    in->expected = -1;
    ++*n;
    return !in->onnx || !in->vnnlib || !in->net || !in->spec;
}

int camp_read_instances(const char *csv, camp_inst **out, int *n)
{
    *out = NULL;
    *n = 0;
    FILE *fp = fopen(csv, "r");
    if (!fp)
        return cli_fail("%s: cannot open: %s", csv, strerror(errno));
    char *dir = folder_of(csv), *line = NULL;
    size_t cap_line = 0;
    int cap = 0, lineno = 0, rc = dir ? CLI_OK : cli_fail("out of memory");
    while (!rc && getline(&line, &cap_line, fp) >= 0) {
        lineno++;
        char *f[4];
        char *l = trim(line);
        if (!*l || *l == '#')
            continue;
        int k = split(l, f, 4);
        double t = 0;
        if (k != 3 || !*f[0] || !*f[1] || parse_timeout(f[2], &t)) {
            if (lineno == 1 && k == 3) /* a header such as onnx,vnnlib,timeout_s */
                continue;
            rc = cli_fail("%s:%d: expected 'onnx,vnnlib,timeout_s'", csv, lineno);
        } else if (add_inst(out, n, &cap, dir, f, t))
            rc = cli_fail("out of memory");
    }
    free(line);
    free(dir);
    fclose(fp);
    if (!rc && *n == 0)
        rc = cli_fail("%s: no instances", csv);
    if (rc) {
        camp_free_instances(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void camp_free_instances(camp_inst *v, int n)
{
    for (int i = 0; v && i < n; i++) {
        free(v[i].onnx);
        free(v[i].vnnlib);
        free(v[i].net);
        free(v[i].spec);
    }
    free(v);
}

/* the static name of a result, or NULL */
static const char *known_result(const char *r)
{
    static const char *const names[] = {"sat", "unsat", "unknown", "timeout", "error", NULL};
    for (int i = 0; names[i]; i++)
        if (!strcmp(r, names[i]))
            return names[i];
    return NULL;
}

/* the instance of a complete row (ends in '\n', 7 fields) with the row's
 * values in *row, or NULL */
static camp_inst *row_instance(char *line, camp_inst *v, int n, nnh_campaign_row *row)
{
    size_t len = strlen(line);
    if (!len || line[len - 1] != '\n')
        return NULL; /* cut short by a kill */
    char *f[8], *end;
    memset(row, 0, sizeof *row);
    if (split(line, f, 8) != 7 || !(row->result = known_result(f[2])) ||
        parse_timeout(f[3], &row->seconds))
        return NULL;
    row->regions = strtol(f[4], &end, 10);
    row->rank_seconds = strtod(f[5], &end);
    row->rank = (int)strtol(f[6], &end, 10);
    row->regions_proved = row->regions_stuck = row->escalations = -1;
    row->max_depth = -1;
    row->seconds_falsify = row->seconds_bounds = NAN;
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].onnx, f[0]) && !strcmp(v[i].vnnlib, f[1]))
            return &v[i];
    return NULL;
}

static int sync_file(FILE *f)
{
    return fflush(f) || fsync(fileno(f));
}

int camp_open_results(const char *path, camp_inst *v, int n, int keep, FILE **out)
{
    *out = NULL;
    size_t plen = strlen(path) + 8;
    char *tmp = malloc(plen);
    if (!tmp)
        return cli_fail("out of memory");
    snprintf(tmp, plen, "%s.tmp", path);
    FILE *w = fopen(tmp, "w");
    if (!w) {
        cli_fail("%s: cannot write: %s", tmp, strerror(errno));
        free(tmp);
        return CLI_FAIL;
    }
    fprintf(w, "%s\n", CAMP_RESULTS_HEADER);
    FILE *r = fopen(path, "r");
    char *line = NULL, *copy = NULL;
    size_t cap = 0;
    while (r && getline(&line, &cap, r) >= 0) {
        free(copy);
        copy = strdup(line);
        nnh_campaign_row row;
        camp_inst *in = copy ? row_instance(copy, v, n, &row) : NULL;
        if (!in || in->finished)
            continue;
        in->expected = row.seconds;
        if (keep) {
            in->finished = in->has_row = 1;
            in->row = row;
            fputs(line, w);
        }
    }
    free(line);
    free(copy);
    if (r)
        fclose(r);
    int bad = sync_file(w) | fclose(w);
    if (bad || rename(tmp, path)) {
        remove(tmp);
        free(tmp);
        return cli_fail("%s: cannot write", path);
    }
    free(tmp);
    *out = fopen(path, "a");
    return *out ? CLI_OK : cli_fail("%s: cannot append: %s", path, strerror(errno));
}

int camp_append_row(FILE *f, const char *path, const camp_inst *in, const char *result,
                    double seconds, long regions, double rank_seconds, int rank)
{
    fprintf(f, "%s,%s,%s,%.3f,%ld,%.3f,%d\n", in->onnx, in->vnnlib, result, seconds, regions,
            rank_seconds, rank);
    return sync_file(f) ? cli_fail("%s: cannot write: %s", path, strerror(errno)) : CLI_OK;
}
