/* test_state.c - the state directory and state.json, as a specification.
 *
 * Runs unprivileged in a private mkdtemp() directory. Build:
 *   gcc $(CFLAGS) -o tests/unit/test_state tests/unit/test_state.c \
 *       src/runtime/state.c src/util/error.c src/util/fs.c src/util/json.c \
 *       -lyajl -lcmocka
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/runtime/state.h"
#include "../../src/util/cleanup.h"
#include "../../src/util/fs.h"

static char tmpdir[] = "/tmp/ocirt-test-state-XXXXXX";
static int root_fd = -1;

static int
setup (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  char root[sizeof tmpdir + 16];

  if (mkdtemp (tmpdir) == NULL)
    return -1;
  snprintf (root, sizeof root, "%s/a/root", tmpdir);
  root_fd = state_root_open (root, &err);
  return root_fd < 0 ? -1 : 0;
}

static int
teardown (void **unused)
{
  (void) unused;
  char cmd[sizeof tmpdir + 16];
  close (root_fd);
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmpdir);
  return system (cmd) == 0 ? 0 : -1;
}

/* ---- ids ---- */

static void
id_validation_table (void **unused)
{
  (void) unused;
  static const char *good[] = { "a", "abc-123", "A_b+c.d", "..a", "a..", "...", "-x", "x.json", NULL };
  static const struct
  {
    const char *id;
    const char *msg;
  } bad[] = {
    { "", "invalid container id \"\": it is empty" },
    { ".", "invalid container id \".\": it must not be \".\" or \"..\"" },
    { "..", "invalid container id \"..\": it must not be \".\" or \"..\"" },
    { "a/b", "invalid container id \"a/b\": only letters, digits and _+.- are allowed" },
    { "../x", "invalid container id \"../x\": only letters, digits and _+.- are allowed" },
    { "a b", "invalid container id \"a b\": only letters, digits and _+.- are allowed" },
    { "a\nb", "invalid container id \"a\\x0ab\": only letters, digits and _+.- are allowed" },
    { "caf\xc3\xa9", "invalid container id \"caf\\xc3\\xa9\": only letters, digits and _+.- are allowed" },
    { "a,b", "invalid container id \"a,b\": only letters, digits and _+.- are allowed" },
    { "~x", "invalid container id \"~x\": only letters, digits and _+.- are allowed" },
  };

  for (int i = 0; good[i]; i++)
    {
      cleanup_error ocirt_error_t err = NULL;
      assert_int_equal (state_validate_id (good[i], &err), 0);
      assert_null (err);
    }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      cleanup_error ocirt_error_t err = NULL;
      assert_int_equal (state_validate_id (bad[i].id, &err), -1);
      assert_string_equal (err->message, bad[i].msg);
    }

  char max[STATE_ID_MAX + 2];
  memset (max, 'x', sizeof max);
  max[STATE_ID_MAX] = '\0';
  {
    cleanup_error ocirt_error_t err = NULL;
    assert_int_equal (state_validate_id (max, &err), 0);
  }
  max[STATE_ID_MAX] = 'x';
  max[STATE_ID_MAX + 1] = '\0';
  {
    cleanup_error ocirt_error_t err = NULL;
    assert_int_equal (state_validate_id (max, &err), -1);
    assert_non_null (strstr (err->message, "it is longer than 1024 characters"));
    /* The message quotes a prefix, not 1 KiB of id. */
    assert_true (strlen (err->message) < 200);
  }
}

/* ---- state.json in memory ---- */

static void
fill_full (struct container_state *st)
{
  static char *keys[] = { "q\"uote", "caf\xc3\xa9", "back\\slash" };
  static char *values[] = { "va\"l\nue", "\xe2\x9c\x93 ok", "" };
  static char *made_in[] = { "/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", NULL };

  memset (st, 0, sizeof *st);
  st->oci_version = "1.2.0";
  st->id = "c1";
  st->pid = 4242;
  st->start_time = 123456789012ULL;
  st->bundle = "/b/\"x\"";
  st->rootfs = "/b/rootfs";
  st->created = "2026-11-22T05:53:11.123456789Z";
  st->owner = "";
  st->annotation_keys = keys;
  st->annotation_values = values;
  st->n_annotations = 3;
  st->cgroup_path = "/libpod_parent/libpod-c1";
  st->cgroup_existed = true;
  st->cgroup_made_in = made_in;
  st->created_done = true;
  st->no_pivot = true;
  st->has_exit = true;
  st->exit_code = 137;
  st->exit_signal = 9;
  st->shim_log = "/run/ocirt/c1/log";
  st->shim_pid = 77;
  st->shim_start_time = 99;
}

