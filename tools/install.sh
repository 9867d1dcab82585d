#!/usr/bin/env bash
# Installs every Debian package that the build, the demo, the tests and the
# benchmarks need, then stops the daemons those packages auto-start so they do
# not hold ports (tests start their own on free loopback ports).
# Idempotent: when everything is installed it does not touch apt.
set -euo pipefail

# The test key manager (test/support/oauth_server: oidc-provider from the npm
# registry). Runs `npm ci` when node_modules is missing or package-lock.json
# changed since the last install (a sha256 stamp in node_modules records it).
OAUTH_SERVER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/support/oauth_server"
install_oauth_server() {
  local dir="$OAUTH_SERVER_DIR" stamp want have node_version
  stamp="$dir/node_modules/.mgw-package-lock.sha256"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install.sh: ERROR: node and npm are needed for $dir (oidc-provider needs Node.js >= 20.19)" >&2
    return 1
  fi
  node_version="$(node --version)"
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
    echo "install.sh: ERROR: Node.js $node_version is too old for oidc-provider (needs >= 20.19)" >&2
    return 1
  fi
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$stamp" 2>/dev/null || true)"
  if [[ -d "$dir/node_modules/oidc-provider" && "$want" == "$have" ]]; then
    echo "install.sh: $dir/node_modules is up to date (node $node_version)"
    return 0
  fi
  echo "install.sh: running npm ci in $dir (node $node_version, npm $(npm --version))"
  if ! (cd "$dir" && npm ci --no-audit --no-fund); then
    echo "install.sh: ERROR: npm ci failed in $dir" >&2
    return 1
  fi
  echo "$want" >"$stamp"
}

PACKAGES=(
  bazel-bootstrap bazel-platforms g++
  libevent-dev libnghttp2-dev libssl-dev libyaml-cpp-dev libcpptoml-dev
  libabsl-dev libgtest-dev libgmock-dev libhttp-parser-dev nlohmann-json3-dev
  libzip-dev libgoogle-perftools-dev
  python3 openssl curl ca-certificates procps
  squid tinyproxy nginx apache2 apache2-utils etcd-server
  wrk nghttp2-client nghttp2-server nghttp2-proxy python3-cryptography python3-h2 python3-grpcio
  haproxy
)
DAEMONS=(squid nginx apache2 tinyproxy etcd haproxy nghttpx)

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO=(sudo)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)"
  if [[ "$status" != "installed" ]]; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install.sh: all ${#PACKAGES[@]} packages already installed"
  install_oauth_server
  exit 0
fi

echo "install.sh: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep package maintainer scripts from starting services where policy-rc.d is honoured.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
  created_policy=1
fi
cleanup() {
  if [[ $created_policy -eq 1 ]]; then "${SUDO[@]}" rm -f "$policy"; fi
}
trap cleanup EXIT

"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"

# Stop and disable whatever got started anyway.
for d in "${DAEMONS[@]}"; do
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now "$d" >/dev/null 2>&1 || true
  fi
  "${SUDO[@]}" service "$d" stop >/dev/null 2>&1 || true
  if command -v update-rc.d >/dev/null 2>&1; then
    "${SUDO[@]}" update-rc.d "$d" disable >/dev/null 2>&1 || true
  fi
done
# Processes that survived the init scripts (no systemd in containers). Only the
# system daemons, found by their default pid files or service users, so test
# daemons started by other runs are left alone.
stop_pidfile() {
  local f="$1" pid
  [[ -r "$f" ]] || return 0
  pid="$(tr -dc '0-9' <"$f")"
  [[ -n "$pid" ]] || return 0
  "${SUDO[@]}" kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  "${SUDO[@]}" kill -9 "$pid" 2>/dev/null || true
}
stop_pidfile /run/squid.pid
stop_pidfile /run/nginx.pid
stop_pidfile /run/apache2/apache2.pid
stop_pidfile /run/tinyproxy/tinyproxy.pid
stop_pidfile /run/haproxy.pid
stop_pidfile /run/nghttpx.pid
for user in etcd tinyproxy; do
  if id "$user" >/dev/null 2>&1; then
    for pid in $(pgrep -u "$user" 2>/dev/null || true); do
      "${SUDO[@]}" kill "$pid" 2>/dev/null || true
    done
  fi
done
install_oauth_server
echo "install.sh: done"
