/* MPI start-up and message transport for the distributed runs (bounds, verify).
 * MPI is initialised only under a launcher: a plain `nnhull bounds` must not
 * pay for (or depend on) Open MPI's singleton start-up, which forks an
 * orted-like helper and takes about a second here. */
#include "dist_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Every rank's process id and node name to the master, so that it can tell
 * which worker is gone when the launcher stops the job (dist_gone_rank). */
static void gather_identities(nnh_dist *d)
{
    char host[DIST_HOST] = {0};
    gethostname(host, sizeof host - 1);
    int pid = (int)getpid(), ok = 1;
    if (d->rank == 0) {
        d->pids = malloc((size_t)d->size * sizeof *d->pids);
        d->hosts = calloc((size_t)d->size, DIST_HOST);
        ok = d->pids && d->hosts;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD); /* no room: nobody gathers */
    if (ok) {
        MPI_Gather(&pid, 1, MPI_INT, d->pids, 1, MPI_INT, 0, MPI_COMM_WORLD);
        MPI_Gather(host, DIST_HOST, MPI_CHAR, d->hosts, DIST_HOST, MPI_CHAR, 0, MPI_COMM_WORLD);
        return;
    }
    free(d->pids);
    free(d->hosts);
    d->pids = NULL;
    d->hosts = NULL;
}

nnh_dist *nnh_dist_start(int *argc, char ***argv)
{
    nnh_dist *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->size = 1;
    d->task = -1;
    d->help_comm = MPI_COMM_NULL;
    if (launched_by_mpi()) {
        /* Open MPI's own crash handler prints a raw stack dump from the rank
         * that crashed; the master names the rank and its task instead (see
         * dist_gone_rank). Set OMPI_MCA_opal_signal=6,7,8,11 to have it back. */
        setenv("OMPI_MCA_opal_signal", "", 0);
        MPI_Init(argc, argv);
        d->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &d->size);
        if (d->size > 1)
            gather_identities(d);
    }
    return d;
}

/* The process still runs: it exists and is not a zombie waiting to be reaped. */

int dist_rank_gone(const nnh_dist *d, int w)
{
    if (!d || !d->mpi || d->rank != 0 || !d->pids || !d->hosts || w <= 0 || w >= d->size)
        return 0;
    return !strcmp(d->hosts + (size_t)w * DIST_HOST, d->hosts) && !nnh_process_alive(d->pids[w]);
}

int dist_gone_rank(const nnh_dist *d)
{
    for (int w = 1; d && w < d->size; w++)
        if (dist_rank_gone(d, w))
            return w;
    return -1;
}

void dist_rank_name(const nnh_dist *d, int w, char *buf, size_t len)
{
    if (d && d->pids && d->hosts && w >= 0 && w < d->size)
        snprintf(buf, len, "rank %d (pid %d on %.100s)", w, d->pids[w],
                 d->hosts + (size_t)w * DIST_HOST);
    else
        snprintf(buf, len, "rank %d", w);
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
    free(d->pids);
    free(d->hosts);
    free(d);
}

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

int dist_fault(const char *what)
{
    const char *f = getenv("NNHULL_FAULT");
    return f && !strcmp(f, what);
}

void dist_fault_stall(const nnh_dist *d)
{
    static int stalled;
    if (stalled || !dist_fault("stall"))
        return;
    stalled = 1;
    const char *file = getenv("NNHULL_FAULT_FILE");
    if (file && *file) {
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", file, d ? d->rank : 0);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    for (int i = 0; i < 600; i++)
        nap(100000000);
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
    return dist_send_on(d, MPI_COMM_WORLD, dest, tag, p);
}

int dist_send_on(nnh_dist *d, MPI_Comm comm, int dest, int tag, nnh_pack *p)
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
    MPI_Isend(m->buf, (int)p->len, MPI_BYTE, dest, tag, comm, &m->req);
    p->data = NULL;
    p->len = p->cap = 0;
    d->messages++;
    if (d->n_out > 64)
        dist_flush(d, 0);
    return NNH_OK;
}

int dist_recv(nnh_dist *d, int src, int block, volatile int *stop, int *from, int *tag,
              unsigned char **buf, int *len)
{
    return dist_recv_on(d, MPI_COMM_WORLD, src, MPI_ANY_TAG, block, stop, from, tag, buf, len);
}

int dist_recv_on(nnh_dist *d, MPI_Comm comm, int src, int want, int block, volatile int *stop,
                 int *from, int *tag, unsigned char **buf, int *len)
{
    *buf = NULL;
    MPI_Status st;
    int flag = 0;
    long spins = 0;
    for (;;) {
        MPI_Iprobe(src, want, comm, &flag, &st);
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
    MPI_Recv(*buf, *len, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, comm, MPI_STATUS_IGNORE);
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

static volatile int g_caught;              /* see dist_signal_flag */
static void (*volatile g_handler)(int);    /* the caller's handler */

static void on_any_signal(int sig)
{
    g_caught = sig;
    void (*h)(int) = g_handler;
    if (h) /* NULL only while nnh_dist_handle_signals(NULL) restores SIG_DFL */
        h(sig);
    /* last: whoever sees a solve cut short by the stop also sees the
     * caller's flag (the signal may run on another thread) */
    nnh_stop_request(sig);
}

volatile int *dist_signal_flag(void) { return &g_caught; }

void nnh_dist_handle_signals(void (*handler)(int))
{
    /* SIGUSR1/2: what mpirun forwards to every rank without killing them
     * (SIGTERM and SIGINT are followed by SIGKILL about 1 s later), so a
     * batch script can ask for a clean stop well before its time limit */
    int sigs[5] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    g_caught = 0;
    g_handler = handler;
    if (handler) /* a new run: an earlier run's stop request is withdrawn */
        nnh_stop_clear();
    for (int i = 0; i < 5; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler ? on_any_signal : SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

int dist_error_from(nnh_unpack *u, const char *who, int from, nnh_error *err)
{
    int code = nnh_unpack_int(u);
    char *msg = nnh_unpack_str(u);
    code = code < 0 ? code : NNH_EINVAL;
    nnh_error_set(err, code, "%s %d: %s", who, from, msg ? msg : "(no message)");
    free(msg);
    return code;
}

void dist_send_error(int code, const char *msg)
{
    nnh_pack p;
    nnh_pack_init(&p);
    nnh_pack_int(&p, code);
    nnh_pack_str(&p, msg);
    if (p.failed)
        MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Send(p.data, (int)p.len, MPI_BYTE, 0, TAG_ERROR, MPI_COMM_WORLD);
    nnh_pack_free(&p);
}
