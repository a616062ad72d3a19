/* Figure 3's reference: a bare libcurl multi loop doing what the library does on the wire, with
 * nothing else: N sessions (sessionStart, then events to the sid's URL), one request in flight
 * per session, connections kept alive (libcurl's default cache of 4 per handle).
 *
 *   raw_multi throughput N SECS START_BODY EVENT_BODY          each session re-posts at once
 *   raw_multi pings N INTERVAL_MS SECS START_BODY EVENT_BODY   sessions start evenly over one
 *                                                              interval and post every interval
 *
 * The bodies are files holding JSON the library itself sent (benches/report.rs takes them
 * from the collector). MC_ENDPOINT names the server. CPU is this process's (one thread). */
#define _GNU_SOURCE
#include <curl/curl.h>

#include "bench.h"

typedef struct {
    CURL *h;
    int started, busy;
    uint64_t due;
    char url[512];
} session;

static char *endpoint;
static char *start_body, *event_body;

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = calloc((size_t)n + 1, 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    fclose(f);
    return b;
}

static size_t discard(char *p, size_t size, size_t n, void *u) {
    (void)p;
    (void)u;
    return size * n;
}

/* Keeps the Location of a sessionStart's answer as the session's events URL. */
static size_t header(char *p, size_t size, size_t n, void *u) {
    session *s = u;
    size_t len = size * n;
    if (len > 10 && strncasecmp(p, "Location:", 9) == 0) {
        char *v = p + 9;
        while (*v == ' ') v++;
        size_t vl = len - (size_t)(v - p);
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n')) vl--;
        snprintf(s->url, sizeof s->url, "%s%.*s/events", endpoint, (int)vl, v);
    }
    return len;
}

static struct curl_slist *headers;

static void submit(CURLM *m, session *s) {
    if (!s->h) {
        s->h = curl_easy_init();
        curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, header);
        curl_easy_setopt(s->h, CURLOPT_HEADERDATA, s);
        curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
        curl_easy_setopt(s->h, CURLOPT_TCP_KEEPALIVE, 1L);
        char url[512];
        snprintf(url, sizeof url, "%s/api/v1/sessions", endpoint);
        curl_easy_setopt(s->h, CURLOPT_URL, url);
        curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, start_body);
    }
    s->busy = 1;
    curl_multi_add_handle(m, s->h);
}

int main(int argc, char **argv) {
    endpoint = getenv("MC_ENDPOINT");
    int pings = argc >= 2 && strcmp(argv[1], "pings") == 0;
    if (!endpoint || argc < (pings ? 7 : 6)) {
        fprintf(stderr, "usage: MC_ENDPOINT=URL raw_multi throughput N SECS START EVENT | pings N MS SECS START EVENT\n");
        return 2;
    }
    long n = atol(argv[2]);
    long interval_ms = pings ? atol(argv[3]) : 0;
    double secs = atof(argv[pings ? 4 : 3]);
    start_body = slurp(argv[pings ? 5 : 4]);
    event_body = slurp(argv[pings ? 6 : 5]);
    if (n < 1 || !start_body || !event_body) return 2;
    bench_tight_timers();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    CURLM *m = curl_multi_init();
    session *ss = calloc((size_t)n, sizeof *ss);
    uint64_t interval = (uint64_t)interval_ms * 1000000u, t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        ss[i].due = pings ? t0 + interval * (uint64_t)i / (uint64_t)n : t0;
    }
    long started = 0, failed = 0;
    uint64_t completed = 0, win_start = 0, win_end = 0, cpu0 = 0, done0 = 0, late = 0;
    long next = 0; /* pings: sessions come due in index order, round after round */
    int measuring = 0;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (!measuring && started == n) {
            /* Throughput: all sessions have a sid; pings: also half an interval more. */
            win_start = now + (pings ? interval / 2 : 500000000u);
            win_end = win_start + (uint64_t)(secs * 1e9);
            measuring = 1;
        }
        if (measuring == 1 && now >= win_start) {
            cpu0 = bench_process_cpu_ns();
            done0 = completed;
            measuring = 2;
        }
        if (measuring == 2 && now >= win_end) break;
        if (now > t0 + 600000000000u) return 1;
        if (pings) {
            while (ss[next].due <= now) {
                session *s = &ss[next];
                if (s->busy) late++;
                else submit(m, s);
                s->due += interval;
                next = (next + 1) % n;
            }
        } else {
            for (long i = 0; i < n; i++)
                if (!ss[i].busy && (ss[i].started || !ss[i].h)) submit(m, &ss[i]);
        }
        int running = 0;
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int q;
        while ((msg = curl_multi_info_read(m, &q)) != NULL) {
            if (msg->msg != CURLMSG_DONE) continue;
            session *s = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
            long code = 0;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            curl_multi_remove_handle(m, msg->easy_handle);
            s->busy = 0;
            if (msg->data.result != CURLE_OK || code / 100 != 2) failed++;
            if (!s->started) {
                if (s->url[0]) {
                    s->started = 1;
                    started++;
                    curl_easy_setopt(s->h, CURLOPT_URL, s->url);
                    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, event_body);
                    curl_easy_setopt(s->h, CURLOPT_HEADERFUNCTION, NULL);
                }
            } else {
                completed++;
            }
            /* Throughput: the session's next request goes out at once, as the library's would. */
            if (!pings && s->started) submit(m, s);
        }
        int wait_ms = 100;
        if (pings) {
            /* Rounded up: rounding down would spin through the last millisecond before every
             * deadline (at 1 000 pings/s, all the time) and bill the reference for it. */
            uint64_t d = ss[next].due, t = bench_now_ns();
            wait_ms = d > t ? (int)((d - t + 999999u) / 1000000u) : 0;
            if (wait_ms > 100) wait_ms = 100;
        }
        curl_multi_poll(m, NULL, 0, wait_ms, NULL);
    }
    uint64_t cpu = bench_process_cpu_ns() - cpu0;
    double events = (double)(completed - done0), window = (double)(win_end - win_start) / 1e9;
    bench_result("raw.events_per_s", events / window);
    bench_result("raw.cpu_s_per_1000", events > 0 ? (double)cpu / 1e9 * 1000.0 / events : 0);
    bench_result("raw.core_share", (double)cpu / (double)(win_end - win_start));
    bench_result("raw.failed", (double)failed);
    bench_result("raw.late", (double)late);
    bench_result("raw.sessions", (double)started);
    return 0;
}
