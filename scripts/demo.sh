#!/usr/bin/env bash
# The demo: the example player plays a session (pre-roll, chapter, buffering, mid-roll, pause,
# complete) against the project's own collector, which prints the timeline and its findings.
# Fails when the collector's lint finds errors. With MC_ENDPOINT set, the player reports to that
# endpoint instead (MC_TRACKING_SERVER, MC_RSID, MC_ORG_ID fill in the Adobe identifiers).
# With MC_BACKEND=edge the player speaks Media Edge (to the collector's Edge side, or with
# MC_EDGE_CONFIG_ID and an unset MC_ENDPOINT to Adobe's edge.adobedc.net for a real datastream).
set -euo pipefail
cd "$(dirname "$0")/.."

player=${PLAYER:-target/demo/player}
collector=target/release/mc-collector

if [ -n "${MC_ENDPOINT:-}" ]; then
  echo "demo: reporting to $MC_ENDPOINT"
  exec "$player"
fi
if [ "${MC_BACKEND:-}" = edge ] && [ -n "${MC_EDGE_CONFIG_ID:-}" ]; then
  echo "demo: reporting to Media Edge, datastream $MC_EDGE_CONFIG_ID"
  exec "$player"
fi

mkdir -p target/demo
report=target/demo/report.json
# `run` starts the collector on a free port, runs the player with MC_ENDPOINT set to it, prints
# the timeline and the findings, and exits non-zero when the player failed, no session arrived,
# a request went to an unknown path, or the lint found errors.
set +e
MC_DEMO_LOCAL=1 "$collector" --report "$report" --junit target/demo/report.xml run -- "$player"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "demo: FAILED (mc-collector exited $rc; report: $report)"
  exit 1
fi
echo "demo: OK: the session was delivered and linted with zero errors (report: $report)"
