/*
 * mc_gst: GStreamer bus messages -> media-collection calls. See mc_gst.h for the mapping.
 *
 * mc_gst_handle_message() decides what a message means and queues the call; the tracker's
 * timer thread, woken at once, queries the position and makes the queued calls in order. So a
 * handler never queries the pipeline (it may run on a streaming thread, inside a tracer hook),
 * every event carries the position of the moment it happened (a pause, the end, a seek's
 * target), and the session start has the duration.
 */
#include "mc_gst.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC(mc_gst_debug);
#define GST_CAT_DEFAULT mc_gst_debug

#define DEFAULT_PLAYHEAD_INTERVAL_MS 250
/* What the MC API asks for as the length of live content. */
#define UNKNOWN_LENGTH_S 86400.0
/* Calls waiting for the timer thread; it drains them within milliseconds. */
#define QUEUE_CAPACITY 64

typedef enum {
    CALL_START,
    CALL_PLAY,
    CALL_PAUSE,
    CALL_BUFFER_START,
    CALL_BUFFER_COMPLETE,
    CALL_SEEK_START,
    CALL_SEEK_COMPLETE,
    CALL_COMPLETE,
    CALL_ERROR,
    CALL_END,
} call_kind;

typedef struct {
    call_kind kind;
    char *error_id;
} queued_call;

/* The session as the message handler sees it (the library lags by the queue). */
typedef enum {
    SESSION_NONE,   /* waiting for the first PLAYING, or for the application's start */
    SESSION_ACTIVE, /* started or about to be */
    SESSION_DONE,   /* completed at EOS: nothing more until the pipeline goes back to READY */
} session_state;

struct mc_gst_tracker {
    mc_tracker_t tracker;
    GWeakRef pipeline;
    const GstElement *pipeline_id; /* for comparing message sources only, never dereferenced */

    /* Options, copied. */
    char *media_id;
    char *media_name;
    char *content_type;
    double length;
    uint32_t media_type;
    mc_metadata *metadata;
    size_t n_metadata;
    guint interval_ms;
    gboolean manual_start;
    int32_t preroll_wait_ms;

    GMutex lock;
    GCond wake; /* the timer thread: calls queued, or stop */
    GCond done; /* callers waiting for their call to be made */
    GThread *timer;
    gboolean stop;

    /* Everything below is guarded by `lock`. */
    queued_call queue[QUEUE_CAPACITY];
    guint queue_head, queue_len;
    guint64 queued_total, made_total; /* for waiting on one's own call */
    gboolean lib_open;                /* the library has an open session */
    double length_s;                  /* of the open session; < 0 when unknown (live) */
    mc_status start_status;

    session_state session;
    gboolean pipeline_playing; /* the pipeline's own state */
    gboolean playing;          /* what the library was told last: play (TRUE) or pause */
    gboolean buffering, buffering_reported;
    gboolean seeking, seeking_reported;
    gboolean error_reported;   /* the first ERROR of a run is the cause, later ones follow from it */
    char *tag_title;
    mc_qoe qoe;
    GHashTable *dropped_by_source; /* message source -> cumulative dropped buffers */
    gint64 preroll_started_us;
};

static void debug_init(void) {
    static gsize once = 0;
    if (g_once_init_enter(&once)) {
        GST_DEBUG_CATEGORY_INIT(mc_gst_debug, "mediacollection", 0, "media-collection reporting");
        g_once_init_leave(&once, 1);
    }
}

void mc_gst_options_init(mc_gst_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->length = -1.0;
    opts->media_type = MC_MEDIA_TYPE_VIDEO;
    opts->preroll_wait_ms = -1;
}

static const char *call_name(call_kind k) {
    static const char *const names[] = {"session_start", "play",          "pause",         "buffer_start",
                                        "buffer_complete", "seek_start",  "seek_complete", "complete",
                                        "error",         "session_end"};
    return names[k];
}

/* ---- the message side: decide and queue (lock held) ---- */

