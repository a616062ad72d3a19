/*
 * The mediacollection tracer (see gstmctracer.h and README.md).
 *
 * Hooks:
 *   element-change-state-pre  NULL -> READY of a top-level pipeline: start tracking it
 *   element-post-message-pre  a message posted by a tracked pipeline, i.e. exactly what its bus
 *                             gets: mapped by mc_gst_handle_message()
 *   element-change-state-post READY -> NULL: stop tracking, flush the client (bounded)
 *
 * Hooks run on whatever thread posts or changes state, streaming threads included. The message
 * hook only takes two short locks and calls the library, which only queues; position and
 * duration queries run on each tracked pipeline's timer thread (mc_gst.c).
 */
#include "gstmctracer.h"

#include <stdarg.h>
#include <string.h>

#include "mc_gst.h"
#include "media_collection.h"

GST_DEBUG_CATEGORY_STATIC(gst_mc_tracer_debug);
#define GST_CAT_DEFAULT gst_mc_tracer_debug

#define DEFAULT_FLUSH_TIMEOUT_MS 3000
/* Delivery failures print at most one line to stderr per this many ms (warn-interval). */
#define DEFAULT_WARN_INTERVAL_MS 30000

typedef struct {
    mc_tracker_t tracker;
    mc_gst_tracker *gt;
} tracked_pipeline;

struct _GstMcTracer {
    GstTracer parent;

    gboolean enabled;
    /* Client configuration (owned strings). */
    gchar *endpoint, *tracking_server, *rsid, *org_id, *ecid, *channel, *player_name, *app_version;
    /* Media Edge: backend=edge, the datastream id and an optional first-party id. */
    gchar *backend, *config_id, *fpid;
    guint ping_interval_ms, content_start_delay_ms, log_level;
    guint flush_timeout_ms;
    gchar *pipeline_filter;
    /* Media template for every tracked pipeline (owned strings). */
    gchar *media_id, *media_name, *content_type;
    gdouble media_length;
    guint media_type;
    guint playhead_interval_ms;
    GArray *metadata; /* of mc_metadata, owned strings */
    gboolean strict;  /* a configuration problem posts an ERROR on the pipeline's bus */
    gboolean quiet;   /* no stderr lines (GST_DEBUG only) */
    guint warn_interval_ms;
    /* The first configuration problem (owned), or NULL: nothing is reported while it is set. */
    gchar *problem;
    /* Rate limit of delivery warnings (worker thread only). */
    gint64 last_warn_us;
    guint suppressed;

    GMutex lock;
    mc_client_t client;      /* created at the first tracked pipeline */
    gboolean client_failed;  /* do not retry (and log) on every pipeline */
    GHashTable *pipelines;   /* GstElement* -> tracked_pipeline* */
};

G_DEFINE_TYPE(GstMcTracer, gst_mc_tracer, GST_TYPE_TRACER)

static void on_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata;
    GstDebugLevel l = level <= MC_LOG_ERROR  ? GST_LEVEL_ERROR
                      : level == MC_LOG_WARN ? GST_LEVEL_WARNING
                      : level == MC_LOG_INFO ? GST_LEVEL_INFO
                                             : GST_LEVEL_DEBUG;
    GST_CAT_LEVEL_LOG(gst_mc_tracer_debug, l, NULL, "%s", message);
}

/* A problem the user must see without GST_DEBUG: to stderr (unless quiet) and to the debug log. */
static void complain(GstMcTracer *self, const gchar *format, ...) G_GNUC_PRINTF(2, 3);
static void complain(GstMcTracer *self, const gchar *format, ...) {
    va_list args;
    va_start(args, format);
    gchar *text = g_strdup_vprintf(format, args);
    va_end(args);
    if (!self->quiet)
        g_printerr("mediacollection tracer: %s\n", text);
    GST_ERROR("%s", text);
    g_free(text);
}

