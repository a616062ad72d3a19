#!/usr/bin/env bash
# Fuzzing stage (spec/reliability.md §9, row Z1): installs cargo-fuzz from crates.io when it is
# missing, then runs each target of fuzz/ for FUZZ_SECONDS (default 30) with explicit libFuzzer
# limits. A crash input is copied into fuzz/regressions/<target>/, which
# `cargo test --test fuzz_regressions` replays, and the stage fails so it gets fixed.
#
# Toolchain: cargo-fuzz passes -Z flags to rustc (sanitizer-coverage). With a nightly toolchain
# installed it is used; otherwise the stable toolchain runs with RUSTC_BOOTSTRAP=1, which lets
# stable accept those flags (verified with rustc 1.95). The targets run without ASan (-s none):
# the code under test is safe Rust, and the unsafe C boundary is covered by the C harness under
# ASan/valgrind (scripts/ci-sanitizers.sh); -s none also avoids rebuilding std for ASan.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
TARGETS=(location retry_after store_records c_api_sequence)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "::: fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.2
fi
cargo fuzz --version >/dev/null 2>&1 || { echo "ci-fuzz: cargo-fuzz is missing after the install" >&2; exit 1; }

toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
  echo "::: fuzz: using the nightly toolchain"
else
  export RUSTC_BOOTSTRAP=1
  echo "::: fuzz: no nightly toolchain: stable with RUSTC_BOOTSTRAP=1"
fi

cd fuzz
start=$SECONDS
cargo "${toolchain[@]}" fuzz build -s none
echo "::: fuzz: build took $((SECONDS - start)) s"

failed=()
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t" "regressions/$t"
  start=$SECONDS
  # Seeds and past crashes start the corpus; new finds stay in corpus/ (git-ignored).
  if cargo "${toolchain[@]}" fuzz run -s none "$t" "corpus/$t" "regressions/$t" -- \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>"artifacts/$t.log"; then
    echo "::: fuzz: $t: $(grep -E '^Done [0-9]+ runs' "artifacts/$t.log" | tail -1) ($((SECONDS - start)) s)"
  else
    failed+=("$t")
    tail -40 "artifacts/$t.log"
    for f in "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-*; do
      [[ -e $f ]] || continue
      cp "$f" "regressions/$t/"
      echo "::: fuzz: $t: kept $(basename "$f") in fuzz/regressions/$t/ (commit it with the fix)"
    done
  fi
done
if ((${#failed[@]})); then
  echo "::: fuzz: FAILED: ${failed[*]}"
  exit 1
fi
