/* tests/unit/test_fileproto.c: the file transfer's frames and names, fed
 * good, truncated and hostile bytes; the checksum; the receiver's output
 * file (no overwrite, symlinks never followed, nothing left on failure). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socklab/socklab.h"
#include "proto/file_internal.h"
#include "t.h"

static void good_names(void)
{
    static const char *const good[] = {
        "a", "file.bin", "with space.txt", "\xc3\xbc\xe6\x97\xa5.bin", "dir/sub/file",
        "...", ".hidden", "a..b", "-dash", NULL,
    };
    char longest[SL_FILE_COMPONENT_MAX + 1];
    sl_err e;
    for (size_t i = 0; good[i] != NULL; i++)
        T_EQ_INT(sl_file_name_check(good[i], strlen(good[i]), &e), 0);
    memset(longest, 'x', SL_FILE_COMPONENT_MAX);
    longest[SL_FILE_COMPONENT_MAX] = '\0';
    T_EQ_INT(sl_file_name_check(longest, strlen(longest), &e), 0);
    T_EQ_STR(sl_file_name_base("dir/sub/file"), "file");
    T_EQ_STR(sl_file_name_base("file"), "file");
}

static void bad_names(void)
{
    static const char *const bad[] = {
        "../x", "/etc/passwd", "a/../../x", "..", ".", "a/./b", "a//b", "a/", "/",
        "x/..", "tab\there", "nl\n", "del\x7f", NULL,
    };
    char big[SL_FILE_NAME_MAX + 2];
    sl_err e;
    for (size_t i = 0; bad[i] != NULL; i++) {
        int rc = sl_file_name_check(bad[i], strlen(bad[i]), &e);
        if (rc != -1)
            fprintf(stderr, "  accepted bad name '%s'\n", bad[i]);
        T_EQ_INT(rc, -1);
        T_EQ_INT(e.kind, SL_EINPUT);
    }
    T_EQ_INT(sl_file_name_check("x\0y", 3, &e), -1);
    T_CHECK(strstr(e.msg, "NUL") != NULL);
    T_EQ_INT(sl_file_name_check("", 0, &e), -1);
    T_EQ_INT(sl_file_name_check(NULL, 3, NULL), -1);
    memset(big, 'a', sizeof(big));
    T_EQ_INT(sl_file_name_check(big, SL_FILE_COMPONENT_MAX + 1, &e), -1);
    for (size_t i = 1; i < sizeof(big); i += 2)
        big[i] = '/';
    T_EQ_INT(sl_file_name_check(big, SL_FILE_NAME_MAX, &e), 0);
    T_EQ_INT(sl_file_name_check(big, SL_FILE_NAME_MAX + 1, &e), -1);
    T_CHECK(strstr(e.msg, "4095") != NULL);
}

static void request_frames(void)
{
    uint8_t buf[SL_FILE_REQUEST_FIXED + SL_FILE_NAME_MAX];
    sl_file_request req;
    sl_err e;
    ssize_t n = sl_file_request_encode("dir/a b", 7, buf, sizeof(buf), &e);
    T_EQ_INT(n, 15);
    T_CHECK(memcmp(buf, "SLFR\x01\x00\x00\x07" "dir/a b", 15) == 0);
    for (size_t len = 0; len < (size_t)n; len++)   /* every prefix: need more */
        T_EQ_INT(sl_file_request_parse(buf, len, &req, &e), 0);
    T_EQ_INT(sl_file_request_parse(buf, (size_t)n, &req, &e), n);
    T_EQ_STR(req.name, "dir/a b");
    T_EQ_INT(req.name_len, 7);
    T_EQ_INT(sl_file_request_encode("", 0, buf, sizeof(buf), &e), 8);
    T_EQ_INT(sl_file_request_parse(buf, 8, &req, &e), 8);
    T_EQ_STR(req.name, "");
    T_EQ_INT(sl_file_request_encode("../x", 4, buf, sizeof(buf), &e), -1);
    T_EQ_INT(sl_file_request_encode("abc", 3, buf, 10, &e), -1);
}