/* Records why nothing will be reported (the first reason wins) and says so. */
static void disable(GstMcTracer *self, const gchar *why) {
    complain(self, "%s: nothing will be reported%s", why,
             self->strict ? " (strict: pipelines will fail with this error)" : "");
    if (!self->problem)
        self->problem = g_strdup(why);
    self->enabled = FALSE;
}

/* Delivery failures (endpoint unreachable, refused, TLS) on the worker thread: one stderr line
 * per warn-interval, with the count of those not printed since. */
static void warn_delivery(GstMcTracer *self, const mc_event *ev) {
    gint64 now = g_get_monotonic_time();
    if (self->last_warn_us && now - self->last_warn_us < (gint64)self->warn_interval_ms * 1000) {
        self->suppressed++;
        return;
    }
    gchar *more = self->suppressed ? g_strdup_printf(" (and %u more delivery problems since the last warning)",
                                                     self->suppressed)
                                   : g_strdup("");
    if (!self->quiet) {
        if (ev->kind == MC_EVENT_REQUEST_FAILED) {
            gchar *status = ev->http_status ? g_strdup_printf("HTTP %d", ev->http_status) : g_strdup("no answer");
            g_printerr("mediacollection tracer: %s to %s failed (%s%s): %s%s\n", ev->event_type, self->endpoint,
                       status, ev->retrying ? ", retrying" : "", ev->reason ? ev->reason : "", more);
            g_free(status);
        } else
            g_printerr("mediacollection tracer: %s dropped: %s%s\n", ev->event_type, ev->reason ? ev->reason : "",
                       more);
    }
    g_free(more);
    self->last_warn_us = now;
    self->suppressed = 0;
}

static void on_event(void *userdata, const mc_event *ev) {
    GstMcTracer *self = userdata;
    if (ev->kind == MC_EVENT_REQUEST_FAILED || ev->kind == MC_EVENT_DROPPED)
        warn_delivery(self, ev);
    switch (ev->kind) {
    case MC_EVENT_SESSION_STARTED:
        GST_INFO("session %s started", ev->session_id);
        break;
    case MC_EVENT_CALL_IGNORED:
        GST_DEBUG("call %s ignored: %s", ev->call, ev->reason);
        break;
    case MC_EVENT_DROPPED:
        GST_WARNING("%s dropped: %s", ev->event_type, ev->reason);
        break;
    case MC_EVENT_REQUEST_FAILED:
        GST_WARNING("%s failed (HTTP %d): %s%s", ev->event_type, ev->http_status, ev->reason,
                    ev->retrying ? ", retrying" : "");
        break;
    case MC_EVENT_SESSION_RESTARTED:
        GST_INFO("session restarted: %s", ev->reason);
        break;
    case MC_EVENT_METADATA_DROPPED:
        GST_WARNING("%s: %s", ev->call, ev->reason);
        break;
    default:
        break;
    }
}

/* ---- parameters ---- */

/* A non-negative integer, or FALSE. */
static gboolean parse_uint(const gchar *s, guint *out) {
    gchar *end = NULL;
    guint64 n = g_ascii_strtoull(s, &end, 10);
    if (!*s || !g_ascii_isdigit(*s) || *end || n > G_MAXUINT)
        return FALSE;
    *out = (guint)n;
    return TRUE;
}

static guint parse_log_level(const gchar *s) {
    static const struct {
        const char *name;
        guint level;
    } names[] = {{"error", MC_LOG_ERROR}, {"warn", MC_LOG_WARN}, {"warning", MC_LOG_WARN},
                 {"info", MC_LOG_INFO},   {"debug", MC_LOG_DEBUG}};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(s, names[i].name) == 0)
            return names[i].level;
    guint n = 0;
    return parse_uint(s, &n) && n >= MC_LOG_ERROR && n <= MC_LOG_DEBUG ? n : MC_LOG_WARN;
}

static const char *const PARAM_NAMES[] = {
    "endpoint",      "tracking-server",     "rsid",          "org-id",          "ecid",         "channel",
    "player-name",   "app-version",         "media-id",      "media-name",      "content-type", "pipeline-filter",
    "ping-interval", "content-start-delay", "playhead-interval", "flush-timeout", "media-length", "media-type",
    "log-level",     "strict",              "quiet",         "warn-interval", "backend",      "config-id",
    "fpid",
};

