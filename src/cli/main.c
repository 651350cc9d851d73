/* main.c - global flags, the verb table, and the one place errors are
 * reported. See cli.h. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../linux/cloned_binary.h"
#include "../runtime/container.h"
#include "../shim/shim.h"
#include "../linux/idmap.h"
#include "../util/cleanup.h"

#include "../../oci/config.h"
#include "cli.h"

#define DEFAULT_ROOT "/run/ocirt"
/* An unprivileged caller's: in its runtime dir, as runc's
 * $XDG_RUNTIME_DIR/runc. Without one, runc falls back to /run/runc, which
 * such a caller cannot write; ocirt uses a private directory in /tmp (as
 * podman's /tmp/podman-run-<uid>), checked to be the caller's alone. */
#define ROOTLESS_ROOT_NAME "ocirt"
#define ROOTLESS_FALLBACK_FMT "/tmp/ocirt-%u"

/* The default --root; *fallback says it is ROOTLESS_FALLBACK_FMT's. */
static char *
default_root (bool *fallback)
{
  char *root = NULL;
  const char *xdg = getenv ("XDG_RUNTIME_DIR");

  *fallback = false;
  /* runc's shouldHonorXDGRuntimeDir: root of a user namespace only (rootless
   * podman runs the runtime so) uses it too, unless USER says root. */
  if (geteuid () == 0
      && !(xdg && *xdg && (getenv ("USER") == NULL || strcmp (getenv ("USER"), "root") != 0)
           && idmap_in_user_namespace ()))
    return strdup (DEFAULT_ROOT);
  if (xdg && *xdg)
    return asprintf (&root, "%s/" ROOTLESS_ROOT_NAME, xdg) < 0 ? NULL : root;
  *fallback = true;
  return asprintf (&root, ROOTLESS_FALLBACK_FMT, (unsigned) geteuid ()) < 0 ? NULL : root;
}

/* /tmp is everyone's: the fallback root must be a directory that only the
 * caller can reach, or another user could plant or read its state. */
static int
check_fallback_root (const char *root, ocirt_error_t *err)
{
  struct stat st;
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    return make_error (err, errno, "create state root \"%s\"", root);
  if (lstat (root, &st) < 0)
    return make_error (err, errno, "state root \"%s\"", root);
  if (!S_ISDIR (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 077))
    return make_error (err, EPERM,
                       "state root \"%s\" is not a directory private to uid %u (set XDG_RUNTIME_DIR "
                       "or --root)",
                       root, (unsigned) geteuid ());
  return 0;
}

/* runc's --rootless: true, false (Go's ParseBool spellings) or auto. */
static int
parse_rootless (const char *arg, int *rootless, ocirt_error_t *err)
{
  static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True", NULL };
  static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False", NULL };
  if (strcmp (arg, "auto") == 0)
    return *rootless = -1, 0;
  for (int i = 0; yes[i]; i++)
    if (strcmp (arg, yes[i]) == 0)
      return *rootless = 1, 0;
  for (int i = 0; no[i]; i++)
    if (strcmp (arg, no[i]) == 0)
      return *rootless = 0, 0;
  return make_error (err, 0, "--rootless \"%s\": use true, false or auto", arg);
}

static const struct cli_verb *const verbs[] = {
  &verb_create, &verb_start, &verb_run, &verb_state, &verb_kill, &verb_delete,
  &verb_list, &verb_spec, &verb_ps, &verb_pause, &verb_resume, &verb_logs, &verb_exec, &verb_features,
  &verb_check,
  &verb_update, &verb_events,
  &verb_checkpoint, &verb_restore,
};

const struct cli_verb *
cli_find_verb (const char *name)
{
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (strcmp (verbs[i]->name, name) == 0)
      return verbs[i];
  return NULL;
}

int
cli_parse_format (const char *arg, bool *json, ocirt_error_t *err)
{
  if (strcmp (arg, "json") == 0)
    *json = true;
  else if (strcmp (arg, "table") == 0)
    *json = false;
  else
    return make_error (err, 0, "invalid format option \"%s\" (use table or json)", arg);
  return 0;
}

