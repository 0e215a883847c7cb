/* Implementation of the nnh_error helpers declared in nnhull/error.h. */
#include "nnhull/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nnh_error_clear(nnh_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int nnh_error_set(nnh_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int nnh_error_prefix(nnh_error *err, const char *fmt, ...)
{
    if (!err)
        return NNH_EINVAL;
    char head[NNH_ERRMSG_LEN], old[NNH_ERRMSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t h = strlen(head);
    if (h + 2 >= sizeof err->msg)
        h = sizeof err->msg - 3;
    memcpy(err->msg, head, h);
    memcpy(err->msg + h, ": ", 2);
    size_t room = sizeof err->msg - h - 3;
    size_t o = strnlen(old, room);
    memcpy(err->msg + h + 2, old, o);
    err->msg[h + 2 + o] = '\0';
    return err->code;
}

const char *nnh_strerror(int code)
{
    switch (code) {
    case NNH_OK: return "ok";
    case NNH_EINVAL: return "invalid argument";
    case NNH_ENOMEM: return "out of memory";
    case NNH_EIO: return "I/O error";
    case NNH_EPARSE: return "parse error";
    case NNH_EUNSUPPORTED: return "unsupported";
    case NNH_ELP: return "LP solver failure";
    case NNH_ENUMERIC: return "numerical error";
    case NNH_EINTERRUPTED: return "interrupted";
    default: return "unknown error";
    }
}
