// JwksProvider against a small HTTP server on loopback; RefetchGate, the
// retry back-off and the token cache as pure logic with fake times.

#include "filters/jwt_authn/jwks_provider.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "filters/jwt_authn/token_cache.h"
#include "test/filters/jwt_authn/token_factory.h"

namespace gw::filters::jwt_authn {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using TimePoint = std::chrono::steady_clock::time_point;

// Answers every request with the current status and body, then closes.
class JwksServer {
 public:
  JwksServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~JwksServer() {
    stop_ = true;
    release();
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  // A path of its own: providers remember keys per URL for the whole process.
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/jwks/" + std::to_string(id_);
  }
  void answer(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    status_ = status;
    body_ = std::move(body);
  }
  int requests() const { return requests_.load(); }
  // While held, a request is read but not answered until release().
  void hold() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  int waiting() const { return waiting_.load(); }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string in;
      char buf[4096];
      while (in.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
      }
      std::string out;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ++waiting_;
        released_.wait(lock, [this] { return !held_ || stop_; });
        --waiting_;
        out = "HTTP/1.1 " + std::to_string(status_) + " X\r\nContent-Type: application/json\r\n" +
              "Content-Length: " + std::to_string(body_.size()) + "\r\nConnection: close\r\n\r\n" +
              body_;
      }
      ++requests_;
      ::write(c, out.data(), out.size());
      ::close(c);
    }
  }

  static inline std::atomic<int> next_id_{0};
  const int id_ = next_id_++;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::condition_variable released_;
  bool held_ = false;
  std::atomic<int> waiting_{0};
  int status_ = 200;
  std::string body_;
};

std::string jwks(const testing::KeyPair& key, const std::string& kid) {
  return nlohmann::json{{"keys", {testing::publicJwk(key, kid)}}}.dump();
}

// Waits for something another thread does (bounded).
bool eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(milliseconds(5));
  return done();
}

class JwksProviderTest : public ::testing::Test {
 protected:
  std::shared_ptr<JwksProvider> start() {
    JwksProvider::Options options;
    options.urls = {server_.url()};
    options.clock = [this] { return TimePoint(milliseconds(now_ms_.load())); };
    return JwksProvider::start(std::move(options), stats_);
  }
  uint64_t fetches(const std::string& result) {
    return stats_
        .counter("microgw_jwks_fetches_total", "JWKS fetches by result.", {{"result", result}})
        .value();
  }

  JwksServer server_;
  stats::Store stats_;
  std::atomic<int64_t> now_ms_{1'000'000};
  testing::KeyPair key_a_ = testing::rsaKey();
  testing::KeyPair key_b_ = testing::rsaKey();
};

TEST_F(JwksProviderTest, FetchesAtStartAndRefetchesUnknownKidAtMostOncePer30s) {
  server_.answer(200, jwks(key_a_, "a"));
  auto provider = start();
  ASSERT_TRUE(eventually([&] { return provider->keys(server_.url()) != nullptr; }));
  std::shared_ptr<const JwkSet> first = provider->keys(server_.url());
  EXPECT_NE(first->find("a"), nullptr);

  server_.answer(200, jwks(key_b_, "b"));
  EXPECT_TRUE(provider->refetchUnknownKid(server_.url()));
  ASSERT_TRUE(eventually([&] { return provider->keys(server_.url())->find("b") != nullptr; }));
  EXPECT_NE(first->find("a"), nullptr) << "a snapshot held by a request stays intact";

  EXPECT_FALSE(provider->refetchUnknownKid(server_.url()));
  now_ms_ += 29'999;
  EXPECT_FALSE(provider->refetchUnknownKid(server_.url()));
  now_ms_ += 1;
  const int before = server_.requests();
  server_.answer(503, "{}");
  EXPECT_TRUE(provider->refetchUnknownKid(server_.url()));
  ASSERT_TRUE(eventually([&] { return fetches("failure") == 1; }));
  EXPECT_EQ(server_.requests(), before + 1);
  EXPECT_NE(provider->keys(server_.url())->find("b"), nullptr) << "a failed refetch keeps keys";
  EXPECT_EQ(fetches("success"), 2u);
}

TEST_F(JwksProviderTest, KeyManagerDownAtStartIsRetriedUntilKeysArrive) {
  server_.answer(503, "{}");
  auto provider = start();
  ASSERT_TRUE(eventually([&] { return fetches("failure") >= 1; }));
  EXPECT_EQ(provider->keys(server_.url()), nullptr);
  server_.answer(200, jwks(key_a_, "a"));
  // The first retry comes 1 s after the failure.
  ASSERT_TRUE(eventually([&] { return provider->keys(server_.url()) != nullptr; }));
  EXPECT_NE(provider->keys(server_.url())->find("a"), nullptr);
}

TEST_F(JwksProviderTest, ANewProviderStartsWithTheKeysLastFetched) {
  server_.answer(200, jwks(key_a_, "a"));
  auto first = start();
  ASSERT_TRUE(eventually([&] { return first->keys(server_.url()) != nullptr; }));
  first.reset();
  server_.answer(503, "{}");  // the new provider's own fetch fails
  auto second = start();
  ASSERT_NE(second->keys(server_.url()), nullptr) << "a reload must not drop the keys";
  EXPECT_NE(second->keys(server_.url())->find("a"), nullptr);
  ASSERT_TRUE(eventually([&] { return fetches("failure") == 1; }));
  EXPECT_NE(second->keys(server_.url())->find("a"), nullptr);
}

