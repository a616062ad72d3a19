#!/usr/bin/env bash
# The C harness under the memory and thread checkers (spec/ecosystem.md §5.3, reliability.md
# §10.3 L1/S1/A1-A3): every C program under gcc AddressSanitizer + UndefinedBehaviorSanitizer;
# the misuse program, one short session and one host-driven session under valgrind memcheck
# (no errors, no definite leaks); a selection under ThreadSanitizer when a nightly toolchain is
# present.
#
# Under CI=true a missing tool fails the stage; the one exception is ThreadSanitizer without a
# nightly toolchain, which is skipped with a printed line (DESIGN.md, "How tests ... use").
# Prints the seconds each part took. Called by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

part() {
  local name=$1; shift
  local start=$SECONDS
  echo "::: sanitizers: $name"
  "$@"
  echo "::: sanitizers: $name took $((SECONDS - start)) s"
}

need() {
  command -v "$1" >/dev/null && return 0
  echo "ci-sanitizers: $1 is missing (install it: scripts/install-deps.sh)" >&2
  exit 1
}
need cc
need valgrind

# Every test crate that builds and runs C programs (tests/c/README.md), when present.
c_tests=()
for t in c_api c_rules c_selftest cpp downloaded host_driven reliability_delivery reliability_fleet reliability_network reliability_tls \
         reliability_ffi reliability_load; do
  [[ -f tests/$t.rs ]] && c_tests+=(--test "$t")
done

# Build once without running, so the timings below are the runs.
part "build tests" cargo test --no-run "${c_tests[@]}"

# ASan + UBSan: gcc instruments the C programs; the Rust library's allocations go through
# malloc, so ASan and LSan see them too (leaks fail the program).
part "ASan+UBSan, every C program" env MC_C_SANITIZE=address cargo test --no-fail-fast "${c_tests[@]}"

# valgrind memcheck: the misuse program (every export, every bad argument) and one short
# session with a dropped event (a 400).
part "valgrind: misuse" env MC_C_VALGRIND=1 \
  cargo test --test c_api misuse_of_every_export_returns_the_documented_status
part "valgrind: a short session" env MC_C_VALGRIND=1 \
  cargo test --test reliability_delivery f8_a_400_is_dropped_counted_and_never_retried
# ... and a host-driven one: the program's poll() loop drives the client, 503s retried.
part "valgrind: a host-driven session" env MC_C_VALGRIND=1 \
  cargo test --test host_driven host_driven_retries_after_503

# ThreadSanitizer needs the library and std rebuilt by nightly with -Zsanitizer=thread
# (tests/common does it once into target/mc-tsan); without nightly it is the one tool that may
# be skipped.
tsan_ready() {
  rustup run nightly rustc --version >/dev/null 2>&1 || { echo "no nightly toolchain"; return 1; }
  local src
  src="$(rustup run nightly rustc --print sysroot)/lib/rustlib/src/rust/library/std"
  [[ -d $src ]] || rustup component add rust-src --toolchain nightly >/dev/null 2>&1 || true
  [[ -d $src ]] || { echo "no rust-src component for nightly"; return 1; }
}
if why=$(tsan_ready); then
  tsan_tests=(--test c_api --test reliability_ffi)
  part "TSan: threads, fork, misuse, a concurrent free" env MC_C_SANITIZE=thread \
    cargo test "${tsan_tests[@]}"
  part "TSan: bounded free against a black hole" env MC_C_SANITIZE=thread \
    cargo test --test reliability_network s1_
  part "TSan: host-driven, player threads waking the host's loop" env MC_C_SANITIZE=thread \
    cargo test --test host_driven host_driven_concurrent
else
  echo "::: sanitizers: ThreadSanitizer SKIPPED: $why (the one tool allowed to be missing)"
fi
