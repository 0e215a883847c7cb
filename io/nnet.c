/* .nnet reader (Kyle Julian's ACAS Xu text format and the reduced layout of
 * NeuralVerification.jl): header, input domain and normalisation, then the
 * weight rows and biases of each dense layer; ReLU hidden layers.
 * Accepted besides the standard layout: trailing commas, spaces, CRLF, blank
 * lines; any text on the legacy symmetric-flag line; a first line holding the
 * layer count alone with single 0 placeholders for the four normalisation
 * lines (no normalisation, no input domain); means/ranges without the output
 * entry (outputs unscaled); normalisation lines describing more inputs than the
 * network has (first numInputs entries used, last mean/range for the outputs). */
#include "nnhull/io.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest layer width we accept; far above any real .nnet file, and small
 * enough that width products fit comfortably in 64 bits. */
#define NN_MAX_WIDTH 100000000L

typedef struct nn_reader {
    const char *path;
    nnh_error *err;
    char *text;       /* whole file, lines NUL-terminated in place */
    size_t len, pos;  /* pos: start of the next unread line */
    int line;         /* 1-based number of the current line */
    char *cur;        /* current line (trimmed of the newline and '\r') */
} nn_reader;

typedef struct nn_head {
    int n_layers;
    int *sizes;       /* n_layers + 1 */
    int head_line, sizes_line;
    int has_norm;     /* 0 for the reduced layout (placeholder lines) */
    int n_desc;       /* inputs the normalisation lines describe (>= n_inputs) */
    double *mins, *maxs, *means, *ranges; /* n_desc, n_desc, n_desc+1, n_desc+1 */
    int maxs_line, ranges_line;
} nn_head;

/* ---- reading lines and fields -------------------------------------- */

static int read_all(nn_reader *R)
{
    char *buf;
    size_t n;
    int rc = nnh_read_file(R->path, (size_t)1 << 40, &buf, &n, R->err);
    if (rc)
        return rc;
    R->text = buf;
    R->len = n;
    return NNH_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int is_blank(const char *s)
{
    while (is_space(*s))
        s++;
    return *s == '\0';
}

/* Advance to the next line, blank or not; 0 at end of file. */
static int raw_next(nn_reader *R)
{
    if (R->pos >= R->len)
        return 0;
    char *s = R->text + R->pos, *nl = memchr(s, '\n', R->len - R->pos);
    size_t n = nl ? (size_t)(nl - s) : R->len - R->pos;
    s[n] = '\0';
    R->pos += n + 1;
    R->line++;
    R->cur = s;
    if (memchr(s, '\0', n))
        return -1; /* embedded NUL: a binary file */
    return 1;
}

/* Next non-blank line; what says what was expected there (for the messages). */
static int next_line(nn_reader *R, const char *what)
{
    for (;;) {
        int r = raw_next(R);
        if (r < 0)
            return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: NUL byte in the file (not a text .nnet)",
                                 R->path, R->line);
        if (r == 0)
            return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: unexpected end of file, expected %s",
                                 R->path, R->line + 1, what);
        if (!is_blank(R->cur))
            return NNH_OK;
    }
}

/* Number of comma-separated fields of the current line; a trailing comma
 * does not start a field. An empty field elsewhere is an error. */
static int count_fields(nn_reader *R, const char *what, int *n)
{
    int count = 0;
    const char *s = R->cur;
    for (;;) {
        const char *e = strchr(s, ',');
        size_t flen = e ? (size_t)(e - s) : strlen(s);
        int empty = 1;
        for (size_t i = 0; i < flen; i++)
            if (!is_space(s[i]))
                empty = 0;
        if (empty && !(count > 0 && !e))
            return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: %s: field %d is empty", R->path,
                                 R->line, what, count + 1);
        if (!empty)
            count++;
        if (!e)
            break;
        s = e + 1;
    }
    *n = count;
    return NNH_OK;
}

static int expect_fields(nn_reader *R, const char *what, int want)
{
    int n, rc = count_fields(R, what, &n);
    if (rc)
        return rc;
    if (n != want)
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: expected %d value%s (%s), found %d",
                             R->path, R->line, want, want == 1 ? "" : "s", what, n);
    return NNH_OK;
}

