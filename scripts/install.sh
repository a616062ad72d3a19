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
#   $DESTDIR$PREFIX/lib/pkgconfig/media_collection.pc  from media_collection.pc.in
#
# DESTDIR stages the files (packaging): the .pc file names PREFIX, never DESTDIR.
# Environment:
#   LIBDIR        library directory, relative to PREFIX or absolute (default lib; Debian
#                 multiarch: lib/x86_64-linux-gnu)
#   INCLUDEDIR    header directory, relative to PREFIX or absolute (default include)
#   LIBDIR_SRC    where the built libraries are (default target/release; the tests pass
#                 target/<profile>/deps)
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
for f in include/media_collection.h include/media_collection.hpp media_collection.pc.in; do
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
install -d "$dest_lib" "$dest_inc" "$dest_pc"

install -m 0644 include/media_collection.h include/media_collection.hpp "$dest_inc/"
install -m 0644 "$static_src" "$dest_lib/libmedia_collection.a"
install -m 0755 "$shared_src" "$dest_lib/$real"
# Relative links, so the staged tree can move (DESTDIR) and the prefix can be relocated.
if [ "$soname" != "$real" ]; then
  ln -sfn "$real" "$dest_lib/$soname"
fi
ln -sfn "$soname" "$dest_lib/libmedia_collection.so"

pc_tmp=$(mktemp)
trap 'rm -f "$pc_tmp"' EXIT
# '|' cannot appear in these values unescaped in sed: refuse it instead of writing a broken file.
for v in "$prefix" "$libdir_rel" "$includedir_rel" "$libs_private"; do
  case "$v" in *'|'* | *'&'* | *'\'*) die "unsupported character in '$v'" ;; esac
done
sed -e "s|@PREFIX@|$prefix|g" \
    -e "s|@LIBDIR@|$(pc_dir "$libdir_rel")|g" \
    -e "s|@INCLUDEDIR@|$(pc_dir "$includedir_rel")|g" \
    -e "s|@VERSION@|$version|g" \
    -e "s|@LIBS_PRIVATE@|$libs_private|g" \
    media_collection.pc.in >"$pc_tmp"
install -m 0644 "$pc_tmp" "$dest_pc/media_collection.pc"

echo "install: media-collection $version into $destdir$prefix"
for f in "$dest_inc/media_collection.h" "$dest_inc/media_collection.hpp" "$dest_lib/libmedia_collection.a" \
         "$dest_lib/$real" "$dest_lib/$soname" "$dest_lib/libmedia_collection.so" "$dest_pc/media_collection.pc"; do
  if [ -L "$f" ]; then echo "  $f -> $(readlink "$f")"; else echo "  $f"; fi
done
