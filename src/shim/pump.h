/* pump.h - the shim's log pipeline: container pipes -> ring -> log file.
 *
 * Owns: two threads. A producer epolls the read ends of the container's
 * stdout and stderr pipes and reads every chunk straight into a bounded
 * ringbuf, tagged with its stream and read time; a consumer hands the
 * records, in place, to a logfile_writer (see logfile.h for the format),
 * which writes them from the ring with writev(2), and gives the space back
 * once written. Memory is bounded by `buffer_bytes` plus the writer's fixed
 * buffers, whatever the output rate: when the disk is slower than the
 * container, the ring fills, the producer blocks, the pipes fill, and the
 * container's write() blocks.
 *
 * Must never: drop or reorder a byte of one stream while the log file is
 * writable, touch the shim's signal handling (both threads block every
 * signal), or outlive log_pump_join().
 *
 * If writing the log file fails (for example the disk is full), the consumer
 * keeps draining the ring and discards the rest, so the container is never
 * stalled forever by its log; the error is returned by log_pump_join().
 */
#ifndef OCIRT_SHIM_PUMP_H
#define OCIRT_SHIM_PUMP_H

#include <stddef.h>

#include "../util/error.h"

/* A ring this size keeps both threads busy on a 1 GiB copy; see
 * tests/bench/log_throughput.c. */
#define LOG_PUMP_DEFAULT_BUFFER (1024 * 1024)

struct log_pump;

/* Start pumping. Takes ownership of both fds (closed on EOF, or here on
 * failure); either may be -1 when that stream is absent, e.g. when stdout
 * and stderr share one pipe. buffer_bytes 0 means LOG_PUMP_DEFAULT_BUFFER.
 * Returns NULL with *err set when the log file cannot be opened or a thread
 * cannot start. */
struct log_pump *log_pump_start (int stdout_fd, int stderr_fd, const char *log_path,
                                 size_t buffer_bytes, ocirt_error_t *err);

/* Wait until both pipes reached EOF and every byte is written and flushed,
 * then free `p`. Returns 0, or -1 with *err set from the first failure. */
int log_pump_join (struct log_pump *p, ocirt_error_t *err);

/* log_pump_start() followed by log_pump_join(). */
int log_pump_run (int stdout_fd, int stderr_fd, const char *log_path, size_t buffer_bytes,
                  ocirt_error_t *err);

#endif
