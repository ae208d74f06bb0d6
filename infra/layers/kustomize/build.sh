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
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null || { echo "tidemark: Go is required to build kustomize for the drift scanner's Lambda layer; install Go 1.24 or newer" >&2; exit 1; }

version="$(sed -n 's#^require sigs\.k8s\.io/kustomize/kustomize/v5 \(v[0-9.]*\)$#\1#p' "$here/go.mod")"
[ -n "$version" ] || { echo "tidemark: $here/go.mod has no 'require sigs.k8s.io/kustomize/kustomize/v5 vX.Y.Z' line; restore it" >&2; exit 1; }
cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}/kustomize-$version"

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath"
host="$(go env GOHOSTOS)-$(go env GOHOSTARCH)"
platforms=(linux-arm64)
[ "$host" = linux-arm64 ] || platforms+=("$host")

for platform in "${platforms[@]}"; do
  bin="$cache/$platform/bin"
  if [ ! -x "$bin/kustomize" ]; then
    echo "tidemark: building kustomize $version for $platform (first run only; cached in $bin)" >&2
    mkdir -p "$bin"
    # A temp name per process, renamed only when complete: an interrupted build never leaves a half-written file that
    # looks cached, and two builds at once (bootstrap beside a test run) never write into the same file.
    tmp="$bin/kustomize.$$.tmp"
    (cd "$here" && GOOS="${platform%-*}" GOARCH="${platform#*-}" go build -ldflags "-s -w" -o "$tmp" sigs.k8s.io/kustomize/kustomize/v5)
    mv "$tmp" "$bin/kustomize"
  fi
  echo "$bin/kustomize"
done
