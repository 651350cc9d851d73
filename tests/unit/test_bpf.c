/* test_bpf.c - the cgroup v2 device program of src/linux/cgroup_bpf.c.
 *
 * The generated instructions are run in a small interpreter of the subset
 * the generator emits, so the device semantics are checked without root or
 * a cgroup v2 host. When run as root on a host with a cgroup2 mount (hybrid
 * hosts have one too), the program is also loaded by the kernel's verifier,
 * attached to a scratch cgroup, replaced, and a child in it opens devices;
 * and every rule list of the table below is applied both by cgroup_v1.c to
 * a v1 devices cgroup (where the host has one) and as the program, and a
 * child in each must be allowed exactly what the interpreter allows. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/linux/cgroup_internal.h"

/* ---- interpreter ---------------------------------------------------- */

/* Run prog on one access; returns R0, or fails the test on an instruction
 * outside the emitted subset, a jump out of the program, or a missing exit. */
static int
run (const struct bpf_insn *p, size_t n, char type, unsigned access, uint32_t major, uint32_t minor)
{
  struct bpf_cgroup_dev_ctx ctx = {
    .access_type = (access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
    .major = major,
    .minor = minor,
  };
  uint64_t r[11] = { 0 };
  size_t pc = 0, steps = 0;

  while (pc < n && steps++ < 100000)
    {
      const struct bpf_insn *i = &p[pc++];
      uint64_t src = BPF_SRC (i->code) == BPF_X ? r[i->src_reg] : (uint64_t) (int64_t) i->imm;

      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          assert_int_equal (i->src_reg, 1);
          assert_true (i->off >= 0 && (size_t) i->off + 4 <= sizeof ctx && i->off % 4 == 0);
          r[i->dst_reg] = *(uint32_t *) ((char *) &ctx + i->off);
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          r[i->dst_reg] = (uint32_t) (r[i->dst_reg] & src);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          r[i->dst_reg] = (uint32_t) r[i->dst_reg] >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          r[i->dst_reg] = (uint32_t) src;
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          r[i->dst_reg] = src;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
        case BPF_JMP | BPF_JNE | BPF_X:
          if (r[i->dst_reg] != src)
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (r[i->dst_reg] == src)
            pc += (size_t) i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          fail_msg ("instruction %zu: unexpected opcode 0x%02x", pc - 1, i->code);
        }
      assert_true (i->off >= 0); /* forward jumps only: the verifier wants no loops */
    }
  fail_msg ("fell off the end of the program (pc %zu of %zu)", pc, n);
  return -1;
}

#define R BPF_DEVCG_ACC_READ
#define W BPF_DEVCG_ACC_WRITE
#define M BPF_DEVCG_ACC_MKNOD

struct prog
{
  struct bpf_insn *insns;
  size_t n;
};

static struct prog
build (const struct oci_device_cgroup *d, size_t n)
{
  ocirt_error_t err = NULL;
  struct prog p = { 0 };

  if (cgroup_bpf_devices_program (d, n, &p.insns, &p.n, &err) < 0)
    fail_msg ("generate: %s", err->message);
  return p;
}

static const struct oci_device_cgroup deny_all = { .allow = false, .access = "rwm" };

/* ---- structure -------------------------------------------------------- */

static void
no_rules_no_program (void **state)
{
  (void) state;
  struct prog p = build (NULL, 0);
  assert_null (p.insns);
  assert_int_equal (p.n, 0);
}