static void hostile_requests(void)
{
    static const struct { const char *bytes; size_t len; const char *why; } bad[] = {
        { "GET / HTTP/1.0\r\n", 16, "magic" },
        { "SLFX", 4, "magic" },
        { "X", 1, "magic" },
        { "SLFR\x02\x00\x00\x01" "a", 9, "version" },
        { "SLFR\x01\x01\x00\x01" "a", 9, "flags" },
        { "SLFR\x01\x00\x10\x00", 8, "4095" },
        { "SLFR\x01\x00\xff\xff", 8, "4095" },
        { "SLFR\x01\x00\x00\x04../x", 12, ".." },
        { "SLFR\x01\x00\x00\x0b/etc/passwd", 19, "absolute" },
        { "SLFR\x01\x00\x00\x09" "a/../../x", 17, ".." },
        { "SLFR\x01\x00\x00\x03x\0y", 11, "NUL" },
    };
    sl_file_request req;
    sl_err e;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ssize_t rc = sl_file_request_parse((const uint8_t *)bad[i].bytes, bad[i].len, &req, &e);
        T_EQ_INT(rc, -1);
        T_EQ_INT(e.kind, SL_EPEER);
        bool says = strstr(e.msg, bad[i].why) != NULL;
        if (!says)
            fprintf(stderr, "  case %zu does not say '%s': %.200s\n", i, bad[i].why, e.msg);
        T_CHECK(says);
    }
    T_EQ_INT(sl_file_request_parse(NULL, 0, &req, NULL), 0);
}

static void header_frames(void)
{
    uint8_t buf[SL_FILE_HEADER_FIXED + SL_FILE_NAME_MAX];
    sl_file_header h;
    sl_err e;
    uint64_t big = (1ull << 40) + 5;   /* past 4 GiB: 64-bit everywhere */
    ssize_t n = sl_file_header_encode("f.bin", 5, big, SL_FILE_HASH_XXH3_128, buf,
                                      sizeof(buf), &e);
    T_EQ_INT(n, 21);
    T_CHECK(memcmp(buf, "SLFH\x01\x01\x00\x05\x00\x00\x01\x00\x00\x00\x00\x05" "f.bin", 21) == 0);
    for (size_t len = 0; len < (size_t)n; len++)
        T_EQ_INT(sl_file_header_parse(buf, len, &h, &e), 0);
    T_EQ_INT(sl_file_header_parse(buf, (size_t)n + 7, &h, &e), n);   /* data follows */
    T_EQ_INT(h.kind, SL_FILE_HEADER);
    T_CHECK(h.size == big);
    T_EQ_STR(h.name, "f.bin");
    n = sl_file_header_encode("f", 1, SL_FILE_SIZE_MAX, 1, buf, sizeof(buf), &e);
    T_EQ_INT(sl_file_header_parse(buf, (size_t)n, &h, &e), n);
    T_CHECK(h.size == SL_FILE_SIZE_MAX);
    T_EQ_INT(sl_file_header_encode("f", 1, SL_FILE_SIZE_MAX + 1, 1, buf, sizeof(buf), &e), -1);
    T_EQ_INT(sl_file_header_encode("../f", 4, 1, 1, buf, sizeof(buf), &e), -1);
}

