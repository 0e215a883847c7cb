/* The master's watcher thread: when the launcher stops the job because a
 * worker died (mpirun sends SIGTERM to every rank and SIGKILL one second
 * later), the master may be in the middle of a long computation; this thread
 * notices the signal at once, finds the rank that is gone and prints the one
 * message naming it and its task. The thread never calls MPI. */
#include "dist_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

static pthread_t g_thread;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int g_stop, g_reported;
static int g_running;
static const nnh_dist *g_d;
static dist_describe_fn g_describe;
static void *g_arg;

static void *watch(void *unused)
{
    (void)unused;
    struct timespec tick = {0, 50000000};
    while (!atomic_load(&g_stop)) {
        nanosleep(&tick, NULL);
        if (!*dist_signal_flag())
            continue;
        int w = dist_gone_rank(g_d);
        if (w < 0)
            continue; /* a user's signal: the master handles it */
        char msg[NNH_ERRMSG_LEN + 256];
        dist_watch_lock();
        g_describe(g_arg, w, msg, sizeof msg);
        dist_watch_unlock();
        if (nnh_dist_claim_report(g_d)) {
            fprintf(stderr, "nnhull: %s\n", msg);
            fflush(stderr);
        }
        break;
    }
    return NULL;
}

void dist_watch_lock(void) { pthread_mutex_lock(&g_lock); }
void dist_watch_unlock(void) { pthread_mutex_unlock(&g_lock); }

void dist_watch_start(const nnh_dist *d, dist_describe_fn describe, void *arg)
{
    if (!d || !d->mpi || d->size < 2 || g_running)
        return;
    g_d = d;
    g_describe = describe;
    g_arg = arg;
    atomic_store(&g_stop, 0);
    /* without the thread the master reports a gone rank itself, later */
    g_running = pthread_create(&g_thread, NULL, watch, NULL) == 0;
}

void dist_watch_stop(void)
{
    if (!g_running)
        return;
    atomic_store(&g_stop, 1);
    pthread_join(g_thread, NULL);
    g_running = 0;
}

int nnh_dist_claim_report(const nnh_dist *d)
{
    (void)d;
    return atomic_exchange(&g_reported, 1) == 0;
}