static void
program_is_prologue_rules_epilogue (void **state)
{
  (void) state;
  struct prog p = build (&deny_all, 1);

  /* 6 to unpack the context, at most 7 per standard device (each an
   * exception to "deny all"), then that default as the last 2 (no test,
   * return 0): nothing is unreachable, which the verifier would refuse. */
  assert_true (p.n > 8 + cgroup_n_std_devices);
  assert_true (p.n <= 6 + 7 * cgroup_n_std_devices + 2);
  assert_int_equal (p.insns[0].code, BPF_LDX | BPF_MEM | BPF_W);
  assert_int_equal (p.insns[p.n - 1].code, BPF_JMP | BPF_EXIT);
  assert_int_equal (p.insns[p.n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
  assert_int_equal (p.insns[p.n - 2].imm, 0);
  free (p.insns);

  /* Without an "a" rule, the default is a new v1 cgroup's: "allow". */
  struct oci_device_cgroup one = { .allow = false, .type = "c", .has_major = true, .major = 4 };
  p = build (&one, 1);
  assert_int_equal (p.insns[p.n - 2].imm, 1);
  /* Every jump lands inside the program. */
  for (size_t i = 0; i < p.n; i++)
    if (BPF_CLASS (p.insns[i].code) == BPF_JMP && BPF_OP (p.insns[i].code) != BPF_EXIT)
      assert_true (i + 1 + (size_t) p.insns[i].off < p.n);
  free (p.insns);
}

static void
bad_rules_are_refused_with_the_field (void **state)
{
  (void) state;
  struct oci_device_cgroup bad_type = { .allow = true, .type = "x" };
  ocirt_error_t err = NULL;
  struct bpf_insn *insns = NULL;
  size_t n;

  assert_int_equal (cgroup_bpf_devices_program (&bad_type, 1, &insns, &n, &err), -1);
  assert_non_null (strstr (err->message,
                           "linux.resources.devices[0]: invalid cgroup device type \"x\""));
  error_release (&err);
}

/* ---- semantics -------------------------------------------------------- */

static void
deny_all_leaves_the_standard_devices (void **state)
{
  (void) state;
  struct prog p = build (&deny_all, 1);

  assert_int_equal (run (p.insns, p.n, 'c', R | W, 1, 3), 1);  /* /dev/null */
  assert_int_equal (run (p.insns, p.n, 'c', R, 1, 9), 1);      /* /dev/urandom */
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 136, 4), 1); /* /dev/pts/4 */
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 5, 2), 1);  /* /dev/ptmx */
  assert_int_equal (run (p.insns, p.n, 'b', M, 8, 0), 1);      /* mknod of any node */
  assert_int_equal (run (p.insns, p.n, 'b', R, 8, 0), 0);      /* but not its use */
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 10, 229), 0); /* /dev/fuse */
  assert_int_equal (run (p.insns, p.n, 'c', R | M, 1, 3), 1);
  free (p.insns);
}

static void
a_deny_after_an_allow_removes_only_its_access (void **state)
{
  (void) state;
  /* The deny takes w out of the rw exception; r stays. */
  struct oci_device_cgroup rules[] = {
    deny_all,
    { .allow = true, .type = "c", .has_major = true, .major = 10, .has_minor = true, .minor = 229,
      .access = "rw" },
    { .allow = false, .type = "c", .has_major = true, .major = 10, .has_minor = true, .minor = 229,
      .access = "w" },
  };
  struct prog p = build (rules, 3);

  assert_int_equal (run (p.insns, p.n, 'c', R, 10, 229), 1);
  assert_int_equal (run (p.insns, p.n, 'c', W, 10, 229), 0);
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 10, 229), 0); /* any refused bit denies */
  assert_int_equal (run (p.insns, p.n, 'c', M, 10, 229), 1);     /* mknod: standard list */
  assert_int_equal (run (p.insns, p.n, 'b', R, 10, 229), 0);     /* type matters */
  assert_int_equal (run (p.insns, p.n, 'c', R, 10, 230), 0);
  free (p.insns);
}

static void
without_deny_all_a_single_deny_blocks_one_device (void **state)
{
  (void) state;
  struct oci_device_cgroup rules[] = {
    { .allow = true, .type = "a", .access = "rwm" },
    { .allow = false, .type = "c", .has_major = true, .major = 10, .has_minor = true, .minor = 200,
      .access = "rwm" },
  };
  struct prog p = build (&rules[1], 1);

  /* Default allow: any other device is usable; 10:200 is re-allowed by
   * the standard list (tun), like v1. */
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 10, 229), 1);
  assert_int_equal (run (p.insns, p.n, 'b', R | W, 8, 0), 1);
  assert_int_equal (run (p.insns, p.n, 'c', R, 10, 200), 1);
  free (p.insns);

  /* "allow all" then "deny b *:*": block devices are refused. */
  rules[1] = (struct oci_device_cgroup){ .allow = false, .type = "b", .access = "rw" };
  p = build (rules, 2);
  assert_int_equal (run (p.insns, p.n, 'b', R, 8, 0), 0);
  assert_int_equal (run (p.insns, p.n, 'b', M, 8, 0), 1);
  assert_int_equal (run (p.insns, p.n, 'c', R, 4, 1), 1);
  free (p.insns);
}

