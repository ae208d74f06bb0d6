#!/usr/bin/env bash
# Installs cfn-lint and checkov from PyPI, each into its own virtualenv in the per-user cache, so the infra tests can
# lint the synthesized template offline. One venv per tool because checkov pins libraries that cfn-lint also uses.
# Idempotent: a venv that finished installing (it holds `.installed`) is left alone; a half-finished one is rebuilt.
# Prints `CFN_LINT=<path>` and `CHECKOV=<path>` last, one per line; `--missing` prints the tools it would install.
set -euo pipefail
# shellcheck source=../../local/build-step.sh
source "$(dirname "$0")/../../local/build-step.sh"

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
CACHE="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
PYTHON="${PYTHON:-python3}"

pip_install() { # venv package version
  rm -rf "$1"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$1"
  "$1/bin/pip" install --disable-pip-version-check "$2==$3" || { rm -rf "$1"; return 1; }
  touch "$1/.installed"
}

install_tool() { # package version
  local package=$1 version=$2
  local venv="$CACHE/$package-$version"
  [[ -f "$venv/.installed" ]] && return 0
  if [ "$mode" = missing ]; then echo "$package"; return 0; fi
  build_lock "$package"
  # Another process may have installed it while this one waited for the lock.
  [[ -f "$venv/.installed" ]] || build_step "$package" "$package $version (PyPI)" pip_install "$venv" "$package" "$version" ||
    { build_unlock "$package"; return 1; }
  build_unlock "$package"
}

mode=install
[ "${1:-}" = --missing ] && mode=missing

install_tool cfn-lint "$CFN_LINT_VERSION"
install_tool checkov "$CHECKOV_VERSION"
[ "$mode" = missing ] && exit 0
echo "CFN_LINT=$CACHE/cfn-lint-$CFN_LINT_VERSION/bin/cfn-lint"
echo "CHECKOV=$CACHE/checkov-$CHECKOV_VERSION/bin/checkov"
