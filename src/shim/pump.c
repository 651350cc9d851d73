/* pump.c - producer and consumer threads of the shim's log pipeline.
 * See pump.h for the contract.
 */
#include "pump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "logfile.h"
#include "ringbuf.h"

_Static_assert (RINGBUF_STREAM_STDOUT == LOGFILE_STREAM_STDOUT
                && RINGBUF_STREAM_STDERR == LOGFILE_STREAM_STDERR,
                "stream ids pass from the ring to the log file unchanged");

/* Up to this much is read per read(2), a quarter of the default ring, so
 * that the consumer works through one read while the producer makes the
 * next; a pipe holding more is emptied by several reads in a row. */
#define READ_CHUNK (64 * 1024)
/* Kernel buffer asked for each container pipe: the default
 * /proc/sys/fs/pipe-max-size, so unprivileged shims get it too. */
#define PIPE_SIZE (1024 * 1024)
/* How long the consumer waits for more output before it writes out what it
 * holds: long enough to gather a steady stream into large writes, short
 * enough that `ocirt logs -f` looks live. */
#define FLUSH_DELAY_MS 5
/* How long the container must stay quiet, after that flush, before the
 * ring's and the writer's pages go back to the kernel: a container that
 * logged a burst as it started then idles at the shim's idle size, while
 * one that writes every few hundred ms does not fault the pages in again
 * for every line. */
#define TRIM_DELAY_MS 2000
/* Ring space is released (waking a producer that waits for it) each time
 * the consumer has written this fraction of the ring, not only at the end
 * of a batch, which may span the whole ring. */
#define RELEASE_FRACTION 4
/* How long a caller's copy may take no data before it is given up: long
 * enough for a reader that is merely slow, short enough that a reader that
 * stopped reading does not stall the log (and the container) for long. */
#define TEE_STALL_MS 10000
/* How long the producer lets output gather in the pipes between reads
 * while it flows (see coalesce_pause()): a 1 MiB pipe takes several ms to
 * fill even at a few hundred MB/s, and 1 ms is nothing to `logs -f`. */
#define COALESCE_US 1000
/* Kernel buffer asked for each stage (see struct pipe_source): a quarter
 * of the container's pipe, so that a full pipe is emptied in four splices
 * of a few microseconds each. Not the whole pipe: an unprivileged user's
 * pipes count their size, empty or not, against pipe-user-pages-soft
 * (64 MiB), past which new pipes get two pages, and each container already
 * takes 2 MiB of it. */
#define STAGE_SIZE (256 * 1024)

/* Each container pipe is emptied into a pipe of the shim's own, its stage,
 * and read from there. A read(2) copies the pipe's pages out under the
 * pipe's mutex, and meanwhile the container's writes to that pipe wait for
 * the mutex, spinning on a CPU the container needs (perf: 5% of `head`'s
 * time in mutex_spin_on_owner). splice(2) moves the pages to the stage by
 * reference, in microseconds, and the copy out of the stage takes only the
 * stage's mutex, which the container never wants. Measured end to end:
 * 5-9% more throughput than direct reads, in the same runs. The stage is
 * the shim's optimisation, not its contract: a source splice cannot read,
 * or no fds left for the stage, and the pipe is read directly. */
struct pipe_source
{
  int fd;
  uint8_t stream;
  int tee_fd;        /* the caller's copy of this stream, or -1 */
  size_t pipe_size;  /* the kernel buffer of the pipe (F_GETPIPE_SZ) */
  int stage[2];      /* the stage's read and write ends, or -1 */
  size_t stage_size; /* its kernel buffer: the most one splice moves */
  size_t staged;     /* bytes in the stage, not yet read */
  bool drained;      /* the last read of the pipe itself came back short */
};

