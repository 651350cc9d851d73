/* logfile.h - the container log file: its format, its writer, its reader.
 *
 * Owns: the on-disk format of <state>/<id>/ container logs, the buffered
 * writer the shim's log pump feeds, and the reader behind `ocirt logs`.
 * Must never: lose, reorder or alter a content byte of one stream, or hold
 * more than a bounded amount of memory whatever the line lengths.
 *
 * Format
 * ------
 * The CRI log format that containerd and the kubelet use, so their tools
 * read it. One record per line:
 *
 *     <timestamp> <stream> <tag> <content>\n
 *
 *   timestamp  RFC 3339 in UTC with nine fractional digits, e.g.
 *              2026-11-22T06:00:00.123456789Z: when the shim read the bytes
 *              that completed the record. Fixed width, so the file sorts.
 *   stream     "stdout" or "stderr".
 *   tag        "F" when the content is a full line (the container wrote a
 *              '\n' after it, which is not stored), "P" when it is a part of
 *              a line that continues in the next record of the same stream.
 *   content    the bytes exactly as written, any value except '\n'.
 *
 * A logical line is zero or more P records of one stream followed by one F
 * record of that stream; records of the other stream may come between them.
 * P records appear when a line is longer than LOGFILE_RECORD_MAX, when the
 * container goes quiet in the middle of a line (the writer is flushed, see
 * logfile_writer_flush()), and for output that ended without a newline.
 * Readers join the parts; a trailing P with no F is a last unterminated line.
 */
#ifndef OCIRT_SHIM_LOGFILE_H
#define OCIRT_SHIM_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/error.h"

#define LOGFILE_STREAM_STDOUT 1
#define LOGFILE_STREAM_STDERR 2

/* Most content bytes in one record; longer lines are cut into P records. */
#define LOGFILE_RECORD_MAX (64 * 1024)
/* The writer's arena for the bytes it makes or copies (headers, held line
 * tails, copied content) before one writev(2); also the reader's output
 * buffer. It must hold one record of LOGFILE_RECORD_MAX made of a held tail
 * and copied content (see logfile.c); beyond that, a larger arena saves
 * few syscalls (about 20 writev(2) per MiB of short lines at this size)
 * and adds to the shim's resident memory under load. */
#define LOGFILE_WRITE_BUFFER (LOGFILE_RECORD_MAX + 16 * 1024)
/* strlen ("2026-11-22T06:00:00.123456789Z") */
#define LOGFILE_TIMESTAMP_LEN 30

struct logfile_writer;

/* Open (create, mode 0600, append) the log file at `path`. */
struct logfile_writer *logfile_writer_open (const char *path, ocirt_error_t *err);

/* Add `len` bytes that the container wrote to `stream` (LOGFILE_STREAM_*),
 * read at `timestamp_ns` (CLOCK_REALTIME). Complete lines become F records;
 * an unterminated tail is held (per stream) until its line continues, until
 * it reaches LOGFILE_RECORD_MAX, or until logfile_writer_flush(). Output is
 * buffered; nothing reaches the file before a flush or a full buffer. */
int logfile_write_chunk (struct logfile_writer *w, uint8_t stream, int64_t timestamp_ns,
                         const void *data, size_t len, ocirt_error_t *err);

/* logfile_write_chunk() without the copy: the writer keeps pointers to
 * `data` (all but an unterminated tail, which it copies) and writes from
 * there. The caller must keep `data` unchanged until the next
 * logfile_writer_write_queued(), logfile_writer_flush() or
 * logfile_writer_close() returns, successfully or not. */
int logfile_queue_chunk (struct logfile_writer *w, uint8_t stream, int64_t timestamp_ns,
                         const void *data, size_t len, ocirt_error_t *err);

/* Write everything queued so far to the file (held line tails stay held).
 * On failure the queued output is dropped, never written later. */
int logfile_writer_write_queued (struct logfile_writer *w, ocirt_error_t *err);

/* Write the held line tails as P records and the buffer to the file: call
 * when no more output is at hand, so readers following the file see it. */
int logfile_writer_flush (struct logfile_writer *w, ocirt_error_t *err);

/* Give the writer's buffers' pages back to the kernel, if nothing is
 * queued or held (after logfile_writer_flush()); returns whether it did. */
bool logfile_writer_trim (struct logfile_writer *w);

/* Flush, close and free `w` (always freed, also on error). NULL is a no-op. */
int logfile_writer_close (struct logfile_writer *w, ocirt_error_t *err);

/* Format `ns` since the epoch as the record timestamp; out gets
 * LOGFILE_TIMESTAMP_LEN characters plus a NUL. */
void logfile_format_timestamp (int64_t ns, char out[LOGFILE_TIMESTAMP_LEN + 1]);

struct logfile_print_opts
{
  /* Keep printing as the file grows, until stop(stop_opaque) returns true
   * (then print what is left and return). stop may be NULL: follow until
   * killed. */
  bool follow;
  bool (*stop) (void *opaque);
  void *stop_opaque;
  long tail;        /* print only the last N logical lines; -1 prints all */
  bool timestamps;  /* prefix each line with its timestamp and a space */
  unsigned streams; /* bit (1 << LOGFILE_STREAM_*) per stream; 0 = both */
};

/* Print the logical lines of the log at `path` to `out_fd` in file order
 * (the order in which they were completed), parts joined, each ended by a
 * '\n' except a last unterminated line. Malformed records are skipped. */
int logfile_print (const char *path, const struct logfile_print_opts *o, int out_fd,
                   ocirt_error_t *err);

#endif
