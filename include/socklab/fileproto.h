/* socklab/fileproto.h: the verified file transfer (docs/protocol.md): the
 * wire format's encoders and parsers, file names that are safe to take from
 * the network, the checksum, the receiving side, and the sending service.
 *
 * The parsers are pure functions over (buf, len): no I/O, no allocation, no
 * global state. Each returns the number of bytes the frame took (> 0) when
 * it is complete, 0 when more bytes are needed, or -1 (SL_EPEER) when the
 * bytes can never form a valid frame. */
#ifndef SOCKLAB_FILEPROTO_H
#define SOCKLAB_FILEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "socklab/err.h"
#include "socklab/service.h"

#define SL_FILE_VERSION 1
#define SL_FILE_NAME_MAX 4095      /* bytes in a name on the wire (PATH_MAX - 1) */
#define SL_FILE_COMPONENT_MAX 255  /* bytes in one component (NAME_MAX) */
#define SL_FILE_MSG_MAX 1024       /* bytes in a refusal message */
#define SL_FILE_REPLY_MAX 512      /* bytes in the receiver's reply */
#define SL_FILE_SIZE_MAX ((uint64_t)INT64_MAX)   /* sizes must fit off_t */
#define SL_FILE_HASH_LEN 16
#define SL_FILE_HASH_XXH3_128 1    /* the one checksum algorithm so far */
#define SL_FILE_REQUEST_FIXED 8    /* bytes before the name */
#define SL_FILE_HEADER_FIXED 16
#define SL_FILE_REFUSAL_FIXED 8
#define SL_FILE_TRAILER_LEN 24
#define SL_FILE_THANKS "Thank you"
/* The seed's file_client.c writes "Thank you" with its NUL: 10 bytes. */
#define SL_FILE_RAW_THANKS_LEN 10

/* What the sender says first: the file's header, or why it will not send. */
typedef enum sl_file_answer { SL_FILE_HEADER = 1, SL_FILE_REFUSAL = 2 } sl_file_answer;

typedef struct sl_file_request {
    char name[SL_FILE_NAME_MAX + 1];   /* "" asks for the one file served */
    size_t name_len;
} sl_file_request;

typedef struct sl_file_header {
    sl_file_answer kind;
    uint8_t algorithm;                 /* SL_FILE_HASH_* (headers only) */
    uint64_t size;                     /* headers only */
    char name[SL_FILE_NAME_MAX + 1];   /* header: the file's name; refusal: "" */
    size_t name_len;
    char msg[SL_FILE_MSG_MAX + 1];     /* refusal: the sender's reason */
} sl_file_header;

typedef struct sl_file_trailer {
    uint8_t algorithm;
    uint8_t hash[SL_FILE_HASH_LEN];
} sl_file_trailer;

/* Check a name taken from the network or the command line: 1..4095 bytes,
 * relative, no NUL, no control characters, no empty, "." or ".."
 * components, no component over 255 bytes. Returns 0 or -1 (SL_EINPUT)
 * with a message that says what is wrong. */
int sl_file_name_check(const char *name, size_t len, sl_err *err);

/* The last component of a checked name (a pointer into name). */
const char *sl_file_name_base(const char *name);

/* Encoders: write the frame into out (cap bytes) and return its length, or
 * -1 (SL_EINPUT) when the fields are invalid or cap is too small. */
ssize_t sl_file_request_encode(const char *name, size_t name_len, uint8_t *out,
                               size_t cap, sl_err *err);
ssize_t sl_file_header_encode(const char *name, size_t name_len, uint64_t size,
                              uint8_t algorithm, uint8_t *out, size_t cap,
                              sl_err *err);
ssize_t sl_file_refusal_encode(const char *msg, uint8_t *out, size_t cap, sl_err *err);
ssize_t sl_file_trailer_encode(const sl_file_trailer *t, uint8_t *out, size_t cap,
                               sl_err *err);

/* Parsers (see the top of this file for the return convention). */
ssize_t sl_file_request_parse(const uint8_t *buf, size_t len, sl_file_request *req,
                              sl_err *err);
