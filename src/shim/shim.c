/* shim.c - see shim.h. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl_gen.h>

#include "../linux/monitor.h"
#include "../util/cleanup.h"
#include "../util/json.h"
#include "../util/signals.h"
#include "pump.h"

extern char **environ;


int
shim_mode_parse (const char *s, enum shim_mode *mode)
{
  if (strcmp (s, "auto") == 0)
    *mode = SHIM_AUTO;
  else if (strcmp (s, "always") == 0)
    *mode = SHIM_ALWAYS;
  else if (strcmp (s, "never") == 0)
    *mode = SHIM_NEVER;
  else
    return -1;
  return 0;
}

/* Orphan a grandchild and see who adopts it: our parent only if it is a
 * child subreaper. */
static bool
parent_is_subreaper (void)
{
  int p[2];
  pid_t adopter = 0;
  pid_t parent = getppid ();

  if (pipe2 (p, O_CLOEXEC) < 0)
    return false;
  pid_t child = fork ();
  if (child < 0)
    {
      close (p[0]);
      close (p[1]);
      return false;
    }
  if (child == 0)
    {
      pid_t me = getpid ();
      if (fork () == 0)
        {
          /* Wait until our parent has exited and we have been adopted. */
          while (getppid () == me)
            usleep (50);
          pid_t now = getppid ();
          if (write (p[1], &now, sizeof now) < 0)
            _exit (1);
          _exit (0);
        }
      _exit (0);
    }
  close (p[1]);
  waitpid (child, NULL, 0);
  if (read (p[0], &adopter, sizeof adopter) != sizeof adopter)
    adopter = 0;
  close (p[0]);
  return adopter == parent;
}

bool
shim_wanted (enum shim_mode mode)
{
  const char *env = getenv ("OCIRT_SHIM");
  if (mode == SHIM_AUTO && env)
    shim_mode_parse (env, &mode);
  if (mode != SHIM_AUTO)
    return mode == SHIM_ALWAYS;
  return !parent_is_subreaper ();
}

/* The container's stdin: the caller's, as runc gives it, when it is a pipe
 * or a file; never a terminal, which the shell the caller returns to goes
 * on reading. Otherwise (a tty, or closed) /dev/null. */
static int
container_stdin (ocirt_error_t *err)
{
  int fd;

  if (fcntl (STDIN_FILENO, F_GETFD) >= 0 && !isatty (STDIN_FILENO))
    fd = fcntl (STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
  else
    fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "shim: container stdin");
  return fd;
}

/* The caller's stdout or stderr, kept to copy the container's stream to,
 * or -1: only a regular file or a pipe (FIFO) is copied to. A terminal is
 * not (output would land on the shell's screen after ocirt returned), nor
 * /dev/null (no use), nor a socket. A pipe is reopened through /proc: a new
 * open file description, so that making it non-blocking (see pump.h) does
 * not change the caller's own fd. */
