/* events.h - the event lines `ocirt events` prints, for other producers.
 *
 * Owns: the one place where an event is formatted, so that every kind of
 * event (stats, oom, and those added later such as the kernel monitor's)
 * has runc's shape:
 *   {"type":"<type>","id":"<container id>","data":<data>}
 * one compact JSON object per line, flushed at once.
 */
#ifndef OCIRT_CLI_EVENTS_H
#define OCIRT_CLI_EVENTS_H

#include <stdio.h>

#include "../util/error.h"

/* Print one event to out. data_json is a JSON document (any value) or NULL
 * for an event without data (runc's "oom" has none); it is parsed and
 * re-emitted, so malformed data is refused rather than printed. Returns 0,
 * or -1 with *err set (bad data_json, or a write error on out).
 *
 * A producer that runs inside `ocirt events`' loop (the kernel monitor, for
 * example) calls this with stdout and its own type, e.g.
 *   events_emit (stdout, "monitor", id, "{\"reason\":\"rss\",\"value\":123}", err);
 */
int events_emit (FILE *out, const char *type, const char *id, const char *data_json,
                 ocirt_error_t *err);

#endif
