/* logfile.c - writer and reader of the CRI container log format.
 * See logfile.h for the format and the contract.
 */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"

#define STREAM_COUNT 3  /* indexed by LOGFILE_STREAM_*; slot 0 unused */
/* "<timestamp> stdout F " */
#define RECORD_HEADER_LEN (LOGFILE_TIMESTAMP_LEN + 10)
_Static_assert (LOGFILE_WRITE_BUFFER >= RECORD_HEADER_LEN + LOGFILE_RECORD_MAX + 1,
                "the arena holds the largest record emit_record() copies: header, held tail "
                "and content of at most LOGFILE_RECORD_MAX, and a '\\n'");

static const char *const stream_names[STREAM_COUNT] = { NULL, "stdout", "stderr" };

static bool
stream_valid (uint8_t stream)
{
  return stream == LOGFILE_STREAM_STDOUT || stream == LOGFILE_STREAM_STDERR;
}

static void
format_digits (char *out, unsigned long v, int width)
{
  for (int i = width - 1; i >= 0; i--)
    {
      out[i] = (char) ('0' + v % 10);
      v /= 10;
    }
}

void
logfile_format_timestamp (int64_t ns, char out[LOGFILE_TIMESTAMP_LEN + 1])
{
  int64_t sec = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  time_t t;
  struct tm tm;

  if (frac < 0)
    {
      frac += 1000000000;
      sec--;
    }
  t = (time_t) sec;
  gmtime_r (&t, &tm);
  strftime (out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
  out[19] = '.';
  format_digits (out + 20, (unsigned long) frac, 9);
  out[29] = 'Z';
  out[30] = '\0';
}

/* ---- writer ----
 *
 * The writer gathers the records it makes as an iovec list and writes it
 * with writev(2). The iovecs point either into `out`, an arena for the
 * bytes the writer makes or copies (record headers, held line tails, the
 * content of logfile_write_chunk()), or straight at the caller's bytes
 * (logfile_queue_chunk()): the shim's consumer hands in slices of its ring,
 * so content goes from the ring to the file in one copy, the kernel's.
 */

/* Iovecs per writev(2): IOV_MAX on Linux. */
#define WRITER_IOV_MAX 1024
/* The most iovecs one record takes: header, held tail, content, "\n". */
#define RECORD_IOV_MAX 4
/* Content shorter than this is copied into the arena even when it may be
 * referenced: the kernel's per-iovec cost in writev(2) exceeds a memcpy of
 * a short line (measured: writing ~120-byte lines as one iovec each made
 * the copy into the file about 4x as costly per byte as one large write). */
#define REF_MIN_BYTES 2048

struct line_tail
{
  char *buf;   /* LOGFILE_RECORD_MAX bytes */
  size_t len;
};

/* The last header made in the arena, reused while the stream, tag and
 * timestamp stay the same: every F record of one chunk shares it. */
struct header_cache
{
  const char *text;  /* into `out`; NULL when none is valid */
  uint8_t stream;
  char tag;
  int64_t ns;
};

/* The writer's buffers, in one mapping that logfile_writer_trim() can give
 * back: the arena, then a line tail per stream. */
#define WRITER_MEM_SIZE (LOGFILE_WRITE_BUFFER + 2 * LOGFILE_RECORD_MAX)

struct logfile_writer
{
  int fd;
  char *path;
  char *mem;                           /* WRITER_MEM_SIZE bytes, or MAP_FAILED */
  char *out;                           /* LOGFILE_WRITE_BUFFER bytes of mem */
  size_t out_len;
  struct iovec iov[WRITER_IOV_MAX];    /* queued output, in file order */
  int iov_len;
  struct header_cache header;
  struct line_tail tails[STREAM_COUNT];
  int64_t last_timestamp_ns;
  /* gmtime_r() and strftime() per record would dominate the cost of short
   * lines; the date part only changes once a second. */
  int64_t cached_sec;
  char cached_stamp[LOGFILE_TIMESTAMP_LEN + 1];
};

static void
writer_free (struct logfile_writer *w)
{
  if (w->mem != NULL && w->mem != MAP_FAILED)
    munmap (w->mem, WRITER_MEM_SIZE);
  free (w->path);
  free (w);
}

struct logfile_writer *
logfile_writer_open (const char *path, ocirt_error_t *err)
{
  struct logfile_writer *w = calloc (1, sizeof *w);

  if (w == NULL)
    {
      make_error (err, errno, "allocate log writer");
      return NULL;
    }
  w->fd = -1;
  w->cached_sec = -1;
  w->path = strdup (path);
  w->mem = mmap (NULL, WRITER_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (w->path == NULL || w->mem == MAP_FAILED)
    {
      make_error (err, errno, "allocate log writer");
      writer_free (w);
      return NULL;
    }
  w->out = w->mem;
  w->tails[LOGFILE_STREAM_STDOUT].buf = w->mem + LOGFILE_WRITE_BUFFER;
  w->tails[LOGFILE_STREAM_STDERR].buf = w->mem + LOGFILE_WRITE_BUFFER + LOGFILE_RECORD_MAX;
  /* 0600: container output may hold secrets; only the owner reads it.
   * O_APPEND: a restarted shim continues the same file after what is there. */
  w->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (w->fd < 0)
    {
      make_error (err, errno, "open log file `%s`", path);
      writer_free (w);
      return NULL;
    }
  return w;
}

/* Forget the queued output and the arena it points into. */
static void
reset_queue (struct logfile_writer *w)
{
  w->iov_len = 0;
  w->out_len = 0;
  w->header.text = NULL;
}

/* Skip the first `n` bytes of the iovecs at *v, after a short write. */
static void
iov_advance (struct iovec **v, int *count, size_t n)
{
  while (*count > 0 && n >= (*v)->iov_len)
    {
      n -= (*v)->iov_len;
      (*v)++;
      (*count)--;
    }
  if (*count > 0)
    {
      (*v)->iov_base = (char *) (*v)->iov_base + n;
      (*v)->iov_len -= n;
    }
}

/* writev(2) everything queued, riding over short writes and signals. On
 * failure the queue is dropped all the same: it may point at caller memory
 * that is about to be reused, so it must never be written later. */
static int
write_queue (struct logfile_writer *w, ocirt_error_t *err)
{
  struct iovec *v = w->iov;
  int count = w->iov_len;

  while (count > 0)
    {
      ssize_t n = writev (w->fd, v, count);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          reset_queue (w);
          return make_error (err, saved, "write log file `%s`", w->path);
        }
      iov_advance (&v, &count, (size_t) n);
    }
  reset_queue (w);
  return 0;
}

/* Make sure one more record fits: RECORD_IOV_MAX iovecs and `arena_bytes`
 * of arena (at most LOGFILE_WRITE_BUFFER). */
static int
ensure_room (struct logfile_writer *w, size_t arena_bytes, ocirt_error_t *err)
{
  if (w->iov_len + RECORD_IOV_MAX > WRITER_IOV_MAX
      || LOGFILE_WRITE_BUFFER - w->out_len < arena_bytes)
    return write_queue (w, err);
  return 0;
}

/* Queue `len` bytes at `data`, joining the previous iovec when the bytes
 * follow it in memory (arena bytes made one after the other). */
static void
queue_ref (struct logfile_writer *w, const void *data, size_t len)
{
  struct iovec *last = w->iov_len > 0 ? &w->iov[w->iov_len - 1] : NULL;

  if (len == 0)
    return;
  if (last != NULL && (const char *) last->iov_base + last->iov_len == data)
    {
      last->iov_len += len;
      return;
    }
  w->iov[w->iov_len++] = (struct iovec) { .iov_base = (void *) data, .iov_len = len };
}

/* Queue a copy of `len` bytes, made in the arena (room checked before). */
static void
queue_copy (struct logfile_writer *w, const void *data, size_t len)
{
  char *dst = w->out + w->out_len;

  if (len == 0)
    return;
  memcpy (dst, data, len);
  w->out_len += len;
  queue_ref (w, dst, len);
}

static void
put_timestamp (struct logfile_writer *w, int64_t ns, char *out)
{
  int64_t sec = ns / 1000000000;
  int64_t frac = ns % 1000000000;

  if (frac < 0 || sec != w->cached_sec)
    {
      logfile_format_timestamp (ns, w->cached_stamp);
      w->cached_sec = frac < 0 ? -1 : sec;
    }
  else
    format_digits (w->cached_stamp + 20, (unsigned long) frac, 9);
  memcpy (out, w->cached_stamp, LOGFILE_TIMESTAMP_LEN);
}

/* Queue "<timestamp> <stream> <tag> ", formatted once for the records that
 * follow with the same stream, tag and time (all F records of a chunk). */
static void
queue_header (struct logfile_writer *w, uint8_t stream, int64_t ns, char tag)
{
  struct header_cache *c = &w->header;
  char *h;

  /* Copied rather than referenced: 40 bytes cost less to copy than an
   * iovec of their own, and the copy joins the content copied after it. */
  if (c->text != NULL && c->stream == stream && c->tag == tag && c->ns == ns)
    {
      queue_copy (w, c->text, RECORD_HEADER_LEN);
      return;
    }
  h = w->out + w->out_len;
  put_timestamp (w, ns, h);
  h[LOGFILE_TIMESTAMP_LEN] = ' ';
  memcpy (h + LOGFILE_TIMESTAMP_LEN + 1, stream_names[stream], 6);
  h[LOGFILE_TIMESTAMP_LEN + 7] = ' ';
  h[LOGFILE_TIMESTAMP_LEN + 8] = tag;
  h[LOGFILE_TIMESTAMP_LEN + 9] = ' ';
  w->out_len += RECORD_HEADER_LEN;
  *c = (struct header_cache) { .text = h, .stream = stream, .tag = tag, .ns = ns };
  queue_ref (w, h, RECORD_HEADER_LEN);
}

/* One record: the held tail `t` (emptied), then `len` content bytes at
 * `data`, which end with the line's '\n' when `has_newline`, else one is
 * added. The content is copied into the arena, or only referenced when
 * `copy` is false and it is long enough to be worth an iovec of its own. */
static int
emit_record (struct logfile_writer *w, uint8_t stream, int64_t ns, char tag, struct line_tail *t,
             const char *data, size_t len, bool has_newline, bool copy, ocirt_error_t *err)
{
  size_t arena;

  copy = copy || len < REF_MIN_BYTES;
  arena = RECORD_HEADER_LEN + t->len + (copy ? len + 1 : 0);

  if (ensure_room (w, arena, err) < 0)
    return -1;
  queue_header (w, stream, ns, tag);
  /* The tail buffer is refilled before the queue is written: copy it. */
  queue_copy (w, t->buf, t->len);
  t->len = 0;
  if (copy)
    queue_copy (w, data, len);
  else
    queue_ref (w, data, len);
  if (has_newline)
    return 0;
  if (copy)
    queue_copy (w, "\n", 1);
  else
    queue_ref (w, "\n", 1);
  return 0;
}

/* The common record, a whole short line of the stream and time whose
 * header the arena holds, with no tail held: copied with that header right
 * after the arena's last bytes, growing the last iovec. The bytes are those
 * emit_record() would queue, without its general bookkeeping (for 100-byte
 * lines that bookkeeping was a fair part of the consumer's user time).
 * Returns false, having done nothing, when the line needs the general path:
 * another header, a long line, no room, or a last iovec elsewhere. */
static bool
append_short_line (struct logfile_writer *w, uint8_t stream, int64_t ns, const char *line,
                   size_t n)
{
  const struct header_cache *c = &w->header;
  struct iovec *last;
  char *dst;

  if (c->text == NULL || c->stream != stream || c->tag != 'F' || c->ns != ns
      || n >= REF_MIN_BYTES || LOGFILE_WRITE_BUFFER - w->out_len < RECORD_HEADER_LEN + n
      || w->iov_len == 0)
    return false;
  dst = w->out + w->out_len;
  last = &w->iov[w->iov_len - 1];
  if ((char *) last->iov_base + last->iov_len != dst)
    return false;
  memcpy (dst, c->text, RECORD_HEADER_LEN);
  memcpy (dst + RECORD_HEADER_LEN, line, n);
  w->out_len += RECORD_HEADER_LEN + n;
  last->iov_len += RECORD_HEADER_LEN + n;
  return true;
}

/* Cut `len` bytes of `stream` into records; see logfile_write_chunk(). */
static int
write_chunk (struct logfile_writer *w, uint8_t stream, int64_t timestamp_ns, const char *p,
             size_t len, bool copy, ocirt_error_t *err)
{
  struct line_tail *t;

  if (! stream_valid (stream))
    return make_error (err, EINVAL, "log record for stream %u", stream);
  t = &w->tails[stream];
  if (timestamp_ns > w->last_timestamp_ns)
    w->last_timestamp_ns = timestamp_ns;
  while (len > 0)
    {
      const char *nl = memchr (p, '\n', len);
      size_t seg = nl ? (size_t) (nl - p) : len;

      if (nl != NULL && t->len == 0 && append_short_line (w, stream, timestamp_ns, p, seg + 1))
        {
          p += seg + 1;
          len -= seg + 1;
          continue;
        }

      /* A line too long for one record goes out in P records of the
       * maximum size, so neither writer nor reader needs more memory. */
      while (t->len + seg > LOGFILE_RECORD_MAX)
        {
          size_t take = LOGFILE_RECORD_MAX - t->len;
          if (emit_record (w, stream, timestamp_ns, 'P', t, p, take, false, copy, err) < 0)
            return -1;
          p += take;
          len -= take;
          seg -= take;
        }
      if (nl == NULL)
        {
          memcpy (t->buf + t->len, p, seg);
          t->len += seg;
          break;
        }
      /* The line's own '\n' ends the record: one iovec less. */
      if (emit_record (w, stream, timestamp_ns, 'F', t, p, seg + 1, true, copy, err) < 0)
        return -1;
      p += seg + 1;
      len -= seg + 1;
    }
  return 0;
}

int
logfile_write_chunk (struct logfile_writer *w, uint8_t stream, int64_t timestamp_ns,
                     const void *data, size_t len, ocirt_error_t *err)
{
  return write_chunk (w, stream, timestamp_ns, data, len, true, err);
}

int
logfile_queue_chunk (struct logfile_writer *w, uint8_t stream, int64_t timestamp_ns,
                     const void *data, size_t len, ocirt_error_t *err)
{
  return write_chunk (w, stream, timestamp_ns, data, len, false, err);
}

int
logfile_writer_write_queued (struct logfile_writer *w, ocirt_error_t *err)
{
  return write_queue (w, err);
}

int
logfile_writer_flush (struct logfile_writer *w, ocirt_error_t *err)
{
  for (uint8_t s = LOGFILE_STREAM_STDOUT; s <= LOGFILE_STREAM_STDERR; s++)
    {
      struct line_tail *t = &w->tails[s];
      if (t->len == 0)
        continue;
      /* The latest time seen, not the tail's own: records stay in
       * timestamp order across both streams. */
      if (emit_record (w, s, w->last_timestamp_ns, 'P', t, NULL, 0, false, true, err) < 0)
        return -1;
    }
  return write_queue (w, err);
}

bool
logfile_writer_trim (struct logfile_writer *w)
{
  /* Only with nothing queued or held: the queue points into the arena,
   * and a held tail is the start of a line still to come. */
  if (w->iov_len > 0 || w->out_len > 0 || w->tails[LOGFILE_STREAM_STDOUT].len > 0
      || w->tails[LOGFILE_STREAM_STDERR].len > 0)
    return false;
  w->header.text = NULL;
  return madvise (w->mem, WRITER_MEM_SIZE, MADV_DONTNEED) == 0;
}

int
logfile_writer_close (struct logfile_writer *w, ocirt_error_t *err)
{
  int ret;

  if (w == NULL)
    return 0;
  ret = logfile_writer_flush (w, err);
  if (close (w->fd) < 0 && ret == 0)
    ret = make_error (err, errno, "close log file `%s`", w->path);
  writer_free (w);
  return ret;
}

/* ---- reader ---- */

/* Read buffer: starts large enough for any record this writer makes, and
 * grows (up to READ_BUFFER_MAX) for foreign files with longer records. */
#define READ_BUFFER_INITIAL (256 * 1024)
#define READ_BUFFER_MAX (64 * 1024 * 1024)
/* How long a followed file is left alone before `stop` is asked again. */
#define FOLLOW_POLL_MS 200
/* Parts of one line gathered before they are printed without waiting for
 * the rest, so a huge line without '\n' cannot exhaust memory. */
#define PENDING_MAX (1024 * 1024)

struct tail_scan;

struct record
{
  const char *timestamp;
  size_t timestamp_len;
  uint8_t stream;
  bool full;
  const char *content;
  size_t content_len;
  off_t offset;         /* of the record in the file */
};

/* The parts of one stream's logical line gathered so far. */
struct pending_line
{
  char *buf;
  size_t len, cap;
  off_t last_offset;    /* of its newest P record */
  char timestamp[LOGFILE_TIMESTAMP_LEN + 32];
  size_t timestamp_len;
  bool started;         /* a first piece was printed already */
};

struct reader
{
  int fd;
  const char *path;
  const struct logfile_print_opts *o;
  char *buf;
  size_t cap, start, end;
  off_t buf_offset;     /* file offset of buf[0] */
  struct pending_line lines[STREAM_COUNT];
  off_t print_from;     /* lines completed before this offset are not printed */
  int out_fd;
  char *out;
  size_t out_len;
  struct tail_scan *scan;  /* during the `tail` pass only */
};

typedef int (*record_fn) (struct reader *r, const struct record *rec, ocirt_error_t *err);

static bool
parse_record (const char *line, size_t len, struct record *rec)
{
  const char *sp = memchr (line, ' ', len);
  const char *p;
  size_t rest;

  if (sp == NULL || sp == line)
    return false;
  rec->timestamp = line;
  rec->timestamp_len = (size_t) (sp - line);
  p = sp + 1;
  rest = len - (size_t) (p - line);
  /* "stdout F" at least: 8 bytes. */
  if (rest < 8 || p[6] != ' ' || (p[7] != 'F' && p[7] != 'P'))
    return false;
  if (memcmp (p, "stdout", 6) == 0)
    rec->stream = LOGFILE_STREAM_STDOUT;
  else if (memcmp (p, "stderr", 6) == 0)
    rec->stream = LOGFILE_STREAM_STDERR;
  else
    return false;
  rec->full = p[7] == 'F';
  /* An empty line may be written with or without the space before it. */
  if (rest > 8 && p[8] != ' ')
    return false;
  rec->content = rest > 8 ? p + 9 : p + 8;
  rec->content_len = rest > 8 ? rest - 9 : 0;
  return true;
}

static bool
stream_selected (const struct reader *r, uint8_t stream)
{
  return r->o->streams == 0 || (r->o->streams & (1u << stream)) != 0;
}

/* Make room at the end of the read buffer: drop consumed bytes, or grow
 * when one record fills it all. */
static int
make_room (struct reader *r, ocirt_error_t *err)
{
  char *n;

  if (r->start > 0)
    {
      memmove (r->buf, r->buf + r->start, r->end - r->start);
      r->buf_offset += (off_t) r->start;
      r->end -= r->start;
      r->start = 0;
      return 0;
    }
  if (r->cap >= READ_BUFFER_MAX)
    return make_error (err, EFBIG, "read log file `%s`: record at offset %lld longer than %d bytes",
                       r->path, (long long) r->buf_offset, READ_BUFFER_MAX);
  n = realloc (r->buf, r->cap * 2);
  if (n == NULL)
    return make_error (err, errno, "read log file `%s`", r->path);
  r->buf = n;
  r->cap *= 2;
  return 0;
}

/* Call fn for every complete record from the current position to the end
 * of the file. A last line without its '\n' is being written right now: it
 * stays in the buffer for the next call. */
static int
read_records (struct reader *r, record_fn fn, ocirt_error_t *err)
{
  for (;;)
    {
      ssize_t n;
      char *nl;

      while ((nl = memchr (r->buf + r->start, '\n', r->end - r->start)) != NULL)
        {
          struct record rec;
          size_t len = (size_t) (nl - (r->buf + r->start));

          if (parse_record (r->buf + r->start, len, &rec) && stream_selected (r, rec.stream))
            {
              rec.offset = r->buf_offset + (off_t) r->start;
              if (fn (r, &rec, err) < 0)
                return -1;
            }
          r->start += len + 1;
        }
      if (r->end == r->cap && make_room (r, err) < 0)
        return -1;
      n = read (r->fd, r->buf + r->end, r->cap - r->end);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return make_error (err, errno, "read log file `%s`", r->path);
      if (n == 0)
        return 0;
      r->end += (size_t) n;
    }
}

static int
out_flush (struct reader *r, ocirt_error_t *err)
{
  if (r->out_len > 0 && write_all (r->out_fd, r->out, r->out_len) < 0)
    return make_error (err, errno, "write logs");
  r->out_len = 0;
  return 0;
}

static int
out_append (struct reader *r, const char *data, size_t len, ocirt_error_t *err)
{
  if (len >= LOGFILE_WRITE_BUFFER)
    {
      if (out_flush (r, err) < 0)
        return -1;
      if (write_all (r->out_fd, data, len) < 0)
        return make_error (err, errno, "write logs");
      return 0;
    }
  if (LOGFILE_WRITE_BUFFER - r->out_len < len && out_flush (r, err) < 0)
    return -1;
  memcpy (r->out + r->out_len, data, len);
  r->out_len += len;
  return 0;
}

static int
pending_add (struct reader *r, struct pending_line *l, const struct record *rec, ocirt_error_t *err)
{
  if (l->len + rec->content_len > l->cap)
    {
      size_t cap = l->cap ? l->cap : 4096;
      char *n;

      while (cap < l->len + rec->content_len)
        cap *= 2;
      n = realloc (l->buf, cap);
      if (n == NULL)
        return make_error (err, errno, "read log file `%s`", r->path);
      l->buf = n;
      l->cap = cap;
    }
  memcpy (l->buf + l->len, rec->content, rec->content_len);
  l->len += rec->content_len;
  l->last_offset = rec->offset;
  l->timestamp_len = rec->timestamp_len < sizeof l->timestamp ? rec->timestamp_len : sizeof l->timestamp;
  memcpy (l->timestamp, rec->timestamp, l->timestamp_len);
  return 0;
}

/* Print one logical line: the gathered parts of `l`, then `tail` bytes. */
static int
print_line (struct reader *r, struct pending_line *l, const char *tail, size_t tail_len,
            bool newline, ocirt_error_t *err)
{
  if (r->o->timestamps && ! l->started
      && (out_append (r, l->timestamp, l->timestamp_len, err) < 0 || out_append (r, " ", 1, err) < 0))
    return -1;
  if (out_append (r, l->buf, l->len, err) < 0 || out_append (r, tail, tail_len, err) < 0)
    return -1;
  l->len = 0;
  l->started = ! newline;
  return newline ? out_append (r, "\n", 1, err) : 0;
}

static int
print_record (struct reader *r, const struct record *rec, ocirt_error_t *err)
{
  struct pending_line *l = &r->lines[rec->stream];

  if (! rec->full)
    {
      /* Past print_from, every line that completes is printed, so a long
       * one may go out in pieces. */
      if (l->len + rec->content_len > PENDING_MAX && rec->offset >= r->print_from
          && print_line (r, l, NULL, 0, false, err) < 0)
        return -1;
      return pending_add (r, l, rec, err);
    }
  if (rec->offset < r->print_from)
    {
      /* Completed before the lines `tail` selected. */
      l->len = 0;
      l->started = false;
      return 0;
    }
  l->timestamp_len = rec->timestamp_len < sizeof l->timestamp ? rec->timestamp_len : sizeof l->timestamp;
  memcpy (l->timestamp, rec->timestamp, l->timestamp_len);
  return print_line (r, l, rec->content, rec->content_len, true, err);
}

/* At the end: lines that never got their F record, oldest first. */
static int
print_unterminated (struct reader *r, ocirt_error_t *err)
{
  struct pending_line *a = &r->lines[LOGFILE_STREAM_STDOUT];
  struct pending_line *b = &r->lines[LOGFILE_STREAM_STDERR];

  if (b->len > 0 && (a->len == 0 || b->last_offset < a->last_offset))
    {
      struct pending_line *t = a;
      a = b;
      b = t;
    }
  if (a->len > 0 && a->last_offset >= r->print_from && print_line (r, a, NULL, 0, false, err) < 0)
    return -1;
  if (b->len > 0 && b->last_offset >= r->print_from && print_line (r, b, NULL, 0, false, err) < 0)
    return -1;
  return 0;
}

/* ---- tail: find where the last N logical lines begin ---- */

struct line_span
{
  off_t start;  /* offset of the line's first record */
  off_t end;    /* offset of its last record */
};

struct tail_scan
{
  struct line_span *spans;  /* circular once `count` reaches `n` */
  size_t n, count, cap, next;
  off_t line_start[STREAM_COUNT];
  off_t last_offset[STREAM_COUNT];
};

static int
tail_push (struct tail_scan *t, off_t start, off_t end)
{
  if (t->n == 0)
    return 0;
  if (t->count < t->n && t->count == t->cap)
    {
      size_t cap = t->cap ? t->cap * 2 : 64;
      struct line_span *n;

      if (cap > t->n)
        cap = t->n;
      n = realloc (t->spans, cap * sizeof *n);
      if (n == NULL)
        return -1;
      t->spans = n;
      t->cap = cap;
    }
  t->spans[t->next] = (struct line_span) { start, end };
  t->next = (t->next + 1) % t->n;
  if (t->count < t->n)
    t->count++;
  return 0;
}

static int
tail_record (struct reader *r, const struct record *rec, ocirt_error_t *err)
{
  struct tail_scan *t = r->scan;
  off_t start = t->line_start[rec->stream] >= 0 ? t->line_start[rec->stream] : rec->offset;

  t->last_offset[rec->stream] = rec->offset;
  if (! rec->full)
    {
      t->line_start[rec->stream] = start;
      return 0;
    }
  t->line_start[rec->stream] = -1;
  if (tail_push (t, start, rec->offset) < 0)
    return make_error (err, errno, "read log file `%s`", r->path);
  return 0;
}


static int
tail_push_unterminated (struct tail_scan *t)
{
  int first = LOGFILE_STREAM_STDOUT, second = LOGFILE_STREAM_STDERR;

  if (t->last_offset[second] < t->last_offset[first])
    {
      first = LOGFILE_STREAM_STDERR;
      second = LOGFILE_STREAM_STDOUT;
    }
  if (t->line_start[first] >= 0 && tail_push (t, t->line_start[first], t->last_offset[first]) < 0)
    return -1;
  if (t->line_start[second] >= 0 && tail_push (t, t->line_start[second], t->last_offset[second]) < 0)
    return -1;
  return 0;
}

/* Restart reading at `offset`, forgetting everything gathered. */
static int
reader_seek (struct reader *r, off_t offset, ocirt_error_t *err)
{
  if (lseek (r->fd, offset, SEEK_SET) < 0)
    return make_error (err, errno, "seek log file `%s`", r->path);
  r->start = r->end = 0;
  r->buf_offset = offset;
  for (int s = 0; s < STREAM_COUNT; s++)
    {
      r->lines[s].len = 0;
      r->lines[s].started = false;
    }
  return 0;
}

/* Scan the whole file once, remembering only the spans of the last n
 * logical lines, then rewind to where the earliest of them begins. Lines
 * of both streams interleave, so that start can lie before lines that were
 * completed earlier; print_from makes the printing pass skip those. */
static int
seek_to_tail (struct reader *r, size_t n, ocirt_error_t *err)
{
  struct tail_scan t = { .n = n, .line_start = { -1, -1, -1 }, .last_offset = { -1, -1, -1 } };
  off_t from = 0;
  int ret;

  if (n == 0)
    {
      /* Nothing old: only what a follow brings. Skip whole records only. */
      r->scan = &t;
      ret = read_records (r, tail_record, err);
      r->scan = NULL;
      free (t.spans);
      if (ret < 0)
        return -1;
      r->print_from = r->buf_offset + (off_t) r->start;
      return reader_seek (r, r->print_from, err);
    }
  r->scan = &t;
  ret = read_records (r, tail_record, err);
  r->scan = NULL;
  if (ret == 0 && tail_push_unterminated (&t) < 0)
    ret = make_error (err, errno, "read log file `%s`", r->path);
  if (ret == 0 && t.count == t.n)
    {
      from = t.spans[0].start;
      for (size_t i = 1; i < t.count; i++)
        if (t.spans[i].start < from)
          from = t.spans[i].start;
      r->print_from = t.spans[t.next].end;
    }
  free (t.spans);
  if (ret < 0)
    return -1;
  return reader_seek (r, from, err);
}

/* Wait until the file may have grown, or FOLLOW_POLL_MS passed. */
static void
wait_for_growth (int inotify_fd)
{
  char events[4096];

  if (inotify_fd < 0)
    {
      poll (NULL, 0, FOLLOW_POLL_MS / 4);
      return;
    }
  if (poll (&(struct pollfd) { .fd = inotify_fd, .events = POLLIN }, 1, FOLLOW_POLL_MS) > 0)
    while (read (inotify_fd, events, sizeof events) > 0)
      ;
}

/* inotify is only a wake-up: without it, following falls back to polling. */
static int
watch_file (const char *path)
{
  int fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);

  if (fd >= 0 && inotify_add_watch (fd, path, IN_MODIFY) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static int
follow (struct reader *r, ocirt_error_t *err)
{
  cleanup_close int inotify_fd = watch_file (r->path);

  /* The watch exists before this read reaches the end, so no growth
   * between the two is missed. */
  if (read_records (r, print_record, err) < 0)
    return -1;
  for (;;)
    {
      bool stopping = r->o->stop != NULL && r->o->stop (r->o->stop_opaque);

      if (out_flush (r, err) < 0)
        return -1;
      /* Asked before the last read: whatever was written before the
       * writer stopped is printed. */
      if (! stopping)
        wait_for_growth (inotify_fd);
      if (read_records (r, print_record, err) < 0)
        return -1;
      if (stopping)
        return 0;
    }
}

static void
reader_release (struct reader *r)
{
  for (int s = 0; s < STREAM_COUNT; s++)
    free (r->lines[s].buf);
  free (r->buf);
  free (r->out);
  if (r->fd >= 0)
    close (r->fd);
}

int
logfile_print (const char *path, const struct logfile_print_opts *o, int out_fd, ocirt_error_t *err)
{
  __attribute__ ((cleanup (reader_release))) struct reader r = {
    .fd = -1, .path = path, .o = o, .out_fd = out_fd, .cap = READ_BUFFER_INITIAL,
  };

  r.buf = malloc (r.cap);
  r.out = malloc (LOGFILE_WRITE_BUFFER);
  if (r.buf == NULL || r.out == NULL)
    return make_error (err, errno, "read log file `%s`", path);
  r.fd = open (path, O_RDONLY | O_CLOEXEC);
  if (r.fd < 0)
    return make_error (err, errno, "open log file `%s`", path);
  if (o->tail >= 0 && seek_to_tail (&r, (size_t) o->tail, err) < 0)
    return -1;
  if (o->follow)
    {
      if (follow (&r, err) < 0)
        return -1;
    }
  else if (read_records (&r, print_record, err) < 0)
    return -1;
  if (print_unterminated (&r, err) < 0)
    return -1;
  return out_flush (&r, err);
}
