/* ocirt-net.c - connect a container to a CNI network, as an OCI hook.
 *
 * Owns: the hook side of networking. `add` runs as a createRuntime hook:
 * it reads the container state (id, pid) on stdin, pins the container's
 * netns with a bind mount, calls the conflist's plugins with ADD and records
 * what DEL will need. `del` runs as a poststop hook, when the container's
 * processes are gone: the pinned netns, the conflist and the ADD result
 * come from the record, the plugins are called with DEL in reverse order,
 * and the pin and the record are removed. `gc` does the same for records
 * whose container died without a poststop hook (a crash, a lost host).
 * `ip` prints a container's address from its record.
 *
 * Never: speaks netlink or iptables itself (the CNI plugins do), or keeps a
 * record whose ADD failed.
 *
 * --netns-of-host PATH makes the plugins run in the network namespace at
 * PATH instead of ours: the bridge, the host end of the veth and the NAT
 * rules land there. Tests use it to stand a namespace in for the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/error.h"
#include "../util/json.h"
#include "../util/fs.h"
#include "cni.h"
#include "net_state.h"

#define DEFAULT_CONFLIST "/etc/cni/net.d/ocirt.conflist"
#define DEFAULT_IFNAME "eth0"
#define NET_MAX_INPUT (1 << 20)
#define NSFS_MAGIC_VALUE 0x6e736673
/* OCI hooks get exactly the env of their config, often none; the plugins
 * look up iptables and their IPAM plugin on PATH. */
#define FALLBACK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct net_opts
{
  const char *conflist;
  const char *cni_path;
  const char *state_dir;
  const char *host_netns;
  const char *ifname;
};

static void
tree_freep (yajl_val *v)
{
  yajl_tree_free (*v);
}
#define cleanup_tree __attribute__ ((cleanup (tree_freep)))

static char *
read_stream (FILE *f, const char *what, ocirt_error_t *err)
{
  char *buf = malloc (NET_MAX_INPUT + 1);
  if (buf == NULL)
    abort ();
  size_t n = fread (buf, 1, NET_MAX_INPUT, f);
  if (ferror (f) || n == NET_MAX_INPUT)
    {
      free (buf);
      make_error (err, ferror (f) ? errno : EFBIG, "read %s", what);
      return NULL;
    }
  buf[n] = '\0';
  return buf;
}

static yajl_val
parse_json_file (const char *path, ocirt_error_t *err)
{
  cleanup_fclose FILE *f = fopen (path, "re");
  char errbuf[256] = "";
  if (f == NULL)
    {
      make_error (err, errno, "open \"%s\"", path);
      return NULL;
    }
  cleanup_free char *text = read_stream (f, path, err);
  if (text == NULL)
    return NULL;
  yajl_val v = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (v == NULL)
    make_error (err, 0, "parse \"%s\": %s", path, errbuf);
  return v;
}

/* The container state the runtime gives a hook on stdin: id and pid. */
static int
read_hook_state (char **id, long long *pid, ocirt_error_t *err)
{
  char errbuf[256] = "";
  cleanup_free char *text = read_stream (stdin, "container state from stdin", err);
  if (text == NULL)
    return -1;
  cleanup_tree yajl_val st = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (st == NULL)
    return make_error (err, 0, "parse container state from stdin: %s", errbuf);
  const char *id_path[] = { "id", NULL }, *pid_path[] = { "pid", NULL };
  yajl_val v = yajl_tree_get (st, id_path, yajl_t_string);
  if (v == NULL || !net_state_valid_id (YAJL_GET_STRING (v)))
    return make_error (err, 0, "container state: missing or invalid \"id\"");
  *id = strdup (v->u.string);
  v = yajl_tree_get (st, pid_path, yajl_t_number);
  *pid = v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
  return 0;
}

/* Field 22 of /proc/PID/stat (start time in clock ticks), or NULL. */
static char *
pid_start_time (long long pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%lld/stat", pid);
  cleanup_fclose FILE *f = fopen (path, "re");
  char buf[1024];
  if (f == NULL || fgets (buf, sizeof buf, f) == NULL)
    return NULL;
  /* The command name may hold spaces and ')': count fields after the last. */
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return NULL;
  char *save = NULL, *tok = strtok_r (p + 1, " ", &save);
  for (int field = 3; tok && field < 22; field++)
    tok = strtok_r (NULL, " ", &save);
  return tok ? strdup (tok) : NULL;
}

static int
mkdir_p (const char *path, mode_t mode, ocirt_error_t *err)
{
  cleanup_free char *p = strdup (path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return make_error (err, errno, "mkdir \"%s\"", p);
        *s = '/';
      }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return make_error (err, errno, "mkdir \"%s\"", p);
  return 0;
}

