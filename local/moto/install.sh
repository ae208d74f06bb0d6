#!/usr/bin/env bash
# Installs the moto AWS emulator (moto[server] from PyPI) into its own virtualenv in the per-user cache, keyed by
# version, and does nothing when it is already there. Prints the virtualenv's path.
# `install.sh --missing` prints "moto" when it would install it, and installs nothing.
set -euo pipefail
MOTO_VERSION=5.2.5
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-step.sh
source "$here/../build-step.sh"
venv="$tidemark_cache/moto-$MOTO_VERSION"
if [ "${1:-}" = --missing ]; then
  [ -f "$venv/.tidemark-complete" ] || echo moto
  exit 0
fi
command -v python3 >/dev/null || { echo "tidemark: Python 3 is required for the moto AWS emulator; install python3 and python3-venv" >&2; exit 1; }
install_moto() {
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  # The marker is written last, so an interrupted install is redone rather than half-used.
  touch "$venv/.tidemark-complete"
}
if [ ! -f "$venv/.tidemark-complete" ]; then
  build_lock moto
  # Another process may have installed it while this one waited for the lock.
  [ -f "$venv/.tidemark-complete" ] || build_step moto "moto $MOTO_VERSION (PyPI)" install_moto || { build_unlock moto; exit 1; }
  build_unlock moto
fi
echo "$venv"