static int
caller_copy_fd (int fd)
{
  struct stat st;
  char path[32];

  if (fstat (fd, &st) < 0)
    return -1;
  if (S_ISREG (st.st_mode))
    return fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (!S_ISFIFO (st.st_mode))
    return -1;
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  return open (path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
}

/* The container's stdio: the caller's stdin (see container_stdin), and a
 * pipe each for stdout and stderr whose read ends the shim keeps, and the
 * caller's stdout and stderr to copy them to. */
static int
setup_stdio (struct shim *s, ocirt_error_t *err)
{
  int out[2], errp[2];
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
    return make_error (err, errno, "shim: create pipes");
  s->stdio[0] = container_stdin (err);
  if (s->stdio[0] < 0)
    return -1;
  s->stdio[1] = out[1];
  s->stdio[2] = errp[1];
  s->out_read = out[0];
  s->err_read = errp[0];
  s->tee[0] = caller_copy_fd (STDOUT_FILENO);
  s->tee[1] = caller_copy_fd (STDERR_FILENO);
  return 0;
}

pid_t
shim_fork (struct shim *s, ocirt_error_t *err)
{
  int report[2];
  if (pipe2 (report, O_CLOEXEC) < 0)
    return make_error (err, errno, "shim: create report pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (report[0]);
      close (report[1]);
      return make_error (err, errno, "shim: fork");
    }
  if (pid > 0)
    {
      close (report[1]);
      s->report_fd = report[0];
      return pid;
    }
  close (report[0]);
  s->report_fd = report[1];
  s->tee[0] = s->tee[1] = -1;
  s->pump = NULL;
  /* Its own session, so the caller's terminal and process group signals
   * do not reach it; a subreaper, so every orphan of the container comes
   * to it to be reaped. */
  setsid ();
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  prctl (PR_SET_NAME, "ocirt-shim", 0, 0, 0);
  if (setup_stdio (s, err) < 0)
    {
      shim_report (s, *err);
      _exit (1);
    }
  return 0;
}

int
shim_wait_report (int report_fd, ocirt_error_t *err)
{
  char buf[8192];
  size_t len = 0;
  for (;;)
    {
      ssize_t r = read (report_fd, buf + len, sizeof buf - 1 - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
      if (len == sizeof buf - 1)
        break;
    }
  close (report_fd);
  buf[len] = '\0';
  if (len == 0)
    return make_error (err, 0, "the shim exited without reporting the create");
  if (strcmp (buf, "ok") == 0)
    return 0;
  return make_error (err, 0, "%s", buf);
}

void
shim_report (struct shim *s, ocirt_error_t err)
{
  const char *msg = err ? err->message : "ok";
  if (write (s->report_fd, msg, strlen (msg)) < 0)
    {
      /* The caller is gone; nobody is left to tell. */
    }
  close (s->report_fd);
  s->report_fd = -1;
}

/* Store how the init ended. The state dir may be gone already (a delete
 * raced us), which is not an error: there is nobody left to tell. LOCK_EX
 * makes a delete that starts now wait until the record is whole. */
static void
record_exit (const char *root, const char *id, int status, bool monitor_killed)
{
  ocirt_error_t err = NULL;
  int signal = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
  cleanup_close int root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return;
  cleanup_close int dir_fd = state_dir_open (root_fd, id, LOCK_EX, &err);
  if (dir_fd >= 0)
    state_write_exit (dir_fd, exit_code_of (status), signal,
                      monitor_killed && signal == SIGKILL, &err);
  error_release (&err);
}

/* Append one line to <root>/<id>/events.json, which `ocirt events` relays.
 * O_APPEND with one write per line: readers never see half a record. */
static void
append_event_line (const char *root, const char *id, const char *line, size_t len)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s/%s", root, id, STATE_EVENTS_FILE) < 0)
    return;
  cleanup_close int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && write (fd, line, len) < 0)
    return;
}

/* One JSON line per monitor event, in the shape of `ocirt events`. */
static void
append_event (const char *root, const char *id, const struct cmon_event *ev)
{
  char line[512];
  struct timespec ts = { .tv_sec = (time_t) (ev->time_ns / 1000000000ULL),
                         .tv_nsec = (long) (ev->time_ns % 1000000000ULL) };
  struct tm tm;
  char when[40];
  gmtime_r (&ts.tv_sec, &tm);
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  int len = snprintf (line, sizeof line,
                      "{\"type\":\"monitor\",\"id\":\"%s\",\"data\":{\"kind\":\"%s\",\"pid\":%u,"
                      "\"rss\":%llu,\"limit\":%llu,\"time\":\"%s.%09ldZ\",\"dropped\":%u}}\n",
                      id, ev->kind == CMON_EVENT_HARD ? "hard_kill" : "soft_warning", ev->pid,
                      (unsigned long long) ev->rss, (unsigned long long) ev->limit, when, ts.tv_nsec,
                      ev->dropped);
  append_event_line (root, id, line, (size_t) len);
}

