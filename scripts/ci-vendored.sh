#!/usr/bin/env bash
# CI, once per run: the `vendored` feature (libcurl built from source and linked into the static
# library; TLS from the system's OpenSSL, libssl-dev), then one C program against it:
# examples/c/player.c, linked with that build's own `--print native-static-libs`, run against
# mc-collector. Fails when the program still needs the system's libcurl.so or the collector's
# lint finds errors. Slow (curl is compiled from source), so not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

target=target/vendored
work=$target/ci
mkdir -p "$work"
start=$SECONDS

# A target directory of its own: the feature changes curl-sys, which would otherwise rebuild
# (and then un-build) the ordinary artefacts under target/release.
echo "vendored: building the static library with --features vendored into $target"
cargo rustc --release --lib -p media-collection --features vendored --crate-type staticlib \
  --target-dir "$target" -- --print native-static-libs 2>&1 | tee "$work/build.log"
libs=$(sed -n 's/.*native-static-libs: //p' "$work/build.log" | tail -n 1)
[ -n "$libs" ] || { echo "vendored: no native-static-libs line in the build output" >&2; exit 1; }
case " $libs " in
  *" -lcurl "*) echo "vendored: the archive still asks for the system libcurl: $libs" >&2; exit 1 ;;
esac
echo "vendored: built in $((SECONDS - start)) s; native libraries: $libs"

cc=${CC:-cc}
# shellcheck disable=SC2086 # $libs is a list of flags
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -Iinclude examples/c/player.c \
  "$target/release/libmedia_collection.a" $libs -o "$work/player"
if readelf -d "$work/player" | grep -q 'libcurl'; then
  echo "vendored: the player links the system libcurl:" >&2
  readelf -d "$work/player" | grep NEEDED >&2
  exit 1
fi

collector=target/release/mc-collector
[ -x "$collector" ] || cargo build --release -p mc-collector
set +e
MC_DEMO_LOCAL=1 "$collector" run -- "$work/player" >"$work/collector.log" 2>&1
rc=$?
set -e
tail -n 3 "$work/collector.log"
echo "vendored: mc-collector run exited $rc; $((SECONDS - start)) s in all"
[ "$rc" -eq 0 ]
