/* test_ringbuf.c - the shim's bounded record ring, as a specification.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -pthread \
 *       -o tests/unit/test_ringbuf tests/unit/test_ringbuf.c \
 *       src/shim/ringbuf.c src/util/error.c -lcmocka
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/shim/ringbuf.h"

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

/* Take one batch (without waiting) into out; returns the data bytes. */
static size_t
drain_batch (struct ringbuf *rb, uint8_t *out, size_t cap)
{
  struct ringbuf_batch batch;
  struct ringbuf_chunk c;
  size_t n = 0;

  if (ringbuf_acquire (rb, &batch, 0) <= 0)
    return 0;
  while (ringbuf_batch_next (&batch, &c))
    {
      assert_true (n + c.len <= cap);
      memcpy (out + n, c.data, c.len);
      n += c.len;
    }
  ringbuf_release (rb, &batch);
  return n;
}

/* Take every record currently in the ring into out. */
static size_t
drain_into (struct ringbuf *rb, uint8_t *out, size_t cap)
{
  size_t n = 0, m;

  while ((m = drain_batch (rb, out + n, cap - n)) > 0)
    n += m;
  return n;
}

static void
records_come_out_in_order_with_their_tags (void **unused)
{
  (void) unused;
  struct ringbuf *rb = ringbuf_new (4096);
  struct ringbuf_batch batch;
  struct ringbuf_chunk c;

  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 111, "hello ", 6), 0);
  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDERR, 222, "oops\n", 5), 0);
  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 333, "world\n", 6), 0);
  assert_true (ringbuf_acquire (rb, &batch, 0) > 0);

  assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
  assert_int_equal (c.stream, RINGBUF_STREAM_STDOUT);
  assert_int_equal (c.timestamp_ns, 111);
  assert_int_equal (c.len, 6);
  assert_memory_equal (c.data, "hello ", 6);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
  assert_int_equal (c.stream, RINGBUF_STREAM_STDERR);
  assert_int_equal (c.timestamp_ns, 222);
  assert_memory_equal (c.data, "oops\n", 5);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
  assert_int_equal (c.timestamp_ns, 333);
  assert_memory_equal (c.data, "world\n", 6);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 0);
  ringbuf_release (rb, &batch);

  ringbuf_close (rb);
  assert_int_equal (ringbuf_acquire (rb, &batch, -1), 0);
  ringbuf_free (rb);
}

static void
an_empty_ring_times_out (void **unused)
{
  (void) unused;
  struct ringbuf *rb = ringbuf_new (4096);
  struct ringbuf_batch batch;
  struct timespec a, b;

  errno = 0;
  assert_int_equal (ringbuf_acquire (rb, &batch, 0), -1);
  assert_int_equal (errno, ETIMEDOUT);
  clock_gettime (CLOCK_MONOTONIC, &a);
  assert_int_equal (ringbuf_acquire (rb, &batch, 30), -1);
  assert_int_equal (errno, ETIMEDOUT);
  clock_gettime (CLOCK_MONOTONIC, &b);
  assert_true ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 29);
  ringbuf_free (rb);
}

struct big_put
{
  struct ringbuf *rb;
  const uint8_t *data;
  size_t len;
  int ret;
};

static void *
big_put_main (void *arg)
{
  struct big_put *b = arg;
  b->ret = ringbuf_put (b->rb, RINGBUF_STREAM_STDOUT, 1, b->data, b->len);
  ringbuf_close (b->rb);
  return NULL;
}

static void
a_chunk_larger_than_the_ring_is_split_and_reassembled (void **unused)
{
  (void) unused;
  enum { LEN = 300 * 1024 };
  uint8_t *in = malloc (LEN), *out = malloc (LEN);
  struct big_put b = { .rb = ringbuf_new (4096), .data = in, .len = LEN };
  struct ringbuf_batch batch;
  struct ringbuf_chunk c;
  size_t n = 0, records = 0;
  pthread_t t;

  for (size_t i = 0; i < LEN; i++)
    in[i] = (uint8_t) (i * 7 + i / 251);
  pthread_create (&t, NULL, big_put_main, &b);
  while (ringbuf_acquire (b.rb, &batch, -1) > 0)
    {
      while (ringbuf_batch_next (&batch, &c))
        {
          assert_true (c.len <= ringbuf_capacity (b.rb));
          assert_true (n + c.len <= LEN);
          memcpy (out + n, c.data, c.len);
          n += c.len;
          records++;
        }
      ringbuf_release (b.rb, &batch);
    }
  pthread_join (t, NULL);
  assert_int_equal (b.ret, 0);
  assert_int_equal (n, LEN);
  assert_memory_equal (in, out, LEN);
  assert_true (records > 1);
  assert_true (ringbuf_high_water (b.rb) <= ringbuf_capacity (b.rb));
  ringbuf_free (b.rb);
  free (in);
  free (out);
}

