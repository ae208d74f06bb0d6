#!/usr/bin/env bash
# Builds crane (go-containerregistry) and actionlint, pinned in go.mod here, from the Go module proxy into the per-user
# cache keyed by version, and does nothing when they are there. Prints `CRANE=<path>` and `ACTIONLINT=<path>`.
# `build.sh --missing` prints what it would build and builds nothing.
#
# crane builds the agent image from a root filesystem without a Docker engine (agent/image/build-image.sh);
# actionlint lints .github/workflows in the tests. Both read their version from the main module, which is this wrapper
# here, so it is stamped as their release builds do. TIDEMARK_CACHE overrides the cache location.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../../local/build-step.sh
source "$here/../../../local/build-step.sh"

version_of() { sed -n "s#^\t$1 \(v[0-9.]*\)\$#\1#p" "$here/go.mod"; }
crane_version="$(version_of github.com/google/go-containerregistry)"
actionlint_version="$(version_of github.com/rhysd/actionlint)"
[ -n "$crane_version" ] && [ -n "$actionlint_version" ] ||
  { echo "tidemark: $here/go.mod must require go-containerregistry and actionlint; restore it" >&2; exit 1; }

crane="$tidemark_cache/crane-$crane_version/bin/crane"
actionlint="$tidemark_cache/actionlint-$actionlint_version/bin/actionlint"
if [ "${1:-}" = --missing ]; then
  [ -x "$crane" ] || echo crane
  [ -x "$actionlint" ] || echo actionlint
  exit 0
fi

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath"
build() { # binary version package ldflags
  local out=$1 version=$2 package=$3 ldflags=$4 name
  name="$(basename "$out")"
  [ -x "$out" ] && return 0
  command -v go >/dev/null || { echo "tidemark: Go is required to build $name; install Go 1.25 or newer" >&2; exit 1; }
  mkdir -p "$(dirname "$out")"
  # A temp name per process, renamed only when complete (see local/k8s/build.sh).
  build_step "$name" "$name $version" go_build "$here" "$out.$$.tmp" "-s -w $ldflags" "$package"
  mv "$out.$$.tmp" "$out"
}
build "$crane" "$crane_version" github.com/google/go-containerregistry/cmd/crane \
  "-X github.com/google/go-containerregistry/cmd/crane/cmd.Version=$crane_version"
build "$actionlint" "$actionlint_version" github.com/rhysd/actionlint/cmd/actionlint \
  "-X github.com/rhysd/actionlint.version=$actionlint_version"
echo "CRANE=$crane"
echo "ACTIONLINT=$actionlint"
