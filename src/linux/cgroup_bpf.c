/* cgroup_bpf.c - linux.resources.devices on cgroup v2: a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the container's cgroup.
 *
 * Owns: the translation of the device rules into a hand-assembled eBPF
 * program (pure, unit-tested by running it in a small interpreter), and the
 * bpf(2) calls that load it, attach it to the cgroup directory and detach
 * the programs it replaces.
 * Must never: touch a cgroup other than the one it is given, or detach a
 * program before its replacement is attached (a container must never be,
 * even briefly, without its device restrictions).
 *
 * Semantics, the v1 devices controller's (security/device_cgroup.c), which
 * runc and crun emulate too: the rules are applied in order, as cgroup_v1.c
 * writes them to devices.allow and devices.deny, to a state that is a
 * default (allow or deny every device) plus a list of exceptions to it. The
 * program is that final state, so the order of the rules matters only as
 * it does on v1:
 * - the rule "a" (every device, every access) sets the default and drops
 *   every exception;
 * - a rule against the default adds its access to the exception of the
 *   same type, major and minor ("r" then "w" for c 1:3 is one "rw"
 *   exception); a rule along the default removes its access from that one
 *   exception, and only from it (a deny of c 1:3 after an allow of c 1:*
 *   changes nothing, as on v1);
 * - with "deny" as the default, an access is allowed when one exception
 *   grants every requested bit; with "allow", it is refused when an
 *   exception names any requested bit.
 */
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../util/cleanup.h"

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* ------------------------------------------------------------------ */
/* rules                                                                */

/* One write to devices.allow or devices.deny: -1 for "any" major or minor,
 * access as BPF_DEVCG_ACC_* bits. Type 'a' is only ever the whole "a". */
struct dev_rule
{
  bool allow;
  char type;          /* 'a', 'c' or 'b' */
  int64_t major, minor;
  unsigned access;
};

static unsigned
access_bits (const char *access)
{
  char letters[4];
  unsigned bits = 0;

  cgroup_device_access (access, letters);
  for (const char *s = letters; *s; s++)
    bits |= *s == 'r' ? BPF_DEVCG_ACC_READ : *s == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
  return bits;
}

/* The config's rule i as the one or two writes cgroup_v1.c makes of it:
 * the kernel reads any "a" line as "every device, every access", so a
 * narrower "a" rule becomes a c and a b rule. Returns how many, or -1. */
static int
config_rule (const struct oci_device_cgroup *d, size_t i, struct dev_rule *out, ocirt_error_t *err)
{
  const char *type = d->type && d->type[0] ? d->type : "a";
  struct dev_rule r = { .allow = d->allow, .type = type[0] };

  if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
    return make_error (err, 0, "linux.resources.devices[%zu]: invalid cgroup device type \"%s\"",
                       i, type);
  /* No access left: no write to devices.allow or devices.deny on v1. */
  r.access = access_bits (d->access);
  if (r.access == 0)
    return 0;
  r.major = d->has_major && d->major >= 0 ? d->major : -1;
  r.minor = d->has_minor && d->minor >= 0 ? d->minor : -1;
  if (r.major > INT32_MAX || r.minor > INT32_MAX)
    return make_error (err, 0, "linux.resources.devices[%zu]: device number %" PRId64 ":%" PRId64
                               " out of range", i, r.major, r.minor);
  out[0] = r;
  if (r.type != 'a' || (r.major < 0 && r.minor < 0 && r.access == ACC_ALL))
    return 1;
  out[0].type = 'c';
  out[1] = r;
  out[1].type = 'b';
  return 2;
}

/* The writes in order: the config's rules, then (when there are any) the
 * standard devices, as cgroup_v1.c makes them.
 * Returns the count, or -1 with *err set. */
static ssize_t
collect_rules (const struct oci_device_cgroup *d, size_t n, struct dev_rule **out,
               ocirt_error_t *err)
{
  size_t cap = n ? 2 * n + cgroup_n_std_devices : 0, k = 0;
  cleanup_free struct dev_rule *r = NULL;

  *out = NULL;
  if (cap == 0)
    return 0;
  r = calloc (cap, sizeof *r);
  if (r == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      int made = config_rule (&d[i], i, r + k, err);

      if (made < 0)
        return -1;
      k += (size_t) made;
    }
  for (size_t i = 0; i < cgroup_n_std_devices; i++, k++)
    {
      const struct cgroup_std_device *s = &cgroup_std_devices[i];

      r[k] = (struct dev_rule) { true, s->type, s->major, s->minor, access_bits (s->access) };
    }
  *out = steal_pointer (&r);
  return (ssize_t) k;
}

