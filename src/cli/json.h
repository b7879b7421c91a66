/* cli/json.h: a small streaming JSON writer for every command's --json. */
#ifndef SL_CLI_JSON_H
#define SL_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

typedef struct cli_json {
    FILE *out;
    int depth;
    bool first[JSON_MAX_DEPTH];   /* nothing written yet at this depth */
} cli_json;

/* Start writing to out (one document; call json_finish at the end). */
void json_init(cli_json *j, FILE *out);
/* End the document with a newline and flush. */
void json_finish(cli_json *j);

/* key is the member name inside an object, NULL inside an array or at top. */
void json_object_begin(cli_json *j, const char *key);
void json_object_end(cli_json *j);
void json_array_begin(cli_json *j, const char *key);
void json_array_end(cli_json *j);

void json_str(cli_json *j, const char *key, const char *val);   /* NULL: null */
void json_strn(cli_json *j, const char *key, const char *val, size_t len);
void json_int(cli_json *j, const char *key, long long val);
void json_uint(cli_json *j, const char *key, unsigned long long val);
void json_double(cli_json *j, const char *key, double val);  /* non-finite: null */
void json_bool(cli_json *j, const char *key, bool val);
void json_null(cli_json *j, const char *key);

#endif
