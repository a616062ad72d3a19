/* Shared setup for the C harness programs: a client configured from MC_ENDPOINT. */
#ifndef MC_HARNESS_H
#define MC_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "media_collection.h"

static inline void harness_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline long harness_env_long(const char *name, long fallback) {
    const char *v = getenv(name);
    return (v && *v) ? strtol(v, NULL, 10) : fallback;
}

/* A config pointing at MC_ENDPOINT with test identifiers. With MC_BACKEND=edge the client
 * speaks Media Edge (datastream MC_EDGE_CONFIG_ID, default "ds-test-1") instead of the MC API,
 * so one program serves both back ends. */
static inline void harness_config(mc_client_config *c) {
    mc_client_config_init(c);
    c->endpoint = getenv("MC_ENDPOINT");
    const char *backend = getenv("MC_BACKEND");
    if (backend && strcmp(backend, "edge") == 0) {
        const char *ds = getenv("MC_EDGE_CONFIG_ID");
        c->backend = MC_BACKEND_MEDIA_EDGE;
        c->edge_config_id = (ds && *ds) ? ds : "ds-test-1";
    } else {
        c->tracking_server = "test.sc.omtrdc.net";
        c->report_suite = "test-rsid";
        c->org_id = "TESTORG@AdobeOrg";
    }
    c->ecid = "ecid-0001";
    c->channel = "test-channel";
    c->player_name = "c-harness";
}

static inline void harness_media(mc_media_info *m, const char *id) {
    mc_media_info_init(m);
    m->id = id;
    m->name = "Harness Media";
    m->length = 600;
    m->content_type = "vod";
}

#endif
