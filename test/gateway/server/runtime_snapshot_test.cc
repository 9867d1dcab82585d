// A stream keeps the Runtime and connector it started on: a reload (the
// worker swapping in a new snapshot) while a request is in flight neither
// frees nor changes what that request uses, and the next request gets the new
// snapshot. Drives a real ConnectionManager over a socketpair.

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "gateway/event/dispatcher.h"
#include "gateway/http/filter.h"
#include "gateway/router/route_table.h"
#include "gateway/server/access_log.h"
#include "gateway/server/connection_manager.h"
#include "gateway/stats/stats.h"
#include "proxy_connector/connector.h"

namespace gw::server {
namespace {

// Holds every request until the test answers it through `held`.
class HoldFilter : public http::PassThroughFilter {
 public:
  explicit HoldFilter(http::DecoderFilterCallbacks** held) : held_(held) {}
  http::FilterStatus decodeHeaders(http::RequestHeaders&, bool) override {
    *held_ = decoder_callbacks_;
    return http::FilterStatus::StopIteration;
  }
  void onDestroy() override { *held_ = nullptr; }

 private:
  http::DecoderFilterCallbacks** held_;
};

// Answers every request at once with `status`.
class ReplyFilter : public http::PassThroughFilter {
 public:
  explicit ReplyFilter(int status) : status_(status) {}
  http::FilterStatus decodeHeaders(http::RequestHeaders&, bool) override {
    decoder_callbacks_->sendLocalReply(status_, "from the new runtime", "");
    return http::FilterStatus::StopIteration;
  }

 private:
  int status_;
};

class NoConnector : public proxy::Connector {
 public:
  proxy::ConnectHandlePtr connect(const proxy::ConnectRequest&, proxy::ConnectCallbacks&) override {
    return nullptr;
  }
  void release(proxy::UpstreamConnectionPtr, bool) override {}
};

RuntimeConstSharedPtr makeRuntime(http::FilterFactoryCb factory) {
  auto r = std::make_shared<Runtime>();
  auto config = std::make_shared<conf::Config>();
  r->config = config;
  r->routes = *router::RouteTable::build({});
  r->filter_factories.push_back(std::move(factory));
  return r;
}

class FakeWorker : public WorkerContext {
 public:
  FakeWorker() : access_log_(std::move(*AccessLog::open(conf::AccessLogConfig{false, "-"}))) {}
  event::Dispatcher& dispatcher() override { return *dispatcher_; }
  const std::shared_ptr<proxy::Connector>& connector() override { return connector_; }
  stats::Store& stats() override { return stats_; }
  const RuntimeConstSharedPtr& runtime() override { return runtime_; }
  AccessLog& accessLog() override { return *access_log_; }
  bool draining() const override { return false; }
  stats::Counter& requestCounter(const std::string&, int) override {
    return stats_.counter("test_requests_total", "Requests.");
  }
  void connectionClosed(ConnectionManager&) override { closed_ = true; }
  bool parkIdle(ConnectionManager&, evutil_socket_t, std::chrono::milliseconds,
                const http::Http2IdleState*, std::unique_ptr<ParkedTls>&) override {
    return false;
  }

  event::DispatcherPtr dispatcher_ = event::createDispatcher("test");
  std::shared_ptr<proxy::Connector> connector_ = std::make_shared<NoConnector>();
  stats::Store stats_;
  RuntimeConstSharedPtr runtime_;
  std::unique_ptr<AccessLog> access_log_;
  bool closed_ = false;
};

class RuntimeSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    client_fd_ = fds[1];
    bufferevent* bev =
        bufferevent_socket_new(worker_.dispatcher_->base(), fds[0], BEV_OPT_CLOSE_ON_FREE);
    worker_.runtime_ = makeRuntime([this] { return std::make_unique<HoldFilter>(&held_); });
    conn_ = std::make_unique<ConnectionManager>(worker_, bev, "test-peer");
    conn_->start();
  }
  void TearDown() override {
    conn_.reset();
    close(client_fd_);
  }

  void send(const std::string& bytes) {
    ASSERT_EQ(write(client_fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Runs the loop until `done` holds; every step has a ready event, so no step blocks.
  void runUntil(const std::function<bool()>& done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      event_base_loop(worker_.dispatcher_->base(), EVLOOP_NONBLOCK);
    }
    ASSERT_TRUE(done());
  }
  std::string received() {
    char buf[4096];
    ssize_t n;
    while ((n = read(client_fd_, buf, sizeof(buf))) > 0) response_.append(buf, n);
    return response_;
  }

  FakeWorker worker_;
  int client_fd_ = -1;
  std::unique_ptr<ConnectionManager> conn_;
  http::DecoderFilterCallbacks* held_ = nullptr;
  std::string response_;
};

TEST_F(RuntimeSnapshotTest, InFlightStreamKeepsItsRuntimeAndConnector) {
  std::weak_ptr<const Runtime> old_runtime = worker_.runtime_;
  std::weak_ptr<proxy::Connector> old_connector = worker_.connector_;
  send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  runUntil([&] { return held_ != nullptr; });

  // The reload: the worker now serves a new snapshot with a new connector.
  worker_.runtime_ = makeRuntime([] { return std::make_unique<ReplyFilter>(418); });
  worker_.connector_ = std::make_shared<NoConnector>();
  EXPECT_FALSE(old_runtime.expired());
  EXPECT_FALSE(old_connector.expired());
  EXPECT_EQ(&held_->connector(), old_connector.lock().get());

  held_->sendLocalReply(503, "held", "answered by the old runtime's filter");
  runUntil([&] { return received().find("\r\n\r\n") != std::string::npos; });
  EXPECT_EQ(response_.rfind("HTTP/1.1 503", 0), 0u) << response_;
  runUntil([&] { return old_runtime.expired() && old_connector.expired(); });

  response_.clear();
  send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  runUntil([&] { return received().find("from the new runtime") != std::string::npos; });
  EXPECT_EQ(response_.rfind("HTTP/1.1 418", 0), 0u) << response_;
}

// The worker closing a connection mid-request (as at shutdown) frees the old
// snapshot with the stream.
TEST_F(RuntimeSnapshotTest, ClosingMidRequestReleasesTheOldSnapshot) {
  std::weak_ptr<const Runtime> old_runtime = worker_.runtime_;
  send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  runUntil([&] { return held_ != nullptr; });
  worker_.runtime_ = makeRuntime([] { return std::make_unique<ReplyFilter>(418); });
  EXPECT_FALSE(old_runtime.expired());
  conn_.reset();
  runUntil([&] { return old_runtime.expired(); });
  EXPECT_EQ(held_, nullptr);
}

}  // namespace
}  // namespace gw::server
