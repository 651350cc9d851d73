/* sdbus.c - see sdbus.h. */
#include "sdbus.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "idmap.h"
#include "../util/cleanup.h"

/* One row per function: its offset in the table and its name. */
#define SYM(field, name) { offsetof (struct sdbus_api, field), name }
static const struct
{
  size_t offset;
  const char *name;
} symbols[] = {
  SYM (bus_new, "sd_bus_new"),
  SYM (bus_set_address, "sd_bus_set_address"),
  SYM (bus_start, "sd_bus_start"),
  SYM (bus_open_system, "sd_bus_open_system"),
  SYM (bus_set_bus_client, "sd_bus_set_bus_client"),
  SYM (get_property_string, "sd_bus_get_property_string"),
  SYM (bus_flush_close_unref, "sd_bus_flush_close_unref"),
  SYM (message_new_method_call, "sd_bus_message_new_method_call"),
  SYM (message_append, "sd_bus_message_append"),
  SYM (message_append_basic, "sd_bus_message_append_basic"),
  SYM (message_append_array, "sd_bus_message_append_array"),
  SYM (message_open_container, "sd_bus_message_open_container"),
  SYM (message_close_container, "sd_bus_message_close_container"),
  SYM (message_read, "sd_bus_message_read"),
  SYM (message_unref, "sd_bus_message_unref"),
  SYM (call, "sd_bus_call"),
  SYM (call_method, "sd_bus_call_method"),
  SYM (match_signal, "sd_bus_match_signal"),
  SYM (slot_unref, "sd_bus_slot_unref"),
  SYM (process, "sd_bus_process"),
  SYM (wait, "sd_bus_wait"),
  SYM (error_free, "sd_bus_error_free"),
};

int
sdbus_error (ocirt_error_t *err, int r, const sd_bus_error *e, const char *fmt, ...)
{
  char what[512];
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (what, sizeof what, fmt, ap);
  va_end (ap);
  if (e && e->name)
    {
      make_error (err, 0, "%s: %s: %s", what, e->name, e->message ? e->message : "");
      (*err)->errno_value = r < 0 ? -r : 0;
      return -1;
    }
  return make_error (err, r < 0 ? -r : 0, "%s", what);
}

static int
load (struct sdbus *b, ocirt_error_t *err)
{
  b->lib = dlopen (SDBUS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (b->lib == NULL)
    return make_error (err, 0, "systemd cgroup driver: load %s (libsystemd0): %s", SDBUS_LIBRARY,
                       dlerror ());
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
    {
      void *p = dlsym (b->lib, symbols[i].name);
      if (p == NULL)
        return make_error (err, 0, "systemd cgroup driver: %s has no %s (too old)", SDBUS_LIBRARY,
                           symbols[i].name);
      memcpy ((char *) &b->f + symbols[i].offset, &p, sizeof p);
    }
  return 0;
}

/* systemd's private socket talks to PID 1 directly: no bus daemon, no
 * authorisation round trip, and systemd sends it every signal unasked. Only
 * root may connect. */
static int
open_private (struct sdbus *b)
{
  sd_bus *bus = NULL;
  int r;

  if (geteuid () != 0 || access (SYSTEMD_PRIVATE_SOCKET, F_OK) < 0)
    return -ENOENT;
  r = b->f.bus_new (&bus);
  if (r >= 0)
    r = b->f.bus_set_address (bus, "unix:path=" SYSTEMD_PRIVATE_SOCKET);
  if (r >= 0)
    r = b->f.bus_start (bus);
  if (r < 0)
    {
      if (bus)
        b->f.bus_flush_close_unref (bus);
      return r;
    }
  b->bus = bus;
  b->direct = true;
  return 0;
}

char *
sdbus_user_address (ocirt_error_t *err)
{
  const char *env = getenv ("DBUS_SESSION_BUS_ADDRESS");
  const char *run = getenv ("XDG_RUNTIME_DIR");
  char *addr = NULL;

  if (env && *env)
    addr = strdup (env);
  else if (run && *run && asprintf (&addr, "unix:path=%s/bus", run) < 0)
    addr = NULL;
  else if (run == NULL || *run == '\0')
    {
      make_error (err, 0,
                  "systemd cgroup driver (rootless, uid %u): no user bus: neither "
                  "$DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR is set",
                  idmap_outer_euid ());
      return NULL;
    }
  if (addr == NULL)
    abort ();
  return addr;
}

/* The user's systemd is reached through the session bus daemon, as a
 * client (Hello first); sd-bus authenticates by the socket's credentials,
 * which also holds inside a user namespace. */
static int
open_user (struct sdbus *b, ocirt_error_t *err)
{
  cleanup_free char *addr = sdbus_user_address (err);
  sd_bus *bus = NULL;
  int r;

  if (addr == NULL)
    return -1;
  r = b->f.bus_new (&bus);
  if (r >= 0)
    r = b->f.bus_set_address (bus, addr);
  if (r >= 0)
    r = b->f.bus_set_bus_client (bus, 1);
  if (r >= 0)
    r = b->f.bus_start (bus);
  if (r < 0)
    {
      unsigned uid = idmap_outer_euid ();
      if (bus)
        b->f.bus_flush_close_unref (bus);
      return make_error (err, -r,
                         "systemd cgroup driver (rootless, uid %u): connect to the user's systemd "
                         "on the bus \"%s\" (is user@%u.service running? a lingering user or a "
                         "login session starts it)",
                         uid, addr, uid);
    }
  b->bus = bus;
  return 0;
}

int
sdbus_open (struct sdbus *b, bool user, ocirt_error_t *err)
{
  int r;

  memset (b, 0, sizeof *b);
  if (load (b, err) < 0)
    {
      sdbus_close (b);
      return -1;
    }
  if (user)
    {
      if (open_user (b, err) < 0)
        {
          sdbus_close (b);
          return -1;
        }
      return 0;
    }
  if (open_private (b) == 0)
    return 0;
  r = b->f.bus_open_system (&b->bus);
  if (r < 0)
    {
      b->bus = NULL;
      sdbus_close (b);
      return make_error (err, -r, "systemd cgroup driver: connect to the system bus");
    }
  return 0;
}

void
sdbus_close (struct sdbus *b)
{
  if (b->bus)
    b->f.bus_flush_close_unref (b->bus);
  b->bus = NULL;
  if (b->lib)
    dlclose (b->lib);
  b->lib = NULL;
}
