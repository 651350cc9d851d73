/* test_logfile.c - the container log format, its writer and its reader, as
 * a specification.
 *
 * Build:
 *   gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -pthread \
 *       -o tests/unit/test_logfile tests/unit/test_logfile.c \
 *       src/shim/logfile.c src/util/error.c src/util/fs.c -lcmocka
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/shim/logfile.h"
#include "../../src/util/cleanup.h"

#define OUT LOGFILE_STREAM_STDOUT
#define ERR LOGFILE_STREAM_STDERR
/* 2026-11-22T06:00:00.123456789Z */
#define T0 ((int64_t) 1795327200 * 1000000000 + 123456789)

static char tmpdir[] = "/tmp/ocirt-test-logfile-XXXXXX";
static char path[sizeof tmpdir + 32];

static int
setup (void **unused)
{
  (void) unused;
  return mkdtemp (tmpdir) ? 0 : -1;
}

static int
teardown (void **unused)
{
  (void) unused;
  char cmd[sizeof tmpdir + 16];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system (cmd) == 0 ? 0 : -1;
}

/* Each test writes its own file. */
static int
fresh_path (void **unused)
{
  (void) unused;
  static int n;
  snprintf (path, sizeof path, "%s/%d.log", tmpdir, n++);
  return 0;
}

static struct logfile_writer *
writer (void)
{
  cleanup_error ocirt_error_t err = NULL;
  struct logfile_writer *w = logfile_writer_open (path, &err);
  assert_non_null (w);
  return w;
}

static void
put (struct logfile_writer *w, uint8_t stream, int64_t ts, const char *s)
{
  cleanup_error ocirt_error_t err = NULL;
  assert_int_equal (logfile_write_chunk (w, stream, ts, s, strlen (s), &err), 0);
}

static void
close_writer (struct logfile_writer *w)
{
  cleanup_error ocirt_error_t err = NULL;
  assert_int_equal (logfile_writer_close (w, &err), 0);
}

static char *
slurp_fd (int fd, size_t *len)
{
  struct stat st;
  char *buf;

  assert_int_equal (fstat (fd, &st), 0);
  buf = malloc ((size_t) st.st_size + 1);
  assert_int_equal (pread (fd, buf, (size_t) st.st_size, 0), st.st_size);
  buf[st.st_size] = '\0';
  *len = (size_t) st.st_size;
  return buf;
}

static char *
file_contents (size_t *len)
{
  cleanup_close int fd = open (path, O_RDONLY);
  assert_true (fd >= 0);
  return slurp_fd (fd, len);
}

/* What `ocirt logs` with these options prints. */
static char *
print_log (const struct logfile_print_opts *o, size_t *len)
{
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int fd = memfd_create ("logs", MFD_CLOEXEC);

  assert_int_equal (logfile_print (path, o, fd, &err), 0);
  return slurp_fd (fd, len);
}

static void
assert_printed (const struct logfile_print_opts *o, const char *expect)
{
  size_t len;
  cleanup_free char *got = print_log (o, &len);
  assert_int_equal (len, strlen (expect));
  assert_string_equal (got, expect);
}

static const struct logfile_print_opts ALL = { .tail = -1 };

/* ---- format on disk ---- */

static void
timestamps_are_rfc3339_utc_with_nine_digits (void **unused)
{
  (void) unused;
  char s[LOGFILE_TIMESTAMP_LEN + 1];

  logfile_format_timestamp (T0, s);
  assert_string_equal (s, "2026-11-22T06:00:00.123456789Z");
  logfile_format_timestamp ((int64_t) 1795327200 * 1000000000 + 5, s);
  assert_string_equal (s, "2026-11-22T06:00:00.000000005Z");
}

static void
complete_lines_are_f_records_stamped_when_completed (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  size_t len;

  put (w, OUT, T0, "hello\nwor");
  put (w, ERR, T0 + 1, "oops\n");
  put (w, OUT, T0 + 2, "ld\n");
  close_writer (w);
  cleanup_free char *disk = file_contents (&len);
  assert_string_equal (disk,
                       "2026-11-22T06:00:00.123456789Z stdout F hello\n"
                       "2026-11-22T06:00:00.123456790Z stderr F oops\n"
                       "2026-11-22T06:00:00.123456791Z stdout F world\n");
}

