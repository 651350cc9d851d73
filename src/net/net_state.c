/* net_state.c - reading ocirt-net's records. See net_state.h. */
#include "net_state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "../util/cleanup.h"
#include "../util/fs.h"

/* A record holds a conflist and a result: far below this. */
#define NET_RECORD_MAX (1 << 20)

int
net_state_valid_id (const char *id)
{
  return id && *id && strchr (id, '/') == NULL && strcmp (id, ".") != 0 && strcmp (id, "..") != 0;
}

char *
net_state_record_path (const char *dir, const char *id)
{
  char *p = NULL;
  if (!net_state_valid_id (id))
    return NULL;
  if (asprintf (&p, "%s/%s.json", dir, id) < 0)
    return NULL;
  return p;
}

char *
net_state_address_in (const char *dir, const char *id)
{
  cleanup_free char *path = net_state_record_path (dir, id);
  if (path == NULL)
    return NULL;
  cleanup_error ocirt_error_t err = NULL;
  cleanup_free char *text = NULL;
  if (read_file_at (AT_FDCWD, path, NET_RECORD_MAX - 1, &text, NULL, &err) < 0)
    return NULL;
  yajl_val rec = yajl_tree_parse (text, NULL, 0);
  const char *ips_path[] = { NET_REC_RESULT, "ips", NULL };
  yajl_val ips = yajl_tree_get (rec, ips_path, yajl_t_array);
  char *addr = NULL;
  if (ips && ips->u.array.len > 0)
    {
      const char *a_path[] = { "address", NULL };
      yajl_val a = yajl_tree_get (ips->u.array.values[0], a_path, yajl_t_string);
      if (a)
        {
          addr = strdup (a->u.string);
          char *slash = addr ? strchr (addr, '/') : NULL;
          if (slash)
            *slash = '\0';
        }
    }
  yajl_tree_free (rec);
  return addr;
}

char *
net_state_address (const char *id)
{
  return net_state_address_in (NET_STATE_DIR, id);
}
