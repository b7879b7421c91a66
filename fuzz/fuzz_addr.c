/* fuzz/fuzz_addr.c: the endpoint and port parsers (sl_endpoint_parse,
 * sl_port_parse) on any text, with the invariants they promise: a parsed
 * endpoint's parts are printable and fit their fields, a message is always
 * set on failure, a parsed port is what the digits say. */
#include <ctype.h>
#include <stdbool.h>

#include "socklab/addr.h"
#include "fuzz.h"

/* A string in a field of cap bytes: terminated inside, printable, no spaces. */
static bool field_ok(const char *s, size_t cap, bool allow_space)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isprint((unsigned char)s[i]) || (!allow_space && s[i] == ' '))
            return false;
    return true;
}

static void check_endpoint(const char *text)
{
    sl_endpoint ep;
    sl_err err;
    memset(&err, 0, sizeof(err));
    if (sl_endpoint_parse(text, &ep, &err) < 0) {
        FUZZ_ASSERT(err.kind == SL_EINPUT && err.msg[0] != '\0');
        FUZZ_ASSERT(strnlen(err.msg, sizeof(err.msg)) < sizeof(err.msg));
        return;
    }
    FUZZ_ASSERT(field_ok(ep.port, sizeof(ep.port), false));
    if (ep.is_unix) {
        FUZZ_ASSERT(ep.port[0] == '\0' && ep.host[0] != '\0');
        FUZZ_ASSERT(strnlen(ep.host, sizeof(ep.host)) < sizeof(ep.host));
        return;
    }
    FUZZ_ASSERT(field_ok(ep.host, sizeof(ep.host), false));
    FUZZ_ASSERT(ep.host[0] != '\0' || ep.port[0] != '\0');
    sl_endpoint_default(&ep, "localhost", "9190");
    FUZZ_ASSERT(ep.host[0] != '\0' && ep.port[0] != '\0');
}

static void check_port(const char *text)
{
    uint16_t port = 7;
    sl_err err;
    if (sl_port_parse(text, &port, &err) < 0) {
        FUZZ_ASSERT(err.kind == SL_EINPUT && port == 7);
        return;
    }
    FUZZ_ASSERT(text[0] != '\0' && strlen(text) <= 5);
    FUZZ_ASSERT(strtoul(text, NULL, 10) == port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    check_endpoint(text);
    check_port(text);
    free(text);
    return 0;
}