/* runc's (urfave/cli's) layout: NAME, USAGE, OPTIONS, so that scripts and
 * people who read `runc exec -h` find the same sections here. */
void
cli_print_help (const struct cli_verb *v)
{
  printf ("NAME:\n   ocirt %s - %s\n\nUSAGE:\n   ocirt %s\n\nOPTIONS:\n%s"
          "   --help, -h                show help\n",
          v->name, v->summary, v->usage, v->help);
}

/* urfave/cli's argIsFlag: "-x", "--name" or "--name=value" where the name
 * is one of the verb's flags. An unknown flag is not one: it stays where it
 * is and counts as an argument. */
static bool
arg_is_flag (const char *arg, const char *shortopts, const struct option *longopts)
{
  if (arg[0] != '-' || strcmp (arg, "-") == 0 || strcmp (arg, "--") == 0)
    return false;
  const char *name = arg + strspn (arg, "-");
  size_t len = strcspn (name, "=");
  if (len == 1 && *name != ':' && *name != '+' && strchr (shortopts, *name))
    return true;
  for (const struct option *o = longopts; o->name; o++)
    if (strlen (o->name) == len && strncmp (o->name, name, len) == 0)
      return true;
  return false;
}

/* runc 1.1 lets most verbs take their flags after the container id
 * (`runc update ID --pids-limit 20`, `runc delete ID --force`): urfave/cli
 * moves each known flag, with the argument after it unless that is itself
 * a known flag, in front of the other arguments. It does not know which
 * flags take a value, so `kill ID --all KILL` becomes `kill --all KILL ID`,
 * as in runc, and `update -r - ID` keeps its "-". A "--" that is not taken
 * as a value ends the flags and moves in front of the other arguments.
 * Applying it twice changes nothing. */
void
cli_reorder_args (int argc, char **argv, const char *shortopts, const struct option *longopts)
{
  cleanup_free char **rest = calloc ((size_t) argc + 1, sizeof *rest);
  int n_front = 1, n_rest = 0, i;
  bool may_be_value = false, dashdash = false;

  if (rest == NULL)
    return;
  for (i = 1; i < argc; i++)
    {
      char *a = argv[i];
      bool is_flag = arg_is_flag (a, shortopts, longopts);
      if (may_be_value && !is_flag)
        {
          may_be_value = false;
          argv[n_front++] = a;
        }
      else if (strcmp (a, "--") == 0)
        {
          dashdash = true;
          break;
        }
      else if (is_flag)
        {
          argv[n_front++] = a;
          may_be_value = strchr (a, '=') == NULL;
        }
      else
        rest[n_rest++] = a;
    }
  /* Behind the flags: the "--", the other arguments, then (in place)
   * whatever followed the "--". */
  if (dashdash)
    argv[n_front++] = (char *) "--";
  memcpy (argv + n_front, rest, (size_t) n_rest * sizeof *rest);
}

int
cli_getopt (const struct cli_verb *v, int argc, char **argv, const char *shortopts,
            const struct option *longopts, ocirt_error_t *err)
{
  if (optind == 1 && !v->keep_arg_order)
    cli_reorder_args (argc, argv, shortopts, longopts);
  int c = getopt_long_only (argc, argv, shortopts, longopts, NULL);
  if (c == 'h')
    cli_print_help (v);
  else if (c == '?')
    make_error (err, 0, "%s: unknown or incomplete option \"%s\" (see 'ocirt %s --help')", v->name,
                argv[optind - 1], v->name);
  return c;
}

int
cli_require_args (const struct cli_verb *v, int argc, char **argv, int min, int max,
                  ocirt_error_t *err)
{
  int n = argc - optind;
  (void) argv;
  if (n < min)
    return make_error (err, 0, "\"%s\" requires a minimum of %d argument%s (usage: ocirt %s)", v->name, min,
                       min == 1 ? "" : "s", v->usage);
  if (max >= 0 && n > max)
    return make_error (err, 0, "\"%s\" requires a maximum of %d argument%s (usage: ocirt %s)", v->name, max,
                       max == 1 ? "" : "s", v->usage);
  return 0;
}

