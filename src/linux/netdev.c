/* netdev.c - see netdev.h.
 *
 * rtnetlink spoken directly: four requests (dump links, dump addresses,
 * change a link, add an address) are all this needs, fewer lines than the
 * glue of a netlink library. A socket opened inside the container's
 * network namespace (setns there and back) talks to that namespace.
 */
#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../util/cleanup.h"

#define FIELD "linux.netDevices[\"%s\"]"

/* ---- names ---------------------------------------------------------------- */

/* The kernel's dev_valid_name, and "%d" at most once for a template. */
static bool
valid_name (const char *name, bool template_ok)
{
  const char *pct;

  if (name[0] == '\0' || strlen (name) >= IFNAMSIZ || strcmp (name, ".") == 0
      || strcmp (name, "..") == 0 || strpbrk (name, "/: \t\n\v\f\r") != NULL)
    return false;
  pct = strchr (name, '%');
  if (pct == NULL)
    return true;
  return template_ok && pct[1] == 'd' && strchr (pct + 1, '%') == NULL;
}

static const char *
new_name (const struct oci_net_device *d)
{
  return d->name && d->name[0] ? d->name : d->host_name;
}

int
netdev_validate (const struct oci_config *cfg, ocirt_error_t *err)
{
  const struct oci_linux *lx = cfg->linux_;

  if (lx == NULL || lx->n_net_devices == 0)
    return 0;
  if (!oci_config_namespace (cfg, OCI_NS_NETWORK))
    return make_error (err, 0, "linux.netDevices: the container has no network namespace of its "
                               "own to move devices into");
  for (size_t i = 0; i < lx->n_net_devices; i++)
    {
      const struct oci_net_device *d = &lx->net_devices[i];
      const char *name = new_name (d);

      if (!valid_name (d->host_name, false))
        return make_error (err, 0, FIELD ": not a valid network device name", d->host_name);
      if (!valid_name (name, true))
        return make_error (err, 0, FIELD ".name: \"%s\" is not a valid network device name "
                                   "(at most %d characters, no '/', ':' or blank; \"%%d\" once "
                                   "for a template)", d->host_name, name, IFNAMSIZ - 1);
      for (size_t j = 0; j < i; j++)
        if (strchr (name, '%') == NULL && strcmp (name, new_name (&lx->net_devices[j])) == 0)
          return make_error (err, 0, FIELD ": \"%s\" is also the name of \"%s\" in the container",
                             d->host_name, name, lx->net_devices[j].host_name);
      if (if_nametoindex (d->host_name) == 0)
        return make_error (err, errno, FIELD ": no such network device on the host", d->host_name);
    }
  return 0;
}

/* ---- rtnetlink ------------------------------------------------------------ */

struct nl
{
  int fd;
  unsigned seq;
};

/* One request: a header, its fixed part and attributes. */
struct nl_req
{
  struct nlmsghdr h;
  char room[1024];
};

static void
nl_close (struct nl *nl)
{
  if (nl->fd >= 0)
    close (nl->fd);
  nl->fd = -1;
}

static int
nl_open (struct nl *nl, ocirt_error_t *err)
{
  nl->seq = 0;
  nl->fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl->fd < 0)
    return make_error (err, errno, "linux.netDevices: open an rtnetlink socket");
  return 0;
}

static void
nl_start (struct nl_req *r, uint16_t type, uint16_t flags, const void *fixed, size_t len)
{
  memset (r, 0, sizeof *r);
  r->h.nlmsg_len = NLMSG_LENGTH (len);
  r->h.nlmsg_type = type;
  r->h.nlmsg_flags = NLM_F_REQUEST | flags;
  memcpy (NLMSG_DATA (&r->h), fixed, len);
}

/* Append one attribute; false when the request is full. */
static bool
nl_put (struct nl_req *r, uint16_t type, const void *data, size_t len)
{
  size_t at = NLMSG_ALIGN (r->h.nlmsg_len);
  struct rtattr *rta = (struct rtattr *) ((char *) &r->h + at);

  if (at + RTA_SPACE (len) > sizeof *r)
    return false;
  rta->rta_type = type;
  rta->rta_len = (unsigned short) RTA_LENGTH (len);
  memcpy (RTA_DATA (rta), data, len);
  r->h.nlmsg_len = (uint32_t) (at + RTA_SPACE (len));
  return true;
}

typedef int (*nl_each_fn) (const struct nlmsghdr *h, void *arg);

/* Send r and read its answer: for a dump, each message goes to each()
 * until NLMSG_DONE; otherwise the ack. Returns 0, or an errno value (the
 * kernel's answer, or the socket's failure). */
