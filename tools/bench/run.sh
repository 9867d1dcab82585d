#!/usr/bin/env bash
# microgw benchmark entry point: builds the gateway with -c opt, then runs
# tools/bench/bench.py (wrk against nginx direct, nginx reverse proxy, microgw,
# microgw -> Squid, Apache -> Squid) and prints/writes the results table.
#
#   tools/bench/run.sh                       # defaults: wrk -t2 -c64 -d10s
#   BENCH_DURATION=5s BENCH_CONNECTIONS=32 tools/bench/run.sh
#   BENCH_ONLY=b,c tools/bench/run.sh        # a subset of set-ups (a b c c2 bs cs d e)
#   MICROGW_BIN=/path/to/microgw tools/bench/run.sh   # skip the build
#
# Every process it starts is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in wrk nginx squid apache2 python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not installed (see tools/install.sh)" >&2; exit 2; }
done

work="$(mktemp -d /tmp/microgw-bench-run-XXXXXX)"
export BENCH_PIDFILE="$work/pgids"
: >"$BENCH_PIDFILE"
bench_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n "$bench_pid" ]] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  # Daemons run in their own sessions; anything bench.py could not stop goes here,
  # by the process-group ids it recorded.
  while read -r pgid; do
    [[ -n "$pgid" ]] || continue
    if kill -0 -- "-$pgid" 2>/dev/null; then
      kill -TERM -- "-$pgid" 2>/dev/null || true
      sleep 1
      kill -KILL -- "-$pgid" 2>/dev/null || true
    fi
  done <"$BENCH_PIDFILE"
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [[ -z "${MICROGW_BIN:-}" ]]; then
  bazel build -c opt //gateway:microgw </dev/null
  # bazel-bin may point at another configuration if someone builds concurrently:
  # take the opt output explicitly and copy it so it cannot change under the run.
  src="$(bazel info -c opt bazel-bin </dev/null 2>/dev/null)/gateway/microgw"
  cp "$src" "$work/microgw"
  export MICROGW_BIN="$work/microgw"
fi

export PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
python3 tools/bench/bench.py &
bench_pid=$!
wait "$bench_pid"
