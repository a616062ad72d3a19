/* Figure 1: what a player thread pays per call, from C, with 1..N player threads.
 *
 *   api_cost THREADS SAMPLES WAKE_SAMPLES      (MC_ENDPOINT set)
 *
 * Every thread has its own tracker on one client, with a session open and playing. Phases,
 * each started together by all threads (barrier), each call timed alone with CLOCK_MONOTONIC:
 *   timer      two clock reads and nothing between: subtracted from every figure below
 *   playhead   mc_update_playhead back to back; the p50 comes from batches of 64 calls (a
 *              call costs less than the timer), the p99 and max from single calls
 *   qoe        mc_update_qoe, the same way
 *   play_wake  mc_track_play, then a 100 us pause, so the worker is asleep at each call and the
 *              call pays the wake-up (repeated plays make no hit: the worker only takes them)
 *   play_awake bursts of 16 mc_track_play; calls 2..16 of a burst find the worker awake
 *   ad_wake    mc_track_ad_start with 6 metadata entries, paced like play_wake. It is outside an
 *              ad break, so the worker ignores it: the caller's cost (checks, copies, queueing)
 *              does not depend on what the rules decide later.
 * Each phase is bracketed by `MARK` writes that strace shows, for the syscall count (the pacing
 * sleeps are the harness's own syscalls and are not counted).
 * Prints `RESULT <phase>.p50|p99|max <ns>` and the worker's wake-ups per phase. */
#define _GNU_SOURCE
#include <pthread.h>

#include "bench.h"

#define BURST 16
#define PHASES 6
static const char *const PHASE_NAMES[PHASES] = {"timer", "playhead", "qoe", "play_wake", "play_awake", "ad_wake"};

static pthread_barrier_t barrier;
static size_t samples, wake_samples;

typedef struct {
    int index;
    mc_tracker_t tracker;
    pid_t tid;
    uint64_t *buf[PHASES];
    size_t n[PHASES];
    /* Fast calls: batches of BATCH, for a median the timer's own cost does not swamp. */
    uint64_t *batch[PHASES];
    size_t nb[PHASES];
} player;

#define BATCH 64

static void mark(const char *phase, const char *edge, pid_t tid) {
    char text[96];
    snprintf(text, sizeof text, "MARK %s %s %d", phase, edge, (int)tid);
    bench_mark(text);
}

static const mc_metadata AD_METADATA[6] = {
    {"a.media.ad.advertiser", "Bench Advertiser"}, {"a.media.ad.campaign", "campaign-2024-q4"},
    {"a.media.ad.creative", "creative-0042"},      {"a.media.ad.placement", "pre-roll-1"},
    {"ad.network", "bench-network"},               {"ad.slot", "slot-a"},
};

