#include "test/filters/jwt_authn/token_factory.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "filters/jwt_authn/jwt.h"

namespace gw::filters::jwt_authn::testing {
namespace {

std::string bnParam(EVP_PKEY* key, const char* name, size_t pad_to = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error(name);
  size_t len = pad_to ? pad_to : BN_num_bytes(bn);
  std::string out(len, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(len));
  BN_free(bn);
  return out;
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len);
  BIO_free(bio);
  return out;
}

const EVP_MD* mdFor(const std::string& alg) {
  if (alg.size() < 5) return nullptr;
  std::string bits = alg.substr(2);
  return bits == "256" ? EVP_sha256() : bits == "384" ? EVP_sha384() : EVP_sha512();
}

std::string derToRaw(const std::string& der, size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string out(2 * size, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + size, static_cast<int>(size));
  ECDSA_SIG_free(sig);
  return out;
}

std::string evpSign(const std::string& alg, EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(md, &pctx, mdFor(alg), nullptr, key);
  if (alg[0] == 'P') {
    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
  }
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(md, nullptr, &len, in, input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len, in, input.size());
  sig.resize(len);
  EVP_MD_CTX_free(md);
  if (alg[0] == 'E') return derToRaw(sig, alg == "ES256" ? 32 : 48);
  return sig;
}

}  // namespace

KeyPair rsaKey(int bits) {
  return KeyPair(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)), PkeyFree());
}

KeyPair ecKey(const char* curve) {
  return KeyPair(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve), PkeyFree());
}

nlohmann::json publicJwk(const KeyPair& key, const std::string& kid, const std::string& alg) {
  nlohmann::json j;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    j = {{"kty", "RSA"},
         {"n", base64UrlEncode(bnParam(key.get(), OSSL_PKEY_PARAM_RSA_N))},
         {"e", base64UrlEncode(bnParam(key.get(), OSSL_PKEY_PARAM_RSA_E))}};
  } else {
    size_t size = EVP_PKEY_get_bits(key.get()) == 256 ? 32 : 48;
    j = {{"kty", "EC"},
         {"crv", size == 32 ? "P-256" : "P-384"},
         {"x", base64UrlEncode(bnParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, size))},
         {"y", base64UrlEncode(bnParam(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size))}};
  }
  j["kid"] = kid;
  j["use"] = "sig";
  if (!alg.empty()) j["alg"] = alg;
  return j;
}

std::string publicPem(const KeyPair& key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key.get());
  return bioText(bio);
}

std::string certificatePem(const KeyPair& key) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key.get());
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("issuer"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key.get(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  X509_free(cert);
  return bioText(bio);
}

std::string sign(const nlohmann::json& header, const nlohmann::json& payload, const KeyPair& key,
                 const std::string& hmac_secret) {
  std::string input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(payload.dump());
  std::string alg = header.value("alg", "");
  std::string sig;
  if (alg == "none") {
    sig = "";
  } else if (alg == "HS256") {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), hmac_secret.data(), static_cast<int>(hmac_secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    sig.assign(reinterpret_cast<char*>(mac), len);
  } else if (algFromName(alg) && key) {
    sig = evpSign(alg, key.get(), input);
  } else {
    sig = "not a signature";
  }
  return input + "." + base64UrlEncode(sig);
}

}  // namespace gw::filters::jwt_authn::testing