/* Copy of field text for a message (up to the next comma, at most 40 chars). */
static void field_text(const char *p, char *out, size_t cap)
{
    size_t n = strcspn(p, ",");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Parse the field at *pp as a finite double and step past its comma. */
static int parse_double(nn_reader *R, char **pp, const char *what, int idx, double *v)
{
    char *p = *pp, *end, txt[48];
    while (is_space(*p))
        p++;
    double x = strtod(p, &end); /* overflow gives inf; underflow a tiny value, kept */
    char *q = end;
    while (is_space(*q))
        q++;
    field_text(p, txt, sizeof txt);
    if (end == p || (*q != ',' && *q != '\0'))
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: %s: value %d is not a number: '%s'",
                             R->path, R->line, what, idx + 1, txt);
    if (!isfinite(x))
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: %s: value %d is not finite: '%s'",
                             R->path, R->line, what, idx + 1, txt);
    *v = x;
    *pp = *q == ',' ? q + 1 : q;
    return NNH_OK;
}

/* The current line holds exactly n finite numbers: store them in out. */
static int parse_doubles(nn_reader *R, const char *what, int n, double *out)
{
    int rc = expect_fields(R, what, n);
    char *p = R->cur;
    for (int i = 0; !rc && i < n; i++)
        rc = parse_double(R, &p, what, i, &out[i]);
    return rc;
}

static int parse_int(nn_reader *R, char **pp, const char *what, int idx, long lo, long hi, int *v)
{
    char *p = *pp, *end, txt[48];
    while (is_space(*p))
        p++;
    errno = 0;
    long x = strtol(p, &end, 10);
    char *q = end;
    while (is_space(*q))
        q++;
    field_text(p, txt, sizeof txt);
    if (end == p || (*q != ',' && *q != '\0'))
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: %s: value %d is not an integer: '%s'",
                             R->path, R->line, what, idx + 1, txt);
    if (errno == ERANGE || x < lo || x > hi)
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: %s: value %d is %s, expected %ld..%ld",
                             R->path, R->line, what, idx + 1, txt, lo, hi);
    *v = (int)x;
    *pp = *q == ',' ? q + 1 : q;
    return NNH_OK;
}

/* ---- header --------------------------------------------------------- */

static void head_free(nn_head *H)
{
    free(H->sizes);
    free(H->mins);
    free(H->maxs);
    free(H->means);
    free(H->ranges);
}

/* First line: "numLayers, numInputs, numOutputs, maxLayerSize" (standard) or
 * "numLayers" alone (reduced layout). Then the layer sizes line. */
static int read_sizes(nn_reader *R, nn_head *H, int head4[4])
{
    const char *what = "the header 'numLayers, numInputs, numOutputs, maxLayerSize'";
    int n, rc = next_line(R, what);
    /* leading // comment lines */
    while (!rc && strncmp(R->cur + strspn(R->cur, " \t"), "//", 2) == 0)
        rc = next_line(R, what);
    if (!rc)
        rc = count_fields(R, what, &n);
    if (rc)
        return rc;
    if (n != 4 && n != 1)
        return nnh_error_set(R->err, NNH_EPARSE,
                             "%s:%d: expected %s (or the layer count alone), found %d values",
                             R->path, R->line, what, n);
    H->has_norm = n == 4;
    H->head_line = R->line;
    char *p = R->cur;
    for (int i = 0; i < n && !rc; i++)
        rc = parse_int(R, &p, "header", i, 1, i == 0 ? INT_MAX - 1 : NN_MAX_WIDTH, &head4[i]);
    if (!rc)
        rc = next_line(R, "the layer sizes line");
    if (!rc)
        rc = count_fields(R, "layer sizes", &n);
    if (rc)
        return rc;
    H->n_layers = head4[0];
    H->sizes_line = R->line;
    if (n != H->n_layers + 1) /* checked before allocating: n is bounded by the line length */
        return nnh_error_set(R->err, NNH_EPARSE,
                             "%s:%d: expected %d layer sizes (numLayers + 1 = %d + 1), found %d",
                             R->path, R->line, H->n_layers + 1, H->n_layers, n);
    H->sizes = malloc((size_t)n * sizeof(int));
    if (!H->sizes)
        return nnh_error_set(R->err, NNH_ENOMEM, "%s: out of memory", R->path);
    p = R->cur;
    for (int i = 0; i < n && !rc; i++)
        rc = parse_int(R, &p, "layer sizes", i, 1, NN_MAX_WIDTH, &H->sizes[i]);
    return rc;
}