static void
a_flush_writes_held_tails_as_p_records (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  cleanup_error ocirt_error_t err = NULL;
  size_t len;

  put (w, OUT, T0, "prompt> ");
  assert_int_equal (logfile_writer_flush (w, &err), 0);
  {
    cleanup_free char *disk = file_contents (&len);
    assert_string_equal (disk, "2026-11-22T06:00:00.123456789Z stdout P prompt> \n");
  }
  put (w, OUT, T0 + 1000000000, "yes\n");
  close_writer (w);
  cleanup_free char *disk = file_contents (&len);
  assert_string_equal (disk,
                       "2026-11-22T06:00:00.123456789Z stdout P prompt> \n"
                       "2026-11-22T06:00:01.123456789Z stdout F yes\n");
  assert_printed (&ALL, "prompt> yes\n");
}

static void
output_without_a_final_newline_ends_in_a_p_record (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  size_t len;

  put (w, OUT, T0, "a\nno newline");
  close_writer (w);
  cleanup_free char *disk = file_contents (&len);
  assert_string_equal (disk,
                       "2026-11-22T06:00:00.123456789Z stdout F a\n"
                       "2026-11-22T06:00:00.123456789Z stdout P no newline\n");
  assert_printed (&ALL, "a\nno newline");
}

static void
the_log_file_is_private_and_appended (void **unused)
{
  (void) unused;
  struct stat st;

  close_writer (({ struct logfile_writer *w = writer (); put (w, OUT, T0, "one\n"); w; }));
  close_writer (({ struct logfile_writer *w = writer (); put (w, OUT, T0, "two\n"); w; }));
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  assert_printed (&ALL, "one\ntwo\n");
}

/* ---- reassembly ---- */

static void
odd_newlines_and_interleaved_streams_reassemble_exactly (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  cleanup_error ocirt_error_t err = NULL;

  put (w, OUT, T0, "a");
  put (w, ERR, T0, "E1\nE");
  assert_int_equal (logfile_writer_flush (w, &err), 0);  /* P records on disk */
  put (w, OUT, T0, "b\nc");
  put (w, ERR, T0, "2\n");
  put (w, OUT, T0, "\n\n");
  put (w, OUT, T0, "\nlast");
  close_writer (w);
  /* In the order lines were completed; parts of one stream joined. */
  assert_printed (&ALL, "E1\nab\nE2\nc\n\n\nlast");
}

static void
lines_longer_than_a_record_are_cut_and_joined (void **unused)
{
  (void) unused;
  enum { LINE = 3 * LOGFILE_RECORD_MAX + 1234, STEP = 7001 };
  struct logfile_writer *w = writer ();
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *line = malloc (LINE + 1);
  cleanup_free char *expect = malloc (2 * (LINE + 1) + 1);
  size_t len, records = 0, p_records = 0;

  /* Every byte value but '\n': the content is binary-safe. */
  for (size_t i = 0; i < LINE; i++)
    {
      line[i] = (char) (i % 255);
      if (line[i] == '\n')
        line[i] = '\r';
    }
  line[LINE] = '\n';
  for (size_t off = 0; off < LINE + 1; off += STEP)
    {
      size_t n = LINE + 1 - off < STEP ? LINE + 1 - off : STEP;
      assert_int_equal (logfile_write_chunk (w, OUT, T0, line + off, n, &err), 0);
    }
  assert_int_equal (logfile_write_chunk (w, ERR, T0, line, LINE + 1, &err), 0);
  close_writer (w);

  cleanup_free char *disk = file_contents (&len);
  for (char *p = disk, *nl; (nl = memchr (p, '\n', len - (size_t) (p - disk))) != NULL; p = nl + 1)
    {
      assert_true ((size_t) (nl - p) <= LOGFILE_TIMESTAMP_LEN + 10 + LOGFILE_RECORD_MAX);
      records++;
      p_records += p[LOGFILE_TIMESTAMP_LEN + 8] == 'P';
    }
  assert_int_equal (records, 8);
  assert_int_equal (p_records, 6);

  memcpy (expect, line, LINE + 1);
  memcpy (expect + LINE + 1, line, LINE + 1);
  cleanup_free char *got = print_log (&ALL, &len);
  assert_int_equal (len, 2 * (LINE + 1));
  assert_memory_equal (got, expect, len);
}