struct log_pump
{
  struct pipe_source sources[2];
  int epoll_fd;
  struct ringbuf *ring;
  struct logfile_writer *writer;
  pthread_t producer, consumer;
  ocirt_error_t producer_err;  /* owned by the producer until joined */
  ocirt_error_t consumer_err;  /* owned by the consumer until joined */
  struct log_pump_options opts;
};

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
stage_close (struct pipe_source *s)
{
  for (int i = 0; i < 2; i++)
    if (s->stage[i] >= 0)
      close (s->stage[i]);
  s->stage[0] = s->stage[1] = -1;
  s->staged = 0;
}

static void
source_close (struct log_pump *p, struct pipe_source *s)
{
  epoll_ctl (p->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
  close (s->fd);
  s->fd = -1;
  if (s->tee_fd >= 0)
    close (s->tee_fd);
  s->tee_fd = -1;
  stage_close (s);
}

static const char *
stream_name (uint8_t stream)
{
  return stream == RINGBUF_STREAM_STDOUT ? "stdout" : "stderr";
}

/* Tell the pump's owner about a failure as it happens (the log file and
 * the container go on; the owner records it where users look). */
static void
report (struct log_pump *p, const char *what, ocirt_error_t e)
{
  if (p->opts.on_error)
    p->opts.on_error (p->opts.arg, what, e);
}

/* Stop copying `s` to the caller, saying why. */
static void
tee_give_up (struct log_pump *p, struct pipe_source *s, const char *why)
{
  ocirt_error_t e = NULL;

  make_error (&e, 0, "stopped copying container %s to the caller: %s; the log has all of it",
              stream_name (s->stream), why);
  report (p, "warning", e);
  error_release (&e);
  close (s->tee_fd);
  s->tee_fd = -1;
}

/* Copy a chunk, already committed to the ring, to the caller's fd. A file
 * takes it at once; a pipe (opened non-blocking for us alone, see shim.c)
 * may be full: wait for its reader, which holds back the container as
 * runc's direct pipe would, but give the copy up after TEE_STALL_MS without
 * progress, or at once when the reader is gone. The log has every byte
 * either way: it never waits for the caller. */
static void
tee_chunk (struct log_pump *p, struct pipe_source *s, const char *data, size_t len)
{
  while (len > 0)
    {
      ssize_t w = write (s->tee_fd, data, len);

      if (w > 0)
        {
          data += w;
          len -= (size_t) w;
          continue;
        }
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          struct pollfd pfd = { .fd = s->tee_fd, .events = POLLOUT };
          int r = poll (&pfd, 1, TEE_STALL_MS);

          if (r > 0 && ! (pfd.revents & POLLERR))
            continue;
          if (r < 0 && errno == EINTR)
            continue;
          if (r == 0)
            {
              char why[64];
              snprintf (why, sizeof why, "its reader took nothing for %d s", TEE_STALL_MS / 1000);
              tee_give_up (p, s, why);
            }
          else
            tee_give_up (p, s, "its reader is gone");
          return;
        }
      tee_give_up (p, s, w < 0 && errno == EPIPE ? "its reader is gone" : strerror (w < 0 ? errno : EIO));
      return;
    }
}

/* Up to `room` bytes of `s` into `dst`: from the stage, which is refilled
 * from the container's pipe (as much as it holds, up to the stage's size)
 * once it is empty, or from the pipe itself without a stage. Returns the number of bytes read, 0 at EOF, or
 * -1 with errno set (EAGAIN: nothing to read). */
static ssize_t
source_read (struct pipe_source *s, void *dst, size_t room)
{
  ssize_t n;

  if (s->stage[0] >= 0 && s->staged == 0)
    {
      n = splice (s->fd, NULL, s->stage[1], NULL, s->stage_size, SPLICE_F_NONBLOCK);
      if (n <= 0 && ! (n < 0 && errno == EINVAL))
        return n;
      if (n > 0)
        {
          s->staged = (size_t) n;
          s->drained = (size_t) n < s->stage_size;
        }
      else
        stage_close (s);  /* a source splice cannot read (a tty on older kernels) */
    }
  if (s->stage[0] < 0)
    {
      n = read (s->fd, dst, room);
      s->drained = n >= 0 && (size_t) n < room;
      return n;
    }
  n = read (s->stage[0], dst, room);
  if (n > 0)
    s->staged -= (size_t) n;
  return n;
}

