#!/usr/bin/env bash
# Builds the agent image without a Docker engine, from the same list and scripts as agent/Dockerfile, as a Docker
# archive that `docker load`, `podman load` or `kind load image-archive` take:
#   agent/image/build-image.sh [--arch amd64|arm64] [OUTDIR]      (default OUTDIR: .cache/agent-image/<arch>)
# Writes OUTDIR/image.tar (tagged IMAGE_REPOSITORY:<package.json version>), OUTDIR/config.json (the image config) and
# OUTDIR/digest (the manifest's), and prints OUTDIR.
# `build-image.sh --missing` prints the cached parts it would build first, and builds nothing; `--prepare` builds only
# those (bootstrap runs it, so the tests' first image build is quick).
#
# Three layers, as the Dockerfile's three COPY steps make them:
#   1. debian   build-rootfs.sh: the Debian root, the nonroot user, /cache and /tmp (cached per user: minutes to build)
#   2. runtime  /usr/local/bin: node (fetch-node.sh) and the render tools (build-tools.sh)
#   3. app      /app: the agent bundle (bundle-agent.ts)
# crane (go-containerregistry, agent/image/tools) stacks them on an empty base and sets the config from contents.env,
# through an in-memory registry on loopback that lives as long as this script: `crane mutate` edits images in a
# registry, not in files.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=contents.env
source "$here/contents.env"
# shellcheck source=../../local/build-step.sh
source "$root/local/build-step.sh"

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
out=""
mode=build
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --missing) mode=missing; shift ;;
    --prepare) mode=prepare; shift ;;
    *) out=$1; shift ;;
  esac
done
out="${out:-$root/.cache/agent-image/$arch}"

# The Debian layer is keyed by what goes into it, so changing the package list (or the script) rebuilds it.
debian_key="$( (cat "$here/build-rootfs.sh"; echo "$IMAGE_DEBIAN_SUITE $IMAGE_DEBIAN_PACKAGES $IMAGE_USER $IMAGE_WRITABLE $IMAGE_WORKDIR") | sha256sum | cut -c1-16)"
debian="$tidemark_cache/agent-image/debian-$IMAGE_DEBIAN_SUITE-$debian_key-$arch.tar"
node="$tidemark_cache/agent-image/node-v$IMAGE_NODE_VERSION-$arch"
if [ "$mode" = missing ]; then
  [ -f "$debian" ] || echo agent-image-debian
  [ -x "$node" ] || echo agent-image-node
  exit 0
fi

mkdir -p "$tidemark_cache/agent-image"
if [ ! -f "$debian" ]; then
  # A temp name per process that still ends in .tar (build-rootfs.sh writes a tarball for such a name, else a folder).
  partial="${debian%.tar}.$$.partial.tar"
  build_step agent-image-debian "agent image: Debian $IMAGE_DEBIAN_SUITE root ($IMAGE_DEBIAN_PACKAGES)" \
    bash "$here/build-rootfs.sh" --arch "$arch" "$partial"
  mv "$partial" "$debian"
fi
[ -x "$node" ] || build_step agent-image-node "agent image: Node.js $IMAGE_NODE_VERSION for $arch (npm registry)" \
  bash "$here/fetch-node.sh" "$arch" "$node"
[ "$mode" = prepare ] && exit 0
eval "$(bash "$here/tools/build.sh")" # CRANE=…
mkdir -p "$out"

work="$(mktemp -d)"
registry_pid=""
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Layers 2 and 3, as tarballs with fixed owners and timestamps so the same inputs give the same digest.
layer() { tar --sort=name --numeric-owner --owner=0 --group=0 --mtime=@0 -cf "$1" -C "$2" "${@:3}"; }
mkdir -p "$work/runtime/usr/local/bin" "$work/app"
cp "$node" "$work/runtime/usr/local/bin/node"
bash "$here/build-tools.sh" "$arch" "$work/runtime/usr/local/bin"
layer "$work/runtime.tar" "$work/runtime" usr
"$root/local/node24" --import tsx "$here/bundle-agent.ts" "$work/app/app"
layer "$work/app.tar" "$work/app" app

"$CRANE" registry serve --address 127.0.0.1:0 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 1 50); do
  port="$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$work/registry.log")"
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { echo "build-image.sh: crane's registry did not start: $(cat "$work/registry.log")" >&2; exit 1; }
version="$("$root/local/node24" -p 'require(process.argv[1]).version' "$root/package.json")"
ref="127.0.0.1:$port/tidemark-agent:$version"

# crane, with its log shown when it fails (its progress lines are noise otherwise).
crane() { "$CRANE" "$@" 2>>"$work/crane.log" || { cat "$work/crane.log" >&2; return 1; }; }
# contents.env's JSON arrays as crane's comma-separated lists (no element contains a comma).
list() { "$root/local/node24" -p 'JSON.parse(process.argv[1]).join(",")' "$1"; }
env_flags=()
for kv in $IMAGE_ENV; do env_flags+=(--env "$kv"); done
crane append --oci-empty-base -f "$debian" -f "$work/runtime.tar" -f "$work/app.tar" -t "$ref" >/dev/null
# Saved under the published name, as `docker load` will list it.
crane mutate "$ref" -t "$IMAGE_REPOSITORY:$version" -o "$out/image.tar.$$.tmp" --set-platform "linux/$arch" \
  --user "$IMAGE_USER" --workdir "$IMAGE_WORKDIR" --exposed-ports "$IMAGE_PORT/tcp" \
  --entrypoint "$(list "$IMAGE_ENTRYPOINT")" --cmd "$(list "$IMAGE_CMD")" "${env_flags[@]}" \
  -l "org.opencontainers.image.title=tidemark-agent" -l "org.opencontainers.image.version=$version" \
  -l "org.opencontainers.image.licenses=Apache-2.0"
crane digest --tarball "$out/image.tar.$$.tmp" >"$out/digest.$$.tmp"
config="$(tar -xOf "$out/image.tar.$$.tmp" manifest.json | "$root/local/node24" -p 'JSON.parse(require("fs").readFileSync(0))[0].Config')"
tar -xOf "$out/image.tar.$$.tmp" "$config" >"$out/config.json.$$.tmp"
# Temp names per process, each renamed whole: two test files building at once write the same bytes, never a mix.
for f in image.tar config.json digest; do mv "$out/$f.$$.tmp" "$out/$f"; done
echo "$out"