/* The log pump's failures after the create succeeded (a full disk, a
 * caller's pipe given up): nobody waits on the shim any more, so each
 * becomes an event {"type":"shim","id":..,"data":{"level":..,"message":..}}
 * that `ocirt events` shows, instead of vanishing. */
static void
report_pump_failure (void *arg, const char *level, ocirt_error_t e)
{
  struct shim *s = arg;
  const unsigned char *buf;
  size_t len;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return;
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "type", "shim");
  json_gen_kv_string (g, "id", s->id);
  json_gen_str (g, "data");
  yajl_gen_map_open (g);
  json_gen_kv_string (g, "level", level);
  json_gen_kv_string (g, "message", e ? e->message : "");
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  if (yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    {
      cleanup_free char *line = malloc (len + 1);
      if (line)
        {
          memcpy (line, buf, len);
          line[len] = '\n';
          append_event_line (s->root, s->id, line, len + 1);
        }
    }
  yajl_gen_free (g);
}

int
shim_start_logging (struct shim *s, const char *root, const char *id, const char *log_path,
                    ocirt_error_t *err)
{
  struct log_pump_options opts = { .tee_fds = { s->tee[0], s->tee[1] },
                                   .on_error = report_pump_failure, .arg = s };

  s->root = root;
  s->id = id;
  /* The pump owns these from here, on failure too. */
  s->tee[0] = s->tee[1] = -1;
  s->pump = log_pump_start (s->out_read, s->err_read, log_path, 0, &opts, err);
  s->out_read = s->err_read = -1;
  if (s->pump == NULL)
    return wrap_error (err, "shim: log to \"%s\"", log_path);
  return 0;
}

/* Reap every child that has exited; true once the init is among them. */
static bool
reap (pid_t init, int *init_status)
{
  bool done = false;
  for (;;)
    {
      int status;
      pid_t r = waitpid (-1, &status, WNOHANG);
      if (r <= 0)
        return done;
      if (r == init)
        {
          *init_status = status;
          done = true;
        }
    }
}

/* dl_iterate_phdr callback of shim_shed_code: one loaded object. */
static int
shed_object (struct dl_phdr_info *info, size_t size, void *data)
{
  uintptr_t page = *(const uintptr_t *) data;
  (void) size;
  if (info->dlpi_name && strncmp (info->dlpi_name, "linux-vdso", 10) == 0)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
        continue;
      uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
      uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
      madvise ((void *) start, end - start, MADV_DONTNEED);
    }
  return 0;
}

/* What the shim keeps resident for the container's life is mostly code:
 * each fault on a file page maps up to 64 KiB around it, so the set-up
 * (the dynamic loader, libc's symbol tables, the create's functions) left
 * far more in than the log loop runs. MADV_DONTNEED lets go of it; the
 * loop then faults back only what it runs (and what lies around that).
 * Never a writable segment: a private page that was written would lose
 * its contents. (MADV_RANDOM does not turn fault-around off: measured.) */
void
shim_shed_code (void)
{
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  dl_iterate_phdr (shed_object, &page);
}

