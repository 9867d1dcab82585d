#pragma once

// Shared fixture for the connector tests: a real Dispatcher run on the test
// thread, a Recorder for ConnectCallbacks, and helpers to drive the loop.

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connect_protocol.h"
#include "proxy_connector/connector_impl.h"
#include "test/proxy_connector/fake_peers.h"

namespace gw::proxy {

using std::chrono::milliseconds;
using testing::EchoServer;
using testing::FakeProxy;

constexpr char kUser[] = "gwuser";
constexpr char kPassword[] = "Sup3r-S3cret-pw";

// Records the outcome; optionally reads from the connection from inside onConnected.
struct Recorder : ConnectCallbacks {
  void onConnected(UpstreamConnectionPtr c) override {
    ++calls;
    conn = std::move(c);
    if (read_in_callback) watch();
  }
  void onConnectFailed(const ConnectFailure& f) override {
    ++calls;
    failure = f;
  }
  void watch() {
    bufferevent_setcb(conn->bev(), &Recorder::readCb, nullptr, nullptr, this);
    bufferevent_enable(conn->bev(), EV_READ | EV_WRITE);
  }
  static void readCb(bufferevent* bev, void* arg) {
    evbuffer* in = bufferevent_get_input(bev);
    std::string s(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, s.data(), s.size());
    static_cast<Recorder*>(arg)->received += s;
  }
  int calls = 0;
  bool read_in_callback = false;
  UpstreamConnectionPtr conn;
  std::optional<ConnectFailure> failure;
  std::string received;
};

class ConnectorTest : public ::testing::Test {
 protected:
  ConnectorTest() : dispatcher_(event::createDispatcher("test")) {}

  ConnectorPtr make(ConnectorOptions options = {}) {
    return createConnector(*dispatcher_, options, store_);
  }

  bool runUntil(const std::function<bool()>& done, milliseconds limit = milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    event::TimerPtr poll;
    poll = dispatcher_->createTimer([&] {
      if (done() || std::chrono::steady_clock::now() > deadline) {
        dispatcher_->exit();
      } else {
        poll->enable(milliseconds(2));
      }
    });
    poll->enable(milliseconds(0));
    dispatcher_->run();
    return done();
  }
  void runFor(milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    runUntil([&] { return std::chrono::steady_clock::now() >= until; }, d + milliseconds(1000));
  }

  // Connects and waits for the outcome.
  void connect(Connector& c, const ConnectRequest& req, Recorder& rec,
               ConnectHandlePtr* keep = nullptr) {
    ConnectHandlePtr h = c.connect(req, rec);
    EXPECT_EQ(rec.calls, 0) << "callback ran inline from connect()";
    ASSERT_TRUE(runUntil([&] { return rec.calls > 0; }));
    EXPECT_EQ(rec.calls, 1);
    if (keep) *keep = std::move(h);
  }

  // Writes `msg` and waits for the echo.
  std::string roundTrip(Recorder& rec, const std::string& msg) {
    rec.received.clear();
    rec.watch();
    bufferevent_write(rec.conn->bev(), msg.data(), msg.size());
    runUntil([&] { return rec.received.size() >= msg.size(); });
    bufferevent_setcb(rec.conn->bev(), nullptr, nullptr, nullptr, nullptr);
    return rec.received;
  }

  uint64_t counter(const std::string& name, const stats::Labels& labels) {
    return store_.counter(name, "", labels).value();
  }
  int64_t active() { return store_.gauge("microgw_upstream_connections_active", "").value(); }

  ConnectRequest viaProxy(const FakeProxy& proxy, std::string scheme, std::string host,
                          uint16_t port, std::string password = kPassword) {
    ConnectRequest r;
    r.target = {std::move(scheme), std::move(host), port};
    ProxyServer p;
    p.host = "127.0.0.1";
    p.port = proxy.port();
    p.username = kUser;
    p.password = std::move(password);
    r.proxy = p;
    return r;
  }

  stats::Store store_;
  event::DispatcherPtr dispatcher_;
};

// A plain http connect straight to 127.0.0.1:`port`.
inline ConnectRequest direct(uint16_t port) {
  ConnectRequest r;
  r.target = {"http", "127.0.0.1", port};
  return r;
}

inline std::string basicAuth() {
  ProxyServer p;
  p.username = kUser;
  p.password = kPassword;
  return basicProxyAuthorization(p);
}

}  // namespace gw::proxy
