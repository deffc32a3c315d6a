/* Layer (de)compression. Whole-buffer libdeflate is several times faster than
 * zlib's streaming inflate/deflate; the input is mmap'd so memory stays modest. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include "util/compress.h"
#include "util/progress.h"

int ds_compress_parse(const char *name, ds_compress *out, ds_err *err) {
    if (!strcmp(name, "none")) { *out = DS_COMPRESS_NONE; return 0; }
    if (!strcmp(name, "gzip")) { *out = DS_COMPRESS_GZIP; return 0; }
    if (!strcmp(name, "zstd")) { *out = DS_COMPRESS_ZSTD; return 0; }
    return ds_fail(err, "%s: unknown compression (expected gzip, zstd or none)", name);
}

ds_compress ds_compress_sniff(const void *buf, size_t len) {
    const unsigned char *b = buf;
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) return DS_COMPRESS_GZIP;
    if (len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) return DS_COMPRESS_ZSTD;
    return DS_COMPRESS_NONE;
}

int ds_compress_sniff_file(const char *path, ds_compress *out, ds_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ds_fail_errno(err, "%s", path);
    unsigned char b[4];
    ssize_t r = read(fd, b, sizeof b);
    close(fd);
    if (r < 0) return ds_fail_errno(err, "%s: read", path);
    *out = ds_compress_sniff(b, (size_t)r);
    return 0;
}

typedef struct { const unsigned char *p; size_t len; int fd; } mapping;

static int map_in(const char *path, mapping *m, ds_err *err) {
    m->p = NULL; m->len = 0;
    m->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (m->fd < 0) return ds_fail_errno(err, "%s", path);
    struct stat st;
    if (fstat(m->fd, &st) < 0) { close(m->fd); return ds_fail_errno(err, "%s", path); }
    m->len = (size_t)st.st_size;
    if (m->len) {
        void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, m->fd, 0);
        if (p == MAP_FAILED) { close(m->fd); return ds_fail_errno(err, "%s: mmap", path); }
        madvise(p, m->len, MADV_SEQUENTIAL);
        m->p = p;
    }
    return 0;
}

static void unmap(mapping *m) {
    if (m->p) munmap((void *)m->p, m->len);
    if (m->fd >= 0) close(m->fd);
}

/* Output: a file plus a running digest and size. */
typedef struct { int fd; const char *path; ds_sha256 h; int64_t n; } sink;

static int sink_open(sink *s, const char *path, ds_err *err) {
    s->path = path; s->n = 0;
    s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) return ds_fail_errno(err, "create %s", path);
    ds_sha256_init(&s->h);
    return 0;
}

static int sink_write(sink *s, const void *buf, size_t len, ds_err *err) {
    ds_sha256_update(&s->h, buf, len);
    s->n += (int64_t)len;
    ds_progress_add(len);
    const char *p = buf;
    while (len) {
        ssize_t w = write(s->fd, p, len);
        if (w < 0) { if (errno == EINTR) continue; return ds_fail_errno(err, "write %s", s->path); }
        p += w; len -= (size_t)w;
    }
    return 0;
}

static int sink_close(sink *s, int ok, char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err) {
    char d[DS_DIGEST_LEN + 1];
    ds_sha256_final(&s->h, d);
    int r = close(s->fd);
    if (!ok) { unlink(s->path); return -1; }
    if (r < 0) { unlink(s->path); return ds_fail_errno(err, "close %s", s->path); }
    if (digest) memcpy(digest, d, sizeof d);
    if (size) *size = s->n;
    return 0;
}

