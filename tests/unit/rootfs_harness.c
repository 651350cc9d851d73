/* rootfs_harness.c - drive rootfs_prepare/pivot/finalize against a real
 * rootfs, then exec a command inside so the result can be inspected.
 *
 * Root only; not a cmocka test. The config is built by hand with runc's
 * default mounts, masked and read-only paths.
 *
 *   rootfs_harness [-U] [-C] [-n] [-r] [-p PROP] [-e SRC] [-d] [-m] [-x]
 *                  ROOTFS CMD [ARG...]
 *     -U       new user namespace (identity map of all ids): mknod is refused
 *              and the host's mount flags are locked
 *     -C       new cgroup namespace (cgroup hierarchies mounted, not bound)
 *     -n       --no-pivot (MS_MOVE + chroot)
 *     -r       root.readonly
 *     -p PROP  linux.rootfsPropagation
 *     -e SRC   escape probes: bind SRC (a directory) onto /mnt/escape and
 *              /etc/../../../escape2, and the file SRC/file onto /mnt/escfile
 *     -d       linux.devices: /dev/fuse, /dev/sub/null2, /dev/myfifo, /opt/zero2
 *     -m       option probes: bind SRC ro,nosuid,rprivate on /ro, tmpfs
 *              with rro/mode=700,size=1m on /rtmp (needs -e for SRC)
 *     -x       add a mount with the unsupported option "tmpcopyup"
 *
 * Exit status: the command's, or 100 + a message on stderr when the rootfs
 * setup failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/linux/rootfs.h"

#define MAX_MOUNTS 16

static char *opts_proc[] = { "nosuid", "noexec", "nodev" };
static char *opts_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
static char *opts_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
static char *opts_shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
static char *opts_mq[] = { "nosuid", "noexec", "nodev" };
static char *opts_sys[] = { "nosuid", "noexec", "nodev", "ro" };
static char *opts_cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
static char *opts_bind[] = { "rbind" };
static char *opts_ro_bind[] = { "bind", "ro", "nosuid", "rprivate" };
static char *opts_rtmp[] = { "rro", "mode=700", "size=1m" };
static char *opts_copyup[] = { "tmpcopyup" };

static char *masked[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
};
static char *readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };

#define N(a) (sizeof (a) / sizeof (a)[0])
#define MOUNT(d, t, s, o) { .destination = d, .type = t, .source = s, .options = o, .n_options = N (o) }

static struct oci_mount mounts[MAX_MOUNTS] = {
  MOUNT ("/proc", "proc", "proc", opts_proc),
  MOUNT ("/dev", "tmpfs", "tmpfs", opts_dev),
  MOUNT ("/dev/pts", "devpts", "devpts", opts_pts),
  MOUNT ("/dev/shm", "tmpfs", "shm", opts_shm),
  MOUNT ("/dev/mqueue", "mqueue", "mqueue", opts_mq),
  MOUNT ("/sys", "sysfs", "sysfs", opts_sys),
  MOUNT ("/sys/fs/cgroup", "cgroup", "cgroup", opts_cg),
};
static size_t n_mounts = 7;

static struct oci_device devices[] = {
  { .type = "c", .path = "/dev/fuse", .major = 10, .minor = 229,
    .has_file_mode = true, .file_mode = 0600, .has_uid = true, .uid = 1, .has_gid = true, .gid = 2 },
  { .type = "c", .path = "/dev/sub/null2", .major = 1, .minor = 3 },
  { .type = "p", .path = "/dev/myfifo", .has_file_mode = true, .file_mode = 0640 },
  { .type = "c", .path = "/opt/zero2", .major = 1, .minor = 5 },
};

static struct oci_namespace namespaces[8];
static struct oci_linux linux_;
static struct oci_config cfg;
static const char *rootfs;
static bool no_pivot;
static int sync_pipe[2];

static void
add_mount (struct oci_mount m)
{
  if (n_mounts < MAX_MOUNTS)
    mounts[n_mounts++] = m;
}

static int
child_main (char **argv)
{
  ocirt_error_t err = NULL;
  char c;

  close (sync_pipe[1]);
  if (read (sync_pipe[0], &c, 1) != 1)
    return 100;
  int null_tree = -1;
  if (rootfs_prepare (&cfg, rootfs, NULL, &null_tree, &err) < 0 || rootfs_pivot (rootfs, no_pivot, &err) < 0
      || rootfs_finalize (&cfg, null_tree, &err) < 0)
    {
      fprintf (stderr, "rootfs_harness: %s\n", err->message);
      return 100;
    }
  execv (argv[0], argv);
  fprintf (stderr, "rootfs_harness: exec \"%s\": %s\n", argv[0], strerror (errno));
  return 101;
}

static void
write_file (pid_t pid, const char *name, const char *text)
{
  char path[64];
  FILE *f;

  snprintf (path, sizeof path, "/proc/%d/%s", pid, name);
  f = fopen (path, "w");
  if (f == NULL || fputs (text, f) < 0 || fclose (f) != 0)
    {
      fprintf (stderr, "rootfs_harness: write %s: %s\n", path, strerror (errno));
      exit (102);
    }
}

int
main (int argc, char **argv)
{
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  size_t n_ns = 0;
  const char *src = NULL;
  bool probes = false;
  int opt, status;
  pid_t pid;
  static char srcfile[4096];

  while ((opt = getopt (argc, argv, "+UCnrp:e:dmx")) != -1)
    switch (opt)
      {
      case 'U':
        flags |= CLONE_NEWUSER;
        namespaces[n_ns++].type = OCI_NS_USER;
        break;
      case 'C':
        flags |= CLONE_NEWCGROUP;
        namespaces[n_ns++].type = OCI_NS_CGROUP;
        break;
      case 'n':
        no_pivot = true;
        break;
      case 'r':
        cfg.root.readonly = true;
        break;
      case 'p':
        linux_.rootfs_propagation = optarg;
        break;
      case 'e':
        src = optarg;
        snprintf (srcfile, sizeof srcfile, "%s/file", src);
        add_mount ((struct oci_mount) MOUNT ("/mnt/escape", "bind", (char *) src, opts_bind));
        add_mount ((struct oci_mount) MOUNT ("/etc/../../../escape2", "none", (char *) src, opts_bind));
        add_mount ((struct oci_mount) MOUNT ("/mnt/escfile", "none", srcfile, opts_bind));
        break;
      case 'd':
        linux_.devices = devices;
        linux_.n_devices = N (devices);
        break;
      case 'm':
        probes = true;
        break;
      case 'x':
        add_mount ((struct oci_mount) MOUNT ("/copyup", "tmpfs", "tmpfs", opts_copyup));
        break;
      default:
        return 2;
      }
  if (probes && src)
    {
      add_mount ((struct oci_mount) MOUNT ("/ro", "none", (char *) src, opts_ro_bind));
      add_mount ((struct oci_mount) MOUNT ("/rtmp", "tmpfs", "tmpfs", opts_rtmp));
    }
  if (argc - optind < 2)
    {
      fprintf (stderr, "usage: rootfs_harness [-UCnrdmx] [-p PROP] [-e SRC] ROOTFS CMD [ARG...]\n");
      return 2;
    }
  rootfs = argv[optind];
  cfg.mounts = mounts;
  cfg.n_mounts = n_mounts;
  cfg.linux_ = &linux_;
  linux_.namespaces = namespaces;
  linux_.n_namespaces = n_ns;
  linux_.masked_paths = masked;
  linux_.n_masked_paths = N (masked);
  linux_.readonly_paths = readonly;
  linux_.n_readonly_paths = N (readonly);

  if (pipe (sync_pipe) < 0)
    return 102;
  fflush (NULL);
  pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      perror ("rootfs_harness: clone");
      return 102;
    }
  if (pid == 0)
    _exit (child_main (argv + optind + 1));

  close (sync_pipe[0]);
  if (flags & CLONE_NEWUSER)
    {
      write_file (pid, "setgroups", "deny");
      write_file (pid, "uid_map", "0 0 4294967295");
      write_file (pid, "gid_map", "0 0 4294967295");
    }
  if (write (sync_pipe[1], "x", 1) != 1)
    return 102;
  close (sync_pipe[1]);
  if (waitpid (pid, &status, 0) < 0)
    return 102;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
