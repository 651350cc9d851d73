/* log.c - see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

int
log_open (struct log_sink *sink, const char *path, enum log_format format)
{
  sink->format = format;
  sink->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  return sink->fd < 0 ? -1 : 0;
}

void
log_close (struct log_sink *sink)
{
  if (sink->fd >= 0)
    close (sink->fd);
  sink->fd = -1;
}

static void
rfc3339_seconds (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Escape for a JSON string or a logrus quoted value: both accept \" \\ \n
 * \t and \u00XX for control bytes. Bytes >= 0x80 pass through (UTF-8). */
static char *
escape (const char *s)
{
  size_t n = strlen (s);
  char *out = malloc (n * 6 + 1);
  char *o = out;
  if (out == NULL)
    return NULL;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          *o++ = '\\';
          *o++ = (char) *p;
        }
      else if (*p == '\n')
        o += sprintf (o, "\\n");
      else if (*p == '\t')
        o += sprintf (o, "\\t");
      else if (*p < 0x20)
        o += sprintf (o, "\\u%04x", *p);
      else
        *o++ = (char) *p;
    }
  *o = '\0';
  return out;
}

/* A log line that cannot be written has nowhere else to go: dropped. */
static void
write_line (int fd, const char *line)
{
  (void) write_all (fd, line, strlen (line));
}

static void
emit (const struct log_sink *sink, const char *level, const char *msg)
{
  char when[64];
  cleanup_free char *esc = escape (msg);
  cleanup_free char *line = NULL;
  int fd = sink->fd >= 0 ? sink->fd : STDERR_FILENO;
  /* Debug lines are for tools that parse runc's: on stderr too they keep
   * logrus' shape (text or JSON), as runc --debug writes them. */
  bool shaped = sink->fd >= 0 || strcmp (level, "debug") == 0;
  int r;

  if (esc == NULL)
    return;
  rfc3339_seconds (when, sizeof when);
  if (sink->format == LOG_FORMAT_JSON && shaped)
    {
      if (asprintf (&line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level, esc, when) < 0)
        return;
    }
  else if (!shaped)
    {
      /* On stderr the message is for a person (and for podman, which
       * searches it for errno words): plain, unescaped text. */
      if (strcmp (level, "error") == 0)
        r = asprintf (&line, "ocirt: %s\n", msg);
      else
        r = asprintf (&line, "ocirt: %s: %s\n", level, msg);
      if (r < 0)
        return;
    }
  else if (asprintf (&line, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, esc) < 0)
    return;
  write_line (fd, line);
}

void
log_write (const struct log_sink *sink, const char *level, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    emit (sink, level, msg);
}

void
log_fatal (const struct log_sink *sink, const char *message)
{
  emit (sink, "error", message);
  if (sink->fd >= 0)
    {
      write_line (STDERR_FILENO, message);
      write_line (STDERR_FILENO, "\n");
    }
}
