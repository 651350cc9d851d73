/* test_pump.c - the log pump's copy to the caller (tee), as a specification:
 * the log has every byte whatever the caller's fd does; a file gets the
 * same bytes; a pipe whose reader is gone is given up with a warning.
 *
 * Build: make tests/unit/test_pump
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/shim/logfile.h"
#include "../../src/shim/pump.h"
#include "../../src/util/cleanup.h"

#define LINES 20000

static char tmpdir[] = "/tmp/ocirt-test-pump-XXXXXX";
static char log_path[sizeof tmpdir + 16];
static char tee_path[sizeof tmpdir + 16];

/* What the on_error hook saw. The hook runs on a pump thread, and the test
 * reads these only after log_pump_join(). */
struct seen
{
  int calls;
  char level[16];
  char message[256];
};

static void
on_error (void *arg, const char *level, ocirt_error_t e)
{
  struct seen *s = arg;

  if (s->calls++ == 0)
    {
      snprintf (s->level, sizeof s->level, "%s", level);
      snprintf (s->message, sizeof s->message, "%s", e ? e->message : "");
    }
}

static int
group_setup (void **unused)
{
  (void) unused;
  if (mkdtemp (tmpdir) == NULL)
    return -1;
  snprintf (log_path, sizeof log_path, "%s/ctr.log", tmpdir);
  snprintf (tee_path, sizeof tee_path, "%s/tee.out", tmpdir);
  return 0;
}

static int
group_teardown (void **unused)
{
  (void) unused;
  rmdir (tmpdir);
  return 0;
}

static int
teardown (void **unused)
{
  (void) unused;
  unlink (log_path);
  unlink (tee_path);
  return 0;
}

/* The expected stream: LINES numbered lines. */
static char *
expected (size_t *len)
{
  size_t cap = LINES * 8, n = 0;
  char *buf = malloc (cap);
  for (int i = 1; i <= LINES; i++)
    n += (size_t) snprintf (buf + n, cap - n, "%d\n", i);
  *len = n;
  return buf;
}

static void *
writer_main (void *arg)
{
  int fd = (int) (intptr_t) arg;
  size_t len;
  cleanup_free char *data = expected (&len);
  for (size_t off = 0; off < len;)
    {
      /* Small writes: many chunks, many copies. */
      size_t n = len - off < 1000 ? len - off : 1000;
      ssize_t w = write (fd, data + off, n);
      assert_true (w > 0);
      off += (size_t) w;
    }
  close (fd);
  return NULL;
}

/* Pump `LINES` lines from a writer thread through a pump with tee_fd as the
 * stdout copy; return what `logs` prints. With `few_fds`, the pump starts
 * under an fd limit that leaves room for its log file and epoll fd, and
 * none for the pipe it stages the container's output in. */
static char *
pump_lines (int tee_fd, struct seen *seen, bool few_fds, size_t *out_len)
{
  int in[2], out[2];
  pthread_t writer;
  ocirt_error_t err = NULL;
  struct log_pump_options opts = { .tee_fds = { tee_fd, -1 }, .on_error = on_error, .arg = seen };
  struct rlimit old;

  assert_int_equal (pipe2 (in, O_CLOEXEC), 0);
  assert_int_equal (getrlimit (RLIMIT_NOFILE, &old), 0);
  if (few_fds)
    {
      /* The next two free fds are the log file's and the epoll fd. */
      int a = dup (0), b = dup (0);
      struct rlimit few = { .rlim_cur = (rlim_t) (a > b ? a : b) + 1, .rlim_max = old.rlim_max };
      close (a);
      close (b);
      assert_int_equal (setrlimit (RLIMIT_NOFILE, &few), 0);
    }
  struct log_pump *p = log_pump_start (in[0], -1, log_path, 0, &opts, &err);
  assert_int_equal (setrlimit (RLIMIT_NOFILE, &old), 0);
  if (p == NULL)
    fail_msg ("%s", err->message);
  pthread_create (&writer, NULL, writer_main, (void *) (intptr_t) in[1]);
  pthread_join (writer, NULL);
  assert_int_equal (log_pump_join (p, &err), 0);

  struct logfile_print_opts po = { .tail = -1 };
  assert_int_equal (pipe2 (out, O_CLOEXEC), 0);
  /* The printed log fits in the pipe once it is made large enough. */
  fcntl (out[1], F_SETPIPE_SZ, 1024 * 1024);
  assert_int_equal (logfile_print (log_path, &po, out[1], &err), 0);
  close (out[1]);
  char *buf = malloc (1024 * 1024);
  size_t n = 0;
  ssize_t r;
  while ((r = read (out[0], buf + n, 1024 * 1024 - n)) > 0)
    n += (size_t) r;
  close (out[0]);
  *out_len = n;
  return buf;
}

