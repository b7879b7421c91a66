/* net/version.c: the library's version string. */
#include "socklab/socklab.h"

const char *sl_version(void)
{
    return SL_VERSION;
}
