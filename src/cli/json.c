/* cli/json.c: a small streaming JSON writer (RFC 8259): strings escaped,
 * control bytes as \u00XX, numbers finite or null. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cli/json.h"

void json_init(cli_json *j, FILE *out)
{
    j->out = out;
    j->depth = 0;
    j->first[0] = true;
}

void json_finish(cli_json *j)
{
    fputc('\n', j->out);
    fflush(j->out);
}

/* Write one escaped string of len bytes, quotes included. */
static void put_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c == '\r')
            fputs("\\r", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

/* The comma and the key before a value at the current depth. */
static void member(cli_json *j, const char *key)
{
    if (!j->first[j->depth])
        fputc(',', j->out);
    j->first[j->depth] = false;
    if (key != NULL) {
        put_string(j->out, key, strlen(key));
        fputc(':', j->out);
    }
}

static void open_scope(cli_json *j, const char *key, char c)
{
    member(j, key);
    fputc(c, j->out);
    if (j->depth + 1 < JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_scope(cli_json *j, char c)
{
    fputc(c, j->out);
    if (j->depth > 0)
        j->depth--;
}

void json_object_begin(cli_json *j, const char *key) { open_scope(j, key, '{'); }
void json_object_end(cli_json *j) { close_scope(j, '}'); }
void json_array_begin(cli_json *j, const char *key) { open_scope(j, key, '['); }
void json_array_end(cli_json *j) { close_scope(j, ']'); }

void json_str(cli_json *j, const char *key, const char *val)
{
    if (val == NULL) {
        json_null(j, key);
        return;
    }
    json_strn(j, key, val, strlen(val));
}

void json_strn(cli_json *j, const char *key, const char *val, size_t len)
{
    member(j, key);
    put_string(j->out, val, len);
}

void json_int(cli_json *j, const char *key, long long val)
{
    member(j, key);
    fprintf(j->out, "%lld", val);
}

void json_uint(cli_json *j, const char *key, unsigned long long val)
{
    member(j, key);
    fprintf(j->out, "%llu", val);
}

void json_double(cli_json *j, const char *key, double val)
{
    member(j, key);
    if (isfinite(val))
        fprintf(j->out, "%.17g", val);
    else
        fputs("null", j->out);
}

void json_bool(cli_json *j, const char *key, bool val)
{
    member(j, key);
    fputs(val ? "true" : "false", j->out);
}

void json_null(cli_json *j, const char *key)
{
    member(j, key);
    fputs("null", j->out);
}
