/*
 * dns-load: a DNS load client small enough to copy into a busybox pod (built static by the network
 * e2e, test/e2e/network-dns-load.ts). It sends TOTAL queries "A NAME" over UDP to SERVER:53 with
 * INFLIGHT of them outstanding at a time, one socket (so one source port) per slot as independent
 * clients would, and prints one JSON line: counts, queries/s and latency percentiles.
 *
 * An answer counts as right when it has our id, NOERROR, at least one answer record and ends with
 * the 4 bytes of EXPECTED_IP (the A record's data is last when the answer holds one A record and
 * no additional section, which is what the cluster DNS gives for a ClusterIP Service). An answer
 * that does not come within 5 s counts as timed out.
 *
 * usage: dns-load SERVER[:PORT]|resolv NAME EXPECTED_IP TOTAL INFLIGHT
 *   resolv: the first nameserver of /etc/resolv.conf (the pod's cluster DNS), port 53
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 256
#define TIMEOUT_MS 5000.0

struct slot {
  int fd;
  int busy;
  uint16_t id;
  double sent_at;
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The first "nameserver" address of /etc/resolv.conf, or 0 when there is none. */
static int resolv_server(char *out, size_t size) {
  FILE *f = fopen("/etc/resolv.conf", "r");
  char line[256];
  if (!f) return 0;
  while (fgets(line, sizeof line, f)) {
    char addr[64];
    if (sscanf(line, " nameserver %63s", addr) == 1) {
      snprintf(out, size, "%s", addr);
      fclose(f);
      return 1;
    }
  }
  fclose(f);
  return 0;
}

/* Writes the query for NAME (type A, class IN, recursion desired) into buf; its length or -1. */
static int build_query(unsigned char *buf, size_t size, const char *name) {
  size_t n = 12, len = strlen(name);
  const char *label = name;
  if (len + 18 > size) return -1;
  memset(buf, 0, 12);
  buf[2] = 0x01; /* RD */
  buf[5] = 1;    /* QDCOUNT */
  while (*label) {
    const char *dot = strchr(label, '.');
    size_t l = dot ? (size_t)(dot - label) : strlen(label);
    if (l == 0 || l > 63) return -1;
    buf[n++] = (unsigned char)l;
    memcpy(buf + n, label, l);
    n += l;
    label += l + (dot ? 1 : 0);
  }
  buf[n++] = 0;
  buf[n++] = 0, buf[n++] = 1; /* A */
  buf[n++] = 0, buf[n++] = 1; /* IN */
  return (int)n;
}

int main(int argc, char **argv) {
  char server[64];
  struct in_addr expected;
  struct sockaddr_in to;
  unsigned char query[512], answer[1500];
  static struct slot slots[MAX_INFLIGHT];
  struct pollfd fds[MAX_INFLIGHT];
  int slot_of[MAX_INFLIGHT];
  long total, inflight, sent = 0, done = 0, right = 0, wrong = 0, timed_out = 0, answered = 0;
  double *latency, started, seconds;
  uint16_t next_id = 1;
  int qlen, port = 53;

  if (argc != 6) {
    fprintf(stderr, "usage: dns-load SERVER[:PORT]|resolv NAME EXPECTED_IP TOTAL INFLIGHT\n");
    return 2;
  }
  if (strcmp(argv[1], "resolv") == 0) {
    if (!resolv_server(server, sizeof server)) {
      fprintf(stderr, "dns-load: no nameserver in /etc/resolv.conf\n");
      return 2;
    }
  } else {
    snprintf(server, sizeof server, "%s", argv[1]);
  }
  {
    char *colon = strchr(server, ':');
    if (colon) {
      *colon = 0;
      port = (int)strtol(colon + 1, NULL, 10);
    }
  }
  total = strtol(argv[4], NULL, 10);
  inflight = strtol(argv[5], NULL, 10);
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, server, &to.sin_addr) != 1 || inet_pton(AF_INET, argv[3], &expected) != 1) {
    fprintf(stderr, "dns-load: server (%s) and expected address (%s) must be IPv4 addresses\n", server, argv[3]);
    return 2;
  }
  if (port < 1 || port > 65535 || total < 1 || total > 10000000 || inflight < 1 || inflight > MAX_INFLIGHT) {
    fprintf(stderr, "dns-load: PORT must be 1..65535, TOTAL 1..10000000 and INFLIGHT 1..%d\n", MAX_INFLIGHT);
    return 2;
  }
  qlen = build_query(query, sizeof query, argv[2]);
  if (qlen < 0) {
    fprintf(stderr, "dns-load: %s is not a name this client can ask for\n", argv[2]);
    return 2;
  }
  latency = malloc(sizeof(double) * (size_t)total);
  if (!latency) return 1;
  for (long i = 0; i < inflight; i++) {
    slots[i].fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (slots[i].fd < 0 || connect(slots[i].fd, (struct sockaddr *)&to, sizeof to) != 0) {
      perror("dns-load: socket");
      return 1;
    }
    slots[i].busy = 0;
  }

  started = now_ms();
  while (done < total) {
    int nfds = 0;
    double t = now_ms();
    for (long i = 0; i < inflight; i++) {
      struct slot *s = &slots[i];
      if (s->busy && t - s->sent_at > TIMEOUT_MS) {
        s->busy = 0;
        timed_out++;
        done++;
      }
      if (!s->busy && sent < total) {
        s->id = next_id++;
        if (next_id == 0) next_id = 1;
        query[0] = (unsigned char)(s->id >> 8);
        query[1] = (unsigned char)(s->id & 0xff);
        s->sent_at = now_ms();
        if (send(s->fd, query, (size_t)qlen, 0) != qlen) {
          perror("dns-load: send");
          return 1;
        }
        s->busy = 1;
        sent++;
      }
      if (s->busy) {
        fds[nfds].fd = s->fd;
        fds[nfds].events = POLLIN;
        slot_of[nfds++] = (int)i;
      }
    }
    if (nfds == 0) continue;
    if (poll(fds, (nfds_t)nfds, 100) < 0) {
      perror("dns-load: poll");
      return 1;
    }
    for (int k = 0; k < nfds; k++) {
      struct slot *s = &slots[slot_of[k]];
      ssize_t n;
      if (!(fds[k].revents & POLLIN)) continue;
      n = recv(s->fd, answer, sizeof answer, 0);
      /* A late answer to an earlier query that timed out carries another id: skip it. */
      if (n < 12 || !s->busy || ((answer[0] << 8) | answer[1]) != s->id) continue;
      latency[answered++] = now_ms() - s->sent_at;
      if ((answer[3] & 0x0f) == 0 && ((answer[6] << 8) | answer[7]) >= 1 &&
          memcmp(answer + n - 4, &expected, 4) == 0)
        right++;
      else
        wrong++;
      s->busy = 0;
      done++;
    }
  }
  seconds = (now_ms() - started) / 1000.0;
  qsort(latency, (size_t)answered, sizeof(double), cmp_double);
  printf("{\"server\":\"%s\",\"queries\":%ld,\"inflight\":%ld,\"right\":%ld,\"wrong\":%ld,\"timedOut\":%ld,"
         "\"seconds\":%.3f,\"qps\":%.0f,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"maxMs\":%.3f}\n",
         server, total, inflight, right, wrong, timed_out, seconds, answered / seconds,
         answered ? latency[answered / 2] : 0, answered ? latency[(answered * 99 + 99) / 100 - 1] : 0,
         answered ? latency[answered - 1] : 0);
  return 0;
}