/* The standard header's counts must agree with the sizes line. */
static int check_head4(nn_reader *R, const nn_head *H, const int head4[4])
{
    int L = H->n_layers, mx = 0;
    for (int i = 0; i <= L; i++)
        if (H->sizes[i] > mx)
            mx = H->sizes[i];
    const char *name[3] = {"numInputs", "numOutputs", "maxLayerSize"};
    int want[3] = {H->sizes[0], H->sizes[L], mx};
    for (int i = 0; i < 3; i++)
        if (head4[i + 1] != want[i])
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: the header's %s is %d but the layer sizes on line %d "
                                 "give %d",
                                 R->path, H->head_line, name[i], head4[i + 1], H->sizes_line,
                                 want[i]);
    return NNH_OK;
}

/* The reduced layout replaces each normalisation line by a single 0. */
static int read_placeholder(nn_reader *R, const nn_head *H, const char *what)
{
    int rc = next_line(R, what);
    double v;
    if (!rc)
        rc = parse_doubles(R, what, 1, &v);
    if (!rc && v != 0.0)
        rc = NNH_EPARSE;
    if (rc)
        return nnh_error_set(R->err, NNH_EPARSE,
                             "%s:%d: the reduced layout (layer count alone on line %d) expects the "
                             "placeholder 0 here in place of the %s, found '%.40s'",
                             R->path, R->line, H->head_line, what, R->cur);
    return NNH_OK;
}

/* Allocate n doubles and parse the current line into the first `have`. */
static int parse_vec(nn_reader *R, const char *what, int have, int n, double **out)
{
    *out = malloc((size_t)n * sizeof(double));
    if (!*out)
        return nnh_error_set(R->err, NNH_ENOMEM, "%s: out of memory", R->path);
    return parse_doubles(R, what, have, *out);
}

/* A means or ranges line of m or m+1 values; *got is the count found (the
 * ranges line must match the means line: pass the means' count). */
static int read_mean_or_range(nn_reader *R, const char *what, int m, int *got, double **out)
{
    int n, rc = next_line(R, what);
    if (!rc)
        rc = count_fields(R, what, &n);
    if (rc)
        return rc;
    if ((*got >= 0 && n != *got) || (*got < 0 && n != m && n != m + 1))
        return nnh_error_set(R->err, NNH_EPARSE,
                             "%s:%d: expected %d %s (one per input, then the output's), found %d",
                             R->path, R->line, *got >= 0 ? *got : m + 1, what, n);
    *got = n;
    int rc2 = parse_vec(R, what, n, m + 1, out);
    if (!rc2 && n == m) /* no output entry: the outputs are not scaled */
        (*out)[m] = strcmp(what, "means") == 0 ? 0.0 : 1.0;
    return rc2;
}

/* Standard layout: mins, maxes (n each), means, ranges (n+1 each, the last
 * for the outputs; NeuralVerification.jl's MNIST files omit that last entry:
 * the outputs are then not scaled). n may exceed numInputs
 * (NeuralVerification.jl's extended ACAS Xu header describes 7 inputs for a
 * 5-input network): the first numInputs entries then belong to the inputs and
 * the last mean/range to the outputs. */
static int read_norm_lines(nn_reader *R, nn_head *H)
{
    int n_in = H->sizes[0], m, got = -1;
    int rc = next_line(R, "the input minimums line");
    if (!rc)
        rc = count_fields(R, "input minimums", &m);
    if (rc)
        return rc;
    if (m < n_in)
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: expected %d input minimums, found %d",
                             R->path, R->line, n_in, m);
    H->n_desc = m;
    rc = parse_vec(R, "input minimums", m, m, &H->mins);
    if (!rc)
        rc = next_line(R, "the input maximums line");
    if (!rc)
        rc = parse_vec(R, "input maximums", m, m, &H->maxs);
    H->maxs_line = R->line;
    if (!rc)
        rc = read_mean_or_range(R, "means", m, &got, &H->means);
    if (!rc)
        rc = read_mean_or_range(R, "ranges", m, &got, &H->ranges);
    H->ranges_line = R->line;
    return rc;
}

static int check_norm(nn_reader *R, const nn_head *H)
{
    int n_in = H->sizes[0], m = H->n_desc;
    for (int j = 0; j < n_in; j++)
        if (H->mins[j] > H->maxs[j])
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: input %d: maximum %.17g is below the minimum %.17g",
                                 R->path, H->maxs_line, j, H->maxs[j], H->mins[j]);
    for (int j = 0; j <= m; j++) {
        if (j >= n_in && j < m)
            continue; /* extra entries of an extended header are not used */
        if (H->ranges[j] == 0.0 && j < m)
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: the range of input %d is 0, so its normalisation "
                                 "(x - mean) / range is undefined",
                                 R->path, H->ranges_line, j);
        if (H->ranges[j] == 0.0)
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: the output range (last value) is 0: every output would "
                                 "be constant",
                                 R->path, H->ranges_line);
    }
    return NNH_OK;
}

