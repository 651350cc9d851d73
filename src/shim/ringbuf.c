/* ringbuf.c - bounded record ring between pipe readers and the log writer.
 * See ringbuf.h for the contract and the locking rules.
 *
 * Layout: records are laid out back to back from `tail` to `head`. A record
 * never wraps around the end of the ring, so the consumer can read it in
 * place; when the gap left at the end is too small for a useful record, a
 * producer fills it with a wrap marker (stream 0) and continues at offset 0.
 * Everything is 16-byte aligned, so a gap is either empty or large enough
 * for a header.
 */
#include "ringbuf.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define RECORD_ALIGN 16
#define RECORD_STREAM_WRAP 0
/* Bound on one record's data so the length fits the 32-bit header field. */
#define RECORD_DATA_MAX ((size_t) 1 << 30)

struct record_header
{
  uint32_t len;
  uint8_t stream;
  uint8_t reserved[3];
  int64_t timestamp_ns;
};
_Static_assert (sizeof (struct record_header) == RECORD_ALIGN,
                "a header is one alignment unit, so any non-empty gap holds one");

struct ringbuf
{
  pthread_mutex_t lock;
  pthread_cond_t not_full;   /* producers wait here for space */
  pthread_cond_t not_empty;  /* the consumer waits here for records */

  /* Everything below is guarded by `lock`. */
  uint8_t *buf;
  size_t capacity;
  size_t head;               /* offset where the next record is written */
  size_t tail;               /* offset of the oldest unreleased record */
  size_t used;               /* bytes between tail and head, markers included */
  size_t held;               /* bytes acquired by the consumer, not released */
  size_t high_water;
  size_t split_min;          /* smallest piece a large put is cut into */
  size_t wake_free;          /* free bytes that make a release wake producers */
  unsigned producers_waiting;
  bool reserved;             /* a ringbuf_reserve() awaits its commit */
  bool consumer_waiting;
  bool closed;
};

static size_t
align_up (size_t n)
{
  return (n + RECORD_ALIGN - 1) & ~(size_t) (RECORD_ALIGN - 1);
}

static size_t
record_size (size_t len)
{
  return sizeof (struct record_header) + align_up (len);
}

