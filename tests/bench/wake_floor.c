/* wake_floor: what a wake-up alone costs on this machine, the floor under any
 * daemon that reads a trickle in rounds. Run by hand, never in CTest.
 *
 * What: sleeps in epoll_wait on a timerfd armed for PERIOD ms, COUNT times
 * (seconds x 1000 / period), like an asio io_context waiting for its next
 * read round; with WORK=1 each wake-up also does what a minimal round does
 * (re-arm the timer, pread 1 KiB of a file, write 60 bytes to another).
 * Prints the process's CPU per wake-up and as % of one core.
 *
 * How:  gcc -O2 -o /tmp/wake_floor tests/bench/wake_floor.c
 *       /tmp/wake_floor 25 10 0    # 40 bare wake-ups a second for 10 s
 *       /tmp/wake_floor 25 10 1    # the same with a round's 4 system calls
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PERIOD_MS SECONDS WORK(0|1)\n", argv[0]);
    return 2;
  }
  const int period_ms = atoi(argv[1]), seconds = atoi(argv[2]), work = atoi(argv[3]);
  if (period_ms <= 0 || period_ms >= 1000 || seconds <= 0) {
    fprintf(stderr, "PERIOD_MS must be 1-999 and SECONDS > 0\n");
    return 2;
  }
  const int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  const int poller = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN, .data.fd = timer};
  const int in = open("/proc/self/exe", O_RDONLY);
  char scratch[] = "/tmp/wake_floor.XXXXXX";
  const int out = mkstemp(scratch);
  if (timer < 0 || poller < 0 || in < 0 || out < 0 ||
      epoll_ctl(poller, EPOLL_CTL_ADD, timer, &interest) != 0) {
    perror("wake_floor: setting up");
    return 1;
  }
  unlink(scratch);
  char buffer[1024];
  const struct itimerspec arm = {{0, 0}, {0, period_ms * 1000000L}};
  struct timespec wall0, wall1, cpu;
  clock_gettime(CLOCK_MONOTONIC, &wall0);
  const int count = seconds * 1000 / period_ms;
  timerfd_settime(timer, 0, &arm, NULL);
  for (int i = 0; i < count; i++) {
    struct epoll_event ready;
    uint64_t expirations;
    epoll_wait(poller, &ready, 1, -1);
    if (read(timer, &expirations, sizeof expirations) < 0) perror("wake_floor: read");
    timerfd_settime(timer, 0, &arm, NULL);
    if (work) {
      if (pread(in, buffer, sizeof buffer, 0) < 0) perror("wake_floor: pread");
      if (write(out, buffer, 60) < 0) perror("wake_floor: write");
      timerfd_settime(timer, 0, &arm, NULL);
    }
  }
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
  clock_gettime(CLOCK_MONOTONIC, &wall1);
  const double wall = (wall1.tv_sec - wall0.tv_sec) + (wall1.tv_nsec - wall0.tv_nsec) / 1e9;
  const double used = cpu.tv_sec + cpu.tv_nsec / 1e9;
  printf("%d wake-ups every %d ms%s: %.1f us of CPU each, %.3f%% of a core\n", count, period_ms,
         work ? " with a round's system calls" : "", used / count * 1e6, 100 * used / wall);
  return 0;
}
