#!/usr/bin/env bash
# Builds the helm command pinned in go.mod from the Go module proxy into a per-user cache keyed by version and
# platform, and does nothing when it is already there:
#   linux/arm64: what the drift scanner's Lambda layer carries as /opt/bin/helm (its functions run on arm64), so the
#                scanner renders a chart with the same Helm engine as the agent;
#   the host:    the same version for the agent run locally, the tests and bench/helm.
# Prints the arm64 binary's path, then the host's (one line when the host is linux/arm64).
#
# Why a wrapper module (go.mod, go.sum, tools.go here) and not `go install …@v3.22.0`: go.sum pins every dependency,
# so the build is reproducible and works offline once the module cache holds them. Helm has no `replace` directives,
# so the wrapper needs none. The -X flags are the ones Helm's own Makefile sets: without them `helm version` says
# "v3.22" and, worse, `.Capabilities.KubeVersion` in a render without a cluster defaults to v1.20 instead of the
# Kubernetes minor of the client-go Helm was built with. TIDEMARK_CACHE overrides the cache location.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v go >/dev/null || { echo "tidemark: Go is required to build Helm for the agent and the drift scanner's Lambda layer; install Go 1.26 or newer" >&2; exit 1; }

version="$(sed -n 's#^require helm\.sh/helm/v3 \(v[0-9.]*\)$#\1#p' "$here/go.mod")"
[ -n "$version" ] || { echo "tidemark: $here/go.mod has no 'require helm.sh/helm/v3 vX.Y.Z' line; restore it" >&2; exit 1; }
client_go="$(sed -n 's#^\tk8s\.io/client-go \(v[0-9.]*\).*$#\1#p' "$here/go.mod")"
[ -n "$client_go" ] || { echo "tidemark: $here/go.mod has no k8s.io/client-go requirement; run 'go mod tidy' in $here" >&2; exit 1; }
cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}/helm-$version"

# client-go v0.34.x is Kubernetes 1.34: Helm's Makefile derives the default capabilities version the same way.
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
done

export CGO_ENABLED=0 GOFLAGS="-mod=readonly -trimpath"
host="$(go env GOHOSTOS)-$(go env GOHOSTARCH)"
platforms=(linux-arm64)
[ "$host" = linux-arm64 ] || platforms+=("$host")

for platform in "${platforms[@]}"; do
  bin="$cache/$platform/bin"
  if [ ! -x "$bin/helm" ]; then
    echo "tidemark: building helm $version for $platform (first run only; cached in $bin)" >&2
    mkdir -p "$bin"
    # A temp name per process, renamed only when complete: an interrupted build never leaves a half-written file that
    # looks cached, and two builds at once (bootstrap beside a test run) never write into the same file.
    tmp="$bin/helm.$$.tmp"
    started=$SECONDS
    (cd "$here" && GOOS="${platform%-*}" GOARCH="${platform#*-}" go build -ldflags "$ldflags" -o "$tmp" helm.sh/helm/v3/cmd/helm)
    mv "$tmp" "$bin/helm"
    echo "tidemark: built helm $version for $platform in $((SECONDS - started)) s" >&2
  fi
  echo "$bin/helm"
done
