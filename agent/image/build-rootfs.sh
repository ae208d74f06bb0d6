#!/usr/bin/env bash
# Builds the Debian part of the agent image from contents.env: the Essential packages and IMAGE_DEBIAN_PACKAGES
# (mmdebstrap, from Debian's archive), the nonroot user, and the mount points the pod makes writable. Documentation,
# man pages and translations are left out, but not the packages' copyright files or dpkg's status database (which
# SBOM tools and scanners read). Runs in agent/Dockerfile and in the Docker-free build (build-image.sh) alike.
#
#   build-rootfs.sh [--arch amd64|arm64] [--in-container] TARGET
#     TARGET          a directory, or a file ending in .tar
#     --arch          the image's architecture (default: this machine's); another one needs qemu-user-static
#     --in-container  skip mounting /proc, /sys and /dev into the chroot: a Docker build step may not mount
#
# TIDEMARK_DEBIAN_MIRROR replaces the default mirror (deb.debian.org, with the suite's updates and security archive),
# e.g. with a mirror your network reaches. Files get the timestamp SOURCE_DATE_EPOCH (default 0), so the same package
# versions give the same bytes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=contents.env
source "$here/contents.env"

arch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
skip=()
target=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=$2; shift 2 ;;
    --in-container) skip=(--skip=chroot/mount); shift ;;
    -*) echo "build-rootfs.sh: unknown option $1" >&2; exit 2 ;;
    *) target=$1; shift ;;
  esac
done
[ -n "$target" ] || { echo "usage: build-rootfs.sh [--arch amd64|arm64] [--in-container] TARGET" >&2; exit 2; }
command -v mmdebstrap >/dev/null ||
  { echo "tidemark: mmdebstrap is required to build the agent's root filesystem; apt-get install mmdebstrap (local/bootstrap.sh does)" >&2; exit 1; }

uid="${IMAGE_USER%%:*}"
gid="${IMAGE_USER##*:}"
mirrors=()
[ -z "${TIDEMARK_DEBIAN_MIRROR:-}" ] || mirrors=("$TIDEMARK_DEBIAN_MIRROR")
excluded=()
for path in /usr/share/doc/'*' /usr/share/man/'*' /usr/share/info/'*' /usr/share/locale/'*' /usr/share/lintian/'*'; do
  excluded+=(--dpkgopt="path-exclude=$path")
done

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"
# shellcheck disable=SC2016 # the hooks are evaluated by mmdebstrap, with $1 the root being built
mmdebstrap --mode=root --variant=essential --architectures="$arch" \
  --include="${IMAGE_DEBIAN_PACKAGES// /,}" \
  "${excluded[@]}" --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  "${skip[@]}" \
  --customize-hook="echo 'nonroot:x:$uid:$gid:nonroot:/tmp:/usr/sbin/nologin' >> \"\$1/etc/passwd\"" \
  --customize-hook="echo 'nonroot:x:$gid:' >> \"\$1/etc/group\"" \
  --customize-hook="for d in $IMAGE_WRITABLE $IMAGE_WORKDIR; do mkdir -p \"\$1\$d\"; done" \
  --customize-hook="for d in $IMAGE_WRITABLE; do [ \$d = /tmp ] || chown $uid:$gid \"\$1\$d\"; done; chmod 1777 \"\$1/tmp\"" \
  --customize-hook=': > "$1/etc/resolv.conf"; : > "$1/etc/hostname"; chmod 644 "$1/etc/resolv.conf" "$1/etc/hostname"; rm -f "$1"/var/cache/debconf/*-old "$1"/var/log/*.log' \
  "$IMAGE_DEBIAN_SUITE" "$target" "${mirrors[@]}"
