/* Error reporting shared by every nnhull module: status codes and the
 * caller-owned nnh_error that carries a message naming file, line, layer or node.
 * Library functions return 0 or a negative NNH_E* code; only main() exits. */
#ifndef NNH_ERROR_H
#define NNH_ERROR_H

#include <stddef.h>

enum {
    NNH_OK = 0,
    NNH_EINVAL = -1,       /* bad argument or option */
    NNH_ENOMEM = -2,       /* allocation failed */
    NNH_EIO = -3,          /* cannot open, read or write a file */
    NNH_EPARSE = -4,       /* malformed input file */
    NNH_EUNSUPPORTED = -5, /* valid input we do not handle (operator, layout) */
    NNH_ELP = -6,          /* LP solver failure */
    NNH_ENUMERIC = -7,     /* numerical trouble (NaN, overflow) */
    NNH_EINTERRUPTED = -8  /* stopped by a signal or a time limit */
};

#define NNH_ERRMSG_LEN 1024

typedef struct nnh_error {
    int code;                  /* last NNH_E* code, 0 when no error */
    char msg[NNH_ERRMSG_LEN];  /* one line, no trailing newline */
} nnh_error;

/* Clear an error record (err may be NULL). */
void nnh_error_clear(nnh_error *err);

/* Record code and a printf-style message; returns code so callers can write
 * `return nnh_error_set(err, NNH_EPARSE, "%s:%d: ...", path, line);`.
 * err may be NULL (the message is then dropped). */
int nnh_error_set(nnh_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with more context ("while reading X: ..."). */
int nnh_error_prefix(nnh_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short name of a code ("parse error", ...). */
const char *nnh_strerror(int code);

#endif
