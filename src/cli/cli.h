/* cli.h - what every verb of the command line shares.
 *
 * Owns: the global flags and the verb table. A verb parses its own argv,
 * calls the lifecycle, prints its result and returns the process exit code;
 * on failure it returns -1 with *err set, and main() reports it once.
 */
#ifndef OCIRT_CLI_H
#define OCIRT_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "../runtime/container.h"
#include "../util/error.h"
#include "../util/log.h"

struct cli_globals
{
  const char *root;
  const char *criu;             /* --criu: the criu binary (default: criu on PATH) */
  struct log_sink log;
  struct runtime_ctx ctx;
};

struct cli_verb
{
  const char *name;
  int (*run) (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err);
  const char *usage;     /* "create [options] <container-id>" */
  const char *summary;   /* one line for `ocirt --help` */
  const char *help;      /* the options, one per line */
  bool enters_container; /* clones a process into a container: run from a
                            protected binary (see cloned_binary.h) */
  /* exec and ps pass what follows the id on (a command, ps options):
   * like runc, they take their own flags only before it. */
  bool keep_arg_order;
};

/* Print a verb's help to stdout. */
void cli_print_help (const struct cli_verb *v);

/* getopt_long_only over argv for verb v, with "--help"/"-h" handled; the
 * first call moves the verb's flags given after its arguments in front, as
 * runc does (unless v->keep_arg_order):
 * returns the option (like getopt), -1 at the end, 'h' after printing the
 * help, or '?' after setting *err for an unknown option. */
int cli_getopt (const struct cli_verb *v, int argc, char **argv, const char *shortopts,
                const struct option *longopts, ocirt_error_t *err);

/* What cli_getopt does first: move the flags (known to shortopts/longopts)
 * that follow the arguments in front of them, as runc's urfave/cli does.
 * For a verb that runs getopt itself. */
void cli_reorder_args (int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Exactly `n` positional arguments remain (runc's wording on mismatch). */
int cli_require_args (const struct cli_verb *v, int argc, char **argv, int min, int max,
                      ocirt_error_t *err);

const struct cli_verb *cli_find_verb (const char *name);

/* --format table|json: sets *json; -1 with *err for anything else. */
int cli_parse_format (const char *arg, bool *json, ocirt_error_t *err);

#define CLI_VERB(name) extern const struct cli_verb verb_##name
CLI_VERB (create);
CLI_VERB (start);
CLI_VERB (run);
CLI_VERB (state);
CLI_VERB (kill);
CLI_VERB (delete);
CLI_VERB (list);
CLI_VERB (spec);
CLI_VERB (ps);
CLI_VERB (pause);
CLI_VERB (resume);
CLI_VERB (logs);
CLI_VERB (exec);
CLI_VERB (features);
CLI_VERB (check);
CLI_VERB (update);
CLI_VERB (events);
CLI_VERB (checkpoint);
CLI_VERB (restore);



/* Shared by create and run: parse their common flags into *o. Returns 0,
 * 1 when help was printed, or -1. `detach` may be NULL (create). */
int cli_parse_create_options (const struct cli_verb *v, int argc, char **argv, struct create_opts *o,
                              bool *detach, ocirt_error_t *err);
#endif
