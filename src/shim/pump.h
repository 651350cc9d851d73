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
 * stalled forever by its log; the error is passed to the on_error hook as it
 * happens and returned by log_pump_join().
 *
 * The caller's copy (tee): each stream may also be copied, as read, to a
 * file or pipe of the caller's (options.tee_fds). The producer copies a
 * chunk after committing it to the ring, so the log never waits for the
 * caller. A full pipe holds the producer back (and so the container, as
 * runc's direct pipe would) for at most TEE_STALL_MS without progress; then,
 * or at once when the pipe's reader is gone, that copy is given up with a
 * "warning" through on_error, and only the log goes on. A pipe tee_fd must be
 * O_NONBLOCK.
 */
#ifndef OCIRT_SHIM_PUMP_H
#define OCIRT_SHIM_PUMP_H

#include <stddef.h>

#include "../util/error.h"

/* The ring need not hold much: the container's pipes, enlarged to 1 MiB
 * each (kernel memory, not the shim's), are where output waits while the
 * shim is off the CPU. Measured with tests/bench/log_e2e.py (256 MiB of
 * short lines): this size takes about the CPU per MiB of a 1 MiB ring, and
 * half the producer's and a third of the consumer's context switches of a
 * 128 KiB one, for 0.13 MiB more resident memory under load. */
#define LOG_PUMP_DEFAULT_BUFFER (256 * 1024)

struct log_pump;

struct log_pump_options
{
  int tee_fds[2];  /* copies of stdout and stderr for the caller, or -1 */
  /* Called from a pump thread for each failure the pump survives: `level`
   * is "error" (the log lost data) or "warning" (a caller's copy ended). */
  void (*on_error) (void *arg, const char *level, ocirt_error_t e);
  void *arg;
};

/* Start pumping. Takes ownership of both fds and of opts' tee_fds (closed
 * on EOF, or here on failure); either may be -1 when that stream is absent,
 * e.g. when stdout and stderr share one pipe. buffer_bytes 0 means
 * LOG_PUMP_DEFAULT_BUFFER; opts may be NULL (no copies, no hook). Returns
 * NULL with *err set when the log file cannot be opened or a thread cannot
 * start. */
struct log_pump *log_pump_start (int stdout_fd, int stderr_fd, const char *log_path,
                                 size_t buffer_bytes, const struct log_pump_options *opts,
                                 ocirt_error_t *err);

/* Wait until both pipes reached EOF and every byte is written and flushed,
 * then free `p`. Returns 0, or -1 with *err set from the first failure. */
int log_pump_join (struct log_pump *p, ocirt_error_t *err);

/* log_pump_start() followed by log_pump_join(). */
int log_pump_run (int stdout_fd, int stderr_fd, const char *log_path, size_t buffer_bytes,
                  ocirt_error_t *err);

#endif
