#!/usr/bin/env bash
# Builds CNCF distribution's `registry` (the OCI registry `tidemark local up` runs for Helm charts) from the Go module
# proxy into a per-user cache keyed by version, for the host only (nothing ships it), and does nothing when it is
# already there. Prints the binary's path.
#
# Why a wrapper module (go.mod, go.sum, tools.go here): go.sum pins every dependency, so the build is reproducible and
# works offline once the module cache holds them; distribution has no `replace` directives. TIDEMARK_CACHE overrides
# the cache location.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null || { echo "tidemark: Go is required to build the local OCI registry; install Go 1.26 or newer" >&2; exit 1; }

version="$(sed -n 's#^require github\.com/distribution/distribution/v3 \(v[0-9.]*\)$#\1#p' "$here/go.mod")"
[ -n "$version" ] || { echo "tidemark: $here/go.mod has no 'require github.com/distribution/distribution/v3 vX.Y.Z' line; restore it" >&2; exit 1; }
bin="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}/registry-$version/$(go env GOHOSTOS)-$(go env GOHOSTARCH)/bin"

if [ ! -x "$bin/registry" ]; then
  echo "tidemark: building registry $version (first run only; cached in $bin)" >&2
  mkdir -p "$bin"
  # A temp name per process, renamed only when complete (see infra/layers/kustomize/build.sh).
  tmp="$bin/registry.$$.tmp"
  started=$SECONDS
  (cd "$here" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath" go build \
    -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$version" \
    -o "$tmp" github.com/distribution/distribution/v3/cmd/registry)
  mv "$tmp" "$bin/registry"
  echo "tidemark: built registry $version in $((SECONDS - started)) s" >&2
fi
echo "$bin/registry"
