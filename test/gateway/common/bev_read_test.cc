#include "gateway/common/bev_read.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "test/mocks/loopback_listener.h"

namespace gw::net {
namespace {

// A socket bufferevent on one end of a real socketpair (or a loopback TCP
// connection), whose other end, `peer_`, the test writes to and closes.
class BevReadTest : public ::testing::Test {
 protected:
  void SetUp() override { base_ = event_base_new(); }

  void TearDown() override {
    if (bev_ != nullptr) bufferevent_free(bev_);
    // Callbacks libevent deferred still hold the bufferevent: let them run.
    event_base_loop(base_, EVLOOP_NONBLOCK);
    if (peer_ >= 0) close(peer_);
    event_base_free(base_);
  }

  // The bufferevent, reading directly, with this test's callbacks.
  void open(int ours) {
    evutil_make_socket_nonblocking(ours);
    bev_ = bufferevent_socket_new(base_, ours, BEV_OPT_CLOSE_ON_FREE);
    ASSERT_NE(bev_, nullptr);
    ASSERT_TRUE(readDirectly(bev_));
    bufferevent_setcb(bev_, &onRead, nullptr, &onEvent, this);
    bufferevent_enable(bev_, EV_READ);
  }

  void openPair() {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    peer_ = fds[1];
    open(fds[0]);
  }

  // A loopback TCP connection (a reset needs TCP).
  void openTcp() {
    gw::testing::LoopbackListener listener(1);
    peer_ = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(connect(peer_, reinterpret_cast<const sockaddr*>(&listener.address()),
                      sizeof(listener.address())),
              0);
    const int ours = listener.accept();
    ASSERT_GE(ours, 0);
    open(ours);
  }