struct blocked_put
{
  struct ringbuf *rb;
  atomic_bool returned;
  int ret, err;
};

static void *
blocked_put_main (void *arg)
{
  struct blocked_put *b = arg;
  char data[100] = { 0 };

  b->ret = ringbuf_put (b->rb, RINGBUF_STREAM_STDERR, 2, data, sizeof data);
  b->err = errno;
  atomic_store (&b->returned, true);
  return NULL;
}

/* Fill the ring exactly: one record of capacity minus its header. */
static void
fill (struct ringbuf *rb)
{
  size_t len = ringbuf_capacity (rb) - 16;
  char *data = calloc (1, len);

  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 1, data, len), 0);
  assert_int_equal (ringbuf_high_water (rb), ringbuf_capacity (rb));
  free (data);
}

static void
put_blocks_while_full_until_the_consumer_releases (void **unused)
{
  (void) unused;
  struct blocked_put b = { .rb = ringbuf_new (4096) };
  static uint8_t out[8192];
  pthread_t t;

  fill (b.rb);
  pthread_create (&t, NULL, blocked_put_main, &b);
  sleep_ms (50);
  assert_false (atomic_load (&b.returned));
  /* One batch only: the woken producer may add its record at any moment. */
  assert_int_equal (drain_batch (b.rb, out, sizeof out), 4096 - 16);
  pthread_join (t, NULL);
  assert_true (atomic_load (&b.returned));
  assert_int_equal (b.ret, 0);
  assert_int_equal (drain_into (b.rb, out, sizeof out), 100);
  ringbuf_free (b.rb);
}

static void
close_fails_a_blocked_put (void **unused)
{
  (void) unused;
  struct blocked_put b = { .rb = ringbuf_new (4096) };
  static uint8_t out[8192];
  pthread_t t;

  fill (b.rb);
  pthread_create (&t, NULL, blocked_put_main, &b);
  sleep_ms (50);
  assert_false (atomic_load (&b.returned));
  ringbuf_close (b.rb);
  pthread_join (t, NULL);
  assert_int_equal (b.ret, -1);
  assert_int_equal (b.err, EPIPE);
  /* What was put before the close is still delivered. */
  assert_int_equal (drain_into (b.rb, out, sizeof out), 4096 - 16);
  ringbuf_free (b.rb);
}

struct blocked_get
{
  struct ringbuf *rb;
  atomic_bool returned;
  ssize_t ret;
};

static void *
blocked_get_main (void *arg)
{
  struct blocked_get *g = arg;
  struct ringbuf_batch batch;

  g->ret = ringbuf_acquire (g->rb, &batch, -1);
  atomic_store (&g->returned, true);
  return NULL;
}

static void
close_ends_a_blocked_get (void **unused)
{
  (void) unused;
  struct blocked_get g = { .rb = ringbuf_new (4096), .ret = -2 };
  pthread_t t;

  pthread_create (&t, NULL, blocked_get_main, &g);
  sleep_ms (50);
  assert_false (atomic_load (&g.returned));
  ringbuf_close (g.rb);
  pthread_join (t, NULL);
  assert_int_equal (g.ret, 0);
  ringbuf_free (g.rb);
}

/* ---- many producers, one consumer ---- */

enum { PRODUCERS = 8, RECORDS = 10000 };

struct seq_record
{
  uint32_t producer;
  uint32_t seq;
  uint8_t fill[56];  /* the first (seq % 57) bytes are sent */
};

struct producer_arg
{
  struct ringbuf *rb;
  uint32_t id;
};

static void *
producer_main (void *arg)
{
  struct producer_arg *p = arg;

  for (uint32_t s = 0; s < RECORDS; s++)
    {
      struct seq_record r = { .producer = p->id, .seq = s };
      size_t len = offsetof (struct seq_record, fill) + s % 57;

      memset (r.fill, (int) (p->id ^ s), sizeof r.fill);
      assert_int_equal (ringbuf_put (p->rb, (uint8_t) (1 + p->id % 2), s, &r, len), 0);
    }
  return NULL;
}