/* One read from a ready pipe, straight into the ring. Returns the number
 * of bytes read, 0 at EOF, or -1 with errno set. */
static ssize_t
read_once (struct log_pump *p, struct pipe_source *s)
{
  void *dst;
  /* Blocks while the ring is full: back-pressure on the container. Fails
   * only after close, which only this thread does. */
  ssize_t room = ringbuf_reserve (p->ring, READ_CHUNK, &dst);
  ssize_t n;

  if (room < 0)
    {
      errno = EAGAIN;
      return -1;
    }
  n = source_read (s, dst, (size_t) room);
  ringbuf_commit (p->ring, s->stream, now_ns (), n > 0 ? (size_t) n : 0);
  /* The committed bytes stay intact until this thread reserves again: the
   * consumer only reads them, and there is no other producer. */
  if (n > 0 && s->tee_fd >= 0)
    tee_chunk (p, s, dst, (size_t) n);
  return n;
}

/* Empty a ready pipe into the ring: read until a read comes back short
 * (the pipe is empty now), but no more than one pipeful, so that a chatty
 * stream cannot starve the other. Returns false once the source is
 * finished; *got is the number of bytes read. */
static bool
pump_source (struct log_pump *p, struct pipe_source *s, size_t *got)
{
  *got = 0;
  for (;;)
    {
      ssize_t n = read_once (p, s);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return true;
      if (n < 0)
        {
          make_error (&p->producer_err, errno, "read container %s", stream_name (s->stream));
          report (p, "error", p->producer_err);
          source_close (p, s);
          return false;
        }
      if (n == 0)
        {
          source_close (p, s);
          return false;
        }
      *got += (size_t) n;
      /* The stage is emptied before anything else: epoll watches only the
       * container's pipe, and would not say what the stage still holds.
       * Then the pipe is empty if its last read came back short (a read
       * of the stage is short only because the stage ran out). */
      if (s->staged > 0)
        continue;
      if (s->drained || *got >= s->pipe_size)
        return true;
    }
}

/* Output is flowing and the pipes have room to spare: let it gather in the
 * pipes for a moment instead of waking for each write of the container.
 * While this thread sleeps it is on no pipe's wait queue, so the
 * container's writes wake nobody; the next read then takes COALESCE_US
 * worth of output at once. */
static void
coalesce_pause (void)
{
  struct timespec ts = { 0, COALESCE_US * 1000L };

  nanosleep (&ts, NULL);
}

static void *
producer_main (void *arg)
{
  struct log_pump *p = arg;
  int open;

  pthread_setname_np (pthread_self (), "log-producer");
  open = (p->sources[0].fd >= 0) + (p->sources[1].fd >= 0);

  while (open > 0)
    {
      struct epoll_event ev[2];
      int n = epoll_wait (p->epoll_fd, ev, 2, -1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          make_error (&p->producer_err, errno, "wait for container output");
          break;
        }
      bool flowing = false, behind = false;
      for (int i = 0; i < n; i++)
        {
          struct pipe_source *s = ev[i].data.ptr;
          size_t got = 0;
          if (s->fd >= 0 && ! pump_source (p, s, &got))
            open--;
          flowing |= got > 0;
          behind |= got >= s->pipe_size / 2;
        }
      if (flowing && ! behind && open > 0)
        coalesce_pause ();
    }
  ringbuf_close (p->ring);
  return NULL;
}

/* Give the records handed out so far back to the ring, once the log file
 * has them: the writer's queued output points into the ring. */
/* The first write failure of the log: from here on the rest is discarded
 * (see pump.h), so the owner hears of it now, not at the end. */
static void
consumer_failed (struct log_pump *p, bool *failed)
{
  *failed = true;
  report (p, "error", p->consumer_err);
}

