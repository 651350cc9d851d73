/* duration.h - Go's time.ParseDuration, for flags such as `events
 * --interval 500ms` that managers pass in Go's format.
 *
 * Owns: the parsing only; it never sleeps or reads a clock.
 */
#ifndef OCIRT_DURATION_H
#define OCIRT_DURATION_H

#include <stdint.h>

#include "error.h"

/* "300ms", "1.5h", "2h45m", "1us", "0": a sequence of decimal numbers,
 * each with an optional fraction and a unit (ns, us, µs, ms, s, m, h); a
 * unitless value is allowed only for "0". Negative durations and values
 * over UINT64_MAX ns are refused. */
int duration_parse (const char *s, uint64_t *ns, ocirt_error_t *err);

#endif
