/* log.h - where ocirt's own diagnostics go.
 *
 * Owns: the one place that prints errors, warnings and debug lines, in the
 * two shapes managers parse: runc's logrus text on stderr, and one JSON
 * object per line ({"level","msg","time"}) in the --log file with
 * --log-format json. containerd keeps the last "error" line of that file, so
 * nothing else may ever be written to it.
 */
#ifndef OCIRT_LOG_H
#define OCIRT_LOG_H

#include <stdbool.h>

enum log_format
{
  LOG_FORMAT_TEXT,
  LOG_FORMAT_JSON,
};

struct log_sink
{
  int fd;                 /* --log file, or -1 */
  enum log_format format;
  bool debug;
};

/* Open the --log file (append). Returns 0, or -1 with errno. */
int log_open (struct log_sink *sink, const char *path, enum log_format format);
void log_close (struct log_sink *sink);

/* level: "error", "warning", "info" or "debug". */
void log_write (const struct log_sink *sink, const char *level, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));

#define log_debug(sink, ...)                                                    \
  do                                                                            \
    {                                                                           \
      if ((sink)->debug)                                                        \
        log_write ((sink), "debug", __VA_ARGS__);                               \
    }                                                                           \
  while (0)

/* Report the final error of a command: to the log sink, and also as a plain
 * line on stderr when a log file is in use (podman falls back to stderr). */
void log_fatal (const struct log_sink *sink, const char *message);

#endif
