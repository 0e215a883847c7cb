/* nnh_glpk_guard: GLPK's error hook longjmps back to the guard, which frees
 * the broken GLPK environment and reports NNH_ELP (glpk_guard.h); so does
 * the terminal hook when a stop is requested during a solve's progress
 * output. The state
 * is per thread, like GLPK's own environment. */
#include "glpk_guard.h"
#include "nnhull/stop.h"

#include <glpk.h>
#include <math.h>
#include <setjmp.h>
#include <string.h>

typedef struct guard_state {
    jmp_buf *jump;        /* the outermost active guard, NULL when none */
    char msg[256];        /* the tail of what GLPK printed while guarded (its error text) */
    size_t len;
    int stopped;          /* the guard ended GLPK on a stop request */
    unsigned long epoch;  /* environments freed so far */
} guard_state;

static _Thread_local guard_state g_state;

static int term_hook(void *info, const char *s)
{
    (void)info;
    if (nnh_stop_requested()) { /* a solve's progress output: end it now */
        g_state.stopped = 1;
        longjmp(*g_state.jump, 1);
    }
    /* keep the tail: GLPK's error text is the last thing it prints */
    size_t n = strlen(s), cap = sizeof g_state.msg - 1;
    if (n > cap) {
        s += n - cap;
        n = cap;
    }
    if (n > cap - g_state.len) {
        size_t drop = n - (cap - g_state.len);
        memmove(g_state.msg, g_state.msg + drop, g_state.len - drop);
        g_state.len -= drop;
    }
    memcpy(g_state.msg + g_state.len, s, n);
    g_state.len += n;
    g_state.msg[g_state.len] = '\0';
    return 1; /* the library never prints */
}

static void error_hook(void *info)
{
    (void)info;
    longjmp(*g_state.jump, 1); /* returning would make GLPK abort() */
}

/* GLPK's text on one line, for the message */
static void flatten_msg(void)
{
    for (char *p = g_state.msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    while (g_state.len > 0 && g_state.msg[g_state.len - 1] == ' ')
        g_state.msg[--g_state.len] = '\0';
}

int nnh_glpk_guard(int (*fn)(void *arg), void *arg, nnh_error *err)
{
    if (g_state.jump)
        return fn(arg);
    jmp_buf jump;
    g_state.jump = &jump;
    g_state.len = 0;
    g_state.msg[0] = '\0';
    g_state.stopped = 0;
    glp_term_hook(term_hook, NULL);
    glp_error_hook(error_hook, NULL);
    if (setjmp(jump) != 0) {
        /* GLPK's state is undefined now: drop the whole environment (its
         * memory and every problem object of this thread) */
        g_state.jump = NULL;
        glp_free_env();
        g_state.epoch++;
        if (g_state.stopped)
            return nnh_error_set(err, NNH_ELP, "GLPK stopped by a stop request");
        flatten_msg();
        return nnh_error_set(err, NNH_ELP, "GLPK failed: %s",
                             g_state.len ? g_state.msg : "internal error");
    }
    int rc = fn(arg);
    glp_error_hook(NULL, NULL);
    glp_term_hook(NULL, NULL);
    g_state.jump = NULL;
    return rc;
}

int nnh_glpk_guarded(void) { return g_state.jump != NULL; }

unsigned long nnh_glpk_epoch(void) { return g_state.epoch; }

int nnh_lp_in_scale(const double *v, size_t n, int allow_inf)
{
    for (size_t i = 0; i < n; i++) {
        double a = fabs(v[i]);
        if (a <= NNH_LP_MAX_MAGNITUDE)
            continue;
        if (!(allow_inf && isinf(a)))
            return 0;
    }
    return 1;
}