// A request that arrives while the first fetch is in flight is woken on its
// own dispatcher when the fetch ends, and finds the keys; a cancelled wait
// is never called.
TEST_F(JwksProviderTest, WaitersOfTheFirstFetchAreWokenOnTheirDispatcher) {
  server_.answer(200, jwks(key_a_, "a"));
  server_.hold();
  auto provider = start();
  ASSERT_TRUE(eventually([&] { return server_.waiting() == 1; }));
  event::DispatcherPtr dispatcher = event::createDispatcher("test");
  std::shared_ptr<const JwkSet> seen;
  std::optional<uint64_t> woken = provider->waitForFirstFetch(server_.url(), *dispatcher, [&] {
    seen = provider->keys(server_.url());
    dispatcher->exit();
  });
  std::optional<uint64_t> cancelled =
      provider->waitForFirstFetch(server_.url(), *dispatcher, [] { FAIL() << "cancelled"; });
  ASSERT_TRUE(woken.has_value());
  ASSERT_TRUE(cancelled.has_value());
  provider->cancelWait(*cancelled);
  EXPECT_EQ(provider->keys(server_.url()), nullptr);
  server_.release();
  dispatcher->run();
  ASSERT_NE(seen, nullptr);
  EXPECT_NE(seen->find("a"), nullptr);
  EXPECT_FALSE(provider->waitForFirstFetch(server_.url(), *dispatcher, [] {}).has_value())
      << "after the first fetch nobody waits";
}

TEST_F(JwksProviderTest, AFailedFirstFetchWakesTheWaitersToo) {
  server_.answer(503, "{}");
  server_.hold();
  auto provider = start();
  ASSERT_TRUE(eventually([&] { return server_.waiting() == 1; }));
  event::DispatcherPtr dispatcher = event::createDispatcher("test");
  bool woken = false;
  ASSERT_TRUE(provider
                  ->waitForFirstFetch(server_.url(), *dispatcher,
                                      [&] {
                                        woken = true;
                                        dispatcher->exit();
                                      })
                  .has_value());
  server_.release();
  dispatcher->run();
  EXPECT_TRUE(woken);
  EXPECT_EQ(provider->keys(server_.url()), nullptr);
  EXPECT_FALSE(provider->waitForFirstFetch(server_.url(), *dispatcher, [] {}).has_value())
      << "a request after a failed first fetch is refused at once (503), not parked";
}

TEST_F(JwksProviderTest, UnknownUrl) {
  server_.answer(200, jwks(key_a_, "a"));
  auto provider = start();
  EXPECT_EQ(provider->keys("http://127.0.0.1:1/other"), nullptr);
  EXPECT_FALSE(provider->refetchUnknownKid("http://127.0.0.1:1/other"));
}

TEST(RefetchGate, OpensOncePerInterval) {
  RefetchGate gate(seconds(30));
  const TimePoint t0(seconds(100));
  EXPECT_TRUE(gate.tryAcquire(t0));
  EXPECT_FALSE(gate.tryAcquire(t0));
  EXPECT_FALSE(gate.tryAcquire(t0 + milliseconds(29'999)));
  EXPECT_TRUE(gate.tryAcquire(t0 + seconds(30)));
  EXPECT_FALSE(gate.tryAcquire(t0 + seconds(59)));
  EXPECT_TRUE(gate.tryAcquire(t0 + seconds(60)));
}

TEST(RefetchGate, ConcurrentCallersGetOneAcquisition) {
  RefetchGate gate(seconds(30));
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (gate.tryAcquire(TimePoint(seconds(5)))) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
}

TEST(JwksRetryDelay, DoublesUpTo60Seconds) {
  EXPECT_EQ(jwksRetryDelay(1), milliseconds(1000));
  EXPECT_EQ(jwksRetryDelay(2), milliseconds(2000));
  EXPECT_EQ(jwksRetryDelay(6), milliseconds(32000));
  EXPECT_EQ(jwksRetryDelay(7), milliseconds(60000));
  EXPECT_EQ(jwksRetryDelay(100), milliseconds(60000));
}

TEST(TokenCache, ExpiryAndEviction) {
  TokenCache cache(16, 0.25);  // one entry per shard
  ValidatedToken t;
  t.expires_at = 200;
  const std::string d1 = tokenDigest("one");
  cache.insert(d1, t, 100);
  EXPECT_TRUE(cache.find(d1, 199).has_value());
  EXPECT_FALSE(cache.find(d1, 200).has_value());
  // Fill a shard past its capacity: the soonest-expiring entry goes.
  std::vector<std::string> same_shard;
  for (int i = 0; same_shard.size() < 3 && i < 10000; ++i) {
    std::string d = tokenDigest("t" + std::to_string(i));
    if (static_cast<unsigned char>(d[0]) % 16 == static_cast<unsigned char>(d1[0]) % 16) {
      same_shard.push_back(d);
    }
  }
  ASSERT_EQ(same_shard.size(), 3u);
  cache.insert(same_shard[0], t, 100);  // evicts d1 (capacity 1 per shard)
  EXPECT_FALSE(cache.find(d1, 100).has_value());
  EXPECT_TRUE(cache.find(same_shard[0], 100).has_value());
  EXPECT_EQ(shortHash(d1).size(), 12u);
}

}  // namespace
}  // namespace gw::filters::jwt_authn
