/*
 * libgstmediacollection.so: the mediacollection tracer (see gstmctracer.h). The plugin name
 * must match the file name: GStreamer looks up gst_plugin_mediacollection_get_desc.
 */
#include <gst/gst.h>

#include "gstmctracer.h"
#include "media_collection.h"

#define PACKAGE "media-collection"

static gboolean plugin_init(GstPlugin *plugin) {
    return gst_tracer_register(plugin, "mediacollection", GST_TYPE_MC_TRACER);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, mediacollection,
                  "Reports playback to Adobe's Streaming Media Collection API", plugin_init, MC_VERSION_STRING,
                  "MIT/X11", PACKAGE, "media-collection examples/gstreamer")
