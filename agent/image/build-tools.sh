#!/usr/bin/env bash
# Copies the binaries of contents.env's IMAGE_TOOLS for an architecture into OUTDIR, each built by its own build
# script (infra/layers/<tool>/build.sh, which builds linux/arm64 and this machine's platform into the per-user cache,
# with versions stamped): the renderer the agent runs is the one the drift scanner's Lambda layer carries.
#   build-tools.sh amd64|arm64 OUTDIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=contents.env
source "$here/contents.env"
[ $# -eq 2 ] || { echo "usage: build-tools.sh amd64|arm64 OUTDIR" >&2; exit 2; }
arch=$1 out=$2
mkdir -p "$out"
for tool in $IMAGE_TOOLS; do
  script="$here/../../infra/layers/$tool/build.sh"
  [ -f "$script" ] || { echo "build-tools.sh: $script is missing; IMAGE_TOOLS names a tool without a build script" >&2; exit 1; }
  binary="$(bash "$script" | grep "/linux-$arch/" || true)"
  [ -x "$binary" ] || { echo "build-tools.sh: $script built no linux-$arch $tool (it prints one path per platform)" >&2; exit 1; }
  cp "$binary" "$out/$tool"
done
