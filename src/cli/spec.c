/* spec.c - `ocirt spec`: write a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../oci/spec.h"
#include "../util/cleanup.h"
#include "cli.h"

static const struct option spec_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "rootless", no_argument, NULL, 'r' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
run_spec (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  const char *bundle = ".";
  bool rootless = false;
  int c;
  (void) g;
  while ((c = cli_getopt (&verb_spec, argc, argv, "+b:h", spec_options, err)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'r':
        rootless = true;
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_spec, argc, argv, 0, 0, err) < 0)
    return -1;

  cleanup_free char *path = NULL;
  cleanup_free char *doc = oci_spec_default (rootless);
  if (doc == NULL || asprintf (&path, "%s/config.json", bundle) < 0)
    return make_error (err, ENOMEM, "spec");
  /* O_EXCL: never overwrite a config the user already has. */
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return make_error (err, 0, "File %s exists. Remove it first", path);
  if (fd < 0)
    return make_error (err, errno, "create \"%s\"", path);
  size_t len = strlen (doc);
  if (write (fd, doc, len) != (ssize_t) len)
    {
      int saved = errno;
      unlink (path);
      return make_error (err, saved, "write \"%s\"", path);
    }
  return 0;
}

const struct cli_verb verb_spec = {
  .name = "spec",
  .run = run_spec,
  .usage = "spec [options]",
  .summary = "write a default config.json (as runc's) into the bundle",
  .help = "   --bundle DIR, -b DIR      where to write config.json (default: current directory)\n"
          "   --rootless                a config for a container run by an unprivileged user\n",
};
