#!/usr/bin/env bash
# Makes sure a PostgreSQL server is installed (Debian's `postgresql` package, with apt-get when missing, its packages
# cached in $TIDEMARK_CACHE/postgresql-debs) and prints the folder of its binaries (initdb, postgres). Quick when it
# is there: a glob, no apt. The package's own cluster is not used: `tidemark local up` runs a server of its own, with
# its data under the environment's state folder.
# `install.sh --missing` prints "postgresql" when it would install it, and installs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=../build-step.sh
source "$here/../build-step.sh"
find_bin() {
  local newest=""
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && newest="$dir"
  done
  echo "$newest"
}
bin="$(find_bin)"
debs="$tidemark_cache/postgresql-debs"
if [ "${1:-}" = --missing ]; then
  [ -n "$bin" ] || echo postgresql
  exit 0
fi
install_postgres() {
  # No default cluster, so nothing listens on 5432 behind the environment's back; a file the package ships is kept.
  if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
  fi
  export DEBIAN_FRONTEND=noninteractive
  # apt keeps the packages it fetches in the cache, so the next machine with this cache downloads none of them (its
  # file names carry each package's version; apt picks the candidate's). The install itself (dpkg, as root) still
  # runs on every fresh machine: it is a system package.
  mkdir -p "$debs/partial"
  local opts=(-y -qq --no-install-recommends -o Dpkg::Options::=--force-confold -o "Dir::Cache::archives=$debs")
  apt-get install "${opts[@]}" postgresql || { apt-get update -qq && apt-get install "${opts[@]}" postgresql; }
}
if [ -z "$bin" ]; then
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
    echo "tidemark: PostgreSQL is required for the local environment; install it (Debian/Ubuntu: sudo apt-get install postgresql)" >&2
    exit 1
  fi
  build_lock postgresql
  bin="$(find_bin)"
  [ -n "$bin" ] || build_step postgresql "PostgreSQL (Debian's postgresql package)" install_postgres || { build_unlock postgresql; exit 1; }
  build_unlock postgresql
  bin="$(find_bin)"
  [ -n "$bin" ] || { echo "tidemark: apt-get installed postgresql but no server binaries were found under /usr/lib/postgresql" >&2; exit 1; }
fi
echo "$bin"
