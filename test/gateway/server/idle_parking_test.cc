// IdleParking against real sockets (socketpairs) on a real dispatcher: what
// wakes a parked socket, what closes it, and in which order deadlines fall.

#include "gateway/server/idle_parking.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "gtest/gtest.h"

namespace gw::server {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool isOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

class IdleParkingTest : public ::testing::Test {
 protected:
  IdleParkingTest()
      : dispatcher_(event::createDispatcher("test")),
        parking_(std::make_unique<IdleParking>(
            *dispatcher_,
            [this](evutil_socket_t fd, milliseconds parked_for) {
              resumed_.push_back(fd);
              parked_for_.push_back(parked_for);
              dispatcher_->exit();
            },
            [this](evutil_socket_t fd) {
              ++closed_;
              closed_at_.push_back(Clock::now());
              closing_fds_.push_back(fd);
              // Still open: a last word reaches the client before the close.
              EXPECT_EQ(send(fd, "bye", 3, MSG_NOSIGNAL | MSG_DONTWAIT), 3);
              dispatcher_->exit();
            })) {}

  ~IdleParkingTest() override {
    parking_.reset();
    for (int fd : resumed_) close(fd);
    for (int fd : peers_) close(fd);
  }

  // A connected pair: the first end is parked, the second is the client's.
  std::pair<int, int> pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    peers_.push_back(fds[1]);
    return {fds[0], fds[1]};
  }

  // Runs the loop until a callback exits it, or `limit` passes.
  void runFor(milliseconds limit) {
    event::TimerPtr guard = dispatcher_->createTimer([this] { dispatcher_->exit(); });
    guard->enable(limit);
    dispatcher_->run();
  }

  event::DispatcherPtr dispatcher_;
  std::unique_ptr<IdleParking> parking_;
  std::vector<int> resumed_;
  std::vector<milliseconds> parked_for_;
  std::vector<int> peers_;
  int closed_ = 0;
  std::vector<Clock::time_point> closed_at_;
  std::vector<int> closing_fds_;
};

TEST_F(IdleParkingTest, BytesFromTheClientHandTheSocketBack) {
  auto [fd, peer] = pair();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  EXPECT_EQ(parking_->size(), 1u);
  runFor(milliseconds(50));
  EXPECT_TRUE(resumed_.empty());  // nothing sent: stays parked
  ASSERT_EQ(write(peer, "GET", 3), 3);
  runFor(milliseconds(2000));
  ASSERT_EQ(resumed_.size(), 1u);
  EXPECT_EQ(resumed_[0], fd);
  EXPECT_EQ(parking_->size(), 0u);
  EXPECT_EQ(closed_, 0);
  char buf[8];
  EXPECT_EQ(read(fd, buf, sizeof(buf)), 3);  // the bytes are still there for the parser
}

TEST_F(IdleParkingTest, AHandBackSaysHowLongTheSocketWaited) {
  auto [fd, peer] = pair();
  const auto t0 = Clock::now();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  runFor(milliseconds(150));
  ASSERT_EQ(write(peer, "x", 1), 1);
  runFor(milliseconds(2000));
  ASSERT_EQ(parked_for_.size(), 1u);
  EXPECT_GE(parked_for_[0], milliseconds(140));
  // Both ends of parked_for are whole milliseconds of the clock: 1 ms of rounding.
  EXPECT_LE(parked_for_[0],
            std::chrono::duration_cast<milliseconds>(Clock::now() - t0) + milliseconds(1));
}

TEST_F(IdleParkingTest, AHandedBackSocketCanBeParkedAgainAndWakesAgain) {
  auto [fd, peer] = pair();
  char buf[8];
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
    runFor(milliseconds(30));
    ASSERT_EQ(resumed_.size(), static_cast<size_t>(round));  // quiet while nothing comes
    ASSERT_EQ(write(peer, "x", 1), 1);
    runFor(milliseconds(2000));
    ASSERT_EQ(resumed_.size(), static_cast<size_t>(round + 1));
    // Handed back and in use: bytes now are not the parking's business.
    ASSERT_EQ(read(fd, buf, sizeof(buf)), 1);
    ASSERT_EQ(write(peer, "y", 1), 1);
    runFor(milliseconds(30));
    ASSERT_EQ(resumed_.size(), static_cast<size_t>(round + 1));
    ASSERT_EQ(read(fd, buf, sizeof(buf)), 1);
  }
  resumed_.clear();  // the same descriptor three times: closed once below
  close(fd);
}