/* ------------------------------------------------------------------ */
/* the v1 state                                                         */

/* The devices of one type, major and minor (-1: any), and access bits. */
struct dev_exception
{
  char type;          /* 'c' or 'b' */
  int64_t major, minor;
  unsigned access;
};

/* A v1 devices cgroup after some writes. With default_allow the exceptions
 * are what is refused, otherwise what is allowed; there is at most one per
 * type, major and minor. `ex` has room for one per write. */
struct dev_state
{
  bool default_allow;
  size_t n;
  struct dev_exception *ex;
};

/* The kernel keys an exception by its exact type, major and minor: a
 * wildcard is a value of its own, not a set that contains c 1:3. */
static struct dev_exception *
exception_find (struct dev_state *s, const struct dev_rule *r)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->ex[i].type == r->type && s->ex[i].major == r->major && s->ex[i].minor == r->minor)
      return &s->ex[i];
  return NULL;
}

static void
exception_add (struct dev_state *s, const struct dev_rule *r)
{
  struct dev_exception *e = exception_find (s, r);

  if (e == NULL)
    s->ex[s->n++] = (struct dev_exception) { r->type, r->major, r->minor, r->access };
  else
    e->access |= r->access;
}

/* Only the exception of this exact key loses the access, as in the kernel
 * (which never splits a wildcard exception); one with no access left goes. */
static void
exception_remove (struct dev_state *s, const struct dev_rule *r)
{
  struct dev_exception *e = exception_find (s, r);

  if (e == NULL)
    return;
  e->access &= ~r->access;
  if (e->access == 0)
    {
      memmove (e, e + 1, (size_t) (s->ex + s->n - (e + 1)) * sizeof *e);
      s->n--;
    }
}

static void
state_apply (struct dev_state *s, const struct dev_rule *r)
{
  if (r->type == 'a')
    {
      s->default_allow = r->allow;
      s->n = 0;
    }
  else if (r->allow == s->default_allow)
    exception_remove (s, r);
  else
    exception_add (s, r);
}

/* ------------------------------------------------------------------ */
/* assembly                                                             */

/* Registers once the context is read: R2 type, R3 access, R4 major,
 * R5 minor; R1 is scratch afterwards. */
enum { R0, R1, R2, R3, R4, R5 };

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* The prologue: unpack struct bpf_cgroup_dev_ctx. */
static size_t
emit_prologue (struct bpf_insn *p)
{
  size_t i = 0;

  p[i++] = insn (BPF_LDX | BPF_MEM | BPF_W, R2, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  p[i++] = insn (BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
  p[i++] = insn (BPF_LDX | BPF_MEM | BPF_W, R3, R1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  p[i++] = insn (BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
  p[i++] = insn (BPF_LDX | BPF_MEM | BPF_W, R4, R1, offsetof (struct bpf_cgroup_dev_ctx, major), 0);
  p[i++] = insn (BPF_LDX | BPF_MEM | BPF_W, R5, R1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0);
  return i;
}

/* "return verdict" */
static size_t
emit_return (struct bpf_insn *p, bool verdict)
{
  p[0] = insn (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, verdict ? 1 : 0);
  p[1] = insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return 2;
}

/* One exception: a chain of tests that each jump to the next exception on
 * mismatch, then the verdict against the default. An allowing exception
 * must grant every requested bit (the kernel's match_exception), a refusing
 * one matches when it names any of them (match_exception_partial). The
 * type test is always there, so what follows stays reachable, as the
 * verifier demands. The jumps are patched once the length is known. */
static size_t
emit_exception (struct bpf_insn *p, const struct dev_exception *e, bool default_allow)
{
  size_t i = 0, jumps[4], nj = 0;

  jumps[nj++] = i;
  p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0,
                 e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
  if (e->access != ACC_ALL)
    {
      p[i++] = insn (BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
      p[i++] = insn (BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t) e->access);
      jumps[nj++] = i;
      if (default_allow) /* any requested bit refused: R1 != 0 */
        p[i++] = insn (BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0);
      else /* every requested bit granted: R1 == R3 */
        p[i++] = insn (BPF_JMP | BPF_JNE | BPF_X, R1, R3, 0, 0);
    }
  if (e->major >= 0)
    {
      jumps[nj++] = i;
      p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t) e->major);
    }
  if (e->minor >= 0)
    {
      jumps[nj++] = i;
      p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t) e->minor);
    }
  i += emit_return (p + i, !default_allow);
  for (size_t j = 0; j < nj; j++)
    p[jumps[j]].off = (int16_t) (i - jumps[j] - 1);
  return i;
}

/* An exception takes at most 8 instructions; prologue 6, epilogue 2. */
#define EXCEPTION_MAX_INSNS 8

