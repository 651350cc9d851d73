/* list.c - `ocirt list`: every container under the state root. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "../util/cleanup.h"
#include "../util/json.h"
#include "cli.h"

struct list_row
{
  struct container_state st;
  enum container_status status;
  char owner[64];
};

static const struct option list_options[] = {
  { "quiet", no_argument, NULL, 'q' },
  { "format", required_argument, NULL, 'f' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* runc shows the name of the state directory's owner. */
static void
owner_name (const char *root, const char *id, char *buf, size_t len)
{
  struct stat st;
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/%s", root, id) < 0 || stat (path, &st) < 0)
    {
      snprintf (buf, len, "#?");
      return;
    }
  struct passwd *pw = getpwuid (st.st_uid);
  if (pw)
    snprintf (buf, len, "%s", pw->pw_name);
  else
    snprintf (buf, len, "#%u", (unsigned) st.st_uid);
}

/* Rows the width runc's tabwriter gives: min 12, padding 3. */
static void
print_table (struct list_row *rows, size_t n)
{
  static const char *const head[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
  size_t w[6];
  char pid[16];
  for (int c = 0; c < 6; c++)
    w[c] = strlen (head[c]);
  for (size_t i = 0; i < n; i++)
    {
      const char *cells[6] = { rows[i].st.id, pid, container_status_name (rows[i].status), rows[i].st.bundle,
                               rows[i].st.created, rows[i].owner };
      snprintf (pid, sizeof pid, "%d", rows[i].status == STATUS_STOPPED ? 0 : (int) rows[i].st.pid);
      for (int c = 0; c < 6; c++)
        if (strlen (cells[c] ? cells[c] : "") > w[c])
          w[c] = strlen (cells[c] ? cells[c] : "");
    }
  for (int c = 0; c < 6; c++)
    w[c] = w[c] + 3 < 12 ? 12 : w[c] + 3;
  for (int c = 0; c < 5; c++)
    printf ("%-*s", (int) w[c], head[c]);
  printf ("%s\n", head[5]);
  for (size_t i = 0; i < n; i++)
    {
      snprintf (pid, sizeof pid, "%d", rows[i].status == STATUS_STOPPED ? 0 : (int) rows[i].st.pid);
      const char *cells[6] = { rows[i].st.id, pid, container_status_name (rows[i].status), rows[i].st.bundle,
                               rows[i].st.created, rows[i].owner };
      for (int c = 0; c < 5; c++)
        printf ("%-*s", (int) w[c], cells[c] ? cells[c] : "");
      printf ("%s\n", cells[5]);
    }
}

static void
print_json (struct list_row *rows, size_t n)
{
  const unsigned char *buf;
  size_t len;
  /* runc encodes an empty list as null. */
  if (n == 0)
    {
      puts ("null");
      return;
    }
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      const struct container_state *st = &rows[i].st;
      yajl_gen_map_open (g);
      json_gen_kv_string (g, "ociVersion", st->oci_version);
      json_gen_kv_string (g, "id", st->id);
      yajl_gen_string (g, (const unsigned char *) "pid", 3);
      yajl_gen_integer (g, rows[i].status == STATUS_STOPPED ? 0 : st->pid);
      json_gen_kv_string (g, "status", container_status_name (rows[i].status));
      json_gen_kv_string (g, "bundle", st->bundle);
      json_gen_kv_string (g, "rootfs", st->rootfs);
      json_gen_kv_string (g, "created", st->created);
      if (st->n_annotations)
        {
          yajl_gen_string (g, (const unsigned char *) "annotations", 11);
          yajl_gen_map_open (g);
          for (size_t a = 0; a < st->n_annotations; a++)
            json_gen_kv_string (g, st->annotation_keys[a], st->annotation_values[a]);
          yajl_gen_map_close (g);
        }
      json_gen_kv_string (g, "owner", rows[i].owner);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  printf ("%.*s\n", (int) len, buf);
  yajl_gen_free (g);
}

static int
run_list (struct cli_globals *g, int argc, char **argv, ocirt_error_t *err)
{
  bool quiet = false, json = false;
  int c;
  while ((c = cli_getopt (&verb_list, argc, argv, "+qf:h", list_options, err)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'f':
        if (cli_parse_format (optarg, &json, err) < 0)
          return -1;
        break;
      case 'h':
        return 0;
      default:
        return -1;
      }
  if (cli_require_args (&verb_list, argc, argv, 0, 0, err) < 0)
    return -1;

  cleanup_strv char **ids = NULL;
  size_t n = 0;
  cleanup_close int root_fd = open (g->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* No root yet is an empty list; one that cannot be a root is an error
   * (runc fails to make it). */
  if (root_fd < 0 && errno != ENOENT)
    return make_error (err, errno, "open state root \"%s\"", g->root);
  if (root_fd >= 0 && state_list_ids (root_fd, &ids, &n, err) < 0)
    return -1;
  cleanup_free struct list_row *rows = calloc (n + 1, sizeof *rows);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    {
      ocirt_error_t ignored = NULL;
      /* A container deleted meanwhile, or with a corrupt state file, is
       * skipped rather than failing the whole listing. */
      if (container_load (&g->ctx, ids[i], &rows[m].st, &rows[m].status, &ignored) < 0)
        {
          error_release (&ignored);
          continue;
        }
      owner_name (g->root, ids[i], rows[m].owner, sizeof rows[m].owner);
      m++;
    }
  if (quiet)
    for (size_t i = 0; i < m; i++)
      puts (rows[i].st.id);
  else if (json)
    print_json (rows, m);
  else
    print_table (rows, m);
  for (size_t i = 0; i < m; i++)
    state_clear (&rows[i].st);
  return 0;
}

const struct cli_verb verb_list = {
  .name = "list",
  .run = run_list,
  .usage = "list [options]",
  .summary = "list the containers under the state root",
  .help = "   --format table|json, -f   output format (default: table)\n"
          "   --quiet, -q               print the ids only\n",
};