static void *run_player(void *arg) {
    player *p = arg;
    p->tid = bench_gettid();
    bench_tight_timers();
    BENCH_ROOMY(mc_ad_info, ad);
    mc_ad_info_init(ad);
    ad->id = "ad-0042";
    ad->name = "Bench Ad";
    ad->position = 1;
    ad->length = 15;
    BENCH_ROOMY(mc_qoe, q);
    mc_qoe_init(q);
    q->bitrate = 4.5e6;
    q->fps = 25;
    q->startup_time = 120;
    double head = 0;

    for (int ph = 0; ph < PHASES; ph++) {
        uint64_t *b = p->buf[ph];
        size_t n = 0;
        pthread_barrier_wait(&barrier);
        mark(PHASE_NAMES[ph], "begin", p->tid);
        switch (ph) {
        case 0:
            for (size_t i = 0; i < samples; i++) {
                uint64_t t0 = bench_now_ns();
                uint64_t t1 = bench_now_ns();
                b[n++] = t1 - t0;
            }
            break;
        case 1:
            for (size_t i = 0; i < samples; i++) {
                head += 0.04;
                uint64_t t0 = bench_now_ns();
                mc_status s = mc_update_playhead(p->tracker, head);
                uint64_t t1 = bench_now_ns();
                if (s != MC_OK) return (void *)"mc_update_playhead";
                b[n++] = t1 - t0;
            }
            for (size_t i = 0; i < samples / BATCH; i++) {
                uint64_t t0 = bench_now_ns();
                for (int k = 0; k < BATCH; k++) mc_update_playhead(p->tracker, head + k);
                p->batch[ph][p->nb[ph]++] = bench_now_ns() - t0;
            }
            break;
        case 2:
            for (size_t i = 0; i < samples; i++) {
                q->dropped_frames = (double)(i & 7);
                uint64_t t0 = bench_now_ns();
                mc_status s = mc_update_qoe(p->tracker, q);
                uint64_t t1 = bench_now_ns();
                if (s != MC_OK) return (void *)"mc_update_qoe";
                b[n++] = t1 - t0;
            }
            for (size_t i = 0; i < samples / BATCH; i++) {
                uint64_t t0 = bench_now_ns();
                for (int k = 0; k < BATCH; k++) {
                    q->dropped_frames = (double)k;
                    mc_update_qoe(p->tracker, q);
                }
                p->batch[ph][p->nb[ph]++] = bench_now_ns() - t0;
            }
            break;
        case 3:
            for (size_t i = 0; i < wake_samples; i++) {
                uint64_t t0 = bench_now_ns();
                mc_status s = mc_track_play(p->tracker);
                uint64_t t1 = bench_now_ns();
                if (s != MC_OK) return (void *)"mc_track_play";
                b[n++] = t1 - t0;
                bench_sleep_ns(100000);
            }
            break;
        case 4:
            for (size_t i = 0; i + BURST <= wake_samples * BURST / 4; i += BURST) {
                for (int k = 0; k < BURST; k++) {
                    uint64_t t0 = bench_now_ns();
                    mc_status s = mc_track_play(p->tracker);
                    uint64_t t1 = bench_now_ns();
                    if (s != MC_OK) return (void *)"mc_track_play (burst)";
                    if (k > 0) b[n++] = t1 - t0;
                }
                bench_sleep_ns(400000);
            }
            break;
        case 5:
            for (size_t i = 0; i < wake_samples; i++) {
                uint64_t t0 = bench_now_ns();
                mc_status s = mc_track_ad_start(p->tracker, ad, AD_METADATA, 6);
                uint64_t t1 = bench_now_ns();
                if (s != MC_OK) return (void *)"mc_track_ad_start";
                b[n++] = t1 - t0;
                bench_sleep_ns(100000);
            }
            break;
        }
        mark(PHASE_NAMES[ph], "end", p->tid);
        p->n[ph] = n;
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 4 || !getenv("MC_ENDPOINT")) {
        fprintf(stderr, "usage: MC_ENDPOINT=URL api_cost THREADS SAMPLES WAKE_SAMPLES\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    samples = (size_t)atol(argv[2]);
    wake_samples = (size_t)atol(argv[3]);
    if (threads < 1 || threads > 64 || samples < 100 || wake_samples < 100) return 2;

    mc_client_t client;
    if (!bench_check(mc_client_new(bench_config(), &client), "mc_client_new")) return 1;
    player *players = calloc((size_t)threads, sizeof *players);
    size_t cap = samples > wake_samples * BURST / 4 ? samples : wake_samples * BURST / 4;
    for (int i = 0; i < threads; i++) {
        players[i].index = i;
        for (int ph = 0; ph < PHASES; ph++) {
            players[i].buf[ph] = malloc(cap * sizeof(uint64_t));
            players[i].batch[ph] = malloc((samples / BATCH + 1) * sizeof(uint64_t));
        }
        char id[32];
        snprintf(id, sizeof id, "api-cost-%d", i);
        mc_media_info *m = bench_media(id);
        if (!bench_check(mc_tracker_new(client, NULL, &players[i].tracker), "mc_tracker_new")) return 1;
        if (!bench_check(mc_track_session_start(players[i].tracker, m, NULL, 0), "session_start")) return 1;
        if (!bench_check(mc_track_play(players[i].tracker), "play")) return 1;
    }
    /* Every session has its sid and the content-start play is out before anything is timed. */
    bench_wait_delivered(client, (uint64_t)threads * 3, 5000);
    bench_sleep_ns(1200000000u);
    pid_t worker = bench_worker_tid();

    pthread_barrier_init(&barrier, NULL, (unsigned)threads + 1);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    for (int i = 0; i < threads; i++) pthread_create(&tids[i], NULL, run_player, &players[i]);
    uint64_t sleeps[PHASES], cpu[PHASES];
    for (int ph = 0; ph < PHASES; ph++) {
        pthread_barrier_wait(&barrier);
        uint64_t s0 = bench_thread_sleeps(worker), c0 = bench_thread_cpu_ns(worker);
        pthread_barrier_wait(&barrier);
        sleeps[ph] = bench_thread_sleeps(worker) - s0;
        cpu[ph] = bench_thread_cpu_ns(worker) - c0;
    }
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        void *err = NULL;
        pthread_join(tids[i], &err);
        if (err) {
            fprintf(stderr, "thread %d: %s failed\n", i, (const char *)err);
            failed = 1;
        }
        printf("TID player %d\n", (int)players[i].tid);
    }
    printf("TID worker %d\n", (int)worker);

    double timer = 0;
    for (int ph = 0; ph < PHASES; ph++) {
        size_t total = 0;
        for (int i = 0; i < threads; i++) total += players[i].n[ph];
        uint64_t *all = malloc((total ? total : 1) * sizeof(uint64_t));
        size_t k = 0;
        for (int i = 0; i < threads; i++)
            for (size_t j = 0; j < players[i].n[ph]; j++) all[k++] = players[i].buf[ph][j];
        double p50 = (double)bench_percentile(all, total, 50);
        double p99 = (double)bench_percentile(all, total, 99);
        double max = total ? (double)all[total - 1] : 0;
        if (ph == 0) timer = p50;
        char key[64];
        /* Net of the timer's own cost, measured above in the same run. */
        double net = ph == 0 ? 0 : timer;
        size_t nb = 0;
        for (int i = 0; i < threads; i++) nb += players[i].nb[ph];
        if (nb > 0) {
            /* The median of a call from batches: the timer's cost is spread over BATCH calls. */
            uint64_t *bt = malloc(nb * sizeof(uint64_t));
            size_t kb = 0;
            for (int i = 0; i < threads; i++)
                for (size_t j = 0; j < players[i].nb[ph]; j++) bt[kb++] = players[i].batch[ph][j];
            p50 = (double)bench_percentile(bt, nb, 50) / BATCH;
            net = 0;
            free(bt);
        }
        snprintf(key, sizeof key, "%s.p50", PHASE_NAMES[ph]);
        bench_result(key, p50 - net > 0 ? p50 - net : 0);
        net = ph == 0 ? 0 : timer;
        snprintf(key, sizeof key, "%s.p99", PHASE_NAMES[ph]);
        bench_result(key, p99 - net > 0 ? p99 - net : 0);
        snprintf(key, sizeof key, "%s.max", PHASE_NAMES[ph]);
        bench_result(key, max - net);
        snprintf(key, sizeof key, "%s.calls", PHASE_NAMES[ph]);
        bench_result(key, (double)total);
        snprintf(key, sizeof key, "%s.worker_wakeups", PHASE_NAMES[ph]);
        bench_result(key, (double)sleeps[ph]);
        snprintf(key, sizeof key, "%s.worker_cpu_ns", PHASE_NAMES[ph]);
        bench_result(key, (double)cpu[ph]);
        free(all);
    }
    mc_stats st = bench_stats(client);
    bench_result("queue_overflow", (double)st.queue_overflow);
    for (int i = 0; i < threads; i++) mc_tracker_free(players[i].tracker);
    mc_client_free(client, 2000);
    return failed;
}
