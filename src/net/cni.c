/* cni.c - running CNI plugins and chaining a conflist. See cni.h. */
#include "cni.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"

extern char **environ;

/* A plugin's stdout larger than this is not a CNI result. */
#define CNI_MAX_OUTPUT (1 << 20)

const char *
cni_string (yajl_val v, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val s = yajl_tree_get (v, path, yajl_t_string);
  return s ? YAJL_GET_STRING (s) : NULL;
}

static void
gen_string (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

void
cni_gen_value (yajl_gen g, yajl_val v)
{
  if (v == NULL || YAJL_IS_NULL (v))
    yajl_gen_null (g);
  else if (YAJL_IS_STRING (v))
    gen_string (g, YAJL_GET_STRING (v));
  else if (YAJL_IS_NUMBER (v))
    /* The number's own text, so that no precision is lost on the way. */
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_TRUE (v))
    yajl_gen_bool (g, 1);
  else if (YAJL_IS_FALSE (v))
    yajl_gen_bool (g, 0);
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        cni_gen_value (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          gen_string (g, v->u.object.keys[i]);
          cni_gen_value (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
}

char *
cni_plugin_config (yajl_val conflist, yajl_val plugin, yajl_val prev_result)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return NULL;
  yajl_gen_map_open (g);
  gen_string (g, "cniVersion");
  gen_string (g, cni_string (conflist, "cniVersion"));
  gen_string (g, "name");
  gen_string (g, cni_string (conflist, "name"));
  for (size_t i = 0; i < plugin->u.object.len; i++)
    {
      const char *k = plugin->u.object.keys[i];
      /* The list's values win: a plugin must not run under another name. */
      if (strcmp (k, "cniVersion") == 0 || strcmp (k, "name") == 0 || strcmp (k, "prevResult") == 0)
        continue;
      gen_string (g, k);
      cni_gen_value (g, plugin->u.object.values[i]);
    }
  if (prev_result)
    {
      gen_string (g, "prevResult");
      cni_gen_value (g, prev_result);
    }
  yajl_gen_map_close (g);
  return json_gen_take (g, NULL);
}

int
cni_conflist_validate (yajl_val conflist, ocirt_error_t *err)
{
  const char *path[] = { "plugins", NULL };
  if (!YAJL_IS_OBJECT (conflist))
    return make_error (err, 0, "conflist: not a JSON object");
  if (cni_string (conflist, "name") == NULL)
    return make_error (err, 0, "conflist: missing \"name\"");
  if (cni_string (conflist, "cniVersion") == NULL)
    return make_error (err, 0, "conflist: missing \"cniVersion\"");
  yajl_val plugins = yajl_tree_get (conflist, path, yajl_t_array);
  if (plugins == NULL || plugins->u.array.len == 0)
    return make_error (err, 0, "conflist: \"plugins\" must be a non-empty array");
  for (size_t i = 0; i < plugins->u.array.len; i++)
    if (!YAJL_IS_OBJECT (plugins->u.array.values[i]) || cni_string (plugins->u.array.values[i], "type") == NULL)
      return make_error (err, 0, "conflist: plugin #%zu has no \"type\"", i);
  return 0;
}

/* The first directory of CNI_PATH holding an executable `type`. */
static char *
find_plugin (const char *cni_path, const char *type, ocirt_error_t *err)
{
  if (strchr (type, '/') || type[0] == '.' || type[0] == '\0')
    {
      make_error (err, 0, "plugin type \"%s\": not a plain name", type);
      return NULL;
    }
  cleanup_free char *dirs = strdup (cni_path);
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *p = NULL;
      if (asprintf (&p, "%s/%s", d, type) < 0)
        abort ();
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  make_error (err, ENOENT, "find plugin \"%s\" in CNI_PATH \"%s\"", type, cni_path);
  return NULL;
}

/* environ without any CNI_* variable, plus the call's own. */
static char **
plugin_env (const struct cni_call *c)
{
  size_t n = 0;
  while (environ[n])
    n++;
  char **env = calloc (n + 8, sizeof *env);
  size_t k = 0;
  if (env == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    if (strncmp (environ[i], "CNI_", 4) != 0)
      env[k++] = strdup (environ[i]);
  const char *names[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" };
  const char *values[] = { c->command, c->container_id, c->netns, c->ifname, c->cni_path };
  for (size_t i = 0; i < 5; i++)
    if (asprintf (&env[k++], "%s=%s", names[i], values[i] ? values[i] : "") < 0)
      abort ();
  /* Plugins refuse unknown CNI_ARGS keys unless told to ignore them. */
  env[k++] = strdup ("CNI_ARGS=IgnoreUnknown=1");
  return env;
}

static char *
read_all (int fd)
{
  size_t cap = 4096, len = 0;
  char *buf = malloc (cap);
  if (buf == NULL)
    abort ();
  for (;;)
    {
      if (len + 1 >= cap)
        {
          if (cap >= CNI_MAX_OUTPUT)
            break;
          cap *= 2;
          buf = realloc (buf, cap);
          if (buf == NULL)
            abort ();
        }
      ssize_t r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';
  return buf;
}

/* The message a failed plugin printed as a CNI error object, or NULL. */
static char *
plugin_error_message (const char *out)
{
  yajl_val v = yajl_tree_parse (out, NULL, 0);
  char *msg = NULL;
  if (v && YAJL_IS_OBJECT (v) && cni_string (v, "msg"))
    {
      const char *details = cni_string (v, "details");
      if (details && *details)
        {
          if (asprintf (&msg, "%s (%s)", cni_string (v, "msg"), details) < 0)
            abort ();
        }
      else
        msg = strdup (cni_string (v, "msg"));
    }
  yajl_tree_free (v);
  return msg;
}

int
cni_exec_plugin (const struct cni_call *c, const char *type, const char *config, char **out,
                 ocirt_error_t *err)
{
  cleanup_free char *bin = find_plugin (c->cni_path, type, err);
  int in[2], outp[2];
  if (bin == NULL)
    return -1;
  if (pipe2 (in, O_CLOEXEC) < 0)
    return make_error (err, errno, "pipe");
  if (pipe2 (outp, O_CLOEXEC) < 0)
    {
      close (in[0]);
      close (in[1]);
      return make_error (err, errno, "pipe");
    }
  char **env = plugin_env (c);
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (outp[1], 1);
      char *argv[] = { bin, NULL };
      execve (bin, argv, env);
      _exit (127);
    }
  int saved = errno;
  for (char **e = env; *e; e++)
    free (*e);
  free (env);
  close (in[0]);
  close (outp[1]);
  if (pid < 0)
    {
      close (in[1]);
      close (outp[0]);
      return make_error (err, saved, "fork plugin \"%s\"", type);
    }
  /* A plugin that exits without reading its config must not kill us. */
  void (*old) (int) = signal (SIGPIPE, SIG_IGN);
  write_all (in[1], config, strlen (config));
  close (in[1]);
  signal (SIGPIPE, old);
  char *output = read_all (outp[0]);
  close (outp[0]);
  int status;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        free (output);
        return make_error (err, errno, "wait for plugin \"%s\"", type);
      }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    {
      *out = output;
      return 0;
    }
  cleanup_free char *msg = plugin_error_message (output);
  free (output);
  if (msg)
    return make_error (err, 0, "plugin \"%s\" %s: %s", type, c->command, msg);
  if (WIFEXITED (status))
    return make_error (err, 0, "plugin \"%s\" %s: exit status %d", type, c->command, WEXITSTATUS (status));
  return make_error (err, 0, "plugin \"%s\" %s: killed by signal %d", type, c->command, WTERMSIG (status));
}

static yajl_val
plugins_of (yajl_val conflist)
{
  const char *path[] = { "plugins", NULL };
  return yajl_tree_get (conflist, path, yajl_t_array);
}

/* Call plugin #i of the list with prev_result; *out its stdout. */
static int
call_one (const struct cni_call *c, yajl_val conflist, size_t i, yajl_val prev_result, char **out,
          ocirt_error_t *err)
{
  yajl_val plugin = plugins_of (conflist)->u.array.values[i];
  const char *type = cni_string (plugin, "type");
  cleanup_free char *config = cni_plugin_config (conflist, plugin, prev_result);
  if (config == NULL)
    return make_error (err, ENOMEM, "plugin #%zu (%s) config", i, type);
  return cni_exec_plugin (c, type, config, out, err);
}

int
cni_conflist_add (const struct cni_call *c, yajl_val conflist, char **result, ocirt_error_t *err)
{
  yajl_val plugins = plugins_of (conflist);
  yajl_val prev = NULL;
  char *prev_text = NULL;
  char errbuf[256];

  for (size_t i = 0; i < plugins->u.array.len; i++)
    {
      char *out = NULL;
      if (call_one (c, conflist, i, prev, &out, err) < 0)
        goto fail;
      yajl_val parsed = yajl_tree_parse (out, errbuf, sizeof errbuf);
      if (parsed == NULL || !YAJL_IS_OBJECT (parsed))
        {
          yajl_tree_free (parsed);
          make_error (err, 0, "plugin \"%s\" ADD: result is not a JSON object: %s",
                      cni_string (plugins->u.array.values[i], "type"), errbuf);
          free (out);
          goto fail;
        }
      yajl_tree_free (prev);
      free (prev_text);
      prev = parsed;
      prev_text = out;
    }
  yajl_tree_free (prev);
  *result = prev_text;
  return 0;

fail:
  {
    /* Undo what the earlier plugins did; their DEL is idempotent. */
    struct cni_call del = *c;
    ocirt_error_t ignored = NULL;
    del.command = "DEL";
    cni_conflist_del (&del, conflist, prev, &ignored);
    error_release (&ignored);
    yajl_tree_free (prev);
    free (prev_text);
    return -1;
  }
}

int
cni_conflist_del (const struct cni_call *c, yajl_val conflist, yajl_val prev_result, ocirt_error_t *err)
{
  yajl_val plugins = plugins_of (conflist);
  int ret = 0;
  for (size_t i = plugins->u.array.len; i-- > 0;)
    {
      char *out = NULL;
      ocirt_error_t e = NULL;
      if (call_one (c, conflist, i, prev_result, &out, &e) < 0)
        {
          if (ret == 0)
            {
              *err = e;
              e = NULL;
              ret = -1;
            }
          error_release (&e);
          continue;
        }
      free (out);
    }
  return ret;
}
