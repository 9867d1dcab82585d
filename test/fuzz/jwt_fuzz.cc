// Fuzzes JWT and JWK parsing and verification (filters/jwt_authn/jwt.h, jwk.h).
//
// Input layout: "<token>\n<JWK set JSON>" (without a newline: the whole input
// is the token and the key set is empty).
//
// Invariants (a violation is __builtin_trap()):
//  - parsing and verifying never crash, whatever the bytes;
//  - a parsed token is exactly its signing input, a dot and its signature
//    segment (nothing is normalised away before verification);
//  - base64url is canonical: a segment that decodes re-encodes to itself;
//  - an error message never contains the token's signature segment.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "filters/jwt_authn/jwk.h"
#include "filters/jwt_authn/jwt.h"
#include "test/fuzz/fuzz_support.h"

namespace {

namespace jwt = gw::filters::jwt_authn;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view token = input.substr(0, nl);
  std::string_view jwks = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  std::optional<std::string> raw = jwt::base64UrlDecode(token);
  if (raw) FUZZ_CHECK(jwt::base64UrlEncode(*raw) == token);

  absl::StatusOr<jwt::Jwt> parsed = jwt::parseJwt(token);
  if (parsed.ok()) {
    FUZZ_CHECK(parsed->signing_input + "." + parsed->signature_segment == token);
  } else if (size_t dot = token.rfind('.');
             dot != std::string_view::npos && token.size() - dot > 16) {
    // A long base64url signature segment (no fixed message word is that long
    // and free of spaces and punctuation) must not be quoted back.
    std::string_view sig = token.substr(dot + 1);
    if (jwt::base64UrlDecode(sig))
      FUZZ_CHECK(
          std::string_view(parsed.status().message().data(), parsed.status().message().size())
              .find(sig) == std::string_view::npos);
  }
  absl::StatusOr<jwt::JwkSet> keys = jwt::JwkSet::parse(jwks);
  if (parsed.ok() && keys.ok()) {
    if (const jwt::Jwk* key = keys->find(parsed->kid)) {
      (void)jwt::verifySignature(*parsed, *key);
    }
    (void)jwt::checkTimes(*parsed, 1'800'000'000, std::chrono::milliseconds(5000));
  }
  return 0;
}
