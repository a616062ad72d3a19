/* What waking a sleeping thread costs the waker, by mechanism: the profile behind the
 * `mc_track_*` (worker asleep) figures. A sleeper thread waits; the waker, every 100 us, times
 * one wake-up call:
 *   futex     sem_post to a thread in sem_wait (what crossbeam's parked receiver costs)
 *   socket    send() of one byte on an AF_UNIX socketpair to a thread in poll() (what
 *             curl_multi_wakeup does in libcurl 7.88, the worker sleeping in curl_multi_poll)
 *   eventfd   write() on an eventfd to a thread in poll() (libcurl >= 8.8 on Linux, or an
 *             eventfd of our own passed to curl_multi_poll as an extra fd)
 *
 *   wake SAMPLES      prints `RESULT <mechanism>.p50|p99 <ns>` */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "bench.h"

enum { FUTEX, SOCKET, EVENTFD };
static const char *const NAMES[] = {"futex", "socket", "eventfd"};
static int kind, fds[2], efd;
static sem_t sem;
static volatile int stop;

static void *sleeper(void *arg) {
    (void)arg;
    char buf[64];
    while (!stop) {
        if (kind == FUTEX) {
            sem_wait(&sem);
        } else {
            struct pollfd p = {kind == SOCKET ? fds[1] : efd, POLLIN, 0};
            poll(&p, 1, -1);
            ssize_t r = read(p.fd, buf, sizeof buf);
            (void)r;
        }
    }
    return NULL;
}

static void wake(void) {
    static const char one = 1;
    static const uint64_t inc = 1;
    ssize_t r = 0;
    if (kind == FUTEX) sem_post(&sem);
    else if (kind == SOCKET) r = send(fds[0], &one, 1, MSG_NOSIGNAL);
    else r = write(efd, &inc, sizeof inc);
    (void)r;
}

int main(int argc, char **argv) {
    size_t samples = argc > 1 ? (size_t)atol(argv[1]) : 2000;
    if (samples < 100) return 2;
    bench_tight_timers();
    uint64_t *v = malloc(samples * sizeof *v);
    for (kind = 0; kind < 3; kind++) {
        sem_init(&sem, 0, 0);
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;
        efd = eventfd(0, EFD_NONBLOCK);
        stop = 0;
        pthread_t t;
        pthread_create(&t, NULL, sleeper, NULL);
        bench_sleep_ns(1000000);
        for (size_t i = 0; i < samples; i++) {
            uint64_t t0 = bench_now_ns();
            wake();
            v[i] = bench_now_ns() - t0;
            bench_sleep_ns(100000);
        }
        stop = 1;
        wake();
        pthread_join(t, NULL);
        close(fds[0]);
        close(fds[1]);
        close(efd);
        char key[32];
        snprintf(key, sizeof key, "%s.p50", NAMES[kind]);
        bench_result(key, (double)bench_percentile(v, samples, 50));
        snprintf(key, sizeof key, "%s.p99", NAMES[kind]);
        bench_result(key, (double)bench_percentile(v, samples, 99));
    }
    return 0;
}