static void
print_version (void)
{
  const struct scmp_version *sv = seccomp_version ();
  printf ("ocirt version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n", OCIRT_VERSION, OCIRT_COMMIT,
          OCI_VERSION, sv->major, sv->minor, sv->micro);
}

static void
print_main_help (void)
{
  bool fallback;
  cleanup_free char *root = default_root (&fallback);
  const struct scmp_version *sv = seccomp_version ();
  printf ("NAME:\n"
          "   ocirt - a daemonless OCI container runtime\n\n"
          "ocirt runs OCI bundles (a config.json and a root filesystem) in namespaces,\n"
          "control groups and a seccomp and capability sandbox. Its command line and\n"
          "JSON follow runc's, so containerd and podman can use it in runc's place.\n\n"
          "To start a new instance of a container:\n\n"
          "    # ocirt run [ -b bundle ] <container-id>\n\n"
          "USAGE:\n"
          "   ocirt [global options] command [command options] [arguments...]\n\n"
          "VERSION:\n"
          "   %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n\n"
          "COMMANDS:\n",
          OCIRT_VERSION, OCIRT_COMMIT, OCI_VERSION, sv->major, sv->minor, sv->micro);
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    printf ("   %-10s  %s\n", verbs[i]->name, verbs[i]->summary);
  printf ("   %-10s  %s\n", "help, h", "Shows a list of commands or help for one command");
  printf ("\nGLOBAL OPTIONS:\n"
          "   --root DIR                state directory (default: %s)\n"
          "   --log FILE                write ocirt's own log to FILE (default: stderr)\n"
          "   --log-format text|json    format of that log (default: text)\n"
          "   --debug                   log debug messages\n"
          "   --systemd-cgroup          use the systemd cgroup driver (cgroupsPath slice:prefix:name)\n"
          "   --rootless true|false|auto  do without a cgroup that cannot be made (default: auto,\n"
          "                             true when not run by root)\n"
          "   --version, -v             print the version\n"
          "   --help, -h                show help\n",
          root ? root : DEFAULT_ROOT);
}

/* `ocirt help [COMMAND]` (or `h`), as runc: the main help, a verb's help,
 * or for an unknown topic an error and exit code 3 (urfave/cli's). */
static int
run_help (int argc, char **argv, ocirt_error_t *err)
{
  if (argc < 2)
    {
      print_main_help ();
      return 0;
    }
  const struct cli_verb *v = cli_find_verb (argv[1]);
  if (v == NULL && strcmp (argv[1], "help") != 0 && strcmp (argv[1], "h") != 0)
    {
      make_error (err, 0, "No help topic for '%s'", argv[1]);
      return 3;
    }
  if (v)
    cli_print_help (v);
  else
    print_main_help ();
  return 0;
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD,
  OPT_ROOTLESS,
  OPT_CRIU,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Parse the global flags; returns the index of the verb, or -1 when main
 * should exit with *exit_code. */
static int
parse_globals (int argc, char **argv, struct cli_globals *g, const char **log_path,
               enum log_format *fmt, int *exit_code, ocirt_error_t *err)
{
  int c;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+vh", global_options, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->root = optarg;
        break;
      case OPT_LOG:
        *log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") == 0)
          *fmt = LOG_FORMAT_JSON;
        else if (strcmp (optarg, "text") == 0)
          *fmt = LOG_FORMAT_TEXT;
        else
          {
            *exit_code = 1;
            return make_error (err, 0, "invalid log-format \"%s\" (use text or json)", optarg);
          }
        break;
      case OPT_DEBUG:
        g->log.debug = true;
        break;
      case OPT_SYSTEMD:
        g->ctx.systemd_cgroup = true;
        break;
      case OPT_ROOTLESS:
        if (parse_rootless (optarg, &g->ctx.rootless, err) < 0)
          {
            *exit_code = 1;
            return -1;
          }
        break;
      case OPT_CRIU:
        g->criu = optarg;
        break;
      case 'v':
        print_version ();
        *exit_code = 0;
        return -1;
      case 'h':
        print_main_help ();
        *exit_code = 0;
        return -1;
      default:
        *exit_code = 1;
        return make_error (err, 0, "unknown global option \"%s\" (see 'ocirt --help')", argv[optind - 1]);
      }
  if (optind >= argc)
    {
      /* runc with no command prints its help and exits 0. */
      print_main_help ();
      *exit_code = 0;
      return -1;
    }
  return optind;
}