static void hostile_headers(void)
{
    static const struct { const char *bytes; size_t len; const char *why; } bad[] = {
        { "\x89PNG\r\n\x1a\n", 8, "magic" },
        { "SLFH\x01\x01\x00\x01\x80\x00\x00\x00\x00\x00\x00\x00" "a", 17, "2^63" },
        { "SLFH\x01\x01\x00\x01\xff\xff\xff\xff\xff\xff\xff\xff" "a", 17, "2^63" },
        { "SLFH\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16, "length" },
        { "SLFH\x01\x01\x10\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16, "length" },
        { "SLFH\x01\x07\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01" "a", 17, "algorithm" },
        { "SLFH\x09\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01" "a", 17, "version" },
        { "SLFH\x01\x01\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01../x", 20, ".." },
        { "SLFH\x01\x01\x00\x05\x00\x00\x00\x00\x00\x00\x00\x01/etc/", 21, "absolute" },
        { "SLFE\x01\x00\x04\x01", 8, "1024" },
        { "SLFE\x01\x05\x00\x00", 8, "reserved" },
    };
    sl_file_header h;
    sl_err e;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ssize_t rc = sl_file_header_parse((const uint8_t *)bad[i].bytes, bad[i].len, &h, &e);
        T_EQ_INT(rc, -1);
        T_EQ_INT(e.kind, SL_EPEER);
        if (rc == -1 && strstr(e.msg, bad[i].why) == NULL)
            fprintf(stderr, "  case %zu: '%s' does not say '%s'\n", i, e.msg, bad[i].why);
        T_CHECK(strstr(e.msg, bad[i].why) != NULL);
    }
}

static void refusals(void)
{
    uint8_t buf[SL_FILE_REFUSAL_FIXED + SL_FILE_MSG_MAX];
    char longmsg[3000];
    sl_file_header h;
    sl_err e;
    ssize_t n = sl_file_refusal_encode("no such\tfile", buf, sizeof(buf), &e);
    T_EQ_INT(n, 20);
    T_EQ_INT(sl_file_header_parse(buf, (size_t)n - 1, &h, &e), 0);
    T_EQ_INT(sl_file_header_parse(buf, (size_t)n, &h, &e), n);
    T_EQ_INT(h.kind, SL_FILE_REFUSAL);
    T_EQ_STR(h.msg, "no such?file");     /* control bytes never reach a terminal */
    memset(longmsg, 'm', sizeof(longmsg) - 1);
    longmsg[sizeof(longmsg) - 1] = '\0';
    n = sl_file_refusal_encode(longmsg, buf, sizeof(buf), &e);   /* cut to the limit */
    T_EQ_INT(n, SL_FILE_REFUSAL_FIXED + SL_FILE_MSG_MAX);
    T_EQ_INT(sl_file_header_parse(buf, (size_t)n, &h, &e), n);
    T_EQ_INT(strlen(h.msg), SL_FILE_MSG_MAX);
}

static void trailers(void)
{
    uint8_t buf[SL_FILE_TRAILER_LEN];
    sl_file_trailer t = { .algorithm = SL_FILE_HASH_XXH3_128 }, u;
    sl_err e;
    for (int i = 0; i < SL_FILE_HASH_LEN; i++)
        t.hash[i] = (uint8_t)(i * 17);
    T_EQ_INT(sl_file_trailer_encode(&t, buf, sizeof(buf), &e), SL_FILE_TRAILER_LEN);
    for (size_t len = 0; len < SL_FILE_TRAILER_LEN; len++)
        T_EQ_INT(sl_file_trailer_parse(buf, len, &u, &e), 0);
    T_EQ_INT(sl_file_trailer_parse(buf, sizeof(buf), &u, &e), SL_FILE_TRAILER_LEN);
    T_CHECK(memcmp(u.hash, t.hash, SL_FILE_HASH_LEN) == 0);
    buf[6] = 1;
    T_EQ_INT(sl_file_trailer_parse(buf, sizeof(buf), &u, &e), -1);
    buf[6] = 0;
    buf[4] = 9;
    T_EQ_INT(sl_file_trailer_parse(buf, sizeof(buf), &u, &e), -1);
    T_EQ_INT(sl_file_trailer_parse((const uint8_t *)"SLFX", 4, &u, &e), -1);
    T_EQ_INT(sl_file_trailer_encode(&t, buf, 10, &e), -1);
}

/* Random and mutated bytes: parsers never read past len, never take more
 * than len, and always say why they refuse. (A small deterministic fuzz.) */
static void random_bytes(void)
{
    uint8_t good[64], buf[64];
    sl_file_header h;
    sl_file_request r;
    sl_file_trailer t;
    sl_err e;
    uint32_t x = 12345;
    ssize_t n = sl_file_header_encode("name", 4, 99, 1, good, sizeof(good), &e);
    for (int round = 0; round < 200000; round++) {
        size_t len = 0, i;
        uint8_t *copy;
        ssize_t a, b, c;
        memcpy(buf, good, (size_t)n);
        for (i = 0; i < 3; i++) {
            x = x * 1103515245u + 12345u;
            buf[(x >> 8) % (uint32_t)n] ^= (uint8_t)(x >> 20);
        }
        x = x * 1103515245u + 12345u;
        len = (x >> 10) % ((size_t)n + 1);
        copy = malloc(len ? len : 1);     /* exact size: ASan sees any over-read */
        memcpy(copy, buf, len);
        e.msg[0] = '\0';
        a = sl_file_header_parse(copy, len, &h, &e);
        b = sl_file_request_parse(copy, len, &r, &e);
        c = sl_file_trailer_parse(copy, len, &t, &e);
        free(copy);
        T_CHECK(a >= -1 && a <= (ssize_t)len && b >= -1 && b <= (ssize_t)len &&
                c >= -1 && c <= (ssize_t)len);
        if (a < 0 || b < 0 || c < 0)
            T_CHECK(e.msg[0] != '\0');
        if (a > 0 && h.kind == SL_FILE_HEADER)
            T_CHECK(h.size <= SL_FILE_SIZE_MAX && h.name_len == strlen(h.name));
        if (t_failed_checks > 0)
            break;
    }
}

static void checksum(void)
{
    uint8_t one[SL_FILE_HASH_LEN], two[SL_FILE_HASH_LEN];
    char hex[2 * SL_FILE_HASH_LEN + 1];
    static uint8_t data[1 << 20];
    sl_err e;
    sl_file_hash *h = sl_file_hash_new(&e), *k;
    T_CHECK(h != NULL);
    if (h == NULL)
        return;
    sl_file_hash_final(h, one);
    sl_file_hash_hex(one, hex);
    T_EQ_STR(hex, "99aa06d3014798d86001c324468d497f");   /* XXH3-128 of nothing */
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    sl_file_hash_update(h, data, sizeof(data));               /* one call ... */
    sl_file_hash_final(h, one);
    k = sl_file_hash_new(&e);
    for (size_t off = 0; off < sizeof(data); off += 4099)     /* ... or many */
        sl_file_hash_update(k, data + off, sizeof(data) - off < 4099 ? sizeof(data) - off : 4099);
    sl_file_hash_final(k, two);
    T_CHECK(memcmp(one, two, SL_FILE_HASH_LEN) == 0);
    data[777] ^= 1;
    sl_file_hash_free(k);
    k = sl_file_hash_new(&e);
    sl_file_hash_update(k, data, sizeof(data));
    sl_file_hash_final(k, two);
    T_CHECK(memcmp(one, two, SL_FILE_HASH_LEN) != 0);   /* one bit changes it */
    sl_file_hash_free(k);
    sl_file_hash_free(h);
}

/* A temporary directory for the output-file tests. */
static char tmpdir[64];

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

static void output_file(void)
{
    sl__file_out o;
    sl_err e;
    char path[256], target[256];
    struct stat st;
    T_EQ_INT(sl__file_out_target(&o, tmpdir, "sub/new.bin", false, &e), 0);
    T_EQ_STR(o.final, "new.bin");
    T_EQ_INT(sl__file_out_create(&o, 5, &e), 0);
    T_EQ_INT(sl__file_out_write(&o, "hello", 5, &e), 0);
    path_in(path, sizeof(path), "new.bin");
    T_CHECK(lstat(path, &st) < 0);             /* nothing under the name yet */
    T_EQ_INT(sl__file_out_commit(&o, &e), 0);
    sl__file_out_close(&o);
    T_CHECK(stat(path, &st) == 0 && st.st_size == 5);
    /* An existing file is kept without force. */
    T_EQ_INT(sl__file_out_target(&o, tmpdir, "new.bin", false, &e), -1);
    T_CHECK(strstr(e.msg, "exists") != NULL && strstr(e.msg, "--force") != NULL);
    sl__file_out_close(&o);
    /* Abandoned: nothing is left behind. */
    T_EQ_INT(sl__file_out_target(&o, path, "ignored", true, &e), 0);
    T_EQ_INT(sl__file_out_create(&o, 3, &e), 0);
    T_EQ_INT(sl__file_out_write(&o, "bad", 3, &e), 0);
    sl__file_out_close(&o);
    T_CHECK(stat(path, &st) == 0 && st.st_size == 5);
    /* A planted symlink is refused, then replaced (never followed) with force. */
    path_in(target, sizeof(target), "target");
    T_EQ_INT(unlink(path), 0);
    T_EQ_INT(symlink(target, path), 0);
    T_EQ_INT(sl__file_out_target(&o, tmpdir, "new.bin", false, &e), -1);
    T_CHECK(strstr(e.msg, "symbolic link") != NULL);
    sl__file_out_close(&o);
    T_EQ_INT(sl__file_out_target(&o, tmpdir, "new.bin", true, &e), 0);
    T_EQ_INT(sl__file_out_create(&o, 2, &e), 0);
    T_EQ_INT(sl__file_out_write(&o, "ok", 2, &e), 0);
    T_EQ_INT(sl__file_out_commit(&o, &e), 0);
    sl__file_out_close(&o);
    T_CHECK(lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 2);
    T_CHECK(lstat(target, &st) < 0 && errno == ENOENT);
    unlink(path);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sl-fileproto-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    T_RUN(good_names);
    T_RUN(bad_names);
    T_RUN(request_frames);
    T_RUN(hostile_requests);
    T_RUN(header_frames);
    T_RUN(hostile_headers);
    T_RUN(refusals);
    T_RUN(trailers);
    T_RUN(random_bytes);
    if (sl_file_hash_available(NULL))
        T_RUN(checksum);
    else
        T_SKIP(checksum, "libxxhash not built in");
    T_RUN(output_file);
    rmdir(tmpdir);
    return T_DONE();
}
