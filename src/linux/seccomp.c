/* seccomp.c - linux.seccomp with libseccomp. See seccomp.h.
 *
 * The translation follows runc's (libcontainer/seccomp) wherever the spec is
 * silent, because configs in the wild (Docker's, containerd's and podman's
 * default profiles) are written and tested against runc's behaviour.
 */
#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "../util/cleanup.h"
#include "../util/strv.h"

/* A syscall has at most six arguments; libseccomp's arg index is 0-5. */
#define SECCOMP_MAX_ARGS 6

#define LIBSECCOMP_AT_LEAST(maj, min)                                         \
  (SCMP_VER_MAJOR > (maj) || (SCMP_VER_MAJOR == (maj) && SCMP_VER_MINOR >= (min)))

struct action_def
{
  const char *name;
  uint32_t action;    /* for ERRNO/TRACE: without the 16-bit data */
  bool takes_data;    /* accepts errnoRet */
};

static const struct action_def actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },
  { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },
  { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Every name of the spec's list; `supported` is false for the ones the
 * libseccomp headers this was built against do not define, so such a config
 * gets "not supported by libseccomp X" rather than "unknown". */
struct arch_def
{
  const char *name;
  uint32_t token;
  bool supported;
};

#define ARCH(n) { #n, n, true }
static const struct arch_def archs[] = {
  ARCH (SCMP_ARCH_X86), ARCH (SCMP_ARCH_X86_64), ARCH (SCMP_ARCH_X32),
  ARCH (SCMP_ARCH_ARM), ARCH (SCMP_ARCH_AARCH64),
  ARCH (SCMP_ARCH_MIPS), ARCH (SCMP_ARCH_MIPS64), ARCH (SCMP_ARCH_MIPS64N32),
  ARCH (SCMP_ARCH_MIPSEL), ARCH (SCMP_ARCH_MIPSEL64),
  ARCH (SCMP_ARCH_MIPSEL64N32),
  ARCH (SCMP_ARCH_PPC), ARCH (SCMP_ARCH_PPC64), ARCH (SCMP_ARCH_PPC64LE),
  ARCH (SCMP_ARCH_S390), ARCH (SCMP_ARCH_S390X),
  ARCH (SCMP_ARCH_PARISC), ARCH (SCMP_ARCH_PARISC64),
  ARCH (SCMP_ARCH_RISCV64),
#ifdef SCMP_ARCH_LOONGARCH64
  ARCH (SCMP_ARCH_LOONGARCH64),
#else
  { "SCMP_ARCH_LOONGARCH64", 0, false },
#endif
#ifdef SCMP_ARCH_M68K
  ARCH (SCMP_ARCH_M68K),
#else
  { "SCMP_ARCH_M68K", 0, false },
#endif
#ifdef SCMP_ARCH_SH
  ARCH (SCMP_ARCH_SH),
#else
  { "SCMP_ARCH_SH", 0, false },
#endif
#ifdef SCMP_ARCH_SHEB
  ARCH (SCMP_ARCH_SHEB),
#else
  { "SCMP_ARCH_SHEB", 0, false },
#endif
};
#undef ARCH

/* seccomp(2) flags map onto libseccomp filter attributes. `api` is the
 * seccomp_api_get() level at which libseccomp says the kernel has it; 0 marks
 * a flag this libseccomp has no attribute for. */
struct flag_def
{
  const char *name;
  enum scmp_filter_attr attr;
  unsigned int api;
};

static const struct flag_def flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC, 2 },
  { "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG, 3 },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB, 4 },
#if LIBSECCOMP_AT_LEAST(2, 6)
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SCMP_FLTATR_CTL_WAITKILL, 7 },
#else
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN, 0 },
#endif
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

const char *
seccomp_version_string (void)
{
  static char buf[32];
  const struct scmp_version *v = seccomp_version ();

  if (v == NULL)
    return "unknown";
  snprintf (buf, sizeof buf, "%u.%u.%u", v->major, v->minor, v->micro);
  return buf;
}

