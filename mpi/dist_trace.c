/* The task trace of a distributed bounds run (`nnhull bounds --trace T`):
 * one CSV line per LP task, LP context build and piece of the master's own
 * serial work, written by the master as results arrive. The format is in
 * docs/benchmarks.md (section 9); scripts/sim-scheduler reads it. */
#include "dist_internal.h"
#include "engine_steps.h"

#include <errno.h>
#include <string.h>

int dist_trace_open(dist_master *m)
{
    if (!m->o->trace)
        return NNH_OK;
    m->trace = fopen(m->o->trace, "w");
    if (!m->trace)
        return nnh_error_set(m->err, NNH_EIO, "%s: cannot write the trace: %s", m->o->trace,
                             strerror(errno));
    fprintf(m->trace, "kind,region,layer,task,neuron,sense,rank,chunk,chunk_size,start,end,"
                      "duration,bytes_sent,bytes_recv\n");
    return NNH_OK;
}

void dist_trace_close(dist_master *m)
{
    if (m->trace)
        fclose(m->trace);
    m->trace = NULL;
}

void dist_trace_line(dist_master *m, const char *kind, int r, int k, int t, int rank, long chunk,
                     int n, double start, double end, long sent, long recv)
{
    if (!m->trace)
        return;
    int neuron = t >= 0 ? nnh_steps_neuron(t) : -1, sense = t >= 0 ? nnh_steps_sense(t) : 0;
    fprintf(m->trace, "%s,%d,%d,%d,%d,%d,%d,%ld,%d,%.6f,%.6f,%.6f,%ld,%ld\n", kind, r, k, t,
            neuron, sense, rank, chunk, n, start - m->t0, end - m->t0, end - start, sent, recv);
}
