/* fuzz/fuzz.h: the libFuzzer entry points every target defines, and a
 * helper that makes a NUL-terminated copy of an input. */
#ifndef SL_FUZZ_H
#define SL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A NUL-terminated copy of data (embedded NULs stay: C sees a prefix);
 * the caller frees it. Exits on allocation failure (a harness, not a library). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Stop the run: the harness found a broken invariant. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)

#endif
