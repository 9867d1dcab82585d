// Fuzzes the configuration loaders (conf/loader.h): micro-gw.conf (TOML), an
// API definition (OpenAPI YAML) and the filter chain (YAML).
//
// Input layout: "<toml>\0<api yaml>\0<filters yaml>"; a missing part is empty.
// The input size modulo 3 picks the environment: empty, a valid HTTPS_PROXY
// with credentials, or a malformed one.
//
// Invariants (a violation is __builtin_trap(); an escaping exception aborts):
//  - no loader crashes or throws;
//  - no error message contains a password: neither the environment's, nor
//    the value of a `password = "..."` (or mistyped `password: "..."`) key in
//    the TOML part (checked against the TOML loader's message) or of a `password: ...` key in the
//    API part (against the API loader's). A value under 4 bytes, or found elsewhere in the input
//    too, is not checked; one that also occurs in the message's fixed text is told apart by loading
//    the input again with the value replaced.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "conf/loader.h"
#include "test/fuzz/fuzz_support.h"

namespace {

using gw::conf::Environment;

constexpr const char kEnvSecret[] = "EnvS3cretPw";

Environment environment(size_t variant) {
  switch (variant % 3) {
    case 1:
      return Environment::fromMap(
          {{"HTTPS_PROXY", std::string("http://gw:") + kEnvSecret + "@proxy.example.com:3128"},
           {"NO_PROXY", "localhost,.internal"},
           {"PROXY_PASS", kEnvSecret}});
    case 2:
      return Environment::fromMap(
          {{"HTTP_PROXY", std::string("ftp://gw:") + kEnvSecret + "@[bad/x?y"},
           {"PROXY_PASS", kEnvSecret}});
    default:
      return Environment::fromMap({});
  }
}

bool isIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Finds the value of a `password` key: TOML `password = "v"` / `'v'` (and the
// YAML habit `password: "v"`, a syntax error that must not show the value
// either), YAML `password: v` / `"v"` / `'v'`. `assign` lists the accepted
// separators. Returns false when there is none.
bool findPassword(std::string_view in, std::string_view assign, size_t* begin, size_t* len) {
  for (size_t at = in.find("password"); at != std::string_view::npos;
       at = in.find("password", at + 1)) {
    if (at > 0 && isIdentChar(in[at - 1])) continue;
    size_t i = at + 8;
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t')) ++i;
    if (i >= in.size() || assign.find(in[i]) == std::string_view::npos) continue;
    ++i;
    while (i < in.size() && (in[i] == ' ' || in[i] == '\t')) ++i;
    if (i >= in.size()) return false;
    if (in[i] == '"' || in[i] == '\'') {
      const char q = in[i];
      size_t end = in.find_first_of(std::string(1, q) + "\\\n", i + 1);
      if (end == std::string_view::npos || in[end] != q) continue;
      *begin = i + 1;
      *len = end - i - 1;
      return true;
    }
    size_t end = in.find_first_of("\r\n#\"'\\", i);
    if (end == std::string_view::npos) end = in.size();
    while (end > i && (in[end - 1] == ' ' || in[end - 1] == '\t')) --end;
    *begin = i;
    *len = end - i;
    return true;
  }
  return false;
}

// Reading passwordFile is real file I/O: keep the fuzzer away from endless
// or blocking files (/dev/zero, /proc/self/fd/0) and from escape sequences
// that could spell them.
bool mayReadDangerousFile(std::string_view in) {
  if (in.find("passwordFile") == std::string_view::npos) return false;
  return in.find("dev") != std::string_view::npos || in.find("proc") != std::string_view::npos ||
         in.find('\\') != std::string_view::npos || in.find("fd") != std::string_view::npos;
}

struct Parts {
  std::string_view text[3];  // TOML, API YAML, filter chain YAML
  size_t offset[3] = {0, 0, 0};
};

Parts split(std::string_view input) {
  Parts p;
  size_t at = 0;
  for (int i = 0; i < 3; ++i) {
    const size_t sep = i == 2 ? std::string_view::npos : input.find('\0', at);
    p.offset[i] = std::min(at, input.size());
    p.text[i] = input.substr(p.offset[i], sep == std::string_view::npos ? input.npos : sep - at);
    if (sep == std::string_view::npos) break;
    at = sep + 1;
  }
  return p;
}

// The error message of each loader for `input` ("" when it succeeded).
std::array<std::string, 3> loadAll(std::string_view input, const Environment& env) {
  const Parts p = split(input);
  std::array<std::string, 3> errors;
  auto config = gw::conf::loadConfigFromString(p.text[0], "/nonexistent-fuzz/micro-gw.conf", env);
  if (!config.ok()) errors[0] = std::string(config.status().message());
  auto api = gw::conf::loadApiFromString(p.text[1], "/nonexistent-fuzz/api.yaml", env);
  if (!api.ok()) errors[1] = std::string(api.status().message());
  auto chain = gw::conf::loadFilterChainFromString(p.text[2], "/nonexistent-fuzz/filters.yaml");
  if (!chain.ok()) errors[2] = std::string(chain.status().message());
  return errors;
}

// Checks that the message of loader `part` does not show the value of the
// part's password key.
void checkPassword(std::string_view input, const Environment& env,
                   const std::array<std::string, 3>& errors, int part, std::string_view assign) {
  const Parts p = split(input);
  size_t begin = 0, len = 0;
  if (!findPassword(p.text[part], assign, &begin, &len) || len < 4) return;
  begin += p.offset[part];
  const std::string_view password = input.substr(begin, len);
  if (input.find(password) != begin || input.find(password, begin + 1) != std::string_view::npos) {
    return;  // the value also occurs elsewhere in the input
  }
  if (errors[part].find(password) == std::string::npos) return;
#ifdef FUZZ_MASK_KNOWN_BUGS
  // Masks for known bugs while fuzzing past them. Both below are fixed now
  // (reproducers in corpus/config_fuzz/repro_*); kept as the pattern.
  // cpptoml's "Bare key ... cannot contain whitespace" quoted the line.
  if (errors[part].find("Bare key") != std::string::npos) return;
  // Known: a value echoed in an error (e.g. x-wso2-basePath) that, through an
  // unclosed quote, swallowed the lines after it, password line included.
  if (errors[part].find("password: ") != std::string::npos ||
      errors[part].find("password = ") != std::string::npos) {
    return;
  }
#endif
  // The message contains the value: a leak, unless it is the message's own
  // text. Load again with a different value of the same length and see
  // whether the message follows it.
  static constexpr char kAlphabet[] = "ZqXjKvWzQx";
  std::string other(input);
  for (size_t i = 0; i < len; ++i) other[begin + i] = kAlphabet[i % 10];
  const std::array<std::string, 3> other_errors = loadAll(other, env);
  FUZZ_CHECK(other_errors[part].find(other.substr(begin, len)) == std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (mayReadDangerousFile(input)) return 0;
  const Environment env = environment(size);

  const std::array<std::string, 3> errors = loadAll(input, env);
  if (input.find(kEnvSecret) == std::string_view::npos) {
    for (const std::string& e : errors) FUZZ_CHECK(e.find(kEnvSecret) == std::string::npos);
  }
  checkPassword(input, env, errors, 0, "=:");
  checkPassword(input, env, errors, 1, ":");
  return 0;
}
