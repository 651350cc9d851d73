/* net_state.h - ocirt-net's record of one container's network.
 *
 * Owns: where the record lives (<dir>/<id>.json, default NET_STATE_DIR),
 * the names of its fields, and reading the container's address back out of
 * it, for `ocirt state`/`list` and for ocirt-net itself.
 *
 * Never: writes or deletes a record (only ocirt-net does), or runs a
 * plugin. Linking this file needs only yajl and src/util/error.c.
 *
 * A record is a JSON object:
 *   { "id": "...", "pid": 1234, "pidStartTime": "567",
 *     "netns": "<dir>/netns/<id>",         the pinned container netns
 *     "hostNetns": "/run/netns/x" | null,  where the plugins ran
 *     "ifname": "eth0", "cniPath": "/usr/lib/cni",
 *     "conflist": { ... },                 the list used at ADD
 *     "result": { ... } }                  the ADD's final CNI result
 */
#ifndef OCIRT_NET_STATE_H
#define OCIRT_NET_STATE_H

#define NET_STATE_DIR "/run/ocirt-net"
/* Below the state dir: bind mounts that keep each container's netns alive
 * until DEL, so that DEL finds the veth (and the bridge plugin removes the
 * masquerade rules it made for the container's addresses). */
#define NET_STATE_NETNS_SUBDIR "netns"

#define NET_REC_ID "id"
#define NET_REC_PID "pid"
#define NET_REC_PID_START "pidStartTime"
#define NET_REC_NETNS "netns"
#define NET_REC_HOST_NETNS "hostNetns"
#define NET_REC_IFNAME "ifname"
#define NET_REC_CNI_PATH "cniPath"
#define NET_REC_CONFLIST "conflist"
#define NET_REC_RESULT "result"

/* True if `id` can name a record file (non-empty, no '/', not "." or ".."). */
int net_state_valid_id (const char *id);

/* "<dir>/<id>.json" (malloc'd), or NULL for an invalid id. */
char *net_state_record_path (const char *dir, const char *id);

/* The container's first IP address without its prefix length ("10.231.0.5"),
 * read from the record in `dir`; NULL when there is no record, it has no
 * address, or it cannot be read. The caller frees. */
char *net_state_address_in (const char *dir, const char *id);

/* net_state_address_in (NET_STATE_DIR, id). */
char *net_state_address (const char *id);

#endif
