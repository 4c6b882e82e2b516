#!/bin/sh
# build.sh - configure (once) and build Tillit in the source tree.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure -q "$@"
make -j"$(nproc)" >/dev/null