  void send(const std::string& bytes) {
    ASSERT_EQ(write(peer_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  // Bytes still in the socket, not yet read.
  int unread() const {
    int n = -1;
    ioctl(bufferevent_getfd(bev_), FIONREAD, &n);
    return n;
  }

  // One pass of the loop over what is ready now.
  void runOnce() { event_base_loop(base_, EVLOOP_NONBLOCK); }

  std::string input() const {
    evbuffer* in = bufferevent_get_input(bev_);
    const size_t n = evbuffer_get_length(in);
    return std::string(reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), n);
  }

  static void onRead(bufferevent* bev, void* arg) {
    auto* self = static_cast<BevReadTest*>(arg);
    ++self->reads_;
    const size_t n = evbuffer_get_length(bufferevent_get_input(bev));
    if (n > self->largest_input_) self->largest_input_ = n;
    if (self->drain_on_read_) {
      evbuffer* in = bufferevent_get_input(bev);
      self->received_ += std::string(reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), n);
      evbuffer_drain(in, n);
    }
    // libevent calls the read callback again on every loop pass while the
    // input stays at its high watermark with reading enabled: stop the pass.
    if (self->break_on_read_) event_base_loopbreak(self->base_);
    if (self->free_on_read_) {
      bufferevent_free(bev);
      self->bev_ = nullptr;
    }
  }

  static void onEvent(bufferevent*, short events, void* arg) {
    auto* self = static_cast<BevReadTest*>(arg);
    self->events_ = events;
    self->event_errno_ = EVUTIL_SOCKET_ERROR();
    self->input_at_event_ = self->input();
  }

  event_base* base_ = nullptr;
  bufferevent* bev_ = nullptr;
  int peer_ = -1;
  int reads_ = 0;
  size_t largest_input_ = 0;
  bool drain_on_read_ = false;
  bool free_on_read_ = false;
  bool break_on_read_ = false;
  std::string received_;
  short events_ = 0;
  int event_errno_ = 0;
  std::string input_at_event_;
};

TEST_F(BevReadTest, ReadsWhatArrivesAndCallsTheReadCallback) {
  openPair();
  EXPECT_TRUE(readsDirectly(bev_));
  send("GET / HTTP/1.1\r\n\r\n");
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(input(), "GET / HTTP/1.1\r\n\r\n");
  send("more");
  runOnce();
  EXPECT_EQ(reads_, 2);
  EXPECT_EQ(input(), "GET / HTTP/1.1\r\n\r\nmore");
  runOnce();  // nothing new: no callback
  EXPECT_EQ(reads_, 2);
  EXPECT_EQ(events_, 0);
}

TEST_F(BevReadTest, LeavesOtherBuffereventsToLibevent) {
  bufferevent* no_fd = bufferevent_socket_new(base_, -1, 0);
  EXPECT_FALSE(readDirectly(no_fd));
  EXPECT_FALSE(readsDirectly(no_fd));
  bufferevent_free(no_fd);

  bufferevent* pair[2];
  ASSERT_EQ(bufferevent_pair_new(base_, 0, pair), 0);
  EXPECT_FALSE(readDirectly(pair[0]));
  bufferevent_free(pair[0]);
  bufferevent_free(pair[1]);

  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  bufferevent* tls = bufferevent_openssl_socket_new(
      base_, fds[0], SSL_new(ctx), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(tls, nullptr);
  EXPECT_FALSE(readDirectly(tls));
  EXPECT_FALSE(readsDirectly(tls));
  bufferevent_free(tls);
  SSL_CTX_free(ctx);
  close(fds[1]);
}

TEST_F(BevReadTest, SetFdPutsLibeventsReadingBack) {
  openPair();
  bufferevent_setfd(bev_, bufferevent_getfd(bev_));
  EXPECT_FALSE(readsDirectly(bev_));
  EXPECT_TRUE(readDirectly(bev_));
  EXPECT_TRUE(readDirectly(bev_));  // a second call changes nothing
  send("x");
  runOnce();
  EXPECT_EQ(input(), "x");
}

TEST_F(BevReadTest, TakingOverAnEnabledBuffereventKeepsItReading) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  peer_ = fds[1];
  evutil_make_socket_nonblocking(fds[0]);
  bev_ = bufferevent_socket_new(base_, fds[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev_, &onRead, nullptr, &onEvent, this);
  bufferevent_enable(bev_, EV_READ);
  ASSERT_TRUE(readDirectly(bev_));
  EXPECT_TRUE(bufferevent_get_enabled(bev_) & EV_READ);
  send("abc");
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(input(), "abc");
}

TEST_F(BevReadTest, EofComesAfterTheDataThroughTheEventCallback) {
  openPair();
  send("last words");
  shutdown(peer_, SHUT_WR);
  runOnce();
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(events_, BEV_EVENT_READING | BEV_EVENT_EOF);
  EXPECT_EQ(input_at_event_, "last words");
  EXPECT_FALSE(bufferevent_get_enabled(bev_) & EV_READ);  // reading ends, as in libevent
}

TEST_F(BevReadTest, ResetIsAnErrorWithItsErrno) {
  openTcp();
  linger hard{1, 0};
  ASSERT_EQ(setsockopt(peer_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)), 0);
  close(peer_);  // RST
  peer_ = -1;
  runOnce();
  EXPECT_EQ(events_, BEV_EVENT_READING | BEV_EVENT_ERROR);
  EXPECT_EQ(event_errno_, ECONNRESET);
  EXPECT_EQ(reads_, 0);
  EXPECT_FALSE(bufferevent_get_enabled(bev_) & EV_READ);
}

TEST_F(BevReadTest, DisabledReadingLeavesBytesInTheSocket) {
  openPair();
  bufferevent_disable(bev_, EV_READ);
  send("wait");
  runOnce();
  EXPECT_EQ(reads_, 0);
  EXPECT_EQ(input(), "");
  bufferevent_enable(bev_, EV_READ);
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(input(), "wait");
}

TEST_F(BevReadTest, HighWatermarkSuspendsReadingUntilTheInputIsDrained) {
  openPair();
  break_on_read_ = true;
  bufferevent_setwatermark(bev_, EV_READ, 0, 1000);
  send(std::string(5000, 'a'));
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(input().size(), 1000u);  // no more than the mark
  runOnce();
  runOnce();
  EXPECT_EQ(input().size(), 1000u);  // suspended while the input is full
  EXPECT_EQ(unread(), 4000);
  evbuffer_drain(bufferevent_get_input(bev_), 600);
  runOnce();  // may end at the callback queued in the last pass, before reading
  runOnce();
  EXPECT_EQ(input().size(), 1000u);
  EXPECT_EQ(unread(), 3400);
  EXPECT_TRUE(bufferevent_get_enabled(bev_) & EV_READ);  // the caller's state is untouched
}

TEST_F(BevReadTest, LowWatermarkHoldsTheCallbackBack) {
  openPair();
  bufferevent_setwatermark(bev_, EV_READ, 10, 0);
  send("12345");
  runOnce();
  EXPECT_EQ(reads_, 0);
  send("67890");
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(input(), "1234567890");
}

TEST_F(BevReadTest, LargeInputArrivesWholeInFewWakeUps) {
  openTcp();
  drain_on_read_ = true;
  std::string sent;
  for (int i = 0; sent.size() < (1u << 20); ++i) sent += std::to_string(i) + ",";
  evutil_make_socket_nonblocking(peer_);
  size_t off = 0;
  for (int pass = 0; pass < 100000 && received_.size() < sent.size(); ++pass) {
    if (off < sent.size()) {
      const ssize_t n = write(peer_, sent.data() + off, sent.size() - off);
      if (n > 0) off += static_cast<size_t>(n);
    }
    runOnce();
  }
  EXPECT_EQ(received_, sent);
  // libevent's own reading takes 4 KiB per wake-up: 256 callbacks or more.
  EXPECT_GT(largest_input_, 4096u);
  EXPECT_LT(reads_, 128);
}

TEST_F(BevReadTest, ReadCallbackMayFreeTheBufferevent) {
  openPair();
  free_on_read_ = true;
  send("bye");
  runOnce();
  EXPECT_EQ(reads_, 1);
  EXPECT_EQ(bev_, nullptr);
  runOnce();  // the read event went with the bufferevent
  EXPECT_EQ(reads_, 1);
}

TEST_F(BevReadTest, ReadTimeoutIsReported) {
  openPair();
  const timeval ten_ms{0, 10000};
  bufferevent_set_timeouts(bev_, &ten_ms, nullptr);
  event_base_dispatch(base_);  // ends once nothing is armed: after the timeout disables reading
  EXPECT_EQ(events_, BEV_EVENT_READING | BEV_EVENT_TIMEOUT);
  EXPECT_FALSE(bufferevent_get_enabled(bev_) & EV_READ);
}

}  // namespace
}  // namespace gw::net
