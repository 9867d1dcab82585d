#include "gateway/server/tls_accept.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "gateway/common/log.h"
#include "gateway/tls/openssl_ptr.h"

namespace gw::server {
namespace {

std::string certificatePem(X509* cert) {
  tls::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace

PendingTlsConnection::PendingTlsConnection(event::Dispatcher& dispatcher, SSL_CTX* ctx,
                                           evutil_socket_t fd, std::string peer,
                                           tls::HandshakeLogLimiter& limiter, Done done)
    : dispatcher_(dispatcher),
      ctx_(ctx),
      fd_(fd),
      peer_(std::move(peer)),
      limiter_(limiter),
      done_(std::move(done)) {}

PendingTlsConnection::~PendingTlsConnection() { abort(); }

bool PendingTlsConnection::start(std::chrono::milliseconds timeout) {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) {
    ERR_clear_error();
    evutil_closesocket(fd_);
    GW_LOG_ERROR("client ", peer_, ": cannot create TLS state (out of memory?); closed");
    return false;
  }
  // From here the bufferevent owns the SSL and the socket.
  bev_ = bufferevent_openssl_socket_new(dispatcher_.base(), fd_, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                        BEV_OPT_CLOSE_ON_FREE);
  if (bev_ == nullptr) {
    SSL_free(ssl);
    evutil_closesocket(fd_);
    return false;
  }
  // A client that closes without close_notify ends the stream; it is no error.
  bufferevent_openssl_set_allow_dirty_shutdown(bev_, 1);
  bufferevent_setcb(bev_, nullptr, nullptr, &onEventCb, this);
  // Reading drives the handshake; bytes after it wait in the input for the codec.
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  timeout_ms_ = timeout;
  timeout_ = dispatcher_.createTimer([this] {
    fail("the client did not finish the TLS handshake within " +
             std::to_string(timeout_ms_.count()) +
             " ms (listenerConfig.tlsHandshakeTimeoutInMillis)",
         false);
  });
  timeout_->enable(timeout);
  return true;
}

void PendingTlsConnection::abort() {
  if (timeout_) timeout_->disable();
  if (bev_ == nullptr) return;
  bufferevent_setcb(bev_, nullptr, nullptr, nullptr, nullptr);
  bufferevent_free(bev_);
  bev_ = nullptr;
}

void PendingTlsConnection::onEventCb(bufferevent*, short events, void* arg) {
  static_cast<PendingTlsConnection*>(arg)->onEvent(events);
}

DownstreamTransport PendingTlsConnection::negotiated() const {
  SSL* ssl = bufferevent_openssl_get_ssl(bev_);
  DownstreamTransport t;
  t.tls = true;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  if (alpn != nullptr) t.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) t.sni = sni;
  if (X509* cert = SSL_get0_peer_certificate(ssl)) {
    t.client_cert_pem = certificatePem(cert);
    t.client_cert_verified = SSL_get_verify_result(ssl) == X509_V_OK;
  }
  return t;
}

void PendingTlsConnection::onEvent(short events) {
  if (events & BEV_EVENT_CONNECTED) {
    timeout_->disable();
    DownstreamTransport transport = negotiated();
    bufferevent* bev = bev_;
    bev_ = nullptr;
    bufferevent_setcb(bev, nullptr, nullptr, nullptr, nullptr);
    done_(*this, bev, std::move(transport));
    return;
  }
  if (events & BEV_EVENT_ERROR) {
    const unsigned long err = bufferevent_get_openssl_error(bev_);
    SSL* ssl = bufferevent_openssl_get_ssl(bev_);
    const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
    ERR_clear_error();
    fail(tls::describeHandshakeFailure(err, verify), false);
    return;
  }
  if (events & BEV_EVENT_EOF) {
    // A port check or a client giving up: not worth a warning.
    fail(tls::describeHandshakeFailure(0, X509_V_OK), true);
  }
}

void PendingTlsConnection::fail(const std::string& why, bool quiet) {
  abort();
  if (quiet) {
    GW_LOG_DEBUG("client ", peer_, ": ", why);
  } else if (limiter_.allow()) {
    GW_LOG_WARN("client ", peer_, ": TLS handshake failed: ", why, limiter_.suppressedNote());
  }
  done_(*this, nullptr, {});
}

}  // namespace gw::server