static void
assert_state_equal (const struct container_state *a, const struct container_state *b)
{
  assert_string_equal (a->oci_version, b->oci_version);
  assert_string_equal (a->id, b->id);
  assert_int_equal (a->pid, b->pid);
  assert_true (a->start_time == b->start_time);
  assert_string_equal (a->bundle, b->bundle);
  assert_string_equal (a->rootfs, b->rootfs);
  assert_string_equal (a->created, b->created);
  assert_string_equal (a->owner, b->owner);
  assert_int_equal (a->n_annotations, b->n_annotations);
  for (size_t i = 0; i < a->n_annotations; i++)
    {
      assert_string_equal (a->annotation_keys[i], b->annotation_keys[i]);
      assert_string_equal (a->annotation_values[i], b->annotation_values[i]);
    }
  assert_string_equal (a->cgroup_path, b->cgroup_path);
  assert_int_equal (a->cgroup_existed, b->cgroup_existed);
  assert_int_equal (a->cgroup_made_in == NULL, b->cgroup_made_in == NULL);
  for (size_t i = 0; a->cgroup_made_in && (a->cgroup_made_in[i] || b->cgroup_made_in[i]); i++)
    {
      assert_non_null (a->cgroup_made_in[i]);
      assert_non_null (b->cgroup_made_in[i]);
      assert_string_equal (a->cgroup_made_in[i], b->cgroup_made_in[i]);
    }
  assert_int_equal (a->created_done, b->created_done);
  assert_int_equal (a->no_pivot, b->no_pivot);
  assert_int_equal (a->has_exit, b->has_exit);
  assert_int_equal (a->exit_code, b->exit_code);
  assert_int_equal (a->exit_signal, b->exit_signal);
  assert_string_equal (a->shim_log, b->shim_log);
  assert_int_equal (a->shim_pid, b->shim_pid);
  assert_true (a->shim_start_time == b->shim_start_time);
}

static void
format_parse_round_trip_keeps_every_field (void **unused)
{
  (void) unused;
  struct container_state in, out;
  cleanup_error ocirt_error_t err = NULL;

  fill_full (&in);
  cleanup_free char *json = state_format (&in);
  assert_non_null (json);
  assert_int_equal (state_parse (json, strlen (json), &out, &err), 0);
  assert_state_equal (&in, &out);
  state_clear (&out);
  assert_null (out.id);
  assert_int_equal (out.n_annotations, 0);
}

static void
parse_fills_defaults_for_missing_keys (void **unused)
{
  (void) unused;
  const char *json = "{\"id\":\"x\",\"bundle\":null,\"future_key\":[1,{\"a\":2}]}";
  struct container_state st;
  cleanup_error ocirt_error_t err = NULL;

  assert_int_equal (state_parse (json, strlen (json), &st, &err), 0);
  assert_string_equal (st.id, "x");
  assert_null (st.bundle);
  assert_null (st.owner);
  assert_int_equal (st.pid, 0);
  assert_false (st.has_exit);
  assert_false (st.created_done);
  assert_int_equal (st.n_annotations, 0);
  state_clear (&st);
}

