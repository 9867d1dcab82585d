#pragma once

// Log lines for failed TLS handshakes on the listener: what went wrong in
// words an operator can act on (never key material or client data), and a
// limiter so that a scan or a flood of bad clients cannot fill the log.
// HandshakeLogLimiter is single-threaded (one per worker); the clock is a
// seam for tests.
//
// Example:
//   if (limiter.allow()) GW_LOG_WARN("client ", peer, ": ", describeHandshakeFailure(err),
//                                    limiter.suppressedNote());

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace gw::tls {

// Why a handshake failed, from OpenSSL's error code (ERR_get_error()) and the
// verify result of the client certificate (X509_V_OK when none was checked):
// "the client sent no TLS ClientHello (plain HTTP on the TLS port?)",
// "client certificate not trusted (unable to get local issuer certificate)", ...
std::string describeHandshakeFailure(unsigned long ssl_error, long verify_result);

class HandshakeLogLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit HandshakeLogLimiter(int lines_per_interval = 10,
                               std::chrono::seconds interval = std::chrono::seconds(10),
                               Clock clock = &std::chrono::steady_clock::now);

  // True when a line may be written now; false counts a suppressed one.
  bool allow();
  // " (N similar lines suppressed)" once after lines were dropped, else "".
  std::string suppressedNote();

 private:
  const int limit_;
  const std::chrono::seconds interval_;
  const Clock clock_;
  std::chrono::steady_clock::time_point window_start_{};
  int in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace gw::tls
