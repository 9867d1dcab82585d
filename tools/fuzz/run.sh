#!/usr/bin/env bash
# Builds the libFuzzer drivers in test/fuzz/ with clang (ASan + UBSan) and runs
# each one for FUZZ_SECONDS, seeded from test/fuzz/corpus/<target>/.
#
#   tools/fuzz/run.sh                          # every target, 60 s each
#   FUZZ_SECONDS=180 tools/fuzz/run.sh http1_codec_fuzz config_fuzz
#   FUZZ_BUILD_ONLY=1 tools/fuzz/run.sh        # just build
#
# Environment:
#   FUZZ_SECONDS    run time per target (default 60)
#   FUZZ_BUILD_DIR  binaries, working corpora and crashes (default /tmp/microgw-fuzz);
#                   nothing is written into the repository
#   FUZZ_CFLAGS     extra compiler flags (e.g. -DHTTP1_FUZZ_STOP_AT_CLOSE)
#   FUZZ_ARGS       extra libFuzzer flags (e.g. -jobs=2 -workers=2)
#
# Targets run one after the other (one core each). New inputs go to
# $FUZZ_BUILD_DIR/corpus/<target>/, crashes to a fresh temp directory that is
# printed at the end. Exits 1 if any target crashed, 2 on a build failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
BUILD_DIR="${FUZZ_BUILD_DIR:-/tmp/microgw-fuzz}"
CXX="${CXX_FUZZ:-clang++}"

ALL_TARGETS=(http1_codec_fuzz http2_codec_fuzz connect_reader_fuzz request_target_fuzz config_fuzz no_proxy_fuzz
  router_response_fuzz jwt_fuzz)

# Project sources each driver needs (what its Bazel deps compile).
sources() {
  case "$1" in
    http1_codec_fuzz)
      echo gateway/http/http1_server_codec.cc gateway/http/framing_scanner.cc \
        gateway/http/header_map.cc gateway/stats/stats.cc ;;
    http2_codec_fuzz)
      echo gateway/http/http2_server_codec.cc gateway/http/http2_flood_guard.cc gateway/http/http2_stream.cc \
        gateway/http/codec_factory.cc \
        gateway/http/http1_server_codec.cc gateway/http/framing_scanner.cc \
        gateway/http/header_map.cc gateway/stats/stats.cc gateway/common/log.cc ;;
    connect_reader_fuzz) echo proxy_connector/connect_response_reader.cc ;;
    request_target_fuzz)
      echo gateway/http/request_target.cc gateway/http/header_map.cc gateway/router/route_table.cc ;;
    config_fuzz)
      echo conf/api_loader.cc conf/config_loader.cc conf/endpoint_loader.cc conf/environment.cc \
        conf/filter_chain_loader.cc conf/proxy_env.cc conf/secret.cc conf/suggest.cc \
        conf/toml_section.cc conf/url.cc conf/yaml_util.cc ;;
    no_proxy_fuzz) echo proxy_connector/no_proxy.cc ;;
    router_response_fuzz)
      echo gateway/router/router_filter.cc gateway/router/route_table.cc \
        gateway/router/upstream_headers.cc gateway/http/header_map.cc gateway/http/filter_registry.cc \
        gateway/common/log.cc gateway/common/bev_write.cc gateway/event/dispatcher_impl.cc \
        gateway/stats/stats.cc proxy_connector/connector.cc proxy_connector/proxy_resolver.cc \
        proxy_connector/no_proxy.cc ;;
    jwt_fuzz) echo filters/jwt_authn/jwt.cc filters/jwt_authn/jwk.cc ;;
    *) echo "unknown target: $1" >&2; return 1 ;;
  esac
}

max_len() {
  case "$1" in
    http1_codec_fuzz) echo 4096 ;;
    http2_codec_fuzz) echo 4096 ;;
    connect_reader_fuzz) echo 12288 ;;  # room to cross the 8 KiB header limit
    request_target_fuzz) echo 1024 ;;
    config_fuzz) echo 8192 ;;
    no_proxy_fuzz) echo 512 ;;
    router_response_fuzz) echo 4096 ;;
    jwt_fuzz) echo 4096 ;;
  esac
}

# The absl libraries of tools/bazel/system/system.BUILD, in its order.
ABSL_LIBS=$(sed -n '/name = "absl"/,/^)/p' "$ROOT/tools/bazel/system/system.BUILD" |
  grep -o '"-labsl_[a-z0-9_]*"' | tr -d '"' | tr '\n' ' ')
LIBS="-levent -levent_pthreads -levent_openssl -lssl -lcrypto -lhttp_parser -lnghttp2 -lyaml-cpp $ABSL_LIBS -lpthread"
CXXFLAGS="-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${ALL_TARGETS[@]}")

mkdir -p "$BUILD_DIR/bin" "$BUILD_DIR/corpus" "$BUILD_DIR/logs"
build() {
  local t="$1"
  # shellcheck disable=SC2046
  (cd "$ROOT" && $CXX $CXXFLAGS ${FUZZ_CFLAGS:-} -I"$ROOT" "test/fuzz/$t.cc" $(sources "$t") \
    -o "$BUILD_DIR/bin/$t" $LIBS)
}
for t in "${targets[@]}"; do
  sources "$t" >/dev/null || exit 2
  echo "== build $t"
  build "$t" || { echo "build of $t failed" >&2; exit 2; }
done
[[ -n "${FUZZ_BUILD_ONLY:-}" ]] && exit 0

CRASH_DIR="$(mktemp -d /tmp/microgw-fuzz-crashes.XXXXXX)"
crashed=()
for t in "${targets[@]}"; do
  work="$BUILD_DIR/corpus/$t"
  seeds="$ROOT/test/fuzz/corpus/$t"
  mkdir -p "$work" "$CRASH_DIR/$t"
  dict=()
  [[ -f "$ROOT/test/fuzz/dict/$t.dict" ]] && dict=(-dict="$ROOT/test/fuzz/dict/$t.dict")
  log="$BUILD_DIR/logs/$t.log"
  echo "== fuzz $t for ${SECONDS_PER_TARGET}s (log: $log)"
  set +e
  # shellcheck disable=SC2086
  timeout --kill-after=30 $((SECONDS_PER_TARGET + 120)) \
    "$BUILD_DIR/bin/$t" "$work" "$seeds" "${dict[@]}" \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$CRASH_DIR/$t/" ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  # The last status line: total execs, cov (edges), ft (features), corpus, exec/s.
  grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE)' "$log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
  if [[ $rc -ne 0 ]] || compgen -G "$CRASH_DIR/$t/*" >/dev/null; then
    crashed+=("$t")
    echo "!! $t: exit $rc, artifacts:"
    ls -l "$CRASH_DIR/$t/" || true
    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error' "$log" || true
    grep -m12 -E '^ +#[0-9]+ ' "$log" || true
  fi
done

echo
if [[ ${#crashed[@]} -gt 0 ]]; then
  echo "CRASHES in: ${crashed[*]} (inputs in $CRASH_DIR, logs in $BUILD_DIR/logs)"
  echo "Reproduce: $BUILD_DIR/bin/<target> <crash file>"
  exit 1
fi
rmdir "$CRASH_DIR"/* "$CRASH_DIR" 2>/dev/null || true
echo "no crashes"
