#include "gateway/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace gw::tls {
namespace {

// SSL_CTX ex-data slot holding a heap std::shared_ptr<TicketKeyRing>.
int ringIndex() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<TicketKeyRing>*>(ptr);
      });
  return index;
}

// Fetched once, not per ticket (EVP_aes_256_cbc() is an implicit fetch,
// with its lookups, on every EVP_EncryptInit_ex).
const EVP_CIPHER* ticketCipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher;
}

bool setMacKey(EVP_MAC_CTX* mac, TicketKeyRing::Key& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.hmac.data(), key.hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end()};
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// OpenSSL's ticket callback: 1 = sealed/opened, 2 = opened, renew it, 0 = no
// such key (full handshake), -1 = error.
int onTicket(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
             EVP_MAC_CTX* mac, int enc) {
  auto* ring = static_cast<std::shared_ptr<TicketKeyRing>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ringIndex()));
  if (ring == nullptr) return -1;
  if (enc == 1) {
    TicketKeyRing::Key key = (*ring)->current();
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
    std::memcpy(name, key.name.data(), key.name.size());
    if (EVP_EncryptInit_ex(cipher, ticketCipher(), nullptr, key.aes.data(), iv) != 1) return -1;
    return setMacKey(mac, key) ? 1 : -1;
  }
  bool renew = false;
  std::optional<TicketKeyRing::Key> key = (*ring)->find(name, renew);
  if (!key) return 0;
  if (!setMacKey(mac, *key)) return -1;
  if (EVP_DecryptInit_ex(cipher, ticketCipher(), nullptr, key->aes.data(), iv) != 1) return -1;
  return renew ? 2 : 1;
}

}  // namespace

TicketKeyRing::TicketKeyRing(std::chrono::seconds rotation, Clock clock)
    : rotation_(rotation), clock_(std::move(clock)) {
  current_ = fresh();
}

TicketKeyRing::Key TicketKeyRing::fresh() const {
  Key key;
  RAND_bytes(key.name.data(), static_cast<int>(key.name.size()));
  RAND_priv_bytes(key.aes.data(), static_cast<int>(key.aes.size()));
  RAND_priv_bytes(key.hmac.data(), static_cast<int>(key.hmac.size()));
  key.created = clock_();
  return key;
}

void TicketKeyRing::rotateIfDue() {
  const auto age = clock_() - current_.created;
  if (age < rotation_) return;
  // After a long quiet spell the current key is older than a previous key may be.
  if (age < 2 * rotation_) {
    previous_ = current_;
  } else {
    previous_.reset();
  }
  current_ = fresh();
}

TicketKeyRing::Key TicketKeyRing::current() {
  std::lock_guard<std::mutex> lock(mu_);
  rotateIfDue();
  return current_;
}

std::optional<TicketKeyRing::Key> TicketKeyRing::find(const unsigned char* name, bool& renew) {
  std::lock_guard<std::mutex> lock(mu_);
  rotateIfDue();
  renew = false;
  if (std::memcmp(name, current_.name.data(), current_.name.size()) == 0) return current_;
  if (previous_ && std::memcmp(name, previous_->name.data(), previous_->name.size()) == 0) {
    renew = true;
    return previous_;
  }
  return std::nullopt;
}

void installTicketKeys(SSL_CTX* ctx, std::shared_ptr<TicketKeyRing> ring) {
  SSL_CTX_set_ex_data(ctx, ringIndex(), new std::shared_ptr<TicketKeyRing>(std::move(ring)));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &onTicket);
}

}  // namespace gw::tls
