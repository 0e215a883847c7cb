/* Flat byte serialization of networks, bounds and specs, so that one process can
 * read the input files and hand exact copies (bit for bit) to others
 * (mpi/ broadcasts them). Native byte order: all ranks of a job run the same
 * binary on the same kind of machine. No MPI here. */
#ifndef NNH_PACK_H
#define NNH_PACK_H

#include "nnhull/bounds.h"
#include "nnhull/network.h"
#include "nnhull/error.h"
#include "nnhull/spec.h"

#include <stddef.h>

/* Growable output buffer; a failed allocation sets failed and later
 * appends do nothing (check once at the end). */
typedef struct nnh_pack {
    unsigned char *data;
    size_t len, cap;
    int failed;
} nnh_pack;

void nnh_pack_init(nnh_pack *p);
void nnh_pack_free(nnh_pack *p);
void nnh_pack_bytes(nnh_pack *p, const void *src, size_t n);
void nnh_pack_int(nnh_pack *p, int v);
void nnh_pack_double(nnh_pack *p, double v);
void nnh_pack_doubles(nnh_pack *p, const double *v, size_t n);
void nnh_pack_str(nnh_pack *p, const char *s); /* NULL allowed */

/* Reader over a received buffer; reading past the end sets failed. */
typedef struct nnh_unpack {
    const unsigned char *data;
    size_t len, pos;
    int failed;
} nnh_unpack;

void nnh_unpack_init(nnh_unpack *u, const void *data, size_t len);
int nnh_unpack_bytes(nnh_unpack *u, void *dst, size_t n);
int nnh_unpack_int(nnh_unpack *u);
double nnh_unpack_double(nnh_unpack *u);
int nnh_unpack_doubles(nnh_unpack *u, double *dst, size_t n);
/* malloc'ed copy (NULL for a packed NULL or on failure; see u->failed) */
char *nnh_unpack_str(nnh_unpack *u);

/* Everything in nnh_network: sizes, weights (dense or sparse), b,
 * activations, input domain, softmax flag, source and format. */
void nnh_network_pack(const nnh_network *net, nnh_pack *p);
int nnh_network_unpack(nnh_unpack *u, nnh_network **out, nnh_error *err);

/* The input box and every layer's pre/post bounds; unpack fills an
 * nnh_bounds of the same shape (from nnh_bounds_create). */
void nnh_bounds_pack(const nnh_bounds *b, nnh_pack *p);
int nnh_bounds_unpack(nnh_unpack *u, nnh_bounds *b, nnh_error *err);

/* A verification problem: sizes, every case's box and rows, the source. */
void nnh_spec_pack(const nnh_spec *s, nnh_pack *p);
int nnh_spec_unpack(nnh_unpack *u, nnh_spec **out, nnh_error *err);

#endif
