#!/usr/bin/env bash
# Installs the AWS CLI (v1, `awscli` from PyPI) into its own virtualenv in the per-user cache, keyed by version, for
# bench/resources' baseline, and does nothing when it is there. Prints the path of the `aws` command.
set -euo pipefail
AWSCLI_VERSION=1.46.3
cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
venv="$cache/awscli-$AWSCLI_VERSION"
installed() { [ -f "$venv/.tidemark-complete" ] && [ -x "$venv/bin/aws" ]; }
if ! installed; then
  mkdir -p "$cache"
  exec 9>"$cache/awscli-$AWSCLI_VERSION.lock"
  flock 9
  if ! installed; then
    echo "tidemark: installing the AWS CLI $AWSCLI_VERSION into $venv (first run only)" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "awscli==$AWSCLI_VERSION" >&2
    touch "$venv/.tidemark-complete"
  fi
fi
echo "$venv/bin/aws"
