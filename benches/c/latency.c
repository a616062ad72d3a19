/* Figure 2: delivery latency at low load, against a raw libcurl keep-alive POST loop.
 *
 *   latency ROUNDS GAP_US      (MC_ENDPOINT set)
 *
 * Ours: a call (pause and play in turn, one hit each), then wait for the event callback's
 * MC_EVENT_DELIVERED: call -> 2xx read by the worker, the full round trip through the library,
 * which bounds call -> collector receipt from above. Raw: the same kind of event body POSTed
 * with curl_easy_perform on one kept-alive handle to the same session. Rounds alternate in
 * blocks of 50, GAP_US apart, so both see the same machine. CPU: the worker thread's CPU per
 * delivered event; the raw loop's thread CPU per request.
 *
 * Host-driven: a second client with `threading` = MC_THREADING_HOST, its own session, in
 * blocks of its own between the other two. This thread makes the call and then runs the
 * client's loop (mc_client_host_poll, poll(), mc_client_drive) until the delivery: no thread
 * hop, as in the raw loop. CPU: this thread's CPU from the call to the delivery, the way the
 * raw loop's is taken around curl_easy_perform. */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "bench.h"

#define BLOCK 50

static sem_t started;
/* Deliveries counted by the callback and awaited by polling (below), not with a semaphore: a
 * sem_post would put a futex wake-up of the harness's own on the worker's CPU bill, which the
 * raw loop does not pay. */
static _Atomic uint64_t delivered_at, delivered_count;
static char sid[256];

static void on_event(void *userdata, const mc_event *e) {
    (void)userdata;
    if (e->kind == MC_EVENT_SESSION_STARTED && e->session_id) {
        snprintf(sid, sizeof sid, "%s", e->session_id);
        sem_post(&started);
    } else if (e->kind == MC_EVENT_DELIVERED && e->event_type && strcmp(e->event_type, "sessionStart") != 0) {
        atomic_store(&delivered_at, bench_now_ns());
        atomic_fetch_add(&delivered_count, 1);
    }
}

static uint64_t expected = 2;

/* The host-driven client's events: its callbacks run inside mc_client_drive, on this thread. */
static uint64_t host_delivered_at, host_delivered_count;
static int host_started;

static void on_host_event(void *userdata, const mc_event *e) {
    (void)userdata;
    if (e->kind == MC_EVENT_SESSION_STARTED) {
        host_started = 1;
    } else if (e->kind == MC_EVENT_DELIVERED && e->event_type && strcmp(e->event_type, "sessionStart") != 0) {
        host_delivered_at = bench_now_ns();
        host_delivered_count++;
    }
}

static int host_until_delivered(mc_client_t c, uint64_t n) {
    while (host_delivered_count < n)
        if (!bench_host_turn(c, 1000)) return 0;
    return 1;
}

/* Waits until `n` deliveries were seen, checking every 20 us; the latency itself is the
 * callback's timestamp, so the polling adds nothing to it. */
static void wait_delivered(uint64_t n) {
    while (atomic_load(&delivered_count) < n) bench_sleep_ns(20000);
}

static size_t discard(char *p, size_t size, size_t n, void *u) {
    (void)p;
    (void)u;
    return size * n;
}