struct ringbuf *
ringbuf_new (size_t capacity_bytes)
{
  struct ringbuf *rb = calloc (1, sizeof *rb);
  pthread_condattr_t attr;

  if (rb == NULL)
    return NULL;
  if (capacity_bytes < RINGBUF_MIN_CAPACITY)
    capacity_bytes = RINGBUF_MIN_CAPACITY;
  rb->capacity = align_up (capacity_bytes);
  /* A mapping of its own, so that ringbuf_trim() can give its pages back. */
  rb->buf = mmap (NULL, rb->capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (rb->buf == MAP_FAILED)
    {
      free (rb);
      return NULL;
    }
  /* Cutting a large put into pieces smaller than this would fill the log
   * with fragments while gaining nothing: the producer would block again at
   * once. Waking producers for less free space than twice that would make
   * them spin between the two threads; waiting for half the ring lets a
   * producer that reads from a pipe take several reads per wake-up (the
   * pipe holds the output meanwhile): measured with the shim on 256 MiB,
   * a third fewer producer wake-ups than at a quarter, and 8% less CPU. */
  rb->split_min = align_up (rb->capacity / 8);
  rb->wake_free = rb->capacity / 2;

  pthread_mutex_init (&rb->lock, NULL);
  pthread_cond_init (&rb->not_full, NULL);
  /* The consumer's timed wait must not jump with the wall clock. */
  pthread_condattr_init (&attr);
  pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
  pthread_cond_init (&rb->not_empty, &attr);
  pthread_condattr_destroy (&attr);
  return rb;
}

void
ringbuf_free (struct ringbuf *rb)
{
  if (rb == NULL)
    return;
  pthread_cond_destroy (&rb->not_empty);
  pthread_cond_destroy (&rb->not_full);
  pthread_mutex_destroy (&rb->lock);
  munmap (rb->buf, rb->capacity);
  free (rb);
}

/* Free bytes that can be written at `head` without wrapping. */
static size_t
contiguous_free (const struct ringbuf *rb)
{
  if (rb->used == rb->capacity)
    return 0;
  if (rb->head >= rb->tail)
    return rb->capacity - rb->head;
  return rb->tail - rb->head;
}

static void
advance_head (struct ringbuf *rb, size_t bytes)
{
  rb->head += bytes;
  rb->used += bytes;
  if (rb->head == rb->capacity)
    rb->head = 0;
  assert (rb->used <= rb->capacity);
  if (rb->used > rb->high_water)
    rb->high_water = rb->used;
}

static void
write_record (struct ringbuf *rb, uint8_t stream, int64_t timestamp_ns,
              const void *data, size_t len)
{
  struct record_header h = { .len = (uint32_t) len, .stream = stream, .timestamp_ns = timestamp_ns };

  memcpy (rb->buf + rb->head, &h, sizeof h);
  memcpy (rb->buf + rb->head + sizeof h, data, len);
  advance_head (rb, record_size (len));
}

/* The end gap is too small for the piece, but offset 0 has room: fill the
 * gap with a marker the consumer skips, and continue at 0. */
static bool
try_wrap (struct ringbuf *rb, size_t need)
{
  size_t gap = rb->capacity - rb->head;
  struct record_header marker = { .stream = RECORD_STREAM_WRAP };

  if (rb->head < rb->tail || rb->used == rb->capacity || rb->tail < need)
    return false;
  memcpy (rb->buf + rb->head, &marker, sizeof marker);
  advance_head (rb, gap);
  return true;
}

/* Contiguous bytes a producer waits for before it writes `len` bytes: the
 * whole record, or at least a split_min piece of a larger one. */
static size_t
room_needed (const struct ringbuf *rb, size_t len)
{
  size_t need = record_size (len);

  if (need > sizeof (struct record_header) + rb->split_min)
    need = sizeof (struct record_header) + rb->split_min;
  return need;
}

/* Wait until `need` contiguous bytes are free at `head` and no reservation
 * is open there, wrapping to offset 0 when that makes room. Returns false
 * once the ring is closed. Called with the lock held. */
static bool
wait_for_room (struct ringbuf *rb, size_t need)
{
  for (;;)
    {
      if (rb->closed)
        return false;
      if (! rb->reserved && (contiguous_free (rb) >= need || try_wrap (rb, need)))
        return true;
      rb->producers_waiting++;
      pthread_cond_wait (&rb->not_full, &rb->lock);
      rb->producers_waiting--;
    }
}

/* Whom an update made under the lock must wake. */
struct wakeups
{
  bool consumer;   /* not_empty */
  bool producers;  /* not_full */
};

/* Drop the lock, then wake. A thread woken while the waker still holds the
 * lock only blocks again on the mutex (glibc's condition variables do not
 * hand waiters over to it): one more futex sleep, wake and pair of context
 * switches per hand-off. Measured through the shim: 10-13 context switches
 * per MiB instead of 16-20. No wake-up is lost: `w` was read under the
 * lock, and a waiter joins the condition variable before it lets go of the
 * lock. (helgrind and drd call any signal without the lock "dubious" by
 * rule; ThreadSanitizer, which follows the happens-before, is clean.) */
static void
unlock_and_wake (struct ringbuf *rb, struct wakeups w)
{
  pthread_mutex_unlock (&rb->lock);
  if (w.consumer)
    pthread_cond_signal (&rb->not_empty);
  if (w.producers)
    pthread_cond_broadcast (&rb->not_full);
}

int
ringbuf_put (struct ringbuf *rb, uint8_t stream, int64_t timestamp_ns,
             const void *data, size_t len)
{
  const uint8_t *p = data;

  if (stream == RECORD_STREAM_WRAP)
    {
      errno = EINVAL;
      return -1;
    }
  pthread_mutex_lock (&rb->lock);
  while (len > 0)
    {
      size_t piece = len < RECORD_DATA_MAX ? len : RECORD_DATA_MAX;
      size_t room;

      if (! wait_for_room (rb, room_needed (rb, piece)))
        {
          pthread_mutex_unlock (&rb->lock);
          errno = EPIPE;
          return -1;
        }
      room = contiguous_free (rb);
      if (piece > room - sizeof (struct record_header))
        piece = room - sizeof (struct record_header);
      write_record (rb, stream, timestamp_ns, p, piece);
      p += piece;
      len -= piece;
      /* Woken under the lock, not after it (see unlock_and_wake()): the
       * next piece may wait for room only the consumer can make. */
      if (rb->consumer_waiting)
        pthread_cond_signal (&rb->not_empty);
    }
  pthread_mutex_unlock (&rb->lock);
  return 0;
}

ssize_t
ringbuf_reserve (struct ringbuf *rb, size_t max, void **ptr)
{
  size_t want = max < RECORD_DATA_MAX ? max : RECORD_DATA_MAX;
  size_t avail;

  if (max == 0)
    {
      errno = EINVAL;
      return -1;
    }
  pthread_mutex_lock (&rb->lock);
  if (! wait_for_room (rb, room_needed (rb, want)))
    {
      pthread_mutex_unlock (&rb->lock);
      errno = EPIPE;
      return -1;
    }
  /* contiguous_free() is a multiple of RECORD_ALIGN, so any len up to
   * `avail` rounds up to a record that still fits. */
  avail = contiguous_free (rb) - sizeof (struct record_header);
  if (avail > want)
    avail = want;
  /* Nothing moves `head` until the commit: the caller fills the space
   * without the lock, and the consumer never looks past `head`. */
  rb->reserved = true;
  *ptr = rb->buf + rb->head + sizeof (struct record_header);
  pthread_mutex_unlock (&rb->lock);
  return (ssize_t) avail;
}

void
ringbuf_commit (struct ringbuf *rb, uint8_t stream, int64_t timestamp_ns, size_t len)
{
  struct record_header h = { .len = (uint32_t) len, .stream = stream, .timestamp_ns = timestamp_ns };
  struct wakeups w = { false, false };

  pthread_mutex_lock (&rb->lock);
  assert (rb->reserved && stream != RECORD_STREAM_WRAP);
  rb->reserved = false;
  if (len > 0)
    {
      memcpy (rb->buf + rb->head, &h, sizeof h);
      advance_head (rb, record_size (len));
      w.consumer = rb->consumer_waiting;
    }
  /* Other producers may be waiting for the reservation to end. */
  w.producers = rb->producers_waiting > 0;
  unlock_and_wake (rb, w);
}

static struct timespec
deadline_after (int timeout_ms)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  ts.tv_sec += timeout_ms / 1000;
  ts.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L)
    {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
  return ts;
}