static int read_header(nn_reader *R, nn_head *H)
{
    int head4[4] = {0};
    int rc = read_sizes(R, H, head4);
    if (!rc && H->has_norm)
        rc = check_head4(R, H, head4);
    if (!rc) /* legacy "symmetric" flag: unused by every reader, any content */
        rc = next_line(R, "the legacy symmetric-flag line");
    if (rc)
        return rc;
    if (!H->has_norm) {
        const char *what[4] = {"input minimums", "input maximums", "means", "ranges"};
        for (int i = 0; i < 4 && !rc; i++)
            rc = read_placeholder(R, H, what[i]);
        return rc;
    }
    rc = read_norm_lines(R, H);
    return rc ? rc : check_norm(R, H);
}

/* Every weight and bias takes at least two bytes ("0," or "0\n"): a file
 * shorter than that cannot hold the declared layers. Checked before any
 * weight matrix is allocated. */
static int check_room(nn_reader *R, const nn_head *H)
{
    unsigned long long need = 0, room = R->len - (R->pos < R->len ? R->pos : R->len);
    for (int k = 0; k < H->n_layers && need <= room; k++)
        need += (unsigned long long)H->sizes[k + 1] * ((unsigned long long)H->sizes[k] + 1);
    if (need > room / 2 + 1)
        return nnh_error_set(R->err, NNH_EPARSE,
                             "%s:%d: the layer sizes need %s%llu weights and biases but only %llu "
                             "bytes follow the header (truncated file or wrong sizes)",
                             R->path, H->sizes_line, need > room ? "more than " : "",
                             need > room ? room : need, room);
    return NNH_OK;
}

/* ---- layers --------------------------------------------------------- */

static int read_layer(nn_reader *R, nnh_layer *L, int k)
{
    char what[96];
    for (int i = 0; i < L->n_out; i++) {
        snprintf(what, sizeof what, "weights of neuron %d of layer %d", i, k);
        int rc = next_line(R, what);
        if (!rc)
            rc = parse_doubles(R, what, L->n_in, L->W + (size_t)i * L->n_in);
        if (rc)
            return rc;
    }
    for (int i = 0; i < L->n_out; i++) {
        snprintf(what, sizeof what, "bias of neuron %d of layer %d", i, k);
        int rc = next_line(R, what);
        if (!rc)
            rc = parse_doubles(R, what, 1, &L->b[i]);
        if (rc)
            return rc;
    }
    return NNH_OK;
}

static int check_end(nn_reader *R, int n_layers)
{
    int r;
    while ((r = raw_next(R)) > 0)
        if (!is_blank(R->cur))
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: unexpected content after the last of the %d layers: "
                                 "'%.40s'",
                                 R->path, R->line, n_layers, R->cur);
    if (r < 0)
        return nnh_error_set(R->err, NNH_EPARSE, "%s:%d: NUL byte in the file (not a text .nnet)",
                             R->path, R->line);
    return NNH_OK;
}

/* ---- normalisation -------------------------------------------------- */

/* x_n = (x - mean) / range folded into layer 0:
 * W'_ij = W_ij / range_j,  b'_i = b_i - sum_j W_ij mean_j / range_j. */
static void fold_input_norm(nnh_layer *L, const nn_head *H)
{
    for (int i = 0; i < L->n_out; i++) {
        double *w = L->W + (size_t)i * L->n_in, s = L->b[i];
        for (int j = 0; j < L->n_in; j++) {
            s -= w[j] * (H->means[j] / H->ranges[j]);
            w[j] /= H->ranges[j];
        }
        L->b[i] = s;
    }
}

/* y = y_n * range_out + mean_out folded into an affine output layer. */
static void fold_output_scale(nnh_layer *L, double mean, double range)
{
    for (int i = 0; i < L->n_out; i++) {
        double *w = L->W + (size_t)i * L->n_in;
        for (int j = 0; j < L->n_in; j++)
            w[j] *= range;
        L->b[i] = L->b[i] * range + mean;
    }
}

/* Raw mode with an output ReLU: the scaling follows the ReLU, so it becomes
 * an extra diagonal identity-activation layer. */