static gboolean enqueue(mc_gst_tracker *gt, call_kind kind, const char *error_id) {
    if (gt->queue_len == QUEUE_CAPACITY) {
        GST_WARNING("mc_track_%s dropped: %u calls already queued", call_name(kind), gt->queue_len);
        return FALSE;
    }
    queued_call *c = &gt->queue[(gt->queue_head + gt->queue_len) % QUEUE_CAPACITY];
    c->kind = kind;
    c->error_id = g_strdup(error_id);
    gt->queue_len++;
    gt->queued_total++;
    g_cond_signal(&gt->wake);
    return TRUE;
}

/* Queues a call for the session; returns whether the session will see it. */
static gboolean emit(mc_gst_tracker *gt, call_kind kind, const char *error_id) {
    if (gt->session != SESSION_ACTIVE || !enqueue(gt, kind, error_id))
        return FALSE;
    if (kind == CALL_COMPLETE)
        gt->session = SESSION_DONE;
    return TRUE;
}

static void update_qoe(mc_gst_tracker *gt) {
    mc_status s = mc_update_qoe(gt->tracker, &gt->qoe);
    if (s != MC_OK)
        GST_WARNING("mc_update_qoe: %s", mc_status_str(s));
}

/* The pipeline went back to READY (or the application ends): the next PLAYING is a new session. */
static void end_locked(mc_gst_tracker *gt) {
    if (gt->session == SESSION_ACTIVE)
        enqueue(gt, CALL_END, NULL);
    gt->session = SESSION_NONE;
    gt->pipeline_playing = gt->playing = FALSE;
    gt->buffering = gt->buffering_reported = FALSE;
    gt->seeking = gt->seeking_reported = FALSE;
    gt->error_reported = FALSE;
    g_clear_pointer(&gt->tag_title, g_free);
    g_hash_table_remove_all(gt->dropped_by_source);
    mc_qoe_init(&gt->qoe);
    gt->preroll_started_us = 0;
}

/* Queues the start (and play when the pipeline plays already). */
static void start_locked(mc_gst_tracker *gt) {
    gt->session = SESSION_ACTIVE;
    enqueue(gt, CALL_START, NULL);
    if (gt->pipeline_playing && enqueue(gt, CALL_PLAY, NULL))
        gt->playing = TRUE;
}

/* ---- the timer side: query, then make the calls (lock held while calling) ---- */

typedef struct {
    gboolean have_position;
    double position_s;
    double duration_s; /* < 0: unknown */
    char *fallback_id; /* playbin's URI, else the pipeline name */
} pipeline_facts;

static gboolean is_live_content(const mc_gst_tracker *gt) {
    return gt->content_type &&
           (g_ascii_strcasecmp(gt->content_type, "live") == 0 || g_ascii_strcasecmp(gt->content_type, "linear") == 0);
}

/* The MC playhead: the position in seconds, or for live content the second of the day. */
static double playhead_of(const mc_gst_tracker *gt, gint64 position_ns) {
    if (is_live_content(gt)) {
        GDateTime *now = g_date_time_new_now_utc();
        double s = g_date_time_get_hour(now) * 3600.0 + g_date_time_get_minute(now) * 60.0 +
                   g_date_time_get_seconds(now);
        g_date_time_unref(now);
        return s;
    }
    return position_ns > 0 ? (double)position_ns / GST_SECOND : 0.0;
}

/* Called without the lock: queries may take the pipeline's locks. */
static void gather_facts(mc_gst_tracker *gt, gboolean for_start, pipeline_facts *f) {
    f->have_position = FALSE;
    f->position_s = 0;
    f->duration_s = -1.0;
    f->fallback_id = NULL;
    GstElement *p = g_weak_ref_get(&gt->pipeline);
    if (!p)
        return;
    gint64 v = -1;
    if (gst_element_query_position(p, GST_FORMAT_TIME, &v) && v >= 0) {
        f->have_position = TRUE;
        f->position_s = playhead_of(gt, v);
    }
    if (for_start) {
        v = -1;
        if (gst_element_query_duration(p, GST_FORMAT_TIME, &v) && v > 0)
            f->duration_s = (double)v / GST_SECOND;
        if (!gt->media_id) {
            if (g_object_class_find_property(G_OBJECT_GET_CLASS(p), "current-uri"))
                g_object_get(p, "current-uri", &f->fallback_id, NULL);
            if (!f->fallback_id && g_object_class_find_property(G_OBJECT_GET_CLASS(p), "uri"))
                g_object_get(p, "uri", &f->fallback_id, NULL);
            if (!f->fallback_id)
                f->fallback_id = gst_object_get_name(GST_OBJECT(p));
        }
    }
    gst_object_unref(p);
}