/* Resolve an action name plus optional errnoRet into a libseccomp action.
 * `path` is the JSON path of the object holding both fields. */
static int
parse_action (const char *name, bool has_errno, uint32_t errno_ret,
              const char *path, const char *action_field,
              const char *errno_field, uint32_t *out, ocirt_error_t *err)
{
  const struct action_def *def = NULL;

  if (name == NULL)
    return make_error (err, 0, "%s.%s: missing", path, action_field);
  for (size_t i = 0; i < N_ELEMENTS (actions); i++)
    if (strcmp (actions[i].name, name) == 0)
      def = &actions[i];
  if (def == NULL)
    return make_error (err, 0, "%s.%s: unknown action \"%s\"", path,
                       action_field, name);

  if (!def->takes_data)
    {
      /* The spec: when the action does not support an errno, the runtime
       * MUST fail rather than silently ignore it. */
      if (has_errno)
        return make_error (err, 0, "%s.%s: not supported with action \"%s\"",
                           path, errno_field, name);
      *out = def->action;
      return 0;
    }

  if (!has_errno)
    errno_ret = EPERM;
  /* The action carries 16 bits of data; for ERRNO the kernel would also
   * silently clamp anything above MAX_ERRNO (4095), so refuse that rather
   * than hand the process an errno nobody asked for. */
  if (def->action == SCMP_ACT_ERRNO (0) && errno_ret > 4095)
    return make_error (err, 0, "%s.%s: %u is not a valid errno (maximum 4095)",
                       path, errno_field, errno_ret);
  if (errno_ret > 0xffff)
    return make_error (err, 0, "%s.%s: %u does not fit in 16 bits", path,
                       errno_field, errno_ret);
  *out = def->action | errno_ret;
  return 0;
}

static int
add_arch (scmp_filter_ctx ctx, const char *name, size_t i, ocirt_error_t *err)
{
  for (size_t a = 0; a < N_ELEMENTS (archs); a++)
    {
      if (strcmp (archs[a].name, name) != 0)
        continue;
      if (!archs[a].supported)
        return make_error (err, 0,
                           "linux.seccomp.architectures[%zu]: architecture "
                           "\"%s\" is not supported by libseccomp %s",
                           i, name, seccomp_version_string ());
      int rc = seccomp_arch_add (ctx, archs[a].token);
      /* The native architecture is already in a fresh filter. */
      if (rc < 0 && rc != -EEXIST)
        return make_error (err, -rc, "linux.seccomp.architectures[%zu]: add \"%s\"",
                           i, name);
      return 0;
    }
  return make_error (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
                     i, name);
}

static int
set_flag (scmp_filter_ctx ctx, const char *name, size_t i, ocirt_error_t *err)
{
  for (size_t f = 0; f < N_ELEMENTS (flags); f++)
    {
      if (strcmp (flags[f].name, name) != 0)
        continue;
      if (flags[f].api == 0)
        return make_error (err, 0, "linux.seccomp.flags[%zu]: flag \"%s\" is not "
                           "supported by libseccomp %s", i, name,
                           seccomp_version_string ());
      if (seccomp_api_get () < flags[f].api)
        return make_error (err, 0, "linux.seccomp.flags[%zu]: flag \"%s\" is not "
                           "supported by the running kernel", i, name);
      int rc = seccomp_attr_set (ctx, flags[f].attr, 1);
      if (rc < 0)
        return make_error (err, -rc, "linux.seccomp.flags[%zu]: set \"%s\"", i, name);
      return 0;
    }
  return make_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, name);
}

static int
parse_args (const struct oci_seccomp_syscall *sc, size_t i,
            struct scmp_arg_cmp *conds, bool *same_index, ocirt_error_t *err)
{
  unsigned int per_index[SECCOMP_MAX_ARGS] = { 0 };

