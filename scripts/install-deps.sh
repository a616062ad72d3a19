#!/usr/bin/env bash
# Installs the system packages a fresh Debian/Ubuntu machine lacks to build and test
# media-collection. Named by the README and by .ci/run. Safe to run again: it installs only
# what is missing.
set -euo pipefail

packages=(
  libcurl4-openssl-dev   # the system libcurl the library links (with OpenSSL for TLS)
  pkg-config             # how build.rs and curl-sys find it
  gcc g++ make           # the C/C++ examples and test harnesses
  openssl                # a local TLS server for the transport tests
  valgrind               # the C harness under memcheck
  strace                 # benchmarks: show the player's calls make no syscalls
  binutils               # strip, for the footprint benchmark
  cmake doxygen          # the CMake example and the API reference
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev   # the GStreamer plugin example
  gstreamer1.0-tools gstreamer1.0-plugins-base           # gst-launch-1.0 and the test sources
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