static mc_status make_start(mc_gst_tracker *gt, const pipeline_facts *f) {
    mc_media_info media;
    mc_media_info_init(&media);
    media.id = gt->media_id ? gt->media_id : (f->fallback_id ? f->fallback_id : "unknown");
    media.name = gt->media_name ? gt->media_name : (gt->tag_title ? gt->tag_title : media.id);
    media.content_type = gt->content_type ? gt->content_type : "vod";
    media.length = gt->length >= 0 ? gt->length : (f->duration_s >= 0 ? f->duration_s : UNKNOWN_LENGTH_S);
    media.media_type = gt->media_type;
    media.preroll_wait_ms = gt->preroll_wait_ms;
    media.initial_playhead = f->have_position ? f->position_s : playhead_of(gt, 0);
    update_qoe(gt);
    mc_status s = mc_track_session_start(gt->tracker, &media, gt->metadata, gt->n_metadata);
    gt->length_s = gt->length >= 0 ? gt->length : f->duration_s;
    if (s == MC_OK)
        GST_INFO("session start: id %s, name %s, length %.3f s, %s", media.id, media.name, media.length,
                 media.content_type);
    return s;
}

static void make_call(mc_gst_tracker *gt, const queued_call *c, const pipeline_facts *f) {
    mc_status s = MC_OK;
    if (c->kind == CALL_START) {
        s = gt->start_status = make_start(gt, f);
        gt->lib_open = s == MC_OK;
    } else if (!gt->lib_open) {
        return; /* the start failed: nothing to report to */
    } else {
        switch (c->kind) {
        case CALL_PLAY: s = mc_track_play(gt->tracker); break;
        case CALL_PAUSE: s = mc_track_pause(gt->tracker); break;
        case CALL_BUFFER_START: s = mc_track_buffer_start(gt->tracker); break;
        case CALL_BUFFER_COMPLETE: s = mc_track_buffer_complete(gt->tracker); break;
        case CALL_SEEK_START: s = mc_track_seek_start(gt->tracker); break;
        case CALL_SEEK_COMPLETE: s = mc_track_seek_complete(gt->tracker); break;
        case CALL_ERROR: s = mc_track_error(gt->tracker, c->error_id, MC_ERROR_SOURCE_PLAYER); break;
        case CALL_COMPLETE:
            s = mc_track_complete(gt->tracker);
            gt->lib_open = FALSE;
            break;
        case CALL_END:
            s = mc_track_session_end(gt->tracker);
            gt->lib_open = FALSE;
            break;
        case CALL_START: break;
        }
    }
    if (s != MC_OK)
        GST_WARNING("mc_track_%s: %s", call_name(c->kind), mc_status_str(s));
    else
        GST_DEBUG("mc_track_%s", call_name(c->kind));
}

static gboolean start_queued(const mc_gst_tracker *gt) {
    for (guint i = 0; i < gt->queue_len; i++)
        if (gt->queue[(gt->queue_head + i) % QUEUE_CAPACITY].kind == CALL_START)
            return TRUE;
    return FALSE;
}

