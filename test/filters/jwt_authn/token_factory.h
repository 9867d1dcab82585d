#pragma once

// Test keys and tokens made in-process with OpenSSL (independent of the code
// under test): key pairs, their JWK and PEM forms, and signed compact JWS.

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace gw::filters::jwt_authn::testing {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using KeyPair = std::shared_ptr<EVP_PKEY>;

KeyPair rsaKey(int bits = 2048);
KeyPair ecKey(const char* curve);  // "P-256" or "P-384"

// The public JWK of `key` ({"kty","kid",...}), without `alg` unless given.
nlohmann::json publicJwk(const KeyPair& key, const std::string& kid, const std::string& alg = "");
// The public key as PEM ("BEGIN PUBLIC KEY").
std::string publicPem(const KeyPair& key);
// A self-signed certificate for `key`, PEM.
std::string certificatePem(const KeyPair& key);

// "<b64url(header)>.<b64url(payload)>.<b64url(signature)>" where the signature
// is made with `key` per `alg` (RS*, PS*, ES*; "none" gives an empty one;
// "HS256" signs with `hmac_secret`).
std::string sign(const nlohmann::json& header, const nlohmann::json& payload, const KeyPair& key,
                 const std::string& hmac_secret = "");

}  // namespace gw::filters::jwt_authn::testing