static char *
pin_path (const struct net_opts *o, const char *id)
{
  char *p = NULL;
  if (asprintf (&p, "%s/" NET_STATE_NETNS_SUBDIR "/%s", o->state_dir, id) < 0)
    abort ();
  return p;
}

static bool
is_pinned_netns (const char *path)
{
  struct statfs sf;
  return statfs (path, &sf) == 0 && (unsigned long) sf.f_type == NSFS_MAGIC_VALUE;
}

/* Keep the netns of `pid` alive at `path` with a bind mount. */
static int
pin_netns (long long pid, const char *path, ocirt_error_t *err)
{
  char src[64];
  snprintf (src, sizeof src, "/proc/%lld/ns/net", pid);
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0)
    return make_error (err, errno, "create netns pin \"%s\"", path);
  if (mount (src, path, NULL, MS_BIND, NULL) < 0)
    {
      int saved = errno;
      unlink (path);
      return make_error (err, saved, "bind mount \"%s\" on \"%s\"", src, path);
    }
  return 0;
}

static void
unpin_netns (const char *path)
{
  while (is_pinned_netns (path) && umount2 (path, MNT_DETACH) == 0)
    ;
  unlink (path);
}

static int
enter_host_netns (const char *path, ocirt_error_t *err)
{
  if (path == NULL)
    return 0;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open host netns \"%s\"", path);
  if (setns (fd, CLONE_NEWNET) < 0)
    return make_error (err, errno, "setns to host netns \"%s\"", path);
  return 0;
}

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  json_gen_str (g, k);
  if (v)
    json_gen_str (g, v);
  else
    yajl_gen_null (g);
}

static int
write_record (const struct net_opts *o, const char *id, long long pid, const char *start,
              const char *netns, yajl_val conflist, yajl_val result, ocirt_error_t *err)
{
  cleanup_free char *path = net_state_record_path (o->state_dir, id);
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  gen_kv (g, NET_REC_ID, id);
  json_gen_str (g, NET_REC_PID);
  yajl_gen_integer (g, pid);
  gen_kv (g, NET_REC_PID_START, start);
  gen_kv (g, NET_REC_NETNS, netns);
  gen_kv (g, NET_REC_HOST_NETNS, o->host_netns);
  gen_kv (g, NET_REC_IFNAME, o->ifname);
  gen_kv (g, NET_REC_CNI_PATH, o->cni_path);
  json_gen_str (g, NET_REC_CONFLIST);
  cni_gen_value (g, conflist);
  json_gen_str (g, NET_REC_RESULT);
  cni_gen_value (g, result);
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  int ret = write_file_atomic (path, (const char *) buf, len, 0600, err);
  yajl_gen_free (g);
  return ret;
}

static int
net_add (struct net_opts *o, ocirt_error_t *err)
{
  cleanup_free char *id = NULL;
  long long pid = 0;
  char errbuf[256] = "";

  if (read_hook_state (&id, &pid, err) < 0)
    return -1;
  if (pid <= 0)
    return make_error (err, 0, "container \"%s\": the state has no pid (is it created?)", id);
  cleanup_tree yajl_val conflist = parse_json_file (o->conflist, err);
  if (conflist == NULL || cni_conflist_validate (conflist, err) < 0)
    return wrap_error (err, "load conflist \"%s\"", o->conflist);
  cleanup_free char *start = pid_start_time (pid);
  if (start == NULL)
    return make_error (err, ESRCH, "container \"%s\": read start time of pid %lld", id, pid);

  cleanup_free char *netns_dir = NULL;
  if (asprintf (&netns_dir, "%s/" NET_STATE_NETNS_SUBDIR, o->state_dir) < 0)
    abort ();
  if (mkdir_p (o->state_dir, 0700, err) < 0 || mkdir_p (netns_dir, 0700, err) < 0)
    return -1;
  cleanup_free char *rec = net_state_record_path (o->state_dir, id);
  if (access (rec, F_OK) == 0)
    return make_error (err, EEXIST, "container \"%s\" already has a network record \"%s\"", id, rec);
  cleanup_free char *pin = pin_path (o, id);
  if (pin_netns (pid, pin, err) < 0)
    return -1;
  if (enter_host_netns (o->host_netns, err) < 0)
    {
      unpin_netns (pin);
      return -1;
    }

  struct cni_call call = {
    .command = "ADD", .container_id = id, .netns = pin, .ifname = o->ifname, .cni_path = o->cni_path,
  };
  cleanup_free char *result_text = NULL;
  if (cni_conflist_add (&call, conflist, &result_text, err) < 0)
    {
      unpin_netns (pin);
      return wrap_error (err, "container \"%s\": network \"%s\"", id, cni_string (conflist, "name"));
    }
  cleanup_tree yajl_val result = yajl_tree_parse (result_text, errbuf, sizeof errbuf);
  if (write_record (o, id, pid, start, pin, conflist, result, err) < 0)
    {
      call.command = "DEL";
      ocirt_error_t ignored = NULL;
      cni_conflist_del (&call, conflist, result, &ignored);
      error_release (&ignored);
      unpin_netns (pin);
      return -1;
    }
  fputs (result_text, stdout);
  return 0;
}