  *same_index = false;
  for (size_t a = 0; a < sc->n_args; a++)
    {
      const struct oci_seccomp_arg *arg = &sc->args[a];
      bool found = false;

      if (arg->index >= SECCOMP_MAX_ARGS)
        return make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: "
                           "%u is out of range (0-%d)", i, a, arg->index,
                           SECCOMP_MAX_ARGS - 1);
      if (arg->op == NULL)
        return make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: missing",
                           i, a);
      for (size_t o = 0; o < N_ELEMENTS (operators); o++)
        if (strcmp (operators[o].name, arg->op) == 0)
          {
            conds[a].op = operators[o].op;
            found = true;
          }
      if (!found)
        return make_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: "
                           "unknown operator \"%s\"", i, a, arg->op);
      conds[a].arg = arg->index;
      /* For MASKED_EQ libseccomp takes (mask, value) and runc passes
       * (value, valueTwo); the other operators use datum_a only. */
      conds[a].datum_a = arg->value;
      conds[a].datum_b = arg->has_value_two ? arg->value_two : 0;
      if (++per_index[arg->index] > 1)
        *same_index = true;
    }
  return 0;
}

static int
add_syscall_rule (scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc,
                  size_t i, uint32_t default_action, char ***warnings,
                  ocirt_error_t *err)
{
  cleanup_free struct scmp_arg_cmp *conds = NULL;
  char path[64];
  uint32_t action;
  bool same_index = false;

  snprintf (path, sizeof path, "linux.seccomp.syscalls[%zu]", i);
  if (sc->n_names == 0)
    return make_error (err, 0, "%s.names: must contain at least one entry", path);
  if (parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, path,
                    "action", "errnoRet", &action, err) < 0)
    return -1;
  if (sc->n_args > 0)
    {
      conds = calloc (sc->n_args, sizeof *conds);
      if (conds == NULL)
        return make_error (err, ENOMEM, "%s.args", path);
      if (parse_args (sc, i, conds, &same_index, err) < 0)
        return -1;
    }

  /* libseccomp refuses a rule whose action is the default (-EACCES); such a
   * rule changes nothing, so it is validated above and then dropped. */
  if (action == default_action)
    return 0;

  for (size_t n = 0; n < sc->n_names; n++)
    {
      const char *name = sc->names[n];
      int nr = seccomp_syscall_resolve_name (name);
      int rc = 0;

      if (nr == __NR_SCMP_ERROR)
        {
          /* Profiles list syscalls of newer kernels and other arches; runc
           * skips what libseccomp does not know, and so must we. */
          strv_append_printf (warnings, "%s.names[%zu]: unknown syscall \"%s\" "
                       "(libseccomp %s), skipped", path, n, name,
                       seccomp_version_string ());
          continue;
        }

      /* seccomp_rule_add_array (not _exact) lets libseccomp rewrite rules
       * for multiplexed syscalls (socketcall, ipc on x86) and for arches
       * where the syscall does not exist. libseccomp cannot AND two
       * conditions on the same argument, so like runc a rule that names an
       * index twice becomes one rule per condition (OR). */
      if (same_index)
        for (size_t a = 0; a < sc->n_args && rc == 0; a++)
          rc = seccomp_rule_add_array (ctx, action, nr, 1, &conds[a]);
      else
        rc = seccomp_rule_add_array (ctx, action, nr, (unsigned int) sc->n_args,
                                     conds);
      if (rc < 0)
        return make_error (err, -rc, "%s.names[%zu]: add rule for \"%s\"", path,
                           n, name);
    }
  return 0;
}

/* SCMP_ACT_NOTIFY, with runc's limits and wording. The init hands the
 * listener fd to the runtime with a write(2) after the filter is in, and the
 * runtime passes it on to the agent: a notified write would wait for an
 * agent that never gets the fd, and so would every syscall under a notifying
 * default action. */
