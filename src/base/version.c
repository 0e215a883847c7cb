/* Library version string (set by CMake from the project version). */
#include "nnhull/nnhull.h"

const char *nnh_version(void) { return NNH_VERSION_STRING; }
