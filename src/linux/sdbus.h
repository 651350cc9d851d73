/* sdbus.h - a connection to systemd's D-Bus API through libsystemd's
 * sd-bus, loaded with dlopen only when the systemd cgroup driver is used.
 *
 * Owns: the dlopen of libsystemd.so.0 and the table of the few sd_bus_*
 * functions ocirt calls, and the choice of socket (systemd's private one
 * as root, else the system bus). Every other ocirt invocation never loads
 * libsystemd: ocirt links its libraries statically to spare the dynamic
 * loader, and libsystemd pulls in a dozen more.
 * Must never: be linked against libsystemd, or keep global state: the
 * table lives in the connection object and dies with it.
 */
#ifndef OCIRT_SDBUS_H
#define OCIRT_SDBUS_H

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "../util/error.h"

#define SDBUS_LIBRARY "libsystemd.so.0"
#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"

/* The functions of libsystemd that ocirt uses, by their own types (the
 * header is used for types only). */
struct sdbus_api
{
  typeof (sd_bus_new) *bus_new;
  typeof (sd_bus_set_address) *bus_set_address;
  typeof (sd_bus_start) *bus_start;
  typeof (sd_bus_open_system) *bus_open_system;
  typeof (sd_bus_set_bus_client) *bus_set_bus_client;
  typeof (sd_bus_get_property_string) *get_property_string;
  typeof (sd_bus_flush_close_unref) *bus_flush_close_unref;
  typeof (sd_bus_message_new_method_call) *message_new_method_call;
  typeof (sd_bus_message_append) *message_append;
  typeof (sd_bus_message_append_basic) *message_append_basic;
  typeof (sd_bus_message_append_array) *message_append_array;
  typeof (sd_bus_message_open_container) *message_open_container;
  typeof (sd_bus_message_close_container) *message_close_container;
  typeof (sd_bus_message_read) *message_read;
  typeof (sd_bus_message_unref) *message_unref;
  typeof (sd_bus_call) *call;
  typeof (sd_bus_call_method) *call_method;
  typeof (sd_bus_match_signal) *match_signal;
  typeof (sd_bus_slot_unref) *slot_unref;
  typeof (sd_bus_process) *process;
  typeof (sd_bus_wait) *wait;
  typeof (sd_bus_error_free) *error_free;
};

struct sdbus
{
  void *lib;              /* dlopen handle */
  struct sdbus_api f;
  sd_bus *bus;
  bool direct;            /* systemd's private socket, not the bus daemon */
};

/* Load libsystemd and connect to systemd (the private socket when it can be
 * opened, which saves the bus daemon's hop; else the system bus). With user
 * (a rootless caller, as runc's systemd driver when rootless), to the
 * caller's own systemd through its session bus instead (sdbus_user_address). */
int sdbus_open (struct sdbus *b, bool user, ocirt_error_t *err);

/* The caller's session bus, as runc finds it: $DBUS_SESSION_BUS_ADDRESS,
 * else unix:path=$XDG_RUNTIME_DIR/bus; NULL (and err) when neither is set. */
char *sdbus_user_address (ocirt_error_t *err);
void sdbus_close (struct sdbus *b);

/* "<name>: <message>" of a failed call, or the errno text. */
int sdbus_error (ocirt_error_t *err, int r, const sd_bus_error *e, const char *fmt, ...)
  __attribute__ ((format (printf, 4, 5)));

#define cleanup_sdbus __attribute__ ((cleanup (sdbus_close)))

#endif