/* zlib streaming inflate, for outputs too big to hold in memory. */
static int gunzip_stream(const mapping *m, const char *in_path, sink *s, ds_err *err) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return ds_fail(err, "%s: inflateInit failed", in_path);
    enum { CH = 1 << 20 };
    unsigned char *out = ds_xmalloc(CH);
    size_t off = 0;
    int rc = 0, in_member = 0;
    while (off < m->len) {
        size_t chunk = m->len - off > (1u << 30) ? (1u << 30) : m->len - off;
        if (!in_member) {
            /* Between members: zero padding after the last one is tolerated. */
            size_t k = off;
            while (k < m->len && m->p[k] == 0) k++;
            if (k == m->len) break;
        }
        z.next_in = (unsigned char *)m->p + off;
        z.avail_in = (uInt)chunk;
        z.next_out = out; z.avail_out = CH;
        int zr = inflate(&z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_STREAM_END) {
            rc = ds_fail(err, "%s: corrupt gzip data (%s)", in_path, z.msg ? z.msg : "inflate error");
            break;
        }
        size_t used = chunk - z.avail_in;
        off += used;
        in_member = 1;
        if (sink_write(s, out, CH - z.avail_out, err) < 0) { rc = -1; break; }
        if (zr == Z_STREAM_END) {
            in_member = 0;
            if (inflateReset(&z) != Z_OK) { rc = ds_fail(err, "%s: inflateReset failed", in_path); break; }
        } else if (used == 0 && z.avail_out == CH) {
            rc = ds_fail(err, "%s: corrupt gzip data (no progress)", in_path);
            break;
        }
    }
    if (rc == 0 && in_member) rc = ds_fail(err, "%s: truncated gzip data", in_path);
    inflateEnd(&z);
    free(out);
    return rc;
}

/* Real layers expand 2-10x. Beyond this ratio (a bomb, or sparse data) the output is
 * streamed instead, so memory stays proportional to the input, not to what it claims. */
enum { MEM_MAX_RATIO = 32 };
#define MEM_RATIO_FLOOR ((size_t)16 << 20)

int ds_gunzip_mem(const void *in_, size_t len, size_t limit, const char *name,
                  unsigned char **out, size_t *out_len, ds_err *err) {
    const unsigned char *in = in_;
    if (len < 18) return ds_fail(err, "%s: truncated gzip data", name);
    size_t max_out = len > limit / MEM_MAX_RATIO ? limit : len * MEM_MAX_RATIO;
    if (max_out < MEM_RATIO_FLOOR) max_out = limit < MEM_RATIO_FLOOR ? limit : MEM_RATIO_FLOOR;
    /* ISIZE (the last member's size mod 2^32) is exact for one member; for several
     * (pigz, distill's own writer) it is only the last one's, so guess at least 4x too.
     * Untouched pages of a big malloc cost nothing, and realloc of one is an mremap. */
    uint32_t isize = (uint32_t)in[len - 4] | (uint32_t)in[len - 3] << 8 | (uint32_t)in[len - 2] << 16 |
                     (uint32_t)in[len - 1] << 24;
    /* The output is at least ISIZE (mod 2^32 only shrinks it) and, in practice, the input:
     * over the limit on either, stream at once rather than fill a buffer first. */
    if (len > limit || isize > limit) return 1;
    size_t cap = len > max_out / 4 ? max_out : len * 4;
    if (isize <= max_out && isize > cap) cap = isize;
    if (cap < 64) cap = 64 < max_out ? 64 : max_out;
    unsigned char *buf = ds_xmalloc(cap ? cap : 1);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (!d) { free(buf); return ds_fail(err, "%s: out of memory", name); }
    size_t off = 0, o = 0;
    int rc = 0;
    while (off < len) {
        if (off) {
            /* Between members: zero padding after the last one is tolerated. */
            size_t k = off;
            while (k < len && in[k] == 0) k++;
            if (k == len) break;
        }
        size_t used = 0, n = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(d, in + off, len - off, buf + o, cap - o, &used, &n);
        if (r == LIBDEFLATE_SUCCESS) {
            off += used;
            o += n;
        } else if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
            /* Grow and decompress this member again. */
            if (cap >= max_out) { rc = 1; break; }
            cap = cap > max_out / 2 ? max_out : cap * 2;
            buf = ds_xrealloc(buf, cap);
        } else {
            rc = ds_fail(err, "%s: corrupt or truncated gzip data", name);
            break;
        }
    }
    libdeflate_free_decompressor(d);
    if (rc != 0) { free(buf); return rc; }
    *out = buf;
    *out_len = o;
    return 0;
}

int ds_gunzip_file_mem(const char *path, size_t limit, unsigned char **out, size_t *out_len, ds_err *err) {
    mapping m;
    if (map_in(path, &m, err) < 0) return -1;
    int rc = ds_compress_sniff(m.p, m.len) == DS_COMPRESS_GZIP ? ds_gunzip_mem(m.p, m.len, limit, path, out, out_len, err) : 1;
    unmap(&m);
    return rc;
}