/* As in runc, the nodes of linux.devices get no rule of their own: only
 * linux.resources.devices decides (/dev/kmsg stays denied after "deny
 * all"), while the standard devices stay allowed. */
static void
only_the_rules_and_the_standard_devices_are_allowed (void **state)
{
  (void) state;
  struct prog p = build (&deny_all, 1);

  assert_int_equal (run (p.insns, p.n, 'c', W, 1, 11), 0);
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 10, 229), 0);
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 1, 3), 1);
  assert_int_equal (run (p.insns, p.n, 'c', R | W, 136, 4), 1);
  free (p.insns);
}

/* ---- v1's state, rule list by rule list ------------------------------ */

/* One access and whether v1's devices controller allows it. */
struct access_check
{
  char type;
  unsigned access;
  uint32_t major, minor;
  bool allowed;
};

/* A rule list (the standard devices follow it, as always) and what v1
 * makes of it. The root tests below check each on the kernel too. */
struct rules_case
{
  const char *what;
  size_t n_rules;
  struct oci_device_cgroup rules[4];
  size_t n_probes;
  struct access_check probes[5];
};

#define DENY_ALL { .allow = false, .access = "rwm" }
#define ALLOW_ALL { .allow = true, .access = "rwm" }
/* c MAJ:MIN and c MAJ:* */
#define CHR(allow_, maj, min, acc)                                                              \
  { .allow = allow_, .type = "c", .has_major = true, .major = maj, .has_minor = true,            \
    .minor = min, .access = acc }
#define CHR_ANY_MINOR(allow_, maj, acc)                                                         \
  { .allow = allow_, .type = "c", .has_major = true, .major = maj, .access = acc }
/* The probed devices: /dev/fuse (not a standard device) and its neighbour. */
#define FUSE(acc, ok) { 'c', acc, 10, 229, ok }
#define NEXT(acc, ok) { 'c', acc, 10, 230, ok }

static const struct rules_case r_then_w = {
  "allow r, then w, of one device: one rw exception",
  3, { DENY_ALL, CHR (true, 10, 229, "r"), CHR (true, 10, 229, "w") },
  4, { FUSE (R, true), FUSE (W, true), FUSE (R | W, true), NEXT (R, false) },
};

static const struct rules_case deny_w_after_rwm = {
  "allow rwm, then deny w: r and m stay allowed",
  3, { DENY_ALL, CHR (true, 10, 229, "rwm"), CHR (false, 10, 229, "w") },
  4, { FUSE (R, true), FUSE (M, true), FUSE (W, false), FUSE (R | W, false) },
};

static const struct rules_case allow_w_after_deny_rwm = {
  "default allow: deny rwm, then allow w: r and m stay refused",
  2, { CHR (false, 10, 229, "rwm"), CHR (true, 10, 229, "w") },
  5, { FUSE (W, true), FUSE (R, false), FUSE (M, false), FUSE (R | W, false), NEXT (R | W, true) },
};

static const struct rules_case any_refused_bit_refuses = {
  "default allow: an access is refused when one of its bits is",
  1, { CHR (false, 10, 229, "w") },
  4, { FUSE (R, true), FUSE (W, false), FUSE (R | W, false), NEXT (R | W, true) },
};

static const struct rules_case deny_a_drops_exceptions = {
  "deny \"a\" drops the exceptions before it",
  4, { DENY_ALL, CHR (true, 10, 229, "r"), DENY_ALL, CHR (true, 10, 229, "w") },
  3, { FUSE (R, false), FUSE (W, true), FUSE (R | W, false) },
};

static const struct rules_case allow_a_drops_exceptions = {
  "allow \"a\" allows all again, and drops the exceptions before it",
  4, { DENY_ALL, CHR (true, 10, 229, "r"), ALLOW_ALL, CHR (false, 10, 229, "w") },
  4, { FUSE (R, true), FUSE (W, false), NEXT (R | W, true), { 'b', R, 7, 0, true } },
};