/* Edit distance, for "did you mean". */
static guint distance(const gchar *a, const gchar *b) {
    gsize n = strlen(b);
    guint *row = g_new(guint, n + 1);
    for (gsize j = 0; j <= n; j++)
        row[j] = (guint)j;
    for (gsize i = 1; a[i - 1]; i++) {
        guint diag = row[0];
        row[0] = (guint)i;
        for (gsize j = 1; j <= n; j++) {
            guint up = row[j];
            guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    guint d = row[n];
    g_free(row);
    return d;
}

/* The known parameter a misspelled one most likely meant, or NULL. */
static const gchar *closest_param(const gchar *name) {
    const gchar *best = NULL;
    guint best_d = 3; /* at most two edits away */
    for (gsize i = 0; i < G_N_ELEMENTS(PARAM_NAMES); i++) {
        guint d = distance(name, PARAM_NAMES[i]);
        if (d < best_d) {
            best_d = d;
            best = PARAM_NAMES[i];
        }
    }
    return best;
}

static gboolean set_param(GstMcTracer *self, const gchar *name, const gchar *value) {
    static const struct {
        const char *name;
        gsize offset;
    } strings[] = {
        {"endpoint", G_STRUCT_OFFSET(GstMcTracer, endpoint)},
        {"tracking-server", G_STRUCT_OFFSET(GstMcTracer, tracking_server)},
        {"rsid", G_STRUCT_OFFSET(GstMcTracer, rsid)},
        {"org-id", G_STRUCT_OFFSET(GstMcTracer, org_id)},
        {"ecid", G_STRUCT_OFFSET(GstMcTracer, ecid)},
        {"channel", G_STRUCT_OFFSET(GstMcTracer, channel)},
        {"player-name", G_STRUCT_OFFSET(GstMcTracer, player_name)},
        {"app-version", G_STRUCT_OFFSET(GstMcTracer, app_version)},
        {"media-id", G_STRUCT_OFFSET(GstMcTracer, media_id)},
        {"media-name", G_STRUCT_OFFSET(GstMcTracer, media_name)},
        {"content-type", G_STRUCT_OFFSET(GstMcTracer, content_type)},
        {"pipeline-filter", G_STRUCT_OFFSET(GstMcTracer, pipeline_filter)},
        {"backend", G_STRUCT_OFFSET(GstMcTracer, backend)},
        {"config-id", G_STRUCT_OFFSET(GstMcTracer, config_id)},
        {"fpid", G_STRUCT_OFFSET(GstMcTracer, fpid)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++) {
        if (strcmp(name, strings[i].name) == 0) {
            gchar **slot = G_STRUCT_MEMBER_P(self, strings[i].offset);
            g_free(*slot);
            *slot = g_strdup(value);
            return TRUE;
        }
    }
    static const struct {
        const char *name;
        gsize offset;
    } uints[] = {
        {"ping-interval", G_STRUCT_OFFSET(GstMcTracer, ping_interval_ms)},
        {"content-start-delay", G_STRUCT_OFFSET(GstMcTracer, content_start_delay_ms)},
        {"playhead-interval", G_STRUCT_OFFSET(GstMcTracer, playhead_interval_ms)},
        {"flush-timeout", G_STRUCT_OFFSET(GstMcTracer, flush_timeout_ms)},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(uints); i++) {
        if (strcmp(name, uints[i].name) == 0) {
            if (parse_uint(value, G_STRUCT_MEMBER_P(self, uints[i].offset)))
                return TRUE;
            complain(self, "%s: expected milliseconds, got \"%s\"", name, value);
            return FALSE;
        }
    }
    if (strcmp(name, "media-length") == 0) {
        gchar *end = NULL;
        double d = g_ascii_strtod(value, &end);
        if (*value && !*end && d >= 0 && d < G_MAXDOUBLE) {
            self->media_length = d;
            return TRUE;
        }
        complain(self, "media-length: expected seconds, got \"%s\"", value);
        return FALSE;
    }
    if (strcmp(name, "media-type") == 0) {
        if (g_ascii_strcasecmp(value, "video") == 0 || g_ascii_strcasecmp(value, "audio") == 0) {
            self->media_type = g_ascii_strcasecmp(value, "audio") == 0 ? MC_MEDIA_TYPE_AUDIO : MC_MEDIA_TYPE_VIDEO;
            return TRUE;
        }
        complain(self, "media-type: expected video or audio, got \"%s\"", value);
        return FALSE;
    }
    if (strcmp(name, "log-level") == 0) {
        self->log_level = parse_log_level(value);
        return TRUE;
    }
    if (g_str_has_prefix(name, "meta.") && name[5]) {
        mc_metadata m = {g_strdup(name + 5), g_strdup(value)};
        g_array_append_val(self->metadata, m);
        return TRUE;
    }
    if (strcmp(name, "strict") == 0 || strcmp(name, "quiet") == 0) {
        gboolean *slot = strcmp(name, "strict") == 0 ? &self->strict : &self->quiet;
        if (g_ascii_strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0 || g_ascii_strcasecmp(value, "yes") == 0)
            *slot = TRUE;
        else if (g_ascii_strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
                 g_ascii_strcasecmp(value, "no") == 0)
            *slot = FALSE;
        else {
            complain(self, "%s: expected true or false, got \"%s\"", name, value);
            return FALSE;
        }
        return TRUE;
    }
    if (strcmp(name, "warn-interval") == 0) {
        if (parse_uint(value, &self->warn_interval_ms))
            return TRUE;
        complain(self, "warn-interval: expected milliseconds, got \"%s\"", value);
        return FALSE;
    }
    const gchar *guess = closest_param(name);
    gchar *why = guess ? g_strdup_printf("unknown parameter \"%s\" (did you mean \"%s\"?)", name, guess)
                       : g_strdup_printf("unknown parameter \"%s\"", name);
    if (self->strict)
        disable(self, why);
    else
        complain(self, "%s: ignored", why);
    g_free(why);
    return TRUE;
}

/* Parses "key=value,key=value". Values are strings as written: no type guessing (an ECID is
 * 38 digits, an org id holds an '@'); a value with a comma goes in double quotes, inside which
 * \" and \\ escape. */
static gboolean parse_params_text(GstMcTracer *self, const gchar *text) {
    const gchar *p = text;
    gboolean ok = TRUE;
    while (ok) {
        while (*p == ',' || g_ascii_isspace(*p))
            p++;
        if (!*p)
            break;
        const gchar *key = p;
        while (*p && *p != '=' && *p != ',')
            p++;
        if (*p != '=') {
            complain(self, "expected key=value at \"%s\"", key);
            return FALSE;
        }
        gchar *name = g_strstrip(g_strndup(key, (gsize)(p - key)));
        GString *value = g_string_new(NULL);
        p++;
        while (*p == ' ')
            p++;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                g_string_append_c(value, *p);
            }
            if (*p == '"')
                p++;
            else {
                complain(self, "%s: unterminated quote", name);
                ok = FALSE;
            }
        } else {
            const gchar *start = p;
            while (*p && *p != ',')
                p++;
            g_string_append_len(value, start, p - start);
            while (value->len && g_ascii_isspace(value->str[value->len - 1]))
                g_string_truncate(value, value->len - 1);
        }
        if (ok)
            ok = set_param(self, name, value->str);
        g_free(name);
        g_string_free(value, TRUE);
    }
    return ok;
}

/* The parameters without which the library cannot report, with what they become. */
static const struct {
    const char *name;
    gsize offset;
    const char *what;
} REQUIRED[] = {
    {"endpoint", G_STRUCT_OFFSET(GstMcTracer, endpoint), "the MC API base URL, https://<namespace>.hb-api.omtrdc.net"},
    {"tracking-server", G_STRUCT_OFFSET(GstMcTracer, tracking_server), "analytics.trackingServer"},
    {"rsid", G_STRUCT_OFFSET(GstMcTracer, rsid), "analytics.reportSuite"},
    {"org-id", G_STRUCT_OFFSET(GstMcTracer, org_id), "visitor.marketingCloudOrgId"},
};

static void parse_params(GstMcTracer *self) {
    gchar *params = NULL;
    g_object_get(self, "params", &params, NULL);
    self->enabled = TRUE;
    if (!params) {
        disable(self, "no parameters: use mediacollection(endpoint=...,tracking-server=...,rsid=...,org-id=...)");
        return;
    }
    if (!parse_params_text(self, params)) {
        gchar *why = g_strdup_printf("bad parameters \"%s\"", params);
        disable(self, why);
        g_free(why);
    }
    gboolean edge = self->backend && strcmp(self->backend, "edge") == 0;
    if (self->enabled && self->backend && !edge && strcmp(self->backend, "mc") != 0) {
        gchar *why = g_strdup_printf("backend=%s: use backend=mc (the MC API, default) or backend=edge (Media Edge)",
                                     self->backend);
        disable(self, why);
        g_free(why);
    }
    if (self->enabled && edge && (!self->config_id || !*self->config_id))
        disable(self, "the config-id parameter (the Media Edge datastream id) is missing; backend=edge needs it");
    /* Media Edge needs none of the MC API's identifiers (the endpoint defaults to Adobe's edge). */
    for (gsize i = 0; i < G_N_ELEMENTS(REQUIRED) && self->enabled && !edge; i++) {
        const gchar *v = G_STRUCT_MEMBER(const gchar *, self, REQUIRED[i].offset);
        if (!v || !*v) {
            gchar *why = g_strdup_printf("the %s parameter (%s) is missing", REQUIRED[i].name, REQUIRED[i].what);
            disable(self, why);
            g_free(why);
        }
    }
    g_free(params);
}

/* ---- client and pipelines ---- */

/* Called with the lock held. */
static gboolean ensure_client(GstMcTracer *self) {
    if (self->client || self->client_failed)
        return self->client != 0;
    mc_client_config c;
    mc_client_config_init(&c);
    c.endpoint = self->endpoint && *self->endpoint ? self->endpoint : NULL;
    c.tracking_server = self->tracking_server;
    c.report_suite = self->rsid;
    c.org_id = self->org_id;
    if (self->backend && strcmp(self->backend, "edge") == 0) {
        c.backend = MC_BACKEND_MEDIA_EDGE;
        c.edge_config_id = self->config_id;
        c.fpid = self->fpid;
    }
    c.ecid = self->ecid;
    c.channel = self->channel;
    c.player_name = self->player_name ? self->player_name : "gstreamer";
    c.app_version = self->app_version;
    c.log_callback = on_log;
    c.log_level = self->log_level;
    c.event_callback = on_event;
    c.event_userdata = self;
    if (self->ping_interval_ms)
        c.ping_interval_ms = self->ping_interval_ms;
    if (self->content_start_delay_ms)
        c.content_start_delay_ms = self->content_start_delay_ms;
    mc_status s = mc_client_new(&c, &self->client);
    if (s != MC_OK) {
        /* mc_last_error() names the field and the value, e.g. an endpoint without a scheme. */
        gchar *why = g_strdup_printf("cannot create the client: %s", mc_last_error());
        disable(self, why);
        g_free(why);
        self->client = 0;
        self->client_failed = TRUE;
        return FALSE;
    }
    GST_INFO("media-collection %s reporting to %s", mc_version(), self->endpoint);
    return TRUE;
}

static gboolean wanted(GstMcTracer *self, GstElement *element) {
    if (!GST_IS_PIPELINE(element) || GST_OBJECT_PARENT(element) != NULL)
        return FALSE;
    if (!self->pipeline_filter)
        return TRUE;
    gchar *name = gst_object_get_name(GST_OBJECT(element));
    gboolean match = g_pattern_match_simple(self->pipeline_filter, name);
    g_free(name);
    return match;
}

static void track(GstMcTracer *self, GstElement *pipeline) {
    g_mutex_lock(&self->lock);
    if (g_hash_table_contains(self->pipelines, pipeline) || !ensure_client(self)) {
        g_mutex_unlock(&self->lock);
        return;
    }
    mc_tracker_t tracker = 0;
    mc_status s = mc_tracker_new(self->client, NULL, &tracker);
    if (s != MC_OK) {
        GST_ERROR_OBJECT(pipeline, "mc_tracker_new: %s", mc_status_str(s));
        g_mutex_unlock(&self->lock);
        return;
    }
    mc_gst_options o;
    mc_gst_options_init(&o);
    o.media_id = self->media_id;
    o.media_name = self->media_name;
    o.content_type = self->content_type;
    o.length = self->media_length;
    o.media_type = self->media_type;
    o.metadata = (const mc_metadata *)(void *)self->metadata->data;
    o.n_metadata = self->metadata->len;
    o.playhead_interval_ms = self->playhead_interval_ms;
    o.preroll_wait_ms = 0; /* a tracer reports no ads: nothing to wait for */
    tracked_pipeline *tp = g_new0(tracked_pipeline, 1);
    tp->tracker = tracker;
    tp->gt = mc_gst_tracker_new(tracker, pipeline, &o);
    g_hash_table_insert(self->pipelines, pipeline, tp);
    g_mutex_unlock(&self->lock);
    GST_INFO_OBJECT(pipeline, "tracking");
}

/* Ends the session if open, frees the tracker, and waits (bounded) until the client delivered
 * what it holds: the process may exit right after the pipeline is torn down. */
static void release(GstMcTracer *self, tracked_pipeline *tp) {
    mc_gst_tracker_free(tp->gt);
    mc_tracker_free(tp->tracker);
    g_free(tp);
    mc_status s = mc_client_flush(self->client, self->flush_timeout_ms);
    if (s != MC_OK)
        GST_WARNING("mc_client_flush: %s", mc_status_str(s));
}

static void untrack(GstMcTracer *self, GstElement *pipeline) {
    gpointer tp = NULL;
    g_mutex_lock(&self->lock);
    if (g_hash_table_steal_extended(self->pipelines, pipeline, NULL, &tp)) {
        g_mutex_unlock(&self->lock);
        GST_INFO_OBJECT(pipeline, "no longer tracked");
        release(self, tp); /* without the lock: it joins the timer thread and flushes */
        return;
    }
    g_mutex_unlock(&self->lock);
}

/* ---- hooks ---- */

/* strict=true: a pipeline that would play unreported gets an ERROR on its bus instead. */
static void fail_pipeline(GstMcTracer *self, GstElement *pipeline) {
    GError *err = g_error_new(GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "mediacollection tracer: %s", self->problem);
    GstMessage *msg = gst_message_new_error(GST_OBJECT(pipeline), err,
                                            "the tracer has strict=true: nothing would be reported");
    g_error_free(err);
    gst_element_post_message(pipeline, msg);
}

static void do_change_state_pre(GObject *obj, GstClockTime ts, GstElement *element, GstStateChange transition) {
    GstMcTracer *self = GST_MC_TRACER(obj);
    (void)ts;
    if (transition != GST_STATE_CHANGE_NULL_TO_READY || !wanted(self, element))
        return;
    if (self->problem) {
        if (self->strict)
            fail_pipeline(self, element);
        return;
    }
    track(self, element);
}

static void do_change_state_post(GObject *obj, GstClockTime ts, GstElement *element, GstStateChange transition,
                                 GstStateChangeReturn result) {
    GstMcTracer *self = GST_MC_TRACER(obj);
    (void)ts;
    if (GST_OBJECT_PARENT(element) != NULL || !GST_IS_PIPELINE(element))
        return;
    if (transition == GST_STATE_CHANGE_READY_TO_NULL ||
        (transition == GST_STATE_CHANGE_NULL_TO_READY && result == GST_STATE_CHANGE_FAILURE))
        untrack(self, element);
}

static void do_post_message_pre(GObject *obj, GstClockTime ts, GstElement *element, GstMessage *message) {
    GstMcTracer *self = GST_MC_TRACER(obj);
    (void)ts;
    /* Only what a top-level pipeline posts, i.e. what reaches its bus: children's messages come
     * through it once more, aggregated (EOS, ASYNC_DONE) as applications see them. */
    if (GST_OBJECT_PARENT(element) != NULL)
        return;
    g_mutex_lock(&self->lock);
    tracked_pipeline *tp = g_hash_table_lookup(self->pipelines, element);
    if (tp)
        mc_gst_handle_message(tp->gt, message);
    g_mutex_unlock(&self->lock);
}

/* ---- GObject ---- */

static void gst_mc_tracer_constructed(GObject *object) {
    GstMcTracer *self = GST_MC_TRACER(object);
    G_OBJECT_CLASS(gst_mc_tracer_parent_class)->constructed(object);
    parse_params(self);
    if (self->enabled) {
        /* At once, so that a refused configuration is said before anything plays. */
        g_mutex_lock(&self->lock);
        ensure_client(self);
        g_mutex_unlock(&self->lock);
    }
    if (!self->enabled && !self->strict)
        return;
    GstTracer *tracer = GST_TRACER(self);
    gst_tracing_register_hook(tracer, "element-change-state-pre", G_CALLBACK(do_change_state_pre));
    gst_tracing_register_hook(tracer, "element-change-state-post", G_CALLBACK(do_change_state_post));
    gst_tracing_register_hook(tracer, "element-post-message-pre", G_CALLBACK(do_post_message_pre));
}

static void clear_metadata(gpointer data) {
    mc_metadata *m = data;
    g_free((gchar *)m->key);
    g_free((gchar *)m->value);
}

/* gst_deinit() gets here (gst-launch calls it): end what is left and deliver it, bounded. */
static void gst_mc_tracer_finalize(GObject *object) {
    GstMcTracer *self = GST_MC_TRACER(object);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, self->pipelines);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        tracked_pipeline *tp = value;
        mc_gst_tracker_free(tp->gt);
        mc_tracker_free(tp->tracker);
        g_free(tp);
    }
    g_hash_table_destroy(self->pipelines);
    if (self->client) {
        mc_status s = mc_client_free(self->client, self->flush_timeout_ms);
        if (s != MC_OK)
            GST_WARNING("mc_client_free: %s", mc_status_str(s));
    }
    g_mutex_clear(&self->lock);
    g_array_unref(self->metadata);
    gchar **strings[] = {&self->endpoint,    &self->tracking_server, &self->rsid,        &self->org_id,
                         &self->ecid,        &self->channel,         &self->player_name, &self->app_version,
                         &self->media_id,    &self->media_name,      &self->content_type, &self->pipeline_filter,
                         &self->problem,     &self->backend,         &self->config_id,   &self->fpid};
    for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
        g_clear_pointer(strings[i], g_free);
    G_OBJECT_CLASS(gst_mc_tracer_parent_class)->finalize(object);
}

static void gst_mc_tracer_class_init(GstMcTracerClass *klass) {
    GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
    gobject_class->constructed = gst_mc_tracer_constructed;
    gobject_class->finalize = gst_mc_tracer_finalize;
    GST_DEBUG_CATEGORY_INIT(gst_mc_tracer_debug, "mediacollection", 0, "media-collection reporting");
}

static void gst_mc_tracer_init(GstMcTracer *self) {
    g_mutex_init(&self->lock);
    self->pipelines = g_hash_table_new(g_direct_hash, g_direct_equal);
    self->metadata = g_array_new(FALSE, TRUE, sizeof(mc_metadata));
    g_array_set_clear_func(self->metadata, clear_metadata);
    self->media_length = -1.0;
    self->media_type = MC_MEDIA_TYPE_VIDEO;
    self->log_level = MC_LOG_WARN;
    self->flush_timeout_ms = DEFAULT_FLUSH_TIMEOUT_MS;
    self->warn_interval_ms = DEFAULT_WARN_INTERVAL_MS;
}