/* In memory with libdeflate when it fits, else streamed with zlib. */
static int gunzip(const mapping *m, const char *in_path, sink *s, ds_err *err) {
    unsigned char *out;
    size_t n;
    int r = ds_gunzip_mem(m->p, m->len, DS_GUNZIP_MEM_LIMIT, in_path, &out, &n, err);
    if (r < 0) return -1;
    if (r > 0) return gunzip_stream(m, in_path, s, err);
    r = sink_write(s, out, n, err);
    free(out);
    return r;
}

static int unzstd(const mapping *m, const char *in_path, sink *s, ds_err *err) {
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t cap = ZSTD_DStreamOutSize();
    unsigned char *out = ds_xmalloc(cap);
    ZSTD_inBuffer in = {m->p, m->len, 0};
    size_t last = 0;
    int rc = 0;
    while (in.pos < in.size) {
        ZSTD_outBuffer ob = {out, cap, 0};
        last = ZSTD_decompressStream(dc, &ob, &in);
        if (ZSTD_isError(last)) { rc = ds_fail(err, "%s: corrupt zstd data (%s)", in_path, ZSTD_getErrorName(last)); break; }
        if (sink_write(s, out, ob.pos, err) < 0) { rc = -1; break; }
    }
    /* Flush whatever is still buffered in the decoder. */
    while (rc == 0 && last != 0) {
        ZSTD_outBuffer ob = {out, cap, 0};
        last = ZSTD_decompressStream(dc, &ob, &in);
        if (ZSTD_isError(last)) { rc = ds_fail(err, "%s: corrupt zstd data (%s)", in_path, ZSTD_getErrorName(last)); break; }
        if (ob.pos == 0) { rc = ds_fail(err, "%s: truncated zstd data", in_path); break; }
        if (sink_write(s, out, ob.pos, err) < 0) { rc = -1; break; }
    }
    free(out);
    ZSTD_freeDCtx(dc);
    return rc;
}

int ds_decompress_file(const char *in_path, int kind, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err) {
    mapping m;
    if (map_in(in_path, &m, err) < 0) return -1;
    if (kind < 0) kind = (int)ds_compress_sniff(m.p, m.len);
    sink s;
    if (sink_open(&s, out_path, err) < 0) { unmap(&m); return -1; }
    int rc;
    if (kind == DS_COMPRESS_GZIP) rc = gunzip(&m, in_path, &s, err);
    else if (kind == DS_COMPRESS_ZSTD) rc = unzstd(&m, in_path, &s, err);
    else rc = sink_write(&s, m.p, m.len, err);
    unmap(&m);
    return sink_close(&s, rc == 0, digest, size, err);
}

/* gzip: the input cut in DS_GZ_MEMBER pieces, each compressed by libdeflate on its own thread
 * into its own gzip member. The pieces do not depend on the core count, so the output is the
 * same everywhere (levels: compress.h). Concatenated members are one valid gzip stream
 * (RFC 1952), as pigz writes. */
enum { GZ_CHUNK = DS_GZ_MEMBER, GZ_MAX_THREADS = 8 };
typedef struct { const unsigned char *in; size_t in_len; unsigned char *out; size_t out_len, cap; int level; } gz_job;

static void *gz_worker(void *arg) {
    gz_job *j = arg;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(j->level);
    j->out_len = c ? libdeflate_gzip_compress(c, j->in, j->in_len, j->out, j->cap) : 0;
    libdeflate_free_compressor(c);
    return NULL;
}

/* The members are compressed while the input is still being produced (a layer's tar as it
 * is written, or a mapped file). Slots are filled in order by the writer; workers compress
 * the oldest filled slot; the writer writes a slot's member out before it fills it again,
 * so the output is in input order whatever the threads did. */
typedef enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE } slot_state;
typedef struct gz_slot {
    gz_job job;
    unsigned char *in;
    size_t seq;
    slot_state state;
} gz_slot;

