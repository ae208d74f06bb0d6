#!/usr/bin/env bash
# Builds Flux's source-controller, kustomize-controller and notification-controller from the Go module proxy into the
# per-user cache, keyed by version, with the CRDs of the same module versions beside each binary, and does nothing
# when they are already there. Prints one `NAME DIR` line per controller (DIR holds bin/NAME and crds/*.yaml).
#
# Only bench/flux builds Flux: the demo, the tests and local/bootstrap.sh never call this script.
# `build.sh --missing` prints the controllers it would build (one per line) and builds nothing.
#
# Each build is a few minutes on two cores. Progress is one line per controller; the full log (every
# `go: downloading` line, compiler errors) is in $TIDEMARK_CACHE/logs/flux-NAME.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck disable=SC1091
source "$here/versions.env"
cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
logs="$cache/logs"

declare -A version=(
  [source-controller]="$SOURCE_CONTROLLER_VERSION"
  [kustomize-controller]="$KUSTOMIZE_CONTROLLER_VERSION"
  [notification-controller]="$NOTIFICATION_CONTROLLER_VERSION"
)
controllers=(source-controller kustomize-controller notification-controller)
dir_of() { echo "$cache/flux-$1-${version[$1]}"; }

missing=()
for c in "${controllers[@]}"; do [ -x "$(dir_of "$c")/bin/$c" ] || missing+=("$c"); done
if [ "${1:-}" = --missing ]; then
  [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
  exit 0
fi
if [ ${#missing[@]} -gt 0 ]; then
  command -v go >/dev/null || { echo "tidemark: Go is required to build Flux's controllers; install Go 1.26 or newer" >&2; exit 1; }
  mkdir -p "$logs"
  # As Flux's own Dockerfiles build them: static, no cgo, stripped.
  export CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath"
fi

build() {
  local c=$1 out tmp module_dir
  out="$(dir_of "$c")"
  # A temp name per process, renamed only when complete: an interrupted build never leaves a file that looks cached.
  tmp="$out/bin/$c.$$.tmp"
  mkdir -p "$out/bin" "$out/crds"
  (cd "$here/$c" && go build -v -ldflags "-s -w" -o "$tmp" "github.com/fluxcd/$c")
  # The CRDs of the same release, from its module zip in GOMODCACHE (never a copy in this repository).
  module_dir="$(cd "$here/$c" && go list -m -f '{{.Dir}}' "github.com/fluxcd/$c")"
  cp "$module_dir"/config/crd/bases/*.yaml "$out/crds/"
  chmod u+w "$out"/crds/*.yaml
  mv "$tmp" "$out/bin/$c"
}

elapsed() { local s=$1; if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi; }
total=$SECONDS
for c in "${missing[@]}"; do
  log="$logs/flux-$c.log"
  started=$SECONDS
  echo "tidemark: building Flux $c ${version[$c]} (first run only; log in $log)" >&2
  if ! build "$c" >"$log" 2>&1; then
    echo "tidemark: ✘ Flux $c ${version[$c]} failed after $(elapsed $((SECONDS - started))). The last lines of $log:" >&2
    tail -n 30 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
  echo "tidemark: ✔ Flux $c ${version[$c]} ($(elapsed $((SECONDS - started))))" >&2
done
[ ${#missing[@]} -eq 0 ] || echo "tidemark: Flux's controllers built in $(elapsed $((SECONDS - total)))" >&2
for c in "${controllers[@]}"; do echo "$c $(dir_of "$c")"; done
