#include "filters/jwt_authn/jwk.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "gateway/common/strcat.h"

namespace gw::filters::jwt_authn {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct ParamBldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

absl::Status bad(std::string_view why) { return absl::InvalidArgumentError(std::string(why)); }

// A base64url member of the JWK, decoded.
absl::StatusOr<std::string> member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return bad(gw::cat("the key has no `", name, "` string"));
  }
  std::optional<std::string> raw = base64UrlDecode(it->get<std::string>());
  if (!raw || raw->empty()) return bad(gw::cat("the key's `", name, "` is not base64url"));
  return *raw;
}

// Builds a public EVP_PKEY of `type` ("RSA" or "EC") from OSSL_PARAMs.
absl::StatusOr<std::shared_ptr<EVP_PKEY>> fromParams(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return bad(gw::cat("the ", type, " key parameters are not a valid public key"));
  }
  return std::shared_ptr<EVP_PKEY>(pkey, EvpPkeyDeleter());
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> rsaKey(const nlohmann::json& jwk) {
  absl::StatusOr<std::string> n = member(jwk, "n");
  if (!n.ok()) return n.status();
  absl::StatusOr<std::string> e = member(jwk, "e");
  if (!e.ok()) return e.status();
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), n->size(), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), e->size(), nullptr));
  if (!bn_n || !bn_e) return absl::InternalError("out of memory reading an RSA key");
  if (BN_num_bits(bn_n.get()) < kMinRsaBits) {
    return bad(gw::cat("the RSA key has ", BN_num_bits(bn_n.get()), " bits; at least ", kMinRsaBits,
                       " are required"));
  }
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return absl::InternalError("out of memory reading an RSA key");
  }
  return fromParams("RSA", bld.get());
}

absl::StatusOr<std::shared_ptr<EVP_PKEY>> ecKey(const nlohmann::json& jwk, std::string& curve) {
  auto crv = jwk.find("crv");
  if (crv == jwk.end() || !crv->is_string()) return bad("the EC key has no `crv`");
  curve = crv->get<std::string>();
  size_t size = curve == "P-256" ? 32 : curve == "P-384" ? 48 : 0;
  if (size == 0) return bad("the EC key's curve is not P-256 or P-384");
  absl::StatusOr<std::string> x = member(jwk, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = member(jwk, "y");
  if (!y.ok()) return y.status();
  if (x->size() != size || y->size() != size) {
    return bad(gw::cat("the EC key's coordinates are not ", size, " bytes as ", curve, " needs"));
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point; decoding checks the curve
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.c_str(), 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return absl::InternalError("out of memory reading an EC key");
  }
  return fromParams("EC", bld.get());
}

// Type and curve of a key loaded from PEM; RSA keys below kMinRsaBits are refused.
absl::Status describePem(EVP_PKEY* pkey, Jwk::Type& type, std::string& curve) {
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < kMinRsaBits) {
      return bad(gw::cat("the RSA key has ", EVP_PKEY_get_bits(pkey), " bits; at least ",
                         kMinRsaBits, " are required"));
    }
    type = Jwk::Type::Rsa;
    return absl::OkStatus();
  }
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char name[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                       &len) != 1) {
      return bad("the EC key's curve cannot be read");
    }
    std::string_view group(name, len);
    if (group == "prime256v1" || group == "P-256") {
      curve = "P-256";
    } else if (group == "secp384r1" || group == "P-384") {
      curve = "P-384";
    } else {
      return bad("the EC key's curve is not P-256 or P-384");
    }
    type = Jwk::Type::Ec;
    return absl::OkStatus();
  }
  return bad("the key is neither RSA nor EC");
}

}  // namespace

absl::StatusOr<Jwk> Jwk::fromJson(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return bad("the key is not a JSON object");
  std::string kid;
  if (auto it = jwk.find("kid"); it != jwk.end()) {
    if (!it->is_string()) return bad("the key's `kid` is not a string");
    kid = it->get<std::string>();
  }
  std::optional<JwsAlg> alg;
  if (auto it = jwk.find("alg"); it != jwk.end()) {
    if (!it->is_string()) return bad("the key's `alg` is not a string");
    alg = algFromName(it->get<std::string>());
    if (!alg) return bad("the key's `alg` is not one this gateway verifies");
  }
  for (const char* priv : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (jwk.contains(priv))
      return bad("the key carries private parameters; publish public keys only");
  }
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return bad("the key has no `kty`");
  std::string curve;
  absl::StatusOr<std::shared_ptr<EVP_PKEY>> pkey;
  Type type;
  if (*kty == "RSA") {
    type = Type::Rsa;
    pkey = rsaKey(jwk);
  } else if (*kty == "EC") {
    type = Type::Ec;
    pkey = ecKey(jwk, curve);
  } else {
    return bad("the key type (`kty`) is not RSA or EC");
  }
  if (!pkey.ok()) return pkey.status();
  return Jwk(std::move(kid), type, std::move(curve), alg, std::move(*pkey));
}

absl::StatusOr<Jwk> Jwk::fromPem(std::string_view pem, std::string kid) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return absl::InternalError("out of memory reading a PEM key");
  EVP_PKEY* raw = nullptr;
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    std::unique_ptr<X509, X509Deleter> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert) raw = X509_get_pubkey(cert.get());
  } else {
    raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  }
  if (raw == nullptr) return bad("not a PEM public key (BEGIN PUBLIC KEY) or certificate");
  std::shared_ptr<EVP_PKEY> pkey(raw, EvpPkeyDeleter());
  Type type = Type::Rsa;
  std::string curve;
  if (absl::Status s = describePem(raw, type, curve); !s.ok()) return s;
  return Jwk(std::move(kid), type, std::move(curve), std::nullopt, std::move(pkey));
}

absl::StatusOr<JwkSet> JwkSet::parse(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("the key set is not a JSON object");
  auto keys = doc.find("keys");
  if (keys == doc.end() || !keys->is_array()) return bad("the key set has no `keys` array");
  JwkSet set;
  size_t index = 0;
  for (const nlohmann::json& k : *keys) {
    std::string where = gw::cat("keys[", index++, "]");
    if (k.is_object()) {
      if (auto kid = k.find("kid"); kid != k.end() && kid->is_string()) {
        gw::catAppend(&where, " (kid '", kid->get<std::string>(), "')");
      }
      if (auto use = k.find("use"); use != k.end() && *use != "sig") {
        set.skipped_.push_back(gw::cat(where, ": not a signing key (`use` is not \"sig\")"));
        continue;
      }
    }
    absl::StatusOr<Jwk> key = Jwk::fromJson(k);
    if (!key.ok()) {
      set.skipped_.push_back(gw::cat(where, ": ", key.status().message()));
      continue;
    }
    set.keys_.push_back(std::move(*key));
  }
  if (set.keys_.empty()) {
    return bad(set.skipped_.empty() ? std::string("the key set is empty")
                                    : gw::cat("no usable key in the set; ", set.skipped_.front()));
  }
  return set;
}

const Jwk* JwkSet::find(std::string_view kid) const {
  if (kid.empty()) return keys_.size() == 1 ? &keys_.front() : nullptr;
  for (const Jwk& k : keys_) {
    if (k.kid() == kid) return &k;
  }
  return nullptr;
}

}  // namespace gw::filters::jwt_authn
