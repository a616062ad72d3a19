/*
 * The mediacollection tracer: reports every top-level pipeline of the process (or those whose
 * name matches pipeline-filter) to the Media Collection API, with no change to the application.
 *
 *   GST_TRACERS="mediacollection(endpoint=https://...,media-id=...)" gst-launch-1.0 ...
 */
#ifndef GST_MC_TRACER_H
#define GST_MC_TRACER_H

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_MC_TRACER (gst_mc_tracer_get_type())
G_DECLARE_FINAL_TYPE(GstMcTracer, gst_mc_tracer, GST, MC_TRACER, GstTracer)

G_END_DECLS

#endif /* GST_MC_TRACER_H */
