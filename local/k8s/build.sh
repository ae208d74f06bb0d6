#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok from the Go module proxy into a
# per-user cache keyed by version, and does nothing when they are already there.
#
# Why a per-user cache and not .cache/ in the checkout: the first build takes 15–25 minutes on two cores; CI clones
# main afresh on the same machine, and keying by version under ~/.cache lets that clone reuse the binaries.
# TIDEMARK_CACHE overrides the location.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
command -v go >/dev/null || { echo "tidemark: Go is required to build the local Kubernetes control plane; install Go 1.24 or newer" >&2; exit 1; }

cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
bin="$cache/k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-kwok-${KWOK_VERSION}/bin"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
missing=()
for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing+=("$b"); done
if [ ${#missing[@]} -eq 0 ]; then echo "$bin"; exit 0; fi

mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath"
ldflags="-s -w"
for b in "${missing[@]}"; do
  echo "tidemark: building $b (first run only; cached in $bin)" >&2
  case "$b" in
    etcd) (cd "$here/etcd" && go build -ldflags "$ldflags" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3) ;;
    kwok) GOBIN="$bin.kwok" go install -ldflags "$ldflags" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" && mv "$bin.kwok/kwok" "$bin/kwok.tmp" && rmdir "$bin.kwok" ;;
    *) (cd "$here/kubernetes" && go build -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b") ;;
  esac
  # Rename only a complete binary, so an interrupted build never leaves a half-written file that looks cached.
  mv "$bin/$b.tmp" "$bin/$b"
done
echo "$bin"
