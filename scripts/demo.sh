#!/usr/bin/env bash
# The demo: the example player plays a session (pre-roll, chapter, buffering, mid-roll, pause,
# complete) against the project's own collector, which prints the timeline and its findings.
# Fails when the collector's lint finds errors. With MC_ENDPOINT set, the player reports to that
# endpoint instead (MC_TRACKING_SERVER, MC_RSID, MC_ORG_ID fill in the Adobe identifiers).
set -euo pipefail
cd "$(dirname "$0")/.."

player=${PLAYER:-target/demo/player}
collector=target/release/mc-collector

if [ -n "${MC_ENDPOINT:-}" ]; then
  echo "demo: reporting to $MC_ENDPOINT"
  exec "$player"
fi

mkdir -p target/demo
log=target/demo/collector.log
report=target/demo/report.json
"$collector" --listen 127.0.0.1:0 --report "$report" >"$log" 2>&1 &
cpid=$!
trap 'kill -TERM $cpid 2>/dev/null || true' EXIT

# The collector prints its address on its first line.
url=""
for _ in $(seq 1 200); do
  url=$(head -n 1 "$log" 2>/dev/null | sed -n 's/^listening on //p')
  [ -n "$url" ] && break
  sleep 0.05
done
if [ -z "$url" ]; then
  echo "demo: the collector did not start:"; cat "$log"; exit 1
fi
echo "demo: collector on $url"

tail -n +2 -f "$log" &
tpid=$!
set +e
MC_ENDPOINT="$url" MC_DEMO_LOCAL=1 "$player"
prc=$?
kill -TERM "$cpid"
wait "$cpid"
crc=$?
set -e
trap - EXIT
sleep 0.2
kill "$tpid" 2>/dev/null || true
wait "$tpid" 2>/dev/null || true

echo "demo: player exited $prc, collector exited $crc (report: $report)"
if [ "$prc" -ne 0 ] || [ "$crc" -ne 0 ]; then
  echo "demo: FAILED"
  exit 1
fi
echo "demo: OK: the session was delivered and linted with zero errors"
