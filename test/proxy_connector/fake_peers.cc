#include "test/proxy_connector/fake_peers.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>

namespace gw::proxy::testing {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sin;
}

uint16_t boundPort(evutil_socket_t fd) {
  sockaddr_in sin{};
  socklen_t len = sizeof(sin);
  getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
  return ntohs(sin.sin_port);
}

std::string drain(bufferevent* bev) {
  evbuffer* in = bufferevent_get_input(bev);
  std::string s(evbuffer_get_length(in), '\0');
  evbuffer_remove(in, s.data(), s.size());
  return s;
}

}  // namespace

FakeListener::FakeListener(event_base* base) : base_(base) {
  sockaddr_in sin = loopback(0);
  listener_ = evconnlistener_new_bind(base, &FakeListener::acceptCb, this,
                                      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, -1,
                                      reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  port_ = boundPort(evconnlistener_get_fd(listener_));
}

FakeListener::~FakeListener() { evconnlistener_free(listener_); }

void FakeListener::acceptCb(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg) {
  auto* self = static_cast<FakeListener*>(arg);
  ++self->accepted_;
  self->onAccept(fd);
}

EchoServer::EchoServer(event_base* base, SSL_CTX* tls) : FakeListener(base), tls_(tls) {}

EchoServer::~EchoServer() { closeAll(); }

void EchoServer::closeAll() {
  for (bufferevent* b : conns_) bufferevent_free(b);
  conns_.clear();
}

void EchoServer::onAccept(evutil_socket_t fd) {
  bufferevent* bev =
      tls_ ? bufferevent_openssl_socket_new(base_, fd, SSL_new(tls_), BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE)
           : bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
  conns_.insert(bev);
  bufferevent_setcb(bev, &EchoServer::readCb, nullptr, &EchoServer::eventCb, this);
  bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void EchoServer::readCb(bufferevent* bev, void*) {
  bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

void EchoServer::eventCb(bufferevent* bev, short events, void* arg) {
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
    static_cast<EchoServer*>(arg)->conns_.erase(bev);
    bufferevent_free(bev);
  }
}

FakeProxy::FakeProxy(event_base* base, SSL_CTX* tls) : FakeListener(base), tls_(tls) {}

FakeProxy::~FakeProxy() {
  while (!sessions_.empty()) closeSession(sessions_.begin()->first);
}

void FakeProxy::onAccept(evutil_socket_t fd) {
  auto s = std::make_unique<Session>();
  s->proxy = this;
  s->client = tls_ ? bufferevent_openssl_socket_new(
                         base_, fd, SSL_new(tls_), BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)
                   : bufferevent_socket_new(base_, fd, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(s->client, &FakeProxy::clientReadCb, &FakeProxy::clientWriteCb,
                    &FakeProxy::eventCb, s.get());
  bufferevent_enable(s->client, EV_READ | EV_WRITE);
  sessions_[s.get()] = std::move(s);
}

void FakeProxy::closeSession(Session* s) {
  if (s->client) bufferevent_free(s->client);
  if (s->upstream) bufferevent_free(s->upstream);
  sessions_.erase(s);
}

void FakeProxy::answerAndClose(Session* s, const std::string& bytes) {
  s->close_after_write = true;
  bufferevent_write(s->client, bytes.data(), bytes.size());
}

void FakeProxy::onHead(Session* s, const std::string& head) {
  heads.push_back(head);
  s->answered = true;
  if (mode == Mode::Forward) {
    bufferevent_write(s->client, forward_response.data(), forward_response.size());
    return;
  }
  if (!required_auth.empty() &&
      head.find("\r\nProxy-Authorization: " + required_auth + "\r\n") == std::string::npos) {
    answerAndClose(s,
                   "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
                   "realm=\"fake\"\r\nContent-Length: 12\r\n\r\naccess denied");
    return;
  }
  switch (mode) {
    case Mode::Tunnel:
      startTunnel(s);
      return;
    case Mode::Reject:
      answerAndClose(s, reject_response);
      return;
    case Mode::Close:
      closeSession(s);
      return;
    case Mode::Stall:
      return;
    case Mode::Garbage:
      answerAndClose(s, "SSH-2.0-OpenSSH_9.2\r\n");
      return;
    case Mode::Forward:
      return;
  }
}

void FakeProxy::startTunnel(Session* s) {
  const std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n" + after_200;
  bufferevent_write(s->client, ok.data(), ok.size());
  s->upstream = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(s->upstream, &FakeProxy::upstreamReadCb, nullptr, &FakeProxy::eventCb, s);
  bufferevent_enable(s->upstream, EV_READ | EV_WRITE);
  sockaddr_in sin = loopback(upstream_port);
  bufferevent_socket_connect(s->upstream, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  // Bytes the client sent after its head go upstream once connected.
  bufferevent_write_buffer(s->upstream, bufferevent_get_input(s->client));
}

void FakeProxy::clientReadCb(bufferevent* bev, void* arg) {
  auto* s = static_cast<Session*>(arg);
  if (s->upstream) {
    bufferevent_write_buffer(s->upstream, bufferevent_get_input(bev));
    return;
  }
  if (s->answered) {
    if (s->proxy->mode == Mode::Forward) s->proxy->heads.back() += drain(bev);
    return;
  }
  evbuffer* in = bufferevent_get_input(bev);
  evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, nullptr);
  if (end.pos < 0) return;
  std::string head(static_cast<size_t>(end.pos) + 4, '\0');
  evbuffer_remove(in, head.data(), head.size());
  s->proxy->onHead(s, head);
}

void FakeProxy::clientWriteCb(bufferevent* bev, void* arg) {
  auto* s = static_cast<Session*>(arg);
  if (s->close_after_write && evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
    s->proxy->closeSession(s);
  }
}

void FakeProxy::upstreamReadCb(bufferevent* bev, void* arg) {
  auto* s = static_cast<Session*>(arg);
  bufferevent_write_buffer(s->client, bufferevent_get_input(bev));
}

void FakeProxy::eventCb(bufferevent*, short events, void* arg) {
  auto* s = static_cast<Session*>(arg);
  if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) s->proxy->closeSession(s);
}

uint16_t closedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin = loopback(0);
  bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  const uint16_t port = boundPort(fd);
  close(fd);
  return port;
}

}  // namespace gw::proxy::testing
