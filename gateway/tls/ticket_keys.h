#pragma once

// Session-ticket keys for the TLS listener, rotated on a schedule: new
// tickets are sealed with the current key; tickets sealed with the previous
// key still open (and are renewed); older ones fall back to a full handshake.
// One ring serves every worker and survives certificate reloads, so a client
// resumes across workers and across SIGHUP. Thread-safe (a mutex); the clock
// is a seam for tests.
//
// Example:
//   auto ring = std::make_shared<gw::tls::TicketKeyRing>(std::chrono::hours(1));
//   gw::tls::installTicketKeys(ssl_ctx, ring);  // server_context.h does this

#include <openssl/ssl.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace gw::tls {

class TicketKeyRing {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};   // AES-256-CBC
    std::array<unsigned char, 32> hmac{};  // HMAC-SHA256
    std::chrono::steady_clock::time_point created;
  };

  explicit TicketKeyRing(std::chrono::seconds rotation = std::chrono::hours(1),
                         Clock clock = &std::chrono::steady_clock::now);

  // The key that seals new tickets; rotates first when it is `rotation` old.
  Key current();
  // The key named `name` (current or previous), for opening a ticket; `renew`
  // says the ticket should be replaced by one under the current key.
  std::optional<Key> find(const unsigned char* name, bool& renew);

 private:
  Key fresh() const;
  void rotateIfDue();

  const std::chrono::seconds rotation_;
  const Clock clock_;
  std::mutex mu_;
  Key current_;
  std::optional<Key> previous_;
};

// Makes `ctx` seal and open session tickets with `ring` (kept alive by `ctx`).
void installTicketKeys(SSL_CTX* ctx, std::shared_ptr<TicketKeyRing> ring);

}  // namespace gw::tls
