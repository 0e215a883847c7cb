/* MPI start-up and message transport for the distributed runs (bounds, verify).
 * MPI is initialised only under a launcher: a plain `nnhull bounds` must not
 * pay for (or depend on) Open MPI's singleton start-up, which forks an
 * orted-like helper and takes about a second here. */
#include "dist_internal.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Set by mpirun (Open MPI, MPICH/Hydra, Intel MPI), srun --mpi=pmi2/pmix,
 * and the PMIx servers; SLURM_* alone is not enough (a batch script's own
 * shell has them without any MPI launcher). */
static int launched_by_mpi(void)
{
    const char *o = getenv("NNHULL_MPI");
    if (o && *o)
        return strcmp(o, "0") != 0;
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE", "MV2_COMM_WORLD_SIZE", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

nnh_dist *nnh_dist_start(int *argc, char ***argv)
{
    nnh_dist *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->size = 1;
    if (launched_by_mpi()) {
        MPI_Init(argc, argv);
        d->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    }
    return d;
}

int nnh_dist_rank(const nnh_dist *d) { return d ? d->rank : 0; }
int nnh_dist_size(const nnh_dist *d) { return d ? d->size : 1; }

void nnh_dist_end(nnh_dist *d, int clean)
{
    if (!d)
        return;
    if (d->mpi && clean) {
        dist_flush(d, 1);
        MPI_Finalize();
    }
    for (int i = 0; i < d->n_out; i++)
        free(d->out[i].buf);
    free(d->out);
    free(d);
}

int dist_fault(const char *what)
{
    const char *f = getenv("NNHULL_FAULT");
    return f && !strcmp(f, what);
}

void dist_flush(nnh_dist *d, int wait)
{
    int j = 0;
    for (int i = 0; i < d->n_out; i++) {
        int done = 0;
        if (wait)
            MPI_Wait(&d->out[i].req, MPI_STATUS_IGNORE), done = 1;
        else
            MPI_Test(&d->out[i].req, &done, MPI_STATUS_IGNORE);
        if (done)
            free(d->out[i].buf);
        else
            d->out[j++] = d->out[i];
    }
    d->n_out = j;
}

int dist_send(nnh_dist *d, int dest, int tag, nnh_pack *p)
{
    if (p->failed)
        return NNH_ENOMEM;
    if (d->n_out == d->cap_out) {
        int cap = d->cap_out ? 2 * d->cap_out : 16;
        outmsg *o = realloc(d->out, (size_t)cap * sizeof *o);
        if (!o)
            return NNH_ENOMEM;
        d->out = o;
        d->cap_out = cap;
    }
    outmsg *m = &d->out[d->n_out++];
    m->buf = p->data; /* owned by the send until it completes */
    MPI_Isend(m->buf, (int)p->len, MPI_BYTE, dest, tag, MPI_COMM_WORLD, &m->req);
    p->data = NULL;
    p->len = p->cap = 0;
    d->messages++;
    if (d->n_out > 64)
        dist_flush(d, 0);
    return NNH_OK;
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

int dist_recv(nnh_dist *d, int src, int block, volatile int *stop, int *from, int *tag,
              unsigned char **buf, int *len)
{
    *buf = NULL;
    MPI_Status st;
    int flag = 0;
    long spins = 0;
    for (;;) {
        MPI_Iprobe(src, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag || !block || (stop && *stop))
            break;
        /* poll briefly, then sleep: a waiting rank must not eat a core
         * that a computing rank on the same node needs */
        if (++spins > 200)
            nap(spins > 2000 ? 200000 : 20000);
        if (d->n_out)
            dist_flush(d, 0);
    }
    if (!flag)
        return NNH_OK;
    MPI_Get_count(&st, MPI_BYTE, len);
    *buf = malloc(*len > 0 ? (size_t)*len : 1);
    if (!*buf)
        return NNH_ENOMEM;
    MPI_Recv(*buf, *len, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    *from = st.MPI_SOURCE;
    *tag = st.MPI_TAG;
    d->messages++;
    return NNH_OK;
}

int dist_bcast_job(nnh_dist *d, int status, nnh_pack *job)
{
    if (!d->mpi || d->size == 1 || d->job_sent)
        return NNH_OK;
    d->job_sent = 1;
    /* hdr[0]: -1 = a job follows, else the exit status the workers take */
    long hdr[2] = {job ? -1 : status, job ? (long)job->len : 0};
    MPI_Bcast(hdr, 2, MPI_LONG, 0, MPI_COMM_WORLD);
    if (job && hdr[1] > 0)
        MPI_Bcast(job->data, (int)hdr[1], MPI_BYTE, 0, MPI_COMM_WORLD);
    return NNH_OK;
}

int dist_recv_job(nnh_dist *d, unsigned char **job, int *len)
{
    long hdr[2];
    (void)d;
    MPI_Bcast(hdr, 2, MPI_LONG, 0, MPI_COMM_WORLD);
    *job = NULL;
    *len = 0;
    if (hdr[0] >= 0)
        return (int)hdr[0];
    *job = malloc(hdr[1] > 0 ? (size_t)hdr[1] : 1);
    if (!*job) /* the broadcast is collective: nobody can go on without us */
        MPI_Abort(MPI_COMM_WORLD, 1);
    if (hdr[1] > 0)
        MPI_Bcast(*job, (int)hdr[1], MPI_BYTE, 0, MPI_COMM_WORLD);
    *len = (int)hdr[1];
    return -1;
}

void nnh_dist_cancel(nnh_dist *d, int status)
{
    if (d && d->rank == 0)
        dist_bcast_job(d, status, NULL);
}

void dist_stop_all(nnh_dist *d)
{
    for (int w = 1; w < d->size; w++) {
        nnh_pack p;
        nnh_pack_init(&p);
        nnh_pack_int(&p, 0);
        dist_send(d, w, TAG_STOP, &p);
        nnh_pack_free(&p);
    }
}

void nnh_dist_handle_signals(void (*handler)(int))
{
    int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler ? handler : SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