int
main (int argc, char **argv)
{
  struct cli_globals g = { .root = NULL, .log = { .fd = -1 }, .ctx = { .rootless = -1 } };
  ocirt_error_t err = NULL;
  const char *log_path = NULL;
  enum log_format fmt = LOG_FORMAT_TEXT;
  int exit_code = 1;
  /* Both before the first `goto out`: out is in their scope, so their
   * cleanup runs however main ends, and must never see an unset pointer. */
  cleanup_free char *own_root = NULL;   /* the default root, when no --root */
  cleanup_free char *abs_root = NULL;   /* --root made absolute */

  /* The shim re-executed lean (shim.h): before any other work, so that it
   * touches no more of ocirt than its loop needs. */
  if (argc > 1 && strcmp (argv[1], SHIM_LEAN_ARG) == 0)
    container_lean_shim_main (argc, argv);
  int verb_index = parse_globals (argc, argv, &g, &log_path, &fmt, &exit_code, &err);
  g.log.format = fmt;
  if (log_path && log_open (&g.log, log_path, fmt) < 0)
    {
      fprintf (stderr, "open log file \"%s\": %s\n", log_path, errno_text (errno));
      return 1;
    }
  if (verb_index < 0)
    goto out;

  if (strcmp (argv[verb_index], "help") == 0 || strcmp (argv[verb_index], "h") == 0)
    {
      exit_code = run_help (argc - verb_index, argv + verb_index, &err);
      goto out;
    }
  const struct cli_verb *v = cli_find_verb (argv[verb_index]);
  if (v == NULL)
    {
      /* runc's (urfave/cli's) words and exit code for any unknown
       * command, with or without -h: its help tests look for them. */
      make_error (&err, 0, "No help topic for '%s' (unknown command; see 'ocirt --help')", argv[verb_index]);
      exit_code = 3;
      goto out;
    }
  /* Before any work: this may re-execute ocirt (CVE-2019-5736). */
  if (v->enters_container && cloned_binary_ensure (argv, &err) < 0)
    {
      exit_code = 1;
      goto out;
    }
  if (g.root == NULL)
    {
      bool fallback;
      own_root = default_root (&fallback);
      if (own_root == NULL)
        {
          make_error (&err, ENOMEM, "state root");
          goto out;
        }
      if (fallback && check_fallback_root (own_root, &err) < 0)
        goto out;
      g.root = own_root;
    }
  /* Absolute from here on: create moves into the bundle (hooks run there,
   * as in runc), and the shim outlives this working directory. */
  if (g.root[0] != '/')
    {
      cleanup_free char *cwd = getcwd (NULL, 0);
      if (cwd == NULL || asprintf (&abs_root, "%s/%s", cwd, g.root) < 0)
        {
          make_error (&err, errno, "--root \"%s\"", g.root);
          goto out;
        }
      g.root = abs_root;
    }
  g.ctx.root = g.root;
  g.ctx.log = &g.log;
  /* Each verb parses from its own name, as if it were argv[0]. */
  optind = 1;
  exit_code = v->run (&g, argc - verb_index, argv + verb_index, &err);
  /* A verb fails with -1 (exit 1) or -N for a specific code N (exec: 255). */
  if (exit_code < 0)
    exit_code = exit_code == -1 ? 1 : -exit_code;
out:
  if (err)
    log_fatal (&g.log, err->message);
  error_release (&err);
  log_close (&g.log);
  return exit_code;
}
