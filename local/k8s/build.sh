#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok from the Go module proxy into a
# per-user cache keyed by version, and does nothing when they are already there. Prints the bin folder.
# `build.sh --missing` prints the components it would build (one per line) and builds nothing.
#
# Why a per-user cache and not .cache/ in the checkout: the first build takes minutes on two cores; CI clones main
# afresh on the same machine, and keying by version under ~/.cache lets that clone reuse the binaries.
# TIDEMARK_CACHE overrides the location.
#
# The binaries carry their release's version, as Kubernetes' own build (hack/lib/version.sh) stamps it: a plain
# `go build` reports v0.0.0-master, and clients that check the server's version (`kubectl version`, Helm's
# capabilities, client-go's discovery) then fail or guess.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
# shellcheck source=../build-step.sh
source "$here/../build-step.sh"

bin="$tidemark_cache/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}-b${BUILD_REVISION}/bin"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
missing=()
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ "${1:-}" = --missing ]; then
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { echo "tidemark: Go is required to build the local Kubernetes control plane; install Go 1.24 or newer" >&2; exit 1; }

mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath"

# The release's date, from the module proxy, so the stamp is the same on every machine (not the build's clock).
release_date() { (cd "$here/$1" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$2"); }

kube_ldflags() {
  local minor="${KUBERNETES_VERSION#v1.}" flags="-s -w" pkg date
  date="$(release_date kubernetes "k8s.io/kubernetes@${KUBERNETES_VERSION}")"
  # component-base is what the API server reports at /version; client-go's copy is what its clients send.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags="$flags -X $pkg.gitVersion=${KUBERNETES_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor%%.*}"
    flags="$flags -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date -X $pkg.gitCommit="
  done
  echo "$flags"
}

build_kwok() {
  local gobin="$bin.kwok.$$"
  GOBIN="$gobin" go install -v -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" 2>"$BUILD_LOG.compiled" ||
    { cat "$BUILD_LOG.compiled"; return 1; }
  mv "$gobin/kwok" "$1" && rmdir "$gobin"
}

for b in "${missing[@]}"; do
  # A temp name per process, renamed only when complete: an interrupted build never leaves a half-written file that
  # looks cached, and two builds at once (bootstrap beside a test run) never write into the same file.
  tmp="$bin/$b.$$.tmp"
  case "$b" in
    etcd)
      # etcd's version is a constant of its api module; only the commit is stamped (its Makefile passes the git SHA).
      build_step etcd "etcd ${ETCD_VERSION}" go_build "$here/etcd" "$tmp" \
        "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}" go.etcd.io/etcd/server/v3 ;;
    kwok) build_step kwok "kwok ${KWOK_VERSION}" build_kwok "$tmp" ;;
    *) build_step "$b" "$b ${KUBERNETES_VERSION}" go_build "$here/kubernetes" "$tmp" "$(kube_ldflags)" "k8s.io/kubernetes/cmd/$b" ;;
  esac
  mv "$tmp" "$bin/$b"
done
echo "$bin"