static void
release_written (struct log_pump *p, struct ringbuf_batch *batch, bool *failed)
{
  if (! *failed && logfile_writer_write_queued (p->writer, &p->consumer_err) < 0)
    consumer_failed (p, failed);
  ringbuf_release (p->ring, batch);
}

static void
consume_batch (struct log_pump *p, struct ringbuf_batch *batch, bool *failed)
{
  struct ringbuf_chunk c;

  while (ringbuf_batch_next (batch, &c))
    {
      if (! *failed
          && logfile_queue_chunk (p->writer, c.stream, c.timestamp_ns, c.data, c.len,
                                  &p->consumer_err) < 0)
        consumer_failed (p, failed);
      if (batch->consumed >= ringbuf_capacity (p->ring) / RELEASE_FRACTION)
        release_written (p, batch, failed);
    }
  release_written (p, batch, failed);
}

static void *
consumer_main (void *arg)
{
  struct log_pump *p = arg;
  bool failed = false;

  pthread_setname_np (pthread_self (), "log-consumer");
  for (;;)
    {
      struct ringbuf_batch batch;
      ssize_t n = ringbuf_acquire (p->ring, &batch, FLUSH_DELAY_MS);

      if (n < 0)
        {
          /* The container went quiet: let readers of the file see it all. */
          if (! failed && logfile_writer_flush (p->writer, &p->consumer_err) < 0)
            consumer_failed (p, &failed);
          n = ringbuf_acquire (p->ring, &batch, TRIM_DELAY_MS);
        }
      if (n < 0)
        {
          /* Still quiet: hold no memory the output no longer needs. */
          ringbuf_trim (p->ring);
          if (! failed)
            logfile_writer_trim (p->writer);
          n = ringbuf_acquire (p->ring, &batch, -1);
        }
      if (n == 0)
        break;
      consume_batch (p, &batch, &failed);
    }
  if (failed)
    {
      /* Already failing: the first error is the one worth reporting. */
      cleanup_error ocirt_error_t ignored = NULL;
      logfile_writer_close (steal_pointer (&p->writer), &ignored);
    }
  else if (logfile_writer_close (steal_pointer (&p->writer), &p->consumer_err) < 0)
    report (p, "error", p->consumer_err);
  return NULL;
}

static void
pump_free (struct log_pump *p)
{
  cleanup_error ocirt_error_t ignored = NULL;

  for (int i = 0; i < 2; i++)
    {
      if (p->sources[i].fd >= 0)
        close (p->sources[i].fd);
      if (p->sources[i].tee_fd >= 0)
        close (p->sources[i].tee_fd);
      stage_close (&p->sources[i]);
    }
  if (p->epoll_fd >= 0)
    close (p->epoll_fd);
  logfile_writer_close (p->writer, &ignored);
  ringbuf_free (p->ring);
  error_release (&p->producer_err);
  error_release (&p->consumer_err);
  free (p);
}

