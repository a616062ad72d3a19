#!/usr/bin/env bash
# Installs the system packages a fresh Debian/Ubuntu machine lacks, for one purpose:
#   install-deps.sh demo   what `make demo` needs: build the library and the C example player
#   install-deps.sh test   what `make test` needs: the above, plus the C/C++ harnesses, the TLS,
#                          valgrind, install (CMake, Meson) and GStreamer tests
#   install-deps.sh ci     what .ci/run needs: the above, plus the API reference (doxygen) and
#                          the benchmarks (strace, strip, taskset)
# Named by the README and by .ci/run. Safe to run again: it installs only what is missing.
set -euo pipefail

purpose=${1:-test}

demo=(
  libcurl4-openssl-dev   # the system libcurl the library links (with OpenSSL for TLS)
  pkg-config             # how build.rs and curl-sys find it
  gcc make               # the C example player
)
test=(
  "${demo[@]}"
  g++                    # the C++ layer's tests and the external C++ projects
  openssl                # a local TLS server for the transport tests
  valgrind               # the C harness under memcheck
  cmake meson ninja-build   # external CMake and Meson projects built against an installed prefix
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev   # the GStreamer plugin example
  gstreamer1.0-tools gstreamer1.0-plugins-base           # gst-launch-1.0 and the test sources
  libuv1-dev             # the host-driven libuv example player
)
ci=(
  "${test[@]}"
  doxygen                # the API reference (make docs)
  strace                 # benchmarks: show the player's calls make no syscalls
  binutils               # strip, for the footprint benchmark
  util-linux             # taskset, for the one-core benchmark (essential: normally present)
)

case "$purpose" in
  demo) packages=("${demo[@]}") ;;
  test) packages=("${test[@]}") ;;
  ci) packages=("${ci[@]}") ;;
  *) echo "install-deps: unknown purpose '$purpose' (demo, test or ci)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps ($purpose): everything is installed"
  exit 0
fi

echo "install-deps ($purpose): installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
