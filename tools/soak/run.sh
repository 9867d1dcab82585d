#!/usr/bin/env bash
# Bounded chaos soak of microgw built with AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   sudo tools/soak/run.sh                 # 60 s
#   sudo SOAK_SECONDS=300 tools/soak/run.sh
#   sudo SOAK_BIN=/path/to/microgw tools/soak/run.sh   # skip the build, use this binary
#
# Exit status 0 when every invariant held (see tools/soak/README.md), non-zero otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SOAK_SECONDS="${SOAK_SECONDS:-60}"
export SOAK_SECONDS

for tool in squid openssl python3; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "soak: '$tool' is missing; run sudo tools/install.sh first" >&2
    exit 2
  fi
done
if [ "$(id -u)" != 0 ]; then
  echo "soak: warning: not root; Squid may fail to start (run with sudo)" >&2
fi

WORK="$(mktemp -d /tmp/mgw-soak-bin.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

if [ -n "${SOAK_BIN:-}" ]; then
  cp "$SOAK_BIN" "$WORK/microgw"
else
  echo "soak: building //gateway:microgw with -fsanitize=address,undefined (-c dbg)"
  # --define=allocator=libc: ASan's runtime replaces malloc; tcmalloc must not.
  timeout 1800 bazel build -c dbg --define=allocator=libc \
    --copt=-fsanitize=address,undefined --copt=-fno-omit-frame-pointer \
    --linkopt=-fsanitize=address,undefined //gateway:microgw
  # A private copy: concurrent builds in this tree must not swap the binary under us.
  cp bazel-out/k8-dbg/bin/gateway/microgw "$WORK/microgw"
fi
if ! grep -q __asan_init "$WORK/microgw" || ! grep -q __ubsan_handle "$WORK/microgw"; then
  echo "soak: $WORK/microgw is not an ASan+UBSan build (a concurrent build replaced it?)" >&2
  exit 2
fi
chmod 755 "$WORK" "$WORK/microgw"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export PYTHONPATH="$ROOT/test/support${PYTHONPATH:+:$PYTHONPATH}"

# Hard bound: the soak, set-up, the final checks and the drain, with room to spare.
status=0
timeout --kill-after=10 "$((SOAK_SECONDS + 240))" \
  /usr/bin/python3 -u "$ROOT/tools/soak/soak.py" --binary "$WORK/microgw" \
  --seconds "$SOAK_SECONDS" || status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "soak: FAIL: the soak itself overran its time bound" >&2
fi
exit "$status"
