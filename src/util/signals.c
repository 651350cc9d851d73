/* signals.c - see signals.h. */
#include "signals.h"

#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int
wait_forwarding_signals (pid_t pid, const sigset_t *blocked)
{
  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (blocked, &si);
      if (sig < 0)
        continue;
      if (sig == SIGCHLD)
        {
          int status;
          /* SIGCHLD may be for another child (a hook, an orphan). */
          if (waitpid (pid, &status, WNOHANG) == pid)
            return status;
          continue;
        }
      kill (pid, sig);
    }
}

int
exit_code_of (int wait_status)
{
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : 128 + WTERMSIG (wait_status);
}

/* The kernel's struct sigaction for rt_sigaction(2). */
struct kernel_sigaction
{
  void (*handler) (int);
  unsigned long flags;
  void (*restorer) (void);
  unsigned long mask;
};

void
signals_reset_for_exec (void)
{
  struct kernel_sigaction dfl;
  sigset_t none;

  memset (&dfl, 0, sizeof dfl);
  dfl.handler = SIG_DFL;
  /* 64 signals on Linux; SIGKILL and SIGSTOP cannot be changed and fail
   * harmlessly. */
  for (int sig = 1; sig <= 64; sig++)
    syscall (SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}
