/* ps.c - `ocirt ps`: the processes of a container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../linux/cgroup.h"
#include "../util/cleanup.h"
#include "cli.h"

static const struct option ps_options[] = {
  { "format", required_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static bool
contains (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Run ps(1) with the user's options and keep the header and the lines
 * whose PID column belongs to the container, as runc does. */
static int
print_ps_table (char **ps_args, int n_args, const pid_t *pids, size_t n, ocirt_error_t *err)
{
  cleanup_free char *cmd = strdup ("ps");
  for (int i = 0; i < n_args; i++)
    {
      char *next = NULL;
      /* Arguments are quoted for the shell one by one. */
      cleanup_free char *quoted = malloc (strlen (ps_args[i]) * 4 + 3);
      char *q = quoted;
      *q++ = '\'';
      for (const char *s = ps_args[i]; *s; s++)
        q = *s == '\'' ? stpcpy (q, "'\\''") : (*q = *s, q + 1);
      *q++ = '\'';
      *q = '\0';
      if (asprintf (&next, "%s %s", cmd, quoted) < 0)
        return make_error (err, errno, "ps");
      free (cmd);
      cmd = next;
    }
  if (n_args == 0)
    {
      free (cmd);
      cmd = strdup ("ps -ef");
    }
  FILE *p = popen (cmd, "r");
  if (p == NULL)
    return make_error (err, errno, "run ps");
  char line[4096];
  int pid_col = -1;
  bool header = true;
  while (fgets (line, sizeof line, p))
    {
      if (header)
        {
          char copy[4096];
          snprintf (copy, sizeof copy, "%s", line);
          int col = 0;
          for (char *t = strtok (copy, " \t\n"); t; t = strtok (NULL, " \t\n"), col++)
            if (strcmp (t, "PID") == 0)
              pid_col = col;
          fputs (line, stdout);
          header = false;
          if (pid_col < 0)
            {
              pclose (p);
              return make_error (err, 0, "couldn't find PID field in ps output");
            }
          continue;
        }
      char copy[4096];
      snprintf (copy, sizeof copy, "%s", line);
      char *t = strtok (copy, " \t\n");
      for (int col = 0; t && col < pid_col; col++)
        t = strtok (NULL, " \t\n");
      if (t && contains (pids, n, strtol (t, NULL, 10)))
        fputs (line, stdout);
    }
  int status = pclose (p);
  if (status != 0)
    return make_error (err, 0, "ps failed with status %d", WIFEXITED (status) ? WEXITSTATUS (status) : status);
  return 0;
}

static int
run_ps (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  bool json = false;
  int c;
  while ((c = cli_getopt (&verb_ps, argc, argv, "+f:h", ps_options, err)) != -1)
    switch (c)
      {
      case 'f':
        if (cli_parse_format (optarg, &json, err) < 0)
          return -1;
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_ps, argc, argv, 1, -1, err) < 0)
    return -1;

  struct container_state st = { 0 };
  enum container_status status;
  if (container_load (&g->ctx, argv[optind], &st, &status, err) < 0)
    return -1;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int r = 0;
  /* A stopped container has no processes: runc prints ps's header alone,
   * or in JSON its nil list, and succeeds. */
  if (status != STATUS_STOPPED && st.cgroup_path == NULL)
    /* A rootless container that could not get a cgroup, as runc. */
    r = make_error (err, 0, "unable to get all container pids: cgroups not configured for container");
  else if (status != STATUS_STOPPED)
    r = cgroup_pids (st.cgroup_path, &pids, &n, err);
  state_clear (&st);
  if (r < 0)
    return -1;
  if (!json)
    return print_ps_table (argv + optind + 1, argc - optind - 1, pids, n, err) < 0 ? -1 : 0;
  if (status == STATUS_STOPPED)
    {
      puts ("null");
      return 0;
    }
  putchar ('[');
  for (size_t i = 0; i < n; i++)
    printf ("%s%d", i ? "," : "", (int) pids[i]);
  puts ("]");
  return 0;
}

const struct cli_verb verb_ps = {
  .name = "ps",
  .run = run_ps,
  .usage = "ps [options] <container-id> [ps options]",
  .summary = "list the processes of a container",
  .help = "   --format table|json, -f   table runs ps(1) (default -ef); json prints host pids\n",
  .keep_arg_order = true,
};