TEST_F(IdleParkingTest, ADescriptorNumberReusedAfterCloseIsParkedAfresh) {
  auto [fd, peer] = pair();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  ASSERT_EQ(write(peer, "x", 1), 1);
  runFor(milliseconds(2000));
  ASSERT_EQ(resumed_.size(), 1u);
  resumed_.clear();
  close(fd);  // leaves the epoll set with it
  auto [again, again_peer] = pair();
  ASSERT_EQ(again, fd);  // the lowest free number comes back
  ASSERT_TRUE(parking_->park(again, milliseconds(60000)));
  ASSERT_EQ(write(again_peer, "z", 1), 1);
  runFor(milliseconds(2000));
  ASSERT_EQ(resumed_.size(), 1u);
  EXPECT_EQ(resumed_[0], again);
}

TEST_F(IdleParkingTest, ARequestSentWithEofIsHandedBack) {
  auto [fd, peer] = pair();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  ASSERT_EQ(write(peer, "GET / HTTP/1.1\r\n\r\n", 18), 18);
  ASSERT_EQ(shutdown(peer, SHUT_WR), 0);
  runFor(milliseconds(2000));
  ASSERT_EQ(resumed_.size(), 1u);
  EXPECT_EQ(closed_, 0);
}

TEST_F(IdleParkingTest, AClientThatClosesIsClosedWithoutAHandBack) {
  auto [fd, peer] = pair();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  ASSERT_EQ(shutdown(peer, SHUT_WR), 0);  // a bare FIN
  runFor(milliseconds(2000));
  EXPECT_TRUE(resumed_.empty());
  EXPECT_EQ(closed_, 1);
  EXPECT_FALSE(isOpen(fd));
  EXPECT_EQ(parking_->size(), 0u);
}

TEST_F(IdleParkingTest, DeadlinesCloseInTheirOrderWhateverTheParkingOrder) {
  auto [late, late_peer] = pair();
  auto [early, early_peer] = pair();
  const auto t0 = Clock::now();
  ASSERT_TRUE(parking_->park(late, milliseconds(300)));
  ASSERT_TRUE(parking_->park(early, milliseconds(100)));  // earlier than the one before it
  runFor(milliseconds(2000));
  ASSERT_EQ(closed_, 1);
  EXPECT_EQ(closing_fds_[0], early);
  EXPECT_FALSE(isOpen(early));
  EXPECT_TRUE(isOpen(late));
  char word[8] = {};
  EXPECT_EQ(recv(early_peer, word, sizeof(word), 0), 3);  // the closing callback's
  EXPECT_STREQ(word, "bye");
  EXPECT_GE(closed_at_[0] - t0, milliseconds(95));
  runFor(milliseconds(2000));
  ASSERT_EQ(closed_, 2);
  EXPECT_FALSE(isOpen(late));
  EXPECT_GE(closed_at_[1] - t0, milliseconds(295));
  EXPECT_TRUE(resumed_.empty());
}

TEST_F(IdleParkingTest, AHandedBackSocketLeavesTheOthersDeadlines) {
  auto [first, first_peer] = pair();
  auto [second, second_peer] = pair();
  ASSERT_TRUE(parking_->park(first, milliseconds(100)));
  ASSERT_TRUE(parking_->park(second, milliseconds(200)));
  ASSERT_EQ(write(first_peer, "x", 1), 1);  // the head of the list leaves early
  runFor(milliseconds(2000));
  ASSERT_EQ(resumed_.size(), 1u);
  const auto t1 = Clock::now();
  runFor(milliseconds(2000));
  EXPECT_EQ(closed_, 1);
  EXPECT_FALSE(isOpen(second));
  EXPECT_LT(Clock::now() - t1, milliseconds(1500));
}

TEST_F(IdleParkingTest, CloseAllClosesEveryParkedSocket) {
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i) {
    auto [fd, peer] = pair();
    ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
    fds.push_back(fd);
  }
  parking_->closeAll();
  EXPECT_EQ(closed_, 5);
  EXPECT_EQ(parking_->size(), 0u);
  for (int fd : fds) EXPECT_FALSE(isOpen(fd));
}

TEST_F(IdleParkingTest, DestroyingItClosesWhatIsParkedQuietly) {
  auto [fd, peer] = pair();
  ASSERT_TRUE(parking_->park(fd, milliseconds(60000)));
  parking_.reset();
  EXPECT_FALSE(isOpen(fd));
  EXPECT_EQ(closed_, 0);
}

TEST_F(IdleParkingTest, ASocketEpollRefusesStaysTheCallers) {
  const int fd = open("/dev/null", O_RDONLY);  // regular files cannot be polled: EPERM
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(parking_->park(fd, milliseconds(1000)));
  EXPECT_TRUE(isOpen(fd));
  EXPECT_EQ(parking_->size(), 0u);
  close(fd);
}

}  // namespace
}  // namespace gw::server
