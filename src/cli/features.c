/* features.c - `ocirt features`: what this build implements, as JSON
 * (runtime-spec features.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../oci/features.h"
#include "cli.h"

/* Declared here too until cli.h lists the verb (CLI_VERB (features)). */
extern const struct cli_verb verb_features;

static const struct option features_options[] = {
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_features (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  int c;

  (void) g;
  while ((c = cli_getopt (&verb_features, argc, argv, "+h", features_options, err)) != -1)
    return c == 'h' ? 0 : -1;
  if (cli_require_args (&verb_features, argc, argv, 0, 0, err) < 0)
    return -1;
  char *json = oci_features_json ();
  if (json == NULL)
    return make_error (err, errno, "features");
  fputs (json, stdout);
  free (json);
  return 0;
}

const struct cli_verb verb_features = {
  .name = "features",
  .run = run_features,
  .usage = "features",
  .summary = "show the features this build of ocirt implements, as JSON",
  .help = "",
};