/* Makes every queued call, the position first. Called and returns with the lock held. */
static void drain(mc_gst_tracker *gt) {
    pipeline_facts f;
    gboolean for_start = start_queued(gt);
    g_mutex_unlock(&gt->lock);
    gather_facts(gt, for_start, &f);
    g_mutex_lock(&gt->lock);
    /* The playhead is a slot the next call reads: set it before the first. A pipeline being
     * torn down after EOS may no longer answer: the end is then the length. */
    if (f.have_position)
        mc_update_playhead(gt->tracker, f.position_s);
    else if (gt->lib_open && gt->length_s >= 0 && !is_live_content(gt) &&
             gt->queue[gt->queue_head].kind == CALL_COMPLETE)
        mc_update_playhead(gt->tracker, gt->length_s);
    while (gt->queue_len) {
        queued_call c = gt->queue[gt->queue_head];
        if (c.kind == CALL_START && !for_start)
            break; /* queued while we queried: the next round gathers what a start needs */
        gt->queue_head = (gt->queue_head + 1) % QUEUE_CAPACITY;
        gt->queue_len--;
        make_call(gt, &c, &f);
        g_free(c.error_id);
        gt->made_total++;
    }
    g_free(f.fallback_id);
    g_cond_broadcast(&gt->done);
}

static gpointer timer_main(gpointer data) {
    mc_gst_tracker *gt = data;
    g_mutex_lock(&gt->lock);
    for (;;) {
        if (gt->queue_len) {
            drain(gt);
            continue;
        }
        if (gt->stop)
            break;
        if (gt->lib_open) {
            pipeline_facts f;
            g_mutex_unlock(&gt->lock);
            gather_facts(gt, FALSE, &f);
            g_mutex_lock(&gt->lock);
            if (f.have_position && gt->lib_open)
                mc_update_playhead(gt->tracker, f.position_s);
        }
        /* Without a session there is no playhead to keep: sleep until a call or the end. */
        gint64 until = g_get_monotonic_time() + (gint64)gt->interval_ms * G_TIME_SPAN_MILLISECOND;
        while (!gt->stop && !gt->queue_len) {
            if (!gt->lib_open)
                g_cond_wait(&gt->wake, &gt->lock);
            else if (!g_cond_wait_until(&gt->wake, &gt->lock, until))
                break;
        }
    }
    g_mutex_unlock(&gt->lock);
    return NULL;
}

/* Waits until the timer thread made every call queued so far. Lock held. */
static void wait_made(mc_gst_tracker *gt) {
    guint64 target = gt->queued_total;
    while (gt->made_total < target)
        g_cond_wait(&gt->done, &gt->lock);
}

/* ---- public ---- */

mc_gst_tracker *mc_gst_tracker_new(mc_tracker_t tracker, GstElement *pipeline, const mc_gst_options *opts) {
    g_return_val_if_fail(tracker != 0, NULL);
    g_return_val_if_fail(GST_IS_ELEMENT(pipeline), NULL);
    g_return_val_if_fail(opts != NULL, NULL);
    debug_init();

    mc_gst_tracker *gt = g_new0(mc_gst_tracker, 1);
    gt->tracker = tracker;
    g_weak_ref_init(&gt->pipeline, pipeline);
    gt->pipeline_id = pipeline;
    gt->media_id = g_strdup(opts->media_id);
    gt->media_name = g_strdup(opts->media_name);
    gt->content_type = g_strdup(opts->content_type);
    gt->length = opts->length;
    gt->media_type = opts->media_type;
    gt->interval_ms = opts->playhead_interval_ms ? opts->playhead_interval_ms : DEFAULT_PLAYHEAD_INTERVAL_MS;
    gt->manual_start = opts->manual_start;
    gt->preroll_wait_ms = opts->preroll_wait_ms;
    if (opts->metadata && opts->n_metadata) {
        gt->metadata = g_new0(mc_metadata, opts->n_metadata);
        for (size_t i = 0; i < opts->n_metadata; i++) {
            gt->metadata[i].key = g_strdup(opts->metadata[i].key);
            gt->metadata[i].value = g_strdup(opts->metadata[i].value);
        }
        gt->n_metadata = opts->n_metadata;
    }
    g_mutex_init(&gt->lock);
    g_cond_init(&gt->wake);
    g_cond_init(&gt->done);
    gt->dropped_by_source = g_hash_table_new(g_direct_hash, g_direct_equal);
    mc_qoe_init(&gt->qoe);
    gt->timer = g_thread_new("mc-gst-timer", timer_main, gt);
    return gt;
}

