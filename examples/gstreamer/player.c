/*
 * player: a tiny playbin player that owns its bus and reports to media-collection through
 * mc_gst_handle_message(), with an app-driven pre-roll ad break.
 *
 *   player [--ad AD] [--media-id ID] [--media-name NAME] [--headless] [--host-driven] CONTENT
 *
 * CONTENT and AD are URIs or file paths. With --ad the player prerolls the content, starts the
 * session itself, plays the ad in a second playbin inside an ad break, then plays the content;
 * without it the session starts at the first PLAYING. --headless renders to fakesinks (in real
 * time), for tests and machines without a display. --host-driven runs the library from the
 * GLib main loop (a GSource, mc_gsource.c) instead of its own worker thread; at the end of the
 * content the player prints how many threads of the library's it found ("library threads: N").
 *
 * Configuration from the environment:
 *   MC_ENDPOINT          base URL of the MC API (required), e.g. http://127.0.0.1:8080
 *   MC_TRACKING_SERVER   analytics.trackingServer (default: example.sc.omtrdc.net)
 *   MC_RSID              analytics.reportSuite    (default: demo-rsid)
 *   MC_ORG_ID            visitor.marketingCloudOrgId (default: 0123456789ABCDEF@AdobeOrg)
 *   MC_ECID              visitor.marketingCloudUserId (optional)
 *   MC_PING_INTERVAL_MS  ping interval (default: the library's, 10 s)
 */
#include <glib-unix.h>
#include <gst/gst.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_gsource.h"
#include "mc_gst.h"
#include "media_collection.h"

typedef struct {
    GMainLoop *loop;
    GstElement *content;
    GstElement *ad; /* NULL without --ad, and once the ad break is over */
    mc_tracker_t tracker;
    mc_gst_tracker *gt;
    gboolean content_prerolled;
    gboolean ad_started;
    int status;
} player;

/* Threads of this process named as the library's worker ("media-collection"). */
static int library_threads(void) {
    GDir *dir = g_dir_open("/proc/self/task", 0, NULL);
    if (!dir)
        return -1;
    int n = 0;
    const char *tid;
    while ((tid = g_dir_read_name(dir)) != NULL) {
        char *path = g_strdup_printf("/proc/self/task/%s/comm", tid);
        char *comm = NULL;
        if (g_file_get_contents(path, &comm, NULL, NULL) && g_str_has_prefix(comm, "media-collecti"))
            n++;
        g_free(comm);
        g_free(path);
    }
    g_dir_close(dir);
    return n;
}

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static void report(const char *what, mc_status s) {
    if (s != MC_OK)
        fprintf(stderr, "player: %s: %s\n", what, mc_status_str(s));
}

static char *to_uri(const char *arg) {
    if (gst_uri_is_valid(arg))
        return g_strdup(arg);
    GError *err = NULL;
    char *uri = gst_filename_to_uri(arg, &err);
    if (!uri) {
        fprintf(stderr, "player: %s: %s\n", arg, err->message);
        g_error_free(err);
    }
    return uri;
}

static GstElement *make_playbin(const char *name, const char *uri, gboolean headless) {
    GstElement *pb = gst_element_factory_make("playbin", name);
    if (!pb)
        return NULL;
    g_object_set(pb, "uri", uri, NULL);
    if (headless) {
        GstElement *vsink = gst_element_factory_make("fakesink", NULL);
        GstElement *asink = gst_element_factory_make("fakesink", NULL);
        g_object_set(vsink, "sync", TRUE, NULL);
        g_object_set(asink, "sync", TRUE, NULL);
        g_object_set(pb, "video-sink", vsink, "audio-sink", asink, NULL);
    }
    return pb;
}

static void fail(player *p, const char *what) {
    fprintf(stderr, "player: %s\n", what);
    p->status = 1;
    g_main_loop_quit(p->loop);
}