/* DEL the network recorded for `id`; a missing record is not an error
 * (DEL is idempotent, and a poststop may follow a failed ADD). */
static int
del_recorded (struct net_opts *o, const char *id, ocirt_error_t *err)
{
  cleanup_free char *rec_path = net_state_record_path (o->state_dir, id);
  if (rec_path == NULL)
    return make_error (err, 0, "invalid container id \"%s\"", id);
  if (access (rec_path, F_OK) < 0 && errno == ENOENT)
    return 0;
  cleanup_tree yajl_val rec = parse_json_file (rec_path, err);
  if (rec == NULL)
    return -1;
  const char *conf_path[] = { NET_REC_CONFLIST, NULL }, *res_path[] = { NET_REC_RESULT, NULL };
  yajl_val conflist = yajl_tree_get (rec, conf_path, yajl_t_object);
  yajl_val result = yajl_tree_get (rec, res_path, yajl_t_object);
  if (conflist == NULL || cni_conflist_validate (conflist, err) < 0)
    return wrap_error (err, "record \"%s\"", rec_path);

  /* The plugins run where ADD ran them. Once there we stay: gc's next DEL
   * is refused below if it recorded another namespace. */
  const char *host = cni_string (rec, NET_REC_HOST_NETNS);
  if (host && (o->host_netns == NULL || strcmp (host, o->host_netns) != 0))
    {
      if (o->host_netns)
        return make_error (err, 0, "record \"%s\": made in host netns \"%s\", not \"%s\"", rec_path, host,
                           o->host_netns);
      if (enter_host_netns (host, err) < 0)
        return wrap_error (err, "record \"%s\"", rec_path);
      o->host_netns = host;
    }
  else if (host == NULL && o->host_netns)
    return make_error (err, 0, "record \"%s\": made in the runtime's netns, not \"%s\"", rec_path,
                       o->host_netns);

  const char *pin = cni_string (rec, NET_REC_NETNS);
  const char *ifname = cni_string (rec, NET_REC_IFNAME);
  const char *cni_path = cni_string (rec, NET_REC_CNI_PATH);
  struct cni_call call = {
    .command = "DEL",
    .container_id = id,
    /* A netns that is gone is passed as "", as the CNI spec allows. */
    .netns = pin && is_pinned_netns (pin) ? pin : "",
    .ifname = ifname ? ifname : DEFAULT_IFNAME,
    .cni_path = cni_path ? cni_path : o->cni_path,
  };
  if (cni_conflist_del (&call, conflist, result, err) < 0)
    return wrap_error (err, "container \"%s\": network \"%s\"", id, cni_string (conflist, "name"));
  if (pin)
    unpin_netns (pin);
  if (unlink (rec_path) < 0 && errno != ENOENT)
    return make_error (err, errno, "remove \"%s\"", rec_path);
  return 0;
}

static int
net_del (struct net_opts *o, ocirt_error_t *err)
{
  cleanup_free char *id = NULL;
  long long pid = 0;
  if (read_hook_state (&id, &pid, err) < 0)
    return -1;
  if (enter_host_netns (o->host_netns, err) < 0)
    return -1;
  return del_recorded (o, id, err);
}

/* True while the record's container process (pid and start time) lives. */
static bool
record_alive (const char *rec_path)
{
  ocirt_error_t e = NULL;
  cleanup_tree yajl_val rec = parse_json_file (rec_path, &e);
  error_release (&e);
  if (rec == NULL)
    return true; /* unreadable: leave it to a human */
  const char *pid_path[] = { NET_REC_PID, NULL };
  yajl_val pid = yajl_tree_get (rec, pid_path, yajl_t_number);
  const char *start = cni_string (rec, NET_REC_PID_START);
  if (pid == NULL || !YAJL_IS_INTEGER (pid) || start == NULL)
    return true;
  cleanup_free char *now = pid_start_time (YAJL_GET_INTEGER (pid));
  return now && strcmp (now, start) == 0;
}

