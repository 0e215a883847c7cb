# The third-party libraries of nnhull as imported targets, shared by the
# build (CMakeLists.txt) and the installed package (nnhullConfig.cmake), so
# that both link the same things: NNH::GLPK, PkgConfig::NNH_HDF5,
# PkgConfig::NNH_PROTOBUFC, PkgConfig::NNH_CJSON, MPI::MPI_C and
# Threads::Threads (the MPI master's watcher thread).
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
find_dependency(MPI COMPONENTS C)
find_dependency(Threads)
pkg_check_modules(NNH_HDF5 REQUIRED QUIET IMPORTED_TARGET hdf5-openmpi)
pkg_check_modules(NNH_PROTOBUFC REQUIRED QUIET IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(NNH_CJSON REQUIRED QUIET IMPORTED_TARGET libcjson)
if(NOT TARGET NNH::GLPK)
  find_library(NNH_GLPK_LIBRARY glpk REQUIRED)
  find_path(NNH_GLPK_INCLUDE_DIR glpk.h REQUIRED)
  add_library(NNH::GLPK UNKNOWN IMPORTED)
  set_target_properties(NNH::GLPK PROPERTIES IMPORTED_LOCATION "${NNH_GLPK_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${NNH_GLPK_INCLUDE_DIR}")
endif()