static void
test_tee_to_file_gets_the_same_bytes_as_the_log (void **unused)
{
  (void) unused;
  struct seen seen = { 0 };
  size_t want_len, got_len;
  cleanup_free char *want = expected (&want_len);
  int tee = open (tee_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (tee >= 0);

  cleanup_free char *got = pump_lines (tee, &seen, false, &got_len);
  assert_int_equal (got_len, want_len);
  assert_memory_equal (got, want, want_len);

  char *copy = malloc (want_len + 1);
  int fd = open (tee_path, O_RDONLY | O_CLOEXEC);
  ssize_t n = read (fd, copy, want_len + 1);
  close (fd);
  assert_int_equal (n, (ssize_t) want_len);
  assert_memory_equal (copy, want, want_len);
  free (copy);
  assert_int_equal (seen.calls, 0);
}

static void
test_tee_to_a_pipe_without_reader_is_given_up_and_the_log_keeps_all (void **unused)
{
  (void) unused;
  struct seen seen = { 0 };
  size_t want_len, got_len;
  cleanup_free char *want = expected (&want_len);
  int p[2];

  /* The pump's threads block every signal; SIGPIPE must not kill the test
   * either: the write fails with EPIPE. */
  signal (SIGPIPE, SIG_IGN);
  assert_int_equal (pipe2 (p, O_CLOEXEC | O_NONBLOCK), 0);
  close (p[0]);

  cleanup_free char *got = pump_lines (p[1], &seen, false, &got_len);
  assert_int_equal (got_len, want_len);
  assert_memory_equal (got, want, want_len);
  assert_int_equal (seen.calls, 1);
  assert_string_equal (seen.level, "warning");
  assert_string_equal (seen.message,
                       "stopped copying container stdout to the caller: its reader is gone; "
                       "the log has all of it");
}

/* Pump the lines with no copy to the caller: the log has every byte, and
 * the pump has nothing to report. */
static void
pump_without_copy (bool few_fds)
{
  struct seen seen = { 0 };
  size_t want_len, got_len;
  cleanup_free char *want = expected (&want_len);

  cleanup_free char *got = pump_lines (-1, &seen, few_fds, &got_len);
  assert_int_equal (got_len, want_len);
  assert_memory_equal (got, want, want_len);
  assert_int_equal (seen.calls, 0);
}

static void
test_no_copy_no_hook_calls (void **unused)
{
  (void) unused;
  pump_without_copy (false);
}

/* The pipe the output is staged in (see pump.c) is an optimisation: a shim
 * that has no fds left for it reads the container's pipe directly, and
 * logs every byte. */
static void
test_no_fd_for_the_stage_reads_the_pipe_directly (void **unused)
{
  (void) unused;
  pump_without_copy (true);
}

/* ---- the producer's feeding: many reads per round, a ring smaller than
 * one read, lines longer than the ring, two streams at once ---- */

struct stream_writer
{
  int fd;
  const char *data;
  size_t len;
  unsigned seed;
};

/* Writes of 1 to 40 000 bytes, so reads end anywhere in lines, and some
 * find the pipe fuller than the ring. */
static void *
stream_writer_main (void *arg)
{
  struct stream_writer *w = arg;

  for (size_t off = 0; off < w->len;)
    {
      size_t n = 1 + (size_t) rand_r (&w->seed) % 40000;
      ssize_t r;

      if (n > w->len - off)
        n = w->len - off;
      r = write (w->fd, w->data + off, n);
      assert_true (r > 0);
      off += (size_t) r;
    }
  close (w->fd);
  return NULL;
}

/* Numbered lines with a 100 000-byte line in the middle, and no newline at
 * the end. */
static char *
stream_data (char tag, size_t *len)
{
  size_t cap = 400000, n = 0;
  char *buf = malloc (cap);

  for (int i = 0; i < 12000; i++)
    {
      n += (size_t) snprintf (buf + n, cap - n, "%c%d\n", tag, i);
      if (i == 6000)
        {
          memset (buf + n, tag, 100000);
          n += 100000;
          buf[n++] = '\n';
        }
    }
  n += (size_t) snprintf (buf + n, cap - n, "%c-end", tag);
  *len = n;
  return buf;
}

/* What `logs` prints of one stream of the log. */
static char *
print_stream (uint8_t stream, size_t *len)
{
  struct logfile_print_opts po = { .tail = -1, .streams = 1u << stream };
  ocirt_error_t err = NULL;
  char path[sizeof tmpdir + 16];
  int fd;
  struct stat st;
  char *buf;

  snprintf (path, sizeof path, "%s/print.out", tmpdir);
  fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (logfile_print (log_path, &po, fd, &err), 0);
  assert_int_equal (fstat (fd, &st), 0);
  buf = malloc ((size_t) st.st_size + 1);
  assert_int_equal (pread (fd, buf, (size_t) st.st_size, 0), st.st_size);
  close (fd);
  unlink (path);
  *len = (size_t) st.st_size;
  return buf;
}

static void
test_small_ring_two_fast_streams_every_byte_in_order (void **unused)
{
  (void) unused;
  int out[2], errp[2];
  ocirt_error_t err = NULL;
  size_t out_len, err_len, got_len;
  cleanup_free char *out_data = stream_data ('o', &out_len);
  cleanup_free char *err_data = stream_data ('e', &err_len);
  struct stream_writer wo, we;
  pthread_t to, te;

  assert_int_equal (pipe2 (out, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (errp, O_CLOEXEC), 0);
  /* The smallest ring: every read is cut by it, and a 1 MiB pipe holds
   * far more than it. */
  struct log_pump *p = log_pump_start (out[0], errp[0], log_path, 4096, NULL, &err);
  assert_non_null (p);
  wo = (struct stream_writer) { out[1], out_data, out_len, 1 };
  we = (struct stream_writer) { errp[1], err_data, err_len, 2 };
  pthread_create (&to, NULL, stream_writer_main, &wo);
  pthread_create (&te, NULL, stream_writer_main, &we);
  pthread_join (to, NULL);
  pthread_join (te, NULL);
  assert_int_equal (log_pump_join (p, &err), 0);

  cleanup_free char *got_out = print_stream (LOGFILE_STREAM_STDOUT, &got_len);
  assert_int_equal (got_len, out_len);
  assert_memory_equal (got_out, out_data, out_len);
  cleanup_free char *got_err = print_stream (LOGFILE_STREAM_STDERR, &got_len);
  assert_int_equal (got_len, err_len);
  assert_memory_equal (got_err, err_data, err_len);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_teardown (test_tee_to_file_gets_the_same_bytes_as_the_log, teardown),
    cmocka_unit_test_teardown (test_tee_to_a_pipe_without_reader_is_given_up_and_the_log_keeps_all, teardown),
    cmocka_unit_test_teardown (test_no_copy_no_hook_calls, teardown),
    cmocka_unit_test_teardown (test_no_fd_for_the_stage_reads_the_pipe_directly, teardown),
    cmocka_unit_test_teardown (test_small_ring_two_fast_streams_every_byte_in_order, teardown),
  };
  return cmocka_run_group_tests (tests, group_setup, group_teardown);
}
