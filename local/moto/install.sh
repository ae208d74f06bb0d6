#!/usr/bin/env bash
# Installs the moto AWS emulator (moto[server] from PyPI) into its own virtualenv in the per-user cache, keyed by
# version, and does nothing when it is already there. Prints the virtualenv's path.
set -euo pipefail
MOTO_VERSION=5.2.5
command -v python3 >/dev/null || { echo "tidemark: Python 3 is required for the moto AWS emulator; install python3 and python3-venv" >&2; exit 1; }
cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
venv="$cache/moto-$MOTO_VERSION"
# The marker is written last, so an interrupted install is redone rather than half-used.
if [ ! -f "$venv/.tidemark-complete" ]; then
  echo "tidemark: installing moto $MOTO_VERSION into $venv (first run only, about a minute)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  touch "$venv/.tidemark-complete"
fi
echo "$venv"
