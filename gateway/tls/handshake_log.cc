#include "gateway/tls/handshake_log.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace gw::tls {

std::string describeHandshakeFailure(unsigned long ssl_error, long verify_result) {
  if (verify_result != X509_V_OK) {
    return absl::StrCat(
        "client certificate refused: ", X509_verify_cert_error_string(verify_result),
        " (it must chain to a CA in listenerConfig.trustStorePath)");
  }
  if (ssl_error == 0) return "the client closed the connection during the TLS handshake";
  const int reason = ERR_GET_REASON(ssl_error);
  switch (reason) {
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
      return "the client did not send a TLS ClientHello (plain HTTP or garbage on the TLS port?)";
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_UNKNOWN_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
      return "the client offers no TLS version the listener accepts "
             "(mutualSSLConfig.protocolVersions)";
    case SSL_R_NO_SHARED_CIPHER:
      return "no cipher in common with the client (mutualSSLConfig.ciphers)";
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
      return "the client sent no certificate, and mutualSSLConfig.sslVerifyClient is \"require\"";
    case SSL_R_NO_APPLICATION_PROTOCOL:
      return "no application protocol in common (ALPN): the listener speaks http/1.1";
    default:
      break;
  }
  const char* text = ERR_reason_error_string(ssl_error);
  if (reason >= SSL_AD_REASON_OFFSET) {
    return absl::StrCat("the client refused the handshake with an alert (",
                        text != nullptr ? text : "unknown",
                        "): does it trust the listener's certificate?");
  }
  return absl::StrCat("TLS error: ", text != nullptr ? text : "unknown");
}

HandshakeLogLimiter::HandshakeLogLimiter(int lines_per_interval, std::chrono::seconds interval,
                                         Clock clock)
    : limit_(lines_per_interval), interval_(interval), clock_(std::move(clock)) {}

bool HandshakeLogLimiter::allow() {
  const auto now = clock_();
  if (in_window_ == 0 || now - window_start_ >= interval_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= limit_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  return true;
}

std::string HandshakeLogLimiter::suppressedNote() {
  if (suppressed_ == 0) return "";
  std::string note = absl::StrCat(" (", suppressed_, " similar lines suppressed)");
  suppressed_ = 0;
  return note;
}

}  // namespace gw::tls
