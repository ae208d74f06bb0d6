# shellcheck shell=bash
# One progress line per component for the slow first-run steps (Go builds, pip installs, the agent's root
# filesystem), sourced by every build script:
#
#   source "$(dirname "$0")/../../local/build-step.sh"
#   build_step kube-apiserver "kube-apiserver v1.34.4" go_build "$here/kubernetes" "$tmp" "$ldflags" k8s.io/kubernetes/cmd/kube-apiserver
#
# `build_step NAME WHAT COMMAND...` runs COMMAND with all its output in $TIDEMARK_CACHE/logs/NAME.log (the full log:
# every `go: downloading` line, pip's resolver, compiler errors) and prints one line when it ends:
#   tidemark: ✔ kube-apiserver v1.34.4 (3m12s)
# or, when it fails, that line with ✘, the exit code and the last 30 lines of the log, and returns the exit code.
# On a terminal, while steps run, one status line is rewritten in place: what each running step is doing, how far it
# got and the time so far ("kube-apiserver: compiling 812/1460 packages 2m14s"). Steps may run at once (bootstrap runs
# network-bound steps beside CPU-bound ones); each writes its status to a file and one renderer draws them all.
#
# Why by hand and not a progress library: it must run before Node.js or Python exist on the machine, in plain bash.

tidemark_cache="${TIDEMARK_CACHE:-$HOME/.cache/tidemark}"
build_logs="$tidemark_cache/logs"
build_status_dir="$build_logs/.status"

# 75 → "1m15s", 42 → "42s".
build_elapsed() {
  local s=$1
  if [ "$s" -ge 60 ]; then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# Whether status lines are drawn: stderr is a terminal and TIDEMARK_PROGRESS is not "plain".
build_is_tty() { [ -t 2 ] && [ "${TIDEMARK_PROGRESS:-}" != plain ]; }

# The status of a running step, from what it has written so far: Go builds report packages (go_build writes the
# totals beside the log), anything else its last line.
build_probe() {
  local log=$1 deps="$1.deps" compiled="$1.compiled"
  if [ -s "$compiled" ] && [ -s "$deps" ]; then
    printf 'compiling %d/%d packages' "$(wc -l <"$compiled")" "$(wc -l <"$deps")"
  elif [ -s "$compiled" ]; then
    printf 'compiling %d packages' "$(wc -l <"$compiled")"
  elif grep -q '^go: downloading' "$log" 2>/dev/null; then
    printf 'downloading modules (%d)' "$(grep -c '^go: downloading' "$log")"
  elif [ -s "$log" ]; then
    tail -n 1 "$log" | tr -d '\r' | cut -c1-60
  else
    printf 'starting'
  fi
}

# Draws the status line until no step is running and its parent is gone. One renderer per terminal: the first step
# (or bootstrap) starts it and exports TIDEMARK_PROGRESS_RENDERER so nested steps do not start another.
build_render() {
  local parent=$1 width line f
  width=$(( ${COLUMNS:-$(tput cols 2>/dev/null || echo 100)} - 1 ))
  while kill -0 "$parent" 2>/dev/null; do
    line=""
    for f in "$build_status_dir"/*; do
      [ -f "$f" ] || continue
      # A status file left by a step whose script was killed is removed, not shown forever.
      if ! kill -0 "${f##*.}" 2>/dev/null; then rm -f "$f"; continue; fi
      line="$line${line:+ · }$(cat "$f" 2>/dev/null)"
    done
    [ -n "$line" ] && printf '\r\033[K  ⋯ %s' "${line:0:$width}" >&2
    sleep 1
  done
  printf '\r\033[K' >&2
}

# Starts the renderer for this shell when on a terminal and none runs yet; `build_render_stop` ends it.
build_render_start() {
  if build_is_tty && [ -z "${TIDEMARK_PROGRESS_RENDERER:-}" ]; then
    mkdir -p "$build_status_dir"
    build_render $$ &
    build_renderer_pid=$!
    export TIDEMARK_PROGRESS_RENDERER=$build_renderer_pid
  fi
}
build_render_stop() {
  if [ -n "${build_renderer_pid:-}" ]; then
    kill "$build_renderer_pid" 2>/dev/null || true
    wait "$build_renderer_pid" 2>/dev/null || true
    printf '\r\033[K' >&2
    unset build_renderer_pid TIDEMARK_PROGRESS_RENDERER
  fi
}

# build_step NAME WHAT COMMAND... (see the top of this file)
build_step() {
  local name=$1 what=$2
  shift 2
  mkdir -p "$build_status_dir"
  local log="$build_logs/$name.log" status="$build_status_dir/$name.$$" tmp="$build_status_dir/.$name.$$"
  local started=$SECONDS rc=0 own_renderer=""
  rm -f "$log.deps" "$log.compiled"
  : >"$log"
  if [ -z "${TIDEMARK_PROGRESS_RENDERER:-}" ]; then build_render_start && own_renderer=1; fi
  BUILD_LOG="$log" "$@" >>"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    printf '%s: %s %s' "$name" "$(build_probe "$log")" "$(build_elapsed $((SECONDS - started)))" >"$tmp"
    mv -f "$tmp" "$status"
    sleep 1
  done
  wait "$pid" || rc=$?
  rm -f "$status" "$tmp" "$log.deps" "$log.compiled"
  [ -n "$own_renderer" ] && build_render_stop
  local took
  took="$(build_elapsed $((SECONDS - started)))"
  if [ "$rc" -eq 0 ]; then
    build_is_tty && printf '\r\033[K' >&2
    echo "tidemark: ✔ $what ($took)" >&2
    echo "$(date -u +%FT%TZ) $name $((SECONDS - started))s" >>"$build_logs/timings"
  else
    build_is_tty && printf '\r\033[K' >&2
    {
      echo "tidemark: ✘ $what failed after $took (exit $rc). The last lines of $log:"
      tail -n 30 "$log" | sed 's/^/    /'
    } >&2
  fi
  return "$rc"
}

# go_build DIR OUT LDFLAGS PACKAGE: `go build` in a module folder, reporting packages compiled out of those needed.
# Runs inside build_step (BUILD_LOG is set): `go list -deps` downloads the modules and counts the packages, then
# `go build -v` names each package as it compiles it. GOOS, GOARCH and GOFLAGS come from the environment.
go_build() {
  local dir=$1 out=$2 ldflags=$3 package=$4
  (cd "$dir" && go list -deps "$package" >"$BUILD_LOG.deps.tmp") && mv "$BUILD_LOG.deps.tmp" "$BUILD_LOG.deps"
  local rc=0
  (cd "$dir" && go build -v -ldflags "$ldflags" -o "$out" "$package") 2>"$BUILD_LOG.compiled" || rc=$?
  cat "$BUILD_LOG.compiled"
  return "$rc"
}

# build_lock NAME … build_unlock NAME: one process at a time installs NAME. For what cannot be built under a temp name
# and renamed (a Python virtualenv records its own path), so a bootstrap beside a test run never deletes the other's
# half-made venv. A lock whose process died is taken over.
build_lock() {
  local dir="$build_logs/.locks/$1" owner
  mkdir -p "$build_logs/.locks"
  until mkdir "$dir" 2>/dev/null; do
    owner="$(cat "$dir/pid" 2>/dev/null || true)"
    if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$dir"; continue; fi
    sleep 1
  done
  echo $$ >"$dir/pid"
}
build_unlock() { rm -rf "$build_logs/.locks/$1"; }
