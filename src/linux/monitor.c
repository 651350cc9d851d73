/* monitor.c - see monitor.h. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../util/cleanup.h"

static int
annotation_bytes (const struct oci_config *cfg, const char *key, uint64_t *out, ocirt_error_t *err)
{
  const char *v = oci_annotation (cfg, key);
  char *end;
  if (v == NULL)
    return 0;
  errno = 0;
  unsigned long long n = strtoull (v, &end, 10);
  if (*v == '\0' || *end || errno || v[0] == '-')
    return make_error (err, 0, "annotations[\"%s\"]: \"%s\" is not a number of bytes", key, v);
  *out = n;
  return 1;
}

bool
monitor_limits_from_config (const struct oci_config *cfg, struct monitor_limits *l, ocirt_error_t *err)
{
  const struct oci_memory *m = cfg->linux_ && cfg->linux_->resources ? cfg->linux_->resources->memory : NULL;
  memset (l, 0, sizeof *l);
  /* -1 and 0 mean "no limit" in the spec's memory fields. */
  if (m && m->has_reservation && m->reservation > 0)
    l->soft = (uint64_t) m->reservation;
  if (m && m->has_limit && m->limit > 0)
    l->hard = (uint64_t) m->limit;
  if (annotation_bytes (cfg, MONITOR_ANNOTATION_SOFT, &l->soft, err) < 0
      || annotation_bytes (cfg, MONITOR_ANNOTATION_HARD, &l->hard, err) < 0)
    return false;
  /* The module refuses soft above hard; a reservation above the limit means
   * the soft limit can never warn before the hard one, so drop it. */
  if (l->soft && l->hard && l->soft > l->hard)
    l->soft = 0;
  return l->soft || l->hard;
}

int
monitor_register (const struct log_sink *log, pid_t pid, const char *id, const struct monitor_limits *l,
                  ocirt_error_t *err)
{
  cleanup_close int fd = open (CMON_DEVICE_PATH, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
        {
          log_debug (log, "%s not present: memory limits are enforced by cgroups alone", CMON_DEVICE_PATH);
          return 0;
        }
      return make_error (err, errno, "open %s", CMON_DEVICE_PATH);
    }
  struct cmon_register r = { .pid = (uint32_t) pid, .soft_limit = l->soft, .hard_limit = l->hard };
  snprintf (r.id, sizeof r.id, "%s", id);
  if (ioctl (fd, CMON_IOC_REGISTER, &r) < 0)
    return make_error (err, errno, "register pid %d with %s (soft %" PRIu64 ", hard %" PRIu64 ")", (int) pid,
                       CMON_DEVICE_PATH, l->soft, l->hard);
  log_debug (log, "registered pid %d with %s: soft %" PRIu64 ", hard %" PRIu64, (int) pid, CMON_DEVICE_PATH,
             l->soft, l->hard);
  return 0;
}

void
monitor_unregister (pid_t pid)
{
  cleanup_close int fd = open (CMON_DEVICE_PATH, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return;
  struct cmon_unregister u = { .pid = (uint32_t) pid };
  /* ENOENT: the module already dropped an exited process. */
  ioctl (fd, CMON_IOC_UNREGISTER, &u);
}

int
monitor_open_events (void)
{
  return open (CMON_DEVICE_PATH, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

int
monitor_read_event (int fd, const char *id, struct cmon_event *ev)
{
  for (;;)
    {
      ssize_t r = read (fd, ev, sizeof *ev);
      if (r < 0 && errno == EINTR)
        continue;
      if (r != (ssize_t) sizeof *ev)
        return 0;
      ev->id[sizeof ev->id - 1] = '\0';
      if (strcmp (ev->id, id) == 0)
        return 1;
    }
}
