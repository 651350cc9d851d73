/* ringbuf.h - the bounded buffer between the shim's pipe readers and its
 * log writer.
 *
 * Owns: one fixed-capacity byte ring of records, each a 16-byte header
 * (length, stream id, read timestamp) followed by the data, padded to 16
 * bytes. The ring's memory is allocated once by ringbuf_new() and never
 * grows, so the shim's memory stays bounded whatever the container writes
 * (and ringbuf_trim() returns it while the container is quiet).
 * Producers (any number of threads) copy data in with ringbuf_put(), or one
 * producer at a time reads straight into the ring, without a copy, through
 * ringbuf_reserve() / ringbuf_commit(). Exactly one consumer thread reads
 * records in place, without a copy, through ringbuf_acquire() /
 * ringbuf_batch_next() / ringbuf_release().
 *
 * Must never: drop or reorder a byte of one producer, or allocate after
 * ringbuf_new(). When the ring is full, ringbuf_put() blocks; that stalls the
 * pipe reader, which stalls the container's write(): back-pressure is the
 * contract, loss is not.
 *
 * Locking: one mutex guards all of struct ringbuf's indices. Producers wait
 * on `not_full`, the consumer on `not_empty`; each side signals only when the
 * other side is actually waiting, so a steady stream costs no wake-ups.
 * Record bytes inside an acquired batch belong to the consumer until
 * ringbuf_release(): producers never write there because the space is still
 * counted as used.
 */
#ifndef OCIRT_SHIM_RINGBUF_H
#define OCIRT_SHIM_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RINGBUF_STREAM_STDOUT 1
#define RINGBUF_STREAM_STDERR 2

/* The smallest ring accepted by ringbuf_new(); smaller requests are raised. */
#define RINGBUF_MIN_CAPACITY 4096

struct ringbuf;

/* One record as seen by the consumer. `data` points into the ring and stays
 * valid until the ringbuf_release() that covers it. */
struct ringbuf_chunk
{
  uint8_t stream;
  int64_t timestamp_ns;  /* CLOCK_REALTIME when the producer read the data */
  const void *data;
  size_t len;
};

/* A contiguous run of records taken by ringbuf_acquire(). Opaque to callers:
 * iterate it with ringbuf_batch_next(). */
struct ringbuf_batch
{
  const uint8_t *next;  /* next record header to hand out */
  const uint8_t *end;   /* end of the acquired run */
  size_t consumed;      /* bytes handed out but not yet released */
};

/* Allocate a ring of `capacity_bytes` (rounded up to a multiple of 16, at
 * least RINGBUF_MIN_CAPACITY). Headers and padding count against the
 * capacity, which is therefore the exact bound on buffered memory. Returns
 * NULL with errno set. */
struct ringbuf *ringbuf_new (size_t capacity_bytes);
void ringbuf_free (struct ringbuf *rb);

/* Append `len` bytes of `stream` read at `timestamp_ns`. Blocks while the
 * ring is full; data larger than the free space is split into several
 * records, in order. Returns 0, or -1 with errno EPIPE once the ring is
 * closed (bytes put before the close are still delivered). */
int ringbuf_put (struct ringbuf *rb, uint8_t stream, int64_t timestamp_ns,
                 const void *data, size_t len);

/* Zero-copy put, for a producer that reads its data with read(2): reserve
 * contiguous space for up to `max` bytes (max > 0), fill it, then commit
 * the bytes actually filled. Blocks while the ring is full. Returns the
 * usable size (1 .. max; less than max when the free space is cut by the
 * end of the ring) with *ptr set, or -1 with errno EPIPE once the ring is
 * closed. Until the commit, the space belongs to the caller: other
 * producers' ringbuf_put() and ringbuf_reserve() wait for the commit. */
ssize_t ringbuf_reserve (struct ringbuf *rb, size_t max, void **ptr);

/* Publish the first `len` bytes of the reservation as one record of
 * `stream` read at `timestamp_ns`; len 0 cancels it. len must not exceed
 * what ringbuf_reserve() returned. */
void ringbuf_commit (struct ringbuf *rb, uint8_t stream, int64_t timestamp_ns, size_t len);

/* Take every complete record that is contiguous in the ring. Waits up to
 * `timeout_ms` (-1: forever, 0: not at all) while the ring is empty. Returns
 * the number of bytes acquired (> 0), 0 once the ring is closed and drained,
 * or -1 with errno ETIMEDOUT. Only one consumer thread may call this, and it
 * must release the previous batch first. */
ssize_t ringbuf_acquire (struct ringbuf *rb, struct ringbuf_batch *batch, int timeout_ms);

/* Hand out the next record of `batch`. Returns 1 with *out filled, or 0 when
 * the batch is exhausted. */
int ringbuf_batch_next (struct ringbuf_batch *batch, struct ringbuf_chunk *out);

/* Give back the records handed out so far by ringbuf_batch_next(), waking
 * blocked producers. May be called several times per batch, so that
 * producers refill the ring while the consumer works through the rest. */
void ringbuf_release (struct ringbuf *rb, struct ringbuf_batch *batch);

/* Give the ring's pages back to the kernel if the ring is empty and
 * nothing is reserved or held (the consumer calls it when output has
 * stopped for a while): an idle shim then holds none of the memory a burst
 * of output made it touch. The next record faults the pages in again,
 * zeroed. Returns whether it did. */
bool ringbuf_trim (struct ringbuf *rb);

/* Producers are done: wake everyone. Blocked and later ringbuf_put() calls
 * fail with EPIPE; the consumer drains what is left, then gets 0. */
void ringbuf_close (struct ringbuf *rb);

/* The most bytes (headers and padding included) ever held at once; never
 * above the capacity. For tests and benchmarks. */
size_t ringbuf_high_water (struct ringbuf *rb);
size_t ringbuf_capacity (const struct ringbuf *rb);

#endif