static void
many_producers_lose_nothing_and_keep_their_order (void **unused)
{
  (void) unused;
  struct ringbuf *rb = ringbuf_new (8192);
  struct producer_arg args[PRODUCERS];
  pthread_t threads[PRODUCERS];
  uint32_t next[PRODUCERS] = { 0 };
  struct ringbuf_batch batch;
  struct ringbuf_chunk c;
  size_t total = 0;

  for (uint32_t i = 0; i < PRODUCERS; i++)
    {
      args[i] = (struct producer_arg) { rb, i };
      pthread_create (&threads[i], NULL, producer_main, &args[i]);
    }
  for (size_t done = 0; done < (size_t) PRODUCERS * RECORDS;)
    {
      assert_true (ringbuf_acquire (rb, &batch, -1) > 0);
      while (ringbuf_batch_next (&batch, &c))
        {
          struct seq_record r;
          size_t expect_len;

          assert_true (c.len >= offsetof (struct seq_record, fill));
          memcpy (&r, c.data, c.len);
          assert_true (r.producer < PRODUCERS);
          /* Exactly once, in the producer's order, whole and tagged. */
          assert_int_equal (r.seq, next[r.producer]);
          expect_len = offsetof (struct seq_record, fill) + r.seq % 57;
          assert_int_equal (c.len, expect_len);
          assert_int_equal (c.stream, 1 + r.producer % 2);
          assert_int_equal (c.timestamp_ns, r.seq);
          for (size_t i = 0; i < r.seq % 57; i++)
            assert_int_equal (r.fill[i], (uint8_t) (r.producer ^ r.seq));
          next[r.producer]++;
          total += c.len;
          done++;
        }
      ringbuf_release (rb, &batch);
    }
  for (int i = 0; i < PRODUCERS; i++)
    {
      pthread_join (threads[i], NULL);
      assert_int_equal (next[i], RECORDS);
    }
  ringbuf_close (rb);
  assert_int_equal (ringbuf_acquire (rb, &batch, -1), 0);
  assert_true (total > 0);
  /* Bounded: never more than the capacity held, headers included. */
  assert_true (ringbuf_high_water (rb) <= ringbuf_capacity (rb));
  ringbuf_free (rb);
}

static void
a_zero_stream_is_refused (void **unused)
{
  (void) unused;
  struct ringbuf *rb = ringbuf_new (0);

  assert_int_equal (ringbuf_capacity (rb), RINGBUF_MIN_CAPACITY);
  errno = 0;
  assert_int_equal (ringbuf_put (rb, 0, 0, "x", 1), -1);
  assert_int_equal (errno, EINVAL);
  ringbuf_free (rb);
}

/* The zero-copy put: data read into the reserved space comes out as one
 * record; a zero-length commit leaves nothing; the reservation shrinks to
 * what is contiguous, and a full ring blocks the reserve like a put. */
static void
reserve_and_commit_publish_in_place (void **unused)
{
  (void) unused;
  struct ringbuf *rb = ringbuf_new (4096);
  struct ringbuf_batch batch;
  struct ringbuf_chunk c;
  void *dst;
  ssize_t room;

  room = ringbuf_reserve (rb, 100, &dst);
  assert_int_equal (room, 100);
  ringbuf_commit (rb, RINGBUF_STREAM_STDOUT, 7, 0);
  assert_int_equal (ringbuf_acquire (rb, &batch, 0), -1);

  room = ringbuf_reserve (rb, 1 << 20, &dst);
  assert_true (room > 0 && room < 4096);
  memcpy (dst, "abc\n", 4);
  ringbuf_commit (rb, RINGBUF_STREAM_STDERR, 9, 4);
  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 10, "after", 5), 0);
  assert_true (ringbuf_acquire (rb, &batch, 0) > 0);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
  assert_int_equal (c.stream, RINGBUF_STREAM_STDERR);
  assert_int_equal (c.timestamp_ns, 9);
  assert_int_equal (c.len, 4);
  assert_memory_equal (c.data, "abc\n", 4);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
  assert_memory_equal (c.data, "after", 5);
  assert_int_equal (ringbuf_batch_next (&batch, &c), 0);
  ringbuf_release (rb, &batch);

  ringbuf_close (rb);
  assert_int_equal (ringbuf_reserve (rb, 10, &dst), -1);
  assert_int_equal (errno, EPIPE);
  ringbuf_free (rb);
}

/* Many reserve/commit rounds through a small ring, against a consumer: the
 * bytes come out whole and in order across wraps. */
struct rc_state
{
  struct ringbuf *rb;
  size_t total;
};

static void *
rc_producer (void *arg)
{
  struct rc_state *st = arg;
  size_t sent = 0;

  while (sent < st->total)
    {
      void *dst;
      ssize_t room = ringbuf_reserve (st->rb, 777, &dst);
      size_t n = (size_t) room < st->total - sent ? (size_t) room : st->total - sent;

      assert_true (room > 0);
      for (size_t i = 0; i < n; i++)
        ((uint8_t *) dst)[i] = (uint8_t) ((sent + i) % 251);
      ringbuf_commit (st->rb, RINGBUF_STREAM_STDOUT, 1, n);
      sent += n;
    }
  ringbuf_close (st->rb);
  return NULL;
}