/* Wait until there is something to acquire, the ring is closed, or the
 * timeout expires. Returns false on timeout. Called with the lock held. */
static bool
wait_not_empty (struct ringbuf *rb, int timeout_ms)
{
  struct timespec deadline;

  if (timeout_ms > 0)
    deadline = deadline_after (timeout_ms);
  while (rb->used == 0 && ! rb->closed)
    {
      int r = 0;

      if (timeout_ms == 0)
        return false;
      rb->consumer_waiting = true;
      if (timeout_ms < 0)
        pthread_cond_wait (&rb->not_empty, &rb->lock);
      else
        r = pthread_cond_timedwait (&rb->not_empty, &rb->lock, &deadline);
      rb->consumer_waiting = false;
      if (r == ETIMEDOUT && rb->used == 0 && ! rb->closed)
        return false;
    }
  return true;
}

ssize_t
ringbuf_acquire (struct ringbuf *rb, struct ringbuf_batch *batch, int timeout_ms)
{
  size_t span;

  pthread_mutex_lock (&rb->lock);
  assert (rb->held == 0);
  if (! wait_not_empty (rb, timeout_ms))
    {
      pthread_mutex_unlock (&rb->lock);
      errno = ETIMEDOUT;
      return -1;
    }
  if (rb->used == 0)
    {
      pthread_mutex_unlock (&rb->lock);
      return 0;
    }
  /* When head has wrapped (or the ring is full), the run ends at the end of
   * the ring; the rest is taken by the next acquire. */
  span = rb->tail < rb->head ? rb->head - rb->tail : rb->capacity - rb->tail;
  rb->held = span;
  batch->next = rb->buf + rb->tail;
  batch->end = batch->next + span;
  batch->consumed = 0;
  pthread_mutex_unlock (&rb->lock);
  return (ssize_t) span;
}

