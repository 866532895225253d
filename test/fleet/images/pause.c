/* The fleet's pause: the process a pod sandbox holds its namespaces with. Sleeps until SIGTERM
 * or SIGINT (then exits 0) and reaps children, as a sandbox's init must. Built static, so the
 * image needs nothing else. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void quit(int sig) {
  (void)sig;
  _exit(0);
}

static void reap(int sig) {
  (void)sig;
  while (waitpid(-1, 0, WNOHANG) > 0) {
  }
}

int main(void) {
  signal(SIGTERM, quit);
  signal(SIGINT, quit);
  signal(SIGCHLD, reap);
  for (;;) pause();
}