int main(int argc, char **argv) {
    if (argc < 3 || !getenv("MC_ENDPOINT")) {
        fprintf(stderr, "usage: MC_ENDPOINT=URL latency ROUNDS GAP_US\n");
        return 2;
    }
    long rounds = atol(argv[1]), gap_us = atol(argv[2]);
    if (rounds < BLOCK * 2) return 2;
    bench_tight_timers();
    sem_init(&started, 0, 0);

    mc_client_config *cfg = bench_config();
    cfg->event_callback = on_event;
    /* No ping during the run: every delivery is one of ours. */
    cfg->ping_interval_ms = 600000;
    cfg->content_start_delay_ms = 1;
    mc_client_t client;
    if (!bench_check(mc_client_new(cfg, &client), "mc_client_new")) return 1;
    mc_tracker_t t;
    if (!bench_check(mc_tracker_new(client, NULL, &t), "mc_tracker_new")) return 1;
    if (!bench_check(mc_track_session_start(t, bench_media("latency"), NULL, 0), "session_start")) return 1;
    sem_wait(&started);
    mc_track_play(t);
    /* The play and the content-start play. */
    wait_delivered(2);
    bench_sleep_ns(50000000);
    pid_t worker = bench_worker_tid();

    mc_client_config *hcfg = bench_config();
    hcfg->event_callback = on_host_event;
    hcfg->ping_interval_ms = 600000;
    hcfg->content_start_delay_ms = 1;
    hcfg->threading = MC_THREADING_HOST;
    mc_client_t host;
    if (!bench_check(mc_client_new(hcfg, &host), "mc_client_new (host-driven)")) return 1;
    mc_tracker_t ht;
    if (!bench_check(mc_tracker_new(host, NULL, &ht), "mc_tracker_new (host-driven)")) return 1;
    if (!bench_check(mc_track_session_start(ht, bench_media("latency-host"), NULL, 0), "session_start (host)")) return 1;
    while (!host_started)
        if (!bench_host_turn(host, 1000)) return 1;
    mc_track_play(ht);
    uint64_t host_expected = 2;
    if (!host_until_delivered(host, host_expected)) return 1;

    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/sessions/%s/events", getenv("MC_ENDPOINT"), sid);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);

    uint64_t *ours = malloc((size_t)rounds * sizeof(uint64_t)), *raw = malloc((size_t)rounds * sizeof(uint64_t));
    uint64_t *hosted = malloc((size_t)rounds * sizeof(uint64_t));
    size_t n_ours = 0, n_raw = 0, raw_failed = 0, n_host = 0;
    uint64_t worker_cpu = 0, raw_cpu = 0, worker_sleeps = 0, host_cpu = 0;
    double head = 1.0, host_head = 1.0;
    int playing = 1, host_playing = 1;
    for (long done = 0; done < rounds; done += BLOCK) {
        uint64_t c0 = bench_thread_cpu_ns(worker), s0 = bench_thread_sleeps(worker);
        for (int i = 0; i < BLOCK; i++) {
            head += 0.5;
            mc_update_playhead(t, head);
            uint64_t t0 = bench_now_ns();
            mc_status s = playing ? mc_track_pause(t) : mc_track_play(t);
            if (s != MC_OK) return 1;
            playing = !playing;
            wait_delivered(++expected);
            ours[n_ours++] = atomic_load(&delivered_at) - t0;
            bench_sleep_ns((uint64_t)gap_us * 1000u);
        }
        worker_cpu += bench_thread_cpu_ns(worker) - c0;
        worker_sleeps += bench_thread_sleeps(worker) - s0;
        for (int i = 0; i < BLOCK; i++) {
            host_head += 0.5;
            mc_update_playhead(ht, host_head);
            uint64_t c1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
            uint64_t t0 = bench_now_ns();
            mc_status s = host_playing ? mc_track_pause(ht) : mc_track_play(ht);
            if (s != MC_OK) return 1;
            host_playing = !host_playing;
            if (!host_until_delivered(host, ++host_expected)) return 1;
            host_cpu += bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c1;
            hosted[n_host++] = host_delivered_at - t0;
            bench_sleep_ns((uint64_t)gap_us * 1000u);
        }
        for (int i = 0; i < BLOCK; i++) {
            char body[256];
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            head += 0.5;
            snprintf(body, sizeof body, "{\"playerTime\":{\"playhead\":%.1f,\"ts\":%lld},\"eventType\":\"%s\"}", head,
                     (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000, (i & 1) ? "play" : "pauseStart");
            uint64_t c1 = bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
            uint64_t t0 = bench_now_ns();
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
            CURLcode rc = curl_easy_perform(h);
            uint64_t t1 = bench_now_ns();
            raw_cpu += bench_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c1;
            long code = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
            if (rc != CURLE_OK || code / 100 != 2) raw_failed++;
            raw[n_raw++] = t1 - t0;
            bench_sleep_ns((uint64_t)gap_us * 1000u);
        }
    }
    bench_result("ours.p50_ns", (double)bench_percentile(ours, n_ours, 50));
    bench_result("ours.p99_ns", (double)bench_percentile(ours, n_ours, 99));
    bench_result("raw.p50_ns", (double)bench_percentile(raw, n_raw, 50));
    bench_result("raw.p99_ns", (double)bench_percentile(raw, n_raw, 99));
    bench_result("ours.events", (double)n_ours);
    bench_result("raw.requests", (double)n_raw);
    bench_result("raw.failed", (double)raw_failed);
    bench_result("ours.worker_cpu_per_event_ns", (double)worker_cpu / (double)n_ours);
    bench_result("ours.worker_wakeups_per_event", (double)worker_sleeps / (double)n_ours);
    bench_result("raw.cpu_per_request_ns", (double)raw_cpu / (double)n_raw);
    bench_result("host.p50_ns", (double)bench_percentile(hosted, n_host, 50));
    bench_result("host.p99_ns", (double)bench_percentile(hosted, n_host, 99));
    bench_result("host.events", (double)n_host);
    bench_result("host.cpu_per_event_ns", (double)host_cpu / (double)n_host);
    mc_stats st = bench_stats(client);
    bench_result("ours.delivered", (double)st.events_delivered);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    mc_tracker_free(t);
    mc_client_free(client, 2000);
    mc_tracker_free(ht);
    mc_client_free(host, 2000);
    return 0;
}
