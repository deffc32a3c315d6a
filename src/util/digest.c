#include "util/digest.h"
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void ds_sha256_init(ds_sha256 *h) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) abort();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    h->ctx = c;
    h->bytes = 0;
}

void ds_sha256_update(ds_sha256 *h, const void *data, size_t len) {
    EVP_DigestUpdate((EVP_MD_CTX *)h->ctx, data, len);
    h->bytes += len;
}

void ds_sha256_final(ds_sha256 *h, char out[DS_DIGEST_LEN + 1]) {
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)h->ctx, md, &n);
    EVP_MD_CTX_free((EVP_MD_CTX *)h->ctx);
    h->ctx = NULL;
    memcpy(out, "sha256:", 7);
    for (int i = 0; i < 32; i++) snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

void ds_sha256_buf(const void *data, size_t len, char out[DS_DIGEST_LEN + 1]) {
    ds_sha256 h;
    ds_sha256_init(&h);
    ds_sha256_update(&h, data, len);
    ds_sha256_final(&h, out);
}

int ds_sha256_file(const char *path, char out[DS_DIGEST_LEN + 1], uint64_t *size, ds_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s", path);
    ds_sha256 h;
    ds_sha256_init(&h);
    static __thread unsigned char buf[1 << 20];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0) {
            char tmp[DS_DIGEST_LEN + 1];
            ds_sha256_final(&h, tmp);
            close(fd);
            return ds_fail_errno(err, "%s: read", path);
        }
        if (r == 0) break;
        ds_sha256_update(&h, buf, (size_t)r);
    }
    close(fd);
    if (size) *size = h.bytes;
    ds_sha256_final(&h, out);
    return 0;
}

int ds_digest_valid(const char *s) {
    if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != DS_DIGEST_LEN) return 0;
    for (const char *p = s + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return 0;
    return 1;
}
