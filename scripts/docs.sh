#!/usr/bin/env bash
# `make docs`: the HTML API reference of include/media_collection.h and media_collection.hpp
# (Doxygen, settings in Doxyfile), in target/api-docs/html/index.html (MC_DOCS_OUT moves it).
# Any Doxygen warning fails the run: an undocumented function, field or status code is a bug.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v doxygen >/dev/null || {
  echo "docs: doxygen is missing (apt-get install doxygen, or scripts/install-deps.sh)" >&2
  exit 1
}
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
out=${MC_DOCS_OUT:-target/api-docs}
mkdir -p "$out"
# Pages of symbols that no longer exist must not survive from an earlier run.
rm -rf "$out/html"
# Doxyfile's WARN_AS_ERROR = FAIL_ON_WARNINGS: every warning is printed, then the exit status is 1.
if ! MC_VERSION=$version MC_DOCS_OUT=$out doxygen Doxyfile; then
  echo "docs: Doxygen warned (above): document what it names" >&2
  exit 1
fi
echo "docs: $out/html/index.html"