static int
check_notify (const struct oci_seccomp *s, ocirt_error_t *err)
{
  static const char notify[] = "SCMP_ACT_NOTIFY";

  if (strcmp (s->default_action, notify) == 0)
    return make_error (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be used as default action");
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      if (s->syscalls[i].action == NULL || strcmp (s->syscalls[i].action, notify) != 0)
        continue;
      for (size_t n = 0; n < s->syscalls[i].n_names; n++)
        if (strcmp (s->syscalls[i].names[n], "write") == 0)
          return make_error (err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: SCMP_ACT_NOTIFY cannot be used "
                             "for the write syscall", i, n);
      if (s->listener_path == NULL || s->listener_path[0] == '\0')
        return make_error (err, 0, "linux.seccomp.listenerPath: listenerPath is not set (syscalls[%zu] uses "
                           "SCMP_ACT_NOTIFY)", i);
    }
  return 0;
}

int
seccomp_prepare (const struct oci_seccomp *s, scmp_filter_ctx *out,
                 char ***warnings, ocirt_error_t *err)
{
  scmp_filter_ctx ctx;
  uint32_t default_action;
  int rc;

  *out = NULL;
  if (s->listener_metadata && s->listener_path == NULL)
    return make_error (err, 0, "linux.seccomp.listenerMetadata: set without listenerPath");
  if (parse_action (s->default_action, s->has_default_errno_ret,
                    s->default_errno_ret, "linux.seccomp", "defaultAction",
                    "defaultErrnoRet", &default_action, err) < 0)
    return -1;
  if (check_notify (s, err) < 0)
    return -1;

  ctx = seccomp_init (default_action);
  if (ctx == NULL)
    return make_error (err, EINVAL, "linux.seccomp: initialise filter with "
                       "default action \"%s\" (libseccomp %s)",
                       s->default_action, seccomp_version_string ());

  /* libseccomp sets no_new_privs on load by default. That would silently
   * override noNewPrivileges=false (and so break setuid binaries in the
   * container); the init sets NNP itself when the config asks for it. */
  rc = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0)
    {
      seccomp_release (ctx);
      return make_error (err, -rc, "linux.seccomp: disable no_new_privs on load");
    }

  for (size_t i = 0; i < s->n_architectures; i++)
    if (add_arch (ctx, s->architectures[i], i, err) < 0)
      goto fail;
  for (size_t i = 0; i < s->n_flags; i++)
    if (set_flag (ctx, s->flags[i], i, err) < 0)
      goto fail;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (add_syscall_rule (ctx, &s->syscalls[i], i, default_action, warnings, err) < 0)
      goto fail;

  *out = ctx;
  return 0;

fail:
  seccomp_release (ctx);
  return -1;
}

bool
seccomp_uses_notify (const struct oci_seccomp *s)
{
  static const char notify[] = "SCMP_ACT_NOTIFY";

  if (s->default_action && strcmp (s->default_action, notify) == 0)
    return true;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (s->syscalls[i].action && strcmp (s->syscalls[i].action, notify) == 0)
      return true;
  return false;
}

/* ---- the ENOSYS stub --------------------------------------------------
 *
 * A profile can only name the syscalls its author knew. With an errno
 * default, a syscall added to the kernel later (clone3, close_range,
 * openat2, ...) would fail with that errno, and glibc falls back to the
 * older call only on ENOSYS. Like runc (libcontainer/seccomp/patchbpf), a
 * short BPF program goes in front of libseccomp's: for each architecture of
 * the profile, a syscall number above the highest one the profile names
 * returns ENOSYS. libseccomp cannot express "every number above N", so the
 * filter is exported and loaded with the stub by seccomp(2) directly. */

#define X32_SYSCALL_BIT 0x40000000u
/* The instructions a stub needs at most: per architecture, a check and a
 * body of at most 8 (x86_64 with x32). */
#define STUB_MAX (N_ELEMENTS (archs) * 9 + 1)

/* runc: an "allow" default (ALLOW, LOG, TRACE: a tracer copes with new
 * syscalls itself) needs no stub. */
static bool
default_is_permissive (uint32_t action)
{
  return action == SCMP_ACT_ALLOW || action == SCMP_ACT_LOG || (action & 0xffff0000u) == SCMP_ACT_TRACE (0);
}

