/* Regions and results of branch and bound as bytes, for the MPI scheduler
 * (mpi/dist_verify.c): internal to the build, not an installed header. */
#ifndef NNH_VERIFY_PACK_H
#define NNH_VERIFY_PACK_H

#include "nnhull/verify.h"
#include "pack.h"

/* Regions and results as bytes (for the MPI scheduler): a region packs
 * with its hint, a result with its bounds when OPEN. Unpacking a result
 * needs r from nnh_region_result_init and the region's group g. */
void nnh_bab_region_pack(const nnh_verify_problem *P, const nnh_bab_region *R, nnh_pack *p);
int nnh_bab_region_unpack(const nnh_verify_problem *P, nnh_unpack *u, nnh_bab_region **out,
                          nnh_error *err);
void nnh_region_result_pack(const nnh_verify_problem *P, int g, const nnh_region_result *r,
                            nnh_pack *p);
int nnh_region_result_unpack(const nnh_verify_problem *P, int g, nnh_unpack *u,
                             nnh_region_result *r, nnh_error *err);

#endif
