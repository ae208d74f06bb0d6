#!/usr/bin/env bash
# Installs cfn-lint and checkov from PyPI, each into its own virtualenv in the per-user cache, so the infra tests can
# lint the synthesized template offline. One venv per tool because checkov pins libraries that cfn-lint also uses.
# Idempotent: a venv that finished installing (it holds `.installed`) is left alone; a half-finished one is rebuilt.
# Prints `CFN_LINT=<path>` and `CHECKOV=<path>` last, one per line.
set -euo pipefail

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
CACHE="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
PYTHON="${PYTHON:-python3}"

install_tool() { # package version
  local package=$1 version=$2
  local venv="$CACHE/$package-$version"
  [[ -f "$venv/.installed" ]] && return 0
  echo "installing $package $version into $venv (pip takes a few minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" >&2; then
    rm -rf "$venv"
    echo "pip could not install $package==$version; see its output above" >&2
    return 1
  fi
  touch "$venv/.installed"
}

install_tool cfn-lint "$CFN_LINT_VERSION"
install_tool checkov "$CHECKOV_VERSION"
echo "CFN_LINT=$CACHE/cfn-lint-$CFN_LINT_VERSION/bin/cfn-lint"
echo "CHECKOV=$CACHE/checkov-$CHECKOV_VERSION/bin/checkov"
