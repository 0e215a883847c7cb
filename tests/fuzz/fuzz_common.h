/* Shared pieces of the libFuzzer harnesses (tests/fuzz/fuzz_*.c): write the
 * input to a private temporary file for readers that take a path. */
#ifndef NNH_FUZZ_COMMON_H
#define NNH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Write data to this process's scratch file (created once under $TMPDIR or
 * /tmp, removed at exit) and return its path, or NULL when it cannot be
 * written (the input is then skipped). suffix: the file name's ending. */
const char *fuzz_scratch(const uint8_t *data, size_t size, const char *suffix);

#endif
