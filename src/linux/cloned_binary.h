/* cloned_binary.h - never let a container see ocirt's writable binary.
 *
 * Owns: running ocirt from a file that cannot be written through
 * /proc/<pid>/exe (CVE-2019-5736). The container's init and every exec'd
 * process are clones of ocirt until their execve, so their exe is ocirt's.
 * A script starting "#!/proc/self/exe" run as their program makes the
 * kernel execute that exe again inside the container, now dumpable: its
 * root can then open /proc/<pid>/exe and, once the process exits, write
 * the host's binary through it. It never mounts anything into a namespace:
 * the overlay it uses is detached and lives only as long as the process.
 */
#ifndef OCIRT_CLONED_BINARY_H
#define OCIRT_CLONED_BINARY_H

#include "../util/error.h"

/* Make sure this process runs from a read-only or sealed image of ocirt.
 * When /proc/self/exe already is one (a read-only mount, or our own re-exec),
 * returns 0 at once. Otherwise re-executes argv from a detached read-only
 * overlayfs of the binary's directory (no copy), or, when overlayfs is not
 * available, from a sealed memfd copy; it returns only on failure (-1). */
int cloned_binary_ensure (char **argv, ocirt_error_t *err);

#endif