/* The highest number among the names of the profile on `arch`, or -1. */
static long
last_syscall (const struct oci_seccomp *s, uint32_t arch)
{
  long last = -1;
  for (size_t i = 0; i < s->n_syscalls; i++)
    for (size_t n = 0; n < s->syscalls[i].n_names; n++)
      {
        /* Negative: a pseudo-number (not on this arch, multiplexed). */
        int nr = seccomp_syscall_resolve_name_arch (arch, s->syscalls[i].names[n]);
        if (nr >= 0 && nr > last)
          last = nr;
      }
  return last;
}

static uint32_t
arch_token (const char *name)
{
  for (size_t a = 0; a < N_ELEMENTS (archs); a++)
    if (archs[a].supported && strcmp (archs[a].name, name) == 0)
      return archs[a].token;
  return 0;
}

static bool
profile_has_arch (const struct oci_seccomp *s, uint32_t token)
{
  for (size_t i = 0; i < s->n_architectures; i++)
    if (arch_token (s->architectures[i]) == token)
      return true;
  return false;
}

/* "ENOSYS if nr > last, else on to the profile's filter": the filter starts
 * `to_main` instructions after the `ja`. */
static size_t
emit_range_check (struct sock_filter *p, size_t n, uint32_t last, size_t main_at)
{
  p[n] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, last, 0, 1);
  p[n + 1] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  p[n + 2] = (struct sock_filter) BPF_STMT (BPF_JMP | BPF_JA, 0);
  p[n + 2].k = (uint32_t) (main_at - (n + 3));
  return n + 3;
}

size_t
seccomp_enosys_stub (const struct oci_seccomp *s, uint32_t default_action, struct sock_filter *p, size_t max)
{
  struct
  {
    uint32_t audit;
    int64_t last, last_x32;
  } sect[N_ELEMENTS (archs)];
  size_t n_sect = 0, len = 0, n = 0;

  if (default_is_permissive (default_action) || max < STUB_MAX)
    return 0;
  /* Only the profile's architectures, as runc: any other gets
   * libseccomp's bad-arch action anyway. x32 shares x86_64's audit arch and
   * is told apart by the X32 bit of the number. */
  for (size_t i = 0; i < s->n_architectures; i++)
    {
      uint32_t t = arch_token (s->architectures[i]);
      if (t == 0 || t == SCMP_ARCH_X32)
        continue;
      bool dup = false;
      for (size_t k = 0; k < n_sect; k++)
        dup = dup || sect[k].audit == t;
      long last = last_syscall (s, t);
      if (dup || last < 0)
        continue;
      sect[n_sect].audit = t;
      sect[n_sect].last = last;
      sect[n_sect].last_x32 = t == SCMP_ARCH_X86_64 && profile_has_arch (s, SCMP_ARCH_X32)
                                  ? last_syscall (s, SCMP_ARCH_X32) : -1;
      len += sect[n_sect].last_x32 >= 0 ? 9 : 5;
      n_sect++;
    }
  if (profile_has_arch (s, SCMP_ARCH_X32) && !profile_has_arch (s, SCMP_ARCH_X86_64))
    {
      long last = last_syscall (s, SCMP_ARCH_X32);
      if (last >= 0)
        {
          sect[n_sect].audit = AUDIT_ARCH_X86_64;
          /* Native numbers are left to the profile's filter. */
          sect[n_sect].last = UINT32_MAX;
          sect[n_sect].last_x32 = last;
          len += 9;
          n_sect++;
        }
    }
  if (n_sect == 0)
    return 0;
  len += 1;
  p[n++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  for (size_t k = 0; k < n_sect; k++)
    {
      size_t body = sect[k].last_x32 >= 0 ? 8 : 4;
      p[n++] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, sect[k].audit, 0, (uint8_t) body);
      p[n++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
      if (sect[k].last_x32 >= 0)
        {
          /* x32 numbers carry the bit: compare them with x32's last; a
           * number without it is native x86_64 (or, in a profile without
           * x86_64, above any x32 number: ENOSYS, as runc). */
          p[n++] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 3, 0);
          n = emit_range_check (p, n, (uint32_t) sect[k].last, len);
          n = emit_range_check (p, n, (uint32_t) sect[k].last_x32, len);
        }
      else
        n = emit_range_check (p, n, (uint32_t) sect[k].last, len);
    }
  return n == len ? n : 0;
}

