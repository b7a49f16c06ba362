/* A network link with latency and a bandwidth limit, in user space, for
 * benchmarks on kernels built without tc's netem: every IP packet read from
 * one TUN device is written to the other after the link's one-way delay,
 * leaving no faster than the link's rate, queued behind the packets before it
 * as at a real link's bottleneck; what overflows that queue is dropped.
 *
 *   delay_line DEV_A DEV_B ONE_WAY_US RATE_KBIT QUEUE_PACKETS
 *
 * Creates both TUN devices (they vanish when it exits), prints "ready" once
 * they exist, and reads commands on stdin: "set ONE_WAY_US RATE_KBIT" changes
 * the link for what is read from then on, "stats" prints the packets passed
 * and dropped. It exits at the end of its stdin (its parent gone).
 *
 * Built by benchmarks/imap_client_bench.py (--rtt-ms) with the system's cc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 65536
#define MAX_HELD 65536 /* packets on the wire or queued, each direction */

struct packet {
  uint64_t due_ns; /* when it reaches the other end */
  size_t len;
  unsigned char data[];
};

struct direction {
  int from, to;
  struct packet *held[MAX_HELD]; /* a ring, in order of due_ns */
  size_t head, count;
  uint64_t link_free_ns; /* when the link has sent all it has */
  unsigned long long passed, dropped;
};

static uint64_t one_way_ns, ns_per_byte_x1000; /* the link */
static uint64_t queue_bytes;                   /* the bottleneck's queue */

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void set_link(unsigned long long one_way_us, unsigned long long rate_kbit) {
  one_way_ns = one_way_us * 1000u;
  /* 8e6 ns·kbit per byte: bytes * 8 bits / (kbit * 1000 bit/s) in ns */
  ns_per_byte_x1000 = rate_kbit ? 8000000000ull / rate_kbit : 0;
}

static int open_tun(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Everything the device has for the link: queued behind the link's backlog,
 * or dropped when that backlog is over the queue's size. */
static void take(struct direction *d, unsigned char *buf) {
  for (;;) {
    ssize_t n = read(d->from, buf, MAX_PACKET);
    if (n <= 0) return;
    uint64_t now = now_ns();
    uint64_t start = d->link_free_ns > now ? d->link_free_ns : now;
    uint64_t backlog = start - now;
    uint64_t send_ns = (uint64_t)n * ns_per_byte_x1000 / 1000u;
    if (d->count == MAX_HELD ||
        (ns_per_byte_x1000 && backlog * 1000u / ns_per_byte_x1000 > queue_bytes)) {
      d->dropped++;
      continue;
    }
    struct packet *p = malloc(sizeof *p + (size_t)n);
    if (p == NULL) {
      d->dropped++;
      continue;
    }
    d->link_free_ns = start + send_ns;
    p->due_ns = d->link_free_ns + one_way_ns;
    p->len = (size_t)n;
    memcpy(p->data, buf, (size_t)n);
    d->held[(d->head + d->count) % MAX_HELD] = p;
    d->count++;
  }
}

/* Delivers what is due; returns when the next packet is (0: none held). */
static uint64_t deliver(struct direction *d, uint64_t now) {
  while (d->count > 0) {
    struct packet *p = d->held[d->head];
    if (p->due_ns > now) return p->due_ns;
    if (write(d->to, p->data, p->len) < 0)
      d->dropped++;
    else
      d->passed++;
    free(p);
    d->head = (d->head + 1) % MAX_HELD;
    d->count--;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s DEV_A DEV_B ONE_WAY_US RATE_KBIT QUEUE_PACKETS\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  prctl(PR_SET_TIMERSLACK, 1UL);
  /* On a busy machine the link must not wait for a core: real time (as
   * root), little CPU. Without it the delays are only as good as the load. */
  struct sched_param fifo = {.sched_priority = 10};
  if (sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) fprintf(stderr, "delay_line: no SCHED_FIFO\n");
  set_link(strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
  queue_bytes = strtoull(argv[5], NULL, 10) * 1500u;
  static struct direction dirs[2];
  int a = open_tun(argv[1]), b = open_tun(argv[2]);
  if (a < 0 || b < 0) {
    fprintf(stderr, "delay_line: cannot create TUN devices %s, %s: %s\n", argv[1], argv[2],
            strerror(errno));
    return 1;
  }
  dirs[0].from = dirs[1].to = a;
  dirs[0].to = dirs[1].from = b;
  printf("ready\n");
  fflush(stdout);
  static unsigned char buf[MAX_PACKET];
  char line[256];
  size_t line_len = 0;
  for (;;) {
    uint64_t now = now_ns(), next = 0;
    for (int i = 0; i < 2; i++) {
      uint64_t due = deliver(&dirs[i], now);
      if (due && (!next || due < next)) next = due;
    }
    struct pollfd fds[3] = {{a, POLLIN, 0}, {b, POLLIN, 0}, {0, POLLIN, 0}};
    struct timespec wait = {0, 0};
    if (next) {
      uint64_t left = next > now ? next - now : 0;
      wait.tv_sec = (time_t)(left / 1000000000u);
      wait.tv_nsec = (long)(left % 1000000000u);
    }
    if (ppoll(fds, 3, next ? &wait : NULL, NULL) < 0 && errno != EINTR) return 1;
    if (fds[0].revents & POLLIN) take(&dirs[0], buf);
    if (fds[1].revents & POLLIN) take(&dirs[1], buf);
    if (fds[2].revents & (POLLIN | POLLHUP)) {
      ssize_t n = read(0, line + line_len, sizeof line - 1 - line_len);
      if (n <= 0) return 0; /* the parent is gone */
      line_len += (size_t)n;
      line[line_len] = '\0';
      char *end;
      while ((end = strchr(line, '\n')) != NULL) {
        *end = '\0';
        unsigned long long us, kbit;
        if (sscanf(line, "set %llu %llu", &us, &kbit) == 2) {
          set_link(us, kbit);
          printf("ok\n");
        } else if (strcmp(line, "stats") == 0) {
          printf("passed %llu %llu dropped %llu %llu\n", dirs[0].passed, dirs[1].passed,
                 dirs[0].dropped, dirs[1].dropped);
        } else {
          printf("unknown command\n");
        }
        fflush(stdout);
        line_len -= (size_t)(end + 1 - line);
        memmove(line, end + 1, line_len);
        line[line_len] = '\0';
      }
      if (line_len == sizeof line - 1) line_len = 0; /* a line too long: dropped */
    }
  }
}
