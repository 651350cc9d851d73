/* log_throughput.c - the shim log pipeline against a plain `cat > file`.
 *
 * A writer process writes 64 KiB chunks of text lines into a pipe, like a
 * chatty container. The same stream goes once through `cat > file` and once
 * through log_pump_run() into a CRI log file; both are timed from the first
 * byte to the last byte on disk (page cache), and the reassembled output of
 * the log (logfile_print) is compared byte for byte with the input.
 * Performance target (docs: performance.md): pump >= 0.8 x cat.
 *
 * Build and run (from the top of the tree):
 *   gcc -O2 -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -pthread \
 *       -o tests/bench/log_throughput tests/bench/log_throughput.c \
 *       src/shim/pump.c src/shim/ringbuf.c src/shim/logfile.c src/util/error.c src/util/fs.c
 *   tests/bench/log_throughput [dir [MiB [runs [ring-bytes]]]]
 * Defaults: /tmp, 1024 MiB, 3 runs (best of each), LOG_PUMP_DEFAULT_BUFFER.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/shim/logfile.h"
#include "../../src/shim/pump.h"

#define WRITE_CHUNK (64 * 1024)
/* Not a multiple of WRITE_CHUNK, so chunk edges fall everywhere in lines. */
#define PATTERN_SIZE (4 * 1024 * 1024 + 4321)

static char *pattern;
static size_t total;

/* Lines of 1 to 240 printable bytes (about 120 on average), like a
 * typical application log. */
static void
make_pattern (void)
{
  uint64_t x = 0x9e3779b97f4a7c15u;
  size_t i = 0;

  pattern = malloc (PATTERN_SIZE);
  while (i < PATTERN_SIZE)
    {
      size_t len;
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      len = 1 + x % 240;
      for (size_t j = 0; j < len && i < PATTERN_SIZE; j++)
        pattern[i++] = (char) (' ' + (x >> (j % 56)) % 94);
      if (i < PATTERN_SIZE)
        pattern[i++] = '\n';
    }
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
die (const char *what)
{
  perror (what);
  exit (1);
}

/* The container: `total` bytes of the pattern, repeated, in 64 KiB writes. */
static pid_t
spawn_writer (int *read_end)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    die ("pipe");
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      size_t off = 0;
      close (p[0]);
      for (size_t done = 0; done < total;)
        {
          size_t n = WRITE_CHUNK;
          ssize_t w;
          if (n > total - done)
            n = total - done;
          if (n > PATTERN_SIZE - off)
            n = PATTERN_SIZE - off;
          w = write (p[1], pattern + off, n);
          if (w < 0)
            _exit (1);
          done += (size_t) w;
          off = (off + (size_t) w) % PATTERN_SIZE;
        }
      _exit (0);
    }
  close (p[1]);
  *read_end = p[0];
  return pid;
}

static void
wait_ok (pid_t pid)
{
  int status;
  if (waitpid (pid, &status, 0) < 0 || ! WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      fprintf (stderr, "child %d failed\n", (int) pid);
      exit (1);
    }
}

static double
run_cat (const char *out)
{
  int in;
  double t0;
  pid_t writer, cat;

  unlink (out);
  t0 = now ();
  writer = spawn_writer (&in);
  cat = fork ();
  if (cat == 0)
    {
      int fd = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || dup2 (in, 0) < 0 || dup2 (fd, 1) < 0)
        _exit (127);
      execlp ("cat", "cat", (char *) NULL);
      _exit (127);
    }
  close (in);
  wait_ok (writer);
  wait_ok (cat);
  return now () - t0;
}

static double
run_pump (const char *log, size_t ring)
{
  ocirt_error_t err = NULL;
  int in;
  double t0;
  pid_t writer;

  unlink (log);
  t0 = now ();
  writer = spawn_writer (&in);
  if (log_pump_run (in, -1, log, ring, &err) < 0)
    {
      fprintf (stderr, "log pump: %s\n", err->message);
      exit (1);
    }
  wait_ok (writer);
  return now () - t0;
}

/* Compare everything readable from fd with the input stream. */
static int
verify_stream (int fd)
{
  static char buf[1 << 20];
  size_t seen = 0, off = 0;
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0)
    for (size_t i = 0; i < (size_t) n;)
      {
        size_t m = (size_t) n - i;
        if (m > PATTERN_SIZE - off)
          m = PATTERN_SIZE - off;
        if (seen + m > total || memcmp (buf + i, pattern + off, m) != 0)
          return -1;
        i += m;
        seen += m;
        off = (off + m) % PATTERN_SIZE;
      }
  return n == 0 && seen == total ? 0 : -1;
}

static int
verify_file (const char *path)
{
  int fd = open (path, O_RDONLY);
  int r = fd < 0 ? -1 : verify_stream (fd);
  if (fd >= 0)
    close (fd);
  return r;
}

/* `ocirt logs` of the log file, through a pipe, against the input. */
static int
verify_log (const char *log)
{
  int p[2], r;
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    die ("pipe");
  pid = fork ();
  if (pid == 0)
    {
      struct logfile_print_opts o = { .tail = -1 };
      ocirt_error_t err = NULL;
      close (p[0]);
      _exit (logfile_print (log, &o, p[1], &err) < 0 ? 1 : 0);
    }
  close (p[1]);
  r = verify_stream (p[0]);
  close (p[0]);
  wait_ok (pid);
  return r;
}

static long long
file_size (const char *path)
{
  struct stat st;
  return stat (path, &st) < 0 ? -1 : (long long) st.st_size;
}

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : "/tmp";
  size_t mib = argc > 2 ? strtoul (argv[2], NULL, 10) : 1024;
  int runs = argc > 3 ? atoi (argv[3]) : 3;
  size_t ring = argc > 4 ? strtoul (argv[4], NULL, 10) : 0;
  char cat_out[4096], log_out[4096];
  double best_cat = 1e9, best_pump = 1e9;

  total = mib << 20;
  snprintf (cat_out, sizeof cat_out, "%s/ocirt-bench-cat.out", dir);
  snprintf (log_out, sizeof log_out, "%s/ocirt-bench-pump.log", dir);
  make_pattern ();
  /* Alternate, so that drift of the machine hits both alike. */
  for (int i = 0; i < runs; i++)
    {
      double c = run_cat (cat_out), p = run_pump (log_out, ring);
      printf ("run %d: cat %.0f MB/s, pump %.0f MB/s\n", i + 1, (double) total / c / 1e6,
              (double) total / p / 1e6);
      if (c < best_cat)
        best_cat = c;
      if (p < best_pump)
        best_pump = p;
    }
  if (verify_file (cat_out) < 0 || verify_log (log_out) < 0)
    {
      fprintf (stderr, "FAIL: output differs from input\n");
      return 1;
    }
  printf ("input %zu MiB; log file %.1f MiB (CRI headers)\n", mib, (double) file_size (log_out) / (1 << 20));
  printf ("cat  %.0f MB/s\npump %.0f MB/s\nratio %.2f\ncontent verified\n",
          (double) total / best_cat / 1e6, (double) total / best_pump / 1e6, best_cat / best_pump);
  unlink (cat_out);
  unlink (log_out);
  return 0;
}
