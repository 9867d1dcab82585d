#include "gateway/tls/client_session_cache.h"

namespace gw::tls {
namespace {

void freeKey(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(ptr);
}

// Process-wide ex_data slots: the cache on the SSL_CTX, the key on each SSL.
int ctxIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}
int sslIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, freeKey);
  return index;
}

}  // namespace

ClientSessionCache::ClientSessionCache(SSL_CTX* ctx) : ctx_(ctx) {
  if (ctx_ == nullptr) return;
  SSL_CTX_set_ex_data(ctx_, ctxIndex(), this);
  SSL_CTX_sess_set_new_cb(ctx_, &ClientSessionCache::onNewSession);
}

ClientSessionCache::~ClientSessionCache() {
  if (ctx_ == nullptr) return;
  SSL_CTX_sess_set_new_cb(ctx_, nullptr);
  SSL_CTX_set_ex_data(ctx_, ctxIndex(), nullptr);
}

void ClientSessionCache::attach(SSL* ssl, const std::string& key) {
  SSL_set_ex_data(ssl, sslIndex(), new std::string(key));
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return;
  if (SSL_SESSION_is_resumable(it->second.get()) != 1) {
    sessions_.erase(it);
    return;
  }
  SSL_set_session(ssl, it->second.get());  // takes its own reference
}

void ClientSessionCache::forget(const std::string& key) { sessions_.erase(key); }

int ClientSessionCache::onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self =
      static_cast<ClientSessionCache*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctxIndex()));
  auto* key = static_cast<std::string*>(SSL_get_ex_data(ssl, sslIndex()));
  if (self == nullptr || key == nullptr) return 0;  // 0: OpenSSL keeps ownership
  // A copy: OpenSSL marks `session` itself not resumable when its connection
  // is freed without a close_notify (a pooled connection closed on idle).
  SessionPtr copy(SSL_SESSION_dup(session));
  if (!copy) return 0;
  if (self->sessions_.size() >= kMaxEntries && self->sessions_.count(*key) == 0) {
    self->sessions_.clear();
  }
  self->sessions_[*key] = std::move(copy);
  return 0;
}

}  // namespace gw::tls
