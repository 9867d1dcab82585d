#pragma once

// In-process fake peers for connector tests, on 127.0.0.1 ephemeral ports,
// driven by the test's own event_base: an echo backend (plain or TLS) and a
// scriptable CONNECT proxy. Thread-safety: the event_base's thread only.

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gw::proxy::testing {

// Listens on 127.0.0.1:0 and hands accepted sockets to a subclass.
class FakeListener {
 public:
  explicit FakeListener(event_base* base);
  virtual ~FakeListener();
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 protected:
  virtual void onAccept(evutil_socket_t fd) = 0;
  event_base* base_;

 private:
  static void acceptCb(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  evconnlistener* listener_ = nullptr;
  uint16_t port_ = 0;
  int accepted_ = 0;
};

// Echoes every byte back. With `tls` (not owned), speaks TLS first.
class EchoServer : public FakeListener {
 public:
  EchoServer(event_base* base, SSL_CTX* tls = nullptr);
  ~EchoServer() override;
  size_t open() const { return conns_.size(); }
  void closeAll();

 private:
  void onAccept(evutil_socket_t fd) override;
  static void readCb(bufferevent* bev, void* arg);
  static void eventCb(bufferevent* bev, short events, void* arg);
  SSL_CTX* tls_;
  std::set<bufferevent*> conns_;
};

// A forward proxy whose answer the test chooses. With `tls` (not owned), an
// https proxy: TLS first, then the same protocol inside it.
class FakeProxy : public FakeListener {
 public:
  enum class Mode {
    Tunnel,   // 200 (+ after_200), then relay to 127.0.0.1:upstream_port
    Reject,   // send reject_response, then close
    Close,    // close right after reading the request head
    Stall,    // never answer
    Garbage,  // answer with bytes that are not HTTP
    Forward,  // absolute-form: record bytes, answer a fixed 200 with body "fwd"
  };
  explicit FakeProxy(event_base* base, SSL_CTX* tls = nullptr);
  ~FakeProxy() override;

  Mode mode = Mode::Tunnel;
  uint16_t upstream_port = 0;
  std::string reject_response;
  std::string after_200;
  // What Mode::Forward answers every request with.
  std::string forward_response = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nfwd";
  std::string required_auth;       // "Basic ..."; mismatch or absence -> 407
  std::vector<std::string> heads;  // request heads received, in order

 private:
  struct Session {
    FakeProxy* proxy = nullptr;
    bufferevent* client = nullptr;
    bufferevent* upstream = nullptr;
    bool answered = false;
    bool close_after_write = false;
  };
  void onAccept(evutil_socket_t fd) override;
  void onHead(Session* s, const std::string& head);
  void answerAndClose(Session* s, const std::string& bytes);
  void startTunnel(Session* s);
  void closeSession(Session* s);
  static void clientReadCb(bufferevent* bev, void* arg);
  static void clientWriteCb(bufferevent* bev, void* arg);
  static void upstreamReadCb(bufferevent* bev, void* arg);
  static void eventCb(bufferevent* bev, short events, void* arg);
  SSL_CTX* tls_ = nullptr;
  std::map<Session*, std::unique_ptr<Session>> sessions_;
};

// A loopback port with nothing listening on it.
uint16_t closedPort();

}  // namespace gw::proxy::testing
