#pragma once

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port, for tests
// that need the raw fds of a loopback connection (to close one end at once,
// reset it, or serve it from a thread of their own).
//
// Example:
//   gw::testing::LoopbackListener listener;
//   connectTo("127.0.0.1", listener.port());
//   int theirs = listener.accept();

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace gw::testing {

class LoopbackListener {
 public:
  explicit LoopbackListener(int backlog = 8) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, backlog) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::perror("LoopbackListener");
      std::abort();
    }
    addr_ = addr;
  }
  ~LoopbackListener() { close(); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  uint16_t port() const { return ntohs(addr_.sin_port); }
  const sockaddr_in& address() const { return addr_; }
  int fd() const { return fd_; }
  // The next connection's fd (blocking), or -1.
  int accept() const { return ::accept(fd_, nullptr, nullptr); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  sockaddr_in addr_{};
};

}  // namespace gw::testing