static void set_scale_layer(nnh_layer *L, double mean, double range)
{
    for (int i = 0; i < L->n_out; i++) {
        L->W[(size_t)i * L->n_in + i] = range;
        L->b[i] = mean;
    }
}

static int set_domain(nn_reader *R, nnh_network *net, const nn_head *H, int normalized)
{
    int n = net->n_inputs;
    net->in_min = malloc((size_t)n * sizeof(double));
    net->in_max = malloc((size_t)n * sizeof(double));
    if (!net->in_min || !net->in_max)
        return nnh_error_set(R->err, NNH_ENOMEM, "%s: out of memory", R->path);
    for (int j = 0; j < n; j++) {
        double lo = H->mins[j], hi = H->maxs[j];
        if (normalized) {
            lo = (lo - H->means[j]) / H->ranges[j];
            hi = (hi - H->means[j]) / H->ranges[j];
        }
        net->in_min[j] = lo < hi ? lo : hi;
        net->in_max[j] = lo < hi ? hi : lo;
        if (!isfinite(net->in_min[j]) || !isfinite(net->in_max[j]))
            return nnh_error_set(R->err, NNH_EPARSE,
                                 "%s:%d: input %d: the normalised domain is not finite", R->path,
                                 H->ranges_line, j);
    }
    return NNH_OK;
}

static int need_scale_layer(const nn_head *H, const nnh_load_opts *o)
{
    if (!H->has_norm || o->nnet_normalized || !o->nnet_output_relu)
        return 0;
    return H->means[H->n_desc] != 0.0 || H->ranges[H->n_desc] != 1.0;
}

/* Build the network from the header and the layer lines that follow. */
static int build(nn_reader *R, const nn_head *H, const nnh_load_opts *o, nnh_network **out)
{
    int L = H->n_layers, extra = need_scale_layer(H, o);
    int *sizes = malloc(((size_t)L + 2) * sizeof(int));
    if (!sizes)
        return nnh_error_set(R->err, NNH_ENOMEM, "%s: out of memory", R->path);
    memcpy(sizes, H->sizes, ((size_t)L + 1) * sizeof(int));
    sizes[L + 1] = sizes[L];
    nnh_network *net;
    int rc = nnh_network_create(&net, L + extra, sizes, R->err);
    free(sizes);
    if (rc)
        return nnh_error_prefix(R->err, "%s", R->path);
    for (int k = 0; k < L && !rc; k++) {
        if (k < L - 1 || o->nnet_output_relu)
            nnh_act_default(&net->layers[k].act, NNH_ACT_RELU);
        rc = read_layer(R, &net->layers[k], k);
    }
    if (!rc)
        rc = check_end(R, L);
    if (!rc && H->has_norm) {
        double m_out = H->means[H->n_desc], r_out = H->ranges[H->n_desc];
        if (!o->nnet_normalized) {
            fold_input_norm(&net->layers[0], H);
            if (extra)
                set_scale_layer(&net->layers[L], m_out, r_out);
            else if (!o->nnet_output_relu)
                fold_output_scale(&net->layers[L - 1], m_out, r_out);
        }
        rc = set_domain(R, net, H, o->nnet_normalized);
    }
    if (!rc) {
        net->format = strdup("nnet");
        net->source = strdup(R->path);
        if (!net->format || !net->source)
            rc = nnh_error_set(R->err, NNH_ENOMEM, "%s: out of memory", R->path);
        else if ((rc = nnh_network_validate(net, R->err))) /* e.g. folding overflowed */
            nnh_error_prefix(R->err, "%s", R->path);
    }
    if (rc)
        nnh_network_free(net);
    else
        *out = net;
    return rc;
}

int nnh_load_nnet(const char *path, const nnh_load_opts *o, nnh_network **out, nnh_error *err)
{
    nnh_load_opts def;
    if (!o) {
        nnh_load_opts_init(&def);
        o = &def;
    }
    *out = NULL;
    nn_reader R = {.path = path, .err = err};
    nn_head H = {0};
    int rc = read_all(&R);
    if (!rc && R.len == 0)
        rc = nnh_error_set(err, NNH_EPARSE, "%s:1: empty file, expected a .nnet header", path);
    if (!rc)
        rc = read_header(&R, &H);
    if (!rc)
        rc = check_room(&R, &H);
    if (!rc)
        rc = build(&R, &H, o, out);
    head_free(&H);
    free(R.text);
    return rc;
}