/* seccomp(2) flags for the profile's `flags`, plus a listener for NOTIFY. */
static unsigned int
filter_flags (const struct oci_seccomp *s, bool notify)
{
  static const struct
  {
    const char *name;
    unsigned int flag;
  } map[] = {
    { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
    { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
#endif
  };
  unsigned int f = notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  for (size_t i = 0; i < s->n_flags; i++)
    for (size_t m = 0; m < N_ELEMENTS (map); m++)
      if (strcmp (s->flags[i], map[m].name) == 0)
        f |= map[m].flag;
  /* TSYNC and a listener together need TSYNC_ESRCH (libseccomp does the
   * same): the init is single-threaded, so the sync cannot fail. */
  if ((f & SECCOMP_FILTER_FLAG_TSYNC) && (f & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    f |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  return f;
}

/* libseccomp's program, as the raw sock_filter array it exports. */
static struct sock_filter *
export_filter (scmp_filter_ctx ctx, size_t room, size_t *len, ocirt_error_t *err)
{
  cleanup_close int fd = (int) syscall (SYS_memfd_create, "seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      make_error (err, errno, "export seccomp filter: memfd_create");
      return NULL;
    }
  int rc = seccomp_export_bpf (ctx, fd);
  if (rc < 0)
    {
      make_error (err, -rc, "export seccomp filter");
      return NULL;
    }
  off_t size = lseek (fd, 0, SEEK_END);
  if (size <= 0 || size % (off_t) sizeof (struct sock_filter))
    {
      make_error (err, EINVAL, "export seccomp filter: %lld bytes", (long long) size);
      return NULL;
    }
  size_t n = (size_t) size / sizeof (struct sock_filter);
  struct sock_filter *p = calloc (room + n, sizeof *p);
  if (p == NULL)
    {
      make_error (err, ENOMEM, "export seccomp filter");
      return NULL;
    }
  if (pread (fd, p + room, (size_t) size, 0) != size)
    {
      make_error (err, errno ? errno : EIO, "export seccomp filter: read");
      free (p);
      return NULL;
    }
  *len = n;
  return p;
}

int
seccomp_install (scmp_filter_ctx ctx, const struct oci_seccomp *s,
                 int *notify_fd_out, ocirt_error_t *err)
{
  size_t len = 0;
  uint32_t default_action = 0;

  *notify_fd_out = -1;
  cleanup_free struct sock_filter *p = export_filter (ctx, STUB_MAX, &len, err);
  if (p == NULL)
    return -1;
  ocirt_error_t ignored = NULL;
  /* seccomp_prepare validated it already. */
  if (parse_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret, "linux.seccomp",
                    "defaultAction", "defaultErrnoRet", &default_action, &ignored) < 0)
    error_release (&ignored);
  /* The stub is built at the front of the room left for it, then the
   * filter is moved up to follow it. */
  size_t stub = seccomp_enosys_stub (s, default_action, p, STUB_MAX);
  if (stub < STUB_MAX)
    memmove (p + stub, p + STUB_MAX, len * sizeof *p);
  struct sock_fprog prog = { .len = (unsigned short) (stub + len), .filter = p };
  bool notify = seccomp_uses_notify (s);
  long rc = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter_flags (s, notify), &prog);
  if (rc < 0)
    return make_error (err, errno, "load seccomp filter");
  if (notify)
    *notify_fd_out = (int) rc;
  return 0;
}

/* Re-emit a parsed yajl tree, so that the caller's state document is
 * embedded as JSON rather than as a string and is known to be well formed. */
static yajl_gen_status
gen_tree (yajl_gen g, yajl_val v)
{
  yajl_gen_status st = yajl_gen_status_ok;

  switch (v->type)
    {
    case yajl_t_string:
      return yajl_gen_string (g, (const unsigned char *) v->u.string,
                              strlen (v->u.string));
    case yajl_t_number:
      return yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
    case yajl_t_true:
      return yajl_gen_bool (g, 1);
    case yajl_t_false:
      return yajl_gen_bool (g, 0);
    case yajl_t_null:
      return yajl_gen_null (g);
    case yajl_t_object:
      st = yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len && st == yajl_gen_status_ok; i++)
        {
          const char *k = v->u.object.keys[i];
          st = yajl_gen_string (g, (const unsigned char *) k, strlen (k));
          if (st == yajl_gen_status_ok)
            st = gen_tree (g, v->u.object.values[i]);
        }
      return st == yajl_gen_status_ok ? yajl_gen_map_close (g) : st;
    case yajl_t_array:
      st = yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len && st == yajl_gen_status_ok; i++)
        st = gen_tree (g, v->u.array.values[i]);
      return st == yajl_gen_status_ok ? yajl_gen_array_close (g) : st;
    default:
      return yajl_gen_invalid_string;
    }
}

