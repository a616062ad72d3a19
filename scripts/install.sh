#!/usr/bin/env bash
# `make install`: installs what a C or C++ program needs to build against media-collection.
#
#   scripts/install.sh PREFIX [DESTDIR]        (after `cargo build --release`)
#
#   $DESTDIR$PREFIX/include/media_collection.h, media_collection.hpp
#   $DESTDIR$PREFIX/lib/libmedia_collection.a
#   $DESTDIR$PREFIX/lib/libmedia_collection.so.X.Y.Z   the shared library, SONAME from build.rs:
#   $DESTDIR$PREFIX/lib/libmedia_collection.so.0.Y     -> .so.X.Y.Z  (.so.X from 1.0 on)
#   $DESTDIR$PREFIX/lib/libmedia_collection.so         -> the SONAME link (for -lmedia_collection)
#   $DESTDIR$PREFIX/lib/pkgconfig/media_collection.pc         the shared library, from media_collection.pc.in
#   $DESTDIR$PREFIX/lib/pkgconfig/media_collection-static.pc  the static archive, from media_collection-static.pc.in
#   $DESTDIR$PREFIX/lib/cmake/media_collection/                the CMake config package (cmake/*.in):
#                           find_package(media_collection CONFIG), media_collection::shared / ::static
#   $DESTDIR$PREFIX/lib/gstreamer-1.0/libgstmediacollection.so  the GStreamer tracer plugin, when
#                           pkg-config finds GStreamer's development files (else skipped, said so)
#   $DESTDIR$PREFIX/bin/mc-collector                           the validating collector
#
# Libraries, plugin and collector are installed without debug info (strip --strip-debug); the
# build keeps it (Cargo.toml's release profile) for profiling.
# DESTDIR stages the files (packaging): the .pc and CMake files name PREFIX, never DESTDIR.
# Environment:
#   LIBDIR        library directory, relative to PREFIX or absolute (default lib; Debian
#                 multiarch: lib/x86_64-linux-gnu)
#   INCLUDEDIR    header directory, relative to PREFIX or absolute (default include)
#   LIBDIR_SRC    where the built libraries are (default target/release; the tests pass
#                 target/<profile>/deps)
#   BINDIR_SRC    where the built mc-collector is (default target/release)
#   BINDIR        program directory, relative to PREFIX or absolute (default bin)
#   GSTREAMER     auto (default: the plugin when GStreamer's development files are found),
#                 yes (fail without them) or no
#   STRIP         the strip program (default strip)
#   LIBS_PRIVATE  native libraries of the static library (default: the list pinned by
#                 tests/static_libs.rs; a `--features vendored` build prints its own with
#                 `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "install: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: scripts/install.sh PREFIX [DESTDIR]"
case "$1" in
  /*) ;;
  *) die "PREFIX must be an absolute path (pkg-config needs one), got '$1'" ;;
esac
prefix=${1%/}
[ -n "$prefix" ] || prefix=/
destdir=${2:-}

# Relative to PREFIX in the .pc file (${prefix}/lib), so a relocated prefix keeps working.
pc_dir() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "\${prefix}/$1" ;;
  esac
}
abs_dir() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "${prefix%/}/$1" ;;
  esac
}
libdir_rel=${LIBDIR:-lib}
includedir_rel=${INCLUDEDIR:-include}
libdir=$(abs_dir "$libdir_rel")
includedir=$(abs_dir "$includedir_rel")
src=${LIBDIR_SRC:-target/release}
bin_src=${BINDIR_SRC:-target/release}
bindir=$(abs_dir "${BINDIR:-bin}")
gstreamer=${GSTREAMER:-auto}
strip_prog=${STRIP:-strip}
case "$gstreamer" in auto | yes | no) ;; *) die "GSTREAMER must be auto, yes or no, got '$gstreamer'" ;; esac
command -v "$strip_prog" >/dev/null || die "$strip_prog is missing (binutils): it removes the debug info from what is installed"
libs_private=${LIBS_PRIVATE:--lcurl -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc}

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
[ -n "$version" ] || die "no [package] version in Cargo.toml"
major=${version%%.*}
rest=${version#*.}
minor=${rest%%.*}
# As build.rs (and cargo-c): 0.x minors may break the ABI, so 0.x carries the minor.
if [ "$major" = 0 ]; then
  soname="libmedia_collection.so.0.$minor"
else
  soname="libmedia_collection.so.$major"
fi
real="libmedia_collection.so.${version%%[-+]*}"

static_src=$src/libmedia_collection.a
shared_src=$src/libmedia_collection.so
for f in "$static_src" "$shared_src"; do
  [ -f "$f" ] || die "$f is missing: run \`cargo build --release\` first (or set LIBDIR_SRC)"
done
collector_src=$bin_src/mc-collector
[ -x "$collector_src" ] || die "$collector_src is missing: run \`cargo build --release --workspace\` first (or set BINDIR_SRC)"
for f in include/media_collection.h include/media_collection.hpp media_collection.pc.in media_collection-static.pc.in \
         cmake/media_collection-config.cmake.in cmake/media_collection-config-version.cmake.in; do
  [ -f "$f" ] || die "$f is missing"
done
# The SONAME is set by build.rs: a mismatch means a stale build or a version change in between.
if command -v readelf >/dev/null; then
  built=$(readelf -d "$shared_src" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
  [ "$built" = "$soname" ] || die "$shared_src has SONAME '${built:-none}', expected $soname: rebuild it"
fi

dest_lib=$destdir$libdir
dest_inc=$destdir$includedir
dest_pc=$dest_lib/pkgconfig
dest_cmake=$dest_lib/cmake/media_collection
dest_bin=$destdir$bindir
install -d "$dest_lib" "$dest_inc" "$dest_pc" "$dest_cmake" "$dest_bin"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Installs $1 as $2 with mode $3, without debug info.
install_stripped() {
  "$strip_prog" --strip-debug -o "$tmp/stripped" "$1" || die "$strip_prog --strip-debug $1 failed"
  install -m "$3" "$tmp/stripped" "$2"
  rm -f "$tmp/stripped"
}

install -m 0644 include/media_collection.h include/media_collection.hpp "$dest_inc/"
install_stripped "$static_src" "$dest_lib/libmedia_collection.a" 0644
install_stripped "$shared_src" "$dest_lib/$real" 0755
# Relative links, so the staged tree can move (DESTDIR) and the prefix can be relocated.
if [ "$soname" != "$real" ]; then
  ln -sfn "$real" "$dest_lib/$soname"
fi
ln -sfn "$soname" "$dest_lib/libmedia_collection.so"
install_stripped "$collector_src" "$dest_bin/mc-collector" 0755

# '|' cannot appear in these values unescaped in sed: refuse it instead of writing a broken file.
for v in "$prefix" "$libdir_rel" "$includedir_rel" "$libs_private"; do
  case "$v" in *'|'* | *'&'* | *'\'*) die "unsupported character in '$v'" ;; esac
done
# The CMake package finds the libraries and headers relative to itself.
rel_libdir=$(realpath -m --relative-to="$libdir/cmake/media_collection" "$libdir")
rel_includedir=$(realpath -m --relative-to="$libdir/cmake/media_collection" "$includedir")
# -lcurl -lm ... -> curl;m;... (CMake link items); -lc is implied.
cmake_libs=$(printf '%s\n' $libs_private | sed -n 's/^-l//p' | grep -vx c | paste -sd ';' -)
subst() {
  sed -e "s|@PREFIX@|$prefix|g" \
      -e "s|@LIBDIR@|$(pc_dir "$libdir_rel")|g" \
      -e "s|@INCLUDEDIR@|$(pc_dir "$includedir_rel")|g" \
      -e "s|@VERSION@|$version|g" \
      -e "s|@MAJOR@|$major|g" \
      -e "s|@MINOR@|$minor|g" \
      -e "s|@LIBS_PRIVATE@|$libs_private|g" \
      -e "s|@CMAKE_LIBS_PRIVATE@|$cmake_libs|g" \
      -e "s|@REL_LIBDIR@|$rel_libdir|g" \
      -e "s|@REL_INCLUDEDIR@|$rel_includedir|g" \
      -e "s|@REAL@|$real|g" \
      -e "s|@SONAME@|$soname|g" \
      "$1" >"$tmp/out"
  install -m 0644 "$tmp/out" "$2"
}
subst media_collection.pc.in "$dest_pc/media_collection.pc"
subst media_collection-static.pc.in "$dest_pc/media_collection-static.pc"
subst cmake/media_collection-config.cmake.in "$dest_cmake/media_collection-config.cmake"
subst cmake/media_collection-config-version.cmake.in "$dest_cmake/media_collection-config-version.cmake"

installed=("$dest_inc/media_collection.h" "$dest_inc/media_collection.hpp" "$dest_lib/libmedia_collection.a"
           "$dest_lib/$real" "$dest_lib/$soname" "$dest_lib/libmedia_collection.so"
           "$dest_pc/media_collection.pc" "$dest_pc/media_collection-static.pc"
           "$dest_cmake/media_collection-config.cmake" "$dest_cmake/media_collection-config-version.cmake"
           "$dest_bin/mc-collector")

# The GStreamer tracer plugin, built from examples/gstreamer against the static archive.
gst_note=""
if [ "$gstreamer" != no ]; then
  if pkg-config --exists gstreamer-1.0 2>/dev/null; then
    make -s -C examples/gstreamer plugin LIB="$(realpath "$static_src")" OUT="$tmp/gst" >&2 \
      || die "building the GStreamer plugin failed (GSTREAMER=no skips it)"
    install -d "$dest_lib/gstreamer-1.0"
    install_stripped "$tmp/gst/libgstmediacollection.so" "$dest_lib/gstreamer-1.0/libgstmediacollection.so" 0755
    installed+=("$dest_lib/gstreamer-1.0/libgstmediacollection.so")
  elif [ "$gstreamer" = yes ]; then
    die "GSTREAMER=yes but pkg-config finds no gstreamer-1.0 (apt-get install libgstreamer1.0-dev)"
  else
    gst_note="  (GStreamer plugin skipped: pkg-config finds no gstreamer-1.0; install libgstreamer1.0-dev for it)"
  fi
fi

echo "install: media-collection $version into $destdir$prefix"
for f in "${installed[@]}"; do
  if [ -L "$f" ]; then echo "  $f -> $(readlink "$f")"; else echo "  $f"; fi
done
[ -z "$gst_note" ] || echo "$gst_note"