static void
empty_lines_and_malformed_records (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  FILE *f;

  put (w, OUT, T0, "\n\nx\n");
  close_writer (w);
  f = fopen (path, "a");
  fputs ("garbage without fields\n", f);
  fputs ("2026-11-22T06:00:00Z stdout F foreign, whole-second stamp\n", f);
  fputs ("2026-11-22T06:00:00Z stdout F\n", f);     /* empty, no space */
  fputs ("2026-11-22T06:00:00Z stdin F nope\n", f);
  fputs ("2026-11-22T06:00:00Z stdout X nope\n", f);
  fclose (f);
  assert_printed (&ALL, "\n\nx\nforeign, whole-second stamp\n\n");
}

/* ---- options ---- */

static void
tail_prints_the_last_n_logical_lines (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();

  for (int i = 0; i < 10; i++)
    {
      char s[16];
      snprintf (s, sizeof s, "line%d\n", i);
      put (w, OUT, T0, s);
    }
  close_writer (w);
  assert_printed (&(struct logfile_print_opts) { .tail = 3 }, "line7\nline8\nline9\n");
  assert_printed (&(struct logfile_print_opts) { .tail = 1 }, "line9\n");
  assert_printed (&(struct logfile_print_opts) { .tail = 0 }, "");
  assert_printed (&(struct logfile_print_opts) { .tail = 10 },
                  "line0\nline1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\n");
  assert_printed (&(struct logfile_print_opts) { .tail = 1000 },
                  "line0\nline1\nline2\nline3\nline4\nline5\nline6\nline7\nline8\nline9\n");
}

static void
tail_counts_joined_lines_across_interleaving (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  cleanup_error ocirt_error_t err = NULL;

  put (w, OUT, T0, "old\nA-start");
  assert_int_equal (logfile_writer_flush (w, &err), 0);
  put (w, ERR, T0, "e1\n");
  put (w, ERR, T0, "e2\n");
  put (w, OUT, T0, "-end\nZ");
  close_writer (w);
  /* Lines, in completion order: old, e1, e2, A-start-end, Z (unterminated).
   * A-start begins before e1 and e2 in the file. */
  assert_printed (&(struct logfile_print_opts) { .tail = 1 }, "Z");
  assert_printed (&(struct logfile_print_opts) { .tail = 2 }, "A-start-end\nZ");
  assert_printed (&(struct logfile_print_opts) { .tail = 3 }, "e2\nA-start-end\nZ");
  assert_printed (&(struct logfile_print_opts) { .tail = 4 }, "e1\ne2\nA-start-end\nZ");
  assert_printed (&(struct logfile_print_opts) { .tail = 5 }, "old\ne1\ne2\nA-start-end\nZ");
}

static void
timestamps_prefix_each_line_with_its_completion_time (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();

  put (w, OUT, T0, "x\npart");
  put (w, OUT, T0 + 1000, "ial\nend");
  close_writer (w);
  assert_printed (&(struct logfile_print_opts) { .tail = -1, .timestamps = true },
                  "2026-11-22T06:00:00.123456789Z x\n"
                  "2026-11-22T06:00:00.123457789Z partial\n"
                  "2026-11-22T06:00:00.123457789Z end");
}

static void
streams_can_be_selected (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();

  put (w, OUT, T0, "o1\n");
  put (w, ERR, T0, "e1\n");
  put (w, OUT, T0, "o2\n");
  close_writer (w);
  assert_printed (&(struct logfile_print_opts) { .tail = -1, .streams = 1u << ERR }, "e1\n");
  assert_printed (&(struct logfile_print_opts) { .tail = 1, .streams = 1u << OUT }, "o2\n");
  assert_printed (&(struct logfile_print_opts) { .tail = -1, .streams = (1u << OUT) | (1u << ERR) },
                  "o1\ne1\no2\n");
}

/* ---- follow ---- */

static atomic_bool writer_done;

static bool
stop_when_writer_done (void *opaque)
{
  (void) opaque;
  return atomic_load (&writer_done);
}

static void *
slow_writer_main (void *arg)
{
  struct logfile_writer *w = arg;
  cleanup_error ocirt_error_t err = NULL;
  struct timespec pause = { 0, 80 * 1000000L };

  nanosleep (&pause, NULL);
  logfile_write_chunk (w, OUT, T0, "two\nthr", 7, &err);
  logfile_writer_flush (w, &err);
  nanosleep (&pause, NULL);
  logfile_write_chunk (w, OUT, T0, "ee\nfour", 7, &err);
  logfile_writer_close (w, &err);
  atomic_store (&writer_done, true);
  return NULL;
}