static yajl_gen_status
gen_key_string (yajl_gen g, const char *key, const char *value)
{
  yajl_gen_status st = yajl_gen_string (g, (const unsigned char *) key, strlen (key));
  if (st != yajl_gen_status_ok)
    return st;
  return yajl_gen_string (g, (const unsigned char *) value, strlen (value));
}

char *
seccomp_listener_payload (const char *metadata, pid_t pid, const char *state_json)
{
  static const char fd_name[] = "seccompFd";
  yajl_val state;
  yajl_gen g;
  yajl_gen_status st;
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  state = yajl_tree_parse (state_json ? state_json : "", NULL, 0);
  if (state == NULL || !YAJL_IS_OBJECT (state))
    {
      yajl_tree_free (state);
      errno = EINVAL;
      return NULL;
    }
  g = yajl_gen_alloc (NULL);
  if (g == NULL)
    {
      yajl_tree_free (state);
      errno = ENOMEM;
      return NULL;
    }

  st = yajl_gen_map_open (g);
  if (st == yajl_gen_status_ok)
    st = gen_key_string (g, "ociVersion", OCI_VERSION);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_string (g, (const unsigned char *) "fds", 3);
  /* The order of names here is the order of fds in SCM_RIGHTS. */
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_open (g);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_string (g, (const unsigned char *) fd_name, strlen (fd_name));
  if (st == yajl_gen_status_ok)
    st = yajl_gen_array_close (g);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_string (g, (const unsigned char *) "pid", 3);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_integer (g, pid);
  if (st == yajl_gen_status_ok && metadata)
    st = gen_key_string (g, "metadata", metadata);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_string (g, (const unsigned char *) "state", 5);
  if (st == yajl_gen_status_ok)
    st = gen_tree (g, state);
  if (st == yajl_gen_status_ok)
    st = yajl_gen_map_close (g);
  if (st == yajl_gen_status_ok
      && yajl_gen_get_buf (g, &buf, &len) == yajl_gen_status_ok)
    out = strndup ((const char *) buf, len);
  else
    errno = EINVAL;

  yajl_gen_free (g);
  yajl_tree_free (state);
  return out;
}

/* sendmsg with the fd attached; returns bytes sent or -1 with errno. */
static ssize_t
send_with_fd (int sock, const char *data, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *cmsg;
  ssize_t n;

  memset (&control, 0, sizeof control);
  cmsg = CMSG_FIRSTHDR (&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cmsg), &fd, sizeof fd);

  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

static int
listener_connect (const char *listener_path, ocirt_error_t *err)
{
  cleanup_close int sock = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (listener_path == NULL || listener_path[0] == '\0')
    return make_error (err, 0, "linux.seccomp.listenerPath: missing");
  if (strlen (listener_path) >= sizeof addr.sun_path)
    return make_error (err, ENAMETOOLONG, "linux.seccomp.listenerPath: `%s` "
                       "(a unix socket path has at most %zu bytes)",
                       listener_path, sizeof addr.sun_path - 1);
  memcpy (addr.sun_path, listener_path, strlen (listener_path) + 1);
  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return make_error (err, errno, "create unix socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return make_error (err, errno, "failed to connect with seccomp agent specified in the seccomp profile: "
                       "linux.seccomp.listenerPath `%s`", listener_path);
  return steal_fd (&sock);
}