static const struct rules_case narrow_a = {
  "an \"a\" rule for one device number is a c and a b rule, not a reset",
  2, { DENY_ALL, { .allow = true, .type = "a", .has_major = true, .major = 10, .has_minor = true,
                   .minor = 229, .access = "rw" } },
  4, { FUSE (R | W, true), { 'b', R | W, 10, 229, true }, NEXT (R, false), { 'b', R, 10, 230, false } },
};

static const struct rules_case wildcard_and_one_device = {
  "c 10:* r and c 10:229 w are two exceptions: neither grants rw",
  3, { DENY_ALL, CHR_ANY_MINOR (true, 10, "r"), CHR (true, 10, 229, "w") },
  5, { FUSE (R, true), FUSE (W, true), FUSE (R | W, false), NEXT (R, true), NEXT (W, false) },
};

static const struct rules_case no_hole_in_wildcard_allow = {
  "a deny of c 10:229 leaves an allow of c 10:* whole, as on v1",
  3, { DENY_ALL, CHR_ANY_MINOR (true, 10, "rw"), CHR (false, 10, 229, "w") },
  3, { FUSE (W, true), FUSE (R | W, true), NEXT (W, true) },
};

static const struct rules_case no_hole_in_wildcard_deny = {
  "default allow: an allow of c 10:229 leaves a deny of c 10:* whole, as on v1",
  2, { CHR_ANY_MINOR (false, 10, "w"), CHR (true, 10, 229, "w") },
  3, { FUSE (W, false), FUSE (R, true), NEXT (W, false) },
};

static const struct rules_case allow_after_deny = {
  "order: deny w, then allow rw: rw is allowed",
  3, { DENY_ALL, CHR (false, 10, 229, "w"), CHR (true, 10, 229, "rw") },
  2, { FUSE (R | W, true), FUSE (W, true) },
};

static const struct rules_case deny_after_allow = {
  "order: allow rw, then deny w: w is refused",
  3, { DENY_ALL, CHR (true, 10, 229, "rw"), CHR (false, 10, 229, "w") },
  2, { FUSE (R | W, false), FUSE (W, false) },
};

static const struct rules_case deny_of_what_is_not_granted = {
  "order: a deny of r while only w is allowed leaves nothing for a later allow of r to undo",
  4, { DENY_ALL, CHR (true, 10, 229, "w"), CHR (false, 10, 229, "r"), CHR (true, 10, 229, "r") },
  2, { FUSE (R | W, true), FUSE (R, true) },
};

static const struct rules_case odd_access_letters = {
  "letters other than r, w, m are ignored, as runc does: rwx is rw, RWM is nothing",
  3, { DENY_ALL, CHR (true, 10, 229, "rwx"), CHR (false, 10, 229, "RWM") },
  4, { FUSE (R | W, true), FUSE (W, true), NEXT (R, false), NEXT (W, false) },
};

static void
check_in_interpreter (const struct rules_case *c)
{
  struct prog p = build (c->rules, c->n_rules);

  for (size_t i = 0; i < c->n_probes; i++)
    {
      const struct access_check *pr = &c->probes[i];
      int got = run (p.insns, p.n, pr->type, pr->access, pr->major, pr->minor);

      if (got != pr->allowed)
        fail_msg ("%s: probe %zu (%c %u:%u access %u): got %s", c->what, i, pr->type, pr->major,
                  pr->minor, pr->access, got ? "allowed" : "refused");
    }
  free (p.insns);
}

static void
two_allows_for_one_device_combine (void **state)
{
  (void) state;
  check_in_interpreter (&r_then_w);
}

static void
a_deny_takes_only_its_bits_from_an_exception (void **state)
{
  (void) state;
  check_in_interpreter (&deny_w_after_rwm);
  check_in_interpreter (&allow_w_after_deny_rwm);
  check_in_interpreter (&any_refused_bit_refuses);
}

static void
an_a_rule_resets_the_state (void **state)
{
  (void) state;
  check_in_interpreter (&deny_a_drops_exceptions);
  check_in_interpreter (&allow_a_drops_exceptions);
  check_in_interpreter (&narrow_a);
}