void
shim_serve (struct shim *s, pid_t init, int monitor_fd)
{
  const char *root = s->root, *id = s->id;
  ocirt_error_t err = NULL;
  sigset_t all, chld;
  bool monitor_killed = false;
  int status = 0;

  /* The pipes' write ends now live only in the container (shim_exec_lean
   * closed ours). The caller's stdio is not ours either. */
  int null = open ("/dev/null", O_RDWR);
  for (int i = 0; i < 3; i++)
    dup2 (null, i);
  if (null > 2)
    close (null);

  shim_shed_code ();
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, NULL);
  sigemptyset (&chld);
  sigaddset (&chld, SIGCHLD);
  int sfd = signalfd (-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);

  /* Reap everything (orphans of the container come to us as the subreaper)
   * until the init has gone; meanwhile record the monitor's events. */
  struct pollfd fds[2] = { { .fd = sfd, .events = POLLIN }, { .fd = monitor_fd, .events = POLLIN } };
  while (!reap (init, &status))
    {
      if (poll (fds, monitor_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
        break;
      struct signalfd_siginfo si;
      while (read (sfd, &si, sizeof si) == sizeof si)
        ;
      struct cmon_event ev;
      while (monitor_fd >= 0 && monitor_read_event (monitor_fd, id, &ev) == 1)
        {
          append_event (root, id, &ev);
          if (ev.kind == CMON_EVENT_HARD)
            monitor_killed = true;
        }
    }
  record_exit (root, id, status, monitor_killed);
  /* The log is complete once every writer (the init and anything that
   * inherited its stdio) has closed the pipes. Its failures were reported
   * as they happened (report_pump_failure). */
  log_pump_join (s->pump, &err);
  error_release (&err);
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
  _exit (0);
}

/* Hand an fd across exec (ours are all close-on-exec), and say which. */
static int
pass_fd (int fd, char *buf, size_t len)
{
  if (fd >= 0 && fcntl (fd, F_SETFD, 0) < 0)
    return -1;
  snprintf (buf, len, "%d", fd);
  return 0;
}

int
shim_exec_lean (struct shim *s, const char *root, const char *id, const char *log_path, pid_t init,
                int monitor_fd, ocirt_error_t *err)
{
  enum { N_FDS = 6 };
  int fds[N_FDS] = { s->report_fd, s->out_read, s->err_read, s->tee[0], s->tee[1], monitor_fd };
  char nums[N_FDS][16], init_s[16];

  /* The pipes' write ends and the stdin given to the init now live only in
   * the container; ours would keep the pump from ever seeing EOF. */
  for (int i = 0; i < 3; i++)
    close (s->stdio[i]);
  for (int i = 0; i < N_FDS; i++)
    if (pass_fd (fds[i], nums[i], sizeof nums[i]) < 0)
      return make_error (err, errno, "shim: pass fd %d to the lean shim", fds[i]);
  snprintf (init_s, sizeof init_s, "%d", (int) init);
  char *argv[] = { (char *) "ocirt-shim", (char *) SHIM_LEAN_ARG, (char *) root, (char *) id,
                   (char *) log_path, init_s, nums[0], nums[1], nums[2], nums[3], nums[4], nums[5],
                   NULL };
  /* The image we run from, never a path: the caller made sure it is the
   * read-only overlay or the sealed copy, which no container can replace. */
  execve ("/proc/self/exe", argv, environ);
  return make_error (err, errno, "shim: re-execute /proc/self/exe");
}

static int
arg_int (const char *s)
{
  char *end;
  long v = strtol (s, &end, 10);
  return *s && *end == '\0' && v >= -1 && v <= INT32_MAX ? (int) v : -2;
}

int
shim_lean_parse (int argc, char **argv, struct shim *s, struct shim_lean_args *a)
{
  int n[7];

  if (argc != 12 || strcmp (argv[1], SHIM_LEAN_ARG) != 0)
    return -1;
  for (int i = 0; i < 7; i++)
    if ((n[i] = arg_int (argv[5 + i])) < -1)
      return -1;
  *s = (struct shim) { .report_fd = n[1], .out_read = n[2], .err_read = n[3],
                       .stdio = { -1, -1, -1 }, .tee = { n[4], n[5] } };
  *a = (struct shim_lean_args) { .root = argv[2], .id = argv[3], .log_path = argv[4],
                                 .init = n[0], .monitor_fd = n[6] };
  /* exec named us after the image; ps and top show this name, as before. */
  prctl (PR_SET_NAME, "ocirt-shim", 0, 0, 0);
  for (int i = 1; i < 7; i++)
    if (n[i] >= 0)
      fcntl (n[i], F_SETFD, FD_CLOEXEC);
  return 0;
}
