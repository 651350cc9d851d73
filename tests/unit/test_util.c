/* test_util.c - the helpers that several files share: a kernel file's value
 * is written in one write(2) or refused by name (write_whole), and the text
 * a yajl generator made is taken as a string (json_gen_take).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/util/fs.h"
#include "../../src/util/json.h"

static void
write_whole_writes_a_value_in_one_write (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  int p[2];
  char buf[16] = { 0 };

  assert_int_equal (pipe (p), 0);
  assert_int_equal (write_whole (p[1], "max 100000", 10, "cpu.max", &err), 0);
  assert_null (err);
  assert_int_equal (read (p[0], buf, sizeof buf), 10);
  assert_string_equal (buf, "max 100000");
  close (p[0]);
  close (p[1]);
}

/* A kernel file that takes part of a value has not taken the value: the
 * rest must not be written as a second one. A non-blocking pipe with room
 * for one page takes the first page of two and stops. */
static void
write_whole_refuses_a_short_write_by_name (void **state)
{
  (void) state;
  ocirt_error_t err = NULL;
  static char two_pages[8192];
  int p[2];

  assert_int_equal (pipe2 (p, O_NONBLOCK), 0);
  assert_true (fcntl (p[1], F_SETPIPE_SZ, 4096) >= 4096);
  memset (two_pages, 'x', sizeof two_pages);
  assert_int_equal (write_whole (p[1], two_pages, sizeof two_pages, "/proc/self/attr/exec", &err), -1);
  assert_non_null (err);
  assert_string_equal (err->message, "short write to \"/proc/self/attr/exec\": input/output error");
  assert_int_equal (err->errno_value, EIO);
  error_release (&err);

  /* Full now: the error is the kernel's, with the file named. */
  assert_int_equal (write_whole (p[1], "x", 1, "memory.max", &err), -1);
  assert_int_equal (err->errno_value, EAGAIN);
  assert_non_null (strstr (err->message, "write \"memory.max\""));
  error_release (&err);
  close (p[0]);
  close (p[1]);
}

static void
json_gen_take_returns_the_text_and_its_length (void **state)
{
  (void) state;
  yajl_gen g = yajl_gen_alloc (NULL);
  size_t len = 0;

  assert_non_null (g);
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "id", "c1");
  yajl_gen_map_close (g);
  char *s = json_gen_take (g, &len);
  assert_non_null (s);
  assert_string_equal (s, "{\"id\":\"c1\"}");
  assert_int_equal (len, strlen (s));
  free (s);
}

static void
discard (void *ctx, const char *str, size_t len)
{
  (void) str;
  *(size_t *) ctx += len;
}

/* A generator that printed elsewhere holds no text: NULL, *len untouched,
 * and the generator freed all the same (ASan or valgrind see a leak). */
static void
json_gen_take_without_text_is_null (void **state)
{
  (void) state;
  yajl_gen g = yajl_gen_alloc (NULL);
  size_t printed = 0, len = 12345;

  assert_non_null (g);
  yajl_gen_config (g, yajl_gen_print_callback, discard, &printed);
  json_gen_str (g, "x");
  assert_int_equal (printed, 3);
  assert_null (json_gen_take (g, &len));
  assert_int_equal (len, 12345);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (write_whole_writes_a_value_in_one_write),
    cmocka_unit_test (write_whole_refuses_a_short_write_by_name),
    cmocka_unit_test (json_gen_take_returns_the_text_and_its_length),
    cmocka_unit_test (json_gen_take_without_text_is_null),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