static int
nl_talk (struct nl *nl, struct nl_req *r, nl_each_fn each, void *arg)
{
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  char buf[32768] __attribute__ ((aligned (NLMSG_ALIGNTO)));

  r->h.nlmsg_seq = ++nl->seq;
  if (!each)
    r->h.nlmsg_flags |= NLM_F_ACK;
  if (sendto (nl->fd, &r->h, r->h.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return errno;
  for (;;)
    {
      ssize_t n = recv (nl->fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return errno;
      int len = (int) n;
      for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK (h, len); h = NLMSG_NEXT (h, len))
        {
          if (h->nlmsg_seq != nl->seq)
            continue;
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            return -((const struct nlmsgerr *) NLMSG_DATA (h))->error;
          if (each && each (h, arg) < 0)
            return ENOMEM;
        }
    }
}

/* ---- links ---------------------------------------------------------------- */

struct link_list
{
  int *index;
  char (*name)[IFNAMSIZ];
  size_t n;
};

static void
link_list_free (struct link_list *l)
{
  free (l->index);
  free (l->name);
  memset (l, 0, sizeof *l);
}

static int
add_link (const struct nlmsghdr *h, void *arg)
{
  struct link_list *l = arg;
  const struct ifinfomsg *ifi = NLMSG_DATA (h);
  int len = (int) IFLA_PAYLOAD (h);
  int *index = realloc (l->index, (l->n + 1) * sizeof *index);
  char (*name)[IFNAMSIZ] = index ? realloc (l->name, (l->n + 1) * sizeof *name) : NULL;

  if (index)
    l->index = index;
  if (name == NULL)
    return -1;
  l->name = name;
  l->index[l->n] = ifi->ifi_index;
  l->name[l->n][0] = '\0';
  for (const struct rtattr *a = IFLA_RTA (ifi); RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == IFLA_IFNAME)
      snprintf (l->name[l->n], IFNAMSIZ, "%s", (const char *) RTA_DATA (a));
  l->n++;
  return 0;
}

static int
list_links (struct nl *nl, struct link_list *out)
{
  struct nl_req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

  memset (out, 0, sizeof *out);
  nl_start (&r, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof ifi);
  return nl_talk (nl, &r, add_link, out);
}

static bool
has_index (const struct link_list *l, int index)
{
  for (size_t i = 0; i < l->n; i++)
    if (l->index[i] == index)
      return true;
  return false;
}

static bool
has_name (const struct link_list *l, const char *name)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp (l->name[i], name) == 0)
      return true;
  return false;
}

/* ---- addresses ------------------------------------------------------------ */

struct addr_list
{
  int index;                 /* of the device whose addresses are kept */
  struct nlmsghdr **msg;     /* copies of the RTM_NEWADDR messages */
  size_t n;
};

static void
addr_list_free (struct addr_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free (l->msg[i]);
  free (l->msg);
  l->msg = NULL;
  l->n = 0;
}

/* The spec keeps the permanent addresses of global scope: not the
 * link-local ones, nor those a DHCP client or SLAAC would renew. */
