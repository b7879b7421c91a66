/* net/lookup_hosts.c: what the system's own files say about a lookup:
 * nsswitch.conf's order of sources and the hosts file's lines. Read here
 * so that `lookup` can say which source answered. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net/lookup_internal.h"

#define HOSTS_FILE "/etc/hosts"
#define NSSWITCH_FILE "/etc/nsswitch.conf"
#define MAX_LINES 100000   /* bound the scan of a huge hosts file */

/* Collapse runs of blanks in s to one space and trim both ends. */
static void squeeze(char *s)
{
    char *w = s;
    for (const char *r = s; *r != '\0'; r++) {
        if (isspace((unsigned char)*r)) {
            if (w != s && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    if (w != s && w[-1] == ' ')
        w--;
    *w = '\0';
}

bool sl__nsswitch_files_first(sl_lookup_origin *o)
{
    char line[512];
    FILE *f = fopen(NSSWITCH_FILE, "re");
    o->nsswitch[0] = '\0';
    if (f == NULL) {
        /* glibc without nsswitch.conf: "dns [!UNAVAIL=return] files". */
        snprintf(o->nsswitch, sizeof(o->nsswitch), "(no %s) dns files", NSSWITCH_FILE);
        return false;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        char *p = line + strspn(line, " \t");
        if (strncmp(p, "hosts:", 6) != 0)
            continue;
        p[strcspn(p, "#")] = '\0';
        squeeze(p + 6);
        snprintf(o->nsswitch, sizeof(o->nsswitch), "%s", p + 6);
        break;
    }
    fclose(f);
    return strncmp(o->nsswitch, "files", 5) == 0 &&
           (o->nsswitch[5] == '\0' || o->nsswitch[5] == ' ');
}

/* Does the address text of a hosts line hold family/bytes? Sets *fam. */
static bool line_addr(const char *text, int *fam, unsigned char *bytes)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(text, "%"), text);
    if (inet_pton(AF_INET, buf, bytes) == 1)
        *fam = AF_INET;
    else if (inet_pton(AF_INET6, buf, bytes) == 1)
        *fam = AF_INET6;
    else
        return false;
    return true;
}

/* Does one hosts line (already split) match the query? */
static bool line_matches(char **tok, int ntok, const char *name, int family,
                         const unsigned char *bytes, int lfam, const unsigned char *lbytes)
{
    if (name == NULL)
        return lfam == family && memcmp(lbytes, bytes, family == AF_INET6 ? 16 : 4) == 0;
    if (family != AF_UNSPEC && family != lfam)
        return false;
    for (int i = 1; i < ntok; i++)
        if (strcasecmp(tok[i], name) == 0)
            return true;
    return false;
}

/* Split line into at most max blank-separated tokens, dropping comments. */
static int split(char *line, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    line[strcspn(line, "#")] = '\0';
    for (char *p = strtok_r(line, " \t\r\n", &save); p != NULL && n < max;
         p = strtok_r(NULL, " \t\r\n", &save))
        tok[n++] = p;
    return n;
}

/* Discard the rest of the current line of f. */
static void skip_rest(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF && c != '\n')
        continue;
}

void sl__hosts_scan(const char *name, int family, const unsigned char *bytes,
                    sl_lookup_origin *o, sl_hostinfo *h)
{
    char line[1024], *tok[36];
    unsigned char lbytes[16];
    int lfam, lineno = 0;
    FILE *f = fopen(HOSTS_FILE, "re");
    snprintf(o->hosts_file, sizeof(o->hosts_file), "%s", HOSTS_FILE);
    o->hosts_line = 0;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL && ++lineno < MAX_LINES) {
        int n;
        if (strchr(line, '\n') == NULL && !feof(f))
            skip_rest(f);   /* an over-long line: its tail is not a line of its own */
        n = split(line, tok, 36);
        if (n < 2 || !line_addr(tok[0], &lfam, lbytes) ||
            !line_matches(tok, n, name, family, bytes, lfam, lbytes))
            continue;
        if (o->hosts_line == 0)
            o->hosts_line = lineno;
        for (int i = 1; i < n; i++)
            sl__host_alias(h, tok[i]);
        if (name == NULL)
            break;   /* gethostbyaddr from files: the first line only */
    }
    fclose(f);
}