static int
net_gc (struct net_opts *o, ocirt_error_t *err)
{
  DIR *d = opendir (o->state_dir);
  struct dirent *de;
  int ret = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : make_error (err, errno, "open \"%s\"", o->state_dir);
  if (enter_host_netns (o->host_netns, err) < 0)
    {
      closedir (d);
      return -1;
    }
  while ((de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (n <= 5 || strcmp (de->d_name + n - 5, ".json") != 0)
        continue;
      cleanup_free char *id = strndup (de->d_name, n - 5);
      cleanup_free char *rec_path = net_state_record_path (o->state_dir, id);
      if (rec_path == NULL || record_alive (rec_path))
        continue;
      /* Each DEL in a child: a record may move it into its own host netns. */
      fflush (stdout);
      pid_t pid = fork ();
      if (pid == 0)
        {
          ocirt_error_t e = NULL;
          if (del_recorded (o, id, &e) < 0)
            {
              fprintf (stderr, "ocirt-net: gc: %s\n", e->message);
              _exit (1);
            }
          printf ("%s\n", id);
          fflush (stdout);
          _exit (0);
        }
      int status = 1;
      if (pid < 0 || waitpid (pid, &status, 0) < 0 || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
        ret = make_error (err, 0, "gc: some stale records could not be removed");
    }
  closedir (d);
  return ret;
}

static int
net_ip (struct net_opts *o, const char *id, ocirt_error_t *err)
{
  cleanup_free char *addr = net_state_address_in (o->state_dir, id);
  if (addr == NULL)
    return make_error (err, 0, "container \"%s\": no address recorded in \"%s\"", id, o->state_dir);
  printf ("%s\n", addr);
  return 0;
}

static void
usage (FILE *f)
{
  fputs ("Usage: ocirt-net add|del [options]   (container state JSON on stdin)\n"
         "       ocirt-net gc [options]        DEL the records of containers that are gone\n"
         "       ocirt-net ip [options] ID     print a container's address\n\n"
         "Options:\n"
         "   --conflist FILE        network config list (default: " DEFAULT_CONFLIST ")\n"
         "   --cni-path DIRS        plugin directories, ':'-separated (default: " CNI_DEFAULT_PATH ")\n"
         "   --state-dir DIR        where records are kept (default: " NET_STATE_DIR ")\n"
         "   --netns-of-host PATH   run the plugins in the network namespace at PATH\n"
         "   --ifname NAME          interface in the container (default: " DEFAULT_IFNAME ")\n"
         "   --help, -h             show help\n",
         f);
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "conflist", required_argument, NULL, 'c' },   { "cni-path", required_argument, NULL, 'p' },
    { "state-dir", required_argument, NULL, 's' },  { "netns-of-host", required_argument, NULL, 'n' },
    { "ifname", required_argument, NULL, 'i' },     { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct net_opts o = {
    .conflist = DEFAULT_CONFLIST, .cni_path = CNI_DEFAULT_PATH, .state_dir = NET_STATE_DIR,
    .ifname = DEFAULT_IFNAME,
  };
  ocirt_error_t err = NULL;
  int c, ret;

  while ((c = getopt_long (argc, argv, "h", options, NULL)) != -1)
    switch (c)
      {
      case 'c': o.conflist = optarg; break;
      case 'p': o.cni_path = optarg; break;
      case 's': o.state_dir = optarg; break;
      case 'n': o.host_netns = optarg; break;
      case 'i': o.ifname = optarg; break;
      case 'h': usage (stdout); return 0;
      default: usage (stderr); return 2;
      }
  if (getenv ("PATH") == NULL)
    setenv ("PATH", FALLBACK_PATH, 1);
  const char *cmd = optind < argc ? argv[optind++] : "";
  int nargs = argc - optind;
  if (strcmp (cmd, "add") == 0 && nargs == 0)
    ret = net_add (&o, &err);
  else if (strcmp (cmd, "del") == 0 && nargs == 0)
    ret = net_del (&o, &err);
  else if (strcmp (cmd, "gc") == 0 && nargs == 0)
    ret = net_gc (&o, &err);
  else if (strcmp (cmd, "ip") == 0 && nargs == 1)
    ret = net_ip (&o, argv[optind], &err);
  else
    {
      usage (stderr);
      return 2;
    }
  if (ret < 0)
    {
      fprintf (stderr, "ocirt-net %s: %s\n", cmd, err ? err->message : "failed");
      error_release (&err);
      return 1;
    }
  return 0;
}