static void on_state_changed(mc_gst_tracker *gt, GstMessage *msg) {
    GstState old_state, new_state, pending;
    gst_message_parse_state_changed(msg, &old_state, &new_state, &pending);

    if (old_state == new_state) {
        /* PAUSED -> PAUSED, pending PAUSED: the sinks lost their preroll, which a flushing seek
         * does (GstBin's lost state). The other same-state messages end that phase. */
        if (new_state == GST_STATE_PAUSED && pending == GST_STATE_PAUSED && !gt->seeking) {
            gt->seeking = TRUE;
            gt->seeking_reported = emit(gt, CALL_SEEK_START, NULL);
        }
        return;
    }
    if (new_state == GST_STATE_PLAYING) {
        gt->pipeline_playing = TRUE;
        gt->error_reported = FALSE;
        /* Time to start: from prerolling to playing, known before the session starts (an
         * application that starts it itself, for a pre-roll ad, reports its own). */
        if (gt->session == SESSION_NONE && !gt->manual_start && gt->preroll_started_us) {
            gt->qoe.startup_time = (double)(g_get_monotonic_time() - gt->preroll_started_us) / 1000.0;
            update_qoe(gt);
        }
        if (gt->session == SESSION_NONE && !gt->manual_start)
            start_locked(gt);
        else if (!gt->playing && !gt->seeking && !gt->buffering && emit(gt, CALL_PLAY, NULL))
            gt->playing = TRUE;
    } else if (old_state == GST_STATE_PLAYING && new_state == GST_STATE_PAUSED) {
        gt->pipeline_playing = FALSE;
        /* Buffering, seeking and tearing down (on the way to READY or NULL) pause the pipeline
         * too: those are not the viewer's pauses. */
        gboolean teardown = pending == GST_STATE_READY || pending == GST_STATE_NULL;
        if (gt->playing && !teardown && !gt->seeking && !gt->buffering && emit(gt, CALL_PAUSE, NULL))
            gt->playing = FALSE;
    } else if (old_state == GST_STATE_READY && new_state == GST_STATE_PAUSED) {
        gt->preroll_started_us = g_get_monotonic_time();
    } else if (old_state == GST_STATE_PAUSED && new_state == GST_STATE_READY) {
        end_locked(gt);
    }
}

static void on_tag(mc_gst_tracker *gt, GstMessage *msg) {
    GstTagList *tags = NULL;
    gst_message_parse_tag(msg, &tags);
    gchar *title = NULL;
    if (!gt->tag_title && gt->session == SESSION_NONE && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title)) {
        if (title[0])
            gt->tag_title = title;
        else
            g_free(title);
    }
    guint bitrate = 0;
    if (gst_tag_list_get_uint(tags, GST_TAG_BITRATE, &bitrate) ||
        gst_tag_list_get_uint(tags, GST_TAG_NOMINAL_BITRATE, &bitrate)) {
        if (bitrate > 0 && (double)bitrate != gt->qoe.bitrate) {
            gt->qoe.bitrate = bitrate;
            update_qoe(gt);
        }
    }
    gst_tag_list_unref(tags);
}

static void on_qos(mc_gst_tracker *gt, GstMessage *msg) {
    GstFormat format;
    guint64 processed, dropped;
    gst_message_parse_qos_stats(msg, &format, &processed, &dropped);
    if (format != GST_FORMAT_BUFFERS || dropped == (guint64)-1)
        return;
    /* Each element reports its own running total: keep the last per element, send the sum. */
    g_hash_table_insert(gt->dropped_by_source, GST_MESSAGE_SRC(msg), GSIZE_TO_POINTER((gsize)dropped));
    double sum = 0;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, gt->dropped_by_source);
    while (g_hash_table_iter_next(&it, NULL, &value))
        sum += (double)GPOINTER_TO_SIZE(value);
    if (sum != gt->qoe.dropped_frames) {
        gt->qoe.dropped_frames = sum;
        update_qoe(gt);
    }
}

