#!/usr/bin/env bash
# Builds the kustomize command pinned in go.mod from the Go module proxy into a per-user cache keyed by version and
# platform, and does nothing when it is already there:
#   linux/arm64: what the drift scanner's Lambda layer carries as /opt/bin/kustomize (the Lambda runtime has no
#                kubectl or kustomize, and its functions run on arm64);
#   the host:    the same version for the tests, which check that it renders as `kubectl kustomize` does.
# Prints the arm64 binary's path, then the host's (one line when the host is linux/arm64).
#
# Why a wrapper module (go.mod, go.sum, tools.go here) and not `go install …@v5.7.1`: go.sum pins every dependency, so
# the build is reproducible and works offline once the module cache holds them. Why the cache and not the checkout:
# binaries are never committed, and CI's fresh clones on the same machine reuse them. TIDEMARK_CACHE overrides it.
# The version and release date are stamped as kustomize's release build does, so `kustomize version` names v5.7.1 and
# its build date instead of "unknown". `build.sh --missing` prints what it would build and builds nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../../../local/build-step.sh
source "$here/../../../local/build-step.sh"
command -v go >/dev/null || { echo "tidemark: Go is required to build kustomize for the drift scanner's Lambda layer; install Go 1.24 or newer" >&2; exit 1; }

version="$(sed -n 's#^require sigs\.k8s\.io/kustomize/kustomize/v5 \(v[0-9.]*\)$#\1#p' "$here/go.mod")"
[ -n "$version" ] || { echo "tidemark: $here/go.mod has no 'require sigs.k8s.io/kustomize/kustomize/v5 vX.Y.Z' line; restore it" >&2; exit 1; }
# -b2: the build recipe's revision (2: version stamps); bump it when the flags change, so old builds are redone.
cache="$tidemark_cache/kustomize-$version-b2"

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath"
host="$(go env GOHOSTOS)-$(go env GOHOSTARCH)"
platforms=(linux-arm64)
[ "$host" = linux-arm64 ] || platforms+=("$host")

if [ "${1:-}" = --missing ]; then
  for platform in "${platforms[@]}"; do [ -x "$cache/$platform/bin/kustomize" ] || echo "kustomize-$platform"; done
  exit 0
fi

for platform in "${platforms[@]}"; do
  bin="$cache/$platform/bin"
  if [ ! -x "$bin/kustomize" ]; then
    mkdir -p "$bin"
    date="$(cd "$here" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' sigs.k8s.io/kustomize/kustomize/v5)"
    ldflags="-s -w -X sigs.k8s.io/kustomize/api/provenance.version=kustomize/$version"
    ldflags="$ldflags -X sigs.k8s.io/kustomize/api/provenance.buildDate=$date"
    # A temp name per process, renamed only when complete: an interrupted build never leaves a half-written file that
    # looks cached, and two builds at once (bootstrap beside a test run) never write into the same file.
    tmp="$bin/kustomize.$$.tmp"
    GOOS="${platform%-*}" GOARCH="${platform#*-}" build_step "kustomize-$platform" "kustomize $version for $platform" \
      go_build "$here" "$tmp" "$ldflags" sigs.k8s.io/kustomize/kustomize/v5
    mv "$tmp" "$bin/kustomize"
  fi
  echo "$bin/kustomize"
done
