/* Benchmark of the separation oracle: median ns per nnh_separate call that
 * cuts above cav (cav + cut + validation) and below vex, for n = 8 .. 4096
 * and every activation, against a plain qsort of n doubles in the same run.
 * Built as nnh_bench_envelope; run through scripts/bench-envelope. */
#include "nnhull/nnhull.h"
#include "nnh_clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_INST 16   /* instances per (n, activation), cycled through */
#define N_BATCH 11  /* timed batches; medians are reported */
#define MIN_NS 2e5  /* each batch runs at least this long */

static unsigned long long rng = 0x1234567ULL;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static double now_ns(void) { return 1e9 * nnh_now(); }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_med(const void *a, const void *b) { return cmp_double(a, b); }

typedef struct bench {
    int n;
    nnh_activation act;
    double *w, *l, *u, *x, *y, *a, b[N_INST];
    nnh_env_ws ws;
} bench;

static volatile double sink;

/* One batch of reps calls of one kind (0 cav cut, 1 vex cut, 2 qsort): ns per call. */
static double run_batch(bench *B, int kind, long reps)
{
    int n = B->n;
    double *buf = B->a, t0 = now_ns();
    for (long r = 0; r < reps; r++) {
        int i = (int)(r % N_INST);
        if (kind == 2) {
            memcpy(buf, B->x + (size_t)i * n, (size_t)n * sizeof(double));
            qsort(buf, (size_t)n, sizeof(double), cmp_double);
        } else {
            nnh_neuron nr = {&B->act, n, B->w + (size_t)i * n, B->l, B->u, B->b[i]};
            nnh_cut cut;
            nnh_separate(&nr, B->x + (size_t)i * n, B->y[2 * i + kind], 1e-9, buf, &cut, &B->ws);
            sink += cut.c;
        }
    }
    return (now_ns() - t0) / (double)reps;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_med);
    return v[n / 2];
}

/* Batches of the three kinds interleaved, so that load from other processes
 * hits them alike; out[0..2] median ns per call, out[3..4] median of the
 * per-batch ratios cav/qsort and vex/qsort. */
static void time_all(bench *B, double out[5])
{
    long reps = 1;
    while (run_batch(B, 0, reps) * (double)reps < MIN_NS)
        reps *= 2;
    double t[3][N_BATCH], rc[N_BATCH], rv[N_BATCH];
    for (int k = 0; k < N_BATCH; k++) {
        for (int kind = 0; kind < 3; kind++)
            t[kind][k] = run_batch(B, kind, reps);
        rc[k] = t[0][k] / t[2][k];
        rv[k] = t[1][k] / t[2][k];
    }
    for (int kind = 0; kind < 3; kind++)
        out[kind] = median(t[kind], N_BATCH);
    out[3] = median(rc, N_BATCH);
    out[4] = median(rv, N_BATCH);
}

int main(int argc, char **argv)
{
    static const int sizes[] = {8, 64, 784, 4096};
    struct {
        const char *name;
        nnh_act_kind kind;
        double alpha;
    } acts[] = {{"relu", NNH_ACT_RELU, 0},       {"leaky_relu", NNH_ACT_LEAKY_RELU, 0.01},
                {"sigmoid", NNH_ACT_SIGMOID, 0}, {"tanh", NNH_ACT_TANH, 0},
                {"softplus", NNH_ACT_SOFTPLUS, 0}, {"elu", NNH_ACT_ELU, 1.0},
                {"elu1.5", NNH_ACT_ELU, 1.5},     {"selu", NNH_ACT_SELU, NNH_SELU_ALPHA}};
    int n_sizes = argc > 1 ? atoi(argv[1]) : 4; /* optional: only the first k sizes */
    if (n_sizes < 1 || n_sizes > 4)
        n_sizes = 4;
    printf("| n | activation | cav+cut ns | vex+cut ns | qsort ns | cav/qsort | vex/qsort | cuts multivariate |\n");
    printf("|---:|---|---:|---:|---:|---:|---:|---:|\n");
    for (int s = 0; s < n_sizes; s++) {
        int n = sizes[s];
        for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++) {
            bench B;
            B.n = n;
            nnh_act_default(&B.act, acts[k].kind);
            if (acts[k].kind != NNH_ACT_SELU && acts[k].alpha > 0)
                B.act.alpha = acts[k].alpha;
            B.w = malloc((size_t)n * N_INST * sizeof(double));
            B.x = malloc((size_t)n * N_INST * sizeof(double));
            B.l = malloc((size_t)n * sizeof(double));
            B.u = malloc((size_t)n * sizeof(double));
            B.a = malloc((size_t)n * sizeof(double));
            B.y = malloc(2 * N_INST * sizeof(double));
            if (!B.w || !B.x || !B.l || !B.u || !B.a || !B.y ||
                nnh_env_ws_init(&B.ws, n, NULL)) {
                fprintf(stderr, "bench_envelope: out of memory\n");
                return 1;
            }
            for (int i = 0; i < n; i++) {
                B.l[i] = -1.0;
                B.u[i] = 1.0;
            }
            int multi = 0;
            double scale = 3.0 / sqrt((double)n); /* z ranges over a few units */
            for (int r = 0; r < N_INST; r++) {
                double *w = B.w + (size_t)r * n, *x = B.x + (size_t)r * n;
                for (int i = 0; i < n; i++) {
                    w[i] = (2 * urand() - 1) * scale;
                    x[i] = 2 * urand() - 1;
                }
                B.b[r] = 2 * urand() - 1;
                nnh_neuron nr = {&B.act, n, w, B.l, B.u, B.b[r]};
                nnh_env_point pc, pv;
                nnh_cav(&nr, x, NULL, &pc, &B.ws);
                nnh_vex(&nr, x, NULL, &pv, &B.ws);
                B.y[2 * r] = pc.value + 0.1;     /* above cav: upper cut */
                B.y[2 * r + 1] = pv.value - 0.1; /* below vex: lower cut */
                multi += (pc.region == NNH_REGION_I) + (pv.region == NNH_REGION_I);
            }
            double t[5];
            time_all(&B, t);
            printf("| %d | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %d/%d |\n", n, acts[k].name, t[0],
                   t[1], t[2], t[3], t[4], multi, 2 * N_INST);
            fflush(stdout);
            free(B.w);
            free(B.x);
            free(B.l);
            free(B.u);
            free(B.a);
            free(B.y);
            nnh_env_ws_free(&B.ws);
        }
    }
    return sink == 12345.678 ? 2 : 0;
}