static void
reserve_and_commit_keep_order_across_wraps (void **unused)
{
  (void) unused;
  struct rc_state st = { ringbuf_new (4096), 1 << 20 };
  pthread_t t;
  size_t got = 0;

  assert_int_equal (pthread_create (&t, NULL, rc_producer, &st), 0);
  for (;;)
    {
      struct ringbuf_batch batch;
      struct ringbuf_chunk c;

      if (ringbuf_acquire (st.rb, &batch, -1) == 0)
        break;
      while (ringbuf_batch_next (&batch, &c))
        for (size_t i = 0; i < c.len; i++, got++)
          assert_int_equal (((const uint8_t *) c.data)[i], got % 251);
      ringbuf_release (st.rb, &batch);
    }
  pthread_join (t, NULL);
  assert_int_equal (got, st.total);
  assert_true (ringbuf_high_water (st.rb) <= ringbuf_capacity (st.rb));
  ringbuf_free (st.rb);
}

/* RssAnon of this process, in KiB. */
static long
rss_anon_kib (void)
{
  char line[256];
  long v = -1;
  FILE *f = fopen ("/proc/self/status", "r");

  assert_non_null (f);
  while (fgets (line, sizeof line, f))
    if (sscanf (line, "RssAnon: %ld", &v) == 1)
      break;
  fclose (f);
  return v;
}

/* Trimming gives the pages of an empty ring back, refuses while a byte is
 * anyone's (in the ring, reserved, held in a batch), and the ring works
 * as before afterwards. */
static void
trim_frees_an_empty_ring_and_only_an_empty_one (void **unused)
{
  (void) unused;
  size_t cap = 1 << 20;
  struct ringbuf *rb = ringbuf_new (cap);
  static uint8_t chunk[64 * 1024], out[2 << 20];
  struct ringbuf_batch batch;
  void *dst;
  long before, filled, after;

  memset (chunk, 'x', sizeof chunk);
  memset (out, 0, sizeof out);
  before = rss_anon_kib ();
  /* Touch nearly the whole ring: 15 chunks and their headers fit. */
  for (int i = 0; i < 15; i++)
    assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 1, chunk, sizeof chunk), 0);
  assert_int_equal (drain_into (rb, out, sizeof out), 15 * sizeof chunk);
  filled = rss_anon_kib ();
  assert_true (filled - before >= 800);

  /* Not while a record waits, a reservation is open or a batch is held. */
  assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDOUT, 2, "a\n", 2), 0);
  assert_false (ringbuf_trim (rb));
  assert_true (ringbuf_acquire (rb, &batch, 0) > 0);
  assert_false (ringbuf_trim (rb));
  {
    struct ringbuf_chunk c;
    assert_int_equal (ringbuf_batch_next (&batch, &c), 1);
    assert_memory_equal (c.data, "a\n", 2);
  }
  ringbuf_release (rb, &batch);
  assert_true (ringbuf_reserve (rb, 16, &dst) > 0);
  assert_false (ringbuf_trim (rb));
  memcpy (dst, "b\n", 2);
  ringbuf_commit (rb, RINGBUF_STREAM_STDOUT, 3, 2);
  assert_int_equal (drain_into (rb, out, sizeof out), 2);
  assert_memory_equal (out, "b\n", 2);

  assert_true (ringbuf_trim (rb));
  after = rss_anon_kib ();
  assert_true (filled - after >= 800);

  /* And records pass as before, refaulting the pages. */
  for (int i = 0; i < 7; i++)
    assert_int_equal (ringbuf_put (rb, RINGBUF_STREAM_STDERR, 4, chunk, sizeof chunk), 0);
  assert_int_equal (drain_into (rb, out, sizeof out), 7 * sizeof chunk);
  assert_memory_equal (out, chunk, sizeof chunk);
  ringbuf_close (rb);
  assert_false (ringbuf_trim (rb));
  ringbuf_free (rb);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (records_come_out_in_order_with_their_tags),
    cmocka_unit_test (an_empty_ring_times_out),
    cmocka_unit_test (a_chunk_larger_than_the_ring_is_split_and_reassembled),
    cmocka_unit_test (put_blocks_while_full_until_the_consumer_releases),
    cmocka_unit_test (close_fails_a_blocked_put),
    cmocka_unit_test (close_ends_a_blocked_get),
    cmocka_unit_test (many_producers_lose_nothing_and_keep_their_order),
    cmocka_unit_test (a_zero_stream_is_refused),
    cmocka_unit_test (reserve_and_commit_publish_in_place),
    cmocka_unit_test (reserve_and_commit_keep_order_across_wraps),
    cmocka_unit_test (trim_frees_an_empty_ring_and_only_an_empty_one),
  };
  return cmocka_run_group_tests_name ("ringbuf", tests, NULL, NULL);
}