static void
follow_prints_what_is_appended_until_stopped (void **unused)
{
  (void) unused;
  struct logfile_writer *w = writer ();
  cleanup_error ocirt_error_t err = NULL;
  pthread_t t;

  put (w, OUT, T0, "zero\none\n");
  assert_int_equal (logfile_writer_flush (w, &err), 0);
  atomic_store (&writer_done, false);
  pthread_create (&t, NULL, slow_writer_main, w);
  assert_printed (&(struct logfile_print_opts) { .tail = 1, .follow = true, .stop = stop_when_writer_done },
                  "one\ntwo\nthree\nfour");
  pthread_join (t, NULL);
}

static void
a_missing_file_is_an_error_naming_it (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;

  assert_int_equal (logfile_print (path, &ALL, 1, &err), -1);
  assert_non_null (strstr (err->message, path));
  assert_non_null (strstr (err->message, "no such file or directory"));
}

/* The zero-copy path writes the same bytes as the copying one, for short
 * lines, lines long enough to be referenced in place, cut lines and tails;
 * the queued output reaches the file on logfile_writer_write_queued(). */
static void
queued_chunks_write_the_same_bytes_as_copied_ones (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  enum { LEN = 3 * LOGFILE_RECORD_MAX };
  cleanup_free char *data = malloc (LEN);
  cleanup_free char *copied = NULL;
  size_t copied_len, len;
  struct logfile_writer *w;

  for (size_t i = 0; i < LEN; i++)
    data[i] = (char) ('a' + i % 26);
  /* Short lines, a 5000-byte line, a line longer than a record, a tail. */
  for (size_t i = 10; i < 400; i += 10)
    data[i] = '\n';
  data[5400] = '\n';
  data[2 * LOGFILE_RECORD_MAX] = '\n';

  w = writer ();
  assert_int_equal (logfile_write_chunk (w, OUT, T0, data, LEN / 2, &err), 0);
  assert_int_equal (logfile_write_chunk (w, ERR, T0 + 1, data, 30, &err), 0);
  assert_int_equal (logfile_write_chunk (w, OUT, T0 + 2, data + LEN / 2, LEN - LEN / 2, &err), 0);
  close_writer (w);
  copied = file_contents (&copied_len);
  assert_int_equal (unlink (path), 0);

  w = writer ();
  assert_int_equal (logfile_queue_chunk (w, OUT, T0, data, LEN / 2, &err), 0);
  assert_int_equal (logfile_queue_chunk (w, ERR, T0 + 1, data, 30, &err), 0);
  assert_int_equal (logfile_writer_write_queued (w, &err), 0);
  {
    cleanup_free char *part = file_contents (&len);
    assert_true (len > 0 && len <= copied_len);
    assert_memory_equal (part, copied, len);
  }
  assert_int_equal (logfile_queue_chunk (w, OUT, T0 + 2, data + LEN / 2, LEN - LEN / 2, &err), 0);
  close_writer (w);
  cleanup_free char *queued = file_contents (&len);
  assert_int_equal (len, copied_len);
  assert_memory_equal (queued, copied, len);
}

/* expect_records - append to `out` the records the writer makes for the
 * whole lines in [p, p + len), all stamped `ns` on `stream`. */
static size_t
expect_records (char *out, uint8_t stream, int64_t ns, const char *p, size_t len)
{
  char ts[LOGFILE_TIMESTAMP_LEN + 1];
  size_t n = 0;

  logfile_format_timestamp (ns, ts);
  while (len > 0)
    {
      const char *nl = memchr (p, '\n', len);
      size_t line = (size_t) (nl - p) + 1;

      n += (size_t) sprintf (out + n, "%s %s F ", ts, stream == OUT ? "stdout" : "stderr");
      memcpy (out + n, p, line);
      n += line;
      p += line;
      len -= line;
    }
  return n;
}

/* Thousands of short lines (the shim's common case, which takes a shorter
 * path than other records), across several fills of the writer's buffer,
 * a line cut between two chunks, the other stream in between, a new time
 * on the same stream: every byte is where the format puts it. */
