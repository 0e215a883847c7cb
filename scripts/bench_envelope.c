/* Benchmark of the separation oracle: median ns per nnh_separate call that
 * cuts above cav (cav + cut + validation) and below vex, for n = 8 .. 4096
 * and every activation, against a plain qsort of n doubles in the same run.
 * Built as nnh_bench_envelope; run through scripts/bench-envelope. */
#include "nnhull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_INST 16   /* instances per (n, activation), cycled through */
#define N_BATCH 9   /* timed batches; the median batch is reported */
#define MIN_NS 2e5  /* each batch runs at least this long */

static unsigned long long rng = 0x1234567ULL;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return 1e9 * (double)t.tv_sec + (double)t.tv_nsec;
}

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

/* median over batches of the ns per call of one kind: 0 cav cut, 1 vex cut, 2 qsort */
static double time_kind(bench *B, int kind)
{
    int n = B->n;
    double med[N_BATCH], *buf = B->a;
    long reps = 1;
    for (;;) { /* calibrate the batch length */
        double t0 = now_ns();
        for (long r = 0; r < reps; r++) {
            int i = (int)(r % N_INST);
            if (kind == 2) {
                memcpy(buf, B->x + (size_t)i * n, (size_t)n * sizeof(double));
                qsort(buf, (size_t)n, sizeof(double), cmp_double);
            } else {
                nnh_neuron nr = {&B->act, n, B->w + (size_t)i * n, B->l, B->u, B->b[i]};
                nnh_cut cut;
                nnh_separate(&nr, B->x + (size_t)i * n, B->y[2 * i + kind], 1e-9, buf, &cut,
                             &B->ws);
                sink += cut.c;
            }
        }
        double dt = now_ns() - t0;
        if (dt >= MIN_NS) {
            med[0] = dt / (double)reps;
            break;
        }
        reps *= 2;
    }
    for (int k = 1; k < N_BATCH; k++) {
        double t0 = now_ns();
        for (long r = 0; r < reps; r++) {
            int i = (int)(r % N_INST);
            if (kind == 2) {
                memcpy(buf, B->x + (size_t)i * n, (size_t)n * sizeof(double));
                qsort(buf, (size_t)n, sizeof(double), cmp_double);
            } else {
                nnh_neuron nr = {&B->act, n, B->w + (size_t)i * n, B->l, B->u, B->b[i]};
                nnh_cut cut;
                nnh_separate(&nr, B->x + (size_t)i * n, B->y[2 * i + kind], 1e-9, buf, &cut,
                             &B->ws);
                sink += cut.c;
            }
        }
        med[k] = (now_ns() - t0) / (double)reps;
    }
    qsort(med, N_BATCH, sizeof(double), cmp_med);
    return med[N_BATCH / 2];
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
            double tc = time_kind(&B, 0), tv = time_kind(&B, 1), tq = time_kind(&B, 2);
            printf("| %d | %s | %.0f | %.0f | %.0f | %.2f | %.2f | %d/%d |\n", n, acts[k].name, tc,
                   tv, tq, tc / tq, tv / tq, multi, 2 * N_INST);
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