static int
keep_addr (const struct nlmsghdr *h, void *arg)
{
  struct addr_list *l = arg;
  const struct ifaddrmsg *ifa = NLMSG_DATA (h);
  int len = (int) IFA_PAYLOAD (h);
  uint32_t flags = ifa->ifa_flags;

  if ((int) ifa->ifa_index != l->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  for (const struct rtattr *a = IFA_RTA (ifa); RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == IFA_FLAGS && RTA_PAYLOAD (a) >= sizeof (uint32_t))
      memcpy (&flags, RTA_DATA (a), sizeof flags);
  if (!(flags & IFA_F_PERMANENT))
    return 0;
  struct nlmsghdr **msg = realloc (l->msg, (l->n + 1) * sizeof *msg);
  if (msg == NULL)
    return -1;
  l->msg = msg;
  l->msg[l->n] = malloc (h->nlmsg_len);
  if (l->msg[l->n] == NULL)
    return -1;
  memcpy (l->msg[l->n++], h, h->nlmsg_len);
  return 0;
}

/* The address again, on device `index`: every attribute but the label,
 * which carries the old name (and must start with the device's for IPv4),
 * and the lifetimes, which a permanent address does not have. */
static int
add_addr (struct nl *nl, const struct nlmsghdr *saved, int index)
{
  struct nl_req r;
  struct ifaddrmsg ifa = *(const struct ifaddrmsg *) NLMSG_DATA (saved);
  int len = (int) IFA_PAYLOAD (saved);

  ifa.ifa_index = (uint32_t) index;
  nl_start (&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof ifa);
  for (const struct rtattr *a = IFA_RTA ((const struct ifaddrmsg *) NLMSG_DATA (saved)); RTA_OK (a, len);
       a = RTA_NEXT (a, len))
    if (a->rta_type != IFA_LABEL && a->rta_type != IFA_CACHEINFO
        && !nl_put (&r, a->rta_type, RTA_DATA (a), RTA_PAYLOAD (a)))
      return EMSGSIZE;
  return nl_talk (nl, &r, NULL, NULL);
}

/* ---- one device ----------------------------------------------------------- */

static int
move_link (struct nl *host, int index, int netns_fd, const char *name)
{
  struct nl_req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  uint32_t fd = (uint32_t) netns_fd;

  nl_start (&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  if (!nl_put (&r, IFLA_NET_NS_FD, &fd, sizeof fd) || !nl_put (&r, IFLA_IFNAME, name, strlen (name) + 1))
    return EMSGSIZE;
  return nl_talk (host, &r, NULL, NULL);
}

static int
set_up (struct nl *nl, int index)
{
  struct nl_req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = IFF_UP,
                           .ifi_change = IFF_UP };

  nl_start (&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  return nl_talk (nl, &r, NULL, NULL);
}

/* The device the move added to the container's namespace: the one index
 * that was not there before (the kernel keeps the index when it is free
 * there, and the name may have come from a template). */
static int
moved_link (struct nl *ctr, const struct link_list *before, char name[IFNAMSIZ])
{
  __attribute__ ((cleanup (link_list_free))) struct link_list after = { 0 };
  int found = -1;

  if (list_links (ctr, &after) != 0)
    return -1;
  for (size_t i = 0; i < after.n; i++)
    if (!has_index (before, after.index[i]))
      {
        found = after.index[i];
        memcpy (name, after.name[i], IFNAMSIZ);
      }
  return found;
}

static int
move_one (struct nl *host, struct nl *ctr, const struct oci_net_device *d, int netns_fd,
          ocirt_error_t *err)
{
  __attribute__ ((cleanup (addr_list_free))) struct addr_list addrs = { 0 };
  __attribute__ ((cleanup (link_list_free))) struct link_list before = { 0 };
  const char *name = new_name (d);
  char moved[IFNAMSIZ] = "";
  struct nl_req r;
  struct ifaddrmsg all = { .ifa_family = AF_UNSPEC };
  int e, index = (int) if_nametoindex (d->host_name);

  if (index == 0)
    return make_error (err, errno, FIELD ": no such network device on the host", d->host_name);
  addrs.index = index;
  nl_start (&r, RTM_GETADDR, NLM_F_DUMP, &all, sizeof all);
  if ((e = nl_talk (host, &r, keep_addr, &addrs)) != 0)
    return make_error (err, e, FIELD ": list its addresses", d->host_name);
  if ((e = list_links (ctr, &before)) != 0)
    return make_error (err, e, "linux.netDevices: list the container's network devices");
  /* Checked here, not left to the kernel: it renames after the move, so
   * a taken name would fail only once the device has left the host. */
  if (strchr (name, '%') == NULL && has_name (&before, name))
    e = EEXIST;
  else
    e = move_link (host, index, netns_fd, name);
  if (e == EEXIST)
    return make_error (err, e, FIELD ": the container's network namespace already has a device "
                               "named \"%s\" (a name ending in %%d lets the kernel pick a free one)",
                       d->host_name, name);
  if (e != 0)
    return make_error (err, e, FIELD ": move it into the container's network namespace as \"%s\"%s",
                       d->host_name, name, e == EPERM ? " (it needs CAP_NET_ADMIN on the host)" : "");
  int at = moved_link (ctr, &before, moved);
  if (at < 0)
    return make_error (err, ENODEV, FIELD ": moved, but not found in the container's network "
                                       "namespace", d->host_name);
  for (size_t i = 0; i < addrs.n; i++)
    if ((e = add_addr (ctr, addrs.msg[i], at)) != 0)
      return make_error (err, e, FIELD ": give \"%s\" back its address %zu", d->host_name, moved,
                         i + 1);
  if ((e = set_up (ctr, at)) != 0)
    return make_error (err, e, FIELD ": bring \"%s\" up", d->host_name, moved);
  return 0;
}

/* A socket of the container's network namespace: this thread enters it,
 * opens the socket and comes back. */
static int
open_in_netns (struct nl *nl, int netns_fd, int proc_fd, ocirt_error_t *err)
{
  cleanup_close int home = openat (proc_fd, "thread-self/ns/net", O_RDONLY | O_CLOEXEC);

  if (home < 0)
    return make_error (err, errno, "linux.netDevices: open /proc/thread-self/ns/net");
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return make_error (err, errno, "linux.netDevices: enter the container's network namespace");
  int r = nl_open (nl, err);
  if (setns (home, CLONE_NEWNET) < 0)
    {
      nl_close (nl);
      return make_error (err, errno, "linux.netDevices: return to the runtime's network namespace");
    }
  return r;
}

int
netdev_move_all (const struct oci_linux *lx, int netns_fd, int proc_fd, ocirt_error_t *err)
{
  struct nl host = { .fd = -1 }, ctr = { .fd = -1 };
  int ret = 0;

  if (lx == NULL || lx->n_net_devices == 0)
    return 0;
  if (nl_open (&host, err) < 0 || open_in_netns (&ctr, netns_fd, proc_fd, err) < 0)
    ret = -1;
  for (size_t i = 0; ret == 0 && i < lx->n_net_devices; i++)
    ret = move_one (&host, &ctr, &lx->net_devices[i], netns_fd, err);
  nl_close (&host);
  nl_close (&ctr);
  return ret;
}