ssize_t sl_file_header_parse(const uint8_t *buf, size_t len, sl_file_header *hdr,
                             sl_err *err);
ssize_t sl_file_trailer_parse(const uint8_t *buf, size_t len, sl_file_trailer *t,
                              sl_err *err);

/* The checksum (XXH3-128 from libxxhash). Streaming: init, update, final. */
typedef struct sl_file_hash sl_file_hash;

/* True when the checksum library was built in; otherwise *why (may be NULL)
 * says what is missing. */
bool sl_file_hash_available(const char **why);

/* A new hash state, or NULL (SL_EUNSUPPORTED when not built). */
sl_file_hash *sl_file_hash_new(sl_err *err);
void sl_file_hash_update(sl_file_hash *h, const void *data, size_t len);
/* The digest, big-endian (the canonical form, as xxh128sum prints it). */
void sl_file_hash_final(const sl_file_hash *h, uint8_t out[SL_FILE_HASH_LEN]);
void sl_file_hash_free(sl_file_hash *h);

/* Lower-case hex of a digest into out (2 * SL_FILE_HASH_LEN + 1 bytes). */
void sl_file_hash_hex(const uint8_t hash[SL_FILE_HASH_LEN], char *out);

/* Progress reports from the receiver (bytes so far, of total; total is
 * UINT64_MAX when unknown, as with --raw). */
typedef void (*sl_file_progress_fn)(uint64_t done, uint64_t total, void *arg);

typedef struct sl_file_recv_opts {
    const char *name;         /* file to ask for; NULL or "": the one served */
    const char *output;       /* NULL: the sender's name in the current directory;
                                 an existing directory: the sender's name there;
                                 "-": standard output; else the file's path */
    bool raw;                 /* the seed's protocol: bytes until EOF, no checks */
    bool force;               /* replace an existing file (never through a symlink) */
    int timeout_ms;           /* longest silence from the sender; <= 0: none */
    sl_file_progress_fn progress;
    void *progress_arg;
} sl_file_recv_opts;

typedef struct sl_file_recv_result {
    char name[SL_FILE_NAME_MAX + 1];   /* as the sender named it ("" with raw) */
    char path[SL_FILE_NAME_MAX + 1];   /* where it is now ("-": standard output) */
    uint64_t size;                     /* bytes announced (raw: received) */
    uint64_t received;                 /* data bytes received */
    long long ms;                      /* from the request to the file on disk */
    bool verified;                     /* size and checksum checked */
    uint8_t algorithm;
    uint8_t hash[SL_FILE_HASH_LEN];
} sl_file_recv_result;

/* Fetch one file over the connected stream socket sock: ask for it, write
 * it to a temporary file in the target directory, verify size and
 * checksum, fsync, move it into place (never replacing a file without
 * force, never through a symlink), fsync the directory, then reply
 * "Thank you" (or "Error: ..." when anything failed) and half-close.
 * Nothing is left under the final name on failure. The caller closes sock.
 * Returns 0, or -1 with the reason (short by N bytes, checksum mismatch,
 * connection reset, disk full, refused by the sender ...). */
int sl_file_receive(int sock, const sl_file_recv_opts *opts, sl_file_recv_result *res,
                    sl_err *err);

/* The sending side, a service for the engine (runs under every model).
 * With a directory, the receiver names a file beneath it; names are
 * checked and resolved without leaving the directory (symlinks that lead
 * outside are refused), and only regular files are served. */
typedef struct sl_file_service_config {
    const char *path;      /* the file, or the directory, to serve */
    bool is_dir;
    int dir_fd;            /* with is_dir: an open descriptor of the directory */
    bool raw;              /* the seed's protocol: bytes, half-close, the reply */
} sl_file_service_config;

/* Check that path can be served: a regular file (opened to be sure) or a
 * directory. Fills cfg (with a directory: opens cfg->dir_fd, which the
 * caller closes). *size receives the file's size (0 for a directory). */
int sl_file_service_prepare(const char *path, bool raw, sl_file_service_config *cfg,
                            uint64_t *size, sl_err *err);

extern const sl_service sl_file_service;

#endif
