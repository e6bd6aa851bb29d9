// Peer servers and the load client for the FC3 benchmark, built in a temporary directory from
// Debian's packages: a libmodbus C server (libmodbus-dev), a pymodbus server (python3-pymodbus,
// run by /usr/bin/python3), and a lean C load client that measures every request's latency.

export const LIBMODBUS_SERVER_C = String.raw`
/* Minimal multi-client libmodbus TCP server (select loop, as in libmodbus's own examples). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/select.h>
#include <modbus.h>

int main(int argc, char **argv) {
  int port = atoi(argv[1]);
  modbus_t *ctx = modbus_new_tcp("127.0.0.1", port);
  modbus_mapping_t *map = modbus_mapping_new_start_address(0, 0, 0, 0, 10000, 200, 10000, 200);
  for (int i = 0; i < 200; i++) { map->tab_registers[i] = 13000 + i; map->tab_input_registers[i] = 13000 + i; }
  int server = modbus_tcp_listen(ctx, 16);
  if (server < 0) { perror("listen"); return 1; }
  printf("ready\n"); fflush(stdout);
  fd_set refset, rdset;
  FD_ZERO(&refset); FD_SET(server, &refset);
  int fdmax = server;
  uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  for (;;) {
    rdset = refset;
    if (select(fdmax + 1, &rdset, NULL, NULL, NULL) == -1) { perror("select"); return 1; }
    for (int fd = 0; fd <= fdmax; fd++) {
      if (!FD_ISSET(fd, &rdset)) continue;
      if (fd == server) {
        int c = modbus_tcp_accept(ctx, &server);
        if (c != -1) { FD_SET(c, &refset); if (c > fdmax) fdmax = c; }
      } else {
        modbus_set_socket(ctx, fd);
        int rc = modbus_receive(ctx, query);
        if (rc > 0) modbus_reply(ctx, query, rc, map);
        else if (rc == -1) { close(fd); FD_CLR(fd, &refset); }
      }
    }
  }
}
`;

export const LOAD_CLIENT_C = String.raw`
/* Load client: N threads, one blocking TCP connection each, FC3 requests back to back for a
   duration, one send and (usually) one recv per request so the client costs the machine as
   little as possible; checks each response's transaction id, function and byte count.
   Prints requests, errors, seconds, p50 and p99 latency in microseconds as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define MAX_SAMPLES 4000000
static const char *host; static int port, address, count, unit; static double seconds;
typedef struct { long n, errors; unsigned *lat; } result_t;

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void *worker(void *arg) {
  result_t *r = arg;
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, host, &sa.sin_addr);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { r->errors = -1; return NULL; }
  r->lat = malloc(sizeof(unsigned) * MAX_SAMPLES);
  unsigned char req[12], res[300];
  int want = 9 + 2 * count;
  unsigned short tid = 0;
  double end = now() + seconds;
  for (;;) {
    double t0 = now();
    if (t0 >= end) break;
    tid++;
    unsigned char q[12] = { tid >> 8, tid & 0xff, 0, 0, 0, 6, unit, 3, address >> 8, address & 0xff, count >> 8, count & 0xff };
    memcpy(req, q, 12);
    if (send(fd, req, 12, 0) != 12) { r->errors++; break; }
    int got = 0;
    while (got < want) { int k = recv(fd, res + got, sizeof res - got, 0); if (k <= 0) { r->errors++; goto done; } got += k; }
    double t1 = now();
    if (got != want || res[0] != (tid >> 8) || res[1] != (tid & 0xff) || res[7] != 3 || res[8] != 2 * count) { r->errors++; continue; }
    if (r->n < MAX_SAMPLES) r->lat[r->n] = (unsigned)((t1 - t0) * 1e6);
    r->n++;
  }
done:
  close(fd);
  return NULL;
}

static int cmp(const void *a, const void *b) { unsigned x = *(const unsigned *)a, y = *(const unsigned *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  host = argv[1]; port = atoi(argv[2]); address = atoi(argv[3]); count = atoi(argv[4]);
  int threads = atoi(argv[5]); seconds = atof(argv[6]); unit = argc > 7 ? atoi(argv[7]) : 1;
  pthread_t t[64]; result_t r[64]; memset(r, 0, sizeof r);
  double t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, &r[i]);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  double elapsed = now() - t0;
  long total = 0, errors = 0;
  for (int i = 0; i < threads; i++) { total += r[i].n; errors += r[i].errors; }
  unsigned *all = malloc(sizeof(unsigned) * (total + 1)); long k = 0;
  for (int i = 0; i < threads; i++) for (long j = 0; j < r[i].n && j < MAX_SAMPLES; j++) all[k++] = r[i].lat[j];
  qsort(all, k, sizeof(unsigned), cmp);
  printf("{\"requests\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"p50us\":%u,\"p99us\":%u}\n", total, errors, elapsed,
         k ? all[k / 2] : 0, k ? all[(long)(k * 0.99)] : 0);
  return 0;
}
`;

export const PYMODBUS_SERVER_PY = String.raw`
# pymodbus TCP server (asyncio) with 200 holding registers at 10000, for the FC3 benchmark.
import asyncio, logging, sys
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer

logging.disable(logging.CRITICAL)

async def main(port):
    block = ModbusSequentialDataBlock(10000, [13000 + i for i in range(200)])
    # zero_mode: the address on the wire is the block address (no +1 offset).
    store = ModbusSlaveContext(hr=block, ir=block, zero_mode=True)
    context = ModbusServerContext(slaves=store, single=True)
    print("ready", flush=True)
    await StartAsyncTcpServer(context=context, address=("127.0.0.1", port))

asyncio.run(main(int(sys.argv[1])))
`;
