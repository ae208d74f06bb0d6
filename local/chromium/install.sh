#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (package `chromium`, with apt-get when missing) and prints its path, for the
# `tidemark ui` browser tests and bench/ui, which drive it with playwright-core. Quick when it is there: one test, no
# apt. Why Debian's and not Playwright's own download: this machine and CI reach package registries only, and
# `npx playwright install` fetches from a CDN (.library/env/machines/polyglot.md).
# `install.sh --missing` prints "chromium" when it would install it, and installs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-step.sh
source "$here/../build-step.sh"
bin=/usr/bin/chromium
if [ "${1:-}" = --missing ]; then
  [ -x "$bin" ] || echo chromium
  exit 0
fi
install_chromium() {
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -qq --no-install-recommends)
  apt-get install "${opts[@]}" chromium || { apt-get update -qq && apt-get install "${opts[@]}" chromium; }
}
if [ ! -x "$bin" ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
    echo "tidemark: the UI tests need Chromium; install it (Debian/Ubuntu: sudo apt-get install chromium)" >&2
    exit 1
  fi
  build_lock chromium
  [ -x "$bin" ] || build_step chromium "Chromium (Debian's chromium package)" install_chromium || { build_unlock chromium; exit 1; }
  build_unlock chromium
  [ -x "$bin" ] || { echo "tidemark: apt-get installed chromium but $bin is missing" >&2; exit 1; }
fi
echo "$bin"
