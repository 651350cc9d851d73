/* sync.c - see sync.h. */
#include "sync.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

#define SYNC_PAYLOAD_MAX (64 * 1024)

/* send(2) with MSG_NOSIGNAL, not write(2): a peer that died must give
 * EPIPE here, not kill us with SIGPIPE. */
static int
send_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = send (fd, p, len, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

static int
read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0)
    {
      ssize_t r = read (fd, p, len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        {
          errno = EPIPE;
          return -1;
        }
      p += r;
      len -= (size_t) r;
    }
  return 0;
}

int
sync_send (int fd, enum sync_type type, int32_t value, const char *payload,
           ocirt_error_t *err)
{
  size_t plen = payload ? strlen (payload) : 0;
  if (plen > SYNC_PAYLOAD_MAX)
    plen = SYNC_PAYLOAD_MAX;
  struct sync_msg msg = { .type = type, .value = value, .len = (uint32_t) plen };
  if (send_all (fd, &msg, sizeof msg) < 0 || (plen && send_all (fd, payload, plen) < 0))
    return make_error (err, errno, "sync: send message %d", type);
  return 0;
}

int
sync_send_filtered (int fd, enum sync_type type, int32_t value, ocirt_error_t *err)
{
  struct sync_msg msg = { .type = type, .value = value, .len = 0 };
  if (write_all (fd, &msg, sizeof msg) < 0)
    return make_error (err, errno, "sync: send message %d", type);
  return 0;
}

int
sync_recv (int fd, struct sync_msg *msg, char **payload, ocirt_error_t *err)
{
  *payload = NULL;
  if (read_all (fd, msg, sizeof *msg) < 0)
    {
      if (errno == EPIPE)
        return make_error (err, 0, "container init exited before it was set up");
      return make_error (err, errno, "sync: receive message");
    }
  if (msg->len > SYNC_PAYLOAD_MAX)
    return make_error (err, EPROTO, "sync: oversized message");
  cleanup_free char *buf = malloc (msg->len + 1);
  if (buf == NULL)
    return make_error (err, errno, "sync: allocate");
  if (msg->len && read_all (fd, buf, msg->len) < 0)
    return make_error (err, errno, "sync: receive payload");
  buf[msg->len] = '\0';
  *payload = steal_pointer (&buf);
  return 0;
}

void
sync_send_error (int fd, ocirt_error_t err)
{
  ocirt_error_t ignored = NULL;
  const char *text = err ? err->message : "unknown error";
  if (sync_send (fd, SYNC_ERROR, err ? err->errno_value : 0, text, &ignored) < 0 && ignored->errno_value != EPIPE)
    {
      /* The child's seccomp filter may refuse send(2) but not write(2);
       * SIGPIPE is ignored so a parent that has gone cannot kill us. */
      size_t plen = strnlen (text, SYNC_PAYLOAD_MAX);
      struct sync_msg msg = { .type = SYNC_ERROR, .value = err ? err->errno_value : 0, .len = (uint32_t) plen };
      signal (SIGPIPE, SIG_IGN);
      if (write_all (fd, &msg, sizeof msg) == 0)
        write_all (fd, text, plen);
    }
  error_release (&ignored);
}

int
sync_expect (int fd, enum sync_type want, int32_t *value, ocirt_error_t *err)
{
  struct sync_msg msg;
  cleanup_free char *payload = NULL;

  if (sync_recv (fd, &msg, &payload, err) < 0)
    return -1;
  if (msg.type == SYNC_ERROR)
    {
      /* The child's message already carries its errno text. */
      make_error (err, 0, "%s", payload);
      (*err)->errno_value = msg.value;
      return -1;
    }
  if (msg.type != (uint32_t) want)
    return make_error (err, EPROTO, "sync: expected message %d, got %u", want, msg.type);
  if (value)
    *value = msg.value;
  return 0;
}
