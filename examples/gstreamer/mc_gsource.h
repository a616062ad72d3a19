/*
 * A GSource that runs a host-driven media-collection client (MC_THREADING_HOST) in a GLib main
 * loop: the client's descriptors become the source's unix fds, its timer the source's ready
 * time, and dispatching the source calls mc_client_drive(). No thread of the library's runs.
 *
 *   GSource *src = mc_gsource_new();
 *   mc_gsource_configure(src, &config);          // threading + watch/timer callbacks
 *   mc_client_new(&config, &client);             // the callbacks already reach the source
 *   mc_gsource_attach(src, client, NULL);        // NULL: the default main context
 *   ... g_main_loop_run() ...
 *   mc_client_free(client, 5000);                // drives the client itself until done
 *   mc_gsource_destroy(src);
 *
 * Callbacks of the client (log, event) then run on the main loop's thread.
 */
#ifndef MC_GSOURCE_H
#define MC_GSOURCE_H

#include <glib.h>

#include "media_collection.h"

/* A source not attached yet, for one client. */
GSource *mc_gsource_new(void);

/* Sets `config` to host-driven with the source's watch and timer callbacks. */
void mc_gsource_configure(GSource *source, mc_client_config *config);

/* Attaches the source to `context` (NULL: the default one) to drive `client`. */
void mc_gsource_attach(GSource *source, mc_client_t client, GMainContext *context);

/* Destroys and unrefs the source (after mc_client_free(), which stopped every watch). */
void mc_gsource_destroy(GSource *source);

#endif