static void
wildcard_and_specific_rules_stay_separate_exceptions (void **state)
{
  (void) state;
  check_in_interpreter (&wildcard_and_one_device);
  check_in_interpreter (&no_hole_in_wildcard_allow);
  check_in_interpreter (&no_hole_in_wildcard_deny);
}

static void
the_order_of_the_rules_matters_as_on_v1 (void **state)
{
  (void) state;
  check_in_interpreter (&allow_after_deny);
  check_in_interpreter (&deny_after_allow);
  check_in_interpreter (&deny_of_what_is_not_granted);
}

static void
odd_access_strings_are_read_as_runc_reads_them (void **state)
{
  (void) state;
  check_in_interpreter (&odd_access_letters);
}

/* ---- the kernel (root, a cgroup2 mount) ------------------------------ */

static const char *
cgroup2_mount (void)
{
  static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  struct statfs st;

  for (size_t i = 0; i < 2; i++)
    if (statfs (candidates[i], &st) == 0 && st.f_type == 0x63677270)
      return candidates[i];
  return NULL;
}

/* The child joins dir and reports which of /dev/null and /dev/kmsg (1:11,
 * not a standard device) it could open, as a two-bit exit code. */
static int
probe (const char *dir)
{
  pid_t pid = fork ();
  int status;

  if (pid == 0)
    {
      char me[32];
      int n = snprintf (me, sizeof me, "%d", (int) getpid ());
      int code = 0, fd;

      if (cgroup_write_raw (dir, "cgroup.procs", me, (size_t) n) < 0)
        _exit (100);
      if ((fd = open ("/dev/null", O_RDWR)) >= 0 && close (fd) == 0)
        code |= 1;
      if ((fd = open ("/dev/kmsg", O_RDONLY | O_NONBLOCK)) >= 0 && close (fd) == 0)
        code |= 2;
      _exit (code);
    }
  assert_true (pid > 0);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

static void
the_kernel_loads_enforces_and_replaces_it (void **state)
{
  (void) state;
  const char *mount = cgroup2_mount ();
  char dir[256];
  ocirt_error_t err = NULL;
  struct oci_device_cgroup rules[] = {
    deny_all,
    { .allow = true, .type = "c", .has_major = true, .major = 1, .has_minor = true, .minor = 11,
      .access = "r" },
  };
  int r1, r2, r3;

  if (geteuid () != 0 || mount == NULL || access ("/dev/kmsg", R_OK) != 0)
    skip ();
  snprintf (dir, sizeof dir, "%s/ocirt-test-bpf-%d", mount, (int) getpid ());
  assert_int_equal (mkdir (dir, 0755), 0);

  /* "deny all": the standard devices only. */
  if (cgroup_bpf_devices_apply (dir, rules, 1, &err) < 0)
    {
      rmdir (dir);
      fail_msg ("%s", err->message);
    }
  r1 = probe (dir);
  /* The update allows 1:11: it passes only if the first program is gone,
   * since every attached program must allow. */
  if (cgroup_bpf_devices_apply (dir, rules, 2, &err) < 0)
    {
      rmdir (dir);
      fail_msg ("%s", err->message);
    }
  r2 = probe (dir);
  /* And back. */
  cgroup_bpf_devices_apply (dir, rules, 1, &err);
  r3 = probe (dir);
  rmdir (dir);
  assert_int_equal (r1, 1);
  assert_int_equal (r2, 3);
  assert_int_equal (r3, 1);
}

/* ---- the table on the kernels (root) -------------------------------- */

static const struct rules_case *const all_cases[] = {
  &r_then_w, &deny_w_after_rwm, &allow_w_after_deny_rwm, &any_refused_bit_refuses,
  &deny_a_drops_exceptions, &allow_a_drops_exceptions, &narrow_a, &wildcard_and_one_device,
  &no_hole_in_wildcard_allow, &no_hole_in_wildcard_deny, &allow_after_deny, &deny_after_allow,
  &deny_of_what_is_not_granted, &odd_access_letters,
};

/* A node for each probe of c in node_dir, named by its index. Returns -1
 * when the file system refuses device nodes. */
static int
make_nodes (const char *node_dir, const struct rules_case *c)
{
  for (size_t i = 0; i < c->n_probes; i++)
    {
      const struct access_check *pr = &c->probes[i];
      char name[512];

      snprintf (name, sizeof name, "%s/%zu", node_dir, i);
      unlink (name);
      if (mknod (name, (pr->type == 'b' ? S_IFBLK : S_IFCHR) | 0600,
                 makedev (pr->major, pr->minor)) < 0)
        return -1;
    }
  return 0;
}

/* Try one access the way the kernel asks the devices controller: open(2)
 * for r and w, mknod(2) for m. Only EPERM is a refusal; a device without a
 * driver fails the open later, with ENXIO or ENODEV. */
static bool
kernel_allows (const char *node_dir, size_t i, const struct access_check *pr)
{
  char name[512];
  int fd, flags;

  if (pr->access == M)
    {
      snprintf (name, sizeof name, "%s/m%zu", node_dir, i);
      if (mknod (name, (pr->type == 'b' ? S_IFBLK : S_IFCHR) | 0600,
                 makedev (pr->major, pr->minor)) < 0)
        return errno != EPERM;
      unlink (name);
      return true;
    }
  flags = pr->access == R ? O_RDONLY : pr->access == W ? O_WRONLY : O_RDWR;
  snprintf (name, sizeof name, "%s/%zu", node_dir, i);
  fd = open (name, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd >= 0)
    close (fd);
  return fd >= 0 || errno != EPERM;
}

/* A child joins cg_dir (NULL: stays where it is) and tries each probe of
 * c; got[i] tells whether the kernel allowed probe i. */
static void
kernel_verdicts (const char *cg_dir, const char *node_dir, const struct rules_case *c, bool *got)
{
  int fds[2];
  pid_t pid;
  int status;

  assert_int_equal (pipe (fds), 0);
  pid = fork ();
  if (pid == 0)
    {
      char me[32];
      int n = snprintf (me, sizeof me, "%d", (int) getpid ());

      close (fds[0]);
      if (cg_dir && cgroup_write_raw (cg_dir, "cgroup.procs", me, (size_t) n) < 0)
        _exit (100);
      for (size_t i = 0; i < c->n_probes; i++)
        {
          char v = kernel_allows (node_dir, i, &c->probes[i]);

          if (write (fds[1], &v, 1) != 1)
            _exit (101);
        }
      _exit (0);
    }
  assert_true (pid > 0);
  close (fds[1]);
  for (size_t i = 0; i < c->n_probes; i++)
    {
      char v = 0;

      assert_int_equal (read (fds[0], &v, 1), 1);
      got[i] = v;
    }
  close (fds[0]);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* How one cgroup version turns a rule list into the cgroup's state. */
typedef int (*apply_rules_fn) (const char *mount, const char *name, const struct rules_case *c,
                               ocirt_error_t *err);

static int
apply_v1 (const char *mount, const char *name, const struct rules_case *c, ocirt_error_t *err)
{
  struct cgroup_layout l;
  struct oci_resources res = { 0 };

  (void) mount;
  res.devices = (struct oci_device_cgroup *) c->rules;
  res.n_devices = c->n_rules;
  if (cgroup_layout_load (&l, err) < 0)
    return -1;
  return cgroup_v1_apply (&l, name, &res, err);
}

static int
apply_v2 (const char *mount, const char *name, const struct rules_case *c, ocirt_error_t *err)
{
  char dir[512];

  snprintf (dir, sizeof dir, "%s%s", mount, name);
  return cgroup_bpf_devices_apply (dir, c->rules, c->n_rules, err);
}

/* One case in a fresh cgroup under mount. Returns 1 when the kernel allows
 * exactly what the case says, 0 with *why set when not, -1 when this
 * process cannot make the nodes or use them to begin with. */
static int
case_on_the_kernel (const char *mount, apply_rules_fn apply, const char *version,
                    const char *node_dir, const struct rules_case *c, char *why, size_t size)
{
  char name[64], dir[384];
  bool got[5];
  ocirt_error_t err = NULL;

  if (make_nodes (node_dir, c) < 0)
    return -1;
  kernel_verdicts (NULL, node_dir, c, got);
  for (size_t i = 0; i < c->n_probes; i++)
    if (!got[i])
      return -1;
  snprintf (name, sizeof name, "/ocirt-test-bpf-%s-%d", version, (int) getpid ());
  snprintf (dir, sizeof dir, "%s%s", mount, name);
  if (mkdir (dir, 0755) < 0)
    {
      snprintf (why, size, "mkdir %s: %s", dir, strerror (errno));
      return 0;
    }
  if (apply (mount, name, c, &err) < 0)
    {
      rmdir (dir);
      snprintf (why, size, "%s: %s", c->what, err->message);
      error_release (&err);
      return 0;
    }
  kernel_verdicts (dir, node_dir, c, got);
  rmdir (dir);
  for (size_t i = 0; i < c->n_probes; i++)
    if (got[i] != c->probes[i].allowed)
      {
        snprintf (why, size, "%s: probe %zu (%c %u:%u access %u) %s", c->what, i,
                  c->probes[i].type, c->probes[i].major, c->probes[i].minor, c->probes[i].access,
                  got[i] ? "allowed" : "refused");
        return 0;
      }
  return 1;
}

/* Every case of the table on the kernel: it must allow exactly what the
 * interpreter is checked to allow. */
static void
check_on_the_kernel (const char *mount, apply_rules_fn apply, const char *version)
{
  char node_dir[] = "/tmp/ocirt-test-bpf-nodes.XXXXXX";
  char why[1024] = "";
  int r = 1;

  if (mkdtemp (node_dir) == NULL)
    fail_msg ("mkdtemp: %s", strerror (errno));
  for (size_t k = 0; k < sizeof all_cases / sizeof all_cases[0] && r == 1; k++)
    r = case_on_the_kernel (mount, apply, version, node_dir, all_cases[k], why, sizeof why);
  for (size_t i = 0; i < 5; i++)
    {
      char node[512];

      snprintf (node, sizeof node, "%s/%zu", node_dir, i);
      unlink (node);
    }
  rmdir (node_dir);
  if (r < 0)
    skip (); /* no device nodes in /tmp, or this process is restricted */
  if (r == 0)
    fail_msg ("%s kernel: %s", version, why);
}

static void
the_v1_devices_controller_agrees_with_every_case (void **state)
{
  (void) state;
  struct cgroup_layout l;
  ocirt_error_t err = NULL;
  const struct cgroup_hierarchy *h;

  if (geteuid () != 0 || cgroup_layout_load (&l, &err) < 0
      || (h = cgroup_layout_find (&l, CGC_DEVICES)) == NULL)
    {
      error_release (&err);
      skip ();
    }
  check_on_the_kernel (h->mount, apply_v1, "v1");
}

static void
the_v2_program_agrees_with_every_case (void **state)
{
  (void) state;
  const char *mount = cgroup2_mount ();

  if (geteuid () != 0 || mount == NULL)
    skip ();
  check_on_the_kernel (mount, apply_v2, "v2");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (no_rules_no_program),
    cmocka_unit_test (program_is_prologue_rules_epilogue),
    cmocka_unit_test (bad_rules_are_refused_with_the_field),
    cmocka_unit_test (odd_access_strings_are_read_as_runc_reads_them),
    cmocka_unit_test (deny_all_leaves_the_standard_devices),
    cmocka_unit_test (a_deny_after_an_allow_removes_only_its_access),
    cmocka_unit_test (without_deny_all_a_single_deny_blocks_one_device),
    cmocka_unit_test (only_the_rules_and_the_standard_devices_are_allowed),
    cmocka_unit_test (two_allows_for_one_device_combine),
    cmocka_unit_test (a_deny_takes_only_its_bits_from_an_exception),
    cmocka_unit_test (an_a_rule_resets_the_state),
    cmocka_unit_test (wildcard_and_specific_rules_stay_separate_exceptions),
    cmocka_unit_test (the_order_of_the_rules_matters_as_on_v1),
    cmocka_unit_test (the_kernel_loads_enforces_and_replaces_it),
    cmocka_unit_test (the_v1_devices_controller_agrees_with_every_case),
    cmocka_unit_test (the_v2_program_agrees_with_every_case),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