static void
short_lines_are_exact_records_across_buffer_fills (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  enum { LINES = 6000, MAX = 200 };
  cleanup_free char *data = malloc (LINES * MAX);
  cleanup_free char *expect = malloc (2 * LINES * (MAX + 64));
  size_t len = 0, cut, mid, elen = 0, first_nl, got_len;
  const char *err_lines = "e1\n\ne3\n";

  for (int i = 0; i < LINES; i++)
    {
      int n = (i * 37) % MAX;   /* 0 (an empty line) to MAX - 1 bytes */
      for (int j = 0; j < n; j++)
        data[len++] = (char) ('a' + (i + j) % 26);
      data[len++] = '\n';
    }
  /* Cut in the middle of a line: its start is held, it is stamped when
   * the second chunk completes it. */
  cut = len / 2;
  while (data[cut - 1] == '\n' || data[cut] == '\n')
    cut++;
  first_nl = (size_t) ((const char *) memchr (data + cut, '\n', len - cut) - data) + 1;
  mid = cut + (len - cut) / 2;
  while (data[mid - 1] != '\n')
    mid++;

  struct logfile_writer *w = writer ();
  assert_int_equal (logfile_queue_chunk (w, OUT, T0, data, cut, &err), 0);
  assert_int_equal (logfile_queue_chunk (w, ERR, T0 + 5, err_lines, strlen (err_lines), &err), 0);
  assert_int_equal (logfile_queue_chunk (w, OUT, T0 + 7, data + cut, mid - cut, &err), 0);
  /* A new time on the same stream, at a line's start: a new header. */
  assert_int_equal (logfile_queue_chunk (w, OUT, T0 + 9, data + mid, len - mid, &err), 0);
  close_writer (w);

  size_t last_full = cut;
  while (data[last_full - 1] != '\n')
    last_full--;
  elen += expect_records (expect + elen, OUT, T0, data, last_full);
  elen += expect_records (expect + elen, ERR, T0 + 5, err_lines, strlen (err_lines));
  elen += expect_records (expect + elen, OUT, T0 + 7, data + last_full, first_nl - last_full);
  elen += expect_records (expect + elen, OUT, T0 + 7, data + first_nl, mid - first_nl);
  elen += expect_records (expect + elen, OUT, T0 + 9, data + mid, len - mid);

  cleanup_free char *got = file_contents (&got_len);
  assert_true (got_len > 4 * LOGFILE_WRITE_BUFFER);
  assert_int_equal (got_len, elen);
  assert_memory_equal (got, expect, elen);
}

/* Trimming returns the writer's buffers only with nothing queued or held,
 * and loses nothing: what follows is written as before. */
static void
trim_only_with_nothing_queued_or_held (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct logfile_writer *w = writer ();

  assert_true (logfile_writer_trim (w));
  put (w, OUT, T0, "one\n");
  assert_false (logfile_writer_trim (w));       /* queued */
  assert_int_equal (logfile_writer_write_queued (w, &err), 0);
  put (w, ERR, T0, "par");
  assert_false (logfile_writer_trim (w));       /* a tail held */
  assert_int_equal (logfile_writer_flush (w, &err), 0);
  assert_true (logfile_writer_trim (w));
  put (w, OUT, T0 + 1, "two\n");
  put (w, ERR, T0 + 1, "tial\n");
  close_writer (w);
  assert_printed (&ALL, "one\ntwo\npartial\n");
}

int
main (void)
{
#define T(f) cmocka_unit_test_setup (f, fresh_path)
  const struct CMUnitTest tests[] = {
    T (timestamps_are_rfc3339_utc_with_nine_digits),
    T (trim_only_with_nothing_queued_or_held),
    T (complete_lines_are_f_records_stamped_when_completed),
    T (a_flush_writes_held_tails_as_p_records),
    T (output_without_a_final_newline_ends_in_a_p_record),
    T (the_log_file_is_private_and_appended),
    T (odd_newlines_and_interleaved_streams_reassemble_exactly),
    T (lines_longer_than_a_record_are_cut_and_joined),
    T (empty_lines_and_malformed_records),
    T (tail_prints_the_last_n_logical_lines),
    T (tail_counts_joined_lines_across_interleaving),
    T (timestamps_prefix_each_line_with_its_completion_time),
    T (streams_can_be_selected),
    T (follow_prints_what_is_appended_until_stopped),
    T (a_missing_file_is_an_error_naming_it),
    T (queued_chunks_write_the_same_bytes_as_copied_ones),
    T (short_lines_are_exact_records_across_buffer_fills),
  };
  return cmocka_run_group_tests_name ("logfile", tests, setup, teardown);
}