static int
send_notify_fd_on (int sock, int notify_fd, const char *payload, ocirt_error_t *err)
{
  size_t len, off;
  ssize_t n;

  if (notify_fd < 0 || payload == NULL)
    return make_error (err, EINVAL, "send seccomp listener fd");
  /* The spec allows several sendmsg calls but wants the fds in the first one
   * only; a short first write is continued with plain sends. */
  len = strlen (payload);
  n = send_with_fd (sock, payload, len, notify_fd);
  if (n < 0)
    return make_error (err, errno, "send seccomp listener fd");
  for (off = (size_t) n; off < len; off += (size_t) n)
    {
      n = send (sock, payload + off, len - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        n = 0;
      else if (n < 0)
        return make_error (err, errno, "send container process state to the seccomp listener");
    }
  return 0;
}

int
seccomp_send_notify_fd (const char *listener_path, int notify_fd,
                        const char *payload, ocirt_error_t *err)
{
  /* One state per connection: the cleanup closes it. */
  cleanup_close int sock = listener_connect (listener_path, err);
  if (sock < 0)
    return -1;
  if (send_notify_fd_on (sock, notify_fd, payload, err) < 0)
    return wrap_error (err, "seccomp listener `%s`", listener_path);
  return 0;
}

int
seccomp_forward_listener (int pidfd, int remote_fd, const struct oci_seccomp *s, pid_t pid,
                          const char *state_json, ocirt_error_t *err)
{
  cleanup_close int fd = (int) syscall (SYS_pidfd_getfd, pidfd, remote_fd, 0);
  if (fd < 0)
    return make_error (err, errno, "take the seccomp listener fd %d of pid %d", remote_fd, (int) pid);
  cleanup_free char *payload = seccomp_listener_payload (s->listener_metadata, pid, state_json);
  if (payload == NULL)
    return make_error (err, errno, "seccomp listener payload");
  return seccomp_send_notify_fd (s->listener_path, fd, payload, err);
}

const char *const *
seccomp_known_actions (void)
{
  static const char *list[N_ELEMENTS (actions) + 1];

  if (list[0] == NULL)
    for (size_t i = 0; i < N_ELEMENTS (actions); i++)
      list[i] = actions[i].name;
  return list;
}

const char *const *
seccomp_known_operators (void)
{
  static const char *list[N_ELEMENTS (operators) + 1];

  if (list[0] == NULL)
    for (size_t i = 0; i < N_ELEMENTS (operators); i++)
      list[i] = operators[i].name;
  return list;
}

const char *const *
seccomp_known_archs (void)
{
  static const char *list[N_ELEMENTS (archs) + 1];

  if (list[0] == NULL)
    for (size_t i = 0, n = 0; i < N_ELEMENTS (archs); i++)
      if (archs[i].supported)
        list[n++] = archs[i].name;
  return list;
}

const char *const *
seccomp_known_flags (void)
{
  static const char *list[N_ELEMENTS (flags) + 1];

  if (list[0] == NULL)
    for (size_t i = 0; i < N_ELEMENTS (flags); i++)
      list[i] = flags[i].name;
  return list;
}

const char *const *
seccomp_supported_flags (void)
{
  /* Rebuilt on each call: it depends on the kernel via seccomp_api_get(),
   * and the list terminator must follow the last supported entry. */
  static const char *list[N_ELEMENTS (flags) + 1];
  unsigned int api = seccomp_api_get ();
  size_t n = 0;

  for (size_t i = 0; i < N_ELEMENTS (flags); i++)
    if (flags[i].api != 0 && api >= flags[i].api)
      list[n++] = flags[i].name;
  list[n] = NULL;
  return list;
}
