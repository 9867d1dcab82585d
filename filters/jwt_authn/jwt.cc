#include "filters/jwt_authn/jwt.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <array>
#include <cmath>
#include <memory>

#include "filters/jwt_authn/jwk.h"
#include "gateway/common/strcat.h"

namespace gw::filters::jwt_authn {
namespace {

struct AlgInfo {
  JwsAlg alg;
  std::string_view name;
};
constexpr std::array<AlgInfo, 8> kAlgs = {{{JwsAlg::RS256, "RS256"},
                                           {JwsAlg::RS384, "RS384"},
                                           {JwsAlg::RS512, "RS512"},
                                           {JwsAlg::PS256, "PS256"},
                                           {JwsAlg::PS384, "PS384"},
                                           {JwsAlg::PS512, "PS512"},
                                           {JwsAlg::ES256, "ES256"},
                                           {JwsAlg::ES384, "ES384"}}};

absl::Status invalid(std::string_view why) { return absl::UnauthenticatedError(std::string(why)); }

int decodeChar(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

const EVP_MD* digestFor(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::RS256:
    case JwsAlg::PS256:
    case JwsAlg::ES256:
      return EVP_sha256();
    case JwsAlg::RS384:
    case JwsAlg::PS384:
    case JwsAlg::ES384:
      return EVP_sha384();
    case JwsAlg::RS512:
    case JwsAlg::PS512:
      return EVP_sha512();
  }
  return nullptr;
}

bool isPss(JwsAlg a) { return a == JwsAlg::PS256 || a == JwsAlg::PS384 || a == JwsAlg::PS512; }
bool isEc(JwsAlg a) { return a == JwsAlg::ES256 || a == JwsAlg::ES384; }

// Decodes one segment into a JSON object.
absl::StatusOr<nlohmann::json> decodeObject(std::string_view segment, std::string_view what) {
  std::optional<std::string> raw = base64UrlDecode(segment);
  if (!raw) return invalid(gw::cat("the token's ", what, " is not base64url"));
  nlohmann::json j = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return invalid(gw::cat("the token's ", what, " is not a JSON object"));
  }
  return j;
}

absl::Status readHeader(const nlohmann::json& header, Jwt& jwt) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return invalid("the token has no `alg`");
  std::string name = alg->get<std::string>();
  std::optional<JwsAlg> known = algFromName(name);
  if (!known) {
    if (name == "none") return invalid("unsigned tokens (`alg: none`) are refused");
    if (name.rfind("HS", 0) == 0) {
      return invalid(
          "HMAC-signed tokens (HS*) are refused: this gateway verifies with public "
          "keys only");
    }
    return invalid("the token's `alg` is not one of RS256/384/512, PS256/384/512, ES256/384");
  }
  jwt.alg = *known;
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return invalid("the token's `kid` is not a string");
    jwt.kid = kid->get<std::string>();
  }
  if (header.contains("crit")) {
    return invalid(
        "the token's header lists critical extensions (`crit`) this gateway does not "
        "understand");
  }
  return absl::OkStatus();
}

absl::Status readString(const nlohmann::json& claims, const char* name, std::string& out) {
  auto it = claims.find(name);
  if (it == claims.end()) return absl::OkStatus();
  if (!it->is_string()) return invalid(gw::cat("the claim `", name, "` is not a string"));
  out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status readTime(const nlohmann::json& claims, const char* name, std::optional<int64_t>& out) {
  auto it = claims.find(name);
  if (it == claims.end()) return absl::OkStatus();
  if (!it->is_number()) return invalid(gw::cat("the claim `", name, "` is not a number"));
  double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || v > 1e15) {
    return invalid(gw::cat("the claim `", name, "` is out of range"));
  }
  out = static_cast<int64_t>(std::floor(v));
  return absl::OkStatus();
}

absl::Status readClaims(Jwt& jwt) {
  const nlohmann::json& c = jwt.claims;
  if (absl::Status s = readString(c, "iss", jwt.issuer); !s.ok()) return s;
  if (absl::Status s = readString(c, "sub", jwt.subject); !s.ok()) return s;
  if (absl::Status s = readString(c, "jti", jwt.jti); !s.ok()) return s;
  if (absl::Status s = readTime(c, "exp", jwt.expires_at); !s.ok()) return s;
  if (absl::Status s = readTime(c, "nbf", jwt.not_before); !s.ok()) return s;
  if (absl::Status s = readTime(c, "iat", jwt.issued_at); !s.ok()) return s;
  if (auto aud = c.find("aud"); aud != c.end()) {
    if (aud->is_string()) {
      jwt.audiences.push_back(aud->get<std::string>());
    } else if (aud->is_array()) {
      for (const nlohmann::json& a : *aud) {
        if (!a.is_string()) return invalid("the claim `aud` holds a value that is not a string");
        jwt.audiences.push_back(a.get<std::string>());
      }
    } else {
      return invalid("the claim `aud` is neither a string nor an array of strings");
    }
  }
  return absl::OkStatus();
}

struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// JWS carries ECDSA signatures as R || S of fixed size (RFC 7518 3.4); EVP
// wants DER. Empty on a wrong length.
std::string ecdsaRawToDer(std::string_view raw, size_t coordinate_size) {
  if (raw.size() != 2 * coordinate_size) return {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(coordinate_size), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + coordinate_size, static_cast<int>(coordinate_size), nullptr);
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), len);
  OPENSSL_free(der);
  return out;
}