static void
parse_rejects_bad_input_with_clear_errors (void **unused)
{
  (void) unused;
  static const struct
  {
    const char *json;
    const char *msg;
  } cases[] = {
    { "[]", "state.json: expected a JSON object" },
    { "42", "state.json: expected a JSON object" },
    { "\"s\"", "state.json: expected a JSON object" },
    { "{\"id\":\"x\",\"pid\":\"12\"}", "state.json: .pid: expected an integer" },
    { "{\"id\":\"x\",\"pid\":1.5}", "state.json: .pid: expected an integer" },
    { "{\"id\":\"x\",\"pid\":-3}", "state.json: .pid: -3 is out of range" },
    { "{\"id\":\"x\",\"pid\":99999999999999999999999}", "state.json: .pid: expected an integer" },
    { "{\"id\":\"x\",\"start_time\":true}", "state.json: .start_time: expected an integer" },
    { "{\"id\":7}", "state.json: .id: expected a string" },
    { "{\"bundle\":\"/b\"}", "state.json: .id: missing" },
    { "{\"id\":\"../x\"}", "state.json: .id: invalid container id \"../x\": only letters, digits and _+.- are allowed" },
    { "{\"id\":\"x\",\"no_pivot\":1}", "state.json: .no_pivot: expected a boolean" },
    { "{\"id\":\"x\",\"annotations\":[]}", "state.json: .annotations: expected an object" },
    { "{\"id\":\"x\",\"annotations\":{\"k\":1}}", "state.json: .annotations[\"k\"]: expected a string" },
    { "{\"id\":\"x\",\"exit\":3}", "state.json: .exit: expected an object" },
    { "{\"id\":\"x\",\"exit\":{\"code\":\"1\"}}", "state.json: .exit.code: expected an integer" },
    { "{\"id\":\"x\",\"exit\":{\"code\":256}}", "state.json: .exit.code: 256 is out of range" },
    { "{\"id\":\"x\",\"bundle\":\"/a\\u0000b\"}", "state.json: invalid JSON: \\u0000 in a string" },
    { "{\"id\":\"x\"/*c*/}", "state.json: invalid JSON: unexpected '/' at offset 9" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct container_state st;
      cleanup_error ocirt_error_t err = NULL;
      assert_int_equal (state_parse (cases[i].json, strlen (cases[i].json), &st, &err), -1);
      assert_string_equal (err->message, cases[i].msg);
      assert_null (st.id);
      assert_null (st.annotation_keys);
    }
}

static void
parse_survives_truncation_at_every_byte (void **unused)
{
  (void) unused;
  struct container_state in, out;

  fill_full (&in);
  cleanup_free char *json = state_format (&in);
  size_t len = strlen (json);
  for (size_t cut = 0; cut < len; cut++)
    {
      cleanup_error ocirt_error_t err = NULL;
      /* Not NUL-terminated at cut: state_parse must honour len. */
      assert_int_equal (state_parse (json, cut, &out, &err), -1);
      assert_non_null (strstr (err->message, "state.json: "));
      assert_null (strchr (err->message, '\n'));
    }
}

static void
parse_refuses_embedded_nul_and_deep_nesting (void **unused)
{
  (void) unused;
  struct container_state st;
  const char nul[] = "{\"id\":\"x\"}\0garbage";
  cleanup_free char *deep = malloc (200001);

  {
    cleanup_error ocirt_error_t err = NULL;
    assert_int_equal (state_parse (nul, sizeof nul - 1, &st, &err), -1);
    assert_string_equal (err->message, "state.json: invalid JSON: NUL byte at offset 10");
  }
  memset (deep, '[', 200000);
  deep[200000] = '\0';
  {
    cleanup_error ocirt_error_t err = NULL;
    assert_int_equal (state_parse (deep, 200000, &st, &err), -1);
    assert_string_equal (err->message, "state.json: invalid JSON: nested too deeply");
  }
}

static void
format_refuses_invalid_utf8 (void **unused)
{
  (void) unused;
  struct container_state st;

  memset (&st, 0, sizeof st);
  st.id = "x";
  st.bundle = "/b\xff";
  assert_null (state_format (&st));
}

/* ---- the directory ---- */

static bool
exists_at (int dir_fd, const char *name)
{
  return faccessat (dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static void
atomic_write_replaces_content_and_leaves_no_temp (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct container_state in, out;
  cleanup_close int fd = state_dir_create (root_fd, "w1", &err);

  assert_true (fd >= 0);
  fill_full (&in);
  assert_int_equal (state_write (fd, &in, &err), 0);
  in.pid = 5151;
  in.has_exit = false;
  assert_int_equal (state_write (fd, &in, &err), 0);

  assert_int_equal (state_read (fd, &out, &err), 0);
  assert_int_equal (out.pid, 5151);
  assert_false (out.has_exit);
  state_clear (&out);

  DIR *d = fdopendir (dup (fd));
  struct dirent *de;
  int files = 0;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        assert_string_equal (de->d_name, STATE_FILE);
        files++;
      }
  closedir (d);
  assert_int_equal (files, 1);

  struct stat sb;
  assert_int_equal (fstatat (fd, STATE_FILE, &sb, 0), 0);
  assert_int_equal (sb.st_mode & 0777, 0600);
  assert_int_equal (state_dir_remove (root_fd, "w1", &err), 0);
}

static void
read_of_missing_state_file_fails (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct container_state st;
  cleanup_close int fd = state_dir_create (root_fd, "nofile", &err);

  assert_true (fd >= 0);
  assert_int_equal (state_read (fd, &st, &err), -1);
  assert_string_equal (err->message, "read state.json: no such file or directory");
  assert_int_equal (state_dir_remove (root_fd, "nofile", &err), 0);
}

static void
write_at (int dir_fd, const char *name, const char *text)
{
  cleanup_close int fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  assert_true (fd >= 0);
  assert_int_equal (write_all (fd, text, strlen (text)), 0);
}

/* The shim's exit record is a file of its own: state_read() merges it, and
 * writing it leaves state.json as it was. */
static void
exit_record_is_merged_by_read_and_leaves_state_json_alone (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  struct container_state in, out;
  struct stat before, after;
  cleanup_close int fd = state_dir_create (root_fd, "x1", &err);

  assert_true (fd >= 0);
  fill_full (&in);
  in.has_exit = false;
  in.exit_code = in.exit_signal = 0;
  in.monitor_killed = false;
  assert_int_equal (state_write (fd, &in, &err), 0);
  assert_int_equal (state_read (fd, &out, &err), 0);
  assert_false (out.has_exit);
  state_clear (&out);

  assert_int_equal (fstatat (fd, STATE_FILE, &before, 0), 0);
  assert_int_equal (state_write_exit (fd, 137, SIGKILL, true, &err), 0);
  assert_int_equal (fstatat (fd, STATE_FILE, &after, 0), 0);
  assert_int_equal (before.st_ino, after.st_ino);
  assert_int_equal (state_read (fd, &out, &err), 0);
  assert_true (out.has_exit);
  assert_int_equal (out.exit_code, 137);
  assert_int_equal (out.exit_signal, SIGKILL);
  assert_true (out.monitor_killed);
  assert_int_equal (out.pid, in.pid);
  state_clear (&out);

  /* Written again (never, by one shim, but it must still read whole). */
  assert_int_equal (state_write_exit (fd, 0, 0, false, &err), 0);
  assert_int_equal (state_read (fd, &out, &err), 0);
  assert_true (out.has_exit);
  assert_int_equal (out.exit_code, 0);
  assert_int_equal (out.exit_signal, 0);
  assert_false (out.monitor_killed);
  state_clear (&out);
  assert_false (exists_at (fd, "exit.tmp"));
  assert_int_equal (state_dir_remove (root_fd, "x1", &err), 0);
}

static void
exit_record_that_is_malformed_fails_the_read_by_name (void **unused)
{
  (void) unused;
  static const char *const bad[] = {
    "", "\n", "0 0\n", "0 0 0", "256 0 0\n", "0 65 0\n", "0 0 2\n", "-1 0 0\n",
    "0  0 0\n", "0 0 0\n1", "x 0 0\n", "99999999999 0 0\n",
  };
  cleanup_error ocirt_error_t err = NULL;
  struct container_state in, out;
  cleanup_close int fd = state_dir_create (root_fd, "x2", &err);

  assert_true (fd >= 0);
  fill_full (&in);
  assert_int_equal (state_write (fd, &in, &err), 0);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      write_at (fd, "exit", bad[i]);
      memset (&out, 0x55, sizeof out);
      assert_int_equal (state_read (fd, &out, &err), -1);
      assert_non_null (strstr (err->message, "exit: not a record of how the init ended"));
      error_release (&err);
      /* Nothing half-read is left for the caller to free. */
      assert_null (out.id);
    }
  assert_int_equal (state_write_exit (fd, 256, 0, false, &err), -1);
  error_release (&err);
  assert_int_equal (state_write_exit (fd, 0, _NSIG, false, &err), -1);
  assert_int_equal (state_dir_remove (root_fd, "x2", &err), 0);
}

static void
create_twice_says_already_exists (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int fd = state_dir_create (root_fd, "dup", &err);
  struct stat sb;

  assert_true (fd >= 0);
  assert_int_equal (fstat (fd, &sb), 0);
  assert_int_equal (sb.st_mode & 0777, 0700);
  assert_int_equal (state_dir_create (root_fd, "dup", &err), -1);
  assert_string_equal (err->message, "container with given ID already exists");
  assert_int_equal (err->errno_value, EEXIST);
  assert_int_equal (state_dir_remove (root_fd, "dup", &err), 0);
}

static void
create_refuses_an_invalid_id (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;

  assert_int_equal (state_dir_create (root_fd, "../escape", &err), -1);
  assert_false (exists_at (root_fd, "../escape"));
}

static void
open_missing_says_does_not_exist (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;

  assert_int_equal (state_dir_open (root_fd, "ghost", LOCK_SH, &err), -1);
  assert_string_equal (err->message, "container does not exist");
  assert_int_equal (err->errno_value, ENOENT);
}

static void
open_locks_and_sees_a_removal_made_while_waiting (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  int fd = state_dir_create (root_fd, "gone", &err);
  int ready[2];
  char c;

  assert_true (fd >= 0);
  assert_int_equal (pipe (ready), 0);
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    {
      /* Blocks on our LOCK_EX, then must notice the directory is gone. */
      ocirt_error_t cerr = NULL;
      close (ready[0]);
      close (fd);
      write (ready[1], "r", 1);
      int cfd = state_dir_open (root_fd, "gone", LOCK_SH, &cerr);
      int ok = cfd < 0 && strcmp (cerr->message, "container does not exist") == 0;
      error_release (&cerr);
      _exit (ok ? 0 : 1);
    }
  close (ready[1]);
  assert_int_equal (read (ready[0], &c, 1), 1);
  close (ready[0]);
  usleep (100000);
  assert_int_equal (state_dir_remove (root_fd, "gone", &err), 0);
  close (fd);

  int status;
  assert_int_equal (waitpid (child, &status, 0), child);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
}

static void
open_rejects_unknown_lock_op (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;

  assert_int_equal (state_dir_open (root_fd, "x", LOCK_UN, &err), -1);
}

static void
remove_deletes_everything_and_missing_is_ok (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_close int fd = state_dir_create (root_fd, "rm1", &err);

  assert_true (fd >= 0);
  close (openat (fd, STATE_FILE, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  close (openat (fd, STATE_CONFIG_COPY, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  assert_int_equal (mkfifoat (fd, STATE_EXEC_FIFO, 0600), 0);
  assert_int_equal (state_dir_remove (root_fd, "rm1", &err), 0);
  assert_false (exists_at (root_fd, "rm1"));
  assert_int_equal (state_dir_remove (root_fd, "rm1", &err), 0);
  assert_int_equal (state_dir_open (root_fd, "rm1", LOCK_EX, &err), -1);
  assert_string_equal (err->message, "container does not exist");
}

static void
list_is_sorted_and_skips_non_containers (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  const char *made[] = { "zeta", "alpha", "Mid", "beta-2", NULL };
  cleanup_strv char **ids = NULL;
  size_t n;

  for (int i = 0; made[i]; i++)
    close (state_dir_create (root_fd, made[i], &err));
  close (openat (root_fd, "afile", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  assert_int_equal (mkdirat (root_fd, "~creating-1-1", 0700), 0);
  assert_int_equal (symlinkat ("alpha", root_fd, "link"), 0);

  assert_int_equal (state_list_ids (root_fd, &ids, &n, &err), 0);
  assert_int_equal (n, 4);
  assert_string_equal (ids[0], "Mid");
  assert_string_equal (ids[1], "alpha");
  assert_string_equal (ids[2], "beta-2");
  assert_string_equal (ids[3], "zeta");
  assert_null (ids[4]);

  for (int i = 0; made[i]; i++)
    assert_int_equal (state_dir_remove (root_fd, made[i], &err), 0);
  unlinkat (root_fd, "afile", 0);
  unlinkat (root_fd, "link", 0);
  unlinkat (root_fd, "~creating-1-1", AT_REMOVEDIR);
}

static void
racing_creates_of_one_id_have_one_winner (void **unused)
{
  (void) unused;
  enum { ROUNDS = 20, RACERS = 4 };

  for (int round = 0; round < ROUNDS; round++)
    {
      char id[32];
      pid_t kids[RACERS];
      int winners = 0, losers = 0;
      int go[2];

      snprintf (id, sizeof id, "race-%d", round);
      assert_int_equal (pipe (go), 0);
      for (int k = 0; k < RACERS; k++)
        {
          kids[k] = fork ();
          assert_true (kids[k] >= 0);
          if (kids[k] == 0)
            {
              ocirt_error_t cerr = NULL;
              char c;
              close (go[1]);
              if (read (go[0], &c, 1) != 0)
                _exit (3);
              int fd = state_dir_create (root_fd, id, &cerr);
              int code = fd >= 0 ? 0
                         : strcmp (cerr->message, "container with given ID already exists") == 0 ? 1
                                                                                                 : 2;
              error_release (&cerr);
              _exit (code);
            }
        }
      /* Closing the write end releases every racer at once. */
      close (go[0]);
      close (go[1]);
      for (int k = 0; k < RACERS; k++)
        {
          int status;
          assert_int_equal (waitpid (kids[k], &status, 0), kids[k]);
          assert_true (WIFEXITED (status));
          if (WEXITSTATUS (status) == 0)
            winners++;
          else if (WEXITSTATUS (status) == 1)
            losers++;
        }
      assert_int_equal (winners, 1);
      assert_int_equal (losers, RACERS - 1);
      cleanup_error ocirt_error_t err = NULL;
      assert_int_equal (state_dir_remove (root_fd, id, &err), 0);
    }
}

static void
root_open_creates_the_last_component_0700 (void **unused)
{
  (void) unused;
  cleanup_error ocirt_error_t err = NULL;
  char path[sizeof tmpdir + 32];
  struct stat sb;

  snprintf (path, sizeof path, "%s/p/q/r/", tmpdir);
  cleanup_close int fd = state_root_open (path, &err);
  assert_true (fd >= 0);
  assert_int_equal (fstat (fd, &sb), 0);
  assert_int_equal (sb.st_mode & 0777, 0700);
  cleanup_close int again = state_root_open (path, &err);
  assert_true (again >= 0);

  snprintf (path, sizeof path, "%s/p/q/r/f", tmpdir);
  close (open (path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  assert_int_equal (state_root_open (path, &err), -1);
}

/* ---- the live process ---- */

static char
proc_state_of (pid_t pid)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen (path, "r");
  if (f == NULL)
    return 0;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  return p ? p[2] : 0;
}

static void
start_time_survives_a_hostile_comm (void **unused)
{
  (void) unused;
  char saved[17] = { 0 };
  unsigned long long before = proc_start_time (getpid ());

  assert_true (before != 0);
  assert_int_equal (prctl (PR_GET_NAME, saved), 0);
  assert_int_equal (prctl (PR_SET_NAME, "a) b ) c Z 1 2"), 0);
  assert_true (proc_start_time (getpid ()) == before);
  assert_true (state_process_alive (getpid (), before));
  prctl (PR_SET_NAME, saved);
}

static void
start_time_of_a_reaped_child_is_zero (void **unused)
{
  (void) unused;
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    _exit (0);
  int status;
  assert_int_equal (waitpid (child, &status, 0), child);
  assert_true (proc_start_time (child) == 0);
  assert_false (state_process_alive (child, 1));
  assert_true (proc_start_time (0) == 0);
  assert_true (proc_start_time (-1) == 0);
}

static void
a_zombie_is_not_alive (void **unused)
{
  (void) unused;
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    _exit (0);
  for (int i = 0; i < 500 && proc_state_of (child) != 'Z'; i++)
    usleep (10000);
  assert_int_equal (proc_state_of (child), 'Z');
  unsigned long long start = proc_start_time (child);
  assert_true (start != 0);
  assert_false (state_process_alive (child, start));
  int status;
  assert_int_equal (waitpid (child, &status, 0), child);
}

static void
a_wrong_start_time_is_not_alive (void **unused)
{
  (void) unused;
  unsigned long long start = proc_start_time (getpid ());

  assert_true (state_process_alive (getpid (), start));
  assert_false (state_process_alive (getpid (), start + 1));
  assert_false (state_process_alive (getpid (), 0));
}

static void
rfc3339_now_has_nanoseconds_in_utc (void **unused)
{
  (void) unused;
  cleanup_free char *s = rfc3339_now ();
  int y, mo, d, h, mi, sec, n = 0;
  char frac[16];

  assert_non_null (s);
  assert_int_equal (strlen (s), 30);
  assert_int_equal (sscanf (s, "%4d-%2d-%2dT%2d:%2d:%2d.%9[0-9]Z%n", &y, &mo, &d, &h, &mi, &sec, frac, &n), 7);
  assert_int_equal (n, 30);
  assert_int_equal (strlen (frac), 9);
  assert_true (y >= 2024);
}

/* write_all must carry a buffer far larger than a pipe holds, through the
 * short writes a pipe gives when its reader drains it piecemeal, and
 * through EINTR from a signal with no SA_RESTART. */
static void
on_alarm (int sig)
{
  (void) sig;
}

static void
write_all_survives_short_writes_and_eintr (void **unused)
{
  (void) unused;
  enum { TOTAL = 4 << 20 };
  int p[2];
  assert_int_equal (pipe (p), 0);
  pid_t reader = fork ();
  assert_true (reader >= 0);
  if (reader == 0)
    {
      /* Slowly, in small reads: the writer sees partial writes. */
      char buf[3000];
      size_t got = 0;
      unsigned long sum = 0;
      ssize_t n;
      close (p[1]);
      while ((n = read (p[0], buf, sizeof buf)) > 0)
        {
          for (ssize_t i = 0; i < n; i++)
            sum += (unsigned char) buf[i] * ((got + (size_t) i) % 7 + 1);
          got += (size_t) n;
          if (got % (256 << 10) < sizeof buf)
            usleep (20000);
        }
      _exit (got == TOTAL && sum != 0 ? 0 : 1);
    }
  close (p[0]);
  char *data = malloc (TOTAL);
  assert_non_null (data);
  for (size_t i = 0; i < TOTAL; i++)
    data[i] = (char) (i * 31 + 7);
  struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
  struct sigaction old;
  sigaction (SIGALRM, &sa, &old);
  struct itimerval tick = { { 0, 5000 }, { 0, 5000 } };
  setitimer (ITIMER_REAL, &tick, NULL);
  int rc = write_all (p[1], data, TOTAL);
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer (ITIMER_REAL, &off, NULL);
  sigaction (SIGALRM, &old, NULL);
  close (p[1]);
  free (data);
  assert_int_equal (rc, 0);
  int status;
  assert_int_equal (waitpid (reader, &status, 0), reader);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

static void
write_all_reports_errno (void **unused)
{
  (void) unused;
  int p[2];
  assert_int_equal (pipe (p), 0);
  close (p[0]);
  signal (SIGPIPE, SIG_IGN);
  errno = 0;
  assert_int_equal (write_all (p[1], "x", 1), -1);
  assert_int_equal (errno, EPIPE);
  signal (SIGPIPE, SIG_DFL);
  close (p[1]);
  assert_int_equal (write_all (-1, "x", 1), -1);
  assert_int_equal (errno, EBADF);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (id_validation_table),
    cmocka_unit_test (format_parse_round_trip_keeps_every_field),
    cmocka_unit_test (parse_fills_defaults_for_missing_keys),
    cmocka_unit_test (parse_rejects_bad_input_with_clear_errors),
    cmocka_unit_test (parse_survives_truncation_at_every_byte),
    cmocka_unit_test (parse_refuses_embedded_nul_and_deep_nesting),
    cmocka_unit_test (format_refuses_invalid_utf8),
    cmocka_unit_test (atomic_write_replaces_content_and_leaves_no_temp),
    cmocka_unit_test (read_of_missing_state_file_fails),
    cmocka_unit_test (exit_record_is_merged_by_read_and_leaves_state_json_alone),
    cmocka_unit_test (exit_record_that_is_malformed_fails_the_read_by_name),
    cmocka_unit_test (create_twice_says_already_exists),
    cmocka_unit_test (create_refuses_an_invalid_id),
    cmocka_unit_test (open_missing_says_does_not_exist),
    cmocka_unit_test (open_locks_and_sees_a_removal_made_while_waiting),
    cmocka_unit_test (open_rejects_unknown_lock_op),
    cmocka_unit_test (remove_deletes_everything_and_missing_is_ok),
    cmocka_unit_test (list_is_sorted_and_skips_non_containers),
    cmocka_unit_test (racing_creates_of_one_id_have_one_winner),
    cmocka_unit_test (root_open_creates_the_last_component_0700),
    cmocka_unit_test (start_time_survives_a_hostile_comm),
    cmocka_unit_test (start_time_of_a_reaped_child_is_zero),
    cmocka_unit_test (a_zombie_is_not_alive),
    cmocka_unit_test (a_wrong_start_time_is_not_alive),
    cmocka_unit_test (rfc3339_now_has_nanoseconds_in_utc),
    cmocka_unit_test (write_all_survives_short_writes_and_eintr),
    cmocka_unit_test (write_all_reports_errno),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
