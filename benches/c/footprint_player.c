/* Figure 5: a small player using the API the way the README's quick start does. Linked three
 * ways by benches/report.rs: with no library (-DMC_FOOTPRINT_NO_LIBRARY: every function a C
 * no-op), with the stub library of benches/footprint-stub, and with libmedia_collection.a. The
 * size differences of the stripped executables are what each library adds. */
#include <stdio.h>
#include <string.h>

#include "media_collection.h"

#ifdef MC_FOOTPRINT_NO_LIBRARY
mc_status mc_client_config_init_sized(mc_client_config *c, size_t n) { return (c && n) ? MC_OK : MC_ERR_NULL_ARGUMENT; }
mc_status mc_client_new(const mc_client_config *c, mc_client_t *out) { return (c && out) ? (*out = 1, MC_OK) : 1; }
mc_status mc_tracker_new(mc_client_t c, const mc_tracker_config *t, mc_tracker_t *out) { return (c && !t) ? (*out = 2, MC_OK) : 1; }
mc_status mc_media_info_init_sized(mc_media_info *m, size_t n) { return (m && n) ? MC_OK : 1; }
mc_status mc_ad_break_info_init_sized(mc_ad_break_info *m, size_t n) { return (m && n) ? MC_OK : 1; }
mc_status mc_ad_info_init_sized(mc_ad_info *m, size_t n) { return (m && n) ? MC_OK : 1; }
mc_status mc_track_session_start(mc_tracker_t t, const mc_media_info *m, const mc_metadata *md, size_t n) { return (t && m && (md || !n)) ? MC_OK : 1; }
mc_status mc_track_play(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_track_pause(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_track_ad_break_start(mc_tracker_t t, const mc_ad_break_info *b) { return (t && b) ? MC_OK : 1; }
mc_status mc_track_ad_start(mc_tracker_t t, const mc_ad_info *a, const mc_metadata *md, size_t n) { return (t && a && (md || !n)) ? MC_OK : 1; }
mc_status mc_track_ad_complete(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_track_ad_break_complete(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_update_playhead(mc_tracker_t t, double s) { return (t && s >= 0) ? MC_OK : 1; }
mc_status mc_track_complete(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_tracker_free(mc_tracker_t t) { return t ? MC_OK : 1; }
mc_status mc_client_free(mc_client_t c, uint32_t ms) { return (c && ms) ? MC_OK : 1; }
const char *mc_status_str(uint32_t s) { return s ? "MC_ERR" : "MC_OK"; }
#endif

/* Room for a library newer than the header (its *_init may write a longer struct). */
#define ROOMY(type, name)                                                                          \
    union {                                                                                        \
        type v;                                                                                    \
        unsigned char room[4096];                                                                  \
    } name##_room;                                                                                 \
    memset(&name##_room, 0, sizeof name##_room);                                                   \
    type *name = &name##_room.v

int main(int argc, char **argv) {
    ROOMY(mc_client_config, cfg);
    mc_client_config_init(cfg);
    cfg->endpoint = argc > 1 ? argv[1] : "http://127.0.0.1:9";
    cfg->tracking_server = "example.sc.omtrdc.net";
    cfg->report_suite = "rsid";
    cfg->org_id = "ORG@AdobeOrg";
    mc_client_t client;
    mc_status s = mc_client_new(cfg, &client);
    if (s != MC_OK) {
        fprintf(stderr, "%s\n", mc_status_str(s));
        return 1;
    }
    mc_tracker_t t;
    mc_tracker_new(client, NULL, &t);
    ROOMY(mc_media_info, media);
    mc_media_info_init(media);
    media->id = "movie-42";
    media->name = "A Movie";
    media->length = 5400;
    media->content_type = "vod";
    mc_metadata md[2] = {{"a.media.show", "Show"}, {"custom", "value"}};
    mc_track_session_start(t, media, md, 2);
    mc_track_play(t);
    ROOMY(mc_ad_break_info, brk);
    mc_ad_break_info_init(brk);
    brk->name = "mid";
    brk->position = 1;
    mc_track_ad_break_start(t, brk);
    ROOMY(mc_ad_info, ad);
    mc_ad_info_init(ad);
    ad->id = "ad";
    ad->name = "Ad";
    ad->position = 1;
    ad->length = 15;
    mc_track_ad_start(t, ad, md, 2);
    mc_track_ad_complete(t);
    mc_track_ad_break_complete(t);
    for (int i = 0; i < 3; i++) mc_update_playhead(t, i);
    mc_track_pause(t);
    mc_track_complete(t);
    mc_tracker_free(t);
    mc_client_free(client, 100);
    return 0;
}
