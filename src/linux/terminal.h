/* terminal.h - process.terminal: the container's pty, its console socket
 * hand-off, and the foreground proxy of `ocirt run` / `exec -t`.
 *
 * Owns: allocating the pty inside the container (from the container's own
 * devpts instance, so the pty belongs to the container and not the host),
 * making its slave the controlling terminal and stdio of the init,
 * bind-mounting it on /dev/console, its window size, passing the master as
 * one SCM_RIGHTS message with a non-empty payload (the pty's name, as runc
 * does), and copying bytes between our own stdio and the master.
 *
 * It never forks, never installs signal handlers (SIGWINCH is read from a
 * signalfd), never opens a pty slave by path lookup when the kernel can hand
 * it over (TIOCGPTPEER), and never leaves our own tty in raw mode.
 */
#ifndef OCIRT_TERMINAL_H
#define OCIRT_TERMINAL_H

#include <sys/types.h>

#include "../util/error.h"

/* In the container init, after pivot_root, with the container's devpts on
 * /dev/pts and /dev/ptmx -> pts/ptmx: open a new pty. On success returns the
 * slave fd (O_RDWR|O_NOCTTY|O_CLOEXEC), and sets *master_fd (O_CLOEXEC) and
 * *slave_name ("/dev/pts/N", malloc'd). On failure returns -1 and leaves
 * *master_fd and *slave_name untouched. */
int terminal_open_in_container (int *master_fd, char **slave_name, ocirt_error_t *err);

/* Make slave_fd the controlling terminal of the calling process, which must
 * already lead its own session (setsid), and dup2 it onto 0, 1 and 2. The
 * caller still owns slave_fd (close it, or let O_CLOEXEC do it at exec). */
int terminal_setup_stdio (int slave_fd, ocirt_error_t *err);

/* Bind-mount the pty of slave_fd (as returned above) onto /dev/console,
 * creating an empty file /dev/console (mode 0666) first if there is none,
 * so that /dev/console is the container's terminal. Bound from the fd, onto
 * an O_PATH fd of /dev/console taken without following symlinks. Needs a
 * writable /dev: call it before /dev or the root is remounted read-only. */
int terminal_bind_console (int slave_fd, ocirt_error_t *err);

/* Give the pty to the process's uid (its gid stays devpts's), as runc does
 * for the stdio of the process it starts. */
int terminal_chown_slave (int slave_fd, uid_t uid, ocirt_error_t *err);

/* TIOCSWINSZ on a pty fd (master or slave): process.consoleSize. */
int terminal_set_size (int fd, unsigned rows, unsigned cols, ocirt_error_t *err);

/* Send fd in one SCM_RIGHTS message whose data is payload, which must be
 * non-empty (a stream socket drops fds sent with no data). The caller keeps
 * its own copy of fd. */
int fd_send (int sock, int fd, const char *payload, ocirt_error_t *err);

/* Receive one message sent by fd_send: *fd gets the fd (O_CLOEXEC) and
 * *payload the data, NUL-terminated and malloc'd. A message without exactly
 * one fd, with an empty payload, or EOF is an error (any fd received is then
 * closed). On a SOCK_STREAM socket the kernel ends a read at a message that
 * carries fds, so data sent after fd_send is not swallowed; data sent before
 * it must have been read first. */
int fd_recv (int sock, int *fd, char **payload, ocirt_error_t *err);

/* Connect to the --console-socket at socket_path (AF_UNIX, SOCK_STREAM) and
 * send master_fd with payload pty_name. An unreachable socket gives
 * `connect to console socket "PATH": no such file or directory`. */
int console_socket_send (const char *socket_path, int master_fd, const char *pty_name,
                         ocirt_error_t *err);

/* Foreground proxy between our stdio and a pty master (`ocirt run` without
 * --console-socket, `exec -t`). If stdin is a tty it is put in raw mode for
 * the duration and restored on every return path, and its window size is
 * copied to the master at start and on each SIGWINCH.
 *
 * SIGWINCH is read from a signalfd, so it must be blocked in the calling
 * thread: the caller is expected to have blocked it (with its other
 * forwarded signals). If it is not blocked, the proxy blocks it for its
 * duration and restores the mask before returning.
 *
 * Copies stdin -> master and master -> stdout with poll() until the master
 * reports EOF/EIO (every slave closed), or until pidfd (may be -1) is
 * readable and the master has gone quiet, so a background process that
 * keeps the slave open does not hold `run` forever. EOF on stdin stops the
 * reading of stdin only; output is still copied. Returns 0 once output is
 * drained. The master is left in blocking mode, as it was. */
int terminal_proxy (int master_fd, int pidfd, ocirt_error_t *err);

#endif