static int
watch_sources (struct log_pump *p, ocirt_error_t *err)
{
  p->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (p->epoll_fd < 0)
    return make_error (err, errno, "create epoll for container output");
  for (int i = 0; i < 2; i++)
    {
      struct pipe_source *s = &p->sources[i];
      struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
      int r;

      if (s->fd < 0)
        continue;
      /* A bigger pipe lets the container run ahead while the producer is
       * off the CPU, and lets one read take more: fewer context switches
       * per byte. Best effort: pipe-max-size may refuse it. */
      fcntl (s->fd, F_SETPIPE_SZ, PIPE_SIZE);
      r = fcntl (s->fd, F_GETPIPE_SZ);
      s->pipe_size = r > 0 ? (size_t) r : 65536;
      /* Best effort as well: without a stage (no fds left), the pipe is
       * read directly. */
      if (pipe2 (s->stage, O_CLOEXEC) == 0)
        {
          fcntl (s->stage[1], F_SETPIPE_SZ, STAGE_SIZE);
          r = fcntl (s->stage[1], F_GETPIPE_SZ);
          s->stage_size = r > 0 ? (size_t) r : 65536;
        }
      else
        s->stage[0] = s->stage[1] = -1;
      /* A spurious wake-up must not block the thread that serves both
       * pipes in a read() of one. */
      if (fcntl (s->fd, F_SETFL, fcntl (s->fd, F_GETFL) | O_NONBLOCK) < 0)
        return make_error (err, errno, "set container output non-blocking");
      if (epoll_ctl (p->epoll_fd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
        return make_error (err, errno, "watch container output");
    }
  return 0;
}

/* Both threads start with every signal blocked, so signals for the shim
 * (SIGCHLD, forwarded SIGTERM, ...) keep going to its main thread. */
static int
start_threads (struct log_pump *p, ocirt_error_t *err)
{
  sigset_t all, old;
  int r;

  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  /* The consumer first: a producer without a consumer would block forever
   * once the ring is full. */
  r = pthread_create (&p->consumer, NULL, consumer_main, p);
  if (r == 0)
    {
      r = pthread_create (&p->producer, NULL, producer_main, p);
      if (r != 0)
        {
          ringbuf_close (p->ring);
          pthread_join (p->consumer, NULL);
        }
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (r != 0)
    return make_error (err, r, "start log pump thread");
  return 0;
}

struct log_pump *
log_pump_start (int stdout_fd, int stderr_fd, const char *log_path, size_t buffer_bytes,
                const struct log_pump_options *opts, ocirt_error_t *err)
{
  struct log_pump *p = calloc (1, sizeof *p);
  int tee[2] = { opts ? opts->tee_fds[0] : -1, opts ? opts->tee_fds[1] : -1 };

  if (p == NULL)
    {
      int fds[4] = { stdout_fd, stderr_fd, tee[0], tee[1] };
      for (int i = 0; i < 4; i++)
        if (fds[i] >= 0)
          close (fds[i]);
      make_error (err, errno, "allocate log pump");
      return NULL;
    }
  if (opts)
    p->opts = *opts;
  p->sources[0] = (struct pipe_source) { .fd = stdout_fd, .stream = RINGBUF_STREAM_STDOUT,
                                         .tee_fd = tee[0], .stage = { -1, -1 } };
  p->sources[1] = (struct pipe_source) { .fd = stderr_fd, .stream = RINGBUF_STREAM_STDERR,
                                         .tee_fd = tee[1], .stage = { -1, -1 } };
  p->epoll_fd = -1;
  p->ring = ringbuf_new (buffer_bytes ? buffer_bytes : LOG_PUMP_DEFAULT_BUFFER);
  if (p->ring == NULL)
    {
      make_error (err, errno, "allocate log pump");
      pump_free (p);
      return NULL;
    }
  p->writer = logfile_writer_open (log_path, err);
  if (p->writer == NULL || watch_sources (p, err) < 0 || start_threads (p, err) < 0)
    {
      pump_free (p);
      return NULL;
    }
  return p;
}

int
log_pump_join (struct log_pump *p, ocirt_error_t *err)
{
  int ret = 0;

  pthread_join (p->producer, NULL);
  pthread_join (p->consumer, NULL);
  /* A read error explains a short log better than a write error after it. */
  if (p->producer_err != NULL || p->consumer_err != NULL)
    {
      ocirt_error_t *first = p->producer_err != NULL ? &p->producer_err : &p->consumer_err;
      error_release (err);
      *err = steal_pointer (first);
      ret = -1;
    }
  pump_free (p);
  return ret;
}

int
log_pump_run (int stdout_fd, int stderr_fd, const char *log_path, size_t buffer_bytes,
              ocirt_error_t *err)
{
  struct log_pump *p = log_pump_start (stdout_fd, stderr_fd, log_path, buffer_bytes, NULL, err);

  if (p == NULL)
    return -1;
  return log_pump_join (p, err);
}
