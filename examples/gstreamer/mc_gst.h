/*
 * mc_gst: maps a GStreamer pipeline's bus messages onto a media-collection tracker.
 *
 * For applications that own their bus: create an mc_gst_tracker for the pipeline and call
 * mc_gst_handle_message() from the bus handler you already have (a library must not take the
 * bus watch or the sync handler). The mediacollection tracer uses the same code.
 *
 *   mc_gst_options opts;
 *   mc_gst_options_init(&opts);
 *   opts.media_id = "episode-42";
 *   mc_gst_tracker *gt = mc_gst_tracker_new(tracker, pipeline, &opts);
 *   ... in the bus handler:  mc_gst_handle_message(gt, msg);
 *   ... at the end:           mc_gst_tracker_free(gt); mc_tracker_free(tracker);
 *
 * Mapping (messages from the pipeline itself unless said otherwise):
 *   STATE_CHANGED to PLAYING           first time: session start (with the duration), then play;
 *                                      READY -> PAUSED until then: QoE time to start
 *   STATE_CHANGED PLAYING -> PAUSED    pause (not while buffering, seeking or tearing down)
 *   STATE_CHANGED PAUSED -> PAUSED     (pending PAUSED) the pipeline lost its preroll: a flushing
 *                                      seek started (GStreamer posts this for every flushing seek)
 *   ASYNC_DONE during a seek           seek complete
 *   STATE_CHANGED PAUSED -> READY      session end (the next PLAYING starts a new session)
 *   BUFFERING (any element)            < 100 %: buffer start (once); 100 %: buffer complete
 *   EOS                                complete
 *   ERROR (any element)                error "<domain>:<code>", source player (the first of a run:
 *                                      the errors that follow it are its consequences)
 *   TAG (any element)                  title -> media name (before the session starts);
 *                                      bitrate / nominal bitrate -> QoE bitrate
 *   QOS (any element)                  dropped buffers, summed over elements -> QoE dropped frames
 *   timer (every playhead_interval_ms) position query -> playhead; duration query at start
 *
 * Threads: mc_gst_handle_message may be called from any thread, streaming threads included: it
 * never queries the pipeline and never waits (it takes the tracker's lock briefly); it queues the call for the tracker's own timer
 * thread, which queries the position (so every event carries the playhead of its moment) and
 * makes the calls in order, within milliseconds. The same thread updates the playhead every
 * playhead_interval_ms.
 */
#ifndef MC_GST_H
#define MC_GST_H

#include <gst/gst.h>

#include "media_collection.h"

G_BEGIN_DECLS

typedef struct mc_gst_tracker mc_gst_tracker;

/* What is played and how the session starts. Strings and metadata are copied. */
typedef struct {
    /* media.id. NULL: the playbin "uri" property, else the pipeline name. */
    const char *media_id;
    /* media.name. NULL: the first TAG title seen before the session starts, else the media id. */
    const char *media_name;
    /* media.contentType. NULL: "vod". With "live" or "linear" the playhead is the second of the
     * day (UTC), as the MC API asks, instead of the pipeline position. */
    const char *content_type;
    /* media.length in seconds. < 0 (default): the duration query; 86400 when it has none (live). */
    double length;
    /* MC_MEDIA_TYPE_VIDEO (default) or MC_MEDIA_TYPE_AUDIO. */
    uint32_t media_type;
    /* sessionStart metadata (a.media.* standard keys, others custom). */
    const mc_metadata *metadata;
    size_t n_metadata;
    /* How often the timer thread queries the position. 0: 250 ms. */
    uint32_t playhead_interval_ms;
    /* Pre-roll waiting window in ms (mc_media_info.preroll_wait_ms): -1 (default) the client's;
     * 0 when no pre-roll ad can come, so the first play is sent at once. */
    int32_t preroll_wait_ms;
    /* FALSE (default): the session starts at the first PLAYING. TRUE: the application calls
     * mc_gst_tracker_start_session() itself, e.g. to report a pre-roll ad break first. */
    gboolean manual_start;
} mc_gst_options;

void mc_gst_options_init(mc_gst_options *opts);

/* Tracks `pipeline` (a weak reference is kept) on `tracker`, which stays the caller's: free it
 * after mc_gst_tracker_free(). Starts the timer thread. NULL when an argument is missing. */
mc_gst_tracker *mc_gst_tracker_new(mc_tracker_t tracker, GstElement *pipeline, const mc_gst_options *opts);

/* Maps one message of the pipeline's bus (see the table above). */
void mc_gst_handle_message(mc_gst_tracker *gt, GstMessage *msg);

/* For opts.manual_start: starts the session now, on the caller's thread, which must not be a
 * streaming thread (it queries the duration). The pipeline should be PAUSED or PLAYING; when it
 * already plays, play follows. MC_ERR_INVALID_ARGUMENT when a session is already open. */
mc_status mc_gst_tracker_start_session(mc_gst_tracker *gt);

/* Ends the session if one is open (sessionEnd), e.g. before tearing the pipeline down without
 * dispatching its last messages. */
void mc_gst_tracker_end_session(mc_gst_tracker *gt);

/* Ends the session if open, stops the timer thread and frees. NULL is a no-op. */
void mc_gst_tracker_free(mc_gst_tracker *gt);

G_END_DECLS

#endif /* MC_GST_H */