void mc_gst_handle_message(mc_gst_tracker *gt, GstMessage *msg) {
    g_return_if_fail(gt != NULL && GST_IS_MESSAGE(msg));
    gboolean from_pipeline = GST_MESSAGE_SRC(msg) == (GstObject *)gt->pipeline_id;

    g_mutex_lock(&gt->lock);
    switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_STATE_CHANGED:
        if (from_pipeline)
            on_state_changed(gt, msg);
        break;
    case GST_MESSAGE_ASYNC_DONE:
        if (from_pipeline && gt->seeking) {
            gt->seeking = FALSE;
            if (gt->seeking_reported)
                emit(gt, CALL_SEEK_COMPLETE, NULL);
            gt->seeking_reported = FALSE;
        }
        break;
    case GST_MESSAGE_BUFFERING: {
        gint percent = 0;
        gst_message_parse_buffering(msg, &percent);
        if (percent < 100 && !gt->buffering) {
            gt->buffering = TRUE;
            gt->buffering_reported = emit(gt, CALL_BUFFER_START, NULL);
        } else if (percent >= 100 && gt->buffering) {
            gt->buffering = FALSE;
            if (gt->buffering_reported)
                emit(gt, CALL_BUFFER_COMPLETE, NULL);
            gt->buffering_reported = FALSE;
        }
        break;
    }
    case GST_MESSAGE_EOS:
        if (from_pipeline)
            emit(gt, CALL_COMPLETE, NULL);
        break;
    case GST_MESSAGE_ERROR: {
        GError *err = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        /* A stable id a report can group by: "gst-stream-error-quark:3". The text goes to the log. */
        gchar *id = g_strdup_printf("%s:%d", g_quark_to_string(err->domain), err->code);
        GST_INFO("error from %s: %s (%s)", GST_MESSAGE_SRC_NAME(msg), err->message, id);
        if (!gt->error_reported)
            gt->error_reported = emit(gt, CALL_ERROR, id);
        g_free(id);
        g_error_free(err);
        g_free(debug);
        break;
    }
    case GST_MESSAGE_TAG:
        on_tag(gt, msg);
        break;
    case GST_MESSAGE_QOS:
        on_qos(gt, msg);
        break;
    default:
        break;
    }
    g_mutex_unlock(&gt->lock);
}

mc_status mc_gst_tracker_start_session(mc_gst_tracker *gt) {
    if (!gt)
        return MC_ERR_NULL_ARGUMENT;
    g_mutex_lock(&gt->lock);
    mc_status s = MC_ERR_INVALID_ARGUMENT; /* a session is already open */
    if (gt->session == SESSION_NONE) {
        start_locked(gt);
        /* The application's own calls (an ad break) must come after the start. */
        wait_made(gt);
        s = gt->start_status;
    }
    g_mutex_unlock(&gt->lock);
    return s;
}

void mc_gst_tracker_end_session(mc_gst_tracker *gt) {
    if (!gt)
        return;
    g_mutex_lock(&gt->lock);
    end_locked(gt);
    wait_made(gt);
    g_mutex_unlock(&gt->lock);
}

void mc_gst_tracker_free(mc_gst_tracker *gt) {
    if (!gt)
        return;
    g_mutex_lock(&gt->lock);
    end_locked(gt);
    gt->stop = TRUE; /* the timer thread makes what is queued, then exits */
    g_cond_signal(&gt->wake);
    g_mutex_unlock(&gt->lock);
    g_thread_join(gt->timer);

    g_hash_table_destroy(gt->dropped_by_source);
    g_weak_ref_clear(&gt->pipeline);
    g_mutex_clear(&gt->lock);
    g_cond_clear(&gt->wake);
    g_cond_clear(&gt->done);
    for (size_t i = 0; i < gt->n_metadata; i++) {
        g_free((char *)gt->metadata[i].key);
        g_free((char *)gt->metadata[i].value);
    }
    g_free(gt->metadata);
    g_free(gt->media_id);
    g_free(gt->media_name);
    g_free(gt->content_type);
    g_free(gt);
}
