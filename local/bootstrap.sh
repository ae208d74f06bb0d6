#!/usr/bin/env bash
# Installs everything the two README commands need, and skips what is already there, so a fresh clone works with
# `npm run demo` or `npm test` alone and a second run starts at once:
#   Node.js 24 (npm registry) · npm packages (npm ci) · etcd, kube-apiserver, kube-controller-manager, kube-scheduler
#   and kwok, kustomize, Helm and the OCI registry (built from the Go module proxy) · moto, cfn-lint and checkov (PyPI, one virtualenv each).
# Slow steps cache per user in ${TIDEMARK_CACHE:-~/.cache/tidemark}, keyed by version; the first run takes about
# 10–25 minutes on two cores (mostly the Go build), later runs a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in go python3 git; do
  command -v "$tool" >/dev/null || { echo "tidemark: '$tool' is required; install it (see README, Prerequisites)" >&2; exit 1; }
done

node_bin="$(local/node24 -p 'require("node:path").dirname(process.execPath)')"
export PATH="$node_bin:$PATH"
# npm ci only when the lock changed since the last install (npm writes node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tidemark: installing npm packages" >&2
  npm ci --no-audit --no-fund >&2
fi
bash local/k8s/build.sh >/dev/null
bash infra/layers/kustomize/build.sh >/dev/null
bash infra/layers/helm/build.sh >/dev/null
bash local/registry/build.sh >/dev/null
bash local/moto/install.sh >/dev/null
if [ -f infra/lint/install-python-tools.sh ]; then bash infra/lint/install-python-tools.sh >/dev/null; fi