struct ds_gz_stream {
    sink own;         /* the output file, for ds_gz_stream_open */
    sink *out;
    gz_slot slots[GZ_MAX_THREADS + 1];
    int n_slots, n_threads;
    pthread_t th[GZ_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_seq;  /* of the slot being filled */
    int fill;         /* index of the slot being filled */
    bool quit, failed;
    uint64_t total;
    const atomic_bool *cancel;
};

void ds_gz_stream_set_cancel(ds_gz_stream *g, const atomic_bool *cancel) { g->cancel = cancel; }

static void *gzs_worker(void *arg) {
    ds_gz_stream *g = arg;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        gz_slot *pick = NULL;
        for (int i = 0; i < g->n_slots; i++)
            if (g->slots[i].state == SLOT_READY && (!pick || g->slots[i].seq < pick->seq)) pick = &g->slots[i];
        if (!pick && g->quit) break;
        if (!pick) { pthread_cond_wait(&g->cv, &g->mu); continue; }
        pick->state = SLOT_BUSY;
        pthread_mutex_unlock(&g->mu);
        gz_worker(&pick->job);
        pthread_mutex_lock(&g->mu);
        pick->state = SLOT_DONE;
        pthread_cond_broadcast(&g->cv);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* Waits for slot i's member and writes it out; the slot is free again. With may_cancel, a
 * cancel ends the wait (-1; the slot stays the workers' until a drain without it). */
static int gzs_drain_or_cancel(ds_gz_stream *g, int i, bool may_cancel, ds_err *err) {
    gz_slot *sl = &g->slots[i];
    pthread_mutex_lock(&g->mu);
    while (sl->state == SLOT_READY || sl->state == SLOT_BUSY) {
        if (!g->n_threads && sl->state == SLOT_READY) { /* no thread could start: do it here */
            sl->state = SLOT_BUSY;
            pthread_mutex_unlock(&g->mu);
            gz_worker(&sl->job);
            pthread_mutex_lock(&g->mu);
            sl->state = SLOT_DONE;
            continue;
        }
        if (!may_cancel || !g->cancel) { pthread_cond_wait(&g->cv, &g->mu); continue; }
        if (atomic_load(g->cancel)) {
            pthread_mutex_unlock(&g->mu);
            return ds_fail(err, "%s: cancelled", g->out->path);
        }
        struct timespec ts; /* nobody signals a cancel: look again every millisecond */
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    }
    bool done = sl->state == SLOT_DONE;
    sl->state = SLOT_FREE;
    pthread_mutex_unlock(&g->mu);
    if (!done) return 0;
    if (sl->job.out_len == 0) return ds_fail(err, "%s: gzip compression failed", g->out->path);
    return sink_write(g->out, sl->job.out, sl->job.out_len, err);
}

static int gzs_drain(ds_gz_stream *g, int i, ds_err *err) { return gzs_drain_or_cancel(g, i, false, err); }

/* Hands the slot being filled to the workers and moves on to the next (written out first). */
static int gzs_submit(ds_gz_stream *g, ds_err *err) {
    gz_slot *sl = &g->slots[g->fill];
    sl->job.in = sl->in;
    sl->seq = g->next_seq++;
    pthread_mutex_lock(&g->mu);
    sl->state = SLOT_READY;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    g->fill = (g->fill + 1) % g->n_slots;
    int r = gzs_drain_or_cancel(g, g->fill, true, err);
    if (r == 0) g->slots[g->fill].job.in_len = 0; /* else a worker may still hold it */
    return r;
}

/* A stream into out (open; the caller closes it). */
static ds_gz_stream *gzs_new(sink *out, int level) {
    ds_gz_stream *g = ds_xcalloc(1, sizeof *g);
    g->out = out;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int nt = ncpu < 1 ? 1 : ncpu > GZ_MAX_THREADS ? GZ_MAX_THREADS : (int)ncpu;
    struct libdeflate_compressor *probe = libdeflate_alloc_compressor(level);
    size_t cap = libdeflate_gzip_compress_bound(probe, GZ_CHUNK);
    libdeflate_free_compressor(probe);
    g->n_slots = nt + 1;
    for (int i = 0; i < g->n_slots; i++) {
        g->slots[i].in = ds_xmalloc(GZ_CHUNK);
        g->slots[i].job.out = ds_xmalloc(cap);
        g->slots[i].job.cap = cap;
        g->slots[i].job.level = level;
    }
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    for (int i = 0; i < nt; i++, g->n_threads++)
        if (pthread_create(&g->th[i], NULL, gzs_worker, g) != 0) break;
    return g;
}

int ds_gz_stream_open(const char *out_path, int level, ds_gz_stream **out, ds_err *err) {
    *out = NULL;
    sink s;
    if (sink_open(&s, out_path, err) < 0) return -1;
    ds_gz_stream *g = gzs_new(NULL, level);
    g->own = s;
    g->out = &g->own;
    *out = g;
    return 0;
}

int ds_gz_stream_cut(ds_gz_stream *g, ds_err *err) {
    if (g->failed) return -1;
    if (!g->slots[g->fill].job.in_len) return 0;
    if (gzs_submit(g, err) < 0) { g->failed = true; return -1; }
    return 0;
}

int ds_gz_stream_put_member(ds_gz_stream *g, const void *member, size_t len, size_t raw_len, ds_err *err) {
    if (ds_gz_stream_cut(g, err) < 0) return -1;
    gz_slot *sl = &g->slots[g->fill]; /* free: drained before it became the one filled */
    if (len > sl->job.cap) { g->failed = true; return ds_fail(err, "%s: gzip member too big", g->out->path); }
    memcpy(sl->job.out, member, len);
    sl->job.out_len = len;
    sl->seq = g->next_seq++;
    g->total += raw_len;
    pthread_mutex_lock(&g->mu);
    sl->state = SLOT_DONE; /* written out in its turn, as a compressed one */
    pthread_mutex_unlock(&g->mu);
    g->fill = (g->fill + 1) % g->n_slots;
    if (gzs_drain_or_cancel(g, g->fill, true, err) < 0) { g->failed = true; return -1; }
    g->slots[g->fill].job.in_len = 0;
    return 0;
}

int ds_gz_member(const void *in, size_t len, int level, unsigned char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    if (!c) return -1;
    size_t cap = libdeflate_gzip_compress_bound(c, len);
    unsigned char *buf = ds_xmalloc(cap ? cap : 1);
    size_t n = libdeflate_gzip_compress(c, in, len, buf, cap); /* as gz_worker: the same bytes */
    libdeflate_free_compressor(c);
    if (!n) { free(buf); return -1; }
    *out = buf;
    *out_len = n;
    return 0;
}

int ds_gz_stream_write(ds_gz_stream *g, const void *data, size_t len, ds_err *err) {
    const unsigned char *p = data;
    while (len) {
        gz_slot *sl = &g->slots[g->fill];
        size_t room = GZ_CHUNK - sl->job.in_len, n = len < room ? len : room;
        memcpy(sl->in + sl->job.in_len, p, n);
        sl->job.in_len += n;
        g->total += n;
        p += n;
        len -= n;
        if (sl->job.in_len == GZ_CHUNK && gzs_submit(g, err) < 0) { g->failed = true; return -1; }
    }
    return 0;
}

static void gzs_free(ds_gz_stream *g) {
    pthread_mutex_lock(&g->mu);
    g->quit = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < g->n_threads; i++) pthread_join(g->th[i], NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
    for (int i = 0; i < g->n_slots; i++) { free(g->slots[i].in); free(g->slots[i].job.out); }
    free(g);
}

/* Writes the last members out (or, with ok false, only waits for the workers); the output
 * sink stays open, g is freed with gzs_free. */
static int gzs_finish(ds_gz_stream *g, bool ok, ds_err *err) {
    int rc = ok && !g->failed ? 0 : -1;
    /* The last member (an empty input still makes one). */
    if (rc == 0 && (g->slots[g->fill].job.in_len || g->total == 0)) rc = gzs_submit(g, err);
    for (int k = 0; k < g->n_slots; k++) {
        int i = (g->fill + k) % g->n_slots;
        if (rc == 0) rc = gzs_drain(g, i, err);
    }
    if (rc < 0) {
        /* What no worker took yet is dropped (a cancelled layer is not compressed to the
         * end); the workers finish what they hold before the buffers go. */
        pthread_mutex_lock(&g->mu);
        for (int i = 0; i < g->n_slots; i++)
            if (g->slots[i].state == SLOT_READY) g->slots[i].state = SLOT_FREE;
        pthread_mutex_unlock(&g->mu);
        for (int i = 0; i < g->n_slots; i++) gzs_drain(g, i, &(ds_err){0});
    }
    return rc;
}

int ds_gz_stream_close(ds_gz_stream *g, bool ok, char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err) {
    int rc = gzs_finish(g, ok, err);
    rc = sink_close(&g->own, rc == 0, digest, size, err) < 0 ? -1 : rc;
    gzs_free(g);
    return rc;
}

/* gzip of a whole mapping: the stream's members, from memory. */
static int gzip_parallel(const mapping *m, sink *s, ds_err *err) {
    ds_gz_stream *g = gzs_new(s, DS_GZIP_COPY_LEVEL);
    int ok = ds_gz_stream_write(g, m->p ? m->p : (const unsigned char *)"", m->len, err) == 0;
    int rc = gzs_finish(g, ok, err);
    gzs_free(g);
    return rc;
}

/* Compress the bytes of m into s. */
static int compress_mapping(const mapping *m, ds_compress kind, const char *in_path, sink *s, ds_err *err) {
    int rc = 0;
    if (kind == DS_COMPRESS_GZIP) {
        rc = gzip_parallel(m, s, err);
    } else if (kind == DS_COMPRESS_ZSTD) {
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (ncpu > 1) ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers, ncpu > 8 ? 8 : (int)ncpu); /* ignored without MT */
        ZSTD_CCtx_setPledgedSrcSize(cc, m->len);
        size_t cap = ZSTD_CStreamOutSize();
        unsigned char *out = ds_xmalloc(cap);
        ZSTD_inBuffer in = {m->p, m->len, 0};
        for (;;) {
            ZSTD_outBuffer ob = {out, cap, 0};
            size_t left = ZSTD_compressStream2(cc, &ob, &in, ZSTD_e_end);
            if (ZSTD_isError(left)) { rc = ds_fail(err, "%s: zstd: %s", in_path, ZSTD_getErrorName(left)); break; }
            if (sink_write(s, out, ob.pos, err) < 0) { rc = -1; break; }
            if (left == 0) break;
        }
        free(out);
        ZSTD_freeCCtx(cc);
    } else {
        rc = sink_write(s, m->p, m->len, err);
    }
    return rc;
}

int ds_compress_file(const char *in_path, ds_compress kind, const char *out_path,
                     char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err) {
    mapping m;
    if (map_in(in_path, &m, err) < 0) return -1;
    sink s;
    if (sink_open(&s, out_path, err) < 0) { unmap(&m); return -1; }
    int rc = compress_mapping(&m, kind, in_path, &s, err);
    unmap(&m);
    return sink_close(&s, rc == 0, digest, size, err);
}

/* gzip -> other: when the gzip's output fits in memory, the
 * plain tar never touches the disk (libdeflate into a buffer, compressed from there). */
int ds_recompress_file(const char *in_path, int from, ds_compress to, const char *out_path,
                       char digest[DS_DIGEST_LEN + 1], int64_t *size, ds_err *err) {
    mapping m;
    if (map_in(in_path, &m, err) < 0) return -1;
    if (from < 0) from = (int)ds_compress_sniff(m.p, m.len);
    unsigned char *plain = NULL;
    size_t plain_len = 0;
    if (from == DS_COMPRESS_GZIP) {
        int r = ds_gunzip_mem(m.p, m.len, DS_GUNZIP_MEM_LIMIT, in_path, &plain, &plain_len, err);
        if (r < 0) { unmap(&m); return -1; }
        if (r > 0) plain = NULL;
    }
    unmap(&m);
    if (!plain) {
        /* General case: through a temp file beside out_path. */
        char *tmp = ds_xasprintf("%s.plain", out_path);
        int rc = ds_decompress_file(in_path, from, tmp, NULL, NULL, err);
        if (rc == 0) rc = ds_compress_file(tmp, to, out_path, digest, size, err);
        unlink(tmp);
        free(tmp);
        return rc;
    }
    mapping pm = {plain, plain_len, -1};
    sink s;
    if (sink_open(&s, out_path, err) < 0) { free(plain); return -1; }
    int rc = compress_mapping(&pm, to, in_path, &s, err);
    free(plain);
    return sink_close(&s, rc == 0, digest, size, err);
}
