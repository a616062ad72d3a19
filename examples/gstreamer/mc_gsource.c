/* A GSource driving a host-driven media-collection client; see mc_gsource.h. */
#include "mc_gsource.h"

#define MAX_WATCHES 64

typedef struct {
    GSource source;
    mc_client_t client;
    int fds[MAX_WATCHES];
    gpointer tags[MAX_WATCHES];
    int n;
} mc_gsource;

static GIOCondition condition_of(uint32_t events) {
    return (GIOCondition)(((events & MC_WATCH_READ) ? G_IO_IN : 0) | ((events & MC_WATCH_WRITE) ? G_IO_OUT : 0));
}

/* The client's watch callback: what to watch on `fd` changed (0: stop watching it). */
static void on_watch(void *userdata, int32_t fd, uint32_t events) {
    mc_gsource *s = userdata;
    int i = 0;
    while (i < s->n && s->fds[i] != fd)
        i++;
    if (events == 0) {
        if (i < s->n) {
            g_source_remove_unix_fd(&s->source, s->tags[i]);
            s->n--;
            s->fds[i] = s->fds[s->n];
            s->tags[i] = s->tags[s->n];
        }
    } else if (i < s->n) {
        g_source_modify_unix_fd(&s->source, s->tags[i], condition_of(events));
    } else if (s->n < MAX_WATCHES) {
        s->fds[s->n] = fd;
        s->tags[s->n] = g_source_add_unix_fd(&s->source, fd, condition_of(events));
        s->n++;
    } else {
        g_warning("mc_gsource: more than %d descriptors to watch", MAX_WATCHES);
    }
}

/* The client's timer callback: drive it in `timeout_ms` (-1: no timer). GLib's source clock is
 * g_get_monotonic_time(). */
static void on_timer(void *userdata, int32_t timeout_ms) {
    mc_gsource *s = userdata;
    g_source_set_ready_time(&s->source, timeout_ms < 0 ? -1 : g_get_monotonic_time() + (gint64)timeout_ms * 1000);
}

static gboolean dispatch(GSource *source, GSourceFunc callback, gpointer data) {
    mc_gsource *s = (mc_gsource *)source;
    (void)callback;
    (void)data;
    if (!s->client)
        return G_SOURCE_CONTINUE;
    /* Copies: a drive may change the watch list. */
    int fds[MAX_WATCHES];
    GIOCondition ready[MAX_WATCHES];
    int n = s->n;
    for (int i = 0; i < n; i++) {
        fds[i] = s->fds[i];
        ready[i] = g_source_query_unix_fd(source, s->tags[i]);
    }
    gboolean drove = FALSE;
    for (int i = 0; i < n; i++) {
        if (!ready[i])
            continue;
        uint32_t revents = ((ready[i] & G_IO_IN) ? MC_WATCH_READ : 0) | ((ready[i] & G_IO_OUT) ? MC_WATCH_WRITE : 0) |
                           ((ready[i] & (G_IO_ERR | G_IO_HUP)) ? MC_WATCH_ERROR : 0);
        mc_client_drive(s->client, fds[i], revents);
        drove = TRUE;
    }
    gint64 at = g_source_get_ready_time(source);
    if (!drove || (at >= 0 && at <= g_source_get_time(source))) {
        /* The timer fired: cleared first, as the drive may set a new one. */
        if (at >= 0 && at <= g_source_get_time(source))
            g_source_set_ready_time(source, -1);
        mc_client_drive(s->client, MC_DRIVE_TIMEOUT, 0);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs funcs = {NULL, NULL, dispatch, NULL, NULL, NULL};

GSource *mc_gsource_new(void) {
    GSource *source = g_source_new(&funcs, sizeof(mc_gsource));
    g_source_set_name(source, "media-collection");
    return source;
}

void mc_gsource_configure(GSource *source, mc_client_config *config) {
    config->threading = MC_THREADING_HOST;
    config->watch_callback = on_watch;
    config->timer_callback = on_timer;
    config->host_userdata = source;
}

void mc_gsource_attach(GSource *source, mc_client_t client, GMainContext *context) {
    ((mc_gsource *)source)->client = client;
    g_source_attach(source, context);
}

void mc_gsource_destroy(GSource *source) {
    g_source_destroy(source);
    g_source_unref(source);
}