int
ringbuf_batch_next (struct ringbuf_batch *batch, struct ringbuf_chunk *out)
{
  struct record_header h;

  if (batch->next >= batch->end)
    return 0;
  memcpy (&h, batch->next, sizeof h);
  if (h.stream == RECORD_STREAM_WRAP)
    {
      /* A marker always runs to the end of the ring, which ends the batch. */
      batch->consumed += (size_t) (batch->end - batch->next);
      batch->next = batch->end;
      return 0;
    }
  out->stream = h.stream;
  out->timestamp_ns = h.timestamp_ns;
  out->data = batch->next + sizeof h;
  out->len = h.len;
  batch->next += record_size (h.len);
  batch->consumed += record_size (h.len);
  return 1;
}

void
ringbuf_release (struct ringbuf *rb, struct ringbuf_batch *batch)
{
  struct wakeups w = { false, false };

  if (batch->consumed == 0)
    return;
  pthread_mutex_lock (&rb->lock);
  assert (batch->consumed <= rb->held);
  rb->tail += batch->consumed;
  rb->used -= batch->consumed;
  rb->held -= batch->consumed;
  batch->consumed = 0;
  if (rb->tail == rb->capacity)
    rb->tail = 0;
  /* An empty ring restarts at 0 so the next records get the whole ring
   * contiguously instead of being cut at the end; not while a producer is
   * filling the space at `head`, which its commit publishes there. */
  if (rb->used == 0 && ! rb->reserved)
    rb->head = rb->tail = 0;
  w.producers = rb->producers_waiting > 0
                && (rb->used == 0 || rb->capacity - rb->used >= rb->wake_free);
  unlock_and_wake (rb, w);
}

bool
ringbuf_trim (struct ringbuf *rb)
{
  bool trimmed = false;

  pthread_mutex_lock (&rb->lock);
  /* Empty, nothing held by the consumer, no read in progress: no byte of
   * the ring is anyone's, and none can become so while the lock is held. */
  if (rb->used == 0 && rb->held == 0 && ! rb->reserved && ! rb->closed)
    trimmed = madvise (rb->buf, rb->capacity, MADV_DONTNEED) == 0;
  pthread_mutex_unlock (&rb->lock);
  return trimmed;
}

void
ringbuf_close (struct ringbuf *rb)
{
  pthread_mutex_lock (&rb->lock);
  rb->closed = true;
  pthread_cond_broadcast (&rb->not_full);
  pthread_cond_broadcast (&rb->not_empty);
  pthread_mutex_unlock (&rb->lock);
}

size_t
ringbuf_high_water (struct ringbuf *rb)
{
  size_t v;

  pthread_mutex_lock (&rb->lock);
  v = rb->high_water;
  pthread_mutex_unlock (&rb->lock);
  return v;
}

size_t
ringbuf_capacity (const struct ringbuf *rb)
{
  return rb->capacity;
}