int
cgroup_bpf_devices_program (const struct oci_device_cgroup *d, size_t n,
                            struct bpf_insn **insns, size_t *n_insns, ocirt_error_t *err)
{
  cleanup_free struct dev_rule *rules = NULL;
  cleanup_free struct dev_exception *ex = NULL;
  cleanup_free struct bpf_insn *p = NULL;
  ssize_t nr = collect_rules (d, n, &rules, err);
  /* A new v1 cgroup starts as its parent is, and the container's parent
   * allows every device. */
  struct dev_state state = { .default_allow = true };
  size_t i = 0;

  *insns = NULL;
  *n_insns = 0;
  if (nr <= 0)
    return (int) nr;
  ex = calloc ((size_t) nr, sizeof *ex);
  if (ex == NULL)
    abort ();
  state.ex = ex;
  for (ssize_t k = 0; k < nr; k++)
    state_apply (&state, &rules[k]);

  p = calloc (8 + state.n * EXCEPTION_MAX_INSNS, sizeof *p);
  if (p == NULL)
    abort ();
  i += emit_prologue (p);
  for (size_t k = 0; k < state.n; k++)
    i += emit_exception (p + i, &state.ex[k], state.default_allow);
  i += emit_return (p + i, state.default_allow);
  *insns = steal_pointer (&p);
  *n_insns = i;
  return 0;
}

/* ------------------------------------------------------------------ */
/* kernel                                                               */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
prog_load (const struct bpf_insn *insns, size_t n, char *log, size_t log_size)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = (uint32_t) log_size;
  attr.log_level = log ? 1 : 0;
  return sys_bpf (BPF_PROG_LOAD, &attr);
}

/* The ids of the device programs attached directly to the cgroup. */
static int
query_attached (int cg_fd, uint32_t *ids, uint32_t *n)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) cg_fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = *n;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return -1;
  *n = attr.query.prog_cnt;
  return 0;
}

static int
attach (int cg_fd, int prog_fd, int cmd)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cg_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = cmd == BPF_PROG_ATTACH ? BPF_F_ALLOW_MULTI : 0;
  return sys_bpf (cmd, &attr);
}

static int
prog_fd_by_id (uint32_t id)
{
  union bpf_attr attr;

  memset (&attr, 0, sizeof attr);
  attr.prog_id = id;
  return sys_bpf (BPF_PROG_GET_FD_BY_ID, &attr);
}

#define MAX_OLD_PROGS 64

int
cgroup_bpf_devices_apply (const char *dir, const struct oci_device_cgroup *d, size_t n,
                          ocirt_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int cg_fd = -1;
  cleanup_close int prog_fd = -1;
  uint32_t old[MAX_OLD_PROGS], n_old = MAX_OLD_PROGS;
  size_t n_insns;

  if (cgroup_bpf_devices_program (d, n, &insns, &n_insns, err) < 0)
    return -1;
  if (n_insns == 0)
    return 0;
  cg_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return make_error (err, errno, "linux.resources.devices: open cgroup \"%s\"", dir);

  prog_fd = prog_load (insns, n_insns, NULL, 0);
  if (prog_fd < 0)
    {
      int e = errno;
      char log[4096] = "";

      /* Load again with the verifier's log, for the message only. */
      if (e == EINVAL || e == EACCES)
        {
          int fd = prog_load (insns, n_insns, log, sizeof log);
          if (fd >= 0)
            close (fd);
          log[strcspn (log, "\n")] = '\0';
        }
      return make_error (err, e, "linux.resources.devices: load the BPF device program (%zu "
                                 "instructions)%s%s", n_insns, log[0] ? ": " : "", log);
    }
  if (query_attached (cg_fd, old, &n_old) < 0)
    return make_error (err, errno, "linux.resources.devices: query the BPF device programs of "
                                   "\"%s\"", dir);
  if (attach (cg_fd, prog_fd, BPF_PROG_ATTACH) < 0)
    return make_error (err, errno, "linux.resources.devices: attach the BPF device program to "
                                   "\"%s\"", dir);
  /* Only now that the new program is in place do the old ones go. */
  for (uint32_t i = 0; i < n_old && i < MAX_OLD_PROGS; i++)
    {
      cleanup_close int fd = prog_fd_by_id (old[i]);

      if (fd < 0 && errno == ENOENT)
        continue;
      if (fd < 0 || attach (cg_fd, fd, BPF_PROG_DETACH) < 0)
        return make_error (err, errno, "linux.resources.devices: detach the previous BPF "
                                       "device program %" PRIu32 " from \"%s\"", old[i], dir);
    }
  return 0;
}
