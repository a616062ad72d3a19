/*
 * drive: a plain GStreamer application that does what gst-launch cannot (pause, seek, buffer),
 * for testing the mediacollection tracer. It knows nothing of media-collection: run it with
 * GST_TRACERS="mediacollection(...)" and GST_PLUGIN_PATH set, and look at what the collector got.
 *
 *   drive pause|seek|error|buffering
 *
 * Each scenario plays a 3 s videotestsrc pipeline in real time. It checks its own GStreamer
 * calls and ends with "N passed, N failed" (exit status 1 when a check failed).
 */
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define CHECK(expr)                                                           \
    do {                                                                      \
        if (expr) {                                                           \
            passed++;                                                         \
        } else {                                                              \
            failed++;                                                         \
            fprintf(stderr, "drive: %s:%d: CHECK(%s)\n", __FILE__, __LINE__, #expr); \
        }                                                                     \
    } while (0)

#define VIDEO "videotestsrc name=src num-buffers=90 ! video/x-raw,framerate=30/1,width=160,height=120"

typedef enum { UNTIL_TIME, UNTIL_EOS, UNTIL_ERROR } wait_for;

/* Pops bus messages for up to `ms`; returns TRUE when the awaited message came (UNTIL_TIME: when
 * the time passed without an error). */
static gboolean run_bus(GstElement *pipeline, wait_for what, guint ms) {
    GstBus *bus = gst_element_get_bus(pipeline);
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * G_TIME_SPAN_MILLISECOND;
    gboolean result = what == UNTIL_TIME;
    for (;;) {
        gint64 left_us = deadline - g_get_monotonic_time();
        if (left_us <= 0)
            break;
        GstMessage *msg = gst_bus_timed_pop(bus, (GstClockTime)left_us * GST_USECOND);
        if (!msg)
            break;
        GstMessageType type = GST_MESSAGE_TYPE(msg);
        gboolean stop = FALSE;
        if (type == GST_MESSAGE_ERROR) {
            GError *err = NULL;
            gst_message_parse_error(msg, &err, NULL);
            printf("drive: error from %s: %s\n", GST_MESSAGE_SRC_NAME(msg), err->message);
            g_error_free(err);
            result = what == UNTIL_ERROR;
            stop = TRUE;
        } else if (type == GST_MESSAGE_EOS) {
            printf("drive: EOS\n");
            result = what == UNTIL_EOS;
            stop = TRUE;
        }
        gst_message_unref(msg);
        if (stop)
            break;
    }
    gst_object_unref(bus);
    return result;
}

/* Sets a state and waits for it (prerolling included). */
static gboolean set_state(GstElement *pipeline, GstState state) {
    if (gst_element_set_state(pipeline, state) == GST_STATE_CHANGE_FAILURE)
        return FALSE;
    return gst_element_get_state(pipeline, NULL, NULL, 5 * GST_SECOND) == GST_STATE_CHANGE_SUCCESS;
}

/* Actions come 1.5 s in: away from the content-start play, which the library sends 1 s in. */
static void scenario_pause(GstElement *p) {
    CHECK(set_state(p, GST_STATE_PLAYING));
    CHECK(run_bus(p, UNTIL_TIME, 1500));
    CHECK(set_state(p, GST_STATE_PAUSED));
    CHECK(run_bus(p, UNTIL_TIME, 700));
    CHECK(set_state(p, GST_STATE_PLAYING));
    CHECK(run_bus(p, UNTIL_EOS, 10000));
}

static void scenario_seek(GstElement *p) {
    CHECK(set_state(p, GST_STATE_PLAYING));
    CHECK(run_bus(p, UNTIL_TIME, 1500));
    CHECK(gst_element_seek_simple(p, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT,
                                  500 * GST_MSECOND));
    CHECK(run_bus(p, UNTIL_EOS, 10000));
}

static void scenario_error(GstElement *p) {
    CHECK(set_state(p, GST_STATE_PLAYING));
    /* identity error-after=45 fails on its streaming thread 1.5 s in. */
    CHECK(run_bus(p, UNTIL_ERROR, 10000));
}

/* What a network source does: BUFFERING below 100 %, the application pauses, then 100 % and
 * the application plays again. */
static void scenario_buffering(GstElement *p) {
    CHECK(set_state(p, GST_STATE_PLAYING));
    CHECK(run_bus(p, UNTIL_TIME, 1500));
    GstElement *src = gst_bin_get_by_name(GST_BIN(p), "src");
    CHECK(src != NULL);
    if (!src)
        return;
    CHECK(gst_element_post_message(src, gst_message_new_buffering(GST_OBJECT(src), 30)));
    CHECK(set_state(p, GST_STATE_PAUSED));
    CHECK(run_bus(p, UNTIL_TIME, 500));
    CHECK(gst_element_post_message(src, gst_message_new_buffering(GST_OBJECT(src), 100)));
    CHECK(set_state(p, GST_STATE_PLAYING));
    gst_object_unref(src);
    CHECK(run_bus(p, UNTIL_EOS, 10000));
}

int main(int argc, char **argv) {
    gst_init(&argc, &argv);
    if (argc != 2) {
        fprintf(stderr, "usage: drive pause|seek|error|buffering\n");
        return 2;
    }
    static const struct {
        const char *name;
        const char *pipeline;
        void (*run)(GstElement *);
    } scenarios[] = {
        {"pause", VIDEO " ! fakesink sync=true", scenario_pause},
        {"seek", VIDEO " ! fakesink sync=true", scenario_seek},
        {"error", VIDEO " ! identity error-after=45 ! fakesink sync=true", scenario_error},
        {"buffering", VIDEO " ! fakesink sync=true", scenario_buffering},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(scenarios); i++) {
        if (strcmp(argv[1], scenarios[i].name) != 0)
            continue;
        GError *err = NULL;
        GstElement *p = gst_parse_launch(scenarios[i].pipeline, &err);
        CHECK(p != NULL && err == NULL);
        if (err) {
            fprintf(stderr, "drive: %s\n", err->message);
            g_error_free(err);
        }
        if (p) {
            scenarios[i].run(p);
            /* The tracer ends the session and flushes while the pipeline goes to NULL. */
            CHECK(gst_element_set_state(p, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS);
            gst_object_unref(p);
        }
        gst_deinit();
        printf("%d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }
    fprintf(stderr, "drive: unknown scenario %s\n", argv[1]);
    return 2;
}