absl::Status keyFits(JwsAlg alg, const Jwk& key) {
  if (key.alg() && *key.alg() != alg) {
    return invalid(gw::cat("the key '", key.kid(), "' is for ", algName(*key.alg()),
                           ", the token says ", algName(alg)));
  }
  if (isEc(alg)) {
    std::string_view want = alg == JwsAlg::ES256 ? "P-256" : "P-384";
    if (key.type() != Jwk::Type::Ec || key.curve() != want) {
      return invalid(gw::cat("the key '", key.kid(), "' is not an EC ", want, " key as ",
                             algName(alg), " needs"));
    }
  } else if (key.type() != Jwk::Type::Rsa) {
    return invalid(
        gw::cat("the key '", key.kid(), "' is not an RSA key as ", algName(alg), " needs"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view algName(JwsAlg alg) {
  for (const AlgInfo& a : kAlgs) {
    if (a.alg == alg) return a.name;
  }
  return "?";
}

std::optional<JwsAlg> algFromName(std::string_view name) {
  for (const AlgInfo& a : kAlgs) {
    if (a.name == name) return a.alg;
  }
  return std::nullopt;
}

std::optional<std::string> base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    int v = decodeChar(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero: one text, one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string base64UrlEncode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

absl::StatusOr<Jwt> parseJwt(std::string_view token) {
  if (token.empty()) return invalid("the token is empty");
  if (token.size() > kMaxTokenLength) {
    return invalid(gw::cat("the token is longer than ", kMaxTokenLength, " bytes"));
  }
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return invalid("the token is not a JWS in compact form (three dot-separated parts)");
  }
  Jwt jwt;
  absl::StatusOr<nlohmann::json> header = decodeObject(token.substr(0, dot1), "header");
  if (!header.ok()) return header.status();
  if (absl::Status s = readHeader(*header, jwt); !s.ok()) return s;
  absl::StatusOr<nlohmann::json> claims =
      decodeObject(token.substr(dot1 + 1, dot2 - dot1 - 1), "payload");
  if (!claims.ok()) return claims.status();
  jwt.claims = std::move(*claims);
  if (absl::Status s = readClaims(jwt); !s.ok()) return s;
  std::string_view sig = token.substr(dot2 + 1);
  std::optional<std::string> signature = base64UrlDecode(sig);
  if (!signature || signature->empty())
    return invalid("the token's signature is missing or not base64url");
  jwt.signature = std::move(*signature);
  jwt.signature_segment = std::string(sig);
  jwt.signing_input = std::string(token.substr(0, dot2));
  return jwt;
}

absl::Status verifySignature(const Jwt& jwt, const Jwk& key) {
  if (absl::Status s = keyFits(jwt.alg, key); !s.ok()) return s;
  std::string der;
  std::string_view signature = jwt.signature;
  if (isEc(jwt.alg)) {
    der = ecdsaRawToDer(jwt.signature, jwt.alg == JwsAlg::ES256 ? 32 : 48);
    if (der.empty()) return invalid("the token's ECDSA signature has the wrong length");
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by `md`
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, digestFor(jwt.alg), nullptr, key.pkey()) != 1) {
    return absl::InternalError("cannot set up signature verification (OpenSSL)");
  }
  if (isPss(jwt.alg) && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return absl::InternalError("cannot set up RSA-PSS verification (OpenSSL)");
  }
  int ok = EVP_DigestVerify(
      md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(jwt.signing_input.data()), jwt.signing_input.size());
  if (ok != 1) return invalid("the token's signature does not verify");
  return absl::OkStatus();
}

absl::Status checkTimes(const Jwt& jwt, int64_t now_seconds, std::chrono::milliseconds skew) {
  // Compare in milliseconds so that a sub-second skew still counts.
  int64_t now_ms = now_seconds * 1000;
  int64_t skew_ms = skew.count();
  if (jwt.expires_at && now_ms - skew_ms >= *jwt.expires_at * 1000) {
    return invalid("the token has expired");
  }
  if (jwt.not_before && now_ms + skew_ms < *jwt.not_before * 1000) {
    return invalid("the token is not valid yet (nbf)");
  }
  if (jwt.issued_at && now_ms + skew_ms < *jwt.issued_at * 1000) {
    return invalid("the token was issued in the future (iat)");
  }
  return absl::OkStatus();
}

namespace {

std::string stringClaim(const nlohmann::json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

}  // namespace

http::AuthIdentity identityFromClaims(const nlohmann::json& claims) {
  http::AuthIdentity out;
  if (!claims.is_object()) return out;
  out.subject = stringClaim(claims, "sub");
  if (out.subject.empty()) out.subject = stringClaim(claims, "username");
  auto app = claims.find("application");
  if (app != claims.end() && app->is_object()) {
    out.application_id = stringClaim(*app, "id");
    out.application_name = stringClaim(*app, "name");
    out.application_tier = stringClaim(*app, "tier");
    out.application_owner = stringClaim(*app, "owner");
  }
  if (out.application_id.empty()) out.application_id = stringClaim(claims, "azp");
  if (out.application_id.empty()) out.application_id = stringClaim(claims, "client_id");
  out.key_type = stringClaim(claims, "keytype");
  auto subs = claims.find("subscribedAPIs");
  if (subs != claims.end() && subs->is_array()) {
    for (const nlohmann::json& s : *subs) {
      if (!s.is_object()) continue;
      out.subscriptions.push_back(
          {stringClaim(s, "name"), stringClaim(s, "version"), stringClaim(s, "subscriptionTier")});
    }
  }
  return out;
}

}  // namespace gw::filters::jwt_authn
