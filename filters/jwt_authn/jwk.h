#pragma once

// Public keys for JWT verification: a JSON Web Key Set (RFC 7517) as a key
// manager's JWKS endpoint serves it, or a PEM public key / certificate
// (WSO2's certificateAlias). Immutable after construction; a JwkSet is shared
// by all workers through a shared_ptr<const JwkSet> without locking (OpenSSL 3
// EVP_PKEY objects may be used for verification from many threads at once).
//
// Example:
//   absl::StatusOr<JwkSet> keys = JwkSet::parse(body_of_jwks_endpoint);
//   if (!keys.ok()) GW_LOG_WARN("jwks ", url, ": ", keys.status().message());
//   const Jwk* key = keys->find(jwt.kid);

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "filters/jwt_authn/jwt.h"

namespace gw::filters::jwt_authn {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

// Smallest RSA modulus accepted, in bits (NIST SP 800-131A).
inline constexpr int kMinRsaBits = 2048;

// One public key.
class Jwk {
 public:
  enum class Type { Rsa, Ec };

  // From a JWK object (already parsed JSON). Only public parameters are read;
  // a JWK that carries private ones is refused (it should never be published).
  static absl::StatusOr<Jwk> fromJson(const nlohmann::json& jwk);
  // From PEM text: a SubjectPublicKeyInfo ("PUBLIC KEY") or a certificate.
  static absl::StatusOr<Jwk> fromPem(std::string_view pem, std::string kid);

  const std::string& kid() const { return kid_; }
  Type type() const { return type_; }
  // Named curve for EC keys ("P-256", "P-384"); empty for RSA.
  const std::string& curve() const { return curve_; }
  // The algorithm the key is restricted to (its `alg` member), if any.
  std::optional<JwsAlg> alg() const { return alg_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  Jwk(std::string kid, Type type, std::string curve, std::optional<JwsAlg> alg,
      std::shared_ptr<EVP_PKEY> pkey)
      : kid_(std::move(kid)),
        type_(type),
        curve_(std::move(curve)),
        alg_(alg),
        pkey_(std::move(pkey)) {}

  std::string kid_;
  Type type_;
  std::string curve_;
  std::optional<JwsAlg> alg_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

class JwkSet {
 public:
  // Parses {"keys": [...]}. Keys for encryption (`use: enc`), of types other
  // than RSA and EC, or otherwise unusable are skipped and listed in
  // skipped(); the set is an error only when the document is malformed or no
  // key is usable.
  static absl::StatusOr<JwkSet> parse(std::string_view json);

  JwkSet() = default;
  explicit JwkSet(std::vector<Jwk> keys) : keys_(std::move(keys)) {}

  // The key with this kid. An empty kid matches only when the set holds
  // exactly one key (a token without kid and a single-key issuer).
  const Jwk* find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }
  // One line per skipped key: its index or kid and why (no key material).
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  std::vector<Jwk> keys_;
  std::vector<std::string> skipped_;
};

}  // namespace gw::filters::jwt_authn
