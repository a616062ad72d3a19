#!/usr/bin/env bash
# The benchmarks of docs/performance.md: prints every figure next to its reference, measured in
# the same run, and the verdict against its goal. `--quick` (CI, about 2 minutes) runs each
# section briefly so the benches keep building and running; without it the full run takes about
# 40 minutes (a 30-minute RSS soak; MC_BENCH_SOAK_SECS shortens it). MC_BENCH_ONLY=api,latency,
# throughput,idle,footprint,store runs some sections. Needs cc, strace and strip
# (scripts/install-deps.sh); under CI=true a missing one fails the run. Missed goals do not fail
# the run; a figure that could not be measured does. The table is also written to
# target/bench/report.md; criterion's output goes to target/criterion.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
criterion=(--warm-up-time 1 --measurement-time 3)
if [ "${1:-}" = "--quick" ]; then
  quick=(--quick)
  criterion=(--warm-up-time 0.2 --measurement-time 0.5 --sample-size 10)
fi

cargo bench --bench core -- "${criterion[@]}"
cargo bench --bench report -- "${quick[@]}"
