/* What waking a sleeping thread costs the waker, by mechanism: the profile behind the
 * `mc_track_*` (worker asleep) figures. A sleeper thread waits; the waker, every 100 us, times
 * one wake-up call:
 *   futex     sem_post to a thread in sem_wait (what crossbeam's parked receiver costs)
 *   socket    send() of one byte on an AF_UNIX socketpair to a thread in poll() (what
 *             curl_multi_wakeup does in libcurl 7.88, the worker sleeping in curl_multi_poll)
 *   eventfd   write() on an eventfd to a thread in poll() (libcurl >= 8.8 on Linux, or an
 *             eventfd of our own passed to curl_multi_poll as an extra fd)
 *
 * and what the woken thread pays per wake-up (its thread CPU over the run / wake-ups), doing what
 * the library's worker does on each: returning from sem_wait (the worker parked, no transfer
 * in flight), or returning from poll() and draining the descriptor (libcurl reads its socketpair
 * until EAGAIN; an eventfd needs one read).
 *
 *   wake SAMPLES      prints `RESULT <mechanism>.p50|p99|sleeper_cpu_ns <ns>` */
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

static uint64_t sleeper_cpu_ns;

static void *sleeper(void *arg) {
    (void)arg;
    char buf[64];
    uint64_t c0 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    while (!stop) {
        if (kind == FUTEX) {
            sem_wait(&sem);
        } else if (kind == SOCKET) {
            struct pollfd p = {fds[1], POLLIN, 0};
            poll(&p, 1, -1);
            while (recv(fds[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {
            }
        } else {
            struct pollfd p = {efd, POLLIN, 0};
            poll(&p, 1, -1);
            ssize_t r = read(efd, buf, 8);
            (void)r;
        }
    }
    sleeper_cpu_ns = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
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
        snprintf(key, sizeof key, "%s.sleeper_cpu_ns", NAMES[kind]);
        bench_result(key, (double)sleeper_cpu_ns / (double)samples);
    }
    return 0;
}
