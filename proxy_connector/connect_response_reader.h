#pragma once

// Reads a forward proxy's answer to CONNECT, incrementally, with http-parser.
//
// A 2xx answer ends at the blank line: whatever follows belongs to the tunnel
// and is left unread (read(evbuffer*) leaves it in the buffer). A non-2xx
// answer's body (Content-Length, chunked or until EOF) is consumed, up to
// kMaxBodyBytes, so the connection can be closed cleanly; its status, reason
// phrase and Proxy-Authenticate value are kept for the error report.
//
// Example:
//
//   ConnectResponseReader reader;
//   switch (reader.read(bufferevent_get_input(bev))) {
//     case ConnectResponseReader::State::NeedMore: return;  // wait for more bytes
//     case ConnectResponseReader::State::Established: ...;  // tunnel bytes stay in the buffer
//     case ConnectResponseReader::State::Rejected: ... reader.status() ...;
//     case ConnectResponseReader::State::Error: ... reader.error() ...;
//   }
//
// Thread-safety: none; one reader per connection attempt.

#include <http_parser.h>

#include <cstddef>
#include <string>

struct evbuffer;

namespace gw::proxy {

class ConnectResponseReader {
 public:
  enum class State {
    NeedMore,     // the answer is not complete yet
    Established,  // 2xx: the tunnel is open
    Rejected,     // non-2xx, body drained: status(), reason(), proxyAuthenticate()
    Error,        // not HTTP, or the header block is over kMaxHeaderBytes: error()
  };

  static constexpr size_t kMaxHeaderBytes = 8 * 1024;
  static constexpr size_t kMaxBodyBytes = 64 * 1024;

  ConnectResponseReader();
  ConnectResponseReader(const ConnectResponseReader&) = delete;
  ConnectResponseReader& operator=(const ConnectResponseReader&) = delete;

  // Parses the next `len` bytes of the stream. `*consumed` is set to how many
  // of them belong to the answer; with Established the rest are tunnel bytes.
  // Once a final state is reached, further calls return it and consume nothing.
  State feed(const char* data, size_t len, size_t* consumed);

  // Feeds what `in` holds and drains the consumed bytes from it.
  State read(evbuffer* in);

  // The peer closed the connection: completes a body that runs until EOF,
  // otherwise an incomplete answer becomes Error.
  State finish();

  State state() const { return state_; }
  int status() const { return status_; }
  const std::string& reason() const { return reason_; }
  const std::string& proxyAuthenticate() const { return proxy_authenticate_; }
  // Why the state is Error, for logs ("invalid HTTP status line", ...).
  const std::string& error() const { return error_; }
  // With Established: size of the header block (status line to blank line,
  // interim 1xx answers included); the tunnel starts right after it.
  size_t headerBytes() const { return header_bytes_; }

 private:
  static int onStatus(http_parser* p, const char* at, size_t len);
  static int onHeaderField(http_parser* p, const char* at, size_t len);
  static int onHeaderValue(http_parser* p, const char* at, size_t len);
  static int onHeadersComplete(http_parser* p);
  static int onBody(http_parser* p, const char* at, size_t len);
  static int onMessageComplete(http_parser* p);
  void endHeader();
  State fail(std::string why);

  http_parser parser_;
  http_parser_settings settings_;
  State state_ = State::NeedMore;
  bool headers_done_ = false;
  size_t fed_ = 0;  // bytes fed before the current feed() call
  size_t header_bytes_ = 0;
  size_t body_bytes_ = 0;
  int status_ = 0;
  std::string reason_;
  std::string proxy_authenticate_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  std::string error_;
};

}  // namespace gw::proxy
