#pragma once

// JSON Web Tokens (RFC 7519) in JWS compact serialization (RFC 7515): parsing,
// signature verification with OpenSSL EVP, and the time checks. Pure functions
// on immutable values; thread-safe. No hand-written crypto: every signature is
// checked by EVP_DigestVerify.
//
// Accepted algorithms: RS256/384/512, PS256/384/512, ES256/384. Refused at
// parse time: `alg: none`, every HMAC algorithm (HS*: a gateway holds public
// keys only, and a public key used as an HMAC secret is the classic forgery),
// anything else, and a `crit` header (this gateway understands no extension).
// Error messages never contain the token or any part of it.
//
// Example:
//   absl::StatusOr<Jwt> jwt = parseJwt(bearer);
//   if (!jwt.ok()) return reject(jwt.status());
//   const Jwk* key = key_set.find(jwt->kid);
//   if (key == nullptr) return reject("unknown kid");
//   if (absl::Status s = verifySignature(*jwt, *key); !s.ok()) return reject(s);
//   if (absl::Status s = checkTimes(*jwt, now_seconds, std::chrono::milliseconds(5000));
//       !s.ok()) return reject(s);

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gateway/http/auth_identity.h"

namespace gw::filters::jwt_authn {

class Jwk;

enum class JwsAlg { RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 };

// "RS256" for JwsAlg::RS256 and so on.
std::string_view algName(JwsAlg alg);
// The algorithm for a JOSE name, or nullopt when it is not one accepted here.
std::optional<JwsAlg> algFromName(std::string_view name);

// Longest token accepted (header, payload and signature together).
inline constexpr size_t kMaxTokenLength = 16 * 1024;

// A parsed, not yet verified token.
struct Jwt {
  JwsAlg alg = JwsAlg::RS256;
  std::string kid;  // empty when the header has none
  // Registered claims (RFC 7519 4.1), empty / nullopt when absent.
  std::string issuer;
  std::string subject;
  std::string jti;
  std::vector<std::string> audiences;  // `aud` as a string or an array of strings
  std::optional<int64_t> expires_at;   // seconds since the epoch
  std::optional<int64_t> not_before;
  std::optional<int64_t> issued_at;
  nlohmann::json claims;          // the whole payload (an object)
  std::string signing_input;      // "<header>.<payload>" exactly as received
  std::string signature;          // decoded signature bytes
  std::string signature_segment;  // the third segment as received (revocation lists use it)
};

// Splits, decodes and checks the structure of a compact JWS. The claims'
// types are checked (exp/nbf/iat numeric, iss/sub/jti strings, aud a string
// or strings); their values are not: see checkTimes() and the caller.
absl::StatusOr<Jwt> parseJwt(std::string_view token);

// Checks the signature of `jwt` with `key`: the key type and curve must fit
// the algorithm, and a key that names its own `alg` must name the token's.
absl::Status verifySignature(const Jwt& jwt, const Jwk& key);

// exp, nbf and iat against `now_seconds`, each allowed `skew` of clock
// difference ([keyManager] timestampSkew). A token without exp is accepted
// here; requiring it is the caller's policy.
absl::Status checkTimes(const Jwt& jwt, int64_t now_seconds, std::chrono::milliseconds skew);

// Strict base64url without padding (RFC 7515 2): nullopt on any other byte,
// on a length that cannot be base64, or on non-zero bits after the last byte.
std::optional<std::string> base64UrlDecode(std::string_view in);
std::string base64UrlEncode(std::string_view in);

// Who WSO2 claims name (gateway/http/auth_identity.h): `sub` (else
// `username`), `application` {id, name, tier, owner} (else `azp`, else
// `client_id`, as the id), `keytype`, `subscribedAPIs`. Used for JWTs, API
// keys and introspection answers; claims of the wrong type are skipped.
http::AuthIdentity identityFromClaims(const nlohmann::json& claims);

}  // namespace gw::filters::jwt_authn