/* The ad break is over (played or failed): back to the content. */
static void end_ad_break(player *p) {
    report("mc_track_ad_break_complete", mc_track_ad_break_complete(p->tracker));
    gst_element_set_state(p->ad, GST_STATE_NULL);
    gst_object_unref(p->ad);
    p->ad = NULL;
    if (gst_element_set_state(p->content, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
        fail(p, "cannot play the content");
}

static gboolean on_ad_message(GstBus *bus, GstMessage *msg, gpointer data) {
    player *p = data;
    (void)bus;
    if (!p->ad)
        return G_SOURCE_REMOVE;
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ASYNC_DONE:
        if (!p->ad_started && GST_MESSAGE_SRC(msg) == GST_OBJECT(p->ad)) {
            /* Prerolled: the ad's length is known. */
            gint64 duration = 0;
            gst_element_query_duration(p->ad, GST_FORMAT_TIME, &duration);
            mc_ad_info ad;
            mc_ad_info_init(&ad);
            ad.id = "preroll-ad-1";
            ad.name = "Pre-roll ad";
            ad.position = 1;
            ad.length = duration > 0 ? (double)duration / GST_SECOND : 0;
            report("mc_track_ad_start", mc_track_ad_start(p->tracker, &ad, NULL, 0));
            p->ad_started = TRUE;
            gst_element_set_state(p->ad, GST_STATE_PLAYING);
        }
        break;
    case GST_MESSAGE_EOS:
        report("mc_track_ad_complete", mc_track_ad_complete(p->tracker));
        end_ad_break(p);
        return G_SOURCE_REMOVE;
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "player: the ad failed (%s): skipping it\n", err->message);
        g_error_free(err);
        if (p->ad_started)
            report("mc_track_ad_skip", mc_track_ad_skip(p->tracker));
        end_ad_break(p);
        return G_SOURCE_REMOVE;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

static void start_ad_break(player *p) {
    /* The content is prerolled: the session starts with its length, then the break. */
    report("mc_gst_tracker_start_session", mc_gst_tracker_start_session(p->gt));
    mc_ad_break_info pod;
    mc_ad_break_info_init(&pod);
    pod.name = "preroll";
    pod.position = 1;
    pod.start_time = 0;
    report("mc_track_ad_break_start", mc_track_ad_break_start(p->tracker, &pod));
    GstBus *bus = gst_element_get_bus(p->ad);
    gst_bus_add_watch(bus, on_ad_message, p);
    gst_object_unref(bus);
    if (gst_element_set_state(p->ad, GST_STATE_PAUSED) == GST_STATE_CHANGE_FAILURE) {
        fprintf(stderr, "player: cannot preroll the ad: skipping it\n");
        end_ad_break(p);
    }
}

static gboolean on_content_message(GstBus *bus, GstMessage *msg, gpointer data) {
    player *p = data;
    (void)bus;
    /* Every message goes to the helper first; the player's own logic follows. */
    mc_gst_handle_message(p->gt, msg);
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ASYNC_DONE:
        if (!p->content_prerolled && GST_MESSAGE_SRC(msg) == GST_OBJECT(p->content)) {
            p->content_prerolled = TRUE;
            if (p->ad)
                start_ad_break(p);
        }
        break;
    case GST_MESSAGE_EOS:
        printf("player: end of content, library threads: %d\n", library_threads());
        g_main_loop_quit(p->loop);
        break;
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        gst_message_parse_error(msg, &err, NULL);
        fprintf(stderr, "player: error from %s: %s\n", GST_MESSAGE_SRC_NAME(msg), err->message);
        g_error_free(err);
        p->status = 1;
        g_main_loop_quit(p->loop);
        break;
    }
    default:
        break;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data) {
    player *p = data;
    printf("player: interrupted\n");
    g_main_loop_quit(p->loop);
    return G_SOURCE_REMOVE;
}

static void usage(void) {
    fprintf(stderr, "usage: player [--ad AD] [--media-id ID] [--media-name NAME] [--headless] [--host-driven] CONTENT\n");
}

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    const char *ad_arg = NULL, *content_arg = NULL, *media_id = NULL, *media_name = NULL;
    gboolean headless = FALSE, host_driven = FALSE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ad") == 0 && i + 1 < argc)
            ad_arg = argv[++i];
        else if (strcmp(argv[i], "--media-id") == 0 && i + 1 < argc)
            media_id = argv[++i];
        else if (strcmp(argv[i], "--media-name") == 0 && i + 1 < argc)
            media_name = argv[++i];
        else if (strcmp(argv[i], "--headless") == 0)
            headless = TRUE;
        else if (strcmp(argv[i], "--host-driven") == 0)
            host_driven = TRUE;
        else if (argv[i][0] != '-' && !content_arg)
            content_arg = argv[i];
        else {
            usage();
            return 2;
        }
    }
    const char *endpoint = getenv("MC_ENDPOINT");
    if (!content_arg || !endpoint || !*endpoint) {
        usage();
        fprintf(stderr, "player: set MC_ENDPOINT to the MC API base URL\n");
        return 2;
    }

    mc_client_config config;
    mc_client_config_init(&config);
    config.endpoint = endpoint;
    config.tracking_server = env_or("MC_TRACKING_SERVER", "example.sc.omtrdc.net");
    config.report_suite = env_or("MC_RSID", "demo-rsid");
    config.org_id = env_or("MC_ORG_ID", "0123456789ABCDEF@AdobeOrg");
    config.ecid = getenv("MC_ECID");
    config.player_name = "gst-player-example";
    config.app_version = MC_VERSION_STRING;
    const char *ping = getenv("MC_PING_INTERVAL_MS");
    if (ping && *ping)
        config.ping_interval_ms = (uint32_t)strtoul(ping, NULL, 10);
    /* Host-driven: the client's descriptors and timer join the main loop as a GSource. */
    GSource *source = NULL;
    if (host_driven) {
        source = mc_gsource_new();
        mc_gsource_configure(source, &config);
    }
    mc_client_t client = 0;
    mc_status s = mc_client_new(&config, &client);
    if (s != MC_OK) {
        fprintf(stderr, "player: mc_client_new: %s\n", mc_status_str(s));
        return 1;
    }
    if (source)
        mc_gsource_attach(source, client, NULL);

    player p = {0};
    p.loop = g_main_loop_new(NULL, FALSE);
    char *content_uri = to_uri(content_arg);
    char *ad_uri = ad_arg ? to_uri(ad_arg) : NULL;
    if (!content_uri || (ad_arg && !ad_uri)) {
        p.status = 2;
        goto out;
    }
    p.content = make_playbin("content", content_uri, headless);
    p.ad = ad_uri ? make_playbin("ad", ad_uri, headless) : NULL;
    if (!p.content || (ad_uri && !p.ad)) {
        fprintf(stderr, "player: no playbin: install gstreamer1.0-plugins-base\n");
        p.status = 1;
        goto out;
    }
    report("mc_tracker_new", mc_tracker_new(client, NULL, &p.tracker));

    mc_gst_options opts;
    mc_gst_options_init(&opts);
    opts.media_id = media_id; /* NULL: the URI */
    opts.media_name = media_name;
    opts.manual_start = p.ad != NULL; /* the session must start before the ad break */
    opts.preroll_wait_ms = p.ad ? -1 : 0; /* no ad to wait for: play at once */
    p.gt = mc_gst_tracker_new(p.tracker, p.content, &opts);

    GstBus *bus = gst_element_get_bus(p.content);
    gst_bus_add_watch(bus, on_content_message, &p);
    gst_object_unref(bus);
    g_unix_signal_add(SIGINT, on_sigint, &p);

    /* With an ad, preroll the content first (its length is then known) and play it after. */
    if (gst_element_set_state(p.content, p.ad ? GST_STATE_PAUSED : GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        fprintf(stderr, "player: cannot start %s\n", content_uri);
        p.status = 1;
    } else {
        g_main_loop_run(p.loop);
    }

    /* Stop reporting before the teardown (its messages are no longer dispatched anyway): the
     * helper makes what it has queued, ends the session unless it completed, and returns. */
    mc_gst_tracker_free(p.gt);
    report("mc_tracker_free", mc_tracker_free(p.tracker));
    if (p.ad)
        gst_element_set_state(p.ad, GST_STATE_NULL);
    gst_element_set_state(p.content, GST_STATE_NULL);

out:
    /* Sends what is left, waiting at most 5 s (host-driven: this call drives the client). */
    report("mc_client_free", mc_client_free(client, 5000));
    if (source)
        mc_gsource_destroy(source);
    if (p.ad)
        gst_object_unref(p.ad);
    if (p.content)
        gst_object_unref(p.content);
    g_main_loop_unref(p.loop);
    g_free(content_uri);
    g_free(ad_uri);
    return p.status;
}
