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
 * Semantics, the v1 devices controller's as runc and crun emulate it: the
 * rules are tried from the last to the first and the first one that matches
 * decides; when none matches, access is allowed (a v1 cgroup starts with
 * "allow all", and a list that restricts starts with "deny all", which then
 * matches everything). An allow rule matches when it grants every requested
 * access bit, a deny rule when it refuses any of them.
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

/* ------------------------------------------------------------------ */
/* rules                                                                */

/* One rule, with -1 for "any" and access as BPF_DEVCG_ACC_* bits. */
struct dev_rule
{
  bool allow;
  char type;          /* 'a', 'c' or 'b' */
  int64_t major, minor;
  unsigned access;
};

static int
access_bits (const char *access, unsigned *bits)
{
  *bits = 0;
  if (access == NULL || access[0] == '\0')
    access = "rwm";
  for (const char *s = access; *s; s++)
    switch (*s)
      {
      case 'r': *bits |= BPF_DEVCG_ACC_READ; break;
      case 'w': *bits |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': *bits |= BPF_DEVCG_ACC_MKNOD; break;
      default: return -1;
      }
  return 0;
}

/* The rules in evaluation order: the config's, then (when there are any)
 * the standard devices and each of linux.devices, as cgroup_v1.c writes
 * them. Returns the count, or -1 with *err set. */
static ssize_t
collect_rules (const struct oci_device_cgroup *d, size_t n, const struct oci_device *devices,
               size_t n_devices, struct dev_rule **out, ocirt_error_t *err)
{
  size_t cap = n ? n + cgroup_n_std_devices + n_devices : 0, k = 0;
  cleanup_free struct dev_rule *r = NULL;

  *out = NULL;
  if (cap == 0)
    return 0;
  r = calloc (cap, sizeof *r);
  if (r == NULL)
    abort ();
  for (size_t i = 0; i < n; i++, k++)
    {
      const char *type = d[i].type && d[i].type[0] ? d[i].type : "a";

      if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
        return make_error (err, 0, "linux.resources.devices[%zu]: type \"%s\" is not one of a, c, b",
                           i, type);
      if (access_bits (d[i].access, &r[k].access) < 0)
        return make_error (err, 0, "linux.resources.devices[%zu]: access \"%s\" is not a "
                                   "combination of r, w, m", i, d[i].access);
      r[k].allow = d[i].allow;
      r[k].type = type[0];
      r[k].major = d[i].has_major && d[i].major >= 0 ? d[i].major : -1;
      r[k].minor = d[i].has_minor && d[i].minor >= 0 ? d[i].minor : -1;
    }
  for (size_t i = 0; i < cgroup_n_std_devices; i++, k++)
    {
      const struct cgroup_std_device *s = &cgroup_std_devices[i];

      r[k] = (struct dev_rule) { true, s->type, s->major, s->minor, 0 };
      access_bits (s->access, &r[k].access);
    }
  for (size_t i = 0; i < n_devices; i++)
    {
      if (devices[i].type && devices[i].type[0] == 'p')
        continue; /* FIFOs are not device-cgroup controlled */
      r[k++] = (struct dev_rule) { true, devices[i].type && devices[i].type[0] == 'b' ? 'b' : 'c',
                                   devices[i].major, devices[i].minor,
                                   BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD };
    }
  *out = steal_pointer (&r);
  return (ssize_t) k;
}

/* ------------------------------------------------------------------ */
/* assembly                                                             */

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

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

/* A rule without any test: it decides every access that reaches it. */
static bool
matches_all (const struct dev_rule *r)
{
  return r->type == 'a' && r->access == ACC_ALL && r->major < 0 && r->minor < 0;
}

/* One rule: a chain of tests that each jump to the next rule on mismatch,
 * then "return allow". The jumps are patched once the length is known. */
static size_t
emit_rule (struct bpf_insn *p, const struct dev_rule *r)
{
  size_t i = 0, jumps[5], nj = 0;

  if (r->type != 'a')
    {
      jumps[nj++] = i;
      p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0,
                     r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    }
  if (r->access != ACC_ALL)
    {
      p[i++] = insn (BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
      p[i++] = insn (BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t) r->access);
      jumps[nj++] = i;
      if (r->allow) /* every requested bit granted: R1 == R3 */
        p[i++] = insn (BPF_JMP | BPF_JNE | BPF_X, R1, R3, 0, 0);
      else /* any requested bit refused: R1 != 0 */
        p[i++] = insn (BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0);
    }
  if (r->major >= 0)
    {
      jumps[nj++] = i;
      p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t) r->major);
    }
  if (r->minor >= 0)
    {
      jumps[nj++] = i;
      p[i++] = insn (BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t) r->minor);
    }
  p[i++] = insn (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0);
  p[i++] = insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (size_t j = 0; j < nj; j++)
    p[jumps[j]].off = (int16_t) (i - jumps[j] - 1);
  return i;
}

/* A rule takes at most 8 instructions; prologue 6, epilogue 2. */
#define RULE_MAX_INSNS 8

int
cgroup_bpf_devices_program (const struct oci_device_cgroup *d, size_t n,
                            const struct oci_device *devices, size_t n_devices,
                            struct bpf_insn **insns, size_t *n_insns, ocirt_error_t *err)
{
  cleanup_free struct dev_rule *rules = NULL;
  cleanup_free struct bpf_insn *p = NULL;
  ssize_t nr = collect_rules (d, n, devices, n_devices, &rules, err);
  bool decided = false;
  size_t i = 0;

  *insns = NULL;
  *n_insns = 0;
  if (nr <= 0)
    return (int) nr;
  for (ssize_t k = 0; k < nr; k++)
    if (rules[k].major > INT32_MAX || rules[k].minor > INT32_MAX)
      return make_error (err, 0, "linux.resources.devices: device number %" PRId64 ":%" PRId64
                                 " out of range", rules[k].major, rules[k].minor);
  p = calloc (8 + (size_t) nr * RULE_MAX_INSNS, sizeof *p);
  if (p == NULL)
    abort ();
  i += emit_prologue (p);
  /* Last rule first: the last one that matches decides. A rule that
   * matches everything ends the program (the verifier refuses unreachable
   * instructions); without one, what no rule matched is allowed. */
  for (ssize_t k = nr - 1; k >= 0 && !decided; k--)
    {
      i += emit_rule (p + i, &rules[k]);
      decided = matches_all (&rules[k]);
    }
  if (!decided)
    {
      p[i++] = insn (BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
      p[i++] = insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
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
                          const struct oci_device *devices, size_t n_devices, ocirt_error_t *err)
{
  cleanup_free struct bpf_insn *insns = NULL;
  cleanup_close int cg_fd = -1;
  cleanup_close int prog_fd = -1;
  uint32_t old[MAX_OLD_PROGS], n_old = MAX_OLD_PROGS;
  size_t n_insns;

  if (cgroup_bpf_devices_program (d, n, devices, n_devices, &insns, &n_insns, err) < 0)
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
