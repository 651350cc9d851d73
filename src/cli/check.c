/* check.c - `ocirt check`: can this host run containers? See hostcheck.h
 * for the findings and which of them the default config needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/hostcheck.h"
#include "cli.h"

enum
{
  OPT_FORMAT = 256,
};

static const struct option check_options[] = {
  { "format", required_argument, NULL, OPT_FORMAT },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
print_text (const struct hostcheck_report *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      const struct hostcheck_item *it = &r->items[i];
      printf ("%s %-19s %s%s\n", it->ok ? "\u2713" : "\u2717", it->name, it->detail,
              it->ok || it->required ? "" : " (optional)");
      if (!it->ok && it->fix)
        printf ("  %-19s fix: %s\n", "", it->fix);
    }
  if (hostcheck_passed (r))
    printf ("\nthis host can run containers with the default config\n");
  else
    {
      printf ("\nmissing for the default config:");
      for (size_t i = 0; i < r->n; i++)
        if (r->items[i].required && !r->items[i].ok)
          printf (" %s;", r->items[i].name);
      printf ("\n");
    }
}

static int
run_check (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  bool json = false;
  int c;

  while ((c = cli_getopt (&verb_check, argc, argv, "+h", check_options, err)) != -1)
    switch (c)
      {
      case OPT_FORMAT:
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "text") != 0)
          return make_error (err, 0, "check: invalid format \"%s\" (use text or json)", optarg);
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_check, argc, argv, 0, 0, err) < 0)
    return -1;

  struct hostcheck_report r;
  hostcheck_run (&hostcheck_system_probe, g->root, &r);
  if (json)
    {
      char *s = hostcheck_report_json (&r);
      if (s == NULL)
        {
          hostcheck_report_free (&r);
          return make_error (err, 0, "check: format json");
        }
      printf ("%s\n", s);
      free (s);
    }
  else
    print_text (&r);
  int code = hostcheck_passed (&r) ? 0 : 1;
  hostcheck_report_free (&r);
  return code;
}

const struct cli_verb verb_check = {
  .name = "check",
  .run = run_check,
  .usage = "check [--format text|json]",
  .summary = "diagnose whether this host can run containers, and how to fix what is missing",
  .help = "   --format text|json        output format (default: text); json is an array of\n"
          "                             {name, ok, detail, fix, required}\n"
          "\nExits 1 when something the default config needs is missing (kernel,\n"
          "namespaces, cgroups, seccomp, pivot_root, a writable state dir).\n",
};
